//! Seccomp policy: the `[seccomp]` profile section, syscall groups, the hardened baseline and
//! the compiled BPF filter.

use serde::Deserialize;

use crate::profile::{FileContext, ProfileError};

/// The `[seccomp]` table of one profile file.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSeccomp {}

/// The seccomp settings of one file, checked, ready to merge with those of other files.
#[derive(Clone, Debug, Default)]
pub(crate) struct SeccompLayer {}

impl SeccompLayer {
    /// Checks one file's `[seccomp]` table; errors name the file, line and key.
    pub(crate) fn resolve(_raw: RawSeccomp, _ctx: &FileContext) -> Result<Self, ProfileError> {
        Ok(SeccompLayer {})
    }

    /// Merges the settings of a later file (the including one) on top of these: lists
    /// append, scalars of `later` win.
    pub(crate) fn merge(&mut self, _later: SeccompLayer) {}
}
