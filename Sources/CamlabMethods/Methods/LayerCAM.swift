import CamlabCore

/// LayerCAM (Jiang et al., 2021): a positive gradient per position as the weight, which keeps
/// fine detail and works at shallow layers:
///
///     L^c_ij = Σ_k max(∂y^c/∂A^k_ij, 0) · A^k_ij
public struct LayerCAM: CAMMethod {
    public init() {}

    public func channelTerms(_ pass: LayerPass) -> Tensor {
        pass.gradients.relu() * pass.activations
    }
}
