//! The target's last steps: working directory, command lookup, descriptors, execve.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use super::error::{SetupError, StepContext};
use super::sys;

/// PATH used for the lookup when the sandbox's environment has none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Changes to `dir`, which must exist; without one, to `caller_dir` if it exists inside the
/// sandbox, else to `/`.
pub(crate) fn chdir(dir: Option<&Path>, caller_dir: Option<&Path>) -> Result<(), SetupError> {
    if let Some(dir) = dir {
        return nix::unistd::chdir(dir).map_err(|errno| SetupError::Cwd {
            path: dir.to_path_buf(),
            errno,
        });
    }
    if let Some(dir) = caller_dir
        && nix::unistd::chdir(dir).is_ok()
    {
        return Ok(());
    }
    log::debug!("working directory: the caller's is not visible inside, using /");
    nix::unistd::chdir("/").step(|| "chdir /".into())
}

/// Finds `command` the way execvp does, with `path_var` from the sandbox's environment.
/// A command with a `/` is used as it is.
pub(crate) fn resolve_command(
    command: &OsStr,
    path_var: Option<&OsStr>,
) -> Result<PathBuf, SetupError> {
    if command.as_bytes().contains(&b'/') {
        return Ok(PathBuf::from(command));
    }
    let path_var = path_var.unwrap_or(OsStr::new(DEFAULT_PATH));
    // An empty name would join to each PATH folder itself and fail as a folder that cannot be
    // executed. execvp and shells report it as not found, and so does sandbox.
    if command.is_empty() {
        return Err(SetupError::CommandNotFound {
            command: command.to_os_string(),
            path: path_var.to_os_string(),
        });
    }
    let mut not_executable = None;
    for dir in path_var.as_bytes().split(|byte| *byte == b':') {
        let dir = if dir.is_empty() { b"." as &[u8] } else { dir };
        let candidate = Path::new(OsStr::from_bytes(dir)).join(command);
        let Ok(metadata) = candidate.metadata() else {
            continue;
        };
        if metadata.is_file() && metadata.permissions().mode() & 0o111 != 0 {
            return Ok(candidate);
        }
        not_executable.get_or_insert(candidate);
    }
    // Like execvp: a match without execute permission is reported as such (126) rather
    // than as not found.
    match not_executable {
        Some(path) => Ok(path),
        None => Err(SetupError::CommandNotFound {
            command: command.to_os_string(),
            path: path_var.to_os_string(),
        }),
    }
}

/// Marks every inherited descriptor from 3 up close-on-exec, except those in `keep`, which
/// must be open.
pub(crate) fn close_fds(keep: &[i32]) -> Result<(), SetupError> {
    let mut keep: Vec<u32> = keep.iter().map(|fd| *fd as u32).collect();
    keep.sort_unstable();
    keep.dedup();
    let mut first = 3u32;
    for fd in keep {
        if fd > first {
            sys::close_range_on_exec(first, fd - 1).step(|| "close_range".into())?;
        }
        sys::clear_close_on_exec(fd as i32)
            .step(|| format!("keep_fds: keep descriptor {fd} open"))?;
        first = fd + 1;
    }
    sys::close_range_on_exec(first, u32::MAX).step(|| "close_range".into())
}

/// The target's execve arguments, converted before the seccomp filter is installed so that
/// executing needs no further system call than execve itself.
pub(crate) struct ExecImage {
    path: PathBuf,
    /// The file existed at lookup time; execve's ENOENT then means a missing interpreter.
    exists: bool,
    c_path: CString,
    argv: Vec<CString>,
    envp: Vec<CString>,
}

/// Converts the command and environment into C strings; a NUL byte inside one is an error.
pub(crate) fn prepare(
    path: PathBuf,
    argv: &[OsString],
    env: &[(OsString, OsString)],
) -> Result<ExecImage, SetupError> {
    let c_path = c_string(path.as_os_str())?;
    let argv = argv
        .iter()
        .map(|arg| c_string(arg))
        .collect::<Result<Vec<_>, _>>()?;
    let envp = env
        .iter()
        .map(|(name, value)| {
            let mut pair = name.clone();
            pair.push("=");
            pair.push(value);
            c_string(&pair)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ExecImage {
        exists: path.exists(),
        path,
        c_path,
        argv,
        envp,
    })
}

/// Replaces the process with the target. Returns only on failure.
pub(crate) fn exec(image: &ExecImage) -> SetupError {
    let errno = match nix::unistd::execve(&image.c_path, &image.argv, &image.envp) {
        Err(errno) => errno,
        Ok(never) => match never {},
    };
    SetupError::Exec {
        path: image.path.clone(),
        errno,
        exists: image.exists,
    }
}

fn c_string(value: &OsStr) -> Result<CString, SetupError> {
    CString::new(value.as_bytes()).map_err(|_| SetupError::Step {
        step: format!("execute: argument or variable {value:?} contains a NUL byte"),
        errno: Errno::EINVAL,
        hint: "",
    })
}
