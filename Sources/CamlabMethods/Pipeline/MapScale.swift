import CamlabCore

/// Every map is min–max scaled to [0, 1] on its own, so a map's brightness says nothing about how
/// strong its evidence is. These give the magnitudes back: the raw map's range, and maps on a
/// scale shared with other maps of the same method.
extension Explanation {
    /// The smallest and largest value of the raw map (before ReLU and scaling), when there is one.
    public var rawRange: ClosedRange<Float>? {
        guard let raw, let low = raw.scalars.min(), let high = raw.scalars.max() else { return nil }
        return low...high
    }

    /// What 1 on the normalized map stands for: the largest value of ReLU(raw).
    public var rawPeak: Float? { rawRange.map { Swift.max($0.upperBound, 0) } }

    /// ReLU(raw) resized to the map's size as the pipeline resizes it, without the scaling.
    public var positiveRawAtMapSize: [Float]? {
        guard let map, let raw, raw.rank == 2 else { return nil }
        return withoutGradient {
            raw.relu().reshaped(to: [1, 1] + raw.shape).resizedBilinear(height: map.shape[0], width: map.shape[1])
        }.scalars
    }

    /// The maps of `explanations` (one method: raw maps of different methods are in different
    /// units) on one scale: each ReLU(raw), resized, divided by the largest value among them all,
    /// so the strongest map keeps its peak at 1 and a weak one looks weak. Nil for an explanation
    /// without a single raw map (several layers, smoothing, FullGrad).
    public static func sharedScale(_ explanations: [Explanation]) -> [[Float]?] {
        let positive = explanations.map(\.positiveRawAtMapSize)
        let peak = positive.compactMap { $0?.max() }.max() ?? 0
        return positive.map { values in values.map { v in v.map { peak > 0 ? $0 / peak : 0 } } }
    }
}

extension Explanation {
    /// Σ_c |g_c| per pixel of the input gradient [C, H, W] (guided methods): where it puts its weight.
    public var gradientMagnitude: [Float]? {
        guard let gradient = inputGradient else { return nil }
        let plane = gradient.shape[1] * gradient.shape[2]
        return (0..<plane).map { p in (0..<gradient.shape[0]).reduce(Float(0)) { $0 + Swift.abs(gradient.scalars[$1 * plane + p]) } }
    }
}
