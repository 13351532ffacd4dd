import CamlabCore

/// A class activation map method that explains through one layer.
///
/// A method supplies the per-channel terms T^k [N, K, h, w] whose sum over k is the raw map
/// (Grad-CAM: T^k = α_k A^k); `combine` sums them (Eigen-CAM and `--eigen-smooth` project them on
/// their first principal component instead). The shared pipeline (`Explainer`) does the rest:
/// ReLU, min-max scaling, resizing to the input, fusing layers, smoothing.
public protocol CAMMethod {
    /// The per-channel terms of the raw map, [N, K, h, w].
    func channelTerms(_ pass: LayerPass) throws -> Tensor
    /// The raw map [N, h, w] from the terms.
    func combine(_ terms: Tensor) -> Tensor
}

extension CAMMethod {
    public func combine(_ terms: Tensor) -> Tensor { terms.sum(alongAxis: 1) }
}

/// A method that weighs each feature map A^k by one number α_k per image: raw = Σ_k α_k A^k.
public protocol WeightedCAMMethod: CAMMethod {
    /// α, [N, K].
    func weights(_ pass: LayerPass) throws -> Tensor
}

extension WeightedCAMMethod {
    public func channelTerms(_ pass: LayerPass) throws -> Tensor {
        let alpha = try weights(pass)
        return alpha.reshaped(to: alpha.shape + [1, 1]) * pass.activations
    }
}
