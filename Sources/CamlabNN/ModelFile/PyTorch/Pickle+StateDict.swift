/// Finding the state dict in what a pickle holds: the file's top-level dict of tensors, or, in a
/// checkpoint such as `{'epoch': 3, 'state_dict': …, 'optimizer': …}`, the dict of tensors under
/// `state_dict` or `model`, whose sibling entries are skipped.
extension Pickle {
    /// The state dict's entries in the file's order (names and the tensor objects they refer to),
    /// and, when it came from under a key, a sentence saying which.
    ///
    /// - Throws: `PyTorchFileError.Problem.notAStateDict` naming the first entry that is not a tensor.
    func stateDict() throws -> (entries: [(name: String, object: Int)], note: String?) {
        guard case let .object(rootIndex) = root, case let .dictionary(dictionary) = objects[rootIndex] else {
            throw PyTorchFileError(.notAStateDict(reason: "its pickle holds \(kind(of: root)), not a dict of tensors"))
        }
        var firstRefusal: (key: String, reason: String)?
        for key in ["state_dict", "model"] {
            guard let value = dictionary.value(forKey: key) else { continue }
            switch tensorEntries(of: value) {
            case let .tensors(entries):
                let others = dictionary.entries.map(\.key).filter { $0 != .string(key) }
                return (entries, Self.note(key: key, skipped: others))
            case let .refused(reason):
                firstRefusal = firstRefusal ?? (key, reason)
            }
        }
        switch tensorEntries(of: root) {
        case let .tensors(entries):
            return (entries, nil)
        case let .refused(reason):
            if let firstRefusal {
                throw PyTorchFileError(.notAStateDict(
                    reason: "its pickle holds a checkpoint whose '\(firstRefusal.key)' entry is not a dict of tensors (\(firstRefusal.reason))"))
            }
            throw PyTorchFileError(.notAStateDict(
                reason: "its pickle holds a dict that is not a dict of tensors (\(reason)) and has no 'state_dict' or 'model' entry that is one"))
        }
    }

    private enum TensorEntries {
        case tensors([(name: String, object: Int)])
        /// Why not, as a clause: "its entry 'epoch' is an int".
        case refused(String)
    }

    /// The entries of `value` if it is a dict from names to tensors.
    private func tensorEntries(of value: PickleValue) -> TensorEntries {
        guard case let .object(index) = value, case let .dictionary(dictionary) = objects[index] else {
            return .refused("it is \(kind(of: value))")
        }
        var entries: [(name: String, object: Int)] = []
        for (key, value) in dictionary.entries {
            guard case let .string(name) = key else { return .refused("it has \(kind(of: key)) as a key, not a name") }
            guard case let .object(object) = value else { return .refused("its entry '\(name)' is \(kind(of: value))") }
            switch objects[object] {
            case .tensor, .unreadableTensor: entries.append((name, object))
            default: return .refused("its entry '\(name)' is \(kind(of: value))")
            }
        }
        return .tensors(entries)
    }

    /// "The state dict is the checkpoint's 'state_dict' entry; its other entries ('epoch', 'optimizer') were skipped."
    private static func note(key: String, skipped: [PickleValue]) -> String {
        let shown = 6
        let names = skipped.prefix(shown).map { key -> String in
            switch key {
            case let .string(text): return "'\(text)'"
            case let .int(number): return String(number)
            default: return "a key that is not a name"
            }
        }
        var list = names.joined(separator: ", ")
        if skipped.count > shown { list += " and \(skipped.count - shown) more" }
        let sentence = "The state dict is the checkpoint's '\(key)' entry"
        return skipped.isEmpty ? sentence + "." : sentence + "; its other entries (\(list)) were skipped."
    }
}
