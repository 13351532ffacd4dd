struct LessonCommand: Command {
    let name = "lesson"
    let usage = "lesson [N]"
    let summary = "List the lessons with your progress, or open lesson N where you left it."
    let details = """
        In a lesson, Enter runs the cell shown and, once it has run, goes on; type any command at any
        time. next and back move by a step, step K jumps, hint helps with the current step.
        """
    let topic = CommandTopic.lessons

    func completions(argument index: Int, previous: [String], lab: Lab) -> Completer.Candidates {
        .words(((try? lab.lessons.catalog()) ?? []).map { String($0.number) })
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        guard let spec = arguments.first else { return CommandOutput(try lab.lessons.listing(lab: lab)) }
        return CommandOutput(lab.lessons.open(try lab.lessons.lesson(spec), lab: lab))
    }
}

struct NextCommand: Command {
    let name = "next"
    let aliases = ["n"]
    let usage = "next"
    let summary = "Go on to the next step of the lesson."
    let topic = CommandTopic.lessons
    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput { CommandOutput(lab.lessons.next(lab: lab)) }
}

struct BackCommand: Command {
    let name = "back"
    let usage = "back"
    let summary = "Go back to the previous step (its cell can be run again)."
    let topic = CommandTopic.lessons
    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput { CommandOutput(lab.lessons.back(lab: lab)) }
}

struct StepCommand: Command {
    let name = "step"
    let usage = "step K"
    let summary = "Jump to step K of the lesson, or start it again."
    let topic = CommandTopic.lessons

    func completions(argument index: Int, previous: [String], lab: Lab) -> Completer.Candidates {
        .words((lab.lessons.lesson?.steps.indices).map { $0.map { String($0 + 1) } } ?? [])
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        guard arguments.count == 1, let number = Int(arguments[0]) else { throw CommandError.usage(usage) }
        return CommandOutput(try lab.lessons.go(toStep: number, lab: lab))
    }
}

struct HintCommand: Command {
    let name = "hint"
    let usage = "hint"
    let summary = "A hint for the current step of the lesson."
    let topic = CommandTopic.lessons
    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput { CommandOutput(lab.lessons.hint(lab: lab)) }
}
