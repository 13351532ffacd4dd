import Foundation

/// What a cell promises about its results, written `#> expect …` in the cell:
///
///     #> expect difference < 1e-4        a number the cell's commands computed
///     #> expect others > inside          two of them compared
///     #> expect class == triangle        a word they computed
///     #> expect output contains "Grad-CAM"
///     #> expect error contains "global average pooling"    the cell must fail, with this message
///
/// A lesson that stops telling the truth then fails its `--run`.
public struct Expectation: Equatable, CustomStringConvertible {
    public enum Comparison: String, CaseIterable { case lessOrEqual = "<=", greaterOrEqual = ">=", notEqual = "!=", equal = "==", less = "<", greater = ">" }

    public enum Kind: Equatable {
        case value(name: String, comparison: Comparison, expected: String)
        case outputContains(String)
        case errorContains(String)
    }

    public let kind: Kind
    public let description: String

    init(parsing text: String, line: Int) throws {
        let body = text.trimmingCharacters(in: .whitespaces)
        description = body
        guard body.hasPrefix("expect ") else { throw LessonError.badExpectation(body, line: line) }
        let rest = body.dropFirst("expect ".count).trimmingCharacters(in: .whitespaces)
        for (keyword, make) in [("output contains ", Kind.outputContains), ("error contains ", Kind.errorContains)] where rest.hasPrefix(keyword) {
            let quoted = rest.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
            guard quoted.count >= 2, quoted.hasPrefix("\""), quoted.hasSuffix("\"") else { throw LessonError.badExpectation(body, line: line) }
            kind = make(String(quoted.dropFirst().dropLast()))
            return
        }
        let parts = rest.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 3, let comparison = Comparison(rawValue: parts[1]) else { throw LessonError.badExpectation(body, line: line) }
        kind = .value(name: parts[0], comparison: comparison, expected: parts[2])
    }

    /// Whether the cell's outcome keeps the promise, and what was actually seen.
    func check(values: [String: ResultValue], output: String, error: String?) -> (passed: Bool, seen: String) {
        switch kind {
        case .outputContains(let text):
            return (output.contains(text), output.contains(text) ? "found" : "not in the output")
        case .errorContains(let text):
            guard let error else { return (false, "the cell did not fail") }
            return (error.contains(text), "error: \(error)")
        case let .value(name, comparison, expected):
            guard let value = values[name] else {
                return (false, "no value '\(name)' (the cell computed \(values.keys.sorted().joined(separator: ", ")))")
            }
            switch value {
            case .number(let x):
                let y: Double
                var seen = "\(name) = \(value)"
                if let literal = Double(expected) {
                    y = literal
                } else if case .number(let other)? = values[expected] {
                    y = other
                    seen += ", \(expected) = \(ResultValue.number(other))"
                } else {
                    return (false, "\(name) = \(value), not comparable with '\(expected)'")
                }
                guard x.isFinite, y.isFinite else { return (false, "\(seen): not finite numbers") }
                let passed: Bool
                switch comparison {
                case .less: passed = x < y
                case .lessOrEqual: passed = x <= y
                case .greater: passed = x > y
                case .greaterOrEqual: passed = x >= y
                case .equal: passed = x == y
                case .notEqual: passed = x != y
                }
                return (passed, seen)
            case .text(let s):
                switch comparison {
                case .equal: return (s == expected, "\(name) = \(s)")
                case .notEqual: return (s != expected, "\(name) = \(s)")
                default: return (false, "\(name) = \(s) is a word; compare it with == or !=")
                }
            }
        }
    }
}
