//! The resolved profile as a flat list of settings, each with the place it was written.
//!
//! The sections that the profile stage resolves (namespaces, mounts, env, process) are shown
//! with defaults applied and variables expanded. Any other section (`[seccomp]`, `[landlock]`
//! and sections added later) is listed as written, key by key, from the origins table, so it
//! appears here without code in this file.

use serde::Serialize;
use serde_json::{Value, json};

use crate::profile::{Mount, MountKind, Profile, Written};

/// Top-level keys that [`settings`] shows from the resolved profile.
const RESOLVED_KEYS: &[&str] = &[
    "description",
    "include",
    "hostname",
    "namespaces",
    "mount",
    "env",
    "process",
];

/// One setting of the resolved profile.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Setting {
    /// Dotted key, with `[INDEX]` for an item of an array of tables.
    pub key: String,
    pub value: Value,
    /// `FILE:LINE:COLUMN` where the value was written; `None` for a default.
    pub origin: Option<String>,
    /// False when the value is shown as written, without defaults or variable expansion.
    pub resolved: bool,
    /// The value as one line of text, for the text report.
    #[serde(skip)]
    pub text: String,
}

fn setting(key: impl Into<String>, value: Value, origin: Option<&Written>) -> Setting {
    let text = match &value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(Value::to_string).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    };
    Setting {
        key: key.into(),
        value,
        origin: origin.map(|written| written.at.to_string()),
        resolved: true,
        text,
    }
}

/// Lists every setting of `profile`: resolved sections first, in file order of the format,
/// then the other sections as written.
pub(crate) fn settings(profile: &Profile) -> Vec<Setting> {
    let origins = &profile.origins;
    let last = |key: &str| origins.get(key).last();
    let mut list = Vec::new();

    if let Some(description) = &profile.description {
        list.push(setting(
            "description",
            json!(description),
            last("description"),
        ));
    }
    for written in origins.get("include") {
        let name = written.text.clone().unwrap_or_default();
        let mut include = setting("include", json!(name.trim_matches('"')), Some(written));
        include.text = name;
        list.push(include);
    }
    if let Some(hostname) = &profile.hostname {
        list.push(setting("hostname", json!(hostname), last("hostname")));
    }
    push_namespaces(&mut list, profile);
    for (index, mount) in profile.mounts.iter().enumerate() {
        list.push(mount_setting(index, mount));
    }
    push_env(&mut list, profile);
    push_process(&mut list, profile);
    push_as_written(&mut list, profile);
    list
}

fn push_namespaces(list: &mut Vec<Setting>, profile: &Profile) {
    let ns = profile.namespaces;
    let table = [
        ("user", ns.user),
        ("pid", ns.pid),
        ("mount", ns.mount),
        ("net", ns.net),
        ("ipc", ns.ipc),
        ("uts", ns.uts),
        ("cgroup", ns.cgroup),
    ];
    for (name, value) in table {
        let key = format!("namespaces.{name}");
        let origin = profile.origins.get(&key).last();
        list.push(setting(key, json!(value), origin));
    }
}

fn mount_setting(index: usize, mount: &Mount) -> Setting {
    let dest = mount.dest.display().to_string();
    let (value, text) = match &mount.kind {
        MountKind::Bind { source, .. } => {
            let kind = mount.kind.type_name();
            let source = source.display().to_string();
            let optional = if mount.optional { " (optional)" } else { "" };
            let create = if mount.create {
                " (created if missing)"
            } else {
                ""
            };
            let value = json!({
                "type": kind, "source": source, "dest": dest, "optional": mount.optional,
                "create": mount.create
            });
            (
                value,
                format!("{kind} {source} on {dest}{optional}{create}"),
            )
        }
        MountKind::Tmpfs { size_bytes, mode } => {
            let mode_text = mode.map(|mode| format!("{mode:o}"));
            let value =
                json!({"type": "tmpfs", "dest": dest, "size": size_bytes, "mode": mode_text});
            let mut text = format!("tmpfs on {dest}");
            if let Some(size) = size_bytes {
                text.push_str(&format!(" size={size}"));
            }
            if let Some(mode) = &mode_text {
                text.push_str(&format!(" mode={mode}"));
            }
            (value, text)
        }
        MountKind::Proc => (
            json!({"type": "proc", "dest": dest}),
            format!("proc on {dest}"),
        ),
        MountKind::Dev => (
            json!({"type": "dev", "dest": dest}),
            format!("dev on {dest}"),
        ),
        MountKind::Dir { mode } => {
            let mode_text = mode.map(|mode| format!("{mode:o}"));
            let value = json!({"type": "dir", "dest": dest, "mode": mode_text});
            (value, format!("dir {dest}"))
        }
        MountKind::Symlink { target } => {
            let target = target.display().to_string();
            let value = json!({"type": "symlink", "dest": dest, "target": target});
            (value, format!("symlink {dest} -> {target}"))
        }
        MountKind::File { content, mode } => {
            let mode_text = mode.map(|mode| format!("{mode:o}"));
            let value = json!({
                "type": "file", "dest": dest, "bytes": content.len(), "mode": mode_text
            });
            (value, format!("file {dest} ({} bytes)", content.len()))
        }
    };
    Setting {
        key: format!("mount[{index}]"),
        value,
        origin: Some(mount.origin.to_string()),
        resolved: true,
        text,
    }
}

/// Pushes one setting per list item, each with the place it was written. The resolved list
/// and the written items correspond one to one because lists only append, once the entries
/// of empty lists (`[]`) are left out.
fn push_list(list: &mut Vec<Setting>, key: &str, values: Vec<Value>, written: &[Written]) {
    let items: Vec<&Written> = (written.iter())
        .filter(|item| item.text.as_deref() != Some("[]"))
        .collect();
    for (index, value) in values.into_iter().enumerate() {
        list.push(setting(key, value, items.get(index).copied()));
    }
}

fn push_env(list: &mut Vec<Setting>, profile: &Profile) {
    let origins = &profile.origins;
    let env = &profile.env;
    list.push(setting(
        "env.clear",
        json!(env.clear),
        origins.get("env.clear").last(),
    ));
    let keep = env.keep.iter().map(|name| json!(name)).collect();
    push_list(list, "env.keep", keep, origins.get("env.keep"));
    for (name, value) in &env.set {
        let key = format!("env.set.{name}");
        let origin = origins.get(&key).last();
        list.push(setting(key, json!(value), origin));
    }
    let unset = env.unset.iter().map(|name| json!(name)).collect();
    push_list(list, "env.unset", unset, origins.get("env.unset"));
}

fn push_process(list: &mut Vec<Setting>, profile: &Profile) {
    let origins = &profile.origins;
    let last = |key: &str| origins.get(key).last();
    let process = &profile.process;
    if let Some(cwd) = &process.cwd {
        list.push(setting("process.cwd", json!(cwd), last("process.cwd")));
    }

    let flags = [
        ("process.new_session", process.new_session),
        ("process.die_with_parent", process.die_with_parent),
        ("process.as_pid1", process.as_pid1),
    ];
    for (key, value) in flags {
        list.push(setting(key, json!(value), last(key)));
    }
    if let Some(uid) = process.uid {
        list.push(setting("process.uid", json!(uid), last("process.uid")));
    }
    if let Some(gid) = process.gid {
        list.push(setting("process.gid", json!(gid), last("process.gid")));
    }

    let fds = process.keep_fds.iter().map(|fd| json!(fd)).collect();
    push_list(
        list,
        "process.keep_fds",
        fds,
        origins.get("process.keep_fds"),
    );
    let capabilities = process
        .capabilities
        .iter()
        .map(|name| json!(name))
        .collect();
    let written = origins.get("process.capabilities");
    push_list(list, "process.capabilities", capabilities, written);
}

/// Pushes every key of the sections not resolved here, as written.
fn push_as_written(list: &mut Vec<Setting>, profile: &Profile) {
    for (key, written) in profile.origins.iter() {
        let top = key.split(['.', '[']).next().unwrap_or(key);
        if RESOLVED_KEYS.contains(&top) {
            continue;
        }
        for item in written {
            // An item of an array of tables has no text; its keys follow as `KEY[INDEX].NAME`.
            let Some(text) = &item.text else { continue };
            list.push(Setting {
                key: key.to_string(),
                value: toml_text_to_json(text),
                origin: Some(item.at.to_string()),
                resolved: false,
                text: text.clone(),
            });
        }
    }
}

/// Converts the TOML text of one value to JSON; text that does not parse stays a string.
fn toml_text_to_json(text: &str) -> Value {
    let parsed: Result<toml::Table, _> = toml::from_str(&format!("value = {text}"));
    match parsed.ok().and_then(|mut table| table.remove("value")) {
        Some(value) => serde_json::to_value(value).unwrap_or_else(|_| json!(text)),
        None => json!(text),
    }
}
