/// Why an image file could not be read or written.
///
/// `description` is one sentence naming the file and the problem, e.g.
/// `cannot read 'cat.png': not a PNG file (it does not start with the PNG signature)`.
public struct ImagingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What was being attempted.
    public enum Operation: String, Sendable {
        case read, write
    }

    public let operation: Operation
    /// The file concerned, as the caller named it.
    public let path: String
    /// What went wrong, in lower case, without the file name.
    public let problem: String

    public init(_ operation: Operation, path: String, problem: String) {
        self.operation = operation
        self.path = path
        self.problem = problem
    }

    public var description: String { "cannot \(operation.rawValue) '\(path)': \(problem)" }
}
