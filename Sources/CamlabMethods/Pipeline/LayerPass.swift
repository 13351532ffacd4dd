import CamlabCore
import CamlabNN

/// One forward (and, on demand, one backward) pass of a batch through a network, seen from one
/// layer: what every method starts from.
///
/// `activations` is A, the layer's output [N, K, h, w]; `gradients` is ∂y/∂A for the target score
/// y (summed over the batch, so each image gets its own gradient), computed once, when first asked.
public final class LayerPass {
    public let network: Network
    /// The normalized input batch [N, C, H, W].
    public let input: Tensor
    public let layerName: String
    /// The explained class of each image.
    public let classes: [Int]
    public let target: ExplanationTarget
    /// A = the layer's output, [N, K, h, w].
    public let activations: Tensor
    /// The network's logits [N, classes].
    public let logits: Tensor
    /// y = Σ_n target(y_n, c_n), recorded.
    let score: Tensor
    /// The forward pass, kept for re-running what follows the layer (Ablation-CAM).
    let forward: ForwardPass

    /// Whether to skip the forward passes still to come (see `ExplanationRequest.shouldStop`).
    let shouldStop: @Sendable () -> Bool

    public init(network: Network, input: Tensor, layerName: String, classes: [Int]?, target: ExplanationTarget,
                shouldStop: @escaping @Sendable () -> Bool = { false }) throws {
        self.network = network
        self.shouldStop = shouldStop
        self.input = input
        self.layerName = layerName
        self.target = target
        do {
            // Only guided Grad-CAM differentiates down to the input; the others need the graph
            // from the layer up, so the network below it runs unrecorded.
            forward = try network.forwardPass(input, capturing: [layerName], rerunnable: [layerName],
                                              recordingFrom: input.requiresGradient ? nil : layerName)
        } catch let error as NetworkError {
            throw ExplanationError.network(error)
        }
        let output = forward.output
        guard let activations = forward.captured[layerName], activations.rank == 4 else {
            throw ExplanationError.notSpatial(layerName)
        }
        self.activations = activations
        self.logits = output
        let predicted = output.argmaxAlongLastAxis()
        self.classes = classes ?? predicted
        self.score = target.score(output, classes: self.classes)
    }

    /// ∂y/∂A, [N, K, h, w].
    public private(set) lazy var gradients: Tensor = gradient(of: score, withRespectTo: activations)

    /// The logits of image n.
    public func logits(ofImage n: Int) -> [Float] {
        let width = logits.shape[1]
        return Array(logits.scalars[(n * width)..<((n + 1) * width)])
    }

    /// The network's score for the target of image n, after replacing the explained layer's output
    /// by `replacement` [M, K, h, w] — one score per row; only what depends on the layer is re-run.
    func scoresAfterReplacingLayer(with replacement: Tensor, image n: Int) -> [Float] {
        if shouldStop() { return [Float](repeating: 0, count: replacement.shape[0]) } // never shown: the explainer throws
        return targetValues(withoutGradient { forward.rerun(replacingOutputOf: layerName, with: replacement, image: n) }, image: n)
    }

    /// The network's target scores for a batch of (already normalized) inputs, for image n's class.
    func scores(ofInputs inputs: Tensor, image n: Int) -> [Float] {
        if shouldStop() { return [Float](repeating: 0, count: inputs.shape[0]) } // never shown: the explainer throws
        // Only class scores come out of these passes, each compared with the others (softmax), not
        // with the unmasked pass's: Winograd's convolutions may run them. (Ablation-CAM's scores are
        // differences from the unablated score, computed directly, so they stay direct too.)
        return targetValues(network.classScores(inputs), image: n)
    }

    private func targetValues(_ output: Tensor, image n: Int) -> [Float] {
        let width = output.shape[1]
        return (0..<output.shape[0]).map { row in
            target.value(of: Array(output.scalars[(row * width)..<((row + 1) * width)]), class: classes[n])
        }
    }
}
