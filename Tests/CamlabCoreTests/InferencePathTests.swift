import Testing
import CamlabCore

/// When nothing will be differentiated, max pooling and conv2d with bias take shorter paths; they
/// must give exactly what the recorded paths give.
struct InferencePathTests {
    func input(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return Tensor.uniform(shape, low: -1, high: 1, generator: &generator)
    }

    @Test(arguments: [(2, 2), (3, 2), (3, 1), (2, 1)])
    func maxPoolingWithoutRecordingGivesTheSameValues(_ kernel: Int, _ stride: Int) {
        let x = input([2, 3, 9, 8], seed: 1)
        let recorded = x.requiringGradient().maxPool2d(kernel: kernel, stride: stride)
        let plain = withoutGradient { x.maxPool2d(kernel: kernel, stride: stride) }
        #expect(recorded.operation != nil && plain.operation == nil)
        #expect(recorded.shape == plain.shape && recorded.scalars == plain.scalars)
    }

    @Test func maxPoolingWithoutRecordingPropagatesNaN() {
        var values = input([1, 1, 4, 4], seed: 2).scalars
        values[5] = .nan
        let pooled = withoutGradient { Tensor(shape: [1, 1, 4, 4], scalars: values).maxPool2d(kernel: 2) }
        #expect(pooled.scalars[0].isNaN)
        #expect(pooled.scalars[1...].allSatisfy { !$0.isNaN })
    }

    /// Dilation builds im2col columns and adds the bias after the GEMM; stride 1 and 2 run the
    /// direct kernel (stride 2 as the sum of its four phases), which adds it (and applies the
    /// ReLU) as it writes — per group, with each group's slice of the bias. A weight packed
    /// beforehand (for the direct kernels, or as the GEMM's A) gives the same bits as one packed
    /// by the call.
    @Test(arguments: [(1, 1, 1), (2, 1, 1), (1, 1, 2), (2, 1, 2), (1, 2, 1), (2, 2, 2)])
    func convolutionWithBiasWithoutRecordingGivesTheSameValues(stride: Int, dilation: Int, groups: Int) {
        let (x, w, b) = (input([2, 4, 7, 6], seed: 3), input([6, 4 / groups, 3, 3], seed: 4), input([6], seed: 5))
        let recorded = x.conv2d(weight: w.requiringGradient(), bias: b, stride: stride, padding: 1,
                                dilation: dilation, groups: groups)
        let plain = withoutGradient {
            x.conv2d(weight: w, bias: b, stride: stride, padding: 1, dilation: dilation, groups: groups)
        }
        #expect(recorded.operation != nil && plain.operation == nil)
        #expect(recorded.scalars == plain.scalars)
        let rectified = x.conv2dReLU(weight: w.requiringGradient(), bias: b, stride: stride, padding: 1,
                                     dilation: dilation, groups: groups)
        let fused = withoutGradient {
            x.conv2dReLU(weight: w, bias: b, stride: stride, padding: 1, dilation: dilation, groups: groups)
        }
        #expect(rectified.operation != nil && fused.operation == nil)
        #expect(rectified.scalars == recorded.relu().scalars && fused.scalars == rectified.scalars)
        #expect(fused.scalars.contains(0) && fused.scalars.contains { $0 > 0 })
        let packed = PackedConvolutionWeight(weight: w, stride: stride, padding: 1, dilation: dilation, groups: groups)
        #expect((packed == nil) == (dilation > 1 && groups > 1)) // a grouped GEMM packs per group
        let prepacked = withoutGradient {
            x.conv2dReLU(weight: w, bias: b, stride: stride, padding: 1, dilation: dilation, groups: groups, packed: packed)
        }
        #expect(prepacked.scalars == fused.scalars)
        // A residual block's `relu(conv(x) + identity)` in one write: the same bits as the graph.
        let identity = input(recorded.shape, seed: 6)
        let block = x.conv2d(weight: w.requiringGradient(), bias: b, stride: stride, padding: 1, dilation: dilation,
                             groups: groups, adding: identity).relu()
        let written = withoutGradient {
            x.conv2dReLU(weight: w, bias: b, stride: stride, padding: 1, dilation: dilation, groups: groups,
                         adding: identity, packed: packed)
        }
        #expect(block.operation != nil && written.operation == nil)
        #expect(written.scalars == (recorded + identity).relu().scalars && written.scalars == block.scalars)
    }

    /// A 1×1 convolution runs as one GEMM, which adds the bias and the residual and applies the
    /// ReLU to each tile of C as it writes it: products large enough to split over the cores by
    /// C's rows (256 channels of a 7×7 map), by its columns (16 channels of 32×32), and a strided
    /// downsample (im2col columns); each the same bits as the recorded graph.
    @Test(arguments: [(128, 256, 7, 1), (64, 16, 32, 1), (64, 128, 14, 2)])
    func aGEMMConvolutionFinishesItsTilesAsItWritesThem(inChannels: Int, outChannels: Int, size: Int, stride: Int) {
        let x = input([1, inChannels, size, size], seed: 7) // one image: the cores split its GEMM
        let (w, b) = (input([outChannels, inChannels, 1, 1], seed: 8), input([outChannels], seed: 9))
        let recorded = x.conv2d(weight: w.requiringGradient(), bias: b, stride: stride)
        let identity = input(recorded.shape, seed: 10)
        let packed = PackedConvolutionWeight(weight: w, stride: stride, padding: 0, dilation: 1, groups: 1)
        #expect(packed != nil)
        let plain = withoutGradient { x.conv2d(weight: w, bias: b, stride: stride, packed: packed) }
        let written = withoutGradient { x.conv2dReLU(weight: w, bias: b, stride: stride, adding: identity, packed: packed) }
        #expect(plain.scalars == recorded.scalars)
        #expect(written.scalars == (recorded + identity).relu().scalars)
        #expect(written.scalars.contains(0) && written.scalars.contains { $0 > 0 })
    }
}
