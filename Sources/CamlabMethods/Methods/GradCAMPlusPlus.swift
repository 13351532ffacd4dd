import CamlabCore

/// Grad-CAM++ (Chattopadhyay et al., 2018) in the closed form pytorch-grad-cam uses. With
/// Y = exp(S^c) and a piecewise-linear network, the higher derivatives of Y reduce to powers of
/// the first derivative g = ∂S/∂A, and the pixel weights of eq. 19 become
///
///     α^kc_ij = g² / (2 g² + Σ_ab A^k_ab · g³)          (0 where g = 0)
///     w^c_k   = Σ_ij α^kc_ij · ReLU(g_ij)
///
/// Each position's positive gradient counts by its own α instead of a plain average, which is why
/// Grad-CAM++ gives several small objects of one class their share of the map.
public struct GradCAMPlusPlus: WeightedCAMMethod {
    public init() {}

    public func weights(_ pass: LayerPass) -> Tensor {
        let g = pass.gradients
        let alpha = Self.alpha(gradients: g, activations: pass.activations)
        return (g.relu() * alpha).sum(alongAxes: [2, 3])          // w_k = Σ_ij α_ij ReLU(g_ij)
    }

    /// α = g² / (2g² + Σ_ab A_ab · g³ + ε), and 0 where g = 0. pytorch-grad-cam's ε = 1e-6 is not
    /// negligible when gradients are small (g² ≈ 1e-7 at a GAP layer with Z = 256): it shrinks α.
    static func alpha(gradients g: Tensor, activations a: Tensor, epsilon: Float = 1e-6) -> Tensor {
        let g2 = g * g, g3 = g2 * g
        let sumA = a.sum(alongAxes: [2, 3], keepingDimensions: true)
        let alpha = g2 / (2 * g2 + sumA * g3 + epsilon)
        return Tensor.select(where: g.isEqual(to: 0), Tensor(0), alpha)
    }
}
