import CamlabCore
import CamlabImaging
import CamlabNN
import Foundation

/// `camlab eval` and `camlab predict`: run a saved model on images and say what it sees.
public enum EvaluationSession {
    /// Accuracy and confusion matrix of the model at `modelPath` on `directory/<class>/*`, with
    /// the model's class names.
    public static func evaluate(modelPath: String, dataDirectory: String) throws -> (evaluation: Evaluation, classes: [String]) {
        let network = try Network(contentsOf: modelPath)
        let data = try LabData.labeledImages(in: dataDirectory, for: network.architecture, note: printError)
        return (try Evaluation(network: network, data: data), network.classes)
    }

    /// `{"accuracy": A, "confusion": [[…]]}`.
    public static func jsonLine(_ evaluation: Evaluation) -> String {
        JSONValue.object([
            ("accuracy", .double(evaluation.accuracy)),
            ("confusion", .array(evaluation.confusion.map { .array($0.map(JSONValue.int)) })),
        ]).text
    }

    /// The accuracy and a confusion table with the class names, for a person.
    public static func text(_ evaluation: Evaluation, classes: [String]) -> String {
        let total = evaluation.confusion.joined().reduce(0, +)
        var lines = [String(format: "accuracy %.2f %% (%d images)", 100 * evaluation.accuracy, total),
                     "confusion (rows: true class, columns: predicted)"]
        let width = max(8, (classes.map(\.count).max() ?? 0) + 2)
        func cell(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        lines.append(cell("") + classes.map(cell).joined())
        for (name, row) in zip(classes, evaluation.confusion) {
            lines.append(cell(name) + row.map { cell("\($0)") }.joined())
        }
        return lines.joined(separator: "\n")
    }

    /// Each image at the size the network takes it (its own, for a network that adapts).
    public static func predict(network: Network, imagePaths: [String], preprocessing: Preprocessing = .none) throws -> [(path: String, prediction: Prediction)] {
        let channels = network.architecture.input[0]
        guard channels == 1 || channels == 3 else {
            throw LabError("cannot read images for a network with \(channels) input channels: images have 1 (gray) or 3 (RGB)")
        }
        return try imagePaths.flatMap { path in
            let input = try ModelInput(imagePaths: [path], network: network, preprocessing: preprocessing)
            input.notes.forEach(printError)
            let logits = network.classScores(input.batch)
            return zip([path], try Prediction.predictions(fromLogits: logits, classes: network.classes)).map { ($0, $1) }
        }
    }

    /// `{"image", "class", "class_name", "logits", "probabilities"}`.
    public static func jsonLine(image: String, _ prediction: Prediction) -> String {
        JSONValue.object([
            ("image", .string(image)), ("class", .int(prediction.classIndex)),
            ("class_name", .string(prediction.className)),
            ("logits", .array(prediction.logits.map(JSONValue.float))),
            ("probabilities", .array(prediction.probabilities.map(JSONValue.float))),
        ]).text
    }

    /// `image: class (probability %)`, for a person.
    public static func text(image: String, _ prediction: Prediction) -> String {
        String(format: "%@: %@ (%.1f %%)", image, prediction.className, 100 * Double(prediction.probabilities[prediction.classIndex]))
    }

    /// The line, then the five most probable classes when there are many (ImageNet's thousand).
    public static func text(image: String, _ prediction: Prediction, classes: [String]) -> String {
        guard classes.count > 10 else { return text(image: image, prediction) }
        let p = prediction.probabilities
        let top = p.indices.sorted { p[$0] > p[$1] }.prefix(5)
        return ([text(image: image, prediction)] + top.map { String(format: "  %5.1f %%  %d %@", 100 * Double(p[$0]), $0, classes[$0]) })
            .joined(separator: "\n")
    }
}

