// Filesystem probe for the Landlock tests: runs each operation named on the command line and
// prints one line per operation, `OP PATH: ok` or `OP PATH: ERRNO_NAME`, so a test checks
// every outcome of one sandbox run. Exits 2 on a usage error, else 0.
//
// Operations:
//   read PATH         open and read
//   write PATH        open for append and write
//   trunc-open PATH   open with O_TRUNC and write
//   truncate PATH     truncate(2) to 0 bytes
//   create PATH       create a new file and write
//   list DIR          read every directory entry
//   rename FROM TO    rename(2)
//   open-path PATH    open with O_PATH, which does not block on a FIFO
//   thread-read PATH  read from a new thread
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *outcome(int result, int error) {
    if (result == 0)
        return "ok";
    const char *name = strerrorname_np(error);
    return name ? name : "unknown errno";
}

// Returns 0 on success, or -1 with errno set.
static int read_file(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buffer[256];
    ssize_t count = read(fd, buffer, sizeof buffer);
    int saved = errno;
    close(fd);
    errno = saved;
    return count < 0 ? -1 : 0;
}

static int write_file(const char *path, int flags) {
    int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644);
    if (fd < 0)
        return -1;
    ssize_t count = write(fd, "probe\n", 6);
    int saved = errno;
    close(fd);
    errno = saved;
    return count < 0 ? -1 : 0;
}

static int list_dir(const char *path) {
    DIR *dir = opendir(path);
    if (!dir)
        return -1;
    errno = 0;
    while (readdir(dir)) {
    }
    int saved = errno;
    closedir(dir);
    errno = saved;
    return saved ? -1 : 0;
}

static int open_path(const char *path) {
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

struct thread_read {
    const char *path;
    int result;
    int error;
};

static void *thread_main(void *argument) {
    struct thread_read *job = argument;
    job->result = read_file(job->path);
    job->error = errno;
    return NULL;
}

static int read_in_thread(const char *path) {
    struct thread_read job = {path, 0, 0};
    pthread_t thread;
    int error = pthread_create(&thread, NULL, thread_main, &job);
    if (error) {
        errno = error;
        return -1;
    }
    pthread_join(thread, NULL);
    errno = job.error;
    return job.result;
}

static int usage(void) {
    fprintf(stderr, "usage: landlock_fs (read|write|trunc-open|truncate|create|list|"
                    "open-path|thread-read PATH | rename FROM TO)...\n");
    return 2;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        const char *op = argv[i];
        if (i + 1 >= argc)
            return usage();
        const char *path = argv[++i];
        int result;
        if (strcmp(op, "read") == 0)
            result = read_file(path);
        else if (strcmp(op, "write") == 0)
            result = write_file(path, O_APPEND);
        else if (strcmp(op, "trunc-open") == 0)
            result = write_file(path, O_TRUNC);
        else if (strcmp(op, "truncate") == 0)
            result = truncate(path, 0);
        else if (strcmp(op, "create") == 0)
            result = write_file(path, O_CREAT | O_EXCL);
        else if (strcmp(op, "list") == 0)
            result = list_dir(path);
        else if (strcmp(op, "open-path") == 0)
            result = open_path(path);
        else if (strcmp(op, "thread-read") == 0)
            result = read_in_thread(path);
        else if (strcmp(op, "rename") == 0) {
            if (i + 1 >= argc)
                return usage();
            const char *to = argv[++i];
            result = rename(path, to);
            printf("rename %s %s: %s\n", path, to, outcome(result, errno));
            continue;
        } else
            return usage();
        printf("%s %s: %s\n", op, path, outcome(result, errno));
    }
    return 0;
}
