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

    #[error("execute {}: {errno}{}", path.display(), exec_hint(*errno, *exists))]
    Exec {
        path: PathBuf,
        errno: Errno,
        /// The file was there when the command was looked up.
        exists: bool,
    },

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
    /// Returns the exit status for this failure: 126 or 127 for the command itself, else 125.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            SetupError::CommandNotFound { .. } => EXIT_NOT_FOUND,
            SetupError::Exec {
                errno: Errno::ENOENT,
                exists: false,
                ..
            } => EXIT_NOT_FOUND,
            SetupError::Exec { .. } => EXIT_CANNOT_EXECUTE,
            _ => crate::EXIT_SETUP_FAILED,
        }
    }
}

/// Explains an ENOENT from execve for a file that exists: the kernel reports the missing
/// program interpreter (the ELF loader or the `#!` line's program) with the same errno.
fn exec_hint(errno: Errno, exists: bool) -> &'static str {
    if errno == Errno::ENOENT && exists {
        " (the file exists, so its interpreter is missing inside the sandbox: the dynamic \
         loader such as /lib64/ld-linux-x86-64.so.2, or the program on its #! line; bind it \
         too)"
    } else {
        ""
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
