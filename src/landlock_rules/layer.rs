//! The `[landlock]` table as written in one profile file, and the checked layer built from it.

use std::ops::Range;
use std::path::PathBuf;

use landlock::{AccessFs, BitFlags, Scope};
use serde::Deserialize;
use toml::Spanned;

use super::rights;
use crate::profile::{FileContext, Location, ProfileError};

/// The `[landlock]` table of one profile file: which paths, TCP ports and scopes the target
/// keeps once the Landlock ruleset is enforced. Everything the ruleset restricts and no rule
/// grants is denied.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLandlock {
    /// Behavior when the kernel cannot enforce everything. "best-effort" (the default) applies
    /// what it can and prints a warning naming what it dropped. "hard" makes sandbox exit 125
    /// before the target runs.
    #[schemars(with = "Option<RawCompat>")]
    pub compat: Option<Spanned<RawCompat>>,

    /// Paths (as the target sees them) whose files may be read and whose directories may be
    /// listed, recursively.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub read: Vec<Spanned<String>>,

    /// Paths under which the target may read, write, truncate, create, remove and rename
    /// files and directories, and use ioctl on device files. Includes everything `read` grants.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub write: Vec<Spanned<String>>,

    /// Paths under which the target may execute files. Loading a program also reads it, so
    /// such paths usually belong in `read` too.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub execute: Vec<Spanned<String>>,

    /// TCP ports the target may connect to. Setting this key or `bind_tcp`, even to an empty
    /// list, denies every other TCP connect and bind (Landlock ABI 4).
    #[schemars(with = "Option<Vec<u16>>")]
    pub connect_tcp: Option<Vec<Spanned<u16>>>,

    /// TCP ports the target may bind; 0 allows binding an ephemeral port. Setting this key or
    /// `connect_tcp`, even to an empty list, denies every other TCP connect and bind.
    #[schemars(with = "Option<Vec<u16>>")]
    pub bind_tcp: Option<Vec<Spanned<u16>>>,

    /// Scopes that cut the target off from processes outside the sandbox (Landlock ABI 6):
    /// "abstract-unix-socket" denies connecting to abstract unix sockets created outside,
    /// "signal" denies sending signals outside. Both apply when the key is absent; list fewer
    /// to opt out, for example `["signal"]` for a program that needs the X11 abstract socket.
    #[schemars(with = "Option<Vec<String>>")]
    pub scope: Option<Vec<Spanned<String>>>,

    /// Rules with individual rights or optional paths, written as `[[landlock.rule]]` tables.
    #[serde(default)]
    #[schemars(with = "Vec<RawLandlockRule>")]
    pub rule: Vec<Spanned<RawLandlockRule>>,
}

/// One `[[landlock.rule]]` table: paths and the rights granted beneath them.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLandlockRule {
    /// Paths, as the target sees them, that the rule applies to, recursively for directories.
    #[schemars(with = "Vec<String>")]
    pub paths: Vec<Spanned<String>>,

    /// Short sets ("read", "write", "execute") and individual rights ("read_file",
    /// "read_dir", "write_file", "truncate", "remove_file", "remove_dir", "make_reg",
    /// "make_dir", "make_sym", "make_sock", "make_fifo", "make_char", "make_block", "refer",
    /// "ioctl_dev", "resolve_unix", "execute"), combined. On a path that is not a directory,
    /// only the rights that apply to files are kept.
    #[schemars(with = "Vec<String>")]
    pub access: Vec<Spanned<String>>,

    /// Skip the rule when a path does not exist in the sandbox (logged at -v) instead of
    /// failing.
    pub optional: Option<bool>,
}

/// The `compat` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RawCompat {
    BestEffort,
    Hard,
}

/// How to handle a kernel that cannot enforce every right the profile restricts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Compat {
    /// Enforce what the kernel supports and warn about the rest.
    #[default]
    BestEffort,
    /// Refuse to start the target.
    Hard,
}

impl Compat {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Compat::BestEffort => "best-effort",
            Compat::Hard => "hard",
        }
    }
}

/// One path and the filesystem rights granted beneath it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PathRule {
    /// Absolute path inside the sandbox, variables expanded.
    pub path: PathBuf,
    pub access: BitFlags<AccessFs>,
    /// Skip the rule when the path is missing.
    pub optional: bool,
    /// Location of the path in the profile, for messages.
    pub origin: Location,
}

/// The Landlock settings of one file, with variables expanded, ready to merge.
#[derive(Clone, Debug, Default)]
pub(crate) struct LandlockLayer {
    /// `None` when this file does not set `compat`.
    pub compat: Option<Compat>,
    /// Rules in file order: `read`, `write`, `execute`, then the `[[landlock.rule]]` tables.
    pub rules: Vec<PathRule>,
    /// `None` when the key is absent, which leaves TCP unrestricted unless another key or file
    /// sets it.
    pub connect_tcp: Option<Vec<u16>>,
    pub bind_tcp: Option<Vec<u16>>,
    /// `None` when this file does not set `scope`; the plan then uses both scopes.
    pub scopes: Option<BitFlags<Scope>>,
}

impl LandlockLayer {
    /// Limits every rule whose path is one of `paths` to the read rights, with a warning.
    pub(crate) fn limit_to_read(&mut self, paths: &[PathBuf]) {
        for rule in &mut self.rules {
            if paths.contains(&rule.path) && !(rule.access & !rights::READ_SET).is_empty() {
                log::warn!(
                    "{}: landlock rule on {} limited to reading, because the mount at that path \
                     was skipped",
                    rule.origin,
                    rule.path.display()
                );
                rule.access &= rights::READ_SET;
            }
        }
    }

    /// Checks one file's `[landlock]` table and expands its paths; errors name the file, line
    /// and key.
    pub(crate) fn resolve(raw: RawLandlock, ctx: &FileContext) -> Result<Self, ProfileError> {
        let mut rules = Vec::new();
        let short_keys = [
            ("landlock.read", raw.read, rights::READ_SET),
            ("landlock.write", raw.write, rights::WRITE_SET),
            ("landlock.execute", raw.execute, rights::EXECUTE_SET),
        ];
        for (key, paths, access) in short_keys {
            for path in paths {
                rules.push(path_rule(ctx, key, path, access, false)?);
            }
        }
        for rule in raw.rule {
            resolve_rule(ctx, rule, &mut rules)?;
        }
        let scopes = raw
            .scope
            .map(|scope| resolve_scopes(ctx, scope))
            .transpose()?;
        Ok(LandlockLayer {
            compat: raw.compat.map(|compat| match compat.into_inner() {
                RawCompat::BestEffort => Compat::BestEffort,
                RawCompat::Hard => Compat::Hard,
            }),
            rules,
            connect_tcp: raw.connect_tcp.map(unspan_ports),
            bind_tcp: raw.bind_tcp.map(unspan_ports),
            scopes,
        })
    }

    /// Adds a rule that lets the target read `path`, for binds that the plan adds from the
    /// command line.
    pub(crate) fn allow_read(&mut self, path: &std::path::Path, origin: &Location) {
        self.rules.push(PathRule {
            path: path.to_path_buf(),
            access: rights::READ_SET,
            optional: false,
            origin: origin.clone(),
        });
    }

    /// Merges the settings of a later file (the including one) on top of these: rules and
    /// ports append, `compat` and `scope` of `later` win. `scope` is replaced rather than
    /// appended so that a profile can opt out of a scope its include sets.
    pub(crate) fn merge(&mut self, later: LandlockLayer) {
        if later.compat.is_some() {
            self.compat = later.compat;
        }
        self.rules.extend(later.rules);
        append_ports(&mut self.connect_tcp, later.connect_tcp);
        append_ports(&mut self.bind_tcp, later.bind_tcp);
        if later.scopes.is_some() {
            self.scopes = later.scopes;
        }
    }
}

fn path_rule(
    ctx: &FileContext,
    key: &str,
    path: Spanned<String>,
    access: BitFlags<AccessFs>,
    optional: bool,
) -> Result<PathRule, ProfileError> {
    let span = path.span();
    Ok(PathRule {
        path: ctx.expand_path(path.get_ref(), Some(span.clone()), key)?,
        access,
        optional,
        origin: ctx.location(Some(span)),
    })
}

fn resolve_rule(
    ctx: &FileContext,
    rule: Spanned<RawLandlockRule>,
    rules: &mut Vec<PathRule>,
) -> Result<(), ProfileError> {
    let span = rule.span();
    let rule = rule.into_inner();
    if rule.paths.is_empty() {
        return Err(empty_list(ctx, span, "landlock.rule.paths", "path"));
    }
    if rule.access.is_empty() {
        return Err(empty_list(
            ctx,
            span,
            "landlock.rule.access",
            "right or set",
        ));
    }
    let mut access = BitFlags::EMPTY;
    for name in &rule.access {
        access |= resolve_access_name(ctx, name)?;
    }
    let optional = rule.optional.unwrap_or(false);
    for path in rule.paths {
        rules.push(path_rule(
            ctx,
            "landlock.rule.paths",
            path,
            access,
            optional,
        )?);
    }
    Ok(())
}

fn empty_list(ctx: &FileContext, span: Range<usize>, key: &str, item: &str) -> ProfileError {
    ctx.error(
        Some(span),
        key,
        format!("missing or empty; list at least one {item}"),
    )
}

fn resolve_access_name(
    ctx: &FileContext,
    name: &Spanned<String>,
) -> Result<BitFlags<AccessFs>, ProfileError> {
    let text = name.get_ref();
    rights::fs_access_by_name(text).ok_or_else(|| {
        let hint = match rights::closest(text, rights::fs_access_names()) {
            Some(close) => format!("; did you mean {close:?}?"),
            None => format!(
                "; expected \"read\", \"write\", \"execute\" or one of {}",
                rights::fs_names(rights::fs_supported(u32::MAX)).join(", ")
            ),
        };
        ctx.error(
            Some(name.span()),
            "landlock.rule.access",
            format!("unknown access right {text:?}{hint}"),
        )
    })
}

fn resolve_scopes(
    ctx: &FileContext,
    names: Vec<Spanned<String>>,
) -> Result<BitFlags<Scope>, ProfileError> {
    let mut scopes = BitFlags::EMPTY;
    for name in names {
        let text = name.get_ref();
        let Some(scope) = rights::scope_by_name(text) else {
            let known = rights::SCOPES.iter().map(|(known, _)| *known);
            let hint = match rights::closest(text, known) {
                Some(close) => format!("did you mean {close:?}?"),
                None => "expected \"abstract-unix-socket\" or \"signal\"".to_string(),
            };
            return Err(ctx.error(
                Some(name.span()),
                "landlock.scope",
                format!("unknown scope {text:?}; {hint}"),
            ));
        };
        scopes |= scope;
    }
    Ok(scopes)
}

fn unspan_ports(ports: Vec<Spanned<u16>>) -> Vec<u16> {
    ports.into_iter().map(Spanned::into_inner).collect()
}

fn append_ports(ports: &mut Option<Vec<u16>>, later: Option<Vec<u16>>) {
    if let Some(later) = later {
        ports.get_or_insert_with(Vec::new).extend(later);
    }
}
