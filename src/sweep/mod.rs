//! Parameter sweeps: a grid of scenario overrides times seeds, run in
//! parallel, written as one row per run (`runs.csv`) and one row per
//! parameter combination (`aggregate.csv`); shards run on several machines
//! and merged back; interrupted sweeps resumed.
//!
//! It owns the sweep file ([`mod@file`]), the expansion into runs and their
//! seeds (here), the output folder and its run files ([`store`]) and the
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
pub mod store;
pub mod table;

use std::path::{Path, PathBuf};

use toml::Table;

pub use error::SweepError;
pub use file::{Axis, SweepDef};
pub use store::{merge, read_manifest, run, Manifest, Options, Progress, Report, RunRecord, Shard};

use crate::engine::SimSpec;
use crate::scenario::{self, overrides, Issue};
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
        let text = std::fs::read_to_string(path).map_err(SweepError::io(path))?;
        let def = file::parse(&text, path)?;
        let base = std::fs::read_to_string(&def.scenario).map_err(|e| {
            SweepError::Invalid(vec![Issue {
                file: path.to_path_buf(),
                path: "scenario".into(),
                message: format!("cannot read {}: {e}", def.scenario.display()),
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

        let parameters = def.parameter_paths();
        let lengths: Vec<usize> = def.axes.iter().map(Axis::len).collect();
        let mut combinations = Vec::new();
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
                issues.push(at(&what, m));
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
                Err(lines) => issues.extend(lines.into_iter().map(|m| at(&what, m))),
            }
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
