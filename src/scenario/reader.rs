//! A path-tracking reader over a parsed TOML (or JSON) tree. Each accessor
//! records a problem with its field path instead of failing, so one
//! validation reports every problem of a file at once.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::error::Issue;
use super::units::parse_duration;
use crate::sim::calendar::parse_instant;
use crate::sim::SimDuration;
use crate::text::closest;

/// Collects issues while reading one file.
pub(crate) struct Reader {
    pub file: PathBuf,
    pub issues: Vec<Issue>,
    /// Fields accepted but not modelled (AWS fields kept for copy-paste),
    /// by path, in reading order: reported once, never an error.
    pub ignored: Vec<String>,
}

/// `a.b` / `a[0]` joined paths.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// `a[i]`.
pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// How TOML names a value's type in messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

/// A value as messages show it: scalars with their value (`the string
/// "x"`, `the integer 3`), lists and tables by their type.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string \"{s}\""),
        Value::Integer(i) => format!("the integer {i}"),
        Value::Float(x) => format!("the number {x}"),
        Value::Boolean(b) => format!("the boolean {b}"),
        Value::Datetime(d) => format!("the date {d}"),
        Value::Array(_) | Value::Table(_) => type_name(v).to_string(),
    }
}

impl Reader {
    pub fn new(file: &Path) -> Self {
        Reader {
            file: file.to_path_buf(),
            issues: Vec::new(),
            ignored: Vec::new(),
        }
    }

    /// Records a field accepted and not modelled.
    pub fn ignore(&mut self, path: &str) {
        if !self.ignored.iter().any(|p| p == path) {
            self.ignored.push(path.to_string());
        }
    }

    /// Takes over a sub-reader's (a file the scenario names) issues and
    /// ignored fields, the latter prefixed with that file's name.
    pub fn absorb(&mut self, mut sub: Reader) {
        self.issues.append(&mut sub.issues);
        let name = sub
            .file
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
        for p in sub.ignored {
            self.ignore(&format!("{name}: {p}"));
        }
    }

    /// Records a problem.
    pub fn err(&mut self, path: &str, message: impl Into<String>) {
        self.issues.push(Issue {
            file: self.file.clone(),
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// `v` as a table whose keys must be in `known` (or in `ignored`: ECS
    /// fields accepted for copy-paste but not modelled). Unknown keys are
    /// reported with the closest known name.
    pub fn table<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        known: &[&str],
        ignored: &[&str],
    ) -> Option<&'v Table> {
        let Some(t) = v.as_table() else {
            self.err(path, format!("expected a table, found {}", type_name(v)));
            return None;
        };
        for key in t.keys() {
            if known.contains(&key.as_str()) {
                continue;
            }
            if ignored.contains(&key.as_str()) {
                self.ignore(&join(path, key));
                continue;
            }
            let hint = match closest(key, known.iter().copied()) {
                Some(k) => format!("; did you mean `{k}`?"),
                None => format!("; expected one of: {}", known.join(", ")),
            };
            self.err(&join(path, key), format!("unknown field{hint}"));
        }
        Some(t)
    }

    /// Checks a file's `name` (a scenario's or a sweep's), which names its
    /// output folder: not empty, no `/` or `\\`, not `.` or `..`. One rule
    /// and one message for both kinds of file.
    pub fn folder_name(&mut self, path: &str, name: &str) -> bool {
        let ok = !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != "..";
        if !ok {
            self.err(
                path,
                "expected a non-empty name without `/` or `\\`, other than `.` or `..` (it names the output folder)",
            );
        }
        ok
    }

    /// A required key.
    pub fn required<'v>(&mut self, t: &'v Table, path: &str, key: &str) -> Option<&'v Value> {
        let v = t.get(key);
        if v.is_none() {
            self.err(&join(path, key), "missing required field");
        }
        v
    }

    pub fn string(&mut self, v: &Value, path: &str) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            other => {
                self.err(
                    path,
                    format!("expected a string, found {}", type_name(other)),
                );
                None
            }
        }
    }

    pub fn opt_string(&mut self, t: &Table, path: &str, key: &str) -> Option<String> {
        t.get(key).and_then(|v| self.string(v, &join(path, key)))
    }

    pub fn req_string(&mut self, t: &Table, path: &str, key: &str) -> Option<String> {
        let v = self.required(t, path, key)?;
        self.string(v, &join(path, key))
    }

    /// A non-negative integer no larger than `max`.
    pub fn uint(&mut self, v: &Value, path: &str, max: u64) -> Option<u64> {
        match v {
            Value::Integer(i) if *i >= 0 && (*i as u64) <= max => Some(*i as u64),
            Value::Integer(i) => {
                self.err(
                    path,
                    format!("expected an integer from 0 to {max}, found {i}"),
                );
                None
            }
            other => {
                self.err(
                    path,
                    format!("expected an integer, found {}", type_name(other)),
                );
                None
            }
        }
    }

    pub fn opt_uint(&mut self, t: &Table, path: &str, key: &str, max: u64) -> Option<u64> {
        t.get(key).and_then(|v| self.uint(v, &join(path, key), max))
    }

    pub fn opt_u32(&mut self, t: &Table, path: &str, key: &str) -> Option<u32> {
        self.opt_uint(t, path, key, u64::from(u32::MAX))
            .map(|v| v as u32)
    }

    /// A finite number (integers accepted).
    pub fn number(&mut self, v: &Value, path: &str) -> Option<f64> {
        match v {
            Value::Integer(i) => Some(*i as f64),
            Value::Float(f) if f.is_finite() => Some(*f),
            Value::Float(f) => {
                // As TOML spells them.
                let found = if f.is_nan() {
                    "nan"
                } else if *f > 0.0 {
                    "inf"
                } else {
                    "-inf"
                };
                self.err(path, format!("expected a finite number, found {found}"));
                None
            }
            other => {
                self.err(
                    path,
                    format!("expected a number, found {}", type_name(other)),
                );
                None
            }
        }
    }

    pub fn opt_number(&mut self, t: &Table, path: &str, key: &str) -> Option<f64> {
        t.get(key).and_then(|v| self.number(v, &join(path, key)))
    }

    pub fn opt_bool(&mut self, t: &Table, path: &str, key: &str) -> Option<bool> {
        match t.get(key)? {
            Value::Boolean(b) => Some(*b),
            other => {
                self.err(
                    &join(path, key),
                    format!("expected true or false, found {}", type_name(other)),
                );
                None
            }
        }
    }

    pub fn duration(&mut self, v: &Value, path: &str) -> Option<SimDuration> {
        match v {
            Value::String(s) => match parse_duration(s) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.err(path, e);
                    None
                }
            },
            other => {
                self.err(
                    path,
                    format!(
                        "expected a duration string such as \"90s\" or \"5m\", found {}",
                        type_name(other)
                    ),
                );
                None
            }
        }
    }

    /// A wall-clock instant in Unix seconds: a TOML datetime
    /// (`startTime = 2026-03-02T00:00:00Z`, or a local date or date-time,
    /// taken as UTC) or a string in RFC 3339 with any offset or fraction
    /// (see [`parse_instant`]).
    pub fn instant(&mut self, v: &Value, path: &str) -> Option<i64> {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Datetime(d) if d.date.is_some() => d.to_string(),
            other => {
                self.err(
                    path,
                    format!(
                        "expected a date and time such as 2026-03-02T00:00:00Z, found {}",
                        describe(other)
                    ),
                );
                return None;
            }
        };
        let t = parse_instant(&text);
        if t.is_none() {
            self.err(
                path,
                format!(
                    "expected an RFC 3339 date and time such as \"2026-03-02T00:00:00Z\" \
                     or \"2026-03-02T09:30:00.000+05:30\", or a date, found \"{text}\""
                ),
            );
        }
        t
    }

    /// A duration where AWS takes integer seconds (cooldowns): `300` as
    /// AWS writes it, or a duration string such as `"5m"`.
    pub fn opt_seconds(&mut self, t: &Table, path: &str, key: &str) -> Option<SimDuration> {
        match t.get(key)? {
            Value::Integer(n) => match u64::try_from(*n) {
                Ok(n) if n <= 365 * 86_400 => Some(SimDuration::from_secs(n)),
                _ => {
                    self.err(
                        &join(path, key),
                        format!("expected whole seconds from 0 to 31536000, found {n}"),
                    );
                    None
                }
            },
            v => self.duration(v, &join(path, key)),
        }
    }

    pub fn opt_duration(&mut self, t: &Table, path: &str, key: &str) -> Option<SimDuration> {
        t.get(key).and_then(|v| self.duration(v, &join(path, key)))
    }

    /// A list (absent = empty).
    pub fn list<'v>(&mut self, t: &'v Table, path: &str, key: &str) -> &'v [Value] {
        match t.get(key) {
            None => &[],
            Some(Value::Array(a)) => a,
            Some(other) => {
                self.err(
                    &join(path, key),
                    format!("expected a list, found {}", type_name(other)),
                );
                &[]
            }
        }
    }

    /// One of `choices` (exact spelling).
    pub fn choice(&mut self, v: &Value, path: &str, choices: &[&str]) -> Option<String> {
        let s = self.string(v, path)?;
        if choices.contains(&s.as_str()) {
            return Some(s);
        }
        let hint = match closest(&s, choices.iter().copied()) {
            Some(c) => format!(" (did you mean \"{c}\"?)"),
            None => String::new(),
        };
        self.err(
            path,
            format!("expected one of {}, found \"{s}\"{hint}", quoted(choices)),
        );
        None
    }
}

/// `"a", "b" or "c"`.
pub(crate) fn quoted(choices: &[&str]) -> String {
    let q: Vec<String> = choices.iter().map(|c| format!("\"{c}\"")).collect();
    match q.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => q.join(""),
    }
}

/// Converts JSON to the TOML tree (nulls are dropped, as if absent).
pub(crate) fn json_to_toml(v: &serde_json::Value) -> Option<Value> {
    Some(match v {
        serde_json::Value::Null => return None,
        serde_json::Value::Bool(b) => Value::Boolean(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().filter_map(json_to_toml).collect()),
        serde_json::Value::Object(o) => Value::Table(
            o.iter()
                .filter_map(|(k, v)| json_to_toml(v).map(|v| (k.clone(), v)))
                .collect(),
        ),
    })
}
