//! Task scale-in protection (ECS-MODEL X3): `UpdateTaskProtection` calls
//! replayed from the scenario, which protect some of a service's RUNNING
//! tasks for a period (120 minutes by default, 1–2,880) or remove their
//! protection. A protected task is never a scale-in victim (P8), is not
//! stopped by a rolling deployment (its replacement starts, the old task
//! stays until its protection ends), and is not moved by Availability
//! Zone rebalancing (X2). Setting protection again renews the period.
//!
//! AWS refuses protection that would leave a service with more protected
//! tasks than its desired count (`DEPLOYMENT_BLOCKED`); so does the model.
//! When the desired count falls below the number of protected tasks, the
//! scale-in waits: the protected tasks keep running until their protection
//! expires, and a scheduler pass at each expiry finishes the scale-in.
//!
//! Owns [`Protection`] (`ServiceState::protection`), changed only here.

use std::collections::BTreeMap;

use super::{Cause, Event, ProtectedTasks, Simulation};
use crate::model::{ServiceId, TaskId, TaskState};
use crate::sim::SimTime;

/// A service's protected tasks and what protection did over the run.
#[derive(Debug, Clone, Default)]
pub(super) struct Protection {
    /// Protected tasks and when their protection expires.
    until: BTreeMap<TaskId, SimTime>,
    /// A scale-in held back by protection has been reported.
    pub blocked_reported: bool,
    /// Tasks protected (or renewed) over the run.
    pub protected_total: u64,
    /// Tasks refused protection (`DEPLOYMENT_BLOCKED`).
    pub refused_total: u64,
}

impl Protection {
    /// Whether task `t` is protected at `now`.
    pub fn covers(&self, t: TaskId, now: SimTime) -> bool {
        self.until.get(&t).is_some_and(|&u| u > now)
    }

    /// Whether no task has (had) protection: the common case, checked
    /// before any filtering.
    pub fn is_empty(&self) -> bool {
        self.until.is_empty()
    }

    /// Forgets protection that has expired by `now`, and tasks that are gone.
    fn prune(&mut self, now: SimTime, alive: impl Fn(TaskId) -> bool) {
        self.until.retain(|&t, &mut u| u > now && alive(t));
    }
}

impl Simulation {
    /// Whether task `t` of service `s` is protected from scale-in now (X3).
    pub(super) fn is_protected(&self, s: ServiceId, t: TaskId) -> bool {
        let p = &self.services[s].protection;
        !p.is_empty() && p.covers(t, self.queue.now())
    }

    /// Of `tasks`, those that may be stopped by a scale-in now (X3).
    pub(super) fn unprotected(&self, s: ServiceId, tasks: &[TaskId]) -> Vec<TaskId> {
        let now = self.queue.now();
        let p = &self.services[s].protection;
        tasks
            .iter()
            .copied()
            .filter(|&t| !p.covers(t, now))
            .collect()
    }

    /// X3: a scale-in of `wanted` tasks found only `possible` unprotected
    /// ones; reported once per wait.
    pub(super) fn scale_in_held(&mut self, s: ServiceId, wanted: usize, possible: usize) {
        if possible >= wanted {
            self.services[s].protection.blocked_reported = false;
            return;
        }
        if self.services[s].protection.blocked_reported {
            return;
        }
        self.services[s].protection.blocked_reported = true;
        let now = self.queue.now();
        let name = self.service_name(s).to_string();
        let held = wanted - possible;
        self.recorder.event(
            now,
            &name,
            "scale-in-protected",
            format!(
                "service {name} cannot stop {held} more tasks to reach its desired count {}: they have task scale-in protection; the scale-in waits for it to expire or be removed.",
                self.services[s].desired
            ),
        );
    }

    /// X3: the scenario's `scaleInProtection` entry `k` of service `s`.
    pub(super) fn on_scale_in_protection(&mut self, s: ServiceId, k: usize, cause: Cause) {
        let Some(setting) = self.spec.services[s].scale_in_protection.get(k).copied() else {
            return;
        };
        let now = self.queue.now();
        if let Some(every) = setting.renew_every {
            let next = now + every;
            let last = setting.until.unwrap_or(self.horizon).min(self.horizon);
            if next <= last {
                self.queue.schedule(
                    next,
                    Event::ScaleInProtection {
                        service: s,
                        index: k as u32,
                    },
                );
            }
        }
        let cluster = &self.cluster;
        self.services[s]
            .protection
            .prune(now, |t| cluster.task(t).is_live());
        // The service's RUNNING tasks, oldest first.
        let svc = &self.services[s];
        let mut running: Vec<TaskId> = (svc.live.iter().chain(svc.retiring.iter()))
            .copied()
            .filter(|&t| self.cluster.task(t).state == TaskState::Running)
            .collect();
        running.sort_unstable();
        let n = match setting.tasks {
            ProtectedTasks::Count(n) => n as usize,
            ProtectedTasks::Percent(p) => (running.len() * p as usize).div_ceil(100),
        };
        let name = self.service_name(s).to_string();
        if !setting.enabled {
            let protected: Vec<TaskId> = running
                .iter()
                .copied()
                .filter(|&t| self.services[s].protection.covers(t, now))
                .take(n)
                .collect();
            for t in &protected {
                self.services[s].protection.until.remove(t);
            }
            self.recorder.event(
                now,
                &name,
                "task-protection",
                format!(
                    "service {name}: scale-in protection removed from {} tasks",
                    protected.len()
                ),
            );
            self.reconcile(s, cause);
            return;
        }
        let desired = self.services[s].desired as usize;
        let expires = now + setting.expires;
        let mut set = 0usize;
        let mut refused = 0usize;
        for &t in running.iter().take(n) {
            let p = &mut self.services[s].protection;
            // DEPLOYMENT_BLOCKED: a task is (re)protected only while the
            // service keeps no more protected tasks than its desired count.
            let after = p.until.len() + usize::from(!p.covers(t, now));
            if after > desired {
                refused += 1;
                continue;
            }
            p.until.insert(t, expires);
            set += 1;
        }
        let p = &mut self.services[s].protection;
        p.protected_total += set as u64;
        p.refused_total += refused as u64;
        let minutes = setting.expires.as_millis() / 60_000;
        let mut msg =
            format!("service {name}: scale-in protection set on {set} tasks for {minutes} minutes");
        if set < n {
            msg.push_str(&format!(" ({} RUNNING tasks asked for {n})", running.len()));
        }
        if refused > 0 {
            msg.push_str(&format!(
                "; {refused} refused: DEPLOYMENT_BLOCKED (the service would have more protected tasks than its desired count {desired})"
            ));
        }
        self.recorder.event(now, &name, "task-protection", msg);
        if set > 0 {
            self.queue.schedule(expires, Event::ProtectionExpired(s));
        }
    }
}
