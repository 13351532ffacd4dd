import Foundation
import CamlabCore

/// Grad-CAM++ with α from true higher-order derivatives: the autodiff differentiates its own
/// recorded gradient, twice more, at each position (k, i, j) that counts:
///
///     Y = exp(S^c)
///     α^kc_ij = ∂²Y/∂(A^k_ij)² / (2 ∂²Y/∂(A^k_ij)² + Σ_ab A^k_ab · ∂³Y/∂(A^k_ij)³)    (eq. 19, no shortcut)
///     w^c_k = Σ_ij α^kc_ij · ReLU(∂Y/∂A^k_ij)
///
/// The closed form assumes ∂²S/∂A² = 0 (S piecewise linear in A), which makes the second and third
/// derivatives powers of the first; here nothing is assumed, so this form also holds for a softmax
/// target, where the closed form is only an approximation. Only positions with a positive gradient
/// contribute to w; when there are more than `exactPositionLimit` of them, a deterministic sample
/// is computed exactly and the rest use the closed form (each position costs two backward passes).
public struct GradCAMPlusPlusExact: WeightedCAMMethod {
    public var exactPositionLimit = 4096

    public init() {}

    public func weights(_ pass: LayerPass) throws -> Tensor {
        let derivatives = try HigherOrderDerivatives(pass: pass)
        let g = derivatives.first                                    // ∂Y/∂A, with Y = e^S
        // Where α is not computed exactly, the closed form from ∂S/∂A (without the library's ε, which
        // is not part of the equation).
        var alpha = GradCAMPlusPlus.alpha(gradients: derivatives.scoreGradient, activations: pass.activations, epsilon: 0).scalars
        let positive = g.scalars.indices.filter { g.scalars[$0] > 0 }
        let exact = HigherOrderDerivatives.sample(positive, count: exactPositionLimit)
        let sumA = withoutGradient { pass.activations.sum(alongAxes: [2, 3]) }.scalars
        let plane = pass.activations.shape[2] * pass.activations.shape[3]
        for p in exact {
            let (second, third) = derivatives.diagonal(at: p)
            let denominator = 2 * second + sumA[p / plane] * third
            alpha[p] = denominator == 0 ? 0 : second / denominator
        }
        let a = Tensor(shape: g.shape, scalars: alpha)
        return withoutGradient { (g.relu() * a).sum(alongAxes: [2, 3]) }
    }
}

/// ∂Y/∂A and the diagonal second and third derivatives ∂²Y/∂A_p², ∂³Y/∂A_p³ of Y = exp(S^c),
/// by differentiating recorded gradients (PyTorch's `create_graph=True`, three times).
public struct HigherOrderDerivatives {
    let activations: Tensor
    /// ∂Y/∂A, recorded so it can be differentiated again.
    let recordedFirst: Tensor
    /// ∂Y/∂A as numbers.
    public let first: Tensor
    /// ∂S/∂A = (∂Y/∂A) / Y, the gradient of the score itself.
    public let scoreGradient: Tensor

    public init(pass: LayerPass) throws {
        activations = pass.activations
        // Y = Σ_n e^(S_n): each image's own exponential, so images stay independent.
        let y = pass.target.scores(pass.logits, classes: pass.classes).exp().sum()
        guard y.scalars.allSatisfy(\.isFinite) else { throw ExplanationError.notFinite("exp(score) of Grad-CAM++ (the score is too large)") }
        recordedFirst = gradient(of: y, withRespectTo: pass.activations, createGraph: true)
        let first = recordedFirst.detached()
        self.first = first
        let perImage = Tensor(shape: [pass.classes.count, 1, 1, 1], scalars: pass.classes.enumerated().map { n, c in
            Foundation.exp(pass.target.value(of: pass.logits(ofImage: n), class: c))
        })
        scoreGradient = withoutGradient { first / perImage }
    }

    /// (∂²Y/∂A_p², ∂³Y/∂A_p³) at flat position p of A.
    public func diagonal(at p: Int) -> (second: Float, third: Float) {
        var selector = [Float](repeating: 0, count: activations.count)
        selector[p] = 1
        let unit = Tensor(shape: activations.shape, scalars: selector)
        let secondRow = gradient(of: (recordedFirst * unit).sum(), withRespectTo: activations, createGraph: true)  // ∂/∂A (∂Y/∂A_p)
        let thirdRow = gradient(of: (secondRow * unit).sum(), withRespectTo: activations)                         // ∂/∂A (∂²Y/∂A_p²)
        return (secondRow.scalars[p], thirdRow.scalars[p])
    }

    /// At most `count` of `positions`, evenly spread and always the same for the same input.
    public static func sample(_ positions: [Int], count: Int) -> [Int] {
        guard positions.count > count, count > 0 else { return positions }
        return (0..<count).map { positions[$0 * positions.count / count] }
    }
}
