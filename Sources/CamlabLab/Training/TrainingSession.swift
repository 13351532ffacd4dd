import CamlabCore
import CamlabNN
import Foundation

/// `camlab train`: read an architecture and an image folder, train, save the model.
public struct TrainingSession {
    public var dataDirectory: String
    public var architecturePath: String
    public var options: TrainingOptions
    public var outputPath: String
    public var json: Bool

    public init(dataDirectory: String, architecturePath: String, options: TrainingOptions, outputPath: String, json: Bool) {
        self.dataDirectory = dataDirectory
        self.architecturePath = architecturePath
        self.options = options
        self.outputPath = outputPath
        self.json = json
    }

    /// Trains and saves; Ctrl-C stops after the current batch and saves the last complete model.
    ///
    /// - Returns: the process exit status: 0, or `Interruption.exitStatus` when interrupted.
    /// - Throws: a one-sentence error for unusable inputs, a NaN loss or a failed save.
    public func run() throws -> Int32 {
        try options.validate()
        let reporter = TrainingReporter(json: json)
        let architecture = try LabData.architecture(at: architecturePath)
        let data = try LabData.labeledImages(in: dataDirectory, for: architecture, note: reporter.note)
        let network = try Network(architecture: architecture, seed: options.seed)
        Interruption.install()
        let outcome: TrainingOutcome
        do {
            outcome = try Trainer(options: options).train(
                network, on: data,
                onBatch: reporter.batchFinished,
                onEpoch: { reporter.epochFinished($0, epochs: options.epochs) },
                shouldStop: { Interruption.isRequested })
        } catch {
            reporter.clearBar()
            throw error
        }
        try network.write(to: outputPath)
        if outcome.wasInterrupted {
            reporter.note("interrupted: saved the model after \(outcome.steps) batches (\(outcome.epochs.count) complete epochs) to \(outputPath)")
            return Interruption.exitStatus
        }
        reporter.note("saved the model to \(outputPath)")
        return 0
    }
}
