import Foundation
import Testing
import CamlabCore
import CamlabData
import CamlabImaging
import CamlabNN
@testable import CamlabMethods

/// What pytorch-grad-cam computed for one model (a fixture folder with `model.safetensors`, PNG
/// images and `expected.json`), and the comparison every case goes through: `raw`, `gap`,
/// `weights`, `input_grad` and `logits` within 1e-3 × the largest expected magnitude (+1e-5), `map`
/// within 2e-3, Eigen methods up to the sign of their singular vector. Absent keys are skipped.
struct PytorchGradCamReference {
    struct Case: @unchecked Sendable, CustomTestStringConvertible {
        let fields: [String: Any]
        var method: String { fields["method"] as! String }
        var image: String { fields["image"] as! String }
        var classIndex: Int { (fields["class"] as? Int) ?? Int(fields["class"] as! String)! }
        /// The reference left the class to the prediction.
        var classOmitted: Bool { (fields["class_omitted"] as? Bool) ?? false }
        /// Maps and input gradients larger than 96 are stored every `stride`-th row and column.
        var mapStride: Int { (fields["map_stride"] as? Int) ?? 1 }
        var inputGradientStride: Int { (fields["input_grad_stride"] as? Int) ?? 1 }
        var layer: String? { fields["layer"] as? String }
        var testDescription: String { "\(method) \(image) class \(classIndex) \(layer ?? "-")" }
        func values(_ key: String) -> [Double]? {
            func flat(_ a: Any) -> [Double] { (a as? [Any]).map { $0.flatMap(flat) } ?? [(a as! NSNumber).doubleValue] }
            return fields[key].map(flat)
        }
    }

    let folder: URL
    let network: Network
    let cases: [Case]

    init(fixture name: String) {
        folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(name)")
        network = try! Network(contentsOf: folder.appendingPathComponent("model.safetensors").path)
        let data = try! Data(contentsOf: folder.appendingPathComponent("expected.json"))
        let root = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        cases = (root["cases"] as! [[String: Any]]).map(Case.init)
    }

    init(folder: URL, network: Network, cases: [Case]) {
        (self.folder, self.network, self.cases) = (folder, network, cases)
    }

    /// The methods the reference library has (not camlab's own Grad-CAM++ variants and positive-weights Grad-CAM).
    static let libraryMethods = Set(MethodName.allCases.map(\.rawValue)).subtracting(["gradcampp-paper", "gradcampp-exact", "gradcam-positive"])

    /// `relative` bounds raw, gap, weights, input gradients and logits (× the largest magnitude);
    /// `map` bounds maps (absolute).
    func check(_ expected: Case, relative: Double = 1e-3, map mapTolerance: Double = 2e-3) throws {
        let image = try PNGFile.readRGB(at: folder.appendingPathComponent(expected.image).path)
        // A network that adapts to the input size takes each image at its own size.
        let shape = network.inputShape(forImageHeight: image.height, width: image.width)
        let (height, width) = (shape[1], shape[2])
        let input = network.normalized(image.tensor(height: height, width: width))
        var request = ExplanationRequest(method: MethodName(rawValue: expected.method)!,
                                         classes: expected.classOmitted ? nil : [expected.classIndex])
        request.layers = expected.layer.map { [$0] }
        let explanation = try Explainer(network: network).explain(input, request)[0]
        #expect(explanation.classIndex == expected.classIndex)
        /// Every `stride`-th row and column of the last two axes, as the reference stored them.
        func strided(_ tensor: Tensor?, _ step: Int) -> [Float]? {
            guard let tensor, step > 1 else { return tensor?.scalars }
            let (h, w) = (tensor.shape[tensor.rank - 2], tensor.shape[tensor.rank - 1])
            let planes = tensor.count / (h * w)
            return (0..<planes).flatMap { p in
                Swift.stride(from: 0, to: h, by: step).flatMap { y in
                    Swift.stride(from: 0, to: w, by: step).map { x in tensor.scalars[(p * h + y) * w + x] }
                }
            }
        }

        func compare(_ key: String, _ actual: [Float]?, relativeTolerance: Double, absolute: Double = 1e-5) {
            guard let want = expected.values(key) else { return }
            guard let actual else { Issue.record("\(key) is missing"); return }
            #expect(actual.count == want.count, "\(key): \(actual.count) values, expected \(want.count)")
            let scale = want.map(Swift.abs).max() ?? 0
            // A NaN counts as infinitely wrong: max() would pass over it.
            let errors = zip(actual, want).map { Swift.abs(Double($0) - $1) }.map { $0.isNaN ? .infinity : $0 }
            let error = errors.max() ?? 0
            let worst = errors.firstIndex(of: error) ?? 0
            #expect(error <= relativeTolerance * scale + absolute,
                    "\(key): off by \(error) (scale \(scale)) at flat index \(worst): camlab \(worst < actual.count ? Double(actual[worst]) : .nan), pytorch-grad-cam \(worst < want.count ? want[worst] : .nan)")
        }
        compare("logits", explanation.logits, relativeTolerance: relative)
        compare("gap", explanation.globalAveragePool, relativeTolerance: relative)
        compare("weights", explanation.classWeights, relativeTolerance: relative)
        compare("input_grad", strided(explanation.inputGradient, expected.inputGradientStride), relativeTolerance: relative)
        if expected.method.hasPrefix("eigen"), let raw = explanation.raw, let want = expected.values("raw") {
            // A singular vector's sign is arbitrary: compare with the sign that matches.
            let dot = zip(raw.scalars, want).reduce(0.0) { $0 + Double($1.0) * $1.1 }
            let signed = dot < 0 ? withoutGradient { -raw } : raw
            compare("raw", signed.scalars, relativeTolerance: relative)
            let map = withoutGradient {
                Explainer.minMaxScaled(Explainer.scaledPerChannel(signed.relu().reshaped(to: [1, 1] + raw.shape), height: height, width: width))
            }
            compare("map", strided(map.reshaped(to: [height, width]), expected.mapStride), relativeTolerance: 0, absolute: mapTolerance)
        } else {
            compare("raw", explanation.raw?.scalars, relativeTolerance: relative)
            compare("map", strided(explanation.map, expected.mapStride), relativeTolerance: 0, absolute: mapTolerance)
        }
    }
}
