//! Process lifecycle: the launcher waiting for the sandbox, the init that runs as pid 1,
//! signal forwarding and exit statuses.

use std::io;
use std::os::fd::{AsFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::signal::{SigSet, Signal, kill, killpg};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;

use super::sys;

/// Signals passed on to the target: the ones a terminal or a service manager sends to ask a
/// program to stop, reload or redraw.
pub(crate) const FORWARDED: &[Signal] = &[
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGWINCH,
];

/// Returns the forwarded signals and SIGCHLD. The launcher and init block them and take them
/// with sigwaitinfo instead of handling them asynchronously.
pub(crate) fn waited_signals() -> SigSet {
    let mut set = SigSet::empty();
    for signal in FORWARDED {
        set.add(*signal);
    }
    set.add(Signal::SIGCHLD);
    set
}

/// Sends `signal` to the process group led by `pid` when `to_group` is set and that group
/// exists, else to `pid` alone.
///
/// A target in a session of its own leads a process group that contains it and the children
/// it starts without job control (a shell's foreground command), like a terminal's foreground
/// group. Sending there lets Ctrl-C stop that command, not only the shell. Before the
/// target has called setsid the group does not exist yet (ESRCH), and the process gets it.
fn forward(pid: Pid, signal: Signal, to_group: bool) -> nix::Result<()> {
    if to_group {
        match killpg(pid, signal) {
            Err(Errno::ESRCH) => {}
            sent => return sent,
        }
    }
    kill(pid, signal)
}

/// How long the launcher waits before it releases its read-only pages (see
/// [`sys::release_read_only_segments`]).
const RELEASE_PAGES_AFTER: std::time::Duration = std::time::Duration::from_millis(50);

/// Waits until `child` exits, forwarding signals to it, and returns its exit code.
///
/// `forward_terminal_signals` is set when the target does not share the caller's process
/// group (new session): then a Ctrl-C from the terminal reaches only `sandbox` and must be
/// passed on. Otherwise the terminal already delivered it to the target, and only signals
/// sent with kill(2) are forwarded, so none arrives twice. `child_is_target` is set when no
/// init runs between the launcher and the target; signals then go to the target's group.
///
/// `status` is the read end of the pipe on which init sends the target's exit code once
/// every process of the sandbox has ended. The launcher returns as soon as the code arrives,
/// so it does not wait while the kernel tears the namespaces down after init exits. When the
/// pipe closes without a code (init failed), the code is init's exit status.
pub(crate) fn supervise(
    child: Pid,
    forward_terminal_signals: bool,
    child_is_target: bool,
    mut status: Option<OwnedFd>,
) -> io::Result<u8> {
    let signals = SignalFd::with_flags(&waited_signals(), SfdFlags::SFD_CLOEXEC)?;
    let mut released = false;
    loop {
        // The launcher's pages are released only once the sandbox has run for a while. A
        // short command ends before that and pays nothing, and the launcher does not compete
        // for a CPU with the child while the child builds the sandbox.
        let timeout = (!released).then_some(RELEASE_PAGES_AFTER);
        let ready =
            sys::wait_readable(signals.as_fd(), status.as_ref().map(|s| s.as_fd()), timeout)?;
        if ready.timed_out {
            sys::release_read_only_segments();
            released = true;
            continue;
        }
        if let (true, Some(pipe)) = (ready.second, &status) {
            let mut code = [0u8];
            match rustix::io::read(pipe, &mut code) {
                Ok(1) => return Ok(code[0]),
                Ok(_) | Err(_) => status = None,
            }
        }
        if !ready.first {
            continue;
        }
        let Some(pending) = signals.read_signal()? else {
            continue;
        };
        let from_kernel = pending.ssi_code == libc::SI_KERNEL;
        if pending.ssi_signo == libc::SIGCHLD as u32 {
            if let Some(code) = reap(child)? {
                return Ok(code);
            }
            continue;
        }
        if from_kernel && !forward_terminal_signals {
            continue;
        }
        let signal = Signal::try_from(pending.ssi_signo as libc::c_int).map_err(io::Error::from)?;
        log::debug!("forwarding {signal} to pid {child}");
        // ESRCH: the child exited and its SIGCHLD is pending; the next round reaps it.
        let to_group = forward_terminal_signals && child_is_target;
        match forward(child, signal, to_group) {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(errno) => return Err(errno.into()),
        }
    }
}

/// Reaps every child that has exited, without blocking, and returns the exit code of `child`
/// when it is one of them. Without a pid namespace the launcher is a child subreaper, so
/// orphans of the target become its children and would stay zombies until the target exits
/// if only `child` were reaped.
fn reap(child: Pid) -> io::Result<Option<u8>> {
    let mut code = None;
    while let Some(ended) = sys::reap_one()? {
        if ended.pid == child.as_raw() {
            code = Some(ended.code);
        }
    }
    Ok(code)
}

/// Runs as pid 1 of the sandbox's pid namespace: reaps every process that ends up as its
/// child, passes on signals sent to it with kill(2), and returns the target's exit code once
/// the target exits. Its own exit then makes the kernel kill everything left in the
/// namespace.
///
/// With `target_has_session` the target leads its own process group, and signals go to that
/// group (see [`forward`]).
pub(crate) fn run_init(target: Pid, target_has_session: bool) -> io::Result<u8> {
    let set = waited_signals();
    loop {
        let pending = sys::wait_signal(&set)?;
        if pending.signal != libc::SIGCHLD {
            // A signal from the terminal went to the target's process group already.
            if !pending.from_kernel {
                let signal = Signal::try_from(pending.signal).map_err(io::Error::from)?;
                let _ = forward(target, signal, target_has_session);
            }
            continue;
        }
        while let Some(ended) = sys::reap_one()? {
            if ended.pid == target.as_raw() {
                return Ok(ended.code);
            }
        }
    }
}

/// Kills every process left in init's pid namespace and reaps them all, so that none is
/// alive when init reports the target's exit code. The kernel would kill them when init
/// exits too, but the launcher does not wait for init's exit.
pub(crate) fn end_pid_namespace() {
    // From pid 1, kill(-1) reaches every process of the namespace but init itself.
    let _ = kill(Pid::from_raw(-1), Signal::SIGKILL);
    // Orphans are re-parented to init, so once it has no child left, no process is.
    // NOTE: a process that init may not signal (init could not keep CAP_KILL) or that stays
    // in uninterruptible sleep keeps init, and so `sandbox`, waiting here, as the kernel
    // would at init's exit.
    while waitpid(Pid::from_raw(-1), None).is_ok() {}
}

/// Kills and reaps every process left below the launcher after the target exited, for
/// sandboxes without a pid namespace. The launcher is a child subreaper there, so orphans of
/// the target are re-parented to it and listed as its children.
pub(crate) fn kill_leftovers() {
    let children_file = format!("/proc/self/task/{}/children", nix::unistd::getpid());
    loop {
        let Ok(list) = std::fs::read_to_string(&children_file) else {
            return;
        };
        let pids: Vec<Pid> = list
            .split_whitespace()
            .filter_map(|pid| pid.parse().ok())
            .map(Pid::from_raw)
            .collect();
        if pids.is_empty() {
            return;
        }
        for pid in &pids {
            log::debug!("killing leftover process {pid}");
            let _ = kill(*pid, Signal::SIGKILL);
        }
        for pid in &pids {
            let _ = waitpid(*pid, None);
        }
    }
}
