import Foundation
import Testing

@Suite(.serialized) struct PredictCommandTests {
    let fixtures = TrainingFixtures.shared

    private func testImage(_ className: String, folder: String? = nil) throws -> String {
        let directory = (folder ?? fixtures.shapes32) + "/test/" + className
        return directory + "/" + (try FileManager.default.contentsOfDirectory(atPath: directory).sorted()[0])
    }

    @Test func printsOneJSONLinePerImage() throws {
        let model = try fixtures.trainedTinyModel()
        let images = [try testImage("circle"), try testImage("cross")]
        let result = try CommandLine.run(["predict", "--model", model, "--image", images[0], "--image", images[1], "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try TrainingFixtures.jsonLines(result.stdout)
        #expect(lines.count == 2)
        let names = ["circle", "square", "triangle", "cross"]
        for (line, image) in zip(lines, images) {
            #expect(line["image"] as? String == image)
            let logits = try #require(line["logits"] as? [Double])
            let probabilities = try #require(line["probabilities"] as? [Double])
            let index = try #require(line["class"] as? Int)
            #expect(logits.count == 4 && probabilities.count == 4)
            #expect(abs(probabilities.reduce(0, +) - 1) < 1e-5)
            #expect(logits.firstIndex(of: logits.max()!) == index)
            #expect(line["class_name"] as? String == names[index])
        }
        #expect(result.stdout.hasPrefix("{\"image\": "))
    }

    /// The reference model's logits through `camlab predict` match those PyTorch recorded.
    @Test func reproducesTheReferenceLogits() throws {
        let folder = CommandLine.packageRoot.appendingPathComponent("Tests/CamlabMethodsTests/Fixtures/tiny32")
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as! [String: Any]
        let cases = (expected["cases"] as! [[String: Any]]).filter { $0["logits"] != nil && ($0["image"] as! String) == "single_circle.png" }
        let reference = try #require(cases.first?["logits"] as? [Double])
        let result = try CommandLine.run(["predict", "--model", folder.appendingPathComponent("model.safetensors").path,
                                          "--image", folder.appendingPathComponent("single_circle.png").path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let logits = try #require(try TrainingFixtures.jsonLines(result.stdout)[0]["logits"] as? [Double])
        for (a, b) in zip(logits, reference) { #expect(abs(a - b) < 1e-4) }
    }

    /// A network that ends in global average pooling takes an image at its own size, as PyTorch
    /// would: no resizing, no note.
    @Test func anImageOfAnotherSizeIsTakenAtItsOwnSize() throws {
        let model = try fixtures.trainedTinyModel(epochs: 1)
        let result = try CommandLine.run(["predict", "--model", model, "--image", try testImage("square", folder: fixtures.shapes24)])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("resized"))
        #expect(result.stdout.contains(": "))
    }

    @Test func malformedModelsAndImagesAreRefusedWithOneSentence() throws {
        let image = try testImage("circle")
        for model in try MalformedModels.paths(in: fixtures) {
            let result = try CommandLine.run(["predict", "--model", model, "--image", image, "--json"])
            #expect(result.status != 0)
            #expect(result.stdout.isEmpty)
            MalformedModels.expectOneSentence(result.stderr)
        }
        let model = try fixtures.trainedTinyModel(epochs: 1)
        let result = try CommandLine.run(["predict", "--model", model, "--image", fixtures.tinyArchitecture, "--json"])
        #expect(result.status != 0 && result.stdout.isEmpty)
        MalformedModels.expectOneSentence(result.stderr)
    }
}
