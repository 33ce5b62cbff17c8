//! Limits on what a scenario (or a file it points at) may ask for, checked
//! when the scenario is read, so that no input can exhaust memory or run
//! for hours before failing. Each limit is documented in
//! `scenarios/README.md` ("Limits"); a message that refuses an input names
//! the field and the limit.
//!
//! The limits are far above what the shipped studies need (the largest
//! expects about 10,000 tasks and 10,000 samples) and far below what would
//! exhaust a laptop.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::reader::Reader;
use crate::engine::{JobSpec, ServiceKind, ServiceSpec, SimSpec};
use crate::sim::{SimDuration, SimTime};
use crate::workload::Arrivals;

/// Largest scenario, sweep or task definition file read (bytes): 16 MiB.
/// A hand-written file is a few KiB; this refuses `/dev/zero` or a
/// mistyped path to a disk image without reading it.
pub const MAX_TEXT_FILE_BYTES: u64 = 16 << 20;

/// Largest CSV file read (traces, demand curves, price histories): 256 MiB.
/// A file is read whole and its rows kept, so reading takes about three
/// times its size in memory.
pub const MAX_DATA_FILE_BYTES: u64 = 256 << 20;

/// Most task arrivals a run may expect (batch arrivals over the horizon plus
/// the services' largest desired counts): 5 million. A task costs about
/// 750 bytes of results, so this is about 3.5 GiB.
pub const MAX_EXPECTED_TASKS: f64 = 5_000_000.0;

/// Most tasks one trace row may start at once.
pub const MAX_TRACE_COUNT: u64 = 100_000;

/// Most time-series samples (`duration ÷ cluster.sampleInterval`): 1 million
/// (a year at one sample a minute is 525,600).
pub const MAX_SAMPLES: u64 = 1_000_000;

/// Most services per cluster (the ECS quota).
pub const MAX_SERVICES: usize = 5_000;

/// Most container instances per cluster (the ECS quota), counting each
/// group at the larger of its `count` and its `maxSize`.
pub const MAX_INSTANCES: u64 = 5_000;

/// A custom or overridden instance type may be at most this many times the
/// largest type of the catalogue (896 vCPU, 32 TiB): anything larger is a
/// typo, and sizes near `u32::MAX` wrap the reservation percentages.
pub const SIZE_MARGIN: u32 = 4;

/// Most memory (bytes) a run's results may be estimated to need: 8 GiB, or
/// three quarters of the machine's memory when that is less.
pub const MAX_RUN_MEMORY_BYTES: u64 = 8 << 30;

/// Bytes of results per task (task row, events, per-task state).
pub const BYTES_PER_TASK: u64 = 1024;
/// Bytes per time-series value.
pub const BYTES_PER_SAMPLE_VALUE: u64 = 16;
/// Bytes per instance (instance row, events, state).
pub const BYTES_PER_INSTANCE: u64 = 64 << 10;

/// The memory limit a run is checked against: [`MAX_RUN_MEMORY_BYTES`], or
/// three quarters of the machine's total memory when it is known and less.
pub fn memory_limit() -> u64 {
    match machine_memory() {
        Some(m) => MAX_RUN_MEMORY_BYTES.min(m / 4 * 3),
        None => MAX_RUN_MEMORY_BYTES,
    }
}

/// Total memory of the machine (Linux `/proc/meminfo`), if known.
fn machine_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line
        .trim_start_matches("MemTotal:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb.saturating_mul(1024))
}

/// `1.5 GiB`, `300 MiB`.
pub fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", b / (1u64 << 30) as f64)
    } else {
        format!("{:.0} MiB", (b / (1u64 << 20) as f64).ceil())
    }
}

/// Reads a text file of at most `max` bytes. Refuses what is not a regular
/// file (a folder, `/dev/zero`, a pipe) and files above the limit before
/// reading them; a file that grows while read is cut at the limit and refused.
/// Errors read "cannot read PATH: why".
pub fn read_text(path: &Path, max: u64) -> Result<String, String> {
    read_text_or_why(path, max).map_err(|why| format!("cannot read {}: {why}", path.display()))
}

/// Like [`read_text`], the error saying only why (for messages that name
/// the file already).
pub fn read_text_or_why(path: &Path, max: u64) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.is_dir() {
        return Err("it is a folder, not a file".into());
    }
    if !meta.is_file() {
        return Err("not a regular file (a device, pipe or socket)".into());
    }
    if meta.len() > max {
        return Err(format!(
            "the file has {} bytes, more than the limit of {} ({max} bytes)",
            meta.len(),
            human_bytes(max)
        ));
    }
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > max {
        return Err(format!(
            "the file grew past the limit of {} while read",
            human_bytes(max)
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Tasks a job stream is expected to start over the run: the mean number of
/// arrivals in `[start, min(end, horizon)]` times the tasks per arrival (a
/// trace's rows say their own count).
pub fn expected_job_tasks(j: &JobSpec, horizon: SimDuration) -> f64 {
    let end = j
        .end
        .map_or(horizon, |e| e.since(SimTime::ZERO))
        .min(horizon);
    let start = j.start.since(SimTime::ZERO);
    let window_ms = end.0.saturating_sub(start.0) as f64;
    let per = f64::from(j.tasks_per_arrival);
    match &j.arrivals {
        Arrivals::Poisson { per_hour } => per_hour * window_ms / 3_600_000.0 * per,
        Arrivals::Every { interval } => (window_ms / interval.0.max(1) as f64 + 1.0).floor() * per,
        Arrivals::Trace(records) => records
            .iter()
            .filter(|r| r.at.since(SimTime::ZERO) <= end)
            .map(|r| f64::from(r.count))
            .sum(),
    }
}

/// The most tasks a service may ask for at once (its largest desired count
/// or scaling maximum), times one per deployment and the first start.
pub fn expected_service_tasks(s: &ServiceSpec, instances: u64) -> f64 {
    let most = match &s.kind {
        ServiceKind::Daemon => instances,
        ServiceKind::Replica { desired, changes } => {
            let mut m = u64::from(*desired);
            m = m.max(
                changes
                    .iter()
                    .map(|c| u64::from(c.count))
                    .max()
                    .unwrap_or(0),
            );
            if let Some(sc) = &s.scaling {
                m = m.max(u64::from(sc.target.max));
            }
            m = m.max(
                s.scheduled
                    .iter()
                    .filter_map(|a| a.max)
                    .map(u64::from)
                    .max()
                    .unwrap_or(0),
            );
            m
        }
    };
    most as f64 * (1 + s.revisions.len()) as f64
}

/// Checks a built spec against the limits; problems name the field and the
/// limit. `job_paths` gives each job's field path.
pub(crate) fn check(r: &mut Reader, spec: &SimSpec, job_paths: &[String]) {
    let before = r.issues.len();
    if spec.services.len() > MAX_SERVICES {
        r.err(
            "services",
            format!(
                "{} services, more than ECS's limit of {MAX_SERVICES} per cluster",
                spec.services.len()
            ),
        );
    }
    let instances: u64 = spec
        .instance_groups
        .iter()
        .map(|g| u64::from(g.count.max(g.max_size)))
        .sum();
    if instances > MAX_INSTANCES {
        r.err(
            "instanceGroups",
            format!(
                "the groups can grow to {instances} container instances (each group's larger of count and maxSize), more than ECS's limit of {MAX_INSTANCES} per cluster"
            ),
        );
    }
    let horizon = spec.horizon;
    let samples = horizon.0 / spec.sample_interval.0.max(1) + 1;
    if samples > MAX_SAMPLES {
        r.err(
            "duration",
            format!(
                "{horizon} sampled every {} gives {samples} time-series samples, more than the limit of {MAX_SAMPLES}; shorten `duration` or lengthen `cluster.sampleInterval`",
                spec.sample_interval
            ),
        );
    }
    let mut tasks = 0.0;
    for (i, j) in spec.jobs.iter().enumerate() {
        let n = expected_job_tasks(j, horizon);
        let path = job_paths
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("batchJobs[{i}]"));
        if let Arrivals::Trace(records) = &j.arrivals {
            if n == 0.0 {
                let end = j
                    .end
                    .map_or(horizon, |e| e.since(SimTime::ZERO))
                    .min(horizon);
                r.err(
                    &format!("{path}.arrivals.path"),
                    format!(
                        "none of the trace's {} rows arrives within the run (the first arrives at {}, the stream ends at {end})",
                        records.len(),
                        records.first().map_or(SimDuration::ZERO, |r| r.at.since(SimTime::ZERO))
                    ),
                );
            }
        }
        if n > MAX_EXPECTED_TASKS {
            let what = match &j.arrivals {
                Arrivals::Poisson { per_hour } => {
                    format!("perHour {per_hour} over the stream's window")
                }
                Arrivals::Every { interval } => format!("one arrival every {interval}"),
                Arrivals::Trace(_) => "the trace's `count` column".to_string(),
            };
            let field = match &j.arrivals {
                Arrivals::Poisson { .. } => ".arrivals.perHour",
                Arrivals::Every { .. } => ".arrivals.interval",
                Arrivals::Trace(_) => ".arrivals.path",
            };
            r.err(
                &format!("{path}{field}"),
                format!(
                    "job `{}` expects about {n:.0} tasks ({what}), more than the limit of {MAX_EXPECTED_TASKS:.0} tasks per run",
                    j.name
                ),
            );
        }
        tasks += n;
    }
    for s in &spec.services {
        tasks += expected_service_tasks(s, instances);
    }
    if tasks > MAX_EXPECTED_TASKS && r.issues.len() == before {
        r.err(
            "",
            format!(
                "the run expects about {tasks:.0} tasks (batch arrivals plus the services' largest desired counts), more than the limit of {MAX_EXPECTED_TASKS:.0} tasks per run"
            ),
        );
    }
    let columns = 12
        + 4 * spec.services.len() as u64
        + 3 * spec.jobs.len() as u64
        + 2 * spec.instance_groups.len() as u64
        + spec.capacity_providers.len() as u64;
    let estimate = (tasks.min(1e15) as u64)
        .saturating_mul(BYTES_PER_TASK)
        .saturating_add(
            samples
                .saturating_mul(columns)
                .saturating_mul(BYTES_PER_SAMPLE_VALUE),
        )
        .saturating_add(instances.saturating_mul(BYTES_PER_INSTANCE));
    let limit = memory_limit();
    // Only when no single limit above explains it already.
    if estimate > limit && r.issues.len() == before {
        r.err(
            "",
            format!(
                "the run would need about {} of memory ({tasks:.0} tasks, {samples} samples x {columns} columns, {instances} instances), more than the limit of {} (see \"Limits\" in scenarios/README.md); shorten `duration`, lengthen `cluster.sampleInterval` or lower the arrival rates",
                human_bytes(estimate),
                human_bytes(limit)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_folders_and_large_files() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_text(dir.path(), 100).unwrap_err();
        assert!(e.contains("it is a folder"), "{e}");
        if Path::new("/dev/zero").exists() {
            let e = read_text(Path::new("/dev/zero"), 100).unwrap_err();
            assert!(e.contains("not a regular file"), "{e}");
        }
        let f = dir.path().join("big.csv");
        std::fs::write(&f, vec![b'a'; 101]).unwrap();
        let e = read_text(&f, 100).unwrap_err();
        assert!(e.contains("has 101 bytes, more than the limit"), "{e}");
        assert_eq!(read_text(&f, 101).unwrap().len(), 101);
        std::fs::write(&f, [0xff, 0xfe]).unwrap();
        assert!(read_text(&f, 100).unwrap_err().contains("not UTF-8"));
    }

    #[test]
    fn memory_limit_is_at_most_the_documented_one() {
        assert!(memory_limit() <= MAX_RUN_MEMORY_BYTES);
        assert!(memory_limit() > 0);
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
        assert_eq!(human_bytes(300 << 20), "300 MiB");
    }
}
