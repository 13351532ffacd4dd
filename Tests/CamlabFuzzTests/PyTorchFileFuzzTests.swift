import Foundation
import Testing
@testable import CamlabNN

/// The .pth reader fuzzed (zip archive, unpickler, tensor checks). Its corpus is the fixtures of
/// CamlabNNTests (Tools/pytorch/make_pth_fixtures.py), read in place rather than copied.
struct PyTorchFileFuzzTests {
    static let fixtures = Fuzzing.folder.deletingLastPathComponent().appendingPathComponent("CamlabNNTests/Fixtures/pth")

    /// A fixture with its data.pkl as the focus of half the edits.
    static func seed(_ name: String) -> FuzzSeed {
        let bytes = [UInt8](FileManager.default.contents(atPath: fixtures.appendingPathComponent(name).path)!)
        let archive = bytes.withUnsafeBytes { try? ZipArchive(bytes: ByteReader(bytes: $0)) }
        let entry = archive?.entries.first { $0.name.hasSuffix("/data.pkl") }
        return FuzzSeed(bytes: bytes, focus: entry.map { $0.dataOffset..<$0.dataOffset + $0.size }, lengthFields: zipLengthFields)
    }

    /// The offsets of the length and offset fields of a zip archive's records.
    static func zipLengthFields(in bytes: [UInt8]) -> [(offset: Int, width: Int)] {
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

    /// Every input must parse or throw a `PyTorchFileError` with its one sentence.
    @Test func mutatedFilesParseOrThrowPyTorchFileError() throws {
        let seeds = ["state_dict.pth", "checkpoint_state_dict.pth", "dtypes.pth", "views.pth", "torchvision_block.pth",
                     "state_dict_zip64.pth", "eval_in_checkpoint.pth", "larger_than_storage.pth", "legacy.pth"].map(Self.seed)
        try Fuzzing.run("pth", iterations: 3000, seeds: seeds, minimumShares: (0.02, 0.25), read: { bytes in
            _ = try bytes.withUnsafeBytes { try PyTorchFile.stateDict(bytes: $0) }
        }, refusal: { error in
            guard let error = error as? PyTorchFileError else { return nil }
            // Its sentences end with a full stop.
            return error.description.hasSuffix(".") ? error.description : ""
        })
    }
}
