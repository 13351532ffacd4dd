import ArgumentParser
import CamlabLab
import CamlabMethods
import CamlabNN

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Score methods on a dataset: Average Drop, Increase in Confidence, deletion/insertion, ROAD, and, with masks, pointing game, energy, IoU and objects found.")

    @Option(help: "A model file (camlab, safetensors state dict or .pth).")
    var model: String

    @Option(help: "A camlab dataset folder (with manifest.json; its test split) or an image folder DIR/<class>/*.")
    var data: String

    @Option(help: "Comma-separated methods, e.g. gradcam,gradcampp.")
    var methods: String = "gradcam,gradcampp"

    @Option(help: "At most this many explanations.")
    var count: Int = 200

    @Flag(help: "One JSON object per method.")
    var json = false

    func run() throws {
        // An empty list would print an empty table: nothing was asked, so nothing is measured.
        guard !methods.split(separator: ",").isEmpty else { throw LabError("--methods names no method; give one or more, e.g. gradcam,gradcampp.") }
        let names = try methods.split(separator: ",").map { name -> MethodName in
            guard let method = MethodName(name: String(name)) else {
                throw ExplanationError.unknownMethod(String(name), suggestion: Suggestion.closest(to: String(name), among: MethodName.allCases.map(\.rawValue)))
            }
            guard method.producesMap else { throw LabError("\(method.rawValue) produces no heatmap, so it has no map metrics.") }
            return method
        }
        guard count > 0 else { throw LabError("--count must be at least 1, not \(count).") }
        let network = try Network(contentsOf: model)
        let report = try MetricsReport(network: network, dataDirectory: data, methods: names, limit: count) {
            if Terminal.standardOutput.isInteractive { printError($0) }
        }
        if json { try report.jsonLines.forEach { try StandardOutput.print($0) } } else { try StandardOutput.print(report.humanReadable(terminal: .standardOutput)) }
    }
}
