import CamlabCore

/// Grad-CAM element-wise (pytorch-grad-cam's `GradCAMElementWise`): HiResCAM with a ReLU on each
/// term, so negative evidence in one channel cannot cancel positive evidence in another:
///
///     L^c_ij = Σ_k max(∂y^c/∂A^k_ij · A^k_ij, 0)
public struct GradCAMElementwise: CAMMethod {
    public init() {}

    public func channelTerms(_ pass: LayerPass) -> Tensor {
        (pass.gradients * pass.activations).relu()
    }
}
