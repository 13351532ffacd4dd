/// A global the unpickler allows, by what it means to a state dict.
///
/// The allow-list is PyTorch's own (`_get_allowed_globals` in `torch/_weights_only_unpickler.py`):
/// a file that `torch.load(f, weights_only=True)` opens has no global camlab refuses. Nothing here
/// is ever called. The few a state dict needs are modelled (dicts, the tensor rebuilders, storage
/// classes, dtypes); the rest become opaque values, so a checkpoint may keep, say, a `torch.device`
/// in an entry that is skipped. Any other name, `os.system` or `builtins.eval`, is refused.
enum PickleGlobal: Equatable {
    /// `collections.OrderedDict` (`ordered`) or `collections.Counter`: called with no arguments, an empty dict.
    case dictionaryType(ordered: Bool)
    /// `torch._utils._rebuild_tensor` (1), `_rebuild_tensor_v2` (2), `_rebuild_tensor_v3` (3).
    case rebuildTensor(version: Int)
    /// `torch._utils._rebuild_parameter(data, requires_grad, hooks[, state])`: the data tensor.
    case rebuildParameter
    /// `torch._tensor._rebuild_from_type_v2(func, type, args, state)`: `func(*args)`, for tensors with Python attributes.
    case rebuildFromType
    /// `torch._utils._rebuild_device_tensor_from_cpu_tensor(data, dtype, device, requires_grad)`: the CPU data.
    case rebuildFromCPUTensor
    /// A rebuilder of a tensor camlab does not read; `kind` says which ("a sparse tensor").
    case rebuildUnreadable(kind: String)
    /// `torch.nn.parameter.Parameter(data, requires_grad)`: the data tensor.
    case parameterType
    /// A legacy tensor class such as `torch.FloatTensor` or `torch.Tensor` itself.
    case tensorType(String)
    /// A storage class of a persistent id: `torch.HalfStorage`, `torch.storage.UntypedStorage` (bytes).
    case storageType(PyTorchDType)
    /// A dtype such as `torch.float16`, named without `torch.` (`_rebuild_tensor_v3` takes one).
    case dtype(String)
    /// `torch.Size(sizes)`: the tuple of sizes.
    case sizeType
    /// Allowed, but nothing camlab reads: `torch.device`, `builtins.set`, `_codecs.encode`, quantization schemes.
    case opaque(String)

    /// The allowed global named `module.name`, or nil if it must be refused.
    ///
    /// Pickle protocol 2 spells Python 3's `builtins` as `__builtin__`, as PyTorch's reader maps back.
    static func allowed(module: String, name: String) -> PickleGlobal? {
        let module = module == "__builtin__" ? "builtins" : module
        return table["\(module).\(name)"]
    }

    private static let table: [String: PickleGlobal] = {
        var table: [String: PickleGlobal] = [
            "collections.OrderedDict": .dictionaryType(ordered: true),
            "collections.Counter": .dictionaryType(ordered: false),
            "torch._utils._rebuild_tensor": .rebuildTensor(version: 1),
            "torch._utils._rebuild_tensor_v2": .rebuildTensor(version: 2),
            "torch._utils._rebuild_tensor_v3": .rebuildTensor(version: 3),
            "torch._utils._rebuild_parameter": .rebuildParameter,
            "torch._utils._rebuild_parameter_with_state": .rebuildParameter,
            "torch._tensor._rebuild_from_type_v2": .rebuildFromType,
            "torch._utils._rebuild_device_tensor_from_cpu_tensor": .rebuildFromCPUTensor,
            "torch._utils._rebuild_qtensor": .rebuildUnreadable(kind: "a quantized tensor"),
            "torch._utils._rebuild_sparse_tensor": .rebuildUnreadable(kind: "a sparse tensor"),
            "torch._utils._rebuild_meta_tensor_no_storage": .rebuildUnreadable(kind: "a meta tensor without data"),
            "torch._utils._rebuild_wrapper_subclass": .rebuildUnreadable(kind: "a tensor subclass without data"),
            "torch._utils._rebuild_device_tensor_from_numpy": .rebuildUnreadable(kind: "a tensor stored as a NumPy array"),
            "torch.nn.parameter.Parameter": .parameterType,
            "torch.Tensor": .tensorType("torch.Tensor"),
            "torch.storage.UntypedStorage": .storageType(.uint8),
            "torch.Size": .sizeType,
        ]
        for name in ["torch.device", "torch.serialization._get_layout", "torch.storage.TypedStorage", "_codecs.encode",
                     "builtins.bytearray", "builtins.set", "builtins.complex", "torch.per_tensor_affine",
                     "torch.per_tensor_symmetric", "torch.per_channel_affine", "torch.per_channel_symmetric",
                     "torch.per_channel_affine_float_qparams"] {
            table[name] = .opaque(name)
        }
        for (storageClass, dtype) in PyTorchDType.byStorageClass {
            table["torch.\(storageClass)"] = .storageType(dtype)
            // CUDA storages of old checkpoints; PyTorch lists no quantized ones.
            if !storageClass.hasPrefix("Q") { table["torch.cuda.\(storageClass)"] = .storageType(dtype) }
        }
        let elements = ["BFloat16", "Bool", "Byte", "Char", "Double", "Float", "Half", "Int", "Long", "Short"]
        for element in elements {
            for module in ["torch", "torch.cuda"] { table["\(module).\(element)Tensor"] = .tensorType("\(module).\(element)Tensor") }
            // Sparse tensor classes exist for every element type but Bool.
            for module in ["torch.sparse", "torch.cuda.sparse"] where element != "Bool" {
                table["\(module).\(element)Tensor"] = .tensorType("\(module).\(element)Tensor")
            }
        }
        let subByteDTypes = (1...7).flatMap { ["int\($0)", "uint\($0)"] }
        for dtype in PyTorchDType.allCases.map(\.rawValue) + subByteDTypes {
            table["torch.\(dtype)"] = .dtype(dtype)
        }
        return table
    }()
}
