//! Integration tests of the `[seccomp]` section: probe programs run inside sandboxes and
//! report which syscalls the filter let through and with which errno.
//!
//! Most profiles here set `errno = "EXFULL"`, an errno that none of the probed calls returns
//! by itself, so a result of EXFULL can only come from the filter.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// Checks of seccomp_probe that the baseline denies with the profile's errno on every
/// architecture.
const BASELINE_DENIED: &[&str] = &[
    "tiocsti",
    "tiocsti-high-bits",
    "tioclinux",
    "unshare-user",
    "clone-newns",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "mount_setattr",
    "keyctl",
    "add_key",
    "bpf",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "ptrace",
    "perf_event_open",
    "userfaultfd",
    "process_vm_readv",
    "process_vm_writev",
    "open_by_handle_at",
    "personality-read-implies-exec",
    "kexec_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "clock_settime",
    "settimeofday",
    "adjtimex",
    "syslog",
];

/// Checks for calls through another ABI, which exist only on x86_64.
const FOREIGN_ABI: &[&str] = if cfg!(target_arch = "x86_64") {
    &["int80-getpid", "x32-getpid"]
} else {
    &[]
};

/// Checks that the baseline lets through.
const BASELINE_ALLOWED: &[&str] = &[
    "tiocgwinsz",
    "clone",
    "personality-query",
    "personality-linux",
    "getpid",
    "uname",
];

/// An allow-list profile in the form the documentation shows first.
const ALLOW_LIST: &str = r#"
[seccomp]
default = "errno"          # what unlisted syscalls get: allow | errno | kill | log
errno = "EPERM"            # the errno for denied calls; unknown or newer syscalls get ENOSYS
allow = ["@system-service"]
deny = ["ptrace", "@mount"]
"#;

/// Writes a profile of the base mounts, a read-only bind of each folder in `binds`, and
/// `extra`.
fn write_profile(scratch: &Scratch, binds: &[&Path], extra: &str) -> PathBuf {
    let mut text = BASE_MOUNTS.to_string();
    for folder in binds {
        text.push_str(&format!(
            "\n[[mount]]\ntype = \"ro-bind\"\nsource = \"{}\"\n",
            folder.display()
        ));
    }
    text.push('\n');
    text.push_str(extra);
    scratch.write("profile.toml", &text)
}

/// Returns the folder of a program, for binding it into a sandbox.
fn folder_of(program: &Path) -> &Path {
    program.parent().expect("program path has a folder")
}

/// Runs seccomp_probe with `checks` under a profile with `extra`, and returns each check's
/// result: `ok` or an errno name.
fn probe_results(extra: &str, checks: &[&str]) -> BTreeMap<String, String> {
    let scratch = Scratch::new();
    let probe = probe("seccomp_probe");
    let profile = write_profile(&scratch, &[folder_of(&probe)], extra);
    let mut args = vec![probe.to_string_lossy().into_owned()];
    args.extend(checks.iter().map(|check| check.to_string()));
    let output = run_profile(&profile, &args);
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    let results: BTreeMap<String, String> = stdout(&output)
        .lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(check, result)| (check.to_string(), result.to_string()))
        .collect();
    assert_eq!(results.len(), checks.len(), "{}", show(&output));
    results
}

fn assert_result(results: &BTreeMap<String, String>, check: &str, expected: &str) {
    assert_eq!(
        results.get(check).map(String::as_str),
        Some(expected),
        "check {check}: {results:?}"
    );
}

#[test]
fn baseline_denies_with_profile_errno() {
    let checks: Vec<&str> = [BASELINE_DENIED, FOREIGN_ABI, BASELINE_ALLOWED, &["clone3"]].concat();
    let results = probe_results("[seccomp]\nerrno = \"EXFULL\"\n", &checks);
    for check in BASELINE_DENIED.iter().chain(FOREIGN_ABI) {
        assert_result(&results, check, "EXFULL");
    }
    for check in BASELINE_ALLOWED {
        assert_result(&results, check, "ok");
    }
    // ENOSYS, so that libc falls back to clone, whose flags the filter can read.
    assert_result(&results, "clone3", "ENOSYS");
}

#[test]
fn baseline_default_errno_is_eperm() {
    let denied: &[&str] = &[
        "unshare-user",
        "clone-newns",
        "setns",
        "mount",
        "open_tree",
        "keyctl",
        "bpf",
        "io_uring_setup",
        "tioclinux",
        "ptrace",
    ];
    let checks: Vec<&str> = [denied, FOREIGN_ABI].concat();
    let results = probe_results("", &checks);
    for check in checks {
        assert_result(&results, check, "EPERM");
    }
}

#[test]
fn baseline_denies_tiocsti_without_new_session() {
    let extra = "[process]\nnew_session = false\n\n[seccomp]\nerrno = \"EXFULL\"\n";
    let results = probe_results(extra, &["tiocsti", "tiocsti-high-bits", "tiocgwinsz"]);
    assert_result(&results, "tiocsti", "EXFULL");
    assert_result(&results, "tiocsti-high-bits", "EXFULL");
    assert_result(&results, "tiocgwinsz", "ok");
}

#[test]
fn baseline_items_turn_off() {
    let keys = [
        "native_abi",
        "tty_injection",
        "namespaces",
        "mount_api",
        "kexec",
        "modules",
        "reboot",
        "swap",
        "acct",
        "quotactl",
        "clock",
        "syslog",
        "keyring",
        "bpf",
        "perf_event_open",
        "userfaultfd",
        "ptrace",
        "process_vm",
        "open_by_handle_at",
        "personality",
        "io_uring",
    ];
    let mut extra = String::from("[seccomp]\nerrno = \"EXFULL\"\n\n[seccomp.baseline]\n");
    for key in keys {
        extra.push_str(&format!("{key} = false\n"));
    }
    let checks: Vec<&str> = [BASELINE_DENIED, FOREIGN_ABI, &["clone3"]].concat();
    let results = probe_results(&extra, &checks);
    for check in checks {
        assert_ne!(results[check], "EXFULL", "check {check}: {results:?}");
    }
    // Calls that succeed once the filter lets them through.
    assert_result(&results, "unshare-user", "ok");
    assert_result(&results, "clone-newns", "ok");
    assert_result(&results, "clone3", "ok");
    if cfg!(target_arch = "x86_64") {
        assert_result(&results, "int80-getpid", "ok");
    }
}

#[test]
fn allow_list_denies_unlisted() {
    let checks = [
        "getpid",
        "ptrace",
        "mount",
        "sethostname",
        "syscall-1000",
        "clone3",
    ];
    let results = probe_results(ALLOW_LIST, &checks);
    assert_result(&results, "getpid", "ok");
    assert_result(&results, "ptrace", "EPERM");
    assert_result(&results, "mount", "EPERM");
    assert_result(&results, "sethostname", "EPERM");
    // Numbers newer than the syscall table get ENOSYS, not the profile's errno.
    assert_result(&results, "syscall-1000", "ENOSYS");
    assert_result(&results, "clone3", "ENOSYS");
}

/// Runs `args` in a sandbox with the allow-list profile and the given folders bound.
fn run_allow_listed(binds: &[&Path], args: &[&str]) -> Output {
    let scratch = Scratch::new();
    let profile = write_profile(&scratch, binds, ALLOW_LIST);
    run_profile(&profile, args)
}

#[test]
fn allow_list_runs_coreutils() {
    let script = "ls / >/dev/null && sort /etc/passwd | head -n 1 >/dev/null && \
                  mkdir /tmp/d && cp /etc/passwd /tmp/d/ && wc -l </tmp/d/passwd >/dev/null && \
                  date >/dev/null && id >/dev/null && stat /tmp/d >/dev/null && echo done";
    let output = run_allow_listed(&[], &["/bin/sh", "-c", script]);
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    assert_eq!(stdout(&output), "done\n");
}

#[test]
fn allow_list_runs_python_with_thread() {
    let script = "import os, subprocess, threading\n\
                  results = []\n\
                  thread = threading.Thread(target=lambda: results.append(os.getpid()))\n\
                  thread.start()\n\
                  thread.join()\n\
                  print(len(results))\n\
                  print(os.access('/etc/passwd', os.R_OK, effective_ids=True))\n\
                  print(subprocess.run(['/bin/true']).returncode)\n";
    let output = run_allow_listed(&[], &["/usr/bin/python3", "-c", script]);
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    assert_eq!(stdout(&output), "1\nTrue\n0\n");
}

#[test]
fn allow_list_runs_static_glibc_program() {
    let workload = probe("seccomp_workload");
    let output = run_allow_listed(&[folder_of(&workload)], &[&workload.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    assert_eq!(stdout(&output), "workload: ok\n");
}

#[test]
fn allow_list_runs_static_musl_program() {
    let Some(workload) = musl_workload() else {
        eprintln!("skipped: musl-gcc not found; install musl-tools to run this test");
        return;
    };
    let output = run_allow_listed(&[folder_of(&workload)], &[&workload.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    assert_eq!(stdout(&output), "workload: ok\n");
}

/// Returns seccomp_workload built statically with musl: prebuilt as `seccomp_workload.musl`
/// in `SANDBOX_PROBES` when set, else compiled here. `None` when musl-gcc is missing.
fn musl_workload() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SANDBOX_PROBES") {
        let prebuilt = PathBuf::from(dir).join("seccomp_workload.musl");
        return prebuilt.exists().then_some(prebuilt);
    }
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("probes-musl");
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join("seccomp_workload");
    let source = data_dir().join("probes").join("seccomp_workload.c");
    let status = Command::new("musl-gcc")
        .args(["-static", "-O2", "-Wall", "-pthread", "-o"])
        .arg(&out)
        .arg(&source)
        .status()
        .ok()?;
    assert!(
        status.success(),
        "compiling {} with musl-gcc",
        source.display()
    );
    Some(out)
}

#[test]
fn kill_ends_threaded_process() {
    let scratch = Scratch::new();
    let probe = probe("seccomp_probe");
    let extra = r#"
[seccomp]
default = "kill"
allow = ["@system-service"]

[[seccomp.rule]]
syscall = "uname"
action = "kill"
"#;
    let profile = write_profile(&scratch, &[folder_of(&probe)], extra);
    let output = run_profile(&profile, &[&*probe.to_string_lossy(), "kill-from-thread"]);
    // 128 + SIGSYS: the whole process died, not only the thread that called uname.
    assert_eq!(output.status.code(), Some(159), "{}", show(&output));
    assert_eq!(stdout(&output), "", "{}", show(&output));
}

#[test]
fn log_default_allows_unlisted() {
    // Every group of @system-service but the one with uname, so that only uname is logged.
    let extra = r#"
[seccomp]
default = "log"
allow = ["@default", "@basic-io", "@file-system", "@signal", "@process", "ioctl"]
"#;
    let results = probe_results(extra, &["uname", "getpid"]);
    assert_result(&results, "uname", "ok");
    assert_result(&results, "getpid", "ok");
}

#[test]
fn argument_rule_picks_errno() {
    let extra = r#"
[seccomp]
default = "errno"
allow = ["@system-service"]

[[seccomp.rule]]
syscall = "socket"
action = "errno"
errno = "EAFNOSUPPORT"
args = [{ arg = 0, op = "eq", value = 16, bits = 32 }]   # AF_NETLINK
"#;
    let script = "import errno, socket\n\
                  socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()\n\
                  try:\n    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)\n\
                  except OSError as err:\n    print(errno.errorcode[err.errno])\n";
    let scratch = Scratch::new();
    let profile = write_profile(&scratch, &[], extra);
    let output = run_profile(&profile, &["/usr/bin/python3", "-c", script]);
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    assert_eq!(stdout(&output), "EAFNOSUPPORT\n");
}

#[test]
fn unknown_syscall_rejected_with_location() {
    let scratch = Scratch::new();
    let profile = scratch.write("bad.toml", "[seccomp]\nallow = [\"read\", \"ptrce\"]\n");
    let output = run_profile(&profile, &["/bin/true"]);
    assert_eq!(output.status.code(), Some(125), "{}", show(&output));
    let expected = format!(
        "{}:2:18: seccomp.allow: unknown syscall \"ptrce\"; did you mean \"ptrace\"?",
        profile.display()
    );
    assert!(stderr(&output).contains(&expected), "{}", show(&output));
}

#[test]
fn unknown_group_rejected_with_location() {
    let scratch = Scratch::new();
    let profile = scratch.write("bad.toml", "[seccomp]\ndeny = [\n  \"@mounts\",\n]\n");
    let output = sandbox()
        .arg("check")
        .arg(&profile)
        .output()
        .expect("spawn sandbox");
    assert_eq!(output.status.code(), Some(125), "{}", show(&output));
    let expected = format!(
        "{}:3:3: seccomp.deny: unknown syscall group \"@mounts\"; did you mean \"@mount\"?",
        profile.display()
    );
    assert!(stderr(&output).contains(&expected), "{}", show(&output));
}

#[test]
fn baseline_conflict_rejected() {
    let scratch = Scratch::new();
    let text = "[seccomp]\ndefault = \"errno\"\nallow = [\"@system-service\", \"ptrace\"]\n";
    let profile = scratch.write("conflict.toml", text);
    let output = run_profile(&profile, &["/bin/true"]);
    assert_eq!(output.status.code(), Some(125), "{}", show(&output));
    let expected = format!(
        "{}:3:29: seccomp.allow: ptrace is denied by the seccomp baseline; set \
         `ptrace = false` under [seccomp.baseline] to allow it",
        profile.display()
    );
    assert!(stderr(&output).contains(&expected), "{}", show(&output));
}

#[test]
fn seccomp_subcommand_lists_policy() {
    let scratch = Scratch::new();
    let profile = scratch.write("list.toml", ALLOW_LIST);
    let output = sandbox()
        .arg("seccomp")
        .arg(&profile)
        .output()
        .expect("spawn sandbox");
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    let text = stdout(&output);
    let line_of = |name: &str| {
        text.lines()
            .find(|line| line.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no line for {name}:\n{text}"))
            .to_string()
    };
    assert!(line_of("read").contains(" allow "), "{text}");
    assert!(line_of("ptrace").contains(" errno EPERM "), "{text}");
    assert!(line_of("sethostname").contains(" errno EPERM "), "{text}");
    assert!(line_of("sethostname").ends_with("default"), "{text}");
    assert!(text.contains("arg1 (low 32 bits) == 0x5412"), "{text}");
}

#[test]
fn dry_run_shows_seccomp_step() {
    let scratch = Scratch::new();
    let profile = scratch.write("dry.toml", ALLOW_LIST);
    let output = sandbox()
        .args(["--dry-run", "-p"])
        .arg(&profile)
        .args(["--", "/bin/true"])
        .output()
        .expect("spawn sandbox");
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    let text = stdout(&output);
    assert!(text.contains("default errno EPERM"), "{text}");
    assert!(text.contains("syscalls allowed"), "{text}");
    assert!(
        text.contains("baseline: native_abi, tty_injection"),
        "{text}"
    );
}
