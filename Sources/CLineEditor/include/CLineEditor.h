#ifndef CLINEEDITOR_H
#define CLINEEDITOR_H

// The part of line editing that Swift cannot write: readline's callback interface driven by poll(),
// and signal handlers that only set flags (CPython's readline module works the same way). A
// handler that did more — longjmp, _exit — could leave the terminal in raw mode.

/// What `cle_read_line` returns.
typedef enum {
    CLE_LINE = 1,         ///< a line was entered; *line is malloc'ed, the caller frees it
    CLE_END = 0,          ///< Ctrl-D on an empty line, or the input closed
    CLE_INTERRUPTED = -1  ///< Ctrl-C: the line was discarded and the terminal restored
} cle_status;

/// Returns the completions of the word at [start, end) of `line` as a NULL-terminated, malloc'ed
/// array of malloc'ed strings (readline frees them), or NULL to complete file names instead.
typedef char *_Nullable *_Nullable (*cle_completer)(const char *_Nonnull line, int start, int end);

/// Installs the SIGINT flag handler of CSignals and a SIGWINCH one (no SA_RESTART, so a blocking
/// read or poll returns with EINTR) and tells readline to leave signals to us.
void cle_install_signal_handlers(void);

/// Reads one line with editing, history and completion.
cle_status cle_read_line(const char *_Nonnull prompt, char *_Nullable *_Nonnull line);

/// Sets the completion function and the characters that separate words.
void cle_set_completer(cle_completer _Nullable completer);

#endif
