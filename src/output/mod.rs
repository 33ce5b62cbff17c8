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

use crate::engine::RunResult;

pub use table::{csv_text, run_tables, write_csv, Column, Table, Values};

pub use folder::{
    check_target, default_dir, plain_name, write_atomic, write_new, Kind, Lock, Staging, RUN_FILES,
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
/// [`Staging`] folder) and returns their names.
pub fn write_run_files(
    dir: &Path,
    r: &RunResult,
    timing: Option<&Timing>,
) -> Result<Vec<&'static str>, OutputError> {
    let summary = summary_json(r).map_err(|e| OutputError::Encode {
        path: dir.join("summary.json"),
        message: e.to_string(),
    })?;
    let mut files = vec![("summary.json", summary)];
    for (table, name) in run_tables(r).iter().zip(TABLE_FILES) {
        debug_assert_eq!(table.file_name(), name);
        files.push((name, csv_text(table)));
    }
    if let Some(t) = timing {
        let text = serde_json::to_string_pretty(t).map_err(|e| OutputError::Encode {
            path: dir.join("timing.json"),
            message: e.to_string(),
        })?;
        files.push(("timing.json", text + "\n"));
    }
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        write_new(&path, text.as_bytes())?;
        written.push(name);
    }
    Ok(written)
}
