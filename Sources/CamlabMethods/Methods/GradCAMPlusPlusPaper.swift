import Foundation
import CamlabCore

/// Grad-CAM++ as in Chattopadhyay et al.'s own code: the score is Y = exp(S^c), so
///
///     ∂Y/∂A = e^S g,   ∂²Y/∂A² = e^S g²,   ∂³Y/∂A³ = e^S g³      (S piecewise linear in A)
///     α^kc_ij = ∂²Y/∂A²_ij / (2 ∂²Y/∂A²_ij + Σ_ab A^k_ab ∂³Y/∂A³_ij)   (eq. 19)
///     α normalized to sum to 1 over the positions of each channel
///     w^c_k = Σ_ij α^kc_ij · ReLU(∂Y/∂A^k_ij)                        (eq. 20)
///
/// The factor e^S cancels in α and scales every weight alike, so the map's shape differs from the
/// closed form only through α's normalization.
public struct GradCAMPlusPlusPaper: WeightedCAMMethod {
    public init() {}

    public func weights(_ pass: LayerPass) throws -> Tensor {
        let g = pass.gradients
        // e^S per image, for the explained target S.
        let scores = pass.classes.enumerated().map { n, c in pass.target.value(of: pass.logits(ofImage: n), class: c) }
        let expS = Tensor(shape: [scores.count, 1, 1, 1], scalars: scores.map { Foundation.exp($0) })
        guard expS.scalars.allSatisfy(\.isFinite) else { throw ExplanationError.notFinite("exp(score) of Grad-CAM++ (the score is too large)") }
        let first = expS * g, second = expS * g * g, third = expS * g * g * g
        let sumA = pass.activations.sum(alongAxes: [2, 3], keepingDimensions: true)
        let denominator = 2 * second + sumA * third
        let safe = Tensor.select(where: denominator.isEqual(to: 0), Tensor(1), denominator)
        let alpha = second / safe
        let total = alpha.sum(alongAxes: [2, 3], keepingDimensions: true)
        let normalized = alpha / Tensor.select(where: total.isEqual(to: 0), Tensor(1), total)
        return (first.relu() * normalized).sum(alongAxes: [2, 3])
    }
}
