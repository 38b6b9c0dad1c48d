//! Rules between fields, checked on the merged profile so that includes cannot slip past them.
//! Each error names the file and line of the offending item.
//!
//! Rules checked here:
//! - `hostname` needs `namespaces.uts = true` and must be 1 to 64 bytes without NUL;
//! - any `[[mount]]` needs `namespaces.mount = true`, and a `proc` mount `namespaces.pid = true`;
//! - at `/` only a bind type, as the first mount, no two mounts at the same dest, no mount
//!   that hides an earlier one below its dest, and no mount inside a `file` or `symlink` mount;
//! - `uid` and `gid` need `namespaces.user = true`, `as_pid1` needs `namespaces.pid = true`;
//! - `keep_fds` entries are 3 or more, since 0, 1 and 2 are always kept;
//! - `capabilities` are known capability names, normalised to `CAP_*`;
//! - `env` names are valid, and none is both set and unset or both kept and unset;
//! - `[dbus]` needs `namespaces.mount = true` (its socket is bound in), and its socket path is
//!   not `/`, not the dest of a mount, not above one, and not inside a file or symlink mount.
//!
//! `process.cwd` is required to be absolute when its file is resolved (`expand_path`).

use std::collections::HashMap;
use std::str::FromStr;

use super::layer::{At, Layer};
use super::mount::{is_root, is_within, normalize};
use super::{Location, MountKind, ProfileError};

/// Maximum hostname length that `sethostname(2)` accepts, in bytes (`HOST_NAME_MAX` on Linux).
const HOSTNAME_MAX: usize = 64;

/// Checks every rule on the merged layer and normalises capability names in place.
pub(super) fn check(layer: &mut Layer) -> Result<(), ProfileError> {
    check_hostname(layer)?;
    check_mounts(layer)?;
    check_process(layer)?;
    normalize_capabilities(layer)?;
    check_env(layer)?;
    check_dbus(layer)
}

fn error(at: &Location, key: &str, message: impl Into<String>) -> ProfileError {
    ProfileError::Key {
        at: at.clone(),
        key: Some(key.to_string()),
        message: message.into(),
    }
}

/// Fails when the namespace `name` is set to false, naming the item that needs it.
fn require_namespace(
    setting: &Option<At<bool>>,
    name: &str,
    item_at: &Location,
    item_key: &str,
) -> Result<(), ProfileError> {
    match setting {
        Some(At { value: false, at }) => Err(error(
            item_at,
            item_key,
            format!("needs `namespaces.{name} = true`, but {at} sets it to false"),
        )),
        _ => Ok(()),
    }
}

fn check_hostname(layer: &Layer) -> Result<(), ProfileError> {
    let Some(hostname) = &layer.hostname else {
        return Ok(());
    };
    require_namespace(&layer.namespaces.uts, "uts", &hostname.at, "hostname")?;
    let name = &hostname.value;
    if name.is_empty() || name.len() > HOSTNAME_MAX || name.contains('\0') {
        let message = format!("invalid hostname {name:?}; expected 1 to 64 bytes without NUL");
        return Err(error(&hostname.at, "hostname", message));
    }
    Ok(())
}

fn check_mounts(layer: &Layer) -> Result<(), ProfileError> {
    let namespaces = &layer.namespaces;
    for (index, current) in layer.mounts.iter().enumerate() {
        let mount = &current.mount;
        require_namespace(&namespaces.mount, "mount", &mount.origin, "mount")?;
        if mount.kind == MountKind::Proc {
            require_namespace(&namespaces.pid, "pid", &mount.origin, "mount")?;
        }
        // A bind on `/` becomes the sandbox's root; being first is enforced below, because
        // every earlier mount would be hidden by it.
        if is_root(&mount.dest) && !matches!(mount.kind, MountKind::Bind { .. }) {
            let message = "dest `/` takes only a bind, ro-bind or dev-bind; sandbox builds an \
                           empty root itself";
            return Err(error(&mount.origin, "mount.dest", message));
        }
        for earlier in layer.mounts[..index].iter().map(|m| &m.mount) {
            let dest = mount.dest.display();
            // Dests are normalised, so byte equality is path equality, and cheaper than
            // `Path`'s component-wise `==` in this loop over every pair of mounts.
            let conflict = if earlier.dest.as_os_str() == mount.dest.as_os_str() {
                format!(
                    "dest {dest} is also the dest of the mount at {}",
                    earlier.origin
                )
            } else if is_within(&earlier.dest, &mount.dest) {
                format!(
                    "dest {dest} would hide the earlier mount at {} ({}); list it first",
                    earlier.dest.display(),
                    earlier.origin
                )
            } else if matches!(
                earlier.kind,
                MountKind::File { .. } | MountKind::Symlink { .. }
            ) && is_within(&mount.dest, &earlier.dest)
            {
                format!(
                    "dest {dest} lies inside the file or symlink mounted at {} ({})",
                    earlier.dest.display(),
                    earlier.origin
                )
            } else {
                continue;
            };
            return Err(error(&mount.origin, "mount.dest", conflict));
        }
    }
    Ok(())
}

fn check_process(layer: &Layer) -> Result<(), ProfileError> {
    let namespaces = &layer.namespaces;
    for (key, id) in [("process.uid", &layer.uid), ("process.gid", &layer.gid)] {
        let Some(id) = id else { continue };
        require_namespace(&namespaces.user, "user", &id.at, key)?;
        // (uid_t)-1 means "no id" to the kernel, and an id map rejects it.
        if id.value == u32::MAX {
            let message = format!("{} is not a valid id; use 0 to {}", id.value, u32::MAX - 1);
            return Err(error(&id.at, key, message));
        }
    }
    if let Some(as_pid1) = layer.as_pid1.as_ref().filter(|as_pid1| as_pid1.value) {
        require_namespace(&namespaces.pid, "pid", &as_pid1.at, "process.as_pid1")?;
    }
    for fd in &layer.keep_fds {
        if fd.value < 3 {
            let message = format!(
                "invalid descriptor {}; 0, 1 and 2 are always kept, list 3 or more",
                fd.value
            );
            return Err(error(&fd.at, "process.keep_fds", message));
        }
    }
    Ok(())
}

/// Accepts `CAP_SYS_ADMIN`, `cap_sys_admin` and `sys_admin`, and stores `CAP_SYS_ADMIN`.
fn normalize_capabilities(layer: &mut Layer) -> Result<(), ProfileError> {
    for name in &mut layer.capabilities {
        let upper = name.value.to_ascii_uppercase();
        let full = match upper.starts_with("CAP_") {
            true => upper,
            false => format!("CAP_{upper}"),
        };
        match caps::Capability::from_str(&full) {
            Ok(capability) => name.value = capability.to_string(),
            Err(_) => {
                let message = format!("unknown capability {:?}", name.value);
                return Err(error(&name.at, "process.capabilities", message));
            }
        }
    }
    Ok(())
}

fn check_env(layer: &Layer) -> Result<(), ProfileError> {
    let names = (layer
        .env_keep
        .iter()
        .map(|name| ("env.keep", &name.value, &name.at)))
    .chain(
        layer
            .env_unset
            .iter()
            .map(|name| ("env.unset", &name.value, &name.at)),
    )
    .chain((layer.env_set.iter()).map(|(name, value)| ("env.set", name, &value.at)));
    for (key, name, at) in names {
        if name.is_empty() || name.contains('=') || name.contains('\0') {
            let message =
                format!("invalid variable name {name:?}; it must be non-empty without `=` or NUL");
            return Err(error(at, key, message));
        }
    }

    let kept: HashMap<&str, &Location> = (layer.env_keep.iter())
        .map(|name| (name.value.as_str(), &name.at))
        .collect();
    for unset in &layer.env_unset {
        if let Some(value) = layer.env_set.get(&unset.value) {
            let message = format!("{} is also set at {}", unset.value, value.at);
            return Err(error(&unset.at, "env.unset", message));
        }
        if let Some(at) = kept.get(unset.value.as_str()) {
            let message = format!("{} is also kept at {at}", unset.value);
            return Err(error(&unset.at, "env.unset", message));
        }
    }
    Ok(())
}

/// Checks the proxied bus socket's place inside the sandbox against the mounts, which come
/// before it in the plan.
fn check_dbus(layer: &Layer) -> Result<(), ProfileError> {
    let Some(dbus) = &layer.dbus else {
        return Ok(());
    };
    let (Some(origin), Some(socket)) = (&dbus.origin, &dbus.socket) else {
        return Ok(());
    };
    require_namespace(&layer.namespaces.mount, "mount", origin, "dbus")?;
    // Normalised like the dests, so that `is_within` compares the same components as
    // `Path::starts_with` would on the path as written.
    let normal_socket = normalize(socket.clone());
    if is_root(&normal_socket) {
        return Err(error(origin, "dbus.socket", "`/` is not a socket path"));
    }
    for mount in layer.mounts.iter().map(|m| &m.mount) {
        let inside_file = is_within(&normal_socket, &mount.dest)
            && matches!(
                mount.kind,
                MountKind::File { .. } | MountKind::Symlink { .. }
            );
        if is_within(&mount.dest, &normal_socket) || inside_file {
            let message = format!(
                "socket {} conflicts with the mount at {} ({})",
                socket.display(),
                mount.dest.display(),
                mount.origin
            );
            return Err(error(origin, "dbus.socket", message));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn is_within_matches_whole_components() {
        assert!(is_within(Path::new("/a/b"), Path::new("/a/b")));
        assert!(is_within(Path::new("/a/b/c"), Path::new("/a/b")));
        assert!(is_within(Path::new("/a"), Path::new("/")));
        assert!(!is_within(Path::new("/a/bc"), Path::new("/a/b")));
        assert!(!is_within(Path::new("/a"), Path::new("/a/b")));
    }
}
