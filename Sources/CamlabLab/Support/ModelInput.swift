import CamlabCore
import CamlabData
import CamlabImaging
import CamlabNN

/// Images read from files as a network's input: decoded (PNG through libpng, other formats through
/// libgd), resized to the network's input size when they differ — with a note saying so — and
/// normalized with the architecture's mean and std.
public struct ModelInput {
    /// The original pictures, at the network's input size (for overlays).
    public let pictures: [RGBImage]
    /// The normalized batch [N, C, H, W].
    public let batch: Tensor
    /// One sentence per image that had to be resized.
    public let notes: [String]

    public init(imagePaths: [String], network: Network) throws {
        try self.init(images: imagePaths.map { ($0, try ImageFile.readRGB(at: $0)) }, network: network)
    }

    /// Pictures already in memory, each with the name used in notes.
    public init(images: [(name: String, image: RGBImage)], network: Network) throws {
        let (channels, height, width) = (network.architecture.input[0], network.architecture.input[1], network.architecture.input[2])
        var pictures: [RGBImage] = []
        var notes: [String] = []
        var tensors: [Tensor] = []
        for (name, image) in images {
            if image.width != width || image.height != height {
                notes.append("note: \(name) is \(image.width)×\(image.height); resized to \(width)×\(height), the model's input size.")
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
