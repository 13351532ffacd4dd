/// Why a figure cannot be drawn, in one sentence a user can act on.
public struct FigureError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String

    public init(_ description: String) { self.description = description }

    /// Another library's error as a sentence: capitalized, ending with a full stop.
    public init(sentenceFrom error: Error) {
        if let figureError = error as? FigureError { self = figureError; return }
        var text = "\(error)"
        if let first = text.first { text = first.uppercased() + text.dropFirst() }
        if !text.hasSuffix(".") && !text.hasSuffix("?") { text += "." }
        description = text
    }
}
