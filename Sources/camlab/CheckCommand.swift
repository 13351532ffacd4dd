import ArgumentParser
import CamlabData
import CamlabImaging
import CamlabLab
import CamlabMethods
import CamlabNN

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check one of the tutorial's equations numerically: both sides and their difference.",
        discussion: EquationCheck.Name.allCases.map { "\($0.rawValue): \($0.summary)" }.joined(separator: "\n"))

    @Argument(help: "eq1, eq2, eq3, gradcam-is-cam or gradcampp-exact.")
    var name: String

    @OptionGroup var choice: ImageChoiceOptions

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func run() throws {
        let check = try Choice.value(name, for: "The check", as: EquationCheck.Name.self)
        let (network, input, classIndex) = try choice.load()
        let result = try EquationCheck(check, network: network, input: input.batch, classIndex: classIndex, layer: choice.layer)
        try StandardOutput.print(json ? result.json : result.humanReadable(terminal: .standardOutput))
        if !result.passes { throw ExitCode(1) }
    }
}
