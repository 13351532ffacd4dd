import CamlabImaging
import Foundation
import Testing

/// Smooth content: JPEG is lossy, and smooth gradients come back within a few levels.
func gradientImage(width: Int = 32, height: Int = 24) -> RGBImage {
    var image = RGBImage(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            image[x: x, y: y] = RGB(red: UInt8(x * 255 / (width - 1)), green: UInt8(y * 255 / (height - 1)), blue: 128)
        }
    }
    return image
}

func maximumDifference(_ a: RGBImage, _ b: RGBImage) -> Int {
    zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
}

@Test func jpegWrittenWithGDReadsBack() throws {
    let folder = try TemporaryFolder()
    let image = gradientImage()
    try ImageFile.write(image, to: folder.file("photo.jpg"), quality: 95)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.file("photo.jpg")))
    #expect(Array(bytes.prefix(3)) == [0xFF, 0xD8, 0xFF])
    let decoded = try ImageFile.readRGB(at: folder.file("photo.jpg"))
    #expect(decoded.width == 32 && decoded.height == 24)
    #expect(maximumDifference(decoded, image) <= 12)
    // The format comes from the bytes, not the name.
    try FileManager.default.copyItem(atPath: folder.file("photo.jpg"), toPath: folder.file("renamed.png"))
    #expect(try ImageFile.readRGB(at: folder.file("renamed.png")) == decoded)
}

@Test func losslessGDFormatsRoundTrip() throws {
    let folder = try TemporaryFolder()
    let image = patternImage()
    for name in ["image.bmp", "image.tiff"] {
        try ImageFile.write(image, to: folder.file(name))
        #expect(try ImageFile.readRGB(at: folder.file(name)) == image, "\(name)")
    }
    // GIF is a palette format; libgd's quantizer may move a colour by a few levels.
    let flat = RGBImage(width: 8, height: 8, filledWith: RGB(red: 200, green: 30, blue: 60))
    try ImageFile.write(flat, to: folder.file("flat.gif"))
    #expect(maximumDifference(try ImageFile.readRGB(at: folder.file("flat.gif")), flat) <= 8)
    try ImageFile.write(gradientImage(), to: folder.file("image.webp"), quality: 100)
    #expect(maximumDifference(try ImageFile.readRGB(at: folder.file("image.webp")), gradientImage()) <= 12)
    #expect(try folder.contents().allSatisfy { !$0.hasPrefix(".") })
}

@Test func truncatedJPEGIsAClearError() throws {
    let folder = try TemporaryFolder()
    try ImageFile.write(gradientImage(), to: folder.file("full.jpg"))
    let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.file("full.jpg")))
    let path = folder.file("cut.jpg")
    // Cut in the header, and cut in the middle of the scan (which libjpeg decoded half-grey,
    // with only a warning).
    for length in [20, bytes.count * 3 / 4] {
        try bytes.prefix(length).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ImagingError.self) { try ImageFile.readRGB(at: path) }
        #expect(error?.description == "cannot read '\(path)': the JPEG data is truncated (it ends before its end-of-image marker)")
    }
    // Bytes after the end-of-image marker (some cameras append them) are not a truncation.
    try (bytes + Data([0, 1, 2])).write(to: URL(fileURLWithPath: path))
    #expect(try ImageFile.readRGB(at: path).width == 32)
}

/// Only regular files are read, once, and at most `largestFileBytes`: a FIFO blocked forever,
/// `/dev/zero` grew without bound, and a pipe was read twice (the second time empty).
@Test func onlyRegularFilesOfBoundedSizeAreRead() throws {
    let folder = try TemporaryFolder()
    // A pipe holding a whole PNG is refused as a pipe, not called empty after a second read.
    let pipe = Pipe()
    try pipe.fileHandleForWriting.write(contentsOf: PNGFile.encode(gradientImage()))
    try pipe.fileHandleForWriting.close()
    let piped = "/dev/fd/\(pipe.fileHandleForReading.fileDescriptor)"
    let error = #expect(throws: ImagingError.self) { try ImageFile.readRGB(at: piped) }
    #expect(error?.problem.contains("not a regular file") == true, "\(error?.description ?? "")")
    // A sparse file larger than the limit is refused from its size, without reading it.
    let huge = folder.file("huge.png")
    #expect(FileManager.default.createFile(atPath: huge, contents: Data(PNGFile.encode(gradientImage()))))
    #expect(truncate(huge, off_t(300 << 20)) == 0)
    let tooLarge = #expect(throws: ImagingError.self) { try ImageFile.readRGB(at: huge) }
    #expect(tooLarge?.problem == "it is 300 MiB, more than the 256 MiB camlab reads")
    // A device is refused from its type: /dev/null stands for /dev/zero, which before the fix was
    // read without end (and would exhaust memory here if the check regressed).
    let device = #expect(throws: ImagingError.self) { try ImageFile.readRGB(at: "/dev/null") }
    #expect(device?.problem.contains("not a regular file") == true, "\(device?.description ?? "")")
    // A FIFO without a writer blocked forever: read on a thread, given 10 s.
    let fifo = folder.file("fifo.png")
    #expect(mkfifo(fifo, 0o600) == 0)
    final class Outcome: @unchecked Sendable { var problem: String? }
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        do { _ = try ImageFile.readRGB(at: fifo) } catch { outcome.problem = (error as? ImagingError)?.problem }
        done.signal()
    }
    #expect(done.wait(timeout: .now() + 10) == .success, "reading a FIFO blocked")
    #expect(outcome.problem?.contains("not a regular file") == true, "\(outcome.problem ?? "")")
}

@Test func unknownExtensionOnWriteIsAClearError() {
    let error = #expect(throws: ImagingError.self) { try ImageFile.write(gradientImage(), to: "/tmp/x.heic") }
    #expect(error?.description == "cannot write '/tmp/x.heic': the extension 'heic' names no supported format (png, jpg, gif, bmp, webp, tiff)")
}
