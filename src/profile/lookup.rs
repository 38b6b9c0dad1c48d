//! Finding a profile by name or path: the profile directories, then the built-in profiles.

use std::path::{Path, PathBuf};

/// The profiles compiled into the binary from the repository's `profiles/` folder, as
/// `(NAME, TEXT)` pairs sorted by name; `build.rs` generates the table.
pub(crate) static BUILTIN_PROFILES: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/builtin_profiles.rs"));

/// The texts of [`BUILTIN_PROFILES`], in the same order, without their comments. `build.rs`
/// generates them.
static BUILTIN_PARSE_TEXTS: &[&str] = include!(concat!(env!("OUT_DIR"), "/builtin_parse_texts.rs"));

/// Returns the text to parse for the built-in profile text `text`: the copy without comments
/// when `text` is an entry of [`BUILTIN_PROFILES`], else `text` itself.
///
/// The shipped profiles comment nearly every line, and the TOML parser checks every character
/// of a comment: parsing the copies of the browser and default profiles takes about 16 % fewer
/// instructions (callgrind). Every other token keeps its line and column, and with them every
/// location in messages and in `sandbox explain`.
pub(super) fn parse_text(text: &'static str) -> &'static str {
    // Compared by address and length, because the tests' own tables hold other texts.
    let index = BUILTIN_PROFILES
        .iter()
        .position(|(_, builtin)| std::ptr::eq(*builtin, text));
    index.map_or(text, |index| BUILTIN_PARSE_TEXTS[index])
}

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
            Some(dir) if Path::new(&*dir).is_absolute() => Some(PathBuf::from(&*dir)),
            _ => vars
                .get("HOME")
                .filter(|home| Path::new(&**home).is_absolute())
                .map(|home| Path::new(&*home).join(".config")),
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
    ///
    /// `builtin:NAME` skips the folders, so a user's `default.toml` can include the built-in
    /// profile of the same name.
    pub(super) fn find(&self, name: &str) -> Result<Source, String> {
        if let Some(builtin) = name.strip_prefix("builtin:") {
            return self.find_builtin(builtin).ok_or_else(|| {
                format!(
                    "the built-in profiles ({})",
                    self.builtin_names().join(", ")
                )
            });
        }
        let file_name = format!("{name}.toml");
        for dir in &self.dirs {
            let candidate = dir.join(&file_name);
            if candidate.is_file() {
                log::debug!("profile {name:?}: using {}", candidate.display());
                return Ok(Source::File(candidate));
            }
        }
        if let Some(source) = self.find_builtin(name) {
            return Ok(source);
        }
        let mut searched: Vec<String> = self
            .dirs
            .iter()
            .map(|dir| dir.join(&file_name).display().to_string())
            .collect();
        searched.push(format!(
            "the built-in profiles ({})",
            self.builtin_names().join(", ")
        ));
        Err(searched.join(", "))
    }

    fn find_builtin(&self, name: &str) -> Option<Source> {
        let (_, text) = self.builtins.iter().find(|(builtin, _)| *builtin == name)?;
        log::debug!("profile {name:?}: using the built-in profile");
        Some(Source::Builtin {
            name: name.to_string(),
            text,
        })
    }

    fn builtin_names(&self) -> Vec<&str> {
        self.builtins.iter().map(|(builtin, _)| *builtin).collect()
    }
}

/// A profile found while listing the search path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ListedProfile {
    pub name: String,
    /// The file, or `builtin:NAME`.
    pub source: PathBuf,
    /// Whether a profile of the same name earlier in the search path hides this one.
    pub shadowed: bool,
    /// The profile's `description`, when its text parses and has one.
    pub description: Option<String>,
}

impl SearchPath {
    /// Lists the `NAME.toml` files of every directory, then the built-in profiles, each group
    /// sorted by name. Unreadable directories are skipped, as `find` skips them.
    pub(super) fn list(&self) -> Vec<ListedProfile> {
        let mut listed: Vec<ListedProfile> = Vec::new();
        let mut add = |name: String, source: PathBuf, text: Option<String>| {
            let shadowed = listed.iter().any(|earlier| earlier.name == name);
            let description = text.as_deref().and_then(description_of);
            listed.push(ListedProfile {
                name,
                source,
                shadowed,
                description,
            });
        };
        for dir in &self.dirs {
            for path in toml_files(dir) {
                let Some(name) = path.file_stem().and_then(|stem| stem.to_str()) else {
                    continue;
                };
                let text = std::fs::read_to_string(&path).ok();
                add(name.to_string(), path.clone(), text);
            }
        }
        for (name, text) in self.builtins {
            add(
                name.to_string(),
                PathBuf::from(format!("builtin:{name}")),
                Some(text.to_string()),
            );
        }
        listed
    }
}

/// Lists the regular files named `*.toml` in `dir`, sorted.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml") && path.is_file())
        .collect();
    files.sort();
    files
}

/// Reads the top-level `description` of a profile's text, ignoring every other key.
fn description_of(text: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(text).ok()?;
    table.get("description")?.as_str().map(str::to_string)
}

/// Returns whether `name` is a path rather than a profile name: it contains `/` or ends in `.toml`.
pub(super) fn is_path(name: &str) -> bool {
    name.contains('/') || name.ends_with(".toml")
}
