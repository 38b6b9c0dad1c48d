//! Names of the Landlock rights and scopes as profiles spell them, the Landlock ABI version
//! that introduced each, and the short sets that expand to them.

use landlock::{AccessFs, AccessNet, BitFlags, Scope, make_bitflags};

/// A filesystem right: its profile name, the kernel flag and the first Landlock ABI version
/// that can restrict it.
pub(crate) struct FsRight {
    pub name: &'static str,
    pub access: AccessFs,
    pub abi: u32,
}

/// Every filesystem right a profile can name, in the kernel's bit order.
pub(crate) const FS_RIGHTS: &[FsRight] = &[
    fs_right("execute", AccessFs::Execute, 1),
    fs_right("write_file", AccessFs::WriteFile, 1),
    fs_right("read_file", AccessFs::ReadFile, 1),
    fs_right("read_dir", AccessFs::ReadDir, 1),
    fs_right("remove_dir", AccessFs::RemoveDir, 1),
    fs_right("remove_file", AccessFs::RemoveFile, 1),
    fs_right("make_char", AccessFs::MakeChar, 1),
    fs_right("make_dir", AccessFs::MakeDir, 1),
    fs_right("make_reg", AccessFs::MakeReg, 1),
    fs_right("make_sock", AccessFs::MakeSock, 1),
    fs_right("make_fifo", AccessFs::MakeFifo, 1),
    fs_right("make_block", AccessFs::MakeBlock, 1),
    fs_right("make_sym", AccessFs::MakeSym, 1),
    fs_right("refer", AccessFs::Refer, 2),
    fs_right("truncate", AccessFs::Truncate, 3),
    fs_right("ioctl_dev", AccessFs::IoctlDev, 5),
    fs_right("resolve_unix", AccessFs::ResolveUnix, 9),
];

const fn fs_right(name: &'static str, access: AccessFs, abi: u32) -> FsRight {
    FsRight { name, access, abi }
}

/// The filesystem rights that every `[landlock]` section restricts, so that a path no rule
/// names gets none of them. `resolve_unix` joins only when a rule names it: restricting it
/// by default would cut every pathname unix socket (D-Bus, Wayland) on kernels with ABI 9.
pub(crate) const BASELINE_FS: BitFlags<AccessFs> = make_bitflags!(AccessFs::{
    Execute | WriteFile | ReadFile | ReadDir | RemoveDir | RemoveFile | MakeChar | MakeDir
        | MakeReg | MakeSock | MakeFifo | MakeBlock | MakeSym | Refer | Truncate | IoctlDev
});

/// The rights that apply to a file that is not a directory. The kernel rejects a rule on such a
/// file when it grants any other right.
pub(crate) const FILE_FS: BitFlags<AccessFs> = make_bitflags!(AccessFs::{
    Execute | WriteFile | ReadFile | Truncate | IoctlDev | ResolveUnix
});

/// `read`: list directories and read files.
pub(crate) const READ_SET: BitFlags<AccessFs> = make_bitflags!(AccessFs::{ReadFile | ReadDir});

/// `write`: everything `read` grants, plus writing, truncating, creating, removing and renaming
/// files, directories, symlinks, sockets and FIFOs, and ioctl on device files. Creating device
/// nodes (`make_char`, `make_block`) is left out.
pub(crate) const WRITE_SET: BitFlags<AccessFs> = make_bitflags!(AccessFs::{
    ReadFile | ReadDir | WriteFile | Truncate | RemoveDir | RemoveFile | MakeDir | MakeReg
        | MakeSock | MakeFifo | MakeSym | Refer | IoctlDev
});

/// `execute`: run files with execve(2). Loading a program also reads it and its libraries, so
/// a path to execute from usually needs `read` too.
pub(crate) const EXECUTE_SET: BitFlags<AccessFs> = make_bitflags!(AccessFs::{Execute});

/// Short sets a rule's `access` list accepts besides the individual rights.
pub(crate) const FS_SETS: &[(&str, BitFlags<AccessFs>)] = &[
    ("read", READ_SET),
    ("write", WRITE_SET),
    ("execute", EXECUTE_SET),
];

/// Landlock ABI version that restricts TCP bind(2) and connect(2).
pub(crate) const NET_ABI: u32 = 4;

/// Landlock ABI version that introduced scopes.
pub(crate) const SCOPE_ABI: u32 = 6;

/// The TCP rights restricted once a profile sets `connect_tcp` or `bind_tcp`.
pub(crate) const TCP_NET: BitFlags<AccessNet> = make_bitflags!(AccessNet::{BindTcp | ConnectTcp});

/// Scopes as `scope` spells them.
pub(crate) const SCOPES: &[(&str, Scope)] = &[
    ("abstract-unix-socket", Scope::AbstractUnixSocket),
    ("signal", Scope::Signal),
];

/// Expands one name of a rule's `access` list: a short set or an individual right.
pub(crate) fn fs_access_by_name(name: &str) -> Option<BitFlags<AccessFs>> {
    let set = FS_SETS
        .iter()
        .find(|(set, _)| *set == name)
        .map(|(_, access)| *access);
    set.or_else(|| {
        FS_RIGHTS
            .iter()
            .find(|right| right.name == name)
            .map(|right| right.access.into())
    })
}

pub(crate) fn scope_by_name(name: &str) -> Option<Scope> {
    SCOPES
        .iter()
        .find(|(scope, _)| *scope == name)
        .map(|(_, scope)| *scope)
}

/// Returns the filesystem rights that Landlock ABI `abi` can restrict.
pub(crate) fn fs_supported(abi: u32) -> BitFlags<AccessFs> {
    FS_RIGHTS
        .iter()
        .filter(|right| right.abi <= abi)
        .fold(BitFlags::EMPTY, |all, right| all | right.access)
}

pub(crate) fn net_supported(abi: u32) -> BitFlags<AccessNet> {
    if abi >= NET_ABI {
        TCP_NET
    } else {
        BitFlags::EMPTY
    }
}

pub(crate) fn scopes_supported(abi: u32) -> BitFlags<Scope> {
    if abi >= SCOPE_ABI {
        SCOPES
            .iter()
            .fold(BitFlags::EMPTY, |all, (_, scope)| all | *scope)
    } else {
        BitFlags::EMPTY
    }
}

/// Returns the profile names of filesystem rights, in the kernel's bit order.
pub(crate) fn fs_names(access: BitFlags<AccessFs>) -> Vec<&'static str> {
    FS_RIGHTS
        .iter()
        .filter(|right| access.contains(right.access))
        .map(|right| right.name)
        .collect()
}

/// Returns `bind_tcp` and `connect_tcp`, the profile keys of the TCP rights in `access`.
pub(crate) fn net_names(access: BitFlags<AccessNet>) -> Vec<&'static str> {
    let mut names = Vec::new();
    if access.contains(AccessNet::BindTcp) {
        names.push("bind_tcp");
    }
    if access.contains(AccessNet::ConnectTcp) {
        names.push("connect_tcp");
    }
    names
}

/// Returns `scope NAME` for each scope in `scopes`.
pub(crate) fn scope_names(scopes: BitFlags<Scope>) -> Vec<String> {
    SCOPES
        .iter()
        .filter(|(_, scope)| scopes.contains(*scope))
        .map(|(name, _)| format!("scope {name}"))
        .collect()
}

/// Returns every name a rule's `access` list accepts, for "did you mean" hints.
pub(crate) fn fs_access_names() -> impl Iterator<Item = &'static str> {
    let sets = FS_SETS.iter().map(|(name, _)| *name);
    sets.chain(FS_RIGHTS.iter().map(|right| right.name))
}

/// Returns the closest of `candidates` to a misspelled `name`, when one is close enough to
/// suggest.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fs_rights_match_crate_abi_table() {
        // The crate's own per-ABI sets are the reference for which version added what.
        for abi in 1..=9 {
            let crate_abi = landlock::ABI::from(abi as i32);
            let expected = landlock::Access::from_all(crate_abi);
            assert_eq!(fs_supported(abi), expected, "ABI {abi}");
        }
    }

    #[test]
    fn baseline_is_everything_up_to_abi_8() {
        let expected: BitFlags<AccessFs> = landlock::Access::from_all(landlock::ABI::V8);
        assert_eq!(BASELINE_FS, expected);
    }

    #[test]
    fn file_rights_are_a_subset_of_all() {
        let all = fs_supported(u32::MAX);
        assert!(all.contains(FILE_FS));
        assert_eq!(
            landlock::AccessFs::from_file(landlock::ABI::V9),
            FILE_FS & all
        );
    }

    #[test]
    fn sets_expand_to_rights() {
        assert_eq!(fs_access_by_name("read"), Some(READ_SET));
        assert_eq!(
            fs_access_by_name("truncate"),
            Some(AccessFs::Truncate.into())
        );
        assert_eq!(fs_access_by_name("truncated"), None);
        assert!(WRITE_SET.contains(READ_SET));
        assert!(!WRITE_SET.contains(AccessFs::MakeChar));
        assert!(!WRITE_SET.contains(AccessFs::Execute));
    }

    #[test]
    fn network_and_scopes_by_abi() {
        assert!(net_supported(3).is_empty());
        assert_eq!(net_supported(4), TCP_NET);
        assert!(scopes_supported(5).is_empty());
        assert_eq!(scopes_supported(6).len(), 2);
    }

    #[test]
    fn closest_suggests_near_names() {
        assert_eq!(closest("read_fiel", fs_access_names()), Some("read_file"));
        assert_eq!(closest("zzz", fs_access_names()), None);
    }
}
