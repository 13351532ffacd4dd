import CamlabCore
import CamlabLab
import CamlabNN

/// One forward pass of the current image, seen from the current layer: what `features`, `gap`,
/// `weights`, `score` and `grads` print. Computed here from the network and the autodiff, so the
/// numbers a learner checks come from the same tensors the methods use.
struct LayerProbe {
    let network: Network
    let layerName: String
    /// The explained class c.
    let classIndex: Int
    /// A, [1, K, h, w].
    let activations: Tensor
    /// y, [1, classes].
    let logits: Tensor
    private let input: Tensor

    init(lab: Lab) throws {
        network = try lab.network()
        let image = try lab.image()
        input = try image.modelInput(for: network).batch
        layerName = lab.layerName(in: network)
        let pass: ForwardPass
        do {
            _ = try network.outputShapes(forInput: Array(input.shape.dropFirst()))
            pass = try network.forwardPass(input, capturing: [layerName])
        } catch let error as NetworkError {
            throw CommandError.message(error.description)
        }
        let output = pass.output
        guard let a = pass.captured[layerName], a.rank == 4 else {
            throw CommandError.message("Layer '\(layerName)' does not output feature maps; choose a convolution, ReLU or pooling layer with 'layer'.")
        }
        activations = a
        logits = output
        classIndex = try lab.classIndex(in: network) ?? output.argmaxAlongLastAxis()[0]
    }

    var className: String { network.classes[classIndex] }
    var channelCount: Int { activations.shape[1] }
    /// Z = h·w, the number of positions of one feature map.
    var positions: Int { activations.shape[2] * activations.shape[3] }

    /// A^k as its h·w values.
    func featureMap(_ k: Int) -> ArraySlice<Float> { activations.scalars[(k * positions)..<((k + 1) * positions)] }

    /// F^k = (1/Z) Σ_ij A^k_ij.
    var globalAveragePool: [Float] {
        (0..<channelCount).map { k in featureMap(k).reduce(0, +) / Float(positions) }
    }

    /// y^c, the logit of the explained class.
    var classScore: Float { logits.scalars[classIndex] }

    /// ∂y^c/∂A, [1, K, h, w], by one backward pass.
    func scoreGradient() -> Tensor {
        let selector = Tensor(shape: logits.shape, scalars: (0..<logits.count).map { $0 == classIndex ? 1 : 0 })
        return gradient(of: (logits * selector).sum(), withRespectTo: activations)
    }

    /// The classifier fed by GAP right after this layer (only ReLUs between), or an error saying why
    /// CAM's equation does not apply here.
    func classifier() throws -> Linear {
        guard let linear = network.globalPoolingClassifier(after: layerName) else {
            throw CommandError.message("Layer '\(layerName)' does not feed global average pooling and the classifier directly, so y^c = Σ_k w_k^c F^k + b^c does not hold there (GAP imposes this restriction on the architecture); try 'layer auto', or Grad-CAM, which needs no such layer.")
        }
        return linear
    }

    /// w^c, the classifier's row for the class, and its bias b^c.
    func classWeights() throws -> (weights: [Float], bias: Float) {
        let linear = try classifier()
        let width = linear.weight.shape[1]
        return (Array(linear.weight.scalars[(classIndex * width)..<((classIndex + 1) * width)]), linear.bias?.scalars[classIndex] ?? 0)
    }

    /// The heading every probe command starts with.
    func heading(_ terminal: Terminal) -> String {
        terminal.dim("layer \(layerName) · A is \(channelCount)×\(activations.shape[2])×\(activations.shape[3]) · class \(classIndex) \(className)")
    }
}
