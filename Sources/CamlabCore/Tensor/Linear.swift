import Foundation

/// Matrix products and convolutions: the operations that run on the fast kernels.
extension Tensor {
    /// Batched matrix product over the last two axes; the other axes broadcast (as `torch.matmul`).
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(rank >= 2 && other.rank >= 2,
                     "matmul: needs two tensors of rank ≥ 2, got shapes \(shape) and \(other.shape)")
        let (m, k) = (shape[rank - 2], shape[rank - 1])
        let (k2, n) = (other.shape[other.rank - 2], other.shape[other.rank - 1])
        precondition(k == k2, "matmul: shapes \(shape) and \(other.shape) do not fit: inner sizes \(k) and \(k2) differ")
        let batchShape = Shape.broadcast(Array(shape.dropLast(2)), Array(other.shape.dropLast(2)), operation: "matmul")
        let stridesA = Shape.broadcastStrides(of: Array(shape.dropLast(2)), to: batchShape).map { $0 * m * k }
        let stridesB = Shape.broadcastStrides(of: Array(other.shape.dropLast(2)), to: batchShape).map { $0 * k * n }
        let batches = batchShape.reduce(1, *)
        var values = [Float](repeating: 0, count: batches * m * n)
        values.withUnsafeMutableBufferPointer { c in
            scalars.withUnsafeBufferPointer { a in
                other.scalars.withUnsafeBufferPointer { b in
                    if other.rank == 2 && Array(shape.dropLast(2)) == batchShape {
                        // One right-hand matrix for the whole batch of left ones, which lie one
                        // after another: a single product of all their rows (a call per batch
                        // element costs more than the arithmetic for small matrices).
                        if batches > 0 && m > 0 && n > 0 {
                            Kernels.gemm(m: batches * m, n: n, k: k, a: a.baseAddress!, lda: k, transposeA: false,
                                         b: b.baseAddress!, ldb: n, transposeB: false,
                                         c: c.baseAddress!, ldc: n, accumulate: false)
                        }
                        return
                    }
                    var batch = 0
                    // Walk the batch axes with a trailing unit axis so each run is one product.
                    forEachRun(shape: batchShape + [1], strides: [stridesA + [0], stridesB + [0]]) { offsets, _ in
                        if m > 0 && n > 0 {
                            Kernels.gemm(m: m, n: n, k: k,
                                         a: a.baseAddress! + offsets[0], lda: k, transposeA: false,
                                         b: b.baseAddress! + offsets[1], ldb: n, transposeB: false,
                                         c: c.baseAddress! + batch * m * n, ldc: n, accumulate: false)
                        }
                        batch += 1
                    }
                }
            }
        }
        return Tensor(shape: batchShape + [m, n], scalars: values, operation: .matmul, inputs: [self, other])
    }

    /// self · otherᵀ for a matrix `other` (a linear layer's x · Wᵀ). When nothing records
    /// gradients the product reads `other` in place, transposed by the GEMM, instead of copying
    /// it (a ResNet-50's classifier weight is 8 MB); recorded, it is `matmul(other.transposed())`.
    public func matmul(transposing other: Tensor) -> Tensor {
        precondition(rank >= 2 && other.rank == 2,
                     "matmul(transposing:): needs a tensor of rank ≥ 2 and a matrix, got shapes \(shape) and \(other.shape)")
        let (k, n) = (other.shape[1], other.shape[0])
        let recorded = GradientMode.isRecording && (requiresGradient || other.requiresGradient)
        guard !recorded, shape[rank - 1] == k else { return matmul(other.transposed()) }
        let rows = shape.dropLast().reduce(1, *)
        let values = [Float](unsafeUninitializedCapacity: rows * n) { c, initialized in
            scalars.withUnsafeBufferPointer { a in
                other.scalars.withUnsafeBufferPointer { b in
                    if k == 0 {
                        c.initialize(repeating: 0)
                    } else if rows > 0 && n > 0 {
                        Kernels.gemm(m: rows, n: n, k: k, a: a.baseAddress!, lda: k, transposeA: false,
                                     b: b.baseAddress!, ldb: k, transposeB: true, c: c.baseAddress!, ldc: n,
                                     accumulate: false)
                    }
                }
            }
            initialized = rows * n
        }
        return Tensor(shape: Array(shape.dropLast()) + [n], scalars: values)
    }

    /// 2-D convolution as PyTorch's `F.conv2d(x, weight, bias, stride, padding, dilation, groups)`:
    /// NCHW input, weight [O, C / groups, kh, kw], optional bias of shape [O].
    ///
    /// - `dilation` spaces the kernel's taps `dilation` pixels apart (an effective kernel of
    ///   d·(k − 1) + 1 pixels).
    /// - `groups` splits input and output channels into that many independent convolutions
    ///   (ResNeXt's grouped 3×3 convolutions; groups = C is a depthwise convolution).
    ///
    /// `packed`, when given, is `weight` laid out for the kernels beforehand (inference runs the
    /// same weights many times). `residual`, when given, is added to the result: a residual
    /// block's `out += identity`.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                       dilation: Int = 1, groups: Int = 1, adding residual: Tensor? = nil,
                       packed: PackedConvolutionWeight? = nil) -> Tensor {
        convolved(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                  groups: groups, residual: residual, rectified: false, packed: packed)
    }

    /// `conv2d(weight:bias:stride:padding:dilation:groups:adding:).relu()`, the pair a ConvNet
    /// layer runs, in one pass (the bias, the residual and the ReLU applied as the output is
    /// written). Recorded, it is one operation without a residual and the graph of the three
    /// with one.
    public func conv2dReLU(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                           dilation: Int = 1, groups: Int = 1, adding residual: Tensor? = nil,
                           packed: PackedConvolutionWeight? = nil) -> Tensor {
        convolved(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                  groups: groups, residual: residual, rectified: true, packed: packed)
    }

    private func convolved(weight: Tensor, bias: Tensor?, stride: Int, padding: Int, dilation: Int,
                           groups: Int, residual: Tensor?, rectified: Bool, packed: PackedConvolutionWeight?) -> Tensor {
        precondition(rank == 4, "conv2d: the input must be NCHW (rank 4), got shape \(shape)")
        precondition(weight.rank == 4, "conv2d: the weight must be OIHW (rank 4), got shape \(weight.shape)")
        precondition(groups >= 1 && shape[1] % groups == 0 && weight.shape[0] % groups == 0,
                     "conv2d: input \(shape) and weight \(weight.shape) cannot be split into \(groups) groups")
        precondition(weight.shape[1] * groups == shape[1],
                     "conv2d: input \(shape) has \(shape[1]) channels but weight \(weight.shape) expects \(weight.shape[1] * groups)"
                        + (groups > 1 ? " (\(groups) groups of \(weight.shape[1]))" : ""))
        precondition(stride >= 1 && padding >= 0 && dilation >= 1,
                     "conv2d: stride \(stride), padding \(padding) and dilation \(dilation) are invalid")
        let (kernelHeight, kernelWidth) = (weight.shape[2], weight.shape[3])
        precondition(shape[2] + 2 * padding >= dilation * (kernelHeight - 1) + 1
                        && shape[3] + 2 * padding >= dilation * (kernelWidth - 1) + 1,
                     "conv2d: a \(kernelHeight)×\(kernelWidth) kernel with dilation \(dilation) does not fit input \(shape) with padding \(padding)")
        let geometry = ConvolutionGeometry(
            batch: shape[0], inChannels: shape[1], inHeight: shape[2], inWidth: shape[3],
            outChannels: weight.shape[0], kernelHeight: kernelHeight, kernelWidth: kernelWidth,
            stride: stride, padding: padding, dilation: dilation, groups: groups)
        if let bias {
            precondition(bias.shape == [weight.shape[0]],
                         "conv2d: bias shape \(bias.shape) should be [\(weight.shape[0])]")
        }
        let recorded = GradientMode.isRecording
            && (requiresGradient || weight.requiresGradient || bias?.requiresGradient == true || residual?.requiresGradient == true)
        precondition(packed.map { $0.weight === weight && $0.fits(geometry) } ?? true,
                     "conv2d: the packed weight was made for another weight or convolution")
        if let residual {
            precondition(residual.shape == [geometry.batch, geometry.outChannels, geometry.outHeight, geometry.outWidth],
                         "conv2d: residual shape \(residual.shape) is not the output's")
        }
        let operation: Operation = rectified ? .rectifiedConv2d(geometry) : .conv2d(geometry)
        guard !recorded || residual == nil else { // the graph the derivative rules know: a convolution, an add, a ReLU
            let convolved = Tensor.convolution(.conv2d(geometry), self, weight, bias: bias)
            let sum = convolved + residual!
            return rectified ? sum.relu() : sum
        }
        // The bias, the residual and the ReLU are applied as the convolution writes its output,
        // instead of in more passes over new arrays.
        return Tensor.convolution(operation, self, weight, bias: bias, residual: residual, packed: packed)
    }

    /// Runs one of the three convolution primitives (or conv2d with its ReLU); each is linear in
    /// both inputs, and the derivatives of each are the other two (see `Derivatives.swift`).
    /// conv2d may take a bias, added as the output is written, and — when the result is not
    /// recorded — a residual to add before the ReLU. Unrecorded, the adjoints may take a `mask`
    /// (gy counts only where it is positive) and the weight's a `biasGradient` to overwrite with
    /// gy's sums (`Kernels.conv2dWeightGradient`).
    static func convolution(_ operation: Operation, _ first: Tensor, _ second: Tensor,
                            bias: Tensor? = nil, residual: Tensor? = nil,
                            packed: PackedConvolutionWeight? = nil, mask: Tensor? = nil,
                            biasGradient: UnsafeMutablePointer<Float>? = nil) -> Tensor {
        let outputShape: [Int]
        let run: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
        switch operation {
        case .conv2d(let g), .rectifiedConv2d(let g):
            let relu = operation.kind == .rectifiedConv2d
            outputShape = [g.batch, g.outChannels, g.outHeight, g.outWidth]
            // A packed weight's Winograd layout is made the first time a scoring pass can use it.
            let winograd = Kernels.winogradAllowed && g.runsWinograd ? packed?.winogradValues() : nil
            run = { x, w, y in
                withOptionalPointer(to: bias?.scalars) { b in
                    withOptionalPointer(to: residual?.scalars) { r in
                        withOptionalPointer(to: packed?.values) { p in
                            withOptionalPointer(to: winograd) { u in
                                Kernels.conv2d(input: x, weight: w, output: y, geometry: g, bias: b, residual: r,
                                               relu: relu, packedWeight: p, winogradWeight: u)
                            }
                        }
                    }
                }
            }
        case .conv2dInputGradient(let g):
            outputShape = [g.batch, g.inChannels, g.inHeight, g.inWidth]
            run = { gy, w, dx in
                withOptionalPointer(to: mask?.scalars) { m in
                    Kernels.conv2dInputGradient(outputGradient: gy, weight: w, inputGradient: dx, geometry: g, mask: m)
                }
            }
        case .conv2dWeightGradient(let g):
            outputShape = [g.outChannels, g.groupInChannels, g.kernelHeight, g.kernelWidth]
            run = { x, gy, dw in
                withOptionalPointer(to: mask?.scalars) { m in
                    Kernels.conv2dWeightGradient(input: x, outputGradient: gy, weightGradient: dw, geometry: g, mask: m,
                                                 biasGradient: biasGradient)
                }
            }
        default:
            preconditionFailure("convolution: \(operation.kind) is not a convolution")
        }
        let count = outputShape.reduce(1, *)
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            first.scalars.withUnsafeBufferPointer { a in
                second.scalars.withUnsafeBufferPointer { b in
                    run(a.baseAddress!, b.baseAddress!, out.baseAddress!)
                }
            }
            initialized = count
        }
        let result = Tensor(shape: outputShape, scalars: values, operation: operation,
                            inputs: [first, second] + (bias.map { [$0] } ?? []))
        precondition((residual == nil && mask == nil) || result.operation == nil,
                     "convolution: a recorded convolution cannot add a residual or take a mask")
        return result
    }
}

extension Tensor {
    /// First-order gradients of y = relu(conv2d(x, w) + b) with the true ReLU's derivative: g
    /// counts only where y > 0, and the direct kernels apply that as they copy g, summing the
    /// bias gradient in the same pass, instead of a masked copy of g being made and read again.
    /// Nil when a gradient asked for does not run on the direct kernels: the caller masks g.
    static func rectifiedConvolutionGradients(_ geometry: ConvolutionGeometry, _ x: [Tensor], _ y: Tensor,
                                              _ g: Tensor, needed: [Bool]) -> [Tensor?]? {
        let (needsInput, needsWeight, needsBias) = (needed[0], needed[1], needed.count > 2 && needed[2])
        guard g.shape == y.shape, g.count > 0, x[0].count > 0,
              !needsInput || geometry.inputGradientRunsDirectly,
              !needsWeight || geometry.gradientsRunDirectly, !needsBias || needsWeight else { return nil }
        return withoutGradient { // first order: the results are not differentiated again
            var parts = [Tensor?](repeating: nil, count: needed.count)
            if needsInput { parts[0] = convolution(.conv2dInputGradient(geometry), g, x[1], mask: y) }
            if needsWeight {
                var db = [Float](repeating: 0, count: geometry.outChannels)
                parts[1] = db.withUnsafeMutableBufferPointer { db in
                    convolution(.conv2dWeightGradient(geometry), x[0], g, mask: y, biasGradient: needsBias ? db.baseAddress : nil)
                }
                if needsBias { parts[2] = Tensor(shape: [geometry.outChannels], scalars: db) }
            }
            return parts
        }
    }
}

/// Calls `body` with the first element of `array`, or nil when there is no array.
private func withOptionalPointer<R>(to array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// A convolution weight laid out once for the kernels — for the direct kernels, or as the packed
/// A of the GEMM that runs 1×1 and dilated convolutions — for a network that runs the same weights
/// again and again: packing a ResNet-50's weights on every forward pass costs more than one of its
/// convolutions. Nil for grouped convolutions that run as GEMMs (one product per group).
public final class PackedConvolutionWeight: @unchecked Sendable {
    /// The weight this is a layout of.
    public let weight: Tensor
    let stride: Int, groups: Int, padding: Int, dilation: Int
    let values: [Float]

    public init?(weight: Tensor, stride: Int, padding: Int, dilation: Int, groups: Int) {
        precondition(weight.rank == 4, "PackedConvolutionWeight: the weight must be OIHW, got shape \(weight.shape)")
        let (o, c, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        // The layout depends on the kernel, stride and groups, not on the image: any input size works.
        let geometry = ConvolutionGeometry(batch: 1, inChannels: c * groups, inHeight: dilation * (kh - 1) + 1,
                                           inWidth: dilation * (kw - 1) + 1, outChannels: o,
                                           kernelHeight: kh, kernelWidth: kw, stride: stride, padding: padding,
                                           dilation: dilation, groups: groups)
        guard let count = Kernels.packedWeightCount(geometry) else { return nil }
        (self.weight, self.stride, self.groups, self.padding, self.dilation) = (weight, stride, groups, padding, dilation)
        values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            weight.scalars.withUnsafeBufferPointer { Kernels.packWeight($0.baseAddress!, geometry: geometry, into: out.baseAddress!) }
            initialized = count
        }
    }

    func fits(_ g: ConvolutionGeometry) -> Bool {
        (g.stride, g.groups, g.padding, g.dilation) == (stride, groups, padding, dilation)
    }

    private let winogradLock = NSLock()
    private var winograd: [Float]?

    /// The weight transformed for Winograd F(4×4, 3×3), for convolutions that `runsWinograd`:
    /// made on first use, since whether one does depends on the batch and the image size.
    func winogradValues() -> [Float] {
        winogradLock.lock()
        defer { winogradLock.unlock() }
        if let winograd { return winograd }
        let (o, c) = (weight.shape[0], weight.shape[1])
        precondition(weight.shape[2] == 3 && weight.shape[3] == 3 && groups == 1 && stride == 1 && dilation == 1,
                     "PackedConvolutionWeight: Winograd F(4×4, 3×3) is for 3×3 stride-1 convolutions")
        let count = Kernels.winogradWeightCount(outChannels: o, inChannels: c)
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            weight.scalars.withUnsafeBufferPointer {
                Kernels.packWinogradWeights($0.baseAddress!, outChannels: o, inChannels: c, into: out.baseAddress!)
            }
            initialized = count
        }
        winograd = values
        return values
    }
}
