import CamlabCore
import CamlabData
import CamlabImaging
import CamlabLab
import CamlabNN
import CamlabMethods

/// `gradcam`, `cam`, … : one command per method, a heatmap of the current image in the terminal.
struct MethodCommand: Command {
    let method: MethodName

    static var all: [Command] { MethodName.allCases.map { MethodCommand(method: $0) } }

    var name: String { method.rawValue }
    var aliases: [String] {
        let loose = method.rawValue.replacingOccurrences(of: "-", with: "")
        return loose == method.rawValue ? [] : [loose]
    }
    var usage: String { "\(method.rawValue) [CLASS] [LAYER]" }
    var summary: String { "\(method.title): \(method.equation)" }
    var details: String {
        """
        Explains the current image for the current class at the current layer; a class or layer given
        here is used for this map only. Values: class, p, logit, peak_x, peak_y, above_half, empty,
        raw_min and raw_max (the raw map's range before ReLU and scaling), and for dataset images
        inside, others and background (the share of the map's mass on the class's objects, on the
        other classes' objects, on no object).
        """
    }
    let topic = CommandTopic.methods

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        guard let network = try? lab.network() else { return .words([]) }
        return .words(network.classes + network.layerNames)
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let network = try lab.network()
        var classSpec = lab.state.classSpec
        var layer = lab.state.layer
        for argument in arguments {
            if network.layerNames.contains(argument) { layer = argument; continue }
            if (try? CamReport.classIndex(argument, classes: network.classes)) != nil { classSpec = argument; continue }
            let suggestion = Suggestion.closest(to: argument, among: network.classes + network.layerNames)
            throw CommandError.message("'\(argument)' is neither a class nor a layer of the model" + (suggestion.map { "; did you mean '\($0)'?" } ?? "."))
        }
        let image = try lab.image()
        try Interruption.check()
        let report: CamReport
        do {
            report = try CamReport(method: method, network: network, input: try image.modelInput(for: network),
                                   imagePaths: [image.name], classSpec: classSpec) { request in
                request.layers = layer.map { [$0] }
                request.shouldStop = { Interruption.isRequested }
            }
        } catch ExplanationError.interrupted {
            throw CommandError.interrupted
        }
        try Interruption.check()
        let explanation = report.explanations[0]
        var values: [String: ResultValue] = [
            "class": .text(explanation.className),
            "p": .number(Double(explanation.probabilities[explanation.classIndex])),
            "logit": .number(Double(explanation.logits[explanation.classIndex])),
            "empty": .number(explanation.isEmpty ? 1 : 0),
        ]
        let map = explanation.map?.scalars
        if let range = explanation.rawRange {
            values["raw_min"] = .number(Double(range.lowerBound))
            values["raw_max"] = .number(Double(range.upperBound))
        }
        if let map {
            let width = image.picture.width
            let peak = map.indices.max { map[$0] < map[$1] } ?? 0
            values["peak_x"] = .number(Double(peak % width))
            values["peak_y"] = .number(Double(peak / width))
            values["above_half"] = .number(Double(map.filter { $0 >= 0.5 }.count) / Double(map.count))
        }
        // Where the evidence lies: the heatmap, or for guided methods the gradient's magnitude.
        if let mass = map ?? explanation.gradientMagnitude, !image.masks.isEmpty {
            if let own = ShapeClass(rawValue: explanation.className).flatMap({ image.masks[$0] }) {
                values["inside"] = .number(Localization.share(of: mass, inside: [own.pixels]))
            }
            let others = image.masks.filter { $0.key.rawValue != explanation.className }.map(\.value.pixels)
            if !others.isEmpty { values["others"] = .number(Localization.share(of: mass, inside: others)) }
            values["background"] = .number(1 - Localization.share(of: mass, inside: image.masks.values.map(\.pixels)))
        }
        var text = report.notes.joined(separator: "\n")
        if !text.isEmpty { text += "\n" }
        text += report.humanReadable(terminal: lab.terminal)
        if let note = Self.chosenClassNote(explanation, network: network) { text += "\n" + note }
        if case .number(let share)? = values["inside"] {
            let what = map == nil ? "gradient's magnitude" : "map's mass"
            text += "\n" + String(format: "%.0f%% of the %@ lies on the %@ objects drawn in the image", 100 * share, what, explanation.className)
            if case .number(let other)? = values["others"] { text += String(format: ", %.0f%% on the other objects", 100 * other) }
            text += "."
        }
        return CommandOutput(text, values: values, map: map, isResult: true)
    }

    /// Said when the class explained is not the one predicted, so a class chosen for another image
    /// is never explained without a word.
    static func chosenClassNote(_ explanation: Explanation, network: Network) -> String? {
        let predicted = explanation.logits.indices.max { explanation.logits[$0] < explanation.logits[$1] } ?? 0
        guard predicted != explanation.classIndex else { return nil }
        return "This explains \(explanation.className), the class chosen; the model predicts \(network.classes[predicted])"
            + String(format: " (p = %.3f). 'class auto' explains the prediction.", Double(explanation.probabilities[predicted]))
    }
}

struct CompareCommand: Command {
    let name = "compare"
    let usage = "compare [METHOD …] [CLASS …] [--scale own|shared]"
    let summary = "Several methods (or classes) side by side on the current image (default: cam gradcam gradcampp scorecam)."
    let details = """
        Each map is scaled to [0, 1] on its own (--scale own, the default): the strongest position of
        every map is equally bright however weak its evidence. Under each map is its raw peak, the
        value of ReLU(raw) that 1 stands for. --scale shared divides the maps of one method by the
        largest raw peak among them, so a weak map looks weak: compare cam triangle circle --scale shared.
        Maps of different methods are in different units and keep their own scale.
        Classes given here replace the current class; without, the current class is used.
        Values, per column M (M.C when classes are given): M.peak_x, M.peak_y, M.raw_max, M.shown_max
        (the brightest value drawn: 1, or less on a shared scale).
        """
    let topic = CommandTopic.methods

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        .words(MethodName.allCases.filter(\.producesMap).map(\.rawValue) + ((try? lab.network().classes) ?? []) + ["--scale", "shared", "own"])
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let network = try lab.network()
        var methods: [MethodName] = [], classes: [String] = [], shared = false
        var words = arguments[...]
        while let word = words.popFirst() {
            if word == "--scale" {
                switch words.popFirst() {
                case "shared": shared = true
                case "own": shared = false
                default: throw CommandError.usage(usage)
                }
            } else if let method = MethodName(name: word) {
                guard method.producesMap else { throw CommandError.message("\(method.title) gives an input gradient, not a heatmap; compare heatmap methods.") }
                methods.append(method)
            } else if let index = try? CamReport.classIndex(word, classes: network.classes) {
                classes.append(network.classes[index])
            } else {
                let suggestion = Suggestion.closest(to: word, among: MethodName.allCases.map(\.rawValue) + network.classes)
                throw CommandError.message("'\(word)' is neither a method nor a class" + (suggestion.map { "; did you mean '\($0)'?" } ?? "."))
            }
        }
        if methods.isEmpty { methods = [.cam, .gradcam, .gradcampp, .scorecam] }
        let image = try lab.image()
        let chosen: [String?] = classes.isEmpty ? [lab.state.classSpec] : classes
        var explained: [(method: MethodName, explanation: Explanation)] = []
        for method in methods {
            for classSpec in chosen {
                try Interruption.check()
                let report = try CamReport(method: method, network: network, input: try image.modelInput(for: network),
                                           imagePaths: [image.name], classSpec: classSpec) { request in
                    request.layers = lab.state.layer.map { [$0] }
                }
                explained.append((method, report.explanations[0]))
            }
        }
        var sharedMaps: [[Float]?] = Array(repeating: nil, count: explained.count)
        if shared {
            for method in methods {
                let indices = explained.indices.filter { explained[$0].method == method }
                for (index, map) in zip(indices, Explanation.sharedScale(indices.map { explained[$0].explanation })) { sharedMaps[index] = map }
            }
        }
        let width = image.picture.width
        var columns: [[String]] = [], titles: [String] = [], captions: [String] = [], values: [String: ResultValue] = [:]
        for (index, (method, explanation)) in explained.enumerated() {
            let shownMap = sharedMaps[index]
            let map = shownMap ?? explanation.map?.scalars ?? []
            let blank = map.allSatisfy { $0 == 0 }
            let rendered = blank
                ? Array(repeating: String(repeating: " ", count: width), count: (image.picture.height + 1) / 2)
                : TerminalHeatmap.render(image.picture.overlaid(with: Heatmap(width: width, height: image.picture.height, values: map)), intensity: map, terminal: lab.terminal).components(separatedBy: "\n")
            columns.append(rendered)
            let key = classes.isEmpty ? method.rawValue : "\(method.rawValue).\(explanation.className)"
            let title = classes.isEmpty ? method.rawValue : "\(method.rawValue) \(explanation.className)"
            titles.append(blank ? "\(title) (empty)" : title)
            let shownMax = map.max() ?? 0
            captions.append((explanation.rawPeak.map { "raw \(formatted($0))" } ?? "raw —") + (shared ? String(format: " ·%.2f", Double(shownMax)) : ""))
            let peak = map.indices.max { map[$0] < map[$1] } ?? 0
            values["\(key).peak_x"] = .number(Double(peak % width))
            values["\(key).peak_y"] = .number(Double(peak / width))
            values["\(key).shown_max"] = .number(Double(shownMax))
            if let raw = explanation.rawPeak { values["\(key).raw_max"] = .number(Double(raw)) }
        }
        let first = explained[0].explanation
        let predicted = first.logits.indices.max { first.logits[$0] < first.logits[$1] } ?? 0
        let classText = classes.isEmpty
            ? (lab.state.classSpec == nil ? "\(first.className) (predicted)" : "\(first.className) (chosen; the model predicts \(network.classes[predicted]))")
            : classes.joined(separator: ", ") + " (the model predicts \(network.classes[predicted]))"
        var lines = [lab.terminal.dim("image \(lab.state.image) · class \(classText) · layer \(lab.layerName(in: network))")]
        // As many maps side by side as the terminal is wide; the rest below.
        let perRow = Swift.max(1, (lab.terminal.width + 2) / (width + 2))
        for start in stride(from: 0, to: columns.count, by: perRow) {
            let group = start..<Swift.min(start + perRow, columns.count)
            lines.append(titles[group].map { padded($0, width) }.joined(separator: "  "))
            for row in 0..<(columns.first?.count ?? 0) {
                lines.append(columns[group].map { $0[row] }.joined(separator: "  "))
            }
            lines.append(captions[group].map { padded($0, width) }.joined(separator: "  "))
        }
        lines.append(TerminalHeatmap.colorScale(terminal: lab.terminal))
        lines.append(lab.terminal.dim(shared
            ? "Shared scale: each method's maps are divided by the largest raw peak among them (the number after ·: its brightest value)."
            : "Each map is scaled to [0, 1] on its own; \"raw\" is the value 1 stands for. --scale shared compares magnitudes."))
        return CommandOutput(lines.joined(separator: "\n"), values: values, isResult: true)
    }
}

struct DiffCommand: Command {
    let name = "diff"
    let usage = "diff [N M]"
    let summary = "How far apart the heatmaps of results N and M are (default: the last two heatmaps)."
    let topic = CommandTopic.methods

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        .words(lab.results.filter { $0.output.map != nil }.map { String($0.number) })
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let withMaps = lab.results.filter { $0.output.map != nil }
        var arguments = arguments
        if arguments.isEmpty {
            guard withMaps.count >= 2 else { throw CommandError.message("diff needs two heatmaps; run two methods first, e.g. cam then gradcam.") }
            arguments = withMaps.suffix(2).map { String($0.number) }
        }
        guard arguments.count == 2 else { throw CommandError.usage(usage) }
        let maps = try arguments.map { argument -> [Float] in
            let number = Int(argument.hasPrefix("$") ? String(argument.dropFirst()) : argument)
            guard let result = lab.results.first(where: { $0.number == number }) else {
                throw CommandError.message("There is no result '\(argument)'; 'state' shows how many there are.")
            }
            guard let map = result.output.map else { throw CommandError.message("Result \(argument) ('\(result.line)') has no heatmap.") }
            return map
        }
        guard maps[0].count == maps[1].count else {
            throw CommandError.message("The two maps have different sizes (\(maps[0].count) and \(maps[1].count) pixels): they explain images or models of different sizes, and only maps of one size can be compared pixel by pixel.")
        }
        let differences = zip(maps[0], maps[1]).map { Swift.abs($0 - $1) }
        let maximum = differences.max() ?? 0
        let mean = differences.reduce(0, +) / Float(Swift.max(differences.count, 1))
        let lines = ["Results \(arguments[0]) and \(arguments[1]): max |difference| = \(formatted(maximum)) · mean |difference| = \(formatted(mean)) (maps are scaled to [0, 1])"]
        return CommandOutput(lines.joined(separator: "\n"),
                             values: ["max_difference": .number(Double(maximum)), "mean_difference": .number(Double(mean))])
    }
}
