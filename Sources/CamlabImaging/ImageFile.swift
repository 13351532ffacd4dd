import CGD
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading (and writing) images in any common format: PNG through libpng (`PNGFile`), JPEG, GIF,
/// BMP, WebP and TIFF through libgd.
///
/// The format is recognised from the file's first bytes, not from its extension, so a JPEG saved
/// as `photo.png` still opens and a text file named `x.jpg` gets a precise error. The decoders are
/// libgd's in-memory `gdImageCreateFrom…Ptr` readers, the same ones `gdImageCreateFromFile` picks
/// by extension.
public enum ImageFile {
    /// The image formats this module understands.
    public enum Format: String, CaseIterable, Sendable {
        case png = "PNG", jpeg = "JPEG", gif = "GIF", bmp = "BMP", webp = "WebP", tiff = "TIFF"

        /// The format a file extension names (`jpg`, `JPEG`, `tif`…), or nil.
        public init?(fileExtension: String) {
            switch fileExtension.lowercased() {
            case "png": self = .png
            case "jpg", "jpeg": self = .jpeg
            case "gif": self = .gif
            case "bmp": self = .bmp
            case "webp": self = .webp
            case "tif", "tiff": self = .tiff
            default: return nil
            }
        }

        /// The format whose signature starts `bytes`, or nil.
        public init?(sniffing bytes: [UInt8]) {
            func starts(with prefix: [UInt8], at offset: Int = 0) -> Bool {
                bytes.count >= offset + prefix.count && Array(bytes[offset..<offset + prefix.count]) == prefix
            }
            if PNGFile.hasSignature(bytes) { self = .png }
            else if starts(with: [0xFF, 0xD8, 0xFF]) { self = .jpeg }
            else if starts(with: Array("GIF87a".utf8)) || starts(with: Array("GIF89a".utf8)) { self = .gif }
            else if starts(with: Array("BM".utf8)) { self = .bmp }
            else if starts(with: Array("RIFF".utf8)) && starts(with: Array("WEBP".utf8), at: 8) { self = .webp }
            else if starts(with: [0x49, 0x49, 0x2A, 0x00]) || starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { self = .tiff }
            else { return nil }
        }
    }

    /// The file extensions `readRGB(at:)` accepts when listing folders (lower case, no dot).
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff"]

    /// Reads an image file of any supported format as 8-bit RGB. Palette images are expanded;
    /// transparent pixels are composited onto white.
    public static func readRGB(at path: String) throws -> RGBImage {
        try decodeRGB(FileIO.readAll(path), path: path)
    }

    /// Decodes the bytes of an image file read from `path` (named in errors), as `readRGB` does.
    public static func decodeRGB(_ bytes: [UInt8], path: String) throws -> RGBImage {
        guard let format = Format(sniffing: bytes) else {
            throw ImagingError(.read, path: path, problem:
                "not an image in a supported format (PNG, JPEG, GIF, BMP, WebP or TIFF): its first bytes match none of them")
        }
        if format == .png {
            // The bytes already read: reading the path again would give nothing for a pipe.
            return try PNGFile.decodeRGB(bytes, path: path)
        }
        if format == .jpeg, !jpegIsComplete(bytes) {
            // libjpeg decodes a truncated file to a half-grey image with only a warning: refused,
            // as a truncated PNG, GIF or WebP is.
            throw ImagingError(.read, path: path, problem: "the JPEG data is truncated (it ends before its end-of-image marker)")
        }
        return try decodeWithGD(bytes, format: format, path: path)
    }

    /// Writes `image` in the format its extension names (png, jpg/jpeg, gif, bmp, webp, tif/tiff),
    /// atomically. `quality` (1–100) applies to JPEG and WebP; GIF is reduced to 256 colours by libgd.
    public static func write(_ image: RGBImage, to path: String, quality: Int = 90) throws {
        let fileExtension = path.split(separator: "/").last.flatMap { name in
            name.contains(".") ? name.split(separator: ".").last.map(String.init) : nil
        } ?? ""
        guard let format = Format(fileExtension: fileExtension) else {
            throw ImagingError(.write, path: path, problem:
                "the extension '\(fileExtension)' names no supported format (png, jpg, gif, bmp, webp, tiff)")
        }
        if format == .png {
            try PNGFile.write(image, to: path)
            return
        }
        let bytes = try encodeWithGD(image, format: format, quality: quality, path: path)
        try FileIO.writeAtomically(bytes, to: path)
    }

    /// True when an end-of-image marker (FF D9) follows the last start-of-scan (FF DA). Inside
    /// entropy-coded data a byte FF is always followed by 00 or a restart marker, so neither marker
    /// can appear there by chance; a thumbnail's own markers come before the main image's scans.
    static func jpegIsComplete(_ bytes: [UInt8]) -> Bool {
        var lastScan: Int?, lastEnd: Int?
        var index = 2
        while index + 1 < bytes.count {
            if bytes[index] == 0xFF {
                if bytes[index + 1] == 0xDA { lastScan = index }
                if bytes[index + 1] == 0xD9 { lastEnd = index }
            }
            index += 1
        }
        guard let lastScan, let lastEnd else { return false }
        return lastEnd > lastScan
    }

    // MARK: - libgd

    /// libgd prints decoder warnings to stderr, and libtiff (which libgd calls for TIFF) prints its
    /// own errors there; our errors already say what failed, in one sentence, so silence both.
    /// libtiff is found at run time among libgd's libraries, so camlab needs neither its headers nor
    /// a libgd built with TIFF. A `static let` runs its initializer exactly once, thread-safely.
    #if os(Linux)
    private static let searchAllLibraries: UnsafeMutableRawPointer? = nil   // RTLD_DEFAULT
    #else
    private static let searchAllLibraries = UnsafeMutableRawPointer(bitPattern: -2)   // RTLD_DEFAULT
    #endif

    private static let quietGD: Void = {
        gdSetErrorMethod { _, _, _ in }
        typealias SetHandler = @convention(c) (OpaquePointer?) -> OpaquePointer?
        for name in ["TIFFSetErrorHandler", "TIFFSetWarningHandler"] {
            // A nil handler makes libtiff print nothing (its documented way to silence it).
            if let symbol = dlsym(searchAllLibraries, name) {
                _ = unsafeBitCast(symbol, to: SetHandler.self)(nil)
            }
        }
    }()

    private static func decodeWithGD(_ bytes: [UInt8], format: Format, path: String) throws -> RGBImage {
        _ = quietGD
        var mutableBytes = bytes  // the gd readers take `void *` although they only read
        let decoded: gdImagePtr? = mutableBytes.withUnsafeMutableBytes { buffer in
            let size = Int32(clamping: buffer.count)
            switch format {
            case .jpeg: return gdImageCreateFromJpegPtr(size, buffer.baseAddress)
            case .gif: return gdImageCreateFromGifPtr(size, buffer.baseAddress)
            case .bmp: return gdImageCreateFromBmpPtr(size, buffer.baseAddress)
            case .webp: return gdImageCreateFromWebpPtr(size, buffer.baseAddress)
            case .tiff: return gdImageCreateFromTiffPtr(size, buffer.baseAddress)
            case .png: return gdImageCreateFromPngPtr(size, buffer.baseAddress)
            }
        }
        guard let gdImage = decoded else {
            throw ImagingError(.read, path: path, problem:
                "the \(format.rawValue) data is damaged, truncated or of a kind libgd cannot decode")
        }
        defer { gdImageDestroy(gdImage) }
        if gdImage.pointee.trueColor == 0, gdImagePaletteToTrueColor(gdImage) == 0 {
            throw ImagingError(.read, path: path, problem: "libgd could not expand the \(format.rawValue) palette")
        }
        let width = Int(gdImage.pointee.sx), height = Int(gdImage.pointee.sy)
        guard width > 0, height > 0, let rows = gdImage.pointee.tpixels else {
            throw ImagingError(.read, path: path, problem: "the \(format.rawValue) image has no pixels")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            guard let row = rows[y] else { continue }
            for x in 0..<width {
                // gd packs (alpha << 24 | r << 16 | g << 8 | b) with alpha 0 = opaque … 127 = transparent.
                let packed = Int(row[x])
                let alpha = (packed >> 24) & 0x7F
                let offset = (y * width + x) * 3
                for (channel, shift) in [16, 8, 0].enumerated() {
                    let value = (packed >> shift) & 0xFF
                    pixels[offset + channel] = UInt8((value * (127 - alpha) + 255 * alpha + 63) / 127)
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    private static func encodeWithGD(_ image: RGBImage, format: Format, quality: Int, path: String) throws -> [UInt8] {
        _ = quietGD
        guard let gdImage = gdImageCreateTrueColor(Int32(image.width), Int32(image.height)) else {
            throw ImagingError(.write, path: path, problem: "libgd could not allocate a \(image.width)×\(image.height) image")
        }
        defer { gdImageDestroy(gdImage) }
        let rows = gdImage.pointee.tpixels!
        for y in 0..<image.height {
            let row = rows[y]!
            for x in 0..<image.width {
                let offset = (y * image.width + x) * 3
                row[x] = Int32(image.pixels[offset]) << 16 | Int32(image.pixels[offset + 1]) << 8 | Int32(image.pixels[offset + 2])
            }
        }
        var size: Int32 = 0
        let clampedQuality = Int32(max(1, min(100, quality)))
        let data: UnsafeMutableRawPointer?
        switch format {
        case .jpeg: data = gdImageJpegPtr(gdImage, &size, clampedQuality)
        case .gif: data = gdImageGifPtr(gdImage, &size)
        case .bmp: data = gdImageBmpPtr(gdImage, &size, 0)
        case .webp: data = gdImageWebpPtrEx(gdImage, &size, clampedQuality)
        case .tiff: data = gdImageTiffPtr(gdImage, &size)
        case .png: data = gdImagePngPtr(gdImage, &size)
        }
        guard let data, size > 0 else {
            throw ImagingError(.write, path: path, problem: "libgd could not encode the image as \(format.rawValue)")
        }
        defer { gdFree(data) }
        return Array(UnsafeRawBufferPointer(start: data, count: Int(size)))
    }
}
