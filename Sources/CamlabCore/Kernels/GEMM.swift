import CamlabKernels
import Dispatch
import Foundation

/// Fast numeric kernels: matrix multiply and 2-D convolution on raw buffers.
/// The tensor layer calls these; the lessons read `ReferenceConvolution.swift` for the maths.
public enum Kernels {}

extension Kernels {
    /// Below this many floating-point operations a GEMM runs on the calling thread:
    /// handing work to another thread costs more than it saves.
    static let parallelThreshold = 2_000_000

    /// Threads used by the parallel kernels: every core, or one inside `concurrentPerform`.
    static var workerCount: Int { isInsideConcurrentWork ? 1 : processorCount }

    /// The cores, counted once (on Linux `ProcessInfo` reads cgroup files on every call), or
    /// the environment's `CAMLAB_THREADS` when it is a positive number.
    public static let processorCount: Int = {
        if let text = ProcessInfo.processInfo.environment["CAMLAB_THREADS"], let threads = Int(text), threads > 0 {
            return threads
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    @TaskLocal private static var isInsideConcurrentWork = false

    /// Runs `body(0..<iterations)` spread over the cores, with every kernel it calls kept on its
    /// own thread: for independent pieces of work too small to split well one by one (Score-CAM's
    /// images: each runs small batches whose per-operation hand-offs would leave cores idle).
    /// The gradient mode of the caller, and whether it allows Winograd, hold inside `body`.
    public static func concurrentPerform(iterations: Int, _ body: (Int) -> Void) {
        let (recording, winograd) = (GradientMode.isEnabled, winogradAllowed)
        let run = { (index: Int) in
            $isInsideConcurrentWork.withValue(true) {
                GradientMode.$isEnabled.withValue(recording) { $winogradAllowed.withValue(winograd) { body(index) } }
            }
        }
        if workerCount == 1 || iterations < 2 {
            for index in 0..<iterations { body(index) }
        } else {
            DispatchQueue.concurrentPerform(iterations: iterations, execute: run)
        }
    }

    /// Name of the SGEMM micro-kernel chosen for this CPU, e.g. "avx512f 8x48".
    public static var gemmKernelName: String { String(cString: camlab_sgemm_kernel_name()) }

    /// The FLOP/s of fused multiply-adds every core sustains together with the chosen kernel's
    /// vectors (0 for the portable kernel): the measured peak benchmarks compare against.
    public static func measuredPeakFlops() -> Double {
        var perCore = [Double](repeating: 0, count: processorCount)
        perCore.withUnsafeMutableBufferPointer { peaks in
            let base = peaks.baseAddress!
            DispatchQueue.concurrentPerform(iterations: processorCount) { base[$0] = camlab_fma_peak_flops(100_000_000) }
        }
        return perCore.reduce(0, +)
    }

    /// C = op(A)·op(B) (+ C when accumulate). Row-major. op(A) is m×k: A is m×k with leading
    /// dimension lda, or k×m when transposeA. op(B) is k×n: B is k×n with leading dimension ldb,
    /// or n×k when transposeB. C is m×n with leading dimension ldc.
    ///
    /// Large products are split over the cores into blocks of C (or, when C is small and k long,
    /// into slices of the sum over k); each block runs the single-threaded packed C kernel.
    public static func gemm(m: Int, n: Int, k: Int,
                            a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                            b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                            c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative dimension")
        precondition(lda >= max(1, transposeA ? m : k), "gemm: lda too small")
        precondition(ldb >= max(1, transposeB ? k : n), "gemm: ldb too small")
        precondition(ldc >= max(1, n), "gemm: ldc too small")
        let workers = workerCount
        let flops = 2 * m * n * k
        // A long sum into a small C: split k instead, so that no thread packs the same operand
        // as another one (splitting C would have every thread pack all of A or all of B). Decided
        // by the shape alone, so the sums are the same on any number of cores.
        if flops >= parallelThreshold && k >= 4 * max(m, n) {
            gemmSplittingDepth(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA,
                               b: b, ldb: ldb, transposeB: transposeB,
                               c: c, ldc: ldc, accumulate: accumulate)
            return
        }
        if workers == 1 || flops < parallelThreshold {
            gemmOnCallingThread(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA,
                                b: b, ldb: ldb, transposeB: transposeB,
                                c: c, ldc: ldc, accumulate: accumulate)
            return
        }

        forEachBlockOfC(m: m, n: n, workers: workers) { splitColumns, first, end in
            if splitColumns {
                let bBlock = transposeB ? b + first * ldb : b + first
                gemmOnCallingThread(m: m, n: end - first, k: k,
                                    a: a, lda: lda, transposeA: transposeA,
                                    b: bBlock, ldb: ldb, transposeB: transposeB,
                                    c: c + first, ldc: ldc, accumulate: accumulate)
            } else {
                let aBlock = transposeA ? a + first : a + first * lda
                gemmOnCallingThread(m: end - first, n: n, k: k,
                                    a: aBlock, lda: lda, transposeA: transposeA,
                                    b: b, ldb: ldb, transposeB: transposeB,
                                    c: c + first * ldc, ldc: ldc, accumulate: accumulate)
            }
        }
    }

    /// Splits the longer side of C (m×n) into one block per worker, aligned to the micro-tile,
    /// and runs `body` on the blocks concurrently with the side split and the block's first and
    /// end row or column. One block per worker (not more) because every block packs its own copy
    /// of the other operand.
    private static func forEachBlockOfC(m: Int, n: Int, workers: Int,
                                        _ body: (_ splitColumns: Bool, _ first: Int, _ end: Int) -> Void) {
        var tileRows = 0, tileColumns = 0
        camlab_sgemm_micro_tile(&tileRows, &tileColumns)
        let rowTiles = (m + tileRows - 1) / tileRows
        let columnTiles = (n + tileColumns - 1) / tileColumns
        let splitColumns = columnTiles * tileColumns >= rowTiles * tileRows
        let tiles = splitColumns ? columnTiles : rowTiles
        let tileSize = splitColumns ? tileColumns : tileRows
        let blocks = min(workers, tiles)
        DispatchQueue.concurrentPerform(iterations: blocks) { block in
            let first = tiles * block / blocks * tileSize
            let end = min(tiles * (block + 1) / blocks * tileSize, splitColumns ? n : m)
            if first < end { body(splitColumns, first, end) }
        }
    }

    /// The single-threaded packed kernel, for callers that are already parallel.
    static func gemmOnCallingThread(m: Int, n: Int, k: Int,
                                    a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                                    b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                                    c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        camlab_sgemm(m, n, k, a, lda, transposeA, b, ldb, transposeB, c, ldc, accumulate)
    }

    /// Floats of an m×k A packed by `packA`.
    static func packedACount(m: Int, k: Int) -> Int { camlab_sgemm_packed_a_size(m, k) }

    /// Packs A (m×k, row-major) once for `gemm(m:n:k:packedA:…)`.
    static func packA(m: Int, k: Int, a: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>) {
        camlab_sgemm_pack_a(m, k, a, k, false, packed)
    }

    /// C = A·B with A (m×k) packed beforehand by `packA`, B k×n (leading dimension ldb), then
    /// C = max(0, (C + bias[row]) + residual) where given (residual laid out as C): a
    /// convolution's last write, done to each tile of C as it is computed. Split over the cores
    /// (when `parallel` and large) into blocks of C's rows or columns — never of the sum, so
    /// each block reads its part of the packed A in place and the sums are the same on any
    /// number of cores.
    static func gemm(m: Int, n: Int, k: Int, packedA: UnsafePointer<Float>,
                     b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                     bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, relu: Bool, parallel: Bool) {
        guard m > 0 && n > 0 else { return }
        let workers = parallel ? workerCount : 1
        guard workers > 1 && 2 * m * n * k >= parallelThreshold else {
            camlab_sgemm_prepacked(m, n, k, packedA, m, 0, b, ldb, c, ldc, bias, residual, relu)
            return
        }
        forEachBlockOfC(m: m, n: n, workers: workers) { splitColumns, first, end in
            if splitColumns {
                camlab_sgemm_prepacked(m, end - first, k, packedA, m, 0, b + first, ldb, c + first, ldc,
                                       bias, residual.map { $0 + first }, relu)
            } else {
                camlab_sgemm_prepacked(end - first, n, k, packedA, m, first, b, ldb, c + first * ldc, ldc,
                                       bias.map { $0 + first }, residual.map { $0 + first * ldc }, relu)
            }
        }
    }

    /// How many slices a long sum is cut into; fixed, not one per core (see `gemm`).
    static let depthSlices = 4

    /// Each of `depthSlices` slices of k is summed into its own m×n buffer (the first straight
    /// into C), concurrently; the buffers are then added to C in slice order, so results depend
    /// neither on timing nor on the number of cores.
    private static func gemmSplittingDepth(m: Int, n: Int, k: Int,
                                           a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                                           b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                                           c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        let slices = depthSlices
        let partialSums = UnsafeMutablePointer<Float>.allocate(capacity: (slices - 1) * m * n)
        defer { partialSums.deallocate() }
        let sum = { (slice: Int) in
            let first = k * slice / slices
            let end = k * (slice + 1) / slices
            let aSlice = transposeA ? a + first * lda : a + first
            let bSlice = transposeB ? b + first : b + first * ldb
            if slice == 0 {
                gemmOnCallingThread(m: m, n: n, k: end - first,
                                    a: aSlice, lda: lda, transposeA: transposeA,
                                    b: bSlice, ldb: ldb, transposeB: transposeB,
                                    c: c, ldc: ldc, accumulate: accumulate)
            } else {
                gemmOnCallingThread(m: m, n: n, k: end - first,
                                    a: aSlice, lda: lda, transposeA: transposeA,
                                    b: bSlice, ldb: ldb, transposeB: transposeB,
                                    c: partialSums + (slice - 1) * m * n, ldc: n, accumulate: false)
            }
        }
        if workerCount == 1 {
            for slice in 0..<slices { sum(slice) }
        } else {
            DispatchQueue.concurrentPerform(iterations: slices, execute: sum)
        }
        for slice in 1..<slices {
            let partial = partialSums + (slice - 1) * m * n
            for i in 0..<m {
                let row = c + i * ldc
                let partialRow = partial + i * n
                for j in 0..<n { row[j] += partialRow[j] }
            }
        }
    }
}
