#include "CSignals.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t interrupted = 0;

static void on_interrupt(int signal) { (void)signal; interrupted = 1; }

/// Routes `number` to on_interrupt, without SA_RESTART (poll() and read() must wake up on
/// Ctrl-C), and unblocks it in this thread.
static void catch_signal(int number) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    action.sa_handler = on_interrupt;
    sigaction(number, &action, NULL);
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, number);
    pthread_sigmask(SIG_UNBLOCK, &wanted, NULL);
}

void csig_install_interrupt_handler(void) {
    interrupted = 0;
    catch_signal(SIGINT);
}

void csig_install_termination_handler(void) { catch_signal(SIGTERM); }

int csig_interrupt_pending(void) { return interrupted; }

int csig_take_interrupt(void) {
    int was = interrupted;
    interrupted = 0;
    return was;
}
