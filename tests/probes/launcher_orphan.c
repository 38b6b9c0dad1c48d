/* Makes an orphan and checks that something reaps it.
 *
 * The probe forks a child, which forks a grandchild and exits at once. The grandchild waits
 * until it has been re-parented, reports its pid through a pipe and exits. Its new parent
 * (an init or a child subreaper) must reap it. A reaping sends no event to anyone else, so
 * the probe polls /proc/PID for up to 10 seconds and prints `reaped PID` once it is gone, or
 * `zombie PID` (exit status 1) when it is still there. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void pause_briefly(void) {
    struct timespec delay = {0, 10 * 1000 * 1000};
    nanosleep(&delay, NULL);
}

int main(void) {
    int report[2];
    if (pipe(report) != 0) {
        perror("pipe");
        return 2;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 2;
    }
    if (child == 0) {
        pid_t first_parent = getpid();
        sigset_t parent_death;
        sigemptyset(&parent_death);
        sigaddset(&parent_death, SIGUSR1);
        sigprocmask(SIG_BLOCK, &parent_death, NULL);
        pid_t grandchild = fork();
        if (grandchild != 0)
            _exit(grandchild < 0 ? 2 : 0);
        /* The parent-death signal marks the re-parenting. The check after setting it covers
         * a parent that exited earlier. */
        prctl(PR_SET_PDEATHSIG, SIGUSR1);
        if (getppid() == first_parent) {
            int signal;
            sigwait(&parent_death, &signal);
        }
        pid_t self = getpid();
        if (write(report[1], &self, sizeof self) != sizeof self)
            _exit(2);
        _exit(0);
    }
    close(report[1]);
    waitpid(child, NULL, 0);

    pid_t orphan;
    if (read(report[0], &orphan, sizeof orphan) != sizeof orphan) {
        fprintf(stderr, "the grandchild reported no pid\n");
        return 2;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", (int)orphan);
    struct stat info;
    for (int i = 0; i < 1000; i++) {
        if (stat(path, &info) != 0) {
            printf("reaped %d\n", (int)orphan);
            return 0;
        }
        pause_briefly();
    }
    printf("zombie %d\n", (int)orphan);
    return 1;
}
