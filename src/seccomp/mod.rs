//! Seccomp policy: the `[seccomp]` profile section, syscall groups, the hardened baseline and
//! the compiled BPF filter.
//!
//! The stages mirror the profile's: `raw` (serde types of one file) → `layer` (names checked,
//! merged across includes) → `policy` (the action of every syscall on one architecture) →
//! `bpf` (the program). [`compile`] runs the last two in the parent, before any namespace
//! exists, so a bad policy fails before anything happens; [`SeccompFilter::install`] runs in
//! the target right before execve.

mod arch;
mod baseline;
mod bpf;
pub(crate) mod groups;
mod layer;
mod policy;
mod raw;
mod table;
#[cfg(test)]
mod tests;

pub(crate) use layer::SeccompLayer;
pub(crate) use raw::RawSeccomp;

use seccompiler::BpfProgram;

use arch::Arch;
use baseline::BaselineItem;
use policy::{Action, Origin, Policy};

use crate::profile::Location;

/// A seccomp policy that cannot be compiled or installed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SeccompError {
    #[error("seccomp filters cannot be compiled for {arch}; sandbox supports x86_64 and aarch64")]
    UnsupportedArch { arch: &'static str },

    #[error(
        "{at}: {key}: {syscall} is denied by the seccomp baseline; set `{item} = false` under \
         [seccomp.baseline] to allow it"
    )]
    BaselineConflict {
        at: Location,
        key: String,
        syscall: String,
        item: &'static str,
    },

    #[error(
        "the seccomp policy denies execve ({action}, from {origin}), so the command could not \
         start; allow execve, which @default contains"
    )]
    ExecveDenied { action: Action, origin: Origin },

    #[error(
        "the seccomp filter needs {instructions} BPF instructions, more than the kernel's \
         limit of 4096; use fewer argument rules"
    )]
    TooLarge { instructions: usize },

    #[error("cannot compile the seccomp rule for {syscall}: {message}")]
    Rule {
        syscall: &'static str,
        message: String,
    },
}

/// A compiled filter for the native architecture, with the policy it came from.
#[derive(Clone, Debug)]
pub(crate) struct SeccompFilter {
    program: BpfProgram,
    policy: Policy,
}

/// Compiles a merged seccomp layer into a filter for the native architecture. Runs in the
/// parent, before the sandbox is created.
pub(crate) fn compile(layer: &SeccompLayer) -> Result<SeccompFilter, SeccompError> {
    let arch = Arch::native().ok_or(SeccompError::UnsupportedArch {
        arch: std::env::consts::ARCH,
    })?;
    compile_for(layer, arch)
}

fn compile_for(layer: &SeccompLayer, arch: Arch) -> Result<SeccompFilter, SeccompError> {
    let policy = Policy::build(layer, arch)?;
    for warning in &policy.warnings {
        log::warn!("{warning}");
    }
    let program = bpf::generate(&policy)?;
    log::debug!(
        "seccomp: compiled {} BPF instructions for {arch}",
        program.len()
    );
    Ok(SeccompFilter { program, policy })
}

impl SeccompFilter {
    /// Returns the lines that `--dry-run` and `-v` show: the default action, the rule
    /// counts, the baseline items in force and any names skipped on this architecture.
    pub(crate) fn describe(&self) -> Vec<String> {
        let policy = &self.policy;
        let (mut allowed, mut logged, mut denied, mut with_rules, mut rules) = (0, 0, 0, 0, 0);
        for syscall in policy.syscalls.values() {
            match syscall.action {
                Action::Allow => allowed += 1,
                Action::Log => logged += 1,
                action if action.denies() => denied += 1,
                _ => {}
            }
            if !syscall.rules.is_empty() {
                with_rules += 1;
                rules += syscall.rules.len();
            }
        }
        let mut lines = vec![
            format!(
                "default {}; syscalls missing from the {} table: {}; other ABIs: {}",
                policy.default, policy.arch, policy.unknown, policy.foreign_abi
            ),
            format!(
                "{allowed} syscalls allowed, {logged} logged, {denied} denied; {rules} argument \
                 rules on {with_rules} syscalls; {} BPF instructions",
                self.program.len()
            ),
            format!("baseline: {}", item_keys(&policy.baseline_on)),
        ];
        if !policy.baseline_off.is_empty() {
            lines.push(format!(
                "baseline turned off: {}",
                item_keys(&policy.baseline_off)
            ));
        }
        lines.extend(policy.warnings.iter().cloned());
        lines
    }

    /// Returns one line per syscall of the table with its action, rules and origin, after a
    /// header with the default actions, for `sandbox seccomp PROFILE`.
    pub(crate) fn policy_lines(&self) -> Vec<String> {
        let policy = &self.policy;
        let mut lines = vec![
            format!("# seccomp policy for {}", policy.arch),
            format!(
                "# default: {}; syscalls missing from the table: {}; other ABIs: {}",
                policy.default, policy.unknown, policy.foreign_abi
            ),
            format!("# baseline: {}", item_keys(&policy.baseline_on)),
        ];
        if !policy.baseline_off.is_empty() {
            lines.push(format!(
                "# baseline turned off: {}",
                item_keys(&policy.baseline_off)
            ));
        }
        for syscall in policy.syscalls.values() {
            lines.push(format!(
                "{:<24} {:<14} {}",
                syscall.name,
                syscall.action.to_string(),
                syscall.origin
            ));
            for rule in &syscall.rules {
                let conditions: Vec<String> =
                    rule.conditions.iter().map(ToString::to_string).collect();
                lines.push(format!(
                    "    if {}: {} ({})",
                    conditions.join(" and "),
                    rule.action,
                    rule.origin
                ));
            }
        }
        lines
    }

    /// Installs the filter on the calling thread. Runs in the target, right before execve,
    /// after no_new_privs is set; everything the thread does afterwards is filtered, execve
    /// included.
    pub(crate) fn install(&self) -> std::io::Result<()> {
        seccompiler::apply_filter(&self.program).map_err(|err| match err {
            seccompiler::Error::Prctl(source) | seccompiler::Error::Seccomp(source) => source,
            other => std::io::Error::other(other.to_string()),
        })
    }

    /// Returns whether syscalls that nothing names are denied (`default` is "errno" or
    /// "kill"), so that the filter is an allow-list.
    pub(crate) fn is_allow_list(&self) -> bool {
        self.policy.default.denies()
    }

    /// Returns whether the profile turned off the baseline's namespace denial, so that the
    /// target may create nested sandboxes as far as its allow list lets it call `unshare` or
    /// `clone`.
    pub(crate) fn allows_nested_namespaces(&self) -> bool {
        !self.policy.baseline_on.contains(&BaselineItem::Namespaces)
    }
}

fn item_keys(items: &[BaselineItem]) -> String {
    if items.is_empty() {
        return "none".to_string();
    }
    let keys: Vec<&str> = items.iter().map(|item| item.key()).collect();
    keys.join(", ")
}
