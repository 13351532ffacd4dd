import CamlabCore
import CamlabNN

/// How maps of several layers become one.
public enum LayerFusion: String, Sendable, CaseIterable {
    /// The mean of the layers' maps (pytorch-grad-cam).
    case mean
    /// The element-wise maximum (torchcam).
    case max
}

/// What to explain and how.
public struct ExplanationRequest {
    public var method: MethodName
    /// The class of each image; nil: each image's predicted class.
    public var classes: [Int]?
    /// The layers explained; nil: the architecture's `target_layer`.
    public var layers: [String]?
    /// nil: the method's default (the logit; −logit for counterfactual).
    public var target: ExplanationTarget?
    /// Average over horizontal flips × brightness 0.9/1.0/1.1, each undone (pytorch-grad-cam's `aug_smooth`).
    public var augmentationSmoothing = false
    /// Combine the per-channel terms by their first principal component (`eigen_smooth`).
    public var eigenSmoothing = false
    public var fusion = LayerFusion.mean
    /// Asked between the batches of masked or ablated forward passes (Score-CAM, Ablation-CAM):
    /// when it says true, the rest are skipped and the explanation throws `.interrupted`.
    public var shouldStop: @Sendable () -> Bool = { false }

    public init(method: MethodName, classes: [Int]? = nil, layers: [String]? = nil, target: ExplanationTarget? = nil) {
        self.method = method
        self.classes = classes
        self.layers = layers
        self.target = target
    }
}

/// The shared pipeline of every method, with pytorch-grad-cam's numeric conventions:
/// raw → ReLU → minus its minimum → divided by (1e-7 + its maximum) → bilinear resize to the input
/// (half-pixel centres); several layers: ReLU, fuse, scale again.
public struct Explainer {
    public let network: Network

    public init(network: Network) { self.network = network }

    /// Explains a batch of normalized images [N, C, H, W], one explanation per image.
    public func explain(_ input: Tensor, _ request: ExplanationRequest) throws -> [Explanation] {
        let expected = network.architecture.input
        guard input.rank == 4, input.shape[1] == expected[0] else {
            throw ExplanationError.wrongInputShape(got: input.shape, expected: expected)
        }
        guard input.scalars.allSatisfy(\.isFinite) else { throw ExplanationError.notFinite("input image") }
        do {
            _ = try network.outputShapes(forInput: Array(input.shape[1...]))   // said before anything runs
        } catch let error as NetworkError {
            throw ExplanationError.network(error)
        }
        for c in request.classes ?? [] where c < 0 || c >= network.classes.count {
            throw ExplanationError.classIndexOutOfRange(c, count: network.classes.count)
        }
        let layers = request.layers ?? [network.architecture.targetLayer]
        let target = request.target ?? request.method.defaultTarget
        // The first layer's pass is also the forward pass that gives the logits: one forward, not two.
        let firstPass = request.method.layerMethod != nil
            ? try LayerPass(network: network, input: input, layerName: layers[0], classes: request.classes, target: target,
                            shouldStop: request.shouldStop) : nil
        let logits = firstPass.map { pass in withoutGradient { pass.logits.detached() } } ?? withoutGradient { network(input) }
        guard logits.scalars.allSatisfy(\.isFinite) else { throw ExplanationError.notFinite("model's output") }
        let classes = request.classes ?? logits.argmaxAlongLastAxis()
        let (height, width) = (input.shape[2], input.shape[3])
        let count = input.shape[0]

        var maps: Tensor?, raws: Tensor?, inputGradients: Tensor?
        var gap: Tensor?, classWeights: Tensor?
        switch request.method {
        case .guided:
            inputGradients = GuidedBackprop().inputGradients(network: network, input: input, classes: classes, target: target)
        case .guidedGradcam:
            // One forward pass serves both backward passes: the standard one to A (Grad-CAM) and
            // the guided one to the input.
            var gradcam = request
            gradcam.method = .gradcam
            let x = input.detached().requiringGradient()
            let pass = try LayerPass(network: network, input: x, layerName: layers[0], classes: classes, target: target,
                                     shouldStop: request.shouldStop)
            let gradcamMaps = try finalMaps(x, gradcam, classes: classes, layers: layers, target: target, firstPass: pass).maps
            let guided = gradient(of: pass.score, withRespectTo: x, rules: GuidedBackprop.rules)
            inputGradients = withoutGradient { guided * gradcamMaps.reshaped(to: [count, 1, height, width]) }
        case .fullgrad:
            maps = try smoothed(input, request) { batch in
                let saliency = FullGrad().saliency(network: network, input: batch, classes: classes, target: target)
                return withoutGradient { Self.minMaxScaled(saliency) }
            }
        default:
            let result = try finalMaps(input, request, classes: classes, layers: layers, target: target, firstPass: firstPass)
            (maps, raws) = (result.maps, result.raw)
            if request.method == .cam, let pass = firstPass {
                (gap, classWeights) = (CAM.globalAveragePool(pass), try CAM().weights(pass))
            }
        }
        // A stopped method skipped forward passes: nothing it computed is shown.
        if request.shouldStop() { throw ExplanationError.interrupted }
        // Nothing shown may be NaN or infinite, whichever method made it: Ablation-CAM's
        // (y − y_k) / y divides by a score of 0, and pytorch-grad-cam then returns NaN maps.
        let shown: [(String, [Float]?)] = [("map", maps?.scalars), ("raw map", raws?.scalars), ("input gradient", inputGradients?.scalars),
                                           ("global average pool", gap?.scalars), ("class weights", classWeights?.scalars)]
        for case let (what, values?) in shown where !values.allSatisfy(\.isFinite) {
            throw ExplanationError.notFinite("\(request.method.title) \(what)")
        }

        return (0..<count).map { n in
            func row(_ t: Tensor?) -> Tensor? {
                t.map { all in withoutGradient { all.sliced(alongAxis: 0, range: n..<(n + 1)).reshaped(to: Array(all.shape.dropFirst())) } }
            }
            func vector(_ t: Tensor?) -> [Float]? { row(t)?.scalars }
            return Explanation(
                method: request.method, classIndex: classes[n], className: network.classes[classes[n]],
                layers: request.method == .fullgrad ? [] : layers,
                logits: Array(logits.scalars[(n * logits.shape[1])..<((n + 1) * logits.shape[1])]),
                raw: row(raws), map: row(maps), globalAveragePool: vector(gap), classWeights: vector(classWeights),
                inputGradient: row(inputGradients))
        }
    }

    /// The maps [N, H, W] of a layer method, fused over layers and smoothed as requested, and the
    /// raw map [N, h, w] when there is exactly one (one layer, no augmentation).
    private func finalMaps(_ input: Tensor, _ request: ExplanationRequest, classes: [Int], layers: [String],
                           target: ExplanationTarget, firstPass: LayerPass? = nil) throws -> (maps: Tensor, raw: Tensor?) {
        guard let method = request.method.layerMethod else { preconditionFailure("\(request.method) is not a layer method") }
        var firstRaw: Tensor?
        let maps = try smoothed(input, request) { batch in
            let (height, width) = (batch.shape[2], batch.shape[3])
            var perLayer: [Tensor] = []
            for layer in layers {
                let pass = try firstPass.flatMap { $0.input === batch && $0.layerName == layer ? $0 : nil }
                    ?? LayerPass(network: network, input: batch, layerName: layer, classes: classes, target: target,
                                 shouldStop: request.shouldStop)
                // The methods run outside `withoutGradient`: some differentiate their gradients again.
                let raw: Tensor
                if request.eigenSmoothing {
                    let terms = try method.channelTerms(pass)
                    raw = withoutGradient { PrincipalComponent.projection(of: terms.detached()) }
                } else {
                    raw = try method.rawMap(pass).detached()
                }
                if firstRaw == nil { firstRaw = raw }
                perLayer.append(withoutGradient { Self.scaledPerChannel(raw.relu().reshaped(to: [raw.shape[0], 1] + Array(raw.shape[1...])),
                                                                        height: height, width: width) })
            }
            return withoutGradient {
                let stacked = Tensor.concatenated(perLayer, alongAxis: 1).relu()      // [N, layers, H, W]
                let fused = request.fusion == .mean ? stacked.mean(alongAxis: 1) : stacked.max(alongAxis: 1)
                return Self.minMaxScaled(fused)   // pytorch-grad-cam scales again, even for one layer
            }
        }
        let singleRaw = layers.count == 1 && !request.augmentationSmoothing ? firstRaw : nil
        return (maps, singleRaw)
    }

    /// Runs `explain` on the input, or — with augmentation smoothing — on each horizontal flip ×
    /// brightness 0.9/1.0/1.1 of it, undoing the flip and averaging the maps. The class stays the
    /// one chosen on the original image.
    private func smoothed(_ input: Tensor, _ request: ExplanationRequest,
                          _ explain: (Tensor) throws -> Tensor) throws -> Tensor {
        guard request.augmentationSmoothing else { return try explain(input) }
        var total: Tensor?
        for flip in [false, true] {
            for factor: Float in [0.9, 1.0, 1.1] {
                let augmented = withoutGradient { (flip ? input.flippedHorizontally() : input) * factor }
                var map = try explain(augmented)
                if flip { map = withoutGradient { map.flippedHorizontally() } }
                total = total.map { $0 + map } ?? map
            }
        }
        return withoutGradient { total! / 6 }
    }

    /// pytorch-grad-cam's `scale_cam_image` for each [h, w] plane of [N, K, h, w]: minus the minimum,
    /// divided by (1e-7 + the maximum), resized to height × width (half-pixel centres).
    static func scaledPerChannel(_ planes: Tensor, height: Int, width: Int) -> Tensor {
        minMaxScaled(planes).resizedBilinear(height: height, width: width)
    }

    /// (x − min) / (1e-7 + max(x − min)) over the last two axes.
    static func minMaxScaled(_ planes: Tensor) -> Tensor {
        let axes = [planes.rank - 2, planes.rank - 1]
        let shifted = planes - planes.min(alongAxes: axes, keepingDimensions: true)
        return shifted / (shifted.max(alongAxes: axes, keepingDimensions: true) + 1e-7)
    }
}
