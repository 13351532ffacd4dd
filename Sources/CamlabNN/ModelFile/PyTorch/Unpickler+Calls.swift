/// What REDUCE, NEWOBJ, BUILD and BINPERSID would do with the allowed globals, modelled as data.
/// Nothing is called: a `_rebuild_tensor_v2(storage, offset, size, stride, ...)` becomes a
/// `TensorReference` that records those arguments.
extension Unpickler {
    /// REDUCE: the value `function(*arguments)` would return.
    mutating func call(_ function: PickleValue, with arguments: [PickleValue]) throws -> PickleValue {
        guard case let .global(global) = function else {
            throw malformed("REDUCE calls \(kind(of: function)), not a class or function")
        }
        switch global {
        case .dictionaryType:
            // OrderedDict() and Counter() are filled by SETITEMS afterwards; with arguments they are
            // nothing a state dict holds, so only their name is kept.
            guard arguments.isEmpty else { return newObject(.opaque("dict built from arguments")) }
            return newObject(.dictionary(PickleDictionary(acceptsBuild: true)))
        case let .rebuildTensor(version):
            return newObject(try tensor(version: version, arguments))
        case .rebuildParameter, .rebuildFromCPUTensor, .parameterType:
            // Parameter(data, requires_grad) and its rebuilders: the data is the tensor.
            guard let data = arguments.first, isTensor(data) else {
                return newObject(.unreadableTensor("a torch.nn.Parameter without tensor data"))
            }
            return data
        case .rebuildFromType:
            // _rebuild_from_type_v2(func, new_type, args, state) returns func(*args); a subclass
            // named in new_type would have been refused as a global already.
            guard arguments.count == 4, case let .global(inner) = arguments[0] else {
                throw malformed("_rebuild_from_type_v2 needs (func, type, args, state)")
            }
            switch inner {
            case .rebuildTensor, .rebuildParameter, .rebuildFromCPUTensor, .rebuildUnreadable:
                return try call(arguments[0], with: try tuple(arguments[2], for: "_rebuild_from_type_v2"))
            default:
                throw malformed("_rebuild_from_type_v2 is given a func that does not rebuild a tensor")
            }
        case let .rebuildUnreadable(kind):
            return newObject(.unreadableTensor(kind))
        case let .tensorType(name):
            return newObject(.unreadableTensor("a tensor made by \(name)"))
        case .sizeType:
            guard arguments.count == 1 else { throw malformed("torch.Size takes one tuple of sizes") }
            return arguments[0]
        case .storageType, .dtype:
            throw malformed("REDUCE calls a storage class or dtype, which cannot be called")
        case let .opaque(name):
            return newObject(.opaque(name))
        }
    }

    /// NEWOBJ: `type.__new__(type, *arguments)`, for the classes PyTorch lets it make.
    mutating func construct(_ type: PickleValue, with arguments: [PickleValue]) throws -> PickleValue {
        guard case let .global(global) = type else { throw malformed("NEWOBJ builds \(kind(of: type)), not a class") }
        switch global {
        case .dictionaryType:
            return newObject(.dictionary(PickleDictionary(acceptsBuild: true)))
        case .parameterType, .tensorType, .opaque:
            return try call(type, with: arguments)
        default:
            throw malformed("NEWOBJ builds a function or dtype, not a class")
        }
    }

    /// BUILD: sets an object's state. For an OrderedDict that is torchvision's `_metadata`
    /// attribute; a tensor's or opaque object's state is not needed. PyTorch refuses the rest.
    func build(_ instance: PickleValue, with state: PickleValue) throws {
        if case let .object(index) = instance {
            switch objects[index] {
            case let .dictionary(dictionary) where dictionary.acceptsBuild:
                return
            case .tensor, .unreadableTensor, .opaque:
                return
            default:
                break
            }
        }
        throw malformed("BUILD sets the state of \(kind(of: instance)), which PyTorch refuses too")
    }

    /// BINPERSID: a persistent id `('storage', storage_type, key, location, numel)`.
    mutating func loadPersistent(_ id: PickleValue) throws -> PickleValue {
        let items = try tuple(id, for: "a persistent id")
        guard items.count == 5, items[0] == .string("storage") else {
            throw malformed("a persistent id is not ('storage', storage_type, key, location, numel)")
        }
        guard case let .global(.storageType(dtype)) = items[1] else {
            throw malformed("a persistent id names \(kind(of: items[1])), not a storage class")
        }
        let key: String
        switch items[2] {
        case let .string(text): key = text
        case let .int(number): key = String(number)
        default: throw malformed("a persistent id has \(kind(of: items[2])) as its key")
        }
        guard key.utf8.count <= Self.maximumStorageKeyLength else {
            throw malformed("a persistent id has a key of \(key.utf8.count) bytes, but torch.save's keys are short numbers")
        }
        guard case let .int(count) = items[4], count >= 0 else {
            throw malformed("a persistent id has \(kind(of: items[4])) as its element count, not a non-negative int")
        }
        storages.append(StorageReference(key: key, dtype: dtype, elementCount: count))
        return .storage(storages.count - 1)
    }

    // MARK: - Tensors

    /// More dimensions than any tensor has (PyTorch's kernels stop at 25); the cap keeps the work
    /// per tensor small even when one huge size tuple is shared by many tensors through the memo.
    static let maximumRank = 64
    /// torch.save's storage keys are decimal numbers; the cap bounds the cost of looking them up.
    static let maximumStorageKeyLength = 256

    private func isTensor(_ value: PickleValue) -> Bool {
        guard case let .object(index) = value else { return false }
        switch objects[index] {
        case .tensor, .unreadableTensor: return true
        default: return false
        }
    }

    /// `_rebuild_tensor(storage, offset, size, stride)`, `_rebuild_tensor_v2(…, requires_grad,
    /// backward_hooks[, metadata])` or `_rebuild_tensor_v3(…, requires_grad, backward_hooks, dtype[, metadata])`.
    private func tensor(version: Int, _ arguments: [PickleValue]) throws -> PickleObject {
        let name = version == 1 ? "_rebuild_tensor" : "_rebuild_tensor_v\(version)"
        // The optional last argument is the metadata; v3 has a dtype before it.
        let accepted = version == 1 ? 4...4 : version == 2 ? 6...7 : 7...8
        guard accepted.contains(arguments.count) else {
            let counts = accepted.count == 1 ? "\(accepted.lowerBound)" : "\(accepted.lowerBound) or \(accepted.upperBound)"
            throw malformed("\(name) takes \(counts) arguments, not \(arguments.count)")
        }
        guard case let .storage(storage) = arguments[0] else {
            throw malformed("\(name) is given \(kind(of: arguments[0])) where a storage belongs")
        }
        guard case let .int(offset) = arguments[1] else {
            throw malformed("\(name) is given \(kind(of: arguments[1])) as its storage offset")
        }
        let size = try integers(arguments[2], what: "size", of: name)
        let stride = try integers(arguments[3], what: "stride", of: name)
        guard size.count == stride.count else {
            throw malformed("\(name) is given \(size.count) sizes but \(stride.count) strides")
        }
        var dtype = storages[storage].dtype
        if version == 3 {
            guard case let .global(.dtype(dtypeName)) = arguments[6] else {
                throw malformed("\(name) is given \(kind(of: arguments[6])) where a dtype belongs")
            }
            guard let known = PyTorchDType(rawValue: dtypeName) else {
                return .unreadableTensor("a tensor of dtype \(dtypeName)")
            }
            dtype = known
        }
        let metadataIndex = version == 3 ? 7 : 6
        var negated = false
        if arguments.count > metadataIndex, case let .object(index) = arguments[metadataIndex],
           case let .dictionary(metadata) = objects[index] {
            negated = metadata.value(forKey: "neg") == .bool(true)
        }
        return .tensor(TensorReference(storage: storage, dtype: dtype, offset: offset, size: size, stride: stride, negated: negated))
    }

    /// The ints of a size or stride tuple.
    private func integers(_ value: PickleValue, what: String, of function: String) throws -> [Int] {
        let items = try tuple(value, for: "the \(what) of \(function)")
        guard items.count <= Self.maximumRank else {
            throw malformed("the \(what) of \(function) has \(items.count) dimensions, more than the \(Self.maximumRank) camlab reads")
        }
        return try items.map { item in
            guard case let .int(number) = item else { throw malformed("the \(what) of \(function) holds \(kind(of: item)), not an int") }
            return number
        }
    }
}
