//! Serde types that mirror the `[seccomp]` table of one profile file. The doc comments are the
//! descriptions of the generated JSON Schema.

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::baseline::BaselineItem;

/// An action for a syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawAction {
    /// Run the syscall.
    Allow,
    /// Fail the syscall with the errno of `errno`, without running it.
    Errno,
    /// Kill the whole process with SIGSYS (SECCOMP_RET_KILL_PROCESS); its exit status is 159.
    Kill,
    /// Run the syscall and record it in the kernel's audit log, for building a profile.
    Log,
}

/// The `[seccomp]` table of one profile file: which syscalls the sandboxed program may make.
///
/// A syscall gets the action of the first matching `rule`. Without one, it gets `errno` when
/// `deny` names it, `allow` when `allow` names it, and `default` otherwise. The hardened
/// baseline comes before all of these.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSeccomp {
    /// Action for syscalls that no rule or list names: `allow` (the default), `errno`, `kill`
    /// or `log`. With `errno` or `kill`, syscalls that sandbox's syscall table does not know
    /// fail with ENOSYS, so that libc falls back to older calls.
    #[schemars(with = "Option<RawAction>")]
    pub default: Option<Spanned<RawAction>>,

    /// Errno name that denied syscalls return, such as `EPERM` (the default), `EACCES` or
    /// `ENOSYS`.
    #[schemars(with = "Option<String>")]
    pub errno: Option<Spanned<String>>,

    /// Syscall names and `@group` names to allow.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub allow: Vec<Spanned<String>>,

    /// Syscall names and `@group` names to deny with `errno`. A denial wins over `allow`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub deny: Vec<Spanned<String>>,

    /// Per-syscall rules, checked in order before `deny` and `allow`; the first whose
    /// conditions all hold decides.
    #[serde(default)]
    #[schemars(with = "Vec<RawRule>")]
    pub rule: Vec<Spanned<RawRule>>,

    /// Items of the hardened baseline to turn off with `false`; every item is on by default.
    pub baseline: Option<RawBaseline>,
}

/// One `[[seccomp.rule]]`: an action for one syscall, optionally only when its arguments
/// match.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    /// The syscall name (not a group).
    #[schemars(with = "String")]
    pub syscall: Spanned<String>,

    /// The action when every condition in `args` holds.
    #[schemars(with = "RawAction")]
    pub action: Spanned<RawAction>,

    /// Errno name for `action = "errno"`; defaults to the section's `errno`.
    #[schemars(with = "Option<String>")]
    pub errno: Option<Spanned<String>>,

    /// Conditions on the arguments, all of which must hold; an empty list always matches.
    #[serde(default)]
    #[schemars(with = "Vec<RawCondition>")]
    pub args: Vec<Spanned<RawCondition>>,
}

/// A comparison of one syscall argument with a constant, as unsigned integers.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCondition {
    /// Index of the argument, 0 to 5.
    #[schemars(with = "u8")]
    pub arg: Spanned<u8>,

    /// The comparison: `eq`, `ne`, `lt`, `le`, `gt`, `ge`, or `masked-eq` (the argument
    /// ANDed with `mask` equals `value`).
    pub op: RawOp,

    /// The constant: an integer, or a string holding a decimal, `0x` hexadecimal, `0o` octal
    /// or `0b` binary number for values above the range of TOML integers.
    #[schemars(with = "RawValue")]
    pub value: Spanned<RawValue>,

    /// The mask of `masked-eq`, written like `value`.
    #[schemars(with = "Option<RawValue>")]
    pub mask: Option<Spanned<RawValue>>,

    /// How many low bits of the argument to compare: 64 (the default) or 32. Use 32 for
    /// `int` and `unsigned int` arguments, whose upper bits the kernel ignores. The request
    /// number of `ioctl` (argument 1) is always compared on 32 bits.
    #[schemars(with = "Option<u8>")]
    pub bits: Option<Spanned<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RawOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    MaskedEq,
}

/// An integer constant, as a TOML integer or a string.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum RawValue {
    Integer(i64),
    Text(String),
}

/// `[seccomp.baseline]`: set an item to `false` to turn it off. Each item denies with the
/// section's `errno` unless noted.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBaseline {
    /// Deny syscalls through other ABIs than the native one (the 32-bit `int 0x80` entry and
    /// x32 numbers on x86_64, AArch32 on aarch64). Turning this off gives them the
    /// default action without any other check, which defeats every other item.
    pub native_abi: Option<bool>,
    /// Deny the `ioctl` requests TIOCSTI and TIOCLINUX, which inject input into a terminal.
    pub tty_injection: Option<bool>,
    /// Deny creating and joining namespaces: `unshare` and `clone` with namespace flags and
    /// `setns`; `clone3` gets ENOSYS so that libc falls back to `clone`. Turn off for nested
    /// sandboxes.
    pub namespaces: Option<bool>,
    /// Deny the mount API: `mount`, `umount2`, `pivot_root`, `chroot`, `fsopen`, `fsconfig`,
    /// `fsmount`, `fspick`, `open_tree`, `open_tree_attr`, `move_mount`, `mount_setattr`.
    pub mount_api: Option<bool>,
    /// Deny `kexec_load` and `kexec_file_load`.
    pub kexec: Option<bool>,
    /// Deny `init_module`, `finit_module` and `delete_module`.
    pub modules: Option<bool>,
    /// Deny `reboot`.
    pub reboot: Option<bool>,
    /// Deny `swapon` and `swapoff`.
    pub swap: Option<bool>,
    /// Deny `acct`.
    pub acct: Option<bool>,
    /// Deny `quotactl` and `quotactl_fd`.
    pub quotactl: Option<bool>,
    /// Deny setting the clock: `settimeofday`, `clock_settime`, `clock_adjtime`, `adjtimex`.
    pub clock: Option<bool>,
    /// Deny `syslog` (the kernel log buffer).
    pub syslog: Option<bool>,
    /// Deny the keyring: `add_key`, `request_key`, `keyctl`.
    pub keyring: Option<bool>,
    /// Deny `bpf`.
    pub bpf: Option<bool>,
    /// Deny `perf_event_open`.
    pub perf_event_open: Option<bool>,
    /// Deny `userfaultfd`.
    pub userfaultfd: Option<bool>,
    /// Deny `ptrace`.
    pub ptrace: Option<bool>,
    /// Deny `process_vm_readv` and `process_vm_writev`.
    pub process_vm: Option<bool>,
    /// Deny `open_by_handle_at`.
    pub open_by_handle_at: Option<bool>,
    /// Deny `personality` except for querying and for the default persona (PER_LINUX).
    pub personality: Option<bool>,
    /// Deny `io_uring_setup`, `io_uring_enter` and `io_uring_register`, because io_uring
    /// operations bypass seccomp.
    pub io_uring: Option<bool>,
}

impl RawBaseline {
    /// Returns the setting of `item`, `None` when this file does not set it.
    pub(crate) fn get(&self, item: BaselineItem) -> Option<bool> {
        match item {
            BaselineItem::NativeAbi => self.native_abi,
            BaselineItem::TtyInjection => self.tty_injection,
            BaselineItem::Namespaces => self.namespaces,
            BaselineItem::MountApi => self.mount_api,
            BaselineItem::Kexec => self.kexec,
            BaselineItem::Modules => self.modules,
            BaselineItem::Reboot => self.reboot,
            BaselineItem::Swap => self.swap,
            BaselineItem::Acct => self.acct,
            BaselineItem::Quotactl => self.quotactl,
            BaselineItem::Clock => self.clock,
            BaselineItem::Syslog => self.syslog,
            BaselineItem::Keyring => self.keyring,
            BaselineItem::Bpf => self.bpf,
            BaselineItem::PerfEvents => self.perf_event_open,
            BaselineItem::Userfaultfd => self.userfaultfd,
            BaselineItem::Ptrace => self.ptrace,
            BaselineItem::ProcessVm => self.process_vm,
            BaselineItem::OpenByHandle => self.open_by_handle_at,
            BaselineItem::Personality => self.personality,
            BaselineItem::IoUring => self.io_uring,
        }
    }
}
