import Foundation
import Testing
@testable import CamlabNN

// MARK: - Helpers

/// The reference model trained by PyTorch (copied from shared/reference/tiny32).
private let referencePath: String = {
    guard let path = Bundle.module.path(forResource: "model", ofType: "safetensors", inDirectory: "Fixtures/tiny32") else {
        fatalError("test fixture Fixtures/tiny32/model.safetensors is not in the test bundle")
    }
    return path
}()

private let referenceBytes: [UInt8] = [UInt8](FileManager.default.contents(atPath: referencePath)!)

/// The reference file split into its header text and its tensor data.
private func referenceParts() -> (header: String, data: [UInt8]) {
    let length = referenceBytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
    return (String(decoding: referenceBytes[8..<8 + length], as: UTF8.self), Array(referenceBytes[(8 + length)...]))
}

/// A safetensors file made of `header` (with a correct length prefix) and `data`.
private func assemble(header: String, data: [UInt8]) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    let length = UInt64(headerBytes.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + headerBytes + data
}

/// The reference file with `target` replaced by `replacement` in its header text.
private func referenceEditingHeader(_ target: String, _ replacement: String) -> [UInt8] {
    let (header, data) = referenceParts()
    precondition(header.contains(target), "the reference header has no '\(target)'")
    return assemble(header: header.replacingOccurrences(of: target, with: replacement), data: data)
}

/// The reference model's tensors and metadata, for building variants.
private func referenceContents() throws -> SafeTensorsFile {
    try SafeTensorsFile(bytes: referenceBytes)
}

/// The description of the `ModelFileError` that `body` throws, or a failure if it throws none.
private func refusal(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    do {
        try body()
        Issue.record("expected a ModelFileError, but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as any Error & CustomStringConvertible where error is ModelFileError || error is NetworkError {
        let text = error.description
        // One sentence: a single full stop at the end, no line breaks.
        #expect(text.hasSuffix(".") && !text.contains("\n"), "not one sentence: \(text)", sourceLocation: sourceLocation)
        return text
    } catch {
        Issue.record("expected a ModelFileError, got \(error)", sourceLocation: sourceLocation)
    }
    return ""
}

/// Reads `bytes` as a model file, as `ModelFile.read` would.
private func readModel(_ bytes: [UInt8]) throws {
    _ = try ModelFile(safeTensors: SafeTensorsFile(bytes: bytes))
}

private func temporaryFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("camlab-model-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private let tiny32 = Architecture(
    input: [3, 32, 32], mean: [0, 0, 0], std: [1, 1, 1],
    classes: ["circle", "square", "triangle", "cross"],
    layers: [
        .conv2d(name: "features.0", in: 3, out: 16, kernel: 3, stride: 1, padding: 1),
        .relu(name: "features.1"),
        .conv2d(name: "features.2", in: 16, out: 32, kernel: 3, stride: 1, padding: 1),
        .relu(name: "features.3"),
        .maxPool2d(name: "features.4", kernel: 2),
        .conv2d(name: "features.5", in: 32, out: 64, kernel: 3, stride: 1, padding: 1),
        .relu(name: "features.6"),
        .globalAvgPool(name: "gap"),
        .linear(name: "classifier", in: 64, out: 4),
    ],
    targetLayer: "features.6")

// MARK: - Reading the reference and round trips

@Test func readsTheReferenceModel() throws {
    let model = try ModelFile.read(from: referencePath)
    #expect(model.architecture == tiny32)
    #expect(model.parameters.count == 8)
    #expect(model.parameters["features.0.weight"]?.shape == [16, 3, 3, 3])
    #expect(model.parameters["features.5.weight"]?.shape == [64, 32, 3, 3])
    #expect(model.parameters["classifier.weight"]?.shape == [4, 64])
    // Values as PyTorch/numpy read them from the same file.
    #expect(model.parameters["classifier.bias"]?.values == [-0.10649432986974716, 0.08288569003343582,
                                                             -0.008397634141147137, 0.07655637711286545])
    #expect(Array(model.parameters["features.0.weight"]!.values.prefix(3))
            == [-0.028736235573887825, 0.07491140067577362, -0.2146168202161789])
    #expect(model.parameters["features.5.weight"]?.values.last == 0.06289131194353104)
}

@Test func architectureEncodesLikeTheReference() throws {
    let file = try referenceContents()
    #expect(tiny32.jsonString == file.metadata["architecture"])
    #expect(try Architecture(jsonString: tiny32.jsonString) == tiny32)
}

@Test func writingTheReferenceReproducesItsBytes() throws {
    let model = try ModelFile.read(from: referencePath)
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/copy.safetensors"
    try model.write(to: path)
    #expect([UInt8](FileManager.default.contents(atPath: path)!) == referenceBytes)
    let reread = try ModelFile.read(from: path)
    #expect(reread.architecture == model.architecture)
    #expect(reread.parameters == model.parameters)
    // The temporary file was renamed, not left behind.
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["copy.safetensors"])
}

@Test func roundTripsOtherArchitecturesAndOverwrites() throws {
    let architecture = Architecture(
        input: [1, 28, 28], mean: [0.1307], std: [0.3081], classes: (0..<10).map { "digit \($0)" },
        layers: [.conv2d(name: "conv", in: 1, out: 2, kernel: 5, stride: 2),
                 .relu(name: "relu"), .globalAvgPool(name: "pool"), .linear(name: "fc", in: 2, out: 10)],
        targetLayer: "relu")
    var parameters: [String: StoredTensor] = [:]
    for (name, shape) in architecture.tensorShapes {
        let count = shape.reduce(1, *)
        parameters[name] = StoredTensor(shape: shape, values: (0..<count).map { Float(sin(0.37 * Double($0) + 0.11)) })
    }
    let model = ModelFile(architecture: architecture, parameters: parameters)
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/digits.safetensors"
    try FileManager.default.copyItem(atPath: referencePath, toPath: path)
    try model.write(to: path)
    let reread = try ModelFile.read(from: path)
    #expect(reread.architecture == architecture)
    #expect(reread.parameters == parameters)
    #expect(reread.architecture.mean == [0.1307] && reread.architecture.classes[9] == "digit 9")
}

@Test func safeTensorsRoundTripKeepsMetadataAndEmptyTensors() throws {
    let file = SafeTensorsFile(
        tensors: ["b": StoredTensor(shape: [2, 1], values: [1.5, -0.0]), "a": StoredTensor(shape: [0], values: []),
                  "ünï \"q\"": StoredTensor(shape: [], values: [3])],
        metadata: ["note": "line\nbreak ✓", "format": "x"])
    let bytes = file.serialized()
    #expect((bytes.count - 8) % 4 == 0)
    let header = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
    #expect(header % 8 == 0)
    let reread = try SafeTensorsFile(bytes: bytes)
    #expect(reread.tensors == file.tensors)
    #expect(reread.metadata == file.metadata)
}

// MARK: - Malformed files, each refused with its sentence

@Test func refusesShortFilesAndBadHeaderLengths() {
    #expect(refusal { try readModel(Array(referenceBytes.prefix(5))) }.contains("5 bytes long, too short"))
    #expect(refusal { try readModel([]) }.contains("0 bytes long"))
    var huge = referenceBytes
    for index in 0..<8 { huge[index] = 0xFF }
    #expect(refusal { try readModel(huge) }.contains("header length 18446744073709551615 reaches past the end of the 96960-byte file"))
    var oneTooLong = referenceBytes
    let length = UInt64(referenceBytes.count - 7)
    for index in 0..<8 { oneTooLong[index] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(index))) }
    #expect(refusal { try readModel(oneTooLong) }.contains("reaches past the end"))
}

@Test func refusesHeadersThatAreNotJSONObjects() {
    var notJSON = referenceBytes
    notJSON[8] = UInt8(ascii: "x")
    #expect(refusal { try readModel(notJSON) }.contains("the header is not JSON (unexpected character at byte 0)"))
    #expect(refusal { try readModel(referenceEditingHeader("}}   ", "}    ")) }.contains("the header is not JSON"))
    #expect(refusal { try readModel(assemble(header: "[1, 2]", data: [])) }.contains("not an object of tensor entries"))
    #expect(refusal { try readModel(assemble(header: "{\"a\":1,\"a\":2}", data: [])) }.contains("duplicate key \"a\""))
    var invalidUTF8 = referenceEditingHeader("\"circle", "\"c\u{00E9}rcle")
    if let index = invalidUTF8.firstIndex(of: 0xC3) { invalidUTF8[index] = 0xFF }
    #expect(refusal { try readModel(invalidUTF8) }.contains("invalid UTF-8"))
}

@Test func refusesOtherDTypes() {
    let f8 = referenceEditingHeader("\"classifier.bias\":{\"dtype\":\"F32\"", "\"classifier.bias\":{\"dtype\":\"F8_E4M3\"")
    #expect(refusal { try readModel(f8) }.contains("tensor 'classifier.bias' has dtype F8_E4M3, which camlab does not convert"))
    // F16 data must be half as long as F32's: the span is checked against the dtype.
    let f16 = referenceEditingHeader("\"classifier.bias\":{\"dtype\":\"F32\"", "\"classifier.bias\":{\"dtype\":\"F16\"")
    #expect(refusal { try readModel(f16) }.contains("tensor 'classifier.bias' has shape [4], which needs 8 bytes, but its data_offsets span 16 bytes"))
    let unknown = referenceEditingHeader("\"classifier.bias\":{\"dtype\":\"F32\"", "\"classifier.bias\":{\"dtype\":\"Q32\"")
    #expect(refusal { try readModel(unknown) }.contains("tensor 'classifier.bias' has the unknown dtype 'Q32'"))
}

@Test func refusesBadOffsets() {
    let outside = referenceEditingHeader("[21648,95376]", "[21648,95380]")
    #expect(refusal { try readModel(outside) }.contains("data_offsets [21648, 95380], outside the 95376 bytes"))
    let overlapping = referenceEditingHeader("[16,1040]", "[8,1032]")
    #expect(refusal { try readModel(overlapping) }.contains("tensors 'classifier.bias' and 'classifier.weight' overlap"))
    let wrongLength = referenceEditingHeader("\"shape\":[4],", "\"shape\":[5],")
    #expect(refusal { try readModel(wrongLength) }.contains("'classifier.bias' has shape [5], which needs 20 bytes, but its data_offsets span 16 bytes"))
    let reversed = referenceEditingHeader("[0,16]", "[16,0]")
    #expect(refusal { try readModel(reversed) }.contains("end before they begin"))
    var trailing = referenceBytes
    trailing += [0, 0, 0, 0]
    #expect(refusal { try readModel(trailing) }.contains("4 bytes of tensor data belong to no tensor"))
}

@Test func refusesHugeAndNegativeNumbersWithoutTrapping() {
    let hugeShape = referenceEditingHeader("\"shape\":[4],", "\"shape\":[99999999999999999999],")
    #expect(refusal { try readModel(hugeShape) }.contains("the number 99999999999999999999 in its shape"))
    let overflowingProduct = referenceEditingHeader("\"shape\":[4],", "\"shape\":[4294967296,4294967296],")
    #expect(refusal { try readModel(overflowingProduct) }.contains("has shape [4294967296, 4294967296]"))
    let negative = referenceEditingHeader("[0,16]", "[-16,0]")
    #expect(refusal { try readModel(negative) }.contains("the number -16 in its data_offsets"))
    let hugeOffset = referenceEditingHeader("[0,16]", "[0,18446744073709551615]")
    #expect(refusal { try readModel(hugeOffset) }.contains("the number 18446744073709551615 in its data_offsets"))
    let fractional = referenceEditingHeader("[0,16]", "[0,16.0]")
    #expect(refusal { try readModel(fractional) }.contains("the number 16.0"))
    let exponent = referenceEditingHeader("[0,16]", "[0,1e400]")
    #expect(refusal { try readModel(exponent) }.contains("the number 1e400"))
    let boolean = referenceEditingHeader("\"shape\":[4],", "\"shape\":[true],")
    #expect(refusal { try readModel(boolean) }.contains("has a Boolean in its shape"))
    let deep = String(repeating: "[", count: 10_000)
    #expect(refusal { try readModel(assemble(header: deep, data: [])) }.contains("nesting deeper than 64 levels"))
}

@Test func refusesMissingOrWrongMetadata() throws {
    let noMetadata = SafeTensorsFile(tensors: try referenceContents().tensors).serialized()
    // Without metadata it is a plain state dict, whose keys must then be a network camlab knows.
    #expect(refusal { try readModel(noMetadata) }.contains("a plain PyTorch state dict that camlab does not recognize: its keys (the first is 'classifier.bias') are neither"))
    let noArchitecture = referenceEditingHeader("\"architecture\":", "\"architectur3\":")
    #expect(refusal { try readModel(noArchitecture) }.contains("its __metadata__ has no \"architecture\" entry"))
    let noFormat = referenceEditingHeader("\"format\":", "\"f0rmat\":")
    #expect(refusal { try readModel(noFormat) }.contains("its __metadata__ has no \"format\" entry"))
    let wrongFormat = referenceEditingHeader("camlab-model/1", "camlab-model/7")
    #expect(refusal { try readModel(wrongFormat) }.contains("its format is 'camlab-model/7', but camlab reads 'camlab-model/1', 'camlab-model/2'"))
    let notString = referenceEditingHeader("\"format\":\"camlab-model/1\"", "\"format\":1")
    #expect(refusal { try readModel(notString) }.contains("the __metadata__ entry has the number 1 for \"format\", not a string"))
    let notJSON = referenceEditingHeader("\\\"input\\\": [3, 32, 32]", "\\\"input\\\": [3, 32, 32")
    #expect(refusal { try readModel(notJSON) }.contains("the architecture metadata is not JSON (expected ',' or ']' at byte"))
}

@Test func refusesUnknownLayerTypes() {
    let unknown = referenceEditingHeader("maxpool2d", "avgpool2d")
    #expect(refusal { try readModel(unknown) }.contains("module 'features.4' has the unknown type 'avgpool2d'"))
}

@Test func refusesMissingMisshapenAndUnexpectedParameters() throws {
    var missing = try referenceContents()
    missing.tensors["features.2.bias"] = nil
    #expect(refusal { try readModel(missing.serialized()) }.contains("tensor 'features.2.bias' of module 'features.2' is missing"))

    var misshapen = try referenceContents()
    misshapen.tensors["classifier.weight"]?.shape = [64, 4]
    #expect(refusal { try readModel(misshapen.serialized()) }.contains("parameter 'classifier.weight' has shape [64, 4], but the architecture needs [4, 64]"))

    // The architecture says 3×3 kernels; a file with 16×3×3×3 stored as 16×27 is refused too.
    let flattened = referenceEditingHeader("\"shape\":[16,3,3,3]", "\"shape\":[16,27]")
    #expect(refusal { try readModel(flattened) }.contains("parameter 'features.0.weight' has shape [16, 27], but the architecture needs [16, 3, 3, 3]"))

    var extra = try referenceContents()
    extra.tensors["features.1.weight"] = StoredTensor(shape: [1], values: [0])
    extra.tensors["aaa"] = StoredTensor(shape: [1], values: [0])
    #expect(refusal { try readModel(extra.serialized()) }.contains("it holds the tensors 'aaa', 'features.1.weight', which no module"))
}

@Test func refusesNonFiniteParameters() {
    let dataStart = referenceBytes.count - 95376  // classifier.bias is first, at data offset 0
    var nan = referenceBytes
    nan.replaceSubrange(dataStart + 4..<dataStart + 8, with: [0x00, 0x00, 0xC0, 0x7F])
    #expect(refusal { try readModel(nan) }.contains("parameter 'classifier.bias' holds nan at flat index 1; parameters must be finite"))
    var infinity = referenceBytes
    infinity.replaceSubrange(dataStart + 12..<dataStart + 16, with: [0x00, 0x00, 0x80, 0xFF])
    #expect(refusal { try readModel(infinity) }.contains("'classifier.bias' holds -inf at flat index 3"))
}

@Test func refusesDirectoriesAndMissingFilesNamingThePath() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    #expect(refusal { _ = try ModelFile.read(from: folder) } == "Cannot read model file '\(folder)': it is a directory, not a file.")
    let missing = folder + "/nothing.safetensors"
    #expect(refusal { _ = try ModelFile.read(from: missing) } == "Cannot read model file '\(missing)': there is no such file.")

    let broken = folder + "/broken.safetensors"
    _ = FileManager.default.createFile(atPath: broken, contents: Data(referenceEditingHeader("camlab-model/1", "camlab-model/9")))
    #expect(refusal { _ = try ModelFile.read(from: broken) }
            == "Cannot read model file '\(broken)': its format is 'camlab-model/9', but camlab reads 'camlab-model/1', 'camlab-model/2' and plain PyTorch state dicts.")
    #expect(refusal { _ = try SafeTensorsFile(contentsOf: folder) }.contains("it is a directory"))
}

@Test func refusesToWriteBrokenModelsAndLeavesTheOldFile() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/model.safetensors"
    try FileManager.default.copyItem(atPath: referencePath, toPath: path)
    var model = try ModelFile.read(from: path)
    model.parameters["classifier.bias"]?.values[2] = .nan
    #expect(refusal { try model.write(to: path) }
            == "Cannot write model file '\(path)': parameter 'classifier.bias' holds nan at flat index 2; parameters must be finite.")
    var shortened = model
    shortened.parameters["classifier.bias"]?.values = [1, 2]
    #expect(refusal { try shortened.write(to: path) }
            == "Cannot write model file '\(path)': tensor 'classifier.bias' has shape [4] but 2 values.")
    #expect(refusal { try shortened.safeTensorsFile.write(to: path) }
            == "Cannot write model file '\(path)': tensor 'classifier.bias' has shape [4] but 2 values.")
    model.parameters["classifier.bias"]?.values[2] = 0
    #expect(refusal { try model.write(to: folder) }.contains("directory"))
    #expect(refusal { try model.write(to: folder + "/no/such/folder/m.safetensors") }.contains("does not exist"))
    // The earlier file is untouched and nothing temporary is left.
    #expect([UInt8](FileManager.default.contents(atPath: path)!) == referenceBytes)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["model.safetensors"])
}

// MARK: - Architectures

/// Each v1 layer's output shape, in layer order, from the network's shape walk.
func layerShapes(_ architecture: Architecture, input: [Int]? = nil) throws -> [[Int]] {
    let network = try Network(architecture: architecture, seed: 0)
    let shapes = try network.outputShapes(forInput: input ?? architecture.input)
    return architecture.layers!.map { shapes[$0.name]! }
}

/// Every check camlab makes before running: the architecture's own, then the shape walk.
func check(_ architecture: Architecture) throws {
    try architecture.validate()
    _ = try Network(architecture: architecture, seed: 0)
}

@Test func listsTheOutputShapeOfEveryLayer() throws {
    #expect(try layerShapes(tiny32) == [[16, 32, 32], [16, 32, 32], [32, 32, 32], [32, 32, 32], [32, 16, 16],
                                        [64, 16, 16], [64, 16, 16], [64], [4]])
    #expect(try layerShapes(tiny32, input: [3, 64, 48]).prefix(5).last == [32, 32, 24])
    #expect(refusal { _ = try layerShapes(tiny32, input: [1, 32, 32]) }.contains("expects 3 input channels but gets 1"))
}

@Test func validatesArchitecturesOfOtherShapes() throws {
    // 3×64×64, stride-2 convs without padding, a 3×3/2 max pool, a deeper stack, 10 classes.
    let deep = Architecture(
        input: [3, 64, 64], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
        classes: (0..<10).map { "class\($0)" },
        layers: [
            .conv2d(name: "c1", in: 3, out: 8, kernel: 3, stride: 2),        // 31
            .relu(name: "r1"),
            .conv2d(name: "c2", in: 8, out: 8, kernel: 5, padding: 2),      // 31
            .relu(name: "r2"),
            .maxPool2d(name: "p1", kernel: 3, stride: 2),                  // 15
            .conv2d(name: "c3", in: 8, out: 16, kernel: 1),                  // 15
            .relu(name: "r3"),
            .conv2d(name: "c4", in: 16, out: 32, kernel: 3, stride: 2, padding: 1), // 8
            .relu(name: "r4"),
            .globalAvgPool(name: "gap"),
            .linear(name: "fc1", in: 32, out: 20),
            .relu(name: "r5"),
            .linear(name: "fc2", in: 20, out: 10),
        ],
        targetLayer: "r4")
    let shapes = try layerShapes(deep)
    #expect(shapes == [[8, 31, 31], [8, 31, 31], [8, 31, 31], [8, 31, 31], [8, 15, 15], [16, 15, 15], [16, 15, 15],
                       [32, 8, 8], [32, 8, 8], [32], [20], [20], [10]])
    #expect(try Architecture(jsonString: deep.jsonString) == deep)
    #expect(deep.jsonString.contains("\"mean\": [0.485, 0.456, 0.406]"))

    let gray = Architecture(
        input: [1, 7, 5], mean: [0.5], std: [0.25], classes: ["a", "b"],
        layers: [.conv2d(name: "conv", in: 1, out: 2, kernel: 5), .relu(name: "act"), .globalAvgPool(name: "gap")],
        targetLayer: "conv")
    #expect(try layerShapes(gray) == [[2, 3, 1], [2, 3, 1], [2]])
}

@Test func refusesInvalidArchitecturesWithTheirSentence() {
    func variant(_ change: (inout Architecture) -> Void) -> Architecture {
        var architecture = tiny32
        change(&architecture)
        return architecture
    }
    let cases: [(Architecture, String)] = [
        (variant { $0.layers![2] = .conv2d(name: "features.2", in: 8, out: 32, kernel: 3, padding: 1) },
         "Conv2d 'features.2' expects 8 input channels but gets 16"),
        (variant { $0.input = [3, 1, 1] },
         "'features.4' gets a map of size 1, smaller than its 2-wide window even with padding 0"),
        (variant { $0.layers!.remove(at: 7) },
         "Linear 'classifier' gets a 64×16×16 map; it needs a flattened vector"),
        (variant { $0.classes.removeLast() }, "the network has 4 outputs but there are 3 classes"),
        (variant { $0.layers!.removeLast(2) }, "the network must end in one score per class, but it outputs 64×16×16"),
        (variant { $0.layers![3] = .relu(name: "features.1") }, "the network has two modules named 'features.1'"),
        (variant { $0.targetLayer = "features.9" }, "target_layer 'features.9' is not the path of a module"),
        (variant { $0.targetLayer = "gap" }, "target_layer 'gap' outputs 64, not a C×H×W feature map"),
        (variant { $0.mean = [0, 0] }, "mean and std need 3 entries each"),
        (variant { $0.std = [1, 0, 1] }, "every std must be a finite number greater than 0"),
        (variant { $0.input = [3, 32] }, "input must be [C, H, W]"),
        (variant { $0.classes[1] = "circle" }, "the class name 'circle' appears twice"),
        (variant { $0.layers![0] = .conv2d(name: "features.0", in: 3, out: 16, kernel: 3, stride: 0) },
         "conv2d 'features.0' needs stride and dilation of 1 to 64"),
        (variant { $0.layers!.insert(.maxPool2d(name: "pool", kernel: 2), at: 8) },
         "MaxPool2d 'pool' needs a C×H×W input but gets 64"),
        (variant { $0.layers![0] = .conv2d(name: "features.0", in: 3, out: 16, kernel: 3, padding: Int.max) },
         "conv2d 'features.0' needs stride and dilation of 1 to 64 and padding of 0 to 64"),
    ]
    for (architecture, fragment) in cases {
        let message = refusal { try check(architecture) }
        #expect(message.contains("the architecture is invalid: " + fragment), "\(message)")
    }
}

@Test func refusesMalformedArchitectureDocuments() {
    let base = tiny32.jsonString
    func edited(_ target: String, _ replacement: String) -> String {
        precondition(base.contains(target))
        return base.replacingOccurrences(of: target, with: replacement)
    }
    let cases: [(String, String)] = [
        (edited("\"padding\": 1}, {\"name\": \"features.1\"", "\"paddding\": 1}, {\"name\": \"features.1\""),
         "conv2d layer 'features.0' has the key \"paddding\", which camlab-model/1 does not define"),
        (edited("\"in\": 3, ", ""), "conv2d layer 'features.0' has no \"in\""),
        (edited("\"in\": 3,", "\"in\": 99999999999999999999999,"),
         "\"in\" of layer 'features.0' is the number 99999999999999999999999, not an integer"),
        (edited("\"in\": 3,", "\"in\": \"3\","), "\"in\" of layer 'features.0' is a string, not an integer"),
        (edited("\"std\": [1, 1, 1]", "\"std\": [1, 1e999, 1]"), "\"std\" holds the number 1e999, not a finite number"),
        (edited(", \"target_layer\": \"features.6\"", ""), "\"target_layer\" is missing or not a string"),
        (edited("\"input\"", "\"inputs\""), "the key \"inputs\" is not part of camlab-model/1"),
        ("[]", "the document is an array, not an object"),
    ]
    for (text, fragment) in cases {
        let message = refusal { _ = try Architecture(jsonString: text) }
        #expect(message.contains(fragment), "\(message)")
    }
    #expect(refusal { _ = try Architecture(jsonString: "{\"input\": ") }.contains("the architecture metadata is not JSON (unexpected end of text at byte 10)"))
    #expect(refusal { _ = try Architecture(jsonString: edited("\"relu\"", "\"gelu\"")) }
            .contains("module 'features.1' has the unknown type 'gelu'"))
    // stride defaults to 1 / padding to 0 for conv2d, and stride to kernel for maxpool2d.
    let defaults = edited("\"kernel\": 2, \"stride\": 2", "\"kernel\": 2")
        .replacingOccurrences(of: "\"kernel\": 3, \"stride\": 1, \"padding\": 1}, {\"name\": \"features.1\"",
                              with: "\"kernel\": 3}, {\"name\": \"features.1\"")
    let decoded = try? Architecture(jsonString: defaults)
    #expect(decoded?.layers?[4] == .maxPool2d(name: "features.4", kernel: 2, stride: 2))
    #expect(decoded?.layers?[0] == .conv2d(name: "features.0", in: 3, out: 16, kernel: 3, stride: 1, padding: 0))
}

@Test func checkingInMemorySaysUseAndWritingSaysWrite() {
    var architecture = tiny32
    architecture.targetLayer = "nowhere"
    #expect(refusal { try architecture.validate() }
            == "Cannot use the model: the architecture is invalid: target_layer 'nowhere' is not the path of a module.")
}

@Test func mutatedAndTruncatedFilesThrowInsteadOfTrapping() {
    let headerEnd = 8 + referenceParts().header.utf8.count
    // Every truncation through the header and a little beyond.
    for length in stride(from: 0, through: headerEnd + 64, by: 7) {
        #expect(throws: ModelFileError.self) { try readModel(Array(referenceBytes.prefix(length))) }
    }
    // Deterministic byte substitutions across the length prefix and header (a fixed LCG, no RNG).
    var state: UInt64 = 0x2545F4914F6CDD1D
    let replacements: [UInt8] = Array("{}[]\",:-0123456789eE.tfn \\".utf8) + [0x00, 0xFF, 0x80]
    for _ in 0..<600 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        var bytes = referenceBytes
        let position = Int((state >> 33) % UInt64(headerEnd))
        bytes[position] = replacements[Int((state >> 20) % UInt64(replacements.count))]
        do {
            try readModel(bytes)
        } catch is ModelFileError {
            // Refused with a sentence, as it should be.
        } catch {
            Issue.record("unexpected error type \(error)")
        }
    }
}

/// Only a network that adapts to the input size takes an image at its own size; one whose linear
/// layer reads a flattened map of fixed size gets images resized to its nominal input.
@Test func imagesRunAtTheirOwnSizeOnlyWhereTheNetworkAdapts() throws {
    let adaptive = try Network(architecture: tiny32, seed: 1)
    #expect(adaptive.adaptsToInputSize)
    #expect(adaptive.inputShape(forImageHeight: 250, width: 400) == [3, 250, 400])
    let flat = Architecture(input: [3, 8, 8], mean: [0, 0, 0], std: [1, 1, 1], classes: ["a", "b"], root: ModuleSpec("", .sequential, children: [
        ModuleSpec("0", .conv2d(Conv2dSpec(in: 3, out: 4, kernel: [3, 3], padding: 1))), ModuleSpec("1", .relu),
        ModuleSpec("2", .flatten), ModuleSpec("3", .linear(in: 256, out: 2, bias: true)),
    ]), targetLayer: "1")
    let fixed = try Network(architecture: flat, seed: 1)
    #expect(!fixed.adaptsToInputSize)
    #expect(fixed.inputShape(forImageHeight: 250, width: 400) == [3, 8, 8])
    #expect(throws: NetworkError.self) { try fixed.outputShapes(forInput: [3, 9, 8]) }
    #expect(try Architecture(jsonString: flat.jsonString) == flat)
    #expect(flat.jsonString.contains("\"modules\""))
}

/// F16, BF16, F64 and integer tensors (PyTorch's num_batches_tracked is I64) convert to Float32.
@Test func convertsOtherDTypesToFloat32() throws {
    func entry(_ name: String, _ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(end)]}"
    }
    var data: [UInt8] = []
    data += [0x00, 0x3C, 0x00, 0xC0]                               // F16 1, −2
    data += [0x80, 0x3F, 0x40, 0x40]                               // BF16 1, 3
    data += withUnsafeBytes(of: (0.25 as Double).bitPattern.littleEndian, Array.init)   // F64 0.25
    data += withUnsafeBytes(of: Int64(-7).littleEndian, Array.init)                      // I64 −7
    data += [1, 0]                                                 // BOOL true, false
    let header = "{" + [entry("h", "F16", [2], 0, 4), entry("b", "BF16", [2], 4, 8), entry("d", "F64", [], 8, 16),
                        entry("i", "I64", [], 16, 24), entry("t", "BOOL", [2], 24, 26)].joined(separator: ",") + "}"
    let headerBytes = Array(header.utf8)
    let bytes = withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian, Array.init) + headerBytes + data
    let file = try SafeTensorsFile(bytes: bytes)
    #expect(file.tensors["h"]?.values == [1, -2])
    #expect(file.tensors["b"]?.values == [1, 3])
    #expect(file.tensors["d"]?.values == [0.25] && file.tensors["d"]?.shape == [])
    #expect(file.tensors["i"]?.values == [-7])
    #expect(file.tensors["t"]?.values == [1, 0])
}
