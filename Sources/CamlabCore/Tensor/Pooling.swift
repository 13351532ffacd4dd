/// Pooling, composed from gathering so that the derivative rules of `gathered` and
/// `scatteredAdding` serve for every order of differentiation.
extension Tensor {
    /// 2-D max pooling of an NCHW tensor (PyTorch's `max_pool2d`, stride defaults to the kernel).
    /// The winning positions are found first; the pooled values are then gathered from them, so
    /// the gradient goes to the first maximum of each window, as in PyTorch.
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let stride = stride ?? kernel
        precondition(rank == 4, "maxPool2d: the input must be NCHW (rank 4), got shape \(shape)")
        precondition(kernel >= 1 && stride >= 1 && padding >= 0 && padding * 2 <= kernel,
                     "maxPool2d: kernel \(kernel), stride \(stride), padding \(padding) are invalid")
        let (planes, height, width) = (shape[0] * shape[1], shape[2], shape[3])
        let outHeight = (height + 2 * padding - kernel) / stride + 1
        let outWidth = (width + 2 * padding - kernel) / stride + 1
        precondition(outHeight >= 1 && outWidth >= 1, "maxPool2d: kernel \(kernel) does not fit input \(shape)")
        let outputsPerPlane = outHeight * outWidth
        if padding == 0 && !(GradientMode.isRecording && requiresGradient) {
            // Nothing will differentiate this result (inference, Score-CAM's masked images): the
            // maxima are enough, and finding winners' positions to gather from would cost 5× more.
            return Tensor(shape: [shape[0], shape[1], outHeight, outWidth],
                          scalars: maxima(planes: planes, height: height, width: width, kernel: kernel, stride: stride,
                                          outHeight: outHeight, outWidth: outWidth))
        }
        let indices = [Int32](unsafeUninitializedCapacity: planes * outputsPerPlane) { out, initialized in
            scalars.withUnsafeBufferPointer { x in
                // Planes are independent: split them over the cores.
                ParallelLoops.forEachChunk(of: planes, weight: height * width) { planeRange in
                    for plane in planeRange {
                        let base = plane * height * width
                        var o = plane * outputsPerPlane
                        if kernel == 2 && stride == 2 && padding == 0 {
                            // The usual 2×2 pooling, unrolled: four candidates in straight-line
                            // code, so neighbouring windows overlap in the pipeline.
                            for oy in 0..<outHeight {
                                let top = base + 2 * oy * width
                                for ox in 0..<outWidth {
                                    var best = top + 2 * ox
                                    var bestValue = x[best]
                                    Tensor.keepLarger(&best, &bestValue, top + 2 * ox + 1, x)
                                    Tensor.keepLarger(&best, &bestValue, top + width + 2 * ox, x)
                                    Tensor.keepLarger(&best, &bestValue, top + width + 2 * ox + 1, x)
                                    out[o + ox] = Int32(truncatingIfNeeded: best)
                                }
                                o += outWidth
                            }
                            continue
                        }
                        for oy in 0..<outHeight {
                            for ox in 0..<outWidth {
                                var best = -1
                                var bestValue = -Float.infinity
                                if padding == 0 {
                                    // Every window lies inside, so no bounds tests; the winner is
                                    // chosen with selects, not branches, which the data would
                                    // mispredict half the time (that made pooling a tenth of a step).
                                    let corner = base + oy * stride * width + ox * stride
                                    best = corner
                                    bestValue = x[corner]
                                    for ky in 0..<kernel {
                                        for kx in 0..<kernel {
                                            Tensor.keepLarger(&best, &bestValue, corner + ky * width + kx, x)
                                        }
                                    }
                                    out[o] = Int32(truncatingIfNeeded: best)
                                    o += 1
                                    continue
                                }
                                for ky in 0..<kernel {
                                    let y = oy * stride - padding + ky
                                    guard y >= 0 && y < height else { continue }
                                    for kx in 0..<kernel {
                                        let xx = ox * stride - padding + kx
                                        guard xx >= 0 && xx < width else { continue }
                                        let index = base + y * width + xx
                                        let value = x[index]
                                        if best < 0 || value > bestValue || value.isNaN { best = index; bestValue = value }
                                    }
                                }
                                out[o] = Int32(best)
                                o += 1
                            }
                        }
                    }
                }
            }
            initialized = planes * outputsPerPlane
        }
        return gathered(atFlatIndices: indices, shape: [shape[0], shape[1], outHeight, outWidth])
    }

    /// The window maxima of unpadded max pooling, without the winners' positions. A larger value or
    /// a NaN replaces the running maximum, as in `keepLarger`, so the values are the same.
    private func maxima(planes: Int, height: Int, width: Int, kernel: Int, stride: Int,
                        outHeight: Int, outWidth: Int) -> [Float] {
        // A NaN anywhere in the window makes the maximum NaN (a NaN never compares larger).
        @inline(__always) func larger(_ a: Float, _ b: Float) -> Float { a.isNaN || b > a || b.isNaN ? (a.isNaN ? a : b) : a }
        let outputsPerPlane = outHeight * outWidth
        return [Float](unsafeUninitializedCapacity: planes * outputsPerPlane) { out, initialized in
            scalars.withUnsafeBufferPointer { x in
                ParallelLoops.forEachChunk(of: planes, weight: height * width) { planeRange in
                    guard let input = x.baseAddress, let output = out.baseAddress else { return }
                    for plane in planeRange {
                        let source = input + plane * height * width
                        let target = output + plane * outputsPerPlane
                        if kernel == 2 && stride == 2 {
                            // The usual 2×2 pooling, straight-line, row pair by row pair.
                            for oy in 0..<outHeight {
                                let top = source + 2 * oy * width, bottom = top + width
                                let row = target + oy * outWidth
                                for ox in 0..<outWidth {
                                    row[ox] = larger(larger(top[2 * ox], top[2 * ox + 1]), larger(bottom[2 * ox], bottom[2 * ox + 1]))
                                }
                            }
                            continue
                        }
                        for oy in 0..<outHeight {
                            for ox in 0..<outWidth {
                                let corner = source + oy * stride * width + ox * stride
                                var best = corner[0]
                                for ky in 0..<kernel {
                                    for kx in 0..<kernel { best = larger(best, corner[ky * width + kx]) }
                                }
                                target[oy * outWidth + ox] = best
                            }
                        }
                    }
                }
            }
            initialized = planes * outputsPerPlane
        }
    }

    /// Max pooling's step: element `index` replaces the best so far when it is larger or NaN
    /// (so NaN propagates, as in PyTorch). Written with selects, not branches: the data would
    /// mispredict them half the time.
    @inline(__always)
    static func keepLarger(_ best: inout Int, _ bestValue: inout Float, _ index: Int, _ x: UnsafeBufferPointer<Float>) {
        let value = x[index]
        let wins = (value > bestValue) != value.isNaN  // never both: NaN > y is false
        best = wins ? index : best
        bestValue = wins ? value : bestValue
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
