import CamlabNN

/// Why an explanation cannot be made, in one sentence a user can act on.
public enum ExplanationError: Error, CustomStringConvertible, Equatable {
    case unknownMethod(String, suggestion: String?)
    case unknownLayer(String, available: [String])
    case notSpatial(String)
    case unknownClass(String, available: [String])
    case classIndexOutOfRange(Int, count: Int)
    case needsGlobalAveragePooling(String)
    case notFinite(String)
    case wrongInputShape(got: [Int], expected: [Int])
    /// A sentence from the network (an unknown or repeatedly called module, an input that does not fit).
    case network(NetworkError)
    /// `ExplanationRequest.shouldStop` said stop (Ctrl-C in the REPL).
    case interrupted

    public var description: String {
        switch self {
        case .interrupted:
            return "Interrupted."
        case let .unknownMethod(name, suggestion):
            return "Unknown method '\(Echo.word(name))'" + (suggestion.map { "; did you mean '\($0)'?" } ?? ".")
                + (suggestion == nil ? " Methods: \(MethodName.allCases.map(\.rawValue).joined(separator: ", "))." : "")
        case let .unknownLayer(name, available):
            return NetworkError.unknownModule(name, available: available).description
        case let .notSpatial(name):
            return "Layer '\(name)' does not output feature maps (N×K×h×w), so it cannot be explained spatially; choose a convolutional, ReLU or pooling layer."
        case let .unknownClass(name, available):
            if available.count > 12 {
                // A thousand ImageNet names are no list to read: suggest, by spelling or by a word.
                let lowered = name.lowercased()
                let partial = available.enumerated().filter { $0.element.lowercased().contains(lowered) }.prefix(5)
                if let close = Suggestion.closest(to: name, among: available), let index = available.firstIndex(of: close) {
                    return "The model has no class '\(Echo.word(name))'; did you mean \(index) '\(close)'?"
                }
                if !partial.isEmpty && !lowered.isEmpty {
                    return "The model has no class '\(Echo.word(name))'; classes containing it: " + partial.map { "\($0.offset) '\($0.element)'" }.joined(separator: ", ") + "."
                }
                return "The model has no class '\(Echo.word(name))'; give an index from 0 to \(available.count - 1) or one of its \(available.count) class names."
            }
            return "The model has no class '\(Echo.word(name))'; its classes are \(available.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", "))."
        case let .classIndexOutOfRange(index, count):
            return "Class index \(index) is out of range: the model's \(count) classes are numbered 0 to \(count - 1)."
        case let .needsGlobalAveragePooling(name):
            return "CAM needs the explained layer to feed global average pooling and then the classifier directly, and '\(name)' does not (GAP imposes this restriction on the architecture); Grad-CAM generalizes CAM to any layer."
        case let .notFinite(what):
            return "The \(what) contains NaN or infinite values, so no explanation can be computed."
        case let .wrongInputShape(got, expected):
            return "The input has shape \(got) but the model expects images of shape \(expected)."
        case let .network(error):
            return error.description
        }
    }
}
