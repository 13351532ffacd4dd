import Foundation
import CamlabData
import CamlabImaging

/// Finds camlab's own files — the lessons' model, the Lessons and Datasets folders — wherever camlab
/// is run from: below the working directory or one of its parents, or below the executable's
/// folder (`.build/<configuration>/` of the checkout). The one place that knows these paths.
public enum ResourceLocator {
    /// The lessons' trained model, produced by `camlab train` for the lessons.
    public static let lessonModel = "Models/shapes-tiny32.safetensors"
    /// Lesson 9's ResNet, trained by camlab on the `scenes` dataset (Models/README.md).
    public static let scenesModel = "Models/scenes-resnet10.safetensors"
    /// The reference model the method tests use (trained in PyTorch on the same kind of images).
    public static let referenceModel = "Tests/CamlabMethodsTests/Fixtures/tiny32/model.safetensors"

    /// `$CAMLAB_MODEL`, else the first of `lessonModel`, `referenceModel` found.
    public static func defaultModel(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let path = environment["CAMLAB_MODEL"], !path.isEmpty { return path }
        return find(lessonModel) ?? find(referenceModel)
    }

    /// The checkout's root folder (the one holding `Lessons/`), if it can be found.
    public static var checkoutRoot: String? {
        find("Lessons").map { ($0 as NSString).deletingLastPathComponent }.map { $0.isEmpty ? "." : $0 }
    }

    /// The folder the lesson datasets are generated into (`Datasets/` of the checkout).
    public static var datasetsFolder: String { (checkoutRoot.map { $0 + "/" } ?? "") + "Datasets" }

    /// `$CAMLAB_LESSONS`, else the Lessons folder of the package.
    public static func lessonsFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let path = environment["CAMLAB_LESSONS"], !path.isEmpty { return path }
        return find("Lessons")
    }

    /// A path as typed (with `~`), or — when it is relative and not found here — the same path in the
    /// checkout, so lessons can name the files camlab ships (`Lessons/images/…`) from any folder.
    public static func existingFile(_ path: String) -> String? {
        let expanded = (path as NSString).expandingTildeInPath
        if FileManager.default.fileExists(atPath: expanded) { return expanded }
        return expanded.hasPrefix("/") ? nil : find(expanded)
    }

    /// `relative` below the working directory or one of its parents, or below a parent of the
    /// executable (which lives in .build/<configuration>/ of the package).
    public static func find(_ relative: String) -> String? {
        var roots: [URL] = []
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<6 { roots.append(directory); directory.deleteLastPathComponent() }
        var executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<6 { executable.deleteLastPathComponent(); roots.append(executable) }
        for root in roots {
            let candidate = root.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return relativeIfBelowWorkingDirectory(candidate) }
        }
        return nil
    }

    private static func relativeIfBelowWorkingDirectory(_ path: String) -> String {
        let here = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(here) ? String(path.dropFirst(here.count)) : path
    }
}

extension ResourceLocator {
    /// A dataset image made on the fly (deterministic), named like `shapes 2`.
    public static func datasetImage(_ kind: DatasetKind, index: Int, size: Int = 32) -> (name: String, image: RGBImage) {
        ("\(kind.rawValue) \(index)", DatasetGenerator.sample(kind: kind, index: index, size: size, seed: 0).image)
    }
}
