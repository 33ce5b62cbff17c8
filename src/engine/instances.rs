//! Instances and their groups: launches (with the mixed-instances policy,
//! S6), registration (R5), draining (D1) for maintenance or on a spot
//! notice (S4), the spot interruption sequence (S2, S3), capacity
//! rebalancing (S5), termination, and the group replacing what it lost.
//!
//! Which pool and purchase option a launch uses is decided by `market`;
//! this file applies the decision.
//!
//! Owns [`GroupState`] (an instance group as its ASG keeps it, built by
//! [`GroupState::from_spec`], in `Simulation::groups` by
//! [`InstanceGroupId`]), [`InstanceMeta`] (what the engine knows of an
//! instance beyond ECS's view, in `Simulation::inst_meta` by
//! [`InstanceId`]) and [`PoolState`] (a spot pool, by
//! [`PoolId`]). They change here; a group's desired
//! capacity is also set by `providers.rs` (C3) and `load.rs` (C7).

use rand::seq::index::sample;
use rand::Rng;

use super::{Cause, Event, InstanceGroupSpec, PoolSpec, Simulation};
use crate::market::{sample_time_to_interruption, PoolView, Purchase};
use crate::model::attrs;
use crate::model::{
    AttrId, InstanceGroupId, InstanceId, InstanceState, NewInstance, SpotNoticeCause, TaskId,
    TaskOwner, TerminationReason, ValueId,
};
use crate::model::{PoolId, ProviderId, ServiceId};
use crate::placement::TieBreak;
use crate::scaling::AsgTargetTracking;
use crate::sim::{SimDuration, SimTime};

/// An instance group as an Auto Scaling group keeps it.
pub(super) struct GroupState {
    /// Desired capacity.
    pub desired: u32,
    /// Instances counted toward it: launched, not terminated, not replaced.
    pub counted: u32,
    /// Counted instances by purchase option (on-demand, spot).
    pub by_purchase: [u32; 2],
    /// Counted instances per (type, AZ) slot, by purchase option.
    slot_counts: Vec<[u32; 2]>,
    n_az: usize,
    /// Spot pool of each slot (in `SimSpec::spot.pools`).
    slot_pool: Vec<Option<PoolId>>,
    /// Per slot, the interned attributes of an instance launched there
    /// without a seed (the same for each: they come from the group, the
    /// type and the AZ), once one has been.
    slot_attributes: Vec<Option<Vec<(AttrId, ValueId)>>>,
    /// Launches so far (types are taken in turn without a mixed-instances policy).
    launches: u32,
    retry_pending: bool,
    /// C7, A2: the group's metric sampled in the current period (`Some(None)`
    /// = sampled, no data), evaluated at the period's end.
    pub metric_sample: Option<Option<f64>>,
    /// Scale-in victims chosen but not yet terminated (C4).
    pub removing: u32,
    /// When the last scale-in victim left the group (C4).
    pub last_removed: SimTime,
    /// The ASG releases its next victim no earlier than this (C4).
    next_release: SimTime,
    /// The group's own target tracking (C7), if it has one.
    pub tracking: Option<AsgTargetTracking>,
    /// Places of failed instances whose replacement waits for the
    /// health-check grace period (X4): filled as if counted.
    held: u32,
}

impl GroupState {
    /// The state of group `g` at time zero: its desired capacity, nothing
    /// launched yet, and the spot pool (index into `pools`) of each of its
    /// (instance type, AZ) slots.
    pub fn from_spec(g: &InstanceGroupSpec, pools: &[PoolSpec]) -> Self {
        let n_az = g.availability_zones.len();
        let mut slot_pool = Vec::new();
        for ty in &g.instance_types {
            for az in &g.availability_zones {
                slot_pool.push(
                    pools
                        .iter()
                        .position(|p| p.instance_type == ty.name && &p.az == az)
                        .map(|k| PoolId(k as u32)),
                );
            }
        }
        GroupState {
            desired: g.count,
            counted: 0,
            by_purchase: [0, 0],
            slot_counts: vec![[0, 0]; slot_pool.len()],
            n_az,
            slot_attributes: vec![None; slot_pool.len()],
            slot_pool,
            launches: 0,
            retry_pending: false,
            metric_sample: None,
            removing: 0,
            last_removed: SimTime::ZERO,
            next_release: SimTime::ZERO,
            tracking: g.target_tracking.clone(),
            held: 0,
        }
    }
}

fn purchase_index(p: Purchase) -> usize {
    match p {
        Purchase::OnDemand => 0,
        Purchase::Spot => 1,
    }
}

/// What the engine knows of an instance beyond ECS's view of it.
pub(super) struct InstanceMeta {
    pub group: InstanceGroupId,
    pub purchase: Purchase,
    /// Spot pool.
    pub pool: Option<PoolId>,
    /// `type × n_az + az` in its group.
    slot: usize,
    /// Counted toward the group's capacity.
    counted: bool,
    /// Received its two-minute notice.
    noticed: bool,
    /// Received its rebalance recommendation.
    rebalanced: bool,
    /// Why it was set DRAINING.
    pub drain_cause: Option<Cause>,
    pub drained_at: Option<SimTime>,
    /// Terminate once its draining completes.
    terminate_when_drained: bool,
    /// What its termination will be attributed to.
    pub leave_cause: Cause,
    /// The instance this one replaces under capacity rebalancing (S5).
    replaces: Option<InstanceId>,
    /// A scale-in victim not yet terminated (C4, C5).
    scale_in: bool,
    /// Released to the ASG for termination (C4).
    released: bool,
    /// Why it terminated.
    pub termination: Option<TerminationReason>,
    /// Price per hour at launch.
    pub price_at_launch: f64,
    /// The group's seed it was launched from (an index into the group's
    /// `instances`), if any.
    seed: Option<usize>,
}

impl InstanceMeta {
    /// Whether it counts toward its group's capacity.
    pub fn is_counted(&self) -> bool {
        self.counted
    }

    /// Whether it is a scale-in victim on its way out (C4, C5).
    pub fn is_leaving(&self) -> bool {
        self.scale_in
    }
}

/// A spot pool's state.
#[derive(Debug, Clone, Default)]
pub(super) struct PoolState {
    /// Launches fail until then after a reclaim.
    unavailable_until: SimTime,
}

impl Simulation {
    fn group_name(&self, g: InstanceGroupId) -> String {
        self.spec.instance_groups[g].name.clone()
    }

    /// Launches until the group has its desired capacity, or no pool has room.
    pub(super) fn fill_group(&mut self, g: InstanceGroupId, warm: bool) {
        while self.groups[g].counted + self.groups[g].held < self.groups[g].desired {
            if self.launch_one(g, warm).is_none() {
                self.schedule_group_retry(g);
                return;
            }
        }
    }

    fn schedule_group_retry(&mut self, g: InstanceGroupId) {
        if !self.groups[g].retry_pending {
            self.groups[g].retry_pending = true;
            let at = self.queue.now() + self.spec.spot.launch_retry;
            if at <= self.horizon {
                self.queue.schedule(at, Event::GroupLaunch(g));
            }
        }
    }

    pub(super) fn on_group_launch(&mut self, g: InstanceGroupId) {
        self.groups[g].retry_pending = false;
        self.fill_group(g, false);
    }

    /// The index of the seed the group's next launch takes, if any.
    fn seed_of_next(&self, g: InstanceGroupId) -> Option<usize> {
        let seeds = &self.spec.instance_groups[g].instances;
        if seeds.is_empty() {
            return None;
        }
        let k = self.inst_meta.iter().filter(|m| m.group == g).count();
        (k < seeds.len()).then_some(k)
    }

    /// Chooses purchase option and pool (S6) and launches one instance.
    /// `None` when every pool the decision allows is out of capacity.
    fn launch_one(&mut self, g: InstanceGroupId, warm: bool) -> Option<InstanceId> {
        let now = self.queue.now();
        let spec = &self.spec.instance_groups[g];
        let gs = &self.groups[g];
        let n_az = gs.n_az;
        let (purchase, slot) = match &spec.distribution {
            None => {
                // Types in turn; the AZ with the fewest instances, as an ASG
                // balances, among the AZs up (X1).
                let Some(az) = (0..n_az)
                    .filter(|&a| !self.failures.is_down(&spec.availability_zones[a]))
                    .min_by_key(|&a| {
                        (0..spec.instance_types.len())
                            .map(|t| gs.slot_counts[t * n_az + a].iter().sum::<u32>())
                            .sum::<u32>()
                    })
                else {
                    self.launch_failed_everywhere(g);
                    return None;
                };
                let ty = gs.launches as usize % spec.instance_types.len();
                (Purchase::OnDemand, ty * n_az + az)
            }
            Some(d) => {
                let purchase = d.next_purchase(gs.desired, gs.by_purchase[0], gs.by_purchase[1]);
                let pi = purchase_index(purchase);
                let views: Vec<PoolView> = (0..gs.slot_pool.len())
                    .map(|slot| {
                        let ty = &spec.instance_types[slot / n_az];
                        let (price, hazard, available) = match (purchase, gs.slot_pool[slot]) {
                            (Purchase::OnDemand, _) => (ty.on_demand_usd_per_hour, 0.0, true),
                            (Purchase::Spot, None) => (ty.on_demand_usd_per_hour, 0.0, false),
                            (Purchase::Spot, Some(p)) => {
                                let pool = &self.spec.spot.pools[p];
                                let reclaim =
                                    pool.reclaim.map_or(0.0, |r| r.rate_per_hour * r.fraction);
                                (
                                    pool.price.at(now),
                                    pool.hazard_per_hour + reclaim,
                                    now >= self.pools[p].unavailable_until,
                                )
                            }
                        };
                        PoolView {
                            type_index: slot / n_az,
                            az_index: slot % n_az,
                            price,
                            hazard_per_hour: hazard,
                            // X1: no launch in an AZ that is down.
                            available: available
                                && !self.failures.is_down(&spec.availability_zones[slot % n_az]),
                            group_instances: gs.slot_counts[slot][pi],
                        }
                    })
                    .collect();
                match d.choose_pool(purchase, &views) {
                    Some(k) => (purchase, views[k].type_index * n_az + views[k].az_index),
                    None => {
                        self.interruptions.launch_failures += 1;
                        let name = self.group_name(g);
                        self.recorder.event(
                            now,
                            &name,
                            "launch-failed",
                            format!("Could not launch {} instances for group {name}: InsufficientInstanceCapacity in every pool the allocation strategy allows.", purchase.as_str()),
                        );
                        return None;
                    }
                }
            }
        };
        // A described instance keeps its own type and AZ (unless its AZ is
        // down, X1).
        let slot = match self.seed_of_next(g).map(|k| &spec.instances[k]) {
            Some(seed) => {
                let ty = seed.instance_type.unwrap_or(slot / n_az);
                let az = (seed.availability_zone)
                    .filter(|&a| !self.failures.is_down(&spec.availability_zones[a]))
                    .unwrap_or(slot % n_az);
                ty * n_az + az
            }
            None => slot,
        };
        Some(self.launch_instance(g, slot, purchase, warm))
    }

    /// The interned attributes of an instance group `g` launches in `slot`
    /// (type × AZ), taking seed `seed` if any: the built-ins, the group's,
    /// the seed's and its capacity provider's. They depend only on the
    /// group and the slot when there is no seed, so such launches share one
    /// interning per slot.
    fn launch_attributes(
        &mut self,
        g: InstanceGroupId,
        slot: usize,
        seed: Option<usize>,
    ) -> Vec<(AttrId, ValueId)> {
        if seed.is_none() {
            if let Some(a) = &self.groups[g].slot_attributes[slot] {
                return a.clone();
            }
        }
        let group = &self.spec.instance_groups[g];
        let n_az = self.groups[g].n_az;
        let ty = &group.instance_types[slot / n_az];
        let az = &group.availability_zones[slot % n_az];
        let mut texts = vec![
            (attrs::AZ.to_string(), az.clone()),
            (attrs::INSTANCE_TYPE.to_string(), ty.name.clone()),
            (attrs::CPU_ARCH.to_string(), ty.arch.clone()),
            (attrs::OS_TYPE.to_string(), "linux".to_string()),
            (attrs::OS_FAMILY.to_string(), "LINUX".to_string()),
            (attrs::AMI_ID.to_string(), group.ami_id.clone()),
            (attrs::SUBNET_ID.to_string(), format!("subnet-{az}")),
            (attrs::VPC_ID.to_string(), "vpc-ecsim".to_string()),
        ];
        texts.extend(group.attributes.iter().cloned());
        if let Some(k) = seed {
            texts.extend(group.instances[k].attributes.iter().cloned());
        }
        if let Some(cp) = self.spec.capacity_providers.iter().find(|c| c.group == g) {
            texts.push((super::PROVIDER_ATTRIBUTE.to_string(), cp.name.clone()));
        }
        let interned = self.cluster.intern_attributes(&texts);
        if seed.is_none() {
            self.groups[g].slot_attributes[slot] = Some(interned.clone());
        }
        interned
    }

    fn launch_instance(
        &mut self,
        g: InstanceGroupId,
        slot: usize,
        purchase: Purchase,
        warm: bool,
    ) -> InstanceId {
        let now = self.queue.now();
        // The k-th instance of a group with seeds gets the k-th seed.
        let seed_index = self.seed_of_next(g);
        let attributes = self.launch_attributes(g, slot, seed_index);
        let group = &self.spec.instance_groups[g];
        let n_az = self.groups[g].n_az;
        let ty = &group.instance_types[slot / n_az];
        let az = &group.availability_zones[slot % n_az];
        let seed = seed_index.map(|k| group.instances[k].clone());
        let seeded_tasks = seed.as_ref().is_some_and(|s| !s.tasks.is_empty());
        let tie = match self.spec.tie_break {
            TieBreak::Random => self.streams.tie.gen::<u32>(),
            TieBreak::LowestId => 0,
        };
        let latency = group.launch_latency.sample(&mut self.streams.launch);
        let pool = match purchase {
            Purchase::Spot => self.groups[g].slot_pool[slot],
            Purchase::OnDemand => None,
        };
        let price = match pool {
            Some(p) => self.spec.spot.pools[p].price.at(now),
            None => ty.on_demand_usd_per_hour,
        };
        let id = self.cluster.add_interned_instance(
            &NewInstance {
                group: g,
                instance_type: ty.name.clone(),
                az: az.clone(),
                registered: ty.registered,
                eni_capacity: ty.eni_capacity,
                attributes: Vec::new(),
                tie,
            },
            attributes,
            now,
        );
        if let Some(ec2) = seed.and_then(|s| s.ec2_instance_id) {
            self.cluster.set_ec2_instance_id(id, ec2);
        }
        debug_assert_eq!(id.index(), self.inst_meta.len());
        if purchase == Purchase::Spot {
            self.recorder.spot_live += 1;
        }
        self.inst_meta.push(InstanceMeta {
            group: g,
            purchase,
            pool,
            slot,
            counted: true,
            noticed: false,
            rebalanced: false,
            drain_cause: None,
            drained_at: None,
            terminate_when_drained: false,
            leave_cause: Cause::Other,
            replaces: None,
            scale_in: false,
            released: false,
            termination: None,
            price_at_launch: price,
            seed: seed_index,
        });
        self.bill_instance_launched(id, slot);
        self.draw_instance_failure(id);
        let gs = &mut self.groups[g];
        gs.counted += 1;
        gs.launches += 1;
        gs.by_purchase[purchase_index(purchase)] += 1;
        gs.slot_counts[slot][purchase_index(purchase)] += 1;
        // An instance that already runs tasks is in service at time zero.
        let ready = if warm || seeded_tasks {
            now
        } else {
            now + latency
        };
        self.queue.schedule(ready, Event::InstanceReady(id));
        if let Some(p) = pool {
            // S2: each spot instance's own interruption, drawn at launch.
            let hazard = self.spec.spot.pools[p].hazard_per_hour;
            if let Some(d) = sample_time_to_interruption(&mut self.streams.spot, hazard) {
                let notice = now + d;
                if notice <= self.horizon {
                    self.queue.schedule(notice, Event::SpotNotice(id));
                    let lead = self.spec.spot.rebalance_lead;
                    if lead > SimDuration::ZERO {
                        let early = SimTime(notice.as_millis().saturating_sub(lead.as_millis()));
                        self.queue
                            .schedule(early.max(now), Event::SpotRebalance(id));
                    }
                }
            }
        }
        id
    }

    /// X1: no pool or AZ of group `g` takes a launch (every AZ it uses is
    /// down).
    fn launch_failed_everywhere(&mut self, g: InstanceGroupId) {
        let now = self.queue.now();
        self.failures.counts.launches_refused += 1;
        let name = self.group_name(g);
        self.recorder.event(
            now,
            &name,
            "launch-failed",
            format!("Could not launch instances for group {name}: every Availability Zone of the group is unavailable."),
        );
    }

    /// Counted instances of group `g` per AZ (in the group's AZ order).
    pub(super) fn group_az_counts(&self, g: InstanceGroupId) -> Vec<u32> {
        let gs = &self.groups[g];
        (0..gs.n_az)
            .map(|a| {
                (0..gs.slot_counts.len() / gs.n_az.max(1))
                    .map(|t| gs.slot_counts[t * gs.n_az + a].iter().sum::<u32>())
                    .sum()
            })
            .collect()
    }

    /// X1: launches, in AZ `az` of group `g`, an instance like `like` (same
    /// type and purchase option; on-demand when the group buys no spot
    /// there) that replaces it: `like` stops counting toward the group.
    pub(super) fn launch_in_az(
        &mut self,
        g: InstanceGroupId,
        like: InstanceId,
        az: usize,
    ) -> InstanceId {
        let m = &self.inst_meta[like.index()];
        let n_az = self.groups[g].n_az;
        let slot = (m.slot / n_az) * n_az + az;
        let purchase = match m.purchase {
            Purchase::Spot if self.groups[g].slot_pool[slot].is_some() => Purchase::Spot,
            _ => Purchase::OnDemand,
        };
        self.uncount(like);
        self.launch_instance(g, slot, purchase, false)
    }

    /// X1: an instance that rebalancing replaces is set DRAINING (D1) and
    /// terminates once its tasks are gone.
    pub(super) fn drain_for_rebalance(&mut self, i: InstanceId) {
        let m = &mut self.inst_meta[i.index()];
        m.leave_cause = Cause::Failure;
        m.termination = Some(TerminationReason::AzRebalance);
        if self.mark_draining(i, Cause::Failure) {
            self.inst_meta[i.index()].terminate_when_drained = true;
            self.drain_tasks(i, Cause::Failure);
        } else if self.cluster.instance(i).state == InstanceState::Registering {
            self.on_instance_terminate(i, Cause::Failure);
        }
    }

    /// X4: a failed instance's place is held until its replacement may be
    /// launched; false when it did not count toward its group.
    pub(super) fn hold_for_replacement(&mut self, i: InstanceId) -> bool {
        if !self.inst_meta[i.index()].counted {
            return false;
        }
        self.uncount(i);
        let g = self.inst_meta[i.index()].group;
        self.groups[g].held += 1;
        true
    }

    /// X4: one held place of group `g` is released.
    pub(super) fn release_hold(&mut self, g: InstanceGroupId) {
        self.groups[g].held = self.groups[g].held.saturating_sub(1);
    }

    /// Records why `i` is leaving before it terminates.
    pub(super) fn set_leaving(&mut self, i: InstanceId, cause: Cause, why: TerminationReason) {
        let m = &mut self.inst_meta[i.index()];
        m.leave_cause = cause;
        m.termination = Some(why);
    }

    /// The instance no longer counts toward its group's capacity.
    pub(super) fn uncount(&mut self, i: InstanceId) {
        let m = &mut self.inst_meta[i.index()];
        if !m.counted {
            return;
        }
        m.counted = false;
        let (g, slot, p) = (m.group, m.slot, purchase_index(m.purchase));
        let gs = &mut self.groups[g];
        gs.counted -= 1;
        gs.by_purchase[p] -= 1;
        gs.slot_counts[slot][p] -= 1;
    }

    pub(super) fn on_instance_ready(&mut self, i: InstanceId) {
        if self.cluster.instance(i).state != InstanceState::Registering {
            return;
        }
        let now = self.queue.now();
        self.cluster.activate_instance(i, now);
        if let Some(k) = self.inst_meta[i.index()].seed {
            self.place_seed_tasks(i, k);
        }
        self.place_daemons_on(i);
        // D1: a seed that was DRAINING when the cluster was described drains
        // at once, its seeded tasks replaced elsewhere.
        let g = self.inst_meta[i.index()].group;
        let seed_drains = (self.inst_meta[i.index()].seed)
            .is_some_and(|k| self.spec.instance_groups[g].instances[k].draining);
        if seed_drains {
            self.drain_instance(i, Cause::Maintenance);
            return;
        }
        self.capacity_freed(i);
        self.failure_instance_ready(i);
        // X2: services may move tasks back onto the AZ's room.
        self.rebalance_all();
        // S5: the replacement is in service; the ASG terminates the old instance.
        if let Some(old) = self.inst_meta[i.index()].replaces {
            if self.cluster.instance(old).state != InstanceState::Terminated {
                self.inst_meta[old.index()].leave_cause = Cause::Interruption;
                self.inst_meta[old.index()].termination =
                    Some(TerminationReason::CapacityRebalance);
                self.interruptions.rebalanced += 1;
                self.queue.schedule(now, Event::InstanceTerminate(old));
            }
        }
    }

    /// Terminates an instance; every task still on it dies (S3).
    pub(super) fn on_instance_terminate(&mut self, i: InstanceId, cause: Cause) {
        if self.cluster.instance(i).state == InstanceState::Terminated {
            return;
        }
        // X1: a rebalancing launch lost before it was in service still
        // releases the instance it replaces (the group replaces it).
        self.failure_instance_ready(i);
        let now = self.queue.now();
        let tasks: Vec<TaskId> = self.cluster.instance(i).tasks.clone();
        let mut touched: Vec<ServiceId> = Vec::new();
        let mut killed_jobs = Vec::new();
        for t in tasks {
            let owner = self.cluster.task(t).owner;
            self.task_lost(t);
            self.doomed.remove(&t);
            self.cluster
                .finish_stop(t, crate::model::StopReason::InstanceTerminated, now);
            self.bill_task_stopped(t);
            match owner {
                TaskOwner::Service(s) | TaskOwner::Daemon(s) => {
                    self.services[s].killed += 1;
                    if !touched.contains(&s) {
                        touched.push(s);
                    }
                }
                TaskOwner::Job(j) => killed_jobs.push((j, t)),
            }
        }
        if self.cluster.instance(i).state != InstanceState::Terminated
            && self.inst_meta[i.index()].purchase == Purchase::Spot
        {
            self.recorder.spot_live -= 1;
        }
        self.cluster.terminate_instance(i, now);
        self.bill_instance_terminated(i);
        if self.inst_meta[i.index()].scale_in {
            // C4: one scale-in victim fewer on its way out.
            self.inst_meta[i.index()].scale_in = false;
            let g = self.inst_meta[i.index()].group;
            self.groups[g].removing = self.groups[g].removing.saturating_sub(1);
            self.groups[g].last_removed = now;
        }
        let m = &mut self.inst_meta[i.index()];
        m.termination.get_or_insert(match m.leave_cause {
            Cause::Interruption => TerminationReason::SpotInterruption,
            Cause::Maintenance => TerminationReason::Drained,
            _ => TerminationReason::Terminated,
        });
        let g = m.group;
        let name = self.group_name(g);
        let ec2 = self.cluster.instance(i).ec2_instance_id.clone();
        let why = self.inst_meta[i.index()]
            .termination
            .unwrap_or(TerminationReason::Terminated);
        self.recorder.event(
            now,
            &name,
            "instance-terminated",
            format!("instance {ec2} terminated ({why})"),
        );
        for (j, t) in killed_jobs {
            self.job_task_killed(j, t);
        }
        let was_counted = self.inst_meta[i.index()].counted;
        self.uncount(i);
        if was_counted {
            self.fill_group(g, false);
        }
        self.failure_instance_gone(i);
        touched.sort_unstable();
        for s in touched {
            if self.services[s].daemon {
                continue;
            }
            self.reconcile(s, cause);
        }
    }

    /// After a task left an instance: a DRAINING instance stops its daemon
    /// tasks last, and terminates once empty when it is to be replaced.
    pub(super) fn after_task_left(&mut self, i: InstanceId, cause: Cause) {
        self.stop_daemons_if_last(i, cause);
        let inst = self.cluster.instance(i);
        if inst.state == InstanceState::Draining
            && inst.tasks.is_empty()
            && self.inst_meta[i.index()].terminate_when_drained
        {
            if self.inst_meta[i.index()].scale_in {
                self.release_victim(i);
            } else {
                self.on_instance_terminate(i, cause);
            }
        }
    }

    /// Sets an ACTIVE instance DRAINING (D1).
    pub(super) fn drain_instance(&mut self, i: InstanceId, cause: Cause) {
        if self.mark_draining(i, cause) {
            self.drain_tasks(i, cause);
        }
    }

    /// Sets an ACTIVE instance DRAINING without moving its tasks yet (see
    /// [`drain_tasks`](Simulation::drain_tasks)); false if it was not ACTIVE.
    fn mark_draining(&mut self, i: InstanceId, cause: Cause) -> bool {
        if self.cluster.instance(i).state != InstanceState::Active {
            return false;
        }
        let now = self.queue.now();
        self.cluster.set_draining(i);
        let m = &mut self.inst_meta[i.index()];
        m.drain_cause = Some(cause);
        m.drained_at = Some(now);
        let g = m.group;
        let name = self.group_name(g);
        let ec2 = self.cluster.instance(i).ec2_instance_id.clone();
        self.recorder.event(
            now,
            &name,
            "instance-draining",
            format!("container instance {ec2} set to DRAINING ({cause})"),
        );
        true
    }

    /// D1: the tasks of a DRAINING instance are replaced or stopped.
    fn drain_tasks(&mut self, i: InstanceId, cause: Cause) {
        self.retire_tasks_on(i, cause);
        self.after_task_left(i, cause);
    }

    /// Maintenance: drain every ACTIVE instance of group `g` (D1).
    pub(super) fn drain_group(&mut self, g: InstanceGroupId, replace: bool, terminate: bool) {
        let members: Vec<InstanceId> = self
            .cluster
            .instances()
            .iter()
            .filter(|i| i.state == InstanceState::Active && self.inst_meta[i.id.index()].group == g)
            .map(|i| i.id)
            .collect();
        for &i in &members {
            let m = &mut self.inst_meta[i.index()];
            m.terminate_when_drained = terminate;
            m.leave_cause = Cause::Maintenance;
            if replace {
                self.uncount(i);
            }
        }
        if replace {
            self.fill_group(g, false);
        }
        for i in members {
            self.drain_instance(i, Cause::Maintenance);
        }
    }

    // ----- spot ----------------------------------------------------------

    /// S3, S5: the rebalance recommendation; with capacity rebalancing the
    /// group launches the replacement first.
    pub(super) fn on_spot_rebalance(&mut self, i: InstanceId) {
        if self.cluster.instance(i).state == InstanceState::Terminated
            || self.inst_meta[i.index()].rebalanced
        {
            return;
        }
        let now = self.queue.now();
        self.inst_meta[i.index()].rebalanced = true;
        self.interruptions.rebalance_recommendations += 1;
        let g = self.inst_meta[i.index()].group;
        let name = self.group_name(g);
        let ec2 = self.cluster.instance(i).ec2_instance_id.clone();
        self.recorder.event(
            now,
            &name,
            "rebalance-recommendation",
            format!("EC2 Instance Rebalance Recommendation for {ec2}"),
        );
        if self.spec.instance_groups[g].capacity_rebalance && self.inst_meta[i.index()].counted {
            self.uncount(i);
            match self.launch_one(g, false) {
                Some(new) => self.inst_meta[new.index()].replaces = Some(i),
                None => self.schedule_group_retry(g),
            }
        }
    }

    /// S3: the two-minute notice; termination follows, and with spot
    /// draining enabled (the agent's `ECS_ENABLE_SPOT_INSTANCE_DRAINING`, or
    /// managed draining of the group's capacity provider) the instance is
    /// set DRAINING within 1 s (S4).
    pub(super) fn on_spot_notice(&mut self, i: InstanceId, cause: SpotNoticeCause) {
        let m = &self.inst_meta[i.index()];
        if self.cluster.instance(i).state == InstanceState::Terminated || m.noticed {
            return;
        }
        let now = self.queue.now();
        let (g, pool) = (m.group, m.pool);
        let m = &mut self.inst_meta[i.index()];
        m.noticed = true;
        m.leave_cause = Cause::Interruption;
        self.interruptions.notices += 1;
        if let Some(p) = pool {
            *self
                .interruptions
                .by_pool
                .entry(self.spec.spot.pools[p].label())
                .or_default() += 1;
        }
        *self.interruptions.by_cause.entry(cause).or_default() += 1;
        let name = self.group_name(g);
        let ec2 = self.cluster.instance(i).ec2_instance_id.clone();
        let end = now + self.spec.spot.notice;
        self.recorder.event(
            now,
            &name,
            "spot-interruption-notice",
            format!(
                "EC2 Spot Instance Interruption Warning for {ec2} ({cause}): terminate at {}",
                end.as_secs_f64()
            ),
        );
        if self.spec.spot.rebalance_lead == SimDuration::ZERO {
            self.on_spot_rebalance(i);
        }
        self.queue.schedule(end, Event::InstanceTerminate(i));
        // S4: the agent flag, or a capacity provider with managed draining
        // (ENABLED by default), drains the instance on the notice.
        let managed = self
            .spec
            .capacity_providers
            .iter()
            .any(|c| c.group == g && c.managed_draining);
        if self.spec.instance_groups[g].spot_draining || managed {
            // The agent polls the notice every second.
            let delay = SimDuration::from_millis(self.streams.agent.gen_range(1..=1000));
            self.queue.schedule(now + delay, Event::SpotDrain(i));
        }
    }

    pub(super) fn on_spot_drain(&mut self, i: InstanceId) {
        self.drain_instance(i, Cause::Interruption);
    }

    pub(super) fn schedule_reclaim(&mut self, p: PoolId) {
        let Some(r) = self.spec.spot.pools[p].reclaim else {
            return;
        };
        if let Some(d) = sample_time_to_interruption(&mut self.streams.reclaim, r.rate_per_hour) {
            let at = self.queue.now() + d;
            if at <= self.horizon {
                self.queue.schedule(at, Event::PoolReclaim(p));
            }
        }
    }

    /// Live spot instances of pool `p` that have not had their notice.
    fn pool_members(&self, p: PoolId) -> Vec<InstanceId> {
        self.inst_meta
            .iter()
            .enumerate()
            .filter(|(k, m)| {
                m.pool == Some(p)
                    && !m.noticed
                    && self.cluster.instances()[*k].state != InstanceState::Terminated
            })
            .map(|(k, _)| InstanceId(k as u32))
            .collect()
    }

    /// Interrupts `count` random instances of pool `p` and makes the pool
    /// refuse launches for `unavailable_for`.
    fn reclaim(
        &mut self,
        p: PoolId,
        count: usize,
        unavailable_for: SimDuration,
        cause: SpotNoticeCause,
    ) {
        let now = self.queue.now();
        let members = self.pool_members(p);
        let count = count.min(members.len());
        let mut chosen: Vec<InstanceId> = sample(&mut self.streams.reclaim, members.len(), count)
            .into_iter()
            .map(|k| members[k])
            .collect();
        chosen.sort_unstable();
        let label = self.spec.spot.pools[p].label();
        self.recorder.event(
            now,
            &label,
            "spot-capacity-reclaimed",
            format!(
                "spot pool {label} reclaimed: {count} of {} instances interrupted, no capacity for {unavailable_for}",
                members.len()
            ),
        );
        if unavailable_for > SimDuration::ZERO {
            let until = now + unavailable_for;
            if until > self.pools[p].unavailable_until {
                self.pools[p].unavailable_until = until;
                if until <= self.horizon {
                    self.queue.schedule(until, Event::PoolRestored(p));
                }
            }
        }
        for i in chosen {
            self.on_spot_notice(i, cause);
        }
    }

    pub(super) fn on_pool_reclaim(&mut self, p: PoolId) {
        if let Some(r) = self.spec.spot.pools[p].reclaim {
            // Each instance of the pool is taken with probability `fraction`:
            // a reclaim takes that fraction on average, whatever the pool's
            // size, so splitting a fleet over more pools does not by itself
            // change how much is reclaimed.
            let n = self.pool_members(p).len();
            let count = (0..n)
                .filter(|_| self.streams.reclaim.gen_bool(r.fraction))
                .count();
            self.reclaim(p, count, r.unavailable_for, SpotNoticeCause::Reclaim);
        }
        self.schedule_reclaim(p);
    }

    pub(super) fn on_replay(&mut self, k: usize) {
        let r = self.spec.spot.replay[k];
        self.reclaim(
            r.pool,
            r.count as usize,
            r.unavailable_for,
            SpotNoticeCause::Replay,
        );
    }

    pub(super) fn on_pool_restored(&mut self, p: PoolId) {
        let now = self.queue.now();
        if self.pools[p].unavailable_until > now {
            return;
        }
        let label = self.spec.spot.pools[p].label();
        self.recorder.event(
            now,
            &label,
            "spot-capacity-restored",
            format!("spot pool {label} has capacity again"),
        );
        for g in InstanceGroupId::all(self.groups.len()) {
            if self.groups[g].counted < self.groups[g].desired && !self.groups[g].retry_pending {
                self.fill_group(g, false);
            }
        }
    }

    /// Capacity appeared on `i` (it became ACTIVE, or a task left it): the
    /// PROVISIONING tasks of its capacity provider try again.
    pub(super) fn capacity_freed(&mut self, i: InstanceId) {
        let g = self.inst_meta[i.index()].group;
        if let Some(p) = self
            .spec
            .capacity_providers
            .iter()
            .position(|c| c.group == g)
        {
            self.place_provisioning(ProviderId(p as u32));
        }
    }

    /// The ASG removes instances on scale-in (C5): drained first with
    /// managed draining, else terminated with whatever runs on them — in
    /// both cases once the ASG gets to them (C4, [`release_victim`]). All
    /// victims are set DRAINING before any task moves, so that no
    /// replacement lands on another victim.
    ///
    /// [`release_victim`]: Simulation::release_victim
    pub(super) fn retire_instances(
        &mut self,
        victims: &[InstanceId],
        draining: bool,
        cause: Cause,
    ) {
        let mut drained = Vec::new();
        for &i in victims {
            self.uncount(i);
            let m = &mut self.inst_meta[i.index()];
            m.leave_cause = Cause::Scaling;
            m.termination = Some(TerminationReason::ScaleIn);
            if !m.scale_in {
                m.scale_in = true;
                let g = m.group;
                self.groups[g].removing += 1;
            }
            if draining && self.mark_draining(i, Cause::Scaling) {
                self.inst_meta[i.index()].terminate_when_drained = true;
                drained.push(i);
                // D1: DRAINING until its tasks have stopped or 48 hours have
                // passed; then it terminates, standalone tasks included.
                let deadline = self.queue.now() + super::MANAGED_DRAINING_LIMIT;
                if deadline <= self.horizon {
                    self.queue.schedule(deadline, Event::InstanceTerminate(i));
                }
            } else {
                self.release_victim(i);
            }
        }
        for i in drained {
            self.drain_tasks(i, cause);
        }
    }

    /// C4: an empty (or undrained) scale-in victim is handed to the ASG,
    /// which releases one victim every `60 s / terminationsPerMinute` and
    /// terminates each `terminationLatency` after its release.
    fn release_victim(&mut self, i: InstanceId) {
        if self.inst_meta[i.index()].released {
            return;
        }
        self.inst_meta[i.index()].released = true;
        let now = self.queue.now();
        let g = self.inst_meta[i.index()].group;
        let pacing = self
            .spec
            .capacity_providers
            .iter()
            .find(|c| c.group == g)
            .map(|c| c.pacing)
            .unwrap_or_default();
        let start = now.max(self.groups[g].next_release);
        self.groups[g].next_release = start + pacing.release_interval();
        let at = start + pacing.termination_latency;
        if at <= self.horizon {
            self.queue.schedule(at, Event::InstanceTerminate(i));
        }
    }
}
