import CamlabCore
import CamlabNN

/// Guided backpropagation (Springenberg et al., 2015): the gradient of the score with respect to
/// the input, where every ReLU passes a gradient back only if both its input and the gradient
/// arriving at it are positive:
///
///     R^l = (f^l > 0) · (R^{l+1} > 0) · R^{l+1}
///
/// The model is not touched: the ReLU's derivative rule is replaced for this one backward pass.
public struct GuidedBackprop {
    public init() {}

    /// The ReLU rule of guided backpropagation.
    public static let rules = DerivativeRules.standard.replacing(.relu) { inputs, _, gradient in
        [gradient * inputs[0].isGreater(than: 0) * gradient.isGreater(than: 0)]
    }

    /// ∂y^c/∂x with guided ReLUs, [N, C, H, W].
    public func inputGradients(network: Network, input: Tensor, classes: [Int], target: ExplanationTarget) -> Tensor {
        let x = input.detached().requiringGradient()
        let score = target.score(network(x), classes: classes)
        return gradient(of: score, withRespectTo: x, rules: Self.rules)
    }
}
