import ArgumentParser
import CamlabLab
import CamlabREPL

/// `camlab` and `camlab repl`: the lesson REPL (the default subcommand).
struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "The interactive lab: explore CAM, Grad-CAM and their family, and follow the lessons.",
        discussion: """
            On a terminal: line editing, Tab completion, history in ~/.camlab_history ($CAMLAB_HISTORY), \
            Ctrl-C stops, Ctrl-D leaves. From a pipe or a script: one command per line, no prompt and \
            no colour; the first error stops the script with exit status 1. The model is \
            Models/shapes-tiny32.safetensors when it exists ($CAMLAB_MODEL overrides).
            """)

    func run() throws {
        let repl: Repl
        do { repl = try Repl.standard() } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        let status = repl.run()
        if status != 0 { throw ExitCode(status) }
    }
}
