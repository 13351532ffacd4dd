import CamlabCore

/// A network of camlab-model/1: its architecture and the layers built from it, run in order.
public final class Network {
    public let architecture: Architecture
    public let layers: [Layer]

    /// A freshly initialized network (PyTorch's default initialization, from a seed).
    public convenience init(architecture: Architecture, seed: UInt64) throws {
        try architecture.validate()
        var generator = RandomGenerator(seed: seed)
        var parameters: [String: Tensor] = [:]
        for spec in architecture.layers {
            switch spec {
            case let .conv2d(name, inChannels, outChannels, kernel, _, _):
                let (w, b) = defaultInitialization(weightShape: [outChannels, inChannels, kernel, kernel],
                                                   biasCount: outChannels, fanIn: inChannels * kernel * kernel,
                                                   generator: &generator)
                parameters["\(name).weight"] = w
                parameters["\(name).bias"] = b
            case let .linear(name, inFeatures, outFeatures):
                let (w, b) = defaultInitialization(weightShape: [outFeatures, inFeatures], biasCount: outFeatures,
                                                   fanIn: inFeatures, generator: &generator)
                parameters["\(name).weight"] = w
                parameters["\(name).bias"] = b
            case .relu, .maxPool2d, .globalAvgPool:
                break
            }
        }
        try self.init(architecture: architecture, parameters: parameters)
    }

    /// A network with the given parameters (by state-dict name), checked against the architecture.
    public init(architecture: Architecture, parameters: [String: Tensor]) throws {
        try architecture.validate()
        self.architecture = architecture
        func parameter(_ name: String, _ shape: [Int]) -> Tensor {
            // ModelFile has already checked presence and shapes when loading from a file.
            guard let tensor = parameters[name], tensor.shape == shape else {
                preconditionFailure("Network: parameter '\(name)' of shape \(shape) is missing or misshapen")
            }
            return tensor.requiresGradient ? tensor : tensor.requiringGradient()
        }
        layers = architecture.layers.map { spec -> Layer in
            switch spec {
            case let .conv2d(name, inChannels, outChannels, kernel, stride, padding):
                return Conv2d(name: name, weight: parameter("\(name).weight", [outChannels, inChannels, kernel, kernel]),
                              bias: parameter("\(name).bias", [outChannels]), stride: stride, padding: padding)
            case let .relu(name):
                return ReLU(name: name)
            case let .maxPool2d(name, kernel, stride):
                return MaxPool2d(name: name, kernel: kernel, stride: stride)
            case let .globalAvgPool(name):
                return GlobalAvgPool(name: name)
            case let .linear(name, inFeatures, outFeatures):
                return Linear(name: name, weight: parameter("\(name).weight", [outFeatures, inFeatures]),
                              bias: parameter("\(name).bias", [outFeatures]))
            }
        }
    }

    /// Loads a camlab-model/1 file.
    public convenience init(contentsOf path: String) throws {
        let file = try ModelFile.read(from: path)
        try self.init(architecture: file.architecture, parameters: file.parameters.mapValues {
            Tensor(shape: $0.shape, scalars: $0.values, requiresGradient: true)
        })
    }

    /// Saves as camlab-model/1 (atomically: a temporary file renamed over the target).
    public func write(to path: String) throws {
        let stored = Dictionary(uniqueKeysWithValues: parameters.map {
            ($0.name, StoredTensor(shape: $0.tensor.shape, values: $0.tensor.scalars))
        })
        try ModelFile(architecture: architecture, parameters: stored).write(to: path)
    }

    public var classes: [String] { architecture.classes }
    public var layerNames: [String] { layers.map(\.name) }

    /// All parameters in state-dict order.
    public var parameters: [(name: String, tensor: Tensor)] { layers.flatMap(\.parameters) }

    public func setParameter(named name: String, to tensor: Tensor) {
        guard let layer = layers.first(where: { name.hasPrefix($0.name + ".") }) else {
            preconditionFailure("Network: no layer owns parameter '\(name)'")
        }
        layer.setParameter(named: name, to: tensor)
    }

    /// The index of a layer by name.
    public func indexOfLayer(named name: String) -> Int? { layers.firstIndex { $0.name == name } }

    /// (x − mean) / std per channel, for a batch [N, C, H, W] of RGB values in [0, 1].
    public func normalized(_ images: Tensor) -> Tensor {
        let channels = architecture.input[0]
        if architecture.mean.allSatisfy({ $0 == 0 }) && architecture.std.allSatisfy({ $0 == 1 }) { return images }
        let mean = Tensor(shape: [1, channels, 1, 1], scalars: architecture.mean.map { Float($0) })
        let std = Tensor(shape: [1, channels, 1, 1], scalars: architecture.std.map { Float($0) })
        return (images - mean) / std
    }

    /// Runs every layer on an already normalized batch.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        run(input, from: 0)
    }

    /// Runs the layers from index `start` on: to re-run the part of the network after a layer
    /// (Ablation-CAM) without recomputing what comes before it.
    public func run(_ input: Tensor, from start: Int) -> Tensor {
        var activation = input
        var index = start
        while index < layers.count {
            // A convolution and the ReLU after it run as one step: when nothing will be
            // differentiated, that is one pass over the convolution's output instead of two.
            if let convolution = layers[index] as? Conv2d, index + 1 < layers.count, layers[index + 1] is ReLU {
                activation = convolution.rectified(activation)
                index += 2
            } else {
                activation = layers[index](activation)
                index += 1
            }
        }
        return activation
    }

    /// Runs the network and keeps the outputs of the named layers (their gradients can then be
    /// taken with `gradients(of:withRespectTo:)`).
    public func forward(_ input: Tensor, capturing names: Set<String>) -> (output: Tensor, captured: [String: Tensor]) {
        var captured: [String: Tensor] = [:]
        var activation = input
        for layer in layers {
            activation = layer(activation)
            if names.contains(layer.name) { captured[layer.name] = activation }
        }
        return (activation, captured)
    }
}
