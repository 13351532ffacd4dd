import CamlabCore

/// Eigen-CAM (Muhammad & Yeasin, 2020): no class, no gradient — the first principal component of
/// the feature maps, as a map:
///
///     X = [A^1 … A^K] as (h·w) × K, columns centred;  L = X v₁   (v₁: first right singular vector)
///
/// The sign of v₁ follows camlab's documented rule (see `PrincipalComponent`).
public struct EigenCAM: CAMMethod {
    public init() {}

    public func channelTerms(_ pass: LayerPass) -> Tensor { pass.activations.detached() }
    public func combine(_ terms: Tensor) -> Tensor { PrincipalComponent.projection(of: terms) }
}
