//! Errors of the launch stage. Each names the failed step with its path or system call, and
//! the errno.

use std::ffi::OsString;
use std::path::PathBuf;

use nix::errno::Errno;

#[derive(Debug, thiserror::Error)]
pub(crate) enum SetupError {
    /// A setup step failed in a system call; `step` reads like `mount tmpfs on /tmp`.
    #[error("{step}: {errno}{hint}")]
    Step {
        step: String,
        errno: Errno,
        hint: &'static str,
    },

    #[error("{step}")]
    Refused { step: String },

    #[error("working directory {} does not exist inside the sandbox: {errno}", path.display())]
    Cwd { path: PathBuf, errno: Errno },

    #[error(
        "{}: command not found inside the sandbox (PATH={})",
        command.to_string_lossy(),
        path.to_string_lossy()
    )]
    CommandNotFound { command: OsString, path: OsString },

    #[error("execute {}: {errno}", path.display())]
    Exec { path: PathBuf, errno: Errno },

    #[error(transparent)]
    Dbus(#[from] crate::dbus::proxy::DbusError),

    #[error(transparent)]
    Landlock(#[from] crate::landlock_rules::LandlockError),
}

/// Exit status when the command exists inside the sandbox but cannot be executed.
pub(crate) const EXIT_CANNOT_EXECUTE: u8 = 126;
/// Exit status when the command does not exist inside the sandbox.
pub(crate) const EXIT_NOT_FOUND: u8 = 127;

impl SetupError {
    /// The exit status for this failure: 126 or 127 for the command itself, else 125.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            SetupError::CommandNotFound { .. } => EXIT_NOT_FOUND,
            SetupError::Exec { errno, .. } if *errno == Errno::ENOENT => EXIT_NOT_FOUND,
            SetupError::Exec { .. } => EXIT_CANNOT_EXECUTE,
            _ => crate::EXIT_SETUP_FAILED,
        }
    }
}

/// Attaches the failed step's description to a system-call error.
pub(crate) trait StepContext<T> {
    fn step(self, describe: impl FnOnce() -> String) -> Result<T, SetupError>;
}

fn errno_of(raw: Option<i32>) -> Errno {
    Errno::from_raw(raw.unwrap_or(0))
}

impl<T> StepContext<T> for std::io::Result<T> {
    fn step(self, describe: impl FnOnce() -> String) -> Result<T, SetupError> {
        self.map_err(|err| SetupError::Step {
            step: describe(),
            errno: errno_of(err.raw_os_error()),
            hint: "",
        })
    }
}

impl<T> StepContext<T> for rustix::io::Result<T> {
    fn step(self, describe: impl FnOnce() -> String) -> Result<T, SetupError> {
        self.map_err(|err| SetupError::Step {
            step: describe(),
            errno: Errno::from_raw(err.raw_os_error()),
            hint: "",
        })
    }
}

impl<T> StepContext<T> for nix::Result<T> {
    fn step(self, describe: impl FnOnce() -> String) -> Result<T, SetupError> {
        self.map_err(|errno| SetupError::Step {
            step: describe(),
            errno,
            hint: "",
        })
    }
}
