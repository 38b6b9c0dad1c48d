//! `sandbox`: a declarative sandbox launcher. This file only dispatches: parse the command
//! line, set up logging, run, and turn the outcome into the exit status.

mod cli;
mod landlock_rules;
mod launch;
mod plan;
mod profile;
mod seccomp;

use std::process::ExitCode;

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
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                EXIT_SETUP_FAILED
            } else {
                0
            };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    init_logging(cli.verbose);
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("sandbox: {err}");
            ExitCode::from(EXIT_SETUP_FAILED)
        }
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => log::LevelFilter::Warn,
        1 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    env_logger::Builder::new()
        .filter_level(level)
        .format_timestamp(None)
        .format_target(false)
        .init();
}

fn run(cli: Cli) -> Result<u8, Error> {
    let vars = profile::Vars::from_process();
    match cli.subcommand {
        Some(Command::Check { profiles }) => {
            for name in &profiles {
                let loaded = profile::load(name, &vars)?;
                plan::build(&loaded, &[])?;
                println!("{}: ok", loaded.source.display());
            }
            Ok(0)
        }
        Some(Command::Seccomp { profile }) => {
            let loaded = profile::load(&profile, &vars)?;
            let filter = seccomp::compile(&loaded.seccomp)?;
            for line in filter.policy_lines() {
                println!("{line}");
            }
            Ok(0)
        }
        None => {
            let name = cli.run.profile.as_deref().unwrap_or("default");
            let loaded = profile::load(name, &vars)?;
            let plan = plan::build(&loaded, &cli.run.command)?;
            if cli.run.dry_run {
                print!("{plan}");
                return Ok(0);
            }
            Ok(launch::run(&plan)?)
        }
    }
}
