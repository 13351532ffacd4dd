/// Bounds-checked little-endian reads from a file's bytes.
///
/// The readers work on the bytes of a memory-mapped file without copying them, and the raw
/// buffer's own subscript checks bounds only in debug builds; so every read an offset from the
/// file decides goes through here, and a read outside the bytes returns nil instead of reading
/// past them.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer

    var count: Int { bytes.count }

    /// Whether `length` bytes starting at `offset` lie inside the bytes (false for negative values).
    func contains(offset: Int, length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= bytes.count && length <= bytes.count - offset
    }

    func uint8(at offset: Int) -> UInt8? {
        contains(offset: offset, length: 1) ? bytes[offset] : nil
    }

    func uint16(at offset: Int) -> UInt16? {
        littleEndian(at: offset, length: 2).map { UInt16(truncatingIfNeeded: $0) }
    }

    func uint32(at offset: Int) -> UInt32? {
        littleEndian(at: offset, length: 4).map { UInt32(truncatingIfNeeded: $0) }
    }

    func uint64(at offset: Int) -> UInt64? {
        littleEndian(at: offset, length: 8)
    }

    /// The bytes in `offset ..< offset + length`, or nil if any of them is outside.
    func slice(offset: Int, length: Int) -> UnsafeRawBufferPointer? {
        guard contains(offset: offset, length: length) else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
    }

    private func littleEndian(at offset: Int, length: Int) -> UInt64? {
        guard contains(offset: offset, length: length) else { return nil }
        var value: UInt64 = 0
        for index in (0..<length).reversed() {
            value = value << 8 | UInt64(bytes[offset + index])
        }
        return value
    }
}
