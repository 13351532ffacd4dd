import CGD

/// A drawing surface for figures, wrapping a libgd true-colour image: rectangles, lines, images
/// computed in Swift, and text through FreeType (or the built-in fonts). Coordinates are pixels
/// from the top-left corner; rectangles include their first and exclude their last row and column.
public final class Canvas {
    public let width: Int
    public let height: Int
    public let typeface: Typeface
    private let image: gdImagePtr

    public init(width: Int, height: Int, background: RGB = .white, typeface: Typeface = .available) {
        precondition(width > 0 && height > 0, "a canvas needs a positive width and height")
        guard let image = gdImageCreateTrueColor(Int32(width), Int32(height)) else {
            preconditionFailure("libgd could not allocate a \(width)×\(height) canvas")
        }
        self.image = image
        self.width = width
        self.height = height
        self.typeface = typeface
        fill(x: 0, y: 0, width: width, height: height, color: background)
    }

    deinit { gdImageDestroy(image) }

    /// Fills `width × height` pixels from (x, y).
    public func fill(x: Int, y: Int, width: Int, height: Int, color: RGB) {
        guard width > 0, height > 0 else { return }
        gdImageFilledRectangle(image, Int32(x), Int32(y), Int32(x + width - 1), Int32(y + height - 1), Self.gdColor(color))
    }

    /// A rectangle's outline drawn `thickness` pixels inward from its edge.
    public func stroke(x: Int, y: Int, width: Int, height: Int, color: RGB, thickness: Int = 1) {
        fill(x: x, y: y, width: width, height: thickness, color: color)
        fill(x: x, y: y + height - thickness, width: width, height: thickness, color: color)
        fill(x: x, y: y, width: thickness, height: height, color: color)
        fill(x: x + width - thickness, y: y, width: thickness, height: height, color: color)
    }

    /// A straight line between two pixel centres.
    public func line(from start: (x: Int, y: Int), to end: (x: Int, y: Int), color: RGB, thickness: Int = 1) {
        gdImageSetThickness(image, Int32(thickness))
        gdImageLine(image, Int32(start.x), Int32(start.y), Int32(end.x), Int32(end.y), Self.gdColor(color))
        gdImageSetThickness(image, 1)
    }

    /// A filled disc of `diameter` pixels centred on (x, y): a plot marker.
    public func disc(centerX x: Int, y: Int, diameter: Int, color: RGB) {
        gdImageFilledEllipse(image, Int32(x), Int32(y), Int32(diameter), Int32(diameter), Self.gdColor(color))
    }

    /// Copies an image's pixels with its top-left corner at (x, y), unchanged: images are computed
    /// (resized, coloured) in Swift, never resampled by libgd.
    public func draw(_ picture: RGBImage, x: Int, y: Int) {
        for row in 0..<picture.height where (0..<height).contains(y + row) {
            guard let line = image.pointee.tpixels[y + row] else { continue }
            for column in 0..<picture.width where (0..<width).contains(x + column) {
                let offset = (row * picture.width + column) * 3
                line[x + column] = Int32(picture.pixels[offset]) << 16 | Int32(picture.pixels[offset + 1]) << 8
                    | Int32(picture.pixels[offset + 2])
            }
        }
    }

    /// The box `text` needs in `font` with this canvas's typeface.
    public func measure(_ text: String, font: Font) -> TextSize { typeface.measure(text, font: font) }

    /// Draws one line of text whose box starts at `top`; `x` is its left edge, centre or right edge.
    public func text(_ text: String, x: Int, top: Int, font: Font, color: RGB = .black,
                     alignment: TextAlignment = .left) {
        let size = measure(text, font: font)
        let left = switch alignment {
        case .left: x
        case .center: x - size.width / 2
        case .right: x - size.width
        }
        typeface.draw(text, on: image, x: left, top: top, font: font, color: Self.gdColor(color))
    }

    /// The pixels drawn so far.
    public var rgbImage: RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            let line = image.pointee.tpixels[y]!
            for x in 0..<width {
                let value = line[x], offset = (y * width + x) * 3
                pixels[offset] = UInt8((value >> 16) & 0xFF)
                pixels[offset + 1] = UInt8((value >> 8) & 0xFF)
                pixels[offset + 2] = UInt8(value & 0xFF)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Writes the canvas as an 8-bit RGB PNG, atomically. The bytes depend only on the pixels (no
    /// timestamp), so the same drawing gives the same file.
    public func writePNG(to path: String) throws {
        try PNGFile.write(rgbImage, to: path)
    }

    /// libgd's opaque true-colour value (alpha 0 = opaque).
    private static func gdColor(_ color: RGB) -> Int32 {
        Int32(color.red) << 16 | Int32(color.green) << 8 | Int32(color.blue)
    }
}

/// Where a line of text sits relative to the x given to `Canvas.text`.
public enum TextAlignment: Sendable {
    case left, center, right
}
