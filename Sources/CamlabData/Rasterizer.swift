import CamlabCore
import CamlabImaging

/// A shape filling the square pixel box `x ..< x + extent`, `y ..< y + extent`.
struct PlacedShape: Equatable, Sendable {
    var shapeClass: ShapeClass
    var x: Int
    var y: Int
    var extent: Int
    var color: RGB

    /// True when the two boxes, each grown by `gap` pixels on every side, are still apart.
    func isApart(from other: PlacedShape, gap: Int) -> Bool {
        x + extent + gap <= other.x || other.x + other.extent + gap <= x
            || y + extent + gap <= other.y || other.y + other.extent + gap <= y
    }

    /// Whether the point lies inside the shape, with every quantity in integer "half-units":
    /// `pointX`, `pointY` and `unit` (one pixel) share the same scale, chosen so that sample points
    /// and the box's corners and centre are all integers. Only integer arithmetic decides pixels,
    /// so every machine draws the same image.
    func contains(pointX: Int, pointY: Int, unit: Int) -> Bool {
        let left = x * unit, top = y * unit, side = extent * unit
        guard pointX > left, pointX < left + side, pointY > top, pointY < top + side else { return false }
        // `side` is even (unit is even), so the centre is an integer.
        let dx = pointX - (left + side / 2), dy = pointY - (top + side / 2)
        switch shapeClass {
        case .square:
            return true
        case .circle:
            // Inscribed disc: radius side/2.
            return 4 * (dx * dx + dy * dy) < side * side
        case .triangle:
            // Upright isosceles triangle, apex at the top centre, base on the bottom edge:
            // at depth t below the apex the half-width is t/2.
            return 2 * abs(dx) < pointY - top
        case .cross:
            // A plus sign whose arms are 3/8 of the side thick (as in the reference images).
            return 16 * abs(dx) < 3 * side || 16 * abs(dy) < 3 * side
        }
    }
}

/// Draws shapes on a noisy background and measures each one's mask.
enum Rasterizer {
    /// Background noise: per pixel and channel, standard deviation 13 grey levels (as in the
    /// reference images), drawn as the Irwin–Hall sum of four random bytes: nearly Gaussian
    /// (bounded at ±3.5σ), integer-only, and one generator call covers two channels, several
    /// times cheaper than `nextNormal()` (it matters in debug builds: 3 × size² draws per image).
    static let noiseDeviation = 13

    /// Renders `shapes` over a noisy background and returns the image and, per shape, the set of
    /// pixels it covers at least half of.
    ///
    /// Each pixel is sampled on a `supersampling × supersampling` grid of fixed offsets
    /// ((2i + 1) / (2·supersampling) of a pixel). With 1 the centre decides (hard edges, like the
    /// reference images); with 4 the edge pixels blend object and background by coverage/16.
    static func render(_ shapes: [PlacedShape], size: Int, background: RGB, texture: Texture? = nil, supersampling: Int,
                       random: inout RandomGenerator) -> (image: RGBImage, masks: [[Bool]]) {
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        let base = [Int(background.red), Int(background.green), Int(background.blue)]
        let shade = texture?.levels ?? []
        // A sum of four uniform bytes has mean 510 and standard deviation √(4·(256² − 1)/12) ≈ 147.80.
        let scale = noiseDeviation * 100, spread = 14_780
        var bits: UInt64 = 0, bytesLeft = 0
        for offset in 0..<pixels.count {
            if bytesLeft < 4 { bits = random.next(); bytesLeft = 8 }
            let sum = Int(bits & 0xFF) + Int((bits >> 8) & 0xFF) + Int((bits >> 16) & 0xFF) + Int((bits >> 24) & 0xFF)
            bits >>= 32
            bytesLeft -= 4
            let scaled = (sum - 510) * scale
            // Round half away from zero, so the noise stays symmetric.
            let noise = scaled >= 0 ? (scaled + spread / 2) / spread : -((-scaled + spread / 2) / spread)
            pixels[offset] = UInt8(min(255, max(0, base[offset % 3] + noise + (shade.isEmpty ? 0 : shade[offset]))))
        }
        // Half-units: a pixel is 2·supersampling units wide, sample i of a pixel sits at 2i + 1.
        let unit = 2 * supersampling
        let samples = supersampling * supersampling
        var masks: [[Bool]] = []
        for shape in shapes {
            var mask = [Bool](repeating: false, count: size * size)
            let color = [shape.color.red, shape.color.green, shape.color.blue]
            for py in shape.y..<min(size, shape.y + shape.extent) {
                for px in shape.x..<min(size, shape.x + shape.extent) {
                    var covered = 0
                    for sy in 0..<supersampling {
                        for sx in 0..<supersampling
                        where shape.contains(pointX: px * unit + 2 * sx + 1, pointY: py * unit + 2 * sy + 1, unit: unit) {
                            covered += 1
                        }
                    }
                    guard covered > 0 else { continue }
                    let offset = (py * size + px) * 3
                    for channel in 0..<3 {
                        let blended = (Int(pixels[offset + channel]) * (samples - covered)
                            + Int(color[channel]) * covered + samples / 2) / samples
                        pixels[offset + channel] = UInt8(blended)
                    }
                    if 2 * covered >= samples { mask[py * size + px] = true }
                }
            }
            masks.append(mask)
        }
        return (RGBImage(width: size, height: size, pixels: pixels), masks)
    }

    /// A background texture in grey levels per pixel and channel: smooth blotches (a coarse random
    /// grid, bilinearly interpolated in integers) and diagonal stripes of a random period and
    /// direction, so that a background is never a flat colour a network can learn to ignore.
    struct Texture {
        let levels: [Int]

        init(size: Int, random: inout RandomGenerator) {
            let cells = 4, amplitude = 45
            let grid = (0..<((cells + 1) * (cells + 1) * 3)).map { _ in random.nextIndex(below: 2 * amplitude + 1) - amplitude }
            let (a, b) = (1 + random.nextIndex(below: 3), random.nextIndex(below: 5) - 2)
            let period = 4 + random.nextIndex(below: 6), stripe = 8 + random.nextIndex(below: 10)
            var levels = [Int](repeating: 0, count: size * size * 3)
            for y in 0..<size {
                // Position in the grid in 1/size units: cell = p / size, fraction = p % size.
                let py = y * cells, (gy, fy) = (py / size, py % size)
                for x in 0..<size {
                    let px = x * cells, (gx, fx) = (px / size, px % size)
                    let band = ((a * x + b * y + 4 * size) / period) % 2 == 0 ? stripe : -stripe
                    for channel in 0..<3 {
                        func corner(_ i: Int, _ j: Int) -> Int { grid[((gy + j) * (cells + 1) + gx + i) * 3 + channel] }
                        let top = corner(0, 0) * (size - fx) + corner(1, 0) * fx
                        let bottom = corner(0, 1) * (size - fx) + corner(1, 1) * fx
                        levels[(y * size + x) * 3 + channel] = (top * (size - fy) + bottom * fy) / (size * size) + band
                    }
                }
            }
            self.levels = levels
        }
    }

    /// The tight box around the true pixels of a `size × size` mask (nil when empty).
    static func boundingBox(of mask: [Bool], size: Int) -> BoundingBox? {
        var minX = size, minY = size, maxX = -1, maxY = -1
        for y in 0..<size {
            for x in 0..<size where mask[y * size + x] {
                minX = min(minX, x); maxX = max(maxX, x)
                minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        guard maxX >= 0 else { return nil }
        return BoundingBox(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1)
    }
}
