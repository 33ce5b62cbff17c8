//! What a run observed: time-series samples, service events, and the
//! summary computed from them. The engine feeds the recorder; `output`
//! writes what it holds. Nothing here touches files.

use std::collections::BTreeMap;

use serde::Serialize;

pub use crate::model::TaskCounts;
pub use crate::scaling::AlarmState;
use crate::sim::{SimDuration, SimTime};

/// Instances that are not terminated, by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InstanceCounts {
    /// REGISTERING.
    pub registering: u32,
    /// ACTIVE.
    pub active: u32,
    /// DRAINING.
    pub draining: u32,
}

/// A service's load at a sample.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadPoint {
    /// Requests/s offered.
    pub demand_rps: f64,
    /// Requests/s served.
    pub served_rps: f64,
    /// CPU utilization of its running tasks, percent (0 with none).
    pub cpu_pct: f64,
}

/// A capacity provider's managed scaling at a sample.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProviderPoint {
    /// CapacityProviderReservation, percent.
    pub reservation_pct: f64,
    /// Instances needed (M).
    pub needed: u32,
    /// Instances running (N).
    pub running: u32,
    /// The Auto Scaling group's desired capacity.
    pub asg_desired: u32,
}

/// One row of the time series.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Sample time.
    pub time: SimTime,
    /// Instances by state.
    pub instances: InstanceCounts,
    /// ACTIVE or DRAINING instances holding at least one non-daemon task.
    pub instances_in_use: u32,
    /// CPU reserved by tasks / registered, ACTIVE + DRAINING instances, percent.
    pub cpu_reservation_pct: f64,
    /// Memory reserved / registered, percent.
    pub memory_reservation_pct: f64,
    /// Per reporting group: tasks by state.
    pub tasks: Vec<TaskCounts>,
    /// Per service: desired count (daemons: ACTIVE instances they should run on).
    pub desired: Vec<u32>,
    /// Live (not terminated) spot instances.
    pub spot_instances: u32,
    /// Interruption notices so far (cumulative).
    pub interruptions: u64,
    /// Per service with demand: its load.
    pub load: Vec<LoadPoint>,
    /// Per service on capacity providers: tasks PROVISIONING.
    pub provisioning: Vec<u32>,
    /// Per capacity provider: its managed-scaling state.
    pub providers: Vec<ProviderPoint>,
    /// Per service with target tracking: the first policy's alarm state
    /// (written `high`, `low`, `ok`).
    pub alarms: Vec<AlarmState>,
}

/// Whom each per-entity vector of a [`Sample`] is about: entry `i` of a
/// sample's vector belongs to the name at `i` of the field with the same
/// name here (`tasks[i]` to `tasks[i]`, `load[i]` to `load[i]`, ...). Look
/// an index up by name with [`SampleColumns::index`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SampleColumns {
    /// Services, matching `Sample::desired`.
    pub desired: Vec<String>,
    /// Reporting groups (services then jobs), matching `Sample::tasks`.
    pub tasks: Vec<String>,
    /// Services with demand, matching `Sample::load`.
    pub load: Vec<String>,
    /// Services on Auto Scaling group capacity providers, matching
    /// `Sample::provisioning`.
    pub provisioning: Vec<String>,
    /// Services with target tracking, matching `Sample::alarms`.
    pub alarms: Vec<String>,
    /// Capacity providers, matching `Sample::providers`.
    pub providers: Vec<String>,
}

impl SampleColumns {
    /// Position of `name` in one of the lists, e.g.
    /// `s.tasks[SampleColumns::index(&cols.tasks, "web")?].running`.
    pub fn index(list: &[String], name: &str) -> Option<usize> {
        list.iter().position(|n| n == name)
    }
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
    /// Seconds from time zero until the running count first reached the
    /// desired count (`null` if it never did).
    pub ramp_up_s: Option<f64>,
    /// Seconds with fewer RUNNING tasks than desired after the ramp-up, by
    /// what started each shortfall (`interruption`, `maintenance`,
    /// `deployment`, `scaling`, `other`).
    pub below_desired_s: BTreeMap<Cause, f64>,
    /// Minutes below the desired count after the ramp-up, all causes.
    pub minutes_below_desired: f64,
    /// Time to get back to the desired count after shortfalls started by a
    /// spot interruption.
    pub recovery_after_interruption: RecoveryStats,
    /// Tasks that went through STOPPING (SIGTERM, then their stop timeout).
    pub tasks_stopped_gracefully: u64,
    /// Tasks killed with their instance, without a graceful stop.
    pub tasks_killed: u64,
    /// Tasks that failed their health checks (D3); only for a service
    /// with `healthCheckFailures`, so other summaries keep their shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks_unhealthy: Option<u64>,
    /// Deployments (D3, D4), in order.
    pub deployments: Vec<DeploymentSummary>,
    /// Requests and what was served, for a service with demand (W1).
    pub demand: Option<DemandSummary>,
    /// Scale-outs: seconds from the metric first rising above target to the
    /// added tasks RUNNING (A2–A4 and, with capacity providers, C1–C4).
    pub scale_out_reaction: RecoveryStats,
}

/// What a service's demand asked and what it got (W1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemandSummary {
    /// Requests over the run.
    pub requests: f64,
    /// Requests served.
    pub served: f64,
    /// Requests dropped for lack of capacity.
    pub dropped: f64,
    /// Dropped share, percent.
    pub dropped_pct: f64,
    /// Minutes with demand above capacity.
    pub overloaded_minutes: u64,
    /// Highest demand, requests per second.
    pub peak_demand_rps: f64,
}

/// Durations of shortfall episodes, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct RecoveryStats {
    /// Episodes that ended.
    pub count: u64,
    /// Mean length, seconds.
    pub mean_s: f64,
    /// Longest, seconds.
    pub max_s: f64,
    /// Episodes still open at the end of the run.
    pub unrecovered: u64,
}

/// One deployment of a service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentSummary {
    /// Revision deployed (1 = the first deployment; rollbacks deploy an earlier one).
    pub revision: usize,
    /// Task definition family of the revision.
    pub task_definition: String,
    /// Why it started: `deploy` or `rollback`.
    pub trigger: String,
    /// Start, seconds.
    pub started_s: f64,
    /// `COMPLETED`, `FAILED`, `STALLED` (no room to start or stop a task) or `IN_PROGRESS`.
    pub outcome: String,
    /// Seconds from start to completion or failure.
    pub duration_s: Option<f64>,
    /// Tasks of the revision that failed to reach RUNNING.
    pub failed_tasks: u32,
}

/// One row of `cost.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct CostRow {
    /// Hour of the run (0 = the first).
    pub hour: u32,
    /// Service or job name, or `(idle)`, `(instances)`, `(commitment)`.
    pub owner: String,
    /// `ec2-on-demand`, `ec2-spot`, `FARGATE` or `FARGATE_SPOT`.
    pub capacity: String,
    /// Compute billed to the owner, USD.
    pub compute_usd: f64,
    /// Instance cost no task reserved, USD.
    pub idle_usd: f64,
    /// Storage, USD.
    pub storage_usd: f64,
}

/// The cost part of `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct CostSummary {
    /// Everything, USD.
    pub total_usd: f64,
    /// The total scaled to a 730-hour month.
    pub per_month_usd: f64,
    /// Compute billed to tasks, USD.
    pub compute_usd: f64,
    /// Instance cost no task reserved, USD (B4).
    pub idle_usd: f64,
    /// Storage, USD.
    pub storage_usd: f64,
    /// Commitment settlement (negative: savings), USD.
    pub commitment_usd: f64,
    /// Total by capacity.
    pub by_capacity: BTreeMap<String, f64>,
    /// Compute and storage by service or job.
    pub by_owner: BTreeMap<String, f64>,
    /// What the instances cost (compute + idle on EC2), USD.
    pub ec2_instances_usd: f64,
    /// Share of paid EC2 capacity reserved by tasks, percent.
    pub ec2_reserved_pct: f64,
    /// Fargate tasks billed.
    pub fargate_tasks: u64,
    /// Fargate Spot tasks interrupted (F3).
    pub fargate_spot_interruptions: u64,
    /// Fargate Spot launches refused for lack of capacity.
    pub fargate_spot_unavailable: u64,
    /// Reserved Instances and Savings Plans over the run (B3); absent
    /// without them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commitments: Option<crate::cost::commitments::CommitmentSummary>,
}

impl CostSummary {
    /// Fargate and Fargate Spot together, USD (B2).
    pub fn fargate_usd(&self) -> f64 {
        self.by_capacity
            .iter()
            .filter(|(k, _)| k.starts_with("FARGATE"))
            .map(|(_, v)| *v)
            .fold(0.0, |a, b| a + b)
    }
}

/// What set off a change, for attributing shortfalls (see `BelowTracker`).
/// Kept as the enum through the summary; its name is written only when
/// `summary.json` or a message is. The variants are in the alphabetical
/// order of their names, so maps keyed by `Cause` keep the order (and the
/// summation order) that string keys had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cause {
    /// A deployment replaced tasks.
    Deployment,
    /// A spot interruption (notice or rebalance) drained an instance.
    Interruption,
    /// A maintenance event drained an instance.
    Maintenance,
    /// Anything else (the cause when no drain, deployment or scaling is under way).
    Other,
    /// Service or capacity scaling.
    Scaling,
}

impl Cause {
    /// The name used in `summary.json` and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Interruption => "interruption",
            Cause::Maintenance => "maintenance",
            Cause::Deployment => "deployment",
            Cause::Scaling => "scaling",
            Cause::Other => "other",
        }
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Cause {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Follows a service's RUNNING count against its desired count over time.
#[derive(Debug, Clone)]
pub struct BelowTracker {
    ramp_up: Option<SimTime>,
    open: Option<(SimTime, Cause)>,
    below_ms: BTreeMap<Cause, u64>,
    episodes: Vec<(Cause, SimDuration)>,
    worst: f64,
}

impl Default for BelowTracker {
    fn default() -> Self {
        BelowTracker {
            ramp_up: None,
            open: None,
            below_ms: BTreeMap::new(),
            episodes: Vec::new(),
            worst: 1.0,
        }
    }
}

impl BelowTracker {
    /// Records the counts at `now`; `cause` names what changed them. Returns
    /// a shortfall episode that just ended, with its cause and length.
    pub fn update(
        &mut self,
        now: SimTime,
        running: u32,
        desired: u32,
        cause: Cause,
    ) -> Option<(Cause, SimDuration)> {
        if self.ramp_up.is_none() {
            if desired > 0 && running >= desired {
                self.ramp_up = Some(now);
            }
            return None;
        }
        if desired > 0 {
            self.worst = self.worst.min(f64::from(running) / f64::from(desired));
        }
        match self.open {
            None if running < desired => {
                self.open = Some((now, cause));
                None
            }
            Some((start, c)) if running >= desired => {
                self.open = None;
                let d = now - start;
                *self.below_ms.entry(c).or_default() += d.as_millis();
                self.episodes.push((c, d));
                Some((c, d))
            }
            _ => None,
        }
    }

    /// When the count first reached the desired count.
    pub fn ramp_up(&self) -> Option<SimTime> {
        self.ramp_up
    }

    /// Lowest running/desired after the ramp-up (1 if never below).
    pub fn worst(&self) -> f64 {
        self.worst
    }

    /// Seconds below desired by cause, counting an open episode up to `end`.
    pub fn below_s(&self, end: SimTime) -> BTreeMap<Cause, f64> {
        let mut out: BTreeMap<Cause, f64> = self
            .below_ms
            .iter()
            .map(|(&k, v)| (k, *v as f64 / 1000.0))
            .collect();
        if let Some((start, c)) = self.open {
            *out.entry(c).or_default() += (end - start).as_secs_f64();
        }
        out
    }

    /// Lengths of the episodes started by `cause`.
    pub fn recovery(&self, cause: Cause) -> RecoveryStats {
        let d: Vec<f64> = self
            .episodes
            .iter()
            .filter(|(c, _)| *c == cause)
            .map(|(_, d)| d.as_secs_f64())
            .collect();
        RecoveryStats {
            count: d.len() as u64,
            mean_s: if d.is_empty() {
                0.0
            } else {
                round4(d.iter().sum::<f64>() / d.len() as f64)
            },
            max_s: round4(d.iter().copied().fold(0.0, f64::max)),
            unrecovered: u64::from(matches!(self.open, Some((_, c)) if c == cause)),
        }
    }
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
    /// RunTask failures, all reasons (the sum of `failed`).
    pub failed_total: u64,
    /// Mean time from submission to RUNNING, seconds (placed tasks that started).
    pub mean_wait_s: f64,
    /// Tasks killed with their instance (S3).
    pub tasks_killed: u64,
    /// Killed tasks submitted again.
    pub tasks_rerun: u64,
    /// RUNNING time lost by killed tasks (work to be re-run), task-seconds.
    pub work_lost_task_s: f64,
}

/// Spot interruptions over the run (S2, S3).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct InterruptionSummary {
    /// Rebalance recommendations received.
    pub rebalance_recommendations: u64,
    /// Two-minute notices received.
    pub notices: u64,
    /// Notices by pool (`type/AZ`).
    pub by_pool: BTreeMap<String, u64>,
    /// Notices by cause: `hazard` (independent), `reclaim` (correlated), `replay`.
    pub by_cause: BTreeMap<String, u64>,
    /// Instances terminated by the ASG after capacity rebalancing (S5).
    pub rebalanced: u64,
    /// Spot launches refused because no pool had capacity.
    pub launch_failures: u64,
}

/// The run's summary (`summary.json`). Deterministic: no wall-clock values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Wall-clock time of simulated time zero (the scenario's `startTime`),
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`: the clock the charts label time with.
    pub start_time: String,
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
    /// Instances launched by purchase option.
    pub instances_launched_by_purchase: BTreeMap<String, u64>,
    /// Instance-hours (launch to termination or the horizon) by purchase option.
    pub instance_hours_by_purchase: BTreeMap<String, f64>,
    /// Spot interruptions.
    pub interruptions: InterruptionSummary,
    /// Tasks that went through STOPPING, all owners.
    pub tasks_stopped_gracefully: u64,
    /// Tasks killed with their instance, all owners.
    pub tasks_killed: u64,
    /// What the run cost (B1–B4).
    pub cost: CostSummary,
}

impl Summary {
    /// The run's outcome as the lines `ecsim run` prints under its header
    /// (the header, with the wall time, is the caller's): instances and
    /// reservation, placement failures, each service and job stream, and
    /// what each study is about when it applies: requests served and
    /// dropped, spot notices and the tasks they killed, the cost.
    pub fn report_lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "instances launched {}; tasks placed {}; reservation mean CPU {:.1}% (max {:.1}%), memory {:.1}% (max {:.1}%)",
            self.instances_launched,
            self.tasks_placed,
            self.cpu_reservation_mean_pct,
            self.cpu_reservation_max_pct,
            self.memory_reservation_mean_pct,
            self.memory_reservation_max_pct
        )];
        if !self.unplaceable_by_reason.is_empty() {
            let reasons: Vec<String> = self
                .unplaceable_by_reason
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            out.push(format!("placement failures: {}", reasons.join(", ")));
        }
        for svc in &self.services {
            let mut line = format!(
                "service {} ({}): running/desired min {:.2}, mean {:.3}; {} tasks placed",
                svc.name,
                svc.scheduling,
                svc.running_ratio_min,
                svc.running_ratio_mean,
                svc.tasks_placed
            );
            if svc.minutes_below_desired > 0.0 {
                line += &format!("; {:.1} min below desired", svc.minutes_below_desired);
            }
            if svc.tasks_killed > 0 {
                line += &format!("; {} killed", svc.tasks_killed);
            }
            out.push(line);
            if let Some(d) = &svc.demand {
                out.push(format!(
                    "  demand: {} requests (peak {:.0}/s), {} dropped ({:.2}%), overloaded {} min",
                    grouped(d.requests),
                    d.peak_demand_rps,
                    grouped(d.dropped),
                    d.dropped_pct,
                    d.overloaded_minutes
                ));
            }
        }
        for j in &self.jobs {
            let failed: u64 = j.failed.values().sum();
            let mut line = format!(
                "job {}: {} submitted, {} placed, {} completed, {} failed",
                j.name, j.submitted, j.placed, j.completed, failed
            );
            if failed > 0 {
                let reasons: Vec<String> =
                    j.failed.iter().map(|(k, v)| format!("{k} {v}")).collect();
                line += &format!(" ({})", reasons.join(", "));
            }
            line += &format!("; mean wait to RUNNING {:.1} s", j.mean_wait_s);
            if j.tasks_killed > 0 {
                line += &format!(
                    "; {} killed, {} re-run, {:.1} task-h of work lost",
                    j.tasks_killed,
                    j.tasks_rerun,
                    j.work_lost_task_s / 3600.0
                );
            }
            out.push(line);
        }
        let i = &self.interruptions;
        let fargate_spot = self.cost.fargate_spot_interruptions;
        if i.notices > 0 || i.launch_failures > 0 || fargate_spot > 0 {
            let mut parts = vec![format!("{} interruption notices", i.notices)];
            if !i.by_cause.is_empty() {
                let causes: Vec<String> =
                    i.by_cause.iter().map(|(k, v)| format!("{k} {v}")).collect();
                parts[0] += &format!(" ({})", causes.join(", "));
            }
            if fargate_spot > 0 {
                parts.push(format!("{fargate_spot} Fargate Spot tasks interrupted"));
            }
            if i.launch_failures > 0 {
                parts.push(format!(
                    "{} launches refused for lack of capacity",
                    i.launch_failures
                ));
            }
            parts.push(format!(
                "tasks killed {}, stopped gracefully {}",
                self.tasks_killed, self.tasks_stopped_gracefully
            ));
            out.push(format!("spot: {}", parts.join("; ")));
        }
        let c = &self.cost;
        if c.total_usd != 0.0 {
            let mut line = format!(
                "cost: ${:.2} over the run (${:.2} a month)",
                c.total_usd, c.per_month_usd
            );
            if c.ec2_instances_usd > 0.0 {
                line += &format!(
                    "; EC2 ${:.2}, idle ${:.2}, {:.1}% of paid EC2 capacity reserved",
                    c.ec2_instances_usd, c.idle_usd, c.ec2_reserved_pct
                );
            }
            let fargate = c.fargate_usd();
            if fargate > 0.0 {
                line += &format!("; Fargate ${fargate:.2}");
            }
            out.push(line);
        }
        out
    }
}

/// A count rounded to a whole number with its thousands grouped: `482,238`.
fn grouped(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 && digits != "0" {
        out.insert(0, '-');
    }
    out
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

    /// For a service followed by its samples only (a daemon): the time of
    /// the first sample where RUNNING reached the desired count (> 0), and
    /// the lowest running/desired from then on, so that the start of the
    /// run does not count against it (as for replica services). A service
    /// that never reached its desired count gets `None` and its lowest
    /// ratio over every sample with desired > 0 (1.0 when there is none).
    pub fn ramp_up_and_worst(&self, group: usize, service: usize) -> (Option<SimTime>, f64) {
        let ratios: Vec<(SimTime, f64)> = self
            .samples
            .iter()
            .filter(|s| s.desired[service] > 0)
            .map(|s| {
                let r = f64::from(s.tasks[group].running) / f64::from(s.desired[service]);
                (s.time, r.min(1.0))
            })
            .collect();
        let start = ratios.iter().position(|&(_, r)| r >= 1.0);
        let from = &ratios[start.unwrap_or(0)..];
        let worst = from.iter().map(|&(_, r)| r).fold(1.0, f64::min);
        (start.map(|i| ratios[i].0), worst)
    }

    /// Min and mean of running/desired of reporting group `g` / service `s`
    /// over samples with desired > 0 (1.0 and 1.0 when there are none).
    pub fn running_ratio(&self, group: usize, service: usize) -> (f64, f64) {
        let ratios: Vec<f64> = self
            .samples
            .iter()
            .filter(|s| s.desired[service] > 0)
            .map(|s| (f64::from(s.tasks[group].running) / f64::from(s.desired[service])).min(1.0))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(t_s: u64, running: u32, desired: u32) -> Sample {
        Sample {
            time: SimTime(t_s * 1000),
            instances: InstanceCounts {
                active: desired,
                ..InstanceCounts::default()
            },
            instances_in_use: 0,
            cpu_reservation_pct: 0.0,
            memory_reservation_pct: 0.0,
            tasks: vec![TaskCounts {
                running,
                ..TaskCounts::default()
            }],
            desired: vec![desired],
            spot_instances: 0,
            interruptions: 0,
            load: Vec::new(),
            provisioning: Vec::new(),
            providers: Vec::new(),
            alarms: Vec::new(),
        }
    }

    fn recorder(rows: &[(u64, u32, u32)]) -> Recorder {
        Recorder {
            samples: rows.iter().map(|&(t, r, d)| sample(t, r, d)).collect(),
            events: Vec::new(),
        }
    }

    #[test]
    fn causes_order_as_their_names_and_serialize_as_them() {
        let all = [
            Cause::Interruption,
            Cause::Maintenance,
            Cause::Deployment,
            Cause::Scaling,
            Cause::Other,
        ];
        let mut by_enum = all.to_vec();
        by_enum.sort();
        let mut by_name: Vec<&str> = all.iter().map(|c| c.as_str()).collect();
        by_name.sort_unstable();
        // summary.json keys and the minutes-below-desired sum follow this order.
        assert_eq!(
            by_enum.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            by_name
        );
        let m: BTreeMap<Cause, f64> = [(Cause::Scaling, 2.0), (Cause::Interruption, 1.5)].into();
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"interruption":1.5,"scaling":2.0}"#
        );
        assert_eq!(format!("({})", Cause::Maintenance), "(maintenance)");
    }

    #[test]
    fn below_tracker_attributes_an_episode_to_the_cause_that_opened_it() {
        let mut t = BelowTracker::default();
        let at = |s: u64| SimTime(s * 1000);
        assert_eq!(t.update(at(0), 2, 2, Cause::Other), None);
        assert_eq!(t.update(at(10), 1, 2, Cause::Interruption), None);
        // A later change with another cause does not re-attribute the episode.
        assert_eq!(t.update(at(20), 1, 2, Cause::Scaling), None);
        let ended = t.update(at(40), 2, 2, Cause::Scaling);
        assert_eq!(
            ended,
            Some((Cause::Interruption, SimDuration::from_secs(30)))
        );
        assert_eq!(t.below_s(at(100)), [(Cause::Interruption, 30.0)].into());
        assert_eq!(t.recovery(Cause::Interruption).count, 1);
        assert_eq!(t.recovery(Cause::Scaling).count, 0);
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0.0), "0");
        assert_eq!(grouped(999.4), "999");
        assert_eq!(grouped(1000.0), "1,000");
        assert_eq!(grouped(128_231_164.47), "128,231,164");
        assert_eq!(grouped(-4321.0), "-4,321");
    }

    #[test]
    fn worst_ratio_counts_from_the_first_full_sample() {
        // A daemon starts at 0 of 6 (image pulls), reaches 6 of 6, then a
        // new instance makes it 6 of 7: the worst is 6/7, not the 0 at t = 0.
        let rec = recorder(&[(0, 0, 6), (60, 6, 6), (120, 6, 7), (180, 7, 7)]);
        let (ramp, worst) = rec.ramp_up_and_worst(0, 0);
        assert_eq!(ramp, Some(SimTime(60_000)));
        assert!((worst - 6.0 / 7.0).abs() < 1e-12, "{worst}");
        // The plain minimum over every sample still sees the start.
        assert_eq!(rec.running_ratio(0, 0).0, 0.0);
        // Never at the desired count: the whole run counts.
        let rec = recorder(&[(0, 0, 4), (60, 2, 4), (120, 3, 4)]);
        assert_eq!(rec.ramp_up_and_worst(0, 0), (None, 0.0));
        // No sample with desired > 0.
        let rec = recorder(&[(0, 0, 0)]);
        assert_eq!(rec.ramp_up_and_worst(0, 0), (None, 1.0));
    }
}
