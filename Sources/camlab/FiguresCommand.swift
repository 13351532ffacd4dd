import ArgumentParser
import CamlabFigures

/// `camlab figures`: regenerates every classroom figure (CamlabFigures' `ClassroomFigures`).
struct FiguresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figures",
        abstract: "Regenerate every classroom figure (overlays, comparisons, gallery, bars, curves, counterfactual, guided).",
        discussion: "Images are generated deterministically, so running it twice gives byte-identical files. "
            + "The training curves need --training-log (the JSON lines of `camlab train --json`); without it they are skipped with a note.")

    @Option(help: "The folder to write into.")
    var out: String = "Figures"

    @Option(help: "The model file (default: Models/shapes-tiny32.safetensors, else the tests' reference model).")
    var model: String?

    @Option(name: .customLong("training-log"), help: "The JSON lines of `camlab train --json`, for the training curves.")
    var trainingLog: String?

    @Option(help: "Heatmap colours: jet (as pytorch-grad-cam) or viridis (colour-blind safe).")
    var colormap: String = "jet"

    func run() throws {
        do {
            var figures = ClassroomFigures(modelPath: model ?? FigureLab.defaultModelPath())
            figures.outputFolder = out
            figures.trainingLogPath = trainingLog
            figures.style = try style(colormap: colormap, imageWeight: 0.5)
            try figures.generate { print($0) }
        } catch {
            throw fail(error)
        }
    }
}
