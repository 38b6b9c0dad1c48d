//! The `[arguments]` profile section: files named on the command line, made visible read-only
//! inside the sandbox, so a viewer can open the document it was started with and nothing
//! else of the folder tree.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::landlock_rules::LandlockLayer;
use crate::profile::{Location, Mount, MountKind};

/// The `[arguments]` table of one profile file.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawArguments {
    /// The bind, read-only, for each command argument that names an existing regular file on
    /// the host: "none" (the default), "file" (the file alone) or "folder" (the folder that
    /// contains it). "folder" binds the file alone when its folder is `/`, the home folder or
    /// one of its parents, or would hide a mount of the profile. A symlink's target is bound
    /// the same way. Arguments that start with `-` are options and never bound, and `file://`
    /// URLs are bound like paths.
    #[schemars(with = "Option<ArgumentBind>")]
    pub bind: Option<toml::Spanned<ArgumentBind>>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ArgumentBind {
    #[default]
    None,
    File,
    Folder,
}

/// The caller's side of the command line: where relative arguments start and which folder
/// must never be exposed whole.
struct Caller<'a> {
    cwd: Option<&'a Path>,
    home: Option<&'a Path>,
}

/// Adds read-only binds for the file arguments of `args` (the command's arguments without
/// argv[0]) after `mounts`, and with Landlock a read rule for each, which would otherwise
/// hide what the binds show. `origin` is where the profile set `[arguments]`.
pub(crate) fn add_mounts(
    bind: ArgumentBind,
    origin: &Location,
    args: &[OsString],
    mounts: &mut Vec<Mount>,
    landlock: Option<&mut LandlockLayer>,
) {
    let cwd = std::env::current_dir().ok();
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let caller = Caller {
        cwd: cwd.as_deref(),
        home: home.as_deref(),
    };
    let added = self::mounts(bind, args, &caller, mounts, origin);
    if let Some(landlock) = landlock {
        for mount in &added {
            landlock.allow_read(&mount.dest, &mount.origin);
        }
    }
    mounts.extend(added);
}

/// Builds the read-only binds for the file arguments of `args` (the command's arguments
/// without argv[0]), placed after `earlier`, the profile's mounts. `origin` is where the
/// profile set `[arguments]`.
fn mounts(
    bind: ArgumentBind,
    args: &[OsString],
    caller: &Caller,
    earlier: &[Mount],
    origin: &Location,
) -> Vec<Mount> {
    if bind == ArgumentBind::None {
        return Vec::new();
    }
    let mut added: Vec<Mount> = Vec::new();
    let files = (args.iter())
        .filter_map(|arg| file_argument(arg, caller.cwd))
        .flat_map(with_symlink_target);
    for file in files {
        // A second file of a folder bound for an earlier argument is visible already.
        if added.iter().any(|mount| file.starts_with(&mount.dest)) {
            continue;
        }
        let folder = file.parent().map(Path::to_path_buf);
        let candidates = match (bind, folder) {
            (ArgumentBind::Folder, Some(folder)) if exposes_folder_safely(&folder, caller) => {
                vec![folder, file.clone()]
            }
            _ => vec![file.clone()],
        };
        let taken = earlier.iter().chain(added.iter());
        let dest = candidates
            .into_iter()
            .find(|dest| taken.clone().all(|mount| !conflicts(dest, mount)));
        match dest {
            Some(dest) => added.push(read_only_bind(dest, origin)),
            None => log::debug!(
                "arguments: not binding {}: it is the dest of a mount of the profile",
                file.display()
            ),
        }
    }
    added
}

/// Returns the absolute host path an argument names when it is an existing regular file.
fn file_argument(arg: &OsString, cwd: Option<&Path>) -> Option<PathBuf> {
    let text = arg.to_str()?;
    if text.starts_with('-') || text.is_empty() {
        return None;
    }
    let path = match text.strip_prefix("file://") {
        Some(rest) => PathBuf::from(percent_decode(rest)?),
        None => PathBuf::from(text),
    };
    let path = match path.is_absolute() {
        true => path,
        false => cwd?.join(path),
    };
    // `..` is not resolved lexically, because that would be wrong across symlinks; such an
    // argument is not bound.
    if path.components().any(|c| c == Component::ParentDir) {
        return None;
    }
    let path: PathBuf = path.components().collect();
    std::fs::metadata(&path)
        .ok()
        .filter(|m| m.is_file())
        .map(|_| path)
}

/// Returns `file`, followed by the file it points to when it is a symlink: a folder bind
/// shows the symlink itself, whose target must then be visible too.
fn with_symlink_target(file: PathBuf) -> Vec<PathBuf> {
    let is_symlink = file.symlink_metadata().is_ok_and(|meta| meta.is_symlink());
    let target = is_symlink
        .then(|| std::fs::canonicalize(&file).ok())
        .flatten();
    match target {
        Some(target) if target != file => vec![file, target],
        _ => vec![file],
    }
}

/// Returns whether binding `folder` whole is acceptable: not `/`, not the home folder or a parent
/// of it, which would expose keys and dotfiles.
fn exposes_folder_safely(folder: &Path, caller: &Caller) -> bool {
    let home_inside = caller.home.is_some_and(|home| home.starts_with(folder));
    folder != Path::new("/") && !home_inside
}

/// Returns whether a bind at `dest` would hide `mount` or lie inside a file or symlink it created.
fn conflicts(dest: &Path, mount: &Mount) -> bool {
    let inside_file = dest.starts_with(&mount.dest)
        && matches!(
            mount.kind,
            MountKind::File { .. } | MountKind::Symlink { .. }
        );
    mount.dest.starts_with(dest) || inside_file
}

fn read_only_bind(path: PathBuf, origin: &Location) -> Mount {
    Mount {
        dest: path.clone(),
        kind: MountKind::Bind {
            source: path,
            read_only: true,
            devices: false,
        },
        optional: false,
        create: false,
        origin: origin.clone(),
    }
}

/// Decodes the `%XX` escapes of a `file://` URL path; `None` for a malformed escape or a
/// result that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn origin() -> Location {
        Location {
            file: Arc::from(Path::new("p.toml")),
            line: 1,
            column: 1,
        }
    }

    fn dests(mounts: &[Mount]) -> Vec<PathBuf> {
        mounts.iter().map(|m| m.dest.clone()).collect()
    }

    #[test]
    fn folder_of_file_argument_bound() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("doc.pdf");
        std::fs::write(&file, "x").unwrap();
        let caller = Caller {
            cwd: Some(dir.path()),
            home: Some(Path::new("/home/nobody")),
        };
        let args = [OsString::from("--page=2"), OsString::from("doc.pdf")];
        let mounts = mounts(ArgumentBind::Folder, &args, &caller, &[], &origin());
        assert_eq!(dests(&mounts), [dir.path().to_path_buf()]);
        assert_eq!(
            mounts[0].kind,
            MountKind::Bind {
                source: dir.path().to_path_buf(),
                read_only: true,
                devices: false
            }
        );
    }

    #[test]
    fn home_folder_falls_back_to_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("doc.pdf");
        std::fs::write(&file, "x").unwrap();
        let caller = Caller {
            cwd: None,
            home: Some(dir.path()),
        };
        let args = [file.clone().into_os_string()];
        let mounts = mounts(ArgumentBind::Folder, &args, &caller, &[], &origin());
        assert_eq!(dests(&mounts), [file]);
    }

    #[test]
    fn folder_hiding_mount_falls_back_to_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("doc.pdf");
        std::fs::write(&file, "x").unwrap();
        let earlier = read_only_bind(dir.path().join("sub"), &origin());
        let caller = Caller {
            cwd: None,
            home: None,
        };
        let url = format!("file://{}", file.display()).replace("doc", "%64oc");
        let args = [OsString::from(url)];
        let mounts = mounts(ArgumentBind::Folder, &args, &caller, &[earlier], &origin());
        assert_eq!(dests(&mounts), [file]);
    }

    #[test]
    fn second_file_of_bound_folder_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("a.pdf");
        let second = dir.path().join("b.pdf");
        std::fs::write(&first, "a").unwrap();
        std::fs::write(&second, "b").unwrap();
        let caller = Caller {
            cwd: None,
            home: None,
        };
        let args = [first.into_os_string(), second.into_os_string()];
        let mounts = mounts(ArgumentBind::Folder, &args, &caller, &[], &origin());
        assert_eq!(dests(&mounts), [dir.path().to_path_buf()]);
    }

    #[test]
    fn symlink_argument_binds_target_too() {
        let dir = tempfile::tempdir().unwrap();
        let documents = dir.path().join("documents");
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&documents).unwrap();
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("real.pdf"), "x").unwrap();
        let link = documents.join("link.pdf");
        std::os::unix::fs::symlink(elsewhere.join("real.pdf"), &link).unwrap();
        let caller = Caller {
            cwd: None,
            home: None,
        };
        let args = [link.into_os_string()];
        let mounts = mounts(ArgumentBind::Folder, &args, &caller, &[], &origin());
        let elsewhere = std::fs::canonicalize(&elsewhere).unwrap();
        assert_eq!(dests(&mounts), [documents, elsewhere]);
    }

    #[test]
    fn missing_and_option_arguments_ignored() {
        let caller = Caller {
            cwd: Some(Path::new("/")),
            home: None,
        };
        let args = [
            OsString::from("/nonexistent/file.pdf"),
            OsString::from("-o"),
            OsString::from("/etc/../etc/hostname"),
        ];
        assert!(mounts(ArgumentBind::File, &args, &caller, &[], &origin()).is_empty());
    }
}
