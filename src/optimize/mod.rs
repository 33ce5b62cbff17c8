//! `ecsim optimize`: the cheapest configuration that meets service-level
//! objectives, searched by successive halving over seeds.
//!
//! An optimize file names a base scenario, decision variables (override
//! paths, as sweeps and `--set` take them, each with a list of choices or a
//! numeric range), an objective to minimize (a summary metric or a weighted
//! sum of them), constraints (SLO strings of [`crate::slo`], met on a
//! required share of seeds) and a search (how candidates are drawn, how
//! many are kept each round, the seeds of the first and the last round).
//!
//! It owns the file ([`mod@file`]), the candidates ([`sample`]), the
//! judging and halving ([`search`]), the folder with its run files and
//! tables ([`store`]) and, with the `plot` feature, the Pareto chart
//! (`chart`, drawn with `plot::chart`). It builds
//! each candidate's scenario with the scenario module's override machinery
//! and runs it with the engine; like sweeps it must not print or depend on
//! the command line.
//!
//! ## Determinism
//!
//! Candidates depend on the file and its seed only; a run's seed is
//! [`sweep::run_seed`] of the file's seed and the seed index; every
//! decision (ranking, survivors, the winner) is a function of the runs'
//! summaries taken in (candidate, seed index) order. So the outputs are
//! byte-identical whatever `--jobs`, and a resumed search decides exactly
//! what an uninterrupted one does.

#[cfg(feature = "plot")]
pub mod chart;
pub mod file;
pub mod sample;
pub mod search;
pub mod store;

use std::path::{Path, PathBuf};

use toml::{Table, Value};

pub use file::{OptimizeDef, Rule, Sample, Variable};
pub use store::{run, Options, Outcome, Progress};

use crate::engine::SimSpec;
use crate::scenario::{self, limits, overrides, Issue};
use crate::sweep::{self, fnv1a, SweepError};

/// One candidate configuration, validated.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Position in the sample (0-based).
    pub index: usize,
    /// The index of each variable's value.
    pub levels: Vec<usize>,
    /// Each variable's value label, in variable order.
    pub labels: Vec<String>,
    /// The scenario with the candidate's values applied.
    pub spec: SimSpec,
}

/// How a metric of the objective or a constraint is looked up in a run's
/// flattened summary: the first of `names` that the summary has.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// The field of the optimize file that names it (for errors).
    pub field: String,
    /// As written.
    pub written: String,
    /// Names to try, in order: the name the SLO vocabulary resolves it to
    /// (constraints only, when it resolves), then the name as written.
    pub names: Vec<String>,
}

/// A loaded optimize file: every candidate built and validated.
#[derive(Debug, Clone)]
pub struct Study {
    pub def: OptimizeDef,
    /// The base scenario's tree with the fixed overrides applied.
    pub base: Table,
    /// Every candidate, in sample order.
    pub candidates: Vec<Candidate>,
    /// The objective's metrics, in objective order.
    pub objective: Vec<Metric>,
    /// The constraints' metrics, in constraint order.
    pub constraint_metrics: Vec<Metric>,
    /// Identity of the search (hash of the optimize file's and the base
    /// scenario's text), stored in every run file.
    pub fingerprint: String,
}

/// Default output folder: `results/optimize/<name>`.
pub fn default_dir(name: &str) -> PathBuf {
    Path::new("results").join("optimize").join(name)
}

/// Default output folder of the study loaded from `file`, refused when its
/// name is not a plain name.
pub fn output_dir(study: &Study, file: &Path) -> Result<PathBuf, SweepError> {
    crate::output::plain_name(&study.def.name).map_err(|message| SweepError::Name {
        file: file.to_path_buf(),
        message,
    })?;
    Ok(default_dir(&study.def.name))
}

/// Most failing candidates whose problems are listed.
const SHOWN_FAILING: usize = 20;

fn invalid(file: &Path, path: &str, message: impl Into<String>) -> SweepError {
    SweepError::Invalid(vec![Issue {
        file: file.to_path_buf(),
        path: path.to_string(),
        message: message.into(),
    }])
}

fn validate_tree(tree: &Table, scenario: &Path) -> Result<SimSpec, Vec<Issue>> {
    let text = toml::to_string(tree).map_err(|e| {
        vec![Issue {
            file: scenario.to_path_buf(),
            path: String::new(),
            message: format!("cannot write the scenario back as TOML: {e}"),
        }]
    })?;
    match scenario::load_str(&text, scenario, &[]) {
        Ok(sc) => Ok(sc.spec),
        Err(scenario::ScenarioError::Invalid(v)) => Err(v),
        Err(e) => Err(vec![Issue {
            file: scenario.to_path_buf(),
            path: String::new(),
            message: e.to_string(),
        }]),
    }
}

impl Study {
    /// Reads an optimize file and its base scenario, draws the candidates
    /// and validates each; all problems are reported together and nothing
    /// is run.
    pub fn load(path: &Path) -> Result<Study, SweepError> {
        let text = limits::read_text_or_why(path, limits::MAX_TEXT_FILE_BYTES)
            .map_err(|why| invalid(path, "", format!("cannot read: {why}")))?;
        let def = file::parse(&text, path)?;
        let base = limits::read_text(&def.scenario, limits::MAX_TEXT_FILE_BYTES)
            .map_err(|message| invalid(path, "scenario", message))?;
        Study::build(def, &text, &base)
    }

    /// Like [`Study::load`] with the file parsed and both texts read.
    pub fn build(def: OptimizeDef, text: &str, base_text: &str) -> Result<Study, SweepError> {
        let at = |path: &str, message: String| Issue {
            file: def.file.clone(),
            path: path.to_string(),
            message,
        };
        let mut base: Table = base_text.parse().map_err(|e: toml::de::Error| {
            invalid(
                &def.scenario,
                "",
                format!("invalid TOML: {}", e.to_string().trim_end()),
            )
        })?;
        let mut issues = Vec::new();
        for (i, s) in def.set.iter().enumerate() {
            let applied = overrides::parse_assignment(s)
                .map_err(|e| e.to_string())
                .and_then(|(p, v)| overrides::apply(&mut base, &p, overrides::parse_value(&v)));
            if let Err(m) = applied {
                issues.push(at(&format!("set[{i}]"), format!("`{s}`: {m}")));
            }
        }
        if !issues.is_empty() {
            return Err(SweepError::Invalid(issues));
        }
        // The base itself must be valid: its problems are the scenario's.
        let base_spec = validate_tree(&base, &def.scenario).map_err(SweepError::Invalid)?;

        // Each variable alone, at its first value: a path that is not in
        // the scenario (or a value its field refuses) is reported once,
        // for the variable.
        for v in &def.variables {
            let field = format!("variables.\"{}\"", v.path);
            let mut probe = base.clone();
            if let Err(m) = overrides::apply(&mut probe, &v.path, v.values[0].clone()) {
                issues.push(at(&field, format!("not a path of the scenario: {m}")));
                continue;
            }
            if let Err(found) = validate_tree(&probe, &def.scenario) {
                let indexed = sweep::indexed_path(&probe, &v.path).unwrap_or_default();
                for i in found {
                    // A problem under the variable's own field that says the
                    // field is unknown: the path is not one of the scenario.
                    let under = !indexed.is_empty()
                        && (i.path == indexed || i.path.starts_with(&format!("{indexed}.")));
                    let message = if under && i.message.starts_with("unknown field") {
                        format!("not a path of the scenario: {i}")
                    } else {
                        format!("with {} = {}: {i}", v.path, v.labels[0])
                    };
                    issues.push(at(&field, message));
                }
            }
        }
        if !issues.is_empty() {
            return Err(SweepError::Invalid(issues));
        }

        // Metrics: services and job streams must exist; constraints resolve
        // through the SLO vocabulary when they can.
        let services: Vec<&str> = base_spec.services.iter().map(|s| s.name.as_str()).collect();
        let jobs: Vec<&str> = base_spec.jobs.iter().map(|j| j.name.as_str()).collect();
        let check_names = |metric: &str| -> Result<(), String> {
            let parts: Vec<&str> = metric.splitn(3, '.').collect();
            let (what, known) = match parts.as_slice() {
                ["services", name, _] if !services.contains(name) => ("service", &services),
                ["jobs", name, _] if !jobs.contains(name) => ("job stream", &jobs),
                _ => return Ok(()),
            };
            let name = parts[1];
            let hint = crate::text::closest(name, known.iter().copied())
                .map(|c| format!(" (did you mean \"{c}\"?)"))
                .unwrap_or_default();
            Err(format!(
                "\"{metric}\": no {what} named \"{name}\" in the scenario{hint}"
            ))
        };
        let mut objective = Vec::new();
        for (m, _) in &def.objective {
            let field = format!("objective.minimize.\"{m}\"");
            if let Err(e) = check_names(m) {
                issues.push(at(&field, e));
            }
            objective.push(Metric {
                field,
                written: m.clone(),
                names: vec![m.clone()],
            });
        }
        let mut constraint_metrics = Vec::new();
        for (i, c) in def.constraints.iter().enumerate() {
            let field = format!("constraints.objectives[{i}]");
            if let Err(e) = check_names(&c.metric) {
                issues.push(at(&field, e));
            }
            let mut names = Vec::new();
            if let Ok(resolved) = c.resolve(&services, &jobs) {
                names.push(resolved);
            }
            if !names.contains(&c.metric) {
                names.push(c.metric.clone());
            }
            constraint_metrics.push(Metric {
                field,
                written: c.metric.clone(),
                names,
            });
        }
        if !issues.is_empty() {
            return Err(SweepError::Invalid(issues));
        }

        // The candidates, each validated.
        let levels: Vec<usize> = def.variables.iter().map(|v| v.values.len()).collect();
        let drawn = sample::candidates(def.search.sample, &levels, def.search.candidates, def.seed);
        let mut candidates = Vec::with_capacity(drawn.len());
        // A problem many candidates share (a value that is refused wherever
        // it appears) is listed once, for the first, with the count.
        let mut found_issues: Vec<(String, String, usize)> = Vec::new();
        for (index, lv) in drawn.into_iter().enumerate() {
            let tree = apply_levels(&def, &base, &lv);
            let labels: Vec<String> = def
                .variables
                .iter()
                .zip(&lv)
                .map(|(v, &i)| v.labels[i].clone())
                .collect();
            match validate_tree(&tree, &def.scenario) {
                Ok(spec) => candidates.push(Candidate {
                    index,
                    levels: lv,
                    labels,
                    spec,
                }),
                Err(found) => {
                    for i in found {
                        let text = i.to_string();
                        match found_issues.iter_mut().find(|f| f.1 == text) {
                            Some(f) => f.2 += 1,
                            None => found_issues.push((
                                describe(index, &def.variables, &labels),
                                text,
                                0,
                            )),
                        }
                    }
                }
            }
        }
        let shown = found_issues.len().min(SHOWN_FAILING);
        for (what, text, more) in &found_issues[..shown] {
            let tail = match more {
                0 => String::new(),
                1 => " (and 1 more candidate)".to_string(),
                n => format!(" (and {n} more candidates)"),
            };
            issues.push(at(what, format!("{text}{tail}")));
        }
        if found_issues.len() > shown {
            issues.push(at(
                "variables",
                format!(
                    "{} more problems (the first {SHOWN_FAILING} are shown)",
                    found_issues.len() - shown
                ),
            ));
        }
        if !issues.is_empty() {
            return Err(SweepError::Invalid(issues));
        }
        let canon = format!("ecsim optimize 1\n{text}\nscenario\n{base_text}");
        let fingerprint = format!("{:016x}", fnv1a(canon.as_bytes()));
        Ok(Study {
            def,
            base,
            candidates,
            objective,
            constraint_metrics,
            fingerprint,
        })
    }

    /// The scenario tree of candidate `c`: the base with its values.
    pub fn tree_of(&self, c: usize) -> Table {
        apply_levels(&self.def, &self.base, &self.candidates[c].levels)
    }

    /// `candidate 3 (a=1, b=x)`.
    pub fn describe(&self, c: usize) -> String {
        describe(c, &self.def.variables, &self.candidates[c].labels)
    }
}

fn apply_levels(def: &OptimizeDef, base: &Table, levels: &[usize]) -> Table {
    let mut tree = base.clone();
    for (v, &i) in def.variables.iter().zip(levels) {
        // Every path was applied to the base when loading.
        let _ = overrides::apply(&mut tree, &v.path, v.values[i].clone());
    }
    tree
}

fn describe(c: usize, vars: &[Variable], labels: &[String]) -> String {
    let pairs: Vec<String> = vars
        .iter()
        .zip(labels)
        .map(|(v, l)| format!("{}={l}", v.path))
        .collect();
    format!("candidate {c} ({})", pairs.join(", "))
}

/// Keys whose string value is a file relative to the scenario's folder
/// (task definition and service files, traces, price histories, replays,
/// commitment rates).
const FILE_KEYS: [&str; 5] = [
    "file",
    "path",
    "priceHistory",
    "interruptions",
    "savingsPlanRates",
];

/// Rewrites, anywhere in `v`, the relative file paths of `FILE_KEYS`
/// that name an existing file beside the scenario (`from`) as paths
/// relative to `to`, so the tree reads the same files from another folder.
pub fn rebase_paths(v: &mut Value, from: &Path, to: &Path) {
    match v {
        Value::Table(t) => {
            for (k, child) in t.iter_mut() {
                if let (true, Value::String(s)) = (FILE_KEYS.contains(&k.as_str()), &*child) {
                    let p = Path::new(s.as_str());
                    if p.is_relative() && from.join(p).is_file() {
                        if let Some(r) = relative(&from.join(p), to) {
                            *child = Value::String(r);
                        }
                    }
                    continue;
                }
                rebase_paths(child, from, to);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| rebase_paths(i, from, to)),
        _ => {}
    }
}

/// `target` as a path relative to the folder `dir` (both made absolute),
/// with `/` separators.
fn relative(target: &Path, dir: &Path) -> Option<String> {
    let t = std::fs::canonicalize(target).ok()?;
    let d = std::fs::canonicalize(dir).ok()?;
    let tc: Vec<_> = t.components().collect();
    let dc: Vec<_> = d.components().collect();
    let common = tc.iter().zip(&dc).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); dc.len() - common];
    parts.extend(
        tc[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Some(parts.join("/"))
}
