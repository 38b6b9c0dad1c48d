//! `[[mount]]` tables: the keys each mount type accepts, path expansion, sizes and modes, and
//! the skipping of mounts marked `skip_if_shadowing` that would shadow an earlier mount.

use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::raw::{RawMount, RawMountType, RawSize};
use super::{FileContext, Mount, MountKind, ProfileError};

/// A mount of one layer, with the loader-only `skip_if_shadowing` flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct LayerMount {
    pub mount: Mount,
    pub skip_if_shadowing: bool,
}

/// Lists the keys besides `type` that a mount type accepts.
fn accepted_keys(kind: RawMountType) -> &'static [&'static str] {
    match kind {
        RawMountType::Bind | RawMountType::RoBind | RawMountType::DevBind => {
            &["source", "dest", "optional", "create", "skip_if_shadowing"]
        }
        RawMountType::Tmpfs => &["dest", "size", "mode", "skip_if_shadowing"],
        RawMountType::Proc | RawMountType::Dev => &["dest"],
        RawMountType::Dir => &["dest", "mode"],
        RawMountType::Symlink => &["dest", "target"],
        RawMountType::File => &["dest", "content", "mode"],
    }
}

fn type_name(kind: RawMountType) -> &'static str {
    match kind {
        RawMountType::Bind => "bind",
        RawMountType::RoBind => "ro-bind",
        RawMountType::DevBind => "dev-bind",
        RawMountType::Tmpfs => "tmpfs",
        RawMountType::Proc => "proc",
        RawMountType::Dev => "dev",
        RawMountType::Dir => "dir",
        RawMountType::Symlink => "symlink",
        RawMountType::File => "file",
    }
}

/// Checks one `[[mount]]` table against the rules of its type and expands its paths.
pub(super) fn resolve(
    raw: Spanned<RawMount>,
    ctx: &FileContext,
) -> Result<LayerMount, ProfileError> {
    let table_span = raw.span();
    let raw = raw.into_inner();
    let kind = *raw.kind.get_ref();
    check_accepted_keys(&raw, ctx)?;
    let table = TableContext {
        ctx,
        span: table_span.clone(),
        kind,
    };

    let (dest, mount_kind) = match kind {
        RawMountType::Bind | RawMountType::RoBind | RawMountType::DevBind => {
            // Without `dest`, the source path is also the dest and must pass its checks.
            let source_is_dest = raw.dest.is_none();
            let source = table.required_path(&raw.source, "mount.source", source_is_dest)?;
            let dest = match source_is_dest {
                true => source.clone(),
                false => table.dest(&raw)?,
            };
            let bind = MountKind::Bind {
                source,
                read_only: kind == RawMountType::RoBind,
                devices: kind == RawMountType::DevBind,
            };
            (dest, bind)
        }
        RawMountType::Tmpfs => {
            let size_bytes = match &raw.size {
                Some(size) => Some(
                    parse_size(size.get_ref())
                        .map_err(|message| ctx.error(Some(size.span()), "mount.size", message))?,
                ),
                None => None,
            };
            let mode = table.mode(&raw.mode)?;
            (table.dest(&raw)?, MountKind::Tmpfs { size_bytes, mode })
        }
        RawMountType::Proc => (table.dest(&raw)?, MountKind::Proc),
        RawMountType::Dev => (table.dest(&raw)?, MountKind::Dev),
        RawMountType::Dir => {
            let mode = table.mode(&raw.mode)?;
            (table.dest(&raw)?, MountKind::Dir { mode })
        }
        RawMountType::Symlink => {
            let target = table.symlink_target(&raw.target)?;
            (table.dest(&raw)?, MountKind::Symlink { target })
        }
        RawMountType::File => {
            let content = table.required(&raw.content, "content")?;
            let content = content.get_ref().as_bytes().to_vec();
            let mode = table.mode(&raw.mode)?;
            (table.dest(&raw)?, MountKind::File { content, mode })
        }
    };

    let flag = |value: &Option<Spanned<bool>>| value.as_ref().is_some_and(|v| *v.get_ref());
    if let Some(create) = raw
        .create
        .as_ref()
        .filter(|_| flag(&raw.create) && flag(&raw.optional))
    {
        let message =
            "`create` and `optional` exclude each other: a created source is never missing";
        return Err(ctx.error(Some(create.span()), "mount.create", message));
    }
    Ok(LayerMount {
        mount: Mount {
            dest,
            kind: mount_kind,
            optional: flag(&raw.optional),
            create: flag(&raw.create),
            origin: ctx.location(Some(table_span)),
        },
        skip_if_shadowing: flag(&raw.skip_if_shadowing),
    })
}

/// Rejects a key that the mount's type does not use, such as `size` on a bind.
fn check_accepted_keys(raw: &RawMount, ctx: &FileContext) -> Result<(), ProfileError> {
    let kind = *raw.kind.get_ref();
    let present: [(&str, Option<Range<usize>>); 9] = [
        ("source", raw.source.as_ref().map(Spanned::span)),
        ("dest", raw.dest.as_ref().map(Spanned::span)),
        ("optional", raw.optional.as_ref().map(Spanned::span)),
        ("create", raw.create.as_ref().map(Spanned::span)),
        (
            "skip_if_shadowing",
            raw.skip_if_shadowing.as_ref().map(Spanned::span),
        ),
        ("size", raw.size.as_ref().map(Spanned::span)),
        ("mode", raw.mode.as_ref().map(Spanned::span)),
        ("content", raw.content.as_ref().map(Spanned::span)),
        ("target", raw.target.as_ref().map(Spanned::span)),
    ];
    let accepted = accepted_keys(kind);
    for (key, span) in present {
        let Some(span) = span else { continue };
        if !accepted.contains(&key) {
            let message = format!(
                "not accepted by a `{}` mount, which takes {}",
                type_name(kind),
                accepted.join(", ")
            );
            return Err(ctx.error(Some(span), &format!("mount.{key}"), message));
        }
    }
    Ok(())
}

/// One `[[mount]]` table being resolved, for errors about keys it lacks.
struct TableContext<'a> {
    ctx: &'a FileContext<'a>,
    span: Range<usize>,
    kind: RawMountType,
}

impl TableContext<'_> {
    fn required<'v, T>(
        &self,
        value: &'v Option<Spanned<T>>,
        key: &str,
    ) -> Result<&'v Spanned<T>, ProfileError> {
        value.as_ref().ok_or_else(|| {
            let message = format!("missing; a `{}` mount needs `{key}`", type_name(self.kind));
            self.ctx
                .error(Some(self.span.clone()), &format!("mount.{key}"), message)
        })
    }

    /// Expands and normalises a required path, `full_key` being `mount.source` or `mount.dest`.
    /// A dest may not contain `..`.
    fn required_path(
        &self,
        value: &Option<Spanned<String>>,
        full_key: &str,
        is_dest: bool,
    ) -> Result<PathBuf, ProfileError> {
        let key = full_key.strip_prefix("mount.").unwrap_or(full_key);
        let value = self.required(value, key)?;
        let path = self
            .ctx
            .expand_path(value.get_ref(), Some(value.span()), full_key)?;
        if is_dest && has_parent_component(&path) {
            return Err(self.ctx.error(
                Some(value.span()),
                full_key,
                match key {
                    "dest" => format!("{path:?} contains a `..` component"),
                    _ => format!(
                        "{path:?} contains a `..` component, and without `dest` it is also the dest"
                    ),
                },
            ));
        }
        Ok(normalize(path))
    }

    fn dest(&self, raw: &RawMount) -> Result<PathBuf, ProfileError> {
        self.required_path(&raw.dest, "mount.dest", true)
    }

    fn mode(&self, value: &Option<Spanned<String>>) -> Result<Option<u32>, ProfileError> {
        let Some(value) = value else {
            return Ok(None);
        };
        let mode = parse_mode(value.get_ref())
            .map_err(|message| self.ctx.error(Some(value.span()), "mount.mode", message))?;
        Ok(Some(mode))
    }

    /// Expands variables in a symlink target; a relative target stays relative.
    fn symlink_target(&self, value: &Option<Spanned<String>>) -> Result<PathBuf, ProfileError> {
        let value = self.required(value, "target")?;
        let span = Some(value.span());
        let target = self
            .ctx
            .vars
            .expand(value.get_ref())
            .map_err(|message| self.ctx.error(span.clone(), "mount.target", message))?;
        if target.is_empty() {
            return Err(self.ctx.error(span, "mount.target", "empty symlink target"));
        }
        if target.contains('\0') {
            return Err(self.ctx.error(span, "mount.target", "contains a NUL byte"));
        }
        Ok(PathBuf::from(target))
    }
}

/// Normalises a path lexically: drops `.` components, repeated and trailing `/`. `..` stays,
/// because resolving it without the file system would be wrong across symlinks.
pub(super) fn normalize(path: PathBuf) -> PathBuf {
    if is_normal_absolute(&path) {
        // Profiles usually write paths this way, and collecting the components again would
        // cost a parse and an allocation per component.
        return path;
    }
    path.components().collect()
}

/// Returns whether `path` is absolute and `normalize` would return it unchanged: no empty
/// or `.` component and no trailing `/`, unless it is `/` itself.
fn is_normal_absolute(path: &Path) -> bool {
    let Some(rest) = path.as_os_str().as_bytes().strip_prefix(b"/") else {
        return false;
    };
    rest.is_empty()
        || rest
            .split(|byte| *byte == b'/')
            .all(|component| !component.is_empty() && component != b".")
}

/// Returns whether `path` is `base` or lies below it, as `Path::starts_with` decides, for paths
/// that [`normalize`] returns unchanged, such as mount dests. It compares bytes, because
/// `Path::starts_with` parses the components of both paths on every call and the checks of a
/// merged profile compare every pair of mounts.
pub(super) fn is_within(path: &Path, base: &Path) -> bool {
    let path = path.as_os_str().as_bytes();
    let base = base.as_os_str().as_bytes();
    let Some((head, rest)) = path.split_at_checked(base.len()) else {
        return false;
    };
    // Only `/` ends in a separator among normalised paths.
    let at_boundary = rest.is_empty() || rest[0] == b'/' || base == b"/";
    // From the end, where paths that share their first folders differ, so that most pairs
    // differ at the first byte compared.
    at_boundary && head.iter().rev().eq(base.iter().rev())
}

/// Returns whether `path` is `/`, for a path that [`normalize`] returns unchanged.
pub(super) fn is_root(path: &Path) -> bool {
    path.as_os_str().as_bytes() == b"/"
}

/// Returns whether `path` has a `..` component.
fn has_parent_component(path: &Path) -> bool {
    path.as_os_str()
        .as_bytes()
        .split(|byte| *byte == b'/')
        .any(|component| component == b"..")
}

/// Parses a tmpfs size: bytes, or a number with a `K`, `M` or `G` suffix (powers of 1024).
pub(super) fn parse_size(size: &RawSize) -> Result<u64, String> {
    let bytes = match size {
        RawSize::Bytes(bytes) => *bytes,
        RawSize::Text(text) => parse_size_text(text)?,
    };
    if bytes == 0 {
        // tmpfs reads size=0 as "no limit" (Linux Documentation/filesystems/tmpfs.rst), the
        // opposite of what a 0 would suggest.
        return Err("size 0 would remove the tmpfs size limit; leave `size` out instead".into());
    }
    Ok(bytes)
}

fn parse_size_text(text: &str) -> Result<u64, String> {
    let invalid = || format!("invalid size {text:?}; expected bytes or a number with K, M or G");
    let (digits, shift) = match text.char_indices().last() {
        Some((at, 'K' | 'k')) => (&text[..at], 10),
        Some((at, 'M' | 'm')) => (&text[..at], 20),
        Some((at, 'G' | 'g')) => (&text[..at], 30),
        _ => (text, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let number: u64 = digits.parse().map_err(|_| invalid())?;
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("size {text:?} is too large"))
}

/// Parses an octal permission mode such as `"1777"` or `"0755"`.
pub(super) fn parse_mode(text: &str) -> Result<u32, String> {
    let digits = text.strip_prefix("0o").unwrap_or(text);
    let valid = !digits.is_empty() && digits.bytes().all(|b| (b'0'..=b'7').contains(&b));
    let mode = match u32::from_str_radix(digits, 8) {
        Ok(mode) if valid && mode <= 0o7777 => mode,
        _ => {
            return Err(format!(
                "invalid mode {text:?}; expected octal digits up to 7777"
            ));
        }
    };
    Ok(mode)
}

/// Drops each bind or tmpfs marked `skip_if_shadowing` that would shadow an earlier mount, with
/// a warning; the earlier mount stays in effect.
///
/// A mount shadows an earlier mount when its dest is `/`, equals the earlier dest or is a parent
/// of it (hiding it). It also shadows when it lies inside an earlier mount that is not a `tmpfs`
/// or `dir`, because it would replace part of a host bind, `proc` or `dev`. A bind inside a `tmpfs` or `dir` only
/// adds a path and is kept. The built-in default uses this for `${HOME}` and `${PWD}`, which
/// must not replace `/` or `/usr`, nor make the empty home writable.
///
/// Returns the kept mounts and the dests of the skipped ones.
pub(super) fn skip_shadowing_mounts(mounts: Vec<LayerMount>) -> (Vec<LayerMount>, Vec<PathBuf>) {
    let mut kept: Vec<LayerMount> = Vec::with_capacity(mounts.len());
    let mut skipped = Vec::new();
    for mount in mounts {
        // Only marked mounts are compared: the search is linear in the mounts kept so far,
        // and a profile of many mounts would otherwise pay for it on every one.
        let shadowed = if mount.skip_if_shadowing {
            kept.iter()
                .find(|earlier| shadows(&mount.mount.dest, &earlier.mount))
        } else {
            None
        };
        match shadowed {
            Some(earlier) => {
                log::warn!(
                    "{}: not sharing {} with the sandbox, because it would cover the mount at {} \
                     ({}); the command sees that mount there, and files it writes there do not \
                     reach the host",
                    mount.mount.origin,
                    mount.mount.dest.display(),
                    earlier.mount.dest.display(),
                    earlier.mount.origin
                );
                skipped.push(mount.mount.dest.clone());
            }
            None => kept.push(mount),
        }
    }
    (kept, skipped)
}

fn shadows(dest: &Path, earlier: &Mount) -> bool {
    let adds_inside = matches!(
        earlier.kind,
        MountKind::Tmpfs { .. } | MountKind::Dir { .. }
    );
    is_root(dest)
        || is_within(&earlier.dest, dest)
        || (is_within(dest, &earlier.dest) && !adds_inside)
}

#[cfg(test)]
mod tests {
    use std::path::Component;

    use super::*;

    const PATHS: [&str; 17] = [
        "/",
        "//",
        "/a",
        "/a/b",
        "/a/",
        "/a//b",
        "/./a",
        "/a/.",
        "/a/./b",
        "/..",
        "/a/../b",
        "/a/..b",
        "/.a",
        "a/b",
        "./a",
        "",
        "/a/b/c/d/e.txt",
    ];

    #[test]
    fn normalize_matches_components() {
        for text in PATHS {
            let path = Path::new(text);
            let collected: PathBuf = path.components().collect();
            let normalized = normalize(path.to_path_buf());
            assert_eq!(normalized, collected, "{text:?}");
            assert_eq!(normalized.as_os_str(), collected.as_os_str(), "{text:?}");
        }
    }

    #[test]
    fn is_within_matches_starts_with() {
        let normal: Vec<&str> = PATHS
            .into_iter()
            .filter(|text| is_normal_absolute(Path::new(text)))
            .chain(["/a/b/c", "/a/bc", "/ab", "/b"])
            .collect();
        for path in &normal {
            for base in &normal {
                let expected = Path::new(path).starts_with(base);
                let within = is_within(Path::new(path), Path::new(base));
                assert_eq!(within, expected, "{path:?} in {base:?}");
            }
            assert_eq!(is_root(Path::new(path)), Path::new(path) == Path::new("/"));
        }
    }

    #[test]
    fn parent_component_matches_components() {
        for text in PATHS {
            let path = Path::new(text);
            let expected = path.components().any(|c| c == Component::ParentDir);
            assert_eq!(has_parent_component(path), expected, "{text:?}");
        }
    }
}
