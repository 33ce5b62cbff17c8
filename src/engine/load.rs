//! Service load and metrics, once a minute (ECS-MODEL A1, W1): the demand
//! of each service, what its in-service tasks serve, what is dropped, and
//! the service's CPU, memory and requests-per-target metrics that scaling
//! policies read.
//!
//! A task is in service once RUNNING; behind a load balancer once healthy
//! (T2). Each serves up to `task_capacity_rps` at 100% CPU; demand above the
//! total is dropped. The service's CPU utilization is the average over all
//! its RUNNING tasks (A1), so tasks not yet in service run idle and lower
//! it. With a task-level CPU (a hard limit) a task uses at most 100%; with
//! container-level CPU only (shares) it may use idle CPU, so the metric can
//! read above 100% (model choice: uncapped). Memory
//! utilization is modelled as a base plus a share proportional to load
//! (model choice: 40% + 20% × load, a parameter of no consequence unless a
//! policy tracks memory).
//!
//! Datapoints (A2): every metric an alarm reads — the service's CPU, memory
//! and requests per target, CapacityProviderReservation (C4) and a plain
//! ASG's CPU reservation (C7) — is the value of a one-minute period
//! `[t − 60 s, t)`, sampled at the period's midpoint (the midpoint rule for
//! its average) and evaluated at `t`, never the value at the instant `t`.
//!
//! Owns no state of its own: it writes each service's `ServiceState::load`
//! and desired count (through [`scale_service`](Simulation::scale_service))
//! and each group's metric sample and desired capacity (C7). The count of
//! tasks in service is `Simulation::in_service` (`services.rs`), so a
//! minute's work does not grow with the number of tasks.

use super::{Event, Simulation};
use crate::model::{InstanceGroupId, ServiceId};
use crate::scaling::ServiceMetrics;
use crate::sim::{SimDuration, SimTime};

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
    /// The datapoint sampled in the current period, published at its end.
    pub pending: Option<Datapoint>,
    pub requests: f64,
    pub served: f64,
    pub overloaded_minutes: u64,
    pub peak_demand_rps: f64,
}

/// A datapoint's period: one minute (A1, A2).
pub(super) const PERIOD: SimDuration = SimDuration::from_secs(60);

/// When in its period a datapoint is sampled: the midpoint (A2).
pub(super) const SAMPLE_OFFSET: SimDuration = SimDuration::from_secs(30);

/// A published datapoint of a service: its metrics and the start of the
/// period it covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Datapoint {
    /// The period's sample.
    pub sample: LoadSample,
    /// Start of the period, `[start, start + 60 s)`.
    pub period_start: SimTime,
}

impl Simulation {
    /// A service's load at `now`: the demand rate at that instant and what
    /// the tasks in service then serve, with the A1 metrics.
    fn load_at(&self, s: ServiceId, now: SimTime) -> Option<LoadSample> {
        let demand = self.spec.services[s].demand.as_ref()?;
        let rate = demand.rate_at(now, self.spec.start_epoch_s);
        // In service once RUNNING; behind a load balancer once healthy (T2).
        let balanced = self.spec.services[s].load_balanced;
        let in_service = self.in_service(s, now, balanced);
        let owner = self.services[s].owner(s);
        let capacity = f64::from(in_service) * demand.task_capacity_rps;
        let served = rate.min(capacity);
        let hard_limit = self.spec.task_definitions[self.spec.services[s].task_def.index()]
            .def
            .cpu
            .is_some();
        // A1: the average over every RUNNING task; tasks not yet in
        // service run idle and pull the average down.
        let running = self.cluster.owner_counts(owner).running;
        let (cpu, mem, rpt) = if running == 0 {
            (None, None, None)
        } else {
            let used = if hard_limit { served } else { rate };
            let per_task = used / demand.task_capacity_rps / f64::from(running);
            let cpu = per_task * 100.0;
            let mem = MEMORY_BASE_PCT + MEMORY_LOAD_PCT * per_task.min(1.0);
            let rpt = (in_service > 0).then(|| rate * 60.0 / f64::from(in_service));
            (Some(cpu), Some(mem), rpt)
        };
        Some(LoadSample {
            demand_rps: rate,
            served_rps: served,
            cpu_pct: cpu,
            memory_pct: mem,
            requests_per_target: rpt,
        })
    }

    /// A2: the sample of every metric the simulator alarms on, at the
    /// midpoint of its one-minute period (the midpoint rule for the
    /// period's average); published and evaluated at the period's end by
    /// [`on_metric_tick`](Simulation::on_metric_tick).
    pub(super) fn on_metric_sample(&mut self) {
        let now = self.queue.now();
        let period_start = SimTime(now.as_millis().saturating_sub(SAMPLE_OFFSET.as_millis()));
        for s in ServiceId::all(self.services.len()) {
            if let Some(sample) = self.load_at(s, now) {
                self.services[s].load.pending = Some(Datapoint {
                    sample,
                    period_start,
                });
            }
        }
        self.capacity_provider_sample();
        self.asg_metric_sample();
        let next = now + PERIOD;
        if next <= self.horizon {
            self.queue.schedule(next, Event::MetricSample);
        }
    }

    /// The one-minute tick: each service's load over the coming minute is
    /// accounted (served, dropped, overloaded minutes), and the datapoints
    /// of the period that has just ended, `[t − 60 s, t)`, are published and
    /// evaluated (A2): a load step at a minute boundary t is first seen at
    /// t + 1 min, so three high datapoints scale out at t + 3 min.
    pub(super) fn on_metric_tick(&mut self) {
        let now = self.queue.now();
        for s in ServiceId::all(self.services.len()) {
            let Some(sample) = self.load_at(s, now) else {
                continue;
            };
            let published = self.services[s].load.pending.take();
            let l = &mut self.services[s].load;
            let rate = sample.demand_rps;
            let served = sample.served_rps;
            // What the timeseries shows: this minute's demand and service,
            // and the metrics of the datapoint just published.
            let metrics = published.map(|d| d.sample).unwrap_or_default();
            l.last = LoadSample {
                demand_rps: rate,
                served_rps: served,
                cpu_pct: metrics.cpu_pct,
                memory_pct: metrics.memory_pct,
                requests_per_target: metrics.requests_per_target,
            };
            l.requests += rate * 60.0;
            l.served += served * 60.0;
            l.peak_demand_rps = l.peak_demand_rps.max(rate);
            if rate > served + 1e-9 {
                l.overloaded_minutes += 1;
            }
            let since = published.map_or(now, |d| d.period_start);
            self.after_metrics(s, since);
        }
        for s in ServiceId::all(self.services.len()) {
            if self.spec.services[s].demand.is_none() && self.services[s].scaler.is_some() {
                // A scaled service without demand reads no load metrics.
                self.after_metrics(s, now);
            }
        }
        self.capacity_provider_tick();
        self.asg_target_tracking_tick();
        let next = now + PERIOD;
        if next <= self.horizon {
            self.queue.schedule(next, Event::MetricTick);
        }
    }

    /// A1–A4: the service's policies read the fresh metrics; a decision
    /// changes the desired count, with its cause in `events.csv`. `since` is
    /// the start of the datapoint's period (when a rise it shows began).
    fn after_metrics(&mut self, s: ServiceId, since: SimTime) {
        let now = self.queue.now();
        let l = self.services[s].load.last;
        let metrics = ServiceMetrics {
            cpu: l.cpu_pct,
            memory: l.memory_pct,
            requests_per_target: l.requests_per_target,
        };
        let running = self.cluster.owner_counts(self.services[s].owner(s)).running;
        let desired = self.services[s].desired;
        let deploying = self.services[s].deploying();
        // When the tracked metric first went above its target (for the
        // reaction time of a scale-out: demand rise to tasks RUNNING).
        let above = self.services[s].scaler.as_ref().is_some_and(|sc| {
            sc.tracking.iter().any(|p| {
                let v = metrics.get(p.metric);
                v.is_some_and(|v| v > p.target)
            })
        });
        let st = &mut self.services[s];
        if above {
            st.above_since.get_or_insert(since);
        } else {
            st.above_since = None;
        }
        let Some(scaler) = self.services[s].scaler.as_mut() else {
            return;
        };
        if let Some(d) = scaler.evaluate(now, &metrics, running, desired, deploying) {
            if d.desired != desired {
                if d.desired > desired {
                    let start = self.services[s].above_since.unwrap_or(now);
                    let start = self.services[s]
                        .reaction
                        .map_or(start, |(t, _)| t.min(start));
                    self.services[s].reaction = Some((start, d.desired));
                }
                self.scale_service(s, d.desired, &d.cause);
            }
        }
    }

    /// Sets a service's desired count for a scaling activity.
    pub(super) fn scale_service(&mut self, s: ServiceId, desired: u32, cause: &str) {
        let now = self.queue.now();
        let name = self.service_name(s).to_string();
        let old = self.services[s].desired;
        self.recorder.scaling_event(
            now,
            &name,
            if desired > old {
                "scale-out"
            } else {
                "scale-in"
            },
            (old, desired),
            cause,
        );
        self.services[s].desired = desired;
        self.reconcile(s, super::Cause::Scaling);
    }

    /// A5: a scheduled action sets min/max and may force the desired count.
    pub(super) fn on_scheduled_scaling(&mut self, s: ServiceId, k: usize) {
        let now = self.queue.now();
        let action = self.spec.services[s].scheduled[k].clone();
        let desired = self.services[s].desired;
        if let Some(scaler) = self.services[s].scaler.as_mut() {
            if let Some(d) = scaler.set_bounds(action.min, action.max, desired) {
                self.scale_service(s, d, "scheduled action");
            }
        }
        let name = self.service_name(s).to_string();
        self.recorder.event(
            now,
            &name,
            "scheduled-action",
            scheduled_action_text(action.min, action.max),
        );
        self.schedule_action(s, k);
    }

    /// Schedules the next run of a service's scheduled action `k`.
    pub(super) fn schedule_action(&mut self, s: ServiceId, k: usize) {
        let now = self.queue.now();
        let epoch = self.spec.start_epoch_s;
        let after = epoch + (now.as_millis() / 1000) as i64;
        let next = self.spec.services[s].scheduled[k]
            .schedule
            .next_after(after);
        if let Some(t) = next {
            let at = SimTime::ZERO + SimDuration::from_secs((t - epoch).max(0) as u64);
            if at <= self.horizon && at >= now {
                self.queue.schedule(
                    at,
                    Event::ScheduledScaling {
                        service: s,
                        action: k as u32,
                    },
                );
            }
        }
    }

    /// C7, A2: the CPU reservation of each group with its own target
    /// tracking, sampled mid-period (ACTIVE instances only); `None` = no data.
    fn asg_metric_sample(&mut self) {
        for g in InstanceGroupId::all(self.spec.instance_groups.len()) {
            if self.spec.instance_groups[g].target_tracking.is_none() {
                continue;
            }
            let mut reg = 0u64;
            let mut res = 0u64;
            for (m, i) in self.inst_meta.iter().zip(self.cluster.instances()) {
                if m.group == g && i.is_active() {
                    reg += u64::from(i.registered.cpu);
                    res += u64::from(i.reserved.cpu);
                }
            }
            let metric = (reg > 0).then(|| 100.0 * res as f64 / reg as f64);
            self.groups[g].metric_sample = Some(metric);
        }
    }

    /// C7: groups with their own target tracking on CPU reservation
    /// evaluate the datapoint of the period that has just ended (A2).
    pub(super) fn asg_target_tracking_tick(&mut self) {
        let now = self.queue.now();
        for g in InstanceGroupId::all(self.spec.instance_groups.len()) {
            if self.spec.instance_groups[g].target_tracking.is_none() {
                continue;
            }
            // No datapoint yet (the first tick) is missing data.
            let metric = self.groups[g].metric_sample.take().flatten();
            let mut newest = None;
            let mut in_service = 0;
            for (m, i) in self.inst_meta.iter().zip(self.cluster.instances()) {
                if m.group != g || i.state == crate::model::InstanceState::Terminated {
                    continue;
                }
                newest = newest.max(Some(i.launched_at));
                if i.is_active() {
                    in_service += 1;
                }
            }
            let current = self.groups[g].desired;
            let Some(tt) = self.groups[g].tracking.as_mut() else {
                continue;
            };
            if let Some(d) = tt.evaluate(now, metric, in_service, newest) {
                if d != current {
                    let name = self.spec.instance_groups[g].name.clone();
                    self.recorder.event(
                        now,
                        &name,
                        if d > current { "asg-scale-out" } else { "asg-scale-in" },
                        format!(
                            "group {name}: CPU reservation {:.1}%: desired capacity {current} -> {d}",
                            metric.unwrap_or(0.0)
                        ),
                    );
                    self.set_group_desired(g, d, false, false);
                }
            }
        }
    }
}

/// The `events.csv` message of a scheduled action (A5), naming only the
/// bounds it sets: "scheduled action sets min 5, max 10".
fn scheduled_action_text(min: Option<u32>, max: Option<u32>) -> String {
    let parts: Vec<String> = [("min", min), ("max", max)]
        .into_iter()
        .filter_map(|(name, v)| v.map(|v| format!("{name} {v}")))
        .collect();
    if parts.is_empty() {
        "scheduled action sets no bound".to_string()
    } else {
        format!("scheduled action sets {}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::scheduled_action_text;

    // ECS-MODEL A5: an action sets minCapacity, maxCapacity or both; the
    // message names the ones it sets, in words, not Rust's `Some(5)`.
    #[test]
    fn scheduled_action_message_in_words() {
        assert_eq!(
            scheduled_action_text(Some(5), Some(10)),
            "scheduled action sets min 5, max 10"
        );
        assert_eq!(
            scheduled_action_text(Some(5), None),
            "scheduled action sets min 5"
        );
        assert_eq!(
            scheduled_action_text(None, Some(0)),
            "scheduled action sets max 0"
        );
        assert_eq!(
            scheduled_action_text(None, None),
            "scheduled action sets no bound"
        );
    }
}
