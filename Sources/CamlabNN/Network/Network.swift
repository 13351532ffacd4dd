import CamlabCore

/// A network: the module tree of an architecture, its tensors, and the program it compiles to.
///
/// Modules are classes because training replaces their tensors in place; explaining never changes
/// a module (methods swap derivative rules for one gradient computation instead).
public final class Network {
    public let architecture: Architecture
    public let root: Module
    public let program: Program
    /// Every module by path.
    public let modules: [String: Module]
    /// The modules that compute something, in the order of their state-dict keys.
    public let leaves: [LeafModule]

    /// A freshly initialized network (PyTorch's default initialization, from a seed).
    public convenience init(architecture: Architecture, seed: UInt64) throws {
        try architecture.validate()
        try self.init(architecture: architecture, parameters: defaultInitialization(architecture, seed: seed))
    }

    /// A network with the given tensors (by state-dict key), checked against the architecture:
    /// names and shapes of the tensors, and a shape walk at the nominal input size in which every
    /// module gets what it can take and the network ends in one score per class.
    public init(architecture: Architecture, parameters: [String: Tensor]) throws {
        try architecture.validate()
        func invalid(_ reason: String) -> ModelFileError { ModelFileError(file: nil, operation: .checking, .invalidArchitecture(reason: reason)) }
        for (name, shape) in architecture.tensorShapes {
            guard let tensor = parameters[name] else {
                throw ModelFileError(file: nil, operation: .checking, .missingParameter(tensor: name, layer: String(name[..<(name.lastIndex(of: ".") ?? name.startIndex)])))
            }
            guard tensor.shape == shape else {
                throw ModelFileError(file: nil, operation: .checking, .parameterShapeMismatch(tensor: name, expected: shape, actual: tensor.shape))
            }
        }
        self.architecture = architecture
        root = buildModule(architecture.root, path: "", tensors: parameters)
        program = Tracer.compile(root)
        var modules: [String: Module] = [:]
        for module in root.descendants { modules[module.path] = module }
        self.modules = modules
        leaves = root.descendants.compactMap { $0 as? LeafModule }

        let shapes: [[Int]]
        do {
            shapes = try program.shapes(forInput: architecture.input)
        } catch let error as ModuleShapeError {
            throw invalid(error.description + " at the nominal input size \(ModuleShapeError.list(architecture.input))")
        }
        let output = shapes[program.output]
        guard output.count == 1 else {
            throw invalid("the network must end in one score per class, but it outputs \(ModuleShapeError.list(output))")
        }
        guard output[0] == architecture.classes.count else {
            throw invalid("the network has \(output[0]) outputs but there are \(architecture.classes.count) classes")
        }
        let (c, h, w) = (architecture.input[0], architecture.input[1], architecture.input[2])
        let compiled = program
        adaptsToInputSize = [[c, h * 2, w * 2 + 1], [c, h + 3, w + 5]].allSatisfy { (try? compiled.shapes(forInput: $0)) != nil }
        let target = try outputSlot(of: architecture.targetLayer)
        guard shapes[target].count == 3 else {
            throw invalid("target_layer '\(architecture.targetLayer)' outputs \(ModuleShapeError.list(shapes[target])), not a C×H×W feature map")
        }
    }

    /// Opens a model file: camlab-model/1 or /2, or a plain PyTorch state dict in safetensors.
    public convenience init(contentsOf path: String) throws {
        try self.init(file: ModelFile.read(from: path))
    }

    /// The network of a model file.
    public convenience init(file: ModelFile) throws {
        try self.init(architecture: file.architecture, parameters: file.parameters.mapValues {
            Tensor(shape: $0.shape, scalars: $0.values)
        })
    }

    /// Saves as camlab-model/1 when version 1 can hold the network, else camlab-model/2
    /// (atomically: a temporary file renamed over the target).
    public func write(to path: String) throws {
        try modelFile.write(to: path)
    }

    /// The model file of this network as it is now.
    public var modelFile: ModelFile {
        ModelFile(architecture: architecture, parameters: Dictionary(uniqueKeysWithValues: stateDict.map {
            ($0.name, StoredTensor(shape: $0.tensor.shape, values: $0.tensor.scalars))
        }))
    }

    public var classes: [String] { architecture.classes }

    /// Trainable parameters in state-dict order.
    public var parameters: [(name: String, tensor: Tensor)] { leaves.flatMap(\.parameters) }

    /// Parameters and buffers (BatchNorm's running statistics), in state-dict order.
    public var stateDict: [(name: String, tensor: Tensor)] { leaves.flatMap { $0.parameters + $0.buffers } }

    /// Replaces a parameter or buffer by its state-dict key.
    public func setParameter(named name: String, to tensor: Tensor) {
        let path = String(name[..<(name.lastIndex(of: ".") ?? name.startIndex)])
        guard let module = modules[path] as? LeafModule else { preconditionFailure("Network: no module owns '\(name)'") }
        module.setTensor(named: name, to: tensor)
    }

    // MARK: - Layers

    /// The modules that can be explained, in the order the forward pass reaches them: every module
    /// but the root that PyTorch calls exactly once per forward pass.
    public var layerNames: [String] {
        program.moduleOutputs.filter { !$0.key.isEmpty && $0.value.count == 1 }
            .sorted { ($0.value[0], $0.key.count) < ($1.value[0], $1.key.count) }.map(\.key)
    }

    /// Every module path, in the order of the tree.
    public var modulePaths: [String] { root.descendants.map(\.path).filter { !$0.isEmpty } }

    /// The slot a module's output is in: what a forward hook on it would record.
    ///
    /// - Throws: `NetworkError` if there is no such module (with a suggestion), or if PyTorch
    ///   calls it more than once per forward pass (the shared `relu` of torchvision's blocks).
    public func outputSlot(of path: String) throws -> Int {
        guard let slots = program.moduleOutputs[path], !path.isEmpty else {
            throw NetworkError.unknownModule(path, available: layerNames)
        }
        guard slots.count == 1 else {
            let parent = path.split(separator: ".").dropLast().joined(separator: ".")
            let siblings = (modules[parent]?.children ?? []).map(\.path).filter { $0 != path && program.moduleOutputs[$0]?.count == 1 }
            throw NetworkError.calledRepeatedly(path, times: slots.count, parent: parent, alternatives: siblings.filter { $0.contains("bn") || $0.hasSuffix(".1") || $0.hasSuffix(".0") })
        }
        return slots[0]
    }

    /// The shape (without the batch axis) of each explainable module's output for an input of
    /// `input` = [C, H, W], or the sentence saying why that input cannot work.
    public func outputShapes(forInput input: [Int]) throws -> [String: [Int]] {
        let shapes: [[Int]]
        do {
            shapes = try program.shapes(forInput: input)
        } catch let error as ModuleShapeError {
            throw NetworkError.inputDoesNotFit(input: input, reason: error.description)
        }
        var result: [String: [Int]] = [:]
        for (path, slots) in program.moduleOutputs where slots.count == 1 { result[path] = shapes[slots[0]] }
        return result
    }

    /// Whether the network takes images of any size: true when a shape walk at other sizes still
    /// ends in one score per class (adaptive pooling before every linear layer). Walked once, when
    /// the network is built: every image asks.
    public let adaptsToInputSize: Bool

    /// The [C, H, W] the network runs an image of height × width at: the image's own size when
    /// the network adapts to any size, else the nominal one.
    public func inputShape(forImageHeight height: Int, width: Int) -> [Int] {
        adaptsToInputSize ? [architecture.input[0], height, width] : architecture.input
    }

    // MARK: - Running

    /// (x − mean) / std per channel, for a batch [N, C, H, W] of RGB values in [0, 1].
    public func normalized(_ images: Tensor) -> Tensor {
        let channels = architecture.input[0]
        if architecture.mean.allSatisfy({ $0 == 0 }) && architecture.std.allSatisfy({ $0 == 1 }) { return images }
        let mean = Tensor(shape: [1, channels, 1, 1], scalars: architecture.mean.map { Float($0) })
        let std = Tensor(shape: [1, channels, 1, 1], scalars: architecture.std.map { Float($0) })
        return (images - mean) / std
    }

    /// The scores of an already normalized batch, in evaluation mode.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        program.run(input, context: .evaluation)[program.output]!
    }

    /// The class scores of an already normalized batch, for what only compares scores: predictions,
    /// evaluations, Score-CAM's masked images. Run without gradients, with Winograd allowed for the
    /// 3×3 convolutions that run faster so (`Kernels.allowingWinograd`): its rounding is relative
    /// to a tile's whole input patch, harmless in a score but not in an activation a method
    /// explains, which is why the explained passes (and `callAsFunction`) run directly.
    public func classScores(_ input: Tensor) -> Tensor {
        Kernels.allowingWinograd { withoutGradient { self(input) } }
    }

    /// Runs the network in evaluation and keeps the values of the given slots (and the output).
    public func run(_ input: Tensor, keeping slots: Set<Int>) -> [Int: Tensor] {
        program.run(input, keeping: slots, context: .evaluation)
    }

    /// Runs the network and keeps the outputs of the named modules (their gradients can then be
    /// taken with `gradients(of:withRespectTo:)`). Paths must name explainable modules.
    public func forward(_ input: Tensor, capturing names: Set<String>, context: RunContext = .evaluation)
        -> (output: Tensor, captured: [String: Tensor]) {
        let pass = try! forwardPass(input, capturing: names, context: context)
        return (pass.output, pass.captured)
    }

    /// A forward pass that keeps the outputs of `capturing`, and what re-running from the outputs
    /// of `rerunnable` needs.
    ///
    /// With `recordingFrom`, nothing before that module's output is recorded: gradients can be
    /// taken with respect to its output and what follows (what explaining it needs), not below.
    public func forwardPass(_ input: Tensor, capturing names: Set<String>, rerunnable: Set<String> = [],
                            recordingFrom: String? = nil, context: RunContext = .evaluation) throws -> ForwardPass {
        var slots: [String: Int] = [:]
        for name in names.union(rerunnable) { slots[name] = try outputSlot(of: name) }
        var keep = Set(names.map { slots[$0]! })
        for name in rerunnable { keep.formUnion(program.frontier(of: slots[name]!)) }
        let start = try recordingFrom.map { try outputSlot(of: $0) }
        let values = program.run(input, keeping: keep, recordingFrom: start, context: context)
        return ForwardPass(network: self, values: values, slots: slots, captured: names)
    }
}

/// The values one forward pass kept: the captured outputs, and what a re-run needs.
public final class ForwardPass {
    let network: Network
    let values: [Int: Tensor]
    let slots: [String: Int]
    public let output: Tensor
    public let captured: [String: Tensor]

    init(network: Network, values: [Int: Tensor], slots: [String: Int], captured: Set<String>) {
        (self.network, self.values, self.slots) = (network, values, slots)
        output = values[network.program.output]!
        self.captured = Dictionary(uniqueKeysWithValues: captured.map { ($0, values[slots[$0]!]!) })
    }

    /// The network's output for image `n` of the batch after replacing the output of `path` (a
    /// module passed as `rerunnable`) by `replacement` [M, …]: only the modules that depend on it
    /// run again, on M rows at once; the rest (a skip connection, say) comes from this pass.
    public func rerun(replacingOutputOf path: String, with replacement: Tensor, image n: Int) -> Tensor {
        let slot = slots[path]!
        let frontier = network.program.frontier(of: slot)
        var kept: [Int: Tensor] = [:]
        for s in frontier {
            let all = values[s]!
            kept[s] = all.shape[0] == 1 ? all : all.sliced(alongAxis: 0, range: n..<(n + 1))
        }
        return network.program.rerun(replacing: slot, with: replacement, kept: kept)
    }
}

/// What cannot be done with a network: one sentence each.
public enum NetworkError: Error, CustomStringConvertible, Equatable {
    case unknownModule(String, available: [String])
    case calledRepeatedly(String, times: Int, parent: String, alternatives: [String])
    case inputDoesNotFit(input: [Int], reason: String)

    public var description: String {
        switch self {
        case let .unknownModule(name, available):
            let suggestion = Suggestion.closest(to: name, among: available).map { "; did you mean '\($0)'?" }
                ?? (available.count <= 12 ? "; its modules are \(available.joined(separator: ", "))." : " (`camlab model info` lists its modules).")
            return "The model has no module '\(name)'" + suggestion
        case let .calledRepeatedly(name, times, parent, alternatives):
            let instead = ([parent.isEmpty ? nil : "the whole block '\(parent)'"] + alternatives.prefix(2).map { "'\($0)'" })
                .compactMap { $0 }.joined(separator: " or ")
            return "'\(name)' is one module that the forward pass calls \(times) times, so it has no single output to explain (PyTorch's hooks would fire \(times) times); explain \(instead) instead."
        case let .inputDoesNotFit(input, reason):
            return "An input of \(ModuleShapeError.list(input)) cannot go through this network: \(reason)."
        }
    }
}


// MARK: - What follows a layer

extension Network {
    /// The linear layer that global average pooling of `path`'s output feeds directly — the
    /// architecture CAM needs (y^c = Σ_k w_k^c F^k + b^c) — or nil. ReLUs may stand between them
    /// only if the module's output is itself a ReLU's (a ReLU of a ReLU changes nothing); a
    /// dropout is an identity when explaining.
    public func globalPoolingClassifier(after path: String) -> Linear? { globalPoolingHead(after: path)?.classifier }

    /// The same, with the slot of F (the pooled features the classifier reads, [N, K]).
    public func globalPoolingHead(after path: String) -> (features: Int, classifier: Linear)? {
        guard let slot = try? outputSlot(of: path) else { return nil }
        func producer(_ slot: Int) -> Program.Instruction? { slot == 0 ? nil : program.instructions[slot - 1] }
        func onlyConsumer(_ slot: Int) -> Program.Instruction? {
            let consumers = program.instructions.filter { $0.inputs.contains(slot) }
            return consumers.count == 1 ? consumers[0] : nil
        }
        func leaf(_ instruction: Program.Instruction?) -> LeafModule? {
            if case .leaf(let module)? = instruction?.step { return module }
            return nil
        }
        var current = slot
        let isRectified = leaf(producer(slot)) is ReLU
        while let next = onlyConsumer(current), leaf(next) is ReLU, isRectified { current = next.output }
        guard let pool = onlyConsumer(current) else { return nil }
        current = pool.output
        switch leaf(pool) {
        case is GlobalAvgPool:
            break
        case let adaptive as AdaptiveAvgPool2d where adaptive.height == 1 && adaptive.width == 1:
            guard let flatten = onlyConsumer(current) else { return nil }
            if case .flatten = flatten.step {} else if !(leaf(flatten) is Flatten) { return nil }
            current = flatten.output
        default:
            return nil
        }
        guard let last = onlyConsumer(current), let linear = leaf(last) as? Linear, last.output == program.output else { return nil }
        return (current, linear)
    }

    /// The modules with a bias in the forward pass's order: convolutions with a bias, and every
    /// BatchNorm (whose bias in evaluation is β − μγ/√(σ² + ε)), as FullGrad counts them.
    public var biasedModules: [(path: String, bias: Tensor)] {
        program.instructions.compactMap { instruction in
            guard case .leaf(let module) = instruction.step, program.moduleOutputs[module.path]?.count == 1 else { return nil }
            if let conv = module as? Conv2d, let bias = conv.bias { return (conv.path, bias.detached()) }
            if let batchNorm = module as? BatchNorm2d { return (batchNorm.path, batchNorm.effectiveBias) }
            return nil
        }
    }
}
