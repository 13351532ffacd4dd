import CamlabCore

/// A class activation map method that explains through one layer.
///
/// A method supplies the per-channel terms T^k [N, K, h, w] whose sum over k is the raw map
/// (Grad-CAM: T^k = α_k A^k); `combine` sums them (Eigen-CAM and `--eigen-smooth` project them on
/// their first principal component instead), and `rawMap` is that sum for a pass (a weighted
/// method computes it as one product, without the terms). The shared pipeline (`Explainer`) does
/// the rest: ReLU, min-max scaling, resizing to the input, fusing layers, smoothing.
public protocol CAMMethod {
    /// The per-channel terms of the raw map, [N, K, h, w].
    func channelTerms(_ pass: LayerPass) throws -> Tensor
    /// The raw map [N, h, w] from the terms.
    func combine(_ terms: Tensor) -> Tensor
    /// The raw map [N, h, w] of a pass: `combine(channelTerms(pass))`, which a method may compute
    /// without making the terms.
    func rawMap(_ pass: LayerPass) throws -> Tensor
}

extension CAMMethod {
    public func combine(_ terms: Tensor) -> Tensor { terms.sum(alongAxis: 1) }
    public func rawMap(_ pass: LayerPass) throws -> Tensor { combine(try channelTerms(pass)) }
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

    /// Σ_k α_k A^k as one product per image, α [1, K] · A [K, h·w]: a single read of A, where the
    /// terms would write and read an array as large as it.
    public func rawMap(_ pass: LayerPass) throws -> Tensor {
        let alpha = try weights(pass), a = pass.activations
        let (images, channels, plane) = (a.shape[0], a.shape[1], a.shape[2] * a.shape[3])
        return alpha.reshaped(to: [images, 1, channels]).matmul(a.reshaped(to: [images, channels, plane]))
            .reshaped(to: [images] + Array(a.shape[2...]))
    }
}
