import CamlabCore

/// Ablation-CAM (Desai & Ramaswamy, 2020): a feature map's weight is how much the score drops
/// when that map is removed:
///
///     α_k^c = (y^c − y^c_k) / y^c
///
/// where y^c_k is the score with A^k set to 0 (or, if A can be negative, to min(A) − 1e7, as
/// pytorch-grad-cam does). Only the layers after A are re-run, batched over k. A score y^c of 0
/// makes every weight 0/0 (pytorch-grad-cam returns a NaN map); the pipeline refuses it.
public struct AblationCAM: WeightedCAMMethod {
    public var batchSize = 64

    public init() {}

    public func weights(_ pass: LayerPass) -> Tensor {
        let a = pass.activations.detached()
        let (images, channels) = (a.shape[0], a.shape[1])
        let plane = a.shape[2] * a.shape[3]
        let ablated: Float = (a.min().scalar == 0) ? 0 : a.min().scalar - 1e7
        var weights = [Float]()
        for n in 0..<images {
            let original = pass.target.value(of: pass.logits(ofImage: n), class: pass.classes[n])
            let own = Array(a.scalars[(n * channels * plane)..<((n + 1) * channels * plane)])
            var dropped = [Float]()
            for start in stride(from: 0, to: channels, by: batchSize) {
                let chunk = start..<Swift.min(start + batchSize, channels)
                var batch = [Float]()
                batch.reserveCapacity(chunk.count * own.count)
                for k in chunk {
                    var copy = own
                    for p in 0..<plane { copy[k * plane + p] = ablated }   // A^k removed
                    batch += copy
                }
                let replacement = Tensor(shape: [chunk.count] + Array(a.shape[1...]), scalars: batch)
                dropped += pass.scoresAfterReplacingLayer(with: replacement, image: n)    // y^c_k
            }
            weights += dropped.map { (original - $0) / original }    // (y − y_k) / y
        }
        return Tensor(shape: [images, channels], scalars: weights)
    }
}
