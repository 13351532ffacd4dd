import CamlabData
import CamlabNN
import Foundation

/// The trained model the lessons use without retraining.
public enum LessonModel {
    /// Where the repository ships it.
    public static let defaultPath = ResourceLocator.lessonModel

    /// The path of the lessons' trained model, training it with `LessonRecipe` when the file is
    /// missing (it is shipped; this rebuilds it, bit for bit on the same machine, in ~15 s).
    /// The dataset is generated into `datasetsRoot/shapes` first if needed.
    @discardableResult
    public static func ensureTrained(at path: String = defaultPath, datasetsRoot: String = "Datasets",
                                     progress: (TrainingProgress) -> Void = { _ in }) throws -> String {
        if FileManager.default.fileExists(atPath: path) { return path }
        let dataset = try LessonData.ensureDataset(named: "shapes", in: datasetsRoot)
        let data = try LabData.labeledImages(in: dataset + "/train", for: LessonRecipe.architecture, note: printError)
        let network = try Network(architecture: LessonRecipe.architecture, seed: LessonRecipe.options.seed)
        try Trainer(options: LessonRecipe.options).train(network, on: data, onBatch: progress)
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try network.write(to: path)
        return path
    }
}
