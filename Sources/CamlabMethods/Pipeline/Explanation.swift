import CamlabCore

/// One image's explanation.
public struct Explanation {
    public let method: MethodName
    public let classIndex: Int
    public let className: String
    /// The layers explained (empty for FullGrad, which uses every convolution).
    public let layers: [String]
    public let logits: [Float]
    /// The method's combination of feature maps before ReLU and scaling, at the layer's
    /// resolution [h, w] (one layer, no smoothing).
    public let raw: Tensor?
    /// The heatmap at the input's resolution [H, W], in [0, 1].
    public let map: Tensor?
    /// CAM only: the GAP outputs F^k and the class weights w_k^c.
    public let globalAveragePool: [Float]?
    public let classWeights: [Float]?
    /// Guided methods: the gradient with respect to the normalized input [C, H, W].
    public let inputGradient: Tensor?

    /// softmax of the logits.
    public var probabilities: [Float] { Tensor(logits).softmax(alongAxis: 0).scalars }

    /// True when the map is all zero: the method found nothing for this class (for instance every
    /// raw value ≤ 0, or a flat map). Such a map is reported as empty, never as NaN.
    public var isEmpty: Bool { map.map { $0.scalars.allSatisfy { $0 == 0 } } ?? false }
}
