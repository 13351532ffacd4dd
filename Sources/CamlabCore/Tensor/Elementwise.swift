import Foundation

/// Element-wise operations with NumPy broadcasting. Their derivatives are in `Derivatives.swift`.
extension Tensor {
    /// Applies `f` to each pair of broadcast elements.
    @inline(__always)
    static func broadcasting(_ a: Tensor, _ b: Tensor, name: String,
                             _ f: (Float, Float) -> Float) -> (shape: [Int], scalars: [Float]) {
        if a.shape == b.shape {
            let values = [Float](unsafeUninitializedCapacity: a.count) { out, initialized in
                a.scalars.withUnsafeBufferPointer { x in
                    b.scalars.withUnsafeBufferPointer { y in
                        for i in 0..<x.count { out[i] = f(x[i], y[i]) }
                    }
                }
                initialized = a.count
            }
            return (a.shape, values)
        }
        let shape = Shape.broadcast(a.shape, b.shape, operation: name)
        let count = shape.reduce(1, *)
        let stridesA = Shape.broadcastStrides(of: a.shape, to: shape)
        let stridesB = Shape.broadcastStrides(of: b.shape, to: shape)
        let innerA = stridesA.last ?? 0, innerB = stridesB.last ?? 0
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            a.scalars.withUnsafeBufferPointer { x in
                b.scalars.withUnsafeBufferPointer { y in
                    var position = 0
                    forEachRun(shape: shape, strides: [stridesA, stridesB]) { offsets, run in
                        var i = offsets[0], j = offsets[1]
                        for k in 0..<run {
                            out[position + k] = f(x[i], y[j])
                            i += innerA
                            j += innerB
                        }
                        position += run
                    }
                }
            }
            initialized = count
        }
        return (shape, values)
    }

    @inline(__always)
    func mapped(_ f: (Float) -> Float) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            scalars.withUnsafeBufferPointer { x in
                for i in 0..<x.count { out[i] = f(x[i]) }
            }
            initialized = count
        }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let (shape, values) = broadcasting(a, b, name: "add") { $0 + $1 }
        return Tensor(shape: shape, scalars: values, operation: .add, inputs: [a, b])
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let (shape, values) = broadcasting(a, b, name: "subtract") { $0 - $1 }
        return Tensor(shape: shape, scalars: values, operation: .subtract, inputs: [a, b])
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let (shape, values) = broadcasting(a, b, name: "multiply") { $0 * $1 }
        return Tensor(shape: shape, scalars: values, operation: .multiply, inputs: [a, b])
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let (shape, values) = broadcasting(a, b, name: "divide") { $0 / $1 }
        return Tensor(shape: shape, scalars: values, operation: .divide, inputs: [a, b])
    }

    public static prefix func - (x: Tensor) -> Tensor {
        Tensor(shape: x.shape, scalars: x.mapped { -$0 }, operation: .negate, inputs: [x])
    }

    // Scalars on either side are rank-0 tensors: one rule covers both.
    public static func + (a: Tensor, b: Float) -> Tensor { a + Tensor(b) }
    public static func + (a: Float, b: Tensor) -> Tensor { Tensor(a) + b }
    public static func - (a: Tensor, b: Float) -> Tensor { a - Tensor(b) }
    public static func - (a: Float, b: Tensor) -> Tensor { Tensor(a) - b }
    public static func * (a: Tensor, b: Float) -> Tensor { a * Tensor(b) }
    public static func * (a: Float, b: Tensor) -> Tensor { Tensor(a) * b }
    public static func / (a: Tensor, b: Float) -> Tensor { a / Tensor(b) }
    public static func / (a: Float, b: Tensor) -> Tensor { Tensor(a) / b }

    public func exp() -> Tensor {
        Tensor(shape: shape, scalars: mapped { Foundation.exp($0) }, operation: .exp, inputs: [self])
    }

    public func log() -> Tensor {
        Tensor(shape: shape, scalars: mapped { Foundation.log($0) }, operation: .log, inputs: [self])
    }

    public func sqrt() -> Tensor {
        Tensor(shape: shape, scalars: mapped { $0.squareRoot() }, operation: .sqrt, inputs: [self])
    }

    /// x^p element-wise for a constant exponent (squares and cubes are exact products).
    public func pow(_ exponent: Float) -> Tensor {
        let values: [Float]
        switch exponent {
        case 1: values = scalars
        case 2: values = mapped { $0 * $0 }
        case 3: values = mapped { $0 * $0 * $0 }
        default: values = mapped { Foundation.pow($0, exponent) }
        }
        return Tensor(shape: shape, scalars: values, operation: .power(exponent), inputs: [self])
    }

    public func squared() -> Tensor { pow(2) }

    /// max(x, 0).
    public func relu() -> Tensor {
        Tensor(shape: shape, scalars: mapped { $0 > 0 ? $0 : 0 }, operation: .relu, inputs: [self])
    }

    /// Element-wise maximum with broadcasting.
    public func maximum(_ other: Tensor) -> Tensor {
        let (shape, values) = Tensor.broadcasting(self, other, name: "maximum") { Swift.max($0, $1) }
        return Tensor(shape: shape, scalars: values, operation: .maximum, inputs: [self, other])
    }

    public func maximum(_ value: Float) -> Tensor { maximum(Tensor(value)) }
    public func minimum(_ other: Tensor) -> Tensor { -((-self).maximum(-other)) }
    public func abs() -> Tensor { maximum(-self) }

    /// `mask ? a : b` element-wise. The mask is a constant (gradients never flow into it); `a` and
    /// `b` are broadcast to the mask's shape.
    public static func select(where mask: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = Shape.broadcast(Shape.broadcast(mask.shape, a.shape, operation: "select"),
                                    b.shape, operation: "select")
        let full = mask.shape == shape ? mask : mask.detached().expanded(to: shape)
        let (left, right) = (a.expanded(to: shape), b.expanded(to: shape))
        var values = right.scalars
        for i in 0..<values.count where full.scalars[i] != 0 { values[i] = left.scalars[i] }
        return Tensor(shape: shape, scalars: values, operation: .select(mask: full.detached()),
                      inputs: [left, right])
    }

    // MARK: Comparisons: constant 0/1 masks, outside the graph.

    private func compared(_ other: Tensor, name: String, _ test: (Float, Float) -> Bool) -> Tensor {
        let (shape, values) = Tensor.broadcasting(self, other, name: name) { test($0, $1) ? 1 : 0 }
        return Tensor(shape: shape, scalars: values)
    }

    public func isGreater(than other: Tensor) -> Tensor { compared(other, name: "isGreater") { $0 > $1 } }
    public func isGreater(than value: Float) -> Tensor { isGreater(than: Tensor(value)) }
    public func isLess(than other: Tensor) -> Tensor { compared(other, name: "isLess") { $0 < $1 } }
    public func isLess(than value: Float) -> Tensor { isLess(than: Tensor(value)) }
    public func isEqual(to other: Tensor) -> Tensor { compared(other, name: "isEqual") { $0 == $1 } }
    public func isEqual(to value: Float) -> Tensor { isEqual(to: Tensor(value)) }
}
