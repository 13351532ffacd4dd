/// A parsed JSON value, as far as camlab model files need one.
///
/// The model file layer parses JSON itself instead of using `JSONSerialization`, because
/// that API turns `1` into a Boolean-compatible `NSNumber`, rejects `1e400` with a vague
/// message and rounds huge integers. Here numbers keep their literal text, so converting one
/// to `Int` either succeeds exactly or fails with a sentence, and never traps.
enum ModelFileJSON: Equatable {
    case null
    case bool(Bool)
    /// The number exactly as written in the document.
    case number(String)
    case string(String)
    case array([ModelFileJSON])
    /// Members in document order; duplicate keys are refused while parsing.
    case object([(key: String, value: ModelFileJSON)])

    static func == (lhs: ModelFileJSON, rhs: ModelFileJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The value of `key` when this is an object.
    subscript(key: String) -> ModelFileJSON? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The integer this number spells, if it is an integer that fits in `Int`.
    ///
    /// Accepts `3` and `-2`; refuses `3.0`, `1e3`, and anything out of range (`Int(_:)` on a
    /// string returns nil on overflow rather than trapping).
    var intValue: Int? {
        guard case let .number(text) = self,
              text.allSatisfy({ $0 == "-" || $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// The number as a `Double`, if it is a finite number.
    var doubleValue: Double? {
        guard case let .number(text) = self, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// A short description of the value's kind, for error messages.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a Boolean"
        case let .number(text): return "the number \(text)"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

// MARK: - Parsing

/// Why a byte sequence is not JSON; `offset` counts bytes from the start of the text.
struct ModelFileJSONSyntaxError: Error {
    var offset: Int
    var reason: String
    var description: String { "\(reason) at byte \(offset)" }
}

extension ModelFileJSON {
    /// Parses one JSON value that must fill `bytes`, apart from surrounding white space.
    static func parse<Bytes: Collection>(_ bytes: Bytes) throws -> ModelFileJSON where Bytes.Element == UInt8 {
        var parser = Parser(bytes: Array(bytes))
        parser.skipWhiteSpace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhiteSpace()
        guard parser.position == parser.bytes.count else {
            throw parser.error("unexpected text after the JSON value")
        }
        return value
    }

    static func parse(_ text: String) throws -> ModelFileJSON {
        try parse(Array(text.utf8))
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0
        /// Deeper nesting than any model file needs; the limit keeps recursion off the stack's edge.
        let maximumDepth = 64

        func error(_ reason: String) -> ModelFileJSONSyntaxError {
            ModelFileJSONSyntaxError(offset: position, reason: reason)
        }

        mutating func skipWhiteSpace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) {
                position += 1
            }
        }

        mutating func expect(_ literal: String) throws {
            for byte in literal.utf8 {
                guard position < bytes.count, bytes[position] == byte else {
                    throw error("expected '\(literal)'")
                }
                position += 1
            }
        }

        mutating func parseValue(depth: Int) throws -> ModelFileJSON {
            guard depth < maximumDepth else { throw error("nesting deeper than \(maximumDepth) levels") }
            guard position < bytes.count else { throw error("unexpected end of text") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw error("unexpected character")
            }
        }

        mutating func parseObject(depth: Int) throws -> ModelFileJSON {
            position += 1
            var members: [(key: String, value: ModelFileJSON)] = []
            var seen = Set<String>()
            skipWhiteSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipWhiteSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    throw error("expected a key in quotes")
                }
                let keyStart = position
                let key = try parseString()
                guard seen.insert(key).inserted else {
                    throw ModelFileJSONSyntaxError(offset: keyStart, reason: "duplicate key \"\(key)\"")
                }
                skipWhiteSpace()
                try expect(":")
                skipWhiteSpace()
                members.append((key, try parseValue(depth: depth + 1)))
                skipWhiteSpace()
                guard position < bytes.count else { throw error("unexpected end of text") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
                throw error("expected ',' or '}'")
            }
        }

        mutating func parseArray(depth: Int) throws -> ModelFileJSON {
            position += 1
            var elements: [ModelFileJSON] = []
            skipWhiteSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            while true {
                skipWhiteSpace()
                elements.append(try parseValue(depth: depth + 1))
                skipWhiteSpace()
                guard position < bytes.count else { throw error("unexpected end of text") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(elements) }
                throw error("expected ',' or ']'")
            }
        }

        mutating func parseNumber() throws -> ModelFileJSON {
            let start = position
            func digits(_ parser: inout Parser) -> Int {
                let first = parser.position
                while parser.position < parser.bytes.count,
                      (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.position]) {
                    parser.position += 1
                }
                return parser.position - first
            }
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits(&self) > 0 else { throw error("expected digits") }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard digits(&self) > 0 else { throw error("expected digits after '.'") }
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                    position += 1
                }
                guard digits(&self) > 0 else { throw error("expected digits in the exponent") }
            }
            return .number(String(decoding: bytes[start..<position], as: UTF8.self))
        }

        mutating func parseString() throws -> String {
            position += 1
            var scalars = String.UnicodeScalarView()
            var runStart = position
            func flushRun(_ parser: Parser) throws {
                guard runStart < parser.position else { return }
                guard let text = String(validating: parser.bytes[runStart..<parser.position], as: UTF8.self) else {
                    throw parser.error("invalid UTF-8 in a string")
                }
                scalars.append(contentsOf: text.unicodeScalars)
            }
            while true {
                guard position < bytes.count else { throw error("unterminated string") }
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    try flushRun(self)
                    position += 1
                    return String(scalars)
                }
                if byte < 0x20 { throw error("control character in a string") }
                if byte != UInt8(ascii: "\\") { position += 1; continue }
                try flushRun(self)
                position += 1
                guard position < bytes.count else { throw error("unterminated string") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try parseHexQuad()
                    // A high surrogate must be followed by a low one; together they name one scalar.
                    if (0xD800..<0xDC00).contains(code) {
                        try expect("\\u")
                        let low = try parseHexQuad()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("unpaired surrogate") }
                    scalars.append(scalar)
                default:
                    throw error("unknown escape")
                }
                runStart = position
            }
        }

        mutating func parseHexQuad() throws -> UInt32 {
            guard position + 4 <= bytes.count,
                  let code = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
            else { throw error("expected four hex digits") }
            position += 4
            return code
        }
    }
}

// MARK: - Writing

/// JSON text written by hand (the model file's header and metadata, and the lab's JSON lines).
public enum JSONText {
    /// `text` as a JSON string literal, escaped the way the given writer escapes.
    ///
    /// - Parameter asciiOnly: `true` escapes every non-ASCII scalar as `\uXXXX`, like Python's
    ///   `json.dumps`; `false` keeps UTF-8 as is, like Rust's `serde_json` (the safetensors header).
    public static func quoted(_ text: String, asciiOnly: Bool) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            default:
                if scalar.value < 0x20 || (asciiOnly && scalar.value > 0x7F) {
                    // UTF-16 code units, so scalars beyond the BMP become surrogate pairs.
                    for unit in String(scalar).utf16 {
                        let hex = String(unit, radix: 16)
                        result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    }
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
