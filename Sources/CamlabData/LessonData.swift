import Foundation

/// The datasets the lessons use, generated on first use so a fresh clone needs no network.
public enum LessonData {
    /// The recipe of each lesson dataset: `camlab data make NAME` with no options makes the same.
    public static func defaultSpec(for kind: DatasetKind) -> DatasetSpec {
        switch kind {
        case .shapes: return DatasetSpec(kind: .shapes, count: 5000, size: 32, seed: 1)
        case .multi: return DatasetSpec(kind: .multi, count: 1000, size: 32, seed: 1)
        case .pairs: return DatasetSpec(kind: .pairs, count: 600, size: 32, seed: 1)
        case .scenes: return DatasetSpec(kind: .scenes, count: 5000, size: 96, seed: 1)
        }
    }

    /// The folder of dataset `name` under `root` (default `Datasets`), generating it with
    /// `defaultSpec(for:)` when it has no `manifest.json` yet (about a second for 5000 images).
    ///
    /// - Throws: `DatasetError` for an unknown name, or when the folder exists with other
    ///   contents and so cannot be generated into.
    @discardableResult
    public static func ensureDataset(named name: String, in root: String = "Datasets") throws -> String {
        guard let kind = DatasetKind(rawValue: name) else {
            throw DatasetError(action: "find the dataset", path: name, problem:
                "there is no such dataset; the lessons have \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let directory = "\(root)/\(name)"
        if FileManager.default.fileExists(atPath: "\(directory)/manifest.json") { return directory }
        try DatasetGenerator.write(defaultSpec(for: kind), to: directory)
        return directory
    }
}
