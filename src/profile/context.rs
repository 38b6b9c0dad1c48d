//! What a section of one profile file needs to turn its raw keys into resolved values: error
//! locations in that file and variable expansion in paths.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{Location, ProfileError};

/// The values that `${NAME}` and `~` expand to.
///
/// `HOME`, `USER`, `UID`, `GID`, `PWD` and `XDG_RUNTIME_DIR` come from the caller's credentials
/// and environment; every other name is looked up in the caller's environment.
#[derive(Clone, Debug, Default)]
pub(crate) struct Vars {
    /// Values that win over the environment: `UID`, `GID` and `PWD`, or every value of a set
    /// built for tests.
    values: HashMap<String, String>,
    /// Whether names missing from `values` are looked up in the process environment when they
    /// are needed. A profile names a few variables, and copying the whole environment into a
    /// map cost more than all the lookups of the browser profile. Nothing in sandbox changes
    /// its own environment, so a later lookup reads the same value.
    from_environment: bool,
    /// The uid whose user database entry fills in `USER` and `HOME` when the environment lacks
    /// them. Sets built for tests have none, so they never read the database.
    uid: Option<nix::unistd::Uid>,
    /// That entry's name and home folder, read on the first lookup that needs them, because
    /// reading it parses /etc/passwd or queries another NSS service. `None` inside when the
    /// database has no entry.
    user: OnceCell<Option<(String, String)>>,
}

impl Vars {
    /// Collects the variables of the calling process.
    pub(crate) fn from_process() -> Vars {
        let mut values = HashMap::with_capacity(3);
        let uid = nix::unistd::getuid();
        let gid = nix::unistd::getgid();
        values.insert("UID".into(), uid.to_string());
        values.insert("GID".into(), gid.to_string());
        if let Ok(cwd) = std::env::current_dir() {
            values.insert("PWD".into(), cwd.to_string_lossy().into_owned());
        }
        Vars {
            values,
            from_environment: true,
            uid: Some(uid),
            user: OnceCell::new(),
        }
    }

    /// Builds a fixed set of variables, for tests.
    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: &[(&str, &str)]) -> Vars {
        let values = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Vars {
            values,
            ..Vars::default()
        }
    }

    /// Returns the value of `name`, `None` when it is unset or not UTF-8. `USER` and `HOME`
    /// come from the user database when the environment lacks them.
    pub(crate) fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        if let Some(value) = self.values.get(name) {
            return Some(Cow::Borrowed(value));
        }
        if let Some(value) = self.environment_value(name) {
            return Some(Cow::Owned(value));
        }
        let (user, home) = match name {
            "USER" | "HOME" => self.user_entry()?,
            _ => return None,
        };
        Some(Cow::Borrowed(if name == "USER" { user } else { home }))
    }

    /// Looks `name` up in the process environment, when this set reads it.
    fn environment_value(&self, name: &str) -> Option<String> {
        // An environment entry is NAME=VALUE, so getenv(3) could match such a name against
        // the start of a longer entry instead of finding it missing.
        let valid_name = !name.is_empty() && !name.contains(['=', '\0']);
        if !self.from_environment || !valid_name {
            return None;
        }
        std::env::var_os(name)?.into_string().ok()
    }

    /// Reads the name and home folder of `uid` from the user database, once.
    fn user_entry(&self) -> Option<(&str, &str)> {
        let uid = self.uid?;
        let entry = self.user.get_or_init(|| {
            let user = nix::unistd::User::from_uid(uid).ok()??;
            Some((user.name, user.dir.to_string_lossy().into_owned()))
        });
        let (user, home) = entry.as_ref()?;
        Some((user, home))
    }

    /// Expands `~` at the start and every `${NAME}`; `$$` stands for a literal `$`.
    /// `${NAME:-DEFAULT}` expands to DEFAULT, itself expanded, when NAME is unset or empty, so
    /// a shipped profile can name a socket such as `${WAYLAND_DISPLAY:-wayland-0}`.
    ///
    /// Returns the name of the first undefined variable, or a description of a malformed
    /// reference, as the error.
    pub(crate) fn expand(&self, text: &str) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        if rest == "~" || rest.starts_with("~/") {
            let home = self
                .get("HOME")
                .ok_or("variable HOME is not set (needed by `~`)")?;
            out.push_str(&home);
            rest = &rest[1..];
        }
        while let Some(pos) = rest.find('$') {
            out.push_str(&rest[..pos]);
            let after = &rest[pos + 1..];
            if let Some(stripped) = after.strip_prefix('$') {
                out.push('$');
                rest = stripped;
            } else if let Some(body) = after.strip_prefix('{') {
                let end =
                    closing_brace(body).ok_or_else(|| format!("unclosed `${{` in {text:?}"))?;
                out.push_str(&self.expand_reference(&body[..end])?);
                rest = &body[end + 1..];
            } else {
                return Err(format!("a `$` must start `${{NAME}}` or `$$` in {text:?}"));
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Expands the inside of one `${...}`: `NAME` or `NAME:-DEFAULT`.
    fn expand_reference(&self, reference: &str) -> Result<String, String> {
        match reference.split_once(":-") {
            Some((name, default)) => match self.get(name) {
                Some(value) if !value.is_empty() => Ok(value.into_owned()),
                _ => self.expand(default),
            },
            None => self
                .get(reference)
                .map(Cow::into_owned)
                .ok_or_else(|| format!("variable {reference} is not set")),
        }
    }
}

/// Finds the `}` that closes a `${` whose body starts `body`, skipping nested `${...}` in a
/// default value.
fn closing_brace(body: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = body.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        match byte {
            b'{' if index > 0 && bytes[index - 1] == b'$' => depth += 1,
            b'}' if depth == 0 => return Some(index),
            b'}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Lists the byte offset where each line of `text` starts, the first line's 0 included.
pub(super) fn line_starts(text: &str) -> Vec<usize> {
    // memchr compares a vector of bytes per instruction: about 2 instructions per byte of the
    // shipped profiles under callgrind, where a byte loop or `match_indices` took about 7.
    let newlines = memchr::memchr_iter(b'\n', text.as_bytes()).map(|index| index + 1);
    std::iter::once(0).chain(newlines).collect()
}

/// One profile file being resolved: its path, its text (for line numbers) and the variables.
pub(crate) struct FileContext<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    pub vars: &'a Vars,
    /// The file's path, shared by the locations in this file.
    shared_path: Arc<Path>,
    /// Byte offsets where each line starts, built on the first call of `location`, which a
    /// large profile makes for every item.
    line_starts: OnceCell<Vec<usize>>,
}

impl<'a> FileContext<'a> {
    pub(crate) fn new(path: &'a Path, text: &'a str, vars: &'a Vars) -> FileContext<'a> {
        FileContext {
            path,
            text,
            vars,
            shared_path: Arc::from(path),
            line_starts: OnceCell::new(),
        }
    }

    /// Converts a byte span of this file into a line and column.
    ///
    /// Loading calls this for every key it records, so the line comes from an index of line
    /// starts built once per file, not from counting the newlines before the offset each time.
    pub(crate) fn location(&self, span: Option<Range<usize>>) -> Location {
        let offset = span.map_or(0, |span| span.start.min(self.text.len()));
        let starts = self.line_starts.get_or_init(|| line_starts(self.text));
        // The line is the last one starting at or before `offset`.
        let line = starts.partition_point(|start| *start <= offset);
        let column = offset - starts[line - 1] + 1;
        Location {
            file: Arc::clone(&self.shared_path),
            line,
            column,
        }
    }

    /// Builds the error for `key` at `span` of this file.
    pub(crate) fn error(
        &self,
        span: Option<Range<usize>>,
        key: &str,
        message: impl Into<String>,
    ) -> ProfileError {
        ProfileError::Key {
            at: self.location(span),
            key: Some(key.to_string()),
            message: message.into(),
        }
    }

    /// Expands variables in a path value and requires the result to be absolute.
    pub(crate) fn expand_path(
        &self,
        value: &str,
        span: Option<Range<usize>>,
        key: &str,
    ) -> Result<PathBuf, ProfileError> {
        let expanded = self
            .vars
            .expand(value)
            .map_err(|message| self.error(span.clone(), key, message))?;
        // On Unix a path is absolute exactly when it starts with `/`. Checking the string lets
        // the path take it over without a copy.
        if !expanded.starts_with('/') {
            return Err(self.error(
                span,
                key,
                format!("path {expanded:?} is not absolute after expansion"),
            ));
        }
        Ok(PathBuf::from(expanded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_known_variables() {
        let vars = Vars::from_pairs(&[("HOME", "/home/a"), ("UID", "1000")]);
        assert_eq!(vars.expand("~/x").unwrap(), "/home/a/x");
        assert_eq!(
            vars.expand("/run/user/${UID}/bus").unwrap(),
            "/run/user/1000/bus"
        );
        assert_eq!(vars.expand("/a$$b").unwrap(), "/a$b");
    }

    #[test]
    fn expand_undefined_variable_fails() {
        let vars = Vars::from_pairs(&[]);
        let message = vars.expand("${NOPE}/x").unwrap_err();
        assert!(message.contains("NOPE"), "{message}");
    }

    #[test]
    fn expand_default_when_unset_or_empty() {
        let vars = Vars::from_pairs(&[("UID", "1000"), ("EMPTY", ""), ("SET", "w-1")]);
        assert_eq!(vars.expand("${NOPE:-wayland-0}").unwrap(), "wayland-0");
        assert_eq!(vars.expand("${EMPTY:-x}").unwrap(), "x");
        assert_eq!(vars.expand("${SET:-x}").unwrap(), "w-1");
        assert_eq!(
            vars.expand("${NOPE:-/run/user/${UID}}/bus").unwrap(),
            "/run/user/1000/bus"
        );
    }

    #[test]
    fn expand_default_with_undefined_variable_fails() {
        let vars = Vars::from_pairs(&[]);
        let message = vars.expand("${A:-${B}}").unwrap_err();
        assert!(message.contains("variable B"), "{message}");
    }

    #[test]
    fn process_vars_read_environment() {
        let vars = Vars::from_process();
        let path = std::env::var("PATH").ok();
        assert_eq!(vars.get("PATH").as_deref(), path.as_deref());
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(vars.get("PWD").as_deref(), cwd.to_str());
        let uid = nix::unistd::getuid().to_string();
        assert_eq!(vars.get("UID").as_deref(), Some(uid.as_str()));
    }

    #[test]
    fn process_vars_reject_invalid_names() {
        let vars = Vars::from_process();
        for name in ["", "PATH=", "=PATH", "PA\0TH"] {
            assert_eq!(vars.get(name), None, "{name:?}");
        }
    }

    #[test]
    fn pair_vars_ignore_environment() {
        let vars = Vars::from_pairs(&[("A", "1")]);
        assert_eq!(vars.get("A").as_deref(), Some("1"));
        assert_eq!(vars.get("PATH"), None);
        assert_eq!(vars.get("HOME"), None);
    }

    #[test]
    fn expand_tilde_only_at_start() {
        let vars = Vars::from_pairs(&[("HOME", "/h")]);
        assert_eq!(vars.expand("/a/~").unwrap(), "/a/~");
    }

    #[test]
    fn location_counts_lines_and_columns() {
        let vars = Vars::default();
        let text = "a = 1\nbb = 2\n";
        let ctx = FileContext::new(Path::new("p.toml"), text, &vars);
        let at = ctx.location(Some(7..8));
        assert_eq!((at.line, at.column), (2, 2));
    }

    #[test]
    fn location_at_line_edges() {
        let vars = Vars::default();
        let text = "a = 1\nbb = 2\n";
        let ctx = FileContext::new(Path::new("p.toml"), text, &vars);
        let cases = [
            (None, (1, 1)),
            (Some(0..1), (1, 1)),
            (Some(5..6), (1, 6)),
            (Some(6..7), (2, 1)),
            (Some(13..13), (3, 1)),
            (Some(99..100), (3, 1)),
        ];
        for (span, expected) in cases {
            let at = ctx.location(span.clone());
            assert_eq!((at.line, at.column), expected, "span {span:?}");
        }
    }
}
