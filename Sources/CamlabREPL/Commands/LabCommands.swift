import Foundation
import CamlabCore
import CamlabData
import CamlabFigures
import CamlabLab
import CamlabMethods
import CamlabNN

/// The lesson datasets, generated into the checkout's `Datasets/` on first use.
func lessonDataset(_ name: String) throws -> String {
    let root = ResourceLocator.datasetsFolder
    do { return try LessonData.ensureDataset(named: name, in: root) } catch { throw CommandError.message("\(error)") }
}

/// `check EQ [LAYER]`: an equation of the tutorial, both sides computed on the current image.
struct CheckCommand: Command {
    let name = "check"
    let usage = "check EQUATION [LAYER]"
    let summary = "Check an equation of the tutorial numerically: both sides and their difference."
    var details: String {
        "EQUATION is one of:\n" + EquationCheck.Name.allCases.map { "\($0.rawValue): \($0.summary)" }.joined(separator: "\n")
            + "\nValues: holds (1 or 0), passes, difference (the largest difference), tolerance; gradcampp-exact also"
            + " max_gradient (the largest ∂y^c/∂A sampled) and library_shift (how much pytorch-grad-cam's 1e-6 moves α)."
    }
    let topic = CommandTopic.cam

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        if index == 0 { return .words(EquationCheck.Name.allCases.map(\.rawValue)) }
        return .words((try? lab.network().layerNames) ?? [])
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        guard let word = arguments.first else { return CommandOutput(usage + "\n" + details) }
        let check = try Choice.value(word, for: "The check", as: EquationCheck.Name.self)
        let network = try lab.network()
        let layer = arguments.count > 1 ? arguments[1] : lab.state.layer
        let input = try lab.image().modelInput(for: network)
        try Interruption.check()
        let result = try EquationCheck(check, network: network, input: input.batch, classIndex: try lab.classIndex(in: network), layer: layer)
        var values: [String: ResultValue] = [
            "holds": .number(result.holds ? 1 : 0), "passes": .number(result.passes ? 1 : 0),
            "difference": .number(result.maximumDifference), "tolerance": .number(result.tolerance),
        ]
        for (name, value) in result.values { values[name] = .number(value) }
        return CommandOutput(result.humanReadable(terminal: lab.terminal), values: values, isResult: true)
    }
}

/// `metrics [DATASET] [METHOD …] [COUNT]`: the methods scored on a lesson dataset.
struct MetricsCommand: Command {
    let name = "metrics"
    let usage = "metrics [DATASET] [METHOD …]"
    let summary = "Score methods on a dataset: Average Drop, confidence, deletion/insertion, ROAD, pointing game, IoU, objects found."
    let details = """
        DATASET is shapes, multi, pairs or scenes; a number N sets how many explanations. Default: multi, gradcam and
        gradcampp, 60 explanations of the test split, at the current layer ('layer'). Values, per method M:
        M_drop, M_increase, M_deletion, M_insertion, M_pointing, M_energy, M_iou, M_objects (percent
        of objects with a map value ≥ 0.5 in their box) — e.g. gradcampp_objects.
        """
    let topic = CommandTopic.methods

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        .words(DatasetKind.allCases.map(\.rawValue) + MethodName.allCases.filter(\.producesMap).map(\.rawValue))
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        var dataset = "multi", methods: [MethodName] = [], count = 60
        for argument in arguments {
            if DatasetKind(rawValue: argument) != nil { dataset = argument }
            else if let number = Int(argument), number > 0 { count = number }
            else if let method = MethodName(name: argument), method.producesMap { methods.append(method) }
            else { throw CommandError.message("'\(argument)' is neither a dataset, a method with a map, nor a count.") }
        }
        if methods.isEmpty { methods = [.gradcam, .gradcampp] }
        let directory = try lessonDataset(dataset)
        let network = try lab.network()
        let bar = ProgressBar(isShown: lab.terminal.isInteractive, label: "metrics")
        defer { bar.clear() }
        let report: MetricsReport
        do {
            report = try MetricsReport(network: network, dataDirectory: directory, methods: methods, limit: count,
                                       layer: lab.state.layer, explained: bar.update, shouldStop: { Interruption.isRequested })
        } catch is MetricsReport.Stopped {
            throw CommandError.interrupted
        }
        var values: [String: ResultValue] = [:]
        for row in report.rows {
            let key = row.method.rawValue.replacingOccurrences(of: "-", with: "")
            values["\(key)_drop"] = .number(row.averageDrop)
            values["\(key)_increase"] = .number(row.increaseInConfidence)
            values["\(key)_deletion"] = .number(row.deletionArea)
            values["\(key)_insertion"] = .number(row.insertionArea)
            if let p = row.pointingGame { values["\(key)_pointing"] = .number(p) }
            if let e = row.energyPointingGame { values["\(key)_energy"] = .number(e) }
            if let i = row.intersectionOverUnion { values["\(key)_iou"] = .number(i) }
            if let o = row.objectsFound { values["\(key)_objects"] = .number(o) }
        }
        return CommandOutput(report.humanReadable(terminal: lab.terminal), values: values, isResult: true)
    }
}

/// `train [EPOCHS]`: a fresh network of the current model's architecture trained on `shapes`.
struct TrainCommand: Command {
    let name = "train"
    let usage = "train [EPOCHS] [--lr X] [--seed S] [--shuffle-labels]"
    let summary = "Train a fresh network of the current architecture on the shapes dataset (default: the lessons' recipe)."
    let details = """
        EPOCHS defaults to 10; OPTIONS: --lr X (learning rate, default 2e-3), --seed S (default 1) —
        the recipe of the lessons' model — and --shuffle-labels, which trains on the same images with
        their labels permuted (seeded by S): Adebayo et al.'s data randomization test ('sanity --labels'). The network starts from PyTorch's default initialization
        (seeded) and learns from the 4,000 training images of Datasets/shapes. A progress bar shows
        loss, accuracy, images/s and the time left; Ctrl-C stops and keeps the model you had.
        The trained model is saved as a new file in $CAMLAB_HOME/models (default ~/.camlab/models, or
        $CAMLAB_MODELS): trained.safetensors, or trained-2.safetensors and so on when that name is
        taken, so no other session's model is overwritten. It becomes the current model; the output
        names the model it replaces, which 'model PATH' brings back.
        Values: loss, accuracy (training accuracy of the last epoch), epochs, seconds.
        """
    let topic = CommandTopic.model

    /// The options the arguments ask for; by default the lessons' recipe (two epochs, the old
    /// default, left a model at 41 % accuracy). Each wrong word gets its own sentence: a usage line
    /// alone does not say which word was wrong.
    static func options(from arguments: [String]) throws -> TrainingOptions {
        var options = LessonRecipe.options
        var words = arguments[...].filter { $0 != "--shuffle-labels" }[...]
        func value<T>(of option: String, _ parse: (String) -> T?, _ kind: String) throws -> T {
            guard let word = words.popFirst() else { throw CommandError.message("\(option) needs a value (\(kind)).") }
            guard let parsed = parse(word) else { throw CommandError.message("\(option) takes \(kind), not '\(Echo.word(word))'.") }
            return parsed
        }
        while let word = words.popFirst() {
            switch word {
            case "--lr": options.learningRate = try value(of: "--lr", Float.init, "a number such as 2e-3")
            case "--seed": options.seed = try value(of: "--seed", UInt64.init, "a whole number ≥ 0")
            default:
                guard let count = Int(word) else {
                    throw CommandError.message("'\(Echo.word(word))' is neither a number of epochs nor an option (--lr X, --seed S, --shuffle-labels).")
                }
                options.epochs = count
            }
        }
        try options.validate()   // before the dataset is read: `train 0` is refused at once
        return options
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let options = try Self.options(from: arguments)
        let (epochs, seed) = (options.epochs, options.seed)
        let architecture = try lab.network().architecture
        let directory = try lessonDataset("shapes")
        var data = try LabData.labeledImages(in: directory + "/train", for: architecture) { lab.writeError($0) }
        if arguments.contains("--shuffle-labels") {
            // The same images, the labels dealt out again: nothing left to learn but the images themselves.
            var labels = data.labels
            var generator = RandomGenerator(seed: seed &+ 1)
            generator.shuffle(&labels)
            data = LabeledImages(images: data.images, labels: labels)
        }
        let network = try Network(architecture: architecture, seed: seed)
        let reporter = TrainingReporter(json: false, stdoutIsTerminal: lab.terminal.isInteractive)
        var lines: [String] = []
        let outcome = try Trainer(options: options).train(network, on: data, onBatch: reporter.batchFinished, onEpoch: { summary in
            reporter.clearBar()
            let line = String(format: "epoch %d/%d  loss %.4f  train accuracy %.1f%%  %.1f s", summary.epoch, epochs,
                              summary.loss, 100 * summary.trainAccuracy, summary.seconds)
            lab.write(line)
            lines.append(line)
        }, shouldStop: { Interruption.isRequested })
        reporter.clearBar()
        if outcome.wasInterrupted { throw CommandError.interrupted }
        let path = try CamlabHome.claimNewFile(in: CamlabHome.modelsFolder(), stem: "trained", extension: "safetensors")
        do { try network.write(to: path) } catch { try? FileManager.default.removeItem(atPath: path); throw error }
        let replaced = lab.state.modelPath
        lab.state.modelPath = path
        lab.reloadModel()
        let last = outcome.epochs.last!
        let text = String(format: "Saved to %@; it is now the current model (train accuracy %.1f%%; 'eval' measures it on the test images).\n", path, 100 * last.trainAccuracy)
            + "It replaces \(replaced); 'model \(replaced)' goes back to it."
        return CommandOutput(text, values: [
            "loss": .number(last.loss), "accuracy": .number(last.trainAccuracy), "epochs": .number(Double(outcome.epochs.count)),
            "seconds": .number(outcome.epochs.reduce(0) { $0 + $1.seconds }),
        ])
    }
}

/// `eval [DATASET]`: accuracy and confusion matrix of the current model on a test split.
struct EvalCommand: Command {
    let name = "eval"
    let usage = "eval [shapes]"
    let summary = "Accuracy and confusion matrix of the current model on the shapes test split."
    let details = "Rows are the true classes, columns the predicted ones. Values: accuracy (0 to 1)."
    let topic = CommandTopic.model

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        guard arguments.isEmpty || arguments == ["shapes"] else { throw CommandError.usage(usage) }
        let directory = try lessonDataset("shapes") + "/test"
        try Interruption.check()
        let (evaluation, classes) = try EvaluationSession.evaluate(modelPath: lab.state.modelPath, dataDirectory: directory)
        return CommandOutput(EvaluationSession.text(evaluation, classes: classes),
                             values: ["accuracy": .number(evaluation.accuracy)], isResult: true)
    }
}

/// `figure KIND [METHOD …] [FILE.png]`: a classroom figure of the current model, image, class and layer.
struct FigureCommand: Command {
    let name = "figure"
    let usage = "figure KIND [METHOD …] [--scale own|shared] [FILE]"
    var summary: String { "Draw a classroom figure of the current image as a PNG (libgd)." }
    var details: String {
        "KIND is one of:\n" + FigureKind.allCases.filter { $0 != .curves }.map { "\($0.rawValue): \($0.summary)" }.joined(separator: "\n")
            + "\nWithout FILE (a .png path) the figure goes to figure-KIND.png in $CAMLAB_HOME/figures (default ~/.camlab/figures). The command line's "
            + "`camlab figure` has every option (several images, viridis, titles)."
    }
    let topic = CommandTopic.methods

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        if index == 0 { return .words(FigureKind.allCases.filter { $0 != .curves }.map(\.rawValue)) }
        return .words(MethodName.allCases.map(\.rawValue))
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        guard let word = arguments.first else { throw CommandError.usage(usage) }
        guard let kind = FigureKind(rawValue: word), kind != .curves else {
            let suggestion = Suggestion.closest(to: word, among: FigureKind.allCases.map(\.rawValue))
            throw CommandError.message("There is no figure '\(word)' here" + (suggestion.map { "; did you mean '\($0)'?" } ?? ".")
                                       + (word == "curves" ? " Training curves come from `camlab figure curves --log FILE`." : ""))
        }
        var methods: [MethodName] = [], output: String?
        var sharesScale = false
        var words = arguments.dropFirst()
        while let argument = words.popFirst() {
            if argument == "--scale" {
                guard let value = words.popFirst(), ["own", "shared"].contains(value) else { throw CommandError.usage(usage) }
                sharesScale = value == "shared"
                continue
            }
            if argument.lowercased().hasSuffix(".png") { output = argument; continue }
            guard let method = MethodName(name: argument) else {
                throw CommandError.message("'\(argument)' is neither a method nor a .png file.")
            }
            methods.append(method)
        }
        let network = try lab.network()
        var request = FigureRequest(kind: kind)
        request.modelPath = lab.state.modelPath
        let image = try lab.image()
        switch lab.state.image {
        case .dataset:
            request.subjects = [Subject(name: image.name, image: image.picture,
                                        masks: Dictionary(uniqueKeysWithValues: image.masks.map { ($0.key.rawValue, $0.value) }))]
        case .file(let path, let preprocessing) where preprocessing == .none:
            request.subjects = [try Subject.file(at: path)]   // with the masks of its dataset's manifest, if any
        case .file(_, let preprocessing):
            // Already brought to size by the recipe; its statistics still normalize it.
            request.subjects = [Subject(name: image.name, image: image.picture)]
            request.preprocessing = preprocessing
        }
        request.methods = methods.isEmpty ? nil : methods
        request.className = try lab.classIndex(in: network).map { network.classes[$0] }
        request.layer = lab.state.layer
        request.style.sharesScale = sharesScale
        try Interruption.check()
        let canvas = try request.render()
        let path: String
        if let output {
            path = output
        } else {
            // Never into the checkout the learner runs camlab from.
            let folder = CamlabHome.figuresFolder()
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            path = (folder as NSString).appendingPathComponent("figure-\(kind.rawValue).png")
        }
        try canvas.writePNG(to: path)
        return CommandOutput("Wrote \(path) (\(canvas.width)×\(canvas.height) pixels); open it with any image viewer.",
                             values: ["width": .number(Double(canvas.width)), "height": .number(Double(canvas.height))])
    }
}
