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
    ///
    /// Nothing is half-written: the dataset is built in a hidden folder beside `directory`
    /// (`.NAME.partial-XXXXXX`, the same file system) and renamed into place only when every image,
    /// mask and the manifest are written. A failure (a full disk) or `shouldStop` returning true
    /// (Ctrl-C, SIGTERM; asked before each image) removes that folder and throws, leaving
    /// `directory` as it was.
    @discardableResult
    public static func write(_ spec: DatasetSpec, to directory: String,
                             shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> DatasetManifest {
        let action = "write a dataset to"
        func refuse(_ problem: String) -> DatasetError { DatasetError(action: action, path: directory, problem: problem) }
        guard (1...DatasetSpec.largestCount).contains(spec.count) else {
            throw refuse("the image count must be from 1 to \(DatasetSpec.largestCount.formatted()), not \(spec.count)")
        }
        guard (16...DatasetSpec.largestSize).contains(spec.size) else {
            throw refuse("the image size must be from 16 to \(DatasetSpec.largestSize) pixels, not \(spec.size)")
        }
        guard spec.testFraction >= 0, spec.testFraction <= 1 else {
            throw refuse("the test fraction must lie between 0 and 1")
        }
        guard (1...16).contains(spec.supersampling), spec.size * spec.supersampling <= 4 * DatasetSpec.largestSize else {
            throw refuse("supersampling must be 1…16, and the supersampled side at most \(4 * DatasetSpec.largestSize) pixels")
        }
        let fileManager = FileManager.default
        let target = URL(fileURLWithPath: directory).standardizedFileURL
        var isFolder: ObjCBool = false
        if fileManager.fileExists(atPath: target.path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw refuse("a file of that name exists") }
            // Refusing a non-empty folder keeps stale images of an earlier, larger dataset from
            // mixing into this one (and never deletes anything of the user's).
            let contents = (try? fileManager.contentsOfDirectory(atPath: target.path)) ?? []
            guard contents.isEmpty else { throw refuse("the folder is not empty; choose a new folder or delete it first") }
        }
        let parent = target.deletingLastPathComponent()
        do {
            try fileManager.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw refuse("its parent folder could not be created (\(error.localizedDescription))")
        }
        var template = Array("\(parent.path)/.\(target.lastPathComponent).partial-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw refuse("a folder beside it could not be created (\(String(cString: strerror(errno))))")
        }
        let staging = String(cString: template)
        do {
            let manifest = try writeFiles(spec, to: staging, shouldStop: shouldStop, refuse: refuse)
            // mkdtemp makes the folder private; a dataset is an ordinary folder.
            let mask = umask(0)
            umask(mask)
            chmod(staging, 0o777 & ~mask)
            // rename(2) replaces an empty folder of the target's name, atomically.
            guard rename(staging, target.path) == 0 else {
                throw refuse("the finished dataset could not be moved into place (\(String(cString: strerror(errno))))")
            }
            return manifest
        } catch {
            try? fileManager.removeItem(atPath: staging)
            throw error
        }
    }

    /// The images, masks and manifest of `spec`, written into the new folder `directory`.
    private static func writeFiles(_ spec: DatasetSpec, to directory: String, shouldStop: @escaping @Sendable () -> Bool,
                                   refuse: (String) -> DatasetError) throws -> DatasetManifest {
        let fileManager = FileManager.default
        let digits = max(5, String(spec.count - 1).count)
        var entries: [DatasetManifest.Image] = []
        entries.reserveCapacity(spec.count)
        var folders = Set<String>()
        for index in 0..<spec.count {
            let split = spec.split(ofIndex: index)
            let folder = folderName(kind: spec.kind, index: index)
            let classes = classes(kind: spec.kind, index: index)
            let stem = String(repeating: "0", count: max(0, digits - String(index).count)) + String(index)
            folders.insert("\(split.rawValue)/\(folder)")
            folders.insert("masks/\(split.rawValue)/\(folder)")
            // The classes present and their masks are filled in once the image is drawn (a scene's
            // other objects are chosen by its random stream).
            entries.append(DatasetManifest.Image(
                index: index, split: split, path: "\(split.rawValue)/\(folder)/\(stem).png",
                label: spec.kind == .pairs ? nil : classes[0], classes: classes, objects: [], masks: [:]))
        }
        do {
            for folder in folders.sorted() {
                try fileManager.createDirectory(atPath: "\(directory)/\(folder)", withIntermediateDirectories: true)
            }
        } catch {
            throw refuse("its folders could not be created (\(error.localizedDescription))")
        }

        /// The mask of `shapeClass` beside image `entry`: masks/<split>/<folder>/<stem>_<class>.png.
        func maskPath(_ entry: DatasetManifest.Image, _ shapeClass: ShapeClass) -> String {
            "masks/" + entry.path.dropLast(".png".count) + "_\(shapeClass.rawValue).png"
        }
        let results = ResultSlots<Result<(objects: [DatasetObject], classes: [ShapeClass]), Error>>(count: spec.count)
        let failed = Flag()
        let template = entries
        DispatchQueue.concurrentPerform(iterations: spec.count) { index in
            // After one failure or a stop request, the remaining images are not drawn.
            guard !failed.isSet, !shouldStop() else { return }
            let sample = sample(kind: spec.kind, index: index, size: spec.size, seed: spec.seed,
                                supersampling: spec.supersampling)
            let entry = template[index]
            results[index] = Result {
                try PNGFile.write(sample.image, to: "\(directory)/\(entry.path)")
                for (shapeClass, mask) in sample.masks {
                    try PNGFile.write(mask, to: "\(directory)/\(maskPath(entry, shapeClass))")
                }
                return (sample.objects, sample.classes)
            }
            if case .failure = results[index] { failed.set() }
        }
        for index in 0..<spec.count {
            if case .failure(let error)? = results[index] {
                // The file named would be in the hidden staging folder, which is removed: say why.
                throw refuse(((error as? ImagingError)?.problem ?? "\(error)") + "; nothing was written")
            }
        }
        for index in 0..<spec.count {
            guard let drawn = try results[index]?.get() else {
                throw refuse("it was interrupted; nothing was written")
            }
            entries[index].objects = drawn.objects
            entries[index].classes = drawn.classes
            entries[index].masks = Dictionary(uniqueKeysWithValues: drawn.classes.map { ($0.rawValue, maskPath(entries[index], $0)) })
        }

        let manifest = DatasetManifest(
            name: spec.kind, seed: spec.seed, size: spec.size, supersampling: spec.supersampling,
            testFraction: spec.testFraction, classes: ShapeClass.names,
            counts: .init(total: spec.count, train: spec.trainCount, test: spec.testCount), images: entries)
        let manifestPath = "\(directory)/manifest.json"
        do {
            try manifest.encoded().write(to: URL(fileURLWithPath: manifestPath), options: .atomic)
        } catch {
            throw refuse("its manifest could not be written (\(error.localizedDescription))")
        }
        return manifest
    }
}

/// A flag any thread may set once and all threads read.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
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
