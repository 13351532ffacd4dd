import Testing
import CamlabCore

/// BatchNorm's two modes agree with each other and hand back plain statistics.
struct BatchNormTests {
    /// Channel c of an NCHW tensor, in Double.
    func channel(_ t: Tensor, _ c: Int) -> [Double] {
        let (channels, plane) = (t.shape[1], t.shape[2] * t.shape[3])
        var values: [Double] = []
        for image in 0..<t.shape[0] {
            let start = (image * channels + c) * plane
            values += t.scalars[start..<(start + plane)].map(Double.init)
        }
        return values
    }

    /// The mean and Σ (x − mean)² of some values, in Double.
    func moments(_ values: [Double]) -> (mean: Double, squares: Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, squares)
    }

    @Test func trainingNormalizesWithTheBatchsBiasedVarianceAndReturnsTheUnbiasedOne() {
        var generator = RandomGenerator(seed: 5)
        let x = Tensor.normal([4, 3, 5, 2], mean: 2, standardDeviation: 3, generator: &generator)
        let weight = Tensor([0.5, 1, 2]).requiringGradient(), bias = Tensor([-1, 0, 1]).requiringGradient()
        let (output, mean, unbiasedVariance) = x.batchNormalizedWithBatchStatistics(weight: weight, bias: bias)
        #expect(mean.shape == [3] && unbiasedVariance.shape == [3])
        #expect(!mean.requiresGradient && !unbiasedVariance.requiresGradient && output.requiresGradient)
        let n = 4 * 5 * 2
        for c in 0..<3 {
            let exact = moments(channel(x, c))
            let exactVariance = exact.squares / Double(n - 1)
            #expect(Swift.abs(Double(mean.scalars[c]) - exact.mean) < 1e-5)
            #expect(Swift.abs(Double(unbiasedVariance.scalars[c]) - exactVariance) / exactVariance < 1e-5)
        }
        // Inference with the batch's mean and biased variance as running statistics gives the same.
        let biasedVariance = unbiasedVariance * (Float(n - 1) / Float(n))
        let inference = x.batchNormalized(runningMean: mean, runningVariance: biasedVariance, weight: weight, bias: bias)
        let difference = largestError(zip(inference.scalars, output.scalars).map { Swift.abs($0 - $1) })
        #expect(difference < 1e-5)
        // Normalized channels have mean β and (biased) standard deviation γ·√(σ²/(σ² + ε)) ≈ γ.
        for c in 0..<3 {
            let normalized = moments(channel(output, c))
            let deviation = (normalized.squares / Double(n)).squareRoot()
            #expect(Swift.abs(normalized.mean - Double(bias.scalars[c])) < 1e-5)
            #expect(Swift.abs(deviation - Double(weight.scalars[c])) < 1e-4)
        }
    }
}
