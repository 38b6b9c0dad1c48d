//! `sandbox`: a declarative sandbox launcher. This file only dispatches: parse the command
//! line, set up logging, run, and turn the outcome into the exit status.

#![cfg_attr(not(test), no_main)]

/// Prints to stdout like `print!`, but a write error ends the program instead of panicking:
/// quietly with status 0 when the reader closed the pipe (`sandbox profiles | head -1`), else
/// with a message and status 125.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!($($arg)*))
    };
}

/// Prints a line to stdout like `println!`; see [`out!`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod arguments;
mod cli;
mod completions;
mod dbus;
mod desktop_entry;
mod explain;
mod landlock_rules;
mod launch;
#[cfg(test)]
mod man_tests;
mod plan;
mod profile;
mod schema;
mod seccomp;

use clap::Parser;

use cli::{Cli, Command};

/// Exit status when sandbox itself fails, before or while setting up the sandbox.
pub(crate) const EXIT_SETUP_FAILED: u8 = 125;

/// The failures that end `sandbox` before the target runs; each maps to exit status 125.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Profile(#[from] profile::ProfileError),
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    #[error(transparent)]
    Setup(#[from] launch::SetupError),
    #[error(transparent)]
    Seccomp(#[from] seccomp::SeccompError),
    #[error(transparent)]
    DesktopEntry(#[from] desktop_entry::DesktopEntryError),
}

/// The C entry point, in place of Rust's. Rust's start-up reads /proc/self/maps to find the
/// main thread's stack for its overflow message: about 95 k instructions (callgrind), paid
/// again by every launch. [`launch::prepare_process`] does the
/// part of that start-up that `sandbox` needs (open standard descriptors, SIGPIPE ignored).
/// A stack overflow then ends the process with SIGSEGV and no message.
#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    // Without a standard descriptor even an error message could land in the wrong file.
    if launch::prepare_process().is_err() {
        return EXIT_SETUP_FAILED.into();
    }
    let code = run_command_line();
    // Rust's start-up would have flushed standard output at exit.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    code.into()
}

/// The entry point under `cargo test`, where the test harness brings its own `main`: this one
/// never runs and keeps the entry path checked.
#[cfg(test)]
fn main() {
    if launch::prepare_process().is_err() {
        std::process::exit(EXIT_SETUP_FAILED.into());
    }
    std::process::exit(run_command_line().into());
}

/// Parses the command line and runs it; returns the exit status.
fn run_command_line() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                EXIT_SETUP_FAILED
            } else {
                0
            };
            let _ = err.print();
            return code;
        }
    };
    init_logging(cli.verbose);
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("sandbox: {err}");
            err.exit_code()
        }
    }
}

impl Error {
    fn exit_code(&self) -> u8 {
        match self {
            Error::Setup(err) => err.exit_code(),
            _ => EXIT_SETUP_FAILED,
        }
    }
}

/// Sends log records to stderr as `sandbox: LEVEL: message`: warnings always, decisions and
/// steps with `-v`, system calls with `-vv`.
fn init_logging(verbose: u8) {
    use std::io::Write;

    let level = match verbose {
        0 => log::LevelFilter::Warn,
        1 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    env_logger::Builder::new()
        .filter_level(level)
        .format(|out, record| {
            let level = match record.level() {
                log::Level::Warn => "warning".to_string(),
                other => other.as_str().to_ascii_lowercase(),
            };
            writeln!(out, "sandbox: {level}: {}", record.args())
        })
        .init();
}

/// Loads and plans each profile, printing `PATH: ok` or the error for each. Returns 125 when any
/// failed, after checking them all, so one bad profile does not hide the results of the others.
fn check(profiles: &[String], vars: &profile::Vars) -> u8 {
    let mut status = 0;
    for name in profiles {
        let checked = profile::load(name, vars)
            .map_err(Error::from)
            .and_then(|loaded| Ok(plan::build(&loaded, &[]).map(|_| loaded)?));
        match checked {
            Ok(loaded) => outln!("{}: ok", loaded.source.display()),
            Err(err) => {
                eprintln!("sandbox: {err}");
                status = EXIT_SETUP_FAILED;
            }
        }
    }
    status
}

/// Prints the profiles of the search path. With `names_only` it prints each name that resolves,
/// once. Otherwise it prints name, source and description, and marks hidden profiles.
fn list_profiles(vars: &profile::Vars, names_only: bool) {
    let listed = profile::list(vars);
    if names_only {
        for entry in listed.iter().filter(|entry| !entry.shadowed) {
            outln!("{}", entry.name);
        }
        return;
    }
    let name_width = listed
        .iter()
        .map(|entry| entry.name.len())
        .max()
        .unwrap_or(0);
    for entry in &listed {
        let source = entry.source.display();
        let note = match (&entry.description, entry.shadowed) {
            (_, true) => "(hidden by the profile of the same name above)".to_string(),
            (Some(description), false) => description.clone(),
            (None, false) => String::new(),
        };
        outln!("{:name_width$}  {source}  {note}", entry.name);
    }
}

fn run(cli: Cli) -> Result<u8, Error> {
    let vars = profile::Vars::from_process();
    match cli.subcommand {
        Some(Command::Check { profiles }) => Ok(check(&profiles, &vars)),
        Some(Command::Seccomp { profile }) => {
            let loaded = profile::load(&profile, &vars)?;
            let filter = seccomp::compile(&loaded.seccomp)?;
            for line in filter.policy_lines() {
                outln!("{line}");
            }
            Ok(0)
        }
        Some(Command::Explain {
            profile,
            json,
            threshold,
        }) => Ok(explain::run(&profile, &vars, json, threshold)?),
        Some(Command::Profiles { names }) => {
            list_profiles(&vars, names);
            Ok(0)
        }
        Some(Command::Completions { shell }) => {
            out!("{}", completions::generate(shell));
            Ok(0)
        }
        Some(Command::DesktopEntry {
            entry,
            profile,
            remove,
        }) => {
            let dirs = desktop_entry::Dirs::from_env(&vars)?;
            let written = match profile {
                Some(profile) if !remove => {
                    // A profile that does not load would give an entry that never starts.
                    profile::load(&profile, &vars)?;
                    desktop_entry::install(&entry, &profile, &dirs)?
                }
                _ => desktop_entry::remove(&entry, &dirs)?,
            };
            outln!("{}", written.display());
            Ok(0)
        }
        Some(Command::Schema) => {
            out!("{}", schema::generate());
            Ok(0)
        }
        None => {
            let name = cli.run.profile.as_deref().unwrap_or("default");
            let loaded = profile::load(name, &vars)?;
            let plan = plan::build(&loaded, &cli.run.command)?;
            if cli.run.dry_run {
                out!("{plan}");
                return Ok(0);
            }
            let code = launch::run(&plan)?;
            // The launcher returns here once the sandbox has ended, and init once the target
            // has. Exiting at once skips freeing the profile and the plan, which takes time
            // and, after a long run, faults back in the pages the launcher released.
            std::process::exit(code.into())
        }
    }
}

/// Writes to stdout for [`out!`] and [`outln!`].
fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;

    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_fmt(args).and_then(|()| stdout.flush());
    match written {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(err) => {
            let errno = nix::errno::Errno::from_raw(err.raw_os_error().unwrap_or(0));
            eprintln!("sandbox: write to standard output: {errno}");
            std::process::exit(i32::from(EXIT_SETUP_FAILED));
        }
    }
}
