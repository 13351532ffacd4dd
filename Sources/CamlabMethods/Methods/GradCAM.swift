import CamlabCore

/// Grad-CAM (Selvaraju et al., 2017): the CAM weights, obtained from gradients, so any layer of
/// any differentiable network can be explained.
///
///     α_k^c = (1/Z) Σ_ij ∂y^c/∂A^k_ij          (the tutorial's w_k^c, which eq. 3 makes w_k^c / Z)
///     L^c = ReLU(Σ_k α_k^c A^k)
///
/// At the last layer of a GAP network ∂y^c/∂A^k_ij = w_k^c / Z, so α_k^c = w_k^c / Z and the
/// normalized map equals CAM's (`camlab check gradcam-is-cam`).
public struct GradCAM: WeightedCAMMethod {
    public init() {}

    public func weights(_ pass: LayerPass) -> Tensor {
        pass.gradients.mean(alongAxes: [2, 3])  // α_k = (1/Z) Σ_ij ∂y/∂A^k_ij
    }
}
