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
use crate::engine::RunResult;

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
/// disk as it is made, and each table is built just before its file is
/// written and dropped after, so no file is ever held in memory whole.
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
    /// One file of the folder.
    enum File<'a> {
        Summary,
        Table(fn(&RunResult) -> Table, &'static str),
        Commitments(&'a Settlement),
        Timing(&'a Timing),
    }
    let mut files = vec![File::Summary];
    for (&build, name) in table::RUN_TABLES.iter().zip(TABLE_FILES) {
        if outputs.includes(name.trim_end_matches(".csv")) {
            files.push(File::Table(build, name));
        }
    }
    if let (Some(s), true) = (&r.commitments, outputs.includes("commitments")) {
        files.push(File::Commitments(s));
    }
    if let Some(t) = timing {
        files.push(File::Timing(t));
    }
    let write = |f: &File| match *f {
        File::Summary => write_json(&dir.join("summary.json"), &r.summary).map(|()| "summary.json"),
        File::Table(build, name) => {
            let table = build(r);
            debug_assert_eq!(table.file_name(), name);
            write_new_with(&dir.join(name), |w| write_csv(&table, w)).map(|()| name)
        }
        File::Commitments(s) => {
            write_new(&dir.join("commitments.csv"), commitments_csv(s).as_bytes())
                .map(|()| "commitments.csv")
        }
        File::Timing(t) => write_json(&dir.join("timing.json"), t).map(|()| "timing.json"),
    };
    // Two threads write the files, this one and one more, taking them in
    // turn, the usually largest first (the time series, the tasks, the
    // events): no table holds a string per row of the run (the events'
    // messages are made as they are written), so a second thread needs
    // little memory of its own. Every file is attempted; the first failure
    // in the order above is reported (the caller then drops the whole
    // staging folder). Where no thread can be started, this one writes
    // them all.
    let rank = |f: &File| match *f {
        File::Table(_, name) => TABLE_FILES.iter().position(|&n| n == name).unwrap_or(0),
        _ => TABLE_FILES.len(),
    };
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| rank(&files[i]));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take = || {
        let mut done = Vec::new();
        while let Some(&i) = order.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
            done.push((i, write(&files[i])));
        }
        done
    };
    let mut results = std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("ecsim-write".into())
            .spawn_scoped(scope, take)
            .ok();
        let mut results = take();
        if let Some(h) = helper {
            results.extend(
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        results
    });
    results.sort_by_key(|&(i, _)| i);
    results.into_iter().map(|(_, r)| r).collect()
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
