//! The hardened baseline: denials in force in every profile unless the profile turns an item
//! off in `[seccomp.baseline]`.
//!
//! Every item denies with an errno, never by killing, so programs that probe for a feature
//! (Node probes io_uring, glibc tries `clone3` first) keep running.

use super::arch::Errno;
use super::policy::{Action, CmpOp, Condition, Width};

/// One item of the baseline, named by its key in `[seccomp.baseline]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum BaselineItem {
    NativeAbi,
    TtyInjection,
    Namespaces,
    MountApi,
    Kexec,
    Modules,
    Reboot,
    Swap,
    Acct,
    Quotactl,
    Clock,
    Syslog,
    Keyring,
    Bpf,
    PerfEvents,
    Userfaultfd,
    Ptrace,
    ProcessVm,
    OpenByHandle,
    Personality,
    IoUring,
}

/// The effect of an item on one syscall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// The syscall always gets `action`.
    Deny {
        syscall: &'static str,
        action: Action,
    },
    /// The syscall fails with ENOSYS, so that libc falls back to an older call that the filter
    /// can check. Naming it in `allow` is no mistake, because programs work either way.
    Fallback { syscall: &'static str },
    /// The syscall gets `action` when all conditions hold; other calls go on to the profile's
    /// own rules and lists.
    Rule {
        syscall: &'static str,
        conditions: Vec<Condition>,
        action: Action,
    },
}

// Values that the kernel ABI fixes identically on x86_64 and aarch64 (asm-generic/ioctls.h and
// linux/sched.h), so one constant serves both filter targets.
const TIOCSTI: u64 = 0x5412;
const TIOCLINUX: u64 = 0x541c;
const CLONE_NEWTIME: u64 = 0x0000_0080;
const CLONE_NEWNS: u64 = 0x0002_0000;
const CLONE_NEWCGROUP: u64 = 0x0200_0000;
const CLONE_NEWUTS: u64 = 0x0400_0000;
const CLONE_NEWIPC: u64 = 0x0800_0000;
const CLONE_NEWUSER: u64 = 0x1000_0000;
const CLONE_NEWPID: u64 = 0x2000_0000;
const CLONE_NEWNET: u64 = 0x4000_0000;
/// `personality(0xffffffff)` only queries the current persona.
const PERSONALITY_QUERY: u64 = 0xffff_ffff;
const PER_LINUX: u64 = 0;

/// Namespace flags that `clone` accepts. `CLONE_NEWTIME` is missing because its bit is part of
/// the exit signal in `clone`'s flags; only `unshare` and `clone3` take it.
const CLONE_NAMESPACE_FLAGS: [u64; 7] = [
    CLONE_NEWNS,
    CLONE_NEWCGROUP,
    CLONE_NEWUTS,
    CLONE_NEWIPC,
    CLONE_NEWUSER,
    CLONE_NEWPID,
    CLONE_NEWNET,
];

impl BaselineItem {
    pub(crate) const ALL: [BaselineItem; 21] = [
        BaselineItem::NativeAbi,
        BaselineItem::TtyInjection,
        BaselineItem::Namespaces,
        BaselineItem::MountApi,
        BaselineItem::Kexec,
        BaselineItem::Modules,
        BaselineItem::Reboot,
        BaselineItem::Swap,
        BaselineItem::Acct,
        BaselineItem::Quotactl,
        BaselineItem::Clock,
        BaselineItem::Syslog,
        BaselineItem::Keyring,
        BaselineItem::Bpf,
        BaselineItem::PerfEvents,
        BaselineItem::Userfaultfd,
        BaselineItem::Ptrace,
        BaselineItem::ProcessVm,
        BaselineItem::OpenByHandle,
        BaselineItem::Personality,
        BaselineItem::IoUring,
    ];

    /// Returns the key in `[seccomp.baseline]`.
    pub(crate) fn key(self) -> &'static str {
        match self {
            BaselineItem::NativeAbi => "native_abi",
            BaselineItem::TtyInjection => "tty_injection",
            BaselineItem::Namespaces => "namespaces",
            BaselineItem::MountApi => "mount_api",
            BaselineItem::Kexec => "kexec",
            BaselineItem::Modules => "modules",
            BaselineItem::Reboot => "reboot",
            BaselineItem::Swap => "swap",
            BaselineItem::Acct => "acct",
            BaselineItem::Quotactl => "quotactl",
            BaselineItem::Clock => "clock",
            BaselineItem::Syslog => "syslog",
            BaselineItem::Keyring => "keyring",
            BaselineItem::Bpf => "bpf",
            BaselineItem::PerfEvents => "perf_event_open",
            BaselineItem::Userfaultfd => "userfaultfd",
            BaselineItem::Ptrace => "ptrace",
            BaselineItem::ProcessVm => "process_vm",
            BaselineItem::OpenByHandle => "open_by_handle_at",
            BaselineItem::Personality => "personality",
            BaselineItem::IoUring => "io_uring",
        }
    }

    /// Lists what this item denies, for a profile whose denied calls return `errno`.
    ///
    /// `NativeAbi` has no per-syscall effect: the filter's prologue enforces it.
    pub(crate) fn effects(self, errno: Errno) -> Vec<Effect> {
        let deny = Action::Errno(errno);
        let deny_all = |names: &[&'static str]| {
            names
                .iter()
                .map(|&syscall| Effect::Deny {
                    syscall,
                    action: deny,
                })
                .collect()
        };
        match self {
            BaselineItem::NativeAbi => Vec::new(),
            BaselineItem::TtyInjection => [TIOCSTI, TIOCLINUX]
                .into_iter()
                .map(|request| Effect::Rule {
                    syscall: "ioctl",
                    conditions: vec![ioctl_request_is(request)],
                    action: deny,
                })
                .collect(),
            BaselineItem::Namespaces => namespace_effects(deny),
            BaselineItem::MountApi => deny_all(&[
                "mount",
                "umount2",
                "pivot_root",
                "chroot",
                "fsopen",
                "fsconfig",
                "fsmount",
                "fspick",
                "open_tree",
                "open_tree_attr",
                "move_mount",
                "mount_setattr",
            ]),
            BaselineItem::Kexec => deny_all(&["kexec_load", "kexec_file_load"]),
            BaselineItem::Modules => deny_all(&["init_module", "finit_module", "delete_module"]),
            BaselineItem::Reboot => deny_all(&["reboot"]),
            BaselineItem::Swap => deny_all(&["swapon", "swapoff"]),
            BaselineItem::Acct => deny_all(&["acct"]),
            BaselineItem::Quotactl => deny_all(&["quotactl", "quotactl_fd"]),
            BaselineItem::Clock => deny_all(&[
                "settimeofday",
                "clock_settime",
                "clock_settime64",
                "clock_adjtime",
                "clock_adjtime64",
                "adjtimex",
            ]),
            BaselineItem::Syslog => deny_all(&["syslog"]),
            BaselineItem::Keyring => deny_all(&["add_key", "request_key", "keyctl"]),
            BaselineItem::Bpf => deny_all(&["bpf"]),
            BaselineItem::PerfEvents => deny_all(&["perf_event_open"]),
            BaselineItem::Userfaultfd => deny_all(&["userfaultfd"]),
            BaselineItem::Ptrace => deny_all(&["ptrace"]),
            BaselineItem::ProcessVm => deny_all(&["process_vm_readv", "process_vm_writev"]),
            BaselineItem::OpenByHandle => deny_all(&["open_by_handle_at"]),
            BaselineItem::Personality => vec![Effect::Rule {
                syscall: "personality",
                conditions: vec![
                    personality_is_not(PER_LINUX),
                    personality_is_not(PERSONALITY_QUERY),
                ],
                action: deny,
            }],
            BaselineItem::IoUring => {
                deny_all(&["io_uring_setup", "io_uring_enter", "io_uring_register"])
            }
        }
    }
}

/// Denies creating or joining namespaces. `clone3` passes its flags in memory, where a filter
/// cannot read them, so it gets ENOSYS: libc then falls back to `clone`, whose flags the
/// filter checks.
fn namespace_effects(deny: Action) -> Vec<Effect> {
    let flag_rule = |syscall, flag| Effect::Rule {
        syscall,
        conditions: vec![Condition {
            arg: 0,
            op: CmpOp::MaskedEq(flag),
            value: flag,
            width: Width::Bits32,
        }],
        action: deny,
    };
    let mut effects: Vec<Effect> = CLONE_NAMESPACE_FLAGS
        .into_iter()
        .map(|flag| flag_rule("clone", flag))
        .collect();
    effects.extend(
        CLONE_NAMESPACE_FLAGS
            .into_iter()
            .chain([CLONE_NEWTIME])
            .map(|flag| flag_rule("unshare", flag)),
    );
    effects.push(Effect::Deny {
        syscall: "setns",
        action: deny,
    });
    effects.push(Effect::Fallback { syscall: "clone3" });
    effects
}

/// Matches an ioctl request number on its low 32 bits, the part the kernel uses.
fn ioctl_request_is(request: u64) -> Condition {
    Condition {
        arg: 1,
        op: CmpOp::Eq,
        value: request,
        width: Width::Bits32,
    }
}

/// `personality` takes an `unsigned int`, so only the low 32 bits of the argument count.
fn personality_is_not(persona: u64) -> Condition {
    Condition {
        arg: 0,
        op: CmpOp::Ne,
        value: persona,
        width: Width::Bits32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::arch::is_known_syscall;

    #[test]
    fn keys_are_unique() {
        for (i, item) in BaselineItem::ALL.iter().enumerate() {
            assert!(
                BaselineItem::ALL[i + 1..]
                    .iter()
                    .all(|other| other.key() != item.key()),
                "{}",
                item.key()
            );
        }
    }

    #[test]
    fn effects_name_known_syscalls() {
        for item in BaselineItem::ALL {
            for effect in item.effects(Errno::EPERM) {
                let (Effect::Deny { syscall, .. }
                | Effect::Fallback { syscall }
                | Effect::Rule { syscall, .. }) = effect;
                assert!(is_known_syscall(syscall), "{}: {syscall}", item.key());
            }
        }
    }

    #[test]
    fn documentation_lists_every_item() {
        let doc = include_str!("../../docs/seccomp.md");
        for item in BaselineItem::ALL {
            let row = format!("\n| `{}` | ", item.key());
            assert!(
                doc.contains(&row),
                "docs/seccomp.md has no row for {}",
                item.key()
            );
        }
    }

    #[test]
    fn clone3_gets_enosys() {
        let eacces = Errno::from_name("EACCES").unwrap();
        let effects = BaselineItem::Namespaces.effects(eacces);
        assert!(effects.contains(&Effect::Fallback { syscall: "clone3" }));
        assert!(effects.contains(&Effect::Deny {
            syscall: "setns",
            action: Action::Errno(eacces),
        }));
    }
}
