import CamlabData
import Foundation

/// What the learner is looking at: the model, the image, the class and the layer. A value, so a
/// command interrupted by Ctrl-C can be undone by putting the copy from before it back.
public struct LabState: Equatable {
    /// The camlab-model/1 file.
    public var modelPath: String
    public var image: ImageSource
    /// The class explained, by name or index; nil: the predicted class.
    public var classSpec: String?
    /// The layer explained; nil: the model's target layer.
    public var layer: String?

    public init(modelPath: String, image: ImageSource = .dataset(.shapes, 2), classSpec: String? = nil, layer: String? = nil) {
        self.modelPath = modelPath
        self.image = image
        self.classSpec = classSpec
        self.layer = layer
    }
}

/// Where the current image comes from.
public enum ImageSource: Equatable, CustomStringConvertible {
    /// Image `index` of a synthetic dataset (seed 0, as `camlab data` makes it by default).
    case dataset(DatasetKind, Int)
    case file(String)

    public var description: String {
        switch self {
        case let .dataset(kind, index): return "\(kind.rawValue) \(index)"
        case let .file(path): return path
        }
    }

    /// Parses `shapes 7`, `multi 3`, `pairs 0`, or a path.
    public init(arguments: [String]) throws {
        if let first = arguments.first, let kind = DatasetKind(rawValue: first) {
            guard arguments.count == 2, let index = Int(arguments[1]), index >= 0 else {
                throw CommandError.usage("image \(kind.rawValue) N, with N a whole number ≥ 0")
            }
            self = .dataset(kind, index)
            return
        }
        let path = arguments.joined(separator: " ")
        guard let found = ResourceLocator.existingFile(path) else {
            throw CommandError.message("There is no file '\(path)'; give a PNG or JPEG path, or a dataset image such as 'shapes 3' or 'multi 7'.")
        }
        self = .file(found)
    }
}

/// Finds the files a fresh session starts from, wherever camlab is run from: the lessons' model,
/// else the reference model of the tests, and the Lessons folder.
public enum ResourceLocator {
    /// The lessons' trained model, produced by `camlab train` for the lessons.
    public static let lessonModel = "Models/shapes-tiny32.safetensors"
    /// The reference model the method tests use (trained in PyTorch on the same kind of images).
    public static let referenceModel = "Tests/CamlabMethodsTests/Fixtures/tiny32/model.safetensors"

    /// `$CAMLAB_MODEL`, else the first of `lessonModel`, `referenceModel` found.
    public static func defaultModel(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let path = environment["CAMLAB_MODEL"], !path.isEmpty { return path }
        return find(lessonModel) ?? find(referenceModel)
    }

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
