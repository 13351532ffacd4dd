import CamlabCore

/// Eigen-Grad-CAM: Eigen-CAM of the gradient-weighted activations, which makes it class-specific:
///
///     X = [g^1 ⊙ A^1 … g^K ⊙ A^K] as (h·w) × K, columns centred;  L = X v₁
public struct EigenGradCAM: CAMMethod {
    public init() {}

    public func channelTerms(_ pass: LayerPass) -> Tensor { pass.gradients * pass.activations }
    public func combine(_ terms: Tensor) -> Tensor { PrincipalComponent.projection(of: terms) }
}
