import Foundation
import CamlabData
import CamlabImaging

/// Where the lab finds its own files (the lessons' model, lessons, datasets) and what it explains
/// when nothing is named: camlab runs from its checkout, so paths are found from the current folder,
/// then from the executable's location (`.build/release/camlab` inside the checkout), or `CAMLAB_HOME`.
public enum LabDefaults {
    /// The checkout's root folder, if found.
    public static let root: URL? = {
        let fileManager = FileManager.default
        func isRoot(_ url: URL) -> Bool { fileManager.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
            && fileManager.fileExists(atPath: url.appendingPathComponent("Sources/CamlabCore").path) }
        if let home = ProcessInfo.processInfo.environment["CAMLAB_HOME"] { return URL(fileURLWithPath: home) }
        var candidates = [URL(fileURLWithPath: fileManager.currentDirectoryPath)]
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
        for start in candidates {
            var url = start.standardizedFileURL
            for _ in 0..<6 {
                if isRoot(url) { return url }
                url = url.deletingLastPathComponent()
            }
        }
        return nil
    }()

    /// The model the lessons use: the shipped trained model, or the reference fixture (trained on the
    /// same kind of images) until one is present.
    public static var modelPath: String? {
        guard let root else { return nil }
        for relative in ["Models/shapes-tiny32.safetensors", "Tests/CamlabMethodsTests/Fixtures/tiny32/model.safetensors"] {
            let path = root.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    /// A dataset image made on the fly (deterministic), named like `shapes 2`.
    public static func datasetImage(_ kind: DatasetKind, index: Int, size: Int = 32) -> (name: String, image: RGBImage) {
        ("\(kind.rawValue) \(index)", DatasetGenerator.sample(kind: kind, index: index, size: size, seed: 0).image)
    }
}
