import Foundation
import Testing
@testable import CamlabCore

/// First and second derivatives of every operation against finite differences.
///
/// Each operation is wrapped in a scalar function f(x) = Σ r ⊙ op(x) with fixed random weights r
/// (and, for second derivatives, a non-linear wrapper so the Hessian is not zero); see
/// `GradientCheck` for the stencil and why 1e-3 relative to max(1, |∇f|) is the tolerance.
/// Inputs of non-smooth operations (ReLU, max, pooling) are kept away from their kinks.
struct GradientCheckTests {
    static let tolerance = 1e-3

    /// Inputs of order one, reproducible from a seed.
    func input(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return Tensor.uniform(shape, low: low, high: high, generator: &generator)
    }

    /// Inputs whose magnitudes are at least `gap` away from zero and from each other, so that
    /// ReLU masks and max/pool winners do not change under a finite-difference step.
    func separated(_ shape: [Int], seed: UInt64, gap: Float = 0.05) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        let count = shape.reduce(1, *)
        var levels = (0..<count).map { Float($0 - count / 2) * gap + gap / 2 }
        generator.shuffle(&levels)
        return Tensor(shape: shape, scalars: levels)
    }

    /// Σ r ⊙ y with weights fixed by the output shape.
    func projected(_ y: Tensor) -> Tensor {
        var generator = RandomGenerator(seed: UInt64(y.count) &* 7919)
        return (y * Tensor.uniform(y.shape, low: -1, high: 1, generator: &generator)).sum()
    }

    func check(_ name: String, _ inputs: [Tensor], secondOrder: Bool = true,
               _ op: @escaping ([Tensor]) -> Tensor) {
        let first = GradientCheck.compare(at: inputs) { projected(op($0)) }
        #expect(first.maximumError < Self.tolerance, "\(name): first derivative off by \(first.maximumError)")
        guard secondOrder else { return }
        // Squaring makes the gradient depend on the inputs, so the second derivative is non-trivial.
        var generator = RandomGenerator(seed: 99)
        let weights = inputs.map { Tensor.uniform($0.shape, low: -1, high: 1, generator: &generator) }
        let second = GradientCheck.compareSecondOrder(at: inputs, weights: weights) { projected(op($0).squared()) }
        #expect(second.maximumError < Self.tolerance, "\(name): second derivative off by \(second.maximumError)")
    }

    @Test func arithmeticWithBroadcasting() {
        let a = input([2, 3, 4], seed: 1), b = input([3, 1], seed: 2)
        check("add", [a, b]) { $0[0] + $0[1] }
        check("subtract", [a, b]) { $0[0] - $0[1] }
        check("multiply", [a, b]) { $0[0] * $0[1] }
        check("divide", [a, input([3, 1], seed: 3, low: 0.5, high: 2)]) { $0[0] / $0[1] }
        check("negate", [a]) { -$0[0] }
        check("multiply, both broadcast", [input([1, 3, 4], seed: 32), input([2, 1, 4], seed: 33)]) { $0[0] * $0[1] }
        check("scalar on the left", [a]) { 2 - 3 / ($0[0] + 3) }
    }

    @Test func unaryFunctions() {
        let x = input([3, 5], seed: 4)
        let positive = input([3, 5], seed: 5, low: 0.5, high: 2)
        check("exp", [x]) { $0[0].exp() }
        check("log", [positive]) { $0[0].log() }
        check("sqrt", [positive]) { $0[0].sqrt() }
        check("square", [x]) { $0[0].pow(2) }
        check("cube", [x]) { $0[0].pow(3) }
        check("power -1.5", [positive]) { $0[0].pow(-1.5) }
        check("relu", [separated([3, 5], seed: 6)]) { $0[0].relu() }
        check("abs", [separated([3, 5], seed: 7)]) { $0[0].abs() }
    }

    @Test func maximumAndSelect() {
        let a = separated([4, 3], seed: 8), b = separated([4, 3], seed: 9, gap: 0.031)
        check("maximum", [a, b]) { $0[0].maximum($0[1]) }
        check("minimum", [a, b]) { $0[0].minimum($0[1]) }
        let mask = a.isGreater(than: 0)
        check("select", [a, input([3], seed: 10)]) { Tensor.select(where: mask, $0[0], $0[1]) }
    }

    @Test func reductions() {
        let x = separated([2, 3, 4], seed: 11)
        check("sum all", [x]) { $0[0].sum() }
        check("sum axes 0,2", [x]) { $0[0].sum(alongAxes: [0, 2]) }
        check("mean axis 1", [x]) { $0[0].mean(alongAxis: 1, keepingDimensions: true) }
        check("max axis -1", [x]) { $0[0].max(alongAxis: -1) }
        check("max axes 0,1", [x]) { $0[0].max(alongAxes: [0, 1]) }
        check("min all", [x]) { $0[0].min() }
    }

    @Test func movement() {
        let x = input([2, 3, 4], seed: 12)
        check("reshaped", [x]) { $0[0].reshaped(to: [6, 4]) }
        check("expanded", [input([3, 1], seed: 13)]) { $0[0].expanded(to: [2, 3, 5]) }
        check("permuted", [x]) { $0[0].permuted([2, 0, 1]) }
        check("transposed", [x]) { $0[0].transposed() }
        check("sliced", [x]) { $0[0].sliced(alongAxis: 2, range: 1..<3) }
        check("padded", [x]) { $0[0].padded(alongAxis: 1, before: 2, after: 1) }
        check("concatenated", [x, input([2, 1, 4], seed: 14)]) { Tensor.concatenated($0, alongAxis: 1) }
        check("concatenated, three along the last axis", [x, input([2, 3, 1], seed: 31), input([2, 3, 2], seed: 32)]) {
            Tensor.concatenated($0, alongAxis: -1)
        }
        check("flippedHorizontally", [x]) { $0[0].flippedHorizontally() }
        let indices: [Int32] = [0, 5, 5, 23, 7, 1]
        check("gathered", [x]) { $0[0].gathered(atFlatIndices: indices, shape: [2, 3]) }
        check("scatteredAdding", [input([6], seed: 15)]) { $0[0].scatteredAdding(atFlatIndices: indices, shape: [4, 6]) }
    }

    @Test func matrixProducts() {
        check("matmul", [input([3, 4], seed: 16), input([4, 2], seed: 17)]) { $0[0].matmul($0[1]) }
        check("batched matmul with broadcasting", [input([2, 1, 3, 4], seed: 18), input([5, 4, 2], seed: 19)]) {
            $0[0].matmul($0[1])
        }
        // One right-hand matrix for a whole batch is computed as a single product of all the rows.
        check("batched matmul, one right-hand matrix", [input([2, 3, 5, 4], seed: 30), input([4, 2], seed: 31)]) {
            $0[0].matmul($0[1])
        }
    }

    @Test func convolutions() {
        let x = input([2, 3, 6, 5], seed: 20), w = input([4, 3, 3, 3], seed: 21), b = input([4], seed: 22)
        check("conv2d stride 1 padding 1", [x, w, b]) { $0[0].conv2d(weight: $0[1], bias: $0[2], stride: 1, padding: 1) }
        check("conv2d stride 2 padding 0", [x, w]) { $0[0].conv2d(weight: $0[1], stride: 2) }
        check("conv2d 1×1", [x, input([2, 3, 1, 1], seed: 23)]) { $0[0].conv2d(weight: $0[1]) }
        // The two adjoints are primitives too (they appear in recorded backward passes); stride 2
        // builds im2col columns, stride 1 runs the direct kernels.
        for stride in [2, 1] {
            let geometry = ConvolutionGeometry(batch: 2, inChannels: 3, inHeight: 6, inWidth: 5, outChannels: 4,
                                               kernelHeight: 3, kernelWidth: 3, stride: stride, padding: 1)
            let gy = input([2, 4, geometry.outHeight, geometry.outWidth], seed: 24)
            check("conv2d input gradient, stride \(stride)", [gy, w]) {
                Tensor.convolution(.conv2dInputGradient(geometry), $0[0], $0[1])
            }
            check("conv2d weight gradient, stride \(stride)", [x, gy]) {
                Tensor.convolution(.conv2dWeightGradient(geometry), $0[0], $0[1])
            }
        }
    }

    /// relu(conv(x, w) + b) is one recorded operation. Its inputs are drawn until every
    /// pre-activation is clear of the ReLU's kink by more than a finite-difference step can move it.
    @Test func rectifiedConvolution() throws {
        let (x, w, b) = try #require((0..<100).lazy.map { (seed: UInt64) in
            (self.input([1, 2, 4, 4], seed: 200 + seed), self.input([3, 2, 3, 3], seed: 300 + seed),
             self.input([3], seed: 400 + seed))
        }.first { x, w, b in
            withoutGradient { x.conv2d(weight: w, bias: b, padding: 1) }.scalars.allSatisfy { Swift.abs($0) > 0.08 }
        })
        let y = x.requiringGradient().conv2dReLU(weight: w, bias: b, padding: 1)
        #expect(y.operation?.kind == .rectifiedConv2d && y.scalars.contains(0))
        check("conv2d + ReLU", [x, w, b]) { $0[0].conv2dReLU(weight: $0[1], bias: $0[2], padding: 1) }
        // A replaced ReLU rule (guided backprop's) applies inside the fused operation too.
        let guided = DerivativeRules.standard.replacing(.relu) { inputs, _, g in
            [g * inputs[0].isGreater(than: 0) * g.isGreater(than: 0)]
        }
        let seed = input(y.shape, seed: 7)
        let (a, c) = (x.requiringGradient(), x.requiringGradient())
        #expect(gradient(of: a.conv2dReLU(weight: w, bias: b, padding: 1), withRespectTo: a, seed: seed, rules: guided).scalars
                == gradient(of: c.conv2d(weight: w, bias: b, padding: 1).relu(), withRespectTo: c, seed: seed, rules: guided).scalars)
    }

    /// First order, the direct kernels mask g by y > 0 as they copy it and sum the bias gradient
    /// as they go; recorded (`createGraph`), the rule is the graph of the ReLU's and conv2d's
    /// rules. Same input and weight gradients to the bit, the bias's to rounding; over five images
    /// (several slices of the weight gradient) and two groups.
    @Test func rectifiedConvolutionFirstOrderGradientsAreTheRulesOnes() throws {
        let (x, w, b) = (input([5, 4, 6, 5], seed: 81).requiringGradient(), input([6, 2, 3, 3], seed: 82).requiringGradient(),
                         input([6], seed: 83).requiringGradient())
        let y = x.conv2dReLU(weight: w, bias: b, padding: 1, groups: 2)
        guard case .rectifiedConv2d(let geometry) = y.operation else { Issue.record("not one operation"); return }
        let seed = input(y.shape, seed: 84)
        let fast = try #require(Tensor.rectifiedConvolutionGradients(geometry, [x, w, b], y, seed, needed: [true, true, true]))
        let graph = gradients(of: y, withRespectTo: [x, w, b], seed: seed, createGraph: true)
        #expect(fast[0]!.scalars == graph[0].scalars && fast[1]!.scalars == graph[1].scalars)
        let bias = zip(fast[2]!.scalars, graph[2].scalars).map { Swift.abs($0 - $1) / Swift.max(1, Swift.abs($1)) }.max()!
        #expect(bias < 1e-5 && fast[2]!.shape == [6])
        #expect(y.scalars.contains(0) && graph[1].scalars.contains { $0 != 0 })
        #expect(gradients(of: y, withRespectTo: [x, w, b], seed: seed).map(\.scalars) == fast.map { $0!.scalars })
        // Stride 2 has no direct backward: g is masked first, as the rule says.
        let strided = x.conv2dReLU(weight: w, bias: b, stride: 2, padding: 1, groups: 2)
        guard case .rectifiedConv2d(let g2) = strided.operation else { Issue.record("not one operation"); return }
        #expect(Tensor.rectifiedConvolutionGradients(g2, [x, w, b], strided, input(strided.shape, seed: 85),
                                                     needed: [true, true, true]) == nil)
    }

    /// Lesson 1 counts the primitives; the count is this enum's.
    @Test func lessonOneCountsThePrimitives() throws {
        let lesson = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Lessons/01-tensors-and-autodiff.md")
        let text = try String(contentsOf: lesson, encoding: .utf8)
        let count = Operation.Kind.allCases.count
        #expect(text.contains("core has \(count) primitive operations") && text.contains("test the \(count) one by one"))
    }

    @Test func groupedAndDilatedConvolutions() {
        let x = input([2, 4, 6, 5], seed: 40), b = input([6], seed: 42)
        check("conv2d groups 2, stride 1 (direct kernels per group)", [x, input([6, 2, 3, 3], seed: 41), b]) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], padding: 1, groups: 2)
        }
        check("conv2d groups 2, stride 2 (a GEMM per group)", [x, input([6, 2, 3, 3], seed: 43)]) {
            $0[0].conv2d(weight: $0[1], stride: 2, padding: 1, groups: 2)
        }
        check("conv2d depthwise", [x, input([4, 1, 3, 3], seed: 44)]) { $0[0].conv2d(weight: $0[1], padding: 1, groups: 4) }
        check("conv2d dilation 2", [x, input([3, 4, 3, 3], seed: 45), input([3], seed: 46)]) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], padding: 2, dilation: 2)
        }
        check("conv2d dilation 2, stride 2, groups 2", [x, input([4, 2, 3, 2], seed: 47)]) {
            $0[0].conv2d(weight: $0[1], stride: 2, padding: 1, dilation: 2, groups: 2)
        }
        // The two adjoints with groups and dilation, on each path: direct (grouped, stride 1) and
        // im2col (grouped with stride 2; dilated).
        let geometries: [ConvolutionGeometry] = [
            .init(batch: 2, inChannels: 4, inHeight: 6, inWidth: 5, outChannels: 6, kernelHeight: 3, kernelWidth: 3,
                  stride: 1, padding: 1, groups: 2),
            .init(batch: 2, inChannels: 4, inHeight: 6, inWidth: 5, outChannels: 6, kernelHeight: 3, kernelWidth: 3,
                  stride: 2, padding: 1, groups: 2),
            .init(batch: 2, inChannels: 4, inHeight: 6, inWidth: 5, outChannels: 2, kernelHeight: 3, kernelWidth: 2,
                  stride: 1, padding: 1, dilation: 2),
            .init(batch: 1, inChannels: 4, inHeight: 7, inWidth: 6, outChannels: 4, kernelHeight: 3, kernelWidth: 3,
                  stride: 2, padding: 2, dilation: 2, groups: 2),
        ]
        for (index, g) in geometries.enumerated() {
            let image = input([g.batch, g.inChannels, g.inHeight, g.inWidth], seed: 50 + UInt64(index))
            let weight = input([g.outChannels, g.groupInChannels, g.kernelHeight, g.kernelWidth], seed: 60 + UInt64(index))
            let gy = input([g.batch, g.outChannels, g.outHeight, g.outWidth], seed: 70 + UInt64(index))
            check("conv2d input gradient, \(g.testDescription)", [gy, weight]) {
                Tensor.convolution(.conv2dInputGradient(g), $0[0], $0[1])
            }
            check("conv2d weight gradient, \(g.testDescription)", [image, gy]) {
                Tensor.convolution(.conv2dWeightGradient(g), $0[0], $0[1])
            }
        }
    }

    @Test func pooling() {
        let x = separated([2, 2, 6, 6], seed: 25)
        check("maxPool2d 2/2", [x]) { $0[0].maxPool2d(kernel: 2) }
        check("maxPool2d 3/2 padding 1", [x]) { $0[0].maxPool2d(kernel: 3, stride: 2, padding: 1) }
        check("avgPool2d 2/2", [x]) { $0[0].avgPool2d(kernel: 2) }
        check("avgPool2d 3/1 padding 1", [x]) { $0[0].avgPool2d(kernel: 3, stride: 1, padding: 1) }
        check("globalAveragePooled", [x]) { $0[0].globalAveragePooled() }
    }

    @Test func paddedDilatedAndCeilModeMaxPooling() {
        let x = separated([2, 2, 7, 6], seed: 80)
        check("maxPool2d 3/2 ceil mode (windows over the edge)", [x]) { $0[0].maxPool2d(kernel: 3, stride: 2, ceilMode: true) }
        check("maxPool2d 2/2 padding 1 ceil mode", [separated([1, 2, 5, 7], seed: 81)]) {
            $0[0].maxPool2d(kernel: 2, stride: 2, padding: 1, ceilMode: true)
        }
        check("maxPool2d 3/1 padding 1 dilation 2", [x]) { $0[0].maxPool2d(kernel: 3, stride: 1, padding: 1, dilation: 2) }
        check("maxPool2d 2/2 dilation 2 ceil mode", [x]) { $0[0].maxPool2d(kernel: 2, stride: 2, dilation: 2, ceilMode: true) }
    }

    @Test func averagePoolingWithPaddingAndCeilMode() {
        let x = input([2, 2, 7, 6], seed: 82)
        for counted in [true, false] {
            check("avgPool2d 3/2 padding 1, padding counted: \(counted)", [x]) {
                $0[0].avgPool2d(kernel: 3, stride: 2, padding: 1, countIncludingPadding: counted)
            }
            check("avgPool2d 3/2 padding 1 ceil mode, padding counted: \(counted)", [input([1, 2, 8, 6], seed: 83)]) {
                $0[0].avgPool2d(kernel: 3, stride: 2, padding: 1, ceilMode: true, countIncludingPadding: counted)
            }
        }
        check("avgPool2d 2/2 ceil mode, odd sizes", [input([1, 2, 7, 5], seed: 84)]) { $0[0].avgPool2d(kernel: 2, ceilMode: true) }
    }

    @Test func adaptiveAveragePooling() {
        let x = input([2, 2, 7, 6], seed: 85)
        check("adaptive 3×4 (overlapping bins)", [x]) { $0[0].adaptiveAveragePooled(height: 3, width: 4) }
        check("adaptive 5×6 (rows only)", [x]) { $0[0].adaptiveAveragePooled(height: 5, width: 6) }
        check("adaptive 9×8 (larger than the input)", [input([1, 2, 4, 5], seed: 86)]) {
            $0[0].adaptiveAveragePooled(height: 9, width: 8)
        }
        check("adaptive 7×7 of 5×3 (VGG on a small input)", [input([1, 2, 5, 3], seed: 87)]) {
            $0[0].adaptiveAveragePooled(height: 7, width: 7)
        }
        check("adaptive 1×1", [x]) { $0[0].adaptiveAveragePooled(height: 1, width: 1) }
    }

    @Test func batchNormalization() {
        let x = input([2, 3, 3, 2], seed: 88)
        let weight = input([3], seed: 89, low: 0.5, high: 1.5), bias = input([3], seed: 90)
        let runningMean = input([3], seed: 91), runningVariance = input([3], seed: 92, low: 0.5, high: 2)
        check("batchNormalized (inference)", [x, weight, bias]) {
            $0[0].batchNormalized(runningMean: runningMean, runningVariance: runningVariance, weight: $0[1], bias: $0[2])
        }
        // Training: the batch mean and variance depend on x, so the derivatives go through them.
        check("batchNormalizedWithBatchStatistics (training)", [x, weight, bias]) {
            $0[0].batchNormalizedWithBatchStatistics(weight: $0[1], bias: $0[2]).output
        }
        check("batchNormalizedWithBatchStatistics without weight and bias", [x]) {
            $0[0].batchNormalizedWithBatchStatistics().output
        }
    }

    @Test func softmaxFamily() {
        let logits = input([3, 5], seed: 26, low: -2, high: 2)
        check("softmax", [logits]) { $0[0].softmax(alongAxis: 1) }
        check("softmax axis 0", [logits]) { $0[0].softmax(alongAxis: 0) }
        check("logSoftmax", [logits]) { $0[0].logSoftmax(alongAxis: -1) }
        check("crossEntropy", [logits]) { $0[0].crossEntropy(labels: [1, 4, 0]) }
    }

    @Test func bilinearResizing() {
        let x = input([1, 2, 4, 5], seed: 27)
        check("resize up, half-pixel", [x]) { $0[0].resizedBilinear(height: 9, width: 7) }
        check("resize down, half-pixel", [x]) { $0[0].resizedBilinear(height: 3, width: 2) }
        check("resize up, align corners", [x]) { $0[0].resizedBilinear(height: 9, width: 7, convention: .alignCorners) }
    }

    @Test func aSmallNetworkTwice() {
        // conv → relu → maxpool → GAP → linear → log-softmax: the path Grad-CAM++ differentiates.
        let x = input([1, 2, 6, 6], seed: 28), w = input([3, 2, 3, 3], seed: 29), v = input([3, 4], seed: 30)
        check("network", [x, w, v]) { t in
            t[0].conv2d(weight: t[1], padding: 1).relu().maxPool2d(kernel: 2)
                .globalAveragePooled().matmul(t[2]).logSoftmax(alongAxis: 1)
        }
    }
}
