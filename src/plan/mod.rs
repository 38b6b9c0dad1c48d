//! Plan stage: turns a resolved profile and a command into the ordered list of setup steps.
//!
//! Nothing here changes the system: building a plan only reads the host (bind sources that
//! are symlinks, the Landlock ABI), so `--dry-run` prints exactly what the launcher will do. The order of the steps is decided in [`build`] and only there. Each constraint on it is
//! commented at the place where the step is pushed.

mod env;

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::arguments;
use crate::dbus::{self, proxy::ProxyPlan};
use crate::landlock_rules::{self, LandlockError, LandlockPlan};
use crate::profile::{Mount, MountKind, Namespaces, ProcessPolicy, Profile};
use crate::seccomp::{self, SeccompError, SeccompFilter};

pub(crate) use env::compute_environment;

#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanError {
    /// The kernel cannot enforce the `[landlock]` section and it sets `compat = "hard"`.
    #[error(transparent)]
    Landlock(#[from] LandlockError),
    #[error(transparent)]
    Seccomp(#[from] SeccompError),
}

/// One setup step. Steps run in order, each in the process that [`Step::runner`] names.
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
    /// Stop mount events from propagating between the host's mount namespace and this one.
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
    /// Fork the target. The parent becomes init (pid 1: reaps orphans, forwards signals) once
    /// it has built the sandbox; the target waits for that in [`Step::WaitForSandbox`].
    StartInit,
    /// Create the target's network namespace and bring its loopback up, while init builds
    /// the sandbox on the other CPU.
    NewNetwork,
    /// Move init into the target's network namespace once the target has created it, so
    /// that no process of the sandbox shows the caller's network (/proc/1/net).
    JoinNetwork,
    /// Tell the target that the sandbox is built, and which root it must see; init then
    /// waits for the target.
    ReleaseTarget,
    /// Wait until init has built the sandbox, and check that the root is the new one.
    WaitForSandbox,
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
    /// Enforce the Landlock ruleset decided before the fork.
    Landlock(LandlockPlan),
    /// Restore the caller's signal mask, umask and CPU affinity, and the default SIGPIPE
    /// action.
    RestoreSignals,
    /// Install the seccomp filter compiled before the fork.
    Seccomp(SeccompFilter),
    Exec,
}

/// The process that runs a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Runner {
    /// `sandbox` itself, on the host.
    Launcher,
    /// The child in the new namespaces, which becomes init after [`Step::StartInit`]. Its
    /// steps change the whole sandbox (mounts, hostname).
    Child,
    /// The process that executes the command: the child itself when no init runs.
    Target,
}

impl Step {
    pub(crate) fn runner(&self) -> Runner {
        match self {
            Step::CreateBindSources(_) | Step::StartDbusProxy(_) | Step::CreateNamespaces(_) => {
                Runner::Launcher
            }
            Step::DieWithParent
            | Step::MapIds { .. }
            | Step::PrivatePropagation
            | Step::OpenBindSources
            | Step::NewRoot
            | Step::Mount(_)
            | Step::ReadOnlyRoot
            | Step::PivotRoot
            | Step::Hostname(_)
            | Step::LoopbackUp
            | Step::StartInit
            | Step::JoinNetwork
            | Step::ReleaseTarget => Runner::Child,
            Step::NewNetwork
            | Step::WaitForSandbox
            | Step::NewSession
            | Step::Chdir { .. }
            | Step::ResolveCommand
            | Step::CloseFds { .. }
            | Step::DropCapabilities { .. }
            | Step::NoNewPrivs
            | Step::Landlock(_)
            | Step::RestoreSignals
            | Step::Seccomp(_)
            | Step::Exec => Runner::Target,
        }
    }
}

/// Everything the launcher needs: the steps in order and the data they act on.
#[derive(Debug)]
pub(crate) struct Plan {
    pub steps: Vec<Step>,
    /// The target's argv; `argv[0]` is looked up with `PATH` from `env`.
    pub command: Vec<OsString>,
    /// The target's whole environment.
    pub env: Vec<(OsString, OsString)>,
    /// Names of the variables the profile sets; `--dry-run` shows only their values, because
    /// inherited ones may hold secrets.
    pub env_set_by_profile: Vec<String>,
    /// The target runs in a session of its own, so terminal signals reach only `sandbox`.
    pub new_session: bool,
}

/// Builds the plan for running `command` under `profile`.
pub(crate) fn build(profile: &Profile, command: &[OsString]) -> Result<Plan, PlanError> {
    let ns = profile.namespaces;
    let process = &profile.process;
    let mut env = compute_environment(&profile.env, std::env::vars_os());
    let mut mounts = profile.mounts.clone();
    let mut landlock = profile.landlock.clone();
    let mut steps = Vec::new();

    // Host-side preparation runs in the launcher before the fork: the child opens the bind
    // sources, including the proxy's socket, so they must exist by then.
    let created = bind_sources_to_create(&mounts);
    if !created.is_empty() {
        steps.push(Step::CreateBindSources(created));
    }
    if let Some(dbus) = &profile.dbus {
        let proxy = dbus::proxy::prepare(dbus, &mut mounts, &mut env);
        steps.push(Step::StartDbusProxy(proxy));
    }
    if let Some((bind, origin)) = &profile.argument_bind {
        let args = command.get(1..).unwrap_or_default();
        arguments::add_mounts(*bind, origin, args, &mut mounts, landlock.as_mut());
    }
    // With an init the target is forked right after the ids are mapped, and creates its
    // network namespace while init builds the mounts. Creating one costs the kernel about as
    // long as all the mounts (0.8 ms here), and the two run on different CPUs. Without an
    // init the child itself is the target, and the clone creates every namespace.
    let with_init = ns.pid && !process.as_pid1;
    let parallel_network = ns.net && with_init;
    steps.push(Step::CreateNamespaces(Namespaces {
        net: ns.net && !parallel_network,
        ..ns
    }));

    // The parent-death signal is set first, so that `sandbox` dying at any later point
    // takes the half-built sandbox with it.
    if process.die_with_parent {
        steps.push(Step::DieWithParent);
    }
    if with_init {
        // Init is forked before anything else so that the target works in parallel: it
        // creates its network namespace and drops its privileges while init maps the ids
        // and builds the sandbox. It needs no mapped id for that: the first process of a
        // user namespace has every capability in it, and the target inherits them.
        steps.push(Step::StartInit);
        if parallel_network {
            steps.push(Step::NewNetwork);
        }
        push_privilege_steps(&mut steps, process);
    }
    // Until the maps are written the child has no uid inside the namespace and every later
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
        push_filesystem_steps(&mut steps, mounts);
    }
    if let Some(name) = &profile.hostname {
        steps.push(Step::Hostname(name.clone()));
    }
    if ns.net && !parallel_network {
        steps.push(Step::LoopbackUp);
    }
    if parallel_network {
        steps.push(Step::JoinNetwork);
    }
    if with_init {
        // The target looks at the sandbox's files only from here on, once it is complete.
        steps.push(Step::ReleaseTarget);
        steps.push(Step::WaitForSandbox);
    } else {
        // The child itself is the target: it keeps its privileges until it has built the
        // sandbox.
        push_privilege_steps(&mut steps, process);
    }
    steps.push(Step::Chdir {
        dir: process.cwd.clone(),
        caller_dir: std::env::current_dir().ok(),
    });
    // The command is looked up after the directory change, because a relative command
    // (`./tool`) means the sandbox's working directory, and before seccomp, so that the
    // lookup's stat calls are not filtered. It runs without capabilities, so it is
    // checked against the same permissions as the command.
    steps.push(Step::ResolveCommand);
    // Landlock goes after pivot_root, so rule paths are the target's paths, and after
    // no_new_privs, which restricting needs without CAP_SYS_ADMIN. The ABI version is read
    // here, before any namespace, so that hard mode fails before anything is set up.
    if let Some(layer) = &landlock {
        let planned = landlock_rules::prepare(layer)?;
        if !ns.pid && !planned.enforced().scopes.contains(landlock::Scope::Signal) {
            log::warn!(
                "the sandbox shares the caller's pid namespace and Landlock does not enforce \
                 the signal scope: the command can signal processes outside, sandbox included"
            );
        }
        steps.push(Step::Landlock(planned));
    } else if !ns.pid {
        // Sharing the caller's pid namespace, the target could kill `sandbox`, the only
        // process that would kill the target's descendants when it exits.
        steps.push(Step::Landlock(landlock_rules::signal_scope_only()?));
    }
    steps.push(Step::RestoreSignals);
    // Seccomp comes last, so no setup call is filtered: after it only execve runs. The
    // filter is compiled here, before any namespace, so a bad policy fails with nothing
    // set up.
    steps.push(Step::Seccomp(seccomp::compile(&profile.seccomp)?));
    steps.push(Step::Exec);

    Ok(Plan {
        steps,
        command: command.to_vec(),
        env,
        env_set_by_profile: profile.env.set.keys().cloned().collect(),
        new_session: process.new_session,
    })
}

/// Pushes the target's steps that do not depend on the sandbox's files: its session, its
/// descriptors and its privileges.
fn push_privilege_steps(steps: &mut Vec<Step>, process: &ProcessPolicy) {
    if process.new_session {
        steps.push(Step::NewSession);
    }
    steps.push(Step::CloseFds {
        keep: process.keep_fds.clone(),
    });
    // Capabilities go before no_new_privs and the filters: dropping the bounding set needs
    // CAP_SETPCAP, which the process keeps until here.
    steps.push(Step::DropCapabilities {
        keep: process.capabilities.clone(),
    });
    steps.push(Step::NoNewPrivs);
}

/// Lists the sources of the binds marked `create`.
fn bind_sources_to_create(mounts: &[Mount]) -> Vec<PathBuf> {
    (mounts.iter())
        .filter(|mount| mount.create)
        .filter_map(|mount| match &mount.kind {
            MountKind::Bind { source, .. } => Some(source.clone()),
            _ => None,
        })
        .collect()
}

fn push_filesystem_steps(steps: &mut Vec<Step>, mut mounts: Vec<Mount>) {
    symlinks_for_merged_binds(&mut mounts);
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
    steps.extend(mounts.into_iter().map(Step::Mount));
    // Read-only only after the last mount, because creating mount points writes to it.
    steps.push(Step::ReadOnlyRoot);
    steps.push(Step::PivotRoot);
}

/// Replaces a bind of a host symlink that leads into an earlier bind by the same symlink.
///
/// On merged-/usr systems `/bin`, `/lib` and `/lib64` are symlinks into `/usr`. Binding each
/// as a mount of its own shows the same files, but Landlock then sees separate mounts that a
/// rule on `/usr` does not cover, and each costs a mount. A symlink gives the same view when
/// the earlier bind has the same source and dest and is at least as strict (read-only and
/// nodev whenever the replaced bind is).
fn symlinks_for_merged_binds(mounts: &mut [Mount]) {
    // Under a bind on `/` the symlink would have to be created on the host, which the
    // launcher refuses; the binds work there as written.
    if mounts.iter().any(|mount| mount.dest == Path::new("/")) {
        return;
    }
    for index in 0..mounts.len() {
        let (earlier, rest) = mounts.split_at_mut(index);
        let mount = &mut rest[0];
        let target = match &mount.kind {
            MountKind::Bind {
                source,
                read_only,
                devices,
            } if *source == mount.dest => covering_symlink(source, *read_only, *devices, earlier),
            _ => None,
        };
        if let Some(target) = target {
            log::debug!(
                "{} is a symlink into an earlier bind: creating it as a symlink to {}",
                mount.dest.display(),
                target.display()
            );
            mount.kind = MountKind::Symlink { target };
            mount.optional = false;
        }
    }
}

/// Returns the canonical target of the host symlink `source` when an earlier identity bind
/// in `earlier`, at least as strict, contains it.
fn covering_symlink(
    source: &Path,
    read_only: bool,
    devices: bool,
    earlier: &[Mount],
) -> Option<PathBuf> {
    let is_symlink = std::fs::symlink_metadata(source)
        .ok()?
        .file_type()
        .is_symlink();
    if !is_symlink {
        return None;
    }
    let target = std::fs::canonicalize(source).ok()?;
    let covered = earlier.iter().any(|mount| match &mount.kind {
        MountKind::Bind {
            source: earlier_source,
            read_only: earlier_read_only,
            devices: earlier_devices,
        } => {
            *earlier_source == mount.dest
                && earlier_source != Path::new("/")
                && target.starts_with(earlier_source)
                && (*earlier_read_only || !read_only)
                && (!*earlier_devices || devices)
        }
        _ => false,
    });
    // A later mount below the symlink now lands in the earlier bind, at the same folder of
    // the host, so the target's view does not change.
    covered.then_some(target)
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
            Step::PrivatePropagation => write!(f, "make mount propagation private (recursive)"),
            Step::OpenBindSources => write!(f, "open bind sources on the host"),
            Step::NewRoot => write!(f, "create new root (tmpfs)"),
            Step::Mount(mount) => write_mount(f, mount),
            Step::ReadOnlyRoot => write!(f, "remount new root read-only"),
            Step::PivotRoot => write!(f, "pivot_root into the new root, detach the old one"),
            Step::Hostname(name) => write!(f, "set hostname {name:?}"),
            Step::LoopbackUp => write!(f, "bring loopback up"),
            Step::StartInit => write!(
                f,
                "fork the target; this process becomes init, pid 1 (reaps orphans, forwards \
                 signals), and builds the sandbox while the target goes on"
            ),
            Step::NewNetwork => write!(f, "create the network namespace, bring loopback up"),
            Step::JoinNetwork => write!(f, "join the target's network namespace"),
            Step::ReleaseTarget => write!(f, "let the target go on"),
            Step::WaitForSandbox => {
                write!(
                    f,
                    "wait until init has built the sandbox, check that / is its root"
                )
            }
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
            Step::Landlock(plan) => {
                write!(f, "enforce the landlock ruleset")?;
                for line in plan.describe() {
                    write!(f, "\n      {line}")?;
                }
                Ok(())
            }
            Step::RestoreSignals => {
                write!(
                    f,
                    "restore the caller's signal mask, umask and CPU affinity, default SIGPIPE"
                )
            }
            Step::Seccomp(filter) => {
                write!(f, "install the seccomp filter")?;
                for line in filter.describe() {
                    write!(f, "\n      {line}")?;
                }
                Ok(())
            }
            Step::Exec => write!(f, "execute the command"),
        }
    }
}

fn write_mount(f: &mut fmt::Formatter<'_>, mount: &Mount) -> fmt::Result {
    let dest = mount.dest.display();
    let optional = if mount.optional { " (optional)" } else { "" };
    match &mount.kind {
        MountKind::Bind { source, .. } => {
            let kind = mount.kind.type_name();
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
    let names: Vec<&str> = ns
        .by_name()
        .iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| *n)
        .collect();
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
        // In one piece, because Rust's standard output is line-buffered. Written line by line,
        // each line would be a write call of its own.
        let mut text = String::with_capacity(4096);
        self.write_lines(&mut text)?;
        f.write_str(&text)
    }
}

impl Plan {
    /// Writes the numbered steps, the command and the environment, one item per line.
    fn write_lines(&self, f: &mut impl fmt::Write) -> fmt::Result {
        // Once init is forked, two processes take the steps in turn: each is marked with
        // the one that runs it.
        let mut forked = false;
        for (index, step) in self.steps.iter().enumerate() {
            let runner = match (forked, step.runner()) {
                (true, Runner::Child) => "init: ",
                (true, Runner::Target) => "target: ",
                _ => "",
            };
            writeln!(f, "{:2}. {runner}{step}", index + 1)?;
            forked |= matches!(step, Step::StartInit);
        }
        let argv: Vec<_> = self
            .command
            .iter()
            .map(|arg| arg.to_string_lossy())
            .collect();
        writeln!(f, "command: {argv:?}")?;
        writeln!(
            f,
            "environment (values only of the variables the profile sets):"
        )?;
        for (name, value) in &self.env {
            let name = name.to_string_lossy();
            if self.env_set_by_profile.iter().any(|set| *set == name) {
                writeln!(f, "  {name}={}", value.to_string_lossy())?;
            } else {
                writeln!(f, "  {name}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::profile::Location;

    fn bind(source: &Path, read_only: bool) -> Mount {
        Mount {
            dest: source.to_path_buf(),
            kind: MountKind::Bind {
                source: source.to_path_buf(),
                read_only,
                devices: false,
            },
            optional: false,
            create: false,
            origin: Location {
                file: Arc::from(Path::new("test.toml")),
                line: 1,
                column: 1,
            },
        }
    }

    #[test]
    fn merged_bind_becomes_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let usr = dir.path().join("usr");
        std::fs::create_dir_all(usr.join("lib")).unwrap();
        let lib = dir.path().join("lib");
        std::os::unix::fs::symlink("usr/lib", &lib).unwrap();

        let mut mounts = [bind(&usr, true), bind(&lib, true)];
        symlinks_for_merged_binds(&mut mounts);
        let canonical = std::fs::canonicalize(usr.join("lib")).unwrap();
        assert_eq!(mounts[1].kind, MountKind::Symlink { target: canonical });
        assert_eq!(mounts[0], bind(&usr, true));
    }

    #[test]
    fn merged_bind_stays_when_earlier_is_writable() {
        let dir = tempfile::tempdir().unwrap();
        let usr = dir.path().join("usr");
        std::fs::create_dir_all(usr.join("lib")).unwrap();
        let lib = dir.path().join("lib");
        std::os::unix::fs::symlink("usr/lib", &lib).unwrap();

        let mut mounts = [bind(&usr, false), bind(&lib, true)];
        symlinks_for_merged_binds(&mut mounts);
        assert_eq!(mounts[1], bind(&lib, true));
    }

    #[test]
    fn merged_bind_stays_without_earlier_bind() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("usr/lib")).unwrap();
        let lib = dir.path().join("lib");
        std::os::unix::fs::symlink("usr/lib", &lib).unwrap();

        let mut mounts = [bind(&lib, true)];
        symlinks_for_merged_binds(&mut mounts);
        assert_eq!(mounts[0], bind(&lib, true));
    }
}
