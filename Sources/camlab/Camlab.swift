import ArgumentParser
import CamlabLab
import CamlabNN
import Foundation

@main
struct Camlab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camlab",
        abstract: "A teaching lab for class activation maps: CAM, Grad-CAM, Grad-CAM++ and their family.",
        version: "0.1.0",
        subcommands: [
            ReplCommand.self,
            LessonCommand.self,
            CamCommand.self,
            CheckCommand.self,
            MetricsCommand.self,
            SanityCommand.self,
            FigureCommand.self,
            FiguresCommand.self,
            TrainCommand.self,
            EvalCommand.self,
            PredictCommand.self,
            ModelCommand.self,
            DataCommand.self,
        ],
        defaultSubcommand: ReplCommand.self)

    /// ArgumentParser's own main, with two additions: standard output is flushed and checked last
    /// (a result lost on a full disk is an error), and no line of an error message is longer than
    /// `Echo.longestMessageLine` (a hostile file can name ten thousand things).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
            try StandardOutput.finish()
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                // --help and --version are output too: a full disk is said, not ignored.
                do {
                    if !message.isEmpty { try StandardOutput.print(message) }
                } catch {
                    printError("Error: \(error)")
                    Foundation.exit(ExitCode.failure.rawValue)
                }
                Foundation.exit(0)
            }
            // A thrown exit status (130 after Ctrl-C) prints nothing.
            guard !message.isEmpty else { exit(withError: error) }
            printError(Echo.message(message))
            Foundation.exit(code.rawValue)
        }
    }
}
