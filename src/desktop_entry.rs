//! `sandbox desktop-entry`: a `.desktop` file in the user's applications folder that shadows
//! an installed application's entry and starts it through `sandbox --profile`.
//!
//! Desktop environments pick the entry of `$XDG_DATA_HOME/applications` over the system's
//! one with the same desktop-file ID: the first file with an ID wins (Desktop Entry
//! Specification 1.5, "Desktop File ID"), and the XDG base directory specification puts
//! `$XDG_DATA_HOME` before `$XDG_DATA_DIRS`.
//! The written entry is the original, line for line, with every `Exec` key prefixed and
//! `DBusActivatable` turned off, so name, icon, MIME types and actions stay as they were.

use std::borrow::Cow;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Key marking an entry that this command wrote, so `--remove` never deletes the user's own.
const MARKER_KEY: &str = "X-Sandbox-Profile";

/// Group holding the entry's main keys.
const MAIN_GROUP: &str = "[Desktop Entry]";

#[derive(Debug, thiserror::Error)]
pub(crate) enum DesktopEntryError {
    #[error("desktop entry {id:?} not found in {searched}")]
    NotFound { id: String, searched: String },

    #[error("{}: cannot read: {error}", path.display())]
    Read { path: PathBuf, error: io::Error },

    #[error("{}: cannot write: {error}", path.display())]
    Write { path: PathBuf, error: io::Error },

    #[error("{}: invalid desktop entry: {message}", path.display())]
    Invalid { path: PathBuf, message: String },

    #[error(
        "{}: exists and was not written by sandbox desktop-entry (no {MARKER_KEY} key); \
         move it away first",
        path.display()
    )]
    NotOurs { path: PathBuf },

    #[error("no folder for user entries: set XDG_DATA_HOME or HOME to an absolute path")]
    NoDataHome,

    #[error("cannot find the sandbox binary to run: {error}")]
    CurrentExe { error: io::Error },
}

/// The folders entries are read from and written to, from the XDG base directory variables.
pub(crate) struct Dirs {
    /// `$XDG_DATA_HOME/applications`, where the shadowing entry goes.
    pub user: PathBuf,
    /// `applications` below each of `$XDG_DATA_DIRS`, searched for an ID in order.
    pub system: Vec<PathBuf>,
}

impl Dirs {
    /// Reads the folders from the environment; relative values are ignored, as the XDG base
    /// directory specification requires.
    pub(crate) fn from_env(vars: &crate::profile::Vars) -> Result<Dirs, DesktopEntryError> {
        let absolute = |value: &str| Path::new(value).is_absolute();
        let data_home = match vars.get("XDG_DATA_HOME").filter(|dir| absolute(dir)) {
            Some(dir) => PathBuf::from(&*dir),
            None => {
                let home = vars.get("HOME").filter(|home| absolute(home));
                Path::new(&*home.ok_or(DesktopEntryError::NoDataHome)?).join(".local/share")
            }
        };
        let data_dirs = vars
            .get("XDG_DATA_DIRS")
            .filter(|dirs| !dirs.is_empty())
            .unwrap_or(Cow::Borrowed("/usr/local/share:/usr/share"));
        let system = data_dirs
            .split(':')
            .filter(|dir| absolute(dir))
            .map(|dir| Path::new(dir).join("applications"))
            .collect();
        Ok(Dirs {
            user: data_home.join("applications"),
            system,
        })
    }
}

/// Writes the sandboxed entry for `entry` (a path to a `.desktop` file, or a desktop-file
/// ID) running under `profile`, and returns its path.
pub(crate) fn install(
    entry: &str,
    profile: &str,
    dirs: &Dirs,
) -> Result<PathBuf, DesktopEntryError> {
    let (id, source) = find(entry, dirs)?;
    if !id.ends_with(".desktop") {
        return Err(DesktopEntryError::Invalid {
            path: source,
            message: "the file name must end in .desktop".into(),
        });
    }
    let text = fs::read_to_string(&source).map_err(|error| DesktopEntryError::Read {
        path: source.clone(),
        error,
    })?;
    let sandbox =
        std::env::current_exe().map_err(|error| DesktopEntryError::CurrentExe { error })?;
    let profile = absolute_profile(profile);
    let prefix = exec_prefix(&sandbox, &profile);
    let marker = Marker {
        id: &id,
        profile: &profile,
        source: &source,
    };
    let rewritten =
        rewrite(&text, &prefix, &marker).map_err(|message| DesktopEntryError::Invalid {
            path: source.clone(),
            message,
        })?;

    let target = dirs.user.join(&id);
    if target.exists() && !written_by_us(&target)? {
        return Err(DesktopEntryError::NotOurs { path: target });
    }
    let write_error = |error| DesktopEntryError::Write {
        path: target.clone(),
        error,
    };
    fs::create_dir_all(&dirs.user).map_err(write_error)?;
    fs::write(&target, rewritten).map_err(write_error)?;
    Ok(target)
}

/// Removes the sandboxed entry for `entry` (a path or an ID) and returns its path. Only an
/// entry that this command wrote is removed.
pub(crate) fn remove(entry: &str, dirs: &Dirs) -> Result<PathBuf, DesktopEntryError> {
    let id = entry_id(entry, dirs);
    let target = dirs.user.join(&id);
    if !target.exists() {
        return Err(DesktopEntryError::NotFound {
            id,
            searched: dirs.user.display().to_string(),
        });
    }
    if !written_by_us(&target)? {
        return Err(DesktopEntryError::NotOurs { path: target });
    }
    fs::remove_file(&target).map_err(|error| DesktopEntryError::Write {
        path: target.clone(),
        error,
    })?;
    Ok(target)
}

/// Returns the desktop-file ID of `entry`: the ID of a file below an applications folder,
/// the file name of any other path, or `entry` itself with `.desktop` appended if missing.
fn entry_id(entry: &str, dirs: &Dirs) -> String {
    let path = Path::new(entry);
    if entry.contains('/') {
        let below = std::iter::once(&dirs.user)
            .chain(&dirs.system)
            .find_map(|dir| path.strip_prefix(dir).ok());
        if let Some(relative) = below {
            return id_of(relative);
        }
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned());
        return name.unwrap_or_default();
    }
    match entry.ends_with(".desktop") {
        true => entry.to_string(),
        false => format!("{entry}.desktop"),
    }
}

/// Builds the ID of a file from its path relative to an applications folder: `/` becomes `-`.
fn id_of(relative: &Path) -> String {
    relative.to_string_lossy().replace('/', "-")
}

/// Finds the installed entry: a path as given, or an ID in the system folders (never in the
/// user folder, where the shadowing entry goes).
fn find(entry: &str, dirs: &Dirs) -> Result<(String, PathBuf), DesktopEntryError> {
    let id = entry_id(entry, dirs);
    if entry.contains('/') {
        return Ok((id, PathBuf::from(entry)));
    }
    for dir in &dirs.system {
        if let Some(path) = find_in(dir, dir, &id) {
            return Ok((id, path));
        }
    }
    let searched: Vec<String> = dirs
        .system
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    Err(DesktopEntryError::NotFound {
        id,
        searched: searched.join(", "),
    })
}

/// Searches `dir` and its subfolders for the file whose ID relative to `root` is `id`.
fn find_in(root: &Path, dir: &Path, id: &str) -> Option<PathBuf> {
    let mut entries: Vec<_> = fs::read_dir(dir).ok()?.filter_map(Result::ok).collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_in(root, &path, id) {
                return Some(found);
            }
        } else if path
            .strip_prefix(root)
            .is_ok_and(|relative| id_of(relative) == id)
        {
            return Some(path);
        }
    }
    None
}

fn written_by_us(path: &Path) -> Result<bool, DesktopEntryError> {
    let text = fs::read_to_string(path).map_err(|error| DesktopEntryError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    let marker = format!("{MARKER_KEY}=");
    Ok(text.lines().any(|line| line.starts_with(&marker)))
}

/// Makes a profile path absolute, so the entry works from any working directory; a profile
/// name stays a name.
fn absolute_profile(profile: &str) -> String {
    let is_path = profile.contains('/') || profile.ends_with(".toml");
    match is_path {
        true => fs::canonicalize(profile)
            .map(|path| path.to_string_lossy().into_owned())
            .unwrap_or_else(|_| profile.to_string()),
        false => profile.to_string(),
    }
}

/// Builds the words put before the original command, quoted for the Exec key.
fn exec_prefix(sandbox: &Path, profile: &str) -> String {
    let words = [
        sandbox.to_string_lossy().into_owned(),
        "--profile".to_string(),
        profile.to_string(),
        "--".to_string(),
    ];
    let quoted: Vec<String> = words.iter().map(|word| quote_exec_word(word)).collect();
    quoted.join(" ")
}

/// Quotes one word for an Exec value by the rules of the specification's "The Exec key"
/// section. A word with reserved characters goes in double quotes, inside which `"`, `` ` ``,
/// `$` and `\` take a backslash, and `%` is always doubled. The result still needs the string
/// escaping of [`escape_value`].
fn quote_exec_word(word: &str) -> String {
    const RESERVED: &[char] = &[
        ' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(',
        ')', '`',
    ];
    let word = word.replace('%', "%%");
    if !word.contains(RESERVED) && !word.is_empty() {
        return word;
    }
    let mut quoted = String::from("\"");
    for c in word.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// Escapes a value for a desktop file: a backslash becomes `\\`, control characters their
/// escapes.
fn escape_value(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\t', "\\t")
        .replace('\r', "\\r")
}

/// The facts the written entry records about itself: its ID, the profile and the original
/// file.
struct Marker<'a> {
    id: &'a str,
    profile: &'a str,
    source: &'a Path,
}

/// Rewrites the entry `text`: each `Exec` gets `prefix`, which is Exec-quoted and not yet
/// string-escaped, `DBusActivatable` becomes false (D-Bus activation would start the
/// application without Exec), and the main group gets the marker keys.
fn rewrite(text: &str, prefix: &str, marker: &Marker) -> Result<String, String> {
    let mut out = format!(
        "# Written by sandbox desktop-entry: runs the application of\n\
         # {} in the sandbox profile {}.\n\
         # Remove it with: sandbox desktop-entry --remove {}\n",
        marker.source.display(),
        marker.profile,
        marker.id
    );
    let mut group = String::new();
    let mut saw_main = false;
    let mut exec_count = 0;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            if group == MAIN_GROUP {
                push_marker(&mut out, marker);
            }
            group = trimmed.to_string();
            saw_main |= group == MAIN_GROUP;
        }
        let rewritable = group == MAIN_GROUP || group.starts_with("[Desktop Action ");
        match line.split_once('=') {
            _ if !rewritable => out.push_str(line),
            Some((key, _)) if key.trim() == MARKER_KEY => {
                return Err("it was written by sandbox desktop-entry already".into());
            }
            Some((key, value)) if key.trim() == "Exec" => {
                exec_count += 1;
                out.push_str(&format!("Exec={}", escape_value(prefix)));
                out.push(' ');
                out.push_str(value.trim_start());
            }
            Some((key, _)) if key.trim() == "DBusActivatable" => {
                out.push_str("DBusActivatable=false")
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    if group == MAIN_GROUP {
        push_marker(&mut out, marker);
    }
    if !saw_main {
        return Err(format!("no {MAIN_GROUP} group"));
    }
    if exec_count == 0 {
        return Err("no Exec key, so there is no command to sandbox".into());
    }
    Ok(out)
}

fn push_marker(out: &mut String, marker: &Marker) {
    // Blank lines that ended the group move after the marker keys.
    let trimmed_len = out.trim_end_matches('\n').len();
    let blank = out.len() - trimmed_len - 1;
    out.truncate(trimmed_len + 1);
    out.push_str(&format!("{MARKER_KEY}={}\n", escape_value(marker.profile)));
    out.push_str(&format!(
        "X-Sandbox-Source={}\n",
        escape_value(&marker.source.to_string_lossy())
    ));
    out.push_str(&"\n".repeat(blank));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> crate::profile::Vars {
        crate::profile::Vars::from_pairs(pairs)
    }

    fn marker() -> Marker<'static> {
        Marker {
            id: "viewer.desktop",
            profile: "p",
            source: Path::new("/usr/share/applications/viewer.desktop"),
        }
    }

    const ENTRY: &str = "\
[Desktop Entry]
Name=Viewer
Name[de]=Betrachter
Exec=viewer %U
Icon=viewer
MimeType=application/pdf;
DBusActivatable=true
Actions=new;

[Desktop Action new]
Name=New window
Exec=viewer --new-window
";

    #[test]
    fn rewrite_prefixes_every_exec() {
        let out = rewrite(ENTRY, "/usr/bin/sandbox --profile pdf-viewer --", &marker()).unwrap();
        assert!(
            out.contains("Exec=/usr/bin/sandbox --profile pdf-viewer -- viewer %U\n"),
            "{out}"
        );
        assert!(
            out.contains("Exec=/usr/bin/sandbox --profile pdf-viewer -- viewer --new-window\n"),
            "{out}"
        );
    }

    #[test]
    fn rewrite_keeps_other_keys() {
        let out = rewrite(ENTRY, "sandbox --", &marker()).unwrap();
        for line in [
            "Name[de]=Betrachter",
            "Icon=viewer",
            "MimeType=application/pdf;",
            "Actions=new;",
        ] {
            assert!(out.contains(line), "{line} in {out}");
        }
    }

    #[test]
    fn rewrite_turns_off_dbus_activation() {
        let out = rewrite(ENTRY, "sandbox --", &marker()).unwrap();
        assert!(out.contains("DBusActivatable=false\n"), "{out}");
    }

    #[test]
    fn rewrite_marks_main_group_only() {
        let out = rewrite(ENTRY, "sandbox --", &marker()).unwrap();
        let marker_at = out.find("X-Sandbox-Profile=p\n").unwrap();
        let action_at = out.find("[Desktop Action new]").unwrap();
        assert!(marker_at < action_at, "{out}");
        assert_eq!(out.matches("X-Sandbox-Profile=").count(), 1);
    }

    #[test]
    fn rewrite_rejects_own_output() {
        let out = rewrite(ENTRY, "sandbox --", &marker()).unwrap();
        assert!(rewrite(&out, "sandbox --", &marker()).is_err());
    }

    #[test]
    fn rewrite_requires_exec() {
        let error = rewrite("[Desktop Entry]\nName=x\n", "s", &marker()).unwrap_err();
        assert!(error.contains("no Exec"), "{error}");
    }

    #[test]
    fn exec_word_quoting() {
        assert_eq!(quote_exec_word("/usr/bin/sandbox"), "/usr/bin/sandbox");
        assert_eq!(
            quote_exec_word("/opt/my tools/p.toml"),
            "\"/opt/my tools/p.toml\""
        );
        assert_eq!(quote_exec_word("a$b\\c"), "\"a\\$b\\\\c\"");
        assert_eq!(quote_exec_word("50%"), "50%%");
    }

    #[test]
    fn id_from_path_below_applications() {
        let dirs = Dirs::from_env(&vars(&[
            ("HOME", "/home/u"),
            ("XDG_DATA_DIRS", "/usr/share"),
        ]))
        .unwrap();
        assert_eq!(
            entry_id("/usr/share/applications/kde4/okular.desktop", &dirs),
            "kde4-okular.desktop"
        );
        assert_eq!(entry_id("firefox-esr", &dirs), "firefox-esr.desktop");
        assert_eq!(dirs.user, Path::new("/home/u/.local/share/applications"));
    }
}
