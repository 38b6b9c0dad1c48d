/* Catches SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH, prints `ready`
 * once the handlers are installed, then `caught NAME` for the first signal that arrives, and
 * exits 0.
 *
 * With the argument `read`, it waits in read(2) on standard input instead of pause(2), the
 * way an interactive program waits for a key; handlers are installed without SA_RESTART, so
 * the signal interrupts the read. End of input prints `eof` and exits 1. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t caught;

static void record(int signal) {
    caught = signal;
}

static const struct {
    int number;
    const char *name;
} SIGNALS[] = {
    {SIGINT, "SIGINT"},   {SIGTERM, "SIGTERM"}, {SIGHUP, "SIGHUP"},     {SIGQUIT, "SIGQUIT"},
    {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}, {SIGWINCH, "SIGWINCH"},
};

#define SIGNAL_COUNT (sizeof SIGNALS / sizeof SIGNALS[0])

int main(int argc, char **argv) {
    int wait_in_read = argc > 1 && strcmp(argv[1], "read") == 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = record;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < SIGNAL_COUNT; i++) {
        if (sigaction(SIGNALS[i].number, &action, NULL) != 0) {
            perror("sigaction");
            return 2;
        }
    }
    printf("ready\n");
    fflush(stdout);

    while (!caught) {
        if (wait_in_read) {
            char byte;
            if (read(STDIN_FILENO, &byte, 1) == 0) {
                printf("eof\n");
                return 1;
            }
        } else {
            pause();
        }
    }
    for (size_t i = 0; i < SIGNAL_COUNT; i++) {
        if (SIGNALS[i].number == caught)
            printf("caught %s\n", SIGNALS[i].name);
    }
    return 0;
}
