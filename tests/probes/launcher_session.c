/* Prints the process id, session id and process group id: `pid=P sid=S pgid=G`. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    printf("pid=%d sid=%d pgid=%d\n", (int)getpid(), (int)getsid(0), (int)getpgrp());
    return 0;
}
