/// A value on the unpickler's stack or inside a container.
///
/// Flat on purpose: containers live in `Pickle.objects` and are referred to by index, so a hostile
/// pickle that nests a million tuples or appends a list to itself builds no deep Swift value, and
/// nothing recurses while it is read, inspected or freed.
enum PickleValue: Equatable {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer beyond 64 bits (LONG1); a state dict never needs its value.
    case bigInt
    case float(Double)
    /// BINUNICODE text, or SHORT_BINSTRING bytes read as UTF-8.
    case string(String)
    /// An index into `Pickle.objects`.
    case object(Int)
    case global(PickleGlobal)
    /// An index into `Pickle.storages`: what a persistent id loaded.
    case storage(Int)
}

/// A container or tensor the pickle built.
enum PickleObject {
    case tuple([PickleValue])
    case list([PickleValue])
    case dictionary(PickleDictionary)
    case tensor(TensorReference)
    /// A tensor camlab does not read, and what it is ("a sparse tensor (torch._utils._rebuild_sparse_tensor)").
    case unreadableTensor(String)
    /// What an allowed global made whose contents camlab never needs, named by that global.
    case opaque(String)
}

/// A dict in insertion order, with Python's rule that setting a present key keeps its place.
struct PickleDictionary {
    /// `collections.OrderedDict` and `Counter` may receive BUILD (torchvision's `_metadata`); a plain dict may not.
    var acceptsBuild: Bool
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    /// Positions of string and integer keys, the only ones a state dict or checkpoint uses.
    private var positions: [Key: Int] = [:]

    private enum Key: Hashable {
        case string(String)
        case int(Int)
    }

    init(acceptsBuild: Bool) {
        self.acceptsBuild = acceptsBuild
    }

    mutating func set(_ value: PickleValue, forKey key: PickleValue) {
        let hashable: Key?
        switch key {
        case let .string(text): hashable = .string(text)
        case let .int(number): hashable = .int(number)
        case let .bool(flag): hashable = .int(flag ? 1 : 0)  // True == 1 in Python
        default: hashable = nil
        }
        if let hashable, let position = positions[hashable] {
            entries[position].value = value
            return
        }
        if let hashable { positions[hashable] = entries.count }
        entries.append((key, value))
    }

    func value(forKey key: String) -> PickleValue? {
        positions[.string(key)].map { entries[$0].value }
    }
}

/// A tensor as `_rebuild_tensor_v2` and its kin describe it: a view into a storage.
/// Sizes, strides and the offset are counted in elements and checked only when it is read.
struct TensorReference {
    /// An index into `Pickle.storages`.
    var storage: Int
    var dtype: PyTorchDType
    var offset: Int
    var size: [Int]
    var stride: [Int]
    /// PyTorch's lazy negation bit (`metadata["neg"]`): the stored values are the negatives.
    var negated: Bool
}

/// What a persistent id `('storage', storage_type, key, location, numel)` names: the record
/// `data/<key>` of the archive, read as `elementCount` elements of `dtype`.
struct StorageReference: Equatable {
    var key: String
    var dtype: PyTorchDType
    var elementCount: Int
}

/// Everything a pickle built: the value STOP returned and the objects and storages it refers to.
struct Pickle {
    var root: PickleValue
    var objects: [PickleObject]
    var storages: [StorageReference]

    /// What `value` is, for error messages: "an int", "a list", "a torch.device".
    func kind(of value: PickleValue) -> String {
        switch value {
        case .none: return "None"
        case .bool: return "a bool"
        case .int, .bigInt: return "an int"
        case .float: return "a float"
        case .string: return "a string"
        case .global: return "a class or function"
        case .storage: return "a storage"
        case let .object(index):
            switch objects[index] {
            case .tuple: return "a tuple"
            case .list: return "a list"
            case .dictionary: return "a dict"
            case .tensor, .unreadableTensor: return "a tensor"
            case let .opaque(name): return "a \(name)"
            }
        }
    }
}
