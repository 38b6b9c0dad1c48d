//! Command-line definition. The doc comments are the help text.

use std::ffi::OsString;

use clap::{Args, Parser, Subcommand};

pub(crate) const EXIT_STATUS_HELP: &str = "\
Exit status:
  N        the target's own exit status
  128+N    the target was killed by signal N
  125      sandbox itself failed: invalid profile or a failed setup step
  126      the command was found inside the sandbox but could not be executed
  127      the command was not found inside the sandbox

Profiles: PROFILE is a path when it contains `/` or ends in `.toml`; otherwise it is a name
looked up as NAME.toml in $XDG_CONFIG_HOME/sandbox/profiles, /etc/sandbox/profiles,
/usr/share/sandbox/profiles, and last among the profiles built into sandbox. The first match
wins; `-v` logs which file was used.";

/// Run a command in a sandbox described by a TOML profile.
///
/// Without --profile, the built-in `default` profile is used: read-only system, no network,
/// the working directory writable, an empty home and a private /tmp.
#[derive(Debug, Parser)]
#[command(
    name = "sandbox",
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = EXIT_STATUS_HELP
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub subcommand: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,

    /// Log each decision and setup step on stderr (-v), and each system call (-vv)
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Profile name or path of a TOML profile
    #[arg(short, long, value_name = "PROFILE")]
    pub profile: Option<String>,

    /// Print the resolved plan, one step a line, and exit without touching the kernel
    #[arg(long)]
    pub dry_run: bool,

    /// The command to run and its arguments, passed as they are. Put `--` before a command
    /// that starts with `-` or is named like a subcommand
    #[arg(
        value_name = "COMMAND",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        value_parser = clap::value_parser!(OsString)
    )]
    pub command: Vec<OsString>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check profiles without running anything; exit 0 when all are valid, 125 otherwise
    Check {
        /// Profile names or paths
        #[arg(value_name = "PROFILE", required = true)]
        profiles: Vec<String>,
    },

    /// Print the seccomp policy of a profile: each syscall of the native table with its action,
    /// its argument rules and where the action comes from
    Seccomp {
        /// Profile name or path
        #[arg(value_name = "PROFILE")]
        profile: String,
    },

    /// Show a resolved profile, where each setting comes from, what this machine enforces,
    /// and an exposure score from 0 (locked down) to 10 (no isolation)
    #[command(after_help = EXPLAIN_HELP)]
    Explain {
        /// Profile name or path
        #[arg(value_name = "PROFILE")]
        profile: String,

        /// Print the report as one JSON object
        #[arg(long)]
        json: bool,

        /// Exit 1 when the exposure score is above N (0 to 10)
        #[arg(long, value_name = "N", value_parser = parse_threshold)]
        threshold: Option<f64>,
    },

    /// List the profiles that --profile NAME finds, where each comes from, and its description
    Profiles {
        /// Print only the names that resolve, one a line (for shell completion)
        #[arg(long)]
        names: bool,
    },

    /// Print the JSON Schema of the profile format, for editors and CI
    Schema,

    /// Write a .desktop file to $XDG_DATA_HOME/applications that shadows an installed
    /// application's entry and starts it with `sandbox --profile PROFILE`. Name, icon, MIME
    /// types and actions stay as they were, and the written file's path is printed
    DesktopEntry {
        /// The application's .desktop file, or its desktop-file ID such as firefox-esr
        #[arg(value_name = "ENTRY")]
        entry: String,

        /// Profile name or path to run the application with
        #[arg(
            short,
            long,
            value_name = "PROFILE",
            required_unless_present = "remove"
        )]
        profile: Option<String>,

        /// Remove the entry that an earlier run wrote for ENTRY instead
        #[arg(long, conflicts_with = "profile")]
        remove: bool,
    },

    /// Print a completion script for SHELL on stdout
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
}

const EXPLAIN_HELP: &str = "\
Exit status:
  0      the profile is valid and its score is at most the --threshold
  1      the exposure score is above --threshold
  125    the profile is invalid or cannot be found";

fn parse_threshold(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if (0.0..=10.0).contains(&value) => Ok(value),
        _ => Err(format!("expected a number from 0 to 10, got {text:?}")),
    }
}
