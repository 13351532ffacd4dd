/// A model file: a safetensors file holding a network's tensors and, in its metadata, what the
/// network is.
///
/// - camlab-model/2: `format` and an `architecture` JSON document with the module tree.
/// - camlab-model/1: the same with a flat list of layers; every such file still opens.
/// - A plain PyTorch state dict (`save_file(model.state_dict(), …)`, no camlab metadata): the
///   architecture is recognized from the keys and shapes (`StateDictLayout`).
///
/// The tensors are named as in PyTorch's state dicts, so the same file opens in PyTorch with
/// `safetensors.torch.load_file` and `load_state_dict`.
public struct ModelFile {
    /// The `format` metadata value of the files camlab writes for networks version 1 cannot hold.
    public static let format = "camlab-model/2"
    /// The format of flat conv/ReLU/pool/GAP/linear networks, still written for them.
    public static let formatVersion1 = "camlab-model/1"

    /// The network the tensors belong to.
    public var architecture: Architecture
    /// Every tensor of the state dict by key: parameters and buffers (BatchNorm's statistics).
    public var parameters: [String: StoredTensor]
    /// What the file was: its camlab format, or what its plain state dict was recognized as.
    public var origin: String

    /// Creates a model from an architecture and its tensors (checked by `validate()` and `write(to:)`).
    public init(architecture: Architecture, parameters: [String: StoredTensor], origin: String? = nil) {
        self.architecture = architecture
        self.parameters = parameters
        self.origin = origin ?? architecture.format
    }

    /// Reads and checks the model file at `path`.
    ///
    /// - Throws: `ModelFileError` naming `path`, for a malformed safetensors container, a
    ///   wrong `format`, an invalid architecture, an unrecognized state dict, a missing,
    ///   misshapen or non-finite tensor, or a tensor no module uses.
    public static func read(from path: String) throws -> ModelFile {
        // By content, not by name: torch.save writes a zip archive whatever the file is called.
        if PyTorchFile.format(ofFileAtPath: path) != nil {
            let (tensors, note) = try PyTorchFile.stateDict(contentsOf: path)
            do {
                var file = try ModelFile(stateDict: Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first }))
                file.origin = file.origin.replacingOccurrences(of: "a plain PyTorch state dict", with: "a PyTorch file (torch.save)")
                    + (note.map { " — " + $0 } ?? "")
                try file.validate()
                return file
            } catch let error as ModelFileError {
                throw error.about(file: path, operation: .reading)
            }
        }
        do {
            return try ModelFile(safeTensors: SafeTensorsFile(contentsOf: path))
        } catch let error as ModelFileError {
            throw error.about(file: path, operation: .reading)
        }
    }

    /// Interprets parsed safetensors contents as a model, checking everything `read(from:)` checks.
    public init(safeTensors file: SafeTensorsFile) throws {
        let format = file.metadata["format"]
        if format == Self.format || format == Self.formatVersion1 {
            guard let architectureText = file.metadata["architecture"] else {
                throw ModelFileError(.missingMetadata(key: "architecture"))
            }
            self.init(architecture: try Architecture(jsonString: architectureText), parameters: file.tensors, origin: format)
            if let format, format != architecture.format && format == Self.formatVersion1 && architecture.layers == nil {
                throw ModelFileError(.wrongFormat(format))
            }
        } else if let format, format.hasPrefix("camlab-model/") {
            throw ModelFileError(.wrongFormat(format))
        } else if format == nil && file.metadata["architecture"] != nil {
            throw ModelFileError(.missingMetadata(key: "format"))
        } else {
            try self.init(stateDict: file.tensors, metadata: file.metadata)
        }
        try validate()
    }

    /// A plain PyTorch state dict, its architecture recognized from its keys and shapes.
    public init(stateDict tensors: [String: StoredTensor], metadata: [String: String] = [:]) throws {
        let (architecture, recognized) = try StateDictLayout.architecture(of: tensors.mapValues(\.shape), metadata: metadata)
        var parameters = tensors
        // torchvision's oldest checkpoints have no num_batches_tracked; PyTorch starts it at 0.
        for (name, shape) in architecture.tensorShapes where parameters[name] == nil {
            parameters[name] = StoredTensor(shape: shape, values: [0])
        }
        self.init(architecture: architecture, parameters: parameters, origin: "a plain PyTorch state dict, recognized as " + recognized)
    }

    /// Checks the architecture, then that the tensors are exactly the architecture's, with
    /// PyTorch's shapes and finite values.
    ///
    /// - Throws: `ModelFileError` (without a file name) describing the first problem found.
    public func validate() throws {
        try architecture.validate()
        for (name, expectedShape) in architecture.tensorShapes {
            let module = String(name[..<(name.lastIndex(of: ".") ?? name.startIndex)])
            guard let tensor = parameters[name] else {
                throw ModelFileError(file: nil, operation: .checking, .missingParameter(tensor: name, layer: module))
            }
            guard tensor.shape == expectedShape else {
                throw ModelFileError(file: nil, operation: .checking, .parameterShapeMismatch(tensor: name, expected: expectedShape, actual: tensor.shape))
            }
            guard tensor.values.count == tensor.elementCount else {
                throw ModelFileError(file: nil, operation: .checking, .valueCountMismatch(tensor: name, shape: tensor.shape, valueCount: tensor.values.count))
            }
            if !StoredTensor.allFinite(tensor.values), let index = tensor.values.firstIndex(where: { !$0.isFinite }) {
                throw ModelFileError(file: nil, operation: .checking, .nonFiniteValue(tensor: name, index: index, value: "\(tensor.values[index])"))
            }
        }
        let expected = Set(architecture.tensorShapes.map(\.name))
        let unexpected = parameters.keys.filter { !expected.contains($0) }.sorted()
        if !unexpected.isEmpty { throw ModelFileError(file: nil, operation: .checking, .unexpectedTensors(unexpected)) }
    }

    /// The safetensors contents of this model: its tensors, `format` and `architecture`.
    public var safeTensorsFile: SafeTensorsFile {
        SafeTensorsFile(tensors: parameters,
                        metadata: ["format": architecture.format, "architecture": architecture.jsonString])
    }

    /// Checks that a model can be saved at `path` (see `write(to:)`), without writing one.
    ///
    /// - Throws: `ModelFileError` naming `path`: it is a folder, its folder is missing or takes no files.
    public static func checkCanWrite(to path: String) throws {
        try SafeTensorsFile.checkWritable(path: path)
    }

    /// Checks the model, then writes it atomically (temporary file in the same folder, renamed
    /// over `path`), so a broken model is never saved and an interrupted save leaves the old file.
    ///
    /// - Throws: `ModelFileError` naming `path`.
    public func write(to path: String) throws {
        do {
            try validate()
        } catch let error as ModelFileError {
            throw error.about(file: path, operation: .writing)
        }
        try safeTensorsFile.write(to: path)
    }
}

/// What a user fixes about a model when opening it: its class names and its input normalization
/// (`--classes`, `--mean`, `--std`), e.g. for a state dict whose metadata says nothing.
public struct ModelOverrides: Sendable, Equatable {
    public var classes: [String]?
    public var mean: [Double]?
    public var std: [Double]?

    public init(classes: [String]? = nil, mean: [Double]? = nil, std: [Double]? = nil) {
        (self.classes, self.mean, self.std) = (classes, mean, std)
    }

    public static let none = ModelOverrides()

    /// The architecture with these replaced (checked when the network is built).
    public func applied(to architecture: Architecture) -> Architecture {
        var result = architecture
        if let classes { result.classes = classes }
        if let mean { result.mean = mean }
        if let std { result.std = std }
        return result
    }
}

extension ModelFile {
    /// Reads the model file at `path` with `overrides` applied, and checks the result.
    public static func read(from path: String, overriding overrides: ModelOverrides) throws -> ModelFile {
        var file = try read(from: path)
        guard overrides != .none else { return file }
        file.architecture = overrides.applied(to: file.architecture)
        do {
            try file.validate()
        } catch let error as ModelFileError {
            throw error.about(file: path, operation: .reading)
        }
        return file
    }
}

extension Network {
    /// Opens a model file with its classes or normalization overridden.
    public convenience init(contentsOf path: String, overriding overrides: ModelOverrides) throws {
        try self.init(file: ModelFile.read(from: path, overriding: overrides))
    }
}
