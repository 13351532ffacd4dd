import CamlabImaging
import Foundation
import Testing

/// A deterministic image with every byte value appearing, so round trips are a real test.
func patternImage(width: Int = 19, height: Int = 7) -> RGBImage {
    RGBImage(width: width, height: height,
             pixels: (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ $0 / 5) })
}

@Test func rgbRoundTripIsByteForByte() throws {
    let folder = try TemporaryFolder()
    let image = patternImage()
    try PNGFile.write(image, to: folder.file("rgb.png"))
    #expect(try PNGFile.readRGB(at: folder.file("rgb.png")) == image)
    #expect(try ImageFile.readRGB(at: folder.file("rgb.png")) == image)
    #expect(try PNGFile.decodeRGB(PNGFile.encode(image)) == image)
}

@Test func grayRoundTripIsByteForByte() throws {
    let folder = try TemporaryFolder()
    let image = GrayImage(width: 16, height: 16, pixels: (0..<256).map { UInt8($0) })
    try PNGFile.write(image, to: folder.file("gray.png"))
    #expect(try PNGFile.readGray(at: folder.file("gray.png")) == image)
    // A gray file read as RGB repeats the level in the three channels.
    let rgb = try PNGFile.readRGB(at: folder.file("gray.png"))
    #expect(rgb[x: 5, y: 3] == RGB(red: 53, green: 53, blue: 53))
}

@Test func subscriptsReadAndWritePixels() {
    var image = RGBImage(width: 3, height: 2, filledWith: RGB(red: 1, green: 2, blue: 3))
    image[x: 2, y: 1] = RGB(red: 9, green: 8, blue: 7)
    #expect(image[x: 2, y: 1] == RGB(red: 9, green: 8, blue: 7))
    #expect(Array(image.pixels[15..<18]) == [9, 8, 7])
    #expect(image[x: 0, y: 0] == RGB(red: 1, green: 2, blue: 3))
    var gray = GrayImage(width: 2, height: 2, filledWith: 4)
    gray[x: 1, y: 1] = 200
    #expect(gray.pixels == [4, 4, 4, 200])
}

@Test func missingFileIsAClearError() {
    let error = #expect(throws: ImagingError.self) { try PNGFile.readRGB(at: "/nonexistent/cat.png") }
    #expect(error?.description == "cannot read '/nonexistent/cat.png': no such file")
    let viaImageFile = #expect(throws: ImagingError.self) { try ImageFile.readRGB(at: "/nonexistent/cat.jpg") }
    #expect(viaImageFile?.description == "cannot read '/nonexistent/cat.jpg': no such file")
}

@Test func textFileNamedPNGIsAClearError() throws {
    let folder = try TemporaryFolder()
    let path = folder.file("notes.png")
    try "hello, I am not an image\n".write(toFile: path, atomically: true, encoding: .utf8)
    let error = #expect(throws: ImagingError.self) { try PNGFile.readRGB(at: path) }
    #expect(error?.description == "cannot read '\(path)': not a PNG file (it does not start with the PNG signature)")
    let viaImageFile = #expect(throws: ImagingError.self) { try ImageFile.readRGB(at: path) }
    #expect(viaImageFile?.description.hasPrefix("cannot read '\(path)': not an image in a supported format") == true)
}

@Test func truncatedPNGIsAClearError() throws {
    let folder = try TemporaryFolder()
    let bytes = PNGFile.encode(patternImage(width: 64, height: 64))
    for keep in [12, 40, bytes.count / 2, bytes.count - 20] {
        let path = folder.file("cut-\(keep).png")
        try Data(bytes[0..<keep]).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ImagingError.self) { try PNGFile.readRGB(at: path) }
        #expect(error?.path == path)
        #expect(error?.description.hasPrefix("cannot read '\(path)': ") == true)
        #expect(error?.problem.contains("libpng") == true)
    }
}

@Test func emptyFileAndFolderAreClearErrors() throws {
    let folder = try TemporaryFolder()
    #expect(FileManager.default.createFile(atPath: folder.file("empty.png"), contents: Data()))
    let empty = #expect(throws: ImagingError.self) { try PNGFile.readRGB(at: folder.file("empty.png")) }
    #expect(empty?.problem == "the file is empty")
    let isFolder = #expect(throws: ImagingError.self) { try ImageFile.readRGB(at: folder.path) }
    #expect(isFolder?.problem == "it is a folder, not a file")
}

@Test func writeIsAtomicAndLeavesNoTemporaryFile() throws {
    let folder = try TemporaryFolder()
    let path = folder.file("image.png")
    try PNGFile.write(patternImage(), to: path)
    try PNGFile.write(RGBImage(width: 4, height: 4, filledWith: .white), to: path)  // replaces
    try PNGFile.write(GrayImage(width: 4, height: 4, filledWith: 9), to: folder.file("mask.png"))
    #expect(try folder.contents() == ["image.png", "mask.png"])
    #expect(try PNGFile.readRGB(at: path) == RGBImage(width: 4, height: 4, filledWith: .white))
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    #expect((attributes[.posixPermissions] as? Int) == 0o644)
}

@Test func writingIntoAMissingFolderIsAClearError() throws {
    let error = #expect(throws: ImagingError.self) {
        try PNGFile.write(patternImage(), to: "/nonexistent-folder/out.png")
    }
    #expect(error?.description == "cannot write '/nonexistent-folder/out.png': the folder '/nonexistent-folder' does not exist")
}

@Test func rgbaAndPalettePNGsReadAsRGB() throws {
    // Hand-made files exercise libpng's conversions: RGBA (composited on white) and 16-bit gray.
    let folder = try TemporaryFolder()
    let rgbaPath = folder.file("rgba.png")
    try Data(makePNG(width: 2, height: 1, colorType: 6, bitDepth: 8,
                     rows: [[255, 0, 0, 255, 0, 0, 255, 0]])).write(to: URL(fileURLWithPath: rgbaPath))
    let rgba = try PNGFile.readRGB(at: rgbaPath)
    #expect(rgba[x: 0, y: 0] == RGB(red: 255, green: 0, blue: 0))
    #expect(rgba[x: 1, y: 0] == RGB.white)  // fully transparent → background
    let gray16Path = folder.file("gray16.png")
    try Data(makePNG(width: 2, height: 1, colorType: 0, bitDepth: 16,
                     rows: [[0x80, 0x80, 0xFF, 0xFF]])).write(to: URL(fileURLWithPath: gray16Path))
    let gray16 = try PNGFile.readRGB(at: gray16Path)
    #expect(gray16[x: 1, y: 0] == RGB.white)
    #expect(gray16[x: 0, y: 0].red == gray16[x: 0, y: 0].blue)
    #expect((127...129).contains(gray16[x: 0, y: 0].red))
    let palettePath = folder.file("palette.png")
    try Data(makePNG(width: 2, height: 1, colorType: 3, bitDepth: 8, rows: [[1, 0]],
                     palette: [10, 20, 30, 200, 100, 50])).write(to: URL(fileURLWithPath: palettePath))
    let palette = try PNGFile.readRGB(at: palettePath)
    #expect(palette.pixels == [200, 100, 50, 10, 20, 30])
}

/// A minimal PNG writer (stored zlib blocks, filter 0) for formats our encoder does not produce.
func makePNG(width: Int, height: Int, colorType: UInt8, bitDepth: UInt8, rows: [[UInt8]], palette: [UInt8]? = nil) -> [UInt8] {
    func be32(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> UInt32($0)) } }
    func crc(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(UInt32(data.count)) + body + be32(crc(body))
    }
    let raw: [UInt8] = rows.flatMap { row -> [UInt8] in [0] + row }
    var adlerA: UInt32 = 1, adlerB: UInt32 = 0
    for byte in raw { adlerA = (adlerA + UInt32(byte)) % 65521; adlerB = (adlerB + adlerA) % 65521 }
    let length = UInt16(raw.count)
    let lengthBytes: [UInt8] = [UInt8(length & 0xFF), UInt8(length >> 8)]
    let complementBytes: [UInt8] = [UInt8(~length & 0xFF), UInt8(~length >> 8)]
    var zlib: [UInt8] = [0x78, 0x01, 0x01]  // zlib header, one final stored block
    zlib += lengthBytes
    zlib += complementBytes
    zlib += raw
    zlib += be32(adlerB << 16 | adlerA)
    var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    png += chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [bitDepth, colorType, 0, 0, 0])
    if let palette { png += chunk("PLTE", palette) }
    png += chunk("IDAT", zlib) + chunk("IEND", [])
    return png
}
