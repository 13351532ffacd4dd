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

    /// Trains and saves. Ctrl-C stops after the current batch and saves the model as it was at the
    /// end of the last complete epoch; before the first one, nothing is saved and an existing file
    /// stays as it was. The file is written once, at the end (a temporary file renamed over it).
    ///
    /// - Returns: the process exit status: 0, or `Interruption.exitStatus` when interrupted.
    /// - Throws: a one-sentence error for unusable inputs or output path (said before any epoch),
    ///   a NaN loss or parameter, or a failed save; the file at `outputPath` is then untouched.
    public func run() throws -> Int32 {
        try options.validate()
        try ModelFile.checkCanWrite(to: outputPath)
        let reporter = TrainingReporter(json: json)
        let architecture = try LabData.architecture(at: architecturePath)
        let data = try LabData.labeledImages(in: dataDirectory, for: architecture, note: reporter.note)
        let network = try Network(architecture: architecture, seed: options.seed)
        Interruption.install()
        var lastCompleteEpoch: (number: Int, model: ModelFile)?
        let outcome: TrainingOutcome
        do {
            outcome = try Trainer(options: options).train(
                network, on: data,
                onBatch: reporter.batchFinished,
                onEpoch: { summary in
                    try reporter.epochFinished(summary, epochs: options.epochs)
                    // Kept in memory: the file is replaced once, by a complete model.
                    if summary.epoch < options.epochs { lastCompleteEpoch = (summary.epoch, network.modelFile) }
                },
                shouldStop: { Interruption.isRequested })
        } catch {
            reporter.clearBar()
            throw LabError(String(describing: error).trimmingCharacters(in: CharacterSet(charactersIn: ".")) + "; nothing was saved to \(outputPath).")
        }
        guard outcome.wasInterrupted else {
            try network.write(to: outputPath)
            reporter.note("saved the model to \(outputPath)")
            return 0
        }
        if let lastCompleteEpoch {
            try lastCompleteEpoch.model.write(to: outputPath)
            reporter.note("interrupted in epoch \(lastCompleteEpoch.number + 1): saved the model of epoch \(lastCompleteEpoch.number), the last complete one, to \(outputPath)")
        } else {
            let existing = FileManager.default.fileExists(atPath: outputPath)
            reporter.note("interrupted before the first epoch was complete: nothing was saved" + (existing ? " and \(outputPath) is as it was" : ""))
        }
        return Interruption.exitStatus
    }
}
