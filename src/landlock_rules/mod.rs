//! Landlock policy: the `[landlock]` profile section, its rights and the requested-versus-
//! enforced report.
//!
//! The profile stage builds a [`LandlockLayer`] per file and merges them. The launcher calls
//! [`prepare`] in the parent, which reads the kernel's Landlock ABI version and fails early in
//! hard mode, then [`LandlockPlan::apply`] in the target after pivot_root and before seccomp.
//! Files, network and scopes go into one ruleset, so one domain covers them all: a rename
//! within one writable tree needs `refer` and `make_*` from the same domain.

mod abi;
mod apply;
mod error;
mod layer;
mod plan;
mod rights;

pub(crate) use error::LandlockError;
pub(crate) use layer::{LandlockLayer, RawLandlock};
pub(crate) use plan::{LandlockPlan, prepare, signal_scope_only};

#[cfg(test)]
mod tests;
