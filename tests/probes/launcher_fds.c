/* Prints the open file descriptors of this process, sorted and separated by spaces, leaving
 * out the one that reads /proc/self/fd. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

static int compare(const void *a, const void *b) {
    return *(const int *)a - *(const int *)b;
}

int main(void) {
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL) {
        perror("opendir /proc/self/fd");
        return 1;
    }
    int fds[1024];
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && count < 1024) {
        if (entry->d_name[0] == '.')
            continue;
        int fd = atoi(entry->d_name);
        if (fd != dirfd(dir))
            fds[count++] = fd;
    }
    closedir(dir);
    qsort(fds, count, sizeof fds[0], compare);
    for (int i = 0; i < count; i++)
        printf(i == 0 ? "%d" : " %d", fds[i]);
    printf("\n");
    return 0;
}
