//! The exposure report: what the sandbox still lets the target reach, each finding weighted,
//! summed into a score from 0 (locked down) to 10 (no isolation).
//!
//! Every check has a weight (how much it matters) and computes an exposure from 0 to 1 (how
//! much of it the profile leaves open). The score is `10 * sum(weight * exposure) / sum(weight)`
//! over all checks, so it stays within 0 to 10 and adding a check does not need new limits.
//! The weights are a judgement, in the spirit of `systemd-analyze security`: they order
//! profiles, they do not measure risk.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::host::Host;
use crate::dbus::DbusPolicy;
use crate::profile::{Location, MountKind, Profile};

/// One check's result.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Finding {
    /// Stable identifier, for CI scripts that look for one finding.
    pub id: &'static str,
    pub weight: f64,
    /// From 0 (closed) to 1 (fully open).
    pub exposure: f64,
    /// What the target can do, or why this check found nothing open.
    pub detail: String,
    /// The setting responsible, when one is.
    pub origin: Option<String>,
}

/// All findings and their score.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Exposure {
    /// From 0 (locked down) to 10 (no isolation), rounded to one decimal.
    pub score: f64,
    pub findings: Vec<Finding>,
}

/// What the sandbox enforces besides namespaces and mounts, as far as explain can tell.
#[derive(Clone, Debug, Default)]
pub(crate) struct Enforcement {
    /// A Landlock ruleset with file system rights is enforced on this kernel.
    pub landlock_fs: bool,
    /// Landlock restricts TCP connect and bind.
    pub landlock_tcp: bool,
    /// Landlock denies connecting to abstract unix sockets created outside the sandbox.
    pub landlock_abstract_unix: bool,
    /// The seccomp filter is an allow-list: system calls not listed fail.
    pub seccomp_allow_list: bool,
    /// The seccomp filter blocks creating namespaces (unshare, clone with CLONE_NEW*).
    pub seccomp_blocks_namespaces: bool,
    /// A seccomp filter of any kind is installed.
    pub seccomp_filter: bool,
}

/// Capabilities that let the target undo or bypass the rest of the sandbox, or reach the
/// kernel directly. Any other kept capability counts as less exposure.
const DANGEROUS_CAPABILITIES: &[&str] = &[
    "CAP_SYS_ADMIN",
    "CAP_SYS_PTRACE",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_NET_ADMIN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_SETUID",
    "CAP_SETGID",
    "CAP_BPF",
    "CAP_PERFMON",
    "CAP_MKNOD",
    "CAP_SYS_CHROOT",
    "CAP_FOWNER",
];

/// Host folders whose writing changes what other programs on the host run or trust.
const SYSTEM_DIRS: &[&str] = &[
    "/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64", "/boot", "/var", "/opt",
];

/// How much of a host path the target can reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    Hidden,
    PartReadable,
    PartWritable,
    Readable,
    Writable,
}

/// The host file system as the profile's mounts show it to the target.
///
/// NOTE: reach follows the bind mounts only. A later tmpfs that hides part of a bind, a
/// Landlock rule that denies a bound path, and an optional bind whose source is missing on
/// this machine are not taken off, so the exposure errs on the high side for such profiles.
struct View<'p> {
    profile: &'p Profile,
}

impl View<'_> {
    /// Returns how much of the host path `path` the target reaches, and the mount responsible.
    fn reach(&self, path: &Path) -> (Reach, Option<&Location>) {
        if !self.profile.namespaces.mount {
            return (Reach::Writable, None);
        }
        let mut best = (Reach::Hidden, None);
        for mount in &self.profile.mounts {
            let MountKind::Bind {
                source, read_only, ..
            } = &mount.kind
            else {
                continue;
            };
            let reach = match (
                path.starts_with(source),
                source.starts_with(path),
                read_only,
            ) {
                (true, _, false) => Reach::Writable,
                (true, _, true) => Reach::Readable,
                (false, true, false) => Reach::PartWritable,
                (false, true, true) => Reach::PartReadable,
                (false, false, _) => continue,
            };
            if reach > best.0 {
                best = (reach, Some(&mount.origin));
            }
        }
        best
    }

    /// Returns the first `dev-bind`, preferring one that covers `/dev`.
    fn device_bind(&self) -> Option<(&Path, &Location)> {
        let dev_binds = self
            .profile
            .mounts
            .iter()
            .filter_map(|mount| match &mount.kind {
                MountKind::Bind {
                    source,
                    devices: true,
                    ..
                } => Some((source.as_path(), &mount.origin)),
                _ => None,
            });
        let mut found = None;
        for (source, origin) in dev_binds {
            if Path::new("/dev").starts_with(source) {
                return Some((source, origin));
            }
            found = found.or(Some((source, origin)));
        }
        found
    }
}

/// Builds every finding for `profile` on `host`, and the score.
pub(crate) fn assess(profile: &Profile, host: &Host, enforcement: &Enforcement) -> Exposure {
    let view = View { profile };
    let checks = Checks {
        profile,
        host,
        enforcement,
        view,
    };
    let findings = vec![
        checks.host_root(),
        checks.home(),
        checks.host_writable(),
        checks.network(),
        checks.x11(),
        checks.session_bus(),
        checks.system_bus(),
        checks.runtime_dir(),
        checks.devices(),
        checks.pid(),
        checks.ipc(),
        checks.user(),
        checks.capabilities(),
        checks.nested_namespaces(),
        checks.seccomp(),
        checks.landlock(),
        checks.terminal(),
        checks.environment(),
    ];
    Exposure {
        score: score(&findings),
        findings,
    }
}

/// Sums the weighted exposures into a score from 0 to 10 with one decimal.
fn score(findings: &[Finding]) -> f64 {
    let total: f64 = findings.iter().map(|finding| finding.weight).sum();
    let open: f64 = (findings.iter())
        .map(|finding| finding.weight * finding.exposure)
        .sum();
    if total == 0.0 {
        return 0.0;
    }
    (open / total * 100.0).round() / 10.0
}

struct Checks<'a> {
    profile: &'a Profile,
    host: &'a Host,
    enforcement: &'a Enforcement,
    view: View<'a>,
}

fn finding(id: &'static str, weight: f64, exposure: f64, detail: impl Into<String>) -> Finding {
    Finding {
        id,
        weight,
        exposure,
        detail: detail.into(),
        origin: None,
    }
}

impl Finding {
    fn at(mut self, origin: Option<&Location>) -> Finding {
        self.origin = origin.map(Location::to_string);
        self
    }
}

impl Checks<'_> {
    /// Returns where the last file wrote `key`, for findings about a default turned off.
    fn origin_of(&self, key: &str) -> Option<String> {
        let written = self.profile.origins.get(key).last()?;
        Some(written.at.to_string())
    }

    fn namespace_finding(
        &self,
        id: &'static str,
        weight: f64,
        name: &str,
        shared: bool,
    ) -> Finding {
        let key = format!("namespaces.{name}");
        let mut result = match shared {
            true => finding(id, weight, 1.0, String::new()),
            false => finding(id, weight, 0.0, format!("new {name} namespace")),
        };
        result.origin = self.origin_of(&key);
        result
    }

    fn host_root(&self) -> Finding {
        let (reach, origin) = self.view.reach(Path::new("/"));
        let (exposure, detail) = match reach {
            Reach::Writable if !self.profile.namespaces.mount => (
                1.0,
                "the host's whole file system is shared (no mount namespace)",
            ),
            Reach::Writable => (1.0, "the host's root is bound read-write"),
            Reach::Readable => (
                0.5,
                "the host's root is bound read-only: every readable file",
            ),
            _ => (0.0, "the host's root is not bound"),
        };
        finding("host-root", 3.0, exposure, detail).at(origin)
    }

    fn home(&self) -> Finding {
        let Some(home) = &self.host.home else {
            return finding("home", 2.0, 0.0, "HOME is not set; not checked");
        };
        let shown = home.display();
        let (reach, origin) = self.view.reach(home);
        let (exposure, detail) = match reach {
            Reach::Writable => (1.0, format!("home {shown} is writable")),
            Reach::Readable => (
                0.6,
                format!("home {shown} is readable: keys, tokens, history"),
            ),
            Reach::PartWritable => (0.4, format!("parts of home {shown} are writable")),
            Reach::PartReadable => (0.2, format!("parts of home {shown} are readable")),
            Reach::Hidden => (0.0, format!("home {shown} is hidden")),
        };
        finding("home", 2.0, exposure, detail).at(origin)
    }

    /// Host folders outside home that the target can write: a system folder changes what
    /// other programs run; any other folder (a project checkout) matters less.
    fn host_writable(&self) -> Finding {
        let system = SYSTEM_DIRS.iter().find_map(|dir| {
            let (reach, origin) = self.view.reach(Path::new(dir));
            (reach == Reach::Writable).then_some((dir, origin))
        });
        if let Some((dir, origin)) = system {
            let detail = format!("host system folder {dir} is writable");
            return finding("host-writable", 1.5, 1.0, detail).at(origin);
        }
        let home = self.host.home.as_deref();
        let other = self
            .profile
            .mounts
            .iter()
            .find_map(|mount| match &mount.kind {
                // A dev-bind counts under `devices`.
                MountKind::Bind {
                    source,
                    read_only: false,
                    devices: false,
                } if home.is_none_or(|home| !source.starts_with(home)) => Some((source, mount)),
                _ => None,
            });
        match other {
            Some((source, mount)) => {
                let detail = format!("host folder {} is writable", source.display());
                finding("host-writable", 1.5, 0.3, detail).at(Some(&mount.origin))
            }
            None => finding(
                "host-writable",
                1.5,
                0.0,
                "no host folder outside home is writable",
            ),
        }
    }

    fn network(&self) -> Finding {
        let shared = !self.profile.namespaces.net;
        let mut result = self.namespace_finding("network", 2.5, "net", shared);
        if shared && self.enforcement.landlock_tcp {
            result.exposure = 0.6;
            result.detail = "the host's network is shared; Landlock limits TCP ports".into();
        } else if shared {
            result.detail = "the host's network is shared: internet and local services".into();
        }
        result
    }

    fn x11(&self) -> Finding {
        let socket_dir = Path::new("/tmp/.X11-unix");
        let (reach, origin) = self.view.reach(socket_dir);
        let by_path = matches!(reach, Reach::Readable | Reach::Writable);
        // X servers also listen on the abstract socket @/tmp/.X11-unix/X0, which any process
        // of the same network namespace can reach unless Landlock scopes abstract sockets.
        let abstract_open =
            !self.profile.namespaces.net && !self.enforcement.landlock_abstract_unix;
        let detail = "the X11 socket is reachable: the target can read every key typed and \
                      every window of the display";
        if by_path {
            finding("x11", 1.5, 1.0, detail).at(origin)
        } else if abstract_open {
            let mut result = finding("x11", 1.5, 1.0, format!("{detail} (abstract socket)"));
            result.origin = self.origin_of("namespaces.net");
            result
        } else {
            finding("x11", 1.5, 0.0, "no X11 socket is reachable")
        }
    }

    fn session_bus(&self) -> Finding {
        if let Some(dbus) = &self.profile.dbus {
            return self.filtered_session_bus(dbus);
        }
        let socket = self.host.runtime_dir.join("bus");
        let (reach, origin) = self.view.reach(&socket);
        match reach {
            Reach::Readable | Reach::Writable => {
                let detail = format!(
                    "the session bus {} is reachable unfiltered: any service of the desktop \
                     session can be called",
                    socket.display()
                );
                finding("session-bus", 1.5, 1.0, detail).at(origin)
            }
            _ => finding("session-bus", 1.5, 0.0, "the session bus is not reachable"),
        }
    }

    /// Rates the session bus behind xdg-dbus-proxy: every name the target may call or own
    /// adds a little, up to well below an unfiltered bus.
    fn filtered_session_bus(&self, dbus: &DbusPolicy) -> Finding {
        let reachable = dbus.talk.len() + dbus.own.len() + dbus.call.len();
        let exposure = (0.2 + 0.05 * reachable as f64).min(0.6);
        let detail = format!(
            "the session bus is filtered by xdg-dbus-proxy: talk to {}, own {}, call {} \
             names",
            dbus.talk.len(),
            dbus.own.len(),
            dbus.call.len()
        );
        finding("session-bus", 1.5, exposure, detail).at(dbus.origin.as_ref())
    }

    fn system_bus(&self) -> Finding {
        let (reach, origin) = self.view.reach(Path::new("/run/dbus/system_bus_socket"));
        match reach {
            Reach::Readable | Reach::Writable => {
                let detail = "the system bus is reachable unfiltered";
                finding("system-bus", 0.5, 1.0, detail).at(origin)
            }
            _ => finding("system-bus", 0.5, 0.0, "the system bus is not reachable"),
        }
    }

    fn runtime_dir(&self) -> Finding {
        let dir = &self.host.runtime_dir;
        let (reach, origin) = self.view.reach(dir);
        let shown = dir.display();
        let (exposure, detail) = match reach {
            Reach::Writable | Reach::Readable => (
                1.0,
                format!("runtime folder {shown} is visible: agent, audio and display sockets"),
            ),
            Reach::PartWritable | Reach::PartReadable => (
                0.3,
                format!("sockets of runtime folder {shown} are visible"),
            ),
            Reach::Hidden => (0.0, format!("runtime folder {shown} is hidden")),
        };
        finding("runtime-dir", 1.0, exposure, detail).at(origin)
    }

    fn devices(&self) -> Finding {
        if !self.profile.namespaces.mount {
            return finding(
                "devices",
                2.0,
                1.0,
                "the host's /dev is shared (no mount namespace)",
            );
        }
        match self.view.device_bind() {
            Some((source, origin)) if Path::new("/dev").starts_with(source) => {
                let detail = format!("dev-bind of {} exposes every host device", source.display());
                finding("devices", 2.0, 1.0, detail).at(Some(origin))
            }
            Some((source, origin)) => {
                let detail = format!("dev-bind of {} exposes host devices", source.display());
                finding("devices", 2.0, 0.5, detail).at(Some(origin))
            }
            None => finding("devices", 2.0, 0.0, "no host device is usable"),
        }
    }

    fn pid(&self) -> Finding {
        let shared = !self.profile.namespaces.pid;
        let mut result = self.namespace_finding("pid", 1.5, "pid", shared);
        if shared {
            result.detail = "host processes are visible, and those of the same user can be \
                             signalled"
                .into();
        }
        result
    }

    fn ipc(&self) -> Finding {
        let shared = !self.profile.namespaces.ipc;
        let mut result = self.namespace_finding("ipc", 0.5, "ipc", shared);
        if shared {
            result.detail = "host System V shared memory and message queues are shared".into();
        }
        result
    }

    fn user(&self) -> Finding {
        let shared = !self.profile.namespaces.user;
        let mut result = self.namespace_finding("user", 2.0, "user", shared);
        if shared && self.host.is_root {
            result.detail = "no user namespace and the caller is root: the target is root of \
                             the host"
                .into();
        } else if shared {
            result.exposure = 0.6;
            result.detail = "no user namespace: the target acts with the caller's uid and \
                             groups on host objects"
                .into();
        } else if self.host.is_root {
            // The child maps the caller's own uid, so uid 0 inside is uid 0 outside: without
            // capabilities, but with root's file permissions as the owner of host files.
            result.exposure = 0.5;
            result.detail = "the caller is root: the target has no capabilities but is uid 0 \
                             of the host for file permissions, so root-owned files that are \
                             bound stay readable (and writable where bound read-write)"
                .into();
        }
        result
    }

    fn capabilities(&self) -> Finding {
        let kept = &self.profile.process.capabilities;
        let origin = self
            .profile
            .origins
            .get("process.capabilities")
            .first()
            .map(|written| written.at.to_string());
        if kept.is_empty() {
            return finding("capabilities", 1.5, 0.0, "every capability is dropped");
        }
        let dangerous = (kept.iter()).any(|name| DANGEROUS_CAPABILITIES.contains(&name.as_str()));
        let exposure = if dangerous { 1.0 } else { 0.4 };
        let mut result = finding(
            "capabilities",
            1.5,
            exposure,
            format!("kept: {}", kept.join(", ")),
        );
        result.origin = origin;
        result
    }

    fn nested_namespaces(&self) -> Finding {
        if self.enforcement.seccomp_blocks_namespaces {
            return finding(
                "nested-namespaces",
                1.0,
                0.0,
                "seccomp blocks new namespaces",
            );
        }
        let detail = "the target may create namespaces, which opens kernel code to it that is \
                      otherwise reserved to root";
        finding("nested-namespaces", 1.0, 1.0, detail)
    }

    fn seccomp(&self) -> Finding {
        let enforcement = self.enforcement;
        let (exposure, detail) = if enforcement.seccomp_allow_list {
            (0.0, "seccomp allow-list: unlisted system calls fail")
        } else if enforcement.seccomp_filter {
            (
                0.6,
                "no seccomp allow-list: only the listed system calls are denied",
            )
        } else {
            (1.0, "no seccomp filter")
        };
        let mut result = finding("seccomp", 1.5, exposure, detail);
        result.origin = self.profile.origins.iter().find_map(|(key, written)| {
            let first = written.first()?;
            key.starts_with("seccomp.").then(|| first.at.to_string())
        });
        result
    }

    fn landlock(&self) -> Finding {
        let requested = self.profile.landlock.is_some();
        let (exposure, detail) = match (requested, self.enforcement.landlock_fs) {
            (_, true) => (0.0, "Landlock restricts file access"),
            (true, false) => (1.0, "Landlock is requested but not enforced on this kernel"),
            (false, false) => (1.0, "no Landlock ruleset"),
        };
        finding("landlock", 1.5, exposure, detail)
    }

    fn terminal(&self) -> Finding {
        if self.profile.process.new_session {
            return finding("terminal", 1.0, 0.0, "new session: no terminal injection");
        }
        if self.profile.seccomp.denies_tty_injection() && self.enforcement.seccomp_filter {
            let detail = "same session as the caller, but seccomp denies TIOCSTI and TIOCLINUX; \
                          the target can still read from and write to the terminal";
            let mut result = finding("terminal", 1.0, 0.2, detail);
            result.origin = self.origin_of("process.new_session");
            return result;
        }
        let detail = "same session as the caller: the target can push keystrokes into the \
                      caller's terminal (TIOCSTI)";
        let mut result = finding("terminal", 1.0, 1.0, detail);
        result.origin = self.origin_of("process.new_session");
        result
    }

    fn environment(&self) -> Finding {
        if self.profile.env.clear {
            return finding("environment", 0.5, 0.0, "the environment is cleared");
        }
        let detail = "the caller's environment passes through: tokens and agent sockets in it \
                      are visible";
        finding("environment", 0.5, 1.0, detail)
    }
}

/// The runtime folder of a uid when `XDG_RUNTIME_DIR` is not set.
pub(crate) fn default_runtime_dir(uid: u32) -> PathBuf {
    PathBuf::from(format!("/run/user/{uid}"))
}
