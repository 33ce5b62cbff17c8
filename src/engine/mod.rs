//! The simulation: owns the cluster, the queue, the policies and the RNG
//! streams, runs the event loop and applies the policies' decisions.
//!
//! Data flow: a [`SimSpec`] (from `scenario`, a test or a sweep) ->
//! [`Simulation::new`] builds the cluster and schedules the initial events
//! -> [`Simulation::run`] pops `(time, event)` until the horizon and calls
//! the matching `on_*` handler -> [`RunResult`].
//!
//! Handlers ask `placement` for decisions and apply them through the
//! cluster's methods; they are the only code that mutates state or
//! schedules events. The engine never reads files or prints.

mod event;
pub mod spec;

use std::collections::BTreeMap;

use rand::Rng;

pub use event::Event;
pub use spec::*;

use crate::metrics::{round4, EventRecord, JobSummary, Recorder, Sample, ServiceSummary, Summary};
use crate::model::attrs;
use crate::model::{
    Cluster, GroupId, HostPort, InstanceGroupId, InstanceId, InstanceState, NewInstance, NewTask,
    ServiceId, StopReason, TaskDefId, TaskId, TaskOwner, TaskReq, TaskState, Unfit,
};
use crate::placement::{self, scale_in, Policy, Strategy, TieBreak};
use crate::sim::{EventQueue, RngStreams, SimRng, SimTime};
use crate::workload::Arrivals;

/// Which placement decisions to narrate (`ecsim explain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplainWindow {
    /// Decision number N (1-based).
    Only(u64),
    /// The first K decisions.
    First(u64),
}

impl ExplainWindow {
    fn includes(self, n: u64) -> bool {
        match self {
            ExplainWindow::Only(k) => n == k,
            ExplainWindow::First(k) => n <= k,
        }
    }
}

/// One narrated placement decision.
#[derive(Debug, Clone)]
pub struct ExplainedDecision {
    /// Decision number (1-based, in order of the run).
    pub number: u64,
    /// When it was made.
    pub time: SimTime,
    /// Service or job that asked.
    pub source: String,
    /// The narration.
    pub text: String,
}

/// One task as `tasks.csv` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    /// Task id.
    pub id: TaskId,
    /// Task group.
    pub group: String,
    /// Service or job name.
    pub owner: String,
    /// Task definition family.
    pub family: String,
    /// EC2 id of its instance.
    pub instance: Option<String>,
    /// Instance type.
    pub instance_type: Option<String>,
    /// AZ.
    pub az: Option<String>,
    /// Final state.
    pub state: TaskState,
    /// State times.
    pub created: SimTime,
    /// Entered PENDING.
    pub pending: Option<SimTime>,
    /// Entered RUNNING.
    pub running: Option<SimTime>,
    /// Entered STOPPING.
    pub stopping: Option<SimTime>,
    /// Entered STOPPED.
    pub stopped: Option<SimTime>,
    /// Stop reason code.
    pub stop_reason: Option<String>,
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Summary.
    pub summary: Summary,
    /// Names of the reporting groups (services then jobs), matching `Sample::tasks`.
    pub group_names: Vec<String>,
    /// Service names, matching `Sample::desired`.
    pub service_names: Vec<String>,
    /// Time series.
    pub samples: Vec<Sample>,
    /// Events.
    pub events: Vec<EventRecord>,
    /// Tasks.
    pub tasks: Vec<TaskRecord>,
    /// Narrated decisions (only with an explain window).
    pub explanations: Vec<ExplainedDecision>,
}

struct ServiceState {
    group: GroupId,
    policy: Policy,
    desired: u32,
    daemon: bool,
    live: Vec<TaskId>,
    retry_pending: bool,
    failing: Option<Unfit>,
    placed: u64,
    failures: BTreeMap<Unfit, u64>,
}

struct JobState {
    group: GroupId,
    policy: Policy,
    arrivals: SimRng,
    durations: SimRng,
    submitted: u64,
    placed: u64,
    completed: u64,
    failed: BTreeMap<Unfit, u64>,
    wait_ms: u128,
    started: u64,
}

/// Placement decisions with their random stream and optional narration.
struct Placer {
    rng: SimRng,
    decisions: u64,
    window: Option<ExplainWindow>,
    explained: Vec<ExplainedDecision>,
}

impl Placer {
    fn decide(
        &mut self,
        cluster: &Cluster,
        policy: &Policy,
        req: &TaskReq,
        now: SimTime,
        source: &str,
    ) -> Result<InstanceId, Unfit> {
        self.decisions += 1;
        let result = placement::decide(cluster, policy, req, &mut self.rng);
        if let Some(w) = self.window {
            if w.includes(self.decisions) {
                // Narrate with a copy of the stream so that explaining never
                // changes the run; the decision shown is the one applied.
                let mut rng = self.rng.clone();
                let mut ex = placement::explain(cluster, policy, req, &mut rng);
                ex.chosen = result.ok();
                ex.reason = result.err();
                self.explained.push(ExplainedDecision {
                    number: self.decisions,
                    time: now,
                    source: source.to_string(),
                    text: ex.render(cluster, req),
                });
            }
        }
        result
    }
}

/// A simulation of one scenario with one seed.
pub struct Simulation {
    spec: SimSpec,
    seed: u64,
    horizon: SimTime,
    queue: EventQueue<Event>,
    cluster: Cluster,
    services: Vec<ServiceState>,
    jobs: Vec<JobState>,
    placer: Placer,
    launch_rng: SimRng,
    tie_rng: SimRng,
    start_rng: SimRng,
    td_ports: Vec<Vec<HostPort>>,
    td_images: Vec<Vec<String>>,
    recorder: Recorder,
    instances_launched: u64,
}

impl Simulation {
    /// Builds the cluster and schedules the initial events.
    pub fn new(spec: &SimSpec, seed: u64) -> Simulation {
        let spec = spec.clone();
        let streams = RngStreams::new(seed);
        let mut cluster = Cluster::new();
        cluster.start_epoch_s = spec.start_epoch_s;
        let td_ports = spec
            .task_definitions
            .iter()
            .map(|t| t.def.host_ports())
            .collect();
        let td_images = spec
            .task_definitions
            .iter()
            .map(|t| t.def.containers.iter().map(|c| c.image.clone()).collect())
            .collect();

        let services: Vec<ServiceState> = spec
            .services
            .iter()
            .map(|s| {
                let group = cluster.group(&format!("service:{}", s.name));
                let daemon = s.kind == ServiceKind::Daemon;
                let strategies = if daemon {
                    Vec::new()
                } else if s.strategies.is_empty() {
                    Strategy::service_default()
                } else {
                    s.strategies.clone()
                };
                let mut constraints = s.constraints.clone();
                constraints.extend(
                    spec.task_definitions[s.task_def.index()]
                        .constraints
                        .iter()
                        .cloned(),
                );
                let desired = match &s.kind {
                    ServiceKind::Replica { desired, .. } => *desired,
                    ServiceKind::Daemon => 0,
                };
                ServiceState {
                    group,
                    policy: Policy::new(&mut cluster, strategies, constraints, Some(group)),
                    desired,
                    daemon,
                    live: Vec::new(),
                    retry_pending: false,
                    failing: None,
                    placed: 0,
                    failures: BTreeMap::new(),
                }
            })
            .collect();
        let jobs = spec
            .jobs
            .iter()
            .map(|j| {
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
                JobState {
                    group,
                    policy: Policy::new(&mut cluster, strategies, constraints, Some(group)),
                    arrivals: streams.stream(&format!("arrivals/{}", j.name)),
                    durations: streams.stream(&format!("durations/{}", j.name)),
                    submitted: 0,
                    placed: 0,
                    completed: 0,
                    failed: BTreeMap::new(),
                    wait_ms: 0,
                    started: 0,
                }
            })
            .collect();

        let horizon = SimTime::ZERO + spec.horizon;
        let mut sim = Simulation {
            seed,
            horizon,
            queue: EventQueue::new(),
            cluster,
            services,
            jobs,
            placer: Placer {
                rng: streams.stream("placement"),
                decisions: 0,
                window: None,
                explained: Vec::new(),
            },
            launch_rng: streams.stream("launch-latency"),
            tie_rng: streams.stream("placement-ties"),
            start_rng: streams.stream("task-start"),
            td_ports,
            td_images,
            recorder: Recorder::default(),
            instances_launched: 0,
            spec,
        };
        sim.schedule_initial();
        sim
    }

    /// Narrates the placement decisions in `window` during the run.
    pub fn explain(&mut self, window: ExplainWindow) {
        self.placer.window = Some(window);
    }

    /// The cluster (for tests and invariant checks).
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    fn schedule_initial(&mut self) {
        let now = SimTime::ZERO;
        for g in 0..self.spec.instance_groups.len() {
            for k in 0..self.spec.instance_groups[g].count {
                self.launch_instance(g, k, self.spec.warm_start);
            }
        }
        for s in 0..self.services.len() {
            self.queue
                .schedule(now, Event::ServiceCheck(ServiceId(s as u32)));
            if let ServiceKind::Replica { changes, .. } = &self.spec.services[s].kind {
                for c in changes {
                    self.queue.schedule(
                        c.at,
                        Event::DesiredCount {
                            service: ServiceId(s as u32),
                            count: c.count,
                        },
                    );
                }
            }
        }
        for j in 0..self.jobs.len() {
            self.schedule_next_arrival(j, None);
        }
        self.queue.schedule(now, Event::Sample);
    }

    fn launch_instance(&mut self, g: usize, k: u32, warm: bool) -> InstanceId {
        let now = self.queue.now();
        let group = &self.spec.instance_groups[g];
        let ty = &group.instance_types[k as usize % group.instance_types.len()];
        let az = &group.availability_zones[k as usize % group.availability_zones.len()];
        let mut attributes = vec![
            (attrs::AZ.to_string(), az.clone()),
            (attrs::INSTANCE_TYPE.to_string(), ty.name.clone()),
            (attrs::CPU_ARCH.to_string(), ty.arch.clone()),
            (attrs::OS_TYPE.to_string(), "linux".to_string()),
            (attrs::OS_FAMILY.to_string(), "LINUX".to_string()),
            (attrs::AMI_ID.to_string(), group.ami_id.clone()),
            (attrs::SUBNET_ID.to_string(), format!("subnet-{az}")),
            (attrs::VPC_ID.to_string(), "vpc-ecsim".to_string()),
        ];
        attributes.extend(group.attributes.iter().cloned());
        let tie = match self.spec.tie_break {
            TieBreak::Random => self.tie_rng.gen::<u32>(),
            TieBreak::LowestId => 0,
        };
        let latency = group.launch_latency.sample(&mut self.launch_rng);
        let id = self.cluster.add_instance(
            NewInstance {
                group: InstanceGroupId(g as u32),
                instance_type: ty.name.clone(),
                az: az.clone(),
                registered: ty.registered,
                eni_capacity: ty.eni_capacity,
                attributes,
                tie,
            },
            now,
        );
        self.instances_launched += 1;
        let ready = if warm { now } else { now + latency };
        self.queue.schedule(ready, Event::InstanceReady(id));
        id
    }

    /// Runs to the horizon and returns what was observed.
    pub fn run(mut self) -> RunResult {
        while let Some((_, event)) = self.queue.pop_until(self.horizon) {
            self.handle(event);
        }
        self.queue.advance_to(self.horizon);
        self.finish()
    }

    /// Processes events up to and including `until` (for tests that inspect
    /// the cluster mid-run). Returns the number of events processed.
    pub fn run_until(&mut self, until: SimTime) -> u64 {
        let before = self.queue.popped();
        let until = until.min(self.horizon);
        while let Some((_, event)) = self.queue.pop_until(until) {
            self.handle(event);
        }
        self.queue.popped() - before
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::InstanceReady(i) => self.on_instance_ready(i),
            Event::TaskStarted(t) => self.on_task_started(t),
            Event::TaskWorkDone(t) => self.on_task_work_done(t),
            Event::TaskStopped(t) => self.on_task_stopped(t),
            Event::ServiceCheck(s) => self.on_service_check(s),
            Event::DesiredCount { service, count } => self.on_desired_count(service, count),
            Event::JobArrival { job, seq } => self.on_job_arrival(job as usize, seq as usize),
            Event::Sample => self.on_sample(),
        }
    }

    // ----- instances ---------------------------------------------------

    fn on_instance_ready(&mut self, i: InstanceId) {
        if self.cluster.instance(i).state != InstanceState::Registering {
            return;
        }
        let now = self.queue.now();
        self.cluster.activate_instance(i, now);
        // P10: daemon tasks are placed first on a new instance.
        for s in 0..self.services.len() {
            if self.services[s].daemon {
                self.place_daemon(s, i);
            }
        }
    }

    // ----- services ----------------------------------------------------

    fn service_name(&self, s: usize) -> &str {
        &self.spec.services[s].name
    }

    fn new_task(&self, td: TaskDefId, group: GroupId, owner: TaskOwner) -> NewTask {
        let def = &self.spec.task_definitions[td.index()].def;
        NewTask {
            def: td,
            group,
            owner,
            reservation: def.reservation(),
            ports: self.td_ports[td.index()].clone(),
            needs_eni: def.needs_eni(),
            created_at: self.queue.now(),
            work: None,
        }
    }

    /// Places `spec` on `inst` and schedules its start (PENDING -> RUNNING).
    fn start_on(&mut self, spec: NewTask, inst: InstanceId) -> TaskId {
        let now = self.queue.now();
        let images = &self.td_images[spec.def.index()];
        let cached = {
            let on = &self.cluster.instance(inst).images;
            images.iter().all(|img| on.contains(img))
        };
        let pending = if cached {
            self.spec.cached_start.sample(&mut self.start_rng)
        } else {
            self.spec.image_pull.sample(&mut self.start_rng)
        };
        let id = self.cluster.start_task(spec, inst, images, now);
        self.queue.schedule(now + pending, Event::TaskStarted(id));
        id
    }

    fn place_daemon(&mut self, s: usize, inst: InstanceId) {
        let svc = &self.services[s];
        if self.cluster.group_count_on_instance(svc.group, inst) > 0 {
            return;
        }
        let spec = self.new_task(
            self.spec.services[s].task_def,
            svc.group,
            TaskOwner::Daemon(ServiceId(s as u32)),
        );
        match svc.policy.check(&self.cluster, inst, &spec.req()) {
            Ok(()) => {
                let id = self.start_on(spec, inst);
                let svc = &mut self.services[s];
                svc.live.push(id);
                svc.placed += 1;
            }
            Err(Unfit::Attribute) | Err(Unfit::NoInstances) => {}
            Err(why) => {
                let now = self.queue.now();
                let msg = format!(
                    "service {} was unable to place a task on container instance {} because it has insufficient {} available",
                    self.service_name(s),
                    self.cluster.instance(inst).ec2_instance_id,
                    why.as_str()
                );
                let name = self.service_name(s).to_string();
                self.recorder.event(now, &name, "unable-to-place", msg);
                *self.services[s].failures.entry(why).or_default() += 1;
                self.schedule_retry(s);
            }
        }
    }

    fn schedule_retry(&mut self, s: usize) {
        if !self.services[s].retry_pending {
            self.services[s].retry_pending = true;
            let at = self.queue.now() + self.spec.placement_retry;
            self.queue
                .schedule(at, Event::ServiceCheck(ServiceId(s as u32)));
        }
    }

    fn on_service_check(&mut self, s: ServiceId) {
        let s = s.index();
        self.services[s].retry_pending = false;
        if self.services[s].daemon {
            let active: Vec<InstanceId> = self
                .cluster
                .instances()
                .iter()
                .filter(|i| i.is_active())
                .map(|i| i.id)
                .collect();
            for i in active {
                self.place_daemon(s, i);
            }
        } else {
            self.reconcile(s);
        }
    }

    fn on_desired_count(&mut self, s: ServiceId, count: u32) {
        let s = s.index();
        self.services[s].desired = count;
        let now = self.queue.now();
        let name = self.service_name(s).to_string();
        self.recorder.event(
            now,
            &name,
            "desired-count",
            format!("service {name} desired count set to {count}"),
        );
        self.reconcile(s);
    }

    /// The REPLICA service scheduler: start tasks up to the desired count,
    /// or stop the victims P8 selects down to it.
    fn reconcile(&mut self, s: usize) {
        let now = self.queue.now();
        let desired = self.services[s].desired as usize;
        let live = self.services[s].live.len();
        if live < desired {
            for _ in live..desired {
                let spec = self.new_task(
                    self.spec.services[s].task_def,
                    self.services[s].group,
                    TaskOwner::Service(ServiceId(s as u32)),
                );
                let name = &self.spec.services[s].name;
                let svc = &self.services[s];
                match self
                    .placer
                    .decide(&self.cluster, &svc.policy, &spec.req(), now, name)
                {
                    Ok(inst) => {
                        let id = self.start_on(spec, inst);
                        let svc = &mut self.services[s];
                        svc.live.push(id);
                        svc.placed += 1;
                    }
                    Err(why) => {
                        *self.services[s].failures.entry(why).or_default() += 1;
                        // Like ECS, a repeated identical failure is not re-reported.
                        if self.services[s].failing != Some(why) {
                            self.services[s].failing = Some(why);
                            let name = self.service_name(s).to_string();
                            let msg = unable_to_place_message(&name, why);
                            self.recorder.event(now, &name, "unable-to-place", msg);
                        }
                        self.schedule_retry(s);
                        return;
                    }
                }
            }
            if self.services[s].failing.take().is_some() {
                let name = self.service_name(s).to_string();
                self.recorder.event(
                    now,
                    &name,
                    "steady-state",
                    format!("service {name} has reached a steady state."),
                );
            }
        } else if live > desired {
            let svc = &self.services[s];
            let victims = scale_in::choose_victims(
                &self.cluster,
                &svc.policy,
                &svc.live,
                live - desired,
                &mut self.placer.rng,
            );
            for t in victims {
                self.stop_task(t, StopReason::ScaledIn);
            }
        }
    }

    /// Sends SIGTERM: the task is STOPPING until its stop timeout elapses.
    fn stop_task(&mut self, t: TaskId, reason: StopReason) {
        let now = self.queue.now();
        self.cluster.begin_stopping(t, reason, now);
        self.forget_live(t);
        let td = self.cluster.task(t).def;
        let wait = self.spec.task_definitions[td.index()].def.stop_timeout();
        self.queue.schedule(now + wait, Event::TaskStopped(t));
    }

    fn forget_live(&mut self, t: TaskId) {
        let list = match self.cluster.task(t).owner {
            TaskOwner::Service(s) | TaskOwner::Daemon(s) => &mut self.services[s.index()].live,
            TaskOwner::Job(_) => return,
        };
        if let Some(pos) = list.iter().position(|&x| x == t) {
            list.remove(pos);
        }
    }

    // ----- tasks -------------------------------------------------------

    fn on_task_started(&mut self, t: TaskId) {
        if self.cluster.task(t).state != TaskState::Pending {
            return;
        }
        let now = self.queue.now();
        self.cluster.mark_running(t, now);
        let task = self.cluster.task(t);
        if let TaskOwner::Job(j) = task.owner {
            let job = &mut self.jobs[j as usize];
            job.started += 1;
            job.wait_ms += u128::from((now - task.created_at).as_millis());
            let work = task.work.unwrap_or_default();
            self.queue.schedule(now + work, Event::TaskWorkDone(t));
        }
    }

    fn on_task_work_done(&mut self, t: TaskId) {
        if self.cluster.task(t).state != TaskState::Running {
            return;
        }
        let now = self.queue.now();
        self.cluster.finish_stop(t, StopReason::Completed, now);
        if let TaskOwner::Job(j) = self.cluster.task(t).owner {
            self.jobs[j as usize].completed += 1;
        }
    }

    fn on_task_stopped(&mut self, t: TaskId) {
        let now = self.queue.now();
        let reason = self
            .cluster
            .task(t)
            .stop_reason
            .unwrap_or(StopReason::ScaledIn);
        self.cluster.finish_stop(t, reason, now);
    }

    // ----- jobs --------------------------------------------------------

    fn schedule_next_arrival(&mut self, j: usize, last: Option<usize>) {
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
                    job: j as u32,
                    seq: seq as u32,
                },
            );
        }
    }

    fn on_job_arrival(&mut self, j: usize, seq: usize) {
        let now = self.queue.now();
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
            let mut spec = self.new_task(
                self.spec.jobs[j].task_def,
                self.jobs[j].group,
                TaskOwner::Job(j as u32),
            );
            spec.work = Some(work);
            if let Some(c) = cpu {
                spec.reservation.cpu = c;
            }
            if let Some(m) = memory {
                spec.reservation.memory = m;
            }
            self.jobs[j].submitted += 1;
            let name = &self.spec.jobs[j].name;
            match self
                .placer
                .decide(&self.cluster, &self.jobs[j].policy, &spec.req(), now, name)
            {
                Ok(inst) => {
                    self.start_on(spec, inst);
                    self.jobs[j].placed += 1;
                }
                Err(why) => {
                    // P9: RunTask without capacity providers fails at once.
                    *self.jobs[j].failed.entry(why).or_default() += 1;
                    let name = name.clone();
                    self.cluster.record_failed_task(spec, why, now);
                    self.recorder.event(
                        now,
                        &name,
                        "run-task-failed",
                        format!("RunTask failed: {}", why.failure_reason()),
                    );
                }
            }
        }
    }

    // ----- metrics -----------------------------------------------------

    fn on_sample(&mut self) {
        let now = self.queue.now();
        let mut instances = [0u32; 3];
        for inst in self.cluster.instances() {
            match inst.state {
                InstanceState::Registering => instances[0] += 1,
                InstanceState::Active => instances[1] += 1,
                InstanceState::Draining => instances[2] += 1,
                InstanceState::Terminated => {}
            }
        }
        let in_use = self.cluster.instances_in_use();
        let mut tasks: Vec<[u32; 3]> = Vec::with_capacity(self.services.len() + self.jobs.len());
        for (s, svc) in self.services.iter().enumerate() {
            let id = ServiceId(s as u32);
            let owner = if svc.daemon {
                TaskOwner::Daemon(id)
            } else {
                TaskOwner::Service(id)
            };
            tasks.push(self.cluster.owner_counts(owner));
        }
        for j in 0..self.jobs.len() {
            tasks.push(self.cluster.owner_counts(TaskOwner::Job(j as u32)));
        }
        let desired = self
            .services
            .iter()
            .map(|s| {
                if s.daemon && s.policy.constraints().is_empty() {
                    instances[1]
                } else if s.daemon {
                    self.cluster
                        .instances()
                        .iter()
                        .filter(|i| {
                            i.is_active()
                                && s.policy.admits(&self.cluster, i.id, &daemon_req(s.group))
                        })
                        .count() as u32
                } else {
                    s.desired
                }
            })
            .collect();
        let reg = self.cluster.registered_total();
        let res = self.cluster.reserved_total();
        let pct = |a: u32, b: u32| {
            if b == 0 {
                0.0
            } else {
                100.0 * f64::from(a) / f64::from(b)
            }
        };
        self.recorder.samples.push(Sample {
            time: now,
            instances,
            instances_in_use: in_use,
            cpu_reservation_pct: pct(res.cpu, reg.cpu),
            memory_reservation_pct: pct(res.memory, reg.memory),
            tasks,
            desired,
        });
        let next = now + self.spec.sample_interval;
        if next <= self.horizon {
            self.queue.schedule(next, Event::Sample);
        }
    }

    fn finish(self) -> RunResult {
        let rec = &self.recorder;
        let mut unplaceable: BTreeMap<String, u64> = BTreeMap::new();
        let mut services = Vec::new();
        for (s, st) in self.services.iter().enumerate() {
            let (min, mean) = rec.running_ratio(s, s);
            let last = rec.samples.last();
            let failures: BTreeMap<String, u64> = st
                .failures
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), *v))
                .collect();
            for (k, v) in &failures {
                *unplaceable.entry(k.clone()).or_default() += v;
            }
            let mut by_az: BTreeMap<String, u32> = BTreeMap::new();
            for &t in &st.live {
                let task = self.cluster.task(t);
                if let (TaskState::Running, Some(i)) = (task.state, task.instance) {
                    *by_az
                        .entry(self.cluster.instance(i).az.clone())
                        .or_default() += 1;
                }
            }
            services.push(ServiceSummary {
                name: self.spec.services[s].name.clone(),
                scheduling: if st.daemon { "DAEMON" } else { "REPLICA" }.into(),
                desired_at_end: last.map_or(st.desired, |l| l.desired[s]),
                running_at_end: last.map_or(0, |l| l.tasks[s][1]),
                running_ratio_min: round4(min),
                running_ratio_mean: round4(mean),
                tasks_placed: st.placed,
                placement_failures: failures,
                running_by_az_at_end: by_az,
            });
        }
        let mut jobs = Vec::new();
        for (j, st) in self.jobs.iter().enumerate() {
            let failed: BTreeMap<String, u64> = st
                .failed
                .iter()
                .map(|(k, v)| (k.failure_reason().to_string(), *v))
                .collect();
            for (k, v) in &st.failed {
                *unplaceable.entry(k.as_str().to_string()).or_default() += v;
            }
            jobs.push(JobSummary {
                name: self.spec.jobs[j].name.clone(),
                submitted: st.submitted,
                placed: st.placed,
                completed: st.completed,
                failed,
                mean_wait_s: if st.started == 0 {
                    0.0
                } else {
                    round4(st.wait_ms as f64 / st.started as f64 / 1000.0)
                },
            });
        }
        let (cpu_mean, cpu_max) = rec.mean_max(|s| s.cpu_reservation_pct);
        let (mem_mean, mem_max) = rec.mean_max(|s| s.memory_reservation_pct);
        let (use_mean, use_max) = rec.mean_max(|s| f64::from(s.instances_in_use));
        let summary = Summary {
            scenario: self.spec.name.clone(),
            seed: self.seed,
            horizon_s: self.spec.horizon.as_secs_f64(),
            events_processed: self.queue.popped(),
            instances_launched: self.instances_launched,
            tasks_placed: self
                .cluster
                .tasks()
                .iter()
                .filter(|t| t.instance.is_some())
                .count() as u64,
            unplaceable_by_reason: unplaceable,
            instances_in_use_mean: round4(use_mean),
            instances_in_use_max: use_max as u32,
            cpu_reservation_mean_pct: round4(cpu_mean),
            cpu_reservation_max_pct: round4(cpu_max),
            memory_reservation_mean_pct: round4(mem_mean),
            memory_reservation_max_pct: round4(mem_max),
            services,
            jobs,
        };
        let tasks = self
            .cluster
            .tasks()
            .iter()
            .map(|t| {
                let inst = t.instance.map(|i| self.cluster.instance(i));
                TaskRecord {
                    id: t.id,
                    group: self.cluster.group_name(t.group).to_string(),
                    owner: match t.owner {
                        TaskOwner::Service(s) | TaskOwner::Daemon(s) => {
                            self.spec.services[s.index()].name.clone()
                        }
                        TaskOwner::Job(j) => self.spec.jobs[j as usize].name.clone(),
                    },
                    family: self.spec.task_definitions[t.def.index()].def.family.clone(),
                    instance: inst.map(|i| i.ec2_instance_id.clone()),
                    instance_type: inst.map(|i| i.instance_type.clone()),
                    az: inst.map(|i| i.az.clone()),
                    state: t.state,
                    created: t.created_at,
                    pending: t.pending_at,
                    running: t.running_at,
                    stopping: t.stopping_at,
                    stopped: t.stopped_at,
                    stop_reason: t.stop_reason.map(|r| r.code()),
                }
            })
            .collect();
        let mut group_names: Vec<String> =
            self.spec.services.iter().map(|s| s.name.clone()).collect();
        group_names.extend(self.spec.jobs.iter().map(|j| j.name.clone()));
        RunResult {
            summary,
            group_names,
            service_names: self.spec.services.iter().map(|s| s.name.clone()).collect(),
            samples: self.recorder.samples,
            events: self.recorder.events,
            tasks,
            explanations: self.placer.explained,
        }
    }
}

fn daemon_req(group: GroupId) -> TaskReq<'static> {
    TaskReq {
        reservation: crate::model::Resources::default(),
        ports: &[],
        needs_eni: false,
        group,
    }
}

fn unable_to_place_message(service: &str, why: Unfit) -> String {
    let closest = match why {
        Unfit::NoInstances => return format!(
            "service {service} was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster."
        ),
        Unfit::Cpu => "has insufficient CPU units available",
        Unfit::Memory => "has insufficient memory available",
        Unfit::Ports => "is already using a port required by your task",
        Unfit::Eni => "has insufficient ENI attachment points available",
        Unfit::Attribute => "is missing an attribute required by your task (or fails a placement constraint)",
    };
    format!(
        "service {service} was unable to place a task because no container instance met all of its requirements. The closest matching container-instance {closest}."
    )
}
