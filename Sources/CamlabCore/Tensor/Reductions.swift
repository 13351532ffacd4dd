import Dispatch

/// Sums, means and maxima over axes. Derivatives in `Derivatives.swift`.
extension Tensor {
    /// Reduces `axes` with `combine`, starting from `initial`, keeping them as size-1 axes.
    ///
    /// - The walk is coalesced: a bias gradient, [N, C, H, W] summed to [1, C, 1, 1], becomes
    ///   runs of H·W, each combined in eight interleaved partial results (faster than one long
    ///   chain of dependent additions).
    /// - A large reduction into few outputs is cut into `reductionSlices` slices of its outermost
    ///   axis, reduced concurrently into partial results that are then combined in slice order.
    ///   The cut is fixed, not chosen by the core count, so a sum is the same bits everywhere.
    @inline(__always)
    private func reduced<F: BinaryScalarFunction>(over axes: [Int], initial: Float,
                                                  _ combine: F) -> (shape: [Int], scalars: [Float]) {
        let kept = shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
        let outputCount = kept.reduce(1, *)
        guard count > 0 else { return (kept, [Float](repeating: initial, count: outputCount)) }
        let (walk, strides) = Shape.coalesced(shape, strides: [Shape.broadcastStrides(of: kept, to: shape)])
        let inner = strides[0].last ?? 0
        let slices = count >= ParallelLoops.threshold * 2 && outputCount * 8 <= count && walk[0] >= Tensor.reductionSlices
            ? Tensor.reductionSlices : 1
        var partials = [Float](repeating: initial, count: slices * outputCount)
        partials.withUnsafeMutableBufferPointer { partialsBuffer in
            scalars.withUnsafeBufferPointer { x in
                let results = partialsBuffer.baseAddress!, input = x.baseAddress!
                let perOuter = count / walk[0]
                func reduceSlice(_ slice: Int) {
                    let outer = (walk[0] * slice / slices)..<(walk[0] * (slice + 1) / slices)
                    let out = results + slice * outputCount
                    var position = outer.lowerBound * perOuter
                    forEachRun(shape: [outer.count] + walk.dropFirst(), strides: strides,
                               origin: [strides[0][0] * outer.lowerBound]) { offsets, run in
                        var o = offsets[0]
                        if inner == 0 {
                            var partial = (initial, initial, initial, initial, initial, initial, initial, initial)
                            let row = input + position
                            var k = 0
                            while k + 8 <= run {
                                partial.0 = combine(partial.0, row[k]); partial.1 = combine(partial.1, row[k + 1])
                                partial.2 = combine(partial.2, row[k + 2]); partial.3 = combine(partial.3, row[k + 3])
                                partial.4 = combine(partial.4, row[k + 4]); partial.5 = combine(partial.5, row[k + 5])
                                partial.6 = combine(partial.6, row[k + 6]); partial.7 = combine(partial.7, row[k + 7])
                                k += 8
                            }
                            var accumulator = combine(combine(combine(partial.0, partial.1), combine(partial.2, partial.3)),
                                                      combine(combine(partial.4, partial.5), combine(partial.6, partial.7)))
                            while k < run { accumulator = combine(accumulator, row[k]); k += 1 }
                            out[o] = combine(out[o], accumulator)
                        } else {
                            for k in 0..<run { out[o] = combine(out[o], input[position + k]); o += inner }
                        }
                        position += run
                    }
                }
                if slices == 1 {
                    reduceSlice(0)
                } else {
                    DispatchQueue.concurrentPerform(iterations: slices, execute: reduceSlice)
                }
            }
        }
        guard slices > 1 else { return (kept, partials) }
        var values = Array(partials[0..<outputCount])
        for slice in 1..<slices {
            for i in 0..<outputCount { values[i] = combine(values[i], partials[slice * outputCount + i]) }
        }
        return (kept, values)
    }

    /// How many slices a large reduction is cut into (see `reduced`); fixed so results do not
    /// depend on the machine.
    static let reductionSlices = 4

    private func normalizedAxes(_ axes: [Int], operation: String) -> [Int] {
        Array(Set(axes.map { Shape.axis($0, rank: rank, operation: operation) })).sorted()
    }

    private func droppingAxes(_ axes: [Int], from result: Tensor, keep: Bool) -> Tensor {
        keep ? result : result.reshaped(to: shape.indices.filter { !axes.contains($0) }.map { shape[$0] })
    }

    /// Σ over `axes`.
    public func sum(alongAxes axes: [Int], keepingDimensions keep: Bool = false) -> Tensor {
        let axes = normalizedAxes(axes, operation: "sum")
        let (kept, values) = reduced(over: axes, initial: 0, ScalarFunctions.Add())
        return droppingAxes(axes, from: Tensor(shape: kept, scalars: values, operation: .sum(axes: axes),
                                               inputs: [self]), keep: keep)
    }

    public func sum(alongAxis axis: Int, keepingDimensions keep: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDimensions: keep)
    }

    /// Σ of every element, as a scalar tensor.
    public func sum() -> Tensor { sum(alongAxes: Array(0..<rank)) }

    public func mean(alongAxes axes: [Int], keepingDimensions keep: Bool = false) -> Tensor {
        let axes = normalizedAxes(axes, operation: "mean")
        let n = axes.reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: axes, keepingDimensions: keep) / Float(n)
    }

    public func mean(alongAxis axis: Int, keepingDimensions keep: Bool = false) -> Tensor {
        mean(alongAxes: [axis], keepingDimensions: keep)
    }

    public func mean() -> Tensor { mean(alongAxes: Array(0..<rank)) }

    /// Maximum over `axes`; where several elements tie, they share the gradient equally.
    public func max(alongAxes axes: [Int], keepingDimensions keep: Bool = false) -> Tensor {
        let axes = normalizedAxes(axes, operation: "max")
        precondition(axes.allSatisfy { shape[$0] > 0 }, "max: cannot reduce an empty axis of shape \(shape)")
        let (kept, values) = reduced(over: axes, initial: -.infinity, ScalarFunctions.Maximum())
        return droppingAxes(axes, from: Tensor(shape: kept, scalars: values, operation: .max(axes: axes),
                                               inputs: [self]), keep: keep)
    }

    public func max(alongAxis axis: Int, keepingDimensions keep: Bool = false) -> Tensor {
        max(alongAxes: [axis], keepingDimensions: keep)
    }

    public func max() -> Tensor { max(alongAxes: Array(0..<rank)) }

    public func min(alongAxes axes: [Int], keepingDimensions keep: Bool = false) -> Tensor {
        -((-self).max(alongAxes: axes, keepingDimensions: keep))
    }

    public func min() -> Tensor { min(alongAxes: Array(0..<rank)) }

    /// Indices of the maximum along the last axis (first one on ties); not differentiable.
    public func argmaxAlongLastAxis() -> [Int] {
        let width = shape.last ?? 1
        precondition(width > 0, "argmax: the last axis of shape \(shape) is empty")
        return stride(from: 0, to: count, by: width).map { start in
            var best = start
            for i in start..<(start + width) where scalars[i] > scalars[best] { best = i }
            return best - start
        }
    }

    /// Sums a broadcast result back to `target` (which it was broadcast from): the one place that
    /// undoes broadcasting, used by every element-wise rule.
    public func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let offset = rank - target.count
        precondition(offset >= 0, "summed(toShape:): cannot reduce shape \(shape) to \(target)")
        let axes = (0..<rank).filter { $0 < offset || (target[$0 - offset] == 1 && shape[$0] != 1) }
        return sum(alongAxes: axes, keepingDimensions: true).reshaped(to: target)
    }
}
