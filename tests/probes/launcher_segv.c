/* Dies of SIGSEGV by writing through a null pointer, without a core dump. */
#include <stdio.h>
#include <sys/resource.h>

int main(void) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    fflush(stdout);
    *(volatile int *)0 = 1;
    return 0;
}
