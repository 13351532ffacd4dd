import ArgumentParser
import CamlabFigures
import CamlabLab

/// `camlab figures`: regenerates every classroom figure (CamlabFigures' `ClassroomFigures`).
struct FiguresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figures",
        abstract: "Regenerate every classroom figure (overlays, comparisons, gallery, bars, curves, counterfactual, guided).",
        discussion: "Images are generated deterministically, so running it twice gives byte-identical files. "
            + "The training curves come from --training-log (the JSON lines of `camlab train --json`), by default the log "
            + "shipped beside the model (Models/shapes-tiny32-training.jsonl for the lessons' model); without one they are skipped with a note.")

    @Option(help: ArgumentHelp("The folder to write into.", valueName: "folder"))
    var out: String = "Figures"

    @Option(help: ArgumentHelp("The model file (default: Models/shapes-tiny32.safetensors, else the tests' reference model).",
                               valueName: "file"))
    var model: String?

    @Option(name: .customLong("training-log"), help: ArgumentHelp("The JSON lines of `camlab train --json`, for the training curves.", valueName: "file"))
    var trainingLog: String?

    @Option(help: ArgumentHelp("Heatmap colours: jet (as pytorch-grad-cam) or viridis (colour-blind safe).", valueName: "name"))
    var colormap: String = "jet"

    func run() throws {
        do {
            var figures = ClassroomFigures(modelPath: try model ?? FigureLab.defaultModelPath())
            figures.outputFolder = out
            if let trainingLog { figures.trainingLogPath = trainingLog }
            figures.style = try style(colormap: colormap, imageWeight: 0.5)
            try figures.generate { try StandardOutput.print($0) }
        } catch {
            throw fail(error)
        }
    }
}
