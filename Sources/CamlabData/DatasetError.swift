/// Why a dataset could not be written or an image folder could not be listed.
/// `description` is one sentence naming the folder and the problem.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What was being attempted, e.g. "write a dataset to" or "open the image folder".
    public let action: String
    public let path: String
    public let problem: String

    public init(action: String, path: String, problem: String) {
        self.action = action
        self.path = path
        self.problem = problem
    }

    public var description: String { "cannot \(action) '\(path)': \(problem)" }
}
