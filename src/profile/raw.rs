//! Serde types that mirror the TOML text of one profile file.
//!
//! Every table rejects unknown keys, and values that later rules check keep their byte span so
//! errors can name the line. Nothing here has defaults applied or variables expanded; that is
//! the job of the layer built from it (see `layer.rs`).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::dbus::RawDbus;
use crate::landlock_rules::RawLandlock;
use crate::seccomp::RawSeccomp;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProfile {
    pub description: Option<String>,
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    pub hostname: Option<Spanned<String>>,
    pub namespaces: Option<Spanned<RawNamespaces>>,
    #[serde(default)]
    pub mount: Vec<Spanned<RawMount>>,
    pub env: Option<RawEnv>,
    pub process: Option<RawProcess>,
    pub seccomp: Option<Spanned<RawSeccomp>>,
    pub landlock: Option<Spanned<RawLandlock>>,
    pub dbus: Option<Spanned<RawDbus>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNamespaces {
    pub user: Option<Spanned<bool>>,
    pub pid: Option<Spanned<bool>>,
    pub mount: Option<Spanned<bool>>,
    pub net: Option<Spanned<bool>>,
    pub ipc: Option<Spanned<bool>>,
    pub uts: Option<Spanned<bool>>,
    pub cgroup: Option<Spanned<bool>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RawMountType {
    Bind,
    RoBind,
    DevBind,
    Tmpfs,
    Proc,
    Dev,
    Dir,
    Symlink,
    File,
}

/// A tmpfs size: a byte count, or a string with an optional `K`, `M` or `G` suffix.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawSize {
    Bytes(u64),
    Text(String),
}

/// One `[[mount]]` table. Which keys a type accepts is checked when the layer is built.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMount {
    #[serde(rename = "type")]
    pub kind: Spanned<RawMountType>,
    pub source: Option<Spanned<String>>,
    pub dest: Option<Spanned<String>>,
    pub optional: Option<Spanned<bool>>,
    /// Whether to create a missing bind source as a folder on the host.
    pub create: Option<Spanned<bool>>,
    /// Whether to skip this bind or tmpfs when it would shadow an earlier mount (see
    /// `mount::skip_shadowing_mounts`).
    pub skip_if_shadowing: Option<Spanned<bool>>,
    pub size: Option<Spanned<RawSize>>,
    pub mode: Option<Spanned<String>>,
    pub content: Option<Spanned<String>>,
    pub target: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEnv {
    pub clear: Option<Spanned<bool>>,
    #[serde(default)]
    pub keep: Vec<Spanned<String>>,
    #[serde(default)]
    pub set: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    pub unset: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProcess {
    pub cwd: Option<Spanned<String>>,
    pub new_session: Option<bool>,
    pub die_with_parent: Option<bool>,
    pub as_pid1: Option<Spanned<bool>>,
    pub uid: Option<Spanned<u32>>,
    pub gid: Option<Spanned<u32>>,
    #[serde(default)]
    pub keep_fds: Vec<Spanned<i32>>,
    #[serde(default)]
    pub capabilities: Vec<Spanned<String>>,
}
