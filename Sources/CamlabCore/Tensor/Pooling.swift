/// Pooling, composed from gathering so that the derivative rules of `gathered` and
/// `scatteredAdding` serve for every order of differentiation.
extension Tensor {
    /// 2-D max pooling of an NCHW tensor (PyTorch's `max_pool2d`, stride defaults to the kernel).
    /// The winning positions are found first and the result is recorded as a gather from them, so
    /// the gradient goes to the first maximum of each window, as in PyTorch.
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let stride = stride ?? kernel
        precondition(rank == 4, "maxPool2d: the input must be NCHW (rank 4), got shape \(shape)")
        precondition(kernel >= 1 && stride >= 1 && padding >= 0 && padding * 2 <= kernel,
                     "maxPool2d: kernel \(kernel), stride \(stride), padding \(padding) are invalid")
        let window = PoolingWindow(planes: shape[0] * shape[1], height: shape[2], width: shape[3],
                                   kernel: kernel, stride: stride, padding: padding)
        precondition(window.outHeight >= 1 && window.outWidth >= 1, "maxPool2d: kernel \(kernel) does not fit input \(shape)")
        let outShape = [shape[0], shape[1], window.outHeight, window.outWidth]
        if padding == 0 && !(GradientMode.isRecording && requiresGradient) {
            // Nothing will differentiate this result (inference, Score-CAM's masked images): the
            // maxima are enough, and tracking the winners' positions would cost twice as much.
            return Tensor(shape: outShape, scalars: maxima(in: window))
        }
        let (indices, values) = winners(in: window)
        return Tensor(shape: outShape, scalars: values, operation: .gather(indices: indices), inputs: [self])
    }

    /// The geometry of a max pooling: `planes` images of height × width, square windows.
    struct PoolingWindow {
        var planes, height, width, kernel, stride, padding: Int
        var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
        var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
        /// The usual 2×2 pooling, which has vectorized loops of its own.
        var isTwoByTwo: Bool { kernel == 2 && stride == 2 && padding == 0 }
    }

    /// The window maxima of unpadded max pooling, without the winners' positions. A larger value or
    /// a NaN replaces the running maximum, as in `keepLarger`, so the values are the same.
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
                                              into: row, count: outWidth)
                            }
                        }
                    }
                }
            }
            initialized = w.planes * outHeight * outWidth
        }
    }

    /// One output row of any unpadded pooling; `corner` is its first window's top-left element.
    /// Four windows side by side, so the running maxima are chosen with vector selects (scalar
    /// code compiles to branches that the data mispredicts half the time).
    @inline(__always)
    private static func maxima(under corner: UnsafePointer<Float>, width: Int, kernel: Int, stride: Int,
                               into row: UnsafeMutablePointer<Float>, count: Int) {
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
                for kx in 0..<kernel { best = larger(best, candidates(ky * width + kx)) }
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
                                        let y = oy * w.stride - w.padding + ky
                                        guard y >= 0 && y < w.height else { continue }
                                        for kx in 0..<w.kernel {
                                            let xx = ox * w.stride - w.padding + kx
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

    /// 2-D average pooling of an NCHW tensor; zero padding counts towards the average
    /// (PyTorch's default `count_include_pad=True`).
    public func avgPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let stride = stride ?? kernel
        precondition(rank == 4, "avgPool2d: the input must be NCHW (rank 4), got shape \(shape)")
        precondition(kernel >= 1 && stride >= 1 && padding >= 0,
                     "avgPool2d: kernel \(kernel), stride \(stride), padding \(padding) are invalid")
        let input = paddedSpatially(by: padding)
        let (planes, height, width) = (shape[0] * shape[1], input.shape[2], input.shape[3])
        let outHeight = (height - kernel) / stride + 1
        let outWidth = (width - kernel) / stride + 1
        precondition(outHeight >= 1 && outWidth >= 1, "avgPool2d: kernel \(kernel) does not fit input \(shape)")
        var indices = [Int32]()
        indices.reserveCapacity(planes * outHeight * outWidth * kernel * kernel)
        for plane in 0..<planes {
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            indices.append(Int32(plane * height * width + (oy * stride + ky) * width + ox * stride + kx))
                        }
                    }
                }
            }
        }
        let windows = input.gathered(atFlatIndices: indices,
                                     shape: [shape[0], shape[1], outHeight, outWidth, kernel * kernel])
        return windows.mean(alongAxis: 4)
    }

    /// Global average pooling of NCHW to [N, C]: F^k = (1/Z) Σ_ij A^k_ij.
    public func globalAveragePooled() -> Tensor {
        precondition(rank == 4, "globalAveragePooled: the input must be NCHW (rank 4), got shape \(shape)")
        return mean(alongAxes: [2, 3])
    }
}
