import Foundation

/// Finding planes with the same values, so that a method that runs the network once per plane
/// runs it once per distinct plane (Score-CAM: every dead channel gives the same all-zero mask).
enum DistinctPlanes {
    /// For each plane of `values` (consecutive runs of `size` floats), the index of the first plane
    /// with exactly the same bits: its own index when it is the first of its kind.
    static func firstEqual(in values: [Float], planeSize size: Int) -> [Int] {
        precondition(size > 0 && values.count % size == 0, "firstEqual: \(values.count) values are not planes of \(size)")
        let planeBytes = size * MemoryLayout<Float>.stride
        return values.withUnsafeBytes { bytes in
            func plane(_ k: Int) -> UnsafeRawPointer { bytes.baseAddress! + k * planeBytes }
            var planesByHash: [SIMD8<UInt32>: [Int]] = [:]
            return (0..<(values.count / size)).map { k in
                let key = hash(plane(k), count: size)
                // Equal hashes are confirmed byte by byte.
                if let first = planesByHash[key]?.first(where: { memcmp(plane($0), plane(k), planeBytes) == 0 }) {
                    return first
                }
                planesByHash[key, default: []].append(k)
                return k
            }
        }
    }

    /// FNV-1a over the floats' bit patterns, in eight interleaved lanes so that the multiplications
    /// do not wait for each other (a general-purpose hasher costs more than the planes' whole use).
    private static func hash(_ plane: UnsafeRawPointer, count: Int) -> SIMD8<UInt32> {
        let (offsetBasis, prime): (UInt32, UInt32) = (2_166_136_261, 16_777_619)
        var lanes = SIMD8<UInt32>(repeating: offsetBasis)
        let words = plane.assumingMemoryBound(to: UInt32.self)
        var i = 0
        while i + 8 <= count {
            lanes = (lanes ^ UnsafeRawPointer(words + i).loadUnaligned(as: SIMD8<UInt32>.self)) &* prime
            i += 8
        }
        for j in i..<count { lanes[j - i] = (lanes[j - i] ^ words[j]) &* prime }
        return lanes
    }
}
