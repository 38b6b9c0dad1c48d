//! End-to-end tests of the desktop profiles with real applications: Firefox, an X11 client
//! on Xvfb, a Wayland client on a headless weston, and gdbus through the D-Bus proxy.
//!
//! Every application runs with a scratch home and runtime folder, never the caller's. A test
//! whose program is not installed prints why and passes: scripts/test installs them all.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Scratch, is_root, sandbox_bin, show, stderr};

/// Returns whether `program` is installed, printing why the test is skipped when it is not.
fn installed(program: &str) -> bool {
    let found = ["/usr/bin", "/bin", "/usr/local/bin"]
        .iter()
        .any(|dir| Path::new(dir).join(program).is_file());
    if !found {
        eprintln!("skipped: {program} is not installed (scripts/test installs it)");
    }
    found
}

/// A scratch home and runtime folder for one test.
struct Desktop {
    scratch: Scratch,
    home: PathBuf,
    runtime: PathBuf,
}

impl Desktop {
    fn new() -> Desktop {
        let scratch = Scratch::new();
        let home = scratch.path().join("home");
        let runtime = scratch.path().join("run");
        std::fs::create_dir(&home).unwrap();
        std::fs::create_dir(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        Desktop {
            scratch,
            home,
            runtime,
        }
    }

    /// Writes a profile that includes `includes` and ends with `extra`, and returns its path.
    fn profile(&self, name: &str, includes: &[&str], extra: &str) -> PathBuf {
        let list: Vec<String> = includes.iter().map(|name| format!("{name:?}")).collect();
        let text = format!("include = [{}]\n{extra}", list.join(", "));
        self.scratch.write(name, &text)
    }

    /// Returns `sandbox -p PROFILE -- ARGS` with an environment of only the scratch folders.
    fn sandbox(&self, profile: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(sandbox_bin());
        command
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", &self.home)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .current_dir(self.scratch.path())
            .stdin(Stdio::null())
            .arg("-p")
            .arg(profile)
            .arg("--")
            .args(args);
        command
    }

    /// Starts a private session bus in the scratch folder, as the application's host bus.
    fn start_bus(&self) -> (Guard, String) {
        let socket = self.scratch.path().join("bus");
        let address = format!("unix:path={}", socket.display());
        let daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={address}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        wait_for_path(&socket);
        (Guard(daemon), address)
    }

    /// Lists the runtime folder, to check that nothing is left behind.
    fn runtime_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.runtime)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// A helper process killed when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_path(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} did not appear",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `command` and kills it after `limit`, so a hung application fails the test. The
/// output is read while the command runs, so a full pipe cannot stall it.
fn output_within(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sandbox");
    let stdout = read_in_thread(child.stdout.take().unwrap());
    let stderr = read_in_thread(child.stderr.take().unwrap());
    let deadline = Instant::now() + limit;
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            timed_out = true;
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    assert!(!timed_out, "no exit within {limit:?}\n{}", show(&output));
    output
}

fn read_in_thread(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Preferences for a fresh Firefox profile that keep it from contacting any server.
const FIREFOX_PREFS: &str = r#"
user_pref("app.update.enabled", false);
user_pref("app.update.auto", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("toolkit.telemetry.unified", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("extensions.blocklist.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("network.dns.disablePrefetch", true);
user_pref("network.prefetch-next", false);
user_pref("browser.newtabpage.enabled", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
"#;

/// Writes the browser profile derived for tests: a new, empty network namespace, so Firefox
/// cannot reach the network whatever it tries. Run as root, the target gets uid 1000 inside,
/// because Firefox's own sandbox cannot map uid 0 into its user namespaces without CAP_SETFCAP.
fn browser_test_profile(desktop: &Desktop) -> PathBuf {
    let mut extra = String::from("[namespaces]\nnet = true\n");
    if is_root() {
        extra.push_str("[process]\nuid = 1000\ngid = 1000\n");
    }
    desktop.profile("browser-test.toml", &["browser"], &extra)
}

#[test]
fn firefox_screenshot_of_local_page() {
    if !installed("firefox-esr") || !installed("dbus-daemon") || !installed("xdg-dbus-proxy") {
        return;
    }
    let desktop = Desktop::new();
    let downloads = desktop.home.join("Downloads");
    let firefox_profile = desktop.home.join(".mozilla/test-profile");
    std::fs::create_dir_all(&downloads).unwrap();
    std::fs::create_dir_all(&firefox_profile).unwrap();
    std::fs::write(firefox_profile.join("user.js"), FIREFOX_PREFS).unwrap();
    // The page lives where the browser profile lets the browser read: ~/Downloads.
    let page = downloads.join("page.html");
    std::fs::write(
        &page,
        "<html><body style='background:#0a0'><h1>sandboxed</h1></body></html>",
    )
    .unwrap();
    let shot = downloads.join("shot.png");
    let (_bus, address) = desktop.start_bus();
    let profile = browser_test_profile(&desktop);

    let url = format!("file://{}", page.display());
    let mut command = desktop.sandbox(
        &profile,
        &[
            "firefox-esr",
            "--headless",
            "--no-remote",
            "--profile",
            firefox_profile.to_str().unwrap(),
            "--screenshot",
            shot.to_str().unwrap(),
            &url,
        ],
    );
    command.env("DBUS_SESSION_BUS_ADDRESS", &address);
    let output = output_within(command, Duration::from_secs(120));

    assert!(output.status.success(), "{}", show(&output));
    let png = std::fs::read(&shot).unwrap_or_default();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "no PNG at {}",
        shot.display()
    );
    assert!(png.len() > 1000, "PNG of {} bytes", png.len());
}

#[test]
fn browser_profile_hides_keys_keeps_downloads() {
    if !installed("dbus-daemon") || !installed("xdg-dbus-proxy") {
        return;
    }
    let desktop = Desktop::new();
    std::fs::create_dir_all(desktop.home.join(".ssh")).unwrap();
    std::fs::write(desktop.home.join(".ssh/id_test"), "secret key\n").unwrap();
    std::fs::write(desktop.home.join(".bashrc"), "secret rc\n").unwrap();
    let (_bus, address) = desktop.start_bus();
    let profile = browser_test_profile(&desktop);
    let script = "cat ~/.ssh/id_test; cat ~/.bashrc; echo saved > ~/Downloads/file.txt";

    let mut command = desktop.sandbox(&profile, &["sh", "-c", script]);
    command.env("DBUS_SESSION_BUS_ADDRESS", &address);
    let output = output_within(command, Duration::from_secs(30));

    let out = String::from_utf8_lossy(&output.stdout);
    assert!(!out.contains("secret"), "{}", show(&output));
    assert!(stderr(&output).contains("id_test"), "{}", show(&output));
    let saved = std::fs::read_to_string(desktop.home.join("Downloads/file.txt"));
    assert_eq!(saved.unwrap_or_default(), "saved\n", "{}", show(&output));
}

#[test]
fn browser_seccomp_allows_inner_sandboxes_only() {
    if !installed("dbus-daemon") || !installed("xdg-dbus-proxy") || !installed("unshare") {
        return;
    }
    let desktop = Desktop::new();
    let (_bus, address) = desktop.start_bus();
    let browser = browser_test_profile(&desktop);
    let base = desktop.profile("base.toml", &["desktop"], "");
    // What Firefox's and Chromium's sandboxes create, then each namespace they never need.
    let cases: [(&Path, &str, bool); 5] = [
        (
            &browser,
            "--user --map-root-user --pid --net --ipc --fork",
            true,
        ),
        (&browser, "--user --mount", false),
        (&browser, "--user --uts", false),
        (&browser, "--user --cgroup", false),
        (&base, "--user", false),
    ];

    for (profile, flags, allowed) in cases {
        let script = format!("unshare {flags} true");
        let mut command = desktop.sandbox(profile, &["sh", "-c", &script]);
        command.env("DBUS_SESSION_BUS_ADDRESS", &address);
        let output = output_within(command, Duration::from_secs(30));
        let case = format!("unshare {flags} in {}", profile.display());
        assert_eq!(
            output.status.success(),
            allowed,
            "{case}\n{}",
            show(&output)
        );
        if !allowed {
            let denied = stderr(&output).contains("Operation not permitted");
            assert!(denied, "{case}\n{}", show(&output));
        }
    }
}

/// Starts Xvfb on a free display and returns it with the display name.
fn start_xvfb() -> (Guard, String) {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-nolisten",
            "tcp",
            "-screen",
            "0",
            "640x480x24",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb");
    let mut line = String::new();
    let stdout = child.stdout.take().unwrap();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let display = format!(":{}", line.trim());
    assert!(line.trim().parse::<u32>().is_ok(), "Xvfb printed {line:?}");
    (Guard(child), display)
}

#[test]
fn x11_client_needs_x11_fragment() {
    if !installed("Xvfb") || !installed("xdpyinfo") {
        return;
    }
    let desktop = Desktop::new();
    let (_xvfb, display) = start_xvfb();
    let with = desktop.profile("with-x11.toml", &["desktop", "x11"], "");
    let without = desktop.profile("without-x11.toml", &["desktop"], "");

    let mut command = desktop.sandbox(&with, &["xdpyinfo"]);
    command.env("DISPLAY", &display);
    let reached = output_within(command, Duration::from_secs(30));
    let mut command = desktop.sandbox(&without, &["xdpyinfo"]);
    command.env("DISPLAY", &display);
    let refused = output_within(command, Duration::from_secs(30));

    assert!(reached.status.success(), "{}", show(&reached));
    assert!(
        String::from_utf8_lossy(&reached.stdout).contains("screen #0"),
        "{}",
        show(&reached)
    );
    assert!(!refused.status.success(), "{}", show(&refused));
    assert!(
        stderr(&refused).contains("unable to open display"),
        "{}",
        show(&refused)
    );
}

#[test]
fn wayland_client_needs_wayland_fragment() {
    if !installed("weston") || !installed("wayland-info") {
        return;
    }
    let desktop = Desktop::new();
    let socket = "wayland-sandbox-test";
    let weston = Command::new("weston")
        .args([
            "--backend=headless-backend.so",
            "--no-config",
            "--idle-time=0",
        ])
        .arg(format!("--socket={socket}"))
        .env("XDG_RUNTIME_DIR", &desktop.runtime)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start weston");
    let _weston = Guard(weston);
    wait_for_path(&desktop.runtime.join(socket));
    let with = desktop.profile("with-wayland.toml", &["desktop", "wayland"], "");
    let without = desktop.profile("without-wayland.toml", &["desktop"], "");

    let mut command = desktop.sandbox(&with, &["wayland-info"]);
    command.env("WAYLAND_DISPLAY", socket);
    let reached = output_within(command, Duration::from_secs(30));
    let mut command = desktop.sandbox(&without, &["wayland-info"]);
    command.env("WAYLAND_DISPLAY", socket);
    let refused = output_within(command, Duration::from_secs(30));

    assert!(reached.status.success(), "{}", show(&reached));
    assert!(
        String::from_utf8_lossy(&reached.stdout).contains("wl_compositor"),
        "{}",
        show(&reached)
    );
    assert!(!refused.status.success(), "{}", show(&refused));
    assert!(
        stderr(&refused).contains("failed to create display"),
        "{}",
        show(&refused)
    );
}

/// Starts a `dbus-test-tool echo` that owns `name` on the bus at `address`.
fn own_name(address: &str, name: &str) -> Guard {
    let owner = Command::new("dbus-test-tool")
        .args(["echo", &format!("--name={name}")])
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dbus-test-tool");
    let owner = Guard(owner);
    // The name is owned once NameHasOwner returns true.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let output = Command::new("gdbus")
            .args([
                "call",
                "--address",
                address,
                "--dest",
                "org.freedesktop.DBus",
            ])
            .args(["--object-path", "/org/freedesktop/DBus"])
            .args(["--method", "org.freedesktop.DBus.NameHasOwner", name])
            .output()
            .expect("run gdbus");
        if String::from_utf8_lossy(&output.stdout).contains("true") {
            return owner;
        }
        assert!(Instant::now() < deadline, "{name} was never owned");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Builds the arguments of a `gdbus` call that pings `name` on the session bus.
fn ping(name: &str) -> [&str; 8] {
    [
        "gdbus",
        "call",
        "--session",
        "--dest",
        name,
        "--object-path",
        "/",
        "--method=org.freedesktop.DBus.Peer.Ping",
    ]
}

#[test]
fn dbus_proxy_allows_listed_name_only() {
    if !installed("dbus-daemon") || !installed("xdg-dbus-proxy") || !installed("dbus-test-tool") {
        return;
    }
    let desktop = Desktop::new();
    let (_bus, address) = desktop.start_bus();
    let _allowed = own_name(&address, "org.example.Allowed");
    let _other = own_name(&address, "org.example.Other");
    let profile = desktop.profile(
        "dbus.toml",
        &["default", "dbus"],
        "[dbus]\ntalk = [\"org.example.Allowed\"]\n",
    );

    let mut command = desktop.sandbox(&profile, &ping("org.example.Allowed"));
    command.env("DBUS_SESSION_BUS_ADDRESS", &address);
    let allowed = output_within(command, Duration::from_secs(30));
    let mut command = desktop.sandbox(&profile, &ping("org.example.Other"));
    command.env("DBUS_SESSION_BUS_ADDRESS", &address);
    let refused = output_within(command, Duration::from_secs(30));

    assert!(allowed.status.success(), "{}", show(&allowed));
    assert!(!refused.status.success(), "{}", show(&refused));
    // The proxy hides names the profile does not list, so the bus reports no such service.
    assert!(
        stderr(&refused).contains("ServiceUnknown"),
        "{}",
        show(&refused)
    );
    // The proxy's folder went with the sandbox: only the scratch bus's own files are left.
    assert_eq!(desktop.runtime_entries(), Vec::<String>::new());
}

#[test]
fn dbus_socket_absent_without_fragment() {
    if !installed("dbus-daemon") || !installed("gdbus") {
        return;
    }
    let desktop = Desktop::new();
    let (_bus, address) = desktop.start_bus();
    let profile = desktop.profile("no-dbus.toml", &["default"], "");
    let script = "ls \"$XDG_RUNTIME_DIR\"/bus /run/user/*/bus 2>&1; \
                  gdbus call --session --dest org.freedesktop.DBus \
                  --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.ListNames";

    let mut command = desktop.sandbox(&profile, &["sh", "-c", script]);
    command.env("DBUS_SESSION_BUS_ADDRESS", &address);
    let output = output_within(command, Duration::from_secs(30));

    assert!(!output.status.success(), "{}", show(&output));
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("org.freedesktop.DBus"),
        "{}",
        show(&output)
    );
}

#[test]
fn dbus_without_proxy_program_exits_125() {
    if !installed("dbus-daemon") {
        return;
    }
    let desktop = Desktop::new();
    let (_bus, address) = desktop.start_bus();
    let profile = desktop.profile("dbus.toml", &["default", "dbus"], "");

    let mut command = desktop.sandbox(&profile, &["true"]);
    // A PATH without xdg-dbus-proxy, as on a machine that lacks the package.
    command
        .env("PATH", desktop.scratch.path())
        .env("DBUS_SESSION_BUS_ADDRESS", &address);
    let output = output_within(command, Duration::from_secs(30));

    assert_eq!(output.status.code(), Some(125), "{}", show(&output));
    assert!(
        stderr(&output).contains("xdg-dbus-proxy not found"),
        "{}",
        show(&output)
    );
    assert_eq!(desktop.runtime_entries(), Vec::<String>::new());
}
