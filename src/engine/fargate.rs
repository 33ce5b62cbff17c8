//! Fargate: tasks that bring their own capacity, spread over AZs with no
//! placement strategy (F1), admitted by a launch-rate token bucket and
//! started after a start latency (F2), Fargate Spot interruptions with the
//! two-minute warning (F3), and the split of a service's or job's tasks
//! over `FARGATE` and `FARGATE_SPOT` by base and weight (C6).
//!
//! Owns `FargateState` (`Simulation::fargate`): the Fargate tasks with
//! their AZ and provider, the token bucket and the Fargate Spot counters.

use std::collections::BTreeMap;

use rand::Rng;

use super::{Capacity, Event, Simulation};
use crate::market::sample_time_to_interruption;
use crate::model::{NewTask, StopReason, TaskId, TaskOwner, TaskState};
use crate::placement::provider_strategy::next_provider;
use crate::sim::{SimDuration, SimTime};

/// The provider name of Fargate Spot.
pub const FARGATE_SPOT: &str = "FARGATE_SPOT";

/// What the engine knows of a Fargate task.
#[derive(Debug, Clone)]
pub(super) struct FargateMeta {
    /// Launched on Fargate Spot.
    pub spot: bool,
    /// Its AZ.
    pub az: String,
    /// Index of its provider in the owner's strategy.
    pub provider: usize,
}

/// Fargate's state: the launch-rate bucket and the tasks it runs.
#[derive(Debug, Clone, Default)]
pub(super) struct FargateState {
    /// Tokens in the bucket at `refilled` (negative: launches already queued).
    tokens: f64,
    refilled: SimTime,
    started: bool,
    pub tasks: BTreeMap<TaskId, FargateMeta>,
    /// Fargate Spot tasks that received their two-minute warning.
    pub spot_interruptions: u64,
    /// Fargate Spot launches refused for lack of capacity.
    pub spot_unavailable: u64,
}

/// Why a Fargate launch did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FargateRefusal {
    /// Fargate Spot has no capacity now (F3).
    SpotCapacity,
    /// Every AZ Fargate may use is down (X1).
    NoZone,
}

impl FargateRefusal {
    /// What ECS says, after "Capacity is unavailable at this time".
    pub fn why(self) -> &'static str {
        match self {
            FargateRefusal::SpotCapacity => "FARGATE_SPOT",
            FargateRefusal::NoZone => "no Availability Zone is available",
        }
    }
}

impl Simulation {
    /// F2: when the next launch gets through the token bucket.
    fn fargate_admit(&mut self) -> SimTime {
        let now = self.queue.now();
        let burst = f64::from(self.spec.fargate.burst);
        let rate = self.spec.fargate.launches_per_s;
        let f = &mut self.fargate;
        if !f.started {
            f.started = true;
            f.tokens = burst;
            f.refilled = now;
        }
        let elapsed = (now - f.refilled).as_secs_f64();
        f.tokens = (f.tokens + elapsed * rate).min(burst);
        f.refilled = now;
        f.tokens -= 1.0;
        if f.tokens >= 0.0 {
            now
        } else {
            now + SimDuration::from_secs_f64(-f.tokens / rate)
        }
    }

    /// Which provider of `owner`'s strategy the next task goes to (C6),
    /// given the live tasks it has on each.
    pub(super) fn fargate_provider(&self, capacity: &Capacity, live: &[TaskId]) -> usize {
        let Capacity::Fargate(items) = capacity else {
            return 0;
        };
        let mut counts = vec![0u32; items.len()];
        for t in live {
            if let Some(m) = self.fargate.tasks.get(t) {
                counts[m.provider] += 1;
            }
        }
        next_provider(items, &counts).unwrap_or(0)
    }

    /// Launches `spec` on Fargate (provider `provider` of the owner's
    /// strategy); the AZ with the fewest of `live` is used (F1).
    pub(super) fn launch_fargate(
        &mut self,
        spec: NewTask,
        capacity: &Capacity,
        provider: usize,
        live: &[TaskId],
    ) -> Result<TaskId, FargateRefusal> {
        let spot = match capacity {
            Capacity::Fargate(items) => items[provider].provider == FARGATE_SPOT,
            Capacity::Ec2 | Capacity::Asg(_) => false,
        };
        if spot && self.spec.fargate.spot_capacity < 1.0 {
            let p = self.spec.fargate.spot_capacity;
            if !self.streams.fargate.gen_bool(p.clamp(0.0, 1.0)) {
                self.fargate.spot_unavailable += 1;
                return Err(FargateRefusal::SpotCapacity);
            }
        }
        let azs = &self.spec.fargate.availability_zones;
        // X1: Fargate places tasks only in the AZs that are up.
        if !azs.is_empty() && azs.iter().all(|a| self.failures.is_down(a)) {
            return Err(FargateRefusal::NoZone);
        }
        let mut per_az = vec![0u32; azs.len()];
        for t in live {
            if let Some(m) = self.fargate.tasks.get(t) {
                if let Some(k) = azs.iter().position(|a| *a == m.az) {
                    per_az[k] += 1;
                }
            }
        }
        let az_index = (0..azs.len())
            .filter(|&k| !self.failures.is_down(&azs[k]))
            .min_by_key(|&k| per_az[k])
            .unwrap_or(0);
        let az = azs.get(az_index).cloned().unwrap_or_default();
        let admit = self.fargate_admit();
        let latency = self
            .spec
            .fargate
            .start_latency
            .sample(&mut self.streams.start);
        let id = self.cluster.start_detached_task(spec, admit);
        // X4: a Fargate task always pulls its images; the first pull is
        // part of the start latency, retried ones add to it.
        let owner = self.cluster.task(id).owner;
        let (latency, _) = self.draw_start_failures(id, owner, true, latency);
        self.fargate
            .tasks
            .insert(id, FargateMeta { spot, az, provider });
        self.bill_fargate_admitted(id);
        self.schedule_for_task(id, admit + latency, Event::TaskStarted(id));
        Ok(id)
    }

    /// After a Fargate Spot task reaches RUNNING: draw its interruption (F3).
    pub(super) fn fargate_started(&mut self, t: TaskId) {
        let spot = self.fargate.tasks.get(&t).is_some_and(|m| m.spot);
        if !spot {
            return;
        }
        let hazard = self.spec.fargate.spot_hazard_per_hour;
        if let Some(d) = sample_time_to_interruption(&mut self.streams.fargate, hazard) {
            let at = self.queue.now() + d;
            if at <= self.horizon {
                self.schedule_for_task(t, at, Event::FargateSpotNotice(t));
            }
        }
    }

    /// F3: "Your Spot Task was interrupted." SIGTERM now, SIGKILL after the
    /// stop timeout (at most 120 s); the service launches a replacement.
    pub(super) fn on_fargate_spot_notice(&mut self, t: TaskId, cause: super::Cause) {
        let task = self.cluster.task(t);
        if !matches!(task.state, TaskState::Pending | TaskState::Running) {
            return;
        }
        let owner = task.owner;
        self.fargate.spot_interruptions += 1;
        let now = self.queue.now();
        let name = self.owner_name(owner);
        self.recorder.event(
            now,
            &name,
            "fargate-spot-interruption",
            format!(
                "task {} stopped: Your Spot Task was interrupted. (TerminationNotice)",
                t.0
            ),
        );
        if let TaskOwner::Job(j) = owner {
            self.job_task_killed(j, t);
        }
        self.stop_task(t, StopReason::SpotInterrupted, cause);
        if let TaskOwner::Service(s) = owner {
            self.reconcile(s, cause);
        }
    }

    /// Scale-in victims of a Fargate service: from the AZ with the most
    /// tasks, the newest first (no placement strategy applies, F1).
    pub(super) fn fargate_victims(&self, live: &[TaskId], n: usize) -> Vec<TaskId> {
        let mut remaining: Vec<TaskId> = live.to_vec();
        let mut out = Vec::new();
        for _ in 0..n {
            let mut per_az: BTreeMap<&str, u32> = BTreeMap::new();
            for t in &remaining {
                let az = self.fargate.tasks.get(t).map_or("", |m| m.az.as_str());
                *per_az.entry(az).or_default() += 1;
            }
            let Some((&az, _)) = per_az
                .iter()
                .max_by_key(|(az, c)| (**c, std::cmp::Reverse(**az)))
            else {
                break;
            };
            let pick = remaining
                .iter()
                .copied()
                .filter(|t| self.fargate.tasks.get(t).map_or("", |m| m.az.as_str()) == az)
                .max();
            if let Some(p) = pick {
                remaining.retain(|&x| x != p);
                out.push(p);
            }
        }
        out
    }

    /// The service or job a task belongs to.
    pub(super) fn owner_name(&self, owner: TaskOwner) -> String {
        match owner {
            TaskOwner::Service(s) | TaskOwner::Daemon(s) => self.spec.services[s].name.clone(),
            TaskOwner::Job(j) => self.spec.jobs[j].name.clone(),
        }
    }
}
