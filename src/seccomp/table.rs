//! The syscall table of each architecture and the syscalls of each group, computed at compile
//! time from the tables of the `syscalls` crate and from [`GROUPS`]. Compiling a policy then
//! looks up no group member by name and builds no map of the table.

use super::groups::GROUPS;

/// Syscall numbers below this bound fit a [`SyscallSet`]. A table whose highest number does not
/// fit fails to compile.
const SET_BITS: usize = 512;

/// A set of syscall numbers of one architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SyscallSet {
    words: [u64; SET_BITS / 64],
}

impl SyscallSet {
    const EMPTY: SyscallSet = SyscallSet {
        words: [0; SET_BITS / 64],
    };

    const fn with(mut self, number: usize) -> SyscallSet {
        self.words[number / 64] |= 1 << (number % 64);
        self
    }

    const fn union(mut self, other: &SyscallSet) -> SyscallSet {
        let mut index = 0;
        while index < self.words.len() {
            self.words[index] |= other.words[index];
            index += 1;
        }
        self
    }

    const fn is_superset(&self, other: &SyscallSet) -> bool {
        let mut index = 0;
        while index < self.words.len() {
            if other.words[index] & !self.words[index] != 0 {
                return false;
            }
            index += 1;
        }
        true
    }

    /// Iterates over the numbers in the set, in ascending order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(index, &word)| {
            let base = index as u32 * 64;
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                Some(base + bit)
            })
        })
    }
}

/// The syscalls of one architecture.
#[derive(Debug)]
pub(crate) struct SyscallTable {
    /// The name of every number from 0 to the highest, `None` where the table has a gap.
    names: &'static [Option<&'static str>],
    /// The syscalls of each group of [`GROUPS`], at the same index, with the members of nested
    /// groups. Members that do not exist on this architecture are left out.
    groups: &'static [SyscallSet],
}

impl SyscallTable {
    pub(crate) fn name(&self, number: u32) -> Option<&'static str> {
        let index = usize::try_from(number).ok()?;
        self.names.get(index).copied().flatten()
    }

    /// Returns the highest number of the table.
    pub(crate) fn max_number(&self) -> u32 {
        // The length is at most SET_BITS, which the table's construction checks.
        self.names.len() as u32 - 1
    }

    /// Returns the syscalls of the group `name` (without the `@`), or `None` for an unknown
    /// group.
    pub(crate) fn group(&self, name: &str) -> Option<&'static SyscallSet> {
        let index = GROUPS.iter().position(|group| group.name == name)?;
        self.groups.get(index)
    }
}

pub(crate) static X86_64: SyscallTable = SyscallTable {
    names: &x86_64::NAMES,
    groups: &x86_64::GROUP_SETS,
};

pub(crate) static AARCH64: SyscallTable = SyscallTable {
    names: &aarch64::NAMES,
    groups: &aarch64::GROUP_SETS,
};

/// Defines `NAMES` and `GROUP_SETS` of one architecture from the crate's `Sysno` type, whose
/// `new` and `name` are `const fn`.
macro_rules! arch_tables {
    ($arch:ident) => {
        mod $arch {
            use super::{SET_BITS, SyscallSet, group_sets};

            type Sysno = syscalls::$arch::Sysno;

            const SIZE: usize = Sysno::last().id() as usize + 1;
            const _: () = assert!(SIZE <= SET_BITS, "syscall numbers outgrew SyscallSet");

            /// The name of each number, `None` for the numbers the table skips.
            const NAMES_BY_NUMBER: [Option<&str>; SIZE] = {
                let mut names = [None; SIZE];
                let mut number = 0;
                while number < SIZE {
                    if let Some(sysno) = Sysno::new(number) {
                        names[number] = Some(sysno.name());
                    }
                    number += 1;
                }
                names
            };

            pub(super) static NAMES: [Option<&str>; SIZE] = NAMES_BY_NUMBER;

            pub(super) static GROUP_SETS: [SyscallSet; super::GROUPS.len()] =
                group_sets(&NAMES_BY_NUMBER);
        }
    };
}

arch_tables!(x86_64);
arch_tables!(aarch64);

/// A syscall name and its number, for the lookups while the group sets are built.
type NameEntry = (&'static [u8], u16);

/// Builds the set of each group from the name of each number of one architecture.
const fn group_sets(names: &[Option<&'static str>]) -> [SyscallSet; GROUPS.len()] {
    // Sorted by name, so that each member is found by a binary search instead of a scan of the
    // whole table, which keeps the evaluation at compile time short.
    let mut by_name: [NameEntry; SET_BITS] = [(b"", 0); SET_BITS];
    let mut count = 0;
    let mut number = 0;
    while number < names.len() {
        if let Some(name) = names[number] {
            by_name[count] = (name.as_bytes(), number as u16);
            count += 1;
        }
        number += 1;
    }
    let by_name = by_name.split_at_mut(count).0;
    heap_sort(by_name);

    let mut sets = [SyscallSet::EMPTY; GROUPS.len()];
    let mut group = 0;
    while group < GROUPS.len() {
        let members = GROUPS[group].members;
        let mut member = 0;
        while member < members.len() {
            if let Some(number) = find_number(by_name, members[member].as_bytes()) {
                sets[group] = sets[group].with(number as usize);
            }
            member += 1;
        }
        group += 1;
    }

    // Adds the sets of nested groups until nothing changes, which also ends on a cycle of
    // groups naming each other.
    let mut changed = true;
    while changed {
        changed = false;
        let mut group = 0;
        while group < GROUPS.len() {
            let members = GROUPS[group].members;
            let mut member = 0;
            while member < members.len() {
                if let Some(nested) = nested_group_index(members[member].as_bytes())
                    && !sets[group].is_superset(&sets[nested])
                {
                    sets[group] = sets[group].union(&sets[nested]);
                    changed = true;
                }
                member += 1;
            }
            group += 1;
        }
    }
    sets
}

/// Returns the index in [`GROUPS`] of the group that `member` names as `@NAME`, or `None` for
/// a syscall name or an unknown group.
const fn nested_group_index(member: &[u8]) -> Option<usize> {
    let [b'@', name @ ..] = member else {
        return None;
    };
    let mut index = 0;
    while index < GROUPS.len() {
        if compare(GROUPS[index].name.as_bytes(), name) == 0 {
            return Some(index);
        }
        index += 1;
    }
    None
}

/// Finds the number of `name` in `sorted` (sorted by name).
const fn find_number(sorted: &[NameEntry], name: &[u8]) -> Option<u16> {
    let mut low = 0;
    let mut high = sorted.len();
    while low < high {
        let middle = low + (high - low) / 2;
        match compare(sorted[middle].0, name) {
            0 => return Some(sorted[middle].1),
            order if order < 0 => low = middle + 1,
            _ => high = middle,
        }
    }
    None
}

/// Compares byte strings as `Ord` does: -1, 0 or 1.
const fn compare(left: &[u8], right: &[u8]) -> i8 {
    let mut index = 0;
    while index < left.len() && index < right.len() {
        if left[index] != right[index] {
            return if left[index] < right[index] { -1 } else { 1 };
        }
        index += 1;
    }
    if left.len() < right.len() {
        -1
    } else if left.len() > right.len() {
        1
    } else {
        0
    }
}

/// Sorts by name with a heap sort, which needs no allocation and few comparisons.
const fn heap_sort(entries: &mut [NameEntry]) {
    let mut start = entries.len() / 2;
    while start > 0 {
        start -= 1;
        sift_down(entries, start, entries.len());
    }
    let mut end = entries.len();
    while end > 1 {
        end -= 1;
        entries.swap(0, end);
        sift_down(entries, 0, end);
    }
}

/// Moves `entries[root]` down the max-heap in `entries[..end]` until its children are smaller.
const fn sift_down(entries: &mut [NameEntry], mut root: usize, end: usize) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && compare(entries[child].0, entries[child + 1].0) < 0 {
            child += 1;
        }
        if compare(entries[root].0, entries[child].0) >= 0 {
            return;
        }
        entries.swap(root, child);
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::arch::Arch;
    use crate::seccomp::groups;

    /// Looks the name up with the crate's own `Sysno`, which the tables replace.
    fn crate_name(arch: Arch, number: u32) -> Option<&'static str> {
        let number = usize::try_from(number).unwrap();
        match arch {
            Arch::X86_64 => syscalls::x86_64::Sysno::new(number).map(|s| s.name()),
            Arch::Aarch64 => syscalls::aarch64::Sysno::new(number).map(|s| s.name()),
        }
    }

    fn table(arch: Arch) -> &'static SyscallTable {
        match arch {
            Arch::X86_64 => &X86_64,
            Arch::Aarch64 => &AARCH64,
        }
    }

    #[test]
    fn names_match_crate_table() {
        for arch in Arch::ALL {
            let table = table(arch);
            let last = match arch {
                Arch::X86_64 => syscalls::x86_64::Sysno::last().id(),
                Arch::Aarch64 => syscalls::aarch64::Sysno::last().id(),
            };
            assert_eq!(i64::from(table.max_number()), i64::from(last), "{arch}");
            for number in 0..=table.max_number() + 2 {
                assert_eq!(
                    table.name(number),
                    crate_name(arch, number),
                    "{arch} {number}"
                );
            }
        }
    }

    #[test]
    fn group_sets_match_expansion_by_name() {
        for arch in Arch::ALL {
            for group in GROUPS {
                let expected: Vec<u32> = groups::expand(group)
                    .into_iter()
                    .filter_map(|name| arch.syscall_number(name))
                    .collect::<std::collections::BTreeSet<u32>>()
                    .into_iter()
                    .collect();
                let set = table(arch).group(group.name).unwrap();
                let numbers: Vec<u32> = set.iter().collect();
                assert_eq!(numbers, expected, "{arch} @{}", group.name);
            }
        }
    }

    #[test]
    fn unknown_group_has_no_set() {
        assert_eq!(X86_64.group("nope"), None);
        assert_eq!(X86_64.group("@default"), None);
    }

    #[test]
    fn set_iterates_in_ascending_order() {
        let set = SyscallSet::EMPTY.with(500).with(0).with(64).with(63);
        assert_eq!(set.iter().collect::<Vec<u32>>(), [0, 63, 64, 500]);
        assert!(set.is_superset(&SyscallSet::EMPTY.with(64)));
        assert!(!SyscallSet::EMPTY.with(64).is_superset(&set));
    }

    #[test]
    fn compare_orders_as_str() {
        let words = [
            "",
            "a",
            "ab",
            "b",
            "clone",
            "clone3",
            "close",
            "close_range",
        ];
        for left in words {
            for right in words {
                let expected = match left.cmp(right) {
                    std::cmp::Ordering::Less => -1,
                    std::cmp::Ordering::Equal => 0,
                    std::cmp::Ordering::Greater => 1,
                };
                let compared = compare(left.as_bytes(), right.as_bytes());
                assert_eq!(compared, expected, "{left:?} {right:?}");
            }
        }
    }
}
