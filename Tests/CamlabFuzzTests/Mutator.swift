/// SplitMix64: a small seeded generator, so any failing iteration can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// An input to mutate: its bytes, the region where half the edits go (a .pth file's data.pkl,
/// so that edits reach the unpickler rather than only the zip reader), and a format's own length
/// and offset fields (where an edit changes what a reader is told to trust).
struct FuzzSeed {
    var bytes: [UInt8]
    var focus: Range<Int>?
    var lengthFields: ([UInt8]) -> [(offset: Int, width: Int)] = { _ in [] }
}

/// The mutations of a coverage-less fuzzer, as libFuzzer's and AFL's: bit flips, interesting
/// integers, truncation, insertion, deletion, splicing, and decimal numbers swapped for edge values
/// (text formats: JSON, JSON lines, Markdown read numbers from digits).
enum Mutator {
    /// Values that sit on the edges of the checks: zero, one, sign bits, all ones.
    static let interestingValues: [UInt64] = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000,
                                              0xFFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, .max]
    /// The same edges as text, and words a JSON or Markdown reader must refuse or survive.
    static let interestingWords = ["0", "-1", "1e309", "-0", "NaN", "1e-320", "65537", "8193", "2147483648", "9223372036854775808",
                                   "99999999999999999999", "null", "true", "\"\"", "[]", "{}", "\u{0}", "```", "#>", "\\u0000", "\\ud800"]

    static func mutate(_ seed: FuzzSeed, others: [FuzzSeed], using generator: inout SplitMix64) -> [UInt8] {
        var bytes = seed.bytes
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            guard !bytes.isEmpty else { return bytes }
            // Half the edits stay inside the focus when it is still where it was.
            let focused = seed.focus.map { $0.upperBound <= bytes.count && !$0.isEmpty } ?? false && Bool.random(using: &generator)
            let region = focused ? seed.focus! : 0..<bytes.count
            let position = Int.random(in: region, using: &generator)
            switch Int.random(in: 0..<9, using: &generator) {
            case 0:  // flip a bit
                bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
            case 1:  // an interesting byte
                bytes[position] = UInt8(truncatingIfNeeded: interestingValues.randomElement(using: &generator)!)
            case 2:  // an interesting little-endian integer, where an operand or a field may be
                let width = [1, 2, 4, 8].randomElement(using: &generator)!
                let value = interestingValues.randomElement(using: &generator)! &+ UInt64(bitPattern: Int64.random(in: -1...1, using: &generator))
                for index in 0..<width where position + index < region.upperBound {
                    bytes[position + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))
                }
            case 3:  // a length or offset field of the format
                if let field = seed.lengthFields(bytes).randomElement(using: &generator) {
                    let value = interestingValues.randomElement(using: &generator)! &+ UInt64(bitPattern: Int64.random(in: -2...2, using: &generator))
                    for index in 0..<field.width where field.offset + index < bytes.count {
                        bytes[field.offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))
                    }
                }
            case 4:  // truncate
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &generator))
            case 5:  // insert random bytes
                let count = Int.random(in: 1...16, using: &generator)
                bytes.insert(contentsOf: (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }, at: position)
            case 6:  // delete a range
                bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...64, using: &generator)))
            case 7:  // a decimal number (or any run of digits) replaced by an edge value
                let isDigit = { (byte: UInt8) in (0x30...0x39).contains(byte) }
                guard let start = bytes[position...].firstIndex(where: isDigit) else { break }
                let end = bytes[start...].firstIndex { !isDigit($0) } ?? bytes.count
                bytes.replaceSubrange(start..<end, with: Array(interestingWords.randomElement(using: &generator)!.utf8))
            default:  // splice in a piece of another input, in place
                let other = others.randomElement(using: &generator)!.bytes
                guard !other.isEmpty else { break }
                let start = Int.random(in: 0..<other.count, using: &generator)
                let length = min(Int.random(in: 1...64, using: &generator), other.count - start, bytes.count - position)
                bytes.replaceSubrange(position..<position + length, with: other[start..<start + length])
            }
        }
        return bytes
    }
}
