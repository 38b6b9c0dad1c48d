/*
 * Seccomp probe: makes the syscalls that the seccomp baseline denies and prints, for each
 * check named on the command line, `NAME: ok` when the call succeeded or `NAME: ERRNO` with
 * the errno name when it failed.
 *
 * Hostile: run it only inside a sandbox. Where possible the arguments are invalid (a bad
 * descriptor, a missing path, an unknown command). A call that the filter lets through then
 * fails on its arguments or on a missing capability and changes nothing. The tests set an
 * errno that none of these calls returns by itself, so that the filter's denials stand out.
 *
 * `kill-from-thread` starts a thread that calls uname(2) and waits 5 seconds in the main
 * thread; a profile that kills on uname must end the whole process before it prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* Returns 0 on success or the errno of a failed call. */
typedef int (*check_fn)(void);

static int result(long ret) {
    return ret < 0 ? errno : 0;
}

#if defined(__x86_64__)
/* getpid through the 32-bit entry, where its number is 20. */
static int int80_getpid(void) {
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
    return ret < 0 && ret > -4096 ? (int)-ret : 0;
}

/* getpid with the x32 bit (0x40000000) set in the syscall number. */
static int x32_getpid(void) {
    return result(syscall(0x40000000L | SYS_getpid));
}
#endif

/* Opens a new pseudo-terminal pair and returns the descriptor of its terminal side. */
static int open_own_pty(void) {
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
        return -1;
    }
    const char *name = ptsname(master);
    return name ? open(name, O_RDWR | O_NOCTTY) : -1;
}

static int ioctl_on_own_pty(unsigned long request, void *arg) {
    int fd = open_own_pty();
    if (fd < 0) {
        fprintf(stderr, "cannot open a pseudo-terminal: %s\n", strerror(errno));
        exit(2);
    }
    /* The raw syscall passes all 64 bits of the request as they are. */
    return result(syscall(SYS_ioctl, fd, request, arg));
}

static int tiocsti(void) {
    char c = 'x';
    return ioctl_on_own_pty(TIOCSTI, &c);
}

/* TIOCSTI with bits above the low 32 set: the kernel ignores them. */
static int tiocsti_high_bits(void) {
    char c = 'x';
    return ioctl_on_own_pty(0xffffffff00000000UL | TIOCSTI, &c);
}

static int tioclinux(void) {
    char subcode = 0;
    return ioctl_on_own_pty(TIOCLINUX, &subcode);
}

static int tiocgwinsz(void) {
    struct winsize size;
    return ioctl_on_own_pty(TIOCGWINSZ, &size);
}

static int unshare_user(void) {
    return result(unshare(CLONE_NEWUSER));
}

/* Calls clone with `flags` and SIGCHLD. A child, if any, exits at once. */
static int clone_with(unsigned long flags) {
    long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        _exit(0);
    }
    if (pid < 0) {
        return errno;
    }
    waitpid((pid_t)pid, NULL, 0);
    return 0;
}

static int clone_newns(void) {
    return clone_with(CLONE_NEWNS);
}

static int clone_plain(void) {
    return clone_with(0);
}

static int clone3_plain(void) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
        _exit(0);
    }
    if (pid < 0) {
        return errno;
    }
    waitpid((pid_t)pid, NULL, 0);
    return 0;
}

static int setns_bad_fd(void) {
    return result(setns(-1, 0));
}

static int mount_tmpfs(void) {
    return result(mount("none", "/nonexistent", "tmpfs", 0, NULL));
}

static int umount_missing(void) {
    return result(umount2("/nonexistent", 0));
}

static int pivot_root_missing(void) {
    return result(syscall(SYS_pivot_root, "/nonexistent", "/nonexistent"));
}

static int chroot_missing(void) {
    return result(chroot("/nonexistent"));
}

static int open_tree_missing(void) {
    return result(syscall(SYS_open_tree, AT_FDCWD, "/nonexistent", 0));
}

static int fsopen_invalid(void) {
    return result(syscall(SYS_fsopen, "no-such-filesystem", 0));
}

static int fsconfig_bad_fd(void) {
    return result(syscall(SYS_fsconfig, -1, 0, NULL, NULL, 0));
}

static int fsmount_bad_fd(void) {
    return result(syscall(SYS_fsmount, -1, 0, 0));
}

static int fspick_missing(void) {
    return result(syscall(SYS_fspick, AT_FDCWD, "/nonexistent", 0));
}

static int move_mount_missing(void) {
    return result(syscall(SYS_move_mount, AT_FDCWD, "/nonexistent", AT_FDCWD, "/nonexistent", 0));
}

static int mount_setattr_missing(void) {
    return result(syscall(SYS_mount_setattr, AT_FDCWD, "/nonexistent", 0, NULL, 0));
}

static int keyctl_process_keyring(void) {
    /* KEYCTL_GET_KEYRING_ID of KEY_SPEC_PROCESS_KEYRING, without creating it. */
    return result(syscall(SYS_keyctl, 0, -2, 0));
}

static int add_key_invalid(void) {
    return result(syscall(SYS_add_key, "no-such-type", "x", NULL, 0, -2));
}

static int bpf_invalid(void) {
    return result(syscall(SYS_bpf, -1, NULL, 0));
}

static int io_uring_setup_invalid(void) {
    return result(syscall(SYS_io_uring_setup, 0, NULL));
}

static int io_uring_enter_bad_fd(void) {
    return result(syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0));
}

static int io_uring_register_bad_fd(void) {
    return result(syscall(SYS_io_uring_register, -1, 0, NULL, 0));
}

static int ptrace_invalid(void) {
    /* An unknown request for pid 0, which the kernel rejects without tracing anything. */
    return result(syscall(SYS_ptrace, 0x7fffffffL, 0, NULL, NULL));
}

static int perf_event_open_invalid(void) {
    return result(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
}

static int userfaultfd_invalid(void) {
    return result(syscall(SYS_userfaultfd, -1));
}

static int process_vm_readv_empty(void) {
    return result(syscall(SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, -1));
}

static int process_vm_writev_empty(void) {
    return result(syscall(SYS_process_vm_writev, getpid(), NULL, 0, NULL, 0, -1));
}

static int open_by_handle_at_bad_fd(void) {
    return result(syscall(SYS_open_by_handle_at, -1, NULL, 0));
}

static int personality_query(void) {
    return result(syscall(SYS_personality, 0xffffffffUL));
}

static int personality_linux(void) {
    return result(syscall(SYS_personality, PER_LINUX));
}

static int personality_read_implies_exec(void) {
    long ret = syscall(SYS_personality, PER_LINUX | READ_IMPLIES_EXEC);
    if (ret >= 0) {
        syscall(SYS_personality, PER_LINUX);
    }
    return result(ret);
}

static int kexec_load_invalid(void) {
    return result(syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000UL));
}

static int init_module_invalid(void) {
    return result(syscall(SYS_init_module, NULL, 0, ""));
}

static int finit_module_bad_fd(void) {
    return result(syscall(SYS_finit_module, -1, "", 0));
}

static int delete_module_missing(void) {
    return result(syscall(SYS_delete_module, "no_such_module", 0));
}

static int reboot_bad_magic(void) {
    return result(syscall(SYS_reboot, 0, 0, 0, NULL));
}

static int swapon_missing(void) {
    return result(syscall(SYS_swapon, "/nonexistent", 0));
}

static int swapoff_missing(void) {
    return result(syscall(SYS_swapoff, "/nonexistent"));
}

static int acct_missing(void) {
    return result(syscall(SYS_acct, "/nonexistent"));
}

static int quotactl_invalid(void) {
    return result(syscall(SYS_quotactl, 0, NULL, 0, NULL));
}

static int clock_settime_invalid(void) {
    struct timespec now = {0, 0};
    return result(syscall(SYS_clock_settime, -1, &now));
}

static int settimeofday_invalid(void) {
    struct timeval bad = {0, -1};
    return result(syscall(SYS_settimeofday, &bad, NULL));
}

static int adjtimex_invalid(void) {
    return result(syscall(SYS_adjtimex, NULL));
}

static int syslog_size(void) {
    /* SYSLOG_ACTION_SIZE_BUFFER only reads the size of the kernel log buffer. */
    return result(syscall(SYS_syslog, 10, NULL, 0));
}

/* A syscall number above every table: newer than any filter can know. */
static int syscall_1000(void) {
    return result(syscall(1000));
}

static int sethostname_invalid(void) {
    return result(syscall(SYS_sethostname, "x", (size_t)-1));
}

static int getpid_check(void) {
    return result(syscall(SYS_getpid));
}

static int uname_check(void) {
    struct utsname name;
    return result(uname(&name));
}

static void *call_uname(void *unused) {
    (void)unused;
    struct utsname name;
    uname(&name);
    return NULL;
}

static int kill_from_thread(void) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, call_uname, NULL) != 0) {
        return errno;
    }
    sleep(5);
    return 0;
}

struct check {
    const char *name;
    check_fn run;
};

static const struct check checks[] = {
#if defined(__x86_64__)
    {"int80-getpid", int80_getpid},
    {"x32-getpid", x32_getpid},
#endif
    {"tiocsti", tiocsti},
    {"tiocsti-high-bits", tiocsti_high_bits},
    {"tioclinux", tioclinux},
    {"tiocgwinsz", tiocgwinsz},
    {"unshare-user", unshare_user},
    {"clone-newns", clone_newns},
    {"clone", clone_plain},
    {"clone3", clone3_plain},
    {"setns", setns_bad_fd},
    {"mount", mount_tmpfs},
    {"umount2", umount_missing},
    {"pivot_root", pivot_root_missing},
    {"chroot", chroot_missing},
    {"open_tree", open_tree_missing},
    {"fsopen", fsopen_invalid},
    {"fsconfig", fsconfig_bad_fd},
    {"fsmount", fsmount_bad_fd},
    {"fspick", fspick_missing},
    {"move_mount", move_mount_missing},
    {"mount_setattr", mount_setattr_missing},
    {"keyctl", keyctl_process_keyring},
    {"add_key", add_key_invalid},
    {"bpf", bpf_invalid},
    {"io_uring_setup", io_uring_setup_invalid},
    {"io_uring_enter", io_uring_enter_bad_fd},
    {"io_uring_register", io_uring_register_bad_fd},
    {"ptrace", ptrace_invalid},
    {"perf_event_open", perf_event_open_invalid},
    {"userfaultfd", userfaultfd_invalid},
    {"process_vm_readv", process_vm_readv_empty},
    {"process_vm_writev", process_vm_writev_empty},
    {"open_by_handle_at", open_by_handle_at_bad_fd},
    {"personality-query", personality_query},
    {"personality-linux", personality_linux},
    {"personality-read-implies-exec", personality_read_implies_exec},
    {"kexec_load", kexec_load_invalid},
    {"init_module", init_module_invalid},
    {"finit_module", finit_module_bad_fd},
    {"delete_module", delete_module_missing},
    {"reboot", reboot_bad_magic},
    {"swapon", swapon_missing},
    {"swapoff", swapoff_missing},
    {"acct", acct_missing},
    {"quotactl", quotactl_invalid},
    {"clock_settime", clock_settime_invalid},
    {"settimeofday", settimeofday_invalid},
    {"adjtimex", adjtimex_invalid},
    {"syslog", syslog_size},
    {"syscall-1000", syscall_1000},
    {"sethostname", sethostname_invalid},
    {"getpid", getpid_check},
    {"uname", uname_check},
    {"kill-from-thread", kill_from_thread},
};

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const struct check *found = NULL;
        for (size_t j = 0; j < sizeof checks / sizeof checks[0]; j++) {
            if (strcmp(checks[j].name, argv[i]) == 0) {
                found = &checks[j];
            }
        }
        if (!found) {
            fprintf(stderr, "unknown check %s\n", argv[i]);
            return 2;
        }
        int err = found->run();
        const char *name = err ? strerrorname_np(err) : "ok";
        printf("%s: %s\n", argv[i], name ? name : "unknown errno");
        fflush(stdout);
    }
    return 0;
}
