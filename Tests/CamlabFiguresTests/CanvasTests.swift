import CamlabImaging
import Testing

struct CanvasTests {
    /// Pixels that differ from the white background inside a rectangle.
    func inked(_ canvas: Canvas, x: Int, y: Int, width: Int, height: Int) -> Int {
        let image = canvas.rgbImage
        var count = 0
        for row in y..<min(y + height, image.height) {
            for column in x..<min(x + width, image.width) where image[x: column, y: row] != .white { count += 1 }
        }
        return count
    }

    @Test func dejaVuIsFoundByFontconfig() {
        // fonts-dejavu-core is a build requirement (README); without it camlab still draws, with bitmap fonts.
        #expect(Typeface.available == .trueType)
    }

    @Test(arguments: [Typeface.trueType, .builtIn])
    func textIsDrawnInsideItsMeasuredBox(_ typeface: Typeface) {
        let canvas = Canvas(width: 400, height: 60, typeface: typeface)
        let font = Font(points: 14, isBold: true)
        let size = canvas.measure("Grad-CAM α_k^c", font: font)
        #expect(size.width > 60 && size.height >= 13)
        canvas.text("Grad-CAM α_k^c", x: 10, top: 10, font: font, color: .black)
        #expect(inked(canvas, x: 10, y: 10, width: size.width, height: size.height) > 100)
        // Nothing outside the box (one pixel of antialiasing allowed).
        let total = inked(canvas, x: 0, y: 0, width: 400, height: 60)
        #expect(total == inked(canvas, x: 9, y: 9, width: size.width + 2, height: size.height + 2))
    }

    @Test func alignedTextEndsWhereAsked() {
        let canvas = Canvas(width: 300, height: 40)
        let font = Font(points: 12)
        let width = canvas.measure("right", font: font).width
        canvas.text("right", x: 290, top: 5, font: font, alignment: .right)
        #expect(inked(canvas, x: 290 - width, y: 0, width: width, height: 40) > 20)
        #expect(inked(canvas, x: 0, y: 0, width: 290 - width - 1, height: 40) == 0)
    }

    @Test func builtInFontsSpellOutWhatTheyCannotShow() {
        #expect(Typeface.builtIn.measure("Σ", font: Font(points: 12)).width == Typeface.builtIn.measure("sum", font: Font(points: 12)).width)
    }

    @Test func shapesAndImagesLandOnTheirPixels() {
        let canvas = Canvas(width: 10, height: 10)
        canvas.fill(x: 2, y: 3, width: 2, height: 1, color: RGB(red: 1, green: 2, blue: 3))
        canvas.draw(RGBImage(width: 1, height: 1, pixels: [9, 8, 7]), x: 9, y: 9)
        let image = canvas.rgbImage
        #expect(image[x: 2, y: 3] == RGB(red: 1, green: 2, blue: 3) && image[x: 3, y: 3] == RGB(red: 1, green: 2, blue: 3))
        #expect(image[x: 4, y: 3] == .white && image[x: 2, y: 4] == .white)
        #expect(image[x: 9, y: 9] == RGB(red: 9, green: 8, blue: 7))
    }
}
