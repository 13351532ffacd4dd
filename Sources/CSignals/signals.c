#include "CSignals.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t interrupted = 0;

static void on_interrupt(int signal) { (void)signal; interrupted = 1; }

void csig_install_interrupt_handler(void) {
    interrupted = 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: poll() and read() must wake up on Ctrl-C
    action.sa_handler = on_interrupt;
    sigaction(SIGINT, &action, NULL);
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &wanted, NULL);
}

void csig_install_termination_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = on_interrupt;
    sigaction(SIGTERM, &action, NULL);
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &wanted, NULL);
}

int csig_interrupt_pending(void) { return interrupted; }

int csig_take_interrupt(void) {
    int was = interrupted;
    interrupted = 0;
    return was;
}
