//! Tests of the profile stage: lookup, includes, merging, mount rules, validation and error
//! text. Pure logic: files are read from `tests/fixtures/` and temporary directories, and
//! nothing touches the kernel.

use std::fs;
use std::path::{Path, PathBuf};

use super::load::load_with;
use super::lookup::{self, BUILTIN_PROFILES, SearchPath};
use super::mount::{parse_mode, parse_size};
use super::raw::RawSize;
use super::*;

const TEST_BUILTINS: &[(&str, &str)] = &[
    ("base-builtin", "hostname = \"builtin\"\n"),
    (
        "child-builtin",
        "include = [\"base-builtin\"]\ndescription = \"child\"\n",
    ),
    ("relative-builtin", "include = [\"x/base.toml\"]\n"),
];

fn vars() -> Vars {
    Vars::from_pairs(&[
        ("HOME", "/home/u"),
        ("USER", "u"),
        ("UID", "1000"),
        ("GID", "1000"),
        ("PWD", "/work/project"),
        ("XDG_RUNTIME_DIR", "/run/user/1000"),
        ("TERM", "xterm"),
    ])
}

fn vars_with(name: &str, value: &str) -> Vars {
    let mut pairs = vec![
        ("HOME", "/home/u"),
        ("USER", "u"),
        ("UID", "1000"),
        ("GID", "1000"),
        ("PWD", "/work/project"),
    ];
    pairs.retain(|(key, _)| *key != name);
    pairs.push((name, value));
    Vars::from_pairs(&pairs)
}

fn search(dirs: &[&Path]) -> SearchPath {
    SearchPath {
        dirs: dirs.iter().map(|dir| dir.to_path_buf()).collect(),
        builtins: TEST_BUILTINS,
    }
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn load_fixture(name: &str) -> Result<Profile, ProfileError> {
    load_with(&fixture(name), &vars(), &search(&[]))
}

/// Writes `text` to `p.toml` in a new temporary directory and loads it.
fn load_text_with(text: &str, vars: &Vars) -> Result<Profile, ProfileError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    fs::write(&path, text).unwrap();
    load_with(path.to_str().unwrap(), vars, &search(&[]))
}

fn load_text(text: &str) -> Result<Profile, ProfileError> {
    load_text_with(text, &vars())
}

/// Loads `text` expecting an error, and returns the message after the `…/p.toml:` prefix.
fn error_text(text: &str) -> String {
    let err = load_text(text).expect_err("the profile should be rejected");
    let message = err.to_string();
    match message.split_once("p.toml:") {
        Some((_, rest)) => rest.to_string(),
        None => message,
    }
}

fn dests(profile: &Profile) -> Vec<&str> {
    profile
        .mounts
        .iter()
        .map(|mount| mount.dest.to_str().unwrap())
        .collect()
}

// Lookup.

#[test]
fn lookup_first_directory_wins() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    fs::write(first.path().join("x.toml"), "hostname = \"first\"\n").unwrap();
    fs::write(second.path().join("x.toml"), "hostname = \"second\"\n").unwrap();
    let profile = load_with("x", &vars(), &search(&[first.path(), second.path()])).unwrap();
    assert_eq!(profile.hostname.as_deref(), Some("first"));
    assert_eq!(profile.source, first.path().join("x.toml"));
}

#[test]
fn lookup_later_directory_when_first_lacks_it() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    fs::write(second.path().join("x.toml"), "hostname = \"second\"\n").unwrap();
    let profile = load_with("x", &vars(), &search(&[first.path(), second.path()])).unwrap();
    assert_eq!(profile.hostname.as_deref(), Some("second"));
}

#[test]
fn lookup_directory_overrides_builtin() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("base-builtin.toml"),
        "hostname = \"file\"\n",
    )
    .unwrap();
    let profile = load_with("base-builtin", &vars(), &search(&[dir.path()])).unwrap();
    assert_eq!(profile.hostname.as_deref(), Some("file"));
}

#[test]
fn include_builtin_prefix_skips_directories() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("base-builtin.toml"),
        "include = [\"builtin:base-builtin\"]\ndescription = \"file\"\n",
    )
    .unwrap();
    let profile = load_with("base-builtin", &vars(), &search(&[dir.path()])).unwrap();
    assert_eq!(profile.hostname.as_deref(), Some("builtin"));
    assert_eq!(profile.description.as_deref(), Some("file"));
}

#[test]
fn lookup_builtin_last() {
    let dir = tempfile::tempdir().unwrap();
    let profile = load_with("base-builtin", &vars(), &search(&[dir.path()])).unwrap();
    assert_eq!(profile.hostname.as_deref(), Some("builtin"));
    assert_eq!(profile.source, PathBuf::from("builtin:base-builtin"));
}

#[test]
fn lookup_not_found_lists_every_place() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_with("nope", &vars(), &search(&[dir.path()])).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("profile \"nope\" not found; searched "),
        "{message}"
    );
    let candidate = dir.path().join("nope.toml");
    assert!(
        message.contains(&candidate.display().to_string()),
        "{message}"
    );
    assert!(
        message.contains("the built-in profiles (base-builtin, child-builtin"),
        "{message}"
    );
}

#[test]
fn lookup_empty_name_fails() {
    let err = load_with("", &vars(), &search(&[])).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn lookup_path_is_not_searched() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("x.toml"), "hostname = \"x\"\n").unwrap();
    // A name ending in `.toml` is a path relative to the working directory, not a lookup.
    let err = load_with("x.toml", &vars(), &search(&[dir.path()])).unwrap_err();
    assert!(matches!(err, ProfileError::Read { .. }), "{err}");
    assert!(
        err.to_string().starts_with("x.toml: cannot read profile: "),
        "{err}"
    );
}

#[test]
fn standard_search_path_order() {
    let search = SearchPath::standard(&vars_with("XDG_CONFIG_HOME", "/cfg"));
    let expected = [
        "/cfg/sandbox/profiles",
        "/etc/sandbox/profiles",
        "/usr/share/sandbox/profiles",
    ];
    assert_eq!(search.dirs, expected.map(PathBuf::from));
    assert_eq!(search.builtins, BUILTIN_PROFILES);
}

#[test]
fn standard_search_path_defaults_to_home_config() {
    let search = SearchPath::standard(&vars());
    assert_eq!(
        search.dirs[0],
        PathBuf::from("/home/u/.config/sandbox/profiles")
    );
    // The XDG base directory specification requires ignoring a relative value.
    let search = SearchPath::standard(&vars_with("XDG_CONFIG_HOME", "cfg"));
    assert_eq!(
        search.dirs[0],
        PathBuf::from("/home/u/.config/sandbox/profiles")
    );
}

#[test]
fn load_finds_profile_in_xdg_config_home() {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path().join("sandbox/profiles");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("loader-test-xdg.toml"), "hostname = \"xdg\"\n").unwrap();
    let vars = vars_with("XDG_CONFIG_HOME", config.path().to_str().unwrap());
    let profile = load("loader-test-xdg", &vars).unwrap();
    assert_eq!(profile.hostname.as_deref(), Some("xdg"));
    assert_eq!(profile.source, dir.join("loader-test-xdg.toml"));
}

#[test]
fn builtin_table_has_every_profiles_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            let name = path.file_stem().unwrap().to_str().unwrap();
            let text = fs::read_to_string(&path).unwrap();
            let builtin = BUILTIN_PROFILES
                .iter()
                .find(|(builtin, _)| *builtin == name);
            assert_eq!(
                builtin.map(|(_, text)| *text),
                Some(text.as_str()),
                "{name}"
            );
        }
    }
}

#[test]
fn builtin_parse_texts_keep_values_and_places() {
    let vars = vars();
    for (name, text) in BUILTIN_PROFILES {
        let stripped = lookup::parse_text(text);
        assert!(
            !std::ptr::eq(stripped, *text),
            "{name}: no copy without comments"
        );
        assert_eq!(stripped.lines().count(), text.lines().count(), "{name}");

        // Origins list every value with its text, line and column.
        let path = Path::new(name);
        let mut expected = Origins::default();
        expected.record_file(&FileContext::new(path, text, &vars));
        let mut actual = Origins::default();
        actual.record_file(&FileContext::new(path, stripped, &vars));
        let expected: Vec<_> = expected.iter().collect();
        let actual: Vec<_> = actual.iter().collect();
        assert_eq!(actual, expected, "{name}");
    }
}

#[test]
fn parse_text_of_other_text_is_unchanged() {
    let (_, text) = TEST_BUILTINS[0];
    assert!(std::ptr::eq(lookup::parse_text(text), text));
}

// The built-in default profile.

fn load_default(vars: &Vars) -> Profile {
    let search = SearchPath {
        dirs: Vec::new(),
        builtins: BUILTIN_PROFILES,
    };
    load_with("default", vars, &search).unwrap()
}

#[test]
fn default_profile_contents() {
    let profile = load_default(&vars());
    assert_eq!(profile.source, PathBuf::from("builtin:default"));
    let expected = [
        "/usr",
        "/bin",
        "/sbin",
        "/lib",
        "/lib64",
        "/etc",
        "/proc",
        "/dev",
        "/tmp",
        "/home/u",
        "/work/project",
    ];
    assert_eq!(dests(&profile), expected);
    let all_new = Namespaces {
        user: true,
        pid: true,
        mount: true,
        net: true,
        ipc: true,
        uts: true,
        cgroup: true,
    };
    assert_eq!(profile.namespaces, all_new);
    assert!(!profile.env.clear);
    assert!(profile.process.new_session);
    assert!(profile.process.die_with_parent);
    let work = profile.mounts.last().unwrap();
    let rw_bind = MountKind::Bind {
        source: PathBuf::from("/work/project"),
        read_only: false,
        devices: false,
    };
    assert_eq!(work.kind, rw_bind);
    assert!(profile.mounts[4].optional, "/lib64 is optional");
}

#[test]
fn default_profile_skips_shadowing_working_directory() {
    let cases = [
        ("/", "/"),
        ("/usr/lib", "/usr/lib"),
        ("/home/u", "/home/u"),
        ("/tmp", "/tmp"),
        ("/home", "/home"),
        ("/proc/self", "/proc/self"),
    ];
    for (pwd, skipped) in cases {
        let profile = load_default(&vars_with("PWD", pwd));
        let binds = profile
            .mounts
            .iter()
            .filter(|mount| mount.dest == Path::new(skipped))
            .filter(|mount| {
                matches!(
                    mount.kind,
                    MountKind::Bind {
                        read_only: false,
                        ..
                    }
                )
            });
        assert_eq!(binds.count(), 0, "PWD={pwd}");
        assert_eq!(profile.mounts.len(), 10, "PWD={pwd}");
    }
}

#[test]
fn default_profile_keeps_working_directory_inside_tmpfs() {
    for pwd in ["/home/u/src", "/tmp/build", "/srv/data"] {
        let profile = load_default(&vars_with("PWD", pwd));
        assert_eq!(
            profile.mounts.last().unwrap().dest,
            PathBuf::from(pwd),
            "PWD={pwd}"
        );
    }
}

#[test]
fn default_profile_skips_home_at_root() {
    let profile = load_default(&vars_with("HOME", "/"));
    assert!(!dests(&profile).contains(&"/"), "{:?}", dests(&profile));
    assert_eq!(dests(&profile).last(), Some(&"/work/project"));
}

// The untrusted-cli fixture.

#[test]
fn untrusted_cli_fixture_loads() {
    let profile = load_fixture("untrusted-cli.toml").unwrap();
    assert_eq!(
        profile.description.as_deref(),
        Some("Untrusted command-line tool")
    );
    assert_eq!(profile.hostname.as_deref(), Some("sandbox"));
    let expected = [
        "/usr",
        "/bin",
        "/lib",
        "/lib64",
        "/etc",
        "/proc",
        "/dev",
        "/tmp",
        "/home/u",
        "/work/project",
        "/etc/hostname",
        "/tmp/usr-link",
    ];
    assert_eq!(dests(&profile), expected);
    let tmp = &profile.mounts[7].kind;
    let expected_tmp = MountKind::Tmpfs {
        size_bytes: Some(64 << 20),
        mode: Some(0o1777),
    };
    assert_eq!(tmp, &expected_tmp);
    let file = MountKind::File {
        content: b"sandbox\n".to_vec(),
        mode: None,
    };
    assert_eq!(profile.mounts[10].kind, file);
    let symlink = MountKind::Symlink {
        target: PathBuf::from("/usr"),
    };
    assert_eq!(profile.mounts[11].kind, symlink);
    assert!(profile.mounts[3].optional);
    assert!(!profile.mounts[0].optional);
    assert!(profile.env.clear);
    assert_eq!(profile.env.keep, ["TERM", "LANG", "PATH", "HOME", "USER"]);
    assert_eq!(
        profile.env.set.get("SANDBOX").map(String::as_str),
        Some("1")
    );
    assert_eq!(profile.process.cwd, Some(PathBuf::from("/work/project")));
    assert!(profile.landlock.is_none());
}

#[test]
fn untrusted_cli_mount_origins() {
    let profile = load_fixture("untrusted-cli.toml").unwrap();
    let origin = &profile.mounts[0].origin;
    assert_eq!(*origin.file, *Path::new(&fixture("untrusted-cli.toml")));
    assert_eq!((origin.line, origin.column), (14, 1));
}

// Includes.

#[test]
fn include_merge_order() {
    let profile = load_fixture("include/child.toml").unwrap();
    // base.toml first, then parts/extra.toml (whose include of base.toml is already merged),
    // then child.toml itself.
    assert_eq!(dests(&profile), ["/usr", "/etc", "/tmp"]);
    assert_eq!(profile.env.keep, ["PATH", "HOME"]);
    assert_eq!(profile.process.keep_fds, [3, 4]);
    assert_eq!(profile.process.capabilities, ["CAP_NET_RAW"]);
}

#[test]
fn include_later_file_wins() {
    let profile = load_fixture("include/child.toml").unwrap();
    assert_eq!(profile.hostname.as_deref(), Some("child"));
    assert!(
        profile.namespaces.net,
        "child.toml sets net = true over base's false"
    );
    assert!(profile.env.clear, "only base.toml sets clear");
    assert_eq!(profile.env.set.get("A").map(String::as_str), Some("child"));
    assert_eq!(profile.env.set.get("B").map(String::as_str), Some("base"));
}

#[test]
fn include_relative_to_including_file() {
    // The tests run in the crate root, where `parts/extra.toml` and `../base.toml` do not
    // exist, so a load that succeeds resolved them against the including file.
    assert!(!Path::new("parts/extra.toml").exists());
    let profile = load_fixture("include/child.toml").unwrap();
    assert!(
        dests(&profile).contains(&"/etc"),
        "parts/extra.toml was merged"
    );
}

#[test]
fn include_of_builtin_by_name() {
    let profile = load_with("child-builtin", &vars(), &search(&[])).unwrap();
    assert_eq!(profile.hostname.as_deref(), Some("builtin"));
    assert_eq!(profile.description.as_deref(), Some("child"));
}

#[test]
fn include_relative_path_in_builtin_fails() {
    let err = load_with("relative-builtin", &vars(), &search(&[])).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("builtin:relative-builtin:1:12: include: "),
        "{message}"
    );
    assert!(
        message.contains("relative path \"x/base.toml\""),
        "{message}"
    );
}

#[test]
fn include_cycle_prints_chain() {
    let err = load_fixture("cycle/a.toml").unwrap_err();
    let a = fixture("cycle/a.toml");
    let b = fixture("cycle/b.toml");
    let expected = format!("{b}:2:12: include cycle: {a} -> {b} -> {a}");
    assert_eq!(err.to_string(), expected);
}

#[test]
fn include_of_itself_is_cycle() {
    let err = error_text("include = [\"p.toml\"]\n");
    assert!(err.starts_with("1:12: include cycle: "), "{err}");
    let (_, chain) = err.split_once("include cycle: ").unwrap();
    let files: Vec<&str> = chain.split(" -> ").collect();
    assert_eq!(files.len(), 2, "{err}");
    assert_eq!(files[0], files[1], "{err}");
    assert!(files[0].ends_with("/p.toml"), "{err}");
}

#[test]
fn include_missing_names_including_file() {
    let err = load_fixture("missing-include.toml").unwrap_err();
    let message = err.to_string();
    let prefix = format!("{}:2:12: include: ", fixture("missing-include.toml"));
    assert!(message.starts_with(&prefix), "{message}");
    assert!(
        message.contains("does-not-exist.toml not found"),
        "{message}"
    );
}

#[test]
fn include_missing_name_lists_places() {
    let err = error_text("include = [\"no-such-profile\"]\n");
    assert!(
        err.starts_with("1:12: include: profile \"no-such-profile\" not found"),
        "{err}"
    );
    assert!(err.contains("the built-in profiles"), "{err}");
}

#[test]
fn include_unknown_key_in_included_file() {
    let err = load_fixture("unknown-in-include/main.toml").unwrap_err();
    let expected = format!(
        "{}:2:1: unknown key `hostnme`; did you mean `hostname`?",
        fixture("unknown-in-include/typo.toml")
    );
    assert_eq!(err.to_string(), expected);
}

// Parse errors.

#[test]
fn unknown_key_suggestion() {
    let err = error_text("description = \"x\"\n\nhostnme = \"box\"\n");
    assert_eq!(err, "3:1: unknown key `hostnme`; did you mean `hostname`?");
}

#[test]
fn unknown_key_in_tables() {
    let err = error_text("[namespaces]\nusr = true\n");
    assert_eq!(err, "2:1: unknown key `usr`; did you mean `user`?");
    let err = error_text("[[mount]]\ntype = \"bind\"\nsorce = \"/usr\"\n");
    assert_eq!(err, "3:1: unknown key `sorce`; did you mean `source`?");
    let err = error_text("[process]\nnew_sesion = true\n");
    assert_eq!(
        err,
        "2:1: unknown key `new_sesion`; did you mean `new_session`?"
    );
}

#[test]
fn unknown_key_far_from_known_lists_keys() {
    let err = error_text("[env]\nzzz = 1\n");
    assert_eq!(
        err,
        "2:1: unknown key `zzz`; expected one of clear, keep, set, unset"
    );
}

#[test]
fn type_error_names_key() {
    let err = error_text("[namespaces]\nuser = \"yes\"\n");
    assert!(
        err.starts_with("2:8: namespaces.user: invalid type"),
        "{err}"
    );
    let err = error_text("hostname = 3\n");
    assert!(err.starts_with("1:12: hostname: invalid type"), "{err}");
}

#[test]
fn duplicate_key_located() {
    let err = load_fixture("duplicate-key.toml").unwrap_err();
    let expected = format!(
        "{}:2:1: hostname: duplicate key",
        fixture("duplicate-key.toml")
    );
    assert_eq!(err.to_string(), expected);
}

#[test]
fn syntax_error_located() {
    let err = error_text("hostname = \"a\"\n[namespaces\n");
    assert!(err.starts_with("2:"), "{err}");
}

#[test]
fn mount_type_unknown() {
    let err = error_text("[[mount]]\ntype = \"bnd\"\n");
    assert!(
        err.starts_with("2:8: mount.type: unknown variant `bnd`"),
        "{err}"
    );
}

#[test]
fn mount_type_missing() {
    let err = error_text("[[mount]]\ndest = \"/x\"\n");
    assert!(err.contains("missing field `type`"), "{err}");
}

// Mount rules.

#[test]
fn mount_required_keys() {
    let cases = [
        (
            "bind",
            "",
            "mount.source: missing; a `bind` mount needs `source`",
        ),
        (
            "ro-bind",
            "",
            "mount.source: missing; a `ro-bind` mount needs `source`",
        ),
        (
            "dev-bind",
            "",
            "mount.source: missing; a `dev-bind` mount needs `source`",
        ),
        (
            "tmpfs",
            "",
            "mount.dest: missing; a `tmpfs` mount needs `dest`",
        ),
        (
            "proc",
            "",
            "mount.dest: missing; a `proc` mount needs `dest`",
        ),
        ("dev", "", "mount.dest: missing; a `dev` mount needs `dest`"),
        ("dir", "", "mount.dest: missing; a `dir` mount needs `dest`"),
        (
            "symlink",
            "dest = \"/l\"\n",
            "mount.target: missing; a `symlink` mount needs `target`",
        ),
        (
            "symlink",
            "target = \"x\"\n",
            "mount.dest: missing; a `symlink` mount needs `dest`",
        ),
        (
            "file",
            "dest = \"/f\"\n",
            "mount.content: missing; a `file` mount needs `content`",
        ),
    ];
    for (kind, keys, expected) in cases {
        let err = error_text(&format!("[[mount]]\ntype = \"{kind}\"\n{keys}"));
        assert_eq!(err, format!("1:1: {expected}"), "{kind}");
    }
}

#[test]
fn mount_key_not_accepted_by_type() {
    let cases = [
        (
            "bind",
            "source = \"/a\"\nsize = \"1M\"\n",
            "mount.size",
            "bind",
        ),
        (
            "ro-bind",
            "source = \"/a\"\nmode = \"755\"\n",
            "mount.mode",
            "ro-bind",
        ),
        (
            "tmpfs",
            "dest = \"/a\"\noptional = true\n",
            "mount.optional",
            "tmpfs",
        ),
        (
            "tmpfs",
            "dest = \"/a\"\nsource = \"/b\"\n",
            "mount.source",
            "tmpfs",
        ),
        (
            "proc",
            "dest = \"/proc\"\nmode = \"755\"\n",
            "mount.mode",
            "proc",
        ),
        (
            "dev",
            "dest = \"/dev\"\nsize = \"1M\"\n",
            "mount.size",
            "dev",
        ),
        (
            "dir",
            "dest = \"/d\"\ncontent = \"x\"\n",
            "mount.content",
            "dir",
        ),
        (
            "symlink",
            "dest = \"/l\"\ntarget = \"x\"\nmode = \"7\"\n",
            "mount.mode",
            "symlink",
        ),
        (
            "file",
            "dest = \"/f\"\ncontent = \"\"\ntarget = \"x\"\n",
            "mount.target",
            "file",
        ),
        (
            "proc",
            "dest = \"/p\"\nskip_if_shadowing = true\n",
            "mount.skip_if_shadowing",
            "proc",
        ),
    ];
    for (kind, keys, key, type_name) in cases {
        let err = error_text(&format!("[[mount]]\ntype = \"{kind}\"\n{keys}"));
        let expected = format!("{key}: not accepted by a `{type_name}` mount, which takes ");
        assert!(err.contains(&expected), "{kind}: {err}");
        assert!(
            !err.starts_with("1:"),
            "the key's line, not the table's: {kind}: {err}"
        );
    }
}

#[test]
fn mount_optional_on_bind_types() {
    for kind in ["bind", "ro-bind", "dev-bind"] {
        let text = format!("[[mount]]\ntype = \"{kind}\"\nsource = \"/opt/x\"\noptional = true\n");
        let profile = load_text(&text).unwrap();
        assert!(profile.mounts[0].optional, "{kind}");
    }
}

#[test]
fn mount_bind_kinds() {
    let profile = load_text(
        "[[mount]]\ntype = \"bind\"\nsource = \"/a\"\ndest = \"/b\"\n\
         [[mount]]\ntype = \"ro-bind\"\nsource = \"/c\"\n\
         [[mount]]\ntype = \"dev-bind\"\nsource = \"/dev/dri\"\n",
    )
    .unwrap();
    let bind = |source: &str, read_only, devices| MountKind::Bind {
        source: PathBuf::from(source),
        read_only,
        devices,
    };
    assert_eq!(profile.mounts[0].kind, bind("/a", false, false));
    assert_eq!(profile.mounts[0].dest, PathBuf::from("/b"));
    assert_eq!(profile.mounts[1].kind, bind("/c", true, false));
    assert_eq!(
        profile.mounts[1].dest,
        PathBuf::from("/c"),
        "dest defaults to source"
    );
    assert_eq!(profile.mounts[2].kind, bind("/dev/dri", false, true));
}

#[test]
fn mount_dir_and_file_modes() {
    let profile = load_text(
        "[[mount]]\ntype = \"dir\"\ndest = \"/d\"\nmode = \"0700\"\n\
         [[mount]]\ntype = \"file\"\ndest = \"/f\"\ncontent = \"x\"\nmode = \"644\"\n\
         [[mount]]\ntype = \"dir\"\ndest = \"/e\"\n",
    )
    .unwrap();
    assert_eq!(profile.mounts[0].kind, MountKind::Dir { mode: Some(0o700) });
    let file = MountKind::File {
        content: b"x".to_vec(),
        mode: Some(0o644),
    };
    assert_eq!(profile.mounts[1].kind, file);
    assert_eq!(profile.mounts[2].kind, MountKind::Dir { mode: None });
}

#[test]
fn mount_paths_expand_variables() {
    let profile = load_text(
        "[[mount]]\ntype = \"ro-bind\"\nsource = \"~/.config/app\"\n\
         [[mount]]\ntype = \"bind\"\nsource = \"${XDG_RUNTIME_DIR}/bus\"\n\
         [[mount]]\ntype = \"dir\"\ndest = \"/u/${USER}/${UID}-${GID}\"\n\
         [[mount]]\ntype = \"ro-bind\"\nsource = \"${TERM}\"\ndest = \"/opt/${TERM}\"\n",
    );
    // TERM is "xterm": a relative path after expansion.
    let err = profile.unwrap_err().to_string();
    assert!(
        err.contains("mount.source: path \"xterm\" is not absolute"),
        "{err}"
    );

    let profile = load_text(
        "[[mount]]\ntype = \"ro-bind\"\nsource = \"~/.config/app\"\n\
         [[mount]]\ntype = \"bind\"\nsource = \"${XDG_RUNTIME_DIR}/bus\"\n\
         [[mount]]\ntype = \"dir\"\ndest = \"/u/${USER}/${UID}-${GID}\"\n\
         [[mount]]\ntype = \"ro-bind\"\nsource = \"/opt/x\"\ndest = \"/opt/${TERM}\"\n",
    )
    .unwrap();
    let expected = [
        "/home/u/.config/app",
        "/run/user/1000/bus",
        "/u/u/1000-1000",
        "/opt/xterm",
    ];
    assert_eq!(dests(&profile), expected);
}

#[test]
fn mount_undefined_variable_named() {
    let err = error_text("[[mount]]\ntype = \"tmpfs\"\ndest = \"/x/${NOPE}\"\n");
    assert_eq!(err, "3:8: mount.dest: variable NOPE is not set");
}

#[test]
fn mount_relative_path_fails() {
    let err = error_text("[[mount]]\ntype = \"tmpfs\"\ndest = \"tmp\"\n");
    assert_eq!(
        err,
        "3:8: mount.dest: path \"tmp\" is not absolute after expansion"
    );
}

#[test]
fn mount_paths_normalized() {
    let text = "[[mount]]\ntype = \"ro-bind\"\nsource = \"/usr/./lib//\"\ndest = \"/x/./y/\"\n";
    let profile = load_text(text).unwrap();
    assert_eq!(profile.mounts[0].dest, PathBuf::from("/x/y"));
    let source = PathBuf::from("/usr/lib");
    assert!(matches!(&profile.mounts[0].kind, MountKind::Bind { source: s, .. } if *s == source));
}

#[test]
fn mount_dest_parent_component_fails() {
    let err = error_text("[[mount]]\ntype = \"tmpfs\"\ndest = \"/a/../etc\"\n");
    assert_eq!(
        err,
        "3:8: mount.dest: \"/a/../etc\" contains a `..` component"
    );
    let err = error_text("[[mount]]\ntype = \"ro-bind\"\nsource = \"/a/../etc\"\n");
    let expected = "3:10: mount.source: \"/a/../etc\" contains a `..` component, and without \
                    `dest` it is also the dest";
    assert_eq!(err, expected);
    let text = "[[mount]]\ntype = \"ro-bind\"\nsource = \"/a/../etc\"\ndest = \"/etc\"\n";
    assert!(
        load_text(text).is_ok(),
        "`..` is allowed in a source with its own dest"
    );
}

#[test]
fn symlink_target_relative_and_expanded() {
    let profile = load_text(
        "[[mount]]\ntype = \"symlink\"\ndest = \"/l\"\ntarget = \"../lib\"\n\
         [[mount]]\ntype = \"symlink\"\ndest = \"/m\"\ntarget = \"${HOME}/x\"\n",
    )
    .unwrap();
    let target = |path: &str| MountKind::Symlink {
        target: PathBuf::from(path),
    };
    assert_eq!(profile.mounts[0].kind, target("../lib"));
    assert_eq!(profile.mounts[1].kind, target("/home/u/x"));
    let err = error_text("[[mount]]\ntype = \"symlink\"\ndest = \"/l\"\ntarget = \"\"\n");
    assert_eq!(err, "4:10: mount.target: empty symlink target");
}

#[test]
fn tmpfs_size_as_integer() {
    let profile = load_text("[[mount]]\ntype = \"tmpfs\"\ndest = \"/t\"\nsize = 4096\n").unwrap();
    let tmpfs = MountKind::Tmpfs {
        size_bytes: Some(4096),
        mode: None,
    };
    assert_eq!(profile.mounts[0].kind, tmpfs);
}

#[test]
fn tmpfs_size_error_located() {
    let err = error_text("[[mount]]\ntype = \"tmpfs\"\ndest = \"/t\"\nsize = \"64X\"\n");
    assert!(
        err.starts_with("4:8: mount.size: invalid size \"64X\""),
        "{err}"
    );
}

#[test]
fn size_parsing() {
    let text = |text: &str| parse_size(&RawSize::Text(text.to_string()));
    assert_eq!(text("1"), Ok(1));
    assert_eq!(text("1024"), Ok(1024));
    assert_eq!(text("64K"), Ok(64 << 10));
    assert_eq!(text("64k"), Ok(64 << 10));
    assert_eq!(text("64M"), Ok(64 << 20));
    assert_eq!(text("2G"), Ok(2 << 30));
    assert_eq!(parse_size(&RawSize::Bytes(7)), Ok(7));
    for invalid in ["", "M", "-1", "1.5M", "64MB", " 64M", "1T", "0x10"] {
        assert!(text(invalid).is_err(), "{invalid:?}");
    }
    assert!(text("0").unwrap_err().contains("size 0"));
    assert!(parse_size(&RawSize::Bytes(0)).is_err());
    assert!(text("99999999999999999999G").is_err());
    assert!(text("17179869184G").unwrap_err().contains("too large"));
}

#[test]
fn mode_parsing() {
    assert_eq!(parse_mode("1777"), Ok(0o1777));
    assert_eq!(parse_mode("0755"), Ok(0o755));
    assert_eq!(parse_mode("700"), Ok(0o700));
    assert_eq!(parse_mode("0"), Ok(0));
    assert_eq!(parse_mode("0o644"), Ok(0o644));
    for invalid in ["", "8", "0778", "17777", "rwx", "-1", "+7", "0o"] {
        assert!(parse_mode(invalid).is_err(), "{invalid:?}");
    }
}

#[test]
fn mode_integer_is_type_error() {
    let err = error_text("[[mount]]\ntype = \"dir\"\ndest = \"/d\"\nmode = 755\n");
    assert!(err.starts_with("4:8: mount.mode: invalid type"), "{err}");
}

// Cross-field rules.

#[test]
fn hostname_needs_uts() {
    let err = error_text("hostname = \"box\"\n[namespaces]\nuts = false\n");
    assert_eq!(
        err.split_once(", but").unwrap().0,
        "1:12: hostname: needs `namespaces.uts = true`"
    );
    assert!(err.ends_with("p.toml:3:7 sets it to false"), "{err}");
}

#[test]
fn hostname_length_checked() {
    let long = "h".repeat(65);
    let err = error_text(&format!("hostname = \"{long}\"\n"));
    assert!(err.starts_with("1:12: hostname: invalid hostname"), "{err}");
    let err = error_text("hostname = \"\"\n");
    assert!(err.starts_with("1:12: hostname: invalid hostname"), "{err}");
    assert!(load_text(&format!("hostname = \"{}\"\n", "h".repeat(64))).is_ok());
}

#[test]
fn proc_needs_pid_namespace() {
    let err =
        error_text("[namespaces]\npid = false\n[[mount]]\ntype = \"proc\"\ndest = \"/proc\"\n");
    assert!(
        err.starts_with("3:1: mount: needs `namespaces.pid = true`"),
        "{err}"
    );
}

#[test]
fn mounts_need_mount_namespace() {
    let err = error_text("[namespaces]\nmount = false\n[[mount]]\ntype = \"dir\"\ndest = \"/d\"\n");
    assert!(
        err.starts_with("3:1: mount: needs `namespaces.mount = true`"),
        "{err}"
    );
    assert!(load_text("[namespaces]\nmount = false\n").is_ok());
}

#[test]
fn duplicate_dest_names_both() {
    let err = load_fixture("duplicate-dest.toml").unwrap_err();
    let path = fixture("duplicate-dest.toml");
    let expected =
        format!("{path}:5:1: mount.dest: dest /tmp is also the dest of the mount at {path}:1:1");
    assert_eq!(err.to_string(), expected);
}

#[test]
fn mount_hiding_earlier_fails() {
    let err = error_text(
        "[[mount]]\ntype = \"dir\"\ndest = \"/tmp/x\"\n[[mount]]\ntype = \"tmpfs\"\ndest = \"/tmp\"\n",
    );
    assert!(err.starts_with("4:1: mount.dest: dest /tmp would hide the earlier mount at /tmp/x"));
}

#[test]
fn mount_inside_file_fails() {
    let err = error_text(
        "[[mount]]\ntype = \"file\"\ndest = \"/f\"\ncontent = \"\"\n\
         [[mount]]\ntype = \"dir\"\ndest = \"/f/x\"\n",
    );
    assert!(
        err.starts_with("5:1: mount.dest: dest /f/x lies inside the file or symlink"),
        "{err}"
    );
}

#[test]
fn tmpfs_at_root_fails() {
    let err = error_text("[[mount]]\ntype = \"tmpfs\"\ndest = \"/\"\n");
    assert!(
        err.starts_with("1:1: mount.dest: dest `/` takes only a bind"),
        "{err}"
    );
}

#[test]
fn bind_at_root_must_be_first() {
    let text = "[[mount]]\ntype = \"tmpfs\"\ndest = \"/tmp\"\n\
                [[mount]]\ntype = \"ro-bind\"\nsource = \"/\"\n";
    let err = error_text(text);
    assert!(
        err.contains("would hide the earlier mount at /tmp"),
        "{err}"
    );
    let first = "[[mount]]\ntype = \"ro-bind\"\nsource = \"/\"\n\
                 [[mount]]\ntype = \"tmpfs\"\ndest = \"/tmp\"\n";
    assert_eq!(dests(&load_text(first).unwrap()), ["/", "/tmp"]);
}

#[test]
fn mount_inside_earlier_mount_allowed() {
    let text = "[[mount]]\ntype = \"tmpfs\"\ndest = \"/tmp\"\n\
                [[mount]]\ntype = \"dir\"\ndest = \"/tmp/x\"\n\
                [[mount]]\ntype = \"tmpfs\"\ndest = \"/tmpx\"\n";
    assert_eq!(
        dests(&load_text(text).unwrap()),
        ["/tmp", "/tmp/x", "/tmpx"]
    );
}

#[test]
fn skip_if_shadowing_only_when_shadowing() {
    let text = "[[mount]]\ntype = \"ro-bind\"\nsource = \"/usr\"\n\
                [[mount]]\ntype = \"bind\"\nsource = \"/usr/lib\"\nskip_if_shadowing = true\n\
                [[mount]]\ntype = \"bind\"\nsource = \"/srv\"\nskip_if_shadowing = true\n";
    assert_eq!(dests(&load_text(text).unwrap()), ["/usr", "/srv"]);
    // Without the flag, the same overlap is a duplicate or an error as usual.
    let text = "[[mount]]\ntype = \"ro-bind\"\nsource = \"/usr\"\n\
                [[mount]]\ntype = \"bind\"\nsource = \"/usr\"\n";
    assert!(load_text(text).is_err());
}

#[test]
fn ids_need_user_namespace() {
    let err = error_text("[namespaces]\nuser = false\n[process]\nuid = 0\n");
    assert!(
        err.starts_with("4:7: process.uid: needs `namespaces.user = true`"),
        "{err}"
    );
    let err = error_text("[namespaces]\nuser = false\n[process]\ngid = 0\n");
    assert!(
        err.starts_with("4:7: process.gid: needs `namespaces.user = true`"),
        "{err}"
    );
    let profile = load_text("[process]\nuid = 0\ngid = 100\n").unwrap();
    assert_eq!(
        (profile.process.uid, profile.process.gid),
        (Some(0), Some(100))
    );
}

#[test]
fn as_pid1_needs_pid_namespace() {
    let err = error_text("[namespaces]\npid = false\n[process]\nas_pid1 = true\n");
    assert!(
        err.starts_with("4:11: process.as_pid1: needs `namespaces.pid = true`"),
        "{err}"
    );
    assert!(load_text("[namespaces]\npid = false\n[process]\nas_pid1 = false\n").is_ok());
}

#[test]
fn keep_fds_at_least_three() {
    let err = error_text("[process]\nkeep_fds = [3, 2]\n");
    assert!(
        err.starts_with("2:16: process.keep_fds: invalid descriptor 2"),
        "{err}"
    );
    let err = error_text("[process]\nkeep_fds = [-1]\n");
    assert!(err.contains("invalid descriptor -1"), "{err}");
    assert_eq!(
        load_text("[process]\nkeep_fds = [3, 9]\n")
            .unwrap()
            .process
            .keep_fds,
        [3, 9]
    );
}

#[test]
fn capabilities_normalized() {
    let text = "[process]\ncapabilities = [\"CAP_CHOWN\", \"cap_kill\", \"net_bind_service\"]\n";
    let profile = load_text(text).unwrap();
    assert_eq!(
        profile.process.capabilities,
        ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    );
    let err = error_text("[process]\ncapabilities = [\"cap_chwon\"]\n");
    assert_eq!(
        err,
        "2:17: process.capabilities: unknown capability \"cap_chwon\""
    );
}

#[test]
fn env_names_validated() {
    let cases = [
        (
            "[env]\nclear = true\nkeep = [\"A=B\"]\n",
            "3:9: env.keep: invalid variable name \"A=B\"",
        ),
        (
            "[env]\nunset = [\"\"]\n",
            "2:10: env.unset: invalid variable name \"\"",
        ),
        (
            "[env]\nset = { \"X=1\" = \"2\" }\n",
            "2:17: env.set: invalid variable name \"X=1\"",
        ),
        (
            "[env]\nunset = [\"A\\u0000\"]\n",
            "2:10: env.unset: invalid variable name \"A\\0\"",
        ),
    ];
    for (text, expected) in cases {
        let err = error_text(text);
        assert!(err.starts_with(expected), "{err}");
    }
}

#[test]
fn env_set_and_unset_conflict() {
    let err = error_text("[env]\nset = { A = \"1\" }\nunset = [\"A\"]\n");
    assert!(
        err.starts_with("3:10: env.unset: A is also set at "),
        "{err}"
    );
    assert!(err.ends_with("p.toml:2:13"), "{err}");
}

#[test]
fn env_keep_and_unset_conflict() {
    let err = error_text("[env]\nclear = true\nkeep = [\"A\"]\nunset = [\"A\"]\n");
    assert!(
        err.starts_with("4:10: env.unset: A is also kept at "),
        "{err}"
    );
}

#[test]
fn cwd_must_be_absolute() {
    let err = error_text("[process]\ncwd = \"src\"\n");
    assert_eq!(
        err,
        "2:7: process.cwd: path \"src\" is not absolute after expansion"
    );
    let profile = load_text("[process]\ncwd = \"${PWD}/./src/\"\n").unwrap();
    assert_eq!(
        profile.process.cwd,
        Some(PathBuf::from("/work/project/src"))
    );
}

// Merging and defaults.

#[test]
fn defaults_for_empty_profile() {
    let profile = load_text("").unwrap();
    assert!(profile.namespaces.user);
    assert!(profile.namespaces.pid);
    assert!(profile.namespaces.mount);
    assert!(profile.namespaces.net);
    assert!(profile.namespaces.ipc);
    assert!(profile.namespaces.uts);
    assert!(profile.namespaces.cgroup);
    assert!(!profile.env.clear);
    assert!(profile.process.new_session);
    assert!(profile.process.die_with_parent);
    assert!(!profile.process.as_pid1);
    assert_eq!((profile.process.uid, profile.process.gid), (None, None));
    assert_eq!(profile.process.cwd, None);
    assert!(profile.mounts.is_empty());
    assert!(profile.landlock.is_none());
    assert!(profile.hostname.is_none());
}

#[test]
fn landlock_present_when_a_file_has_it() {
    let profile = load_text("[landlock]\n").unwrap();
    assert!(profile.landlock.is_some());
}

/// Writes the files to a temporary directory and loads the first one.
fn load_files(files: &[(&str, &str)]) -> Result<Profile, ProfileError> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        fs::write(dir.path().join(name), text).unwrap();
    }
    let main = dir.path().join(files[0].0);
    load_with(main.to_str().unwrap(), &vars(), &search(&[]))
}

#[test]
fn merge_namespaces_per_key() {
    let profile = load_files(&[
        (
            "main.toml",
            "include = [\"base.toml\"]\n[namespaces]\nnet = true\n",
        ),
        ("base.toml", "[namespaces]\nnet = false\nipc = false\n"),
    ])
    .unwrap();
    assert!(profile.namespaces.net, "main.toml wins for net");
    assert!(!profile.namespaces.ipc, "base.toml's ipc stays");
}

#[test]
fn merge_scalars_later_wins() {
    let profile = load_files(&[
        (
            "main.toml",
            "include = [\"a.toml\", \"b.toml\"]\n[process]\nnew_session = false\n",
        ),
        (
            "a.toml",
            "description = \"a\"\n[process]\nnew_session = true\nuid = 1\ncwd = \"/a\"\n",
        ),
        (
            "b.toml",
            "description = \"b\"\n[process]\ndie_with_parent = false\nuid = 2\n",
        ),
    ])
    .unwrap();
    assert_eq!(profile.description.as_deref(), Some("b"));
    assert!(!profile.process.new_session);
    assert!(!profile.process.die_with_parent);
    assert_eq!(profile.process.uid, Some(2));
    assert_eq!(profile.process.cwd, Some(PathBuf::from("/a")));
}

#[test]
fn merge_env_set_per_variable() {
    let profile = load_files(&[
        (
            "main.toml",
            "include = [\"a.toml\"]\n[env]\nset = { X = \"main\" }\nunset = [\"U\"]\n",
        ),
        (
            "a.toml",
            "[env]\nset = { X = \"a\", Y = \"a\" }\nunset = [\"V\"]\n",
        ),
    ])
    .unwrap();
    assert_eq!(profile.env.set.get("X").map(String::as_str), Some("main"));
    assert_eq!(profile.env.set.get("Y").map(String::as_str), Some("a"));
    assert_eq!(profile.env.unset, ["V", "U"]);
}

#[test]
fn merge_conflict_across_files_located() {
    let err = load_files(&[
        (
            "main.toml",
            "include = [\"a.toml\"]\n[env]\nunset = [\"X\"]\n",
        ),
        ("a.toml", "[env]\nset = { X = \"a\" }\n"),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("main.toml:3:10: env.unset: X is also set at "),
        "{err}"
    );
    assert!(err.ends_with("a.toml:2:13"), "{err}");
}

#[test]
fn merge_hostname_rule_sees_included_namespace() {
    let err = load_files(&[
        ("main.toml", "include = [\"a.toml\"]\nhostname = \"box\"\n"),
        ("a.toml", "[namespaces]\nuts = false\n"),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("main.toml:2:12: hostname: needs `namespaces.uts = true`"),
        "{err}"
    );
    assert!(err.ends_with("a.toml:2:7 sets it to false"), "{err}");
}

#[test]
fn merge_duplicate_dest_across_files() {
    let err = load_files(&[
        (
            "main.toml",
            "include = [\"a.toml\"]\n[[mount]]\ntype = \"tmpfs\"\ndest = \"/t\"\n",
        ),
        ("a.toml", "[[mount]]\ntype = \"dir\"\ndest = \"/t\"\n"),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("main.toml:2:1: mount.dest: dest /t is also the dest"),
        "{err}"
    );
    assert!(err.ends_with("a.toml:1:1"), "{err}");
}

#[test]
fn include_twice_merged_once() {
    let profile = load_files(&[
        ("main.toml", "include = [\"a.toml\", \"b.toml\"]\n"),
        ("a.toml", "include = [\"base.toml\"]\n"),
        ("b.toml", "include = [\"./base.toml\"]\n"),
        ("base.toml", "[[mount]]\ntype = \"tmpfs\"\ndest = \"/t\"\n"),
    ])
    .unwrap();
    assert_eq!(dests(&profile), ["/t"]);
}
