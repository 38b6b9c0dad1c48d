//! Compiles every `profiles/*.toml` into the binary as a built-in profile.
//!
//! Writes `$OUT_DIR/builtin_profiles.rs`, a table of `(NAME, TEXT)` pairs sorted by name, so
//! adding a file to `profiles/` needs no code change.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let profiles_dir = manifest_dir.join("profiles");
    // A directory here makes cargo rerun this script when any file below it changes.
    println!("cargo:rerun-if-changed={}", profiles_dir.display());

    let mut entries = builtin_profiles(&profiles_dir);
    entries.sort();
    let mut table = String::from("&[\n");
    for (name, path) in &entries {
        table.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display()
        ));
    }
    table.push_str("]\n");

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    fs::write(out.join("builtin_profiles.rs"), table).expect("write builtin_profiles.rs");
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
