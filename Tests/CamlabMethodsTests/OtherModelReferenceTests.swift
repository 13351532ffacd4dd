import Foundation
import Testing
import CamlabCore
import CamlabImaging
import CamlabData
import CamlabNN
@testable import CamlabMethods

/// A second, independent pytorch-grad-cam reference (`Fixtures/other`, made by
/// Tools/pytorch/make_reference2.py) for a model of another shape than tiny32: a non-square input
/// [3, 40, 48], ImageNet mean/std, 3 classes, a stride-2 convolution, a maxpool, an unpadded and a
/// 1×1 convolution (last ReLU 8×10: non-integer up-sampling 5 × 4.8). Cases at the default layer
/// (`features.8`) and at the second ReLU (`features.3`, 20×24, before a maxpool), for the predicted
/// class and the least likely class, and at a convolution's output before its ReLU (`features.7`:
/// negative activations, Ablation-CAM's `min − 1e7` branch) for the predicted class. Some cases carry
/// `raw` without `map` (size); `check` skips absent keys. Same keys, conventions and tolerances as
/// `ReferenceTests` (tiny32).
struct OtherModelReferenceTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/other")

    struct Case: @unchecked Sendable, CustomTestStringConvertible {
        let fields: [String: Any]
        var method: String { fields["method"] as! String }
        var image: String { fields["image"] as! String }
        var classIndex: Int { fields["class"] as! Int }
        var layer: String? { fields["layer"] as? String }
        var testDescription: String { "\(method) \(image) class \(classIndex) \(layer ?? "-")" }
        func values(_ key: String) -> [Double]? {
            func flat(_ a: Any) -> [Double] { (a as? [Any]).map { $0.flatMap(flat) } ?? [(a as! NSNumber).doubleValue] }
            return fields[key].map(flat)
        }
    }

    static let cases: [Case] = {
        let data = try! Data(contentsOf: fixtures.appendingPathComponent("expected.json"))
        let root = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (root["cases"] as! [[String: Any]]).map(Case.init)
    }()

    static let network = try! Network(contentsOf: fixtures.appendingPathComponent("model.safetensors").path)

    @Test func theModelHasAnotherShape() {
        let architecture = Self.network.architecture
        #expect(architecture.input == [3, 40, 48])
        #expect(architecture.mean != [0, 0, 0] && architecture.std != [1, 1, 1])
        #expect(Self.network.classes.count == 3)
        #expect(Set(Self.cases.compactMap(\.layer)) == [architecture.targetLayer, "features.3", "features.7"])
    }

    @Test func everyMethodIsCovered() {
        let covered = Set(Self.cases.map(\.method))
        #expect(covered == Set(MethodName.allCases.map(\.rawValue)).subtracting(["gradcampp-paper", "gradcampp-exact"]))
    }

    @Test(arguments: cases)
    func agreesWithPytorchGradCam(_ expected: Case) throws {
        let (height, width) = (Self.network.architecture.input[1], Self.network.architecture.input[2])
        let image = try PNGFile.readRGB(at: Self.fixtures.appendingPathComponent(expected.image).path)
        let input = Self.network.normalized(image.tensor(height: height, width: width))
        var request = ExplanationRequest(method: MethodName(rawValue: expected.method)!, classes: [expected.classIndex])
        request.layers = expected.layer.map { [$0] }
        let explanation = try Explainer(network: Self.network).explain(input, request)[0]
        let isEigen = expected.method.hasPrefix("eigen")

        func check(_ key: String, _ actual: [Float]?, relativeTolerance: Double, absolute: Double = 1e-5) {
            guard let want = expected.values(key) else { return }
            guard let actual else { Issue.record("\(key) is missing"); return }
            #expect(actual.count == want.count, "\(key): \(actual.count) values, expected \(want.count)")
            let scale = want.map(Swift.abs).max() ?? 0
            let errors = zip(actual, want).map { Swift.abs(Double($0) - $1) }
            let error = errors.max() ?? 0
            let worst = errors.firstIndex(of: error) ?? 0
            #expect(error <= relativeTolerance * scale + absolute,
                    "\(key): off by \(error) (scale \(scale)) at flat index \(worst): camlab \(worst < actual.count ? Double(actual[worst]) : .nan), pytorch-grad-cam \(worst < want.count ? want[worst] : .nan)")
        }
        check("logits", explanation.logits, relativeTolerance: 1e-3)
        check("gap", explanation.globalAveragePool, relativeTolerance: 1e-3)
        check("weights", explanation.classWeights, relativeTolerance: 1e-3)
        check("input_grad", explanation.inputGradient?.scalars, relativeTolerance: 1e-3)
        if isEigen, let raw = explanation.raw, let want = expected.values("raw") {
            // A singular vector's sign is arbitrary: compare with the sign that matches.
            let dot = zip(raw.scalars, want).reduce(0.0) { $0 + Double($1.0) * $1.1 }
            let signed = dot < 0 ? withoutGradient { -raw } : raw
            check("raw", signed.scalars, relativeTolerance: 1e-3)
            let map = withoutGradient {
                Explainer.minMaxScaled(Explainer.scaledPerChannel(signed.relu().reshaped(to: [1, 1] + raw.shape),
                                                                  height: height, width: width))
            }
            check("map", map.scalars, relativeTolerance: 0, absolute: 2e-3)
        } else {
            check("raw", explanation.raw?.scalars, relativeTolerance: 1e-3)
            check("map", explanation.map?.scalars, relativeTolerance: 0, absolute: 2e-3)
        }
    }
}
