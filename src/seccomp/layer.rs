//! The seccomp settings of one profile file, checked and ready to merge: every syscall and
//! group name is known, every errno and condition is valid, and each entry keeps where it was
//! written for later messages.

use std::collections::BTreeMap;

use toml::Spanned;

use super::arch::{Errno, is_known_syscall, known_syscall_names};
use super::baseline::BaselineItem;
use super::groups::{self, GROUPS};
use super::policy::{CmpOp, Condition, Width};
use super::raw::{RawAction, RawCondition, RawOp, RawRule, RawSeccomp, RawValue};
use crate::profile::{FileContext, Location, ProfileError};

/// The seccomp settings of one file, or of several merged in include order.
///
/// The default value stands for a profile without a `[seccomp]` section: every syscall is
/// allowed except what the baseline denies.
#[derive(Clone, Debug, Default)]
pub(crate) struct SeccompLayer {
    pub(super) default: Option<RawAction>,
    pub(super) errno: Option<Errno>,
    pub(super) allow: Vec<NameEntry>,
    pub(super) deny: Vec<NameEntry>,
    pub(super) rules: Vec<RuleEntry>,
    /// Baseline items that some file sets. Absent items are on.
    pub(super) baseline: BTreeMap<BaselineItem, bool>,
}

impl SeccompLayer {
    /// Tells whether the baseline keeps terminal input injection (TIOCSTI, TIOCLINUX) denied.
    pub(crate) fn denies_tty_injection(&self) -> bool {
        self.baseline
            .get(&BaselineItem::TtyInjection)
            .copied()
            .unwrap_or(true)
    }
}

/// A syscall name or an `@group` name from `allow` or `deny`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct NameEntry {
    pub name: String,
    pub at: Location,
}

/// One `[[seccomp.rule]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RuleEntry {
    pub syscall: String,
    pub action: RawAction,
    /// Set only for `action = "errno"`; `None` means the section's errno.
    pub errno: Option<Errno>,
    pub conditions: Vec<Condition>,
    pub at: Location,
}

impl SeccompLayer {
    /// Checks one file's `[seccomp]` table; errors name the file, line and key.
    pub(crate) fn resolve(raw: RawSeccomp, ctx: &FileContext) -> Result<Self, ProfileError> {
        let errno = raw
            .errno
            .map(|name| resolve_errno(&name, ctx, "seccomp.errno"))
            .transpose()?;
        let allow = resolve_names(raw.allow, ctx, "seccomp.allow")?;
        let deny = resolve_names(raw.deny, ctx, "seccomp.deny")?;
        let rules = raw
            .rule
            .into_iter()
            .map(|rule| resolve_rule(rule, ctx))
            .collect::<Result<_, _>>()?;
        let mut baseline = BTreeMap::new();
        if let Some(raw_baseline) = raw.baseline {
            for item in BaselineItem::ALL {
                if let Some(on) = raw_baseline.get(item) {
                    baseline.insert(item, on);
                }
            }
        }
        Ok(SeccompLayer {
            default: raw.default.map(Spanned::into_inner),
            errno,
            allow,
            deny,
            rules,
            baseline,
        })
    }

    /// Merges the settings of a later file (the including one) on top of these: lists
    /// append, scalars and baseline items of `later` win.
    pub(crate) fn merge(&mut self, later: SeccompLayer) {
        self.default = later.default.or(self.default);
        self.errno = later.errno.or(self.errno);
        self.allow.extend(later.allow);
        self.deny.extend(later.deny);
        self.rules.extend(later.rules);
        self.baseline.extend(later.baseline);
    }
}

fn resolve_errno(
    name: &Spanned<String>,
    ctx: &FileContext,
    key: &str,
) -> Result<Errno, ProfileError> {
    Errno::from_name(name.get_ref()).ok_or_else(|| {
        let hint = suggestion(name.get_ref(), "", Errno::all().map(|errno| errno.name));
        ctx.error(
            Some(name.span()),
            key,
            format!("unknown errno {:?}{hint}", name.get_ref()),
        )
    })
}

fn resolve_names(
    names: Vec<Spanned<String>>,
    ctx: &FileContext,
    key: &str,
) -> Result<Vec<NameEntry>, ProfileError> {
    names
        .into_iter()
        .map(|name| {
            let span = name.span();
            check_name(name.get_ref())
                .map_err(|message| ctx.error(Some(span.clone()), key, message))?;
            Ok(NameEntry {
                name: name.into_inner(),
                at: ctx.location(Some(span)),
            })
        })
        .collect()
}

/// Checks that `name` is a syscall of a supported architecture, or `@` and a group name.
fn check_name(name: &str) -> Result<(), String> {
    let Some(group) = name.strip_prefix('@') else {
        return check_syscall_name(name);
    };
    if groups::find(group).is_some() {
        return Ok(());
    }
    let hint = suggestion(group, "@", GROUPS.iter().map(|group| group.name));
    Err(format!(
        "unknown syscall group \"@{group}\"{hint}; the seccomp documentation lists the groups"
    ))
}

fn check_syscall_name(name: &str) -> Result<(), String> {
    if is_known_syscall(name) {
        return Ok(());
    }
    let hint = suggestion(name, "", known_syscall_names());
    Err(format!("unknown syscall {name:?}{hint}"))
}

/// Returns `; did you mean "PREFIX CANDIDATE"?` for the closest candidate, or an empty string
/// when none is close.
fn suggestion<'a>(
    name: &str,
    prefix: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    let max_distance = (name.len() / 3).max(2);
    candidates
        .into_iter()
        .map(|candidate| (strsim::levenshtein(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= max_distance)
        .min()
        .map(|(_, candidate)| format!("; did you mean \"{prefix}{candidate}\"?"))
        .unwrap_or_default()
}

fn resolve_rule(rule: Spanned<RawRule>, ctx: &FileContext) -> Result<RuleEntry, ProfileError> {
    let at = ctx.location(Some(rule.span()));
    let rule = rule.into_inner();
    let syscall = rule.syscall.get_ref();
    let syscall_error =
        |message: String| ctx.error(Some(rule.syscall.span()), "seccomp.rule.syscall", message);
    if syscall.starts_with('@') {
        return Err(syscall_error(format!(
            "a rule applies to one syscall, not to the group {syscall:?}; write one rule per \
             syscall"
        )));
    }
    check_syscall_name(syscall).map_err(syscall_error)?;

    let action = *rule.action.get_ref();
    let errno = match (&rule.errno, action) {
        (None, _) => None,
        (Some(name), RawAction::Errno) => Some(resolve_errno(name, ctx, "seccomp.rule.errno")?),
        (Some(name), _) => {
            return Err(ctx.error(
                Some(name.span()),
                "seccomp.rule.errno",
                "errno applies only to rules with action = \"errno\"",
            ));
        }
    };
    let conditions = rule
        .args
        .into_iter()
        .map(|condition| resolve_condition(syscall, condition, ctx))
        .collect::<Result<_, _>>()?;
    Ok(RuleEntry {
        syscall: rule.syscall.into_inner(),
        action,
        errno,
        conditions,
        at,
    })
}

/// The highest argument index: syscalls take at most six arguments.
const MAX_ARG_INDEX: u8 = 5;

fn resolve_condition(
    syscall: &str,
    condition: Spanned<RawCondition>,
    ctx: &FileContext,
) -> Result<Condition, ProfileError> {
    let span = condition.span();
    let condition = condition.into_inner();
    let arg = *condition.arg.get_ref();
    if arg > MAX_ARG_INDEX {
        return Err(ctx.error(
            Some(condition.arg.span()),
            "seccomp.rule.args.arg",
            format!("argument index {arg} is out of range; syscalls have arguments 0 to 5"),
        ));
    }

    // The kernel truncates ioctl request numbers to unsigned int, so a comparison of all 64
    // bits could be bypassed by setting the upper half.
    let ioctl_request = syscall == "ioctl" && arg == 1;
    let requested = condition
        .bits
        .as_ref()
        .map(|bits| (*bits.get_ref(), bits.span()));
    let width = match requested {
        None if ioctl_request => Width::Bits32,
        None => Width::Bits64,
        Some((32, _)) => Width::Bits32,
        Some((64, span)) if ioctl_request => {
            return Err(ctx.error(
                Some(span),
                "seccomp.rule.args.bits",
                "ioctl request numbers are compared on their low 32 bits because the kernel \
                 truncates them; remove `bits = 64`",
            ));
        }
        Some((64, _)) => Width::Bits64,
        Some((other, span)) => {
            return Err(ctx.error(
                Some(span),
                "seccomp.rule.args.bits",
                format!("invalid width {other}; use 32 or 64"),
            ));
        }
    };

    let value = resolve_value(&condition.value, width, ctx, "seccomp.rule.args.value")?;
    let op = match (condition.op, &condition.mask) {
        (RawOp::MaskedEq, Some(mask)) => {
            let mask_value = resolve_value(mask, width, ctx, "seccomp.rule.args.mask")?;
            if value & !mask_value != 0 {
                return Err(ctx.error(
                    Some(condition.value.span()),
                    "seccomp.rule.args.value",
                    format!(
                        "value {value:#x} has bits outside mask {mask_value:#x}, so the \
                         condition can never hold"
                    ),
                ));
            }
            CmpOp::MaskedEq(mask_value)
        }
        (RawOp::MaskedEq, None) => {
            return Err(ctx.error(
                Some(span),
                "seccomp.rule.args.mask",
                "op = \"masked-eq\" needs a mask",
            ));
        }
        (_, Some(mask)) => {
            return Err(ctx.error(
                Some(mask.span()),
                "seccomp.rule.args.mask",
                "mask applies only to op = \"masked-eq\"",
            ));
        }
        (RawOp::Eq, None) => CmpOp::Eq,
        (RawOp::Ne, None) => CmpOp::Ne,
        (RawOp::Lt, None) => CmpOp::Lt,
        (RawOp::Le, None) => CmpOp::Le,
        (RawOp::Gt, None) => CmpOp::Gt,
        (RawOp::Ge, None) => CmpOp::Ge,
    };
    Ok(Condition {
        arg,
        op,
        value,
        width,
    })
}

/// Converts a constant to the bits compared. Negative numbers stand for their two's
/// complement in the width.
fn resolve_value(
    value: &Spanned<RawValue>,
    width: Width,
    ctx: &FileContext,
    key: &str,
) -> Result<u64, ProfileError> {
    let number = match value.get_ref() {
        RawValue::Integer(number) => i128::from(*number),
        RawValue::Text(text) => parse_number(text).ok_or_else(|| {
            ctx.error(
                Some(value.span()),
                key,
                format!(
                    "invalid number {text:?}; write a decimal, 0x hexadecimal, 0o octal or \
                     0b binary number"
                ),
            )
        })?,
    };
    let (min, max) = match width {
        Width::Bits32 => (i128::from(i32::MIN), i128::from(u32::MAX)),
        Width::Bits64 => (i128::from(i64::MIN), i128::from(u64::MAX)),
    };
    if number < min || number > max {
        return Err(ctx.error(
            Some(value.span()),
            key,
            format!("{number} does not fit in {} bits", width.bits()),
        ));
    }
    // Two's complement of negative numbers, cut to the width.
    let bits = number as u64;
    Ok(match width {
        Width::Bits32 => bits & u64::from(u32::MAX),
        Width::Bits64 => bits,
    })
}

/// Parses a decimal, `0x`, `0o` or `0b` number with an optional sign and `_` separators.
fn parse_number(text: &str) -> Option<i128> {
    let text = text.trim().replace('_', "");
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    let (radix, digits) = match digits.get(..2) {
        Some("0x" | "0X") => (16, &digits[2..]),
        Some("0o" | "0O") => (8, &digits[2..]),
        Some("0b" | "0B") => (2, &digits[2..]),
        _ => (10, digits),
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let magnitude = i128::from(u64::from_str_radix(digits, radix).ok()?);
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::tests::resolve_text;

    fn error_of(text: &str) -> String {
        resolve_text(text).unwrap_err().to_string()
    }

    #[test]
    fn allow_list_example_resolves() {
        let layer = resolve_text(
            r#"
[seccomp]
default = "errno"          # what unlisted syscalls get: allow | errno | kill | log
errno = "EPERM"            # the errno for denied calls; unknown or newer syscalls get ENOSYS
allow = ["@system-service"]
deny = ["ptrace", "@mount"]
"#,
        )
        .unwrap();
        assert_eq!(layer.default, Some(RawAction::Errno));
        assert_eq!(layer.errno, Some(Errno::EPERM));
        assert_eq!(layer.allow.len(), 1);
        assert_eq!(layer.deny.len(), 2);
        assert_eq!(layer.deny[1].at.line, 6);
    }

    #[test]
    fn unknown_syscall_names_line_and_suggestion() {
        let message = error_of("[seccomp]\nallow = [\"read\",\n  \"ptrce\"]\n");
        assert!(
            message.starts_with("p.toml:3:3: seccomp.allow: "),
            "{message}"
        );
        assert!(message.contains("unknown syscall \"ptrce\""), "{message}");
        assert!(message.contains("did you mean \"ptrace\"?"), "{message}");
    }

    #[test]
    fn unknown_group_names_line_and_suggestion() {
        let message = error_of("[seccomp]\ndeny = [\"@mounts\"]\n");
        assert!(
            message.starts_with("p.toml:2:9: seccomp.deny: "),
            "{message}"
        );
        assert!(
            message.contains("unknown syscall group \"@mounts\""),
            "{message}"
        );
        assert!(message.contains("did you mean \"@mount\"?"), "{message}");
    }

    #[test]
    fn unknown_errno_rejected() {
        let message = error_of("[seccomp]\nerrno = \"EPREM\"\n");
        assert!(
            message.starts_with("p.toml:2:9: seccomp.errno: "),
            "{message}"
        );
        assert!(message.contains("did you mean \"EPERM\"?"), "{message}");
    }

    #[test]
    fn name_of_other_arch_accepted() {
        // `open` exists on x86_64 only, `fstatat` on aarch64 only.
        let layer = resolve_text("[seccomp]\nallow = [\"open\", \"fstatat\"]\n").unwrap();
        assert_eq!(layer.allow.len(), 2);
    }

    #[test]
    fn rule_conditions_resolve() {
        let layer = resolve_text(
            r#"
[[seccomp.rule]]
syscall = "socket"
action = "errno"
errno = "EAFNOSUPPORT"
args = [{ arg = 0, op = "eq", value = 16, bits = 32 }]

[[seccomp.rule]]
syscall = "mmap"
action = "kill"
args = [
  { arg = 2, op = "masked-eq", mask = 6, value = 6 },
  { arg = 1, op = "gt", value = "0xffffffffffffffff" },
]
"#,
        )
        .unwrap();
        assert_eq!(layer.rules.len(), 2);
        assert_eq!(layer.rules[0].errno, Errno::from_name("EAFNOSUPPORT"));
        assert_eq!(
            layer.rules[0].conditions,
            vec![Condition {
                arg: 0,
                op: CmpOp::Eq,
                value: 16,
                width: Width::Bits32
            }]
        );
        assert_eq!(layer.rules[1].conditions[0].op, CmpOp::MaskedEq(6));
        assert_eq!(layer.rules[1].conditions[1].value, u64::MAX);
        assert_eq!(layer.rules[1].conditions[1].width, Width::Bits64);
    }

    #[test]
    fn ioctl_request_compared_on_32_bits() {
        let layer = resolve_text(
            "[[seccomp.rule]]\nsyscall = \"ioctl\"\naction = \"errno\"\n\
             args = [{ arg = 1, op = \"eq\", value = 0x5413 }]\n",
        )
        .unwrap();
        assert_eq!(layer.rules[0].conditions[0].width, Width::Bits32);
        let message = error_of(
            "[[seccomp.rule]]\nsyscall = \"ioctl\"\naction = \"errno\"\n\
             args = [{ arg = 1, op = \"eq\", value = 0x5413, bits = 64 }]\n",
        );
        assert!(message.contains("seccomp.rule.args.bits"), "{message}");
        assert!(message.contains("low 32 bits"), "{message}");
    }

    #[test]
    fn negative_value_is_twos_complement() {
        let layer = resolve_text(
            "[[seccomp.rule]]\nsyscall = \"personality\"\naction = \"allow\"\n\
             args = [{ arg = 0, op = \"eq\", value = -1, bits = 32 }]\n",
        )
        .unwrap();
        assert_eq!(layer.rules[0].conditions[0].value, 0xffff_ffff);
    }

    #[test]
    fn condition_errors() {
        let cases = [
            (
                "{ arg = 6, op = \"eq\", value = 1 }",
                "argument index 6 is out of range",
            ),
            (
                "{ arg = 0, op = \"eq\", value = 1, bits = 16 }",
                "invalid width 16",
            ),
            (
                "{ arg = 0, op = \"eq\", value = 0x100000000, bits = 32 }",
                "does not fit in 32",
            ),
            ("{ arg = 0, op = \"masked-eq\", value = 1 }", "needs a mask"),
            (
                "{ arg = 0, op = \"eq\", value = 1, mask = 1 }",
                "only to op = \"masked-eq\"",
            ),
            (
                "{ arg = 0, op = \"masked-eq\", mask = 2, value = 3 }",
                "bits outside mask",
            ),
            (
                "{ arg = 0, op = \"eq\", value = \"12z\" }",
                "invalid number \"12z\"",
            ),
        ];
        for (condition, expected) in cases {
            let text = format!(
                "[[seccomp.rule]]\nsyscall = \"read\"\naction = \"allow\"\nargs = [{condition}]\n"
            );
            let message = error_of(&text);
            assert!(message.starts_with("p.toml:4:"), "{condition}: {message}");
            assert!(message.contains(expected), "{condition}: {message}");
        }
    }

    #[test]
    fn rule_errors() {
        let message = error_of("[[seccomp.rule]]\nsyscall = \"@mount\"\naction = \"allow\"\n");
        assert!(message.contains("not to the group"), "{message}");
        let message =
            error_of("[[seccomp.rule]]\nsyscall = \"read\"\naction = \"allow\"\nerrno = \"EIO\"\n");
        assert!(
            message.starts_with("p.toml:4:9: seccomp.rule.errno: "),
            "{message}"
        );
    }

    #[test]
    fn merge_appends_lists_and_later_scalars_win() {
        let mut base = resolve_text(
            "[seccomp]\ndefault = \"kill\"\nallow = [\"read\"]\n\
             [seccomp.baseline]\nptrace = false\n",
        )
        .unwrap();
        let later = resolve_text(
            "[seccomp]\nerrno = \"EACCES\"\nallow = [\"write\"]\n\
             [seccomp.baseline]\nptrace = true\nbpf = false\n",
        )
        .unwrap();
        base.merge(later);
        assert_eq!(base.default, Some(RawAction::Kill));
        assert_eq!(base.errno, Errno::from_name("EACCES"));
        let names: Vec<_> = base.allow.iter().map(|entry| entry.name.as_str()).collect();
        assert_eq!(names, ["read", "write"]);
        assert_eq!(base.baseline.get(&BaselineItem::Ptrace), Some(&true));
        assert_eq!(base.baseline.get(&BaselineItem::Bpf), Some(&false));
    }

    #[test]
    fn parse_number_forms() {
        assert_eq!(parse_number("0x10"), Some(16));
        assert_eq!(parse_number("0o10"), Some(8));
        assert_eq!(parse_number("0b10"), Some(2));
        assert_eq!(parse_number("-0x10"), Some(-16));
        assert_eq!(parse_number("1_000"), Some(1000));
        assert_eq!(parse_number("0x"), None);
        assert_eq!(parse_number("--1"), None);
    }
}
