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
        here is used for this map only. Values: class, p, peak_x, peak_y, above_half, empty, and for
        dataset images inside and others (the share of the map's mass on the class's objects, on the
        other classes' objects).
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
        let report = try CamReport(method: method, network: network, input: try image.modelInput(for: network),
                                   imagePaths: [image.path], classSpec: classSpec) { request in
            request.layers = layer.map { [$0] }
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
        if let map {
            let width = image.picture.width
            let peak = map.indices.max { map[$0] < map[$1] } ?? 0
            values["peak_x"] = .number(Double(peak % width))
            values["peak_y"] = .number(Double(peak / width))
            values["above_half"] = .number(Double(map.filter { $0 >= 0.5 }.count) / Double(map.count))
        }
        // Where the evidence lies: the heatmap, or for guided methods the gradient's magnitude.
        if let mass = map ?? explanation.inputGradient.map(Self.magnitude), !image.masks.isEmpty {
            let total = Double(mass.reduce(0, +))
            func share(_ masks: [GrayImage]) -> Double {
                guard total > 0 else { return 0 }
                var sum = 0.0
                for p in mass.indices where masks.contains(where: { $0.pixels[p] > 0 }) { sum += Double(mass[p]) }
                return sum / total
            }
            if let own = ShapeClass(rawValue: explanation.className).flatMap({ image.masks[$0] }) { values["inside"] = .number(share([own])) }
            let others = image.masks.filter { $0.key.rawValue != explanation.className }.map(\.value)
            if !others.isEmpty { values["others"] = .number(share(others)) }
        }
        var text = report.notes.joined(separator: "\n")
        if !text.isEmpty { text += "\n" }
        text += report.humanReadable(terminal: lab.terminal)
        if case .number(let share)? = values["inside"] {
            let what = map == nil ? "gradient's magnitude" : "map's mass"
            text += "\n" + String(format: "%.0f%% of the %@ lies on the %@ objects drawn in the image", 100 * share, what, explanation.className)
            if case .number(let other)? = values["others"] { text += String(format: ", %.0f%% on the other objects", 100 * other) }
            text += "."
        }
        return CommandOutput(text, values: values, map: map, isResult: true)
    }

    /// Σ_c |g_c| per pixel of an input gradient [C, H, W].
    static func magnitude(_ gradient: CamlabCore.Tensor) -> [Float] {
        let plane = gradient.shape[1] * gradient.shape[2]
        return (0..<plane).map { p in (0..<gradient.shape[0]).reduce(Float(0)) { $0 + Swift.abs(gradient.scalars[$1 * plane + p]) } }
    }
}

struct CompareCommand: Command {
    let name = "compare"
    let usage = "compare [METHOD …]"
    let summary = "Several methods side by side on the current image (default: cam gradcam gradcampp scorecam)."
    let topic = CommandTopic.methods

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        .words(MethodName.allCases.filter(\.producesMap).map(\.rawValue))
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let names = arguments.isEmpty ? ["cam", "gradcam", "gradcampp", "scorecam"] : arguments
        let methods = try names.map { name -> MethodName in
            guard let method = MethodName(name: name) else {
                throw CommandError.message("Unknown method '\(name)'" + (Suggestion.closest(to: name, among: MethodName.allCases.map(\.rawValue)).map { "; did you mean '\($0)'?" } ?? "."))
            }
            guard method.producesMap else { throw CommandError.message("\(method.title) gives an input gradient, not a heatmap; compare heatmap methods.") }
            return method
        }
        let network = try lab.network()
        let image = try lab.image()
        var columns: [[String]] = [], titles: [String] = [], values: [String: ResultValue] = [:]
        for method in methods {
            try Interruption.check()
            let report = try CamReport(method: method, network: network, input: try image.modelInput(for: network),
                                       imagePaths: [image.path], classSpec: lab.state.classSpec) { request in
                request.layers = lab.state.layer.map { [$0] }
            }
            let explanation = report.explanations[0]
            let map = explanation.map?.scalars ?? []
            let rendered = explanation.isEmpty
                ? Array(repeating: String(repeating: " ", count: image.picture.width), count: (image.picture.height + 1) / 2)
                : TerminalHeatmap.render(image.picture.overlaid(with: Heatmap(width: image.picture.width, height: image.picture.height, values: map)), intensity: map, terminal: lab.terminal).components(separatedBy: "\n")
            columns.append(rendered)
            titles.append(explanation.isEmpty ? "\(method.rawValue) (empty)" : method.rawValue)
            let peak = map.indices.max { map[$0] < map[$1] } ?? 0
            values["\(method.rawValue).peak_x"] = .number(Double(peak % image.picture.width))
            values["\(method.rawValue).peak_y"] = .number(Double(peak / image.picture.width))
        }
        let width = image.picture.width
        var lines = [lab.terminal.dim("image \(lab.state.image) · class \(lab.state.classSpec ?? "predicted") · layer \(lab.layerName(in: network))")]
        // As many maps side by side as the terminal is wide; the rest below.
        let perRow = Swift.max(1, (lab.terminal.width + 2) / (width + 2))
        for start in stride(from: 0, to: columns.count, by: perRow) {
            let group = start..<Swift.min(start + perRow, columns.count)
            lines.append(titles[group].map { padded($0, width) }.joined(separator: "  "))
            for row in 0..<(columns.first?.count ?? 0) {
                lines.append(columns[group].map { $0[row] }.joined(separator: "  "))
            }
        }
        lines.append(TerminalHeatmap.colorScale(terminal: lab.terminal))
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
        guard maps[0].count == maps[1].count else { throw CommandError.message("The two maps have different sizes; they come from different models.") }
        let differences = zip(maps[0], maps[1]).map { Swift.abs($0 - $1) }
        let maximum = differences.max() ?? 0
        let mean = differences.reduce(0, +) / Float(Swift.max(differences.count, 1))
        let lines = ["Results \(arguments[0]) and \(arguments[1]): max |difference| = \(formatted(maximum)) · mean |difference| = \(formatted(mean)) (maps are scaled to [0, 1])"]
        return CommandOutput(lines.joined(separator: "\n"),
                             values: ["max_difference": .number(Double(maximum)), "mean_difference": .number(Double(mean))])
    }
}
