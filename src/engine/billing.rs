//! Billing, the engine's side: the engine tells its [`Ledger`] of each
//! change that costs money as it applies it — an instance launched or
//! terminated, a task placed on an instance or stopped, a Fargate task
//! admitted — and turns the ledger's statement into `cost.csv` rows and the
//! summary's cost at the end. The arithmetic (B1–B4) is `crate::cost`'s.
//!
//! Names are interned once, when the simulation is built: the hooks pass
//! only integer ids.

use super::SimSpec;
use super::Simulation;
use crate::cost::commitments::Settlement;
use crate::cost::{ebs_usd_per_hour, task_share, Capacity, FargateSize, Ledger, HOURS_PER_MONTH};
use crate::cost::{OwnerId, TariffId, UsageId};
use crate::metrics::{round4, CostRow, CostSummary, Names};
use crate::model::{InstanceId, Resources, TaskId, TaskOwner};
use crate::sim::SimTime;

/// The run's ledger and the ids the engine bills under.
#[derive(Debug, Clone)]
pub(super) struct Billing {
    ledger: Ledger,
    /// Per service: its owner id (its daemon tasks too).
    services: Vec<OwnerId>,
    /// Per job: its owner id.
    jobs: Vec<OwnerId>,
    /// Per group, per slot (`type × n_az + az`): the on-demand tariff and
    /// the (type, AZ) of on-demand use.
    slots: Vec<Vec<(TariffId, UsageId)>>,
    /// Per spot pool: its tariff.
    pools: Vec<TariffId>,
    /// The last task share computed, with what it was computed from
    /// (reservation, registered): most tasks placed in a row are alike, and
    /// the share's two divisions are on the way of every placement.
    last_share: (Resources, Resources, f64),
}

impl Billing {
    /// The ledger of a run of `spec` that ends at `horizon`.
    pub(super) fn new(spec: &SimSpec, horizon: SimTime) -> Billing {
        let pricing = &spec.pricing;
        let ebs = (pricing.ebs_root_gb > 0.0)
            .then(|| ebs_usd_per_hour(pricing.ebs_root_gb, pricing.ebs_usd_per_gb_month));
        let mut ledger = Ledger::new(horizon, ebs);
        let services = spec
            .services
            .iter()
            .map(|s| ledger.owner(&s.name))
            .collect();
        let jobs = spec.jobs.iter().map(|j| ledger.owner(&j.name)).collect();
        let slots = spec
            .instance_groups
            .iter()
            .map(|g| {
                let mut slots = Vec::new();
                for ty in &g.instance_types {
                    // B1: the group's price of the type (the first listed).
                    let on_demand = g
                        .instance_types
                        .iter()
                        .find(|t| t.name == ty.name)
                        .map_or(0.0, |t| t.on_demand_usd_per_hour);
                    let tariff = ledger.constant_tariff(on_demand);
                    for az in &g.availability_zones {
                        slots.push((tariff, ledger.usage(&ty.name, az)));
                    }
                }
                slots
            })
            .collect();
        let pools = spec
            .spot
            .pools
            .iter()
            .map(|p| ledger.spot_tariff(&p.price))
            .collect();
        Billing {
            ledger,
            services,
            jobs,
            slots,
            pools,
            last_share: (Resources::default(), Resources::default(), 0.0),
        }
    }

    fn owner(&self, owner: TaskOwner) -> OwnerId {
        match owner {
            TaskOwner::Service(s) | TaskOwner::Daemon(s) => self.services[s.index()],
            TaskOwner::Job(j) => self.jobs[j.index()],
        }
    }
}

impl Simulation {
    /// B1: instance `i`, just launched in `slot` of its group, is billed
    /// from now.
    pub(super) fn bill_instance_launched(&mut self, i: InstanceId, slot: usize) {
        let now = self.queue.now();
        let m = &self.inst_meta[i.index()];
        let (od_tariff, usage) = self.billing.slots[m.group.index()][slot];
        let capacity = Capacity::ec2(m.purchase);
        let (tariff, usage) = match m.pool {
            Some(p) => (self.billing.pools[p.index()], None),
            None => (od_tariff, Some(usage)),
        };
        self.billing
            .ledger
            .instance_launched(i, now, tariff, capacity, usage);
    }

    /// B1: instance `i` is terminated now.
    pub(super) fn bill_instance_terminated(&mut self, i: InstanceId) {
        let now = self.queue.now();
        self.billing.ledger.instance_terminated(i, now);
    }

    /// B4: task `t`, just placed on its instance, holds its share of it.
    pub(super) fn bill_task_placed(&mut self, t: TaskId) {
        let now = self.queue.now();
        let Some((i, owner, share)) = self.billed_share(t) else {
            return;
        };
        self.billing.ledger.task_placed(t, i, owner, share, now);
    }

    /// B2, B4: task `t` has just stopped (on an instance or on Fargate).
    pub(super) fn bill_task_stopped(&mut self, t: TaskId) {
        let now = self.queue.now();
        match self.billed_share(t) {
            Some((i, owner, share)) => self.billing.ledger.task_stopped(t, i, owner, share, now),
            None => self.billing.ledger.fargate_stopped(t, now),
        }
    }

    /// B4: the instance task `t` is on, its owner and its share of the
    /// instance (fixed while it runs there: its reservation and the
    /// instance's registered resources do not change), or `None` for a
    /// task on no instance.
    fn billed_share(&mut self, t: TaskId) -> Option<(InstanceId, OwnerId, f64)> {
        let task = self.cluster.task(t);
        let i = task.instance?;
        let registered = self.cluster.instance(i).registered;
        let (reservation, last) = (task.reservation, &mut self.billing.last_share);
        // Most tasks placed and stopped in a row have the same share.
        if (last.0, last.1) != (reservation, registered) {
            *last = (reservation, registered, task_share(reservation, registered));
        }
        let share = last.2;
        Some((i, self.billing.owner(task.owner), share))
    }

    /// B2: Fargate task `t`, just launched, is billed from its admission.
    pub(super) fn bill_fargate_admitted(&mut self, t: TaskId) {
        let task = self.cluster.task(t);
        let Some(meta) = self.fargate.tasks.get(&t) else {
            return;
        };
        let Some(size) = self.spec.task_definitions[task.def.index()].fargate else {
            return;
        };
        let pricing = &self.spec.pricing;
        let Some(rates) = pricing.fargate_rates(size.platform, meta.spot) else {
            return;
        };
        let owner = self.billing.owner(task.owner);
        let admitted = task.pending_at.get().unwrap_or(task.created_at);
        let size = FargateSize {
            vcpu: f64::from(size.cpu) / 1024.0,
            memory_gb: f64::from(size.memory) / 1024.0,
            ephemeral_gb: size.ephemeral_gb,
            free_ephemeral_gb: pricing.free_ephemeral_gb,
        };
        self.billing
            .ledger
            .fargate_admitted(t, owner, meta.spot, rates, size, admitted);
    }

    /// Whether the ledger bills what the cluster holds: every instance not
    /// terminated, every task placed and not stopped, every priced Fargate
    /// task not stopped (a change of state without its hook breaks this).
    pub(super) fn billing_agrees(&self) -> bool {
        let ledger = &self.billing.ledger;
        let instances = self.cluster.instances();
        let running = instances
            .iter()
            .filter(|i| i.terminated_at.is_none())
            .count();
        let tasks = self.cluster.tasks();
        let placed = tasks
            .iter()
            .filter(|t| t.instance.is_some() && t.stopped_at.is_none())
            .count();
        let fargate = self
            .fargate
            .tasks
            .iter()
            .filter(|(&t, meta)| {
                let task = self.cluster.task(t);
                task.stopped_at.is_none()
                    && self.spec.task_definitions[task.def.index()]
                        .fargate
                        .is_some_and(|f| {
                            self.spec
                                .pricing
                                .fargate_rates(f.platform, meta.spot)
                                .is_some()
                        })
            })
            .count();
        ledger.instances_billed() == running
            && ledger.tasks_billed() == placed
            && ledger.fargate_billed() == fargate
    }

    /// B2: the number of tasks launched on Fargate with a Fargate size
    /// (read from the cluster's tasks, before they become records).
    pub(super) fn fargate_tasks_billed(&self) -> u64 {
        self.fargate
            .tasks
            .keys()
            .filter(|&&x| {
                let def = self.cluster.task(x).def;
                self.spec.task_definitions[def.index()].fargate.is_some()
            })
            .count() as u64
    }

    /// Bills the run up to its end. Returns the rows of `cost.csv`, the
    /// summary (with `fargate_tasks`, from
    /// [`Simulation::fargate_tasks_billed`]) and, with Reserved Instances
    /// or Savings Plans, their settlement (B3). Reads the ledger, not the
    /// cluster's tasks (which may be records by then).
    pub(super) fn bill(
        &mut self,
        fargate_tasks: u64,
    ) -> (Vec<CostRow>, CostSummary, Option<Settlement>) {
        let end = self.horizon;
        let pricing = &self.spec.pricing;
        let ledger = &mut self.billing.ledger;
        // B3: the flat what-if on the hour's on-demand spend, or Reserved
        // Instances and Savings Plans on the hour's on-demand usage.
        let mut per_hour = match &pricing.commitment {
            Some(c) => ledger.flat_settlement(c),
            None => Vec::new(),
        };
        let mut settlement = None;
        if let Some(c) = pricing.commitments.as_ref().filter(|c| !c.is_empty()) {
            ledger.close();
            let s = c.settle(
                &ledger.ec2_usage_hours(),
                &ledger.fargate_usage_hours(),
                &ledger.hour_spans_s(),
            );
            per_hour = vec![0.0; ledger.hour_spans_s().len()];
            for u in &s.hours {
                if let Some(x) = per_hour.get_mut(u.hour as usize) {
                    *x += u.billed_usd() - u.on_demand_usd;
                }
            }
            settlement = Some(s);
        }
        let statement = ledger.statement(&per_hour);
        let t = statement.totals;
        // Each name is shared by the rows that repeat it; the statement's
        // owner texts are freed as they are read.
        let mut names = Names::default();
        let rows: Vec<CostRow> = statement
            .rows
            .into_iter()
            .map(|r| CostRow {
                hour: r.hour,
                owner: names.get(&r.owner),
                capacity: names.get(r.capacity.as_str()),
                compute_usd: r.compute_usd,
                idle_usd: r.idle_usd,
                storage_usd: r.storage_usd,
            })
            .collect();
        let mut s = CostSummary::default();
        let hours_run = end.as_millis() as f64 / 3_600_000.0;
        s.per_month_usd = if hours_run > 0.0 {
            round4(t.total_usd * HOURS_PER_MONTH / hours_run)
        } else {
            0.0
        };
        s.total_usd = round4(t.total_usd);
        s.compute_usd = round4(t.compute_usd);
        s.idle_usd = round4(t.idle_usd);
        s.storage_usd = round4(t.storage_usd);
        s.commitment_usd = round4(t.commitment_usd);
        s.by_capacity = t
            .by_capacity
            .iter()
            .map(|(c, v)| (c.as_str().to_string(), round4(*v)))
            .collect();
        s.by_owner = t
            .by_owner
            .into_iter()
            .map(|(o, v)| (o, round4(v)))
            .collect();
        s.ec2_instances_usd = round4(t.ec2_instances_usd);
        s.ec2_reserved_pct = if t.ec2_instances_usd > 0.0 {
            round4(100.0 * (t.ec2_instances_usd - t.ec2_idle_usd) / t.ec2_instances_usd)
        } else {
            0.0
        };
        s.fargate_tasks = fargate_tasks;
        s.fargate_spot_interruptions = self.fargate.spot_interruptions;
        s.fargate_spot_unavailable = self.fargate.spot_unavailable;
        s.commitments = settlement.as_ref().map(|x| {
            let mut c = x.summary();
            c.round(round4);
            c
        });
        (rows, s, settlement)
    }
}
