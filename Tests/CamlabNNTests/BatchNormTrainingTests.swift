import Foundation
import Testing
import CamlabCore
@testable import CamlabNN

/// Training a ResNet with BatchNorm as PyTorch does (`Fixtures/bn-training`, recorded by
/// Tools/pytorch/make_bn_training_reference.py): a torchvision-layout ResNet of three one-block
/// stages (widths 8/16/32, 4 classes), opened from its plain state dict, five Adam steps in
/// `model.train()` mode on the recorded batches (learning rate 1e-3: Adam's step is ±lr wherever a
/// gradient is tiny whatever its size, so float32 rounding moves a parameter in proportion to lr).
/// The loss of every step, every parameter, the running statistics and `num_batches_tracked`
/// afterwards, and the logits in evaluation mode must match PyTorch's within 1e-4.
struct BatchNormTrainingTests {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/bn-training")

    @Test func fiveAdamStepsMatchPyTorch() throws {
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder.appendingPathComponent("expected.json"))) as! [String: Any]
        // The recorded run fed the images as they are: no normalization.
        let file = try ModelFile.read(from: Self.folder.appendingPathComponent("before.safetensors").path,
                                      overriding: ModelOverrides(mean: [0, 0, 0], std: [1, 1, 1]))
        #expect(file.origin.contains("BasicBlock blocks 1, 1, 1"))
        let network = try Network(file: file)
        let batches = try SafeTensorsFile(contentsOf: Self.folder.appendingPathComponent("batches.safetensors").path)
        let steps = expected["steps"] as! [[String: Any]]
        var optimizer: any Optimizer = Adam(learningRate: Float((expected["optimizer"] as! [String: Any])["lr"] as! Double))
        for (t, step) in steps.enumerated() {
            let images = batches.tensors["batch\(t).images"]!
            let labels = batches.tensors["batch\(t).labels"]!.values.map { Int($0) }
            let result = try Trainer(options: TrainingOptions(epochs: 1, batchSize: 8, learningRate: 1e-3)).trainingStep(
                network, images: Tensor(shape: images.shape, scalars: images.values), labels: labels,
                optimizer: &optimizer, epoch: 1, batch: t + 1)
            let loss = step["loss"] as! Double
            #expect(Swift.abs(result.loss - loss) < 1e-4, "step \(t): loss \(result.loss), PyTorch \(loss)")
        }
        let after = try SafeTensorsFile(contentsOf: Self.folder.appendingPathComponent("after.safetensors").path)
        let ours = Dictionary(uniqueKeysWithValues: network.stateDict.map { ($0.name, $0.tensor) })
        #expect(Set(ours.keys) == Set(after.tensors.keys))
        for (name, want) in after.tensors {
            guard let have = ours[name] else { continue }
            let error = zip(have.scalars, want.values).map { Swift.abs($0 - $1) }.reduce(0) { Swift.max($0, $1.isNaN ? .infinity : $1) }
            let worst = zip(have.scalars, want.values).enumerated().max { Swift.abs($0.1.0 - $0.1.1) < Swift.abs($1.1.0 - $1.1.1) }!
            let before = file.parameters[name]!.values[worst.offset]
            #expect(error < 1e-4, "\(name): off by \(error) at \(worst.offset): camlab \(worst.element.0), PyTorch \(worst.element.1), before \(before)")
        }
        #expect(ours["layer2.0.bn1.num_batches_tracked"]?.scalars == [5])
        // And in evaluation, with the updated running statistics.
        let batch = batches.tensors["batch0.images"]!
        let logits = withoutGradient { network(Tensor(shape: batch.shape, scalars: batch.values)) }.scalars
        let want = (expected["eval_logits_after_on_batch0"] as! [[Double]]).flatMap { $0 }
        let error = zip(logits, want).map { Swift.abs(Double($0) - $1) }.reduce(0) { Swift.max($0, $1.isNaN ? .infinity : $1) }
        #expect(error < 1e-4, "evaluation logits off by \(error)")
    }
}
