import Foundation

/// Ctrl-C during training: the signal handler only sets a flag (the one thing a handler may
/// safely do); the training loop reads it after each batch and stops there.
public enum TrainingInterruption {
    /// Installs the SIGINT handler (without SA_RESTART, so a blocking call returns early).
    public static func install() {
        interruptRequested = 0
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in interruptRequested = 1 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        // A blocked signal would stay pending forever: a parent may have blocked SIGINT and the
        // mask is inherited across exec (test runners do this), so unblock it here.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    /// Whether Ctrl-C was pressed since `install()`.
    public static var wasRequested: Bool { interruptRequested != 0 }

    /// The exit status of a process stopped by SIGINT, by shell convention 128 + 2.
    public static let exitStatus: Int32 = 130
}

/// Written only by the signal handler; `sig_atomic_t` is the type C guarantees such writes for.
nonisolated(unsafe) private var interruptRequested: sig_atomic_t = 0
