//! Tests of resolved policies and of the generated programs. Programs run through a small
//! classic BPF interpreter, are checked against a reference evaluation of the policy, and
//! go through a copy of the kernel's action-cache check.

use std::path::Path;

use seccompiler::sock_filter;

use super::arch::{Arch, Errno};
use super::bpf::*;
use super::policy::{Action, CmpOp, Policy, Width};
use super::raw::RawSeccomp;
use super::{SeccompError, SeccompFilter, SeccompLayer, compile_for};
use crate::profile::{FileContext, ProfileError, Vars};

/// Resolves the `[seccomp]` table of `text`, a whole profile file named p.toml.
pub(super) fn resolve_text(text: &str) -> Result<SeccompLayer, ProfileError> {
    #[derive(serde::Deserialize)]
    struct File {
        #[serde(default)]
        seccomp: RawSeccomp,
    }
    let file: File = toml::from_str(text).expect("test profile parses");
    let vars = Vars::default();
    let ctx = FileContext::new(Path::new("p.toml"), text, &vars);
    SeccompLayer::resolve(file.seccomp, &ctx)
}

fn compile_text(text: &str, arch: Arch) -> Result<SeccompFilter, SeccompError> {
    compile_for(&resolve_text(text).unwrap(), arch)
}

fn filter(text: &str, arch: Arch) -> SeccompFilter {
    compile_text(text, arch).unwrap()
}

const ALLOW_LIST_EXAMPLE: &str = r#"
[seccomp]
default = "errno"          # what unlisted syscalls get: allow | errno | kill | log
errno = "EPERM"            # the errno for denied calls; unknown or newer syscalls get ENOSYS
allow = ["@system-service"]
deny = ["ptrace", "@mount"]
"#;

const I386_AUDIT_ARCH: u32 = 0x4000_0003;
const ARM_AUDIT_ARCH: u32 = 0x4000_0028;
const TIOCSTI: u64 = 0x5412;
const TIOCLINUX: u64 = 0x541c;
const TIOCGWINSZ: u64 = 0x5413;
const CLONE_NEWUSER: u64 = 0x1000_0000;
const CLONE_NEWNET: u64 = 0x4000_0000;
const CLONE_THREAD_FLAGS: u64 = 0x003d_0f00;
const SIGCHLD: u64 = 17;

// Instructions that only seccompiler's rule blocks use.
const BPF_ALU: u16 = 0x04;
const BPF_AND: u16 = 0x50;

const RET_ALLOW: u32 = 0x7fff_0000;
const RET_LOG: u32 = 0x7ffc_0000;
const RET_KILL_PROCESS: u32 = 0x8000_0000;

fn ret_errno(errno: Errno) -> u32 {
    0x0005_0000 | u32::from(errno.number)
}

fn eperm() -> u32 {
    ret_errno(Errno::EPERM)
}

fn enosys() -> u32 {
    ret_errno(Errno::ENOSYS)
}

/// The input of a filter run, laid out as `struct seccomp_data`.
#[derive(Clone, Copy, Debug)]
struct Data {
    nr: u32,
    arch: u32,
    args: [u64; 6],
}

impl Data {
    fn call(arch: Arch, name: &str, args: &[u64]) -> Data {
        let nr = arch
            .syscall_number(name)
            .unwrap_or_else(|| panic!("{name} on {arch}"));
        Data::number(arch, nr, args)
    }

    fn number(arch: Arch, nr: u32, args: &[u64]) -> Data {
        let mut all = [0; 6];
        all[..args.len()].copy_from_slice(args);
        Data {
            nr,
            arch: arch.audit_arch(),
            args: all,
        }
    }

    /// Reads the 32-bit word at `offset`, as `BPF_LD|BPF_W|BPF_ABS` does on a little-endian
    /// machine.
    fn word(&self, offset: u32) -> u32 {
        match offset {
            SECCOMP_DATA_NR => self.nr,
            SECCOMP_DATA_ARCH => self.arch,
            8 | 12 => 0,
            16..=63 if offset.is_multiple_of(4) => {
                let arg = self.args[((offset - 16) / 8) as usize];
                if offset.is_multiple_of(8) {
                    arg as u32
                } else {
                    (arg >> 32) as u32
                }
            }
            _ => panic!("load at invalid offset {offset}"),
        }
    }
}

/// Runs a program the way the kernel's classic BPF interpreter would.
fn run(program: &[sock_filter], data: &Data) -> u32 {
    let mut accumulator: u32 = 0;
    let mut pc = 0;
    loop {
        let instruction = &program[pc];
        let k = instruction.k;
        let jump = |taken: bool| {
            pc + 1
                + usize::from(if taken {
                    instruction.jt
                } else {
                    instruction.jf
                })
        };
        pc = match instruction.code {
            code if code == BPF_LD | BPF_W | BPF_ABS => {
                accumulator = data.word(k);
                pc + 1
            }
            code if code == BPF_ALU | BPF_AND | BPF_K => {
                accumulator &= k;
                pc + 1
            }
            code if code == BPF_JMP | BPF_JA => pc + 1 + k as usize,
            code if code == BPF_JMP | BPF_JEQ | BPF_K => jump(accumulator == k),
            code if code == BPF_JMP | BPF_JGT | BPF_K => jump(accumulator > k),
            code if code == BPF_JMP | BPF_JGE | BPF_K => jump(accumulator >= k),
            code if code == BPF_JMP | BPF_JSET | BPF_K => jump(accumulator & k != 0),
            code if code == BPF_RET | BPF_K => return k,
            code => panic!("unsupported instruction {code:#x} at {pc}"),
        };
    }
}

/// Mirrors the kernel's `seccomp_is_const_allow`: whether the action cache can record `nr`
/// as allowed, because its path loads nothing but the number and arch and returns ALLOW.
fn cache_allows(program: &[sock_filter], arch: Arch, nr: u32) -> bool {
    let mut accumulator: u32 = 0;
    let mut pc = 0;
    while pc < program.len() {
        let instruction = &program[pc];
        let k = instruction.k;
        let jump = |taken: bool| {
            pc + 1
                + usize::from(if taken {
                    instruction.jt
                } else {
                    instruction.jf
                })
        };
        pc = match instruction.code {
            code if code == BPF_LD | BPF_W | BPF_ABS => {
                accumulator = match k {
                    SECCOMP_DATA_NR => nr,
                    SECCOMP_DATA_ARCH => arch.audit_arch(),
                    _ => return false,
                };
                pc + 1
            }
            code if code == BPF_ALU | BPF_AND | BPF_K => {
                accumulator &= k;
                pc + 1
            }
            code if code == BPF_JMP | BPF_JA => pc + 1 + k as usize,
            code if code == BPF_JMP | BPF_JEQ | BPF_K => jump(accumulator == k),
            code if code == BPF_JMP | BPF_JGT | BPF_K => jump(accumulator > k),
            code if code == BPF_JMP | BPF_JGE | BPF_K => jump(accumulator >= k),
            code if code == BPF_JMP | BPF_JSET | BPF_K => jump(accumulator & k != 0),
            code if code == BPF_RET | BPF_K => return k == RET_ALLOW,
            _ => return false,
        };
    }
    false
}

/// Checks what the kernel's `bpf_check_classic` and `seccomp_check_filter` check: length,
/// known instructions, jumps inside the program, aligned loads inside `seccomp_data`, and a
/// final return.
fn assert_valid(program: &[sock_filter]) {
    assert!(!program.is_empty());
    assert!(program.len() <= MAX_INSTRUCTIONS);
    for (pc, instruction) in program.iter().enumerate() {
        let remaining = program.len() - pc - 1;
        match instruction.code {
            code if code == BPF_LD | BPF_W | BPF_ABS => {
                assert!(
                    instruction.k.is_multiple_of(4) && instruction.k < 64,
                    "load at {pc}"
                );
            }
            code if code == BPF_JMP | BPF_JA => {
                assert!((instruction.k as usize) < remaining, "jump at {pc}");
            }
            code if code & 0x07 == BPF_JMP => {
                assert!(usize::from(instruction.jt) < remaining, "jt at {pc}");
                assert!(usize::from(instruction.jf) < remaining, "jf at {pc}");
            }
            code if code == BPF_RET | BPF_K || code == BPF_ALU | BPF_AND | BPF_K => {}
            code => panic!("instruction {code:#x} at {pc}"),
        }
    }
    assert_eq!(program.last().unwrap().code, BPF_RET | BPF_K);
}

/// Evaluates `data` against the policy directly, without BPF.
fn expected(policy: &Policy, data: &Data) -> u32 {
    let arch = policy.arch;
    if data.arch != arch.audit_arch() || (arch.has_x32_numbers() && data.nr & 0x4000_0000 != 0) {
        return policy.foreign_abi.return_value();
    }
    let Some(syscall) = policy.syscalls.get(data.nr) else {
        return policy.unknown.return_value();
    };
    for rule in &syscall.rules {
        let holds = rule.conditions.iter().all(|condition| {
            let arg = data.args[usize::from(condition.arg)];
            let arg = match condition.width {
                Width::Bits32 => arg & 0xffff_ffff,
                Width::Bits64 => arg,
            };
            let value = condition.value;
            match condition.op {
                CmpOp::Eq => arg == value,
                CmpOp::Ne => arg != value,
                CmpOp::Lt => arg < value,
                CmpOp::Le => arg <= value,
                CmpOp::Gt => arg > value,
                CmpOp::Ge => arg >= value,
                CmpOp::MaskedEq(mask) => arg & mask == value,
            }
        });
        if holds {
            return rule.action.return_value();
        }
    }
    syscall.action.return_value()
}

/// Runs every syscall number, a few numbers outside the table and foreign arches through
/// the program, with arguments around each rule's constants, and compares with the
/// reference evaluation.
fn assert_program_matches_policy(filter: &SeccompFilter) {
    let policy = &filter.policy;
    let program = &filter.program;
    assert_valid(program);
    let arch = policy.arch;
    let max = arch.max_syscall_number();
    let mut inputs: Vec<Data> = (0..=max + 3)
        .chain([0x4000_0000 | 39, 0x4000_0200, u32::MAX, 0x8000_0000])
        .map(|nr| Data::number(arch, nr, &[]))
        .collect();
    for foreign in [I386_AUDIT_ARCH, ARM_AUDIT_ARCH] {
        inputs.push(Data {
            arch: foreign,
            ..Data::number(arch, 20, &[])
        });
    }
    for (nr, syscall) in policy.syscalls.iter() {
        for rule in &syscall.rules {
            for condition in &rule.conditions {
                let v = condition.value;
                let mask = match condition.op {
                    CmpOp::MaskedEq(mask) => mask,
                    _ => 0,
                };
                let candidates = [
                    0,
                    v,
                    v.wrapping_sub(1),
                    v.wrapping_add(1),
                    v | 1 << 32,
                    v | 1 << 63,
                    v ^ mask,
                    mask,
                    u64::MAX,
                ];
                for candidate in candidates {
                    let mut args = [0; 6];
                    args[usize::from(condition.arg)] = candidate;
                    inputs.push(Data::number(arch, nr, &args));
                }
            }
        }
    }
    for data in &inputs {
        assert_eq!(
            run(program, data),
            expected(policy, data),
            "{data:?} ({:?})",
            arch.syscall_name(data.nr)
        );
    }
}

fn action_of(filter: &SeccompFilter, name: &str, args: &[u64]) -> u32 {
    run(&filter.program, &Data::call(filter.policy.arch, name, args))
}

#[test]
fn no_section_allows_with_baseline() {
    for arch in Arch::ALL {
        let filter = compile_for(&SeccompLayer::default(), arch).unwrap();
        assert_program_matches_policy(&filter);
        assert_eq!(action_of(&filter, "getpid", &[]), RET_ALLOW, "{arch}");
        assert_eq!(action_of(&filter, "sethostname", &[]), RET_ALLOW, "{arch}");
        assert_eq!(action_of(&filter, "ptrace", &[]), eperm(), "{arch}");
        assert_eq!(
            run(
                &filter.program,
                &Data::number(arch, arch.max_syscall_number() + 1, &[])
            ),
            RET_ALLOW,
            "{arch}: a default of allow lets unknown numbers through"
        );
    }
}

#[test]
fn baseline_denies_every_item() {
    for arch in Arch::ALL {
        let filter = compile_for(&SeccompLayer::default(), arch).unwrap();
        let denied = [
            "mount",
            "umount2",
            "pivot_root",
            "chroot",
            "fsopen",
            "fsconfig",
            "fsmount",
            "fspick",
            "open_tree",
            "move_mount",
            "mount_setattr",
            "kexec_load",
            "kexec_file_load",
            "init_module",
            "finit_module",
            "delete_module",
            "reboot",
            "swapon",
            "swapoff",
            "acct",
            "quotactl",
            "settimeofday",
            "clock_settime",
            "clock_adjtime",
            "adjtimex",
            "syslog",
            "add_key",
            "request_key",
            "keyctl",
            "bpf",
            "perf_event_open",
            "userfaultfd",
            "ptrace",
            "process_vm_readv",
            "process_vm_writev",
            "open_by_handle_at",
            "io_uring_setup",
            "io_uring_enter",
            "io_uring_register",
            "setns",
        ];
        for name in denied {
            assert_eq!(action_of(&filter, name, &[]), eperm(), "{arch}: {name}");
        }
        assert_eq!(action_of(&filter, "clone3", &[]), enosys(), "{arch}");
    }
}

#[test]
fn baseline_ioctl_rules() {
    for arch in Arch::ALL {
        let filter = compile_for(&SeccompLayer::default(), arch).unwrap();
        let ioctl = |request| action_of(&filter, "ioctl", &[0, request]);
        assert_eq!(ioctl(TIOCSTI), eperm(), "{arch}");
        assert_eq!(
            ioctl(TIOCSTI | 0xdead_beef << 32),
            eperm(),
            "{arch}: upper bits set"
        );
        assert_eq!(ioctl(TIOCLINUX), eperm(), "{arch}");
        assert_eq!(
            ioctl(TIOCLINUX | 1 << 32),
            eperm(),
            "{arch}: upper bits set"
        );
        assert_eq!(ioctl(TIOCGWINSZ), RET_ALLOW, "{arch}");
    }
}

#[test]
fn baseline_namespace_rules() {
    for arch in Arch::ALL {
        let filter = compile_for(&SeccompLayer::default(), arch).unwrap();
        let call = |name, flags| action_of(&filter, name, &[flags]);
        assert_eq!(call("unshare", CLONE_NEWUSER), eperm(), "{arch}");
        assert_eq!(call("unshare", 0x80), eperm(), "{arch}: CLONE_NEWTIME");
        assert_eq!(call("unshare", 0x400), RET_ALLOW, "{arch}: CLONE_FILES");
        assert_eq!(call("clone", CLONE_NEWNET | SIGCHLD), eperm(), "{arch}");
        assert_eq!(call("clone", CLONE_NEWUSER | 1 << 40), eperm(), "{arch}");
        assert_eq!(call("clone", SIGCHLD), RET_ALLOW, "{arch}: fork");
        assert_eq!(
            call("clone", CLONE_THREAD_FLAGS),
            RET_ALLOW,
            "{arch}: thread"
        );
    }
}

#[test]
fn baseline_personality_rule() {
    for arch in Arch::ALL {
        let filter = compile_for(&SeccompLayer::default(), arch).unwrap();
        let call = |persona| action_of(&filter, "personality", &[persona]);
        assert_eq!(call(0), RET_ALLOW, "{arch}: PER_LINUX");
        assert_eq!(call(0xffff_ffff), RET_ALLOW, "{arch}: query");
        assert_eq!(call(0x0040_0000), eperm(), "{arch}: READ_IMPLIES_EXEC");
        assert_eq!(call(0x0008), eperm(), "{arch}: PER_LINUX32");
    }
}

#[test]
fn foreign_abis_get_errno() {
    let filter = compile_for(&SeccompLayer::default(), Arch::X86_64).unwrap();
    let i386_getpid = Data {
        arch: I386_AUDIT_ARCH,
        ..Data::number(Arch::X86_64, 20, &[])
    };
    assert_eq!(run(&filter.program, &i386_getpid), eperm());
    let x32_getpid = Data::number(Arch::X86_64, 0x4000_0000 | 39, &[]);
    assert_eq!(run(&filter.program, &x32_getpid), eperm());

    let filter = compile_for(&SeccompLayer::default(), Arch::Aarch64).unwrap();
    let arm_getpid = Data {
        arch: ARM_AUDIT_ARCH,
        ..Data::number(Arch::Aarch64, 20, &[])
    };
    assert_eq!(run(&filter.program, &arm_getpid), eperm());
}

#[test]
fn native_abi_turned_off_gets_default() {
    let text = "[seccomp]\ndefault = \"log\"\n[seccomp.baseline]\nnative_abi = false\n";
    let filter = filter(text, Arch::X86_64);
    assert_program_matches_policy(&filter);
    let x32_getpid = Data::number(Arch::X86_64, 0x4000_0000 | 39, &[]);
    assert_eq!(run(&filter.program, &x32_getpid), RET_LOG);
}

#[test]
fn allow_list_example_behaviour() {
    for arch in Arch::ALL {
        let filter = filter(ALLOW_LIST_EXAMPLE, arch);
        assert_program_matches_policy(&filter);
        for name in [
            "read",
            "write",
            "openat",
            "execve",
            "exit_group",
            "clone",
            "futex",
        ] {
            assert_eq!(action_of(&filter, name, &[]), RET_ALLOW, "{arch}: {name}");
        }
        for name in ["ptrace", "mount", "sethostname", "init_module"] {
            assert_eq!(action_of(&filter, name, &[]), eperm(), "{arch}: {name}");
        }
        assert_eq!(action_of(&filter, "clone3", &[]), enosys(), "{arch}");
        let newer = Data::number(arch, arch.max_syscall_number() + 1, &[]);
        assert_eq!(
            run(&filter.program, &newer),
            enosys(),
            "{arch}: newer than the table"
        );
    }
}

#[test]
fn gaps_in_table_get_enosys() {
    let filter = filter(ALLOW_LIST_EXAMPLE, Arch::X86_64);
    // x86_64 assigns nothing between 336 and 424.
    assert_eq!(Arch::X86_64.syscall_name(400), None);
    assert_eq!(
        run(&filter.program, &Data::number(Arch::X86_64, 400, &[])),
        enosys()
    );
}

#[test]
fn kill_default_kills_unlisted_only() {
    let text =
        "[seccomp]\ndefault = \"kill\"\nallow = [\"@system-service\"]\ndeny = [\"ptrace\"]\n";
    for arch in Arch::ALL {
        let filter = filter(text, arch);
        assert_program_matches_policy(&filter);
        assert_eq!(
            action_of(&filter, "sethostname", &[]),
            RET_KILL_PROCESS,
            "{arch}"
        );
        assert_eq!(action_of(&filter, "ptrace", &[]), eperm(), "{arch}");
        assert_eq!(action_of(&filter, "bpf", &[]), eperm(), "{arch}: baseline");
        assert_eq!(action_of(&filter, "clone3", &[]), enosys(), "{arch}");
        let newer = Data::number(arch, arch.max_syscall_number() + 1, &[]);
        assert_eq!(run(&filter.program, &newer), enosys(), "{arch}");
    }
}

#[test]
fn log_default_logs_unlisted() {
    let text = "[seccomp]\ndefault = \"log\"\nallow = [\"@default\"]\n";
    let filter = filter(text, Arch::X86_64);
    assert_program_matches_policy(&filter);
    assert_eq!(action_of(&filter, "getpid", &[]), RET_ALLOW);
    assert_eq!(action_of(&filter, "sethostname", &[]), RET_LOG);
    assert_eq!(action_of(&filter, "ptrace", &[]), eperm());
}

#[test]
fn custom_errno_applies_to_denials() {
    let text = "[seccomp]\nerrno = \"EACCES\"\ndeny = [\"sethostname\"]\n";
    let eacces = ret_errno(Errno::from_name("EACCES").unwrap());
    let filter = filter(text, Arch::X86_64);
    assert_eq!(action_of(&filter, "sethostname", &[]), eacces);
    assert_eq!(action_of(&filter, "ptrace", &[]), eacces, "baseline");
    assert_eq!(action_of(&filter, "clone3", &[]), enosys());
}

#[test]
fn deny_wins_over_allow() {
    let text =
        "[seccomp]\ndefault = \"errno\"\nallow = [\"@default\", \"getcwd\"]\ndeny = [\"getcwd\"]\n";
    let filter = filter(text, Arch::X86_64);
    assert_eq!(action_of(&filter, "getcwd", &[]), eperm());
}

#[test]
fn rules_come_before_lists() {
    let text = r#"
[seccomp]
default = "errno"
allow = ["@default", "socket"]

[[seccomp.rule]]
syscall = "socket"
action = "errno"
errno = "EAFNOSUPPORT"
args = [{ arg = 0, op = "eq", value = 16, bits = 32 }]

[[seccomp.rule]]
syscall = "getcwd"
action = "allow"
args = [{ arg = 1, op = "le", value = 4096 }]

[[seccomp.rule]]
syscall = "sethostname"
action = "kill"
"#;
    for arch in Arch::ALL {
        let filter = filter(text, arch);
        assert_program_matches_policy(&filter);
        let eafnosupport = ret_errno(Errno::from_name("EAFNOSUPPORT").unwrap());
        assert_eq!(
            action_of(&filter, "socket", &[16]),
            eafnosupport,
            "{arch}: netlink"
        );
        assert_eq!(
            action_of(&filter, "socket", &[16 | 1 << 32]),
            eafnosupport,
            "{arch}"
        );
        assert_eq!(
            action_of(&filter, "socket", &[2]),
            RET_ALLOW,
            "{arch}: inet"
        );
        assert_eq!(
            action_of(&filter, "getcwd", &[0, 4096]),
            RET_ALLOW,
            "{arch}"
        );
        assert_eq!(action_of(&filter, "getcwd", &[0, 4097]), eperm(), "{arch}");
        assert_eq!(
            action_of(&filter, "getcwd", &[0, 1 << 32]),
            eperm(),
            "{arch}: 64 bits"
        );
        assert_eq!(
            action_of(&filter, "sethostname", &[]),
            RET_KILL_PROCESS,
            "{arch}"
        );
    }
}

#[test]
fn user_ioctl_rule_after_baseline() {
    let text = r#"
[[seccomp.rule]]
syscall = "ioctl"
action = "errno"
errno = "ENOTTY"
args = [{ arg = 1, op = "eq", value = 0x5413 }]
"#;
    let filter = filter(text, Arch::X86_64);
    assert_program_matches_policy(&filter);
    let enotty = ret_errno(Errno::from_name("ENOTTY").unwrap());
    assert_eq!(
        action_of(&filter, "ioctl", &[1, TIOCGWINSZ | 1 << 32]),
        enotty
    );
    assert_eq!(action_of(&filter, "ioctl", &[1, TIOCSTI]), eperm());
    assert_eq!(action_of(&filter, "ioctl", &[1, 0x5401]), RET_ALLOW);
}

#[test]
fn allowed_syscalls_served_by_cache() {
    for text in ["", ALLOW_LIST_EXAMPLE] {
        for arch in Arch::ALL {
            let filter = filter(text, arch);
            for (nr, syscall) in filter.policy.syscalls.iter() {
                let plain_allow = syscall.action == Action::Allow && syscall.rules.is_empty();
                assert_eq!(
                    cache_allows(&filter.program, arch, nr),
                    plain_allow,
                    "{arch}: {}",
                    syscall.name
                );
            }
            assert!(!cache_allows(
                &filter.program,
                arch,
                arch.syscall_number("ioctl").unwrap()
            ));
        }
    }
}

#[test]
fn allowing_baseline_syscall_directly_is_an_error() {
    let text = "[seccomp]\ndefault = \"errno\"\nallow = [\"@default\",\n  \"ptrace\"]\n";
    let message = compile_text(text, Arch::X86_64).unwrap_err().to_string();
    assert!(
        message.starts_with("p.toml:4:3: seccomp.allow: ptrace "),
        "{message}"
    );
    assert!(
        message.contains("`ptrace = false` under [seccomp.baseline]"),
        "{message}"
    );

    let text = "[[seccomp.rule]]\nsyscall = \"bpf\"\naction = \"allow\"\n";
    let message = compile_text(text, Arch::X86_64).unwrap_err().to_string();
    assert!(
        message.starts_with("p.toml:1:1: seccomp.rule: bpf "),
        "{message}"
    );
}

#[test]
fn allowing_clone3_directly_is_not_an_error() {
    let text = "[seccomp]\ndefault = \"errno\"\nallow = [\"@default\", \"clone3\"]\n";
    let filter = filter(text, Arch::X86_64);
    assert_eq!(action_of(&filter, "clone3", &[]), enosys());
}

#[test]
fn allowing_baseline_syscall_by_group_is_not_an_error() {
    let text = "[seccomp]\ndefault = \"errno\"\nallow = [\"@default\", \"@debug\"]\n";
    let filter = filter(text, Arch::X86_64);
    assert_eq!(action_of(&filter, "ptrace", &[]), eperm());
}

#[test]
fn baseline_item_turned_off() {
    let text = r#"
[seccomp]
default = "errno"
allow = ["@system-service", "ptrace"]

[seccomp.baseline]
ptrace = false
namespaces = false
"#;
    let filter = filter(text, Arch::X86_64);
    assert_program_matches_policy(&filter);
    assert_eq!(action_of(&filter, "ptrace", &[]), RET_ALLOW);
    assert_eq!(action_of(&filter, "unshare", &[CLONE_NEWUSER]), RET_ALLOW);
    assert_eq!(action_of(&filter, "clone3", &[]), RET_ALLOW);
    assert_eq!(action_of(&filter, "bpf", &[]), eperm());
    assert!(filter.allows_nested_namespaces());
    assert!(
        !compile_for(&SeccompLayer::default(), Arch::X86_64)
            .unwrap()
            .allows_nested_namespaces()
    );
}

#[test]
fn execve_denied_is_an_error() {
    let text = "[seccomp]\ndefault = \"kill\"\nallow = [\"read\"]\n";
    let message = compile_text(text, Arch::X86_64).unwrap_err().to_string();
    assert!(
        message.contains("denies execve (kill, from default)"),
        "{message}"
    );
}

#[test]
fn name_missing_on_arch_skipped_and_reported() {
    let text = "[seccomp]\ndefault = \"errno\"\nallow = [\"@system-service\", \"open\"]\n";
    let filter = filter(text, Arch::Aarch64);
    assert_eq!(
        filter.policy.warnings.len(),
        1,
        "{:?}",
        filter.policy.warnings
    );
    let warning = &filter.policy.warnings[0];
    assert!(
        warning.starts_with("p.toml:3:29: seccomp.allow: "),
        "{warning}"
    );
    assert!(
        warning.contains("open does not exist on aarch64"),
        "{warning}"
    );
    assert!(filter.describe().contains(warning));

    let filter = self::filter(text, Arch::X86_64);
    assert!(filter.policy.warnings.is_empty());
}

#[test]
fn too_many_rules_rejected() {
    let mut text = String::new();
    for value in 0..700 {
        text.push_str(&format!(
            "[[seccomp.rule]]\nsyscall = \"read\"\naction = \"errno\"\n\
             args = [{{ arg = 0, op = \"eq\", value = {value} }}]\n"
        ));
    }
    let err = compile_text(&text, Arch::X86_64).unwrap_err();
    assert!(matches!(err, SeccompError::TooLarge { .. }), "{err}");
}

#[test]
fn long_jumps_use_trampolines() {
    // Rules on syscalls spread over the table make the search span far more than the 255
    // instructions a conditional jump reaches.
    let mut text = String::from("[seccomp]\ndefault = \"errno\"\nallow = [\"@system-service\"]\n");
    for (index, name) in ["read", "openat", "mmap", "futex", "epoll_wait", "statx"]
        .iter()
        .enumerate()
    {
        for value in 0..12 {
            text.push_str(&format!(
                "[[seccomp.rule]]\nsyscall = \"{name}\"\naction = \"errno\"\n\
                 args = [{{ arg = {}, op = \"masked-eq\", mask = {}, value = {} }}]\n",
                index % 6,
                1u64 << (value + 20),
                1u64 << (value + 20),
            ));
        }
    }
    for arch in Arch::ALL {
        let filter = filter(&text, arch);
        let far_jumps = filter
            .program
            .iter()
            .filter(|instruction| instruction.code == BPF_JMP | BPF_JA && instruction.k > 255)
            .count();
        assert!(
            far_jumps > 0,
            "{arch}: no trampoline in {} instructions",
            filter.program.len()
        );
        assert_program_matches_policy(&filter);
    }
}

#[test]
fn describe_lists_default_and_baseline() {
    let text = "[seccomp]\ndefault = \"errno\"\nallow = [\"@system-service\"]\n\
                [seccomp.baseline]\nptrace = false\n";
    let lines = filter(text, Arch::X86_64).describe();
    assert!(
        lines[0].starts_with(
            "default errno EPERM; syscalls missing from the x86_64 table: errno ENOSYS"
        ),
        "{lines:?}"
    );
    assert!(lines[1].contains("BPF instructions"), "{lines:?}");
    assert!(
        lines[2].starts_with("baseline: native_abi, tty_injection, namespaces"),
        "{lines:?}"
    );
    assert!(!lines[2].contains("ptrace"), "{lines:?}");
    assert_eq!(lines[3], "baseline turned off: ptrace");
}

#[test]
fn policy_lines_show_each_syscall() {
    let filter = filter(ALLOW_LIST_EXAMPLE, Arch::X86_64);
    let lines = filter.policy_lines();
    let syscall_lines = lines
        .iter()
        .filter(|line| !line.starts_with([' ', '#']))
        .count();
    assert_eq!(syscall_lines, Arch::X86_64.syscalls().len());
    let read = lines.iter().find(|line| line.starts_with("read ")).unwrap();
    assert!(read.contains("allow"), "{read}");
    assert!(
        read.contains("seccomp.allow @system-service at p.toml:5:10"),
        "{read}"
    );
    let ptrace = lines
        .iter()
        .find(|line| line.starts_with("ptrace "))
        .unwrap();
    assert!(ptrace.contains("errno EPERM"), "{ptrace}");
    assert!(ptrace.contains("baseline ptrace"), "{ptrace}");
    let tiocsti = lines
        .iter()
        .find(|line| line.contains("arg1 (low 32 bits) == 0x5412"))
        .unwrap();
    assert!(
        tiocsti.contains("errno EPERM (baseline tty_injection)"),
        "{tiocsti}"
    );
}

/// Runs a program with `filter` installed in the child right before exec, as the launcher
/// does, but without a sandbox: only for benign programs.
fn run_filtered(filter: &SeccompFilter, program: &str, args: &[&str]) -> std::process::Output {
    use std::os::unix::process::CommandExt;

    let filter = filter.clone();
    let mut command = std::process::Command::new(program);
    command.args(args).stdin(std::process::Stdio::null());
    // SAFETY: the closure runs in the forked child before exec. It only calls prctl and
    // seccomp through seccompiler, which allocate nothing on success, and it touches no lock
    // that another thread of the test process could hold.
    unsafe {
        command.pre_exec(move || filter.install());
    }
    command.output().expect("spawn filtered program")
}

fn assert_success(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "status: {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn kernel_runs_shell_under_system_service() {
    let filter = compile_text(ALLOW_LIST_EXAMPLE, Arch::native().unwrap()).unwrap();
    let output = run_filtered(
        &filter,
        "/bin/sh",
        &[
            "-c",
            "ls / >/dev/null && cat /etc/passwd >/dev/null && echo done",
        ],
    );
    assert_success(&output);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "done\n");
}

#[test]
fn kernel_runs_python_thread_under_system_service() {
    let filter = compile_text(ALLOW_LIST_EXAMPLE, Arch::native().unwrap()).unwrap();
    let script = "import os, threading\n\
                  t = threading.Thread(target=lambda: print('thread'))\n\
                  t.start(); t.join()\n\
                  print(os.access('/etc/passwd', os.R_OK, effective_ids=True))\n";
    let output = run_filtered(&filter, "/usr/bin/python3", &["-c", script]);
    assert_success(&output);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "thread\nTrue\n");
}

#[test]
fn kernel_returns_errno_of_denied_call() {
    let text = "[seccomp]\nerrno = \"EACCES\"\ndeny = [\"getppid\", \"uname\"]\n";
    let filter = compile_text(text, Arch::native().unwrap()).unwrap();
    let output = run_filtered(
        &filter,
        "/usr/bin/python3",
        &["-c", "import os; os.uname()"],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PermissionError: [Errno 13]"), "{stderr}");
}

#[test]
fn kernel_kills_whole_process() {
    let text = "[seccomp]\ndefault = \"kill\"\nallow = [\"@system-service\"]\n\
                [[seccomp.rule]]\nsyscall = \"uname\"\naction = \"kill\"\n";
    let filter = compile_text(text, Arch::native().unwrap()).unwrap();
    let script = "import os, threading, time\n\
                  print('started', flush=True)\n\
                  threading.Thread(target=os.uname).start()\n\
                  time.sleep(5)\n\
                  print('survived')\n";
    let output = run_filtered(&filter, "/usr/bin/python3", &["-c", script]);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(output.status.signal(), Some(libc::SIGSYS), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "started\n");
}

#[test]
fn json_schema_describes_every_key() {
    let root = schemars::schema_for!(RawSeccomp);
    let schema = root.as_value();
    let tables = [
        ("RawSeccomp", &schema["properties"], 6),
        ("RawRule", &schema["$defs"]["RawRule"]["properties"], 4),
        (
            "RawCondition",
            &schema["$defs"]["RawCondition"]["properties"],
            5,
        ),
        (
            "RawBaseline",
            &schema["$defs"]["RawBaseline"]["properties"],
            21,
        ),
    ];
    for (table, properties, expected) in tables {
        let properties = properties
            .as_object()
            .unwrap_or_else(|| panic!("{table}: {schema}"));
        assert_eq!(properties.len(), expected, "{table}");
        for (key, property) in properties {
            let description = property["description"].as_str();
            assert!(
                description.is_some_and(|text| !text.is_empty()),
                "{table}.{key} has no description"
            );
        }
    }
    assert_eq!(schema["additionalProperties"].as_bool(), Some(false));
}
