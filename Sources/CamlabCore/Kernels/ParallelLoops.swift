import Dispatch

/// Splitting loops over the cores: large element-wise loops, and the kernels' images, groups,
/// channels and Winograd's ξ.
///
/// Work is cut into one contiguous chunk per core, always the same way for the same size, so
/// results never depend on timing (the chunks write disjoint outputs; nothing is summed across
/// chunks).
enum ParallelLoops {
    /// Below this many elements a loop stays on the calling thread: waking another thread costs
    /// a few microseconds, as much as a pass over this many floats.
    static let threshold = 1 << 15

    /// Calls `body` on chunks of `0..<count` that together cover it, concurrently when
    /// `count · weight` (elements touched) is large.
    @inline(__always)
    static func forEachChunk(of count: Int, weight: Int = 1, _ body: (Range<Int>) -> Void) {
        forEachChunk(of: count, workers: count * weight < threshold ? 1 : Kernels.workerCount) { _, chunk in body(chunk) }
    }

    /// Calls `body(worker, chunk)` on `min(workers, count)` contiguous chunks of `0..<count` (one,
    /// perhaps empty, when that is at most 1), concurrently when there are several; chunk i is
    /// always the same range, and `worker` = i picks a buffer of its own.
    @inline(__always)
    static func forEachChunk(of count: Int, workers: Int, _ body: (_ worker: Int, _ chunk: Range<Int>) -> Void) {
        let chunks = min(workers, count)
        guard chunks > 1 else { return body(0, 0..<count) }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            body(chunk, (count * chunk / chunks)..<(count * (chunk + 1) / chunks))
        }
    }

    /// A new array of `count` floats whose chunks `body` fills (it gets the chunk and the array's
    /// first element).
    @inline(__always)
    static func filledArray(count: Int, _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            if let base = out.baseAddress { forEachChunk(of: count) { body($0, base) } }
            initialized = count
        }
    }
}
