import Foundation
import Testing

@Suite(.serialized) struct EvalCommandTests {
    let fixtures = TrainingFixtures.shared

    @Test func printsAccuracyAndAConfusionMatrix() throws {
        let model = try fixtures.trainedTinyModel()
        let result = try CommandLine.run(["eval", "--model", model, "--data", fixtures.shapes32 + "/test", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try TrainingFixtures.jsonLines(result.stdout)[0]
        let confusion = try #require(line["confusion"] as? [[Int]])
        let accuracy = try #require(line["accuracy"] as? Double)
        #expect(confusion.count == 4 && confusion.allSatisfy { $0.count == 4 })
        #expect(confusion.map { $0.reduce(0, +) } == [8, 8, 8, 8], "32 test images, balanced")
        let diagonal = (0..<4).map { confusion[$0][$0] }.reduce(0, +)
        #expect(abs(accuracy - Double(diagonal) / 32) < 1e-12)
        #expect(result.stdout.hasPrefix("{\"accuracy\": "))

        let text = try CommandLine.run(["eval", "--model", model, "--data", fixtures.shapes32 + "/test"])
        #expect(text.status == 0 && text.stdout.contains("accuracy") && text.stdout.contains("triangle"))
    }

    /// The reference model trained by PyTorch classifies camlab's generated shapes.
    @Test func theReferenceModelRecognizesGeneratedShapes() throws {
        let reference = CommandLine.packageRoot.appendingPathComponent("Tests/CamlabNNTests/Fixtures/tiny32/model.safetensors").path
        let result = try CommandLine.run(["eval", "--model", reference, "--data", fixtures.shapes32 + "/test", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect((try TrainingFixtures.jsonLines(result.stdout)[0]["accuracy"] as? Double ?? 0) > 0.9)
    }

    @Test func malformedModelsAreRefusedWithOneSentence() throws {
        for model in try MalformedModels.paths(in: fixtures) {
            let result = try CommandLine.run(["eval", "--model", model, "--data", fixtures.shapes32 + "/test", "--json"])
            #expect(result.status != 0)
            #expect(result.stdout.isEmpty)
            MalformedModels.expectOneSentence(result.stderr)
        }
    }
}

/// Model files that must be refused: truncated, missing, and a text file.
enum MalformedModels {
    static func paths(in fixtures: TrainingFixtures) throws -> [String] {
        let good = FileManager.default.contents(atPath: try fixtures.trainedTinyModel(epochs: 1))!
        let truncated = fixtures.path("truncated.safetensors")
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: truncated))
        let text = fixtures.path("notes.safetensors")
        try "these are not the weights you are looking for\n".write(toFile: text, atomically: true, encoding: .utf8)
        return [truncated, fixtures.path("missing.safetensors"), text]
    }

    /// `Error: <one sentence>` on one line, and no crash report.
    static func expectOneSentence(_ stderr: String) {
        let lines = stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(stderr)")
        #expect(stderr.hasPrefix("Error: "), "\(stderr)")
        #expect(!stderr.contains("Fatal error") && !stderr.contains("Stack dump"))
    }
}
