/// A seeded pseudo-random generator whose stream is the same bits on every machine.
///
/// xoshiro256** (Blackman & Vigna) seeded through SplitMix64. Only integer arithmetic and
/// IEEE-754 `+ − × ÷ sqrt` are used to derive floats from it, never the platform's `log` or `cos`,
/// because those may round differently on another libm and then a seed would not mean the same.
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var splitMix = seed
        func nextSplitMix() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (nextSplitMix(), nextSplitMix(), nextSplitMix(), nextSplitMix())
    }

    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform Float in [low, high).
    public mutating func nextUniform(_ low: Float, _ high: Float) -> Float {
        let value = Float(Double(low) + (Double(high) - Double(low)) * nextUnitDouble())
        return value < high ? value : low  // rounding to Float can reach `high`; keep the interval half-open
    }

    /// A standard normal sample: Marsaglia's polar method with a portable logarithm.
    public mutating func nextNormal() -> Double {
        if let spare = spareNormal { spareNormal = nil; return spare }
        while true {
            let u = 2 * nextUnitDouble() - 1
            let v = 2 * nextUnitDouble() - 1
            let s = u * u + v * v
            if s == 0 || s >= 1 { continue }
            let factor = (-2 * portableLog(s) / s).squareRoot()
            spareNormal = v * factor
            return u * factor
        }
    }
    private var spareNormal: Double?

    /// An integer uniform in 0..<upperBound, without modulo bias (Lemire's method).
    public mutating func nextIndex(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "nextIndex(below:) needs a positive bound")
        let bound = UInt64(upperBound)
        let threshold = (0 &- bound) % bound
        while true {
            let product = next().multipliedFullWidth(by: bound)
            if product.low >= threshold { return Int(product.high) }
        }
    }

    /// Fisher–Yates shuffle driven by this generator (the standard library's `shuffle(using:)`
    /// does not promise the same permutation across Swift versions).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, nextIndex(below: i + 1))
        }
    }
}

/// Natural logarithm from `+ − × ÷` only, so it rounds identically on every IEEE-754 machine.
/// x = m · 2^e with m in [√½, √2); log m = 2 atanh(t), t = (m − 1)/(m + 1), |t| < 0.172, and the
/// atanh series to t^31 is below 1e-17 relative error there.
func portableLog(_ x: Double) -> Double {
    precondition(x > 0 && x.isFinite, "portableLog needs a positive finite number")
    var exponent = x.exponent
    var mantissa = x.significand  // in [1, 2)
    if mantissa > 1.4142135623730951 { mantissa /= 2; exponent += 1 }
    let t = (mantissa - 1) / (mantissa + 1)
    let t2 = t * t
    var term = t
    var sum = 0.0
    var k = 1.0
    while k < 33 {
        sum += term / k
        term *= t2
        k += 2
    }
    return 2 * sum + Double(exponent) * 0.6931471805599453
}
