/// One layer of a camlab-model/1 network, as written in the architecture JSON.
///
/// Parameter names follow PyTorch's `nn.Sequential` state dicts: `<name>.weight`, `<name>.bias`.
public enum LayerSpec: Equatable, Sendable {
    /// 2-D convolution with square kernel; weight `[out, in, kernel, kernel]`, bias `[out]`.
    case conv2d(name: String, in: Int, out: Int, kernel: Int, stride: Int = 1, padding: Int = 0)
    /// max(x, 0), elementwise.
    case relu(name: String)
    /// Max pooling over square windows without padding.
    case maxPool2d(name: String, kernel: Int, stride: Int)
    /// The mean of each channel over all positions: `[C, H, W]` → `[C]`.
    case globalAvgPool(name: String)
    /// y = W x + b; weight `[out, in]`, bias `[out]`.
    case linear(name: String, in: Int, out: Int)

    /// Max pooling whose stride defaults to its kernel, as in PyTorch.
    public static func maxPool2d(name: String, kernel: Int) -> LayerSpec {
        .maxPool2d(name: name, kernel: kernel, stride: kernel)
    }

    /// The layer's name, unique within the architecture.
    public var name: String {
        switch self {
        case let .conv2d(name, _, _, _, _, _), let .relu(name), let .maxPool2d(name, _, _),
             let .globalAvgPool(name), let .linear(name, _, _):
            return name
        }
    }

    /// The `type` string of the JSON document.
    public var typeName: String {
        switch self {
        case .conv2d: return "conv2d"
        case .relu: return "relu"
        case .maxPool2d: return "maxpool2d"
        case .globalAvgPool: return "global_avg_pool"
        case .linear: return "linear"
        }
    }

    /// The layer's parameters in state-dict order (weight, then bias) with PyTorch's shapes.
    public var parameterShapes: [(name: String, shape: [Int])] {
        switch self {
        case let .conv2d(name, inChannels, outChannels, kernel, _, _):
            return [("\(name).weight", [outChannels, inChannels, kernel, kernel]), ("\(name).bias", [outChannels])]
        case let .linear(name, inFeatures, outFeatures):
            return [("\(name).weight", [outFeatures, inFeatures]), ("\(name).bias", [outFeatures])]
        case .relu, .maxPool2d, .globalAvgPool:
            return []
        }
    }
}

/// The network a camlab-model/1 file describes: input size, normalization, classes and layers.
///
/// Decoded from, and encoded to, the `architecture` metadata string (see
/// `model-format.md`). An image enters as RGB in [0, 1], channel-first, then `(x - mean) / std`.
public struct Architecture: Equatable, Sendable {
    /// The input shape `[C, H, W]`.
    public var input: [Int]
    /// Per-channel mean subtracted from the input (C entries).
    public var mean: [Double]
    /// Per-channel standard deviation the input is divided by (C entries, all > 0).
    public var std: [Double]
    /// Class names; the network's last layer has one output per class.
    public var classes: [String]
    /// The layers, run in order.
    public var layers: [LayerSpec]
    /// The layer whose output the CAM methods explain by default.
    public var targetLayer: String

    /// Creates an architecture; call `validate()` to check it.
    public init(input: [Int], mean: [Double], std: [Double], classes: [String], layers: [LayerSpec],
                targetLayer: String) {
        self.input = input
        self.mean = mean
        self.std = std
        self.classes = classes
        self.layers = layers
        self.targetLayer = targetLayer
    }

    // MARK: - Shapes

    /// Checks the architecture: C×H×W input, C-entry mean and positive std, unique class and
    /// layer names, and a shape walk in which every conv's `in` matches the channels, spatial
    /// sizes stay ≥ 1, linear layers follow `global_avg_pool` with `in` equal to the features,
    /// the network ends in one score per class, and `target_layer` names a C×H×W output.
    ///
    /// - Throws: `ModelFileError` with `.invalidArchitecture` saying what is wrong.
    public func validate() throws {
        _ = try outputShapes()
    }

    /// Each layer's output shape for this architecture's input, in layer order;
    /// e.g. `[16, 32, 32]` after a padded 3×3 conv with 16 filters, `[64]` after global pooling.
    ///
    /// - Throws: `ModelFileError` with `.invalidArchitecture` if the architecture is invalid.
    public func outputShapes() throws -> [[Int]] {
        try outputShapes(forInput: input)
    }

    /// Each layer's output shape for an input of shape `[C, H, W]` (a different image size than
    /// `input` is allowed: every layer but `linear` works at any size that keeps maps ≥ 1×1).
    ///
    /// - Throws: `ModelFileError` with `.invalidArchitecture` if the architecture is invalid.
    public func outputShapes(forInput inputShape: [Int]) throws -> [[Int]] {
        func invalid(_ reason: String) -> ModelFileError { ModelFileError(file: nil, operation: .checking, .invalidArchitecture(reason: reason)) }
        func list(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

        guard input.count == 3, input.allSatisfy({ $0 >= 1 }) else {
            throw invalid("input must be [C, H, W] with every entry at least 1, not \(list(input))")
        }
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 >= 1 }), inputShape[0] == input[0] else {
            throw invalid("an input of shape \(list(inputShape)) does not fit a network for \(input[0])-channel images")
        }
        let channels = input[0]
        guard mean.count == channels, std.count == channels else {
            throw invalid("mean and std need \(channels) entries each (one per input channel), not \(mean.count) and \(std.count)")
        }
        guard mean.allSatisfy(\.isFinite) else { throw invalid("every mean must be a finite number") }
        guard std.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw invalid("every std must be a finite number greater than 0") }
        guard !classes.isEmpty else { throw invalid("there must be at least one class") }
        if let repeated = firstDuplicate(classes) { throw invalid("the class name '\(repeated)' appears twice") }
        guard !layers.isEmpty else { throw invalid("there are no layers") }
        if let empty = layers.firstIndex(where: { $0.name.isEmpty }) { throw invalid("layer \(empty) has an empty name") }
        if let repeated = firstDuplicate(layers.map(\.name)) { throw invalid("the layer name '\(repeated)' appears twice") }

        var shape = inputShape
        var shapes: [[Int]] = []
        for layer in layers {
            let name = layer.name
            switch layer {
            case let .conv2d(_, inChannels, outChannels, kernel, stride, padding):
                guard inChannels >= 1, outChannels >= 1, kernel >= 1, stride >= 1, padding >= 0 else {
                    throw invalid("conv2d '\(name)' needs in, out, kernel and stride ≥ 1 and padding ≥ 0")
                }
                guard shape.count == 3 else {
                    throw invalid("conv2d '\(name)' needs a C×H×W input but gets \(list(shape))")
                }
                guard inChannels == shape[0] else {
                    throw invalid("conv2d '\(name)' expects \(inChannels) input channels but gets \(shape[0])")
                }
                shape = [outChannels,
                         try slidingSize(shape[1], kernel: kernel, stride: stride, padding: padding, layer: name),
                         try slidingSize(shape[2], kernel: kernel, stride: stride, padding: padding, layer: name)]
            case .relu:
                break
            case let .maxPool2d(_, kernel, stride):
                guard kernel >= 1, stride >= 1 else { throw invalid("maxpool2d '\(name)' needs kernel and stride ≥ 1") }
                guard shape.count == 3 else {
                    throw invalid("maxpool2d '\(name)' needs a C×H×W input but gets \(list(shape))")
                }
                shape = [shape[0],
                         try slidingSize(shape[1], kernel: kernel, stride: stride, padding: 0, layer: name),
                         try slidingSize(shape[2], kernel: kernel, stride: stride, padding: 0, layer: name)]
            case .globalAvgPool:
                guard shape.count == 3 else {
                    throw invalid("global_avg_pool '\(name)' needs a C×H×W input but gets \(list(shape))")
                }
                shape = [shape[0]]
            case let .linear(_, inFeatures, outFeatures):
                guard inFeatures >= 1, outFeatures >= 1 else { throw invalid("linear '\(name)' needs in and out ≥ 1") }
                guard shape.count == 1 else {
                    throw invalid("linear '\(name)' gets a \(list(shape)) feature map; camlab-model/1 does not flatten, so put a global_avg_pool before it")
                }
                guard inFeatures == shape[0] else {
                    throw invalid("linear '\(name)' expects \(inFeatures) inputs but gets \(shape[0])")
                }
                shape = [outFeatures]
            }
            shapes.append(shape)
        }
        guard shape.count == 1 else {
            throw invalid("the network must end in one score per class, but its last layer outputs \(list(shape))")
        }
        guard shape[0] == classes.count else {
            throw invalid("the last layer has \(shape[0]) outputs but there are \(classes.count) classes")
        }
        guard let targetIndex = layers.firstIndex(where: { $0.name == targetLayer }) else {
            throw invalid("target_layer '\(targetLayer)' is not the name of a layer")
        }
        guard shapes[targetIndex].count == 3 else {
            throw invalid("target_layer '\(targetLayer)' outputs \(list(shapes[targetIndex])), not a C×H×W feature map")
        }
        return shapes
    }

    /// The output size of a sliding window (PyTorch's floor rule), refusing sizes below 1.
    private func slidingSize(_ size: Int, kernel: Int, stride: Int, padding: Int, layer: String) throws -> Int {
        // Sizes come from JSON and may be huge; overflow means the layer cannot be valid.
        let (twice, overflow1) = padding.multipliedReportingOverflow(by: 2)
        let (padded, overflow2) = size.addingReportingOverflow(twice)
        guard !overflow1, !overflow2, padded >= kernel else {
            throw ModelFileError(file: nil, operation: .checking, .invalidArchitecture(reason:
                "layer '\(layer)' gets a map of size \(size), smaller than its kernel \(kernel) even with padding \(padding)"))
        }
        return (padded - kernel) / stride + 1
    }

    private func firstDuplicate(_ names: [String]) -> String? {
        var seen = Set<String>()
        return names.first { !seen.insert($0).inserted }
    }

    /// Every parameter of every layer in layer order, with PyTorch's shapes.
    public var parameterShapes: [(name: String, shape: [Int])] {
        layers.flatMap(\.parameterShapes)
    }
}

// MARK: - JSON

extension Architecture {
    /// Decodes the architecture JSON document of a camlab-model/1 file (it is not validated;
    /// call `validate()`).
    ///
    /// - Throws: `ModelFileError` with `.architectureNotJSON`, `.unknownLayerType`, or
    ///   `.invalidArchitecture` for a missing, mistyped or unknown key.
    public init(jsonString: String) throws {
        let document: ModelFileJSON
        do {
            document = try ModelFileJSON.parse(jsonString)
        } catch let error as ModelFileJSONSyntaxError {
            throw ModelFileError(.architectureNotJSON(reason: error.description))
        }
        try self.init(document: document)
    }

    init(document: ModelFileJSON) throws {
        func invalid(_ reason: String) -> ModelFileError { ModelFileError(.invalidArchitecture(reason: reason)) }
        guard case let .object(members) = document else {
            throw invalid("the document is \(document.kindName), not an object")
        }
        let known = ["input", "mean", "std", "classes", "layers", "target_layer"]
        if let extra = members.first(where: { !known.contains($0.key) }) {
            throw invalid("the key \"\(extra.key)\" is not part of camlab-model/1")
        }
        func array(_ key: String) throws -> [ModelFileJSON] {
            guard let value = document[key] else { throw invalid("the key \"\(key)\" is missing") }
            guard case let .array(elements) = value else { throw invalid("\"\(key)\" is \(value.kindName), not an array") }
            return elements
        }
        input = try array("input").map {
            guard let value = $0.intValue else { throw invalid("\"input\" holds \($0.kindName), not an integer") }
            return value
        }
        func numbers(_ key: String) throws -> [Double] {
            try array(key).map {
                guard let value = $0.doubleValue else { throw invalid("\"\(key)\" holds \($0.kindName), not a finite number") }
                return value
            }
        }
        mean = try numbers("mean")
        std = try numbers("std")
        classes = try array("classes").map {
            guard case let .string(name) = $0 else { throw invalid("\"classes\" holds \($0.kindName), not a string") }
            return name
        }
        layers = try array("layers").enumerated().map { try Self.decodeLayer($1, index: $0) }
        guard case let .string(target)? = document["target_layer"] else {
            throw invalid("\"target_layer\" is missing or not a string")
        }
        targetLayer = target
    }

    private static func decodeLayer(_ value: ModelFileJSON, index: Int) throws -> LayerSpec {
        func invalid(_ reason: String) -> ModelFileError { ModelFileError(.invalidArchitecture(reason: reason)) }
        guard case let .object(members) = value else { throw invalid("layer \(index) is \(value.kindName), not an object") }
        guard case let .string(name)? = value["name"] else { throw invalid("layer \(index) has no \"name\" string") }
        guard case let .string(type)? = value["type"] else { throw invalid("layer '\(name)' has no \"type\" string") }
        let keys: [String]
        switch type {
        case "conv2d": keys = ["in", "out", "kernel", "stride", "padding"]
        case "relu", "global_avg_pool": keys = []
        case "maxpool2d": keys = ["kernel", "stride"]
        case "linear": keys = ["in", "out"]
        default: throw ModelFileError(.unknownLayerType(layer: name, type: type))
        }
        // A misspelt key ("paddding") would otherwise silently take its default.
        if let extra = members.first(where: { !(["name", "type"] + keys).contains($0.key) }) {
            throw invalid("\(type) layer '\(name)' has the key \"\(extra.key)\", which camlab-model/1 does not define")
        }
        func integer(_ key: String, default defaultValue: Int? = nil) throws -> Int {
            guard let field = value[key] else {
                if let defaultValue { return defaultValue }
                throw invalid("\(type) layer '\(name)' has no \"\(key)\"")
            }
            guard let number = field.intValue else {
                throw invalid("\"\(key)\" of layer '\(name)' is \(field.kindName), not an integer")
            }
            return number
        }
        switch type {
        case "conv2d":
            return .conv2d(name: name, in: try integer("in"), out: try integer("out"), kernel: try integer("kernel"),
                           stride: try integer("stride", default: 1), padding: try integer("padding", default: 0))
        case "maxpool2d":
            let kernel = try integer("kernel")
            return .maxPool2d(name: name, kernel: kernel, stride: try integer("stride", default: kernel))
        case "linear":
            return .linear(name: name, in: try integer("in"), out: try integer("out"))
        case "relu":
            return .relu(name: name)
        default:
            return .globalAvgPool(name: name)
        }
    }

    /// The architecture as the JSON document stored in the file, with the spec's key order and
    /// Python's `json.dumps` spacing, so camlab-written files look like PyTorch-written ones.
    public var jsonString: String {
        func quoted(_ text: String) -> String { JSONText.quoted(text, asciiOnly: true) }
        func integers(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ", ") + "]" }
        func numbers(_ values: [Double]) -> String {
            // Integral values print as integers ("0", not "0.0"), as in the reference files.
            "[" + values.map { value in
                value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
            }.joined(separator: ", ") + "]"
        }
        let layerTexts = layers.map { layer -> String in
            var fields = ["\"name\": \(quoted(layer.name))", "\"type\": \(quoted(layer.typeName))"]
            switch layer {
            case let .conv2d(_, inChannels, outChannels, kernel, stride, padding):
                fields += ["\"in\": \(inChannels)", "\"out\": \(outChannels)", "\"kernel\": \(kernel)",
                           "\"stride\": \(stride)", "\"padding\": \(padding)"]
            case let .maxPool2d(_, kernel, stride):
                fields += ["\"kernel\": \(kernel)", "\"stride\": \(stride)"]
            case let .linear(_, inFeatures, outFeatures):
                fields += ["\"in\": \(inFeatures)", "\"out\": \(outFeatures)"]
            case .relu, .globalAvgPool:
                break
            }
            return "{" + fields.joined(separator: ", ") + "}"
        }
        return "{\"input\": \(integers(input)), \"mean\": \(numbers(mean)), \"std\": \(numbers(std)), "
            + "\"classes\": [\(classes.map(quoted).joined(separator: ", "))], "
            + "\"layers\": [\(layerTexts.joined(separator: ", "))], "
            + "\"target_layer\": \(quoted(targetLayer))}"
    }
}
