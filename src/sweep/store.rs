//! A sweep's output folder, running the runs into it, and merging shards.
//!
//! ```text
//! DIR/sweep.json        manifest: name, fingerprint, run count, shard, parameter columns
//! DIR/runs/r0007.json   one file per finished run: its identity, parameters and summary
//! DIR/runs.csv          one row per run of the folder's sweep or shard, in sweep order
//! DIR/aggregate.csv     one row per combination (whole sweeps only, not shards)
//! ```
//!
//! Every file is written atomically (temporary file + rename), and each run
//! file as soon as its run ends, so killing a sweep keeps every finished
//! run; `resume` skips the runs whose file is there and belongs to this
//! sweep. A folder holding files of another sweep (another fingerprint) is
//! refused, never mixed. A folder is written by one process at a time:
//! give each shard its own folder.
//!
//! A shard `K/N` owns the runs whose index modulo N is K-1 (round robin, so
//! every shard gets a similar mix of combinations, cheap and costly).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::SweepError;
use super::{run_id, table, RunSpec, Sweep};
use crate::engine::Simulation;
use crate::output::write_atomic;

/// Name of the manifest file.
pub const MANIFEST: &str = "sweep.json";
/// Folder of the run files.
pub const RUNS_DIR: &str = "runs";
/// Name of the per-run table.
pub const RUNS_CSV: &str = "runs.csv";
/// Name of the per-combination table.
pub const AGGREGATE_CSV: &str = "aggregate.csv";

/// One shard of a sweep: the runs whose index modulo `n` is `k - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Shard number, 1-based.
    pub k: usize,
    /// Number of shards.
    pub n: usize,
}

impl Shard {
    /// Parses `K/N` with `1 <= K <= N`.
    pub fn parse(s: &str) -> Result<Shard, SweepError> {
        let bad = |message: &str| SweepError::Shard {
            given: s.to_string(),
            message: message.to_string(),
        };
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| bad("expected K/N, e.g. 2/4 (shard 2 of 4)"))?;
        let k: usize = k
            .trim()
            .parse()
            .map_err(|_| bad("K is not a whole number; expected K/N, e.g. 2/4"))?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| bad("N is not a whole number; expected K/N, e.g. 2/4"))?;
        if n == 0 || k == 0 || k > n {
            return Err(bad("expected 1 <= K <= N (K is 1-based)"));
        }
        Ok(Shard { k, n })
    }

    /// Whether run `index` belongs to this shard.
    pub fn contains(&self, index: usize) -> bool {
        index % self.n == self.k - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// How to run a sweep.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Worker threads (0: one per available core).
    pub jobs: usize,
    /// Run only this shard.
    pub shard: Option<Shard>,
    /// Skip runs whose file is already in the folder.
    pub resume: bool,
}

/// What a sweep or a merge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Output folder.
    pub dir: PathBuf,
    /// Runs in the whole sweep.
    pub total_runs: usize,
    /// Runs this call was responsible for (the shard's, or all).
    pub selected: usize,
    /// Runs skipped because their file was there (`resume`).
    pub skipped: usize,
    /// Runs simulated by this call.
    pub ran: usize,
    /// Files written (tables and manifest; not the run files).
    pub files: Vec<PathBuf>,
}

/// `sweep.json`: what the folder holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Sweep name.
    pub name: String,
    /// Sweep fingerprint.
    pub sweep: String,
    /// Runs in the whole sweep.
    pub total_runs: usize,
    /// Parameter combinations.
    pub combinations: usize,
    /// Replications per combination.
    pub seeds: u32,
    /// `K/N` for a shard, absent for a whole sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Parameter paths, in column order.
    pub parameters: Vec<String>,
}

impl Manifest {
    fn shard(&self, path: &Path) -> Result<Option<Shard>, SweepError> {
        self.shard
            .as_deref()
            .map(|s| {
                Shard::parse(s).map_err(|e| SweepError::folder(path, format!("bad shard: {e}")))
            })
            .transpose()
    }

    fn owns(&self, shard: Option<Shard>) -> Vec<usize> {
        (0..self.total_runs)
            .filter(|&i| shard.is_none_or(|s| s.contains(i)))
            .collect()
    }
}

/// `runs/<id>.json`: one finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Sweep fingerprint.
    pub sweep: String,
    /// Run id.
    pub run_id: String,
    /// Position in the sweep.
    pub run_index: usize,
    /// Parameter combination.
    pub combination: usize,
    /// Replication within the combination.
    pub seed_index: u32,
    /// Seed.
    pub seed: u64,
    /// Parameter path -> value label.
    pub parameters: Map<String, Value>,
    /// The run's summary, as `summary.json` has it.
    pub summary: Value,
}

fn manifest_of(sweep: &Sweep, shard: Option<Shard>) -> Manifest {
    Manifest {
        name: sweep.def.name.clone(),
        sweep: sweep.fingerprint.clone(),
        total_runs: sweep.total_runs(),
        combinations: sweep.combinations.len(),
        seeds: sweep.def.seeds,
        shard: shard.map(|s| s.to_string()),
        parameters: sweep.parameters.clone(),
    }
}

fn parameters_of(sweep: &Sweep, r: &RunSpec) -> Map<String, Value> {
    sweep
        .parameters
        .iter()
        .zip(&sweep.combinations[r.combination].labels)
        .map(|(p, l)| (p.clone(), Value::String(l.clone())))
        .collect()
}

fn to_json<T: Serialize>(value: &T, path: &Path) -> Result<String, SweepError> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| SweepError::folder(path, format!("cannot encode: {e}")))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, what: &str) -> Result<T, SweepError> {
    let text = std::fs::read_to_string(path).map_err(SweepError::io(path))?;
    serde_json::from_str(&text).map_err(|e| {
        SweepError::folder(
            path,
            format!("not {what} ({e}); remove it or choose another folder"),
        )
    })
}

/// Reads `DIR/sweep.json`, if there.
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>, SweepError> {
    let path = dir.join(MANIFEST);
    if !path.exists() {
        return Ok(None);
    }
    read_json(&path, "a sweep manifest").map(Some)
}

/// Checks that `dir` holds no run file of another sweep, removes temporary
/// files a killed run left, and returns the run files it holds by index.
/// Tables and a manifest of another sweep with no run file beside them are
/// simply replaced: nothing would be mixed.
fn read_folder(dir: &Path, fingerprint: &str) -> Result<BTreeMap<usize, RunRecord>, SweepError> {
    let mut found = BTreeMap::new();
    let runs = dir.join(RUNS_DIR);
    if !runs.is_dir() {
        return Ok(found);
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&runs)
        .map_err(SweepError::io(&runs))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(SweepError::io(&runs))?;
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".json.tmp") {
            std::fs::remove_file(&path).map_err(SweepError::io(&path))?;
        } else if name.ends_with(".json") {
            let rec: RunRecord = read_json(&path, "a run file")?;
            if rec.sweep != fingerprint {
                let which = match read_manifest(dir) {
                    Ok(Some(m)) if m.sweep == rec.sweep => format!("`{}`, ", m.name),
                    _ => String::new(),
                };
                return Err(SweepError::folder(
                    &path,
                    format!(
                        "holds results of another sweep ({which}fingerprint {}; this one is {fingerprint}); \
                         choose another --out or remove the folder",
                        rec.sweep
                    ),
                ));
            }
            found.insert(rec.run_index, rec);
        }
    }
    Ok(found)
}

fn write_tables(
    dir: &Path,
    manifest: &Manifest,
    records: &[RunRecord],
) -> Result<Vec<PathBuf>, SweepError> {
    let mut files = Vec::new();
    let path = dir.join(MANIFEST);
    write_atomic(&path, to_json(manifest, &path)?.as_bytes())?;
    files.push(path);
    let path = dir.join(RUNS_CSV);
    write_atomic(
        &path,
        table::runs_csv(&manifest.parameters, records).as_bytes(),
    )?;
    files.push(path);
    let path = dir.join(AGGREGATE_CSV);
    if manifest.shard.is_none() {
        write_atomic(
            &path,
            table::aggregate_csv(&manifest.parameters, records).as_bytes(),
        )?;
        files.push(path);
    } else if path.exists() {
        // A shard's runs are not a whole combination's: no aggregate, and
        // none left from a whole sweep run earlier into the same folder.
        std::fs::remove_file(&path).map_err(SweepError::io(&path))?;
    }
    Ok(files)
}

/// What [`run`] tells its progress callback.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// Before the first run: how many runs will be simulated, how many were
    /// found finished (`resume`).
    Start {
        /// Runs to simulate.
        to_run: usize,
        /// Runs skipped.
        skipped: usize,
    },
    /// A run's file has been written (called from a worker thread).
    Done(&'a RunSpec),
}

/// Runs `sweep` (or the shard `opts.shard` of it) into `dir`, telling
/// `progress` when it starts and as each run's file is written.
pub fn run(
    sweep: &Sweep,
    dir: &Path,
    opts: &Options,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Report, SweepError> {
    let runs_dir = dir.join(RUNS_DIR);
    std::fs::create_dir_all(&runs_dir).map_err(SweepError::io(&runs_dir))?;
    let existing = read_folder(dir, &sweep.fingerprint)?;
    if read_manifest(dir)?.is_some_and(|m| m.sweep != sweep.fingerprint) {
        // Tables of another sweep (with no run file left): drop them now,
        // so an interrupted run does not leave them beside this manifest.
        for name in [RUNS_CSV, AGGREGATE_CSV] {
            let path = dir.join(name);
            if path.exists() {
                std::fs::remove_file(&path).map_err(SweepError::io(&path))?;
            }
        }
    }
    let manifest = manifest_of(sweep, opts.shard);
    let path = dir.join(MANIFEST);
    write_atomic(&path, to_json(&manifest, &path)?.as_bytes())?;

    let selected: Vec<RunSpec> = sweep
        .runs()
        .into_iter()
        .filter(|r| opts.shard.is_none_or(|s| s.contains(r.index)))
        .collect();
    let mut todo = Vec::new();
    for r in &selected {
        match existing.get(&r.index) {
            Some(rec) if opts.resume => {
                if rec.run_id != r.id
                    || rec.seed != r.seed
                    || rec.parameters != parameters_of(sweep, r)
                {
                    return Err(SweepError::folder(
                        runs_dir.join(format!("{}.json", rec.run_id)),
                        format!("does not match run {} of this sweep (seed or parameters differ); remove it", r.id),
                    ));
                }
            }
            _ => todo.push(r),
        }
    }
    let skipped = selected.len() - todo.len();
    progress(Progress::Start {
        to_run: todo.len(),
        skipped,
    });

    let jobs = if opts.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.jobs
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| SweepError::folder(dir, format!("cannot start {jobs} worker threads: {e}")))?;
    pool.install(|| {
        todo.par_iter().try_for_each(|r| -> Result<(), SweepError> {
            let spec = &sweep.combinations[r.combination].spec;
            let result = Simulation::new(spec, r.seed).run();
            let path = runs_dir.join(format!("{}.json", r.id));
            let summary = serde_json::to_value(&result.summary)
                .map_err(|e| SweepError::folder(&path, format!("cannot encode: {e}")))?;
            let rec = RunRecord {
                sweep: sweep.fingerprint.clone(),
                run_id: r.id.clone(),
                run_index: r.index,
                combination: r.combination,
                seed_index: r.seed_index,
                seed: r.seed,
                parameters: parameters_of(sweep, r),
                summary,
            };
            write_atomic(&path, to_json(&rec, &path)?.as_bytes())?;
            progress(Progress::Done(r));
            Ok(())
        })
    })?;

    // The tables come from the run files, whoever wrote them, so a fresh,
    // resumed or merged sweep gives the same bytes.
    let mut records = Vec::with_capacity(selected.len());
    for r in &selected {
        let path = runs_dir.join(format!("{}.json", r.id));
        let rec: RunRecord = read_json(&path, "a run file")?;
        if rec.sweep != sweep.fingerprint || rec.run_index != r.index {
            return Err(SweepError::folder(
                &path,
                "was changed while the sweep ran (another process writing the same folder?)",
            ));
        }
        records.push(rec);
    }
    let files = write_tables(dir, &manifest, &records)?;
    Ok(Report {
        dir: dir.to_path_buf(),
        total_runs: sweep.total_runs(),
        selected: selected.len(),
        skipped,
        ran: todo.len(),
        files,
    })
}

fn list_ids(total: usize, ids: &[usize]) -> String {
    let shown: Vec<String> = ids.iter().take(10).map(|&i| run_id(i, total)).collect();
    if ids.len() > shown.len() {
        format!("{} ... ({} in all)", shown.join(", "), ids.len())
    } else {
        shown.join(", ")
    }
}

/// Merges the folders of a sweep's shards (or of whole sweeps) into `out`:
/// the manifest, every run file and the tables a single-machine sweep
/// writes, byte for byte. Refuses folders of different sweeps, runs owned
/// by two folders, and runs that no folder has.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Report, SweepError> {
    let Some(first_dir) = dirs.first() else {
        return Err(SweepError::folder(out, "no folder to merge"));
    };
    let mut manifests = Vec::new();
    for d in dirs {
        match read_manifest(d)? {
            Some(m) => manifests.push(m),
            None => {
                return Err(SweepError::folder(
                    d.join(MANIFEST),
                    "missing: not the output folder of `ecsim sweep`",
                ))
            }
        }
    }
    let first = &manifests[0];
    for (d, m) in dirs.iter().zip(&manifests).skip(1) {
        if m.sweep != first.sweep {
            return Err(SweepError::folder(
                d,
                format!(
                    "is sweep `{}` (fingerprint {}) but {} is sweep `{}` (fingerprint {}): \
                     shards of different sweeps cannot be merged",
                    m.name,
                    m.sweep,
                    first_dir.display(),
                    first.name,
                    first.sweep
                ),
            ));
        }
    }
    let total = first.total_runs;
    let mut owner: Vec<Option<usize>> = vec![None; total];
    let mut shards = Vec::new();
    for (di, (d, m)) in dirs.iter().zip(&manifests).enumerate() {
        let shard = m.shard(&d.join(MANIFEST))?;
        shards.push(shard);
        for i in m.owns(shard) {
            if let Some(o) = owner[i] {
                let label = |s: Option<Shard>| {
                    s.map_or("the whole sweep".to_string(), |s| format!("shard {s}"))
                };
                return Err(SweepError::folder(
                    d,
                    format!(
                        "run {} is in two folders: {} ({}) and this one ({}); give each shard once",
                        run_id(i, total),
                        dirs[o].display(),
                        label(shards[o]),
                        label(shard)
                    ),
                ));
            }
            owner[i] = Some(di);
        }
    }
    let unowned: Vec<usize> = (0..total).filter(|&i| owner[i].is_none()).collect();
    if !unowned.is_empty() {
        let mut message = format!(
            "runs {} are in none of the folders",
            list_ids(total, &unowned)
        );
        if let Some(n) = shards.iter().flatten().map(|s| s.n).next() {
            let missing: Vec<String> = (1..=n)
                .filter(|&k| !shards.iter().flatten().any(|s| s.k == k && s.n == n))
                .map(|k| format!("{k}/{n}"))
                .collect();
            if !missing.is_empty() {
                message.push_str(&format!("; missing shards: {}", missing.join(", ")));
            }
        }
        return Err(SweepError::folder(first_dir, message));
    }

    let mut records = Vec::with_capacity(total);
    let mut texts = Vec::with_capacity(total);
    let mut absent: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, o) in owner.iter().enumerate() {
        let o = o.unwrap_or_default();
        let path = dirs[o]
            .join(RUNS_DIR)
            .join(format!("{}.json", run_id(i, total)));
        if !path.exists() {
            absent.entry(o).or_default().push(i);
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(SweepError::io(&path))?;
        let rec: RunRecord = serde_json::from_str(&text)
            .map_err(|e| SweepError::folder(&path, format!("not a run file ({e})")))?;
        if rec.sweep != first.sweep || rec.run_index != i {
            return Err(SweepError::folder(
                &path,
                format!("is not run {} of sweep {}", run_id(i, total), first.sweep),
            ));
        }
        records.push(rec);
        texts.push(text);
    }
    if let Some((&o, ids)) = absent.iter().next() {
        return Err(SweepError::folder(
            &dirs[o],
            format!(
                "has not finished runs {}; complete it with `ecsim sweep ... --resume`",
                list_ids(total, ids)
            ),
        ));
    }

    let runs_dir = out.join(RUNS_DIR);
    std::fs::create_dir_all(&runs_dir).map_err(SweepError::io(&runs_dir))?;
    read_folder(out, &first.sweep)?;
    for (rec, text) in records.iter().zip(&texts) {
        write_atomic(
            &runs_dir.join(format!("{}.json", rec.run_id)),
            text.as_bytes(),
        )?;
    }
    let manifest = Manifest {
        shard: None,
        ..first.clone()
    };
    let files = write_tables(out, &manifest, &records)?;
    Ok(Report {
        dir: out.to_path_buf(),
        total_runs: total,
        selected: total,
        skipped: 0,
        ran: 0,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { k: 2, n: 4 });
        for bad in ["0/2", "3/2", "1/0", "2", "a/2", "1/b", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let s = Shard { k: 2, n: 3 };
        let owned: Vec<usize> = (0..8).filter(|&i| s.contains(i)).collect();
        assert_eq!(owned, [1, 4, 7]);
        assert_eq!(s.to_string(), "2/3");
    }
}
