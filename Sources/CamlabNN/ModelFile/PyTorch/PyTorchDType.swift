/// A PyTorch element type, as a storage class (`torch.HalfStorage`) or a dtype (`torch.float16`)
/// names it, with how to turn its little-endian bytes into Float32.
enum PyTorchDType: String, CaseIterable, Sendable {
    case float32, float64, float16, bfloat16
    case int64, int32, int16, int8, uint8, bool
    case uint16, uint32, uint64
    case complex32, complex64, complex128
    case qint8, quint8, qint32, quint4x2, quint2x4
    case float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz, float8_e8m0fnu, float4_e2m1fn_x2
    case bits1x8, bits2x4, bits4x2, bits8, bits16, bcomplex32

    /// The storage classes of `torch.save`'s persistent ids (`torch.FloatStorage`, `torch.cuda.FloatStorage`).
    static let byStorageClass: [String: PyTorchDType] = [
        "FloatStorage": .float32, "DoubleStorage": .float64, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "LongStorage": .int64, "IntStorage": .int32, "ShortStorage": .int16, "CharStorage": .int8,
        "ByteStorage": .uint8, "BoolStorage": .bool, "ComplexFloatStorage": .complex64,
        "ComplexDoubleStorage": .complex128, "QInt8Storage": .qint8, "QUInt8Storage": .quint8,
        "QInt32Storage": .qint32, "QUInt4x2Storage": .quint4x2, "QUInt2x4Storage": .quint2x4,
    ]

    /// Bytes per element.
    var size: Int {
        switch self {
        case .int8, .uint8, .bool, .qint8, .quint8, .quint4x2, .quint2x4, .bits1x8, .bits2x4, .bits4x2, .bits8,
             .float8_e4m3fn, .float8_e5m2, .float8_e4m3fnuz, .float8_e5m2fnuz, .float8_e8m0fnu, .float4_e2m1fn_x2:
            return 1
        case .float16, .bfloat16, .int16, .uint16, .bits16:
            return 2
        case .float32, .int32, .uint32, .qint32, .complex32, .bcomplex32:
            return 4
        case .float64, .int64, .uint64, .complex64:
            return 8
        case .complex128:
            return 16
        }
    }

    /// Whether `value(at:in:)` can turn this dtype into Float32 (complex, quantized, packed and
    /// 8-bit float types cannot, or not without their scales).
    var convertsToFloat: Bool {
        switch self {
        case .float32, .float64, .float16, .bfloat16, .int64, .int32, .int16, .int8, .uint8, .bool,
             .uint16, .uint32, .uint64:
            return true
        default:
            return false
        }
    }

    /// The element at byte `offset` of `bytes` as Float32.
    ///
    /// - Precondition: `convertsToFloat`, and `offset + size <= bytes.count` (checked by the caller).
    @inline(__always)
    func value(at offset: Int, in bytes: UnsafeRawBufferPointer) -> Float {
        switch self {
        case .float32: return Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        case .float64: return Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
        case .float16: return Self.float(fromHalf: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        case .bfloat16:
            // bfloat16 is the top half of a float32.
            return Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))) << 16)
        case .int64: return Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
        case .int32: return Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
        case .int16: return Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
        case .int8: return Float(Int8(bitPattern: bytes[offset]))
        case .uint8: return Float(bytes[offset])
        case .bool: return bytes[offset] == 0 ? 0 : 1
        case .uint16: return Float(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        case .uint32: return Float(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        case .uint64: return Float(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
        default: preconditionFailure("\(self) does not convert to Float32")
        }
    }

    /// IEEE half precision to single, by hand: `Float16` is unavailable on Intel Macs.
    /// Half: 1 sign, 5 exponent (bias 15), 10 fraction bits; single: 1, 8 (bias 127), 23.
    static func float(fromHalf bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int(bits >> 10) & 0x1F
        let fraction = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: fraction × 2^-24, exact in Float.
            let magnitude = Float(fraction) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            // Infinity or NaN (payload kept).
            return Float(bitPattern: sign | 0x7F80_0000 | fraction << 13)
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | fraction << 13)
        }
    }
}
