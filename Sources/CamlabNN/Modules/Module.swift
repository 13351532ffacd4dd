import CamlabCore

/// A PyTorch module: a named part of a network with a forward pass and, perhaps, children.
///
/// `path` is the module's name in PyTorch (`layer4.2.conv3`; the root's is ""), which is also the
/// prefix of its state-dict keys and what `--layer` takes. A module's `forward` is written on
/// `Traced` values, so a block reads like torchvision's own `forward`; it is run once, symbolically,
/// to compile the network into a `Program` (see `Tracer`), never on every image.
public protocol Module: AnyObject {
    var path: String { get }
    /// The module's class as PyTorch names it (`Conv2d`, `Bottleneck`, `Sequential`).
    var kindName: String { get }
    /// The direct children, in the order PyTorch registers them.
    var children: [Module] { get }
    /// The forward pass, on traced values.
    func forward(_ x: Traced) -> Traced
}

extension Module {
    /// Calling a module inside another's forward pass records which value is its output.
    public func callAsFunction(_ x: Traced) -> Traced { x.tracer.call(self, x) }

    /// This module and everything under it, parents before children.
    public var descendants: [Module] { [self] + children.flatMap(\.descendants) }

    /// The last component of `path` ("conv3" for `layer4.2.conv3`).
    public var localName: String { path.split(separator: ".").last.map(String.init) ?? "" }
}

/// A module that computes something itself: a convolution, a BatchNorm, a ReLU, …
public protocol LeafModule: Module {
    /// The forward pass on real tensors.
    func apply(_ input: Tensor, _ context: RunContext) -> Tensor
    /// The output shape for an input shape (without the batch axis), or why it cannot work.
    func outputShape(for input: [Int]) throws -> [Int]
    /// Trainable parameters in state-dict order, by their full keys (`layer1.0.conv1.weight`).
    var parameters: [(name: String, tensor: Tensor)] { get }
    /// Tensors of the state dict that are not trained (BatchNorm's running statistics).
    var buffers: [(name: String, tensor: Tensor)] { get }
    /// Replaces a parameter or buffer by its full key (training, loading).
    func setTensor(named name: String, to tensor: Tensor)
}

extension LeafModule {
    public var children: [Module] { [] }
    public func forward(_ x: Traced) -> Traced { x.tracer.record(.leaf(self), inputs: [x]) }
    public var parameters: [(name: String, tensor: Tensor)] { [] }
    public var buffers: [(name: String, tensor: Tensor)] { [] }
    public func setTensor(named name: String, to tensor: Tensor) {
        preconditionFailure("module '\(path)' has no tensor '\(name)'")
    }
    /// `path.suffix`: the state-dict key of one of this module's tensors.
    func key(_ suffix: String) -> String { path.isEmpty ? suffix : path + "." + suffix }
}

/// What a forward pass needs beyond its input: the mode, and where BatchNorm in training mode
/// leaves the batch statistics for the running update.
public final class RunContext {
    /// PyTorch's `model.train()`: BatchNorm normalizes with the batch's statistics.
    public let isTraining: Bool
    /// (module, batch mean, unbiased batch variance) of every BatchNorm run in training mode.
    public internal(set) var batchStatistics: [(module: BatchNorm2d, mean: Tensor, variance: Tensor)] = []

    public init(training: Bool = false) { self.isTraining = training }

    public static var evaluation: RunContext { RunContext(training: false) }
}

/// A value inside a forward pass being compiled: the number of the slot that will hold it.
public struct Traced {
    let slot: Int
    unowned let tracer: Tracer

    /// `out += identity`: the residual add of torchvision's blocks.
    public static func + (a: Traced, b: Traced) -> Traced { a.tracer.record(.add, inputs: [a, b]) }

    /// `torch.flatten(x, 1)`.
    public func flattened() -> Traced { tracer.record(.flatten, inputs: [self]) }
}

/// Runs a module's forward pass symbolically once, writing down each step as an instruction
/// and which value each module returned (what a PyTorch forward hook on it would see).
public final class Tracer {
    private(set) var instructions: [Program.Instruction] = []
    /// Each module's outputs, one per call, by path.
    private(set) var outputs: [String: [Int]] = [:]
    private var calling: [String] = []

    /// Compiles `root` into a program.
    public static func compile(_ root: Module) -> Program {
        let tracer = Tracer()
        let output = tracer.call(root, Traced(slot: 0, tracer: tracer))
        return Program(instructions: tracer.instructions, output: output.slot, moduleOutputs: tracer.outputs)
    }

    func call(_ module: Module, _ x: Traced) -> Traced {
        calling.append(module.path)
        let y = module.forward(x)
        calling.removeLast()
        outputs[module.path, default: []].append(y.slot)
        return y
    }

    func record(_ step: Program.Step, inputs: [Traced]) -> Traced {
        let slot = instructions.count + 1
        instructions.append(Program.Instruction(step: step, inputs: inputs.map(\.slot), output: slot,
                                                 caller: calling.last ?? ""))
        return Traced(slot: slot, tracer: self)
    }
}
