//! Shell completion scripts, generated from the clap definition by clap_complete, with profile
//! names added where an argument takes a PROFILE.
//!
//! clap_complete writes static scripts that know nothing of the profile search path, so the
//! bash, zsh and fish scripts are extended to call `sandbox profiles --names` when they
//! complete a PROFILE. The extension edits the generated text at a few anchors. Each anchor is
//! checked by a test, so an update of clap_complete that moves one fails the build instead of
//! quietly dropping profile names. Elvish and PowerShell get the plain script.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// Prints nothing when `sandbox` cannot list profiles, so that completion falls back to files.
const BASH_PROFILES: &str = r#"
# Completes profile names (from `sandbox profiles --names`) and file names where a PROFILE is
# expected: after -p or --profile, and as an argument of a subcommand that takes profiles.
# Every other word goes to the generated function.
_sandbox_with_profiles() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    local i word subcommand=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${COMP_WORDS[i]}"
        case "$word" in
            -p|--profile) ((i++)) ;;
            -*) ;;
            *) subcommand="$word"; break ;;
        esac
    done
    local takes_profile=false
    case "$subcommand" in
        PROFILE_SUBCOMMANDS) [[ $cur != -* && $prev != --threshold ]] && takes_profile=true ;;
    esac
    if [[ $prev == -p || $prev == --profile ]] || $takes_profile; then
        local names
        names="$("${COMP_WORDS[0]}" profiles --names 2>/dev/null)"
        COMPREPLY=($(compgen -W "$names" -- "$cur") $(compgen -f -- "$cur"))
        return 0
    fi
    _sandbox "$@"
}
"#;

const ZSH_PROFILES: &str = r#"# Profile names from `sandbox profiles --names`, and files, where a PROFILE is expected.
(( $+functions[_sandbox_profiles] )) ||
_sandbox_profiles() {
    local -a names
    names=(${(f)"$(_call_program profiles sandbox profiles --names 2>/dev/null)"})
    _alternative 'profiles:profile name:compadd -a names' 'files:profile file:_files'
}

"#;

const FISH_PROFILES: &str = r#"
# Profile names from `sandbox profiles --names`, besides file names, where a PROFILE is expected.
function __sandbox_profile_names
    set -l words (commandline -opc)
    command $words[1] profiles --names 2>/dev/null
end
complete -c sandbox -n "not __fish_seen_subcommand_from SUBCOMMANDS" -s p -l profile -r -a "(__sandbox_profile_names)"
complete -c sandbox -n "__fish_seen_subcommand_from PROFILE_SUBCOMMANDS" -a "(__sandbox_profile_names)"
"#;

/// Generates the completion script for `shell`.
pub(crate) fn generate(shell: Shell) -> String {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "sandbox", &mut out);
    let script = String::from_utf8(out).expect("clap_complete writes UTF-8");
    match shell {
        Shell::Bash => add_bash_profiles(&script, &command),
        Shell::Zsh => add_zsh_profiles(&script),
        Shell::Fish => add_fish_profiles(&script, &command),
        _ => script,
    }
}

/// Lists the subcommands with a positional argument named PROFILE.
fn profile_subcommands(command: &clap::Command) -> Vec<&str> {
    let takes_profile = |sub: &&clap::Command| {
        sub.get_positionals().any(|arg| {
            let names = arg.get_value_names().unwrap_or_default();
            names.iter().any(|name| name.as_str() == "PROFILE")
        })
    };
    let subcommands = command.get_subcommands().filter(takes_profile);
    subcommands.map(|sub| sub.get_name()).collect()
}

/// Appends the profile completions; `-p` completes profile names only before a subcommand.
fn add_fish_profiles(script: &str, command: &clap::Command) -> String {
    let names: Vec<&str> = command
        .get_subcommands()
        .map(|sub| sub.get_name())
        .collect();
    let extension = FISH_PROFILES
        .replace(
            "PROFILE_SUBCOMMANDS",
            &profile_subcommands(command).join(" "),
        )
        .replace("SUBCOMMANDS", &names.join(" "));
    format!("{script}{extension}")
}

/// Registers the wrapper in place of the generated function.
fn add_bash_profiles(script: &str, command: &clap::Command) -> String {
    let subcommands = profile_subcommands(command).join("|");
    let wrapper = BASH_PROFILES.replace("PROFILE_SUBCOMMANDS", &subcommands);
    let registered = script.replace(
        "complete -F _sandbox ",
        "complete -F _sandbox_with_profiles ",
    );
    // The wrapper must be defined before the `complete` lines at the end run.
    match registered.find("\nif [[ \"${BASH_VERSINFO[0]}\"") {
        Some(at) => format!("{}{wrapper}{}", &registered[..at], &registered[at..]),
        None => format!("{wrapper}{registered}"),
    }
}

/// Points the PROFILE arguments at `_sandbox_profiles` and defines it before the script's
/// closing dispatch.
fn add_zsh_profiles(script: &str) -> String {
    let mut lines = Vec::new();
    for line in script.lines() {
        let takes_profile = line.contains(":PROFILE:_default'")
            || line.starts_with("':profile -- ")
            || line.starts_with("'*::profiles -- ");
        match takes_profile {
            true => lines.push(line.replace(":_default'", ":_sandbox_profiles'")),
            false => lines.push(line.to_string()),
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    let dispatch = "if [ \"$funcstack[1]\" = \"_sandbox\" ]; then";
    match text.find(dispatch) {
        Some(at) => format!("{}{ZSH_PROFILES}{}", &text[..at], &text[at..]),
        None => format!("{text}{ZSH_PROFILES}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_subcommands_found() {
        let command = Cli::command();
        let mut found = profile_subcommands(&command);
        found.sort();
        assert_eq!(found, ["check", "explain", "seccomp"]);
    }

    #[test]
    fn bash_registers_wrapper() {
        let script = generate(Shell::Bash);
        assert!(!script.contains("complete -F _sandbox "), "{script}");
        assert!(script.contains("complete -F _sandbox_with_profiles "));
        let defined = script.find("_sandbox_with_profiles() {").unwrap();
        let registered = script.find("complete -F _sandbox_with_profiles").unwrap();
        assert!(defined < registered);
    }

    #[test]
    fn zsh_completes_every_profile_argument() {
        let script = generate(Shell::Zsh);
        // -p and --profile of the run and of desktop-entry, and the PROFILE arguments of
        // check, explain and seccomp.
        assert_eq!(script.matches(":_sandbox_profiles'").count(), 7, "{script}");
        let defined = script.find("_sandbox_profiles() {").unwrap();
        let dispatch = script
            .find("if [ \"$funcstack[1]\" = \"_sandbox\" ]")
            .unwrap();
        assert!(defined < dispatch);
    }

    #[test]
    fn fish_lists_subcommands() {
        let script = generate(Shell::Fish);
        assert!(script.contains("profiles --names"));
        let option_line = script
            .lines()
            .find(|line| line.contains("not __fish_seen_subcommand_from"))
            .unwrap();
        for name in [
            "check",
            "explain",
            "profiles",
            "seccomp",
            "schema",
            "completions",
        ] {
            assert!(option_line.contains(name), "{option_line}");
        }
        let argument_line = (script.lines())
            .find(|line| {
                line.contains("-n \"__fish_seen_subcommand_from ") && line.contains("profile_names")
            })
            .unwrap();
        for name in ["check", "explain", "seccomp"] {
            assert!(argument_line.contains(name), "{argument_line}");
        }
        assert!(!argument_line.contains("schema"), "{argument_line}");
    }
}
