import Foundation
import Testing
import CamlabNN
@testable import CamlabMethods

/// Every case of pytorch-grad-cam's output for the tiny32 reference model (`Fixtures/tiny32`,
/// copied from shared/reference): logits, raw maps, maps, GAP outputs, CAM weights and guided
/// gradients.
struct ReferenceTests {
    static let reference = PytorchGradCamReference(fixture: "tiny32")
    static let fixtures = reference.folder
    static let network = reference.network
    static let cases = reference.cases

    @Test func everyMethodIsCovered() {
        #expect(Set(Self.cases.map(\.method)) == PytorchGradCamReference.libraryMethods)
    }

    @Test(arguments: cases)
    func agreesWithPytorchGradCam(_ expected: PytorchGradCamReference.Case) throws {
        try Self.reference.check(expected)
    }
}
