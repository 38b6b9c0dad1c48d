//! Tests of the shipped profiles: every one passes `sandbox check`, and each application
//! profile runs a stand-in command that exercises what it grants and what it denies. Also
//! `sandbox desktop-entry`, which writes launchers for these profiles.
//!
//! Every command runs with a scratch home, never the caller's.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{Scratch, sandbox_bin, show, stderr, stdout};

/// Every profile in profiles/, which build.rs compiles into the binary.
const SHIPPED: &[&str] = &[
    "browser",
    "build",
    "dbus",
    "default",
    "desktop",
    "fonts",
    "gpu",
    "media-player",
    "network",
    "offline",
    "pdf-viewer",
    "pipewire",
    "pulseaudio",
    "wayland",
    "x11",
];

/// A scratch folder with a home and a project folder inside.
struct Host {
    scratch: Scratch,
    home: PathBuf,
    project: PathBuf,
}

impl Host {
    fn new() -> Host {
        let scratch = Scratch::new();
        let home = scratch.path().join("home");
        let project = scratch.path().join("project");
        std::fs::create_dir(&home).unwrap();
        std::fs::create_dir(&project).unwrap();
        Host {
            scratch,
            home,
            project,
        }
    }

    /// Returns `sandbox ARGS` run in the project folder, with the scratch home and a PATH.
    fn sandbox(&self) -> Command {
        let mut command = Command::new(sandbox_bin());
        command
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", &self.home)
            .current_dir(&self.project)
            .stdin(Stdio::null());
        command
    }

    /// Runs `sh -c SCRIPT ARGS...` under `profile`.
    fn run_script(&self, profile: &str, script: &str, args: &[&Path]) -> Output {
        self.sandbox()
            .args(["-p", profile, "--", "sh", "-c", script, "sh"])
            .args(args)
            .output()
            .expect("spawn sandbox")
    }

    fn mkdir(&self, relative: &str) -> PathBuf {
        let path = self.home.join(relative);
        std::fs::create_dir_all(&path).unwrap();
        path
    }
}

fn is_installed(program: &str) -> bool {
    let found = ["/usr/bin", "/bin"]
        .iter()
        .any(|dir| Path::new(dir).join(program).is_file());
    if !found {
        eprintln!("skipped: {program} is not installed (scripts/test installs it)");
    }
    found
}

#[test]
fn shipped_profiles_pass_check() {
    let host = Host::new();
    let output = host.sandbox().arg("check").args(SHIPPED).output().unwrap();
    assert!(output.status.success(), "{}", show(&output));
    for name in SHIPPED {
        let line = format!("builtin:{name}: ok");
        assert!(stdout(&output).contains(&line), "{line}\n{}", show(&output));
    }
}

#[test]
fn shipped_list_matches_profiles_folder() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    // The unprivileged run may not be able to read the checkout; the root run covers it.
    let Ok(entries) = std::fs::read_dir(&folder) else {
        eprintln!("skipped: cannot read {}", folder.display());
        return;
    };
    let mut names: Vec<String> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, SHIPPED);
}

#[test]
fn offline_keeps_working_directory_only() {
    let host = Host::new();
    std::fs::write(host.home.join(".netrc"), "machine x password secret\n").unwrap();
    let script = "echo built > out.txt; cat ~/.netrc; echo \"token=$API_TOKEN\"; \
                  echo x > ~/kept.txt";
    let output = host
        .sandbox()
        .env("API_TOKEN", "secret-token")
        .args(["-p", "offline", "--", "sh", "-c", script])
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", show(&output));
    let written = std::fs::read_to_string(host.project.join("out.txt"));
    assert_eq!(written.unwrap_or_default(), "built\n");
    assert!(!stdout(&output).contains("secret"), "{}", show(&output));
    assert!(stdout(&output).contains("token=\n"), "{}", show(&output));
    assert!(
        !host.home.join("kept.txt").exists(),
        "the home is a throwaway tmpfs"
    );
}

#[test]
fn offline_denies_tcp_connect() {
    if !is_installed("python3") {
        return;
    }
    let host = Host::new();
    let script = "import socket\n\
                  try:\n    socket.create_connection(('127.0.0.1', 9), timeout=5)\n\
                  except OSError as error:\n    print(error.errno)\n";
    let output = host
        .sandbox()
        .args(["-p", "offline", "--", "python3", "-c", script])
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", show(&output));
    // EACCES (13) from Landlock's empty connect_tcp, before the empty network could refuse.
    assert_eq!(stdout(&output).trim(), "13", "{}", show(&output));
}

#[test]
fn build_compiles_and_runs_in_project() {
    if !is_installed("cc") {
        return;
    }
    let host = Host::new();
    let source = "#include <stdio.h>\nint main(void) { puts(\"hello from build\"); return 0; }\n";
    std::fs::write(host.project.join("hello.c"), source).unwrap();
    let cache = host.mkdir(".cache/ccache");
    let toolchain = host.mkdir(".cargo/bin");
    let script = "cc -o hello hello.c && ./hello && echo cached > ~/.cache/ccache/entry \
                  && ! echo replaced 2> /dev/null > ~/.cargo/bin/cargo";
    let output = host.run_script("build", script, &[]);

    assert!(output.status.success(), "{}", show(&output));
    assert!(
        stdout(&output).contains("hello from build"),
        "{}",
        show(&output)
    );
    assert!(host.project.join("hello").exists());
    let cached = std::fs::read_to_string(cache.join("entry"));
    assert_eq!(cached.unwrap_or_default(), "cached\n");
    assert!(
        !toolchain.join("cargo").exists(),
        "the toolchain folder is read-only"
    );
}

#[test]
fn build_has_no_network() {
    let host = Host::new();
    // In a new network namespace only loopback exists.
    let output = host.run_script(
        "build",
        "ls /sys/class/net 2>/dev/null; cat /proc/net/dev",
        &[],
    );

    assert!(output.status.success(), "{}", show(&output));
    let interfaces: Vec<&str> = (stdout(&output).lines())
        .filter_map(|line| line.split_once(':').map(|(name, _)| name.trim()))
        .filter(|name| !name.contains('|'))
        .map(|name| if name == "lo" { "lo" } else { "other" })
        .collect();
    assert_eq!(interfaces, ["lo"], "{}", show(&output));
}

#[test]
fn pdf_viewer_reads_document_folder_only() {
    let host = Host::new();
    let documents = host.mkdir("Documents/reports");
    let document = documents.join("report.pdf");
    std::fs::write(&document, "%PDF-1.4 report\n").unwrap();
    std::fs::write(documents.join("appendix.pdf"), "%PDF-1.4 appendix\n").unwrap();
    host.mkdir(".ssh");
    std::fs::write(host.home.join(".ssh/id_test"), "secret key\n").unwrap();
    let script = "cat \"$1\"; ls \"$(dirname \"$1\")\"; cat ~/.ssh/id_test; \
                  echo changed > \"$1\" || echo write-denied";
    let output = host.run_script("pdf-viewer", script, &[&document]);

    let out = stdout(&output);
    assert!(out.contains("%PDF-1.4 report"), "{}", show(&output));
    assert!(out.contains("appendix.pdf"), "{}", show(&output));
    assert!(out.contains("write-denied"), "{}", show(&output));
    assert!(!out.contains("secret"), "{}", show(&output));
    assert!(stderr(&output).contains("id_test"), "{}", show(&output));
    let kept = std::fs::read_to_string(&document).unwrap();
    assert_eq!(kept, "%PDF-1.4 report\n");
}

#[test]
fn pdf_viewer_binds_file_alone_in_home() {
    let host = Host::new();
    let document = host.home.join("notes.pdf");
    std::fs::write(&document, "%PDF-1.4 notes\n").unwrap();
    std::fs::write(host.home.join(".bash_history"), "secret history\n").unwrap();
    let output = host.run_script(
        "pdf-viewer",
        "cat \"$1\"; cat ~/.bash_history",
        &[&document],
    );

    assert!(
        stdout(&output).contains("%PDF-1.4 notes"),
        "{}",
        show(&output)
    );
    assert!(!stdout(&output).contains("secret"), "{}", show(&output));
}

#[test]
fn media_player_reads_media_read_only() {
    let host = Host::new();
    let music = host.mkdir("Music");
    std::fs::write(music.join("song.ogg"), "OggS song\n").unwrap();
    let elsewhere = host.scratch.path().join("talks");
    std::fs::create_dir(&elsewhere).unwrap();
    let video = elsewhere.join("talk.webm");
    std::fs::write(&video, "webm talk\n").unwrap();
    host.mkdir(".gnupg");
    std::fs::write(host.home.join(".gnupg/secring"), "secret ring\n").unwrap();
    let script = "cat ~/Music/song.ogg \"$1\" ~/.gnupg/secring; \
                  rm ~/Music/song.ogg 2> /dev/null || echo remove-denied";
    let output = host.run_script("media-player", script, &[&video]);

    let out = stdout(&output);
    assert!(out.contains("OggS song"), "{}", show(&output));
    assert!(out.contains("webm talk"), "{}", show(&output));
    assert!(out.contains("remove-denied"), "{}", show(&output));
    assert!(!out.contains("secret"), "{}", show(&output));
    assert!(music.join("song.ogg").exists());
}

#[test]
fn bind_create_makes_missing_source() {
    let host = Host::new();
    let state = host.home.join("state/app");
    let profile = host.scratch.write(
        "create.toml",
        "include = [\"default\"]\n\n[[mount]]\ntype = \"bind\"\n\
         source = \"${HOME}/state/app\"\ncreate = true\n",
    );
    let output = host
        .sandbox()
        .arg("-p")
        .arg(&profile)
        .args(["--", "sh", "-c", "echo kept > ~/state/app/file"])
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", show(&output));
    let mode = std::fs::metadata(&state).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    assert_eq!(
        std::fs::read_to_string(state.join("file")).unwrap(),
        "kept\n"
    );
}

/// A desktop entry with an action, as an installed application ships it.
const VIEWER_ENTRY: &str = "\
[Desktop Entry]
Type=Application
Name=Test Viewer
Name[de]=Testbetrachter
Icon=test-viewer
Exec=test-viewer %F
MimeType=application/pdf;
Categories=Office;Viewer;
DBusActivatable=true
Actions=new-window;

[Desktop Action new-window]
Name=New Window
Exec=test-viewer --new-window
";

/// Sets the XDG data folders of `command` to the scratch folder's `share` and `system`.
fn with_data_dirs(command: &mut Command, host: &Host) -> (PathBuf, PathBuf) {
    let user = host.scratch.path().join("share");
    let system = host.scratch.path().join("system");
    command
        .env("XDG_DATA_HOME", &user)
        .env("XDG_DATA_DIRS", &system);
    (user.join("applications"), system.join("applications"))
}

#[test]
fn desktop_entry_shadows_and_validates() {
    let host = Host::new();
    let mut install = host.sandbox();
    let (user_apps, system_apps) = with_data_dirs(&mut install, &host);
    std::fs::create_dir_all(&system_apps).unwrap();
    std::fs::write(system_apps.join("test-viewer.desktop"), VIEWER_ENTRY).unwrap();
    let output = install
        .args(["desktop-entry", "--profile", "pdf-viewer", "test-viewer"])
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", show(&output));
    let written = user_apps.join("test-viewer.desktop");
    assert_eq!(stdout(&output).trim(), written.display().to_string());
    let text = std::fs::read_to_string(&written).unwrap();
    let prefix = format!("Exec={} --profile pdf-viewer -- ", sandbox_bin().display());
    assert!(
        text.contains(&format!("{prefix}test-viewer %F\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{prefix}test-viewer --new-window\n")),
        "{text}"
    );
    for kept in [
        "Name[de]=Testbetrachter",
        "Icon=test-viewer",
        "MimeType=application/pdf;",
    ] {
        assert!(text.contains(kept), "{kept} missing from {text}");
    }
    assert!(text.contains("DBusActivatable=false"), "{text}");
    if is_installed("desktop-file-validate") {
        let validate = Command::new("desktop-file-validate")
            .arg(&written)
            .output()
            .unwrap();
        assert!(validate.status.success(), "{}", show(&validate));
        assert_eq!(stdout(&validate), "", "{}", show(&validate));
    }
}

#[test]
fn desktop_entry_remove_deletes_own_only() {
    let host = Host::new();
    let mut install = host.sandbox();
    let (user_apps, system_apps) = with_data_dirs(&mut install, &host);
    std::fs::create_dir_all(&system_apps).unwrap();
    std::fs::write(system_apps.join("test-viewer.desktop"), VIEWER_ENTRY).unwrap();
    let installed = install
        .args(["desktop-entry", "-p", "offline", "test-viewer.desktop"])
        .output()
        .unwrap();
    assert!(installed.status.success(), "{}", show(&installed));
    std::fs::write(user_apps.join("mine.desktop"), VIEWER_ENTRY).unwrap();

    let mut remove = host.sandbox();
    with_data_dirs(&mut remove, &host);
    let removed = remove
        .args(["desktop-entry", "--remove", "test-viewer"])
        .output()
        .unwrap();
    let mut refuse = host.sandbox();
    with_data_dirs(&mut refuse, &host);
    let refused = refuse
        .args(["desktop-entry", "--remove", "mine"])
        .output()
        .unwrap();

    assert!(removed.status.success(), "{}", show(&removed));
    assert!(!user_apps.join("test-viewer.desktop").exists());
    assert_eq!(refused.status.code(), Some(125), "{}", show(&refused));
    assert!(
        stderr(&refused).contains("not written by sandbox"),
        "{}",
        show(&refused)
    );
    assert!(user_apps.join("mine.desktop").exists());
}

#[test]
fn desktop_entry_rejects_invalid_profile() {
    let host = Host::new();
    let mut install = host.sandbox();
    let (user_apps, system_apps) = with_data_dirs(&mut install, &host);
    std::fs::create_dir_all(&system_apps).unwrap();
    std::fs::write(system_apps.join("test-viewer.desktop"), VIEWER_ENTRY).unwrap();
    let output = install
        .args(["desktop-entry", "-p", "no-such-profile", "test-viewer"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(125), "{}", show(&output));
    assert!(
        stderr(&output).contains("no-such-profile"),
        "{}",
        show(&output)
    );
    assert!(!user_apps.join("test-viewer.desktop").exists());
}

/// Listens on a unix socket at `path` with python3 and returns the listener.
fn listen_unix(path: &Path) -> std::process::Child {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let script = "import socket, sys, time\n\
                  server = socket.socket(socket.AF_UNIX)\n\
                  server.bind(sys.argv[1])\n\
                  server.listen(4)\n\
                  time.sleep(60)\n";
    let child = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !path.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "{} never listened",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child
}

/// A script that connects to each unix socket path given and prints `PATH: ok` or the error.
const CONNECT_SCRIPT: &str = "import socket, sys\n\
    for path in sys.argv[1:]:\n\
    \x20   client = socket.socket(socket.AF_UNIX)\n\
    \x20   try:\n\
    \x20       client.connect(path)\n\
    \x20       print(path + ': ok')\n\
    \x20   except OSError as error:\n\
    \x20       print(path + ': ' + error.strerror)\n";

#[test]
fn media_player_reaches_sound_sockets() {
    if !is_installed("python3") {
        return;
    }
    let host = Host::new();
    let runtime = host.scratch.path().join("run");
    let pulse = runtime.join("pulse/native");
    let pipewire = runtime.join("pipewire-0");
    let wayland = runtime.join("wayland-0");
    let mut listeners = [
        listen_unix(&pulse),
        listen_unix(&pipewire),
        listen_unix(&wayland),
    ];
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    let output = host
        .sandbox()
        .env("XDG_RUNTIME_DIR", &runtime)
        .args(["-p", "media-player", "--", "python3", "-c", CONNECT_SCRIPT])
        .args([&pulse, &pipewire])
        .output()
        .unwrap();
    let quiet = host
        .sandbox()
        .env("XDG_RUNTIME_DIR", &runtime)
        .args(["-p", "pdf-viewer", "--", "python3", "-c", CONNECT_SCRIPT])
        .args([&pulse, &pipewire])
        .output()
        .unwrap();
    for listener in &mut listeners {
        let _ = listener.kill();
        let _ = listener.wait();
    }

    assert!(output.status.success(), "{}", show(&output));
    assert!(
        stdout(&output).contains(&format!("{}: ok", pulse.display())),
        "{}",
        show(&output)
    );
    let pipewire_ok = format!("{}: ok", pipewire.display());
    assert!(stdout(&output).contains(&pipewire_ok), "{}", show(&output));
    // The document viewer has no sound fragment: neither socket exists inside.
    assert!(quiet.status.success(), "{}", show(&quiet));
    assert!(!stdout(&quiet).contains(": ok"), "{}", show(&quiet));
}

/// Returns the network interface names listed in /proc/net/dev text.
fn interfaces(proc_net_dev: &str) -> Vec<String> {
    let mut names: Vec<String> = (proc_net_dev.lines().skip(2))
        .filter_map(|line| line.split_once(':'))
        .map(|(name, _)| name.trim().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn network_fragment_shares_host_network() {
    let host = Host::new();
    let host_view = interfaces(&std::fs::read_to_string("/proc/net/dev").unwrap());
    let with = host
        .scratch
        .write("net.toml", "include = [\"desktop\", \"network\"]\n");
    let without = host
        .scratch
        .write("offline.toml", "include = [\"desktop\"]\n");

    let shared = host
        .sandbox()
        .arg("-p")
        .arg(&with)
        .args(["--", "cat", "/proc/net/dev"])
        .output()
        .unwrap();
    let empty = host
        .sandbox()
        .arg("-p")
        .arg(&without)
        .args(["--", "cat", "/proc/net/dev"])
        .output()
        .unwrap();

    assert!(shared.status.success(), "{}", show(&shared));
    assert_eq!(interfaces(&stdout(&shared)), host_view);
    assert!(empty.status.success(), "{}", show(&empty));
    assert_eq!(interfaces(&stdout(&empty)), ["lo"]);
}

#[test]
fn network_fragment_binds_resolver_config() {
    let Ok(host_resolv) = std::fs::read_to_string("/etc/resolv.conf") else {
        eprintln!("skipped: this host has no readable /etc/resolv.conf");
        return;
    };
    let host = Host::new();
    let with = host
        .scratch
        .write("net.toml", "include = [\"desktop\", \"network\"]\n");

    // A symlink (into /run, for systemd-resolved) is followed: the target's content shows.
    let output = host
        .sandbox()
        .arg("-p")
        .arg(&with)
        .args(["--", "cat", "/etc/resolv.conf"])
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", show(&output));
    assert_eq!(stdout(&output), host_resolv);
}

#[test]
fn dbus_socket_over_mount_rejected() {
    let host = Host::new();
    let profile = host.scratch.write(
        "socket.toml",
        "include = [\"default\", \"dbus\"]\n\n[dbus]\nsocket = \"/tmp\"\n",
    );
    let output = host.sandbox().arg("check").arg(&profile).output().unwrap();

    assert_eq!(output.status.code(), Some(125), "{}", show(&output));
    assert!(
        stderr(&output).contains("dbus.socket: socket /tmp conflicts"),
        "{}",
        show(&output)
    );
}

#[test]
fn dbus_invalid_name_rejected() {
    let host = Host::new();
    let profile = host
        .scratch
        .write("names.toml", "[dbus]\ntalk = [\"org.example\", \"*\"]\n");
    let output = host.sandbox().arg("check").arg(&profile).output().unwrap();

    assert_eq!(output.status.code(), Some(125), "{}", show(&output));
    let location = format!(
        "{}:2:24: dbus.talk: invalid bus name \"*\"",
        profile.display()
    );
    assert!(stderr(&output).contains(&location), "{}", show(&output));
}

#[test]
fn bind_create_with_optional_rejected() {
    let host = Host::new();
    let profile = host.scratch.write(
        "both.toml",
        "[[mount]]\ntype = \"bind\"\nsource = \"/opt/state\"\noptional = true\ncreate = true\n",
    );
    let output = host.sandbox().arg("check").arg(&profile).output().unwrap();

    assert_eq!(output.status.code(), Some(125), "{}", show(&output));
    assert!(
        stderr(&output).contains("5:10: mount.create: `create` and `optional`"),
        "{}",
        show(&output)
    );
}
