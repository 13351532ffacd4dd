import ArgumentParser

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
}
