/// Pooling, composed from gathering so that the derivative rules of `gathered` and
/// `scatteredAdding` serve for every order of differentiation.
extension Tensor {
    /// 2-D max pooling of an NCHW tensor: PyTorch's
    /// `F.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)`, square windows.
    ///
    /// - `stride` defaults to the kernel.
    /// - Padding is −∞: a padded position never wins. PyTorch allows at most kernel / 2.
    /// - `dilation` spaces the window's taps (window (oy, ox) reads rows oy·s − p + ky·d).
    /// - `ceilMode` rounds the output size up, so the last windows may hang over the bottom and
    ///   right edges (those positions are ignored too) — but, as in PyTorch, a window is only
    ///   added if it starts inside the input or its top/left padding.
    ///
    /// The winning positions are found first and the result is recorded as a gather from them, so
    /// the gradient goes to the first maximum of each window, as in PyTorch.
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
                          ceilMode: Bool = false) -> Tensor {
        let stride = stride ?? kernel
        precondition(rank == 4, "maxPool2d: the input must be NCHW (rank 4), got shape \(shape)")
        precondition(kernel >= 1 && stride >= 1 && dilation >= 1 && padding >= 0 && padding * 2 <= kernel,
                     "maxPool2d: kernel \(kernel), stride \(stride), padding \(padding), dilation \(dilation) are invalid (padding must be at most half the kernel)")
        let window = PoolingWindow(planes: shape[0] * shape[1], height: shape[2], width: shape[3],
                                   kernel: kernel, stride: stride, padding: padding, dilation: dilation,
                                   ceilMode: ceilMode)
        precondition(window.outHeight >= 1 && window.outWidth >= 1,
                     "maxPool2d: kernel \(kernel) with dilation \(dilation) does not fit input \(shape) with padding \(padding)")
        // PyTorch returns −∞ there, with an index outside the window, and its backward pass fails.
        precondition(window.everyWindowReadsTheInput,
                     "maxPool2d: with kernel \(kernel), stride \(stride), padding \(padding) and dilation \(dilation), a window of input \(shape) reads only padding")
        let outShape = [shape[0], shape[1], window.outHeight, window.outWidth]
        if !(GradientMode.isRecording && requiresGradient) {
            // Nothing will differentiate this result (inference, Score-CAM's masked images): the
            // maxima are enough, and tracking the winners' positions would cost twice as much.
            if window.staysInside { return Tensor(shape: outShape, scalars: maxima(in: window)) }
            if window.isResNetStem { return Tensor(shape: outShape, scalars: separableMaxima(in: window)) }
            let (padded, unpadded) = paddedWithNegativeInfinity(for: window)
            return Tensor(shape: outShape, scalars: padded.maxima(in: unpadded))
        }
        let (indices, values) = winners(in: window)
        return Tensor(shape: outShape, scalars: values, operation: .gather(indices: indices), inputs: [self])
    }

    /// PyTorch's output size of a pooling along an axis of `size`:
    /// ⌊(size + 2p − d·(k − 1) − 1) / s⌋ + 1, or with ⌈ ⌉ in ceil mode — less one if that last
    /// window would start past the input and its left padding, (out − 1)·s ≥ size + p.
    static func pooledSize(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int,
                           ceilMode: Bool) -> Int {
        let span = size + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)
        // Floor division, also for a negative span (a kernel larger than the padded input).
        var count = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1
        if ceilMode && (count - 1) * stride >= size + padding { count -= 1 }
        return count
    }

    /// The geometry of a max pooling: `planes` images of height × width, square windows.
    struct PoolingWindow {
        var planes, height, width, kernel, stride, padding, dilation: Int
        var ceilMode: Bool
        var outHeight: Int {
            Tensor.pooledSize(height, kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
        }
        var outWidth: Int {
            Tensor.pooledSize(width, kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
        }
        /// Every window lies inside the input: no padding, and no ceil-mode window hanging over an
        /// edge. Only then may the loops that do not check bounds read the windows.
        var staysInside: Bool {
            padding == 0 && (outHeight - 1) * stride + dilation * (kernel - 1) < height
                && (outWidth - 1) * stride + dilation * (kernel - 1) < width
        }
        /// Whether every window has a tap inside the input (a dilated window over a small input
        /// can step from the padding straight past the input).
        var everyWindowReadsTheInput: Bool {
            func covered(_ size: Int, _ count: Int) -> Bool {
                (0..<count).allSatisfy { o in
                    (0..<kernel).contains { k in (0..<size).contains(o * stride - padding + k * dilation) }
                }
            }
            return covered(height, outHeight) && covered(width, outWidth)
        }
        /// The usual 2×2 pooling, which has vectorized loops of its own.
        var isTwoByTwo: Bool { kernel == 2 && stride == 2 && dilation == 1 && staysInside }
        /// A ResNet stem's 3×3/2 pooling with padding 1, which `separableMaxima` computes.
        var isResNetStem: Bool {
            kernel == 3 && stride == 2 && padding == 1 && dilation == 1 && !ceilMode && width >= 2
        }
    }

    /// These planes padded with −∞ by the window's padding on every side, and further on the
    /// bottom and right as far as ceil-mode windows reach, with the same pooling on them unpadded:
    /// its windows stay inside, so the vectorized loops can take them. −∞ never beats a value of
    /// the input (a NaN replaces it, a real −∞ has its bits), so the maxima are the same.
    private func paddedWithNegativeInfinity(for w: PoolingWindow) -> (Tensor, PoolingWindow) {
        let span = w.dilation * (w.kernel - 1) + 1
        var unpadded = w
        unpadded.height = Swift.max(w.height + 2 * w.padding, (w.outHeight - 1) * w.stride + span)
        unpadded.width = Swift.max(w.width + 2 * w.padding, (w.outWidth - 1) * w.stride + span)
        (unpadded.padding, unpadded.ceilMode) = (0, false)
        assert(unpadded.outHeight == w.outHeight && unpadded.outWidth == w.outWidth && unpadded.staysInside)
        let (height, width) = (unpadded.height, unpadded.width)
        let values = [Float](unsafeUninitializedCapacity: w.planes * height * width) { out, initialized in
            guard let target = out.baseAddress else { return }
            target.initialize(repeating: -.infinity, count: out.count)
            scalars.withUnsafeBufferPointer { x in
                for plane in 0..<w.planes {
                    for y in 0..<w.height {
                        (target + (plane * height + y + w.padding) * width + w.padding)
                            .update(from: x.baseAddress! + (plane * w.height + y) * w.width, count: w.width)
                    }
                }
            }
            initialized = out.count
        }
        return (Tensor(shape: [shape[0], shape[1], height, width], scalars: values), unpadded)
    }

    /// The window maxima of a max pooling whose windows stay inside the input, without the
    /// winners' positions. A larger value or a NaN replaces the running maximum, as in
    /// `keepLarger`, so the values are the same.
    private func maxima(in w: PoolingWindow) -> [Float] {
        let (outHeight, outWidth) = (w.outHeight, w.outWidth)
        return [Float](unsafeUninitializedCapacity: w.planes * outHeight * outWidth) { out, initialized in
            scalars.withUnsafeBufferPointer { x in
                // Planes are independent: split them over the cores.
                ParallelLoops.forEachChunk(of: w.planes, weight: w.height * w.width) { planeRange in
                    guard let input = x.baseAddress, let output = out.baseAddress else { return }
                    for plane in planeRange {
                        for oy in 0..<outHeight {
                            let corner = input + (plane * w.height + oy * w.stride) * w.width
                            let row = output + (plane * outHeight + oy) * outWidth
                            if w.isTwoByTwo {
                                Tensor.maxima2x2(top: corner, bottom: corner + w.width, into: row, count: outWidth)
                            } else {
                                Tensor.maxima(under: corner, width: w.width, kernel: w.kernel, stride: w.stride,
                                              dilation: w.dilation, into: row, count: outWidth)
                            }
                        }
                    }
                }
            }
            initialized = w.planes * outHeight * outWidth
        }
    }

    /// The maxima of a ResNet stem's 3×3/2 pooling with padding 1 as a maximum over each row's
    /// three columns, then over three of those rows: the same values as the window in row-major
    /// order (the first maximum of a window is in its first row that has one, at that row's first;
    /// likewise its first NaN), with no padded copy. Padding is left out rather than read as −∞.
    private func separableMaxima(in w: PoolingWindow) -> [Float] {
        let (outHeight, outWidth) = (w.outHeight, w.outWidth)
        return [Float](unsafeUninitializedCapacity: w.planes * outHeight * outWidth) { out, initialized in
            scalars.withUnsafeBufferPointer { x in
                ParallelLoops.forEachChunk(of: w.planes, weight: w.height * w.width) { planeRange in
                    guard let input = x.baseAddress, let output = out.baseAddress else { return }
                    let rows = UnsafeMutablePointer<Float>.allocate(capacity: w.height * outWidth)
                    defer { rows.deallocate() }
                    for plane in planeRange {
                        // Row y's maxima over columns 2·ox − 1 … 2·ox + 1.
                        for y in 0..<w.height {
                            let row = input + (plane * w.height + y) * w.width, maxima = rows + y * outWidth
                            maxima[0] = Tensor.larger(row[0], row[1])
                            var ox = 1
                            while ox + 4 <= outWidth && 2 * ox + 9 <= w.width { // columns 2·ox − 1 … 2·ox + 8
                                let left = UnsafeRawPointer(row + 2 * ox - 1).loadUnaligned(as: SIMD8<Float>.self)
                                let right = UnsafeRawPointer(row + 2 * ox + 1).loadUnaligned(as: SIMD8<Float>.self)
                                let m = Tensor.larger(Tensor.larger(left.evenHalf, left.oddHalf), right.evenHalf)
                                UnsafeMutableRawPointer(maxima + ox).storeBytes(of: m, as: SIMD4<Float>.self)
                                ox += 4
                            }
                            while ox < outWidth {
                                let m = Tensor.larger(row[2 * ox - 1], row[2 * ox])
                                maxima[ox] = 2 * ox + 1 < w.width ? Tensor.larger(m, row[2 * ox + 1]) : m
                                ox += 1
                            }
                        }
                        // Rows 2·oy − 1 … 2·oy + 1 of those.
                        for oy in 0..<outHeight {
                            let target = output + (plane * outHeight + oy) * outWidth
                            let first = Swift.max(2 * oy - 1, 0), last = Swift.min(2 * oy + 1, w.height - 1)
                            var ox = 0
                            while ox + 4 <= outWidth {
                                var m = UnsafeRawPointer(rows + first * outWidth + ox).loadUnaligned(as: SIMD4<Float>.self)
                                for y in Swift.stride(from: first + 1, through: last, by: 1) {
                                    m = Tensor.larger(m, UnsafeRawPointer(rows + y * outWidth + ox).loadUnaligned(as: SIMD4<Float>.self))
                                }
                                UnsafeMutableRawPointer(target + ox).storeBytes(of: m, as: SIMD4<Float>.self)
                                ox += 4
                            }
                            while ox < outWidth {
                                var m = rows[first * outWidth + ox]
                                for y in Swift.stride(from: first + 1, through: last, by: 1) {
                                    m = Tensor.larger(m, rows[y * outWidth + ox])
                                }
                                target[ox] = m
                                ox += 1
                            }
                        }
                    }
                }
            }
            initialized = w.planes * outHeight * outWidth
        }
    }

    /// One output row of a pooling whose windows stay inside the input; `corner` is its first
    /// window's top-left element.
    /// Four windows side by side, so the running maxima are chosen with vector selects (scalar
    /// code compiles to branches that the data mispredicts half the time).
    @inline(__always)
    private static func maxima(under corner: UnsafePointer<Float>, width: Int, kernel: Int, stride: Int,
                               dilation: Int, into row: UnsafeMutablePointer<Float>, count: Int) {
        var ox = 0
        while ox < count {
            let lanes = Swift.min(4, count - ox)
            let window = corner + ox * stride
            func candidates(_ offset: Int) -> SIMD4<Float> {
                var v = SIMD4(repeating: window[offset])
                for lane in 1..<lanes { v[lane] = window[offset + lane * stride] }
                return v
            }
            var best = candidates(0)
            for ky in 0..<kernel {
                for kx in 0..<kernel { best = larger(best, candidates((ky * width + kx) * dilation)) }
            }
            for lane in 0..<lanes { row[ox + lane] = best[lane] }
            ox += lanes
        }
    }

    /// One output row of 2×2, stride-2 pooling from the input rows `top` and `bottom`: four windows
    /// at a time (two vector loads per row, split into left and right columns), then the rest.
    @inline(__always)
    private static func maxima2x2(top: UnsafePointer<Float>, bottom: UnsafePointer<Float>,
                                  into row: UnsafeMutablePointer<Float>, count: Int) {
        var ox = 0
        while ox + 4 <= count {
            let t = UnsafeRawPointer(top + 2 * ox).loadUnaligned(as: SIMD8<Float>.self)
            let b = UnsafeRawPointer(bottom + 2 * ox).loadUnaligned(as: SIMD8<Float>.self)
            let m = larger(larger(t.evenHalf, t.oddHalf), larger(b.evenHalf, b.oddHalf))
            UnsafeMutableRawPointer(row + ox).storeBytes(of: m, as: SIMD4<Float>.self)
            ox += 4
        }
        while ox < count {
            row[ox] = larger(larger(top[2 * ox], top[2 * ox + 1]), larger(bottom[2 * ox], bottom[2 * ox + 1]))
            ox += 1
        }
    }

    /// The maximum of `a` and then `b`: `b` replaces `a` when it is larger, or NaN while `a` is not
    /// (so NaN propagates, and of equal values the first wins, as in PyTorch).
    @inline(__always)
    static func larger(_ a: Float, _ b: Float) -> Float { a.isNaN || b <= a ? a : b }

    @inline(__always)
    static func larger(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
        b.replacing(with: a, where: (a .!= a) .| (b .<= a))
    }

    /// Each window's first maximum (its last NaN, if any, as PyTorch's `val > max || isnan(val)`):
    /// flat positions in the input and the values there.
    private func winners(in w: PoolingWindow) -> (indices: [Int32], values: [Float]) {
        let (outHeight, outWidth) = (w.outHeight, w.outWidth)
        let count = w.planes * outHeight * outWidth
        var values = [Float](repeating: 0, count: count)
        let indices = [Int32](unsafeUninitializedCapacity: count) { indexBuffer, initialized in
            values.withUnsafeMutableBufferPointer { valueBuffer in
                scalars.withUnsafeBufferPointer { x in
                    ParallelLoops.forEachChunk(of: w.planes, weight: w.height * w.width) { planeRange in
                        guard let input = x.baseAddress, let bestIndex = indexBuffer.baseAddress,
                              let bestValue = valueBuffer.baseAddress else { return }
                        for plane in planeRange {
                            for oy in 0..<outHeight {
                                let o = (plane * outHeight + oy) * outWidth
                                if w.isTwoByTwo {
                                    Tensor.winners2x2(in: input, top: (plane * w.height + 2 * oy) * w.width, width: w.width,
                                                      indices: bestIndex + o, values: bestValue + o, count: outWidth)
                                    continue
                                }
                                for ox in 0..<outWidth {
                                    var best = -1
                                    var value = -Float.infinity
                                    for ky in 0..<w.kernel {
                                        let y = oy * w.stride - w.padding + ky * w.dilation
                                        guard y >= 0 && y < w.height else { continue }
                                        for kx in 0..<w.kernel {
                                            let xx = ox * w.stride - w.padding + kx * w.dilation
                                            guard xx >= 0 && xx < w.width else { continue }
                                            let index = (plane * w.height + y) * w.width + xx
                                            if best < 0 { (best, value) = (index, input[index]) }
                                            Tensor.keepLarger(&best, &value, index, input[index])
                                        }
                                    }
                                    bestIndex[o + ox] = Int32(best)
                                    bestValue[o + ox] = value
                                }
                            }
                        }
                    }
                }
            }
            initialized = count
        }
        return (indices, values)
    }

    /// One output row of 2×2, stride-2 pooling with its winners; `top` is the flat index of the
    /// window row's first element. Four windows at a time, their four candidates in PyTorch's order.
    @inline(__always)
    private static func winners2x2(in x: UnsafePointer<Float>, top: Int, width: Int,
                                   indices: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>,
                                   count: Int) {
        var ox = 0
        while ox + 4 <= count {
            let left = top + 2 * ox
            let t = UnsafeRawPointer(x + left).loadUnaligned(as: SIMD8<Float>.self)
            let b = UnsafeRawPointer(x + left + width).loadUnaligned(as: SIMD8<Float>.self)
            let topLeft = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: left)) &+ SIMD4(0, 2, 4, 6)
            let bottomLeft = topLeft &+ Int32(truncatingIfNeeded: width)
            var (best, value) = (topLeft, t.evenHalf)
            keepLarger(&best, &value, topLeft &+ 1, t.oddHalf)
            keepLarger(&best, &value, bottomLeft, b.evenHalf)
            keepLarger(&best, &value, bottomLeft &+ 1, b.oddHalf)
            UnsafeMutableRawPointer(indices + ox).storeBytes(of: best, as: SIMD4<Int32>.self)
            UnsafeMutableRawPointer(values + ox).storeBytes(of: value, as: SIMD4<Float>.self)
            ox += 4
        }
        while ox < count {
            let left = top + 2 * ox
            var (best, value) = (left, x[left])
            keepLarger(&best, &value, left + 1, x[left + 1])
            keepLarger(&best, &value, left + width, x[left + width])
            keepLarger(&best, &value, left + width + 1, x[left + width + 1])
            indices[ox] = Int32(truncatingIfNeeded: best)
            values[ox] = value
            ox += 1
        }
    }

    /// Max pooling's step: the candidate at `index` replaces the best so far when it is larger or
    /// NaN (so NaN propagates, as in PyTorch). Written with selects, not branches: the data would
    /// mispredict them half the time.
    @inline(__always)
    static func keepLarger(_ best: inout Int, _ bestValue: inout Float, _ index: Int, _ value: Float) {
        let wins = (value > bestValue) != value.isNaN  // never both: NaN > y is false
        best = wins ? index : best
        bestValue = wins ? value : bestValue
    }

    @inline(__always)
    static func keepLarger(_ best: inout SIMD4<Int32>, _ bestValue: inout SIMD4<Float>,
                           _ index: SIMD4<Int32>, _ value: SIMD4<Float>) {
        let wins = (value .> bestValue) .^ (value .!= value)
        best.replace(with: index, where: wins)
        bestValue.replace(with: value, where: wins)
    }

    /// 2-D average pooling of an NCHW tensor: PyTorch's
    /// `F.avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad)`, square windows.
    ///
    /// Window (oy, ox) covers rows oy·s − p ..< oy·s − p + k, and it is divided by PyTorch's count:
    /// with `countIncludingPadding` (PyTorch's default) the rows and columns of the window that lie
    /// in the input or its padding — a ceil-mode window hanging past the padding counts only up to
    /// the padding's edge — otherwise only those in the input. PyTorch allows padding up to k / 2.
    public func avgPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                          countIncludingPadding: Bool = true) -> Tensor {
        let stride = stride ?? kernel
        precondition(rank == 4, "avgPool2d: the input must be NCHW (rank 4), got shape \(shape)")
        precondition(kernel >= 1 && stride >= 1 && padding >= 0 && padding * 2 <= kernel,
                     "avgPool2d: kernel \(kernel), stride \(stride), padding \(padding) are invalid (padding must be at most half the kernel)")
        func windows(_ size: Int) -> [(range: Range<Int>, divisor: Int)] {
            let count = Tensor.pooledSize(size, kernel: kernel, stride: stride, padding: padding, dilation: 1,
                                          ceilMode: ceilMode)
            return (0..<Swift.max(count, 0)).map { i in
                let start = i * stride - padding
                let end = Swift.min(start + kernel, size + padding)
                let inside = Swift.max(start, 0)..<Swift.min(end, size)
                return (inside, countIncludingPadding ? end - start : inside.count)
            }
        }
        let (rows, columns) = (windows(shape[2]), windows(shape[3]))
        precondition(!rows.isEmpty && !columns.isEmpty, "avgPool2d: kernel \(kernel) does not fit input \(shape)")
        return averaged(rows: rows, columns: columns)
    }

    /// Adaptive average pooling of an NCHW tensor to height × width: PyTorch's
    /// `F.adaptive_avg_pool2d(x, (height, width))` (VGG's 7×7 before its classifier, ResNet's 1×1).
    ///
    /// Output row i averages input rows ⌊i·H/height⌋ ..< ⌈(i + 1)·H/height⌉, and likewise the
    /// columns: bins overlap when the sizes do not divide, and an output larger than the input
    /// repeats input cells. 1×1 is `globalAveragePooled()`, to the bit; height × width equal to
    /// the input's is the input itself.
    public func adaptiveAveragePooled(height: Int, width: Int) -> Tensor {
        precondition(rank == 4, "adaptiveAveragePooled: the input must be NCHW (rank 4), got shape \(shape)")
        precondition(height >= 1 && width >= 1, "adaptiveAveragePooled: the output size \(height)×\(width) is empty")
        precondition(shape[2] >= 1 && shape[3] >= 1, "adaptiveAveragePooled: the input \(shape) is empty")
        if height == 1 && width == 1 { return globalAveragePooled().reshaped(to: [shape[0], shape[1], 1, 1]) }
        if height == shape[2] && width == shape[3] { return self }
        func bins(_ size: Int, _ count: Int) -> [(range: Range<Int>, divisor: Int)] {
            (0..<count).map { i in
                let bin = (i * size / count)..<(((i + 1) * size + count - 1) / count)
                return (bin, bin.count)
            }
        }
        return averaged(rows: bins(shape[2], height), columns: bins(shape[3], width))
    }

    /// Global average pooling of NCHW to [N, C]: F^k = (1/Z) Σ_ij A^k_ij.
    public func globalAveragePooled() -> Tensor {
        precondition(rank == 4, "globalAveragePooled: the input must be NCHW (rank 4), got shape \(shape)")
        return mean(alongAxes: [2, 3])
    }

    /// out[n, c, i, j] = Σ_{y ∈ rows[i].range, x ∈ columns[j].range} self[n, c, y, x]
    ///                   / (rows[i].divisor · columns[j].divisor).
    /// Average pooling is separable: the windows are summed along the width, then along the
    /// height, and divided once, as PyTorch does. Only gathers, sums and a division: every
    /// derivative comes from their rules, and a NaN or infinity reaches only its own windows.
    private func averaged(rows: [(range: Range<Int>, divisor: Int)],
                          columns: [(range: Range<Int>, divisor: Int)]) -> Tensor {
        let sums = summed(alongAxis: 3, over: columns.map(\.range)).summed(alongAxis: 2, over: rows.map(\.range))
        let divisors = rows.flatMap { row in columns.map { Float(row.divisor * $0.divisor) } }
        return sums / Tensor(shape: [rows.count, columns.count], scalars: divisors)
    }

    /// Sums of `windows` of positions along `axis`: that axis becomes one entry per window.
    /// Σ_t (element t of every window), each gathered whole, so the sum is a few same-shape
    /// additions; windows shorter than the longest read a zero appended to the axis instead.
    private func summed(alongAxis axis: Int, over windows: [Range<Int>]) -> Tensor {
        let length = shape[axis]
        if windows == (0..<length).map({ $0..<($0 + 1) }) { return self }
        let longest = windows.map(\.count).max() ?? 0
        let ragged = windows.contains { $0.count < longest }
        let source = ragged ? padded(alongAxis: axis, before: 0, after: 1) : self
        let sourceLength = ragged ? length + 1 : length // position `length` of the source is the zero
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        var target = shape
        target[axis] = windows.count
        return (0..<longest).map { t in
            // out[o, i, r] = source[o, windows[i].lowerBound + t (or the zero), r]
            let positions = windows.map { t < $0.count ? $0.lowerBound + t : length }
            let runs = positions.count * inner
            let indices = [Int32](unsafeUninitializedCapacity: outer * runs) { buffer, initialized in
                // Wrapping arithmetic: the indices fit in Int32 (as every gather's), and the loops
                // need no overflow checks.
                ParallelLoops.forEachChunk(of: outer, weight: runs) { outerRange in
                    for o in outerRange {
                        var out = buffer.baseAddress! + o &* runs
                        for position in positions {
                            let first = Int32(truncatingIfNeeded: (o &* sourceLength &+ position) &* inner)
                            for r in 0..<Int32(truncatingIfNeeded: inner) { out[Int(r)] = first &+ r }
                            out += inner
                        }
                    }
                }
                initialized = outer * runs
            }
            return source.gathered(atFlatIndices: indices, shape: target)
        }.reduce(nil) { sum, term in sum.map { $0 + term } ?? term }!
    }
}
