//! An optimize folder, running the search into it, and its tables.
//!
//! ```text
//! DIR/runs/c0007-s02.json  one file per finished run: identity, variables, summary
//! DIR/candidates.csv       every candidate evaluated, best first
//! DIR/rounds.csv           every candidate of every round: its estimates, rank, kept
//! DIR/summary.json         the search: rounds, simulations, the winner
//! DIR/best.toml            the winner as a runnable scenario (when one is feasible)
//! DIR/pareto.svg, .png     objective against the first constraint's metric (feature `plot`)
//! ```
//!
//! Each run file is written atomically (temporary file, synced, renamed)
//! soon after its run ends, a few at a time, so a killed search keeps every
//! finished run but the last few;
//! `resume` reads the run files of this search (same fingerprint, checked
//! run by run) instead of running them again, and the rounds decide
//! exactly as they would have. The folder is locked while a search writes
//! it; run files of another search are refused, never mixed. The tables are
//! written from the runs in (candidate, seed index) order after the last
//! round, each atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::search::{self, Estimate, RunEval};
use super::{rebase_paths, Metric, Study};
use crate::engine::Simulation;
use crate::output::{write_atomic, Lock};
use crate::sweep::table::{flatten, num};
use crate::sweep::{run_seed, Shard, SweepError};

/// Folder of the run files.
pub const RUNS_DIR: &str = "runs";

/// How to run a search.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Worker threads (0: one per available core).
    pub jobs: usize,
    /// Read the runs already in the folder instead of running them again.
    pub resume: bool,
    /// Run only this shard's share of each round (see [`run`]).
    pub shard: Option<Shard>,
}

/// What [`run`] tells its progress callback.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// A round starts: its number, candidates, seeds, the runs this call
    /// will simulate, those it reuses (earlier rounds, or the folder) and
    /// those left to the other shards.
    Round {
        round: usize,
        candidates: usize,
        seeds: u32,
        to_run: usize,
        reused: usize,
        others: usize,
    },
    /// A run's file has been written.
    Done,
    /// A shard has done its share of the round and waits for the other
    /// shards' runs (how many are missing).
    Waiting { runs: usize },
}

/// `runs/<id>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFile {
    /// Fingerprint of the search.
    pub optimize: String,
    pub run_id: String,
    pub candidate: usize,
    pub seed_index: u32,
    pub seed: u64,
    /// Variable path -> value label.
    pub variables: Map<String, Value>,
    /// The run's summary, as `summary.json` has it.
    pub summary: Value,
}

/// One round of the search.
#[derive(Debug, Clone)]
pub struct Round {
    pub round: usize,
    pub seeds: u32,
    /// The round's candidates' estimates, best first.
    pub ranked: Vec<Estimate>,
    /// How many go on (the first `kept` of `ranked`; 0 after the last).
    pub kept: usize,
    /// Runs simulated in this round by this call.
    pub ran: usize,
    /// Runs of this round not simulated by this call (earlier rounds, the
    /// folder, other shards).
    pub reused: usize,
}

/// What a search did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub dir: PathBuf,
    pub rounds: Vec<Round>,
    /// Runs simulated by this call.
    pub ran: usize,
    /// Runs read from the folder (`resume`).
    pub resumed: usize,
    /// The winner's final estimate, if one is feasible.
    pub winner: Option<Estimate>,
    /// Every candidate's last estimate, in the order of `candidates.csv`.
    pub standings: Vec<Estimate>,
    /// Files written (not the run files).
    pub files: Vec<PathBuf>,
}

impl Outcome {
    /// Distinct runs behind the answer (simulated now or read back).
    pub fn simulations(&self) -> usize {
        self.ran + self.resumed
    }
}

/// The id of a run: `c0007-s02`.
pub fn run_id(candidate: usize, seed_index: u32, candidates: usize) -> String {
    let width = candidates.saturating_sub(1).to_string().len().max(4);
    format!("c{candidate:0width$}-s{seed_index:02}")
}

fn variables_of(study: &Study, c: usize) -> Map<String, Value> {
    study
        .def
        .variables
        .iter()
        .zip(&study.candidates[c].labels)
        .map(|(v, l)| (v.path.clone(), Value::String(l.clone())))
        .collect()
}

fn folder_err(path: &Path, m: impl Into<String>) -> SweepError {
    SweepError::Folder {
        path: path.to_path_buf(),
        message: m.into(),
    }
}

/// Looks a metric up in a flattened summary; the error names the field of
/// the optimize file and the closest name the summary has.
fn lookup(m: &Metric, flat: &[(String, f64)], study: &Study, who: &str) -> Result<f64, SweepError> {
    for n in &m.names {
        if let Some((_, v)) = flat.iter().find(|(k, _)| k == n) {
            return Ok(*v);
        }
    }
    let read = if m.names.len() > 1 {
        format!(" (read as \"{}\" or \"{}\")", m.names[0], m.names[1])
    } else {
        String::new()
    };
    let hint = crate::text::closest(&m.written, flat.iter().map(|(k, _)| k.as_str()))
        .map(|c| format!("; did you mean \"{c}\"?"))
        .unwrap_or_default();
    Err(SweepError::Invalid(vec![crate::scenario::Issue {
        file: study.def.file.clone(),
        path: m.field.clone(),
        message: format!(
            "\"{}\"{read} is not a number of the run's summary ({who}){hint}; the names are those of a sweep's runs.csv columns",
            m.written
        ),
    }]))
}

/// Judges one run's summary.
pub fn evaluate(study: &Study, summary: &Value, who: &str) -> Result<RunEval, SweepError> {
    let flat = flatten(summary);
    let mut objective = 0.0;
    for (m, (_, w)) in study.objective.iter().zip(&study.def.objective) {
        objective += w * lookup(m, &flat, study, who)?;
    }
    let values = study
        .constraint_metrics
        .iter()
        .map(|m| lookup(m, &flat, study, who))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RunEval::new(objective, values, &study.def.constraints))
}

/// Simulates run (`c`, `s`) and returns its file's text and evaluation.
fn simulate(study: &Study, c: usize, s: u32) -> Result<(String, RunEval), SweepError> {
    let seed = run_seed(study.def.seed, s);
    let id = run_id(c, s, study.candidates.len());
    // A run file keeps the summary only.
    let mut sim = Simulation::new(&study.candidates[c].spec, seed);
    sim.without_task_records();
    let result = sim.run();
    let path = Path::new(RUNS_DIR).join(format!("{id}.json"));
    let summary = serde_json::to_value(&result.summary)
        .map_err(|e| folder_err(&path, format!("cannot encode: {e}")))?;
    let eval = evaluate(
        study,
        &summary,
        &format!("{}, seed index {s}", study.describe(c)),
    )?;
    let rec = RunFile {
        optimize: study.fingerprint.clone(),
        run_id: id,
        candidate: c,
        seed_index: s,
        seed,
        variables: variables_of(study, c),
        summary,
    };
    let text = serde_json::to_string_pretty(&rec)
        .map_err(|e| folder_err(&path, format!("cannot encode: {e}")))?
        + "\n";
    Ok((text, eval))
}

/// Adds to `found` the run files in `runs` of this search that it lacks,
/// by (candidate, seed index), each checked to be the run its name says;
/// a file of another search is refused. With `clean`, temporary files a
/// killed writer left are removed (never while shards may be writing).
fn read_runs(
    study: &Study,
    runs: &Path,
    clean: bool,
    found: &mut BTreeMap<(usize, u32), RunEval>,
) -> Result<(), SweepError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(runs)
        .map_err(SweepError::io(runs))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(SweepError::io(runs))?;
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if crate::output::folder::is_temp_file(name) {
            if clean {
                std::fs::remove_file(&path).map_err(SweepError::io(&path))?;
            }
            continue;
        }
        if !name.ends_with(".json") || parse_run_name(name).is_some_and(|k| found.contains_key(&k))
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(SweepError::io(&path))?;
        let rec: RunFile = serde_json::from_str(&text).map_err(|e| {
            folder_err(
                &path,
                format!(
                    "not a run file of ecsim optimize ({e}); remove it or choose another --out"
                ),
            )
        })?;
        if rec.optimize != study.fingerprint {
            return Err(folder_err(
                &path,
                format!(
                    "holds a run of another search (fingerprint {}; this one is {}): the optimize file or its scenario changed; choose another --out or remove the folder",
                    rec.optimize, study.fingerprint
                ),
            ));
        }
        let c = rec.candidate;
        let ok = c < study.candidates.len()
            && rec.run_id == run_id(c, rec.seed_index, study.candidates.len())
            && name == format!("{}.json", rec.run_id)
            && rec.seed == run_seed(study.def.seed, rec.seed_index)
            && rec.variables == variables_of(study, c);
        if !ok {
            return Err(folder_err(
                &path,
                "does not match the run of this search its name says (candidate, seed or variables differ); remove it",
            ));
        }
        let eval = evaluate(study, &rec.summary, &path.display().to_string())?;
        found.insert((c, rec.seed_index), eval);
    }
    Ok(())
}

/// Removes the temporary files of [`write_atomic`] a killed writer left in `dir`.
fn remove_temp_files(dir: &Path) -> Result<(), SweepError> {
    for e in std::fs::read_dir(dir).map_err(SweepError::io(dir))? {
        let p = e.map_err(SweepError::io(dir))?.path();
        let temp = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(crate::output::folder::is_temp_file);
        if temp && p.is_file() {
            std::fs::remove_file(&p).map_err(SweepError::io(&p))?;
        }
    }
    Ok(())
}

/// `c0007-s02.json` -> (7, 2).
fn parse_run_name(name: &str) -> Option<(usize, u32)> {
    let (c, s) = name
        .strip_suffix(".json")?
        .strip_prefix('c')?
        .split_once("-s")?;
    Some((c.parse().ok()?, s.parse().ok()?))
}

/// Writes each text to its path atomically and durably: every file under
/// a temporary name first, one flush of the file system (Linux `syncfs`;
/// elsewhere a sync per file), then the renames. Killed at any point, a
/// named file is whole; temporary files are removed by the next search.
fn commit(dir: &Path, paths: &[PathBuf], texts: &[&str]) -> Result<(), SweepError> {
    use std::io::Write;
    let mut temps = Vec::with_capacity(paths.len());
    let cleanup = |temps: &[PathBuf]| {
        for t in temps {
            let _ = std::fs::remove_file(t);
        }
    };
    for (path, text) in paths.iter().zip(texts) {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("run.json");
        let tmp = dir.join(format!(
            ".{name}.ecsim-tmp-{}-{}",
            std::process::id(),
            temps.len()
        ));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| {
                f.write_all(text.as_bytes())?;
                if cfg!(not(target_os = "linux")) {
                    f.sync_all()?;
                }
                Ok(())
            });
        if let Err(e) = written {
            cleanup(&temps);
            return Err(SweepError::io(&tmp)(e));
        }
        temps.push(tmp);
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let synced = std::fs::File::open(dir).and_then(|d| {
            // SAFETY: syncfs only reads the descriptor, which `d` keeps open.
            if unsafe { libc::syncfs(d.as_raw_fd()) } != 0 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(())
            }
        });
        if let Err(e) = synced {
            cleanup(&temps);
            return Err(SweepError::io(dir)(e));
        }
    }
    for (i, (tmp, path)) in temps.iter().zip(paths).enumerate() {
        if let Err(e) = std::fs::rename(tmp, path) {
            cleanup(&temps[i..]);
            return Err(SweepError::io(path)(e));
        }
    }
    Ok(())
}

/// Simulates the runs `todo` on `pool` and writes their files into
/// `runs_dir`; returns their evaluations, in `todo`'s order (see
/// [`run_parallel`] for how the work is shared and what a failure or a
/// kill leaves).
fn run_runs(
    study: &Study,
    pool: &rayon::ThreadPool,
    batch: usize,
    todo: &[(usize, u32)],
    runs_dir: &Path,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<RunEval>, SweepError> {
    let name = |i: usize| {
        let (c, si) = todo[i];
        runs_dir.join(format!("{}.json", run_id(c, si, study.candidates.len())))
    };
    let evals = run_parallel(
        pool,
        todo.len(),
        batch,
        |i| {
            let (c, si) = todo[i];
            simulate(study, c, si)
        },
        |gathered| {
            let names: Vec<PathBuf> = gathered.iter().map(|(i, _)| name(*i)).collect();
            let texts: Vec<&str> = gathered.iter().map(|(_, t)| t.as_str()).collect();
            commit(runs_dir, &names, &texts)?;
            gathered.iter().for_each(|_| progress(Progress::Done));
            Ok(())
        },
    )?;
    // Once none failed and every batch was named, every run gave one.
    (evals.into_iter().zip(todo))
        .map(|(eval, &(c, si))| {
            eval.ok_or_else(|| {
                let id = run_id(c, si, study.candidates.len());
                SweepError::folder(runs_dir, format!("run {id} was not simulated"))
            })
        })
        .collect()
}

/// Runs `simulate(i)` for `i` in `0..n` on `pool`'s threads and hands each
/// run's file text to `commit`, on the calling thread, `batch` runs at a
/// time (and the rest at the end); returns each run's value by index.
///
/// The workers take the runs one at a time, so none waits for another at
/// the end of a group of runs, and go on while a batch is committed
/// (`run_runs`'s commit writes the batch's files under temporary names,
/// makes them durable with one flush and names them: one sync per batch
/// rather than per run). A kill loses the runs of the batch being gathered
/// and those in progress. After a failed run no new run starts, the
/// batches of the runs that finished are still committed, and of several
/// failed runs the one of the least index is reported, whatever the
/// threads' timing. A failed commit stops the workers and is reported
/// before any failed run; nothing is committed after it.
fn run_parallel<T: Send>(
    pool: &rayon::ThreadPool,
    n: usize,
    batch: usize,
    simulate: impl Fn(usize) -> Result<(String, T), SweepError> + Sync,
    mut commit: impl FnMut(&[(usize, String)]) -> Result<(), SweepError>,
) -> Result<Vec<Option<T>>, SweepError> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let mut values: Vec<Option<T>> = (0..n).map(|_| None).collect();
    let mut failed: Option<(usize, SweepError)> = None;
    std::thread::scope(|scope| -> Result<(), SweepError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let (next, stop, simulate) = (&next, &stop, &simulate);
        let workers = scope.spawn(move || {
            pool.broadcast(|_| {
                let tx = tx.clone();
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let simulated = simulate(i);
                    let ok = simulated.is_ok();
                    // A closed channel: the caller stopped on an error.
                    if tx.send((i, simulated)).is_err() || !ok {
                        stop.store(true, Ordering::Relaxed);
                        break;
                    }
                }
            });
        });
        let mut gathered: Vec<(usize, String)> = Vec::with_capacity(batch);
        let mut committed = Ok(());
        for (i, simulated) in rx.iter() {
            match simulated {
                Ok((text, value)) => {
                    values[i] = Some(value);
                    gathered.push((i, text));
                }
                Err(e) => {
                    if failed.as_ref().is_none_or(|(f, _)| i < *f) {
                        failed = Some((i, e));
                    }
                }
            }
            if gathered.len() >= batch {
                committed = commit(&gathered);
                gathered.clear();
                if committed.is_err() {
                    stop.store(true, Ordering::Relaxed);
                    break;
                }
            }
        }
        if committed.is_ok() && !gathered.is_empty() {
            committed = commit(&gathered);
        }
        // Dropping the receiver ends the workers' sends; they stop.
        drop(rx);
        if let Err(panic) = workers.join() {
            std::panic::resume_unwind(panic);
        }
        committed
    })?;
    match failed {
        Some((_, e)) => Err(e),
        None => Ok(values),
    }
}

/// Runs the search of `study` into `dir`: the rounds of successive halving
/// (see [`super::search`]), each round's runs in parallel on `opts.jobs`
/// threads, then the tables, the chart and `best.toml`.
pub fn run(
    study: &Study,
    dir: &Path,
    opts: &Options,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Outcome, SweepError> {
    // A whole search locks the folder; a shard locks its share of it, so
    // the shards of one search write one folder together.
    let lock = match opts.shard {
        None => Lock::acquire(dir)?,
        Some(sh) => {
            std::fs::create_dir_all(dir).map_err(SweepError::io(dir))?;
            Lock::acquire(&dir.join(format!("shard-{}-of-{}", sh.k, sh.n)))?
        }
    };
    let runs_dir = dir.join(RUNS_DIR);
    std::fs::create_dir_all(&runs_dir).map_err(SweepError::io(&runs_dir))?;
    if opts.shard.is_none() {
        // Tables a killed search was writing.
        remove_temp_files(dir)?;
    }
    // Always read (so another search's files are refused); used on resume
    // and by shards, which take each other's runs from the folder.
    let mut existing = BTreeMap::new();
    read_runs(study, &runs_dir, opts.shard.is_none(), &mut existing)?;
    let mut done: BTreeMap<(usize, u32), RunEval> = if opts.resume || opts.shard.is_some() {
        existing
    } else {
        // Every run is run again: the old files (of this search, checked
        // above) go first, so none outlives the search that replaces it.
        for &(c, si) in existing.keys() {
            let p = runs_dir.join(format!("{}.json", run_id(c, si, study.candidates.len())));
            std::fs::remove_file(&p).map_err(SweepError::io(&p))?;
        }
        BTreeMap::new()
    };
    let resumed_pool: Vec<(usize, u32)> = done.keys().copied().collect();
    let jobs = if opts.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.jobs
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| folder_err(dir, format!("cannot start {jobs} worker threads: {e}")))?;

    let s = &study.def.search;
    let schedule = search::schedule(s.min_seeds, s.max_seeds, s.growth);
    let mut alive: Vec<usize> = (0..study.candidates.len()).collect();
    let mut rounds = Vec::new();
    let mut ran = 0usize;
    let mut used_from_folder = std::collections::BTreeSet::new();
    let mut previous_seeds = 0;
    for (round, &seeds) in schedule.iter().enumerate() {
        let wanted: Vec<(usize, u32)> = alive
            .iter()
            .flat_map(|&c| (0..seeds).map(move |si| (c, si)))
            .collect();
        // A shard's share of the round: every N-th of the round's new runs
        // (its candidates' seeds from the last round's count on), a list
        // that does not depend on what is done, so every shard computes
        // the same split whenever it starts.
        let fresh = alive
            .iter()
            .flat_map(|&c| (previous_seeds..seeds).map(move |si| (c, si)));
        let share: Vec<(usize, u32)> = match opts.shard {
            None => wanted.clone(),
            Some(sh) => fresh
                .enumerate()
                .filter(|(i, _)| sh.contains(*i))
                .map(|(_, k)| k)
                .collect(),
        };
        previous_seeds = seeds;
        let todo: Vec<(usize, u32)> = share
            .iter()
            .copied()
            .filter(|k| !done.contains_key(k))
            .collect();
        for k in &wanted {
            if done.contains_key(k) && resumed_pool.binary_search(k).is_ok() {
                used_from_folder.insert(*k);
            }
        }
        let reused = wanted.iter().filter(|k| done.contains_key(k)).count();
        progress(Progress::Round {
            round,
            candidates: alive.len(),
            seeds,
            to_run: todo.len(),
            reused,
            others: wanted.len() - reused - todo.len(),
        });
        let results = run_runs(study, &pool, jobs.max(1) * 4, &todo, &runs_dir, progress)?;
        ran += todo.len();
        for (k, e) in todo.iter().zip(results) {
            done.insert(*k, e);
        }
        // A shard waits for the other shards' runs of the round.
        let mut told = false;
        loop {
            let missing = wanted.iter().filter(|k| !done.contains_key(k)).count();
            if missing == 0 {
                break;
            }
            if !told {
                progress(Progress::Waiting { runs: missing });
                told = true;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
            read_runs(study, &runs_dir, false, &mut done)?;
        }
        let mut ranked: Vec<Estimate> = alive
            .iter()
            .map(|&c| {
                let runs: Vec<RunEval> = (0..seeds).map(|si| done[&(c, si)].clone()).collect();
                search::estimate(c, &runs, study.def.level, study.def.rule)
            })
            .collect();
        search::rank(&mut ranked);
        let last = round + 1 == schedule.len();
        let kept = if last {
            0
        } else {
            search::survivors(ranked.len(), s.keep)
        };
        alive = ranked[..kept].iter().map(|e| e.candidate).collect();
        alive.sort_unstable();
        rounds.push(Round {
            round,
            seeds,
            ranked,
            kept,
            ran: todo.len(),
            reused: wanted.len() - todo.len(),
        });
    }

    // Standings: later rounds first, each in its rank order.
    let mut standings: Vec<Estimate> = Vec::new();
    let mut round_of: BTreeMap<usize, usize> = BTreeMap::new();
    for r in rounds.iter().rev() {
        for e in &r.ranked {
            if let std::collections::btree_map::Entry::Vacant(v) = round_of.entry(e.candidate) {
                v.insert(r.round);
                standings.push(e.clone());
            }
        }
    }
    let winner = rounds
        .last()
        .and_then(|r| r.ranked.first())
        .filter(|e| e.feasible)
        .cloned();
    let pareto = pareto_front(study, &standings);

    let mut files = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), SweepError> {
        let p = dir.join(name);
        write_atomic(&p, bytes)?;
        files.push(p);
        Ok(())
    };
    put(
        "candidates.csv",
        candidates_csv(study, &standings, &round_of, &pareto).as_bytes(),
    )?;
    put("rounds.csv", rounds_csv(study, &rounds).as_bytes())?;
    let summary = summary_json(study, &rounds, winner.as_ref(), &pareto);
    put("summary.json", summary.as_bytes())?;
    let best = dir.join("best.toml");
    match &winner {
        Some(w) => {
            let text = best_toml(study, w, dir)?;
            put("best.toml", text.as_bytes())?;
        }
        None => {
            // A best.toml of an earlier search would be misread as this one's.
            if best.exists() {
                std::fs::remove_file(&best).map_err(SweepError::io(&best))?;
            }
        }
    }
    #[cfg(feature = "plot")]
    if let Some(chart) = super::chart::pareto_chart(study, &standings, &pareto, winner.as_ref()) {
        let svg = crate::plot::chart::svg(&chart).map_err(|e| folder_err(dir, e.to_string()))?;
        put("pareto.svg", svg.as_bytes())?;
        let png = crate::plot::chart::png(&chart).map_err(|e| folder_err(dir, e.to_string()))?;
        put("pareto.png", &png)?;
    }
    drop(lock);
    Ok(Outcome {
        dir: dir.to_path_buf(),
        rounds,
        ran,
        resumed: used_from_folder.len(),
        winner,
        standings,
        files,
    })
}

/// Whether the first constraint's metric is better higher (`>=`, `>`).
pub fn higher_is_better(study: &Study) -> bool {
    study
        .def
        .constraints
        .first()
        .is_some_and(|c| matches!(c.op, crate::slo::Op::AtLeast | crate::slo::Op::Above))
}

/// The candidates (indexes) on the Pareto front of objective mean (lower
/// is better) against the first constraint's metric mean (in the
/// direction its comparison says), from every candidate's last estimate;
/// empty without constraints. A candidate is on the front when no other is
/// at least as good on both and better on one.
pub fn pareto_front(study: &Study, standings: &[Estimate]) -> Vec<usize> {
    if study.def.constraints.is_empty() {
        return Vec::new();
    }
    let up = higher_is_better(study);
    let y = |e: &Estimate| {
        if up {
            -e.value_means[0]
        } else {
            e.value_means[0]
        }
    };
    let mut front: Vec<usize> = standings
        .iter()
        .filter(|a| {
            !standings.iter().any(|b| {
                b.objective_mean <= a.objective_mean
                    && y(b) <= y(a)
                    && (b.objective_mean < a.objective_mean || y(b) < y(a))
            })
        })
        .map(|e| e.candidate)
        .collect();
    front.sort_unstable();
    front
}

fn csv_of(rows: Vec<Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        // Writing to memory cannot fail.
        let _ = w.write_record(&r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Column names of the constraints' metrics: the name read (`metric`, with
/// `#2` appended to a repeat).
fn constraint_columns(study: &Study) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in &study.constraint_metrics {
        let base = m.names[0].clone();
        let mut name = base.clone();
        let mut k = 2;
        while out.contains(&name) {
            name = format!("{base}#{k}");
            k += 1;
        }
        out.push(name);
    }
    out
}

fn estimate_cells(e: &Estimate) -> Vec<String> {
    let mut row = vec![e.runs.to_string(), num(e.objective_mean)];
    for (m, i) in e.value_means.iter().zip(&e.met) {
        row.extend([num(*m), num(i.share), num(i.lo), num(i.hi)]);
    }
    row.extend([
        num(e.all_met.share),
        num(e.all_met.lo),
        num(e.all_met.hi),
        e.feasible.to_string(),
    ]);
    row
}

fn estimate_header(study: &Study) -> Vec<String> {
    let mut h = vec!["seeds".to_string(), "objective_mean".to_string()];
    for c in constraint_columns(study) {
        h.extend([
            format!("{c}.mean"),
            format!("{c}.met_share"),
            format!("{c}.met_ci95_low"),
            format!("{c}.met_ci95_high"),
        ]);
    }
    h.extend([
        "all_met_share".to_string(),
        "all_met_ci95_low".to_string(),
        "all_met_ci95_high".to_string(),
        "feasible".to_string(),
    ]);
    h
}

/// `candidates.csv`: every candidate, best first (those that reached later
/// rounds first, each round in rank order), with its last estimate.
pub fn candidates_csv(
    study: &Study,
    standings: &[Estimate],
    round_of: &BTreeMap<usize, usize>,
    pareto: &[usize],
) -> String {
    let mut header = vec![
        "rank".to_string(),
        "candidate".to_string(),
        "round".to_string(),
    ];
    header.extend(study.def.variables.iter().map(|v| v.path.clone()));
    header.extend(estimate_header(study));
    header.push("pareto".to_string());
    let mut rows = vec![header];
    for (i, e) in standings.iter().enumerate() {
        let mut row = vec![
            (i + 1).to_string(),
            e.candidate.to_string(),
            round_of.get(&e.candidate).copied().unwrap_or(0).to_string(),
        ];
        row.extend(study.candidates[e.candidate].labels.iter().cloned());
        row.extend(estimate_cells(e));
        row.push(pareto.binary_search(&e.candidate).is_ok().to_string());
        rows.push(row);
    }
    csv_of(rows)
}

/// `rounds.csv`: every candidate of every round, in rank order.
pub fn rounds_csv(study: &Study, rounds: &[Round]) -> String {
    let mut header = vec![
        "round".to_string(),
        "rank".to_string(),
        "candidate".to_string(),
    ];
    header.extend(study.def.variables.iter().map(|v| v.path.clone()));
    header.extend(estimate_header(study));
    header.push("kept".to_string());
    let mut rows = vec![header];
    for r in rounds {
        for (i, e) in r.ranked.iter().enumerate() {
            let mut row = vec![
                r.round.to_string(),
                (i + 1).to_string(),
                e.candidate.to_string(),
            ];
            row.extend(study.candidates[e.candidate].labels.iter().cloned());
            row.extend(estimate_cells(e));
            row.push((i < r.kept).to_string());
            rows.push(row);
        }
    }
    csv_of(rows)
}

fn estimate_json(study: &Study, e: &Estimate) -> Value {
    let vars: Map<String, Value> = variables_of(study, e.candidate);
    let slos: Vec<Value> = study
        .def
        .constraints
        .iter()
        .zip(&study.constraint_metrics)
        .enumerate()
        .map(|(i, (c, m))| {
            json!({
                "objective": c.text,
                "metric": m.names[0],
                "mean": round(e.value_means[i]),
                "met_share": round(e.met[i].share),
                "met_ci95": [round(e.met[i].lo), round(e.met[i].hi)],
            })
        })
        .collect();
    json!({
        "candidate": e.candidate,
        "variables": vars,
        "seeds": e.runs,
        "objective_mean": round(e.objective_mean),
        "all_met_share": round(e.all_met.share),
        "all_met_ci95": [round(e.all_met.lo), round(e.all_met.hi)],
        "feasible": e.feasible,
        "slos": slos,
    })
}

fn round(x: f64) -> Value {
    let r = crate::metrics::round4(x);
    serde_json::Number::from_f64(r).map_or(Value::Null, Value::Number)
}

/// `summary.json`: the method's settings, each round, the simulations and
/// the winner (or why there is none).
pub fn summary_json(
    study: &Study,
    rounds: &[Round],
    winner: Option<&Estimate>,
    pareto: &[usize],
) -> String {
    let d = &study.def;
    let rounds_v: Vec<Value> = rounds
        .iter()
        .map(|r| {
            json!({
                "round": r.round,
                "candidates": r.ranked.len(),
                "seeds": r.seeds,
                "runs": r.ranked.len() * r.seeds as usize,
                "feasible": r.ranked.iter().filter(|e| e.feasible).count(),
                "kept": r.kept,
            })
        })
        .collect();
    let distinct: usize = {
        let mut per: BTreeMap<usize, u32> = BTreeMap::new();
        for r in rounds {
            for e in &r.ranked {
                per.insert(e.candidate, r.seeds);
            }
        }
        per.values().map(|&s| s as usize).sum()
    };
    let objective: Map<String, Value> = d
        .objective
        .iter()
        .map(|(m, w)| (m.clone(), json!(w)))
        .collect();
    let v = json!({
        "name": d.name,
        "optimize": study.fingerprint,
        "scenario": d.scenario.to_string_lossy().replace('\\', "/"),
        "seed": d.seed,
        "method": {
            "sample": d.search.sample.as_str(),
            "candidates": study.candidates.len(),
            "keep": d.search.keep,
            "min_seeds": d.search.min_seeds,
            "max_seeds": d.search.max_seeds,
            "growth": d.search.growth,
            "rule": d.rule.as_str(),
            "level": d.level,
        },
        "minimize": objective,
        "constraints": d.constraints.iter().map(|c| c.text.clone()).collect::<Vec<_>>(),
        "rounds": rounds_v,
        "simulations": distinct,
        "winner": winner.map(|w| estimate_json(study, w)),
        "no_winner": if winner.is_some() { Value::Null } else {
            json!("no candidate of the last round is feasible: relax the objectives or the confidence, widen the variables, or raise maxSeeds")
        },
        "pareto": pareto,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// `best.toml`: the base scenario with the winner's values, named
/// `<name>-best`, its relative file paths rewritten to be read from `dir`;
/// its header gives the `--seed` that reproduces the winner's first run.
pub fn best_toml(study: &Study, w: &Estimate, dir: &Path) -> Result<String, SweepError> {
    let mut tree = toml::Value::Table(study.tree_of(w.candidate));
    let from = study.def.scenario.parent().unwrap_or(Path::new("."));
    let from = if from.as_os_str().is_empty() {
        Path::new(".")
    } else {
        from
    };
    rebase_paths(&mut tree, from, dir);
    let toml::Value::Table(mut t) = tree else {
        return Err(folder_err(dir, "the scenario is not a table"));
    };
    // Its own name, so that `ecsim run best.toml` does not write over the
    // base scenario's default results folder.
    t.insert(
        "name".into(),
        toml::Value::String(format!("{}-best", study.def.name)),
    );
    let body =
        toml::to_string(&t).map_err(|e| folder_err(dir, format!("cannot write best.toml: {e}")))?;
    let mut head = format!(
        "# The winner of `ecsim optimize {}` ({}):\n#   {}\n",
        study.def.file.display(),
        study.def.name,
        study.describe(w.candidate)
    );
    head.push_str(&format!(
        "# objective mean {} over {} seeds; every objective met on {} of them.\n",
        num(w.objective_mean),
        w.runs,
        num(w.all_met.share * w.runs as f64)
    ));
    head.push_str(&format!(
        "# Base scenario {} with the winner's values.\n# `ecsim run best.toml --seed {}` reproduces its run of seed index 0.\n# Relative file paths point back to the base scenario's files from this folder.\n\n",
        study.def.scenario.display(),
        run_seed(study.def.seed, 0)
    ));
    Ok(head + &body)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool")
    }

    fn failure(what: &str) -> SweepError {
        SweepError::folder("runs", what.to_string())
    }

    /// What `run_parallel` did: the runs started, the batches committed.
    #[derive(Default)]
    struct Trace {
        started: Mutex<Vec<usize>>,
        batches: Vec<Vec<usize>>,
    }

    impl Trace {
        fn started(&self) -> Vec<usize> {
            let mut s = self.started.lock().expect("not poisoned").clone();
            s.sort_unstable();
            s
        }

        fn committed(&self) -> Vec<usize> {
            let mut c: Vec<usize> = self.batches.iter().flatten().copied().collect();
            c.sort_unstable();
            c
        }
    }

    /// Runs `run_parallel` over `n` runs on `threads` threads, batches of
    /// 4: run `i` gives the text `"run i"` and the value `10 i`, or the
    /// error `fail(i)` names; the `k`th commit (from 1) fails when
    /// `commit_fails` says so.
    fn run(
        threads: usize,
        n: usize,
        fail: impl Fn(usize) -> Option<(&'static str, Duration)> + Sync,
        commit_fails: impl Fn(usize) -> bool,
    ) -> (Result<Vec<Option<usize>>, SweepError>, Trace) {
        let mut trace = Trace::default();
        let started = &trace.started;
        let mut batches = Vec::new();
        let result = run_parallel(
            &pool(threads),
            n,
            4,
            |i| {
                started.lock().expect("not poisoned").push(i);
                match fail(i) {
                    Some((what, after)) => {
                        std::thread::sleep(after);
                        Err(failure(what))
                    }
                    None => Ok((format!("run {i}"), 10 * i)),
                }
            },
            |gathered| {
                for (i, text) in gathered {
                    assert_eq!(text, &format!("run {i}"), "a run's own text");
                }
                batches.push(gathered.iter().map(|(i, _)| *i).collect::<Vec<_>>());
                if commit_fails(batches.len()) {
                    return Err(failure("disk full"));
                }
                Ok(())
            },
        );
        trace.batches = batches;
        (result, trace)
    }

    #[test]
    fn every_run_is_simulated_once_and_committed_once_in_batches() {
        for threads in [1, 2, 3] {
            let (result, trace) = run(threads, 50, |_| None, |_| false);
            let values = result.expect("no run fails");
            let want: Vec<Option<usize>> = (0..50).map(|i| Some(10 * i)).collect();
            assert_eq!(values, want, "values by index, {threads} threads");
            assert_eq!(trace.started(), (0..50).collect::<Vec<_>>());
            assert_eq!(trace.committed(), (0..50).collect::<Vec<_>>());
            let (last, full) = trace.batches.split_last().expect("batches");
            assert!(full.iter().all(|b| b.len() == 4), "{:?}", trace.batches);
            assert!((1..=4).contains(&last.len()));
        }
    }

    /// Of two failed runs the one of the least index is reported, though
    /// the other fails first; the runs before it are committed; no run
    /// starts once a failure is known.
    #[test]
    fn the_failed_run_of_least_index_is_reported() {
        for _ in 0..5 {
            let (result, trace) = run(
                2,
                200,
                |i| match i {
                    37 => Some(("run 37 failed", Duration::from_millis(30))),
                    38 => Some(("run 38 failed", Duration::ZERO)),
                    _ => None,
                },
                |_| false,
            );
            let err = result.expect_err("two runs fail").to_string();
            assert!(err.contains("run 37 failed"), "{err}");
            let started = trace.started();
            assert!(started.last().is_some_and(|&i| i <= 38), "{started:?}");
            assert_eq!(trace.committed(), (0..37).collect::<Vec<_>>());
        }
    }

    #[test]
    fn one_worker_stops_at_the_failed_run() {
        let (result, trace) = run(
            1,
            100,
            |i| (i == 5).then_some(("run 5 failed", Duration::ZERO)),
            |_| false,
        );
        let err = result.expect_err("run 5 fails").to_string();
        assert!(err.contains("run 5 failed"), "{err}");
        assert_eq!(trace.started(), (0..=5).collect::<Vec<_>>());
        assert_eq!(trace.batches, [vec![0, 1, 2, 3], vec![4]]);
    }

    /// A failed commit is reported, before a failed run, and nothing is
    /// committed after it.
    #[test]
    fn a_failed_commit_stops_the_search_and_is_reported() {
        for threads in [1, 2] {
            let (result, trace) = run(threads, 400, |_| None, |k| k == 3);
            let err = result.expect_err("the third commit fails").to_string();
            assert!(err.contains("disk full"), "{err}");
            assert_eq!(trace.batches.len(), 3, "no commit after the failed one");
            let mut committed = trace.committed();
            committed.dedup();
            assert_eq!(committed.len(), 12, "three batches of 4 runs each");

            let (result, trace) = run(
                threads,
                400,
                |i| (i == 2).then_some(("run 2 failed", Duration::ZERO)),
                |_| true,
            );
            let err = result.expect_err("a run and a commit fail").to_string();
            assert!(err.contains("disk full"), "{err}");
            assert_eq!(trace.batches.len(), 1, "{:?}", trace.batches);
        }
    }
}
