/// Where training is, after a batch: what a progress bar shows.
public struct TrainingProgress: Sendable {
    /// 1-based epoch and batch numbers.
    public var epoch: Int
    public var epochs: Int
    public var batch: Int
    public var batches: Int
    /// Mean loss and accuracy over this epoch's batches so far.
    public var loss: Double
    public var accuracy: Double
    /// Training images per second in this epoch so far.
    public var imagesPerSecond: Double
    /// Estimated seconds until the last epoch ends.
    public var secondsLeft: Double
}

/// One finished epoch: what `camlab train --json` prints.
public struct EpochSummary: Equatable, Sendable {
    public var epoch: Int
    /// Wall time of this epoch's training loop alone (batches, gradients, updates).
    public var seconds: Double
    /// Mean cross-entropy over the epoch's images.
    public var loss: Double
    /// Share of the epoch's images whose largest logit was their label, measured during training.
    public var trainAccuracy: Double
}

/// How a training run ended.
public struct TrainingOutcome: Sendable {
    public var epochs: [EpochSummary]
    /// True when `shouldStop` asked to stop before the last batch: the network holds the
    /// parameters after the last complete batch.
    public var wasInterrupted: Bool
    /// Optimizer steps taken.
    public var steps: Int
}
