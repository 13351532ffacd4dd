import CamlabLab
import CamlabNN
import CamlabData
import CamlabImaging
import Foundation

/// The current image, ready for the methods.
public struct LoadedImage {
    /// A file the methods read: the user's file, or the dataset image written as PNG to a cache.
    public let path: String
    /// What the learner calls it: `shapes 2`, or the file's path (not the cache's temporary name).
    public let name: String
    public let picture: RGBImage
    /// For dataset images: the classes drawn in it, and where (255 inside the class's objects).
    public let truth: [ShapeClass]
    public let masks: [ShapeClass: GrayImage]

    init(source: ImageSource, size: Int) throws {
        name = source.description
        switch source {
        case let .file(path, preprocessing):
            self.path = path
            picture = preprocessing.prepared(try ImageFile.readRGB(at: path))
            truth = []
            masks = [:]
        case let .dataset(kind, index):
            let sample = DatasetGenerator.sample(kind: kind, index: index, size: size, seed: 0)
            let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("camlab-\(getuid())-images")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            path = (folder as NSString).appendingPathComponent("\(kind.rawValue)-\(index)-\(size).png")
            if !FileManager.default.fileExists(atPath: path) {
                // Written beside and renamed, so a second camlab never reads half a file.
                let partial = path + ".\(getpid()).partial"
                try PNGFile.write(sample.image, to: partial)
                _ = rename(partial, path)
            }
            picture = sample.image
            truth = sample.classes
            masks = sample.masks
        }
    }
}

extension LoadedImage {
    /// The picture as the network's input, without reading its file again.
    func modelInput(for network: Network) throws -> ModelInput {
        try ModelInput(images: [(name, picture)], network: network)
    }
}
