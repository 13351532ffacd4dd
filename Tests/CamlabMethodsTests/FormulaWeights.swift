import Foundation

/// camlab-formula/1: every parameter of a state dict computed from its key and shape, bit for bit
/// as Tools/pytorch/formula_weights.py computes it, so the torchvision reference networks
/// (Fixtures/torchvision) never store their large weights.
///
/// - seed = FNV-1a 64-bit over the key's UTF-8 bytes.
/// - For the flat row-major index i: x = seed + (i + 1) · 0x9E3779B97F4A7C15; z = (x ^ (x >> 30)) ·
///   0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) · 0x94D049BB133111EB; z = z ^ (z >> 31) (all mod 2^64);
///   u = (z >> 40) · 2^-24 ∈ [0, 1).
/// - value = low + (high − low) · u in Double, then rounded to Float.
/// - Ranges: BatchNorm `weight` [0.5, 1.5), BatchNorm `bias` [−0.2, 0.2), any other `bias`
///   [−0.05, 0.05), a rank-4 `weight` ±sqrt(6 / fan_in), a rank-2 `weight` ±sqrt(3 / fan_in),
///   fan_in = the product of shape[1...].
///
/// BatchNorm buffers (`running_mean`, `running_var`, `num_batches_tracked`) are not formula values:
/// they come from a small safetensors file (`MODEL.bn.safetensors`), read by `stateDict`.
enum FormulaWeights {
    static let name = "camlab-formula/1"
    static let bufferNames: Set<String> = ["running_mean", "running_var", "num_batches_tracked"]

    enum Failure: Error, CustomStringConvertible {
        case noRange(key: String, shape: [Int])
        case missingBuffer(key: String, file: String)
        case bufferShape(key: String, file: String, shape: [Int], expected: [Int])
        case unexpectedBuffers(keys: [String], file: String)

        var description: String {
            switch self {
            case let .noRange(key, shape): "\(FormulaWeights.name) has no range for '\(key)' of shape \(shape)"
            case let .missingBuffer(key, file): "'\(file)' has no tensor '\(key)'"
            case let .bufferShape(key, file, shape, expected): "'\(file)': '\(key)' has shape \(shape), the model's is \(expected)"
            case let .unexpectedBuffers(keys, file): "'\(file)' has tensors the model does not: \(keys)"
            }
        }
    }

    /// FNV-1a 64-bit over the UTF-8 bytes of `key`.
    static func fnv1a64(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// u ∈ [0, 1) for flat index `index` of the key whose seed is `seed`.
    @inline(__always)
    static func unitUniform(seed: UInt64, index: Int) -> Double {
        let x = seed &+ UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
        var z = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z = z ^ (z >> 31)
        return Double(z >> 40) * 0x1p-24
    }

    /// u_i ∈ [0, 1) for i < count (the perturbation of the reference's BatchNorm buffers uses the
    /// keys `<key>#perturb`).
    static func unitUniforms(key: String, count: Int) -> [Double] {
        let seed = fnv1a64(key)
        return (0..<count).map { unitUniform(seed: seed, index: $0) }
    }

    /// Float(low + (high − low) · u_i) for i < count.
    static func uniform(key: String, count: Int, low: Double, high: Double) -> [Float] {
        let seed = fnv1a64(key)
        return (0..<count).map { Float(low + (high - low) * unitUniform(seed: seed, index: $0)) }
    }

    /// (low, high) of a parameter, or nil for a key the formula does not cover.
    static func range(key: String, shape: [Int], isBatchNormParameter: Bool) -> (low: Double, high: Double)? {
        let name = key.split(separator: ".").last.map(String.init) ?? key
        switch (name, isBatchNormParameter, shape.count) {
        case ("weight", true, _): return (0.5, 1.5)
        case ("bias", true, _): return (-0.2, 0.2)
        case ("bias", false, _): return (-0.05, 0.05)
        case ("weight", false, 4):
            let bound = (6.0 / Double(shape.dropFirst().reduce(1, *))).squareRoot()
            return (-bound, bound)
        case ("weight", false, 2):
            let bound = (3.0 / Double(shape[1])).squareRoot()
            return (-bound, bound)
        default: return nil
        }
    }

    /// The value at flat row-major `index` of the parameter.
    static func value(at index: Int, key: String, shape: [Int], isBatchNormParameter: Bool) -> Float {
        guard let (low, high) = range(key: key, shape: shape, isBatchNormParameter: isBatchNormParameter) else {
            preconditionFailure(Failure.noRange(key: key, shape: shape).description)
        }
        return Float(low + (high - low) * unitUniform(seed: fnv1a64(key), index: index))
    }

    /// All values of the parameter, flat row-major.
    static func values(key: String, shape: [Int], isBatchNormParameter: Bool) -> [Float] {
        guard let (low, high) = range(key: key, shape: shape, isBatchNormParameter: isBatchNormParameter) else {
            preconditionFailure(Failure.noRange(key: key, shape: shape).description)
        }
        return uniform(key: key, count: shape.reduce(1, *), low: low, high: high)
    }

    /// Whether the key's last component is a BatchNorm buffer name.
    static func isBuffer(_ key: String) -> Bool {
        bufferNames.contains(key.split(separator: ".").last.map(String.init) ?? key)
    }

    /// Whether `key` belongs to a BatchNorm module: its prefix also has `running_mean` in `keys`.
    static func isBatchNormParameter(_ key: String, keys: Set<String>) -> Bool {
        let prefix = key.lastIndex(of: ".").map { String(key[...$0]) } ?? ""
        return keys.contains(prefix + "running_mean")
    }

    /// The full state dict for the (key, shape) list of a model: parameters from the formula, the
    /// BatchNorm buffers from the safetensors file at `batchNormBuffers` (num_batches_tracked,
    /// stored as I64, becomes a Float). Throws if the file lacks a buffer, has another shape or
    /// holds tensors the list does not, or if a parameter is outside the formula.
    static func stateDict(entries: [(key: String, shape: [Int])], batchNormBuffers: URL) throws
        -> [String: (shape: [Int], values: [Float])] {
        let file = batchNormBuffers.lastPathComponent
        let buffers = try FormulaSafeTensors.read(batchNormBuffers)
        let keys = Set(entries.map(\.key))
        var result: [String: (shape: [Int], values: [Float])] = [:]
        for (key, shape) in entries {
            if isBuffer(key) {
                guard let stored = buffers[key] else { throw Failure.missingBuffer(key: key, file: file) }
                guard stored.shape == shape else {
                    throw Failure.bufferShape(key: key, file: file, shape: stored.shape, expected: shape)
                }
                result[key] = (shape, stored.values)
            } else {
                let batchNorm = isBatchNormParameter(key, keys: keys)
                guard range(key: key, shape: shape, isBatchNormParameter: batchNorm) != nil else {
                    throw Failure.noRange(key: key, shape: shape)
                }
                result[key] = (shape, values(key: key, shape: shape, isBatchNormParameter: batchNorm))
            }
        }
        let extra = Set(buffers.keys).subtracting(keys)
        guard extra.isEmpty else { throw Failure.unexpectedBuffers(keys: extra.sorted(), file: file) }
        return result
    }

    /// Σ_i (i + 1) · bits_i mod 2^64 over the Float bit patterns: the order-sensitive checksum that
    /// formula_weights.checksum records.
    static func checksum(_ values: [Float]) -> UInt64 {
        var total: UInt64 = 0
        for (index, value) in values.enumerated() {
            total = total &+ UInt64(index + 1) &* UInt64(value.bitPattern)
        }
        return total
    }
}

/// A tiny safetensors reader for the fixtures' BatchNorm-buffer files, which hold I64 tensors
/// (num_batches_tracked) beside F32 ones; values are returned as Float.
enum FormulaSafeTensors {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func read(_ url: URL) throws -> [String: (dtype: String, shape: [Int], values: [Float])] {
        let bytes = [UInt8](try Data(contentsOf: url))
        let name = url.lastPathComponent
        guard bytes.count >= 8 else { throw Failure(description: "'\(name)' is shorter than 8 bytes") }
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        guard 8 + headerLength <= bytes.count else { throw Failure(description: "'\(name)': the header runs past the end") }
        guard let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<8 + headerLength])) as? [String: Any] else {
            throw Failure(description: "'\(name)': the header is not a JSON object")
        }
        let data = 8 + headerLength
        var result: [String: (dtype: String, shape: [Int], values: [Float])] = [:]
        for (key, value) in header where key != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw Failure(description: "'\(name)': '\(key)' is not a tensor entry")
            }
            let count = shape.reduce(1, *)
            let width = ["F32": 4, "I64": 8, "F64": 8, "I32": 4][dtype]
            guard let width else { throw Failure(description: "'\(name)': '\(key)' has dtype \(dtype), not F32, F64, I32 or I64") }
            guard offsets[1] - offsets[0] == count * width, data + offsets[1] <= bytes.count else {
                throw Failure(description: "'\(name)': '\(key)' has data_offsets \(offsets) for \(count) \(dtype) values")
            }
            let values = (0..<count).map { index -> Float in
                let start = data + offsets[0] + index * width
                let bits = (0..<width).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[start + $1]) }
                switch dtype {
                case "F32": return Float(bitPattern: UInt32(truncatingIfNeeded: bits))
                case "F64": return Float(Double(bitPattern: bits))
                case "I32": return Float(Int32(truncatingIfNeeded: bits))
                default: return Float(Int64(bitPattern: bits))
                }
            }
            result[key] = (dtype, shape, values)
        }
        return result
    }
}
