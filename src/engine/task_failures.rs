//! Task-level failures of services and job streams (ECS-MODEL X4, P9, D4):
//! tasks whose essential container exits after RUNNING (crashes), tasks that
//! fail before RUNNING (start failures), and image pulls the agent retries
//! before the task fails to start.
//!
//! Owns the specs ([`TaskFailures`], read by `scenario/task_failures.rs`)
//! and [`FailureState`]: per service and per job stream its counters, its
//! random streams (`task-crashes/<service|job>/<name>`,
//! `start-failures/...`, `image-pulls/...`, created only when the scenario
//! has the feature, so no other draw moves) and the budget of replayed
//! start failures; and the replayed records, scheduled at time zero.
//!
//! What a failure does:
//! - **Crash** (RUNNING → STOPPED, "Essential container in task exited").
//!   A service task is forgotten and the scheduler replaces it in the same
//!   pass: no throttle gap (P9, X4), no circuit-breaker count (D4 counts
//!   tasks that never reach RUNNING). During a deployment an old-revision
//!   task that crashes is replaced by the old revision (D3, as for a task
//!   killed with its instance). A job task that crashes is treated like one
//!   killed with its instance (`job_task_killed`): its RUNNING time is lost
//!   work (`work_lost_task_s`) and it is submitted again with its whole
//!   work when the stream has `retryOnInterruption` (`tasks_rerun`); it is
//!   counted as crashed, not as killed.
//! - **Start failure** (PENDING → STOPPED): the task joins the tasks of a
//!   revision that fails to start (`Simulation::doomed`), so a service's
//!   failure takes the very path of `failsToStart`: P9's throttle (growing
//!   gaps up to 27 min, reset by a new revision) and D4's count during a
//!   deployment. A job task that fails to start is not re-run (RunTask does
//!   not retry; model choice: no batch retry either), it is counted.
//! - **Image pull failure**, per pull attempt with a probability, or for
//!   every attempt that begins inside a registry outage: the agent
//!   tries 5 times in all (X4) with a back-off between attempts of 1.1 s,
//!   doubling, at most 5 s (`amazon-ecs-agent`, `agent/dockerapi/
//!   docker_client.go`: `maximumPullRetries = 5`, `minimumPullRetryDelay =
//!   1100 ms`, `maximumPullRetryDelay = 5 s`, multiplier 2; its 20% jitter is
//!   left out, a model choice). Each attempt takes a draw of the scenario's
//!   `imagePullTime`. A pull that succeeds on attempt k starts the task after
//!   k pulls and k − 1 back-offs; after the 5th failed attempt the task fails
//!   to start ("CannotPullContainerError") — a start failure as above. On
//!   EC2 only tasks that pull (images not cached on the instance) can fail a
//!   pull, and an image whose pulls all failed is not cached; a Fargate task
//!   always pulls: its first attempt is part of its start latency, each
//!   retried one adds a back-off and a draw of `imagePullTime`.

use std::collections::BTreeSet;

use super::{Cause, Event, SimSpec, Simulation};
use crate::market::sample_time_to_interruption;
use crate::model::{JobId, ServiceId, StopReason, TaskId, TaskOwner, TaskState};
use crate::sim::{RngStreams, SimDuration, SimRng, SimTime};
use rand::Rng;

/// Pull attempts of one image before the task fails (X4).
pub const PULL_ATTEMPTS: u32 = 5;

/// The agent's wait before pull attempt `attempt + 1` after attempt
/// `attempt` failed (1-based): 1.1 s, 2.2 s, 4.4 s, then 5 s.
pub fn pull_backoff(attempt: u32) -> SimDuration {
    let ms = 1100u64.saturating_mul(1u64 << attempt.saturating_sub(1).min(16));
    SimDuration::from_millis(ms.min(5000))
}

/// X4: the agent's pull attempts for one task. `first` is the first
/// attempt's duration; `fails` says whether the attempt starting at the
/// given time after PENDING fails, and `pull` draws the duration of a
/// retried attempt, both from `state`.
/// Returns the time from PENDING to the end of the last attempt (k pulls
/// and k − 1 back-offs for k attempts), how many attempts were retried, and
/// whether the last one failed (all [`PULL_ATTEMPTS`] did).
pub fn pull_timeline<R>(
    state: &mut R,
    first: SimDuration,
    mut fails: impl FnMut(&mut R, SimDuration) -> bool,
    mut pull: impl FnMut(&mut R) -> SimDuration,
) -> (SimDuration, u32, bool) {
    let mut begins = SimDuration::ZERO;
    let mut pending = first;
    let mut attempt = 1;
    loop {
        if !fails(state, begins) {
            return (pending, attempt - 1, false);
        }
        if attempt == PULL_ATTEMPTS {
            return (pending, attempt - 1, true);
        }
        begins = pending + pull_backoff(attempt);
        pending = begins + pull(state);
        attempt += 1;
    }
}

/// Task-level failures of one service or job stream; every part optional.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskFailures {
    /// RUNNING tasks whose essential container exits (`taskCrashes`).
    pub crashes: Option<TaskCrashes>,
    /// Tasks that fail before RUNNING (`startFailures`).
    pub start_failures: Option<StartFailures>,
    /// Image pull attempts that fail (`imagePullFailures`).
    pub image_pull_failures: Option<ImagePullFailures>,
}

impl TaskFailures {
    /// No failure of any kind is configured.
    pub fn is_empty(&self) -> bool {
        self.crashes.is_none()
            && self.start_failures.is_none()
            && self.image_pull_failures.is_none()
    }
}

/// Crashes of RUNNING tasks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskCrashes {
    /// Poisson rate of crashes per RUNNING task per hour (0: none drawn).
    pub per_task_hour: f64,
    /// At each record, the `tasks` RUNNING tasks with the lowest ids (the
    /// oldest) crash together; in time order.
    pub replay: Vec<FailureReplay>,
}

/// Tasks that fail to start.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StartFailures {
    /// Probability that a placed task fails before RUNNING.
    pub probability: f64,
    /// At each record, the next `tasks` tasks placed from then on fail to
    /// start; in time order.
    pub replay: Vec<FailureReplay>,
}

/// Failed image pull attempts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImagePullFailures {
    /// Probability that one pull attempt fails.
    pub probability: f64,
    /// Registry outages: every attempt that begins inside one fails.
    pub outages: Vec<PullOutage>,
}

/// A time window in which the registry refuses every pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullOutage {
    /// When it begins.
    pub at: SimTime,
    /// How long it lasts.
    pub duration: SimDuration,
}

impl ImagePullFailures {
    /// Whether an attempt beginning at `t` falls in an outage.
    pub fn in_outage(&self, t: SimTime) -> bool {
        self.outages
            .iter()
            .any(|o| o.at <= t && t < o.at + o.duration)
    }
}

/// A replayed failure: when, and how many tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureReplay {
    /// When.
    pub at: SimTime,
    /// How many tasks.
    pub tasks: u32,
}

/// Whose tasks a failure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whose {
    Service(ServiceId),
    Job(JobId),
}

/// One replayed record, scheduled as `Event::TaskFailureReplay(index)`.
#[derive(Debug, Clone, Copy)]
struct Replay {
    whose: Whose,
    crash: bool,
    tasks: u32,
}

/// One service's or job stream's failure state and counters.
#[derive(Default)]
pub(super) struct OwnerFailures {
    crash_rng: Option<SimRng>,
    start_rng: Option<SimRng>,
    pull_rng: Option<SimRng>,
    /// Replayed start failures still to hit placed tasks.
    start_budget: u64,
    /// Tasks that crashed after RUNNING.
    pub crashed: u64,
    /// Tasks that stopped before RUNNING (pull failures included).
    pub failed_to_start: u64,
    /// Failed pull attempts that the agent retried.
    pub pull_retries: u64,
    /// Tasks that failed to start because every pull attempt failed.
    pub pull_failed: u64,
}

impl OwnerFailures {
    /// The summary's counts for an owner configured with `f`.
    pub fn counts(&self, f: &TaskFailures) -> crate::metrics::TaskFailureCounts {
        let pulls = f.image_pull_failures.is_some();
        crate::metrics::TaskFailureCounts {
            tasks_crashed: f.crashes.as_ref().map(|_| self.crashed),
            tasks_failed_to_start: (pulls || f.start_failures.is_some())
                .then_some(self.failed_to_start),
            image_pull_retries: pulls.then_some(self.pull_retries),
            image_pull_failures: pulls.then_some(self.pull_failed),
        }
    }

    fn new(f: &TaskFailures, streams: &RngStreams, label: &str) -> Self {
        OwnerFailures {
            crash_rng: f
                .crashes
                .as_ref()
                .map(|_| streams.stream(&format!("task-crashes/{label}"))),
            start_rng: f
                .start_failures
                .as_ref()
                .map(|_| streams.stream(&format!("start-failures/{label}"))),
            pull_rng: f
                .image_pull_failures
                .as_ref()
                .map(|_| streams.stream(&format!("image-pulls/{label}"))),
            ..OwnerFailures::default()
        }
    }
}

/// Failure state of the run (see the module doc).
pub(super) struct FailureState {
    pub services: Vec<OwnerFailures>,
    pub jobs: Vec<OwnerFailures>,
    replays: Vec<Replay>,
    /// Start failures whose cause was the last failed pull attempt.
    pull_doomed: BTreeSet<TaskId>,
}

impl FailureState {
    /// Per service and job stream, in spec order, with their streams.
    pub fn new(spec: &SimSpec, streams: &RngStreams) -> Self {
        FailureState {
            services: (spec.services.iter())
                .map(|s| {
                    OwnerFailures::new(&s.task_failures, streams, &format!("service/{}", s.name))
                })
                .collect(),
            jobs: (spec.jobs.iter())
                .map(|j| OwnerFailures::new(&j.task_failures, streams, &format!("job/{}", j.name)))
                .collect(),
            replays: Vec::new(),
            pull_doomed: BTreeSet::new(),
        }
    }
}

impl Simulation {
    fn failures_of(&self, whose: Whose) -> &TaskFailures {
        match whose {
            Whose::Service(s) => &self.spec.services[s].task_failures,
            Whose::Job(j) => &self.spec.jobs[j].task_failures,
        }
    }

    fn owner_failures(&mut self, whose: Whose) -> &mut OwnerFailures {
        match whose {
            Whose::Service(s) => &mut self.task_failures.services[s.index()],
            Whose::Job(j) => &mut self.task_failures.jobs[j.index()],
        }
    }

    fn whose_name(&self, whose: Whose) -> String {
        match whose {
            Whose::Service(s) => self.spec.services[s].name.clone(),
            Whose::Job(j) => self.spec.jobs[j].name.clone(),
        }
    }

    /// Schedules every replayed crash and start failure (at time zero).
    pub(super) fn schedule_failure_replays(&mut self) {
        let owners = (ServiceId::all(self.spec.services.len()).map(Whose::Service))
            .chain(JobId::all(self.spec.jobs.len()).map(Whose::Job));
        let mut all = Vec::new();
        for whose in owners {
            let f = self.failures_of(whose);
            for (crash, list) in [
                (true, f.crashes.as_ref().map(|c| &c.replay)),
                (false, f.start_failures.as_ref().map(|c| &c.replay)),
            ] {
                for e in list.into_iter().flatten() {
                    all.push((
                        e.at,
                        Replay {
                            whose,
                            crash,
                            tasks: e.tasks,
                        },
                    ));
                }
            }
        }
        for (at, r) in all {
            let k = self.task_failures.replays.len() as u32;
            self.task_failures.replays.push(r);
            self.queue.schedule(at, Event::TaskFailureReplay(k));
        }
    }

    /// A task is being placed (about to be PENDING): draws whether it
    /// fails to start, and, when it pulls its images, how many pull
    /// attempts it takes. Returns the PENDING time to use instead of
    /// `pending` (one pull's draw, longer when pulls were retried) and
    /// whether its images end up on the instance (false when every pull
    /// attempt failed).
    pub(super) fn draw_start_failures(
        &mut self,
        id: TaskId,
        owner: TaskOwner,
        pulls: bool,
        pending: SimDuration,
    ) -> (SimDuration, bool) {
        let whose = match owner {
            TaskOwner::Service(s) => Whose::Service(s),
            TaskOwner::Job(j) => Whose::Job(j),
            TaskOwner::Daemon(_) => return (pending, true),
        };
        let f = self.failures_of(whose);
        if f.is_empty() {
            return (pending, true);
        }
        let p_start = f.start_failures.as_ref().map(|s| s.probability);
        let pull_spec = f.image_pull_failures.clone();
        let mut pending = pending;
        let mut doomed = false;
        let mut pulled = true;
        // The pulls come first: their draws do not depend on the start draw.
        if let (true, Some(spec)) = (pulls, pull_spec) {
            let image_pull = self.spec.image_pull.clone();
            let now = self.queue.now();
            let of = self.owner_failures(whose);
            let rng = of.pull_rng.as_mut().expect("a pull stream when configured");
            let p = spec.probability.clamp(0.0, 1.0);
            // Every attempt draws, in an outage too, so that an outage
            // moves no other draw.
            let (total, retries, failed) = pull_timeline(
                rng,
                pending,
                |rng, begins| rng.gen_bool(p) | spec.in_outage(now + begins),
                |rng| image_pull.sample(rng),
            );
            pending = total;
            of.pull_retries += u64::from(retries);
            if failed {
                of.pull_failed += 1;
                doomed = true;
                pulled = false;
                self.task_failures.pull_doomed.insert(id);
            }
        }
        if !doomed {
            let of = self.owner_failures(whose);
            if of.start_budget > 0 {
                of.start_budget -= 1;
                doomed = true;
            } else if let (Some(p), Some(rng)) = (p_start, of.start_rng.as_mut()) {
                doomed = p > 0.0 && rng.gen_bool(p.clamp(0.0, 1.0));
            }
        }
        if doomed {
            self.doomed.insert(id);
        }
        (pending, pulled)
    }

    /// A task with task failures configured reached RUNNING: draws its crash.
    pub(super) fn draw_crash(&mut self, t: TaskId, owner: TaskOwner) {
        let whose = match owner {
            TaskOwner::Service(s) => Whose::Service(s),
            TaskOwner::Job(j) => Whose::Job(j),
            TaskOwner::Daemon(_) => return,
        };
        let Some(rate) = self
            .failures_of(whose)
            .crashes
            .as_ref()
            .map(|c| c.per_task_hour)
        else {
            return;
        };
        if rate <= 0.0 {
            return;
        }
        let rng = self
            .owner_failures(whose)
            .crash_rng
            .as_mut()
            .expect("a crash stream when configured");
        if let Some(d) = sample_time_to_interruption(rng, rate) {
            let at = self.queue.now() + d;
            if at <= self.horizon {
                self.schedule_for_task(t, at, Event::TaskCrashed(t));
            }
        }
    }

    /// A task that fails to start is stopping (`on_task_started`): counts
    /// it, records why, and returns its stop reason.
    pub(super) fn start_failure_reason(&mut self, t: TaskId) -> StopReason {
        let pulled = self.task_failures.pull_doomed.remove(&t);
        let reason = if pulled {
            StopReason::CannotPullContainer
        } else {
            StopReason::FailedToStart
        };
        let whose = match self.cluster.task(t).owner {
            TaskOwner::Service(s) => Whose::Service(s),
            TaskOwner::Job(j) => Whose::Job(j),
            TaskOwner::Daemon(_) => return reason,
        };
        if self.failures_of(whose).is_empty() {
            return reason;
        }
        self.owner_failures(whose).failed_to_start += 1;
        let now = self.queue.now();
        let name = self.whose_name(whose);
        let (event, why) = if pulled {
            let image = (self.td_images[self.cluster.task(t).def.index()].first())
                .map_or("", |&i| &self.image_names[i.index()]);
            (
                "task-pull-failed",
                // ECS's wording, which counts every attempt.
                format!(
                    "CannotPullContainerError: pull image manifest has been retried {PULL_ATTEMPTS} time(s): failed to resolve ref {image}"
                ),
            )
        } else {
            (
                "task-failed-to-start",
                "Essential container in task exited".to_string(),
            )
        };
        self.recorder.event(
            now,
            &name,
            event,
            format!("{name}: task {} stopped before RUNNING: {why}", t.0),
        );
        reason
    }

    /// A drawn crash comes due: the task's essential container exits.
    pub(super) fn on_task_crashed(&mut self, t: TaskId, cause: Cause) {
        if self.cluster.task(t).state != TaskState::Running {
            return;
        }
        self.crash(t, cause);
    }

    /// Task `t` (RUNNING) crashes now.
    fn crash(&mut self, t: TaskId, cause: Cause) {
        let now = self.queue.now();
        let task = self.cluster.task(t);
        let (owner, inst) = (task.owner, task.instance);
        let lost = task.running_at.get().map_or(SimDuration::ZERO, |r| now - r);
        let (work, cpu, memory) = (
            task.work.unwrap_or_default(),
            task.reservation.cpu,
            task.reservation.memory,
        );
        // D3: an old-revision task lost during a deployment is replaced by
        // the old revision; the service forgets it either way.
        self.task_lost(t);
        self.cluster.finish_stop(t, StopReason::Crashed, now);
        self.bill_task_stopped(t);
        if let Some(i) = inst {
            self.after_task_left(i, cause);
            self.capacity_freed(i);
        }
        let (name, whose) = match owner {
            TaskOwner::Service(s) | TaskOwner::Daemon(s) => {
                (self.spec.services[s].name.clone(), Whose::Service(s))
            }
            TaskOwner::Job(j) => (self.spec.jobs[j].name.clone(), Whose::Job(j)),
        };
        self.owner_failures(whose).crashed += 1;
        self.recorder.event(
            now,
            &name,
            "task-crashed",
            format!(
                "{name}: task {} stopped: Essential container in task exited",
                t.0
            ),
        );
        match owner {
            // X4, P9: replaced at once, not throttled.
            TaskOwner::Service(s) => self.reconcile(s, cause),
            TaskOwner::Daemon(_) => {}
            TaskOwner::Job(j) => {
                let job = &mut self.jobs[j];
                job.work_lost_ms += lost.as_millis();
                if self.spec.jobs[j].retry_on_interruption {
                    self.jobs[j].rerun += 1;
                    self.submit(j, work, Some(cpu), Some(memory));
                }
            }
        }
    }

    /// A replayed crash or start failure (index into the replay list).
    pub(super) fn on_task_failure_replay(&mut self, k: usize, cause: Cause) {
        let Some(r) = self.task_failures.replays.get(k).copied() else {
            return;
        };
        if !r.crash {
            self.owner_failures(r.whose).start_budget += u64::from(r.tasks);
            return;
        }
        let mut running: Vec<TaskId> = match r.whose {
            Whose::Service(s) => {
                let svc = &self.services[s];
                (svc.live.iter().chain(svc.retiring.iter()))
                    .chain(svc.unhealthy.iter())
                    .copied()
                    .filter(|&t| self.cluster.task(t).state == TaskState::Running)
                    .collect()
            }
            Whose::Job(j) => (self.cluster.tasks().iter())
                .filter(|t| t.owner == TaskOwner::Job(j) && t.state == TaskState::Running)
                .map(|t| t.id)
                .collect(),
        };
        running.sort_unstable();
        running.truncate(r.tasks as usize);
        for t in running {
            self.crash(t, cause);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_backoff_doubles_from_1_1_s_to_5_s() {
        // ECS-MODEL X4: the agent's back-off between its 5 pull attempts.
        let waits: Vec<u64> = (1..PULL_ATTEMPTS)
            .map(|a| pull_backoff(a).as_millis())
            .collect();
        assert_eq!(waits, [1100, 2200, 4400, 5000]);
        assert_eq!(pull_backoff(40).as_millis(), 5000);
    }

    /// Runs the timeline over a scripted list of attempt outcomes, each
    /// attempt taking 20 s.
    fn scripted(outcomes: &[bool]) -> (u64, u32, bool, usize) {
        let mut it = (outcomes.iter().copied(), 0usize);
        let (d, retries, failed) = pull_timeline(
            &mut it,
            SimDuration::from_secs(20),
            |s, _| {
                s.1 += 1;
                s.0.next().expect("an outcome per attempt")
            },
            |_| SimDuration::from_secs(20),
        );
        (d.as_millis(), retries, failed, it.1)
    }

    #[test]
    fn a_pull_that_fails_4_times_then_succeeds_takes_5_pulls_and_4_back_offs_x4() {
        // ECS-MODEL X4: 5 pulls of 20 s plus 1.1 + 2.2 + 4.4 + 5 s of back-off.
        assert_eq!(
            scripted(&[true, true, true, true, false]),
            (112_700, 4, false, 5)
        );
        // Success at once: one pull, no retry.
        assert_eq!(scripted(&[false]), (20_000, 0, false, 1));
        // Success on the 2nd attempt: 20 + 1.1 + 20 s.
        assert_eq!(scripted(&[true, false]), (41_100, 1, false, 2));
    }

    #[test]
    fn attempts_begin_after_the_previous_pull_and_its_back_off_x4() {
        // ECS-MODEL X4: with 20 s pulls, attempts begin at 0, 21.1, 43.3,
        // 67.7 and 92.7 s after PENDING.
        let mut begins = Vec::new();
        pull_timeline(
            &mut begins,
            SimDuration::from_secs(20),
            |b, at| {
                b.push(at.as_millis());
                true
            },
            |_| SimDuration::from_secs(20),
        );
        assert_eq!(begins, [0, 21_100, 43_300, 67_700, 92_700]);
        let spec = ImagePullFailures {
            probability: 0.0,
            outages: vec![PullOutage {
                at: SimTime::ZERO + SimDuration::from_secs(10),
                duration: SimDuration::from_secs(30),
            }],
        };
        let t = |s| SimTime::ZERO + SimDuration::from_secs(s);
        assert!(!spec.in_outage(t(9)) && spec.in_outage(t(10)) && spec.in_outage(t(39)));
        assert!(!spec.in_outage(t(40)));
    }

    #[test]
    fn five_failed_pulls_end_the_attempts_x4() {
        // ECS-MODEL X4: 5 attempts in all; no 6th is drawn.
        assert_eq!(
            scripted(&[true, true, true, true, true, false]),
            (112_700, 4, true, 5)
        );
    }
}
