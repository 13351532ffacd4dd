import CamlabCore

/// The projection of per-channel terms on their first principal component — Eigen-CAM's map and
/// what `--eigen-smooth` does to any method's terms (pytorch-grad-cam's `get_2d_projection`):
/// the terms of one image [K, h, w] as a matrix X of (h·w) rows and K columns, each column centred,
/// projected on the first right singular vector v₁ of X: map = X v₁, reshaped to h × w.
///
/// A singular vector's sign is arbitrary (pytorch-grad-cam's flips between runs and libraries).
/// camlab fixes it: the sign is chosen so the projection correlates positively with Σ_k T^k, the
/// un-centred sum of the terms, i.e. so the map is high where the terms add up to much.
enum PrincipalComponent {
    /// [N, K, h, w] → [N, h, w].
    static func projection(of terms: Tensor) -> Tensor {
        let (images, channels, height, width) = (terms.shape[0], terms.shape[1], terms.shape[2], terms.shape[3])
        let positions = height * width
        var result = [Float]()
        result.reserveCapacity(images * positions)
        for n in 0..<images {
            // X[p][k], centred per column, in Double.
            var x = [Double](repeating: 0, count: positions * channels)
            var rowSums = [Double](repeating: 0, count: positions)
            for k in 0..<channels {
                let base = (n * channels + k) * positions
                var mean = 0.0
                for p in 0..<positions { let v = Double(terms.scalars[base + p]); x[p * channels + k] = v; mean += v; rowSums[p] += v }
                mean /= Double(positions)
                for p in 0..<positions { x[p * channels + k] -= mean }
            }
            let v = firstRightSingularVector(x, rows: positions, columns: channels)
            var projection = (0..<positions).map { p in (0..<channels).reduce(0.0) { $0 + x[p * channels + $1] * v[$1] } }
            let agreement = zip(projection, rowSums).reduce(0.0) { $0 + $1.0 * $1.1 }
            if agreement < 0 { projection = projection.map { -$0 } }
            result += projection.map { Float($0) }
        }
        return Tensor(shape: [images, height, width], scalars: result)
    }

    /// v₁ of X (rows × columns). A layer has far more channels than positions (2048 against 49
    /// at ResNet-50's `layer4`) or the other way round, so the smaller Gram matrix is used: the
    /// top eigenvector of XᵀX directly, or u₁ of XXᵀ and then v₁ = Xᵀu₁ / ‖Xᵀu₁‖.
    static func firstRightSingularVector(_ x: [Double], rows: Int, columns: Int) -> [Double] {
        guard rows < columns else { return topEigenvector(gram(x, rows: rows, columns: columns, ofColumns: true), size: columns) }
        let u = topEigenvector(gram(x, rows: rows, columns: columns, ofColumns: false), size: rows)
        var v = [Double](repeating: 0, count: columns)
        for r in 0..<rows where u[r] != 0 { for k in 0..<columns { v[k] += x[r * columns + k] * u[r] } }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }

    /// XᵀX (columns × columns) or XXᵀ (rows × rows).
    static func gram(_ x: [Double], rows: Int, columns: Int, ofColumns: Bool) -> [Double] {
        let n = ofColumns ? columns : rows
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n {
            var s = 0.0
            if ofColumns {
                for r in 0..<rows { s += x[r * columns + i] * x[r * columns + j] }
            } else {
                for k in 0..<columns { s += x[i * columns + k] * x[j * columns + k] }
            }
            a[i * n + j] = s; a[j * n + i] = s
        } }
        return a
    }

    /// The eigenvector of a symmetric n × n matrix with the largest eigenvalue, by cyclic Jacobi
    /// rotations (robust for the small, possibly rank-deficient matrices met here).
    static func topEigenvector(_ gram: [Double], size n: Int) -> [Double] {
        var a = gram
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<50 {
            var offDiagonal = 0.0
            for i in 0..<n { for j in (i + 1)..<n where j < n { offDiagonal += a[i * n + j] * a[i * n + j] } }
            if offDiagonal < 1e-22 * Swift.max(1, (0..<n).reduce(0.0) { $0 + a[$1 * n + $1] * a[$1 * n + $1] }) { break }
            for p in 0..<n { for q in (p + 1)..<n where q < n {
                let apq = a[p * n + q]
                guard Swift.abs(apq) > 1e-300 else { continue }
                let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                let t = (theta >= 0 ? 1.0 : -1.0) / (Swift.abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<n {   // A ← A J (columns p, q)
                    let akp = a[k * n + p], akq = a[k * n + q]
                    a[k * n + p] = c * akp - s * akq; a[k * n + q] = s * akp + c * akq
                }
                for k in 0..<n {   // A ← Jᵀ A (rows p, q)
                    let apk = a[p * n + k], aqk = a[q * n + k]
                    a[p * n + k] = c * apk - s * aqk; a[q * n + k] = s * apk + c * aqk
                }
                for k in 0..<n {
                    let vkp = v[k * n + p], vkq = v[k * n + q]
                    v[k * n + p] = c * vkp - s * vkq; v[k * n + q] = s * vkp + c * vkq
                }
            } }
        }
        let best = (0..<n).max { a[$0 * n + $0] < a[$1 * n + $1] } ?? 0
        return (0..<n).map { v[$0 * n + best] }
    }
}
