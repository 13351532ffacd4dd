import ArgumentParser
import CamlabLab
import CamlabMethods
import CamlabNN

/// `camlab sanity`: parses the options; `SanityCheck` (CamlabMethods) does the work.
struct SanityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sanity",
        abstract: "Sanity check (Adebayo et al., 2018): randomize the layers from the top down and compare each method's map.",
        discussion: "Each step re-initializes one more layer with weights (PyTorch's default initialization); the rank "
            + "correlation and SSIM of each method's map with the trained model's show whether the map depends on what was learned.")

    @Option(help: "A model file (default: the lessons' model).")
    var model: String?

    @Option(help: "An image (default: image 2 of the shapes dataset, a triangle).")
    var image: String?

    @Option(help: ArgumentHelp("Comma-separated methods (default: gradcam,gradcampp,eigencam,guided,guided-gradcam).", valueName: "a,b"))
    var methods: String?

    @Option(name: .customLong("class"), help: "The class, by index or name (default: the trained model's prediction).")
    var classSpec: String?

    @Option(help: "The layer (default: the model's target layer).")
    var layer: String?

    @Option(help: "The seed of the random weights.")
    var seed: UInt64 = 1

    func run() throws {
        guard let modelPath = model ?? ResourceLocator.defaultModel() else {
            throw ValidationError("No model given and the lessons' model was not found; pass --model FILE.")
        }
        let chosen = try (methods ?? "gradcam,gradcampp,eigencam,guided,guided-gradcam").split(separator: ",").map { name -> MethodName in
            guard let method = MethodName(name: String(name)) else {
                throw ExplanationError.unknownMethod(String(name), suggestion: Suggestion.closest(to: String(name), among: MethodName.allCases.map(\.rawValue)))
            }
            return method
        }
        let network = try Network(contentsOf: modelPath)
        let input = try image.map { try ModelInput(imagePaths: [$0], network: network) }
            ?? ModelInput(images: [ResourceLocator.datasetImage(.shapes, index: 2)], network: network)
        input.notes.forEach(printError)
        let classIndex = try classSpec.map { try CamReport.classIndex($0, classes: network.classes) }
        let check = try SanityCheck(network: network, input: input.batch, methods: chosen, classIndex: classIndex, layer: layer, seed: seed)
        print(check.humanReadable(terminal: .standardOutput, className: network.classes[check.classIndex]))
    }
}
