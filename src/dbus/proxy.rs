//! The xdg-dbus-proxy helper: where its socket goes, starting it before the sandbox, and
//! stopping it and removing its folder afterwards.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::DbusPolicy;
use crate::profile::{Location, Mount, MountKind};

/// The helper's program name, looked up in the caller's PATH.
const PROXY_PROGRAM: &str = "xdg-dbus-proxy";

/// PATH used for the lookup when the caller has none.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// How long the proxy may take to report that its socket listens. It only creates a socket,
/// so this is generous; the value is a guess, not a measurement.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the proxy may take to exit once its sync pipe is closed before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(2);

/// A failure to start the D-Bus proxy; each ends `sandbox` with exit status 125 before the
/// sandbox starts.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbusError {
    #[error(
        "dbus: {PROXY_PROGRAM} not found in PATH ({}); the profile's [dbus] section needs it: \
         install the xdg-dbus-proxy package, or use a profile without [dbus]",
        path.to_string_lossy()
    )]
    ProxyNotFound { path: OsString },

    #[error(
        "dbus: no session bus at {}; start one, or set DBUS_SESSION_BUS_ADDRESS",
        socket.display()
    )]
    NoSessionBus { socket: PathBuf },

    #[error("dbus: create {} for the proxy socket: {error}", path.display())]
    CreateDir { path: PathBuf, error: io::Error },

    #[error("dbus: start {}: {error}", program.display())]
    Spawn { program: PathBuf, error: io::Error },

    #[error("dbus: {step}: {error}")]
    Sync {
        step: &'static str,
        error: io::Error,
    },

    #[error("dbus: {PROXY_PROGRAM} exited before its socket was ready ({status})")]
    ExitedEarly { status: String },

    #[error("dbus: {PROXY_PROGRAM} did not report its socket ready within {} s", READY_TIMEOUT.as_secs())]
    NotReady,
}

/// The planned proxy: the bus it forwards to, where its socket goes on the host, and its
/// policy arguments. Built by the plan; nothing exists on the host until [`RunningProxy::start`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProxyPlan {
    /// The session bus address the proxy connects to, in D-Bus address syntax.
    pub upstream: String,
    /// A new private folder (mode 0700) holding the socket; removed after the sandbox exits.
    pub host_dir: PathBuf,
    pub host_socket: PathBuf,
    pub arguments: Vec<String>,
}

impl ProxyPlan {
    /// Plans a proxy for `policy`, reading the caller's bus address and runtime folder from
    /// `caller_env`. The folder is named after the launcher's pid, which is unique among
    /// running launchers.
    pub(crate) fn new(policy: &DbusPolicy, caller_env: &[(OsString, OsString)]) -> ProxyPlan {
        let var = |name: &str| {
            caller_env
                .iter()
                .find(|(key, _)| key == name)
                .and_then(|(_, value)| value.to_str())
                .filter(|value| !value.is_empty())
        };
        // A runtime folder that does not exist gives way to /tmp for the socket folder.
        let runtime_dir = var("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|dir| dir.is_absolute() && dir.is_dir());
        let upstream = match var("DBUS_SESSION_BUS_ADDRESS") {
            Some(address) => address.to_string(),
            None => {
                let runtime_dir = runtime_dir.clone().unwrap_or_else(|| {
                    PathBuf::from(format!("/run/user/{}", nix::unistd::getuid()))
                });
                format!("unix:path={}", runtime_dir.join("bus").display())
            }
        };
        let parent = runtime_dir.unwrap_or_else(|| PathBuf::from("/tmp"));
        let host_dir = parent.join(format!("sandbox-dbus-{}", std::process::id()));
        ProxyPlan {
            upstream,
            host_socket: host_dir.join("bus"),
            host_dir,
            arguments: policy.proxy_arguments(),
        }
    }
}

impl fmt::Display for ProxyPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "start {PROXY_PROGRAM} from {} to {} {}",
            self.upstream,
            self.host_socket.display(),
            self.arguments.join(" ")
        )
    }
}

/// Plans the proxy for `policy`: adds the bind of its socket to `mounts` and points the
/// target's `env` at it.
pub(crate) fn prepare(
    policy: &DbusPolicy,
    mounts: &mut Vec<Mount>,
    env: &mut Vec<(OsString, OsString)>,
) -> ProxyPlan {
    let caller_env: Vec<_> = std::env::vars_os().collect();
    let plan = ProxyPlan::new(policy, &caller_env);
    mounts.push(socket_mount(policy, &plan));
    set_bus_address(policy, env);
    plan
}

/// Builds the bind of the proxy's socket at the policy's socket path, placed after every
/// mount of the profile so that a tmpfs holding it (the runtime folder) is already there.
fn socket_mount(policy: &DbusPolicy, plan: &ProxyPlan) -> Mount {
    let origin = policy.origin.clone().unwrap_or_else(|| Location {
        file: Arc::from(Path::new("[dbus]")),
        line: 1,
        column: 1,
    });
    Mount {
        dest: policy
            .socket
            .clone()
            .unwrap_or_else(|| plan.host_socket.clone()),
        kind: MountKind::Bind {
            source: plan.host_socket.clone(),
            read_only: true,
            devices: false,
        },
        optional: false,
        create: false,
        origin,
    }
}

/// Points `DBUS_SESSION_BUS_ADDRESS` of the target's environment at the proxied socket,
/// replacing the caller's address, which names a socket the sandbox does not contain.
fn set_bus_address(policy: &DbusPolicy, env: &mut Vec<(OsString, OsString)>) {
    let Some(socket) = &policy.socket else {
        return;
    };
    let mut address = OsString::from("unix:path=");
    address.push(socket);
    env.retain(|(name, _)| name != "DBUS_SESSION_BUS_ADDRESS");
    env.push(("DBUS_SESSION_BUS_ADDRESS".into(), address));
    env.sort();
}

/// A started proxy. Dropping it in the launcher stops the proxy and removes its folder.
pub(crate) struct RunningProxy {
    child: Child,
    /// Read end of the pipe whose write end the proxy has (`--fd`): the proxy exits once every
    /// copy of this end is closed, even when the launcher is killed.
    sync: Option<OwnedFd>,
    host_dir: PathBuf,
    host_socket: PathBuf,
    /// Whether this process cleans up on drop: the launcher does, a forked child does not.
    owner: bool,
}

impl RunningProxy {
    /// Creates the socket folder, starts the proxy and waits until its socket listens.
    pub(crate) fn start(plan: &ProxyPlan) -> Result<RunningProxy, DbusError> {
        let program = find_program()?;
        check_upstream(&plan.upstream)?;
        let (read_end, write_end) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .map_err(|errno| sync_error("create sync pipe", errno.into()))?;
        // The proxy inherits the write end: the only descriptor without close-on-exec.
        rustix::io::fcntl_setfd(&write_end, rustix::io::FdFlags::empty())
            .map_err(|errno| sync_error("pass sync pipe", errno.into()))?;

        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&plan.host_dir)
            .map_err(|error| DbusError::CreateDir {
                path: plan.host_dir.clone(),
                error,
            })?;
        log::debug!("dbus: {plan}");
        let spawned = spawn(&program, plan, &write_end);
        drop(write_end);
        let child = spawned.map_err(|error| {
            let _ = std::fs::remove_dir(&plan.host_dir);
            DbusError::Spawn { program, error }
        })?;

        // From here on, dropping `proxy` stops it and removes the folder, on errors too.
        let mut proxy = RunningProxy {
            child,
            sync: Some(read_end),
            host_dir: plan.host_dir.clone(),
            host_socket: plan.host_socket.clone(),
            owner: true,
        };
        proxy.wait_ready()?;
        log::debug!(
            "dbus: proxy pid {} listens on {}",
            proxy.child.id(),
            plan.host_socket.display()
        );
        Ok(proxy)
    }

    /// Waits for the byte that xdg-dbus-proxy writes to its `--fd` once it listens.
    fn wait_ready(&mut self) -> Result<(), DbusError> {
        let Some(sync) = &self.sync else {
            return Err(DbusError::NotReady);
        };
        let timeout = rustix::time::Timespec {
            tv_sec: READY_TIMEOUT.as_secs() as _,
            tv_nsec: 0,
        };
        let mut fds = [rustix::event::PollFd::new(
            sync,
            rustix::event::PollFlags::IN,
        )];
        let ready = rustix::event::poll(&mut fds, Some(&timeout))
            .map_err(|errno| sync_error("wait for the proxy", errno.into()))?;
        if ready == 0 {
            return Err(DbusError::NotReady);
        }
        let mut byte = [0u8; 1];
        let read = rustix::io::read(sync, &mut byte)
            .map_err(|errno| sync_error("read from the proxy", errno.into()))?;
        if read == 1 {
            return Ok(());
        }
        // End of file: the proxy exited without writing.
        let status = (self.child.wait()).map_or_else(|err| err.to_string(), |s| s.to_string());
        Err(DbusError::ExitedEarly { status })
    }

    /// Closes this process's copy of the sync pipe and gives up cleaning up: for the child
    /// forked from the launcher, which shares the proxy but must not stop it.
    pub(crate) fn release_in_child(mut self) {
        self.owner = false;
        self.sync = None;
    }

    /// Stops the proxy: closing the sync pipe makes it exit, and a proxy that does not
    /// exit in time is killed.
    fn stop(&mut self) {
        self.sync = None;
        if self.wait_for_exit(STOP_TIMEOUT) {
            return;
        }
        log::warn!(
            "dbus: {PROXY_PROGRAM} (pid {}) did not exit; killing it",
            self.child.id()
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits until the proxy has exited and is reaped, for at most `timeout`; returns whether
    /// it has. The wait is a poll on a pidfd, so it ends as soon as the proxy exits.
    fn wait_for_exit(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                // ECHILD: the launcher already reaped it among the target's leftovers.
                Ok(Some(_)) | Err(_) => return true,
                Ok(None) => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            // The child is not reaped yet, so its pid cannot have been reused.
            let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32) else {
                return false;
            };
            let Ok(pidfd) = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
            else {
                // Without pidfds (Linux before 5.3), fall back to checking every 10 ms.
                std::thread::sleep(left.min(Duration::from_millis(10)));
                continue;
            };
            let mut fds = [rustix::event::PollFd::new(
                &pidfd,
                rustix::event::PollFlags::IN,
            )];
            let wait = rustix::time::Timespec::try_from(left).unwrap_or_default();
            // EINTR or a timeout only lead to the next round, which checks the deadline.
            let _ = rustix::event::poll(&mut fds, Some(&wait));
        }
    }
}

impl Drop for RunningProxy {
    fn drop(&mut self) {
        if !self.owner {
            return;
        }
        self.stop();
        // xdg-dbus-proxy removes its socket when it exits normally, not when it is killed.
        match std::fs::remove_file(&self.host_socket) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => log::warn!("dbus: remove {}: {err}", self.host_socket.display()),
        }
        if let Err(err) = std::fs::remove_dir(&self.host_dir) {
            log::warn!("dbus: remove {}: {err}", self.host_dir.display());
        }
    }
}

/// Starts xdg-dbus-proxy for `plan`, reporting readiness on `sync`.
fn spawn(program: &Path, plan: &ProxyPlan, sync: &OwnedFd) -> io::Result<Child> {
    Command::new(program)
        .arg(format!("--fd={}", sync.as_fd().as_raw_fd()))
        .arg(&plan.upstream)
        .arg(&plan.host_socket)
        .args(&plan.arguments)
        .stdin(Stdio::null())
        // Its own process group, so a Ctrl-C meant for the target does not end the proxy
        // before the target.
        .process_group(0)
        .spawn()
}

fn sync_error(step: &'static str, error: io::Error) -> DbusError {
    DbusError::Sync { step, error }
}

/// Finds xdg-dbus-proxy in the caller's PATH.
pub(crate) fn find_program() -> Result<PathBuf, DbusError> {
    let path = std::env::var_os("PATH")
        .filter(|path| !path.is_empty())
        .unwrap_or_else(|| OsString::from(DEFAULT_PATH));
    std::env::split_paths(&path)
        .map(|dir| dir.join(PROXY_PROGRAM))
        .find(|candidate| is_executable(candidate))
        .ok_or(DbusError::ProxyNotFound { path })
}

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Fails when the bus address names a socket path that does not exist, so a missing bus is
/// reported now rather than as a refused connection inside the sandbox. Other address forms
/// (abstract sockets, TCP) are left to the proxy.
fn check_upstream(address: &str) -> Result<(), DbusError> {
    // An address may list several alternatives separated by `;`; the first is checked.
    let first = address.split(';').next().unwrap_or_default();
    let Some(options) = first.strip_prefix("unix:") else {
        return Ok(());
    };
    let socket = options
        .split(',')
        .find_map(|option| option.strip_prefix("path="))
        .map(|path| PathBuf::from(OsStr::new(path)));
    match socket {
        Some(socket) if !socket.exists() => Err(DbusError::NoSessionBus { socket }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(name, value)| (OsString::from(name), OsString::from(value)))
            .collect()
    }

    #[test]
    fn plan_uses_caller_bus_address() {
        let plan = ProxyPlan::new(
            &DbusPolicy::default(),
            &env(&[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/x/bus")]),
        );
        assert_eq!(plan.upstream, "unix:path=/x/bus");
        assert_eq!(plan.arguments, ["--filter"]);
    }

    #[test]
    fn plan_socket_in_private_folder() {
        let plan = ProxyPlan::new(&DbusPolicy::default(), &env(&[]));
        assert_eq!(plan.host_socket, plan.host_dir.join("bus"));
        let name = plan
            .host_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(name, format!("sandbox-dbus-{}", std::process::id()));
    }

    #[test]
    fn socket_mount_binds_proxy_socket_read_only() {
        let policy = DbusPolicy {
            socket: Some(PathBuf::from("/run/user/7/bus")),
            ..DbusPolicy::default()
        };
        let plan = ProxyPlan::new(&policy, &env(&[]));
        let mount = socket_mount(&policy, &plan);
        assert_eq!(mount.dest, Path::new("/run/user/7/bus"));
        assert_eq!(
            mount.kind,
            MountKind::Bind {
                source: plan.host_socket.clone(),
                read_only: true,
                devices: false,
            }
        );
    }

    #[test]
    fn bus_address_replaces_caller_address() {
        let policy = DbusPolicy {
            socket: Some(PathBuf::from("/run/user/7/bus")),
            ..DbusPolicy::default()
        };
        let mut target_env = env(&[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/host"), ("A", "1")]);
        set_bus_address(&policy, &mut target_env);
        assert_eq!(
            target_env,
            env(&[
                ("A", "1"),
                ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/7/bus")
            ])
        );
    }

    #[test]
    fn upstream_missing_socket_rejected() {
        let error = check_upstream("unix:path=/nonexistent/bus").unwrap_err();
        assert!(matches!(error, DbusError::NoSessionBus { .. }), "{error}");
    }

    #[test]
    fn upstream_abstract_left_to_proxy() {
        assert!(check_upstream("unix:abstract=/tmp/dbus-x,guid=1").is_ok());
    }
}
