/// Minimal JSON writing for the one-line results the commands print, keeping keys in the order
/// the documentation shows them (Foundation's encoder would sort or shuffle them).
public enum JSONLine {
    /// `{"key": value, ...}` from already encoded values.
    public static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\(string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }

    /// A JSON string literal.
    public static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A finite number (Swift's shortest round-tripping form is valid JSON); NaN and infinities,
    /// which JSON cannot hold, become null.
    public static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }
    public static func number(_ value: Float) -> String { value.isFinite ? "\(value)" : "null" }
    public static func number(_ value: Int) -> String { "\(value)" }

    public static func array(_ values: [String]) -> String { "[" + values.joined(separator: ", ") + "]" }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
