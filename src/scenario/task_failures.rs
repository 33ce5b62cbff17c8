//! Task-level failure keys shared by `[[services]]` and `[[batchJobs]]`
//! (ECS-MODEL X4, P9, D4): `taskCrashes`, `startFailures` and
//! `imagePullFailures`, read into [`TaskFailures`]. Acts in
//! engine/task_failures.rs.
//!
//! ```toml
//! taskCrashes = { perTaskHour = 0.01, replay = [{ at = "2h", tasks = 3 }] }
//! taskCrashes = { file = "crashes.csv" }          # columns time,tasks
//! startFailures = { probability = 0.05, replay = [{ at = "1h", tasks = 2 }] }
//! imagePullFailures = { probability = 0.2 }       # per pull attempt
//! imagePullFailures = { outages = [{ at = "2h", duration = "30m" }] }
//! ```

use std::path::Path;

use toml::{Table, Value};

use super::csvfile::CsvFile;
use super::reader::{index, join, Reader};
use crate::engine::{
    FailureReplay, ImagePullFailures, PullOutage, StartFailures, TaskCrashes, TaskFailures,
};
use crate::sim::{SimDuration, SimTime};

/// Most crashes per task-hour: one a minute.
const MAX_CRASHES_PER_TASK_HOUR: f64 = 60.0;

/// Most tasks one replayed record may name.
const MAX_REPLAY_TASKS: u64 = 100_000;

/// The three keys of table `t` at `path`; `daemon` services take none.
pub(crate) fn read(
    r: &mut Reader,
    t: &Table,
    path: &str,
    dir: &Path,
    daemon: bool,
) -> TaskFailures {
    let mut f = TaskFailures::default();
    for key in ["taskCrashes", "startFailures", "imagePullFailures"] {
        let Some(v) = t.get(key) else { continue };
        let p = join(path, key);
        if daemon {
            r.err(&p, "task failures of DAEMON tasks are not modelled");
            continue;
        }
        match key {
            "taskCrashes" => f.crashes = crashes(r, v, &p, dir),
            "startFailures" => f.start_failures = start_failures(r, v, &p, dir),
            _ => f.image_pull_failures = pull_failures(r, v, &p),
        }
    }
    f
}

/// `taskCrashes = { perTaskHour, replay, file }`.
fn crashes(r: &mut Reader, v: &Value, path: &str, dir: &Path) -> Option<TaskCrashes> {
    let t = r.table(v, path, &["perTaskHour", "replay", "file"], &[])?;
    if !["perTaskHour", "replay", "file"]
        .iter()
        .any(|k| t.contains_key(*k))
    {
        r.err(
            path,
            "expected `perTaskHour` (crashes per RUNNING task-hour), `replay` (a list of `{ at, tasks }`) or `file` (a CSV with columns time,tasks)",
        );
        return None;
    }
    let mut ok = true;
    let mut spec = TaskCrashes::default();
    if let Some(v) = t.get("perTaskHour") {
        let p = join(path, "perTaskHour");
        match r.number(v, &p) {
            Some(rate) if (0.0..=MAX_CRASHES_PER_TASK_HOUR).contains(&rate) => {
                spec.per_task_hour = rate
            }
            Some(rate) => {
                r.err(
                    &p,
                    format!("expected a rate of crashes per RUNNING task-hour from 0 to {MAX_CRASHES_PER_TASK_HOUR}, found {rate}"),
                );
                ok = false;
            }
            None => ok = false,
        }
    }
    match replays(r, t, path, dir) {
        Some(list) => spec.replay = list,
        None => ok = false,
    }
    ok.then_some(spec)
}

/// `startFailures = { probability, replay, file }`.
fn start_failures(r: &mut Reader, v: &Value, path: &str, dir: &Path) -> Option<StartFailures> {
    let t = r.table(v, path, &["probability", "replay", "file"], &[])?;
    if !["probability", "replay", "file"]
        .iter()
        .any(|k| t.contains_key(*k))
    {
        r.err(
            path,
            "expected `probability` (that a placed task fails before RUNNING), `replay` (a list of `{ at, tasks }`) or `file` (a CSV with columns time,tasks)",
        );
        return None;
    }
    let mut ok = true;
    let mut spec = StartFailures::default();
    if t.contains_key("probability") {
        match probability(r, t, path, "that a placed task fails before RUNNING") {
            Some(p) => spec.probability = p,
            None => ok = false,
        }
    }
    match replays(r, t, path, dir) {
        Some(list) => spec.replay = list,
        None => ok = false,
    }
    ok.then_some(spec)
}

/// `imagePullFailures = { probability, outages = [{ at, duration }] }`.
fn pull_failures(r: &mut Reader, v: &Value, path: &str) -> Option<ImagePullFailures> {
    let t = r.table(v, path, &["probability", "outages"], &[])?;
    if !t.contains_key("probability") && !t.contains_key("outages") {
        r.err(
            path,
            "expected `probability` (that one image pull attempt fails) or `outages` (a list of `{ at, duration }` in which every pull fails)",
        );
        return None;
    }
    let mut ok = true;
    let mut spec = ImagePullFailures::default();
    if t.contains_key("probability") {
        match probability(r, t, path, "that one image pull attempt fails") {
            Some(p) => spec.probability = p,
            None => ok = false,
        }
    }
    let opath = join(path, "outages");
    for (i, v) in r.list(t, path, "outages").iter().enumerate() {
        let p = index(&opath, i);
        let Some(e) = r.table(v, &p, &["at", "duration"], &[]) else {
            ok = false;
            continue;
        };
        let at = r
            .required(e, &p, "at")
            .and_then(|v| r.duration(v, &join(&p, "at")));
        let duration = r
            .required(e, &p, "duration")
            .and_then(|v| r.duration(v, &join(&p, "duration")));
        if duration.is_some_and(|d| d == SimDuration::ZERO) {
            r.err(
                &join(&p, "duration"),
                "expected a duration longer than zero",
            );
            ok = false;
        }
        match (at, duration) {
            (Some(at), Some(duration)) => spec.outages.push(PullOutage {
                at: SimTime::ZERO + at,
                duration,
            }),
            _ => ok = false,
        }
    }
    spec.outages.sort_by_key(|o| o.at);
    ok.then_some(spec)
}

/// `key = "probability"` of `t`: a number from 0 to 1.
fn probability(r: &mut Reader, t: &Table, path: &str, what: &str) -> Option<f64> {
    let p = join(path, "probability");
    let x = r.number(t.get("probability")?, &p)?;
    if (0.0..=1.0).contains(&x) {
        Some(x)
    } else {
        r.err(
            &p,
            format!("expected a probability {what}, from 0 to 1, found {x}"),
        );
        None
    }
}

/// `replay = [{ at, tasks }]` and `file = "x.csv"` together, in time order
/// (a record of the file after the inline ones at the same time).
fn replays(r: &mut Reader, t: &Table, path: &str, dir: &Path) -> Option<Vec<FailureReplay>> {
    let (mut out, mut ok) = replay_list(r, t, path);
    if let Some(v) = t.get("file") {
        let fp = join(path, "file");
        match r.string(v, &fp) {
            Some(name) => match read_csv(&dir.join(&name)) {
                Ok(mut list) => out.append(&mut list),
                Err(e) => {
                    r.err(&fp, e);
                    ok = false;
                }
            },
            None => ok = false,
        }
    }
    out.sort_by_key(|e| e.at);
    ok.then_some(out)
}

/// `PATH.replay = [{ at, tasks }]` (also `healthCheckFailures.replay`), in
/// the order written, and whether every entry was read.
pub(super) fn replay_list(r: &mut Reader, t: &Table, path: &str) -> (Vec<FailureReplay>, bool) {
    let mut ok = true;
    let mut out = Vec::new();
    let rpath = join(path, "replay");
    for (i, v) in r.list(t, path, "replay").iter().enumerate() {
        let p = index(&rpath, i);
        let Some(e) = r.table(v, &p, &["at", "tasks"], &[]) else {
            ok = false;
            continue;
        };
        let at = r
            .required(e, &p, "at")
            .and_then(|v| r.duration(v, &join(&p, "at")));
        let tasks = r
            .required(e, &p, "tasks")
            .and_then(|v| r.uint(v, &join(&p, "tasks"), MAX_REPLAY_TASKS));
        if tasks == Some(0) {
            r.err(&join(&p, "tasks"), "expected at least 1 task");
        }
        match (at, tasks) {
            (Some(at), Some(n)) if n > 0 => out.push(FailureReplay {
                at: SimTime::ZERO + at,
                tasks: n as u32,
            }),
            _ => ok = false,
        }
    }
    (out, ok)
}

/// A replay CSV: columns `time` (a duration from the start, such as `2h`
/// or `90s`, or plain seconds) and `tasks` (1 to 100,000).
fn read_csv(path: &Path) -> Result<Vec<FailureReplay>, String> {
    let file = CsvFile::read(path)?;
    let (c_time, c_tasks) = (file.need("time")?, file.need("tasks")?);
    let mut out = Vec::new();
    for (line, rec) in file.rows() {
        let get = |c: usize| rec.get(c).unwrap_or("");
        let text = get(c_time);
        let at = match text.parse::<f64>() {
            Ok(s) if s.is_finite() && s >= 0.0 => SimDuration::from_secs_f64(s),
            Ok(_) => {
                return Err(file.at(
                    line,
                    format!(
                    "column `time`: expected a time from the start of 0 or more, found \"{text}\""
                ),
                ))
            }
            Err(_) => super::units::parse_duration(text)
                .map_err(|e| file.at(line, format!("column `time`: {e}")))?,
        };
        let n = get(c_tasks);
        let tasks = match n.parse::<u64>() {
            Ok(k) if (1..=MAX_REPLAY_TASKS).contains(&k) => k as u32,
            _ => {
                return Err(file.at(
                    line,
                    format!("column `tasks`: expected a whole number of tasks from 1 to {MAX_REPLAY_TASKS}, found \"{n}\""),
                ))
            }
        };
        out.push(FailureReplay {
            at: SimTime::ZERO + at,
            tasks,
        });
    }
    Ok(out)
}
