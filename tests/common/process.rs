//! Processes under test: output with a timeout, a running `sandbox` whose output is read line
//! by line, and processes on the host found by a marker in their argv.
//!
//! Every wait here is bounded, so a sandbox that hangs fails its test instead of hanging the
//! suite. Waits use an event (a readable pipe, a pidfd) wherever one exists; only a state of
//! /proc, which sends no event, is polled.

use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};

/// Maximum time a whole `sandbox` run may take before its test fails. Generous, because the
/// suite shares a small machine with other builds.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Maximum time to wait for one event: a line of output, an exit, a process to disappear.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs `command` to completion with stdout and stderr captured, like `Command::output`, but
/// kills it with SIGKILL and panics when it takes longer than [`RUN_TIMEOUT`].
pub fn output(command: &mut Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn command");
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let stdout_reader = thread::spawn(move || read_all(stdout));
    let stderr_reader = thread::spawn(move || read_all(stderr));
    let status = wait_timeout(&mut child, RUN_TIMEOUT);
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{command:?} did not exit within {RUN_TIMEOUT:?}");
    };
    Output {
        status,
        stdout: stdout_reader.join().expect("stdout reader"),
        stderr: stderr_reader.join().expect("stderr reader"),
    }
}

fn read_all(mut source: impl Read) -> Vec<u8> {
    let mut bytes = Vec::new();
    source.read_to_end(&mut bytes).expect("read output");
    bytes
}

/// Waits up to `timeout` for `child` to exit and reaps it; `None` when it is still running.
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("child pid is positive");
    let pidfd =
        rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).expect("pidfd_open");
    // A pidfd becomes readable when the process exits.
    if !wait_readable(pidfd.as_fd(), timeout) {
        return None;
    }
    Some(child.wait().expect("wait for child"))
}

/// Waits up to `timeout` for `fd` to become readable or hang up; false on timeout.
fn wait_readable(fd: BorrowedFd<'_>, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let timespec = rustix::time::Timespec {
            tv_sec: left.as_secs() as i64,
            tv_nsec: i64::from(left.subsec_nanos()),
        };
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        match rustix::event::poll(&mut fds, Some(&timespec)) {
            Ok(0) => return false,
            Ok(_) => return true,
            Err(rustix::io::Errno::INTR) => continue,
            Err(errno) => panic!("poll: {errno}"),
        }
    }
}

/// Reads lines from a descriptor with a timeout on each line.
pub struct LineReader<F: AsFd + Read> {
    source: F,
    /// Bytes read but not yet returned as a line.
    pending: Vec<u8>,
    /// Everything read so far, for failure messages.
    transcript: Vec<u8>,
}

impl<F: AsFd + Read> LineReader<F> {
    pub fn new(source: F) -> LineReader<F> {
        LineReader {
            source,
            pending: Vec::new(),
            transcript: Vec::new(),
        }
    }

    /// Returns the next line without its line ending (`\n` or `\r\n`), or `None` at end of
    /// input. Panics when no full line arrives within [`EVENT_TIMEOUT`].
    pub fn next_line(&mut self) -> Option<String> {
        let deadline = Instant::now() + EVENT_TIMEOUT;
        loop {
            if let Some(end) = self.pending.iter().position(|byte| *byte == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                let text = String::from_utf8_lossy(&line);
                return Some(text.trim_end_matches(['\n', '\r']).to_string());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if !wait_readable(self.source.as_fd(), left) {
                panic!(
                    "no line within {EVENT_TIMEOUT:?}; read so far: {:?}",
                    String::from_utf8_lossy(&self.transcript)
                );
            }
            let mut buffer = [0u8; 4096];
            let count = match self.source.read(&mut buffer) {
                Ok(count) => count,
                // A pty master reads EIO once every slave descriptor is closed.
                Err(err) if err.raw_os_error() == Some(libc::EIO) => 0,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) => panic!("read: {err}"),
            };
            if count == 0 {
                if self.pending.is_empty() {
                    return None;
                }
                let rest = String::from_utf8_lossy(&self.pending).into_owned();
                self.pending.clear();
                return Some(rest);
            }
            self.pending.extend_from_slice(&buffer[..count]);
            self.transcript.extend_from_slice(&buffer[..count]);
        }
    }

    /// Reads lines until one satisfies `matches` and returns it. Panics at end of input or
    /// when a line takes longer than [`EVENT_TIMEOUT`].
    pub fn line_matching(&mut self, what: &str, matches: impl Fn(&str) -> bool) -> String {
        loop {
            match self.next_line() {
                Some(line) if matches(&line) => return line,
                Some(_) => {}
                None => panic!(
                    "end of output before {what}; read: {:?}",
                    String::from_utf8_lossy(&self.transcript)
                ),
            }
        }
    }

    /// Everything read so far.
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.transcript).into_owned()
    }

    pub fn source_mut(&mut self) -> &mut F {
        &mut self.source
    }
}

/// A `sandbox` running in the background with stdout and stderr piped, killed when dropped.
pub struct Running {
    pub child: Child,
    pub stdout: LineReader<ChildStdout>,
    stderr_reader: Option<thread::JoinHandle<Vec<u8>>>,
}

impl Running {
    /// Spawns `command` with stdout and stderr piped; stdin is left as the command sets it.
    pub fn spawn(command: &mut Command) -> Running {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn command");
        let stdout = LineReader::new(child.stdout.take().expect("piped stdout"));
        let stderr = child.stderr.take().expect("piped stderr");
        let stderr_reader = Some(thread::spawn(move || read_all(stderr)));
        Running {
            child,
            stdout,
            stderr_reader,
        }
    }

    /// Returns everything the process wrote to stderr. Call it after the process exited: it
    /// waits for every holder of the pipe to close it.
    pub fn stderr(&mut self) -> String {
        let reader = self.stderr_reader.take().expect("stderr read once");
        String::from_utf8_lossy(&reader.join().expect("stderr reader")).into_owned()
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends `signal` to the process.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid()), signal)
            .expect("send signal to the sandbox");
    }

    /// Waits up to [`EVENT_TIMEOUT`] for the exit; panics on timeout.
    pub fn wait(&mut self) -> ExitStatus {
        match wait_timeout(&mut self.child, EVENT_TIMEOUT) {
            Some(status) => status,
            None => panic!(
                "sandbox did not exit within {EVENT_TIMEOUT:?}; output: {:?}",
                self.stdout.transcript()
            ),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A child process that is killed and reaped when dropped, so a test that fails leaves no
/// process behind.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Converts an exit status to the shell's convention: the code, or 128+N for a process killed
/// by signal N.
pub fn shell_status(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => panic!("{status:?} is neither an exit nor a signal"),
    }
}

/// Returns a string that no other process on the machine has in its argv: `sandbox-marker-`,
/// `tag`, this process's pid and a counter.
pub fn unique_marker(tag: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("sandbox-marker-{tag}-{}-{count}", std::process::id())
}

/// Sends SIGKILL to each of `pids`, ignoring those that are gone.
pub fn kill_all(pids: &[i32]) {
    for pid in pids {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(*pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// Lists the pids of host processes, other than this one, whose argv contains `marker`.
/// Zombies have an empty argv and are not listed.
pub fn pids_with_marker(marker: &str) -> Vec<i32> {
    let own = std::process::id() as i32;
    let mut pids = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        panic!("cannot list /proc");
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<i32>().ok())
        else {
            continue;
        };
        // The process may exit between the listing and this read.
        let Ok(argv) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let found = argv
            .windows(marker.len())
            .any(|window| window == marker.as_bytes());
        if found && pid != own {
            pids.push(pid);
        }
    }
    pids
}

/// Polls `condition` every 10 ms until it is true or `timeout` passes, and returns its last
/// value.
/// Only for states that send no event, such as the contents of /proc.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}
