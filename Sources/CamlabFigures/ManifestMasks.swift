import CamlabData
import CamlabImaging
import Foundation

/// Finds the ground-truth masks of an image that belongs to a dataset written by
/// `camlab data make`: the nearest `manifest.json` in the image's folder or above it lists the
/// image's path and its masks.
enum ManifestMasks {
    static func masks(forImageAt path: String) -> [String: GrayImage] {
        let image = URL(fileURLWithPath: path).standardizedFileURL
        var folder = image.deletingLastPathComponent()
        for _ in 0..<4 {
            let manifestPath = folder.appendingPathComponent("manifest.json").path
            if FileManager.default.fileExists(atPath: manifestPath) {
                guard let manifest = try? DatasetManifest.read(at: manifestPath) else { return [:] }
                let relative = String(image.path.dropFirst(folder.path.count + 1))
                guard let entry = manifest.images.first(where: { $0.path == relative }) else { return [:] }
                var masks: [String: GrayImage] = [:]
                for (name, maskPath) in entry.masks {
                    masks[name] = try? PNGFile.readGray(at: folder.appendingPathComponent(maskPath).path)
                }
                return masks
            }
            folder = folder.deletingLastPathComponent()
        }
        return [:]
    }
}
