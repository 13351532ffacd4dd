import Foundation
import CamlabImaging
import Testing

@Test func nearestNeighborDoublesAndHalvesExactly() {
    let small = GrayImage(width: 2, height: 2, pixels: [10, 20, 30, 40])
    let large = small.resized(toWidth: 4, height: 4, method: .nearestNeighbor)
    #expect(large.pixels == [10, 10, 20, 20, 10, 10, 20, 20, 30, 30, 40, 40, 30, 30, 40, 40])
    #expect(large.resized(toWidth: 2, height: 2, method: .nearestNeighbor) == small)
}

@Test func bilinearMatchesHalfPixelCentres() {
    // OpenCV INTER_LINEAR, 1×2 → 1×4: positions −0.25, 0.25, 0.75, 1.25 → 0, 25, 75, 100 (edges clamp).
    let row = GrayImage(width: 2, height: 1, pixels: [0, 100])
    #expect(row.resized(toWidth: 4, height: 1, method: .bilinear).pixels == [0, 25, 75, 100])
    // 4 → 2: centres at 0.5 and 2.5, averages of neighbours.
    let wide = GrayImage(width: 4, height: 1, pixels: [0, 100, 200, 250])
    #expect(wide.resized(toWidth: 2, height: 1, method: .bilinear).pixels == [50, 225])
}

@Test func resizingToTheSameSizeIsIdentityAndRGBChannelsStayApart() {
    let image = patternImage(width: 9, height: 5)
    #expect(image.resized(toWidth: 9, height: 5, method: .bilinear) == image)
    #expect(image.resized(toWidth: 9, height: 5, method: .nearestNeighbor) == image)
    let colors = RGBImage(width: 2, height: 1, pixels: [255, 0, 0, 0, 0, 255])
    let wider = colors.resized(toWidth: 4, height: 1)
    #expect(wider[x: 1, y: 0] == RGB(red: 191, green: 0, blue: 64))
}

/// cv2.resize and Pillow's resize on pseudo-random images of many sizes
/// (Tools/pytorch/make_resize_fixture.py): every output byte must be the library's.
struct LibraryResizeTests {
    struct Case: Decodable {
        let width, height, channels, seed: Int
        let to: [Int]
        let opencv: String
        let pillow: String?
    }
    struct Fixture: Decodable { let cases: [Case] }

    static let fixture: Fixture = {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/resize.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    /// The generator of make_resize_fixture.py: a linear congruential sequence, bits 16–23.
    static func pattern(count: Int, seed: Int) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = (state &* 1103515245 &+ 12345) % (1 << 31)
            return UInt8((state >> 16) & 255)
        }
    }

    static func fnv1a(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static func resized(_ c: Case, _ method: ResizeMethod) -> [UInt8] {
        let pixels = pattern(count: c.width * c.height * c.channels, seed: c.seed)
        if c.channels == 3 {
            return RGBImage(width: c.width, height: c.height, pixels: pixels).resized(toWidth: c.to[0], height: c.to[1], method: method).pixels
        }
        return GrayImage(width: c.width, height: c.height, pixels: pixels).resized(toWidth: c.to[0], height: c.to[1], method: method).pixels
    }

    @Test func bilinearIsOpenCVsInterLinearByteForByte() {
        #expect(Self.fixture.cases.count > 40)
        for c in Self.fixture.cases {
            #expect(Self.fnv1a(Self.resized(c, .bilinear)) == c.opencv, "\(c.width)×\(c.height)×\(c.channels) → \(c.to)")
        }
    }

    @Test func antialiasedBilinearIsPillowsByteForByte() {
        let cases = Self.fixture.cases.filter { $0.pillow != nil }
        #expect(cases.count > 30)
        for c in cases {
            #expect(Self.fnv1a(Self.resized(c, .antialiasedBilinear)) == c.pillow, "\(c.width)×\(c.height)×\(c.channels) → \(c.to)")
        }
    }
}
