import CamlabCore

/// PyTorch's default initialization of a module's tensors, drawn in state-dict order from one
/// generator: conv and linear weights `kaiming_uniform_(a=√5)`, which is U(−1/√fan_in, 1/√fan_in),
/// and the same bound for their biases; BatchNorm γ = 1, β = 0, running mean 0, variance 1.
func defaultInitialization(_ architecture: Architecture, seed: UInt64) -> [String: Tensor] {
    var generator = RandomGenerator(seed: seed)
    var tensors: [String: Tensor] = [:]
    for (path, spec) in architecture.modules {
        let shapes = spec.tensorShapes
        func key(_ suffix: String) -> String { path.isEmpty ? suffix : path + "." + suffix }
        switch spec.kind {
        case .conv2d, .linear:
            let weightShape = shapes[0].shape
            let bound = 1 / Float(Double(weightShape.dropFirst().reduce(1, *)).squareRoot())
            for (suffix, shape) in shapes {
                tensors[key(suffix)] = Tensor.uniform(shape, low: -bound, high: bound, generator: &generator, requiresGradient: true)
            }
        case let .batchNorm2d(features, _, _):
            tensors[key("weight")] = Tensor.ones([features]).requiringGradient()
            tensors[key("bias")] = Tensor.zeros([features]).requiringGradient()
            tensors[key("running_mean")] = Tensor.zeros([features])
            tensors[key("running_var")] = Tensor.ones([features])
            tensors[key("num_batches_tracked")] = Tensor.zeros([])
        default:
            break
        }
    }
    return tensors
}

/// Builds the modules of a tree from its spec and the tensors of its state dict.
func buildModule(_ spec: ModuleSpec, path: String, tensors: [String: Tensor]) -> Module {
    func key(_ suffix: String) -> String { path.isEmpty ? suffix : path + "." + suffix }
    func parameter(_ suffix: String) -> Tensor {
        let tensor = tensors[key(suffix)]!
        return tensor.requiresGradient ? tensor : tensor.requiringGradient()
    }
    func children() -> [Module] {
        spec.children.map { buildModule($0, path: path.isEmpty ? $0.name : path + "." + $0.name, tensors: tensors) }
    }
    func named() -> [String: Module] {
        Dictionary(uniqueKeysWithValues: zip(spec.children.map(\.name), children()))
    }
    switch spec.kind {
    case let .conv2d(c):
        return Conv2d(path: path, spec: c, weight: parameter("weight"), bias: c.bias ? parameter("bias") : nil)
    case let .batchNorm2d(features, epsilon, momentum):
        var own = tensors
        for suffix in ["weight", "bias"] { own[key(suffix)] = parameter(suffix) }
        return BatchNorm2d(path: path, features: features, epsilon: Float(epsilon), momentum: Float(momentum), tensors: own)
    case .relu: return ReLU(path: path)
    case let .maxPool2d(p): return Pool2d(path: path, spec: p, isMax: true)
    case let .avgPool2d(p): return Pool2d(path: path, spec: p, isMax: false)
    case let .adaptiveAvgPool2d(height, width): return AdaptiveAvgPool2d(path: path, height: height, width: width)
    case .globalAvgPool: return GlobalAvgPool(path: path)
    case .flatten: return Flatten(path: path)
    case let .linear(inFeatures, outFeatures, bias):
        return Linear(path: path, inFeatures: inFeatures, outFeatures: outFeatures, weight: parameter("weight"),
                      bias: bias ? parameter("bias") : nil)
    case let .dropout(probability): return PassThrough(path: path, kindName: "Dropout", probability: probability)
    case .identity: return PassThrough(path: path, kindName: "Identity")
    case .sequential: return Sequential(path: path, children: children())
    case .basicBlock: return BasicBlock(path: path, named())
    case .bottleneck: return Bottleneck(path: path, named())
    case .resNet:
        let modules = children()
        return FlatteningSequence(path: path, kindName: "ResNet", children: modules,
                                  flattenBefore: spec.children.firstIndex { $0.name == "fc" } ?? modules.count)
    case .vgg:
        return FlatteningSequence(path: path, kindName: "VGG", children: children(), flattenBefore: 2)
    }
}
