import CamlabData
import CamlabImaging
import Foundation
import Testing

func allFiles(under folder: String) -> [String] {
    let enumerator = FileManager.default.enumerator(atPath: folder)!
    return (enumerator.allObjects as! [String]).filter { path in
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: "\(folder)/\(path)", isDirectory: &isFolder) && !isFolder.boolValue
    }.sorted()
}

@Test func writingTwiceGivesIdenticalFiles() throws {
    let folder = try TemporaryFolder()
    let spec = DatasetSpec(kind: .pairs, count: 30, seed: 8)
    try DatasetGenerator.write(spec, to: folder.file("a"))
    try DatasetGenerator.write(spec, to: folder.file("b"))
    let files = allFiles(under: folder.file("a"))
    #expect(files == allFiles(under: folder.file("b")))
    #expect(files.count == 30 + 60 + 1)
    for file in files {
        #expect(FileManager.default.contentsEqual(atPath: folder.file("a/\(file)"), andPath: folder.file("b/\(file)")), "\(file)")
    }
    #expect(!files.contains { $0.split(separator: "/").last!.hasPrefix(".") })
}

@Test(arguments: [DatasetKind.shapes, .multi])
func layoutManifestAndCountsPerSplit(kind: DatasetKind) throws {
    let folder = try TemporaryFolder()
    let directory = folder.file("data")
    let spec = DatasetSpec(kind: kind, count: 50, size: 32, seed: 2, testFraction: 0.2)
    let manifest = try DatasetGenerator.write(spec, to: directory)
    #expect(manifest.counts == .init(total: 50, train: 40, test: 10))
    #expect(try DatasetManifest.read(at: "\(directory)/manifest.json") == manifest)
    #expect(manifest.classes == ["circle", "square", "triangle", "cross"])
    #expect(manifest.name == kind && manifest.seed == 2 && manifest.size == 32)
    #expect(manifest.images.filter { $0.split == .train }.count == 40)
    for image in manifest.images {
        let label = try #require(image.label)
        #expect(image.path == "\(image.split.rawValue)/\(label.rawValue)/\(String(format: "%05d", image.index)).png")
        #expect(image.masks == [label.rawValue: "masks/\(image.split.rawValue)/\(label.rawValue)/\(String(format: "%05d", image.index))_\(label.rawValue).png"])
        let written = try PNGFile.readRGB(at: "\(directory)/\(image.path)")
        let sample = DatasetGenerator.sample(kind: kind, index: image.index, seed: 2)
        #expect(written == sample.image)
        #expect(image.objects == sample.objects)
        #expect(try PNGFile.readGray(at: "\(directory)/\(image.masks[label.rawValue]!)") == sample.masks[label])
    }
    // The training tree holds images only; masks live in their own tree.
    let trainFiles = allFiles(under: "\(directory)/train")
    #expect(trainFiles.count == 40)
    #expect(trainFiles.allSatisfy { !$0.contains("mask") && !$0.contains("_") })
    #expect(allFiles(under: "\(directory)/test").count == 10)
    #expect(allFiles(under: "\(directory)/masks").count == 50)
}

@Test func pairsManifestListsBothClassesAndNoLabel() throws {
    let folder = try TemporaryFolder()
    let manifest = try DatasetGenerator.write(DatasetSpec(kind: .pairs, count: 12, seed: 1), to: folder.file("pairs"))
    for image in manifest.images {
        #expect(image.label == nil)
        #expect(image.classes.count == 2 && image.classes[0] < image.classes[1])
        #expect(image.path.hasPrefix("\(image.split.rawValue)/\(image.classes[0].rawValue)+\(image.classes[1].rawValue)/"))
        #expect(Set(image.masks.keys) == Set(image.classes.map(\.rawValue)))
        #expect(Set(image.objects.map(\.shapeClass)) == Set(image.classes))
    }
    let json = try String(contentsOfFile: folder.file("pairs/manifest.json"), encoding: .utf8)
    #expect(json.contains("\"name\" : \"pairs\"") && !json.contains("\"label\""))
}

@Test func refusesANonEmptyFolder() throws {
    let folder = try TemporaryFolder()
    try "keep me".write(toFile: folder.file("notes.txt"), atomically: true, encoding: .utf8)
    let error = #expect(throws: DatasetError.self) {
        try DatasetGenerator.write(DatasetSpec(kind: .shapes, count: 4), to: folder.path)
    }
    #expect(error?.description == "cannot write a dataset to '\(folder.path)': the folder is not empty; choose a new folder or delete it first")
    #expect(try folder.contents() == ["notes.txt"])
}

/// A write stopped midway (Ctrl-C, SIGTERM) removes its staging folder and leaves the target
/// empty folder as it was; the next write into it succeeds.
@Test func aStoppedWriteLeavesNothing() throws {
    let folder = try TemporaryFolder()
    let target = folder.file("data")
    try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
    final class Countdown: @unchecked Sendable {
        let lock = NSLock()
        var left = 20
        func tick() -> Bool { lock.withLock { left -= 1; return left < 0 } }
    }
    let countdown = Countdown()
    let error = #expect(throws: DatasetError.self) {
        try DatasetGenerator.write(DatasetSpec(kind: .shapes, count: 200), to: target, shouldStop: countdown.tick)
    }
    #expect(error?.problem == "it was interrupted; nothing was written")
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["data"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)
    try DatasetGenerator.write(DatasetSpec(kind: .shapes, count: 20), to: target)
    #expect(allFiles(under: target).count == 20 + 20 + 1)
}

/// A manifest is read from a regular file only: a FIFO named manifest.json blocked forever (read
/// on a thread, given 10 s), and /dev/null is refused, not an empty manifest.
@Test func aManifestIsReadFromARegularFileOnly() throws {
    let folder = try TemporaryFolder()
    let fifo = folder.file("manifest.json")
    #expect(mkfifo(fifo, 0o600) == 0)
    final class Outcome: @unchecked Sendable { var problem: String? }
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        do { _ = try DatasetManifest.read(at: fifo) } catch { outcome.problem = (error as? DatasetError)?.problem }
        done.signal()
    }
    #expect(done.wait(timeout: .now() + 10) == .success, "reading a FIFO blocked")
    #expect(outcome.problem?.contains("not a regular file") == true, "\(outcome.problem ?? "")")
    let device = #expect(throws: DatasetError.self) { try DatasetManifest.read(at: "/dev/null") }
    #expect(device?.problem.contains("not a regular file") == true)
}
