/// Batch normalization of NCHW tensors (PyTorch's `BatchNorm2d`), composed from element-wise
/// operations and reductions, so its first and second derivatives — through the batch
/// statistics too — come from the autodiff, as in tinygrad's `nn.BatchNorm`.
extension Tensor {
    /// Inference mode, `F.batch_norm(x, runningMean, runningVariance, weight, bias,
    /// training: false, eps: epsilon)`:
    ///
    ///     y = (x − μ) / √(σ² + ε) · γ + β     per channel, μ and σ² the running statistics
    ///
    /// computed as PyTorch's CPU kernel does, x · s + (β − μ · s) with s = γ / √(σ² + ε): two
    /// passes over x. `weight` (γ) and `bias` (β) may require gradients; the running statistics
    /// are constants. Without a weight or a bias (PyTorch's `affine=False`) they are 1 and 0.
    public func batchNormalized(runningMean: Tensor, runningVariance: Tensor, weight: Tensor? = nil,
                                bias: Tensor? = nil, epsilon: Float = 1e-5) -> Tensor {
        let channels = batchNormChannels(runningMean, runningVariance, weight, bias, operation: "batchNormalized")
        let perChannel = [1, channels, 1, 1]
        let inverseDeviation = 1 / (runningVariance.detached() + epsilon).sqrt()
        let scale = weight.map { $0 * inverseDeviation } ?? inverseDeviation
        let shift = (bias ?? Tensor(0)) - runningMean.detached() * scale
        return self * scale.reshaped(to: perChannel) + shift.reshaped(to: perChannel)
    }

    /// Training mode, `F.batch_norm(x, …, weight, bias, training: true, eps: epsilon)`: normalizes
    /// with the statistics of this batch over (N, H, W) — the mean and the biased variance —
    ///
    ///     y = (x − mean) / √(var + ε) · γ + β,   var = Σ (x − mean)² / n,  n = N·H·W,
    ///
    /// and differentiates through them. Also returns, detached, the batch mean and the unbiased
    /// variance Σ (x − mean)² / (n − 1), both of shape [C]: what PyTorch blends into the running
    /// statistics (running = (1 − momentum) · running + momentum · batch, the caller's update).
    public func batchNormalizedWithBatchStatistics(weight: Tensor? = nil, bias: Tensor? = nil,
                                                   epsilon: Float = 1e-5)
        -> (output: Tensor, mean: Tensor, unbiasedVariance: Tensor) {
        let channels = batchNormChannels(nil, nil, weight, bias, operation: "batchNormalizedWithBatchStatistics")
        let n = shape[0] * shape[2] * shape[3]
        precondition(n > 1, "batchNormalizedWithBatchStatistics: needs more than one value per channel, got shape \(shape)")
        let perChannel = [1, channels, 1, 1]
        let mean = self.mean(alongAxes: [0, 2, 3], keepingDimensions: true)
        let centered = self - mean
        let variance = centered.squared().mean(alongAxes: [0, 2, 3], keepingDimensions: true)
        let inverseDeviation = 1 / (variance + epsilon).sqrt()
        let scale = weight.map { $0.reshaped(to: perChannel) * inverseDeviation } ?? inverseDeviation
        let normalized = centered * scale
        let output = bias.map { normalized + $0.reshaped(to: perChannel) } ?? normalized
        let unbiasedVariance = variance.detached() * (Float(n) / Float(n - 1))
        return (output, mean.detached().reshaped(to: [channels]), unbiasedVariance.reshaped(to: [channels]))
    }

    /// The channel count C of this NCHW tensor, after checking that every per-channel tensor
    /// given has shape [C].
    private func batchNormChannels(_ tensors: Tensor?..., operation: String) -> Int {
        precondition(rank == 4, "\(operation): the input must be NCHW (rank 4), got shape \(shape)")
        for tensor in tensors.compactMap({ $0 }) {
            precondition(tensor.shape == [shape[1]],
                         "\(operation): input \(shape) has \(shape[1]) channels, a per-channel tensor has shape \(tensor.shape)")
        }
        return shape[1]
    }
}
