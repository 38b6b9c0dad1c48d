//! One profile file parsed and checked on its own ("a layer"), and the merge of layers across
//! includes.
//!
//! A layer keeps where each value was written, so the rules checked after merging
//! (`validate.rs`) can name the file and line of the offending item.

use std::collections::BTreeMap;
use std::path::PathBuf;

use toml::Spanned;

use super::mount::{self, LayerMount};
use super::raw::{RawEnv, RawNamespaces, RawProcess, RawProfile};
use super::{FileContext, Location, ProfileError};
use crate::arguments::ArgumentBind;
use crate::dbus::DbusPolicy;
use crate::landlock_rules::LandlockLayer;
use crate::seccomp::SeccompLayer;

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct At<T> {
    pub value: T,
    pub at: Location,
}

/// The namespace settings of a layer; `None` where no file set the key.
#[derive(Clone, Debug, Default)]
pub(super) struct NamespaceLayer {
    pub user: Option<At<bool>>,
    pub pid: Option<At<bool>>,
    pub mount: Option<At<bool>>,
    pub net: Option<At<bool>>,
    pub ipc: Option<At<bool>>,
    pub uts: Option<At<bool>>,
    pub cgroup: Option<At<bool>>,
}

/// The settings of one file, or of several files merged; `None` where no file set the key.
#[derive(Clone, Debug, Default)]
pub(super) struct Layer {
    pub description: Option<String>,
    pub hostname: Option<At<String>>,
    pub namespaces: NamespaceLayer,
    pub mounts: Vec<LayerMount>,
    pub env_clear: Option<At<bool>>,
    pub env_keep: Vec<At<String>>,
    pub env_set: BTreeMap<String, At<String>>,
    pub env_unset: Vec<At<String>>,
    pub cwd: Option<At<PathBuf>>,
    pub new_session: Option<bool>,
    pub die_with_parent: Option<bool>,
    pub as_pid1: Option<At<bool>>,
    pub uid: Option<At<u32>>,
    pub gid: Option<At<u32>>,
    pub keep_fds: Vec<At<i32>>,
    pub capabilities: Vec<At<String>>,
    pub seccomp: Option<SeccompLayer>,
    pub landlock: Option<LandlockLayer>,
    pub dbus: Option<DbusPolicy>,
    pub argument_bind: Option<At<ArgumentBind>>,
}

impl FileContext<'_> {
    /// Wraps a spanned value of this file with its location.
    pub(super) fn at<T>(&self, spanned: Spanned<T>) -> At<T> {
        let at = self.location(Some(spanned.span()));
        At {
            value: spanned.into_inner(),
            at,
        }
    }
}

impl Layer {
    /// Checks one file's raw tables and expands its paths. `include` is handled by the caller.
    pub(super) fn resolve(raw: RawProfile, ctx: &FileContext) -> Result<Layer, ProfileError> {
        let mut layer = Layer {
            description: raw.description,
            hostname: raw.hostname.map(|hostname| ctx.at(hostname)),
            namespaces: resolve_namespaces(raw.namespaces.map(Spanned::into_inner), ctx),
            ..Layer::default()
        };
        for raw_mount in raw.mount {
            layer.mounts.push(mount::resolve(raw_mount, ctx)?);
        }
        if let Some(env) = raw.env {
            layer.resolve_env(env, ctx);
        }
        if let Some(process) = raw.process {
            layer.resolve_process(process, ctx)?;
        }
        if let Some(seccomp) = raw.seccomp {
            layer.seccomp = Some(SeccompLayer::resolve(seccomp.into_inner(), ctx)?);
        }
        if let Some(landlock) = raw.landlock {
            layer.landlock = Some(LandlockLayer::resolve(landlock.into_inner(), ctx)?);
        }
        if let Some(dbus) = raw.dbus {
            let span = dbus.span();
            layer.dbus = Some(DbusPolicy::resolve(dbus.into_inner(), span, ctx)?);
        }
        if let Some(bind) = raw
            .arguments
            .and_then(|arguments| arguments.into_inner().bind)
        {
            layer.argument_bind = Some(ctx.at(bind));
        }
        Ok(layer)
    }

    fn resolve_env(&mut self, env: RawEnv, ctx: &FileContext) {
        self.env_clear = env.clear.map(|clear| ctx.at(clear));
        self.env_keep = env.keep.into_iter().map(|name| ctx.at(name)).collect();
        self.env_set = env
            .set
            .into_iter()
            .map(|(name, value)| (name, ctx.at(value)))
            .collect();
        self.env_unset = env.unset.into_iter().map(|name| ctx.at(name)).collect();
    }

    fn resolve_process(
        &mut self,
        process: RawProcess,
        ctx: &FileContext,
    ) -> Result<(), ProfileError> {
        if let Some(cwd) = process.cwd {
            let span = cwd.span();
            let path = ctx.expand_path(cwd.get_ref(), Some(span.clone()), "process.cwd")?;
            self.cwd = Some(At {
                value: mount::normalize(path),
                at: ctx.location(Some(span)),
            });
        }
        self.new_session = process.new_session;
        self.die_with_parent = process.die_with_parent;
        self.as_pid1 = process.as_pid1.map(|value| ctx.at(value));
        self.uid = process.uid.map(|uid| ctx.at(uid));
        self.gid = process.gid.map(|gid| ctx.at(gid));
        self.keep_fds = process.keep_fds.into_iter().map(|fd| ctx.at(fd)).collect();
        self.capabilities = process
            .capabilities
            .into_iter()
            .map(|name| ctx.at(name))
            .collect();
        Ok(())
    }

    /// Merges `later` (a file merged after this one: a later include, or the including file)
    /// on top of `self`.
    ///
    /// Merge rules:
    /// - lists append in include order: mounts, `env.keep`, `env.unset`, `process.keep_fds`
    ///   and `process.capabilities`;
    /// - `env.set` merges per variable, and the later file's value wins;
    /// - every scalar, and each `[namespaces]` key on its own, takes the later file's value
    ///   when that file sets it;
    /// - `[seccomp]` and `[landlock]` merge through `SeccompLayer::merge` and
    ///   `LandlockLayer::merge`, `[dbus]` through `DbusPolicy::merge`; a section only the later
    ///   file has is taken as it is. `arguments.bind` is a scalar.
    pub(super) fn merge(&mut self, later: Layer) {
        override_with(&mut self.description, later.description);
        override_with(&mut self.hostname, later.hostname);
        self.namespaces.merge(later.namespaces);
        self.mounts.extend(later.mounts);
        override_with(&mut self.env_clear, later.env_clear);
        self.env_keep.extend(later.env_keep);
        self.env_set.extend(later.env_set);
        self.env_unset.extend(later.env_unset);
        override_with(&mut self.cwd, later.cwd);
        override_with(&mut self.new_session, later.new_session);
        override_with(&mut self.die_with_parent, later.die_with_parent);
        override_with(&mut self.as_pid1, later.as_pid1);
        override_with(&mut self.uid, later.uid);
        override_with(&mut self.gid, later.gid);
        self.keep_fds.extend(later.keep_fds);
        self.capabilities.extend(later.capabilities);
        match (&mut self.seccomp, later.seccomp) {
            (Some(earlier), Some(later)) => earlier.merge(later),
            (earlier @ None, later) => *earlier = later,
            (Some(_), None) => {}
        }
        match (&mut self.landlock, later.landlock) {
            (Some(earlier), Some(later)) => earlier.merge(later),
            (earlier @ None, later) => *earlier = later,
            (Some(_), None) => {}
        }
        override_with(&mut self.argument_bind, later.argument_bind);
        match (&mut self.dbus, later.dbus) {
            (Some(earlier), Some(later)) => earlier.merge(later),
            (earlier @ None, later) => *earlier = later,
            (Some(_), None) => {}
        }
    }
}

impl NamespaceLayer {
    fn merge(&mut self, later: NamespaceLayer) {
        override_with(&mut self.user, later.user);
        override_with(&mut self.pid, later.pid);
        override_with(&mut self.mount, later.mount);
        override_with(&mut self.net, later.net);
        override_with(&mut self.ipc, later.ipc);
        override_with(&mut self.uts, later.uts);
        override_with(&mut self.cgroup, later.cgroup);
    }
}

fn override_with<T>(value: &mut Option<T>, later: Option<T>) {
    if later.is_some() {
        *value = later;
    }
}

fn resolve_namespaces(raw: Option<RawNamespaces>, ctx: &FileContext) -> NamespaceLayer {
    let Some(raw) = raw else {
        return NamespaceLayer::default();
    };
    let at = |value: Option<Spanned<bool>>| value.map(|value| ctx.at(value));
    NamespaceLayer {
        user: at(raw.user),
        pid: at(raw.pid),
        mount: at(raw.mount),
        net: at(raw.net),
        ipc: at(raw.ipc),
        uts: at(raw.uts),
        cgroup: at(raw.cgroup),
    }
}
