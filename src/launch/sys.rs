//! The raw system calls that neither rustix nor nix wrap. Every `unsafe` block of the crate
//! lives here, each with the reason it is sound.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use nix::unistd::Pid;

/// `struct mount_attr` of linux/mount.h (MOUNT_ATTR_SIZE_VER0).
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

pub(crate) const MOUNT_ATTR_RDONLY: u64 = 0x1;
pub(crate) const MOUNT_ATTR_NOSUID: u64 = 0x2;
pub(crate) const MOUNT_ATTR_NODEV: u64 = 0x4;

/// Forks into new namespaces: `clone(flags | SIGCHLD)` without a new stack, which behaves like
/// fork(2). Returns the child's pid in the parent and `None` in the child.
pub(crate) fn clone_fork(namespace_flags: libc::c_int) -> io::Result<Option<Pid>> {
    let flags = (namespace_flags | libc::SIGCHLD) as libc::c_ulong;
    // SAFETY: with a null stack the child runs on a copy of the parent's stack, as after
    // fork(2). The launcher is single-threaded when it calls this (no thread is ever
    // started), so no lock can be held by a thread that does not exist in the child.
    let ret = unsafe { libc::syscall(libc::SYS_clone, flags, 0usize, 0usize, 0usize, 0usize) };
    match ret {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(None),
        pid => Ok(Some(Pid::from_raw(pid as libc::pid_t))),
    }
}

/// Opens /dev/null on each of the standard descriptors 0, 1 and 2 that is closed, and
/// ignores SIGPIPE, so that a write to a closed pipe returns EPIPE. Fails when /dev/null
/// cannot be opened.
///
/// Without the first, the next file `sandbox` opens would take the number, and output meant
/// for the terminal would land in it. Rust's own start-up does both, and `main` replaces it.
pub(crate) fn prepare_process() -> io::Result<()> {
    for fd in 0..=2 {
        // SAFETY: F_GETFD only reads the descriptor's flags.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            // SAFETY: the path is a valid C string. open returns the lowest free number,
            // which is `fd` because the lower ones are open.
            if unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) } == -1 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    // SAFETY: SIG_IGN runs no code in signal context.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    Ok(())
}

/// Closes descriptors 0, 1 and 2. Nothing may be printed afterwards.
pub(crate) fn close_standard_streams() {
    for fd in 0..=2 {
        // SAFETY: no Rust object owns the standard descriptors (Stdin, Stdout and Stderr
        // borrow them), and the caller writes nothing to them afterwards.
        unsafe { libc::close(fd) };
    }
}

/// Moves this process into a new network namespace of its own.
pub(crate) fn unshare_network() -> io::Result<()> {
    // SAFETY: the only flag is CLONE_NEWNET, which changes no state that Rust code holds;
    // the unsafety of unshare is about CLONE_FILES in multi-threaded programs.
    unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNET) }
        .map_err(io::Error::from)
}

/// Changes mount attributes of the mount (or with `recursive`, the tree) that `fd` refers to.
pub(crate) fn mount_setattr(fd: BorrowedFd<'_>, recursive: bool, set: u64) -> io::Result<()> {
    let attr = MountAttr {
        attr_set: set,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    let mut flags = libc::AT_EMPTY_PATH as libc::c_uint;
    if recursive {
        flags |= libc::AT_RECURSIVE as libc::c_uint;
    }
    // SAFETY: the path is a valid empty C string, and `attr` lives across the call with its
    // size passed alongside. The kernel only reads it.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            fd.as_raw_fd(),
            c"".as_ptr(),
            flags,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if ret == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A signal taken from the pending set, with whether the kernel itself sent it (a terminal's
/// Ctrl-C, SIGWINCH) rather than a process through kill(2).
pub(crate) struct PendingSignal {
    pub signal: libc::c_int,
    pub from_kernel: bool,
}

/// Waits for one of the signals in `set`, which the caller has blocked.
pub(crate) fn wait_signal(set: &nix::sys::signal::SigSet) -> io::Result<PendingSignal> {
    loop {
        // SAFETY: siginfo_t is plain data for which all zero bytes are a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` wraps a valid sigset_t and `info` is a writable siginfo_t.
        let ret = unsafe { libc::sigwaitinfo(set.as_ref(), &mut info) };
        if ret == -1 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        return Ok(PendingSignal {
            signal: ret,
            from_kernel: info.si_code == libc::SI_KERNEL,
        });
    }
}

/// The descriptors that [`wait_readable`] found readable (or hung up).
pub(crate) struct Readable {
    pub first: bool,
    pub second: bool,
    /// The timeout passed with neither ready.
    pub timed_out: bool,
}

/// Blocks until `first` or `second` is readable (or hung up), or `timeout` passes.
pub(crate) fn wait_readable(
    first: BorrowedFd<'_>,
    second: Option<BorrowedFd<'_>>,
    timeout: Option<std::time::Duration>,
) -> io::Result<Readable> {
    use rustix::event::{PollFd, PollFlags};
    let mut fds = vec![PollFd::new(&first, PollFlags::IN)];
    if let Some(second) = &second {
        fds.push(PollFd::new(second, PollFlags::IN));
    }
    let timeout = timeout.map(|timeout| rustix::time::Timespec {
        tv_sec: timeout.as_secs() as i64,
        tv_nsec: timeout.subsec_nanos().into(),
    });
    let ready = loop {
        match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Ok(ready) => break ready,
            Err(rustix::io::Errno::INTR) => continue,
            Err(errno) => return Err(errno.into()),
        }
    };
    Ok(Readable {
        first: !fds[0].revents().is_empty(),
        second: fds.get(1).is_some_and(|fd| !fd.revents().is_empty()),
        timed_out: ready == 0,
    })
}

/// Sets FD_CLOEXEC on every descriptor from `first` to `last` inclusive.
pub(crate) fn close_range_on_exec(first: u32, last: u32) -> io::Result<()> {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only changes descriptor flags; it frees
    // no memory and closes nothing that Rust code could still own.
    let ret = unsafe { libc::close_range(first, last, libc::CLOSE_RANGE_CLOEXEC as libc::c_int) };
    if ret == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sets IFF_UP on the loopback interface of the current network namespace.
pub(crate) fn loopback_up() -> io::Result<()> {
    // SAFETY: socket(2) takes no pointers; the result is checked before it is wrapped.
    let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if raw == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a new descriptor that nothing else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: ifreq is plain data for which all zero bytes are a valid value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (slot, byte) in request.ifr_name.iter_mut().zip(b"lo\0") {
        *slot = *byte as libc::c_char;
    }
    // SAFETY: `request` is a valid ifreq naming "lo"; SIOCGIFFLAGS writes its flags field.
    if unsafe { libc::ioctl(socket.as_fd().as_raw_fd(), libc::SIOCGIFFLAGS, &mut request) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: SIOCGIFFLAGS filled the flags member of the union, so reading it is defined.
    unsafe {
        request.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
    }
    // SAFETY: `request` is a valid ifreq; SIOCSIFFLAGS only reads it.
    if unsafe { libc::ioctl(socket.as_fd().as_raw_fd(), libc::SIOCSIFFLAGS, &request) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Installs `action` for `signal`.
pub(crate) fn set_signal_action(
    signal: nix::sys::signal::Signal,
    action: &nix::sys::signal::SigAction,
) -> nix::Result<()> {
    // SAFETY: the only actions passed here are SIG_DFL and SIG_IGN, which run no code in
    // signal context.
    unsafe { nix::sys::signal::sigaction(signal, action) }.map(drop)
}

/// Clears FD_CLOEXEC on `fd`; fails with EBADF when `fd` is not open.
pub(crate) fn clear_close_on_exec(fd: libc::c_int) -> io::Result<()> {
    // SAFETY: F_GETFD and F_SETFD only read and change descriptor flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Drops the resident pages of every read-only, file-backed segment of the program and its
/// shared libraries (code and constants) from this process's page tables.
///
/// The launcher calls this once the sandbox has run for a moment and it only waits. Parsing
/// the profile and compiling filters touched most of the binary, and those pages would
/// otherwise count in its resident set for as long as the target runs. Pages it still runs fault back in from the
/// page cache. Writable segments are left alone, because MADV_DONTNEED would discard their
/// changes (relocations, data).
pub(crate) fn release_read_only_segments() {
    unsafe extern "C" fn visit(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        _data: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: dl_iterate_phdr passes a valid dl_phdr_info for the duration of the call,
        // whose dlpi_phdr points at dlpi_phnum program headers.
        let info = unsafe { &*info };
        // SAFETY: as above.
        let headers = unsafe { std::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum.into()) };
        let page = 4096usize;
        for header in headers {
            if header.p_type != libc::PT_LOAD || header.p_flags & libc::PF_W != 0 {
                continue;
            }
            let start = info.dlpi_addr as usize + header.p_vaddr as usize;
            let end = start + header.p_memsz as usize;
            let aligned = start & !(page - 1);
            // SAFETY: the range lies in a read-only mapping of this object that stays mapped;
            // MADV_DONTNEED on unmodified file-backed pages only drops them from the page
            // tables, and the next access reads the same bytes back from the file.
            unsafe {
                libc::madvise(
                    aligned as *mut libc::c_void,
                    end - aligned,
                    libc::MADV_DONTNEED,
                );
            }
        }
        0
    }
    // SAFETY: `visit` matches the callback type and does not unwind; the data pointer is unused.
    unsafe {
        libc::dl_iterate_phdr(Some(visit), std::ptr::null_mut());
    }
}

/// A child that ended, as waitpid reported it.
pub(crate) struct Ended {
    pub pid: libc::pid_t,
    /// The shell's convention: the exit code, or 128+N after signal N.
    pub code: u8,
}

/// Reaps one child that has ended, without blocking; `Ok(None)` when none has (or there is
/// no child at all).
///
/// The raw status is decoded here rather than through nix, whose `Signal` type has no value
/// for real-time signals and turns a child killed by one into an error.
pub(crate) fn reap_one() -> io::Result<Option<Ended>> {
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: `status` is a valid, writable int for the duration of the call.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid == -1 {
            let err = io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::ECHILD) => return Ok(None),
                _ => return Err(err),
            }
        }
        if pid == 0 {
            return Ok(None);
        }
        let code = if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status) as u8
        } else if libc::WIFSIGNALED(status) {
            128u8.wrapping_add(libc::WTERMSIG(status) as u8)
        } else {
            // Stopped or continued children are not reported without WUNTRACED/WCONTINUED.
            continue;
        };
        return Ok(Some(Ended { pid, code }));
    }
}

/// Fails with EBADF when `fd` is not an open descriptor.
pub(crate) fn check_open(fd: libc::c_int) -> io::Result<()> {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
