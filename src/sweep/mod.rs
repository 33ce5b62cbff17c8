//! Parameter sweeps: a grid of scenario overrides times seeds, run in
//! parallel, written as one row per run (`runs.csv`) and one row per
//! parameter combination (`aggregate.csv`); shards run on several machines
//! and merged back; interrupted sweeps resumed.
//!
//! It owns the sweep file ([`mod@file`]), the expansion into runs and their
//! seeds (here), the output folder ([`store`]) and its run log ([`runlog`]), the
//! tables ([`table`]). It builds each run's scenario through the scenario
//! module's override machinery (the same paths as `--set`), runs it with
//! the engine and writes with `output::write_atomic`. It must not depend on
//! the command line, print, or know anything about ECS: parameters are
//! override paths and a run's result is its summary seen as a tree of
//! numbers, so new summary fields become new columns by themselves.
//!
//! ## Order, seeds, determinism
//!
//! Runs are numbered in one fixed order: the grid of axes (each
//! `[parameters]` entry, then each `[[zip]]` group, in file order, the
//! first varying slowest), with the seed index innermost. A run's seed
//! depends on the sweep seed and its seed index only ([`run_seed`]), so
//! runs with the same seed index see the same arrivals whatever the
//! parameters (common random numbers). The CSV files are built from the run
//! files in run order after all runs are done, so they are byte-identical
//! whatever the number of threads, shards or interruptions.

pub mod error;
pub mod file;
pub mod runlog;
pub mod store;
pub mod table;

use std::path::{Path, PathBuf};

use toml::Table;

pub use error::SweepError;
pub use file::{Axis, SweepDef};
pub use store::{
    merge, open, read_manifest, read_records, run, run_record, Manifest, Options, Progress, Report,
    RunRecord, Session, Shard,
};

use crate::engine::SimSpec;
use crate::scenario::{self, limits, overrides, Issue};
use crate::sim::rng::derive_seed;

/// One parameter combination, validated.
#[derive(Debug, Clone)]
pub struct Combination {
    /// Position in the grid (0-based).
    pub index: usize,
    /// The value label of every parameter path, in column order.
    pub labels: Vec<String>,
    /// The scenario with the fixed overrides and this combination applied.
    pub spec: SimSpec,
}

/// One run of the sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSpec {
    /// Position in the sweep (0-based).
    pub index: usize,
    /// Run id, e.g. `r0007` (zero-padded so ids sort like indexes).
    pub id: String,
    /// Its parameter combination.
    pub combination: usize,
    /// Replication number within the combination (0-based).
    pub seed_index: u32,
    /// The run's seed.
    pub seed: u64,
}

/// A loaded sweep: every combination built and validated.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The parsed sweep file.
    pub def: SweepDef,
    /// Parameter paths, in column order.
    pub parameters: Vec<String>,
    /// Every combination, in grid order.
    pub combinations: Vec<Combination>,
    /// Identity of the sweep (hash of the base scenario text, the overrides,
    /// the grid and the seeds), stored in every file it writes.
    pub fingerprint: String,
}

/// The seed of the runs with seed index `seed_index`: derived from the
/// sweep seed and the index only.
pub fn run_seed(sweep_seed: u64, seed_index: u32) -> u64 {
    derive_seed(sweep_seed, &format!("sweep/replication/{seed_index}"))
}

/// The run id of run `index` in a sweep of `total` runs: `r` and the index
/// zero-padded to at least 4 digits (more if `total` needs them).
pub fn run_id(index: usize, total: usize) -> String {
    let width = total.saturating_sub(1).to_string().len().max(4);
    format!("r{index:0width$}")
}

/// The grid positions of every combination, in order: `result[c][a]` is
/// the position on axis `a` of combination `c`; the first axis varies
/// slowest. No axes give one empty combination.
pub fn expand(lengths: &[usize]) -> Vec<Vec<usize>> {
    let total: usize = lengths.iter().product();
    (0..total)
        .map(|mut c| {
            let mut pos = vec![0; lengths.len()];
            for (a, len) in lengths.iter().enumerate().rev() {
                pos[a] = c % len;
                c /= len;
            }
            pos
        })
        .collect()
}

/// Default output folder of a sweep: `results/sweeps/<name>`.
pub fn default_dir(name: &str) -> PathBuf {
    Path::new("results").join("sweeps").join(name)
}

/// `ecsim merge`: merges the shard folders `dirs` into `out`, by default
/// the folder of the sweep the first of them belongs to
/// (`results/sweeps/<name>/`, the name read from its `sweep.json`).
pub fn merge_to(dirs: &[PathBuf], out: Option<&Path>) -> Result<Report, SweepError> {
    let out = match (out, dirs.first()) {
        (Some(o), _) => o.to_path_buf(),
        (None, Some(first)) => {
            let m = read_manifest(first)?.ok_or_else(|| {
                SweepError::folder(
                    first,
                    "no sweep.json: not the output folder of `ecsim sweep`",
                )
            })?;
            default_dir(&m.name)
        }
        (None, None) => Path::new("results").join("sweeps"),
    };
    merge(dirs, &out)
}

/// Default output folder of the sweep loaded from `file`:
/// `results/sweeps/<name>/`, or its `shard-K-of-N/` folder for a shard.
/// Refused when the sweep's name is not a plain name (it would leave
/// `results/sweeps/`).
pub fn output_dir(sw: &Sweep, file: &Path, shard: Option<Shard>) -> Result<PathBuf, SweepError> {
    crate::output::plain_name(&sw.def.name).map_err(|message| SweepError::Name {
        file: file.to_path_buf(),
        message,
    })?;
    let base = default_dir(&sw.def.name);
    Ok(match shard {
        Some(s) => base.join(format!("shard-{}-of-{}", s.k, s.n)),
        None => base,
    })
}

/// 64-bit FNV-1a, the fingerprint hash (stable across releases and machines).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Sweep {
    /// Reads a sweep file and its base scenario, expands the grid and
    /// validates every combination; all problems are reported together and
    /// nothing is run.
    pub fn load(path: &Path) -> Result<Sweep, SweepError> {
        let text = limits::read_text_or_why(path, limits::MAX_TEXT_FILE_BYTES).map_err(|why| {
            SweepError::Invalid(vec![Issue {
                file: path.to_path_buf(),
                path: String::new(),
                message: format!("cannot read: {why}"),
            }])
        })?;
        let def = file::parse(&text, path)?;
        let base =
            limits::read_text(&def.scenario, limits::MAX_TEXT_FILE_BYTES).map_err(|message| {
                SweepError::Invalid(vec![Issue {
                    file: path.to_path_buf(),
                    path: "scenario".into(),
                    message,
                }])
            })?;
        Sweep::build(def, &base)
    }

    /// Like [`Sweep::load`] with the definition parsed and the base
    /// scenario's text read.
    pub fn build(def: SweepDef, base_text: &str) -> Result<Sweep, SweepError> {
        let at = |path: &str, message: String| Issue {
            file: def.file.clone(),
            path: path.to_string(),
            message,
        };
        let mut base: Table = base_text.parse().map_err(|e: toml::de::Error| {
            SweepError::Invalid(vec![Issue {
                file: def.scenario.clone(),
                path: String::new(),
                message: format!("invalid TOML: {}", e.to_string().trim_end()),
            }])
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
        // Check each path once against the base, so a bad path is one
        // problem rather than one per combination.
        for axis in &def.axes {
            for (j, p) in axis.paths.iter().enumerate() {
                let Some(first) = axis.values.first().and_then(|v| v.get(j)) else {
                    issues.push(at(
                        &format!("{}.\"{p}\"", axis.source),
                        "expected a non-empty list of values".into(),
                    ));
                    continue;
                };
                let mut probe = base.clone();
                if let Err(m) = overrides::apply(&mut probe, p, first.clone()) {
                    let field = format!("{}.\"{p}\"", axis.source);
                    issues.push(at(&field, format!("not a path of the scenario: {m}")));
                }
            }
        }
        if !issues.is_empty() {
            return Err(SweepError::Invalid(issues));
        }
        // A problem in the first and in the last combination alike does not
        // depend on the values (a misspelled path, a broken base): report it
        // once, for the parameter whose path it is under, and stop before
        // validating every combination.
        issues = shared_problems(&def, &base);
        if !issues.is_empty() {
            return Err(SweepError::Invalid(issues));
        }

        let parameters = def.parameter_paths();
        let lengths: Vec<usize> = def.axes.iter().map(Axis::len).collect();
        let mut combinations = Vec::new();
        let mut failing = 0usize;
        for (c, pos) in expand(&lengths).into_iter().enumerate() {
            let mut tree = base.clone();
            let mut labels = Vec::new();
            let mut failed = None;
            for (axis, &i) in def.axes.iter().zip(&pos) {
                for (j, p) in axis.paths.iter().enumerate() {
                    labels.push(axis.labels[i][j].clone());
                    if let Err(m) = overrides::apply(&mut tree, p, axis.values[i][j].clone()) {
                        failed.get_or_insert(format!("{p}: {m}"));
                    }
                }
            }
            let what = describe(c, &parameters, &labels);
            if let Some(m) = failed {
                failing += 1;
                if failing <= SHOWN_FAILING {
                    issues.push(at(&what, m));
                }
                continue;
            }
            let loaded = toml::to_string(&tree)
                .map_err(|e| vec![format!("cannot write the scenario back as TOML: {e}")])
                .and_then(|text| {
                    scenario::load_str(&text, &def.scenario, &[]).map_err(|e| e.issues())
                });
            match loaded {
                Ok(sc) => combinations.push(Combination {
                    index: c,
                    labels,
                    spec: sc.spec,
                }),
                Err(lines) => {
                    failing += 1;
                    if failing <= SHOWN_FAILING {
                        issues.extend(lines.into_iter().map(|m| at(&what, m)));
                    }
                }
            }
        }
        if failing > SHOWN_FAILING {
            issues.push(at(
                "parameters",
                format!(
                    "{} more combinations have problems (the first {SHOWN_FAILING} are shown)",
                    failing - SHOWN_FAILING
                ),
            ));
        }
        if !issues.is_empty() {
            return Err(SweepError::Invalid(issues));
        }

        let mut canon = format!("ecsim sweep 1\nseed {}\nseeds {}\n", def.seed, def.seeds);
        for s in &def.set {
            canon.push_str(&format!("set {s}\n"));
        }
        for axis in &def.axes {
            canon.push_str(&format!("axis {:?} {:?}\n", axis.paths, axis.labels));
        }
        canon.push_str("scenario\n");
        canon.push_str(base_text);
        let fingerprint = format!("{:016x}", fnv1a(canon.as_bytes()));
        Ok(Sweep {
            def,
            parameters,
            combinations,
            fingerprint,
        })
    }

    /// Number of runs: combinations times seeds.
    pub fn total_runs(&self) -> usize {
        self.combinations.len() * self.def.seeds as usize
    }

    /// Every run, in sweep order.
    pub fn runs(&self) -> Vec<RunSpec> {
        let total = self.total_runs();
        let seeds = self.def.seeds as usize;
        (0..total)
            .map(|index| {
                let seed_index = (index % seeds) as u32;
                RunSpec {
                    index,
                    id: run_id(index, total),
                    combination: index / seeds,
                    seed_index,
                    seed: run_seed(self.def.seed, seed_index),
                }
            })
            .collect()
    }
}

/// Failing combinations whose problems are listed (the rest are counted).
const SHOWN_FAILING: usize = 20;

/// The base with every axis at position `pick(len)`.
fn at_position(def: &SweepDef, base: &Table, pick: impl Fn(usize) -> usize) -> Table {
    let mut tree = base.clone();
    for axis in &def.axes {
        let i = pick(axis.len());
        for (j, p) in axis.paths.iter().enumerate() {
            // Paths were checked against the base already.
            let _ = overrides::apply(&mut tree, p, axis.values[i][j].clone());
        }
    }
    tree
}

fn problems_of(tree: &Table, def: &SweepDef) -> Vec<Issue> {
    match toml::to_string(tree) {
        Ok(text) => match scenario::load_str(&text, &def.scenario, &[]) {
            Ok(_) => Vec::new(),
            Err(scenario::ScenarioError::Invalid(v)) => v,
            Err(e) => vec![Issue {
                file: def.scenario.clone(),
                path: String::new(),
                message: e.to_string(),
            }],
        },
        Err(e) => vec![Issue {
            file: def.scenario.clone(),
            path: String::new(),
            message: format!("cannot write the scenario back as TOML: {e}"),
        }],
    }
}

/// Problems of the first combination that the last one has too, each
/// attributed to the parameter whose path it is under (else to the sweep).
fn shared_problems(def: &SweepDef, base: &Table) -> Vec<Issue> {
    let first = problems_of(&at_position(def, base, |_| 0), def);
    if first.is_empty() {
        return first;
    }
    let last = problems_of(&at_position(def, base, |n| n.saturating_sub(1)), def);
    let mut out = Vec::new();
    for issue in first.into_iter().filter(|i| last.contains(i)) {
        let owner = def.axes.iter().find_map(|axis| {
            axis.paths.iter().find_map(|p| {
                let indexed = indexed_path(base, p)?;
                let under = issue.path == indexed || issue.path.starts_with(&format!("{indexed}."));
                under.then(|| format!("{}.\"{p}\"", axis.source))
            })
        });
        out.push(Issue {
            file: def.file.clone(),
            path: owner.unwrap_or_else(|| "every combination".into()),
            message: issue.to_string(),
        });
    }
    out
}

/// An override path with list elements named by `name`/`serviceName`/
/// `family` turned into indexes as error messages print them
/// (`services.web.x` -> `services[0].x`); None when it names no element.
pub(crate) fn indexed_path(base: &Table, path: &str) -> Option<String> {
    let mut out = String::new();
    let mut cur = Some(toml::Value::Table(base.clone()));
    for part in path.split('.') {
        let next = match cur.as_ref() {
            Some(toml::Value::Array(items)) => {
                let i = items.iter().position(|item| {
                    ["name", "serviceName", "family"]
                        .iter()
                        .any(|f| item.get(f).and_then(toml::Value::as_str) == Some(part))
                })?;
                out.push_str(&format!("[{i}]"));
                items.get(i).cloned()
            }
            other => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(part);
                let key = part.split('[').next().unwrap_or(part);
                let mut v = other.and_then(|v| v.get(key).cloned());
                // `key[i][j]`: step into the indexes too.
                for ix in part.split('[').skip(1) {
                    let i: usize = ix.trim_end_matches(']').parse().ok()?;
                    v = v.and_then(|v| v.get(i).cloned());
                }
                v
            }
        };
        cur = next;
    }
    Some(out)
}

/// `combination 3 (a=1, b=x)` for error messages.
fn describe(c: usize, paths: &[String], labels: &[String]) -> String {
    let pairs: Vec<String> = paths
        .iter()
        .zip(labels)
        .map(|(p, l)| format!("{p}={l}"))
        .collect();
    format!("combination {c} ({})", pairs.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_order_first_axis_slowest() {
        assert_eq!(
            expand(&[2, 3]),
            [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
        );
        assert_eq!(expand(&[]), vec![Vec::<usize>::new()]);
        assert_eq!(expand(&[3, 0]).len(), 0);
    }

    #[test]
    fn seeds_depend_on_the_index_only() {
        assert_eq!(run_seed(1, 0), run_seed(1, 0));
        assert_ne!(run_seed(1, 0), run_seed(1, 1));
        assert_ne!(run_seed(1, 0), run_seed(2, 0));
    }

    #[test]
    fn run_ids_sort_like_indexes() {
        assert_eq!(run_id(7, 60), "r0007");
        assert_eq!(run_id(7, 10_000), "r0007");
        assert_eq!(run_id(7, 10_001), "r00007");
    }

    #[test]
    fn fnv_is_pinned() {
        // Changing this changes every fingerprint in committed results.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}

#[cfg(test)]
mod output_dir_tests {
    use super::*;

    #[test]
    fn the_default_folder_is_named_after_the_sweep_and_its_shard() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps/black-friday.toml");
        let mut sw = Sweep::load(&file).unwrap();
        assert_eq!(
            output_dir(&sw, &file, None).unwrap(),
            Path::new("results/sweeps/black-friday")
        );
        let shard = Shard::parse("2/3").unwrap();
        assert_eq!(
            output_dir(&sw, &file, Some(shard)).unwrap(),
            Path::new("results/sweeps/black-friday/shard-2-of-3")
        );
        sw.def.name = ".hidden".into();
        let e = output_dir(&sw, &file, None).expect_err("refused");
        assert!(e.is_input());
        assert!(
            e.to_string().starts_with(&format!(
                "{}: name: `.hidden` starts with a dot",
                file.display()
            )),
            "{e}"
        );
        assert!(e.to_string().ends_with("rename it or give --out"), "{e}");
    }
}
