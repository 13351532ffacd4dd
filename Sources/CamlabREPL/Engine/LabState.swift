import CamlabLab
import CamlabData
import CamlabNN
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
    /// A file, brought to size and normalized as `preprocessing` says.
    case file(String, preprocessing: Preprocessing = .none)

    public var description: String {
        switch self {
        case let .dataset(kind, index): return "\(kind.rawValue) \(index)"
        case let .file(path, preprocessing):
            return ([path.contains(" ") ? "\"\(path)\"" : path, preprocessing.description].filter { !$0.isEmpty }).joined(separator: " ")
        }
    }

    /// The statistics the model normalizes this image with, where they are not the model's own.
    public var normalization: ModelOverrides {
        if case let .file(_, preprocessing) = self { return preprocessing.filling(.none) }
        return .none
    }

    /// Parses `shapes 7`, `multi 3`, `pairs 0`, or a path with `--preprocess NAME`, `--resize WxH`,
    /// `--mean R,G,B`, `--std R,G,B` (as `camlab cam` takes them).
    public init(arguments: [String]) throws {
        var arguments = arguments
        var options: [String: String] = [:]
        for flag in ["--preprocess", "--resize", "--mean", "--std"] {
            guard let position = arguments.firstIndex(of: flag) else { continue }
            guard position + 1 < arguments.count else {
                throw CommandError.usage("image PATH [--preprocess tutorial|torchvision|none] [--resize WxH] [--mean R,G,B] [--std R,G,B]")
            }
            options[flag] = arguments[position + 1]
            arguments.removeSubrange(position...(position + 1))
        }
        if let first = arguments.first, let kind = DatasetKind(rawValue: first) {
            guard arguments.count == 2, let index = Int(arguments[1]), index >= 0 else {
                throw CommandError.usage("image \(kind.rawValue) N, with N a whole number ≥ 0")
            }
            guard options.isEmpty else {
                throw CommandError.message("\(options.keys.sorted().joined(separator: ", ")) are for image files; dataset images are drawn at the model's size.")
            }
            self = .dataset(kind, index)
            return
        }
        let preprocessing: Preprocessing
        do {
            preprocessing = try Preprocessing(recipe: options["--preprocess"], resize: options["--resize"],
                                              mean: options["--mean"], std: options["--std"])
        } catch {
            throw CommandError.message("\(error)")
        }
        let path = arguments.joined(separator: " ")
        guard let found = ResourceLocator.existingFile(path) else {
            throw CommandError.message("There is no file '\(path)'; give a PNG or JPEG path, or a dataset image such as 'shapes 3' or 'multi 7'.")
        }
        self = .file(found, preprocessing: preprocessing)
    }
}
