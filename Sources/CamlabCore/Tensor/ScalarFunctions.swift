import Foundation

/// The per-element functions of the element-wise operations, as types.
///
/// Loops are generic over these rather than taking closures: a closure handed on to a loop
/// that runs on several threads is called per element, while a generic loop is specialized with
/// the function inlined into it (several times faster on the element-wise ops of a training step).
protocol UnaryScalarFunction {
    func callAsFunction(_ x: Float) -> Float
}

protocol BinaryScalarFunction {
    func callAsFunction(_ x: Float, _ y: Float) -> Float
}

enum ScalarFunctions {
    struct Add: BinaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { x + y } }
    struct Subtract: BinaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { x - y } }
    struct Multiply: BinaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { x * y } }
    struct Divide: BinaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { x / y } }
    struct Maximum: BinaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { Swift.max(x, y) } }
    /// 1 where x > y, else 0.
    struct IsGreater: BinaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { x > y ? 1 : 0 } }
    struct IsLess: BinaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { x < y ? 1 : 0 } }
    struct IsEqual: BinaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float, _ y: Float) -> Float { x == y ? 1 : 0 } }

    struct Negate: UnaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { -x } }
    struct Exp: UnaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.exp(x) } }
    struct Log: UnaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.log(x) } }
    struct SquareRoot: UnaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x.squareRoot() } }
    struct Square: UnaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x * x } }
    struct Cube: UnaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x * x * x } }
    struct Power: UnaryScalarFunction {
        var exponent: Float
        @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.pow(x, exponent) }
    }
    struct ReLU: UnaryScalarFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : 0 } }
    /// (g, x) ↦ g where x > 0, else 0.
    struct KeepWherePositive: BinaryScalarFunction {
        @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float { x > 0 ? g : 0 }
    }
}
