//! Shared helpers of the integration tests: the `sandbox` binary, scratch folders, profiles
//! written on the fly, and probe programs compiled from tests/probes.
//!
//! The suite runs once as root and once as an unprivileged user (see scripts/test). For the
//! second run the binaries are copied to a world-readable folder, so these paths come from
//! environment variables when they are set: `SANDBOX_BIN` (the binary under test),
//! `SANDBOX_TEST_DATA` (the tests/ folder) and `SANDBOX_PROBES` (compiled probes).

#![allow(dead_code)]

pub mod process;

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

pub fn sandbox_bin() -> PathBuf {
    std::env::var_os("SANDBOX_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_sandbox")))
}

pub fn data_dir() -> PathBuf {
    std::env::var_os("SANDBOX_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"))
}

pub fn fixture(name: &str) -> PathBuf {
    data_dir().join("fixtures").join(name)
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

static PROBE_BUILD: Mutex<()> = Mutex::new(());

/// Returns the path of the probe `name`, compiling tests/probes/NAME.c statically on first
/// use unless `SANDBOX_PROBES` points at prebuilt ones. Static, so it runs in a sandbox that
/// binds nothing but the probe's folder.
pub fn probe(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("SANDBOX_PROBES") {
        return PathBuf::from(dir).join(name);
    }
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("probes");
    let out = out_dir.join(name);
    let source = data_dir().join("probes").join(format!("{name}.c"));
    let _guard = PROBE_BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let fresh = match (out.metadata(), source.metadata()) {
        (Ok(bin), Ok(src)) => bin.modified().unwrap() >= src.modified().unwrap(),
        _ => false,
    };
    if !fresh {
        std::fs::create_dir_all(&out_dir).unwrap();
        let status = Command::new("cc")
            .args(["-static", "-O2", "-Wall", "-pthread", "-o"])
            .arg(&out)
            .arg(&source)
            .status()
            .expect("run cc");
        assert!(status.success(), "compiling probe {}", source.display());
    }
    out
}

/// A scratch folder that the sandboxed commands of one test may see, world-readable so it
/// also works when the suite runs as an unprivileged user.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::Builder::new()
            .prefix("sandbox-test.")
            .tempdir()
            .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        Scratch { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to NAME in the scratch folder and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// Mounts every test profile starts from: the read-only system, proc, dev and a private /tmp.
pub const BASE_MOUNTS: &str = r#"
[[mount]]
type = "ro-bind"
source = "/usr"

[[mount]]
type = "ro-bind"
source = "/bin"

[[mount]]
type = "ro-bind"
source = "/sbin"

[[mount]]
type = "ro-bind"
source = "/lib"

[[mount]]
type = "ro-bind"
source = "/lib64"
optional = true

[[mount]]
type = "ro-bind"
source = "/etc"

[[mount]]
type = "proc"
dest = "/proc"

[[mount]]
type = "dev"
dest = "/dev"

[[mount]]
type = "tmpfs"
dest = "/tmp"
"#;

/// Returns a `sandbox` command with a clean, predictable environment.
pub fn sandbox() -> Command {
    let mut command = Command::new(sandbox_bin());
    command.stdin(Stdio::null());
    command
}

/// Runs `sandbox -p PROFILE -- ARGS...` and returns its output; panics when it runs longer than
/// [`process::RUN_TIMEOUT`].
pub fn run_profile<S: AsRef<OsStr>>(profile: &Path, args: &[S]) -> Output {
    let mut command = sandbox();
    command.arg("-p").arg(profile).arg("--").args(args);
    process::output(&mut command)
}

/// Formats an output for assertion messages.
pub fn show(output: &Output) -> String {
    format!(
        "status: {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Quotes `text` as a TOML basic string, for paths written into profiles.
pub fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// Returns a `[[mount]]` table that binds the host folder `path` read-only at the same path,
/// such as the folder of a probe: `ro_bind(probe("x").parent().unwrap())`.
pub fn ro_bind(path: &Path) -> String {
    let path = toml_string(path.to_str().expect("UTF-8 path"));
    format!("\n[[mount]]\ntype = \"ro-bind\"\nsource = {path}\n")
}
