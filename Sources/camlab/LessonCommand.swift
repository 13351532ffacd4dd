import ArgumentParser
import CamlabLab
import CamlabREPL

/// `camlab lesson [N] [--run]`: the lessons, listed, followed in the REPL, or run unattended.
struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "List the lessons, follow lesson N in the REPL, or run it unattended with --run.",
        discussion: """
            Lessons are Markdown files in Lessons/ ($CAMLAB_LESSONS) whose camlab cells the REPL runs; \
            progress is kept in ~/.camlab_progress.json ($CAMLAB_PROGRESS). With --run every cell runs \
            in order and its expectations are checked; the exit status is 1 if any cell fails.
            """)

    @Argument(help: "The lesson number.")
    var number: Int?

    @Flag(name: .customLong("run"), help: "Run every cell unattended and check its expectations (tests and CI).")
    var unattended = false

    func validate() throws {
        if unattended && number == nil { throw LabError("--run needs a lesson number, e.g. camlab lesson 3 --run.") }
    }

    func run() throws {
        let repl: Repl
        do { repl = try Repl.standard() } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        guard let number else {
            let outcome = repl.lab.execute("lesson")
            if case .failed = outcome { throw ExitCode.failure }
            return
        }
        if unattended {
            do {
                let lesson = try repl.lab.lessons.lesson(String(number))
                if !repl.lab.lessons.runUnattended(lesson, lab: repl.lab) { throw ExitCode.failure }
            } catch let error as LessonError {
                printError("error: \(error)")
                throw ExitCode.failure
            }
            return
        }
        let status = repl.run(opening: String(number))
        if status != 0 { throw ExitCode(status) }
    }
}
