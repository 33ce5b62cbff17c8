//! The sweep file: TOML -> [`SweepDef`] (what to vary, how many seeds),
//! with every problem named by file and field. Knows nothing of scenarios
//! beyond their override paths, which it keeps as text.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::error::SweepError;
use crate::scenario::overrides;
use crate::scenario::Issue;

/// Fields a sweep file may have.
const FIELDS: [&str; 7] = [
    "name",
    "scenario",
    "seed",
    "seeds",
    "set",
    "parameters",
    "zip",
];

/// Most parameter combinations one sweep may expand to. Each combination is
/// validated as a whole scenario before anything runs (about a millisecond
/// each), so this keeps a typo in a grid from validating for minutes.
pub const MAX_COMBINATIONS: usize = 10_000;

/// Most runs (combinations times `seeds`) one sweep may expand to.
pub const MAX_RUNS: usize = 100_000;

/// One dimension of the grid: a `[parameters]` entry (one path) or a
/// `[[zip]]` group (several paths that take their i-th values together).
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Where it was declared: `parameters` or `zip[i]` (for error messages).
    pub source: String,
    /// Override paths, as `--set` takes them.
    pub paths: Vec<String>,
    /// `values[i][j]`: the value of `paths[j]` at position `i` of the axis.
    pub values: Vec<Vec<Value>>,
    /// `labels[i][j]`: how that value is written in the CSV files.
    pub labels: Vec<Vec<String>>,
}

impl Axis {
    /// Number of positions.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the axis has no position (never true once validated).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// A parsed sweep file (not yet checked against its scenario).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepDef {
    /// The sweep file.
    pub file: PathBuf,
    /// Sweep name (default: the file stem); names the output folder.
    pub name: String,
    /// Base scenario, resolved against the sweep file's folder.
    pub scenario: PathBuf,
    /// Sweep seed; run seeds are derived from it and the seed index.
    pub seed: u64,
    /// Replications per parameter combination.
    pub seeds: u32,
    /// Fixed `path=value` overrides applied to every run, before the parameters.
    pub set: Vec<String>,
    /// Grid axes in file order: `[parameters]` entries, then `[[zip]]` groups.
    pub axes: Vec<Axis>,
}

impl SweepDef {
    /// Parameter combinations (product of the axis lengths; 1 without axes).
    pub fn combinations(&self) -> usize {
        self.axes.iter().map(Axis::len).product()
    }

    /// Every parameter path, in column order.
    pub fn parameter_paths(&self) -> Vec<String> {
        self.axes.iter().flat_map(|a| a.paths.clone()).collect()
    }
}

/// How a list element becomes an override value: a string is read the way
/// `--set` reads its value (TOML text, else a plain string), so
/// `'[{type="random"}]'` is a list of tables and `"12h"` stays a string;
/// any other TOML value (number, boolean, array, inline table) is used as
/// it is. The CSV label is the string as written, or the value as TOML.
pub fn element(v: &Value) -> (Value, String) {
    match v {
        Value::String(s) => (overrides::parse_value(s), s.clone()),
        other => (other.clone(), other.to_string()),
    }
}

/// Parses and checks a sweep file's text; `file` names it in errors and
/// anchors the scenario path.
pub fn parse(text: &str, file: &Path) -> Result<SweepDef, SweepError> {
    let mut issues = Vec::new();
    let issue = |path: &str, message: String| Issue {
        file: file.to_path_buf(),
        path: path.to_string(),
        message,
    };
    let root: Table = text.parse().map_err(|e: toml::de::Error| {
        SweepError::Invalid(vec![issue(
            "",
            format!("invalid TOML: {}", e.to_string().trim_end()),
        )])
    })?;

    for key in root.keys() {
        if !FIELDS.contains(&key.as_str()) {
            issues.push(issue(
                key,
                format!("unknown field; expected one of {}", FIELDS.join(", ")),
            ));
        }
    }

    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("sweep")
        .to_string();
    let name = match root.get("name") {
        None => stem,
        Some(Value::String(s))
            if !s.is_empty() && !s.contains(['/', '\\']) && s != "." && s != ".." =>
        {
            s.clone()
        }
        Some(Value::String(_)) => {
            issues.push(issue(
                "name",
                "expected a non-empty name without `/` or `\\` (it names the output folder)".into(),
            ));
            String::new()
        }
        Some(other) => {
            issues.push(issue(
                "name",
                format!("expected a string, found {}", kind(other)),
            ));
            String::new()
        }
    };

    let dir = file.parent().unwrap_or(Path::new("."));
    let scenario = match root.get("scenario") {
        Some(Value::String(s)) if !s.is_empty() => dir.join(s),
        Some(other) => {
            issues.push(issue(
                "scenario",
                format!(
                    "expected the base scenario file (a path relative to the sweep file), found {}",
                    kind(other)
                ),
            ));
            PathBuf::new()
        }
        None => {
            issues.push(issue(
                "scenario",
                "missing: the base scenario file, relative to the sweep file, e.g. scenario = \"../teaching/binpack.toml\"".into(),
            ));
            PathBuf::new()
        }
    };

    let seed = match root.get("seed") {
        Some(Value::Integer(i)) if *i >= 0 => *i as u64,
        Some(other) => {
            issues.push(issue(
                "seed",
                format!("expected a non-negative integer, found {}", kind(other)),
            ));
            0
        }
        None => {
            issues.push(issue(
                "seed",
                "missing: the sweep seed, e.g. seed = 1 (run seeds are derived from it)".into(),
            ));
            0
        }
    };

    let seeds = match root.get("seeds") {
        None => 1,
        Some(Value::Integer(i)) if (1..=i64::from(u32::MAX)).contains(i) => *i as u32,
        Some(other) => {
            issues.push(issue(
                "seeds",
                format!(
                    "expected the number of replications per combination (an integer >= 1), found {}",
                    kind(other)
                ),
            ));
            1
        }
    };

    let mut set = Vec::new();
    match root.get("set") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => match overrides::parse_assignment(s) {
                        Ok(_) => set.push(s.clone()),
                        Err(_) => issues.push(issue(
                            &format!("set[{i}]"),
                            format!(
                                "expected PATH=VALUE, e.g. \"duration=\\\"12h\\\"\", found `{s}`"
                            ),
                        )),
                    },
                    other => issues.push(issue(
                        &format!("set[{i}]"),
                        format!("expected a PATH=VALUE string, found {}", kind(other)),
                    )),
                }
            }
        }
        Some(other) => issues.push(issue(
            "set",
            format!(
                "expected a list of PATH=VALUE strings, found {}",
                kind(other)
            ),
        )),
    }

    let mut axes = Vec::new();
    match root.get("parameters") {
        None => {}
        Some(Value::Table(t)) => {
            let mut lists = Vec::new();
            collect_lists(t, "", "parameters", &mut lists, &mut |p, m| {
                issues.push(issue(p, m))
            });
            for (path, field, list) in lists {
                if list.is_empty() {
                    issues.push(issue(&field, "expected a non-empty list of values".into()));
                    continue;
                }
                let (values, labels) = list
                    .iter()
                    .map(element)
                    .map(|(v, l)| (vec![v], vec![l]))
                    .unzip();
                axes.push(Axis {
                    source: "parameters".into(),
                    paths: vec![path],
                    values,
                    labels,
                });
            }
        }
        Some(other) => issues.push(issue(
            "parameters",
            format!(
                "expected a table of `\"path\" = [values]`, found {}",
                kind(other)
            ),
        )),
    }

    match root.get("zip") {
        None => {}
        Some(Value::Array(groups)) => {
            for (g, group) in groups.iter().enumerate() {
                let here = format!("zip[{g}]");
                let Value::Table(t) = group else {
                    issues.push(issue(
                        &here,
                        format!(
                            "expected a [[zip]] table of `\"path\" = [values]`, found {}",
                            kind(group)
                        ),
                    ));
                    continue;
                };
                let mut lists = Vec::new();
                collect_lists(t, "", &here, &mut lists, &mut |p, m| {
                    issues.push(issue(p, m))
                });
                if lists.is_empty() {
                    issues.push(issue(
                        &here,
                        "expected at least one `\"path\" = [values]`".into(),
                    ));
                    continue;
                }
                let n = lists[0].2.len();
                if n == 0 {
                    issues.push(issue(
                        &lists[0].1,
                        "expected a non-empty list of values".into(),
                    ));
                    continue;
                }
                if let Some((_, field, list)) = lists.iter().find(|l| l.2.len() != n) {
                    issues.push(issue(
                        field,
                        format!(
                            "has {} values but `{}` has {n}: the lists of one [[zip]] group vary together and must have the same length",
                            list.len(),
                            lists[0].0
                        ),
                    ));
                    continue;
                }
                let mut values = vec![Vec::new(); n];
                let mut labels = vec![Vec::new(); n];
                for (_, _, list) in &lists {
                    for (i, v) in list.iter().enumerate() {
                        let (v, l) = element(v);
                        values[i].push(v);
                        labels[i].push(l);
                    }
                }
                axes.push(Axis {
                    source: here,
                    paths: lists.into_iter().map(|l| l.0).collect(),
                    values,
                    labels,
                });
            }
        }
        Some(other) => issues.push(issue(
            "zip",
            format!("expected [[zip]] tables, found {}", kind(other)),
        )),
    }

    // A path may vary in one place only, and never be the seed.
    let mut seen: Vec<&str> = Vec::new();
    for s in &set {
        if let Ok((p, _)) = overrides::parse_assignment(s) {
            if p == "seed" {
                issues.push(issue("set", "`seed` cannot be set: each run's seed comes from the sweep's `seed` and `seeds`".into()));
            }
        }
    }
    for axis in &axes {
        for p in &axis.paths {
            if p == "seed" {
                issues.push(issue(
                    &format!("{}.\"{p}\"", axis.source),
                    "`seed` cannot be a parameter: each run's seed comes from the sweep's `seed` and `seeds`".into(),
                ));
            }
            if seen.contains(&p.as_str()) {
                issues.push(issue(
                    &format!("\"{p}\""),
                    "varied twice (in [parameters] or [[zip]]); a path may vary in one place only"
                        .into(),
                ));
            }
            let in_set = set
                .iter()
                .any(|s| overrides::parse_assignment(s).is_ok_and(|(q, _)| q == *p));
            if in_set {
                issues.push(issue(
                    &format!("\"{p}\""),
                    "is both a parameter and a fixed `set` override; keep one".into(),
                ));
            }
            seen.push(p);
        }
    }

    let def = SweepDef {
        file: file.to_path_buf(),
        name,
        scenario,
        seed,
        seeds,
        set,
        axes,
    };
    let combinations = def
        .axes
        .iter()
        .try_fold(1usize, |acc, a| acc.checked_mul(a.len()));
    let runs = combinations.and_then(|c| c.checked_mul(def.seeds as usize));
    let shown = |n: Option<usize>| n.map_or("more than 2^64".to_string(), |n| n.to_string());
    if combinations.is_none_or(|n| n > MAX_COMBINATIONS) {
        issues.push(issue(
            "parameters",
            format!(
                "the grid has {} parameter combinations, more than the limit of {MAX_COMBINATIONS}; split the sweep",
                shown(combinations)
            ),
        ));
    } else if runs.is_none_or(|n| n > MAX_RUNS) {
        issues.push(issue(
            "seeds",
            format!(
                "{} combinations x {} seeds = {} runs, more than the limit of {MAX_RUNS}; lower `seeds` or split the sweep",
                shown(combinations),
                def.seeds,
                shown(runs)
            ),
        ));
    }
    if issues.is_empty() {
        Ok(def)
    } else {
        Err(SweepError::Invalid(issues))
    }
}

/// Walks a `[parameters]` or `[[zip]]` table: `"a.b" = [..]` is a list for
/// path `a.b`; an unquoted dotted key (`a.b = [..]`, which TOML reads as
/// nested tables) gives the same path. Returns (path, field for errors, list).
fn collect_lists<'a>(
    t: &'a Table,
    prefix: &str,
    field: &str,
    out: &mut Vec<(String, String, &'a Vec<Value>)>,
    bad: &mut dyn FnMut(&str, String),
) {
    for (k, v) in t {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let here = format!("{field}.\"{path}\"");
        match v {
            Value::Array(list) => out.push((path, here, list)),
            Value::Table(inner) => collect_lists(inner, &path, field, out, bad),
            other => bad(
                &here,
                format!(
                    "expected a list of values, e.g. [1, 2, 3], found {}",
                    kind(other)
                ),
            ),
        }
    }
}

fn kind(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string \"{s}\""),
        Value::Integer(i) => format!("the integer {i}"),
        Value::Float(x) => format!("the number {x}"),
        Value::Boolean(b) => format!("the boolean {b}"),
        Value::Datetime(d) => format!("the date {d}"),
        Value::Array(_) => "a list".into(),
        Value::Table(_) => "a table".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> SweepDef {
        parse(text, Path::new("dir/study.toml")).unwrap()
    }

    fn problems(text: &str) -> Vec<String> {
        match parse(text, Path::new("dir/study.toml")) {
            Err(e) => e.issues(),
            Ok(d) => panic!("expected errors, got {d:?}"),
        }
    }

    #[test]
    fn fields_defaults_and_values() {
        let d = parse_ok(
            r#"
            scenario = "../s.toml"
            seed = 3
            set = ['duration="2h"']
            [parameters]
            "services.web.placementStrategy" = ['[{type="random"}]', '[{type="binpack", field="cpu"}]']
            instanceGroups.nodes.count = [2, 3, 4]
            "#,
        );
        assert_eq!(d.name, "study");
        assert_eq!(d.scenario, Path::new("dir/../s.toml"));
        assert_eq!((d.seed, d.seeds), (3, 1));
        assert_eq!(d.axes.len(), 2);
        // A string that is TOML text becomes that value; the label stays as written.
        assert!(d.axes[0].values[0][0].is_array());
        assert_eq!(d.axes[0].labels[1][0], r#"[{type="binpack", field="cpu"}]"#);
        // Unquoted dotted keys give the same path.
        assert_eq!(d.axes[1].paths, ["instanceGroups.nodes.count"]);
        assert_eq!(d.axes[1].labels, [["2"], ["3"], ["4"]]);
        assert_eq!(d.combinations(), 6);
        // Plain words stay strings, as with --set.
        assert_eq!(
            element(&Value::String("lowest-id".into())).0.as_str(),
            Some("lowest-id")
        );
    }

    #[test]
    fn errors_name_the_field() {
        let p = problems("seed = -1\nseeds = 0\nfoo = 1\n[parameters]\nx = []\ny = 3\n");
        let all = p.join("\n");
        assert!(all.contains("dir/study.toml: foo: unknown field"), "{all}");
        assert!(all.contains("scenario: missing"), "{all}");
        assert!(
            all.contains("seed: expected a non-negative integer"),
            "{all}"
        );
        assert!(all.contains("seeds: expected"), "{all}");
        assert!(
            all.contains("parameters.\"x\": expected a non-empty list"),
            "{all}"
        );
        assert!(
            all.contains("parameters.\"y\": expected a list of values"),
            "{all}"
        );
    }

    #[test]
    fn zip_lengths_must_match() {
        let p = problems(
            "scenario = \"s.toml\"\nseed = 1\n[[zip]]\n\"a.b\" = [1, 2, 3]\n\"c.d\" = [\"x\", \"y\"]\n",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("zip[0].\"c.d\": has 2 values but `a.b` has 3"),
            "{p:?}"
        );
    }

    #[test]
    fn seed_and_duplicates_are_refused() {
        let p = problems(
            "scenario = \"s.toml\"\nseed = 1\nset = ['a=1']\n[parameters]\nseed = [1, 2]\na = [1]\n[[zip]]\nb = [1]\nc = [2]\n[[zip]]\nb = [3]\n",
        )
        .join("\n");
        assert!(p.contains("`seed` cannot be a parameter"), "{p}");
        assert!(
            p.contains("\"a\": is both a parameter and a fixed `set` override"),
            "{p}"
        );
        assert!(p.contains("\"b\": varied twice"), "{p}");
    }
}
