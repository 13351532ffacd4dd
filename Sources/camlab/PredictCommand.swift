import ArgumentParser
import CamlabLab
import CamlabNN

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict", abstract: "Classify images with a model.")

    @OptionGroup var model: ModelOptions
    @Option(name: .customLong("image"), help: "An image file (repeat for several).") var images: [String]
    @Flag(help: "Print one JSON line per image: image, class, class_name, logits, probabilities.") var json = false

    func validate() throws {
        if images.isEmpty { throw LabError("Give at least one --image.") }
    }

    func run() throws {
        let network = try model.network()
        let predictions = try EvaluationSession.predict(network: network, imagePaths: images, preprocessing: try model.preprocessing())
        for (path, prediction) in predictions {
            try StandardOutput.print(json ? EvaluationSession.jsonLine(image: path, prediction) : EvaluationSession.text(image: path, prediction, classes: network.classes))
        }
    }
}
