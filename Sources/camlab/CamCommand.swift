import CamlabImaging
import ArgumentParser
import CamlabLab
import CamlabNN
import CamlabMethods

struct CamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cam",
        abstract: "Explain a model's prediction with a class activation map method.",
        discussion: """
            Methods: \(MethodName.allCases.map(\.rawValue).joined(separator: ", ")).
            With --json, one JSON object per image (Docs/cam-json.md); otherwise a heatmap \
            over each image in the terminal.
            """)

    @Argument(help: "The method, e.g. gradcam.")
    var method: String

    @OptionGroup var model: ModelOptions

    @Option(name: .customLong("image"), help: "An image (PNG, JPEG, …); repeat for several.")
    var images: [String]

    @Option(name: .customLong("class"), parsing: .unconditional, help: "The class to explain, by index or name (default: each image's prediction).")
    var classSpec: String?

    @Option(name: .customLong("layer"), help: "The module to explain, by its PyTorch path (layer4, layer4.0.conv2, features.28; default: the model's target layer); repeat to fuse several.")
    var layers: [String] = []

    @Option(help: "How to fuse several layers: mean (pytorch-grad-cam) or max (torchcam).")
    var fuse: String = "mean"

    @Option(help: "The score explained: logit, probability or negated (default: logit; negated for counterfactual).")
    var target: String?

    @Flag(help: "Average over horizontal flips × brightness 0.9/1.0/1.1 (undone).")
    var augSmooth = false

    @Flag(help: "Combine the channels by their first principal component.")
    var eigenSmooth = false

    @Option(help: "Colormap of the terminal heatmap: jet or viridis.")
    var colormap: String = "jet"

    @Flag(help: "Print one JSON object per image and nothing else.")
    var json = false

    func run() throws {
        guard let name = MethodName(name: method) else {
            throw ExplanationError.unknownMethod(method, suggestion: Suggestion.closest(to: method, among: MethodName.allCases.map(\.rawValue)))
        }
        let fusion = try Choice.value(fuse, for: "--fuse", as: LayerFusion.self)
        let explained = try target.map { try Choice.value($0, for: "--target", as: ExplanationTarget.self) }
        let palette = try colormapNamed(colormap)
        let network = try model.network()
        let report = try CamReport(method: name, network: network, imagePaths: images, classSpec: classSpec,
                                   preprocessing: try model.preprocessing()) { request in
            request.layers = layers.isEmpty ? nil : layers
            request.target = explained
            request.fusion = fusion
            request.augmentationSmoothing = augSmooth
            request.eigenSmoothing = eigenSmooth
        }
        report.notes.forEach(printError)
        if json {
            try report.jsonLines.forEach { try StandardOutput.print($0) }
        } else {
            try StandardOutput.print(report.humanReadable(terminal: .standardOutput, colormap: palette))
        }
    }
}
