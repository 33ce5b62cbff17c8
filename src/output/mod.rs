//! Writes a run's results: `summary.json`, `timeseries.csv`, `tasks.csv`,
//! `events.csv`, `instances.csv` (deterministic for a scenario and seed) and `timing.json`
//! (wall-clock figures, which vary run to run and so live apart).
//!
//! A result folder is written all-or-nothing ([`folder`]): into a fresh
//! temporary folder beside it, renamed into place, one writer at a time, so
//! an interrupted or failed run leaves the previous result whole and never
//! a mix of two runs' files.

pub mod folder;
pub mod table;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cost::commitments::Settlement;
use crate::csvdata::CsvText;
use crate::engine::{Early, RunResult};

pub use table::{csv_text, run_tables, write_csv, Column, MadeText, RowText, Table, Values};

pub use folder::{
    check_target, default_dir, plain_name, write_atomic, write_new, write_new_with, Kind, Lock,
    Staging, RUN_FILES,
};

/// Why results could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// File-system error.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The folder cannot be written as asked (not a folder, another
    /// writer holds it, a name that is not a plain name).
    #[error("{path}: {message}")]
    Refused {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// Serialisation error.
    #[error("{path}: {message}")]
    Encode {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}

/// Wall-clock facts of a run (non-deterministic).
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    /// Wall time of the simulation, seconds.
    pub wall_time_s: f64,
    /// Events per wall second.
    pub events_per_s: f64,
}

/// `timeseries.csv`.
pub fn timeseries_csv(r: &RunResult) -> String {
    csv_text(&table::timeseries_table(r))
}

/// `tasks.csv`.
pub fn tasks_csv(r: &RunResult) -> String {
    csv_text(&table::tasks_table(r))
}

/// `instances.csv`.
pub fn instances_csv(r: &RunResult) -> String {
    csv_text(&table::instances_table(r))
}

/// `cost.csv`: the ledger per hour, owner and capacity (B4). Its amounts
/// sum to the summary's total.
pub fn cost_csv(r: &RunResult) -> String {
    csv_text(&table::cost_table(r))
}

/// `commitments.csv` (only with Reserved Instances or Savings Plans, B3):
/// per hour, one row per commitment (its fee, the on-demand usage it
/// covered, the part of the fee used and unused, its utilization), then a
/// `(total)` row with the hour's eligible on-demand usage, covered and
/// uncovered.
pub fn commitments_csv(s: &Settlement) -> String {
    let mut w = CsvText::new();
    w.row([
        "hour",
        "commitment",
        "kind",
        "on_demand_usd",
        "covered_on_demand_usd",
        "uncovered_usd",
        "fee_usd",
        "used_usd",
        "unused_usd",
        "utilization_pct",
    ]);
    let usd = |x: f64| format!("{x:.6}");
    let pct = |used: f64, fee: f64| {
        if fee > 0.0 {
            format!("{:.2}", 100.0 * used / fee)
        } else {
            String::new()
        }
    };
    let mut lines = s.lines.iter().peekable();
    for h in &s.hours {
        while let Some(l) = lines.next_if(|l| l.hour == h.hour) {
            w.row([
                l.hour.to_string(),
                l.name.clone(),
                l.kind.as_str().to_string(),
                String::new(),
                usd(l.covered_on_demand_usd),
                String::new(),
                usd(l.fee_usd),
                usd(l.used_usd),
                usd(l.unused_usd),
                pct(l.used_usd, l.fee_usd),
            ]);
        }
        w.row([
            h.hour.to_string(),
            "(total)".to_string(),
            "total".to_string(),
            usd(h.on_demand_usd),
            usd(h.covered_on_demand_usd),
            usd(h.uncovered_usd),
            usd(h.fee_usd),
            usd(h.fee_usd - h.unused_usd),
            usd(h.unused_usd),
            pct(h.fee_usd - h.unused_usd, h.fee_usd),
        ]);
    }
    w.finish()
}

/// `events.csv`.
pub fn events_csv(r: &RunResult) -> String {
    csv_text(&table::events_table(r))
}

/// `summary.json`.
pub fn summary_json(r: &RunResult) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&r.summary).map(|mut s| {
        s.push('\n');
        s
    })
}

/// Which files `ecsim run` writes (`--outputs`). Every set writes
/// `summary.json` and `timing.json`; the files a set leaves out are not in
/// the folder at all (a previous run's are removed with it, see [`folder`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Outputs {
    /// Every file (the default).
    #[default]
    All,
    /// What `ecsim plot` draws a run's charts from besides the summary:
    /// `timeseries.csv` and `cost.csv`, whose sizes grow with the simulated
    /// time, not with the number of tasks or instances. Without `tasks.csv`
    /// the tasks chart has no per-second zoom on shortfalls.
    Charts,
    /// `summary.json` only (what a sweep keeps of each run).
    Summary,
}

impl Outputs {
    /// The names `--outputs` accepts, in order.
    pub const NAMES: [&'static str; 3] = ["all", "charts", "summary"];

    /// Whether the set includes the table `name` (a [`Table::name`]).
    pub fn includes(self, name: &str) -> bool {
        match self {
            Outputs::All => true,
            Outputs::Charts => matches!(name, "timeseries" | "cost" | "commitments"),
            Outputs::Summary => false,
        }
    }

    /// The set's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outputs::All => "all",
            Outputs::Charts => "charts",
            Outputs::Summary => "summary",
        }
    }
}

impl std::str::FromStr for Outputs {
    type Err = String;

    fn from_str(s: &str) -> Result<Outputs, String> {
        match s {
            "all" => Ok(Outputs::All),
            "charts" => Ok(Outputs::Charts),
            "summary" => Ok(Outputs::Summary),
            _ => Err(format!(
                "`{}` is not an output set: expected one of {}",
                s.escape_debug(),
                Outputs::NAMES.join(", ")
            )),
        }
    }
}

/// The CSV files of a run, in the order of [`run_tables`].
pub const TABLE_FILES: [&str; 5] = [
    "timeseries.csv",
    "tasks.csv",
    "events.csv",
    "instances.csv",
    "cost.csv",
];

/// Writes a run's result folder `dir` all-or-nothing (see [`folder`]):
/// takes its lock, writes every file into a temporary folder and renames it
/// into place. Returns the paths of the files written.
pub fn write_run(
    dir: &Path,
    r: &RunResult,
    timing: Option<&Timing>,
) -> Result<Vec<PathBuf>, OutputError> {
    let lock = Lock::acquire(dir)?;
    let staging = lock.stage(Kind::Run)?;
    let names = write_run_files(staging.path(), r, timing)?;
    staging.commit()?;
    Ok(names.into_iter().map(|n| dir.join(n)).collect())
}

/// Writes every result file of a run into the existing folder `dir` (a
/// [`Staging`] folder) and returns their names. Each file is streamed to
/// disk as it is made from its table, which shares the result's columns
/// and is dropped once written, so no file is ever held in memory whole.
/// The files are independent: they are written on two threads (see
/// [`write_run_outputs`]); each file's bytes are the same whichever thread
/// writes it.
pub fn write_run_files(
    dir: &Path,
    r: &RunResult,
    timing: Option<&Timing>,
) -> Result<Vec<&'static str>, OutputError> {
    write_run_outputs(dir, r, timing, Outputs::All)
}

/// [`write_run_files`] for the set of files `outputs`; a table left out
/// is not built at all.
pub fn write_run_outputs(
    dir: &Path,
    r: &RunResult,
    timing: Option<&Timing>,
    outputs: Outputs,
) -> Result<Vec<&'static str>, OutputError> {
    with_writer(dir, outputs, |w| w.write_rest(r, timing)).1
}

/// Makes a run with `run` and writes its files into the existing folder
/// `dir` (a [`Staging`] folder) as [`write_run_outputs`] does, starting on
/// each part `run` hands over early (the time series, the events, the
/// tasks: see [`Early`]) while the run makes the rest of its result. `run`
/// returns the result and its timing. The files' bytes, and which failure
/// is reported, are the same as when written after the run.
pub fn write_run_outputs_as_made(
    dir: &Path,
    outputs: Outputs,
    run: impl FnOnce(&mut dyn FnMut(Early<'_>)) -> (RunResult, Timing),
) -> (RunResult, Timing, Result<Vec<&'static str>, OutputError>) {
    let ((result, timing), written) = with_writer(dir, outputs, |w| {
        let (result, timing) = run(&mut |part| w.hand_over(part));
        w.write_rest(&result, Some(&timing));
        (result, timing)
    });
    (result, timing, written)
}

/// Runs `body` with a [`RunWriter`] into `dir` whose tables two threads
/// write, this one and a helper: the helper from the first table handed to
/// it, this one once `body` is done. Every file is attempted; the outcome
/// is the first failure in the folder's order, or the names written in
/// that order. Where no thread can be started, this one writes them all.
fn with_writer<R>(
    dir: &Path,
    outputs: Outputs,
    body: impl FnOnce(&RunWriter<'_>) -> R,
) -> (R, Result<Vec<&'static str>, OutputError>) {
    /// Lets the helper go however `body` ends (it stops once no table
    /// waits), so that the scope's join never waits forever.
    struct Close<'w, 'd>(&'w RunWriter<'d>);
    impl Drop for Close<'_, '_> {
        fn drop(&mut self) {
            self.0.close();
        }
    }
    let writer = RunWriter::new(dir, outputs);
    let value = std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("ecsim-write".into())
            .spawn_scoped(scope, || writer.work())
            .ok();
        let close = Close(&writer);
        let value = body(&writer);
        drop(close);
        writer.work();
        if let Some(h) = helper {
            h.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        value
    });
    (value, writer.outcome())
}

/// A run's files on their way to a folder: tables wait in a queue that two
/// threads take from, the usually largest first (the time series, the
/// tasks, the events); the small files are written by the caller. No table
/// holds a string per row of the run (the events' messages are made as
/// they are written), so the second thread needs little memory of its own.
struct RunWriter<'d> {
    dir: &'d Path,
    outputs: Outputs,
    queue: std::sync::Mutex<WriteQueue>,
    wake: std::sync::Condvar,
}

/// The shared part of a [`RunWriter`]. A file's place is its position in
/// the folder's order: `summary.json`, the tables in [`TABLE_FILES`]
/// order, `commitments.csv`, `timing.json`.
#[derive(Default)]
struct WriteQueue {
    /// Tables to write, with their places.
    waiting: Vec<(usize, Table)>,
    /// Each file's outcome, with its place.
    done: Vec<(usize, Result<&'static str, OutputError>)>,
    /// Tables queued so far (not built again at the end).
    queued: Vec<&'static str>,
    /// No table will be queued any more.
    closed: bool,
}

/// Places of the files around the tables (see [`WriteQueue`]).
const SUMMARY_PLACE: usize = 0;
const COMMITMENTS_PLACE: usize = TABLE_FILES.len() + 1;
const TIMING_PLACE: usize = TABLE_FILES.len() + 2;

impl<'d> RunWriter<'d> {
    fn new(dir: &'d Path, outputs: Outputs) -> RunWriter<'d> {
        RunWriter {
            dir,
            outputs,
            queue: std::sync::Mutex::new(WriteQueue::default()),
            wake: std::sync::Condvar::new(),
        }
    }

    /// The queue; a thread that panicked while holding it left it whole
    /// (every change is one push or one flag).
    fn lock(&self) -> std::sync::MutexGuard<'_, WriteQueue> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn wants(&self, file: &str) -> bool {
        self.outputs.includes(file.trim_end_matches(".csv"))
    }

    /// Queues `table` if its file is wanted and not queued already.
    fn queue_table(&self, name: &'static str, build: impl FnOnce() -> Table) {
        if !self.wants(name) || self.lock().queued.contains(&name) {
            return;
        }
        let table = build();
        debug_assert_eq!(table.file_name(), name);
        let place = 1 + TABLE_FILES.iter().position(|&n| n == name).unwrap_or(0);
        let mut q = self.lock();
        q.queued.push(name);
        q.waiting.push((place, table));
        drop(q);
        self.wake.notify_one();
    }

    /// Queues the tables of a part of the result made before the rest.
    fn hand_over(&self, part: Early<'_>) {
        match part {
            Early::Series {
                columns,
                timeseries,
                events,
            } => {
                self.queue_table("timeseries.csv", || {
                    table::timeseries_table_of(columns, timeseries)
                });
                self.queue_table("events.csv", || table::events_table_of(events));
            }
            Early::Tasks(tasks) => self.queue_table("tasks.csv", || table::tasks_table_of(tasks)),
        }
    }

    /// Queues the tables not queued yet and writes the other files of `r`
    /// on this thread.
    fn write_rest(&self, r: &RunResult, timing: Option<&Timing>) {
        for (&build, name) in table::RUN_TABLES.iter().zip(TABLE_FILES) {
            self.queue_table(name, || build(r));
        }
        let dir = self.dir;
        let mut written = vec![(
            SUMMARY_PLACE,
            write_json(&dir.join("summary.json"), &r.summary).map(|()| "summary.json"),
        )];
        if let (Some(s), true) = (&r.commitments, self.wants("commitments")) {
            let bytes = commitments_csv(s);
            written.push((
                COMMITMENTS_PLACE,
                write_new(&dir.join("commitments.csv"), bytes.as_bytes())
                    .map(|()| "commitments.csv"),
            ));
        }
        if let Some(t) = timing {
            written.push((
                TIMING_PLACE,
                write_json(&dir.join("timing.json"), t).map(|()| "timing.json"),
            ));
        }
        self.lock().done.extend(written);
    }

    /// Lets threads waiting for tables go once none is left.
    fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_all();
    }

    /// Writes waiting tables, the lowest place first, until none is left
    /// and none will come.
    fn work(&self) {
        loop {
            let (place, table) = {
                let mut q = self.lock();
                loop {
                    let first = (q.waiting.iter().enumerate())
                        .min_by_key(|(_, (place, _))| *place)
                        .map(|(i, _)| i);
                    if let Some(i) = first {
                        break q.waiting.swap_remove(i);
                    }
                    if q.closed {
                        return;
                    }
                    q = self
                        .wake
                        .wait(q)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
            };
            let name = TABLE_FILES[place - 1];
            let result =
                write_new_with(&self.dir.join(name), |w| write_csv(&table, w)).map(|()| name);
            drop(table);
            self.lock().done.push((place, result));
        }
    }

    /// The names written in the folder's order, or the first failure in
    /// that order.
    fn outcome(self) -> Result<Vec<&'static str>, OutputError> {
        let mut done = self
            .queue
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .done;
        done.sort_by_key(|&(place, _)| place);
        done.into_iter().map(|(_, r)| r).collect()
    }
}

/// Writes `value` as pretty JSON and a final newline to the new file `path`.
fn write_json(path: &Path, value: &impl Serialize) -> Result<(), OutputError> {
    let mut failed = None;
    write_new_with(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value).map_err(|e| {
            if e.is_io() {
                std::io::Error::from(e)
            } else {
                let err = std::io::Error::other(e.to_string());
                failed = Some(e.to_string());
                err
            }
        })?;
        w.write_all(b"\n")
    })
    .map_err(|e| match failed {
        Some(message) => OutputError::Encode {
            path: path.to_path_buf(),
            message,
        },
        None => e,
    })
}
