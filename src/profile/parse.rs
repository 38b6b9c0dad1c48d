//! TOML text to [`RawProfile`], with parse errors turned into `FILE:LINE:COLUMN` messages that
//! name the key and suggest a close known key for an unknown one.

use super::raw::RawProfile;
use super::{FileContext, ProfileError};

/// Parses one profile file.
pub(super) fn parse(ctx: &FileContext) -> Result<RawProfile, ProfileError> {
    toml::from_str(ctx.text).map_err(|err| convert_error(&err, ctx))
}

fn convert_error(err: &toml::de::Error, ctx: &FileContext) -> ProfileError {
    let at = ctx.location(err.span());
    let message = err.message().trim_end();
    if let Some(unknown) = unknown_key_message(message) {
        return ProfileError::Key {
            at,
            key: None,
            message: unknown,
        };
    }
    if let Some(key) = message
        .strip_prefix("duplicate key")
        .and(key_at(ctx.text, err.span()))
    {
        return ProfileError::Key {
            at,
            key: Some(key),
            message: "duplicate key".into(),
        };
    }
    ProfileError::Key {
        at,
        key: error_key_path(err),
        message: message.to_string(),
    }
}

/// Rewrites serde's "unknown field `x`, expected one of `a`, `b`" as "unknown key `x`", with a
/// suggestion when a known key is close.
fn unknown_key_message(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, expected) = rest.split_once('`')?;
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let mut text = format!("unknown key `{unknown}`");
    match closest(unknown, &known) {
        Some(suggestion) => text.push_str(&format!("; did you mean `{suggestion}`?")),
        None if !known.is_empty() => {
            text.push_str(&format!("; expected one of {}", known.join(", ")))
        }
        None => text.push_str("; this table takes no keys"),
    }
    Some(text)
}

/// Finds the known key closest to `unknown`, when it is close enough to be a likely typo.
pub(super) fn closest<'k>(unknown: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|candidate| (strsim::jaro_winkler(unknown, candidate), *candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// Reads the dotted key path that the toml error is about, such as `namespaces.user`.
///
/// `toml::de::Error` keeps the path private but prints it as a last line "in `a.b`" when it
/// has no input text attached, so the path is read back from that output.
fn error_key_path(err: &toml::de::Error) -> Option<String> {
    let mut bare = err.clone();
    bare.set_input(None);
    let text = bare.to_string();
    let line = text.lines().rev().find(|line| line.starts_with("in `"))?;
    let path = line.strip_prefix("in `")?.strip_suffix('`')?;
    Some(path.to_string())
}

/// Returns the key written at `span` of the text, for errors whose span covers a key.
fn key_at(text: &str, span: Option<std::ops::Range<usize>>) -> Option<String> {
    let key = text.get(span?)?.trim();
    (!key.is_empty()).then(|| key.to_string())
}
