//! Finding a profile by name or path: the profile directories, then the built-in profiles.

use std::path::{Path, PathBuf};

/// The profiles compiled into the binary from the repository's `profiles/` folder, as
/// `(NAME, TEXT)` pairs sorted by name; `build.rs` generates the table.
pub(crate) static BUILTIN_PROFILES: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/builtin_profiles.rs"));

/// The origin of a profile's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Source {
    File(PathBuf),
    Builtin { name: String, text: &'static str },
}

impl Source {
    /// Returns the path shown in messages and stored in `Profile::source`: the file, or `builtin:NAME`.
    pub(super) fn display_path(&self) -> PathBuf {
        match self {
            Source::File(path) => path.clone(),
            Source::Builtin { name, .. } => PathBuf::from(format!("builtin:{name}")),
        }
    }
}

/// The places a profile name is looked up in, in order.
#[derive(Clone, Debug)]
pub(super) struct SearchPath {
    /// Directories searched for `NAME.toml`, first match wins.
    pub dirs: Vec<PathBuf>,
    /// Searched after every directory.
    pub builtins: &'static [(&'static str, &'static str)],
}

impl SearchPath {
    /// Builds the standard search path: `$XDG_CONFIG_HOME/sandbox/profiles` (or
    /// `~/.config/sandbox/profiles`), `/etc/sandbox/profiles`, `/usr/share/sandbox/profiles`,
    /// then the built-in profiles.
    pub(super) fn standard(vars: &super::Vars) -> SearchPath {
        let mut dirs = Vec::new();
        // The XDG base directory specification requires ignoring an empty or relative value.
        let config_home = match vars.get("XDG_CONFIG_HOME") {
            Some(dir) if Path::new(dir).is_absolute() => Some(PathBuf::from(dir)),
            _ => vars
                .get("HOME")
                .filter(|home| Path::new(home).is_absolute())
                .map(|home| Path::new(home).join(".config")),
        };
        if let Some(config_home) = config_home {
            dirs.push(config_home.join("sandbox/profiles"));
        }
        dirs.push(PathBuf::from("/etc/sandbox/profiles"));
        dirs.push(PathBuf::from("/usr/share/sandbox/profiles"));
        SearchPath {
            dirs,
            builtins: BUILTIN_PROFILES,
        }
    }

    /// Finds the profile `name`; on failure returns the list of places searched, for the error.
    pub(super) fn find(&self, name: &str) -> Result<Source, String> {
        let file_name = format!("{name}.toml");
        for dir in &self.dirs {
            let candidate = dir.join(&file_name);
            if candidate.is_file() {
                log::debug!("profile {name:?}: using {}", candidate.display());
                return Ok(Source::File(candidate));
            }
        }
        if let Some((_, text)) = self.builtins.iter().find(|(builtin, _)| *builtin == name) {
            log::debug!("profile {name:?}: using the built-in profile");
            return Ok(Source::Builtin {
                name: name.to_string(),
                text,
            });
        }
        let mut searched: Vec<String> = self
            .dirs
            .iter()
            .map(|dir| dir.join(&file_name).display().to_string())
            .collect();
        let builtin_names: Vec<&str> = self.builtins.iter().map(|(builtin, _)| *builtin).collect();
        searched.push(format!(
            "the built-in profiles ({})",
            builtin_names.join(", ")
        ));
        Err(searched.join(", "))
    }
}

/// Returns whether `name` is a path rather than a profile name: it contains `/` or ends in `.toml`.
pub(super) fn is_path(name: &str) -> bool {
    name.contains('/') || name.ends_with(".toml")
}
