import Foundation
import Testing
import CamlabImaging
import CamlabLab
import CamlabNN
import CamlabCore
@testable import CamlabMethods

/// The tutorial's last section on the reference ResNet-50 (Tools/pytorch/make_tutorial_fixture.py):
/// `cv2.resize(img, (300, 300))`, `/255`, `preprocess_image(img)` (mean = std = 0.5), Grad-CAM and
/// Grad-CAM++ at `layer4` for class 1. camlab's `--preprocess tutorial` must give the same bytes,
/// logits and maps.
struct TutorialRecipeTests {
    static let folder = TorchvisionReferenceTests.folder
    static let expected: [String: Any] = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("tutorial.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    /// The reference ResNet-50 with the tutorial's normalization, and the photo as the recipe prepares it.
    static func prepared() throws -> (network: Network, input: ModelInput) {
        let recipe = Preprocessing(.tutorial)
        let reference = TorchvisionReferenceTests.references["resnet50"]!.network
        var file = reference.modelFile
        file.architecture = recipe.filling(.none).applied(to: file.architecture)
        let network = try Network(file: file)
        let photo = try PNGFile.readRGB(at: folder.appendingPathComponent(expected["photo"] as! String).path)
        return (network, try ModelInput(images: [("photo", recipe.prepared(photo))], network: network))
    }

    @Test func theRecipeResizesAsOpenCVAndNormalizesWithOneHalf() throws {
        let (network, input) = try Self.prepared()
        #expect(network.architecture.mean == [0.5, 0.5, 0.5] && network.architecture.std == [0.5, 0.5, 0.5])
        #expect(input.pictures[0].width == 300 && input.pictures[0].height == 300)
        #expect(LibraryResizeHash.fnv1a(input.pictures[0].pixels) == Self.expected["resized_fnv1a"] as? String)
        #expect(input.batch.shape == [1, 3, 300, 300])
    }

    @Test(arguments: [MethodName.gradcam, .gradcampp])
    func givesPytorchGradCamsMap(_ method: MethodName) throws {
        let (network, input) = try Self.prepared()
        let explanation = try Explainer(network: network).explain(input.batch, ExplanationRequest(method: method, classes: [1]))[0]
        let top = (Self.expected["logits_top5"] as! [[Double]])
        for pair in top {
            #expect(Swift.abs(Double(explanation.logits[Int(pair[0])]) - pair[1]) < 1e-3 * Swift.abs(top[0][1]))
        }
        let want = (Self.expected[method.rawValue] as! [Int]).map { Double($0) / 65535 }
        let map = explanation.map!.scalars
        #expect(map.count == want.count)
        let error = zip(map, want).map { Swift.abs(Double($0) - $1) }.reduce(0) { Swift.max($0, $1.isNaN ? .infinity : $1) }
        // The issue's bar is 1e-2; float32 sums in another order move a map by about 2e-4 here.
        #expect(error < 1e-3, "\(method.rawValue): largest difference \(error)")
    }
}

/// FNV-1a 64 of bytes, as Tools/pytorch/make_resize_fixture.py hashes them.
enum LibraryResizeHash {
    static func fnv1a(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// `--preprocess torchvision` against torchvision's `Compose([Resize(256), CenterCrop(224)])` on
/// pseudo-random images (Tools/pytorch/make_resize_fixture.py), and the recipes' descriptions.
struct PreprocessingRecipeTests {
    struct Case: Decodable { let width, height, seed: Int; let evaluation: String }
    struct Fixture: Decodable { let torchvision: [Case] }

    @Test func torchvisionsEvaluationTransformByteForByte() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../CamlabImagingTests/Fixtures/resize.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        #expect(fixture.torchvision.count >= 4)
        for c in fixture.torchvision {
            var state = c.seed
            let pixels = (0..<(c.width * c.height * 3)).map { _ -> UInt8 in
                state = (state &* 1103515245 &+ 12345) % (1 << 31)
                return UInt8((state >> 16) & 255)
            }
            let prepared = Preprocessing(.torchvision).prepared(RGBImage(width: c.width, height: c.height, pixels: pixels))
            #expect(prepared.width == 224 && prepared.height == 224)
            #expect(LibraryResizeHash.fnv1a(prepared.pixels) == c.evaluation, "\(c.width)×\(c.height)")
        }
    }

    @Test func optionsReplaceTheRecipesPartsAndDescribeThemselves() throws {
        let tutorial = try Preprocessing(recipe: "tutorial", resize: nil, mean: nil, std: nil)
        #expect(tutorial == Preprocessing(.tutorial) && tutorial.description == "--preprocess tutorial")
        let changed = try Preprocessing(recipe: "torchvision", resize: nil, mean: "0.5,0.5,0.5", std: nil)
        #expect(changed.description == "--preprocess torchvision --mean 0.5,0.5,0.5")
        let resized = try Preprocessing(recipe: nil, resize: "300x200", mean: nil, std: nil)
        #expect(resized.sizing == .resized(width: 300, height: 200) && resized.mean == nil)
        #expect(resized.description == "--resize 300x200")
        #expect(resized.filling(ModelOverrides(mean: [1, 2, 3])).mean == [1, 2, 3])
        #expect(tutorial.filling(.none).std == [0.5, 0.5, 0.5])
        let error = #expect(throws: (any Error).self) { try Preprocessing(recipe: "tutorail", resize: nil, mean: nil, std: nil) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("Did you mean 'tutorial'?"))
    }
}
