//! `--set path=value`: overrides applied to the scenario tree before it is
//! validated, with the same paths the error messages print.
//!
//! Paths are dot-separated keys with `[i]` indexes: `duration`,
//! `cluster.tieBreak`, `services[0].desiredCount`. An element of a list of
//! tables can also be named by its `name`, `serviceName` or `family`:
//! `services.web.desiredCount`, `instanceGroups.general.count`. Values are
//! TOML (`5`, `true`, `"90s"`, `[{ type = "random" }]`); a value that is not
//! valid TOML is taken as a string, so `cluster.tieBreak=lowest-id` works.

use toml::{Table, Value};

use super::error::ScenarioError;

/// Splits `path=value`.
pub fn parse_assignment(s: &str) -> Result<(String, String), ScenarioError> {
    match s.split_once('=') {
        Some((p, v)) if !p.trim().is_empty() => Ok((p.trim().to_string(), v.to_string())),
        _ => Err(ScenarioError::Override {
            assignment: s.to_string(),
            message: "expected PATH=VALUE, e.g. services.web.desiredCount=8".into(),
        }),
    }
}

/// Parses an override value as TOML, falling back to a plain string.
pub fn parse_value(text: &str) -> Value {
    let doc = format!("v = {text}");
    match doc.parse::<Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| Value::String(text.to_string())),
        Err(_) => Value::String(text.to_string()),
    }
}

enum Seg {
    Key(String),
    Index(usize),
}

fn segments(path: &str) -> Result<Vec<Seg>, String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Seg::Key(key.to_string()));
        } else if rest.is_empty() {
            return Err("empty path segment".into());
        }
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').ok_or("unclosed `[`")?;
            let i = r[..end]
                .parse::<usize>()
                .map_err(|_| format!("bad index `{}`", &r[..end]))?;
            out.push(Seg::Index(i));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("unexpected `{rest}`"));
        }
    }
    Ok(out)
}

/// Sets `path` to `value` in `root`, creating missing tables for missing keys.
pub fn apply(root: &mut Table, path: &str, value: Value) -> Result<(), String> {
    let segs = segments(path)?;
    let mut tree = Value::Table(std::mem::take(root));
    let result = set(&mut tree, &segs, value).map_err(|e| match e {
        SetError::NoElement { name, closest } => {
            let hint = match closest {
                Some(c) => format!("; did you mean {}?", rename_segment(path, &name, &c)),
                None => String::new(),
            };
            format!("no element named `{name}` in the list{hint}")
        }
        SetError::Other(m) => m,
    });
    if let Value::Table(t) = tree {
        *root = t;
    }
    result
}

/// `path` with its first dot-separated segment equal to `from` renamed `to`.
fn rename_segment(path: &str, from: &str, to: &str) -> String {
    let mut done = false;
    path.split('.')
        .map(|part| {
            if !done && part == from {
                done = true;
                to.to_string()
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

enum SetError {
    /// A list element named `name` does not exist; `closest` is the
    /// nearest name that does.
    NoElement {
        name: String,
        closest: Option<String>,
    },
    Other(String),
}

impl From<String> for SetError {
    fn from(m: String) -> Self {
        SetError::Other(m)
    }
}

const NAME_FIELDS: [&str; 3] = ["name", "serviceName", "family"];

fn set(cur: &mut Value, segs: &[Seg], value: Value) -> Result<(), SetError> {
    let Some((first, rest)) = segs.split_first() else {
        *cur = value;
        return Ok(());
    };
    match (first, cur) {
        (Seg::Key(k), Value::Table(t)) => {
            if rest.is_empty() {
                t.insert(k.clone(), value);
                return Ok(());
            }
            let next = t
                .entry(k.clone())
                .or_insert_with(|| Value::Table(Table::new()));
            set(next, rest, value)
        }
        (Seg::Key(k), Value::Array(items)) => {
            let names: Vec<String> = items
                .iter()
                .filter_map(|item| {
                    NAME_FIELDS
                        .iter()
                        .find_map(|f| item.get(f).and_then(Value::as_str))
                        .map(str::to_string)
                })
                .collect();
            let found = items.iter_mut().find(|item| {
                NAME_FIELDS
                    .iter()
                    .any(|f| item.get(f).and_then(Value::as_str) == Some(k.as_str()))
            });
            match found {
                Some(item) => set(item, rest, value),
                None => Err(SetError::NoElement {
                    name: k.clone(),
                    closest: crate::text::closest(k, names.iter().map(String::as_str))
                        .map(str::to_string),
                }),
            }
        }
        (Seg::Index(i), Value::Array(items)) => {
            let n = items.len();
            match items.get_mut(*i) {
                Some(item) => set(item, rest, value),
                None => Err(SetError::Other(format!(
                    "index {i} is out of range (the list has {n} elements)"
                ))),
            }
        }
        (Seg::Index(i), _) => Err(SetError::Other(format!(
            "`[{i}]` applied to something that is not a list"
        ))),
        (Seg::Key(k), other) => Err(SetError::Other(format!(
            "`{k}` applied to {}, which has no fields",
            super::reader::type_name(other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_values() {
        let mut t: Table = "[[services]]\nserviceName = \"web\"\ndesiredCount = 2\n[cluster]\n"
            .parse()
            .unwrap();
        apply(&mut t, "services.web.desiredCount", parse_value("8")).unwrap();
        apply(&mut t, "services[0].launchType", parse_value("EC2")).unwrap();
        apply(&mut t, "cluster.tieBreak", parse_value("lowest-id")).unwrap();
        apply(&mut t, "duration", parse_value("\"2d\"")).unwrap();
        assert_eq!(t["services"][0]["desiredCount"].as_integer(), Some(8));
        assert_eq!(t["services"][0]["launchType"].as_str(), Some("EC2"));
        assert_eq!(t["cluster"]["tieBreak"].as_str(), Some("lowest-id"));
        assert_eq!(t["duration"].as_str(), Some("2d"));
        assert!(apply(&mut t, "services[3].x", Value::Integer(1))
            .unwrap_err()
            .contains("out of range"));
        assert!(apply(&mut t, "services.api.x", Value::Integer(1))
            .unwrap_err()
            .contains("no element named"));
        assert!(parse_assignment("novalue").is_err());
    }

    #[test]
    fn a_misspelled_element_name_gets_the_corrected_path() {
        let mut t: Table =
            "[[services]]\nserviceName = \"web\"\n[[services]]\nserviceName = \"worker\"\n"
                .parse()
                .unwrap();
        let e = apply(&mut t, "services.wbe.desiredCount", Value::Integer(3)).unwrap_err();
        assert_eq!(
            e,
            "no element named `wbe` in the list; did you mean services.web.desiredCount?"
        );
        // Nothing close: no guess.
        let e = apply(&mut t, "services.zzzzzzzz.desiredCount", Value::Integer(3)).unwrap_err();
        assert_eq!(e, "no element named `zzzzzzzz` in the list");
    }
}
