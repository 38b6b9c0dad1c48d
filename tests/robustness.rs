//! Odd input and odd output channels: the launcher must fail with a clear message and status
//! 125, or stop quietly, and never panic.

mod common;

use std::fs::File;
use std::process::Stdio;

use common::{Scratch, sandbox, show, stderr};

#[test]
fn profile_device_rejected() {
    let out = sandbox().args(["check", "/dev/zero"]).output().unwrap();

    assert_eq!(out.status.code(), Some(125), "{}", show(&out));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        show(&out)
    );
}

#[test]
fn profile_fifo_rejected_without_blocking() {
    let scratch = Scratch::new();
    let fifo = scratch.path().join("fifo.toml");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();

    // Opening a FIFO for reading would block until a writer appears; the loader must not.
    let out = sandbox().arg("check").arg(&fifo).output().unwrap();

    assert_eq!(out.status.code(), Some(125), "{}", show(&out));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        show(&out)
    );
}

#[test]
fn uid_minus_one_rejected() {
    let scratch = Scratch::new();
    let profile = scratch.write("uid.toml", "[process]\nuid = 4294967295\n");

    let out = sandbox().arg("check").arg(&profile).output().unwrap();

    assert_eq!(out.status.code(), Some(125), "{}", show(&out));
    assert!(
        stderr(&out).contains("uid.toml:2:7: process.uid"),
        "{}",
        show(&out)
    );
}

#[test]
fn stdout_full_fails_with_125() {
    let full = File::options().write(true).open("/dev/full").unwrap();

    let out = sandbox()
        .arg("schema")
        .stdout(Stdio::from(full))
        .stderr(Stdio::piped())
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(125), "{}", show(&out));
    assert!(
        stderr(&out).contains("write to standard output: ENOSPC"),
        "{}",
        show(&out)
    );
}

#[test]
fn stdout_closed_pipe_ends_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);

    let out = sandbox()
        .args(["seccomp", "default"])
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(stderr(&out), "", "{}", show(&out));
}

#[test]
fn skipped_mount_limits_landlock_rule() {
    // From /proc the default profile skips its ${PWD} bind, because it would replace the
    // sandbox's own /proc; its Landlock write rule on ${PWD} must then not grant writing there.
    let out = sandbox()
        .current_dir("/proc")
        .args([
            "sh",
            "-c",
            "echo 500 > /proc/1/oom_score_adj && echo written",
        ])
        .output()
        .unwrap();

    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("written"),
        "{}",
        show(&out)
    );
    assert!(
        stderr(&out).contains("limited to reading"),
        "{}",
        show(&out)
    );
}

#[test]
fn missing_loader_is_126_with_hint() {
    let scratch = Scratch::new();
    // /usr alone: the program is there but its dynamic loader under /lib64 is not.
    let profile = scratch.write(
        "usr-only.toml",
        "[[mount]]\ntype = \"ro-bind\"\nsource = \"/usr\"\n",
    );

    let out = sandbox()
        .arg("-p")
        .arg(&profile)
        .arg("/usr/bin/true")
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(126), "{}", show(&out));
    assert!(
        stderr(&out).contains("interpreter is missing"),
        "{}",
        show(&out)
    );
}

#[test]
fn shared_pid_namespace_cannot_signal_launcher() {
    let scratch = Scratch::new();
    // Without a pid namespace `sandbox` is the target's parent. Killing it would leave the
    // target's descendants running, so the launcher adds Landlock's signal scope.
    let text = "[namespaces]\npid = false\n\n[[mount]]\ntype = \"ro-bind\"\nsource = \"/\"\n";
    let profile = scratch.write("no-pid.toml", text);

    let out = sandbox()
        .arg("-p")
        .arg(&profile)
        .args(["sh", "-c", "kill -TERM $PPID; echo \"kill=$?\""])
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "kill=1\n",
        "{}",
        show(&out)
    );
}

#[test]
fn realtime_signal_exit_status() {
    // 34 is SIGRTMIN on Linux; nix's Signal has no value for it, which once broke waiting.
    let out = sandbox()
        .args(["sh", "-c", "kill -s 34 $$"])
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(128 + 34), "{}", show(&out));
}

#[test]
fn ignored_sigchld_does_not_hang() {
    use std::os::unix::process::CommandExt;

    let mut command = sandbox();
    command.args(["sh", "-c", "echo target ran"]);
    // SAFETY: the closure runs in the forked child before exec and only calls signal(2),
    // which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGCHLD, libc::SIG_IGN);
            Ok(())
        });
    }
    // An ignored SIGCHLD survives execve; the launcher must not wait for one forever.
    let out = common::process::output(&mut command);

    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "target ran\n",
        "{}",
        show(&out)
    );
}

#[test]
fn writable_bind_on_root_with_file_mount() {
    let scratch = Scratch::new();
    let root = scratch.path().join("root");
    for dir in ["usr", "bin", "lib", "lib64", "etc"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    std::fs::write(root.join("etc/motd"), "host\n").unwrap();
    let root_text = root.to_str().unwrap();
    let mut text = format!(
        "[[mount]]\ntype = \"bind\"\nsource = \"{root_text}\"\ndest = \"/\"\n\n\
         [[mount]]\ntype = \"file\"\ndest = \"/etc/motd\"\ncontent = \"sandbox\\n\"\n"
    );
    for dir in ["/usr", "/bin", "/lib", "/lib64"] {
        let optional = if dir == "/lib64" {
            "optional = true\n"
        } else {
            ""
        };
        text.push_str(&format!(
            "\n[[mount]]\ntype = \"ro-bind\"\nsource = \"{dir}\"\n{optional}"
        ));
    }
    let profile = scratch.write("root-bind.toml", &text);

    let out = sandbox()
        .arg("-p")
        .arg(&profile)
        .args(["sh", "-c", "cat /etc/motd; touch /written && echo written"])
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "sandbox\nwritten\n",
        "{}",
        show(&out)
    );
    assert!(root.join("written").exists(), "{}", show(&out));
    // The file mount's staging folder lives on the sandbox's tmpfs, never on the host.
    assert!(!root.join(".sandbox-staging").exists());
    assert_eq!(
        std::fs::read_to_string(root.join("etc/motd")).unwrap(),
        "host\n"
    );
}

#[test]
fn interrupt_reaches_shell_foreground_command() {
    use common::process::Running;
    use nix::sys::signal::Signal;

    // A shell in a new session has no job control, so its foreground command shares its
    // process group. A Ctrl-C forwarded by sandbox must stop that command, as it would on a
    // terminal, not only the shell, which here traps it and goes on.
    let script = "trap 'echo trapped' INT; sh -c 'echo ready; exec sleep 60'; echo \"after=$?\"";
    let mut command = sandbox();
    command
        .args(["sh", "-c", script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut running = Running::spawn(&mut command);
    running
        .stdout
        .line_matching("readiness line", |line| line == "ready");

    running.signal(Signal::SIGINT);

    let line = running
        .stdout
        .line_matching("after line", |line| line.starts_with("after="));
    assert_eq!(line, "after=130", "{}", running.stdout.transcript());
    running.wait();
}
