//! Shared fixtures for the placement tests: instance and task builders, the
//! small discriminating cluster of `placement_table.rs`, and a checker that
//! runs a decision through both the indexed path (`decide`) and the
//! reference scan (`explain`) and insists they agree.
//!
//! And the helpers the scenario tests share: `load`, `run` and `errors` of an
//! inline scenario.
#![allow(dead_code)]

use ecsim::model::{
    Cluster, GroupId, HostPort, InstanceGroupId, InstanceId, NewInstance, NewTask, Protocol,
    Resources, ServiceId, TaskDefId, TaskId, TaskOwner, Unfit,
};
use ecsim::placement::query::Query;
use ecsim::placement::{
    closest_match, decide, explain, BinpackField, Constraint, Policy, SpreadField, Strategy,
};
use ecsim::sim::{RngStreams, SimRng, SimTime};

/// Built-in attribute names (the engine adds these; tests add them themselves).
pub const AZ_ATTR: &str = "ecs.availability-zone";
pub const TYPE_ATTR: &str = "ecs.instance-type";

pub const AZS: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

/// The two instance types of the fixture (registered sizes, R2).
pub const SMALL_TYPE: &str = "c6i.large";
pub const SMALL: Resources = Resources::new(2048, 3891);
pub const BIG_TYPE: &str = "m6i.xlarge";
pub const BIG: Resources = Resources::new(4096, 15728);

pub const T0: SimTime = SimTime(0);

// ---------------------------------------------------------------- builders

/// A REGISTERING-instance spec with the built-in AZ and type attributes.
pub fn instance(ty: &str, az: &str, registered: Resources, eni_capacity: u32) -> NewInstance {
    instance_with_tie(ty, az, registered, eni_capacity, 0)
}

/// Like [`instance`] with an explicit tie-break value.
pub fn instance_with_tie(
    ty: &str,
    az: &str,
    registered: Resources,
    eni_capacity: u32,
    tie: u32,
) -> NewInstance {
    NewInstance {
        group: InstanceGroupId(0),
        instance_type: ty.to_string(),
        az: az.to_string(),
        registered,
        eni_capacity,
        attributes: vec![
            (AZ_ATTR.to_string(), az.to_string()),
            (TYPE_ATTR.to_string(), ty.to_string()),
        ],
        tie,
    }
}

/// A task of `group` reserving `cpu` units and `mem` MiB, no ports, bridge mode.
pub fn task(group: GroupId, cpu: u32, mem: u32) -> NewTask {
    NewTask {
        def: TaskDefId(0),
        group,
        owner: TaskOwner::Service(ServiceId(0)),
        reservation: Resources::new(cpu, mem),
        ports: Vec::new(),
        needs_eni: false,
        created_at: T0,
        work: None,
    }
}

/// The same task with fixed host ports.
pub fn with_ports(mut t: NewTask, ports: &[HostPort]) -> NewTask {
    t.ports = ports.to_vec();
    t
}

/// The same task in awsvpc mode (needs an ENI, R4).
pub fn awsvpc(mut t: NewTask) -> NewTask {
    t.needs_eni = true;
    t
}

pub fn tcp(port: u16) -> HostPort {
    HostPort {
        port,
        protocol: Protocol::Tcp,
    }
}

pub fn udp(port: u16) -> HostPort {
    HostPort {
        port,
        protocol: Protocol::Udp,
    }
}

pub fn rng(purpose: &str) -> SimRng {
    RngStreams::new(42).stream(purpose)
}

pub fn binpack_cpu() -> Strategy {
    Strategy::Binpack(BinpackField::Cpu)
}
pub fn binpack_mem() -> Strategy {
    Strategy::Binpack(BinpackField::Memory)
}
pub fn spread_instance() -> Strategy {
    Strategy::Spread(SpreadField::InstanceId)
}
pub fn spread_az() -> Strategy {
    Strategy::Spread(SpreadField::Attribute(AZ_ATTR.into()))
}
pub fn spread_type() -> Strategy {
    Strategy::Spread(SpreadField::Attribute(TYPE_ATTR.into()))
}

/// `memberOf(expr)`; panics on a parse error.
pub fn member_of(expr: &str) -> Constraint {
    Constraint::MemberOf(Query::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}")))
}

/// Adds REGISTERING instances; returns their ids.
pub fn add_all(cluster: &mut Cluster, specs: Vec<NewInstance>) -> Vec<InstanceId> {
    specs
        .into_iter()
        .map(|s| cluster.add_instance(s, T0))
        .collect()
}

/// Activates every instance in `ids` (call after creating the policies).
pub fn activate_all(cluster: &mut Cluster, ids: &[InstanceId]) {
    for &id in ids {
        cluster.activate_instance(id, SimTime(1_000));
    }
}

// ------------------------------------------------------ the decision checker

/// Runs `decide` (indexed path where it applies) and `explain` (reference
/// scan) and checks that they agree:
/// * for a chain without `random`, the same instance;
/// * for a chain with `random`, `decide`'s pick is a candidate of the
///   reference whose keys before the first `random` are the best (P5);
/// * on failure, both fail, and the reason equals `closest_match` and the
///   explanation's reason (P9).
///
/// Returns `decide`'s answer.
pub fn decide_checked(
    cluster: &Cluster,
    policy: &Policy,
    t: &NewTask,
    rng: &mut SimRng,
) -> Result<InstanceId, Unfit> {
    let req = t.req();
    let got = decide(cluster, policy, &req, rng);
    let ex = explain(cluster, policy, &req, rng);
    let random_at = policy
        .strategies()
        .iter()
        .position(|s| *s == Strategy::Random);
    match got {
        Ok(id) => {
            assert!(
                policy.check(cluster, id, &req).is_ok(),
                "decide chose {id}, which fails the checks"
            );
            match random_at {
                None => assert_eq!(
                    Some(id),
                    ex.chosen,
                    "indexed decide and reference scan disagree for {:?}",
                    policy.strategies()
                ),
                Some(k) => {
                    let best = ex
                        .candidates
                        .iter()
                        .map(|c| c.1[..k].to_vec())
                        .min()
                        .expect("decide found an instance, reference has no candidate");
                    let mine = ex
                        .candidates
                        .iter()
                        .find(|c| c.0 == id)
                        .unwrap_or_else(|| panic!("{id} is not a reference candidate"));
                    assert_eq!(
                        mine.1[..k].to_vec(),
                        best,
                        "random pick {id} is outside the best bucket"
                    );
                    assert!(ex.chosen.is_some());
                }
            }
        }
        Err(reason) => {
            assert_eq!(ex.chosen, None, "decide failed but the reference placed");
            assert!(ex.candidates.is_empty());
            assert_eq!(ex.reason, Some(reason));
            assert_eq!(closest_match(cluster, policy, &req), reason);
        }
    }
    got
}

// ------------------------------------------------------- the table fixture

/// The discriminating cluster of the table tests. Six instances, two per AZ,
/// one small (c6i.large, 2048 cpu / 3891 MiB, 2 ENIs) and one big
/// (m6i.xlarge, 4096 cpu / 15728 MiB, 3 ENIs) in each:
///
/// | inst | AZ | type  | preloaded tasks (cpu/MiB)               | remaining   | A | B | running |
/// |------|----|-------|------------------------------------------|-------------|---|---|---------|
/// | i0   | 1a | small | B 1024/512                               | 1024 / 3379 | 0 | 1 | 1       |
/// | i1   | 1a | big   | A 512/1024, A 512/1024                   | 3072 / 13680| 2 | 0 | 2       |
/// | i2   | 1b | small | A 512/256                                | 1536 / 3635 | 1 | 0 | 1       |
/// | i3   | 1b | big   | B 1024/4100, B 1024/4100, B 512/4100     | 1536 / 3428 | 0 | 3 | 3       |
/// | i4   | 1c | small | A 896/256, A 896/256                     |  256 / 3379 | 2 | 0 | 2       |
/// | i5   | 1c | big   | B 256/7000, B 256/7000 (both PENDING)    | 3584 / 1728 | 0 | 2 | 0       |
///
/// Group A per AZ: 1a 2, 1b 1, 1c 2; per type: small 3, big 2.
/// Group B per AZ: 1a 1, 1b 3, 1c 2; per type: small 1, big 5.
///
/// For the next task of A (256 cpu / 512 MiB) every single strategy gives a
/// different instance: binpack(cpu) i4, binpack(memory) i5,
/// spread(instanceId) i0, spread(AZ) i2, spread(type) i1, service default i3.
pub struct Fixture {
    pub cluster: Cluster,
    /// `service:A`.
    pub a: GroupId,
    /// `service:B`.
    pub b: GroupId,
    /// i0..i5.
    pub i: Vec<InstanceId>,
    /// Preloaded tasks, in creation order, with the index of their instance.
    pub preloaded: Vec<(usize, TaskId)>,
}

impl Fixture {
    /// The six instances, REGISTERING, no tasks yet. Create policies with
    /// [`policy`](Self::policy), then call [`load`](Self::load).
    pub fn registering() -> Fixture {
        let mut cluster = Cluster::new();
        let a = cluster.group("service:A");
        let b = cluster.group("service:B");
        let mut specs = Vec::new();
        for az in AZS {
            specs.push(instance(SMALL_TYPE, az, SMALL, 2));
            specs.push(instance(BIG_TYPE, az, BIG, 3));
        }
        let i = add_all(&mut cluster, specs);
        Fixture {
            cluster,
            a,
            b,
            i,
            preloaded: Vec::new(),
        }
    }

    /// A policy for tasks of group A.
    pub fn policy(&mut self, strategies: Vec<Strategy>, constraints: Vec<Constraint>) -> Policy {
        let a = self.a;
        self.policy_for(a, strategies, constraints)
    }

    /// A policy for tasks of `group`.
    pub fn policy_for(
        &mut self,
        group: GroupId,
        strategies: Vec<Strategy>,
        constraints: Vec<Constraint>,
    ) -> Policy {
        Policy::new(strategies, constraints, Some(group)).indexed(&mut self.cluster)
    }

    /// Activates the instances and places the preloaded tasks of the table.
    pub fn load(&mut self) {
        activate_all(&mut self.cluster, &self.i);
        let (a, b) = (self.a, self.b);
        let plan: [(usize, GroupId, u32, u32, bool); 11] = [
            (0, b, 1024, 512, true),
            (1, a, 512, 1024, true),
            (1, a, 512, 1024, true),
            (2, a, 512, 256, true),
            (3, b, 1024, 4100, true),
            (3, b, 1024, 4100, true),
            (3, b, 512, 4100, true),
            (4, a, 896, 256, true),
            (4, a, 896, 256, true),
            (5, b, 256, 7000, false),
            (5, b, 256, 7000, false),
        ];
        for (k, g, cpu, mem, running) in plan {
            let t = self.put(k, task(g, cpu, mem), running);
            self.preloaded.push((k, t));
        }
    }

    /// The fixture, loaded, with no policy registered.
    pub fn loaded() -> Fixture {
        let mut fx = Fixture::registering();
        fx.load();
        fx
    }

    /// Starts `t` on instance `k` (PENDING), and marks it RUNNING if asked.
    pub fn put(&mut self, k: usize, t: NewTask, running: bool) -> TaskId {
        let id = self.cluster.start_task(t, self.i[k], &[], SimTime(2_000));
        if running {
            self.cluster.mark_running(id, SimTime(3_000));
        }
        id
    }

    /// The index (0..6) of an instance id.
    pub fn k(&self, id: InstanceId) -> usize {
        self.i
            .iter()
            .position(|&x| x == id)
            .expect("fixture instance")
    }

    /// Live (PENDING or RUNNING) tasks of `group`, by id.
    pub fn live_tasks(&self, group: GroupId) -> Vec<TaskId> {
        self.cluster
            .tasks()
            .iter()
            .filter(|t| t.group == group && t.is_live())
            .map(|t| t.id)
            .collect()
    }

    /// The newest task of `group` on instance `k`.
    pub fn newest_on(&self, k: usize, group: GroupId) -> TaskId {
        *self
            .cluster
            .instance(self.i[k])
            .tasks
            .iter()
            .filter(|&&t| self.cluster.task(t).group == group)
            .max()
            .expect("a task of the group there")
    }

    /// `decide_checked` for a task, answering with the fixture index.
    pub fn place_index(
        &self,
        policy: &Policy,
        t: &NewTask,
        rng: &mut SimRng,
    ) -> Result<usize, Unfit> {
        decide_checked(&self.cluster, policy, t, rng).map(|id| self.k(id))
    }
}

/// The path inline scenarios are read as: it only appears in messages, and
/// relative paths in a scenario would resolve next to it.
pub const INLINE: &str = "tests/fixtures/inline.toml";

/// Reads an inline scenario; panics with its issues if it is invalid.
pub fn load(text: &str) -> ecsim::scenario::Scenario {
    ecsim::scenario::load_str(text, std::path::Path::new(INLINE), &[])
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs an inline scenario with its own seed.
pub fn run(text: &str) -> ecsim::engine::RunResult {
    let sc = load(text);
    ecsim::engine::Simulation::new(&sc.spec, sc.seed).run()
}

/// The issues of an inline scenario that must be invalid.
pub fn errors(text: &str) -> Vec<String> {
    match ecsim::scenario::load_str(text, std::path::Path::new(INLINE), &[]) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => e.issues(),
    }
}

/// The `.toml` files of `dir`, sorted by path; at least one.
pub fn toml_files(dir: &str) -> Vec<std::path::PathBuf> {
    let mut v: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no .toml files in {dir}");
    v
}
