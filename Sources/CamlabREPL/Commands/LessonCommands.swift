struct LessonCommand: Command {
    let name = "lesson"
    let usage = "lesson [N | reset N [yes]]"
    let summary = "List the lessons with your progress, or open lesson N where you left it."
    let details = """
        In a lesson, Enter runs the cell shown and, once it has run, goes on; type any command at any
        time. next and back move by a step, step K jumps, hint helps with the current step.
        lesson reset N forgets where you were in lesson N (it asks you to confirm with 'yes').
        """
    let topic = CommandTopic.lessons

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        let numbers = ((try? lab.lessons.catalog()) ?? []).map { String($0.number) }
        if index == 0 { return .words(numbers + ["reset"]) }
        return index == 1 && previous.first == "reset" ? .words(numbers) : .words([])
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        guard let spec = arguments.first else { return CommandOutput(try lab.lessons.listing(lab: lab)) }
        if spec == "reset" {
            guard arguments.count >= 2 else { throw CommandError.usage("lesson reset N") }
            let lesson = try lab.lessons.lesson(arguments[1])
            guard arguments.count == 3, arguments[2] == "yes" else {
                return CommandOutput("This forgets your place in lesson \(lesson.number) (\(lesson.title)). Type 'lesson reset \(lesson.number) yes' to confirm.")
            }
            lab.lessons.reset(lesson)
            return CommandOutput("Lesson \(lesson.number) starts again from step 1.")
        }
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

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
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
