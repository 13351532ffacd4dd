import Foundation

/// A scratch folder with a small generated dataset and architecture documents, shared by the
/// train, eval, predict and data tests (made once: generating and training take a moment).
final class TrainingFixtures: @unchecked Sendable {
    static let shared = try! TrainingFixtures()

    let folder: String
    /// `shapes` at 32×32, 160 images: train/ (128) and test/ (32).
    let shapes32: String
    /// `shapes` at 24×24, 120 images.
    let shapes24: String
    /// A small 3-channel 32×32 network for the four shape classes.
    let tinyArchitecture: String
    /// Another shape the spec allows: 1 channel, 24×24, three classes, two convolutions, no pooling.
    let grayArchitecture: String

    private init() throws {
        folder = NSTemporaryDirectory() + "camlab-cli-training-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        shapes32 = folder + "/shapes32"
        shapes24 = folder + "/shapes24"
        for (path, size, count) in [(shapes32, 32, 160), (shapes24, 24, 120)] {
            let made = try CommandLine.run(["data", "make", "shapes", "--count", "\(count)", "--size", "\(size)",
                                            "--seed", "3", "--out", path])
            precondition(made.status == 0, "camlab data make failed: \(made.stderr)")
        }
        tinyArchitecture = folder + "/tiny.json"
        try """
        {"input": [3, 32, 32], "mean": [0.2, 0.2, 0.2], "std": [0.3, 0.3, 0.3],
         "classes": ["circle", "square", "triangle", "cross"],
         "layers": [
           {"name": "features.0", "type": "conv2d", "in": 3, "out": 8, "kernel": 3, "stride": 1, "padding": 1},
           {"name": "features.1", "type": "relu"},
           {"name": "features.2", "type": "maxpool2d", "kernel": 2, "stride": 2},
           {"name": "features.3", "type": "conv2d", "in": 8, "out": 16, "kernel": 3, "stride": 1, "padding": 1},
           {"name": "features.4", "type": "relu"},
           {"name": "gap", "type": "global_avg_pool"},
           {"name": "classifier", "type": "linear", "in": 16, "out": 4}],
         "target_layer": "features.4"}
        """.write(toFile: tinyArchitecture, atomically: true, encoding: .utf8)
        grayArchitecture = folder + "/gray.json"
        try """
        {"input": [1, 24, 24], "mean": [0], "std": [1],
         "classes": ["circle", "square", "triangle"],
         "layers": [
           {"name": "body.0", "type": "conv2d", "in": 1, "out": 6, "kernel": 5, "stride": 2, "padding": 2},
           {"name": "body.1", "type": "relu"},
           {"name": "body.2", "type": "conv2d", "in": 6, "out": 12, "kernel": 3},
           {"name": "body.3", "type": "relu"},
           {"name": "pool", "type": "global_avg_pool"},
           {"name": "head", "type": "linear", "in": 12, "out": 3}],
         "target_layer": "body.3"}
        """.write(toFile: grayArchitecture, atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// A fresh path inside the scratch folder.
    func path(_ name: String) -> String { folder + "/" + UUID().uuidString + "-" + name }

    /// Trains the tiny network for `epochs` and returns the model path (fails the caller on error).
    func trainedTinyModel(epochs: Int = 2, seed: Int = 1, environment: [String: String] = [:]) throws -> String {
        let model = path("tiny.safetensors")
        let result = try CommandLine.run(["train", "--data", shapes32 + "/train", "--arch", tinyArchitecture,
                                          "--epochs", "\(epochs)", "--batch", "16", "--lr", "0.01",
                                          "--optimizer", "adam", "--seed", "\(seed)", "--out", model, "--json"],
                                         environment: environment)
        precondition(result.status == 0, "training failed: \(result.stderr)")
        return model
    }

    /// Each stdout line parsed as a JSON object.
    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }
}
