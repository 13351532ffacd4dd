import CamlabCore

/// XGrad-CAM (Fu et al., 2020): weights chosen to satisfy the axioms of sensitivity and
/// conservation, a gradient average weighted by the activations themselves:
///
///     α_k^c = Σ_ij (A^k_ij / Σ_ab A^k_ab) · ∂y^c/∂A^k_ij
public struct XGradCAM: WeightedCAMMethod {
    public init() {}

    public func weights(_ pass: LayerPass) -> Tensor {
        let a = pass.activations
        let total = a.sum(alongAxes: [2, 3], keepingDimensions: true) + 1e-7
        return (pass.gradients * a / total).sum(alongAxes: [2, 3])
    }
}
