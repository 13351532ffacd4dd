import CamlabLab
import CamlabData
import Foundation

/// What the learner is looking at: the model, the image, the class and the layer. A value, so a
/// command interrupted by Ctrl-C can be undone by putting the copy from before it back.
public struct LabState: Equatable {
    /// The model file.
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
    /// A file, resized to width × height first when `resize` is given.
    case file(String, resize: [Int]? = nil)

    public var description: String {
        switch self {
        case let .dataset(kind, index): return "\(kind.rawValue) \(index)"
        case let .file(path, resize):
            return path + (resize.map { " --resize \($0[0])x\($0[1])" } ?? "")
        }
    }

    /// Parses `shapes 7`, `multi 3`, `pairs 0`, or a path (with `--resize WxH`).
    public init(arguments: [String]) throws {
        var arguments = arguments
        var resize: [Int]?
        if let flag = arguments.firstIndex(of: "--resize") {
            guard flag + 1 < arguments.count else { throw CommandError.usage("image PATH --resize WxH, e.g. --resize 300x300") }
            do {
                let size = try ImageResize.parse(arguments[flag + 1])
                resize = [size.width, size.height]
            } catch {
                throw CommandError.message("\(error)")
            }
            arguments.removeSubrange(flag...(flag + 1))
        }
        if let first = arguments.first, let kind = DatasetKind(rawValue: first) {
            guard arguments.count == 2, let index = Int(arguments[1]), index >= 0 else {
                throw CommandError.usage("image \(kind.rawValue) N, with N a whole number ≥ 0")
            }
            guard resize == nil else { throw CommandError.message("--resize is for image files; dataset images are drawn at the model's size.") }
            self = .dataset(kind, index)
            return
        }
        let path = arguments.joined(separator: " ")
        guard let found = ResourceLocator.existingFile(path) else {
            throw CommandError.message("There is no file '\(path)'; give a PNG or JPEG path, or a dataset image such as 'shapes 3' or 'multi 7'.")
        }
        self = .file(found, resize: resize)
    }
}
