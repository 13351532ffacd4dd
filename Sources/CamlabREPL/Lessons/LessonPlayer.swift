import CamlabFiles
import CamlabLab
import CamlabMethods
import CamlabNN
import Foundation

/// Plays lessons in the REPL: shows a step's prose and cell, runs the cell on Enter, shows its
/// output and expectations, then waits (no surprise auto-advance). Saves progress after each step.
public final class LessonPlayer {
    public let folder: String?
    public let progressPath: String
    public private(set) var progress: LessonProgress
    public private(set) var lesson: Lesson?
    /// The current step, 0-based.
    public private(set) var stepIndex = 0
    /// Whether the current step's cell has run (Enter then moves on).
    public private(set) var cellHasRun = false

    public init(folder: String?, progressPath: String) {
        self.folder = folder
        self.progressPath = progressPath
        self.progress = LessonProgress.load(from: progressPath)
    }

    /// Every lesson of the folder, by number.
    public func catalog() throws -> [Lesson] {
        guard let folder else { throw CommandError.message("No Lessons folder was found; run camlab from its package or set CAMLAB_LESSONS.") }
        // Foundation's errors are paragraphs of NSCocoaErrorDomain: say it in one sentence instead.
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder).sorted() else {
            throw CommandError.message("Cannot list the lessons folder '\(folder)' (CAMLAB_LESSONS or Lessons/): it does not exist or is not a readable folder.")
        }
        return try names.compactMap { name -> Lesson? in
            guard let number = Lesson.number(ofFile: name) else { return nil }
            let path = (folder as NSString).appendingPathComponent(name)
            let markdown: String
            do {
                markdown = try RegularFile.text(at: path)
            } catch {
                throw CommandError.message("Cannot read the lesson '\(path)': \(error).")
            }
            return try Lesson(number: number, path: path, markdown: markdown)
        }
    }

    public func lesson(_ spec: String) throws -> Lesson {
        let all = try catalog()
        guard let number = Int(spec), let found = all.first(where: { $0.number == number }) else {
            throw LessonError.noSuchLesson(spec, available: all.map(\.number))
        }
        return found
    }

    /// "lesson 3, step 4 of 9", or nil outside a lesson.
    public var positionDescription: String? {
        lesson.map { "\($0.number) (\($0.title)), step \(stepIndex + 1) of \($0.steps.count)" }
    }

    /// The lesson list with each one's progress.
    public func listing(lab: Lab) throws -> String {
        var lines = [lab.terminal.bold("Lessons") + " (camlab lesson N starts one; progress is kept in \(progressPath))"]
        for lesson in try catalog() {
            let status: String
            if let entry = progress[lesson: lesson.number] {
                status = entry.completed ? "done" : "step \(entry.step) of \(lesson.steps.count)"
            } else {
                status = "not started"
            }
            lines.append("  " + rightAligned(String(lesson.number), 2) + "  " + padded(lesson.title, 52) + " " + status)
        }
        return lines.joined(separator: "\n")
    }

    // MARK: Moving through a lesson

    /// Opens a lesson where the learner left it (or at `step`, 1-based) and shows that step.
    public func open(_ lesson: Lesson, step: Int? = nil, lab: Lab) -> String {
        self.lesson = lesson
        let saved = progress[lesson: lesson.number]
        // A finished lesson starts over; one reopened and left part-way resumes where it was left.
        let finished = saved.map { $0.completed && $0.step >= lesson.steps.count } ?? false
        let resume = finished ? 1 : saved?.step ?? 1
        let first = Swift.min(Swift.max(step ?? resume, 1), lesson.steps.count)
        var notes: [String] = []
        if finished && step == nil { notes.append("You have completed this lesson; it starts again at step 1 ('step K' jumps).") }
        if let note = loadModel(for: lesson, lab: lab) { notes.append(note) }
        if let note = restoreState(before: first - 1, of: lesson, lab: lab) { notes.append(note) }
        let shown = show(step: first - 1, lab: lab, opening: true)
        return notes.isEmpty ? shown : shown + "\n\n" + notes.map { lab.terminal.dim($0) }.joined(separator: "\n")
    }

    /// Puts back the model the lesson is written for, saying so.
    func loadModel(for lesson: Lesson, lab: Lab) -> String? {
        guard lesson.needsLessonsModel, lab.state.modelPath != lab.lessonsModelPath else { return nil }
        let replaced = lab.state.modelPath
        lab.state.modelPath = lab.lessonsModelPath
        lab.reloadModel()
        return "Lesson \(lesson.number) is written for the lessons' model, \(lab.lessonsModelPath): it is current again, "
            + "in place of \(replaced) ('model \(replaced)' brings that one back)."
    }

    /// The commands that set what later cells rely on: the model, image, class and layer.
    static let stateCommands: Set<String> = ["model", "image", "class", "layer"]

    /// Runs again, silently, the state commands of the steps before `index`, so a lesson resumed in
    /// a new session (or jumped into) sees the image, class and layer its cell expects.
    func restoreState(before index: Int, of lesson: Lesson, lab: Lab) -> String? {
        let lines = lesson.steps.prefix(index).flatMap { $0.commands ?? [] }.filter { line in
            let words = Lab.words(of: line)
            return words.count >= 2 && Self.stateCommands.contains(words[0])
        }
        guard !lines.isEmpty else { return nil }
        lab.state = LabState(modelPath: lab.state.modelPath)
        for line in lines { _ = lab.evaluate(line) }
        let network = try? lab.network()
        let layer = network.map { lab.layerName(in: $0) } ?? lab.state.layer ?? "the target layer"
        return "Restored what steps 1–\(index) set: image \(lab.state.image), class \(lab.state.classSpec ?? "auto (the predicted one)"), layer \(layer)"
            + (lab.state.modelPath == lab.lessonsModelPath ? "" : ", model \(lab.state.modelPath)") + "."
    }

    /// Enter on an empty line: runs the shown cell, or moves to the next step once it has run.
    /// Nil outside a lesson.
    public func advance(lab: Lab) -> CellOutcome? {
        guard let lesson else { return nil }
        let step = lesson.steps[stepIndex]
        if step.commands != nil && !cellHasRun {
            return runCurrentCell(lab: lab)
        }
        return CellOutcome(passed: true, text: next(lab: lab))
    }

    public func next(lab: Lab) -> String {
        guard let lesson else { return "No lesson is open; 'lesson' lists them." }
        if stepIndex + 1 >= lesson.steps.count {
            progress[lesson: lesson.number] = .init(step: lesson.steps.count, completed: true)
            progress.save(to: progressPath)
            let following = (try? catalog())?.first { $0.number > lesson.number }
            return lab.terminal.green("Lesson \(lesson.number) is complete.")
                + (following.map { " Next: 'lesson \($0.number)' (\($0.title))." } ?? " That was the last lesson.")
        }
        return show(step: stepIndex + 1, lab: lab, opening: false)
    }

    public func back(lab: Lab) -> String {
        guard lesson != nil else { return "No lesson is open; 'lesson' lists them." }
        return show(step: Swift.max(0, stepIndex - 1), lab: lab, opening: false)
    }

    public func go(toStep number: Int, lab: Lab) throws -> String {
        guard let lesson else { throw CommandError.message("No lesson is open; 'lesson N' opens one.") }
        guard (1...lesson.steps.count).contains(number) else {
            throw CommandError.message("Lesson \(lesson.number) has steps 1 to \(lesson.steps.count).")
        }
        let note = restoreState(before: number - 1, of: lesson, lab: lab)
        return show(step: number - 1, lab: lab, opening: false) + (note.map { "\n\n" + lab.terminal.dim($0) } ?? "")
    }

    public func hint(lab: Lab) -> String {
        guard let lesson else { return "No lesson is open; 'help' lists the commands, 'lesson' the lessons." }
        let step = lesson.steps[stepIndex]
        var lines = step.hints.map { "Hint: " + $0 }
        if lines.isEmpty, let commands = step.commands {
            lines.append("This step runs: " + commands.joined(separator: "; ") + ". 'help COMMAND' explains what each prints.")
        }
        // The equations of the methods this step uses, which the hint is usually about.
        let methods = (step.commands ?? []).compactMap { $0.split(separator: " ").first.flatMap { MethodName(name: String($0)) } }
        for method in Set(methods).sorted(by: { $0.rawValue < $1.rawValue }) {
            lines.append("\(method.title): \(method.equation)")
        }
        return lines.joined(separator: "\n\n")
    }

    private func show(step index: Int, lab: Lab, opening: Bool) -> String {
        guard let lesson else { return "" }
        stepIndex = Swift.min(Swift.max(index, 0), lesson.steps.count - 1)
        cellHasRun = false
        let completed = progress[lesson: lesson.number]?.completed ?? false
        progress[lesson: lesson.number] = .init(step: stepIndex + 1, completed: completed)
        progress.save(to: progressPath)
        let step = lesson.steps[stepIndex]
        let t = lab.terminal
        var lines: [String] = []
        if opening { lines.append(t.bold("Lesson \(lesson.number) · \(lesson.title)")) }
        lines.append("")
        lines.append(t.dim("— step \(stepIndex + 1) of \(lesson.steps.count) —"))
        if !step.prose.isEmpty { lines.append(TerminalMarkdown.render(step.prose, terminal: t)) }
        if let commands = step.commands {
            lines.append(commands.map { t.bold("  camlab> ") + $0 }.joined(separator: "\n"))
            lines.append(t.dim("Enter runs it · or type your own commands · next, back, step K" + (step.hints.isEmpty ? "" : ", hint")))
        } else {
            lines.append(t.dim("Enter or next goes on · back, step K" + (step.hints.isEmpty ? "" : ", hint")))
        }
        return lines.joined(separator: "\n")
    }

    /// Forgets the progress of one lesson.
    public func reset(_ lesson: Lesson) {
        progress.lessons[String(lesson.number)] = nil
        progress.save(to: progressPath)
        if self.lesson?.number == lesson.number { self.lesson = nil }
    }

    // MARK: Running cells

    /// The result of one cell: whether it ran as promised, and what to show.
    public struct CellOutcome {
        public var passed: Bool
        public var text: String
    }

    /// Runs the current step's cell in the lab, printing each command's output as it comes.
    func runCurrentCell(lab: Lab) -> CellOutcome {
        guard let lesson, let commands = lesson.steps[stepIndex].commands else { return CellOutcome(passed: true, text: "") }
        let step = lesson.steps[stepIndex]
        let outcome = Self.run(commands, expecting: step.expectations, needing: step.requirements, lab: lab, echo: true)
        cellHasRun = true
        let last = stepIndex + 1 >= lesson.steps.count
        return CellOutcome(passed: outcome.passed, text: outcome.text + "\n" + lab.terminal.dim(last ? "Enter finishes the lesson." : "Enter goes on to step \(stepIndex + 2) of \(lesson.steps.count)."))
    }

    /// Runs commands in the lab and checks the expectations against what they computed.
    static func run(_ commands: [String], expecting expectations: [Expectation], needing requirements: [LessonRequirement] = [],
                    lab: Lab, echo: Bool) -> CellOutcome {
        if let missing = requirements.first(where: { ResourceLocator.existingFile($0.path) == nil }) {
            return CellOutcome(passed: true, text: lab.terminal.dim("skipped: this cell needs \(missing.path), which is not on this machine"
                + (missing.howTo.isEmpty ? "." : "; make it on a machine with internet: \(missing.howTo)")))
        }
        var values: [String: ResultValue] = [:]
        var output = "", failure: String?
        let expectsError = expectations.contains { if case .errorContains = $0.kind { return true } else { return false } }
        for command in commands {
            if echo { lab.write(lab.terminal.bold("camlab> ") + command) }
            switch lab.evaluate(command) {
            case .succeeded(let result):
                if !result.text.isEmpty { lab.write(result.text) }
                output += result.text + "\n"
                values.merge(result.values) { $1 }
            case .failed(let message):
                if expectsError { lab.write(lab.terminal.dim("error (expected): ") + message) } else { lab.reportError(message) }
                failure = message
            case .nothing:
                break
            }
            if failure != nil { break }
        }
        var passed = failure == nil || expectsError
        var lines: [String] = []
        for expectation in expectations {
            let (ok, seen) = expectation.check(values: values, output: output, error: failure)
            passed = passed && ok
            lines.append(ok ? lab.terminal.green("✓ ") + "\(expectation) (\(seen))" : lab.terminal.red("✗ ") + "\(expectation) — but \(seen)")
        }
        if let failure, !expectsError { lines.append(lab.terminal.red("✗ ") + "the cell failed: \(failure)") }
        return CellOutcome(passed: passed, text: lines.joined(separator: "\n"))
    }

    /// `camlab lesson N --run`: every cell in order, unattended; true when every cell kept its promises.
    public func runUnattended(_ lesson: Lesson, lab: Lab) -> Bool {
        var failures: [Int] = []
        let t = lab.terminal
        lab.write(t.bold("Lesson \(lesson.number) · \(lesson.title)"))
        if let note = loadModel(for: lesson, lab: lab) { lab.write(t.dim(note)) }
        for (index, step) in lesson.steps.enumerated() {
            guard let commands = step.commands else { continue }
            lab.write(t.dim("— step \(index + 1) of \(lesson.steps.count) —"))
            let outcome = Self.run(commands, expecting: step.expectations, needing: step.requirements, lab: lab, echo: true)
            if !outcome.text.isEmpty { lab.write(outcome.text) }
            if !outcome.passed { failures.append(index + 1) }
            if Interruption.isRequested { break }
        }
        if failures.isEmpty {
            lab.write(t.green("Lesson \(lesson.number): every cell ran as expected."))
        } else {
            lab.write(t.red("Lesson \(lesson.number): step\(failures.count == 1 ? "" : "s") \(failures.map(String.init).joined(separator: ", ")) failed."))
        }
        return failures.isEmpty
    }
}
