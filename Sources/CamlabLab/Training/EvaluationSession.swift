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
        return (Evaluation(network: network, data: data), network.classes)
    }

    /// `{"accuracy": A, "confusion": [[…]]}`.
    public static func jsonLine(_ evaluation: Evaluation) -> String {
        JSONLine.object([
            ("accuracy", JSONLine.number(evaluation.accuracy)),
            ("confusion", JSONLine.array(evaluation.confusion.map { JSONLine.array($0.map(JSONLine.number)) })),
        ])
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

    /// The model's prediction for each image file, in order; notes resized images on stderr.
    public static func predict(modelPath: String, imagePaths: [String]) throws -> [(path: String, prediction: Prediction)] {
        let network = try Network(contentsOf: modelPath)
        var results: [(path: String, prediction: Prediction)] = []
        for path in imagePaths {
            let (tensor, resized) = try LabData.image(at: path, for: network.architecture)
            if resized {
                let input = network.architecture.input
                printError("note: '\(path)' was resized to \(input[2])×\(input[1]), the network's input size")
            }
            results.append((path, Prediction.predictions(of: network, for: tensor)[0]))
        }
        return results
    }

    /// `{"image", "class", "class_name", "logits", "probabilities"}`.
    public static func jsonLine(image: String, _ prediction: Prediction) -> String {
        JSONLine.object([
            ("image", JSONLine.string(image)), ("class", JSONLine.number(prediction.classIndex)),
            ("class_name", JSONLine.string(prediction.className)),
            ("logits", JSONLine.array(prediction.logits.map(JSONLine.number))),
            ("probabilities", JSONLine.array(prediction.probabilities.map(JSONLine.number))),
        ])
    }

    /// `image: class (probability %)`, for a person.
    public static func text(image: String, _ prediction: Prediction) -> String {
        String(format: "%@: %@ (%.1f %%)", image, prediction.className, 100 * Double(prediction.probabilities[prediction.classIndex]))
    }
}

