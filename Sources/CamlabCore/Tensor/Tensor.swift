import Foundation

/// An n-dimensional array of `Float`, row-major, that remembers how it was computed.
///
/// A tensor made by an operation while gradients are being recorded keeps that operation and
/// its inputs (`operation`, `inputs`): the recorded graph that `gradients(of:withRespectTo:)`
/// walks backwards. Tensors never share storage or alias each other: every operation makes a new,
/// contiguous tensor, which keeps the kernels simple and the graph easy to reason about.
public final class Tensor {
    /// The size of each axis, outermost first.
    public let shape: [Int]
    /// The elements in row-major order.
    public let scalars: [Float]
    /// Whether gradients with respect to this tensor are wanted (leaves) or can flow through it
    /// (results of recorded operations).
    public let requiresGradient: Bool
    /// The primitive operation that produced this tensor, when it was recorded.
    public let operation: Operation?
    /// The tensors `operation` was applied to.
    public let inputs: [Tensor]

    /// A leaf tensor: data with a shape.
    public init(shape: [Int], scalars: [Float], requiresGradient: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative size")
        precondition(scalars.count == shape.reduce(1, *),
                     "Tensor shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
        self.requiresGradient = requiresGradient
        self.operation = nil
        self.inputs = []
    }

    /// The result of a primitive operation; recorded in the graph when gradient recording is on
    /// and some input can carry a gradient.
    init(shape: [Int], scalars: [Float], operation: Operation, inputs: [Tensor]) {
        assert(scalars.count == shape.reduce(1, *))
        self.shape = shape
        self.scalars = scalars
        if GradientMode.isRecording && inputs.contains(where: \.requiresGradient) {
            self.requiresGradient = true
            self.operation = operation
            self.inputs = inputs
        } else {
            self.requiresGradient = false
            self.operation = nil
            self.inputs = []
        }
    }

    /// A scalar (rank-0) tensor.
    public convenience init(_ value: Float) {
        self.init(shape: [], scalars: [value])
    }

    /// A tensor from nested rows, for examples and tests: `Tensor([[1, 2], [3, 4]])`.
    public convenience init(_ rows: [[Float]]) {
        let width = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == width }, "Tensor rows must all have the same length")
        self.init(shape: [rows.count, width], scalars: rows.flatMap { $0 })
    }

    /// A rank-1 tensor.
    public convenience init(_ vector: [Float]) {
        self.init(shape: [vector.count], scalars: vector)
    }

    public var rank: Int { shape.count }
    public var count: Int { scalars.count }

    /// The only element of a tensor with one element.
    public var scalar: Float {
        precondition(count == 1, "scalar needs a tensor with one element, not shape \(shape)")
        return scalars[0]
    }

    /// The same values, cut off from the graph: gradients do not flow through the result.
    public func detached() -> Tensor { Tensor(shape: shape, scalars: scalars) }

    /// The same values as a leaf whose gradient is wanted.
    public func requiringGradient() -> Tensor {
        Tensor(shape: shape, scalars: scalars, requiresGradient: true)
    }

    // MARK: Creation

    public static func zeros(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public static func ones(_ shape: [Int]) -> Tensor {
        Tensor(repeating: 1, shape: shape)
    }

    public convenience init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// Samples uniform in [low, high) from a seeded generator: the same seed gives the same bits.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                               generator: inout RandomGenerator, requiresGradient: Bool = false) -> Tensor {
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count { values[i] = generator.nextUniform(low, high) }
        return Tensor(shape: shape, scalars: values, requiresGradient: requiresGradient)
    }

    /// Samples from N(mean, standardDeviation²) with a seeded generator.
    public static func normal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                              generator: inout RandomGenerator, requiresGradient: Bool = false) -> Tensor {
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            values[i] = Float(Double(mean) + Double(standardDeviation) * generator.nextNormal())
        }
        return Tensor(shape: shape, scalars: values, requiresGradient: requiresGradient)
    }

    /// 0, 1, …, count − 1 as Floats.
    public static func arange(_ count: Int) -> Tensor {
        Tensor(shape: [count], scalars: (0..<count).map(Float.init))
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        func format(_ x: Float) -> String {
            if x.isNaN { return "nan" }
            let text = String(format: "%.4f", Double(x))
            return text
        }
        if rank == 0 { return format(scalars[0]) }
        if count > 64 { return "Tensor(shape: \(shape))" }
        func render(_ axis: Int, _ offset: Int) -> String {
            let stride = shape[(axis + 1)...].reduce(1, *)
            let parts = (0..<shape[axis]).map { i in
                axis == rank - 1 ? format(scalars[offset + i]) : render(axis + 1, offset + i * stride)
            }
            return "[" + parts.joined(separator: axis == rank - 1 ? ", " : ",\n") + "]"
        }
        return render(0, 0)
    }
}
