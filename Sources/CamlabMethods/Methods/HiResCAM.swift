import CamlabCore

/// HiResCAM (Draelos & Carin, 2020): keep the gradient at each position instead of averaging it,
/// so the map shows exactly which positions raised the score:
///
///     L^c_ij = Σ_k (∂y^c/∂A^k_ij) · A^k_ij
public struct HiResCAM: CAMMethod {
    public init() {}

    public func channelTerms(_ pass: LayerPass) -> Tensor {
        pass.gradients * pass.activations
    }
}
