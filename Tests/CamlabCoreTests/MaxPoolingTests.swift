import Testing
import CamlabCore

/// Max pooling's fast paths (the vectorized 2×2 rows, the inference path without winners) against
/// a plain transcription of PyTorch's rule: scan the window row by row; a value replaces the
/// running maximum when it is larger or NaN. Inputs are full of ties (few distinct levels, +0 and
/// −0), NaNs and infinities, on sizes that leave partial vector blocks and uncovered edges, with
/// padding, dilation and ceil-mode windows hanging over the edges.
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

    /// PyTorch's `pooling_output_shape`: ⌊ ⌋ or ⌈ ⌉ of (size + 2p − d(k − 1) − 1) / s, plus one;
    /// in ceil mode one less if the last window would start at or past size + p.
    func outputSize(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool) -> Int {
        let numerator = size + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)
        var output = Int((Double(numerator) / Double(stride)).rounded(.down)) + 1
        if ceilMode && (output - 1) * stride >= size + padding { output -= 1 }
        return output
    }

    /// PyTorch's max_pool2d, one window at a time: each output's flat input position and value.
    func reference(_ x: Tensor, kernel: Int, stride: Int, padding: Int, dilation: Int = 1,
                   ceilMode: Bool = false) -> (indices: [Int], values: [Float]) {
        let (planes, height, width) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        let outHeight = outputSize(height, kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
        let outWidth = outputSize(width, kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
        var indices: [Int] = [], values: [Float] = []
        for plane in 0..<planes {
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    var best = -1
                    let rows = (0..<kernel).map { oy * stride - padding + $0 * dilation }
                    let columns = (0..<kernel).map { ox * stride - padding + $0 * dilation }
                    for y in rows where y >= 0 && y < height {
                        for xx in columns where xx >= 0 && xx < width {
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

    /// (kernel, stride, padding, dilation, ceil mode): unpadded windows (the fast paths), padding,
    /// ceil mode with and without windows over the edge (2×2 on the even width 8 keeps its
    /// vectorized rows), dilation.
    static let poolings: [(Int, Int, Int, Int, Bool)] = [
        (2, 2, 0, 1, false), (3, 2, 0, 1, false), (3, 1, 0, 1, false), (2, 1, 0, 1, false), (3, 3, 0, 1, false),
        (3, 2, 1, 1, false), (2, 2, 1, 1, false),
        (2, 2, 0, 1, true), (3, 2, 0, 1, true), (3, 2, 1, 1, true), (2, 2, 1, 1, true), (4, 3, 2, 1, true),
        (3, 1, 1, 2, false), (2, 2, 0, 2, false), (2, 2, 0, 2, true), (3, 2, 1, 2, true),
    ]

    @Test(arguments: poolings)
    func bothPathsMatchPyTorchsRule(_ kernel: Int, _ stride: Int, _ padding: Int, _ dilation: Int, _ ceilMode: Bool) {
        let pooling = "kernel \(kernel) stride \(stride) padding \(padding) dilation \(dilation) ceil \(ceilMode)"
        func pool(_ x: Tensor) -> Tensor {
            x.maxPool2d(kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
        }
        // Widths 8 (whole vector blocks), 9, 19 and 37 (blocks and a remainder, an uncovered column).
        for (seed, shape) in [[2, 3, 8, 8], [1, 2, 9, 9], [2, 1, 7, 19], [1, 3, 6, 37]].enumerated() {
            let x = tiedInput(shape, seed: UInt64(seed + 1))
            let expected = reference(x, kernel: kernel, stride: stride, padding: padding, dilation: dilation,
                                     ceilMode: ceilMode)
            let recorded = pool(x.requiringGradient())
            #expect(recorded.scalars.map(\.bitPattern) == expected.values.map(\.bitPattern),
                    "values with winners, \(pooling), shape \(shape)")
            let plain = withoutGradient { pool(x) }
            #expect(plain.scalars.map(\.bitPattern) == expected.values.map(\.bitPattern),
                    "values without winners, \(pooling), shape \(shape)")

            // The gradient goes to the winners: a weight per output, scattered to its winner.
            let leaf = x.requiringGradient()
            let weights = Tensor(shape: recorded.shape, scalars: (0..<recorded.count).map { Float($0 % 7 + 1) })
            let dx = gradient(of: (pool(leaf) * weights).sum(), withRespectTo: leaf)
            var expectedGradient = [Float](repeating: 0, count: x.count)
            for (output, index) in expected.indices.enumerated() { expectedGradient[index] += weights.scalars[output] }
            #expect(dx.scalars == expectedGradient, "winners, \(pooling), shape \(shape)")
        }
    }

    @Test func windowsThatReadOnlyPaddingAreRejected() async {
        // Kernel 2, padding 1, dilation 3 on 2 rows: the first window's taps are rows −1 and 2.
        // (PyTorch returns −∞ there with an index outside the window.)
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([1, 1, 2, 2]).maxPool2d(kernel: 2, stride: 1, padding: 1, dilation: 3)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("a window of input [1, 1, 2, 2] reads only padding"))
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
