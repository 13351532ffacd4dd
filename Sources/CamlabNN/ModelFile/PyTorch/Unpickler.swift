/// A pickle reader that calls nothing, as PyTorch's `weights_only=True` reads `data.pkl`.
///
/// It knows the opcodes of `PickleOpcode` and the globals of `PickleGlobal` and refuses every
/// other one by name the moment it appears, before any argument is read. What REDUCE, NEWOBJ and
/// BUILD would do is modelled (`Unpickler+Calls.swift`), never executed.
///
/// Bounded on any input: each opcode adds at most one value or object, so memory and time grow
/// with the pickle's length; every length is checked against the bytes present before it is used;
/// the memo is a dictionary (LONG_BINPUT 4000000000 allocates nothing); MARK nesting, tensor ranks,
/// storage key lengths and the hashing of long dict keys are capped, so nothing the memo shares
/// can be made to cost work over and over.
struct Unpickler {
    /// Deeper MARK nesting than any state dict has (they nest about five deep).
    static let markNestingLimit = 1000

    private let reader: ByteReader
    private var position = 0
    /// Where the opcode being run starts, for error messages.
    private var opcodeOffset = 0
    private var stack: [PickleValue] = []
    /// The stacks set aside by MARK.
    private var markedStacks: [[PickleValue]] = []
    private var memo: [UInt32: PickleValue] = [:]
    /// The bytes of dict keys past the first 64 of each. Hashing a key costs its length, and the
    /// memo can hand one megabyte-long key to a million SETITEMs, so past the pickle's own length
    /// (and an allowance) that work is refused; state dict keys are short and each is set once.
    private var longKeyBytes = 0
    private static let longKeyAllowance = 1 << 20
    var objects: [PickleObject] = []
    var storages: [StorageReference] = []

    private init(bytes: UnsafeRawBufferPointer) {
        reader = ByteReader(bytes: bytes)
    }

    /// Reads the pickle in `bytes` up to its STOP.
    ///
    /// - Throws: `PyTorchFileError` (with no file name): a refused global or opcode, or a malformed pickle.
    static func load(_ bytes: UnsafeRawBufferPointer) throws -> Pickle {
        var unpickler = Unpickler(bytes: bytes)
        let root = try unpickler.run()
        return Pickle(root: root, objects: unpickler.objects, storages: unpickler.storages)
    }

    func malformed(_ reason: String) -> PyTorchFileError {
        PyTorchFileError(.malformedPickle(reason: reason, offset: opcodeOffset))
    }

    private mutating func run() throws -> PickleValue {
        while true {
            opcodeOffset = position
            guard let byte = reader.uint8(at: position) else { throw malformed("the pickle ends without a STOP opcode") }
            position += 1
            guard let opcode = PickleOpcode(rawValue: byte) else {
                throw PyTorchFileError(.unsupportedOpcode(byte, offset: opcodeOffset))
            }
            if opcode == .stop { return try pop() }
            try execute(opcode)
        }
    }

    private mutating func execute(_ opcode: PickleOpcode) throws {
        switch opcode {
        case .proto:
            _ = try read(1)
        case .stop:
            break  // handled by run()
        case .global:
            let module = try readLine(), name = try readLine()
            guard let global = PickleGlobal.allowed(module: module, name: name) else {
                throw PyTorchFileError(.refusedGlobal("\(module).\(name)"))
            }
            stack.append(.global(global))
        case .reduce:
            let arguments = try tuple(try pop(), for: "REDUCE")
            let function = try pop()
            stack.append(try call(function, with: arguments))
        case .newObject:
            let arguments = try tuple(try pop(), for: "NEWOBJ")
            let type = try pop()
            stack.append(try construct(type, with: arguments))
        case .build:
            let state = try pop()
            try build(try top(), with: state)
        case .binPersistentID:
            stack.append(try loadPersistent(try pop()))
        case .append:
            let item = try pop()
            try appendToList([item])
        case .appends:
            try appendToList(try popMark())
        case .setItem:
            let value = try pop(), key = try pop()
            try setItems([key, value])
        case .setItems:
            try setItems(try popMark())
        case .mark:
            guard markedStacks.count < Self.markNestingLimit else {
                throw PyTorchFileError(.nestedTooDeep(limit: Self.markNestingLimit, offset: opcodeOffset))
            }
            markedStacks.append(stack)
            stack = []
        case .tuple:
            stack.append(newObject(.tuple(try popMark())))
        case .tuple1, .tuple2, .tuple3:
            let count = Int(opcode.rawValue - PickleOpcode.tuple1.rawValue) + 1
            guard stack.count >= count else { throw malformed("\(opcode) needs \(count) values on the stack") }
            let items = Array(stack.suffix(count))
            stack.removeLast(count)
            stack.append(newObject(.tuple(items)))
        case .none: stack.append(.none)
        case .newTrue: stack.append(.bool(true))
        case .newFalse: stack.append(.bool(false))
        case .emptyTuple: stack.append(newObject(.tuple([])))
        case .emptyList: stack.append(newObject(.list([])))
        case .emptyDict: stack.append(newObject(.dictionary(PickleDictionary(acceptsBuild: false))))
        case .emptySet: stack.append(newObject(.opaque("set")))
        case .binInt: stack.append(.int(Int(Int32(bitPattern: UInt32(try littleEndian(4))))))
        case .binInt1: stack.append(.int(Int(try littleEndian(1))))
        case .binInt2: stack.append(.int(Int(try littleEndian(2))))
        case .long1: stack.append(try readLong(byteCount: Int(try littleEndian(1))))
        case .binFloat:
            let bytes = try read(8)
            stack.append(.float(Double(bitPattern: bytes.reduce(0) { $0 << 8 | UInt64($1) })))  // big-endian
        case .binUnicode:
            let length = Int(try littleEndian(4))
            stack.append(.string(String(decoding: try read(length), as: UTF8.self)))
        case .shortBinString:
            let length = Int(try littleEndian(1))
            stack.append(.string(String(decoding: try read(length), as: UTF8.self)))
        case .binGet, .longBinGet:
            let slot = UInt32(try littleEndian(opcode == .binGet ? 1 : 4))
            guard let value = memo[slot] else { throw malformed("\(opcode) reads memo slot \(slot), which nothing was put in") }
            stack.append(value)
        case .binPut, .longBinPut:
            let slot = UInt32(try littleEndian(opcode == .binPut ? 1 : 4))
            memo[slot] = try top()
        }
    }

    // MARK: - Reading operands

    /// The next `count` bytes; the count is checked against what is left before anything is read.
    private mutating func read(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard let bytes = reader.slice(offset: position, length: count) else {
            throw malformed("it needs \(count) more bytes, but only \(reader.count - position) are left")
        }
        position += count
        return bytes
    }

    private mutating func littleEndian(_ count: Int) throws -> UInt64 {
        try read(count).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A GLOBAL operand: text up to a newline.
    private mutating func readLine() throws -> String {
        var end = position
        while let byte = reader.uint8(at: end), byte != 0x0A { end += 1 }
        guard end < reader.count else { throw malformed("a GLOBAL name has no end of line") }
        let line = try read(end - position)
        position += 1
        return String(decoding: line, as: UTF8.self)
    }

    /// LONG1's little-endian two's-complement integer; one that needs more than 64 bits becomes `.bigInt`.
    private mutating func readLong(byteCount: Int) throws -> PickleValue {
        let bytes = try read(byteCount)
        guard byteCount > 0 else { return .int(0) }
        let negative = bytes[byteCount - 1] & 0x80 != 0
        if byteCount > 8 {
            // It fits if every byte past the eighth only repeats the sign, and the eighth agrees with it.
            let fill: UInt8 = negative ? 0xFF : 0
            guard bytes[8...].allSatisfy({ $0 == fill }), (bytes[7] & 0x80 != 0) == negative else { return .bigInt }
        }
        var value: UInt64 = 0
        for byte in bytes.prefix(8).reversed() { value = value << 8 | UInt64(byte) }
        if byteCount < 8 && negative { value |= UInt64.max << (8 * UInt64(byteCount)) }
        return .int(Int(Int64(bitPattern: value)))
    }

    // MARK: - The stack

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw malformed("an opcode needs a value, but the stack is empty") }
        return value
    }

    private func top() throws -> PickleValue {
        guard let value = stack.last else { throw malformed("an opcode needs a value, but the stack is empty") }
        return value
    }

    /// The values pushed since the last MARK, which is removed.
    private mutating func popMark() throws -> [PickleValue] {
        guard let outer = markedStacks.popLast() else { throw malformed("an opcode needs a MARK, but there is none") }
        defer { stack = outer }
        return stack
    }

    mutating func newObject(_ object: PickleObject) -> PickleValue {
        objects.append(object)
        return .object(objects.count - 1)
    }

    // MARK: - Containers

    private mutating func appendToList(_ items: [PickleValue]) throws {
        let target = try top()
        guard case let .object(index) = target, case var .list(list) = objects[index] else {
            throw malformed("APPEND and APPENDS add to a list, but the stack holds \(kind(of: target))")
        }
        objects[index] = .list([])  // so the array is uniquely referenced and grows in place
        list += items
        objects[index] = .list(list)
    }

    private mutating func setItems(_ items: [PickleValue]) throws {
        guard items.count % 2 == 0 else { throw malformed("SETITEMS needs key and value pairs, but has \(items.count) values") }
        let target = try top()
        guard case let .object(index) = target, case var .dictionary(dictionary) = objects[index] else {
            throw malformed("SETITEM and SETITEMS fill a dict, but the stack holds \(kind(of: target))")
        }
        objects[index] = .opaque("")  // as above: edit the dictionary in place, not a copy
        for pair in stride(from: 0, to: items.count, by: 2) {
            if case let .string(key) = items[pair] {
                longKeyBytes += max(0, key.utf8.count - 64)
                guard longKeyBytes <= reader.count + Self.longKeyAllowance else {
                    throw PyTorchFileError(.excessiveKeyBytes(offset: opcodeOffset))
                }
            }
            dictionary.set(items[pair + 1], forKey: items[pair])
        }
        objects[index] = .dictionary(dictionary)
    }

    func kind(of value: PickleValue) -> String {
        Pickle(root: .none, objects: objects, storages: storages).kind(of: value)
    }

    /// The items of `value`, which an opcode needs to be a tuple.
    func tuple(_ value: PickleValue, for opcode: String) throws -> [PickleValue] {
        guard case let .object(index) = value, case let .tuple(items) = objects[index] else {
            throw malformed("\(opcode) needs a tuple of arguments, but got \(kind(of: value))")
        }
        return items
    }
}

extension PickleOpcode: CustomStringConvertible {
    var description: String { Self.name(of: rawValue) }
}
