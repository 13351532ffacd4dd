import Foundation
import Testing
import CamlabCore
import CamlabData
import CamlabImaging
import CamlabNN
@testable import CamlabMethods

/// pytorch-grad-cam on torchvision's own constructors (`Fixtures/torchvision`, made by
/// Tools/pytorch/make_torchvision_reference.py): resnet18, resnet50 and vgg11_bn with 1000
/// classes, their weights computed from camlab-formula/1 on both sides (never stored) and their
/// BatchNorm statistics calibrated on other images, then perturbed, so that skipping or
/// mis-applying BatchNorm cannot pass. The state dicts are assembled from the key lists PyTorch
/// recorded and opened as plain state dicts; images of 224×224, 300×300 and 320×240 at their own
/// size; classes 1, 250, 947 and the prediction; every method, at layer4, layer3, blocks, a
/// convolution and BatchNorms inside blocks, a downsample, and VGG's features.
struct TorchvisionReferenceTests {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/torchvision")
    static let root: [String: Any] = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()
    static let cases = (root["cases"] as! [[String: Any]]).enumerated().map { index, fields in
        var fields = fields
        fields["index"] = index
        return PytorchGradCamReference.Case(fields: fields)
    }

    /// How far PyTorch itself moves each case (float64, and float32 with the input perturbed by
    /// one ulp), from info.json: a float32 implementation that sums in another order moves as far,
    /// mostly where a ReLU's input is within rounding of 0. The test allows the usual 1e-3 (2e-3 on
    /// maps) or three times that spread, whichever is larger. (Score-CAM and Ablation-CAM, too
    /// expensive to measure, keep the usual tolerances.)
    static let sensitivity: [(raw: Double, map: Double)] = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("info.json"))
        let info = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        let byCase = (info["robustness"] as! [String: Any])["by_case"] as! [[String: Any]]
        return byCase.sorted { ($0["index"] as! Int) < ($1["index"] as! Int) }.map { entry in
            let worst = ((entry["measured"] as? [String: Any])?["worst"] as? [String: Any]) ?? [:]
            return ((worst["raw"] as? Double) ?? 0, (worst["map"] as? Double) ?? 0)
        }
    }()

    /// One network per model, built once.
    static let references: [String: PytorchGradCamReference] = {
        let models = root["models"] as! [String: [String: Any]]
        var references: [String: PytorchGradCamReference] = [:]
        for (name, model) in models {
            let entries = (model["state_dict"] as! [[String: Any]]).map { ($0["key"] as! String, $0["shape"] as! [Int]) }
            let buffers = folder.appendingPathComponent(model["bn_buffers"] as! String)
            let tensors = try! FormulaWeights.stateDict(entries: entries, batchNormBuffers: buffers)
            let file = try! ModelFile(stateDict: tensors.mapValues { StoredTensor(shape: $0.shape, values: $0.values) })
            references[name] = PytorchGradCamReference(folder: folder, network: try! Network(file: file),
                                                       cases: cases.filter { $0.fields["model"] as? String == name })
        }
        return references
    }()

    @Test func everyModelIsRecognizedWithItsDefaults() throws {
        for (name, reference) in Self.references {
            let network = reference.network
            #expect(network.classes.count == 1000 && network.classes[947] == "mushroom", "\(name)")
            #expect(network.architecture.mean == [0.485, 0.456, 0.406], "\(name)")
            #expect(network.adaptsToInputSize, "\(name)")
            let model = (Self.root["models"] as! [String: [String: Any]])[name]!
            #expect(network.architecture.targetLayer == model["default_layer"] as? String, "\(name)")
        }
    }

    @Test func everyCaseHasItsMeasuredSensitivity() {
        #expect(Self.sensitivity.count == Self.cases.count)
        #expect(Self.sensitivity.allSatisfy { $0.raw < 1e-3 && $0.map < 2e-3 })
    }

    @Test func everyMethodIsCovered() {
        #expect(Set(Self.cases.map(\.method)) == PytorchGradCamReference.libraryMethods)
    }

    /// Predictions run the class scores with Winograd allowed (`Network.classScores`): its
    /// convolutions ran (the bits differ from the direct forward's), and the logits still agree
    /// with PyTorch's ten times closer than the explanation cases require, with the same class.
    @Test(arguments: ["resnet18", "resnet50", "vgg11_bn"])
    func predictionsAgreeWithPyTorch(model: String) throws {
        let reference = Self.references[model]!
        var images = Set<String>()
        for expected in reference.cases where images.insert(expected.image).inserted {
            let want = try #require(expected.values("logits"))
            let image = try PNGFile.readRGB(at: Self.folder.appendingPathComponent(expected.image).path)
            let pixels = image.tensor(height: image.height, width: image.width)
            let prediction = try Prediction.predictions(of: reference.network, for: pixels)[0]
            let direct = withoutGradient { reference.network(reference.network.normalized(pixels)) }.scalars
            #expect(prediction.logits != direct, "\(model) \(expected.image): Winograd did not run")
            let scale = want.map(Swift.abs).max()!
            let worst = zip(prediction.logits, want).map { Swift.abs(Double($0) - $1) }.max()!
            #expect(worst <= 1e-4 * scale, "\(model) \(expected.image): logits differ by \(worst) of \(scale)")
            #expect(prediction.classIndex == want.indices.max { want[$0] < want[$1] }!)
        }
        #expect(!images.isEmpty)
    }

    @Test(arguments: cases)
    func agreesWithPytorchGradCam(_ expected: PytorchGradCamReference.Case) throws {
        let spread = Self.sensitivity[expected.fields["index"] as! Int]
        try Self.references[expected.fields["model"] as! String]!.check(expected, relative: Swift.max(1e-3, 3 * spread.raw),
                                                                         map: Swift.max(2e-3, 3 * spread.map))
    }
}
