import CamlabNN
import Foundation

/// Shows training as it goes: a progress bar on stderr when stderr is a terminal, and per epoch
/// either a JSON line on stdout (`--json`, or stdout is not a terminal) or a readable line.
public final class TrainingReporter {
    public let emitsJSON: Bool
    public let showsProgressBar: Bool
    private var lastDrawn: UInt64 = 0
    private var barIsVisible = false
    private let width: Int

    public init(json: Bool, stdoutIsTerminal: Bool = isatty(STDOUT_FILENO) == 1,
                stderrIsTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        emitsJSON = json || !stdoutIsTerminal
        showsProgressBar = stderrIsTerminal
        var size = winsize()
        width = stderrIsTerminal && ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20
            ? Int(size.ws_col) : 80
    }

    /// `{"epoch": N, "seconds": S, "loss": L, "train_accuracy": A}`.
    public static func jsonLine(_ summary: EpochSummary) -> String {
        JSONValue.object([("epoch", .int(summary.epoch)), ("seconds", .double(summary.seconds)),
                          ("loss", .double(summary.loss)), ("train_accuracy", .double(summary.trainAccuracy))]).text
    }

    /// The bar's text: `epoch 2/6 [#######.....]  31/63  loss 0.1234  acc 96.1 %  1850 img/s  12 s left`.
    public static func progressLine(_ progress: TrainingProgress, width: Int) -> String {
        let stats = String(format: " %d/%d  loss %.4f  acc %.1f %%  %.0f img/s  %@ left",
                           progress.batch, progress.batches, progress.loss, 100 * progress.accuracy,
                           progress.imagesPerSecond, duration(progress.secondsLeft))
        let label = "epoch \(progress.epoch)/\(progress.epochs) "
        let barWidth = max(10, min(30, width - label.count - stats.count - 3))
        let filled = Int((Double(progress.batch) / Double(progress.batches) * Double(barWidth)).rounded(.down))
        return label + "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled) + "]" + stats
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole >= 60 ? "\(whole / 60) min \(whole % 60) s" : "\(whole) s"
    }

    public func batchFinished(_ progress: TrainingProgress) {
        guard showsProgressBar else { return }
        // Redrawing more often than ten times a second only costs time.
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastDrawn > 100_000_000 || progress.batch == progress.batches else { return }
        lastDrawn = now
        writeError("\r" + Self.progressLine(progress, width: width) + "\u{1B}[K")
        barIsVisible = true
    }

    public func epochFinished(_ summary: EpochSummary, epochs: Int) throws {
        clearBar()
        if emitsJSON {
            try StandardOutput.print(Self.jsonLine(summary))
        } else {
            try StandardOutput.print(String(format: "epoch %d/%d  loss %.4f  train accuracy %.2f %%  %.2f s",
                                            summary.epoch, epochs, summary.loss, 100 * summary.trainAccuracy, summary.seconds))
        }
    }

    /// A remark for the person (resized images, where the model went): always on stderr.
    public func note(_ text: String) {
        clearBar()
        printError(text)
    }

    public func clearBar() {
        if barIsVisible { writeError("\r\u{1B}[K"); barIsVisible = false }
    }

    private func writeError(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
