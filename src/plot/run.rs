//! Charts of one run folder, from the files `ecsim run` writes.
//!
//! From `timeseries.csv` (one row per sampled minute; `time_s` required,
//! every other column optional and found by name):
//!
//! * `tasks` — top: each reporting group's RUNNING tasks (`G.running`, for
//!   every `G` with `G.pending`, `G.running` and `G.stopping` columns), and
//!   a service's desired count (`G.desired`) as a dashed line of the same
//!   colour; bottom: PENDING, RUNNING and STOPPING summed over the groups.
//! * `instances` — `instances_registering`, `_active`, `_draining`,
//!   `_in_use` and `_spot` over time; every minute in which the cumulative
//!   `interruptions` column grows is marked with a vertical dashed line.
//! * `reservation` — `cpu_reservation_pct` and `memory_reservation_pct`.
//!
//! Drawn only when the data is there (newer engines write it; older
//! folders are plotted without them, silently):
//!
//! * `demand` — for each service with demand, `NAME.demand_rps` (solid) and
//!   `NAME.served_rps` (dashed, same colour), requests per second.
//! * `cost` — from `cost.csv` (the ledger: `hour, owner, capacity,
//!   compute_usd, idle_usd, storage_usd`): the cumulative cost per capacity
//!   (`ec2-on-demand`, `ec2-spot`, `FARGATE`, ...), the cumulative idle EC2
//!   cost, and the total. A `cost.csv` of another shape is skipped with a note.
//!
//! Depends on the file formats only (see the module above).

use std::path::Path;

use super::chart::{Chart, Line, Markers, Panel, MARKER_COLOR};
use super::table::Table;
use super::{save, Format, Kind, PlotError, Report};

/// Draws every chart the run folder `dir` has data for into `out`.
pub fn plot(dir: &Path, out: &Path, format: Format) -> Result<Report, PlotError> {
    let ts = Table::read(&dir.join("timeseries.csv"))?;
    let hours: Vec<f64> = ts
        .numbers_of("time_s")?
        .into_iter()
        .map(|s| s / 3600.0)
        .collect();
    let name = run_name(dir);
    let mut report = Report {
        kind: Kind::Run,
        written: Vec::new(),
        notes: Vec::new(),
    };
    let mut charts: Vec<(&str, Chart)> = Vec::new();
    match tasks_chart(&ts, &hours, &name)? {
        Some(c) => charts.push(("tasks", c)),
        None => report
            .notes
            .push("tasks: no GROUP.pending/.running/.stopping columns in timeseries.csv".into()),
    }
    match instances_chart(&ts, &hours, &name)? {
        Some(c) => charts.push(("instances", c)),
        None => report
            .notes
            .push("instances: no instances_* columns in timeseries.csv".into()),
    }
    match reservation_chart(&ts, &hours, &name)? {
        Some(c) => charts.push(("reservation", c)),
        None => report
            .notes
            .push("reservation: no *_reservation_pct columns in timeseries.csv".into()),
    }
    if let Some(c) = demand_chart(&ts, &hours, &name)? {
        charts.push(("demand", c));
    }
    if let Some(c) = cost_chart(dir, &name, &mut report.notes)? {
        charts.push(("cost", c));
    }
    for (stem, chart) in &charts {
        save(out, stem, chart, format, &mut report.written)?;
    }
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

/// `(x, y)` pairs of the hours and a column.
fn series(hours: &[f64], ys: &[f64]) -> Vec<(f64, f64)> {
    hours.iter().copied().zip(ys.iter().copied()).collect()
}

/// The reporting groups: names `G` with `G.pending`, `G.running` and
/// `G.stopping` columns, in header order.
pub fn groups(ts: &Table) -> Vec<String> {
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

const TIME: &str = "time (h)";

fn tasks_chart(ts: &Table, hours: &[f64], name: &str) -> Result<Option<Chart>, PlotError> {
    let groups = groups(ts);
    if groups.is_empty() {
        return Ok(None);
    }
    let mut by_group = Panel::new(TIME, "tasks");
    by_group.caption = Some("RUNNING tasks by group; a service's desired count dashed".into());
    let n = hours.len();
    let mut totals = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
    for (i, g) in groups.iter().enumerate() {
        let running = ts.numbers_of(&format!("{g}.running"))?;
        by_group.lines.push(Line::solid(
            format!("{g} running"),
            i,
            series(hours, &running),
        ));
        if ts.find(&format!("{g}.desired")).is_some() {
            let desired = ts.numbers_of(&format!("{g}.desired"))?;
            by_group.lines.push(Line::dashed(
                format!("{g} desired"),
                i,
                series(hours, &desired),
            ));
        }
        for (total, state) in totals.iter_mut().zip(["pending", "running", "stopping"]) {
            let v = ts.numbers_of(&format!("{g}.{state}"))?;
            for (t, x) in total.iter_mut().zip(v) {
                *t += x;
            }
        }
    }
    let mut by_state = Panel::new(TIME, "tasks");
    by_state.caption = Some("all groups by state".into());
    for ((total, state), color) in totals
        .iter()
        .zip(["PENDING", "RUNNING", "STOPPING"])
        .zip([1, 2, 3])
    {
        by_state
            .lines
            .push(Line::solid(state, color, series(hours, total)));
    }
    Ok(Some(Chart {
        title: format!("{name}: tasks"),
        panels: vec![by_group, by_state],
    }))
}

fn instances_chart(ts: &Table, hours: &[f64], name: &str) -> Result<Option<Chart>, PlotError> {
    let columns = [
        ("instances_registering", "REGISTERING", 1),
        ("instances_active", "ACTIVE", 0),
        ("instances_draining", "DRAINING", 4),
        ("instances_in_use", "in use (running a task)", 2),
        ("instances_spot", "spot", 9),
    ];
    let mut p = Panel::new(TIME, "container instances");
    for (column, label, color) in columns {
        if ts.find(column).is_some() {
            let v = ts.numbers_of(column)?;
            // Several states are often zero all along and hide one another
            // on the axis: say so in the legend.
            let label = if v.iter().all(|&x| x == 0.0) {
                format!("{label} (none)")
            } else {
                label.to_string()
            };
            p.lines.push(Line::solid(label, color, series(hours, &v)));
        }
    }
    if p.lines.is_empty() {
        return Ok(None);
    }
    if ts.find("interruptions").is_some() {
        let cumulative = ts.numbers_of("interruptions")?;
        let xs = notice_times(hours, &cumulative);
        if !xs.is_empty() {
            let total = cumulative.last().copied().unwrap_or(0.0);
            p.markers = Some(Markers {
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

fn reservation_chart(ts: &Table, hours: &[f64], name: &str) -> Result<Option<Chart>, PlotError> {
    let mut p = Panel::new(TIME, "reserved (% of registered)");
    p.y_include = vec![0.0, 100.0];
    for (column, label, color) in [
        ("cpu_reservation_pct", "CPU", 0),
        ("memory_reservation_pct", "memory", 1),
    ] {
        if ts.find(column).is_some() {
            let v = ts.numbers_of(column)?;
            p.lines.push(Line::solid(label, color, series(hours, &v)));
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

fn demand_chart(ts: &Table, hours: &[f64], name: &str) -> Result<Option<Chart>, PlotError> {
    let demand: Vec<(&str, &str)> = ts
        .headers
        .iter()
        .filter_map(|h| prefix(h, "demand_rps").map(|p| (p, h.as_str())))
        .collect();
    if demand.is_empty() {
        return Ok(None);
    }
    let mut p = Panel::new(TIME, "requests per second");
    for (i, (_, column)) in demand.iter().enumerate() {
        let v = ts.numbers_of(column)?;
        p.lines.push(Line::solid(*column, i, series(hours, &v)));
    }
    for h in &ts.headers {
        if let Some(pre) = prefix(h, "served_rps") {
            let color = demand
                .iter()
                .position(|(d, _)| *d == pre)
                .unwrap_or(demand.len() + p.lines.len());
            let v = ts.numbers_of(h)?;
            p.lines
                .push(Line::dashed(h.as_str(), color, series(hours, &v)));
        }
    }
    Ok(Some(Chart {
        title: format!("{name}: demand and served requests"),
        panels: vec![p],
    }))
}

fn cost_chart(dir: &Path, name: &str, notes: &mut Vec<String>) -> Result<Option<Chart>, PlotError> {
    let path = dir.join("cost.csv");
    if !path.is_file() {
        return Ok(None);
    }
    let t = Table::read(&path)?;
    let needed = [
        "hour",
        "owner",
        "capacity",
        "compute_usd",
        "idle_usd",
        "storage_usd",
    ];
    if let Some(missing) = needed.iter().find(|c| t.find(c).is_none()) {
        notes.push(format!(
            "cost: cost.csv has no {missing} column; cost chart skipped"
        ));
        return Ok(None);
    }
    let hours = t.numbers_of("hour")?;
    let caps: Vec<String> = t
        .strings(t.column("capacity")?)
        .into_iter()
        .map(str::to_string)
        .collect();
    let compute = t.numbers_of("compute_usd")?;
    let idle = t.numbers_of("idle_usd")?;
    let storage = t.numbers_of("storage_usd")?;
    let last = hours.iter().copied().fold(0.0, f64::max) as usize;
    let mut names: Vec<String> = caps.clone();
    names.sort();
    names.dedup();
    // Per hour: cost by capacity, idle, total.
    let mut per: Vec<Vec<f64>> = vec![vec![0.0; last + 1]; names.len() + 2];
    for k in 0..hours.len() {
        let h = hours[k] as usize;
        let c = names.iter().position(|n| *n == caps[k]).unwrap_or(0);
        let sum = compute[k] + idle[k] + storage[k];
        per[c][h] += sum;
        per[names.len()][h] += idle[k];
        per[names.len() + 1][h] += sum;
    }
    let mut labels = names.clone();
    labels.push("idle EC2".into());
    labels.push("total".into());
    let mut p = Panel::new(TIME, "cost (USD, cumulative)");
    for (i, (label, v)) in labels.iter().zip(&per).enumerate() {
        let mut sum = 0.0;
        // The cost of hour h has accrued by its end.
        let pts: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
            .chain(v.iter().enumerate().map(|(h, x)| {
                sum += x;
                ((h + 1) as f64, sum)
            }))
            .collect();
        if label == "idle EC2" {
            p.lines.push(Line::dashed(label.as_str(), i, pts));
        } else {
            p.lines.push(Line::solid(label.as_str(), i, pts));
        }
    }
    Ok(Some(Chart {
        title: format!("{name}: cumulative cost"),
        panels: vec![p],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        Table::parse(Path::new("timeseries.csv"), text).unwrap()
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
        let t = table("time_s,web.demand_rps,web.served_rps,demand_x\n0,1,2,9\n60,3,4,9\n");
        let c = demand_chart(&t, &[0.0, 1.0 / 60.0], "x").unwrap().unwrap();
        let lines = &c.panels[0].lines;
        assert_eq!(lines.len(), 2);
        assert_eq!(
            (lines[0].label.as_str(), lines[0].dashed),
            ("web.demand_rps", false)
        );
        assert_eq!(
            (lines[1].label.as_str(), lines[1].dashed),
            ("web.served_rps", true)
        );
        assert_eq!(lines[0].color, lines[1].color);
    }

    #[test]
    fn no_demand_column_no_chart() {
        let t = table("time_s,x\n0,1\n");
        assert!(demand_chart(&t, &[0.0], "x").unwrap().is_none());
    }

    #[test]
    fn cost_is_cumulative_by_capacity() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("cost.csv"),
            "hour,owner,capacity,compute_usd,idle_usd,storage_usd\n0,web,ec2-spot,1.0,0.5,0\n1,web,ec2-spot,2.0,0,0.5\n1,job,FARGATE,1.0,0,0\n",
        )
        .unwrap();
        let mut notes = Vec::new();
        let c = cost_chart(d.path(), "x", &mut notes).unwrap().unwrap();
        let lines = &c.panels[0].lines;
        // Capacities sorted: FARGATE, ec2-spot; then idle and total.
        assert_eq!(lines[0].points, vec![(0.0, 0.0), (1.0, 0.0), (2.0, 1.0)]);
        assert_eq!(lines[1].points, vec![(0.0, 0.0), (1.0, 1.5), (2.0, 4.0)]);
        assert_eq!(lines[2].points, vec![(0.0, 0.0), (1.0, 0.5), (2.0, 0.5)]);
        assert_eq!(lines[3].points, vec![(0.0, 0.0), (1.0, 1.5), (2.0, 5.0)]);
        assert!(notes.is_empty());
        std::fs::write(d.path().join("cost.csv"), "instance,usd\ni-1,3\n").unwrap();
        assert!(cost_chart(d.path(), "x", &mut notes).unwrap().is_none());
        assert_eq!(notes.len(), 1);
    }
}
