import CamlabData
import CamlabImaging
import CamlabLab
import CamlabNN
import Foundation

/// A REPL session: the state, the commands, the numbered results and the lesson being followed.
/// Everything the REPL does goes through `execute`, so the tests drive it without a terminal.
public final class Lab {
    public var state: LabState
    public let terminal: Terminal
    public let commands: CommandTable
    public private(set) var results: [NumberedResult] = []
    public let lessons: LessonPlayer
    /// The model the session started with (`$CAMLAB_MODEL` or the lessons' model): lessons that
    /// need it put it back when another one (a model trained in an exercise) is current.
    public let lessonsModelPath: String
    /// Where output goes (stdout in the REPL; a buffer in tests). A failed write is kept by
    /// `StandardOutput`, and the REPL stops at it.
    public var write: (String) -> Void = { try? StandardOutput.print($0) }
    /// Where errors go (stderr, so a script's stdout holds only results).
    public var writeError: (String) -> Void = { printError($0) }
    /// Set by `quit`.
    public internal(set) var wantsToQuit = false

    private var loadedModel: (path: String, normalization: ModelOverrides, network: Network)?
    private var loadedImage: (source: ImageSource, image: LoadedImage)?

    public init(state: LabState, terminal: Terminal, lessons: LessonPlayer, commands: CommandTable = .standard) {
        self.state = state
        self.lessonsModelPath = state.modelPath
        self.terminal = terminal
        self.lessons = lessons
        self.commands = commands
    }

    // MARK: Running commands

    /// What became of a line.
    public enum Outcome {
        case succeeded(CommandOutput)
        case failed(String)
        case nothing
    }

    /// Runs one line: a command with its arguments, `CMD?`, or `$N`. Prints its output or error.
    @discardableResult
    public func execute(_ line: String) -> Outcome {
        let outcome = evaluate(line)
        switch outcome {
        case .succeeded(let output): if !output.text.isEmpty { write(output.text) }
        case .failed(let message): reportError(message)
        case .nothing: break
        }
        return outcome
    }

    /// Runs one line without printing.
    public func evaluate(_ line: String) -> Outcome {
        var words = Self.words(of: line)
        guard var name = words.first else { return .nothing }
        words.removeFirst()
        if name.hasSuffix("?") && name.count > 1 {          // `gradcam?` = `help gradcam`
            words = [String(name.dropLast())]
            name = "help"
        } else if name.hasPrefix("$"), Int(name.dropFirst()) != nil {   // `$3` = `show 3`
            words = [String(name.dropFirst())]
            name = "show"
        }
        guard let command = commands.command(named: name) else {
            return .failed(unknownCommandMessage(name))
        }
        // Extra words are refused, not ignored: `quit now` or `class auto extra` meant something.
        if let limit = command.maximumArgumentCount, words.count > limit {
            let takes = limit == 0 ? "takes no arguments" : "takes at most \(limit) argument\(limit == 1 ? "" : "s") (\(command.usage))"
            let extra = words.count - limit == 1 ? "'\(Echo.word(words[limit]))' is one too many"
                : "\(words.count - limit) words from '\(Echo.word(words[limit]))' on are too many"
            return .failed("'\(command.name)' \(takes); \(extra).")
        }
        let before = state
        Interruption.reset()
        do {
            var output = try command.run(words, lab: self)
            if output.isResult {
                let number = results.count + 1
                results.append(NumberedResult(number: number, line: line.trimmingCharacters(in: .whitespaces), output: output))
                output.text = terminal.dim("[\(number)]") + " " + output.text
            }
            return .succeeded(output)
        } catch CommandError.interrupted {
            Interruption.reset()   // handled: the next command starts clean
            state = before
            return .failed(CommandError.interrupted.description)
        } catch {
            // A half-applied command must not leave the state changed either.
            state = before
            return .failed(String(describing: error))
        }
    }

    func reportError(_ message: String) {
        writeError(terminal.red("error: ") + Echo.message(message))
    }

    private func unknownCommandMessage(_ name: String) -> String {
        if let suggestion = Suggestion.closest(to: name, among: commands.allNames) {
            return "Unknown command '\(Echo.word(name))'; did you mean '\(suggestion)'? Type 'help' for the list."
        }
        return "Unknown command '\(Echo.word(name))'; type 'help' for the list."
    }

    /// Splits a line into words; double quotes keep spaces (`image "my cat.png"`).
    static func words(of line: String) -> [String] {
        var words: [String] = [], current = "", quoted = false, started = false
        for character in line {
            if character == "\"" { quoted.toggle(); started = true; continue }
            if character.isWhitespace && !quoted {
                if started { words.append(current); current = ""; started = false }
                continue
            }
            current.append(character)
            started = true
        }
        if started { words.append(current) }
        return words
    }

    // MARK: The model and the image

    /// The current model, loaded once per path and normalization (a photo's `--preprocess`
    /// recipe may bring its own mean and std).
    public func network() throws -> Network {
        let normalization = state.image.normalization
        if let loadedModel, loadedModel.path == state.modelPath, loadedModel.normalization == normalization {
            return loadedModel.network
        }
        let network = try Network(contentsOf: state.modelPath, overriding: normalization)
        loadedModel = (state.modelPath, normalization, network)
        return network
    }

    /// The current image, as a file path (what `CamReport` reads) and a picture: a file at its own
    /// size, a dataset image drawn at the model's nominal size.
    public func image() throws -> LoadedImage {
        if let loadedImage, loadedImage.source == state.image { return loadedImage.image }
        let network = try network()
        let image = try LoadedImage(source: state.image, size: network.architecture.input[1])
        loadedImage = (state.image, image)
        return image
    }

    /// The explained class: the one set with `class`, else nil (each method takes the prediction).
    public func classIndex(in network: Network) throws -> Int? {
        guard let spec = state.classSpec else { return nil }
        return try CamReport.classIndex(spec, classes: network.classes)
    }

    /// The explained layer: the one set with `layer`, else the model's target layer.
    /// [C, H, W] of the current image as the network runs it.
    public func inputShape(for network: Network) throws -> [Int] {
        let picture = try image().picture
        return network.inputShape(forImageHeight: picture.height, width: picture.width)
    }

    public func layerName(in network: Network) -> String {
        state.layer ?? network.architecture.targetLayer
    }

    /// Forgets the cached model (after `model PATH` reads a new file of the same name).
    func reloadModel() { loadedModel = nil; loadedImage = nil }
}

/// An output that can be shown again: `show 3` or `$3`.
public struct NumberedResult {
    public let number: Int
    public let line: String
    public let output: CommandOutput
}
