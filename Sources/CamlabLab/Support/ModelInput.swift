import CamlabCore
import CamlabData
import CamlabImaging
import CamlabNN

/// Images read from files as a network's input: decoded (PNG through libpng, other formats through
/// libgd), normalized with the architecture's mean and std, at their own size when the network
/// adapts to any size (adaptive pooling before its classifier) and else resized to its input size
/// — with a note saying so. Images of one batch share the first one's size.
public struct ModelInput {
    /// The pictures at the size the network runs them (for overlays).
    public let pictures: [RGBImage]
    /// The normalized batch [N, C, H, W].
    public let batch: Tensor
    /// One sentence per image that had to be resized.
    public let notes: [String]

    /// One picture, as the network runs it, without notes.
    public static func tensor(_ image: RGBImage, network: Network) -> (picture: RGBImage, batch: Tensor) {
        let input = try! ModelInput(images: [("", image)], network: network)
        return (input.pictures[0], input.batch)
    }

    public init(imagePaths: [String], network: Network, preprocessing: Preprocessing = .none) throws {
        try self.init(images: imagePaths.map { ($0, preprocessing.prepared(try ImageFile.readRGB(at: $0))) }, network: network)
    }

    /// Pictures already in memory, each with the name used in notes.
    public init(images: [(name: String, image: RGBImage)], network: Network) throws {
        let first = images.first?.image
        let shape = network.inputShape(forImageHeight: first?.height ?? 1, width: first?.width ?? 1)
        let (channels, height, width) = (shape[0], shape[1], shape[2])
        let reason = network.adaptsToInputSize ? "the first image's size" : "the model's input size"
        var pictures: [RGBImage] = []
        var notes: [String] = []
        var tensors: [Tensor] = []
        for (name, image) in images {
            if image.width != width || image.height != height {
                notes.append("note: \(name) is \(image.width)×\(image.height); resized to \(width)×\(height), \(reason).")
            }
            let picture = image.width == width && image.height == height ? image : image.resized(toWidth: width, height: height)
            pictures.append(picture)
            tensors.append(picture.tensor(channels: channels, height: height, width: width))
        }
        self.pictures = pictures
        self.notes = notes
        self.batch = network.normalized(Tensor.concatenated(tensors, alongAxis: 0))
    }
}

/// `--resize WxH`: the size an image is resized to before anything else.
public enum ImageResize {
    public static func parse(_ text: String) throws -> (width: Int, height: Int) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
              (1...Limits.side).contains(width), (1...Limits.side).contains(height) else {
            throw LabError("--resize takes WIDTHxHEIGHT with each from 1 to \(Limits.side), e.g. 300x300, not '\(text.prefix(40))'")
        }
        return (width, height)
    }
}
