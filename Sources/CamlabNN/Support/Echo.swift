/// Text a person typed, as a message repeats it back: control characters written as escapes (an
/// ESC or a BEL echoed raw would drive the terminal, a NUL would hide the rest) and at most
/// `longest` characters, so a megabyte pasted by mistake is not printed back.
public enum Echo {
    /// Characters of a typed word a message repeats.
    public static let longest = 60
    /// Characters of one line of an error message: a sentence with a path or two fits, a list of
    /// ten thousand names does not.
    public static let longestMessageLine = 1_000

    /// `text` shortened to `limit` characters (with …) and with control characters escaped.
    public static func word(_ text: String, limit: Int = longest) -> String {
        var shown = "", count = 0
        for character in text {
            if count == limit { return shown + "…" }
            shown += escaped(character)
            count += 1
        }
        return shown
    }

    /// Each line of a message bounded to `longestMessageLine` characters, control characters escaped.
    public static func message(_ text: String) -> String {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { word(String($0), limit: longestMessageLine) }.joined(separator: "\n")
    }

    /// Whether `text` holds a control character (then it is no word a person meant to type).
    public static func containsControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains(where: isControl)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    private static func escaped(_ character: Character) -> String {
        guard character.unicodeScalars.contains(where: isControl) else { return String(character) }
        return character.unicodeScalars.map { scalar in
            guard isControl(scalar) else { return String(scalar) }
            switch scalar {
            case "\n": return "\\n"
            case "\t": return "\\t"
            case "\r": return "\\r"
            case "\u{1B}": return "\\e"
            default:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                return scalar.value <= 0xFF ? "\\x" + (hex.count == 1 ? "0" : "") + hex : "\\u{\(hex)}"
            }
        }.joined()
    }
}
