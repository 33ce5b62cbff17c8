//! The cost ledger (B1–B4), computed from what the run recorded:
//!
//! * every instance is billed per second from launch to termination (or the
//!   horizon), at least 60 s, at its on-demand price or at its spot pool's
//!   price in effect (B1), plus its EBS root volume if one is priced;
//! * each second of an instance is split between the tasks it held (from
//!   placement to STOPPED) by their share of its registered CPU and memory
//!   — the mean of the two fractions, a model choice — and the rest is
//!   *idle*, reported apart (B4);
//! * every Fargate task is billed from admission to STOPPED, at least 60 s,
//!   vCPU-hours and GB-hours at its platform's rates, Fargate Spot at the
//!   discount, ephemeral storage above the free 20 GB (B2);
//! * an optional commitment (B3) is settled hour by hour on on-demand spend:
//!   the flat what-if on the hour's total, or Reserved Instances and Savings
//!   Plans (`crate::cost::commitments`) on the hour's usage by instance type
//!   and AZ, built by the adapter at the end of this file.
//!
//! Rows are kept per hour × owner × capacity, so `cost.csv` sums to the total.

use std::collections::BTreeMap;

use super::fargate::FargateMeta;
use super::{FargateTask, Simulation};
use crate::cost::commitments::{Commitments, Settlement};
use crate::cost::usage::{Ec2UsageHour, FargateUsageHour};
use crate::cost::{
    ebs_usd_per_hour, ec2_cost, fargate_cost, minimum_topup_seconds, Capacity, HOURS_PER_MONTH,
};
use crate::market::SpotPrice;
use crate::metrics::{round4, CostRow, CostSummary};
use crate::model::{TaskId, TaskOwner};
use crate::sim::SimTime;

const HOUR_MS: u64 = 3_600_000;

/// Owner of the share of instance cost no task reserved.
pub const IDLE: &str = "(idle)";
/// Owner of instance-level storage (EBS root volumes).
pub const INSTANCES: &str = "(instances)";
/// Owner of the commitment's settlement (B3).
pub const COMMITMENT: &str = "(commitment)";

#[derive(Default, Clone, Copy)]
struct Amount {
    compute: f64,
    idle: f64,
    storage: f64,
}

/// Accumulates amounts per (hour, owner, capacity).
#[derive(Default)]
struct Ledger {
    rows: BTreeMap<(u32, String, Capacity), Amount>,
}

impl Ledger {
    fn add(&mut self, hour: u32, owner: &str, capacity: Capacity, f: impl FnOnce(&mut Amount)) {
        let e = self
            .rows
            .entry((hour, owner.to_string(), capacity))
            .or_default();
        f(e);
    }
}

/// Splits `[from, to)` at hour boundaries.
fn hours(from: SimTime, to: SimTime) -> impl Iterator<Item = (u32, SimTime, SimTime)> {
    let mut t = from.as_millis();
    let end = to.as_millis();
    std::iter::from_fn(move || {
        if t >= end {
            return None;
        }
        let h = t / HOUR_MS;
        let next = ((h + 1) * HOUR_MS).min(end);
        let out = (h as u32, SimTime(t), SimTime(next));
        t = next;
        Some(out)
    })
}

fn hour_of(t: SimTime, end: SimTime) -> u32 {
    // A charge at the very end of the run belongs to the last hour.
    let t = if t >= end && end.as_millis() > 0 {
        end.as_millis() - 1
    } else {
        t.as_millis()
    };
    (t / HOUR_MS) as u32
}

impl Simulation {
    /// Bills the run. Returns the rows of `cost.csv`, the summary and,
    /// with Reserved Instances or Savings Plans, their settlement.
    pub(super) fn bill(&self) -> (Vec<CostRow>, CostSummary, Option<Settlement>) {
        let end = self.horizon;
        let mut ledger = Ledger::default();
        let pricing = &self.spec.pricing;

        // Tasks per instance, with their share of it.
        let mut on_instance: BTreeMap<u32, Vec<TaskId>> = BTreeMap::new();
        for t in self.cluster.tasks() {
            if let (Some(i), Some(_)) = (t.instance, t.pending_at) {
                on_instance.entry(i.0).or_default().push(t.id);
            }
        }
        let mut ec2_instances = 0.0;
        let mut ec2_idle = 0.0;
        for (k, (m, inst)) in self
            .inst_meta
            .iter()
            .zip(self.cluster.instances())
            .enumerate()
        {
            let start = inst.launched_at;
            let stop = inst.terminated_at.unwrap_or(end).min(end);
            let capacity = Capacity::ec2(m.purchase);
            let on_demand = self.spec.instance_groups[m.group]
                .instance_types
                .iter()
                .find(|t| t.name == inst.instance_type)
                .map_or(0.0, |t| t.on_demand_usd_per_hour);
            let price = match m.pool {
                Some(p) => self.spec.spot.pools[p].price.clone(),
                None => SpotPrice::Discount {
                    on_demand_usd_per_hour: on_demand,
                    discount_pct: 0.0,
                },
            };
            let reg = inst.registered;
            // Change points: task placements and stops, and hour boundaries.
            let tasks = on_instance.get(&(k as u32)).map_or(&[][..], Vec::as_slice);
            let share = |t: TaskId| {
                let r = self.cluster.task(t).reservation;
                let cpu = if reg.cpu == 0 {
                    0.0
                } else {
                    f64::from(r.cpu) / f64::from(reg.cpu)
                };
                let mem = if reg.memory == 0 {
                    0.0
                } else {
                    f64::from(r.memory) / f64::from(reg.memory)
                };
                (cpu + mem) / 2.0
            };
            let span = |t: TaskId| {
                let task = self.cluster.task(t);
                let a = task.pending_at.unwrap_or(start).max(start);
                let b = task.stopped_at.unwrap_or(stop).min(stop);
                (a, b)
            };
            // Sweep the placements and stops in time order; between two
            // change points the active tasks share the instance's cost.
            let mut changes: Vec<(SimTime, bool, TaskId)> = Vec::with_capacity(tasks.len() * 2);
            for &t in tasks {
                let (a, b) = span(t);
                if b > a {
                    changes.push((a, true, t));
                    changes.push((b, false, t));
                }
            }
            // Stops before starts at the same instant.
            changes.sort_unstable_by_key(|&(at, starts, t)| (at, starts, t));
            let mut active: Vec<(TaskId, f64, String)> = Vec::new();
            let mut cursor = start;
            let mut k = 0;
            while cursor < stop {
                while k < changes.len() && changes[k].0 <= cursor {
                    let (_, starts, t) = changes[k];
                    if starts {
                        active.push((t, share(t), self.owner_name(self.cluster.task(t).owner)));
                    } else {
                        active.retain(|(x, _, _)| *x != t);
                    }
                    k += 1;
                }
                let next = changes.get(k).map_or(stop, |c| c.0.min(stop));
                let used: f64 = active.iter().map(|(_, s, _)| s).sum::<f64>().min(1.0);
                for (h, hx, hy) in hours(cursor, next) {
                    let c = price.cost_usd(hx, hy);
                    ec2_instances += c;
                    for (_, s, owner) in &active {
                        ledger.add(h, owner, capacity, |a| a.compute += c * s);
                    }
                    ec2_idle += c * (1.0 - used);
                    ledger.add(h, IDLE, capacity, |a| a.idle += c * (1.0 - used));
                }
                cursor = next;
            }
            // B1: at least 60 s per launch; the top-up is idle time.
            let ran = stop - start;
            if inst.terminated_at.is_some_and(|t| t <= end) {
                let topup = minimum_topup_seconds(ran);
                if topup > 0.0 {
                    let c = ec2_cost(price.at(stop), topup);
                    ec2_instances += c;
                    ec2_idle += c;
                    ledger.add(hour_of(stop, end), IDLE, capacity, |a| a.idle += c);
                }
            }
            if pricing.ebs_root_gb > 0.0 {
                let ebs = ebs_usd_per_hour(pricing.ebs_root_gb, pricing.ebs_usd_per_gb_month);
                for (h, hx, hy) in hours(start, stop) {
                    let c = ec2_cost(ebs, (hy - hx).as_secs_f64());
                    ledger.add(h, INSTANCES, capacity, |a| a.storage += c);
                }
            }
        }

        // Fargate tasks (B2).
        let mut fargate_tasks = 0;
        for (&t, meta) in &self.fargate.tasks {
            let task = self.cluster.task(t);
            let Some(size) = self.spec.task_definitions[task.def.index()].fargate else {
                continue;
            };
            let a = task.pending_at.unwrap_or(task.created_at).min(end);
            let b = task.stopped_at.unwrap_or(end).min(end);
            fargate_tasks += 1;
            let stopped = task.stopped_at.is_some_and(|x| x <= end);
            self.bill_fargate(&mut ledger, task.owner, meta, &size, (a, b), stopped, end);
        }

        // B3: the commitment, hour by hour, on on-demand spend.
        let mut commitment_usd = 0.0;
        if let Some(c) = &pricing.commitment {
            let mut spend: BTreeMap<u32, f64> = BTreeMap::new();
            for ((h, _, cap), a) in &ledger.rows {
                if cap.is_on_demand() {
                    *spend.entry(*h).or_default() += a.compute + a.idle;
                }
            }
            let n_hours = end.as_millis().div_ceil(HOUR_MS) as u32;
            for h in 0..n_hours {
                let hour_s =
                    ((u64::from(h) + 1) * HOUR_MS).min(end.as_millis()) - u64::from(h) * HOUR_MS;
                let s = spend.get(&h).copied().unwrap_or(0.0);
                let r = c.apply(s, hour_s as f64 / 1000.0);
                let adjust = r.committed_usd + r.uncovered_usd - s;
                commitment_usd += adjust;
                ledger.add(h, COMMITMENT, Capacity::Commitment, |a| a.compute += adjust);
            }
        }
        let mut settlement = None;
        if let Some(c) = pricing.commitments.as_ref().filter(|c| !c.is_empty()) {
            let s = self.settle_commitments(c, &ledger);
            for u in &s.hours {
                let adjust = u.billed_usd() - u.on_demand_usd;
                commitment_usd += adjust;
                ledger.add(u.hour, COMMITMENT, Capacity::Commitment, |a| {
                    a.compute += adjust
                });
            }
            settlement = Some(s);
        }

        let rows: Vec<CostRow> = ledger
            .rows
            .into_iter()
            .map(|((hour, owner, capacity), a)| CostRow {
                hour,
                owner,
                capacity: capacity.as_str().to_string(),
                compute_usd: a.compute,
                idle_usd: a.idle,
                storage_usd: a.storage,
            })
            .collect();
        let mut s = CostSummary::default();
        for r in &rows {
            let sum = r.compute_usd + r.idle_usd + r.storage_usd;
            s.total_usd += sum;
            if r.owner != COMMITMENT {
                s.compute_usd += r.compute_usd;
            }
            s.idle_usd += r.idle_usd;
            s.storage_usd += r.storage_usd;
            *s.by_capacity.entry(r.capacity.clone()).or_default() += sum;
            if r.owner != IDLE && r.owner != COMMITMENT {
                *s.by_owner.entry(r.owner.clone()).or_default() += r.compute_usd + r.storage_usd;
            }
        }
        s.commitment_usd = round4(commitment_usd);
        let hours_run = end.as_millis() as f64 / HOUR_MS as f64;
        s.per_month_usd = if hours_run > 0.0 {
            round4(s.total_usd * HOURS_PER_MONTH / hours_run)
        } else {
            0.0
        };
        s.ec2_instances_usd = round4(ec2_instances);
        s.ec2_reserved_pct = if ec2_instances > 0.0 {
            round4(100.0 * (ec2_instances - ec2_idle) / ec2_instances)
        } else {
            0.0
        };
        s.total_usd = round4(s.total_usd);
        s.compute_usd = round4(s.compute_usd);
        s.idle_usd = round4(s.idle_usd);
        s.storage_usd = round4(s.storage_usd);
        for v in s.by_capacity.values_mut().chain(s.by_owner.values_mut()) {
            *v = round4(*v);
        }
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

    #[allow(clippy::too_many_arguments)]
    fn bill_fargate(
        &self,
        ledger: &mut Ledger,
        owner: TaskOwner,
        meta: &FargateMeta,
        size: &FargateTask,
        (a, b): (SimTime, SimTime),
        stopped: bool,
        end: SimTime,
    ) {
        let pricing = &self.spec.pricing;
        let Some(rates) = pricing.fargate_rates(size.platform, meta.spot) else {
            return;
        };
        let capacity = Capacity::fargate(meta.spot);
        let owner = self.owner_name(owner);
        let vcpu = f64::from(size.cpu) / 1024.0;
        let gb = f64::from(size.memory) / 1024.0;
        for (h, hx, hy) in hours(a, b) {
            let secs = (hy - hx).as_secs_f64();
            let c = fargate_cost(
                &rates,
                vcpu,
                gb,
                size.ephemeral_gb,
                secs,
                pricing.free_ephemeral_gb,
            );
            ledger.add(h, &owner, capacity, |x| {
                x.compute += c.compute_usd;
                x.storage += c.storage_usd;
            });
        }
        // B2: at least 60 s per task.
        let topup = minimum_topup_seconds(b - a);
        if topup > 0.0 && stopped {
            let c = fargate_cost(
                &rates,
                vcpu,
                gb,
                size.ephemeral_gb,
                topup,
                pricing.free_ephemeral_gb,
            );
            ledger.add(hour_of(b, end), &owner, capacity, |x| {
                x.compute += c.compute_usd;
                x.storage += c.storage_usd;
            });
        }
    }
}

// ---------------------------------------------------------------------------
// Adapter: the run's on-demand usage per hour, for Reserved Instances and
// Savings Plans (B3). It reads what the run recorded (instances, and the
// Fargate lines of the ledger) and hands the hours to
// `crate::cost::commitments`, which does the arithmetic.
// ---------------------------------------------------------------------------

impl Simulation {
    /// The on-demand EC2 usage of the run, per hour, instance type and AZ:
    /// instance-seconds from launch to termination (or the horizon), plus
    /// the one-minute minimum's top-up in the hour of the stop (B1).
    fn ec2_usage_hours(&self) -> Vec<Ec2UsageHour> {
        let end = self.horizon;
        let mut acc: BTreeMap<(u32, String, String), (f64, f64)> = BTreeMap::new();
        for (m, inst) in self.inst_meta.iter().zip(self.cluster.instances()) {
            if m.pool.is_some() {
                continue;
            }
            let on_demand = self.spec.instance_groups[m.group]
                .instance_types
                .iter()
                .find(|t| t.name == inst.instance_type)
                .map_or(0.0, |t| t.on_demand_usd_per_hour);
            let start = inst.launched_at;
            let stop = inst.terminated_at.unwrap_or(end).min(end);
            let mut add = |h: u32, secs: f64| {
                let e = acc
                    .entry((h, inst.instance_type.clone(), inst.az.clone()))
                    .or_default();
                e.0 += secs;
                e.1 += ec2_cost(on_demand, secs);
            };
            for (h, hx, hy) in hours(start, stop) {
                add(h, (hy - hx).as_secs_f64());
            }
            if inst.terminated_at.is_some_and(|t| t <= end) {
                let topup = minimum_topup_seconds(stop - start);
                if topup > 0.0 {
                    add(hour_of(stop, end), topup);
                }
            }
        }
        acc.into_iter()
            .map(|((hour, instance_type, az), (secs, usd))| Ec2UsageHour {
                hour,
                instance_type,
                az,
                instance_seconds: secs,
                on_demand_usd: usd,
            })
            .collect()
    }

    /// Settles the commitments over the run's hours (the last one partial
    /// when the horizon is not a whole number of hours).
    fn settle_commitments(&self, c: &Commitments, ledger: &Ledger) -> Settlement {
        let end = self.horizon.as_millis();
        let n_hours = end.div_ceil(HOUR_MS);
        let spans: Vec<f64> = (0..n_hours)
            .map(|h| (((h + 1) * HOUR_MS).min(end) - h * HOUR_MS) as f64 / 1000.0)
            .collect();
        let mut fargate: BTreeMap<u32, f64> = BTreeMap::new();
        for ((h, _, cap), a) in &ledger.rows {
            if *cap == Capacity::Fargate {
                *fargate.entry(*h).or_default() += a.compute;
            }
        }
        let fargate: Vec<FargateUsageHour> = fargate
            .into_iter()
            .map(|(hour, on_demand_usd)| FargateUsageHour {
                hour,
                on_demand_usd,
            })
            .collect();
        c.settle(&self.ec2_usage_hours(), &fargate, &spans)
    }
}
