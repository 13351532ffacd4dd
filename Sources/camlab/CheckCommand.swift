import ArgumentParser
import CamlabData
import CamlabImaging
import CamlabLab
import CamlabMethods
import CamlabNN

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check one of the tutorial's equations numerically: both sides and their difference.",
        discussion: EquationCheck.Name.allCases.map { "\($0.rawValue): \($0.summary)" }.joined(separator: "\n"))

    @Argument(help: "eq1, eq2, eq3, gradcam-is-cam or gradcampp-exact.")
    var name: String

    @Option(help: "A model file (default: the lessons' model).")
    var model: String?

    @Option(help: "An image (default: image 2 of the shapes dataset, a triangle).")
    var image: String?

    @Option(name: .customLong("class"), parsing: .unconditional, help: "The class, by index or name (default: the prediction).")
    var classSpec: String?

    @Option(help: "The layer (default: the model's target layer).")
    var layer: String?

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func run() throws {
        let check = try Choice.value(name, for: "The check", as: EquationCheck.Name.self)
        guard let modelPath = model ?? ResourceLocator.defaultModel() else {
            throw LabError("No model given and the lessons' model was not found; pass --model FILE.")
        }
        let network = try Network(contentsOf: modelPath)
        let input = try image.map { try ModelInput(imagePaths: [$0], network: network) }
            ?? ModelInput(images: [ResourceLocator.datasetImage(.shapes, index: 2)], network: network)
        input.notes.forEach(printError)
        let classIndex = try classSpec.map { try CamReport.classIndex($0, classes: network.classes) }
        let result = try EquationCheck(check, network: network, input: input.batch, classIndex: classIndex, layer: layer)
        try StandardOutput.print(json ? result.json : result.humanReadable(terminal: .standardOutput))
        if !result.passes { throw ExitCode(1) }
    }
}
