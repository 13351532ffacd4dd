import Foundation
import Testing

/// `camlab` on a pseudo-terminal, driven keystroke by keystroke as a person would: the child gets
/// its own session with the terminal as its controlling terminal, so Ctrl-C typed into it becomes
/// a SIGINT from the line discipline, exactly as in a real terminal.
final class PseudoTerminal {
    let master: Int32
    let pid: pid_t
    private(set) var transcript = ""
    private var consumed = 0

    init(arguments: [String] = [], environment: [String: String]) throws {
        master = PseudoTerminal.openpt(O_RDWR | O_NOCTTY)
        guard master >= 0, PseudoTerminal.grantpt(master) == 0, PseudoTerminal.unlockpt(master) == 0,
              let name = PseudoTerminal.ptsname(master) else {
            throw CocoaError(.featureUnsupported)
        }
        let slavePath = String(cString: name)
        var size = winsize(ws_row: 50, ws_col: 140, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, PseudoTerminal.spawnSetsid)   // a new session, without a terminal yet
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)   // …which this open makes controlling
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        posix_spawn_file_actions_addclose(&actions, master)

        var merged = ProcessInfo.processInfo.environment
        merged["TERM"] = "xterm-256color"
        merged["NO_COLOR"] = "1"
        merged["INPUTRC"] = "/dev/null"   // the user's key bindings must not change the test
        for (key, value) in environment { merged[key] = value }
        let argv = ([CommandLine.executable.path] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, CommandLine.executable.path, &actions, &attributes, argv, envp)
        guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EIO) }
        pid = child
    }

    // glibc declares posix_openpt & co. only under _XOPEN_SOURCE, which Swift's Glibc module does
    // not define; they are in libc all the same.
    private static let libc = dlopen(nil, RTLD_NOW)
    private static func function<T>(_ name: String, as type: T.Type) -> T { unsafeBitCast(dlsym(libc, name)!, to: type) }
    static let openpt = function("posix_openpt", as: (@convention(c) (Int32) -> Int32).self)
    static let grantpt = function("grantpt", as: (@convention(c) (Int32) -> Int32).self)
    static let unlockpt = function("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
    static let ptsname = function("ptsname", as: (@convention(c) (Int32) -> UnsafeMutablePointer<CChar>?).self)
    /// glibc's POSIX_SPAWN_SETSID (a macro hidden the same way).
    static let spawnSetsid: Int16 = 0x80

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(master)
    }

    /// Types text (control characters included: "\u{03}" is Ctrl-C, "\t" Tab, "\r" Enter).
    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Waits until `text` appears in output not yet consumed; returns the output up to and
    /// including it. Fails (returns nil) after `timeout` seconds.
    @discardableResult
    func expect(_ text: String, timeout: Double = 20) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let pending = String(transcript.dropFirst(consumed))
            if let range = pending.range(of: text) {
                consumed += pending.distance(from: pending.startIndex, to: range.upperBound)
                return String(pending[..<range.upperBound])
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else {
                print("PseudoTerminal: '\(text)' did not appear; the terminal showed:\n\(transcript.suffix(1500).debugDescription)")
                return nil
            }
            readAvailable(timeout: left)
        }
    }

    private func readAvailable(timeout: Double) {
        var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(Swift.min(timeout, 0.2) * 1000)) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = read(master, &buffer, buffer.count)
        if count > 0 { transcript += String(decoding: buffer[0..<count], as: UTF8.self) }
    }

    /// Waits for the process to end; its exit status, or nil if it is still running after `timeout`.
    func exitStatus(timeout: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            readAvailable(timeout: 0.05)
            if waitpid(pid, &status, WNOHANG) == pid { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1 }
        }
        return nil
    }

    /// Whether the terminal is back in its normal, cooked mode (echo and line editing by the kernel).
    var isInCookedMode: Bool {
        var settings = termios()
        guard tcgetattr(master, &settings) == 0 else { return false }
        return settings.c_lflag & tcflag_t(ICANON) != 0 && settings.c_lflag & tcflag_t(ECHO) != 0
    }
}

@Suite(.serialized) struct ReplTerminalTests {
    static func environment(history: String) -> [String: String] {
        ["CAMLAB_HISTORY": history, "CAMLAB_PROGRESS": history + ".progress.json"]
    }
    static func scratchHistory() -> String { NSTemporaryDirectory() + "camlab-pty-\(UUID().uuidString).history" }

    @Test func bannerPromptAndTabCompletion() throws {
        let terminal = try PseudoTerminal(environment: Self.environment(history: Self.scratchHistory()))
        #expect(terminal.expect("Type help for the commands") != nil)
        #expect(terminal.expect("quit or Ctrl-D to leave") != nil)
        #expect(terminal.expect("camlab> ") != nil)
        terminal.type("grad\t\t")                         // ambiguous: the second Tab lists the choices
        #expect(terminal.expect("gradcampp-paper") != nil)
        terminal.type("cam-e\t")                          // unique: completed, with a space
        #expect(terminal.expect("elementwise ") != nil)
        terminal.type("tri\t\r")                          // a class name, then run it
        #expect(terminal.expect("Grad-CAM element-wise ·") != nil)
        #expect(terminal.expect("class 2 triangle") != nil)
        #expect(terminal.expect("camlab> ") != nil)
        terminal.type("\u{15}layer features.\t\t")        // Ctrl-U clears; layer names
        #expect(terminal.expect("features.6") != nil)
        terminal.type("6\r")
        #expect(terminal.expect("Layer features.6: A has K = 64") != nil)
        #expect(terminal.expect("camlab> ") != nil)
        terminal.type("lesson \t\t")                      // lesson numbers
        #expect(terminal.expect("4") != nil)
        terminal.type("\u{15}quit\r")
        #expect(terminal.exitStatus() == 0)
        #expect(terminal.isInCookedMode)
    }

    @Test func historySurvivesARestartAndCtrlRFindsIt() throws {
        let history = Self.scratchHistory()
        defer { try? FileManager.default.removeItem(atPath: history) }
        do {
            let first = try PseudoTerminal(environment: Self.environment(history: history))
            #expect(first.expect("camlab> ") != nil)
            first.type("image pairs 4\r")
            #expect(first.expect("Drawn in it: square, cross") != nil)
            first.type("predict\r")
            #expect(first.expect("← predicted") != nil)
            #expect(first.expect("camlab> ") != nil)   // typed-ahead control keys would meet the kernel, not readline
            first.type("\u{04}")                          // Ctrl-D on an empty line
            #expect(first.exitStatus() == 0)
        }
        let saved = try String(contentsOfFile: history, encoding: .utf8)
        #expect(saved == "image pairs 4\npredict\n")
        let second = try PseudoTerminal(environment: Self.environment(history: history))
        #expect(second.expect("camlab> ") != nil)
        second.type("\u{1B}[A\u{1B}[A\r")                // ↑ ↑ Enter: the first line of the last session
        #expect(second.expect("Drawn in it: square, cross") != nil)
        #expect(second.expect("camlab> ") != nil)
        second.type("\u{12}predi")                        // Ctrl-R
        #expect(second.expect("reverse-i-search") != nil)
        second.type("\r")
        #expect(second.expect("← predicted") != nil)
        #expect(second.expect("camlab> ") != nil)
        second.type("quit\r")
        #expect(second.exitStatus() == 0)
    }

    @Test func ctrlCClearsTheLineAndAnErrorLeavesTheReplRunning() throws {
        let terminal = try PseudoTerminal(environment: Self.environment(history: Self.scratchHistory()))
        #expect(terminal.expect("camlab> ") != nil)
        terminal.type("image multi 3")
        #expect(terminal.expect("image multi 3") != nil)
        terminal.type("\u{03}")                           // Ctrl-C: the line is dropped, a fresh prompt
        #expect(terminal.expect("camlab> ") != nil)
        terminal.type("gradcma\r")                        // a typo: an error, and the REPL goes on
        #expect(terminal.expect("did you mean 'gradcam'") != nil)
        #expect(terminal.expect("camlab> ") != nil)
        terminal.type("state\r")
        #expect(terminal.expect("image  shapes 2") != nil)   // the interrupted `image multi 3` never ran
        #expect(terminal.expect("camlab> ") != nil)
        terminal.type("\u{03}")                           // Ctrl-C on an empty line does not leave either
        #expect(terminal.expect("camlab> ") != nil)
        terminal.type("\u{04}")                           // Ctrl-D on an empty line leaves
        #expect(terminal.exitStatus() == 0)
        #expect(terminal.isInCookedMode)
    }

    @Test func ctrlCStopsTrainingAndKeepsTheModelFromBefore() throws {
        let history = Self.scratchHistory()
        var environment = Self.environment(history: history)
        environment["CAMLAB_MODELS"] = history + "-models"
        let terminal = try PseudoTerminal(environment: environment)
        #expect(terminal.expect("camlab> ") != nil)
        terminal.type("train 20\r")
        #expect(terminal.expect("epoch 1/20", timeout: 60) != nil)   // the progress bar, then the first epoch
        terminal.type("\u{03}")                                      // Ctrl-C while it trains
        #expect(terminal.expect("Interrupted; the state is as it was before the command.", timeout: 30) != nil)
        #expect(terminal.expect("camlab> ") != nil)
        terminal.type("state\r")
        #expect(terminal.expect("model  ") != nil)
        #expect(terminal.expect("camlab> ") != nil)
        #expect(!FileManager.default.fileExists(atPath: history + "-models/trained.safetensors"))  // nothing saved
        terminal.type("quit\r")
        #expect(terminal.exitStatus() == 0)
        #expect(terminal.isInCookedMode)
    }

    @Test func metricsShowsProgressAndStopsWithinASecondOfCtrlC() throws {
        let terminal = try PseudoTerminal(environment: Self.environment(history: Self.scratchHistory()))
        #expect(terminal.expect("camlab> ") != nil)
        terminal.type("metrics multi gradcam scorecam 200\r")
        #expect(terminal.expect("metrics [", timeout: 60) != nil)   // a bar, not 20 s of silence
        #expect(terminal.expect("/400", timeout: 10) != nil)
        let pressed = Date()
        terminal.type("\u{03}")
        #expect(terminal.expect("Interrupted; the state is as it was before the command.", timeout: 10) != nil)
        let waited = Date().timeIntervalSince(pressed)
        print("metrics: stopped \(Int(waited * 1000)) ms after Ctrl-C")
        #expect(waited < 1.5)   // one explanation's work at most, with room for a busy machine
        #expect(terminal.expect("camlab> ") != nil)
        terminal.type("quit\r")
        #expect(terminal.exitStatus() == 0)
        #expect(terminal.isInCookedMode)
    }

    @Test func colourOnATerminalUnlessNoColor() throws {
        var environment = Self.environment(history: Self.scratchHistory())
        environment["COLORTERM"] = "truecolor"
        environment["NO_COLOR"] = ""
        let coloured = try PseudoTerminal(environment: environment)
        #expect(coloured.expect("camlab>") != nil)   // bold: an escape sits before its space
        coloured.type("gradcam\r")
        #expect(coloured.expect("\u{1B}[38;2;") != nil)      // 24-bit half blocks
        #expect(coloured.expect("camlab>") != nil)   // bold: an escape sits before its space
        coloured.type("\u{04}")
        #expect(coloured.exitStatus() == 0)

        environment["NO_COLOR"] = "1"
        let plain = try PseudoTerminal(environment: environment)
        #expect(plain.expect("camlab> ") != nil)
        plain.type("gradcam\r")
        let output = plain.expect("above half the peak")
        #expect(output != nil)
        #expect(output?.contains("\u{1B}[38;") == false)
        #expect(output?.contains("@") == true)                 // the ASCII ramp instead
        #expect(plain.expect("camlab> ") != nil)
        plain.type("\u{04}")
        #expect(plain.exitStatus() == 0)
    }

    @Test func promptIsReadyQuickly() throws {
        // The prompt is printed once the session is ready to take a command; the budget is 100 ms.
        // On a shared two-core machine a test cannot insist on it, so it records the time and
        // fails only on an order-of-magnitude regression; BENCHMARKS.md has the measurement.
        var best = Double.infinity
        for _ in 0..<3 {
            let start = Date()
            let terminal = try PseudoTerminal(environment: Self.environment(history: Self.scratchHistory()))
            #expect(terminal.expect("camlab> ") != nil)
            best = Swift.min(best, Date().timeIntervalSince(start))
            terminal.type("\u{04}")
            _ = terminal.exitStatus()
        }
        print("camlab REPL: prompt ready after \(Int(best * 1000)) ms (best of 3)")
        #expect(best < 1.0)
    }
}
