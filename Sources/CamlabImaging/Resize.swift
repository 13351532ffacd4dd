/// How `resized(toWidth:height:method:)` computes each output pixel. Each method reproduces one
/// library's 8-bit arithmetic exactly, because the tutorial's numbers start from those bytes.
public enum ResizeMethod: Sendable {
    /// The source pixel whose centre is nearest the output pixel's centre (OpenCV's
    /// INTER_NEAREST_EXACT): keeps values exact, right for masks and labels.
    case nearestNeighbor
    /// `cv2.resize(img, (W, H))` with its default INTER_LINEAR, bit for bit (checked against
    /// OpenCV 5.0 on random sizes): linear interpolation between the two nearest pixel centres in
    /// each direction, in 11-bit fixed point, rounded back to 8 bits the way OpenCV's vector code
    /// does. Shrinking more than 2× skips source pixels; exactly half in both directions averages
    /// 2×2 blocks (OpenCV switches to INTER_AREA there).
    case bilinear
    /// Pillow's `Image.resize(size, BILINEAR)`, which torchvision's `Resize` calls on a photo: the
    /// triangle filter widened by the shrink factor (antialiasing: every source pixel counts), in
    /// 22-bit fixed point, horizontal pass first, as Pillow's Resample.c. (Pillow 13 sometimes runs
    /// the vertical pass first, which moves some pixels by one level.)
    case antialiasedBilinear
}

extension RGBImage {
    /// This image scaled to `width × height`; deterministic (integer arithmetic and IEEE-754
    /// coefficients only).
    public func resized(toWidth width: Int, height: Int, method: ResizeMethod = .bilinear) -> RGBImage {
        RGBImage(width: width, height: height,
                 pixels: resample(pixels, channels: 3, from: (self.width, self.height), to: (width, height), method: method))
    }
}

extension GrayImage {
    /// This image scaled to `width × height`; deterministic (integer arithmetic and IEEE-754
    /// coefficients only).
    public func resized(toWidth width: Int, height: Int, method: ResizeMethod = .bilinear) -> GrayImage {
        GrayImage(width: width, height: height,
                  pixels: resample(pixels, channels: 1, from: (self.width, self.height), to: (width, height), method: method))
    }
}

private typealias Size = (width: Int, height: Int)

private func resample(_ source: [UInt8], channels: Int, from: Size, to: Size, method: ResizeMethod) -> [UInt8] {
    precondition(to.width > 0 && to.height > 0, "a resized image needs a positive width and height")
    if from == to { return source }
    switch method {
    case .nearestNeighbor: return nearest(source, channels: channels, from: from, to: to)
    case .bilinear:
        if to.width * 2 == from.width && to.height * 2 == from.height {
            return halved(source, channels: channels, from: from)
        }
        return openCVLinear(source, channels: channels, from: from, to: to)
    case .antialiasedBilinear: return pillowBilinear(source, channels: channels, from: from, to: to)
    }
}

private func nearest(_ source: [UInt8], channels: Int, from: Size, to: Size) -> [UInt8] {
    var output = [UInt8](repeating: 0, count: to.width * to.height * channels)
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
    return output
}

/// OpenCV's INTER_AREA at exactly half size: each output is a 2×2 block's rounded mean.
private func halved(_ source: [UInt8], channels: Int, from: Size) -> [UInt8] {
    let (width, height) = (from.width / 2, from.height / 2)
    var output = [UInt8](repeating: 0, count: width * height * channels)
    for y in 0..<height {
        for x in 0..<width {
            for channel in 0..<channels {
                func value(_ dx: Int, _ dy: Int) -> Int {
                    Int(source[((2 * y + dy) * from.width + 2 * x + dx) * channels + channel])
                }
                output[(y * width + x) * channels + channel] = UInt8((value(0, 0) + value(1, 0) + value(0, 1) + value(1, 1) + 2) >> 2)
            }
        }
    }
    return output
}

/// One output coordinate's source index and fixed-point weights (×2048) of it and the next:
/// position (i + ½)·scale − ½ in Float32, as OpenCV computes it (scale = 1 / (dst / src)).
private func openCVTaps(_ destination: Int, _ source: Int, clampToEdges: Bool) -> [(index: Int, weights: (Int, Int))] {
    let scale = 1.0 / (Double(destination) / Double(source))
    return (0..<destination).map { index in
        var position = Float((Double(index) + 0.5) * scale - 0.5)
        var lower = Int(position.rounded(.down))
        position -= Float(lower)
        if clampToEdges && lower < 0 { (lower, position) = (0, 0) }
        if clampToEdges && lower >= source - 1 { (lower, position) = (source - 1, 0) }
        func fixed(_ weight: Float) -> Int { Int((weight * 2048).rounded(.toNearestOrEven)) }
        return (lower, (fixed(1 - position), fixed(position)))
    }
}

/// cv2.resize INTER_LINEAR on 8 bits. The horizontal pass keeps exact integer sums (×2048); the
/// vertical pass is OpenCV's vector arithmetic: each sum shifted right by 4, multiplied by its
/// weight keeping the high 16 bits, added, then rounded away two bits. Columns past the edges are
/// clamped with their weights; rows past the edges keep their extrapolated weights on the
/// repeated edge row (so an edge row is not always copied exactly, as in OpenCV).
private func openCVLinear(_ source: [UInt8], channels: Int, from: Size, to: Size) -> [UInt8] {
    let columns = openCVTaps(to.width, from.width, clampToEdges: true)
    let rows = openCVTaps(to.height, from.height, clampToEdges: false)
    let rowLength = to.width * channels
    var horizontal = [Int32](repeating: 0, count: rowLength * from.height)
    for y in 0..<from.height {
        for (x, tap) in columns.enumerated() {
            let next = min(tap.index + 1, from.width - 1)
            for channel in 0..<channels {
                let left = Int(source[(y * from.width + tap.index) * channels + channel])
                let right = Int(source[(y * from.width + next) * channels + channel])
                horizontal[y * rowLength + x * channels + channel] = Int32(left * tap.weights.0 + right * tap.weights.1)
            }
        }
    }
    var output = [UInt8](repeating: 0, count: rowLength * to.height)
    for (y, tap) in rows.enumerated() {
        let top = min(max(tap.index, 0), from.height - 1) * rowLength
        let bottom = min(max(tap.index + 1, 0), from.height - 1) * rowLength
        for x in 0..<rowLength {
            func product(_ sum: Int32, _ weight: Int) -> Int { (Int(sum >> 4) * weight) >> 16 }
            let value = (product(horizontal[top + x], tap.weights.0) + product(horizontal[bottom + x], tap.weights.1) + 2) >> 2
            output[y * rowLength + x] = UInt8(min(255, max(0, value)))
        }
    }
    return output
}

/// Pillow's coefficients for one direction: for each output index, the first source index and
/// the fixed-point (×2²²) weights of the triangle filter stretched by the shrink factor.
private func pillowTaps(_ destination: Int, _ source: Int) -> [(first: Int, weights: [Int])] {
    let scale = Double(source) / Double(destination)
    let filterScale = max(scale, 1)
    let support = filterScale
    return (0..<destination).map { index in
        let centre = (Double(index) + 0.5) * scale
        let first = max(Int(centre - support + 0.5), 0)
        let last = min(Int(centre + support + 0.5), source)
        let raw = (first..<max(first, last)).map { position -> Double in
            let distance = abs((Double(position) - centre + 0.5) * (1 / filterScale))
            return distance < 1 ? 1 - distance : 0
        }
        let total = raw.reduce(0, +)
        let weights = raw.map { weight -> Int in
            let normalized = total != 0 ? weight / total : weight
            return Int(normalized * Double(1 << 22) + (normalized < 0 ? -0.5 : 0.5))
        }
        return (first, weights)
    }
}

private func pillowBilinear(_ source: [UInt8], channels: Int, from: Size, to: Size) -> [UInt8] {
    func clip(_ sum: Int) -> UInt8 { UInt8(min(255, max(0, sum >> 22))) }
    let rows = pillowTaps(to.height, from.height)
    // Only the rows the vertical pass reads are resampled horizontally.
    let firstRow = rows.first!.first, endRow = rows.last!.first + rows.last!.weights.count
    var intermediate = source, intermediateWidth = from.width, rowOffset = 0
    if to.width != from.width {
        let columns = pillowTaps(to.width, from.width)
        intermediate = [UInt8](repeating: 0, count: to.width * (endRow - firstRow) * channels)
        for y in firstRow..<endRow {
            for (x, tap) in columns.enumerated() {
                for channel in 0..<channels {
                    var sum = 1 << 21
                    for (k, weight) in tap.weights.enumerated() {
                        sum += Int(source[(y * from.width + tap.first + k) * channels + channel]) * weight
                    }
                    intermediate[((y - firstRow) * to.width + x) * channels + channel] = clip(sum)
                }
            }
        }
        (intermediateWidth, rowOffset) = (to.width, firstRow)
    }
    guard to.height != from.height else { return intermediate }
    var output = [UInt8](repeating: 0, count: to.width * to.height * channels)
    for (y, tap) in rows.enumerated() {
        for x in 0..<to.width {
            for channel in 0..<channels {
                var sum = 1 << 21
                for (k, weight) in tap.weights.enumerated() {
                    sum += Int(intermediate[((tap.first + k - rowOffset) * intermediateWidth + x) * channels + channel]) * weight
                }
                output[(y * to.width + x) * channels + channel] = clip(sum)
            }
        }
    }
    return output
}
