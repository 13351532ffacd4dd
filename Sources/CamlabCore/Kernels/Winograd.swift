import CamlabKernels
import Dispatch
import Foundation

// Winograd F(4×4, 3×3) for the 3×3 stride-1 convolutions of scoring passes — predictions,
// evaluations, Score-CAM's masked images: `Network.classScores` (winograd.c has the
// maths): per chunk of tiles, the input transform V, 36 products M_ξ = U_ξ · V_ξ on the SGEMM with
// the weights U packed once, and the output transform with the bias, residual and ReLU in its
// write. A tile is 4×4 outputs; tiles run across the images of the batch so that a small map (a
// ResNet's 7×7 layer4) still gives the products enough columns.
//
// Why only scoring passes: Winograd's rounding error is relative to the whole 6×6 input patch of a
// tile, not to the 3×3 window of each output. After a ReLU, activations are sparse, and an output
// next to a large value can err a hundred times more than the direct sum — harmless in a class
// score, but not in the activations a method explains. Measured: XGrad-CAM at a BatchNorm of
// vgg11_bn (`TorchvisionReferenceTests`), a sum that nearly cancels, moved 2 % from
// pytorch-grad-cam with Winograd and agrees to 1e-4 without.

extension ConvolutionGeometry {
    /// Tile rows and columns of one output image (a tile is 4×4 outputs).
    var winogradTileGrid: (high: Int, wide: Int) {
        let tile = Int(CAMLAB_WINOGRAD_TILE)
        return ((outHeight + tile - 1) / tile, (outWidth + tile - 1) / tile)
    }

    /// Output tiles of the whole batch.
    public var winogradTiles: Int { batch * winogradTileGrid.high * winogradTileGrid.wide }

    /// A convolution `winogradConvolution` computes: 3×3, stride 1, no dilation, one group.
    public var isWinogradShape: Bool {
        kernelHeight == 3 && kernelWidth == 3 && stride == 1 && dilation == 1 && groups == 1
    }

    /// A Winograd shape on which Winograd is the faster path: enough tiles for the products' width
    /// (with fewer, each product is too thin for the SGEMM's micro-tile), and channels enough for
    /// the 36 products, C·K per tile, to outweigh the transforms, C + K per tile: C·K/(C + K) ≥ 32.
    /// Measured (BENCHMARKS.md), C = K = 64 runs 2.1–2.5 times as fast as the direct kernels, and
    /// tiny32's 16→32 and 32→64 run 0.67 and 0.93 times as fast. Only inference takes this path:
    /// its weights are transformed once.
    public var runsWinograd: Bool {
        isWinogradShape && inChannels * outChannels >= 32 * (inChannels + outChannels)
            && winogradTiles >= Kernels.winogradMinimumTiles
    }
}

extension Kernels {
    /// Whether inference convolutions may run as Winograd F(4×4, 3×3): set by `allowingWinograd`.
    @TaskLocal static var winogradAllowed = false

    /// Runs `body` with Winograd F(4×4, 3×3) allowed for the inference convolutions it runs that
    /// `runsWinograd` (with a packed weight): for forward passes whose only results are class
    /// scores (`Network.classScores`).
    public static func allowingWinograd<R>(_ body: () throws -> R) rethrows -> R {
        try $winogradAllowed.withValue(true, operation: body)
    }

    /// Fewest tiles for which `runsWinograd`, measured against the direct kernels (BENCHMARKS.md):
    /// a 7×7 map of one image (4 tiles) runs faster directly on both AVX-512 and AVX2, and of two
    /// images (8 tiles) 1.3 and 1.6 times faster as Winograd. `CAMLAB_WINOGRAD=0` turns the path
    /// off, for benchmarks.
    static let winogradMinimumTiles: Int = {
        if let setting = getenv("CAMLAB_WINOGRAD"), String(cString: setting) == "0" { return .max }
        return 8
    }()

    /// Floats of V and M per shared chunk: the chunk is as many tiles as fit, in whole micro-tiles.
    private static let winogradChunkFloats = 1 << 21

    /// Tiles of a block that one core takes through all three phases alone.
    private static let winogradBlockTiles = 96

    static func winogradWeightCount(outChannels: Int, inChannels: Int) -> Int {
        camlab_winograd_weights_size(outChannels, inChannels)
    }

    /// U_ξ = G g Gᵀ of an OIHW 3×3 weight, packed for the 36 products.
    static func packWinogradWeights(_ weight: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                                    into packed: UnsafeMutablePointer<Float>) {
        camlab_winograd_pack_weights(weight, outChannels, inChannels, packed)
    }

    /// y = conv2d(x, w) (+ bias) (+ residual), then max(0, ·) when `relu`, for a geometry of
    /// `isWinogradShape` (the Tensor path takes only those that `runsWinograd`), with w transformed
    /// by `packWinogradWeights`. Overwrites output. False, with the output unfinished, when a sum
    /// was not finite: the caller computes it directly instead.
    ///
    /// Per tile, the transforms write and read 36·(C + K) floats of V and M, and the products read
    /// the 36·C·K floats of the weights once per group of tiles that shares them. So the tiles run
    /// in one of two schedules, whichever moves less memory:
    /// - while C·K/(C + K) is at most a block (`winogradBlockTiles`), each core takes blocks of
    ///   tiles through all three phases alone: V and M stay in its own cache, and the weights it
    ///   reads once per block are no more than they are;
    /// - with more channels (a ResNet's 256 and 512), the cores share a chunk of at least
    ///   C·K/(C + K) tiles and split each phase: the input transform and the output transform by
    ///   channel, the products by ξ, so each core reads only its planes of the weights.
    /// A tile's sums are the same in either, on any number of cores.
    static func winogradConvolution(input: UnsafePointer<Float>, packed: UnsafePointer<Float>,
                                    output: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry,
                                    bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, relu: Bool) -> Bool {
        precondition(g.isWinogradShape, "winogradConvolution: \(g) is not a 3×3 stride-1 convolution of one group")
        let (tilesHigh, tilesWide) = g.winogradTileGrid
        let planes = Int(CAMLAB_WINOGRAD_PLANES)
        let (channels, outChannels, total) = (g.inChannels, g.outChannels, g.winogradTiles)
        var tileRows = 0, columns = 0
        camlab_sgemm_micro_tile(&tileRows, &columns)
        let roundedUp = { (tiles: Int) in (tiles + columns - 1) / columns * columns }
        let reuse = channels * outChannels / (channels + outChannels)
        let workers = 2 * 9 * outChannels * channels * g.outPixels >= parallelThreshold ? workerCount : 1
        let privateBlocks = reuse <= winogradBlockTiles
        let fitting = winogradChunkFloats / (planes * (channels + outChannels)) / columns * columns
        let chunk = min(privateBlocks ? winogradBlockTiles : max(fitting, roundedUp(reuse)), roundedUp(total))
        // Rows of V and M leave 16 columns of slack for the transforms' last block, and the planes
        // are offset so that the planes a transform touches do not share cache sets.
        let ld = chunk + 16
        let (vPlane, mPlane) = (channels * ld + 16, outChannels * ld + 16)
        let weightSize = camlab_sgemm_packed_a_size(outChannels, channels)
        let scratchSize = Int(camlab_winograd_scratch_size(tilesWide, chunk))
        // One V and M per core for private blocks, one shared otherwise; a scratch per core.
        let buffers = privateBlocks ? workers : 1, buffer = planes * (vPlane + mPlane)
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: buffers * buffer + workers * scratchSize)
        let finite = UnsafeMutableBufferPointer<Bool>.allocate(capacity: workers)
        finite.initialize(repeating: true)
        defer { storage.deallocate(); finite.deallocate() }
        let imageTiles = tilesHigh * tilesWide

        /// Calls `body(image, tileFirst, tileEnd, column)` for the part of tiles first..<end in
        /// each image, where `column` is the part's first column in the chunk.
        func forEachImage(_ first: Int, _ end: Int, _ body: (Int, Int, Int, Int) -> Void) {
            for n in (first / imageTiles)...((end - 1) / imageTiles) {
                let (low, high) = (max(first, n * imageTiles), min(end, (n + 1) * imageTiles))
                body(n, low - n * imageTiles, high - n * imageTiles, low - first)
            }
        }
        // The three phases of tiles first..<end, for some of the channels or of the ξ, with the
        // V and M at `v` and the scratch of `worker`.
        let scratch = { (worker: Int) in storage + buffers * buffer + worker * scratchSize }
        func transformInput(_ first: Int, _ end: Int, _ range: Range<Int>, _ v: UnsafeMutablePointer<Float>, _ worker: Int) {
            forEachImage(first, end) { n, tileFirst, tileEnd, column in
                camlab_winograd_input(input + n * g.inputImageSize, range.lowerBound, range.upperBound,
                                      g.inHeight, g.inWidth, g.padding, tilesWide, tileFirst, tileEnd, v + column,
                                      ld, vPlane, scratch(worker))
            }
        }
        func multiply(_ count: Int, _ range: Range<Int>, _ v: UnsafeMutablePointer<Float>) {
            let m = v + planes * vPlane
            for xi in range {
                let product = m + xi * mPlane
                camlab_sgemm_prepacked(outChannels, count, channels, packed + xi * weightSize, outChannels, 0,
                                       v + xi * vPlane, ld, product, ld, nil, nil, false)
                // The output transform reads these columns of its last block: zeros, not garbage.
                for k in 0..<outChannels { (product + k * ld + count).update(repeating: 0, count: 16) }
            }
        }
        func transformOutput(_ first: Int, _ end: Int, _ range: Range<Int>, _ v: UnsafeMutablePointer<Float>, _ worker: Int) {
            forEachImage(first, end) { n, tileFirst, tileEnd, column in
                let allFinite = camlab_winograd_output(v + planes * vPlane + column, ld, mPlane, range.lowerBound,
                                                       range.upperBound, tilesWide, tileFirst, tileEnd, g.outHeight,
                                                       g.outWidth, bias, residual.map { $0 + n * g.outputImageSize },
                                                       relu, output + n * g.outputImageSize, scratch(worker))
                finite[worker] = finite[worker] && allFinite
            }
        }

        func split(_ count: Int, _ body: (Int, Range<Int>) -> Void) {
            ParallelLoops.forEachChunk(of: count, workers: workers, body)
        }
        if privateBlocks {
            split(total) { worker, tiles in
                let v = storage + worker * buffer
                for first in stride(from: tiles.lowerBound, to: tiles.upperBound, by: chunk) {
                    let end = min(tiles.upperBound, first + chunk)
                    transformInput(first, end, 0..<channels, v, worker)
                    multiply(end - first, 0..<planes, v)
                    transformOutput(first, end, 0..<outChannels, v, worker)
                }
            }
            return finite.allSatisfy { $0 }
        }
        for first in stride(from: 0, to: total, by: chunk) {
            let end = min(total, first + chunk)
            split(channels) { worker, range in transformInput(first, end, range, storage, worker) }
            split(planes) { _, range in multiply(end - first, range, storage) }
            split(outChannels) { worker, range in transformOutput(first, end, range, storage, worker) }
            guard finite.allSatisfy({ $0 }) else { return false }
        }
        return true
    }
}
