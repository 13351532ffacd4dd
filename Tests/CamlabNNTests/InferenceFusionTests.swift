import Foundation
import Testing
import CamlabCore
@testable import CamlabNN

/// Inference runs each residual block's last convolution, its BatchNorm, the add of the identity
/// and the ReLU after it as one write (`Program.Fusion`). On the torchvision-layout ResNet of
/// `Fixtures/bn-training` (BasicBlocks, one with a downsample branch) that write must give what
/// the unfused graph gives, module by module.
struct InferenceFusionTests {
    @Test func residualBlocksRunAsOneWriteAndAgreeWithTheGraph() throws {
        let file = try ModelFile.read(from: BatchNormTrainingTests.folder.appendingPathComponent("after.safetensors").path,
                                      overriding: ModelOverrides(mean: [0, 0, 0], std: [1, 1, 1]))
        let network = try Network(file: file)
        let program = network.program
        let residualFusions = program.fusions.values.filter { $0.residual != nil }
        #expect(residualFusions.count == 3 && residualFusions.allSatisfy(\.relu), "one per BasicBlock, with its ReLU")
        var random = RandomGenerator(seed: 9)
        let x = Tensor.uniform([2] + network.architecture.input, generator: &random)
        let blocks = Set(network.modulePaths.filter { $0.hasPrefix("layer") && $0.split(separator: ".").count == 2 })
        #expect(blocks.count == 3)
        let slots = Set(try blocks.map { try network.outputSlot(of: $0) })
        let fused = withoutGradient { program.run(x, keeping: slots) }
        // Recording from the input turns every fusion with a BatchNorm off (all of them here):
        // the graph the derivative rules know.
        let graph = program.run(x.requiringGradient(), keeping: slots)
        for slot in slots.union([program.output]) {
            let (a, b) = (fused[slot]!.scalars, graph[slot]!.scalars)
            let scale = max(b.map(Swift.abs).max()!, 1)
            let worst = zip(a, b).map { Swift.abs($0 - $1) }.max()!
            #expect(a.count == b.count && worst <= 1e-5 * scale, "slot \(slot): differs by \(worst)")
        }
    }
}
