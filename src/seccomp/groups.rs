//! Named syscall groups that profiles write as `@NAME` in `seccomp.allow` and `seccomp.deny`.
//!
//! A group lists syscall names of any supported architecture and other groups. Names that do
//! not exist on the architecture a filter is compiled for are skipped. docs/seccomp.md
//! describes each group; the unit tests check that every member is a known syscall or group
//! and that the documentation lists every group.

#[cfg(test)]
use std::collections::HashSet;

/// One named group of syscalls.
#[derive(Debug)]
pub(crate) struct Group {
    /// The name without the leading `@`.
    pub name: &'static str,
    /// Syscall names and `@group` references.
    pub members: &'static [&'static str],
}

pub(crate) const GROUPS: &[Group] = &[
    // @default: what every process needs to start, run threads and exit.
    Group {
        name: "default",
        members: &[
            "arch_prctl",
            "brk",
            "clock_getres",
            "clock_getres_time64",
            "clock_gettime",
            "clock_gettime64",
            "clock_nanosleep",
            "clock_nanosleep_time64",
            "execve",
            "execveat",
            "exit",
            "exit_group",
            "futex",
            "futex_requeue",
            "futex_time64",
            "futex_wait",
            "futex_waitv",
            "futex_wake",
            "get_robust_list",
            "get_thread_area",
            "getegid",
            "geteuid",
            "getgid",
            "getgroups",
            "getpgid",
            "getpgrp",
            "getpid",
            "getppid",
            "getrandom",
            "getresgid",
            "getresuid",
            "getrlimit",
            "getsid",
            "gettid",
            "gettimeofday",
            "getuid",
            "map_shadow_stack",
            "membarrier",
            "mmap",
            "mprotect",
            "mseal",
            "munmap",
            "nanosleep",
            "pause",
            "prlimit64",
            "restart_syscall",
            "rseq",
            "rt_sigreturn",
            "sched_getaffinity",
            "sched_yield",
            "set_robust_list",
            "set_thread_area",
            "set_tid_address",
            "time",
            "uprobe",
            "uretprobe",
        ],
    },
    // @basic-io: reading, writing, seeking and closing open file descriptors.
    Group {
        name: "basic-io",
        members: &[
            "close",
            "close_range",
            "dup",
            "dup2",
            "dup3",
            "lseek",
            "pread64",
            "preadv",
            "preadv2",
            "pwrite64",
            "pwritev",
            "pwritev2",
            "read",
            "readv",
            "write",
            "writev",
        ],
    },
    // @file-system: opening, creating, inspecting and changing files and directories.
    Group {
        name: "file-system",
        members: &[
            "access",
            "chdir",
            "chmod",
            "creat",
            "faccessat",
            "faccessat2",
            "fallocate",
            "fchdir",
            "fchmod",
            "fchmodat",
            "fchmodat2",
            "fcntl",
            "fgetxattr",
            "file_getattr",
            "file_setattr",
            "flistxattr",
            "fremovexattr",
            "fsetxattr",
            "fstat",
            "fstatat",
            "fstatfs",
            "ftruncate",
            "futimesat",
            "getcwd",
            "getdents",
            "getdents64",
            "getxattr",
            "getxattrat",
            "inotify_add_watch",
            "inotify_init",
            "inotify_init1",
            "inotify_rm_watch",
            "lgetxattr",
            "link",
            "linkat",
            "listxattr",
            "listxattrat",
            "llistxattr",
            "lremovexattr",
            "lsetxattr",
            "lstat",
            "mkdir",
            "mkdirat",
            "mknod",
            "mknodat",
            "newfstatat",
            "open",
            "openat",
            "openat2",
            "readlink",
            "readlinkat",
            "removexattr",
            "removexattrat",
            "rename",
            "renameat",
            "renameat2",
            "rmdir",
            "setxattr",
            "setxattrat",
            "stat",
            "statfs",
            "statx",
            "symlink",
            "symlinkat",
            "truncate",
            "umask",
            "unlink",
            "unlinkat",
            "utime",
            "utimensat",
            "utimensat_time64",
            "utimes",
        ],
    },
    // @io-event: waiting for events on file descriptors.
    Group {
        name: "io-event",
        members: &[
            "epoll_create",
            "epoll_create1",
            "epoll_ctl",
            "epoll_ctl_old",
            "epoll_pwait",
            "epoll_pwait2",
            "epoll_wait",
            "epoll_wait_old",
            "eventfd",
            "eventfd2",
            "poll",
            "ppoll",
            "ppoll_time64",
            "pselect6",
            "pselect6_time64",
            "select",
        ],
    },
    // @ipc: pipes, shared memory files, System V IPC and POSIX message queues.
    Group {
        name: "ipc",
        members: &[
            "memfd_create",
            "mq_getsetattr",
            "mq_notify",
            "mq_open",
            "mq_timedreceive",
            "mq_timedreceive_time64",
            "mq_timedsend",
            "mq_timedsend_time64",
            "mq_unlink",
            "msgctl",
            "msgget",
            "msgrcv",
            "msgsnd",
            "pipe",
            "pipe2",
            "semctl",
            "semget",
            "semop",
            "semtimedop",
            "semtimedop_time64",
            "shmat",
            "shmctl",
            "shmdt",
            "shmget",
        ],
    },
    // @network-io: creating, connecting and using sockets.
    Group {
        name: "network-io",
        members: &[
            "accept",
            "accept4",
            "bind",
            "connect",
            "getpeername",
            "getsockname",
            "getsockopt",
            "listen",
            "recvfrom",
            "recvmmsg",
            "recvmmsg_time64",
            "recvmsg",
            "sendmmsg",
            "sendmsg",
            "sendto",
            "setsockopt",
            "shutdown",
            "socket",
            "socketpair",
        ],
    },
    // @process: creating, signalling, waiting for and configuring processes and threads.
    Group {
        name: "process",
        members: &[
            "clone",
            "clone3",
            "execveat",
            "fork",
            "getrusage",
            "kill",
            "pidfd_getfd",
            "pidfd_open",
            "pidfd_send_signal",
            "prctl",
            "process_mrelease",
            "rt_sigqueueinfo",
            "rt_tgsigqueueinfo",
            "setns",
            "setpgid",
            "setsid",
            "tgkill",
            "times",
            "tkill",
            "unshare",
            "vfork",
            "wait4",
            "waitid",
        ],
    },
    // @signal: handling, blocking and waiting for signals.
    Group {
        name: "signal",
        members: &[
            "rt_sigaction",
            "rt_sigpending",
            "rt_sigprocmask",
            "rt_sigsuspend",
            "rt_sigtimedwait",
            "rt_sigtimedwait_time64",
            "sigaltstack",
            "signalfd",
            "signalfd4",
        ],
    },
    // @timer: interval timers, POSIX timers and timer file descriptors.
    Group {
        name: "timer",
        members: &[
            "alarm",
            "getitimer",
            "setitimer",
            "timer_create",
            "timer_delete",
            "timer_getoverrun",
            "timer_gettime",
            "timer_gettime64",
            "timer_settime",
            "timer_settime64",
            "timerfd_create",
            "timerfd_gettime",
            "timerfd_gettime64",
            "timerfd_settime",
            "timerfd_settime64",
        ],
    },
    // @memlock: locking memory into RAM.
    Group {
        name: "memlock",
        members: &["mlock", "mlock2", "mlockall", "munlock", "munlockall"],
    },
    // @resources: changing resource limits, scheduling, CPU affinity and NUMA memory policy.
    Group {
        name: "resources",
        members: &[
            "ioprio_set",
            "mbind",
            "migrate_pages",
            "move_pages",
            "prlimit64",
            "sched_setaffinity",
            "sched_setattr",
            "sched_setparam",
            "sched_setscheduler",
            "set_mempolicy",
            "set_mempolicy_home_node",
            "setpriority",
            "setrlimit",
        ],
    },
    // @sync: flushing files and memory mappings to storage.
    Group {
        name: "sync",
        members: &[
            "fdatasync",
            "fsync",
            "msync",
            "sync",
            "sync_file_range",
            "syncfs",
        ],
    },
    // @aio: asynchronous I/O through Linux AIO and io_uring.
    Group {
        name: "aio",
        members: &[
            "io_cancel",
            "io_destroy",
            "io_getevents",
            "io_pgetevents",
            "io_pgetevents_time64",
            "io_setup",
            "io_submit",
            "io_uring_enter",
            "io_uring_register",
            "io_uring_setup",
        ],
    },
    // @chown: changing the owner of files.
    Group {
        name: "chown",
        members: &["chown", "fchown", "fchownat", "lchown"],
    },
    // @setuid: changing user and group ids.
    Group {
        name: "setuid",
        members: &[
            "setfsgid",
            "setfsuid",
            "setgid",
            "setgroups",
            "setregid",
            "setresgid",
            "setresuid",
            "setreuid",
            "setuid",
        ],
    },
    // @keyring: the kernel keyring.
    Group {
        name: "keyring",
        members: &["add_key", "keyctl", "request_key"],
    },
    // @mount: mounting, unmounting and changing the root directory.
    Group {
        name: "mount",
        members: &[
            "chroot",
            "fsconfig",
            "fsmount",
            "fsopen",
            "fspick",
            "listmount",
            "mount",
            "mount_setattr",
            "move_mount",
            "open_tree",
            "open_tree_attr",
            "pivot_root",
            "statmount",
            "umount2",
        ],
    },
    // @module: loading and unloading kernel modules.
    Group {
        name: "module",
        members: &[
            "create_module",
            "delete_module",
            "finit_module",
            "get_kernel_syms",
            "init_module",
            "query_module",
        ],
    },
    // @reboot: rebooting the machine and loading a new kernel.
    Group {
        name: "reboot",
        members: &["kexec_file_load", "kexec_load", "reboot"],
    },
    // @swap: enabling and disabling swap.
    Group {
        name: "swap",
        members: &["swapoff", "swapon"],
    },
    // @raw-io: direct access to I/O ports (x86 only).
    Group {
        name: "raw-io",
        members: &["ioperm", "iopl"],
    },
    // @clock: setting the system clock.
    Group {
        name: "clock",
        members: &[
            "adjtimex",
            "clock_adjtime",
            "clock_adjtime64",
            "clock_settime",
            "clock_settime64",
            "settimeofday",
        ],
    },
    // @cpu-emulation: segment descriptors for emulating other CPUs (x86 only).
    Group {
        name: "cpu-emulation",
        members: &["modify_ldt"],
    },
    // @debug: tracing, profiling and reading the memory of other processes.
    Group {
        name: "debug",
        members: &[
            "perf_event_open",
            "process_vm_readv",
            "process_vm_writev",
            "ptrace",
        ],
    },
    // @obsolete: syscalls that current kernels no longer implement or that nothing uses.
    Group {
        name: "obsolete",
        members: &[
            "_sysctl",
            "afs_syscall",
            "create_module",
            "epoll_ctl_old",
            "epoll_wait_old",
            "get_kernel_syms",
            "getpmsg",
            "lookup_dcookie",
            "nfsservctl",
            "putpmsg",
            "query_module",
            "security",
            "sysfs",
            "tuxcall",
            "uselib",
            "ustat",
            "vserver",
        ],
    },
    // @privileged: syscalls that need privileges (capabilities) to do anything useful.
    Group {
        name: "privileged",
        members: &[
            "@chown",
            "@clock",
            "@module",
            "@raw-io",
            "@reboot",
            "@swap",
            "_sysctl",
            "acct",
            "bpf",
            "capset",
            "chroot",
            "fanotify_init",
            "fanotify_mark",
            "nfsservctl",
            "open_by_handle_at",
            "pivot_root",
            "quotactl",
            "quotactl_fd",
            "setdomainname",
            "setfsuid",
            "setgroups",
            "sethostname",
            "setresuid",
            "setreuid",
            "setuid",
            "vhangup",
        ],
    },
    // @system-service: what ordinary programs and services need, tested with coreutils,
    // Python with threads, and static glibc and musl programs.
    // NOTE: not tested with Go binaries, whose runtime may need a syscall missing here.
    Group {
        name: "system-service",
        members: &[
            "@aio",
            "@basic-io",
            "@chown",
            "@default",
            "@file-system",
            "@io-event",
            "@ipc",
            "@keyring",
            "@memlock",
            "@network-io",
            "@process",
            "@resources",
            "@setuid",
            "@signal",
            "@sync",
            "@timer",
            "cachestat",
            "capget",
            "capset",
            "copy_file_range",
            "fadvise64",
            "flock",
            "get_mempolicy",
            "getcpu",
            "getpriority",
            "ioctl",
            "ioprio_get",
            "kcmp",
            "landlock_add_rule",
            "landlock_create_ruleset",
            "landlock_restrict_self",
            "lsm_get_self_attr",
            "lsm_list_modules",
            "madvise",
            "mincore",
            "mremap",
            "name_to_handle_at",
            "personality",
            "pkey_alloc",
            "pkey_free",
            "pkey_mprotect",
            "process_madvise",
            "readahead",
            "remap_file_pages",
            "sched_get_priority_max",
            "sched_get_priority_min",
            "sched_getattr",
            "sched_getparam",
            "sched_getscheduler",
            "sched_rr_get_interval",
            "sched_rr_get_interval_time64",
            "seccomp",
            "sendfile",
            "splice",
            "sysinfo",
            "tee",
            "uname",
            "vmsplice",
        ],
    },
];

pub(crate) fn find(name: &str) -> Option<&'static Group> {
    GROUPS.iter().find(|group| group.name == name)
}

/// Expands a group into its syscall names, following nested groups, in first-seen order and
/// without repeats. Unknown nested groups are skipped (the unit tests rule them out).
///
/// Policies use the sets that `table.rs` computes at compile time; this expansion by name is
/// the reference the tests compare them with.
#[cfg(test)]
pub(crate) fn expand(group: &Group) -> Vec<&'static str> {
    let mut names = Vec::new();
    let mut seen = HashSet::new();
    let mut visited = vec![group.name];
    expand_into(group, &mut names, &mut seen, &mut visited);
    names
}

/// Appends the members of `group` to `names`; `seen` mirrors `names` so that the check for
/// repeats does not scan the list, which for `@system-service` has hundreds of entries.
#[cfg(test)]
fn expand_into(
    group: &Group,
    names: &mut Vec<&'static str>,
    seen: &mut HashSet<&'static str>,
    visited: &mut Vec<&'static str>,
) {
    for member in group.members {
        if let Some(nested) = member.strip_prefix('@') {
            let Some(nested) = find(nested) else { continue };
            if !visited.contains(&nested.name) {
                visited.push(nested.name);
                expand_into(nested, names, seen, visited);
            }
        } else if seen.insert(member) {
            names.push(member);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::arch::is_known_syscall;

    #[test]
    fn members_are_known() {
        for group in GROUPS {
            for member in group.members {
                match member.strip_prefix('@') {
                    Some(nested) => assert!(find(nested).is_some(), "@{}: {member}", group.name),
                    None => assert!(is_known_syscall(member), "@{}: {member}", group.name),
                }
            }
        }
    }

    #[test]
    fn names_are_unique() {
        for (i, group) in GROUPS.iter().enumerate() {
            assert!(
                GROUPS[i + 1..].iter().all(|other| other.name != group.name),
                "{}",
                group.name
            );
        }
    }

    #[test]
    fn members_are_unique_within_group() {
        for group in GROUPS {
            for (i, member) in group.members.iter().enumerate() {
                assert!(
                    !group.members[i + 1..].contains(member),
                    "@{}: {member}",
                    group.name
                );
            }
        }
    }

    #[test]
    fn required_groups_exist() {
        let required = [
            "default",
            "basic-io",
            "file-system",
            "io-event",
            "ipc",
            "network-io",
            "process",
            "signal",
            "timer",
            "memlock",
            "resources",
            "sync",
            "aio",
            "chown",
            "setuid",
            "keyring",
            "mount",
            "module",
            "reboot",
            "swap",
            "raw-io",
            "clock",
            "cpu-emulation",
            "debug",
            "obsolete",
            "privileged",
            "system-service",
        ];
        for name in required {
            assert!(find(name).is_some(), "@{name}");
        }
    }

    #[test]
    fn documentation_lists_every_member() {
        let doc = include_str!("../../docs/seccomp.md");
        for group in GROUPS {
            let heading = format!("`@{}`\n: ", group.name);
            let start = doc
                .find(&heading)
                .unwrap_or_else(|| panic!("docs/seccomp.md has no entry for @{}", group.name));
            let entry = &doc[start + heading.len()..];
            let entry = &entry[..entry.find("\n\n").unwrap_or(entry.len())];
            for member in group.members {
                let quoted = format!("`{member}`");
                assert!(
                    entry.contains(&quoted),
                    "@{}: {member} not documented",
                    group.name
                );
            }
            let documented = entry.matches('`').count() / 2;
            assert_eq!(documented, group.members.len(), "@{}: {entry}", group.name);
        }
    }

    #[test]
    fn expand_follows_nested_groups() {
        let names = expand(find("system-service").unwrap());
        for name in [
            "execve",
            "read",
            "openat",
            "socket",
            "clone",
            "epoll_wait",
            "ioctl",
        ] {
            assert!(names.contains(&name), "{name}");
        }
        assert!(!names.contains(&"mount"));
        assert!(!names.contains(&"ptrace"));
    }

    #[test]
    fn expand_has_no_repeats() {
        let names = expand(find("privileged").unwrap());
        for (i, name) in names.iter().enumerate() {
            assert!(!names[i + 1..].contains(name), "{name}");
        }
    }
}
