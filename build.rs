//! Compiles every `profiles/*.toml` into the binary as a built-in profile.
//!
//! Writes `$OUT_DIR/builtin_profiles.rs`, a table of `(NAME, TEXT)` pairs sorted by name, so
//! adding a file to `profiles/` needs no code change. Writes `$OUT_DIR/builtin_parse_texts.rs`
//! too: the same texts in the same order without their comments, which is what loading parses
//! (see `lookup::parse_text`).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use toml_parser::lexer::TokenKind;

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let profiles_dir = manifest_dir.join("profiles");
    // A directory here makes cargo rerun this script when any file below it changes.
    println!("cargo:rerun-if-changed={}", profiles_dir.display());

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let parse_dir = out.join("builtin_parse_texts");
    fs::create_dir_all(&parse_dir).expect("create the folder of parse texts");

    let mut entries = builtin_profiles(&profiles_dir);
    entries.sort();
    let mut table = String::from("&[\n");
    let mut parse_table = String::from("&[\n");
    for (name, path) in &entries {
        table.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display()
        ));
        let text = fs::read_to_string(path).expect("read a profile");
        let parse_path = parse_dir.join(format!("{name}.toml"));
        fs::write(&parse_path, without_comments(&text)).expect("write a parse text");
        parse_table.push_str(&format!("    include_str!({:?}),\n", parse_path.display()));
    }
    table.push_str("]\n");
    parse_table.push_str("]\n");

    fs::write(out.join("builtin_profiles.rs"), table).expect("write builtin_profiles.rs");
    fs::write(out.join("builtin_parse_texts.rs"), parse_table)
        .expect("write builtin_parse_texts.rs");
}

/// Lists `(NAME, PATH)` for each `NAME.toml` in `dir`.
fn builtin_profiles(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).expect("read the profiles directory") {
        let path = entry.expect("read the profiles directory").path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            let stem = path.file_stem().and_then(|stem| stem.to_str());
            let name = stem.expect("profile file names are UTF-8").to_string();
            entries.push((name, path));
        }
    }
    entries
}

/// Removes the comments of a TOML text, and the whitespace before them and at the ends of lines.
///
/// Line breaks stay and a comment runs to the end of its line, so every other token keeps its
/// line and column. The tokens come from the lexer that the `toml` crate parses with, so a `#`
/// inside a string is never taken for a comment.
fn without_comments(text: &str) -> String {
    let mut stripped = String::with_capacity(text.len());
    // Whitespace is written only once a token follows it on the same line.
    let mut whitespace = "";
    for token in toml_parser::Source::new(text).lex() {
        let span = token.span();
        let piece = &text[span.start()..span.end()];
        match token.kind() {
            TokenKind::Whitespace => whitespace = piece,
            TokenKind::Comment | TokenKind::Eof => whitespace = "",
            TokenKind::Newline => {
                whitespace = "";
                stripped.push_str(piece);
            }
            _ => {
                stripped.push_str(whitespace);
                whitespace = "";
                stripped.push_str(piece);
            }
        }
    }
    stripped
}
