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
# expected: after -p or --profile, and as an argument of `check` or `explain`. Every other word
# goes to the generated function.
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
    if [[ $prev == -p || $prev == --profile ]] ||
        [[ ($subcommand == check || $subcommand == explain) && $cur != -* &&
            $prev != --threshold ]]; then
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
complete -c sandbox -n "__fish_seen_subcommand_from check explain" -a "(__sandbox_profile_names)"
"#;

/// Generates the completion script for `shell`.
pub(crate) fn generate(shell: Shell) -> String {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "sandbox", &mut out);
    let script = String::from_utf8(out).expect("clap_complete writes UTF-8");
    match shell {
        Shell::Bash => add_bash_profiles(&script),
        Shell::Zsh => add_zsh_profiles(&script),
        Shell::Fish => add_fish_profiles(&script, &command),
        _ => script,
    }
}

/// Appends the profile completions; `-p` completes profile names only before a subcommand.
fn add_fish_profiles(script: &str, command: &clap::Command) -> String {
    let names: Vec<&str> = command
        .get_subcommands()
        .map(|sub| sub.get_name())
        .collect();
    let extension = FISH_PROFILES.replace("SUBCOMMANDS", &names.join(" "));
    format!("{script}{extension}")
}

/// Registers the wrapper in place of the generated function.
fn add_bash_profiles(script: &str) -> String {
    let registered = script.replace(
        "complete -F _sandbox ",
        "complete -F _sandbox_with_profiles ",
    );
    // The wrapper must be defined before the `complete` lines at the end run.
    match registered.find("\nif [[ \"${BASH_VERSINFO[0]}\"") {
        Some(at) => format!("{}{BASH_PROFILES}{}", &registered[..at], &registered[at..]),
        None => format!("{BASH_PROFILES}{registered}"),
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
        // -p, --profile, check's PROFILE list and explain's PROFILE.
        assert_eq!(script.matches(":_sandbox_profiles'").count(), 4, "{script}");
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
        let condition = "not __fish_seen_subcommand_from check explain profiles schema";
        assert!(script.contains(condition), "{script}");
    }
}
