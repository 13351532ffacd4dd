import Foundation
import Testing

/// Bad or hostile input as a careless or malicious user gives it (issue #14): one sentence on
/// stderr, a non-zero exit, nothing half-written, never a crash or a hang.
struct HostileInputTests {
    static let fixtures = CommandLine.packageRoot.appendingPathComponent("Tests/CamlabFiguresTests/Fixtures")
    static let model = fixtures.appendingPathComponent("model.safetensors").path
    static let image = fixtures.appendingPathComponent("single_triangle.png").path

    func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("camlab-hostile-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// One sentence on stderr, nothing on stdout, exit 1 (not a signal).
    @discardableResult
    func expectOneSentence(_ arguments: [String], mentioning phrase: String, environment: [String: String] = [:],
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try CommandLine.run(arguments, environment: environment)
        #expect(result.status == 1, "\(arguments): exit \(result.status), \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "stdout: \(result.stdout.prefix(300))", sourceLocation: sourceLocation)
        let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!message.contains("\n"), "more than one line: \(message.prefix(600))", sourceLocation: sourceLocation)
        #expect(message.contains(phrase), "\(message.prefix(600)) does not mention \(phrase)", sourceLocation: sourceLocation)
        return message
    }

    /// A dataset of `count` shapes images in a new folder.
    func makeDataset(in folder: URL, count: Int = 10) throws -> URL {
        let data = folder.appendingPathComponent("data")
        let made = try CommandLine.run(["data", "make", "shapes", "--count", "\(count)", "--out", data.path])
        #expect(made.status == 0, "\(made.stderr)")
        return data
    }

    /// A manifest box that leaves the image is refused when the manifest is read (it trapped in
    /// Localization).
    @Test func metricsRefuseABoxOutsideTheImage() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try makeDataset(in: folder)
        let manifest = data.appendingPathComponent("manifest.json")
        var text = try String(contentsOf: manifest, encoding: .utf8)
        // The last image is a test image; give its object a box that starts before the image and ends after it.
        let range = try #require(text.range(of: #""bbox" : \[[^\]]*\]"#, options: [.regularExpression, .backwards]))
        text.replaceSubrange(range, with: #""bbox" : [-5, -5, 40, 40]"#)
        try Data(text.utf8).write(to: manifest)
        try expectOneSentence(["metrics", "--model", Self.model, "--data", data.path, "--methods", "gradcam"],
                              mentioning: "[-5, -5, 40, 40]")
    }

    /// A damaged TIFF gives camlab's sentence only: libtiff printed its own lines before it.
    @Test func aDamagedTIFFIsOneSentence() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tiff = folder.appendingPathComponent("cut.tif")
        // A little-endian TIFF header whose first directory, at offset 8, is missing.
        try Data([0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00]).write(to: tiff)
        try expectOneSentence(["predict", "--model", Self.model, "--image", tiff.path], mentioning: "TIFF data is damaged")
    }

    /// Sizes and counts are bounded before anything is allocated or written (they aborted, or
    /// allocated gigabytes first).
    @Test func dataMakeBoundsSizesAndCounts() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("data").path
        try expectOneSentence(["data", "make", "shapes", "--size", "100000", "--out", out], mentioning: "from 16 to 1024 pixels")
        try expectOneSentence(["data", "make", "shapes", "--count", "99999999999", "--out", out], mentioning: "from 1 to 1,000,000")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    /// SIGTERM (as Ctrl-C) in the middle of `data make` leaves no folder and no hidden staging
    /// folder behind (it left thousands of files and no manifest).
    @Test func dataMakeStoppedLeavesNothing() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("data")
        let process = Process()
        process.executableURL = CommandLine.executable
        process.arguments = ["data", "make", "shapes", "--count", "300000", "--out", out.path]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until images are being written, then stop it.
        let deadline = Date().addingTimeInterval(30)
        func imagesWritten() -> Bool {
            guard let names = FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] else { return false }
            return names.contains { $0.hasSuffix(".png") }
        }
        while !imagesWritten(), process.isRunning, Date() < deadline { usleep(20_000) }
        process.terminate()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(process.terminationStatus) \(message)")
        #expect(message.contains("interrupted; nothing was written"), "\(message)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    /// The fixture model with every weight set to 3e38: finite, but its forward pass overflows.
    func overflowingModel(in folder: URL) throws -> String { try modelWithEveryWeight(3e38, in: folder) }

    /// A model whose output is not finite is refused wherever predictions or reports are made
    /// (`predict` printed `-nan %`, JSON `null`, `eval` 25 %, `check eq1` `-nan`).
    @Test func aModelWithNonFiniteOutputIsRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try overflowingModel(in: folder)
        let data = try makeDataset(in: folder, count: 40)
        for arguments in [["predict", "--model", model, "--image", Self.image],
                          ["predict", "--model", model, "--image", Self.image, "--json"],
                          ["eval", "--model", model, "--data", data.appendingPathComponent("test").path],
                          ["eval", "--model", model, "--data", data.appendingPathComponent("test").path, "--json"],
                          ["check", "eq1", "--model", model]] {
            try expectOneSentence(arguments, mentioning: "not finite")
        }
    }
}
