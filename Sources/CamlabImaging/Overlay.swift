extension RGBImage {
    /// The heatmap laid over this image exactly as pytorch-grad-cam's
    /// `show_cam_on_image(img, mask, use_rgb=True, colormap=JET, image_weight)` computes it, in
    /// Float32 with NumPy's truncating `uint8` conversions:
    ///
    ///     heatmap = colormap[uint8(255 · mask)] / 255
    ///     cam     = (1 − image_weight) · heatmap + image_weight · img / 255
    ///     result  = uint8(255 · cam / max(cam))
    ///
    /// The final division by the maximum brightens the whole overlay so its brightest channel is 255.
    /// The heatmap must have this image's size; `imageWeight` must lie in [0, 1].
    public func overlaid(with heatmap: Heatmap, colormap: Colormap = .jet, imageWeight: Float = 0.5) -> RGBImage {
        precondition(heatmap.width == width && heatmap.height == height,
                     "the heatmap (\(heatmap.width)×\(heatmap.height)) must have the image's size (\(width)×\(height))")
        precondition((0...1).contains(imageWeight), "image_weight must be in [0, 1]")
        var blended = [Float](repeating: 0, count: pixels.count)
        for (index, value) in heatmap.values.enumerated() {
            let color = colormap.color(at: value)
            for (channel, level) in [color.red, color.green, color.blue].enumerated() {
                let offset = 3 * index + channel
                blended[offset] = (1 - imageWeight) * (Float(level) / 255) + imageWeight * (Float(pixels[offset]) / 255)
            }
        }
        let largest = blended.max() ?? 0
        // An all-black result (only possible with image_weight 1 on a black image) stays black
        // instead of dividing by zero.
        guard largest > 0 else { return RGBImage(width: width, height: height) }
        return RGBImage(width: width, height: height, pixels: blended.map { UInt8(Float(255) * ($0 / largest)) })
    }
}
