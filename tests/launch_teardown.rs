//! Integration tests of the end of a sandbox with a pid namespace: what `sandbox` leaves
//! behind when it returns, and how init ends the processes that the target left running.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::process::{
    EVENT_TIMEOUT, Running, kill_all, output, pids_with_marker, shell_status, unique_marker,
    wait_timeout,
};
use common::{BASE_MOUNTS, Scratch, probe, ro_bind, sandbox, sandbox_bin, show, stderr, stdout};

/// Writes `profile.toml` into `scratch`: `head`, the base mounts and a bind of the probes'
/// folder.
fn write_profile(scratch: &Scratch, head: &str) -> PathBuf {
    let probes = probe("launcher_subreaper");
    let text = format!(
        "{head}\n{BASE_MOUNTS}\n{}",
        ro_bind(probes.parent().unwrap())
    );
    scratch.write("profile.toml", &text)
}

#[test]
fn subreaper_caller_reaps_init_at_once() {
    // Service managers and container inits run commands as child subreapers. `sandbox`
    // returns as soon as init reports the command's status, before init's own exit, so such
    // a caller may inherit init. Init has ended every other process of the sandbox by then,
    // so reaping it must not wait for anything. The probe reaps what it inherits with a
    // blocking waitpid after each round.
    let scratch = Scratch::new();
    let profile = write_profile(&scratch, "");
    let mut command = Command::new(probe("launcher_subreaper"));
    command
        .stdin(Stdio::null())
        .arg("10")
        .arg(sandbox_bin())
        .arg("-p")
        .arg(&profile)
        .args(["--", "sh", "-c", "exit 3"]);

    let out = output(&mut command);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    assert!(stdout(&out).contains("status 3\n"), "{}", show(&out));
}

/// A process that changes its uid away from the target's, then a target that exits once
/// that process runs. `MARKER` names a symlink to sleep, so the process shows in the host's
/// /proc.
const SETUID_SLEEP: &str = "ln -s /bin/sleep \"/tmp/$MARKER\" && \
     setpriv --reuid=65534 --regid=65534 --clear-groups \
     sh -c 'echo > /tmp/started; exec \"/tmp/$MARKER\" 1000' & \
     while [ ! -e /tmp/started ]; do sleep 0.05; done; exit 5";

#[test]
fn target_exit_kills_process_of_other_uid() {
    // Root without a user namespace may keep CAP_SETUID for the command, whose processes may
    // then run under other uids. When the target exits, `sandbox` must end them all and
    // return, as it does for processes of the target's own uid.
    if !common::is_root() {
        eprintln!("skipped: keeping CAP_SETUID without a user namespace needs root");
        return;
    }
    let scratch = Scratch::new();
    let head = "[namespaces]\nuser = false\n\n\
                [process]\ncapabilities = [\"CAP_SETUID\", \"CAP_SETGID\"]\n";
    let profile = write_profile(&scratch, head);
    let marker = unique_marker("setuid");
    let mut command = sandbox();
    command
        .env("MARKER", &marker)
        .arg("-p")
        .arg(&profile)
        .args(["--", "sh", "-c", SETUID_SLEEP]);
    let mut running = Running::spawn(&mut command);

    let status = wait_timeout(&mut running.child, EVENT_TIMEOUT);

    let left = pids_with_marker(&marker);
    kill_all(&left);
    let status = status.map(shell_status);
    assert_eq!(
        status,
        Some(5),
        "sandbox did not return after the target exited"
    );
    assert!(left.is_empty(), "processes left: {left:?}");
}

#[test]
fn network_namespace_limit_named_in_error() {
    // The target creates the network namespace itself. When the limit on network namespaces
    // is reached, the error must name that limit, not the one on user namespaces. The test
    // lowers the limit inside a user namespace of its own, which covers every namespace
    // that `sandbox` creates below it.
    let scratch = Scratch::new();
    let profile = write_profile(&scratch, "");
    let script = "echo 0 > /proc/sys/user/max_net_namespaces && exec \"$@\"";
    let mut command = Command::new("unshare");
    command
        .stdin(Stdio::null())
        .args(["--user", "--map-root-user", "sh", "-c", script, "sh"])
        .arg(sandbox_bin())
        .arg("-p")
        .arg(&profile)
        .args(["--", "true"]);

    let out = output(&mut command);

    assert_eq!(shell_status(out.status), 125, "{}", show(&out));
    let message = stderr(&out);
    assert_eq!(message.lines().count(), 1, "{}", show(&out));
    assert!(message.contains("CLONE_NEWNET"), "{}", show(&out));
    assert!(message.contains("max_net_namespaces"), "{}", show(&out));
    assert!(!message.contains("max_user_namespaces"), "{}", show(&out));
}
