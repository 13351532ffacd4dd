#ifndef CSIGNALS_H
#define CSIGNALS_H

// Ctrl-C for the whole program, in one place: the SIGINT handler only sets a flag (the one thing
// a handler may safely do), and whoever runs long work — a training loop, the REPL's line editor,
// a command — reads it between units of work. C, because the line editor's poll loop reads the
// flag from C, and one flag must serve both.

/// Installs the SIGINT handler (without SA_RESTART, so a blocking read or poll returns with EINTR)
/// and unblocks SIGINT, which a parent may have blocked (the signal mask is inherited across exec).
void csig_install_interrupt_handler(void);

/// Makes SIGTERM set the same flag, for work that must clean up rather than die half-done
/// (`data make`); the REPL does not call it, so `kill` still ends it.
void csig_install_termination_handler(void);

/// Whether Ctrl-C was pressed since the flag was last cleared.
int csig_interrupt_pending(void);

/// Whether Ctrl-C was pressed since the flag was last cleared; clears it.
int csig_take_interrupt(void);

#endif
