//! Writes a run's results: `summary.json`, `timeseries.csv`, `tasks.csv`,
//! `events.csv`, `instances.csv` (deterministic for a scenario and seed) and `timing.json`
//! (wall-clock figures, which vary run to run and so live apart).
//!
//! A result folder is written all-or-nothing ([`folder`]): into a fresh
//! temporary folder beside it, renamed into place, one writer at a time, so
//! an interrupted or failed run leaves the previous result whole and never
//! a mix of two runs' files.

pub mod folder;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cost::commitments::Settlement;
use crate::csvdata::CsvText;
use crate::engine::RunResult;
use crate::metrics::AlarmState;
use crate::sim::SimTime;

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

/// Seconds with millisecond precision, e.g. `90.250`.
fn secs(t: SimTime) -> String {
    format!("{}.{:03}", t.0 / 1000, t.0 % 1000)
}

fn opt_secs(t: Option<SimTime>) -> String {
    t.map(secs).unwrap_or_default()
}

/// `timeseries.csv`.
pub fn timeseries_csv(r: &RunResult) -> String {
    let mut head: Vec<String> = [
        "time_s",
        "instances_registering",
        "instances_active",
        "instances_draining",
        "instances_in_use",
        "instances_spot",
        "interruptions",
        "cpu_reservation_pct",
        "memory_reservation_pct",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    for name in &r.columns.desired {
        head.push(format!("{name}.desired"));
    }
    for name in &r.columns.tasks {
        for part in ["pending", "running", "stopping"] {
            head.push(format!("{name}.{part}"));
        }
    }
    for name in &r.columns.load {
        for part in ["demand_rps", "served_rps", "cpu_pct"] {
            head.push(format!("{name}.{part}"));
        }
    }
    for name in &r.columns.provisioning {
        head.push(format!("{name}.provisioning"));
    }
    for name in &r.columns.alarms {
        head.push(format!("{name}.alarm"));
    }
    for name in &r.columns.providers {
        for part in ["cpr", "needed", "running", "asg_desired"] {
            head.push(format!("{name}.{part}"));
        }
    }
    let mut w = CsvText::new();
    w.row(&head);
    for row in &r.samples {
        let mut cells = vec![
            secs(row.time),
            row.instances.registering.to_string(),
            row.instances.active.to_string(),
            row.instances.draining.to_string(),
            row.instances_in_use.to_string(),
            row.spot_instances.to_string(),
            row.interruptions.to_string(),
            format!("{:.2}", row.cpu_reservation_pct),
            format!("{:.2}", row.memory_reservation_pct),
        ];
        cells.extend(row.desired.iter().map(u32::to_string));
        for t in &row.tasks {
            cells.extend([t.pending, t.running, t.stopping].map(|n| n.to_string()));
        }
        for l in &row.load {
            cells.extend([l.demand_rps, l.served_rps, l.cpu_pct].map(|x| format!("{x:.2}")));
        }
        cells.extend(row.provisioning.iter().map(u32::to_string));
        cells.extend(row.alarms.iter().map(|a| {
            match a {
                AlarmState::High => "high",
                AlarmState::Low => "low",
                AlarmState::Ok => "ok",
            }
            .to_string()
        }));
        for c in &row.providers {
            cells.push(format!("{:.1}", c.reservation_pct));
            cells.extend([c.needed, c.running, c.asg_desired].map(|n| n.to_string()));
        }
        w.row(&cells);
    }
    w.finish()
}

/// `tasks.csv`.
pub fn tasks_csv(r: &RunResult) -> String {
    let mut w = CsvText::new();
    w.row([
        "task_id",
        "group",
        "owner",
        "family",
        "capacity",
        "instance_id",
        "instance_type",
        "az",
        "last_status",
        "created_s",
        "pending_s",
        "running_s",
        "stopping_s",
        "stopped_s",
        "stop_reason",
    ]);
    for t in &r.tasks {
        w.row([
            t.id.0.to_string().as_str(),
            &t.group,
            &t.owner,
            &t.family,
            t.capacity,
            t.instance.as_deref().unwrap_or(""),
            t.instance_type.as_deref().unwrap_or(""),
            t.az.as_deref().unwrap_or(""),
            t.state.as_str(),
            &secs(t.created),
            &opt_secs(t.pending),
            &opt_secs(t.running),
            &opt_secs(t.stopping),
            &opt_secs(t.stopped),
            t.stop_reason.as_deref().unwrap_or(""),
        ]);
    }
    w.finish()
}

/// `instances.csv`.
pub fn instances_csv(r: &RunResult) -> String {
    let mut w = CsvText::new();
    w.row([
        "instance_id",
        "group",
        "instance_type",
        "az",
        "purchase",
        "price_usd_per_hour",
        "launched_s",
        "registered_s",
        "draining_s",
        "terminated_s",
        "termination",
    ]);
    for i in &r.instances {
        w.row([
            i.instance.as_str(),
            &i.group,
            &i.instance_type,
            &i.az,
            i.purchase,
            &i.price_usd_per_hour.to_string(),
            &secs(i.launched),
            &opt_secs(i.registered),
            &opt_secs(i.draining),
            &opt_secs(i.terminated),
            i.termination.unwrap_or(""),
        ]);
    }
    w.finish()
}

/// `cost.csv`: the ledger per hour, owner and capacity (B4). Its amounts
/// sum to the summary's total.
pub fn cost_csv(r: &RunResult) -> String {
    let mut w = CsvText::new();
    w.row([
        "hour",
        "owner",
        "capacity",
        "compute_usd",
        "idle_usd",
        "storage_usd",
    ]);
    for c in &r.cost {
        w.row([
            c.hour.to_string().as_str(),
            &c.owner,
            &c.capacity,
            &format!("{:.6}", c.compute_usd),
            &format!("{:.6}", c.idle_usd),
            &format!("{:.6}", c.storage_usd),
        ]);
    }
    w.finish()
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
    let mut w = CsvText::new();
    w.row(["time_s", "source", "event", "message"]);
    for e in &r.events {
        w.row([
            format!("{:.3}", e.time_s).as_str(),
            &e.source,
            &e.event,
            &e.message,
        ]);
    }
    w.finish()
}

/// `summary.json`.
pub fn summary_json(r: &RunResult) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&r.summary).map(|mut s| {
        s.push('\n');
        s
    })
}

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
    let mut files = vec![
        ("summary.json", summary),
        ("timeseries.csv", timeseries_csv(r)),
        ("tasks.csv", tasks_csv(r)),
        ("events.csv", events_csv(r)),
        ("instances.csv", instances_csv(r)),
        ("cost.csv", cost_csv(r)),
    ];
    if let Some(s) = &r.commitments {
        files.push(("commitments.csv", commitments_csv(s)));
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
