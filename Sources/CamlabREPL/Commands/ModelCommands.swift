import CamlabCore
import CamlabData
import CamlabLab
import CamlabNN
import Foundation

struct ModelCommand: Command {
    let name = "model"
    let usage = "model [PATH]"
    let summary = "Load a model (camlab-model/1 or /2, or a torchvision state dict), or describe the current one."
    let details = """
        PATH is a .safetensors or .pth file: one camlab wrote, or a plain PyTorch state dict of a
        torchvision ResNet or VGG (save_file(model.state_dict(), PATH), torch.save). Without PATH: the module
        tree two levels deep with each module's output shape for the current image, its parameter
        count and where CAM applies; 'layers' shows every module.
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
        let summary = try ModelSummary(network: network, inputShape: try lab.inputShape(for: network))
        let input = summary.inputShape.map(String.init).joined(separator: "×")
        var lines = [lab.terminal.bold("Model \(lab.state.modelPath)"), "input \(input) (channels × height × width, the current image)"]
        lines += summary.lines(terminal: lab.terminal, maxDepth: 2, marking: lab.layerName(in: network))
        lines.append(summary.totals)
        if summary.rows.contains(where: { $0.depth >= 2 }) { lines.append(lab.terminal.dim("'layers' lists every module; 'layers layer4' those under one.")) }
        lines.append("classes " + Self.classList(network.classes))
        let total = network.parameters.reduce(0) { $0 + $1.tensor.count }
        return CommandOutput(lines.joined(separator: "\n"),
                             values: ["parameters": .number(Double(total)), "classes": .number(Double(network.classes.count)),
                                      "layers": .number(Double(network.layerNames.count))])
    }

    /// "0 circle, 1 square, …", shortened for a thousand classes.
    static func classList(_ classes: [String]) -> String {
        let shown = classes.prefix(8).enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", ")
        return classes.count > 8 ? shown + ", … (\(classes.count) in all; 'class NAME' finds one)" : shown
    }
}

struct LayersCommand: Command {
    let name = "layers"
    let usage = "layers [PREFIX]"
    let summary = "Every module of the model (or those under PREFIX) with its output shape for the current image."
    let topic = CommandTopic.model

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        index == 0 ? .words((try? lab.network().modulePaths) ?? []) : .words([])
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        guard arguments.count <= 1 else { throw CommandError.usage(usage) }
        let network = try lab.network()
        if let prefix = arguments.first, network.modules[prefix] == nil {
            throw CommandError.message(NetworkError.unknownModule(prefix, available: network.modulePaths).description)
        }
        let summary = try ModelSummary(network: network, inputShape: try lab.inputShape(for: network))
        var lines = summary.lines(terminal: lab.terminal, under: arguments.first, marking: lab.layerName(in: network))
        lines.append(summary.totals)
        return CommandOutput(lines.joined(separator: "\n"), values: ["modules": .number(Double(lines.count - 2))])
    }
}

struct ImageCommand: Command {
    let name = "image"
    let usage = "image [PATH [--preprocess RECIPE] [--resize WxH] [--mean R,G,B] [--std R,G,B] | DATASET N]"
    let summary = "Choose the image to explain (a file, or image N of a dataset), or show the current one."
    let details = """
        DATASET is shapes, multi, pairs or scenes, e.g. image multi 7. Dataset images are drawn on the fly,
        exactly as 'camlab data' draws them (seed 0):
        shapes N shows one object of class N mod 4 (circle, square, triangle, cross); multi N shows
        2–6 small objects of one class; pairs N two objects of different classes; scenes N (96×96 for
        lesson 9's ResNet) several small objects of mixed classes on a texture. A file is explained
        at its own size when the model takes any size (global or adaptive average pooling before its
        classifier), else resized to the model's input.
        --preprocess tutorial does what the tutorial's code does: cv2.resize to 300×300, then
        pytorch-grad-cam's preprocess_image with mean = std = 0.5. --preprocess torchvision is the
        evaluation transform of torchvision's pretrained models: shorter side 256 (Pillow's
        bilinear), centre crop 224, ImageNet's mean and std. --resize WxH (cv2.resize, byte for
        byte), --mean and --std replace a recipe's part, or apply alone.
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
        if !arguments.isEmpty, let chosen = lab.state.classSpec {
            lines.append("The class explained stays \(chosen), set with 'class'; 'class auto' explains each image's prediction.")
        }
        lines.append(TerminalHeatmap.render(image.picture, intensity: intensity, scale: scale, terminal: lab.terminal))
        return CommandOutput(lines.joined(separator: "\n"),
                             values: ["truth": .text(image.truth.map(\.rawValue).joined(separator: "+")),
                                      "width": .number(Double(image.picture.width)), "height": .number(Double(image.picture.height))])
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
        let input = try image.modelInput(for: network).batch
        // Directly, not `network.classScores`: these are the y^c that `check` and the methods use.
        let logits = withoutGradient { network(input) }.scalars
        let probabilities = Tensor(logits).softmax(alongAxis: 0).scalars
        let best = logits.indices.max { logits[$0] < logits[$1] } ?? 0
        var lines = [padded("class", 12) + rightAligned("logit y^c", 12) + rightAligned("p", 12)]
        // A thousand ImageNet classes: the five most probable, as torchvision's examples print them.
        let shown = network.classes.count > 10
            ? Array(network.classes.indices.sorted { probabilities[$0] > probabilities[$1] }.prefix(5))
            : Array(network.classes.indices)
        let nameWidth = Swift.max(12, (shown.map { "\($0) \(network.classes[$0])".count }.max() ?? 0) + 2)
        lines[0] = padded("class", nameWidth) + rightAligned("logit y^c", 12) + rightAligned("p", 12)
        for c in shown {
            lines.append(padded("\(c) \(network.classes[c])", nameWidth) + rightAligned(formatted(logits[c], decimals: 3), 12)
                         + rightAligned(formatted(probabilities[c], decimals: 3), 12) + (c == best ? "  ← predicted" : ""))
        }
        if shown.count < network.classes.count {
            lines.append(lab.terminal.dim("(the 5 most probable of \(network.classes.count) classes)"))
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
    // ImageNet's names have spaces, so the words are one name; only `auto` stands alone.
    let maximumArgumentCount: Int? = nil
    let summary = "Choose the class c to explain; auto explains the predicted class."
    let topic = CommandTopic.model

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        index == 0 ? .words(((try? lab.network().classes) ?? []) + ["auto"]) : .words([])
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let network = try lab.network()
        // ImageNet's names have spaces: `class Siberian husky` is one name.
        if arguments.first == "auto", arguments.count > 1 {
            throw CommandError.message("'class auto' takes nothing after it; '\(Echo.word(arguments[1]))' is one too many.")
        }
        if !arguments.isEmpty {
            let spec = arguments.joined(separator: " ")
            if spec == "auto" {
                lab.state.classSpec = nil
            } else {
                let index = try CamReport.classIndex(spec, classes: network.classes)
                lab.state.classSpec = network.classes[index]
            }
        }
        guard let index = try lab.classIndex(in: network) else {
            return CommandOutput("Class: the predicted one. Classes: " + ModelCommand.classList(network.classes))
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
                let shapes = try network.outputShapes(forInput: try lab.inputShape(for: network))
                do {
                    _ = try network.outputSlot(of: name)
                } catch let error as NetworkError {
                    throw CommandError.message(error.description)
                }
                guard let shape = shapes[name], shape.count == 3 else {
                    throw CommandError.message("Layer '\(name)' outputs \((shapes[name] ?? []).map(String.init).joined(separator: "×")), not feature maps K×h×w; choose a convolution, BatchNorm, ReLU, pooling layer or block.")
                }
                lab.state.layer = name
            }
        }
        let layer = lab.layerName(in: network)
        let shape = try network.outputShapes(forInput: try lab.inputShape(for: network))[layer] ?? [0, 0, 0]
        return CommandOutput("Layer \(layer): A has K = \(shape[0]) feature maps of \(shape[1])×\(shape[2]).",
                             values: ["layer": .text(layer), "channels": .number(Double(shape[0]))])
    }
}
