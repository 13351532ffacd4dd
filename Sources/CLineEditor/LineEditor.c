#define _GNU_SOURCE  /* ppoll */
#include "CLineEditor.h"
#include "CSignals.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <readline/readline.h>
#include <readline/history.h>

static volatile sig_atomic_t resized = 0;

static void on_resize(int signal) { (void)signal; resized = 1; }

void cle_install_signal_handlers(void) {
    csig_install_interrupt_handler();
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: poll() must wake up on a resize
    action.sa_handler = on_resize;
    sigaction(SIGWINCH, &action, NULL);
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    // A parent may have started us with SIGWINCH blocked (the mask is inherited).
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGWINCH);
    pthread_sigmask(SIG_UNBLOCK, &wanted, NULL);
}

// The callback interface hands the finished line to a function; these carry it back.
static char *finished_line = NULL;
static int line_is_finished = 0;

static void on_line(char *line) {
    finished_line = line;
    line_is_finished = 1;
    rl_callback_handler_remove();  // so readline prints no second prompt
}

cle_status cle_read_line(const char *prompt, char **line) {
    *line = NULL;
    finished_line = NULL;
    line_is_finished = 0;
    csig_take_interrupt();  // a Ctrl-C pressed before the prompt belongs to the finished command
    // SIGINT and SIGWINCH stay blocked except inside ppoll, which unblocks them atomically: a
    // Ctrl-C landing between the check of the flag and the wait would otherwise be slept through.
    sigset_t blocked, previous, waiting;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGWINCH);
    pthread_sigmask(SIG_BLOCK, &blocked, &previous);
    waiting = previous;
    sigdelset(&waiting, SIGINT);
    sigdelset(&waiting, SIGWINCH);
    rl_callback_handler_install(prompt, on_line);
    FILE *input = rl_instream ? rl_instream : stdin;
    cle_status status = CLE_LINE;
    while (!line_is_finished) {
        struct pollfd descriptor = { .fd = fileno(input), .events = POLLIN, .revents = 0 };
        int ready = csig_interrupt_pending() || resized ? 0 : ppoll(&descriptor, 1, NULL, &waiting);
        if (csig_take_interrupt()) {
            // Discard the half-typed line and give the terminal back its normal mode.
            rl_free_line_state();
            rl_callback_sigcleanup();
            rl_cleanup_after_signal();
            rl_callback_handler_remove();
            fputc('\n', rl_outstream ? rl_outstream : stdout);
            fflush(rl_outstream ? rl_outstream : stdout);
            status = CLE_INTERRUPTED;
            break;
        }
        if (resized) {
            resized = 0;
            rl_resize_terminal();
        }
        if (ready < 0) {
            if (errno == EINTR) continue;
            rl_callback_handler_remove();
            status = CLE_END;
            break;
        }
        if (ready > 0) rl_callback_read_char();
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (status != CLE_LINE) return status;
    if (finished_line == NULL) return CLE_END;
    *line = finished_line;
    return CLE_LINE;
}

// Completion: readline calls the generator repeatedly; it hands out the Swift side's matches.
static cle_completer current_completer = NULL;
static char **pending_matches = NULL;
static size_t pending_index = 0;

static char *next_match(const char *text, int state) {
    (void)text;
    if (state == 0) pending_index = 0;
    if (pending_matches == NULL || pending_matches[pending_index] == NULL) return NULL;
    return pending_matches[pending_index++];  // already malloc'ed: readline takes ownership
}

static char **complete(const char *text, int start, int end) {
    if (current_completer == NULL) return NULL;
    char **matches = current_completer(rl_line_buffer, start, end);
    if (matches == NULL) return NULL;  // readline falls back to file names
    rl_attempted_completion_over = 1;
    pending_matches = matches;
    char **result = rl_completion_matches(text, next_match);
    free(matches);  // the strings now belong to readline; only the array is ours
    pending_matches = NULL;
    return result;
}

void cle_set_completer(cle_completer completer) {
    current_completer = completer;
    rl_attempted_completion_function = completer ? complete : NULL;
    rl_basic_word_break_characters = " \t\n\"'=";
}
