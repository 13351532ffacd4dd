/// One pixel of an `RGBImage`: 8-bit sRGB red, green and blue.
public struct RGB: Equatable, Hashable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    public static let black = RGB(red: 0, green: 0, blue: 0)
    public static let white = RGB(red: 255, green: 255, blue: 255)
}

/// An 8-bit RGB image, pixels interleaved (R, G, B) row by row from the top-left corner.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// `width × height × 3` bytes: pixel (x, y) starts at `(y * width + x) * 3`.
    public var pixels: [UInt8]

    /// Wraps existing interleaved RGB bytes; `pixels.count` must be `width × height × 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "an image needs a positive width and height")
        precondition(pixels.count == width * height * 3,
                     "an RGB image of \(width)×\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image of one colour.
    public init(width: Int, height: Int, filledWith color: RGB = .black) {
        precondition(width > 0 && height > 0, "an image needs a positive width and height")
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for offset in stride(from: 0, to: pixels.count, by: 3) {
            pixels[offset] = color.red
            pixels[offset + 1] = color.green
            pixels[offset + 2] = color.blue
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// The pixel in column `x`, row `y` (0-based, from the top-left).
    public subscript(x x: Int, y y: Int) -> RGB {
        get {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) is outside the image")
            let offset = (y * width + x) * 3
            return RGB(red: pixels[offset], green: pixels[offset + 1], blue: pixels[offset + 2])
        }
        set {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) is outside the image")
            let offset = (y * width + x) * 3
            pixels[offset] = newValue.red
            pixels[offset + 1] = newValue.green
            pixels[offset + 2] = newValue.blue
        }
    }
}

/// An 8-bit single-channel image (masks, heatmaps before colouring), one byte per pixel, row by row.
public struct GrayImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// `width × height` bytes: pixel (x, y) is at `y * width + x`.
    public var pixels: [UInt8]

    /// Wraps existing bytes; `pixels.count` must be `width × height`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "an image needs a positive width and height")
        precondition(pixels.count == width * height,
                     "a gray image of \(width)×\(height) needs \(width * height) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image of one gray level.
    public init(width: Int, height: Int, filledWith value: UInt8 = 0) {
        precondition(width > 0 && height > 0, "an image needs a positive width and height")
        self.init(width: width, height: height, pixels: [UInt8](repeating: value, count: width * height))
    }

    /// The pixel in column `x`, row `y` (0-based, from the top-left).
    public subscript(x x: Int, y y: Int) -> UInt8 {
        get {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) is outside the image")
            return pixels[y * width + x]
        }
        set {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) is outside the image")
            pixels[y * width + x] = newValue
        }
    }
}

extension RGBImage {
    /// The `width × height` rectangle whose top-left pixel is (`x`, `y`); it must lie inside.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        RGBImage(width: width, height: height, pixels: crop(pixels, channels: 3, from: self.width, self.height, x, y, width, height))
    }
}

extension GrayImage {
    /// The `width × height` rectangle whose top-left pixel is (`x`, `y`); it must lie inside.
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> GrayImage {
        GrayImage(width: width, height: height, pixels: crop(pixels, channels: 1, from: self.width, self.height, x, y, width, height))
    }
}

private func crop(_ pixels: [UInt8], channels: Int, from sourceWidth: Int, _ sourceHeight: Int,
                  _ x: Int, _ y: Int, _ width: Int, _ height: Int) -> [UInt8] {
    precondition(x >= 0 && y >= 0 && width > 0 && height > 0 && x + width <= sourceWidth && y + height <= sourceHeight,
                 "the crop \(width)×\(height) at (\(x), \(y)) must lie inside the \(sourceWidth)×\(sourceHeight) image")
    var result: [UInt8] = []
    result.reserveCapacity(width * height * channels)
    for row in y..<(y + height) {
        let start = (row * sourceWidth + x) * channels
        result += pixels[start..<(start + width * channels)]
    }
    return result
}
