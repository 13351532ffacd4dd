import Foundation
import Testing
import CamlabCore
import CamlabData
import CamlabImaging
import CamlabNN
@testable import CamlabMethods

/// The pipeline's options, checked against what they promise rather than against a library.
struct ExplainerOptionTests {
    static let network = ReferenceTests.network
    static let input: Tensor = {
        let image = try! PNGFile.readRGB(at: ReferenceTests.fixtures.appendingPathComponent("pair_circle_square.png").path)
        return network.normalized(image.tensor(height: 32, width: 32))
    }()
    let explainer = Explainer(network: network)

    @Test func augmentationSmoothingIsTheMeanOfSixUndoneAugmentations() throws {
        var request = ExplanationRequest(method: .gradcam, classes: [1])
        request.augmentationSmoothing = true
        let smoothed = try explainer.explain(Self.input, request)[0].map!
        var total = [Float](repeating: 0, count: 32 * 32)
        for flip in [false, true] {
            for factor: Float in [0.9, 1.0, 1.1] {
                let augmented = withoutGradient { (flip ? Self.input.flippedHorizontally() : Self.input) * factor }
                var map = try explainer.explain(augmented, ExplanationRequest(method: .gradcam, classes: [1]))[0].map!
                if flip { map = map.flippedHorizontally() }
                for i in total.indices { total[i] += map.scalars[i] / 6 }
            }
        }
        let difference = zip(smoothed.scalars, total).map { Swift.abs($0 - $1) }.max()!
        #expect(difference < 1e-5)
        #expect(try explainer.explain(Self.input, request)[0].raw == nil)  // no single raw map when averaged
    }

    /// `shouldStop` is asked between masked forward passes: once it says stop, the rest are
    /// skipped and nothing computed is returned. Before that, it changes nothing.
    @Test(arguments: [MethodName.scorecam, .ablationcam])
    func aStoppedExplanationThrowsAndAnUnstoppedOneIsUnchanged(method: MethodName) throws {
        final class Count: @unchecked Sendable { var asked = 0 }
        let count = Count()
        var request = ExplanationRequest(method: method, classes: [1])
        request.shouldStop = { count.asked += 1; return count.asked > 1 }
        #expect(throws: ExplanationError.interrupted) { try explainer.explain(Self.input, request) }
        #expect(count.asked > 1)
        var unstopped = ExplanationRequest(method: method, classes: [1])
        unstopped.shouldStop = { false }
        #expect(try explainer.explain(Self.input, unstopped)[0].map?.scalars == explainer.explain(Self.input, ExplanationRequest(method: method, classes: [1]))[0].map?.scalars)
    }

    @Test func fusingLayersByMeanAndByMax() throws {
        // pytorch-grad-cam: each layer's ReLU(raw) is scaled and resized, the layers are fused, and
        // the fused map is scaled once more.
        func layerMap(_ layer: String) throws -> [Float] {
            let raw = try explainer.explain(Self.input, ExplanationRequest(method: .gradcam, classes: [0], layers: [layer]))[0].raw!
            return Explainer.scaledPerChannel(raw.relu().reshaped(to: [1, 1] + raw.shape), height: 32, width: 32).scalars
        }
        func fused(_ fusion: LayerFusion) throws -> [Float] {
            var request = ExplanationRequest(method: .gradcam, classes: [0], layers: ["features.6", "features.3"])
            request.fusion = fusion
            return try explainer.explain(Self.input, request)[0].map!.scalars
        }
        let (late, early) = (try layerMap("features.6"), try layerMap("features.3"))
        func minMax(_ x: [Float]) -> [Float] { let lo = x.min()!; let hi = x.max()! - lo; return x.map { ($0 - lo) / (hi + 1e-7) } }
        let expectedMean = minMax(zip(late, early).map { ($0 + $1) / 2 })
        let expectedMax = minMax(zip(late, early).map { Swift.max($0, $1) })
        #expect(zip(try fused(.mean), expectedMean).map { Swift.abs($0 - $1) }.max()! < 1e-5)
        #expect(zip(try fused(.max), expectedMax).map { Swift.abs($0 - $1) }.max()! < 1e-5)
    }

    @Test func probabilityTargetFollowsTheSoftmaxGradient() throws {
        // ∂p_c/∂A = p_c (∂y_c/∂A − Σ_j p_j ∂y_j/∂A): check Grad-CAM's weights on the probability target.
        let c = 1
        let pass = try LayerPass(network: Self.network, input: Self.input, layerName: "features.6", classes: [c], target: .probability)
        let alpha = GradCAM().weights(pass).scalars
        let p = pass.logits.softmax(alongAxis: 1).scalars
        let logitAlphas = try (0..<4).map { j in
            GradCAM().weights(try LayerPass(network: Self.network, input: Self.input, layerName: "features.6", classes: [j], target: .logit)).scalars
        }
        for k in alpha.indices {
            let expected = p[c] * (logitAlphas[c][k] - (0..<4).reduce(0) { $0 + p[$1] * logitAlphas[$1][k] })
            #expect(Swift.abs(alpha[k] - expected) < 1e-6)
        }
    }

    @Test func eigenSmoothingReplacesTheSumByTheFirstComponent() throws {
        var request = ExplanationRequest(method: .gradcam, classes: [1])
        request.eigenSmoothing = true
        let smoothed = try explainer.explain(Self.input, request)[0].raw!
        let pass = try LayerPass(network: Self.network, input: Self.input, layerName: "features.6", classes: [1], target: .logit)
        let projection = PrincipalComponent.projection(of: try GradCAM().channelTerms(pass).detached())
        #expect(smoothed.scalars == projection.scalars)
    }

    /// A weighted method's raw map is one product per image, α · A, instead of the sum of its
    /// terms α_k A^k: the same map, summed in another order.
    @Test(arguments: [MethodName.gradcam, .gradcampp, .xgradcam, .scorecam])
    func aWeightedMapIsTheSumOfItsTerms(method: MethodName) throws {
        let pass = try LayerPass(network: Self.network, input: Self.input, layerName: "features.3", classes: [1], target: .logit)
        let weighted = try #require(method.layerMethod as? any WeightedCAMMethod)
        let product = try weighted.rawMap(pass).detached(), sum = try weighted.combine(weighted.channelTerms(pass)).detached()
        #expect(product.shape == sum.shape && product.shape == [1, 32, 32])
        let scale = sum.scalars.map(Swift.abs).max()!
        #expect(scale > 0 && zip(product.scalars, sum.scalars).allSatisfy { Swift.abs($0 - $1) <= 1e-5 * scale })
    }

    @Test func signRuleMakesEigenCAMPositiveWhereActivationsAre() throws {
        let raw = try explainer.explain(Self.input, ExplanationRequest(method: .eigencam))[0].raw!
        let pass = try LayerPass(network: Self.network, input: Self.input, layerName: "features.6", classes: nil, target: .logit)
        let total = pass.activations.sum(alongAxis: 1).scalars
        #expect(zip(raw.scalars, total).reduce(0) { $0 + $1.0 * $1.1 } > 0)
    }

    /// Several images in one call: Grad-CAM++ runs them as one batch, Score-CAM spreads whole images
    /// over the cores (`Kernels.concurrentPerform`); each must get exactly its own explanation.
    @Test(arguments: [MethodName.gradcampp, .scorecam])
    func batchedImagesGetTheirOwnExplanations(method: MethodName) throws {
        let others = try ["single_square.png", "multi_circle.png", "single_cross.png"].map {
            Self.network.normalized(try PNGFile.readRGB(at: ReferenceTests.fixtures.appendingPathComponent($0).path)
                .tensor(height: 32, width: 32))
        }
        let images = [Self.input] + others
        let all = try explainer.explain(Tensor.concatenated(images, alongAxis: 0),
                                        ExplanationRequest(method: method, classes: [1, 1, 0, 3]))
        for ((batched, alone), label) in zip(zip(all, images), [1, 1, 0, 3]) {
            let single = try explainer.explain(alone, ExplanationRequest(method: method, classes: [label]))[0]
            #expect(zip(batched.map!.scalars, single.map!.scalars).map { Swift.abs($0 - $1) }.max()! < 1e-5)
        }
    }

    @Test func nonFiniteInputIsRefused() {
        var values = Self.input.scalars
        values[5] = .nan
        #expect(throws: ExplanationError.notFinite("input image")) {
            try explainer.explain(Tensor(shape: Self.input.shape, scalars: values), ExplanationRequest(method: .gradcam))
        }
    }

    @Test func exactGradCAMPlusPlusMatchesTheClosedFormOnAPiecewiseLinearNetwork() throws {
        // On a ReLU network the closed form is exact: the weights from true derivatives equal
        // e^S · Σ_ij α ReLU(∂S/∂A) with α = g²/(2g² + ΣA g³) — without pytorch-grad-cam's 1e-6.
        let pass = try LayerPass(network: Self.network, input: Self.input, layerName: "features.6", classes: [0], target: .logit)
        var method = GradCAMPlusPlusExact()
        method.exactPositionLimit = .max   // every position from true derivatives
        let exact = try method.weights(pass).scalars
        let g = pass.gradients
        let alpha = GradCAMPlusPlus.alpha(gradients: g, activations: pass.activations, epsilon: 0)
        let expS = Foundation.exp(pass.logits.scalars[0])
        let closed = (g.relu() * alpha).sum(alongAxes: [2, 3]).scalars.map { $0 * expS }
        let scale = closed.map(Swift.abs).max()!
        #expect(zip(exact, closed).map { Swift.abs($0 - $1) }.max()! < 1e-4 * scale)
    }
}

/// Localization scores a box that leaves the map by its part inside (it indexed outside the map).
struct LocalizationClippingTests {
    @Test func boxesLeavingTheMapAreClipped() {
        var map = [Float](repeating: 0, count: 16)
        map[0] = 1   // (0, 0), the corner a box starting at (-5, -5) covers
        let mask = [UInt8](repeating: 0, count: 16)
        let score = Localization(map: map, mask: mask, width: 4,
                                 boxes: [(x: -5, y: -5, width: 40, height: 40), (x: 9, y: 9, width: 2, height: 2),
                                         (x: 1, y: 1, width: Int.max, height: Int.max)])
        #expect(score.objectCount == 3)
        #expect(score.objectsFound == 1)
    }
}
