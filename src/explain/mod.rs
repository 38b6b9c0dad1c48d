//! `sandbox explain PROFILE`: a report for a person reviewing a profile before trusting it,
//! and for a packager's CI.
//!
//! The report has three parts: the resolved settings and where each was written
//! (`settings.rs`), what this machine enforces of the request (`host.rs`), and the exposure
//! findings with their score (`exposure.rs`). Text and `--json` show the same data.

mod exposure;
mod host;
mod render;
mod settings;
#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::profile::{self, Profile, ProfileError, Vars};
use crate::seccomp::{self, SeccompFilter};

use exposure::Enforcement;

/// Exit status of `explain` when the score is above `--threshold`.
pub(crate) const EXIT_ABOVE_THRESHOLD: u8 = 1;

/// Everything `explain` reports about one profile.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    /// The name or path given on the command line.
    pub profile: String,
    /// The file the profile was loaded from, or `builtin:NAME`.
    pub source: String,
    pub description: Option<String>,
    pub settings: Vec<settings::Setting>,
    /// Requested features and what this machine does with them.
    pub machine: Vec<host::Check>,
    pub exposure: exposure::Exposure,
    /// The `--threshold` given, if any, and whether the score is above it.
    pub threshold: Option<Threshold>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub(crate) struct Threshold {
    pub value: f64,
    pub exceeded: bool,
}

/// Loads `name` and prints its report; returns 0, or [`EXIT_ABOVE_THRESHOLD`] when the score
/// is above `threshold`.
pub(crate) fn run(
    name: &str,
    vars: &Vars,
    json: bool,
    threshold: Option<f64>,
) -> Result<u8, ProfileError> {
    let loaded = profile::load_with_origins(name, vars)?;
    let host = host::Host::current(vars);
    let landlock = host::LandlockOutcome::prepare(&loaded);
    let seccomp = seccomp::compile(&loaded.seccomp).map_err(|err| err.to_string());
    let report = build(name, &loaded, &host, &landlock, &seccomp, threshold);
    if json {
        let text = serde_json::to_string_pretty(&report).expect("the report serializes to JSON");
        outln!("{text}");
    } else {
        out!("{}", render::text(&report));
    }
    let exceeded = report.threshold.is_some_and(|threshold| threshold.exceeded);
    Ok(if exceeded { EXIT_ABOVE_THRESHOLD } else { 0 })
}

/// Builds the report of `loaded` for `host`.
pub(crate) fn build(
    name: &str,
    loaded: &Profile,
    host: &host::Host,
    landlock: &host::LandlockOutcome,
    seccomp: &Result<SeccompFilter, String>,
    threshold: Option<f64>,
) -> Report {
    let mut machine = host::namespace_checks(loaded, host);
    machine.extend(host::mount_checks(loaded));
    machine.extend(host::helper_checks(loaded));
    machine.extend(host::landlock_checks(landlock));
    machine.extend(host::seccomp_checks(seccomp));
    let exposure = exposure::assess(loaded, host, &enforcement(landlock, seccomp));
    let threshold = threshold.map(|value| Threshold {
        value,
        exceeded: exposure.score > value,
    });
    Report {
        profile: name.to_string(),
        source: loaded.source.display().to_string(),
        description: loaded.description.clone(),
        settings: settings::settings(loaded),
        machine,
        exposure,
        threshold,
    }
}

/// Sums up what the seccomp filter and the Landlock ruleset will enforce on this machine. A
/// filter or ruleset that fails to compile counts as absent.
fn enforcement(
    landlock: &host::LandlockOutcome,
    seccomp: &Result<SeccompFilter, String>,
) -> Enforcement {
    let mut enforcement = Enforcement::default();
    if let host::LandlockOutcome::Planned(plan) = landlock {
        let enforced = plan.enforced();
        enforcement.landlock_fs = !enforced.fs.is_empty();
        enforcement.landlock_tcp = !enforced.net.is_empty();
        enforcement.landlock_abstract_unix = enforced
            .scopes
            .contains(landlock::Scope::AbstractUnixSocket);
    }
    if let Ok(filter) = seccomp {
        enforcement.seccomp_filter = true;
        enforcement.seccomp_allow_list = filter.is_allow_list();
        enforcement.seccomp_blocks_namespaces = !filter.allows_nested_namespaces();
    }
    enforcement
}
