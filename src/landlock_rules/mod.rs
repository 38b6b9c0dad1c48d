//! Landlock policy: the `[landlock]` profile section, its rights and the requested-versus-
//! enforced report.

use serde::Deserialize;

use crate::profile::{FileContext, ProfileError};

/// The `[landlock]` table of one profile file.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLandlock {}

/// The Landlock settings of one file, with variables expanded, ready to merge.
#[derive(Clone, Debug, Default)]
pub(crate) struct LandlockLayer {}

impl LandlockLayer {
    /// Checks one file's `[landlock]` table and expands its paths; errors name the file, line
    /// and key.
    pub(crate) fn resolve(_raw: RawLandlock, _ctx: &FileContext) -> Result<Self, ProfileError> {
        Ok(LandlockLayer {})
    }

    /// Merges the settings of a later file (the including one) on top of these: lists
    /// append, scalars of `later` win.
    pub(crate) fn merge(&mut self, _later: LandlockLayer) {}
}
