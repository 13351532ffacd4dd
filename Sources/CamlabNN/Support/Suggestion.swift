/// "Did you mean …?": the closest known word by edit distance, when it is close enough to be a typo.
public enum Suggestion {
    /// Words longer than this are no typo of a known name; comparing them would only cost time
    /// (a megabyte typed by mistake must not take seconds).
    static let longestWord = 200

    public static func closest(to word: String, among candidates: [String]) -> String? {
        // A word with a control character in it (`sta\0te`) was not typed as a word: no typo of one.
        guard word.count <= longestWord, !Echo.containsControlCharacter(word) else { return nil }
        // Two edits of a three-letter word leave one letter: 'bad' is no typo of 'max'.
        let allowed = word.count <= 3 ? 1 : Swift.max(2, word.count / 3)
        let scored = candidates.lazy.filter { Swift.abs($0.count - word.count) <= allowed }
            .map { ($0, distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= allowed ? best.0 : nil
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
