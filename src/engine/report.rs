//! Observation: time-series samples and the run's summary and records.

use std::collections::BTreeMap;

use super::{daemon_req, Cause, Event, RunResult, Simulation};
use crate::metrics::records::{
    capacity_key, state_key, state_text, Column, TaskRecordsBuilder, TaskRow, CAPACITIES,
};
use crate::metrics::{
    round4, AlarmState, Availability, DemandSummary, DurationsMs, JobSummary, LoadPoint,
    Percentiles, ProviderPoint, RecoveryStats, Sample, SampleColumns, SampleLog, ServiceSummary,
    Summary, TaskRecords, Timeseries,
};
use crate::model::{ServiceId, StopReason, Task, TaskCounts, TaskOwner, TaskState};
use crate::sim::SimTime;

/// One instance as `instances.csv` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceRecord {
    /// EC2 instance id.
    pub instance: String,
    /// Instance group.
    pub group: String,
    /// Instance type.
    pub instance_type: String,
    /// AZ.
    pub az: String,
    /// `on-demand` or `spot`.
    pub purchase: &'static str,
    /// Price in effect at launch, USD per hour.
    pub price_usd_per_hour: f64,
    /// Launched (REGISTERING).
    pub launched: SimTime,
    /// ACTIVE.
    pub registered: Option<SimTime>,
    /// Set DRAINING.
    pub draining: Option<SimTime>,
    /// Terminated.
    pub terminated: Option<SimTime>,
    /// Why it terminated (`spot-interruption`, `capacity-rebalance`, `drained`).
    pub termination: Option<crate::model::TerminationReason>,
}

impl Simulation {
    /// Records a sample. Its work grows with the number of services,
    /// jobs and capacity providers, not with instances or tasks: instance
    /// and task counts are kept by the cluster and the recorder as states
    /// change (only a daemon with placement constraints looks at the
    /// instances, to count those it should run on).
    pub(super) fn on_sample(&mut self) {
        let now = self.queue.now();
        if self.recorder.samples.is_empty() {
            let rows = self.horizon.0 / self.spec.sample_interval.0.max(1) + 1;
            self.recorder.samples = SampleLog::with_rows(rows as usize);
        }
        let instances = self.cluster.instance_counts();
        #[cfg(debug_assertions)]
        self.check_counters(instances);
        // Every change of a healthy or desired count already updated the
        // availability; this only bounds the error, to one sample, of a
        // path that would forget to.
        for s in ServiceId::all(self.services.len()) {
            self.observe_availability(s);
        }
        let in_use = self.cluster.instances_in_use();
        let mut tasks: Vec<TaskCounts> = Vec::with_capacity(self.services.len() + self.jobs.len());
        for (s, svc) in self.services.iter().enumerate() {
            tasks.push(self.cluster.owner_counts(owner_of(s, svc.daemon)));
        }
        for j in 0..self.jobs.len() {
            tasks.push(
                self.cluster
                    .owner_counts(TaskOwner::Job(crate::model::JobId(j as u32))),
            );
        }
        let desired = self
            .services
            .iter()
            .map(|s| {
                if s.daemon && s.policy().constraints().is_empty() {
                    instances.active
                } else if s.daemon {
                    self.cluster
                        .instances()
                        .iter()
                        .filter(|i| {
                            i.is_active()
                                && s.policy().admits(&self.cluster, i.id, &daemon_req(s.group))
                        })
                        .count() as u32
                } else {
                    s.desired
                }
            })
            .collect();
        let reg = self.cluster.registered_total();
        let res = self.cluster.reserved_total();
        let pct = |a: u32, b: u32| {
            if b == 0 {
                0.0
            } else {
                100.0 * f64::from(a) / f64::from(b)
            }
        };
        let sample = Sample {
            time: now,
            instances,
            instances_in_use: in_use,
            cpu_reservation_pct: pct(res.cpu, reg.cpu),
            memory_reservation_pct: pct(res.memory, reg.memory),
            tasks,
            desired,
            spot_instances: self.recorder.spot_live,
            interruptions: self.interruptions.notices,
            load: self
                .services
                .iter()
                .zip(&self.spec.services)
                .filter(|(_, sp)| sp.demand.is_some())
                .map(|(st, _)| {
                    let l = &st.load.last;
                    LoadPoint {
                        demand_rps: l.demand_rps,
                        served_rps: l.served_rps,
                        cpu_pct: l.cpu_pct.unwrap_or(0.0),
                    }
                })
                .collect(),
            provisioning: self
                .services
                .iter()
                .zip(&self.spec.services)
                .enumerate()
                .filter(|(_, (_, sp))| matches!(sp.capacity, super::Capacity::Asg(_)))
                .map(|(s, (st, _))| self.cluster.owner_provisioning(owner_of(s, st.daemon)))
                .collect(),
            alarms: self
                .services
                .iter()
                .filter_map(|st| st.scaler.as_ref())
                .filter(|sc| !sc.tracking.is_empty())
                .map(|sc| {
                    sc.tracking_alarms(0)
                        .map_or(AlarmState::Ok, |a| a.state(&sc.tracking[0]))
                })
                .collect(),
            providers: self
                .providers
                .iter()
                .zip(&self.spec.capacity_providers)
                .map(|(p, cp)| ProviderPoint {
                    reservation_pct: p.cpr,
                    needed: p.needed,
                    running: p.running,
                    asg_desired: self.groups[cp.group].desired,
                })
                .collect(),
        };
        self.recorder.samples.push(&sample);
        let next = now + self.spec.sample_interval;
        if next <= self.horizon {
            self.queue.schedule(next, Event::Sample);
        }
    }

    /// Checks the counts kept as states change against a count of every
    /// instance and task (debug builds: every test run checks them).
    #[cfg(debug_assertions)]
    fn check_counters(&self, kept: crate::metrics::InstanceCounts) {
        use crate::market::Purchase;
        use crate::metrics::InstanceCounts;
        use crate::model::InstanceState;
        let mut counted = InstanceCounts::default();
        let mut spot = 0;
        for (inst, m) in self.cluster.instances().iter().zip(&self.inst_meta) {
            match inst.state {
                InstanceState::Registering => counted.registering += 1,
                InstanceState::Active => counted.active += 1,
                InstanceState::Draining => counted.draining += 1,
                InstanceState::Terminated => continue,
            }
            spot += u32::from(m.purchase == Purchase::Spot);
        }
        assert_eq!(kept, counted, "instances by state");
        assert_eq!(self.recorder.spot_live, spot, "live spot instances");
        for (s, st) in self.services.iter().enumerate() {
            let provisioning = st
                .live
                .iter()
                .filter(|&&t| self.cluster.task(t).state == TaskState::Provisioning)
                .count() as u32;
            assert_eq!(
                self.cluster.owner_provisioning(owner_of(s, st.daemon)),
                provisioning,
                "PROVISIONING tasks of service {s}"
            );
        }
    }

    pub(super) fn finish(mut self, early: &mut dyn FnMut(super::Early<'_>)) -> RunResult {
        let end = self.horizon;
        for s in ServiceId::all(self.services.len()) {
            self.observe_availability(s);
        }
        let (mut waits, mut provisioning) = self.waits();
        let columns = self.sample_columns();
        let series = std::mem::take(&mut self.recorder.samples).finish(&columns);
        // Nothing is logged from here on.
        let events = std::sync::Arc::new(std::mem::take(&mut self.recorder.events));
        early(super::Early::Series {
            columns: &columns,
            timeseries: &series,
            events: &events,
        });
        let rec = &series;
        let mut unplaceable: BTreeMap<String, u64> = BTreeMap::new();
        let mut services = Vec::new();
        for (s, st) in self.services.iter().enumerate() {
            let (_, mean) = rec.running_ratio(s, s);
            // Daemons are followed by the samples (the event-driven tracker
            // follows replica services): both count the worst ratio once the
            // service first reached its desired count.
            let (_, daemon_worst) = rec.ramp_up_and_worst(s, s);
            let live = st.live.iter().chain(st.retiring.iter());
            let last = rec.len().checked_sub(1);
            let failures: BTreeMap<String, u64> = st
                .failures
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), *v))
                .collect();
            for (k, v) in &failures {
                *unplaceable.entry(k.clone()).or_default() += v;
            }
            // Counted by the instances' own names, in a short list (a
            // region has a few AZs; a task is most often in the AZ of the
            // task before it): a name is copied once per AZ, not once per
            // task.
            let mut counted: Vec<(&str, u32)> = Vec::new();
            let mut hit = 0;
            for &t in live {
                let task = self.cluster.task(t);
                if let (TaskState::Running, Some(i)) = (task.state, task.instance) {
                    let az = self.cluster.instance(i).az.as_str();
                    if counted.get(hit).is_none_or(|&(a, _)| a != az) {
                        hit = match counted.iter().position(|&(a, _)| a == az) {
                            Some(k) => k,
                            None => {
                                counted.push((az, 0));
                                counted.len() - 1
                            }
                        };
                    }
                    counted[hit].1 += 1;
                }
            }
            let by_az: BTreeMap<String, u32> = (counted.into_iter())
                .map(|(az, n)| (az.to_string(), n))
                .collect();
            let protected = !self.spec.services[s].scale_in_protection.is_empty();
            let demand = self.spec.services[s].demand.as_ref().map(|_| {
                let l = &st.load;
                let dropped = (l.requests - l.served).max(0.0);
                DemandSummary {
                    requests: round4(l.requests),
                    served: round4(l.served),
                    dropped: round4(dropped),
                    dropped_pct: if l.requests > 0.0 {
                        round4(100.0 * dropped / l.requests)
                    } else {
                        0.0
                    },
                    overloaded_minutes: l.overloaded_minutes,
                    peak_demand_rps: round4(l.peak_demand_rps),
                }
            });
            let availability = if st.daemon {
                // Daemons are followed by the samples: each sample's counts
                // hold until the next one.
                let mut a = Availability::default();
                let share = self.spec.slo.availability_share;
                for i in 0..rec.len() {
                    let t = SimTime(rec.time_ms[i]);
                    a.update(t, rec.tasks[s].running[i], rec.desired[s][i], share);
                }
                a.pct(end)
            } else {
                st.availability.pct(end)
            };
            services.push(ServiceSummary {
                name: self.spec.services[s].name.clone(),
                scheduling: if st.daemon { "DAEMON" } else { "REPLICA" }.into(),
                desired_at_end: last.map_or(st.desired, |l| rec.desired[s][l]),
                running_at_end: last.map_or(0, |l| rec.tasks[s].running[l]),
                running_ratio_min: round4(if st.daemon {
                    daemon_worst
                } else {
                    st.tracker.worst().min(1.0)
                }),
                running_ratio_mean: round4(mean),
                tasks_placed: st.placed,
                placement_failures: failures,
                running_by_az_at_end: by_az,
                ramp_up_s: st.tracker.ramp_up().map(|t| t.as_secs_f64()),
                below_desired_s: st
                    .tracker
                    .below_s(end)
                    .into_iter()
                    .map(|(k, v)| (k, round4(v)))
                    .collect(),
                minutes_below_desired: round4(
                    st.tracker.below_s(end).values().fold(0.0, |a, b| a + b) / 60.0,
                ),
                recovery_after_interruption: st.tracker.recovery(Cause::Interruption),
                recovery_after_failure: (self.spec.failures.is_used())
                    .then(|| st.tracker.recovery(Cause::Failure)),
                tasks_stopped_gracefully: st.graceful,
                tasks_killed: st.killed,
                tasks_unhealthy: self.spec.services[s]
                    .health_check_failures
                    .as_ref()
                    .map(|_| st.unhealthy_total),
                task_failures: self.task_failures.services[s]
                    .counts(&self.spec.services[s].task_failures),
                az_rebalancing_operations: (st.rebalance.operations > 0)
                    .then_some(st.rebalance.operations),
                az_rebalancing_tasks_started: (st.rebalance.started > 0)
                    .then_some(st.rebalance.started),
                az_rebalancing_tasks_stopped: (st.rebalance.stopped > 0)
                    .then_some(st.rebalance.stopped),
                tasks_protected: protected.then_some(st.protection.protected_total),
                protection_refused: protected.then_some(st.protection.refused_total),
                deployments: st.deployments.clone(),
                scale_out_reaction: {
                    let d = &st.reactions;
                    RecoveryStats {
                        count: d.len() as u64,
                        mean_s: if d.is_empty() {
                            0.0
                        } else {
                            round4(d.iter().sum::<f64>() / d.len() as f64)
                        },
                        max_s: round4(d.iter().copied().fold(0.0, f64::max)),
                        unrecovered: u64::from(st.reaction.is_some()),
                    }
                },
                availability_pct: availability.0,
                partial_availability_pct: availability.1,
                dropped_pct: demand.as_ref().map_or(0.0, |d| d.dropped_pct),
                overloaded_minutes: demand.as_ref().map_or(0, |d| d.overloaded_minutes),
                wait: Percentiles::of_durations(&mut waits[s]),
                provisioning: Percentiles::of_durations(&mut provisioning[s]),
                demand,
            });
        }
        let mut jobs = Vec::new();
        for (j, st) in self.jobs.iter().enumerate() {
            let failed: BTreeMap<String, u64> = st
                .failed
                .iter()
                .map(|(k, v)| (k.failure_reason().to_string(), *v))
                .collect();
            for (k, v) in &st.failed {
                *unplaceable.entry(k.as_str().to_string()).or_default() += v;
            }
            jobs.push(JobSummary {
                name: self.spec.jobs[j].name.clone(),
                submitted: st.submitted,
                placed: st.placed,
                completed: st.completed,
                failed_total: failed.values().sum(),
                failed,
                mean_wait_s: if st.started == 0 {
                    0.0
                } else {
                    round4(st.wait_ms as f64 / st.started as f64 / 1000.0)
                },
                tasks_killed: st.killed,
                tasks_rerun: st.rerun,
                work_lost_task_s: round4(st.work_lost_ms as f64 / 1000.0),
                task_failures: self.task_failures.jobs[j].counts(&self.spec.jobs[j].task_failures),
                completion_pct: if st.submitted == 0 {
                    100.0
                } else {
                    round4(100.0 * st.completed as f64 / st.submitted as f64)
                },
                wait: Percentiles::of_durations(&mut waits[self.services.len() + j]),
                provisioning: Percentiles::of_durations(&mut provisioning[self.services.len() + j]),
            });
        }
        let (cpu_mean, cpu_max) = Timeseries::mean_max(rec.cpu_reservation_pct.iter().copied());
        let (mem_mean, mem_max) = Timeseries::mean_max(rec.memory_reservation_pct.iter().copied());
        let (use_mean, use_max) = Timeseries::mean_max(rec.in_use.iter().map(|&n| f64::from(n)));
        let mut launched_by: BTreeMap<String, u64> = BTreeMap::new();
        let mut hours_by: BTreeMap<String, f64> = BTreeMap::new();
        for (m, i) in self.inst_meta.iter().zip(self.cluster.instances()) {
            *launched_by.entry(m.purchase.as_str().into()).or_default() += 1;
            let stop = i.terminated_at.unwrap_or(end);
            *hours_by.entry(m.purchase.as_str().into()).or_default() +=
                (stop - i.launched_at).as_secs_f64() / 3600.0;
        }
        for v in hours_by.values_mut() {
            *v = round4(*v);
        }
        let (requests, dropped) = services
            .iter()
            .filter_map(|s| s.demand.as_ref())
            .fold((0.0, 0.0), |(r, d), x| (r + x.requests, d + x.dropped));
        let tasks_placed = self.retired.placed
            + (self.cluster.tasks().iter())
                .filter(|t| t.pending_at.is_some())
                .count() as u64;
        debug_assert!(
            self.billing_agrees(),
            "the ledger missed an instance or task change"
        );
        // The task records replace the cluster's tasks before the bill
        // is drawn up, so the bill's rows never add to both.
        let fargate_tasks = self.fargate_tasks_billed();
        let tasks = self.task_records();
        early(super::Early::Tasks(&tasks));
        let (cost_rows, cost, commitments) = self.bill(fargate_tasks);
        let summary = Summary {
            scenario: self.spec.name.clone(),
            seed: self.seed,
            start_time: crate::sim::calendar::format_utc(self.spec.start_epoch_s),
            horizon_s: self.spec.horizon.as_secs_f64(),
            events_processed: self.queue.popped(),
            instances_launched: self.inst_meta.len() as u64,
            tasks_placed,
            unplaceable_by_reason: unplaceable,
            instances_in_use_mean: round4(use_mean),
            instances_in_use_max: use_max as u32,
            cpu_reservation_mean_pct: round4(cpu_mean),
            cpu_reservation_max_pct: round4(cpu_max),
            memory_reservation_mean_pct: round4(mem_mean),
            memory_reservation_max_pct: round4(mem_max),
            tasks_stopped_gracefully: self.services.iter().map(|s| s.graceful).sum::<u64>()
                + self.jobs.iter().map(|j| j.graceful).sum::<u64>(),
            tasks_killed: self.services.iter().map(|s| s.killed).sum::<u64>()
                + self.jobs.iter().map(|j| j.killed).sum::<u64>(),
            services,
            jobs,
            instances_launched_by_purchase: launched_by,
            instance_hours_by_purchase: hours_by,
            interruptions: self.interruptions.clone(),
            dropped_pct: if requests > 0.0 {
                round4(100.0 * dropped / requests)
            } else {
                0.0
            },
            cost,
            failures: (self.spec.failures.is_used()).then(|| self.failure_summary()),
            slo: Vec::new(),
        };
        let summary = Summary {
            slo: crate::slo::judge_summary(&self.spec.slo.objectives, &summary),
            ..summary
        };
        let instances = self
            .inst_meta
            .iter()
            .zip(self.cluster.instances())
            .map(|(m, i)| InstanceRecord {
                instance: i.ec2_instance_id.clone(),
                group: self.spec.instance_groups[m.group].name.clone(),
                instance_type: i.instance_type.clone(),
                az: i.az.clone(),
                purchase: m.purchase.as_str(),
                price_usd_per_hour: m.price_at_launch,
                launched: i.launched_at,
                registered: i.registered_at,
                draining: m.drained_at,
                terminated: i.terminated_at,
                termination: m.termination,
            })
            .collect();
        RunResult {
            summary,
            columns,
            timeseries: series,
            events,
            tasks,
            instances,
            cost: cost_rows,
            commitments,
            explanations: self.placer.explained,
        }
    }

    /// The task records, made out of the cluster's tasks: tasks are taken
    /// from the end and their storage given back every 64k tasks, so the
    /// two are never both whole in memory. Each text is a key (a service,
    /// an instance, a state...) that becomes a label once, at the end.
    /// Without task records (a summary-only run), none are made.
    fn task_records(&mut self) -> TaskRecords {
        let mut left = self.cluster.take_tasks();
        if !self.task_records {
            // Nothing reads them any more: the bill is drawn up without.
            return TaskRecords::default();
        }
        let instances = self.cluster.instances().len() as u32;
        let services = self.spec.services.len() as u32;
        // The retired tasks' rows are set already. A new builder's columns
        // are the records' own, handed over without a copy when finished.
        let rows = self.cluster.tasks_created() as usize;
        let mut b = match self.retired.rows.take() {
            Some(mut b) => {
                b.resize(rows);
                b
            }
            None => TaskRecordsBuilder::new(rows),
        };
        let keys = &mut self.retired.keys;
        let fargate = &self.fargate.tasks;
        b.fill(std::iter::from_fn(|| {
            let t = left.pop()?;
            if left.len().is_multiple_of(65_536) {
                left.shrink_to_fit();
            }
            let row = keys.row(&t, fargate.get(&t.id), instances, services);
            Some((t.id.index(), row))
        }));
        drop(left);
        let owners: Vec<&str> = (self.spec.services.iter().map(|s| s.name.as_str()))
            .chain(self.spec.jobs.iter().map(|j| j.name.as_str()))
            .collect();
        let cluster = &self.cluster;
        let defs = &self.spec.task_definitions;
        let RowKeys {
            fargate_azs,
            reasons,
        } = &self.retired.keys;
        b.finish_with(|k, c| {
            let i = k as usize;
            match c {
                Column::GROUP => cluster.group_name(crate::model::GroupId(k)).to_string(),
                Column::OWNER => owners[i].to_string(),
                Column::FAMILY => defs[i].def.family.clone(),
                Column::CAPACITY => CAPACITIES[i].to_string(),
                Column::INSTANCE => cluster.instances()[i].ec2_instance_id.clone(),
                Column::INSTANCE_TYPE => cluster.instances()[i].instance_type.clone(),
                Column::AZ if k < instances => cluster.instances()[i].az.clone(),
                Column::AZ => fargate_azs[(k - instances) as usize].clone(),
                Column::STATE => state_text(k).to_string(),
                _ => reasons[i].code(),
            }
        })
    }

    /// Retires the records of the oldest finished tasks (see
    /// [`Cluster::retire_tasks`](crate::model::Cluster::retire_tasks)),
    /// keeping what the report needs of them: their share of the summary
    /// and, when the run keeps task records, their rows. Only tasks nothing
    /// refers to any more are retired: job tasks on instances (a Fargate
    /// task's bill and a capacity provider's queue name theirs until the
    /// end), stopped, with no event about them still to come.
    pub(super) fn retire_tasks(&mut self) {
        let now = self.queue.now();
        let services = self.spec.services.len() as u32;
        let groups = self.services.len() + self.jobs.len();
        let Simulation {
            cluster,
            fargate,
            task_provider,
            doomed,
            request_at,
            retired,
            task_records,
            ..
        } = self;
        if retired.waits.len() < groups {
            retired.waits.resize(groups, DurationsMs::default());
            retired.provisioning.resize(groups, DurationsMs::default());
        }
        cluster.retire_tasks(now, |t| {
            let TaskOwner::Job(j) = t.owner else {
                return false;
            };
            if fargate.tasks.contains_key(&t.id)
                || task_provider.contains_key(&t.id)
                || doomed.contains(&t.id)
            {
                return false;
            }
            // Mostly empty where tasks are retired (jobs answer no
            // request): a hash map's look-up costs its hashing even then.
            let asked = if request_at.is_empty() {
                None
            } else {
                request_at.remove(&t.id)
            };
            let g = services as usize + j.index();
            add_waits(
                t,
                asked,
                &mut retired.waits[g],
                &mut retired.provisioning[g],
            );
            if t.pending_at.is_some() {
                retired.placed += 1;
            }
            if *task_records {
                // Not a Fargate task: no key after the instances' is made.
                let row = retired.keys.row(t, None, 0, services);
                retired.batch.push((t.id.index(), row));
            }
            true
        });
        if let Some(last) = retired.batch.iter().map(|&(row, _)| row).max() {
            let rows = retired.rows.get_or_insert_with(TaskRecordsBuilder::growing);
            if last >= rows.len() {
                rows.resize((last + 1).next_power_of_two().max(4096));
            }
            rows.fill(retired.batch.drain(..));
        }
    }

    /// Per reporting group (services, then jobs), from the task records:
    /// the waits from request to RUNNING of the tasks that reached RUNNING,
    /// and the time in PROVISIONING of those and of the tasks that timed
    /// out there (0 for tasks placed at once), milliseconds. A service
    /// task's request is the one it answered (`request_at`), else its
    /// creation, which for a job task is its submission.
    fn waits(&mut self) -> (Vec<DurationsMs>, Vec<DurationsMs>) {
        let groups = self.services.len() + self.jobs.len();
        // The retired tasks come first: they are the oldest.
        let mut waits = std::mem::take(&mut self.retired.waits);
        let mut provisioning = std::mem::take(&mut self.retired.provisioning);
        waits.resize(groups, DurationsMs::default());
        provisioning.resize(groups, DurationsMs::default());
        for t in self.cluster.tasks() {
            let g = match t.owner {
                TaskOwner::Service(s) | TaskOwner::Daemon(s) => s.index(),
                TaskOwner::Job(j) => self.services.len() + j.index(),
            };
            let asked = self.request_at.get(&t.id).copied();
            add_waits(t, asked, &mut waits[g], &mut provisioning[g]);
        }
        (waits, provisioning)
    }

    /// Whom each per-entity column of the time series is about.
    fn sample_columns(&self) -> SampleColumns {
        let mut group_names: Vec<String> =
            self.spec.services.iter().map(|s| s.name.clone()).collect();
        group_names.extend(self.spec.jobs.iter().map(|j| j.name.clone()));
        SampleColumns {
            desired: self.spec.services.iter().map(|s| s.name.clone()).collect(),
            tasks: group_names,
            provisioning: self
                .spec
                .services
                .iter()
                .filter(|s| matches!(s.capacity, super::Capacity::Asg(_)))
                .map(|s| s.name.clone())
                .collect(),
            alarms: self
                .spec
                .services
                .iter()
                .filter(|s| s.scaling.as_ref().is_some_and(|sc| !sc.tracking.is_empty()))
                .map(|s| s.name.clone())
                .collect(),
            providers: self
                .spec
                .capacity_providers
                .iter()
                .map(|c| c.name.clone())
                .collect(),
            load: self
                .spec
                .services
                .iter()
                .filter(|s| s.demand.is_some())
                .map(|s| s.name.clone())
                .collect(),
        }
    }
}

/// The task owner of service `s`.
fn owner_of(s: usize, daemon: bool) -> TaskOwner {
    let id = ServiceId(s as u32);
    if daemon {
        TaskOwner::Daemon(id)
    } else {
        TaskOwner::Service(id)
    }
}

/// Adds task `t`'s wait from request to RUNNING (if it reached RUNNING)
/// to `waits`, and its time in PROVISIONING (see [`Simulation::waits`])
/// to `provisioning`. `asked` is the request it answered, if not its
/// creation.
fn add_waits(
    t: &Task,
    asked: Option<SimTime>,
    waits: &mut DurationsMs,
    provisioning: &mut DurationsMs,
) {
    if let Some(running) = t.running_at.get() {
        waits.push((running - asked.unwrap_or(t.created_at)).as_millis());
    }
    let left_provisioning = match (t.pending_at.get(), t.stop_reason) {
        (Some(p), _) => Some(p),
        (None, Some(StopReason::ProvisioningTimedOut)) => t.stopped_at.get(),
        _ => None,
    };
    if let Some(at) = left_provisioning {
        if t.running_at.is_some() || t.pending_at.is_none() {
            provisioning.push((at - t.created_at).as_millis());
        }
    }
}

/// What the report keeps of the tasks the cluster retired during the run
/// (see [`Simulation::retire_tasks`]), oldest first.
#[derive(Default)]
pub(super) struct Retired {
    /// How many were placed (entered PENDING).
    placed: u64,
    /// Per reporting group, as [`Simulation::waits`] gives them.
    waits: Vec<DurationsMs>,
    provisioning: Vec<DurationsMs>,
    /// Their task records' rows, when the run keeps them.
    rows: Option<TaskRecordsBuilder>,
    /// The rows of one call's retired tasks, set in the builder together
    /// (its columns borrowed once); empty between calls.
    batch: Vec<(usize, TaskRow)>,
    /// The keys of the rows' texts made so far.
    keys: RowKeys,
}

/// Keys of the task records' texts that are not indices of the run's own
/// tables: Fargate AZs and stop reasons, by order of first sight.
#[derive(Default)]
struct RowKeys {
    fargate_azs: Vec<String>,
    reasons: Vec<StopReason>,
}

impl RowKeys {
    /// Task `t`'s row (`fargate`: its Fargate placement, if it has one;
    /// Fargate AZ keys come after the `instances` instances' own).
    fn row(
        &mut self,
        t: &Task,
        fargate: Option<&super::fargate::FargateMeta>,
        instances: u32,
        services: u32,
    ) -> TaskRow {
        let host = t.instance.map(|i| i.0);
        let az = match fargate {
            Some(m) => Some(
                instances
                    + match self.fargate_azs.iter().position(|a| *a == m.az) {
                        Some(k) => k as u32,
                        None => {
                            self.fargate_azs.push(m.az.clone());
                            (self.fargate_azs.len() - 1) as u32
                        }
                    },
            ),
            None => host,
        };
        let stop_reason = t.stop_reason.map(|r| {
            (match self.reasons.iter().position(|&x| x == r) {
                Some(k) => k,
                None => {
                    self.reasons.push(r);
                    self.reasons.len() - 1
                }
            }) as u32
        });
        TaskRow {
            id: t.id.0,
            group: t.group.0,
            owner: match t.owner {
                TaskOwner::Service(s) | TaskOwner::Daemon(s) => s.0,
                TaskOwner::Job(j) => services + j.0,
            },
            family: t.def.0,
            capacity: capacity_key(fargate.is_some(), fargate.is_some_and(|m| m.spot)),
            instance: host,
            instance_type: host,
            az,
            state: state_key(t.state),
            created: t.created_at,
            pending: t.pending_at.get(),
            running: t.running_at.get(),
            stopping: t.stopping_at.get(),
            stopped: t.stopped_at.get(),
            stop_reason,
        }
    }
}
