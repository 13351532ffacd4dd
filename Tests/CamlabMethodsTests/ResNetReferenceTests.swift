import Foundation
import Testing
import CamlabCore
import CamlabImaging
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

    /// Ablating a convolution inside a block re-runs only what depends on it: the frontier of its
    /// output is the block's downsample branch (the skip connection), nothing earlier.
    @Test func aReRunFromInsideABlockKeepsOnlyTheSkipConnection() throws {
        let network = Self.network
        let slot = try network.outputSlot(of: "layer4.0.conv2")
        #expect(network.program.frontier(of: slot) == [try network.outputSlot(of: "layer4.0.downsample.1")])
        #expect(network.program.frontier(of: try network.outputSlot(of: "layer3")).isEmpty)
        let image = try PNGFile.readRGB(at: Self.reference.folder.appendingPathComponent("scene_64x64_1.png").path)
        let input = network.normalized(image.tensor(height: 64, width: 64))
        let pass = try network.forwardPass(input, capturing: ["layer4.0.conv2"], rerunnable: ["layer4.0.conv2"])
        let again = withoutGradient { pass.rerun(replacingOutputOf: "layer4.0.conv2", with: pass.captured["layer4.0.conv2"]!, image: 0) }
        #expect(again.scalars == pass.output.scalars)
    }
}
