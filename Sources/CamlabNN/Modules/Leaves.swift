import CamlabCore
import Foundation

/// `nn.Conv2d`: weight [out, in / groups, kh, kw], optional bias [out].
public final class Conv2d: WeightedModule {
    public let path: String
    public let spec: Conv2dSpec
    public internal(set) var weight: Tensor
    public internal(set) var bias: Tensor?
    public var kindName: String { "Conv2d" }

    init(path: String, spec: Conv2dSpec, weight: Tensor, bias: Tensor?) {
        (self.path, self.spec, self.weight, self.bias) = (path, spec, weight, bias)
    }

    public func apply(_ x: Tensor, _ context: RunContext) -> Tensor {
        fused(x, batchNorm: nil, adding: nil, relu: false, context: context)
    }

    /// This convolution with a BatchNorm folded into its weights and bias (w γ/√(σ² + ε) and
    /// (b − μ) γ/√(σ² + ε) + β: inference only), an optional residual added and an optional
    /// ReLU, in one pass.
    func fused(_ x: Tensor, batchNorm: BatchNorm2d?, adding residual: Tensor?, relu: Bool,
               context: RunContext) -> Tensor {
        let (w, b) = batchNorm?.folded(into: self) ?? (weight, bias)
        // Training changes the weight every step: packing it once would not be once.
        let packed = context.isTraining || GradientMode.isRecording ? nil : packed(w)
        return relu
            ? x.conv2dReLU(weight: w, bias: b, stride: spec.stride, padding: spec.padding, dilation: spec.dilation,
                           groups: spec.groups, adding: residual, packed: packed)
            : x.conv2d(weight: w, bias: b, stride: spec.stride, padding: spec.padding, dilation: spec.dilation,
                       groups: spec.groups, adding: residual, packed: packed)
    }

    private let packLock = NSLock()
    private var packedCache: PackedConvolutionWeight?

    /// The direct kernels' layout of `w` (this convolution's weight or its BatchNorm-folded one),
    /// made once per weight tensor; nil when this convolution runs as a GEMM.
    private func packed(_ w: Tensor) -> PackedConvolutionWeight? {
        packLock.lock()
        defer { packLock.unlock() }
        if let cached = packedCache, cached.weight === w { return cached }
        packedCache = PackedConvolutionWeight(weight: w, stride: spec.stride, padding: spec.padding,
                                              dilation: spec.dilation, groups: spec.groups)
        return packedCache
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 3 else { throw ModuleShapeError("\(kindName) '\(path)' needs a C×H×W input but gets \(ModuleShapeError.list(input))") }
        guard input[0] == spec.inChannels else {
            throw ModuleShapeError("\(kindName) '\(path)' expects \(spec.inChannels) input channels but gets \(input[0])")
        }
        return [spec.outChannels,
                try slidingWindowCount(input[1], kernel: spec.kernel[0], stride: spec.stride, padding: spec.padding,
                                       dilation: spec.dilation, ceilMode: false, module: path),
                try slidingWindowCount(input[2], kernel: spec.kernel[1], stride: spec.stride, padding: spec.padding,
                                       dilation: spec.dilation, ceilMode: false, module: path)]
    }

}

/// `nn.BatchNorm2d`: y = (x − E[x]) / √(Var[x] + ε) · γ + β per channel, with the running
/// statistics in evaluation and the batch's in training (then updated with `momentum`).
public final class BatchNorm2d: LeafModule {
    public let path: String
    public let features: Int
    public let epsilon: Float
    public let momentum: Float
    public internal(set) var weight: Tensor
    public internal(set) var bias: Tensor
    public internal(set) var runningMean: Tensor
    public internal(set) var runningVariance: Tensor
    public internal(set) var batchesTracked: Tensor
    public var kindName: String { "BatchNorm2d" }

    init(path: String, features: Int, epsilon: Float, momentum: Float, tensors: [String: Tensor]) {
        (self.path, self.features, self.epsilon, self.momentum) = (path, features, epsilon, momentum)
        func tensor(_ suffix: String) -> Tensor { tensors[path.isEmpty ? suffix : path + "." + suffix]! }
        (weight, bias) = (tensor("weight"), tensor("bias"))
        (runningMean, runningVariance, batchesTracked) = (tensor("running_mean"), tensor("running_var"), tensor("num_batches_tracked"))
    }

    public func apply(_ x: Tensor, _ context: RunContext) -> Tensor {
        guard context.isTraining else {
            // As PyTorch's CPU kernel computes it: y = x · α + β' with α = γ/√(σ² + ε), β' = β − μα.
            let (scale, shift) = affine
            return x * scale.reshaped(to: [1, features, 1, 1]) + shift.reshaped(to: [1, features, 1, 1])
        }
        let (y, mean, variance) = x.batchNormalizedWithBatchStatistics(weight: weight, bias: bias, epsilon: epsilon)
        context.batchStatistics.append((self, mean, variance))
        return y
    }

    /// α = γ/√(σ² + ε) and β − μα: the affine map this BatchNorm is in evaluation (differentiable
    /// in γ and β).
    var affine: (scale: Tensor, shift: Tensor) {
        let scale = weight / (runningVariance + epsilon).sqrt()
        return (scale, bias - runningMean * scale)
    }

    private let foldLock = NSLock()
    private var foldedCache: (key: [ObjectIdentifier], weight: Tensor, bias: Tensor)?

    /// The weight and bias of `convolution` with this BatchNorm folded in, computed once for the
    /// tensors they are made of (training replaces them, which makes a new key).
    func folded(into convolution: Conv2d) -> (weight: Tensor, bias: Tensor) {
        var key = [weight, bias, runningMean, runningVariance, convolution.weight].map(ObjectIdentifier.init)
        if let b = convolution.bias { key.append(ObjectIdentifier(b)) }
        foldLock.lock()
        defer { foldLock.unlock() }
        if let cached = foldedCache, cached.key == key { return (cached.weight, cached.bias) }
        let (w, b) = withoutGradient { () -> (Tensor, Tensor) in
            let (scale, shift) = affine
            let perFilter = convolution.weight.count / features
            let weight = Tensor(shape: convolution.weight.shape, scalars: convolution.weight.scalars.enumerated().map { index, value in
                value * scale.scalars[index / perFilter]
            })
            let bias = (convolution.bias.map { $0 * scale } ?? Tensor.zeros([features])) + shift
            return (weight, bias.detached())
        }
        foldedCache = (key, w, b)
        return (w, b)
    }

    /// PyTorch's running update after a training step: r ← (1 − m) r + m · batch statistic
    /// (the variance unbiased), and one more batch tracked.
    public func updateRunningStatistics(mean: Tensor, variance: Tensor) {
        let m = momentum
        runningMean = Tensor(shape: [features], scalars: zip(runningMean.scalars, mean.scalars).map { (1 - m) * $0 + m * $1 })
        runningVariance = Tensor(shape: [features], scalars: zip(runningVariance.scalars, variance.scalars).map { (1 - m) * $0 + m * $1 })
        batchesTracked = Tensor(shape: batchesTracked.shape, scalars: [batchesTracked.scalars[0] + 1])
    }

    /// The bias of the affine map this BatchNorm is in evaluation: β − μ γ / √(σ² + ε)
    /// (what FullGrad counts as its bias).
    public var effectiveBias: Tensor {
        withoutGradient {
            bias.detached() - runningMean * weight.detached() / (runningVariance + epsilon).sqrt()
        }
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 3, input[0] == features else {
            throw ModuleShapeError("\(kindName) '\(path)' expects \(features)×H×W but gets \(ModuleShapeError.list(input))")
        }
        return input
    }

    public var parameters: [(name: String, tensor: Tensor)] { [(key("weight"), weight), (key("bias"), bias)] }
    public var buffers: [(name: String, tensor: Tensor)] {
        [(key("running_mean"), runningMean), (key("running_var"), runningVariance), (key("num_batches_tracked"), batchesTracked)]
    }

    public func setTensor(named name: String, to tensor: Tensor) {
        switch name {
        case key("weight"): weight = tensor
        case key("bias"): bias = tensor
        case key("running_mean"): runningMean = tensor
        case key("running_var"): runningVariance = tensor
        case key("num_batches_tracked"): batchesTracked = tensor
        default: preconditionFailure("module '\(path)' has no tensor '\(name)'")
        }
    }
}

/// `nn.ReLU`: max(x, 0).
public final class ReLU: LeafModule {
    public let path: String
    public var kindName: String { "ReLU" }
    init(path: String) { self.path = path }
    public func apply(_ x: Tensor, _ context: RunContext) -> Tensor { x.relu() }
    public func outputShape(for input: [Int]) throws -> [Int] { input }
}

/// `nn.MaxPool2d` and `nn.AvgPool2d` (PyTorch's padding, dilation and ceil_mode rules).
public final class Pool2d: LeafModule {
    public let path: String
    public let spec: PoolSpec
    public let isMax: Bool
    public var kindName: String { isMax ? "MaxPool2d" : "AvgPool2d" }

    init(path: String, spec: PoolSpec, isMax: Bool) { (self.path, self.spec, self.isMax) = (path, spec, isMax) }

    public func apply(_ x: Tensor, _ context: RunContext) -> Tensor {
        isMax
            ? x.maxPool2d(kernel: spec.kernel, stride: spec.stride, padding: spec.padding, dilation: spec.dilation,
                          ceilMode: spec.ceilMode)
            : x.avgPool2d(kernel: spec.kernel, stride: spec.stride, padding: spec.padding, ceilMode: spec.ceilMode,
                          countIncludingPadding: spec.countIncludesPadding)
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 3 else { throw ModuleShapeError("\(kindName) '\(path)' needs a C×H×W input but gets \(ModuleShapeError.list(input))") }
        guard spec.padding * 2 <= spec.kernel else {
            throw ModuleShapeError("\(kindName) '\(path)': padding \(spec.padding) is more than half the kernel \(spec.kernel) (PyTorch refuses it too)")
        }
        return [input[0],
                try slidingWindowCount(input[1], kernel: spec.kernel, stride: spec.stride, padding: spec.padding,
                                       dilation: spec.dilation, ceilMode: spec.ceilMode, module: path),
                try slidingWindowCount(input[2], kernel: spec.kernel, stride: spec.stride, padding: spec.padding,
                                       dilation: spec.dilation, ceilMode: spec.ceilMode, module: path)]
    }
}

/// `nn.AdaptiveAvgPool2d((h, w))`: PyTorch's bins, so any input size gives an h×w output.
public final class AdaptiveAvgPool2d: LeafModule {
    public let path: String
    public let height: Int
    public let width: Int
    public var kindName: String { "AdaptiveAvgPool2d" }

    init(path: String, height: Int, width: Int) { (self.path, self.height, self.width) = (path, height, width) }

    public func apply(_ x: Tensor, _ context: RunContext) -> Tensor {
        height == 1 && width == 1
            ? x.globalAveragePooled().reshaped(to: [x.shape[0], x.shape[1], 1, 1])
            : x.adaptiveAveragePooled(height: height, width: width)
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 3 else { throw ModuleShapeError("\(kindName) '\(path)' needs a C×H×W input but gets \(ModuleShapeError.list(input))") }
        return [input[0], height, width]
    }
}

/// camlab-model/1's `global_avg_pool`: [N, C, H, W] → [N, C], F^k = (1/Z) Σ_ij A^k_ij
/// (PyTorch: `nn.AdaptiveAvgPool2d(1)` then `nn.Flatten()`).
public final class GlobalAvgPool: LeafModule {
    public let path: String
    public var kindName: String { "GlobalAvgPool" }
    init(path: String) { self.path = path }
    public func apply(_ x: Tensor, _ context: RunContext) -> Tensor { x.globalAveragePooled() }
    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 3 else { throw ModuleShapeError("global_avg_pool '\(path)' needs a C×H×W input but gets \(ModuleShapeError.list(input))") }
        return [input[0]]
    }
}

/// `nn.Flatten()`: everything after the batch axis in one.
public final class Flatten: LeafModule {
    public let path: String
    public var kindName: String { "Flatten" }
    init(path: String) { self.path = path }
    public func apply(_ x: Tensor, _ context: RunContext) -> Tensor { x.reshaped(to: [x.shape[0], x.count / max(x.shape[0], 1)]) }
    public func outputShape(for input: [Int]) throws -> [Int] { [input.reduce(1, *)] }
}

/// `nn.Linear`: y = x Wᵀ + b, weight [out, in].
public final class Linear: WeightedModule {
    public let path: String
    public let inFeatures: Int
    public let outFeatures: Int
    public internal(set) var weight: Tensor
    public internal(set) var bias: Tensor?
    public var kindName: String { "Linear" }

    init(path: String, inFeatures: Int, outFeatures: Int, weight: Tensor, bias: Tensor?) {
        (self.path, self.inFeatures, self.outFeatures, self.weight, self.bias) = (path, inFeatures, outFeatures, weight, bias)
    }

    public func apply(_ x: Tensor, _ context: RunContext) -> Tensor {
        let y = x.matmul(transposing: weight)
        return bias.map { y + $0 } ?? y
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 1 else {
            throw ModuleShapeError("Linear '\(path)' gets a \(ModuleShapeError.list(input)) map; it needs a flattened vector (put a flatten or a global average pool before it)")
        }
        guard input[0] == inFeatures else {
            throw ModuleShapeError("Linear '\(path)' expects \(inFeatures) inputs but gets \(input[0])")
        }
        return [outFeatures]
    }

}

/// `nn.Dropout` and `nn.Identity`: nothing, when explaining (dropout is an identity in `eval()`).
public final class PassThrough: LeafModule {
    public let path: String
    public let kindName: String
    /// Dropout's probability (0 for an identity).
    public let probability: Double

    init(path: String, kindName: String, probability: Double = 0) {
        (self.path, self.kindName, self.probability) = (path, kindName, probability)
    }

    public func forward(_ x: Traced) -> Traced { x }
    public func apply(_ x: Tensor, _ context: RunContext) -> Tensor { x }
    public func outputShape(for input: [Int]) throws -> [Int] { input }
}

/// A module with a weight and an optional bias (`nn.Conv2d`, `nn.Linear`), whose state-dict keys
/// are `<path>.weight` and `<path>.bias`.
protocol WeightedModule: LeafModule {
    var weight: Tensor { get set }
    var bias: Tensor? { get set }
}

extension WeightedModule {
    public var parameters: [(name: String, tensor: Tensor)] {
        [(key("weight"), weight)] + (bias.map { [(key("bias"), $0)] } ?? [])
    }

    public func setTensor(named name: String, to tensor: Tensor) {
        switch name {
        case key("weight"): precondition(tensor.shape == weight.shape); weight = tensor
        case key("bias") where bias != nil: precondition(tensor.shape == bias!.shape); bias = tensor
        default: preconditionFailure("module '\(path)' has no tensor '\(name)'")
        }
    }
}

/// The number of positions of a sliding window along one axis, with PyTorch's rules:
/// ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1, rounded up in ceil mode unless the last window would
/// start in the right padding.
func slidingWindowCount(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool,
                        module: String) throws -> Int {
    let (twice, o1) = padding.multipliedReportingOverflow(by: 2)
    let (padded, o2) = size.addingReportingOverflow(twice)
    let span = dilation * (kernel - 1) + 1
    guard !o1, !o2, padded >= span else {
        throw ModuleShapeError("'\(module)' gets a map of size \(size), smaller than its \(kernel)-wide window even with padding \(padding): the image is too small for this network")
    }
    var count = (ceilMode ? (padded - span + stride - 1) : (padded - span)) / stride + 1
    if ceilMode && (count - 1) * stride >= size + padding { count -= 1 }
    return count
}
