//! The origin of each setting of a merged profile (file, line, column), for `sandbox explain`.
//!
//! The table is built from the TOML text of each file, not from the section types, so a new
//! section is covered without code here. It follows the merge rules of `Layer::merge`: a
//! scalar written by a later file replaces the earlier entry, and array items append in
//! include order. A list that a later file replaces as a whole is named in [`REPLACED_LISTS`].

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::context::line_starts;
use super::{FileContext, Location};

/// Lists that a later file replaces instead of appending to, as the section's merge does.
const REPLACED_LISTS: &[&str] = &["landlock.scope"];

/// One value as written in a profile file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Written {
    pub at: Location,
    /// The value's TOML text, or `None` for a table (an item of an array of tables).
    pub text: Option<String>,
}

/// Dotted key paths of a merged profile (`namespaces.net`, `env.set.HOME`, `mount[2].dest`)
/// mapped to the values written for them, in merge order.
///
/// A scalar has one entry, from the last file that set it. An array has one entry per item,
/// from every file, in include order, and an empty array one entry with the text `[]`. An item of an array of tables is an entry without text
/// under the array's key, and its keys follow under `KEY[INDEX]`, where INDEX counts the items
/// of every file merged so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct Origins {
    entries: BTreeMap<String, Vec<Written>>,
}

impl Origins {
    /// Returns the values written for `key`, in merge order; empty when no file set it.
    pub(crate) fn get(&self, key: &str) -> &[Written] {
        self.entries.get(key).map_or(&[], Vec::as_slice)
    }

    /// Iterates over every key and its values, sorted by key.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &[Written])> {
        (self.entries.iter()).map(|(key, written)| (key.as_str(), written.as_slice()))
    }

    /// Merges the settings of one file on top of those recorded so far. A file that does not
    /// parse adds nothing, because loading it has already failed.
    pub(super) fn record_file(&mut self, ctx: &FileContext) {
        let Ok(table) = DeTable::parse(ctx.text) else {
            return;
        };
        let file = File {
            path: Arc::from(ctx.path),
            text: ctx.text,
            line_starts: line_starts(ctx.text),
        };
        self.record_table("", table.get_ref(), &file);
    }

    fn record_table(&mut self, prefix: &str, table: &DeTable, ctx: &File) {
        for (key, value) in table {
            let path = match prefix {
                "" => key.get_ref().to_string(),
                _ => format!("{prefix}.{}", key.get_ref()),
            };
            match value.get_ref() {
                DeValue::Table(inner) => self.record_table(&path, inner, ctx),
                DeValue::Array(items) => {
                    if REPLACED_LISTS.contains(&path.as_str()) {
                        self.entries.remove(&path);
                    }
                    // An empty list can matter (`connect_tcp = []` denies every port), so it
                    // is an entry of its own, with the text `[]`.
                    if items.is_empty() {
                        let written = self.written(value, ctx);
                        self.entries.entry(path.clone()).or_default().push(written);
                    }
                    for item in items {
                        self.record_item(&path, item, ctx);
                    }
                }
                _ => {
                    let written = self.written(value, ctx);
                    self.entries.insert(path, vec![written]);
                }
            }
        }
    }

    /// Appends one array item: a scalar as it is, a table as an entry plus its own keys.
    fn record_item(&mut self, path: &str, item: &Spanned<DeValue>, ctx: &File) {
        let written = self.written(item, ctx);
        let items = self.entries.entry(path.to_string()).or_default();
        let index = items.len();
        items.push(written);
        if let DeValue::Table(inner) = item.get_ref() {
            self.record_table(&format!("{path}[{index}]"), inner, ctx);
        }
    }

    fn written(&self, value: &Spanned<DeValue>, ctx: &File) -> Written {
        let text = match value.get_ref() {
            DeValue::Table(_) => None,
            _ => ctx
                .text
                .get(value.span())
                .map(|text| text.trim().to_string()),
        };
        Written {
            at: ctx.location(value.span().start),
            text,
        }
    }
}

/// One file being recorded, with the byte offset of each line's start, so that locating a
/// value is a binary search rather than a count of the newlines before it.
struct File<'a> {
    path: Arc<Path>,
    text: &'a str,
    line_starts: Vec<usize>,
}

impl File<'_> {
    /// Converts a byte offset into a line and column, counted as `FileContext::location` does.
    fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line_index = self.line_starts.partition_point(|&start| start <= offset) - 1;
        Location {
            file: Arc::clone(&self.path),
            line: line_index + 1,
            column: offset - self.line_starts[line_index] + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::profile::Vars;

    fn record(origins: &mut Origins, file: &str, text: &str) {
        let vars = Vars::default();
        let ctx = FileContext::new(Path::new(file), text, &vars);
        origins.record_file(&ctx);
    }

    fn shown(written: &[Written]) -> Vec<String> {
        let show = |w: &Written| format!("{}={}", w.at, w.text.as_deref().unwrap_or("{table}"));
        written.iter().map(show).collect()
    }

    #[test]
    fn origins_later_scalar_wins() {
        let mut origins = Origins::default();
        record(&mut origins, "base.toml", "[namespaces]\nnet = false\n");
        record(&mut origins, "main.toml", "\n[namespaces]\nnet = true\n");
        assert_eq!(shown(origins.get("namespaces.net")), ["main.toml:3:7=true"]);
    }

    #[test]
    fn origins_arrays_append() {
        let mut origins = Origins::default();
        record(&mut origins, "base.toml", "[env]\nkeep = [\"A\", \"B\"]\n");
        record(&mut origins, "main.toml", "env.keep = [\"C\"]\n");
        assert_eq!(
            shown(origins.get("env.keep")),
            [
                "base.toml:2:9=\"A\"",
                "base.toml:2:14=\"B\"",
                "main.toml:1:13=\"C\""
            ]
        );
    }

    #[test]
    fn origins_replaced_list_keeps_later_file() {
        let mut origins = Origins::default();
        record(
            &mut origins,
            "base.toml",
            "[landlock]\nscope = [\"signal\"]\n",
        );
        record(&mut origins, "main.toml", "[landlock]\nscope = []\n");
        assert_eq!(shown(origins.get("landlock.scope")), ["main.toml:2:9=[]"]);
    }

    #[test]
    fn origins_tables_in_arrays_count_across_files() {
        let mut origins = Origins::default();
        record(&mut origins, "base.toml", "[[mount]]\ntype = \"proc\"\n");
        record(&mut origins, "main.toml", "[[mount]]\ntype = \"dev\"\n");
        assert_eq!(origins.get("mount").len(), 2);
        assert_eq!(
            shown(origins.get("mount[1].type")),
            ["main.toml:2:8=\"dev\""]
        );
    }

    #[test]
    fn origins_location_matches_file_context() {
        let text = "a = 1\n\n[t]\nbb = [\n  2,\n]\n";
        let vars = Vars::default();
        let ctx = FileContext::new(Path::new("p.toml"), text, &vars);
        let file = File {
            path: Arc::from(ctx.path),
            text,
            line_starts: line_starts(text),
        };
        for offset in 0..=text.len() {
            assert_eq!(
                file.location(offset),
                ctx.location(Some(offset..offset)),
                "{offset}"
            );
        }
    }

    #[test]
    fn origins_inline_tables_nest() {
        let mut origins = Origins::default();
        record(&mut origins, "p.toml", "[env]\nset = { A = \"1\" }\n");
        assert_eq!(shown(origins.get("env.set.A")), ["p.toml:2:13=\"1\""]);
    }
}
