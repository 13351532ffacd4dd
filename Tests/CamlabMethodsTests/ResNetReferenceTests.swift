import Foundation
import Testing
import CamlabNN
@testable import CamlabMethods

/// pytorch-grad-cam on a torchvision-layout ResNet (`Fixtures/resnet-bottleneck`, from
/// shared/reference): Bottleneck blocks of widths 8/16/24/32 ×4, blocks [1, 2, 1, 1], 5 classes,
/// saved as a plain state dict (no camlab metadata, `num_batches_tracked` included), so camlab
/// recognizes the layout from its keys. Every method, at `layer4`, `layer3`, a block (`layer2.1`),
/// a convolution inside a block (`layer4.0.conv2`) and a BatchNorm of a downsample
/// (`layer2.0.downsample.1`), on images of 64×64 and 96×72 taken at their own size.
struct ResNetReferenceTests {
    static let reference = PytorchGradCamReference(fixture: "resnet-bottleneck")
    static let network = reference.network
    static let cases = reference.cases

    @Test func theStateDictIsRecognizedAsAResNet() throws {
        let file = try ModelFile.read(from: Self.reference.folder.appendingPathComponent("model.safetensors").path)
        #expect(file.origin.contains("ResNet-"))
        #expect(file.origin.contains("Bottleneck blocks 1, 2, 1, 1"))
        #expect(Self.network.architecture.targetLayer == "layer4")
        #expect(Self.network.adaptsToInputSize)
        #expect(Self.network.globalPoolingClassifier(after: "layer4")?.path == "fc")
        #expect(Self.network.globalPoolingClassifier(after: "layer3") == nil)
    }

    @Test func everyMethodIsCovered() {
        #expect(Set(Self.cases.map(\.method)) == PytorchGradCamReference.libraryMethods)
    }

    @Test(arguments: cases)
    func agreesWithPytorchGradCam(_ expected: PytorchGradCamReference.Case) throws {
        try Self.reference.check(expected)
    }
}
