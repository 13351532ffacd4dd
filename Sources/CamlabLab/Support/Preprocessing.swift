import CamlabImaging
import CamlabNN

/// How a photo becomes a network's input: the size it is brought to and the statistics it is
/// normalized with. The two recipes people meet have names:
///
/// - `tutorial`: the tutorial's `cv2.resize(img, (300, 300))`, `/255`, then pytorch-grad-cam's
///   `preprocess_image(img)`, whose defaults are mean = std = 0.5 (not ImageNet's);
/// - `torchvision`: the evaluation transform a pretrained torchvision model was measured with —
///   `Resize(256)` (shorter side, Pillow's antialiased bilinear), `CenterCrop(224)`, ImageNet's mean
///   and std;
/// - `none`: the photo as it is, normalized with the model's own statistics.
public struct Preprocessing: Equatable, Sendable, CustomStringConvertible {
    public enum Sizing: Equatable, Sendable {
        /// The image at its own size (a network that adapts to any size), or the network's input
        /// size with a note.
        case asIs
        /// `cv2.resize(img, (width, height))`, INTER_LINEAR on the 8-bit image.
        case resized(width: Int, height: Int)
        /// torchvision's `Resize(side)` then `CenterCrop(crop)`.
        case shorterSide(Int, centreCrop: Int)
    }

    public enum Recipe: String, CaseIterable, Sendable { case tutorial, torchvision, none }

    public var sizing: Sizing
    /// Normalization statistics replacing the model's; nil keeps the model's.
    public var mean: [Double]?
    public var std: [Double]?

    public init(sizing: Sizing = .asIs, mean: [Double]? = nil, std: [Double]? = nil) {
        (self.sizing, self.mean, self.std) = (sizing, mean, std)
    }

    public static let none = Preprocessing()

    public init(_ recipe: Recipe) {
        switch recipe {
        case .tutorial: self.init(sizing: .resized(width: 300, height: 300), mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])
        case .torchvision: self.init(sizing: .shorterSide(256, centreCrop: 224), mean: ImageNet.mean, std: ImageNet.std)
        case .none: self.init()
        }
    }

    /// `--preprocess NAME`, then `--resize WxH`, `--mean` and `--std` each replacing that part of it.
    public init(recipe: String?, resize: String?, mean: String?, std: String?) throws {
        if let recipe {
            guard let named = Recipe(rawValue: recipe.lowercased()) else {
                let names = Recipe.allCases.map(\.rawValue)
                let guess = Suggestion.closest(to: recipe, among: names).map { " Did you mean '\($0)'?" } ?? ""
                throw LabError("--preprocess takes \(names.joined(separator: ", ")), not '\(recipe.prefix(40))'.\(guess)")
            }
            self.init(named)
        } else {
            self.init()
        }
        if let resize {
            let size = try ImageResize.parse(resize)
            sizing = .resized(width: size.width, height: size.height)
        }
        let statistics = try ModelOverrides.parse(classesFile: nil, mean: mean, std: std)
        if let given = statistics.mean { self.mean = given }
        if let given = statistics.std { self.std = given }
    }

    /// The image brought to this recipe's size.
    public func prepared(_ image: RGBImage) -> RGBImage {
        guard let (width, height, crop) = geometry(width: image.width, height: image.height) else { return image }
        let scaled = image.resized(toWidth: width, height: height, method: method)
        return crop.map { scaled.cropped(x: $0.x, y: $0.y, width: $0.width, height: $0.height) } ?? scaled
    }

    /// A mask of the image brought to the same pixels (nearest neighbour keeps its values).
    public func prepared(_ mask: GrayImage) -> GrayImage {
        guard let (width, height, crop) = geometry(width: mask.width, height: mask.height) else { return mask }
        let scaled = mask.resized(toWidth: width, height: height, method: .nearestNeighbor)
        return crop.map { scaled.cropped(x: $0.x, y: $0.y, width: $0.width, height: $0.height) } ?? scaled
    }

    private var method: ResizeMethod {
        if case .shorterSide = sizing { return .antialiasedBilinear }
        return .bilinear
    }

    private typealias Crop = (x: Int, y: Int, width: Int, height: Int)

    /// The size an image of `width × height` is scaled to and the part kept; nil: left as it is.
    private func geometry(width: Int, height: Int) -> (Int, Int, Crop?)? {
        switch sizing {
        case .asIs: return nil
        case let .resized(targetWidth, targetHeight): return (targetWidth, targetHeight, nil)
        case let .shorterSide(side, crop):
            // torchvision's _compute_resized_output_size and center_crop (Python's round: half to even).
            let (short, long) = (min(width, height), max(width, height))
            let longSide = Int(Double(side) * Double(long) / Double(short))
            let (scaledWidth, scaledHeight) = width <= height ? (side, longSide) : (longSide, side)
            let (cropWidth, cropHeight) = (min(crop, scaledWidth), min(crop, scaledHeight))
            let top = Int((Double(scaledHeight - cropHeight) / 2).rounded(.toNearestOrEven))
            let left = Int((Double(scaledWidth - cropWidth) / 2).rounded(.toNearestOrEven))
            return (scaledWidth, scaledHeight, (left, top, cropWidth, cropHeight))
        }
    }

    /// The model's overrides with this recipe's statistics where the user gave none.
    public func filling(_ overrides: ModelOverrides) -> ModelOverrides {
        var result = overrides
        if result.mean == nil { result.mean = mean }
        if result.std == nil { result.std = std }
        return result
    }

    /// As typed after `image PATH` in the REPL: a recipe's name, or the options that differ.
    public var description: String {
        func list(_ values: [Double]) -> String { values.map { String(format: "%g", $0) }.joined(separator: ",") }
        if let recipe = Recipe.allCases.first(where: { Preprocessing($0) == self }) {
            return recipe == .none ? "" : "--preprocess \(recipe.rawValue)"
        }
        var reference = Preprocessing.none
        var parts: [String] = []
        switch sizing {
        case .asIs: break
        case let .resized(width, height): parts.append("--resize \(width)x\(height)")
        case .shorterSide:
            reference = Preprocessing(.torchvision)
            parts.append("--preprocess torchvision")
        }
        if let mean, mean != reference.mean { parts.append("--mean \(list(mean))") }
        if let std, std != reference.std { parts.append("--std \(list(std))") }
        return parts.joined(separator: " ")
    }
}
