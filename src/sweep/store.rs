//! A sweep's output folder, running the runs into it, and merging shards.
//!
//! ```text
//! DIR/sweep.json        manifest: name, fingerprint, run count, shard, parameter columns
//! DIR/runs/runs.jsonl   the run log: one line per finished run, its identity, parameters and summary
//! DIR/runs.csv          one row per run of the folder's sweep or shard, in sweep order
//! DIR/aggregate.csv     one row per combination (whole sweeps only, not shards)
//! ```
//!
//! Each finished run is appended to the run log (`runlog`) within moments
//! of its end: the runs that end together are appended and synced as one
//! batch (see `Committer`), and only a synced line counts, so killing a
//! sweep keeps every finished run but the last few; `resume` skips the runs
//! whose line is there and belongs to this sweep. While a sweep runs, its
//! lines go to a part of the log of its own, in the order the runs end;
//! when it finishes, the log is written again whole in run order, so the
//! folder is the same whatever the number of jobs. The tables are built
//! from the records' texts, whoever wrote them, so a fresh, resumed or
//! merged sweep gives the same bytes: the texts this process wrote are
//! parsed as they are written (the same parse as reading them back, not
//! read back) and kept reduced to the numbers the tables need
//! ([`table::Row`]), the runs skipped on `resume` are read from disk and
//! checked again. The tables and the manifest are written all-or-nothing at
//! the end: a new folder is staged beside `DIR` with them and renamed into
//! place, taking `DIR/runs/` over with one rename (`output::folder`), so a
//! folder never shows the tables of one sweep beside those of another:
//! until then a previous result's manifest and tables stay as they were (a
//! new folder gets its manifest at the start, so `merge` can tell an
//! unfinished shard). A folder holding runs of another sweep (another
//! fingerprint) is refused, never mixed. A folder is written by one process
//! at a time (a second one is refused with a message): give each shard its
//! own folder.
//!
//! Everything read back from a folder is untrusted: a manifest's counts must
//! agree (`total_runs = combinations x seeds`, at most [`MAX_RUNS`]) before
//! anything is sized by them, its `name` must be a plain name, and a run
//! record must be a run of the folder's sweep.
//!
//! A shard `K/N` owns the runs whose index modulo N is K-1 (round robin, so
//! every shard gets a similar mix of combinations, cheap and costly).

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::SweepError;
use super::runlog::{self, Appender, Line, Log, Source, RUNS_LOG};
use super::table::{self, Row, Shapes};
use super::{run_id, RunSpec, Sweep};
use crate::engine::Simulation;
use crate::output::{plain_name, write_atomic, Kind, Lock, OutputError};

/// Name of the manifest file.
pub const MANIFEST: &str = "sweep.json";
/// Folder of the run log.
pub const RUNS_DIR: &str = "runs";
/// Name of the per-run table.
pub const RUNS_CSV: &str = "runs.csv";
/// Name of the per-combination table.
pub const AGGREGATE_CSV: &str = "aggregate.csv";
/// Most runs in one sweep: a manifest claiming more is refused before
/// anything is sized by it.
pub const MAX_RUNS: usize = 1_000_000;

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
    /// Skip runs already in the folder's run log.
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
    /// Runs skipped because the run log had them (`resume`).
    pub skipped: usize,
    /// Runs simulated by this call.
    pub ran: usize,
    /// Files written (tables and manifest; not the run log).
    pub files: Vec<PathBuf>,
}

/// `sweep.json`: what the folder holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// The scenario's `[slo] confidence` when it has objectives: the
    /// confidence of the share-of-seeds intervals of `aggregate.csv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo_confidence: Option<f64>,
}

impl Manifest {
    /// Checks a manifest read from `path`: a plain name, counts that agree
    /// and are within [`MAX_RUNS`], a valid shard.
    pub fn check(&self, path: &Path) -> Result<(), SweepError> {
        let bad = |m: String| SweepError::folder(path, format!("{m}; not a manifest ecsim wrote"));
        plain_name(&self.name).map_err(|m| bad(format!("name: {m}")))?;
        let product = self.combinations.checked_mul(self.seeds as usize);
        if product != Some(self.total_runs) {
            return Err(bad(format!(
                "total_runs is {} but combinations x seeds is {} x {}",
                self.total_runs, self.combinations, self.seeds
            )));
        }
        if self.total_runs > MAX_RUNS {
            return Err(bad(format!(
                "total_runs is {}, more than the {MAX_RUNS} runs a sweep may have",
                self.total_runs
            )));
        }
        self.shard(path)?;
        Ok(())
    }

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

/// One finished run: a line of the run log (`runs/runs.jsonl`).
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

/// The `[slo] confidence` when a manifest has none.
const DEFAULT_CONFIDENCE: f64 = 0.95;

fn manifest_of(sweep: &Sweep, shard: Option<Shard>) -> Manifest {
    Manifest {
        name: sweep.def.name.clone(),
        sweep: sweep.fingerprint.clone(),
        total_runs: sweep.total_runs(),
        combinations: sweep.combinations.len(),
        seeds: sweep.def.seeds,
        shard: shard.map(|s| s.to_string()),
        parameters: sweep.parameters.clone(),
        slo_confidence: sweep
            .combinations
            .first()
            .map(|c| &c.spec.slo)
            .filter(|slo| !slo.objectives.is_empty())
            .map(|slo| slo.confidence),
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

/// Parses the text of a run record (`path` names where it is from in an
/// error).
fn parse_run(text: &str, path: &Path) -> Result<RunRecord, SweepError> {
    serde_json::from_str(text)
        .map_err(|e| SweepError::folder(path, format!("not a run record ({e})")))
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

/// Reads `DIR/sweep.json`, if there, and checks it ([`Manifest::check`]).
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>, SweepError> {
    let path = dir.join(MANIFEST);
    if !path.exists() {
        return Ok(None);
    }
    let m: Manifest = read_json(&path, "a sweep manifest")?;
    m.check(&path)?;
    Ok(Some(m))
}

/// Reads `dir`'s run log (removing temporary files a killed run left) and
/// checks that it holds no run of another sweep. Tables and a manifest of
/// another sweep with no run beside them are simply replaced: nothing would
/// be mixed.
fn read_folder(dir: &Path, fingerprint: &str) -> Result<Log, SweepError> {
    Log::read(&dir.join(RUNS_DIR), true, |log, at, rec| {
        if rec.sweep == fingerprint {
            Ok(())
        } else {
            Err(other_sweep(dir, fingerprint, log, at, &rec))
        }
    })
}

/// Writes the manifest and the tables into the staging folder `stage` and
/// returns the names written. A shard's runs are not a whole combination's:
/// no aggregate for a shard.
fn write_tables(
    stage: &Path,
    manifest: &Manifest,
    rows: &[Row],
    shapes: &Shapes,
) -> Result<Vec<&'static str>, SweepError> {
    // The rows read on the sweep's threads, in parts.
    let layout = table::MetricLayout::of(rows, shapes);
    let width = layout.width().max(1);
    let mut values = vec![0.0; layout.width() * rows.len()];
    const PART: usize = 64;
    (values.par_chunks_mut(width * PART))
        .zip(rows.par_chunks(PART))
        .for_each(|(values, rows)| layout.fill(rows, values));
    let metrics = layout.metrics(values);
    let params = &manifest.parameters;
    let (runs, aggregate) = rayon::join(
        || {
            // In parts too: the lines of consecutive parts are the file's.
            let parts: Vec<String> = (rows.par_chunks(PART).enumerate())
                .map(|(k, part)| table::runs_csv_rows(params, part, &metrics, k * PART))
                .collect();
            let mut text = table::runs_csv_head(params, &metrics);
            text.reserve(parts.iter().map(String::len).sum());
            parts.iter().for_each(|p| text.push_str(p));
            text
        },
        || {
            manifest.shard.is_none().then(|| {
                let confidence = manifest.slo_confidence.unwrap_or(DEFAULT_CONFIDENCE);
                table::aggregate_csv_of(params, rows, &metrics, confidence)
            })
        },
    );
    let mut files = vec![
        (MANIFEST, to_json(manifest, &stage.join(MANIFEST))?),
        (RUNS_CSV, runs),
    ];
    if let Some(aggregate) = aggregate {
        files.push((AGGREGATE_CSV, aggregate));
    }
    let mut new = NewFiles::new(stage);
    let mut names = Vec::new();
    for (name, text) in files {
        new.write(&stage.join(name), text.as_bytes())?;
        names.push(name);
    }
    new.sync()?;
    Ok(names)
}

/// New files in one folder of a [`Staging`](crate::output::Staging) result,
/// each created exclusively (never through a planted link) and all made
/// durable by one [`NewFiles::sync`] before the folder is renamed into
/// place: one flush for the lot instead of one per file.
struct NewFiles<'a> {
    dir: &'a Path,
}

impl<'a> NewFiles<'a> {
    fn new(dir: &'a Path) -> NewFiles<'a> {
        NewFiles { dir }
    }

    /// Writes `path` (in the folder), not yet synced on Linux.
    fn write(&mut self, path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
        let io = |source| OutputError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        if cfg!(not(target_os = "linux")) {
            f.sync_all().map_err(io)?;
        }
        Ok(())
    }

    /// Makes every file written durable.
    fn sync(self) -> Result<(), OutputError> {
        #[cfg(target_os = "linux")]
        {
            let io = |source| OutputError::Io {
                path: self.dir.to_path_buf(),
                source,
            };
            let dir = File::open(self.dir).map_err(io)?;
            syncfs(&dir).map_err(io)?;
        }
        Ok(())
    }
}

/// Flushes the whole file system holding `file` to disk (Linux `syncfs`).
#[cfg(target_os = "linux")]
fn syncfs(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: syncfs only reads the descriptor, which `file` keeps open.
    if unsafe { libc::syncfs(file.as_raw_fd()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// A finished run on its way to the run log: its record's text (one
/// line) and the text reduced to its row, kept for the tables once the line
/// is synced.
struct Finished<'a> {
    run: &'a RunSpec,
    text: String,
    row: Row,
}

/// Appends finished runs to the run log, a batch at a time.
///
/// What a sweep promises: a run's line counts once it is synced, whole,
/// even after a crash of the machine, so `--resume` may trust it; a run
/// whose line was not synced is simply run again. Syncing each run on its
/// own cost one journal commit per run, which dominated short runs and made
/// the workers wait for one another. The committer, a thread of its own,
/// takes every run finished since its last batch and appends the batch's
/// lines in one write and one `fdatasync` (`runlog::Appender`), then reports
/// them done. While it syncs, the workers keep running, and the next batch
/// collects whatever they finish meanwhile: batches grow as syncs get
/// slower. A batch also gathers for [`GATHER`] after its first run: on runs
/// of a millisecond, syncs of a few lines each cost a disk flush,
/// interrupts and the flusher's work every few runs, on the cores the
/// workers need. A finished run waits at most about `GATHER` and two syncs
/// for its line to count (the last batch none: it goes as soon as the
/// workers are done). Killed at any point, the log holds whole lines of
/// finished runs and at most one line cut short at the end of the part,
/// which readers skip (that run is run again).
struct Committer<'p> {
    progress: &'p (dyn Fn(Progress) + Sync),
    failed: AtomicBool,
}

/// How long a batch of finished runs gathers after its first run before it
/// is appended (see [`Committer`]).
const GATHER: std::time::Duration = std::time::Duration::from_millis(25);

/// Appends `(run index, line)` pairs to the run log and syncs them.
type Append<'a> = dyn Fn(&[(usize, &str)]) -> Result<(), SweepError> + 'a;

impl<'p> Committer<'p> {
    fn new(progress: &'p (dyn Fn(Progress) + Sync)) -> Committer<'p> {
        Committer {
            progress,
            failed: AtomicBool::new(false),
        }
    }

    /// Whether a batch failed (workers then stop starting runs).
    fn failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }

    /// Appends batches with `append` until every worker has hung up;
    /// returns the rows of the runs appended, by run index.
    fn run(
        &self,
        rx: Receiver<Finished>,
        append: &Append,
    ) -> Result<Vec<(usize, Row)>, SweepError> {
        let mut done = Vec::new();
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            // Gathers without waking at each run (a worker's send wakes a
            // receiver only while it waits in `recv`): parked until the time
            // is up or the workers are done (`run` unparks this thread).
            let until = std::time::Instant::now() + GATHER;
            loop {
                let left = until.saturating_duration_since(std::time::Instant::now());
                if !left.is_zero() {
                    std::thread::park_timeout(left);
                }
                let over = loop {
                    match rx.try_recv() {
                        Ok(f) => batch.push(f),
                        Err(TryRecvError::Empty) => break false,
                        Err(TryRecvError::Disconnected) => break true,
                    }
                };
                if over || left.is_zero() {
                    break;
                }
            }
            let lines: Vec<(usize, &str)> = (batch.iter())
                .map(|f| (f.run.index, f.text.as_str()))
                .collect();
            if let Err(e) = append(&lines) {
                self.failed.store(true, Ordering::SeqCst);
                // Drained so that no worker waits on a full channel.
                rx.iter().for_each(drop);
                return Err(e);
            }
            for f in batch {
                (self.progress)(Progress::Done(f.run));
                done.push((f.run.index, f.row));
            }
        }
        Ok(done)
    }
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
    /// A run's line has been appended to the run log and synced (called
    /// from the thread that appends, not the caller's).
    Done(&'a RunSpec),
}

/// Runs `sweep` (or the shard `opts.shard` of it) into `dir`, telling
/// `progress` when it starts and as each run is stored: [`open`], every
/// run to do simulated by [`run_record`] on `opts.jobs` threads and
/// appended to the run log, then [`Session::finish`].
pub fn run(
    sweep: &Sweep,
    dir: &Path,
    opts: &Options,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Report, SweepError> {
    let session = open(sweep, dir, opts)?;
    let todo = session.todo();
    progress(Progress::Start {
        to_run: todo.len(),
        skipped: session.skipped(),
    });

    // No more threads than runs to do.
    let jobs = if opts.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.jobs
    }
    .min(todo.len())
    .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| SweepError::folder(dir, format!("cannot start {jobs} worker threads: {e}")))?;
    // Workers simulate each run and hand its record's text to the
    // committer, which appends finished runs to the log in batches (see
    // [`Committer`]).
    let committer = Committer::new(progress);
    let append = |lines: &[(usize, &str)]| session.append(lines);
    let (worked, committed) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel::<Finished>();
        let commits = scope.spawn(|| committer.run(rx, &append));
        // Each worker takes the next run not yet taken, one at a time, so
        // that none sits idle while another still has a queue of runs: with
        // runs of a millisecond, splitting the list into stretches left one
        // thread finishing a stretch of a hundred runs alone at the end.
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let worked = pool.broadcast(|_| -> Result<(), (usize, SweepError)> {
            let tx = tx.clone();
            // Once the committer fails, its error is the one reported.
            while !stop.load(Ordering::Relaxed) && !committer.failed() {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(r) = todo.get(i) else { break };
                match simulate(sweep, &session, r) {
                    // A closed channel means the committer stopped on an
                    // error, which is reported by `run`.
                    Ok(f) => drop(tx.send(f)),
                    Err(e) => {
                        stop.store(true, Ordering::Relaxed);
                        return Err((i, e));
                    }
                }
            }
            Ok(())
        });
        drop(tx);
        // Every worker is done: the last batch goes now.
        commits.thread().unpark();
        (worked, commits.join())
    });
    let done = match committed {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => return Err(e),
        Err(panic) => std::panic::resume_unwind(panic),
    };
    // Of several failed runs, the first in sweep order is reported.
    if let Some((_, e)) = (worked.into_iter().filter_map(Result::err)).min_by_key(|&(i, _)| i) {
        return Err(e);
    }
    session.keep(done);
    // The tables are built on the sweep's threads too.
    pool.install(|| session.finish())
}

/// Simulates run `r` of `sweep`: its record's text and its row.
fn simulate<'a>(
    sweep: &Sweep,
    session: &Session,
    r: &'a RunSpec,
) -> Result<Finished<'a>, SweepError> {
    let rec = simulate_record(sweep, r)?;
    let text = record_line(&rec)?;
    // Reduced to its row here: the tables need not read the line back.
    // The record is the one its line reads back as (the summary's numbers
    // are written to round-trip, and its maps keep their order), without
    // parsing it again: a summary of a large cluster is tens of thousands
    // of small allocations.
    let row = session.shapes.row(rec);
    Ok(Finished { run: r, text, row })
}

/// Simulates run `r` of `sweep` and returns the text of its run record (a
/// line of the run log, without its newline), the same bytes wherever it
/// is computed.
pub fn run_record(sweep: &Sweep, r: &RunSpec) -> Result<String, SweepError> {
    record_line(&simulate_record(sweep, r)?)
}

/// The run log's line of `rec` (an error names the log it was meant for).
fn record_line(rec: &RunRecord) -> Result<String, SweepError> {
    runlog::encode(rec, &Path::new(RUNS_DIR).join(RUNS_LOG))
}

/// Simulates run `r` of `sweep` and returns its run record.
fn simulate_record(sweep: &Sweep, r: &RunSpec) -> Result<RunRecord, SweepError> {
    let spec = &sweep.combinations[r.combination].spec;
    // A run record keeps the summary only.
    let mut sim = Simulation::new(spec, r.seed);
    sim.without_task_records();
    let result = sim.run();
    let path = Path::new(RUNS_DIR).join(RUNS_LOG);
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
    Ok(rec)
}

/// A sweep (or shard) open in its folder, its lock held: the runs still to
/// do are known, their records are appended to the run log as they come
/// ([`Session::store`], from any thread or process that computed them with
/// [`run_record`]), and [`Session::finish`] writes the log whole and the
/// tables. [`run`] is one such session on local threads; other executors
/// (a cluster) drive one the same way.
#[derive(Debug)]
pub struct Session {
    lock: Lock,
    dir: PathBuf,
    fingerprint: String,
    manifest: Manifest,
    selected: Vec<RunSpec>,
    todo: Vec<RunSpec>,
    /// The parameters of each run to do, by run index.
    expected: BTreeMap<usize, Map<String, Value>>,
    /// The run log as found when the session opened.
    log: Log,
    /// This session's part of the log, and the rows of the runs it
    /// appended, by run index in the order appended: the tables are built
    /// from these without reading the lines back.
    written: Mutex<Written>,
    /// The shapes of the summaries of the rows.
    shapes: Shapes,
}

#[derive(Debug)]
struct Written {
    appender: Appender,
    rows: Vec<(usize, Row)>,
}

/// Opens `dir` for `sweep` (or the shard `opts.shard` of it): takes the
/// folder's lock, refuses runs of another sweep, marks a new folder as this
/// sweep's, and, with `opts.resume`, skips the runs the run log has
/// (checking that each is the run of this sweep it says).
pub fn open(sweep: &Sweep, dir: &Path, opts: &Options) -> Result<Session, SweepError> {
    if sweep.total_runs() > MAX_RUNS {
        return Err(SweepError::folder(
            dir,
            format!(
                "the sweep has {} runs, more than the {MAX_RUNS} a sweep may have; split it",
                sweep.total_runs()
            ),
        ));
    }
    let lock = Lock::acquire(dir)?;
    let runs_dir = dir.join(RUNS_DIR);
    std::fs::create_dir_all(&runs_dir).map_err(SweepError::io(&runs_dir))?;
    let runs = sweep.runs();
    let log = Log::read(&runs_dir, true, |log, at, rec| {
        if rec.sweep != sweep.fingerprint {
            return Err(other_sweep(dir, &sweep.fingerprint, log, at, &rec));
        }
        let Some(r) = runs.get(rec.run_index) else {
            return Err(log.error(
                at,
                format!(
                    "run index {} is not a run of this sweep ({} runs); remove it",
                    rec.run_index,
                    runs.len()
                ),
            ));
        };
        if opts.resume
            && (rec.run_id != r.id
                || rec.seed != r.seed
                || rec.combination != r.combination
                || rec.seed_index != r.seed_index
                || rec.parameters != parameters_of(sweep, r))
        {
            return Err(log.error(
                at,
                format!(
                    "does not match run {} of this sweep (seed or parameters differ); remove it",
                    r.id
                ),
            ));
        }
        Ok(())
    })?;
    let manifest = manifest_of(sweep, opts.shard);
    // A new folder is marked as this sweep's from the start (so that
    // `merge` can tell an unfinished shard); a previous result's manifest
    // and tables stay whole until the new ones replace them at the end.
    if !matches!(read_manifest(dir), Ok(Some(_))) {
        let path = dir.join(MANIFEST);
        write_atomic(&path, to_json(&manifest, &path)?.as_bytes())?;
    }

    let selected: Vec<RunSpec> = runs
        .into_iter()
        .filter(|r| opts.shard.is_none_or(|s| s.contains(r.index)))
        .collect();
    let todo: Vec<RunSpec> = (selected.iter())
        .filter(|r| !(opts.resume && log.runs().contains_key(&r.index)))
        .cloned()
        .collect();
    let expected = todo
        .iter()
        .map(|r| (r.index, parameters_of(sweep, r)))
        .collect();
    let appender = Appender::new(&runs_dir, &log);
    Ok(Session {
        lock,
        dir: dir.to_path_buf(),
        fingerprint: sweep.fingerprint.clone(),
        manifest,
        selected,
        todo,
        expected,
        log,
        written: Mutex::new(Written {
            appender,
            rows: Vec::new(),
        }),
        shapes: Shapes::default(),
    })
}

/// The error for a record of another sweep at `at` of `dir`'s log.
fn other_sweep(dir: &Path, fingerprint: &str, log: &Log, at: Line, rec: &RunRecord) -> SweepError {
    let which = match read_manifest(dir) {
        Ok(Some(m)) if m.sweep == rec.sweep => format!("`{}`, ", m.name),
        _ => String::new(),
    };
    log.error(
        at,
        format!(
            "holds results of another sweep ({which}fingerprint {}; this one is {fingerprint}); \
             choose another --out or remove the folder",
            rec.sweep
        ),
    )
}

impl Session {
    /// The runs to simulate, in sweep order.
    pub fn todo(&self) -> &[RunSpec] {
        &self.todo
    }

    /// Runs skipped because the run log had them (`resume`).
    pub fn skipped(&self) -> usize {
        self.selected.len() - self.todo.len()
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder of the run log.
    fn runs_dir(&self) -> PathBuf {
        self.dir.join(RUNS_DIR)
    }

    fn written(&self) -> std::sync::MutexGuard<'_, Written> {
        self.written.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends lines to this session's part of the run log and syncs them.
    fn append(&self, lines: &[(usize, &str)]) -> Result<(), SweepError> {
        self.written().appender.append(lines)
    }

    /// Stores the text of a run record computed elsewhere ([`run_record`]):
    /// checks that it is a run this session has to do, of this sweep, with
    /// its seed and parameters, and appends it to the run log, synced.
    /// Returns the run.
    pub fn store(&self, text: &str) -> Result<&RunSpec, SweepError> {
        Ok(self.store_many(&[text])?[0])
    }

    /// Stores several run records' texts as [`Session::store`] does, with
    /// one write and one sync for them all; nothing is stored unless every
    /// one is a run to do. Returns the runs in the order given.
    pub fn store_many(&self, texts: &[&str]) -> Result<Vec<&RunSpec>, SweepError> {
        let here = self.runs_dir();
        let mut checked = Vec::with_capacity(texts.len());
        for text in texts {
            let rec = parse_run(text, &here)?;
            let r = self
                .todo
                .binary_search_by_key(&rec.run_index, |r| r.index)
                .ok()
                .map(|i| &self.todo[i])
                .filter(|r| {
                    rec.sweep == self.fingerprint
                        && rec.run_id == r.id
                        && rec.seed == r.seed
                        && rec.combination == r.combination
                        && rec.seed_index == r.seed_index
                        && self.expected.get(&r.index) == Some(&rec.parameters)
                })
                .ok_or_else(|| {
                    SweepError::folder(
                        &here,
                        format!(
                            "run record for {} (index {}, sweep {}) is not a run this sweep ({}) has to do",
                            rec.run_id, rec.run_index, rec.sweep, self.fingerprint
                        ),
                    )
                })?;
            // One line, whatever the layout of the text given.
            let line = runlog::encode(&rec, &here)?;
            checked.push((r, line, rec));
        }
        let lines: Vec<(usize, &str)> = (checked.iter())
            .map(|(r, line, _)| (r.index, line.as_str()))
            .collect();
        // Appended and kept under one lock: the last row kept of a run is
        // that of its last line.
        let mut written = self.written();
        written.appender.append(&lines)?;
        let runs = checked.iter().map(|(r, _, _)| *r).collect();
        (written.rows).extend(
            checked
                .into_iter()
                .map(|(r, _, rec)| (r.index, self.shapes.row(rec))),
        );
        Ok(runs)
    }

    /// Keeps the rows of runs this session appended.
    fn keep(&self, rows: Vec<(usize, Row)>) {
        self.written().rows.extend(rows);
    }

    /// Writes the run log whole in run order, and the tables and the
    /// manifest from the run records, all-or-nothing; fails (naming the
    /// runs) when a run is missing.
    pub fn finish(self) -> Result<Report, SweepError> {
        let runs_dir = self.runs_dir();
        let written = self.written.into_inner().unwrap_or_else(|e| e.into_inner());
        // The rows of the runs this session appended, the last of each.
        let mut in_memory: BTreeMap<usize, Row> = written.rows.into_iter().collect();
        let appended: Vec<usize> = written.appender.runs().collect();
        let missing: Vec<usize> = (self.todo.iter())
            .map(|r| r.index)
            .filter(|i| !in_memory.contains_key(i) && !self.log.runs().contains_key(i))
            .collect();
        if !missing.is_empty() {
            return Err(SweepError::folder(
                &self.dir,
                format!(
                    "runs {} are not in the run log yet; complete the sweep with --resume",
                    list_ids(self.manifest.total_runs, &missing)
                ),
            ));
        }
        // The tables come from the records' texts, whoever wrote them, so a
        // fresh, resumed or merged sweep gives the same bytes: the texts this
        // session appended, parsed when written, the others read back.
        let from_log: Vec<(usize, Line)> = (self.selected.iter())
            .filter(|r| !in_memory.contains_key(&r.index))
            .filter_map(|r| self.log.runs().get(&r.index).map(|&at| (r.index, at)))
            .collect();
        let ats: Vec<Line> = from_log.iter().map(|(_, at)| *at).collect();
        let texts = self.log.texts(&ats)?;
        // Parsed on the caller's threads (the sweep's workers); the first
        // bad line in sweep order is the one reported.
        let read: Vec<Result<(usize, Row), SweepError>> = (from_log.par_iter().zip(&texts))
            .map(|(&(i, at), text)| {
                let changed = |why: String| {
                    self.log.error(
                        at,
                        format!(
                            "was changed while the sweep ran (another process writing the \
                             same folder?): {why}"
                        ),
                    )
                };
                let rec: RunRecord = serde_json::from_str(text)
                    .map_err(|e| changed(format!("not a run record ({e})")))?;
                if rec.sweep != self.fingerprint || rec.run_index != i {
                    return Err(changed(format!("it holds run {} now", rec.run_id)));
                }
                Ok((i, self.shapes.row(rec)))
            })
            .collect();
        drop(texts);
        for r in read {
            let (i, row) = r?;
            in_memory.insert(i, row);
        }
        let rows: Vec<Row> = (self.selected.iter())
            .filter_map(|r| in_memory.remove(&r.index))
            .collect();
        // The log written whole, in run order: every run of the folder (a
        // shard's folder may hold others), the latest line of each.
        let mut sources: BTreeMap<usize, Source> = (self.log.runs().iter())
            .map(|(&i, &at)| (i, Source::Read(&self.log, at)))
            .collect();
        for i in appended {
            sources.insert(i, Source::Appended(&written.appender, i));
        }
        // The staged folder gets the tables only: the run log is in
        // `DIR/runs/` already, and the swap moves that folder over whole.
        // The log is written (mostly waiting on the disk) while the tables
        // are computed; the swap waits for both.
        let stage = self.lock.stage(Kind::Sweep)?;
        let (rewritten, names) = rayon::join(
            || {
                runlog::rewrite(
                    &runs_dir,
                    sources.into_values(),
                    &self.log,
                    Some(&written.appender),
                )
            },
            || {
                write_tables(stage.path(), &self.manifest, &rows, &self.shapes).map_err(|e| match e
                {
                    SweepError::Output(e) => SweepError::Output(stage.explain(e)),
                    e => e,
                })
            },
        );
        rewritten?;
        let names = names?;
        stage.commit()?;
        drop_aside(rows);
        Ok(Report {
            dir: self.dir.clone(),
            total_runs: self.manifest.total_runs,
            selected: self.selected.len(),
            skipped: self.selected.len() - self.todo.len(),
            ran: self.todo.len(),
            files: names.into_iter().map(|n| self.dir.join(n)).collect(),
        })
    }
}

/// The manifest of the sweep folder `dir` and the records of the runs it
/// holds for its sweep or shard, in run order; fails when one is missing
/// (an unfinished sweep) or is not the run it should be.
pub fn read_records(dir: &Path) -> Result<(Manifest, Vec<RunRecord>), SweepError> {
    let manifest = read_manifest(dir)?.ok_or_else(|| {
        SweepError::folder(
            dir.join(MANIFEST),
            "missing: not the output folder of `ecsim sweep`",
        )
    })?;
    let shard = manifest.shard(&dir.join(MANIFEST))?;
    let total = manifest.total_runs;
    let mut records: Vec<Option<RunRecord>> = vec![None; total];
    Log::read(&dir.join(RUNS_DIR), false, |log, at, rec| {
        let i = rec.run_index;
        if rec.sweep != manifest.sweep || i >= total || rec.run_id != run_id(i, total) {
            return Err(log.error(
                at,
                format!("is not run {} of sweep {}", rec.run_id, manifest.sweep),
            ));
        }
        if shard.is_none_or(|s| s.contains(i)) {
            records[i] = Some(rec);
        }
        Ok(())
    })?;
    let owned = manifest.owns(shard);
    let missing: Vec<usize> = (owned.iter().copied())
        .filter(|&i| records[i].is_none())
        .collect();
    if !missing.is_empty() {
        return Err(SweepError::folder(
            dir,
            format!(
                "runs {} are not in the run log; complete the sweep with `ecsim sweep ... --resume`",
                list_ids(total, &missing)
            ),
        ));
    }
    let records = owned
        .into_iter()
        .filter_map(|i| records[i].take())
        .collect();
    Ok((manifest, records))
}

/// Drops `rows` on a thread of its own: a row is a few allocations, and
/// a sweep may have a hundred thousand. The caller goes on meanwhile (a
/// command that ends exits without waiting, and the system takes the memory
/// back at once); where no thread can be started, they are dropped here.
fn drop_aside(rows: Vec<Row>) {
    let _ = std::thread::Builder::new()
        .name("ecsim-free".into())
        .spawn(move || drop(rows));
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
    let lock = Lock::acquire(out)?;
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
            // At most 10 named: N comes from a file and may be huge.
            let mut missing: Vec<String> = (1..=n)
                .filter(|&k| !shards.iter().flatten().any(|s| s.k == k && s.n == n))
                .map(|k| format!("{k}/{n}"))
                .take(11)
                .collect();
            if missing.len() > 10 {
                missing[10] = "...".into();
            }
            if !missing.is_empty() {
                message.push_str(&format!("; missing shards: {}", missing.join(", ")));
            }
        }
        return Err(SweepError::folder(first_dir, message));
    }

    // Each folder's log, keeping the records of the runs it owns.
    let seeds = first.seeds as usize;
    let mut records: Vec<Option<RunRecord>> = vec![None; total];
    let mut logs = Vec::with_capacity(dirs.len());
    for (di, d) in dirs.iter().enumerate() {
        let log = Log::read(&d.join(RUNS_DIR), false, |log, at, rec| {
            let i = rec.run_index;
            if owner.get(i) != Some(&Some(di)) {
                // Another shard's run (or none): not this folder's to give.
                return Ok(());
            }
            if rec.sweep != first.sweep
                || rec.run_id != run_id(i, total)
                || rec.combination != i / seeds
                || rec.seed_index as usize != i % seeds
                || !rec.parameters.keys().eq(first.parameters.iter())
            {
                return Err(log.error(
                    at,
                    format!("is not run {} of sweep {}", run_id(i, total), first.sweep),
                ));
            }
            records[i] = Some(rec);
            Ok(())
        })?;
        logs.push(log);
    }
    let mut absent: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, o) in owner.iter().enumerate() {
        if records[i].is_none() {
            absent.entry(o.unwrap_or_default()).or_default().push(i);
        }
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

    // Runs of another sweep in the target are refused, not replaced.
    if out.join(RUNS_DIR).is_dir() {
        read_folder(out, &first.sweep)?;
    }
    let stage = lock.stage(Kind::Sweep)?;
    let runs_dir = stage.path().join(RUNS_DIR);
    std::fs::create_dir(&runs_dir).map_err(SweepError::io(&runs_dir))?;
    // Every run's latest line in its owner's log, in run order.
    let sources = owner.iter().enumerate().filter_map(|(i, o)| {
        let log = &logs[o.unwrap_or_default()];
        log.runs().get(&i).map(|&at| Source::Read(log, at))
    });
    runlog::write_whole(&runs_dir.join(RUNS_LOG), sources)?;
    let manifest = Manifest {
        shard: None,
        ..first.clone()
    };
    let shapes = Shapes::default();
    let rows: Vec<Row> = (records.into_par_iter())
        .flatten()
        .map(|r| shapes.row(r))
        .collect();
    let names = write_tables(stage.path(), &manifest, &rows, &shapes)?;
    stage.commit()?;
    Ok(Report {
        dir: out.to_path_buf(),
        total_runs: total,
        selected: total,
        skipped: 0,
        ran: 0,
        files: names.into_iter().map(|n| out.join(n)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn specs(n: usize) -> Vec<RunSpec> {
        (0..n)
            .map(|index| RunSpec {
                index,
                id: run_id(index, n),
                combination: 0,
                seed_index: index as u32,
                seed: 1,
            })
            .collect()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    fn row(i: usize) -> Row {
        Shapes::default().row(RunRecord {
            sweep: "s".into(),
            run_id: run_id(i, 100),
            run_index: i,
            combination: 0,
            seed_index: i as u32,
            seed: 1,
            parameters: Map::new(),
            summary: serde_json::json!({ "x": i }),
        })
    }

    /// A run's record as the sweep reduces it to its row, without parsing
    /// its line, is the record that line reads back as, number for number
    /// and kind for kind: the tables of a sweep are those of its log read
    /// back (runs of shipped sweeps with job failures, SLOs, demand and an
    /// AZ lost).
    #[test]
    fn a_record_is_what_its_line_reads_back_as() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let log = Path::new(RUNS_LOG);
        for file in [
            "scenarios/sweeps/placement-strategy.toml",
            "scenarios/sweeps/black-friday-az-loss.toml",
        ] {
            let sweep = Sweep::load(&root.join(file)).unwrap();
            let runs = sweep.runs();
            for r in runs.iter().step_by(runs.len().div_ceil(3)) {
                let rec = simulate_record(&sweep, r).unwrap();
                let text = runlog::encode(&rec, log).unwrap();
                assert_eq!(text, run_record(&sweep, r).unwrap(), "{file} {}", r.id);
                assert_eq!(parse_run(&text, log).unwrap(), rec, "{file} {}", r.id);
            }
        }
    }

    #[test]
    fn committed_runs_are_appended_synced_and_reported_once() {
        let tmp = tempfile::tempdir().unwrap();
        let runs = specs(5);
        let appender = Mutex::new(Appender::new(tmp.path(), &Log::default()));
        let part = tmp.path().join("part-0000.jsonl");
        let done = Mutex::new(Vec::new());
        let progress = |p: Progress| {
            if let Progress::Done(r) = p {
                // Reported only once its line is in the part, whole.
                let text = std::fs::read_to_string(&part).unwrap();
                assert!(text.lines().any(|l| l == r.id), "{text}");
                done.lock().unwrap().push(r.index);
            }
        };
        let committer = Committer::new(&progress);
        let append = |lines: &[(usize, &str)]| appender.lock().unwrap().append(lines);
        let (tx, rx) = std::sync::mpsc::channel();
        let rows = std::thread::scope(|s| {
            let c = s.spawn(|| committer.run(rx, &append));
            for r in &runs {
                let f = Finished {
                    run: r,
                    text: r.id.clone(),
                    row: row(r.index),
                };
                tx.send(f).unwrap();
            }
            drop(tx);
            c.join().unwrap().unwrap()
        });
        assert_eq!(*done.lock().unwrap(), vec![0, 1, 2, 3, 4]);
        let kept: Vec<usize> = rows.iter().map(|(i, _)| *i).collect();
        assert_eq!(kept, [0, 1, 2, 3, 4]);
        assert_eq!(rows[3].1, row(3));
        assert_eq!(names(tmp.path()), ["part-0000.jsonl"]);
        assert_eq!(
            std::fs::read_to_string(&part).unwrap(),
            "r0000\nr0001\nr0002\nr0003\nr0004\n"
        );
        assert!(!committer.failed());
    }

    #[test]
    fn a_failed_append_reports_nothing_more_and_stops_the_workers() {
        let runs = specs(4);
        let done = Mutex::new(Vec::new());
        let progress = |p: Progress| {
            if let Progress::Done(r) = p {
                done.lock().unwrap().push(r.index);
            }
        };
        let committer = Committer::new(&progress);
        // The first batch is stored, the second fails.
        let calls = Mutex::new(0);
        let append = |_: &[(usize, &str)]| {
            let mut n = calls.lock().unwrap();
            *n += 1;
            if *n == 1 {
                Ok(())
            } else {
                Err(SweepError::folder("runs/part-0000.jsonl", "disk full"))
            }
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let finished = |r| Finished {
            run: r,
            text: String::new(),
            row: row(0),
        };
        std::thread::scope(|s| {
            let c = s.spawn(|| committer.run(rx, &append));
            tx.send(finished(&runs[0])).unwrap();
            // The first batch goes before the others come.
            while done.lock().unwrap().is_empty() {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            for r in &runs[1..] {
                tx.send(finished(r)).unwrap();
            }
            drop(tx);
            let e = c.join().unwrap().unwrap_err().to_string();
            assert!(e.contains("disk full"), "{e}");
        });
        assert!(committer.failed(), "workers are told to stop");
        assert_eq!(*done.lock().unwrap(), vec![0]);
    }

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
