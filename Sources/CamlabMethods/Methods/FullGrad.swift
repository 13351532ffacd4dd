import CamlabCore
import CamlabNN

/// FullGrad (Srinivas & Fleuret, 2019): the input-gradient saliency plus every bias's share of the
/// score, from every convolution at once (no layer is chosen):
///
///     S = ψ(|∂y^c/∂x ⊙ x|) + Σ_l Σ_k ψ(|b^l_k · ∂y^c/∂Z^l_k|)
///
/// where Z^l is the output of module l with a bias — a convolution with one, or a BatchNorm, whose
/// bias in evaluation is β − μγ/√(σ² + ε), as pytorch-grad-cam takes it — and ψ min-max scales one
/// channel and resizes it to the input, as pytorch-grad-cam does; the sum is then min-max scaled.
public struct FullGrad {
    public init() {}

    /// The saliency maps [N, H, W], before the final scaling.
    public func saliency(network: Network, input: Tensor, classes: [Int], target: ExplanationTarget) -> Tensor {
        let x = input.detached().requiringGradient()
        let biased = network.biasedModules
        let (output, captured) = network.forward(x, capturing: Set(biased.map(\.path)))
        let outputs = biased.map { captured[$0.path]! }
        let grads = gradients(of: target.score(output, classes: classes), withRespectTo: [x] + outputs)
        return withoutGradient {
            let (height, width) = (input.shape[2], input.shape[3])
            // |∂y/∂x ⊙ x|, each input channel scaled on its own.
            var total = Explainer.scaledPerChannel((grads[0] * x.detached()).abs(), height: height, width: width)
                .sum(alongAxis: 1)
            for ((_, bias), gradient) in zip(biased, grads.dropFirst()) {
                let biasTerm = (bias.reshaped(to: [1, -1, 1, 1]) * gradient).abs()  // |b_k ∂y/∂Z^k|
                total = total + Explainer.scaledPerChannel(biasTerm, height: height, width: width).sum(alongAxis: 1)
            }
            return total
        }
    }
}
