import CamlabImaging
import CamlabFigures
import CamlabCore
import Testing

struct OverlayTests {
    /// Three pixels worked out with NumPy: heatmap = jet[uint8(255 m)] / 255,
    /// cam = (1 − w) heatmap + w img, uint8(255 cam / max cam).
    @Test func formulaOnKnownPixels() {
        let image = RGBImage(width: 3, height: 1, pixels: [0, 0, 0, 100, 150, 200, 255, 255, 255])
        let map = Heatmap(width: 3, height: 1, values: [0, 0.5, 1])
        #expect(image.overlaid(with: map).pixels == [0, 0, 80, 142, 255, 207, 241, 160, 160])
        #expect(image.overlaid(with: map, imageWeight: 0.3).pixels == [0, 0, 102, 134, 255, 172, 189, 87, 87])
    }

    /// pytorch-grad-cam's `show_cam_on_image(image, map, use_rgb=True)` for its own Grad-CAM map of
    /// single_triangle.png: identical, pixel for pixel.
    @Test func matchesPytorchGradCamPixelForPixel() throws {
        let image = try PNGFile.readRGB(at: Fixtures.path("single_triangle.png"))
        let expected = try PNGFile.readRGB(at: Fixtures.path("overlay_gradcam_single_triangle.png"))
        let rows = try Fixtures.json("gradcam_single_triangle_map.json")["map"] as! [[Double]]
        let map = Heatmap(width: 32, height: 32, values: rows.flatMap { $0.map(Float.init) })
        #expect(image.overlaid(with: map) == expected)
    }

    /// camlab's own Grad-CAM map gives the same picture up to the map's float tolerance.
    @Test func camlabsMapGivesNearlyTheReferenceOverlay() throws {
        let explanation = try Fixtures.lab.explain(Fixtures.triangle, method: .gradcam, classIndex: 2)
        let overlay = Fixtures.triangle.image.overlaid(with: try Display.heatmap(explanation.map!))
        let expected = try PNGFile.readRGB(at: Fixtures.path("overlay_gradcam_single_triangle.png"))
        let differing = zip(overlay.pixels, expected.pixels).filter { $0 != $1 }.count
        let largest = zip(overlay.pixels, expected.pixels).map { abs(Int($0) - Int($1)) }.max()!
        #expect(differing <= overlay.pixels.count / 50, "\(differing) channels differ")
        #expect(largest <= 8)
    }

    /// Bilinear enlargement with half-pixel centres: edges repeat, the middle interpolates.
    @Test func heatmapEnlargesBilinearly() {
        let map = Heatmap(width: 2, height: 1, values: [0, 1]).resized(toWidth: 4, height: 1)
        #expect(map.values == [0, 0.25, 0.75, 1])
    }

    @Test func displayEnlargesByWholeFactors() {
        #expect(Display.size(width: 32, height: 32, side: 256) == (256, 256))
        #expect(Display.size(width: 30, height: 20, side: 256) == (240, 160))
        #expect(Display.size(width: 1000, height: 500, side: 256) == (256, 128))
        let enlarged = Display.enlarged(RGBImage(width: 2, height: 1, pixels: [10, 20, 30, 40, 50, 60]), side: 4)
        #expect(enlarged.pixels == [10, 20, 30, 10, 20, 30, 40, 50, 60, 40, 50, 60] + [10, 20, 30, 10, 20, 30, 40, 50, 60, 40, 50, 60])
    }

    /// pytorch-grad-cam's deprocess_image, worked out with NumPy.
    @Test func gradientsAreDeprocessedLikePytorchGradCam() throws {
        let gradient = Tensor(shape: [3, 2, 2], scalars: [0, 1, 2, -1, 0.5, 0.5, 0.5, 0.5, 3, 0, 0, -3])
        let image = try Display.deprocessed(gradient)
        #expect(image.pixels == [121, 130, 175, 139, 130, 121, 157, 130, 121, 103, 130, 66])
    }

    @Test func zeroSizeMapIsAnError() {
        #expect(throws: FigureError.self) { try Display.heatmap(Tensor(shape: [0, 32], scalars: [])) }
        #expect(throws: FigureError.self) { try Display.heatmap(Tensor(shape: [4], scalars: [0, 0, 0, 0])) }
    }
}
