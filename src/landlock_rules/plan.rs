//! The Landlock ruleset decided in the parent, before any namespace: which rights the profile
//! restricts, which of them the kernel can enforce, and what each rule grants.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};

use landlock::{AccessFs, AccessNet, BitFlags, Scope};

use super::abi::{self, AbiVersion};
use super::layer::{Compat, LandlockLayer};
use super::{LandlockError, rights};
use crate::profile::Location;

/// Restricted rights of the three Landlock kinds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Rights {
    pub fs: BitFlags<AccessFs>,
    pub net: BitFlags<AccessNet>,
    pub scopes: BitFlags<Scope>,
}

impl Rights {
    /// Returns the rights of `self` that ABI version `abi` can enforce.
    fn supported_by(self, abi: u32) -> Rights {
        Rights {
            fs: self.fs & rights::fs_supported(abi),
            net: self.net & rights::net_supported(abi),
            scopes: self.scopes & rights::scopes_supported(abi),
        }
    }

    fn without(self, other: Rights) -> Rights {
        Rights {
            fs: self.fs & !other.fs,
            net: self.net & !other.net,
            scopes: self.scopes & !other.scopes,
        }
    }

    pub(crate) fn is_empty(self) -> bool {
        self.fs.is_empty() && self.net.is_empty() && self.scopes.is_empty()
    }

    /// Returns the profile names of these rights, filesystem first.
    pub(crate) fn names(self) -> String {
        let mut names: Vec<String> = rights::fs_names(self.fs)
            .into_iter()
            .chain(rights::net_names(self.net))
            .map(String::from)
            .collect();
        names.extend(rights::scope_names(self.scopes));
        names.join(", ")
    }
}

/// One path of the plan, with the rights of every rule that names it combined.
#[derive(Clone, Debug)]
pub(crate) struct PlannedRule {
    pub path: PathBuf,
    /// Rights the profile grants, before masking by what the kernel enforces.
    pub access: BitFlags<AccessFs>,
    /// True only when every rule naming the path is optional.
    pub optional: bool,
    /// Location of the first mention of the path in the profile, for messages.
    pub origin: Location,
}

/// The Landlock ruleset to enforce in the target, decided before the sandbox is set up.
#[derive(Clone, Debug)]
pub(crate) struct LandlockPlan {
    pub(super) compat: Compat,
    pub(super) abi: AbiVersion,
    pub(super) rules: Vec<PlannedRule>,
    /// Rights the profile restricts.
    pub(super) requested: Rights,
    /// The part of `requested` that the assumed ABI version can enforce.
    pub(super) enforced: Rights,
    /// Sorted and free of duplicates; used only when `enforced.net` is not empty.
    pub(super) connect_tcp: Vec<u16>,
    pub(super) bind_tcp: Vec<u16>,
}

/// Decides the ruleset for the running kernel (or the ABI version that `SANDBOX_LANDLOCK_ABI`
/// sets), and fails when `compat = "hard"` and the kernel lacks a right the profile restricts.
///
/// Runs in the parent before any namespace exists; paths are opened later, in the target.
pub(crate) fn prepare(layer: &LandlockLayer) -> Result<LandlockPlan, LandlockError> {
    prepare_for(layer, abi::current()?)
}

/// Returns a ruleset that restricts nothing but signals to processes outside the sandbox.
///
/// The plan adds it when a sandbox shares the caller's pid namespace and has no `[landlock]`
/// section: the target could otherwise kill `sandbox` itself, whose death leaves the target's
/// descendants running. Best effort, so a kernel without scopes (before Linux 6.12) gets a
/// warning instead of a refusal.
pub(crate) fn signal_scope_only() -> Result<LandlockPlan, LandlockError> {
    let abi = abi::current()?;
    let requested = Rights {
        fs: BitFlags::EMPTY,
        net: BitFlags::EMPTY,
        scopes: Scope::Signal.into(),
    };
    Ok(LandlockPlan {
        compat: Compat::BestEffort,
        abi,
        rules: Vec::new(),
        requested,
        enforced: requested.supported_by(abi.assumed),
        connect_tcp: Vec::new(),
        bind_tcp: Vec::new(),
    })
}

pub(super) fn prepare_for(
    layer: &LandlockLayer,
    abi: AbiVersion,
) -> Result<LandlockPlan, LandlockError> {
    let rules = combine_rules(layer);
    let granted_fs = rules
        .iter()
        .fold(BitFlags::EMPTY, |all, rule| all | rule.access);
    let restricts_tcp = layer.connect_tcp.is_some() || layer.bind_tcp.is_some();
    let requested = Rights {
        fs: rights::BASELINE_FS | granted_fs,
        net: if restricts_tcp {
            rights::TCP_NET
        } else {
            BitFlags::EMPTY
        },
        scopes: layer
            .scopes
            .unwrap_or_else(|| rights::scopes_supported(u32::MAX)),
    };
    let plan = LandlockPlan {
        compat: layer.compat.unwrap_or_default(),
        abi,
        rules,
        requested,
        enforced: requested.supported_by(abi.assumed),
        connect_tcp: sorted_ports(layer.connect_tcp.as_deref()),
        bind_tcp: sorted_ports(layer.bind_tcp.as_deref()),
    };
    if plan.compat == Compat::Hard && !plan.dropped().is_empty() {
        return Err(LandlockError::Unsupported {
            abi_text: plan.abi.text(),
            missing: plan.dropped_text(),
        });
    }
    Ok(plan)
}

/// Combines rules that name the same path, keeping the order of first appearance, so each
/// path becomes one kernel rule and one line of `describe`.
fn combine_rules(layer: &LandlockLayer) -> Vec<PlannedRule> {
    let mut combined: Vec<PlannedRule> = Vec::with_capacity(layer.rules.len());
    // The index of each path in `combined`. `Path` hashes as it compares, by components, and a
    // lookup costs far less than comparing the path with every earlier one.
    let mut positions: HashMap<&Path, usize> = HashMap::with_capacity(layer.rules.len());
    for rule in &layer.rules {
        match positions.entry(&rule.path) {
            Entry::Occupied(position) => {
                let known = &mut combined[*position.get()];
                known.access |= rule.access;
                known.optional &= rule.optional;
            }
            Entry::Vacant(position) => {
                position.insert(combined.len());
                combined.push(PlannedRule {
                    path: rule.path.clone(),
                    access: rule.access,
                    optional: rule.optional,
                    origin: rule.origin.clone(),
                });
            }
        }
    }
    combined
}

fn sorted_ports(ports: Option<&[u16]>) -> Vec<u16> {
    let mut ports = ports.unwrap_or_default().to_vec();
    ports.sort_unstable();
    ports.dedup();
    ports
}

impl LandlockPlan {
    /// Returns what the kernel will enforce of what the profile restricts.
    pub(crate) fn enforced(&self) -> Rights {
        self.enforced
    }

    /// Returns what the profile restricts that the kernel cannot.
    pub(crate) fn dropped(&self) -> Rights {
        self.requested.without(self.enforced)
    }

    /// Names what is dropped, or states that nothing can be enforced without Landlock.
    pub(super) fn dropped_text(&self) -> String {
        if self.abi.assumed == 0 {
            "any of the [landlock] section because there is no Landlock".to_string()
        } else {
            self.dropped().names()
        }
    }

    /// Describes the plan, one line each: the ABI version, what is restricted and dropped,
    /// and per rule what will be enforced. Lines for `--dry-run` and `-v`.
    pub(crate) fn describe(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "landlock: {}, compat {}",
            self.abi.text(),
            self.compat.name()
        )];
        if self.abi.assumed == 0 {
            lines.push(
                "landlock: NOT ENFORCED: without Landlock the target runs without these rules"
                    .to_string(),
            );
        }
        if !self.enforced.is_empty() {
            lines.push(format!(
                "landlock: denied unless a rule allows it: {}",
                self.enforced.names()
            ));
        }
        if !self.dropped().is_empty() {
            lines.push(format!(
                "landlock: dropped, not enforceable at {}: {}",
                self.abi.text(),
                self.dropped().names()
            ));
        }
        lines.extend(self.rules.iter().map(|rule| self.describe_rule(rule)));
        if !self.enforced.net.is_empty() {
            lines.push(format!(
                "landlock: allow connect_tcp {}",
                ports_text(&self.connect_tcp)
            ));
            lines.push(format!(
                "landlock: allow bind_tcp {}",
                ports_text(&self.bind_tcp)
            ));
        }
        lines
    }

    fn describe_rule(&self, rule: &PlannedRule) -> String {
        let enforced = rule.access & self.enforced.fs;
        let mut line = format!("landlock: allow {}: ", rule.path.display());
        if enforced.is_empty() {
            line.push_str("nothing enforceable, rule skipped");
        } else {
            line.push_str(&rights::fs_names(enforced).join(", "));
        }
        if rule.optional {
            line.push_str(" (optional)");
        }
        line
    }
}

fn ports_text(ports: &[u16]) -> String {
    if ports.is_empty() {
        return "on no port".to_string();
    }
    let list: Vec<String> = ports.iter().map(u16::to_string).collect();
    format!("on port {}", list.join(", "))
}
