//! D-Bus access: the `[dbus]` profile section and the filtering proxy that enforces it.
//!
//! A profile never binds the session bus socket itself. With a `[dbus]` section, the launcher
//! starts `xdg-dbus-proxy` on the host before the sandbox, binds only the proxy's filtered
//! socket inside, and stops the proxy and removes its folder when the sandbox exits. The
//! section lists the well-known names the target may see, talk to and own, and call and
//! broadcast rules, in the syntax of xdg-dbus-proxy(1). Without a `[dbus]` section no bus
//! socket is bound.

pub(crate) mod proxy;

use std::ops::Range;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::profile::{FileContext, Location, ProfileError};

/// Path of the proxied socket inside the sandbox when the profile sets none: the standard
/// place of the session bus, which libdbus and GDBus try when `DBUS_SESSION_BUS_ADDRESS` is
/// unset.
pub(crate) const DEFAULT_SOCKET: &str = "${XDG_RUNTIME_DIR:-/run/user/${UID}}/bus";

/// The `[dbus]` table of one profile file: the session bus, reached only through
/// xdg-dbus-proxy, and the names the target may use on it. The table's presence turns the
/// proxy on; with no names listed the target talks only to the bus daemon itself. Needs
/// `namespaces.mount = true` and xdg-dbus-proxy installed on the host.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDbus {
    /// Path of the proxied socket inside the sandbox; DBUS_SESSION_BUS_ADDRESS points at it.
    /// Absent: `${XDG_RUNTIME_DIR:-/run/user/${UID}}/bus`.
    #[schemars(with = "Option<String>")]
    pub socket: Option<Spanned<String>>,

    /// Well-known names the target may see (list, query the owner of) but not call. A name
    /// may end in `.*` to match the names below it.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub see: Vec<Spanned<String>>,

    /// Well-known names whose methods the target may call and whose signals it receives.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub talk: Vec<Spanned<String>>,

    /// Well-known names the target may request (own) on the bus, such as its MPRIS name.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub own: Vec<Spanned<String>>,

    /// Method calls allowed on a name without `talk`, as `NAME=RULE` with RULE
    /// `[METHOD][@PATH]`: METHOD is `*`, an interface (optionally ending in `.*`) or a
    /// method; PATH an object path, optionally ending in `/*`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub call: Vec<Spanned<String>>,

    /// Broadcast signals the target receives from a name without `talk`, as `NAME=RULE` in
    /// the syntax of `call`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub broadcast: Vec<Spanned<String>>,
}

/// The checked D-Bus settings of one file, or of several merged; also the resolved policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DbusPolicy {
    /// Location of the first `[dbus]` table of the profile, for messages.
    pub origin: Option<Location>,
    /// Path of the proxied socket inside the sandbox. `None` in a layer whose files do not set
    /// it; the loader then fills in [`DEFAULT_SOCKET`].
    pub socket: Option<PathBuf>,
    /// Well-known names, each with an optional `.*` suffix that also matches names below it.
    pub see: Vec<String>,
    pub talk: Vec<String>,
    pub own: Vec<String>,
    /// `NAME=RULE` entries, RULE being `[METHOD][@PATH]` as xdg-dbus-proxy(1) defines it.
    pub call: Vec<String>,
    pub broadcast: Vec<String>,
}

impl DbusPolicy {
    /// Checks one file's `[dbus]` table, which starts at `span`; errors name the file, line
    /// and key.
    pub(crate) fn resolve(
        raw: RawDbus,
        span: Range<usize>,
        ctx: &FileContext,
    ) -> Result<DbusPolicy, ProfileError> {
        let socket = match &raw.socket {
            Some(socket) => {
                Some(ctx.expand_path(socket.get_ref(), Some(socket.span()), "dbus.socket")?)
            }
            None => None,
        };
        Ok(DbusPolicy {
            origin: Some(ctx.location(Some(span))),
            socket,
            see: check_list(raw.see, ctx, "dbus.see", check_name_pattern)?,
            talk: check_list(raw.talk, ctx, "dbus.talk", check_name_pattern)?,
            own: check_list(raw.own, ctx, "dbus.own", check_name_pattern)?,
            call: check_list(raw.call, ctx, "dbus.call", check_rule_entry)?,
            broadcast: check_list(raw.broadcast, ctx, "dbus.broadcast", check_rule_entry)?,
        })
    }

    /// Merges the settings of a later file on top of these: lists append, and the later
    /// file's `socket` wins when it sets one. The origin stays the earlier table's.
    pub(crate) fn merge(&mut self, later: DbusPolicy) {
        if later.socket.is_some() {
            self.socket = later.socket;
        }
        self.see.extend(later.see);
        self.talk.extend(later.talk);
        self.own.extend(later.own);
        self.call.extend(later.call);
        self.broadcast.extend(later.broadcast);
    }

    /// Builds the policy arguments of xdg-dbus-proxy: `--filter`, then one option per entry.
    pub(crate) fn proxy_arguments(&self) -> Vec<String> {
        let mut args = vec!["--filter".to_string()];
        let lists = [
            ("see", &self.see),
            ("talk", &self.talk),
            ("own", &self.own),
            ("call", &self.call),
            ("broadcast", &self.broadcast),
        ];
        for (option, entries) in lists {
            args.extend(entries.iter().map(|entry| format!("--{option}={entry}")));
        }
        args
    }
}

fn check_list(
    entries: Vec<Spanned<String>>,
    ctx: &FileContext,
    key: &str,
    check: fn(&str) -> Result<(), String>,
) -> Result<Vec<String>, ProfileError> {
    entries
        .into_iter()
        .map(|entry| {
            let span = entry.span();
            let value = entry.into_inner();
            check(&value).map_err(|message| ctx.error(Some(span), key, message))?;
            Ok(value)
        })
        .collect()
}

/// Maximum length of a D-Bus name, from the D-Bus specification.
const NAME_MAX: usize = 255;

/// Checks a well-known bus name, optionally ending in `.*`.
fn check_name_pattern(pattern: &str) -> Result<(), String> {
    let name = pattern.strip_suffix(".*").unwrap_or(pattern);
    let valid =
        name.len() <= NAME_MAX && dotted_elements(name, |b| b == b'-').is_some_and(|n| n >= 2);
    if !valid {
        return Err(format!(
            "invalid bus name {pattern:?}; expected a well-known name such as \
             org.freedesktop.Notifications, optionally ending in `.*`"
        ));
    }
    Ok(())
}

/// Checks a `NAME=RULE` entry of `call` or `broadcast`, RULE being `[METHOD][@PATH]`.
fn check_rule_entry(entry: &str) -> Result<(), String> {
    let invalid = |what: &str| {
        format!(
            "invalid rule {entry:?}: {what}; expected NAME=RULE with RULE as [METHOD][@PATH], \
             such as org.freedesktop.portal.*=*@/org/freedesktop/portal/*"
        )
    };
    let (name, rule) = entry.split_once('=').ok_or_else(|| invalid("no `=`"))?;
    check_name_pattern(name).map_err(|_| invalid("the name part is not a bus name"))?;
    let (method, path) = match rule.split_once('@') {
        Some((method, path)) => (method, Some(path)),
        None => (rule, None),
    };
    if method.is_empty() && path.is_none() {
        return Err(invalid("the rule is empty"));
    }
    if !method.is_empty() && method != "*" {
        let interface = method.strip_suffix(".*").unwrap_or(method);
        if dotted_elements(interface, |_| false).is_none_or(|count| count < 2) {
            return Err(invalid(
                "the method part is not `*`, an interface or a method",
            ));
        }
    }
    if let Some(path) = path {
        let prefix = path.strip_suffix("/*").unwrap_or(path);
        // `/*` strips to an empty prefix, and means every path.
        if path != "/*" && !is_object_path(prefix) {
            return Err(invalid("the path part is not an object path"));
        }
    }
    Ok(())
}

/// Counts the elements of a dotted D-Bus name whose characters are ASCII letters, digits,
/// `_` and those `extra` accepts, no element empty or starting with a digit. `None` when
/// the name breaks a rule.
fn dotted_elements(name: &str, extra: fn(u8) -> bool) -> Option<usize> {
    let mut count = 0;
    for element in name.split('.') {
        let bytes = element.as_bytes();
        let first_ok = bytes.first().is_some_and(|b| !b.is_ascii_digit());
        let all_ok = bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || extra(*b));
        if !first_ok || !all_ok {
            return None;
        }
        count += 1;
    }
    Some(count)
}

/// Checks a D-Bus object path: `/`, or `/`-separated elements of ASCII letters, digits and `_`.
fn is_object_path(path: &str) -> bool {
    if path == "/" {
        return true;
    }
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    rest.split('/').all(|element| {
        !element.is_empty()
            && element
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_patterns_accepted() {
        for name in [
            "org.freedesktop.Notifications",
            "org.mpris.MediaPlayer2.firefox.*",
            "org.example.with-dash",
        ] {
            assert_eq!(check_name_pattern(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn name_patterns_rejected() {
        for name in [
            "", "*", "org", "org.*", "org..x", "org.1x", "org.x y", ":1.5",
        ] {
            assert!(check_name_pattern(name).is_err(), "{name}");
        }
    }

    #[test]
    fn rule_entries_accepted() {
        for entry in [
            "org.freedesktop.portal.*=*",
            "org.freedesktop.portal.Desktop=org.freedesktop.portal.Settings.Read@/org/freedesktop/portal/desktop",
            "org.freedesktop.portal.*=@/org/freedesktop/portal/*",
            "org.example.App=org.example.Iface.*",
            "org.example.App=*@/*",
        ] {
            assert_eq!(check_rule_entry(entry), Ok(()), "{entry}");
        }
    }

    #[test]
    fn rule_entries_rejected() {
        for entry in [
            "org.example.App",
            "org.example.App=",
            "*=*",
            "org.example.App=Iface",
            "org.example.App=*@relative/path",
            "org.example.App=*@/a//b",
        ] {
            assert!(check_rule_entry(entry).is_err(), "{entry}");
        }
    }

    fn resolve_text(text: &str) -> Result<DbusPolicy, ProfileError> {
        let vars = crate::profile::Vars::from_pairs(&[("UID", "7")]);
        let ctx = FileContext::new(std::path::Path::new("p.toml"), text, &vars);
        #[derive(Deserialize)]
        struct File {
            dbus: RawDbus,
        }
        let file: File = toml::from_str(text).unwrap();
        DbusPolicy::resolve(file.dbus, 0..text.len(), &ctx)
    }

    #[test]
    fn resolve_expands_socket() {
        let policy = resolve_text("[dbus]\nsocket = \"/run/user/${UID}/other\"\n").unwrap();
        assert_eq!(policy.socket, Some(PathBuf::from("/run/user/7/other")));
    }

    #[test]
    fn resolve_error_names_line_and_key() {
        let error = resolve_text("[dbus]\nown = [\"org.ok.Name\", \"bad\"]\n").unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("p.toml:2:23: dbus.own: invalid bus name"),
            "{message}"
        );
    }

    #[test]
    fn merge_appends_lists_and_keeps_origin() {
        let mut earlier = resolve_text("[dbus]\ntalk = [\"org.a.B\"]\n").unwrap();
        let later = DbusPolicy {
            socket: Some(PathBuf::from("/s")),
            talk: vec!["org.c.D".into()],
            ..DbusPolicy::default()
        };
        let origin = earlier.origin.clone();
        earlier.merge(later);
        assert_eq!(earlier.talk, ["org.a.B", "org.c.D"]);
        assert_eq!(earlier.socket, Some(PathBuf::from("/s")));
        assert_eq!(earlier.origin, origin);
    }

    #[test]
    fn proxy_arguments_in_option_order() {
        let policy = DbusPolicy {
            origin: None,
            socket: None,
            see: vec!["org.a.B".into()],
            talk: vec!["org.c.D".into()],
            own: vec!["org.e.F.*".into()],
            call: vec!["org.g.H=*".into()],
            broadcast: vec!["org.i.J=*@/*".into()],
        };
        assert_eq!(
            policy.proxy_arguments(),
            [
                "--filter",
                "--see=org.a.B",
                "--talk=org.c.D",
                "--own=org.e.F.*",
                "--call=org.g.H=*",
                "--broadcast=org.i.J=*@/*",
            ]
        );
    }
}
