import CamlabLab

/// One REPL command. Adding a command is one line in `CommandTable.standard`.
public protocol Command {
    /// The word that runs it.
    var name: String { get }
    /// Other words that run it (`exit` for `quit`).
    var aliases: [String] { get }
    /// How to call it, e.g. `image [PATH | shapes N | multi N | pairs N]`.
    var usage: String { get }
    /// How many words may follow the name; more are refused before `run`. nil: any number.
    var maximumArgumentCount: Int? { get }
    /// One line for `help`.
    var summary: String { get }
    /// More for `help CMD`: what the numbers mean, the equation.
    var details: String { get }
    /// The group it is listed under in `help`.
    var topic: CommandTopic { get }
    /// Completions of argument `index` (0 = the first word after the command), whose typed part is
    /// `prefix` (the candidates are filtered by it afterwards; it only helps to choose what to offer).
    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates
    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput
}

extension Command {
    public var aliases: [String] { [] }
    /// Read from `usage`, so what `help` shows and what is accepted cannot disagree.
    public var maximumArgumentCount: Int? { Usage.maximumWordCount(of: usage) }
    public var details: String { "" }
    public func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates { .words([]) }
}

/// The grammar of a usage line: words, `[optional parts]`, `a | b` alternatives; `…` or
/// `OPTIONS` mean any number of words.
enum Usage {
    /// The most words that may follow the command's name, or nil for any number.
    static func maximumWordCount(of usage: String) -> Int? {
        let characters = Array(usage.drop { $0 != " " })
        var index = 0
        // The longest of the alternatives up to a `]` (consumed) or the end; nil when unbounded.
        func alternatives() -> Int? {
            var longest = 0
            while true {
                guard let count = sequence() else { return nil }
                longest = Swift.max(longest, count)
                guard index < characters.count, characters[index] == "|" else { break }
                index += 1
            }
            if index < characters.count, characters[index] == "]" { index += 1 }
            return longest
        }
        func sequence() -> Int? {
            var count = 0
            while index < characters.count, characters[index] != "]", characters[index] != "|" {
                switch characters[index] {
                case " ": index += 1
                case "[":
                    index += 1
                    guard let inner = alternatives() else { return nil }
                    count += inner
                default:
                    var word = ""
                    while index < characters.count, !" []|".contains(characters[index]) { word.append(characters[index]); index += 1 }
                    if word == "…" || word == "..." || word == "OPTIONS" { return nil }
                    count += 1
                }
            }
            return count
        }
        return alternatives()
    }
}

/// The groups of `help`, in the order a learner meets them.
public enum CommandTopic: String, CaseIterable {
    case session = "The session"
    case model = "Model and image"
    case cam = "Inside CAM (eq. 1) and Grad-CAM (eqs. 2–3)"
    case methods = "Explanations"
    case autodiff = "Tensors and autodiff"
    case lessons = "Lessons"
}

/// A value a command computed, for lesson expectations (`#> expect difference < 1e-4`).
public enum ResultValue: Equatable, CustomStringConvertible {
    case number(Double)
    case text(String)

    public var description: String {
        switch self {
        case .number(let x): return x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int(x)) : String(format: "%.6g", x)
        case .text(let s): return s
        }
    }
}

/// What a command shows and what it computed.
public struct CommandOutput {
    public var text: String
    /// Named numbers and words that lessons can check.
    public var values: [String: ResultValue]
    /// A heatmap this command made, kept with the numbered result for `diff` and `show`.
    public var map: [Float]?
    /// Whether the output is worth a number of its own (`$3`, `show 3`).
    public var isResult: Bool

    public init(_ text: String, values: [String: ResultValue] = [:], map: [Float]? = nil, isResult: Bool = false) {
        self.text = text
        self.values = values
        self.map = map
        self.isResult = isResult
    }
}

/// Why a command did not run, in one sentence.
public enum CommandError: Error, CustomStringConvertible, Equatable {
    case usage(String)
    case message(String)
    /// Ctrl-C during the command: the state goes back to what it was before.
    case interrupted

    public var description: String {
        switch self {
        case .usage(let usage): return "Usage: \(usage)"
        case .message(let text): return text
        case .interrupted: return "Interrupted; the state is as it was before the command."
        }
    }
}

/// A value formatted for a table: fixed decimals, never "nan" (non-finite numbers are named).
func formatted(_ x: Float, decimals: Int = 4) -> String { formatted(Double(x), decimals: decimals) }

func formatted(_ x: Double, decimals: Int = 4) -> String {
    if x.isNaN { return "undefined" }
    if x.isInfinite { return x > 0 ? "+infinity" : "-infinity" }
    if x != 0 && (Swift.abs(x) < 1e-3 || Swift.abs(x) >= 1e5) { return String(format: "%.3e", x) }
    return String(format: "%.\(decimals)f", x)
}

/// Pads `text` on the right to `width` characters (for aligned tables).
func padded(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// Pads on the left (numbers).
func rightAligned(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}
