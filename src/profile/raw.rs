//! Serde types that mirror the TOML text of one profile file.
//!
//! Every table rejects unknown keys, and values that later rules check keep their byte span so
//! errors can name the line. Nothing here has defaults applied or variables expanded; that is
//! the job of the layer built from it (see `layer.rs`).
//!
//! The same types generate the JSON Schema of the format (`src/schema.rs`). The doc comment of
//! each field is its description there, so it is written for the person editing a profile.
//! `extend("default" = ...)` states the default that `load.rs` applies when the key is absent.
//! `Spanned` has no schema of its own, so spanned fields name their plain type with `with`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::arguments::RawArguments;
use crate::dbus::RawDbus;
use crate::landlock_rules::RawLandlock;
use crate::seccomp::RawSeccomp;

/// A sandbox profile: what a program run by `sandbox` may see and do. Absent keys take the
/// safe default; `include` merges other profiles under this one.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "sandbox profile")]
pub(crate) struct RawProfile {
    /// One line saying what the profile is for, shown by `sandbox profiles` and `sandbox
    /// explain`.
    pub description: Option<String>,

    /// Profiles merged under this one, in order: names are looked up like `--profile` NAME,
    /// paths (containing `/` or ending in `.toml`) are relative to this file's folder. Lists
    /// append in include order and this file's scalars win.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub include: Vec<Spanned<String>>,

    /// Hostname inside the sandbox, 1 to 64 bytes; needs `namespaces.uts = true`. Absent: the
    /// host's name stays visible.
    #[schemars(with = "Option<String>", length(min = 1, max = 64))]
    pub hostname: Option<Spanned<String>>,

    /// Which namespaces to create. Every key defaults to true; false shares the host's.
    #[schemars(with = "Option<RawNamespaces>")]
    pub namespaces: Option<Spanned<RawNamespaces>>,

    /// Mounts that build the sandbox's file system, applied in order on an empty read-only
    /// root, or on a bind of the host's `/` when that is the first mount. Needs
    /// `namespaces.mount = true`.
    #[serde(default)]
    #[schemars(with = "Vec<RawMount>")]
    pub mount: Vec<Spanned<RawMount>>,

    /// The target's environment.
    pub env: Option<RawEnv>,

    /// The target process: working directory, session, ids, descriptors and capabilities.
    pub process: Option<RawProcess>,

    /// System call filter. Without this table the hardened baseline still applies.
    #[schemars(with = "Option<RawSeccomp>")]
    pub seccomp: Option<Spanned<RawSeccomp>>,

    /// Landlock file system and network rules. Without this table no Landlock ruleset is
    /// applied.
    #[schemars(with = "Option<RawLandlock>")]
    pub landlock: Option<Spanned<RawLandlock>>,

    /// The session bus through a filtering xdg-dbus-proxy, and the names the target may use.
    /// Without this table no bus socket is bound.
    #[schemars(with = "Option<RawDbus>")]
    pub dbus: Option<Spanned<RawDbus>>,

    /// Files named on the command line, made visible read-only inside the sandbox.
    #[schemars(with = "Option<RawArguments>")]
    pub arguments: Option<Spanned<RawArguments>>,
}

/// Namespaces to create: true (the default) gives the target a new, empty one, false shares
/// the host's.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Namespaces")]
pub(crate) struct RawNamespaces {
    /// User namespace: unprivileged mounts, and root inside maps to the caller outside.
    #[schemars(with = "Option<bool>", extend("default" = true))]
    pub user: Option<Spanned<bool>>,

    /// Pid namespace: the target sees and signals only its own processes. Needed by `proc`
    /// mounts and `process.as_pid1`.
    #[schemars(with = "Option<bool>", extend("default" = true))]
    pub pid: Option<Spanned<bool>>,

    /// Mount namespace: needed by every `[[mount]]`. False leaves the host's whole file
    /// system visible.
    #[schemars(with = "Option<bool>", extend("default" = true))]
    pub mount: Option<Spanned<bool>>,

    /// Network namespace: a new one has only loopback. False shares the host's network.
    #[schemars(with = "Option<bool>", extend("default" = true))]
    pub net: Option<Spanned<bool>>,

    /// IPC namespace: System V IPC objects and POSIX message queues.
    #[schemars(with = "Option<bool>", extend("default" = true))]
    pub ipc: Option<Spanned<bool>>,

    /// UTS namespace: hostname and domain name. Needed by `hostname`.
    #[schemars(with = "Option<bool>", extend("default" = true))]
    pub uts: Option<Spanned<bool>>,

    /// Cgroup namespace: hides the host's cgroup paths.
    #[schemars(with = "Option<bool>", extend("default" = true))]
    pub cgroup: Option<Spanned<bool>>,
}

/// The kind of a `[[mount]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "MountType")]
pub(crate) enum RawMountType {
    /// Read-write recursive bind of the host path `source` (device nodes unusable).
    Bind,
    /// Read-only recursive bind of the host path `source`.
    RoBind,
    /// Read-write bind of `source` whose device nodes stay usable.
    DevBind,
    /// An empty tmpfs, limited by `size` and with permissions `mode`.
    Tmpfs,
    /// A proc file system of the sandbox's pid namespace.
    Proc,
    /// A minimal /dev: null, zero, full, random, urandom, tty, a private devpts and shm.
    Dev,
    /// An empty directory with permissions `mode`.
    Dir,
    /// A symbolic link at `dest` pointing to `target`.
    Symlink,
    /// A read-only file at `dest` holding `content`.
    File,
}

/// A tmpfs size: a byte count, or a string with an optional `K`, `M` or `G` suffix.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "Size")]
pub(crate) enum RawSize {
    Bytes(#[schemars(range(min = 1))] u64),
    Text(#[schemars(regex(pattern = r"^[0-9]+[KkMmGg]?$"))] String),
}

/// One `[[mount]]` table. Which keys a type accepts is checked when the layer is built.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Mount")]
pub(crate) struct RawMount {
    /// What to mount.
    #[serde(rename = "type")]
    #[schemars(with = "RawMountType")]
    pub kind: Spanned<RawMountType>,

    /// Host path to bind (bind, ro-bind, dev-bind; required). Variables are expanded and a
    /// symlink is followed.
    #[schemars(with = "Option<String>")]
    pub source: Option<Spanned<String>>,

    /// Absolute path inside the sandbox. Required except for binds, where it defaults to
    /// `source`. May not contain `..`.
    #[schemars(with = "Option<String>")]
    pub dest: Option<Spanned<String>>,

    /// Skip the bind when its source is missing on the host, instead of failing (binds only).
    #[schemars(with = "Option<bool>", extend("default" = false))]
    pub optional: Option<Spanned<bool>>,

    /// Create the bind source as a folder on the host (mode 0700, with missing parents) when
    /// it is missing, so that what the target writes there persists. Binds only, and not
    /// together with `optional`.
    #[schemars(with = "Option<bool>", extend("default" = false))]
    pub create: Option<Spanned<bool>>,

    /// Skip this bind or tmpfs, with a warning, when it would shadow an earlier mount: dest
    /// `/`, equal to or a parent of an earlier dest, or inside an earlier mount that is not a
    /// tmpfs or dir (see `mount::skip_shadowing_mounts`).
    #[schemars(with = "Option<bool>", extend("default" = false))]
    pub skip_if_shadowing: Option<Spanned<bool>>,

    /// Tmpfs size limit: bytes, or a number with `K`, `M` or `G` (powers of 1024). Absent:
    /// the kernel's default of half the RAM.
    #[schemars(with = "Option<RawSize>")]
    pub size: Option<Spanned<RawSize>>,

    /// Octal permissions of a tmpfs, dir or file, such as "1777" or "0755". Absent: 1777 for
    /// a tmpfs (the kernel's default), 0755 for a dir, 0644 for a file (mounted read-only).
    #[schemars(with = "Option<String>", regex(pattern = r"^(0o)?[0-7]{1,4}$"))]
    pub mode: Option<Spanned<String>>,

    /// Text of a `file` mount (required for `file`).
    #[schemars(with = "Option<String>")]
    pub content: Option<Spanned<String>>,

    /// Where a `symlink` points (required for `symlink`); variables are expanded and a
    /// relative target stays relative.
    #[schemars(with = "Option<String>", length(min = 1))]
    pub target: Option<Spanned<String>>,
}

/// The target's environment. Without `clear`, the caller's environment passes through except
/// loader variables (`LD_*`, `GCONV_PATH`, `GETCONF_DIR`, `HOSTALIASES`, `MALLOC_TRACE`) not
/// listed in `keep`. Then `unset` removes names and `set` adds them.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Env")]
pub(crate) struct RawEnv {
    /// Start from an empty environment and copy only the names in `keep`.
    #[schemars(with = "Option<bool>", extend("default" = false))]
    pub clear: Option<Spanned<bool>>,

    /// Names copied from the caller's environment, loader variables included.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub keep: Vec<Spanned<String>>,

    /// Variables set in the target, as NAME = "value"; values are not expanded.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub set: BTreeMap<String, Spanned<String>>,

    /// Names removed from the target's environment; a name may not also be kept or set.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub unset: Vec<Spanned<String>>,
}

/// The target process.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Process")]
pub(crate) struct RawProcess {
    /// Working directory inside the sandbox, absolute after variable expansion. Absent: the
    /// caller's directory when it is visible inside, else `/`.
    #[schemars(with = "Option<String>")]
    pub cwd: Option<Spanned<String>>,

    /// Start a new session (setsid), so the target cannot inject keystrokes into the
    /// caller's terminal with TIOCSTI.
    #[schemars(extend("default" = true))]
    pub new_session: Option<bool>,

    /// Kill the sandbox when `sandbox` itself dies.
    #[schemars(extend("default" = true))]
    pub die_with_parent: Option<bool>,

    /// Run the target as pid 1 of its pid namespace instead of under sandbox's small init,
    /// which reaps orphans and forwards signals. Needs `namespaces.pid = true`.
    #[schemars(with = "Option<bool>", extend("default" = false))]
    pub as_pid1: Option<Spanned<bool>>,

    /// User id inside the user namespace; the caller's uid is mapped to it. Absent: the
    /// caller's uid. Needs `namespaces.user = true`.
    #[schemars(with = "Option<u32>")]
    pub uid: Option<Spanned<u32>>,

    /// Group id inside the user namespace, as for `uid`.
    #[schemars(with = "Option<u32>")]
    pub gid: Option<Spanned<u32>>,

    /// Inherited file descriptors, 3 or more, that stay open in the target; 0, 1 and 2 are
    /// always kept and every other descriptor is closed.
    #[serde(default)]
    #[schemars(with = "Vec<i32>", inner(range(min = 3)))]
    pub keep_fds: Vec<Spanned<i32>>,

    /// Capabilities kept in every set (inside the user namespace), as `CAP_NET_RAW`,
    /// `cap_net_raw` or `net_raw`; every other one is dropped.
    #[serde(default)]
    #[schemars(
        with = "Vec<String>",
        inner(regex(pattern = r"^([Cc][Aa][Pp]_)?[A-Za-z_]+$"))
    )]
    pub capabilities: Vec<Spanned<String>>,
}
