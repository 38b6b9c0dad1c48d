//! Plan stage: turns a resolved profile and a command into the ordered list of setup steps.
//!
//! Pure: nothing here touches the kernel, so `--dry-run` prints exactly what the launcher will
//! do. The order of the steps is decided in [`build`] and only there; each constraint on it is
//! commented at the place where the step is pushed.

mod env;

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use crate::dbus::proxy::ProxyPlan;
use crate::profile::{Mount, MountKind, Namespaces, Profile};

pub(crate) use env::compute_environment;

#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanError {}

/// One setup step. The launcher executes them in order: `CreateNamespaces` in the `sandbox`
/// process, every later step in the child it starts.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    /// Create missing bind sources marked `create` as folders on the host, in the launcher.
    CreateBindSources(Vec<PathBuf>),
    /// Start the D-Bus proxy on the host, in the launcher; it stops when the sandbox exits.
    StartDbusProxy(ProxyPlan),
    /// Start the child in new namespaces (one clone call with every namespace flag).
    CreateNamespaces(Namespaces),
    /// Kill the child when `sandbox` dies (PR_SET_PDEATHSIG), and exit if it already has.
    DieWithParent,
    /// Write the child's uid and gid maps, with `setgroups` denied.
    MapIds {
        uid_inside: u32,
        uid_outside: u32,
        gid_inside: u32,
        gid_outside: u32,
    },
    /// Stop mount events from propagating back to the host's mount namespace.
    PrivatePropagation,
    /// Open every bind source on the host before the new root hides anything.
    OpenBindSources,
    /// Create the empty tmpfs that becomes the new root.
    NewRoot,
    Mount(Mount),
    /// Remount the new root's own tmpfs read-only once every mount point exists.
    ReadOnlyRoot,
    /// Make the new root the process's root and detach the host's.
    PivotRoot,
    Hostname(String),
    LoopbackUp,
    /// Fork: the parent stays as pid 1 (reaps orphans, forwards signals), the child goes on.
    StartInit,
    NewSession,
    /// Change to the profile's directory, or to the caller's when it exists inside.
    Chdir {
        dir: Option<PathBuf>,
        caller_dir: Option<PathBuf>,
    },
    /// Look the command up with the sandbox's PATH.
    ResolveCommand,
    CloseFds {
        keep: Vec<i32>,
    },
    DropCapabilities {
        keep: Vec<String>,
    },
    NoNewPrivs,
    Exec,
}

/// Everything the launcher needs: the steps in order and the data they act on.
#[derive(Debug)]
pub(crate) struct Plan {
    pub steps: Vec<Step>,
    /// The target's argv; `argv[0]` is looked up with `PATH` from `env`.
    pub command: Vec<OsString>,
    /// The target's whole environment.
    pub env: Vec<(OsString, OsString)>,
    pub namespaces: Namespaces,
    pub new_session: bool,
    /// The target runs as pid 1 of its pid namespace, without the built-in init.
    pub target_is_pid1: bool,
}

/// Builds the plan for running `command` under `profile`.
pub(crate) fn build(profile: &Profile, command: &[OsString]) -> Result<Plan, PlanError> {
    let ns = profile.namespaces;
    let process = &profile.process;
    let mut env = compute_environment(&profile.env, std::env::vars_os());
    let mut mounts = profile.mounts.clone();
    let mut steps = Vec::new();

    // Host-side preparation runs in the launcher before the fork: the child opens the bind
    // sources, including the proxy's socket, so they must exist by then.
    let created: Vec<PathBuf> = (mounts.iter())
        .filter(|mount| mount.create)
        .filter_map(|mount| match &mount.kind {
            MountKind::Bind { source, .. } => Some(source.clone()),
            _ => None,
        })
        .collect();
    if !created.is_empty() {
        steps.push(Step::CreateBindSources(created));
    }
    if let Some(dbus) = &profile.dbus {
        let caller_env: Vec<_> = std::env::vars_os().collect();
        let proxy = ProxyPlan::new(dbus, &caller_env);
        mounts.push(crate::dbus::proxy::socket_mount(dbus, &proxy));
        crate::dbus::proxy::set_bus_address(dbus, &mut env);
        steps.push(Step::StartDbusProxy(proxy));
    }
    steps.push(Step::CreateNamespaces(ns));

    // The parent-death signal is set first, so that `sandbox` dying at any later point
    // takes the half-built sandbox with it.
    if process.die_with_parent {
        steps.push(Step::DieWithParent);
    }
    // Until the maps are written the child has no uid inside the namespace and every other
    // step that checks credentials would fail.
    if ns.user {
        let uid = nix::unistd::getuid().as_raw();
        let gid = nix::unistd::getgid().as_raw();
        steps.push(Step::MapIds {
            uid_inside: process.uid.unwrap_or(uid),
            uid_outside: uid,
            gid_inside: process.gid.unwrap_or(gid),
            gid_outside: gid,
        });
    }
    if ns.mount {
        push_filesystem_steps(&mut steps, &mounts);
    }
    if let Some(name) = &profile.hostname {
        steps.push(Step::Hostname(name.clone()));
    }
    if ns.net {
        steps.push(Step::LoopbackUp);
    }
    // Init is forked after every namespace-wide step, so it shares the finished sandbox,
    // and before every per-process step (session, directory, capabilities), so it keeps
    // none of the target's settings it does not need.
    let target_is_pid1 = ns.pid && process.as_pid1;
    if ns.pid && !process.as_pid1 {
        steps.push(Step::StartInit);
    }
    if process.new_session {
        steps.push(Step::NewSession);
    }
    steps.push(Step::Chdir {
        dir: process.cwd.clone(),
        caller_dir: std::env::current_dir().ok(),
    });
    // The command is looked up after the directory change, because a relative command
    // (`./tool`) means the sandbox's working directory, and before seccomp, so that the
    // lookup's stat calls are not filtered.
    steps.push(Step::ResolveCommand);
    steps.push(Step::CloseFds {
        keep: process.keep_fds.clone(),
    });
    // Capabilities go before no_new_privs and the filters: dropping the bounding set needs
    // CAP_SETPCAP, which the child holds until here.
    steps.push(Step::DropCapabilities {
        keep: process.capabilities.clone(),
    });
    steps.push(Step::NoNewPrivs);
    steps.push(Step::Exec);

    Ok(Plan {
        steps,
        command: command.to_vec(),
        env,
        namespaces: ns,
        new_session: process.new_session,
        target_is_pid1,
    })
}

fn push_filesystem_steps(steps: &mut Vec<Step>, mounts: &[Mount]) {
    steps.push(Step::PrivatePropagation);
    // Bind sources are opened while the host's tree is still whole: the new root is
    // attached over a host folder (/tmp) and would hide sources below it.
    if mounts
        .iter()
        .any(|m| matches!(m.kind, MountKind::Bind { .. }))
    {
        steps.push(Step::OpenBindSources);
    }
    steps.push(Step::NewRoot);
    // Profile order: a later mount may sit inside an earlier one (a bind inside a tmpfs
    // home shows through it).
    steps.extend(mounts.iter().cloned().map(Step::Mount));
    // Read-only only after the last mount, because creating mount points writes to it.
    steps.push(Step::ReadOnlyRoot);
    steps.push(Step::PivotRoot);
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::CreateBindSources(dirs) => write!(
                f,
                "create missing bind sources on the host: {}",
                join(dirs.iter().map(|dir| dir.display().to_string()))
            ),
            Step::StartDbusProxy(proxy) => write!(f, "{proxy}"),
            Step::CreateNamespaces(ns) => write!(f, "create namespaces: {}", ns_names(ns)),
            Step::DieWithParent => write!(f, "die with parent (SIGKILL)"),
            Step::MapIds {
                uid_inside,
                uid_outside,
                gid_inside,
                gid_outside,
            } => write!(
                f,
                "map ids: uid {uid_inside} -> {uid_outside} outside, \
                 gid {gid_inside} -> {gid_outside} outside, setgroups deny"
            ),
            Step::PrivatePropagation => write!(f, "make mount propagation slave (recursive)"),
            Step::OpenBindSources => write!(f, "open bind sources on the host"),
            Step::NewRoot => write!(f, "create new root (tmpfs)"),
            Step::Mount(mount) => write_mount(f, mount),
            Step::ReadOnlyRoot => write!(f, "remount new root read-only"),
            Step::PivotRoot => write!(f, "pivot_root into the new root, detach the old one"),
            Step::Hostname(name) => write!(f, "set hostname {name:?}"),
            Step::LoopbackUp => write!(f, "bring loopback up"),
            Step::StartInit => write!(f, "start init as pid 1 (reaps orphans, forwards signals)"),
            Step::NewSession => write!(f, "new session (setsid)"),
            Step::Chdir { dir: Some(dir), .. } => write!(f, "chdir {}", dir.display()),
            Step::Chdir {
                dir: None,
                caller_dir,
            } => match caller_dir {
                Some(dir) => write!(f, "chdir {} if it exists inside, else /", dir.display()),
                None => write!(f, "chdir /"),
            },
            Step::ResolveCommand => write!(f, "look up the command in the sandbox's PATH"),
            Step::CloseFds { keep } if keep.is_empty() => {
                write!(f, "close inherited file descriptors except 0, 1, 2")
            }
            Step::CloseFds { keep } => write!(
                f,
                "close inherited file descriptors except 0, 1, 2, {}",
                join(keep.iter().map(|fd| fd.to_string()))
            ),
            Step::DropCapabilities { keep } if keep.is_empty() => {
                write!(
                    f,
                    "drop all capabilities (every set, bounding and ambient included)"
                )
            }
            Step::DropCapabilities { keep } => {
                write!(f, "drop all capabilities except {}", keep.join(", "))
            }
            Step::NoNewPrivs => write!(f, "set no_new_privs"),
            Step::Exec => write!(f, "execute the command"),
        }
    }
}

fn write_mount(f: &mut fmt::Formatter<'_>, mount: &Mount) -> fmt::Result {
    let dest = mount.dest.display();
    let optional = if mount.optional { " (optional)" } else { "" };
    match &mount.kind {
        MountKind::Bind {
            source,
            read_only,
            devices,
        } => {
            let kind = match (read_only, devices) {
                (true, _) => "ro-bind",
                (false, true) => "dev-bind",
                (false, false) => "bind",
            };
            write!(f, "mount {kind} {} on {dest}{optional}", source.display())
        }
        MountKind::Tmpfs { size_bytes, mode } => {
            write!(f, "mount tmpfs on {dest}")?;
            if let Some(size) = size_bytes {
                write!(f, " size={size}")?;
            }
            if let Some(mode) = mode {
                write!(f, " mode={mode:o}")?;
            }
            Ok(())
        }
        MountKind::Proc => write!(f, "mount proc on {dest}"),
        MountKind::Dev => write!(f, "mount minimal dev on {dest}"),
        MountKind::Dir { mode } => match mode {
            Some(mode) => write!(f, "create directory {dest} mode={mode:o}"),
            None => write!(f, "create directory {dest}"),
        },
        MountKind::Symlink { target } => {
            write!(f, "create symlink {dest} -> {}", target.display())
        }
        MountKind::File { content, .. } => {
            write!(f, "mount file {dest} ({} bytes, read-only)", content.len())
        }
    }
}

fn ns_names(ns: &Namespaces) -> String {
    let all = [
        ("user", ns.user),
        ("pid", ns.pid),
        ("mount", ns.mount),
        ("net", ns.net),
        ("ipc", ns.ipc),
        ("uts", ns.uts),
        ("cgroup", ns.cgroup),
    ];
    let names: Vec<&str> = all.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(" ")
    }
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, step) in self.steps.iter().enumerate() {
            writeln!(f, "{:2}. {step}", index + 1)?;
        }
        Ok(())
    }
}
