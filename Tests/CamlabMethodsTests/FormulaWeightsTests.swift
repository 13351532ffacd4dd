import Foundation
import Testing

/// `FormulaWeights` (Swift) reproduces Tools/pytorch/formula_weights.py bit for bit: the values
/// make_torchvision_reference.py recorded in Fixtures/torchvision/expected.json (`formula_checks`:
/// first and last float32 bit patterns and an order-sensitive checksum; `models.*.state_dict`:
/// every key, shape and checksum), and the BatchNorm-buffer files beside it.
struct FormulaWeightsTests {
    struct Check: Sendable, CustomTestStringConvertible {
        let model: String, key: String, shape: [Int], source: String
        let batchNorm: Bool?, count: Int?, firstBits: [UInt32], lastBits: [UInt32], checksum: UInt64?, value: Int?
        var testDescription: String { "\(model) \(key)" }
    }

    struct Entry: Sendable {
        let key: String, shape: [Int], dtype: String, source: String, batchNorm: Bool?, checksum: UInt64?, value: Int?
    }

    struct Model: Sendable {
        let name: String, bnBuffers: String, entries: [Entry]
    }

    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/torchvision")

    static let fixture: (formula: String, checks: [Check], models: [String: Model]) = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("expected.json"))
        let root = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        func bits(_ any: Any?) -> [UInt32] { (any as? [Any] ?? []).map { ($0 as! NSNumber).uint32Value } }
        func checksum(_ any: Any?) -> UInt64? { (any as? String).map { UInt64($0)! } }
        let checks = (root["formula_checks"] as! [[String: Any]]).map { c in
            Check(model: c["model"] as! String, key: c["key"] as! String, shape: c["shape"] as! [Int],
                  source: c["source"] as! String, batchNorm: c["batchnorm"] as? Bool, count: c["count"] as? Int,
                  firstBits: bits(c["first_bits"]), lastBits: bits(c["last_bits"]), checksum: checksum(c["checksum"]),
                  value: c["value"] as? Int)
        }
        var models: [String: Model] = [:]
        for (name, any) in root["models"] as! [String: Any] {
            let model = any as! [String: Any]
            let entries = (model["state_dict"] as! [[String: Any]]).map { e in
                Entry(key: e["key"] as! String, shape: e["shape"] as! [Int], dtype: e["dtype"] as! String,
                      source: e["source"] as! String, batchNorm: e["batchnorm"] as? Bool, checksum: checksum(e["checksum"]),
                      value: e["value"] as? Int)
            }
            models[name] = Model(name: name, bnBuffers: model["bn_buffers"] as! String, entries: entries)
        }
        return (root["formula"] as! String, checks, models)
    }()

    static let checks = fixture.checks
    static let modelNames = fixture.models.keys.sorted()

    @Test func theFixtureUsesThisFormula() {
        #expect(Self.fixture.formula == FormulaWeights.name)
        #expect(Self.modelNames == ["resnet18", "resnet50", "vgg11_bn"])
    }

    /// Published vectors: FNV-1a 64 ("", "a", "foobar") and SplitMix64 seeded with 0, whose
    /// outputs are the mixer at seed 0, indices 0, 1, 2.
    @Test func hashAndMixerMatchTheirPublishedValues() {
        #expect(FormulaWeights.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(FormulaWeights.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(FormulaWeights.fnv1a64("foobar") == 0x8594_4171_f739_67e8)
        let splitMix: [UInt64] = [0xe220_a839_7b1d_cdaf, 0x6e78_9e6a_a1b9_65f4, 0x06c4_5d18_8009_454f]
        for (index, output) in splitMix.enumerated() {
            #expect(FormulaWeights.unitUniform(seed: 0, index: index) == Double(output >> 40) * 0x1p-24)
        }
    }

    @Test func rangesFollowTheKeyAndShape() {
        func range(_ key: String, _ shape: [Int], _ batchNorm: Bool) -> [Double]? {
            FormulaWeights.range(key: key, shape: shape, isBatchNormParameter: batchNorm).map { [$0.low, $0.high] }
        }
        #expect(range("conv1.weight", [64, 3, 7, 7], false) == [-(6.0 / 147).squareRoot(), (6.0 / 147).squareRoot()])
        #expect(range("fc.weight", [1000, 512], false) == [-(3.0 / 512).squareRoot(), (3.0 / 512).squareRoot()])
        #expect(range("bn1.weight", [64], true) == [0.5, 1.5])
        #expect(range("bn1.bias", [64], true) == [-0.2, 0.2])
        #expect(range("fc.bias", [1000], false) == [-0.05, 0.05])
        #expect(range("ln.weight", [64], false) == nil)
        #expect(FormulaWeights.isBatchNormParameter("layer1.0.bn1.weight", keys: ["layer1.0.bn1.weight", "layer1.0.bn1.running_mean"]))
        #expect(!FormulaWeights.isBatchNormParameter("layer1.0.conv1.weight", keys: ["layer1.0.conv1.weight", "layer1.0.bn1.running_mean"]))
    }

    @Test(arguments: checks)
    func valuesEqualPythonsBitForBit(_ check: Check) throws {
        let model = try #require(Self.fixture.models[check.model])
        if check.source == "formula" {
            let batchNorm = try #require(check.batchNorm as Bool?)
            let count = try #require(check.count)
            #expect(count == check.shape.reduce(1, *))
            let bits = { (index: Int) in
                FormulaWeights.value(at: index, key: check.key, shape: check.shape, isBatchNormParameter: batchNorm).bitPattern
            }
            #expect((0..<check.firstBits.count).map(bits) == check.firstBits)
            #expect((count - check.lastBits.count..<count).map(bits) == check.lastBits)
            if let checksum = check.checksum {
                let values = FormulaWeights.values(key: check.key, shape: check.shape, isBatchNormParameter: batchNorm)
                #expect(values.count == count)
                #expect(FormulaWeights.checksum(values) == checksum)
                #expect(values.prefix(check.firstBits.count).map(\.bitPattern) == check.firstBits)
            }
        } else {
            let buffers = try FormulaSafeTensors.read(Self.folder.appendingPathComponent(model.bnBuffers))
            let stored = try #require(buffers[check.key])
            #expect(stored.shape == check.shape)
            if let value = check.value {
                #expect(stored.dtype == "I64" && stored.values == [Float(value)])
            } else {
                #expect(stored.dtype == "F32")
                #expect(stored.values.prefix(check.firstBits.count).map(\.bitPattern) == check.firstBits)
                #expect(stored.values.suffix(check.lastBits.count).map(\.bitPattern) == check.lastBits)
                #expect(check.checksum.map { FormulaWeights.checksum(stored.values) == $0 } ?? true)
            }
        }
    }

    /// Every model's key list: Swift finds the same BatchNorm parameters, has a range for every
    /// formula key, and the buffer file holds exactly the buffers, with the listed shapes and dtypes.
    @Test(arguments: modelNames)
    func keyListsAgreeWithTheBufferFiles(_ name: String) throws {
        let model = try #require(Self.fixture.models[name])
        let keys = Set(model.entries.map(\.key))
        #expect(keys.count == model.entries.count)
        for entry in model.entries where entry.source == "formula" {
            let batchNorm = FormulaWeights.isBatchNormParameter(entry.key, keys: keys)
            #expect(batchNorm == entry.batchNorm, "\(entry.key)")
            #expect(FormulaWeights.range(key: entry.key, shape: entry.shape, isBatchNormParameter: batchNorm) != nil, "\(entry.key)")
        }
        let buffers = try FormulaSafeTensors.read(Self.folder.appendingPathComponent(model.bnBuffers))
        let bufferEntries = model.entries.filter { $0.source == "bn_buffers" }
        #expect(Set(buffers.keys) == Set(bufferEntries.map(\.key)))
        #expect(bufferEntries.allSatisfy { FormulaWeights.isBuffer($0.key) })
        for entry in bufferEntries {
            #expect(buffers[entry.key]?.shape == entry.shape, "\(entry.key)")
            #expect(buffers[entry.key]?.dtype == (entry.dtype == "int64" ? "I64" : "F32"), "\(entry.key)")
        }
    }

    /// The state dict that a Swift test builds for resnet18 is PyTorch's, tensor for tensor.
    @Test func assemblesResnet18sStateDict() throws {
        let model = try #require(Self.fixture.models["resnet18"])
        let state = try FormulaWeights.stateDict(entries: model.entries.map { ($0.key, $0.shape) },
                                                 batchNormBuffers: Self.folder.appendingPathComponent(model.bnBuffers))
        #expect(state.count == model.entries.count)
        for entry in model.entries {
            let tensor = try #require(state[entry.key])
            #expect(tensor.shape == entry.shape, "\(entry.key)")
            #expect(tensor.values.count == entry.shape.reduce(1, *), "\(entry.key)")
            if let checksum = entry.checksum {
                #expect(FormulaWeights.checksum(tensor.values) == checksum, "\(entry.key)")
            }
            if let value = entry.value {
                #expect(tensor.values == [Float(value)], "\(entry.key)")
            }
        }
    }
}
