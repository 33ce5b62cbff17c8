//! What a run observed: time-series samples, service events, and the
//! summary computed from them. The engine feeds the recorder; `output`
//! writes what it holds. Nothing here touches files.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

pub use crate::model::{InstanceCounts, TaskCounts};
pub use crate::scaling::AlarmState;
use crate::sim::{SimDuration, SimTime};

pub mod events;
pub mod records;
pub use events::{EventLog, EventRecord};
pub use records::{TaskRecord, TaskRecords};

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

/// One row of the time series (what the engine records at a sample, and
/// a row of [`Timeseries`] read back with [`Timeseries::sample`]).
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

/// A column of counts kept as runs of equal values: a service's counts
/// hold for minutes or hours between changes, so a month of one-minute
/// samples is a few hundred runs instead of 43,200 values. Row `i` is
/// `values[k]` for the first run `k` with `i < ends[k]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Runs {
    /// Per run, the row after its last (increasing).
    pub ends: Arc<[u32]>,
    /// Per run, its value.
    pub values: Arc<[u32]>,
}

impl Runs {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ends.last().map_or(0, |&e| e as usize)
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The run holding row `row` (`ends.len()` past the end).
    pub fn run_of(&self, row: usize) -> usize {
        self.ends.partition_point(|&e| e as usize <= row)
    }

    /// The values, row by row.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        (self.values.iter().zip(self.ends.iter().zip(starts)))
            .flat_map(|(&v, (&end, start))| std::iter::repeat_n(v, (end - start) as usize))
    }

    /// The values, row by row, in a vector.
    pub fn to_vec(&self) -> Vec<u32> {
        self.iter().collect()
    }
}

impl std::ops::Index<usize> for Runs {
    type Output = u32;

    /// Row `row`. Panics if out of range.
    fn index(&self, row: usize) -> &u32 {
        &self.values[self.run_of(row)]
    }
}

impl FromIterator<u32> for Runs {
    fn from_iter<I: IntoIterator<Item = u32>>(iter: I) -> Runs {
        let mut log = RunsLog::default();
        for v in iter {
            log.push(v);
        }
        log.finish()
    }
}

/// A [`Runs`] column while it grows.
#[derive(Debug, Clone, Default)]
struct RunsLog {
    ends: Vec<u32>,
    values: Vec<u32>,
}

impl RunsLog {
    fn push(&mut self, v: u32) {
        match (self.values.last(), self.ends.last_mut()) {
            (Some(&last), Some(end)) if last == v => *end += 1,
            (_, end) => {
                let next = end.map_or(1, |e| *e + 1);
                self.ends.push(next);
                self.values.push(v);
            }
        }
    }

    fn finish(self) -> Runs {
        Runs {
            ends: self.ends.into(),
            values: self.values.into(),
        }
    }
}

/// A reporting group's tasks by state over the samples, one column each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskColumns {
    /// PENDING.
    pub pending: Runs,
    /// RUNNING.
    pub running: Runs,
    /// STOPPING.
    pub stopping: Runs,
}

/// A service's load over the samples ([`LoadPoint`], one column per field).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadColumns {
    /// Requests/s offered.
    pub demand_rps: Arc<[f64]>,
    /// Requests/s served.
    pub served_rps: Arc<[f64]>,
    /// CPU utilization of its running tasks, percent.
    pub cpu_pct: Arc<[f64]>,
}

/// A capacity provider over the samples ([`ProviderPoint`], one column per
/// field).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderColumns {
    /// CapacityProviderReservation, percent.
    pub reservation_pct: Arc<[f64]>,
    /// Instances needed (M).
    pub needed: Runs,
    /// Instances running (N).
    pub running: Runs,
    /// The Auto Scaling group's desired capacity.
    pub asg_desired: Runs,
}

/// The time series of a run stored as flat columns, one per [`Sample`]
/// field (per-entity fields: one per entity, in the order of
/// [`SampleColumns`]); row `i` of every column is sample `i`. Columns are
/// shared slices, so the output tables point at them instead of copying.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeseries {
    /// Sample times, milliseconds.
    pub time_ms: Arc<[u64]>,
    /// Instances REGISTERING.
    pub registering: Arc<[u32]>,
    /// Instances ACTIVE.
    pub active: Arc<[u32]>,
    /// Instances DRAINING.
    pub draining: Arc<[u32]>,
    /// ACTIVE or DRAINING instances holding a non-daemon task.
    pub in_use: Arc<[u32]>,
    /// Live spot instances.
    pub spot: Arc<[u32]>,
    /// Interruption notices so far.
    pub interruptions: Arc<[u64]>,
    /// CPU reservation, percent.
    pub cpu_reservation_pct: Arc<[f64]>,
    /// Memory reservation, percent.
    pub memory_reservation_pct: Arc<[f64]>,
    /// Per service: desired count.
    pub desired: Vec<Runs>,
    /// Per reporting group: tasks by state.
    pub tasks: Vec<TaskColumns>,
    /// Per service with demand: its load.
    pub load: Vec<LoadColumns>,
    /// Per service on capacity providers: tasks PROVISIONING.
    pub provisioning: Vec<Runs>,
    /// Per service with target tracking: the first policy's alarm state.
    pub alarms: Vec<Arc<[AlarmState]>>,
    /// Per capacity provider: its managed-scaling state.
    pub providers: Vec<ProviderColumns>,
}

impl Timeseries {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.time_ms.len()
    }

    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.time_ms.is_empty()
    }

    /// Sample `i` as a row. Panics if out of range.
    pub fn sample(&self, i: usize) -> Sample {
        Sample {
            time: SimTime(self.time_ms[i]),
            instances: InstanceCounts {
                registering: self.registering[i],
                active: self.active[i],
                draining: self.draining[i],
            },
            instances_in_use: self.in_use[i],
            cpu_reservation_pct: self.cpu_reservation_pct[i],
            memory_reservation_pct: self.memory_reservation_pct[i],
            tasks: self
                .tasks
                .iter()
                .map(|t| TaskCounts {
                    pending: t.pending[i],
                    running: t.running[i],
                    stopping: t.stopping[i],
                })
                .collect(),
            desired: self.desired.iter().map(|c| c[i]).collect(),
            spot_instances: self.spot[i],
            interruptions: self.interruptions[i],
            load: self
                .load
                .iter()
                .map(|l| LoadPoint {
                    demand_rps: l.demand_rps[i],
                    served_rps: l.served_rps[i],
                    cpu_pct: l.cpu_pct[i],
                })
                .collect(),
            provisioning: self.provisioning.iter().map(|c| c[i]).collect(),
            providers: self
                .providers
                .iter()
                .map(|p| ProviderPoint {
                    reservation_pct: p.reservation_pct[i],
                    needed: p.needed[i],
                    running: p.running[i],
                    asg_desired: p.asg_desired[i],
                })
                .collect(),
            alarms: self.alarms.iter().map(|c| c[i]).collect(),
        }
    }

    /// The last sample, if any.
    pub fn last(&self) -> Option<Sample> {
        self.len().checked_sub(1).map(|i| self.sample(i))
    }

    /// The samples as rows, in order.
    pub fn samples(&self) -> impl Iterator<Item = Sample> + '_ {
        (0..self.len()).map(|i| self.sample(i))
    }

    /// Mean and max of a column (0 and 0 when empty).
    pub fn mean_max(values: impl ExactSizeIterator<Item = f64>) -> (f64, f64) {
        let n = values.len();
        if n == 0 {
            return (0.0, 0.0);
        }
        let (sum, max) = values.fold((0.0, 0.0_f64), |(s, m), v| (s + v, m.max(v)));
        (sum / n as f64, max)
    }

    /// Running/desired of reporting group `group` against service
    /// `service`'s desired count, at the samples where that is above 0,
    /// capped at 1: (time, ratio).
    fn ratios(&self, group: usize, service: usize) -> impl Iterator<Item = (u64, f64)> + '_ {
        // Row by row along the runs (indexing a row searches its run).
        let desired = self.desired[service].iter();
        let running = self.tasks[group].running.iter();
        (self.time_ms.iter().zip(desired.zip(running)))
            .filter(|&(_, (desired, _))| desired > 0)
            .map(|(&t, (desired, running))| {
                let r = f64::from(running) / f64::from(desired);
                (t, r.min(1.0))
            })
    }

    /// For a service followed by its samples only (a daemon): the time of
    /// the first sample where RUNNING reached the desired count (> 0), and
    /// the lowest running/desired from then on, so that the start of the
    /// run does not count against it (as for replica services). A service
    /// that never reached its desired count gets `None` and its lowest
    /// ratio over every sample with desired > 0 (1.0 when there is none).
    pub fn ramp_up_and_worst(&self, group: usize, service: usize) -> (Option<SimTime>, f64) {
        let mut start = None;
        let mut worst_from_start = 1.0_f64;
        let mut worst_all = 1.0_f64;
        for (t, r) in self.ratios(group, service) {
            if start.is_none() && r >= 1.0 {
                start = Some(SimTime(t));
            }
            if start.is_some() {
                worst_from_start = worst_from_start.min(r);
            }
            worst_all = worst_all.min(r);
        }
        match start {
            Some(_) => (start, worst_from_start),
            None => (None, worst_all),
        }
    }

    /// Min and mean of running/desired of reporting group `group` /
    /// service `service` over samples with desired > 0 (1.0 and 1.0 when
    /// there are none).
    pub fn running_ratio(&self, group: usize, service: usize) -> (f64, f64) {
        let mut n = 0usize;
        let mut sum = 0.0;
        let mut min = f64::INFINITY;
        for (_, r) in self.ratios(group, service) {
            n += 1;
            sum += r;
            min = min.min(r);
        }
        if n == 0 {
            return (1.0, 1.0);
        }
        (min, sum / n as f64)
    }
}

/// The time series while it is recorded: one growing column per field,
/// turned into a [`Timeseries`] at the end.
#[derive(Debug, Clone, Default)]
pub struct SampleLog {
    rows_hint: usize,
    time_ms: Vec<u64>,
    registering: Vec<u32>,
    active: Vec<u32>,
    draining: Vec<u32>,
    in_use: Vec<u32>,
    spot: Vec<u32>,
    interruptions: Vec<u64>,
    cpu: Vec<f64>,
    memory: Vec<f64>,
    desired: Vec<RunsLog>,
    tasks: Vec<[RunsLog; 3]>,
    load: Vec<[Vec<f64>; 3]>,
    provisioning: Vec<RunsLog>,
    alarms: Vec<Vec<AlarmState>>,
    providers: Vec<(Vec<f64>, [RunsLog; 3])>,
}

/// `v` with room for `n` values.
fn column<T>(n: usize) -> Vec<T> {
    Vec::with_capacity(n)
}

/// `list` grown to `n` entries made by `make`.
fn widen<T>(list: &mut Vec<T>, n: usize, make: impl Fn() -> T) {
    while list.len() < n {
        list.push(make());
    }
}

impl SampleLog {
    /// A log expecting about `rows` samples (its columns are sized for
    /// them, so they do not grow by doubling).
    pub fn with_rows(rows: usize) -> SampleLog {
        let n = rows;
        SampleLog {
            rows_hint: n,
            time_ms: column(n),
            registering: column(n),
            active: column(n),
            draining: column(n),
            in_use: column(n),
            spot: column(n),
            interruptions: column(n),
            cpu: column(n),
            memory: column(n),
            ..SampleLog::default()
        }
    }

    /// Samples recorded.
    pub fn len(&self) -> usize {
        self.time_ms.len()
    }

    /// Whether none was recorded.
    pub fn is_empty(&self) -> bool {
        self.time_ms.is_empty()
    }

    /// Appends sample `s`. Every sample of a run has the same number of
    /// entities in each per-entity field.
    pub fn push(&mut self, s: &Sample) {
        let n = self.rows_hint;
        debug_assert!(
            self.is_empty()
                || (self.desired.len(), self.tasks.len()) == (s.desired.len(), s.tasks.len()),
            "samples of different shapes"
        );
        self.time_ms.push(s.time.0);
        self.registering.push(s.instances.registering);
        self.active.push(s.instances.active);
        self.draining.push(s.instances.draining);
        self.in_use.push(s.instances_in_use);
        self.spot.push(s.spot_instances);
        self.interruptions.push(s.interruptions);
        self.cpu.push(s.cpu_reservation_pct);
        self.memory.push(s.memory_reservation_pct);
        widen(&mut self.desired, s.desired.len(), RunsLog::default);
        for (c, &v) in self.desired.iter_mut().zip(&s.desired) {
            c.push(v);
        }
        widen(&mut self.tasks, s.tasks.len(), Default::default);
        for (c, t) in self.tasks.iter_mut().zip(&s.tasks) {
            c[0].push(t.pending);
            c[1].push(t.running);
            c[2].push(t.stopping);
        }
        widen(&mut self.load, s.load.len(), || {
            [column(n), column(n), column(n)]
        });
        for (c, l) in self.load.iter_mut().zip(&s.load) {
            c[0].push(l.demand_rps);
            c[1].push(l.served_rps);
            c[2].push(l.cpu_pct);
        }
        widen(
            &mut self.provisioning,
            s.provisioning.len(),
            RunsLog::default,
        );
        for (c, &v) in self.provisioning.iter_mut().zip(&s.provisioning) {
            c.push(v);
        }
        widen(&mut self.alarms, s.alarms.len(), || column(n));
        for (c, &v) in self.alarms.iter_mut().zip(&s.alarms) {
            c.push(v);
        }
        widen(&mut self.providers, s.providers.len(), || {
            (column(n), Default::default())
        });
        for (c, p) in self.providers.iter_mut().zip(&s.providers) {
            c.0.push(p.reservation_pct);
            c.1[0].push(p.needed);
            c.1[1].push(p.running);
            c.1[2].push(p.asg_desired);
        }
    }

    /// The recorded columns, frozen; per-entity fields get one (empty)
    /// column per name of `names` even if nothing was recorded.
    pub fn finish(mut self, names: &SampleColumns) -> Timeseries {
        widen(&mut self.desired, names.desired.len(), RunsLog::default);
        widen(&mut self.tasks, names.tasks.len(), Default::default);
        widen(&mut self.load, names.load.len(), Default::default);
        widen(
            &mut self.provisioning,
            names.provisioning.len(),
            RunsLog::default,
        );
        widen(&mut self.alarms, names.alarms.len(), Vec::new);
        widen(&mut self.providers, names.providers.len(), Default::default);
        // Each column is copied into its shared slice and freed in turn, so
        // the log and the series are never both whole in memory.
        fn arc<T: Clone>(v: Vec<T>) -> Arc<[T]> {
            Arc::from(v)
        }
        Timeseries {
            time_ms: arc(self.time_ms),
            registering: arc(self.registering),
            active: arc(self.active),
            draining: arc(self.draining),
            in_use: arc(self.in_use),
            spot: arc(self.spot),
            interruptions: arc(self.interruptions),
            cpu_reservation_pct: arc(self.cpu),
            memory_reservation_pct: arc(self.memory),
            desired: self.desired.into_iter().map(RunsLog::finish).collect(),
            tasks: self
                .tasks
                .into_iter()
                .map(|[p, r, s]| TaskColumns {
                    pending: p.finish(),
                    running: r.finish(),
                    stopping: s.finish(),
                })
                .collect(),
            load: self
                .load
                .into_iter()
                .map(|[d, s, c]| LoadColumns {
                    demand_rps: arc(d),
                    served_rps: arc(s),
                    cpu_pct: arc(c),
                })
                .collect(),
            provisioning: (self.provisioning.into_iter())
                .map(RunsLog::finish)
                .collect(),
            alarms: self.alarms.into_iter().map(arc).collect(),
            providers: self
                .providers
                .into_iter()
                .map(|(c, [n, r, a])| ProviderColumns {
                    reservation_pct: arc(c),
                    needed: n.finish(),
                    running: r.finish(),
                    asg_desired: a.finish(),
                })
                .collect(),
        }
    }
}

/// A name that many records of a run repeat (a service, an AZ, an event
/// kind, an instance id): one shared copy of the text, so a record holds a
/// pointer instead of its own string. Reads as a `&str` (it derefs to one
/// and compares with strings); serialises as its text.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Arc<str>);

impl Name {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name(Arc::from(s))
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name(Arc::from(s))
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        **self == *other.0
    }
}

impl Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Hands out one shared [`Name`] per distinct text. Only looked up, never
/// iterated, so its hash order reaches no output.
#[derive(Debug, Clone, Default)]
pub struct Names(std::collections::HashMap<Name, ()>);

impl Names {
    /// The shared name for `text`.
    pub fn get(&mut self, text: &str) -> Name {
        if let Some((name, ())) = self.0.get_key_value(text) {
            return name.clone();
        }
        let name = Name::from(text);
        self.0.insert(name.clone(), ());
        name
    }
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
    /// Task-level failures (X4); only for a service with `taskCrashes`,
    /// `startFailures` or `imagePullFailures`.
    #[serde(flatten)]
    pub task_failures: TaskFailureCounts,
    /// Availability Zone rebalancing operations started (X2); only when
    /// one did, so other summaries keep their shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub az_rebalancing_operations: Option<u64>,
    /// Tasks started to rebalance over AZs (X2); only when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub az_rebalancing_tasks_started: Option<u64>,
    /// Tasks stopped to rebalance over AZs (X2); only when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub az_rebalancing_tasks_stopped: Option<u64>,
    /// Tasks given (or renewed) scale-in protection (X3); only for a
    /// service with `scaleInProtection`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks_protected: Option<u64>,
    /// Protection refused as `DEPLOYMENT_BLOCKED` (X3); only for a service
    /// with `scaleInProtection`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protection_refused: Option<u64>,
    /// Deployments (D3, D4), in order.
    pub deployments: Vec<DeploymentSummary>,
    /// Requests and what was served, for a service with demand (W1).
    pub demand: Option<DemandSummary>,
    /// Scale-outs: seconds from the metric first rising above target to the
    /// added tasks RUNNING (A2–A4 and, with capacity providers, C1–C4).
    pub scale_out_reaction: RecoveryStats,
    /// Time to get back to the desired count after shortfalls started by
    /// an AZ outage or instance failure (X1, X4); only when the scenario
    /// has `[failures]`, so other summaries keep their shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_after_failure: Option<RecoveryStats>,
    /// Share of the run's time, from the ramp-up on, with at least the
    /// desired count of healthy RUNNING tasks, percent (see [`Availability`]).
    pub availability_pct: f64,
    /// Share of that time with at least ⌈`availabilityShare` × desired⌉
    /// healthy RUNNING tasks, percent.
    pub partial_availability_pct: f64,
    /// Requests dropped, percent of requests (0 without demand).
    pub dropped_pct: f64,
    /// Minutes with demand above what the tasks serve (0 without demand).
    pub overloaded_minutes: u64,
    /// From the request of a task (desired-count change, replacement) to
    /// RUNNING, seconds: nearest-rank percentiles and the maximum.
    #[serde(flatten)]
    pub wait: Percentiles<WaitNames>,
    /// Time spent in PROVISIONING, seconds (0 for tasks placed at once).
    #[serde(flatten)]
    pub provisioning: Percentiles<ProvisioningNames>,
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
    /// Service or job name, or `(idle)`, `(instances)`, `(commitment)`
    /// (one shared copy of each name for all the rows).
    pub owner: Name,
    /// `ec2-on-demand`, `ec2-spot`, `FARGATE` or `FARGATE_SPOT`.
    pub capacity: Name,
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
    /// An AZ outage or an instance failure killed tasks (X1, X4).
    Failure,
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
            Cause::Failure => "failure",
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

/// The nearest-rank `p`-th percentile (0 < `p` ≤ 100) of `sorted`
/// (ascending): the smallest value with at least `p` % of the values at or
/// below it, i.e. the value of rank ⌈`p` × n / 100⌉ (1-based). 0 when empty.
pub fn percentile(sorted: &[u64], p: u32) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[(percentile_rank(sorted.len() as u64, p) - 1) as usize]
}

/// The 1-based nearest rank of percentile `p` (clamped to 1–100) among
/// `n > 0` values: ⌈p × n / 100⌉, at least 1.
fn percentile_rank(n: u64, p: u32) -> u64 {
    (u64::from(p.clamp(1, 100)) * n).div_ceil(100).max(1)
}

/// Field names of a [`Percentiles`] block in `summary.json`.
pub trait PercentileNames {
    /// The names of p50, p95, p99 and the maximum.
    const NAMES: [&'static str; 4];
}

/// Names `wait_p50_s` … `wait_max_s`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WaitNames;
impl PercentileNames for WaitNames {
    const NAMES: [&'static str; 4] = ["wait_p50_s", "wait_p95_s", "wait_p99_s", "wait_max_s"];
}

/// Names `provisioning_p50_s` … `provisioning_max_s`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProvisioningNames;
impl PercentileNames for ProvisioningNames {
    const NAMES: [&'static str; 4] = [
        "provisioning_p50_s",
        "provisioning_p95_s",
        "provisioning_p99_s",
        "provisioning_max_s",
    ];
}

/// Nearest-rank p50, p95, p99 and the maximum of a set of durations, in
/// seconds (all 0 for an empty set); written as four plain fields named by `N`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Percentiles<N> {
    /// p50, p95, p99 and max, seconds.
    pub values: [f64; 4],
    names: std::marker::PhantomData<N>,
}

impl<N> Percentiles<N> {
    /// The percentiles of durations in milliseconds, the same values as
    /// [`percentile`] of `ms` sorted; reorders `ms`. Three selections, each
    /// on the part below the one before, instead of a sort: a day of batch
    /// jobs has half a million waits, and a sort of them was 1.6% of its
    /// instructions.
    pub fn of_ms(ms: &mut [u64]) -> Self {
        let mut values = [0.0; 4];
        if !ms.is_empty() {
            let index = |p: u32| (percentile_rank(ms.len() as u64, p) - 1) as usize;
            let (i50, i95, i99) = (index(50), index(95), index(99));
            // After each selection the part before index i holds the i
            // smallest values, so the next, lower index is selected there.
            let (_, &mut p99, above) = ms.select_nth_unstable(i99);
            let max = above.iter().copied().fold(p99, u64::max);
            let p95 = if i95 < i99 {
                *ms[..i99].select_nth_unstable(i95).1
            } else {
                p99
            };
            let p50 = if i50 < i95 {
                *ms[..i95].select_nth_unstable(i50).1
            } else {
                p95
            };
            values = [p50, p95, p99, max].map(|v| v as f64 / 1000.0);
        }
        Percentiles {
            values,
            names: std::marker::PhantomData,
        }
    }

    /// The percentiles of `d`, the same values as [`of_ms`](Self::of_ms)
    /// of its durations: counted ones are read off their counts in one
    /// pass, the others selected or sorted (reordered in `d`).
    pub fn of_durations(d: &mut DurationsMs) -> Self {
        if d.counts.is_empty() {
            let mut all: Vec<u64> = (d.listed.iter().map(|&v| u64::from(v)))
                .chain(d.long.iter().copied())
                .collect();
            return Self::of_ms(&mut all);
        }
        let ranks = [50, 95, 99, 100].map(|p| percentile_rank(d.len(), p));
        let mut ms = [0u64; 4];
        let mut found = 0;
        let mut seen = 0;
        for (value, &count) in d.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            seen += count;
            while found < 4 && ranks[found] <= seen {
                ms[found] = value as u64;
                found += 1;
            }
            if found == 4 {
                break;
            }
        }
        if found < 4 {
            // Every long duration is longer than every counted one.
            d.long.sort_unstable();
            for (k, rank) in ranks.iter().enumerate().skip(found) {
                ms[k] = d.long[(rank - d.counted - 1) as usize];
            }
        }
        Percentiles {
            values: ms.map(|v| v as f64 / 1000.0),
            names: std::marker::PhantomData,
        }
    }
}

/// Durations under this many milliseconds (65.5 s) are kept in 4 bytes,
/// and may be counted by value.
const SHORT_MS: u64 = 1 << 16;
/// A list of this many short durations turns into counts per value.
const COUNT_FROM: usize = 1 << 16;

/// Durations in milliseconds kept for their percentiles. Those under
/// `SHORT_MS` are listed in 4 bytes each until there are `COUNT_FROM`
/// of them, then counted per millisecond value (the counts never take
/// more than twice what the list they replace took); longer ones are
/// listed in 8 bytes. A day of batch jobs has half a million waits and as
/// many times in PROVISIONING, nearly all of a few seconds: listed in 8
/// bytes each they were 7.7 MB, a third of the run's peak memory, and
/// their selection at the end 1.6% of its instructions; counted, a few
/// pages. A service of a few hundred tasks keeps a short list.
#[derive(Debug, Clone, Default)]
pub struct DurationsMs {
    /// Short durations, one by one, while they are fewer than
    /// [`COUNT_FROM`] (empty once counted).
    listed: Vec<u32>,
    /// Per millisecond value, how many short durations took it (empty
    /// until they are counted; as long as the largest value seen, rounded
    /// up to a power of two).
    counts: Vec<u64>,
    /// The sum of `counts`.
    counted: u64,
    /// The durations of [`SHORT_MS`] or more.
    long: Vec<u64>,
}

impl DurationsMs {
    /// Adds a duration.
    pub fn push(&mut self, ms: u64) {
        if ms >= SHORT_MS {
            self.long.push(ms);
        } else if !self.counts.is_empty() {
            self.count(ms as usize);
        } else {
            self.listed.push(ms as u32);
            if self.listed.len() == COUNT_FROM {
                for v in std::mem::take(&mut self.listed) {
                    self.count(v as usize);
                }
            }
        }
    }

    fn count(&mut self, i: usize) {
        if i >= self.counts.len() {
            self.counts.resize((i + 1).next_power_of_two(), 0);
        }
        self.counts[i] += 1;
        self.counted += 1;
    }

    /// Number of durations.
    pub fn len(&self) -> u64 {
        (self.listed.len() + self.long.len()) as u64 + self.counted
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<N: PercentileNames> Serialize for Percentiles<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(4))?;
        for (k, v) in N::NAMES.iter().zip(self.values) {
            m.serialize_entry(k, &v)?;
        }
        m.end()
    }
}

/// A service's availability, time-weighted from the moments its healthy
/// count or desired count change. Time counts from the ramp-up (the first
/// moment with desired > 0 and healthy ≥ desired) to the end of the run; a
/// service that never got there was never available (0 %), unless it never
/// wanted a task (100 %).
#[derive(Debug, Clone, Default)]
pub struct Availability {
    from: Option<SimTime>,
    last: SimTime,
    full: bool,
    partial: bool,
    wanted: bool,
    full_ms: u64,
    partial_ms: u64,
}

impl Availability {
    /// Healthy tasks needed for partial availability: ⌈`share` × `desired`⌉.
    pub fn partial_need(share: f64, desired: u32) -> u32 {
        // A tolerance so that 0.3 × 10 (3.0000000000000004) needs 3.
        ((share * f64::from(desired)) - 1e-9).ceil().max(0.0) as u32
    }

    /// Records the counts from `now` on (until the next update).
    pub fn update(&mut self, now: SimTime, healthy: u32, desired: u32, share: f64) {
        if desired > 0 {
            self.wanted = true;
        }
        if self.from.is_none() {
            if desired == 0 || healthy < desired {
                return;
            }
            self.from = Some(now);
            self.last = now;
        }
        let d = (now - self.last).as_millis();
        if self.full {
            self.full_ms += d;
        }
        if self.partial {
            self.partial_ms += d;
        }
        self.last = now;
        self.full = healthy >= desired;
        self.partial = healthy >= Self::partial_need(share, desired);
    }

    /// Full and partial availability up to `end`, percent.
    pub fn pct(&self, end: SimTime) -> (f64, f64) {
        let Some(from) = self.from else {
            return if self.wanted {
                (0.0, 0.0)
            } else {
                (100.0, 100.0)
            };
        };
        let total = (end - from).as_millis();
        if total == 0 {
            return (100.0, 100.0);
        }
        let tail = (end - self.last).as_millis();
        let full = self.full_ms + if self.full { tail } else { 0 };
        let partial = self.partial_ms + if self.partial { tail } else { 0 };
        let pct = |x: u64| round4(100.0 * x as f64 / total as f64);
        (pct(full), pct(partial))
    }
}

/// Requests for tasks of a service not yet given a task, oldest first, as
/// (time, count): a desired-count rise or a lost task asks for tasks; the
/// tasks the scheduler starts take the oldest requests.
#[derive(Debug, Clone, Default)]
pub struct Requests {
    queue: std::collections::VecDeque<(SimTime, u32)>,
    total: u32,
}

impl Requests {
    /// The scheduler wants `want` more tasks at `now`: new requests date
    /// from `now`; fewer wanted cancels the latest requests.
    pub fn sync(&mut self, now: SimTime, want: u32) {
        if want > self.total {
            self.queue.push_back((now, want - self.total));
        }
        let mut extra = self.total.saturating_sub(want);
        while extra > 0 {
            let Some(back) = self.queue.back_mut() else {
                break;
            };
            let k = back.1.min(extra);
            back.1 -= k;
            extra -= k;
            if back.1 == 0 {
                self.queue.pop_back();
            }
        }
        self.total = want;
    }

    /// The oldest request, taken by a task started now (`None` if no
    /// request is waiting).
    pub fn take(&mut self) -> Option<SimTime> {
        let front = self.queue.front_mut()?;
        let at = front.0;
        front.1 -= 1;
        if front.1 == 0 {
            self.queue.pop_front();
        }
        self.total -= 1;
        Some(at)
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
    /// Killed (and crashed) tasks submitted again.
    pub tasks_rerun: u64,
    /// RUNNING time lost by killed (and crashed) tasks (work to be
    /// re-run), task-seconds.
    pub work_lost_task_s: f64,
    /// Tasks completed, percent of tasks submitted (100 with none submitted).
    pub completion_pct: f64,
    /// From submission (RunTask) to RUNNING, seconds.
    #[serde(flatten)]
    pub wait: Percentiles<WaitNames>,
    /// Time spent in PROVISIONING, seconds (0 for tasks placed at once).
    #[serde(flatten)]
    pub provisioning: Percentiles<ProvisioningNames>,
    /// Task-level failures (X4); only for a stream with `taskCrashes`,
    /// `startFailures` or `imagePullFailures`.
    #[serde(flatten)]
    pub task_failures: TaskFailureCounts,
}

/// Task-level failures of a service or job stream (X4, P9, D4), each
/// counted only when its feature is configured (absent from summary.json
/// otherwise, so other summaries keep their shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct TaskFailureCounts {
    /// RUNNING tasks whose essential container exited (`taskCrashes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks_crashed: Option<u64>,
    /// Tasks that stopped before RUNNING (`startFailures` or
    /// `imagePullFailures`; pull failures and failing revisions included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks_failed_to_start: Option<u64>,
    /// Failed image pull attempts the agent retried (`imagePullFailures`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_retries: Option<u64>,
    /// Tasks whose every pull attempt failed (`imagePullFailures`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_failures: Option<u64>,
}

impl TaskFailureCounts {
    /// `12 crashed, 3 failed to start (1 after 5 failed pulls), 8 pull
    /// retries`: the configured counts, for `ecsim run`'s report.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(n) = self.tasks_crashed {
            parts.push(format!("{n} crashed"));
        }
        if let Some(n) = self.tasks_failed_to_start {
            let mut p = format!("{n} failed to start");
            if let Some(k) = self.image_pull_failures {
                p += &format!(" ({k} after 5 failed pulls)");
            }
            parts.push(p);
        }
        if let Some(n) = self.image_pull_retries {
            parts.push(format!("{n} pull retries"));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
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
    pub by_cause: BTreeMap<crate::model::SpotNoticeCause, u64>,
    /// Instances terminated by the ASG after capacity rebalancing (S5).
    pub rebalanced: u64,
    /// Spot launches refused because no pool had capacity.
    pub launch_failures: u64,
}

/// AZ outages and instance failures over the run (X1, X4).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct FailureSummary {
    /// AZ outages that started.
    pub az_outages: u64,
    /// Minutes of AZ outage within the run, summed over outages.
    pub az_outage_minutes: f64,
    /// Instances terminated because their AZ went down.
    pub instances_lost_to_outages: u64,
    /// Instances that failed (random or scripted, X4).
    pub instances_failed: u64,
    /// Tasks killed by outages and instance failures (EC2 and Fargate).
    pub tasks_killed: u64,
    /// Instances launched to rebalance AZs after an outage.
    pub rebalance_launches: u64,
    /// Launch attempts of a group refused because every AZ it uses was
    /// down (retried every `spot.launchRetry`).
    pub launches_refused: u64,
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
    /// Requests dropped over every service with demand, percent of their
    /// requests (0 without demand).
    pub dropped_pct: f64,
    /// What the run cost (B1–B4).
    pub cost: CostSummary,
    /// AZ outages and instance failures; only when the scenario has
    /// `[failures]`, so other summaries keep their shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failures: Option<FailureSummary>,
    /// Each `[slo]` objective judged on this run; absent without objectives.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slo: Vec<SloResult>,
}

/// One `[slo]` objective judged on a run (`summary.json`'s `slo` list).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloResult {
    /// The objective as written.
    pub objective: String,
    /// The summary field it reads (flattened name).
    pub metric: String,
    /// The field's value in this run.
    pub value: f64,
    /// Whether the value satisfies the objective.
    pub met: bool,
    /// How far the value is on the good side of the threshold (negative
    /// when missed).
    pub margin: f64,
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
            if let Some(f) = svc.task_failures.describe() {
                out.push(format!("  task failures: {f}"));
            }
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
            // Crashed tasks (X4) re-run and lose work as killed ones do.
            if j.tasks_killed > 0 || j.tasks_rerun > 0 {
                line += &format!(
                    "; {} killed, {} re-run, {:.1} task-h of work lost",
                    j.tasks_killed,
                    j.tasks_rerun,
                    j.work_lost_task_s / 3600.0
                );
            }
            out.push(line);
            if let Some(f) = j.task_failures.describe() {
                out.push(format!("  task failures: {f}"));
            }
        }
        if let Some(f) = &self.failures {
            out.push(format!(
                "failures: {} AZ outages ({:.0} min, {} instances lost), {} instances failed, {} tasks killed, {} rebalancing launches",
                f.az_outages,
                f.az_outage_minutes,
                f.instances_lost_to_outages,
                f.instances_failed,
                f.tasks_killed,
                f.rebalance_launches
            ));
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
        out.extend(self.slo_lines());
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

impl Summary {
    /// The `[slo]` objectives as a table (none without objectives):
    /// objective, value, `met` or `MISSED`, margin.
    pub fn slo_lines(&self) -> Vec<String> {
        if self.slo.is_empty() {
            return Vec::new();
        }
        let w = self
            .slo
            .iter()
            .map(|o| o.objective.chars().count())
            .max()
            .unwrap_or(0)
            .max("objective".len());
        let mut out = vec![format!(
            "{:<w$}  {:>12}  {:<6}  {:>12}",
            "objective", "value", "result", "margin"
        )];
        for o in &self.slo {
            out.push(format!(
                "{:<w$}  {:>12}  {:<6}  {:>12}",
                o.objective,
                format!("{}", round4(o.value)),
                if o.met { "met" } else { "MISSED" },
                format!("{:+}", round4(o.margin)),
            ));
        }
        let missed = self.slo.iter().filter(|o| !o.met).count();
        out.push(format!(
            "objectives: {} met, {missed} missed",
            self.slo.len() - missed
        ));
        out
    }

    /// Objectives this run missed.
    pub fn slo_missed(&self) -> usize {
        self.slo.iter().filter(|o| !o.met).count()
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
    /// Time-series rows, as columns.
    pub samples: SampleLog,
    /// Events.
    pub events: EventLog,
    /// Spot instances not terminated, kept as instances launch and
    /// terminate (the `instances_spot` column).
    pub spot_live: u32,
}

impl Recorder {
    /// Records an event.
    pub fn event(&mut self, time: SimTime, source: &str, event: &str, message: String) {
        self.events.push(time, source, event, &message);
    }

    /// Records a change of service `source`'s desired count from `old` to
    /// `desired` for `cause` (the message `service {source} desired count
    /// {old} -> {desired}: {cause}`, made when it is read).
    pub fn scaling_event(
        &mut self,
        time: SimTime,
        source: &str,
        event: &str,
        counts: (u32, u32),
        cause: &str,
    ) {
        self.events.push_scaling(time, source, event, counts, cause);
    }
}

/// The named children of a summary node: an object's fields, or a list's
/// elements keyed by their `name` (or index). The root's `seed` is left out.
pub fn summary_children(v: &serde_json::Value, root: bool) -> Vec<(String, &serde_json::Value)> {
    match v {
        serde_json::Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !(root && k.as_str() == "seed"))
            .map(|(k, v)| (k.clone(), v))
            .collect(),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let key = item
                    .get("name")
                    .and_then(serde_json::Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_string);
                (key, item)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Flattens a summary into `(name, value)` pairs, in the summary's order:
/// the names sweeps and `[slo]` objectives use (`services.web.availability_pct`).
/// A list's elements are keyed by their `name` (or index); strings are left
/// out, booleans read 1 or 0, and so is left out the top-level `seed`.
pub fn flatten(summary: &serde_json::Value) -> Vec<(String, f64)> {
    fn walk(v: &serde_json::Value, name: &str, root: bool, out: &mut Vec<(String, f64)>) {
        if let serde_json::Value::Number(n) = v {
            if let Some(x) = n.as_f64() {
                out.push((name.to_string(), x));
            }
            return;
        }
        if let serde_json::Value::Bool(b) = v {
            out.push((name.to_string(), if *b { 1.0 } else { 0.0 }));
            return;
        }
        for (k, child) in summary_children(v, root) {
            let full = if root { k } else { format!("{name}.{k}") };
            walk(child, &full, false, out);
        }
    }
    let mut out = Vec::new();
    walk(summary, "", true, &mut out);
    out
}

/// Rounds to 4 decimals for stable, readable JSON.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_share_one_copy_and_read_as_their_text() {
        let mut names = Names::default();
        let a = names.get("web");
        let b = names.get(&String::from("web"));
        assert!(Arc::ptr_eq(&a.0, &b.0), "one copy per distinct text");
        assert!(!Arc::ptr_eq(&a.0, &names.get("api").0));
        // Compares, prints and serialises as the string it replaces.
        let owned = String::from("web");
        assert_eq!(a, "web");
        assert_eq!("web", a);
        assert_eq!(a, owned);
        assert_eq!(owned, a);
        assert_eq!(a.as_str(), "web");
        assert_eq!(format!("{a} {a:?}"), format!("{} {:?}", "web", "web"));
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"web\"");
        let mut r = Recorder::default();
        r.event(SimTime(1500), "web", "scale-out", format!("{}", 42));
        r.event(SimTime(2000), "web", "scale-out", String::from("x"));
        let (e0, e1) = (&r.events[0], &r.events[1]);
        assert!(Arc::ptr_eq(&e0.source.0, &e1.source.0));
        assert!(Arc::ptr_eq(&e0.event.0, &e1.event.0));
        assert_eq!(
            serde_json::to_string(e0).unwrap(),
            r#"{"time_s":1.5,"source":"web","event":"scale-out","message":"42"}"#
        );
    }

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

    fn recorder(rows: &[(u64, u32, u32)]) -> Timeseries {
        let mut log = SampleLog::with_rows(rows.len());
        for &(t, r, d) in rows {
            log.push(&sample(t, r, d));
        }
        let names = SampleColumns {
            desired: vec!["s".into()],
            tasks: vec!["s".into()],
            ..SampleColumns::default()
        };
        log.finish(&names)
    }

    #[test]
    fn samples_read_back_as_the_rows_recorded() {
        let mut rows = vec![sample(0, 1, 2), sample(60, 2, 2)];
        rows[1].load = vec![LoadPoint {
            demand_rps: 10.0,
            served_rps: 5.0,
            cpu_pct: 99.5,
        }];
        rows[0].load = vec![LoadPoint::default()];
        rows[1].alarms = vec![AlarmState::High];
        rows[0].alarms = vec![AlarmState::Ok];
        let mut log = SampleLog::with_rows(1);
        for r in &rows {
            log.push(r);
        }
        let names = SampleColumns {
            desired: vec!["s".into()],
            tasks: vec!["s".into()],
            load: vec!["s".into()],
            alarms: vec!["s".into()],
            ..SampleColumns::default()
        };
        let ts = log.finish(&names);
        assert_eq!(ts.len(), 2);
        assert_eq!(ts.samples().collect::<Vec<_>>(), rows);
        assert_eq!(ts.last(), Some(rows[1].clone()));
        assert_eq!(ts.tasks[0].running.to_vec(), [1, 2]);
        // Without samples, every named entity still gets its (empty) column.
        let names = SampleColumns {
            providers: vec!["cp".into()],
            ..names
        };
        let empty = SampleLog::default().finish(&names);
        assert_eq!((empty.providers.len(), empty.load.len()), (1, 1));
        assert!(empty.providers[0].needed.is_empty() && empty.last().is_none());
        assert_eq!(
            Timeseries::mean_max([1.0, 3.0, 2.0].into_iter()),
            (2.0, 3.0)
        );
        assert_eq!(Timeseries::mean_max(std::iter::empty()), (0.0, 0.0));
    }

    #[test]
    fn causes_order_as_their_names_and_serialize_as_them() {
        let all = [
            Cause::Interruption,
            Cause::Maintenance,
            Cause::Deployment,
            Cause::Failure,
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
    fn percentiles_are_nearest_rank() {
        // Rank ceil(p × n / 100), 1-based.
        let xs: Vec<u64> = (1..=10).collect();
        assert_eq!(percentile(&xs, 50), 5); // rank 5
        assert_eq!(percentile(&xs, 95), 10); // rank ceil(9.5) = 10
        assert_eq!(percentile(&xs, 99), 10);
        assert_eq!(percentile(&xs, 100), 10);
        assert_eq!(percentile(&xs, 10), 1);
        assert_eq!(percentile(&xs, 11), 2); // ceil(1.1) = 2
        let xs: Vec<u64> = (1..=200).collect();
        assert_eq!(percentile(&xs, 95), 190);
        assert_eq!(percentile(&xs, 99), 198);
        assert_eq!(percentile(&[7], 50), 7);
        assert_eq!(percentile(&[], 99), 0);
        // Four 20 s waits and seven 200 s waits, in any order.
        let mut ms: Vec<u64> = vec![200_000, 20_000, 200_000, 20_000, 200_000, 200_000];
        ms.extend([20_000, 200_000, 20_000, 200_000, 200_000]);
        let p: Percentiles<WaitNames> = Percentiles::of_ms(&mut ms);
        assert_eq!(p.values, [200.0, 200.0, 200.0, 200.0]);
        let p: Percentiles<WaitNames> = Percentiles::of_ms(&mut [1500u64, 500, 1000, 2000]);
        assert_eq!(p.values, [1.0, 2.0, 2.0, 2.0]);
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"wait_p50_s":1.0,"wait_p95_s":2.0,"wait_p99_s":2.0,"wait_max_s":2.0}"#
        );
        let none: Percentiles<ProvisioningNames> = Percentiles::of_ms(&mut [0u64; 0]);
        assert_eq!(none.values, [0.0; 4]);
    }

    /// `of_ms` selects what `percentile` reads off the sorted values, for
    /// every size from 1 to 300 (where the ranks of p50, p95 and p99
    /// coincide and part), with many equal values and with none.
    #[test]
    fn percentiles_by_selection_equal_those_of_the_sorted_values() {
        use rand::Rng;
        let mut rng = crate::sim::RngStreams::new(7).stream("percentiles");
        for n in 1..=300 {
            for spread in [3, 1_000_000] {
                let ms: Vec<u64> = (0..n).map(|_| rng.gen_range(0..spread)).collect();
                let mut sorted = ms.clone();
                sorted.sort_unstable();
                let want = [50, 95, 99, 100].map(|p| percentile(&sorted, p) as f64 / 1000.0);
                let got: Percentiles<WaitNames> = Percentiles::of_ms(&mut ms.clone());
                assert_eq!(got.values, want, "n {n}, values below {spread}");
            }
        }
    }

    /// Durations listed, counted by value once there are many short ones,
    /// or listed in 8 bytes from 65.5 s on give the percentiles of the
    /// same values sorted, whichever way they split (all short, all long,
    /// mixed, at the boundaries of length and of count), with many equal
    /// values and with few.
    #[test]
    fn durations_give_the_percentiles_of_their_values() {
        use rand::Rng;
        let mut rng = crate::sim::RngStreams::new(9).stream("durations");
        let sizes = [
            0,
            1,
            2,
            3,
            99,
            100,
            101,
            5000,
            COUNT_FROM - 1,
            COUNT_FROM,
            COUNT_FROM + 7,
        ];
        for n in sizes {
            for long_share in [0, 1, 50, 100] {
                for spread in [3, 70_000] {
                    let ms: Vec<u64> = (0..n)
                        .map(|_| match rng.gen_range(0..100) < long_share {
                            true => SHORT_MS + rng.gen_range(0..spread),
                            false => SHORT_MS - 1 - rng.gen_range(0..spread.min(SHORT_MS)),
                        })
                        .collect();
                    let mut d = DurationsMs::default();
                    ms.iter().for_each(|&v| d.push(v));
                    assert_eq!(d.len(), n as u64);
                    let mut sorted = ms.clone();
                    sorted.sort_unstable();
                    let want = [50, 95, 99, 100].map(|p| percentile(&sorted, p) as f64 / 1000.0);
                    let got: Percentiles<WaitNames> = Percentiles::of_durations(&mut d);
                    assert_eq!(
                        got.values, want,
                        "n {n}, {long_share}% long, spread {spread}"
                    );
                }
            }
        }
    }

    #[test]
    fn availability_weighs_time_from_the_ramp_up() {
        let at = |s: u64| SimTime(s * 1000);
        let mut a = Availability::default();
        a.update(at(0), 0, 4, 0.9);
        a.update(at(100), 4, 4, 0.9); // ramp-up: counted from 100 s
        a.update(at(200), 3, 4, 0.9); // below: 3 < 4 and 3 < ceil(3.6)
        a.update(at(230), 3, 5, 0.5); // partial needs ceil(2.5) = 3
        a.update(at(260), 5, 5, 0.9);
        // 1100 s counted: full misses 60 s, partial 30 s.
        let (full, partial) = a.pct(at(1200));
        assert_eq!(full, round4(100.0 * 1040.0 / 1100.0));
        assert_eq!(partial, round4(100.0 * 1070.0 / 1100.0));
        // Never at the desired count: 0; never asked for a task: 100.
        let mut a = Availability::default();
        a.update(at(0), 1, 2, 0.9);
        assert_eq!(a.pct(at(10)), (0.0, 0.0));
        let mut a = Availability::default();
        a.update(at(0), 0, 0, 0.9);
        assert_eq!(a.pct(at(10)), (100.0, 100.0));
        assert_eq!(Availability::partial_need(0.3, 10), 3);
        assert_eq!(Availability::partial_need(0.9, 10), 9);
        assert_eq!(Availability::partial_need(0.9, 3), 3);
        assert_eq!(Availability::partial_need(0.5, 1), 1);
    }

    #[test]
    fn requests_are_answered_oldest_first() {
        let at = |s: u64| SimTime(s * 1000);
        let mut r = Requests::default();
        r.sync(at(0), 2);
        assert_eq!(r.take(), Some(at(0)));
        r.sync(at(10), 3); // one left from 0 s, two new at 10 s
        r.sync(at(20), 2); // one fewer wanted: the latest goes
        assert_eq!(r.take(), Some(at(0)));
        assert_eq!(r.take(), Some(at(10)));
        assert_eq!(r.take(), None);
        r.sync(at(30), 0);
        assert_eq!(r.take(), None);
    }

    #[test]
    fn flatten_reads_booleans_as_numbers() {
        let v =
            serde_json::json!({"seed": 1, "slo": [{"objective": "x", "value": 2.5, "met": true}]});
        assert_eq!(
            flatten(&v),
            [
                ("slo.0.value".to_string(), 2.5),
                ("slo.0.met".to_string(), 1.0)
            ]
        );
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
