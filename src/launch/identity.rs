//! Credentials inside the sandbox: id maps, capabilities and no_new_privs.

use std::str::FromStr;

use caps::{CapSet, Capability, CapsHashSet};

use super::error::{SetupError, StepContext};

/// Maps one uid and one gid into the child's new user namespace. The child writes its own
/// maps, which the kernel allows without privileges for the caller's own ids once
/// `setgroups` is denied.
pub(crate) fn map_ids(
    uid_inside: u32,
    uid_outside: u32,
    gid_inside: u32,
    gid_outside: u32,
) -> Result<(), SetupError> {
    write_proc("/proc/self/setgroups", "deny")?;
    write_proc(
        "/proc/self/uid_map",
        &format!("{uid_inside} {uid_outside} 1\n"),
    )?;
    write_proc(
        "/proc/self/gid_map",
        &format!("{gid_inside} {gid_outside} 1\n"),
    )
}

fn write_proc(path: &str, content: &str) -> Result<(), SetupError> {
    log::trace!("write {path}: {:?}", content.trim_end());
    std::fs::write(path, content).step(|| format!("write {path}"))
}

/// Drops every capability from every set except `keep`, which stays in the bounding,
/// permitted, effective and inheritable sets and is raised in the ambient set so that it
/// survives execve for a non-root uid.
pub(crate) fn drop_capabilities(keep: &[String]) -> Result<(), SetupError> {
    let keep = parse_capabilities(keep)?;
    let permitted = caps::read(None, CapSet::Permitted).map_err(caps_error("read permitted"))?;
    if let Some(missing) = keep.iter().find(|cap| !permitted.contains(cap)) {
        return Err(SetupError::Refused {
            step: format!(
                "keep capability {missing}: the sandbox does not hold it (without a user \
                 namespace only root holds capabilities)"
            ),
        });
    }
    // Dropping from the bounding set needs CAP_SETPCAP. Without it (an ordinary user and no
    // user namespace) the permitted set is empty already, and no_new_privs stops execve from
    // adding capabilities, so the bounding set no longer matters.
    if permitted.contains(&Capability::CAP_SETPCAP) {
        for cap in caps::all() {
            if !keep.contains(&cap) {
                caps::drop(None, CapSet::Bounding, cap).map_err(caps_error("drop bounding"))?;
            }
        }
    }
    caps::set(None, CapSet::Inheritable, &keep).map_err(caps_error("set inheritable"))?;
    caps::clear(None, CapSet::Ambient).map_err(caps_error("clear ambient"))?;
    for cap in &keep {
        caps::raise(None, CapSet::Ambient, *cap).map_err(caps_error("raise ambient"))?;
    }
    caps::set(None, CapSet::Effective, &keep).map_err(caps_error("set effective"))?;
    caps::set(None, CapSet::Permitted, &keep).map_err(caps_error("set permitted"))
}

fn parse_capabilities(names: &[String]) -> Result<CapsHashSet, SetupError> {
    names
        .iter()
        .map(|name| {
            Capability::from_str(name).map_err(|_| SetupError::Refused {
                step: format!("keep capability {name}: unknown capability"),
            })
        })
        .collect()
}

fn caps_error(what: &'static str) -> impl Fn(caps::errors::CapsError) -> SetupError {
    move |err| SetupError::Refused {
        step: format!("capabilities: {what}: {err}"),
    }
}

/// Sets no_new_privs: execve can no longer grant privileges (setuid bits, file
/// capabilities), and seccomp filters can be installed without CAP_SYS_ADMIN.
pub(crate) fn no_new_privs() -> Result<(), SetupError> {
    rustix::thread::set_no_new_privs(true).step(|| "prctl(PR_SET_NO_NEW_PRIVS)".into())
}
