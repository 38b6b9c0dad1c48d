// Scope probe for the Landlock tests: `signal PID` sends signal 0 (the permission check
// without a delivery) to PID, `abstract NAME` connects to the abstract unix socket NAME.
// Prints `OP ARG: ok` or `OP ARG: ERRNO_NAME` per operation. Exits 2 on a usage error.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int connect_abstract(const char *name) {
    struct sockaddr_un address;
    size_t length = strlen(name);
    if (length + 1 > sizeof address.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    // A leading NUL byte puts the name in the abstract namespace.
    memcpy(address.sun_path + 1, name, length);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    socklen_t size = offsetof(struct sockaddr_un, sun_path) + 1 + length;
    int result = connect(fd, (struct sockaddr *)&address, size);
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc % 2 != 1) {
        fprintf(stderr, "usage: landlock_scope ((signal PID|abstract NAME))...\n");
        return 2;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        int result;
        if (strcmp(argv[i], "signal") == 0)
            result = kill(atoi(argv[i + 1]), 0);
        else if (strcmp(argv[i], "abstract") == 0)
            result = connect_abstract(argv[i + 1]);
        else {
            fprintf(stderr, "landlock_scope: unknown operation %s\n", argv[i]);
            return 2;
        }
        const char *name = result == 0 ? "ok" : strerrorname_np(errno);
        printf("%s %s: %s\n", argv[i], argv[i + 1], name ? name : "unknown errno");
    }
    return 0;
}
