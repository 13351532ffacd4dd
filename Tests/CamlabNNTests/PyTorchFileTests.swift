import Foundation
import Testing
@testable import CamlabNN

// Fixtures: Tools/pytorch/make_pth_fixtures.py writes them and records in expected.json what
// torch.load(weights_only=True) reads from each readable one.

/// The path of a fixture in Fixtures/pth.
func pthFixture(_ name: String) -> String {
    let url = URL(fileURLWithPath: name)
    let base = url.deletingPathExtension().lastPathComponent, ext = url.pathExtension
    guard let path = Bundle.module.path(forResource: base, ofType: ext, inDirectory: "Fixtures/pth") else {
        fatalError("test fixture Fixtures/pth/\(name) is not in the test bundle")
    }
    return path
}

func pthFixtureBytes(_ name: String) -> [UInt8] {
    [UInt8](FileManager.default.contents(atPath: pthFixture(name))!)
}

/// Reads bytes in memory as `PyTorchFile.stateDict(contentsOf:)` reads a file.
func readPyTorch(_ bytes: [UInt8]) throws -> (tensors: [(name: String, tensor: StoredTensor)], note: String?) {
    try bytes.withUnsafeBytes { try PyTorchFile.stateDict(bytes: $0) }
}

/// What PyTorch read from a fixture: its tensors, and the checkpoint key they sit under.
private struct ExpectedStateDict: Decodable {
    struct Tensor: Decodable {
        var name: String
        var shape: [Int]
        /// Float32 bit patterns, so NaN, infinities and -0 compare exactly.
        var bits: [UInt32]
    }

    var key: String?
    var skipped: [String]
    var tensors: [Tensor]
}

private let expectedStateDicts: [String: ExpectedStateDict] = {
    let data = FileManager.default.contents(atPath: pthFixture("expected.json"))!
    return try! JSONDecoder().decode([String: ExpectedStateDict].self, from: data)
}()

/// The description of the `PyTorchFileError` that `body` throws, or a failure if it throws none.
private func refusal(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    do {
        try body()
        Issue.record("expected a PyTorchFileError, but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as PyTorchFileError {
        let text = error.description
        // One sentence: a single full stop at the end, no line breaks.
        #expect(text.hasSuffix(".") && !text.contains("\n"), "not one sentence: \(text)", sourceLocation: sourceLocation)
        return text
    } catch {
        Issue.record("expected a PyTorchFileError, got \(error)", sourceLocation: sourceLocation)
    }
    return ""
}

/// The offset of the central-directory entry for `name` in a zip archive's bytes.
private func centralEntry(named name: String, in bytes: [UInt8]) -> Int {
    let target = Array(name.utf8)
    for offset in 0..<(bytes.count - 46) where bytes[offset..<offset + 4] == [0x50, 0x4B, 0x01, 0x02] {
        let length = Int(bytes[offset + 28]) | Int(bytes[offset + 29]) << 8
        if Array(bytes[(offset + 46)..<min(bytes.count, offset + 46 + length)]) == target { return offset }
    }
    fatalError("no central-directory entry '\(name)'")
}

private func replacing(_ target: String, with replacement: String, in bytes: [UInt8]) -> [UInt8] {
    let from = Array(target.utf8), to = Array(replacement.utf8)
    precondition(from.count == to.count)
    var result = bytes, offset = 0, found = false
    while offset + from.count <= result.count {
        if Array(result[offset..<offset + from.count]) == from {
            result.replaceSubrange(offset..<offset + from.count, with: to)
            found = true
        }
        offset += 1
    }
    precondition(found, "'\(target)' is not in the bytes")
    return result
}

private func writeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: inout [UInt8]) {
    for index in 0..<MemoryLayout<T>.size { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
}

@Suite struct PyTorchFileTests {
    // MARK: - Reading what PyTorch reads

    @Test(arguments: ["state_dict.pth", "checkpoint_state_dict.pth", "checkpoint_model.pth", "dtypes.pth", "views.pth",
                      "torchvision_block.pth", "state_dict_zip64.pth"])
    func readsTheValuesPyTorchReads(fixture: String) throws {
        let expected = try #require(expectedStateDicts[fixture])
        let (tensors, note) = try PyTorchFile.stateDict(contentsOf: pthFixture(fixture))
        #expect(tensors.map(\.name) == expected.tensors.map(\.name))
        for (read, want) in zip(tensors, expected.tensors) {
            #expect(read.tensor.shape == want.shape, "\(read.name)")
            #expect(read.tensor.values.map(\.bitPattern) == want.bits, "\(read.name)")
        }
        if let key = expected.key {
            let note = try #require(note)
            #expect(note.hasPrefix("The state dict is the checkpoint's '\(key)' entry"))
            for skipped in expected.skipped { #expect(note.contains("'\(skipped)'"), "\(note)") }
        } else {
            #expect(note == nil)
        }
    }

    @Test func convertsTheBatchNormCounterToA0dTensor() throws {
        let tensors = try PyTorchFile.stateDict(contentsOf: pthFixture("state_dict.pth")).tensors
        let counter = try #require(tensors.first { $0.name == "1.num_batches_tracked" })
        #expect(counter.tensor == StoredTensor(shape: [], values: [3]))
    }

    @Test func materializesViewsOfOneStorageInRowMajorOrder() throws {
        let tensors = Dictionary(uniqueKeysWithValues: try PyTorchFile.stateDict(contentsOf: pthFixture("views.pth")).tensors
            .map { ($0.name, $0.tensor) })
        // base is arange(24) as 4×6; the others are views of its storage.
        #expect(tensors["base"]?.values == (0..<24).map(Float.init))
        #expect(tensors["transposed"]?.values.prefix(5) == [0, 6, 12, 18, 1])
        #expect(tensors["row"]?.values == [12, 13, 14, 15, 16, 17])
        #expect(tensors["column"]?.values == [3, 9, 15, 21])
        #expect(tensors["strided"] == StoredTensor(shape: [2, 2], values: [6, 9, 18, 21]))
        #expect(tensors["broadcast"] == StoredTensor(shape: [3, 2], values: [7, -1, 7, -1, 7, -1]))
        #expect(tensors["negated"]?.values == [-1, 2, -0.5])
    }

    @Test func convertsHalfPrecisionBitForBit() {
        #expect(PyTorchDType.float(fromHalf: 0x3C00) == 1)
        #expect(PyTorchDType.float(fromHalf: 0x0001) == 0x1p-24)  // the smallest subnormal
        #expect(PyTorchDType.float(fromHalf: 0x7BFF) == 65504)     // the largest finite half
        #expect(PyTorchDType.float(fromHalf: 0x8000).sign == .minus)
        #expect(PyTorchDType.float(fromHalf: 0xFC00) == -.infinity)
        #expect(PyTorchDType.float(fromHalf: 0x7E00).isNaN)
    }

    // MARK: - Sniffing

    @Test func sniffsTheFormatFromTheContentNotTheName() throws {
        #expect(PyTorchFile.format(ofFileAtPath: pthFixture("state_dict.pth")) == .zipArchive)
        #expect(PyTorchFile.format(ofFileAtPath: pthFixture("legacy.pth")) == .legacyPickle)
        #expect(PyTorchFile.isPyTorchFile(pthFixture("torchscript.pt")))
        let safeTensors = try #require(Bundle.module.path(forResource: "model", ofType: "safetensors", inDirectory: "Fixtures/tiny32"))
        #expect(!PyTorchFile.isPyTorchFile(safeTensors))
        #expect(!PyTorchFile.isPyTorchFile("/nonexistent/camlab.pth"))
        // A legacy file saved with pickle protocol 4 starts with a FRAME before the magic number.
        let protocol4: [UInt8] = [0x80, 0x04, 0x95, 12, 0, 0, 0, 0, 0, 0, 0, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
        #expect(PyTorchFile.format(of: protocol4) == .legacyPickle)
        var tar = [UInt8](repeating: 0, count: 512)
        tar.replaceSubrange(257..<262, with: Array("ustar".utf8))
        #expect(PyTorchFile.format(of: tar) == .legacyTar)
        #expect(PyTorchFile.format(of: [0x80, 0x02, 0x7D]) == nil)  // a pickle, but not torch.save's
    }

    // MARK: - Refusals, each with its sentence

    @Test func hostilePicklesAreRefusedByNameAndRunNothing() throws {
        let canary = "/tmp/camlab-pth-fixture-canary"  // what every payload would `touch`
        try? FileManager.default.removeItem(atPath: canary)
        let path = pthFixture("os_system.pth")
        #expect(refusal { _ = try PyTorchFile.stateDict(contentsOf: path) } == "Cannot read '\(path)': it asks pickle to call "
            + "os.system, which a weights file never needs; camlab refuses it (PyTorch's weights_only=True would too).")
        for (fixture, global) in [("posix_system.pth", "posix.system"), ("builtins_eval.pth", "builtins.eval"),
                                  ("builtin_exec.pth", "__builtin__.exec"), ("eval_in_checkpoint.pth", "builtins.eval")] {
            #expect(refusal { _ = try PyTorchFile.stateDict(contentsOf: pthFixture(fixture)) }
                .contains("it asks pickle to call \(global), which a weights file never needs"))
        }
        #expect(!FileManager.default.fileExists(atPath: canary))
    }

    @Test(arguments: [
        ("larger_than_storage.pth", "tensor 'w' needs 4 elements from storage offset 1, but its storage holds 4."),
        ("strides_outside_storage.pth", "tensor 'w' with size [2, 2], stride [2, 2] and storage offset 0 reaches element 4, "
            + "past the end of its 4-element storage."),
        ("negative_stride.pth", "tensor 'w' has size [4], stride [-1] and storage offset 3, but sizes, strides and offsets cannot be negative."),
        ("storage_size_mismatch.pth", "storage record 'archive/data/0' holds 16 bytes, but the pickle declares 8 float32 elements for it."),
        ("missing_storage.pth", "the pickle refers to tensor storage '1', but the archive has no record 'state_dict/data/1'."),
        ("huge_view.pth", "tensor 'w' has size [2147483648, 2147483648], more than the 4 GiB of float32 values camlab allows for one tensor."),
        ("too_many_values.pth", "its tensors would hold 17825792 values or more, far more than the 16 bytes of storage in the file account for"),
        ("high_rank.pth", "the size of _rebuild_tensor_v2 has 100 dimensions, more than the 64 camlab reads."),
        ("long_storage_key.pth", "a persistent id has a key of 300 bytes, but torch.save's keys are short numbers."),
        ("long_keys_through_memo.pth", "its pickle sets long dict keys over and over (by byte "),
        ("missing_memo.pth", "its pickle is malformed at byte 3: BINGET (0x68) reads memo slot 7, which nothing was put in."),
        ("deep_nesting.pth", "its pickle nests MARK more than 1000 deep at byte 1002, far deeper than any state dict"),
        ("self_containing_list.pth", "its pickle holds a dict that is not a dict of tensors (its entry 'loop' is a list) "
            + "and has no 'state_dict' or 'model' entry that is one."),
        ("protocol4.pth", "its pickle uses opcode FRAME (0x95) at byte 2, which no state dict saved by torch.save needs"),
        ("list.pth", "its pickle holds a list, not a dict of tensors."),
        ("no_tensors.pth", "(its entry 'epoch' is an int)"),
        ("whole_model.pth", "it holds a whole pickled model (its pickle asks to build torch.nn.modules.linear.Linear), not a state dict"),
        ("torchscript.pt", "it is a TorchScript archive (torch.jit.save) whose pickle asks for __torch__.torch.nn.modules.linear.Linear"),
        ("legacy.pth", "it is in PyTorch's legacy format from before version 1.6, which camlab does not read; re-save it with a "
            + "current PyTorch: torch.save(torch.load(f, weights_only=True), 'new.pth')."),
        ("big_endian.pth", "it was written on a big-endian machine (its byteorder record says 'big')"),
        ("deflated.pth", "zip entry 'state_dict/data.pkl' is compressed (method 8, deflate), but torch.save stores entries uncompressed"),
        ("truncated.pth", "it starts like a zip archive but has no end-of-central-directory record, so it is truncated or not a zip archive."),
    ])
    func refusesWithItsSentence(fixture: String, sentence: String) {
        let path = pthFixture(fixture)
        let text = refusal { _ = try PyTorchFile.stateDict(contentsOf: path) }
        #expect(text.hasPrefix("Cannot read '\(path)': "), "\(text)")
        #expect(text.contains(sentence), "\(text)")
    }

    @Test func refusesWhatIsNotAFile() throws {
        #expect(refusal { _ = try PyTorchFile.stateDict(contentsOf: "/nonexistent/x.pth") }
            == "Cannot read '/nonexistent/x.pth': there is no such file.")
        let folder = FileManager.default.temporaryDirectory.path
        #expect(refusal { _ = try PyTorchFile.stateDict(contentsOf: folder) }.contains("it is a directory, not a file"))
        let safeTensors = try #require(Bundle.module.path(forResource: "model", ofType: "safetensors", inDirectory: "Fixtures/tiny32"))
        #expect(refusal { _ = try PyTorchFile.stateDict(contentsOf: safeTensors) }
            .contains("it is neither a zip archive (what torch.save writes) nor a legacy PyTorch file"))
    }

    // MARK: - Damaged archives, edited in memory

    @Test func refusesDamagedZipStructures() {
        let good = pthFixtureBytes("state_dict.pth")
        #expect(throws: Never.self) { _ = try readPyTorch(good) }

        #expect(refusal { _ = try readPyTorch(replacing("little", with: "middle", in: good)) }
            .contains("its byteorder record says 'middle', neither 'little' nor 'big'"))
        #expect(refusal { _ = try readPyTorch(replacing("state_dict/data/1", with: "state_dict/data/0", in: good)) }
            .contains("its zip archive holds two entries named 'state_dict/data/0'"))
        #expect(refusal { _ = try readPyTorch(replacing("state_dict/data.pkl", with: "state_dict/data.pkx", in: good)) }
            .contains("its zip archive has no data.pkl record"))

        var encrypted = good
        encrypted[centralEntry(named: "state_dict/data.pkl", in: good) + 8] |= 1
        #expect(refusal { _ = try readPyTorch(encrypted) }.contains("zip entry 'state_dict/data.pkl' is encrypted"))

        var pastEnd = good
        let last = centralEntry(named: "state_dict/.data/serialization_id", in: good)
        writeLittleEndian(UInt32(1_000_000), at: last + 20, in: &pastEnd)
        writeLittleEndian(UInt32(1_000_000), at: last + 24, in: &pastEnd)
        #expect(refusal { _ = try readPyTorch(pastEnd) }.contains("zip entry 'state_dict/.data/serialization_id' ends at byte"))
        #expect(refusal { _ = try readPyTorch(pastEnd) }.contains("past the end of the \(good.count)-byte file (is it truncated?)"))

        // Python's zipfile wrote this one with a plain end record, the last 22 bytes.
        let plain = pthFixtureBytes("larger_than_storage.pth")
        var directoryPastEnd = plain
        writeLittleEndian(UInt32(plain.count - 30), at: plain.count - 22 + 16, in: &directoryPastEnd)
        #expect(refusal { _ = try readPyTorch(directoryPastEnd) }.contains("its zip structure is damaged: the central directory ("))

        // torch.save always adds a ZIP64 end record (56 bytes, then the 20-byte locator and the plain
        // record), and its fields are the ones that count.
        let zip64End = good.count - 22 - 20 - 56
        #expect(good[zip64End..<zip64End + 4] == [0x50, 0x4B, 0x06, 0x06])
        var fewerEntries = good
        writeLittleEndian(UInt64(3), at: zip64End + 32, in: &fewerEntries)
        #expect(refusal { _ = try readPyTorch(fewerEntries) }.contains("the central directory declares 3 entries but holds 16"))
        var lostRecord = good
        writeLittleEndian(UInt64(1 << 40), at: good.count - 22 - 20 + 8, in: &lostRecord)
        #expect(refusal { _ = try readPyTorch(lostRecord) }.contains("its ZIP64 end record is missing or cut short"))

        let emptyZip: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 4) + [0x50, 0x4B, 0x05, 0x06]
            + [UInt8](repeating: 0, count: 18)
        #expect(refusal { _ = try readPyTorch(emptyZip) }.contains("its zip archive has no data.pkl record"))
        #expect(refusal { _ = try readPyTorch([]) }.contains("it is neither a zip archive"))
    }

    @Test func namesFromAHostileFileStayOnOneLine() {
        var bytes = replacing("state_dict/", with: "state\n\u{7}ict/", in: pthFixtureBytes("state_dict.pth"))
        bytes[centralEntry(named: "state\n\u{7}ict/data.pkl", in: bytes) + 8] |= 1
        let text = refusal { _ = try readPyTorch(bytes) }
        #expect(text.contains("zip entry 'state\\u{a}\\u{7}ict/data.pkl' is encrypted"), "\(text)")
    }
}
