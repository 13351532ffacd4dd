import CamlabImaging
import Foundation

/// A labelled image collection in the ImageFolder convention: `DIR/<class>/<file>`, one folder
/// per class, the folder name being the label.
///
/// Without `classes`, the class folders are all sub-folders sorted by name (torchvision's rule),
/// which for the camlab shapes gives circle, cross, square, triangle: NOT the models' order. Pass
/// `ShapeClass.names` to label images with the models' output indices.
public struct ImageFolder: Sendable {
    public let directory: String
    /// Class names; a sample's `classIndex` indexes this array.
    public let classes: [String]
    /// Every image file, sorted by class index, then by file name (byte order, locale-independent).
    public let samples: [(path: String, classIndex: Int)]

    /// Lists `directory/<class>/*` files whose extension is an image format (png, jpg, jpeg, gif,
    /// bmp, webp, tif, tiff; any case). Hidden files are skipped. Throws when the folder is
    /// missing, a named class has no folder, or there are no images at all; an empty class
    /// folder is allowed.
    public init(directory: String, classes: [String]? = nil) throws {
        let action = "open the image folder"
        let fileManager = FileManager.default
        var isFolder: ObjCBool = false
        guard fileManager.fileExists(atPath: directory, isDirectory: &isFolder) else {
            throw DatasetError(action: action, path: directory, problem: "no such folder")
        }
        guard isFolder.boolValue else {
            throw DatasetError(action: action, path: directory, problem: "it is a file, not a folder")
        }
        func entries(of folder: String) throws -> [String] {
            do {
                return try fileManager.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }
            } catch {
                throw DatasetError(action: action, path: folder, problem: "it cannot be listed (\(error.localizedDescription))")
            }
        }
        func isSubfolder(_ name: String) -> Bool {
            var isFolder: ObjCBool = false
            return fileManager.fileExists(atPath: "\(directory)/\(name)", isDirectory: &isFolder) && isFolder.boolValue
        }
        let classNames: [String]
        if let classes {
            for name in classes where !isSubfolder(name) {
                throw DatasetError(action: action, path: directory, problem: "it has no folder for class '\(name)'")
            }
            classNames = classes
        } else {
            classNames = try entries(of: directory).filter(isSubfolder).sorted(by: Self.byteOrder)
            guard !classNames.isEmpty else {
                throw DatasetError(action: action, path: directory,
                                   problem: "it contains no class folders (expected DIR/<class>/<image>)")
            }
        }
        var samples: [(path: String, classIndex: Int)] = []
        for (classIndex, name) in classNames.enumerated() {
            let files = try entries(of: "\(directory)/\(name)").filter { file in
                guard let dot = file.lastIndex(of: ".") else { return false }
                return ImageFile.imageExtensions.contains(file[file.index(after: dot)...].lowercased())
            }
            for file in files.sorted(by: Self.byteOrder) {
                samples.append((path: "\(directory)/\(name)/\(file)", classIndex: classIndex))
            }
        }
        guard !samples.isEmpty else {
            throw DatasetError(action: action, path: directory,
                               problem: "its class folders contain no image files (png, jpg, jpeg, gif, bmp, webp, tif, tiff)")
        }
        self.directory = directory
        self.classes = classNames
        self.samples = samples
    }

    /// The number of images.
    public var count: Int { samples.count }

    /// Reads sample `index` as RGB (any supported format).
    public func image(at index: Int) throws -> RGBImage {
        try ImageFile.readRGB(at: samples[index].path)
    }

    /// Compares UTF-8 bytes, so the order does not depend on the locale or the platform.
    private static func byteOrder(_ left: String, _ right: String) -> Bool {
        left.utf8.lexicographicallyPrecedes(right.utf8)
    }
}
