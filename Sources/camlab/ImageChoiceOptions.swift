import ArgumentParser
import CamlabLab
import CamlabNN

/// The options `check` and `sanity` share — a model, one image, a class, a layer — with the
/// lessons' defaults, and what they load.
struct ImageChoiceOptions: ParsableArguments {
    @Option(help: "A model file (default: the lessons' model).")
    var model: String?

    @Option(help: "An image (default: image 2 of the shapes dataset, a triangle).")
    var image: String?

    @Option(name: .customLong("class"), help: "The class, by index or name (default: the prediction).")
    var classSpec: String?

    @Option(help: "The layer (default: the model's target layer).")
    var layer: String?

    /// The network, the image as its input (notes about resizing printed) and the class asked for.
    func load() throws -> (network: Network, input: ModelInput, classIndex: Int?) {
        guard let modelPath = model ?? ResourceLocator.defaultModel() else {
            throw ValidationError("No model given and the lessons' model was not found; pass --model FILE.")
        }
        let network = try Network(contentsOf: modelPath)
        let input = try image.map { try ModelInput(imagePaths: [$0], network: network) }
            ?? ModelInput(images: [ResourceLocator.datasetImage(.shapes, index: 2)], network: network)
        input.notes.forEach(printError)
        let classIndex = try classSpec.map { try CamReport.classIndex($0, classes: network.classes) }
        return (network, input, classIndex)
    }
}
