//! Unit tests of the `[landlock]` section: parsing, merging, planning against given ABI
//! versions, and enforcement in a child process (Landlock restricting a child changes nothing
//! for the test process or the host).

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use landlock::{AccessFs, AccessNet, BitFlags, Scope};
use serde::Deserialize;

use super::abi::{ABI_OVERRIDE_VAR, AbiVersion, kernel_abi};
use super::layer::Compat;
use super::plan::prepare_for;
use super::*;
use crate::profile::{FileContext, ProfileError, Vars};

/// The example section of the issue, which must load and work exactly as written.
const EXAMPLE: &str = r#"
[landlock]
compat = "best-effort"     # or "hard"
read = ["/usr", "/etc"]
execute = ["/usr"]
write = ["${PWD}", "/tmp"]
connect_tcp = [443]
bind_tcp = []
scope = ["abstract-unix-socket", "signal"]
"#;

#[derive(Deserialize)]
struct Wrapper {
    landlock: RawLandlock,
}

fn vars() -> Vars {
    Vars::from_pairs(&[("PWD", "/home/user/project"), ("HOME", "/home/user")])
}

fn resolve_text(text: &str) -> Result<LandlockLayer, ProfileError> {
    let raw: Wrapper = toml::from_str(text).expect("valid TOML");
    let vars = vars();
    let ctx = FileContext::new(Path::new("p.toml"), text, &vars);
    LandlockLayer::resolve(raw.landlock, &ctx)
}

fn resolve_error(text: &str) -> String {
    resolve_text(text).unwrap_err().to_string()
}

/// Returns true, after printing why, when the kernel lacks the Landlock ABI version 6 that the
/// enforcement tests expect.
fn skip_without_landlock() -> bool {
    let version = kernel_abi().unwrap();
    if version < 6 {
        eprintln!("skipped: the kernel has Landlock ABI {version}, these checks need 6");
    }
    version < 6
}

fn abi(version: u32) -> AbiVersion {
    AbiVersion {
        kernel: 7,
        assumed: version,
    }
}

fn paths(layer: &LandlockLayer) -> Vec<&str> {
    layer
        .rules
        .iter()
        .map(|rule| rule.path.to_str().unwrap())
        .collect()
}

#[test]
fn example_section_resolves() {
    let layer = resolve_text(EXAMPLE).unwrap();
    assert_eq!(layer.compat, Some(Compat::BestEffort));
    assert_eq!(
        paths(&layer),
        ["/usr", "/etc", "/home/user/project", "/tmp", "/usr"]
    );
    assert_eq!(layer.rules[2].access, rights::WRITE_SET);
    assert_eq!(layer.rules[4].access, BitFlags::from(AccessFs::Execute));
    assert_eq!(layer.connect_tcp, Some(vec![443]));
    assert_eq!(layer.bind_tcp, Some(vec![]));
    assert_eq!(
        layer.scopes,
        Some(Scope::AbstractUnixSocket | Scope::Signal)
    );
}

#[test]
fn example_plan_enforces_everything_at_abi_7() {
    let layer = resolve_text(EXAMPLE).unwrap();
    let plan = prepare_for(&layer, abi(7)).unwrap();
    assert!(plan.dropped().is_empty(), "{:?}", plan.dropped());
    assert_eq!(
        plan.enforced.net,
        AccessNet::BindTcp | AccessNet::ConnectTcp
    );
    assert_eq!(plan.connect_tcp, [443]);
    assert!(plan.bind_tcp.is_empty());
    // `read` and `execute` on /usr become one rule.
    let usr = &plan.rules[0];
    assert_eq!(usr.path, Path::new("/usr"));
    assert_eq!(usr.access, rights::READ_SET | AccessFs::Execute);
    assert_eq!(plan.rules.len(), 4);
}

#[test]
fn rule_table_takes_rights_and_optional() {
    let layer = resolve_text(
        r#"
[landlock]
[[landlock.rule]]
paths = ["/dev/null", "~/.cache"]
access = ["read_file", "write_file", "execute"]
optional = true
"#,
    )
    .unwrap();
    assert_eq!(paths(&layer), ["/dev/null", "/home/user/.cache"]);
    let expected = AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::Execute;
    assert!(layer.rules.iter().all(|rule| rule.access == expected));
    assert!(layer.rules.iter().all(|rule| rule.optional));
    assert_eq!(layer.rules[0].origin.line, 4);
}

#[test]
fn unknown_right_is_located_with_hint() {
    let message = resolve_error(
        r#"
[landlock]
[[landlock.rule]]
paths = ["/tmp"]
access = ["read", "truncat"]
"#,
    );
    assert!(
        message.starts_with("p.toml:5:19: landlock.rule.access: "),
        "{message}"
    );
    assert!(message.contains("\"truncat\""), "{message}");
    assert!(message.contains("did you mean \"truncate\""), "{message}");
}

#[test]
fn unknown_scope_is_rejected() {
    let message = resolve_error("[landlock]\nscope = [\"signals\"]\n");
    assert!(
        message.starts_with("p.toml:2:10: landlock.scope: "),
        "{message}"
    );
    assert!(message.contains("did you mean \"signal\""), "{message}");
}

#[test]
fn empty_rule_lists_are_rejected() {
    let message = resolve_error("[landlock]\n[[landlock.rule]]\npaths = [\"/tmp\"]\naccess = []\n");
    assert!(message.contains("landlock.rule.access"), "{message}");
    let message = resolve_error("[landlock]\n[[landlock.rule]]\npaths = []\naccess = [\"read\"]\n");
    assert!(message.contains("landlock.rule.paths"), "{message}");
}

#[test]
fn relative_path_is_rejected() {
    let message = resolve_error("[landlock]\nread = [\"usr\"]\n");
    assert!(
        message.starts_with("p.toml:2:9: landlock.read: "),
        "{message}"
    );
    assert!(message.contains("not absolute"), "{message}");
}

#[test]
fn unknown_key_is_rejected() {
    let result: Result<Wrapper, _> = toml::from_str("[landlock]\nreadonly = [\"/usr\"]\n");
    let message = result.err().expect("unknown key accepted").to_string();
    assert!(message.contains("readonly"), "{message}");
}

#[test]
fn out_of_range_port_is_rejected() {
    let result: Result<Wrapper, _> = toml::from_str("[landlock]\nconnect_tcp = [70000]\n");
    assert!(result.is_err());
}

#[test]
fn merge_appends_lists_and_later_scalars_win() {
    let mut base = resolve_text(
        "[landlock]\ncompat = \"hard\"\nread = [\"/usr\"]\nconnect_tcp = [80]\n\
         scope = [\"abstract-unix-socket\", \"signal\"]\n",
    )
    .unwrap();
    let later = resolve_text(
        "[landlock]\nwrite = [\"/tmp\"]\nconnect_tcp = [443]\nbind_tcp = [8080]\n\
         scope = [\"signal\"]\n",
    )
    .unwrap();
    base.merge(later);
    assert_eq!(base.compat, Some(Compat::Hard));
    assert_eq!(paths(&base), ["/usr", "/tmp"]);
    assert_eq!(base.connect_tcp, Some(vec![80, 443]));
    assert_eq!(base.bind_tcp, Some(vec![8080]));
    assert_eq!(base.scopes, Some(BitFlags::from(Scope::Signal)));

    let override_compat = resolve_text("[landlock]\ncompat = \"best-effort\"\n").unwrap();
    base.merge(override_compat);
    assert_eq!(base.compat, Some(Compat::BestEffort));
    assert_eq!(base.scopes, Some(BitFlags::from(Scope::Signal)));
}

#[test]
fn absent_keys_use_defaults() {
    let layer = resolve_text("[landlock]\nread = [\"/usr\"]\n").unwrap();
    let plan = prepare_for(&layer, abi(7)).unwrap();
    assert!(plan.requested.net.is_empty());
    assert_eq!(
        plan.enforced.scopes,
        Scope::AbstractUnixSocket | Scope::Signal
    );
    assert_eq!(plan.compat, Compat::BestEffort);
}

#[test]
fn empty_scope_list_opts_out() {
    let layer = resolve_text("[landlock]\nscope = []\n").unwrap();
    let plan = prepare_for(&layer, abi(7)).unwrap();
    assert!(plan.requested.scopes.is_empty());
}

#[test]
fn best_effort_drops_what_abi_2_lacks() {
    let layer = resolve_text(EXAMPLE).unwrap();
    let plan = prepare_for(&layer, abi(2)).unwrap();
    let dropped = plan.dropped();
    assert_eq!(dropped.fs, AccessFs::Truncate | AccessFs::IoctlDev);
    assert_eq!(dropped.net, AccessNet::BindTcp | AccessNet::ConnectTcp);
    assert_eq!(dropped.scopes, Scope::AbstractUnixSocket | Scope::Signal);
    assert!(plan.enforced.fs.contains(AccessFs::Refer));
    let lines = plan.describe();
    let dropped_line = lines
        .iter()
        .find(|line| line.contains("dropped"))
        .expect("a dropped line");
    assert!(
        dropped_line.contains("truncate, ioctl_dev, bind_tcp, connect_tcp"),
        "{dropped_line}"
    );
    assert!(dropped_line.contains("scope signal"), "{dropped_line}");
}

#[test]
fn hard_fails_when_abi_lacks_rights() {
    let text = EXAMPLE.replace("\"best-effort\"", "\"hard\"");
    let layer = resolve_text(&text).unwrap();
    let message = prepare_for(&layer, abi(3)).unwrap_err().to_string();
    assert!(message.contains("compat = \"hard\""), "{message}");
    assert!(message.contains("Landlock ABI 3"), "{message}");
    assert!(message.contains("ioctl_dev"), "{message}");
    assert!(message.contains("connect_tcp"), "{message}");
    assert!(!message.contains("truncate"), "{message}");
    assert!(prepare_for(&layer, abi(7)).is_ok());
}

#[test]
fn hard_fails_without_landlock() {
    let layer = resolve_text("[landlock]\ncompat = \"hard\"\n").unwrap();
    let message = prepare_for(&layer, abi(0)).unwrap_err().to_string();
    assert!(message.contains("no Landlock"), "{message}");
}

#[test]
fn best_effort_without_landlock_says_so() {
    let layer = resolve_text("[landlock]\nread = [\"/usr\"]\n").unwrap();
    let plan = prepare_for(&layer, abi(0)).unwrap();
    assert!(plan.enforced.is_empty());
    let lines = plan.describe();
    assert!(
        lines.iter().any(|line| line.contains("NOT ENFORCED")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.contains("/usr: nothing enforceable")),
        "{lines:?}"
    );
}

#[test]
fn naming_resolve_unix_requests_it() {
    let text = "[landlock]\ncompat = \"hard\"\n[[landlock.rule]]\npaths = [\"/run\"]\n\
                access = [\"resolve_unix\"]\n";
    let layer = resolve_text(text).unwrap();
    let message = prepare_for(&layer, abi(7)).unwrap_err().to_string();
    assert!(message.contains("resolve_unix"), "{message}");
    assert!(prepare_for(&layer, abi(9)).is_ok());
}

#[test]
fn describe_reports_abi_and_each_rule() {
    let layer = resolve_text(EXAMPLE).unwrap();
    let lines = prepare_for(&layer, abi(7)).unwrap().describe();
    assert_eq!(
        lines[0],
        "landlock: kernel Landlock ABI 7, compat best-effort"
    );
    let expected = [
        "landlock: allow /usr: execute, read_file, read_dir",
        "landlock: allow /etc: read_file, read_dir",
        "landlock: allow connect_tcp on port 443",
        "landlock: allow bind_tcp on no port",
    ];
    for line in expected {
        assert!(
            lines.iter().any(|l| l == line),
            "missing {line:?} in {lines:#?}"
        );
    }
    let project = lines
        .iter()
        .find(|line| line.starts_with("landlock: allow /home/user/project: "))
        .expect("a line for ${PWD}");
    assert!(project.contains("truncate"), "{project}");
    assert!(project.contains("refer"), "{project}");
    assert!(!project.contains("make_char"), "{project}");
}

#[test]
fn missing_path_fails_naming_it() {
    if skip_without_landlock() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let missing = scratch.path().join("missing");
    let text = format!("[landlock]\nread = [{:?}]\n", missing.to_str().unwrap());
    let layer = resolve_text(&text).unwrap();
    let plan = prepare_for(&layer, abi(7)).unwrap();
    // Fails while adding rules, before restrict_self, so this process stays unrestricted.
    let message = plan.apply().unwrap_err().to_string();
    assert!(message.contains(missing.to_str().unwrap()), "{message}");
    assert!(message.contains("ENOENT"), "{message}");
    assert!(message.contains("optional"), "{message}");
}

/// Environment variable that makes [`child_enforcement`] run: the scratch folder of the
/// parent test.
const CHILD_SCRATCH: &str = "SANDBOX_LANDLOCK_UNIT_CHILD";

/// Lays out the scratch folder the child checks, and returns the profile section for it.
fn child_scratch(root: &Path) -> String {
    let make = |relative: &str| std::fs::create_dir_all(root.join(relative)).unwrap();
    make("ro");
    make("rw/a");
    make("rw/b");
    make("hidden");
    std::fs::write(root.join("ro/file"), "read-only\n").unwrap();
    std::fs::write(root.join("rw/file"), "writable\n").unwrap();
    std::fs::write(root.join("hidden/file"), "hidden\n").unwrap();
    nix::unistd::mkfifo(
        &root.join("fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    let root = root.to_str().unwrap();
    format!(
        r#"
[landlock]
read = ["{root}/ro"]
write = ["{root}/rw"]
scope = []
[[landlock.rule]]
paths = ["/dev/null", "{root}/fifo"]
access = ["write"]
[[landlock.rule]]
paths = ["{root}/missing"]
access = ["read"]
optional = true
"#
    )
}

/// Runs [`child_enforcement`] in a new process of this test binary and returns whether it
/// passed, with its output.
fn run_child(root: &Path, abi_override: Option<&str>) -> (bool, String) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "landlock_rules::tests::child_enforcement"])
        .args(["--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_SCRATCH, root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match abi_override {
        Some(value) => command.env(ABI_OVERRIDE_VAR, value),
        None => command.env_remove(ABI_OVERRIDE_VAR),
    };
    let mut child = command.spawn().unwrap();
    // A rule path opened without O_PATH would block on the FIFO; fail instead of hanging.
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn apply_restricts_child_process() {
    if skip_without_landlock() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let (passed, output) = run_child(scratch.path(), None);
    assert!(passed, "child failed:\n{output}");
    assert!(output.contains("child checks passed at ABI 7"), "{output}");
}

#[test]
fn abi_override_lowers_child_enforcement() {
    if skip_without_landlock() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let (passed, output) = run_child(scratch.path(), Some("2"));
    assert!(passed, "child failed:\n{output}");
    assert!(output.contains("child checks passed at ABI 2"), "{output}");
}

fn errno_of(result: std::io::Result<impl Sized>) -> Option<i32> {
    result.err().and_then(|error| error.raw_os_error())
}

const EACCES: Option<i32> = Some(libc::EACCES);

/// Restricts this process with the plan for the scratch folder, then tries what the plan
/// allows and denies. Does nothing unless [`run_child`] started it.
#[test]
#[ignore = "runs only in the child process that apply_restricts_child_process starts"]
fn child_enforcement() {
    let Some(root) = std::env::var_os(CHILD_SCRATCH).map(PathBuf::from) else {
        return;
    };
    let layer = resolve_text(&child_scratch(&root)).unwrap();
    let plan = prepare(&layer).unwrap();
    plan.apply().unwrap();
    let at = |relative: &str| root.join(relative);
    let open_write = |path: &Path| std::fs::OpenOptions::new().append(true).open(path);

    assert!(std::fs::read(at("ro/file")).is_ok(), "read of a read path");
    assert_eq!(
        errno_of(open_write(&at("ro/file"))),
        EACCES,
        "write of a read path"
    );
    assert_eq!(
        errno_of(std::fs::read(at("hidden/file"))),
        EACCES,
        "read outside"
    );
    assert_eq!(
        errno_of(std::fs::read_dir(at("hidden"))),
        EACCES,
        "listing outside"
    );
    assert!(
        std::fs::write(at("rw/file"), "x\n").is_ok(),
        "write with O_TRUNC"
    );
    assert!(std::fs::write(at("rw/a/new"), "new\n").is_ok(), "create");
    assert!(
        std::fs::rename(at("rw/a/new"), at("rw/b/new")).is_ok(),
        "rename within the tree"
    );
    let out = errno_of(std::fs::rename(at("rw/b/new"), at("ro/new")));
    assert_eq!(out, EACCES, "rename out of the tree");
    assert!(
        open_write(Path::new("/dev/null")).is_ok(),
        "file rule on /dev/null"
    );
    assert_eq!(
        errno_of(open_write(Path::new("/dev/zero"))),
        EACCES,
        "/dev/zero"
    );

    let hidden = at("hidden/file");
    let in_thread = std::thread::spawn(move || errno_of(std::fs::read(hidden)));
    assert_eq!(
        in_thread.join().unwrap(),
        EACCES,
        "read outside from a new thread"
    );

    let truncate = errno_of(nix::unistd::truncate(&at("ro/file"), 0).map_err(std::io::Error::from));
    if plan.abi.assumed >= 3 {
        assert_eq!(truncate, EACCES, "truncate of a read path");
    } else {
        // Below ABI 3 truncate is not restricted: the test hook must really lower the plan.
        assert_eq!(truncate, None, "truncate below ABI 3");
    }
    let kind = std::fs::read(at("hidden/file")).unwrap_err().kind();
    assert_eq!(kind, ErrorKind::PermissionDenied);
    println!("child checks passed at ABI {}", plan.abi.assumed);
}

#[test]
fn json_schema_describes_every_key() {
    let root = schemars::schema_for!(RawLandlock);
    let schema = root.as_value();
    let properties = schema["properties"].as_object().expect("properties");
    let keys = [
        "compat",
        "read",
        "write",
        "execute",
        "connect_tcp",
        "bind_tcp",
        "scope",
        "rule",
    ];
    for key in keys {
        let description = properties[key]["description"].as_str();
        assert!(
            description.is_some_and(|text| !text.is_empty()),
            "{key} has no description"
        );
    }
    assert_eq!(properties.len(), keys.len());
    assert_eq!(schema["additionalProperties"].as_bool(), Some(false));
}
