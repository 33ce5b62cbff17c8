//! What a run observed: time-series samples, service events, and the
//! summary computed from them. The engine feeds the recorder; `output`
//! writes what it holds. Nothing here touches files.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::sim::SimTime;

/// One row of the time series.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Sample time.
    pub time: SimTime,
    /// Instances REGISTERING, ACTIVE, DRAINING.
    pub instances: [u32; 3],
    /// ACTIVE or DRAINING instances holding at least one non-daemon task.
    pub instances_in_use: u32,
    /// CPU reserved by tasks / registered, ACTIVE + DRAINING instances, percent.
    pub cpu_reservation_pct: f64,
    /// Memory reserved / registered, percent.
    pub memory_reservation_pct: f64,
    /// Per reporting group: tasks PENDING, RUNNING, STOPPING.
    pub tasks: Vec<[u32; 3]>,
    /// Per service: desired count (daemons: ACTIVE instances they should run on).
    pub desired: Vec<u32>,
}

/// A service or scheduler event (`events.csv`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    /// When, in seconds.
    pub time_s: f64,
    /// Service or job name.
    pub source: String,
    /// Kind, e.g. `unable-to-place`.
    pub event: String,
    /// Message in ECS wording.
    pub message: String,
}

/// Per-service outcome in the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceSummary {
    /// Name.
    pub name: String,
    /// `REPLICA` or `DAEMON`.
    pub scheduling: String,
    /// Desired count at the end.
    pub desired_at_end: u32,
    /// Running count at the end.
    pub running_at_end: u32,
    /// Lowest running/desired over the samples where desired > 0.
    pub running_ratio_min: f64,
    /// Mean running/desired over those samples.
    pub running_ratio_mean: f64,
    /// Tasks placed over the run.
    pub tasks_placed: u64,
    /// Failed placement attempts, by closest-match reason (P9).
    pub placement_failures: BTreeMap<String, u64>,
    /// Running tasks per AZ at the end.
    pub running_by_az_at_end: BTreeMap<String, u32>,
}

/// Per-job-stream outcome in the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobSummary {
    /// Name.
    pub name: String,
    /// Tasks submitted.
    pub submitted: u64,
    /// Tasks placed.
    pub placed: u64,
    /// Tasks that finished their work.
    pub completed: u64,
    /// RunTask failures by reason (`RESOURCE:CPU`, ...).
    pub failed: BTreeMap<String, u64>,
    /// Mean time from submission to RUNNING, seconds (placed tasks that started).
    pub mean_wait_s: f64,
}

/// The run's summary (`summary.json`). Deterministic: no wall-clock values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Simulated horizon, seconds.
    pub horizon_s: f64,
    /// Events processed by the loop.
    pub events_processed: u64,
    /// Instances launched.
    pub instances_launched: u64,
    /// Tasks placed (all kinds).
    pub tasks_placed: u64,
    /// Placement failures (service attempts and RunTask failures) by reason.
    pub unplaceable_by_reason: BTreeMap<String, u64>,
    /// Mean number of instances holding a non-daemon task.
    pub instances_in_use_mean: f64,
    /// Peak number of instances holding a non-daemon task.
    pub instances_in_use_max: u32,
    /// Mean CPU reservation of the cluster over the samples, percent.
    pub cpu_reservation_mean_pct: f64,
    /// Peak CPU reservation, percent.
    pub cpu_reservation_max_pct: f64,
    /// Mean memory reservation, percent.
    pub memory_reservation_mean_pct: f64,
    /// Peak memory reservation, percent.
    pub memory_reservation_max_pct: f64,
    /// Services.
    pub services: Vec<ServiceSummary>,
    /// Job streams.
    pub jobs: Vec<JobSummary>,
}

/// Collects samples and events during a run.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    /// Time-series rows.
    pub samples: Vec<Sample>,
    /// Events.
    pub events: Vec<EventRecord>,
}

impl Recorder {
    /// Records an event.
    pub fn event(&mut self, time: SimTime, source: &str, event: &str, message: String) {
        self.events.push(EventRecord {
            time_s: time.as_secs_f64(),
            source: source.to_string(),
            event: event.to_string(),
            message,
        });
    }

    /// Mean and max of a sample field.
    pub fn mean_max(&self, f: impl Fn(&Sample) -> f64) -> (f64, f64) {
        if self.samples.is_empty() {
            return (0.0, 0.0);
        }
        let vals: Vec<f64> = self.samples.iter().map(f).collect();
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        (mean, vals.iter().copied().fold(0.0, f64::max))
    }

    /// Min and mean of running/desired of reporting group `g` / service `s`
    /// over samples with desired > 0 (1.0 and 1.0 when there are none).
    pub fn running_ratio(&self, group: usize, service: usize) -> (f64, f64) {
        let ratios: Vec<f64> = self
            .samples
            .iter()
            .filter(|s| s.desired[service] > 0)
            .map(|s| (f64::from(s.tasks[group][1]) / f64::from(s.desired[service])).min(1.0))
            .collect();
        if ratios.is_empty() {
            return (1.0, 1.0);
        }
        let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        (min, ratios.iter().sum::<f64>() / ratios.len() as f64)
    }
}

/// Rounds to 4 decimals for stable, readable JSON.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
