import Foundation
import Testing
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
    static let reference = PytorchGradCamReference(fixture: "other")
    static let network = reference.network
    static let cases = reference.cases

    @Test func theModelHasAnotherShape() {
        let architecture = Self.network.architecture
        #expect(architecture.input == [3, 40, 48])
        #expect(architecture.mean != [0, 0, 0] && architecture.std != [1, 1, 1])
        #expect(Self.network.classes.count == 3)
        #expect(Set(Self.cases.compactMap(\.layer)) == [architecture.targetLayer, "features.3", "features.7"])
    }

    @Test func everyMethodIsCovered() {
        #expect(Set(Self.cases.map(\.method)) == PytorchGradCamReference.libraryMethods)
    }

    @Test(arguments: cases)
    func agreesWithPytorchGradCam(_ expected: PytorchGradCamReference.Case) throws {
        try Self.reference.check(expected)
    }
}
