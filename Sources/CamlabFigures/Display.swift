import CamlabCore
import CamlabImaging
import CamlabMethods

/// Turning images, maps and gradients into the pixels a figure shows.
public enum Display {
    /// The size an image is shown at: small images enlarged by the largest whole factor that fits
    /// `side` (so every source pixel becomes an equal square), large ones shrunk to fit it.
    public static func size(width: Int, height: Int, side: Int) -> (width: Int, height: Int) {
        let longest = max(width, height)
        if longest <= side {
            let factor = side / longest
            return (width * factor, height * factor)
        }
        return (max(1, width * side / longest), max(1, height * side / longest))
    }

    /// The image enlarged for display: nearest neighbour, so pixels stay crisp squares.
    public static func enlarged(_ image: RGBImage, side: Int) -> RGBImage {
        let target = size(width: image.width, height: image.height, side: side)
        let method: ResizeMethod = target.width >= image.width ? .nearestNeighbor : .bilinear
        return image.resized(toWidth: target.width, height: target.height, method: method)
    }

    /// A map [H, W] as a heatmap.
    /// An explanation's map as drawn: on its own [0, 1] scale, or `shared` (its values on the scale
    /// of the maps it is compared with, `Explanation.sharedScale`) when the style shares the scale.
    static func heatmap(_ explanation: Explanation, shared: [Float]?, style: FigureStyle) throws -> Heatmap {
        let own = try heatmap(explanation.map!)
        guard style.sharesScale, let shared else { return own }
        return Heatmap(width: own.width, height: own.height, values: shared)
    }

    /// The magnitude under a panel: what 1 on the map stands for (every map is scaled on its own).
    static func rawCaption(_ explanation: Explanation, style: FigureStyle) -> [TextLine] {
        if explanation.isEmpty { return [style.smallLine("empty map")] }
        guard let peak = explanation.rawPeak else { return [] }
        return [style.smallLine("raw peak " + String(format: "%.3g", Double(peak)))]
    }

    public static func heatmap(_ map: Tensor) throws -> Heatmap {
        guard map.rank == 2, map.shape[0] > 0, map.shape[1] > 0 else {
            throw FigureError("a heatmap needs a non-empty two-dimensional map, not one of shape \(map.shape)")
        }
        return Heatmap(width: map.shape[1], height: map.shape[0], values: map.scalars)
    }

    /// The map over the image as `show_cam_on_image` draws it, at display size: the image enlarged
    /// by nearest neighbour, the map by bilinear interpolation, then blended.
    public static func overlay(_ image: RGBImage, map: Heatmap, side: Int, style: FigureStyle) -> RGBImage {
        let picture = enlarged(image, side: side)
        let scaled = map.resized(toWidth: picture.width, height: picture.height)
        return picture.overlaid(with: scaled, colormap: style.colormap, imageWeight: style.imageWeight)
    }

    /// Draws the outline of a mask (pixels ≥ 128) over an enlarged picture, two pixels wide just
    /// outside the mask's edge so the object itself stays visible, with a one-pixel black rim
    /// that keeps it visible on light objects and on the bright end of the colormap.
    public static func outlining(_ picture: RGBImage, mask: GrayImage, color: RGB) -> RGBImage {
        let enlargedMask = mask.resized(toWidth: picture.width, height: picture.height, method: .nearestNeighbor)
        var result = picture
        func inside(_ x: Int, _ y: Int) -> Bool {
            x >= 0 && y >= 0 && x < picture.width && y < picture.height && enlargedMask[x: x, y: y] >= 128
        }
        for y in 0..<picture.height {
            for x in 0..<picture.width where !inside(x, y) {
                func near(_ distance: Int) -> Bool {
                    (-distance...distance).contains { dy in
                        (-distance...distance).contains { dx in abs(dx) + abs(dy) <= distance && inside(x + dx, y + dy) }
                    }
                }
                if near(2) { result[x: x, y: y] = color } else if near(3) { result[x: x, y: y] = .black }
            }
        }
        return result
    }

    /// A gradient image [C, H, W] for display, as pytorch-grad-cam's `deprocess_image`:
    /// x − mean, ÷ (std + 1e-5), × 0.1, + 0.5, clipped to [0, 1], × 255 (truncated).
    public static func deprocessed(_ gradient: Tensor) throws -> RGBImage {
        guard gradient.rank == 3, gradient.shape[0] == 1 || gradient.shape[0] == 3, gradient.shape[1] > 0, gradient.shape[2] > 0
        else { throw FigureError("a gradient image needs shape [1 or 3, H, W], not \(gradient.shape)") }
        let (channels, height, width) = (gradient.shape[0], gradient.shape[1], gradient.shape[2])
        let values = gradient.scalars
        // NumPy's mean and population std over every value, accumulated in Double.
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
        let scale = Float(variance.squareRoot()) + 1e-5
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                for channel in 0..<3 {
                    let value = values[(min(channel, channels - 1) * height + y) * width + x]
                    let normalized = min(max((value - Float(mean)) / scale * 0.1 + 0.5, 0), 1)
                    pixels[(y * width + x) * 3 + channel] = UInt8(normalized * 255)
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
