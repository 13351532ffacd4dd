import Foundation
import Testing
import CamlabCore
import CamlabImaging
import CamlabData
import CamlabNN
@testable import CamlabMethods

/// Every case of pytorch-grad-cam's output for the tiny32 reference model (`Fixtures/tiny32`,
/// copied from shared/reference): logits, raw maps, maps, GAP outputs, CAM weights and guided
/// gradients, with the tolerances of the methods issue.
struct ReferenceTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/tiny32")

    struct Case: @unchecked Sendable, CustomTestStringConvertible {
        let fields: [String: Any]
        var method: String { fields["method"] as! String }
        var image: String { fields["image"] as! String }
        var classIndex: Int { fields["class"] as! Int }
        var layer: String? { fields["layer"] as? String }
        var testDescription: String { "\(method) \(image) class \(classIndex)" }
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

    @Test func everyMethodIsCovered() {
        let covered = Set(Self.cases.map(\.method))
        #expect(covered == Set(MethodName.allCases.map(\.rawValue)).subtracting(["gradcampp-paper", "gradcampp-exact"]))
    }

    @Test(arguments: cases)
    func agreesWithPytorchGradCam(_ expected: Case) throws {
        let image = try PNGFile.readRGB(at: Self.fixtures.appendingPathComponent(expected.image).path)
        let input = Self.network.normalized(image.tensor(height: 32, width: 32))
        var request = ExplanationRequest(method: MethodName(rawValue: expected.method)!, classes: [expected.classIndex])
        request.layers = expected.layer.map { [$0] }
        let explanation = try Explainer(network: Self.network).explain(input, request)[0]
        let isEigen = expected.method.hasPrefix("eigen")

        func check(_ key: String, _ actual: [Float]?, relativeTolerance: Double, absolute: Double = 1e-5) {
            guard let want = expected.values(key) else { return }
            guard let actual else { Issue.record("\(key) is missing"); return }
            #expect(actual.count == want.count, "\(key): \(actual.count) values, expected \(want.count)")
            let scale = want.map(Swift.abs).max() ?? 0
            let error = zip(actual, want).map { Swift.abs(Double($0) - $1) }.max() ?? 0
            #expect(error <= relativeTolerance * scale + absolute, "\(key): off by \(error) (scale \(scale))")
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
                Explainer.minMaxScaled(Explainer.scaledPerChannel(signed.relu().reshaped(to: [1, 1] + raw.shape), height: 32, width: 32))
            }
            check("map", map.scalars, relativeTolerance: 0, absolute: 2e-3)
        } else {
            check("raw", explanation.raw?.scalars, relativeTolerance: 1e-3)
            check("map", explanation.map?.scalars, relativeTolerance: 0, absolute: 2e-3)
        }
    }
}
