import Foundation

/// What the terminal on the other end of stdout can show, decided once from the environment.
///
/// Colour is off when stdout is not a terminal or `NO_COLOR` is set (https://no-color.org);
/// 24-bit colour is assumed when `COLORTERM` says so or `CAMLAB_TRUECOLOR=1` overrides, otherwise
/// the 256-colour palette is used (tmux and most terminals have it).
public struct Terminal: Sendable {
    public enum ColorSupport: Sendable { case none, palette256, trueColor }

    public var isInteractive: Bool
    public var color: ColorSupport
    public var width: Int
    /// Rows of the window, when stdout is a terminal (a pipe has no height).
    public var height: Int?

    public init(isInteractive: Bool, color: ColorSupport, width: Int = 80, height: Int? = nil) {
        self.isInteractive = isInteractive
        self.color = color
        self.width = width
        self.height = height
    }

    /// The terminal of this process's stdout.
    public static let standardOutput: Terminal = {
        let environment = ProcessInfo.processInfo.environment
        let interactive = isatty(STDOUT_FILENO) == 1
        var color: ColorSupport = .none
        if interactive && environment["NO_COLOR"].map({ $0.isEmpty }) ?? true && environment["TERM"] != "dumb" {
            let colorTerm = environment["COLORTERM"]?.lowercased() ?? ""
            color = colorTerm == "truecolor" || colorTerm == "24bit" ? .trueColor : .palette256
        }
        if let override = environment["CAMLAB_TRUECOLOR"], interactive, environment["NO_COLOR"].map({ $0.isEmpty }) ?? true {
            color = override == "1" ? .trueColor : (override == "0" ? .palette256 : color)
        }
        var size = winsize()
        let measured = interactive && ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0
        return Terminal(isInteractive: interactive, color: color, width: measured ? Int(size.ws_col) : 80,
                        height: measured && size.ws_row > 0 ? Int(size.ws_row) : nil)
    }()

    /// `text` in bold when colour is on.
    public func bold(_ text: String) -> String { color == .none ? text : "\u{1B}[1m\(text)\u{1B}[0m" }
    /// `text` dimmed when colour is on.
    public func dim(_ text: String) -> String { color == .none ? text : "\u{1B}[2m\(text)\u{1B}[0m" }
    /// `text` in red (errors) when colour is on.
    public func red(_ text: String) -> String { color == .none ? text : "\u{1B}[31m\(text)\u{1B}[0m" }
    /// `text` in green (passed checks) when colour is on.
    public func green(_ text: String) -> String { color == .none ? text : "\u{1B}[32m\(text)\u{1B}[0m" }
}

/// Writes to standard error (diagnostics, progress), never mixed into stdout's results.
public func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Standard output that says when it fails: a full disk or a closed stdout is an error (exit 1),
/// never output silently lost. Every result camlab prints goes through here.
public enum StandardOutput {
    /// The first failed write, kept for callers that cannot throw (the REPL's `write`): the
    /// script stops there, and `finish` fails at exit.
    public private(set) static var failure: LabError?

    public static func print(_ line: String) throws {
        if let failure { throw failure }
        var text = line + "\n"
        let written = text.withUTF8 { fwrite($0.baseAddress, 1, $0.count, stdout) == $0.count }
        // Flushed line by line: a failure is seen at the line that caused it, not at exit.
        guard written, fflush(stdout) == 0 else { throw failed(errno) }
    }

    /// Flushes what is left; throws the first failure (the last step of every command).
    public static func finish() throws {
        if let failure { throw failure }
        guard fflush(stdout) == 0, ferror(stdout) == 0 else { throw failed(errno) }
    }

    private static func failed(_ code: Int32) -> LabError {
        let reason: String
        switch code {
        case ENOSPC: reason = "the device is full"
        case EBADF, EINVAL: reason = "it is closed"
        case EPIPE: reason = "the program reading it has stopped"
        default: reason = String(cString: strerror(code)).lowercased()
        }
        let error = LabError("cannot write to standard output: \(reason).")
        failure = error
        return error
    }
}
