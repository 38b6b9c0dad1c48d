//! The text form of an explain report.

use std::fmt::Write;

use super::Report;
use super::exposure::Finding;

/// Formats `report` for a terminal: settings, machine checks, then the exposure findings and
/// the score.
pub(crate) fn text(report: &Report) -> String {
    let mut out = String::new();
    write_header(&mut out, report);
    write_settings(&mut out, report);
    write_machine(&mut out, report);
    write_exposure(&mut out, report);
    out
}

fn write_header(out: &mut String, report: &Report) {
    let _ = writeln!(out, "profile {} ({})", report.profile, report.source);
    if let Some(description) = &report.description {
        let _ = writeln!(out, "  {description}");
    }
}

fn write_settings(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "\nsettings after includes and variables (where written, or `default`):"
    );
    let key_width = column_width(report.settings.iter().map(|s| s.key.len()));
    let value_width = column_width(report.settings.iter().map(|s| s.text.len())).min(48);
    for setting in &report.settings {
        let origin = setting.origin.as_deref().unwrap_or("default");
        let as_written = if setting.resolved {
            ""
        } else {
            " (as written)"
        };
        let _ = writeln!(
            out,
            "  {:key_width$} = {:value_width$}  {origin}{as_written}",
            setting.key, setting.text
        );
    }
}

fn write_machine(out: &mut String, report: &Report) {
    let _ = writeln!(out, "\non this machine (requested -> enforced):");
    let item_width = column_width(report.machine.iter().map(|check| check.item.len()));
    for check in &report.machine {
        let _ = writeln!(
            out,
            "  {:8} {:item_width$}  {}",
            check.status.label(),
            check.item,
            check.detail
        );
    }
}

fn write_exposure(out: &mut String, report: &Report) {
    let exposure = &report.exposure;
    let mut open: Vec<&Finding> = (exposure.findings.iter())
        .filter(|finding| finding.exposure > 0.0)
        .collect();
    open.sort_by(|a, b| (b.weight * b.exposure).total_cmp(&(a.weight * a.exposure)));
    let _ = writeln!(
        out,
        "\nexposure (weight x exposure, what the target can still do):"
    );
    for finding in &open {
        let _ = write!(
            out,
            "  {:3.1} x {:.2}  {:18} {}",
            finding.weight, finding.exposure, finding.id, finding.detail
        );
        match &finding.origin {
            Some(origin) => {
                let _ = writeln!(out, " ({origin})");
            }
            None => out.push('\n'),
        }
    }
    let closed: Vec<&str> = (exposure.findings.iter())
        .filter(|finding| finding.exposure == 0.0)
        .map(|finding| finding.id)
        .collect();
    if !closed.is_empty() {
        let _ = writeln!(out, "  closed: {}", closed.join(", "));
    }
    let _ = writeln!(
        out,
        "\nscore {:.1} / 10 (0 is locked down, 10 is no isolation)",
        exposure.score
    );
    if let Some(threshold) = report.threshold {
        let verdict = if threshold.exceeded {
            "above"
        } else {
            "within"
        };
        let _ = writeln!(out, "threshold {}: {verdict}", threshold.value);
    }
}

fn column_width(lengths: impl Iterator<Item = usize>) -> usize {
    lengths.max().unwrap_or(0)
}
