//! Launch stage: walks a plan's steps in order. The launcher process runs the first step,
//! which forks the sandboxed child; the child runs the rest and ends by executing the target.
//!
//! Every step is one function call that either succeeds or returns a [`SetupError`] naming
//! the step. In the child such an error ends the child with exit status 125 before the target
//! runs, so a sandbox is never left half built.

mod error;
mod exec;
mod host;
mod identity;
mod mounts;
mod process;
mod sys;

pub(crate) use error::SetupError;
pub(crate) use sys::prepare_process;

use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};

use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::stat::Mode;

use error::StepContext;
use mounts::RootBuilder;

use crate::dbus::proxy::RunningProxy;
use crate::plan::{Plan, Runner, Step};
use crate::profile::Namespaces;

/// The walk's next move after a step.
enum Flow {
    Continue,
    /// This process is done: the launcher after the sandbox exited, or init after the
    /// target exited. The value is the exit status to return.
    Exit(u8),
}

/// The process of the sandbox that the walk runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Launcher,
    /// The child in the new namespaces, before it forks the target.
    Child,
    Init,
    Target,
}

impl Role {
    fn runs(self, runner: Runner) -> bool {
        match (self, runner) {
            (Role::Launcher, Runner::Launcher) => true,
            (Role::Child | Role::Init, Runner::Child) => true,
            // Without an init the child executes the command itself.
            (Role::Child | Role::Target, Runner::Target) => true,
            _ => false,
        }
    }
}

/// Runs `plan` and returns the exit status for `sandbox`.
pub(crate) fn run(plan: &Plan) -> Result<u8, SetupError> {
    let mut launch = Launch::new(plan)?;
    for (index, step) in plan.steps.iter().enumerate() {
        if !launch.role.runs(step.runner()) {
            continue;
        }
        log::debug!("step {}: {step}", index + 1);
        if let Flow::Exit(code) = launch.apply(step)? {
            return Ok(code);
        }
    }
    Err(SetupError::Refused {
        step: "the plan ended without executing the command".into(),
    })
}

/// State carried from one step to the next.
struct Launch<'a> {
    plan: &'a Plan,
    role: Role,
    /// The signal mask before the launcher blocked the waited signals; the target gets it
    /// back right before execve.
    saved_mask: SigSet,
    /// The caller's umask. The child runs its setup with umask 0 so that modes are exact. The
    /// launcher keeps the caller's for what it creates itself, such as the D-Bus proxy's
    /// folder and socket.
    saved_umask: Mode,
    /// A pipe whose write end only the launcher keeps open, so the child reads a hang-up on it
    /// once the launcher is gone.
    lifeline: Option<(OwnedFd, OwnedFd)>,
    /// A pipe on which init sends the target's exit code to the launcher as soon as every
    /// process of the sandbox has ended, before the kernel tears the namespaces down.
    status: Option<(OwnedFd, OwnedFd)>,
    /// In init: the status pipe's write end.
    status_to_launcher: Option<OwnedFd>,
    /// Between init and the target: init writes the identity of the new root once the
    /// sandbox is built. Init keeps the write end, the target the read end.
    go: Option<OwnedFd>,
    /// Between the target and init: the target writes a byte once its network namespace
    /// exists. The target keeps the write end, init the read end.
    network_ready: Option<OwnedFd>,
    /// The target's pid, in init.
    target: Option<nix::unistd::Pid>,
    /// The CPUs the caller allows, which the target gets back before it executes the
    /// command (see [`move_to_other_cpu`]).
    cpu_affinity: Option<nix::sched::CpuSet>,
    root: RootBuilder,
    mount_index: usize,
    /// The command's execve arguments, set by the lookup step.
    exec_image: Option<exec::ExecImage>,
    /// The D-Bus proxy the launcher started; dropping it stops the proxy and removes its folder.
    dbus_proxy: Option<RunningProxy>,
}

impl<'a> Launch<'a> {
    fn new(plan: &'a Plan) -> Result<Launch<'a>, SetupError> {
        // Checked before the launcher opens descriptors of its own, which could otherwise
        // take a kept number and pass the check in the child.
        check_kept_fds(plan)?;

        // With SIGCHLD ignored (inherited through execve) the kernel reaps children itself
        // and sends no SIGCHLD, so the launcher and init would wait forever. The target gets
        // the default action too.
        set_default_action(Signal::SIGCHLD)?;

        // Blocked before the fork so that no signal sent in between is lost. The launcher
        // and init take them with sigwaitinfo, and the target unblocks them before execve.
        let mut saved_mask = SigSet::empty();
        sigprocmask(
            SigmaskHow::SIG_BLOCK,
            Some(&process::waited_signals()),
            Some(&mut saved_mask),
        )
        .step(|| "sigprocmask".into())?;

        let lifeline = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .step(|| "create lifeline pipe".into())?;
        let status = if plan.steps.iter().any(|s| matches!(s, Step::StartInit)) {
            let pipe = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
                .step(|| "create status pipe".into())?;
            Some(pipe)
        } else {
            None
        };
        Ok(Launch {
            plan,
            role: Role::Launcher,
            saved_mask,
            saved_umask: current_umask(),
            lifeline: Some(lifeline),
            status,
            status_to_launcher: None,
            go: None,
            network_ready: None,
            target: None,
            cpu_affinity: None,
            root: RootBuilder::default(),
            mount_index: 0,
            exec_image: None,
            dbus_proxy: None,
        })
    }

    fn apply(&mut self, step: &Step) -> Result<Flow, SetupError> {
        match step {
            Step::CreateBindSources(dirs) => host::create_bind_sources(dirs)?,
            Step::StartDbusProxy(proxy) => self.dbus_proxy = Some(RunningProxy::start(proxy)?),
            Step::CreateNamespaces(ns) => return self.create_namespaces(ns),
            Step::DieWithParent => self.die_with_parent()?,
            Step::MapIds {
                uid_inside,
                uid_outside,
                gid_inside,
                gid_outside,
            } => identity::map_ids(*uid_inside, *uid_outside, *gid_inside, *gid_outside)?,
            Step::PrivatePropagation => RootBuilder::private_propagation()?,
            Step::OpenBindSources => {
                let mounts: Vec<_> = self
                    .plan
                    .steps
                    .iter()
                    .filter_map(|step| match step {
                        Step::Mount(mount) => Some(mount),
                        _ => None,
                    })
                    .collect();
                self.root.open_bind_sources(&mounts)?;
            }
            Step::NewRoot => self.root.new_root()?,
            Step::Mount(mount) => {
                self.root.mount(self.mount_index, mount)?;
                self.mount_index += 1;
            }
            Step::ReadOnlyRoot => self.root.read_only_root()?,
            Step::PivotRoot => self.root.pivot_root()?,
            Step::Hostname(name) => rustix::system::sethostname(name.as_bytes())
                .step(|| format!("sethostname {name:?}"))?,
            Step::LoopbackUp => sys::loopback_up().step(|| "bring up loopback (lo)".into())?,
            Step::StartInit => self.start_init()?,
            Step::NewNetwork => self.new_network()?,
            Step::JoinNetwork => self.join_network()?,
            Step::ReleaseTarget => return self.release_target(),
            Step::WaitForSandbox => self.wait_for_sandbox()?,
            Step::NewSession => {
                nix::unistd::setsid().step(|| "setsid".into())?;
            }
            Step::Chdir { dir, caller_dir } => {
                exec::chdir(dir.as_deref(), caller_dir.as_deref())?;
            }
            Step::ResolveCommand => {
                let path_var = self
                    .plan
                    .env
                    .iter()
                    .find(|(name, _)| name == "PATH")
                    .map(|(_, value)| value.as_os_str());
                let command = self.plan.command.first().map_or(OsStr::new(""), |c| c);
                let path = exec::resolve_command(command, path_var)?;
                let image = exec::prepare(path, &self.plan.command, &self.plan.env)?;
                self.exec_image = Some(image);
            }
            Step::CloseFds { keep } => exec::close_fds(keep)?,
            Step::DropCapabilities { keep } => identity::drop_capabilities(keep)?,
            Step::NoNewPrivs => identity::no_new_privs()?,
            Step::Landlock(landlock) => landlock.apply()?,
            Step::RestoreSignals => self.restore_signals()?,
            Step::Seccomp(filter) => filter
                .install()
                .step(|| "install the seccomp filter (seccomp(SECCOMP_SET_MODE_FILTER))".into())?,
            Step::Exec => return Err(self.exec()),
        }
        Ok(Flow::Continue)
    }

    /// Forks the child into its namespaces; the launcher then waits for it.
    fn create_namespaces(&mut self, ns: &Namespaces) -> Result<Flow, SetupError> {
        let flags = clone_flags(ns);
        // Without a pid namespace the kernel does not collect the target's descendants, so
        // the launcher becomes their reaper and kills what is left when the target exits.
        if !ns.pid {
            rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
                .step(|| "prctl(PR_SET_CHILD_SUBREAPER)".into())?;
        }

        log::trace!("clone({} | SIGCHLD)", describe_clone_flags(ns));
        let child = sys::clone_fork(flags).map_err(|err| SetupError::Step {
            step: format!("clone({})", describe_clone_flags(ns)),
            errno: nix::errno::Errno::from_raw(err.raw_os_error().unwrap_or(0)),
            hint: clone_hint(ns.user, err.raw_os_error(), Limit::AnyNamespace),
        })?;
        let Some(child) = child else {
            self.role = Role::Child;
            // The launcher alone stops the proxy, after the whole sandbox has exited.
            if let Some(proxy) = self.dbus_proxy.take() {
                proxy.release_in_child();
            }
            self.status_to_launcher = self.status.take().map(|(_, write_end)| write_end);
            nix::sys::stat::umask(Mode::empty());
            return Ok(Flow::Continue);
        };
        log::debug!("sandbox child started as pid {child}");

        // The launcher keeps the write end open until it exits.
        if let Some((read_end, write_end)) = self.lifeline.take() {
            drop(read_end);
            std::mem::forget(write_end);
        }
        let status = self.status.take().map(|(read_end, _)| read_end);

        let forward_all = self.plan.new_session;
        let child_is_target = status.is_none();
        let code = process::supervise(child, forward_all, child_is_target, status)
            .step(|| "wait for the sandbox".into())?;
        if !ns.pid {
            process::kill_leftovers();
        }
        Ok(Flow::Exit(code))
    }

    /// Asks for SIGKILL when the launcher exits, then checks that it has not already.
    fn die_with_parent(&mut self) -> Result<(), SetupError> {
        rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
            .step(|| "prctl(PR_SET_PDEATHSIG)".into())?;
        if let Some((read_end, write_end)) = self.lifeline.take() {
            drop(write_end);
            let mut fds = [rustix::event::PollFd::new(
                &read_end,
                rustix::event::PollFlags::IN,
            )];
            let ready = rustix::event::poll(&mut fds, Some(&rustix::time::Timespec::default()))
                .step(|| "poll lifeline".into())?;
            if ready > 0 {
                return Err(SetupError::Refused {
                    step: "die with parent: sandbox exited during setup".into(),
                });
            }
        }
        Ok(())
    }

    /// Forks the target. This process goes on building the sandbox and then becomes init;
    /// the target goes on with its own steps up to [`Step::WaitForSandbox`].
    fn start_init(&mut self) -> Result<(), SetupError> {
        // With a new session, signals from the caller's terminal (Ctrl-C, SIGWINCH) must
        // reach the launcher alone, which forwards each once. In the terminal's foreground
        // process group init would get the terminal's copy too and ignore it, and a
        // forwarded copy that arrives while that one is pending merges into it and is lost.
        if self.plan.new_session {
            let own = nix::unistd::Pid::from_raw(0);
            nix::unistd::setpgid(own, own).step(|| "setpgid(0, 0)".into())?;
        }
        let pipe = || {
            rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
                .step(|| "create a pipe between init and the target".into())
        };
        let (go_read, go_write) = pipe()?;
        let (ready_read, ready_write) = pipe()?;
        let own = nix::unistd::Pid::from_raw(0);
        self.cpu_affinity =
            Some(nix::sched::sched_getaffinity(own).step(|| "sched_getaffinity".into())?);
        match sys::clone_fork(0).step(|| "fork the target from init".into())? {
            None => {
                self.role = Role::Target;
                self.lifeline = None;
                self.go = Some(go_read);
                self.network_ready = Some(ready_write);
                self.status_to_launcher = None;
            }
            Some(target) => {
                self.role = Role::Init;
                self.target = Some(target);
                self.go = Some(go_write);
                self.network_ready = Some(ready_read);
                self.lifeline = None;
                if let Some(allowed) = self.cpu_affinity.take() {
                    move_to_other_cpu(target, &allowed);
                }
            }
        }
        Ok(())
    }

    /// Creates the target's network namespace, writes to init that it exists, and brings its
    /// loopback up while init joins it.
    fn new_network(&mut self) -> Result<(), SetupError> {
        let user_namespace = (self.plan.steps.iter())
            .any(|step| matches!(step, Step::CreateNamespaces(ns) if ns.user));
        sys::unshare_network().map_err(|err| SetupError::Step {
            step: "create the network namespace (unshare(CLONE_NEWNET))".into(),
            errno: nix::errno::Errno::from_raw(err.raw_os_error().unwrap_or(0)),
            hint: clone_hint(user_namespace, err.raw_os_error(), Limit::NetworkNamespaces),
        })?;
        if let Some(ready) = self.network_ready.take() {
            match rustix::io::write(&ready, &[1]) {
                Ok(_) => {}
                Err(rustix::io::Errno::PIPE) => end_with_init(),
                Err(errno) => return Err(errno).step(|| "write to init".into()),
            }
        }
        sys::loopback_up().step(|| "bring up loopback (lo)".into())
    }

    /// Waits until the target has created its network namespace, then moves init into it.
    fn join_network(&mut self) -> Result<(), SetupError> {
        let ready = self
            .network_ready
            .take()
            .ok_or_else(|| SetupError::Refused {
                step: "init: no pipe from the target".into(),
            })?;
        let mut byte = [0u8];
        let read =
            rustix::io::read(&ready, &mut byte).step(|| "init: read from the target".into())?;
        if read == 0 {
            // The target failed and has reported why. Init goes on to collect its status.
            return Ok(());
        }
        let target = self
            .target
            .and_then(|pid| rustix::process::Pid::from_raw(pid.as_raw()));
        let target = target.ok_or_else(|| SetupError::Refused {
            step: "init: no target was forked".into(),
        })?;
        let pidfd = rustix::process::pidfd_open(target, rustix::process::PidfdFlags::empty())
            .step(|| "init: pidfd_open of the target".into())?;
        rustix::thread::move_into_thread_name_spaces(
            pidfd.as_fd(),
            rustix::thread::ThreadNameSpaceType::NETWORK,
        )
        .step(|| "init: setns into the target's network namespace".into())
    }

    /// Sends the target the identity of the finished root, then serves as init until the
    /// target exits, ends what is left of the sandbox and reports the exit code.
    fn release_target(&mut self) -> Result<Flow, SetupError> {
        // Init keeps the caller's whole environment and inherited descriptors, which the
        // profile may hide from the target, and as pid 1 it would show them to the target in
        // /proc/1/environ and /proc/1/fd. Once init is not dumpable, reading those needs
        // CAP_SYS_PTRACE in the user namespace `sandbox` was started in. It is set before the
        // target runs anything but this program. Not earlier: a process that is not dumpable
        // cannot write its own /proc/self/uid_map, and the target stays dumpable so that init
        // may join its network namespace.
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
            .step(|| "prctl(PR_SET_DUMPABLE, 0)".into())?;
        let root = rustix::fs::stat("/").step(|| "stat the new root".into())?;
        let mut message = [0u8; 16];
        message[..8].copy_from_slice(&root.st_dev.to_ne_bytes());
        message[8..].copy_from_slice(&root.st_ino.to_ne_bytes());
        if let Some(go) = self.go.take() {
            // EPIPE: the target already failed and exited; run_init reports its status.
            match rustix::io::write(&go, &message) {
                Ok(_) | Err(rustix::io::Errno::PIPE) => {}
                Err(errno) => return Err(errno).step(|| "write to the target".into()),
            }
        }
        // Init needs no privilege to reap and forward signals but CAP_KILL: a command that
        // keeps CAP_SETUID (root, without a user namespace) may leave processes of other uids,
        // which init must still be able to kill when the command exits.
        if identity::drop_capabilities(&["CAP_KILL".to_string()]).is_err() {
            let _ = identity::drop_capabilities(&[]);
        }
        let _ = identity::no_new_privs();
        let target = self.target.ok_or_else(|| SetupError::Refused {
            step: "init: no target was forked".into(),
        })?;
        let code = process::run_init(target, self.plan.new_session)
            .step(|| "init: wait for the target".into())?;
        process::end_pid_namespace();
        // The launcher returns as soon as it has the code, before init's own exit. Init closes
        // the caller's standard streams first, so that a reader of the command's output reads
        // end of file by then.
        sys::close_standard_streams();
        if let Some(to_launcher) = self.status_to_launcher.take() {
            // Best effort: without it the launcher takes the code from init's exit status.
            let _ = rustix::io::write(&to_launcher, &[code]);
        }
        Ok(Flow::Exit(code))
    }

    /// Waits until init has built the sandbox, and checks that this process's root is the
    /// new root: pivot_root moves the root of every process of the namespace, the target's
    /// included, and the target must never run under the host's.
    fn wait_for_sandbox(&mut self) -> Result<(), SetupError> {
        let go = self.go.take().ok_or_else(|| SetupError::Refused {
            step: "target: no pipe from init".into(),
        })?;
        let mut message = [0u8; 16];
        let mut file = std::fs::File::from(go);
        if let Err(err) = std::io::Read::read_exact(&mut file, &mut message) {
            if err.kind() == std::io::ErrorKind::UnexpectedEof {
                end_with_init();
            }
            return Err(err).step(|| "target: read from init".into());
        }
        let root = rustix::fs::stat("/").step(|| "stat /".into())?;
        let same_dev = message[..8] == root.st_dev.to_ne_bytes();
        let same_ino = message[8..] == root.st_ino.to_ne_bytes();
        if !same_dev || !same_ino {
            return Err(SetupError::Refused {
                step: "target: / is not the sandbox's new root".into(),
            });
        }
        Ok(())
    }

    /// Gives the target the caller's signal mask, umask and CPU affinity back, and the
    /// default SIGPIPE action, which `sandbox` replaces with "ignore" in its own processes.
    fn restore_signals(&mut self) -> Result<(), SetupError> {
        if let Some(allowed) = self.cpu_affinity.take() {
            let own = nix::unistd::Pid::from_raw(0);
            nix::sched::sched_setaffinity(own, &allowed)
                .step(|| "restore the caller's CPU affinity".into())?;
        }
        set_default_action(Signal::SIGPIPE)?;
        nix::sys::stat::umask(self.saved_umask);
        sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.saved_mask), None)
            .step(|| "sigprocmask".into())
    }

    fn exec(&mut self) -> SetupError {
        match &self.exec_image {
            Some(image) => exec::exec(image),
            None => SetupError::Refused {
                step: "execute: the command was not looked up".into(),
            },
        }
    }
}

/// Pins the newly forked `target` to an allowed CPU other than this one, until the target
/// restores the caller's affinity right before it executes the command.
///
/// Init and the target work in parallel until the sandbox is built. The kernel queues a
/// forked process on its parent's CPU, and an idle CPU pulls it only at its next balancing,
/// so the target otherwise waited up to a millisecond for init to sleep. Nothing depends on
/// this: when it fails, the scheduler decides as before.
fn move_to_other_cpu(target: nix::unistd::Pid, allowed: &nix::sched::CpuSet) {
    let current = rustix::thread::sched_getcpu();
    let other = (0..nix::sched::CpuSet::count())
        .filter(|&cpu| cpu != current)
        .find(|&cpu| allowed.is_set(cpu).unwrap_or(false));
    let Some(other) = other else {
        return;
    };
    let mut only = nix::sched::CpuSet::new();
    if only.set(other).is_ok() {
        let _ = nix::sched::sched_setaffinity(target, &only);
    }
}

/// Ends the target quietly after init closed its end of a pipe: init failed while building
/// the sandbox and has reported why, and the sandbox ends with it.
fn end_with_init() -> ! {
    std::process::exit(crate::EXIT_SETUP_FAILED.into())
}

/// Reads the umask, which the only system call for it returns while setting a new one.
fn current_umask() -> Mode {
    let umask = nix::sys::stat::umask(Mode::empty());
    nix::sys::stat::umask(umask);
    umask
}

/// Sets the default action for `signal`.
fn set_default_action(signal: Signal) -> Result<(), SetupError> {
    let default = nix::sys::signal::SigAction::new(
        nix::sys::signal::SigHandler::SigDfl,
        nix::sys::signal::SaFlags::empty(),
        SigSet::empty(),
    );
    sys::set_signal_action(signal, &default).step(|| format!("reset {signal}"))
}

/// Fails when a descriptor that the plan keeps open for the target is not open.
fn check_kept_fds(plan: &Plan) -> Result<(), SetupError> {
    for step in &plan.steps {
        if let Step::CloseFds { keep } = step {
            for fd in keep {
                sys::check_open(*fd).step(|| format!("keep_fds: keep descriptor {fd} open"))?;
            }
        }
    }
    Ok(())
}

/// The clone flag and its name for each namespace, in the order of `Namespaces::by_name`.
const CLONE_FLAGS: [(libc::c_int, &str); 7] = [
    (libc::CLONE_NEWUSER, "CLONE_NEWUSER"),
    (libc::CLONE_NEWPID, "CLONE_NEWPID"),
    (libc::CLONE_NEWNS, "CLONE_NEWNS"),
    (libc::CLONE_NEWNET, "CLONE_NEWNET"),
    (libc::CLONE_NEWIPC, "CLONE_NEWIPC"),
    (libc::CLONE_NEWUTS, "CLONE_NEWUTS"),
    (libc::CLONE_NEWCGROUP, "CLONE_NEWCGROUP"),
];

/// Returns the clone flags of the requested namespaces.
fn requested_flags(ns: &Namespaces) -> impl Iterator<Item = (libc::c_int, &'static str)> {
    let requested = ns.by_name().map(|(_, on)| on);
    CLONE_FLAGS
        .into_iter()
        .zip(requested)
        .filter_map(|(flag, on)| on.then_some(flag))
}

fn clone_flags(ns: &Namespaces) -> libc::c_int {
    requested_flags(ns).fold(0, |flags, (flag, _)| flags | flag)
}

fn describe_clone_flags(ns: &Namespaces) -> String {
    let names: Vec<&str> = requested_flags(ns).map(|(_, name)| name).collect();
    if names.is_empty() {
        "SIGCHLD".into()
    } else {
        names.join("|")
    }
}

/// Explains a failure to create namespaces. `limit` names the /proc/sys/user file whose limit
/// an ENOSPC means was reached.
fn clone_hint(user_namespace: bool, errno: Option<i32>, limit: Limit) -> &'static str {
    match errno {
        Some(libc::EPERM) if !user_namespace => {
            " (creating namespaces without a user namespace needs CAP_SYS_ADMIN; set \
             namespaces.user = true)"
        }
        Some(libc::EPERM) | Some(libc::EACCES) => {
            " (unprivileged user namespaces may be disabled: see \
             /proc/sys/kernel/unprivileged_userns_clone or an AppArmor restriction)"
        }
        Some(libc::ENOSPC) => match limit {
            Limit::AnyNamespace => {
                " (a limit in /proc/sys/user/ is reached: max_user_namespaces or the \
                 max_*_namespaces of another requested namespace)"
            }
            Limit::NetworkNamespaces => {
                " (the limit in /proc/sys/user/max_net_namespaces is reached)"
            }
        },
        _ => "",
    }
}

/// The namespace limits that an ENOSPC from clone or unshare can come from.
#[derive(Clone, Copy)]
enum Limit {
    AnyNamespace,
    NetworkNamespaces,
}
