/// The network a camlab model file describes: nominal input size, normalization, classes, the
/// tree of modules, and the layer explained by default.
///
/// Decoded from, and encoded to, the `architecture` metadata string (see `Docs/model-format.md`):
/// camlab-model/1 holds a flat list of layers, camlab-model/2 a tree of PyTorch modules. An image
/// enters as RGB in [0, 1], channel-first, then `(x - mean) / std`.
public struct Architecture: Equatable, Sendable {
    /// The nominal input shape `[C, H, W]`: what the network was made for. A network whose modules
    /// all adapt to the size takes an image at its own size.
    public var input: [Int]
    /// Per-channel mean subtracted from the input (C entries).
    public var mean: [Double]
    /// Per-channel standard deviation the input is divided by (C entries, all > 0).
    public var std: [Double]
    /// Class names; the network ends in one score per class.
    public var classes: [String]
    /// The root of the module tree (its name is "").
    public var root: ModuleSpec
    /// The module whose output the CAM methods explain by default.
    public var targetLayer: String

    public init(input: [Int], mean: [Double], std: [Double], classes: [String], root: ModuleSpec, targetLayer: String) {
        (self.input, self.mean, self.std, self.classes) = (input, mean, std, classes)
        (self.root, self.targetLayer) = (root, targetLayer)
    }

    /// A camlab-model/1 architecture: its layers run in order.
    public init(input: [Int], mean: [Double], std: [Double], classes: [String], layers: [LayerSpec],
                targetLayer: String) {
        self.init(input: input, mean: mean, std: std, classes: classes,
                  root: ModuleSpec("", .sequential, children: layers.map(\.moduleSpec)), targetLayer: targetLayer)
    }

    /// The layers of camlab-model/1, when the network is a flat list that version 1 can store.
    public var layers: [LayerSpec]? {
        get {
            guard root.kind == .sequential else { return nil }
            let layers = root.children.compactMap(LayerSpec.init)
            return layers.count == root.children.count ? layers : nil
        }
        set { root = ModuleSpec("", .sequential, children: (newValue ?? []).map(\.moduleSpec)) }
    }

    /// The format this architecture is written in: version 1 whenever it can hold it, so files
    /// of the lessons' kind stay readable by older tools.
    public var format: String { layers == nil ? ModelFile.format : ModelFile.formatVersion1 }

    /// Every module with its path, parents first.
    public var modules: [(path: String, spec: ModuleSpec)] { root.flattened(prefix: "") }

    /// Every state-dict tensor with PyTorch's shape, in module order.
    public var tensorShapes: [(name: String, shape: [Int])] {
        modules.flatMap { path, spec in spec.tensorShapes.map { (path.isEmpty ? $0.suffix : path + "." + $0.suffix, $0.shape) } }
    }

    /// Checks what can be checked without running a shape walk: C×H×W input, C-entry mean and
    /// positive std, unique class names, modules with valid arguments and unique names.
    /// (`Network` checks the shapes, the class count and the target layer.)
    ///
    /// - Throws: `ModelFileError` with `.invalidArchitecture` saying what is wrong.
    public func validate() throws {
        func invalid(_ reason: String) -> ModelFileError { ModelFileError(file: nil, operation: .checking, .invalidArchitecture(reason: reason)) }
        func list(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
        guard input.count == 3, input.allSatisfy({ $0 >= 1 }) else {
            throw invalid("input must be [C, H, W] with every entry at least 1, not \(list(input))")
        }
        guard input[0] <= Limits.channels, input[1] <= Limits.side, input[2] <= Limits.side else {
            throw invalid("input \(list(input)) is larger than camlab takes (at most \(Limits.channels) channels and \(Limits.side) pixels a side)")
        }
        let channels = input[0]
        guard mean.count == channels, std.count == channels else {
            throw invalid("mean and std need \(channels) entries each (one per input channel), not \(mean.count) and \(std.count)")
        }
        guard mean.allSatisfy(\.isFinite) else { throw invalid("every mean must be a finite number") }
        guard std.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw invalid("every std must be a finite number greater than 0") }
        guard !classes.isEmpty else { throw invalid("there must be at least one class") }
        if let repeated = firstDuplicate(classes) { throw invalid("the class name '\(repeated)' appears twice") }
        guard !root.children.isEmpty else { throw invalid("there are no layers") }
        for (path, spec) in modules {
            if let repeated = firstDuplicate(spec.children.map(\.name)) {
                throw invalid("\(path.isEmpty ? "the network" : "'\(path)'") has two modules named '\(repeated)'")
            }
            if let empty = spec.children.firstIndex(where: { $0.name.isEmpty }) {
                throw invalid("module \(empty) of \(path.isEmpty ? "the network" : "'\(path)'") has an empty name")
            }
            try Self.validateArguments(of: spec, at: path)
        }
        if let repeated = firstDuplicate(modules.map(\.path)) { throw invalid("the module path '\(repeated)' appears twice") }
        guard modules.contains(where: { $0.path == targetLayer && !$0.path.isEmpty }) else {
            throw invalid("target_layer '\(targetLayer)' is not the path of a module")
        }
    }

    private static func validateArguments(of spec: ModuleSpec, at path: String) throws {
        func invalid(_ reason: String) -> ModelFileError {
            ModelFileError(file: nil, operation: .checking, .invalidArchitecture(reason: "\(spec.typeName) '\(path)' " + reason))
        }
        let limit = Limits.channels
        switch spec.kind {
        case let .conv2d(c):
            guard (1...limit).contains(c.inChannels), (1...limit).contains(c.outChannels) else { throw invalid("needs in and out between 1 and \(limit)") }
            guard c.kernel.count == 2, c.kernel.allSatisfy({ (1...Limits.kernel).contains($0) }) else { throw invalid("needs a kernel of 1 to \(Limits.kernel)") }
            guard (1...Limits.kernel).contains(c.stride), (0...Limits.kernel).contains(c.padding), (1...Limits.kernel).contains(c.dilation) else {
                throw invalid("needs stride and dilation of 1 to \(Limits.kernel) and padding of 0 to \(Limits.kernel)")
            }
            guard c.groups >= 1, c.inChannels % c.groups == 0, c.outChannels % c.groups == 0 else {
                throw invalid("has \(c.groups) groups, which must divide both \(c.inChannels) and \(c.outChannels) channels")
            }
        case let .batchNorm2d(features, epsilon, momentum):
            guard (1...limit).contains(features) else { throw invalid("needs 1 to \(limit) features") }
            guard epsilon > 0, epsilon.isFinite, (0...1).contains(momentum) else { throw invalid("needs eps > 0 and momentum in [0, 1]") }
        case let .maxPool2d(p), let .avgPool2d(p):
            guard (1...Limits.kernel).contains(p.kernel), (1...Limits.kernel).contains(p.stride), (1...Limits.kernel).contains(p.dilation),
                  p.padding >= 0, p.padding * 2 <= p.kernel else {
                throw invalid("needs kernel, stride and dilation of 1 to \(Limits.kernel) and padding of at most half the kernel")
            }
        case let .adaptiveAvgPool2d(height, width):
            guard (1...Limits.side).contains(height), (1...Limits.side).contains(width) else { throw invalid("needs an output size of 1 to \(Limits.side)") }
        case let .linear(inFeatures, outFeatures, _):
            guard (1...Limits.features).contains(inFeatures), (1...Limits.features).contains(outFeatures) else {
                throw invalid("needs in and out between 1 and \(Limits.features)")
            }
        case let .dropout(probability):
            guard (0...1).contains(probability) else { throw invalid("needs p in [0, 1]") }
        case .basicBlock, .bottleneck:
            let names = Set(spec.children.map(\.name))
            let required: Set<String> = spec.kind == .basicBlock ? ["conv1", "bn1", "relu", "conv2", "bn2"]
                                                                 : ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "relu"]
            guard required.isSubset(of: names), names.subtracting(required).isSubset(of: ["downsample"]) else {
                throw invalid("must have exactly the modules \(required.sorted().joined(separator: ", ")) and optionally downsample, as torchvision's")
            }
        case .resNet, .vgg, .sequential:
            break
        case .relu, .globalAvgPool, .flatten, .identity:
            break
        }
        if spec.children.isEmpty == false, ![.sequential, .basicBlock, .bottleneck, .resNet, .vgg].contains(spec.kind) {
            throw invalid("cannot have children")
        }
        if spec.kind == .vgg {
            guard spec.children.map(\.name) == ["features", "avgpool", "classifier"] else {
                throw invalid("must have the modules features, avgpool and classifier, as torchvision's VGG")
            }
        }
        if spec.kind == .resNet {
            guard spec.children.contains(where: { $0.name == "fc" }) else { throw invalid("must end in fc, as torchvision's ResNet") }
        }
    }

    private func firstDuplicate(_ names: [String]) -> String? {
        var seen = Set<String>()
        return names.first { !seen.insert($0).inserted }
    }
}

/// The limits camlab enforces on what a file declares, so that a hostile or mistaken file is
/// refused when it is opened instead of exhausting memory later (see `Docs/limits.md`).
public enum Limits {
    /// Channels of an image or a map: wide ResNets reach 2048, VGG 512.
    public static let channels = 65_536
    /// Pixels along one side of an input: 8K photos are 7,680 wide.
    public static let side = 8_192
    /// Features of a linear layer: VGG's first one takes 25,088.
    public static let features = 1 << 20
    /// Kernel, stride, padding, dilation.
    public static let kernel = 64
    /// A model file: VGG-19 in F32 is 548 MiB, wide_resnet101_2 485 MiB.
    public static let fileBytes = 4 << 30
}
