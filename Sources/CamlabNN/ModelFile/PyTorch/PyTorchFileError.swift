/// Why a PyTorch `.pth` / `.pt` file cannot be read.
///
/// `description` is one sentence that names the file and the problem, for example
/// `Cannot read 'x.pth': it asks pickle to call os.system, which a weights file never needs; camlab
/// refuses it (PyTorch's weights_only=True would too).` Every malformed or hostile input is reported
/// through this type: nothing in the reader traps, and nothing in a file is ever called.
public struct PyTorchFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path involved, or `nil` when the bytes came from memory.
    public var file: String?
    /// What is wrong.
    public var problem: Problem

    /// Creates an error about `file` (nil for in-memory bytes).
    public init(file: String? = nil, _ problem: Problem) {
        self.file = file
        self.problem = problem
    }

    /// The things that can be wrong with a PyTorch file, each with the details its sentence needs.
    public enum Problem: Equatable, Sendable {
        // MARK: The file itself
        case access(FileAccessProblem)
        /// Neither a zip archive nor a legacy PyTorch file.
        case notPyTorchFile
        /// Written by `torch.save` before PyTorch 1.6 (a pickle stream, or the older tar file).
        case legacyFormat
        /// Its `byteorder` record says `big`.
        case bigEndian
        case unknownByteOrder(String)

        // MARK: The zip archive
        case noEndOfCentralDirectory
        case malformedZip(reason: String)
        case entryPastEnd(entry: String, end: UInt64, fileSize: Int)
        case compressedEntry(entry: String, method: Int)
        case encryptedEntry(entry: String)
        case duplicateEntry(entry: String)
        case missingDataPickle

        // MARK: The pickle
        /// A global outside the allow-list, named as the pickle spells it (`os.system`).
        case refusedGlobal(String)
        case unsupportedOpcode(UInt8, offset: Int)
        case malformedPickle(reason: String, offset: Int)
        case nestedTooDeep(limit: Int, offset: Int)
        /// Long dict keys set over and over (through the memo), more key bytes than the pickle's length.
        case excessiveKeyBytes(offset: Int)
        /// The clause says what the pickle holds instead, e.g. "its pickle holds a list, not a dict of tensors".
        case notAStateDict(reason: String)

        // MARK: Storages and tensors
        case missingStorageRecord(key: String, record: String)
        case storageSizeMismatch(record: String, recordBytes: Int, elementCount: Int, dtype: String)
        case unsupportedDType(tensor: String, dtype: String)
        /// `kind` says what it is, e.g. "a quantized tensor (torch._utils._rebuild_qtensor)".
        case unreadableTensor(tensor: String, kind: String)
        case negativeLayout(tensor: String, size: [Int], stride: [Int], offset: Int)
        case tensorLargerThanStorage(tensor: String, offset: Int, elementCount: Int, storageCount: Int)
        case stridesOutsideStorage(tensor: String, size: [Int], stride: [Int], offset: Int, lastIndex: Int, storageCount: Int)
        case tensorTooLarge(tensor: String, size: [Int])
        case tooManyValues(valueCount: Int, dataByteCount: Int)
    }

    /// One sentence: which file, and what is wrong with it.
    public var description: String {
        let subject = file.map { "Cannot read '\($0)'" } ?? "Cannot read the PyTorch data"
        return Self.printable("\(subject): \(problem.explanation).")
    }

    /// `text` with control characters (which names from a hostile file may hold) written as `\u{…}`,
    /// so the sentence stays on one line.
    private static func printable(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// The same error about `path` (errors from in-memory parsing learn their path this way).
    func about(file path: String) -> PyTorchFileError {
        PyTorchFileError(file: path, problem)
    }
}

extension PyTorchFileError.Problem {
    /// The clause after the colon, without a final full stop.
    var explanation: String {
        func list(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ", ") + "]" }
        switch self {
        case let .access(problem):
            return problem.explanation
        case .notPyTorchFile:
            return "it is neither a zip archive (what torch.save writes) nor a legacy PyTorch file"
        case .legacyFormat:
            return "it is in PyTorch's legacy format from before version 1.6, which camlab does not read; "
                + "re-save it with a current PyTorch: torch.save(torch.load(f, weights_only=True), 'new.pth')"
        case .bigEndian:
            return "it was written on a big-endian machine (its byteorder record says 'big') and camlab reads only "
                + "little-endian data; load it and save it again with PyTorch on a little-endian machine"
        case let .unknownByteOrder(value):
            return "its byteorder record says '\(value)', neither 'little' nor 'big'"
        case .noEndOfCentralDirectory:
            return "it starts like a zip archive but has no end-of-central-directory record, so it is truncated or not a zip archive"
        case let .malformedZip(reason):
            return "its zip structure is damaged: \(reason)"
        case let .entryPastEnd(entry, end, fileSize):
            return "zip entry '\(entry)' ends at byte \(end), past the end of the \(fileSize)-byte file (is it truncated?)"
        case let .compressedEntry(entry, method):
            let name = method == 8 ? ", deflate" : ""
            return "zip entry '\(entry)' is compressed (method \(method)\(name)), but torch.save stores entries "
                + "uncompressed and camlab reads only those (was the file re-zipped?)"
        case let .encryptedEntry(entry):
            return "zip entry '\(entry)' is encrypted"
        case let .duplicateEntry(entry):
            return "its zip archive holds two entries named '\(entry)'"
        case .missingDataPickle:
            return "its zip archive has no data.pkl record, so torch.save did not write it"
        case let .refusedGlobal(name):
            if name.hasPrefix("__torch__.") {
                return "it is a TorchScript archive (torch.jit.save) whose pickle asks for \(name), code camlab "
                    + "never runs; save model.state_dict() with torch.save instead"
            }
            if name.hasPrefix("torch.nn.modules.") || name.hasPrefix("torchvision.models.") {
                return "it holds a whole pickled model (its pickle asks to build \(name)), not a state dict; "
                    + "save model.state_dict() with torch.save instead"
            }
            return "it asks pickle to call \(name), which a weights file never needs; camlab refuses it "
                + "(PyTorch's weights_only=True would too)"
        case let .unsupportedOpcode(opcode, offset):
            return "its pickle uses opcode \(PickleOpcode.name(of: opcode)) at byte \(offset), which no state dict "
                + "saved by torch.save needs; camlab refuses it (PyTorch's weights_only=True would too)"
        case let .malformedPickle(reason, offset):
            return "its pickle is malformed at byte \(offset): \(reason)"
        case let .nestedTooDeep(limit, offset):
            return "its pickle nests MARK more than \(limit) deep at byte \(offset), far deeper than any state dict, so camlab stops there"
        case let .excessiveKeyBytes(offset):
            return "its pickle sets long dict keys over and over (by byte \(offset), more key bytes than the pickle "
                + "itself holds), which no state dict does, so camlab stops there"
        case let .notAStateDict(reason):
            return reason
        case let .missingStorageRecord(key, record):
            return "the pickle refers to tensor storage '\(key)', but the archive has no record '\(record)'"
        case let .storageSizeMismatch(record, recordBytes, elementCount, dtype):
            return "storage record '\(record)' holds \(recordBytes) bytes, but the pickle declares \(elementCount) \(dtype) elements for it"
        case let .unsupportedDType(tensor, dtype):
            return "tensor '\(tensor)' has dtype \(dtype), which camlab does not convert to float32"
        case let .unreadableTensor(tensor, kind):
            return "tensor '\(tensor)' is \(kind), which camlab does not read"
        case let .negativeLayout(tensor, size, stride, offset):
            return "tensor '\(tensor)' has size \(list(size)), stride \(list(stride)) and storage offset \(offset), "
                + "but sizes, strides and offsets cannot be negative"
        case let .tensorLargerThanStorage(tensor, offset, elementCount, storageCount):
            return "tensor '\(tensor)' needs \(elementCount) elements from storage offset \(offset), but its storage holds \(storageCount)"
        case let .stridesOutsideStorage(tensor, size, stride, offset, lastIndex, storageCount):
            return "tensor '\(tensor)' with size \(list(size)), stride \(list(stride)) and storage offset \(offset) "
                + "reaches element \(lastIndex), past the end of its \(storageCount)-element storage"
        case let .tensorTooLarge(tensor, size):
            return "tensor '\(tensor)' has size \(list(size)), more than the 4 GiB of float32 values camlab allows for one tensor"
        case let .tooManyValues(valueCount, dataByteCount):
            return "its tensors would hold \(valueCount) values or more, far more than the \(dataByteCount) bytes of storage "
                + "in the file account for (its views overlap), so camlab refuses to allocate them"
        }
    }
}
