import Foundation
import Testing

/// `camlab cam` as scripts and people use it (shared/spec/cam-json.md).
struct CamCommandTests {
    static let fixtures = CommandLine.packageRoot.appendingPathComponent("Tests/CamlabMethodsTests/Fixtures/tiny32")
    static let model = fixtures.appendingPathComponent("model.safetensors").path
    static func image(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    func objects(_ stdout: String) throws -> [[String: Any]] {
        try stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test func jsonHasOneObjectPerImageWithTheContractKeys() throws {
        let result = try CommandLine.run(["cam", "gradcam", "--model", Self.model, "--image", Self.image("single_cross.png"),
                                          "--image", Self.image("pair_circle_square.png"), "--class", "circle", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try objects(result.stdout)
        #expect(lines.count == 2)
        for line in lines {
            #expect(Set(line.keys).isSuperset(of: ["image", "method", "class", "class_name", "layer", "logits", "raw", "map"]))
            #expect(line["class"] as? Int == 0 && line["class_name"] as? String == "circle")
            #expect(line["layer"] as? String == "features.6")
            let map = line["map"] as! [[Double]]
            #expect(map.count == 32 && map[0].count == 32)
            #expect(map.joined().allSatisfy { $0 >= 0 && $0 <= 1 })
            #expect((line["raw"] as! [[Double]]).count == 16)  // features.6 is 16×16
        }
        #expect(lines[0]["image"] as? String == Self.image("single_cross.png"))
    }

    @Test func camGivesGapAndWeightsAndFullgradHasNoLayer() throws {
        let cam = try objects(try CommandLine.run(["cam", "cam", "--model", Self.model, "--image", Self.image("single_square.png"), "--json"]).stdout)[0]
        #expect((cam["gap"] as? [Double])?.count == 64 && (cam["weights"] as? [Double])?.count == 64)
        let fullgrad = try objects(try CommandLine.run(["cam", "fullgrad", "--model", Self.model, "--image", Self.image("single_square.png"), "--json"]).stdout)[0]
        #expect(fullgrad["layer"] == nil && fullgrad["map"] != nil && fullgrad["raw"] == nil)
        let guided = try objects(try CommandLine.run(["cam", "guided-gradcam", "--model", Self.model, "--image", Self.image("single_square.png"), "--json"]).stdout)[0]
        #expect((guided["input_grad"] as? [[[Double]]])?.count == 3)
    }

    @Test func anEmptyMapIsZerosAndSaysSoNeverNaN() throws {
        // The counterfactual of the predicted class on a clean single object: often nothing speaks
        // against it; whichever way, no NaN may appear and `empty` must agree with the map.
        for method in ["counterfactual", "gradcam", "layercam"] {
            let result = try CommandLine.run(["cam", method, "--model", Self.model, "--image", Self.image("single_circle.png"),
                                              "--class", "cross", "--json"])
            #expect(result.status == 0)
            #expect(!result.stdout.lowercased().contains("nan"))
            let line = try objects(result.stdout)[0]
            let map = (line["map"] as! [[Double]]).joined()
            #expect((line["empty"] as? Bool) == map.allSatisfy { $0 == 0 })
        }
    }

    @Test func humanOutputNamesMethodClassAndProbability() throws {
        let result = try CommandLine.run(["cam", "gradcampp", "--model", Self.model, "--image", Self.image("multi_circle.png")])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Grad-CAM++"))
        #expect(result.stdout.contains("class 3 cross (p = "))
        #expect(result.stdout.split(separator: "\n").count > 16)  // the heatmap itself
    }

    @Test(arguments: [
        (["cam", "gradcm"], "did you mean 'gradcam'"),
        (["cam", "gradcam", "--image", "nothere.png"], "no such file"),
        (["cam", "gradcam", "--layer", "features.9"], "has no module 'features.9'"),
        (["cam", "gradcam", "--class", "dog"], "has no class 'dog'"),
        (["cam", "gradcam", "--layer", "classifier"], "does not output feature maps"),
        (["cam", "cam", "--layer", "features.3"], "CAM needs the explained layer"),
    ])
    func badInputGetsOneSentenceAndNonZeroStatus(_ arguments: [String], _ expected: String) throws {
        var full = arguments
        if !full.contains("--image") { full += ["--image", Self.image("single_cross.png")] }
        full += ["--model", Self.model, "--json"]
        let result = try CommandLine.run(full)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)
    }

    @Test func aCorruptModelIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("camlab-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let truncated = directory.appendingPathComponent("truncated.safetensors")
        try Data(try Data(contentsOf: URL(fileURLWithPath: Self.model)).prefix(5000)).write(to: truncated)
        let result = try CommandLine.run(["cam", "gradcam", "--model", truncated.path, "--image", Self.image("single_cross.png"), "--json"])
        #expect(result.status != 0 && result.stdout.isEmpty)
        #expect(result.stderr.contains("truncated.safetensors"))
    }
}
