/// Keeps freed tensor memory in the process for reuse.
///
/// A forward pass, a training step or a batch of explanations allocates and frees the same
/// few-megabyte arrays again and again. glibc serves blocks that large with `mmap` and returns
/// them to the kernel on `free`, so every step paid for fresh zeroed pages (page faults were a
/// fifth of the time of an epoch, and a quarter of a ResNet-18 forward pass). Raising the mmap
/// and trim thresholds lets `malloc` hand the same memory out again.
public enum AllocatorTuning {
    /// Sets the thresholds the first time it is called (by every run of a network's program);
    /// later calls cost nothing.
    public static func keepFreedMemoryForReuse() { _ = applied }

    private static let applied: Void = {
        #if os(Linux)
        // <malloc.h> is not part of the Glibc module: M_TRIM_THRESHOLD is -1, M_MMAP_THRESHOLD -3.
        _ = glibcMallopt(-3, 32 << 20)  // glibc's largest allowed mmap threshold
        _ = glibcMallopt(-1, 512 << 20)
        #endif
    }()
}

#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
