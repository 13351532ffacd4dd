@preconcurrency import CReadline
import Foundation

/// The readline history, kept across sessions in a bounded dotfile: `$CAMLAB_HISTORY`, else
/// `~/.camlab_history`, at most `limit` lines (blank lines and immediate repeats are not kept).
public final class HistoryFile {
    public let path: String
    public let limit: Int
    private var last: String?

    public init(path: String, limit: Int = 1000) {
        self.path = path
        self.limit = limit
    }

    /// The file named by the environment.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> HistoryFile {
        if let path = environment["CAMLAB_HISTORY"], !path.isEmpty { return HistoryFile(path: path) }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return HistoryFile(path: (home as NSString).appendingPathComponent(".camlab_history"))
    }

    func load() {
        using_history()
        stifle_history(Int32(limit))
        _ = read_history(path)   // a missing file is a first session, not an error
        if history_length > 0, let entry = history_get(history_base + history_length - 1), let text = entry.pointee.line {
            last = String(cString: text)
        }
    }

    func add(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed != last else { return }
        add_history(trimmed)
        last = trimmed
    }

    func save() {
        if write_history(path) == 0 { _ = history_truncate_file(path, Int32(limit)) }
    }
}
