import Testing
@testable import CamlabCore

// MARK: - Helpers

/// Deterministic values in [-1, 1).
func randomValues(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int32(truncatingIfNeeded: state >> 32)) / Float(Int32.max)
    }
}

let eps = Double(Float.ulpOfOne)

/// The largest of `errors`, a NaN (an output never written) counting as infinitely large:
/// `max()` passes over a NaN, so a check built on it would too.
func largestError<T: FloatingPoint>(_ errors: [T]) -> T {
    errors.reduce(0) { Swift.max($0, $1.isNaN ? .infinity : $1) }
}

// MARK: - GEMM

struct GEMMShape: CustomTestStringConvertible, Sendable {
    var m, n, k: Int
    var extraLeading = 0 // added to lda, ldb and ldc, to test rows wider than the matrix
    var testDescription: String { "\(m)×\(n)×\(k)+\(extraLeading)" }
}

/// Awkward shapes: single elements, sizes that are not multiples of any micro-tile (8×48, 6×16,
/// 4×16) or cache block, and shapes large enough (≥ 2 MFLOP) to take each parallel path:
/// split by columns, split by rows, split over k.
let gemmShapes: [GEMMShape] = [
    GEMMShape(m: 1, n: 1, k: 1),
    GEMMShape(m: 7, n: 13, k: 5),
    GEMMShape(m: 33, n: 65, k: 17, extraLeading: 3),
    GEMMShape(m: 9, n: 49, k: 300, extraLeading: 1), // k crosses the KC = 256 block
    GEMMShape(m: 130, n: 50, k: 3, extraLeading: 5), // m crosses the MC = 128 block
    GEMMShape(m: 64, n: 200, k: 100),                // parallel, split by columns
    GEMMShape(m: 290, n: 40, k: 100, extraLeading: 2), // parallel, split by rows
    GEMMShape(m: 8, n: 9, k: 40_000),                // parallel, split over k
]

@Test("gemm matches a Double triple loop", arguments: gemmShapes, [false, true])
func gemmMatchesNaive(shape: GEMMShape, accumulate: Bool) {
    let (m, n, k) = (shape.m, shape.n, shape.k)
    for transposeA in [false, true] {
        for transposeB in [false, true] {
            let lda = (transposeA ? m : k) + shape.extraLeading
            let ldb = (transposeB ? k : n) + shape.extraLeading
            let ldc = n + shape.extraLeading
            let a = randomValues((transposeA ? k : m) * lda, seed: 1)
            let b = randomValues((transposeB ? n : k) * ldb, seed: 2)
            let initialC = randomValues(m * ldc, seed: 3)
            var c = initialC
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        Kernels.gemm(m: m, n: n, k: k,
                                     a: a.baseAddress!, lda: lda, transposeA: transposeA,
                                     b: b.baseAddress!, ldb: ldb, transposeB: transposeB,
                                     c: c.baseAddress!, ldc: ldc, accumulate: accumulate)
                    }
                }
            }
            var worstRatio = 0.0
            var paddingUntouched = true
            for i in 0..<m {
                for j in 0..<ldc {
                    guard j < n else {
                        paddingUntouched = paddingUntouched && c[i * ldc + j] == initialC[i * ldc + j]
                        continue
                    }
                    var exact = accumulate ? Double(initialC[i * ldc + j]) : 0
                    var magnitude = abs(exact)
                    for p in 0..<k {
                        let aValue = Double(transposeA ? a[p * lda + i] : a[i * lda + p])
                        let bValue = Double(transposeB ? b[j * ldb + p] : b[p * ldb + j])
                        exact += aValue * bValue
                        magnitude += abs(aValue * bValue)
                    }
                    // Float summation of k products (in any order) errs by at most about
                    // (k + 1)·eps·Σ|a·b| (Higham, Accuracy and Stability, §3.1), plus the
                    // rounding of the accumulated C.
                    let bound = Double(k + 2) * eps * magnitude + 1e-30
                    worstRatio = max(worstRatio, abs(Double(c[i * ldc + j]) - exact) / bound)
                }
            }
            #expect(worstRatio <= 1, "transposeA \(transposeA) transposeB \(transposeB)")
            #expect(paddingUntouched, "gemm wrote past n in a row of C")
        }
    }
}

@Test func gemmWithEmptyDepthClearsOrKeepsC() {
    var c: [Float] = [1, 2, 3, 4]
    let a: [Float] = [0], b: [Float] = [0]
    Kernels.gemm(m: 2, n: 2, k: 0, a: a, lda: 1, transposeA: false, b: b, ldb: 2, transposeB: false,
                 c: &c, ldc: 2, accumulate: true)
    #expect(c == [1, 2, 3, 4])
    Kernels.gemm(m: 2, n: 2, k: 0, a: a, lda: 1, transposeA: false, b: b, ldb: 2, transposeB: false,
                 c: &c, ldc: 2, accumulate: false)
    #expect(c == [0, 0, 0, 0])
}

// MARK: - Convolution

extension ConvolutionGeometry: CustomTestStringConvertible {
    public var testDescription: String {
        "N\(batch) C\(inChannels) \(inHeight)×\(inWidth) O\(outChannels) k\(kernelHeight)×\(kernelWidth) s\(stride) p\(padding)"
            + (dilation > 1 ? " d\(dilation)" : "") + (groups > 1 ? " g\(groups)" : "")
    }
}

let convolutionGeometries: [ConvolutionGeometry] = [
    // 1×1, stride 1, no padding: the image is its own column matrix.
    .init(batch: 1, inChannels: 1, inHeight: 5, inWidth: 5, outChannels: 1, kernelHeight: 1, kernelWidth: 1, stride: 1, padding: 0),
    .init(batch: 3, inChannels: 4, inHeight: 6, inWidth: 3, outChannels: 5, kernelHeight: 1, kernelWidth: 1, stride: 1, padding: 0),
    .init(batch: 3, inChannels: 3, inHeight: 5, inWidth: 6, outChannels: 2, kernelHeight: 1, kernelWidth: 1, stride: 1, padding: 1),
    .init(batch: 1, inChannels: 5, inHeight: 6, inWidth: 7, outChannels: 6, kernelHeight: 1, kernelWidth: 1, stride: 2, padding: 0),
    .init(batch: 3, inChannels: 2, inHeight: 7, inWidth: 5, outChannels: 3, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
    .init(batch: 3, inChannels: 3, inHeight: 6, inWidth: 9, outChannels: 4, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),
    .init(batch: 3, inChannels: 6, inHeight: 4, inWidth: 4, outChannels: 7, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0),
    .init(batch: 1, inChannels: 3, inHeight: 3, inWidth: 4, outChannels: 2, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 2),
    .init(batch: 1, inChannels: 8, inHeight: 8, inWidth: 8, outChannels: 5, kernelHeight: 5, kernelWidth: 5, stride: 1, padding: 2),
    .init(batch: 3, inChannels: 4, inHeight: 9, inWidth: 7, outChannels: 8, kernelHeight: 5, kernelWidth: 5, stride: 2, padding: 2),
    .init(batch: 3, inChannels: 2, inHeight: 6, inWidth: 5, outChannels: 3, kernelHeight: 3, kernelWidth: 1, stride: 1, padding: 1),
    // Stride 1 runs the direct kernels: several position tiles, output channels that are not a
    // multiple of the 8-channel block or the 4-row weight-gradient tile, batches split in chunks,
    // an even kernel, a wide flat one, and a 1×1 kernel with padding.
    .init(batch: 2, inChannels: 3, inHeight: 32, inWidth: 32, outChannels: 16, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
    .init(batch: 7, inChannels: 16, inHeight: 17, inWidth: 13, outChannels: 21, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
    .init(batch: 3, inChannels: 7, inHeight: 10, inWidth: 10, outChannels: 11, kernelHeight: 2, kernelWidth: 2, stride: 1, padding: 0),
    .init(batch: 2, inChannels: 2, inHeight: 4, inWidth: 41, outChannels: 9, kernelHeight: 1, kernelWidth: 5, stride: 1, padding: 0),
    .init(batch: 2, inChannels: 5, inHeight: 6, inWidth: 7, outChannels: 3, kernelHeight: 3, kernelWidth: 2, stride: 1, padding: 1),
    .init(batch: 40, inChannels: 4, inHeight: 9, inWidth: 9, outChannels: 6, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 2),
    // Large enough (> 2 MFLOP per image) that batch 1 runs its GEMMs on both cores.
    .init(batch: 1, inChannels: 8, inHeight: 24, inWidth: 20, outChannels: 16, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
    // ResNet's shapes: the 7×7/2 stem with padding 3 (odd sizes; batch 1 with 64 channels is
    // large enough for parallel GEMMs) and the 1×1/2 downsample of a residual branch.
    .init(batch: 2, inChannels: 3, inHeight: 23, inWidth: 29, outChannels: 8, kernelHeight: 7, kernelWidth: 7, stride: 2, padding: 3),
    .init(batch: 1, inChannels: 3, inHeight: 32, inWidth: 32, outChannels: 64, kernelHeight: 7, kernelWidth: 7, stride: 2, padding: 3),
    .init(batch: 3, inChannels: 8, inHeight: 9, inWidth: 8, outChannels: 16, kernelHeight: 1, kernelWidth: 1, stride: 2, padding: 0),
    // Many channels: the direct kernels sum several calls of L1-sized channel runs into a tile,
    // at stride 1 and over the phases of stride 2 and 3 (a 3×3/3 kernel has phases of 1×1 taps).
    .init(batch: 1, inChannels: 96, inHeight: 9, inWidth: 11, outChannels: 12, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
    .init(batch: 2, inChannels: 80, inHeight: 13, inWidth: 12, outChannels: 10, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),
    .init(batch: 1, inChannels: 6, inHeight: 14, inWidth: 10, outChannels: 9, kernelHeight: 3, kernelWidth: 3, stride: 3, padding: 0),
    // A large kernel at a large stride: 256 phases of one tap each.
    .init(batch: 1, inChannels: 2, inHeight: 40, inWidth: 36, outChannels: 3, kernelHeight: 16, kernelWidth: 16, stride: 16, padding: 0),
] + dilatedGeometries + groupedGeometries

/// Dilation always builds im2col columns: stride 1 and 2, a non-square kernel, a dilation that
/// skips most of the padded input, and the same dilation with groups and a stride.
let dilatedGeometries: [ConvolutionGeometry] = [
    .init(batch: 2, inChannels: 3, inHeight: 9, inWidth: 8, outChannels: 4, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 2, dilation: 2),
    .init(batch: 3, inChannels: 2, inHeight: 11, inWidth: 10, outChannels: 3, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1, dilation: 2),
    .init(batch: 1, inChannels: 2, inHeight: 8, inWidth: 9, outChannels: 2, kernelHeight: 3, kernelWidth: 2, stride: 1, padding: 1, dilation: 3),
    .init(batch: 2, inChannels: 2, inHeight: 7, inWidth: 7, outChannels: 3, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0, dilation: 3),
    .init(batch: 2, inChannels: 4, inHeight: 9, inWidth: 9, outChannels: 6, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 2, dilation: 2, groups: 2),
]

/// Groups run each path once per group on slices of the channels: stride 1 (direct kernels, one
/// call per group), stride 2 (a GEMM per group on the image's column matrix), 1×1 (the image is
/// the column matrix), depthwise (one channel per group, and with two outputs per channel), groups
/// whose output channels fill neither an 8-channel block nor a 4-row weight-gradient tile, and
/// ResNeXt's grouped 3×3 convolutions: 32 groups of 4 of 128 channels, stride 1 and 2, batched
/// and single images large enough to spread their groups over the cores.
let groupedGeometries: [ConvolutionGeometry] = [
    .init(batch: 3, inChannels: 4, inHeight: 7, inWidth: 6, outChannels: 6, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1, groups: 2),
    .init(batch: 2, inChannels: 4, inHeight: 7, inWidth: 6, outChannels: 6, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1, groups: 2),
    .init(batch: 2, inChannels: 6, inHeight: 5, inWidth: 4, outChannels: 9, kernelHeight: 1, kernelWidth: 1, stride: 1, padding: 0, groups: 3),
    .init(batch: 1, inChannels: 4, inHeight: 7, inWidth: 7, outChannels: 4, kernelHeight: 1, kernelWidth: 1, stride: 2, padding: 0, groups: 2),
    .init(batch: 2, inChannels: 5, inHeight: 6, inWidth: 6, outChannels: 5, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1, groups: 5),
    .init(batch: 2, inChannels: 3, inHeight: 6, inWidth: 5, outChannels: 6, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1, groups: 3),
    .init(batch: 3, inChannels: 8, inHeight: 8, inWidth: 7, outChannels: 12, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0, groups: 4),
    .init(batch: 2, inChannels: 40, inHeight: 6, inWidth: 6, outChannels: 20, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1, groups: 2),
    .init(batch: 2, inChannels: 128, inHeight: 14, inWidth: 14, outChannels: 128, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1, groups: 32),
    .init(batch: 2, inChannels: 128, inHeight: 14, inWidth: 14, outChannels: 128, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1, groups: 32),
    .init(batch: 1, inChannels: 128, inHeight: 16, inWidth: 16, outChannels: 128, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1, groups: 32),
    .init(batch: 1, inChannels: 128, inHeight: 32, inWidth: 32, outChannels: 128, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1, groups: 32),
]

/// Buffers for one geometry: input, weight, output gradient, and their absolute values.
struct ConvolutionData {
    let g: ConvolutionGeometry
    let x, w, gy: [Float]
    var inputCount: Int { g.batch * g.inChannels * g.inHeight * g.inWidth }
    var weightCount: Int { g.outChannels * g.groupInChannels * g.kernelHeight * g.kernelWidth }
    var outputCount: Int { g.batch * g.outChannels * g.outHeight * g.outWidth }

    init(_ g: ConvolutionGeometry) {
        self.g = g
        x = randomValues(g.batch * g.inChannels * g.inHeight * g.inWidth, seed: 11)
        w = randomValues(g.outChannels * g.groupInChannels * g.kernelHeight * g.kernelWidth, seed: 12)
        gy = randomValues(g.batch * g.outChannels * g.outHeight * g.outWidth, seed: 13)
    }

    func forward(_ x: [Float], _ w: [Float], reference: Bool) -> [Float] {
        var y = [Float](repeating: .nan, count: outputCount)
        if reference { Kernels.referenceConv2d(input: x, weight: w, output: &y, geometry: g) }
        else { Kernels.conv2d(input: x, weight: w, output: &y, geometry: g) }
        return y
    }

    func inputGradient(_ gy: [Float], _ w: [Float], reference: Bool) -> [Float] {
        var dx = [Float](repeating: .nan, count: inputCount)
        if reference { Kernels.referenceConv2dInputGradient(outputGradient: gy, weight: w, inputGradient: &dx, geometry: g) }
        else { Kernels.conv2dInputGradient(outputGradient: gy, weight: w, inputGradient: &dx, geometry: g) }
        return dx
    }

    func weightGradient(_ x: [Float], _ gy: [Float], reference: Bool) -> [Float] {
        var dw = [Float](repeating: .nan, count: weightCount)
        if reference { Kernels.referenceConv2dWeightGradient(input: x, outputGradient: gy, weightGradient: &dw, geometry: g) }
        else { Kernels.conv2dWeightGradient(input: x, outputGradient: gy, weightGradient: &dw, geometry: g) }
        return dw
    }
}

func absolute(_ values: [Float]) -> [Float] { values.map(abs) }

/// Largest |fast − reference| / bound over the elements. Both results are Float sums of the same
/// `terms` products in different orders; each errs by at most about terms·eps·Σ|products| from the
/// exact sum, and Σ|products| is the same kernel applied to |inputs| (the `magnitude` array).
func worstErrorRatio(_ fast: [Float], _ reference: [Float], magnitude: [Float], terms: Int) -> Double {
    largestError(zip(zip(fast, reference), magnitude).map { pair, magnitude in
        let bound = 2 * Double(terms + 1) * eps * Double(magnitude) + 1e-30
        return Double(abs(pair.0 - pair.1)) / bound
    })
}

@Test("conv2d matches the reference", arguments: convolutionGeometries)
func conv2dMatchesReference(g: ConvolutionGeometry) {
    let data = ConvolutionData(g)
    let fast = data.forward(data.x, data.w, reference: false)
    let reference = data.forward(data.x, data.w, reference: true)
    let magnitude = data.forward(absolute(data.x), absolute(data.w), reference: true)
    #expect(worstErrorRatio(fast, reference, magnitude: magnitude, terms: g.groupInChannels * g.kernelHeight * g.kernelWidth) <= 1)
}

@Test("conv2dInputGradient matches the reference", arguments: convolutionGeometries)
func inputGradientMatchesReference(g: ConvolutionGeometry) {
    let data = ConvolutionData(g)
    let fast = data.inputGradient(data.gy, data.w, reference: false)
    let reference = data.inputGradient(data.gy, data.w, reference: true)
    let magnitude = data.inputGradient(absolute(data.gy), absolute(data.w), reference: true)
    #expect(worstErrorRatio(fast, reference, magnitude: magnitude, terms: g.groupOutChannels * g.kernelHeight * g.kernelWidth) <= 1)
}

@Test("conv2dWeightGradient matches the reference", arguments: convolutionGeometries)
func weightGradientMatchesReference(g: ConvolutionGeometry) {
    let data = ConvolutionData(g)
    let fast = data.weightGradient(data.x, data.gy, reference: false)
    let reference = data.weightGradient(data.x, data.gy, reference: true)
    let magnitude = data.weightGradient(absolute(data.x), absolute(data.gy), reference: true)
    #expect(worstErrorRatio(fast, reference, magnitude: magnitude, terms: g.batch * g.outHeight * g.outWidth) <= 1)
}

func dot(_ u: [Float], _ v: [Float]) -> Double {
    zip(u, v).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

/// ⟨conv(x, w), g⟩ = ⟨x, convInputGrad(g, w)⟩ = ⟨w, convWeightGrad(x, g)⟩: all three are the same
/// triple sum Σ w·x·g, so they may differ only by the rounding of the inner Float sums, at most
/// about terms·eps·Σ|w·x·g| for the longest inner sum.
@Test("the gradients are the adjoints of conv2d", arguments: convolutionGeometries)
func adjointIdentities(g: ConvolutionGeometry) {
    let data = ConvolutionData(g)
    let forwardPairing = dot(data.forward(data.x, data.w, reference: false), data.gy)
    let inputPairing = dot(data.x, data.inputGradient(data.gy, data.w, reference: false))
    let weightPairing = dot(data.w, data.weightGradient(data.x, data.gy, reference: false))
    let magnitude = dot(data.forward(absolute(data.x), absolute(data.w), reference: true), absolute(data.gy))
    let longestSum = max(g.groupInChannels, g.groupOutChannels) * g.kernelHeight * g.kernelWidth
        + g.batch * g.outHeight * g.outWidth
    let bound = 2 * Double(longestSum) * eps * magnitude
    #expect(abs(forwardPairing - inputPairing) <= bound)
    #expect(abs(forwardPairing - weightPairing) <= bound)
}

@Test func outputSizeFollowsPyTorch() {
    let g = ConvolutionGeometry(batch: 1, inChannels: 1, inHeight: 7, inWidth: 6, outChannels: 1,
                                kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1)
    #expect(g.outHeight == 4) // ⌊(7 + 2 − 3) / 2⌋ + 1
    #expect(g.outWidth == 3)  // ⌊(6 + 2 − 3) / 2⌋ + 1
    let dilated = ConvolutionGeometry(batch: 1, inChannels: 1, inHeight: 11, inWidth: 8, outChannels: 1,
                                      kernelHeight: 3, kernelWidth: 2, stride: 2, padding: 1, dilation: 3)
    #expect(dilated.outHeight == 4) // ⌊(11 + 2 − 3·2 − 1) / 2⌋ + 1
    #expect(dilated.outWidth == 4)  // ⌊(8 + 2 − 3·1 − 1) / 2⌋ + 1
}

// MARK: - Batched products

@Test func batchedProductWithOneRightHandMatrixEqualsProductPerMatrix() {
    let a = Tensor(shape: [2, 3, 5, 4], scalars: randomValues(120, seed: 40))
    let b = Tensor(shape: [4, 6], scalars: randomValues(24, seed: 41))
    let product = a.matmul(b)
    #expect(product.shape == [2, 3, 5, 6])
    for batch in 0..<6 {
        let slice = Tensor(shape: [5, 4], scalars: Array(a.scalars[(batch * 20)..<((batch + 1) * 20)]))
        #expect(Array(product.scalars[(batch * 30)..<((batch + 1) * 30)]) == slice.matmul(b).scalars, "batch \(batch)")
    }
}

// MARK: - Broadcasting

@Test func broadcastingBothOperandsEqualsMultiplyingTheExpandedOnes() {
    // An image [1, 3, H, W] times masks [M, 1, H, W], as Score-CAM does: rows of both operands.
    let image = Tensor(shape: [1, 3, 4, 5], scalars: randomValues(60, seed: 42))
    let masks = Tensor(shape: [2, 1, 4, 5], scalars: randomValues(40, seed: 43))
    let expanded = image.expanded(to: [2, 3, 4, 5]) * masks.expanded(to: [2, 3, 4, 5])
    #expect((image * masks).scalars == expanded.scalars)
    #expect((masks - image).scalars == (masks.expanded(to: [2, 3, 4, 5]) - image.expanded(to: [2, 3, 4, 5])).scalars)
}

// MARK: - Concurrent work

/// Inside `Kernels.concurrentPerform` every kernel stays on its thread, the caller's gradient mode
/// holds, and each iteration runs once; the kernels give the same values as outside.
@Test func concurrentWorkKeepsKernelsOnOneThreadAndTheGradientMode() {
    let g = ConvolutionGeometry(batch: 4, inChannels: 3, inHeight: 12, inWidth: 12, outChannels: 8,
                                kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
    let data = ConvolutionData(g)
    let outside = data.forward(data.x, data.w, reference: false)
    let count = 6
    var workers = [Int](repeating: 0, count: count)
    var recording = [Bool](repeating: true, count: count)
    var outputs = [[Float]](repeating: [], count: count)
    workers.withUnsafeMutableBufferPointer { workers in
        recording.withUnsafeMutableBufferPointer { recording in
            outputs.withUnsafeMutableBufferPointer { outputs in
                withoutGradient {
                    Kernels.concurrentPerform(iterations: count) { index in
                        workers[index] = Kernels.workerCount
                        recording[index] = GradientMode.isRecording
                        outputs[index] = data.forward(data.x, data.w, reference: false)
                    }
                }
            }
        }
    }
    #expect(workers.allSatisfy { $0 == 1 })
    #expect(recording.allSatisfy { !$0 })
    #expect(outputs.allSatisfy { $0 == outside })
}
