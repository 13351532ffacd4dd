import CamlabLab
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
