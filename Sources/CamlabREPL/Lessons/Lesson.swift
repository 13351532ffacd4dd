import CamlabNN
import Foundation

/// A lesson: a Markdown file whose fenced `camlab` blocks are cells the REPL runs (Lessons/README.md).
///
/// The file is cut into steps, one per cell: a step is the prose since the previous cell and the
/// cell. Prose after the last cell is a closing step without a cell (usually the exercises).
public struct Lesson {
    public let number: Int
    public let title: String
    public let path: String
    public let steps: [LessonStep]
    /// Whether the lesson needs the model the session started with (`<!-- model: lessons -->` in its
    /// file): its expectations are about that model, not one trained in an exercise.
    public let needsLessonsModel: Bool

    public init(number: Int, path: String, markdown: String) throws {
        self.number = number
        self.path = path
        var title: String?
        var steps: [LessonStep] = []
        var prose: [String] = []
        var cell: [String]?
        var fence = ""
        var needsLessonsModel = false
        // By isNewline, not "\n": a lesson saved with CRLF endings ("\r\n" is one Character) is
        // otherwise one line.
        for (index, line) in markdown.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init).enumerated() {
            if var lines = cell {
                if line.trimmingCharacters(in: .whitespaces) == fence {
                    steps.append(try LessonStep(prose: prose, cellLines: lines, line: index + 1))
                    prose = []
                    cell = nil
                } else {
                    lines.append(line)
                    cell = lines
                }
                continue
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```"), trimmed.dropFirst(3).split(separator: " ").first == "camlab" {
                fence = String(trimmed.prefix { $0 == "`" })
                cell = []
                continue
            }
            if trimmed == "<!-- model: lessons -->" { needsLessonsModel = true; continue }
            if title == nil, line.hasPrefix("# ") {
                title = String(line.dropFirst(2)).trimmingCharacters(in: .whitespaces)
                continue
            }
            prose.append(line)
        }
        if cell != nil { throw LessonError.unclosedCell(path) }
        if prose.contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            steps.append(try LessonStep(prose: prose, cellLines: nil, line: 0))
        }
        guard let title else { throw LessonError.noTitle(path) }
        self.title = title
        self.steps = steps
        self.needsLessonsModel = needsLessonsModel
    }

    /// The lesson number of a file name such as `03-cam.md`.
    static func number(ofFile name: String) -> Int? {
        guard name.hasSuffix(".md") else { return nil }
        return Int(name.prefix { $0.isNumber })
    }
}

/// One step: prose to read, then (usually) a cell to run.
public struct LessonStep {
    /// The prose, without its hints.
    public let prose: String
    /// `> **Hint:** …` paragraphs, shown on `hint`.
    public let hints: [String]
    /// The commands of the cell, in order (nil: a step of prose only).
    public let commands: [String]?
    public let expectations: [Expectation]
    /// Files the cell needs (`#> needs PATH: how to make it`): without them it is skipped, saying how.
    public let requirements: [LessonRequirement]

    init(prose lines: [String], cellLines: [String]?, line: Int) throws {
        var kept: [String] = [], hints: [String] = []
        var inHint = false
        for text in lines {
            if text.hasPrefix("> **Hint") {
                inHint = true
                hints.append(text.dropFirst(2).replacingOccurrences(of: "**Hint:**", with: "").trimmingCharacters(in: .whitespaces))
            } else if inHint && text.hasPrefix(">") {
                hints[hints.count - 1] += " " + text.dropFirst(1).trimmingCharacters(in: .whitespaces)
            } else {
                inHint = false
                kept.append(text)
            }
        }
        prose = kept.joined(separator: "\n").trimmingCharacters(in: .newlines)
        self.hints = hints
        guard let cellLines else { commands = nil; expectations = []; requirements = []; return }
        var commands: [String] = [], expectations: [Expectation] = [], requirements: [LessonRequirement] = []
        for (offset, text) in cellLines.enumerated() {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#> needs ") {
                let rest = trimmed.dropFirst("#> needs ".count)
                let path = rest.prefix { $0 != ":" }.trimmingCharacters(in: .whitespaces)
                let howTo = rest.drop { $0 != ":" }.dropFirst().trimmingCharacters(in: .whitespaces)
                guard !path.isEmpty else { throw LessonError.badExpectation(trimmed, line: line - cellLines.count + offset) }
                requirements.append(LessonRequirement(path: path, howTo: howTo))
            } else if trimmed.hasPrefix("#>") {
                expectations.append(try Expectation(parsing: String(trimmed.dropFirst(2)), line: line - cellLines.count + offset))
            } else if !trimmed.isEmpty && !trimmed.hasPrefix("#") {
                commands.append(trimmed)
            }
        }
        self.commands = commands
        self.expectations = expectations
        self.requirements = requirements
    }
}

/// A file an optional cell needs, such as pretrained weights no test machine can download.
public struct LessonRequirement: Equatable {
    public let path: String
    /// The command that makes it, on a machine that can.
    public let howTo: String
}

public enum LessonError: Error, CustomStringConvertible, Equatable {
    case noTitle(String)
    case unclosedCell(String)
    case badExpectation(String, line: Int)
    case noSuchLesson(String, available: [Int])

    public var description: String {
        switch self {
        case .noTitle(let path): return "The lesson \(path) has no '# Title' line."
        case .unclosedCell(let path): return "The lesson \(path) has a camlab cell that is never closed."
        // The line as typed, escaped: a stray control character must not end the sentence early.
        case let .badExpectation(text, line): return "Line \(line) of a lesson: cannot read the expectation '\(Echo.word(text))'; see Lessons/README.md."
        case let .noSuchLesson(name, available):
            return "There is no lesson '\(Echo.word(name))'; the lessons are \(available.map(String.init).joined(separator: ", "))."
        }
    }
}
