import Foundation
import Testing

/// `camlab figure` and `camlab figures` as a user runs them.
struct FigureCommandTests {
    static let fixtures = CommandLine.packageRoot.appendingPathComponent("Tests/CamlabFiguresTests/Fixtures")
    static let model = fixtures.appendingPathComponent("model.safetensors").path
    static let image = fixtures.appendingPathComponent("single_triangle.png").path

    func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("camlab-figure-cli-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// One sentence on stderr, nothing on stdout, non-zero exit.
    func expectCleanFailure(_ arguments: [String], mentioning phrase: String) throws {
        let result = try CommandLine.run(arguments)
        #expect(result.status != 0, "\(arguments) succeeded")
        #expect(result.stdout.isEmpty, "stdout: \(result.stdout)")
        let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!message.contains("\n"), "more than one line: \(message)")
        #expect(message.hasSuffix("."))
        #expect(message.contains(phrase), "\(message) does not mention \(phrase)")
    }

    @Test func drawsAnOverlay() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("overlay.png").path
        let result = try CommandLine.run(["figure", "overlay", "--model", Self.model, "--image", Self.image,
                                          "--methods", "gradcampp", "--colormap", "viridis", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(out))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    }

    @Test func comparesSeveralImagesAfterOneOption() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("compare.png").path
        let circle = CommandLine.packageRoot.appendingPathComponent("Tests/CamlabMethodsTests/Fixtures/tiny32/single_circle.png").path
        let result = try CommandLine.run(["figure", "compare", "--model", Self.model, "--image", Self.image, circle,
                                          "--methods", "gradcam,layercam", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: out))
    }

    @Test func malformedRequestsFailWithOneSentence() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("never-\(UUID().uuidString).png").path
        try expectCleanFailure(["figure", "heatmap", "--image", Self.image, "--out", out], mentioning: "Unknown figure kind 'heatmap'")
        try expectCleanFailure(["figure", "overlay", "--model", Self.model, "--out", out], mentioning: "--image")
        try expectCleanFailure(["figure", "overlay", "--model", Self.model, "--image", "/nonexistent/x.png", "--out", out],
                               mentioning: "/nonexistent/x.png")
        try expectCleanFailure(["figure", "overlay", "--model", Self.model, "--image", Self.image], mentioning: "--out")
        try expectCleanFailure(["figure", "overlay", "--model", Self.model, "--image", Self.image, "--out", "x.jpg"], mentioning: ".png")
        try expectCleanFailure(["figure", "compare", "--model", Self.model, "--image", Self.image, "--methods", "gradcam,magic",
                                "--out", out], mentioning: "Unknown method 'magic'")
        try expectCleanFailure(["figure", "overlay", "--model", Self.model, "--image", Self.image, "--class", "dog", "--out", out],
                               mentioning: "no class 'dog'")
        try expectCleanFailure(["figure", "curves", "--out", out], mentioning: "--log")
        // An empty image file would give a zero-size map: refused before any drawing.
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString).png").path
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: empty) }
        try expectCleanFailure(["figure", "overlay", "--model", Self.model, "--image", empty, "--out", out], mentioning: "empty")
        try expectCleanFailure(["figure", "gallery", "--model", Self.model, "--image", Self.image, "--layer", "classifier", "--out", out],
                               mentioning: "classifier")
        try expectCleanFailure(["figure", "overlay", "--model", "/nonexistent/model.safetensors", "--image", Self.image, "--out", out],
                               mentioning: "model")
        #expect(!FileManager.default.fileExists(atPath: out))
        try expectCleanFailure(["figures", "--model", "/nonexistent/model.safetensors", "--out", NSTemporaryDirectory()],
                               mentioning: "model")
    }

    /// A training log that cannot be read fails `figures` before any figure is written.
    @Test func figuresReadTheTrainingLogFirst() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("log.jsonl")
        try Data(#"{"epoch": 1, "loss": 0.5, "test_accuracy": 2}"#.utf8).write(to: log)
        for path in [folder.appendingPathComponent("missing.jsonl").path, log.path] {
            let out = folder.appendingPathComponent("figures").path
            let result = try CommandLine.run(["figures", "--model", Self.model, "--out", out, "--training-log", path])
            #expect(result.status != 0)
            #expect(result.stderr.contains(path), "\(result.stderr)")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: out))?.isEmpty ?? true, "figures were written")
        }
    }

    /// Negative or flat losses draw a curve instead of trapping.
    @Test func curvesOfNegativeOrFlatLosses() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for losses in [[-1.0, -2.0], [0.0, 0.0, 0.0]] {
            let log = folder.appendingPathComponent("log.jsonl")
            try Data(losses.enumerated().map { #"{"epoch": \#($0.offset + 1), "loss": \#($0.element)}"# }
                .joined(separator: "\n").utf8).write(to: log)
            let out = folder.appendingPathComponent("curves.png").path
            let result = try CommandLine.run(["figure", "curves", "--log", log.path, "--out", out])
            #expect(result.status == 0, "\(losses): \(result.stderr)")
            #expect(FileManager.default.fileExists(atPath: out))
        }
    }

    @Test func helpListsTheKinds() throws {
        let help = try CommandLine.run(["figure", "--help"])
        #expect(help.status == 0)
        for kind in ["overlay", "compare", "gallery", "bars", "curves", "guided", "counterfactual"] {
            #expect(help.stdout.contains(kind))
        }
    }

    @Test func figuresAreByteIdenticalTwice() throws {
        let (one, two) = (try temporaryFolder(), try temporaryFolder())
        defer {
            try? FileManager.default.removeItem(at: one)
            try? FileManager.default.removeItem(at: two)
        }
        for folder in [one, two] {
            let result = try CommandLine.run(["figures", "--model", Self.model, "--out", folder.path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("skipped curves.png"))
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: one.path).sorted()
        #expect(names.count >= 20)
        for name in names {
            #expect(try Data(contentsOf: one.appendingPathComponent(name)) == Data(contentsOf: two.appendingPathComponent(name)), "\(name)")
        }
    }
}
