/// The entries of a zip archive as `torch.save` writes it: stored (uncompressed) records found
/// through the central directory, with ZIP64 since checkpoints can pass 4 GiB.
///
/// A reader of our own rather than ZIPFoundation: torch.save writes only stored entries, so
/// reading them takes the end record, the central directory and the local headers (this file),
/// while a dependency would bring inflate, its own file I/O and a package to every user of a
/// library whose core depends on nothing.
///
/// Every offset and size comes from the file, so each is checked against the bytes present before
/// it is used; nothing is allocated from a count the file declares.
struct ZipArchive {
    /// One record: its name and where its (stored) bytes lie in the file.
    struct Entry: Equatable {
        var name: String
        var dataOffset: Int
        /// The bytes in the file: the record itself when `method` is 0 (stored).
        var size: Int
        /// The compression method; torch.save writes 0. (TorchScript archives deflate their code.)
        var method: Int
        var isEncrypted: Bool

        /// Checks that the bytes are the record itself: neither compressed nor encrypted.
        func checkStored() throws {
            guard !isEncrypted else { throw PyTorchFileError(.encryptedEntry(entry: name)) }
            guard method == 0 else { throw PyTorchFileError(.compressedEntry(entry: name, method: method)) }
        }
    }

    /// The entries in central-directory order.
    private(set) var entries: [Entry] = []
    private var indexByName: [String: Int] = [:]

    /// The entry called `name`, if the archive has one.
    func entry(named name: String) -> Entry? {
        indexByName[name].map { entries[$0] }
    }

    /// The entry called `name` if the archive has one, checked to be readable as it is.
    ///
    /// - Throws: `PyTorchFileError` when that entry is compressed or encrypted. Only the records
    ///   a state dict needs are checked, so other compressed entries do not stop a file being read.
    func storedEntry(named name: String) throws -> Entry? {
        guard let entry = entry(named: name) else { return nil }
        try entry.checkStored()
        return entry
    }

    /// Reads the directory of the archive in `bytes`.
    ///
    /// - Throws: `PyTorchFileError` (with no file name) when the end record is missing, the
    ///   directory is damaged, or an entry is duplicated or reaches past the end.
    init(bytes: ByteReader) throws {
        let directory = try Self.centralDirectory(in: bytes)
        var position = directory.offset
        let end = directory.offset + directory.size
        while position < end {
            let entry = try Self.entry(at: &position, directoryEnd: end, in: bytes)
            guard indexByName[entry.name] == nil else { throw PyTorchFileError(.duplicateEntry(entry: entry.name)) }
            indexByName[entry.name] = entries.count
            entries.append(entry)
        }
        guard UInt64(entries.count) == directory.entryCount else {
            throw Self.damaged("the central directory declares \(directory.entryCount) entries but holds \(entries.count)")
        }
    }

    // MARK: - End of central directory

    private static let endSignature: UInt32 = 0x0605_4B50
    private static let zip64EndSignature: UInt32 = 0x0606_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let centralSignature: UInt32 = 0x0201_4B50
    private static let localSignature: UInt32 = 0x0403_4B50

    private static func damaged(_ reason: String) -> PyTorchFileError {
        PyTorchFileError(.malformedZip(reason: reason))
    }

    /// Where the central directory lies and how many entries it declares, from the end record
    /// (22 bytes plus a comment of up to 65535 bytes at the end of the file) or its ZIP64 twin.
    private static func centralDirectory(in bytes: ByteReader) throws -> (offset: Int, size: Int, entryCount: UInt64) {
        var endOffset: Int?
        var candidate = bytes.count - 22
        while candidate >= max(0, bytes.count - 22 - 0xFFFF) {
            if bytes.uint32(at: candidate) == endSignature,
               let commentLength = bytes.uint16(at: candidate + 20), Int(commentLength) <= bytes.count - candidate - 22 {
                endOffset = candidate
                break
            }
            candidate -= 1
        }
        guard let endOffset,
              let disk = bytes.uint16(at: endOffset + 4), let directoryDisk = bytes.uint16(at: endOffset + 6),
              let count16 = bytes.uint16(at: endOffset + 10), let size32 = bytes.uint32(at: endOffset + 12),
              let offset32 = bytes.uint32(at: endOffset + 16)
        else { throw PyTorchFileError(.noEndOfCentralDirectory) }

        var entryCount = UInt64(count16), size = UInt64(size32), offset = UInt64(offset32)
        var directoryLimit = endOffset  // the directory must end before the record that describes it
        var disks = (UInt32(disk), UInt32(directoryDisk))
        let locator = endOffset - 20
        if bytes.uint32(at: locator) == zip64LocatorSignature {
            guard let recordOffset = bytes.uint64(at: locator + 8), let record = Int(exactly: recordOffset),
                  record <= locator - 56, bytes.uint32(at: record) == zip64EndSignature,
                  let disk64 = bytes.uint32(at: record + 16), let directoryDisk64 = bytes.uint32(at: record + 20),
                  let count64 = bytes.uint64(at: record + 32), let size64 = bytes.uint64(at: record + 40),
                  let offset64 = bytes.uint64(at: record + 48)
            else { throw damaged("its ZIP64 end record is missing or cut short") }
            (entryCount, size, offset, directoryLimit, disks) = (count64, size64, offset64, record, (disk64, directoryDisk64))
        }
        guard disks == (0, 0) else { throw damaged("it is split over several disks") }
        guard offset <= UInt64(directoryLimit), size <= UInt64(directoryLimit) - offset else {
            throw damaged("the central directory (\(size) bytes at byte \(offset)) runs past the end record at byte \(directoryLimit)")
        }
        return (Int(offset), Int(size), entryCount)
    }

    // MARK: - Entries

    /// Reads the central-directory entry at `position`, moves `position` past it, and finds its
    /// data through the entry's local header.
    private static func entry(at position: inout Int, directoryEnd: Int, in bytes: ByteReader) throws -> Entry {
        let start = position
        guard directoryEnd - start >= 46, bytes.uint32(at: start) == centralSignature,
              let flags = bytes.uint16(at: start + 8), let method = bytes.uint16(at: start + 10),
              let compressed32 = bytes.uint32(at: start + 20), let uncompressed32 = bytes.uint32(at: start + 24),
              let nameLength = bytes.uint16(at: start + 28), let extraLength = bytes.uint16(at: start + 30),
              let commentLength = bytes.uint16(at: start + 32), let localOffset32 = bytes.uint32(at: start + 42)
        else { throw damaged("the central directory entry at byte \(start) is not one") }
        let entryLength = 46 + Int(nameLength) + Int(extraLength) + Int(commentLength)
        guard entryLength <= directoryEnd - start, let nameBytes = bytes.slice(offset: start + 46, length: Int(nameLength)),
              let extra = bytes.slice(offset: start + 46 + Int(nameLength), length: Int(extraLength))
        else { throw damaged("the central directory entry at byte \(start) runs past the directory's end") }
        position = start + entryLength
        let name = String(decoding: nameBytes, as: UTF8.self)

        // ZIP64 keeps each field that did not fit in 32 bits in extra field 1, in this order.
        var sizes = (compressed: UInt64(compressed32), uncompressed: UInt64(uncompressed32), localOffset: UInt64(localOffset32))
        if compressed32 == .max || uncompressed32 == .max || localOffset32 == .max {
            guard let zip64 = zip64Field(in: ByteReader(bytes: extra)) else {
                throw damaged("entry '\(name)' has 32-bit fields set to 0xFFFFFFFF but no ZIP64 extra field")
            }
            var cursor = 0
            func next() throws -> UInt64 {
                guard let value = zip64.uint64(at: cursor) else { throw damaged("the ZIP64 extra field of entry '\(name)' is too short") }
                cursor += 8
                return value
            }
            if uncompressed32 == .max { sizes.uncompressed = try next() }
            if compressed32 == .max { sizes.compressed = try next() }
            if localOffset32 == .max { sizes.localOffset = try next() }
        }
        guard method != 0 || sizes.compressed == sizes.uncompressed else {
            throw damaged("stored entry '\(name)' declares \(sizes.compressed) bytes stored but \(sizes.uncompressed) uncompressed")
        }
        var entry = try located(name: name, nameBytes: nameBytes, localOffset: sizes.localOffset, size: sizes.compressed, in: bytes)
        entry.method = Int(method)
        entry.isEncrypted = flags & 1 != 0
        return entry
    }

    /// The data of an entry begins after its local header, whose name and extra field (where
    /// torch.save pads records to 64-byte alignment) may differ in length from the central ones.
    private static func located(name: String, nameBytes: UnsafeRawBufferPointer, localOffset: UInt64, size: UInt64,
                                in bytes: ByteReader) throws -> Entry {
        func pastEnd(_ end: UInt64) -> PyTorchFileError {
            PyTorchFileError(.entryPastEnd(entry: name, end: end, fileSize: bytes.count))
        }
        guard let local = Int(exactly: localOffset), bytes.contains(offset: local, length: 30) else {
            throw pastEnd(localOffset.addingReportingOverflow(30).partialValue)
        }
        guard bytes.uint32(at: local) == localSignature,
              let localNameLength = bytes.uint16(at: local + 26), let localExtraLength = bytes.uint16(at: local + 28)
        else { throw damaged("entry '\(name)' has no local header at byte \(local)") }
        let dataOffset = local + 30 + Int(localNameLength) + Int(localExtraLength)
        guard let count = Int(exactly: size), bytes.contains(offset: dataOffset, length: count) else {
            throw pastEnd(UInt64(dataOffset).addingReportingOverflow(size).partialValue)
        }
        guard let localName = bytes.slice(offset: local + 30, length: Int(localNameLength)), localName.elementsEqual(nameBytes) else {
            throw damaged("entry '\(name)' has a local header at byte \(local) for another name")
        }
        return Entry(name: name, dataOffset: dataOffset, size: count, method: 0, isEncrypted: false)
    }

    /// The data of extra field 1 (ZIP64 sizes and offsets) among an entry's extra fields.
    private static func zip64Field(in extra: ByteReader) -> ByteReader? {
        var cursor = 0
        while let identifier = extra.uint16(at: cursor), let length = extra.uint16(at: cursor + 2) {
            guard let data = extra.slice(offset: cursor + 4, length: Int(length)) else { return nil }
            if identifier == 1 { return ByteReader(bytes: data) }
            cursor += 4 + Int(length)
        }
        return nil
    }
}
