//! Loading a profile: finding its file, reading and parsing it, resolving its includes depth
//! first, merging the layers, and turning the result into a [`Profile`] with defaults applied.

use std::collections::HashSet;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Spanned;

use super::layer::Layer;
use super::lookup::{self, SearchPath, Source};
use super::origins::Origins;
use super::{
    EnvPolicy, FileContext, Location, Namespaces, ProcessPolicy, Profile, ProfileError, Vars,
    mount, parse, validate,
};

/// Loads the profile `name` (a name or a path) with the given search path.
pub(super) fn load_with(
    name: &str,
    vars: &Vars,
    search: &SearchPath,
) -> Result<Profile, ProfileError> {
    load_recording(name, vars, search, false)
}

/// Loads like [`load_with`], and with `record_origins` also fills `Profile::origins`, which
/// parses every file a second time and so is left to `sandbox explain`.
pub(super) fn load_recording(
    name: &str,
    vars: &Vars,
    search: &SearchPath,
    record_origins: bool,
) -> Result<Profile, ProfileError> {
    let source = find(name, search).map_err(|searched| ProfileError::NotFound {
        name: name.to_string(),
        searched,
    })?;
    let mut loader = Loader {
        vars,
        search,
        stack: Vec::new(),
        loaded: HashSet::new(),
        merged: Layer::default(),
        origins: record_origins.then(Origins::default),
    };
    loader.load(source.clone(), None)?;

    let mut layer = loader.merged;
    let (mounts, skipped) = mount::skip_shadowing_mounts(layer.mounts);
    layer.mounts = mounts;
    if let Some(landlock) = &mut layer.landlock {
        // A rule written for a skipped mount (`write = ["${PWD}"]`) would otherwise grant its
        // rights on whatever the earlier mount shows there, such as /proc or the whole root.
        landlock.limit_to_read(&skipped);
    }
    fill_dbus_socket(&mut layer, vars)?;
    validate::check(&mut layer)?;
    let mut profile = into_profile(layer, source.display_path());
    profile.origins = loader.origins.unwrap_or_default();
    Ok(profile)
}

/// Finds a top-level profile: a path is taken as it is, relative to the working directory.
fn find(name: &str, search: &SearchPath) -> Result<Source, String> {
    if name.is_empty() {
        return Err("nothing: the profile name is empty".into());
    }
    if lookup::is_path(name) {
        return Ok(Source::File(PathBuf::from(name)));
    }
    search.find(name)
}

/// One file on the include stack: its identity (to detect cycles) and how to show it.
struct Frame {
    identity: String,
    shown: String,
}

struct Loader<'a> {
    vars: &'a Vars,
    search: &'a SearchPath,
    /// The chain of files being loaded, outermost first.
    stack: Vec<Frame>,
    /// Every file merged so far; a file included a second time is not merged again.
    loaded: HashSet<String>,
    /// The layers merged so far, in include order.
    merged: Layer,
    /// Where each merged setting was written, recorded in the same order as `merged`; `None`
    /// when not requested.
    origins: Option<Origins>,
}

impl Loader<'_> {
    /// Loads `source`: its includes first, depth first in the listed order, then the file
    /// itself on top. `included_at` is the `include` entry that named it, if any.
    fn load(&mut self, source: Source, included_at: Option<&Location>) -> Result<(), ProfileError> {
        let shown_path = source.display_path();
        let identity = identity(&source);
        let shown = shown_path.display().to_string();

        if let Some(start) = self.stack.iter().position(|f| f.identity == identity) {
            let mut chain: Vec<&str> = self.stack[start..]
                .iter()
                .map(|f| f.shown.as_str())
                .collect();
            chain.push(&shown);
            // Only an include can close a cycle, so `included_at` is always set here.
            let at = included_at.cloned().unwrap_or_else(|| Location {
                file: Arc::from(shown_path.as_path()),
                line: 1,
                column: 1,
            });
            return Err(ProfileError::IncludeCycle {
                at,
                chain: chain.join(" -> "),
            });
        }
        // A file reached twice without a cycle (two fragments including the same base) is
        // merged once, so its mounts and list entries are not duplicated.
        if !self.loaded.insert(identity.clone()) {
            log::debug!("{shown}: already included, not merged again");
            return Ok(());
        }

        let text = read(&source, &shown_path)?;
        let ctx = FileContext::new(&shown_path, &text, self.vars);
        let mut raw = parse::parse(&ctx)?;
        let includes = std::mem::take(&mut raw.include);
        let layer = Layer::resolve(raw, &ctx)?;

        self.stack.push(Frame { identity, shown });
        for include in includes {
            let at = ctx.location(Some(include.span()));
            let included = self.resolve_include(&source, &include, &ctx)?;
            self.load(included, Some(&at))?;
        }
        self.stack.pop();

        self.merged.merge(layer);
        if let Some(origins) = &mut self.origins {
            origins.record_file(&ctx);
        }
        Ok(())
    }

    /// Finds the file an `include` entry names: a name through the search path, a path
    /// relative to the including file's folder.
    fn resolve_include(
        &self,
        including: &Source,
        include: &Spanned<String>,
        ctx: &FileContext,
    ) -> Result<Source, ProfileError> {
        let span = Some(include.span());
        let value = include.get_ref();
        if value.is_empty() {
            return Err(ctx.error(span, "include", "empty profile name"));
        }
        if !lookup::is_path(value) {
            return self.search.find(value).map_err(|searched| {
                let message = format!("profile {value:?} not found; searched {searched}");
                ctx.error(span, "include", message)
            });
        }

        let expanded = self
            .vars
            .expand(value)
            .map_err(|message| ctx.error(span.clone(), "include", message))?;
        let path = PathBuf::from(&expanded);
        let path = match including {
            _ if path.is_absolute() => path,
            Source::File(file) => file.parent().unwrap_or(Path::new("")).join(path),
            Source::Builtin { .. } => {
                let message = format!("relative path {expanded:?} in a built-in profile");
                return Err(ctx.error(span, "include", message));
            }
        };
        if !path.is_file() {
            let message = format!("included profile {} not found", path.display());
            return Err(ctx.error(span, "include", message));
        }
        Ok(Source::File(path))
    }
}

/// Builds the key that identifies a source: its canonical path, or `builtin:NAME`.
fn identity(source: &Source) -> String {
    match source {
        Source::File(path) => std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.clone())
            .display()
            .to_string(),
        Source::Builtin { name, .. } => format!("builtin:{name}"),
    }
}

/// The largest profile file read, so that a profile pointing at /dev/zero cannot exhaust
/// memory. Shipped profiles are a few KiB.
const MAX_PROFILE_BYTES: u64 = 1 << 20;

/// Reads a profile file, which must be a regular file of at most [`MAX_PROFILE_BYTES`]; a FIFO
/// or device would block or never end.
fn read(source: &Source, shown_path: &Path) -> Result<String, ProfileError> {
    let path = match source {
        Source::File(path) => path,
        Source::Builtin { text, .. } => return Ok(lookup::parse_text(text).to_string()),
    };
    let read_error = |source| ProfileError::Read {
        path: shown_path.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(read_error)?;
    let metadata = file.metadata().map_err(read_error)?;
    if !metadata.is_file() {
        let message = "not a regular file".to_string();
        return Err(read_error(std::io::Error::other(message)));
    }
    if metadata.len() > MAX_PROFILE_BYTES {
        let message = format!("larger than {MAX_PROFILE_BYTES} bytes");
        return Err(read_error(std::io::Error::other(message)));
    }
    let mut text = String::new();
    file.take(MAX_PROFILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(read_error)?;
    Ok(text)
}

/// Gives `[dbus]` its default socket path when no file set one.
fn fill_dbus_socket(layer: &mut Layer, vars: &Vars) -> Result<(), ProfileError> {
    let Some(dbus) = &mut layer.dbus else {
        return Ok(());
    };
    if dbus.socket.is_none() {
        let socket = vars
            .expand(crate::dbus::DEFAULT_SOCKET)
            .map_err(|message| {
                let at = dbus.origin.clone();
                ProfileError::Key {
                    at: at.unwrap_or_else(|| Location {
                        file: Arc::from(Path::new("[dbus]")),
                        line: 1,
                        column: 1,
                    }),
                    key: Some("dbus.socket".into()),
                    message,
                }
            })?;
        dbus.socket = Some(mount::normalize(PathBuf::from(socket)));
    }
    Ok(())
}

/// Builds the resolved profile from the merged layer, with the default for each unset key.
fn into_profile(layer: Layer, source: PathBuf) -> Profile {
    let ns = &layer.namespaces;
    // Every namespace is new unless a file shares it: the safe default.
    let new = |value: &Option<super::layer::At<bool>>| value.as_ref().is_none_or(|v| v.value);
    let namespaces = Namespaces {
        user: new(&ns.user),
        pid: new(&ns.pid),
        mount: new(&ns.mount),
        net: new(&ns.net),
        ipc: new(&ns.ipc),
        uts: new(&ns.uts),
        cgroup: new(&ns.cgroup),
    };
    let env = EnvPolicy {
        clear: layer.env_clear.is_some_and(|clear| clear.value),
        keep: layer.env_keep.into_iter().map(|name| name.value).collect(),
        set: (layer.env_set.into_iter())
            .map(|(name, value)| (name, value.value))
            .collect(),
        unset: layer.env_unset.into_iter().map(|name| name.value).collect(),
    };
    let process = ProcessPolicy {
        cwd: layer.cwd.map(|cwd| cwd.value),
        new_session: layer.new_session.unwrap_or(true),
        die_with_parent: layer.die_with_parent.unwrap_or(true),
        as_pid1: layer.as_pid1.is_some_and(|as_pid1| as_pid1.value),
        uid: layer.uid.map(|uid| uid.value),
        gid: layer.gid.map(|gid| gid.value),
        keep_fds: layer.keep_fds.into_iter().map(|fd| fd.value).collect(),
        capabilities: (layer.capabilities.into_iter())
            .map(|name| name.value)
            .collect(),
    };
    Profile {
        source,
        description: layer.description,
        hostname: layer.hostname.map(|hostname| hostname.value),
        namespaces,
        mounts: layer.mounts.into_iter().map(|mount| mount.mount).collect(),
        env,
        process,
        seccomp: layer.seccomp.unwrap_or_default(),
        landlock: layer.landlock,
        dbus: layer.dbus,
        argument_bind: (layer.argument_bind).map(|bind| (bind.value, bind.at)),
        origins: Origins::default(),
    }
}
