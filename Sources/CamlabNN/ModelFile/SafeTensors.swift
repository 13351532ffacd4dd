import CamlabFiles
import Foundation

/// A float32 tensor as stored in a file: row-major values and their shape.
///
/// Kept independent of any tensor type so the file layer can be used and tested alone.
public struct StoredTensor: Equatable, Sendable {
    /// The extent of each axis, outermost first (PyTorch's order).
    public var shape: [Int]
    /// `shape.reduce(1, *)` values in row-major (C) order.
    public var values: [Float]

    /// Creates a tensor; `values.count` should equal the product of `shape`.
    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }

    /// Whether no value is NaN or infinite, in one vectorizable pass: x · 0 is 0 for every finite x
    /// and NaN otherwise.
    static func allFinite(_ values: [Float]) -> Bool {
        values.withUnsafeBufferPointer { buffer in
            var sum: Float = 0
            for value in buffer { sum += value * 0 }
            return sum == 0
        }
    }

    /// The number of values `shape` calls for, or nil if a dimension is negative or the product overflows.
    var elementCount: Int? { Self.elementCount(of: shape) }

    static func elementCount(of shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }
}

/// The contents of a safetensors file: named F32 tensors plus string metadata.
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON, then the tensor bytes,
/// little-endian and row-major, at `data_offsets` relative to the end of the header.
/// F32 is read as is; F16, BF16, F64 and the integer and Boolean dtypes (PyTorch writes
/// `num_batches_tracked` as I64) are converted to Float32; the 8-bit and smaller float formats
/// are recognized so the error can name them.
public struct SafeTensorsFile {
    /// The tensors by name.
    public var tensors: [String: StoredTensor]
    /// The `__metadata__` map (empty when the file has none).
    public var metadata: [String: String]

    /// The dtype names the safetensors format defines.
    public static let standardDTypes: Set<String> = [
        "BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64",
        "F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64",
    ]

    /// Bytes per element of the dtypes camlab converts to Float32.
    static let convertibleDTypes: [String: Int] = [
        "F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
        "U16": 2, "U32": 4, "U64": 8,
    ]

    /// Creates a file's contents from tensors and metadata.
    public init(tensors: [String: StoredTensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Reads and parses the safetensors file at `path`.
    ///
    /// - Throws: `ModelFileError` naming `path` when the file is missing, a directory,
    ///   unreadable, or malformed.
    public init(contentsOf path: String) throws {
        let bytes = try Self.readBytes(atPath: path)
        do {
            try self.init(bytes: bytes)
        } catch let error as ModelFileError {
            throw error.about(file: path, operation: .reading)
        }
    }

    /// Parses the bytes of a safetensors file.
    ///
    /// - Throws: `ModelFileError` (with no file name) for every malformed case: short data,
    ///   a header length past the end, a header that is not a JSON object of valid entries,
    ///   a dtype other than F32, offsets outside the data, overlapping, not matching the shape,
    ///   or leaving bytes uncovered.
    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 8 else { throw ModelFileError(.tooShort(byteCount: bytes.count)) }
        var headerLength: UInt64 = 0
        for index in (0..<8).reversed() {
            headerLength = headerLength << 8 | UInt64(bytes[index])
        }
        // Compare as UInt64 so a length near 2^64 cannot overflow an Int conversion.
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw ModelFileError(.headerLengthPastEnd(headerLength: headerLength, byteCount: bytes.count))
        }
        let headerEnd = 8 + Int(headerLength)
        let header: ModelFileJSON
        do {
            header = try ModelFileJSON.parse(bytes[8..<headerEnd])
        } catch let error as ModelFileJSONSyntaxError {
            throw ModelFileError(.headerNotJSON(reason: error.description))
        }
        guard case let .object(members) = header else { throw ModelFileError(.headerNotObject) }

        let dataByteCount = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var entries: [(name: String, begin: Int, end: Int, shape: [Int], dtype: String)] = []
        for (name, value) in members {
            if name == "__metadata__" {
                metadata = try Self.parseMetadata(value)
                continue
            }
            let entry = try Self.parseEntry(name: name, value: value)
            guard entry.begin <= entry.end else {
                throw ModelFileError(.malformedTensorEntry(
                    tensor: name, reason: "has data_offsets [\(entry.begin), \(entry.end)] that end before they begin"))
            }
            guard entry.end <= dataByteCount else {
                throw ModelFileError(.offsetsOutsideData(
                    tensor: name, begin: entry.begin, end: entry.end, dataByteCount: dataByteCount))
            }
            // An overflowing product cannot match any real span.
            let (expectedBytes, overflow) = (StoredTensor.elementCount(of: entry.shape) ?? Int.max)
                .multipliedReportingOverflow(by: Self.convertibleDTypes[entry.dtype]!)
            guard !overflow, expectedBytes == entry.end - entry.begin else {
                throw ModelFileError(.dataLengthMismatch(
                    tensor: name, shape: entry.shape,
                    expectedBytes: overflow ? Int.max : expectedBytes, actualBytes: entry.end - entry.begin))
            }
            entries.append((name, entry.begin, entry.end, entry.shape, entry.dtype))
        }

        // Sorted by start, each tensor must begin where the previous one ended (no overlap, no gap).
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var coveredEnd = 0
        var previousName: String?
        for entry in entries {
            if entry.begin < coveredEnd, let previousName {
                throw ModelFileError(.offsetsOverlap(tensor: entry.name, otherTensor: previousName))
            }
            if entry.begin > coveredEnd {
                throw ModelFileError(.uncoveredData(byteCount: entry.begin - coveredEnd))
            }
            coveredEnd = entry.end
            // Empty tensors occupy no bytes, so they cannot overlap the next one.
            if entry.end > entry.begin { previousName = entry.name }
        }
        if coveredEnd != dataByteCount {
            throw ModelFileError(.uncoveredData(byteCount: dataByteCount - coveredEnd))
        }

        var tensors: [String: StoredTensor] = [:]
        for entry in entries {
            let values = Self.floats(bytes[(headerEnd + entry.begin)..<(headerEnd + entry.end)], dtype: entry.dtype)
            tensors[entry.name] = StoredTensor(shape: entry.shape, values: values)
        }
        self.init(tensors: tensors, metadata: metadata)
    }

    /// Parses the bytes of a safetensors file.
    public init(data: Data) throws {
        try self.init(bytes: [UInt8](data))
    }

    /// The file's bytes: tensors in sorted key order with contiguous offsets, the header padded
    /// with spaces to a multiple of 8 bytes (as the Rust implementation does), `format` first
    /// in the metadata so the file announces itself, then the other metadata keys sorted.
    ///
    /// - Precondition: every tensor has `shape.reduce(1, *)` values; `write(to:)` checks this
    ///   and throws instead.
    public func serialized() -> [UInt8] {
        let names = tensors.keys.sorted()
        var header = "{"
        var members: [String] = []
        if !metadata.isEmpty {
            let keys = metadata.keys.sorted { ($0 == "format" ? 0 : 1, $0) < ($1 == "format" ? 0 : 1, $1) }
            let entries = keys.map {
                JSONText.quoted($0, asciiOnly: false) + ":"
                    + JSONText.quoted(metadata[$0]!, asciiOnly: false)
            }
            members.append("\"__metadata__\":{" + entries.joined(separator: ",") + "}")
        }
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            precondition(tensor.elementCount == tensor.values.count,
                         "tensor '\(name)' has shape \(tensor.shape) but \(tensor.values.count) values")
            let end = offset + 4 * tensor.values.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            members.append(JSONText.quoted(name, asciiOnly: false)
                + ":{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += members.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        headerBytes += Array(repeating: UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8)

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + headerBytes.count + offset)
        let headerLength = UInt64(headerBytes.count)
        for index in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: headerLength >> (8 * UInt64(index)))) }
        bytes += headerBytes
        for name in names {
            for value in tensors[name]!.values {
                let bits = value.bitPattern
                bytes += [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8),
                          UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24)]
            }
        }
        return bytes
    }

    /// Writes the file atomically: to a temporary file in the same folder, then renamed over `path`,
    /// so an interrupted save never leaves a broken file behind.
    ///
    /// - Throws: `ModelFileError` if a tensor's value count disagrees with its shape, `path` is a
    ///   directory, or the file system refuses.
    public func write(to path: String) throws {
        for (name, tensor) in tensors where tensor.elementCount != tensor.values.count {
            throw ModelFileError(file: path, operation: .writing, .valueCountMismatch(
                tensor: name, shape: tensor.shape, valueCount: tensor.values.count))
        }
        try Self.writeAtomically(serialized(), toPath: path)
    }

    // MARK: - Header entries

    private static func parseMetadata(_ value: ModelFileJSON) throws -> [String: String] {
        guard case let .object(members) = value else {
            throw ModelFileError(.malformedMetadata(reason: "is \(value.kindName), not an object of strings"))
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case let .string(text) = value else {
                throw ModelFileError(.malformedMetadata(reason: "has \(value.kindName) for \"\(key)\", not a string"))
            }
            metadata[key] = text
        }
        return metadata
    }

    /// Little-endian values of `dtype` as Float32 (rounded to nearest, as PyTorch's `.float()`).
    static func floats(_ bytes: ArraySlice<UInt8>, dtype: String) -> [Float] {
        let size = convertibleDTypes[dtype]!
        if dtype == "F32" {
            // The common case, copied as it is (x86-64 and arm64 are little-endian, as the file).
            return [Float](unsafeUninitializedCapacity: bytes.count / 4) { buffer, count in
                bytes.withUnsafeBytes { source in
                    if let base = source.baseAddress, let target = buffer.baseAddress { memcpy(target, base, bytes.count / 4 * 4) }
                }
                count = bytes.count / 4
            }
        }
        let start = bytes.startIndex
        func word(_ index: Int) -> UInt64 {
            var value: UInt64 = 0
            for byte in (0..<size).reversed() { value = value << 8 | UInt64(bytes[start + index * size + byte]) }
            return value
        }
        return (0..<(bytes.count / size)).map { index -> Float in
            let bits = word(index)
            switch dtype {
            case "F32": return Float(bitPattern: UInt32(bits))
            case "F64": return Float(Double(bitPattern: bits))
            case "F16": return Float(Float16(bitPattern: UInt16(bits)))
            case "BF16": return Float(bitPattern: UInt32(bits) << 16)
            case "I64": return Float(Int64(bitPattern: bits))
            case "I32": return Float(Int32(bitPattern: UInt32(bits)))
            case "I16": return Float(Int16(bitPattern: UInt16(bits)))
            case "I8": return Float(Int8(bitPattern: UInt8(bits)))
            case "BOOL": return bits == 0 ? 0 : 1
            default: return Float(bits)   // U8, U16, U32, U64
            }
        }
    }

    private static func parseEntry(name: String, value: ModelFileJSON) throws -> (begin: Int, end: Int, shape: [Int], dtype: String) {
        func malformed(_ reason: String) -> ModelFileError {
            ModelFileError(.malformedTensorEntry(tensor: name, reason: reason))
        }
        guard case .object = value else { throw malformed("is \(value.kindName), not an object") }
        guard case let .string(dtype)? = value["dtype"] else { throw malformed("has no \"dtype\" string") }
        guard convertibleDTypes[dtype] != nil else {
            throw ModelFileError(standardDTypes.contains(dtype)
                ? .unsupportedDType(tensor: name, dtype: dtype)
                : .unknownDType(tensor: name, dtype: dtype))
        }
        guard case let .array(shapeValues)? = value["shape"] else { throw malformed("has no \"shape\" array") }
        var shape: [Int] = []
        for dimension in shapeValues {
            guard let extent = dimension.intValue, extent >= 0 else {
                throw malformed("has \(dimension.kindName) in its shape, not a non-negative integer that fits in 64 bits")
            }
            shape.append(extent)
        }
        guard case let .array(offsets)? = value["data_offsets"], offsets.count == 2 else {
            throw malformed("has no \"data_offsets\" pair")
        }
        var bounds: [Int] = []
        for offset in offsets {
            guard let position = offset.intValue, position >= 0 else {
                throw malformed("has \(offset.kindName) in its data_offsets, not a non-negative integer that fits in 64 bits")
            }
            bounds.append(position)
        }
        return (bounds[0], bounds[1], shape, dtype)
    }

    // MARK: - File system

    static func readBytes(atPath path: String) throws -> [UInt8] {
        if let problem = FileAccessProblem.locating(path) { throw ModelFileError(file: path, .access(problem)) }
        return try readRegularFile(atPath: path)
    }

    /// The bytes of a regular file, read once (no FIFO, device or `/dev/zero` that would block
    /// or never end), at most `Limits.fileBytes`.
    static func readRegularFile(atPath path: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        if let problem = try FileAccessProblem.reading({ bytes = try RegularFile.bytes(at: path, limit: Limits.fileBytes) }) {
            throw ModelFileError(file: path, .access(problem))
        }
        return bytes
    }

    /// Checks that a file can be written at `path` (not a folder, in a folder that exists and
    /// takes new files) by creating and removing a temporary file there: what a long job checks
    /// before it starts, so a bad path is not found out after it.
    static func checkWritable(path: String) throws {
        let temporary = try createTemporaryFile(for: path)
        unlink(temporary.path)
    }

    /// An empty temporary file beside `path`; the same folder, so the rename that replaces
    /// `path` stays on one file system and is atomic.
    private static func createTemporaryFile(for path: String) throws -> URL {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ModelFileError(file: path, operation: .writing, .access(.isDirectory))
        }
        let target = URL(fileURLWithPath: path)
        let folder = target.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelFileError(file: path, operation: .writing, .writeFailed(reason: "the folder '\(folder.path)' does not exist"))
        }
        let temporary = folder.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let reason = errno == EACCES || errno == EPERM ? "the folder '\(folder.path)' does not allow new files"
                : errno == EROFS ? "the folder '\(folder.path)' is on a read-only file system"
                : "cannot create a file in '\(folder.path)' (\(String(cString: strerror(errno)).lowercased()))"
            throw ModelFileError(file: path, operation: .writing, .writeFailed(reason: reason))
        }
        close(descriptor)
        return temporary
    }

    static func writeAtomically(_ bytes: [UInt8], toPath path: String) throws {
        let target = URL(fileURLWithPath: path)
        let temporary = try createTemporaryFile(for: path)
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            do {
                try handle.write(contentsOf: bytes)
                try handle.synchronize()  // on disk before the rename makes it visible
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard rename(temporary.path, target.path) == 0 else {
                throw ModelFileError(file: path, operation: .writing, .writeFailed(reason: String(cString: strerror(errno))))
            }
        } catch let error as ModelFileError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ModelFileError(file: path, operation: .writing, .writeFailed(reason: error.localizedDescription))
        }
    }
}
