import ArgumentParser

@main
struct Camlab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camlab",
        abstract: "A teaching lab for class activation maps: CAM, Grad-CAM, Grad-CAM++ and their family.",
        version: "0.1.0",
        subcommands: [
            FigureCommand.self,
            FiguresCommand.self,
        ])
}
