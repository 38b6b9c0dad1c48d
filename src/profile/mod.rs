//! Profile stage: from a profile name or path to a validated [`Profile`] with includes merged,
//! variables expanded and defaults applied.

mod context;
mod error;
mod layer;
mod load;
mod lookup;
mod mount;
mod origins;
mod parse;
mod raw;
#[cfg(test)]
mod tests;
mod validate;

pub(crate) use context::{FileContext, Vars};
pub(crate) use error::{Location, ProfileError};
pub(crate) use lookup::ListedProfile;
pub(crate) use origins::{Origins, Written};
pub(crate) use raw::RawProfile;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::arguments::ArgumentBind;
use crate::dbus::DbusPolicy;
use crate::landlock_rules::LandlockLayer;
use crate::seccomp::SeccompLayer;

/// A fully resolved profile: nothing is left to interpret.
#[derive(Clone, Debug)]
pub(crate) struct Profile {
    /// The file the profile was loaded from, or `builtin:NAME` for a compiled-in profile.
    pub source: PathBuf,
    pub description: Option<String>,
    pub hostname: Option<String>,
    pub namespaces: Namespaces,
    pub mounts: Vec<Mount>,
    pub env: EnvPolicy,
    pub process: ProcessPolicy,
    /// Always present: the hardened baseline applies even without a `[seccomp]` section.
    pub seccomp: SeccompLayer,
    /// `None` when no file of the profile has a `[landlock]` section.
    pub landlock: Option<LandlockLayer>,
    /// `None` when no file of the profile has a `[dbus]` section; then no bus socket is bound.
    /// When set, `socket` is always filled in.
    pub dbus: Option<DbusPolicy>,
    /// The `[arguments]` choice for file arguments, and the location that set it.
    pub argument_bind: Option<(ArgumentBind, Location)>,
    /// The file and line of each setting, for `sandbox explain`. Empty unless the profile was
    /// loaded with [`load_with_origins`].
    pub origins: Origins,
}

/// The namespaces to create; `false` shares the caller's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Namespaces {
    pub user: bool,
    pub pid: bool,
    pub mount: bool,
    pub net: bool,
    pub ipc: bool,
    pub uts: bool,
    pub cgroup: bool,
}

impl Namespaces {
    /// Pairs each namespace's profile key with whether it is new, in the order of the
    /// `[namespaces]` table.
    pub(crate) fn by_name(&self) -> [(&'static str, bool); 7] {
        [
            ("user", self.user),
            ("pid", self.pid),
            ("mount", self.mount),
            ("net", self.net),
            ("ipc", self.ipc),
            ("uts", self.uts),
            ("cgroup", self.cgroup),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Mount {
    /// Absolute path inside the sandbox.
    pub dest: PathBuf,
    pub kind: MountKind,
    /// Skip the mount when its source is missing on the host.
    pub optional: bool,
    /// Create the bind source as a folder on the host (mode 0700, with missing parents) when
    /// it is missing, so that what the target writes there persists.
    pub create: bool,
    /// Location of the `[[mount]]` table, for messages.
    pub origin: Location,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum MountKind {
    /// A recursive bind of a host path; `source` is followed if it is a symlink.
    Bind {
        source: PathBuf,
        read_only: bool,
        /// Allow device nodes (`dev-bind`); other binds are mounted `nodev`.
        devices: bool,
    },
    Tmpfs {
        size_bytes: Option<u64>,
        mode: Option<u32>,
    },
    Proc,
    Dev,
    Dir {
        mode: Option<u32>,
    },
    Symlink {
        target: PathBuf,
    },
    File {
        content: Vec<u8>,
        mode: Option<u32>,
    },
}

impl MountKind {
    /// Returns the `type` value a profile writes for this kind.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            MountKind::Bind {
                read_only: true, ..
            } => "ro-bind",
            MountKind::Bind { devices: true, .. } => "dev-bind",
            MountKind::Bind { .. } => "bind",
            MountKind::Tmpfs { .. } => "tmpfs",
            MountKind::Proc => "proc",
            MountKind::Dev => "dev",
            MountKind::Dir { .. } => "dir",
            MountKind::Symlink { .. } => "symlink",
            MountKind::File { .. } => "file",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct EnvPolicy {
    /// Start from an empty environment and copy only `keep`.
    pub clear: bool,
    pub keep: Vec<String>,
    pub set: BTreeMap<String, String>,
    pub unset: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProcessPolicy {
    /// Working directory inside the sandbox; `None` keeps the caller's when it is visible.
    pub cwd: Option<PathBuf>,
    pub new_session: bool,
    pub die_with_parent: bool,
    /// Run the target as pid 1 of the pid namespace instead of under the built-in init.
    pub as_pid1: bool,
    /// Ids inside the user namespace; `None` maps the caller's ids to themselves.
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// Inherited descriptors that stay open in the target besides 0, 1 and 2.
    pub keep_fds: Vec<i32>,
    /// Capabilities kept in every set, as `CAP_*` names; every other one is dropped.
    pub capabilities: Vec<String>,
}

/// Finds the profile `name`, loads it with its includes, and resolves it.
///
/// `name` is a path when it contains `/` or ends in `.toml`. Otherwise it is looked up in the
/// profile directories (`$XDG_CONFIG_HOME/sandbox/profiles`, `/etc/sandbox/profiles`,
/// `/usr/share/sandbox/profiles`), then among the built-in profiles.
pub(crate) fn load(name: &str, vars: &Vars) -> Result<Profile, ProfileError> {
    load::load_with(name, vars, &lookup::SearchPath::standard(vars))
}

/// Loads like [`load`] and records where each setting was written in `Profile::origins`.
pub(crate) fn load_with_origins(name: &str, vars: &Vars) -> Result<Profile, ProfileError> {
    load::load_recording(name, vars, &lookup::SearchPath::standard(vars), true)
}

/// Lists every profile that a name can refer to, in lookup order, including those hidden by
/// an earlier profile of the same name.
pub(crate) fn list(vars: &Vars) -> Vec<ListedProfile> {
    lookup::SearchPath::standard(vars).list()
}
