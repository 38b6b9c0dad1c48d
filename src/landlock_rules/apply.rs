//! Enforcing a [`LandlockPlan`] on the calling process: in the target, after pivot_root and
//! before seccomp, so rule paths mean what the target sees.

use std::os::fd::OwnedFd;
use std::path::Path;

use landlock::{
    AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort, PathBeneath,
    RestrictionStatus, Ruleset, RulesetAttr, RulesetCreated, RulesetCreatedAttr, RulesetError,
    RulesetStatus,
};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{Mode, SFlag};

use super::layer::Compat;
use super::plan::{LandlockPlan, PlannedRule};
use super::{LandlockError, rights};

impl LandlockPlan {
    /// Enforces the ruleset on the calling thread and every process and thread it starts
    /// afterwards. Prints the best-effort warning when the kernel cannot enforce everything.
    ///
    /// Fails when a non-optional rule path is missing, and in hard mode when the crate reports
    /// less than full enforcement.
    pub(crate) fn apply(&self) -> Result<(), LandlockError> {
        if self.abi.assumed == 0 {
            return self.skip_without_landlock();
        }
        if !self.dropped().is_empty() {
            log::warn!(
                "landlock: {} cannot enforce {}; these stay allowed (compat = \"best-effort\")",
                self.abi.text(),
                self.dropped().names()
            );
        }

        let mut ruleset = self.create_ruleset()?;
        for rule in &self.rules {
            ruleset = self.add_path_rule(ruleset, rule)?;
        }
        if !self.enforced.net.is_empty() {
            ruleset = self.add_port_rules(ruleset)?;
        }

        let status = ruleset
            .restrict_self()
            .map_err(|error| crate_error("restricting the process", error))?;
        self.check_status(&status)
    }

    /// Warns loudly that nothing is enforced without Landlock. Hard mode normally failed in
    /// `prepare` already, and fails here otherwise.
    fn skip_without_landlock(&self) -> Result<(), LandlockError> {
        if self.compat == Compat::Hard {
            return Err(LandlockError::Unsupported {
                abi_text: self.abi.text(),
                missing: self.dropped_text(),
            });
        }
        log::warn!(
            "landlock: NOT ENFORCED: {} means no Landlock, so the profile's [landlock] rules \
             restrict nothing (compat = \"best-effort\"; set compat = \"hard\" to refuse to run)",
            self.abi.text()
        );
        Ok(())
    }

    fn create_ruleset(&self) -> Result<RulesetCreated, LandlockError> {
        // The plan already dropped what the assumed ABI cannot enforce, so the crate should
        // find nothing to degrade. In hard mode the crate fails if it does.
        let level = match self.compat {
            Compat::Hard => CompatLevel::HardRequirement,
            Compat::BestEffort => CompatLevel::BestEffort,
        };
        let handle = |error| crate_error("declaring the restricted rights", error);
        let mut ruleset = Ruleset::default().set_compatibility(level);
        if !self.enforced.fs.is_empty() {
            ruleset = ruleset.handle_access(self.enforced.fs).map_err(handle)?;
        }
        if !self.enforced.net.is_empty() {
            ruleset = ruleset.handle_access(self.enforced.net).map_err(handle)?;
        }
        if !self.enforced.scopes.is_empty() {
            ruleset = ruleset.scope(self.enforced.scopes).map_err(handle)?;
        }
        ruleset
            .create()
            .map_err(|error| crate_error("creating the ruleset", error))
    }

    fn add_path_rule(
        &self,
        ruleset: RulesetCreated,
        rule: &PlannedRule,
    ) -> Result<RulesetCreated, LandlockError> {
        let path = rule.path.as_path();
        let access = rule.access & self.enforced.fs;
        if access.is_empty() {
            log::debug!(
                "landlock: {}: no enforceable right, rule skipped",
                path.display()
            );
            return Ok(ruleset);
        }

        // O_PATH opens without reading, so a FIFO does not block and a file without read
        // permission still works.
        let fd = match nix::fcntl::open(path, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) if rule.optional => {
                log::info!(
                    "landlock: optional rule path {} not found, skipped",
                    path.display()
                );
                return Ok(ruleset);
            }
            Err(Errno::ENOENT) => {
                return Err(LandlockError::MissingPath {
                    path: path.to_path_buf(),
                    origin: rule.origin.clone(),
                });
            }
            Err(errno) => {
                return Err(LandlockError::OpenPath {
                    path: path.to_path_buf(),
                    origin: rule.origin.clone(),
                    errno,
                });
            }
        };

        let Some(access) = mask_for_file_type(&fd, path, access)? else {
            return Ok(ruleset);
        };
        ruleset
            .add_rule(PathBeneath::new(fd, access))
            .map_err(|error| crate_error(&format!("adding the rule for {}", path.display()), error))
    }

    fn add_port_rules(&self, ruleset: RulesetCreated) -> Result<RulesetCreated, LandlockError> {
        let connect = self
            .connect_tcp
            .iter()
            .map(|port| (*port, AccessNet::ConnectTcp));
        let bind = self.bind_tcp.iter().map(|port| (*port, AccessNet::BindTcp));
        let mut ruleset = ruleset;
        for (port, access) in connect.chain(bind) {
            let step = || format!("adding the rule for TCP port {port}");
            ruleset = ruleset
                .add_rule(NetPort::new(port, access))
                .map_err(|error| crate_error(&step(), error))?;
        }
        Ok(ruleset)
    }

    /// Acts on the status the crate returns: anything short of full enforcement fails in hard
    /// mode and is a warning in best-effort mode.
    fn check_status(&self, status: &RestrictionStatus) -> Result<(), LandlockError> {
        let state = match status.ruleset {
            RulesetStatus::FullyEnforced => {
                log::debug!("landlock: ruleset fully enforced at {}", self.abi.text());
                return Ok(());
            }
            RulesetStatus::PartiallyEnforced => "partially enforced",
            RulesetStatus::NotEnforced => "not enforced",
        };
        if self.compat == Compat::Hard {
            return Err(LandlockError::NotFullyEnforced { status: state });
        }
        log::warn!(
            "landlock: the kernel reports the ruleset as {state} at {}; some rules do not \
             restrict the target (compat = \"best-effort\")",
            self.abi.text()
        );
        Ok(())
    }
}

/// Returns the rights of `access` that fit the type of the opened path: all of them for a
/// directory, only the file rights otherwise (the kernel rejects the rest with EINVAL), and
/// `None` when none fits.
fn mask_for_file_type(
    fd: &OwnedFd,
    path: &Path,
    access: BitFlags<AccessFs>,
) -> Result<Option<BitFlags<AccessFs>>, LandlockError> {
    let stat = nix::sys::stat::fstat(fd).map_err(|errno| LandlockError::StatPath {
        path: path.to_path_buf(),
        errno,
    })?;
    let file_type = SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT;
    if file_type == SFlag::S_IFDIR {
        return Ok(Some(access));
    }
    let kept = access & rights::FILE_FS;
    if kept != access {
        log::debug!(
            "landlock: {} is not a directory: dropping {}",
            path.display(),
            rights::fs_names(access & !rights::FILE_FS).join(", ")
        );
    }
    if kept.is_empty() {
        log::info!(
            "landlock: {}: no right of the rule applies to a file, skipped",
            path.display()
        );
        return Ok(None);
    }
    Ok(Some(kept))
}

fn crate_error(step: &str, error: RulesetError) -> LandlockError {
    LandlockError::Ruleset {
        step: step.to_string(),
        error,
    }
}
