import ArgumentParser
import CamlabLab
import CamlabNN

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network on an image folder (DIR/<class>/*.png) and save it as a model file.",
        discussion: "Ctrl-C stops after the current batch and saves the model of the last complete epoch; before the first one it saves nothing and leaves --out as it was (exit status 130).")

    @Option(help: "The image folder, one sub-folder per class of the architecture.") var data: String
    @Option(help: "The architecture document (JSON, as in the model-format spec).") var arch: String
    @Option(help: "Passes over the training images.") var epochs: Int
    @Option(help: "Images per mini-batch.") var batch: Int
    @Option(help: "Learning rate.") var lr: Float
    @Option(help: "adam or sgd (momentum 0.9).") var optimizer: String = "adam"
    @Option(help: "Seeds the initial weights and the batch order.") var seed: UInt64 = 0
    @Option(help: "Where to save the model (.safetensors).") var out: String
    @Flag(help: "Print one JSON line per epoch (also the default when stdout is not a terminal).") var json = false

    func run() throws {
        let kind = try Choice.value(optimizer, for: "--optimizer", as: OptimizerKind.self)
        let options = TrainingOptions(epochs: epochs, batchSize: batch, learningRate: lr, optimizer: kind, seed: seed)
        let status = try TrainingSession(dataDirectory: data, architecturePath: arch, options: options,
                                         outputPath: out, json: json).run()
        if status != 0 { throw ExitCode(status) }
    }
}
