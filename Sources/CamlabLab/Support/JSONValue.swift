import Foundation
import CamlabNN

/// A JSON value written by hand, so keys keep the order a reader expects and Float values print in
/// their shortest round-trip form (Foundation's encoder widens them to Double: 0.1 → 0.10000000149).
public indirect enum JSONValue {
    case string(String)
    case int(Int)
    case float(Float)
    case double(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Numbers of a tensor, nested along `shape`.
    public static func nested(_ values: [Float], shape: [Int]) -> JSONValue {
        guard let first = shape.first else { return .float(values.first ?? 0) }
        if shape.count == 1 { return .array(values.map(JSONValue.float)) }
        let stride = values.count / Swift.max(first, 1)
        return .array((0..<first).map { i in nested(Array(values[(i * stride)..<((i + 1) * stride)]), shape: Array(shape.dropFirst())) })
    }

    /// Compact JSON text. Non-finite numbers have no JSON form; callers must not pass them, and
    /// they are written as null rather than as invalid JSON.
    public var text: String {
        switch self {
        case .string(let s): return JSONValue.quoted(s)
        case .int(let i): return String(i)
        // Swift's shortest round-trip forms (1e-05, 5.0, -0.0) are all valid JSON numbers.
        case .float(let f): return f.isFinite ? f.description : "null"
        case .double(let d): return d.isFinite ? d.description : "null"
        case .bool(let b): return b ? "true" : "false"
        case .array(let items): return "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .object(let pairs): return "{" + pairs.map { JSONValue.quoted($0.0) + ": " + $0.1.text }.joined(separator: ", ") + "}"
        }
    }

    static func quoted(_ s: String) -> String { JSONText.quoted(s, asciiOnly: false) }
}
