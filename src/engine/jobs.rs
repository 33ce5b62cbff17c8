//! Standalone tasks (RunTask): job streams with their arrival processes,
//! placement that fails at once without capacity (P9), completion (T3) and
//! re-runs of tasks killed with their instance (S3).
//!
//! Owns [`JobState`] (built by [`JobState::from_spec`], held in
//! `Simulation::jobs` by [`JobId`]): a stream's policy,
//! its own arrival and duration random streams and its counters, changed
//! only here (and counted when its tasks start, stop or die, in
//! `services.rs`, `instances.rs` and `fargate.rs`).

use std::collections::BTreeMap;

use super::providers::provider_policies;
use super::{Capacity, Event, JobSpec, SimSpec, Simulation};
use crate::model::{
    Cluster, GroupId, InstanceId, JobId, NewTask, StopReason, TaskDefId, TaskId, TaskOwner,
    TaskState, Unfit,
};
use crate::placement::{Policy, Strategy};
use crate::sim::{RngStreams, SimDuration, SimRng};
use crate::workload::Arrivals;

/// One job stream's state.
pub(super) struct JobState {
    pub group: GroupId,
    pub policy: Policy,
    pub arrivals: SimRng,
    pub durations: SimRng,
    pub submitted: u64,
    pub placed: u64,
    pub completed: u64,
    pub failed: BTreeMap<Unfit, u64>,
    pub wait_ms: u128,
    pub started: u64,
    pub graceful: u64,
    pub killed: u64,
    pub rerun: u64,
    pub work_lost_ms: u64,
    /// Fargate tasks of the stream (for the provider split and AZ spread).
    pub live_fargate: Vec<TaskId>,
    /// Fargate Spot launches refused for lack of capacity.
    pub spot_unavailable: u64,
    /// Per capacity provider: the policy restricted to its instances.
    pub provider_policies: Vec<Policy>,
}

impl JobState {
    /// The state of job stream `j` at time zero: its task group, its
    /// placement policy (and one per capacity provider), and its own
    /// arrival and duration streams, `arrivals/<name>` and
    /// `durations/<name>`. Built after the services, in spec order, for the
    /// same reason as [`ServiceState::from_spec`](super::services::ServiceState::from_spec).
    pub fn from_spec(
        spec: &SimSpec,
        j: &JobSpec,
        cluster: &mut Cluster,
        streams: &RngStreams,
    ) -> Self {
        let group = cluster.group(&j.group);
        let strategies = if j.strategies.is_empty() {
            Strategy::run_task_default()
        } else {
            j.strategies.clone()
        };
        let mut constraints = j.constraints.clone();
        constraints.extend(
            spec.task_definitions[j.task_def.index()]
                .constraints
                .iter()
                .cloned(),
        );
        let providers =
            provider_policies(cluster, spec, &j.capacity, &strategies, &constraints, group);
        let mut st = JobState::new(
            group,
            Policy::new(strategies, constraints, Some(group)).indexed(cluster),
            streams.stream(&format!("arrivals/{}", j.name)),
            streams.stream(&format!("durations/{}", j.name)),
        );
        st.provider_policies = providers;
        st
    }

    fn new(group: GroupId, policy: Policy, arrivals: SimRng, durations: SimRng) -> Self {
        JobState {
            group,
            policy,
            arrivals,
            durations,
            submitted: 0,
            placed: 0,
            completed: 0,
            failed: BTreeMap::new(),
            wait_ms: 0,
            started: 0,
            graceful: 0,
            killed: 0,
            rerun: 0,
            work_lost_ms: 0,
            live_fargate: Vec::new(),
            spot_unavailable: 0,
            provider_policies: Vec::new(),
        }
    }
}

impl Simulation {
    pub(super) fn schedule_next_arrival(&mut self, j: JobId, last: Option<usize>) {
        let spec = &self.spec.jobs[j];
        let end = spec.end.unwrap_or(self.horizon).min(self.horizon);
        let (at, seq) = match &spec.arrivals {
            Arrivals::Trace(records) => {
                let seq = last.map_or(0, |s| s + 1);
                match records.get(seq) {
                    Some(r) => (r.at.max(spec.start), seq),
                    None => return,
                }
            }
            process => {
                let base = if last.is_none() {
                    spec.start
                } else {
                    self.queue.now()
                };
                match process.next_gap(&mut self.jobs[j].arrivals, last.is_none()) {
                    Some(gap) => (base + gap, 0),
                    None => return,
                }
            }
        };
        if at <= end && at >= self.queue.now() {
            self.queue.schedule(
                at,
                Event::JobArrival {
                    job: j,
                    seq: seq as u32,
                },
            );
        }
    }

    pub(super) fn on_job_arrival(&mut self, j: JobId, seq: usize) {
        let (count, duration, cpu, memory) = match &self.spec.jobs[j].arrivals {
            Arrivals::Trace(records) => {
                let r = &records[seq];
                (r.count, r.duration, r.cpu, r.memory)
            }
            _ => (self.spec.jobs[j].tasks_per_arrival, None, None, None),
        };
        self.schedule_next_arrival(j, Some(seq));
        for _ in 0..count {
            // Drawn before placement so every strategy sees the same work.
            let work = match duration {
                Some(d) => d,
                None => self.spec.jobs[j]
                    .duration
                    .sample(&mut self.jobs[j].durations),
            };
            self.submit(j, work, cpu, memory);
        }
    }

    /// A task of stream `j` already RUNNING on `inst` at time zero (a
    /// seeded instance): its remaining work is a fresh draw of the stream's
    /// duration; it is billed from now.
    pub(super) fn place_seed_job_task(&mut self, j: JobId, td: TaskDefId, inst: InstanceId) {
        let now = self.queue.now();
        let work = self.spec.jobs[j]
            .duration
            .sample(&mut self.jobs[j].durations);
        let mut spec = self.new_task(td, self.jobs[j].group, TaskOwner::Job(j));
        spec.work = Some(work);
        let id = self.cluster.create_provisioning(spec);
        let images = self.td_images[td.index()].clone();
        self.cluster.attach(id, inst, &images, now);
        self.bill_task_placed(id);
        self.cluster.mark_running(id, now);
        self.draw_crash(id, TaskOwner::Job(j));
        let job = &mut self.jobs[j];
        job.submitted += 1;
        job.placed += 1;
        job.started += 1;
        self.schedule_for_task(id, now + work, Event::TaskWorkDone(id));
    }

    /// RunTask for one task of stream `j` with `work` to do once RUNNING.
    pub(super) fn submit(
        &mut self,
        j: JobId,
        work: SimDuration,
        cpu: Option<u32>,
        memory: Option<u32>,
    ) {
        let now = self.queue.now();
        let mut spec = self.new_task(
            self.spec.jobs[j].task_def,
            self.jobs[j].group,
            TaskOwner::Job(j),
        );
        spec.work = Some(work);
        if let Some(c) = cpu {
            spec.reservation.cpu = c;
        }
        if let Some(m) = memory {
            spec.reservation.memory = m;
        }
        self.jobs[j].submitted += 1;
        let capacity = &self.spec.jobs[j].capacity;
        if let Capacity::Asg(_) = capacity {
            return self.submit_to_provider(j, spec);
        }
        if capacity.is_fargate() {
            return self.submit_to_fargate(j, spec);
        }
        let name = &self.spec.jobs[j].name;
        match self
            .placer
            .decide(&self.cluster, &self.jobs[j].policy, &spec.req(), now, name)
        {
            Ok(inst) => {
                self.start_on(spec, inst);
                self.jobs[j].placed += 1;
            }
            Err(why) => self.run_task_failed(j, spec, why),
        }
    }

    // The three other ways an arrival goes (a RunTask failure, an ASG
    // capacity provider, Fargate) are out of line below: a stream takes one
    // of them or the placement above at every arrival, and the arrival's own
    // code stays short (one copy of each, not inlined into the event loop).

    /// P9: RunTask without capacity providers fails at once.
    #[inline(never)]
    fn run_task_failed(&mut self, j: JobId, spec: NewTask, why: Unfit) {
        let now = self.queue.now();
        self.cluster.record_failed_task(spec, why, now);
        let name = self.spec.jobs[j].name.clone();
        self.count_run_task_failure(j, why, &name);
    }

    /// Counts a RunTask of stream `j` (named `name`) that failed for `why`,
    /// and records its event.
    fn count_run_task_failure(&mut self, j: JobId, why: Unfit, name: &str) {
        *self.jobs[j].failed.entry(why).or_default() += 1;
        self.recorder.event(
            self.queue.now(),
            name,
            "run-task-failed",
            format!("RunTask failed: {}", why.failure_reason()),
        );
    }

    /// [`submit`](Self::submit) for a stream on an ASG capacity provider.
    #[inline(never)]
    fn submit_to_provider(&mut self, j: JobId, spec: NewTask) {
        let capacity = self.spec.jobs[j].capacity.clone();
        let live = self.jobs[j].live_fargate.clone();
        let p = self.asg_provider(&capacity, &live);
        let name = self.spec.jobs[j].name.clone();
        match self.place_on_provider(spec, p, &name) {
            Ok(id) => {
                self.jobs[j].placed += 1;
                let lf = &mut self.jobs[j].live_fargate;
                lf.retain(|t| {
                    matches!(
                        self.cluster.task(*t).state,
                        TaskState::Provisioning | TaskState::Pending | TaskState::Running
                    )
                });
                lf.push(id);
            }
            Err(why) => self.count_run_task_failure(j, why, &name),
        }
    }

    /// [`submit`](Self::submit) for a stream on Fargate (or Fargate Spot).
    #[inline(never)]
    fn submit_to_fargate(&mut self, j: JobId, spec: NewTask) {
        let now = self.queue.now();
        let capacity = self.spec.jobs[j].capacity.clone();
        let live = self.jobs[j].live_fargate.clone();
        let provider = self.fargate_provider(&capacity, &live);
        match self.launch_fargate(spec, &capacity, provider, &live) {
            Ok(id) => {
                self.jobs[j].placed += 1;
                let lf = &mut self.jobs[j].live_fargate;
                lf.retain(|t| self.cluster.task(*t).is_live());
                lf.push(id);
            }
            Err(why) => {
                let name = self.spec.jobs[j].name.clone();
                if why == super::fargate::FargateRefusal::SpotCapacity {
                    self.jobs[j].spot_unavailable += 1;
                }
                self.recorder.event(
                    now,
                    &name,
                    "run-task-failed",
                    format!(
                        "RunTask failed: Capacity is unavailable at this time ({})",
                        why.why()
                    ),
                );
            }
        }
    }

    pub(super) fn on_task_work_done(&mut self, t: TaskId, cause: super::Cause) {
        if self.cluster.task(t).state != TaskState::Running {
            return;
        }
        let now = self.queue.now();
        self.cluster.finish_stop(t, StopReason::Completed, now);
        self.bill_task_stopped(t);
        let task = self.cluster.task(t);
        let inst = task.instance;
        if let TaskOwner::Job(j) = task.owner {
            self.jobs[j].completed += 1;
        }
        if let Some(i) = inst {
            self.after_task_left(i, cause);
            self.capacity_freed(i);
        }
    }

    /// A job task died with its instance: its work so far is lost, and it
    /// is submitted again when the stream retries interrupted tasks.
    pub(super) fn job_task_killed(&mut self, j: JobId, t: TaskId) {
        let now = self.queue.now();
        let task = self.cluster.task(t);
        let lost = task.running_at.get().map_or(SimDuration::ZERO, |r| now - r);
        let (work, cpu, memory) = (
            task.work.unwrap_or_default(),
            task.reservation.cpu,
            task.reservation.memory,
        );
        let job = &mut self.jobs[j];
        job.killed += 1;
        job.work_lost_ms += lost.as_millis();
        if self.spec.jobs[j].retry_on_interruption {
            self.jobs[j].rerun += 1;
            self.submit(j, work, Some(cpu), Some(memory));
        }
    }
}
