//! The sweep file: TOML -> [`SweepDef`] (what to vary, how many seeds),
//! with every problem named by file and field. Knows nothing of scenarios
//! beyond their override paths, which it keeps as text.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::error::SweepError;
use crate::scenario::overrides;
use crate::scenario::reader::{describe, index, join, Reader};

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
/// anchors the scenario path. Each part of the file has its own reader
/// below; every problem of the file is reported at once.
pub fn parse(text: &str, file: &Path) -> Result<SweepDef, SweepError> {
    let mut r = Reader::new(file);
    let root: Value = match text.parse::<Table>() {
        Ok(t) => Value::Table(t),
        Err(e) => {
            r.err("", format!("invalid TOML: {}", e.to_string().trim_end()));
            return Err(SweepError::Invalid(r.issues));
        }
    };
    let Some(t) = r.table(&root, "", &FIELDS, &[]) else {
        return Err(SweepError::Invalid(r.issues));
    };
    // In file-format order, so problems are listed in that order.
    let name = read_name(&mut r, t, file, SWEEP);
    let scenario = read_scenario(&mut r, t, file, SWEEP);
    let seed = read_seed(&mut r, t, SWEEP);
    let seeds = read_seeds(&mut r, t);
    let set = read_set(&mut r, t);
    let mut axes = read_parameters(&mut r, t);
    axes.extend(read_zip(&mut r, t));
    check_overlaps(&mut r, &set, &axes);
    let def = SweepDef {
        file: file.to_path_buf(),
        name,
        scenario,
        seed,
        seeds,
        set,
        axes,
    };
    check_limits(&mut r, &def);
    if r.issues.is_empty() {
        Ok(def)
    } else {
        Err(SweepError::Invalid(r.issues))
    }
}

/// What kind of file names a base scenario and derives run seeds: a sweep
/// file or an optimize file. Both read `name`, `scenario`, `seed` and `set`
/// with the readers below; the kind only words their messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileKind {
    /// `sweep` or `optimize`: the default name and the messages' noun.
    pub word: &'static str,
    /// An example base scenario for the `scenario` message.
    pub example: &'static str,
}

/// Sweep files.
pub(crate) const SWEEP: FileKind = FileKind {
    word: "sweep",
    example: "../teaching/binpack.toml",
};

/// `name`: default the file stem; it names the output folder.
pub(crate) fn read_name(r: &mut Reader, t: &Table, file: &Path, kind: FileKind) -> String {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(kind.word);
    match t.get("name") {
        None => stem.to_string(),
        Some(Value::String(s)) if r.folder_name("name", s) => s.clone(),
        Some(Value::String(_)) => String::new(),
        Some(other) => {
            r.err(
                "name",
                format!("expected a string, found {}", describe(other)),
            );
            String::new()
        }
    }
}

/// `scenario`: the base scenario, relative to the file's folder.
pub(crate) fn read_scenario(r: &mut Reader, t: &Table, file: &Path, kind: FileKind) -> PathBuf {
    let dir = file.parent().unwrap_or(Path::new("."));
    match t.get("scenario") {
        Some(Value::String(s)) if !s.is_empty() => dir.join(s),
        Some(other) => {
            r.err(
                "scenario",
                format!(
                    "expected the base scenario file (a path relative to the {} file), found {}",
                    kind.word,
                    describe(other)
                ),
            );
            PathBuf::new()
        }
        None => {
            r.err(
                "scenario",
                format!(
                    "missing: the base scenario file, relative to the {} file, e.g. scenario = \"{}\"",
                    kind.word, kind.example
                ),
            );
            PathBuf::new()
        }
    }
}

/// `seed`: required, non-negative.
pub(crate) fn read_seed(r: &mut Reader, t: &Table, kind: FileKind) -> u64 {
    match t.get("seed") {
        Some(Value::Integer(i)) if *i >= 0 => *i as u64,
        Some(other) => {
            r.err(
                "seed",
                format!("expected a non-negative integer, found {}", describe(other)),
            );
            0
        }
        None => {
            r.err(
                "seed",
                format!(
                    "missing: the {} seed, e.g. seed = 1 (run seeds are derived from it)",
                    kind.word
                ),
            );
            0
        }
    }
}

/// `seeds`: replications per combination, default 1.
fn read_seeds(r: &mut Reader, t: &Table) -> u32 {
    match t.get("seeds") {
        None => 1,
        Some(Value::Integer(i)) if (1..=i64::from(u32::MAX)).contains(i) => *i as u32,
        Some(other) => {
            r.err(
                "seeds",
                format!(
                    "expected the number of replications per combination (an integer >= 1), found {}",
                    describe(other)
                ),
            );
            1
        }
    }
}

/// `set`: fixed `PATH=VALUE` overrides, kept as text.
pub(crate) fn read_set(r: &mut Reader, t: &Table) -> Vec<String> {
    let items = match t.get("set") {
        None => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            r.err(
                "set",
                format!(
                    "expected a list of PATH=VALUE strings, found {}",
                    describe(other)
                ),
            );
            return Vec::new();
        }
    };
    let mut set = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let here = index("set", i);
        match item {
            Value::String(s) if overrides::parse_assignment(s).is_ok() => set.push(s.clone()),
            Value::String(s) => r.err(
                &here,
                format!("expected PATH=VALUE, e.g. \"duration=\\\"12h\\\"\", found `{s}`"),
            ),
            other => r.err(
                &here,
                format!("expected a PATH=VALUE string, found {}", describe(other)),
            ),
        }
    }
    set
}

/// `[parameters]`: one axis per `"path" = [values]`.
fn read_parameters(r: &mut Reader, t: &Table) -> Vec<Axis> {
    let params = match t.get("parameters") {
        None => return Vec::new(),
        Some(Value::Table(p)) => p,
        Some(other) => {
            r.err(
                "parameters",
                format!(
                    "expected a table of `\"path\" = [values]`, found {}",
                    describe(other)
                ),
            );
            return Vec::new();
        }
    };
    let mut axes = Vec::new();
    for (path, field, list) in collect_lists(r, params, "", "parameters") {
        if list.is_empty() {
            r.err(&field, "expected a non-empty list of values");
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
    axes
}

/// `[[zip]]`: one axis per group, its lists taken together.
fn read_zip(r: &mut Reader, t: &Table) -> Vec<Axis> {
    let groups = match t.get("zip") {
        None => return Vec::new(),
        Some(Value::Array(groups)) => groups,
        Some(other) => {
            r.err(
                "zip",
                format!("expected [[zip]] tables, found {}", describe(other)),
            );
            return Vec::new();
        }
    };
    let mut axes = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let here = index("zip", g);
        let Value::Table(t) = group else {
            r.err(
                &here,
                format!(
                    "expected a [[zip]] table of `\"path\" = [values]`, found {}",
                    describe(group)
                ),
            );
            continue;
        };
        let lists = collect_lists(r, t, "", &here);
        axes.extend(zip_axis(r, here, lists));
    }
    axes
}

/// One `[[zip]]` group's lists as one axis, if they are non-empty and of
/// the same length.
fn zip_axis(r: &mut Reader, here: String, lists: Vec<PathList<'_>>) -> Option<Axis> {
    let Some((first_path, first_field, first)) = lists.first() else {
        r.err(&here, "expected at least one `\"path\" = [values]`");
        return None;
    };
    let n = first.len();
    if n == 0 {
        r.err(first_field, "expected a non-empty list of values");
        return None;
    }
    if let Some((_, field, list)) = lists.iter().find(|l| l.2.len() != n) {
        r.err(
            field,
            format!(
                "has {} values but `{first_path}` has {n}: the lists of one [[zip]] group vary together and must have the same length",
                list.len(),
            ),
        );
        return None;
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
    Some(Axis {
        source: here,
        paths: lists.into_iter().map(|l| l.0).collect(),
        values,
        labels,
    })
}

/// A path may vary in one place only, and never be the seed.
fn check_overlaps(r: &mut Reader, set: &[String], axes: &[Axis]) {
    let set_paths: Vec<String> = set
        .iter()
        .filter_map(|s| overrides::parse_assignment(s).ok().map(|(p, _)| p))
        .collect();
    for p in &set_paths {
        if p == "seed" {
            r.err(
                "set",
                "`seed` cannot be set: each run's seed comes from the sweep's `seed` and `seeds`",
            );
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for axis in axes {
        for p in &axis.paths {
            if p == "seed" {
                r.err(
                    &format!("{}.\"{p}\"", axis.source),
                    "`seed` cannot be a parameter: each run's seed comes from the sweep's `seed` and `seeds`",
                );
            }
            if seen.contains(&p.as_str()) {
                r.err(
                    &format!("\"{p}\""),
                    "varied twice (in [parameters] or [[zip]]); a path may vary in one place only",
                );
            }
            if set_paths.contains(p) {
                r.err(
                    &format!("\"{p}\""),
                    "is both a parameter and a fixed `set` override; keep one",
                );
            }
            seen.push(p);
        }
    }
}

/// The grid and the runs must stay under [`MAX_COMBINATIONS`] and [`MAX_RUNS`].
fn check_limits(r: &mut Reader, def: &SweepDef) {
    let combinations = def
        .axes
        .iter()
        .try_fold(1usize, |acc, a| acc.checked_mul(a.len()));
    let runs = combinations.and_then(|c| c.checked_mul(def.seeds as usize));
    let shown = |n: Option<usize>| n.map_or("more than 2^64".to_string(), |n| n.to_string());
    if combinations.is_none_or(|n| n > MAX_COMBINATIONS) {
        r.err(
            "parameters",
            format!(
                "the grid has {} parameter combinations, more than the limit of {MAX_COMBINATIONS}; split the sweep",
                shown(combinations)
            ),
        );
    } else if runs.is_none_or(|n| n > MAX_RUNS) {
        r.err(
            "seeds",
            format!(
                "{} combinations x {} seeds = {} runs, more than the limit of {MAX_RUNS}; lower `seeds` or split the sweep",
                shown(combinations),
                def.seeds,
                shown(runs)
            ),
        );
    }
}

/// An override path, the field naming it in errors, and its values.
type PathList<'a> = (String, String, &'a Vec<Value>);

/// Walks a `[parameters]` or `[[zip]]` table: `"a.b" = [..]` is a list for
/// path `a.b`; an unquoted dotted key (`a.b = [..]`, which TOML reads as
/// nested tables) gives the same path.
fn collect_lists<'a>(r: &mut Reader, t: &'a Table, prefix: &str, field: &str) -> Vec<PathList<'a>> {
    let mut out = Vec::new();
    for (k, v) in t {
        let path = join(prefix, k);
        let here = format!("{field}.\"{path}\"");
        match v {
            Value::Array(list) => out.push((path, here, list)),
            Value::Table(inner) => out.extend(collect_lists(r, inner, &path, field)),
            other => r.err(
                &here,
                format!(
                    "expected a list of values, e.g. [1, 2, 3], found {}",
                    describe(other)
                ),
            ),
        }
    }
    out
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

    #[test]
    fn unknown_fields_get_the_closest_name() {
        // Read through the scenario Reader: a misspelt field names the
        // field it was probably meant to be (it used to list all seven).
        let p = problems("scenario = \"s.toml\"\nseed = 1\nsedes = 3\n").join("\n");
        assert!(
            p.contains("dir/study.toml: sedes: unknown field; did you mean `seeds`?"),
            "{p}"
        );
    }

    #[test]
    fn problems_are_listed_in_file_format_order() {
        let p = problems("name = 3\nseed = \"x\"\nseeds = 0\nset = 1\nzip = 2\n");
        let fields: Vec<&str> = p
            .iter()
            .map(|l| l.split(": ").nth(1).unwrap_or(""))
            .collect();
        assert_eq!(
            fields,
            ["name", "scenario", "seed", "seeds", "set", "zip"],
            "{p:?}"
        );
        assert!(
            p[0].ends_with("expected a string, found the integer 3"),
            "{p:?}"
        );
    }
}
