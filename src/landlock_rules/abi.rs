//! The Landlock ABI version of the running kernel, and the test hook that lowers it.

use nix::errno::Errno;

use super::LandlockError;

/// Test hook: an integer that caps the Landlock ABI version the launcher assumes, so that the
/// best-effort and hard paths can be tested on a recent kernel. It can only lower the version.
pub(crate) const ABI_OVERRIDE_VAR: &str = "SANDBOX_LANDLOCK_ABI";

/// The Landlock ABI version a plan is built for, and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AbiVersion {
    /// Version the kernel reports, 0 when it has no Landlock or has it disabled.
    pub kernel: u32,
    /// The version rights are computed for: `kernel`, lowered by the test hook when it is set.
    pub assumed: u32,
}

impl AbiVersion {
    /// Describes the version for messages, as "kernel Landlock ABI 7" or, with the test hook,
    /// "Landlock ABI 2 (SANDBOX_LANDLOCK_ABI; the kernel has 7)".
    pub(crate) fn text(&self) -> String {
        if self.assumed == self.kernel {
            format!("kernel Landlock ABI {}", self.kernel)
        } else {
            format!(
                "Landlock ABI {} ({ABI_OVERRIDE_VAR}; the kernel has {})",
                self.assumed, self.kernel
            )
        }
    }
}

/// Reads the kernel's version and applies the test hook from the environment.
pub(crate) fn current() -> Result<AbiVersion, LandlockError> {
    let kernel = kernel_abi()?;
    let hook = std::env::var_os(ABI_OVERRIDE_VAR);
    let assumed = match hook {
        None => kernel,
        Some(value) => {
            let cap = parse_override(&value.to_string_lossy())?;
            log::debug!("landlock: {ABI_OVERRIDE_VAR}={cap} caps the kernel's ABI {kernel}");
            cap.min(kernel)
        }
    };
    Ok(AbiVersion { kernel, assumed })
}

fn parse_override(value: &str) -> Result<u32, LandlockError> {
    value
        .trim()
        .parse()
        .map_err(|_| LandlockError::InvalidAbiOverride {
            variable: ABI_OVERRIDE_VAR,
            value: value.to_string(),
        })
}

/// `LANDLOCK_CREATE_RULESET_VERSION` from linux/landlock.h.
const CREATE_RULESET_VERSION: libc::c_uint = 1;

/// Asks the kernel for its Landlock ABI version; 0 means no Landlock.
///
/// ENOSYS (not built in) and EOPNOTSUPP (disabled at boot) mean 0. Any other errno, such as
/// EPERM from a seccomp filter of the caller, is an error rather than a guess.
pub(super) fn kernel_abi() -> Result<u32, LandlockError> {
    // NOTE: this is the only raw system call of the Landlock module; the landlock crate keeps
    // its own version query private. It belongs in the launcher's sys.rs once that exists.
    // SAFETY: with a null attribute pointer, size 0 and the VERSION flag, the kernel reads and
    // writes no memory of this process and returns the version or -1 with errno.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    if version >= 0 {
        return Ok(u32::try_from(version).unwrap_or(u32::MAX));
    }
    match Errno::last() {
        Errno::ENOSYS | Errno::EOPNOTSUPP => Ok(0),
        errno => Err(LandlockError::ReadAbi { errno }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_parses_integers_only() {
        assert_eq!(parse_override("2").unwrap(), 2);
        assert_eq!(parse_override(" 0\n").unwrap(), 0);
        let error = parse_override("v2").unwrap_err();
        assert!(error.to_string().contains("\"v2\""), "{error}");
        assert!(parse_override("-1").is_err());
    }

    #[test]
    fn kernel_reports_a_version() {
        let version = kernel_abi().unwrap();
        if version == 0 {
            eprintln!("skipped: this kernel has no Landlock (ABI 0)");
        }
    }

    #[test]
    fn text_names_the_hook_when_it_lowers() {
        let plain = AbiVersion {
            kernel: 7,
            assumed: 7,
        };
        assert_eq!(plain.text(), "kernel Landlock ABI 7");
        let lowered = AbiVersion {
            kernel: 7,
            assumed: 2,
        };
        assert!(lowered.text().contains("SANDBOX_LANDLOCK_ABI"));
        assert!(lowered.text().contains("kernel has 7"));
    }
}
