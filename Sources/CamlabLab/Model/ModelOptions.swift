import CamlabFiles
import Foundation
import CamlabNN

extension ModelOverrides {
    /// The overrides a user typed: a classes file (one name per line, as
    /// torchvision's `imagenet-classes.txt`), and `R,G,B` lists for the mean and std.
    public static func parse(classesFile: String?, mean: String?, std: String?) throws -> ModelOverrides {
        var overrides = ModelOverrides()
        if let classesFile {
            let text: String
            do {
                text = try RegularFile.text(at: classesFile)
            } catch {
                throw LabError("cannot read the classes file '\(classesFile)': \(error)")
            }
            let names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !names.isEmpty else { throw LabError("the classes file '\(classesFile)' names no class") }
            overrides.classes = names
        }
        func numbers(_ text: String?, _ option: String) throws -> [Double]? {
            guard let text else { return nil }
            let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                throw LabError("--\(option) takes numbers separated by commas, e.g. 0.485,0.456,0.406, not '\(text.prefix(60))'")
            }
            return values.map { $0! }
        }
        overrides.mean = try numbers(mean, "mean")
        overrides.std = try numbers(std, "std")
        return overrides
    }
}

/// `camlab model info`: what a model file is and its module tree.
public enum ModelInfo {
    public static func lines(path: String, overrides: ModelOverrides, inputSize: [Int]?, terminal: Terminal) throws -> [String] {
        let file = try ModelFile.read(from: path, overriding: overrides)
        let network = try Network(file: file)
        let a = network.architecture
        let input = inputSize.map { [a.input[0]] + $0 } ?? a.input
        let summary = try ModelSummary(network: network, inputShape: input)
        func list(_ values: [Double]) -> String { values.map { String(format: "%g", $0) }.joined(separator: ", ") }
        var lines = [terminal.bold("\(path): \(file.origin)"),
                     "input \(input.map(String.init).joined(separator: "×"))"
                        + (network.adaptsToInputSize ? " (takes images at their own size; nominal \(a.input.map(String.init).joined(separator: "×")))" : " (images are resized to this)")
                        + " · mean \(list(a.mean)) · std \(list(a.std))",
                     "\(a.classes.count) classes: " + a.classes.prefix(5).enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", ")
                        + (a.classes.count > 5 ? ", …" : "")]
        lines += summary.lines(terminal: terminal)
        lines.append(summary.totals)
        return lines
    }

    /// `camlab model import`: the file as camlab-model/2 (or /1 for a flat network), with the
    /// overrides fixed in its metadata.
    public static func importModel(from path: String, to output: String, overrides: ModelOverrides) throws -> String {
        let file = try ModelFile.read(from: path, overriding: overrides)
        _ = try Network(file: file)
        try file.write(to: output)
        return "\(output): \(file.architecture.format), \(file.architecture.classes.count) classes, from \(file.origin)."
    }
}
