import Foundation
import CamlabCore

/// What is explained: the class score whose gradient the methods follow.
public enum ExplanationTarget: String, Sendable, CaseIterable {
    /// y^c, the class's raw score (logit): pytorch-grad-cam's `ClassifierOutputTarget`.
    case logit
    /// softmax(y)_c, the class's probability.
    case probability
    /// −y^c: what speaks *against* the class (counterfactual explanations).
    case negated

    /// Σ_n target(y_n, c_n) over a batch of logits [N, K]: a sum, so that one backward pass gives
    /// every image its own gradient (images do not interact).
    func score(_ logits: Tensor, classes: [Int]) -> Tensor {
        scores(logits, classes: classes).sum()
    }

    /// target(y_n, c_n) for each image, [N].
    func scores(_ logits: Tensor, classes: [Int]) -> Tensor {
        let (count, width) = (logits.shape[0], logits.shape[1])
        var oneHot = [Float](repeating: 0, count: count * width)
        for (n, c) in classes.enumerated() { oneHot[n * width + c] = 1 }
        let selector = Tensor(shape: [count, width], scalars: oneHot)
        switch self {
        case .logit: return (logits * selector).sum(alongAxis: 1)
        case .probability: return (logits.softmax(alongAxis: 1) * selector).sum(alongAxis: 1)
        case .negated: return -(logits * selector).sum(alongAxis: 1)
        }
    }

    /// The same for one image's logits, as plain numbers (Score-CAM, Ablation-CAM).
    func value(of logits: [Float], class c: Int) -> Float {
        switch self {
        case .logit: return logits[c]
        case .negated: return -logits[c]
        case .probability:
            let top = logits.max() ?? 0
            let total = logits.reduce(0) { $0 + Foundation.exp($1 - top) }
            return Foundation.exp(logits[c] - top) / total
        }
    }
}
