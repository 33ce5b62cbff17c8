//! Table tests of task placement (ECS-MODEL P1–P9, R4) on the discriminating
//! fixture of `common::Fixture`. Its state, for reference (remaining
//! cpu/MiB; tasks of groups A and B; RUNNING tasks):
//!
//! ```text
//! i0 1a small  1024 /  3379   A0 B1  run 1
//! i1 1a big    3072 / 13680   A2 B0  run 2
//! i2 1b small  1536 /  3635   A1 B0  run 1
//! i3 1b big    1536 /  3428   A0 B3  run 3
//! i4 1c small   256 /  3379   A2 B0  run 2
//! i5 1c big    3584 /  1728   A0 B2  run 0 (its two B tasks are PENDING)
//! A per AZ: 1a 2, 1b 1, 1c 2   A per type: small 3, big 2
//! B per AZ: 1a 1, 1b 3, 1c 2   B per type: small 1, big 5
//! ```
//!
//! Ties left after the last strategy go to the lowest instance id (all
//! fixture instances have `tie: 0`). Every decision also goes through
//! `common::decide_checked`, which compares the indexed path with the
//! reference scan and the failure reason with `closest_match`.

use ecsim::model::{Cluster, HostPort, InstanceId, InstanceState, Resources, StopReason, Unfit};
use ecsim::placement::scale_in::choose_victims;
use ecsim::placement::{decide, Constraint, Policy, Strategy};
use ecsim::sim::{SimRng, SimTime};

use crate::common::*;

#[derive(Clone, Copy, Debug)]
enum G {
    A,
    B,
}

/// One row of a table: a policy, a task, and the expected fixture index
/// (or failure reason).
struct Case {
    what: &'static str,
    chain: Vec<Strategy>,
    constraints: Vec<Constraint>,
    group: G,
    cpu: u32,
    mem: u32,
    ports: Vec<HostPort>,
    eni: bool,
    expect: Result<usize, Unfit>,
}

fn case(
    what: &'static str,
    chain: Vec<Strategy>,
    (cpu, mem): (u32, u32),
    expect: Result<usize, Unfit>,
) -> Case {
    Case {
        what,
        chain,
        constraints: Vec::new(),
        group: G::A,
        cpu,
        mem,
        ports: Vec::new(),
        eni: false,
        expect,
    }
}

impl Case {
    fn group_b(mut self) -> Self {
        self.group = G::B;
        self
    }
    fn with(mut self, c: Constraint) -> Self {
        self.constraints.push(c);
        self
    }
    fn ports(mut self, ports: &[HostPort]) -> Self {
        self.ports = ports.to_vec();
        self
    }
    fn eni(mut self) -> Self {
        self.eni = true;
        self
    }
}

/// Builds the fixture with one policy per case, loads it, applies `extra`,
/// then checks every case. Reports all failing rows at once.
fn run_table(cases: &[Case], extra: impl FnOnce(&mut Fixture)) {
    let mut fx = Fixture::registering();
    let policies: Vec<Policy> = cases
        .iter()
        .map(|c| {
            let g = match c.group {
                G::A => fx.a,
                G::B => fx.b,
            };
            fx.policy_for(g, c.chain.clone(), c.constraints.clone())
        })
        .collect();
    fx.load();
    extra(&mut fx);
    let mut r = rng("table");
    let mut failures = Vec::new();
    for (c, p) in cases.iter().zip(&policies) {
        let g = match c.group {
            G::A => fx.a,
            G::B => fx.b,
        };
        let mut t = with_ports(task(g, c.cpu, c.mem), &c.ports);
        if c.eni {
            t = awsvpc(t);
        }
        let got = fx.place_index(p, &t, &mut r);
        if got != c.expect {
            failures.push(format!(
                "{}: expected {:?}, got {:?}",
                c.what, c.expect, got
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

const TASK: (u32, u32) = (256, 512);

// ------------------------------------------------------------------ P2

#[test]
fn binpack_prefers_least_remaining_that_fits() {
    // ECS-MODEL P2 (and P1: candidates must fit cpu AND memory first).
    run_table(
        &[
            // cpu remaining 1024,3072,1536,1536,256,3584: i4 has 256 >= 256.
            case("binpack(cpu) 256/512", vec![binpack_cpu()], TASK, Ok(4)),
            // memory remaining 3379,13680,3635,3428,3379,1728: i5 has 1728 >= 512.
            case("binpack(memory) 256/512", vec![binpack_mem()], TASK, Ok(5)),
            // i4 256 < 512 cpu is out; next least is i0 with 1024.
            case(
                "binpack(cpu) skips too little cpu",
                vec![binpack_cpu()],
                (512, 512),
                Ok(0),
            ),
            // cpu order i4 256, i0 1024, i2 1536, i3 1536: i4 and i0 have
            // 3379 < 3500 MiB, i2 has 3635 >= 3500 -> i2 (before i3: 3428 < 3500).
            case(
                "binpack(cpu) skips least-cpu instance lacking memory",
                vec![binpack_cpu()],
                (256, 3500),
                Ok(2),
            ),
            // memory >= 3000 ascending: i0 3379 (cpu 1024 < 1100), i4 3379
            // (cpu 256 < 1100), i3 3428 (cpu 1536 >= 1100) -> i3.
            case(
                "binpack(memory) skips least-memory instances lacking cpu",
                vec![binpack_mem()],
                (1100, 3000),
                Ok(3),
            ),
            // memory >= 2000: i0 3379 and i4 3379 tie -> lowest id i0.
            case(
                "binpack(memory) tie -> lowest id",
                vec![binpack_mem()],
                (256, 2000),
                Ok(0),
            ),
            // cpu >= 1100: i2 1536 and i3 1536 tie -> lowest id i2.
            case(
                "binpack(cpu) tie -> lowest id",
                vec![binpack_cpu()],
                (1100, 512),
                Ok(2),
            ),
            // cpu >= 2048: i1 3072, i5 3584 -> i1.
            case(
                "binpack(cpu) big task",
                vec![binpack_cpu()],
                (2048, 512),
                Ok(1),
            ),
            // cpu >= 2600 and memory >= 512: i1 3072/13680, i5 3584/1728 -> by memory i5.
            case(
                "binpack(memory) big task",
                vec![binpack_mem()],
                (2600, 512),
                Ok(5),
            ),
        ],
        |_| {},
    );
}

#[test]
fn binpack_fills_one_instance_before_the_next() {
    // ECS-MODEL P2, applied task after task on an empty fixture: 1024-unit
    // tasks fill i0 (2048) then i2, i4 (the smalls, 2048 each, lowest id first),
    // then the bigs i1, i3, i5 (4096 = 4 tasks each).
    let mut fx = Fixture::registering();
    let p = fx.policy(vec![binpack_cpu()], vec![]);
    activate_all(&mut fx.cluster, &fx.i.clone());
    let mut r = rng("binpack-seq");
    let mut got = Vec::new();
    for _ in 0..19 {
        let t = task(fx.a, 1024, 100);
        match decide_checked(&fx.cluster, &p, &t, &mut r) {
            Ok(id) => {
                got.push(Ok(fx.k(id)));
                fx.cluster.start_task(t, id, &[], T0);
            }
            Err(e) => got.push(Err(e)),
        }
    }
    let mut want: Vec<Result<usize, Unfit>> =
        [0, 0, 2, 2, 4, 4, 1, 1, 1, 1, 3, 3, 3, 3, 5, 5, 5, 5]
            .into_iter()
            .map(Ok)
            .collect();
    // 3 * 2048 + 3 * 4096 = 18432 = 18 tasks of 1024: the 19th finds no cpu (P9).
    want.push(Err(Unfit::Cpu));
    assert_eq!(got, want);
}

// ------------------------------------------------------------------ P3

#[test]
fn spread_prefers_fewest_tasks_of_the_same_group() {
    // ECS-MODEL P3: spread counts the task's own group only.
    run_table(
        &[
            // A per instance 0,2,1,0,2,0 -> {i0,i3,i5} -> lowest id i0.
            case("spread(instanceId)", vec![spread_instance()], TASK, Ok(0)),
            // A=0 instances: i0 lacks cpu (1024 < 1100), i3 fits -> i3.
            case(
                "spread(instanceId) skips unfit",
                vec![spread_instance()],
                (1100, 512),
                Ok(3),
            ),
            // A per AZ 1a 2, 1b 1, 1c 2 -> 1b {i2,i3} -> i2. Counting ALL
            // tasks (1a 3, 1b 4, 1c 4) would have chosen 1a (i0): B must not count.
            case("spread(AZ)", vec![spread_az()], TASK, Ok(2)),
            // 1b: i2 and i3 have 1536 < 2048 cpu; next bucket {1a,1c} (2 each):
            // i0 1024 no, i1 3072 yes, i4 256 no, i5 3584 yes -> lowest id i1.
            case(
                "spread(AZ) falls to the next bucket",
                vec![spread_az()],
                (2048, 512),
                Ok(1),
            ),
            // A per type: small 0+1+2 = 3, big 2+0+0 = 2 -> big {i1,i3,i5} -> i1.
            case("spread(instance-type)", vec![spread_type()], TASK, Ok(1)),
            // B per instance 1,0,0,3,0,2 -> {i1,i2,i4} -> i1. Counting all tasks
            // (1,2,1,3,2,2) would give i0.
            case(
                "spread(instanceId) for B",
                vec![spread_instance()],
                TASK,
                Ok(1),
            )
            .group_b(),
            // B per AZ 1a 1, 1b 3, 1c 2 -> 1a {i0,i1} -> i0.
            case("spread(AZ) for B", vec![spread_az()], TASK, Ok(0)).group_b(),
            // B per type small 1, big 5 -> small {i0,i2,i4} -> i0.
            case("spread(type) for B", vec![spread_type()], TASK, Ok(0)).group_b(),
        ],
        |_| {},
    );
}

#[test]
fn spread_ignores_stopping_tasks() {
    // ECS-MODEL P3 + T1: a STOPPING task has left its group's counts (it
    // still holds its resources). Stop i2's only A task: A per AZ becomes
    // 1a 2, 1b 0, 1c 2 -> still 1b, and per instance i2 now 0.
    let mut fx = Fixture::registering();
    let az = fx.policy(vec![spread_az()], vec![]);
    let inst = fx.policy(vec![spread_instance()], vec![]);
    fx.load();
    let victim = fx.newest_on(2, fx.a);
    fx.cluster
        .begin_stopping(victim, StopReason::ScaledIn, SimTime(5_000));
    assert_eq!(fx.cluster.group_count_on_instance(fx.a, fx.i[2]), 0);
    let mut r = rng("stopping");
    let t = task(fx.a, 256, 512);
    assert_eq!(fx.place_index(&az, &t, &mut r), Ok(2));
    // A per instance 0,2,0,0,2,0 -> i0 still lowest.
    assert_eq!(fx.place_index(&inst, &t, &mut r), Ok(0));
    // The stopping task's 512 cpu are still reserved on i2 (1536 left).
    assert_eq!(fx.cluster.instance(fx.i[2]).remaining().cpu, 1536);
}

// ------------------------------------------------------------------ P4

#[test]
fn random_is_uniform_over_fitting_instances() {
    // ECS-MODEL P4 (and P5 with random inside a spread bucket).
    // Task 512 cpu / 2000 MiB: i4 (256 cpu) and i5 (1728 MiB) never fit;
    // i0 1024/3379, i1 3072/13680, i2 1536/3635, i3 1536/3428 do.
    let chains: Vec<(Vec<Strategy>, Vec<usize>)> = vec![
        // Indexed path (rejection sampling over the global partition).
        (vec![Strategy::Random], vec![0, 1, 2, 3]),
        // A chain the indexed path does not cover: reference scan with random keys.
        (vec![Strategy::Random, binpack_cpu()], vec![0, 1, 2, 3]),
        // spread(AZ) keeps 1b (A = 1), random inside it: i2 or i3.
        (vec![spread_az(), Strategy::Random], vec![2, 3]),
        // spread(type) keeps big (A = 2); i5 lacks memory: i1 or i3.
        (vec![spread_type(), Strategy::Random], vec![1, 3]),
    ];
    let mut fx = Fixture::registering();
    let policies: Vec<Policy> = chains
        .iter()
        .map(|(c, _)| fx.policy(c.clone(), vec![]))
        .collect();
    fx.load();
    const N: usize = 2_000;
    for ((chain, allowed), p) in chains.iter().zip(&policies) {
        let mut r = rng("random-uniformity");
        let t = task(fx.a, 512, 2000);
        let mut counts = [0usize; 6];
        for _ in 0..N {
            let id = decide(&fx.cluster, p, &t.req(), &mut r).expect("fits somewhere");
            counts[fx.k(id)] += 1;
        }
        let expected = N as f64 / allowed.len() as f64;
        let mut chi2 = 0.0;
        for (k, &n) in counts.iter().enumerate() {
            if allowed.contains(&k) {
                assert!(
                    (n as f64 - expected).abs() <= 0.3 * expected,
                    "{chain:?}: i{k} chosen {n} times, expected ~{expected}"
                );
                chi2 += (n as f64 - expected).powi(2) / expected;
            } else {
                assert_eq!(n, 0, "{chain:?}: unfit/outside-bucket i{k} chosen");
            }
        }
        // chi-square critical values at p = 0.001: 1 dof 10.83, 3 dof 16.27.
        let critical = if allowed.len() == 2 { 10.83 } else { 16.27 };
        assert!(chi2 < critical, "{chain:?}: chi2 {chi2} counts {counts:?}");
    }
}

// ------------------------------------------------------------------ P5

#[test]
fn chains_are_lexicographic() {
    // ECS-MODEL P5: the first strategy picks its best bucket, the next ranks inside it.
    run_table(
        &[
            // 1b {i2 3635, i3 3428 MiB} -> i3 (spread alone: i2; binpack alone: i5).
            case(
                "spread(AZ) -> binpack(memory)",
                vec![spread_az(), binpack_mem()],
                TASK,
                Ok(3),
            ),
            // 1b {i2 1536, i3 1536 cpu} tie -> lowest id i2.
            case(
                "spread(AZ) -> binpack(cpu)",
                vec![spread_az(), binpack_cpu()],
                TASK,
                Ok(2),
            ),
            // 1b {i2 A1, i3 A0} -> i3 (spread(instanceId) alone: i0).
            case(
                "spread(AZ) -> spread(instanceId)",
                vec![spread_az(), spread_instance()],
                TASK,
                Ok(3),
            ),
            // Reference-scan chain. cpu >= 1100: i2 1536 and i3 1536 tie ->
            // A count i2 1, i3 0 -> i3 (binpack(cpu) alone: i2).
            case(
                "binpack(cpu) -> spread(instanceId)",
                vec![binpack_cpu(), spread_instance()],
                (1100, 512),
                Ok(3),
            ),
            // Reference-scan chain: big {i1 13680, i3 3428, i5 1728} -> i5.
            case(
                "spread(type) -> binpack(memory)",
                vec![spread_type(), binpack_mem()],
                TASK,
                Ok(5),
            ),
            // Reference-scan chain: big {i1 (1a: 2), i3 (1b: 1), i5 (1c: 2)} -> i3.
            case(
                "spread(type) -> spread(AZ)",
                vec![spread_type(), spread_az()],
                TASK,
                Ok(3),
            ),
            // Reference-scan chain: 1b {i2 small: 3, i3 big: 2} -> i3.
            case(
                "spread(AZ) -> spread(type)",
                vec![spread_az(), spread_type()],
                TASK,
                Ok(3),
            ),
            // memory >= 2000: i0 3379 and i4 3379 tie; AZ 1a 2 vs 1c 2 tie -> i0.
            case(
                "binpack(memory) -> spread(AZ)",
                vec![binpack_mem(), spread_az()],
                (256, 2000),
                Ok(0),
            ),
            // 5 strategies: cpu tie i2/i3 at 1536; memory i2 3635 > i3 3428 -> i3;
            // spread and random see a single instance.
            case(
                "5-strategy chain, decided by the second",
                vec![
                    binpack_cpu(),
                    binpack_mem(),
                    spread_instance(),
                    spread_az(),
                    Strategy::Random,
                ],
                (1100, 512),
                Ok(3),
            ),
            // 5 strategies: type big {i1,i3,i5}; AZ i1 2, i3 1, i5 2 -> i3.
            case(
                "5-strategy chain, decided by the second spread",
                vec![
                    spread_type(),
                    spread_az(),
                    spread_instance(),
                    binpack_cpu(),
                    binpack_mem(),
                ],
                TASK,
                Ok(3),
            ),
            // 5 strategies for B: spread(AZ) keeps 1a (B 1) {i0 B1, i1 B0};
            // spread(instanceId) keeps i1; the rest see one instance.
            case(
                "5-strategy chain for B",
                vec![
                    spread_az(),
                    spread_instance(),
                    binpack_cpu(),
                    binpack_mem(),
                    spread_type(),
                ],
                TASK,
                Ok(1),
            )
            .group_b(),
        ],
        |_| {},
    );
}

#[test]
fn tie_break_uses_rank_then_id() {
    // ECS-MODEL P5: ties after the last strategy go to the lowest rank =
    // (tie << 32) | id. Three identical instances with ties 5, 0, 5:
    // ranks 5<<32, 1, (5<<32)|2 -> i1 first, then i0 before i2.
    let mut c = Cluster::new();
    let g = c.group("service:A");
    let ids = add_all(
        &mut c,
        [5, 0, 5]
            .into_iter()
            .map(|tie| instance_with_tie(BIG_TYPE, AZS[0], BIG, 3, tie))
            .collect(),
    );
    let p = Policy::new(vec![binpack_cpu()], vec![], Some(g)).indexed(&mut c);
    let none = Policy::new(vec![], vec![], Some(g)).indexed(&mut c);
    let distinct = Policy::new(vec![], vec![Constraint::DistinctInstance], Some(g)).indexed(&mut c);
    activate_all(&mut c, &ids);
    let mut r = rng("ties");
    let t = task(g, 4096, 100);
    assert_eq!(decide_checked(&c, &p, &t, &mut r), Ok(ids[1]));
    assert_eq!(decide_checked(&c, &none, &t, &mut r), Ok(ids[1]));
    c.start_task(t.clone(), ids[1], &[], T0);
    // i1 is full now: binpack has 4096 on i0 and i2 -> rank i0 < i2.
    assert_eq!(decide_checked(&c, &p, &t, &mut r), Ok(ids[0]));
    assert_eq!(
        decide_checked(&c, &distinct, &task(g, 1, 1), &mut r),
        Ok(ids[0])
    );
}

// ------------------------------------------------------------------ P6

#[test]
fn service_default_spreads_az_then_instance() {
    // ECS-MODEL P6: spread(AZ), then fewest tasks of the service on an instance.
    run_table(
        &[
            // A per AZ: 1b (1) -> {i2 A1, i3 A0} -> i3.
            case(
                "service default, A",
                Strategy::service_default(),
                TASK,
                Ok(3),
            ),
            // B per AZ: 1a (1) -> {i0 B1, i1 B0} -> i1.
            case(
                "service default, B",
                Strategy::service_default(),
                TASK,
                Ok(1),
            )
            .group_b(),
            // 1b: both i2 and i3 lack 2048 cpu; {1a, 1c} (A 2 each): fitting
            // i1 (A2) and i5 (A0) -> i5.
            case(
                "service default, next bucket",
                Strategy::service_default(),
                (2048, 512),
                Ok(5),
            ),
        ],
        |_| {},
    );
}

#[test]
fn service_default_round_robins_on_an_empty_cluster() {
    // ECS-MODEL P6 applied task after task on the empty fixture:
    // 1st: all AZs 0 -> all instances 0 -> i0 (1a).
    // 2nd: 1b, 1c have 0 -> {i2,i3,i4,i5} all 0 -> i2.  3rd: 1c -> i4.
    // 4th: all AZs 1 -> instance counts i1,i3,i5 = 0 -> i1.
    // 5th: 1b,1c have 1 -> i3 (0). 6th: 1c -> i5. 7th: all 2 -> all 1 -> i0.
    let mut fx = Fixture::registering();
    let p = fx.policy(Strategy::service_default(), vec![]);
    activate_all(&mut fx.cluster, &fx.i.clone());
    let mut r = rng("default-seq");
    let mut got = Vec::new();
    for _ in 0..7 {
        let t = task(fx.a, 256, 256);
        let id = decide_checked(&fx.cluster, &p, &t, &mut r).expect("fits");
        got.push(fx.k(id));
        fx.cluster.start_task(t, id, &[], T0);
    }
    assert_eq!(got, vec![0, 2, 4, 1, 3, 5, 0]);
}

// ------------------------------------------------------------------ P7

#[test]
fn constraints_filter_before_strategies() {
    // ECS-MODEL P7 (P1 step 2: constraints are binding, strategies rank the rest).
    run_table(
        &[
            // A on i1, i2, i4 -> {i0 1024, i3 1536, i5 3584} -> i0 (unconstrained: i4).
            case(
                "distinctInstance + binpack(cpu)",
                vec![binpack_cpu()],
                TASK,
                Ok(0),
            )
            .with(Constraint::DistinctInstance),
            // m6i.* = {i1 3072, i3 1536, i5 3584} -> i3.
            case("memberOf(type =~ m6i.*)", vec![binpack_cpu()], TASK, Ok(3))
                .with(member_of("attribute:ecs.instance-type =~ m6i.*")),
            // 1a and 1c only: A 2 and 2 -> {i0,i1,i4,i5} -> i0 (unconstrained: i2 in 1b).
            case("memberOf(AZ in [1a, 1c])", vec![spread_az()], TASK, Ok(0)).with(member_of(
                "attribute:ecs.availability-zone in [us-east-1a, us-east-1c]",
            )),
            // Instances holding B: {i0 1024, i3 1536, i5 3584} -> i0.
            case("affinity task:group == B", vec![binpack_cpu()], TASK, Ok(0))
                .with(member_of("task:group == service:B")),
            // Instances without B: {i1 13680, i2 3635, i4 3379 MiB} -> i4
            // (unconstrained: i5, which holds B).
            case(
                "anti-affinity not(task:group == B)",
                vec![binpack_mem()],
                TASK,
                Ok(4),
            )
            .with(member_of("not(task:group == service:B)")),
            // Same, with the `!` spelling.
            case(
                "anti-affinity !(task:group == B)",
                vec![binpack_mem()],
                TASK,
                Ok(4),
            )
            .with(member_of("!(task:group == service:B)")),
            // Only i5 has no RUNNING task (its two are PENDING).
            case("runningTasksCount == 0", vec![binpack_cpu()], TASK, Ok(5))
                .with(member_of("runningTasksCount == 0")),
            // running 1,2,1,3,2,0; > 1 -> {i1 3072, i3 1536, i4 256} -> i4.
            case("runningTasksCount > 1", vec![binpack_cpu()], TASK, Ok(4))
                .with(member_of("runningTasksCount > 1")),
            // big without A: {i3 (1b: A1), i5 (1c: A2)} -> i3.
            case(
                "distinctInstance + memberOf(m6i) + spread(AZ)",
                vec![spread_az()],
                TASK,
                Ok(3),
            )
            .with(Constraint::DistinctInstance)
            .with(member_of("attribute:ecs.instance-type =~ m6i.*")),
            // {i3 3428, i5 1728} -> i5.
            case(
                "distinctInstance + memberOf(m6i) + binpack(memory)",
                vec![binpack_mem()],
                TASK,
                Ok(5),
            )
            .with(Constraint::DistinctInstance)
            .with(member_of("attribute:ecs.instance-type =~ m6i.*")),
            // Service default inside 1a/1c without B: {i1 (1a), i4 (1c)}, AZ 2/2,
            // instance A 2/2 -> lowest id i1.
            case(
                "memberOf(AZ) + anti-affinity + default",
                Strategy::service_default(),
                TASK,
                Ok(1),
            )
            .with(member_of("attribute:ecs.availability-zone != us-east-1b"))
            .with(member_of("task:group != service:B")),
            // No instance of that type.
            case(
                "unsatisfiable memberOf",
                vec![binpack_cpu()],
                TASK,
                Err(Unfit::Attribute),
            )
            .with(member_of("attribute:ecs.instance-type == t3.nano")),
            // 1a: i0 lacks cpu (1024 < 2048), i1 holds A -> the closest match
            // got past resources on i1, so ATTRIBUTE.
            case(
                "distinctInstance + memberOf(1a), big task",
                vec![binpack_cpu()],
                (2048, 512),
                Err(Unfit::Attribute),
            )
            .with(Constraint::DistinctInstance)
            .with(member_of("attribute:ecs.availability-zone == us-east-1a")),
            // Affinity to A and distinctInstance contradict each other.
            case(
                "affinity to own group + distinctInstance",
                vec![],
                TASK,
                Err(Unfit::Attribute),
            )
            .with(Constraint::DistinctInstance)
            .with(member_of("task:group == service:A")),
        ],
        |_| {},
    );
}

// ------------------------------------------------------------- P1 / R4

#[test]
fn fixed_host_ports_exclude_instances() {
    // ECS-MODEL R4 / P1 step 1. A B task holding TCP 80 (0 cpu, 0 MiB) is
    // put on i4, the binpack(cpu) favourite (256 cpu left).
    run_table(
        &[
            // TCP 80 taken on i4 -> next least cpu: i0 1024.
            case("TCP 80 conflicts", vec![binpack_cpu()], TASK, Ok(0)).ports(&[tcp(80)]),
            // UDP 80 is a different port.
            case("UDP 80 does not conflict", vec![binpack_cpu()], TASK, Ok(4)).ports(&[udp(80)]),
            case("other port", vec![binpack_cpu()], TASK, Ok(4)).ports(&[tcp(8080)]),
            // One of two ports taken is enough to exclude.
            case("one of two ports taken", vec![binpack_cpu()], TASK, Ok(0))
                .ports(&[tcp(8080), tcp(80)]),
            // No ports: i4 as usual.
            case("no ports", vec![binpack_cpu()], TASK, Ok(4)),
            // 22 is one of the agent's reserved ports on every instance.
            case(
                "agent-reserved port 22",
                vec![binpack_cpu()],
                TASK,
                Err(Unfit::Ports),
            )
            .ports(&[tcp(22)]),
            // UDP 22 is free.
            case("UDP 22", vec![binpack_cpu()], TASK, Ok(4)).ports(&[udp(22)]),
        ],
        |fx| {
            let b = fx.b;
            fx.put(4, with_ports(task(b, 0, 0), &[tcp(80)]), true);
        },
    );
}

#[test]
fn host_port_is_held_until_the_task_has_stopped() {
    // ECS-MODEL R4 + T1: STOPPING keeps the port; STOPPED releases it.
    let mut fx = Fixture::registering();
    let p = fx.policy(vec![binpack_cpu()], vec![]);
    fx.load();
    let b = fx.b;
    let holder = fx.put(4, with_ports(task(b, 0, 0), &[tcp(80)]), true);
    let t = with_ports(task(fx.a, 256, 512), &[tcp(80)]);
    let mut r = rng("ports");
    assert_eq!(fx.place_index(&p, &t, &mut r), Ok(0));
    fx.cluster
        .begin_stopping(holder, StopReason::ScaledIn, SimTime(10_000));
    assert_eq!(fx.place_index(&p, &t, &mut r), Ok(0));
    fx.cluster
        .finish_stop(holder, StopReason::ScaledIn, SimTime(40_000));
    assert_eq!(fx.place_index(&p, &t, &mut r), Ok(4));
}

#[test]
fn at_most_100_host_ports_per_instance() {
    // ECS-MODEL R4: 5 agent ports + 95 task ports = 100 fit; a 101st does not.
    let mut c = Cluster::new();
    let g = c.group("family:web");
    let ids = add_all(&mut c, vec![instance(BIG_TYPE, AZS[0], BIG, 3)]);
    let p = Policy::new(vec![binpack_cpu()], vec![], Some(g)).indexed(&mut c);
    activate_all(&mut c, &ids);
    let mut r = rng("port-limit");
    let many: Vec<HostPort> = (1000..1095).map(tcp).collect();
    assert_eq!(many.len(), 95);
    let t = with_ports(task(g, 1, 1), &many);
    let id = decide_checked(&c, &p, &t, &mut r).expect("100 ports fit");
    c.start_task(t, id, &[], T0);
    assert_eq!(c.instance(id).ports.len(), 100);
    let one_more = with_ports(task(g, 1, 1), &[tcp(2000)]);
    assert_eq!(decide_checked(&c, &p, &one_more, &mut r), Err(Unfit::Ports));
    // Tasks without fixed ports are not limited.
    assert_eq!(decide_checked(&c, &p, &task(g, 1, 1), &mut r), Ok(id));
}

#[test]
fn eni_capacity_limits_awsvpc_tasks() {
    // ECS-MODEL R4: i4 (small) has eni_capacity 2; two awsvpc B tasks
    // (0 cpu, 0 MiB) are put there.
    run_table(
        &[
            // i4 has no ENI left -> next least cpu: i0 1024.
            case("awsvpc skips full i4", vec![binpack_cpu()], TASK, Ok(0)).eni(),
            // A bridge task does not need an ENI: i4.
            case("bridge still fits on i4", vec![binpack_cpu()], TASK, Ok(4)),
        ],
        |fx| {
            let b = fx.b;
            fx.put(4, awsvpc(task(b, 0, 0)), true);
            fx.put(4, awsvpc(task(b, 0, 0)), true);
            assert_eq!(fx.cluster.instance(fx.i[4]).enis_used, 2);
        },
    );
}

#[test]
fn third_awsvpc_task_fails_with_eni_when_nowhere_fits() {
    // ECS-MODEL R4 + P9: two small instances, 2 ENIs each: four awsvpc tasks
    // fit (binpack fills i0 first), the fifth fails with ENI.
    let mut c = Cluster::new();
    let g = c.group("service:vpc");
    let ids = add_all(
        &mut c,
        vec![
            instance(SMALL_TYPE, AZS[0], SMALL, 2),
            instance(SMALL_TYPE, AZS[1], SMALL, 2),
        ],
    );
    let p = Policy::new(vec![binpack_cpu()], vec![], Some(g)).indexed(&mut c);
    activate_all(&mut c, &ids);
    let mut r = rng("eni");
    let mut got = Vec::new();
    for _ in 0..5 {
        let t = awsvpc(task(g, 128, 128));
        let res = decide_checked(&c, &p, &t, &mut r);
        if let Ok(id) = res {
            c.start_task(t, id, &[], T0);
        }
        got.push(res);
    }
    assert_eq!(
        got,
        vec![
            Ok(ids[0]),
            Ok(ids[0]),
            Ok(ids[1]),
            Ok(ids[1]),
            Err(Unfit::Eni)
        ]
    );
    // A bridge task still fits.
    assert!(decide_checked(&c, &p, &task(g, 128, 128), &mut r).is_ok());
}

// ------------------------------------------------------------------ P9

#[test]
fn closest_match_reason_when_nothing_fits() {
    // ECS-MODEL P9: the reason of the instance that got furthest through
    // the pipeline (state < CPU < MEMORY < PORTS < ENI < ATTRIBUTE).
    run_table(
        &[
            // Largest cpu left is 3584 (i5) < 5000.
            case(
                "all lack cpu",
                vec![binpack_cpu()],
                (5000, 1),
                Err(Unfit::Cpu),
            ),
            // i5 has 3584 >= 3500 cpu but 1728 < 2000 MiB; the others lack cpu.
            case(
                "one has cpu, lacks memory",
                vec![binpack_cpu()],
                (3500, 2000),
                Err(Unfit::Memory),
            ),
            // Every instance fits 256/512 but port 22 is agent-reserved.
            case("ports", vec![binpack_cpu()], TASK, Err(Unfit::Ports)).ports(&[tcp(22)]),
            // i5 fits 3500/512 but not port 22; others lack cpu -> PORTS.
            case(
                "the closest instance decides",
                vec![spread_az()],
                (3500, 512),
                Err(Unfit::Ports),
            )
            .ports(&[tcp(22)]),
            // Fails the constraint everywhere.
            case(
                "attribute",
                vec![binpack_cpu()],
                TASK,
                Err(Unfit::Attribute),
            )
            .with(member_of("attribute:ecs.instance-type == t3.nano")),
            // Resources are checked before constraints: all lack cpu -> CPU.
            case(
                "cpu before attribute",
                vec![binpack_cpu()],
                (5000, 1),
                Err(Unfit::Cpu),
            )
            .with(member_of("attribute:ecs.instance-type == t3.nano")),
        ],
        |_| {},
    );
}

#[test]
fn closest_match_eni_when_every_eni_is_used() {
    // ECS-MODEL P9: fill every ENI (2 per small, 3 per big) with 0/0 tasks.
    run_table(
        &[
            case("eni", vec![binpack_cpu()], TASK, Err(Unfit::Eni)).eni(),
            // i5 fails MEMORY (1728 < 3000), the others get further, to ENI.
            case(
                "eni, memory-short elsewhere",
                vec![binpack_mem()],
                (256, 3000),
                Err(Unfit::Eni),
            )
            .eni(),
            case("bridge task fits", vec![binpack_cpu()], TASK, Ok(4)),
        ],
        |fx| {
            let b = fx.b;
            for k in 0..6 {
                let cap = fx.cluster.instance(fx.i[k]).eni_capacity;
                for _ in 0..cap {
                    fx.put(k, awsvpc(task(b, 0, 0)), true);
                }
            }
        },
    );
}

#[test]
fn no_instances_when_none_is_active() {
    // ECS-MODEL P9 + R5: only ACTIVE instances take tasks.
    let mut r = rng("none");
    // Empty cluster.
    let mut c = Cluster::new();
    let g = c.group("service:A");
    let p = Policy::new(Strategy::service_default(), vec![], Some(g)).indexed(&mut c);
    assert_eq!(
        decide_checked(&c, &p, &task(g, 1, 1), &mut r),
        Err(Unfit::NoInstances)
    );

    // Only REGISTERING instances.
    let mut fx = Fixture::registering();
    let pol = [
        fx.policy(Strategy::service_default(), vec![]),
        fx.policy(vec![binpack_cpu()], vec![]),
        fx.policy(vec![Strategy::Random], vec![]),
        fx.policy(vec![binpack_cpu(), spread_az()], vec![]),
    ];
    for p in &pol {
        assert_eq!(
            fx.place_index(p, &task(fx.a, 1, 1), &mut r),
            Err(Unfit::NoInstances)
        );
    }

    // Only DRAINING instances (with plenty of room).
    fx.load();
    for k in 0..6 {
        fx.cluster.set_draining(fx.i[k]);
        assert_eq!(fx.cluster.instance(fx.i[k]).state, InstanceState::Draining);
    }
    for p in &pol {
        assert_eq!(
            fx.place_index(p, &task(fx.a, 1, 1), &mut r),
            Err(Unfit::NoInstances)
        );
    }
}

#[test]
fn draining_instance_is_skipped() {
    // ECS-MODEL R5 / D1: DRAINING takes no new tasks. Drain i4 (the
    // binpack(cpu) favourite) and i3 (the service-default favourite).
    let mut fx = Fixture::registering();
    let bp = fx.policy(vec![binpack_cpu()], vec![]);
    let def = fx.policy(Strategy::service_default(), vec![]);
    fx.load();
    fx.cluster.set_draining(fx.i[4]);
    fx.cluster.set_draining(fx.i[3]);
    let mut r = rng("drain");
    let t = task(fx.a, 256, 512);
    // cpu left among ACTIVE: i0 1024, i1 3072, i2 1536, i5 3584 -> i0.
    assert_eq!(fx.place_index(&bp, &t, &mut r), Ok(0));
    // AZ counts still include tasks on draining instances: 1b has 1 -> i2
    // (the only ACTIVE instance of 1b).
    assert_eq!(fx.place_index(&def, &t, &mut r), Ok(2));
    // Reservations of DRAINING instances still count (R5).
    let sum: u32 = fx
        .cluster
        .tasks()
        .iter()
        .filter(|t| t.state != ecsim::model::TaskState::Stopped)
        .map(|t| t.reservation.cpu)
        .sum();
    assert_eq!(fx.cluster.reserved_total().cpu, sum);
}

// ------------------------------------------------------------------ P8

/// The fixture with three more A tasks (256/512): one on i1, two on i5.
/// A per instance: i1 3, i2 1, i4 2, i5 2; per AZ: 1a 3, 1b 1, 1c 4.
fn scale_in_fixture(chains: &[Vec<Strategy>]) -> (Fixture, Vec<Policy>) {
    let mut fx = Fixture::registering();
    let policies = chains
        .iter()
        .map(|c| fx.policy(c.clone(), vec![]))
        .collect();
    fx.load();
    let a = fx.a;
    fx.put(1, task(a, 256, 512), true);
    fx.put(5, task(a, 256, 512), true);
    fx.put(5, task(a, 256, 512), true);
    (fx, policies)
}

#[test]
fn scale_in_default_removes_from_fullest_az_then_instance() {
    // ECS-MODEL P8 with the service default chain.
    let (fx, p) = scale_in_fixture(&[Strategy::service_default(), vec![spread_instance()]]);
    let a = fx.a;
    let cands = fx.live_tasks(a);
    assert_eq!(cands.len(), 8);
    let mut r = rng("scale-in");
    // 1c has the most (4); inside it i4 2 and i5 2 tie -> lowest id i4 ->
    // its newest task. (The instance with the most overall is i1 with 3.)
    let one = choose_victims(&fx.cluster, &p[0], &cands, 1, &mut r);
    assert_eq!(one, vec![fx.newest_on(4, a)]);
    // Victims one after the other with updated counts:
    // 2nd: 1a 3, 1c 3 tie -> instance i1 3, i4 1, i5 2 -> i1 (newest: the added one).
    // 3rd: 1a 2, 1b 1, 1c 3 -> 1c: i4 1, i5 2 -> i5.
    let three = choose_victims(&fx.cluster, &p[0], &cands, 3, &mut r);
    assert_eq!(
        three,
        vec![fx.newest_on(4, a), fx.newest_on(1, a), fx.newest_on(5, a)]
    );
    // Asking for 2 gives the first two of those.
    let two = choose_victims(&fx.cluster, &p[0], &cands, 2, &mut r);
    assert_eq!(two, three[..2].to_vec());
    // spread(instanceId) alone: i1 has the most (3).
    let inst = choose_victims(&fx.cluster, &p[1], &cands, 1, &mut r);
    assert_eq!(inst, vec![fx.newest_on(1, a)]);
    // More victims than candidates: all of them, each once.
    let all = choose_victims(&fx.cluster, &p[0], &cands, 20, &mut r);
    let mut sorted = all.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 8);
    assert_eq!(all.len(), 8);
}

#[test]
fn scale_in_binpack_removes_task_leaving_most_resource() {
    // ECS-MODEL P8 with binpack: stop the task whose instance would have the
    // most of the resource left afterwards.
    let (fx, p) = scale_in_fixture(&[vec![binpack_mem()], vec![binpack_cpu()]]);
    let a = fx.a;
    let cands = fx.live_tasks(a);
    let mut r = rng("scale-in-binpack");
    // Memory left now: i1 13680 - 512 = 13168, i2 3635, i4 3379, i5 1728 - 1024 = 704.
    // After removal: i1's 1024-MiB tasks 14192, its 512 one 13680; i2 3891;
    // i4 3635; i5 1216 -> one of i1's two 1024-MiB tasks; equal -> newest.
    let i1_big: Vec<_> = fx
        .preloaded
        .iter()
        .filter(|(k, _)| *k == 1)
        .map(|&(_, t)| t)
        .collect();
    assert_eq!(i1_big.len(), 2);
    let v = choose_victims(&fx.cluster, &p[0], &cands, 1, &mut r);
    assert_eq!(v, vec![i1_big[1]]);
    // Then the other (14192 + 1024 = 15216), then the 512 one (15216 + 512 = 15728).
    let v3 = choose_victims(&fx.cluster, &p[0], &cands, 3, &mut r);
    assert_eq!(v3, vec![i1_big[1], i1_big[0], fx.newest_on(1, a)]);
    // cpu: i1 3072 - 256 = 2816 (+512 = 3328), i5 3584 - 512 = 3072 (+256 = 3328),
    // i2 1536 + 512 = 2048, i4 256 + 896 = 1152. i1 and i5 tie at 3328 ->
    // lowest rank i1 -> its newest 512-cpu task.
    let c = choose_victims(&fx.cluster, &p[1], &cands, 1, &mut r);
    assert_eq!(c, vec![i1_big[1]]);
}

// ------------------------------------------- fast path == reference scan

#[test]
fn indexed_path_matches_reference_on_every_shape() {
    // The chain shapes the indexed path covers (see placement/fast.rs), with
    // and without constraints, for both groups and many task sizes.
    // `decide_checked` compares each decision with `explain` (reference).
    let shapes: Vec<Vec<Strategy>> = vec![
        vec![],
        vec![binpack_cpu()],
        vec![binpack_mem()],
        vec![spread_instance()],
        vec![spread_az()],
        vec![spread_type()],
        vec![spread_az(), binpack_cpu()],
        vec![spread_az(), binpack_mem()],
        vec![spread_az(), spread_instance()],
        vec![spread_type(), spread_instance()],
        vec![spread_type(), binpack_mem()],
        vec![Strategy::Random],
        vec![spread_az(), Strategy::Random],
        vec![spread_type(), Strategy::Random],
    ];
    let constraint_sets: Vec<Vec<Constraint>> = vec![
        vec![],
        vec![Constraint::DistinctInstance],
        vec![member_of("attribute:ecs.instance-type =~ m6i.*")],
        vec![
            Constraint::DistinctInstance,
            member_of("attribute:ecs.availability-zone != us-east-1b"),
        ],
    ];
    let sizes = [
        (0, 0),
        (256, 512),
        (512, 2000),
        (1100, 512),
        (1100, 3000),
        (256, 3500),
        (2048, 512),
        (3500, 2000),
        (5000, 1),
    ];
    let mut fx = Fixture::registering();
    let (a, b) = (fx.a, fx.b);
    let mut policies = Vec::new();
    for g in [a, b] {
        for s in &shapes {
            for c in &constraint_sets {
                policies.push((g, fx.policy_for(g, s.clone(), c.clone())));
            }
        }
    }
    fx.load();
    let mut r = rng("fast-vs-reference");
    let mut decisions = 0;
    let mut check_all = |fx: &Fixture, r: &mut SimRng| {
        for (g, p) in &policies {
            for &(cpu, mem) in &sizes {
                for ports in [vec![], vec![tcp(80)]] {
                    let t = with_ports(task(*g, cpu, mem), &ports);
                    let _ = decide_checked(&fx.cluster, p, &t, r);
                    decisions += 1;
                }
            }
        }
    };
    check_all(&fx, &mut r);
    // Change the state under the indexes and check again: a port-80 task on
    // i0, i3 draining, one of i4's A tasks stopped, one of i5's B tasks gone.
    fx.put(0, with_ports(task(b, 128, 128), &[tcp(80)]), true);
    fx.cluster.set_draining(fx.i[3]);
    let t4 = fx.newest_on(4, a);
    fx.cluster
        .begin_stopping(t4, StopReason::ScaledIn, SimTime(9_000));
    let t5 = fx.newest_on(5, b);
    fx.cluster
        .finish_stop(t5, StopReason::ScaledIn, SimTime(9_000));
    check_all(&fx, &mut r);
    assert_eq!(
        decisions,
        2 * 2 * shapes.len() * constraint_sets.len() * sizes.len() * 2
    );
}

// ------------------------------------- policies built on a running cluster

/// Places 40 tasks of two groups, cycling through three policies, on 12
/// instances over three AZs and two types; the policies are built (and the
/// cluster asked to index them) before the instances register, or after
/// instances are ACTIVE and 10 tasks run.
fn decisions_with_policies_built(late: bool) -> Vec<Result<InstanceId, Unfit>> {
    let mut c = Cluster::new();
    let groups = [c.group("service:a"), c.group("service:b")];
    let chains = [
        Strategy::service_default(),
        vec![spread_az(), binpack_mem()],
        vec![binpack_cpu()],
    ];
    let make = |c: &mut Cluster| -> Vec<Policy> {
        chains
            .iter()
            .zip(groups.iter().cycle())
            .map(|(chain, &g)| {
                let cons = vec![member_of("attribute:ecs.instance-type =~ m6i.*")];
                Policy::new(chain.clone(), cons, Some(g)).indexed(c)
            })
            .collect()
    };
    let early = (!late).then(|| make(&mut c));
    let specs = (0..12)
        .map(|i| {
            let ty = if i % 4 == 3 {
                "c6i.xlarge"
            } else {
                "m6i.xlarge"
            };
            let az = ["us-east-1a", "us-east-1b", "us-east-1c"][i % 3];
            instance_with_tie(ty, az, Resources::new(4096, 8192), 3, (i as u32 * 7) % 5)
        })
        .collect();
    let ids = add_all(&mut c, specs);
    activate_all(&mut c, &ids);
    for k in 0..10 {
        let t = task(groups[k % 2], 512, 1024);
        c.start_task(t, ids[(k * 5) % ids.len()], &[], SimTime(0));
    }
    let policies = early.unwrap_or_else(|| make(&mut c));
    let mut r = rng("late-policy");
    (0..40)
        .map(|k| {
            let p = &policies[k % policies.len()];
            let g = groups[k % 2];
            let t = task(g, 256 * (1 + k as u32 % 3), 512 * (1 + k as u32 % 4));
            let got = decide(&c, p, &t.req(), &mut r);
            if let Ok(id) = got {
                c.start_task(t, id, &[], SimTime(1));
            }
            got
        })
        .collect()
}

#[test]
fn policy_built_after_instances_register_decides_the_same() {
    // Issue 10: building a policy touches no cluster, and a cluster indexes
    // a policy at any time (its indexes and memberOf answers are filled from
    // its state), so policies built late decide exactly as early ones
    // (ECS-MODEL P1, P3, P7).
    let early = decisions_with_policies_built(false);
    let late = decisions_with_policies_built(true);
    assert!(early.iter().filter(|d| d.is_ok()).count() > 20);
    assert_eq!(early, late);
}

#[test]
fn member_of_on_attributes_is_cached_per_active_instance() {
    // ECS-MODEL P7: a memberOf expression that reads no task is answered once
    // per instance while it is ACTIVE (attributes do not change); one that
    // reads tasks (runningTasksCount, task:group) is evaluated every time.
    let mut c = Cluster::new();
    let g = c.group("service:a");
    let on_type = "attribute:ecs.instance-type =~ m6i.*";
    let on_tasks = "runningTasksCount == 0";
    let ids = add_all(
        &mut c,
        vec![
            instance("m6i.xlarge", "us-east-1a", BIG, 3),
            instance("c6i.xlarge", "us-east-1b", BIG, 3),
            instance("m6i.large", "us-east-1c", BIG, 3),
        ],
    );
    activate_all(&mut c, &ids[..2]);
    let p = Policy::new(
        vec![binpack_mem()],
        vec![member_of(on_type), member_of(on_tasks)],
        Some(g),
    )
    .indexed(&mut c);
    let slot = c.predicate_slot(on_type).expect("cached");
    assert_eq!(c.predicate_slot(on_tasks), None);
    assert_eq!(c.cached_answer(slot, ids[0]), Some(true));
    assert_eq!(c.cached_answer(slot, ids[1]), Some(false));
    // Not ACTIVE yet: nothing cached; on activation, answered.
    assert_eq!(c.cached_answer(slot, ids[2]), None);
    c.activate_instance(ids[2], SimTime(5));
    assert_eq!(c.cached_answer(slot, ids[2]), Some(true));
    let mut r = rng("member-of-cache");
    let first = decide(&c, &p, &task(g, 256, 512).req(), &mut r).expect("fits");
    assert!(first == ids[0] || first == ids[2]);
    // The task-reading constraint still sees the task placed there.
    c.start_task(task(g, 256, 512), first, &[], SimTime(6));
    c.mark_running(c.instance(first).tasks[0], SimTime(7));
    let second = decide(&c, &p, &task(g, 256, 512).req(), &mut r).expect("fits");
    assert!(second != first && second != ids[1]);
    // Leaving ACTIVE forgets the answer.
    c.set_draining(ids[0]);
    assert_eq!(c.cached_answer(slot, ids[0]), None);
}
