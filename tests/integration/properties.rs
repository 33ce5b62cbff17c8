//! Property tests of placement and cluster bookkeeping (ECS-MODEL P1–P9,
//! R4, R5). Random clusters (1–40 instances, 1–3 AZs, some REGISTERING and
//! DRAINING) go through random operations — placements with random chains
//! and constraints, stops, instance life-cycle changes — and after every
//! step the cluster's invariants are checked against values recomputed from
//! scratch, and every decision is checked against the reference scan and an
//! independent oracle written here.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::Strategy as Gen;

use ecsim::model::index::{class_of, Orders, MISSING_VALUE};
use ecsim::model::instance::{DEFAULT_RESERVED_PORTS, MAX_RESERVED_PORTS};
use ecsim::model::{
    Cluster, GroupId, HostPort, InstanceId, InstanceState, NewInstance, NewTask, Resources,
    ServiceId, StopReason, TaskDefId, TaskId, TaskOwner, TaskReq, TaskState, Unfit,
};
use ecsim::placement::scale_in::choose_victims;
use ecsim::placement::{closest_match, decide, explain, Constraint, Policy, Strategy};
use ecsim::sim::{RngStreams, SimTime};

use crate::common::*;

const TYPES: [&str; 3] = ["c6i.large", "m6i.xlarge", "r6i.large"];
const GROUPS: [&str; 3] = ["service:g0", "service:g1", "service:g2"];
/// memberOf expressions drawn for placements.
const MEMBER_OF: [&str; 6] = [
    "attribute:ecs.availability-zone != us-east-1b",
    "attribute:ecs.instance-type =~ m6i.*",
    "not(task:group == service:g1)",
    "runningTasksCount <= 2",
    "attribute:ecs.instance-type exists",
    "task:group == service:g0 or attribute:ecs.availability-zone == us-east-1a",
];

// ------------------------------------------------------------- generators

#[derive(Debug, Clone, Copy, PartialEq)]
enum Init {
    Registering,
    Active,
    Draining,
}

#[derive(Debug, Clone)]
struct InstSpec {
    cpu: u32,
    mem: u32,
    az: usize,
    ty: usize,
    /// Whether the instance carries `ecs.instance-type` (spread over an
    /// attribute some instances lack puts those in one bucket).
    type_attr: bool,
    eni: u32,
    tie: u32,
    init: Init,
}

#[derive(Debug, Clone)]
struct PlaceSpec {
    cpu: u32,
    mem: u32,
    group: usize,
    ports: Vec<HostPort>,
    awsvpc: bool,
    /// Strategy codes, see [`strategy`].
    chain: Vec<u8>,
    distinct: bool,
    member: Option<usize>,
    /// Whether the policy registers the group for spread(instanceId)
    /// (when not, that strategy goes through the reference scan).
    track: bool,
    /// Whether the policy is built, and the cluster asked to index it, only
    /// at this step (after instances registered and tasks were placed)
    /// instead of before any instance is ACTIVE.
    late: bool,
}

#[derive(Debug, Clone)]
enum Op {
    Place(PlaceSpec),
    /// PENDING/RUNNING -> STOPPING.
    Stop(usize),
    /// STOPPING -> STOPPED.
    Finish(usize),
    /// PENDING/RUNNING -> STOPPED directly.
    Kill(usize),
    /// PENDING -> RUNNING.
    Run(usize),
    /// ACTIVE -> DRAINING.
    Drain(usize),
    /// REGISTERING -> ACTIVE.
    Activate(usize),
    /// An instance without tasks -> terminated.
    Terminate(usize),
}

#[derive(Debug, Clone)]
struct Scenario {
    instances: Vec<InstSpec>,
    ops: Vec<Op>,
    seed: u64,
    /// Whether binpack packs the cluster before the operations: CPU-heavy
    /// tasks by binpack(memory), then memory-heavy ones by binpack(cpu),
    /// until nothing fits, which leaves instances with one resource and not
    /// the other (what the size-class buckets of the index skip).
    packed: bool,
}

fn strategy(code: u8) -> Strategy {
    match code {
        0 => binpack_cpu(),
        1 => binpack_mem(),
        2 => spread_instance(),
        3 => spread_az(),
        4 => spread_type(),
        _ => Strategy::Random,
    }
}

fn inst_spec(azs: usize) -> impl Gen<Value = InstSpec> {
    (
        prop_oneof![Just(1024u32), Just(2048), Just(4096), Just(8192)],
        1000u32..16000,
        0..azs,
        0..TYPES.len(),
        prop::bool::weighted(0.85),
        0u32..4,
        0u32..3,
        prop_oneof![
            1 => Just(Init::Registering),
            6 => Just(Init::Active),
            1 => Just(Init::Draining),
        ],
    )
        .prop_map(|(cpu, mem, az, ty, type_attr, eni, tie, init)| InstSpec {
            cpu,
            mem,
            az,
            ty,
            type_attr,
            eni,
            tie,
            init,
        })
}

fn ports() -> impl Gen<Value = Vec<HostPort>> {
    prop_oneof![
        8 => Just(vec![]),
        3 => Just(vec![tcp(80)]),
        1 => Just(vec![udp(80)]),
        1 => Just(vec![tcp(80), tcp(443)]),
        1 => Just(vec![tcp(22)]),
    ]
}

fn place_spec() -> impl Gen<Value = PlaceSpec> {
    (
        (0u32..=32).prop_map(|x| x * 64),
        (0u32..=32).prop_map(|x| x * 128),
        0..GROUPS.len(),
        ports(),
        prop::bool::weighted(0.25),
        vec(0u8..6, 0..=3),
        prop::bool::weighted(0.25),
        prop::option::weighted(0.25, 0..MEMBER_OF.len()),
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(cpu, mem, group, ports, awsvpc, chain, distinct, member, track, late)| PlaceSpec {
                cpu,
                mem,
                group,
                ports,
                awsvpc,
                chain,
                distinct,
                member,
                track,
                late,
            },
        )
}

fn op() -> impl Gen<Value = Op> {
    let k = 0usize..1000;
    prop_oneof![
        10 => place_spec().prop_map(Op::Place),
        2 => k.clone().prop_map(Op::Stop),
        2 => k.clone().prop_map(Op::Finish),
        1 => k.clone().prop_map(Op::Kill),
        2 => k.clone().prop_map(Op::Run),
        1 => k.clone().prop_map(Op::Drain),
        1 => k.clone().prop_map(Op::Activate),
        1 => k.prop_map(Op::Terminate),
    ]
}

fn scenario() -> impl Gen<Value = Scenario> {
    (1usize..=3).prop_flat_map(|azs| {
        (
            vec(inst_spec(azs), 1..=40),
            vec(op(), 1..=60),
            any::<u64>(),
            prop::bool::weighted(0.3),
        )
            .prop_map(|(instances, ops, seed, packed)| Scenario {
                instances,
                ops,
                seed,
                packed,
            })
    })
}

// ------------------------------------------------------------ cluster setup

struct World {
    c: Cluster,
    groups: Vec<GroupId>,
    ids: Vec<InstanceId>,
    specs: Vec<InstSpec>,
}

fn new_instance(s: &InstSpec) -> NewInstance {
    let mut ni = instance_with_tie(
        TYPES[s.ty],
        AZS[s.az],
        Resources::new(s.cpu, s.mem),
        s.eni,
        s.tie,
    );
    if !s.type_attr {
        ni.attributes.retain(|(n, _)| n != TYPE_ATTR);
    }
    ni
}

/// Adds the instances REGISTERING; the caller creates policies, then calls
/// [`World::initial_states`].
fn world(specs: &[InstSpec]) -> World {
    let mut c = Cluster::new();
    let groups = GROUPS.iter().map(|g| c.group(g)).collect();
    let ids = specs
        .iter()
        .map(|s| c.add_instance(new_instance(s), T0))
        .collect();
    World {
        c,
        groups,
        ids,
        specs: specs.to_vec(),
    }
}

impl World {
    fn initial_states(&mut self) {
        for (s, &id) in self.specs.iter().zip(&self.ids) {
            match s.init {
                Init::Registering => {}
                Init::Active => self.c.activate_instance(id, SimTime(1_000)),
                Init::Draining => {
                    self.c.activate_instance(id, SimTime(1_000));
                    self.c.set_draining(id);
                }
            }
        }
    }

    fn az_of(&self, id: InstanceId) -> Option<&'static str> {
        Some(AZS[self.specs[id.index()].az])
    }

    fn type_of(&self, id: InstanceId) -> Option<&'static str> {
        let s = &self.specs[id.index()];
        s.type_attr.then_some(TYPES[s.ty])
    }

    fn new_task(&self, p: &PlaceSpec) -> NewTask {
        NewTask {
            def: TaskDefId(0),
            group: self.groups[p.group],
            owner: TaskOwner::Service(ServiceId(p.group as u32)),
            reservation: Resources::new(p.cpu, p.mem),
            ports: p.ports.clone(),
            needs_eni: p.awsvpc,
            created_at: T0,
            work: None,
        }
    }
}

fn constraints_of(p: &PlaceSpec) -> Vec<Constraint> {
    let mut cons = Vec::new();
    if p.distinct {
        cons.push(Constraint::DistinctInstance);
    }
    if let Some(m) = p.member {
        cons.push(member_of(MEMBER_OF[m]));
    }
    cons
}

// --------------------------------------------------------- recomputed state

/// Per-instance state recomputed from the task list alone.
struct Derived {
    /// Tasks holding a placement (PENDING, RUNNING, STOPPING), per instance.
    holders: Vec<Vec<TaskId>>,
    reserved: Vec<Resources>,
    enis: Vec<u32>,
    running: Vec<u32>,
    ports: Vec<BTreeSet<HostPort>>,
    /// (group, instance) -> PENDING + RUNNING tasks.
    live: HashMap<(GroupId, InstanceId), u32>,
}

fn derive(c: &Cluster) -> Derived {
    let n = c.instances().len();
    let mut d = Derived {
        holders: vec![Vec::new(); n],
        reserved: vec![Resources::default(); n],
        enis: vec![0; n],
        running: vec![0; n],
        ports: vec![BTreeSet::new(); n],
        live: HashMap::new(),
    };
    for p in d.ports.iter_mut() {
        p.extend(DEFAULT_RESERVED_PORTS.iter().map(|&port| tcp(port)));
    }
    for t in c.tasks() {
        if t.state == TaskState::Stopped || t.state == TaskState::Provisioning {
            continue;
        }
        let i = t.instance.expect("placed task has an instance").index();
        d.holders[i].push(t.id);
        d.reserved[i] = d.reserved[i].plus(&t.reservation);
        if t.needs_eni {
            d.enis[i] += 1;
        }
        if t.state == TaskState::Running {
            d.running[i] += 1;
        }
        d.ports[i].extend(t.ports.iter().copied());
        if t.is_live() {
            *d.live.entry((t.group, InstanceId(i as u32))).or_default() += 1;
        }
    }
    d
}

impl Derived {
    fn live_on(&self, g: GroupId, i: InstanceId) -> u32 {
        self.live.get(&(g, i)).copied().unwrap_or(0)
    }

    fn remaining(&self, c: &Cluster, i: InstanceId) -> Resources {
        c.instance(i).registered.minus(&self.reserved[i.index()])
    }
}

/// Every invariant of the model, checked against recomputed values.
fn check_invariants(w: &World) -> Result<(), TestCaseError> {
    let c = &w.c;
    let d = derive(c);
    // Instances by state, kept as states change, equal a count of them.
    let by_state = |s: InstanceState| c.instances().iter().filter(|i| i.state == s).count() as u32;
    let kept = c.instance_counts();
    prop_assert_eq!(
        (kept.registering, kept.active, kept.draining),
        (
            by_state(InstanceState::Registering),
            by_state(InstanceState::Active),
            by_state(InstanceState::Draining)
        ),
        "instance counts"
    );
    let mut reserved_total = Resources::default();
    let mut registered_total = Resources::default();
    for inst in c.instances() {
        let i = inst.id.index();
        // Holders are exactly the tasks listed on the instance, once each.
        let mut listed = inst.tasks.clone();
        listed.sort();
        let n_listed = listed.len();
        listed.dedup();
        prop_assert_eq!(n_listed, listed.len(), "{} lists a task twice", inst.id);
        let mut holders = d.holders[i].clone();
        holders.sort();
        prop_assert_eq!(&listed, &holders, "{}: listed tasks != live tasks", inst.id);
        // R5: tasks only on ACTIVE or DRAINING instances.
        if !holders.is_empty() {
            prop_assert!(
                matches!(inst.state, InstanceState::Active | InstanceState::Draining),
                "{} is {:?} with tasks",
                inst.id,
                inst.state
            );
        }
        // No over-commit (R2/P1): reserved <= registered, recomputed.
        prop_assert_eq!(inst.reserved, d.reserved[i], "{} reserved", inst.id);
        prop_assert!(
            inst.registered.covers(&inst.reserved),
            "{} over-committed: {} of {}",
            inst.id,
            inst.reserved,
            inst.registered
        );
        // R4: ENIs.
        prop_assert_eq!(inst.enis_used, d.enis[i], "{} enis", inst.id);
        prop_assert!(inst.enis_used <= inst.eni_capacity, "{} ENI over", inst.id);
        // R4: ports unique, sorted, at most 100, = agent ports + tasks' ports.
        prop_assert!(
            inst.ports.windows(2).all(|p| p[0] < p[1]),
            "{} ports not sorted/unique",
            inst.id
        );
        prop_assert!(inst.ports.len() <= MAX_RESERVED_PORTS);
        let want: Vec<HostPort> = d.ports[i].iter().copied().collect();
        prop_assert_eq!(&inst.ports, &want, "{} ports", inst.id);
        let task_ports: usize = d.holders[i].iter().map(|&t| c.task(t).ports.len()).sum();
        prop_assert_eq!(
            task_ports + DEFAULT_RESERVED_PORTS.len(),
            inst.ports.len(),
            "{}: two tasks share a port",
            inst.id
        );
        prop_assert_eq!(inst.running_tasks, d.running[i], "{} running", inst.id);
        // The compact copies of rank and attribute values equal the record.
        prop_assert_eq!(c.rank_of(inst.id), inst.rank, "{} rank", inst.id);
        for &a in c.counted_attributes() {
            let want = inst.attribute(a).unwrap_or(MISSING_VALUE);
            prop_assert_eq!(c.value_of(inst.id, a), want, "{} value", inst.id);
        }
        for &g in &w.groups {
            prop_assert_eq!(
                c.group_count_on_instance(g, inst.id),
                d.live_on(g, inst.id),
                "{} group count",
                inst.id
            );
        }
        if matches!(inst.state, InstanceState::Active | InstanceState::Draining) {
            reserved_total = reserved_total.plus(&d.reserved[i]);
            registered_total = registered_total.plus(&inst.registered);
        }
    }
    // Tasks: every placed task is on the instance it names; stopped ones nowhere.
    for t in c.tasks() {
        // The compact copy of instance and reservation equals the record.
        prop_assert_eq!(
            c.task_placement(t.id),
            (t.instance, t.reservation),
            "{}",
            t.id
        );
        match t.state {
            TaskState::Pending | TaskState::Running | TaskState::Stopping => {
                let i = t.instance.expect("placed");
                prop_assert!(c.instance(i).tasks.contains(&t.id));
            }
            TaskState::Stopped => {
                prop_assert!(c.instances().iter().all(|i| !i.tasks.contains(&t.id)));
            }
            TaskState::Provisioning => prop_assert!(t.instance.is_none()),
        }
    }
    prop_assert_eq!(c.reserved_total(), reserved_total, "reserved_total");
    prop_assert_eq!(c.registered_total(), registered_total, "registered_total");
    check_index(w, &d)
}

/// The placement index holds exactly the ACTIVE instances, keyed by their
/// current remaining resources and group counts, in the right partitions;
/// the per-attribute-value counts match.
fn check_index(w: &World, d: &Derived) -> Result<(), TestCaseError> {
    let c = &w.c;
    let idx = c.index();
    let active: Vec<_> = c.instances().iter().filter(|i| i.is_active()).collect();
    // The compact table of remaining resources: exact for ACTIVE instances,
    // no room on the others.
    for i in c.instances() {
        if !i.is_active() {
            let some = Resources::new(1, 1);
            prop_assert!(!idx.may_have_room(i.rank, some), "room of {}", i.id);
            continue;
        }
        let rem = d.remaining(c, i.id);
        prop_assert!(idx.may_have_room(i.rank, rem), "room of {}", i.id);
        for more in [
            Resources::new(rem.cpu + 1, rem.memory),
            Resources::new(rem.cpu, rem.memory + 1),
        ] {
            prop_assert!(!idx.may_have_room(i.rank, more), "room of {}", i.id);
        }
    }
    let part_ok = |p: &ecsim::model::index::Partition,
                   members: &[&ecsim::model::ContainerInstance],
                   orders: &Orders,
                   what: &str|
     -> Result<(), TestCaseError> {
        let mut m = p.members.clone();
        m.sort();
        let mut want: Vec<InstanceId> = members.iter().map(|i| i.id).collect();
        want.sort();
        prop_assert_eq!(&m, &want, "{} members", what);
        // Every member's rank once, in increasing order.
        let ranks: Vec<u64> = (members.iter().map(|i| i.rank))
            .collect::<BTreeSet<u64>>()
            .into_iter()
            .collect();
        prop_assert_eq!(&p.by_rank, &ranks, "{} by_rank", what);
        // Remaining CPU in the size class of remaining memory, and the
        // other way round, in each set of the level's resource orders: set
        // i holds exactly the members whose cached memberOf answers pass
        // filter i (an admitted member missing fails here); a level that
        // keeps no such order has no non-empty set.
        let max = |f: fn(Resources) -> u32| members.iter().map(|i| f(d.remaining(c, i.id))).max();
        for (which, filters, sets) in [
            ("cpu_by_mem", &orders.cpu, &p.cpu_by_mem),
            ("mem_by_cpu", &orders.memory, &p.mem_by_cpu),
        ] {
            for (k, set) in sets.iter().enumerate() {
                prop_assert!(
                    k < filters.len() || set.is_empty(),
                    "{} {} {}",
                    what,
                    which,
                    k
                );
            }
            for (k, &f) in filters.iter().enumerate() {
                let admitted: Vec<_> = (members.iter())
                    .filter(|i| f & !c.accepted_predicates(i.id) == 0)
                    .collect();
                let want: BTreeSet<(usize, (u32, u64))> = (admitted.iter())
                    .map(|i| {
                        let rem = d.remaining(c, i.id);
                        if which == "cpu_by_mem" {
                            (class_of(rem.memory), (rem.cpu, i.rank))
                        } else {
                            (class_of(rem.cpu), (rem.memory, i.rank))
                        }
                    })
                    .collect();
                let set = sets.get(k).cloned().unwrap_or_default();
                let got: BTreeSet<_> = set.entries().collect();
                prop_assert_eq!(&got, &want, "{} {} set {} filter {:#x}", what, which, k, f);
                prop_assert_eq!(set.len(), want.len(), "{} {} len", what, which);
                let top = (admitted.iter())
                    .map(|i| {
                        let rem = d.remaining(c, i.id);
                        if which == "cpu_by_mem" {
                            rem.cpu
                        } else {
                            rem.memory
                        }
                    })
                    .max();
                prop_assert_eq!(set.max_key(), top, "{} {} max", what, which);
            }
        }
        let (max_cpu, max_mem) = (max(|r| r.cpu), max(|r| r.memory));
        for i in members {
            let rem = d.remaining(c, i.id);
            for need in [
                rem,
                Resources::new(rem.cpu + 1, rem.memory),
                Resources::new(rem.cpu, rem.memory + 1),
                Resources::new(rem.cpu / 2 + 1, rem.memory * 2),
            ] {
                let want = max_cpu.is_some_and(|m| m >= need.cpu)
                    && max_mem.is_some_and(|m| m >= need.memory);
                prop_assert_eq!(idx.may_fit(p, need), want, "{} may_fit {:?}", what, need);
            }
        }
        for &g in &idx.groups {
            // A kept group's order holds the members its filters admit
            // (by their cached memberOf answers); an unkept one none.
            let want: BTreeSet<(u32, u64)> = (members.iter())
                .filter(|i| orders.admits(g, c.accepted_predicates(i.id)))
                .map(|i| (d.live_on(g, i.id), i.rank))
                .collect();
            // Read in its order: the members with none of the group's tasks
            // (kept as bits, not entries) by rank, then the others.
            let got: Vec<(u32, u64)> = p.group_order(g).into_iter().flatten().collect();
            let want: Vec<(u32, u64)> = want.into_iter().collect();
            prop_assert_eq!(&got, &want, "{} by_group {}", what, g);
        }
        Ok(())
    };
    part_ok(&idx.global, &active, idx.orders(None).unwrap(), "global")?;
    for (attr, parts) in &idx.levels {
        let value_of =
            |i: &ecsim::model::ContainerInstance| i.attribute(*attr).unwrap_or(MISSING_VALUE);
        let mut by_value: BTreeMap<_, Vec<&ecsim::model::ContainerInstance>> = BTreeMap::new();
        for i in &active {
            by_value.entry(value_of(i)).or_default().push(i);
        }
        for (v, members) in &by_value {
            let p = parts.get(v);
            prop_assert!(p.is_some(), "no partition for {:?}", v);
            let orders = idx.orders(Some(*attr)).unwrap();
            part_ok(p.unwrap(), members, orders, "partition")?;
        }
        for (v, p) in parts {
            if !by_value.contains_key(v) {
                prop_assert!(p.is_empty(), "stale partition {:?}", v);
            }
        }
        // Group counts per value, over instances in any state.
        for &g in &w.groups {
            let mut want: HashMap<_, u32> = HashMap::new();
            for i in c.instances() {
                *want.entry(value_of(i)).or_default() += d.live_on(g, i.id);
            }
            for (v, n) in want {
                prop_assert_eq!(c.group_count_on_value(g, *attr, v), n, "value count");
            }
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ oracle

/// What the rules say, computed from scratch: the instances the decision
/// may return (one for chains without random; the best bucket before the
/// first `random` otherwise) and, when nothing fits, the closest match.
struct Expected {
    best: Vec<InstanceId>,
    reason: Option<Unfit>,
}

fn oracle(w: &World, chain: &[Strategy], cons: &[Constraint], req: &TaskReq) -> Expected {
    let c = &w.c;
    let d = derive(c);
    let mut furthest: Option<Unfit> = None;
    let mut cands: Vec<(Vec<u64>, u64, InstanceId)> = Vec::new();
    for inst in c.instances().iter().filter(|i| i.is_active()) {
        let i = inst.id;
        let rem = d.remaining(c, i);
        let ports = &d.ports[i.index()];
        // P1 step 1 in pipeline order, then step 2 (P7).
        let stage = if rem.cpu < req.reservation.cpu {
            Some(Unfit::Cpu)
        } else if rem.memory < req.reservation.memory {
            Some(Unfit::Memory)
        } else if !req.ports.is_empty()
            && (req.ports.iter().any(|p| ports.contains(p))
                || ports.len() + req.ports.len() > MAX_RESERVED_PORTS)
        {
            Some(Unfit::Ports)
        } else if req.needs_eni && d.enis[i.index()] >= inst.eni_capacity {
            Some(Unfit::Eni)
        } else if cons.iter().any(|k| match k {
            Constraint::DistinctInstance => d.live_on(req.group, i) > 0,
            Constraint::MemberOf(_) => !k.admits(c, inst, req.group),
        }) {
            Some(Unfit::Attribute)
        } else {
            None
        };
        if let Some(u) = stage {
            furthest = Some(furthest.map_or(u, |f| f.max(u)));
            continue;
        }
        // P2/P3 keys up to the first random (P4).
        let mut keys = Vec::new();
        for s in chain {
            let k = match s {
                Strategy::Binpack(ecsim::placement::BinpackField::Cpu) => u64::from(rem.cpu),
                Strategy::Binpack(ecsim::placement::BinpackField::Memory) => u64::from(rem.memory),
                Strategy::Spread(ecsim::placement::SpreadField::InstanceId) => {
                    u64::from(d.live_on(req.group, i))
                }
                Strategy::Spread(ecsim::placement::SpreadField::Attribute(a)) => {
                    let value = |x: InstanceId| {
                        if a == AZ_ATTR {
                            w.az_of(x)
                        } else {
                            w.type_of(x)
                        }
                    };
                    let mine = value(i);
                    c.instances()
                        .iter()
                        .filter(|o| value(o.id) == mine)
                        .map(|o| u64::from(d.live_on(req.group, o.id)))
                        .sum()
                }
                Strategy::Random => break,
            };
            keys.push(k);
        }
        cands.push((keys, inst.rank, i));
    }
    let Some(min) = cands.iter().map(|c| c.0.clone()).min() else {
        return Expected {
            best: Vec::new(),
            reason: Some(furthest.unwrap_or(Unfit::NoInstances)),
        };
    };
    let mut best: Vec<_> = cands.into_iter().filter(|c| c.0 == min).collect();
    if !chain.contains(&Strategy::Random) {
        // P5: remaining ties -> lowest rank.
        best.sort_by_key(|c| c.1);
        best.truncate(1);
    }
    Expected {
        best: best.into_iter().map(|c| c.2).collect(),
        reason: None,
    }
}

// ------------------------------------------------------------- the run

fn pick<T: Copy>(items: &[T], k: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[k % items.len()])
}

fn tasks_in(c: &Cluster, states: &[TaskState]) -> Vec<TaskId> {
    c.tasks()
        .iter()
        .filter(|t| states.contains(&t.state))
        .map(|t| t.id)
        .collect()
}

fn instances_in(c: &Cluster, state: InstanceState) -> Vec<InstanceId> {
    c.instances()
        .iter()
        .filter(|i| i.state == state)
        .map(|i| i.id)
        .collect()
}

/// Packs the cluster by binpack: CPU-heavy tasks by binpack(memory), then
/// memory-heavy ones by binpack(cpu), each until nothing fits, checking
/// every decision against the reference scan.
fn pack(w: &mut World, rng: &mut ecsim::sim::SimRng) -> Result<(), TestCaseError> {
    let g = w.groups[2];
    for (strategy, sizes) in [
        (binpack_mem(), [(512, 128), (1024, 256)]),
        (binpack_cpu(), [(64, 1024), (128, 2048)]),
    ] {
        let policy = Policy::new(vec![strategy], vec![], Some(g)).indexed(&mut w.c);
        for k in 0..2_000 {
            let (cpu, mem) = sizes[k % 2];
            let t = NewTask {
                def: TaskDefId(0),
                group: g,
                owner: TaskOwner::Service(ServiceId(2)),
                reservation: Resources::new(cpu, mem),
                ports: vec![],
                needs_eni: false,
                created_at: T0,
                work: None,
            };
            let got = decide(&w.c, &policy, &t.req(), rng).ok();
            let reference = explain(&w.c, &policy, &t.req(), rng).chosen;
            prop_assert_eq!(got, reference, "packing step {}", k);
            match got {
                Some(id) => {
                    w.c.start_task(t, id, &[], SimTime(5_000));
                }
                None => break,
            }
        }
    }
    check_invariants(w)
}

fn run_scenario(sc: &Scenario) -> Result<(), TestCaseError> {
    let mut w = world(&sc.instances);
    // Policies are created before any instance becomes ACTIVE, except the
    // late ones, created at their step.
    let policy_of = |p: &PlaceSpec, w: &World| {
        let chain = p.chain.iter().map(|&s| strategy(s)).collect();
        let g = p.track.then_some(w.groups[p.group]);
        Policy::new(chain, constraints_of(p), g)
    };
    let policies: Vec<Option<Policy>> = sc
        .ops
        .iter()
        .map(|op| match op {
            Op::Place(p) if !p.late => Some(policy_of(p, &w).indexed(&mut w.c)),
            _ => None,
        })
        .collect();
    w.initial_states();
    check_invariants(&w)?;
    let mut rng = RngStreams::new(sc.seed).stream("placement");
    let now = SimTime(10_000);
    if sc.packed {
        pack(&mut w, &mut rng)?;
    }
    let mut placed = w.c.tasks().len();
    for (step, (op, pol)) in sc.ops.iter().zip(&policies).enumerate() {
        match op {
            Op::Place(p) => {
                let late;
                let policy = match pol {
                    Some(policy) => policy,
                    None => {
                        // Built and indexed on a cluster already running
                        // (issue 10): the indexes are filled from its state.
                        late = policy_of(p, &w).indexed(&mut w.c);
                        check_invariants(&w)?;
                        &late
                    }
                };
                let (chain, cons) = (policy.strategies(), policy.constraints());
                let t = w.new_task(p);
                let req = t.req();
                let want = oracle(&w, chain, cons, &req);
                let got = decide(&w.c, policy, &req, &mut rng);
                let ex = explain(&w.c, policy, &req, &mut rng);
                let random = chain.contains(&Strategy::Random);
                if !random {
                    // A policy the cluster never indexed (no partitions, no
                    // cached memberOf answers) decides the same, by scanning.
                    let bare = Policy::new(chain.to_vec(), cons.to_vec(), None);
                    prop_assert_eq!(
                        decide(&w.c, &bare, &req, &mut rng),
                        got,
                        "step {}: unindexed policy",
                        step
                    );
                }
                match got {
                    Ok(id) => {
                        let inst = w.c.instance(id);
                        prop_assert!(
                            inst.is_active(),
                            "step {}: placed on {:?}",
                            step,
                            inst.state
                        );
                        prop_assert!(policy.check(&w.c, id, &req).is_ok());
                        if p.distinct {
                            prop_assert_eq!(w.c.group_count_on_instance(req.group, id), 0);
                        }
                        prop_assert!(
                            want.best.contains(&id),
                            "step {}: {:?} {:?} chose {}, oracle says {:?}",
                            step,
                            chain,
                            cons,
                            id,
                            want.best
                        );
                        let chosen = ex.chosen.expect("reference also places");
                        prop_assert!(want.best.contains(&chosen));
                        if !random {
                            prop_assert_eq!(id, chosen, "step {}: indexed != reference", step);
                        }
                        w.c.start_task(t, id, &[], now);
                        placed += 1;
                    }
                    Err(reason) => {
                        prop_assert!(
                            want.best.is_empty(),
                            "step {}: {:?} {:?} failed with {:?}, oracle places on {:?}",
                            step,
                            chain,
                            cons,
                            reason,
                            want.best
                        );
                        prop_assert_eq!(ex.chosen, None);
                        prop_assert_eq!(ex.reason, Some(reason));
                        prop_assert_eq!(closest_match(&w.c, policy, &req), reason);
                        prop_assert_eq!(want.reason, Some(reason), "step {}: P9 reason", step);
                    }
                }
            }
            Op::Stop(k) => {
                if let Some(t) = pick(
                    &tasks_in(&w.c, &[TaskState::Pending, TaskState::Running]),
                    *k,
                ) {
                    w.c.begin_stopping(t, StopReason::ScaledIn, now);
                }
            }
            Op::Finish(k) => {
                if let Some(t) = pick(&tasks_in(&w.c, &[TaskState::Stopping]), *k) {
                    w.c.finish_stop(t, StopReason::ScaledIn, now);
                }
            }
            Op::Kill(k) => {
                if let Some(t) = pick(
                    &tasks_in(&w.c, &[TaskState::Pending, TaskState::Running]),
                    *k,
                ) {
                    w.c.finish_stop(t, StopReason::Completed, now);
                }
            }
            Op::Run(k) => {
                if let Some(t) = pick(&tasks_in(&w.c, &[TaskState::Pending]), *k) {
                    w.c.mark_running(t, now);
                }
            }
            Op::Drain(k) => {
                if let Some(i) = pick(&instances_in(&w.c, InstanceState::Active), *k) {
                    w.c.set_draining(i);
                }
            }
            Op::Activate(k) => {
                if let Some(i) = pick(&instances_in(&w.c, InstanceState::Registering), *k) {
                    w.c.activate_instance(i, now);
                }
            }
            Op::Terminate(k) => {
                // Any instance without tasks: a drained one, an idle ACTIVE
                // one (ASG scale-in), or a REGISTERING one (launch cancelled).
                let empty: Vec<_> =
                    w.c.instances()
                        .iter()
                        .filter(|i| i.state != InstanceState::Terminated && i.tasks.is_empty())
                        .map(|i| i.id)
                        .collect();
                if let Some(i) = pick(&empty, *k) {
                    w.c.terminate_instance(i, now);
                }
            }
        }
        check_invariants(&w)?;
    }
    prop_assert_eq!(w.c.tasks().len(), placed, "tasks conserved");
    Ok(())
}

/// The P8 victim by brute force: every candidate's key computed from
/// scratch (reversed preferences, then lowest rank, then newest task).
fn victim_by_scan(c: &Cluster, chain: &[Strategy], left: &[TaskId]) -> Option<TaskId> {
    use ecsim::placement::{BinpackField, SpreadField};
    left.iter()
        .filter_map(|&t| {
            let task = c.task(t);
            let i = c.instance(task.instance?);
            let keys: Vec<u64> = chain
                .iter()
                .map(|s| match s {
                    Strategy::Binpack(f) => {
                        let after = i.remaining().plus(&task.reservation);
                        u64::MAX
                            - u64::from(match f {
                                BinpackField::Cpu => after.cpu,
                                BinpackField::Memory => after.memory,
                            })
                    }
                    Strategy::Spread(SpreadField::InstanceId) => {
                        u64::MAX - u64::from(c.group_count_on_instance(task.group, i.id))
                    }
                    Strategy::Spread(SpreadField::Attribute(a)) => {
                        let value = |x: &ecsim::model::ContainerInstance| {
                            c.attrs.find_name(a).and_then(|a| x.attribute(a))
                        };
                        let n: u32 = c
                            .instances()
                            .iter()
                            .filter(|o| value(o) == value(i))
                            .map(|o| c.group_count_on_instance(task.group, o.id))
                            .sum();
                        u64::MAX - u64::from(n)
                    }
                    Strategy::Random => 0,
                })
                .collect();
            Some(((keys, i.rank, Reverse(t)), t))
        })
        .min()
        .map(|(_, t)| t)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// ECS-MODEL P1–P9, R4, R5: invariants after every operation, and every
    /// decision equal to the reference scan and the oracle.
    #[test]
    fn random_operations_keep_invariants(sc in scenario()) {
        run_scenario(&sc)?;
    }
}

// ------------------------------------------------------------------ P8

#[derive(Debug, Clone)]
struct ScaleIn {
    instances: Vec<InstSpec>,
    /// (group index, cpu, mem, target instance index) of tasks to put.
    tasks: Vec<(usize, u32, u32, usize)>,
    chain: Vec<u8>,
    n: usize,
}

fn scale_in_scenario() -> impl Gen<Value = ScaleIn> {
    (1usize..=3).prop_flat_map(|azs| {
        (
            vec(
                inst_spec(azs).prop_map(|mut s| {
                    s.init = Init::Active;
                    s
                }),
                1..=20,
            ),
            vec((0usize..2, 0u32..=256, 0u32..=512, 0usize..1000), 1..=30),
            // Non-random chains only: victims are then deterministic.
            vec(0u8..5, 0..=3),
            1usize..=35,
        )
            .prop_map(|(instances, tasks, chain, n)| ScaleIn {
                instances,
                tasks,
                chain,
                n,
            })
    })
}

fn run_scale_in(sc: &ScaleIn) -> Result<(), TestCaseError> {
    let mut w = world(&sc.instances);
    let chain: Vec<Strategy> = sc.chain.iter().map(|&s| strategy(s)).collect();
    let g0 = w.groups[0];
    let policy = Policy::new(chain.clone(), vec![], Some(g0)).indexed(&mut w.c);
    w.initial_states();
    for &(g, cpu, mem, k) in &sc.tasks {
        let t = NewTask {
            def: TaskDefId(0),
            group: w.groups[g],
            owner: TaskOwner::Service(ServiceId(g as u32)),
            reservation: Resources::new(cpu, mem),
            ports: vec![],
            needs_eni: false,
            created_at: T0,
            work: None,
        };
        let id = w.ids[k % w.ids.len()];
        if w.c.check_resources(w.c.instance(id), &t.req()).is_ok() {
            w.c.start_task(t, id, &[], SimTime(1_000));
        }
    }
    let cands: Vec<TaskId> =
        w.c.tasks()
            .iter()
            .filter(|t| t.group == g0 && t.is_live())
            .map(|t| t.id)
            .collect();
    let mut rng = RngStreams::new(7).stream("scale-in");
    let victims = choose_victims(&w.c, &policy, &cands, sc.n, &mut rng);
    // n distinct candidates (or all of them).
    prop_assert_eq!(victims.len(), sc.n.min(cands.len()));
    let distinct: BTreeSet<_> = victims.iter().collect();
    prop_assert_eq!(distinct.len(), victims.len());
    prop_assert!(victims.iter().all(|v| cands.contains(v)));
    // P8 "one after the other with updated counts": choosing n at once
    // equals choosing one, stopping it, and choosing again.
    let mut c = w.c.clone();
    let mut left = cands.clone();
    let mut one_by_one = Vec::new();
    for _ in 0..victims.len() {
        let v = choose_victims(&c, &policy, &left, 1, &mut rng);
        prop_assert_eq!(v.len(), 1);
        let v = v[0];
        prop_assert_eq!(Some(v), victim_by_scan(&c, &chain, &left), "{:?}", chain);
        c.finish_stop(v, StopReason::ScaledIn, SimTime(2_000));
        left.retain(|&t| t != v);
        one_by_one.push(v);
    }
    prop_assert_eq!(&victims, &one_by_one, "{:?}", chain);
    // The first victim is best for the first strategy, measured from scratch.
    if let (Some(first), Some(&v)) = (chain.first(), victims.first()) {
        let d = derive(&w.c);
        let measure = |t: TaskId| -> u64 {
            let task = w.c.task(t);
            let i = task.instance.expect("placed");
            match first {
                Strategy::Binpack(f) => {
                    let r = d.remaining(&w.c, i).plus(&task.reservation);
                    u64::from(match f {
                        ecsim::placement::BinpackField::Cpu => r.cpu,
                        ecsim::placement::BinpackField::Memory => r.memory,
                    })
                }
                Strategy::Spread(ecsim::placement::SpreadField::InstanceId) => {
                    u64::from(d.live_on(g0, i))
                }
                Strategy::Spread(ecsim::placement::SpreadField::Attribute(a)) => {
                    let value = |x: InstanceId| {
                        if a == AZ_ATTR {
                            w.az_of(x)
                        } else {
                            w.type_of(x)
                        }
                    };
                    w.c.instances()
                        .iter()
                        .filter(|o| value(o.id) == value(i))
                        .map(|o| u64::from(d.live_on(g0, o.id)))
                        .sum()
                }
                Strategy::Random => 0,
            }
        };
        let best = cands.iter().map(|&t| measure(t)).max().unwrap_or(0);
        prop_assert_eq!(
            measure(v),
            best,
            "first victim not the best for {:?}",
            first
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// ECS-MODEL P8: scale-in victims are distinct candidates, chosen one
    /// after the other with updated counts, the first maximizing the first
    /// strategy's measure.
    #[test]
    fn scale_in_victims_are_sequential(sc in scale_in_scenario()) {
        run_scale_in(&sc)?;
    }
}

// ------------------------------------------------------ P3 spread, full

#[derive(Debug, Clone)]
struct SpreadFill {
    instances: Vec<InstSpec>,
    /// (group index, cpu, mem) of the tasks placed in turn, cycled.
    tasks: Vec<(usize, u32, u32)>,
    /// Whether the policies carry a memberOf constraint.
    member_of: bool,
    seed: u64,
}

fn spread_fill() -> impl Gen<Value = SpreadFill> {
    (
        vec(inst_spec(3), 20..80),
        vec(
            (
                0usize..3,
                (1u32..=16).prop_map(|x| x * 128),
                (1u32..=16).prop_map(|x| x * 256),
            ),
            1..6,
        ),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(instances, tasks, member_of, seed)| SpreadFill {
            instances,
            tasks,
            member_of,
            seed,
        })
}

/// Fills the cluster by spread(instanceId) for tracked groups until
/// nothing fits: most instances end full while the group orders still list
/// them first (what the spread walk skips through the resource index).
fn run_spread_fill(sc: &SpreadFill) -> Result<(), TestCaseError> {
    let mut w = world(&sc.instances);
    let cons = if sc.member_of {
        vec![member_of(
            "attribute:ecs.instance-type =~ m6i.* or attribute:ecs.instance-type == c6i.large",
        )]
    } else {
        vec![]
    };
    let policies: Vec<Policy> = (0..GROUPS.len())
        .map(|g| {
            Policy::new(vec![spread_instance()], cons.clone(), Some(w.groups[g])).indexed(&mut w.c)
        })
        .collect();
    w.initial_states();
    let mut rng = RngStreams::new(sc.seed).stream("placement");
    let mut failures = 0;
    for k in 0..4_000 {
        let (g, cpu, mem) = sc.tasks[k % sc.tasks.len()];
        let t = NewTask {
            def: TaskDefId(0),
            group: w.groups[g],
            owner: TaskOwner::Service(ServiceId(g as u32)),
            reservation: Resources::new(cpu, mem),
            ports: vec![],
            needs_eni: false,
            created_at: T0,
            work: None,
        };
        let got = decide(&w.c, &policies[g], &t.req(), &mut rng);
        let reference = explain(&w.c, &policies[g], &t.req(), &mut rng);
        prop_assert_eq!(
            got.ok(),
            reference.chosen,
            "step {}: indexed != reference",
            k
        );
        match got {
            Ok(id) => {
                w.c.start_task(t, id, &[], SimTime(5_000));
            }
            Err(_) => {
                failures += 1;
                if failures > sc.tasks.len() {
                    break;
                }
            }
        }
    }
    check_invariants(&w)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// ECS-MODEL P3: spread(instanceId) chooses the reference scan's
    /// instance while it fills a cluster, when the group order's first
    /// instances are full.
    #[test]
    fn spread_instance_fill_matches_reference(sc in spread_fill()) {
        run_spread_fill(&sc)?;
    }
}
