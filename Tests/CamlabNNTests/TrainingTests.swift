import Foundation
import CamlabCore
import Testing
@testable import CamlabNN

/// A network small enough to train in milliseconds: 1×8×8 input, one conv, GAP, 2 classes.
private func tinyNetwork(seed: UInt64 = 3) throws -> Network {
    let architecture = Architecture(
        input: [1, 8, 8], mean: [0.5], std: [0.25], classes: ["dark", "bright"],
        layers: [.conv2d(name: "features.0", in: 1, out: 4, kernel: 3, stride: 1, padding: 1),
                 .relu(name: "features.1"), .maxPool2d(name: "features.2", kernel: 2),
                 .globalAvgPool(name: "gap"), .linear(name: "classifier", in: 4, out: 2)],
        targetLayer: "features.1")
    return try Network(architecture: architecture, seed: seed)
}

/// Dark images (values near 0.2) are class 0, bright ones (near 0.8) class 1.
private func brightnessData(count: Int = 48) -> LabeledImages {
    var generator = RandomGenerator(seed: 11)
    var values: [Float] = []
    var labels: [Int] = []
    for index in 0..<count {
        let label = index % 2
        for _ in 0..<64 { values.append((label == 0 ? 0.2 : 0.8) + generator.nextUniform(-0.15, 0.15)) }
        labels.append(label)
    }
    return LabeledImages(images: Tensor(shape: [count, 1, 8, 8], scalars: values), labels: labels)
}

/// A network whose only parameters are one linear layer, to check optimizer arithmetic.
private func linearNetwork(weight: [Float], bias: [Float]) throws -> Network {
    let architecture = Architecture(
        input: [1, 1, 1], mean: [0], std: [1], classes: ["a", "b"],
        layers: [.conv2d(name: "features.0", in: 1, out: 1, kernel: 1), .relu(name: "features.1"),
                 .globalAvgPool(name: "gap"), .linear(name: "classifier", in: 1, out: 2)],
        targetLayer: "features.1")
    return try Network(architecture: architecture, parameters: [
        "features.0.weight": Tensor(shape: [1, 1, 1, 1], scalars: [1]), "features.0.bias": Tensor([0]),
        "classifier.weight": Tensor(shape: [2, 1], scalars: weight), "classifier.bias": Tensor(bias)])
}

private func parameter(_ network: Network, _ name: String) -> [Float] {
    network.parameters.first { $0.name == name }!.tensor.scalars
}

struct OptimizerTests {
    /// torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.01) on p = [1, -2] with gradients
    /// [0.5, 0.25] then [-1, 2]: g₁ = g + 0.01p; b₁ = g₁; p₁ = p − 0.1b₁; g₂ = g + 0.01p₁;
    /// b₂ = 0.9b₁ + g₂; p₂ = p₁ − 0.1b₂ (computed by hand below, in Double).
    @Test func sgdFollowsPyTorch() throws {
        let network = try linearNetwork(weight: [1, -2], bias: [0, 0])
        var sgd = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        let zeros: [Tensor] = [Tensor(shape: [1, 1, 1, 1], scalars: [0]), Tensor([0]), Tensor([0, 0])]
        sgd.step(network, gradients: [zeros[0], zeros[1], Tensor(shape: [2, 1], scalars: [0.5, 0.25]), zeros[2]])
        sgd.step(network, gradients: [zeros[0], zeros[1], Tensor(shape: [2, 1], scalars: [-1, 2]), zeros[2]])
        var p = [1.0, -2.0]
        var b = [0.0, 0.0]
        for (step, g) in [[0.5, 0.25], [-1.0, 2.0]].enumerated() {
            for i in 0..<2 {
                let gi = g[i] + 0.01 * p[i]
                b[i] = step == 0 ? gi : 0.9 * b[i] + gi
                p[i] -= 0.1 * b[i]
            }
        }
        let result = parameter(network, "classifier.weight")
        for i in 0..<2 { #expect(abs(Double(result[i]) - p[i]) < 1e-6) }
        // Weight decay also shrinks parameters whose gradient is zero: the bias stays 0 only
        // because it is 0, and the conv weight 1 decays.
        #expect(parameter(network, "features.0.weight")[0] < 1)
    }

    /// torch.optim.Adam(lr=0.01) on p = 0.5 with gradients 2 then −1: bias-corrected moments,
    /// p ← p − lr·m̂/(√v̂ + ε). The first step moves every parameter by lr·sign(g).
    @Test func adamFollowsPyTorch() throws {
        let network = try linearNetwork(weight: [0.5, 0.5], bias: [0, 0])
        var adam = Adam(learningRate: 0.01)
        let zeros: [Tensor] = [Tensor(shape: [1, 1, 1, 1], scalars: [0]), Tensor([0]), Tensor([0, 0])]
        adam.step(network, gradients: [zeros[0], zeros[1], Tensor(shape: [2, 1], scalars: [2, -3]), zeros[2]])
        let first = parameter(network, "classifier.weight")
        #expect(abs(first[0] - 0.49) < 1e-6 && abs(first[1] - 0.51) < 1e-6)
        adam.step(network, gradients: [zeros[0], zeros[1], Tensor(shape: [2, 1], scalars: [-1, -3]), zeros[2]])
        var p = 0.49, m = 0.1 * 2.0, v = 0.001 * 4.0
        m = 0.9 * m + 0.1 * -1
        v = 0.999 * v + 0.001 * 1
        p -= 0.01 * (m / (1 - 0.81)) / ((v / (1 - 0.998001)).squareRoot() + 1e-8)
        #expect(abs(Double(parameter(network, "classifier.weight")[0]) - p) < 1e-6)
    }
}

struct TrainingTests {
    @Test func learnsAndIsReproducibleBitForBit() throws {
        let data = brightnessData()
        let options = TrainingOptions(epochs: 8, batchSize: 8, learningRate: 0.05, optimizer: .adam, seed: 5)
        let first = try tinyNetwork(seed: 5), second = try tinyNetwork(seed: 5)
        let outcome = try Trainer(options: options).train(first, on: data)
        try Trainer(options: options).train(second, on: data)
        #expect(outcome.epochs.count == 8 && !outcome.wasInterrupted && outcome.steps == 8 * 6)
        #expect(outcome.epochs.last!.loss < outcome.epochs.first!.loss)
        #expect(try Evaluation(network: first, data: data).accuracy == 1)
        for (a, b) in zip(first.parameters, second.parameters) { #expect(a.tensor.scalars == b.tensor.scalars) }
    }

    @Test func anotherSeedShufflesDifferently() throws {
        let data = brightnessData()
        func trained(shuffleSeed: UInt64) throws -> [Float] {
            let network = try tinyNetwork(seed: 5)
            try Trainer(options: TrainingOptions(epochs: 1, batchSize: 8, learningRate: 0.05, seed: shuffleSeed)).train(network, on: data)
            return network.parameters.flatMap(\.tensor.scalars)
        }
        #expect(try trained(shuffleSeed: 1) != trained(shuffleSeed: 2))
    }

    @Test func stopsAfterTheBatchWhenAsked() throws {
        let network = try tinyNetwork()
        var batches = 0
        let outcome = try Trainer(options: TrainingOptions(epochs: 3, batchSize: 8, learningRate: 0.01))
            .train(network, on: brightnessData(), onBatch: { _ in batches += 1 }, shouldStop: { batches == 2 })
        #expect(outcome.wasInterrupted && outcome.steps == 2 && outcome.epochs.isEmpty)
    }

    @Test func aNaNLossStopsTrainingWithASentence() throws {
        let network = try tinyNetwork()
        let before = network.parameters.flatMap(\.tensor.scalars)
        // Values this large overflow the convolution to infinity, and ∞ − ∞ makes the loss NaN.
        let broken = LabeledImages(images: Tensor(repeating: .greatestFiniteMagnitude, shape: [4, 1, 8, 8]), labels: [0, 1, 0, 1])
        #expect(throws: TrainingError.nonFiniteLoss(epoch: 1, batch: 1)) {
            try Trainer(options: TrainingOptions(epochs: 1, batchSize: 4, learningRate: 0.01)).train(network, on: broken)
        }
        #expect(network.parameters.flatMap(\.tensor.scalars) == before)
        #expect(TrainingError.nonFiniteLoss(epoch: 1, batch: 1).description.hasSuffix("."))
    }

    /// A step that overflows a parameter stops training at that batch, naming the parameter
    /// (the loss would only show it one batch later, or never after the last batch).
    @Test func anOverflowingStepStopsAtTheParameter() throws {
        let network = try tinyNetwork()
        // Weight decay 10 at a learning rate of 3e38 sends every non-zero weight to ±∞ in one step.
        let options = TrainingOptions(epochs: 1, batchSize: 8, learningRate: 3e38, optimizer: .sgd, weightDecay: 10)
        do {
            try Trainer(options: options).train(network, on: brightnessData())
            Issue.record("training an overflowing network succeeded")
        } catch let error as TrainingError {
            guard case let .nonFiniteParameter(name, epoch, batch) = error else { Issue.record("\(error)"); return }
            #expect(epoch == 1 && batch == 1)
            #expect(network.parameters.map(\.name).contains(name))
            #expect(error.description.contains("'\(name)' became NaN or infinite") && error.description.hasSuffix("."))
        }
    }

    @Test func refusesBadOptionsAndShapes() throws {
        let network = try tinyNetwork()
        #expect(throws: TrainingError.self) {
            try Trainer(options: TrainingOptions(epochs: 0, batchSize: 8, learningRate: 0.01)).train(network, on: brightnessData())
        }
        let wrongSize = LabeledImages(images: Tensor.zeros([2, 1, 9, 9]), labels: [0, 1])
        #expect(throws: TrainingError.imageShapeMismatch(expected: [1, 8, 8], actual: [1, 9, 9])) {
            try Trainer(options: TrainingOptions(epochs: 1, batchSize: 8, learningRate: 0.01)).train(network, on: wrongSize)
        }
    }

    @Test func evaluationCountsEachTrueAndPredictedClass() throws {
        let evaluation = Evaluation(confusion: [[3, 1], [0, 4]])
        #expect(evaluation.accuracy == 7.0 / 8.0)
        let network = try tinyNetwork()
        let data = brightnessData(count: 10)
        let counted = try Evaluation(network: network, data: data, batchSize: 3)
        #expect(counted.confusion.joined().reduce(0, +) == 10)
        #expect(counted.confusion.map { $0.reduce(0, +) } == [5, 5])
        let predictions = try Prediction.predictions(of: network, for: data.batch(0..<2).images)
        #expect(predictions.count == 2)
        #expect(abs(predictions[0].probabilities.reduce(0, +) - 1) < 1e-5)
    }

    @Test func batchesCopyTheChosenImagesInOrder() {
        let data = LabeledImages(images: Tensor(shape: [3, 1, 1, 2], scalars: [0, 1, 2, 3, 4, 5]), labels: [7, 8, 9])
        let (images, labels) = data.batch([2, 0])
        #expect(images.shape == [2, 1, 1, 2] && images.scalars == [4, 5, 0, 1] && labels == [9, 7])
    }
}

struct LessonRecipeTests {
    /// The architecture in code is the one shipped as `Models/tiny32.json` (the reference's).
    @Test func matchesTheShippedArchitectureDocument() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("Models/tiny32.json"), encoding: .utf8)
        #expect(try Architecture(jsonString: text) == LessonRecipe.architecture)
        #expect(try LessonRecipe.options.validate() == ())
    }
}

/// The network runs a convolution and its ReLU as one step; the result is that of the modules one
/// by one, with and without recording, and so are its gradients.
@Test func runningTheNetworkEqualsRunningItsModulesOneByOne() throws {
    let network = try tinyNetwork()
    let input = brightnessData(count: 4).images
    let layerByLayer = network.leaves.reduce(input) { activation, layer in layer.apply(activation, .evaluation) }
    #expect(network(input).scalars == layerByLayer.scalars)
    #expect(withoutGradient { network(input) }.scalars == layerByLayer.scalars)
    // Recorded, the convolution and its ReLU are one operation of the graph.
    let x = input.requiringGradient()
    let (fused, separate) = (network(x), network.leaves.reduce(x) { activation, layer in layer.apply(activation, .evaluation) })
    func kinds(_ t: Tensor) -> [CamlabCore.Operation.Kind] { (t.operation.map { [$0.kind] } ?? []) + t.inputs.flatMap(kinds) }
    #expect(kinds(fused).contains(.rectifiedConv2d) && !kinds(fused).contains(.relu))
    #expect(!kinds(separate).contains(.rectifiedConv2d) && kinds(separate).contains(.relu))
    let targets = [x] + network.parameters.map(\.tensor)
    let seed = Tensor(shape: fused.shape, scalars: (0..<fused.count).map { Float($0 % 3) - 0.7 })
    // The same bits but for the convolution's bias, whose gradient is summed in another order.
    let (a, b) = (gradients(of: fused, withRespectTo: targets, seed: seed), gradients(of: separate, withRespectTo: targets, seed: seed))
    for (index, (p, q)) in zip(a, b).enumerated() {
        let worst = zip(p.scalars, q.scalars).map { Swift.abs($0 - $1) }.max()!
        #expect(p.shape == q.shape && (index == 2 ? worst <= 1e-6 : worst == 0), "gradient \(index): off by \(worst)")
    }
    #expect(network.parameters[1].name == "features.0.bias")
    // Replacing the first module's output re-runs only what follows it.
    let first = network.leaves[0].path
    let convolved = network.leaves[0].apply(input, .evaluation)
    let pass = try network.forwardPass(input, capturing: [], rerunnable: [first])
    #expect(withoutGradient { pass.rerun(replacingOutputOf: first, with: convolved.sliced(alongAxis: 0, range: 1..<2), image: 1) }.scalars
            == Array(layerByLayer.scalars[(layerByLayer.count / 4)..<(layerByLayer.count / 2)]))
}
