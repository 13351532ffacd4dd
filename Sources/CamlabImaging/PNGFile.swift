import CPNG

/// Reading and writing PNG files with libpng's simplified API (`png_image_*`), which needs no
/// `setjmp` from Swift and converts every PNG flavour (palette, gray, 16-bit, alpha, interlaced)
/// to the 8-bit layout we ask for.
public enum PNGFile {
    /// Reads any PNG as 8-bit RGB. Transparent pixels are composited onto white.
    public static func readRGB(at path: String) throws -> RGBImage {
        try decodeRGB(FileIO.readAll(path), path: path)
    }

    /// Decodes the bytes of the PNG file `path` (already read) to RGB.
    static func decodeRGB(_ bytes: [UInt8], path: String) throws -> RGBImage {
        let decoded = try decode(bytes, channels: 3, path: path)
        return RGBImage(width: decoded.width, height: decoded.height, pixels: decoded.pixels)
    }

    /// Reads any PNG as 8-bit gray (colour files are converted by libpng's sRGB luminance).
    public static func readGray(at path: String) throws -> GrayImage {
        let bytes = try FileIO.readAll(path)
        let decoded = try decode(bytes, channels: 1, path: path)
        return GrayImage(width: decoded.width, height: decoded.height, pixels: decoded.pixels)
    }

    /// Writes an 8-bit RGB PNG atomically (temporary file in the same folder, then rename).
    public static func write(_ image: RGBImage, to path: String) throws {
        try FileIO.writeAtomically(encode(image), to: path)
    }

    /// Writes an 8-bit gray PNG atomically (temporary file in the same folder, then rename).
    public static func write(_ image: GrayImage, to path: String) throws {
        try FileIO.writeAtomically(encode(image), to: path)
    }

    /// The bytes of an 8-bit RGB PNG file.
    public static func encode(_ image: RGBImage) -> [UInt8] {
        encode(width: image.width, height: image.height, pixels: image.pixels, format: formatRGB)
    }

    /// The bytes of an 8-bit gray PNG file.
    public static func encode(_ image: GrayImage) -> [UInt8] {
        encode(width: image.width, height: image.height, pixels: image.pixels, format: formatGray)
    }

    /// Decodes PNG bytes held in memory to RGB; errors name the file as "PNG data in memory".
    public static func decodeRGB(_ bytes: [UInt8]) throws -> RGBImage {
        let decoded = try decode(bytes, channels: 3, path: memoryName)
        return RGBImage(width: decoded.width, height: decoded.height, pixels: decoded.pixels)
    }

    /// Decodes PNG bytes held in memory to gray; errors name the file as "PNG data in memory".
    public static func decodeGray(_ bytes: [UInt8]) throws -> GrayImage {
        let decoded = try decode(bytes, channels: 1, path: memoryName)
        return GrayImage(width: decoded.width, height: decoded.height, pixels: decoded.pixels)
    }

    /// True when `bytes` start with the 8-byte PNG signature.
    public static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 8 && Array(bytes[0..<8]) == signature
    }

    // MARK: - libpng

    // PNG_FORMAT_GRAY and PNG_FORMAT_RGB (PNG_FORMAT_FLAG_COLOR), spelled out because macro
    // expressions are not always imported.
    private static let formatGray: UInt32 = 0
    private static let formatRGB: UInt32 = 2
    private static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    private static let memoryName = "PNG data in memory"
    /// Refuse absurd headers (a corrupt width × height) before allocating: 2^28 pixels is 16384².
    private static let maximumPixelCount = 1 << 28

    private static func decode(_ bytes: [UInt8], channels: Int, path: String) throws
        -> (width: Int, height: Int, pixels: [UInt8])
    {
        guard hasSignature(bytes) else {
            throw ImagingError(.read, path: path,
                               problem: "not a PNG file (it does not start with the PNG signature)")
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        let began = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard began != 0 else {
            throw ImagingError(.read, path: path, problem: "not a valid PNG file (libpng: \(message(of: image)))")
        }
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width * height <= maximumPixelCount else {
            throw ImagingError(.read, path: path, problem: "the PNG header claims an unusable size of \(width)×\(height)")
        }
        image.format = channels == 3 ? formatRGB : formatGray
        // PNG_IMAGE_FLAG_16BIT_sRGB (set after the header is read, which resets the flags): a 16-bit
        // file without gamma information holds sRGB-encoded values like any other PNG, so 0x8080
        // reads as 128; libpng would otherwise assume linear light and brighten it.
        image.flags |= 0x04
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        var background = png_color(red: 255, green: 255, blue: 255)
        let finished = pixels.withUnsafeMutableBytes {
            png_image_finish_read(&image, &background, $0.baseAddress, 0, nil)
        }
        guard finished != 0 else {
            throw ImagingError(.read, path: path,
                               problem: "the PNG data is damaged or truncated (libpng: \(message(of: image)))")
        }
        return (width, height, pixels)
    }

    private static func encode(width: Int, height: Int, pixels: [UInt8], format: UInt32) -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = format
        defer { png_image_free(&image) }
        // A first guess big enough for noisy images (raw bytes plus zlib and chunk overhead) saves
        // a second compression pass; libpng reports the size it needs if the guess is short.
        var capacity = pixels.count + pixels.count / 8 + height + 1024
        while true {
            var output = [UInt8](repeating: 0, count: capacity)
            var size = png_alloc_size_t(capacity)
            let succeeded = output.withUnsafeMutableBytes { outputBytes in
                pixels.withUnsafeBytes { pixelBytes in
                    png_image_write_to_memory(&image, outputBytes.baseAddress, &size, 0, pixelBytes.baseAddress, 0, nil)
                }
            }
            if succeeded != 0 {
                output.removeLast(capacity - Int(size))
                return output
            }
            // Failure with a larger size means only "buffer too small"; anything else is a bug
            // (the image's own invariants make the arguments valid).
            precondition(Int(size) > capacity, "libpng could not encode a \(width)×\(height) image: \(message(of: image))")
            capacity = Int(size)
            png_image_free(&image)
            image.warning_or_error = 0
        }
    }

    /// libpng's message, a NUL-terminated string in a fixed 64-byte C array.
    private static func message(of image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            let text = String(decoding: bytes, as: UTF8.self)
            return text.isEmpty ? "no details" : text
        }
    }
}
