// camlab-bench: GEMM throughput and convolution wall time, medians over repetitions.
//   swift run -c release camlab-bench [--json]
import CamlabCore
import CamlabMethods
import CamlabNN
import CamlabData
import Foundation

let emitJSON = CommandLine.arguments.contains("--json")

// `camlab-bench network MODEL HEIGHT WIDTH [--scorecam]`: one JSON line of a real network's
// median times at batch 1 — inference forward, Grad-CAM and Grad-CAM++ at its target layer, and
// Score-CAM (the second of two calls) — for Benchmarks/network_compare.py, which runs PyTorch on
// the same state dict beside it.
if (5...6).contains(CommandLine.arguments.count), CommandLine.arguments[1] == "network" {
    let arguments = CommandLine.arguments
    guard let network = try? Network(contentsOf: arguments[2]), let height = Int(arguments[3]), let width = Int(arguments[4]) else {
        FileHandle.standardError.write(Data("camlab-bench network: give a model file camlab opens, then the height and width\n".utf8))
        exit(2)
    }
    var random = RandomGenerator(seed: 7)
    let input = Tensor.uniform([1, 3, height, width], generator: &random)
    let explainer = Explainer(network: network)
    func explain(_ method: MethodName) { _ = try! explainer.explain(input, ExplanationRequest(method: method, classes: [1])) }
    let forward = medianSeconds(budget: 3) { _ = network.classScores(input) } // as `camlab predict` runs it
    let gradcam = medianSeconds(budget: 3) { explain(.gradcam) }
    let gradcampp = medianSeconds(budget: 3) { explain(.gradcampp) }
    var scorecam = ""
    if arguments.count == 6, arguments[5] == "--scorecam" {
        var seconds = 0.0
        for _ in 0..<2 {
            let start = DispatchTime.now().uptimeNanoseconds
            explain(.scorecam)
            seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        scorecam = String(format: ", \"scorecam_ms\": %.1f", 1000 * seconds)
    }
    print(String(format: "{\"kernel\": \"%@\", \"forward_ms\": %.2f, \"gradcam_ms\": %.2f, \"gradcampp_ms\": %.2f%@}",
                 Kernels.gemmKernelName, 1000 * forward, 1000 * gradcam, 1000 * gradcampp, scorecam))
    exit(0)
}

// `camlab-bench convolutions MODEL HEIGHT WIDTH [BATCH]`: every distinct convolution of a network
// at batch 1 (or BATCH), as inference runs it (both cores, the weight packed once, the bias added
// as it writes), in GFLOP/s and as a share of the machine's peak: measured (an FMA loop on every
// core) and by the formula cores × 2 FMA units × vector lanes × 2 × the clock /proc/cpuinfo
// reports. For the 3×3 stride-1 ones a scoring pass runs as Winograd F(4×4, 3×3), the time that
// takes too (its GFLOP/s counted in the direct convolution's operations).
if (5...6).contains(CommandLine.arguments.count), CommandLine.arguments[1] == "convolutions" {
    let arguments = CommandLine.arguments
    guard let network = try? Network(contentsOf: arguments[2]), let height = Int(arguments[3]), let width = Int(arguments[4]),
          let batch = arguments.count == 6 ? Int(arguments[5]) : 1, batch >= 1,
          let shapes = try? network.program.shapes(forInput: network.inputShape(forImageHeight: height, width: width)) else {
        FileHandle.standardError.write(Data("camlab-bench convolutions: give a model file camlab opens, a height and width it takes, and optionally a batch\n".utf8))
        exit(2)
    }
    var order: [ConvolutionGeometry] = []
    var uses: [ConvolutionGeometry: [String]] = [:]
    for instruction in network.program.instructions {
        guard case .leaf(let module) = instruction.step, let convolution = module as? Conv2d else { continue }
        let input = shapes[instruction.inputs[0]], spec = convolution.spec
        let g = ConvolutionGeometry(batch: batch, inChannels: input[0], inHeight: input[1], inWidth: input[2],
                                    outChannels: spec.outChannels, kernelHeight: spec.kernel[0], kernelWidth: spec.kernel[1],
                                    stride: spec.stride, padding: spec.padding, dilation: spec.dilation, groups: spec.groups)
        if uses[g] == nil { order.append(g) }
        uses[g, default: []].append(convolution.path)
    }
    let cores = Kernels.processorCount
    let measuredPeak = Kernels.measuredPeakFlops() / 1e9
    let lanes = Kernels.gemmKernelName.hasPrefix("avx512") ? 16.0 : Kernels.gemmKernelName.hasPrefix("avx2") ? 8.0 : 0
    let megahertz = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first { $0.hasPrefix("cpu MHz") }
        .flatMap { Double($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) } ?? 0
    let formulaPeak = Double(cores) * 2 * lanes * 2 * megahertz / 1e3
    print("\(arguments[2]) at \(height)×\(width), batch \(batch) · kernel \(Kernels.gemmKernelName) · \(cores) cores")
    print("peak: measured \(format(measuredPeak, 0)) GFLOP/s (FMA loop on every core); formula \(format(formulaPeak, 0)) GFLOP/s"
          + " (\(cores) cores × 2 FMA units × \(Int(lanes)) lanes × 2 × \(format(megahertz, 0)) MHz)")
    print("")
    print(pad("convolution", 34) + leftPad("uses", 5) + leftPad("ms", 9) + leftPad("GFLOP/s", 9) + leftPad("% meas.", 9)
          + leftPad("% form.", 9) + leftPad("ms × uses", 11) + leftPad("Winograd ms", 13) + leftPad("×", 6))
    var total = 0.0, totalFlops = 0.0
    var rows: [String] = []
    AllocatorTuning.keepFreedMemoryForReuse()  // as a network's run does: outputs reuse freed memory
    for g in order {
        var random = RandomGenerator(seed: 1)
        let x = Tensor.uniform([g.batch, g.inChannels, g.inHeight, g.inWidth], generator: &random)
        let w = Tensor.uniform([g.outChannels, g.groupInChannels, g.kernelHeight, g.kernelWidth], generator: &random)
        let b = Tensor.uniform([g.outChannels], generator: &random)
        // As inference runs it: the weight packed once, the bias added as the output is written.
        let packed = PackedConvolutionWeight(weight: w, stride: g.stride, padding: g.padding, dilation: g.dilation, groups: g.groups)
        func run() {
            _ = withoutGradient {
                x.conv2d(weight: w, bias: b, stride: g.stride, padding: g.padding, dilation: g.dilation, groups: g.groups,
                         packed: packed)
            }
        }
        let seconds = medianSeconds(budget: 0.5, run)
        let winograd = g.runsWinograd ? medianSeconds(budget: 0.5) { Kernels.allowingWinograd(run) } : nil
        let flops = 2 * Double(g.batch * g.outChannels * g.outHeight * g.outWidth) * Double(g.groupInChannels * g.kernelHeight * g.kernelWidth)
        let gflops = flops / seconds / 1e9, count = Double(uses[g]!.count)
        total += seconds * count
        totalFlops += flops * count
        let name = "\(g.kernelHeight)×\(g.kernelWidth)/\(g.stride)\(g.groups > 1 ? " g\(g.groups)" : "") \(g.inChannels)→\(g.outChannels) at \(g.inHeight)×\(g.inWidth)"
        rows.append("{\"kind\":\"convolution\",\"shape\":\"\(name)\",\"uses\":\(uses[g]!.count),\"ms\":\(format(seconds * 1e3, 4)),\"gflops\":\(format(gflops, 1))}")
        print(pad(name, 34) + leftPad("\(uses[g]!.count)", 5) + leftPad(format(seconds * 1e3, 3), 9) + leftPad(format(gflops, 1), 9)
              + leftPad(format(100 * gflops / measuredPeak, 0), 9) + leftPad(formulaPeak > 0 ? format(100 * gflops / formulaPeak, 0) : "—", 9)
              + leftPad(format(seconds * count * 1e3, 2), 11)
              + leftPad(winograd.map { format($0 * 1e3, 3) } ?? "—", 13) + leftPad(winograd.map { format(seconds / $0, 2) } ?? "", 6))
    }
    print("")
    print("all \(uses.values.map(\.count).reduce(0, +)) convolutions: \(format(total * 1e3, 1)) ms, \(format(totalFlops / total / 1e9, 1)) GFLOP/s"
          + " (\(format(100 * totalFlops / total / 1e9 / measuredPeak, 0)) % of the measured peak)")
    if emitJSON { rows.forEach { print($0) } }
    exit(0)
}

/// A GEMM to time: C[m×n] = op(A)[m×k] · op(B)[k×n], stored as the convolution kernels store them.
struct GEMMCase {
    var name: String
    var m: Int, n: Int, k: Int
    var transposeA = false, transposeB = false
}

// The tiny32 network at batch 64: (out channels) × (in·3·3) × (batch·H·W) per layer.
let tiny32Layers: [(name: String, geometry: ConvolutionGeometry)] = [
    ("conv1 3→16 32×32", ConvolutionGeometry(batch: 64, inChannels: 3, inHeight: 32, inWidth: 32, outChannels: 16,
                                            kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)),
    ("conv2 16→32 32×32", ConvolutionGeometry(batch: 64, inChannels: 16, inHeight: 32, inWidth: 32, outChannels: 32,
                                             kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)),
    ("conv3 32→64 16×16", ConvolutionGeometry(batch: 64, inChannels: 32, inHeight: 16, inWidth: 16, outChannels: 64,
                                             kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)),
]

var gemmCases: [GEMMCase] = [
    GEMMCase(name: "square 256", m: 256, n: 256, k: 256),
    GEMMCase(name: "square 1024", m: 1024, n: 1024, k: 1024),
]
for (index, layer) in tiny32Layers.enumerated() {
    let g = layer.geometry
    let out = g.outChannels, patch = g.inChannels * 9, pixels = g.batch * g.inHeight * g.inWidth
    gemmCases.append(GEMMCase(name: "conv\(index + 1) forward", m: out, n: pixels, k: patch))
    // dcolumns = Wᵀ · gy: W is stored out × patch.
    gemmCases.append(GEMMCase(name: "conv\(index + 1) input-grad", m: patch, n: pixels, k: out, transposeA: true))
    // dW = gy · columnsᵀ: columns are stored patch × pixels.
    gemmCases.append(GEMMCase(name: "conv\(index + 1) weight-grad", m: out, n: patch, k: pixels, transposeB: true))
}

/// Deterministic values in [-1, 1).
func randomBuffer(_ count: Int, seed: UInt64) -> UnsafeMutablePointer<Float> {
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    for index in 0..<count {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        buffer[index] = Float(Int32(truncatingIfNeeded: state >> 32)) / Float(Int32.max)
    }
    return buffer
}

/// Median seconds of `body`, after a warm-up, over enough repetitions to fill about `budget` seconds.
func medianSeconds(budget: Double = 0.4, _ body: () -> Void) -> Double {
    body()
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    let estimate = max(1e-6, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    let repetitions = min(200, max(7, Int(budget / estimate)))
    var times: [Double] = []
    for _ in 0..<repetitions {
        let begin = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9)
    }
    times.sort()
    return times[times.count / 2]
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

func leftPad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

if !emitJSON {
    print("camlab-bench — kernel: \(Kernels.gemmKernelName), \(ProcessInfo.processInfo.activeProcessorCount) cores")
    print("")
    print("GEMM  C[m×n] = op(A)[m×k]·op(B)[k×n], float32, median")
    print(pad("case", 24) + leftPad("m", 6) + leftPad("n", 7) + leftPad("k", 7) + "  op   " + leftPad("ms", 9) + leftPad("GFLOP/s", 10))
}
for test in gemmCases {
    let (m, n, k) = (test.m, test.n, test.k)
    let a = randomBuffer(m * k, seed: 1), b = randomBuffer(k * n, seed: 2), c = randomBuffer(m * n, seed: 3)
    defer { a.deallocate(); b.deallocate(); c.deallocate() }
    let seconds = medianSeconds {
        Kernels.gemm(m: m, n: n, k: k, a: a, lda: test.transposeA ? m : k, transposeA: test.transposeA,
                     b: b, ldb: test.transposeB ? k : n, transposeB: test.transposeB,
                     c: c, ldc: n, accumulate: false)
    }
    let gflops = 2 * Double(m) * Double(n) * Double(k) / seconds / 1e9
    let op = (test.transposeA ? "T" : "N") + (test.transposeB ? "T" : "N")
    if emitJSON {
        print("{\"kind\":\"gemm\",\"case\":\"\(test.name)\",\"m\":\(m),\"n\":\(n),\"k\":\(k),\"op\":\"\(op)\",\"median_ms\":\(format(seconds * 1e3, 4)),\"gflops\":\(format(gflops, 2))}")
    } else {
        print(pad(test.name, 24) + leftPad("\(m)", 6) + leftPad("\(n)", 7) + leftPad("\(k)", 7) + "  \(op)   "
              + leftPad(format(seconds * 1e3, 3), 9) + leftPad(format(gflops, 1), 10))
    }
}

if !emitJSON {
    print("")
    print("Convolution, tiny32 layers at batch 64 (3×3, stride 1, padding 1), median")
    print(pad("layer", 20) + pad("pass", 14) + leftPad("ms", 9) + leftPad("GFLOP/s", 10))
}
for layer in tiny32Layers {
    let g = layer.geometry
    let inputCount = g.batch * g.inChannels * g.inHeight * g.inWidth
    let outputCount = g.batch * g.outChannels * g.outHeight * g.outWidth
    let weightCount = g.outChannels * g.inChannels * g.kernelHeight * g.kernelWidth
    let x = randomBuffer(inputCount, seed: 4), w = randomBuffer(weightCount, seed: 5)
    let y = randomBuffer(outputCount, seed: 6), dx = randomBuffer(inputCount, seed: 7)
    let dw = randomBuffer(weightCount, seed: 8)
    defer { x.deallocate(); w.deallocate(); y.deallocate(); dx.deallocate(); dw.deallocate() }
    let flops = 2 * Double(outputCount) * Double(g.inChannels * g.kernelHeight * g.kernelWidth)
    let passes: [(String, () -> Void)] = [
        ("forward", { Kernels.conv2d(input: x, weight: w, output: y, geometry: g) }),
        ("input-grad", { Kernels.conv2dInputGradient(outputGradient: y, weight: w, inputGradient: dx, geometry: g) }),
        ("weight-grad", { Kernels.conv2dWeightGradient(input: x, outputGradient: y, weightGradient: dw, geometry: g) }),
    ]
    for (pass, body) in passes {
        let seconds = medianSeconds(body)
        let gflops = flops / seconds / 1e9
        if emitJSON {
            print("{\"kind\":\"conv\",\"layer\":\"\(layer.name)\",\"pass\":\"\(pass)\",\"median_ms\":\(format(seconds * 1e3, 4)),\"gflops\":\(format(gflops, 2))}")
        } else {
            print(pad(layer.name, 20) + pad(pass, 14) + leftPad(format(seconds * 1e3, 3), 9) + leftPad(format(gflops, 1), 10))
        }
    }
}

// MARK: The whole tiny32 network: one training step's forward and backward at batch 64, and
// explanations per map over a few hundred images in one call.

let tiny32 = Architecture(
    input: [3, 32, 32], mean: [0, 0, 0], std: [1, 1, 1], classes: ["circle", "square", "triangle", "cross"],
    layers: [.conv2d(name: "features.0", in: 3, out: 16, kernel: 3, stride: 1, padding: 1), .relu(name: "features.1"),
             .conv2d(name: "features.2", in: 16, out: 32, kernel: 3, stride: 1, padding: 1), .relu(name: "features.3"),
             .maxPool2d(name: "features.4", kernel: 2, stride: 2),
             .conv2d(name: "features.5", in: 32, out: 64, kernel: 3, stride: 1, padding: 1), .relu(name: "features.6"),
             .globalAvgPool(name: "gap"), .linear(name: "classifier", in: 64, out: 4)],
    targetLayer: "features.6")
let network = try! Network(architecture: tiny32, seed: 1)
var generator = RandomGenerator(seed: 2)
let batch64 = Tensor.uniform([64, 3, 32, 32], generator: &generator)
let labels = (0..<64).map { $0 % 4 }
let stepSeconds = medianSeconds(budget: 2) {
    let loss = network(batch64).crossEntropy(labels: labels)
    _ = gradients(of: loss, withRespectTo: network.parameters.map(\.tensor))
}
let inferenceSeconds = medianSeconds(budget: 2) { _ = withoutGradient { network(batch64) } }
// Explanations are timed as `Benchmarks/explain_pytorch.py` times pytorch-grad-cam: the lessons'
// model and the first 256 images of Datasets/shapes/test in path order (made if missing), in one
// call. A trained model matters: Score-CAM's work depends on how many channels are dead.
let explainer = Explainer(network: try! Network(contentsOf: "Models/shapes-tiny32.safetensors"))
let testImages = try! ImageFolder(directory: try! LessonData.ensureDataset(named: "shapes") + "/test")
    .decoded(channels: 3, height: 32, width: 32).images
let explained = explainer.network.normalized(testImages.sliced(alongAxis: 0, range: 0..<256))
var explanationMilliseconds: [(String, Double)] = []
for method in [MethodName.gradcam, .gradcampp, .scorecam] {
    let seconds = medianSeconds(budget: 3) {
        _ = try! explainer.explain(explained, ExplanationRequest(method: method))
    }
    explanationMilliseconds.append((method.rawValue, seconds * 1e3 / 256))
}
if emitJSON {
    print("{\"kind\":\"network\",\"case\":\"tiny32 forward+backward batch 64\",\"median_ms\":\(format(stepSeconds * 1e3, 3))}")
    print("{\"kind\":\"network\",\"case\":\"tiny32 inference forward batch 64\",\"median_ms\":\(format(inferenceSeconds * 1e3, 3))}")
    for (method, ms) in explanationMilliseconds {
        print("{\"kind\":\"explain\",\"method\":\"\(method)\",\"images\":256,\"ms_per_map\":\(format(ms, 4))}")
    }
} else {
    print("")
    print("tiny32 network (3→16→32, pool, →64, GAP, 4 classes), median")
    print(pad("forward+backward, batch 64", 44) + leftPad(format(stepSeconds * 1e3, 2), 9) + " ms")
    print(pad("inference forward, batch 64", 44) + leftPad(format(inferenceSeconds * 1e3, 2), 9) + " ms")
    for (method, ms) in explanationMilliseconds {
        print(pad("\(method), 256 images in one call", 44) + leftPad(format(ms, 3), 9) + " ms per map")
    }
}
