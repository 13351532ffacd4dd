import ArgumentParser
import CamlabData
import CamlabLab

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Generate the synthetic datasets.", subcommands: [Make.self])

    struct Make: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a dataset (shapes, multi, pairs or scenes) with masks, boxes and train/test splits.",
            discussion: "Deterministic: the same options give the same files. Without options, makes the lessons' copy in Datasets/NAME.")

        @Argument(help: "shapes, multi, pairs or scenes.") var name: String
        @Option(help: "Total number of images (train + test).") var count: Int?
        @Option(help: "Image side in pixels (at least 16).") var size: Int?
        @Option(help: "Random seed.") var seed: UInt64?
        @Option(help: "Output folder (new or empty); default Datasets/NAME.") var out: String?

        func run() throws {
            let kind = try Choice.value(name, for: "The dataset", as: DatasetKind.self)
            var spec = LessonData.defaultSpec(for: kind)
            if let count { spec.count = count }
            if let size { spec.size = size }
            if let seed { spec.seed = seed }
            let directory = out ?? "Datasets/\(name)"
            // Ctrl-C and SIGTERM stop the writing; the half-built dataset is removed.
            Interruption.install()
            Interruption.includeTermination()
            let manifest = try DatasetGenerator.write(spec, to: directory, shouldStop: { Interruption.isRequested })
            try StandardOutput.print("wrote \(manifest.counts.total) \(name) images (\(manifest.counts.train) train, \(manifest.counts.test) test, \(spec.size)×\(spec.size), seed \(spec.seed)) to \(directory)")
        }
    }
}
