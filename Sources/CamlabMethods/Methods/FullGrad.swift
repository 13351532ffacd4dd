import CamlabCore
import CamlabNN

/// FullGrad (Srinivas & Fleuret, 2019): the input-gradient saliency plus every bias's share of the
/// score, from every convolution at once (no layer is chosen):
///
///     S = ψ(|∂y^c/∂x ⊙ x|) + Σ_l Σ_k ψ(|b^l_k · ∂y^c/∂Z^l_k|)
///
/// where Z^l is conv layer l's output and ψ min-max scales one channel and resizes it to the input,
/// as pytorch-grad-cam does; the sum is then min-max scaled.
public struct FullGrad {
    public init() {}

    /// The saliency maps [N, H, W], before the final scaling.
    public func saliency(network: Network, input: Tensor, classes: [Int], target: ExplanationTarget) -> Tensor {
        let x = input.detached().requiringGradient()
        let convolutions = network.layers.compactMap { $0 as? Conv2d }
        let (output, captured) = network.forward(x, capturing: Set(convolutions.map(\.name)))
        let outputs = convolutions.map { captured[$0.name]! }
        let grads = gradients(of: target.score(output, classes: classes), withRespectTo: [x] + outputs)
        return withoutGradient {
            let (height, width) = (input.shape[2], input.shape[3])
            // |∂y/∂x ⊙ x|, each input channel scaled on its own.
            var total = Explainer.scaledPerChannel((grads[0] * x.detached()).abs(), height: height, width: width)
                .sum(alongAxis: 1)
            for (conv, gradient) in zip(convolutions, grads.dropFirst()) {
                let biasTerm = (conv.bias.detached().reshaped(to: [1, -1, 1, 1]) * gradient).abs()  // |b_k ∂y/∂Z^k|
                total = total + Explainer.scaledPerChannel(biasTerm, height: height, width: width).sum(alongAxis: 1)
            }
            return total
        }
    }
}
