import ArgumentParser
import CamlabFigures
import CamlabImaging
import CamlabLab
import Foundation

/// `camlab figure KIND …`: parses the options into a `FigureRequest`; CamlabFigures draws.
struct FigureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figure",
        abstract: "Draw one classroom figure as a PNG file.",
        discussion: "KIND is one of:\n" + FigureKind.allCases.map { "  \($0.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0))\($0.summary)" }
            .joined(separator: "\n")
            + "\n\nExamples:\n  camlab figure overlay --image tri.png --methods gradcampp --out a.png\n"
            + "  camlab figure compare --image a.png b.png --methods cam,layercam --out c.png\n"
            + "  camlab figure side-by-side --model resnet50.pth --image cat.jpg --preprocess tutorial --class 281 --out s.png\n"
            + "  camlab figure curves --log train.jsonl --out curves.png")

    @Argument(help: "The kind of figure: \(FigureKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: String

    @Option(help: ArgumentHelp("The model file (default: Models/shapes-tiny32.safetensors, else the tests' reference model).",
                               valueName: "file"))
    var model: String?

    @Option(name: .customLong("image"), parsing: .upToNextOption, help: ArgumentHelp("The image(s) to explain (compare takes several).", valueName: "file"))
    var images: [String] = []

    @Option(help: ArgumentHelp("Comma-separated methods (default: gradcam; compare: gradcam,gradcampp).", valueName: "a,b"))
    var methods: String?

    @Option(name: .customLong("class"), parsing: .unconditional, help: ArgumentHelp("The class to explain, by name or index (default: the predicted class).", valueName: "class"))
    var className: String?

    @Option(help: ArgumentHelp("The layer to explain (default: the model's target layer).", valueName: "name"))
    var layer: String?

    @Option(help: ArgumentHelp("For curves: the JSON lines printed by `camlab train --json`.", valueName: "file"))
    var log: String?

    @Option(help: ArgumentHelp("The PNG file to write.", valueName: "file.png"))
    var out: String?

    @Option(help: ArgumentHelp("Heatmap colours: jet (as pytorch-grad-cam) or viridis (colour-blind safe).", valueName: "name"))
    var colormap: String = "jet"

    @Option(name: .customLong("image-weight"), help: ArgumentHelp("The image's share of the overlay, 0…1 (show_cam_on_image's image_weight).", valueName: "w"))
    var imageWeight: Float = 0.5

    @Option(name: .customLong("feature-maps"), help: ArgumentHelp("For gallery: how many feature maps to show.", valueName: "n"))
    var featureMaps: Int = 8

    @OptionGroup var recipe: PreprocessingOptions

    @Option(help: "A title replacing the default one.")
    var title: String?

    @Flag(name: .customLong("no-equation"), help: "Leave out the methods' equations.")
    var noEquation = false

    @Flag(name: .customLong("no-outlines"), help: "Leave out the ground-truth outlines.")
    var noOutlines = false

    @Option(help: ArgumentHelp("own: each map scaled to [0, 1] on its own; shared: maps of one method on one scale (compare, counterfactual).", valueName: "own|shared"))
    var scale: String = "own"

    func run() throws {
        do {
            let path = try outputPath(out)
            guard let figureKind = FigureKind(rawValue: kind.lowercased()) else {
                throw FigureError("Unknown figure kind '\(kind)'; kinds are \(FigureKind.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            var request = FigureRequest(kind: figureKind)
            request.modelPath = model
            request.imagePaths = images
            request.methods = try methods.map(FigureRequest.methods(from:))
            request.className = className
            request.layer = layer
            request.logPath = log
            request.title = title
            request.preprocessing = try recipe.preprocessing()
            guard (1...64).contains(featureMaps) else { throw FigureError("--feature-maps must be between 1 and 64.") }
            request.featureMapCount = featureMaps
            request.style = try style(colormap: colormap, imageWeight: imageWeight, equation: !noEquation, outlines: !noOutlines)
            guard ["own", "shared"].contains(scale) else { throw FigureError("--scale is own or shared, not '\(scale)'.") }
            request.style.sharesScale = scale == "shared"
            try request.render().writePNG(to: path)
            try StandardOutput.print("wrote \(path)")
        } catch {
            throw fail(error)
        }
    }
}

/// The style options shared by `figure` and `figures`.
func style(colormap: String, imageWeight: Float, equation: Bool = true, outlines: Bool = true) throws -> FigureStyle {
    var style = FigureStyle()
    let colors = try colormapNamed(colormap)
    guard (0...1).contains(imageWeight) else { throw FigureError("--image-weight must be between 0 and 1.") }
    style.colormap = colors
    style.imageWeight = imageWeight
    style.showsEquation = equation
    style.showsOutlines = outlines
    return style
}

/// The colormap of `--colormap`.
func colormapNamed(_ name: String) throws -> Colormap {
    Colormap(named: try Choice.name(name, for: "--colormap", among: Colormap.all.map(\.name)))!
}

/// Checks that --out is given and names a PNG file.
func outputPath(_ out: String?) throws -> String {
    guard let out, !out.isEmpty else { throw FigureError("Say where to write the figure with --out FILE.png.") }
    guard out.lowercased().hasSuffix(".png") else { throw FigureError("Figures are PNG files: give --out a name ending in .png, not '\(out)'.") }
    return out
}

/// Prints the error as one sentence on stderr (nothing on stdout) and exits with status 1.
func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("camlab: \(FigureError(sentenceFrom: error).description)\n".utf8))
    return ExitCode.failure
}
