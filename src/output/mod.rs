//! Writes a run's results: `summary.json`, `timeseries.csv`, `tasks.csv`,
//! `events.csv`, `instances.csv` (deterministic for a scenario and seed) and `timing.json`
//! (wall-clock figures, which vary run to run and so live apart).
//!
//! A result folder is written all-or-nothing ([`folder`]): into a fresh
//! temporary folder beside it, renamed into place, one writer at a time, so
//! an interrupted or failed run leaves the previous result whole and never
//! a mix of two runs' files.

pub mod folder;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::engine::RunResult;
use crate::sim::SimTime;

pub use folder::{
    check_target, plain_name, write_atomic, write_new, Kind, Lock, Staging, RUN_FILES,
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

/// Quotes a CSV field when needed.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `timeseries.csv`.
pub fn timeseries_csv(r: &RunResult) -> String {
    let mut s = String::from("time_s,instances_registering,instances_active,instances_draining,instances_in_use,instances_spot,interruptions,cpu_reservation_pct,memory_reservation_pct");
    for name in &r.service_names {
        let _ = write!(s, ",{}.desired", field(name));
    }
    for name in &r.group_names {
        let n = field(name);
        let _ = write!(s, ",{n}.pending,{n}.running,{n}.stopping");
    }
    for name in &r.demand_service_names {
        let n = field(name);
        let _ = write!(s, ",{n}.demand_rps,{n}.served_rps,{n}.cpu_pct");
    }
    for name in &r.provisioning_service_names {
        let _ = write!(s, ",{}.provisioning", field(name));
    }
    for name in &r.alarm_service_names {
        let _ = write!(s, ",{}.alarm", field(name));
    }
    for name in &r.provider_names {
        let n = field(name);
        let _ = write!(s, ",{n}.cpr,{n}.needed,{n}.running,{n}.asg_desired");
    }
    s.push('\n');
    for row in &r.samples {
        let _ = write!(
            s,
            "{},{},{},{},{},{},{},{:.2},{:.2}",
            secs(row.time),
            row.instances[0],
            row.instances[1],
            row.instances[2],
            row.instances_in_use,
            row.spot_instances,
            row.interruptions,
            row.cpu_reservation_pct,
            row.memory_reservation_pct
        );
        for d in &row.desired {
            let _ = write!(s, ",{d}");
        }
        for t in &row.tasks {
            let _ = write!(s, ",{},{},{}", t[0], t[1], t[2]);
        }
        for l in &row.load {
            let _ = write!(s, ",{:.2},{:.2},{:.2}", l[0], l[1], l[2]);
        }
        for p in &row.provisioning {
            let _ = write!(s, ",{p}");
        }
        for a in &row.alarms {
            let _ = write!(s, ",{a}");
        }
        for c in &row.providers {
            let _ = write!(s, ",{:.1},{},{},{}", c[0], c[1], c[2], c[3]);
        }
        s.push('\n');
    }
    s
}

/// `tasks.csv`.
pub fn tasks_csv(r: &RunResult) -> String {
    let mut s = String::from("task_id,group,owner,family,capacity,instance_id,instance_type,az,last_status,created_s,pending_s,running_s,stopping_s,stopped_s,stop_reason\n");
    for t in &r.tasks {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            t.id.0,
            field(&t.group),
            field(&t.owner),
            field(&t.family),
            t.capacity,
            t.instance.as_deref().unwrap_or(""),
            t.instance_type.as_deref().unwrap_or(""),
            t.az.as_deref().unwrap_or(""),
            t.state.as_str(),
            secs(t.created),
            opt_secs(t.pending),
            opt_secs(t.running),
            opt_secs(t.stopping),
            opt_secs(t.stopped),
            t.stop_reason.as_deref().unwrap_or("")
        );
    }
    s
}

/// `instances.csv`.
pub fn instances_csv(r: &RunResult) -> String {
    let mut s = String::from("instance_id,group,instance_type,az,purchase,price_usd_per_hour,launched_s,registered_s,draining_s,terminated_s,termination\n");
    for i in &r.instances {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{}",
            i.instance,
            field(&i.group),
            i.instance_type,
            field(&i.az),
            i.purchase,
            i.price_usd_per_hour,
            secs(i.launched),
            opt_secs(i.registered),
            opt_secs(i.draining),
            opt_secs(i.terminated),
            i.termination.unwrap_or("")
        );
    }
    s
}

/// `cost.csv`: the ledger per hour, owner and capacity (B4). Its amounts
/// sum to the summary's total.
pub fn cost_csv(r: &RunResult) -> String {
    let mut s = String::from("hour,owner,capacity,compute_usd,idle_usd,storage_usd\n");
    for c in &r.cost {
        let _ = writeln!(
            s,
            "{},{},{},{:.6},{:.6},{:.6}",
            c.hour,
            field(&c.owner),
            c.capacity,
            c.compute_usd,
            c.idle_usd,
            c.storage_usd
        );
    }
    s
}

/// `events.csv`.
pub fn events_csv(r: &RunResult) -> String {
    let mut s = String::from("time_s,source,event,message\n");
    for e in &r.events {
        let _ = writeln!(
            s,
            "{:.3},{},{},{}",
            e.time_s,
            field(&e.source),
            field(&e.event),
            field(&e.message)
        );
    }
    s
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
