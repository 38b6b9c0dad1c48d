/*
 * An ordinary program for allow-list tests. It starts threads, reads and writes files, uses
 * a pipe, a socket pair and the clock, and forks a child. It prints `workload: ok` and exits
 * 0 when every step worked. On the first failure it prints the step and the errno and exits
 * 1. The tests build it with glibc and, when musl-gcc exists, with musl.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4

static void fail(const char *step) {
    printf("workload: %s failed: %s\n", step, strerror(errno));
    exit(1);
}

static void *count_lines(void *path) {
    FILE *file = fopen(path, "r");
    if (!file) {
        return (void *)-1L;
    }
    long lines = 0;
    int c;
    while ((c = fgetc(file)) != EOF) {
        lines += c == '\n';
    }
    fclose(file);
    return (void *)lines;
}

int main(void) {
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        if (pthread_create(&threads[i], NULL, count_lines, "/etc/passwd") != 0) {
            fail("pthread_create");
        }
    }
    for (int i = 0; i < THREADS; i++) {
        void *lines;
        pthread_join(threads[i], &lines);
        if ((long)lines < 0) {
            fail("read /etc/passwd in a thread");
        }
    }

    char path[] = "/tmp/workload.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, "data\n", 5) != 5 || fsync(fd) < 0) {
        fail("write a file in /tmp");
    }
    struct stat info;
    if (fstat(fd, &info) < 0 || info.st_size != 5 || close(fd) < 0 || unlink(path) < 0) {
        fail("stat and remove the file");
    }

    int pipe_fds[2];
    char buffer[8];
    if (pipe2(pipe_fds, O_CLOEXEC) < 0 || write(pipe_fds[1], "p", 1) != 1 ||
        read(pipe_fds[0], buffer, 1) != 1) {
        fail("pipe");
    }
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0 || send(pair[0], "s", 1, 0) != 1 ||
        recv(pair[1], buffer, 1, 0) != 1) {
        fail("socketpair");
    }

    struct timespec now;
    struct timespec nap = {0, 1000000};
    if (clock_gettime(CLOCK_MONOTONIC, &now) < 0 || nanosleep(&nap, NULL) < 0) {
        fail("clock");
    }

    pid_t child = fork();
    if (child < 0) {
        fail("fork");
    }
    if (child == 0) {
        _exit(7);
    }
    int status;
    if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 7) {
        fail("wait for a child");
    }

    printf("workload: ok\n");
    return 0;
}
