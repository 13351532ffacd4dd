import Foundation

/// Element-wise operations with NumPy broadcasting. Their derivatives are in `Derivatives.swift`.
extension Tensor {
    /// Applies `f` to each pair of broadcast elements. Equal shapes and a single-element operand
    /// take straight loops; other broadcasts walk the shape with its axes coalesced (a bias
    /// [1, C, 1, 1] against [N, C, H, W] becomes runs of H·W). Large loops use every core.
    @inline(__always)
    static func broadcasting<F: BinaryScalarFunction>(_ a: Tensor, _ b: Tensor, name: String,
                                                      _ f: F) -> (shape: [Int], scalars: [Float]) {
        if a.shape == b.shape {
            let values = a.scalars.withUnsafeBufferPointer { x in
                b.scalars.withUnsafeBufferPointer { y in
                    ParallelLoops.filledArray(count: a.count) { range, out in
                        for i in range { out[i] = f(x[i], y[i]) }
                    }
                }
            }
            return (a.shape, values)
        }
        if b.count == 1 && b.rank <= a.rank {
            let y = b.scalars[0]
            let values = a.scalars.withUnsafeBufferPointer { x in
                ParallelLoops.filledArray(count: a.count) { range, out in
                    for i in range { out[i] = f(x[i], y) }
                }
            }
            return (a.shape, values)
        }
        if a.count == 1 && a.rank <= b.rank {
            let x = a.scalars[0]
            let values = b.scalars.withUnsafeBufferPointer { y in
                ParallelLoops.filledArray(count: b.count) { range, out in
                    for i in range { out[i] = f(x, y[i]) }
                }
            }
            return (b.shape, values)
        }
        let shape = Shape.broadcast(a.shape, b.shape, operation: name)
        let count = shape.reduce(1, *)
        let (walk, strides) = Shape.coalesced(shape, strides: [Shape.broadcastStrides(of: a.shape, to: shape),
                                                               Shape.broadcastStrides(of: b.shape, to: shape)])
        let innerA = strides[0].last ?? 0, innerB = strides[1].last ?? 0
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            a.scalars.withUnsafeBufferPointer { x in
                b.scalars.withUnsafeBufferPointer { y in
                    forEachRunInParallel(shape: walk, strides: strides) { offsets, position, run in
                        var i = offsets[0], j = offsets[1]
                        if innerB == 0 && innerA == 1 {  // a row against one value of b: the bias case
                            let yj = y[j]
                            for k in 0..<run { out[position + k] = f(x[i + k], yj) }
                        } else if innerA == 0 && innerB == 1 {
                            let xi = x[i]
                            for k in 0..<run { out[position + k] = f(xi, y[j + k]) }
                        } else if innerA == 1 && innerB == 1 {  // whole rows of both: an image times a mask
                            for k in 0..<run { out[position + k] = f(x[i + k], y[j + k]) }
                        } else {
                            for k in 0..<run {
                                out[position + k] = f(x[i], y[j])
                                i += innerA
                                j += innerB
                            }
                        }
                    }
                }
            }
            initialized = count
        }
        return (shape, values)
    }

    @inline(__always)
    func mapped<F: UnaryScalarFunction>(_ f: F) -> [Float] {
        scalars.withUnsafeBufferPointer { x in
            ParallelLoops.filledArray(count: count) { range, out in
                for i in range { out[i] = f(x[i]) }
            }
        }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let (shape, values) = broadcasting(a, b, name: "add", ScalarFunctions.Add())
        return Tensor(shape: shape, scalars: values, operation: .add, inputs: [a, b])
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let (shape, values) = broadcasting(a, b, name: "subtract", ScalarFunctions.Subtract())
        return Tensor(shape: shape, scalars: values, operation: .subtract, inputs: [a, b])
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let (shape, values) = broadcasting(a, b, name: "multiply", ScalarFunctions.Multiply())
        return Tensor(shape: shape, scalars: values, operation: .multiply, inputs: [a, b])
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let (shape, values) = broadcasting(a, b, name: "divide", ScalarFunctions.Divide())
        return Tensor(shape: shape, scalars: values, operation: .divide, inputs: [a, b])
    }

    public static prefix func - (x: Tensor) -> Tensor {
        Tensor(shape: x.shape, scalars: x.mapped(ScalarFunctions.Negate()), operation: .negate, inputs: [x])
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
        Tensor(shape: shape, scalars: mapped(ScalarFunctions.Exp()), operation: .exp, inputs: [self])
    }

    public func log() -> Tensor {
        Tensor(shape: shape, scalars: mapped(ScalarFunctions.Log()), operation: .log, inputs: [self])
    }

    public func sqrt() -> Tensor {
        Tensor(shape: shape, scalars: mapped(ScalarFunctions.SquareRoot()), operation: .sqrt, inputs: [self])
    }

    /// x^p element-wise for a constant exponent (squares and cubes are exact products).
    public func pow(_ exponent: Float) -> Tensor {
        let values: [Float]
        switch exponent {
        case 1: values = scalars
        case 2: values = mapped(ScalarFunctions.Square())
        case 3: values = mapped(ScalarFunctions.Cube())
        default: values = mapped(ScalarFunctions.Power(exponent: exponent))
        }
        return Tensor(shape: shape, scalars: values, operation: .power(exponent), inputs: [self])
    }

    public func squared() -> Tensor { pow(2) }

    /// max(x, 0).
    public func relu() -> Tensor {
        Tensor(shape: shape, scalars: mapped(ScalarFunctions.ReLU()), operation: .relu, inputs: [self])
    }

    /// `self` where `x > 0`, else 0: the ReLU's derivative applied to a gradient (PyTorch's
    /// threshold_backward). In one pass when nothing records it; otherwise as the product
    /// `self * (x > 0)`, which can be differentiated again.
    func keptWherePositive(_ x: Tensor) -> Tensor {
        guard !GradientMode.isRecording else { return self * x.isGreater(than: 0) }
        let (shape, values) = Tensor.broadcasting(self, x, name: "relu gradient", ScalarFunctions.KeepWherePositive())
        return Tensor(shape: shape, scalars: values)
    }

    /// Element-wise maximum with broadcasting.
    public func maximum(_ other: Tensor) -> Tensor {
        let (shape, values) = Tensor.broadcasting(self, other, name: "maximum", ScalarFunctions.Maximum())
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

    private func compared<F: BinaryScalarFunction>(_ other: Tensor, name: String, _ test: F) -> Tensor {
        let (shape, values) = Tensor.broadcasting(self, other, name: name, test)
        return Tensor(shape: shape, scalars: values)
    }

    public func isGreater(than other: Tensor) -> Tensor { compared(other, name: "isGreater", ScalarFunctions.IsGreater()) }
    public func isGreater(than value: Float) -> Tensor { isGreater(than: Tensor(value)) }
    public func isLess(than other: Tensor) -> Tensor { compared(other, name: "isLess", ScalarFunctions.IsLess()) }
    public func isLess(than value: Float) -> Tensor { isLess(than: Tensor(value)) }
    public func isEqual(to other: Tensor) -> Tensor { compared(other, name: "isEqual", ScalarFunctions.IsEqual()) }
    public func isEqual(to value: Float) -> Tensor { isEqual(to: Tensor(value)) }
}
