//! Reading arrival traces for batch jobs (ECS-MODEL W2).
//!
//! Formats:
//! * `csv`: a header with `arrival_s` (seconds from the start, required) and
//!   optionally `duration_s`, `cpu` (units), `memory` (MiB), `count`.
//! * `alibaba-v2017`: the `batch_task` table of Alibaba's cluster-trace-v2017
//!   (`create_timestamp, modify_timestamp, job_id, task_id, instance_num,
//!   status, plan_cpu, plan_mem`). Rows with status `Terminated` become one
//!   arrival at `create − first create`, running `modify − create` seconds
//!   (at least 1 s), with `plan_cpu / 100 × 1024` CPU units (100 = 1 core);
//!   `plan_mem` is normalised, so memory comes from the task definition.
//!   The trace is not redistributable: point `path` at your own copy.

use std::path::Path;

use super::csvfile::CsvFile;
use super::limits::MAX_TRACE_COUNT;
use crate::sim::{SimDuration, SimTime};
use crate::workload::TraceRecord;

/// Largest time in a trace, seconds (about 31 years).
const MAX_SECONDS: f64 = 1e9;
/// Largest CPU units or MiB of one traced task (fits `u32`).
const MAX_SIZE: f64 = 1e9;

/// Reads a trace into records sorted by time (a `csv` trace must be sorted
/// already; an unsorted one is refused with the line, since it is usually a
/// file cut or pasted wrongly). Errors name the file and line. Errors name the file and line.
pub(crate) fn read(path: &Path, format: &str) -> Result<Vec<TraceRecord>, String> {
    let file = CsvFile::read(path)?;
    let col = |name: &str| file.col(name);
    let mut out = Vec::new();
    let at_line = |line: usize, msg: String| file.at(line, msg);
    match format {
        "alibaba-v2017" => {
            let need = ["create_timestamp", "modify_timestamp", "status", "plan_cpu"];
            let idx: Vec<usize> = need
                .iter()
                .map(|n| col(n).ok_or_else(|| at_line(1, format!("missing column `{n}`"))))
                .collect::<Result<_, _>>()?;
            let mut rows = Vec::new();
            for (line, rec) in file.rows() {
                if rec.get(idx[2]) != Some("Terminated") {
                    continue;
                }
                let num = |k: usize| -> Result<f64, String> {
                    match rec.get(idx[k]).unwrap_or("").parse::<f64>() {
                        Ok(v) if v.is_finite() && v.abs() <= MAX_SECONDS => Ok(v),
                        _ => Err(at_line(
                            line,
                            format!(
                                "`{}` is not a number of seconds from 0 to {MAX_SECONDS:e}",
                                need[k]
                            ),
                        )),
                    }
                };
                let (create, modify) = (num(0)?, num(1)?);
                let cpu = match rec.get(idx[3]) {
                    Some("") | None => None,
                    Some(_) => Some(num(3)?),
                };
                rows.push((create, modify, cpu));
            }
            let first = rows.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
            for (create, modify, cpu) in rows {
                out.push(TraceRecord {
                    at: SimTime::ZERO + SimDuration::from_secs_f64(create - first),
                    duration: Some(SimDuration::from_secs_f64((modify - create).max(1.0))),
                    cpu: cpu.map(|c| (c / 100.0 * 1024.0).round().clamp(1.0, MAX_SIZE) as u32),
                    memory: None,
                    count: 1,
                });
            }
        }
        _ => {
            let arrival =
                col("arrival_s").ok_or_else(|| at_line(1, "missing column `arrival_s`".into()))?;
            let (dur, cpu, mem, count) =
                (col("duration_s"), col("cpu"), col("memory"), col("count"));
            let mut last: Option<(f64, usize)> = None;
            for (line, rec) in file.rows() {
                let get = |c: Option<usize>, name: &str, max: f64| -> Result<Option<f64>, String> {
                    match c.and_then(|c| rec.get(c)) {
                        None | Some("") => Ok(None),
                        Some(s) => match s.parse::<f64>() {
                            Ok(v) if v.is_finite() && (0.0..=max).contains(&v) => Ok(Some(v)),
                            _ => Err(at_line(
                                line,
                                format!("`{name}` must be a non-negative number, found \"{s}\" (at most {max:e})"),
                            )),
                        },
                    }
                };
                let at = get(Some(arrival), "arrival_s", MAX_SECONDS)?
                    .ok_or_else(|| at_line(line, "`arrival_s` is empty".into()))?;
                if let Some((prev, prev_line)) = last {
                    if at < prev {
                        return Err(at_line(
                            line,
                            format!("the trace is not sorted by `arrival_s`: {at} comes after {prev} (line {prev_line}); sort the file by arrival time"),
                        ));
                    }
                }
                last = Some((at, line));
                let cpu = get(cpu, "cpu", MAX_SIZE)?;
                let memory = get(mem, "memory", MAX_SIZE)?;
                if cpu == Some(0.0) && memory == Some(0.0) {
                    return Err(at_line(
                        line,
                        "a task with `cpu` = 0 and `memory` = 0 reserves nothing (ECS refuses a task without CPU and memory); leave a cell empty to take the task definition's size".into(),
                    ));
                }
                let count = get(count, "count", MAX_TRACE_COUNT as f64)?;
                if count.is_some_and(|c| c.fract() != 0.0 || c < 1.0) {
                    return Err(at_line(
                        line,
                        format!(
                            "`count` must be a whole number of tasks from 1 to {MAX_TRACE_COUNT}"
                        ),
                    ));
                }
                out.push(TraceRecord {
                    at: SimTime::ZERO + SimDuration::from_secs_f64(at),
                    duration: get(dur, "duration_s", MAX_SECONDS)?.map(SimDuration::from_secs_f64),
                    cpu: cpu.map(|c| c.round() as u32),
                    memory: memory.map(|m| m.round() as u32),
                    count: count.map_or(1, |c| c as u32),
                });
            }
        }
    }
    if out.is_empty() {
        return Err(match format {
            "alibaba-v2017" => file.at(
                1,
                "the trace has no rows with status `Terminated`, so no arrivals",
            ),
            _ => file.at(1, "the trace has a header but no rows, so no arrivals"),
        });
    }
    out.sort_by_key(|r| r.at);
    Ok(out)
}
