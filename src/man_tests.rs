//! Checks that the hand-written man pages cover the command line and the profile format, and
//! that they render without warnings.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::CommandFactory;
use serde_json::Value;

use crate::cli::Cli;

fn man_page(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("man").join(name)
}

/// Reads a man page with the roff escapes that break words (`\-`, `\&`) removed.
fn man_text(name: &str) -> String {
    let text = std::fs::read_to_string(man_page(name)).unwrap();
    text.replace("\\-", "-").replace("\\&", "")
}

/// Collects the dotted path of every key in the schema, following `$ref` into the
/// definitions and `items` into arrays of tables.
fn schema_keys(root: &Value, node: &Value, prefix: &str, depth: usize, keys: &mut Vec<String>) {
    assert!(
        depth < 16,
        "the schema nests deeper than expected at {prefix}"
    );
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/definitions/");
        schema_keys(root, &root["definitions"][name], prefix, depth + 1, keys);
    }
    for combinator in ["allOf", "anyOf", "oneOf"] {
        for variant in node
            .get(combinator)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            schema_keys(root, variant, prefix, depth + 1, keys);
        }
    }
    if let Some(items) = node.get("items") {
        schema_keys(root, items, prefix, depth + 1, keys);
    }
    for (key, property) in node
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let path = match prefix {
            "" => key.clone(),
            _ => format!("{prefix}.{key}"),
        };
        if !keys.contains(&path) {
            keys.push(path.clone());
        }
        schema_keys(root, property, &path, depth + 1, keys);
    }
}

#[test]
fn format_page_documents_every_key() {
    let schema: Value = serde_json::from_str(&crate::schema::generate()).unwrap();
    let mut keys = Vec::new();
    schema_keys(&schema, &schema, "", 0, &mut keys);
    assert!(
        keys.contains(&"landlock.rule.paths".to_string()),
        "{keys:?}"
    );
    let page = man_text("sandbox.toml.5");
    let missing: Vec<&String> = keys
        .iter()
        .filter(|key| !page.contains(key.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "keys missing from man/sandbox.toml.5: {missing:?}"
    );
}

/// Splits the `.TP` entries of a man page into (tag line, body) pairs.
fn tagged_paragraphs(page: &str) -> Vec<(String, String)> {
    let mut entries = Vec::new();
    for block in page.split(".TP\n").skip(1) {
        let (tag, body) = block.split_once('\n').unwrap_or((block, ""));
        let body = body.split("\n.TP").next().unwrap_or("");
        let body = body.split("\n.SH").next().unwrap_or("");
        let body = body.split("\n.SS").next().unwrap_or("");
        entries.push((tag.to_string(), body.to_string()));
    }
    entries
}

#[test]
fn format_page_lists_seccomp_groups() {
    let page = man_text("sandbox.toml.5");
    let entries = tagged_paragraphs(&page);
    for group in crate::seccomp::groups::GROUPS {
        let name = group.name;
        let tag = format!(".B @{name}");
        let Some((_, body)) = entries.iter().find(|(line, _)| *line == tag) else {
            panic!("man/sandbox.toml.5 has no entry for @{name}");
        };
        for member in group.members {
            let word = format!("\\fB{member}\\fR");
            assert!(
                body.contains(&word),
                "@{name} in man/sandbox.toml.5 lacks {member}"
            );
        }
    }
}

#[test]
fn command_page_documents_every_option() {
    let page = man_text("sandbox.1");
    let command = Cli::command();
    let mut missing = Vec::new();
    let subcommands = command.get_subcommands().filter(|sub| !sub.is_hide_set());
    for sub in subcommands {
        if !page.contains(&format!(".B {}", sub.get_name()))
            && !page.contains(&format!(".BI \"{} ", sub.get_name()))
        {
            missing.push(sub.get_name().to_string());
        }
        for arg in sub.get_arguments() {
            if let Some(long) = arg.get_long()
                && !page.contains(&format!("--{long}"))
            {
                missing.push(format!("{} --{long}", sub.get_name()));
            }
        }
    }
    for arg in command.get_arguments() {
        if let Some(long) = arg.get_long()
            && !page.contains(&format!("--{long}"))
        {
            missing.push(format!("--{long}"));
        }
    }
    assert!(
        missing.is_empty(),
        "missing from man/sandbox.1: {missing:?}"
    );
}

#[test]
fn man_pages_render_cleanly() {
    if Command::new("man").arg("--version").output().is_err() {
        eprintln!("SKIPPED man_pages_render_cleanly: man is not installed (man-db)");
        return;
    }
    for name in ["sandbox.1", "sandbox.toml.5"] {
        let output = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(man_page(name))
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "man -l {name}: {stderr}");
        assert!(stderr.is_empty(), "man -l {name} warned: {stderr}");
        assert!(stdout.contains("NAME"), "man -l {name} printed: {stdout}");
    }
}
