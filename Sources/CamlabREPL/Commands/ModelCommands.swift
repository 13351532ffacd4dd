import CamlabCore
import CamlabData
import CamlabLab
import CamlabNN
import Foundation

struct ModelCommand: Command {
    let name = "model"
    let usage = "model [PATH]"
    let summary = "Load a camlab-model/1 file, or describe the current model layer by layer."
    let details = """
        Without PATH: each layer with its output shape and parameter count, the classes, and the
        target layer the methods explain by default. The shapes are those of one image (N = 1).
        """
    let topic = CommandTopic.model

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates { .paths }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        if !arguments.isEmpty {
            let typed = arguments.joined(separator: " ")
            let path = ResourceLocator.existingFile(typed) ?? (typed as NSString).expandingTildeInPath
            _ = try Network(contentsOf: path)            // fail here, before changing the state
            lab.state.modelPath = path
            lab.state.layer = nil
            lab.state.classSpec = nil
            lab.reloadModel()
        }
        let network = try lab.network()
        let architecture = network.architecture
        let shapes = try architecture.outputShapes()
        var lines = [lab.terminal.bold("Model \(lab.state.modelPath)"),
                     "input \(architecture.input.map(String.init).joined(separator: "×")) (channels × height × width)"]
        lines.append(padded("layer", 14) + padded("type", 18) + padded("output", 16) + "parameters")
        for (layer, shape) in zip(network.layers, shapes) {
            let count = layer.parameters.reduce(0) { $0 + $1.tensor.count }
            let type = architecture.layers.first { $0.name == layer.name }?.typeName ?? "?"
            let marker = layer.name == lab.layerName(in: network) ? "  ← explained layer" : ""
            lines.append(padded(layer.name, 14) + padded(type, 18) + padded(shape.map(String.init).joined(separator: "×"), 16)
                         + rightAligned(String(count), 10) + marker)
        }
        let total = network.parameters.reduce(0) { $0 + $1.tensor.count }
        lines.append("classes \(network.classes.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", ")) · \(total) parameters · target layer \(architecture.targetLayer)")
        return CommandOutput(lines.joined(separator: "\n"),
                             values: ["parameters": .number(Double(total)), "classes": .number(Double(network.classes.count)),
                                      "layers": .number(Double(network.layers.count))])
    }
}

struct ImageCommand: Command {
    let name = "image"
    let usage = "image [PATH | DATASET N]"
    let summary = "Choose the image to explain (a file, or image N of a dataset), or show the current one."
    let details = """
        DATASET is shapes, multi or pairs, e.g. image multi 7. Dataset images are drawn on the fly,
        exactly as 'camlab data' draws them (seed 0):
        shapes N shows one object of class N mod 4 (circle, square, triangle, cross); multi N shows
        2–6 small objects of one class; pairs N two objects of different classes. Files of another
        size are resized to the model's input.
        """
    let topic = CommandTopic.model

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        guard index == 0 else { return .words([]) }
        // A dataset name while the word can still become one, file names otherwise (readline's
        // own completion, which descends into folders and knows `~`).
        let kinds = DatasetKind.allCases.map(\.rawValue)
        return kinds.contains { $0.hasPrefix(prefix) } && !prefix.isEmpty ? .words(kinds) : .paths
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        if !arguments.isEmpty { lab.state.image = try ImageSource(arguments: arguments) }
        let image = try lab.image()
        let pixels = image.picture.pixels
        let intensity = (0..<(image.picture.width * image.picture.height)).map { p -> Float in
            let sum = Int(pixels[3 * p]) + Int(pixels[3 * p + 1]) + Int(pixels[3 * p + 2])
            return Float(sum) / 765
        }
        let scale = Swift.max(1, Swift.min(4, 64 / Swift.max(image.picture.width, 1)))
        var lines = ["Image \(lab.state.image) · \(image.picture.width)×\(image.picture.height) · \(image.path)"]
        if !image.truth.isEmpty { lines.append("Drawn in it: " + image.truth.map(\.rawValue).joined(separator: ", ")) }
        lines.append(TerminalHeatmap.render(image.picture, intensity: intensity, scale: scale, terminal: lab.terminal))
        return CommandOutput(lines.joined(separator: "\n"),
                             values: ["truth": .text(image.truth.map(\.rawValue).joined(separator: "+"))])
    }
}

struct PredictCommand: Command {
    let name = "predict"
    let usage = "predict"
    let summary = "The model's logits y^c and probabilities softmax(y)_c for the current image."
    let details = "p_c = exp(y^c) / Σ_c' exp(y^c'). The predicted class is the largest logit."
    let topic = CommandTopic.model

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let network = try lab.network()
        let image = try lab.image()
        let input = network.normalized(image.picture.tensor(channels: network.architecture.input[0],
                                                            height: network.architecture.input[1], width: network.architecture.input[2]))
        let logits = withoutGradient { network(input) }.scalars
        let probabilities = Tensor(logits).softmax(alongAxis: 0).scalars
        let best = logits.indices.max { logits[$0] < logits[$1] } ?? 0
        var lines = [padded("class", 12) + rightAligned("logit y^c", 12) + rightAligned("p", 12)]
        for (c, className) in network.classes.enumerated() {
            lines.append(padded("\(c) \(className)", 12) + rightAligned(formatted(logits[c], decimals: 3), 12)
                         + rightAligned(formatted(probabilities[c], decimals: 3), 12) + (c == best ? "  ← predicted" : ""))
        }
        if !image.truth.isEmpty {
            let correct = image.truth.map(\.rawValue).contains(network.classes[best])
            lines.append("Drawn: \(image.truth.map(\.rawValue).joined(separator: ", ")) — the prediction is \(correct ? "right" : "wrong").")
        }
        return CommandOutput(lines.joined(separator: "\n"),
                             values: ["class": .text(network.classes[best]), "p": .number(Double(probabilities[best])),
                                      "logit": .number(Double(logits[best]))],
                             isResult: true)
    }
}

struct ClassCommand: Command {
    let name = "class"
    let usage = "class [NAME | INDEX | auto]"
    let summary = "Choose the class c to explain; auto explains the predicted class."
    let topic = CommandTopic.model

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        index == 0 ? .words(((try? lab.network().classes) ?? []) + ["auto"]) : .words([])
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let network = try lab.network()
        if let spec = arguments.first {
            if spec == "auto" {
                lab.state.classSpec = nil
            } else {
                let index = try CamReport.classIndex(spec, classes: network.classes)
                lab.state.classSpec = network.classes[index]
            }
        }
        guard let index = try lab.classIndex(in: network) else {
            return CommandOutput("Class: the predicted one. Classes: " + network.classes.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", "))
        }
        return CommandOutput("Class \(index) \(network.classes[index]).", values: ["class": .text(network.classes[index])])
    }
}

struct LayerCommand: Command {
    let name = "layer"
    let usage = "layer [NAME | auto]"
    let summary = "Choose the layer whose feature maps A^k are explained; auto is the model's target layer."
    let topic = CommandTopic.model

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        index == 0 ? .words(((try? lab.network().layerNames) ?? []) + ["auto"]) : .words([])
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let network = try lab.network()
        if let name = arguments.first {
            if name == "auto" {
                lab.state.layer = nil
            } else {
                guard let index = network.indexOfLayer(named: name) else {
                    let suggestion = Suggestion.closest(to: name, among: network.layerNames)
                    throw CommandError.message("The model has no layer '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "; its layers are \(network.layerNames.joined(separator: ", "))."))
                }
                let shape = try network.architecture.outputShapes()[index]
                guard shape.count == 3 else {
                    throw CommandError.message("Layer '\(name)' outputs \(shape.map(String.init).joined(separator: "×")), not feature maps K×h×w; choose a convolution, ReLU or pooling layer.")
                }
                lab.state.layer = name
            }
        }
        let layer = lab.layerName(in: network)
        let shapes = try network.architecture.outputShapes()
        let shape = shapes[network.indexOfLayer(named: layer) ?? 0]
        return CommandOutput("Layer \(layer): A has K = \(shape[0]) feature maps of \(shape[1])×\(shape[2]).",
                             values: ["layer": .text(layer), "channels": .number(Double(shape[0]))])
    }
}
