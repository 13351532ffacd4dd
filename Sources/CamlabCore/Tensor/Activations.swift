/// Softmax, log-softmax and cross-entropy, composed from primitives (so twice differentiable).
extension Tensor {
    /// exp(x_i) / Σ_j exp(x_j) along `axis`. The maximum is subtracted first for stability;
    /// it is detached because softmax does not depend on it.
    public func softmax(alongAxis axis: Int = -1) -> Tensor {
        let shifted = self - max(alongAxis: axis, keepingDimensions: true).detached()
        let e = shifted.exp()
        return e / e.sum(alongAxis: axis, keepingDimensions: true)
    }

    /// x_i − log Σ_j exp(x_j) along `axis`.
    public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
        let shifted = self - max(alongAxis: axis, keepingDimensions: true).detached()
        return shifted - shifted.exp().sum(alongAxis: axis, keepingDimensions: true).log()
    }

    /// Mean cross-entropy of logits [N, K] against class indices, as `F.cross_entropy`.
    public func crossEntropy(labels: [Int]) -> Tensor {
        precondition(rank == 2 && shape[0] == labels.count,
                     "crossEntropy: logits \(shape) need one label per row, got \(labels.count) labels")
        let classes = shape[1]
        var oneHot = [Float](repeating: 0, count: count)
        for (row, label) in labels.enumerated() {
            precondition(label >= 0 && label < classes, "crossEntropy: label \(label) is not in 0..<\(classes)")
            oneHot[row * classes + label] = 1
        }
        let picked = logSoftmax(alongAxis: 1) * Tensor(shape: shape, scalars: oneHot)
        return -picked.sum() / Float(labels.count)
    }
}
