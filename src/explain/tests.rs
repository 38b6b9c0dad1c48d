//! Explain on profiles written to a temporary folder, with a fixed caller (home /home/u, uid
//! 1000, not root) and fixed namespace limits, so results do not depend on this machine.

use std::path::{Path, PathBuf};

use super::exposure::{Enforcement, Exposure, assess};
use super::host::{self, Host, Status};
use super::settings::settings;
use crate::profile::{self, Profile, Vars};

fn vars() -> Vars {
    Vars::from_pairs(&[
        ("HOME", "/home/u"),
        ("UID", "1000"),
        ("PWD", "/work/project"),
    ])
}

/// Builds a host with the given namespace limits (`user/max_*_namespaces` and friends) on disk.
fn host(sysctl: &Path, limits: &[(&str, &str)]) -> Host {
    std::fs::create_dir_all(sysctl.join("user")).unwrap();
    std::fs::create_dir_all(sysctl.join("kernel")).unwrap();
    for (name, value) in limits {
        std::fs::write(sysctl.join(name), value).unwrap();
    }
    Host {
        home: Some(PathBuf::from("/home/u")),
        runtime_dir: PathBuf::from("/run/user/1000"),
        is_root: false,
        sysctl_root: sysctl.to_path_buf(),
    }
}

fn load(dir: &tempfile::TempDir, name: &str, text: &str) -> Profile {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    profile::load_with_origins(path.to_str().unwrap(), &vars()).unwrap()
}

fn exposure_of(text: &str) -> Exposure {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(&dir, "p.toml", text);
    let host = host(&dir.path().join("sys"), &[]);
    assess(&loaded, &host, &Enforcement::default())
}

fn finding(exposure: &Exposure, id: &str) -> f64 {
    let found = exposure.findings.iter().find(|finding| finding.id == id);
    found.unwrap_or_else(|| panic!("no finding {id}")).exposure
}

const SYSTEM: &str = r#"
[[mount]]
type = "ro-bind"
source = "/usr"

[[mount]]
type = "proc"
dest = "/proc"

[[mount]]
type = "dev"
dest = "/dev"
"#;

#[test]
fn exposure_orders_profiles() {
    let locked = exposure_of(&format!("{SYSTEM}\n[env]\nclear = true\n"));
    let shared_net = exposure_of(&format!("[namespaces]\nnet = false\n{SYSTEM}"));
    let host_root = exposure_of("[[mount]]\ntype = \"bind\"\nsource = \"/\"\n");
    let nothing = exposure_of(
        "[namespaces]\nuser = false\npid = false\nmount = false\nnet = false\nipc = false\n\
         uts = false\ncgroup = false\n[process]\nnew_session = false\n",
    );
    assert!(
        locked.score < shared_net.score,
        "{} {}",
        locked.score,
        shared_net.score
    );
    assert!(
        shared_net.score < host_root.score,
        "{} {}",
        shared_net.score,
        host_root.score
    );
    assert!(
        host_root.score < nothing.score,
        "{} {}",
        host_root.score,
        nothing.score
    );
    assert!(nothing.score >= 9.0, "{}", nothing.score);
    assert!(locked.score <= 2.0, "{}", locked.score);
}

#[test]
fn exposure_score_stays_in_range() {
    let exposure = exposure_of(SYSTEM);
    assert!((0.0..=10.0).contains(&exposure.score));
    for finding in &exposure.findings {
        assert!((0.0..=1.0).contains(&finding.exposure), "{finding:?}");
        assert!(finding.weight > 0.0, "{finding:?}");
    }
}

#[test]
fn exposure_home_levels() {
    let hidden = exposure_of(&format!(
        "{SYSTEM}\n[[mount]]\ntype = \"tmpfs\"\ndest = \"~\"\n"
    ));
    let part = exposure_of(&format!(
        "{SYSTEM}\n[[mount]]\ntype = \"bind\"\nsource = \"~/Downloads\"\n"
    ));
    let readable = exposure_of(&format!(
        "{SYSTEM}\n[[mount]]\ntype = \"ro-bind\"\nsource = \"~\"\n"
    ));
    let writable = exposure_of(&format!(
        "{SYSTEM}\n[[mount]]\ntype = \"bind\"\nsource = \"/home\"\n"
    ));
    assert_eq!(finding(&hidden, "home"), 0.0);
    assert!(finding(&part, "home") > 0.0);
    assert!(finding(&readable, "home") > finding(&part, "home"));
    assert_eq!(finding(&writable, "home"), 1.0);
}

#[test]
fn exposure_x11_through_shared_network() {
    let shared = exposure_of(&format!("[namespaces]\nnet = false\n{SYSTEM}"));
    let private = exposure_of(SYSTEM);
    assert_eq!(finding(&shared, "x11"), 1.0);
    assert_eq!(finding(&private, "x11"), 0.0);
}

#[test]
fn exposure_x11_closed_by_landlock_scope() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(
        &dir,
        "p.toml",
        &format!("[namespaces]\nnet = false\n{SYSTEM}"),
    );
    let host = host(&dir.path().join("sys"), &[]);
    let enforcement = Enforcement {
        landlock_abstract_unix: true,
        ..Enforcement::default()
    };
    assert_eq!(finding(&assess(&loaded, &host, &enforcement), "x11"), 0.0);
}

#[test]
fn exposure_devices_and_capabilities() {
    let devices = exposure_of(&format!(
        "{SYSTEM}\n[[mount]]\ntype = \"dev-bind\"\nsource = \"/dev/dri\"\n\
         [process]\ncapabilities = [\"sys_admin\"]\n"
    ));
    assert_eq!(finding(&devices, "devices"), 0.5);
    assert_eq!(finding(&devices, "capabilities"), 1.0);
    assert_eq!(finding(&devices, "host-writable"), 0.0);
}

#[test]
fn exposure_session_bus_bind() {
    let exposure = exposure_of(&format!(
        "{SYSTEM}\n[[mount]]\ntype = \"bind\"\nsource = \"/run/user/${{UID}}/bus\"\n"
    ));
    assert_eq!(finding(&exposure, "session-bus"), 1.0);
    assert!(finding(&exposure, "runtime-dir") > 0.0);
}

#[test]
fn exposure_names_responsible_setting() {
    let exposure = exposure_of(&format!("{SYSTEM}\n[namespaces]\nnet = false\n"));
    let network = exposure
        .findings
        .iter()
        .find(|f| f.id == "network")
        .unwrap();
    let origin = network.origin.as_deref().unwrap();
    assert!(origin.ends_with("p.toml:15:7"), "{origin}");
}

#[test]
fn settings_show_origin_and_default() {
    let dir = tempfile::tempdir().unwrap();
    load(
        &dir,
        "base.toml",
        "[namespaces]\nnet = false\n[env]\nkeep = [\"A\"]\n",
    );
    let loaded = load(
        &dir,
        "main.toml",
        "include = [\"base.toml\"]\n[env]\nkeep = [\"B\"]\n[[mount]]\ntype = \"tmpfs\"\n\
         dest = \"~/x\"\n",
    );
    let list = settings(&loaded);
    let find = |key: &str| list.iter().filter(|s| s.key == key).collect::<Vec<_>>();

    let net = find("namespaces.net");
    assert_eq!(net[0].value, false);
    assert!(net[0].origin.as_deref().unwrap().ends_with("base.toml:2:7"));
    let user = find("namespaces.user");
    assert_eq!(user[0].origin, None);
    let keep = find("env.keep");
    assert_eq!(keep.len(), 2);
    assert!(
        keep[0]
            .origin
            .as_deref()
            .unwrap()
            .ends_with("base.toml:4:9")
    );
    assert!(
        keep[1]
            .origin
            .as_deref()
            .unwrap()
            .ends_with("main.toml:3:9")
    );
    let mount = find("mount[0]");
    assert_eq!(mount[0].value["dest"], "/home/u/x");
    assert!(
        mount[0]
            .origin
            .as_deref()
            .unwrap()
            .ends_with("main.toml:4:1")
    );
}

#[test]
fn settings_list_other_sections_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(&dir, "p.toml", "[landlock]\nread = [\"/usr\"]\n");
    let list = settings(&loaded);
    let read: Vec<_> = list.iter().filter(|s| s.key == "landlock.read").collect();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].value, "/usr");
    assert!(!read[0].resolved);
}

#[test]
fn namespace_check_reads_limits() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(&dir, "p.toml", "");
    let host = host(
        &dir.path().join("sys"),
        &[
            ("user/max_user_namespaces", "100"),
            ("user/max_pid_namespaces", "100"),
            ("user/max_mnt_namespaces", "100"),
            ("user/max_net_namespaces", "0"),
            ("user/max_ipc_namespaces", "100"),
            ("user/max_uts_namespaces", "100"),
            ("kernel/unprivileged_userns_clone", "1"),
        ],
    );
    let checks = host::namespace_checks(&loaded, &host);
    let status = |item: &str| checks.iter().find(|c| c.item == item).unwrap().status;
    assert_eq!(status("user namespace"), Status::Ok);
    assert_eq!(status("mount namespace"), Status::Ok);
    assert_eq!(status("net namespace"), Status::Fails);
    assert_eq!(status("cgroup namespace"), Status::Unknown);
}

#[test]
fn namespace_check_unprivileged_switch() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(&dir, "p.toml", "");
    let host = host(
        &dir.path().join("sys"),
        &[
            ("user/max_user_namespaces", "100"),
            ("kernel/unprivileged_userns_clone", "0"),
        ],
    );
    let checks = host::namespace_checks(&loaded, &host);
    assert_eq!(checks[0].item, "user namespace");
    assert_eq!(checks[0].status, Status::Fails);
}

#[test]
fn mount_check_skips_missing_optional() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let text = format!(
        "[[mount]]\ntype = \"ro-bind\"\nsource = \"{}\"\noptional = true\n",
        missing.display()
    );
    let loaded = load(&dir, "p.toml", &text);
    let checks = host::mount_checks(&loaded);
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].status, Status::Skipped);
}

#[test]
fn exposure_session_bus_through_proxy() {
    let filtered = exposure_of(&format!(
        "{SYSTEM}\n[dbus]\ntalk = [\"org.freedesktop.Notifications\"]\n"
    ));
    let exposure = finding(&filtered, "session-bus");
    assert!(exposure > 0.0, "{exposure}");
    assert!(exposure < 1.0, "{exposure}");
}

#[test]
fn helper_check_needs_dbus_table() {
    let dir = tempfile::tempdir().unwrap();
    let without = load(&dir, "plain.toml", SYSTEM);
    assert!(host::helper_checks(&without).is_empty());
    let with = load(&dir, "bus.toml", &format!("{SYSTEM}\n[dbus]\n"));
    let checks = host::helper_checks(&with);
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].item, "xdg-dbus-proxy");
}
