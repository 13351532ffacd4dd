import CSignals

/// Ctrl-C while work runs, for the command line and the REPL alike: the SIGINT handler of
/// CSignals only sets a flag, and loops ask between units of work — training after each batch,
/// the REPL between steps of a command, the line editor in its poll loop.
public enum Interruption {
    /// Makes Ctrl-C set the flag instead of ending the process, and clears the flag.
    public static func install() { csig_install_interrupt_handler() }

    /// Makes SIGTERM set the same flag as Ctrl-C (after `install()`), for work that cleans up
    /// before it stops instead of leaving half-written files.
    public static func includeTermination() { csig_install_termination_handler() }

    /// True once Ctrl-C has been pressed since `install()` or `reset()`.
    public static var isRequested: Bool { csig_interrupt_pending() != 0 }

    /// Forgets a Ctrl-C (before a command starts).
    public static func reset() { _ = csig_take_interrupt() }

    /// The exit status of a process stopped by SIGINT, by shell convention 128 + 2.
    public static let exitStatus: Int32 = 130
}
