import Dispatch

/// Splitting large element-wise loops over the cores.
///
/// Work is cut into one contiguous chunk per core, always the same way for the same size, so
/// results never depend on timing (element-wise loops write disjoint outputs; nothing is summed
/// across chunks).
enum ParallelLoops {
    /// Below this many elements a loop stays on the calling thread: waking another thread costs
    /// a few microseconds, as much as a pass over this many floats.
    static let threshold = 1 << 15

    /// Calls `body` on chunks of `0..<count` that together cover it, concurrently when
    /// `count · weight` (elements touched) is large.
    @inline(__always)
    static func forEachChunk(of count: Int, weight: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = Kernels.workerCount
        if workers == 1 || count < 2 || count * weight < threshold {
            body(0..<count)
            return
        }
        let chunks = min(workers, count)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            body((count * chunk / chunks)..<(count * (chunk + 1) / chunks))
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
