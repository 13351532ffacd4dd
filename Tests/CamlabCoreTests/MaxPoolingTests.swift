import Testing
import CamlabCore

/// Max pooling's fast paths (the vectorized 2×2 rows, the inference path without winners) against
/// a plain transcription of PyTorch's rule: scan the window row by row; a value replaces the
/// running maximum when it is larger or NaN. Inputs are full of ties (few distinct levels, +0 and
/// −0), NaNs and infinities, on sizes that leave partial vector blocks and uncovered edges.
struct MaxPoolingTests {
    /// Values from a handful of levels, so windows often tie; some NaNs and infinities.
    func tiedInput(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        let levels: [Float] = [-1, -0.0, 0, 0.5, 1, .infinity, -.infinity, .nan]
        let values = (0..<shape.reduce(1, *)).map { _ in
            let u = generator.nextUniform(0, 1)
            return u < 0.9 ? levels[Int(u / 0.9 * 5)] : levels[5 + Int((u - 0.9) / 0.1 * 3) % 3]
        }
        return Tensor(shape: shape, scalars: values)
    }

    /// PyTorch's max_pool2d, one window at a time: each output's flat input position and value.
    func reference(_ x: Tensor, kernel: Int, stride: Int, padding: Int) -> (indices: [Int], values: [Float]) {
        let (planes, height, width) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        let outHeight = (height + 2 * padding - kernel) / stride + 1
        let outWidth = (width + 2 * padding - kernel) / stride + 1
        var indices: [Int] = [], values: [Float] = []
        for plane in 0..<planes {
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    var best = -1
                    for y in (oy * stride - padding)..<(oy * stride - padding + kernel) where y >= 0 && y < height {
                        for xx in (ox * stride - padding)..<(ox * stride - padding + kernel) where xx >= 0 && xx < width {
                            let index = (plane * height + y) * width + xx
                            if best < 0 || x.scalars[index] > x.scalars[best] || x.scalars[index].isNaN { best = index }
                        }
                    }
                    indices.append(best)
                    values.append(x.scalars[best])
                }
            }
        }
        return (indices, values)
    }

    @Test(arguments: [(2, 2, 0), (3, 2, 0), (3, 1, 0), (2, 1, 0), (3, 3, 0), (3, 2, 1), (2, 2, 1)])
    func bothPathsMatchPyTorchsRule(_ kernel: Int, _ stride: Int, _ padding: Int) {
        // Widths 8 (whole vector blocks), 9, 19 and 37 (blocks and a remainder, an uncovered column).
        for (seed, shape) in [[2, 3, 8, 8], [1, 2, 9, 9], [2, 1, 7, 19], [1, 3, 6, 37]].enumerated() {
            let x = tiedInput(shape, seed: UInt64(seed + 1))
            let expected = reference(x, kernel: kernel, stride: stride, padding: padding)
            let recorded = x.requiringGradient().maxPool2d(kernel: kernel, stride: stride, padding: padding)
            #expect(recorded.scalars.map(\.bitPattern) == expected.values.map(\.bitPattern),
                    "values with winners, kernel \(kernel) stride \(stride) padding \(padding), shape \(shape)")
            let plain = withoutGradient { x.maxPool2d(kernel: kernel, stride: stride, padding: padding) }
            #expect(plain.scalars.map(\.bitPattern) == expected.values.map(\.bitPattern),
                    "values without winners, kernel \(kernel) stride \(stride) padding \(padding), shape \(shape)")

            // The gradient goes to the winners: a weight per output, scattered to its winner.
            let leaf = x.requiringGradient()
            let weights = Tensor(shape: recorded.shape, scalars: (0..<recorded.count).map { Float($0 % 7 + 1) })
            let dx = gradient(of: (leaf.maxPool2d(kernel: kernel, stride: stride, padding: padding) * weights).sum(),
                              withRespectTo: leaf)
            var expectedGradient = [Float](repeating: 0, count: x.count)
            for (output, index) in expected.indices.enumerated() { expectedGradient[index] += weights.scalars[output] }
            #expect(dx.scalars == expectedGradient,
                    "winners, kernel \(kernel) stride \(stride) padding \(padding), shape \(shape)")
        }
    }

    @Test func tiesGoToTheFirstAndZerosKeepTheirSign() {
        // One 2×2 window per case, in scan order: [top-left, top-right, bottom-left, bottom-right].
        let windows: [[Float]] = [[-0.0, 0, 0, -0.0], [0, -0.0, -0.0, 0], [-1, 0, -0.0, -1], [-1, -1, -0.0, 0],
                                  [2, 2, 2, 2], [1, 3, 3, 2], [.nan, 1, 2, 3], [1, .nan, 2, .nan]]
        // Lay the windows side by side: rows 0 and 1 of a 2 × 16 image.
        var values = [Float](repeating: 0, count: 2 * 16)
        for (k, w) in windows.enumerated() {
            (values[2 * k], values[2 * k + 1], values[16 + 2 * k], values[16 + 2 * k + 1]) = (w[0], w[1], w[2], w[3])
        }
        let x = Tensor(shape: [1, 1, 2, 16], scalars: values)
        let firstWinner = [0, 0, 1, 2, 0, 1, 0, 3]  // the scan position PyTorch picks in each window
        for pooled in [withoutGradient { x.maxPool2d(kernel: 2) }, x.requiringGradient().maxPool2d(kernel: 2)] {
            for (k, w) in windows.enumerated() {
                let winner = w[firstWinner[k]]
                #expect(pooled.scalars[k].bitPattern == winner.bitPattern || (pooled.scalars[k].isNaN && winner.isNaN),
                        "window \(w) pooled to \(pooled.scalars[k])")
            }
        }
    }
}
