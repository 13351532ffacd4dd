/// A map of values in [0, 1] over an image (a class activation map), row by row from the top-left.
public struct Heatmap: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// `width × height` values: (x, y) is at `y * width + x`.
    public var values: [Float]

    /// Wraps values; `values.count` must be `width × height` and both sides positive.
    public init(width: Int, height: Int, values: [Float]) {
        precondition(width > 0 && height > 0, "a heatmap needs a positive width and height")
        precondition(values.count == width * height,
                     "a heatmap of \(width)×\(height) needs \(width * height) values, got \(values.count)")
        self.width = width
        self.height = height
        self.values = values
    }

    public subscript(x x: Int, y y: Int) -> Float { values[y * width + x] }

    /// This map scaled to `width × height` by bilinear interpolation with half-pixel centres
    /// (OpenCV's INTER_LINEAR, PyTorch's `align_corners=False`), in Float: heatmaps are enlarged
    /// in Swift because libgd's resampling is a box filter and shifts edges.
    public func resized(toWidth width: Int, height: Int) -> Heatmap {
        precondition(width > 0 && height > 0, "a resized heatmap needs a positive width and height")
        if width == self.width && height == self.height { return self }
        func points(_ count: Int, _ source: Int) -> [(Int, Int, Float)] {
            (0..<count).map { index in
                let position = (Float(index) + 0.5) * Float(source) / Float(count) - 0.5
                if position <= 0 { return (0, 0, 0) }
                if position >= Float(source - 1) { return (source - 1, source - 1, 0) }
                let lower = Int(position.rounded(.down))
                return (lower, lower + 1, position - Float(lower))
            }
        }
        let columns = points(width, self.width), rows = points(height, self.height)
        var output = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let (top, bottom, rowWeight) = rows[y]
            for x in 0..<width {
                let (left, right, columnWeight) = columns[x]
                let upper = self[x: left, y: top] * (1 - columnWeight) + self[x: right, y: top] * columnWeight
                let lower = self[x: left, y: bottom] * (1 - columnWeight) + self[x: right, y: bottom] * columnWeight
                output[y * width + x] = upper * (1 - rowWeight) + lower * rowWeight
            }
        }
        return Heatmap(width: width, height: height, values: output)
    }

    /// The map painted with a colormap, without the image.
    public func colored(with colormap: Colormap) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for (index, value) in values.enumerated() {
            let color = colormap.color(at: value)
            pixels[3 * index] = color.red
            pixels[3 * index + 1] = color.green
            pixels[3 * index + 2] = color.blue
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
