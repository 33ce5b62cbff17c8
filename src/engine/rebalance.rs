//! Service Availability Zone rebalancing (ECS-MODEL X2,
//! `availabilityZoneRebalancing`).
//!
//! A service is *eligible* when rebalancing is ENABLED (the default, as for
//! a service created today), it is a REPLICA service, its maximumPercent is
//! above 100, no placement constraint reads the AZ, and its first placement
//! strategy is `spread(attribute:ecs.availability-zone)` (P6's default) or
//! it runs on Fargate (which spreads over AZs itself, F1).
//!
//! The AZs of an EC2 service are those with an ACTIVE instance its
//! constraints admit; of a Fargate service, the configured Fargate AZs. The
//! service is *unbalanced* when, at steady state (desired tasks, all
//! healthy, no deployment, nothing being replaced), one AZ holds at least
//! two tasks more than another: with desired `d` over `k` AZs each AZ
//! should hold `floor(d / k)` or `ceil(d / k)` (at least one each when
//! `d >= k`). Then, within maximumPercent, tasks are started in the
//! under-represented AZs — on EC2 only on room that exists (it never
//! launches instances or leaves a task PROVISIONING) — and each one that
//! becomes healthy lets one task stop in the most represented AZ, chosen
//! by the service's scale-in order (P8) among unprotected tasks (X3). A
//! deployment suspends it: a task started to rebalance that is healthy
//! during a deployment stops nothing. Tasks whose over-represented AZ holds
//! only protected tasks are not moved.
//!
//! The pass runs when the scheduler has looked at a service, when one of
//! its tasks becomes healthy or stops, and when an instance becomes ACTIVE
//! (so tasks move back when instances register again in an AZ that had
//! none). Model choices: at most `moves needed` tasks start at once (also
//! capped by maximumPercent); candidate instances are ranked by the
//! service's own strategy with a random stream of its own
//! (`"az-rebalancing"`), so that a pass that starts nothing changes no
//! other draw.
//!
//! Events use ECS's words (SERVICE_REBALANCING_STARTED / COMPLETED,
//! TASKS_STARTED / TASKS_STOPPED). Owns [`Rebalance`]
//! (`ServiceState::rebalance`), changed only here.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Capacity, Cause, ServiceSpec, Simulation};
use crate::model::{
    attrs, InstanceId, InstanceState, ServiceId, StopReason, TaskId, TaskOwner, TaskState,
};
use crate::placement::{self, scale_in, Constraint, SpreadField, Strategy};

/// A service's rebalancing state.
#[derive(Debug, Clone, Default)]
pub(super) struct Rebalance {
    /// X2 applies to the service.
    pub eligible: bool,
    /// Tasks started to rebalance that are not yet healthy.
    pub incoming: Vec<TaskId>,
    /// A rebalancing operation is in progress (STARTED was reported).
    active: bool,
    /// Operations started over the run.
    pub operations: u64,
    /// Tasks started to rebalance over the run.
    pub started: u64,
    /// Tasks stopped to rebalance over the run.
    pub stopped: u64,
    /// The AZs the service could place in, as last found (kept only when
    /// the placement constraints read no task, see `service_azs`).
    azs: Option<KeptAzs>,
}

/// A service's AZs as found for a revision, with an ACTIVE instance its
/// constraints admit in each, when the cluster had had `seen` activations.
#[derive(Debug, Clone)]
struct KeptAzs {
    rev: usize,
    seen: usize,
    /// Shared with the passes that read them (a pass after every task
    /// event of the service, most finding it balanced at once).
    azs: Arc<[String]>,
    witnesses: Vec<InstanceId>,
}

/// Whether X2 applies to a service with this spec, placement strategy chain
/// (after P6's default) and constraints (the service's and its task
/// definition's).
pub(super) fn eligible(
    spec: &ServiceSpec,
    strategies: &[Strategy],
    constraints: &[Constraint],
) -> bool {
    let az_first = matches!(
        strategies.first(),
        Some(Strategy::Spread(SpreadField::Attribute(a))) if a == attrs::AZ
    );
    let az_constraint = constraints.iter().any(|c| match c {
        Constraint::MemberOf(q) => q.source().contains(attrs::AZ),
        Constraint::DistinctInstance => false,
    });
    spec.az_rebalancing
        && spec.kind != super::ServiceKind::Daemon
        && spec.deployment.maximum_percent > 100
        && !az_constraint
        && (az_first || spec.capacity.is_fargate())
}

/// Counts per AZ name, sorted by name: the service's AZs at 0, then any
/// other AZ as it is counted (a handful of AZs: a sorted vector, no map).
struct Counts<'a>(Vec<(&'a str, u32)>);

impl<'a> Counts<'a> {
    fn of(azs: &'a [String]) -> Counts<'a> {
        let mut v: Vec<(&str, u32)> = azs.iter().map(|a| (a.as_str(), 0)).collect();
        v.sort_unstable();
        v.dedup_by_key(|c| c.0);
        Counts(v)
    }

    fn add(&mut self, az: &'a str, n: u32) {
        match self.0.binary_search_by(|c| c.0.cmp(az)) {
            Ok(i) => self.0[i].1 += n,
            Err(i) => self.0.insert(i, (az, n)),
        }
    }
}

/// ECS's list of counts: "3 tasks in a, 1 in b, and 0 in c" (`every`
/// repeats "tasks" after each count, as the COMPLETED message does).
fn az_list(counts: &[(String, u32)], every: bool) -> String {
    let parts: Vec<String> = counts
        .iter()
        .enumerate()
        .map(|(i, (az, n))| {
            if i == 0 || every {
                format!("{n} tasks in {az}")
            } else {
                format!("{n} in {az}")
            }
        })
        .collect();
    match parts.len() {
        0 => String::new(),
        1 => parts[0].clone(),
        2 => format!("{} and {}", parts[0], parts[1]),
        n => format!("{}, and {}", parts[..n - 1].join(", "), parts[n - 1]),
    }
}

impl Simulation {
    /// The AZ of a task of service `s` (its instance's, or its Fargate AZ).
    fn task_az(&self, t: TaskId) -> Option<&str> {
        if let Some(m) = self.fargate.tasks.get(&t) {
            return Some(m.az.as_str());
        }
        let i = self.cluster.task(t).instance?;
        Some(self.cluster.instance(i).az.as_str())
    }

    /// The AZs service `s` can place in now, sorted: for EC2, those with
    /// an ACTIVE instance its constraints admit (an AZ whose instances are
    /// gone drops out, and comes back when one registers); for Fargate, the
    /// configured Fargate AZs less those in an outage (X1).
    fn service_azs(&mut self, s: ServiceId) -> Arc<[String]> {
        let rev = self.services[s].current;
        let seen = self.cluster.activations().len();
        if let Some(kept) = &self.services[s].rebalance.azs {
            if kept.rev == rev && self.kept_azs_hold(s, kept) {
                debug_assert_eq!(*kept.azs, self.find_service_azs(s).0, "kept AZs of {s}");
                let kept = (self.services[s].rebalance.azs.as_mut()).expect("kept AZs");
                kept.seen = seen;
                return kept.azs.clone();
            }
        }
        let (azs, witnesses) = self.find_service_azs(s);
        let azs: Arc<[String]> = azs.into();
        if self.azs_depend_on_instances_only(s) {
            self.services[s].rebalance.azs = Some(KeptAzs {
                rev,
                seen,
                azs: azs.clone(),
                witnesses,
            });
        }
        azs
    }

    /// Whether the AZs kept for service `s` are its AZs still. They are
    /// while the instance found in each is ACTIVE (the answers of the
    /// service's constraints stay while it is) and no instance that became
    /// ACTIVE since, in another AZ, is admitted: an instance leaving ACTIVE
    /// elsewhere, launching or terminating changes nothing, so most changes
    /// of a large cluster cost a look at a few instances, not a search.
    fn kept_azs_hold(&self, s: ServiceId, kept: &KeptAzs) -> bool {
        let active = |i: InstanceId| self.cluster.instance(i).state == InstanceState::Active;
        if !kept.witnesses.iter().all(|&w| active(w)) {
            return false;
        }
        let joined = &self.cluster.activations()[kept.seen..];
        if joined.is_empty() {
            return true;
        }
        let admitted = self.admission(s);
        joined
            .iter()
            .all(|&i| !active(i) || kept.azs.contains(&self.cluster.instance(i).az) || !admitted(i))
    }

    /// Whether service `s`'s constraints admit an instance (of its current
    /// revision; for a capacity provider strategy, any provider's).
    fn admission(&self, s: ServiceId) -> impl Fn(InstanceId) -> bool + '_ {
        let capacity = &self.spec.services[s].capacity;
        let svc = &self.services[s];
        let rev = &svc.revisions[svc.current];
        let policies: Vec<&placement::Policy> = match capacity {
            Capacity::Asg(_) => rev.providers.iter().collect(),
            _ => vec![&rev.policy],
        };
        // The constraint checks resolved once, not once per instance.
        let unconstrained = policies.iter().any(|p| p.constraints().is_empty());
        let checkers: Vec<_> = policies.iter().map(|p| p.checker(&self.cluster)).collect();
        let group = svc.group;
        move |i: InstanceId| {
            unconstrained
                || checkers
                    .iter()
                    .any(|c| c.admits_id(&self.cluster, i, group))
        }
    }

    /// Whether [`find_service_azs`](Self::find_service_azs) depends only on
    /// which instances are ACTIVE: an EC2 service whose constraints are all
    /// `memberOf` expressions that read no task (their answers are fixed
    /// while an instance is ACTIVE).
    fn azs_depend_on_instances_only(&self, s: ServiceId) -> bool {
        let capacity = &self.spec.services[s].capacity;
        if capacity.is_fargate() {
            return false;
        }
        let svc = &self.services[s];
        let rev = &svc.revisions[svc.current];
        let task_free = |p: &placement::Policy| {
            p.constraints()
                .iter()
                .all(|c| matches!(c, placement::Constraint::MemberOf(q) if !q.reads_tasks()))
        };
        match capacity {
            Capacity::Asg(_) => rev.providers.iter().all(task_free),
            _ => task_free(&rev.policy),
        }
    }

    /// [`service_azs`](Self::service_azs) found from the instances, with an
    /// ACTIVE instance the service's constraints admit in each AZ (none for
    /// Fargate).
    fn find_service_azs(&self, s: ServiceId) -> (Vec<String>, Vec<InstanceId>) {
        let capacity = &self.spec.services[s].capacity;
        if capacity.is_fargate() {
            let mut azs = self.spec.fargate.availability_zones.clone();
            azs.retain(|a| !self.failures.is_down(a));
            azs.sort();
            azs.dedup();
            return (azs, Vec::new());
        }
        let admitted = self.admission(s);
        let mut found: Vec<(&str, InstanceId)> = Vec::new();
        let level =
            (self.cluster.find_attribute(attrs::AZ)).and_then(|a| self.cluster.index().level(a));
        match level {
            Some(level) => {
                for part in level.values() {
                    if let Some(&i) = part.members.iter().find(|&&i| admitted(i)) {
                        found.push((&self.cluster.instance(i).az, i));
                    }
                }
            }
            None => {
                for inst in self.cluster.instances() {
                    if inst.is_active() && admitted(inst.id) {
                        found.push((&inst.az, inst.id));
                    }
                }
            }
        }
        // Sorted by AZ, the first instance found in each.
        found.sort_by_key(|&(az, _)| az);
        found.dedup_by_key(|&mut (az, _)| az);
        found.into_iter().map(|(az, i)| (az.to_string(), i)).unzip()
    }

    /// Tasks started to rebalance that are still starting (in `live`, not
    /// yet healthy): the scheduler does not count them toward the desired
    /// count until they are healthy.
    pub(super) fn rebalance_in_flight(&self, s: ServiceId) -> u32 {
        let svc = &self.services[s];
        if svc.rebalance.incoming.is_empty() {
            return 0;
        }
        (svc.rebalance.incoming.iter())
            .filter(|t| svc.live.contains(t))
            .count() as u32
    }

    /// Per AZ (the service's AZs, then any other AZ holding its tasks):
    /// its live tasks, sorted by AZ name. At steady state (every live task
    /// RUNNING on an ACTIVE instance, nothing else of the group there) the
    /// cluster's per-AZ counts of the group give it without walking the
    /// tasks; otherwise, or when they do not add up, the tasks are walked.
    fn az_counts<'a>(&'a self, s: ServiceId, azs: &'a [String]) -> Vec<(&'a str, u32)> {
        if let Some(counts) = self.az_counts_indexed(s, azs) {
            debug_assert_eq!(counts, self.az_counts_walk(s, azs), "AZ counts of {s}");
            return counts;
        }
        self.az_counts_walk(s, azs)
    }

    /// [`az_counts`](Self::az_counts) by walking the service's live
    /// tasks.
    fn az_counts_walk<'a>(&'a self, s: ServiceId, azs: &'a [String]) -> Vec<(&'a str, u32)> {
        let mut counts = Counts::of(azs);
        for &t in &self.services[s].live {
            if let Some(az) = self.task_az(t) {
                counts.add(az, 1);
            }
        }
        counts.0
    }

    /// [`az_counts`](Self::az_counts) from the cluster's counters of the
    /// service's group per AZ value, when the AZ attribute is counted and
    /// the counts account for every live task.
    fn az_counts_indexed<'a>(
        &'a self,
        s: ServiceId,
        azs: &'a [String],
    ) -> Option<Vec<(&'a str, u32)>> {
        if self.spec.services[s].capacity.is_fargate() {
            return None;
        }
        let attr = self.cluster.find_attribute(attrs::AZ)?;
        if !self.cluster.counted_attributes().contains(&attr) {
            return None;
        }
        let level = self.cluster.index().level(attr)?;
        let group = self.services[s].group;
        let mut counts = Counts::of(azs);
        let mut total = 0usize;
        for (&value, part) in level {
            let n = self.cluster.group_count_on_value(group, attr, value);
            if n == 0 {
                continue;
            }
            let &i = part.members.first()?;
            counts.add(self.cluster.instance(i).az.as_str(), n);
            total += n as usize;
        }
        (total == self.services[s].live.len()).then_some(counts.0)
    }

    /// X2: one rebalancing pass over service `s` (see the module doc).
    pub(super) fn rebalance(&mut self, s: ServiceId) {
        let svc = &self.services[s];
        if !svc.rebalance.eligible
            || svc.frozen_or_deploying()
            || !svc.retiring.is_empty()
            || !svc.unhealthy.is_empty()
        {
            return;
        }
        let live = &svc.live;
        if svc.rebalance.incoming.iter().any(|t| live.contains(t)) {
            return;
        }
        self.services[s].rebalance.incoming.clear();
        let svc = &self.services[s];
        let desired = svc.desired;
        let now = self.queue.now();
        if !svc.at_desired_count() || self.in_service(s, now, true) != desired {
            return;
        }
        let azs = self.service_azs(s);
        if azs.len() < 2 {
            return;
        }
        // Most passes find the service balanced and say nothing: the counts
        // are read with the names borrowed, and copied only when they are
        // to be reported or acted on.
        let (max, min, counts) = {
            let counts = self.az_counts(s, &azs);
            let max = counts.iter().map(|c| c.1).max().unwrap_or(0);
            let min = (counts.iter())
                .filter(|c| azs.iter().any(|a| a == c.0))
                .map(|c| c.1)
                .min()
                .unwrap_or(0);
            let needed = max >= min + 2 || self.services[s].rebalance.active;
            let owned: Vec<(String, u32)> = if needed {
                (counts.iter()).map(|&(a, n)| (a.to_string(), n)).collect()
            } else {
                Vec::new()
            };
            (max, min, owned)
        };
        if max < min + 2 {
            if self.services[s].rebalance.active {
                self.services[s].rebalance.active = false;
                let name = self.service_name(s).to_string();
                self.recorder.event(
                    now,
                    &name,
                    "rebalancing-completed",
                    format!(
                        "service ({name}) is AZ balanced with {}.",
                        az_list(&counts, true)
                    ),
                );
            }
            return;
        }
        // Protected tasks are not moved (X3): some task of a fullest AZ must be free.
        let movable = self.services[s].live.iter().any(|&t| {
            !self.is_protected(s, t)
                && self
                    .task_az(t)
                    .is_some_and(|az| counts.iter().any(|c| c.0 == az && c.1 == max))
        });
        if !movable {
            return;
        }
        // Within maximumPercent (D1).
        let (_, max_tasks) = self.spec.services[s].deployment.limits(desired);
        let c = self.cluster.owner_counts(self.services[s].owner(s));
        let room = max_tasks.saturating_sub(c.pending + c.running + c.stopping);
        let k = azs.len() as u32;
        let (lo, hi) = (desired / k, desired.div_ceil(k));
        let short: u32 = (counts.iter())
            .filter(|c| azs.contains(&c.0))
            .map(|c| lo.saturating_sub(c.1))
            .sum();
        let excess: u32 = counts.iter().map(|c| c.1.saturating_sub(hi)).sum();
        let wanted = short.max(excess).min(room);
        let mut now_counts: BTreeMap<String, u32> = counts.iter().cloned().collect();
        let mut started: BTreeMap<String, Vec<TaskId>> = BTreeMap::new();
        for _ in 0..wanted {
            let Some((t, az)) = self.start_rebalancing_task(s, &azs, &now_counts, hi) else {
                break;
            };
            *now_counts.entry(az.clone()).or_default() += 1;
            started.entry(az).or_default().push(t);
        }
        if started.is_empty() {
            return;
        }
        let name = self.service_name(s).to_string();
        let rb = &mut self.services[s].rebalance;
        if !rb.active {
            rb.active = true;
            rb.operations += 1;
            self.recorder.event(
                now,
                &name,
                "rebalancing-started",
                format!(
                    "service ({name}) is not AZ balanced with {}. AZ Rebalancing in progress.",
                    az_list(&counts, false)
                ),
            );
        }
        for (az, tasks) in started {
            let rb = &mut self.services[s].rebalance;
            rb.started += tasks.len() as u64;
            rb.incoming.extend(tasks.iter().copied());
            let ids: Vec<String> = tasks.iter().map(|t| t.0.to_string()).collect();
            self.recorder.event(
                now,
                &name,
                "rebalancing-tasks-started",
                format!(
                    "{name} has started {} tasks in {az} to AZ Rebalance: {}.",
                    tasks.len(),
                    ids.join(", ")
                ),
            );
        }
    }

    /// Starts one task of service `s` in an AZ holding fewer than `hi` of
    /// its tasks, on room that exists; returns it with its AZ.
    fn start_rebalancing_task(
        &mut self,
        s: ServiceId,
        azs: &[String],
        counts: &BTreeMap<String, u32>,
        hi: u32,
    ) -> Option<(TaskId, String)> {
        let under =
            |az: &str| azs.iter().any(|a| a == az) && counts.get(az).copied().unwrap_or(0) < hi;
        let svc = &self.services[s];
        let spec = self.new_task(
            svc.revisions[svc.current].task_def,
            svc.group,
            TaskOwner::Service(s),
        );
        let capacity = self.spec.services[s].capacity.clone();
        let id = match &capacity {
            Capacity::Fargate(_) => {
                let live = self.services[s].live.clone();
                let provider = self.fargate_provider(&capacity, &live);
                // Fargate places in the AZ with the fewest of the service's tasks (F1).
                let id = self.launch_fargate(spec, &capacity, provider, &live).ok()?;
                let az = self.fargate.tasks.get(&id).map(|m| m.az.clone())?;
                self.services[s].live.push(id);
                self.launched(s);
                return Some((id, az));
            }
            Capacity::Asg(_) => {
                let live = self.services[s].live.clone();
                let p = self.asg_provider(&capacity, &live);
                let svc = &self.services[s];
                let policy = &svc.revisions[svc.current].providers[p.index()];
                let inst = placement::decide(
                    &self.cluster,
                    policy,
                    &spec.req(),
                    &mut self.streams.rebalance,
                )
                .ok()?;
                if !under(&self.cluster.instance(inst).az) {
                    return None;
                }
                let id = self.start_on(spec, inst);
                self.task_provider.insert(id, p);
                id
            }
            Capacity::Ec2 => {
                let svc = &self.services[s];
                let inst = placement::decide(
                    &self.cluster,
                    svc.policy(),
                    &spec.req(),
                    &mut self.streams.rebalance,
                )
                .ok()?;
                if !under(&self.cluster.instance(inst).az) {
                    return None;
                }
                self.start_on(spec, inst)
            }
        };
        let az = self.task_az(id).unwrap_or_default().to_string();
        self.services[s].live.push(id);
        self.launched(s);
        Some((id, az))
    }

    /// X2: a task started to rebalance is healthy: one task of the most
    /// represented AZ stops (not during a deployment, never a protected
    /// one). Returns whether `t` was such a task.
    pub(super) fn rebalance_task_healthy(&mut self, s: ServiceId, t: TaskId) -> bool {
        let rb = &mut self.services[s].rebalance;
        let Some(pos) = rb.incoming.iter().position(|&x| x == t) else {
            return false;
        };
        rb.incoming.remove(pos);
        let svc = &self.services[s];
        if svc.frozen_or_deploying() || !svc.live.contains(&t) {
            return true;
        }
        // Only when the service holds more than its desired count (a scale-in
        // meanwhile may already have removed the extra task).
        let in_flight = self.rebalance_in_flight(s);
        if svc.live.len() as u32 <= svc.desired + in_flight {
            return true;
        }
        let candidates: Vec<TaskId> = (svc.live.iter())
            .copied()
            .filter(|x| !svc.rebalance.incoming.contains(x) && *x != t)
            .filter(|&x| self.cluster.task(x).state == TaskState::Running)
            .collect();
        let candidates = self.unprotected(s, &candidates);
        let svc = &self.services[s];
        let victims = if self.spec.services[s].capacity.is_fargate() {
            self.fargate_victims(&candidates, 1)
        } else {
            scale_in::choose_victims(
                &self.cluster,
                svc.policy(),
                &candidates,
                1,
                &mut self.streams.rebalance,
            )
        };
        let now = self.queue.now();
        let name = self.service_name(s).to_string();
        for v in victims {
            let az = self.task_az(v).unwrap_or_default().to_string();
            self.stop_task(v, StopReason::ScaledIn, Cause::Other);
            self.services[s].rebalance.stopped += 1;
            self.recorder.event(
                now,
                &name,
                "rebalancing-tasks-stopped",
                format!(
                    "{name} has stopped 1 running tasks in {az} due to AZ rebalancing: {}.",
                    v.0
                ),
            );
        }
        true
    }

    /// X2: an instance became ACTIVE: every service may rebalance onto it.
    pub(super) fn rebalance_all(&mut self) {
        for k in 0..self.rebalance_eligible.len() {
            let s = self.rebalance_eligible[k];
            // While a cluster comes up, every instance's arrival meets
            // services still being placed: skipped here without the pass's
            // other checks. (The pass would also have forgotten its
            // rebalancing tasks that are no longer live; no count reads
            // those.)
            if self.services[s].at_desired_count() {
                self.rebalance(s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::spec;
    use super::super::Simulation;
    use crate::model::{attrs, Cluster, InstanceState, NewInstance, ServiceId};
    use crate::sim::SimTime;

    /// Whether X2 applies to the single service `web` configured by `extra`
    /// (`kind` is its scheduling strategy and launch type lines).
    fn applies(kind: &str, extra: &str) -> bool {
        let sp = spec(&format!(
            r#"
name = "x2"
seed = 1
duration = "1h"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.xlarge"]
count = 2
[[taskDefinitions]]
family = "web"
cpu = "256"
memory = "512"
networkMode = "awsvpc"
containerDefinitions = [{{ name = "app", image = "web:1", cpu = 256, memory = 512 }}]
[[services]]
serviceName = "web"
taskDefinition = "web"
{kind}
{extra}
"#
        ));
        let mut cluster = Cluster::new();
        let s = &sp.services[ServiceId(0).index()];
        super::super::services::ServiceState::from_spec(&sp, s, &mut cluster)
            .rebalance
            .eligible
    }

    #[test]
    fn x2_applies_only_to_eligible_services() {
        // ECS-MODEL X2: (scheduling and launch type, extra keys, applies).
        let replica = "desiredCount = 3";
        let daemon = r#"schedulingStrategy = "DAEMON""#;
        let fargate = "desiredCount = 3\nlaunchType = \"FARGATE\"";
        let table = [
            (replica, "", true), // P6 default: spread(AZ) first; ENABLED by default
            (replica, r#"availabilityZoneRebalancing = "ENABLED""#, true),
            (
                replica,
                r#"availabilityZoneRebalancing = "DISABLED""#,
                false,
            ),
            (daemon, "", false),
            (daemon, r#"availabilityZoneRebalancing = "ENABLED""#, false),
            (fargate, "", true), // Fargate spreads over AZs itself (F1)
            (
                replica,
                "deploymentConfiguration = { minimumHealthyPercent = 0, maximumPercent = 100 }",
                false,
            ),
            (
                replica,
                "deploymentConfiguration = { minimumHealthyPercent = 50, maximumPercent = 101 }",
                true,
            ),
            (
                replica,
                r#"placementConstraints = [{ type = "memberOf", expression = "attribute:ecs.availability-zone != us-east-1d" }]"#,
                false,
            ),
            (
                replica,
                r#"placementConstraints = [{ type = "distinctInstance" }]"#,
                true,
            ),
            (
                replica,
                r#"placementStrategy = [{ type = "binpack", field = "cpu" }]"#,
                false,
            ),
            (
                replica,
                r#"placementStrategy = [{ type = "random" }]"#,
                false,
            ),
            (
                replica,
                r#"placementStrategy = [{ type = "spread", field = "attribute:ecs.availability-zone" }, { type = "binpack", field = "cpu" }]"#,
                true,
            ),
        ];
        for (kind, extra, want) in table {
            assert_eq!(applies(kind, extra), want, "{kind} {extra}");
        }
    }

    /// ECS-MODEL X2: the AZs a service can place in are those with an
    /// ACTIVE instance its constraints admit. They are kept between passes
    /// and must follow every instance that joins or leaves: another pool's
    /// instance in a new AZ adds nothing, an admitted one adds its AZ, and
    /// the last admitted instance of an AZ leaving ACTIVE removes it.
    #[test]
    fn kept_azs_follow_the_admitted_instances_x2() {
        let sp = spec(
            r#"
name = "x2-azs"
seed = 1
duration = "1h"
[cluster]
availabilityZones = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]
[[instanceGroups]]
name = "a"
instanceTypes = ["m6i.xlarge"]
availabilityZones = ["us-east-1a", "us-east-1b"]
count = 2
attributes = { pool = "a" }
[[instanceGroups]]
name = "b"
instanceTypes = ["m6i.xlarge"]
availabilityZones = ["us-east-1c"]
count = 1
attributes = { pool = "b" }
[[taskDefinitions]]
family = "web"
cpu = "256"
memory = "512"
containerDefinitions = [{ name = "app", image = "web:1", cpu = 256, memory = 512 }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 2
placementConstraints = [{ type = "memberOf", expression = "attribute:pool == a" }]
"#,
        );
        let mut sim = Simulation::new(&sp, 1);
        sim.run_until(SimTime(600_000));
        let web = ServiceId(0);
        assert!(sim.services[web].rebalance.eligible);
        let azs = |sim: &mut Simulation| {
            let kept = sim.service_azs(web);
            let kept = kept.to_vec();
            assert_eq!(kept, sim.find_service_azs(web).0, "kept against found");
            kept
        };
        assert_eq!(azs(&mut sim), ["us-east-1a", "us-east-1b"]);
        assert!(sim.services[web].rebalance.azs.is_some(), "kept");

        let like = sim.cluster.instance(crate::model::InstanceId(0)).clone();
        let join = |sim: &mut Simulation, pool: &str, az: &str| {
            let id = sim.cluster.add_instance(
                NewInstance {
                    group: like.group,
                    instance_type: like.instance_type.clone(),
                    az: az.to_string(),
                    registered: like.registered,
                    eni_capacity: like.eni_capacity,
                    attributes: vec![
                        (attrs::AZ.to_string(), az.to_string()),
                        ("pool".to_string(), pool.to_string()),
                    ],
                    tie: 7,
                },
                SimTime(600_000),
            );
            sim.cluster.activate_instance(id, SimTime(601_000));
            id
        };
        // Another pool's instance, in an AZ the service has none in.
        join(&mut sim, "b", "us-east-1d");
        assert_eq!(azs(&mut sim), ["us-east-1a", "us-east-1b"]);
        // An admitted one there.
        let d = join(&mut sim, "a", "us-east-1d");
        assert_eq!(azs(&mut sim), ["us-east-1a", "us-east-1b", "us-east-1d"]);
        // The only admitted instance of us-east-1a leaves ACTIVE.
        let in_a = (sim.cluster.instances().iter())
            .find(|i| i.az == "us-east-1a" && i.state == InstanceState::Active)
            .map(|i| i.id)
            .expect("an instance in us-east-1a");
        sim.cluster.set_draining(in_a);
        assert_eq!(azs(&mut sim), ["us-east-1b", "us-east-1d"]);
        // A second admitted instance in us-east-1d: the AZ stays when the
        // first one leaves.
        join(&mut sim, "a", "us-east-1d");
        sim.cluster.set_draining(d);
        assert_eq!(azs(&mut sim), ["us-east-1b", "us-east-1d"]);
    }
}
