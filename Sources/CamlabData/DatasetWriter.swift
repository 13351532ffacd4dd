import CamlabImaging
import Dispatch
import Foundation

extension DatasetGenerator {
    /// Generates the dataset `spec` describes into `directory` (which must be new or empty) and
    /// returns its manifest, also saved as `directory/manifest.json`.
    ///
    /// Layout (ImageFolder convention, so a loader reading `train/<class>/*.png` sees only images):
    /// ```
    /// OUT/manifest.json
    /// OUT/train/<folder>/NNNNN.png          OUT/test/<folder>/NNNNN.png
    /// OUT/masks/train/<folder>/NNNNN_<class>.png   (one gray mask per class present)
    /// OUT/masks/test/<folder>/NNNNN_<class>.png
    /// ```
    /// `<folder>` is the class name for `shapes` and `multi`. For `pairs` it is
    /// `<classA>+<classB>` in model order (e.g. `circle+square`): an image has two labels, and
    /// this keeps one folder per pair for browsing while the manifest carries both classes and
    /// their boxes. NNNNN is the image index, zero-padded to 5 digits (more for huge datasets).
    ///
    /// Images are drawn and written on all cores (`DispatchQueue.concurrentPerform`); because each
    /// image is a pure function of its index, the files are the same bytes whatever the scheduling.
    @discardableResult
    public static func write(_ spec: DatasetSpec, to directory: String) throws -> DatasetManifest {
        let action = "write a dataset to"
        guard spec.count > 0 else { throw DatasetError(action: action, path: directory, problem: "the image count must be positive") }
        guard spec.size >= 16 else { throw DatasetError(action: action, path: directory, problem: "the image size must be at least 16 pixels") }
        guard spec.testFraction >= 0, spec.testFraction <= 1 else {
            throw DatasetError(action: action, path: directory, problem: "the test fraction must lie between 0 and 1")
        }
        guard (1...16).contains(spec.supersampling) else {
            throw DatasetError(action: action, path: directory, problem: "supersampling must be 1…16")
        }
        let fileManager = FileManager.default
        var isFolder: ObjCBool = false
        if fileManager.fileExists(atPath: directory, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw DatasetError(action: action, path: directory, problem: "a file of that name exists")
            }
            // Refusing a non-empty folder keeps stale images of an earlier, larger dataset from
            // mixing into this one (and never deletes anything of the user's).
            let contents = (try? fileManager.contentsOfDirectory(atPath: directory)) ?? []
            guard contents.isEmpty else {
                throw DatasetError(action: action, path: directory, problem: "the folder is not empty; choose a new folder or delete it first")
            }
        }

        let digits = max(5, String(spec.count - 1).count)
        var entries: [DatasetManifest.Image] = []
        var folders = Set<String>()
        for index in 0..<spec.count {
            let split = spec.split(ofIndex: index)
            let folder = folderName(kind: spec.kind, index: index)
            let classes = classes(kind: spec.kind, index: index)
            let stem = String(repeating: "0", count: max(0, digits - String(index).count)) + String(index)
            folders.insert("\(split.rawValue)/\(folder)")
            folders.insert("masks/\(split.rawValue)/\(folder)")
            entries.append(DatasetManifest.Image(
                index: index, split: split, path: "\(split.rawValue)/\(folder)/\(stem).png",
                label: spec.kind == .pairs ? nil : classes[0], classes: classes, objects: [],
                masks: Dictionary(uniqueKeysWithValues: classes.map {
                    ($0.rawValue, "masks/\(split.rawValue)/\(folder)/\(stem)_\($0.rawValue).png")
                })))
        }
        do {
            for folder in folders.sorted() {
                try fileManager.createDirectory(atPath: "\(directory)/\(folder)", withIntermediateDirectories: true)
            }
        } catch {
            throw DatasetError(action: action, path: directory, problem: "its folders could not be created (\(error.localizedDescription))")
        }

        let results = ResultSlots<Result<[DatasetObject], Error>>(count: spec.count)
        let template = entries
        DispatchQueue.concurrentPerform(iterations: spec.count) { index in
            let sample = sample(kind: spec.kind, index: index, size: spec.size, seed: spec.seed,
                                supersampling: spec.supersampling)
            let entry = template[index]
            results[index] = Result {
                try PNGFile.write(sample.image, to: "\(directory)/\(entry.path)")
                for (shapeClass, mask) in sample.masks {
                    try PNGFile.write(mask, to: "\(directory)/\(entry.masks[shapeClass.rawValue]!)")
                }
                return sample.objects
            }
        }
        for index in 0..<spec.count {
            entries[index].objects = try results[index]!.get()
        }

        let manifest = DatasetManifest(
            name: spec.kind, seed: spec.seed, size: spec.size, supersampling: spec.supersampling,
            testFraction: spec.testFraction, classes: ShapeClass.names,
            counts: .init(total: spec.count, train: spec.trainCount, test: spec.testCount), images: entries)
        let manifestPath = "\(directory)/manifest.json"
        do {
            try manifest.encoded().write(to: URL(fileURLWithPath: manifestPath), options: .atomic)
        } catch {
            throw DatasetError(action: "write the manifest", path: manifestPath, problem: error.localizedDescription)
        }
        return manifest
    }
}

/// Fixed slots that concurrent iterations fill, each its own index, so no lock is needed.
private final class ResultSlots<Value>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil)
    }

    deinit {
        storage.baseAddress!.deinitialize(count: storage.count)
        storage.deallocate()
    }

    subscript(index: Int) -> Value? {
        get { storage[index] }
        set { storage[index] = newValue }
    }
}
