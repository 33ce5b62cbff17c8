//! A service's `demand` (ECS-MODEL W1): constant, diurnal or a CSV trace
//! scaled to a peak, with step and spike events. Read here (called from
//! services.rs); acts in workload/demand.rs and engine/load.rs.
//!
//! ```toml
//! demand = { type = "diurnal", troughRps = 200, peakRps = 1200, peakHour = 14,
//!            taskCapacityRps = 60, events = [{ at = "2d10h", factor = 3, duration = "3h", ramp = "20m" }] }
//! demand = { type = "trace", path = "../data/nasa_http_requests_per_minute_1995.csv",
//!            peakRps = 800, offset = "3d", taskCapacityRps = 60 }
//! ```

use std::path::Path;

use toml::{Table, Value};

use super::csvfile::CsvFile;
use super::reader::{index, join, Reader};
use crate::sim::calendar::parse_instant;
use crate::sim::{SimDuration, SimTime};
use crate::workload::{Demand, DemandEvent, DemandShape};

/// Reads `demand` of a service.
pub(crate) fn read(r: &mut Reader, v: &Value, path: &str, dir: &Path) -> Option<Demand> {
    let known = [
        "type",
        "rps",
        "troughRps",
        "peakRps",
        "peakHour",
        "path",
        "column",
        "offset",
        "taskCapacityRps",
        "events",
    ];
    let t = r.table(v, path, &known, &[])?;
    let kind = r.required(t, path, "type")?;
    let kind = r.choice(kind, &join(path, "type"), &["constant", "diurnal", "trace"])?;
    let positive = |r: &mut Reader, t: &Table, key: &str| -> Option<f64> {
        let x = r
            .required(t, path, key)
            .and_then(|v| r.number(v, &join(path, key)))?;
        if x < 0.0 {
            r.err(&join(path, key), "expected a rate of zero or more");
            return None;
        }
        Some(x)
    };
    let shape = match kind.as_str() {
        "constant" => DemandShape::Constant {
            rps: positive(r, t, "rps")?,
        },
        "diurnal" => {
            let trough = positive(r, t, "troughRps")?;
            let peak = positive(r, t, "peakRps")?;
            if peak < trough {
                r.err(&join(path, "peakRps"), "must be at least troughRps");
            }
            let hour = r.opt_number(t, path, "peakHour").unwrap_or(14.0);
            if !(0.0..24.0).contains(&hour) {
                r.err(
                    &join(path, "peakHour"),
                    "expected an hour of the day, 0 to below 24 (UTC)",
                );
            }
            DemandShape::Diurnal {
                trough_rps: trough,
                peak_rps: peak,
                peak_hour: hour,
            }
        }
        _ => {
            let file = r.req_string(t, path, "path")?;
            let peak = positive(r, t, "peakRps")?;
            let column = r.opt_string(t, path, "column");
            let offset = r.opt_duration(t, path, "offset").unwrap_or_default();
            match read_trace(&dir.join(&file), column.as_deref()) {
                Ok((points, period)) => DemandShape::Trace {
                    points,
                    period,
                    peak_rps: peak,
                    offset,
                },
                Err(e) => {
                    r.err(&join(path, "path"), e);
                    return None;
                }
            }
        }
    };
    let capacity = positive(r, t, "taskCapacityRps")?;
    if capacity == 0.0 {
        r.err(
            &join(path, "taskCapacityRps"),
            "expected the requests per second one task serves at 100% CPU, above zero",
        );
    }
    let mut events = Vec::new();
    let ep = join(path, "events");
    for (i, v) in r.list(t, path, "events").iter().enumerate() {
        let p = index(&ep, i);
        let Some(e) = r.table(v, &p, &["at", "factor", "duration", "ramp"], &[]) else {
            continue;
        };
        let at = r
            .required(e, &p, "at")
            .and_then(|v| r.duration(v, &join(&p, "at")));
        let factor = r
            .required(e, &p, "factor")
            .and_then(|v| r.number(v, &join(&p, "factor")));
        if factor.is_some_and(|f| f < 0.0) {
            r.err(&join(&p, "factor"), "expected a multiplier of zero or more");
        }
        let duration = r.opt_duration(e, &p, "duration");
        let ramp = r.opt_duration(e, &p, "ramp").unwrap_or_default();
        if let (Some(at), Some(factor)) = (at, factor) {
            let at = SimTime::ZERO + at;
            events.push(DemandEvent {
                at,
                until: duration.map(|d| at + d),
                factor,
                ramp,
            });
        }
    }
    Some(Demand {
        shape,
        events,
        task_capacity_rps: capacity,
    })
}

/// Reads a rate series: the first column a timestamp (`2014-04-10 00:04:00`,
/// `1995-07-01T00:00`, `2026-03-02T00:00:00.000+01:00`: anything
/// [`parse_instant`] reads, without an offset taken as UTC), the value in
/// `column` (default: the second column). Returns (offset, value) points
/// and the period of one repetition (last offset + the last step).
pub(crate) fn read_trace(
    path: &Path,
    column: Option<&str>,
) -> Result<(Vec<(SimDuration, f64)>, SimDuration), String> {
    let file = CsvFile::read(path)?;
    let c_value = match column {
        Some(c) => file.need(c)?,
        None => 1,
    };
    let mut raw: Vec<(i64, f64)> = Vec::new();
    for (line, rec) in file.rows() {
        let ts = rec.get(0).unwrap_or("");
        let t = parse_instant(ts).ok_or_else(|| {
            file.at(
                line,
                format!(
                    "expected a timestamp such as 2014-04-10 00:04:00 or \
                     2026-03-02T00:00:00.000Z, found \"{ts}\""
                ),
            )
        })?;
        let v = rec.get(c_value).unwrap_or("");
        let v: f64 = v
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite() && *x >= 0.0)
            .ok_or_else(|| {
                file.at(
                    line,
                    format!("expected a non-negative number, found \"{v}\""),
                )
            })?;
        raw.push((t, v));
    }
    if raw.len() < 2 {
        return Err(file.at(1, "a trace needs at least two rows"));
    }
    raw.sort_by_key(|p| p.0);
    let first = raw[0].0;
    let step = (raw[raw.len() - 1].0 - raw[raw.len() - 2].0).max(1);
    let points: Vec<(SimDuration, f64)> = raw
        .iter()
        .map(|(t, v)| (SimDuration::from_secs((t - first) as u64), *v))
        .collect();
    let period = SimDuration::from_secs((raw[raw.len() - 1].0 - first + step) as u64);
    Ok((points, period))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_of_the_shipped_traces() {
        assert_eq!(parse_instant("1970-01-01T00:00"), Some(0));
        assert_eq!(parse_instant("2014-04-10 00:04:00"), Some(1_397_088_240));
        assert_eq!(parse_instant("1995-07-01T00:01"), Some(804_556_860));
        assert_eq!(parse_instant("2014-13-10 00:04:00"), None);
        // Found by fuzzing: a year this large overflowed the offset in ms.
        assert_eq!(parse_instant("4294967295-07-01T00:00"), None);
    }

    #[test]
    fn a_trace_with_aws_cli_timestamps() {
        // CloudWatch get-metric-data prints offsets and fractions; two
        // zones' notations of the same minutes give the same offsets.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(
            &path,
            "time,rps\n\
             2026-03-02T00:00:00.000Z,10\n\
             2026-03-02T01:01:00+01:00,20\n\
             2026-03-01T19:02:00.5-05:00,30\n",
        )
        .unwrap();
        let (points, period) = read_trace(&path, Some("rps")).unwrap();
        let secs: Vec<u64> = points.iter().map(|p| p.0.as_millis() / 1000).collect();
        assert_eq!(secs, [0, 60, 120]);
        assert_eq!(period, SimDuration::from_secs(180));
        std::fs::write(
            &path,
            "time,rps\n2026-03-02T00:00:00Z,1\n02/03/2026 00:01,2\n",
        )
        .unwrap();
        let e = read_trace(&path, Some("rps")).unwrap_err();
        assert!(e.contains("line 3") && e.contains("02/03/2026"), "{e}");
    }
}
