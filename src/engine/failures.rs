//! Failure what-ifs at the instance and Availability Zone level (ECS-MODEL
//! X1, X4): AZ outages, random and scripted instance failures, and the
//! recovery that follows them — the Auto Scaling group replacing what it
//! lost, and rebalancing across AZs when an AZ comes back.
//!
//! Owns [`FailuresSpec`] (what the scenario's `[failures]` section says,
//! built by `scenario/failures.rs`) and `FailureState`
//! (`Simulation::failures`): the AZs down now, the outages as drawn, and
//! the counters the summary reports. Task crashes and start failures of
//! services are not here (they are per-service keys).
//!
//! # Model
//!
//! - **AZ outage (X1).** At the start every instance of the AZ terminates
//!   at once, without notice or draining: its tasks are killed, as when
//!   EC2 terminates an instance under them (S3). Fargate tasks running in
//!   the AZ are killed too (model choice: the outage takes the zone's
//!   capacity, whoever runs it). Until the end, launches in the AZ fail:
//!   a group launches its replacements in its other AZs (the one with the
//!   fewest instances first, as an ASG balances), and Fargate places tasks
//!   in its other AZs. Services re-place their tasks under their strategy
//!   and D1 limits through the service scheduler; what cannot be placed
//!   yields the usual "unable to place" events (P9). Replacements of an
//!   outage are launched at once (no health-check grace: the ASG sees the
//!   instances gone, not unhealthy).
//! - **Recovery (X1, last clause).** When the AZ is back, every group that
//!   uses it rebalances, as the ASG's `AZRebalance` process does: while its
//!   most and least populated AZs (among those up) differ by more than one
//!   instance, it *launches* an instance in the least populated AZ (same
//!   type and purchase option as the instance it will replace) and, once
//!   that instance is ACTIVE, sets one instance of the most populated AZ
//!   DRAINING (D1) and terminates it when its tasks are gone. Model
//!   choices: the victim is the instance with the fewest non-daemon tasks,
//!   then the oldest (lowest id) — the ASG default policy would pick by
//!   launch template and billing hour, which a simulation does not
//!   distinguish; and the victim is drained rather than terminated under
//!   its tasks, as ECS managed instance draining (on by default for
//!   capacity providers) does for any instance the ASG terminates, so
//!   that rebalancing never kills tasks. The ASG may exceed its maximum
//!   size during rebalancing by its documented margin, 10% or 1 instance
//!   whichever is greater: rebalancing launches only while the group's
//!   live instances stay within `maxSize` + margin, and goes on each time
//!   one of its victims has terminated.
//! - **Instance failure (X4).** A failed instance is terminated by the ASG
//!   with its tasks (killed, not stopped); the group launches its
//!   replacement after the health-check grace period (parameter, default
//!   300 s: the grace period the EC2 Auto Scaling console sets when it
//!   creates a group; the API's default is 0). Services replace the killed
//!   tasks at once: they crashed after RUNNING, so the throttle of P9 does
//!   not apply. Random failures: each instance draws its time to failure
//!   at launch, exponential with the rate of its type (`mtbf` per type,
//!   else `perInstanceHour`), from the stream `instance-failures`.
//!   Scripted failures of a group take `count` of its live instances,
//!   chosen uniformly without replacement from the stream
//!   `failure-victims`; of an instance id, that instance if it is live.
//!
//! Random outages draw their AZ (uniform over the scenario's AZs), then
//! their start, then their duration, outage by outage in file order, from
//! the stream `az-outages`, when the run starts.

use std::collections::BTreeMap;

use rand::seq::index::sample;
use rand::Rng;

use super::{Cause, Event, Simulation};
use crate::market::sample_time_to_interruption;
use crate::model::{
    InstanceGroupId, InstanceId, InstanceState, StopReason, TaskId, TaskOwner, TaskState,
    TerminationReason,
};
use crate::sim::{SimDuration, SimTime};
use crate::workload::Dist;

/// The `[failures]` section: AZ outages and instance failures (X1, X4).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FailuresSpec {
    /// AZ outages, in file order (inline first, then replayed).
    pub az_outages: Vec<AzOutageSpec>,
    /// Random instance failures, if any.
    pub random: Option<RandomInstanceFailures>,
    /// Instance failures at fixed times (inline, then replayed), by time.
    pub instance_failures: Vec<InstanceFailureSpec>,
    /// The ASG's health-check grace period: a failed instance's
    /// replacement is launched this long after its termination (X4).
    pub health_check_grace: SimDuration,
    /// Every AZ of the scenario (groups and Fargate), sorted: where a
    /// random outage may fall.
    pub availability_zones: Vec<String>,
}

impl FailuresSpec {
    /// Default health-check grace period: 300 s, what the EC2 Auto Scaling
    /// console sets when it creates a group (the API's default is 0).
    pub const DEFAULT_GRACE: SimDuration = SimDuration::from_secs(300);

    /// Whether the scenario asks for any failure.
    pub fn is_used(&self) -> bool {
        !self.az_outages.is_empty() || self.random.is_some() || !self.instance_failures.is_empty()
    }
}

/// Which AZ an outage takes.
#[derive(Debug, Clone, PartialEq)]
pub enum AzChoice {
    /// This one.
    Named(String),
    /// One of the scenario's AZs, drawn at the start of the run.
    Random,
}

/// One AZ outage (X1).
#[derive(Debug, Clone, PartialEq)]
pub struct AzOutageSpec {
    /// The AZ.
    pub az: AzChoice,
    /// Its start, from time zero (a constant, or drawn).
    pub at: Dist,
    /// How long it lasts (a constant, or drawn).
    pub duration: Dist,
}

/// Random instance failures (X4).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RandomInstanceFailures {
    /// Failures per running instance-hour.
    pub per_instance_hour: f64,
    /// Per instance type, a rate per hour (1 / MTBF) replacing the default.
    pub by_type: BTreeMap<String, f64>,
}

impl RandomInstanceFailures {
    /// The failure rate per hour of an instance of type `ty`.
    pub fn rate(&self, ty: &str) -> f64 {
        self.by_type
            .get(ty)
            .copied()
            .unwrap_or(self.per_instance_hour)
    }
}

/// What a scripted instance failure takes.
#[derive(Debug, Clone, PartialEq)]
pub enum FailureTarget {
    /// `count` live instances of a group.
    Group(InstanceGroupId),
    /// The instance with this EC2 id (an instance seed's `ec2InstanceId`).
    Instance(String),
}

/// An instance failure at a fixed time (X4).
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceFailureSpec {
    /// When.
    pub at: SimTime,
    /// Which instances.
    pub target: FailureTarget,
    /// How many (1 for an instance id).
    pub count: u32,
}

/// An outage as drawn for this run.
#[derive(Debug, Clone)]
struct Outage {
    az: String,
    start: SimTime,
    end: SimTime,
}

/// Failures in progress and what they did.
#[derive(Debug, Default)]
pub(super) struct FailureState {
    /// AZs down now, with the number of outages holding each down.
    down: BTreeMap<String, u32>,
    /// The outages as drawn, by index in the spec.
    outages: Vec<Outage>,
    /// Rebalancing launches not yet ACTIVE: new instance -> the instance it
    /// replaces.
    rebalancing: BTreeMap<InstanceId, InstanceId>,
    /// Counters for the summary.
    pub counts: crate::metrics::FailureSummary,
}

impl FailureState {
    /// Whether launches and placements in `az` fail now.
    pub fn is_down(&self, az: &str) -> bool {
        self.down.contains_key(az)
    }
}

impl Simulation {
    /// Draws the random outages and schedules every failure of the spec.
    pub(super) fn schedule_failures(&mut self) {
        let spec = self.spec.failures.clone();
        for (k, o) in spec.az_outages.iter().enumerate() {
            let az = match &o.az {
                AzChoice::Named(a) => a.clone(),
                AzChoice::Random => {
                    let azs = &spec.availability_zones;
                    if azs.is_empty() {
                        String::new()
                    } else {
                        azs[self.streams.outages.gen_range(0..azs.len())].clone()
                    }
                }
            };
            let start = SimTime::ZERO + o.at.sample(&mut self.streams.outages);
            let end = start + o.duration.sample(&mut self.streams.outages);
            self.failures.outages.push(Outage { az, start, end });
            if start <= self.horizon {
                self.queue.schedule(start, Event::AzOutageStart(k as u32));
                if end <= self.horizon {
                    self.queue.schedule(end, Event::AzOutageEnd(k as u32));
                }
            }
        }
        for (k, f) in spec.instance_failures.iter().enumerate() {
            if f.at <= self.horizon {
                self.queue
                    .schedule(f.at, Event::ScriptedInstanceFailure(k as u32));
            }
        }
    }

    /// X4: draws when a new instance fails, if failures are random.
    pub(super) fn draw_instance_failure(&mut self, i: InstanceId) {
        let Some(random) = &self.spec.failures.random else {
            return;
        };
        let rate = random.rate(&self.cluster.instance(i).instance_type);
        if let Some(d) = sample_time_to_interruption(&mut self.streams.failures, rate) {
            let at = self.queue.now() + d;
            if at <= self.horizon {
                self.queue.schedule(at, Event::InstanceFailure(i));
            }
        }
    }

    /// X1: the AZ goes down; its instances and Fargate tasks die.
    pub(super) fn on_az_outage_start(&mut self, k: usize) {
        let now = self.queue.now();
        let o = self.failures.outages[k].clone();
        *self.failures.down.entry(o.az.clone()).or_default() += 1;
        self.failures.counts.az_outages += 1;
        let victims: Vec<InstanceId> = (self.cluster.instances().iter())
            .filter(|i| i.az == o.az && i.state != InstanceState::Terminated)
            .map(|i| i.id)
            .collect();
        let fargate: Vec<TaskId> = (self.fargate.tasks.iter())
            .filter(|(t, m)| m.az == o.az && self.cluster.task(**t).is_live())
            .map(|(t, _)| *t)
            .collect();
        let tasks: usize = victims
            .iter()
            .map(|&i| self.cluster.instance(i).tasks.len())
            .sum();
        self.recorder.event(
            now,
            &o.az,
            "az-outage-start",
            format!(
                "Availability Zone {} is unavailable until {} s: {} instances and {} tasks lost, launches and Fargate placements there fail",
                o.az,
                o.end.as_secs_f64(),
                victims.len(),
                tasks + fargate.len()
            ),
        );
        // The ASG launches every replacement first (in the AZs up), so that
        // the services' retries find all of them as they become ACTIVE.
        let mut groups: Vec<InstanceGroupId> = Vec::new();
        for &i in &victims {
            self.uncount(i);
            let g = self.inst_meta[i.index()].group;
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        groups.sort_unstable();
        for g in groups {
            self.fill_group(g, false);
        }
        for i in victims {
            self.failures.counts.instances_lost_to_outages += 1;
            self.kill_instance(i, TerminationReason::AzOutage, false);
        }
        let mut touched = Vec::new();
        for t in fargate {
            let owner = self.cluster.task(t).owner;
            self.failures.counts.tasks_killed += 1;
            let name = self.owner_name(owner);
            self.recorder.event(
                now,
                &name,
                "task-killed",
                format!(
                    "task {} stopped: Availability Zone {} is unavailable",
                    t.0, o.az
                ),
            );
            self.task_lost(t);
            self.doomed.remove(&t);
            self.cluster
                .finish_stop(t, StopReason::InstanceTerminated, now);
            self.bill_task_stopped(t);
            match owner {
                TaskOwner::Service(s) | TaskOwner::Daemon(s) => {
                    self.services[s].killed += 1;
                    if !touched.contains(&s) {
                        touched.push(s);
                    }
                }
                TaskOwner::Job(j) => self.job_task_killed(j, t),
            }
        }
        touched.sort_unstable();
        for s in touched {
            self.reconcile(s, Cause::Failure);
        }
    }

    /// X1: the AZ is back; groups that use it rebalance.
    pub(super) fn on_az_outage_end(&mut self, k: usize) {
        let now = self.queue.now();
        let o = self.failures.outages[k].clone();
        let Some(n) = self.failures.down.get_mut(&o.az) else {
            return;
        };
        *n -= 1;
        if *n > 0 {
            return;
        }
        self.failures.down.remove(&o.az);
        self.recorder.event(
            now,
            &o.az,
            "az-outage-end",
            format!("Availability Zone {} is available again", o.az),
        );
        for g in InstanceGroupId::all(self.groups.len()) {
            if self.spec.instance_groups[g]
                .availability_zones
                .contains(&o.az)
            {
                // What the group is short of first (its retry may be up to
                // a minute away), then the balance.
                self.fill_group(g, false);
                self.rebalance_azs(g);
            }
        }
        // X2: Fargate services may place in the AZ again (EC2 services
        // follow when the group's instances there become ACTIVE).
        self.rebalance_all();
    }

    /// X1: launch in the least populated AZ, then drain one instance of the
    /// most populated once the new one is ACTIVE, until balanced (see the
    /// module doc for the choices).
    fn rebalance_azs(&mut self, g: InstanceGroupId) {
        let azs = self.spec.instance_groups[g].availability_zones.clone();
        let up: Vec<usize> = (0..azs.len())
            .filter(|&a| !self.failures.is_down(&azs[a]))
            .collect();
        if up.len() < 2 {
            return;
        }
        let spec = &self.spec.instance_groups[g];
        let cap =
            spec.max_size.max(spec.count) as usize + ((spec.max_size as usize).div_ceil(10)).max(1);
        let limit = self.cluster.instances().len();
        for _ in 0..limit {
            let live = (self.cluster.instances().iter())
                .filter(|i| {
                    i.state != InstanceState::Terminated && self.inst_meta[i.id.index()].group == g
                })
                .count();
            if live >= cap {
                return;
            }
            let counts = self.group_az_counts(g);
            let Some(&low) = up.iter().min_by_key(|&&a| (counts[a], a)) else {
                return;
            };
            let Some(&high) = up
                .iter()
                .max_by_key(|&&a| (counts[a], std::cmp::Reverse(a)))
            else {
                return;
            };
            if counts[high] <= counts[low] + 1 {
                return;
            }
            // The victim: fewest non-daemon tasks, then the oldest.
            let Some(victim) = (self.cluster.instances().iter())
                .filter(|i| {
                    i.state == InstanceState::Active
                        && i.az == azs[high]
                        && self.inst_meta[i.id.index()].group == g
                        && self.inst_meta[i.id.index()].is_counted()
                        && !self.inst_meta[i.id.index()].is_leaving()
                })
                .min_by_key(|i| (i.non_daemon_tasks, i.id))
                .map(|i| i.id)
            else {
                return;
            };
            let new = self.launch_in_az(g, victim, low);
            self.failures.counts.rebalance_launches += 1;
            let name = self.spec.instance_groups[g].name.clone();
            let (new_ec2, old_ec2) = (
                self.cluster.instance(new).ec2_instance_id.clone(),
                self.cluster.instance(victim).ec2_instance_id.clone(),
            );
            self.recorder.event(
                self.queue.now(),
                &name,
                "az-rebalance",
                format!(
                    "Launching {new_ec2} in {} to rebalance Availability Zones; {old_ec2} in {} is terminated once it is in service",
                    azs[low], azs[high]
                ),
            );
            self.failures.rebalancing.insert(new, victim);
        }
    }

    /// X1: a rebalancing launch is in service (or lost before it was: the
    /// group replaces it like any other): its counterpart drains (D1) and
    /// terminates when empty.
    pub(super) fn failure_instance_ready(&mut self, new: InstanceId) {
        let Some(old) = self.failures.rebalancing.remove(&new) else {
            return;
        };
        if self.cluster.instance(old).state == InstanceState::Terminated {
            return;
        }
        self.drain_for_rebalance(old);
    }

    /// X1: an instance has terminated; if it was a rebalancing victim, its
    /// group goes on rebalancing (it may now have room under its margin).
    pub(super) fn failure_instance_gone(&mut self, i: InstanceId) {
        let m = &self.inst_meta[i.index()];
        if m.termination == Some(TerminationReason::AzRebalance) {
            self.rebalance_azs(m.group);
        }
    }

    /// X4: a random instance failure.
    pub(super) fn on_instance_failure(&mut self, i: InstanceId) {
        if self.cluster.instance(i).state == InstanceState::Terminated {
            return;
        }
        self.fail_instance(i);
    }

    /// X4: a scripted instance failure.
    pub(super) fn on_scripted_instance_failure(&mut self, k: usize) {
        let now = self.queue.now();
        let f = self.spec.failures.instance_failures[k].clone();
        let victims: Vec<InstanceId> = match &f.target {
            FailureTarget::Group(g) => {
                let live: Vec<InstanceId> = (self.cluster.instances().iter())
                    .filter(|i| {
                        i.state != InstanceState::Terminated
                            && self.inst_meta[i.id.index()].group == *g
                    })
                    .map(|i| i.id)
                    .collect();
                let n = (f.count as usize).min(live.len());
                let mut chosen: Vec<InstanceId> = sample(&mut self.streams.victims, live.len(), n)
                    .into_iter()
                    .map(|k| live[k])
                    .collect();
                chosen.sort_unstable();
                chosen
            }
            FailureTarget::Instance(ec2) => (self.cluster.instances().iter())
                .filter(|i| i.state != InstanceState::Terminated && &i.ec2_instance_id == ec2)
                .map(|i| i.id)
                .take(1)
                .collect(),
        };
        if victims.len() < f.count as usize {
            let (source, what) = match &f.target {
                FailureTarget::Group(g) => {
                    let name = self.spec.instance_groups[*g].name.clone();
                    (name.clone(), format!("group {name}"))
                }
                FailureTarget::Instance(ec2) => (ec2.clone(), format!("instance {ec2}")),
            };
            self.recorder.event(
                now,
                &source,
                "instance-failure-skipped",
                format!(
                    "{} of {} scripted failures of {what} found no live instance",
                    f.count as usize - victims.len(),
                    f.count
                ),
            );
        }
        for i in victims {
            self.fail_instance(i);
        }
    }

    /// X4: the ASG terminates the unhealthy instance with its tasks, and
    /// launches its replacement after the health-check grace period.
    fn fail_instance(&mut self, i: InstanceId) {
        self.failures.counts.instances_failed += 1;
        let g = self.inst_meta[i.index()].group;
        let held = self.kill_instance(i, TerminationReason::InstanceFailure, true);
        if held {
            let at = self.queue.now() + self.spec.failures.health_check_grace;
            if at <= self.horizon {
                self.queue.schedule(at, Event::FailureReplacement(g));
            }
        }
    }

    /// Terminates `i` at once with whatever runs on it. With `hold`, its
    /// place in the group is held for a later replacement (true when it
    /// was counted); else the group replaces it at once (if it still
    /// counted).
    fn kill_instance(&mut self, i: InstanceId, why: TerminationReason, hold: bool) -> bool {
        let now = self.queue.now();
        let tasks = (self.cluster.instance(i).tasks.iter())
            .filter(|&&t| self.cluster.task(t).state != TaskState::Stopped)
            .count();
        self.failures.counts.tasks_killed += tasks as u64;
        let g = self.inst_meta[i.index()].group;
        let ec2 = self.cluster.instance(i).ec2_instance_id.clone();
        let name = self.spec.instance_groups[g].name.clone();
        self.recorder.event(
            now,
            &name,
            "instance-failed",
            format!("instance {ec2} failed ({why}): {tasks} tasks killed"),
        );
        let held = hold && self.hold_for_replacement(i);
        self.set_leaving(i, Cause::Failure, why);
        self.on_instance_terminate(i, Cause::Failure);
        held
    }

    /// What failures did, for the summary: the counters, and the minutes
    /// each outage lasted within the run.
    pub(super) fn failure_summary(&self) -> crate::metrics::FailureSummary {
        let horizon = self.horizon;
        let minutes: f64 = (self.failures.outages.iter())
            .filter(|o| o.start <= horizon)
            .map(|o| (o.end.min(horizon) - o.start).as_secs_f64() / 60.0)
            .sum();
        crate::metrics::FailureSummary {
            az_outage_minutes: crate::metrics::round4(minutes),
            ..self.failures.counts.clone()
        }
    }

    /// X4: the grace period is over; the group launches what it lacks.
    pub(super) fn on_failure_replacement(&mut self, g: InstanceGroupId) {
        self.release_hold(g);
        self.fill_group(g, false);
    }
}
