//! Placement throughput on a 5,000-instance cluster (ECS's maximum).
//!
//! Every benchmark runs on the same cluster: 5,000 ACTIVE m6i.xlarge-like
//! instances (4096 cpu units, 15,728 MiB registered) over three AZs, with
//! random tie-break ranks, pre-loaded to 50% of its CPU (about 42% of its
//! memory) with tasks of three services and five sizes, so that the ordered
//! indexes hold many distinct keys. The pre-load puts tasks on random
//! instances, except for `*_packed*`, where the benchmark's own policy
//! places them (the state a binpack cluster is really in). Each benchmark
//! builds its own copy, because the policy has the cluster index the
//! attributes and groups it reads, and that sets which indexes the cluster
//! keeps.
//!
//! Benchmarks of group `placement_5000`:
//!
//! * `<chain>` (binpack_memory, binpack_cpu, spread_az_binpack_memory,
//!   service_default, random): steady-state placement. One iteration places
//!   a batch of 1,000 tasks of `service:web` (`decide` + `start_task`), then
//!   stops all 1,000 (`finish_stop`), which returns the cluster to its
//!   starting state. The release is part of the measured cost (it updates the
//!   same indexes the placement did), so placements/s here is a lower bound
//!   on `decide` + apply alone.
//! * `<chain>_decide_only`: 1,000 `decide` calls on the unchanged cluster,
//!   the pure decision cost.
//! * `binpack_memory_packed`: place and release as above, on a cluster
//!   pre-loaded by binpack(memory) itself: about half the instances are out
//!   of CPU with memory left.
//! * `binpack_memory_packed_decide_only`: 1,000 `decide` calls on that
//!   cluster (the size-class buckets keep the walk off the instances with
//!   memory but no CPU).
//! * `reference_binpack_cpu_spread_instance_decide_only`: a chain the
//!   indexed path does not cover, so `decide` scans all 5,000 instances.
//! * `explain_binpack_memory`: `placement::explain`, the reference scan with
//!   its trace, for the same chain as `binpack_memory_decide_only`; their
//!   ratio is the speedup of the indexed path.
//!
//! * `scale_in_<chain>`: `choose_victims` of 1,000 among the 100,000 tasks
//!   of one service (ECS-MODEL P8), placed on the 5,000 instances by the
//!   chain; throughput in victims per second.
//!
//! Throughput is in placements (decisions) per second.
//!
//! Run: `cargo bench --bench placement`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ecsim::model::{
    Cluster, GroupId, InstanceGroupId, InstanceId, NewInstance, NewTask, Resources, ServiceId,
    StopReason, TaskDefId, TaskId, TaskOwner,
};
use ecsim::placement::{self, BinpackField, Policy, SpreadField, Strategy};
use ecsim::sim::{RngStreams, SimRng, SimTime};
use rand::Rng;

/// Container instances in the cluster.
const INSTANCES: usize = 5_000;
/// Registered resources of one instance (m6i.xlarge-like).
const REGISTERED: Resources = Resources::new(4096, 15_728);
/// Availability zones, assigned round-robin.
const AZS: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];
/// Task sizes (cpu units, MiB), used for the pre-load and the placed tasks.
const SIZES: [Resources; 5] = [
    Resources::new(256, 1024),
    Resources::new(256, 2048),
    Resources::new(512, 1024),
    Resources::new(512, 2048),
    Resources::new(1024, 2048),
];
/// Fraction of registered CPU reserved by the pre-load.
const PRELOAD_CPU: f64 = 0.5;
/// Placements per iteration of the indexed benchmarks.
const BATCH: usize = 1_000;
/// Decisions per iteration of the benchmarks that scan every instance.
const REF_BATCH: usize = 20;
/// Place-and-release iterations between resets of the cluster: tasks are
/// never removed from `Cluster::tasks`, so the copy is replaced (untimed)
/// before that vector grows large.
const RESET_EVERY: u64 = 100;

/// Where the pre-load puts its tasks.
#[derive(Clone, Copy)]
enum Preload {
    /// On uniformly random instances that fit.
    Random,
    /// Where the benchmark's own policy decides.
    ByPolicy,
}

/// A pre-loaded cluster, the policy it was built for and the placed group.
struct Setup {
    cluster: Cluster,
    policy: Policy,
    web: GroupId,
}

fn build(strategies: Vec<Strategy>, preload: Preload) -> Setup {
    let mut cluster = Cluster::new();
    let web = cluster.group("service:web");
    let preload_groups = [
        web,
        cluster.group("service:api"),
        cluster.group("service:worker"),
    ];
    // Before any activation: registers tracked attributes and groups.
    let policy = Policy::new(strategies, vec![], Some(web)).indexed(&mut cluster);

    let streams = RngStreams::new(1);
    let mut tie = streams.stream("tie");
    for i in 0..INSTANCES {
        let az = AZS[i % AZS.len()];
        let id = cluster.add_instance(
            NewInstance {
                group: InstanceGroupId(0),
                instance_type: "m6i.xlarge".into(),
                az: az.into(),
                registered: REGISTERED,
                eni_capacity: 3,
                attributes: vec![
                    ("ecs.availability-zone".into(), az.into()),
                    ("ecs.instance-type".into(), "m6i.xlarge".into()),
                ],
                tie: tie.gen(),
            },
            SimTime(0),
        );
        cluster.activate_instance(id, SimTime(0));
    }

    // Pre-load: random sizes, a third of them web tasks, on random instances
    // or where the policy under test puts them.
    let mut rng = streams.stream("preload");
    let target = (f64::from(cluster.registered_total().cpu) * PRELOAD_CPU) as u32;
    let mut n = 0usize;
    while cluster.reserved_total().cpu < target {
        let t = task(
            preload_groups[n % preload_groups.len()],
            SIZES[rng.gen_range(0..SIZES.len())],
        );
        let inst = match preload {
            Preload::Random => {
                let inst = InstanceId(rng.gen_range(0..INSTANCES as u32));
                if !cluster.instance(inst).remaining().covers(&t.reservation) {
                    continue;
                }
                inst
            }
            Preload::ByPolicy => {
                placement::decide(&cluster, &policy, &t.req(), &mut rng).expect("half-empty")
            }
        };
        cluster.start_task(t, inst, &[], SimTime(0));
        n += 1;
    }
    Setup {
        cluster,
        policy,
        web,
    }
}

fn task(group: GroupId, reservation: Resources) -> NewTask {
    NewTask {
        def: TaskDefId(0),
        group,
        owner: TaskOwner::Service(ServiceId(0)),
        reservation,
        ports: vec![],
        needs_eni: false,
        created_at: SimTime(0),
        work: None,
    }
}

/// Places `BATCH` web tasks (decide + start_task), then stops them all.
fn place_and_release(
    cluster: &mut Cluster,
    policy: &Policy,
    web: GroupId,
    rng: &mut SimRng,
    placed: &mut Vec<TaskId>,
) {
    for i in 0..BATCH {
        let t = task(web, SIZES[i % SIZES.len()]);
        let inst = placement::decide(cluster, policy, &t.req(), rng).expect("half-empty cluster");
        placed.push(cluster.start_task(t, inst, &[], SimTime(0)));
    }
    for id in placed.drain(..) {
        cluster.finish_stop(id, StopReason::ScaledIn, SimTime(0));
    }
}

/// Measures steady-state place-and-release batches on copies of `setup`.
fn bench_place(c: &mut Criterion, name: &str, strategies: Vec<Strategy>, preload: Preload) {
    let setup = build(strategies, preload);
    let mut rng = RngStreams::new(1).stream("placement");
    let mut group = c.benchmark_group("placement_5000");
    configure(&mut group, BATCH);
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut cluster = setup.cluster.clone();
            let mut placed = Vec::with_capacity(BATCH);
            let mut elapsed = Duration::ZERO;
            for i in 0..iters {
                if i > 0 && i.is_multiple_of(RESET_EVERY) {
                    cluster = setup.cluster.clone();
                }
                let start = Instant::now();
                place_and_release(
                    &mut cluster,
                    &setup.policy,
                    setup.web,
                    &mut rng,
                    &mut placed,
                );
                elapsed += start.elapsed();
            }
            black_box(&cluster);
            elapsed
        });
    });
    group.finish();
}

/// Measures `decide` alone (no apply) on the unchanged cluster.
fn bench_decide(
    c: &mut Criterion,
    name: &str,
    strategies: Vec<Strategy>,
    preload: Preload,
    batch: usize,
) {
    let setup = build(strategies, preload);
    let tasks: Vec<NewTask> = (0..batch)
        .map(|i| task(setup.web, SIZES[i % SIZES.len()]))
        .collect();
    let mut rng = RngStreams::new(1).stream("placement");
    let mut group = c.benchmark_group("placement_5000");
    configure(&mut group, batch);
    group.bench_function(name, |b| {
        b.iter(|| {
            for t in &tasks {
                black_box(placement::decide(
                    &setup.cluster,
                    &setup.policy,
                    &t.req(),
                    &mut rng,
                ))
                .expect("half-empty cluster");
            }
        });
    });
    group.finish();
}

/// Measures `placement::explain` (the reference scan with its trace).
fn bench_explain(c: &mut Criterion, name: &str, strategies: Vec<Strategy>) {
    let setup = build(strategies, Preload::Random);
    let tasks: Vec<NewTask> = (0..REF_BATCH)
        .map(|i| task(setup.web, SIZES[i % SIZES.len()]))
        .collect();
    // The indexed and the reference path agree on deterministic chains.
    let mut rng = RngStreams::new(1).stream("placement");
    for t in &tasks {
        assert_eq!(
            placement::decide(&setup.cluster, &setup.policy, &t.req(), &mut rng).ok(),
            placement::explain(&setup.cluster, &setup.policy, &t.req(), &mut rng).chosen,
        );
    }
    let mut group = c.benchmark_group("placement_5000");
    configure(&mut group, REF_BATCH);
    group.bench_function(name, |b| {
        b.iter(|| {
            for t in &tasks {
                black_box(placement::explain(
                    &setup.cluster,
                    &setup.policy,
                    &t.req(),
                    &mut rng,
                ));
            }
        });
    });
    group.finish();
}

fn configure(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    n: usize,
) {
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(n as u64));
}

fn binpack(field: BinpackField) -> Vec<Strategy> {
    vec![Strategy::Binpack(field)]
}

fn spread_az_binpack_memory() -> Vec<Strategy> {
    vec![
        Strategy::Spread(SpreadField::Attribute("ecs.availability-zone".into())),
        Strategy::Binpack(BinpackField::Memory),
    ]
}

fn placement_benches(c: &mut Criterion) {
    let random = Preload::Random;
    bench_place(c, "binpack_memory", binpack(BinpackField::Memory), random);
    bench_place(c, "binpack_cpu", binpack(BinpackField::Cpu), random);
    bench_place(
        c,
        "spread_az_binpack_memory",
        spread_az_binpack_memory(),
        random,
    );
    bench_place(c, "service_default", Strategy::service_default(), random);
    bench_place(c, "random", vec![Strategy::Random], random);
    // Place and release on the cluster binpack(memory) itself packed.
    bench_place(
        c,
        "binpack_memory_packed",
        binpack(BinpackField::Memory),
        Preload::ByPolicy,
    );

    bench_decide(
        c,
        "binpack_memory_decide_only",
        binpack(BinpackField::Memory),
        random,
        BATCH,
    );
    bench_decide(
        c,
        "spread_az_binpack_memory_decide_only",
        spread_az_binpack_memory(),
        random,
        BATCH,
    );
    bench_decide(
        c,
        "service_default_decide_only",
        Strategy::service_default(),
        random,
        BATCH,
    );
    bench_decide(
        c,
        "random_decide_only",
        vec![Strategy::Random],
        random,
        BATCH,
    );
    // The cluster as binpack(memory) itself leaves it: many instances run out
    // of CPU with memory left, and the walk over remaining memory passes them.
    bench_decide(
        c,
        "binpack_memory_packed_decide_only",
        binpack(BinpackField::Memory),
        Preload::ByPolicy,
        BATCH,
    );

    // Reference scan: a chain the indexed path does not cover...
    bench_decide(
        c,
        "reference_binpack_cpu_spread_instance_decide_only",
        vec![
            Strategy::Binpack(BinpackField::Cpu),
            Strategy::Spread(SpreadField::InstanceId),
        ],
        random,
        REF_BATCH,
    );
    // ...and `explain` on the chain of `binpack_memory_decide_only`.
    bench_explain(c, "explain_binpack_memory", binpack(BinpackField::Memory));

    bench_scale_in(c, "scale_in_service_default", Strategy::service_default());
    bench_scale_in(
        c,
        "scale_in_spread_az_binpack_memory",
        spread_az_binpack_memory(),
    );
}

/// Tasks of the scaled-in service in the scale-in benchmarks.
const SCALE_IN_TASKS: usize = 100_000;
/// Victims chosen per scale-in.
const SCALE_IN_VICTIMS: usize = 1_000;

/// Measures `choose_victims` of 1,000 among the 100,000 tasks of one
/// service, placed on the 5,000 instances by `strategies` (ECS-MODEL P8).
fn bench_scale_in(c: &mut Criterion, name: &str, strategies: Vec<Strategy>) {
    let mut cluster = Cluster::new();
    let web = cluster.group("service:web");
    let policy = Policy::new(strategies, vec![], Some(web)).indexed(&mut cluster);
    let streams = RngStreams::new(1);
    let mut tie = streams.stream("tie");
    for i in 0..INSTANCES {
        let az = AZS[i % AZS.len()];
        let id = cluster.add_instance(
            NewInstance {
                group: InstanceGroupId(0),
                instance_type: "m6i.xlarge".into(),
                az: az.into(),
                registered: REGISTERED,
                eni_capacity: 3,
                attributes: vec![("ecs.availability-zone".into(), az.into())],
                tie: tie.gen(),
            },
            SimTime(0),
        );
        cluster.activate_instance(id, SimTime(0));
    }
    let mut rng = streams.stream("preload");
    let sizes = [Resources::new(64, 128), Resources::new(128, 256)];
    let candidates: Vec<TaskId> = (0..SCALE_IN_TASKS)
        .map(|i| {
            let t = task(web, sizes[i % sizes.len()]);
            let inst = placement::decide(&cluster, &policy, &t.req(), &mut rng).expect("room");
            cluster.start_task(t, inst, &[], SimTime(0))
        })
        .collect();
    let mut group = c.benchmark_group("placement_5000");
    configure(&mut group, SCALE_IN_VICTIMS);
    group.bench_function(name, |b| {
        b.iter(|| {
            black_box(placement::scale_in::choose_victims(
                &cluster,
                &policy,
                &candidates,
                SCALE_IN_VICTIMS,
                &mut rng,
            ))
        });
    });
    group.finish();
}

criterion_group!(benches, placement_benches);
criterion_main!(benches);
