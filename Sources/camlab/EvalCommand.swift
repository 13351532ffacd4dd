import ArgumentParser
import CamlabLab

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Accuracy and confusion matrix of a model on an image folder (DIR/<class>/*).")

    @Option(help: "The model file (.safetensors).") var model: String
    @Option(help: "The image folder, one sub-folder per class of the model.") var data: String
    @Flag(help: "Print {\"accuracy\": A, \"confusion\": [[…]]}.") var json = false

    func run() throws {
        let (evaluation, classes) = try EvaluationSession.evaluate(modelPath: model, dataDirectory: data)
        try StandardOutput.print(json ? EvaluationSession.jsonLine(evaluation) : EvaluationSession.text(evaluation, classes: classes))
    }
}
