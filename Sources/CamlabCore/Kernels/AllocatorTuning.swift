/// Keeps freed tensor memory in the process for reuse.
///
/// A forward pass, a training step or a batch of explanations allocates and frees the same
/// few-megabyte arrays again and again. glibc serves blocks that large with `mmap` and returns
/// them to the kernel on `free`, so every step paid for fresh zeroed pages (page faults were a
/// fifth of the time of an epoch, and a quarter of a ResNet-18 forward pass). Serving every block
/// from the heap, and raising the trim threshold, lets `malloc` hand the same memory out again.
/// Raising the mmap threshold instead stops at glibc's ceiling of 32 MB, below a batch of
/// ResNet activations (a Score-CAM batch's stem output is 205 MB): with those served by mmap, a
/// ResNet-18 Score-CAM spent 2.2–2.5 s of system time on fresh pages; from the heap, 0.4–0.5 s.
public enum AllocatorTuning {
    /// Sets the thresholds the first time it is called (by every run of a network's program);
    /// later calls cost nothing.
    public static func keepFreedMemoryForReuse() { _ = applied }

    private static let applied: Void = {
        #if os(Linux)
        // <malloc.h> is not part of the Glibc module: M_TRIM_THRESHOLD is -1, M_MMAP_MAX -4.
        _ = glibcMallopt(-4, 0)          // M_MMAP_MAX: no block is served by mmap…
        _ = glibcMallopt(-1, 512 << 20)  // …and up to 512 MB of freed heap stays for reuse
        #endif
    }()
}

#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
