//! The optimize file: TOML -> [`OptimizeDef`] (decision variables, the
//! objective, the constraints, the search), every problem named by file
//! and field. Knows nothing of scenarios beyond their override paths.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use crate::scenario::overrides;
use crate::scenario::reader::{describe, index, join, Reader};
use crate::slo::{wilson, Objective};
use crate::sweep::file::{element, read_name, read_scenario, read_seed, read_set, FileKind};
use crate::sweep::table::num;
use crate::sweep::SweepError;

/// How the readers it shares with sweep files word their messages.
const OPTIMIZE: FileKind = FileKind {
    word: "optimize",
    example: "../capacity/black-friday.toml",
};

/// Fields an optimize file may have.
const FIELDS: [&str; 9] = [
    "name",
    "scenario",
    "seed",
    "set",
    "variables",
    "objective",
    "constraints",
    "search",
    "description",
];

/// Most levels one numeric range may have.
pub const MAX_LEVELS: usize = 10_000;

/// Most candidates a search may evaluate (each is validated as a whole
/// scenario and run on at least `minSeeds` seeds).
pub const MAX_CANDIDATES: usize = 2_000;

/// Most seeds a candidate may be run on.
pub const MAX_SEEDS: u32 = 1_000;

/// One decision variable: an override path and the values it may take.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// Override path, as `--set` takes it.
    pub path: String,
    /// The values, in order (a range's levels ascending).
    pub values: Vec<Value>,
    /// How each value is written in the tables.
    pub labels: Vec<String>,
}

/// How candidates are drawn from the variables' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    /// Every combination.
    Grid,
    /// `candidates` combinations drawn uniformly, without repetition.
    Random,
    /// `candidates` points of a Latin hypercube of the unit cube, each
    /// coordinate mapped to a value.
    LatinHypercube,
}

impl Sample {
    pub fn as_str(self) -> &'static str {
        match self {
            Sample::Grid => "grid",
            Sample::Random => "random",
            Sample::LatinHypercube => "latin-hypercube",
        }
    }
}

/// When a candidate counts as feasible (see the module docs of `search`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The observed share of its runs that met every objective reaches the
    /// level.
    Observed,
    /// The lower bound of the 95% Wilson interval of that share reaches the
    /// level.
    Wilson,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Observed => "observed",
            Rule::Wilson => "wilson",
        }
    }
}

/// The search: successive halving over seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub sample: Sample,
    /// Candidates to draw (random and Latin hypercube; grid: all).
    pub candidates: usize,
    /// Share of a round's candidates kept for the next (at least one).
    pub keep: f64,
    /// Seeds of the first round.
    pub min_seeds: u32,
    /// Seeds of the last round.
    pub max_seeds: u32,
    /// Factor by which the seeds grow from one round to the next.
    pub growth: u32,
}

/// A parsed optimize file (not yet checked against its scenario).
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizeDef {
    /// The optimize file.
    pub file: PathBuf,
    /// Name (default: the file stem); names the output folder.
    pub name: String,
    /// Base scenario, resolved against the optimize file's folder.
    pub scenario: PathBuf,
    /// Seed; run seeds are derived from it and the seed index as in sweeps.
    pub seed: u64,
    /// Fixed overrides applied before the variables.
    pub set: Vec<String>,
    /// Decision variables, in file order.
    pub variables: Vec<Variable>,
    /// Weighted metrics whose sum is minimized (`minimize = "m"` is `m` with
    /// weight 1).
    pub objective: Vec<(String, f64)>,
    /// Service-level objectives every run should meet.
    pub constraints: Vec<Objective>,
    /// Required share of runs meeting every objective.
    pub level: f64,
    pub rule: Rule,
    pub search: Search,
}

/// Parses and checks an optimize file's text; `file` names it in errors and
/// anchors the scenario path. Every problem of the file is reported at once.
pub fn parse(text: &str, file: &Path) -> Result<OptimizeDef, SweepError> {
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
    let name = read_name(&mut r, t, file, OPTIMIZE);
    if let Some(d) = t.get("description") {
        if !d.is_str() {
            r.err(
                "description",
                format!("expected a string, found {}", describe(d)),
            );
        }
    }
    let scenario = read_scenario(&mut r, t, file, OPTIMIZE);
    let seed = read_seed(&mut r, t, OPTIMIZE);
    let set = read_set(&mut r, t);
    let variables = read_variables(&mut r, t);
    for (i, s) in set.iter().enumerate() {
        if let Ok((p, _)) = overrides::parse_assignment(s) {
            if p == "seed" {
                r.err(
                    &index("set", i),
                    "`seed` cannot be set: run seeds come from the file's `seed`",
                );
            }
            if variables.iter().any(|v| v.path == p) {
                r.err(
                    &format!("variables.\"{p}\""),
                    "is both a variable and a fixed `set` override; keep one",
                );
            }
        }
    }
    for v in &variables {
        if v.path == "seed" {
            r.err(
                "variables.\"seed\"",
                "`seed` cannot be a variable: run seeds come from the file's `seed`",
            );
        }
    }
    let objective = read_objective(&mut r, t);
    let (constraints, level, rule) = read_constraints(&mut r, t);
    let search = read_search(&mut r, t);
    if rule == Rule::Wilson && !constraints.is_empty() {
        let best = wilson(search.max_seeds as usize, search.max_seeds as usize, 0.95).lo;
        if best < level {
            let needed = (1..=MAX_SEEDS)
                .find(|&n| wilson(n as usize, n as usize, 0.95).lo >= level)
                .map_or("more than 1000".to_string(), |n| n.to_string());
            r.err(
                "constraints.rule",
                format!(
                    "with maxSeeds = {} even {0} runs of {0} meeting every objective give a 95% Wilson lower bound of {}, below the level {}: no candidate could be feasible; raise search.maxSeeds to {needed} or use rule = \"observed\"",
                    search.max_seeds,
                    num(best),
                    num(level)
                ),
            );
        }
    }
    if search.sample == Sample::Grid && r.issues.is_empty() {
        let total = variables
            .iter()
            .try_fold(1usize, |acc, v| acc.checked_mul(v.values.len()));
        if total.is_none_or(|n| n > MAX_CANDIDATES) {
            r.err(
                "search.sample",
                format!(
                    "the grid of the variables has {} candidates, more than the limit of {MAX_CANDIDATES}; use sample = \"random\" or \"latin-hypercube\" with candidates = N",
                    total.map_or("more than 2^64".to_string(), |n| n.to_string())
                ),
            );
        }
    }
    let def = OptimizeDef {
        file: file.to_path_buf(),
        name,
        scenario,
        seed,
        set,
        variables,
        objective,
        constraints,
        level,
        rule,
        search,
    };
    if r.issues.is_empty() {
        Ok(def)
    } else {
        Err(SweepError::Invalid(r.issues))
    }
}

/// Whether a table is a numeric range (`{ min, max, step }`) rather than a
/// level of dotted path keys.
fn is_range(t: &Table) -> bool {
    t.contains_key("min") || t.contains_key("max") || t.contains_key("step")
}

/// `[variables]`: `"path" = [choices]` or `"path" = { min, max, step }`.
fn read_variables(r: &mut Reader, t: &Table) -> Vec<Variable> {
    let vars = match t.get("variables") {
        Some(Value::Table(v)) => v,
        Some(other) => {
            r.err(
                "variables",
                format!(
                    "expected a table of `\"path\" = [choices]` or `\"path\" = {{ min, max, step }}`, found {}",
                    describe(other)
                ),
            );
            return Vec::new();
        }
        None => {
            r.err(
                "variables",
                "missing: the decision variables, e.g. [variables] \"instanceGroups.app.count\" = { min = 2, max = 8, step = 2 }",
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    collect(r, vars, "", &mut out);
    if out.is_empty() && !r.issues.iter().any(|i| i.path.starts_with("variables")) {
        r.err("variables", "expected at least one decision variable");
    }
    out
}

fn collect(r: &mut Reader, t: &Table, prefix: &str, out: &mut Vec<Variable>) {
    for (k, v) in t {
        let path = join(prefix, k);
        let field = format!("variables.\"{path}\"");
        match v {
            Value::Array(list) => {
                if list.is_empty() {
                    r.err(&field, "expected a non-empty list of choices");
                    continue;
                }
                let (values, labels) = list.iter().map(element).unzip();
                out.push(Variable {
                    path,
                    values,
                    labels,
                });
            }
            Value::Table(inner) if is_range(inner) => {
                if let Some(var) = range(r, inner, &path, &field) {
                    out.push(var);
                }
            }
            Value::Table(inner) => collect(r, inner, &path, out),
            other => r.err(
                &field,
                format!(
                    "expected a list of choices or a range {{ min, max, step }}, found {}",
                    describe(other)
                ),
            ),
        }
    }
}

/// `{ min, max, step }`: integers (step default 1) or numbers (step
/// required); the levels `min, min + step, ...` up to `max`.
fn range(r: &mut Reader, t: &Table, path: &str, field: &str) -> Option<Variable> {
    let _ = r.table(
        &Value::Table(t.clone()),
        field,
        &["min", "max", "step"],
        &[],
    );
    let get = |k: &str| t.get(k);
    let (Some(min), Some(max)) = (get("min"), get("max")) else {
        r.err(
            field,
            "a range needs `min` and `max`, e.g. { min = 2, max = 8, step = 2 }",
        );
        return None;
    };
    let ints = [get("min"), get("max"), get("step")]
        .iter()
        .all(|v| v.is_none_or(|v| v.is_integer()));
    let num = |r: &mut Reader, v: &Value, k: &str| match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(x) if x.is_finite() => Some(*x),
        other => {
            r.err(
                &format!("{field}.{k}"),
                format!("expected a number, found {}", describe(other)),
            );
            None
        }
    };
    let lo = num(r, min, "min");
    let hi = num(r, max, "max");
    let step = match get("step") {
        Some(v) => num(r, v, "step"),
        None if ints => Some(1.0),
        None => {
            r.err(
                &format!("{field}.step"),
                "missing: a range of non-integer numbers needs a `step`, e.g. step = 0.1",
            );
            None
        }
    };
    let (lo, hi, step) = (lo?, hi?, step?);
    if step <= 0.0 {
        r.err(
            &format!("{field}.step"),
            format!("expected a step > 0, found {}", num_text(step)),
        );
        return None;
    }
    if hi < lo {
        r.err(
            field,
            format!(
                "empty range: max ({}) is below min ({})",
                num_text(hi),
                num_text(lo)
            ),
        );
        return None;
    }
    let n = ((hi - lo) / step + 1e-9).floor() + 1.0;
    if n > MAX_LEVELS as f64 {
        r.err(
            field,
            format!(
                "the range has {n} levels, more than the limit of {MAX_LEVELS}; use a larger step"
            ),
        );
        return None;
    }
    let n = n as usize;
    let mut values = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for k in 0..n {
        if ints {
            let v = lo as i64 + (k as i64) * step as i64;
            values.push(Value::Integer(v));
            labels.push(v.to_string());
        } else {
            // Rounded to 9 decimals so that 0.1 steps read 0.3, not
            // 0.30000000000000004.
            let x = ((lo + k as f64 * step) * 1e9).round() / 1e9;
            values.push(Value::Float(x));
            labels.push(num_text(x));
        }
    }
    Some(Variable {
        path: path.to_string(),
        values,
        labels,
    })
}

fn num_text(x: f64) -> String {
    format!("{x}")
}

/// `[objective]`: `minimize = "metric"` or `minimize = { metric = weight, ... }`.
fn read_objective(r: &mut Reader, t: &Table) -> Vec<(String, f64)> {
    let Some(v) = t.get("objective") else {
        r.err(
            "objective",
            "missing: what to minimize, e.g. [objective] minimize = \"cost.per_month_usd\"",
        );
        return Vec::new();
    };
    let Some(o) = r.table(v, "objective", &["minimize"], &[]) else {
        return Vec::new();
    };
    match o.get("minimize") {
        Some(Value::String(m)) if !m.is_empty() => vec![(m.clone(), 1.0)],
        Some(Value::Table(w)) if !w.is_empty() => {
            let mut out = Vec::new();
            flatten_weights(r, w, "", &mut out);
            out
        }
        Some(other) => {
            r.err(
                "objective.minimize",
                format!(
                    "expected a metric name (\"cost.per_month_usd\") or a table of metric = weight, found {}",
                    describe(other)
                ),
            );
            Vec::new()
        }
        None => {
            r.err(
                "objective.minimize",
                "missing: a metric of the summary, e.g. minimize = \"cost.per_month_usd\"",
            );
            Vec::new()
        }
    }
}

fn flatten_weights(r: &mut Reader, t: &Table, prefix: &str, out: &mut Vec<(String, f64)>) {
    for (k, v) in t {
        let name = join(prefix, k);
        match v {
            Value::Integer(i) => out.push((name, *i as f64)),
            Value::Float(x) if x.is_finite() => out.push((name, *x)),
            Value::Table(inner) => flatten_weights(r, inner, &name, out),
            other => r.err(
                &format!("objective.minimize.\"{name}\""),
                format!("expected a weight (a number), found {}", describe(other)),
            ),
        }
    }
}

/// `[constraints]`: `objectives = [...]`, `confidence`, `rule`.
fn read_constraints(r: &mut Reader, t: &Table) -> (Vec<Objective>, f64, Rule) {
    let Some(v) = t.get("constraints") else {
        return (Vec::new(), 1.0, Rule::Observed);
    };
    let Some(c) = r.table(v, "constraints", &["objectives", "confidence", "rule"], &[]) else {
        return (Vec::new(), 1.0, Rule::Observed);
    };
    let mut objectives = Vec::new();
    match c.get("objectives") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let here = index("constraints.objectives", i);
                match item {
                    Value::String(s) => match Objective::parse(s) {
                        Ok(o) => objectives.push(o),
                        Err(m) => r.err(&here, m),
                    },
                    other => r.err(
                        &here,
                        format!(
                            "expected an objective such as \"services.web.minutes_below_desired <= 5\", found {}",
                            describe(other)
                        ),
                    ),
                }
            }
        }
        Some(other) => r.err(
            "constraints.objectives",
            format!(
                "expected a list of objective strings, found {}",
                describe(other)
            ),
        ),
    }
    let level = match c.get("confidence") {
        None => 0.9,
        Some(v) => match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
            Some(x) if x > 0.0 && x <= 1.0 => x,
            _ => {
                r.err(
                    "constraints.confidence",
                    format!(
                        "expected the required share of runs meeting every objective, a number in (0, 1] such as 0.9, found {}",
                        describe(v)
                    ),
                );
                0.9
            }
        },
    };
    let rule = match c.get("rule") {
        None => Rule::Observed,
        Some(v) => match r
            .choice(v, "constraints.rule", &["observed", "wilson"])
            .as_deref()
        {
            Some("wilson") => Rule::Wilson,
            _ => Rule::Observed,
        },
    };
    (objectives, level, rule)
}

/// `[search]`.
fn read_search(r: &mut Reader, t: &Table) -> Search {
    let mut s = Search {
        sample: Sample::Grid,
        candidates: 0,
        keep: 0.33,
        min_seeds: 2,
        max_seeds: 8,
        growth: 2,
    };
    let Some(v) = t.get("search") else {
        return s;
    };
    let keys = [
        "method",
        "sample",
        "candidates",
        "keep",
        "minSeeds",
        "maxSeeds",
        "growth",
    ];
    let Some(st) = r.table(v, "search", &keys, &[]) else {
        return s;
    };
    if let Some(m) = st.get("method") {
        let _ = r.choice(m, "search.method", &["halving"]);
    }
    if let Some(m) = st.get("sample") {
        s.sample = match r
            .choice(m, "search.sample", &["grid", "random", "latin-hypercube"])
            .as_deref()
        {
            Some("random") => Sample::Random,
            Some("latin-hypercube") => Sample::LatinHypercube,
            _ => Sample::Grid,
        };
    }
    let int = |r: &mut Reader, key: &str, lo: i64, hi: i64| -> Option<i64> {
        let v = st.get(key)?;
        match v.as_integer() {
            Some(i) if (lo..=hi).contains(&i) => Some(i),
            _ => {
                r.err(
                    &format!("search.{key}"),
                    format!(
                        "expected an integer from {lo} to {hi}, found {}",
                        describe(v)
                    ),
                );
                None
            }
        }
    };
    if let Some(n) = int(r, "candidates", 1, MAX_CANDIDATES as i64) {
        s.candidates = n as usize;
    }
    if s.sample != Sample::Grid && s.candidates == 0 && !st.contains_key("candidates") {
        r.err(
            "search.candidates",
            format!(
                "missing: how many candidates to draw with sample = \"{}\", e.g. candidates = 40",
                s.sample.as_str()
            ),
        );
    }
    if let Some(v) = st.get("keep") {
        match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
            Some(x) if x > 0.0 && x < 1.0 => s.keep = x,
            _ => r.err(
                "search.keep",
                format!(
                    "expected the share of candidates kept each round, a number in (0, 1) such as 0.33, found {}",
                    describe(v)
                ),
            ),
        }
    }
    if let Some(n) = int(r, "minSeeds", 1, MAX_SEEDS as i64) {
        s.min_seeds = n as u32;
    }
    if let Some(n) = int(r, "maxSeeds", 1, MAX_SEEDS as i64) {
        s.max_seeds = n as u32;
    }
    if let Some(n) = int(r, "growth", 2, 100) {
        s.growth = n as u32;
    }
    if s.max_seeds < s.min_seeds {
        r.err(
            "search.maxSeeds",
            format!(
                "is {} but minSeeds is {}: the last round cannot have fewer seeds than the first",
                s.max_seeds, s.min_seeds
            ),
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> String {
        match parse(text, Path::new("dir/opt.toml")) {
            Err(e) => e.issues().join("\n"),
            Ok(d) => panic!("expected errors, got {d:?}"),
        }
    }

    const HEAD: &str =
        "scenario = \"s.toml\"\nseed = 1\nobjective = { minimize = \"cost.per_month_usd\" }\n";

    #[test]
    fn variables_choices_and_ranges() {
        let d = parse(
            &format!(
                "{HEAD}[variables]\n\"a.b\" = ['[{{type=\"random\"}}]', \"x\"]\nc.d = {{ min = 2, max = 8, step = 3 }}\n\"e\" = {{ min = 0.1, max = 0.35, step = 0.1 }}\n"
            ),
            Path::new("dir/opt.toml"),
        )
        .unwrap();
        assert_eq!(d.variables.len(), 3);
        assert!(d.variables[0].values[0].is_array());
        assert_eq!(d.variables[0].labels, ["[{type=\"random\"}]", "x"]);
        // Unquoted dotted keys are paths too; 2, 5, 8.
        assert_eq!(d.variables[1].path, "c.d");
        assert_eq!(d.variables[1].labels, ["2", "5", "8"]);
        // 0.1, 0.2, 0.3 (0.4 > 0.35), without float noise.
        assert_eq!(d.variables[2].labels, ["0.1", "0.2", "0.3"]);
        assert_eq!(d.scenario, Path::new("dir/s.toml"));
        assert_eq!(d.objective, [("cost.per_month_usd".to_string(), 1.0)]);
        assert_eq!(d.search.sample, Sample::Grid);
        assert_eq!((d.search.min_seeds, d.search.max_seeds), (2, 8));
    }

    #[test]
    fn weighted_objective_and_constraints() {
        let d = parse(
            "scenario = \"s.toml\"\nseed = 1\n[variables]\nx = [1]\n[objective]\nminimize = { \"cost.per_month_usd\" = 1.0, \"services.web.minutes_below_desired\" = 50 }\n[constraints]\nobjectives = [\"services.web.running_ratio_min >= 0.5\"]\nconfidence = 0.75\nrule = \"observed\"\n",
            Path::new("o.toml"),
        )
        .unwrap();
        assert_eq!(
            d.objective,
            [
                ("cost.per_month_usd".to_string(), 1.0),
                ("services.web.minutes_below_desired".to_string(), 50.0)
            ]
        );
        assert_eq!(d.constraints.len(), 1);
        assert_eq!(d.level, 0.75);
    }

    #[test]
    fn errors_name_the_field() {
        let p = problems(&format!(
            "{HEAD}foo = 1\n[variables]\nx = []\ny = {{ min = 5, max = 2 }}\nz = {{ min = 0.5, max = 1.0 }}\nw = {{ min = 1, max = 3, step = 0 }}\n[constraints]\nobjectives = [\"a.b 3\"]\nconfidence = 1.5\n[search]\nsample = \"sobol\"\nkeep = 1.0\nminSeeds = 4\nmaxSeeds = 2\n"
        ));
        for want in [
            "dir/opt.toml: foo: unknown field",
            "variables.\"x\": expected a non-empty list",
            "variables.\"y\": empty range: max (2) is below min (5)",
            "variables.\"z\".step: missing",
            "variables.\"w\".step: expected a step > 0",
            "constraints.objectives[0]: expected `<metric> <op> <threshold>`",
            "constraints.confidence: expected the required share",
            "search.sample:",
            "search.keep: expected the share",
            "search.maxSeeds: is 2 but minSeeds is 4",
        ] {
            assert!(p.contains(want), "missing {want:?} in:\n{p}");
        }
    }

    #[test]
    fn a_grid_too_large_is_refused_with_the_way_out() {
        let p = problems(&format!(
            "{HEAD}[variables]\na = {{ min = 1, max = 100 }}\nb = {{ min = 1, max = 100 }}\n"
        ));
        assert!(
            p.contains("search.sample: the grid of the variables has 10000 candidates, more than the limit of 2000; use sample = \"random\""),
            "{p}"
        );
        // The same variables sampled are fine.
        parse(
            &format!("{HEAD}[variables]\na = {{ min = 1, max = 100 }}\nb = {{ min = 1, max = 100 }}\n[search]\nsample = \"random\"\ncandidates = 30\n"),
            Path::new("o.toml"),
        )
        .unwrap();
    }

    #[test]
    fn a_wilson_rule_that_no_candidate_could_meet_is_refused() {
        // 8 of 8 give a 95% Wilson lower bound of 0.676 < 0.9: 35 seeds
        // are needed (35 / (35 + 1.96^2) = 0.901).
        let p = problems(&format!(
            "{HEAD}[variables]\nx = [1]\n[constraints]\nobjectives = [\"cost.per_month_usd <= 5\"]\nconfidence = 0.9\nrule = \"wilson\"\n[search]\nmaxSeeds = 8\n"
        ));
        assert!(p.contains("constraints.rule: with maxSeeds = 8"), "{p}");
        assert!(p.contains("raise search.maxSeeds to 35"), "{p}");
    }

    #[test]
    fn seed_cannot_vary_and_sampling_needs_a_count() {
        let p = problems(&format!(
            "{HEAD}set = ['x=1']\n[variables]\nseed = [1, 2]\nx = [3]\n[search]\nsample = \"random\"\n"
        ));
        assert!(p.contains("`seed` cannot be a variable"), "{p}");
        assert!(
            p.contains("\"x\": is both a variable and a fixed `set`"),
            "{p}"
        );
        assert!(p.contains("search.candidates: missing"), "{p}");
    }
}
