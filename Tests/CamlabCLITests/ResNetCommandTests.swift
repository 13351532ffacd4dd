import Foundation
import Testing

/// The command line on a plain torchvision-layout ResNet state dict (shared/reference's
/// resnet-bottleneck): its tree, CAM where GAP follows and refused where it does not, the
/// equations, and the sentences for what cannot work.
struct ResNetCommandTests {
    static let fixtures = CommandLine.packageRoot.appendingPathComponent("Tests/CamlabMethodsTests/Fixtures/resnet-bottleneck")
    static let model = fixtures.appendingPathComponent("model.safetensors").path
    static let image = fixtures.appendingPathComponent("scene_96x72_1.png").path

    @Test func modelInfoPrintsTheTreeWithShapesAtTheGivenSize() throws {
        let result = try CommandLine.run(["model", "info", Self.model, "--size", "72", "96"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("recognized as a torchvision ResNet-17 (Bottleneck blocks 1, 2, 1, 1, widths from 8)"))
        #expect(result.stdout.contains("layer2.0.downsample.1"))
        let layer4 = result.stdout.split(separator: "\n").first { $0.hasPrefix("layer4 ") }.map(String.init) ?? ""
        #expect(layer4.contains("Sequential") && layer4.contains("128×3×3") && layer4.contains("CAM applies"), "\(layer4)")
        #expect(result.stdout.contains("called 3×"))
    }

    @Test func camAppliesAtLayer4AndIsRefusedAtLayer3() throws {
        let cam = try CommandLine.run(["cam", "cam", "--model", Self.model, "--image", Self.image, "--json"])
        #expect(cam.status == 0, "\(cam.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(cam.stdout.utf8)) as! [String: Any]
        #expect(json["layer"] as? String == "layer4")
        #expect((json["map"] as? [[Double]])?.count == 72 && (json["map"] as? [[Double]])?.first?.count == 96)
        let refused = try CommandLine.run(["cam", "cam", "--model", Self.model, "--image", Self.image, "--layer", "layer3"])
        #expect(refused.status != 0 && refused.stdout.isEmpty)
        #expect(refused.stderr.contains("GAP imposes this restriction on the architecture"))
    }

    @Test(arguments: ["layer3", "layer2.1", "layer4.0.conv2"])
    func exactGradCAMPlusPlusHoldsThroughResidualBlocks(_ layer: String) throws {
        let result = try CommandLine.run(["check", "gradcampp-exact", "--model", Self.model, "--image", Self.image, "--layer", layer, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect(json["holds"] as? Bool == true, "\(json)")
    }

    @Test func equationOneHoldsAtTheResNetsHead() throws {
        let result = try CommandLine.run(["check", "eq1", "--model", Self.model, "--image", Self.image, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect(json["holds"] as? Bool == true, "\(json)")
    }

    @Test func sharedModulesAndUnknownPathsGetOneSentence() throws {
        let shared = try CommandLine.run(["cam", "gradcam", "--model", Self.model, "--image", Self.image, "--layer", "layer3.0.relu"])
        #expect(shared.status != 0 && shared.stdout.isEmpty)
        #expect(shared.stderr.contains("calls 3 times") && shared.stderr.contains("'layer3.0'"))
        let typo = try CommandLine.run(["cam", "gradcam", "--model", Self.model, "--image", Self.image, "--layer", "layer4.0.conv"])
        #expect(typo.status != 0 && typo.stderr.contains("did you mean"))
    }

    @Test func importWritesCamlabModel2WithTheClassesAndNormalizationFixed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("camlab-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let classes = folder.appendingPathComponent("classes.txt").path
        try "disc\nbox\nwedge\nplus\nring\n".write(toFile: classes, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("imported.safetensors").path
        let imported = try CommandLine.run(["model", "import", Self.model, "--out", out, "--classes", classes, "--mean", "0.5,0.5,0.5", "--std", "0.25,0.25,0.25"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let info = try CommandLine.run(["model", "info", out])
        #expect(info.status == 0 && info.stdout.contains(": camlab-model/2") && info.stdout.contains("mean 0.5, 0.5, 0.5"), "\(info.stdout)")
        #expect(info.stdout.contains("0 disc, 1 box"))
        // The same classes given on the command line, without importing.
        let cam = try CommandLine.run(["cam", "gradcam", "--model", Self.model, "--classes", classes, "--image", Self.image, "--class", "ring", "--json"])
        #expect(cam.status == 0, "\(cam.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(cam.stdout.utf8)) as! [String: Any]
        #expect(json["class_name"] as? String == "ring" && json["class"] as? Int == 4)
        let wrong = try CommandLine.run(["model", "import", Self.model, "--out", out, "--mean", "0.5,x"])
        #expect(wrong.status != 0 && wrong.stderr.contains("--mean takes numbers separated by commas"))
    }

    @Test func theReplListsTheTreeAndExplainsABlock() throws {
        let session = try CommandLine.run([], input: "model \(Self.model)\nimage \(Self.image)\nlayers layer4\nlayer layer4.0.conv2\ngradcam\n")
        #expect(session.status == 0, "\(session.stderr)")
        #expect(session.stdout.contains("layer4.0.downsample.1") && session.stdout.contains("CAM applies"))
        #expect(session.stdout.contains("Layer layer4.0.conv2: A has K = 32 feature maps of 3×3."), "\(session.stdout)")
        #expect(session.stdout.contains("Grad-CAM") && session.stdout.contains("layer layer4.0.conv2"))
    }
}
