//! Charts of one run folder, from the files `ecsim run` writes.
//!
//! Time runs along x as the scenario's UTC clock, from the `start_time` of
//! `summary.json` (a folder without it is drawn in hours since the start).
//!
//! From `timeseries.csv` (one row per sampled minute; `time_s` required,
//! every other column optional and found by name):
//!
//! * `tasks` — top: each reporting group's RUNNING tasks (`G.running`, for
//!   every `G` with `G.pending`, `G.running` and `G.stopping` columns), a
//!   service's desired count (`G.desired`) as a dashed line of the same
//!   colour, and the shortfall of RUNNING below desired shaded red. Below
//!   it, when a service was ever below its desired count, a zoom on the
//!   worst such episode at one-second resolution, its RUNNING count rebuilt
//!   from `tasks.csv` (`group`, `running_s`, `stopping_s`, `stopped_s`),
//!   because a task killed with its spot instance is replaced within
//!   seconds, between two samples; on the full run a red mark shows every
//!   episode that began with tasks lost. Last: PENDING, RUNNING and
//!   STOPPING summed over the groups.
//! * `instances` — `instances_registering`, `_active`, `_draining`,
//!   `_in_use` and `_spot` over time; every minute in which the cumulative
//!   `interruptions` column grows is marked with a vertical dashed line.
//! * `reservation` — `cpu_reservation_pct` and `memory_reservation_pct`.
//!
//! Drawn only when the data is there (newer engines write it; older
//! folders are plotted without them, silently):
//!
//! * `demand` — for each service with demand, `NAME.demand_rps` (solid) and
//!   `NAME.served_rps` (dashed, same colour), requests per second, the
//!   requests not served shaded red; below, a zoom on the sale or spike
//!   (the sharpest rise of demand to its sharpest fall) or, without one, on
//!   the longest stretch of requests not served.
//! * `cost` — from `cost.csv` (the ledger: `hour, owner, capacity,
//!   compute_usd, idle_usd, storage_usd`): the cumulative cost per capacity
//!   (`ec2-on-demand`, `ec2-spot`, `FARGATE`, ...) as stacked areas, whose
//!   top is the total (a dashed line), and the cumulative idle EC2 cost
//!   dashed. A `cost.csv` of another shape is skipped with a note.
//!
//! Depends on the file formats only (see the module above).

use std::path::Path;

use super::chart::{day_text, Band, Chart, Line, Markers, Panel, Points, MARKER_COLOR};
use super::table::{fast_number, Columns, Table};
use super::values::{Builder, Values};
use super::{render, write_files, Format, Kind, PlotError, Report};
use crate::sim::calendar::parse_utc_datetime;
use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

/// The run's clock: x values are hours since the start, labelled with the
/// UTC clock time when the start is known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    /// Unix seconds of time zero, from `summary.json`.
    pub start: Option<i64>,
}

impl Clock {
    /// The clock of the run folder `dir`: `start_time` of its
    /// `summary.json`, if it has a readable one.
    pub fn of(dir: &Path) -> Clock {
        let start = std::fs::read_to_string(dir.join("summary.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|s| {
                s.get("start_time")
                    .and_then(|v| v.as_str())
                    .and_then(parse_utc_datetime)
            });
        Clock { start }
    }

    /// A panel over hours `from..` of the run, x labelled with the clock.
    fn panel(&self, from: f64, y_label: impl Into<String>) -> Panel {
        let mut p = Panel::new(self.label(from), y_label);
        p.x_time = self.start;
        p
    }

    /// The x axis label of a panel whose data begins `from` hours in.
    pub fn label(&self, from: f64) -> String {
        match self.start {
            Some(start) => {
                let t = start + (from * 3600.0).round() as i64;
                let sod = t.rem_euclid(86_400);
                format!(
                    "time (UTC), from {} {:02}:{:02}",
                    day_text(t, true),
                    sod / 3600,
                    sod / 60 % 60
                )
            }
            None => "time since the start (h)".into(),
        }
    }

    /// `HH:MM` (with the day when the run spans several) of `hours` in.
    fn at(&self, hours: f64, with_day: bool) -> String {
        match self.start {
            Some(start) => {
                let t = start + (hours * 3600.0).round() as i64;
                let sod = t.rem_euclid(86_400);
                let hm = format!("{:02}:{:02}", sod / 3600, sod / 60 % 60);
                if with_day {
                    format!("{} {hm}", day_text(t, false))
                } else {
                    hm
                }
            }
            None => format!("{} h", super::chart::tick(hours)),
        }
    }
}

/// Draws every chart the run folder `dir` has data for into `out`.
pub fn plot(dir: &Path, out: &Path, format: Format) -> Result<Report, PlotError> {
    let ts = Columns::read(&dir.join("timeseries.csv"), plotted)?;
    let hours: Arc<[f64]> = ts
        .numbers_of("time_s")?
        .iter()
        .map(|s| s / 3600.0)
        .collect();
    let name = run_name(dir);
    let clock = Clock::of(dir);
    let mut report = Report {
        kind: Kind::Run,
        written: Vec::new(),
        notes: Vec::new(),
    };
    let tasks = Some(dir.join("tasks.csv")).filter(|p| p.is_file());
    // Each chart is rendered as soon as it is drawn (a month's chart holds
    // hundreds of long series); the files are written once all are.
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |stem: &str, chart: Chart| -> Result<(), PlotError> {
        files.extend(render(stem, &chart, format)?);
        Ok(())
    };
    match tasks_chart(&ts, tasks.as_deref(), &hours, &name, clock)? {
        Some(c) => add("tasks", c)?,
        None => report
            .notes
            .push("tasks: no GROUP.pending/.running/.stopping columns in timeseries.csv".into()),
    }
    match instances_chart(&ts, &hours, &name, clock)? {
        Some(c) => add("instances", c)?,
        None => report
            .notes
            .push("instances: no instances_* columns in timeseries.csv".into()),
    }
    match reservation_chart(&ts, &hours, &name, clock)? {
        Some(c) => add("reservation", c)?,
        None => report
            .notes
            .push("reservation: no *_reservation_pct columns in timeseries.csv".into()),
    }
    if let Some(c) = demand_chart(&ts, &hours, &name, clock)? {
        add("demand", c)?;
    }
    if let Some(c) = cost_chart(dir, &name, clock, &mut report.notes)? {
        add("cost", c)?;
    }
    write_files(out, &files, &mut report.written)?;
    Ok(report)
}

/// "quickstart, seed 42" from `summary.json`, or the folder's name when
/// the summary is missing or unreadable (the plots do not need it).
fn run_name(dir: &Path) -> String {
    named(dir, folder_name(dir))
}

/// The name of `dir` (of its absolute path, so that `.` has one), or `dir`
/// as given when it cannot be resolved.
pub(super) fn folder_name(dir: &Path) -> String {
    dir.canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string())
}

/// "SCENARIO, seed N" from `dir/summary.json`, with `folder` standing in
/// for a missing scenario name and alone when there is no readable summary.
pub(super) fn named(dir: &Path, folder: String) -> String {
    let summary = std::fs::read_to_string(dir.join("summary.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let Some(s) = summary else {
        return folder;
    };
    let scenario = s
        .get("scenario")
        .and_then(|v| v.as_str())
        .map_or(folder, str::to_string);
    match s.get("seed").and_then(serde_json::Value::as_u64) {
        Some(seed) => format!("{scenario}, seed {seed}"),
        None => scenario,
    }
}

/// The points of a column against the hours (shared, not copied).
fn series(hours: &Arc<[f64]>, ys: &Values) -> Points {
    Points::sampled(hours, ys.clone())
}

/// Whether the charts draw the `timeseries.csv` column `header` (the only
/// ones read, as numbers; see [`plot`]).
pub fn plotted(header: &str) -> bool {
    const EXACT: [&str; 4] = [
        "time_s",
        "interruptions",
        "cpu_reservation_pct",
        "memory_reservation_pct",
    ];
    const SUFFIXES: [&str; 6] = [
        ".pending",
        ".running",
        ".stopping",
        ".desired",
        "demand_rps",
        "served_rps",
    ];
    EXACT.contains(&header)
        || header.starts_with("instances_")
        || SUFFIXES.iter().any(|s| header.ends_with(s))
}

/// The reporting groups: names `G` with `G.pending`, `G.running` and
/// `G.stopping` columns, in header order.
pub fn groups(ts: &Columns) -> Vec<String> {
    ts.headers
        .iter()
        .filter_map(|h| h.strip_suffix(".running"))
        .filter(|g| {
            ts.find(&format!("{g}.pending")).is_some()
                && ts.find(&format!("{g}.stopping")).is_some()
        })
        .map(str::to_string)
        .collect()
}

/// A stretch of time a service ran fewer tasks than desired, seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Episode {
    /// When it began.
    pub start: f64,
    /// When RUNNING reached the desired count again (or the run ended).
    pub end: f64,
    /// Task-seconds missing over the episode.
    pub missing: f64,
    /// The largest number of tasks missing at once.
    pub worst: f64,
    /// It began with RUNNING tasks lost (killed or stopped), not with a
    /// higher desired count.
    pub lost: bool,
}

/// A step function: `(time_s, value from then on)`, in time order.
pub type Steps = Vec<(f64, f64)>;

/// The value of `steps` at `t` (0 before the first step).
fn value_at(steps: &[(f64, f64)], t: f64) -> f64 {
    match steps.partition_point(|s| s.0 <= t) {
        0 => 0.0,
        i => steps[i - 1].1,
    }
}

/// The RUNNING count of each service of `groups` over time, from the task
/// log `tasks.csv` read from `input` (`path` names it in messages): a task
/// counts from `running_s` to `stopping_s` (else `stopped_s`, else the
/// end). `None` when the file lacks those columns.
///
/// The log of a long run is large (a month of a 5,000-instance cluster has
/// millions of job tasks, 350 MB), and only the services' rows matter: the
/// file streams through a small buffer, and a row whose `group` is not one
/// of theirs is passed over without being split into fields. Plain lines
/// are split on commas; from the first line with a quote on, the CSV
/// reader parses the rest (a quoted field may hold commas or line breaks).
pub fn running_steps(
    path: &Path,
    mut input: impl BufRead,
    groups: &[&str],
) -> Result<Option<Vec<Steps>>, PlotError> {
    let io = |source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut line: Vec<u8> = Vec::new();
    input.read_until(b'\n', &mut line).map_err(io)?;
    let header: Vec<String> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_slice())
        .records()
        .next()
        .transpose()
        .map_err(|e| PlotError::Csv {
            path: path.to_path_buf(),
            line: 1,
            message: e.to_string(),
        })?
        .map(|r| r.iter().map(str::to_string).collect())
        .unwrap_or_default();
    let cols = ["group", "running_s", "stopping_s", "stopped_s"];
    let mut ix = [0; 4];
    for (at, c) in ix.iter_mut().zip(cols) {
        match header.iter().position(|h| h == c) {
            Some(i) => *at = i,
            None => return Ok(None),
        }
    }
    let wanted: Vec<Vec<u8>> = groups
        .iter()
        .map(|g| format!("service:{g}").into_bytes())
        .collect();
    // The groups sorted, each with its first position in `groups`: a row's
    // group is looked up by binary search.
    let mut index: Vec<(&[u8], usize)> = wanted
        .iter()
        .enumerate()
        .map(|(k, w)| (w.as_slice(), k))
        .collect();
    index.sort();
    index.dedup_by_key(|e| e.0);
    let find = |group: &[u8]| -> Option<usize> {
        index
            .binary_search_by(|e| e.0.cmp(group))
            .ok()
            .map(|i| index[i].1)
    };
    // Per group: (time, +1 or -1) changes of its RUNNING count.
    let mut changes: Vec<Vec<(f64, f64)>> = vec![Vec::new(); groups.len()];
    // The row on line `line_no` of group `k`, its cells of `cols` in order.
    let mut take = |line_no: u64, k: usize, cells: [&[u8]; 4]| -> Result<(), PlotError> {
        let number = |c: usize| -> Result<Option<f64>, PlotError> {
            if let Some(x) = fast_number(cells[c]) {
                return Ok(Some(x));
            }
            let cell = std::str::from_utf8(cells[c]).unwrap_or("\u{fffd}").trim();
            if cell.is_empty() {
                return Ok(None);
            }
            cell.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| PlotError::Csv {
                    path: path.to_path_buf(),
                    line: line_no,
                    message: format!("column `{}`: `{cell}` is not a number", cols[c]),
                })
        };
        let Some(from) = number(1)? else {
            return Ok(());
        };
        changes[k].push((from, 1.0));
        if let Some(to) = number(2)?.or(number(3)?) {
            changes[k].push((to, -1.0));
        }
        Ok(())
    };
    let unequal = |line_no: u64, n: usize| PlotError::Csv {
        path: path.to_path_buf(),
        line: line_no,
        message: format!("{n} fields where the header has {}", header.len()),
    };
    let mut line_no = 1;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).map_err(io)? == 0 {
            break;
        }
        line_no += 1;
        if line.contains(&b'"') {
            // The rest through the CSV reader, from this line on.
            let rest = std::io::Cursor::new(std::mem::take(&mut line)).chain(input);
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(rest);
            let mut record = csv::ByteRecord::new();
            loop {
                match reader.read_byte_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) => {
                        let at = e.position().map_or(0, |p| p.line());
                        return Err(PlotError::Csv {
                            path: path.to_path_buf(),
                            line: line_no - 1 + at,
                            message: e.to_string(),
                        });
                    }
                }
                let at = line_no - 1 + record.position().map_or(1, |p| p.line());
                if record.len() != header.len() {
                    return Err(unequal(at, record.len()));
                }
                if let Some(k) = find(&record[ix[0]]) {
                    take(at, k, ix.map(|i| &record[i]))?;
                }
            }
            break;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() {
            continue;
        }
        // Only the group decides whether the row is read: find that field
        // alone first (it is the second one in the files ecsim writes).
        let group = text.split(|&b| b == b',').nth(ix[0]).unwrap_or_default();
        let Some(k) = find(group) else {
            continue;
        };
        // The four cells read, and the number of fields.
        let mut cells: [&[u8]; 4] = [&[]; 4];
        let mut n = 0;
        for (i, field) in text.split(|&b| b == b',').enumerate() {
            for (cell, &at) in cells.iter_mut().zip(&ix) {
                if at == i {
                    *cell = field;
                }
            }
            n = i + 1;
        }
        if n != header.len() {
            return Err(unequal(line_no, n));
        }
        take(line_no, k, cells)?;
    }
    Ok(Some(changes.into_iter().map(steps_of).collect()))
}

/// The step function of a count from its `(time, +1 or -1)` changes.
fn steps_of(mut changes: Vec<(f64, f64)>) -> Steps {
    // Ends before starts at the same instant: a replacement that starts as
    // another task stops leaves the count unchanged, never one too high.
    changes.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut steps: Steps = Vec::new();
    let mut n = 0.0;
    for (t, d) in changes {
        n += d;
        match steps.last_mut() {
            Some(last) if last.0 == t => last.1 = n,
            _ => steps.push((t, n)),
        }
    }
    steps
}

/// The episodes of `running` below `desired` (both step functions), from
/// the time the service first reached its desired count (its start-up is
/// not a shortfall).
pub fn episodes(running: &[(f64, f64)], desired: &[(f64, f64)], end: f64) -> Vec<Episode> {
    let mut times: Vec<f64> = running.iter().chain(desired).map(|s| s.0).collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    let mut out: Vec<Episode> = Vec::new();
    let mut open: Option<Episode> = None;
    let mut prev_running = 0.0;
    let mut started = false;
    // `value_at` of both, walked along the times in order.
    let (mut ri, mut di) = (0, 0);
    let walk = |steps: &[(f64, f64)], i: &mut usize, t: f64| -> f64 {
        while *i < steps.len() && steps[*i].0 <= t {
            *i += 1;
        }
        match *i {
            0 => 0.0,
            i => steps[i - 1].1,
        }
    };
    for (i, &t) in times.iter().enumerate() {
        let (r, d) = (walk(running, &mut ri, t), walk(desired, &mut di, t));
        let next = times.get(i + 1).copied().unwrap_or(end).min(end);
        let gap = (d - r).max(0.0);
        started |= d > 0.0 && gap == 0.0;
        if gap > 0.0 && started {
            let e = open.get_or_insert(Episode {
                start: t,
                end: t,
                missing: 0.0,
                worst: 0.0,
                lost: r < prev_running,
            });
            e.missing += gap * (next - t).max(0.0);
            e.worst = e.worst.max(gap);
            e.end = next;
        } else if let Some(e) = open.take() {
            out.push(e);
        }
        prev_running = r;
    }
    out.extend(open);
    out
}

/// A sampled count as a step function. A change happened at some time
/// since the sample before; a drop is dated just after that sample and a
/// rise at the sample that shows it, so that the exact RUNNING count is
/// never wrongly below a desired count known only once a minute.
///
/// Walked run of equal values by run: past its first sample a run changes
/// nothing but the time of the sample before.
fn sampled_steps(hours: &[f64], ys: &Values) -> Steps {
    let mut steps: Steps = Vec::new();
    let mut prev_t = 0.0;
    let mut at = 0;
    ys.for_each_run(|y, n| {
        let end = (at + n).min(hours.len());
        if at >= end {
            return;
        }
        let t = hours[at] * 3600.0;
        match steps.last().map(|s| s.1) {
            Some(v) if v == y => {}
            Some(v) if y < v => steps.push((prev_t + 1e-3, y)),
            _ => steps.push((t, y)),
        }
        prev_t = hours[end - 1] * 3600.0;
        at = end;
    });
    steps
}

/// The episodes of every service, exact where `tasks.csv` allows.
struct Shortfalls {
    /// Per service: name, palette index, exact RUNNING steps, desired steps.
    services: Vec<(String, usize, Steps, Steps)>,
    /// Per service, its episodes.
    episodes: Vec<Vec<Episode>>,
}

fn seconds_text(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

fn tasks_chart(
    ts: &Columns,
    tasks: Option<&Path>,
    hours: &Arc<[f64]>,
    name: &str,
    clock: Clock,
) -> Result<Option<Chart>, PlotError> {
    let groups = groups(ts);
    if groups.is_empty() {
        return Ok(None);
    }
    let end_s = hours.last().copied().unwrap_or(0.0) * 3600.0;
    let mut by_group = clock.panel(0.0, "tasks");
    by_group.caption = Some(
        "RUNNING tasks by group; a service's desired count dashed; below desired in red".into(),
    );
    let n = hours.len();
    let mut totals = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
    let mut short = Shortfalls {
        services: Vec::new(),
        episodes: Vec::new(),
    };
    // The exact RUNNING counts of the services, from one pass over the
    // task log.
    let services: Vec<&str> = groups
        .iter()
        .filter(|g| ts.find(&format!("{g}.desired")).is_some())
        .map(String::as_str)
        .collect();
    let mut exact = match tasks {
        Some(path) if !services.is_empty() => {
            let file = std::fs::File::open(path).map_err(|source| PlotError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            running_steps(path, BufReader::with_capacity(1 << 16, file), &services)?
        }
        _ => None,
    };
    for (i, g) in groups.iter().enumerate() {
        let running_column = ts.numbers_of(&format!("{g}.running"))?;
        by_group.lines.push(Line::solid(
            format!("{g} running"),
            i,
            series(hours, running_column),
        ));
        if ts.find(&format!("{g}.desired")).is_some() {
            let desired_column = ts.numbers_of(&format!("{g}.desired"))?;
            // The start-up, before the service first reaches its desired
            // count, is not a shortfall: desired up to then, RUNNING after
            // (both walked run by run).
            let mut up = n;
            let mut k = 0;
            running_column.for_each_joint_run(desired_column, |r, d, m| {
                if up == n && d > 0.0 && r >= d {
                    up = k;
                }
                k += m;
            });
            let mut after_start = Builder::new();
            let mut k = 0;
            running_column.for_each_joint_run(desired_column, |r, d, m| {
                let before = up.saturating_sub(k).min(m);
                after_start.push_run(d, before);
                after_start.push_run(r, m - before);
                k += m;
            });
            if let Some(b) = Band::sampled_shortfall(
                format!("{g} below desired"),
                hours,
                &after_start.finish(),
                desired_column,
            ) {
                by_group.bands.push(b);
            }
            by_group.lines.push(Line::dashed(
                format!("{g} desired"),
                i,
                series(hours, desired_column),
            ));
            let k = services.iter().position(|s| s == g).unwrap_or_default();
            let exact = exact
                .as_mut()
                .and_then(|v| v.get_mut(k))
                .map(std::mem::take);
            let desired_steps = sampled_steps(hours, desired_column);
            let running_steps = exact.unwrap_or_else(|| sampled_steps(hours, running_column));
            short
                .episodes
                .push(episodes(&running_steps, &desired_steps, end_s));
            short
                .services
                .push((g.clone(), i, running_steps, desired_steps));
        }
        for (total, state) in totals.iter_mut().zip(["pending", "running", "stopping"]) {
            let v = ts.numbers_of(&format!("{g}.{state}"))?;
            let mut at = 0;
            v.for_each_run(|x, m| {
                let end = (at + m).min(total.len());
                if at < end {
                    total[at..end].iter_mut().for_each(|t| *t += x);
                }
                at += m;
            });
        }
    }
    // Episodes that began with tasks lost, marked on the full run (they
    // are often seconds long, narrower than a pixel).
    let lost: Vec<&Episode> = short.episodes.iter().flatten().filter(|e| e.lost).collect();
    if !lost.is_empty() {
        let secs: f64 = lost.iter().map(|e| e.end - e.start).sum();
        let times = if lost.len() == 1 { "time" } else { "times" };
        by_group.markers.push(Markers {
            label: format!(
                "tasks lost: {} {times}, {} below desired in all",
                lost.len(),
                seconds_text(secs)
            ),
            color: MARKER_COLOR,
            xs: lost.iter().map(|e| e.start / 3600.0).collect(),
        });
    }
    let mut panels = vec![by_group];
    if let Some(zoom) = zoom_panel(&short, clock) {
        panels.push(zoom);
    }
    let mut by_state = clock.panel(0.0, "tasks");
    by_state.caption = Some("all groups by state".into());
    for ((total, state), color) in totals
        .iter()
        .zip(["PENDING", "RUNNING", "STOPPING"])
        .zip([1, 2, 3])
    {
        by_state.lines.push(Line::solid(
            state,
            color,
            series(hours, &Values::from(&total[..])),
        ));
    }
    panels.push(by_state);
    Ok(Some(Chart {
        title: format!("{name}: tasks"),
        panels,
    }))
}

/// The zoom on the worst episode below desired (most task-seconds
/// missing), at second resolution.
fn zoom_panel(short: &Shortfalls, clock: Clock) -> Option<Panel> {
    let (s, e) = short
        .episodes
        .iter()
        .enumerate()
        .flat_map(|(s, eps)| eps.iter().map(move |e| (s, *e)))
        .max_by(|a, b| a.1.missing.total_cmp(&b.1.missing))?;
    let (g, color, running, desired) = &short.services[s];
    let len = e.end - e.start;
    let pad = (len * 0.6).max(60.0);
    let (from, to) = ((e.start - pad).max(0.0), e.end + pad);
    // Both on one time grid (seconds, as in the files) for the shading:
    // the value just before and at each change of either.
    let mut grid: Vec<f64> = running
        .iter()
        .chain(desired)
        .map(|s| s.0)
        .filter(|&t| t > from && t < to)
        .chain([from, to])
        .collect();
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    let mut actual = Vec::new();
    let mut target = Vec::new();
    for &t in &grid {
        let h = t / 3600.0;
        let before = if t > from { t - 1e-6 } else { t };
        actual.push((h, value_at(running, before)));
        target.push((h, value_at(desired, before)));
        actual.push((h, value_at(running, t)));
        target.push((h, value_at(desired, t)));
    }
    let mut p = clock.panel(from / 3600.0, "tasks");
    let cause = if e.lost {
        "tasks lost"
    } else {
        "desired count raised"
    };
    p.caption = Some(format!(
        "zoom on {g}'s longest shortfall ({cause}): {} tasks missing at worst, {} below desired, from {}",
        e.worst,
        seconds_text(len),
        clock.at(e.start / 3600.0, true)
    ));
    if let Some(b) = Band::shortfall(format!("{g} below desired"), &actual, &target) {
        p.bands.push(b);
    }
    p.lines
        .push(Line::solid(format!("{g} running"), *color, actual));
    p.lines
        .push(Line::dashed(format!("{g} desired"), *color, target));
    Some(p)
}

fn instances_chart(
    ts: &Columns,
    hours: &Arc<[f64]>,
    name: &str,
    clock: Clock,
) -> Result<Option<Chart>, PlotError> {
    let columns = [
        ("instances_registering", "REGISTERING", 1),
        ("instances_active", "ACTIVE", 0),
        ("instances_draining", "DRAINING", 4),
        ("instances_in_use", "in use (running a task)", 2),
        ("instances_spot", "spot", 9),
    ];
    let mut p = clock.panel(0.0, "container instances");
    for (column, label, color) in columns {
        if ts.find(column).is_some() {
            let v = ts.numbers_of(column)?;
            // Several states are often zero all along and hide one another
            // on the axis: say so in the legend.
            let label = if v.iter().all(|x| x == 0.0) {
                format!("{label} (none)")
            } else {
                label.to_string()
            };
            p.lines.push(Line::solid(label, color, series(hours, v)));
        }
    }
    if p.lines.is_empty() {
        return Ok(None);
    }
    if ts.find("interruptions").is_some() {
        let cumulative = ts.numbers_of("interruptions")?;
        let xs = notice_times(hours, &cumulative.to_vec());
        if !xs.is_empty() {
            let total = cumulative.last().unwrap_or(0.0);
            p.markers.push(Markers {
                label: format!("interruption notice ({total} in all)"),
                color: MARKER_COLOR,
                xs,
            });
        }
    }
    Ok(Some(Chart {
        title: format!("{name}: container instances"),
        panels: vec![p],
    }))
}

/// The times at which a cumulative count grows (the first sample counts
/// as growth from zero).
pub fn notice_times(hours: &[f64], cumulative: &[f64]) -> Vec<f64> {
    let mut prev = 0.0;
    let mut xs = Vec::new();
    for (&t, &c) in hours.iter().zip(cumulative) {
        if c > prev {
            xs.push(t);
        }
        prev = c;
    }
    xs
}

fn reservation_chart(
    ts: &Columns,
    hours: &Arc<[f64]>,
    name: &str,
    clock: Clock,
) -> Result<Option<Chart>, PlotError> {
    let mut p = clock.panel(0.0, "reserved (% of registered)");
    p.y_include = vec![0.0, 100.0];
    p.y_percent = true;
    for (column, label, color) in [
        ("cpu_reservation_pct", "CPU", 0),
        ("memory_reservation_pct", "memory", 1),
    ] {
        if ts.find(column).is_some() {
            let v = ts.numbers_of(column)?;
            p.lines.push(Line::solid(label, color, series(hours, v)));
        }
    }
    if p.lines.is_empty() {
        return Ok(None);
    }
    Ok(Some(Chart {
        title: format!("{name}: CPU and memory reservation (ACTIVE and DRAINING instances)"),
        panels: vec![p],
    }))
}

/// `NAME` of a `NAME.suffix` column, or "" for the bare `suffix`.
fn prefix<'a>(header: &'a str, suffix: &str) -> Option<&'a str> {
    if header == suffix {
        return Some("");
    }
    header.strip_suffix(suffix)?.strip_suffix('.')
}

/// The sample range to zoom on in a demand series: from a little before
/// its sharpest rise (at least 10% in one sample, from a non-zero rate) to
/// a little after its sharpest fall after that; without such a rise, the
/// longest run of samples with requests not served. Indices into the
/// samples, inclusive.
pub fn spike_window(demand: &[f64], served: Option<&[f64]>) -> Option<(usize, usize)> {
    let n = demand.len();
    let change = |i: usize| (demand[i] - demand[i - 1]) / demand[i - 1];
    let rise = (1..n)
        .filter(|&i| demand[i - 1] > 0.0 && change(i) >= 0.1)
        .max_by(|&a, &b| change(a).total_cmp(&change(b)));
    let (a, b) = match rise {
        Some(r) => {
            let fall = (r + 1..n)
                .filter(|&i| demand[i - 1] > 0.0 && change(i) <= -0.1)
                .min_by(|&a, &b| change(a).total_cmp(&change(b)));
            (r, fall.unwrap_or(n - 1))
        }
        None => {
            let served = served?;
            let short = |i: usize| served[i] < demand[i] * 0.999 && demand[i] > 0.0;
            let mut best: Option<(usize, usize)> = None;
            let mut i = 0;
            while i < n {
                if short(i) {
                    let j = (i..n).take_while(|&k| short(k)).last().unwrap_or(i);
                    if best.is_none_or(|(x, y)| j - i > y - x) {
                        best = Some((i, j));
                    }
                    i = j + 1;
                } else {
                    i += 1;
                }
            }
            best?
        }
    };
    let pad = ((b - a) / 5).max(30);
    Some((a.saturating_sub(pad), (b + pad).min(n - 1)))
}

fn demand_chart(
    ts: &Columns,
    hours: &Arc<[f64]>,
    name: &str,
    clock: Clock,
) -> Result<Option<Chart>, PlotError> {
    let demand: Vec<(&str, &str)> = ts
        .headers
        .iter()
        .filter_map(|h| prefix(h, "demand_rps").map(|p| (p, h.as_str())))
        .collect();
    if demand.is_empty() {
        return Ok(None);
    }
    let mut p = clock.panel(0.0, "requests per second");
    // (colour, demand, served) per service.
    type Rates<'a> = (usize, &'a Values, Option<&'a Values>);
    let mut data: Vec<Rates> = Vec::new();
    for (i, (pre, column)) in demand.iter().enumerate() {
        let d = ts.numbers_of(column)?;
        let served_col = if pre.is_empty() {
            "served_rps".to_string()
        } else {
            format!("{pre}.served_rps")
        };
        let s = match ts.find(&served_col) {
            Some(_) => Some(ts.numbers_of(&served_col)?),
            None => None,
        };
        data.push((i, d, s));
    }
    let draw = |p: &mut Panel, from: usize, to: usize| {
        // The whole run shares the columns; a zoom copies its stretch.
        let whole = from == 0 && to + 1 == hours.len();
        let xs: Arc<[f64]> = if whole {
            Arc::clone(hours)
        } else {
            Arc::from(&hours[from..=to])
        };
        let part = |v: &Values| -> Values {
            if whole {
                v.clone()
            } else {
                v.iter().skip(from).take(to + 1 - from).collect()
            }
        };
        for ((i, d, s), (pre, column)) in data.iter().zip(&demand) {
            let d_part = part(d);
            let d_pts = series(&xs, &d_part);
            if let Some(s) = s {
                let s_part = part(s);
                let s_pts = series(&xs, &s_part);
                let who = if pre.is_empty() {
                    String::new()
                } else {
                    format!("{pre} ")
                };
                if let Some(b) = Band::sampled_shortfall(
                    format!("{who}requests not served"),
                    &xs,
                    &s_part,
                    &d_part,
                ) {
                    p.bands.push(b);
                }
                p.lines.push(Line::solid(format!("{who}demand"), *i, d_pts));
                p.lines
                    .push(Line::dashed(format!("{who}served"), *i, s_pts));
            } else {
                p.lines.push(Line::solid(column.to_string(), *i, d_pts));
            }
        }
    };
    let last = hours.len().saturating_sub(1);
    draw(&mut p, 0, last);
    let mut panels = vec![p];
    // Zoom on the first service's spike.
    if let Some((_, d, s)) = data.first() {
        let s = s.map(Values::to_vec);
        if let Some((a, b)) = spike_window(&d.to_vec(), s.as_deref()) {
            if b > a && (a > 0 || b < last) {
                let mut z = clock.panel(hours[a], "requests per second");
                z.caption = Some(format!(
                    "zoom: {} to {}",
                    clock.at(hours[a], true),
                    clock.at(hours[b], false)
                ));
                draw(&mut z, a, b);
                panels.push(z);
            }
        }
    }
    Ok(Some(Chart {
        title: format!("{name}: demand and served requests"),
        panels,
    }))
}

fn cost_chart(
    dir: &Path,
    name: &str,
    clock: Clock,
    notes: &mut Vec<String>,
) -> Result<Option<Chart>, PlotError> {
    let path = dir.join("cost.csv");
    if !path.is_file() {
        return Ok(None);
    }
    // One pass over the ledger (hundreds of thousands of rows for a
    // month): the numbers parsed and the capacities interned as they go
    // by; a bad number is reported as a table read whole would: column by
    // column (hour, compute, idle, storage), the first bad line of each.
    let needed = [
        "hour",
        "owner",
        "capacity",
        "compute_usd",
        "idle_usd",
        "storage_usd",
    ];
    let numeric = ["hour", "compute_usd", "idle_usd", "storage_usd"];
    let mut at: Option<(usize, [Option<usize>; 4])> = None;
    let mut numbers: [Vec<f64>; 4] = Default::default();
    // Per column: the first cell that is not a number, and the first
    // empty one (reported only when there is no such cell, as a table
    // does).
    let mut bad: [Option<(u64, String)>; 4] = Default::default();
    let mut empty: [Option<u64>; 4] = Default::default();
    let mut distinct: Vec<String> = Vec::new();
    let mut cap_of: Vec<usize> = Vec::new();
    let headers = Table::scan(&path, |headers, line, record| {
        let (cap_col, cols) = at.get_or_insert_with(|| {
            let find = |c: &str| headers.iter().position(|h| h == c);
            (find("capacity").unwrap_or(usize::MAX), numeric.map(find))
        });
        for (((col, values), bad), empty) in
            cols.iter().zip(&mut numbers).zip(&mut bad).zip(&mut empty)
        {
            let Some(i) = *col else { continue };
            let cell = record.get(i).map_or("", str::trim);
            if cell.is_empty() {
                empty.get_or_insert(line);
                continue;
            }
            match cell.parse::<f64>().ok().filter(|x| x.is_finite()) {
                Some(x) => values.push(x),
                None => {
                    bad.get_or_insert_with(|| (line, cell.to_string()));
                }
            }
        }
        let cap = record.get(*cap_col).unwrap_or("");
        let k = match distinct.iter().position(|d| d == cap) {
            Some(k) => k,
            None => {
                distinct.push(cap.to_string());
                distinct.len() - 1
            }
        };
        cap_of.push(k);
    })?;
    if let Some(missing) = needed.iter().find(|c| !headers.iter().any(|h| h == *c)) {
        notes.push(format!(
            "cost: cost.csv has no {missing} column; cost chart skipped"
        ));
        return Ok(None);
    }
    for ((name, bad), empty) in numeric.iter().zip(bad).zip(empty) {
        if let Some((line, cell)) = bad.or(empty.map(|line| (line, String::new()))) {
            return Err(PlotError::Csv {
                path: path.clone(),
                line,
                message: format!("column `{name}`: `{cell}` is not a number"),
            });
        }
    }
    let [hours, compute, idle, storage] = numbers;
    let caps: Vec<&str> = cap_of.iter().map(|&k| distinct[k].as_str()).collect();
    let last = hours.iter().copied().fold(0.0, f64::max) as usize;
    let mut names: Vec<String> = distinct.clone();
    names.sort();
    names.dedup();
    // Per hour: cost by capacity, then idle.
    let mut per: Vec<Vec<f64>> = vec![vec![0.0; last + 1]; names.len() + 1];
    for k in 0..hours.len() {
        let h = hours[k] as usize;
        let c = names.iter().position(|n| *n == caps[k]).unwrap_or(0);
        per[c][h] += compute[k] + idle[k] + storage[k];
        per[names.len()][h] += idle[k];
    }
    // The cost of hour h has accrued by its end.
    let cumulative = |v: &[f64]| -> Vec<(f64, f64)> {
        let mut sum = 0.0;
        std::iter::once((0.0, 0.0))
            .chain(v.iter().enumerate().map(|(h, x)| {
                sum += x;
                ((h + 1) as f64, sum)
            }))
            .collect()
    };
    let mut p = clock.panel(0.0, "cost (USD, cumulative)");
    p.caption = Some("cost by capacity, stacked: the top of the stack is the total".into());
    let mut below: Vec<(f64, f64)> = cumulative(&vec![0.0; last + 1]);
    for (i, label) in names.iter().enumerate() {
        let own = cumulative(&per[i]);
        let top: Vec<(f64, f64)> = below
            .iter()
            .zip(&own)
            .map(|(b, o)| (b.0, b.1 + o.1))
            .collect();
        p.bands.push(Band {
            color: i,
            points: below
                .iter()
                .zip(&top)
                .map(|(b, t)| (b.0, b.1, t.1))
                .collect(),
            alpha: 0.45,
            label: Some(label.clone()),
        });
        p.lines.push(Line::solid(String::new(), i, top.clone()));
        below = top;
    }
    p.lines.push(Line::dashed(
        "idle EC2, all capacities (reserved by no task)",
        names.len(),
        cumulative(&per[names.len()]),
    ));
    let total = below.last().map_or(0.0, |p| p.1);
    p.lines.push(Line {
        label: format!("total: ${total:.2}"),
        color: 7,
        ..Line::dashed("", 7, below)
    });
    Ok(Some(Chart {
        title: format!("{name}: cumulative cost"),
        panels: vec![p],
    }))
}
#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Columns {
        Columns::parse(Path::new("timeseries.csv"), text, plotted).unwrap()
    }

    /// `running_steps` of `groups` over the task log `text`.
    fn steps(text: &str, groups: &[&str]) -> Result<Option<Vec<Steps>>, PlotError> {
        running_steps(Path::new("tasks.csv"), text.as_bytes(), groups)
    }

    #[test]
    fn groups_need_all_three_states() {
        let t = table("time_s,a.pending,a.running,a.stopping,b.running,a.b.pending,a.b.running,a.b.stopping\n");
        assert_eq!(groups(&t), vec!["a", "a.b"]);
    }

    #[test]
    fn notices_where_the_cumulative_count_grows() {
        // (hours, cumulative count) -> marks at 1 and 3 (2 -> 2 adds none).
        let h = [0.0, 1.0, 2.0, 3.0];
        assert_eq!(notice_times(&h, &[0.0, 2.0, 2.0, 3.0]), vec![1.0, 3.0]);
        assert_eq!(notice_times(&h, &[1.0, 1.0, 1.0, 1.0]), vec![0.0]);
        assert!(notice_times(&h, &[0.0; 4]).is_empty());
    }

    #[test]
    fn demand_and_capacity_columns_pair_by_name() {
        assert_eq!(prefix("demand_rps", "demand_rps"), Some(""));
        assert_eq!(prefix("web.demand_rps", "demand_rps"), Some("web"));
        assert_eq!(prefix("webdemand_rps", "demand_rps"), None);
        let t = table("time_s,web.demand_rps,web.served_rps,demand_x\n0,1,1,9\n60,3,2,9\n");
        let clock = Clock { start: None };
        let c = demand_chart(&t, &Arc::from([0.0, 1.0 / 60.0]), "x", clock)
            .unwrap()
            .unwrap();
        let p = &c.panels[0];
        let lines = &p.lines;
        assert_eq!(lines.len(), 2);
        assert_eq!(
            (lines[0].label.as_str(), lines[0].dashed),
            ("web demand", false)
        );
        assert_eq!(
            (lines[1].label.as_str(), lines[1].dashed),
            ("web served", true)
        );
        assert_eq!(lines[0].color, lines[1].color);
        // The request not served in the second minute (3 asked, 2 served)
        // is shaded, from served up to demand.
        assert_eq!(p.bands.len(), 1);
        assert_eq!(
            p.bands[0].points,
            vec![(0.0, 1.0, 1.0), (1.0 / 60.0, 2.0, 3.0)]
        );
        assert_eq!(p.bands[0].label.as_deref(), Some("web requests not served"));
    }

    #[test]
    fn no_demand_column_no_chart() {
        let t = table("time_s,x\n0,1\n");
        assert!(
            demand_chart(&t, &Arc::from([0.0]), "x", Clock { start: None })
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn the_zoom_covers_the_spike_or_the_shortfall() {
        // 100 samples at 100 rps, a rise to 300 at 40 (over two samples),
        // back to 100 at 70: from 40 (the sharpest rise, +100%) to 70, with
        // 30 samples of margin.
        let mut d = vec![100.0; 100];
        d[40] = 200.0;
        for v in &mut d[41..70] {
            *v = 300.0;
        }
        assert_eq!(spike_window(&d, None), Some((10, 99)));
        // A gentle curve has no spike; then the longest shortfall counts.
        let d: Vec<f64> = (0..200).map(|i| 100.0 + i as f64 * 0.5).collect();
        assert_eq!(spike_window(&d, None), None);
        let mut s = d.clone();
        for v in &mut s[100..110] {
            *v -= 10.0;
        }
        s[20] -= 5.0;
        assert_eq!(spike_window(&d, Some(&s)), Some((70, 139)));
    }

    #[test]
    fn running_counts_and_shortfalls_from_the_task_log() {
        // Two tasks of web from 10 s; one killed at 100 s, its replacement
        // RUNNING at 130 s; a job task that does not count.
        let log = "group,running_s,stopping_s,stopped_s\n\
             service:web,10,,\n\
             service:web,10,100,100\n\
             service:web,130,,\n\
             job:etl,5,,\n\
             service:web,,,50\n";
        let run = steps(log, &["web"]).unwrap().unwrap().remove(0);
        assert_eq!(run, vec![(10.0, 2.0), (100.0, 1.0), (130.0, 2.0)]);
        assert_eq!(value_at(&run, 5.0), 0.0);
        assert_eq!(value_at(&run, 100.0), 1.0);
        // Desired 2 from 0: the start-up (0 to 10 s) is no shortfall; the
        // kill is: 30 s, one task missing, begun with a task lost.
        let desired = vec![(0.0, 2.0)];
        let eps = episodes(&run, &desired, 200.0);
        assert_eq!(
            eps,
            vec![Episode {
                start: 100.0,
                end: 130.0,
                missing: 30.0,
                worst: 1.0,
                lost: true
            }]
        );
        // A desired count raised to 3 at 150 s and never reached.
        let eps = episodes(&run, &[(0.0, 2.0), (150.0, 3.0)], 200.0);
        assert_eq!(eps.len(), 2);
        assert_eq!(
            (eps[1].start, eps[1].end, eps[1].lost),
            (150.0, 200.0, false)
        );
        // A task log without the columns: no exact count.
        assert!(steps("group\nservice:web\n", &["web"]).unwrap().is_none());
    }

    #[test]
    fn the_task_log_is_read_for_the_services_asked_for_only() {
        // Columns in another order; rows of other groups, even malformed
        // ones (too short, text where a time goes), are passed over.
        let log = "task_id,running_s,group,stopped_s,stopping_s,stop_reason\n\
             0,10,service:web,,,\n\
             1,oops,job:etl\n\
             2,20,service:api,40,30,done\n\
             3,15,service:web,90,80,scaled in\r\n\
             4,16,service:webx,,,\n";
        let got = steps(log, &["web", "api"]).unwrap().unwrap();
        assert_eq!(got[0], vec![(10.0, 1.0), (15.0, 2.0), (80.0, 1.0)]);
        assert_eq!(got[1], vec![(20.0, 1.0), (30.0, 0.0)]);
        // A row of a service asked for must be whole and hold numbers.
        let e = steps(log, &["job:etl"]).unwrap().unwrap();
        assert!(e[0].is_empty(), "`job:etl` is not a service's group");
        let bad = "group,running_s,stopping_s,stopped_s\nservice:web,1,,\nservice:web,x,,\n";
        let e = steps(bad, &["web"]).unwrap_err().to_string();
        assert_eq!(
            e,
            "tasks.csv, line 3: column `running_s`: `x` is not a number"
        );
        let short = "group,running_s,stopping_s,stopped_s\nservice:web,1,\n";
        let e = steps(short, &["web"]).unwrap_err().to_string();
        assert_eq!(e, "tasks.csv, line 2: 3 fields where the header has 4");
    }

    #[test]
    fn task_log_times_read_as_numbers_whatever_their_spelling() {
        // Plain decimals (the fast path) and what only `str::parse` reads
        // (an exponent, spaces around): the same times; short rows of
        // other groups are passed over, of the services asked for not.
        let log = "group,running_s,stopping_s,stopped_s\n\
             service:web,1.5,,\n\
             service:web, 2 ,1e1,\n\
             job:etl,3\n\
             service:web,4.000,,20\n";
        let got = steps(log, &["web"]).unwrap().unwrap().remove(0);
        assert_eq!(
            got,
            vec![(1.5, 1.0), (2.0, 2.0), (4.0, 3.0), (10.0, 2.0), (20.0, 1.0)]
        );
        let e = steps(&log.replace("job:etl", "service:web"), &["web"])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "tasks.csv, line 4: 2 fields where the header has 4");
    }

    #[test]
    fn quoted_fields_in_the_task_log_are_parsed_as_csv() {
        // From the first quote on, the CSV reader takes over: commas and a
        // line break inside quotes, and the line numbers still right.
        let log = "group,stop_reason,running_s,stopping_s,stopped_s\n\
             service:web,,1,,\n\
             job:etl,\"a, b\",2,3,3\n\
             service:web,\"scaled in,\nby the scheduler\",5,7,8\n\
             service:web,,9,,\n\
             service:web,,bad,,\n";
        let e = steps(log, &["web"]).unwrap_err().to_string();
        assert_eq!(
            e,
            "tasks.csv, line 7: column `running_s`: `bad` is not a number"
        );
        let good = log.replace("bad", "11");
        let got = steps(&good, &["web"]).unwrap().unwrap().remove(0);
        assert_eq!(
            got,
            vec![(1.0, 1.0), (5.0, 2.0), (7.0, 1.0), (9.0, 2.0), (11.0, 3.0)]
        );
    }

    #[test]
    fn the_zoom_steps_exactly_at_the_task_log_times() {
        // The quickstart's 08:00 scale-out: web from 6 to 12 tasks, the
        // last RUNNING at 28,829.091 s; times that hours cannot hold
        // exactly must still step there, not slope to the next point.
        let running = vec![
            (10.0, 6.0),
            (28_801.664, 7.0),
            (28_812.671, 11.0),
            (28_829.091, 12.0),
        ];
        let desired = vec![(0.0, 6.0), (28_800.0, 12.0)];
        let short = Shortfalls {
            episodes: vec![episodes(&running, &desired, 86_400.0)],
            services: vec![("web".into(), 0, running, desired)],
        };
        let p = zoom_panel(&short, Clock { start: None }).unwrap();
        let pts = p.lines[0].points.to_vec();
        let h = 28_829.091 / 3600.0;
        let at = pts.iter().position(|q| q.0 == h).unwrap();
        assert_eq!((pts[at].1, pts[at + 1]), (11.0, (h, 12.0)));
        assert_eq!(pts[at - 1].1, 11.0, "flat at 11 up to the step");
        assert!(p
            .caption
            .unwrap()
            .contains("6 tasks missing at worst, 29 s below desired"));
    }

    #[test]
    fn sampled_drops_are_dated_early_and_rises_late() {
        // Samples a minute apart: 6, 8, 7. The rise to 8 is dated at 60 s,
        // the drop to 7 just after 60 s.
        let s = sampled_steps(
            &[0.0, 1.0 / 60.0, 2.0 / 60.0],
            &Values::from(&[6.0, 8.0, 7.0][..]),
        );
        assert_eq!(s, vec![(0.0, 6.0), (60.0, 8.0), (60.001, 7.0)]);
        // Runs: the drop after a long run is dated just after its last
        // sample; a column longer than the hours stops with them.
        let hours: Vec<f64> = (0..6).map(|i| f64::from(i) / 60.0).collect();
        let ys = Values::from(&[2.0, 2.0, 5.0, 5.0, 5.0, 1.0, 9.0][..]);
        let s = sampled_steps(&hours, &ys);
        let t = |i: i32| f64::from(i) / 60.0 * 3600.0;
        assert_eq!(s, vec![(0.0, 2.0), (t(2), 5.0), (t(4) + 1e-3, 1.0)]);
    }

    #[test]
    fn the_clock_labels_the_axis() {
        let c = Clock {
            start: parse_utc_datetime("2026-11-26T00:00:00Z"),
        };
        assert_eq!(c.label(0.0), "time (UTC), from Thu 26 Nov 2026 00:00");
        assert_eq!(c.label(34.25), "time (UTC), from Fri 27 Nov 2026 10:15");
        assert_eq!(c.at(34.25, true), "Fri 27 Nov 10:15");
        let none = Clock { start: None };
        assert_eq!(none.label(0.0), "time since the start (h)");
    }

    #[test]
    fn cost_is_stacked_by_capacity_under_the_total() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("cost.csv"),
            "hour,owner,capacity,compute_usd,idle_usd,storage_usd\n0,web,ec2-spot,1.0,0.5,0\n1,web,ec2-spot,2.0,0,0.5\n1,job,FARGATE,1.0,0,0\n",
        )
        .unwrap();
        let mut notes = Vec::new();
        let clock = Clock { start: None };
        let c = cost_chart(d.path(), "x", clock, &mut notes)
            .unwrap()
            .unwrap();
        let p = &c.panels[0];
        // Capacities sorted: FARGATE at the bottom, ec2-spot on top of it.
        assert_eq!(p.bands.len(), 2);
        assert_eq!(p.bands[0].label.as_deref(), Some("FARGATE"));
        assert_eq!(
            p.bands[0].points,
            vec![(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (2.0, 0.0, 1.0)]
        );
        assert_eq!(
            p.bands[1].points,
            vec![(0.0, 0.0, 0.0), (1.0, 0.0, 1.5), (2.0, 1.0, 5.0)]
        );
        // Idle, then the total dashed along the top of the stack.
        let idle = &p.lines[2];
        assert!(idle.dashed);
        assert_eq!(idle.points, vec![(0.0, 0.0), (1.0, 0.5), (2.0, 0.5)]);
        let total = p.lines.last().unwrap();
        assert!(total.dashed);
        assert_eq!(total.label, "total: $5.00");
        assert_eq!(total.points, vec![(0.0, 0.0), (1.0, 1.5), (2.0, 5.0)]);
        assert!(notes.is_empty());
        // A bad number names its line, column by column as in the file's
        // table: text before an empty cell of the same column.
        let header = "hour,owner,capacity,compute_usd,idle_usd,storage_usd\n";
        let bad =
            format!("{header}0,web,ec2-spot,1,,0\n1,web,ec2-spot,1,x,0\n2,web,ec2-spot,y,0,0\n");
        std::fs::write(d.path().join("cost.csv"), bad).unwrap();
        let e = cost_chart(d.path(), "x", clock, &mut notes).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("cost.csv, line 4: column `compute_usd`: `y` is not a number"),
            "{e}"
        );
        let bad = format!("{header}0,web,ec2-spot,1,,0\n1,web,ec2-spot,1,x,0\n");
        std::fs::write(d.path().join("cost.csv"), bad).unwrap();
        let e = cost_chart(d.path(), "x", clock, &mut notes).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("cost.csv, line 3: column `idle_usd`: `x` is not a number"),
            "{e}"
        );
        let bad = format!("{header}0,web,ec2-spot,1,,0\n1,web,ec2-spot,1,2\n");
        std::fs::write(d.path().join("cost.csv"), bad).unwrap();
        let e = cost_chart(d.path(), "x", clock, &mut notes).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("cost.csv, line 3: 5 fields where the header has 6"),
            "{e}"
        );
        std::fs::write(d.path().join("cost.csv"), "instance,usd\ni-1,3\n").unwrap();
        assert!(cost_chart(d.path(), "x", clock, &mut notes)
            .unwrap()
            .is_none());
        assert_eq!(notes.len(), 1);
    }
}
