import CamlabCore
import CamlabNN

/// Does the map point at what the model uses? Scores of the model on the image changed according
/// to the map, for one image, one class and one map (values in [0, 1] at the input's size).
/// Every score is the class's softmax probability (the "confidence" of the Grad-CAM++ paper).
public struct Faithfulness {
    /// Y^c: the confidence on the original image.
    public let confidence: Float
    /// O^c: the confidence on the image multiplied by the map (the "explanation map").
    public let explanationConfidence: Float
    /// Confidence as the most relevant pixels are deleted (set to 0), at fractions 0, 1/S, …, 1.
    public let deletionCurve: [Float]
    /// Confidence as the most relevant pixels are inserted into a blurred image.
    public let insertionCurve: [Float]
    /// Confidence after ROAD removes the most (MoRF) or least (LeRF) relevant pixels, at `roadPercentiles`.
    public let roadMostRelevantFirst: [Float]
    public let roadLeastRelevantFirst: [Float]

    public static let roadPercentiles: [Int] = [20, 40, 60, 80]
    public static let steps = 16

    /// Average Drop term: max(0, Y − O) / Y, in percent.
    public var drop: Float { confidence > 0 ? 100 * Swift.max(0, confidence - explanationConfidence) / confidence : 0 }
    /// Increase in Confidence: whether O > Y.
    public var increased: Bool { explanationConfidence > confidence }
    /// Area under a curve sampled evenly on [0, 1] (trapezoid rule).
    public static func area(_ curve: [Float]) -> Float {
        guard curve.count > 1 else { return curve.first ?? 0 }
        let inner = curve.dropFirst().dropLast().reduce(0, +)
        return (inner + (curve.first! + curve.last!) / 2) / Float(curve.count - 1)
    }
    public var deletionArea: Float { Self.area(deletionCurve) }
    public var insertionArea: Float { Self.area(insertionCurve) }

    /// - Parameters: `input` is one normalized image [1, C, H, W]; `map` is [H, W].
    public init(network: Network, input: Tensor, classIndex c: Int, map: Tensor, seed: UInt64 = 0) {
        let (channels, height, width) = (input.shape[1], input.shape[2], input.shape[3])
        let plane = height * width
        let x = input.scalars
        let m = map.scalars
        // Pixels from the most to the least relevant (ties by position, so the order is stable).
        let order = (0..<plane).sorted { m[$0] != m[$1] ? m[$0] > m[$1] : $0 < $1 }

        func image(_ values: [Float]) -> Tensor { Tensor(shape: [1, channels, height, width], scalars: values) }
        var batch: [Tensor] = [input]
        batch.append(image((0..<x.count).map { x[$0] * m[$0 % plane] }))                    // X ⊙ M
        let blurred = Self.boxBlurred(x, channels: channels, height: height, width: width, radius: Swift.max(1, width / 8))
        for step in 0...Self.steps {
            let changed = Set(order.prefix(plane * step / Self.steps))
            var deleted = x, inserted = blurred
            for p in changed { for ch in 0..<channels { deleted[ch * plane + p] = 0; inserted[ch * plane + p] = x[ch * plane + p] } }
            batch.append(image(deleted))
            batch.append(image(inserted))
        }
        var generator = RandomGenerator(seed: seed)
        for percentile in Self.roadPercentiles {
            let count = plane * percentile / 100
            batch.append(image(NoisyLinearImputation.impute(x, removing: Set(order.prefix(count)), channels: channels,
                                                            height: height, width: width, generator: &generator)))
            batch.append(image(NoisyLinearImputation.impute(x, removing: Set(order.suffix(count)), channels: channels,
                                                            height: height, width: width, generator: &generator)))
        }
        let probabilities = withoutGradient { network(Tensor.concatenated(batch, alongAxis: 0)).softmax(alongAxis: 1) }
        let classes = probabilities.shape[1]
        let scores = (0..<batch.count).map { probabilities.scalars[$0 * classes + c] }
        confidence = scores[0]
        explanationConfidence = scores[1]
        let curves = Array(scores[2..<(2 + 2 * (Self.steps + 1))])
        deletionCurve = stride(from: 0, to: curves.count, by: 2).map { curves[$0] }
        insertionCurve = stride(from: 1, to: curves.count, by: 2).map { curves[$0] }
        let road = Array(scores[(2 + 2 * (Self.steps + 1))...])
        roadMostRelevantFirst = stride(from: 0, to: road.count, by: 2).map { road[$0] }
        roadLeastRelevantFirst = stride(from: 1, to: road.count, by: 2).map { road[$0] }
    }

    /// A box blur of each channel (the insertion metric's starting image, as in RISE).
    static func boxBlurred(_ x: [Float], channels: Int, height: Int, width: Int, radius: Int) -> [Float] {
        var out = x
        for ch in 0..<channels {
            for y in 0..<height {
                for xx in 0..<width {
                    var sum: Float = 0
                    var count: Float = 0
                    for dy in -radius...radius {
                        for dx in -radius...radius {
                            let (yy, xq) = (y + dy, xx + dx)
                            guard yy >= 0, yy < height, xq >= 0, xq < width else { continue }
                            sum += x[(ch * height + yy) * width + xq]
                            count += 1
                        }
                    }
                    out[(ch * height + y) * width + xx] = sum / count
                }
            }
        }
        return out
    }
}

/// ROAD's noisy linear imputation (Rong et al., 2022): each removed pixel becomes the weighted mean
/// of its 8 neighbours (1/6 for edge neighbours, 1/12 for corner ones), solved jointly over all
/// removed pixels by Gauss–Seidel iteration, plus a little noise (σ = 0.01), so the removal itself
/// leaves no sharp pattern for the model to react to.
public enum NoisyLinearImputation {
    public static func impute(_ x: [Float], removing removed: Set<Int>, channels: Int, height: Int, width: Int,
                              generator: inout RandomGenerator) -> [Float] {
        var out = x
        let neighbours: [(Int, Int, Float)] = [(-1, 0, 1 / 6), (1, 0, 1 / 6), (0, -1, 1 / 6), (0, 1, 1 / 6),
                                               (-1, -1, 1 / 12), (-1, 1, 1 / 12), (1, -1, 1 / 12), (1, 1, 1 / 12)]
        let pixels = removed.sorted()
        for ch in 0..<channels {
            let base = ch * height * width
            for p in pixels { out[base + p] = 0 }
            for _ in 0..<60 {
                for p in pixels {
                    let (y, xx) = (p / width, p % width)
                    var sum: Float = 0, total: Float = 0
                    for (dy, dx, weight) in neighbours {
                        let (yy, xq) = (y + dy, xx + dx)
                        guard yy >= 0, yy < height, xq >= 0, xq < width else { continue }
                        sum += weight * out[base + yy * width + xq]
                        total += weight
                    }
                    out[base + p] = sum / total
                }
            }
            for p in pixels { out[base + p] += Float(0.01 * generator.nextNormal()) }
        }
        return out
    }
}
