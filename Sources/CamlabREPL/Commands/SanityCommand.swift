import CamlabLab
import CamlabMethods
import CamlabNN

/// `sanity [METHOD …]`: Adebayo et al.'s cascading randomization on the current image.
struct SanityCommand: Command {
    let name = "sanity"
    let usage = "sanity [METHOD …] [--seed S] [--labels MODEL]"
    let summary = "Sanity check: randomize the model's layers from the top down; does each method's map change?"
    let details = """
        After Adebayo et al., "Sanity checks for saliency maps" (2018). The trained model's layers with
        weights are replaced, one more at a time from the output down, by PyTorch's default random
        initialization (seed S, default 1); after each step every method explains the current image
        for the same class, and its map is compared with the trained model's: Spearman rank
        correlation and SSIM (7×7 windows). Guided methods are compared by Σ_c |gradient| per pixel.
        --labels MODEL adds the data randomization test: the maps of MODEL, the same architecture
        trained on permuted labels ('train --shuffle-labels'; the lessons ship
        Models/shapes-tiny32-random-labels.safetensors), against the current model's.
        Default methods: gradcam gradcampp eigencam guided guided-gradcam.
        Values, per method M (dashes dropped): M_rank, M_ssim (every layer randomized),
        M_rank_top, M_ssim_top (only the top layer), M_rank_labels, M_ssim_labels (with --labels).
        """
    let topic = CommandTopic.methods

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        .words(MethodName.allCases.map(\.rawValue) + ["--seed"])
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        var methods: [MethodName] = [], seed: UInt64 = 1, labelsModel: String?
        var words = arguments[...]
        while let word = words.popFirst() {
            if word == "--labels" {
                guard let path = words.popFirst() else { throw CommandError.usage(usage) }
                labelsModel = ResourceLocator.existingFile(path) ?? path
            } else if word == "--seed" {
                guard let value = words.popFirst().flatMap(UInt64.init) else { throw CommandError.usage(usage) }
                seed = value
            } else if let method = MethodName(name: word) {
                methods.append(method)
            } else {
                let suggestion = Suggestion.closest(to: word, among: MethodName.allCases.map(\.rawValue))
                throw CommandError.message("'\(word)' is not a method" + (suggestion.map { "; did you mean '\($0)'?" } ?? "."))
            }
        }
        if methods.isEmpty { methods = SanityCheck.defaultMethods }
        let network = try lab.network()
        let input = try lab.image().modelInput(for: network)
        let randomLabels = try labelsModel.map { try Network(contentsOf: $0) }
        if let randomLabels, randomLabels.architecture != network.architecture {
            throw CommandError.message("The --labels model has another architecture than the current model; train it with 'train --shuffle-labels'.")
        }
        let check: SanityCheck
        do {
            check = try SanityCheck(network: network, input: input.batch, methods: methods, classIndex: try lab.classIndex(in: network),
                                    layer: lab.state.layer, seed: seed, randomLabels: randomLabels, shouldStop: { Interruption.isRequested })
        } catch is SanityCheck.Stopped {
            throw CommandError.interrupted
        }
        let className = network.classes[check.classIndex]
        return CommandOutput(check.humanReadable(terminal: lab.terminal, className: className),
                             values: check.values.mapValues { .number($0) }, isResult: true)
    }
}
