/// The commands of the REPL, looked up by name or alias.
public struct CommandTable {
    public let commands: [Command]

    public init(_ commands: [Command]) { self.commands = commands }

    /// Every command camlab has. Commands built on other parts of camlab (training, metrics,
    /// figures, checks) join here, one line each, when those parts exist.
    public static var standard: CommandTable {
        var commands: [Command] = [
            HelpCommand(), QuitCommand(), StateCommand(), ShowCommand(), HistoryCommand(),
            ModelCommand(), LayersCommand(), ImageCommand(), PredictCommand(), ClassCommand(), LayerCommand(),
            FeaturesCommand(), GAPCommand(), WeightsCommand(), ScoreCommand(), GradsCommand(),
            CompareCommand(), DiffCommand(), MetricsCommand(), SanityCommand(), CheckCommand(), FigureCommand(), TrainCommand(), EvalCommand(),
            AutodiffCommand(), GradCheckCommand(), GradGradCommand(),
            LessonCommand(), NextCommand(), BackCommand(), StepCommand(), HintCommand(),
        ]
        commands.insert(contentsOf: MethodCommand.all, at: 15)
        return CommandTable(commands)
    }

    public func command(named name: String) -> Command? {
        let key = name.lowercased()
        return commands.first { $0.name == key || $0.aliases.contains(key) }
    }

    /// Names and aliases, for completion and "did you mean".
    public var allNames: [String] { commands.flatMap { [$0.name] + $0.aliases } }
}
