/// One layer of a camlab-model/1 network (a flat list; camlab-model/2 stores a tree of `ModuleSpec`s), as written in the architecture JSON.
///
/// Parameter names follow PyTorch's `nn.Sequential` state dicts: `<name>.weight`, `<name>.bias`.
public enum LayerSpec: Equatable, Sendable {
    /// 2-D convolution with square kernel; weight `[out, in, kernel, kernel]`, bias `[out]`.
    case conv2d(name: String, in: Int, out: Int, kernel: Int, stride: Int = 1, padding: Int = 0)
    /// max(x, 0), elementwise.
    case relu(name: String)
    /// Max pooling over square windows without padding.
    case maxPool2d(name: String, kernel: Int, stride: Int)
    /// The mean of each channel over all positions: `[C, H, W]` → `[C]`.
    case globalAvgPool(name: String)
    /// y = W x + b; weight `[out, in]`, bias `[out]`.
    case linear(name: String, in: Int, out: Int)

    /// Max pooling whose stride defaults to its kernel, as in PyTorch.
    public static func maxPool2d(name: String, kernel: Int) -> LayerSpec {
        .maxPool2d(name: name, kernel: kernel, stride: kernel)
    }

    /// The layer's name, unique within the architecture.
    public var name: String {
        switch self {
        case let .conv2d(name, _, _, _, _, _), let .relu(name), let .maxPool2d(name, _, _),
             let .globalAvgPool(name), let .linear(name, _, _):
            return name
        }
    }

    /// The `type` string of the JSON document.
    public var typeName: String {
        switch self {
        case .conv2d: return "conv2d"
        case .relu: return "relu"
        case .maxPool2d: return "maxpool2d"
        case .globalAvgPool: return "global_avg_pool"
        case .linear: return "linear"
        }
    }

    /// The layer's parameters in state-dict order (weight, then bias) with PyTorch's shapes.
    public var parameterShapes: [(name: String, shape: [Int])] {
        switch self {
        case let .conv2d(name, inChannels, outChannels, kernel, _, _):
            return [("\(name).weight", [outChannels, inChannels, kernel, kernel]), ("\(name).bias", [outChannels])]
        case let .linear(name, inFeatures, outFeatures):
            return [("\(name).weight", [outFeatures, inFeatures]), ("\(name).bias", [outFeatures])]
        case .relu, .maxPool2d, .globalAvgPool:
            return []
        }
    }
}


extension LayerSpec {
    /// The same layer as a module of the tree.
    var moduleSpec: ModuleSpec {
        switch self {
        case let .conv2d(name, inChannels, outChannels, kernel, stride, padding):
            return ModuleSpec(name, .conv2d(Conv2dSpec(in: inChannels, out: outChannels, kernel: [kernel, kernel],
                                                       stride: stride, padding: padding)))
        case let .relu(name): return ModuleSpec(name, .relu)
        case let .maxPool2d(name, kernel, stride): return ModuleSpec(name, .maxPool2d(PoolSpec(kernel: kernel, stride: stride)))
        case let .globalAvgPool(name): return ModuleSpec(name, .globalAvgPool)
        case let .linear(name, inFeatures, outFeatures): return ModuleSpec(name, .linear(in: inFeatures, out: outFeatures, bias: true))
        }
    }

    /// The camlab-model/1 layer a module is, if version 1 can express it.
    init?(_ spec: ModuleSpec) {
        guard spec.children.isEmpty else { return nil }
        switch spec.kind {
        case let .conv2d(c) where c.kernel[0] == c.kernel[1] && c.dilation == 1 && c.groups == 1 && c.bias:
            self = .conv2d(name: spec.name, in: c.inChannels, out: c.outChannels, kernel: c.kernel[0], stride: c.stride, padding: c.padding)
        case .relu: self = .relu(name: spec.name)
        case let .maxPool2d(p) where p.padding == 0 && p.dilation == 1 && !p.ceilMode:
            self = .maxPool2d(name: spec.name, kernel: p.kernel, stride: p.stride)
        case .globalAvgPool: self = .globalAvgPool(name: spec.name)
        case let .linear(inFeatures, outFeatures, true): self = .linear(name: spec.name, in: inFeatures, out: outFeatures)
        default: return nil
        }
    }
}
