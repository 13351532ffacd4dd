import CamlabCore
import CamlabNN

/// CAM (Zhou et al., 2016): for a network that ends in global average pooling and a linear layer,
///
///     y^c = Σ_k w_k^c F^k + b^c,   F^k = (1/Z) Σ_ij A^k_ij          (eq. 1)
///     M^c_ij = Σ_k w_k^c A^k_ij                                      (the class activation map)
///
/// so the map needs no gradient at all: the classifier's weights say how much each feature map
/// counts for class c. It exists only where A feeds GAP and the classifier directly.
public struct CAM: WeightedCAMMethod {
    public init() {}

    /// w^c for each image's class: the classifier's row c, [N, K].
    public func weights(_ pass: LayerPass) throws -> Tensor {
        let classifier = try Self.classifier(after: pass)
        let rows = pass.classes.map { c in
            Array(classifier.weight.scalars[(c * classifier.weight.shape[1])..<((c + 1) * classifier.weight.shape[1])])
        }
        return Tensor(shape: [pass.classes.count, classifier.weight.shape[1]], scalars: rows.flatMap { $0 })
    }

    /// F^k, the GAP outputs [N, K].
    public static func globalAveragePool(_ pass: LayerPass) -> Tensor {
        withoutGradient { pass.activations.globalAveragePooled() }
    }

    /// The linear layer that GAP feeds (ReLUs may stand between A and the GAP only when A is a
    /// ReLU's output, since a ReLU of a ReLU output changes nothing).
    static func classifier(after pass: LayerPass) throws -> Linear {
        guard let linear = pass.network.globalPoolingClassifier(after: pass.layerName) else {
            throw ExplanationError.needsGlobalAveragePooling(pass.layerName)
        }
        return linear
    }
}
