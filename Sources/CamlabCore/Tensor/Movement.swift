/// Operations that move elements without changing them: reshaping, broadcasting, permuting,
/// slicing, padding, concatenating, gathering.
extension Tensor {
    public func reshaped(to newShape: [Int]) -> Tensor {
        var newShape = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0,
                         "reshaped(to:): cannot infer an axis reshaping \(shape) to \(newShape)")
            newShape[inferred] = count / known
        }
        precondition(newShape.reduce(1, *) == count,
                     "reshaped(to:): shape \(shape) has \(count) elements, \(newShape) needs \(newShape.reduce(1, *))")
        if newShape == shape { return self }
        return Tensor(shape: newShape, scalars: scalars, operation: .reshape, inputs: [self])
    }

    /// Broadcasts to `target` (NumPy rules), copying.
    public func expanded(to target: [Int]) -> Tensor {
        if target == shape { return self }
        precondition(Shape.broadcast(shape, target, operation: "expanded(to:)") == target,
                     "expanded(to:): shape \(shape) cannot be broadcast to \(target)")
        let strides = Shape.broadcastStrides(of: shape, to: target)
        return Tensor(shape: target, scalars: gathered(shape: target, strides: strides),
                      operation: .expand, inputs: [self])
    }

    /// Reads this tensor's elements with arbitrary strides into a new row-major array of `shape`.
    private func gathered(shape target: [Int], strides: [Int]) -> [Float] {
        let count = target.reduce(1, *)
        let (walk, walkStrides) = Shape.coalesced(target, strides: [strides])
        let inner = walkStrides[0].last ?? 0
        if walk.count == 2, walkStrides[0][0] == 1, inner > 1, count > 0 {
            return transposedScalars(rows: walk[0], columns: walk[1], stride: inner)
        }
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            scalars.withUnsafeBufferPointer { x in
                forEachRunInParallel(shape: walk, strides: walkStrides) { offsets, position, run in
                    var i = offsets[0]
                    if inner == 0 {
                        (out.baseAddress! + position).update(repeating: x[i], count: run)
                    } else {
                        for k in 0..<run { out[position + k] = x[i]; i += inner }
                    }
                }
            }
            initialized = count
        }
    }

    /// out[i][j] = scalars[j·stride + i] for an out of rows × columns: a matrix transpose, in
    /// 32 × 32 blocks so that reads and writes both stay within a few cache lines (a walk down the
    /// columns of a 2048 × 1000 classifier weight misses the cache on every read).
    private func transposedScalars(rows: Int, columns: Int, stride inner: Int) -> [Float] {
        let block = 32
        return scalars.withUnsafeBufferPointer { x in
            [Float](unsafeUninitializedCapacity: rows * columns) { out, initialized in
                let (source, target) = (x.baseAddress!, out.baseAddress!)
                ParallelLoops.forEachChunk(of: (rows + block - 1) / block, weight: block * columns) { blocks in
                    for i0 in stride(from: blocks.lowerBound * block, to: Swift.min(rows, blocks.upperBound * block), by: block) {
                        for j0 in stride(from: 0, to: columns, by: block) {
                            for i in i0..<Swift.min(i0 + block, rows) {
                                for j in j0..<Swift.min(j0 + block, columns) { target[i * columns + j] = source[j * inner + i] }
                            }
                        }
                    }
                }
                initialized = rows * columns
            }
        }
    }

    /// Reorders the axes: result axis i is this tensor's axis `axes[i]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank),
                     "permuted: \(axes) is not a permutation of the axes of shape \(shape)")
        if axes == Array(0..<rank) { return self }
        let own = Shape.strides(of: shape)
        let target = axes.map { shape[$0] }
        return Tensor(shape: target, scalars: gathered(shape: target, strides: axes.map { own[$0] }),
                      operation: .permute(axes: axes), inputs: [self])
    }

    /// Swaps the last two axes.
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed: needs rank ≥ 2, got shape \(shape)")
        var axes = Array(0..<rank)
        axes.swapAt(rank - 1, rank - 2)
        return permuted(axes)
    }

    /// Elements `range` along `axis`.
    public func sliced(alongAxis axis: Int, range: Range<Int>) -> Tensor {
        let axis = Shape.axis(axis, rank: rank, operation: "sliced")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis],
                     "sliced: range \(range) is outside axis \(axis) of shape \(shape)")
        if range == 0..<shape[axis] { return self }
        var target = shape
        target[axis] = range.count
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var values = [Float]()
        values.reserveCapacity(target.reduce(1, *))
        for o in 0..<outer {
            let start = (o * shape[axis] + range.lowerBound) * inner
            values.append(contentsOf: scalars[start..<(start + range.count * inner)])
        }
        return Tensor(shape: target, scalars: values, operation: .slice(axis: axis, range: range),
                      inputs: [self])
    }

    /// Adds `before` and `after` zeros along `axis`.
    public func padded(alongAxis axis: Int, before: Int, after: Int) -> Tensor {
        let axis = Shape.axis(axis, rank: rank, operation: "padded")
        precondition(before >= 0 && after >= 0, "padded: negative padding \(before), \(after)")
        if before == 0 && after == 0 { return self }
        var target = shape
        target[axis] += before + after
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var values = [Float](repeating: 0, count: target.reduce(1, *))
        for o in 0..<outer {
            let source = o * shape[axis] * inner
            let destination = (o * target[axis] + before) * inner
            for k in 0..<(shape[axis] * inner) { values[destination + k] = scalars[source + k] }
        }
        return Tensor(shape: target, scalars: values, operation: .pad(axis: axis, before: before, after: after),
                      inputs: [self])
    }

    /// Zero padding of the two spatial axes of an NCHW tensor.
    public func paddedSpatially(by padding: Int) -> Tensor {
        padded(alongAxis: 2, before: padding, after: padding).padded(alongAxis: 3, before: padding, after: padding)
    }

    /// Joins tensors along `axis`.
    public static func concatenated(_ tensors: [Tensor], alongAxis axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenated: needs at least one tensor")
        let first = tensors[0]
        let axis = Shape.axis(axis, rank: first.rank, operation: "concatenated")
        for t in tensors {
            var a = t.shape, b = first.shape
            precondition(a.count == b.count, "concatenated: shapes \(first.shape) and \(t.shape) differ in rank")
            a[axis] = 0; b[axis] = 0
            precondition(a == b, "concatenated: shapes \(first.shape) and \(t.shape) differ outside axis \(axis)")
        }
        if tensors.count == 1 { return first }
        var target = first.shape
        target[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let outer = first.shape[..<axis].reduce(1, *)
        var values = [Float]()
        values.reserveCapacity(target.reduce(1, *))
        for o in 0..<outer {
            for t in tensors {
                let block = t.count / Swift.max(outer, 1)
                values.append(contentsOf: t.scalars[(o * block)..<((o + 1) * block)])
            }
        }
        return Tensor(shape: target, scalars: values, operation: .concatenate(axis: axis), inputs: tensors)
    }

    /// `out[i] = scalars[indices[i]]` over flat storage, shaped `shape`.
    public func gathered(atFlatIndices indices: [Int32], shape target: [Int]) -> Tensor {
        precondition(indices.count == target.reduce(1, *), "gathered: \(indices.count) indices for shape \(target)")
        let values = scalars.withUnsafeBufferPointer { x in
            indices.withUnsafeBufferPointer { index in
                ParallelLoops.filledArray(count: index.count) { range, out in
                    for i in range { out[i] = x[Int(index[i])] }
                }
            }
        }
        return Tensor(shape: target, scalars: values, operation: .gather(indices: indices), inputs: [self])
    }

    /// `out[indices[i]] += scalars[i]` into zeros of `shape`: the adjoint of `gathered`.
    public func scatteredAdding(atFlatIndices indices: [Int32], shape target: [Int]) -> Tensor {
        precondition(indices.count == count, "scatteredAdding: \(indices.count) indices for \(count) elements")
        var values = [Float](repeating: 0, count: target.reduce(1, *))
        values.withUnsafeMutableBufferPointer { out in
            scalars.withUnsafeBufferPointer { x in
                indices.withUnsafeBufferPointer { index in
                    for i in 0..<index.count { out[Int(index[i])] += x[i] }
                }
            }
        }
        return Tensor(shape: target, scalars: values, operation: .scatterAdd(indices: indices), inputs: [self])
    }
}

extension Tensor {
    /// Mirrors the last axis (a horizontal flip of images).
    public func flippedHorizontally() -> Tensor {
        let width = shape.last ?? 1
        let indices = (0..<count).map { i in Int32(i - i % width + (width - 1 - i % width)) }
        return gathered(atFlatIndices: indices, shape: shape)
    }
}
