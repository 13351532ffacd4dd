/// A camlab-model/1 file: a safetensors file whose metadata holds `format` and an
/// `architecture` JSON document, and whose tensors are exactly that architecture's parameters.
///
/// The same file opens in PyTorch with `safetensors.torch.load_file`; the parameter names and
/// shapes are those of an `nn.Sequential` state dict.
public struct ModelFile {
    /// The `format` metadata value of every file this version reads and writes.
    public static let format = "camlab-model/1"

    /// The network the parameters belong to.
    public var architecture: Architecture
    /// `<layer name>.weight` and `<layer name>.bias` for every conv2d and linear layer.
    public var parameters: [String: StoredTensor]

    /// Creates a model from an architecture and its parameters (checked by `validate()` and `write(to:)`).
    public init(architecture: Architecture, parameters: [String: StoredTensor]) {
        self.architecture = architecture
        self.parameters = parameters
    }

    /// Reads and checks the model file at `path`.
    ///
    /// - Throws: `ModelFileError` naming `path`, for a malformed safetensors container, a
    ///   missing or wrong `format`, an invalid architecture, a missing, misshapen or non-finite
    ///   parameter, or a tensor no layer uses.
    public static func read(from path: String) throws -> ModelFile {
        do {
            return try ModelFile(safeTensors: SafeTensorsFile(contentsOf: path))
        } catch let error as ModelFileError {
            throw error.about(file: path, operation: .reading)
        }
    }

    /// Interprets parsed safetensors contents as a camlab-model/1 model, checking everything
    /// `read(from:)` checks.
    public init(safeTensors file: SafeTensorsFile) throws {
        if file.metadata.isEmpty { throw ModelFileError(.missingMetadata(key: nil)) }
        guard let format = file.metadata["format"] else { throw ModelFileError(.missingMetadata(key: "format")) }
        guard format == Self.format else { throw ModelFileError(.wrongFormat(format)) }
        guard let architectureText = file.metadata["architecture"] else {
            throw ModelFileError(.missingMetadata(key: "architecture"))
        }
        self.init(architecture: try Architecture(jsonString: architectureText), parameters: file.tensors)
        try validate()
    }

    /// Checks the architecture, then that the parameters are exactly the architecture's, with
    /// PyTorch's shapes and finite values.
    ///
    /// - Throws: `ModelFileError` (without a file name) describing the first problem found.
    public func validate() throws {
        try architecture.validate()
        for layer in architecture.layers {
            for (name, expectedShape) in layer.parameterShapes {
                guard let tensor = parameters[name] else {
                    throw ModelFileError(file: nil, operation: .checking, .missingParameter(tensor: name, layer: layer.name))
                }
                guard tensor.shape == expectedShape else {
                    throw ModelFileError(file: nil, operation: .checking, .parameterShapeMismatch(tensor: name, expected: expectedShape, actual: tensor.shape))
                }
                guard tensor.values.count == tensor.elementCount else {
                    throw ModelFileError(file: nil, operation: .checking, .valueCountMismatch(tensor: name, shape: tensor.shape, valueCount: tensor.values.count))
                }
                if let index = tensor.values.firstIndex(where: { !$0.isFinite }) {
                    throw ModelFileError(file: nil, operation: .checking, .nonFiniteValue(tensor: name, index: index, value: "\(tensor.values[index])"))
                }
            }
        }
        let expected = Set(architecture.parameterShapes.map(\.name))
        let unexpected = parameters.keys.filter { !expected.contains($0) }.sorted()
        if !unexpected.isEmpty { throw ModelFileError(file: nil, operation: .checking, .unexpectedTensors(unexpected)) }
    }

    /// The safetensors contents of this model: its parameters, `format` and `architecture`.
    public var safeTensorsFile: SafeTensorsFile {
        SafeTensorsFile(tensors: parameters,
                        metadata: ["format": Self.format, "architecture": architecture.jsonString])
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
