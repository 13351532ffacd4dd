// MARK: - JSON

extension Architecture {
    /// Decodes an architecture JSON document: camlab-model/1's (`layers`, a flat list) or
    /// camlab-model/2's (`modules`, a tree). It is checked by `validate()`, not here.
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
        let isTree = document["modules"] != nil
        let known = ["input", "mean", "std", "classes", isTree ? "modules" : "layers", "target_layer"]
        if let extra = members.first(where: { !known.contains($0.key) }) {
            throw invalid("the key \"\(extra.key)\" is not part of \(isTree ? ModelFile.format : ModelFile.formatVersion1)")
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
        if isTree {
            guard let tree = document["modules"] else { throw invalid("the key \"modules\" is missing") }
            root = try Self.decodeModule(tree, path: "", depth: 0)
        } else {
            root = ModuleSpec("", .sequential, children: try array("layers").enumerated().map { try Self.decodeLayer($1, index: $0).moduleSpec })
        }
        guard case let .string(target)? = document["target_layer"] else {
            throw invalid("\"target_layer\" is missing or not a string")
        }
        targetLayer = target
    }

    /// One module of camlab-model/2 and its children: `{"name", "type", arguments…, "modules": […]}`
    /// (the root has no name).
    private static func decodeModule(_ value: ModelFileJSON, path: String, depth: Int) throws -> ModuleSpec {
        func invalid(_ reason: String) -> ModelFileError { ModelFileError(.invalidArchitecture(reason: reason)) }
        guard depth <= 32 else { throw invalid("modules are nested more than 32 deep under '\(path)'") }
        guard case let .object(members) = value else { throw invalid("module '\(path)' is \(value.kindName), not an object") }
        let name: String
        if depth == 0 {
            name = ""
        } else {
            guard case let .string(text)? = value["name"] else { throw invalid("a module inside '\(path)' has no \"name\" string") }
            name = text
        }
        let here = path.isEmpty ? name : path + "." + name
        let label = here.isEmpty ? "the root module" : "module '\(here)'"
        guard case let .string(type)? = value["type"] else { throw invalid("\(label) has no \"type\" string") }
        let arguments: [String]
        switch type {
        case "conv2d": arguments = ["in", "out", "kernel", "stride", "padding", "dilation", "groups", "bias"]
        case "batchnorm2d": arguments = ["features", "eps", "momentum"]
        case "maxpool2d": arguments = ["kernel", "stride", "padding", "dilation", "ceil_mode"]
        case "avgpool2d": arguments = ["kernel", "stride", "padding", "ceil_mode", "count_include_pad"]
        case "adaptive_avgpool2d": arguments = ["output"]
        case "linear": arguments = ["in", "out", "bias"]
        case "dropout": arguments = ["p"]
        case "relu", "global_avg_pool", "flatten", "identity": arguments = []
        case "sequential", "basic_block", "bottleneck", "resnet", "vgg": arguments = ["modules"]
        default: throw ModelFileError(.unknownLayerType(layer: here, type: type))
        }
        // A misspelt key ("paddding") would otherwise silently take its default.
        if let extra = members.first(where: { !(["name", "type"] + arguments).contains($0.key) }) {
            throw invalid("\(type) \(label) has the key \"\(extra.key)\", which \(ModelFile.format) does not define")
        }
        func integer(_ key: String, default defaultValue: Int? = nil) throws -> Int {
            guard let field = value[key] else {
                if let defaultValue { return defaultValue }
                throw invalid("\(type) \(label) has no \"\(key)\"")
            }
            guard let number = field.intValue else { throw invalid("\"\(key)\" of \(label) is \(field.kindName), not an integer") }
            return number
        }
        func pair(_ key: String) throws -> [Int] {
            if case let .array(elements)? = value[key] {
                let numbers = elements.compactMap(\.intValue)
                guard numbers.count == 2, elements.count == 2 else { throw invalid("\"\(key)\" of \(label) must be one integer or two") }
                return numbers
            }
            let number = try integer(key)
            return [number, number]
        }
        func number(_ key: String, default defaultValue: Double) throws -> Double {
            guard let field = value[key] else { return defaultValue }
            guard let number = field.doubleValue else { throw invalid("\"\(key)\" of \(label) is \(field.kindName), not a number") }
            return number
        }
        func flag(_ key: String, default defaultValue: Bool) throws -> Bool {
            guard let field = value[key] else { return defaultValue }
            guard case let .bool(flag) = field else { throw invalid("\"\(key)\" of \(label) is \(field.kindName), not true or false") }
            return flag
        }
        func pool() throws -> PoolSpec {
            let kernel = try integer("kernel")
            return PoolSpec(kernel: kernel, stride: try integer("stride", default: kernel), padding: try integer("padding", default: 0),
                            dilation: try integer("dilation", default: 1), ceilMode: try flag("ceil_mode", default: false),
                            countIncludesPadding: try flag("count_include_pad", default: true))
        }
        var children: [ModuleSpec] = []
        if arguments == ["modules"] {
            guard case let .array(elements)? = value["modules"] else { throw invalid("\(type) \(label) needs a \"modules\" array") }
            children = try elements.map { try decodeModule($0, path: here, depth: depth + 1) }
        }
        let kind: ModuleSpec.Kind
        switch type {
        case "conv2d":
            kind = .conv2d(Conv2dSpec(in: try integer("in"), out: try integer("out"), kernel: try pair("kernel"),
                                      stride: try integer("stride", default: 1), padding: try integer("padding", default: 0),
                                      dilation: try integer("dilation", default: 1), groups: try integer("groups", default: 1),
                                      bias: try flag("bias", default: true)))
        case "batchnorm2d":
            kind = .batchNorm2d(features: try integer("features"), epsilon: try number("eps", default: 1e-5),
                                momentum: try number("momentum", default: 0.1))
        case "maxpool2d": kind = .maxPool2d(try pool())
        case "avgpool2d": kind = .avgPool2d(try pool())
        case "adaptive_avgpool2d":
            let size = try pair("output")
            kind = .adaptiveAvgPool2d(height: size[0], width: size[1])
        case "linear": kind = .linear(in: try integer("in"), out: try integer("out"), bias: try flag("bias", default: true))
        case "dropout": kind = .dropout(probability: try number("p", default: 0.5))
        case "relu": kind = .relu
        case "global_avg_pool": kind = .globalAvgPool
        case "flatten": kind = .flatten
        case "identity": kind = .identity
        case "sequential": kind = .sequential
        case "basic_block": kind = .basicBlock
        case "bottleneck": kind = .bottleneck
        case "resnet": kind = .resNet
        default: kind = .vgg
        }
        return ModuleSpec(name, kind, children: children)
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

    /// The architecture as the JSON document stored in the file, with Python's `json.dumps`
    /// spacing: camlab-model/1's flat list when it can hold the network, else camlab-model/2's tree.
    public var jsonString: String {
        func quoted(_ text: String) -> String { JSONText.quoted(text, asciiOnly: true) }
        func integers(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ", ") + "]" }
        let head = "{\"input\": \(integers(input)), \"mean\": \(Self.numbers(mean)), \"std\": \(Self.numbers(std)), "
            + "\"classes\": [\(classes.map(quoted).joined(separator: ", "))], "
        let body: String
        if let layers {
            body = "\"layers\": [\(layers.map(Self.layerJSON).joined(separator: ", "))], "
        } else {
            body = "\"modules\": \(Self.moduleJSON(root, isRoot: true)), "
        }
        return head + body + "\"target_layer\": \(quoted(targetLayer))}"
    }

    private static func numbers(_ values: [Double]) -> String {
        // Integral values print as integers ("0", not "0.0"), as in the reference files.
        "[" + values.map { value in
            value == value.rounded() && Swift.abs(value) < 1e15 ? String(Int(value)) : "\(value)"
        }.joined(separator: ", ") + "]"
    }

    private static func layerJSON(_ layer: LayerSpec) -> String {
        var fields = ["\"name\": \(JSONText.quoted(layer.name, asciiOnly: true))", "\"type\": \"\(layer.typeName)\""]
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

    private static func moduleJSON(_ spec: ModuleSpec, isRoot: Bool) -> String {
        var fields = isRoot ? [] : ["\"name\": \(JSONText.quoted(spec.name, asciiOnly: true))"]
        fields.append("\"type\": \"\(spec.typeName)\"")
        func flag(_ value: Bool) -> String { value ? "true" : "false" }
        switch spec.kind {
        case let .conv2d(c):
            fields += ["\"in\": \(c.inChannels)", "\"out\": \(c.outChannels)", "\"kernel\": [\(c.kernel[0]), \(c.kernel[1])]",
                       "\"stride\": \(c.stride)", "\"padding\": \(c.padding)", "\"dilation\": \(c.dilation)",
                       "\"groups\": \(c.groups)", "\"bias\": \(flag(c.bias))"]
        case let .batchNorm2d(features, epsilon, momentum):
            fields += ["\"features\": \(features)", "\"eps\": \(epsilon)", "\"momentum\": \(momentum)"]
        case let .maxPool2d(p):
            fields += ["\"kernel\": \(p.kernel)", "\"stride\": \(p.stride)", "\"padding\": \(p.padding)",
                       "\"dilation\": \(p.dilation)", "\"ceil_mode\": \(flag(p.ceilMode))"]
        case let .avgPool2d(p):
            fields += ["\"kernel\": \(p.kernel)", "\"stride\": \(p.stride)", "\"padding\": \(p.padding)",
                       "\"ceil_mode\": \(flag(p.ceilMode))", "\"count_include_pad\": \(flag(p.countIncludesPadding))"]
        case let .adaptiveAvgPool2d(height, width):
            fields.append("\"output\": [\(height), \(width)]")
        case let .linear(inFeatures, outFeatures, bias):
            fields += ["\"in\": \(inFeatures)", "\"out\": \(outFeatures)", "\"bias\": \(flag(bias))"]
        case let .dropout(probability):
            fields.append("\"p\": \(probability)")
        case .sequential, .basicBlock, .bottleneck, .resNet, .vgg:
            fields.append("\"modules\": [" + spec.children.map { moduleJSON($0, isRoot: false) }.joined(separator: ", ") + "]")
        case .relu, .globalAvgPool, .flatten, .identity:
            break
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}
