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
