import Testing
import CamlabCore

/// Average and adaptive average pooling against plain transcriptions of PyTorch's CPU loops
/// (`AvgPoolKernel.cpp`, `AdaptiveAvgPoolKernel.cpp`), values and gradients, over every
/// combination of kernel, stride, padding, ceil mode and divisor rule on small odd and even
/// sizes, and adaptive sizes smaller than, equal to and larger than the input. The reference sums
/// in Double, so the tolerance is a few Float roundings of the window's magnitude.
struct AveragePoolingTests {
    func input(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return Tensor.uniform(shape, low: -1, high: 1, generator: &generator)
    }

    /// Output positions of a pooling along `size` in PyTorch's `pooling_output_shape` (no dilation).
    func outputSize(_ size: Int, kernel: Int, stride: Int, padding: Int, ceilMode: Bool) -> Int {
        let numerator = size + 2 * padding - kernel + (ceilMode ? stride - 1 : 0)
        var output = Int((Double(numerator) / Double(stride)).rounded(.down)) + 1
        if ceilMode && (output - 1) * stride >= size + padding { output -= 1 }
        return output
    }

    /// PyTorch's avg_pool2d, one window at a time, for one plane of height × width: the outputs,
    /// and each output's window and divisor (for the gradient).
    func referenceAverage(_ x: [Float], height: Int, width: Int, kernel: Int, stride: Int, padding: Int,
                          ceilMode: Bool, countIncludingPadding: Bool)
        -> (values: [Double], windows: [(rows: Range<Int>, columns: Range<Int>, divisor: Int)]) {
        let outHeight = outputSize(height, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
        let outWidth = outputSize(width, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
        var values: [Double] = [], windows: [(rows: Range<Int>, columns: Range<Int>, divisor: Int)] = []
        for oh in 0..<outHeight {
            for ow in 0..<outWidth {
                var (ih0, iw0) = (oh * stride - padding, ow * stride - padding)
                var (ih1, iw1) = (min(ih0 + kernel, height + padding), min(iw0 + kernel, width + padding))
                let poolSize = (ih1 - ih0) * (iw1 - iw0)
                (ih0, iw0, ih1, iw1) = (max(ih0, 0), max(iw0, 0), min(ih1, height), min(iw1, width))
                let divisor = countIncludingPadding ? poolSize : (ih1 - ih0) * (iw1 - iw0)
                var sum = 0.0
                for ih in ih0..<ih1 { for iw in iw0..<iw1 { sum += Double(x[ih * width + iw]) } }
                values.append(sum / Double(divisor))
                windows.append((ih0..<ih1, iw0..<iw1, divisor))
            }
        }
        return (values, windows)
    }

    /// Compares values and the gradient of Σ weights ⊙ y with the windows' own: each output sends
    /// its weight / divisor to every input of its window.
    func expectAgreement(_ x: Tensor, _ pool: (Tensor) -> Tensor,
                         _ reference: ([Float]) -> (values: [Double], windows: [(rows: Range<Int>, columns: Range<Int>, divisor: Int)]),
                         _ name: String) {
        let leaf = x.requiringGradient()
        let y = pool(leaf)
        let weights = Tensor(shape: y.shape, scalars: (0..<y.count).map { Float($0 % 5) - 1.5 })
        let dx = gradient(of: (y * weights).sum(), withRespectTo: leaf)
        let (height, width) = (x.shape[2], x.shape[3])
        let plane = height * width
        var values: [Double] = [], expectedGradient = [Double](repeating: 0, count: x.count)
        for p in 0..<(x.shape[0] * x.shape[1]) {
            let expected = reference(Array(x.scalars[(p * plane)..<((p + 1) * plane)]))
            for (k, window) in expected.windows.enumerated() {
                let weight = Double(weights.scalars[values.count + k]) / Double(window.divisor)
                for ih in window.rows { for iw in window.columns { expectedGradient[p * plane + ih * width + iw] += weight } }
            }
            values += expected.values
        }
        #expect(y.count == values.count, "\(name): \(y.count) outputs, PyTorch's loop gives \(values.count)")
        guard y.count == values.count else { return }
        let valueError = largestError(zip(y.scalars, values).map { Swift.abs(Double($0) - $1) })
        let gradientError = largestError(zip(dx.scalars, expectedGradient).map { Swift.abs(Double($0) - $1) })
        #expect(valueError < 1e-6, "\(name): values off by \(valueError)")
        #expect(gradientError < 1e-5, "\(name): gradient off by \(gradientError)")
    }

    @Test(arguments: 1...4, 1...3)
    func averagePoolingMatchesPyTorchsLoop(kernel: Int, stride: Int) {
        for (seed, (height, width)) in [(5, 7), (6, 4), (4, 9), (2, 3)].enumerated() {
            let x = input([2, 2, height, width], seed: UInt64(seed * 10 + kernel * 3 + stride))
            for padding in 0...(kernel / 2) {
                for ceilMode in [false, true] {
                    guard outputSize(height, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode) >= 1,
                          outputSize(width, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode) >= 1
                    else { continue }
                    for counted in [true, false] {
                        expectAgreement(x, {
                            $0.avgPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode,
                                         countIncludingPadding: counted)
                        }, {
                            referenceAverage($0, height: height, width: width, kernel: kernel, stride: stride,
                                             padding: padding, ceilMode: ceilMode, countIncludingPadding: counted)
                        }, "avgPool2d k\(kernel) s\(stride) p\(padding) ceil \(ceilMode) counted \(counted) on \(height)×\(width)")
                    }
                }
            }
        }
    }

    /// PyTorch's adaptive_avg_pool2d: bin i of `count` over `size` is ⌊i·size/count⌋ ..< ⌈(i+1)·size/count⌉.
    func adaptiveBin(_ i: Int, size: Int, count: Int) -> Range<Int> {
        let start = Int((Double(i * size) / Double(count)).rounded(.down))
        let end = Int((Double((i + 1) * size) / Double(count)).rounded(.up))
        return start..<end
    }

    @Test(arguments: [(7, 6), (4, 5), (1, 3), (9, 9)])
    func adaptivePoolingMatchesPyTorchsLoop(height: Int, width: Int) {
        let x = input([2, 3, height, width], seed: UInt64(height * 31 + width))
        for (outHeight, outWidth) in [(1, 1), (2, 3), (3, 4), (height, width), (7, 7), (height + 3, 2 * width + 1)] {
            expectAgreement(x, { $0.adaptiveAveragePooled(height: outHeight, width: outWidth) }, { plane in
                var values: [Double] = [], windows: [(rows: Range<Int>, columns: Range<Int>, divisor: Int)] = []
                for i in 0..<outHeight {
                    for j in 0..<outWidth {
                        let (rows, columns) = (adaptiveBin(i, size: height, count: outHeight), adaptiveBin(j, size: width, count: outWidth))
                        var sum = 0.0
                        for ih in rows { for iw in columns { sum += Double(plane[ih * width + iw]) } }
                        values.append(sum / Double(rows.count * columns.count))
                        windows.append((rows, columns, rows.count * columns.count))
                    }
                }
                return (values, windows)
            }, "adaptiveAveragePooled \(outHeight)×\(outWidth) of \(height)×\(width)")
        }
    }

    @Test func adaptivePoolingToOneByOneIsGlobalAveragePooling() {
        let x = input([2, 5, 7, 3], seed: 7)
        let pooled = x.adaptiveAveragePooled(height: 1, width: 1)
        #expect(pooled.shape == [2, 5, 1, 1])
        #expect(pooled.scalars.map(\.bitPattern) == x.globalAveragePooled().scalars.map(\.bitPattern))
        #expect(x.adaptiveAveragePooled(height: 7, width: 3).scalars == x.scalars)
    }

    /// Separable sums touch only the windows: an infinity or NaN reaches its own windows, as in
    /// PyTorch (a product with a pooling matrix would turn 0·∞ into NaN across the whole row).
    @Test func nonFiniteValuesStayInTheirWindows() {
        var values = [Float](repeating: 1, count: 36)
        values[0] = .infinity
        values[35] = .nan
        let x = Tensor(shape: [1, 1, 6, 6], scalars: values)
        let averaged = x.avgPool2d(kernel: 2)
        #expect(averaged.scalars[0] == .infinity && averaged.scalars[8].isNaN)
        #expect(averaged.scalars[1...7].allSatisfy { $0 == 1 })
        let adaptive = x.adaptiveAveragePooled(height: 2, width: 4)
        #expect(adaptive.scalars[0] == .infinity && adaptive.scalars[7].isNaN)
        #expect(adaptive.scalars[1...6].allSatisfy { $0 == 1 })
    }
}
