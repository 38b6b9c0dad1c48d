//! Integration tests of the launcher: the real `sandbox` binary runs real commands, and each
//! test checks what the command saw or what it left behind. This file covers identity,
//! hostname, namespaces, exit statuses, the command line, profile errors, the shipped and
//! example profiles, and the host's state after runs. Mounts are in launcher_mounts.rs, the
//! process lifecycle (environment, descriptors, signals, sessions) in launcher_process.rs.

mod common;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::process::{output, shell_status};
use common::{BASE_MOUNTS, Scratch, probe, ro_bind, run_profile, sandbox, show, stderr, stdout};

/// Writes `profile.toml` into `scratch`: `head` (top-level keys first, then tables), the base
/// mounts, then `tail`.
fn write_profile(scratch: &Scratch, head: &str, tail: &str) -> PathBuf {
    scratch.write("profile.toml", &format!("{head}\n{BASE_MOUNTS}\n{tail}"))
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

/// Returns each line of `text` with its runs of blanks collapsed to one space, as in
/// /proc/self/uid_map, whose columns are padded.
fn normalized_lines(text: &str) -> Vec<String> {
    let words = |line: &str| line.split_whitespace().collect::<Vec<_>>().join(" ");
    text.lines().map(words).collect()
}

/// Script that prints the uid, the gid, the user name and both id maps of the target.
const PRINT_IDS: &str = "id -u; id -g; id -un; cat /proc/self/uid_map /proc/self/gid_map";

#[test]
fn ids_map_caller_by_default() {
    let scratch = Scratch::new();
    let profile = write_profile(&scratch, "", "");
    let uid = nix::unistd::getuid().as_raw();
    let gid = nix::unistd::getgid().as_raw();

    let out = run_profile(&profile, &["sh", "-c", PRINT_IDS]);

    let context = show(&out);
    assert_eq!(shell_status(out.status), 0, "{context}");
    let lines = normalized_lines(&stdout(&out));
    assert_eq!(lines.first(), Some(&uid.to_string()), "{context}");
    assert_eq!(lines.get(1), Some(&gid.to_string()), "{context}");
    assert_eq!(lines.get(3), Some(&format!("{uid} {uid} 1")), "{context}");
    assert_eq!(lines.get(4), Some(&format!("{gid} {gid} 1")), "{context}");
}

#[test]
fn process_uid_maps_ids_inside() {
    let uid = nix::unistd::getuid().as_raw();
    let gid = nix::unistd::getgid().as_raw();
    // (uid inside, gid inside, name `id -un` prints)
    let cases = [(0, 0, Some("root")), (4242, 4343, None)];
    for (uid_inside, gid_inside, name) in cases {
        let scratch = Scratch::new();
        let tail = format!("[process]\nuid = {uid_inside}\ngid = {gid_inside}\n");
        let profile = write_profile(&scratch, "", &tail);

        let out = run_profile(&profile, &["sh", "-c", PRINT_IDS]);

        let context = format!("uid {uid_inside}: {}", show(&out));
        assert_eq!(shell_status(out.status), 0, "{context}");
        let lines = normalized_lines(&stdout(&out));
        assert_eq!(lines.first(), Some(&uid_inside.to_string()), "{context}");
        assert_eq!(lines.get(1), Some(&gid_inside.to_string()), "{context}");
        if let Some(name) = name {
            assert_eq!(lines.get(2), Some(&name.to_string()), "{context}");
        }
        let uid_map = format!("{uid_inside} {uid} 1");
        assert_eq!(lines.get(3), Some(&uid_map), "{context}");
        let gid_map = format!("{gid_inside} {gid} 1");
        assert_eq!(lines.get(4), Some(&gid_map), "{context}");
    }
}

#[test]
fn uid_zero_inside_gains_nothing_outside() {
    let scratch = Scratch::new();
    let tail = "[process]\nuid = 0\ngid = 0\n";
    let profile = write_profile(&scratch, "", tail);

    let out = run_profile(
        &profile,
        &[
            "sh",
            "-c",
            "touch /etc/sandbox-test 2>/dev/null && echo etc-writable; \
             grep -E '^CapEff' /proc/self/status",
        ],
    );

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    assert!(!stdout(&out).contains("etc-writable"), "{}", show(&out));
    assert!(stdout(&out).contains("0000000000000000"), "{}", show(&out));
    assert!(!Path::new("/etc/sandbox-test").exists());
}

#[test]
fn hostname_set_inside_only() {
    let scratch = Scratch::new();
    let host_before = nix::unistd::gethostname().unwrap();
    let profile = write_profile(&scratch, "hostname = \"sbx-hostname-test\"", "");

    let out = run_profile(
        &profile,
        &["sh", "-c", "hostname; cat /proc/sys/kernel/hostname"],
    );

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    assert_eq!(
        lines(&stdout(&out)),
        ["sbx-hostname-test", "sbx-hostname-test"],
        "{}",
        show(&out)
    );
    assert_eq!(nix::unistd::gethostname().unwrap(), host_before);
}

/// Reads the namespace links of this process: `ipc:[4026531839]` and so on, by name.
fn host_namespaces(names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|name| {
            let link = std::fs::read_link(format!("/proc/self/ns/{name}")).unwrap();
            link.to_string_lossy().into_owned()
        })
        .collect()
}

#[test]
fn namespaces_differ_from_host() {
    let names = ["user", "pid", "mnt", "net", "ipc", "uts", "cgroup"];
    let scratch = Scratch::new();
    let profile = write_profile(&scratch, "", "");
    let paths: Vec<String> = names
        .iter()
        .map(|name| format!("/proc/self/ns/{name}"))
        .collect();

    // readlink is the target itself, so the links are the target's own.
    let mut args = vec!["readlink".to_string()];
    args.extend(paths);
    let out = run_profile(&profile, &args);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let text = stdout(&out);
    let inside = lines(&text);
    assert_eq!(inside.len(), names.len(), "{}", show(&out));
    for ((name, inside), host) in names.iter().zip(&inside).zip(host_namespaces(&names)) {
        assert!(inside.starts_with(&format!("{name}:[")), "{name}: {inside}");
        assert_ne!(*inside, host, "{name} namespace is the host's");
    }
}

#[test]
fn namespaces_false_share_host() {
    let names = ["net", "ipc", "uts", "cgroup"];
    let scratch = Scratch::new();
    let head = "[namespaces]\nnet = false\nipc = false\nuts = false\ncgroup = false\n";
    let profile = write_profile(&scratch, head, "");
    let mut args = vec!["readlink".to_string()];
    args.extend(names.iter().map(|name| format!("/proc/self/ns/{name}")));

    let out = run_profile(&profile, &args);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let text = stdout(&out);
    let inside = lines(&text);
    assert_eq!(inside.len(), names.len(), "{}", show(&out));
    for ((name, inside), host) in names.iter().zip(&inside).zip(host_namespaces(&names)) {
        assert_eq!(*inside, host, "{name} namespace is not the host's");
    }
}

/// Python that listens on 127.0.0.1, connects to itself and echoes a message through.
const LOOPBACK_ECHO: &str = "
import socket
server = socket.socket()
server.bind(('127.0.0.1', 0))
server.listen(1)
client = socket.create_connection(server.getsockname(), timeout=5)
peer, _ = server.accept()
client.sendall(b'ping')
print(peer.recv(4).decode())
";

#[test]
fn loopback_works_in_new_net_namespace() {
    let scratch = Scratch::new();
    let profile = write_profile(&scratch, "", "");

    let out = run_profile(&profile, &["/usr/bin/python3", "-c", LOOPBACK_ECHO]);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    assert_eq!(stdout(&out).trim(), "ping", "{}", show(&out));
}

#[test]
fn net_namespace_has_only_loopback() {
    let scratch = Scratch::new();
    let profile = write_profile(&scratch, "", "");

    // /proc/net/dev lists the interfaces of the reader's network namespace after two header
    // lines; `ip` shows whether lo is up.
    let script = "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; echo --; ip -o link show lo";
    let out = run_profile(&profile, &["sh", "-c", script]);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let text = stdout(&out);
    let (interfaces, lo) = text.split_once("--\n").unwrap_or((&text, ""));
    assert_eq!(lines(interfaces), ["lo"], "{}", show(&out));
    assert!(lo.contains("UP"), "lo is down: {}", show(&out));
}

#[test]
fn init_shares_target_network() {
    let scratch = Scratch::new();
    let profile = write_profile(&scratch, "", "");

    // Init (pid 1) creates no network namespace of its own; if it stayed in the caller's,
    // /proc/1/net would list the host's interfaces to the target.
    let script = "tail -n +3 /proc/1/net/dev | cut -d: -f1 | tr -d ' '";
    let out = run_profile(&profile, &["sh", "-c", script]);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    assert_eq!(lines(&stdout(&out)), ["lo"], "{}", show(&out));
}

#[test]
fn exit_status_of_target() {
    let segv = probe("launcher_segv");
    let scratch = Scratch::new();
    let tail = ro_bind(segv.parent().unwrap());
    let profile = write_profile(&scratch, "", &tail);
    let segv = segv.to_str().unwrap();
    // (argv, expected status)
    let cases: [(&[&str], i32); 5] = [
        (&["true"], 0),
        (&["sh", "-c", "exit 7"], 7),
        (&["sh", "-c", "exit 255"], 255),
        (&["sh", "-c", "kill -TERM $$"], 143),
        (&[segv], 139),
    ];
    for (argv, expected) in cases {
        let out = run_profile(&profile, argv);
        assert_eq!(
            shell_status(out.status),
            expected,
            "{argv:?}: {}",
            show(&out)
        );
        assert_eq!(stderr(&out), "", "{argv:?}: {}", show(&out));
    }
}

#[test]
fn exit_status_when_command_cannot_run() {
    let scratch = Scratch::new();
    let bin = scratch.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::write(bin.join("not-executable"), "#!/bin/sh\necho ran\n").unwrap();
    std::fs::set_permissions(bin.join("not-executable"), PermissionsExt::from_mode(0o644)).unwrap();
    let bin_text = bin.to_str().unwrap();
    let sandbox_path = format!("/usr/bin:{bin_text}:/only-in-sandbox");
    let tail = format!(
        "{}\n[env]\nset = {{ PATH = {} }}\n",
        ro_bind(&bin),
        common::toml_string(&sandbox_path)
    );
    let profile = write_profile(&scratch, "", &tail);
    let host_only = profile.to_str().unwrap();
    let host_only_message = format!("execute {host_only}: ENOENT");

    // (argv, expected status, expected part of the message)
    let cases: [(&[&str], i32, String); 7] = [
        (&["/etc/passwd"], 126, "execute /etc/passwd: EACCES".into()),
        (&["/usr"], 126, "execute /usr: EACCES".into()),
        (
            &["not-executable"],
            126,
            format!("execute {bin_text}/not-executable: EACCES"),
        ),
        (
            &["no-such-command"],
            127,
            format!("no-such-command: command not found inside the sandbox (PATH={sandbox_path})"),
        ),
        (
            &["/no/such/file"],
            127,
            "execute /no/such/file: ENOENT".into(),
        ),
        (&[""], 127, "command not found inside the sandbox".into()),
        // The profile exists on the host, but the sandbox does not bind its folder.
        (&[host_only, "x"], 127, host_only_message),
    ];

    for (argv, expected, message) in cases {
        let out = run_profile(&profile, argv);
        assert_eq!(
            shell_status(out.status),
            expected,
            "{argv:?}: {}",
            show(&out)
        );
        assert!(stderr(&out).contains(&message), "{argv:?}: {}", show(&out));
        assert!(!stdout(&out).contains("ran"), "{argv:?}: {}", show(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{argv:?}: {}", show(&out));
    }
}

#[test]
fn argv_passes_bytes_unchanged() {
    let scratch = Scratch::new();
    let profile = write_profile(&scratch, "", "");
    let args: Vec<Vec<u8>> = vec![
        b"\xff\xfe not UTF-8".to_vec(),
        b"".to_vec(),
        b"two  spaces".to_vec(),
        b"line\nbreak".to_vec(),
        b"--flag".to_vec(),
        b"$HOME * ~".to_vec(),
    ];
    let mut command = sandbox();
    command.arg("-p").arg(&profile).arg("--").args([
        "sh",
        "-c",
        "for arg; do printf '%s\\0' \"$arg\"; done",
        "sh",
    ]);
    for arg in &args {
        command.arg(OsString::from_vec(arg.clone()));
    }

    let out = output(&mut command);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let received: Vec<&[u8]> = out.stdout.split(|byte| *byte == 0).collect();
    let mut expected: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    expected.push(b"");
    assert_eq!(received, expected);
}

/// Creates `scratch/bin/NAME`, a script that prints `ran NAME ARGS...`.
fn write_script(scratch: &Scratch, name: &str) -> PathBuf {
    let bin = scratch.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join(name);
    std::fs::write(&script, "#!/bin/sh\necho ran \"$0\" \"$@\"\n").unwrap();
    std::fs::set_permissions(&script, PermissionsExt::from_mode(0o755)).unwrap();
    script
}

#[test]
fn command_named_like_option_runs() {
    let scratch = Scratch::new();
    let script = write_script(&scratch, "--help");
    let bin = script.parent().unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let tail = format!(
        "{}\n[env]\nset = {{ PATH = {} }}\n",
        ro_bind(bin),
        common::toml_string(&path)
    );
    let profile = write_profile(&scratch, "", &tail);

    let out = run_profile(&profile, &["--help", "--version"]);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let expected = format!("ran {} --version", script.display());
    assert_eq!(stdout(&out).trim(), expected, "{}", show(&out));
}

#[test]
fn command_named_like_subcommand_runs() {
    let scratch = Scratch::new();
    let script = write_script(&scratch, "check");
    let bin = script.parent().unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());

    // The built-in default profile binds the working directory and passes PATH through.
    let mut command = sandbox();
    command
        .current_dir(scratch.path())
        .env("PATH", &path)
        .args(["--", "check", "arg"]);
    let out = output(&mut command);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let expected = format!("ran {} arg", script.display());
    assert_eq!(stdout(&out).trim(), expected, "{}", show(&out));
}

#[test]
fn dry_run_prints_plan_and_runs_nothing() {
    let scratch = Scratch::new();
    let marker = scratch.path().join("ran");
    let data = scratch.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let tail = format!(
        "[[mount]]\ntype = \"bind\"\nsource = {}\n",
        common::toml_string(data.to_str().unwrap())
    );
    let profile = write_profile(&scratch, "", &tail);
    let script = format!("touch {} {}/ran", marker.display(), data.display());
    let mounts_before = std::fs::read_to_string("/proc/self/mountinfo").unwrap();

    let mut command = sandbox();
    command.arg("--dry-run").arg("-p").arg(&profile);
    command.args(["--", "sh", "-c", &script]);
    let out = output(&mut command);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let text = stdout(&out);
    let bind_step = format!("mount bind {0} on {0}", data.display());
    assert!(text.contains(" 1. create namespaces:"), "{text}");
    assert!(text.contains(&bind_step), "{text}");
    assert!(text.contains("execute the command"), "{text}");
    assert!(text.contains(&script), "the command is missing: {text}");
    assert!(!marker.exists(), "the command ran");
    assert!(!data.join("ran").exists(), "the command ran");
    assert_eq!(
        std::fs::read_to_string("/proc/self/mountinfo").unwrap(),
        mounts_before
    );
}

/// Asserts that `sandbox -p PROFILE -- true` and `sandbox check PROFILE` both fail with 125
/// and one line on stderr that contains `location` and `message`.
fn assert_profile_rejected(profile: &Path, location: &str, message: &str) {
    let marker = profile.with_file_name("ran");
    let touch = format!("touch {}", marker.display());
    let run = run_profile(profile, &["sh", "-c", &touch]);
    let mut check = sandbox();
    check.arg("check").arg(profile);
    let check = output(&mut check);
    for out in [run, check] {
        let case = format!("{}: {}", profile.display(), show(&out));
        assert_eq!(shell_status(out.status), 125, "{case}");
        let text = stderr(&out);
        assert_eq!(text.lines().count(), 1, "{case}");
        assert!(text.starts_with("sandbox: "), "{case}");
        assert!(text.contains(location), "{case}");
        assert!(text.contains(message), "{case}");
        assert!(!text.contains("panicked"), "{case}");
    }
    assert!(!marker.exists(), "the command ran");
}

#[test]
fn invalid_fixtures_rejected_with_location() {
    let fixtures = common::fixture("");
    // (fixture, expected location, expected message)
    let cases = [
        (
            "duplicate-key.toml",
            "duplicate-key.toml:2:1",
            "duplicate key",
        ),
        (
            "unknown-in-include/main.toml",
            "unknown-in-include/typo.toml:2:1",
            "hostnme",
        ),
        ("cycle/a.toml", "cycle/b.toml:2:", "include cycle"),
        (
            "missing-include.toml",
            "missing-include.toml:2:",
            "does-not-exist.toml",
        ),
        (
            "duplicate-dest.toml",
            "duplicate-dest.toml:5:",
            "mount.dest",
        ),
    ];
    for (fixture, location, message) in cases {
        assert_profile_rejected(&fixtures.join(fixture), location, message);
    }
}

#[test]
fn invalid_profiles_rejected_with_location() {
    // (profile text, expected location as `:LINE:COL`, expected message)
    let cases = [
        ("[process]\ncwdd = \"/\"\n", ":2:1", "unknown key `cwdd`"),
        (
            "[namespaces]\nuser = true\nuser = false\n",
            ":3:1",
            "duplicate key",
        ),
        (
            "[[mount]]\ntype = \"bnd\"\nsource = \"/usr\"\n",
            ":2:8",
            "unknown variant `bnd`",
        ),
        (
            "[[mount]]\ntype = \"bind\"\nsource = \"/usr\"\nsize = \"1M\"\n",
            ":4:",
            "mount.size",
        ),
        (
            "[[mount]]\ntype = \"tmpfs\"\ndest = \"/t\"\nsize = \"1X\"\n",
            ":4:",
            "mount.size",
        ),
        (
            "[[mount]]\ntype = \"tmpfs\"\ndest = \"relative\"\n",
            ":3:",
            "not absolute",
        ),
        (
            "[[mount]]\ntype = \"bind\"\nsource = \"${NO_SUCH_VAR}\"\n",
            ":3:",
            "NO_SUCH_VAR",
        ),
        ("hostname = 5\n", ":1:", "hostname"),
        ("x = [\n", ":1:", ""),
        ("[process]\nkeep_fds = [1]\n", ":2:", "process.keep_fds"),
        ("[process]\ncwd = \"relative\"\n", ":2:", "process.cwd"),
        (
            "[process]\ncapabilities = [\"cap_nope\"]\n",
            ":2:",
            "cap_nope",
        ),
        // A key after a table header belongs to that table.
        (
            "[namespaces]\nuts = false\nhostname = \"x\"\n",
            ":3:1",
            "unknown key `hostname`",
        ),
        (
            "hostname = \"x\"\n[namespaces]\nuts = false\n",
            ":1:",
            "namespaces.uts",
        ),
        (
            "[process]\nas_pid1 = true\n[namespaces]\npid = false\n",
            ":2:",
            "namespaces.pid",
        ),
        ("include = [\"profile.toml\"]\n", ":1:", "include cycle"),
    ];
    for (text, location, message) in cases {
        let scratch = Scratch::new();
        let profile = scratch.write("profile.toml", text);
        let location = format!("{}{location}", profile.display());
        assert_profile_rejected(&profile, &location, message);
    }
}

#[test]
fn bad_command_line_fails_with_125() {
    // (arguments, expected part of the message)
    let cases: [(&[&str], &str); 4] = [
        (&[], "required arguments were not provided"),
        (
            &["--no-such-option", "true"],
            "unexpected argument '--no-such-option'",
        ),
        (
            &["--profle", "x.toml", "true"],
            "unexpected argument '--profle'",
        ),
        (&["-p"], "a value is required"),
    ];
    for (args, message) in cases {
        let mut command = sandbox();
        command.args(args);
        let out = output(&mut command);
        assert_eq!(shell_status(out.status), 125, "{args:?}: {}", show(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", show(&out));
        assert!(
            !stderr(&out).contains("panicked"),
            "{args:?}: {}",
            show(&out)
        );
    }
}

#[test]
fn options_after_command_belong_to_it() {
    let scratch = Scratch::new();
    let profile = write_profile(&scratch, "", "");

    // No `--`: everything from the command on is its argv.
    let mut command = sandbox();
    command.arg("-p").arg(&profile);
    command.args([
        "sh",
        "-c",
        "echo \"$@\"",
        "sh",
        "-v",
        "--dry-run",
        "--",
        "-p",
    ]);
    let out = output(&mut command);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    assert_eq!(stdout(&out), "-v --dry-run -- -p\n", "{}", show(&out));
}

#[test]
fn stdin_passes_to_target() {
    let scratch = Scratch::new();
    let profile = write_profile(&scratch, "", "");
    let input = scratch.write("input", "through the sandbox\n");
    let mut command = sandbox();
    command
        .stdin(std::fs::File::open(&input).unwrap())
        .arg("-p")
        .arg(&profile)
        .args(["--", "tr", "a-z", "A-Z"]);

    let out = output(&mut command);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    assert_eq!(stdout(&out), "THROUGH THE SANDBOX\n", "{}", show(&out));
}

/// Returns the entries of `/` that the default and example profiles show: the bound system,
/// /proc, /dev, /tmp, and the first component of $HOME.
fn expected_root_entries(extra: &[&str]) -> BTreeSet<String> {
    let mut entries: BTreeSet<String> = ["bin", "dev", "etc", "lib", "proc", "tmp", "usr"]
        .into_iter()
        .map(String::from)
        .chain(extra.iter().map(|name| name.to_string()))
        .collect();
    if Path::new("/lib64").exists() {
        entries.insert("lib64".into());
    }
    let home = std::env::var("HOME").expect("HOME is set");
    let top = Path::new(&home).components().nth(1).expect("HOME is not /");
    entries.insert(top.as_os_str().to_string_lossy().into_owned());
    entries
}

#[test]
fn default_profile_runs_id_hostname_ls() {
    let scratch = Scratch::new();
    let host_name = nix::unistd::gethostname().unwrap().into_string().unwrap();

    let mut command = sandbox();
    command
        .current_dir(scratch.path())
        .args(["sh", "-c", "id -u; hostname; ls /"]);
    let out = output(&mut command);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    let uid = nix::unistd::getuid().to_string();
    assert_eq!(lines.next(), Some(uid.as_str()), "{}", show(&out));
    assert_eq!(lines.next(), Some(host_name.as_str()), "{}", show(&out));
    let entries: BTreeSet<String> = lines.map(String::from).collect();
    assert_eq!(entries, expected_root_entries(&["sbin"]), "{}", show(&out));
}

/// Runs the example profile tests/fixtures/untrusted-cli.toml from `scratch` with a small
/// known environment.
fn run_untrusted_cli(scratch: &Scratch, args: &[&str]) -> std::process::Output {
    let home = std::env::var("HOME").expect("HOME is set");
    let mut command = sandbox();
    command
        .current_dir(scratch.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", &home)
        .env("USER", "sandbox-user")
        .env("TERM", "dumb")
        .env("SECRET_TOKEN", "must-not-pass")
        .arg("-p")
        .arg(common::fixture("untrusted-cli.toml"))
        .arg("--")
        .args(args);
    output(&mut command)
}

/// A shell script that prints one `name=value` line for each property of the sandbox that
/// the comments of untrusted-cli.toml promise.
const UNTRUSTED_CLI_CHECKS: &str = r#"
echo "hostname=$(hostname)"
echo "etc-hostname=$(cat /etc/hostname)"
touch /usr/sandbox-test 2>/dev/null && echo usr=writable || echo usr=read-only
touch /etc/sandbox-test 2>/dev/null && echo etc=writable || echo etc=read-only
touch ./written-inside && echo pwd=writable || echo pwd=read-only
echo "pwd=$(pwd)"
echo "home-entries=$(ls -A "$HOME" | wc -l)"
touch "$HOME/file" && echo home=writable || echo home=read-only
echo "interfaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"
echo "tmp-mode=$(stat -c %a /tmp)"
echo "tmp-bytes=$(stat -f -c '%b * %S' /tmp | xargs expr)"
echo "usr-link=$(readlink /tmp/usr-link)"
[ -d /bin/ ] && [ -x /bin/sh ] && echo bin=directory || echo bin=other
echo "root=$(ls / | tr '\n' ' ')"
"#;

#[test]
fn untrusted_cli_example_behaves_as_documented() {
    let scratch = Scratch::new();

    let out = run_untrusted_cli(&scratch, &["sh", "-c", UNTRUSTED_CLI_CHECKS]);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let text = stdout(&out);
    let value = |name: &str| {
        let prefix = format!("{name}=");
        let mut values = text.lines().filter_map(|line| line.strip_prefix(&prefix));
        values.next().unwrap_or("<missing>").to_string()
    };
    let context = show(&out);
    assert_eq!(value("hostname"), "sandbox", "{context}");
    assert_eq!(value("etc-hostname"), "sandbox", "{context}");
    assert_eq!(value("usr"), "read-only", "{context}");
    assert_eq!(value("etc"), "read-only", "{context}");
    let pwd_values: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("pwd="))
        .collect();
    assert_eq!(pwd_values.first(), Some(&"writable"), "{context}");
    let scratch_path = scratch.path().to_str().unwrap();
    assert_eq!(pwd_values.get(1), Some(&scratch_path), "{context}");
    assert!(scratch.path().join("written-inside").exists(), "{context}");
    assert_eq!(value("home-entries"), "0", "{context}");
    assert_eq!(value("home"), "writable", "{context}");
    assert_eq!(value("interfaces").trim(), "lo", "{context}");
    assert_eq!(value("tmp-mode"), "1777", "{context}");
    assert_eq!(value("tmp-bytes"), (64u64 << 20).to_string(), "{context}");
    assert_eq!(value("usr-link"), "/usr", "{context}");
    assert_eq!(value("bin"), "directory", "{context}");
    let root: BTreeSet<String> = value("root").split_whitespace().map(String::from).collect();
    assert_eq!(root, expected_root_entries(&[]), "{context}");
    assert!(!Path::new("/usr/sandbox-test").exists());
}

#[test]
fn untrusted_cli_example_clears_environment() {
    let scratch = Scratch::new();
    let home = std::env::var("HOME").unwrap();

    // env is the target itself, so no shell adds variables such as PWD.
    let out = run_untrusted_cli(&scratch, &["env"]);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let variables: BTreeSet<String> = stdout(&out).lines().map(String::from).collect();
    let expected: BTreeSet<String> = [
        "PATH=/usr/bin:/bin".to_string(),
        format!("HOME={home}"),
        "USER=sandbox-user".into(),
        "TERM=dumb".into(),
        "SANDBOX=1".into(),
    ]
    .into_iter()
    .collect();
    assert_eq!(variables, expected, "{}", show(&out));
}

/// Lists the entries of the host folders that the launcher may attach the new root over
/// (/tmp, /mnt, /run, /var/tmp) whose name contains `sandbox`, other than the scratch and
/// staging folders of this suite.
///
/// NOTE: entries with other names are not compared, because on a shared machine other
/// processes create temporary files there while the suite runs; a leftover of the launcher
/// with an unrelated name would go unnoticed.
fn host_temp_entries() -> BTreeSet<PathBuf> {
    let suite = ["sandbox-test.", "sandbox-suite."];
    let mut entries = BTreeSet::new();
    for dir in ["/tmp", "/mnt", "/run", "/var/tmp"] {
        let Ok(listing) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in listing.flatten() {
            let name = entry.file_name().to_string_lossy().to_lowercase();
            let ours = suite.iter().any(|prefix| name.starts_with(prefix));
            if name.contains("sandbox") && !ours {
                entries.insert(entry.path());
            }
        }
    }
    entries
}

#[test]
fn runs_leave_nothing_on_host() {
    let scratch = Scratch::new();
    let data = scratch.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let data_text = common::toml_string(data.to_str().unwrap());
    let good = format!(
        "[[mount]]\ntype = \"bind\"\nsource = {data_text}\n\n\
         [[mount]]\ntype = \"file\"\ndest = \"/conf/sandbox-file\"\ncontent = \"x\"\n"
    );
    // Fails after the new root is built, while mounting inside a host bind.
    let failing = format!(
        "[[mount]]\ntype = \"bind\"\nsource = {data_text}\n\n\
         [[mount]]\ntype = \"tmpfs\"\ndest = {}\n",
        common::toml_string(&format!("{}/missing", data.display()))
    );
    let mounts_before = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let temp_before = host_temp_entries();

    for (tail, expected) in [(good, 0), (failing, 125)] {
        let profile = write_profile(&scratch, "", &tail);
        let out = run_profile(&profile, &["sh", "-c", "cat /conf/sandbox-file >/dev/null"]);
        assert_eq!(shell_status(out.status), expected, "{}", show(&out));
    }
    let mut command = sandbox();
    command.current_dir(scratch.path()).arg("true");
    let out = output(&mut command);
    assert_eq!(shell_status(out.status), 0, "{}", show(&out));

    let mounts_after = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert_eq!(mounts_after, mounts_before, "host mounts changed");
    let new_entries: Vec<_> = host_temp_entries()
        .difference(&temp_before)
        .cloned()
        .collect();
    assert!(
        new_entries.is_empty(),
        "new entries on the host: {new_entries:?}"
    );
    let data_entries: Vec<_> = std::fs::read_dir(&data).unwrap().flatten().collect();
    assert!(data_entries.is_empty(), "{data_entries:?}");
}
