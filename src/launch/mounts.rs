//! Filesystem steps: a fresh tmpfs root, the profile's mounts inside it, then pivot_root.
//!
//! Everything uses the file-descriptor mount API (open_tree, fsopen, fsmount, move_mount,
//! mount_setattr; Linux 5.12 or later), so each source and destination is pinned by a
//! descriptor and never looked up twice. Destinations are resolved with
//! `openat2(RESOLVE_IN_ROOT)` against the new root, so a symlink inside the sandbox can never
//! lead a mount out to the host.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, ResolveFlags, StatxFlags};
use rustix::mount::{
    FsMountFlags, FsOpenFlags, MountAttrFlags, MoveMountFlags, OpenTreeFlags, UnmountFlags,
};

use super::error::{SetupError, StepContext};
use super::sys;
use crate::profile::{Mount, MountKind};

/// Host folders the new root may be attached over until pivot_root, in order of preference.
/// The attachment hides the folder only inside the sandbox's own mount namespace, and every
/// bind source has been opened before it happens.
const ATTACH_POINTS: &[&str] = &["/tmp", "/mnt", "/run", "/var/tmp"];

/// Entries of a new proc that are bound read-only over themselves, as bubblewrap does. When
/// root runs sandbox, the target is uid 0 of the host, and file permissions alone, without any
/// capability, let it write global kernel settings such as kernel.core_pattern.
const PROC_READ_ONLY: &[&str] = &["sys", "sysrq-trigger", "irq", "bus"];

/// Folder of the root tmpfs that contains the content of `file` mounts during setup. It is
/// removed before the root becomes read-only.
const STAGING_DIR: &str = ".sandbox-staging";

/// Device nodes of the minimal /dev, bound from the host's /dev because an unprivileged user
/// namespace cannot create device nodes.
const DEVICE_NODES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

/// State of the filesystem steps while the new root is being built.
#[derive(Default)]
pub(crate) struct RootBuilder {
    /// Detached clones of the bind sources, by position in the profile's mount list; `None`
    /// for an optional source that is missing.
    sources: Vec<Option<SourceTree>>,
    /// The new root's tmpfs.
    root_tmpfs: Option<OwnedFd>,
    /// The top of the new root, where paths are resolved: the tmpfs, or a bind stacked on it
    /// by a mount with dest `/`.
    root: Option<OwnedFd>,
    /// The host folder the new root is attached over until pivot_root.
    attach_point: Option<PathBuf>,
    /// Mount ids of the tmpfs mounts the sandbox made: the only places where a mount point
    /// may be created, because anything else belongs to the host.
    owned_mounts: HashSet<u64>,
    /// A private tmpfs with the content of `file` mounts until they are bound in place.
    staging: Option<(OwnedFd, PathBuf)>,
    staged_files: usize,
}

struct SourceTree {
    tree: OwnedFd,
    is_dir: bool,
}

impl RootBuilder {
    /// Cuts mount propagation both ways between this namespace and the host's. A slave
    /// would keep receiving the host's mounts, and a mount made on the host below a bound
    /// source would then appear inside with the host's flags, writable under a ro-bind.
    pub(crate) fn private_propagation() -> Result<(), SetupError> {
        rustix::mount::mount_change(
            "/",
            rustix::mount::MountPropagationFlags::PRIVATE
                | rustix::mount::MountPropagationFlags::REC,
        )
        .step(|| "make / a recursive private mount".into())
    }

    /// Clones every bind source of `mounts` as a detached tree, with its mount attributes
    /// already set, in the order of the profile.
    pub(crate) fn open_bind_sources(&mut self, mounts: &[&Mount]) -> Result<(), SetupError> {
        for mount in mounts {
            let tree = match &mount.kind {
                MountKind::Bind {
                    source,
                    read_only,
                    devices,
                } => open_source(mount, source, *read_only, *devices)?,
                _ => None,
            };
            self.sources.push(tree);
        }
        Ok(())
    }

    /// Creates the new root: an empty tmpfs, attached over a host folder until pivot_root.
    pub(crate) fn new_root(&mut self) -> Result<(), SetupError> {
        let root = new_tmpfs(Some(0o755), None, MountAttrFlags::MOUNT_ATTR_NOSUID)
            .step(|| "create tmpfs for the new root".into())?;
        let attach = ATTACH_POINTS
            .iter()
            .find(|dir| Path::new(dir).is_dir())
            .ok_or_else(|| SetupError::Refused {
                step: format!(
                    "attach the new root: none of {} exists on the host",
                    ATTACH_POINTS.join(", ")
                ),
            })?;
        rustix::mount::move_mount(
            root.as_fd(),
            "",
            CWD,
            *attach,
            MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
        )
        .step(|| format!("attach the new root over {attach}"))?;
        self.owned_mounts
            .insert(mount_id(&root).step(|| "statx new root".into())?);
        self.root = Some(rustix::io::dup(&root).step(|| "duplicate root descriptor".into())?);
        self.root_tmpfs = Some(root);
        self.attach_point = Some(PathBuf::from(attach));
        Ok(())
    }

    /// Applies the `index`th mount of the profile.
    pub(crate) fn mount(&mut self, index: usize, mount: &Mount) -> Result<(), SetupError> {
        let dest = &mount.dest;
        match &mount.kind {
            MountKind::Bind { .. } => self.mount_bind(index, dest),
            MountKind::Tmpfs { size_bytes, mode } => {
                let fs = new_tmpfs(*mode, *size_bytes, MountAttrFlags::MOUNT_ATTR_NOSUID)
                    .step(|| format!("create tmpfs for {}", dest.display()))?;
                self.attach_owned(fs, dest, "tmpfs")
            }
            MountKind::Proc => self.mount_proc(dest),
            MountKind::Dev => self.mount_dev(dest),
            MountKind::Dir { mode } => {
                self.resolve_or_create(dest, Entry::Dir(mode.unwrap_or(0o755)))?;
                Ok(())
            }
            MountKind::Symlink { target } => self.create_symlink(dest, target),
            MountKind::File { content, mode } => self.mount_file(dest, content, *mode),
        }
    }

    fn mount_bind(&mut self, index: usize, dest: &Path) -> Result<(), SetupError> {
        let Some(source) = self.sources.get_mut(index).and_then(Option::take) else {
            log::debug!("skip optional bind on {}: source missing", dest.display());
            return Ok(());
        };
        let entry = if source.is_dir {
            Entry::Dir(0o755)
        } else {
            Entry::File(0o644)
        };
        let target = self.resolve_or_create(dest, entry)?;
        move_onto(&source.tree, &target).step(|| format!("bind mount on {}", dest.display()))?;
        if dest == Path::new("/") {
            // The bind now covers the tmpfs; later paths must start from the top mount, which
            // the attachment point leads to.
            let attach = self.attach_point.clone().unwrap_or_default();
            let top = rustix::fs::openat(
                CWD,
                &attach,
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .step(|| format!("open the new root at {}", attach.display()))?;
            self.root = Some(top);
        }
        Ok(())
    }

    fn mount_proc(&mut self, dest: &Path) -> Result<(), SetupError> {
        let fs = new_mount(
            "proc",
            &[],
            MountAttrFlags::MOUNT_ATTR_NOSUID
                | MountAttrFlags::MOUNT_ATTR_NODEV
                | MountAttrFlags::MOUNT_ATTR_NOEXEC,
        )
        .step(|| format!("mount proc on {}", dest.display()))?;
        let target = self.resolve_or_create(dest, Entry::Dir(0o555))?;
        move_onto(&fs, &target).step(|| format!("mount proc on {}", dest.display()))?;
        for entry in PROC_READ_ONLY {
            bind_read_only_over_itself(&fs, entry)
                .step(|| format!("make {}/{entry} read-only", dest.display()))?;
        }
        Ok(())
    }

    /// Builds a minimal /dev: the usual device nodes bound from the host, a new devpts
    /// instance, a tmpfs for shm, and the standard symlinks.
    fn mount_dev(&mut self, dest: &Path) -> Result<(), SetupError> {
        let shown = dest.display();
        let dev = new_tmpfs(
            Some(0o755),
            None,
            MountAttrFlags::MOUNT_ATTR_NOSUID | MountAttrFlags::MOUNT_ATTR_NOEXEC,
        )
        .step(|| format!("create tmpfs for {shown}"))?;
        bind_device_nodes(&dev, dest)?;

        mkdir(&dev, "pts", 0o755).step(|| format!("create {shown}/pts"))?;
        let pts = new_mount(
            "devpts",
            &[("ptmxmode", "0666"), ("mode", "0620")],
            MountAttrFlags::MOUNT_ATTR_NOSUID | MountAttrFlags::MOUNT_ATTR_NOEXEC,
        )
        .step(|| format!("mount devpts on {shown}/pts"))?;
        move_into(&pts, &dev, "pts").step(|| format!("mount devpts on {shown}/pts"))?;

        mkdir(&dev, "shm", 0o1777).step(|| format!("create {shown}/shm"))?;
        let shm = new_tmpfs(
            Some(0o1777),
            None,
            MountAttrFlags::MOUNT_ATTR_NOSUID | MountAttrFlags::MOUNT_ATTR_NODEV,
        )
        .step(|| format!("create tmpfs for {shown}/shm"))?;
        move_into(&shm, &dev, "shm").step(|| format!("mount tmpfs on {shown}/shm"))?;

        let links = [
            ("ptmx", "pts/ptmx"),
            ("fd", "/proc/self/fd"),
            ("stdin", "/proc/self/fd/0"),
            ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"),
        ];
        for (name, target) in links {
            rustix::fs::symlinkat(target, &dev, name)
                .step(|| format!("create symlink {shown}/{name}"))?;
        }
        self.attach_owned(dev, dest, "dev")
    }

    fn create_symlink(&mut self, dest: &Path, target: &Path) -> Result<(), SetupError> {
        let (parent, name) = split_parent(dest)?;
        let parent_fd = self.resolve_or_create(parent, Entry::Dir(0o755))?;
        self.require_owned(&parent_fd, dest)?;
        rustix::fs::symlinkat(target, &parent_fd, name)
            .step(|| format!("create symlink {} -> {}", dest.display(), target.display()))
    }

    /// Writes `content` to a file on the staging tmpfs and binds it read-only on `dest`.
    fn mount_file(
        &mut self,
        dest: &Path,
        content: &[u8],
        mode: Option<u32>,
    ) -> Result<(), SetupError> {
        let staging = self.staging_dir()?;
        self.staged_files += 1;
        let name = format!("{}", self.staged_files);
        let file = rustix::fs::openat(
            &staging,
            &name,
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode.unwrap_or(0o644)),
        )
        .step(|| format!("create content of {}", dest.display()))?;
        write_all(&file, content).step(|| format!("write content of {}", dest.display()))?;
        drop(file);
        let tree = rustix::mount::open_tree(
            &staging,
            &name,
            OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC,
        )
        .step(|| format!("clone content of {}", dest.display()))?;
        sys::mount_setattr(tree.as_fd(), false, sys::MOUNT_ATTR_RDONLY)
            .step(|| format!("make {} read-only", dest.display()))?;
        let target = self.resolve_or_create(dest, Entry::File(0o644))?;
        move_onto(&tree, &target).step(|| format!("mount file on {}", dest.display()))
    }

    /// Returns the staging tmpfs, creating it on first use at a hidden folder of the root
    /// tmpfs. The folder is made through the tmpfs's descriptor, never through a path, so it
    /// lands on the sandbox's own tmpfs even when a bind on `/` covers it.
    fn staging_dir(&mut self) -> Result<OwnedFd, SetupError> {
        if let Some((fd, _)) = &self.staging {
            return rustix::io::dup(fd).step(|| "duplicate staging descriptor".into());
        }
        let root_tmpfs = self.root_tmpfs()?;
        rustix::fs::mkdirat(&root_tmpfs, STAGING_DIR, Mode::from_raw_mode(0o700))
            .step(|| format!("create /{STAGING_DIR}"))?;
        let dir = rustix::fs::openat(
            &root_tmpfs,
            STAGING_DIR,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .step(|| format!("open /{STAGING_DIR}"))?;
        let fs = new_tmpfs(Some(0o700), None, MountAttrFlags::MOUNT_ATTR_NOSUID)
            .step(|| "create staging tmpfs".into())?;
        move_onto(&fs, &dir).step(|| "mount staging tmpfs".into())?;
        let copy = rustix::io::dup(&fs).step(|| "duplicate staging descriptor".into())?;
        self.staging = Some((fs, PathBuf::from(STAGING_DIR)));
        Ok(copy)
    }

    /// Detaches the staging tmpfs and makes the root tmpfs read-only. The bound files stay.
    pub(crate) fn read_only_root(&mut self) -> Result<(), SetupError> {
        let root_tmpfs = self.root_tmpfs()?;
        if let Some((staging, _)) = self.staging.take() {
            // umount2 takes a path. The descriptor's /proc link leads to the staging mount
            // itself, even where later mounts cover it for ordinary paths.
            let link = format!(
                "/proc/self/fd/{}",
                std::os::fd::AsRawFd::as_raw_fd(&staging)
            );
            rustix::mount::unmount(link.as_str(), UnmountFlags::DETACH)
                .step(|| "detach staging tmpfs".into())?;
            drop(staging);
            rustix::fs::unlinkat(&root_tmpfs, STAGING_DIR, AtFlags::REMOVEDIR)
                .step(|| format!("remove /{STAGING_DIR}"))?;
        }
        sys::mount_setattr(root_tmpfs.as_fd(), false, sys::MOUNT_ATTR_RDONLY)
            .step(|| "remount new root read-only".into())
    }

    /// Makes the new root the process's root and detaches the host's root below it.
    pub(crate) fn pivot_root(&mut self) -> Result<(), SetupError> {
        let root = self.root()?;
        rustix::process::fchdir(&root).step(|| "chdir into the new root".into())?;
        rustix::process::pivot_root(".", ".").step(|| "pivot_root".into())?;
        rustix::mount::unmount(".", UnmountFlags::DETACH).step(|| "detach the old root".into())?;
        rustix::process::chdir("/").step(|| "chdir /".into())?;
        self.sources.clear();
        self.root = None;
        self.root_tmpfs = None;
        Ok(())
    }

    fn root_tmpfs(&self) -> Result<OwnedFd, SetupError> {
        let tmpfs = self
            .root_tmpfs
            .as_ref()
            .ok_or_else(|| SetupError::Refused {
                step: "mount: the new root does not exist yet".into(),
            })?;
        rustix::io::dup(tmpfs).step(|| "duplicate root descriptor".into())
    }

    fn root(&self) -> Result<OwnedFd, SetupError> {
        let root = self.root.as_ref().ok_or_else(|| SetupError::Refused {
            step: "mount: the new root does not exist yet".into(),
        })?;
        rustix::io::dup(root).step(|| "duplicate root descriptor".into())
    }

    /// Attaches a mount the sandbox made itself and records it as a place where mount points
    /// may be created.
    fn attach_owned(&mut self, fs: OwnedFd, dest: &Path, kind: &str) -> Result<(), SetupError> {
        let target = self.resolve_or_create(dest, Entry::Dir(0o755))?;
        move_onto(&fs, &target).step(|| format!("mount {kind} on {}", dest.display()))?;
        let id = mount_id(&fs).step(|| format!("statx {}", dest.display()))?;
        self.owned_mounts.insert(id);
        Ok(())
    }

    /// Opens `dest` inside the new root, creating it (and missing parents) as `entry` when it
    /// does not exist. Creation happens only on tmpfs mounts of the sandbox.
    fn resolve_or_create(&self, dest: &Path, entry: Entry) -> Result<OwnedFd, SetupError> {
        let root = self.root()?;
        let relative = dest.strip_prefix("/").unwrap_or(dest);
        if relative.as_os_str().is_empty() {
            return Ok(root);
        }
        match open_in_root(&root, relative) {
            Ok(fd) => return Ok(fd),
            Err(rustix::io::Errno::NOENT) => {}
            Err(errno) => {
                return Err(errno).step(|| format!("open mount point {}", dest.display()));
            }
        }
        let (parent, name) = split_parent(dest)?;
        let parent_fd = self.resolve_or_create(parent, Entry::Dir(0o755))?;
        if let Ok(stat) = rustix::fs::statat(&parent_fd, name, AtFlags::SYMLINK_NOFOLLOW)
            && FileType::from_raw_mode(stat.st_mode) == FileType::Symlink
        {
            return Err(SetupError::Refused {
                step: format!(
                    "mount point {} is a symlink whose target does not exist inside the sandbox",
                    dest.display()
                ),
            });
        }
        self.require_owned(&parent_fd, dest)?;
        match entry {
            Entry::Dir(mode) => rustix::fs::mkdirat(&parent_fd, name, Mode::from_raw_mode(mode)),
            Entry::File(mode) => rustix::fs::openat(
                &parent_fd,
                name,
                OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::CLOEXEC,
                Mode::from_raw_mode(mode),
            )
            .map(drop),
        }
        .step(|| format!("create mount point {}", dest.display()))?;
        open_in_root(&root, relative).step(|| format!("open mount point {}", dest.display()))
    }

    fn require_owned(&self, parent: &OwnedFd, dest: &Path) -> Result<(), SetupError> {
        let id = mount_id(parent).step(|| format!("statx parent of {}", dest.display()))?;
        if self.owned_mounts.contains(&id) {
            return Ok(());
        }
        Err(SetupError::Refused {
            step: format!(
                "create mount point {}: its parent folder is bound from the host, and sandbox \
                 never creates files on the host; create it there, or mount a tmpfs or dir \
                 above it first",
                dest.display()
            ),
        })
    }
}

#[derive(Clone, Copy)]
enum Entry {
    Dir(u32),
    File(u32),
}

/// Clones the host path `source` (following symlinks) as a detached tree with the bind's
/// attributes set: read-only and nodev as asked, nosuid always.
fn open_source(
    mount: &Mount,
    source: &Path,
    read_only: bool,
    devices: bool,
) -> Result<Option<SourceTree>, SetupError> {
    log::trace!(
        "open_tree({}, OPEN_TREE_CLONE | AT_RECURSIVE)",
        source.display()
    );
    let opened = rustix::mount::open_tree(
        CWD,
        source,
        OpenTreeFlags::OPEN_TREE_CLONE
            | OpenTreeFlags::OPEN_TREE_CLOEXEC
            | OpenTreeFlags::AT_RECURSIVE,
    );
    let tree = match opened {
        Ok(tree) => tree,
        Err(rustix::io::Errno::NOENT) if mount.optional => {
            log::debug!("optional bind source {} is missing", source.display());
            return Ok(None);
        }
        Err(errno) => {
            return Err(errno)
                .step(|| format!("open bind source {} ({})", source.display(), mount.origin));
        }
    };
    let mut attrs = sys::MOUNT_ATTR_NOSUID;
    if read_only {
        attrs |= sys::MOUNT_ATTR_RDONLY;
    }
    if !devices {
        attrs |= sys::MOUNT_ATTR_NODEV;
    }
    log::trace!(
        "mount_setattr({}, AT_RECURSIVE, set {attrs:#x})",
        source.display()
    );
    sys::mount_setattr(tree.as_fd(), true, attrs)
        .step(|| format!("set mount attributes of {}", source.display()))?;
    let stat = rustix::fs::fstat(&tree).step(|| format!("stat {}", source.display()))?;
    let is_dir = FileType::from_raw_mode(stat.st_mode) == FileType::Directory;
    Ok(Some(SourceTree { tree, is_dir }))
}

/// Binds `entry` of the attached mount `parent` read-only over itself; an entry missing on this
/// kernel is skipped.
fn bind_read_only_over_itself(parent: &OwnedFd, entry: &str) -> std::io::Result<()> {
    let tree = match rustix::mount::open_tree(
        parent,
        entry,
        OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC,
    ) {
        Ok(tree) => tree,
        Err(rustix::io::Errno::NOENT) => return Ok(()),
        Err(errno) => return Err(errno.into()),
    };
    sys::mount_setattr(tree.as_fd(), false, sys::MOUNT_ATTR_RDONLY)?;
    move_into(&tree, parent, entry)?;
    Ok(())
}

/// Binds each of [`DEVICE_NODES`] from the host's /dev onto an empty file of the same name in
/// the detached tmpfs `dev`, which will be mounted at `dest`.
fn bind_device_nodes(dev: &OwnedFd, dest: &Path) -> Result<(), SetupError> {
    let shown = dest.display();
    for node in DEVICE_NODES {
        let host = Path::new("/dev").join(node);
        let tree = rustix::mount::open_tree(
            CWD,
            &host,
            OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC,
        )
        .step(|| format!("open {}", host.display()))?;
        rustix::fs::openat(
            dev,
            *node,
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o666),
        )
        .step(|| format!("create {shown}/{node}"))?;
        move_into(&tree, dev, node)
            .step(|| format!("bind {} on {shown}/{node}", host.display()))?;
    }
    Ok(())
}

/// Attaches the detached mount `tree` at `name` inside the mount `parent`.
fn move_into(tree: &OwnedFd, parent: &OwnedFd, name: &str) -> rustix::io::Result<()> {
    rustix::mount::move_mount(
        tree.as_fd(),
        "",
        parent.as_fd(),
        name,
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
    )
}

/// Creates a detached tmpfs mount.
fn new_tmpfs(
    mode: Option<u32>,
    size_bytes: Option<u64>,
    attrs: MountAttrFlags,
) -> rustix::io::Result<OwnedFd> {
    let mode = mode.map(|mode| format!("{mode:o}"));
    let size = size_bytes.map(|size| size.to_string());
    let mut options = Vec::new();
    if let Some(mode) = &mode {
        options.push(("mode", mode.as_str()));
    }
    if let Some(size) = &size {
        options.push(("size", size.as_str()));
    }
    new_mount("tmpfs", &options, attrs)
}

/// Creates a detached mount of a new filesystem instance of type `fs_type`.
fn new_mount(
    fs_type: &str,
    options: &[(&str, &str)],
    attrs: MountAttrFlags,
) -> rustix::io::Result<OwnedFd> {
    log::trace!("fsopen({fs_type:?}), fsconfig {options:?}, fsmount({attrs:?})");
    let context = rustix::mount::fsopen(fs_type, FsOpenFlags::FSOPEN_CLOEXEC)?;
    // The source only names the mount in /proc/self/mountinfo and the output of mount(8).
    rustix::mount::fsconfig_set_string(&context, "source", fs_type)?;
    for (key, value) in options {
        rustix::mount::fsconfig_set_string(&context, *key, *value)?;
    }
    rustix::mount::fsconfig_create(&context)?;
    rustix::mount::fsmount(&context, FsMountFlags::FSMOUNT_CLOEXEC, attrs)
}

fn move_onto(tree: &OwnedFd, target: &OwnedFd) -> rustix::io::Result<()> {
    log::trace!("move_mount(fd {tree:?}, fd {target:?})");
    rustix::mount::move_mount(
        tree.as_fd(),
        "",
        target.as_fd(),
        "",
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
    )
}

fn open_in_root(root: &OwnedFd, relative: &Path) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat2(
        root,
        relative,
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
    )
}

fn mount_id(fd: &OwnedFd) -> rustix::io::Result<u64> {
    let stat = rustix::fs::statx(fd, "", AtFlags::EMPTY_PATH, StatxFlags::MNT_ID)?;
    Ok(stat.stx_mnt_id)
}

/// Creates a folder; the launcher runs with umask 0 during setup, so `mode` is exact.
fn mkdir(parent: &OwnedFd, name: &str, mode: u32) -> rustix::io::Result<()> {
    rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(mode))
}

fn split_parent(dest: &Path) -> Result<(&Path, &OsStr), SetupError> {
    match (dest.parent(), dest.file_name()) {
        (Some(parent), Some(name)) => Ok((parent, name)),
        _ => Err(SetupError::Refused {
            step: format!("create {}: it has no parent folder", dest.display()),
        }),
    }
}

fn write_all(file: &OwnedFd, mut content: &[u8]) -> rustix::io::Result<()> {
    while !content.is_empty() {
        let written = rustix::io::write(file, content)?;
        content = &content[written..];
    }
    Ok(())
}
