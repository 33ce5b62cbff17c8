//! One AWS CLI JSON output being imported, with the record of which of its
//! fields were mapped into the scenario. Whatever is not mapped is reported
//! (collapsed to the largest wholly unmapped subtree, so a service's
//! `events` array is one line, not one per event): nothing is dropped
//! silently.

use std::collections::BTreeSet;

use serde_json::Value as Json;

/// An AWS CLI output file and the paths of its fields that were used.
#[derive(Debug, Clone)]
pub struct Source {
    /// File name inside the imported folder.
    pub file: String,
    /// Its parsed JSON.
    pub json: Json,
    /// Paths (`services[0].deployments[1].taskDefinition`) that were
    /// mapped; a mapped path covers everything below it.
    pub mapped: BTreeSet<String>,
    /// Why some unmapped fields could not be mapped: (path, reason),
    /// printed after the list.
    pub reasons: Vec<(String, String)>,
}

/// `base.key` or `key` at the root.
pub fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

/// `base[i]`.
pub fn index(base: &str, i: usize) -> String {
    format!("{base}[{i}]")
}

impl Source {
    pub fn new(file: String, json: Json) -> Self {
        Source {
            file,
            json,
            mapped: BTreeSet::new(),
            reasons: Vec::new(),
        }
    }

    /// Marks `path` (and all below it) as mapped.
    pub fn mark(&mut self, path: &str) {
        self.mapped.insert(path.to_string());
    }

    /// Says why `path` is not mapped (it stays in the unmapped list).
    pub fn why(&mut self, path: &str, reason: impl Into<String>) {
        self.reasons.push((path.to_string(), reason.into()));
    }

    /// The fields not mapped, each the largest subtree none of whose
    /// fields was mapped, in document order.
    pub fn unmapped(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.json, "", &self.mapped, &mut out);
        out
    }

    /// Whether `path` or one of its ancestors is mapped.
    pub fn is_mapped(&self, path: &str) -> bool {
        covered(path, &self.mapped)
    }
}

/// Whether `path` is mapped itself or lies under a mapped path.
fn covered(path: &str, mapped: &BTreeSet<String>) -> bool {
    if mapped.contains(path) {
        return true;
    }
    let b = path.as_bytes();
    (1..b.len()).any(|i| (b[i] == b'.' || b[i] == b'[') && mapped.contains(&path[..i]))
}

/// Whether anything at or below `path` is mapped.
fn touched(path: &str, mapped: &BTreeSet<String>) -> bool {
    if covered(path, mapped) {
        return true;
    }
    let dot = format!("{path}.");
    let bracket = format!("{path}[");
    mapped
        .range(path.to_string()..)
        .take_while(|m| m.starts_with(path))
        .any(|m| path.is_empty() || m.starts_with(&dot) || m.starts_with(&bracket))
}

fn walk(v: &Json, path: &str, mapped: &BTreeSet<String>, out: &mut Vec<String>) {
    if covered(path, mapped) {
        return;
    }
    if !path.is_empty() && !touched(path, mapped) {
        out.push(path.to_string());
        return;
    }
    match v {
        Json::Object(o) => {
            for (k, c) in o {
                walk(c, &join(path, k), mapped, out);
            }
        }
        Json::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                walk(c, &index(path, i), mapped, out);
            }
        }
        _ => out.push(path.to_string()),
    }
}

/// Whether `path` is `origin` or lies below it (`""` is above everything).
pub fn under(path: &str, origin: &str) -> bool {
    origin.is_empty()
        || path == origin
        || path
            .strip_prefix(origin)
            .is_some_and(|r| r.starts_with('.') || r.starts_with('['))
}

/// Every leaf path of a JSON document (scalars and empty containers), in
/// document order: what a coverage check compares the report against.
pub fn leaves(v: &Json) -> Vec<String> {
    fn go(v: &Json, path: &str, out: &mut Vec<String>) {
        match v {
            Json::Object(o) if !o.is_empty() => {
                for (k, c) in o {
                    go(c, &join(path, k), out);
                }
            }
            Json::Array(a) if !a.is_empty() => {
                for (i, c) in a.iter().enumerate() {
                    go(c, &index(path, i), out);
                }
            }
            _ => out.push(path.to_string()),
        }
    }
    let mut out = Vec::new();
    go(v, "", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmapped_subtrees_are_collapsed() {
        let json: Json = serde_json::from_str(
            r#"{"a": 1, "b": {"c": 2, "d": [1, 2]}, "e": [{"f": 1, "g": 2}], "h": {"i": 1}}"#,
        )
        .unwrap();
        let mut s = Source::new("x.json".into(), json);
        s.mark("a");
        s.mark("e[0].f");
        s.mark("h");
        // `b` wholly unmapped: one line; `e[0].g` beside a mapped field.
        assert_eq!(s.unmapped(), ["b", "e[0].g"]);
        assert!(s.is_mapped("h.i") && !s.is_mapped("e[0].g") && !s.is_mapped("a2"));
        assert_eq!(
            leaves(&s.json),
            ["a", "b.c", "b.d[0]", "b.d[1]", "e[0].f", "e[0].g", "h.i"]
        );
        // A key that only starts like a mapped one is not under it.
        let mut t = Source::new("y.json".into(), serde_json::json!({"ab": 1, "a": 2}));
        t.mark("a");
        assert_eq!(t.unmapped(), ["ab"]);
    }
}
