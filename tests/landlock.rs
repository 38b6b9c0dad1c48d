//! Landlock inside real sandboxes: probes from tests/probes report what they may read, write,
//! rename, bind, connect and signal under a `[landlock]` section, and the compatibility modes
//! are checked with the `SANDBOX_LANDLOCK_ABI` test hook lowering the ABI version.

mod common;

use std::fs;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{BASE_MOUNTS, Scratch, probe, sandbox, show, stderr, stdout};

/// The test hook that caps the Landlock ABI version sandbox assumes.
const ABI_VAR: &str = "SANDBOX_LANDLOCK_ABI";

/// Host paths the test profiles mount read-only. Rules must name each, because a bind of a
/// symlink such as /lib is its own mount and not a path under /usr.
const SYSTEM_PATHS: &[&str] = &["/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"];

/// Maximum time a sandbox run may take before the test kills it.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Returns true, after printing why, when the kernel lacks the Landlock ABI version 6 these
/// tests expect. Reads the version once from `sandbox --dry-run`.
fn skip_without_landlock() -> bool {
    static VERSION: OnceLock<u32> = OnceLock::new();
    let version = *VERSION.get_or_init(|| {
        let scratch = Scratch::new();
        let profile = scratch.write("probe-abi.toml", "[landlock]\n");
        let args = ["--dry-run", "-p", profile.to_str().unwrap(), "--", "true"];
        let output = run_sandbox(&args, &[], None);
        let text = stdout(&output);
        let prefix = "landlock: kernel Landlock ABI ";
        let Some(start) = text.find(prefix) else {
            panic!("no Landlock ABI version in --dry-run\n{}", show(&output));
        };
        let digits: String = text[start + prefix.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap()
    });
    if version < 6 {
        eprintln!("skipped: the kernel has Landlock ABI {version}, these tests need 6");
    }
    version < 6
}

/// Returns the folder of the compiled probes, compiling the Landlock probes first.
fn probe_dir() -> PathBuf {
    for name in ["landlock_fs", "landlock_net", "landlock_scope"] {
        probe(name);
    }
    probe("landlock_fs").parent().unwrap().to_path_buf()
}

fn quoted(paths: &[&str]) -> String {
    let items: Vec<String> = paths.iter().map(|path| format!("{path:?}")).collect();
    format!("[{}]", items.join(", "))
}

/// Builds a profile: `mounts`, then binds of the scratch folder (read-write) and the probes
/// (read-only), then a `[landlock]` section with `keys`, a rule that lets the system and the
/// probes be read and executed, and `rules` (more `[[landlock.rule]]` tables).
fn profile_text(mounts: &str, scratch: &Scratch, keys: &str, rules: &str) -> String {
    let probes = probe_dir();
    let probes = probes.to_str().unwrap();
    let scratch = scratch.path().to_str().unwrap();
    let mut readable = SYSTEM_PATHS.to_vec();
    readable.push(probes);
    format!(
        r#"{mounts}
[[mount]]
type = "bind"
source = "{scratch}"

[[mount]]
type = "ro-bind"
source = "{probes}"

[landlock]
{keys}

[[landlock.rule]]
paths = {readable}
access = ["read", "execute"]
optional = true

{rules}
"#,
        readable = quoted(&readable),
    )
}

fn write_profile(scratch: &Scratch, text: &str) -> PathBuf {
    scratch.write("profile.toml", text)
}

/// Runs `sandbox ARGS...` with extra environment variables, killing it after [`RUN_TIMEOUT`].
fn run_sandbox(args: &[&str], env: &[(&str, &str)], dir: Option<&Path>) -> Output {
    let mut command = sandbox();
    command.args(args).env_remove(ABI_VAR);
    command.envs(env.iter().copied());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sandbox");
    wait_with_timeout(child)
}

fn wait_with_timeout(mut child: Child) -> Output {
    let deadline = Instant::now() + RUN_TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!("sandbox timed out after {RUN_TIMEOUT:?}\n{}", show(&output));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Runs a probe from the probe folder under `profile`.
fn run_probe(profile: &Path, probe_name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let probe_path = probe_dir().join(probe_name);
    let mut full = vec![
        "-p",
        profile.to_str().unwrap(),
        "--",
        probe_path.to_str().unwrap(),
    ];
    full.extend_from_slice(args);
    run_sandbox(&full, env, None)
}

/// Returns what the probe printed for the operation `op` (`read /a`, `bind 80`): `ok` or an
/// errno name.
fn outcome(output: &Output, op: &str) -> String {
    let prefix = format!("{op}: ");
    let text = stdout(output);
    let line = text.lines().find(|line| line.starts_with(&prefix));
    match line {
        Some(line) => line[prefix.len()..].to_string(),
        None => panic!("no outcome for {op:?}\n{}", show(output)),
    }
}

fn assert_success(output: &Output) {
    assert_eq!(output.status.code(), Some(0), "{}", show(output));
}

/// A scratch folder laid out for the filesystem tests: `ro/` (read rule), `rw/` with `a/` and
/// `b/` (write rule), `hidden/` (no rule) and `fifo` (a FIFO with a file rule).
struct FsLayout {
    scratch: Scratch,
}

impl FsLayout {
    fn new() -> FsLayout {
        let scratch = Scratch::new();
        for dir in ["ro", "rw/a", "rw/b", "hidden"] {
            fs::create_dir_all(scratch.path().join(dir)).unwrap();
        }
        scratch.write("ro/file", "read-only\n");
        scratch.write("rw/file", "writable\n");
        scratch.write("rw/a/moved", "moved\n");
        scratch.write("hidden/file", "hidden\n");
        let fifo = scratch.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        FsLayout { scratch }
    }

    fn path(&self, relative: &str) -> String {
        self.scratch
            .path()
            .join(relative)
            .to_str()
            .unwrap()
            .to_string()
    }

    /// Writes the profile with the read, write and file rules, plus `keys` in `[landlock]`.
    fn profile(&self, keys: &str) -> PathBuf {
        let keys = format!(
            "read = [{:?}]\nwrite = [{:?}]\n{keys}",
            self.path("ro"),
            self.path("rw")
        );
        let rules = format!(
            "[[landlock.rule]]\npaths = [\"/dev/null\", {:?}]\naccess = [\"write\"]\n",
            self.path("fifo")
        );
        let text = profile_text(BASE_MOUNTS, &self.scratch, &keys, &rules);
        write_profile(&self.scratch, &text)
    }
}

#[test]
fn fs_rules_grant_and_deny() {
    if skip_without_landlock() {
        return;
    }
    let layout = FsLayout::new();
    let profile = layout.profile("");
    let [ro_file, rw_file, hidden, hidden_file, fifo] =
        ["ro/file", "rw/file", "hidden", "hidden/file", "fifo"].map(|p| layout.path(p));
    let [new_in_a, new_in_b, new_in_ro, new_hidden] =
        ["rw/a/new", "rw/b/new", "ro/new", "hidden/new"].map(|p| layout.path(p));
    // Each operation with its expected outcome, in the order the probe runs them.
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["read", &ro_file], "ok"),
        (vec!["write", &ro_file], "EACCES"),
        (vec!["truncate", &ro_file], "EACCES"),
        (vec!["read", &hidden_file], "EACCES"),
        (vec!["list", &hidden], "EACCES"),
        (vec!["create", &new_hidden], "EACCES"),
        (vec!["trunc-open", &rw_file], "ok"),
        (vec!["create", &new_in_a], "ok"),
        // Within one writable tree `refer` allows a plain rename, without mv's copy fallback.
        (vec!["rename", &new_in_a, &new_in_b], "ok"),
        (vec!["rename", &new_in_b, &new_in_ro], "EACCES"),
        (vec!["write", "/dev/null"], "ok"),
        (vec!["write", "/dev/zero"], "EACCES"),
        (vec!["open-path", &fifo], "ok"),
        (vec!["thread-read", &hidden_file], "EACCES"),
        (vec!["thread-read", &ro_file], "ok"),
    ];
    let args: Vec<&str> = cases.iter().flat_map(|(op, _)| op.clone()).collect();
    let output = run_probe(&profile, "landlock_fs", &args, &[]);
    assert_success(&output);

    for (op, expected) in &cases {
        let op = op.join(" ");
        assert_eq!(outcome(&output, &op), *expected, "{op}");
    }
    assert_eq!(fs::read_to_string(&ro_file).unwrap(), "read-only\n");
    assert!(Path::new(&new_in_b).exists(), "renamed file missing");
}

#[test]
fn shell_mv_echo_and_truncate() {
    if skip_without_landlock() {
        return;
    }
    let layout = FsLayout::new();
    let profile = layout.profile("");
    let script = "cd \"$1\"
mv rw/a/moved rw/b/moved; echo \"mv within: $?\"
mv rw/b/moved ro/moved 2>/dev/null; echo \"mv out: $?\"
echo > rw/file; echo \"echo into writable: $?\"
truncate -s 0 ro/file 2>/dev/null; echo \"truncate read-only: $?\"";
    let scratch = layout.path("");
    let args = [
        "-p",
        profile.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        script,
        "sh",
        &scratch,
    ];
    let output = run_sandbox(&args, &[], None);
    assert_success(&output);

    assert_eq!(outcome(&output, "mv within"), "0");
    assert_ne!(outcome(&output, "mv out"), "0");
    assert_eq!(outcome(&output, "echo into writable"), "0");
    assert_ne!(outcome(&output, "truncate read-only"), "0");
    assert!(Path::new(&layout.path("rw/b/moved")).exists());
    assert!(!Path::new(&layout.path("ro/moved")).exists());
    assert_eq!(
        fs::read_to_string(layout.path("ro/file")).unwrap(),
        "read-only\n"
    );
    assert_eq!(fs::read_to_string(layout.path("rw/file")).unwrap(), "\n");
}

#[test]
fn tcp_ports_in_own_net_namespace() {
    if skip_without_landlock() {
        return;
    }
    let scratch = Scratch::new();
    let keys = "bind_tcp = [40001, 40002]\nconnect_tcp = [40001]";
    let text = profile_text(BASE_MOUNTS, &scratch, keys, "");
    let profile = write_profile(&scratch, &text);
    let args = [
        "bind", "40001", "bind", "40002", "bind", "40003", "connect", "40001", "connect", "40002",
    ];
    let output = run_probe(&profile, "landlock_net", &args, &[]);
    assert_success(&output);

    assert_eq!(outcome(&output, "bind 40001"), "ok");
    assert_eq!(outcome(&output, "bind 40002"), "ok");
    assert_eq!(outcome(&output, "bind 40003"), "EACCES");
    assert_eq!(outcome(&output, "connect 40001"), "ok");
    assert_eq!(outcome(&output, "connect 40002"), "EACCES");
}

#[test]
fn tcp_open_without_network_keys() {
    if skip_without_landlock() {
        return;
    }
    let scratch = Scratch::new();
    let text = profile_text(BASE_MOUNTS, &scratch, "", "");
    let profile = write_profile(&scratch, &text);
    let args = ["bind", "40003", "connect", "40003"];
    let output = run_probe(&profile, "landlock_net", &args, &[]);
    assert_success(&output);
    assert_eq!(outcome(&output, "bind 40003"), "ok");
    assert_eq!(outcome(&output, "connect 40003"), "ok");
}

/// A process and an abstract unix socket outside the sandbox, as the same user, for the
/// scope tests. The process is killed on drop.
struct OutsideTargets {
    sleeper: Child,
    socket_name: String,
    _listener: UnixListener,
}

impl OutsideTargets {
    fn start() -> OutsideTargets {
        let sleeper = Command::new("sleep")
            .arg("120")
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn sleep");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let socket_name = format!("sandbox-test-landlock-{}-{nanos}", std::process::id());
        let address = SocketAddr::from_abstract_name(socket_name.as_bytes()).unwrap();
        let listener = UnixListener::bind_addr(&address).expect("bind abstract socket");
        OutsideTargets {
            sleeper,
            socket_name,
            _listener: listener,
        }
    }

    /// Runs the scope probe against these targets in a sandbox that shares the pid and
    /// network namespaces, so that only Landlock separates them.
    fn probe(&self, scope_key: &str) -> Output {
        let scratch = Scratch::new();
        let proc_mount = "[[mount]]\ntype = \"proc\"\ndest = \"/proc\"\n";
        assert!(
            BASE_MOUNTS.contains(proc_mount),
            "BASE_MOUNTS changed its proc mount"
        );
        // proc cannot be mounted without a new pid namespace.
        let mounts = format!(
            "[namespaces]\npid = false\nnet = false\n{}",
            BASE_MOUNTS.replace(proc_mount, "")
        );
        let text = profile_text(&mounts, &scratch, scope_key, "");
        let profile = write_profile(&scratch, &text);
        let pid = self.sleeper.id().to_string();
        let args = ["signal", &pid, "abstract", &self.socket_name];
        let output = run_probe(&profile, "landlock_scope", &args, &[]);
        assert_success(&output);
        output
    }

    fn signal_outcome(&self, output: &Output) -> String {
        outcome(output, &format!("signal {}", self.sleeper.id()))
    }

    fn abstract_outcome(&self, output: &Output) -> String {
        outcome(output, &format!("abstract {}", self.socket_name))
    }
}

impl Drop for OutsideTargets {
    fn drop(&mut self) {
        let _ = self.sleeper.kill();
        let _ = self.sleeper.wait();
    }
}

#[test]
fn scopes_deny_outside_by_default() {
    if skip_without_landlock() {
        return;
    }
    let targets = OutsideTargets::start();
    let output = targets.probe("");
    assert_eq!(targets.signal_outcome(&output), "EPERM");
    assert_eq!(targets.abstract_outcome(&output), "EPERM");
}

#[test]
fn scopes_listed_explicitly() {
    if skip_without_landlock() {
        return;
    }
    let targets = OutsideTargets::start();
    let output = targets.probe("scope = [\"abstract-unix-socket\", \"signal\"]");
    assert_eq!(targets.signal_outcome(&output), "EPERM");
    assert_eq!(targets.abstract_outcome(&output), "EPERM");
}

#[test]
fn scopes_empty_list_allows_outside() {
    if skip_without_landlock() {
        return;
    }
    let targets = OutsideTargets::start();
    let output = targets.probe("scope = []");
    assert_eq!(targets.signal_outcome(&output), "ok");
    assert_eq!(targets.abstract_outcome(&output), "ok");
}

#[test]
fn scopes_opt_out_of_abstract_socket() {
    if skip_without_landlock() {
        return;
    }
    let targets = OutsideTargets::start();
    let output = targets.probe("scope = [\"signal\"]");
    assert_eq!(targets.signal_outcome(&output), "EPERM");
    assert_eq!(targets.abstract_outcome(&output), "ok");
}

fn warning_lines(output: &Output) -> Vec<String> {
    stderr(output)
        .lines()
        .filter(|line| line.contains("warning: landlock"))
        .map(String::from)
        .collect()
}

#[test]
fn best_effort_warns_at_lowered_abi() {
    if skip_without_landlock() {
        return;
    }
    let layout = FsLayout::new();
    let profile = layout.profile("connect_tcp = [443]");
    let [ro_file, hidden_file] = ["ro/file", "hidden/file"].map(|p| layout.path(p));
    let args = ["truncate", &ro_file, "read", &hidden_file];
    let output = run_probe(&profile, "landlock_fs", &args, &[(ABI_VAR, "2")]);
    assert_success(&output);

    let warnings = warning_lines(&output);
    assert_eq!(warnings.len(), 1, "{}", show(&output));
    let warning = &warnings[0];
    assert!(warning.contains("Landlock ABI 2"), "{warning}");
    assert!(
        warning.contains("truncate, ioctl_dev, bind_tcp, connect_tcp"),
        "{warning}"
    );
    assert!(warning.contains("scope signal"), "{warning}");
    // At ABI 2 truncate is not restricted, while reading stays restricted.
    assert_eq!(outcome(&output, &format!("truncate {ro_file}")), "ok");
    assert_eq!(outcome(&output, &format!("read {hidden_file}")), "EACCES");
}

#[test]
fn best_effort_silent_at_kernel_abi() {
    if skip_without_landlock() {
        return;
    }
    let layout = FsLayout::new();
    let profile = layout.profile("");
    let ro_file = layout.path("ro/file");
    let output = run_probe(&profile, "landlock_fs", &["read", &ro_file], &[]);
    assert_success(&output);
    assert_eq!(warning_lines(&output), Vec::<String>::new());
}

#[test]
fn hard_exits_125_at_lowered_abi() {
    if skip_without_landlock() {
        return;
    }
    let layout = FsLayout::new();
    let profile = layout.profile("compat = \"hard\"");
    let ro_file = layout.path("ro/file");
    let output = run_probe(
        &profile,
        "landlock_fs",
        &["read", &ro_file],
        &[(ABI_VAR, "2")],
    );
    assert_eq!(output.status.code(), Some(125), "{}", show(&output));

    let message = stderr(&output);
    assert!(message.contains("compat = \"hard\""), "{message}");
    assert!(message.contains("Landlock ABI 2"), "{message}");
    assert!(message.contains("the kernel has"), "{message}");
    assert!(message.contains("truncate"), "{message}");
    assert_eq!(stdout(&output), "", "the target ran");
}

#[test]
fn hard_runs_at_kernel_abi() {
    if skip_without_landlock() {
        return;
    }
    let layout = FsLayout::new();
    let profile = layout.profile("compat = \"hard\"");
    let [ro_file, hidden_file] = ["ro/file", "hidden/file"].map(|p| layout.path(p));
    let args = ["read", &ro_file, "read", &hidden_file];
    let output = run_probe(&profile, "landlock_fs", &args, &[]);
    assert_success(&output);
    assert_eq!(outcome(&output, &format!("read {ro_file}")), "ok");
    assert_eq!(outcome(&output, &format!("read {hidden_file}")), "EACCES");
}

#[test]
fn no_landlock_best_effort_warns_loudly() {
    if skip_without_landlock() {
        return;
    }
    let layout = FsLayout::new();
    let profile = layout.profile("");
    let hidden_file = layout.path("hidden/file");
    let output = run_probe(
        &profile,
        "landlock_fs",
        &["read", &hidden_file],
        &[(ABI_VAR, "0")],
    );
    assert_success(&output);
    let warnings = warning_lines(&output);
    assert_eq!(warnings.len(), 1, "{}", show(&output));
    assert!(warnings[0].contains("NOT ENFORCED"), "{}", warnings[0]);
    assert_eq!(outcome(&output, &format!("read {hidden_file}")), "ok");
}

#[test]
fn no_landlock_hard_exits_125() {
    if skip_without_landlock() {
        return;
    }
    let layout = FsLayout::new();
    let profile = layout.profile("compat = \"hard\"");
    let output = run_probe(&profile, "landlock_fs", &[], &[(ABI_VAR, "0")]);
    assert_eq!(output.status.code(), Some(125), "{}", show(&output));
    assert!(stderr(&output).contains("no Landlock"), "{}", show(&output));
}

#[test]
fn invalid_abi_hook_exits_125() {
    if skip_without_landlock() {
        return;
    }
    let layout = FsLayout::new();
    let profile = layout.profile("");
    let output = run_probe(&profile, "landlock_fs", &[], &[(ABI_VAR, "seven")]);
    assert_eq!(output.status.code(), Some(125), "{}", show(&output));
    assert!(
        stderr(&output).contains("SANDBOX_LANDLOCK_ABI"),
        "{}",
        show(&output)
    );
}

#[test]
fn dry_run_reports_abi_and_rules() {
    if skip_without_landlock() {
        return;
    }
    let layout = FsLayout::new();
    let profile = layout.profile("");
    let args = ["--dry-run", "-p", profile.to_str().unwrap(), "--", "true"];
    let output = run_sandbox(&args, &[], None);
    assert_success(&output);

    let text = stdout(&output);
    assert!(text.contains("landlock: kernel Landlock ABI "), "{text}");
    let ro_line = format!("landlock: allow {}: read_file, read_dir", layout.path("ro"));
    assert!(text.contains(&ro_line), "{text}");
    assert!(
        text.contains("landlock: allow /dev/null: write_file"),
        "{text}"
    );

    let lowered = run_sandbox(&args, &[(ABI_VAR, "3")], None);
    assert_success(&lowered);
    let text = stdout(&lowered);
    assert!(
        text.contains("dropped, not enforceable at Landlock ABI 3"),
        "{text}"
    );
}

#[test]
fn verbose_reports_abi_and_rules() {
    if skip_without_landlock() {
        return;
    }
    let layout = FsLayout::new();
    let profile = layout.profile("");
    let args = ["-v", "-p", profile.to_str().unwrap(), "--", "true"];
    let output = run_sandbox(&args, &[], None);
    assert_success(&output);
    let text = stderr(&output);
    assert!(text.contains("landlock: kernel Landlock ABI "), "{text}");
    assert!(
        text.contains(&format!("landlock: allow {}", layout.path("rw"))),
        "{text}"
    );
    assert!(text.contains("landlock: ruleset fully enforced"), "{text}");
}

#[test]
fn missing_path_exits_125_naming_it() {
    if skip_without_landlock() {
        return;
    }
    let scratch = Scratch::new();
    let missing = scratch.path().join("missing");
    let keys = format!("read = [{:?}]", missing.to_str().unwrap());
    let text = profile_text(BASE_MOUNTS, &scratch, &keys, "");
    let profile = write_profile(&scratch, &text);
    let output = run_probe(&profile, "landlock_fs", &[], &[]);
    assert_eq!(output.status.code(), Some(125), "{}", show(&output));
    let message = stderr(&output);
    assert!(message.contains(missing.to_str().unwrap()), "{message}");
    assert!(message.contains("not found"), "{message}");
    assert!(message.contains("profile.toml:"), "{message}");
}

#[test]
fn optional_missing_path_logged_at_verbose() {
    if skip_without_landlock() {
        return;
    }
    let scratch = Scratch::new();
    let missing = scratch.path().join("missing");
    let rules = format!(
        "[[landlock.rule]]\npaths = [{:?}]\naccess = [\"read\"]\noptional = true\n",
        missing.to_str().unwrap()
    );
    let text = profile_text(BASE_MOUNTS, &scratch, "", &rules);
    let profile = write_profile(&scratch, &text);
    let probe_path = probe_dir().join("landlock_fs");
    let args = [
        "-v",
        "-p",
        profile.to_str().unwrap(),
        "--",
        probe_path.to_str().unwrap(),
    ];
    let output = run_sandbox(&args, &[], None);
    assert_success(&output);
    let expected = format!(
        "optional rule path {} not found, skipped",
        missing.display()
    );
    assert!(stderr(&output).contains(&expected), "{}", show(&output));

    let quiet = run_probe(&profile, "landlock_fs", &[], &[]);
    assert_success(&quiet);
    assert_eq!(stderr(&quiet), "");
}

/// Mounts under which the example section works as written: /bin, /lib and /lib64 are
/// symlinks into /usr, so the rules on /usr cover them.
const MERGED_USR_MOUNTS: &str = r#"
[[mount]]
type = "ro-bind"
source = "/usr"

[[mount]]
type = "symlink"
dest = "/bin"
target = "usr/bin"

[[mount]]
type = "symlink"
dest = "/lib"
target = "usr/lib"

[[mount]]
type = "symlink"
dest = "/lib64"
target = "usr/lib64"

[[mount]]
type = "ro-bind"
source = "/etc"

[[mount]]
type = "proc"
dest = "/proc"

[[mount]]
type = "dev"
dest = "/dev"

[[mount]]
type = "tmpfs"
dest = "/tmp"
"#;

/// The example `[landlock]` section that must load and work exactly as written.
const EXAMPLE_SECTION: &str = r#"
[landlock]
compat = "best-effort"     # or "hard"
read = ["/usr", "/etc"]
execute = ["/usr"]
write = ["${PWD}", "/tmp"]
connect_tcp = [443]
bind_tcp = []
scope = ["abstract-unix-socket", "signal"]
"#;

#[test]
fn example_section_works_as_written() {
    if skip_without_landlock() {
        return;
    }
    if !Path::new("/usr/lib64").is_dir()
        || !fs::symlink_metadata("/lib64").is_ok_and(|m| m.is_symlink())
    {
        eprintln!("skipped: this host has no merged /usr with /lib64 -> usr/lib64");
        return;
    }
    let scratch = Scratch::new();
    let scratch_dir = scratch.path().to_str().unwrap();
    let text = format!(
        "{MERGED_USR_MOUNTS}\n[[mount]]\ntype = \"bind\"\nsource = \"{scratch_dir}\"\n\
         {EXAMPLE_SECTION}"
    );
    let profile = write_profile(&scratch, &text);
    let script = "ls > /tmp/listing && echo written > file && cat file && \
                  head -c 0 /etc/passwd && echo tmp > /tmp/x && cat /tmp/x
cat /proc/self/status > /tmp/status 2> /tmp/error; echo \"proc: $?\"";
    let args = ["-p", profile.to_str().unwrap(), "--", "sh", "-c", script];
    let output = run_sandbox(&args, &[], Some(scratch.path()));
    assert_success(&output);

    let text = stdout(&output);
    assert!(text.contains("written\ntmp\n"), "{}", show(&output));
    // /proc has no rule, so reading it is denied.
    assert_eq!(outcome(&output, "proc"), "1");
    assert_eq!(warning_lines(&output), Vec::<String>::new());
    assert_eq!(
        fs::read_to_string(scratch.path().join("file")).unwrap(),
        "written\n"
    );
}

#[test]
fn default_profile_landlock_enforced() {
    if skip_without_landlock() {
        return;
    }
    let scratch = Scratch::new();
    let script = "set -e
ls > listing
echo written > file
cat file
ls /usr/bin > /dev/null
head -c 1 /dev/urandom > /dev/null
grep -q '^Pid:' /proc/self/status
echo tmp > /tmp/t
echo home > \"$HOME/h\"
cat /etc/hostname > /dev/null
echo done";
    let args = ["-p", "default", "--", "sh", "-c", script];
    let output = run_sandbox(&args, &[], Some(scratch.path()));
    assert_success(&output);
    assert_eq!(stdout(&output), "written\ndone\n");
    assert_eq!(stderr(&output), "");

    let check = run_sandbox(&["-v", "-p", "default", "--", "true"], &[], None);
    assert_success(&check);
    assert!(
        stderr(&check).contains("landlock: ruleset fully enforced"),
        "{}",
        show(&check)
    );
}
