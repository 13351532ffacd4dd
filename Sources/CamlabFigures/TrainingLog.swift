import Foundation

/// The per-epoch records that `camlab train --json` prints, one JSON object a line:
/// `{"epoch": N, "seconds": S, "loss": L, "train_accuracy": A}` (a `test_accuracy` is plotted too
/// when present). Lines that are not such records — a summary, blank lines — are skipped.
public struct TrainingLog: Equatable, Sendable {
    public struct Epoch: Equatable, Sendable {
        public var epoch: Int
        public var seconds: Double?
        public var loss: Double
        public var trainAccuracy: Double?
        public var testAccuracy: Double?
    }

    public var epochs: [Epoch]

    public init(epochs: [Epoch]) { self.epochs = epochs }

    /// Parses the text of a log.
    public init(parsing text: String, source: String = "the training log") throws {
        var epochs: [Epoch] = []
        for line in text.split(whereSeparator: \.isNewline) {
            guard let data = line.trimmingCharacters(in: .whitespaces).data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let epoch = (object["epoch"] as? NSNumber)?.intValue,
                  let loss = (object["loss"] as? NSNumber)?.doubleValue
            else { continue }
            func number(_ key: String) -> Double? { (object[key] as? NSNumber)?.doubleValue }
            epochs.append(Epoch(epoch: epoch, seconds: number("seconds"), loss: loss,
                                trainAccuracy: number("train_accuracy"), testAccuracy: number("test_accuracy")))
        }
        guard !epochs.isEmpty else {
            throw FigureError("\(source) holds no epoch records; it should be the JSON lines `camlab train --json` prints.")
        }
        self.epochs = epochs.sorted { $0.epoch < $1.epoch }
    }

    /// Reads a log file.
    public static func read(at path: String) throws -> TrainingLog {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FigureError("Cannot read the training log '\(path)': no such file or it is unreadable.")
        }
        return try TrainingLog(parsing: String(decoding: data, as: UTF8.self), source: "The training log '\(path)'")
    }
}
