extension RGBImage {
    /// pytorch-grad-cam's `show_cam_on_image(img, mask, use_rgb=True, image_weight=w)`, to the bit:
    ///
    ///     heatmap = colormap[uint8(255 · mask)] / 255
    ///     cam = (1 − w) · heatmap + w · img;   cam = cam / max(cam);   result = uint8(255 · cam)
    ///
    /// in Float32, with truncating conversions as numpy's. `map` is row-major, one value per pixel.
    public func overlaying(map: [Float], colormap: Colormap = .jet, imageWeight: Float = 0.5) -> RGBImage {
        precondition(map.count == width * height, "overlay: a \(width)×\(height) image needs \(width * height) map values, got \(map.count)")
        var blended = [Float](repeating: 0, count: pixels.count)
        for p in 0..<(width * height) {
            let color = colormap.color(at: map[p])
            let heat = [Float(color.red) / 255, Float(color.green) / 255, Float(color.blue) / 255]
            for c in 0..<3 {
                blended[3 * p + c] = (1 - imageWeight) * heat[c] + imageWeight * (Float(pixels[3 * p + c]) / 255)
            }
        }
        let top = blended.max() ?? 1
        return RGBImage(width: width, height: height, pixels: blended.map { UInt8(Swift.min(255, Swift.max(0, 255 * ($0 / top)))) })
    }
}
