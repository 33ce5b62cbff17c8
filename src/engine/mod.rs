//! The simulation: owns the cluster, the queue, the policies and the RNG
//! streams, runs the event loop and applies the policies' decisions.
//!
//! Data flow: a [`SimSpec`] (from `scenario`, a test or a sweep) ->
//! [`Simulation::new`] builds each part of the state from its spec and
//! schedules the initial events -> [`Simulation::run`] pops `(time, event)`
//! until the horizon and calls the matching `on_*` handler ([`Event`] lists
//! them) -> [`RunResult`].
//!
//! Handlers ask `placement` for decisions and apply them through the
//! cluster's methods; they are the only code that mutates state or
//! schedules events. The engine never reads files or prints.
//!
//! # Who owns what
//!
//! [`Simulation`] holds every part; each part is a struct of its own, built
//! by its `from_spec`, and indexed by its id (`services[s]` for a
//! [`ServiceId`] `s`, see `index.rs`). `impl Simulation` is split by part:
//! the file that defines a part's state holds the handlers that change it.
//!
//! | state | lives in | changed by |
//! |---|---|---|
//! | ECS's view: instances, tasks, their states, resources, task-group counts, RUNNING counts per owner | `cluster` ([`Cluster`], `model/`) | only through `Cluster` methods, called by the handlers below |
//! | a service: desired count, revisions and their policies, live / retiring / unhealthy tasks, deployment and circuit breaker, throttle, scaler, load totals | `services[ServiceId]`: `services::ServiceState` | `services.rs` (the REPLICA and DAEMON schedulers, deployments, the task life cycle); `load.rs` (load and metrics each minute, desired count from auto scaling and scheduled actions) |
//! | a job stream: its policy, arrival and duration streams, counters | `jobs[JobId]`: `jobs::JobState` | `jobs.rs` (arrivals, RunTask, completion, re-runs) |
//! | an instance group as its ASG keeps it: desired and counted capacity by purchase option and slot, scale-in pacing, its own target tracking | `groups[InstanceGroupId]`: `instances::GroupState` | `instances.rs` (launches, termination, spot); `providers.rs` and `load.rs` (desired capacity from C3 / C7) |
//! | what the engine knows of an instance beyond ECS: group, purchase option, pool, drain cause, termination reason, price | `inst_meta[InstanceId]`: `instances::InstanceMeta` | `instances.rs` |
//! | a spot pool's availability after a reclaim | `pools[PoolId]`: `instances::PoolState` | `instances.rs` |
//! | a capacity provider: PROVISIONING queue, managed scaling, CPR | `providers[ProviderId]`: `providers::ProviderState`, `task_provider` | `providers.rs` |
//! | Fargate tasks, the launch token bucket, Fargate Spot | `fargate`: `fargate::FargateState` | `fargate.rs` |
//! | random streams, one per purpose | `streams` (`streams::Streams`), `placer` (placement) | whoever draws for that purpose, in a fixed order |
//! | events, samples, summary | `recorder`, `interruptions` | every handler records; `report.rs` samples and builds the [`RunResult`]; `billing.rs` prices it |
//!
//! So the answer to "where does a service's state live and who changes
//! it?" is `ServiceState` in `services.rs`, changed by the handlers of
//! `services.rs` and, for its desired count and load, `load.rs`; its tasks'
//! states live in the cluster and change only through `Cluster` methods
//! those handlers call.

mod billing;
mod event;
mod failures;
mod fargate;
mod index;
mod instances;
mod jobs;
mod load;
mod protection;
mod providers;
mod rebalance;
mod report;
mod services;
pub mod spec;
mod streams;
mod task_failures;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

pub use crate::metrics::{TaskRecord, TaskRecords};
pub use event::Event;
pub use failures::{
    AzChoice, AzOutageSpec, FailureTarget, FailuresSpec, InstanceFailureSpec,
    RandomInstanceFailures,
};
pub use report::InstanceRecord;
pub use spec::*;
pub use task_failures::{
    pull_backoff, pull_timeline, FailureReplay, ImagePullFailures, PullOutage, StartFailures,
    TaskCrashes, TaskFailures, PULL_ATTEMPTS,
};

use crate::metrics::{
    Cause, EventLog, InterruptionSummary, Recorder, SampleColumns, Summary, Timeseries,
};
use crate::model::{
    Cluster, HostPort, ImageId, InstanceGroupId, InstanceId, JobId, OperationId, PoolId,
    ProviderId, ServiceId, SpotNoticeCause, TaskId, TaskReq, Unfit,
};
use crate::placement::{self, Policy};
use crate::sim::{EventQueue, RngStreams, SimDuration, SimRng, SimTime};

use fargate::FargateState;
use instances::{GroupState, InstanceMeta, PoolState};
use jobs::JobState;
use providers::ProviderState;
use services::ServiceState;
use streams::Streams;

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

/// A part of a run's result that is final before the rest is made, handed
/// over by [`Simulation::run_handing_over`] as soon as it is: a caller may
/// start on it (write its file) while the run finishes its other parts.
#[derive(Debug, Clone, Copy)]
pub enum Early<'a> {
    /// The time series, whom its columns are about, and the events: made
    /// first when the run ends.
    Series {
        /// As [`RunResult::columns`].
        columns: &'a SampleColumns,
        /// As [`RunResult::timeseries`].
        timeseries: &'a Timeseries,
        /// As [`RunResult::events`].
        events: &'a std::sync::Arc<EventLog>,
    },
    /// As [`RunResult::tasks`]: made next.
    Tasks(&'a TaskRecords),
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Summary.
    pub summary: Summary,
    /// Whom each per-entity vector of the samples is about.
    pub columns: SampleColumns,
    /// Time series, as columns.
    pub timeseries: Timeseries,
    /// Events (dereferences to one [`crate::metrics::EventRecord`] per event).
    pub events: std::sync::Arc<EventLog>,
    /// Tasks, as columns (dereferences to one [`TaskRecord`] per task).
    pub tasks: TaskRecords,
    /// Instances.
    pub instances: Vec<InstanceRecord>,
    /// The cost ledger, per hour, owner and capacity (`cost.csv`).
    pub cost: Vec<crate::metrics::CostRow>,
    /// Reserved Instances and Savings Plans per hour (`commitments.csv`),
    /// when the scenario has any (B3).
    pub commitments: Option<crate::cost::commitments::Settlement>,
    /// Narrated decisions (only with an explain window).
    pub explanations: Vec<ExplainedDecision>,
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
    /// What the run was built from (read only).
    spec: SimSpec,
    seed: u64,
    horizon: SimTime,
    queue: EventQueue<Event>,
    /// ECS's view of instances and tasks (see the module doc).
    cluster: Cluster,
    /// Per service, by [`ServiceId`] (`services.rs`, `load.rs`).
    services: Vec<ServiceState>,
    /// The services X2 may rebalance (`rebalance.rs`), and the DAEMON
    /// services: both fixed by the specs, and listed so that an instance
    /// coming up does not read every service's state.
    rebalance_eligible: Vec<ServiceId>,
    daemons: Vec<ServiceId>,
    /// Per job stream, by [`JobId`] (`jobs.rs`).
    jobs: Vec<JobState>,
    /// Per instance group, by [`InstanceGroupId`] (`instances.rs`).
    groups: Vec<GroupState>,
    /// Per spot pool, by [`PoolId`] (`instances.rs`).
    pools: Vec<PoolState>,
    /// Per instance, by [`InstanceId`] (`instances.rs`).
    inst_meta: Vec<InstanceMeta>,
    /// Placement decisions and their random stream.
    placer: Placer,
    /// The random stream of each purpose but placement.
    streams: Streams,
    /// Fargate tasks and launch rate (`fargate.rs`).
    fargate: FargateState,
    /// Per capacity provider, by [`ProviderId`] (`providers.rs`).
    providers: Vec<ProviderState>,
    /// The capacity provider of each task placed through one.
    task_provider: std::collections::BTreeMap<TaskId, ProviderId>,
    /// Per task definition: its host ports and images (read only), the
    /// images interned: whether an instance holds them is asked at every
    /// placement.
    td_ports: Vec<Vec<HostPort>>,
    td_images: Vec<Vec<ImageId>>,
    /// Image names, by [`ImageId`].
    image_names: Vec<String>,
    /// Tasks of a revision that fails to start (D4).
    doomed: BTreeSet<TaskId>,
    /// Task crashes, start and pull failures (`task_failures.rs`).
    task_failures: task_failures::FailureState,
    /// Service tasks started for a request older than the task (a
    /// desired-count rise or a replacement that waited for capacity or
    /// room): when it was made. Read (never iterated: a hash map) for the
    /// waits, once per task at the run's end.
    request_at: crate::model::hash::IdMap<TaskId, SimTime>,
    /// Events and per-service observations for the outputs.
    recorder: Recorder,
    interruptions: InterruptionSummary,
    /// The cost ledger, fed as the run goes (B1–B4).
    billing: billing::Billing,
    /// AZ outages and instance failures (`failures.rs`).
    failures: failures::FailureState,
    /// Whether the result carries one [`TaskRecord`] per task (see
    /// [`Simulation::without_task_records`]).
    task_records: bool,
    /// What the report keeps of the tasks whose records were retired.
    retired: report::Retired,
}

impl Simulation {
    /// Builds the cluster and each part of the state from the spec, and
    /// schedules the initial events.
    pub fn new(spec: &SimSpec, seed: u64) -> Simulation {
        let spec = spec.clone();
        let streams = RngStreams::new(seed);
        let mut cluster = Cluster::new();
        cluster.start_epoch_s = spec.start_epoch_s;
        // Services first, then jobs, each in spec order: indexing a policy
        // numbers what it tracks in the cluster, in that order.
        let services: Vec<ServiceState> = (spec.services.iter())
            .map(|s| ServiceState::from_spec(&spec, s, &mut cluster))
            .collect();
        let rebalance_eligible = ServiceId::all(services.len())
            .filter(|s| services[*s].rebalance.eligible)
            .collect();
        let daemons = ServiceId::all(services.len())
            .filter(|s| services[*s].daemon)
            .collect();
        let jobs = (spec.jobs.iter())
            .map(|j| JobState::from_spec(&spec, j, &mut cluster, &streams))
            .collect();
        let groups = (spec.instance_groups.iter())
            .map(|g| GroupState::from_spec(g, &spec.spot.pools))
            .collect();
        let pools = spec
            .spot
            .pools
            .iter()
            .map(|_| PoolState::default())
            .collect();
        let providers = (spec.capacity_providers.iter())
            .map(ProviderState::from_spec)
            .collect();
        let mut image_ids = BTreeMap::new();
        let mut image_names = Vec::new();
        let (td_ports, td_images) = spec
            .task_definitions
            .iter()
            .map(|t| {
                let images = (t.def.containers.iter())
                    .map(|c| {
                        *image_ids.entry(c.image.as_str()).or_insert_with(|| {
                            image_names.push(c.image.clone());
                            ImageId(image_names.len() as u32 - 1)
                        })
                    })
                    .collect();
                (t.def.host_ports(), images)
            })
            .unzip();
        let horizon = SimTime::ZERO + spec.horizon;
        let billing = billing::Billing::new(&spec, horizon);
        let mut sim = Simulation {
            seed,
            horizon,
            queue: EventQueue::new(),
            cluster,
            services,
            rebalance_eligible,
            daemons,
            jobs,
            groups,
            pools,
            inst_meta: Vec::new(),
            placer: Placer {
                rng: streams.stream("placement"),
                decisions: 0,
                window: None,
                explained: Vec::new(),
            },
            streams: Streams::new(&streams),
            fargate: FargateState::default(),
            providers,
            task_provider: std::collections::BTreeMap::new(),
            td_ports,
            td_images,
            image_names,
            doomed: BTreeSet::new(),
            task_failures: task_failures::FailureState::new(&spec, &streams),
            request_at: crate::model::hash::IdMap::default(),
            recorder: Recorder::default(),
            interruptions: InterruptionSummary::default(),
            billing,
            failures: failures::FailureState::default(),
            task_records: true,
            retired: report::Retired::default(),
            spec,
        };
        sim.schedule_initial();
        sim
    }

    /// Narrates the placement decisions in `window` during the run.
    pub fn explain(&mut self, window: ExplainWindow) {
        self.placer.window = Some(window);
    }

    /// Leaves the per-task records out of the result: `RunResult::tasks`
    /// is empty, everything else (the summary's waits and counts included,
    /// which are computed from the cluster's tasks) is the same. For runs
    /// whose `tasks.csv` nobody writes (`--outputs summary`, sweeps): the
    /// records are most of a long batch run's memory and end-of-run work.
    pub fn without_task_records(&mut self) {
        self.task_records = false;
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
        for g in InstanceGroupId::all(self.groups.len()) {
            self.fill_group(g, self.spec.warm_start);
        }
        for s in ServiceId::all(self.services.len()) {
            self.queue.schedule(now, Event::ServiceCheck(s));
            if let ServiceKind::Replica { changes, .. } = &self.spec.services[s].kind {
                for c in changes {
                    self.queue.schedule(
                        c.at,
                        Event::DesiredCount {
                            service: s,
                            count: c.count,
                        },
                    );
                }
            }
        }
        for s in ServiceId::all(self.services.len()) {
            if let Some(h) = &self.spec.services[s].health_check_failures {
                for (k, e) in h.replay.iter().enumerate() {
                    self.queue.schedule(
                        e.at,
                        Event::HealthCheckReplay {
                            service: s,
                            index: k as u32,
                        },
                    );
                }
            }
        }
        self.schedule_failure_replays();
        for s in ServiceId::all(self.services.len()) {
            for (k, p) in self.spec.services[s].scale_in_protection.iter().enumerate() {
                self.queue.schedule(
                    p.at,
                    Event::ScaleInProtection {
                        service: s,
                        index: k as u32,
                    },
                );
            }
        }
        for j in JobId::all(self.jobs.len()) {
            self.schedule_next_arrival(j, None);
        }
        for s in ServiceId::all(self.services.len()) {
            for k in 0..self.spec.services[s].scheduled.len() {
                self.schedule_action(s, k);
            }
        }
        for (k, op) in self.spec.operations.iter().enumerate() {
            self.queue
                .schedule(op.at, Event::Operation(OperationId(k as u32)));
        }
        for (k, r) in self.spec.spot.replay.iter().enumerate() {
            self.queue
                .schedule(r.at, Event::ReplayInterruption(k as u32));
        }
        for p in PoolId::all(self.pools.len()) {
            self.schedule_reclaim(p);
        }
        self.schedule_failures();
        self.queue.schedule(now, Event::Sample);
        if self
            .spec
            .services
            .iter()
            .any(|s| s.demand.is_some() || s.scaling.is_some())
            || !self.spec.capacity_providers.is_empty()
            || self
                .spec
                .instance_groups
                .iter()
                .any(|g| g.target_tracking.is_some())
        {
            self.queue
                .schedule(now + SimDuration::from_secs(60), Event::MetricTick);
            // A2: each period's datapoint is sampled at its midpoint.
            self.queue
                .schedule(now + load::SAMPLE_OFFSET, Event::MetricSample);
        }
    }

    /// Runs to the horizon and returns what was observed.
    pub fn run(self) -> RunResult {
        self.run_handing_over(&mut |_| {})
    }

    /// [`run`](Self::run), handing each [`Early`] part to `early` as soon
    /// as it is final (the same values the result then holds).
    pub fn run_handing_over(mut self, early: &mut dyn FnMut(Early<'_>)) -> RunResult {
        while let Some((_, event)) = self.queue.pop_until(self.horizon) {
            // Events due at the same instant come in bursts (tasks placed
            // together start and turn healthy together): the next one's
            // task record is fetched while this one is handled.
            if let Some(t) = self.queue.peek_now().and_then(Event::task) {
                self.cluster.prefetch_task(t);
            }
            self.handle(event);
            // Now and then, the records of finished tasks are let go (only
            // here: `run_until` keeps every task for tests to inspect).
            if self.queue.popped().is_multiple_of(1024) {
                self.retire_tasks();
            }
        }
        self.queue.advance_to(self.horizon);
        self.finish(early)
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

    /// Schedules `event`, which is about task `t`, at `at`: the task's
    /// record is kept until then.
    #[inline(always)]
    fn schedule_for_task(&mut self, t: TaskId, at: SimTime, event: Event) {
        self.cluster.hold_task(t, at);
        self.queue.schedule(at, event);
    }

    #[inline(always)]
    fn handle(&mut self, event: Event) {
        // What the event is about: passed down to whatever records a change
        // of task counts, unless a step on the way names its own cause
        // (a deployment, a scale-in, a drain).
        let cause = match event {
            Event::SpotRebalance(_)
            | Event::SpotNotice(_)
            | Event::SpotDrain(_)
            | Event::PoolReclaim(_)
            | Event::ReplayInterruption(_)
            | Event::FargateSpotNotice(_) => Cause::Interruption,
            Event::InstanceTerminate(i) => self.inst_meta[i.index()].leave_cause,
            Event::DesiredCount { .. } => Cause::Scaling,
            Event::AzOutageStart(_)
            | Event::AzOutageEnd(_)
            | Event::InstanceFailure(_)
            | Event::ScriptedInstanceFailure(_)
            | Event::FailureReplacement(_) => Cause::Failure,
            Event::Operation(k) => match self.spec.operations[k.index()].kind {
                OperationKind::DrainGroup { .. } => Cause::Maintenance,
                OperationKind::Deploy { .. } => Cause::Deployment,
            },
            _ => Cause::Other,
        };
        match event {
            Event::InstanceReady(i) => self.on_instance_ready(i),
            Event::TaskStarted(t) => self.on_task_started(t, cause),
            Event::TaskHealthy(t) => self.on_task_healthy(t, cause),
            Event::TaskWorkDone(t) => self.on_task_work_done(t, cause),
            Event::TaskStopped(t) => self.on_task_stopped(t, cause),
            Event::ServiceCheck(s) => self.on_service_check(s, cause),
            Event::DesiredCount { service, count } => self.on_desired_count(service, count, cause),
            Event::JobArrival { job, seq } => self.on_job_arrival(job, seq as usize),
            Event::Operation(k) => self.on_operation(k),
            Event::GroupLaunch(g) => self.on_group_launch(g),
            Event::InstanceTerminate(i) => self.on_instance_terminate(i, cause),
            Event::SpotRebalance(i) => self.on_spot_rebalance(i),
            Event::SpotNotice(i) => self.on_spot_notice(i, SpotNoticeCause::Hazard),
            Event::SpotDrain(i) => self.on_spot_drain(i),
            Event::PoolReclaim(p) => self.on_pool_reclaim(p),
            Event::PoolRestored(p) => self.on_pool_restored(p),
            Event::ReplayInterruption(k) => self.on_replay(k as usize),
            Event::FargateSpotNotice(t) => self.on_fargate_spot_notice(t, cause),
            Event::MetricTick => self.on_metric_tick(),
            Event::MetricSample => self.on_metric_sample(),
            Event::ProvisioningTimeout(t) => self.on_provisioning_timeout(t, cause),
            Event::ScheduledScaling { service, action } => {
                self.on_scheduled_scaling(service, action as usize)
            }
            Event::HealthCheckFailed(t) => self.on_health_check_failed(t, cause),
            Event::HealthCheckReplay { service, index } => {
                self.on_health_check_replay(service, index as usize, cause)
            }
            Event::TaskCrashed(t) => self.on_task_crashed(t, cause),
            Event::TaskFailureReplay(k) => self.on_task_failure_replay(k as usize, cause),
            Event::AzOutageStart(k) => self.on_az_outage_start(k as usize),
            Event::AzOutageEnd(k) => self.on_az_outage_end(k as usize),
            Event::InstanceFailure(i) => self.on_instance_failure(i),
            Event::ScriptedInstanceFailure(k) => self.on_scripted_instance_failure(k as usize),
            Event::FailureReplacement(g) => self.on_failure_replacement(g),
            Event::ScaleInProtection { service, index } => {
                self.on_scale_in_protection(service, index as usize, cause)
            }
            Event::ProtectionExpired(s) => self.reconcile(s, cause),
            Event::Sample => self.on_sample(),
        }
    }

    fn on_operation(&mut self, k: OperationId) {
        match self.spec.operations[k.index()].kind.clone() {
            OperationKind::DrainGroup {
                group,
                replace,
                terminate,
            } => self.drain_group(group, replace, terminate),
            OperationKind::Deploy { service, revision } => self.deploy(service, revision, false),
        }
    }
}

fn daemon_req(group: crate::model::GroupId) -> TaskReq<'static> {
    TaskReq {
        reservation: crate::model::Resources::default(),
        ports: &[],
        needs_eni: false,
        group,
    }
}

/// ECS's wording for a placement failure (P9).
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

/// The internal attribute naming an instance's capacity provider, and the
/// constraint that keeps a provider's tasks on its instances.
pub(crate) const PROVIDER_ATTRIBUTE: &str = "ecsim.capacity-provider";
