import CamlabImaging

/// A heatmap drawn with characters: two pixels per cell with the upper half block `▀`, whose
/// foreground is the top pixel and background the bottom one, in 24-bit or 256-colour escapes.
/// Without colour (a pipe, `NO_COLOR`) it falls back to a ramp of ASCII characters by intensity,
/// so the shape of the map still reads.
public enum TerminalHeatmap {
    /// Renders an RGB picture (e.g. an overlay) scaled by an integer factor; `intensity`, one value in
    /// [0, 1] per pixel, is what the ASCII fallback shows. A picture larger than the terminal is
    /// shrunk to fit its width (and, in a window, its height), keeping its aspect ratio: one
    /// character is one pixel wide and two high.
    public static func render(_ picture: RGBImage, intensity: [Float], scale: Int = 1, terminal: Terminal) -> String {
        let columns = Swift.max(8, terminal.width - 1)
        let rows = terminal.height.map { Swift.max(8, $0 - 6) } ?? Int.max
        let shrink = Swift.min(1, Double(columns) / Double(picture.width * scale),
                               rows == Int.max ? 1 : Double(2 * rows) / Double(picture.height * scale))
        if shrink < 1 {
            let width = Swift.max(1, Int(Double(picture.width) * shrink * Double(scale)))
            let height = Swift.max(1, Int(Double(picture.height) * shrink * Double(scale)))
            let sampled = (0..<(width * height)).map { index -> Float in
                intensity[(index / width) * picture.height / height * picture.width + (index % width) * picture.width / width]
            }
            return render(picture.resized(toWidth: width, height: height), intensity: sampled, scale: 1, terminal: terminal)
        }
        let picture = scale > 1 ? picture.resized(toWidth: picture.width * scale, height: picture.height * scale,
                                                  method: .nearestNeighbor) : picture
        let width = picture.width, height = picture.height
        let sourceWidth = width / Swift.max(scale, 1)
        func value(_ x: Int, _ y: Int) -> Float { intensity[(y / scale) * sourceWidth + x / scale] }
        var lines: [String] = []
        switch terminal.color {
        case .none:
            let ramp = Array(" .:-=+*#%@")
            for y in stride(from: 0, to: height, by: 2) {
                var line = ""
                for x in 0..<width {
                    let v = y + 1 < height ? (value(x, y) + value(x, y + 1)) / 2 : value(x, y)
                    line.append(ramp[Swift.min(ramp.count - 1, Int(v * Float(ramp.count - 1) + 0.5))])
                }
                lines.append(line)
            }
        case .palette256, .trueColor:
            for y in stride(from: 0, to: height, by: 2) {
                var line = ""
                for x in 0..<width {
                    let top = picture[x: x, y: y]
                    let bottom = y + 1 < height ? picture[x: x, y: y + 1] : RGB.black
                    line += escape(top, foreground: true, terminal.color) + escape(bottom, foreground: false, terminal.color) + "▀"
                }
                lines.append(line + "\u{1B}[0m")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A one-line colour scale from 0 to 1 for the legend.
    public static func colorScale(colormap: Colormap = .jet, width: Int = 32, terminal: Terminal) -> String {
        guard terminal.color != .none else { return "0 " + String(repeating: "-", count: width) + " 1" }
        let cells = (0..<width).map { i -> String in
            escape(colormap.color(at: Float(i) / Float(width - 1)), foreground: false, terminal.color) + " "
        }
        return "0 " + cells.joined() + "\u{1B}[0m 1"
    }

    static func escape(_ color: RGB, foreground: Bool, _ support: Terminal.ColorSupport) -> String {
        let layer = foreground ? 38 : 48
        if support == .trueColor { return "\u{1B}[\(layer);2;\(color.red);\(color.green);\(color.blue)m" }
        // The 6×6×6 cube of the 256-colour palette.
        func level(_ c: UInt8) -> Int { c < 48 ? 0 : c < 115 ? 1 : (Int(c) - 35) / 40 }
        let index = 16 + 36 * level(color.red) + 6 * level(color.green) + level(color.blue)
        return "\u{1B}[\(layer);5;\(index)m"
    }
}
