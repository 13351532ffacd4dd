import CamlabCore
import CamlabData
import CamlabImaging
import CamlabMethods
import CamlabLab
import CamlabNN
import Foundation

/// A model ready to explain subjects for figures.
public final class FigureLab {
    public let network: Network
    /// The model file's name, for notes under the figures.
    public let modelName: String
    private let explainer: Explainer

    public init(network: Network, modelName: String) {
        self.network = network
        self.modelName = modelName
        explainer = Explainer(network: network)
    }

    /// Loads a model file, with its normalization or class names replaced when `overrides` says.
    public convenience init(modelAt path: String, overriding overrides: ModelOverrides = .none) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw FigureError("The model file '\(path)' does not exist; pass one with --model.")
        }
        do {
            self.init(network: try Network(contentsOf: path, overriding: overrides), modelName: URL(fileURLWithPath: path).lastPathComponent)
        } catch {
            throw FigureError(sentenceFrom: error)
        }
    }

    /// The lessons' model when it has been shipped, else the reference model of the tests (trained
    /// on the same kind of images and classes), found wherever camlab runs from.
    public static func defaultModelPath() throws -> String {
        guard let path = ResourceLocator.defaultModel() else {
            throw FigureError("No model was found (\(ResourceLocator.lessonModel) or the tests' reference model); pass --model FILE.")
        }
        return path
    }

    /// The subject as the model's normalized input [1, C, H, W].
    public func input(_ subject: Subject) -> Tensor {
        ModelInput.tensor(subject.image, network: network).batch
    }

    /// Explains one subject; `classIndex` nil explains the predicted class.
    public func explain(_ subject: Subject, method: MethodName, classIndex: Int? = nil,
                        layer: String? = nil) throws -> Explanation {
        var request = ExplanationRequest(method: method, classes: classIndex.map { [$0] })
        request.layers = layer.map { [$0] }
        do {
            return try explainer.explain(input(subject), request)[0]
        } catch {
            throw FigureError(sentenceFrom: error)
        }
    }

    /// The index of a class given by name or number.
    public func classIndex(named name: String) throws -> Int {
        do {
            return try CamReport.classIndex(name, classes: network.classes)
        } catch {
            throw FigureError(sentenceFrom: error)
        }
    }

    /// The feature maps A^k of a layer for one subject, [K, h, w].
    func featureMaps(_ subject: Subject, layer: String) throws -> Tensor {
        do {
            _ = try network.outputSlot(of: layer)
        } catch {
            throw FigureError(sentenceFrom: error)
        }
        let captured = withoutGradient { network.forward(input(subject), capturing: [layer]).captured[layer]! }
        guard captured.rank == 4 else { throw FigureError(sentenceFrom: ExplanationError.notSpatial(layer)) }
        return captured.reshaped(to: Array(captured.shape.dropFirst()))
    }
}

/// The model's probability for the explained class, with two decimals.
func probability(_ explanation: Explanation) -> String {
    String(format: "%.2f", Double(explanation.probabilities[explanation.classIndex]))
}

extension Explanation {
    /// "triangle, p = 0.97": the explained class and the model's probability for it.
    var classSummary: String { "\(className), p = \(probability(self))" }

    /// The predicted class's name.
    var predictedClass: Int { logits.indices.max { logits[$0] < logits[$1] }! }
}
