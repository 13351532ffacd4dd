import Foundation
import Testing
@testable import CamlabNN

/// SplitMix64: a small seeded generator, so any failing iteration can be replayed.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A fixture to mutate, with where its data.pkl lies (mutations there keep the zip intact and so
/// reach the unpickler and the tensor checks, not only the zip reader).
private struct FuzzSeed {
    var bytes: [UInt8]
    var pickle: Range<Int>

    init(_ name: String) {
        bytes = pthFixtureBytes(name)
        let archive = bytes.withUnsafeBytes { try? ZipArchive(bytes: ByteReader(bytes: $0)) }
        let entry = archive?.entries.first { $0.name.hasSuffix("/data.pkl") }
        pickle = entry.map { $0.dataOffset..<$0.dataOffset + $0.size } ?? 0..<bytes.count
    }
}

/// Values that sit on the edges of the checks: zero, one, sign bits, all ones.
private let interestingValues: [UInt64] = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000,
                                           0xFFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, .max]

/// The offsets of the length and offset fields of a zip archive's records and of pickle
/// opcodes' operands: where an edit changes what a reader is told to trust.
private func lengthFields(in bytes: [UInt8]) -> [(offset: Int, width: Int)] {
    var fields: [(Int, Int)] = []
    var offset = 0
    while offset + 4 <= bytes.count {
        switch (bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]) {
        case (0x50, 0x4B, 0x03, 0x04): fields += [(offset + 18, 4), (offset + 22, 4), (offset + 26, 2), (offset + 28, 2)]
        case (0x50, 0x4B, 0x01, 0x02):
            fields += [(offset + 20, 4), (offset + 24, 4), (offset + 28, 2), (offset + 30, 2), (offset + 32, 2), (offset + 42, 4)]
        case (0x50, 0x4B, 0x05, 0x06): fields += [(offset + 10, 2), (offset + 12, 4), (offset + 16, 4), (offset + 20, 2)]
        case (0x50, 0x4B, 0x06, 0x06): fields += [(offset + 32, 8), (offset + 40, 8), (offset + 48, 8)]
        case (0x50, 0x4B, 0x06, 0x07): fields += [(offset + 8, 8)]
        default: break
        }
        offset += 1
    }
    return fields
}

private func mutate(_ seed: FuzzSeed, others: [FuzzSeed], using generator: inout SplitMix64) -> [UInt8] {
    var bytes = seed.bytes
    let rounds = Int.random(in: 1...3, using: &generator)
    for _ in 0..<rounds {
        guard !bytes.isEmpty else { return bytes }
        // Half the edits stay inside data.pkl when it is still where it was.
        let inPickle = seed.pickle.upperBound <= bytes.count && !seed.pickle.isEmpty && Bool.random(using: &generator)
        let region = inPickle ? seed.pickle : 0..<bytes.count
        let position = Int.random(in: region, using: &generator)
        switch Int.random(in: 0..<8, using: &generator) {
        case 0:  // flip a bit
            bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
        case 1:  // an interesting byte
            bytes[position] = UInt8(truncatingIfNeeded: interestingValues.randomElement(using: &generator)!)
        case 2:  // an interesting little-endian field where an opcode's operand or a zip field may be
            let width = [1, 2, 4, 8].randomElement(using: &generator)!
            let value = interestingValues.randomElement(using: &generator)! &+ UInt64(bitPattern: Int64.random(in: -1...1, using: &generator))
            for index in 0..<width where position + index < region.upperBound {
                bytes[position + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))
            }
        case 3:  // a zip length or offset field
            if let field = lengthFields(in: bytes).randomElement(using: &generator) {
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
        default:  // splice in a piece of another fixture, in place
            let other = others.randomElement(using: &generator)!.bytes
            let start = Int.random(in: 0..<other.count, using: &generator)
            let length = min(Int.random(in: 1...64, using: &generator), other.count - start, bytes.count - position)
            bytes.replaceSubrange(position..<position + length, with: other[start..<start + length])
        }
    }
    return bytes
}

extension PyTorchFileTests {
    /// A seeded mutation loop over the fixtures: every input must parse or throw a
    /// `PyTorchFileError` with its one sentence; a trap or another error fails the test.
    ///
    /// CI runs 3000 iterations. For longer runs set CAMLAB_FUZZ_ITERATIONS and CAMLAB_FUZZ_SEED;
    /// with CAMLAB_FUZZ_TRACE=path each input is written to that path before it is read, so a
    /// crash leaves its input behind, to be kept as a fixture with a test of its own.
    @Test func mutatedFilesParseOrThrowPyTorchFileError() throws {
        let environment = ProcessInfo.processInfo.environment
        let iterations = environment["CAMLAB_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 3000
        let seedValue = environment["CAMLAB_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_250_601
        let trace = environment["CAMLAB_FUZZ_TRACE"]
        let seeds = ["state_dict.pth", "checkpoint_state_dict.pth", "dtypes.pth", "views.pth", "torchvision_block.pth",
                     "state_dict_zip64.pth", "eval_in_checkpoint.pth", "larger_than_storage.pth", "legacy.pth"].map(FuzzSeed.init)
        var generator = SplitMix64(state: seedValue)
        var parsed = 0, refused = 0
        for iteration in 0..<iterations {
            let input = mutate(seeds.randomElement(using: &generator)!, others: seeds, using: &generator)
            if let trace { _ = FileManager.default.createFile(atPath: trace, contents: Data(input)) }
            do {
                _ = try readPyTorch(input)
                parsed += 1
            } catch let error as PyTorchFileError {
                refused += 1
                let text = error.description
                if !(text.hasSuffix(".") && !text.contains("\n")) {
                    Issue.record("iteration \(iteration) (seed \(seedValue)): not one sentence: \(text)")
                }
            } catch {
                Issue.record("iteration \(iteration) (seed \(seedValue)): \(type(of: error)): \(error)")
            }
        }
        // Both outcomes must be common, or the mutations are too weak or too strong to test anything.
        #expect(parsed > iterations / 50, "only \(parsed) of \(iterations) mutated files parsed")
        #expect(refused > iterations / 4, "only \(refused) of \(iterations) mutated files were refused")
    }
}
