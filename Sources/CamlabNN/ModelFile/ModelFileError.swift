/// Why a camlab model file (or its architecture) cannot be read, used or written.
///
/// `description` is one sentence that names the file and the problem, for example
/// `Cannot read model file 'm.safetensors': tensor 'x' has dtype F16; camlab-model/1 stores F32.`
/// Every malformed input is reported through this type; nothing in the model file layer traps.
public struct ModelFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path involved, or `nil` when the bytes or architecture came from memory.
    public var file: String?
    /// What was being done when the problem was found.
    public var operation: Operation
    /// What is wrong.
    public var problem: Problem

    /// Creates an error found while reading `file` (nil for in-memory data).
    public init(file: String? = nil, _ problem: Problem) {
        self.init(file: file, operation: .reading, problem)
    }

    /// Creates an error found while doing `operation` to `file` (nil for in-memory data).
    public init(file: String?, operation: Operation, _ problem: Problem) {
        self.file = file
        self.operation = operation
        self.problem = problem
    }

    /// Reading a file, writing one, or checking a model or architecture held in memory.
    public enum Operation: Equatable, Sendable {
        case reading, writing, checking
    }

    /// The things that can be wrong with a model file, each with the details its sentence needs.
    public enum Problem: Equatable, Sendable {
        // MARK: The file itself
        case access(FileAccessProblem)
        case writeFailed(reason: String)

        // MARK: The safetensors container
        case tooShort(byteCount: Int)
        case headerLengthPastEnd(headerLength: UInt64, byteCount: Int)
        case headerNotJSON(reason: String)
        case headerNotObject
        case malformedTensorEntry(tensor: String, reason: String)
        /// A standard safetensors dtype other than F32.
        case unsupportedDType(tensor: String, dtype: String)
        /// A dtype name safetensors does not define.
        case unknownDType(tensor: String, dtype: String)
        case dataLengthMismatch(tensor: String, shape: [Int], expectedBytes: Int, actualBytes: Int)
        case offsetsOutsideData(tensor: String, begin: Int, end: Int, dataByteCount: Int)
        case offsetsOverlap(tensor: String, otherTensor: String)
        /// Bytes of the data section that belong to no tensor (safetensors requires contiguous data).
        case uncoveredData(byteCount: Int)
        case valueCountMismatch(tensor: String, shape: [Int], valueCount: Int)
        case malformedMetadata(reason: String)

        // MARK: camlab-model/1
        /// `key` is nil when the header has no `__metadata__` at all.
        case missingMetadata(key: String?)
        case wrongFormat(String)
        case architectureNotJSON(reason: String)
        case unknownLayerType(layer: String, type: String)
        case invalidArchitecture(reason: String)
        case missingParameter(tensor: String, layer: String)
        case parameterShapeMismatch(tensor: String, expected: [Int], actual: [Int])
        case unexpectedTensors([String])
        /// `value` is how the value prints: `nan`, `inf` or `-inf`.
        case nonFiniteValue(tensor: String, index: Int, value: String)
        /// A state dict without camlab metadata whose keys match no layout camlab knows.
        case unrecognizedStateDict(reason: String)
    }

    /// One sentence: what was being done, to which file, and what is wrong.
    public var description: String {
        let verb: String
        switch operation {
        case .reading: verb = "read"
        case .writing: verb = "write"
        case .checking: verb = "use"
        }
        let subject = file.map { "Cannot \(verb) model file '\($0)'" } ?? "Cannot \(verb) the model"
        return "\(subject): \(problem.explanation)."
    }

    /// The same error, found while doing `operation` to `path` (errors from in-memory parsing
    /// and checking learn their path this way).
    func about(file path: String, operation: Operation) -> ModelFileError {
        ModelFileError(file: path, operation: operation, problem)
    }
}

extension ModelFileError.Problem {
    /// The clause after the colon, without a final full stop.
    var explanation: String {
        func shape(_ dims: [Int]) -> String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
        switch self {
        case let .access(problem):
            return problem.explanation
        case let .writeFailed(reason):
            return "saving failed (\(reason))"
        case let .tooShort(byteCount):
            return "it is \(byteCount) bytes long, too short for the 8-byte header length a safetensors file starts with"
        case let .headerLengthPastEnd(headerLength, byteCount):
            return "the header length \(headerLength) reaches past the end of the \(byteCount)-byte file"
        case let .headerNotJSON(reason):
            return "the header is not JSON (\(reason))"
        case .headerNotObject:
            return "the header is JSON but not an object of tensor entries"
        case let .malformedTensorEntry(tensor, reason):
            return "the header entry for tensor '\(tensor)' \(reason)"
        case let .unsupportedDType(tensor, dtype):
            return "tensor '\(tensor)' has dtype \(dtype), which camlab does not convert (it reads F32, F16, BF16, F64 and integer tensors)"
        case let .unknownDType(tensor, dtype):
            return "tensor '\(tensor)' has the unknown dtype '\(dtype)', which is not a safetensors dtype"
        case let .dataLengthMismatch(tensor, dims, expectedBytes, actualBytes):
            return "tensor '\(tensor)' has shape \(shape(dims)), which needs \(expectedBytes) bytes, but its data_offsets span \(actualBytes) bytes"
        case let .offsetsOutsideData(tensor, begin, end, dataByteCount):
            return "tensor '\(tensor)' has data_offsets [\(begin), \(end)], outside the \(dataByteCount) bytes of tensor data"
        case let .offsetsOverlap(tensor, otherTensor):
            return "the data_offsets of tensors '\(otherTensor)' and '\(tensor)' overlap"
        case let .uncoveredData(byteCount):
            return "\(byteCount) bytes of tensor data belong to no tensor (safetensors stores tensors contiguously)"
        case let .valueCountMismatch(tensor, dims, valueCount):
            return "tensor '\(tensor)' has shape \(shape(dims)) but \(valueCount) values"
        case let .malformedMetadata(reason):
            return "the __metadata__ entry \(reason)"
        case let .missingMetadata(key):
            if let key {
                return "its __metadata__ has no \"\(key)\" entry, so it is not a camlab model file"
            }
            return "its header has no __metadata__, so it is not a camlab-model/1 file"
        case let .wrongFormat(format):
            return "its format is '\(format)', but camlab reads 'camlab-model/1', 'camlab-model/2' and plain PyTorch state dicts"
        case let .architectureNotJSON(reason):
            return "the architecture metadata is not JSON (\(reason))"
        case let .unknownLayerType(layer, type):
            return "module '\(layer)' has the unknown type '\(type)' (camlab knows conv2d, batchnorm2d, relu, maxpool2d, avgpool2d, adaptive_avgpool2d, global_avg_pool, flatten, linear, dropout, identity, sequential, basic_block, bottleneck, resnet and vgg)"
        case let .invalidArchitecture(reason):
            return "the architecture is invalid: \(reason)"
        case let .missingParameter(tensor, layer):
            return "tensor '\(tensor)' of module '\(layer)' is missing"
        case let .parameterShapeMismatch(tensor, expected, actual):
            return "parameter '\(tensor)' has shape \(shape(actual)), but the architecture needs \(shape(expected))"
        case let .unexpectedTensors(allNames):
            // A hostile header may name thousands: a few say enough.
            let names = Array(allNames.prefix(5))
            let more = allNames.count > names.count ? " and \(allNames.count - names.count) more" : ""
            let list = names.map { "'\($0)'" }.joined(separator: ", ") + more
            return names.count == 1
                ? "it holds the tensor \(list), which no module of the architecture uses"
                : "it holds the tensors \(list), which no module of the architecture uses"
        case let .unrecognizedStateDict(reason):
            return "it is a plain PyTorch state dict that camlab does not recognize: \(reason)"
        case let .nonFiniteValue(tensor, index, value):
            return "parameter '\(tensor)' holds \(value) at flat index \(index); parameters must be finite"
        }
    }
}
