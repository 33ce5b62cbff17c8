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
use crate::sim::{SimDuration, SimTime};
use crate::workload::TraceRecord;

/// Reads a trace into records sorted by time. Errors name the file and line.
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
                    rec.get(idx[k])
                        .unwrap_or("")
                        .parse::<f64>()
                        .map_err(|_| at_line(line, format!("`{}` is not a number", need[k])))
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
                    cpu: cpu.map(|c| (c / 100.0 * 1024.0).round().max(1.0) as u32),
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
            for (line, rec) in file.rows() {
                let get = |c: Option<usize>, name: &str| -> Result<Option<f64>, String> {
                    match c.and_then(|c| rec.get(c)) {
                        None | Some("") => Ok(None),
                        Some(s) => match s.parse::<f64>() {
                            Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
                            _ => Err(at_line(
                                line,
                                format!("`{name}` must be a non-negative number, found \"{s}\""),
                            )),
                        },
                    }
                };
                let at = get(Some(arrival), "arrival_s")?
                    .ok_or_else(|| at_line(line, "`arrival_s` is empty".into()))?;
                out.push(TraceRecord {
                    at: SimTime::ZERO + SimDuration::from_secs_f64(at),
                    duration: get(dur, "duration_s")?.map(SimDuration::from_secs_f64),
                    cpu: get(cpu, "cpu")?.map(|c| c as u32),
                    memory: get(mem, "memory")?.map(|m| m as u32),
                    count: get(count, "count")?.map_or(1, |c| c.max(1.0) as u32),
                });
            }
        }
    }
    out.sort_by_key(|r| r.at);
    Ok(out)
}
