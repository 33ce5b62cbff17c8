//! Capacity provider managed scaling, a.k.a. cluster auto scaling (ECS-MODEL
//! C1–C5): the `CapacityProviderReservation` metric, how many instances the
//! tasks need, the ASG desired capacity it asks for, when (alarms, warm-up,
//! scale-in pacing) and which instances a scale-in may take.
//!
//! This module owns [`ManagedScaling`] (the provider's parameters),
//! [`reservation`] (C1), [`instances_needed`] and [`instances_needed_in`]
//! (C2), [`desired_capacity`] (C3), [`scale_in_step`] and
//! [`CapacityProviderScaler`] (C3, C4), and [`scale_in_victims`] (C5).
//!
//! # Rules
//!
//! - **C1** `CPR = M / N × 100`; `M = 0, N = 0` → 100; `M > 0, N = 0` → 200.
//! - **C2** `M` = instances with at least one non-daemon task + instances
//!   needed by the PROVISIONING tasks. The provisioning tasks are grouped by
//!   identical (cpu, memory) needs; groups are packed first fit decreasing
//!   — the largest first, by their dominant share of the largest type
//!   (`max(cpu / type cpu, memory / type memory)`), ties by (cpu, memory)
//!   descending — into the free space of the existing instances (in the
//!   order given), then into fresh instances of the ASG's largest type.
//!   Tasks that do not fit the *smallest* type are ignored (AWS: excluded;
//!   if all are, M is not raised); *model choice*: so are tasks that do not
//!   fit the largest type (only possible when the "largest" type is smaller
//!   on one dimension). Ports, ENIs and GPUs are not modelled here.
//!   [`instances_needed`] counts an existing instance only if it is busy
//!   (it cannot tell an empty one); [`instances_needed_in`] also counts an
//!   empty instance the packing puts a task on, so that a just-registered
//!   instance the provisioning tasks are about to use is not scaled in.
//! - **C3** Desired capacity for a CPR above the target: `ceil(N' × CPR /
//!   targetCapacity)` with `N' = max(N, 1)` (so the first scale-out from 0
//!   asks for 2 at CPR 200 and target 100), then the step rule: the
//!   increase is `minimumScalingStepSize` if the need is smaller, else
//!   `min(maximumScalingStepSize, need)`. At or below the target:
//!   `ceil(N × CPR / targetCapacity)`, the count that brings CPR to the
//!   target (the step sizes do not affect scale-in).
//! - **C4** One datapoint per minute. Scale out on 1 datapoint above the
//!   target; scale in after 15 consecutive datapoints below it, then lower
//!   the desired capacity step by step, each step removing at most
//!   `scale_in_max_percent` % of the group (default 50; 5 before
//!   2022-09): *model choice* (AWS: "greater than one instance and less
//!   than 50 %"), remove `min(N − target, max(1, floor(N × pct / 100)))`.
//!   So 10 instances that need 2 go 10 → 5 → 3 → 2 (remove 5, then
//!   min(3, 2) = 2, then 1). Steps are not one a minute: a step waits until
//!   the previous step's instances have left the group (the engine reports
//!   when, see [`ScaleInPacing`]) and for a fresh datapoint, one sampled at
//!   or after that moment. A datapoint at or above the target ends the
//!   scale-in; a scale-out request also cancels it (the 15 datapoints
//!   start over).
//! - **Warm-up gate (C3)**: no scale-out while any instance is within
//!   `instanceWarmupPeriod` of its launch. *Model choice*: no scale-in
//!   either (EC2 Auto Scaling blocks scale-ins while a scale-out warms up).
//!   The engine passes the newest launch time; the alarm runs go on
//!   counting meanwhile.
//! - **C5** Victims: with managed termination protection only instances
//!   with no non-daemon task may go; without it, any instance. Among those
//!   allowed, the ASG default termination policy: the AZ with the most
//!   instances (counting all of the group's instances, protected too) that
//!   has an allowed one, then the oldest launch template (one per group
//!   here: no preference), then the instance closest to the next billing
//!   hour of its uptime, then a seeded random draw (then the lowest id), so
//!   the choice is deterministic. Victims are chosen one at a time, each
//!   seeing the AZ counts the previous left.
//!
//! A pure decider: functions of their inputs; the scaler keeps only its
//! low-alarm run. The engine computes the inputs from the cluster, applies
//! the desired capacity to the ASG and drains or terminates the victims.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::{ceil_count, ParamError};
use crate::model::Resources;
use crate::sim::{SimDuration, SimTime};

/// A capacity provider's `managedScaling` parameters (C3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagedScaling {
    /// `targetCapacity`, percent, 1–100 (default 100; below 100 keeps empty
    /// spare instances).
    pub target_capacity: u32,
    /// `minimumScalingStepSize`, instances, 1–10000 (default 1).
    pub min_step: u32,
    /// `maximumScalingStepSize`, instances, 1–10000 (default 10000).
    pub max_step: u32,
    /// `instanceWarmupPeriod` (default 300 s, at most 10000 s).
    pub warmup: SimDuration,
}

impl Default for ManagedScaling {
    fn default() -> Self {
        ManagedScaling {
            target_capacity: 100,
            min_step: 1,
            max_step: 10_000,
            warmup: SimDuration::from_secs(300),
        }
    }
}

impl ManagedScaling {
    /// Largest step size ECS accepts, instances.
    pub const MAX_STEP: u32 = 10_000;
    /// Longest `instanceWarmupPeriod` ECS accepts, seconds.
    pub const MAX_WARMUP_S: u64 = 10_000;

    /// Checks the ranges ECS enforces: target 1–100, steps 1–10000 with
    /// min ≤ max, warm-up 0–10000 s.
    pub fn validate(&self) -> Result<(), ParamError> {
        if !(1..=100).contains(&self.target_capacity) {
            return Err(ParamError::new(
                "targetCapacity",
                format!("must be 1-100 percent, found {}", self.target_capacity),
            ));
        }
        for (field, v) in [
            ("minimumScalingStepSize", self.min_step),
            ("maximumScalingStepSize", self.max_step),
        ] {
            if !(1..=Self::MAX_STEP).contains(&v) {
                return Err(ParamError::new(
                    field,
                    format!("must be 1-{}, found {v}", Self::MAX_STEP),
                ));
            }
        }
        if self.min_step > self.max_step {
            return Err(ParamError::new(
                "minimumScalingStepSize",
                format!(
                    "{} is above maximumScalingStepSize {}",
                    self.min_step, self.max_step
                ),
            ));
        }
        if self.warmup > SimDuration::from_secs(Self::MAX_WARMUP_S) {
            return Err(ParamError::new(
                "instanceWarmupPeriod",
                format!(
                    "must be at most {} s, found {}",
                    Self::MAX_WARMUP_S,
                    self.warmup
                ),
            ));
        }
        Ok(())
    }
}

/// How fast a managed scale-in goes (C4): the step limit, and how long the
/// ASG takes to remove a victim once it is empty. *Model choice*,
/// calibrated on AWS's measurement ("Faster scaling-in for Amazon ECS
/// Cluster Auto Scaling", 2022): 334 c5.xlarge scaled in to 34 in about
/// 10 minutes with 50 % steps and about 80 minutes with 5 % steps. With the
/// defaults ecsim takes about 10.6 and 72 minutes (see the integration test
/// `managed_scale_in_reproduces_the_aws_calibration_c4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleInPacing {
    /// Most of the group one step removes, percent, 1–100 (default 50).
    pub step_percent: u32,
    /// From the moment an empty victim is released to the ASG until it has
    /// left the group (deregistration and termination; default 25 s).
    pub termination_latency: SimDuration,
    /// Victims the ASG releases per minute, one after another (default 50;
    /// a large step takes longer to carry out than a small one).
    pub terminations_per_minute: u32,
}

impl Default for ScaleInPacing {
    fn default() -> Self {
        ScaleInPacing {
            step_percent: 50,
            termination_latency: SimDuration::from_secs(25),
            terminations_per_minute: 50,
        }
    }
}

impl ScaleInPacing {
    /// Time between two victims' releases: 60 s / `terminations_per_minute`.
    pub fn release_interval(&self) -> SimDuration {
        SimDuration::from_millis(60_000 / u64::from(self.terminations_per_minute.max(1)))
    }

    /// Checks the step percent (1–100) and the rate (at least 1).
    pub fn validate(&self) -> Result<(), ParamError> {
        if !(1..=100).contains(&self.step_percent) {
            return Err(ParamError::new(
                "scaleInStepPercent",
                format!("must be 1-100 percent, found {}", self.step_percent),
            ));
        }
        if self.terminations_per_minute == 0 {
            return Err(ParamError::new(
                "scaleInTerminationsPerMinute",
                "must be at least 1".to_string(),
            ));
        }
        Ok(())
    }
}

/// C1: `CapacityProviderReservation` in percent. `m` = instances needed,
/// `n` = instances running: (0, 0) → 100, (m > 0, 0) → 200, else
/// `m / n × 100`.
pub fn reservation(m: u32, n: u32) -> f64 {
    match (m, n) {
        (0, 0) => 100.0,
        (_, 0) => 200.0,
        _ => f64::from(m) / f64::from(n) * 100.0,
    }
}

/// An existing instance as the C2 packing sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceRoom {
    /// Remaining (unreserved) CPU units and MiB.
    pub free: Resources,
    /// Runs at least one non-daemon task.
    pub busy: bool,
}

/// C2: instances needed. `busy` = instances with at least one non-daemon
/// task; `free` = remaining (cpu, memory) of each running instance (ACTIVE,
/// not draining); `provisioning` = resource needs of PROVISIONING tasks;
/// `largest` / `smallest` = registered resources of the ASG's largest and
/// smallest types.
///
/// `busy` + the fresh largest-type instances the provisioning tasks need
/// after the free space is used (see the module docs). Using free space on
/// an instance does not raise the count, even if that instance is empty;
/// [`instances_needed_in`] counts it.
pub fn instances_needed(
    busy: u32,
    free: &[Resources],
    provisioning: &[Resources],
    largest: Resources,
    smallest: Resources,
) -> u32 {
    let mut rooms: Vec<Resources> = free.to_vec();
    let packed = pack(&mut rooms, provisioning, largest, smallest);
    busy.saturating_add(packed.fresh)
}

/// C2 with per-instance busy flags: busy instances + empty instances the
/// packing puts a provisioning task on + fresh largest-type instances.
pub fn instances_needed_in(
    rooms: &[InstanceRoom],
    provisioning: &[Resources],
    largest: Resources,
    smallest: Resources,
) -> u32 {
    let mut free: Vec<Resources> = rooms.iter().map(|r| r.free).collect();
    let packed = pack(&mut free, provisioning, largest, smallest);
    let busy = rooms
        .iter()
        .zip(&packed.used)
        .filter(|(r, &used)| r.busy || used)
        .count();
    u32::try_from(busy)
        .unwrap_or(u32::MAX)
        .saturating_add(packed.fresh)
}

/// Result of the C2 packing.
struct Packed {
    /// Which existing rooms received a task.
    used: Vec<bool>,
    /// Fresh largest-type instances opened.
    fresh: u32,
}

/// How many tasks needing `need` fit in `room` (unbounded if `need` is 0
/// on both dimensions).
fn fits(room: Resources, need: Resources) -> u32 {
    let dim = |have: u32, want: u32| have.checked_div(want).unwrap_or(u32::MAX);
    dim(room.cpu, need.cpu).min(dim(room.memory, need.memory))
}

/// Takes `k` tasks needing `need` out of `room`.
fn take(room: &mut Resources, need: Resources, k: u32) {
    *room = room.minus(&Resources::new(
        need.cpu.saturating_mul(k),
        need.memory.saturating_mul(k),
    ));
}

/// First fit decreasing of the grouped provisioning tasks into `rooms`
/// (existing instances, consumed in place), then fresh `largest` instances.
fn pack(
    rooms: &mut [Resources],
    provisioning: &[Resources],
    largest: Resources,
    smallest: Resources,
) -> Packed {
    let mut used = vec![false; rooms.len()];
    let mut groups: BTreeMap<Resources, u32> = BTreeMap::new();
    for need in provisioning {
        if smallest.covers(need) && largest.covers(need) {
            *groups.entry(*need).or_insert(0) += 1;
        }
    }
    let share = |r: &Resources| {
        let part = |x: u32, of: u32| {
            if of == 0 {
                0.0
            } else {
                f64::from(x) / f64::from(of)
            }
        };
        part(r.cpu, largest.cpu).max(part(r.memory, largest.memory))
    };
    let mut order: Vec<(Resources, u32)> = groups.into_iter().collect();
    order.sort_by(|(a, _), (b, _)| share(b).total_cmp(&share(a)).then_with(|| b.cmp(a)));
    let mut fresh_rooms: Vec<Resources> = Vec::new();
    for (need, mut left) in order {
        // Identical tasks under first fit fill each room in turn.
        for (room, used) in rooms.iter_mut().zip(used.iter_mut()) {
            if left == 0 {
                break;
            }
            let k = fits(*room, need).min(left);
            if k > 0 {
                take(room, need, k);
                *used = true;
                left -= k;
            }
        }
        for room in fresh_rooms.iter_mut() {
            if left == 0 {
                break;
            }
            let k = fits(*room, need).min(left);
            take(room, need, k);
            left -= k;
        }
        let per_instance = fits(largest, need).max(1);
        while left > 0 {
            let k = per_instance.min(left);
            let mut room = largest;
            take(&mut room, need, k);
            fresh_rooms.push(room);
            left -= k;
        }
    }
    Packed {
        used,
        fresh: u32::try_from(fresh_rooms.len()).unwrap_or(u32::MAX),
    }
}

/// C3: the ASG desired capacity for a CPR, from `n` running instances.
/// Above the target: `ceil(N' × CPR / target)` with `N' = max(N, 1)`, then
/// the step rule (the increase is the min step if the need is smaller,
/// else `min(max step, need)`). At or below: `ceil(N × CPR / target)`.
/// A non-finite CPR gives `n`.
pub fn desired_capacity(n: u32, cpr: f64, p: &ManagedScaling) -> u32 {
    if !cpr.is_finite() {
        return n;
    }
    let target = f64::from(p.target_capacity.clamp(1, 100));
    if cpr > target {
        let raw = ceil_count(f64::from(n.max(1)) * cpr / target);
        let need = raw.saturating_sub(n);
        let step = if need < p.min_step {
            p.min_step
        } else {
            need.min(p.max_step)
        };
        n.saturating_add(step.max(1))
    } else {
        ceil_count(f64::from(n) * cpr / target).min(n)
    }
}

/// C4: the next desired capacity on the way from `n` down to `target`,
/// removing at most `max_percent` % of `n` (rounded down, at least 1) in
/// one step. `n` itself when `target ≥ n`.
pub fn scale_in_step(n: u32, target: u32, max_percent: u32) -> u32 {
    if target >= n {
        return n;
    }
    let cap = (u64::from(n) * u64::from(max_percent.min(100)) / 100).max(1);
    let remove = u64::from(n - target).min(cap);
    // remove ≤ n − target, so this fits.
    n - u32::try_from(remove).unwrap_or(n - target)
}

/// The managed scaling of one capacity provider over time (C3, C4): one
/// evaluation per minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapacityProviderScaler {
    /// Consecutive datapoints below target before scale-in starts (C4: 15).
    pub scale_in_datapoints: u32,
    /// Most of the group removed per step, percent (C4: 50; it was 5
    /// before 2022-09-16; [`ScaleInPacing::step_percent`]).
    pub scale_in_max_percent: u32,
    /// Consecutive datapoints below target so far.
    below: u32,
}

impl Default for CapacityProviderScaler {
    fn default() -> Self {
        CapacityProviderScaler::new()
    }
}

impl CapacityProviderScaler {
    /// The documented timing: 15 datapoints, then steps of 50 %.
    pub fn new() -> CapacityProviderScaler {
        CapacityProviderScaler {
            scale_in_datapoints: 15,
            scale_in_max_percent: 50,
            below: 0,
        }
    }

    /// The documented timing with steps of at most `percent` % (C4).
    pub fn with_step_percent(percent: u32) -> CapacityProviderScaler {
        CapacityProviderScaler {
            scale_in_max_percent: percent,
            ..CapacityProviderScaler::new()
        }
    }

    /// Consecutive datapoints below target so far.
    pub fn below(&self) -> u32 {
        self.below
    }

    /// One evaluation: `cpr` = the CapacityProviderReservation datapoint of
    /// the minute that has just ended, `n` = instances running in the ASG
    /// when it was sampled, `newest_launch` = launch time of its newest
    /// instance. `fresh` says whether the datapoint was sampled after the
    /// previous scale-in step's instances had all left the group (C4); a
    /// scale-in step needs one. Returns the new ASG desired capacity when it
    /// changes from `n` (see the module docs for the rules).
    pub fn evaluate(
        &mut self,
        now: SimTime,
        cpr: f64,
        n: u32,
        newest_launch: Option<SimTime>,
        fresh: bool,
        p: &ManagedScaling,
    ) -> Option<u32> {
        if !cpr.is_finite() {
            self.below = 0;
            return None;
        }
        let target = f64::from(p.target_capacity.clamp(1, 100));
        let warming = newest_launch.is_some_and(|t| now < t + p.warmup);
        if cpr > target {
            // One datapoint above target scales out; it also cancels a
            // pending scale-in.
            self.below = 0;
            if warming {
                return None;
            }
            let d = desired_capacity(n, cpr, p);
            return (d > n).then_some(d);
        }
        if cpr < target {
            self.below = self.below.saturating_add(1);
            if self.below < self.scale_in_datapoints.max(1) || warming || !fresh {
                return None;
            }
            let goal = desired_capacity(n, cpr, p);
            let next = scale_in_step(n, goal, self.scale_in_max_percent);
            return (next < n).then_some(next);
        }
        self.below = 0;
        None
    }
}

/// One ASG instance as a scale-in candidate (C5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleInCandidate {
    /// The id the engine uses.
    pub id: u32,
    /// Non-daemon tasks it runs.
    pub tasks: u32,
    /// Its AZ index.
    pub az: usize,
    /// Launch time.
    pub launched: SimTime,
    /// A seeded random number drawn at launch: the policy's last, random
    /// criterion (ties then go to the lowest id).
    pub tie: u32,
}

/// Time from `now` to the next full hour of an instance's uptime (the ASG
/// default policy's "closest to the next billing hour").
fn to_next_billing_hour(now: SimTime, launched: SimTime) -> u64 {
    const HOUR: u64 = 3_600_000;
    let up = now.as_millis().saturating_sub(launched.as_millis());
    HOUR - up % HOUR
}

/// C5: the ids of up to `k` instances an ASG scale-in at `now` terminates.
/// With `protected` (managed termination protection) only instances with no
/// non-daemon task may go. Then the ASG default termination policy: the AZ
/// with the most instances (counting all of the group's instances) that has
/// one that may go; within it the oldest launch template (one template per
/// group here, so no instance is preferred), then the instance closest to
/// its next billing hour, then at random (the seeded `tie`), then the
/// lowest id. Victims are chosen one at a time, each seeing the AZ counts
/// the previous left. Fewer than `k` when not enough may go. Deterministic.
pub fn scale_in_victims(
    instances: &[ScaleInCandidate],
    k: usize,
    protected: bool,
    now: SimTime,
) -> Vec<u32> {
    let mut per_az: BTreeMap<usize, usize> = BTreeMap::new();
    for c in instances {
        *per_az.entry(c.az).or_insert(0) += 1;
    }
    // Allowed candidates per AZ, in the policy's order.
    let mut allowed: BTreeMap<usize, Vec<(u64, u32, u32)>> = BTreeMap::new();
    for c in instances {
        if !protected || c.tasks == 0 {
            allowed.entry(c.az).or_default().push((
                to_next_billing_hour(now, c.launched),
                c.tie,
                c.id,
            ));
        }
    }
    for list in allowed.values_mut() {
        // Reversed so that `pop` yields the first in the policy's order.
        list.sort_by(|a, b| b.cmp(a));
    }
    let mut victims = Vec::with_capacity(k.min(instances.len()));
    while victims.len() < k {
        // The AZ with the most instances among those with a candidate left;
        // ties to the lowest AZ index.
        let best = allowed
            .iter()
            .filter(|(_, list)| !list.is_empty())
            .map(|(&az, _)| az)
            .min_by(|&a, &b| {
                let count = |az: usize| per_az.get(&az).copied().unwrap_or(0);
                match count(b).cmp(&count(a)) {
                    Ordering::Equal => a.cmp(&b),
                    o => o,
                }
            });
        let Some(az) = best else { break };
        let Some((_, _, id)) = allowed.get_mut(&az).and_then(Vec::pop) else {
            break;
        };
        if let Some(c) = per_az.get_mut(&az) {
            *c -= 1;
        }
        victims.push(id);
    }
    victims
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;

    fn at(k: u64) -> SimTime {
        SimTime(k * MIN)
    }

    fn r(cpu: u32, memory: u32) -> Resources {
        Resources::new(cpu, memory)
    }

    #[test]
    fn c1_reservation() {
        let cases = [
            // (M, N, CPR)
            (0, 0, 100.0),
            (1, 0, 200.0),
            (7, 0, 200.0),
            // 2 / 10 × 100 = 20.
            (2, 10, 20.0),
            (10, 10, 100.0),
            // 3 / 2 × 100 = 150.
            (3, 2, 150.0),
            (0, 4, 0.0),
        ];
        for (m, n, want) in cases {
            assert_eq!(reservation(m, n), want, "M={m} N={n}");
        }
    }

    /// Largest type 4 vCPU / 16 GiB, smallest 2 vCPU / 8 GiB.
    const LARGEST: Resources = Resources::new(4096, 16_384);
    const SMALLEST: Resources = Resources::new(2048, 8192);

    #[test]
    fn c2_instances_needed_table() {
        // (case, busy, free, provisioning, M)
        type Case = (&'static str, u32, Vec<Resources>, Vec<Resources>, u32);
        let cases: Vec<Case> = vec![
            // (case, busy, free, provisioning, M)
            ("nothing provisioning", 3, vec![r(1024, 1024)], vec![], 3),
            // 10 × (1 vCPU, 2 GiB): 4 per largest (4096 / 1024 = 4,
            // 16384 / 2048 = 8) → ceil(10 / 4) = 3 fresh; M = 2 + 3.
            ("fresh only", 2, vec![], vec![r(1024, 2048); 10], 5),
            // Free (2048, 4096) takes 2 of them, 8 left → 2 fresh; M = 2 + 2.
            (
                "free space first",
                2,
                vec![r(2048, 4096)],
                vec![r(1024, 2048); 10],
                4,
            ),
            // Free space on two instances takes all 4 → M not raised.
            (
                "all fit in free space",
                2,
                vec![r(2048, 4096), r(2048, 8192)],
                vec![r(1024, 2048); 4],
                2,
            ),
            // Groups, largest first: 2 × (2048, 8192) (share max(0.5, 0.5) =
            // 0.5) then 3 × (1024, 1024) (0.25). The first group: 2 per
            // largest → 1 fresh with (0, 0) left. The second: no room there
            // → 1 more fresh (4 fit) → 2 fresh; M = 0 + 2.
            (
                "two groups",
                0,
                vec![],
                vec![
                    r(1024, 1024),
                    r(2048, 8192),
                    r(1024, 1024),
                    r(2048, 8192),
                    r(1024, 1024),
                ],
                2,
            ),
            // 3 × (2048, 4096) then 2 × (1024, 8192) (share 0.5 each; ties by
            // (cpu, memory) descending → the 2048 group first). Fresh #1
            // takes 2 × (2048, 4096) → (0, 8192) left; fresh #2 takes the
            // third → (2048, 12288) left. Then (1024, 8192): none on #1 (no
            // cpu), one on #2 (12288 / 8192 = 1), fresh #3 for the last.
            // M = 1 + 3.
            (
                "first fit across groups",
                1,
                vec![],
                vec![
                    r(2048, 4096),
                    r(2048, 4096),
                    r(2048, 4096),
                    r(1024, 8192),
                    r(1024, 8192),
                ],
                4,
            ),
            // A task larger than the smallest type (3072 > 2048 cpu) is
            // ignored; the others still count: 2 × (1024, 1024) → 1 fresh.
            (
                "oversized ignored",
                1,
                vec![],
                vec![r(3072, 1024), r(1024, 1024), r(1024, 1024)],
                2,
            ),
            // All ignored → M not raised.
            ("all oversized", 1, vec![], vec![r(3072, 1024); 5], 1),
            // Zero-size tasks still need somewhere to run: 1 fresh.
            ("zero-size", 0, vec![], vec![r(0, 0); 3], 1),
        ];
        for (case, busy, free, prov, want) in cases {
            assert_eq!(
                instances_needed(busy, &free, &prov, LARGEST, SMALLEST),
                want,
                "{case}"
            );
        }
    }

    #[test]
    fn c2_empty_instances_used_by_the_packing_count() {
        // One busy instance with no room, one empty just-registered instance
        // with (4096, 16384) free; 4 provisioning (1024, 2048) tasks fit on
        // the empty one → M = 1 busy + 1 empty now used = 2 (CPR 100, no
        // scale-in). Without flags the empty instance is not counted: M = 1.
        let rooms = [
            InstanceRoom {
                free: r(0, 0),
                busy: true,
            },
            InstanceRoom {
                free: LARGEST,
                busy: false,
            },
        ];
        let prov = vec![r(1024, 2048); 4];
        assert_eq!(instances_needed_in(&rooms, &prov, LARGEST, SMALLEST), 2);
        assert_eq!(
            instances_needed(1, &[r(0, 0), LARGEST], &prov, LARGEST, SMALLEST),
            1
        );
        // Nothing provisioning: only the busy one.
        assert_eq!(instances_needed_in(&rooms, &[], LARGEST, SMALLEST), 1);
    }

    #[test]
    fn c3_desired_capacity_and_steps() {
        let d = ManagedScaling::default();
        let with = |target: u32, min_step: u32, max_step: u32| ManagedScaling {
            target_capacity: target,
            min_step,
            max_step,
            ..d
        };
        let cases = [
            // (N, CPR, params, want)
            // From 0: N' = 1, ceil(1 × 200 / 100) = 2 → need 2 → 2.
            (0, 200.0, d, 2),
            // M = N = 0: CPR 100 = target → ceil(0 × 100 / 100) = 0.
            (0, 100.0, d, 0),
            // N = 4, M = 6: CPR 150 → ceil(4 × 1.5) = 6 → need 2 → 6.
            (4, 150.0, d, 6),
            // Need 2 < min step 5 → +5 → 9.
            (4, 150.0, with(100, 5, 10_000), 9),
            // N = 10, M = 30: CPR 300 → ceil(30) = 30 → need 20 → max step 8 → 18.
            (10, 300.0, with(100, 1, 8), 18),
            // Target 90: N = 10, M = 10: ceil(10 × 100 / 90) = ceil(11.1) = 12.
            (10, 100.0, with(90, 1, 10_000), 12),
            // Target 90, from 0: ceil(1 × 200 / 90) = ceil(2.22) = 3.
            (0, 200.0, with(90, 1, 10_000), 3),
            // Scale-in side: N = 10, M = 2 → ceil(10 × 20 / 100) = 2; step
            // sizes do not apply.
            (10, 20.0, with(100, 5, 8), 2),
            // Target 50: N = 10, M = 4 → CPR 40 → ceil(10 × 40 / 50) = 8.
            (10, 40.0, with(50, 1, 10_000), 8),
            (5, f64::NAN, d, 5),
        ];
        for (n, cpr, p, want) in cases {
            assert_eq!(desired_capacity(n, cpr, &p), want, "N={n} CPR={cpr} {p:?}");
        }
    }

    #[test]
    fn c4_scale_in_step() {
        let cases = [
            // (N, target, max %, next)
            // Remove min(8, floor(10 / 2) = 5) = 5.
            (10, 2, 50, 5),
            // min(3, floor(5 / 2) = 2) = 2.
            (5, 2, 50, 3),
            // min(1, max(1, floor(3 / 2) = 1)) = 1.
            (3, 2, 50, 2),
            // min(1, max(1, floor(1 / 2) = 0)) = 1: at least one.
            (1, 0, 50, 0),
            // Already there.
            (2, 2, 50, 2),
            (2, 5, 50, 2),
            // The pre-2022 5 %: 100 → 95.
            (100, 10, 5, 95),
        ];
        for (n, target, pct, want) in cases {
            assert_eq!(
                scale_in_step(n, target, pct),
                want,
                "{n} → {target} at {pct} %"
            );
        }
    }

    #[test]
    fn c4_fifteen_datapoints_then_half_per_fresh_datapoint() {
        // 10 instances, 2 needed: CPR = 2 / N × 100.
        let p = ManagedScaling::default();
        let mut s = CapacityProviderScaler::new();
        let mut n = 10;
        let mut seen = Vec::new();
        for k in 0..20 {
            let cpr = reservation(2, n);
            if let Some(d) = s.evaluate(at(k), cpr, n, Some(SimTime::ZERO), true, &p) {
                seen.push((k, d));
                n = d; // the engine terminates at once in this timeline
            }
        }
        // Minutes 0–13: 14 datapoints below 100 → nothing. Minute 14 (15th):
        // 10 → 5; minute 15: CPR 40 → goal 2, 5 → 3; minute 16: CPR 66.7 →
        // goal ceil(2) = 2, 3 → 2; minute 17: CPR 100 → stop.
        assert_eq!(seen, [(14, 5), (15, 3), (16, 2)]);
    }

    #[test]
    fn c4_a_step_waits_for_a_fresh_datapoint() {
        // C4: 10 instances, 2 needed. The 15th datapoint below target steps
        // 10 → 5; while the victims are leaving (not fresh) nothing more
        // happens though the datapoints stay below; the first fresh one
        // takes the next step, 5 → 3.
        let p = ManagedScaling::default();
        let mut s = CapacityProviderScaler::new();
        for k in 0..14 {
            assert_eq!(s.evaluate(at(k), 20.0, 10, None, true, &p), None);
        }
        assert_eq!(s.evaluate(at(14), 20.0, 10, None, true, &p), Some(5));
        assert_eq!(s.evaluate(at(15), 40.0, 5, None, false, &p), None);
        assert_eq!(s.evaluate(at(16), 40.0, 5, None, false, &p), None);
        assert_eq!(s.evaluate(at(17), 40.0, 5, None, true, &p), Some(3));
        // The pre-2022 5 %: 100 → 95 on the first step.
        let mut s = CapacityProviderScaler::with_step_percent(5);
        for k in 0..14 {
            s.evaluate(at(k), 10.0, 100, None, true, &p);
        }
        assert_eq!(s.evaluate(at(14), 10.0, 100, None, true, &p), Some(95));
    }

    #[test]
    fn c4_pacing_defaults_and_validation() {
        let d = ScaleInPacing::default();
        assert_eq!(d.step_percent, 50);
        // 50 a minute: one every 1.2 s.
        assert_eq!(d.release_interval(), SimDuration::from_millis(1200));
        assert_eq!(d.validate(), Ok(()));
        let bad = ScaleInPacing {
            step_percent: 0,
            ..d
        };
        assert_eq!(bad.validate().expect_err("0 %").field, "scaleInStepPercent");
        let bad = ScaleInPacing {
            terminations_per_minute: 0,
            ..d
        };
        assert_eq!(
            bad.validate().expect_err("rate").field,
            "scaleInTerminationsPerMinute"
        );
    }

    #[test]
    fn c4_scale_out_on_one_datapoint_and_cancels_scale_in() {
        let p = ManagedScaling::default();
        let mut s = CapacityProviderScaler::new();
        // From zero: one datapoint at 200 → 2.
        assert_eq!(s.evaluate(at(0), 200.0, 0, None, true, &p), Some(2));
        // 14 minutes below target, then one above: scale-out (need 1) and
        // the run restarts.
        let mut s = CapacityProviderScaler::new();
        for k in 0..14 {
            assert_eq!(s.evaluate(at(k), 50.0, 4, None, true, &p), None);
        }
        assert_eq!(s.below(), 14);
        // CPR 125 on 4: ceil(5) = 5 → +1.
        assert_eq!(s.evaluate(at(14), 125.0, 4, None, true, &p), Some(5));
        assert_eq!(s.below(), 0);
        // 14 more below: still no scale-in (the count restarted).
        for k in 15..29 {
            assert_eq!(s.evaluate(at(k), 80.0, 5, None, true, &p), None);
        }
        // The 15th: 5 × 80 / 100 = 4 → remove min(1, 2) → 4.
        assert_eq!(s.evaluate(at(29), 80.0, 5, None, true, &p), Some(4));
        // Exactly at target ends the run.
        assert_eq!(s.evaluate(at(30), 100.0, 4, None, true, &p), None);
        assert_eq!(s.below(), 0);
    }

    #[test]
    fn c3_warm_up_gate() {
        let p = ManagedScaling::default(); // warm-up 300 s
        let mut s = CapacityProviderScaler::new();
        // Newest instance launched at minute 10: no scale-out before minute 15.
        let launched = Some(at(10));
        assert_eq!(s.evaluate(at(10), 150.0, 2, launched, true, &p), None);
        assert_eq!(s.evaluate(at(14), 150.0, 2, launched, true, &p), None);
        // Minute 15: 300 s passed → ceil(2 × 1.5) = 3.
        assert_eq!(s.evaluate(at(15), 150.0, 2, launched, true, &p), Some(3));
        // Scale-in also waits for warm-up (model choice), though the run counts.
        let mut s = CapacityProviderScaler::new();
        let launched = Some(at(10));
        for k in 0..15 {
            assert_eq!(
                s.evaluate(at(k), 50.0, 4, launched, true, &p),
                None,
                "minute {k}"
            );
        }
        assert_eq!(s.below(), 15);
        // Minute 15: warm-up over → 4 × 50 / 100 = 2 → remove min(2, 2) → 2.
        assert_eq!(s.evaluate(at(15), 50.0, 4, launched, true, &p), Some(2));
    }

    #[test]
    fn c5_victims() {
        let t = |m: u64| SimTime(m * MIN);
        let c = |id, tasks, az, launched, tie| ScaleInCandidate {
            id,
            tasks,
            az,
            launched,
            tie,
        };
        // At minute 100: time to the next billing hour = 60 − (100 − launch)
        // mod 60 minutes: launched 5 → 95 up → 25 left; 1 → 99 → 21;
        // 2 → 98 → 22; 0 → 100 → 20; 3 → 97 → 23; 4 → 96 → 24.
        let now = t(100);
        let group = vec![
            c(1, 0, 0, t(5), 0),
            c(2, 3, 0, t(1), 0),
            c(3, 0, 0, t(2), 0),
            c(4, 0, 1, t(0), 0),
            c(5, 1, 1, t(3), 0),
            c(6, 0, 2, t(4), 0),
        ];
        // Unprotected, k = 3. AZ counts 0:3, 1:2, 2:1.
        // #1: AZ 0 (3) → closest to its billing hour: id 2 (21) → 2, 2, 1.
        // #2: AZ 0 and 1 tie at 2 → AZ 0 → id 3 (22) → 1, 2, 1.
        // #3: AZ 1 (2) → id 4 (20).
        assert_eq!(scale_in_victims(&group, 3, false, now), [2, 3, 4]);
        // Protected: only ids 1, 3, 4, 6 (no non-daemon task) may go.
        // #1: AZ 0 (3) → id 3 (22) → counts 2, 2, 1.
        // #2: tie 0/1 → AZ 0 → id 1 → 1, 2, 1.
        // #3: AZ 1 → id 4 → 1, 1, 1. #4: AZ 0 and 1 have none left → AZ 2 → id 6.
        assert_eq!(scale_in_victims(&group, 4, true, now), [3, 1, 4, 6]);
        // Not the oldest: at minute 61 the instance launched at minute 5 (56
        // minutes up, 4 left) goes before the one from minute 0 (1 up, 59 left).
        let two = vec![c(1, 0, 0, t(0), 0), c(2, 0, 0, t(5), 0)];
        assert_eq!(scale_in_victims(&two, 1, false, t(61)), [2]);
        // More than allowed: only the 4 empty ones.
        assert_eq!(scale_in_victims(&group, 10, true, now).len(), 4);
        assert_eq!(scale_in_victims(&group, 10, false, now).len(), 6);
        assert!(scale_in_victims(&group, 0, false, now).is_empty());
        // Same billing position: the seeded random draw, then the lowest id.
        let same = vec![
            c(9, 0, 0, t(0), 5),
            c(7, 0, 0, t(0), 8),
            c(8, 0, 0, t(0), 5),
        ];
        assert_eq!(scale_in_victims(&same, 3, false, now), [8, 9, 7]);
    }

    #[test]
    fn managed_scaling_validation() {
        assert_eq!(ManagedScaling::default().validate(), Ok(()));
        let d = ManagedScaling::default();
        let bad = [
            (
                ManagedScaling {
                    target_capacity: 0,
                    ..d
                },
                "targetCapacity",
            ),
            (
                ManagedScaling {
                    target_capacity: 101,
                    ..d
                },
                "targetCapacity",
            ),
            (
                ManagedScaling { min_step: 0, ..d },
                "minimumScalingStepSize",
            ),
            (
                ManagedScaling {
                    max_step: 10_001,
                    ..d
                },
                "maximumScalingStepSize",
            ),
            (
                ManagedScaling {
                    min_step: 10,
                    max_step: 5,
                    ..d
                },
                "minimumScalingStepSize",
            ),
            (
                ManagedScaling {
                    warmup: SimDuration::from_secs(10_001),
                    ..d
                },
                "instanceWarmupPeriod",
            ),
        ];
        for (p, field) in bad {
            assert_eq!(p.validate().expect_err("invalid").field, field, "{p:?}");
        }
    }
}
