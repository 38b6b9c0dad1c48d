//! Facts about this machine that decide what a profile gets: the caller, the namespace limits,
//! and which mount sources exist. Read from `/proc/sys` and the file system, never by creating
//! a namespace.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::exposure::default_runtime_dir;
use crate::dbus;
use crate::landlock_rules::{self, LandlockPlan};
use crate::profile::{MountKind, Profile, Vars};
use crate::seccomp::SeccompFilter;

/// The caller and the kernel settings that explain reads.
#[derive(Clone, Debug)]
pub(crate) struct Host {
    pub home: Option<PathBuf>,
    /// `XDG_RUNTIME_DIR`, or `/run/user/UID` when it is not set.
    pub runtime_dir: PathBuf,
    pub is_root: bool,
    /// Where the namespace limits are read; `/proc/sys` except in tests.
    pub sysctl_root: PathBuf,
}

impl Host {
    /// Reads the facts of the calling process.
    pub(crate) fn current(vars: &Vars) -> Host {
        let uid = nix::unistd::getuid();
        let runtime_dir = match vars.get("XDG_RUNTIME_DIR") {
            Some(dir) if Path::new(&*dir).is_absolute() => PathBuf::from(&*dir),
            _ => default_runtime_dir(uid.as_raw()),
        };
        Host {
            home: vars.get("HOME").map(|home| PathBuf::from(&*home)),
            runtime_dir,
            is_root: nix::unistd::geteuid().is_root(),
            sysctl_root: PathBuf::from("/proc/sys"),
        }
    }

    fn sysctl(&self, name: &str) -> Option<i64> {
        let text = std::fs::read_to_string(self.sysctl_root.join(name)).ok()?;
        text.trim().parse().ok()
    }
}

/// Whether a requested feature is in force on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Status {
    /// Enforced as requested.
    Ok,
    /// Left out on purpose by the profile, such as an optional mount whose source is missing.
    Skipped,
    /// Partly enforced: the sandbox starts, with less than requested.
    Degraded,
    /// Not available: the sandbox will fail to start.
    Fails,
    /// Not requested by the profile.
    Off,
    /// Explain cannot tell on this machine.
    Unknown,
}

impl Status {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Skipped => "skipped",
            Status::Degraded => "degraded",
            Status::Fails => "fails",
            Status::Off => "off",
            Status::Unknown => "unknown",
        }
    }
}

/// One requested feature and what this machine does with it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Check {
    /// What the profile requests, such as "user namespace" or "mount /usr".
    pub item: String,
    pub status: Status,
    pub detail: String,
}

fn check(item: impl Into<String>, status: Status, detail: impl Into<String>) -> Check {
    Check {
        item: item.into(),
        status,
        detail: detail.into(),
    }
}

/// Checks every requested namespace against the kernel's limits.
pub(crate) fn namespace_checks(profile: &Profile, host: &Host) -> Vec<Check> {
    let ns = profile.namespaces;
    let mut checks = Vec::new();
    for (name, requested) in ns.by_name() {
        let item = format!("{name} namespace");
        if !requested {
            checks.push(check(item, Status::Off, "shared with the host"));
            continue;
        }
        checks.push(namespace_check(name, item, host, ns.user));
    }
    checks
}

fn namespace_check(name: &str, item: String, host: &Host, with_user: bool) -> Check {
    // The mount namespace's limit is named after its clone flag, CLONE_NEWNS.
    let limit_name = match name {
        "mount" => "mnt",
        other => other,
    };
    let limit_file = format!("user/max_{limit_name}_namespaces");
    match host.sysctl(&limit_file) {
        Some(0) => {
            return check(item, Status::Fails, format!("disabled: {limit_file} is 0"));
        }
        None => {
            return check(item, Status::Unknown, format!("cannot read {limit_file}"));
        }
        Some(_) => {}
    }
    if name == "user" && !host.is_root {
        // Kernels with Debian's patch have this switch. Mainline kernels lack the file.
        if host.sysctl("kernel/unprivileged_userns_clone") == Some(0) {
            let detail = "disabled for unprivileged users: kernel/unprivileged_userns_clone is 0";
            return check(item, Status::Fails, detail);
        }
        if host.sysctl("kernel/apparmor_restrict_unprivileged_userns") == Some(1) {
            let detail = "AppArmor restricts unprivileged user namespaces \
                          (kernel/apparmor_restrict_unprivileged_userns is 1) unless a profile \
                          allows sandbox";
            return check(item, Status::Degraded, detail);
        }
    }
    if name != "user" && !with_user && !host.is_root {
        let detail = "needs CAP_SYS_ADMIN without a user namespace, and the caller is not root";
        return check(item, Status::Fails, detail);
    }
    check(item, Status::Ok, "available")
}

/// Checks that the helper programs the profile needs are installed: xdg-dbus-proxy for a
/// `[dbus]` table.
pub(crate) fn helper_checks(profile: &Profile) -> Vec<Check> {
    if profile.dbus.is_none() {
        return Vec::new();
    }
    match dbus::proxy::find_program() {
        Ok(path) => vec![check(
            "xdg-dbus-proxy",
            Status::Ok,
            format!("found at {}", path.display()),
        )],
        Err(err) => vec![check("xdg-dbus-proxy", Status::Fails, err.to_string())],
    }
}

/// Checks that each bind source exists; an optional bind whose source is missing is skipped.
pub(crate) fn mount_checks(profile: &Profile) -> Vec<Check> {
    let mut checks = Vec::new();
    if !profile.namespaces.mount {
        return checks;
    }
    for mount in &profile.mounts {
        let MountKind::Bind { source, .. } = &mount.kind else {
            continue;
        };
        if source.exists() {
            continue;
        }
        let item = format!("mount {} on {}", source.display(), mount.dest.display());
        let (status, detail) = match mount.optional {
            true => (
                Status::Skipped,
                "optional, and its source is missing on this machine",
            ),
            false => (Status::Fails, "its source is missing on this machine"),
        };
        checks.push(check(item, status, format!("{detail} ({})", mount.origin)));
    }
    checks
}

/// Reports the Landlock ruleset the profile requests and what this kernel enforces of it:
/// one check for the ruleset, then the lines of `LandlockPlan::describe`.
pub(crate) fn landlock_checks(landlock: &LandlockOutcome) -> Vec<Check> {
    let plan = match landlock {
        LandlockOutcome::NotRequested => {
            return vec![check("landlock", Status::Off, "no [landlock] section")];
        }
        LandlockOutcome::Fails(message) => {
            return vec![check("landlock", Status::Fails, message.clone())];
        }
        LandlockOutcome::Planned(plan) => plan,
    };
    let dropped = plan.dropped();
    let mut checks = vec![match (plan.enforced().is_empty(), dropped.is_empty()) {
        (true, _) => check(
            "landlock",
            Status::Degraded,
            "nothing enforceable on this kernel",
        ),
        (false, true) => check("landlock", Status::Ok, "every restricted right is enforced"),
        (false, false) => {
            let detail = format!("not enforced on this kernel: {}", dropped.names());
            check("landlock", Status::Degraded, detail)
        }
    }];
    for line in plan.describe() {
        let detail = line.strip_prefix("landlock: ").unwrap_or(&line);
        checks.push(check("landlock", Status::Ok, detail));
    }
    checks
}

/// What preparing the profile's Landlock ruleset on this machine gave.
#[derive(Debug)]
pub(crate) enum LandlockOutcome {
    NotRequested,
    Planned(LandlockPlan),
    /// The launcher would fail (`compat = "hard"` on a kernel that lacks a right, or the ABI
    /// cannot be read); the error message.
    Fails(String),
}

impl LandlockOutcome {
    /// Prepares the ruleset as the launcher does before setting up the sandbox.
    pub(crate) fn prepare(profile: &Profile) -> LandlockOutcome {
        let Some(layer) = &profile.landlock else {
            return LandlockOutcome::NotRequested;
        };
        match landlock_rules::prepare(layer) {
            Ok(plan) => LandlockOutcome::Planned(plan),
            Err(err) => LandlockOutcome::Fails(err.to_string()),
        }
    }
}

/// Reports the seccomp filter compiled as the launcher compiles it: one check for the filter,
/// then the lines of `SeccompFilter::describe`.
pub(crate) fn seccomp_checks(seccomp: &Result<SeccompFilter, String>) -> Vec<Check> {
    let filter = match seccomp {
        Ok(filter) => filter,
        Err(message) => return vec![check("seccomp", Status::Fails, message.clone())],
    };
    let kind = match filter.is_allow_list() {
        true => "allow-list",
        false => "deny-list: syscalls that nothing names are allowed",
    };
    let mut checks = vec![check(
        "seccomp",
        Status::Ok,
        format!("compiled for {}, {kind}", std::env::consts::ARCH),
    )];
    for line in filter.describe() {
        checks.push(check("seccomp", Status::Ok, line));
    }
    checks
}
