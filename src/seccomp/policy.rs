//! The policy for one architecture: the action of every syscall in the table, the argument
//! rules checked before it, and where each decision comes from.
//!
//! Precedence, highest first: the baseline, the profile's rules in include order, `deny`,
//! `allow`, and last the default action.

use std::fmt;
use std::sync::Arc;

use seccompiler::{SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition};

use super::SeccompError;
use super::arch::{Arch, Errno};
use super::baseline::{BaselineItem, Effect};
use super::layer::{NameEntry, SeccompLayer};
use super::raw::RawAction;
use crate::profile::Location;

/// An action that the filter returns for a syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Allow,
    Errno(Errno),
    /// SECCOMP_RET_KILL_PROCESS: the whole process, never only the calling thread.
    KillProcess,
    Log,
}

impl Action {
    /// The filter's return value (SECCOMP_RET_*) for this action.
    pub(crate) fn return_value(self) -> u32 {
        let action = match self {
            Action::Allow => SeccompAction::Allow,
            Action::Errno(errno) => SeccompAction::Errno(u32::from(errno.number)),
            Action::KillProcess => SeccompAction::KillProcess,
            Action::Log => SeccompAction::Log,
        };
        u32::from(action)
    }

    /// Returns whether the action stops the syscall from running.
    pub(crate) fn denies(self) -> bool {
        matches!(self, Action::Errno(_) | Action::KillProcess)
    }

    fn from_raw(raw: RawAction, errno: Errno) -> Action {
        match raw {
            RawAction::Allow => Action::Allow,
            RawAction::Errno => Action::Errno(errno),
            RawAction::Kill => Action::KillProcess,
            RawAction::Log => Action::Log,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Allow => f.write_str("allow"),
            Action::Errno(errno) => write!(f, "errno {errno}"),
            Action::KillProcess => f.write_str("kill"),
            Action::Log => f.write_str("log"),
        }
    }
}

/// A comparison of an argument with a constant, unsigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// The argument ANDed with the mask equals the value.
    MaskedEq(u64),
}

/// How many low bits of an argument a condition compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Width {
    Bits32,
    Bits64,
}

impl Width {
    pub(crate) fn bits(self) -> u32 {
        match self {
            Width::Bits32 => 32,
            Width::Bits64 => 64,
        }
    }
}

/// One condition on one syscall argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Condition {
    /// Argument index, 0 to 5.
    pub arg: u8,
    pub op: CmpOp,
    pub value: u64,
    pub width: Width,
}

impl Condition {
    pub(crate) fn to_seccompiler(self) -> Result<SeccompCondition, seccompiler::BackendError> {
        let width = match self.width {
            Width::Bits32 => SeccompCmpArgLen::Dword,
            Width::Bits64 => SeccompCmpArgLen::Qword,
        };
        let op = match self.op {
            CmpOp::Eq => SeccompCmpOp::Eq,
            CmpOp::Ne => SeccompCmpOp::Ne,
            CmpOp::Lt => SeccompCmpOp::Lt,
            CmpOp::Le => SeccompCmpOp::Le,
            CmpOp::Gt => SeccompCmpOp::Gt,
            CmpOp::Ge => SeccompCmpOp::Ge,
            CmpOp::MaskedEq(mask) => SeccompCmpOp::MaskedEq(mask),
        };
        SeccompCondition::new(self.arg, width, op, self.value)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "arg{}", self.arg)?;
        if self.width == Width::Bits32 {
            f.write_str(" (low 32 bits)")?;
        }
        let op = match self.op {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::MaskedEq(mask) => {
                return write!(f, " & {mask:#x} == {:#x}", self.value);
            }
        };
        write!(f, " {op} {:#x}", self.value)
    }
}

/// The source of the action of a syscall or rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    Baseline(BaselineItem),
    /// An entry of the profile: its key, the name written there (a syscall or `@group`), and
    /// its place in the file.
    Profile {
        key: &'static str,
        /// Shared, because one group entry is the origin of hundreds of syscalls.
        name: Arc<str>,
        at: Arc<Location>,
    },
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Baseline(item) => write!(f, "baseline {}", item.key()),
            Origin::Profile { key, name, at } => write!(f, "{key} {name} at {at}"),
            Origin::Default => f.write_str("default"),
        }
    }
}

/// An action that applies when all conditions hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ArgRule {
    pub conditions: Vec<Condition>,
    pub action: Action,
    pub origin: Origin,
}

/// The policy of one syscall: its rules in order, then the action when none matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyscallPolicy {
    pub name: &'static str,
    pub rules: Vec<ArgRule>,
    pub action: Action,
    pub origin: Origin,
}

/// The policies of the syscalls of one table, indexed by syscall number.
#[derive(Clone, Debug)]
pub(crate) struct SyscallPolicies {
    /// `None` for the numbers that the table skips.
    by_number: Vec<Option<SyscallPolicy>>,
}

impl SyscallPolicies {
    pub(crate) fn get(&self, number: u32) -> Option<&SyscallPolicy> {
        let index = usize::try_from(number).ok()?;
        self.by_number.get(index)?.as_ref()
    }

    /// Iterates over the syscalls with their numbers, in number order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &SyscallPolicy)> {
        (0u32..)
            .zip(&self.by_number)
            .filter_map(|(number, syscall)| Some((number, syscall.as_ref()?)))
    }

    /// Iterates over the syscalls in number order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &SyscallPolicy> {
        self.iter().map(|(_, syscall)| syscall)
    }
}

/// The complete policy for one architecture.
#[derive(Clone, Debug)]
pub(crate) struct Policy {
    pub arch: Arch,
    /// The action of syscalls in the table that nothing names.
    pub default: Action,
    /// The action of syscall numbers that the table does not contain.
    pub unknown: Action,
    /// The action of syscalls through other ABIs (the audit arch differs, or an x32 number).
    pub foreign_abi: Action,
    /// Every syscall of the table, by number.
    pub syscalls: SyscallPolicies,
    pub baseline_on: Vec<BaselineItem>,
    pub baseline_off: Vec<BaselineItem>,
    /// Names in the profile that do not exist on this architecture and were skipped.
    pub warnings: Vec<String>,
}

impl Policy {
    /// Resolves a merged layer for `arch`.
    pub(crate) fn build(layer: &SeccompLayer, arch: Arch) -> Result<Policy, SeccompError> {
        let errno = layer.errno.unwrap_or(Errno::EPERM);
        let default = Action::from_raw(layer.default.unwrap_or(RawAction::Allow), errno);
        // An allow-list must not deny syscalls newer than the table with the profile's errno:
        // ENOSYS is what makes libc fall back to an older call.
        let unknown = if default.denies() {
            Action::Errno(Errno::ENOSYS)
        } else {
            default
        };
        let (baseline_on, baseline_off): (Vec<_>, Vec<_>) = BaselineItem::ALL
            .into_iter()
            .partition(|item| layer.baseline.get(item) != Some(&false));
        // The profile's errno rather than ENOSYS, which kernels without x32 or ia32 support
        // return by themselves: a denial by the filter stays recognizable.
        let foreign_abi = if baseline_on.contains(&BaselineItem::NativeAbi) {
            Action::Errno(errno)
        } else {
            default
        };

        let mut builder = Builder {
            arch,
            errno,
            entries: (0..=arch.max_syscall_number())
                .map(|number| arch.syscall_name(number).map(Entry::new))
                .collect(),
            warnings: Vec::new(),
        };
        for item in &baseline_on {
            builder.apply_baseline(*item);
        }
        builder.apply_rules(layer)?;
        builder.apply_names(&layer.deny, "seccomp.deny", Action::Errno(errno))?;
        builder.apply_names(&layer.allow, "seccomp.allow", Action::Allow)?;

        let syscalls = SyscallPolicies {
            by_number: (builder.entries.into_iter())
                .map(|entry| Some(entry?.finish(default)))
                .collect(),
        };
        check_execve_allowed(&syscalls, arch)?;
        Ok(Policy {
            arch,
            default,
            unknown,
            foreign_abi,
            syscalls,
            baseline_on,
            baseline_off,
            warnings: builder.warnings,
        })
    }
}

/// Rejects a policy that denies execve outright: the launcher installs the filter before
/// execve, so the command could never start.
fn check_execve_allowed(syscalls: &SyscallPolicies, arch: Arch) -> Result<(), SeccompError> {
    let execve = arch
        .syscall_number("execve")
        .and_then(|number| syscalls.get(number));
    match execve {
        Some(execve) if execve.rules.is_empty() && execve.action.denies() => {
            Err(SeccompError::ExecveDenied {
                action: execve.action,
                origin: execve.origin.clone(),
            })
        }
        _ => Ok(()),
    }
}

/// A syscall's policy while the builder fills it in.
struct Entry {
    name: &'static str,
    rules: Vec<ArgRule>,
    /// The action when no rule matches, once something has decided it.
    decided: Option<(Action, Origin)>,
    /// Set when the baseline gives ENOSYS only so that libc falls back to an older call.
    fallback: bool,
}

impl Entry {
    fn new(name: &'static str) -> Entry {
        Entry {
            name,
            rules: Vec::new(),
            decided: None,
            fallback: false,
        }
    }

    fn decide(&mut self, action: Action, origin: Origin) {
        self.decided.get_or_insert((action, origin));
    }

    fn finish(self, default: Action) -> SyscallPolicy {
        let (action, origin) = self.decided.unwrap_or((default, Origin::Default));
        SyscallPolicy {
            name: self.name,
            rules: self.rules,
            action,
            origin,
        }
    }

    /// Returns the baseline item that denies this syscall outright, if any. A fallback to an
    /// older call does not count.
    fn baseline_denial(&self) -> Option<BaselineItem> {
        match &self.decided {
            Some((_, Origin::Baseline(item))) if !self.fallback => Some(*item),
            _ => None,
        }
    }
}

struct Builder {
    arch: Arch,
    errno: Errno,
    /// Indexed by syscall number; `None` for the numbers that the table skips.
    entries: Vec<Option<Entry>>,
    warnings: Vec<String>,
}

impl Builder {
    fn entry(&mut self, name: &str) -> Option<&mut Entry> {
        let number = self.arch.syscall_number(name)?;
        self.entry_by_number(number)
    }

    fn entry_by_number(&mut self, number: u32) -> Option<&mut Entry> {
        let index = usize::try_from(number).ok()?;
        self.entries.get_mut(index)?.as_mut()
    }

    /// Applies one baseline item. Its syscalls that do not exist on this architecture (such
    /// as the `*64` clock calls on x86_64) are skipped.
    fn apply_baseline(&mut self, item: BaselineItem) {
        for effect in item.effects(self.errno) {
            match effect {
                Effect::Deny { syscall, action } => {
                    if let Some(entry) = self.entry(syscall) {
                        entry.decide(action, Origin::Baseline(item));
                    }
                }
                Effect::Fallback { syscall } => {
                    if let Some(entry) = self.entry(syscall) {
                        entry.decide(Action::Errno(Errno::ENOSYS), Origin::Baseline(item));
                        entry.fallback = true;
                    }
                }
                Effect::Rule {
                    syscall,
                    conditions,
                    action,
                } => {
                    if let Some(entry) = self.entry(syscall) {
                        entry.rules.push(ArgRule {
                            conditions,
                            action,
                            origin: Origin::Baseline(item),
                        });
                    }
                }
            }
        }
    }

    fn apply_rules(&mut self, layer: &SeccompLayer) -> Result<(), SeccompError> {
        let arch = self.arch;
        let errno = self.errno;
        for rule in &layer.rules {
            let key = "seccomp.rule";
            let Some(entry) = self.entry(&rule.syscall) else {
                self.warnings.push(format!(
                    "{}: {key}: syscall {} does not exist on {arch}; rule skipped",
                    rule.at, rule.syscall
                ));
                continue;
            };
            if let Some(item) = entry.baseline_denial() {
                return Err(baseline_conflict(&rule.at, key, &rule.syscall, item));
            }
            let action = Action::from_raw(rule.action, rule.errno.unwrap_or(errno));
            let origin = Origin::Profile {
                key,
                name: Arc::from(rule.syscall.as_str()),
                at: Arc::new(rule.at.clone()),
            };
            if let Some((_, earlier)) = &entry.decided {
                let warning = format!(
                    "{}: {key}: rule for {} never applies because the rule ({earlier}) \
                     always matches first",
                    rule.at, rule.syscall
                );
                self.warnings.push(warning);
            } else if rule.conditions.is_empty() {
                entry.decide(action, origin);
            } else {
                entry.rules.push(ArgRule {
                    conditions: rule.conditions.clone(),
                    action,
                    origin,
                });
            }
        }
        Ok(())
    }

    /// Gives `action` to every syscall of `names` that nothing decided yet. Names that do not
    /// exist on this architecture are skipped inside groups and reported when written
    /// directly.
    fn apply_names(
        &mut self,
        names: &[NameEntry],
        key: &'static str,
        action: Action,
    ) -> Result<(), SeccompError> {
        let arch = self.arch;
        for entry_ref in names {
            let origin = Origin::Profile {
                key,
                name: Arc::from(entry_ref.name.as_str()),
                at: Arc::new(entry_ref.at.clone()),
            };
            if let Some(group) = entry_ref.name.strip_prefix('@') {
                // Naming a syscall that the baseline denies is a mistake only when written
                // directly; groups are broad on purpose. A group leaves out the members that
                // this architecture lacks.
                let Some(numbers) = arch.group_syscalls(group) else {
                    continue;
                };
                for number in numbers.iter() {
                    if let Some(entry) = self.entry_by_number(number) {
                        entry.decide(action, origin.clone());
                    }
                }
                continue;
            }
            let syscall = entry_ref.name.as_str();
            let Some(entry) = self.entry(syscall) else {
                self.warnings.push(format!(
                    "{}: {key}: syscall {syscall} does not exist on {arch}; skipped",
                    entry_ref.at
                ));
                continue;
            };
            if let (Action::Allow, Some(item)) = (action, entry.baseline_denial()) {
                return Err(baseline_conflict(&entry_ref.at, key, syscall, item));
            }
            entry.decide(action, origin);
        }
        Ok(())
    }
}

fn baseline_conflict(at: &Location, key: &str, syscall: &str, item: BaselineItem) -> SeccompError {
    SeccompError::BaselineConflict {
        at: at.clone(),
        key: key.to_string(),
        syscall: syscall.to_string(),
        item: item.key(),
    }
}
