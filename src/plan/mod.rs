//! Plan stage: turns a resolved profile and a command into the ordered list of setup steps.
//! Pure: nothing here touches the kernel, so `--dry-run` prints exactly what would run.

use std::ffi::OsString;
use std::fmt;

use crate::profile::Profile;

#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanError {}

#[derive(Debug)]
pub(crate) struct Plan {
    pub command: Vec<OsString>,
}

impl fmt::Display for Plan {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

pub(crate) fn build(_profile: &Profile, command: &[OsString]) -> Result<Plan, PlanError> {
    Ok(Plan {
        command: command.to_vec(),
    })
}
