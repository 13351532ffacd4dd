import Foundation
import Testing

/// The tutorial's steps on the command line: `--resize` and `--preprocess`, the five most probable
/// classes by name, and the side-by-side picture.
struct TutorialCommandTests {
    static let model = ResNetCommandTests.model
    static let image = ResNetCommandTests.image
    static let twelveClasses = ResNetCommandTests.fixtures.appendingPathComponent("twelve-classes.safetensors").path

    func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("camlab-tutorial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func predictListsTheFiveMostProbableClassesByName() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let names = (0..<12).map { "kind number \($0)" }
        let classes = folder.appendingPathComponent("classes.txt").path
        try names.joined(separator: "\n").write(toFile: classes, atomically: true, encoding: .utf8)
        let text = try CommandLine.run(["predict", "--model", Self.twelveClasses, "--classes", classes, "--image", Self.image])
        #expect(text.status == 0, "\(text.stderr)")
        let json = try CommandLine.run(["predict", "--model", Self.twelveClasses, "--classes", classes, "--image", Self.image, "--json"])
        let line = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let probabilities = try #require(line["probabilities"] as? [Double])
        let top = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }.prefix(5)
        let rows = text.stdout.split(separator: "\n").dropFirst().map(String.init)
        #expect(rows.count == 5, "\(text.stdout)")
        for (row, index) in zip(rows, top) {
            #expect(row.hasSuffix("\(index) \(names[index])"), "\(row)")
            #expect(row.contains(String(format: "%.1f %%", 100 * probabilities[index])), "\(row)")
        }
        #expect(text.stdout.hasPrefix("\(Self.image): \(names[top.first!]) ("))
    }

    @Test func resizeBringsTheImageToTheAskedSize() throws {
        let result = try CommandLine.run(["cam", "gradcam", "--model", Self.model, "--image", Self.image, "--resize", "50x40", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let map = try #require(json["map"] as? [[Double]])
        #expect(map.count == 40 && map.first?.count == 50)
        let recipe = try CommandLine.run(["cam", "gradcam", "--model", Self.model, "--image", Self.image, "--preprocess", "tutorial", "--json"])
        let tutorial = try JSONSerialization.jsonObject(with: Data(recipe.stdout.utf8)) as! [String: Any]
        #expect((tutorial["map"] as? [[Double]])?.count == 300)
        // mean = std = 0.5 instead of the model's own statistics changes what the network sees.
        let own = try CommandLine.run(["cam", "gradcam", "--model", Self.model, "--image", Self.image, "--resize", "300x300", "--json"])
        let ownLogits = try #require((try JSONSerialization.jsonObject(with: Data(own.stdout.utf8)) as! [String: Any])["logits"] as? [Double])
        #expect(ownLogits != tutorial["logits"] as? [Double])
    }

    @Test func aBadRecipeOrSizeIsOneSentence() throws {
        let recipe = try CommandLine.run(["cam", "gradcam", "--model", Self.model, "--image", Self.image, "--preprocess", "tutorail"])
        #expect(recipe.status != 0 && recipe.stdout.isEmpty)
        #expect(recipe.stderr.contains("Did you mean 'tutorial'?"), "\(recipe.stderr)")
        let size = try CommandLine.run(["predict", "--model", Self.model, "--image", Self.image, "--resize", "0x30"])
        #expect(size.status != 0 && size.stdout.isEmpty && size.stderr.contains("WIDTHxHEIGHT"), "\(size.stderr)")
    }

    @Test func sideBySideDrawsThePhotoAndItsOverlay() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("side.png").path
        let result = try CommandLine.run(["figure", "side-by-side", "--model", Self.model, "--image", Self.image,
                                          "--preprocess", "tutorial", "--class", "2", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        // Two 300×300 panels side by side: the PNG is wider than both.
        let width = data[16..<20].reduce(0) { $0 << 8 | Int($1) }
        #expect(width > 600, "\(width)")
        let two = try CommandLine.run(["figure", "side-by-side", "--model", Self.model, "--image", Self.image,
                                       "--methods", "gradcam,gradcampp", "--out", out])
        #expect(two.status != 0 && two.stderr.contains("shows one method"))
    }
}
