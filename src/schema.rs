//! The JSON Schema of the profile format, generated from the raw serde types in
//! `profile/raw.rs` and the sections they embed, so that it cannot drift from what the loader
//! accepts. `schemas/profile.schema.json` is this output, checked by a test.
//!
//! The schema checks the shape of each file (keys, types, allowed values). Rules between keys
//! and across includes (`validate.rs`) are left to `sandbox check`.

use schemars::Schema;
use schemars::transform::RecursiveTransform;
use serde_json::Value;

use crate::profile::RawProfile;

/// Environment variable that makes the drift test rewrite the committed schema.
#[cfg(test)]
const UPDATE_VARIABLE: &str = "SANDBOX_UPDATE_SCHEMA";

/// Generates the schema as pretty-printed JSON, ending in a newline.
///
/// Draft 7, because it is the newest draft that the common TOML and JSON editor plugins
/// validate against.
pub(crate) fn generate() -> String {
    let generator = schemars::generate::SchemaSettings::draft07()
        .for_deserialize()
        .with_transform(RecursiveTransform(drop_null))
        .with_transform(RecursiveTransform(unwrap_description))
        .into_generator();
    let schema = generator.into_root_schema_for::<RawProfile>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes to JSON");
    text.push('\n');
    text
}

/// Removes the `null` that schemars allows for an `Option`: TOML has no null, and an editor
/// would offer it. An absent key is what stands for `None`.
fn drop_null(schema: &mut Schema) {
    if let Some(Value::Array(types)) = schema.get_mut("type") {
        types.retain(|name| name != "null");
        if let [single] = types.as_slice() {
            let single = single.clone();
            schema.insert("type".into(), single);
        }
    }
    let Some(Value::Array(variants)) = schema.get_mut("anyOf") else {
        return;
    };
    variants.retain(|variant| variant.get("type").is_none_or(|name| name != "null"));
    // A single variant left is the referenced type itself; `allOf` keeps the description
    // beside it, which draft 7 would ignore next to a bare `$ref`.
    if variants.len() == 1
        && let Some(variants) = schema.remove("anyOf")
    {
        schema.insert("allOf".into(), variants);
    }
}

/// Joins the lines of a description that come from a wrapped doc comment; a blank line stays a
/// paragraph break.
fn unwrap_description(schema: &mut Schema) {
    let Some(Value::String(text)) = schema.get_mut("description") else {
        return;
    };
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|paragraph| paragraph.split('\n').collect::<Vec<_>>().join(" "))
        .collect();
    *text = paragraphs.join("\n\n");
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use serde_json::Value;

    use super::*;

    fn committed_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/profile.schema.json")
    }

    fn schema() -> Value {
        serde_json::from_str(&generate()).unwrap()
    }

    /// Returns the validation errors of a TOML profile text, converted to JSON.
    fn errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
        let table: toml::Table = toml::from_str(text).unwrap();
        let instance = serde_json::to_value(table).unwrap();
        validator
            .iter_errors(&instance)
            .map(|err| format!("{} at {}", err, err.instance_path()))
            .collect()
    }

    fn validator() -> jsonschema::Validator {
        jsonschema::validator_for(&schema()).unwrap()
    }

    #[test]
    fn schema_file_is_current() {
        let generated = generate();
        let path = committed_path();
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed == generated {
            return;
        }
        if std::env::var_os(UPDATE_VARIABLE).is_some() {
            std::fs::write(&path, &generated).unwrap();
            return;
        }
        panic!(
            "{} differs from the schema generated from the profile types; regenerate it with \
             `{UPDATE_VARIABLE}=1 cargo test schema_file_is_current` or \
             `cargo run -- schema > schemas/profile.schema.json`, then review the diff",
            path.display()
        );
    }

    #[test]
    fn schema_describes_every_key() {
        let mut undescribed = Vec::new();
        let mut count = 0;
        walk_properties(&schema(), "", &mut |key, property| {
            count += 1;
            if property.get("description").is_none() {
                undescribed.push(key.to_string());
            }
        });
        assert!(count > 30, "only {count} keys found");
        assert!(
            undescribed.is_empty(),
            "keys without a description: {undescribed:?}"
        );
    }

    #[test]
    fn schema_lists_mount_types() {
        let schema = schema();
        let variants = schema["definitions"]["MountType"]["oneOf"]
            .as_array()
            .unwrap();
        let names: Vec<&str> = variants
            .iter()
            .filter_map(|v| v["const"].as_str())
            .collect();
        assert_eq!(
            names,
            [
                "bind", "ro-bind", "dev-bind", "tmpfs", "proc", "dev", "dir", "symlink", "file"
            ]
        );
        for variant in variants {
            assert!(variant.get("description").is_some(), "{variant}");
        }
    }

    #[test]
    fn schema_states_namespace_defaults() {
        let schema = schema();
        let properties = &schema["definitions"]["Namespaces"]["properties"];
        for name in ["user", "pid", "mount", "net", "ipc", "uts", "cgroup"] {
            assert_eq!(properties[name]["default"], Value::Bool(true), "{name}");
        }
    }

    #[test]
    fn shipped_profiles_validate() {
        let validator = validator();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|ext| ext != "toml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let found = errors(&validator, &text);
            assert!(found.is_empty(), "{}: {found:?}", path.display());
            checked += 1;
        }
        assert!(checked > 0, "no profile in {}", dir.display());
    }

    #[test]
    fn schema_accepts_fixture_profiles() {
        let validator = validator();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        for name in [
            "untrusted-cli.toml",
            "include/base.toml",
            "include/child.toml",
        ] {
            let text = std::fs::read_to_string(fixtures.join(name)).unwrap();
            let found = errors(&validator, &text);
            assert!(found.is_empty(), "{name}: {found:?}");
        }
    }

    #[test]
    fn schema_rejects_invalid_profiles() {
        let validator = validator();
        let cases = [
            ("unknown key", "hostnme = \"x\"\n"),
            ("unknown table key", "[namespaces]\nnetwork = true\n"),
            ("wrong type", "[namespaces]\nnet = \"yes\"\n"),
            (
                "unknown mount type",
                "[[mount]]\ntype = \"overlay\"\ndest = \"/x\"\n",
            ),
            ("mount without type", "[[mount]]\ndest = \"/x\"\n"),
            (
                "long hostname",
                &format!("hostname = \"{}\"\n", "h".repeat(65)),
            ),
            (
                "bad mode",
                "[[mount]]\ntype = \"tmpfs\"\ndest = \"/t\"\nmode = \"999\"\n",
            ),
            (
                "bad size",
                "[[mount]]\ntype = \"tmpfs\"\ndest = \"/t\"\nsize = \"1T\"\n",
            ),
            ("low descriptor", "[process]\nkeep_fds = [2]\n"),
            ("unknown env key", "[env]\nclean = true\n"),
        ];
        for (case, text) in cases {
            assert!(!errors(&validator, text).is_empty(), "{case} accepted");
        }
    }

    #[test]
    fn schema_line_loads() {
        let text = "#:schema ../schemas/profile.schema.json\nhostname = \"h\"\n";
        let parsed: Result<RawProfile, _> = toml::from_str(text);
        assert!(parsed.is_ok(), "{parsed:?}");
    }

    /// Calls `visit` with the dotted path and schema of every property of every object, the
    /// definitions included.
    pub(crate) fn walk_properties(
        schema: &Value,
        prefix: &str,
        visit: &mut impl FnMut(&str, &Value),
    ) {
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (key, property) in properties {
                let path = match prefix {
                    "" => key.clone(),
                    _ => format!("{prefix}.{key}"),
                };
                visit(&path, property);
                walk_properties(property, &path, visit);
            }
        }
        if let Some(definitions) = schema.get("definitions").and_then(Value::as_object) {
            for (name, definition) in definitions {
                walk_properties(definition, name, visit);
            }
        }
    }
}
