//! The target's environment, computed from the caller's and the profile's `[env]` table.

use std::ffi::{OsStr, OsString};

use crate::profile::EnvPolicy;

/// Variables that change how the dynamic loader or libc load code, dropped even without
/// `clear` unless the profile keeps them by name. Every `LD_*` name counts too.
const LOADER_VARIABLES: &[&str] = &["GCONV_PATH", "GETCONF_DIR", "HOSTALIASES", "MALLOC_TRACE"];

/// Applies `policy` to `caller`: with `clear`, only the `keep` names pass; without it, all
/// names pass except loader variables not listed in `keep`. Then `unset` removes and `set`
/// adds. The result is sorted by name.
pub(crate) fn compute_environment(
    policy: &EnvPolicy,
    caller: impl Iterator<Item = (OsString, OsString)>,
) -> Vec<(OsString, OsString)> {
    let kept = |name: &OsStr| policy.keep.iter().any(|keep| OsStr::new(keep) == name);
    let mut env: Vec<(OsString, OsString)> = caller
        .filter(|(name, _)| {
            if policy.clear {
                kept(name)
            } else {
                kept(name) || !is_loader_variable(name)
            }
        })
        .filter(|(name, _)| !policy.unset.iter().any(|unset| OsStr::new(unset) == name))
        .filter(|(name, _)| !policy.set.contains_key(&*name.to_string_lossy()))
        .collect();
    env.extend(
        policy
            .set
            .iter()
            .map(|(name, value)| (OsString::from(name), OsString::from(value))),
    );
    env.sort();
    env
}

fn is_loader_variable(name: &OsStr) -> bool {
    let bytes = name.as_encoded_bytes();
    bytes.starts_with(b"LD_") || LOADER_VARIABLES.iter().any(|v| v.as_bytes() == bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(pairs: &[(&str, &str)]) -> impl Iterator<Item = (OsString, OsString)> {
        pairs
            .iter()
            .map(|(n, v)| (OsString::from(n), OsString::from(v)))
            .collect::<Vec<_>>()
            .into_iter()
    }

    fn names(env: &[(OsString, OsString)]) -> Vec<String> {
        env.iter()
            .map(|(n, _)| n.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn environment_drops_loader_variables() {
        let policy = EnvPolicy::default();
        let env = compute_environment(
            &policy,
            caller(&[("LD_PRELOAD", "x.so"), ("LD_AUDIT", "a"), ("HOME", "/h")]),
        );
        assert_eq!(names(&env), ["HOME"]);
    }

    #[test]
    fn environment_keeps_named_loader_variable() {
        let policy = EnvPolicy {
            keep: vec!["LD_LIBRARY_PATH".into()],
            ..EnvPolicy::default()
        };
        let env = compute_environment(&policy, caller(&[("LD_LIBRARY_PATH", "/l")]));
        assert_eq!(names(&env), ["LD_LIBRARY_PATH"]);
    }

    #[test]
    fn environment_clear_keeps_only_listed() {
        let mut policy = EnvPolicy {
            clear: true,
            keep: vec!["TERM".into()],
            unset: vec![],
            ..EnvPolicy::default()
        };
        policy.set.insert("SANDBOX".into(), "1".into());
        let env = compute_environment(&policy, caller(&[("TERM", "xterm"), ("SECRET", "s")]));
        assert_eq!(names(&env), ["SANDBOX", "TERM"]);
    }

    #[test]
    fn environment_set_overrides_caller() {
        let mut policy = EnvPolicy::default();
        policy.set.insert("HOME".into(), "/home/sandbox".into());
        policy.unset.push("DISPLAY".into());
        let env = compute_environment(&policy, caller(&[("HOME", "/h"), ("DISPLAY", ":0")]));
        assert_eq!(
            env,
            vec![(OsString::from("HOME"), OsString::from("/home/sandbox"))]
        );
    }
}
