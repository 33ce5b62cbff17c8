//! `[[batchJobs]]`: streams of standalone tasks (RunTask) — task
//! definition, `arrivals` (Poisson, fixed interval or a trace file), task
//! durations, time window, placement, retry on interruption and capacity.
//! Read here; acts in engine/jobs.rs.

use std::path::Path;

use toml::Value;

use super::reader::{join, Reader};
use super::services::Context;
use super::values::{constraints, dist, strategies};
use crate::engine::{JobSpec, TaskDefSpec};
use crate::sim::{SimDuration, SimTime};
use crate::workload::{Arrivals, Dist};

/// One `[[batchJobs]]` entry; `tds` give a job's default `group`.
pub(crate) fn job(
    r: &mut Reader,
    v: &Value,
    path: &str,
    cx: &Context,
    tds: &[TaskDefSpec],
) -> Option<JobSpec> {
    let (dir, resolve_td, default_strategy, asg_names) =
        (cx.dir, cx.resolve_td, cx.default_strategy, cx.asg_names);
    let known = [
        "name",
        "taskDefinition",
        "group",
        "arrivals",
        "duration",
        "count",
        "start",
        "end",
        "placementStrategy",
        "placementConstraints",
        "retryOnInterruption",
        "launchType",
        "capacityProviderStrategy",
        "taskCrashes",
        "startFailures",
        "imagePullFailures",
    ];
    let t = r.table(v, path, &known, &[])?;
    let name = r.req_string(t, path, "name").unwrap_or_default();
    let td = resolve_td(r, t, path);
    let group = r
        .opt_string(t, path, "group")
        .or_else(|| {
            td.and_then(|id| tds.get(id.index()))
                .map(|s| format!("family:{}", s.def.family))
        })
        .unwrap_or_default();
    let count = r.opt_uint(t, path, "count", 10).unwrap_or(1) as u32;
    if count == 0 {
        r.err(
            &join(path, "count"),
            "expected 1 to 10 tasks per arrival (RunTask starts at most 10)",
        );
    }
    let start = SimTime::ZERO + r.opt_duration(t, path, "start").unwrap_or_default();
    let end = r.opt_duration(t, path, "end").map(|d| SimTime::ZERO + d);
    let arrivals = r
        .required(t, path, "arrivals")
        .and_then(|v| arrivals(r, v, &join(path, "arrivals"), dir));
    let duration = match t.get("duration") {
        Some(v) => dist(r, v, &join(path, "duration")),
        None if matches!(arrivals, Some(Arrivals::Trace(_))) => {
            Some(Dist::Constant(SimDuration::from_mins(5)))
        }
        None => {
            r.err(
                &join(path, "duration"),
                "missing required field (how long each task runs)",
            );
            None
        }
    };
    let capacity = super::capacity_strategy::capacity(r, t, path, default_strategy, asg_names);
    let strategies = strategies(r, t, path);
    let constraints = constraints(r, t, path);
    if capacity.is_fargate() && (!strategies.is_empty() || !constraints.is_empty()) {
        r.err(
            &join(path, "placementStrategy"),
            "Fargate tasks take no placement strategy or constraints (F1)",
        );
    }
    Some(JobSpec {
        name,
        task_def: td?,
        group,
        arrivals: arrivals?,
        duration: duration?,
        tasks_per_arrival: count.max(1),
        start,
        end,
        strategies,
        constraints,
        retry_on_interruption: r.opt_bool(t, path, "retryOnInterruption").unwrap_or(true),
        capacity,
        task_failures: super::task_failures::read(r, t, path, cx.dir, false),
    })
}

fn arrivals(r: &mut Reader, v: &Value, path: &str, dir: &Path) -> Option<Arrivals> {
    let t = r.table(
        v,
        path,
        &["type", "perHour", "interval", "path", "format"],
        &[],
    )?;
    let kind = r.required(t, path, "type")?;
    let kind = r.choice(kind, &join(path, "type"), &["poisson", "every", "trace"])?;
    match kind.as_str() {
        "poisson" => {
            let rate = r
                .required(t, path, "perHour")
                .and_then(|v| r.number(v, &join(path, "perHour")))?;
            if rate <= 0.0 {
                r.err(&join(path, "perHour"), "expected a rate above zero");
                return None;
            }
            Some(Arrivals::Poisson { per_hour: rate })
        }
        "every" => {
            let d = r
                .required(t, path, "interval")
                .and_then(|v| r.duration(v, &join(path, "interval")))?;
            if d.0 == 0 {
                r.err(&join(path, "interval"), "must be longer than zero");
                return None;
            }
            Some(Arrivals::Every { interval: d })
        }
        _ => {
            let file = r.req_string(t, path, "path")?;
            let format = match t.get("format") {
                Some(v) => r.choice(v, &join(path, "format"), &["csv", "alibaba-v2017"])?,
                None => "csv".to_string(),
            };
            let full = dir.join(&file);
            match super::trace::read(&full, &format) {
                Ok(records) => Some(Arrivals::Trace(records)),
                Err(e) => {
                    r.err(&join(path, "path"), e);
                    None
                }
            }
        }
    }
}
