import CamlabCore
import Dispatch

/// Mini-batch training of a `Network` by cross-entropy, as a PyTorch training loop does it:
/// shuffle, forward, loss, backward, optimizer step.
public struct Trainer {
    public var options: TrainingOptions

    public init(options: TrainingOptions) {
        self.options = options
    }

    /// Trains `network` in place on `data`.
    ///
    /// - `onBatch` is called after each optimizer step; `onEpoch` after each epoch.
    /// - `shouldStop` is asked after each batch; when it says yes, training ends there and the
    ///   network keeps the parameters of the last complete step (Ctrl-C).
    /// - The order of the images is a Fisher–Yates shuffle from a generator seeded with
    ///   `options.seed`, drawn anew each epoch, so a seed fixes the whole run.
    /// - Throws: `TrainingError` for bad options, images of the wrong shape, a NaN loss (the
    ///   network then keeps the parameters from before the step that produced it), or a step that
    ///   made a parameter NaN or infinite (the network is then unusable and must not be saved).
    @discardableResult
    public func train(_ network: Network, on data: LabeledImages,
                      onBatch: (TrainingProgress) -> Void = { _ in },
                      onEpoch: (EpochSummary) throws -> Void = { _ in },
                      shouldStop: () -> Bool = { false }) throws -> TrainingOutcome {
        try options.validate()
        guard data.count > 0 else { throw TrainingError.noImages }
        let expected = network.architecture.input
        guard Array(data.images.shape[1...]) == expected else {
            throw TrainingError.imageShapeMismatch(expected: expected, actual: Array(data.images.shape[1...]))
        }
        if let dropout = network.leaves.first(where: { ($0 as? PassThrough)?.probability ?? 0 > 0 }) {
            throw TrainingError.unsupportedModule(dropout.path, reason: "dropout is an identity in camlab, so training with it would not be PyTorch's training")
        }
        var optimizer = options.makeOptimizer()
        // The shuffle has its own stream, so changing the initialization never changes the order.
        var shuffler = RandomGenerator(seed: options.seed ^ 0x5348_5546_464C_4531)
        let batches = (data.count + options.batchSize - 1) / options.batchSize
        var summaries: [EpochSummary] = []
        var steps = 0
        var trainingNanoseconds: UInt64 = 0

        for epoch in 1...options.epochs {
            var order = Array(0..<data.count)
            shuffler.shuffle(&order)
            var lossSum = 0.0, correct = 0, seen = 0
            let epochStart = DispatchTime.now().uptimeNanoseconds
            for batch in 0..<batches {
                let indices = order[(batch * options.batchSize)..<min(data.count, (batch + 1) * options.batchSize)]
                let (images, labels) = data.batch(indices)
                let step = try trainingStep(network, images: images, labels: labels, optimizer: &optimizer,
                                            epoch: epoch, batch: batch + 1)
                steps += 1
                lossSum += step.loss * Double(labels.count)
                correct += step.correct
                seen += labels.count
                let now = DispatchTime.now().uptimeNanoseconds
                let elapsed = Double(now - epochStart) / 1e9
                let perBatch = Double(trainingNanoseconds + now - epochStart) / 1e9 / Double(steps)
                onBatch(TrainingProgress(
                    epoch: epoch, epochs: options.epochs, batch: batch + 1, batches: batches,
                    loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
                    imagesPerSecond: Double(seen) / max(elapsed, 1e-9),
                    secondsLeft: perBatch * Double(options.epochs * batches - steps)))
                let isLastBatch = epoch == options.epochs && batch + 1 == batches
                if !isLastBatch && shouldStop() {
                    return TrainingOutcome(epochs: summaries, wasInterrupted: true, steps: steps)
                }
            }
            let epochNanoseconds = DispatchTime.now().uptimeNanoseconds - epochStart
            trainingNanoseconds += epochNanoseconds
            let summary = EpochSummary(epoch: epoch, seconds: Double(epochNanoseconds) / 1e9,
                                       loss: lossSum / Double(seen), trainAccuracy: Double(correct) / Double(seen))
            summaries.append(summary)
            try onEpoch(summary)
        }
        return TrainingOutcome(epochs: summaries, wasInterrupted: false, steps: steps)
    }

    /// One optimizer step on one batch; returns its mean loss and how many it classified right.
    func trainingStep(_ network: Network, images: Tensor, labels: [Int], optimizer: inout any Optimizer,
                      epoch: Int, batch: Int) throws -> (loss: Double, correct: Int) {
        let parameters = network.parameters.map(\.tensor)
        // model.train(): BatchNorm normalizes with the batch's statistics, which then update its
        // running ones (after the step, so a NaN loss leaves the network as it was).
        let context = RunContext(training: true)
        let logits = network.program.run(network.normalized(images), context: context)[network.program.output]!
        let loss = logits.crossEntropy(labels: labels)
        guard loss.scalar.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, batch: batch) }
        let parameterGradients = gradients(of: loss, withRespectTo: parameters)
        optimizer.step(network, gradients: parameterGradients)
        // An overflowing step (a learning rate of 1e30) is stopped here, not one batch later.
        if let broken = network.parameters.first(where: { !$0.tensor.scalars.allSatisfy(\.isFinite) }) {
            throw TrainingError.nonFiniteParameter(broken.name, epoch: epoch, batch: batch)
        }
        for (batchNorm, mean, variance) in context.batchStatistics {
            batchNorm.updateRunningStatistics(mean: mean, variance: variance)
        }
        let predictions = logits.argmaxAlongLastAxis()
        let correct = zip(predictions, labels).filter { $0 == $1 }.count
        return (Double(loss.scalar), correct)
    }
}
