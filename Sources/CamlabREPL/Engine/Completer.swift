import CLineEditor
import Foundation

/// Tab completion: given the line and the word being completed, the words that could go there.
///
/// readline takes a C function pointer, which cannot capture anything, so the active completer is
/// reached through one global (`installed`); only the REPL's thread touches it.
public final class Completer {
    /// What can complete a word.
    public enum Candidates: Equatable {
        case words([String])
        /// File and directory names (readline's own completion, which knows `~` and adds `/`).
        case paths
    }

    private let candidates: (_ words: [String], _ prefix: String) -> Candidates

    /// `candidates` receives the words before the one being completed and that word's prefix.
    public init(candidates: @escaping (_ words: [String], _ prefix: String) -> Candidates) {
        self.candidates = candidates
    }

    /// The completions of the word that ends at byte `end` of `line`, sorted, without duplicates.
    public func completions(line: String, start: Int, end: Int) -> Candidates {
        let bytes = Array(line.utf8)
        let before = String(decoding: bytes[0..<Swift.min(start, bytes.count)], as: UTF8.self)
        let prefix = String(decoding: bytes[Swift.min(start, bytes.count)..<Swift.min(end, bytes.count)], as: UTF8.self)
        let words = before.split(separator: " ").map(String.init)
        switch candidates(words, prefix) {
        case .paths: return .paths
        case .words(let all):
            return .words(Array(Set(all.filter { $0.hasPrefix(prefix) })).sorted())
        }
    }

    nonisolated(unsafe) static var installed: Completer?

    static let bridge: cle_completer = { line, start, end in
        guard let completer = Completer.installed else { return nil }
        switch completer.completions(line: String(cString: line), start: Int(start), end: Int(end)) {
        case .paths:
            return nil
        case .words(let words):
            // malloc, not `allocate`: the C side releases the array with free().
            let array = malloc(MemoryLayout<UnsafeMutablePointer<CChar>?>.stride * (words.count + 1))!
                .bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: words.count + 1)
            for (i, word) in words.enumerated() { array[i] = strdup(word) }
            array[words.count] = nil
            return array
        }
    }
}
