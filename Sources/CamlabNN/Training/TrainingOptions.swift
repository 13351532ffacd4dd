/// Which optimizer updates the parameters (both with PyTorch's semantics, see `Optimizers.swift`).
public enum OptimizerKind: String, CaseIterable, Sendable {
    case adam, sgd
}

/// How to train: the hyper-parameters of `camlab train`.
public struct TrainingOptions: Equatable, Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var optimizer: OptimizerKind
    /// Seeds the initial parameters and the order of the mini-batches: the same seed gives the
    /// same model, bit for bit.
    public var seed: UInt64
    /// SGD's momentum (ignored by Adam).
    public var momentum: Float
    /// L2 weight decay, added to the gradient as PyTorch's optimizers do.
    public var weightDecay: Float

    public init(epochs: Int, batchSize: Int, learningRate: Float, optimizer: OptimizerKind = .adam,
                seed: UInt64 = 0, momentum: Float = 0.9, weightDecay: Float = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.seed = seed
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// A new optimizer of the chosen kind.
    public func makeOptimizer() -> any Optimizer {
        switch optimizer {
        case .adam: return Adam(learningRate: learningRate, weightDecay: weightDecay)
        case .sgd: return SGD(learningRate: learningRate, momentum: momentum, weightDecay: weightDecay)
        }
    }

    /// Checks the numbers a person typed.
    /// - Throws: `TrainingError.invalidOption` naming the first bad one.
    public func validate() throws {
        guard epochs >= 1 else { throw TrainingError.invalidOption("the number of epochs must be at least 1, not \(epochs)") }
        guard batchSize >= 1 else { throw TrainingError.invalidOption("the batch size must be at least 1, not \(batchSize)") }
        guard learningRate.isFinite && learningRate > 0 else {
            throw TrainingError.invalidOption("the learning rate must be a positive number, not \(learningRate)")
        }
        guard momentum.isFinite && momentum >= 0, weightDecay.isFinite && weightDecay >= 0 else {
            throw TrainingError.invalidOption("momentum and weight decay must be non-negative numbers")
        }
    }
}

/// Why training stopped early or could not start. `description` is one sentence.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case invalidOption(String)
    case nonFiniteLoss(epoch: Int, batch: Int)
    case nonFiniteParameter(String, epoch: Int, batch: Int)
    case noImages
    case imageShapeMismatch(expected: [Int], actual: [Int])
    case unsupportedModule(String, reason: String)

    public var description: String {
        switch self {
        case .invalidOption(let reason):
            return "cannot train: \(reason)."
        case let .nonFiniteLoss(epoch, batch):
            return "training stopped: the loss became NaN or infinite at epoch \(epoch), batch \(batch) (try a smaller learning rate)."
        case let .nonFiniteParameter(name, epoch, batch):
            return "training stopped: parameter '\(name)' became NaN or infinite at epoch \(epoch), batch \(batch) (try a smaller learning rate)."
        case .noImages:
            return "cannot train: there are no images."
        case let .imageShapeMismatch(expected, actual):
            return "cannot train: the images are \(actual) but the network takes \(expected)."
        case let .unsupportedModule(path, reason):
            return "cannot train '\(path)': \(reason)."
        }
    }
}
