import ArgumentParser
import CamlabLab

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict", abstract: "Classify images with a model.")

    @Option(help: "The model file (.safetensors).") var model: String
    @Option(name: .customLong("image"), help: "An image file (repeat for several).") var images: [String]
    @Flag(help: "Print one JSON line per image: image, class, class_name, logits, probabilities.") var json = false

    func validate() throws {
        if images.isEmpty { throw ValidationError("Give at least one --image.") }
    }

    func run() throws {
        let predictions = try EvaluationSession.predict(modelPath: model, imagePaths: images)
        for (path, prediction) in predictions {
            print(json ? EvaluationSession.jsonLine(image: path, prediction) : EvaluationSession.text(image: path, prediction))
        }
    }
}
