@preconcurrency import CReadline
import CLineEditor
import CamlabLab
import Foundation

/// One thing read from the user.
public enum LineInput: Equatable {
    case line(String)
    /// Ctrl-C while typing: the line was thrown away.
    case interrupted
    /// Ctrl-D on an empty line, or the end of a script.
    case end
}

/// Where lines come from: readline on a terminal, plain lines from a pipe or a script.
public protocol LineReader: AnyObject {
    /// True on a terminal: prompts, echo, colour and history are for people only.
    var isInteractive: Bool { get }
    func readLine(prompt: String) -> LineInput
    /// Remembers a line for Ctrl-R, the arrow keys and the next session.
    func remember(_ line: String)
    /// Writes the history file (on leaving).
    func close()
}

/// Lines from a pipe or script: no prompt, no echo (readline would echo both to stdout).
public final class ScriptLineReader: LineReader {
    public init() {}
    public var isInteractive: Bool { false }
    public func readLine(prompt: String) -> LineInput {
        guard let line = Swift.readLine(strippingNewline: true) else { return .end }
        return .line(line)
    }
    public func remember(_ line: String) {}
    public func close() {}
}

/// GNU readline through its callback interface (see CLineEditor): line editing, Ctrl-R, Tab
/// completion, a bounded history file, and a Ctrl-C that clears the line instead of killing us.
public final class ReadlineLineReader: LineReader {
    private let history: HistoryFile

    public init(history: HistoryFile, completer: Completer) {
        self.history = history
        rl_readline_name = UnsafePointer(strdup("camlab"))   // for `$if camlab` in ~/.inputrc; readline keeps the pointer
        Interruption.installForLineEditing()
        Completer.installed = completer
        cle_set_completer(Completer.bridge)
        history.load()
    }

    public var isInteractive: Bool { true }

    public func readLine(prompt: String) -> LineInput {
        var pointer: UnsafeMutablePointer<CChar>?
        switch cle_read_line(prompt, &pointer) {
        case CLE_LINE:
            defer { free(pointer) }
            return .line(pointer.map { String(cString: $0) } ?? "")
        case CLE_INTERRUPTED:
            return .interrupted
        default:
            return .end
        }
    }

    public func remember(_ line: String) { history.add(line) }
    public func close() { history.save() }
}

extension Interruption {
    /// Throws `CommandError.interrupted` when Ctrl-C was pressed: call between units of work.
    public static func check() throws {
        if isRequested { throw CommandError.interrupted }
    }

    /// Makes Ctrl-C set the flag, and window resizes reach readline (the REPL does this; so does
    /// an unattended lesson, which then stops after the current cell).
    public static func installForLineEditing() { cle_install_signal_handlers() }
}
