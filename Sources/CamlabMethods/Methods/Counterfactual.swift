import CamlabCore

/// Counterfactual Grad-CAM (Selvaraju et al., §5): the regions that, if removed, would make the
/// network *more* confident in class c — Grad-CAM of −y^c:
///
///     α_k^c = (1/Z) Σ_ij −∂y^c/∂A^k_ij
///
/// The negation lives in the target (`ExplanationTarget.negated`), so this is Grad-CAM's rule.
public struct Counterfactual: WeightedCAMMethod {
    public init() {}

    public func weights(_ pass: LayerPass) -> Tensor {
        precondition(pass.target == .negated, "Counterfactual explains −y^c: run it with the negated target")
        return GradCAM().weights(pass)
    }
}
