import CamlabCore

/// How well a network classifies labelled images: accuracy and confusion matrix.
public struct Evaluation: Equatable, Sendable {
    /// `confusion[true class][predicted class]` = number of images.
    public var confusion: [[Int]]

    /// Share of images whose predicted class is their label.
    public var accuracy: Double {
        let total = confusion.joined().reduce(0, +)
        guard total > 0 else { return 0 }
        return Double(confusion.indices.map { confusion[$0][$0] }.reduce(0, +)) / Double(total)
    }

    /// Runs `network` on every image, `batchSize` at a time, without recording gradients. An
    /// output that is not finite is an error: its argmax would be a meaningless class.
    public init(network: Network, data: LabeledImages, batchSize: Int = 256) throws {
        let classes = network.classes.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for start in stride(from: 0, to: data.count, by: batchSize) {
            let (images, labels) = data.batch(start..<min(data.count, start + batchSize))
            let logits = network.classScores(network.normalized(images))
            try NonFiniteOutput.check(logits)
            let predictions = logits.argmaxAlongLastAxis()
            for (label, prediction) in zip(labels, predictions) { confusion[label][prediction] += 1 }
        }
        self.confusion = confusion
    }

    public init(confusion: [[Int]]) {
        self.confusion = confusion
    }
}

/// What a network says about one image.
public struct Prediction: Equatable, Sendable {
    /// The index of the largest logit.
    public var classIndex: Int
    public var className: String
    public var logits: [Float]
    /// softmax(logits).
    public var probabilities: [Float]

    /// Classifies each image of a batch `[N, C, H, W]` (values in [0, 1], not normalized).
    public static func predictions(of network: Network, for images: Tensor) throws -> [Prediction] {
        try predictions(fromLogits: network.classScores(network.normalized(images)), classes: network.classes)
    }

    /// The predictions that logits `[N, classes]` make; logits or probabilities that are not
    /// finite are refused (`NonFiniteOutput`), never shown as `-nan %` or JSON `null`.
    public static func predictions(fromLogits logits: Tensor, classes: [String]) throws -> [Prediction] {
        try NonFiniteOutput.check(logits)
        let probabilities = withoutGradient { logits.softmax(alongAxis: 1) }
        try NonFiniteOutput.check(probabilities)
        let width = logits.shape[1]
        return logits.argmaxAlongLastAxis().enumerated().map { row, best in
            let range = (row * width)..<((row + 1) * width)
            return Prediction(classIndex: best, className: classes[best],
                              logits: Array(logits.scalars[range]), probabilities: Array(probabilities.scalars[range]))
        }
    }
}

/// A network whose output is NaN or infinite (a weight or an activation overflows Float): every
/// prediction, evaluation or report made from it is refused with this one sentence.
public struct NonFiniteOutput: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String {
        "the model's output is not finite (NaN or infinite: a weight or an activation overflows), so it predicts nothing; check or retrain the model."
    }

    public init() {}

    /// Throws unless every value of `values` is finite.
    public static func check(_ values: Tensor) throws {
        guard values.scalars.allSatisfy(\.isFinite) else { throw NonFiniteOutput() }
    }
}
