//! Errors of the profile stage: reading, parsing, including and checking profiles.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A position in a profile file, 1-based as editors show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Location {
    /// Shared by every location in the same file, because a profile records one per value.
    pub file: Arc<Path>,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A profile that cannot be used. Every variant names the file, and where the problem sits in
/// the text, the line, column and key.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProfileError {
    #[error("profile {name:?} not found; searched {searched}")]
    NotFound { name: String, searched: String },

    #[error("{}: cannot read profile: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    /// A syntax, type, unknown-key or duplicate-key error, or a rule about one key.
    #[error("{at}: {key}{message}", key = key_prefix(key))]
    Key {
        at: Location,
        key: Option<String>,
        message: String,
    },

    #[error("{at}: include cycle: {chain}")]
    IncludeCycle { at: Location, chain: String },
}

fn key_prefix(key: &Option<String>) -> String {
    match key {
        Some(key) => format!("{key}: "),
        None => String::new(),
    }
}
