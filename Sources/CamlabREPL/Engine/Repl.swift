import CamlabLab
import Foundation

/// The read–eval–print loop: prompt, read a line, run it, print, again — until quit or Ctrl-D.
public final class Repl {
    public let lab: Lab
    private let reader: LineReader

    public init(lab: Lab, reader: LineReader) {
        self.lab = lab
        self.reader = reader
    }

    /// A session as a person or a script meets it. Interactive when stdin is a terminal.
    public static func standard() throws -> Repl {
        let environment = ProcessInfo.processInfo.environment
        guard let model = ResourceLocator.defaultModel(environment: environment) else {
            throw CommandError.message("No model was found (\(ResourceLocator.lessonModel) or the tests' reference model); set CAMLAB_MODEL to a model file.")
        }
        let interactive = isatty(STDIN_FILENO) == 1
        var terminal = Terminal.standardOutput
        if !interactive { terminal.color = .none }   // a script's output is the same wherever it goes
        let lessons = LessonPlayer(folder: ResourceLocator.lessonsFolder(environment: environment),
                                   progressPath: LessonProgress.path(environment: environment))
        let lab = Lab(state: LabState(modelPath: model), terminal: terminal, lessons: lessons)
        let reader: LineReader
        if interactive {
            let completer = Completer { words, prefix in Self.candidates(words: words, prefix: prefix, lab: lab) }
            reader = ReadlineLineReader(history: .standard(environment: environment), completer: completer)
        } else {
            reader = ScriptLineReader()
        }
        return Repl(lab: lab, reader: reader)
    }

    /// What Tab offers: command names first, then each command's own arguments.
    static func candidates(words: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        // Aliases still run, but only the names are offered: fewer, clearer choices.
        guard let first = words.first else { return .words(lab.commands.commands.map(\.name)) }
        guard let command = lab.commands.command(named: first) else { return .words([]) }
        return command.completions(argument: words.count - 1, previous: Array(words.dropFirst()), prefix: prefix, lab: lab)
    }

    /// The first thing a person reads.
    public var banner: String {
        let t = lab.terminal
        return t.bold("camlab") + " — class activation maps, from CAM to Grad-CAM++. "
            + "Type " + t.bold("help") + " for the commands, " + t.bold("lesson") + " for the lessons, "
            + t.bold("quit") + " or Ctrl-D to leave.\n"
            + t.dim("model \(lab.state.modelPath) · image \(lab.state.image) · try: gradcam")
    }

    /// Runs until quit, Ctrl-D or the end of the script. Returns the exit status: 0, or 1 when a
    /// script hit an error (a script stops at its first error, as `sh -e` does).
    public func run(opening lesson: String? = nil) -> Int32 {
        defer { reader.close() }
        if reader.isInteractive { lab.write(banner) }
        if let lesson {
            if case .failed = lab.execute("lesson \(lesson)"), !reader.isInteractive { return 1 }
        }
        while !lab.wantsToQuit {
            // Output lost on a full disk or a closed stdout ends the session, as an error.
            if let failure = StandardOutput.failure {
                lab.reportError(failure.description)
                return 1
            }
            let prompt = lab.terminal.color == .none ? "camlab> " : "\u{01}\u{1B}[1m\u{02}camlab>\u{01}\u{1B}[0m\u{02} "
            switch reader.readLine(prompt: reader.isInteractive ? prompt : "") {
            case .end:
                if reader.isInteractive { lab.write("") }
                return 0
            case .interrupted:
                continue
            case .line(let line):
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty {
                    // Enter on an empty line drives the lesson; outside one it does nothing.
                    guard let outcome = lab.lessons.advance(lab: lab) else { continue }
                    if !outcome.text.isEmpty { lab.write(outcome.text) }
                    if !outcome.passed && !reader.isInteractive { return 1 }
                    continue
                }
                reader.remember(trimmed)
                if case .failed = lab.execute(trimmed), !reader.isInteractive { return 1 }
            }
        }
        return 0
    }
}
