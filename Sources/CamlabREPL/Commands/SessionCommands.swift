@preconcurrency import CReadline
import CamlabLab
import CamlabNN
import Foundation

struct HelpCommand: Command {
    let name = "help"
    let usage = "help [COMMAND]"
    let summary = "List the commands, or explain one (also: COMMAND?)."
    let topic = CommandTopic.session

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        index == 0 ? .words(lab.commands.allNames) : .words([])
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let t = lab.terminal
        if let name = arguments.first {
            guard let command = lab.commands.command(named: name) else {
                let suggestion = Suggestion.closest(to: name, among: lab.commands.allNames)
                throw CommandError.message("There is no command '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "; type 'help' for the list."))
            }
            var lines = [t.bold(command.usage), command.summary]
            if !command.aliases.isEmpty { lines.append("Also: " + command.aliases.joined(separator: ", ")) }
            if !command.details.isEmpty { lines.append(""); lines.append(command.details) }
            return CommandOutput(lines.joined(separator: "\n"))
        }
        var lines: [String] = []
        for topic in CommandTopic.allCases {
            let members = lab.commands.commands.filter { $0.topic == topic }
            guard !members.isEmpty else { continue }
            lines.append(t.bold(topic.rawValue))
            var listed = members
            if topic == .methods {
                let methods = members.filter { $0 is MethodCommand }
                lines.append("  " + padded("METHOD [CLASS] [LAYER]", 30) + " A heatmap of the current image, e.g. gradcam, or cam square. The methods:")
                lines += wrapped(methods.map(\.name).joined(separator: ", "), width: Swift.max(40, lab.terminal.width - 6)).map { "      " + $0 }
                listed = members.filter { !($0 is MethodCommand) }
            }
            for command in listed {
                lines.append("  " + padded(command.usage, 30) + " " + command.summary)
            }
        }
        lines.append("")
        lines.append("help CMD or CMD? explains a command. Tab completes; ↑ and Ctrl-R search the history; Ctrl-C stops; Ctrl-D or quit leaves.")
        return CommandOutput(lines.joined(separator: "\n"))
    }
}

/// Words of `text` in lines of at most `width` characters.
func wrapped(_ text: String, width: Int) -> [String] {
    var lines: [String] = [], line = ""
    for word in text.split(separator: " ") {
        if !line.isEmpty && line.count + 1 + word.count > width { lines.append(line); line = "" }
        line += (line.isEmpty ? "" : " ") + word
    }
    if !line.isEmpty { lines.append(line) }
    return lines
}

struct QuitCommand: Command {
    let name = "quit"
    let aliases = ["exit"]
    let usage = "quit"
    let summary = "Leave camlab (Ctrl-D on an empty line does too); progress and history are kept."
    let topic = CommandTopic.session

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        lab.wantsToQuit = true
        return CommandOutput("")
    }
}

struct StateCommand: Command {
    let name = "state"
    let aliases = ["status"]
    let usage = "state"
    let summary = "Show the current model, image, class and layer."
    let topic = CommandTopic.session

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let network = try lab.network()
        let classText = try lab.classIndex(in: network).map { "\($0) \(network.classes[$0])" } ?? "the predicted class (set one with 'class')"
        let layer = lab.layerName(in: network)
        var lines = [
            "model  \(lab.state.modelPath)",
            "image  \(lab.state.image)",
            "class  \(classText)",
            "layer  \(layer)" + (lab.state.layer == nil ? " (the model's target layer)" : ""),
        ]
        if let position = lab.lessons.positionDescription { lines.append("lesson \(position)") }
        if !lab.results.isEmpty { lines.append("results 1…\(lab.results.count) (show N or $N)") }
        return CommandOutput(lines.joined(separator: "\n"))
    }
}

struct ShowCommand: Command {
    let name = "show"
    let usage = "show [N]"
    let summary = "Show numbered result N again ($N does too); without N, the last one."
    let topic = CommandTopic.session

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        .words(lab.results.map { String($0.number) })
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        guard let last = lab.results.last else { throw CommandError.message("There are no results yet; run a command such as 'gradcam' first.") }
        guard let argument = arguments.first else { return CommandOutput(lab.terminal.dim("[\(last.number)] \(last.line)") + "\n" + last.output.text) }
        guard let number = Int(argument), let result = lab.results.first(where: { $0.number == number }) else {
            throw CommandError.message("There is no result '\(argument)'; results are numbered 1…\(lab.results.count).")
        }
        return CommandOutput(lab.terminal.dim("[\(result.number)] \(result.line)") + "\n" + result.output.text)
    }
}

struct HistoryCommand: Command {
    let name = "history"
    let usage = "history [N]"
    let summary = "Show the last N lines typed (default 20); Ctrl-R searches them."
    let topic = CommandTopic.session

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let wanted = arguments.first.flatMap(Int.init) ?? 20
        guard history_length > 0 else { return CommandOutput("No history yet (a script keeps none).") }
        let first = Swift.max(0, Int(history_length) - wanted)
        let lines = (first..<Int(history_length)).compactMap { offset -> String? in
            guard let entry = history_get(history_base + Int32(offset)), let text = entry.pointee.line else { return nil }
            return rightAligned(String(offset + 1), 5) + "  " + String(cString: text)
        }
        return CommandOutput(lines.joined(separator: "\n"))
    }
}
