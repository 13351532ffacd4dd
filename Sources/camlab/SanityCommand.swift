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

    @OptionGroup var choice: ImageChoiceOptions

    @Option(help: ArgumentHelp("Comma-separated methods (default: gradcam,gradcampp,eigencam,guided,guided-gradcam).", valueName: "a,b"))
    var methods: String?

    @Option(help: "The seed of the random weights.")
    var seed: UInt64 = 1

    @Option(name: .customLong("labels"), help: ArgumentHelp("A model of the same architecture trained on permuted labels (data randomization test).", valueName: "file"))
    var labelsModel: String?

    func run() throws {
        let chosen = try methods.map { try $0.split(separator: ",").map { name -> MethodName in
            guard let method = MethodName(name: String(name)) else {
                throw ExplanationError.unknownMethod(String(name), suggestion: Suggestion.closest(to: String(name), among: MethodName.allCases.map(\.rawValue)))
            }
            return method
        } } ?? SanityCheck.defaultMethods
        let (network, input, classIndex) = try choice.load()
        let randomLabels = try labelsModel.map { try Network(contentsOf: $0) }
        let check = try SanityCheck(network: network, input: input.batch, methods: chosen, classIndex: classIndex, layer: choice.layer,
                                    seed: seed, randomLabels: randomLabels)
        print(check.humanReadable(terminal: .standardOutput, className: network.classes[check.classIndex]))
    }
}
