/// One module of a network's tree, as camlab-model/2 stores it: a PyTorch module, the arguments
/// of its constructor, and its children. `name` is the module's own name in its parent (`conv1`,
/// `0`); joined with dots from the root, the names give the module paths and state-dict keys.
public struct ModuleSpec: Equatable, Sendable {
    public var name: String
    public var kind: Kind
    public var children: [ModuleSpec]

    public init(_ name: String, _ kind: Kind, children: [ModuleSpec] = []) {
        (self.name, self.kind, self.children) = (name, kind, children)
    }

    public enum Kind: Equatable, Sendable {
        case conv2d(Conv2dSpec)
        case batchNorm2d(features: Int, epsilon: Double, momentum: Double)
        case relu
        case maxPool2d(PoolSpec)
        case avgPool2d(PoolSpec)
        case adaptiveAvgPool2d(height: Int, width: Int)
        /// camlab-model/1's global average pooling, which also flattens.
        case globalAvgPool
        case flatten
        case linear(in: Int, out: Int, bias: Bool)
        case dropout(probability: Double)
        case identity
        case sequential
        case basicBlock
        case bottleneck
        /// torchvision's `ResNet`: children in order, flattened before `fc`.
        case resNet
        /// torchvision's `VGG`: `features`, `avgpool`, flattened, `classifier`.
        case vgg
    }

    /// The `type` string of the JSON document.
    public var typeName: String {
        switch kind {
        case .conv2d: "conv2d"
        case .batchNorm2d: "batchnorm2d"
        case .relu: "relu"
        case .maxPool2d: "maxpool2d"
        case .avgPool2d: "avgpool2d"
        case .adaptiveAvgPool2d: "adaptive_avgpool2d"
        case .globalAvgPool: "global_avg_pool"
        case .flatten: "flatten"
        case .linear: "linear"
        case .dropout: "dropout"
        case .identity: "identity"
        case .sequential: "sequential"
        case .basicBlock: "basic_block"
        case .bottleneck: "bottleneck"
        case .resNet: "resnet"
        case .vgg: "vgg"
        }
    }

    /// Every module under this one with its path, parents first (`prefix` is this module's path).
    public func flattened(prefix: String) -> [(path: String, spec: ModuleSpec)] {
        [(prefix, self)] + children.flatMap { child in
            child.flattened(prefix: prefix.isEmpty ? child.name : prefix + "." + child.name)
        }
    }

    /// The state-dict tensors of this module itself (not its children), with PyTorch's shapes.
    public var tensorShapes: [(suffix: String, shape: [Int])] {
        switch kind {
        case let .conv2d(c):
            return [("weight", [c.outChannels, c.inChannels / c.groups] + c.kernel)] + (c.bias ? [("bias", [c.outChannels])] : [])
        case let .batchNorm2d(features, _, _):
            return [("weight", [features]), ("bias", [features]), ("running_mean", [features]),
                    ("running_var", [features]), ("num_batches_tracked", [])]
        case let .linear(inFeatures, outFeatures, bias):
            return [("weight", [outFeatures, inFeatures])] + (bias ? [("bias", [outFeatures])] : [])
        default:
            return []
        }
    }
}

/// `nn.Conv2d`'s arguments (square stride, padding and dilation, as torchvision's models use).
public struct Conv2dSpec: Equatable, Sendable {
    public var inChannels: Int
    public var outChannels: Int
    /// [kh, kw].
    public var kernel: [Int]
    public var stride: Int
    public var padding: Int
    public var dilation: Int
    public var groups: Int
    public var bias: Bool

    public init(in inChannels: Int, out outChannels: Int, kernel: [Int], stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        (self.inChannels, self.outChannels, self.kernel) = (inChannels, outChannels, kernel)
        (self.stride, self.padding, self.dilation, self.groups, self.bias) = (stride, padding, dilation, groups, bias)
    }
}

/// The arguments of `nn.MaxPool2d` and `nn.AvgPool2d` (square windows).
public struct PoolSpec: Equatable, Sendable {
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    public var dilation: Int
    public var ceilMode: Bool
    /// AvgPool2d's `count_include_pad`.
    public var countIncludesPadding: Bool

    public init(kernel: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false,
                countIncludesPadding: Bool = true) {
        (self.kernel, self.stride, self.padding) = (kernel, stride ?? kernel, padding)
        (self.dilation, self.ceilMode, self.countIncludesPadding) = (dilation, ceilMode, countIncludesPadding)
    }
}
