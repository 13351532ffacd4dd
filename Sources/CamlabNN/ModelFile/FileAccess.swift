import CamlabFiles
import Foundation

/// Why a model file could not be reached before its format is read: one list of sentences for
/// both readers (safetensors and torch.save's zip).
public enum FileAccessProblem: Equatable, Sendable {
    case fileNotFound
    case isDirectory
    case unreadable(reason: String)

    /// The clause after the colon, without a final full stop.
    var explanation: String {
        switch self {
        case .fileNotFound: return "there is no such file"
        case .isDirectory: return "it is a directory, not a file"
        case let .unreadable(reason): return "the file could not be read (\(reason))"
        }
    }

    /// Nil when something that is not a folder exists at `path`.
    static func locating(_ path: String) -> FileAccessProblem? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .fileNotFound }
        return isDirectory.boolValue ? .isDirectory : nil
    }

    /// The failure of a `RegularFile` read or check, else rethrown as it is.
    static func reading(_ body: () throws -> Void) throws -> FileAccessProblem? {
        do {
            try body()
            return nil
        } catch let failure as RegularFile.Failure {
            return .unreadable(reason: failure.description)
        }
    }
}
