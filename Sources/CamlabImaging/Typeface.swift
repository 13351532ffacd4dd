import CGD

/// A font size and weight for figure text. Sizes are in points at libgd's 96 dpi (12 pt ≈ 16 px).
public struct Font: Equatable, Sendable {
    public var points: Double
    public var isBold: Bool

    public init(points: Double, isBold: Bool = false) {
        self.points = points
        self.isBold = isBold
    }

    /// The fontconfig pattern naming this font: DejaVu Sans, which Debian's fonts-dejavu-core installs.
    var pattern: String { isBold ? "DejaVu Sans:bold" : "DejaVu Sans" }
}

/// The size of a line of text: the ink-independent box a layout reserves for it.
public struct TextSize: Equatable, Sendable {
    public var width: Int
    /// Ascent + descent of the font at this size (the same for every string, so lines align).
    public var height: Int
    /// From the top of the box to the baseline.
    public var ascent: Int
}

/// How text is rendered: TrueType through FreeType and fontconfig, or — when no TrueType font is
/// installed — libgd's built-in bitmap fonts, which know ASCII only.
public enum Typeface: Equatable, Sendable {
    case trueType
    case builtIn

    /// TrueType when fontconfig finds DejaVu Sans, else the built-in fonts. Probed once.
    public static let available: Typeface = {
        _ = enableFontConfig
        var box = [Int32](repeating: 0, count: 8)
        return freeTypeError(image: nil, box: &box, color: 0, font: Font(points: 12), x: 0, y: 0, text: "Ag") == nil
            ? .trueType : .builtIn
    }()

    /// `gdFTUseFontConfig(1)` lets fonts be named by fontconfig patterns; it is process-wide.
    /// `gdFontCacheSetup` must run before several threads draw text (libgd's font cache is shared).
    private static let enableFontConfig: Void = {
        _ = gdFontCacheSetup()
        _ = gdFTUseFontConfig(1)
    }()

    /// The box of one line of `text`.
    public func measure(_ text: String, font: Font) -> TextSize {
        switch self {
        case .trueType:
            let metrics = Self.lineMetrics(font)
            return TextSize(width: Self.inkExtent(text, font: font).width, height: metrics.ascent + metrics.descent,
                            ascent: metrics.ascent)
        case .builtIn:
            let bitmap = Self.bitmapFont(font)
            let characters = Self.ascii(text).utf8.count
            return TextSize(width: characters * Int(bitmap.pointee.w), height: Int(bitmap.pointee.h), ascent: Int(bitmap.pointee.h))
        }
    }

    /// Draws one line with its box's top-left corner at (x, top). Should FreeType fail on this one
    /// string, the built-in font draws it: a figure never silently loses a label.
    func draw(_ text: String, on image: gdImagePtr, x: Int, top: Int, font: Font, color: Int32) {
        if self == .trueType {
            let metrics = Self.lineMetrics(font)
            let left = Self.inkExtent(text, font: font).left
            var box = [Int32](repeating: 0, count: 8)
            if Self.freeTypeError(image: image, box: &box, color: color, font: font,
                                  x: x - left, y: top + metrics.ascent, text: text) == nil { return }
        }
        var bytes = Array(Self.ascii(text).utf8) + [0]
        gdImageString(image, Self.bitmapFont(font), Int32(x), Int32(top), &bytes, color)
    }

    // MARK: - FreeType

    /// Ascent and descent that hold accents, descenders, Σ and ∂, so every line of a size is as tall.
    private static func lineMetrics(_ font: Font) -> (ascent: Int, descent: Int) {
        var box = [Int32](repeating: 0, count: 8)
        _ = freeTypeError(image: nil, box: &box, color: 0, font: font, x: 0, y: 0, text: "ÁÉgjpqyΣ∂|(")
        // box: lower-left, lower-right, upper-right, upper-left corners, y down, relative to the baseline.
        return (ascent: Int(-min(box[5], box[7])) + 1, descent: Int(max(box[1], box[3])) + 1)
    }

    /// The horizontal extent of the ink: its left edge relative to the origin and its width.
    private static func inkExtent(_ text: String, font: Font) -> (left: Int, width: Int) {
        guard !text.isEmpty else { return (0, 0) }
        var box = [Int32](repeating: 0, count: 8)
        _ = freeTypeError(image: nil, box: &box, color: 0, font: font, x: 0, y: 0, text: text)
        let left = Int(min(box[0], box[6])), right = Int(max(box[2], box[4]))
        return (left, right - left + 1)
    }

    /// Calls gdImageStringFT (a nil image only measures) and returns its error message, or nil.
    private static func freeTypeError(image: gdImagePtr?, box: inout [Int32], color: Int32, font: Font,
                                      x: Int, y: Int, text: String) -> String? {
        _ = enableFontConfig
        let error = font.pattern.withCString { pattern in
            text.withCString { string in
                gdImageStringFT(image, &box, color, UnsafeMutablePointer(mutating: pattern), font.points, 0,
                                Int32(x), Int32(y), UnsafeMutablePointer(mutating: string))
            }
        }
        // The message is a static string inside libgd: copied, never freed.
        return error.map { String(cString: $0) }
    }

    // MARK: - Built-in fonts

    /// The bitmap font nearest in size: Giant (9×15, bold) for titles, Large (8×16), Medium bold
    /// (7×13), Small (6×13).
    private static func bitmapFont(_ font: Font) -> gdFontPtr {
        switch (font.points >= 13, font.isBold) {
        case (true, true): return gdFontGetGiant()
        case (true, false): return gdFontGetLarge()
        case (false, true): return gdFontGetMediumBold()
        case (false, false): return gdFontGetSmall()
        }
    }

    /// The text in ASCII, the bitmap fonts' only common alphabet: Greek letters and mathematical
    /// signs spelled out, anything else as '?'.
    static func ascii(_ text: String) -> String {
        let spelled: [Character: String] = [
            "α": "alpha", "Σ": "sum", "∂": "d", "ψ": "psi", "−": "-", "·": "*", "×": "x",
            "²": "^2", "³": "^3", "₁": "1", "…": "...", "≈": "~", "→": "->", "’": "'", "‘": "'", "“": "\"", "”": "\"", "–": "-", "—": "-", "⊙": "*",
        ]
        return text.map { character -> String in
            if character.isASCII { return String(character) }
            return spelled[character] ?? "?"
        }.joined()
    }
}
