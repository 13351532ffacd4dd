import CamlabImaging

/// One line of figure text with its font and colour.
public struct TextLine: Sendable {
    public var text: String
    public var font: Font
    public var color: RGB

    public init(_ text: String, font: Font, color: RGB) {
        self.text = text
        self.font = font
        self.color = color
    }
}

extension FigureStyle {
    func titleLine(_ text: String) -> TextLine { TextLine(text, font: title, color: ink) }
    func headingLine(_ text: String) -> TextLine { TextLine(text, font: heading, color: ink) }
    func bodyLine(_ text: String) -> TextLine { TextLine(text, font: body, color: ink) }
    func noteLine(_ text: String) -> TextLine { TextLine(text, font: body, color: muted) }
    func smallLine(_ text: String) -> TextLine { TextLine(text, font: small, color: muted) }

    /// The width and height of lines stacked with the style's spacing.
    func size(of lines: [TextLine]) -> (width: Int, height: Int) {
        guard !lines.isEmpty else { return (0, 0) }
        let sizes = lines.map { typeface.measure($0.text, font: $0.font) }
        return (sizes.map(\.width).max()!, sizes.map(\.height).reduce(0, +) + lineSpacing * (lines.count - 1))
    }
}

extension Canvas {
    /// Draws stacked lines from `top`; returns the y just below the last one.
    @discardableResult
    func draw(_ lines: [TextLine], x: Int, top: Int, alignment: TextAlignment = .left, spacing: Int) -> Int {
        var y = top
        for line in lines {
            text(line.text, x: x, top: y, font: line.font, color: line.color, alignment: alignment)
            y += measure(line.text, font: line.font).height + spacing
        }
        return lines.isEmpty ? top : y - spacing
    }
}
