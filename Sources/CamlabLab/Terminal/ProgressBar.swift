import Foundation

/// A one-line progress bar on stderr for long work that is not training (`metrics`):
/// `metrics [#######.......] 31/120  12 s left`. Drawn only on a terminal, at most ten times a second.
public final class ProgressBar {
    public let isShown: Bool
    let label: String
    private let start = DispatchTime.now().uptimeNanoseconds
    private var lastDrawn: UInt64 = 0
    private var visible = false

    public init(isShown: Bool, label: String) {
        self.isShown = isShown && isatty(STDERR_FILENO) == 1
        self.label = label
    }

    public static func line(label: String, done: Int, total: Int, secondsSoFar: Double, width: Int = 30) -> String {
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let filled = Int((fraction * Double(width)).rounded(.down))
        let left = done > 0 ? secondsSoFar / Double(done) * Double(total - done) : 0
        return "\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            + "\(done)/\(total)  " + TrainingReporter.duration(left) + " left"
    }

    public func update(done: Int, total: Int) {
        guard isShown else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastDrawn > 100_000_000 || done == total else { return }
        lastDrawn = now
        let text = "\r" + Self.line(label: label, done: done, total: total, secondsSoFar: Double(now - start) / 1e9) + "\u{1B}[K"
        FileHandle.standardError.write(Data(text.utf8))
        visible = true
    }

    public func clear() {
        if visible { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); visible = false }
    }
}
