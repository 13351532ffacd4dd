import CamlabKernels
import Dispatch

/// Shapes of a 2-D convolution as PyTorch's `F.conv2d(x, w, b, stride, padding, dilation, groups)`
/// has them: input [batch, inChannels, inHeight, inWidth] (NCHW), weight
/// [outChannels, inChannels / groups, kernelHeight, kernelWidth] (OIHW), zero padding on every side.
///
/// - `dilation` spaces the kernel's taps: tap (i, j) reads input (ho·s − p + i·d, wo·s − p + j·d).
/// - `groups` splits the channels into that many independent convolutions: output channel o sees
///   only the input channels of its group, o / (outChannels / groups).
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
    public var dilation: Int
    public var groups: Int

    /// ⌊(H + 2p − d·(k − 1) − 1) / s⌋ + 1, PyTorch's output size.
    public var outHeight: Int { (inHeight + 2 * padding - dilation * (kernelHeight - 1) - 1) / stride + 1 }
    public var outWidth: Int { (inWidth + 2 * padding - dilation * (kernelWidth - 1) - 1) / stride + 1 }

    public init(batch: Int, inChannels: Int, inHeight: Int, inWidth: Int, outChannels: Int,
                kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int,
                dilation: Int = 1, groups: Int = 1) {
        precondition(batch >= 0 && inChannels > 0 && outChannels > 0, "convolution: bad channel counts")
        precondition(groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
                     "convolution: \(inChannels) input and \(outChannels) output channels cannot be split into \(groups) groups")
        precondition(kernelHeight > 0 && kernelWidth > 0 && stride > 0 && padding >= 0 && dilation > 0,
                     "convolution: bad kernel, stride, padding or dilation")
        precondition(inHeight + 2 * padding >= dilation * (kernelHeight - 1) + 1
                        && inWidth + 2 * padding >= dilation * (kernelWidth - 1) + 1,
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
        self.dilation = dilation
        self.groups = groups
    }

    /// Input channels of one group: the weight's second axis.
    public var groupInChannels: Int { inChannels / groups }
    /// Output channels of one group.
    public var groupOutChannels: Int { outChannels / groups }

    /// Elements of one input image, C·H·W.
    var inputImageSize: Int { inChannels * inHeight * inWidth }
    /// Elements of one output image, O·Ho·Wo.
    var outputImageSize: Int { outChannels * outPixels }
    /// Output positions per image, Ho·Wo: the n of the per-image GEMM.
    var outPixels: Int { outHeight * outWidth }
    /// Weights per output channel, (C / groups)·kh·kw: the k of a group's forward GEMM (its rows of
    /// the column matrix).
    var patchSize: Int { groupInChannels * kernelHeight * kernelWidth }
    /// One group's convolution on its own: C/G input and O/G output channels. im2col and col2im
    /// see a group's channels through it.
    var oneGroup: ConvolutionGeometry {
        var group = self
        (group.inChannels, group.outChannels, group.groups) = (groupInChannels, groupOutChannels, 1)
        return group
    }
    /// Elements of one group's input planes in an image, (C / groups)·H·W.
    var groupInputSize: Int { groupInChannels * inHeight * inWidth }
    /// Elements of one group's weight, (O / groups)·(C / groups)·kh·kw.
    var groupWeightSize: Int { groupOutChannels * patchSize }
    /// A 1×1 kernel with stride 1 and no padding reads the image itself as its column matrix.
    var imageIsColumnMatrix: Bool {
        kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0
    }
    /// Undilated convolutions run the direct kernels of `convolution.c` (no column matrices),
    /// one call per group, strided ones as the sum of their stride² phases; the rest build im2col
    /// columns for the GEMM. A strided 1×1 kernel (a ResNet's downsample) reads one pixel in
    /// stride² of the image: its columns are a small copy and the GEMM is the convolution.
    var runsDirectly: Bool {
        dilation == 1 && !imageIsColumnMatrix && (stride == 1 || kernelHeight * kernelWidth > 1)
    }
    /// The backward passes run directly for stride 1: the input gradient as a "full" convolution
    /// of the padded output gradient, which needs padding ≤ kernel − 1 on both axes.
    var gradientsRunDirectly: Bool { runsDirectly && stride == 1 }
    var inputGradientRunsDirectly: Bool {
        gradientsRunDirectly && padding < kernelHeight && padding < kernelWidth
    }
}

// Two ways to run a convolution (and a third, Winograd F(4×4, 3×3), for the 3×3 stride-1
// convolutions of scoring passes: Winograd.swift):
//
// No dilation (every convolution of the lessons' networks, and all but the strided 1×1 ones of a
// ResNet): the direct kernels of convolution.c, which read each tap of the kernel as a shifted
// view of the zero-padded image, or of one of its stride² phases (see its header). Their
// gradients run directly for stride 1.
//
// Dilations, strided 1×1 kernels, and the gradients of strided convolutions, as matrix
// multiply, per image n:
//   columns = im2col(x[n])                  [C·kh·kw, Ho·Wo]   columns[(c,i,j), (ho,wo)] = x[c, ho·s−p+i·d, wo·s−p+j·d]
//   y[n]    = W · columns                   [O, Ho·Wo]         W viewed as [O, C·kh·kw]
//   dx[n]   = col2im(Wᵀ · gy[n])            col2im adds each column entry back to the pixel it came from
//   dW     += gy[n] · columnsᵀ              [O, C·kh·kw]
//
// Groups: group k's input channels are planes k·(C/G)… of x, its weights rows k·(O/G)… of W and
// its outputs planes k·(O/G)… of y, all contiguous. So each way runs once per group on those
// slices, with nothing copied: im2col of the group's planes and W_k · columns_k (the columns of
// one group at a time stay in cache), or one direct-kernel call per group.
extension Kernels {
    /// y[N,O,Ho,Wo] = Σ_{c,i,j} w[O,c,i,j] · x[N, group(O)·C/G + c, ho*s − p + i*d, wo*s − p + j*d]
    /// (PyTorch conv2d, NCHW, OIHW, zero padding), + bias[O] when given, + residual[N,O,Ho,Wo]
    /// when given, then max(0, y) when `relu`: inference fuses the layers that follow a
    /// convolution (a residual block's add and ReLU too) into its last write. Overwrites output.
    /// `packedWeight`, when given, is `weight` already laid out by `PackedConvolutionWeight`: for
    /// the direct kernels, or (one group only) as the GEMM's packed A. `winogradWeight`, when
    /// given, is `weight` transformed by `packWinogradWeights` for a geometry that `runsWinograd`;
    /// a sum that overflows there is computed again directly.
    public static func conv2d(input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                              output: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry,
                              bias: UnsafePointer<Float>? = nil, residual: UnsafePointer<Float>? = nil,
                              relu: Bool = false, packedWeight: UnsafePointer<Float>? = nil,
                              winogradWeight: UnsafePointer<Float>? = nil) {
        if let winogradWeight, winogradConvolution(input: input, packed: winogradWeight, output: output, geometry: g,
                                                   bias: bias, residual: residual, relu: relu) {
            return
        }
        if g.runsDirectly {
            directConvolution(batch: g.batch, images: input, channels: g.inChannels,
                              height: g.inHeight, width: g.inWidth, padding: (g.padding, g.padding), stride: g.stride,
                              weight: weight, adjoint: false, outChannels: g.outChannels, groups: g.groups,
                              kernel: (g.kernelHeight, g.kernelWidth), bias: bias, residual: residual, relu: relu,
                              prepacked: packedWeight, output: output)
            return
        }
        precondition(packedWeight == nil || g.groups == 1, "conv2d: a grouped GEMM packs its weight per group")
        let columnCount = g.imageIsColumnMatrix ? 0 : g.patchSize * g.outPixels
        let scratch = Scratch(workers: max(workerCount(for: g), groupWorkerCount(for: g)), floatsPerWorker: columnCount)
        defer { scratch.free() }
        forEachImageRange(g) { worker, images, parallelGEMM in
            for n in images {
                forEachGroup(g, parallelGEMM: parallelGEMM, worker: worker) { group, parallelGEMM, worker in
                    let groupImage = input + n * g.inputImageSize + group * g.groupInputSize
                    let columns = scratch.buffer(of: worker)
                    if !g.imageIsColumnMatrix { im2col(image: groupImage, columns: columns, geometry: g.oneGroup) }
                    let b = g.imageIsColumnMatrix ? groupImage : UnsafePointer(columns)
                    // The group's planes of the output (and of the residual) and its slice of the bias.
                    let planes = n * g.outputImageSize + group * g.groupOutChannels * g.outPixels
                    let (c, groupResidual) = (output + planes, residual.map { $0 + planes })
                    let groupBias = bias.map { $0 + group * g.groupOutChannels }
                    if let packedWeight { // the GEMM finishes each tile as it writes it
                        gemm(m: g.outChannels, n: g.outPixels, k: g.patchSize, packedA: packedWeight, b: b,
                             ldb: g.outPixels, c: c, ldc: g.outPixels, bias: groupBias, residual: groupResidual,
                             relu: relu, parallel: parallelGEMM)
                    } else {
                        gemm(parallel: parallelGEMM, m: g.groupOutChannels, n: g.outPixels, k: g.patchSize,
                             a: weight + group * g.groupWeightSize, lda: g.patchSize, transposeA: false,
                             b: b, ldb: g.outPixels, transposeB: false, c: c, ldc: g.outPixels, accumulate: false)
                        finish(c, bias: groupBias, residual: groupResidual, relu: relu,
                               channels: g.groupOutChannels, plane: g.outPixels)
                    }
                }
            }
        }
    }

    /// y = max(0, (y + bias[o]) + residual) over `channels` planes, each part only when asked
    /// for, in place: the same last write as the direct kernels'.
    private static func finish(_ image: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?,
                               residual: UnsafePointer<Float>?, relu: Bool, channels: Int, plane: Int) {
        guard bias != nil || residual != nil || relu else { return }
        for channel in 0..<channels {
            let values = image + channel * plane
            camlab_conv_finish(values, bias?[channel] ?? 0, residual.map { $0 + channel * plane }, relu, values, plane)
        }
    }

    /// The adjoint of conv2d in its input (a transposed convolution): dx[N,C,H,W] from
    /// gy[N,O,Ho,Wo] and w. Overwrites inputGradient.
    ///
    /// `mask` (gy's shape; direct geometries only) counts gy only where mask > 0: passed back
    /// through the ReLU whose output is mask, as the kernels copy gy.
    public static func conv2dInputGradient(outputGradient: UnsafePointer<Float>,
                                           weight: UnsafePointer<Float>,
                                           inputGradient: UnsafeMutablePointer<Float>,
                                           geometry g: ConvolutionGeometry, mask: UnsafePointer<Float>? = nil) {
        precondition(mask == nil || g.inputGradientRunsDirectly, "conv2dInputGradient: a mask needs the direct kernels")
        if g.inputGradientRunsDirectly {
            // dx = gy padded by k − 1 − p, convolved with the flipped, transposed kernel.
            directConvolution(batch: g.batch, images: outputGradient, channels: g.outChannels,
                              height: g.outHeight, width: g.outWidth,
                              padding: (g.kernelHeight - 1 - g.padding, g.kernelWidth - 1 - g.padding),
                              weight: weight, adjoint: true, outChannels: g.inChannels, groups: g.groups,
                              kernel: (g.kernelHeight, g.kernelWidth), bias: nil, relu: false,
                              mask: mask, output: inputGradient)
            return
        }
        let columnCount = g.imageIsColumnMatrix ? 0 : g.patchSize * g.outPixels
        let scratch = Scratch(workers: max(workerCount(for: g), groupWorkerCount(for: g)), floatsPerWorker: columnCount)
        defer { scratch.free() }
        forEachImageRange(g) { worker, images, parallelGEMM in
            for n in images {
                let imageOutputGradient = outputGradient + n * g.outputImageSize
                forEachGroup(g, parallelGEMM: parallelGEMM, worker: worker) { group, parallelGEMM, worker in
                    let groupGradient = inputGradient + n * g.inputImageSize + group * g.groupInputSize
                    // Wᵀ·gy lands straight in dx when the columns are the image itself.
                    let columnGradient = g.imageIsColumnMatrix ? groupGradient : scratch.buffer(of: worker)
                    gemm(parallel: parallelGEMM, m: g.patchSize, n: g.outPixels, k: g.groupOutChannels,
                         a: weight + group * g.groupWeightSize, lda: g.patchSize, transposeA: true,
                         b: imageOutputGradient + group * g.groupOutChannels * g.outPixels, ldb: g.outPixels,
                         transposeB: false, c: columnGradient, ldc: g.outPixels, accumulate: false)
                    if !g.imageIsColumnMatrix {
                        col2im(columns: columnGradient, image: groupGradient, geometry: g.oneGroup)
                    }
                }
            }
        }
    }

    /// The adjoint of conv2d in its weight:
    /// dw[O,c,kh,kw] = Σ_n,ho,wo gy[n,O,ho,wo] · x[n, group(O)·C/G + c, ho*s − p + i*d, wo*s − p + j*d].
    /// Overwrites weightGradient.
    ///
    /// Direct geometries only: `mask` as in `conv2dInputGradient`, and `biasGradient`, when
    /// given, overwritten with Σ_n,ho,wo of gy (masked), summed as gy is copied.
    public static func conv2dWeightGradient(input: UnsafePointer<Float>,
                                            outputGradient: UnsafePointer<Float>,
                                            weightGradient: UnsafeMutablePointer<Float>,
                                            geometry g: ConvolutionGeometry, mask: UnsafePointer<Float>? = nil,
                                            biasGradient: UnsafeMutablePointer<Float>? = nil) {
        precondition((mask == nil && biasGradient == nil) || g.gradientsRunDirectly,
                     "conv2dWeightGradient: a mask or a bias gradient needs the direct kernels")
        if g.gradientsRunDirectly {
            directWeightGradient(input: input, outputGradient: outputGradient, mask: mask,
                                 weightGradient: weightGradient, biasGradient: biasGradient, geometry: g)
            return
        }
        let columnCount = g.imageIsColumnMatrix ? 0 : g.patchSize * g.outPixels
        // A single image (one slice) may spread its groups over the cores, each with its columns.
        let columnBuffers = g.batch == 1 ? groupWorkerCount(for: g) : 1
        summingOverImageSlices(g, scratchFloats: columnBuffers * columnCount, into: weightGradient) {
            _, images, scratch, dw, parallelGEMM in
            for n in images {
                let imageOutputGradient = outputGradient + n * g.outputImageSize
                forEachGroup(g, parallelGEMM: parallelGEMM, worker: 0) { group, parallelGEMM, worker in
                    let groupImage = input + n * g.inputImageSize + group * g.groupInputSize
                    let columns = scratch + worker * columnCount
                    if !g.imageIsColumnMatrix { im2col(image: groupImage, columns: columns, geometry: g.oneGroup) }
                    gemm(parallel: parallelGEMM, m: g.groupOutChannels, n: g.patchSize, k: g.outPixels,
                         a: imageOutputGradient + group * g.groupOutChannels * g.outPixels, lda: g.outPixels,
                         transposeA: false,
                         b: g.imageIsColumnMatrix ? groupImage : UnsafePointer(columns), ldb: g.outPixels,
                         transposeB: true, c: dw + group * g.groupWeightSize, ldc: g.patchSize, accumulate: true)
                }
            }
        }
    }

    /// Runs `body` for each group of one image, with the index of the scratch buffer to use.
    /// Groups write disjoint slices, so when the caller has the cores to itself (`parallelGEMM`,
    /// a single image) and the groups carry enough work, they are spread over
    /// `groupWorkerCount(for:)` workers in contiguous ranges, each with its own buffer; otherwise
    /// they run in order with the caller's `worker` buffer. The products of grouped convolutions
    /// always run on the calling thread: whether a product is split over the cores then depends on
    /// the shape alone, so results are the same bits on any machine (see `gemm`).
    @inline(__always)
    private static func forEachGroup(_ g: ConvolutionGeometry, parallelGEMM: Bool, worker: Int,
                                     _ body: (_ group: Int, _ parallelGEMM: Bool, _ worker: Int) -> Void) {
        guard g.groups > 1 else { return body(0, parallelGEMM, worker) }
        let workers = parallelGEMM ? groupWorkerCount(for: g) : 1
        ParallelLoops.forEachChunk(of: g.groups, workers: workers) { groupWorker, groups in
            for group in groups { body(group, false, workers == 1 ? worker : groupWorker) }
        }
    }

    /// The workers `forEachGroup` spreads a single image's groups over: one per core when the
    /// groups carry at least `parallelThreshold` of work, otherwise one.
    private static func groupWorkerCount(for g: ConvolutionGeometry) -> Int {
        guard g.groups > 1 else { return 1 }
        let flops = 2 * g.outChannels * g.patchSize * g.outPixels
        return flops >= parallelThreshold ? min(g.groups, workerCount) : 1
    }

    /// How many slices the batch of a weight gradient is cut into (fewer for smaller batches).
    /// Fixed, not one per core: so the sums, and a training run's bits, are the same on any machine.
    static let weightGradientSlices = 4

    /// Sums a weight gradient over the batch in `weightGradientSlices` fixed slices of images,
    /// concurrently: `body` adds the slice's images into its own zeroed dw (slice 0's is
    /// `weightGradient`) with `scratchFloats` of scratch; the others are then added in slice order.
    private static func summingOverImageSlices(
        _ g: ConvolutionGeometry, scratchFloats: Int, into weightGradient: UnsafeMutablePointer<Float>,
        _ body: (_ slice: Int, _ images: Range<Int>, _ scratch: UnsafeMutablePointer<Float>,
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
            body(slice, (g.batch * slice / slices)..<(g.batch * (slice + 1) / slices), scratch.buffer(of: slice), dw,
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

    // MARK: - Direct kernels

    /// Floats of `packWeights`' layout of a forward convolution's weight, or nil when the
    /// convolution does not run on the direct kernels.
    static func packedWeightCount(_ g: ConvolutionGeometry) -> Int? {
        if g.runsDirectly {
            return g.groups * camlab_conv_packed_weights_size(g.groupOutChannels, g.groupInChannels, g.kernelHeight, g.kernelWidth)
        }
        return g.groups == 1 ? packedACount(m: g.outChannels, k: g.patchSize) : nil
    }

    /// Lays out a forward convolution's OIHW weight as `conv2d(…packedWeight:)` reads it.
    static func packWeight(_ weight: UnsafePointer<Float>, geometry g: ConvolutionGeometry,
                           into packed: UnsafeMutablePointer<Float>) {
        if g.runsDirectly {
            packDirectWeights(weight, groups: g.groups, groupOutChannels: g.groupOutChannels, groupChannels: g.groupInChannels,
                        kernel: (g.kernelHeight, g.kernelWidth), stride: g.stride, adjoint: false, into: packed)
        } else {
            packA(m: g.outChannels, k: g.patchSize, a: weight, into: packed)
        }
    }

    /// Lays out an OIHW weight for `camlab_conv_direct`, group after group. A group's weight is
    /// [groupOutChannels][groupChannels] forward, and [groupChannels][groupOutChannels] for the
    /// adjoint (the forward convolution's O and C/G).
    static func packDirectWeights(_ weight: UnsafePointer<Float>, groups: Int, groupOutChannels: Int, groupChannels: Int,
                            kernel: (Int, Int), stride: Int, adjoint: Bool, into packed: UnsafeMutablePointer<Float>) {
        let (kh, kw) = kernel
        let packedSize = camlab_conv_packed_weights_size(groupOutChannels, groupChannels, kh, kw)
        for group in 0..<groups {
            camlab_conv_pack_weights(weight + group * groupOutChannels * groupChannels * kh * kw,
                                     adjoint ? groupChannels : groupOutChannels,
                                     adjoint ? groupOutChannels : groupChannels,
                                     kh, kw, stride, adjoint, packed + group * packedSize)
        }
    }

    /// Convolves every image of a batch with `camlab_conv_direct`, one call per group (its planes
    /// of the padded image, its packed weights, its output planes): each worker pads its images
    /// one at a time; a single image splits its groups' blocks of output channels over the cores
    /// instead.
    private static func directConvolution(batch: Int, images: UnsafePointer<Float>, channels: Int,
                                          height: Int, width: Int, padding: (Int, Int), stride: Int = 1,
                                          weight: UnsafePointer<Float>, adjoint: Bool, outChannels: Int,
                                          groups: Int, kernel: (Int, Int), bias: UnsafePointer<Float>?,
                                          residual: UnsafePointer<Float>? = nil, relu: Bool,
                                          prepacked: UnsafePointer<Float>? = nil, mask: UnsafePointer<Float>? = nil,
                                          output: UnsafeMutablePointer<Float>) {
        let (kh, kw) = kernel
        let (paddedHeight, paddedWidth) = (height + 2 * padding.0, width + 2 * padding.1)
        let outPlane = ((paddedHeight - kh) / stride + 1) * ((paddedWidth - kw) / stride + 1)
        let outputImageSize = outChannels * outPlane
        let (groupChannels, groupOutChannels) = (channels / groups, outChannels / groups)
        // One channel's planes: its stride² phases, each ⌈padded / stride⌉ on both axes.
        let paddedPlane = stride * stride * ((paddedHeight + stride - 1) / stride) * ((paddedWidth + stride - 1) / stride)
        let paddedSize = camlab_conv_padded_size(channels, height, width, padding.0, padding.1, stride)
        let packedSize = camlab_conv_packed_weights_size(groupOutChannels, groupChannels, kh, kw)
        let ownPacking = prepacked == nil ? UnsafeMutablePointer<Float>.allocate(capacity: groups * packedSize) : nil
        defer { ownPacking?.deallocate() }
        if let ownPacking {
            packDirectWeights(weight, groups: groups, groupOutChannels: groupOutChannels, groupChannels: groupChannels,
                        kernel: kernel, stride: stride, adjoint: adjoint, into: ownPacking)
        }
        let packed = prepacked ?? UnsafePointer(ownPacking!)
        // Work units: blocks of 8 output channels of every group, group after group.
        let blocks = (groupOutChannels + 7) / 8
        let units = groups * blocks
        let workers = batch >= 2 ? min(batch, workerCount) : 1
        let scratch = Scratch(workers: workers, floatsPerWorker: paddedSize)
        defer { scratch.free() }

        func convolve(_ n: Int, padded: UnsafeMutablePointer<Float>, units range: Range<Int>) {
            guard !range.isEmpty else { return }
            for group in (range.lowerBound / blocks)...((range.upperBound - 1) / blocks) {
                let first = Swift.max(range.lowerBound - group * blocks, 0)
                let end = Swift.min(range.upperBound - group * blocks, blocks)
                camlab_conv_direct(padded + group * groupChannels * paddedPlane, groupChannels,
                                   paddedHeight, paddedWidth, stride, packed + group * packedSize, groupOutChannels,
                                   kh, kw, first, end, bias.map { $0 + group * groupOutChannels },
                                   residual.map { $0 + n * outputImageSize + group * groupOutChannels * outPlane }, relu,
                                   output + n * outputImageSize + group * groupOutChannels * outPlane)
            }
        }
        // A single image splits its units instead, when they are worth a thread each.
        let flops = 2 * outputImageSize * groupChannels * kh * kw
        let splits = workers == 1 && flops >= parallelThreshold ? workerCount : 1
        ParallelLoops.forEachChunk(of: batch, workers: workers) { worker, range in
            let padded = scratch.buffer(of: worker)
            for n in range {
                let imageSize = channels * height * width
                camlab_conv_pad(images + n * imageSize, mask.map { $0 + n * imageSize }, channels, height, width,
                                padding.0, padding.1, stride, padded)
                ParallelLoops.forEachChunk(of: units, workers: splits) { _, part in convolve(n, padded: padded, units: part) }
            }
        }
    }

    /// Sums gy·x over a batch with `camlab_conv_weight_gradient`, one call per group. Each worker
    /// takes a fixed range of images, pads and spreads a few at a time (as many as stay in the
    /// core's L2 cache), and sums into its own dw; worker 0's is the result, the others are added
    /// in worker order. Each group's gradient rows are spread as a block of their own, so the
    /// kernel's whole tiles of rows read that group's zero rows, never the next group's. The
    /// bias gradient is summed per slice as gy is spread, and the slices added in order too.
    private static func directWeightGradient(input: UnsafePointer<Float>,
                                             outputGradient: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                                             weightGradient: UnsafeMutablePointer<Float>,
                                             biasGradient: UnsafeMutablePointer<Float>?,
                                             geometry g: ConvolutionGeometry) {
        let (paddedHeight, paddedWidth) = (g.inHeight + 2 * g.padding, g.inWidth + 2 * g.padding)
        let paddedPlane = paddedHeight * paddedWidth
        let paddedSize = camlab_conv_padded_size(g.inChannels, g.inHeight, g.inWidth, g.padding, g.padding, 1)
        let length = camlab_conv_spread_length(g.outHeight, paddedWidth)
        let groupSpreadSize = camlab_conv_spread_size(g.groupOutChannels, g.outHeight, paddedWidth)
        let spreadSize = g.groups * groupSpreadSize
        let chunk = max(1, min(g.batch, directChunkFloats / (paddedSize + spreadSize)))
        let sliceSums = biasGradient.map { _ in UnsafeMutablePointer<Float>.allocate(capacity: weightGradientSlices * g.outChannels) }
        sliceSums?.initialize(repeating: 0, count: weightGradientSlices * g.outChannels)
        defer { sliceSums?.deallocate() }
        summingOverImageSlices(g, scratchFloats: chunk * (paddedSize + spreadSize), into: weightGradient) {
            slice, images, padded, dw, _ in
            let spread = padded + chunk * paddedSize
            let sums = sliceSums.map { $0 + slice * g.outChannels }
            for first in stride(from: images.lowerBound, to: images.upperBound, by: chunk) {
                let count = min(chunk, images.upperBound - first)
                for index in 0..<count {
                    let n = first + index
                    camlab_conv_pad(input + n * g.inputImageSize, nil, g.inChannels, g.inHeight, g.inWidth,
                                    g.padding, g.padding, 1, padded + index * paddedSize)
                    for group in 0..<g.groups {
                        let offset = n * g.outputImageSize + group * g.groupOutChannels * g.outPixels
                        camlab_conv_spread(outputGradient + offset, mask.map { $0 + offset },
                                           g.groupOutChannels, g.outHeight, g.outWidth, paddedWidth,
                                           spread + index * spreadSize + group * groupSpreadSize,
                                           sums.map { $0 + group * g.groupOutChannels })
                    }
                }
                for group in 0..<g.groups {
                    camlab_conv_weight_gradient(padded + group * g.groupInChannels * paddedPlane, paddedSize,
                                                spread + group * groupSpreadSize, spreadSize, count,
                                                g.groupInChannels, paddedHeight, paddedWidth, g.groupOutChannels,
                                                g.kernelHeight, g.kernelWidth, length,
                                                dw + group * g.groupWeightSize)
                }
            }
        }
        if let biasGradient, let sliceSums {
            biasGradient.update(repeating: 0, count: g.outChannels)
            for slice in 0..<weightGradientSlices {
                for o in 0..<g.outChannels { biasGradient[o] += sliceSums[slice * g.outChannels + o] }
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
        ParallelLoops.forEachChunk(of: g.batch, workers: workerCount(for: g)) { worker, images in
            body(worker, images, g.batch == 1)
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

    /// For output column `wo` to read input column wo·s − p + offset inside [0, width), wo must
    /// lie in the returned range (`offset` is j·d for tap j).
    @inline(__always)
    private static func validOutputColumns(offset j: Int, g: ConvolutionGeometry) -> Range<Int> {
        // wo·s − p + j ≥ 0  ⇔  wo ≥ ceil((p − j) / s);   wo·s − p + j ≤ W − 1  ⇔  wo ≤ floor((W − 1 + p − j) / s)
        let low = max(0, (g.padding - j + g.stride - 1) / g.stride)
        let highNumerator = g.inWidth - 1 + g.padding - j
        let high = highNumerator < 0 ? -1 : min(g.outWidth - 1, highNumerator / g.stride)
        return low..<max(low, high + 1)
    }

    /// columns[(c·kh + i)·kw + j, ho·Wo + wo] = image[c, ho·s − p + i·d, wo·s − p + j·d], zero
    /// outside, over the geometry's channels (for a group: its planes, through `oneGroup`).
    static func im2col(image: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>,
                       geometry g: ConvolutionGeometry) {
        let (outHeight, outWidth, s, p, d) = (g.outHeight, g.outWidth, g.stride, g.padding, g.dilation)
        var row = columns
        for c in 0..<g.inChannels {
            let plane = image + c * g.inHeight * g.inWidth
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let valid = validOutputColumns(offset: j * d, g: g)
                    for ho in 0..<outHeight {
                        let out = row + ho * outWidth
                        let hi = ho * s - p + i * d
                        guard hi >= 0 && hi < g.inHeight, !valid.isEmpty else {
                            out.update(repeating: 0, count: outWidth)
                            continue
                        }
                        let rowStart = hi * g.inWidth - p + j * d // + wo·s is the input index
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

    /// The adjoint of im2col: image[c, ho·s − p + i·d, wo·s − p + j·d] = Σ of the column entries
    /// read from it. Overwrites image.
    static func col2im(columns: UnsafePointer<Float>, image: UnsafeMutablePointer<Float>,
                       geometry g: ConvolutionGeometry) {
        let (outHeight, outWidth, s, p, d) = (g.outHeight, g.outWidth, g.stride, g.padding, g.dilation)
        image.update(repeating: 0, count: g.inputImageSize)
        var row = columns
        for c in 0..<g.inChannels {
            let plane = image + c * g.inHeight * g.inWidth
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let valid = validOutputColumns(offset: j * d, g: g)
                    for ho in 0..<outHeight {
                        let hi = ho * s - p + i * d
                        guard hi >= 0 && hi < g.inHeight else { continue }
                        let source = row + ho * outWidth
                        let rowStart = hi * g.inWidth - p + j * d
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
