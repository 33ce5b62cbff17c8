//! Auto Scaling group capacity providers (ECS-MODEL C1–C6, P9): tasks of a
//! provider go on its group's instances, wait in PROVISIONING when none
//! fits (at most a cluster-wide number, then stopped after a timeout); once
//! a minute the provider's CapacityProviderReservation is computed and its
//! managed scaling sets the group's desired capacity; scale-in respects
//! managed termination protection and drains with managed draining.
//!
//! The arithmetic (CPR, instances needed, step sizes, the alarms, the
//! scale-in steps and the victims) is `scaling`'s; this file samples the
//! CPR mid-minute (A2), tells the scaler whether a datapoint is fresh after
//! the last scale-in step (C4) and applies the decisions.
//!
//! Owns [`ProviderState`] (built by [`ProviderState::from_spec`], in
//! `Simulation::providers` by [`ProviderId`]) and `Simulation::task_provider`,
//! and builds the per-provider placement policies of services and jobs
//! ([`provider_policies`]).

use super::jobs::JobState;
use super::services::ServiceState;
use super::{
    Capacity, CapacityProviderSpec, Cause, Event, SimSpec, Simulation, PROVIDER_ATTRIBUTE,
};
use crate::model::{Cluster, GroupId, InstanceGroupId, ProviderId};
use crate::model::{
    InstanceId, InstanceState, NewTask, Resources, StopReason, TaskId, TaskOwner, TaskState, Unfit,
};
use crate::placement::provider_strategy::next_provider;
use crate::placement::query::Query;
use crate::placement::{Constraint, Policy, Strategy};
use crate::scaling::{
    instances_needed, reservation, scale_in_victims, CapacityProviderScaler, ScaleInCandidate,
};
use crate::sim::SimTime;

/// A capacity provider's state.
#[derive(Debug, Clone, Default)]
pub(super) struct ProviderState {
    /// PROVISIONING tasks, oldest first.
    pub queue: Vec<TaskId>,
    pub scaler: CapacityProviderScaler,
    /// Last CapacityProviderReservation, percent.
    pub cpr: f64,
    /// Last M and N.
    pub needed: u32,
    pub running: u32,
    /// The datapoint sampled in the current period (A2): CPR, N, and when.
    pub sampled: Option<(f64, u32, SimTime)>,
}

impl ProviderState {
    /// The state of a capacity provider at time zero: an empty PROVISIONING
    /// queue and its managed scaling with the provider's step pacing.
    pub fn from_spec(cp: &CapacityProviderSpec) -> Self {
        ProviderState {
            scaler: CapacityProviderScaler::with_step_percent(cp.pacing.step_percent),
            ..Default::default()
        }
    }
}

impl Simulation {
    /// The provider the next task of an owner with `capacity` goes to (C6).
    pub(super) fn asg_provider(&self, capacity: &Capacity, live: &[TaskId]) -> ProviderId {
        let Capacity::Asg(items) = capacity else {
            return ProviderId(0);
        };
        let mut counts = vec![0u32; items.len()];
        for t in live {
            if let Some(&p) = self.task_provider.get(t) {
                if let Some(k) = items
                    .iter()
                    .position(|i| self.provider_index(&i.provider) == Some(p))
                {
                    counts[k] += 1;
                }
            }
        }
        let k = next_provider(items, &counts).unwrap_or(0);
        self.provider_index(&items[k].provider)
            .unwrap_or(ProviderId(0))
    }

    pub(super) fn provider_index(&self, name: &str) -> Option<ProviderId> {
        self.spec
            .capacity_providers
            .iter()
            .position(|p| p.name == name)
            .map(|k| ProviderId(k as u32))
    }

    /// Places a task on provider `p`, or leaves it PROVISIONING (P9).
    /// `Err` when it can do neither (the cluster's PROVISIONING cap).
    pub(super) fn place_on_provider(
        &mut self,
        spec: NewTask,
        p: ProviderId,
        source: &str,
    ) -> Result<TaskId, Unfit> {
        let now = self.queue.now();
        let decision = {
            let policy = provider_policy(&self.services, &self.jobs, spec.owner, p);
            self.placer
                .decide(&self.cluster, policy, &spec.req(), now, source)
        };
        let id = match decision {
            Ok(inst) => {
                let id = self.start_on(spec, inst);
                self.task_provider.insert(id, p);
                id
            }
            Err(why) => {
                let cap = self.spec.provisioning.max_tasks;
                let waiting: usize = self.providers.iter().map(|x| x.queue.len()).sum();
                if waiting as u32 >= cap {
                    return Err(why);
                }
                let id = self.cluster.create_provisioning(spec);
                self.task_provider.insert(id, p);
                self.providers[p].queue.push(id);
                let wait = self
                    .spec
                    .provisioning
                    .timeout
                    .sample(&mut self.streams.provisioning);
                self.schedule_for_task(id, now + wait, Event::ProvisioningTimeout(id));
                id
            }
        };
        Ok(id)
    }

    /// Tries to place the PROVISIONING tasks of provider `p`, oldest first.
    pub(super) fn place_provisioning(&mut self, p: ProviderId) {
        if self.providers[p].queue.is_empty() {
            return;
        }
        let now = self.queue.now();
        let queue = std::mem::take(&mut self.providers[p].queue);
        let mut left = Vec::new();
        for id in queue {
            let task = self.cluster.task(id);
            if task.state != TaskState::Provisioning {
                continue;
            }
            let req = crate::model::TaskReq {
                reservation: task.reservation,
                ports: &task.ports,
                needs_eni: task.needs_eni,
                group: task.group,
            };
            let owner = task.owner;
            let source = self.owner_name(owner);
            let policy = provider_policy(&self.services, &self.jobs, owner, p);
            match self
                .placer
                .decide(&self.cluster, policy, &req, now, &source)
            {
                Ok(inst) => self.attach_on(id, inst),
                Err(_) => left.push(id),
            }
        }
        self.providers[p].queue = left;
    }

    /// P9: a task waited too long in PROVISIONING and is stopped.
    pub(super) fn on_provisioning_timeout(&mut self, t: TaskId, cause: Cause) {
        if self.cluster.task(t).state != TaskState::Provisioning {
            return;
        }
        let now = self.queue.now();
        let owner = self.cluster.task(t).owner;
        self.forget_task(t);
        self.cluster
            .cancel_provisioning(t, StopReason::ProvisioningTimedOut, now);
        if let Some(&p) = self.task_provider.get(&t) {
            self.providers[p].queue.retain(|&x| x != t);
        }
        let name = self.owner_name(owner);
        self.recorder.event(
            now,
            &name,
            "provisioning-timeout",
            format!(
                "task {} stopped: it waited in PROVISIONING for capacity too long",
                t.0
            ),
        );
        if let TaskOwner::Service(s) = owner {
            self.reconcile(s, cause);
        }
    }

    /// C1, A2: the CapacityProviderReservation of every provider, sampled
    /// mid-period; the alarm evaluates it at the period's end.
    pub(super) fn capacity_provider_sample(&mut self) {
        let now = self.queue.now();
        for p in ProviderId::all(self.spec.capacity_providers.len()) {
            let g = self.spec.capacity_providers[p].group;
            // N: instances running in the group; busy: those with a non-daemon task.
            let members: Vec<InstanceId> = self
                .cluster
                .instances()
                .iter()
                .filter(|i| {
                    let meta = &self.inst_meta[i.id.index()];
                    // Scale-in victims on their way out are not running (C4).
                    meta.group == g
                        && !meta.is_leaving()
                        && matches!(
                            i.state,
                            InstanceState::Active
                                | InstanceState::Registering
                                | InstanceState::Draining
                        )
                })
                .map(|i| i.id)
                .collect();
            let n = members
                .iter()
                .filter(|&&i| self.cluster.instance(i).state != InstanceState::Draining)
                .count() as u32;
            let busy = members
                .iter()
                .filter(|&&i| {
                    let inst = self.cluster.instance(i);
                    inst.state != InstanceState::Draining && inst.non_daemon_tasks > 0
                })
                .count() as u32;
            let free: Vec<Resources> = members
                .iter()
                .filter(|&&i| self.cluster.instance(i).is_active())
                .map(|&i| self.cluster.instance(i).remaining())
                .collect();
            let waiting: Vec<Resources> = self.providers[p]
                .queue
                .iter()
                .map(|&t| self.cluster.task(t).reservation)
                .collect();
            let types = &self.spec.instance_groups[g].instance_types;
            let largest = types
                .iter()
                .map(|t| t.registered)
                .max_by_key(|r| (r.cpu, r.memory))
                .unwrap_or_default();
            let smallest = types
                .iter()
                .map(|t| t.registered)
                .min_by_key(|r| (r.cpu, r.memory))
                .unwrap_or_default();
            let m = instances_needed(busy, &free, &waiting, largest, smallest);
            let cpr = reservation(m, n);
            let st = &mut self.providers[p];
            st.cpr = cpr;
            st.needed = m;
            st.running = n;
            st.sampled = Some((cpr, n, now));
        }
    }

    /// C3, C4 once a minute: each provider with managed scaling evaluates
    /// the CPR datapoint of the period that has just ended (A2) and sets
    /// its group's desired capacity.
    pub(super) fn capacity_provider_tick(&mut self) {
        let now = self.queue.now();
        for p in ProviderId::all(self.spec.capacity_providers.len()) {
            let cp = self.spec.capacity_providers[p].clone();
            let g = cp.group;
            let Some((cpr, n, sampled_at)) = self.providers[p].sampled.take() else {
                continue;
            };
            // C4: a scale-in step needs a datapoint sampled after the
            // previous step's instances have all left the group.
            let fresh = self.groups[g].removing == 0 && sampled_at > self.groups[g].last_removed;
            let Some(ms) = cp.managed_scaling else {
                continue;
            };
            let newest = self
                .cluster
                .instances()
                .iter()
                .filter(|i| {
                    self.inst_meta[i.id.index()].group == g && i.state != InstanceState::Terminated
                })
                .map(|i| i.launched_at)
                .max();
            let current = self.groups[g].desired;
            let m = self.providers[p].needed;
            let Some(desired) = self.providers[p]
                .scaler
                .evaluate(now, cpr, n, newest, fresh, &ms)
            else {
                continue;
            };
            let gs = &self.spec.instance_groups[g];
            let desired = desired.clamp(gs.min_size, gs.max_size);
            if desired == current {
                continue;
            }
            let name = cp.name.clone();
            self.recorder.event(
                now,
                &name,
                if desired > current { "cluster-scale-out" } else { "cluster-scale-in" },
                format!(
                    "capacity provider {name}: CapacityProviderReservation {cpr:.1}% (M = {m}, N = {n}, target {}%): desired capacity {current} -> {desired}",
                    ms.target_capacity
                ),
            );
            self.set_group_desired(g, desired, cp.termination_protection, cp.managed_draining);
        }
    }

    /// The ASG's desired capacity changes: launch, or pick victims (C5).
    pub(super) fn set_group_desired(
        &mut self,
        g: InstanceGroupId,
        desired: u32,
        protected: bool,
        draining: bool,
    ) {
        let current = self.groups[g].counted;
        self.groups[g].desired = desired;
        if desired > current {
            self.fill_group(g, false);
            return;
        }
        let k = (current - desired) as usize;
        let now = self.queue.now();
        let azs = &self.spec.instance_groups[g].availability_zones;
        let candidates: Vec<ScaleInCandidate> = self
            .cluster
            .instances()
            .iter()
            .filter(|i| {
                let m = &self.inst_meta[i.id.index()];
                m.group == g && m.is_counted() && i.state != InstanceState::Terminated
            })
            .map(|i| ScaleInCandidate {
                id: i.id.0,
                tasks: i.non_daemon_tasks,
                az: azs.iter().position(|a| *a == i.az).unwrap_or(0),
                launched: i.launched_at,
                // The seeded draw each instance got at launch (high half of its rank).
                tie: (i.rank >> 32) as u32,
            })
            .collect();
        let victims = scale_in_victims(&candidates, k, protected, now);
        let victims: Vec<InstanceId> = victims.into_iter().map(InstanceId).collect();
        self.retire_instances(&victims, draining, Cause::Scaling);
    }
}

/// The placement policy of an owner's tasks on provider `p`: its own,
/// restricted to the provider's instances.
fn provider_policy<'a>(
    services: &'a [ServiceState],
    jobs: &'a [JobState],
    owner: TaskOwner,
    p: ProviderId,
) -> &'a Policy {
    match owner {
        TaskOwner::Service(s) | TaskOwner::Daemon(s) => {
            let svc = &services[s.index()];
            &svc.revisions[svc.current].providers[p.index()]
        }
        TaskOwner::Job(j) => &jobs[j.index()].provider_policies[p.index()],
    }
}

/// One policy per capacity provider for an owner whose capacity is an ASG
/// strategy: its own strategies and constraints, kept on that provider's instances.
pub(super) fn provider_policies(
    cluster: &mut Cluster,
    spec: &SimSpec,
    capacity: &Capacity,
    strategies: &[Strategy],
    constraints: &[Constraint],
    group: GroupId,
) -> Vec<Policy> {
    if !matches!(capacity, Capacity::Asg(_)) {
        return Vec::new();
    }
    spec.capacity_providers
        .iter()
        .map(|cp| {
            let mut c = constraints.to_vec();
            c.push(provider_constraint(&cp.name));
            Policy::new(strategies.to_vec(), c, Some(group)).indexed(cluster)
        })
        .collect()
}

fn provider_constraint(name: &str) -> Constraint {
    let expr = format!("attribute:{PROVIDER_ATTRIBUTE} == {name}");
    match Query::parse(&expr) {
        Ok(q) => Constraint::MemberOf(q),
        Err(e) => panic!("capacity provider name {name:?} does not make a query: {e:?}"),
    }
}
