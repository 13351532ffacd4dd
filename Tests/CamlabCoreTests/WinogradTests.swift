import Testing
@testable import CamlabCore

/// Winograd F(4×4, 3×3) (`winograd.c`), the path inference takes for 3×3 stride-1 convolutions
/// with enough channels and tiles: against the Double reference, with the bias, residual and
/// ReLU in its last write, the same bits on any number of threads, and chosen by a packed weight.
struct WinogradTests {
    /// Odd and even output sizes (a last tile half outside), paddings 0–2, channel counts that
    /// fill no 8-row micro-tile, batches whose tiles cross chunk boundaries mid-row and
    /// mid-image, one tile row, and a map wider than a block of 16 tiles.
    static let geometries: [ConvolutionGeometry] = [
        .init(batch: 3, inChannels: 16, inHeight: 9, inWidth: 11, outChannels: 16, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
        .init(batch: 4, inChannels: 19, inHeight: 8, inWidth: 8, outChannels: 21, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0),
        .init(batch: 5, inChannels: 17, inHeight: 7, inWidth: 6, outChannels: 24, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 2),
        .init(batch: 1, inChannels: 16, inHeight: 3, inWidth: 70, outChannels: 18, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
        .init(batch: 1, inChannels: 24, inHeight: 40, inWidth: 37, outChannels: 16, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
        .init(batch: 40, inChannels: 64, inHeight: 7, inWidth: 7, outChannels: 40, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
        // 588 tiles, more than one chunk of 432 (448 with 16-column kernels): a chunk ends
        // mid-image and mid-row.
        .init(batch: 3, inChannels: 64, inHeight: 56, inWidth: 56, outChannels: 64, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
        // One tile wide: outputs 2 and 1 columns wide.
        .init(batch: 2, inChannels: 16, inHeight: 40, inWidth: 2, outChannels: 16, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
        .init(batch: 3, inChannels: 16, inHeight: 30, inWidth: 3, outChannels: 17, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0),
        // Channels enough (C·K/(C + K) = 98) for the cores to share chunks, of 144 tiles (112
        // with 16-column kernels), and split their phases; 175 tiles, so a chunk ends mid-image
        // and mid-row.
        shared,
    ]

    /// The geometry of `geometries` the cores run in shared chunks; the others run in blocks of
    /// one core each.
    static let shared = ConvolutionGeometry(batch: 7, inChannels: 112, inHeight: 20, inWidth: 20, outChannels: 800,
                                            kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)

    /// A geometry the Tensor path runs as Winograd on every kernel path: channels enough for the
    /// products to pay, 8 tiles.
    static let scoring = ConvolutionGeometry(batch: 2, inChannels: 64, inHeight: 8, inWidth: 8, outChannels: 64,
                                             kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)

    /// w[r][a][p] = Σ_i |Aᵀ_ri G_ia Bᵀ_ip|: how much tap a and pixel p of a tile's row weigh in
    /// its output r along one axis (winograd.c has the matrices).
    static let transformWeight: [[[Double]]] = {
        let bt: [[Double]] = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                              [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]
        let sixth = 1.0 / 6, twelfth = 1.0 / 12, twentyFourth = 1.0 / 24
        let g: [[Double]] = [[0.25, 0, 0], [-sixth, -sixth, -sixth], [-sixth, sixth, -sixth],
                             [twentyFourth, twelfth, sixth], [twentyFourth, -twelfth, sixth], [0, 0, 1]]
        let at: [[Double]] = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]
        var w = [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: 0, count: 6), count: 3), count: 4)
        for r in 0..<4 {
            for a in 0..<3 {
                for p in 0..<6 {
                    for i in 0..<6 { w[r][a][p] += abs(at[r][i] * g[i][a] * bt[i][p]) }
                }
            }
        }
        return w
    }()

    /// Winograd's sums are not the direct ones: each output is Aᵀ[Σ_c U_c ⊙ V_c]A, whose terms
    /// pair every tap (a, b) of g_c with every pixel (p, q) of the tile's 6×6 patch d_c, weighted by
    /// w[r][a][p]·w[s][b][q] for output (r, s) of the tile. So its rounding error is at most about
    /// 2(C + 16)·eps · Σ_c Σ |g_c[a][b]| w w |d_c[p][q]|: C for the products' sum, 16 for the
    /// transforms' additions.
    static func bound(_ data: ConvolutionData) -> [Double] {
        let g = data.g, w = transformWeight
        var bound = [Double](repeating: 1e-30, count: data.outputCount)
        for n in 0..<g.batch {
            for c in 0..<g.inChannels {
                for ho in 0..<g.outHeight {
                    for wo in 0..<g.outWidth {
                        let (r, s, y0, x0) = (ho % 4, wo % 4, ho / 4 * 4 - g.padding, wo / 4 * 4 - g.padding)
                        var patch = [Double](repeating: 0, count: 9) // Σ_pq w w |d| for each tap (a, b)
                        for p in 0..<6 {
                            for q in 0..<6 {
                                let (y, x) = (y0 + p, x0 + q)
                                guard y >= 0, y < g.inHeight, x >= 0, x < g.inWidth else { continue }
                                let d = Double(abs(data.x[((n * g.inChannels + c) * g.inHeight + y) * g.inWidth + x]))
                                for a in 0..<3 { for b in 0..<3 { patch[a * 3 + b] += w[r][a][p] * w[s][b][q] * d } }
                            }
                        }
                        for o in 0..<g.outChannels {
                            let taps = data.w[((o * g.inChannels + c) * 9)...].prefix(9)
                            let term = zip(taps, patch).reduce(0.0) { $0 + Double(abs($1.0)) * $1.1 }
                            bound[((n * g.outChannels + o) * g.outHeight + ho) * g.outWidth + wo] +=
                                2 * Double(g.inChannels + 16) * eps * term
                        }
                    }
                }
            }
        }
        return bound
    }

    static func winograd(_ data: ConvolutionData, bias: [Float]? = nil, residual: [Float]? = nil,
                         relu: Bool = false) -> [Float] {
        let g = data.g
        var packed = [Float](repeating: .nan, count: Kernels.winogradWeightCount(outChannels: g.outChannels, inChannels: g.inChannels))
        Kernels.packWinogradWeights(data.w, outChannels: g.outChannels, inChannels: g.inChannels, into: &packed)
        var y = [Float](repeating: .nan, count: data.outputCount)
        let none: [Float] = []
        (bias ?? none).withUnsafeBufferPointer { b in
            (residual ?? none).withUnsafeBufferPointer { r in
                Kernels.winogradConvolution(input: data.x, packed: packed, output: &y, geometry: g,
                                            bias: bias == nil ? nil : b.baseAddress,
                                            residual: residual == nil ? nil : r.baseAddress, relu: relu)
            }
        }
        return y
    }

    @Test(arguments: geometries)
    func matchesTheReference(g: ConvolutionGeometry) {
        #expect(g.isWinogradShape)
        let data = ConvolutionData(g)
        let fast = Self.winograd(data)
        let reference = data.forward(data.x, data.w, reference: true)
        let bound = Self.bound(data)
        let errors = zip(zip(fast, reference), bound).map { Double(abs($0.0 - $0.1)) / $1 }
        // allSatisfy, not max(): an output left NaN must fail, and max() passes over NaN.
        #expect(errors.allSatisfy { $0 <= 1 }, "worst error \(errors.max() ?? .nan) of the bound")
        // Not vacuous: the bound is far below most values, so a wrong sum could not pass.
        #expect(zip(reference, bound).filter { Double(abs($0)) > 10 * $1 }.count > reference.count / 2)
    }

    /// (y + bias) + residual, then the ReLU, exactly as the direct kernels' last write does it.
    @Test(arguments: [geometries[0], geometries[5], shared])
    func fusesTheBiasTheResidualAndTheReLU(g: ConvolutionGeometry) {
        let data = ConvolutionData(g)
        let bias = randomValues(g.outChannels, seed: 21), residual = randomValues(data.outputCount, seed: 22)
        let plain = Self.winograd(data)
        let expected = plain.indices.map { index -> Float in
            let value = (plain[index] + bias[index / g.outPixels % g.outChannels]) + residual[index]
            return value > 0 ? value : 0
        }
        #expect(Self.winograd(data, bias: bias, residual: residual, relu: true) == expected)
        #expect(expected.contains(0) && expected.contains { $0 > 0 })
    }

    /// The cores split tiles, channels or ξ, never a sum: one thread gives the same bits, in
    /// either schedule.
    @Test(arguments: [geometries[6], shared])
    func givesTheSameBitsOnOneThread(g: ConvolutionGeometry) {
        let data = ConvolutionData(g)
        let parallel = Self.winograd(data)
        #expect(Kernels.workerCount > 1 || Kernels.processorCount == 1)
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 2)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        Kernels.concurrentPerform(iterations: 2) { index in
            #expect(Kernels.workerCount == 1)
            results[index] = Self.winograd(data)
        }
        #expect(results[0] == parallel && results[1] == parallel)
    }

    /// A packed weight runs Winograd in a scoring pass (`allowingWinograd`) where the geometry
    /// allows it, and the direct kernels otherwise: outside one, or with too few tiles, too few
    /// channels for the products to outweigh the transforms (tiny32's 16→32 and 32→64), stride 2.
    @Test func aPackedWeightChoosesWinogradInAScoringPassWhenTheGeometryAllows() {
        let g = Self.scoring
        #expect(g.runsWinograd)
        let data = ConvolutionData(g)
        let x = Tensor(shape: [g.batch, g.inChannels, g.inHeight, g.inWidth], scalars: data.x)
        let w = Tensor(shape: [g.outChannels, g.inChannels, 3, 3], scalars: data.w)
        let packed = PackedConvolutionWeight(weight: w, stride: 1, padding: 1, dilation: 1, groups: 1)
        let viaPacked = Kernels.allowingWinograd { withoutGradient { x.conv2d(weight: w, padding: 1, packed: packed) } }
        #expect(viaPacked.scalars == Self.winograd(data))
        let direct = withoutGradient { x.conv2d(weight: w, padding: 1) }
        #expect(withoutGradient { x.conv2d(weight: w, padding: 1, packed: packed) }.scalars == direct.scalars)
        #expect(direct.scalars != viaPacked.scalars) // a different sum…
        let bound = Self.bound(data)
        #expect(zip(zip(direct.scalars, viaPacked.scalars), bound).allSatisfy { Double(abs($0.0 - $0.1)) <= 2 * $1 }) // …as close

        let oneTile = ConvolutionGeometry(batch: 1, inChannels: 16, inHeight: 2, inWidth: 2, outChannels: 16,
                                          kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        #expect(oneTile.winogradTiles == 1 && !oneTile.runsWinograd)
        var narrow = g
        narrow.inChannels = 8
        #expect(!narrow.runsWinograd)
        for (c, k) in [(16, 32), (32, 64), (48, 48)] {
            var thin = g
            (thin.inChannels, thin.outChannels, thin.batch) = (c, k, 64)
            #expect(thin.isWinogradShape && !thin.runsWinograd, "\(c)→\(k)")
        }
        var wide = g
        (wide.inChannels, wide.outChannels) = (48, 96)
        #expect(wide.runsWinograd)
        var strided = g
        strided.stride = 2
        #expect(!strided.runsWinograd)
    }

    /// Where a direct sum overflows to +∞, Winograd's differences of infinities would give NaN
    /// (and a ReLU would turn it into 0, hiding the overflow), and a NaN in the input would spread
    /// over its whole tile: such a convolution is computed directly instead, and gives the direct
    /// kernels' bits.
    @Test func anOverflowingSumIsComputedDirectly() {
        let g = Self.scoring
        #expect(g.runsWinograd)
        let data = ConvolutionData(g)
        let huge = data.x.map { abs($0) * 3e38 }, w = data.w.map { abs($0) + 1 }
        let x = Tensor(shape: [g.batch, g.inChannels, g.inHeight, g.inWidth], scalars: huge)
        let weight = Tensor(shape: [g.outChannels, g.inChannels, 3, 3], scalars: w)
        let packed = PackedConvolutionWeight(weight: weight, stride: 1, padding: 1, dilation: 1, groups: 1)
        let scored = Kernels.allowingWinograd { withoutGradient { x.conv2dReLU(weight: weight, padding: 1, packed: packed) } }
        let direct = withoutGradient { x.conv2dReLU(weight: weight, padding: 1) }
        #expect(scored.scalars == direct.scalars)
        #expect(direct.scalars.contains(.infinity) && !direct.scalars.contains { $0.isNaN })
        // A NaN in the input likewise: the direct kernels' NaNs, in their places.
        var withNaN = data.x
        withNaN[withNaN.count / 2] = .nan
        let nanInput = Tensor(shape: x.shape, scalars: withNaN)
        let nanScored = Kernels.allowingWinograd { withoutGradient { nanInput.conv2d(weight: weight, padding: 1, packed: packed) } }
        let nanDirect = withoutGradient { nanInput.conv2d(weight: weight, padding: 1) }
        #expect(nanScored.scalars.map(\.bitPattern) == nanDirect.scalars.map(\.bitPattern))
        #expect(nanDirect.scalars.contains { $0.isNaN } && nanDirect.scalars.contains { !$0.isNaN })
    }
}
