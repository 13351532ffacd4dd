/// Shape arithmetic shared by the operations: broadcasting and strides.
enum Shape {
    /// Row-major strides: how far apart in `scalars` consecutive indices of each axis are.
    static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = step
            step *= shape[axis]
        }
        return strides
    }

    /// NumPy broadcasting: align trailing axes; sizes must match or be 1.
    static func broadcast(_ a: [Int], _ b: [Int], operation: String) -> [Int] {
        let rank = max(a.count, b.count)
        let paddedA = [Int](repeating: 1, count: rank - a.count) + a
        let paddedB = [Int](repeating: 1, count: rank - b.count) + b
        return (0..<rank).map { axis in
            let (x, y) = (paddedA[axis], paddedB[axis])
            precondition(x == y || x == 1 || y == 1,
                         "\(operation): shapes \(a) and \(b) cannot be broadcast together (axis \(axis): \(x) vs \(y))")
            return x == 1 ? y : x
        }
    }

    /// Strides for reading a tensor of `shape` as if it had the (broadcast) `target` shape:
    /// axes that are broadcast get stride 0.
    static func broadcastStrides(of shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(of: shape)
        let offset = target.count - shape.count
        return (0..<target.count).map { axis in
            axis < offset || shape[axis - offset] == 1 ? 0 : own[axis - offset]
        }
    }

    /// The same walk over fewer axes: size-1 axes are dropped and neighbouring axes merged where
    /// every operand steps through them as through one axis (outer stride = inner stride × inner
    /// size; broadcast axes have stride 0 on both). Row-major order is unchanged, so a loop over
    /// the result visits the elements in the same order, in longer inner runs.
    static func coalesced(_ shape: [Int], strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
        var outShape: [Int] = []
        var outStrides = [[Int]](repeating: [], count: strides.count)
        for axis in shape.indices where shape[axis] != 1 {
            let size = shape[axis]
            if let last = outShape.indices.last,
               strides.indices.allSatisfy({ outStrides[$0][last] == strides[$0][axis] * size }) {
                outShape[last] *= size
                for k in strides.indices { outStrides[k][last] = strides[k][axis] }
            } else {
                outShape.append(size)
                for k in strides.indices { outStrides[k].append(strides[k][axis]) }
            }
        }
        if outShape.isEmpty { return ([1], strides.map { _ in [0] }) }
        return (outShape, outStrides)
    }

    /// Normalizes a possibly negative axis, with an error that names the operation.
    static func axis(_ axis: Int, rank: Int, operation: String) -> Int {
        let normalized = axis < 0 ? axis + rank : axis
        precondition(normalized >= 0 && normalized < rank,
                     "\(operation): axis \(axis) is out of range for a tensor of rank \(rank)")
        return normalized
    }
}

/// Walks the indices of a shape in row-major order, keeping one linear offset per operand up to
/// date without any division, and hands the innermost axis to `body` as a contiguous run:
/// `body(offsets, innerCount)`; within the run, operand k advances by `innerStrides[k]`.
@inline(__always)
func forEachRun(shape: [Int], strides: [[Int]], origin: [Int]? = nil,
                _ body: (_ offsets: [Int], _ count: Int) -> Void) {
    let operands = strides.count
    guard shape.allSatisfy({ $0 > 0 }) else { return }
    if shape.isEmpty { body(origin ?? [Int](repeating: 0, count: operands), 1); return }
    let rank = shape.count
    let inner = shape[rank - 1]
    var index = [Int](repeating: 0, count: rank - 1)
    var offsets = origin ?? [Int](repeating: 0, count: operands)
    while true {
        body(offsets, inner)
        var axis = rank - 2
        while axis >= 0 {
            index[axis] += 1
            for k in 0..<operands { offsets[k] += strides[k][axis] }
            if index[axis] < shape[axis] { break }
            for k in 0..<operands { offsets[k] -= strides[k][axis] * shape[axis] }
            index[axis] = 0
            axis -= 1
        }
        if axis < 0 { return }
    }
}

/// `forEachRun` over slices of the outermost axis, one per core when the shape is large;
/// `body(offsets, position, count)` also gets the row-major position of the run's first element.
@inline(__always)
func forEachRunInParallel(shape: [Int], strides: [[Int]],
                          _ body: (_ offsets: [Int], _ position: Int, _ count: Int) -> Void) {
    guard let outer = shape.first, shape.allSatisfy({ $0 > 0 }) else { return }
    let perOuter = shape.dropFirst().reduce(1, *)
    ParallelLoops.forEachChunk(of: outer, weight: perOuter) { chunk in
        var position = chunk.lowerBound * perOuter
        forEachRun(shape: [chunk.count] + shape.dropFirst(), strides: strides,
                   origin: strides.map { $0[0] * chunk.lowerBound }) { offsets, run in
            body(offsets, position, run)
            position += run
        }
    }
}
