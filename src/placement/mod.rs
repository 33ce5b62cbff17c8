//! Task placement on EC2 (ECS-MODEL P1–P10): constraints filter, strategies rank.
//!
//! For each task (P1): (1) candidates are ACTIVE instances with enough CPU,
//! memory, free host ports and ENIs; (2) constraints (`distinctInstance`,
//! `memberOf`) remove more; (3) the strategy chain ranks the rest
//! lexicographically (P5): the first strategy's best key wins, the next one
//! breaks its ties, and so on; (4) ties left after the last strategy go to
//! the instance with the lowest tie-break rank, which is a seeded random
//! order by default or the instance id with `tieBreak = "lowest-id"`.
//! The rank of an instance is drawn once, when it registers.
//!
//! Keys (smaller is preferred):
//!
//! | strategy | key of an instance |
//! |---|---|
//! | `binpack(cpu)` / `binpack(memory)` | remaining CPU units / MiB (P2) |
//! | `spread(instanceId)` | tasks of the task's group on the instance (P3) |
//! | `spread(attribute:X)` | tasks of the group on instances with the same X (P3) |
//! | `random` | a fresh uniform draw per decision (P4) |
//!
//! Policies are pure deciders: [`decide`] reads the cluster and returns an
//! instance or the closest-match reason (P9); the engine applies it. Two
//! implementations give the same answers: `fast` walks the cluster's ordered
//! indexes and stops at the first fit (used for chains of the shape
//! `[spread(attribute)] [binpack | spread(instanceId) | random]`, which covers
//! the defaults and the documented examples), and `reference` scans every
//! instance (used for other chains, for `explain`, and as the test oracle).
//! A `random` decision draws differently in the two, so for chains ending in
//! `random` they agree on the candidate set, not on the draw.
//!
//! One step earlier, [`provider_strategy`] decides which capacity provider
//! (an ASG, `FARGATE` or `FARGATE_SPOT`) a task goes to, from the strategy's
//! `base` and `weight` (ECS-MODEL C6).

pub mod binpack;
pub mod constraint;
pub mod explain;
mod fast;
pub mod provider_strategy;
pub mod query;
pub mod random;
mod reference;
pub mod scale_in;
pub mod spread;

use rand::Rng;

use crate::model::index::Order;
use crate::model::{AttrId, Cluster, InstanceId, Resources, TaskReq, Unfit};
use crate::sim::SimRng;

pub use constraint::Constraint;
pub use explain::Explanation;

/// Most strategies in one chain (P5).
pub const MAX_STRATEGIES: usize = 5;
/// Most constraints on one task, task definition and service combined (P7).
pub const MAX_CONSTRAINTS: usize = 10;

/// The resource `binpack` packs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinpackField {
    /// Remaining CPU units.
    Cpu,
    /// Remaining memory.
    Memory,
}

/// What `spread` balances over.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SpreadField {
    /// Individual instances (`instanceId` or `host`).
    InstanceId,
    /// The values of an attribute (`attribute:<name>`).
    Attribute(String),
}

/// One placement strategy as a scenario states it (`{ type, field }`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// `binpack` on a resource (P2).
    Binpack(BinpackField),
    /// `spread` over a field (P3).
    Spread(SpreadField),
    /// `random` (P4).
    Random,
}

impl Strategy {
    /// ECS notation, e.g. `spread(attribute:ecs.availability-zone)`.
    pub fn describe(&self) -> String {
        match self {
            Strategy::Binpack(BinpackField::Cpu) => "binpack(cpu)".into(),
            Strategy::Binpack(BinpackField::Memory) => "binpack(memory)".into(),
            Strategy::Spread(SpreadField::InstanceId) => "spread(instanceId)".into(),
            Strategy::Spread(SpreadField::Attribute(a)) => format!("spread(attribute:{a})"),
            Strategy::Random => "random".into(),
        }
    }

    /// The service default of P6: spread over AZs, then the instance with the
    /// fewest tasks of the service.
    pub fn service_default() -> Vec<Strategy> {
        vec![
            Strategy::Spread(SpreadField::Attribute(crate::model::attrs::AZ.into())),
            Strategy::Spread(SpreadField::InstanceId),
        ]
    }

    /// The RunTask default of P6: random.
    pub fn run_task_default() -> Vec<Strategy> {
        vec![Strategy::Random]
    }
}

/// How ties left after the last strategy are broken (P5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TieBreak {
    /// A seeded random order of instances (default).
    #[default]
    Random,
    /// The lowest instance id (for teaching and golden tests).
    LowestId,
}

/// A strategy with its attribute resolved against a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Binpack(BinpackField),
    SpreadInstance,
    SpreadAttr(AttrId),
    Random,
}

/// Attribute id of a spread attribute no instance has and no index tracks:
/// every instance lacks it, so the spread level ties them all.
const UNKNOWN_ATTRIBUTE: AttrId = AttrId(u32::MAX);

/// A policy's strategy chain resolved against one cluster.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Steps {
    steps: [Step; MAX_STRATEGIES],
    len: usize,
}

impl std::ops::Deref for Steps {
    type Target = [Step];
    fn deref(&self) -> &[Step] {
        &self.steps[..self.len]
    }
}

/// A strategy chain and constraints: what to decide placements with.
///
/// Building one reads and changes nothing: names (spread attributes,
/// `memberOf` expressions) are resolved against the cluster at each
/// decision. [`Policy::index_in`] asks a cluster to keep the indexes and
/// caches the policy walks, at any time (before or after instances
/// register); without them it decides the same, by scanning.
#[derive(Debug, Clone)]
pub struct Policy {
    strategies: Vec<Strategy>,
    constraints: Vec<Constraint>,
    group: Option<crate::model::GroupId>,
}

impl Policy {
    /// A policy of `strategies` and `constraints` for tasks of `group` (the
    /// group whose per-instance counts `spread(instanceId)` reads).
    ///
    /// # Panics
    /// With more than 5 strategies (P5) or 10 constraints (P7); scenario
    /// validation rejects those with a message first.
    pub fn new(
        strategies: Vec<Strategy>,
        constraints: Vec<Constraint>,
        group: Option<crate::model::GroupId>,
    ) -> Policy {
        assert!(
            strategies.len() <= MAX_STRATEGIES,
            "more than {MAX_STRATEGIES} strategies"
        );
        assert!(
            constraints.len() <= MAX_CONSTRAINTS,
            "more than {MAX_CONSTRAINTS} constraints"
        );
        Policy {
            strategies,
            constraints,
            group,
        }
    }

    /// Asks `cluster` to index what this policy reads, so that its
    /// decisions take the indexed path: the attributes it spreads over are
    /// counted (and partitioned), the order its last strategy walks kept in
    /// the partitions it walks (by remaining memory or CPU for binpack, by
    /// its group's per-instance counts for spread(instanceId)), and its `memberOf` expressions that
    /// do not read tasks cached per instance. Decisions are the same with
    /// or without (a `random` draw aside, see the module doc); the cluster
    /// fills the indexes from its current state, so this may come before or
    /// after instances register.
    pub fn index_in(&self, cluster: &mut Cluster) {
        // Spread attributes are counted (the reference keys read the counts).
        let mut level = None;
        for (i, s) in self.strategies.iter().enumerate() {
            if let Strategy::Spread(SpreadField::Attribute(a)) = s {
                let attr = cluster.track_attribute(a);
                if i == 0 {
                    level = Some(attr);
                }
            }
        }
        // The order the indexed walk reads (the shapes of `fast::plan`): the
        // last step's, in the partitions of a leading spread(attribute) or
        // in the global partition. Other chains are decided by scanning.
        let last = match (&self.strategies[..], level) {
            ([_, last], Some(_)) | ([last], None) => Some(last),
            _ => None,
        };
        // Cached `memberOf` answers filter the order: a walk never
        // accepts an instance they reject.
        let mut filter = 0u64;
        for c in &self.constraints {
            if let Constraint::MemberOf(q) = c {
                if !q.reads_tasks() {
                    let slot = cluster
                        .cache_predicate(std::sync::Arc::new(constraint::MemberOf(q.clone())));
                    if slot < 64 {
                        filter |= 1 << slot;
                    }
                }
            }
        }
        let order = match last {
            Some(Strategy::Binpack(BinpackField::Memory)) => Some(Order::Memory(filter)),
            Some(Strategy::Binpack(BinpackField::Cpu)) => Some(Order::Cpu(filter)),
            Some(Strategy::Spread(SpreadField::InstanceId)) => {
                self.group.map(|g| Order::Group(g, filter))
            }
            _ => None,
        };
        if let Some(order) = order {
            cluster.keep_order(level, order);
        }
    }

    /// [`index_in`](Self::index_in), returning the policy.
    pub fn indexed(self, cluster: &mut Cluster) -> Policy {
        self.index_in(cluster);
        self
    }

    /// The strategies.
    pub fn strategies(&self) -> &[Strategy] {
        &self.strategies
    }

    /// The constraints.
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    /// The chain with its attributes resolved against `cluster`.
    pub(crate) fn steps(&self, cluster: &Cluster) -> Steps {
        let mut steps = Steps {
            steps: [Step::Random; MAX_STRATEGIES],
            len: self.strategies.len(),
        };
        for (slot, s) in steps.steps.iter_mut().zip(&self.strategies) {
            *slot = match s {
                Strategy::Binpack(f) => Step::Binpack(*f),
                Strategy::Spread(SpreadField::InstanceId) => Step::SpreadInstance,
                Strategy::Spread(SpreadField::Attribute(a)) => {
                    Step::SpreadAttr(cluster.find_attribute(a).unwrap_or(UNKNOWN_ATTRIBUTE))
                }
                Strategy::Random => Step::Random,
            };
        }
        steps
    }

    /// The constraint checks resolved against `cluster` (cached `memberOf`
    /// answers found), for the decisions of one task.
    pub(crate) fn checker(&self, cluster: &Cluster) -> Checker<'_> {
        let mut cached = [NOT_CACHED; MAX_CONSTRAINTS];
        for (slot, c) in cached.iter_mut().zip(&self.constraints) {
            if let Constraint::MemberOf(q) = c {
                // A slot past u32 (never in practice) is checked uncached.
                let found = cluster.predicate_slot(q.source());
                *slot = found
                    .and_then(|s| u32::try_from(s).ok())
                    .unwrap_or(NOT_CACHED);
            }
        }
        Checker {
            constraints: &self.constraints,
            cached,
        }
    }

    /// Whether `inst` satisfies every constraint for a task of `req.group`.
    pub fn admits(&self, cluster: &Cluster, inst: InstanceId, req: &TaskReq) -> bool {
        self.checker(cluster)
            .admits(cluster, cluster.instance(inst), req.group)
    }

    /// Whether `inst` can take the task: resources (P1 step 1) then constraints (step 2).
    pub fn check(&self, cluster: &Cluster, inst: InstanceId, req: &TaskReq) -> Result<(), Unfit> {
        self.checker(cluster).check(cluster, inst, req)
    }
}

/// The constraints of a policy with their cached `memberOf` answers found.
pub(crate) struct Checker<'a> {
    constraints: &'a [Constraint],
    /// Per constraint, the cluster's cache slot of its expression, or
    /// [`NOT_CACHED`]: 4 bytes a slot, so that the checker, made for every
    /// decision, is copied in registers rather than by a call to memcpy.
    cached: [u32; MAX_CONSTRAINTS],
}

/// A constraint without a cached answer.
const NOT_CACHED: u32 = u32::MAX;

/// The cached answer of `slot` for `inst`, if it has one.
fn cached(cluster: &Cluster, slot: u32, inst: InstanceId) -> Option<bool> {
    if slot == NOT_CACHED {
        return None;
    }
    cluster.cached_answer(slot as usize, inst)
}

impl Checker<'_> {
    /// Whether `inst` satisfies every constraint for a task of `group`.
    pub(crate) fn admits(
        &self,
        cluster: &Cluster,
        inst: &crate::model::ContainerInstance,
        group: crate::model::GroupId,
    ) -> bool {
        self.constraints.iter().zip(&self.cached).all(|(c, &slot)| {
            cached(cluster, slot, inst.id).unwrap_or_else(|| c.admits(cluster, inst, group))
        })
    }

    /// [`admits`](Self::admits) by instance id: cached `memberOf` answers
    /// are read from the cluster's compact table first, so an instance is
    /// looked up only for constraints without one.
    pub(crate) fn admits_id(
        &self,
        cluster: &Cluster,
        inst: InstanceId,
        group: crate::model::GroupId,
    ) -> bool {
        self.constraints.iter().zip(&self.cached).all(|(c, &slot)| {
            cached(cluster, slot, inst)
                .unwrap_or_else(|| c.admits(cluster, cluster.instance(inst), group))
        })
    }

    /// The cache slots (below 64) of the constraints' cached `memberOf`
    /// answers, as a mask: an instance the checks accept satisfies them all.
    pub(crate) fn cached_mask(&self) -> u64 {
        (self.cached[..self.constraints.len()].iter())
            .filter(|&&s| s < 64)
            .fold(0, |m, &s| m | 1 << s)
    }

    /// Whether a cached `memberOf` answer alone rejects `inst`: a check
    /// that reads no instance record, for walks to pass over instances of
    /// another pool before the full check. Never true for an instance that
    /// [`check`](Self::check) accepts.
    pub(crate) fn cached_reject(&self, cluster: &Cluster, inst: InstanceId) -> bool {
        self.cached[..self.constraints.len()]
            .iter()
            .any(|&slot| cached(cluster, slot, inst) == Some(false))
    }

    /// Resources (P1 step 1) then constraints (step 2).
    pub(crate) fn check(
        &self,
        cluster: &Cluster,
        inst: InstanceId,
        req: &TaskReq,
    ) -> Result<(), Unfit> {
        let inst = cluster.instance(inst);
        cluster.check_resources(inst, req)?;
        if self.admits(cluster, inst, req.group) {
            Ok(())
        } else {
            Err(Unfit::Attribute)
        }
    }
}

/// Chooses an instance for a task, or says why none fits (the reason of the
/// closest match, P9). Draws from `rng` only for `random` strategies.
pub fn decide(
    cluster: &Cluster,
    policy: &Policy,
    req: &TaskReq,
    rng: &mut SimRng,
) -> Result<InstanceId, Unfit> {
    let checker = policy.checker(cluster);
    let chosen = match fast::plan(cluster, policy, &checker, req) {
        Some(plan) => fast::decide(cluster, &checker, req, &plan, rng),
        None => reference::decide(cluster, policy, req, rng, None),
    };
    chosen.ok_or_else(|| closest_match(cluster, policy, req))
}

/// Like [`decide`] but scanning every instance and recording why each was
/// filtered out and how each strategy ranked the rest.
pub fn explain(cluster: &Cluster, policy: &Policy, req: &TaskReq, rng: &mut SimRng) -> Explanation {
    let mut ex = Explanation::new(policy, policy.steps(cluster));
    let chosen = reference::decide(cluster, policy, req, rng, Some(&mut ex));
    ex.chosen = chosen;
    if chosen.is_none() {
        ex.reason = Some(closest_match(cluster, policy, req));
    }
    ex
}

/// The reason reported when nothing fits (P9): the failure of the instance
/// that got furthest through the pipeline (CPU, then memory, ports, ENIs,
/// constraints), or `NoInstances` when no instance is ACTIVE.
///
/// Instances short of CPU fail at the first check, so only those with
/// enough CPU (read from the index's table of remaining resources) can give a later reason; when there
/// are none the answer is CPU without looking further. The answer is the
/// largest reason, so the order of the visit does not matter.
pub fn closest_match(cluster: &Cluster, policy: &Policy, req: &TaskReq) -> Unfit {
    let global = &cluster.index().global;
    if global.is_empty() {
        return Unfit::NoInstances;
    }
    let mut best = Unfit::Cpu;
    let checker = policy.checker(cluster);
    let cpu = Resources::new(req.reservation.cpu, 0);
    for id in cluster.index().members_with_room(&[global], cpu) {
        match checker.check(cluster, id, req) {
            Err(u) => best = best.max(u),
            Ok(()) => return Unfit::Attribute, // unreachable after a failed decision
        }
        if best == Unfit::Attribute {
            break;
        }
    }
    best
}

/// A uniform draw in `0..n` (n > 0).
pub(crate) fn draw(rng: &mut SimRng, n: usize) -> usize {
    rng.gen_range(0..n)
}

#[cfg(test)]
mod checker_tests {
    use super::*;
    use crate::model::{InstanceGroupId, NewInstance, TaskReq};
    use crate::sim::SimTime;

    /// ECS-MODEL P7: the id-based checks agree with the instance-based
    /// ones on every instance, ACTIVE (cached answers) or not (no cached
    /// answer: the expression is evaluated), and a cached rejection is
    /// never given for an instance the full check accepts.
    #[test]
    fn id_checks_agree_with_instance_checks() {
        let pools = ["general", "memory", "general", "compute", "memory"];
        let (mut c, ids) = cluster_of_pools(&pools, |_| 0);
        let group = c.group("service:web");
        let member = |src: &str| Constraint::MemberOf(query::Query::parse(src).unwrap());
        let policy = Policy::new(
            Strategy::service_default(),
            vec![
                member("attribute:pool == memory"),
                member("attribute:pool != compute"),
            ],
            Some(group),
        )
        .indexed(&mut c);
        // The last instance stays REGISTERING: nothing cached for it.
        for &id in &ids[..4] {
            c.activate_instance(id, SimTime(1));
        }
        let req = TaskReq {
            reservation: Resources::new(256, 512),
            ports: &[],
            needs_eni: false,
            group,
        };
        let checker = policy.checker(&c);
        let mut admitted = Vec::new();
        for &id in &ids {
            let by_inst = checker.admits(&c, c.instance(id), group);
            assert_eq!(checker.admits_id(&c, id, group), by_inst, "{id}");
            if checker.cached_reject(&c, id) {
                assert!(checker.check(&c, id, &req).is_err(), "{id}");
                assert!(!by_inst, "{id}");
            }
            if by_inst {
                admitted.push(id);
            }
        }
        // Both memory instances pass the constraints; the REGISTERING one
        // has no cached answer (so no cached rejection) but fails on
        // resources as it is not ACTIVE.
        assert_eq!(admitted, vec![ids[1], ids[4]]);
        assert!(!checker.cached_reject(&c, ids[4]));
        assert!(checker.cached_reject(&c, ids[0]));
        assert!(checker.cached_reject(&c, ids[3]));
        assert!(checker.check(&c, ids[1], &req).is_ok());
    }

    /// A cluster of m6i.large in one AZ, the i-th with `pool` attribute
    /// `pools[i]` and tie-break `tie(i)`; none ACTIVE yet.
    fn cluster_of_pools(pools: &[&str], tie: impl Fn(usize) -> u32) -> (Cluster, Vec<InstanceId>) {
        let mut c = Cluster::new();
        let ids = (pools.iter().enumerate())
            .map(|(i, &pool)| {
                let spec = NewInstance {
                    group: InstanceGroupId(0),
                    instance_type: "m6i.large".into(),
                    az: "us-east-1a".into(),
                    registered: Resources::new(2048, 8192),
                    eni_capacity: 2,
                    attributes: vec![("pool".into(), pool.into())],
                    tie: tie(i),
                };
                c.add_instance(spec, SimTime(0))
            })
            .collect();
        (c, ids)
    }

    /// `n` instances whose pools cycle through a, b, c, with scattered
    /// tie-breaks (see [`cluster_of_pools`]).
    fn pooled_cluster(n: usize) -> (Cluster, Vec<InstanceId>) {
        let pools: Vec<&str> = (0..n).map(|i| ["a", "b", "c"][i % 3]).collect();
        cluster_of_pools(&pools, |i| (i as u32 * 7919) % 101)
    }

    /// A task of service 0 in `group`, created at time 2.
    fn service_task(group: crate::model::GroupId, reservation: Resources) -> crate::model::NewTask {
        crate::model::NewTask {
            def: crate::model::TaskDefId(0),
            group,
            owner: crate::model::TaskOwner::Service(crate::model::ServiceId(0)),
            reservation,
            ports: Vec::new(),
            needs_eni: false,
            created_at: SimTime(2),
            work: None,
        }
    }

    /// ECS-MODEL P3, P7: a spread(instanceId) policy pinned to a pool by a
    /// cached `memberOf` walks a group order holding only that pool's
    /// instances, and decides as the reference scan does; a policy of the
    /// same group without the constraint extends the order to every
    /// instance.
    #[test]
    fn group_order_holds_the_pool_its_member_of_admits() {
        let (mut c, ids) = pooled_cluster(40);
        let group = c.group("service:web");
        // Half register before the policy is indexed, half after.
        for &id in &ids[..20] {
            c.activate_instance(id, SimTime(1));
        }
        let pinned = Policy::new(
            vec![Strategy::Spread(SpreadField::InstanceId)],
            vec![Constraint::MemberOf(
                query::Query::parse("attribute:pool == b").unwrap(),
            )],
            Some(group),
        )
        .indexed(&mut c);
        for &id in &ids[20..] {
            c.activate_instance(id, SimTime(1));
        }
        let in_order = |c: &Cluster| -> Vec<InstanceId> {
            let mut v: Vec<InstanceId> = c
                .index()
                .global
                .group_order(group)
                .expect("kept")
                .map(|(_, r)| crate::model::index::rank_instance(r))
                .collect();
            v.sort();
            v
        };
        let pool_b: Vec<InstanceId> = ids.iter().copied().skip(1).step_by(3).collect();
        assert_eq!(in_order(&c), pool_b);
        let mut rng = crate::sim::RngStreams::new(1).stream("placement");
        for n in 0..30 {
            let t = service_task(group, Resources::new(256, 512));
            let req = t.req();
            let want = reference::decide(&c, &pinned, &req, &mut rng, None);
            let got = decide(&c, &pinned, &req, &mut rng).ok();
            assert_eq!(got, want, "task {n}");
            c.start_task(t, got.expect("room in pool b"), &[], SimTime(2));
        }
        // Without the constraint the same group's order holds everyone.
        let _open = Policy::new(
            vec![Strategy::Spread(SpreadField::InstanceId)],
            vec![],
            Some(group),
        )
        .indexed(&mut c);
        assert_eq!(in_order(&c), ids);
    }

    /// ECS-MODEL P2, P7: a binpack policy pinned to a pool by `memberOf`
    /// walks a set of the order by memory (by CPU) that holds exactly the
    /// pool's ACTIVE instances, registered before or after the policy was
    /// indexed, kept current as tasks start and stop; its decisions equal
    /// the reference scan; a second pool's policy gets its own set, and an
    /// unconstrained policy one holding every instance.
    #[test]
    fn resource_orders_hold_the_pool_their_member_of_admits() {
        use crate::model::index::{rank_instance, Order};
        for field in [BinpackField::Memory, BinpackField::Cpu] {
            let (mut c, ids) = pooled_cluster(45);
            let group = c.group("service:web");
            for &id in &ids[..20] {
                c.activate_instance(id, SimTime(1));
            }
            let pinned_to = |pool: &str, c: &mut Cluster| {
                Policy::new(
                    vec![Strategy::Binpack(field)],
                    vec![Constraint::MemberOf(
                        query::Query::parse(&format!("attribute:pool == {pool}")).unwrap(),
                    )],
                    Some(group),
                )
                .indexed(c)
            };
            let pinned = pinned_to("b", &mut c);
            for &id in &ids[20..] {
                c.activate_instance(id, SimTime(1));
            }
            // The set the pinned policy walks: (instances, their keys).
            let walked = |c: &Cluster, p: &Policy| -> (Vec<InstanceId>, Vec<u32>) {
                let mask = p.checker(c).cached_mask();
                let orders = c.index().orders(None).unwrap();
                let (set, want_key): (_, fn(&crate::model::ContainerInstance) -> u32) = match field
                {
                    BinpackField::Memory => (
                        c.index()
                            .global
                            .mem_set(orders.set_for(Order::Memory(mask)).unwrap()),
                        |i| i.remaining().memory,
                    ),
                    BinpackField::Cpu => (
                        c.index()
                            .global
                            .cpu_set(orders.set_for(Order::Cpu(mask)).unwrap()),
                        |i| i.remaining().cpu,
                    ),
                };
                let mut v: Vec<(InstanceId, u32)> = (set.unwrap().entries())
                    .map(|(_, (key, r))| (rank_instance(r), key))
                    .collect();
                v.sort();
                for &(id, key) in &v {
                    assert_eq!(key, want_key(c.instance(id)), "key of {id:?}");
                }
                v.into_iter().unzip()
            };
            let pool =
                |k: usize| -> Vec<InstanceId> { ids.iter().copied().skip(k).step_by(3).collect() };
            assert_eq!(walked(&c, &pinned).0, pool(1), "{field:?}");
            let mut rng = crate::sim::RngStreams::new(1).stream("placement");
            let mut started = Vec::new();
            for n in 0..40 {
                let t = service_task(group, Resources::new(128 * (1 + n % 4), 512 * (1 + n % 3)));
                let req = t.req();
                let want = reference::decide(&c, &pinned, &req, &mut rng, None);
                let got = decide(&c, &pinned, &req, &mut rng).ok();
                assert_eq!(got, want, "{field:?} task {n}");
                let Some(at) = got else { break };
                started.push(c.start_task(t, at, &[], SimTime(2)));
                if n % 5 == 4 {
                    let id = started.remove(0);
                    c.begin_stopping(id, crate::model::StopReason::Completed, SimTime(3));
                    c.finish_stop(id, crate::model::StopReason::Completed, SimTime(3));
                }
                assert_eq!(walked(&c, &pinned).0, pool(1), "{field:?} after task {n}");
            }
            // Another pool's policy gets its own set; an open one, everyone.
            let other = pinned_to("c", &mut c);
            assert_eq!(walked(&c, &other).0, pool(2));
            assert_eq!(walked(&c, &pinned).0, pool(1));
            let open =
                Policy::new(vec![Strategy::Binpack(field)], vec![], Some(group)).indexed(&mut c);
            assert_eq!(walked(&c, &open).0, ids);
            assert_eq!(
                walked(&c, &pinned).0,
                pool(1),
                "the most filtered set is walked"
            );
        }
    }
}
