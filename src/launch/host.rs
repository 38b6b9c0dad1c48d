//! Steps that run in the launcher on the host, before the sandbox's child exists.

use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;

use super::error::{SetupError, StepContext};

/// Creates each missing bind source marked `create` as a folder, mode 0700 with missing
/// parents, owned by the caller. An existing path is left as it is, whatever its type.
pub(crate) fn create_bind_sources(dirs: &[PathBuf]) -> Result<(), SetupError> {
    for dir in dirs {
        if dir.symlink_metadata().is_ok() {
            continue;
        }
        log::debug!("creating bind source {}", dir.display());
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .step(|| format!("create bind source {}", dir.display()))?;
    }
    Ok(())
}
