/// How `resized(toWidth:height:method:)` computes each output pixel.
public enum ResizeMethod: Sendable {
    /// The source pixel whose centre is nearest the output pixel's centre (OpenCV's
    /// INTER_NEAREST_EXACT): keeps values exact, right for masks and labels.
    case nearestNeighbor
    /// Linear interpolation between the four nearest source pixel centres, with pixel centres at
    /// half-integers (OpenCV's INTER_LINEAR, PyTorch's `align_corners=False`) and edge pixels
    /// repeated. Shrinking more than 2× skips source pixels, as OpenCV does.
    case bilinear
}

extension RGBImage {
    /// This image scaled to `width × height`; deterministic (integer or IEEE-754 `+ − × ÷` only).
    public func resized(toWidth width: Int, height: Int, method: ResizeMethod = .bilinear) -> RGBImage {
        RGBImage(width: width, height: height,
                 pixels: resample(pixels, channels: 3, from: (self.width, self.height), to: (width, height), method: method))
    }
}

extension GrayImage {
    /// This image scaled to `width × height`; deterministic (integer or IEEE-754 `+ − × ÷` only).
    public func resized(toWidth width: Int, height: Int, method: ResizeMethod = .bilinear) -> GrayImage {
        GrayImage(width: width, height: height,
                  pixels: resample(pixels, channels: 1, from: (self.width, self.height), to: (width, height), method: method))
    }
}

private func resample(_ source: [UInt8], channels: Int, from: (width: Int, height: Int),
                      to: (width: Int, height: Int), method: ResizeMethod) -> [UInt8] {
    precondition(to.width > 0 && to.height > 0, "a resized image needs a positive width and height")
    var output = [UInt8](repeating: 0, count: to.width * to.height * channels)
    switch method {
    case .nearestNeighbor:
        // Output centre (x + ½)·src/dst falls in source pixel ⌊(2x + 1)·src / (2·dst)⌋: integers only.
        let sourceColumns = (0..<to.width).map { ((2 * $0 + 1) * from.width) / (2 * to.width) }
        for y in 0..<to.height {
            let sourceRow = ((2 * y + 1) * from.height) / (2 * to.height)
            for x in 0..<to.width {
                let input = (sourceRow * from.width + sourceColumns[x]) * channels
                let outputOffset = (y * to.width + x) * channels
                for channel in 0..<channels { output[outputOffset + channel] = source[input + channel] }
            }
        }
    case .bilinear:
        let columns = (0..<to.width).map { interpolationPoint($0, source: from.width, destination: to.width) }
        let rows = (0..<to.height).map { interpolationPoint($0, source: from.height, destination: to.height) }
        for y in 0..<to.height {
            let (top, bottom, rowWeight) = rows[y]
            for x in 0..<to.width {
                let (left, right, columnWeight) = columns[x]
                let outputOffset = (y * to.width + x) * channels
                for channel in 0..<channels {
                    func value(_ column: Int, _ row: Int) -> Double {
                        Double(source[(row * from.width + column) * channels + channel])
                    }
                    let upper = value(left, top) + (value(right, top) - value(left, top)) * columnWeight
                    let lower = value(left, bottom) + (value(right, bottom) - value(left, bottom)) * columnWeight
                    let blended = upper + (lower - upper) * rowWeight
                    output[outputOffset + channel] = UInt8(min(255, max(0, (blended + 0.5).rounded(.down))))
                }
            }
        }
    }
    return output
}

/// The two source indices around output index `index` and the weight of the second:
/// source coordinate (index + ½)·src/dst − ½, clamped to the first and last pixel centres.
private func interpolationPoint(_ index: Int, source: Int, destination: Int) -> (Int, Int, Double) {
    let position = (Double(index) + 0.5) * Double(source) / Double(destination) - 0.5
    if position <= 0 { return (0, 0, 0) }
    if position >= Double(source - 1) { return (source - 1, source - 1, 0) }
    let lower = Int(position.rounded(.down))
    return (lower, lower + 1, position - Double(lower))
}
