import CamlabImaging
import Testing

struct ColormapTests {
    @Test(arguments: ["jet", "viridis"])
    func everyEntryMatchesOpenCV(_ name: String) throws {
        let colormap = try #require(Colormap(named: name))
        let table = try Fixtures.table(name)
        #expect(table.count == 256)
        for (index, entry) in table.enumerated() {
            #expect(colormap.color(atIndex: UInt8(index)) == RGB(red: UInt8(entry[0]), green: UInt8(entry[1]), blue: UInt8(entry[2])))
        }
    }

    /// Values pick entry uint8(255 · value), truncated like NumPy.
    @Test func knownPointsOfJet() {
        #expect(Colormap.jet.color(at: 0) == RGB(red: 0, green: 0, blue: 128))
        #expect(Colormap.jet.color(at: 0.5) == RGB(red: 126, green: 255, blue: 130))   // 127.5 → 127
        #expect(Colormap.jet.color(at: 1) == RGB(red: 128, green: 0, blue: 0))
        #expect(Colormap.index(of: 0.999) == 254)
        #expect(Colormap.index(of: 1.0 / 255) == 1)
    }

    @Test func knownPointsOfViridis() {
        #expect(Colormap.viridis.color(at: 0) == RGB(red: 68, green: 1, blue: 84))
        #expect(Colormap.viridis.color(at: 0.5) == RGB(red: 33, green: 144, blue: 141))
        #expect(Colormap.viridis.color(at: 1) == RGB(red: 253, green: 231, blue: 37))
    }

    /// Out-of-range values clamp instead of wrapping around as uint8 would.
    @Test func outOfRangeValuesClamp() {
        #expect(Colormap.index(of: -0.5) == 0)
        #expect(Colormap.index(of: 7) == 255)
        #expect(Colormap.index(of: .nan) == 0)
        #expect(Colormap(named: "rainbow") == nil)
    }
}
