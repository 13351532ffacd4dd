import Foundation
import Testing

/// `camlab train --arch` with a module tree: a small ResNet with BatchNorm and residual blocks
/// (`Models/resnet8-shapes.json`) trains, saves as camlab-model/2 with its running statistics,
/// and is explained at a block.
struct ResNetTrainingTests {
    static let fixtures = TrainingFixtures.shared
    static let architecture = CommandLine.packageRoot.appendingPathComponent("Models/resnet8-shapes.json").path

    @Test func aResNetWithBatchNormTrainsSavesAndIsExplained() throws {
        let out = Self.fixtures.path("resnet8.safetensors")
        let trained = try CommandLine.run(["train", "--data", Self.fixtures.shapes32 + "/train", "--arch", Self.architecture,
                                           "--epochs", "1", "--batch", "32", "--lr", "3e-3", "--seed", "2", "--out", out, "--json"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let header = try #require(FileHandle(forReadingAtPath: out)?.readData(ofLength: 4096))
        #expect(String(decoding: header, as: UTF8.self).contains("camlab-model/2"))
        let info = try CommandLine.run(["model", "info", out])
        #expect(info.status == 0 && info.stdout.contains("camlab-model/2") && info.stdout.contains("BasicBlock"), "\(info.stderr)")
        let squares = Self.fixtures.shapes32 + "/test/square"
        let image = squares + "/" + (try FileManager.default.contentsOfDirectory(atPath: squares).sorted()[0])
        let cam = try CommandLine.run(["cam", "gradcam", "--model", out, "--image", image, "--layer", "layer2.0", "--json"])
        #expect(cam.status == 0, "\(cam.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(cam.stdout.utf8)) as! [String: Any]
        #expect((json["raw"] as? [[Double]])?.count == 16)
        let eval = try CommandLine.run(["eval", "--model", out, "--data", Self.fixtures.shapes32 + "/test", "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
    }
}
