//! The service schedulers. REPLICA: start tasks up to the desired count,
//! stop P8's victims down to it, replace tasks on DRAINING instances under
//! the deployment limits (D1, D2), roll out new revisions (D3) with the
//! circuit breaker (D4), the old revision keeping its count during a
//! rollout, and throttle tasks that fail to start (P9). DAEMON: one task per
//! ACTIVE instance (P10), stopped last when the instance drains.
//!
//! Owns [`ServiceState`], a service's whole state apart from its tasks'
//! own states (those are the cluster's): built by
//! [`ServiceState::from_spec`], held in `Simulation::services` by
//! [`ServiceId`], and changed by the handlers of this file — the scheduler
//! pass ([`reconcile`](Simulation::reconcile)), deployments, health checks
//! and the task life cycle (`on_task_started`, `on_task_healthy`,
//! `on_task_stopped`) — and by `load.rs` for the desired count (auto
//! scaling) and load totals. Its counts of tasks in service and healthy
//! come from [`in_service`](Simulation::in_service), kept without walking
//! the tasks.

use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};

use super::providers::provider_policies;
use super::{
    unable_to_place_message, Capacity, Cause, Event, Revision, SeedOwner, ServiceKind, ServiceSpec,
    SimSpec, Simulation,
};
use crate::market::sample_time_to_interruption;
use crate::metrics::{Availability, BelowTracker, DeploymentSummary, Requests};
use crate::model::Cluster;
use crate::model::{
    GroupId, ImageId, InstanceId, InstanceState, NewTask, ServiceId, StopReason, TaskCounts,
    TaskDefId, TaskId, TaskOwner, TaskState, Unfit,
};
use crate::placement::{scale_in, Policy, Strategy};
use crate::sim::{SimDuration, SimTime};

use super::spec::circuit_breaker_threshold;

/// A revision a service can run, with its placement policy.
pub(super) struct RevisionState {
    pub task_def: TaskDefId,
    /// Its tasks stop before reaching RUNNING (D4).
    pub fails: bool,
    pub policy: Policy,
    /// Per capacity provider: the policy restricted to its instances.
    pub providers: Vec<Policy>,
}

/// P9: the service throttle of a revision whose tasks fail to reach RUNNING.
struct Throttle {
    /// The throttled revision (index into `ServiceState::revisions`).
    revision: usize,
    /// Consecutive failed launch attempts.
    attempts: u32,
    /// No task of the revision launches before then.
    until: SimTime,
}

/// A deployment in progress.
struct Rollout {
    /// Index into `ServiceState::deployments`.
    record: usize,
    started: SimTime,
    failures: u32,
    /// D3 (since 2025-11): old-revision tasks to launch, by task definition:
    /// replacements of old tasks that were terminated, and the old
    /// revision's share of a scale-out.
    old_launches: Vec<TaskDefId>,
    /// The desired count the last pass saw (a rise is a scale-out).
    desired_seen: u32,
}

/// A service's tasks to replace (older revisions, or on a DRAINING
/// instance), in the order they joined, and whether each is known to be
/// healthy. Read as a slice; changed only through its methods, so that
/// every task joining is seen.
///
/// A listed task leaves the list as it stops or fails its health checks,
/// so a task found healthy (RUNNING past its grace time) stays healthy
/// while listed. Once a pass has found every listed task healthy, the next
/// pass need not look at them again until a task joins (see
/// [`Simulation::reconcile`]).
#[derive(Debug, Default)]
pub(super) struct Retiring {
    tasks: Vec<TaskId>,
    /// Tasks that have joined so far (a stamp of the list's contents as
    /// far as health goes: leaving cannot make a healthy list unhealthy).
    joined: u64,
    /// The value of `joined` when every listed task was last found healthy.
    healthy_at: Option<u64>,
}

impl std::ops::Deref for Retiring {
    type Target = [TaskId];

    fn deref(&self) -> &[TaskId] {
        &self.tasks
    }
}

impl Retiring {
    /// Lists `t` last.
    fn push(&mut self, t: TaskId) {
        self.tasks.push(t);
        self.joined += 1;
    }

    /// Lists `tasks` last, in order.
    fn extend(&mut self, tasks: impl IntoIterator<Item = TaskId>) {
        let before = self.tasks.len();
        self.tasks.extend(tasks);
        self.joined += (self.tasks.len() - before) as u64;
    }

    /// Drops the task at `pos`.
    fn remove(&mut self, pos: usize) -> TaskId {
        self.tasks.remove(pos)
    }

    /// Keeps only `tasks`, as listed anew.
    fn replace(&mut self, tasks: Vec<TaskId>) {
        self.tasks = tasks;
        self.joined += 1;
    }

    /// Whether every listed task is known healthy.
    fn known_healthy(&self) -> bool {
        self.healthy_at == Some(self.joined)
    }

    /// A stamp of the tasks listed now, for [`found_healthy`](Self::found_healthy).
    fn stamp(&self) -> u64 {
        self.joined
    }

    /// Every task listed at `stamp` was found healthy (or has left since):
    /// the list is known healthy unless a task has joined since.
    fn found_healthy(&mut self, stamp: u64) {
        if stamp == self.joined {
            self.healthy_at = Some(stamp);
        }
    }
}

/// One service's state (see the module doc for who changes it).
pub(super) struct ServiceState {
    pub group: GroupId,
    pub daemon: bool,
    pub desired: u32,
    /// Index 0: the initial revision; then one per scheduled deployment.
    pub revisions: Vec<RevisionState>,
    /// The revision new tasks run.
    pub current: usize,
    /// The last revision whose deployment completed (the rollback target).
    stable: usize,
    /// Tasks of the current revision on non-draining instances, not stopping.
    pub live: Vec<TaskId>,
    /// Tasks to replace: older revisions, or on a DRAINING instance; not stopping.
    pub retiring: Retiring,
    /// RUNNING tasks that failed their health checks (D3), not stopping:
    /// they count toward maximumPercent but not as healthy.
    pub unhealthy: Vec<TaskId>,
    /// Tasks stopped for failed health checks, possibly still STOPPING
    /// (D3: one at a time when no replacement can start first).
    health_stops: Vec<TaskId>,
    /// Tasks that reached RUNNING within the last health-check grace time,
    /// with when the grace ends, in that order (oldest first): the only
    /// tasks [`Simulation::in_service`] looks at one by one.
    starting: VecDeque<(SimTime, TaskId)>,
    /// When the grace would have ended of the tasks of `starting` that
    /// left RUNNING before it did, in time order: so that the tasks in
    /// their grace time are counted without looking at each
    /// ([`Simulation::leaving_running`]).
    left_starting: VecDeque<SimTime>,
    /// How many tasks at the front of `starting` had ended their grace at
    /// the last count: where the next count starts looking (time moves
    /// forward, so the boundary does too).
    grace_cursor: Cell<usize>,
    /// Tasks that failed their health checks over the run.
    pub unhealthy_total: u64,
    rollout: Option<Rollout>,
    /// A deployment failed without rollback: no task is started or stopped.
    frozen: bool,
    stall_reported: bool,
    pub retry_pending: bool,
    /// A pass is scheduled for then, at the end of a throttle gap or of a
    /// launch-rate wait (P9).
    wake: Option<SimTime>,
    /// P9: the throttle of tasks that fail to reach RUNNING.
    throttle: Option<Throttle>,
    /// P9: times of the launches of the last minute, oldest first.
    launches: VecDeque<SimTime>,
    pub failing: Option<Unfit>,
    pub placed: u64,
    pub failures: BTreeMap<Unfit, u64>,
    pub tracker: BelowTracker,
    /// Time with enough healthy tasks (replica services; daemons are
    /// followed by the samples).
    pub availability: Availability,
    /// Tasks asked for and not started yet, with when (for the waits).
    pub requests: Requests,
    pub graceful: u64,
    pub killed: u64,
    pub deployments: Vec<DeploymentSummary>,
    /// Demand and what was served (W1).
    pub load: super::load::LoadTotals,
    /// Service auto scaling (A1–A5).
    pub scaler: Option<crate::scaling::ServiceScaler>,
    /// First minute of the current run of metric datapoints above target.
    pub above_since: Option<SimTime>,
    /// A scale-out waiting for its tasks: (when the metric first rose, new desired).
    pub reaction: Option<(SimTime, u32)>,
    /// Seconds from the metric rising to the scaled-out tasks RUNNING.
    pub reactions: Vec<f64>,
    /// Availability Zone rebalancing (X2, `rebalance.rs`).
    pub rebalance: super::rebalance::Rebalance,
    /// Task scale-in protection (X3, `protection.rs`).
    pub protection: super::protection::Protection,
}

impl ServiceState {
    /// The state of service `s` at time zero: its task group, its desired
    /// count, and one placement policy per revision (the initial one, then
    /// one per scheduled deployment), each with its per-provider policies.
    ///
    /// Every revision's policy is built now and the cluster indexes what it
    /// reads (`Policy::indexed`); building a policy itself touches nothing.
    /// The cluster numbers tracked attributes and task groups in the order
    /// they are indexed, so services are built in spec order.
    pub fn from_spec(spec: &SimSpec, s: &ServiceSpec, cluster: &mut Cluster) -> Self {
        let group = cluster.group(&format!("service:{}", s.name));
        let daemon = s.kind == ServiceKind::Daemon;
        let strategies = if daemon {
            Vec::new()
        } else if s.strategies.is_empty() {
            Strategy::service_default()
        } else {
            s.strategies.clone()
        };
        let initial = Revision {
            task_def: s.task_def,
            fails_to_start: false,
        };
        let revisions = std::iter::once(&initial)
            .chain(s.revisions.iter())
            .map(|r| {
                let mut constraints = s.constraints.clone();
                constraints.extend(
                    spec.task_definitions[r.task_def.index()]
                        .constraints
                        .iter()
                        .cloned(),
                );
                let providers =
                    provider_policies(cluster, spec, &s.capacity, &strategies, &constraints, group);
                RevisionState {
                    task_def: r.task_def,
                    fails: r.fails_to_start,
                    policy: Policy::new(strategies.clone(), constraints, Some(group))
                        .indexed(cluster),
                    providers,
                }
            })
            .collect();
        let desired = match &s.kind {
            ServiceKind::Replica { desired, .. } => *desired,
            ServiceKind::Daemon => 0,
        };
        let mut st = ServiceState::new(group, daemon, desired, revisions);
        st.scaler = s.scaling.clone();
        let mut constraints = s.constraints.clone();
        constraints.extend(
            spec.task_definitions[s.task_def.index()]
                .constraints
                .iter()
                .cloned(),
        );
        st.rebalance.eligible = super::rebalance::eligible(s, &strategies, &constraints);
        st
    }

    fn new(group: GroupId, daemon: bool, desired: u32, revisions: Vec<RevisionState>) -> Self {
        ServiceState {
            group,
            daemon,
            desired,
            revisions,
            current: 0,
            stable: 0,
            live: Vec::new(),
            retiring: Retiring::default(),
            unhealthy: Vec::new(),
            health_stops: Vec::new(),
            starting: VecDeque::new(),
            left_starting: VecDeque::new(),
            grace_cursor: Cell::new(0),
            unhealthy_total: 0,
            rollout: None,
            frozen: false,
            stall_reported: false,
            retry_pending: false,
            wake: None,
            throttle: None,
            launches: VecDeque::new(),
            failing: None,
            placed: 0,
            failures: BTreeMap::new(),
            tracker: BelowTracker::default(),
            availability: Availability::default(),
            requests: Requests::default(),
            graceful: 0,
            killed: 0,
            deployments: Vec::new(),
            load: Default::default(),
            scaler: None,
            above_since: None,
            reaction: None,
            reactions: Vec::new(),
            rebalance: Default::default(),
            protection: Default::default(),
        }
    }

    /// Its live tasks are its desired count, which is not zero: the only
    /// state in which an X2 rebalancing pass may act.
    pub fn at_desired_count(&self) -> bool {
        self.desired != 0 && self.live.len() as u32 == self.desired
    }

    /// A deployment is in progress or failed without rollback: X2 waits.
    pub fn frozen_or_deploying(&self) -> bool {
        self.frozen || self.rollout.is_some()
    }

    /// A deployment is in progress (scale-in is suspended, D3).
    pub fn deploying(&self) -> bool {
        self.rollout.is_some()
    }

    pub fn policy(&self) -> &Policy {
        &self.revisions[self.current].policy
    }

    pub fn owner(&self, s: ServiceId) -> TaskOwner {
        let id = s;
        if self.daemon {
            TaskOwner::Daemon(id)
        } else {
            TaskOwner::Service(id)
        }
    }

    /// Task `t` reached RUNNING at `now`; its grace time ends at
    /// `healthy_at`. Forgets the starts whose grace had ended by `now`: no
    /// later count needs them.
    fn started_running(&mut self, t: TaskId, healthy_at: SimTime, now: SimTime) {
        let before = self.starting.len();
        while self.starting.front().is_some_and(|&(h, _)| h <= now) {
            self.starting.pop_front();
        }
        let gone = before - self.starting.len();
        self.grace_cursor
            .set(self.grace_cursor.get().saturating_sub(gone));
        while self.left_starting.front().is_some_and(|&h| h <= now) {
            self.left_starting.pop_front();
        }
        self.starting.push_back((healthy_at, t));
    }

    /// Tasks of `starting` still RUNNING whose grace ends after `now`:
    /// those whose grace ends after `now` less those that left RUNNING
    /// (both lists are in time order). The boundary in `starting` is
    /// found from the last one, in amortised constant time.
    fn in_grace(&self, now: SimTime) -> usize {
        let mut i = self.grace_cursor.get().min(self.starting.len());
        while i < self.starting.len() && self.starting[i].0 <= now {
            i += 1;
        }
        while i > 0 && self.starting[i - 1].0 > now {
            i -= 1;
        }
        self.grace_cursor.set(i);
        let started = self.starting.len() - i;
        let left = if self.left_starting.is_empty() {
            0
        } else {
            self.left_starting.len() - self.left_starting.partition_point(|&h| h <= now)
        };
        started - left
    }

    /// Forgets a task that is stopping or gone; it is in one list at most.
    /// A service's lists are in the order their tasks were listed, which
    /// is mostly the order of their ids (a new task has a higher id than
    /// any before it), so each long list is searched by bisection first:
    /// any answer it gives is right, since a list holds a task once. Only
    /// when both miss (an order broken) are the lists scanned, from the
    /// back, where the tasks that stop mostly are (scale-in takes the
    /// newest task of an instance first). A task being replaced is thus
    /// not looked for through the whole live list.
    fn forget(&mut self, t: TaskId) {
        debug_assert!(
            (self
                .live
                .iter()
                .chain(self.retiring.iter())
                .chain(&self.unhealthy))
            .filter(|&&x| x == t)
            .count()
                <= 1,
            "task {t:?} listed twice"
        );
        if let Ok(pos) = self.live.binary_search(&t) {
            self.live.remove(pos);
        } else if let Ok(pos) = self.retiring.binary_search(&t) {
            self.retiring.remove(pos);
        } else if let Some(pos) = self.live.iter().rposition(|&x| x == t) {
            self.live.remove(pos);
        } else if let Some(pos) = self.retiring.iter().rposition(|&x| x == t) {
            self.retiring.remove(pos);
        } else if let Some(pos) = self.unhealthy.iter().position(|&x| x == t) {
            self.unhealthy.remove(pos);
        }
    }
}

impl Simulation {
    pub(super) fn service_name(&self, s: ServiceId) -> &str {
        &self.spec.services[s].name
    }

    pub(super) fn new_task(&self, td: TaskDefId, group: GroupId, owner: TaskOwner) -> NewTask {
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
    pub(super) fn start_on(&mut self, spec: NewTask, inst: InstanceId) -> TaskId {
        let id = self.cluster.create_provisioning(spec);
        self.attach_on(id, inst);
        id
    }

    /// Places a created (or PROVISIONING) task on `inst` and schedules its
    /// start: an image pull, shorter when the images are cached (T1).
    pub(super) fn attach_on(&mut self, id: TaskId, inst: InstanceId) {
        let now = self.queue.now();
        let task = self.cluster.task(id);
        let (def, owner) = (task.def, task.owner);
        let cached = {
            let on = &self.cluster.instance(inst).images;
            self.td_images[def.index()]
                .iter()
                .all(|img| on.contains(img))
        };
        let pending = if cached {
            self.spec.cached_start.sample(&mut self.streams.start)
        } else {
            self.spec.image_pull.sample(&mut self.streams.start)
        };
        // X4: failed pulls retried, or a start failure (P9, D4); an image
        // whose every pull failed is not on the instance afterwards.
        let (pending, pulled) = self.draw_start_failures(id, owner, !cached, pending);
        let images: &[ImageId] = if pulled {
            &self.td_images[def.index()]
        } else {
            &[]
        };
        self.cluster.attach(id, inst, images, now);
        self.bill_task_placed(id);
        self.mark_if_doomed(id, owner, def);
        self.schedule_for_task(id, now + pending, Event::TaskStarted(id));
    }

    /// The tasks a described instance already runs at time zero (its
    /// seed `k` in the group): RUNNING at once (healthy after the service's
    /// grace time), counted by their service, billed from now; the scheduler
    /// does not place them.
    pub(super) fn place_seed_tasks(&mut self, inst: InstanceId, k: usize) {
        let now = self.queue.now();
        let g = self.cluster.instance(inst).group;
        let seeds = self.spec.instance_groups[g].instances[k].tasks.clone();
        for st in seeds {
            let s = match st.owner {
                SeedOwner::Service(s) => s,
                SeedOwner::Job(j) => {
                    for _ in 0..st.count {
                        self.place_seed_job_task(j, st.task_def, inst);
                    }
                    continue;
                }
            };
            for _ in 0..st.count {
                let spec = self.new_task(
                    st.task_def,
                    self.services[s].group,
                    self.services[s].owner(s),
                );
                let id = self.cluster.create_provisioning(spec);
                let images = self.td_images[st.task_def.index()].clone();
                self.cluster.attach(id, inst, &images, now);
                self.bill_task_placed(id);
                self.cluster.mark_running(id, now);
                self.draw_crash(id, TaskOwner::Service(s));
                // Healthy once the service's grace time has run from time
                // zero, as every count of healthy tasks defines it (T2).
                let grace = self.spec.services[s].health_grace;
                self.services[s].live.push(id);
                self.services[s].started_running(id, now + grace, now);
                self.schedule_for_task(id, now + grace, Event::TaskHealthy(id));
            }
        }
    }

    /// A task of a revision that fails to start will stop before RUNNING (D4, P9).
    fn mark_if_doomed(&mut self, id: TaskId, owner: TaskOwner, def: TaskDefId) {
        if let TaskOwner::Service(s) = owner {
            let svc = &self.services[s];
            let rev = &svc.revisions[svc.current];
            if rev.fails && rev.task_def == def {
                self.doomed.insert(id);
            }
        }
    }

    fn place_daemon(&mut self, s: ServiceId, inst: InstanceId) {
        if !self.cluster.instance(inst).is_active() {
            return;
        }
        let svc = &self.services[s];
        if self.cluster.group_count_on_instance(svc.group, inst) > 0 {
            return;
        }
        let spec = self.new_task(
            self.spec.services[s].task_def,
            svc.group,
            TaskOwner::Daemon(s),
        );
        match svc.policy().check(&self.cluster, inst, &spec.req()) {
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

    /// P10: daemon tasks go first on a new ACTIVE instance.
    pub(super) fn place_daemons_on(&mut self, inst: InstanceId) {
        for k in 0..self.daemons.len() {
            self.place_daemon(self.daemons[k], inst);
        }
    }

    fn schedule_retry(&mut self, s: ServiceId) {
        if !self.services[s].retry_pending {
            self.services[s].retry_pending = true;
            let at = self.queue.now() + self.spec.placement_retry;
            self.queue.schedule(at, Event::ServiceCheck(s));
        }
    }

    /// Schedules a scheduler pass at `at` unless one is due no later.
    fn schedule_wake(&mut self, s: ServiceId, at: SimTime) {
        if self.services[s].wake.is_some_and(|w| w <= at) {
            return;
        }
        self.services[s].wake = Some(at);
        self.queue.schedule(at, Event::ServiceCheck(s));
    }

    /// P9: whether the service may launch a task of `revision` now: not
    /// while the revision is throttled, and at most the per-minute limit in
    /// any minute. If not, schedules the pass that may.
    fn may_launch(&mut self, s: ServiceId, revision: usize) -> bool {
        let now = self.queue.now();
        if let Some(th) = &self.services[s].throttle {
            if th.revision == revision && now < th.until {
                let until = th.until;
                self.schedule_wake(s, until);
                return false;
            }
        }
        let limit = self.spec.throttle.launches_per_minute as usize;
        let minute = SimDuration::from_mins(1);
        let launches = &mut self.services[s].launches;
        while launches.front().is_some_and(|&t| t + minute <= now) {
            launches.pop_front();
        }
        if launches.len() >= limit {
            let at = launches[0] + minute;
            self.schedule_wake(s, at);
            return false;
        }
        true
    }

    /// Counts a launch toward the per-minute limit (P9).
    pub(super) fn launched(&mut self, s: ServiceId) {
        let now = self.queue.now();
        let svc = &mut self.services[s];
        svc.placed += 1;
        svc.launches.push_back(now);
    }

    /// P9: a task of the current revision, launched at `created`, stopped
    /// before reaching RUNNING. The first failure of a launch attempt makes
    /// the next attempt wait a growing gap; failures of tasks launched in
    /// the same attempt do not grow it further.
    fn throttle_failure(&mut self, s: ServiceId, t: TaskId) {
        let now = self.queue.now();
        let (def, created) = {
            let task = self.cluster.task(t);
            (task.def, task.created_at)
        };
        let svc = &self.services[s];
        let rev = svc.current;
        if svc.revisions[rev].task_def != def {
            return;
        }
        let attempts = match &svc.throttle {
            Some(th) if th.revision == rev && created < th.until => {
                let until = th.until;
                self.schedule_wake(s, until);
                return;
            }
            Some(th) if th.revision == rev => th.attempts + 1,
            _ => 1,
        };
        let until = now + self.spec.throttle.delay(attempts);
        self.services[s].throttle = Some(Throttle {
            revision: rev,
            attempts,
            until,
        });
        if attempts == 1 {
            let name = self.service_name(s).to_string();
            self.recorder.event(
                now,
                &name,
                "throttled",
                format!("service {name} is unable to consistently start tasks successfully."),
            );
        }
        self.schedule_wake(s, until);
    }

    pub(super) fn on_service_check(&mut self, s: ServiceId, cause: Cause) {
        self.services[s].retry_pending = false;
        let now = self.queue.now();
        if self.services[s].wake.is_some_and(|w| w <= now) {
            self.services[s].wake = None;
        }
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
            self.reconcile(s, cause);
        }
    }

    pub(super) fn on_desired_count(&mut self, s: ServiceId, count: u32, cause: Cause) {
        self.services[s].desired = count;
        let now = self.queue.now();
        let name = self.service_name(s).to_string();
        self.recorder.event(
            now,
            &name,
            "desired-count",
            format!("service {name} desired count set to {count}"),
        );
        self.reconcile(s, cause);
    }

    fn is_healthy(&self, t: TaskId, now: SimTime, grace: SimDuration) -> bool {
        let task = self.cluster.task(t);
        task.state == TaskState::Running && task.running_at.get().is_some_and(|r| r + grace <= now)
    }

    /// Healthy tasks of service `s`, live and retiring (D1, D3).
    fn healthy_count(&self, s: ServiceId, now: SimTime) -> u32 {
        self.in_service(s, now, true)
    }

    /// The tasks of service `s` in service at `now`: live or retiring (so
    /// neither stopping nor failed health checks) and RUNNING; with
    /// `after_grace`, RUNNING for at least the health-check grace time too
    /// (healthy, T2, D1). Counted without walking the service's tasks, from
    /// the cluster's RUNNING count of the owner (kept as task states
    /// change), less the unhealthy tasks (RUNNING but not listed), less
    /// the tasks still in their grace time (those of `starting` whose
    /// grace ends after `now`, only the latest starts). Debug builds check
    /// the count against the walk, [`in_service_walk`](Self::in_service_walk).
    pub(super) fn in_service(&self, s: ServiceId, now: SimTime, after_grace: bool) -> u32 {
        let n = self.in_service_count(s, now, after_grace);
        debug_assert_eq!(
            n,
            self.in_service_walk(s, now, after_grace),
            "in-service count of service {s} at {now:?} (after grace: {after_grace})"
        );
        n
    }

    /// [`in_service`](Self::in_service) without the debug check.
    fn in_service_count(&self, s: ServiceId, now: SimTime, after_grace: bool) -> u32 {
        let svc = &self.services[s];
        let running = self.cluster.owner_counts(svc.owner(s)).running;
        let mut n = running.saturating_sub(svc.unhealthy.len() as u32);
        if after_grace {
            let in_grace = svc.in_grace(now);
            debug_assert_eq!(
                in_grace,
                (svc.starting.iter().rev())
                    .take_while(|&&(healthy_at, _)| healthy_at > now)
                    .filter(|&&(_, t)| self.cluster.task(t).state == TaskState::Running)
                    .count(),
                "tasks of service {s} in their grace time at {now:?}"
            );
            n = n.saturating_sub(in_grace as u32);
        }
        n
    }

    /// Task `t` is about to leave RUNNING (to STOPPING or STOPPED): if it
    /// is a service's task still in its grace time, notes when the grace
    /// would have ended, so that [`in_service`](Self::in_service) no longer
    /// counts it as starting. Called by every stop of a task that may be
    /// RUNNING ([`stop_task`](Self::stop_task), [`task_lost`](Self::task_lost)).
    fn leaving_running(&mut self, t: TaskId) {
        let task = self.cluster.task(t);
        let (TaskOwner::Service(s) | TaskOwner::Daemon(s)) = task.owner else {
            return;
        };
        let Some(running_at) = task
            .running_at
            .get()
            .filter(|_| task.state == TaskState::Running)
        else {
            return;
        };
        // As `started_running` was told when the task reached RUNNING.
        let healthy_at = running_at + self.spec.services[s].health_grace;
        if healthy_at > self.queue.now() {
            let left = &mut self.services[s].left_starting;
            let at = left.partition_point(|&h| h <= healthy_at);
            left.insert(at, healthy_at);
        }
    }

    /// [`in_service`](Self::in_service) by walking every live and retiring
    /// task of the service (the definition the count must equal).
    pub(super) fn in_service_walk(&self, s: ServiceId, now: SimTime, after_grace: bool) -> u32 {
        let grace = self.spec.services[s].health_grace;
        let svc = &self.services[s];
        (svc.live.iter().chain(svc.retiring.iter()))
            .filter(|&&t| {
                let task = self.cluster.task(t);
                task.state == TaskState::Running
                    && (!after_grace || task.running_at.get().is_some_and(|r| r + grace <= now))
            })
            .count() as u32
    }

    /// One pass of the REPLICA service scheduler.
    pub(super) fn reconcile(&mut self, s: ServiceId, cause: Cause) {
        if self.services[s].daemon {
            return;
        }
        if self.services[s].frozen {
            self.observe(s, cause);
            return;
        }
        let now = self.queue.now();
        let grace = self.spec.services[s].health_grace;

        // D1, D3: tasks being replaced that are not healthy (PENDING, or
        // RUNNING for less than the grace time) hold no healthy count: they
        // stop at once; except the old revision's own replacements, started
        // during this deployment to keep its count (D3).
        // Listed tasks stay healthy while listed: once a pass has found them
        // all healthy, only a task joining calls for another look.
        let retiring = &self.services[s].retiring;
        let (unhealthy, all_healthy) = if retiring.known_healthy() {
            debug_assert!(
                retiring.iter().all(|&t| self.is_healthy(t, now, grace)),
                "service {s}: a task to replace, known healthy, is not at {now:?}"
            );
            (Vec::new(), None)
        } else {
            let mut exempt = false;
            let unhealthy: Vec<TaskId> = (retiring.iter().copied())
                .filter(|&t| {
                    if self.is_healthy(t, now, grace) {
                        return false;
                    }
                    let replacement = self.is_old_replacement(s, t);
                    exempt |= replacement;
                    !replacement
                })
                .collect();
            (unhealthy, (!exempt).then_some(retiring.stamp()))
        };
        let mut stopped = unhealthy.len();
        for t in unhealthy {
            self.retire(t, cause);
        }
        // The tasks left are the healthy ones, unless some joined meanwhile.
        if let Some(stamp) = all_healthy {
            self.services[s].retiring.found_healthy(stamp);
        }
        self.old_revision_scale_out(s);

        let desired = self.services[s].desired;
        let (min_healthy, max_tasks) = self.spec.services[s].deployment.limits(desired);
        let TaskCounts {
            pending: p,
            running: r,
            stopping: st,
        } = self.cluster.owner_counts(self.services[s].owner(s));
        // Tasks waiting in PROVISIONING count toward maximumPercent too;
        // only services on Auto Scaling group providers have any.
        let provisioning = if matches!(self.spec.services[s].capacity, Capacity::Asg(_)) {
            let svc = &self.services[s];
            svc.live
                .iter()
                .chain(svc.retiring.iter())
                .filter(|&&t| self.cluster.task(t).state == TaskState::Provisioning)
                .count() as u32
        } else {
            0
        };
        let p = p + provisioning;
        // Tasks started to rebalance (X2) count once they are healthy.
        let live = self.services[s].live.len() as u32 - self.rebalance_in_flight(s);
        let mut room = max_tasks.saturating_sub(p + r + st);

        // D3 (since 2025-11): the old revision replaces its own terminated
        // tasks and takes its share of a scale-out, within maximumPercent,
        // while the service is short of healthy tasks.
        let mut started = 0;
        if self.services[s]
            .rollout
            .as_ref()
            .is_some_and(|ro| !ro.old_launches.is_empty())
        {
            let healthy = self.healthy_count(s, now);
            if healthy >= desired {
                if let Some(ro) = self.services[s].rollout.as_mut() {
                    ro.old_launches.clear();
                }
            } else {
                started = self.start_old_tasks(s, room);
                room -= started;
            }
        }

        // The tasks wanted now wait from the request that asked for them.
        self.services[s]
            .requests
            .sync(now, desired.saturating_sub(live));
        // Start tasks up to the desired count, within maximumPercent (D1).
        if live < desired {
            started += self.start_service_tasks(s, (desired - live).min(room));
        } else if live > desired {
            // P8: scale in, never stopping a protected task (X3).
            let wanted = (live - desired) as usize;
            let svc = &self.services[s];
            let guarded;
            let candidates: &[TaskId] = if svc.protection.is_empty() {
                &svc.live
            } else {
                guarded = self.unprotected(s, &svc.live);
                &guarded
            };
            let n = wanted.min(candidates.len());
            let victims = if self.spec.services[s].capacity.is_fargate() {
                self.fargate_victims(candidates, n)
            } else {
                scale_in::choose_victims(
                    &self.cluster,
                    svc.policy(),
                    candidates,
                    n,
                    &mut self.placer.rng,
                )
            };
            if !self.services[s].protection.is_empty() {
                self.scale_in_held(s, wanted, n);
            }
            for t in victims {
                self.stop_task(t, StopReason::ScaledIn, cause);
            }
        }

        stopped += self.stop_unhealthy(s, min_healthy, cause);

        // Stop healthy tasks being replaced while minimumHealthyPercent allows (D1, D3).
        if !self.services[s].retiring.is_empty() {
            let svc = &self.services[s];
            let healthy = self.healthy_count(s, now);
            let allowed = healthy.saturating_sub(min_healthy) as usize;
            // X3: a deployment does not stop a protected task (one on a
            // DRAINING instance is replaced all the same).
            let take: Vec<TaskId> = (svc.retiring.iter().copied())
                .filter(|&t| !self.is_protected(s, t) || self.on_draining(t))
                .take(allowed)
                .collect();
            stopped += take.len();
            for t in take {
                self.retire(t, cause);
            }
        }
        self.check_progress(s, started, stopped);
        self.observe(s, cause);
        self.rebalance(s);
    }

    /// Whether task `t` is on a DRAINING instance.
    fn on_draining(&self, t: TaskId) -> bool {
        (self.cluster.task(t).instance)
            .is_some_and(|i| self.cluster.instance(i).state == InstanceState::Draining)
    }

    /// D3: "An unhealthy task (failed container or load-balancer health
    /// check) gets its replacement started first when maximumPercent
    /// allows; otherwise unhealthy tasks are stopped one at a time." Runs
    /// after the pass has started what it could. When every replacement
    /// started (the service is not short of its desired count), unhealthy
    /// tasks stop as soon as the healthy count is at least `min_healthy`
    /// (at once if it already is, else when the replacements are healthy).
    /// When a replacement could not start (maximumPercent reached, or, as a
    /// model choice, no capacity or the P9 throttle), the unhealthy task
    /// with the lowest id stops, and the next only once that stop has
    /// completed; each completed stop frees room for a replacement.
    /// Returns how many stopped.
    fn stop_unhealthy(&mut self, s: ServiceId, min_healthy: u32, cause: Cause) -> usize {
        if self.services[s].unhealthy.is_empty() {
            return 0;
        }
        let now = self.queue.now();
        let cluster = &self.cluster;
        let svc = &mut self.services[s];
        svc.health_stops
            .retain(|&t| cluster.task(t).state == TaskState::Stopping);
        let short = (svc.live.len() as u32) < svc.desired;
        let svc = &self.services[s];
        let take = if short {
            usize::from(svc.health_stops.is_empty())
        } else {
            let healthy = self.healthy_count(s, now);
            if healthy >= min_healthy {
                svc.unhealthy.len()
            } else {
                0
            }
        };
        let mut victims = svc.unhealthy.clone();
        victims.sort_unstable();
        victims.truncate(take);
        let name = self.service_name(s).to_string();
        for &t in &victims {
            self.services[s].health_stops.push(t);
            self.stop_task(t, StopReason::FailedHealthChecks, cause);
            self.recorder.event(
                now,
                &name,
                "task-unhealthy-stopped",
                format!(
                    "service {name} has stopped 1 running tasks: (task {}).",
                    t.0
                ),
            );
        }
        victims.len()
    }

    /// D3: a healthy task fails its health checks. It stops counting as
    /// healthy at once; the scheduler replaces it (see `stop_unhealthy`).
    /// Returns whether it was a healthy task of the service.
    fn mark_unhealthy(&mut self, s: ServiceId, t: TaskId) -> bool {
        let now = self.queue.now();
        let grace = self.spec.services[s].health_grace;
        if !self.is_healthy(t, now, grace) {
            return false;
        }
        let svc = &mut self.services[s];
        if let Some(pos) = svc.live.iter().position(|&x| x == t) {
            svc.live.remove(pos);
        } else if let Some(pos) = svc.retiring.iter().position(|&x| x == t) {
            svc.retiring.remove(pos);
        } else {
            return false;
        }
        svc.unhealthy.push(t);
        svc.unhealthy_total += 1;
        let name = self.service_name(s).to_string();
        self.recorder.event(
            now,
            &name,
            "task-unhealthy",
            format!(
                "service {name} (task {}) failed container health checks.",
                t.0
            ),
        );
        true
    }

    /// D3: a task's drawn health-check failure comes due.
    pub(super) fn on_health_check_failed(&mut self, t: TaskId, cause: Cause) {
        let task = self.cluster.task(t);
        if task.state != TaskState::Running {
            return;
        }
        let TaskOwner::Service(s) = task.owner else {
            return;
        };
        if self.mark_unhealthy(s, t) {
            self.reconcile(s, cause);
        }
    }

    /// D3: a replayed failure: the `tasks` healthy tasks with the lowest
    /// ids (the oldest) fail together, then one scheduler pass runs.
    pub(super) fn on_health_check_replay(&mut self, s: ServiceId, k: usize, cause: Cause) {
        let Some(n) = self.spec.services[s]
            .health_check_failures
            .as_ref()
            .and_then(|h| h.replay.get(k))
            .map(|e| e.tasks as usize)
        else {
            return;
        };
        let now = self.queue.now();
        let grace = self.spec.services[s].health_grace;
        let svc = &self.services[s];
        let mut healthy: Vec<TaskId> = svc
            .live
            .iter()
            .chain(svc.retiring.iter())
            .copied()
            .filter(|&t| self.is_healthy(t, now, grace))
            .collect();
        healthy.sort_unstable();
        healthy.truncate(n);
        for t in healthy {
            self.mark_unhealthy(s, t);
        }
        self.reconcile(s, cause);
    }

    /// D3: a task of an older revision started during the current
    /// deployment to keep the old revision's count, on an instance that is
    /// not draining (or still PROVISIONING).
    fn is_old_replacement(&self, s: ServiceId, t: TaskId) -> bool {
        let svc = &self.services[s];
        let Some(ro) = &svc.rollout else {
            return false;
        };
        let task = self.cluster.task(t);
        task.created_at > ro.started
            && task.def != svc.revisions[svc.current].task_def
            && task
                .instance
                .is_none_or(|i| self.cluster.instance(i).state != InstanceState::Draining)
    }

    /// D3 (since 2025-11): a scale-out during a deployment applies to both
    /// revisions in proportion. Model choice: of a rise by Δ from desired D,
    /// the old revision, running O tasks, takes round(Δ × O / D) (O at most
    /// D) in its most common task definition; the new revision's target is
    /// the whole desired count, as always.
    fn old_revision_scale_out(&mut self, s: ServiceId) {
        let desired = self.services[s].desired;
        let svc = &self.services[s];
        let Some(ro) = &svc.rollout else {
            return;
        };
        let before = ro.desired_seen;
        if desired <= before {
            if let Some(ro) = self.services[s].rollout.as_mut() {
                ro.desired_seen = desired;
            }
            return;
        }
        let current = svc.revisions[svc.current].task_def;
        let mut defs: BTreeMap<TaskDefId, u64> = BTreeMap::new();
        for &t in svc.retiring.iter() {
            let def = self.cluster.task(t).def;
            if def != current {
                *defs.entry(def).or_default() += 1;
            }
        }
        for &def in &ro.old_launches {
            *defs.entry(def).or_default() += 1;
        }
        let old: u64 = defs.values().sum::<u64>().min(u64::from(before));
        let rise = u64::from(desired - before);
        let share = if before == 0 {
            0
        } else {
            (2 * rise * old + u64::from(before)) / (2 * u64::from(before))
        };
        // The most common old definition; ties to the lowest id.
        let def = defs
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(&d, _)| d);
        if let Some(ro) = self.services[s].rollout.as_mut() {
            ro.desired_seen = desired;
            if let Some(def) = def {
                ro.old_launches
                    .extend(std::iter::repeat_n(def, share as usize));
            }
        }
    }

    /// D3: an old-revision task of a deployment in progress was terminated
    /// (not stopped by the scheduler): the old revision replaces it.
    fn note_old_task_lost(&mut self, t: TaskId) {
        let task = self.cluster.task(t);
        let TaskOwner::Service(s) = task.owner else {
            return;
        };
        let def = task.def;
        if self.doomed.contains(&t) {
            return;
        }
        let svc = &mut self.services[s];
        let current = svc.revisions[svc.current].task_def;
        if def == current || !svc.retiring.contains(&t) {
            return;
        }
        if let Some(ro) = svc.rollout.as_mut() {
            ro.old_launches.push(def);
        }
    }

    /// A task died (with its instance, or crashed), before the cluster
    /// stops it: forgets it, and lets the old revision replace it during a
    /// deployment (D3).
    pub(super) fn task_lost(&mut self, t: TaskId) {
        self.leaving_running(t);
        self.note_old_task_lost(t);
        self.forget_task(t);
    }

    /// D3: launches up to `room` pending old-revision tasks; they join the
    /// tasks being replaced. Returns how many started.
    fn start_old_tasks(&mut self, s: ServiceId, room: u32) -> u32 {
        let mut started = 0;
        while started < room {
            let Some(def) = self.services[s]
                .rollout
                .as_ref()
                .and_then(|ro| ro.old_launches.first().copied())
            else {
                break;
            };
            let svc = &self.services[s];
            let Some(rev) = svc.revisions.iter().rposition(|r| r.task_def == def) else {
                if let Some(ro) = self.services[s].rollout.as_mut() {
                    ro.old_launches.remove(0);
                }
                continue;
            };
            // Placed with the old revision's own policy: the current
            // revision is switched for the placement only.
            let current = svc.current;
            let before = svc.live.len();
            self.services[s].current = rev;
            let n = self.start_service_tasks(s, 1);
            let svc = &mut self.services[s];
            svc.current = current;
            if n == 0 {
                break;
            }
            let moved: Vec<TaskId> = svc.live.drain(before..).collect();
            svc.retiring.extend(moved);
            if let Some(ro) = svc.rollout.as_mut() {
                ro.old_launches.remove(0);
            }
            started += 1;
        }
        started
    }

    /// Places up to `n` tasks of the current revision; returns how many.
    fn start_service_tasks(&mut self, s: ServiceId, n: u32) -> u32 {
        let now = self.queue.now();
        let mut placed = 0;
        for _ in 0..n {
            if !self.may_launch(s, self.services[s].current) {
                return placed;
            }
            let svc = &self.services[s];
            let spec = self.new_task(
                svc.revisions[svc.current].task_def,
                svc.group,
                TaskOwner::Service(s),
            );
            let capacity = &self.spec.services[s].capacity;
            if let Capacity::Asg(_) = capacity {
                let capacity = capacity.clone();
                let live = self.services[s].live.clone();
                let p = self.asg_provider(&capacity, &live);
                let name = self.service_name(s).to_string();
                match self.place_on_provider(spec, p, &name) {
                    Ok(id) => {
                        self.services[s].live.push(id);
                        self.launched(s);
                        self.take_request(s, id);
                        placed += 1;
                        continue;
                    }
                    Err(why) => {
                        *self.services[s].failures.entry(why).or_default() += 1;
                        if self.services[s].failing != Some(why) {
                            self.services[s].failing = Some(why);
                            let msg = unable_to_place_message(&name, why);
                            self.recorder.event(now, &name, "unable-to-place", msg);
                        }
                        self.schedule_retry(s);
                        return placed;
                    }
                }
            }
            if capacity.is_fargate() {
                let capacity = capacity.clone();
                let live = self.services[s].live.clone();
                let provider = self.fargate_provider(&capacity, &live);
                let (owner, def) = (spec.owner, spec.def);
                match self.launch_fargate(spec, &capacity, provider, &live) {
                    Ok(id) => {
                        // On Fargate too, a failing revision's tasks never run.
                        self.mark_if_doomed(id, owner, def);
                        self.services[s].live.push(id);
                        self.launched(s);
                        self.take_request(s, id);
                        placed += 1;
                        continue;
                    }
                    Err(why) => {
                        let name = self.service_name(s).to_string();
                        self.recorder.event(
                            now,
                            &name,
                            "unable-to-place",
                            format!("service {name} was unable to place a task. Reason: Capacity is unavailable at this time ({}).", why.why()),
                        );
                        self.schedule_retry(s);
                        return placed;
                    }
                }
            }
            let name = &self.spec.services[s].name;
            match self
                .placer
                .decide(&self.cluster, svc.policy(), &spec.req(), now, name)
            {
                Ok(inst) => {
                    let id = self.start_on(spec, inst);
                    self.services[s].live.push(id);
                    self.launched(s);
                    self.take_request(s, id);
                    placed += 1;
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
                    return placed;
                }
            }
        }
        if n > 0 && self.services[s].failing.take().is_some() {
            let name = self.service_name(s).to_string();
            self.recorder.event(
                now,
                &name,
                "steady-state",
                format!("service {name} has reached a steady state."),
            );
        }
        placed
    }

    /// Stops a task being replaced, with the reason that applies.
    fn retire(&mut self, t: TaskId, cause: Cause) {
        let on_draining = self
            .cluster
            .task(t)
            .instance
            .is_some_and(|i| self.cluster.instance(i).state == InstanceState::Draining);
        let reason = if on_draining {
            StopReason::Drained
        } else {
            StopReason::Replaced
        };
        self.stop_task(t, reason, cause);
    }

    /// Deployment bookkeeping after a pass: completion, or a stall (D3).
    fn check_progress(&mut self, s: ServiceId, started: u32, stopped: usize) {
        let now = self.queue.now();
        let grace = self.spec.services[s].health_grace;
        let svc = &self.services[s];
        // Only looked at when it can matter: a pass runs on every stop.
        let all_healthy = || svc.live.iter().all(|&t| self.is_healthy(t, now, grace));
        if svc.retiring.is_empty() {
            if let Some(ro) = &svc.rollout {
                // With nothing to replace, the healthy tasks are live ones:
                // all are healthy when the count says as many (the walk
                // would be a pass over the live list on each pass).
                let live = svc.live.len() as u32;
                if live == svc.desired && self.healthy_count(s, now) == live {
                    let (record, started_at) = (ro.record, ro.started);
                    let svc = &mut self.services[s];
                    svc.rollout = None;
                    svc.stable = svc.current;
                    let d = &mut svc.deployments[record];
                    d.outcome = "COMPLETED".into();
                    d.duration_s = Some((now - started_at).as_secs_f64());
                    let name = self.service_name(s).to_string();
                    self.recorder.event(
                        now,
                        &name,
                        "deployment-completed",
                        format!("service {name} deployment completed."),
                    );
                }
            }
            self.services[s].stall_reported = false;
            return;
        }
        let stopping = self.cluster.owner_counts(svc.owner(s)).stopping;
        // Tasks being replaced that are still starting are the old
        // revision's own replacements (D3): progress, not a stall. Once
        // every listed one is known healthy, the healthy count tells
        // whether the live ones all are, without a walk.
        let known = svc.retiring.known_healthy();
        let live_healthy = || {
            if known {
                let listed = (svc.live.len() + svc.retiring.len()) as u32;
                let healthy = self.healthy_count(s, now) == listed;
                debug_assert_eq!(healthy, all_healthy(), "service {s} at {now:?}");
                healthy
            } else {
                all_healthy()
            }
        };
        let starting_old =
            || !known && (svc.retiring.iter()).any(|&t| !self.is_healthy(t, now, grace));
        let in_flight = stopping > 0
            || svc.retry_pending
            || svc.wake.is_some()
            || !live_healthy()
            || starting_old();
        if started > 0 || stopped > 0 || in_flight {
            self.services[s].stall_reported = false;
            return;
        }
        // X3: old tasks kept by their scale-in protection hold the
        // deployment until it ends (a pass runs then): a wait, not a stall.
        let protected = (svc.retiring.iter())
            .filter(|&&t| self.is_protected(s, t))
            .count();
        if protected > 0 {
            if !svc.stall_reported {
                self.services[s].stall_reported = true;
                let name = self.service_name(s).to_string();
                self.recorder.event(
                    now,
                    &name,
                    "deployment-protected",
                    format!("service {name} deployment is waiting for {protected} tasks with task scale-in protection to be unprotected or to expire."),
                );
            }
            return;
        }
        if !svc.stall_reported {
            self.services[s].stall_reported = true;
            if let Some(ro) = &self.services[s].rollout {
                let record = ro.record;
                self.services[s].deployments[record].outcome = "STALLED".into();
            }
            let name = self.service_name(s).to_string();
            self.recorder.event(
                now,
                &name,
                "deployment-stalled",
                format!("service {name} was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again."),
            );
        }
    }

    /// D3: starts a deployment of `revision`; every current task is to be replaced.
    pub(super) fn deploy(&mut self, s: ServiceId, revision: usize, rollback: bool) {
        let now = self.queue.now();
        let family = self.spec.task_definitions
            [self.services[s].revisions[revision].task_def.index()]
        .def
        .family
        .clone();
        let svc = &mut self.services[s];
        if let Some(ro) = svc.rollout.take() {
            if svc.deployments[ro.record].outcome != "FAILED" {
                svc.deployments[ro.record].outcome = "SUPERSEDED".into();
                svc.deployments[ro.record].duration_s = Some((now - ro.started).as_secs_f64());
            }
        }
        let old = std::mem::take(&mut svc.live);
        svc.retiring.extend(old);
        svc.current = revision;
        if rollback {
            // The tasks still running the revision rolled back to are its
            // own again (unless their instance is draining).
            let def = svc.revisions[revision].task_def;
            let cluster = &self.cluster;
            let (keep, replace): (Vec<TaskId>, Vec<TaskId>) =
                svc.retiring.iter().partition(|&&t| {
                    let task = cluster.task(t);
                    task.def == def
                        && !self.doomed.contains(&t)
                        && task
                            .instance
                            .is_some_and(|i| cluster.instance(i).state == InstanceState::Active)
                });
            svc.live = keep;
            svc.retiring.replace(replace);
        }
        svc.frozen = false;
        svc.stall_reported = false;
        // P9: a new task-definition revision returns the service to normal.
        svc.throttle = None;
        svc.deployments.push(DeploymentSummary {
            revision,
            task_definition: family.clone(),
            trigger: if rollback { "rollback" } else { "deploy" }.into(),
            started_s: now.as_secs_f64(),
            outcome: "IN_PROGRESS".into(),
            duration_s: None,
            failed_tasks: 0,
        });
        svc.rollout = Some(Rollout {
            record: svc.deployments.len() - 1,
            started: now,
            failures: 0,
            old_launches: Vec::new(),
            desired_seen: svc.desired,
        });
        let name = self.service_name(s).to_string();
        let verb = if rollback {
            "rolling back to"
        } else {
            "deploying"
        };
        self.recorder.event(
            now,
            &name,
            "deployment-started",
            format!("service {name} {verb} revision {revision} ({family})"),
        );
        self.reconcile(s, Cause::Deployment);
    }

    /// D4: a task of the deploying revision failed to reach RUNNING.
    fn on_start_failure(&mut self, s: ServiceId) {
        let now = self.queue.now();
        let desired = self.services[s].desired;
        let breaker = self.spec.services[s].circuit_breaker;
        let svc = &mut self.services[s];
        let Some(ro) = svc.rollout.as_mut() else {
            return;
        };
        ro.failures += 1;
        let (record, failures, started) = (ro.record, ro.failures, ro.started);
        svc.deployments[record].failed_tasks = failures;
        let Some(cb) = breaker else { return };
        if failures < circuit_breaker_threshold(desired) {
            return;
        }
        svc.rollout = None;
        svc.deployments[record].outcome = "FAILED".into();
        svc.deployments[record].duration_s = Some((now - started).as_secs_f64());
        let stable = svc.stable;
        let name = self.service_name(s).to_string();
        self.recorder.event(
            now,
            &name,
            "deployment-failed",
            format!(
                "service {name} deployment failed: tasks failed to start ({failures} failures, circuit breaker threshold reached)"
            ),
        );
        if cb.rollback {
            self.deploy(s, stable, true);
        } else {
            self.services[s].frozen = true;
        }
    }

    /// Sends SIGTERM: the task is STOPPING until its stop timeout elapses.
    pub(super) fn stop_task(&mut self, t: TaskId, reason: StopReason, cause: Cause) {
        let now = self.queue.now();
        if reason == StopReason::SpotInterrupted {
            // Not the scheduler's choice: the old revision replaces it (D3).
            self.note_old_task_lost(t);
        }
        self.leaving_running(t);
        self.cluster.begin_stopping(t, reason, now);
        self.doomed.remove(&t);
        let owner = self.cluster.task(t).owner;
        self.forget_task(t);
        let td = self.cluster.task(t).def;
        let mut wait = self.spec.task_definitions[td.index()].def.stop_timeout();
        if self.fargate.tasks.contains_key(&t) {
            // F3: Fargate allows at most 120 s.
            wait = wait.min(SimDuration::from_secs(120));
        }
        self.schedule_for_task(t, now + wait, Event::TaskStopped(t));
        if let TaskOwner::Service(s) = owner {
            let cause = match reason {
                StopReason::Drained => self.drain_cause_of(t, cause),
                StopReason::Replaced => Cause::Deployment,
                StopReason::ScaledIn => Cause::Scaling,
                _ => cause,
            };
            self.observe(s, cause);
        }
    }

    fn drain_cause_of(&self, t: TaskId, cause: Cause) -> Cause {
        self.cluster
            .task(t)
            .instance
            .and_then(|i| self.inst_meta[i.index()].drain_cause)
            .unwrap_or(cause)
    }

    pub(super) fn forget_task(&mut self, t: TaskId) {
        match self.cluster.task(t).owner {
            TaskOwner::Service(s) | TaskOwner::Daemon(s) => self.services[s].forget(t),
            TaskOwner::Job(_) => {}
        }
    }

    /// Follows the running count for minutes-below-desired and recoveries.
    pub(super) fn observe(&mut self, s: ServiceId, cause: Cause) {
        if self.services[s].daemon {
            return;
        }
        self.observe_availability(s);
        let now = self.queue.now();
        let running = self.cluster.owner_counts(self.services[s].owner(s)).running;
        let desired = self.services[s].desired;
        if let Some((start, target)) = self.services[s].reaction {
            if running >= target {
                self.services[s].reaction = None;
                self.services[s].reactions.push((now - start).as_secs_f64());
            }
        }
        let ended = self.services[s]
            .tracker
            .update(now, running, desired, cause);
        if let Some((c, d)) = ended {
            if c == Cause::Interruption || c == Cause::Failure {
                let name = self.service_name(s).to_string();
                self.recorder.event(
                    now,
                    &name,
                    "recovered",
                    format!("service {name} is back at its desired count {desired} after {d}"),
                );
            }
        }
    }

    /// Follows the healthy count of replica service `s` against its
    /// desired count for its availability: called wherever either may
    /// change (every pass of the scheduler, a task starting, stopping or
    /// becoming healthy), so the time-weighted shares are exact.
    pub(super) fn observe_availability(&mut self, s: ServiceId) {
        if self.services[s].daemon {
            return;
        }
        let now = self.queue.now();
        let healthy = self.in_service_count(s, now, true);
        let desired = self.services[s].desired;
        let share = self.spec.slo.availability_share;
        self.services[s]
            .availability
            .update(now, healthy, desired, share);
    }

    /// Task `id`, just started by service `s`, answers its oldest request;
    /// remembered when that request is older than the task.
    fn take_request(&mut self, s: ServiceId, id: TaskId) {
        if let Some(at) = self.services[s].requests.take() {
            if at < self.cluster.task(id).created_at {
                self.request_at.insert(id, at);
            }
        }
    }

    /// Moves the service tasks on a newly DRAINING instance to the replace
    /// list (D1) and lets their schedulers act.
    pub(super) fn retire_tasks_on(&mut self, inst: InstanceId, cause: Cause) {
        let tasks = self.cluster.instance(inst).tasks.clone();
        let mut touched = Vec::new();
        for t in tasks {
            if let TaskOwner::Service(s) = self.cluster.task(t).owner {
                let svc = &mut self.services[s];
                if let Some(pos) = svc.live.iter().position(|&x| x == t) {
                    svc.live.remove(pos);
                    svc.retiring.push(t);
                    if !touched.contains(&s) {
                        touched.push(s);
                    }
                }
            }
        }
        touched.sort_unstable();
        for s in touched {
            self.reconcile(s, cause);
        }
    }

    /// Daemon tasks on a DRAINING instance stop after every other task (P10, D1).
    pub(super) fn stop_daemons_if_last(&mut self, inst: InstanceId, cause: Cause) {
        let i = self.cluster.instance(inst);
        if i.state != InstanceState::Draining || i.non_daemon_tasks > 0 {
            return;
        }
        let daemons: Vec<TaskId> = i
            .tasks
            .iter()
            .copied()
            .filter(|&t| self.cluster.task(t).is_live())
            .collect();
        for t in daemons {
            self.stop_task(t, StopReason::DaemonStopped, cause);
        }
    }

    // ----- task life cycle ---------------------------------------------

    pub(super) fn on_task_started(&mut self, t: TaskId, cause: Cause) {
        if self.cluster.task(t).state != TaskState::Pending {
            return;
        }
        let now = self.queue.now();
        let owner = self.cluster.task(t).owner;
        if self.doomed.remove(&t) {
            // D4: the essential container exits before the task is RUNNING.
            self.forget_task(t);
            let reason = self.start_failure_reason(t);
            self.cluster.finish_stop(t, reason, now);
            self.bill_task_stopped(t);
            if let Some(i) = self.cluster.task(t).instance {
                self.after_task_left(i, cause);
                // Its room goes to tasks waiting in PROVISIONING, as on
                // any other stop.
                self.capacity_freed(i);
            }
            if let TaskOwner::Service(s) = owner {
                self.on_start_failure(s);
                // P9: relaunches of failing tasks wait a growing gap.
                self.throttle_failure(s, t);
            }
            return;
        }
        self.cluster.mark_running(t, now);
        self.draw_crash(t, owner);
        if let TaskOwner::Service(s) = owner {
            // P9 (model choice): a task of the throttled revision reaching
            // RUNNING ends the run of failures.
            let def = self.cluster.task(t).def;
            let svc = &mut self.services[s];
            if svc
                .throttle
                .as_ref()
                .is_some_and(|th| svc.revisions[th.revision].task_def == def)
            {
                svc.throttle = None;
            }
        }
        self.fargate_started(t);
        let task = self.cluster.task(t);
        match owner {
            TaskOwner::Job(j) => {
                let job = &mut self.jobs[j];
                job.started += 1;
                job.wait_ms += u128::from((now - task.created_at).as_millis());
                let work = task.work.unwrap_or_default();
                self.schedule_for_task(t, now + work, Event::TaskWorkDone(t));
            }
            TaskOwner::Service(s) => {
                let grace = self.spec.services[s].health_grace;
                self.services[s].started_running(t, now + grace, now);
                self.schedule_for_task(t, now + grace, Event::TaskHealthy(t));
                self.observe(s, cause);
            }
            TaskOwner::Daemon(s) => {
                let grace = self.spec.services[s].health_grace;
                self.services[s].started_running(t, now + grace, now);
            }
        }
    }

    pub(super) fn on_task_healthy(&mut self, t: TaskId, cause: Cause) {
        let task = self.cluster.task(t);
        if task.state != TaskState::Running {
            return;
        }
        if let TaskOwner::Service(s) = task.owner {
            self.observe_availability(s);
            // D3: a Poisson failure time for a task that became healthy.
            let rate = self.spec.services[s]
                .health_check_failures
                .as_ref()
                .map_or(0.0, |h| h.per_task_hour);
            if rate > 0.0 {
                if let Some(d) = sample_time_to_interruption(&mut self.streams.health, rate) {
                    let now = self.queue.now();
                    self.schedule_for_task(t, now + d, Event::HealthCheckFailed(t));
                }
            }
            // X2: a task started to rebalance lets one stop elsewhere.
            self.rebalance_task_healthy(s, t);
            let svc = &self.services[s];
            if !svc.retiring.is_empty() || svc.rollout.is_some() || !svc.unhealthy.is_empty() {
                self.reconcile(s, cause);
            } else {
                self.rebalance(s);
            }
        }
    }

    pub(super) fn on_task_stopped(&mut self, t: TaskId, cause: Cause) {
        if self.cluster.task(t).state != TaskState::Stopping {
            return;
        }
        let now = self.queue.now();
        let reason = self
            .cluster
            .task(t)
            .stop_reason
            .unwrap_or(StopReason::ScaledIn);
        self.cluster.finish_stop(t, reason, now);
        self.bill_task_stopped(t);
        let task = self.cluster.task(t);
        let (owner, inst) = (task.owner, task.instance);
        match owner {
            TaskOwner::Service(s) | TaskOwner::Daemon(s) => {
                self.services[s].graceful += 1;
            }
            TaskOwner::Job(j) => self.jobs[j].graceful += 1,
        }
        if let Some(i) = inst {
            self.after_task_left(i, cause);
            self.capacity_freed(i);
        }
        if let TaskOwner::Service(s) = owner {
            let svc = &self.services[s];
            // A stopped task frees room under maximumPercent.
            if (svc.live.len() as u32) < svc.desired
                || !svc.retiring.is_empty()
                || !svc.unhealthy.is_empty()
            {
                self.reconcile(s, cause);
            } else {
                // X2: the stop freed room under maximumPercent.
                self.rebalance(s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// D1: a list found healthy stays known healthy as tasks leave it, and
    /// stops being known healthy whenever a task joins it, however it joins.
    #[test]
    fn the_retiring_list_forgets_its_health_when_a_task_joins() {
        let mut r = Retiring::default();
        assert!(!r.known_healthy(), "never looked at");
        let mark = |r: &mut Retiring| r.found_healthy(r.stamp());
        r.extend([TaskId(1), TaskId(2), TaskId(3)]);
        mark(&mut r);
        assert!(r.known_healthy());
        assert_eq!(r.remove(1), TaskId(2));
        assert!(r.known_healthy(), "a task leaving keeps the rest healthy");
        assert_eq!(&*r, &[TaskId(1), TaskId(3)]);
        r.push(TaskId(4));
        assert!(!r.known_healthy(), "pushed");
        mark(&mut r);
        r.extend([TaskId(5)]);
        assert!(!r.known_healthy(), "extended");
        mark(&mut r);
        r.extend([]);
        assert!(r.known_healthy(), "nothing joined");
        r.replace(vec![TaskId(1)]);
        assert!(!r.known_healthy(), "listed anew");
        assert_eq!(&*r, &[TaskId(1)]);
        let stamp = r.stamp();
        r.push(TaskId(6));
        r.found_healthy(stamp);
        assert!(!r.known_healthy(), "a task joined after the look");
    }

    /// `forget` drops the task from the list that holds it, and nothing
    /// else, whether the lists are in id order or not (a bisection may
    /// then miss), and drops nothing for a task not listed.
    #[test]
    fn forget_drops_the_task_from_its_list_in_any_order() {
        let ids = |v: &[u32]| v.iter().map(|&i| TaskId(i)).collect::<Vec<_>>();
        let orders = [
            ids(&[]),
            ids(&[4]),
            ids(&[1, 2, 5, 9, 12, 40]),
            ids(&[9, 2, 40, 1, 12, 5]),
            ids(&[1, 2, 5, 40, 9, 12]),
            ids(&[30, 31, 32, 1, 2, 3, 4, 5]),
        ];
        let shift = |v: &[TaskId], by: u32| v.iter().map(|t| TaskId(t.0 + by)).collect::<Vec<_>>();
        for live in &orders {
            for retiring in &orders {
                let retiring = shift(retiring, 100);
                let unhealthy = ids(&[207, 203]);
                for t in (0..45).chain(100..145).chain(200..210).map(TaskId) {
                    let mut svc = ServiceState::new(GroupId(0), false, 0, Vec::new());
                    svc.live = live.clone();
                    svc.retiring.extend(retiring.iter().copied());
                    svc.unhealthy = unhealthy.clone();
                    svc.forget(t);
                    let without =
                        |v: &[TaskId]| v.iter().copied().filter(|&x| x != t).collect::<Vec<_>>();
                    assert_eq!(svc.live, without(live), "{t} from live {live:?}");
                    assert_eq!(
                        &*svc.retiring,
                        &without(&retiring)[..],
                        "{t} from {retiring:?}"
                    );
                    assert_eq!(svc.unhealthy, without(&unhealthy), "{t}");
                }
            }
        }
    }
}
