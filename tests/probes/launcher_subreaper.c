/* Runs a command as a child subreaper, as service managers and container inits do, and
 * reports the processes it inherits from that command.
 *
 * Usage: launcher_subreaper ROUNDS COMMAND [ARGS...]
 *
 * Each round forks and executes COMMAND, waits for it, then reads this process's children
 * from /proc at once. A command that leaves nothing behind leaves no child there. The probe
 * prints `status CODE` for the last round and `inherited N` with the number of rounds after
 * which a child was left (alive or a zombie), reaps those children, and exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: launcher_subreaper ROUNDS COMMAND [ARGS...]\n");
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        perror("prctl(PR_SET_CHILD_SUBREAPER)");
        return 2;
    }
    int rounds = atoi(argv[1]);
    int inherited = 0;
    int code = -1;
    char children_file[64];
    snprintf(children_file, sizeof children_file, "/proc/self/task/%d/children", getpid());
    for (int round = 0; round < rounds; round++) {
        pid_t command = fork();
        if (command < 0) {
            perror("fork");
            return 2;
        }
        if (command == 0) {
            execv(argv[2], argv + 2);
            perror("execv");
            _exit(127);
        }
        int status;
        if (waitpid(command, &status, 0) != command) {
            perror("waitpid");
            return 2;
        }
        code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        FILE *children = fopen(children_file, "r");
        if (children == NULL) {
            perror(children_file);
            return 2;
        }
        int first = fgetc(children);
        fclose(children);
        if (first != EOF) {
            inherited++;
        }
        while (waitpid(-1, &status, 0) > 0) {
        }
    }
    printf("status %d\ninherited %d\n", code, inherited);
    return 0;
}
