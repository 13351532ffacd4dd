import CamlabFiles
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

    /// The largest epoch number a record may carry: far more than any run, small enough that the
    /// figure's axis arithmetic stays exact.
    public static let largestEpoch = 1_000_000
    /// The largest loss magnitude plotted: a diverged run's 1e30 still draws, while the axis
    /// arithmetic (spans, 5 % margins) cannot overflow to infinity.
    public static let largestLoss = 1e300

    /// Parses the text of a log. Records whose numbers cannot be plotted (a loss that is not finite,
    /// an accuracy outside 0…1, an epoch given twice) are refused with the line they are on, so a
    /// figure is never drawn from them.
    public init(parsing text: String, source: String = "the training log") throws {
        var epochs: [Epoch] = []
        var lines: [Int: Int] = [:]
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            guard let data = line.trimmingCharacters(in: .whitespaces).data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let epochNumber = object["epoch"] as? NSNumber,
                  let lossNumber = object["loss"] as? NSNumber
            else { continue }
            let at = "\(source) line \(index + 1)"
            func problem(_ what: String) -> FigureError {
                var text = "\(at): \(what)"
                text = text.prefix(1).uppercased() + text.dropFirst()
                return FigureError(text)
            }
            let epochValue = epochNumber.doubleValue
            guard epochValue.isFinite, epochValue == epochValue.rounded(), (0...Double(Self.largestEpoch)).contains(epochValue) else {
                throw problem("the epoch \(epochNumber) is not a whole number from 0 to \(Self.largestEpoch).")
            }
            let epoch = Int(epochValue)
            if let first = lines[epoch] { throw problem("epoch \(epoch) was already given on line \(first).") }
            lines[epoch] = index + 1
            let loss = lossNumber.doubleValue
            guard loss.isFinite, abs(loss) <= Self.largestLoss else {
                throw problem("the loss \(lossNumber) is not a finite number a plot can show.")
            }
            func number(_ key: String, in range: ClosedRange<Double>, _ meaning: String) throws -> Double? {
                guard let value = object[key] else { return nil }
                guard let number = (value as? NSNumber)?.doubleValue, number.isFinite, range.contains(number) else {
                    throw problem("\(key) \(value) is not \(meaning).")
                }
                return number
            }
            epochs.append(Epoch(epoch: epoch,
                                seconds: try number("seconds", in: 0...Double.greatestFiniteMagnitude, "a finite number of seconds"),
                                loss: loss,
                                trainAccuracy: try number("train_accuracy", in: 0...1, "an accuracy from 0 to 1"),
                                testAccuracy: try number("test_accuracy", in: 0...1, "an accuracy from 0 to 1")))
        }
        guard !epochs.isEmpty else {
            throw FigureError("\(source) holds no epoch records; it should be the JSON lines `camlab train --json` prints.")
        }
        self.epochs = epochs.sorted { $0.epoch < $1.epoch }
    }

    /// Reads a log file.
    public static func read(at path: String) throws -> TrainingLog {
        let text: String
        do {
            text = try RegularFile.text(at: path)
        } catch {
            throw FigureError("Cannot read the training log '\(path)': \(error).")
        }
        return try TrainingLog(parsing: text, source: "The training log '\(path)'")
    }
}
