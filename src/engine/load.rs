//! Service load and metrics, once a minute (ECS-MODEL A1, W1): the demand
//! of each service, what its in-service tasks serve, what is dropped, and
//! the service's CPU, memory and requests-per-target metrics that scaling
//! policies read.
//!
//! A task is in service once RUNNING; behind a load balancer once healthy
//! (T2). Each serves up to `task_capacity_rps` at 100% CPU; demand above the
//! total is dropped. With a task-level CPU (a hard limit) utilization is
//! capped at 100%; with container-level CPU only (shares) a task may use idle
//! CPU, so the metric can read above 100% (model choice: uncapped). Memory
//! utilization is modelled as a base plus a share proportional to load
//! (model choice: 40% + 20% × load, a parameter of no consequence unless a
//! policy tracks memory).

use super::{Event, Simulation};
use crate::model::TaskState;
use crate::sim::SimDuration;

/// Memory utilization at no load, percent (model choice).
const MEMORY_BASE_PCT: f64 = 40.0;
/// Memory utilization added at 100% CPU, percent (model choice).
const MEMORY_LOAD_PCT: f64 = 20.0;

/// One minute's view of a service's load.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct LoadSample {
    /// Demand, requests per second.
    pub demand_rps: f64,
    /// Served, requests per second.
    pub served_rps: f64,
    /// Tasks in service.
    pub in_service: u32,
    /// Average CPU utilization, percent (`None`-like: NaN without tasks).
    pub cpu_pct: Option<f64>,
    /// Average memory utilization, percent.
    pub memory_pct: Option<f64>,
    /// Requests per target per minute.
    pub requests_per_target: Option<f64>,
}

/// Totals over the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct LoadTotals {
    pub last: LoadSample,
    pub requests: f64,
    pub served: f64,
    pub overloaded_minutes: u64,
    pub peak_demand_rps: f64,
}

impl Simulation {
    pub(super) fn on_metric_tick(&mut self) {
        let now = self.queue.now();
        for s in 0..self.services.len() {
            let Some(demand) = self.spec.services[s].demand.clone() else {
                continue;
            };
            let rate = demand.rate_at(now, self.spec.start_epoch_s);
            let grace = self.spec.services[s].health_grace;
            let balanced = self.spec.services[s].load_balanced;
            let owner = self.services[s].owner(s);
            let in_service = self.services[s]
                .live
                .iter()
                .chain(self.services[s].retiring.iter())
                .filter(|&&t| {
                    let task = self.cluster.task(t);
                    task.owner == owner
                        && task.state == TaskState::Running
                        && (!balanced || task.running_at.is_some_and(|r| r + grace <= now))
                })
                .count() as u32;
            let capacity = f64::from(in_service) * demand.task_capacity_rps;
            let served = rate.min(capacity);
            let hard_limit = self.spec.task_definitions[self.spec.services[s].task_def.index()]
                .def
                .cpu
                .is_some();
            let (cpu, mem, rpt) = if in_service == 0 {
                (None, None, None)
            } else {
                let load = rate / capacity;
                let cpu = if hard_limit { load.min(1.0) } else { load } * 100.0;
                let mem = MEMORY_BASE_PCT + MEMORY_LOAD_PCT * load.min(1.0);
                (
                    Some(cpu),
                    Some(mem),
                    Some(rate * 60.0 / f64::from(in_service)),
                )
            };
            let sample = LoadSample {
                demand_rps: rate,
                served_rps: served,
                in_service,
                cpu_pct: cpu,
                memory_pct: mem,
                requests_per_target: rpt,
            };
            let l = &mut self.services[s].load;
            l.last = sample;
            l.requests += rate * 60.0;
            l.served += served * 60.0;
            l.peak_demand_rps = l.peak_demand_rps.max(rate);
            if rate > served + 1e-9 {
                l.overloaded_minutes += 1;
            }
            self.after_metrics(s);
        }
        let next = now + SimDuration::from_secs(60);
        if next <= self.horizon {
            self.queue.schedule(next, Event::MetricTick);
        }
    }

    /// Hook for scaling policies once a service's metrics are fresh.
    fn after_metrics(&mut self, _s: usize) {}
}
