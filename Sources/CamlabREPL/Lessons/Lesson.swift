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
        for (index, line) in markdown.components(separatedBy: "\n").enumerated() {
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
        guard let cellLines else { commands = nil; expectations = []; return }
        var commands: [String] = [], expectations: [Expectation] = []
        for (offset, text) in cellLines.enumerated() {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#>") {
                expectations.append(try Expectation(parsing: String(trimmed.dropFirst(2)), line: line - cellLines.count + offset))
            } else if !trimmed.isEmpty && !trimmed.hasPrefix("#") {
                commands.append(trimmed)
            }
        }
        self.commands = commands
        self.expectations = expectations
    }
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
        case let .badExpectation(text, line): return "Line \(line) of a lesson: cannot read the expectation '\(text)'; see Lessons/README.md."
        case let .noSuchLesson(name, available):
            return "There is no lesson '\(name)'; the lessons are \(available.map(String.init).joined(separator: ", "))."
        }
    }
}
