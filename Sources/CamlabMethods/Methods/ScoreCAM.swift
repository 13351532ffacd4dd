import CamlabCore

/// Score-CAM (Wang et al., 2020): no gradients; each feature map, upsampled and scaled to [0, 1],
/// masks the input, and the class score of the masked input is that map's weight:
///
///     M^k = (up(A^k) − min) / (max − min + 1e-8)     (bilinear, align_corners=True)
///     s_k = y^c(X ⊙ M^k),    α^c = softmax_k(s)
///
/// Masks that come out identical (all-zero channels, common after a ReLU) are scored once.
public struct ScoreCAM: WeightedCAMMethod {
    /// How many masked images go through the network at once.
    public var batchSize = 64

    public init() {}

    public func weights(_ pass: LayerPass) -> Tensor {
        let (images, channels) = (pass.activations.shape[0], pass.activations.shape[1])
        var weights = [Float](repeating: 0, count: images * channels)
        weights.withUnsafeMutableBufferPointer { weights in
            // Images are independent, and one image's masked batches are too small to keep both
            // cores busy operation by operation: the cores take whole images instead.
            Kernels.concurrentPerform(iterations: images) { n in
                for (k, weight) in imageWeights(pass, image: n).enumerated() { weights[n * channels + k] = weight }
            }
        }
        return Tensor(shape: [images, channels], scalars: weights)
    }

    /// α^c of image n.
    private func imageWeights(_ pass: LayerPass, image n: Int) -> [Float] {
        let channels = pass.activations.shape[1]
        let (height, width) = (pass.input.shape[2], pass.input.shape[3])
        let masks = withoutGradient { () -> Tensor in
            let a = pass.activations.detached().sliced(alongAxis: 0, range: n..<(n + 1)).reshaped(to: [channels] + Array(pass.activations.shape[2...]))
            let up = a.resizedBilinear(height: height, width: width, convention: .alignCorners)
            let low = up.min(alongAxes: [1, 2], keepingDimensions: true)
            let high = up.max(alongAxes: [1, 2], keepingDimensions: true)
            return (up - low) / (high - low + 1e-8)          // M^k in [0, 1]
        }
        let image = pass.input.sliced(alongAxis: 0, range: n..<(n + 1)).detached()
        // Distinct masks only: a zero mask (dead channel) is common, and its score is shared.
        let plane = height * width
        let firstEqual = DistinctPlanes.firstEqual(in: masks.scalars, planeSize: plane)
        let distinct = (0..<channels).filter { firstEqual[$0] == $0 }
        var scores = [Float](repeating: 0, count: channels)
        for start in stride(from: 0, to: distinct.count, by: batchSize) {
            let chunk = distinct[start..<Swift.min(start + batchSize, distinct.count)]
            let chunkMasks = Tensor(shape: [chunk.count, 1, height, width],
                                    scalars: chunk.flatMap { k in masks.scalars[(k * plane)..<((k + 1) * plane)] })
            let chunkScores = pass.scores(ofInputs: withoutGradient { image * chunkMasks }, image: n)   // y^c(X ⊙ M^k)
            for (k, score) in zip(chunk, chunkScores) { scores[k] = score }
        }
        for k in 0..<channels { scores[k] = scores[firstEqual[k]] }
        return Tensor(scores).softmax(alongAxis: 0).scalars      // α = softmax(s)
    }
}
