import CamlabFiles
import Foundation

/// Reads the state dicts that PyTorch's `torch.save` writes (`.pth`, `.pt`; the zip format of
/// PyTorch 1.6 and later), torchvision's downloaded weights among them, as they are.
///
/// The archive holds `<name>/data.pkl`, a pickle of the dict whose tensors refer through persistent
/// ids `('storage', storage_type, key, location, numel)` to raw little-endian records
/// `<name>/data/<key>`, plus `<name>/byteorder` and `<name>/version`. Pickle can run code, so
/// `data.pkl` is read as `torch.load(f, weights_only=True)` reads it: by `Unpickler`, which knows a
/// few opcodes and globals, calls nothing and refuses every other global by name.
public enum PyTorchFile {
    /// What a file's first bytes say it is.
    public enum Format: Equatable, Sendable {
        /// A zip archive, as torch.save has written since PyTorch 1.6 (every zip archive starts so;
        /// `stateDict(contentsOf:)` tells whether torch.save wrote it).
        case zipArchive
        /// The pickle stream torch.save wrote before 1.6, or with `_use_new_zipfile_serialization=False`.
        case legacyPickle
        /// The tar file of PyTorch's first releases.
        case legacyTar
    }

    /// The format that the first bytes of a file announce (512 are enough), or nil if none.
    ///
    /// A zip archive starts with `PK\u{3}\u{4}`; a legacy file with pickle's PROTO opcode and then
    /// torch.save's magic number `0x1950a86a20f9469cfc6c` as a LONG1; a tar file has `ustar` at byte 257.
    public static func format<Bytes: Collection>(of prefix: Bytes) -> Format? where Bytes.Element == UInt8 {
        let bytes = Array(prefix.prefix(512))
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .zipArchive }
        if bytes.count >= 2, bytes[0] == 0x80, (2...5).contains(bytes[1]) {
            // Protocol 4 and later put a FRAME (0x95 and an 8-byte length) before the first value.
            let start = bytes.count > 2 && bytes[2] == 0x95 ? 11 : 2
            if bytes.dropFirst(start).starts(with: legacyMagic) { return .legacyPickle }
        }
        if bytes.count >= 262, bytes[257..<262].elementsEqual("ustar".utf8) { return .legacyTar }
        return nil
    }

    /// LONG1 of 10 bytes holding `0x1950a86a20f9469cfc6c`, little-endian.
    private static let legacyMagic: [UInt8] = [0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// The format the file at `path` announces, or nil if it announces none or cannot be opened.
    public static func format(ofFileAtPath path: String) -> Format? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let prefix = try? handle.read(upToCount: 512) else { return nil }
        return format(of: prefix)
    }

    /// Whether the file at `path` starts like a PyTorch file (a zip archive or a legacy
    /// torch.save file), so callers can dispatch on content rather than on the extension.
    public static func isPyTorchFile(_ path: String) -> Bool {
        format(ofFileAtPath: path) != nil
    }

    /// The tensors of the state dict in the file at `path`, in the file's order, converted to
    /// float32; and, for a checkpoint, a sentence saying under which key the state dict was found.
    ///
    /// Every dtype with real values converts (float64, float16, bfloat16, int64, int32, int16, int8,
    /// uint8, bool; a 0-d int64 such as `num_batches_tracked` becomes a 0-d tensor), and views are
    /// materialized from their storage offset, sizes and strides.
    ///
    /// - Throws: `PyTorchFileError`, one sentence naming `path`, for anything it cannot read: a
    ///   refused global or opcode, a damaged archive, a legacy or big-endian file, a tensor that does
    ///   not fit its storage, a pickle that holds no dict of tensors.
    public static func stateDict(contentsOf path: String) throws -> (tensors: [(name: String, tensor: StoredTensor)], note: String?) {
        let data = try contents(ofPath: path)
        do {
            return try data.withUnsafeBytes { try stateDict(bytes: $0) }
        } catch let error as PyTorchFileError {
            throw error.about(file: path)
        }
    }

    /// `stateDict(contentsOf:)` for bytes in memory; errors name no file.
    static func stateDict(bytes: UnsafeRawBufferPointer) throws -> (tensors: [(name: String, tensor: StoredTensor)], note: String?) {
        switch format(of: bytes) {
        case .zipArchive?: break
        case .legacyPickle?, .legacyTar?: throw PyTorchFileError(.legacyFormat)
        case nil: throw PyTorchFileError(.notPyTorchFile)
        }
        let archive = try ZipArchive(bytes: ByteReader(bytes: bytes))
        // Like PyTorch's reader: every record lies in the folder of the first one.
        guard let first = archive.entries.first, let slash = first.name.firstIndex(of: "/") else {
            throw PyTorchFileError(.missingDataPickle)
        }
        let folder = String(first.name[...slash])
        guard let picklePart = try archive.storedEntry(named: folder + "data.pkl") else { throw PyTorchFileError(.missingDataPickle) }
        try checkByteOrder(try archive.storedEntry(named: folder + "byteorder"), in: bytes)

        let pickle = try Unpickler.load(slice(of: picklePart, in: bytes))
        let (entries, note) = try pickle.stateDict()
        return (try tensors(entries, of: pickle, archive: archive, folder: folder, in: bytes), note)
    }

    // MARK: - Reading

    /// The most values all tensors together may have beyond one per byte of storage: room for a
    /// few small broadcast views (stride 0), and a bound on what a tiny hostile file can demand.
    static let valueAllowanceBeyondData = 1 << 24

    /// Checks every tensor against its storage record first, then reads them all: nothing is
    /// allocated for a size the file declares until the bytes behind it have been found.
    private static func tensors(_ entries: [(name: String, object: Int)], of pickle: Pickle, archive: ZipArchive,
                                folder: String, in bytes: UnsafeRawBufferPointer) throws -> [(name: String, tensor: StoredTensor)] {
        // The storage records by key, found in one pass (lookups then cost the short key alone).
        let dataFolder = folder + "data/"
        var records: [String: ZipArchive.Entry] = [:]
        for entry in archive.entries where entry.name.hasPrefix(dataFolder) {
            records[String(entry.name.dropFirst(dataFolder.count))] = entry
        }
        let dataByteCount = records.values.reduce(0) { $0 + $1.size }  // at most the file's length
        var planned: [(name: String, tensor: TensorReference, record: ZipArchive.Entry, count: Int)] = []
        var valueCount = 0
        for (name, object) in entries {
            guard case let .tensor(tensor) = pickle.objects[object] else {
                if case let .unreadableTensor(kind) = pickle.objects[object] {
                    throw PyTorchFileError(.unreadableTensor(tensor: name, kind: kind))
                }
                preconditionFailure("Pickle.stateDict() returned '\(name)', which is no tensor")
            }
            let storage = pickle.storages[tensor.storage]
            guard let record = records[storage.key] else {
                throw PyTorchFileError(.missingStorageRecord(key: storage.key, record: dataFolder + storage.key))
            }
            try record.checkStored()
            let count = try tensor.checkedElementCount(name: name, storage: storage, record: record)
            valueCount += count  // checked after every tensor, so it stays far from overflowing
            guard valueCount <= dataByteCount + valueAllowanceBeyondData else {
                throw PyTorchFileError(.tooManyValues(valueCount: valueCount, dataByteCount: dataByteCount))
            }
            planned.append((name, tensor, record, count))
        }
        return planned.map { plan in
            let values = plan.tensor.values(count: plan.count, from: slice(of: plan.record, in: bytes))
            return (plan.name, StoredTensor(shape: plan.tensor.size, values: values))
        }
    }

    /// A little-endian file is all camlab reads; without a byteorder record (before PyTorch 2.1) PyTorch assumes one.
    private static func checkByteOrder(_ record: ZipArchive.Entry?, in bytes: UnsafeRawBufferPointer) throws {
        guard let record else { return }
        let text = String(decoding: slice(of: record, in: bytes).prefix(40), as: UTF8.self)
        switch text {
        case "little": return
        case "big": throw PyTorchFileError(.bigEndian)
        default: throw PyTorchFileError(.unknownByteOrder(text))
        }
    }

    /// The bytes of an entry, which `ZipArchive` has checked lie inside the file.
    private static func slice(of entry: ZipArchive.Entry, in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[entry.dataOffset..<entry.dataOffset + entry.size])
    }

    /// The file mapped into memory rather than copied: pages are read as the tensors need them.
    private static func contents(ofPath path: String) throws -> Data {
        if let problem = try FileAccessProblem.locating(path) ?? FileAccessProblem.reading({ try RegularFile.check(at: path, limit: Limits.fileBytes) }) {
            throw PyTorchFileError(file: path, .access(problem))
        }
        // Mapped, not copied: a checkpoint can be half a gigabyte.
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
            throw PyTorchFileError(file: path, .access(.unreadable(reason: "the file could not be read")))
        }
        return data
    }
}
