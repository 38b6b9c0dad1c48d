// TCP probe for the Landlock tests, on 127.0.0.1 only: `bind PORT` binds and listens (the
// socket stays open until exit, so a later `connect` reaches it), `connect PORT` connects.
// Prints `OP PORT: ok` or `OP PORT: ERRNO_NAME` per operation. Exits 2 on a usage error.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

static int bind_listen(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in address = loopback(port);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0)
        return -1;
    return listen(fd, 8);
}

static int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in address = loopback(port);
    int result = connect(fd, (struct sockaddr *)&address, sizeof address);
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc % 2 != 1) {
        fprintf(stderr, "usage: landlock_net ((bind|connect) PORT)...\n");
        return 2;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        int port = atoi(argv[i + 1]);
        int result;
        if (strcmp(argv[i], "bind") == 0)
            result = bind_listen(port);
        else if (strcmp(argv[i], "connect") == 0)
            result = connect_to(port);
        else {
            fprintf(stderr, "landlock_net: unknown operation %s\n", argv[i]);
            return 2;
        }
        const char *name = result == 0 ? "ok" : strerrorname_np(errno);
        printf("%s %d: %s\n", argv[i], port, name ? name : "unknown errno");
    }
    return 0;
}
