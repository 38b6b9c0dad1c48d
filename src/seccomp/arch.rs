//! Syscall names and numbers per architecture, and errno names, all taken from the tables of
//! the `syscalls` crate so that nothing here is maintained by hand.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use super::table::{self, SyscallSet, SyscallTable};

/// An architecture that filters can be compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    pub(crate) const ALL: [Arch; 2] = [Arch::X86_64, Arch::Aarch64];

    /// Returns the architecture this binary runs on, or `None` when filters cannot be compiled
    /// for it.
    pub(crate) fn native() -> Option<Arch> {
        if cfg!(target_arch = "x86_64") {
            Some(Arch::X86_64)
        } else if cfg!(target_arch = "aarch64") {
            Some(Arch::Aarch64)
        } else {
            None
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// Returns the `AUDIT_ARCH_*` value that the kernel stores in `seccomp_data.arch` for
    /// syscalls of the native ABI: the ELF machine with the 64-bit and little-endian bits
    /// (linux/audit.h).
    pub(crate) fn audit_arch(self) -> u32 {
        const AUDIT_ARCH_64BIT: u32 = 0x8000_0000;
        const AUDIT_ARCH_LE: u32 = 0x4000_0000;
        let machine = match self {
            Arch::X86_64 => 62,
            Arch::Aarch64 => 183,
        };
        machine | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE
    }

    /// Returns whether x32 syscalls reach the kernel with this architecture's audit value. Only
    /// bit 30 of the syscall number (`__X32_SYSCALL_BIT`) marks them.
    pub(crate) fn has_x32_numbers(self) -> bool {
        self == Arch::X86_64
    }

    pub(crate) fn syscall_number(self, name: &str) -> Option<u32> {
        let id = match self {
            Arch::X86_64 => syscalls::x86_64::Sysno::from_str(name).ok()?.id(),
            Arch::Aarch64 => syscalls::aarch64::Sysno::from_str(name).ok()?.id(),
        };
        u32::try_from(id).ok()
    }

    pub(crate) fn syscall_name(self, number: u32) -> Option<&'static str> {
        self.table().name(number)
    }

    /// Returns the highest syscall number in the table. Numbers above it are newer than the
    /// table.
    pub(crate) fn max_syscall_number(self) -> u32 {
        self.table().max_number()
    }

    /// Lists every syscall of the table as (number, name), in number order.
    pub(crate) fn syscalls(self) -> Vec<(u32, &'static str)> {
        (0..=self.max_syscall_number())
            .filter_map(|number| Some((number, self.syscall_name(number)?)))
            .collect()
    }

    /// Returns the syscalls of the group `name` (without the `@`) that exist on this
    /// architecture, nested groups included, or `None` for an unknown group.
    pub(crate) fn group_syscalls(self, name: &str) -> Option<&'static SyscallSet> {
        self.table().group(name)
    }

    fn table(self) -> &'static SyscallTable {
        match self {
            Arch::X86_64 => &table::X86_64,
            Arch::Aarch64 => &table::AARCH64,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Returns whether `name` is a syscall on at least one supported architecture.
pub(crate) fn is_known_syscall(name: &str) -> bool {
    Arch::ALL
        .iter()
        .any(|arch| arch.syscall_number(name).is_some())
}

/// Collects the names of all syscalls of all supported architectures, for suggestions.
pub(crate) fn known_syscall_names() -> BTreeSet<&'static str> {
    Arch::ALL
        .iter()
        .flat_map(|arch| arch.syscalls())
        .map(|(_, name)| name)
        .collect()
}

/// An error number that a denied syscall returns, with its symbolic name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Errno {
    pub number: u16,
    pub name: &'static str,
}

impl Errno {
    pub(crate) const EPERM: Errno = Errno {
        number: 1,
        name: "EPERM",
    };
    pub(crate) const ENOSYS: Errno = Errno {
        number: 38,
        name: "ENOSYS",
    };

    /// Looks up an errno by its name, such as `EACCES`.
    pub(crate) fn from_name(name: &str) -> Option<Errno> {
        Self::all().find(|errno| errno.name == name)
    }

    /// Lists every errno that the table names, in number order.
    pub(crate) fn all() -> impl Iterator<Item = Errno> {
        // Errno values are below 4096 (the kernel's MAX_ERRNO).
        (1..4096u16).filter_map(|number| {
            let name = syscalls::Errno::new(i32::from(number)).name()?;
            Some(Errno { number, name })
        })
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_map_names_both_ways() {
        assert_eq!(Arch::X86_64.syscall_number("getpid"), Some(39));
        assert_eq!(Arch::Aarch64.syscall_number("getpid"), Some(172));
        assert_eq!(Arch::X86_64.syscall_name(435), Some("clone3"));
        assert_eq!(Arch::Aarch64.syscall_name(435), Some("clone3"));
    }

    #[test]
    fn name_missing_on_one_arch() {
        assert!(Arch::X86_64.syscall_number("open").is_some());
        assert_eq!(Arch::Aarch64.syscall_number("open"), None);
        assert!(is_known_syscall("open"));
        assert!(!is_known_syscall("opne"));
    }

    #[test]
    fn listing_includes_last_syscall() {
        for arch in Arch::ALL {
            let max = arch.max_syscall_number();
            let listed = arch.syscalls();
            assert_eq!(
                listed.last().map(|(number, _)| *number),
                Some(max),
                "{arch}"
            );
        }
    }

    #[test]
    fn audit_arch_values() {
        assert_eq!(Arch::X86_64.audit_arch(), 0xc000_003e);
        assert_eq!(Arch::Aarch64.audit_arch(), 0xc000_00b7);
    }

    #[test]
    fn errno_names() {
        assert_eq!(Errno::from_name("EPERM"), Some(Errno::EPERM));
        assert_eq!(Errno::from_name("ENOSYS"), Some(Errno::ENOSYS));
        assert_eq!(Errno::from_name("EACCES").map(|e| e.number), Some(13));
        assert_eq!(Errno::from_name("EPREM"), None);
    }
}
