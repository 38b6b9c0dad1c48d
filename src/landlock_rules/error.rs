//! Errors of preparing and applying the Landlock ruleset.

use std::path::PathBuf;

use nix::errno::Errno;

use crate::profile::Location;

/// A Landlock ruleset that cannot be enforced as the profile requests.
///
/// Causes are part of the message, not of `source()`, so the launcher prints each once.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LandlockError {
    #[error(
        "landlock: invalid {variable} value {value:?}: expected a Landlock ABI version, \
         an integer from 0"
    )]
    InvalidAbiOverride {
        variable: &'static str,
        value: String,
    },

    #[error("landlock: reading the kernel's Landlock ABI version failed: {errno}")]
    ReadAbi { errno: Errno },

    /// `compat = "hard"` and the kernel (or the test hook) lacks something the profile needs.
    #[error(
        "landlock: compat = \"hard\", but {abi_text} cannot enforce {missing}; \
         use a newer kernel or set compat = \"best-effort\""
    )]
    Unsupported { abi_text: String, missing: String },

    /// `origin` is where the profile names the path.
    #[error(
        "{origin}: landlock: rule path {} not found in the sandbox (ENOENT); create it or \
         mark the rule `optional = true`",
        path.display()
    )]
    MissingPath { path: PathBuf, origin: Location },

    #[error("{origin}: landlock: open({}, O_PATH) failed: {errno}", path.display())]
    OpenPath {
        path: PathBuf,
        origin: Location,
        errno: Errno,
    },

    #[error("landlock: fstat of rule path {} failed: {errno}", path.display())]
    StatPath { path: PathBuf, errno: Errno },

    /// A call of the landlock crate failed, and `step` names it.
    #[error("landlock: {step} failed: {error}")]
    Ruleset {
        step: String,
        error: landlock::RulesetError,
    },

    /// `compat = "hard"` and the crate reports less than full enforcement after restricting.
    #[error(
        "landlock: compat = \"hard\", but the kernel reports the ruleset as {status}; \
         the target does not run"
    )]
    NotFullyEnforced { status: &'static str },
}
