import CamlabKernels
import Dispatch

/// Shapes of a 2-D convolution: input [batch, inChannels, inHeight, inWidth] (NCHW), weight
/// [outChannels, inChannels, kernelHeight, kernelWidth] (OIHW), zero padding on every side.
public struct ConvolutionGeometry: Hashable, Sendable {
    public var batch: Int
    public var inChannels: Int
    public var inHeight: Int
    public var inWidth: Int
    public var outChannels: Int
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var stride: Int
    public var padding: Int

    public var outHeight: Int { (inHeight + 2 * padding - kernelHeight) / stride + 1 }
    public var outWidth: Int { (inWidth + 2 * padding - kernelWidth) / stride + 1 }

    public init(batch: Int, inChannels: Int, inHeight: Int, inWidth: Int, outChannels: Int,
                kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) {
        precondition(batch >= 0 && inChannels > 0 && outChannels > 0, "convolution: bad channel counts")
        precondition(kernelHeight > 0 && kernelWidth > 0 && stride > 0 && padding >= 0,
                     "convolution: bad kernel, stride or padding")
        precondition(inHeight + 2 * padding >= kernelHeight && inWidth + 2 * padding >= kernelWidth,
                     "convolution: kernel larger than the padded input")
        self.batch = batch
        self.inChannels = inChannels
        self.inHeight = inHeight
        self.inWidth = inWidth
        self.outChannels = outChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
    }

    /// Elements of one input image, C·H·W.
    var inputImageSize: Int { inChannels * inHeight * inWidth }
    /// Elements of one output image, O·Ho·Wo.
    var outputImageSize: Int { outChannels * outPixels }
    /// Output positions per image, Ho·Wo: the n of the per-image GEMM.
    var outPixels: Int { outHeight * outWidth }
    /// Weights per output channel, C·kh·kw: the k of the forward GEMM (rows of the column matrix).
    var patchSize: Int { inChannels * kernelHeight * kernelWidth }
    /// A 1×1 kernel with stride 1 and no padding reads the image itself as its column matrix.
    var imageIsColumnMatrix: Bool {
        kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0
    }
    /// Stride-1 convolutions run the direct kernels of `convolution.c` (no column matrices);
    /// the rest build im2col columns for the GEMM.
    var runsDirectly: Bool { stride == 1 && !imageIsColumnMatrix }
    /// The input gradient runs directly as a "full" convolution of the padded output gradient,
    /// which needs padding ≤ kernel − 1 on both axes.
    var inputGradientRunsDirectly: Bool {
        runsDirectly && padding < kernelHeight && padding < kernelWidth
    }
}

// Two ways to run a convolution:
//
// Stride 1 (every convolution of the lessons' networks): the direct kernels of convolution.c,
// which read each tap of the kernel as a shifted view of the zero-padded image (see its header).
//
// Other strides, as matrix multiply, per image n:
//   columns = im2col(x[n])                  [C·kh·kw, Ho·Wo]   columns[(c,i,j), (ho,wo)] = x[c, ho·s−p+i, wo·s−p+j]
//   y[n]    = W · columns                   [O, Ho·Wo]         W viewed as [O, C·kh·kw]
//   dx[n]   = col2im(Wᵀ · gy[n])            col2im adds each column entry back to the pixel it came from
//   dW     += gy[n] · columnsᵀ              [O, C·kh·kw]
extension Kernels {
    /// y[N,O,Ho,Wo] = Σ_{c,i,j} w[O,c,i,j] · x[N,c, ho*s - p + i, wo*s - p + j]
    /// (PyTorch conv2d, NCHW, OIHW, zero padding), + bias[O] when given, then max(0, y) when
    /// `relu`: inference fuses the layers that follow a convolution into its last write.
    /// Overwrites output.
    public static func conv2d(input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                              output: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry,
                              bias: UnsafePointer<Float>? = nil, relu: Bool = false) {
        if g.runsDirectly {
            directConvolution(batch: g.batch, images: input, channels: g.inChannels,
                              height: g.inHeight, width: g.inWidth, padding: (g.padding, g.padding),
                              weight: weight, adjoint: false, outChannels: g.outChannels,
                              kernel: (g.kernelHeight, g.kernelWidth), bias: bias, relu: relu,
                              output: output)
            return
        }
        let columnCount = g.imageIsColumnMatrix ? 0 : g.patchSize * g.outPixels
        let scratch = Scratch(workers: workerCount(for: g), floatsPerWorker: columnCount)
        defer { scratch.free() }
        forEachImageRange(g) { worker, images, parallelGEMM in
            let columns = scratch.buffer(of: worker)
            for n in images {
                let image = input + n * g.inputImageSize
                if !g.imageIsColumnMatrix { im2col(image: image, columns: columns, geometry: g) }
                gemm(parallel: parallelGEMM, m: g.outChannels, n: g.outPixels, k: g.patchSize,
                     a: weight, lda: g.patchSize, transposeA: false,
                     b: g.imageIsColumnMatrix ? image : UnsafePointer(columns), ldb: g.outPixels,
                     transposeB: false,
                     c: output + n * g.outputImageSize, ldc: g.outPixels, accumulate: false)
                if bias != nil || relu {
                    addBias(bias, relu: relu, to: output + n * g.outputImageSize,
                            channels: g.outChannels, plane: g.outPixels)
                }
            }
        }
    }

    /// y[o] = max(0, y[o] + bias[o]) (or without either) over one image's planes.
    private static func addBias(_ bias: UnsafePointer<Float>?, relu: Bool,
                                to image: UnsafeMutablePointer<Float>, channels: Int, plane: Int) {
        for channel in 0..<channels {
            let b = bias?[channel] ?? 0
            let values = image + channel * plane
            if relu {
                for i in 0..<plane {
                    let value = values[i] + b
                    values[i] = value > 0 ? value : 0 // as Tensor.relu(), NaN included
                }
            } else {
                for i in 0..<plane { values[i] += b }
            }
        }
    }

    /// The adjoint of conv2d in its input (a transposed convolution): dx[N,C,H,W] from
    /// gy[N,O,Ho,Wo] and w. Overwrites inputGradient.
    public static func conv2dInputGradient(outputGradient: UnsafePointer<Float>,
                                           weight: UnsafePointer<Float>,
                                           inputGradient: UnsafeMutablePointer<Float>,
                                           geometry g: ConvolutionGeometry) {
        if g.inputGradientRunsDirectly {
            // dx = gy padded by k − 1 − p, convolved with the flipped, transposed kernel.
            directConvolution(batch: g.batch, images: outputGradient, channels: g.outChannels,
                              height: g.outHeight, width: g.outWidth,
                              padding: (g.kernelHeight - 1 - g.padding, g.kernelWidth - 1 - g.padding),
                              weight: weight, adjoint: true, outChannels: g.inChannels,
                              kernel: (g.kernelHeight, g.kernelWidth), bias: nil, relu: false,
                              output: inputGradient)
            return
        }
        let columnCount = g.imageIsColumnMatrix ? 0 : g.patchSize * g.outPixels
        let scratch = Scratch(workers: workerCount(for: g), floatsPerWorker: columnCount)
        defer { scratch.free() }
        forEachImageRange(g) { worker, images, parallelGEMM in
            for n in images {
                let imageGradient = inputGradient + n * g.inputImageSize
                // Wᵀ·gy lands straight in dx when the columns are the image itself.
                let columnGradient = g.imageIsColumnMatrix ? imageGradient : scratch.buffer(of: worker)
                gemm(parallel: parallelGEMM, m: g.patchSize, n: g.outPixels, k: g.outChannels,
                     a: weight, lda: g.patchSize, transposeA: true,
                     b: outputGradient + n * g.outputImageSize, ldb: g.outPixels, transposeB: false,
                     c: columnGradient, ldc: g.outPixels, accumulate: false)
                if !g.imageIsColumnMatrix {
                    col2im(columns: columnGradient, image: imageGradient, geometry: g)
                }
            }
        }
    }

    /// The adjoint of conv2d in its weight:
    /// dw[O,C,kh,kw] = Σ_n,ho,wo gy[n,O,ho,wo] · x[n,C,ho*s-p+i, wo*s-p+j]. Overwrites weightGradient.
    public static func conv2dWeightGradient(input: UnsafePointer<Float>,
                                            outputGradient: UnsafePointer<Float>,
                                            weightGradient: UnsafeMutablePointer<Float>,
                                            geometry g: ConvolutionGeometry) {
        if g.runsDirectly {
            directWeightGradient(input: input, outputGradient: outputGradient,
                                 weightGradient: weightGradient, geometry: g)
            return
        }
        let columnCount = g.imageIsColumnMatrix ? 0 : g.patchSize * g.outPixels
        summingOverImageSlices(g, scratchFloats: columnCount, into: weightGradient) { images, columns, dw, parallelGEMM in
            for n in images {
                let image = input + n * g.inputImageSize
                if !g.imageIsColumnMatrix { im2col(image: image, columns: columns, geometry: g) }
                gemm(parallel: parallelGEMM, m: g.outChannels, n: g.patchSize, k: g.outPixels,
                     a: outputGradient + n * g.outputImageSize, lda: g.outPixels, transposeA: false,
                     b: g.imageIsColumnMatrix ? image : UnsafePointer(columns), ldb: g.outPixels,
                     transposeB: true, c: dw, ldc: g.patchSize, accumulate: true)
            }
        }
    }

    /// How many slices the batch of a weight gradient is cut into (fewer for smaller batches).
    /// Fixed, not one per core: so the sums, and a training run's bits, are the same on any machine.
    static let weightGradientSlices = 4

    /// Sums a weight gradient over the batch in `weightGradientSlices` fixed slices of images,
    /// concurrently: `body` adds the slice's images into its own zeroed dw (slice 0's is
    /// `weightGradient`) with `scratchFloats` of scratch; the others are then added in slice order.
    private static func summingOverImageSlices(
        _ g: ConvolutionGeometry, scratchFloats: Int, into weightGradient: UnsafeMutablePointer<Float>,
        _ body: (_ images: Range<Int>, _ scratch: UnsafeMutablePointer<Float>,
                 _ dw: UnsafeMutablePointer<Float>, _ parallelGEMM: Bool) -> Void
    ) {
        let weightCount = g.outChannels * g.patchSize
        weightGradient.update(repeating: 0, count: weightCount)
        guard g.batch > 0 else { return }
        let slices = min(g.batch, weightGradientSlices)
        let scratch = Scratch(workers: slices, floatsPerWorker: scratchFloats + weightCount)
        defer { scratch.free() }
        func sum(_ slice: Int) {
            let dw = slice == 0 ? weightGradient : scratch.buffer(of: slice) + scratchFloats
            if slice != 0 { dw.update(repeating: 0, count: weightCount) }
            body((g.batch * slice / slices)..<(g.batch * (slice + 1) / slices), scratch.buffer(of: slice), dw,
                 slices == 1)
        }
        if slices == 1 || Kernels.workerCount == 1 {
            for slice in 0..<slices { sum(slice) }
        } else {
            DispatchQueue.concurrentPerform(iterations: slices, execute: sum)
        }
        for slice in 1..<slices {
            let partial = scratch.buffer(of: slice) + scratchFloats
            for index in 0..<weightCount { weightGradient[index] += partial[index] }
        }
    }

    // MARK: - Direct stride-1 kernels

    /// Convolves every image of a batch with `camlab_conv_direct`: each worker pads its images
    /// one at a time; a single image splits its output channels over the cores instead.
    private static func directConvolution(batch: Int, images: UnsafePointer<Float>, channels: Int,
                                          height: Int, width: Int, padding: (Int, Int),
                                          weight: UnsafePointer<Float>, adjoint: Bool, outChannels: Int,
                                          kernel: (Int, Int), bias: UnsafePointer<Float>?, relu: Bool,
                                          output: UnsafeMutablePointer<Float>) {
        let (kh, kw) = kernel
        let (paddedHeight, paddedWidth) = (height + 2 * padding.0, width + 2 * padding.1)
        let outputImageSize = outChannels * (paddedHeight - kh + 1) * (paddedWidth - kw + 1)
        let paddedSize = camlab_conv_padded_size(channels, height, width, padding.0, padding.1)
        let packedSize = camlab_conv_packed_weights_size(outChannels, channels, kh, kw)
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: packedSize)
        defer { packed.deallocate() }
        // The OIHW weight is [outChannels][channels] forward, [channels][outChannels] for the adjoint.
        camlab_conv_pack_weights(weight, adjoint ? channels : outChannels, adjoint ? outChannels : channels,
                                 kh, kw, adjoint, packed)
        let blocks = (outChannels + 7) / 8
        let workers = batch >= 2 ? min(batch, workerCount) : 1
        let scratch = Scratch(workers: workers, floatsPerWorker: paddedSize)
        defer { scratch.free() }

        func convolve(_ n: Int, padded: UnsafeMutablePointer<Float>, blocks range: Range<Int>) {
            camlab_conv_direct(padded, channels, paddedHeight, paddedWidth, packed, outChannels, kh, kw,
                               range.lowerBound, range.upperBound, bias, relu, output + n * outputImageSize)
        }
        if workers > 1 {
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let padded = scratch.buffer(of: worker)
                for n in (batch * worker / workers)..<(batch * (worker + 1) / workers) {
                    camlab_conv_pad(images + n * channels * height * width, channels, height, width,
                                    padding.0, padding.1, padded)
                    convolve(n, padded: padded, blocks: 0..<blocks)
                }
            }
            return
        }
        let flops = 2 * outputImageSize * channels * kh * kw
        let splits = flops >= parallelThreshold ? min(blocks, workerCount) : 1
        for n in 0..<batch {
            let padded = scratch.buffer(of: 0)
            camlab_conv_pad(images + n * channels * height * width, channels, height, width,
                            padding.0, padding.1, padded)
            if splits == 1 {
                convolve(n, padded: padded, blocks: 0..<blocks)
            } else {
                DispatchQueue.concurrentPerform(iterations: splits) { split in
                    convolve(n, padded: padded, blocks: (blocks * split / splits)..<(blocks * (split + 1) / splits))
                }
            }
        }
    }

    /// Sums gy·x over a batch with `camlab_conv_weight_gradient`. Each worker takes a fixed range
    /// of images, pads and spreads a few at a time (as many as stay in the core's L2 cache), and
    /// sums into its own dw; worker 0's is the result, the others are added in worker order.
    private static func directWeightGradient(input: UnsafePointer<Float>,
                                             outputGradient: UnsafePointer<Float>,
                                             weightGradient: UnsafeMutablePointer<Float>,
                                             geometry g: ConvolutionGeometry) {
        let (paddedHeight, paddedWidth) = (g.inHeight + 2 * g.padding, g.inWidth + 2 * g.padding)
        let paddedSize = camlab_conv_padded_size(g.inChannels, g.inHeight, g.inWidth, g.padding, g.padding)
        let length = camlab_conv_spread_length(g.outHeight, paddedWidth)
        let spreadSize = camlab_conv_spread_size(g.outChannels, g.outHeight, paddedWidth)
        let chunk = max(1, min(g.batch, directChunkFloats / (paddedSize + spreadSize)))
        summingOverImageSlices(g, scratchFloats: chunk * (paddedSize + spreadSize), into: weightGradient) {
            images, padded, dw, _ in
            let spread = padded + chunk * paddedSize
            for first in stride(from: images.lowerBound, to: images.upperBound, by: chunk) {
                let count = min(chunk, images.upperBound - first)
                for index in 0..<count {
                    let n = first + index
                    camlab_conv_pad(input + n * g.inputImageSize, g.inChannels, g.inHeight, g.inWidth,
                                    g.padding, g.padding, padded + index * paddedSize)
                    camlab_conv_spread(outputGradient + n * g.outputImageSize, g.outChannels,
                                       g.outHeight, g.outWidth, paddedWidth, spread + index * spreadSize)
                }
                camlab_conv_weight_gradient(padded, paddedSize, spread, spreadSize, count, g.inChannels,
                                            paddedHeight, paddedWidth, g.outChannels,
                                            g.kernelHeight, g.kernelWidth, length, dw)
            }
        }
    }

    /// Padded inputs and spread gradients of this many floats (1 MiB) are summed per call.
    private static let directChunkFloats = 1 << 18

    // MARK: - Scheduling

    /// Threads used for a batch: one per image range when the batch has several images,
    /// otherwise one (and the GEMM itself goes parallel).
    private static func workerCount(for g: ConvolutionGeometry) -> Int {
        g.batch >= 2 ? min(g.batch, Kernels.workerCount) : 1
    }

    /// One allocation per call, split into a buffer per worker.
    private struct Scratch {
        let base: UnsafeMutablePointer<Float>
        let floatsPerWorker: Int

        init(workers: Int, floatsPerWorker: Int) {
            self.floatsPerWorker = floatsPerWorker
            base = .allocate(capacity: max(1, workers * floatsPerWorker))
        }

        func buffer(of worker: Int) -> UnsafeMutablePointer<Float> { base + worker * floatsPerWorker }
        func free() { base.deallocate() }
    }

    /// Runs `body` on contiguous, equal ranges of images, one range per worker. `parallelGEMM`
    /// tells the body whether its GEMMs should use the cores themselves: for a single image only,
    /// whatever the core count, so that a GEMM is split the same way on every machine.
    private static func forEachImageRange(
        _ g: ConvolutionGeometry,
        _ body: (_ worker: Int, _ images: Range<Int>, _ parallelGEMM: Bool) -> Void
    ) {
        guard g.batch > 0 else { return }
        let workers = workerCount(for: g)
        if workers == 1 {
            body(0, 0..<g.batch, g.batch == 1)
        } else {
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                body(worker, (g.batch * worker / workers)..<(g.batch * (worker + 1) / workers), false)
            }
        }
    }

    private static func gemm(parallel: Bool, m: Int, n: Int, k: Int,
                             a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                             b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                             c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        if parallel {
            gemm(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA,
                 b: b, ldb: ldb, transposeB: transposeB, c: c, ldc: ldc, accumulate: accumulate)
        } else {
            gemmOnCallingThread(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA,
                                b: b, ldb: ldb, transposeB: transposeB,
                                c: c, ldc: ldc, accumulate: accumulate)
        }
    }

    // MARK: - im2col and its adjoint

    /// For output column `wo` to read input column wo·s − p + j inside [0, width), wo must lie in
    /// the returned range.
    @inline(__always)
    private static func validOutputColumns(offset j: Int, g: ConvolutionGeometry) -> Range<Int> {
        // wo·s − p + j ≥ 0  ⇔  wo ≥ ceil((p − j) / s);   wo·s − p + j ≤ W − 1  ⇔  wo ≤ floor((W − 1 + p − j) / s)
        let low = max(0, (g.padding - j + g.stride - 1) / g.stride)
        let highNumerator = g.inWidth - 1 + g.padding - j
        let high = highNumerator < 0 ? -1 : min(g.outWidth - 1, highNumerator / g.stride)
        return low..<max(low, high + 1)
    }

    /// columns[(c·kh + i)·kw + j, ho·Wo + wo] = image[c, ho·s − p + i, wo·s − p + j], zero outside.
    static func im2col(image: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>,
                       geometry g: ConvolutionGeometry) {
        let (outHeight, outWidth, s, p) = (g.outHeight, g.outWidth, g.stride, g.padding)
        var row = columns
        for c in 0..<g.inChannels {
            let plane = image + c * g.inHeight * g.inWidth
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let valid = validOutputColumns(offset: j, g: g)
                    for ho in 0..<outHeight {
                        let out = row + ho * outWidth
                        let hi = ho * s - p + i
                        guard hi >= 0 && hi < g.inHeight, !valid.isEmpty else {
                            out.update(repeating: 0, count: outWidth)
                            continue
                        }
                        let rowStart = hi * g.inWidth - p + j // + wo·s is the input index
                        for wo in 0..<valid.lowerBound { out[wo] = 0 }
                        if s == 1 {
                            (out + valid.lowerBound).update(from: plane + rowStart + valid.lowerBound,
                                                            count: valid.count)
                        } else {
                            for wo in valid { out[wo] = plane[rowStart + wo * s] }
                        }
                        for wo in valid.upperBound..<outWidth { out[wo] = 0 }
                    }
                    row += outHeight * outWidth
                }
            }
        }
    }

    /// The adjoint of im2col: image[c, ho·s − p + i, wo·s − p + j] = Σ of the column entries read
    /// from it. Overwrites image.
    static func col2im(columns: UnsafePointer<Float>, image: UnsafeMutablePointer<Float>,
                       geometry g: ConvolutionGeometry) {
        let (outHeight, outWidth, s, p) = (g.outHeight, g.outWidth, g.stride, g.padding)
        image.update(repeating: 0, count: g.inputImageSize)
        var row = columns
        for c in 0..<g.inChannels {
            let plane = image + c * g.inHeight * g.inWidth
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let valid = validOutputColumns(offset: j, g: g)
                    for ho in 0..<outHeight {
                        let hi = ho * s - p + i
                        guard hi >= 0 && hi < g.inHeight else { continue }
                        let source = row + ho * outWidth
                        let rowStart = hi * g.inWidth - p + j
                        if s == 1 { // contiguous: a loop the compiler vectorizes
                            let target = plane + rowStart + valid.lowerBound
                            let from = source + valid.lowerBound
                            for offset in 0..<valid.count { target[offset] += from[offset] }
                        } else {
                            for wo in valid { plane[rowStart + wo * s] += source[wo] }
                        }
                    }
                    row += outHeight * outWidth
                }
            }
        }
    }
}
