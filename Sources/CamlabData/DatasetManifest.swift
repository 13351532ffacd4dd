import CamlabFiles
import Foundation

/// `manifest.json`: what a generated dataset contains and where its files are.
///
/// ```json
/// { "name": "shapes", "seed": 7, "size": 32, "supersampling": 1, "testFraction": 0.2,
///   "classes": ["circle", "square", "triangle", "cross"],
///   "counts": { "total": 100, "train": 80, "test": 20 },
///   "images": [ { "index": 0, "split": "train", "path": "train/circle/00000.png",
///                 "label": "circle", "classes": ["circle"],
///                 "objects": [ { "class": "circle", "bbox": [x, y, width, height] } ],
///                 "masks": { "circle": "masks/train/circle/00000_circle.png" } } ] }
/// ```
/// Paths are relative to the dataset folder. `label` is present for `shapes` and `multi` only;
/// `classes` lists the classes present (two for `pairs`), in model order.
public struct DatasetManifest: Codable, Equatable, Sendable {
    public var name: DatasetKind
    public var seed: UInt64
    public var size: Int
    public var supersampling: Int
    public var testFraction: Double
    /// Class names in model order (index = output index).
    public var classes: [String]
    public var counts: Counts
    public var images: [Image]

    public struct Counts: Codable, Equatable, Sendable {
        public var total: Int
        public var train: Int
        public var test: Int

        public init(total: Int, train: Int, test: Int) {
            self.total = total
            self.train = train
            self.test = test
        }
    }

    public struct Image: Codable, Equatable, Sendable {
        public var index: Int
        public var split: DatasetSplit
        public var path: String
        public var label: ShapeClass?
        public var classes: [ShapeClass]
        public var objects: [DatasetObject]
        /// Mask path per class name.
        public var masks: [String: String]

        public init(index: Int, split: DatasetSplit, path: String, label: ShapeClass?, classes: [ShapeClass],
                    objects: [DatasetObject], masks: [String: String]) {
            self.index = index
            self.split = split
            self.path = path
            self.label = label
            self.classes = classes
            self.objects = objects
            self.masks = masks
        }
    }

    /// Reads a `manifest.json`.
    public static func read(at path: String) throws -> DatasetManifest {
        let bytes: [UInt8]
        do {
            bytes = try RegularFile.bytes(at: path, limit: RegularFile.textBytes)
        } catch {
            throw DatasetError(action: "read the manifest", path: path, problem: "\(error)")
        }
        return try decode(Data(bytes), path: path)
    }

    /// Decodes and checks the bytes of the manifest read from `path` (named in errors).
    public static func decode(_ data: Data, path: String) throws -> DatasetManifest {
        let manifest: DatasetManifest
        do {
            manifest = try JSONDecoder().decode(DatasetManifest.self, from: data)
        } catch {
            throw DatasetError(action: "read the manifest", path: path, problem: "it is not a camlab dataset manifest (\(error))")
        }
        if let problem = manifest.problem {
            throw DatasetError(action: "read the manifest", path: path, problem: problem)
        }
        return manifest
    }

    /// What makes the manifest unusable, checked when it is read so that scoring never indexes
    /// outside an image: a size out of range, or an object box that leaves the image.
    var problem: String? {
        guard (1...DatasetSpec.largestSize).contains(size) else {
            return "its size \(size) is not from 1 to \(DatasetSpec.largestSize) pixels"
        }
        for image in images {
            for object in image.objects {
                let box = object.boundingBox
                guard box.width > 0, box.height > 0, box.x >= 0, box.y >= 0,
                      box.x <= size - box.width, box.y <= size - box.height else {
                    return "the box [\(box.x), \(box.y), \(box.width), \(box.height)] of \(object.shapeClass.rawValue) in '\(image.path)' "
                        + "leaves the \(size)×\(size) image"
                }
            }
        }
        return nil
    }

    /// The manifest as stable, human-readable JSON (sorted keys, so equal manifests are equal bytes).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
