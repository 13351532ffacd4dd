import ArgumentParser
import CamlabLab
import CamlabNN

/// `--model` and what a user may fix about it.
struct ModelOptions: ParsableArguments {
    @Option(help: "The model: a camlab .safetensors file, or a plain PyTorch state dict (safetensors or .pth) of a torchvision ResNet or VGG.")
    var model: String

    @Option(help: "A file of class names, one per line (default: the file's own, ImageNet's for 1000 outputs, else 0…N−1).")
    var classes: String?

    @OptionGroup var recipe: PreprocessingOptions

    func preprocessing() throws -> Preprocessing { try recipe.preprocessing() }

    /// The model's class names, and the recipe's statistics in place of the file's.
    func network() throws -> Network {
        let classes = try ModelOverrides.parse(classesFile: classes, mean: nil, std: nil)
        return try Network(contentsOf: model, overriding: try preprocessing().filling(classes))
    }
}

/// How images are brought to the network: `--preprocess`, `--resize`, `--mean`, `--std`.
struct PreprocessingOptions: ParsableArguments {
    @Option(help: "A preprocessing recipe: tutorial (cv2.resize to 300×300, mean = std = 0.5), torchvision (shorter side 256, centre crop 224, ImageNet statistics) or none; --resize, --mean and --std replace its parts.")
    var preprocess: String?

    @Option(help: "Resize each image to WIDTHxHEIGHT first, as cv2.resize(img, (W, H)) does (INTER_LINEAR on 8 bits).")
    var resize: String?

    @Option(help: "The input mean per channel, e.g. 0.485,0.456,0.406 (default: the file's, ImageNet's for a state dict).")
    var mean: String?

    @Option(help: "The input standard deviation per channel, e.g. 0.229,0.224,0.225.")
    var std: String?

    func preprocessing() throws -> Preprocessing {
        try Preprocessing(recipe: preprocess, resize: resize, mean: mean, std: std)
    }
}

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Describe a model file, or import a PyTorch state dict as a camlab model.",
        subcommands: [Info.self, Import.self])

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The module tree: each module's kind, output shape and parameters, and where CAM applies.")

        @Argument(help: "The model file.") var file: String
        @Option(parsing: .upToNextOption, help: "The input size H W for the output shapes (default: the nominal size).")
        var size: [Int] = []
        @Option(help: "A file of class names, one per line.") var classes: String?
        @Option(help: "The input mean per channel, e.g. 0.5,0.5,0.5.") var mean: String?
        @Option(help: "The input standard deviation per channel.") var std: String?

        func validate() throws {
            guard size.isEmpty || (size.count == 2 && size.allSatisfy { (1...Limits.side).contains($0) }) else {
                throw LabError("--size takes two numbers from 1 to \(Limits.side), the height and the width.")
            }
        }

        func run() throws {
            let overrides = try ModelOverrides.parse(classesFile: classes, mean: mean, std: std)
            try ModelInfo.lines(path: file, overrides: overrides, inputSize: size.isEmpty ? nil : size, terminal: .standardOutput)
                .forEach { try StandardOutput.print($0) }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a model (e.g. a torchvision state dict) as camlab-model/2, with classes and normalization fixed in it.")

        @Argument(help: "The model file to read.") var file: String
        @Option(help: "The camlab model file to write.") var out: String
        @Option(help: "A file of class names, one per line.") var classes: String?
        @Option(help: "The input mean per channel, e.g. 0.485,0.456,0.406.") var mean: String?
        @Option(help: "The input standard deviation per channel.") var std: String?

        func run() throws {
            let overrides = try ModelOverrides.parse(classesFile: classes, mean: mean, std: std)
            try StandardOutput.print(try ModelInfo.importModel(from: file, to: out, overrides: overrides))
        }
    }
}
