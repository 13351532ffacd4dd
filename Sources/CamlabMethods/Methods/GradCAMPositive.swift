import CamlabCore

/// Grad-CAM with its negative weights dropped: the measuring stick for Grad-CAM++ at a GAP layer.
///
///     α_k^c = ReLU( (1/Z) Σ_ij ∂y^c/∂A^k_ij )
///     L^c = ReLU(Σ_k α_k^c A^k)
///
/// Where ∂y^c/∂A^k_ij = w_k^c / Z at every position (the layer that feeds GAP), Grad-CAM++'s
/// closed form gives w_k = Σ_ij α_ij ReLU(g_ij) = w_k^c / (2 + w_k^c F^k) for w_k^c > 0 and 0
/// otherwise: positive weights, mildly damped where a channel contributes much — nothing that
/// depends on how much of the image a map covers. Lesson 6 measures how close the two maps are.
public struct GradCAMPositive: WeightedCAMMethod {
    public init() {}

    public func weights(_ pass: LayerPass) -> Tensor {
        pass.gradients.mean(alongAxes: [2, 3]).relu()
    }
}
