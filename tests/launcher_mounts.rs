//! Integration tests of the sandbox's filesystem: what each mount type shows, what is
//! read-only, what stays hidden, and that building the sandbox never writes to the host.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::process::shell_status;
use common::{BASE_MOUNTS, Scratch, run_profile, show, stderr, stdout, toml_string};

/// Writes `profile.toml` into `scratch`: the base mounts, then `tail`.
fn write_profile(scratch: &Scratch, tail: &str) -> PathBuf {
    scratch.write("profile.toml", &format!("{BASE_MOUNTS}\n{tail}"))
}

/// Returns a `[[mount]]` table of `kind` from `source` (a host path) to `dest`.
fn bind(kind: &str, source: &Path, dest: &str) -> String {
    let source = toml_string(source.to_str().unwrap());
    let dest = toml_string(dest);
    format!("\n[[mount]]\ntype = \"{kind}\"\nsource = {source}\ndest = {dest}\n")
}

/// Creates the folder `scratch/NAME` with the file `file` in it, and returns the folder.
fn host_folder(scratch: &Scratch, name: &str) -> PathBuf {
    let dir = scratch.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("file"), "host content\n").unwrap();
    dir
}

/// Lists the names in a host folder.
fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn ro_bind_rejects_writes() {
    let scratch = Scratch::new();
    let data = host_folder(&scratch, "data");
    let profile = write_profile(&scratch, &bind("ro-bind", &data, "/data"));

    let script = "cat /data/file; \
                  touch /data/new; echo x >> /data/file; rm /data/file; mkdir /data/dir";
    let out = run_profile(&profile, &["sh", "-c", script]);

    assert_eq!(stdout(&out), "host content\n", "{}", show(&out));
    let errors = stderr(&out);
    assert_eq!(errors.lines().count(), 4, "{}", show(&out));
    for line in errors.lines() {
        assert!(line.contains("Read-only file system"), "{}", show(&out));
    }
    assert_eq!(entries(&data), BTreeSet::from(["file".to_string()]));
    assert_eq!(
        std::fs::read_to_string(data.join("file")).unwrap(),
        "host content\n"
    );
}

#[test]
fn bind_allows_writes_to_host() {
    let scratch = Scratch::new();
    let data = host_folder(&scratch, "data");
    let profile = write_profile(&scratch, &bind("bind", &data, "/data"));

    let out = run_profile(&profile, &["sh", "-c", "echo inside > /data/new"]);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(data.join("new")).unwrap(),
        "inside\n"
    );
}

#[test]
fn root_is_read_only() {
    let scratch = Scratch::new();
    let profile = write_profile(&scratch, "");

    let out = run_profile(
        &profile,
        &["sh", "-c", "touch /new-file; mkdir /new-dir; ls /"],
    );

    let errors = stderr(&out);
    assert_eq!(errors.lines().count(), 2, "{}", show(&out));
    for line in errors.lines() {
        assert!(line.contains("Read-only file system"), "{}", show(&out));
    }
    assert!(!stdout(&out).contains("new-"), "{}", show(&out));
}

#[test]
fn tmpfs_is_writable_with_size_and_mode() {
    // (size in the profile, expected bytes, mode in the profile, expected mode)
    let cases = [
        ("\"1M\"", 1 << 20, "\"0700\"", "700"),
        ("524288", 512 << 10, "\"1777\"", "1777"),
        ("\"2m\"", 2 << 20, "\"755\"", "755"),
    ];
    for (size, bytes, mode, expected_mode) in cases {
        let scratch = Scratch::new();
        let tail = format!(
            "[[mount]]\ntype = \"tmpfs\"\ndest = \"/space\"\nsize = {size}\nmode = {mode}\n"
        );
        let profile = write_profile(&scratch, &tail);
        // Writes half the size, then twice the size, which must fail with ENOSPC.
        let script = format!(
            "stat -c %a /space; stat -f -c '%b %S' /space; \
             head -c {half} /dev/zero > /space/half && echo half-written; \
             head -c {double} /dev/zero > /space/double || echo double-failed",
            half = bytes / 2,
            double = bytes * 2
        );

        let out = run_profile(&profile, &["sh", "-c", &script]);

        let case = format!("size {size}, mode {mode}: {}", show(&out));
        assert_eq!(shell_status(out.status), 0, "{case}");
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.first(), Some(&expected_mode), "{case}");
        let blocks: Vec<u64> = (lines.get(1).unwrap_or(&""))
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(blocks.iter().product::<u64>(), bytes, "{case}");
        assert_eq!(lines.get(2), Some(&"half-written"), "{case}");
        assert_eq!(lines.get(3), Some(&"double-failed"), "{case}");
        assert!(stderr(&out).contains("No space left on device"), "{case}");
    }
}

#[test]
fn unbound_host_paths_are_absent() {
    let scratch = Scratch::new();
    let bound = host_folder(&scratch, "bound");
    let unbound = host_folder(&scratch, "unbound");
    let tail = bind("ro-bind", &bound, bound.to_str().unwrap());
    let profile = write_profile(&scratch, &tail);
    let script = format!(
        "for path in {bound}/file {unbound} {unbound}/file /home /root /var /work {profile}; do \
         [ -e \"$path\" ] && echo \"present $path\" || echo \"absent $path\"; done; ls /",
        bound = bound.display(),
        unbound = unbound.display(),
        profile = profile.display()
    );

    let out = run_profile(&profile, &["sh", "-c", &script]);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    let present = format!("present {}/file", bound.display());
    assert_eq!(lines.next(), Some(present.as_str()), "{}", show(&out));
    for line in lines.by_ref().take(7) {
        assert!(line.starts_with("absent "), "{}", show(&out));
    }
    let root: BTreeSet<&str> = lines.collect();
    let mut expected = BTreeSet::from(["bin", "dev", "etc", "lib", "proc", "sbin", "tmp", "usr"]);
    if Path::new("/lib64").exists() {
        expected.insert("lib64");
    }
    assert_eq!(root, expected, "{}", show(&out));
}

#[test]
fn bind_follows_host_symlink() {
    let scratch = Scratch::new();
    let real = host_folder(&scratch, "real");
    let link = scratch.path().join("link");
    std::os::unix::fs::symlink("real", &link).unwrap();
    // The second bind has no dest, so the link's own path is the dest.
    let tail = format!(
        "{}\n[[mount]]\ntype = \"ro-bind\"\nsource = {}\n",
        bind("ro-bind", &link, "/data"),
        toml_string(link.to_str().unwrap())
    );
    let profile = write_profile(&scratch, &tail);
    let script = format!(
        "for path in /data {link}; do \
         [ -d \"$path\" ] && [ ! -L \"$path\" ] && echo directory || echo other; \
         cat \"$path/file\"; done; \
         [ -e {real} ] && echo real-present || echo real-absent",
        link = link.display(),
        real = real.display()
    );

    let out = run_profile(&profile, &["sh", "-c", &script]);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let expected = "directory\nhost content\ndirectory\nhost content\nreal-absent\n";
    assert_eq!(stdout(&out), expected, "{}", show(&out));
}

#[test]
fn optional_missing_source_is_skipped() {
    let scratch = Scratch::new();
    let missing = scratch.path().join("missing");
    let tail = format!("{}optional = true\n", bind("bind", &missing, "/optional"));
    let profile = write_profile(&scratch, &tail);

    let out = run_profile(
        &profile,
        &[
            "sh",
            "-c",
            "[ -e /optional ] && echo present || echo absent",
        ],
    );

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    assert_eq!(stdout(&out), "absent\n", "{}", show(&out));
}

#[test]
fn missing_source_fails_naming_it() {
    let scratch = Scratch::new();
    let missing = scratch.path().join("missing");
    let marker = scratch.path().join("ran");
    let profile = write_profile(&scratch, &bind("bind", &missing, "/required"));

    let out = run_profile(&profile, &["touch", marker.to_str().unwrap()]);

    assert_eq!(shell_status(out.status), 125, "{}", show(&out));
    let message = stderr(&out);
    assert!(
        message.contains(missing.to_str().unwrap()),
        "{}",
        show(&out)
    );
    assert!(message.contains("ENOENT"), "{}", show(&out));
    // The table's location in the profile: the base mounts come first.
    let location = format!("{}:", profile.display());
    assert!(message.contains(&location), "{}", show(&out));
    assert_eq!(message.lines().count(), 1, "{}", show(&out));
    assert!(!marker.exists(), "the command ran");
}

#[test]
fn mount_through_symlink_mount_rejected() {
    let scratch = Scratch::new();
    // A symlink mount to /etc, then a mount through it: validation rejects the second.
    let tail = "[[mount]]\ntype = \"tmpfs\"\ndest = \"/work-area\"\n\n\
                [[mount]]\ntype = \"symlink\"\ndest = \"/work-area/etc\"\ntarget = \"/etc\"\n\n\
                [[mount]]\ntype = \"dir\"\ndest = \"/work-area/etc/sandbox-test-dir\"\n";
    let profile = write_profile(&scratch, tail);

    let out = run_profile(&profile, &["true"]);

    assert_eq!(shell_status(out.status), 125, "{}", show(&out));
    let message = stderr(&out);
    assert!(message.contains("mount.dest"), "{}", show(&out));
    assert!(
        message.contains(&format!("{}:", profile.display())),
        "{}",
        show(&out)
    );
    assert!(!Path::new("/etc/sandbox-test-dir").exists());
}

#[test]
fn dest_symlink_resolves_inside_sandbox() {
    let scratch = Scratch::new();
    // `outside` exists on the host, and the bound folder `data` links to it by absolute path.
    // Inside, a `dir` mount makes `outside` an empty folder of the sandbox's /tmp tmpfs, so
    // the mounts through the link must land there and never in the host's folder.
    let outside = scratch.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let data = host_folder(&scratch, "data");
    std::os::unix::fs::symlink(&outside, data.join("link")).unwrap();
    let tail = format!(
        "[[mount]]\ntype = \"dir\"\ndest = {}\n{}\n\
         [[mount]]\ntype = \"dir\"\ndest = \"/data/link/made\"\n\n\
         [[mount]]\ntype = \"file\"\ndest = \"/data/link/file\"\ncontent = \"sandbox\"\n",
        toml_string(outside.to_str().unwrap()),
        bind("bind", &data, "/data")
    );
    let profile = write_profile(&scratch, &tail);
    let script = format!(
        "[ -d {outside}/made ] && echo made-inside; cat {outside}/file; echo",
        outside = outside.display()
    );

    let out = run_profile(&profile, &["sh", "-c", &script]);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    assert_eq!(stdout(&out), "made-inside\nsandbox\n", "{}", show(&out));
    assert!(entries(&outside).is_empty(), "{:?}", entries(&outside));
    assert_eq!(
        entries(&data),
        BTreeSet::from(["file".into(), "link".into()])
    );
}

#[test]
fn dest_through_dangling_symlink_fails() {
    let scratch = Scratch::new();
    // The link's target exists on the host but not inside the sandbox.
    let outside = scratch.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let data = host_folder(&scratch, "data");
    std::os::unix::fs::symlink(&outside, data.join("link")).unwrap();
    let tail = format!(
        "{}\n[[mount]]\ntype = \"dir\"\ndest = \"/data/link/made\"\n",
        bind("bind", &data, "/data")
    );
    let profile = write_profile(&scratch, &tail);

    let out = run_profile(&profile, &["true"]);

    assert_eq!(shell_status(out.status), 125, "{}", show(&out));
    assert!(stderr(&out).contains("/data/link"), "{}", show(&out));
    assert!(entries(&outside).is_empty(), "{:?}", entries(&outside));
    assert_eq!(
        entries(&data),
        BTreeSet::from(["file".into(), "link".into()])
    );
}

#[test]
fn failed_setup_never_runs_command() {
    // The target is forked before init builds the mounts. When a mount fails, the target
    // must end without running the command, and only init's error is printed.
    let scratch = Scratch::new();
    let data = host_folder(&scratch, "data");
    std::os::unix::fs::symlink(scratch.path().join("missing"), data.join("link")).unwrap();
    let tail = format!(
        "{}
[[mount]]
type = \"dir\"\ndest = \"/data/link/made\"\n",
        bind("bind", &data, "/data")
    );
    let profile = write_profile(&scratch, &tail);

    let out = run_profile(&profile, &["sh", "-c", "touch /data/ran"]);

    assert_eq!(shell_status(out.status), 125, "{}", show(&out));
    assert!(
        !data.join("ran").exists(),
        "the command ran: {}",
        show(&out)
    );
    let errors = stderr(&out)
        .lines()
        .filter(|l| l.starts_with("sandbox:"))
        .count();
    assert_eq!(errors, 1, "{}", show(&out));
}

#[test]
fn mount_point_never_created_on_host() {
    let scratch = Scratch::new();
    let data = host_folder(&scratch, "data");
    let source_file = scratch.path().join("source-file");
    std::fs::write(&source_file, "x").unwrap();
    let source_dir = host_folder(&scratch, "source-dir");
    // Each mount's dest lies in the writable host bind at /data and does not exist there.
    let cases = [
        "[[mount]]\ntype = \"tmpfs\"\ndest = \"/data/new\"\n".to_string(),
        "[[mount]]\ntype = \"dir\"\ndest = \"/data/new\"\n".to_string(),
        "[[mount]]\ntype = \"file\"\ndest = \"/data/new\"\ncontent = \"x\"\n".to_string(),
        "[[mount]]\ntype = \"symlink\"\ndest = \"/data/new\"\ntarget = \"/usr\"\n".to_string(),
        "[[mount]]\ntype = \"tmpfs\"\ndest = \"/data/new/deeper\"\n".to_string(),
        bind("ro-bind", &source_file, "/data/new"),
        bind("ro-bind", &source_dir, "/data/new"),
    ];
    for case in cases {
        let tail = format!("{}\n{case}", bind("bind", &data, "/data"));
        let profile = write_profile(&scratch, &tail);

        let out = run_profile(&profile, &["true"]);

        assert_eq!(shell_status(out.status), 125, "{case}: {}", show(&out));
        let message = stderr(&out);
        assert!(
            message.contains("create mount point /data/new"),
            "{case}: {}",
            show(&out)
        );
        assert!(
            message.contains("bound from the host"),
            "{case}: {}",
            show(&out)
        );
        assert_eq!(entries(&data), BTreeSet::from(["file".into()]), "{case}");
    }
}

#[test]
fn mount_on_existing_host_path_leaves_it_unchanged() {
    let scratch = Scratch::new();
    let data = host_folder(&scratch, "data");
    std::fs::create_dir(data.join("existing")).unwrap();
    let tail = format!(
        "{}\n[[mount]]\ntype = \"tmpfs\"\ndest = \"/data/existing\"\n",
        bind("bind", &data, "/data")
    );
    let profile = write_profile(&scratch, &tail);

    let out = run_profile(
        &profile,
        &["sh", "-c", "touch /data/existing/inside && echo ok"],
    );

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    assert_eq!(stdout(&out), "ok\n", "{}", show(&out));
    assert!(entries(&data.join("existing")).is_empty());
}

#[test]
fn file_mount_has_content_and_mode() {
    let scratch = Scratch::new();
    let tail = "[[mount]]\ntype = \"file\"\ndest = \"/conf/app.conf\"\n\
                content = \"key = value\\n\"\nmode = \"0640\"\n\n\
                [[mount]]\ntype = \"file\"\ndest = \"/tmp/default-mode\"\ncontent = \"\"\n";
    let profile = write_profile(&scratch, tail);
    let script = "cat /conf/app.conf; stat -c %a /conf/app.conf /tmp/default-mode; \
                  stat -c %s /tmp/default-mode; echo changed > /conf/app.conf; \
                  echo changed > /tmp/default-mode";

    let out = run_profile(&profile, &["sh", "-c", script]);

    assert_eq!(stdout(&out), "key = value\n640\n644\n0\n", "{}", show(&out));
    let errors = stderr(&out);
    assert_eq!(errors.lines().count(), 2, "{}", show(&out));
    for line in errors.lines() {
        assert!(line.contains("Read-only file system"), "{}", show(&out));
    }
}

#[test]
fn dir_mount_has_mode() {
    let scratch = Scratch::new();
    let tail = "[[mount]]\ntype = \"dir\"\ndest = \"/made/deep\"\nmode = \"0750\"\n\n\
                [[mount]]\ntype = \"dir\"\ndest = \"/tmp/in-tmpfs\"\n";
    let profile = write_profile(&scratch, tail);
    let script = "stat -c %a /made /made/deep /tmp/in-tmpfs; \
                  touch /tmp/in-tmpfs/file && echo tmpfs-writable; touch /made/deep/file";

    let out = run_profile(&profile, &["sh", "-c", script]);

    assert_eq!(
        stdout(&out),
        "755\n750\n755\ntmpfs-writable\n",
        "{}",
        show(&out)
    );
    assert!(
        stderr(&out).contains("Read-only file system"),
        "{}",
        show(&out)
    );
}

#[test]
fn symlink_mount_points_to_target() {
    let scratch = Scratch::new();
    let tail = "[[mount]]\ntype = \"symlink\"\ndest = \"/tmp/absolute\"\ntarget = \"/usr\"\n\n\
                [[mount]]\ntype = \"symlink\"\ndest = \"/links/relative\"\ntarget = \"../etc\"\n";
    let profile = write_profile(&scratch, tail);
    let script = "readlink /tmp/absolute /links/relative; \
                  [ -x /tmp/absolute/bin/sh ] && echo absolute-resolves; \
                  [ -f /links/relative/passwd ] && echo relative-resolves";

    let out = run_profile(&profile, &["sh", "-c", script]);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let expected = "/usr\n../etc\nabsolute-resolves\nrelative-resolves\n";
    assert_eq!(stdout(&out), expected, "{}", show(&out));
}

#[test]
fn dest_symlink_to_etc_stays_inside() {
    let scratch = Scratch::new();
    let data = host_folder(&scratch, "data");
    std::os::unix::fs::symlink("/etc", data.join("etc-link")).unwrap();
    let created = "sandbox-test-made-through-link";
    // The sandbox's /etc is a tmpfs of its own, so a mount point may be created in it.
    let tail = format!(
        "[[mount]]\ntype = \"tmpfs\"\ndest = \"/etc\"\n{}\n\
         [[mount]]\ntype = \"dir\"\ndest = \"/data/etc-link/{created}\"\n",
        bind("bind", &data, "/data")
    );
    let mut text = String::new();
    for system in ["/usr", "/bin", "/lib"] {
        text.push_str(&bind("ro-bind", Path::new(system), system));
    }
    text.push_str(&bind("ro-bind", Path::new("/lib64"), "/lib64"));
    text.push_str("optional = true\n");
    text.push_str(&tail);
    let profile = scratch.write("profile.toml", &text);
    let host_created = Path::new("/etc").join(created);

    let out = run_profile(
        &profile,
        &["sh", "-c", &format!("ls /etc; [ -d /etc/{created} ]")],
    );

    let escaped = host_created.exists();
    if escaped {
        let _ = std::fs::remove_dir(&host_created);
    }
    assert!(
        !escaped,
        "the mount through the link created {}",
        host_created.display()
    );
    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    assert_eq!(stdout(&out), format!("{created}\n"), "{}", show(&out));
}

/// Python that enters a new user and mount namespace of its own, then tries to make the
/// sandbox's read-only mounts writable or to unmount them. It maps only its own ids and does
/// not execute anything, so it keeps every capability in the new namespace. Prints one
/// `ACTION: RESULT` line for each attempt.
const UNLOCK_MOUNTS: &str = r#"
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x00020000
MS_REMOUNT, MS_BIND, MNT_DETACH = 32, 4096, 2

def result(code):
    return "ok" if code == 0 else os.strerror(ctypes.get_errno())

uid, gid = os.getuid(), os.getgid()
print("unshare:", result(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS)))
open("/proc/self/setgroups", "w").write("deny")
open("/proc/self/uid_map", "w").write(f"{uid} {uid} 1")
open("/proc/self/gid_map", "w").write(f"{gid} {gid} 1")
for path in ["/data", "/", "/conf"]:
    remount = libc.mount(None, path.encode(), None, MS_REMOUNT | MS_BIND, None)
    print(f"remount {path} read-write:", result(remount))
for path in ["/data", "/conf"]:
    print(f"unmount {path}:", result(libc.umount2(path.encode(), MNT_DETACH)))
print("mount tmpfs on /tmp:", result(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, None)))
try:
    open("/data/written", "w")
    print("write /data: ok")
except OSError as error:
    print("write /data:", error.strerror)
"#;

#[test]
fn nested_namespace_cannot_unlock_mounts() {
    let scratch = Scratch::new();
    let data = host_folder(&scratch, "data");
    // A non-root uid inside, because mapping uid 0 of a nested user namespace needs
    // CAP_SETFCAP, which the target does not have. The seccomp baseline would stop the
    // nested namespace and the mount calls first, so it is turned off and this test checks
    // the kernel's locking of the mounts alone.
    let tail = format!(
        "{}\n[[mount]]\ntype = \"file\"\ndest = \"/conf\"\ncontent = \"x\"\n\n\
         [process]\nuid = 1000\ngid = 1000\n\n\
         [seccomp.baseline]\nnamespaces = false\nmount_api = false\n",
        bind("ro-bind", &data, "/data")
    );
    let profile = write_profile(&scratch, &tail);

    let out = run_profile(&profile, &["/usr/bin/python3", "-c", UNLOCK_MOUNTS]);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let expected = "unshare: ok\n\
                    remount /data read-write: Operation not permitted\n\
                    remount / read-write: Operation not permitted\n\
                    remount /conf read-write: Operation not permitted\n\
                    unmount /data: Invalid argument\n\
                    unmount /conf: Invalid argument\n\
                    mount tmpfs on /tmp: ok\n\
                    write /data: Read-only file system\n";
    assert_eq!(stdout(&out), expected, "{}", show(&out));
    assert_eq!(entries(&data), BTreeSet::from(["file".into()]));
}

#[test]
fn proc_kernel_settings_read_only() {
    let scratch = Scratch::new();
    let profile = write_profile(&scratch, "");
    // Only access(2) is asked, so nothing is written even where the check fails. Run by root,
    // the target is uid 0 of the host, which file permissions alone let write most sysctls.
    let script = "for path in /proc/sys/kernel/panic /proc/sys/kernel/core_pattern \
                  /proc/sys/vm/drop_caches /proc/sysrq-trigger; do \
                  [ -w \"$path\" ] && echo \"writable $path\"; done; \
                  cat /proc/sys/kernel/ostype; \
                  grep ' /proc/sys ' /proc/self/mountinfo | cut -d' ' -f5,6";

    let out = run_profile(&profile, &["sh", "-c", script]);

    assert_eq!(shell_status(out.status), 0, "{}", show(&out));
    let text = stdout(&out);
    assert!(!text.contains("writable"), "{}", show(&out));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("Linux"), "{}", show(&out));
    let sys_mount = lines.next().unwrap_or("");
    let options = sys_mount.split_once(' ').map_or("", |(_, options)| options);
    assert!(options.split(',').any(|o| o == "ro"), "{}", show(&out));
}

#[test]
fn bind_of_single_file() {
    let scratch = Scratch::new();
    let source = scratch.write("source.conf", "from the host\n");
    let tail = format!(
        "{}{}",
        bind("ro-bind", &source, "/conf/read-only.conf"),
        bind("bind", &source, "/tmp/writable.conf")
    );
    let profile = write_profile(&scratch, &tail);
    let script = "cat /conf/read-only.conf; echo changed >> /conf/read-only.conf; \
                  [ -f /conf/read-only.conf ] && echo regular-file; \
                  echo appended >> /tmp/writable.conf";

    let out = run_profile(&profile, &["sh", "-c", script]);

    assert_eq!(
        stdout(&out),
        "from the host\nregular-file\n",
        "{}",
        show(&out)
    );
    assert!(
        stderr(&out).contains("Read-only file system"),
        "{}",
        show(&out)
    );
    let host = std::fs::read_to_string(&source).unwrap();
    assert_eq!(host, "from the host\nappended\n");
}

#[test]
fn devices_work_only_through_dev_bind() {
    let scratch = Scratch::new();
    let null = Path::new("/dev/null");
    let tail = format!(
        "{}{}",
        bind("dev-bind", null, "/dev-bind-null"),
        bind("bind", null, "/bind-null")
    );
    let profile = write_profile(&scratch, &tail);
    // Outside the sticky /tmp, where the kernel rejects an O_CREAT open of another user's
    // device whatever the mount says.
    let script = "echo x > /dev-bind-null && echo dev-bind-writes; \
                  echo x > /bind-null || echo bind-refused";

    let out = run_profile(&profile, &["sh", "-c", script]);

    assert_eq!(
        stdout(&out),
        "dev-bind-writes\nbind-refused\n",
        "{}",
        show(&out)
    );
    assert!(stderr(&out).contains("Permission denied"), "{}", show(&out));
}
