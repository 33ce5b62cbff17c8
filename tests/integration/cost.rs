//! Fargate and the cost ledger end to end (ECS-MODEL F1–F3, C6, B1–B4):
//! hand-computed bills, conservation of the ledger, scenario errors, and
//! common random numbers across `compare` variants.

use std::path::Path;

use ecsim::compare::{self, Variant};
use ecsim::engine::{RunResult, Simulation};
use ecsim::output;
use ecsim::scenario;
use ecsim::sim::SimTime;

use crate::common::{errors, run};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// One Fargate job task of the given size and platform, running `work`
/// after a constant 30 s start latency.
fn fargate_job(cpu: &str, memory: &str, platform: &str, work: &str, extra: &str) -> String {
    format!(
        r#"
name = "fg"
seed = 1
duration = "3h"
[fargate]
startLatency = "30s"
spotMonthlyInterruptionRate = 0.0
[[taskDefinitions]]
family = "job"
networkMode = "awsvpc"
cpu = "{cpu}"
memory = "{memory}"
runtimePlatform = {platform}
containerDefinitions = [{{ name = "a", image = "x:1" }}]
{extra}
[[batchJobs]]
name = "job"
taskDefinition = "job"
launchType = "FARGATE"
arrivals = {{ type = "every", interval = "10h" }}
duration = "{work}"
"#
    )
}

const LINUX: &str = "{ operatingSystemFamily = \"LINUX\", cpuArchitecture = \"X86_64\" }";

#[test]
fn fargate_quarter_vcpu_for_ten_minutes_b2() {
    // B2, us-east-1 Linux x86: billed from admission to stop = 30 s start +
    // 600 s work = 630 s.
    // (0.25 vCPU × $0.04048 + 0.5 GB × $0.004445) × 630/3600
    //   = (0.01012 + 0.0022225) × 0.175 = $0.00215994
    let r = run(&fargate_job("256", "512", LINUX, "10m", ""));
    let c = &r.summary.cost;
    assert!(close(c.total_usd, 0.0022), "{c:?}"); // rounded to 4 decimals
    let row = &r.cost[0];
    assert_eq!(
        (row.owner.as_str(), row.capacity.as_str()),
        ("job", "FARGATE")
    );
    assert!(
        close(row.compute_usd, 0.0123425 * 0.175),
        "{}",
        row.compute_usd
    );
    assert_eq!(c.fargate_tasks, 1);
}

#[test]
fn a_short_fargate_task_bills_sixty_seconds_b2() {
    // 30 s start + 0 s work = 30 s, billed 60 s: 0.0123425 × 60/3600.
    let r = run(&fargate_job("256", "512", LINUX, "0s", ""));
    let total: f64 = r.cost.iter().map(|x| x.compute_usd).sum();
    assert!(close(total, 0.0123425 / 60.0), "{total}");
}

#[test]
fn arm_windows_and_storage_rates_b2() {
    // One hour (30 s start + 3570 s work) of 1 vCPU / 2 GB.
    let hour = |platform: &str, extra: &str| {
        let r = run(&fargate_job("1024", "2048", platform, "3570s", extra));
        r.cost
            .iter()
            .map(|x| (x.compute_usd, x.storage_usd))
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1))
    };
    // Linux ARM: 0.03238 + 2 × 0.00356 = 0.0395
    let arm = hour(
        "{ operatingSystemFamily = \"LINUX\", cpuArchitecture = \"ARM64\" }",
        "",
    );
    assert!(close(arm.0, 0.0395), "{arm:?}");
    // Windows: (0.09148 + 0.046 licence) + 2 × 0.01005 = 0.15758
    let win = hour(
        "{ operatingSystemFamily = \"WINDOWS_SERVER_2022_FULL\", cpuArchitecture = \"X86_64\" }",
        "",
    );
    assert!(close(win.0, 0.15758), "{win:?}");
    // 50 GiB ephemeral: 30 GB above the free 20 × $0.000111 = 0.00333 per hour.
    let st = hour(LINUX, "ephemeralStorage = { sizeInGiB = 50 }");
    assert!(close(st.0, 0.04048 + 2.0 * 0.004445), "{st:?}");
    assert!(close(st.1, 0.00333), "{st:?}");
}

#[test]
fn fargate_spot_is_the_discounted_rate_b2() {
    // FARGATE_SPOT at the default 70% discount: 30% of 0.0123425 × 0.175.
    let text = fargate_job("256", "512", LINUX, "10m", "").replace(
        "launchType = \"FARGATE\"",
        "capacityProviderStrategy = [{ capacityProvider = \"FARGATE_SPOT\", weight = 1 }]",
    );
    let r = run(&text);
    assert_eq!(r.cost[0].capacity, "FARGATE_SPOT");
    assert!(
        close(r.cost[0].compute_usd, 0.3 * 0.0123425 * 0.175),
        "{:?}",
        r.cost
    );
    assert_eq!(r.tasks[0].capacity, "FARGATE_SPOT");
}

#[test]
fn fargate_spot_runs_arm64_at_the_discounted_arm_rate_f3_b2() {
    // ECS-MODEL F3 as amended by the ECS API reference
    // (CapacityProviderStrategyItem: "FARGATE_SPOT supports Linux tasks with
    // the ARM64 architecture on platform version 1.4.0 or later"); the old
    // model refused this scenario. B2: the data has no ARM64 Spot rate, so
    // ARM64 on-demand less `fargateSpotDiscountPercent` (60 here):
    // 0.4 × (0.03238 + 2 × 0.00356) × 1 h = 0.4 × 0.0395 = 0.0158.
    let text = fargate_job(
        "1024",
        "2048",
        "{ operatingSystemFamily = \"LINUX\", cpuArchitecture = \"ARM64\" }",
        "3570s",
        "[pricing]\nfargateSpotDiscountPercent = 60\n",
    )
    .replace(
        "launchType = \"FARGATE\"",
        "capacityProviderStrategy = [{ capacityProvider = \"FARGATE_SPOT\", weight = 1 }]",
    );
    let r = run(&text);
    assert_eq!(r.tasks[0].capacity, "FARGATE_SPOT");
    let total: f64 = r.cost.iter().map(|x| x.compute_usd).sum();
    assert!(close(total, 0.4 * 0.0395), "{:?}", r.cost);
    assert!(r.cost.iter().all(|x| x.capacity == "FARGATE_SPOT"));
}

#[test]
fn a_thirty_second_instance_bills_sixty_seconds_b1() {
    // B1: an m6i.large ($0.096/h) drained and terminated 30 s after launch
    // bills 60 s: 0.096 × 60/3600 = $0.0016, all of it idle. The group
    // replaces it at 30 s; the replacement runs to the horizon:
    // 0.096 × 3570/3600 = $0.0952. Total $0.0968.
    let text = r#"
name = "short"
seed = 1
duration = "1h"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.large"]
count = 1
[[maintenance]]
at = "30s"
instanceGroup = "g"
replace = false
"#;
    let r = run(text);
    assert_eq!(
        r.instances[0].terminated.map(|t| t.as_millis()),
        Some(30_000)
    );
    let c = &r.summary.cost;
    assert_eq!(r.instances[1].launched.as_millis(), 30_000);
    assert!(close(c.ec2_instances_usd, 0.0968), "{c:?}");
    assert!(close(c.idle_usd, 0.0968), "{c:?}");
    // The 60 s minimum is a top-up of 30 s in the first hour: $0.0008.
    let without_minimum = 0.096 * 30.0 / 3600.0 + 0.096 * 3570.0 / 3600.0;
    assert!(
        close(c.ec2_instances_usd - without_minimum, 0.0008),
        "{c:?}"
    );
}

#[test]
fn the_ledger_is_conserved_b4() {
    // The sum of cost.csv is the total; on EC2, compute billed to tasks plus
    // idle is what the instances cost (B4) — checked on spot and on-demand
    // instances, a daemon, batch jobs and a week of interruptions.
    for path in ["scenarios/spot-what-if.toml", "scenarios/quickstart.toml"] {
        let sc = scenario::load(Path::new(path), &[]).expect("shipped scenario");
        let r = Simulation::new(&sc.spec, sc.seed).run();
        let c = &r.summary.cost;
        let rows: f64 = r
            .cost
            .iter()
            .map(|x| x.compute_usd + x.idle_usd + x.storage_usd)
            .sum();
        assert!(
            (rows - c.total_usd).abs() < 1e-3,
            "{path}: {rows} vs {}",
            c.total_usd
        );
        let ec2_compute: f64 = r
            .cost
            .iter()
            .filter(|x| x.capacity.starts_with("ec2"))
            .map(|x| x.compute_usd + x.idle_usd)
            .sum();
        assert!(
            (ec2_compute - c.ec2_instances_usd).abs() < 1e-3,
            "{path}: {ec2_compute} vs {}",
            c.ec2_instances_usd
        );
        // The instances bill is what instances.csv implies: price × hours
        // (spot at the Advisor discount, constant here), 60 s minimum.
        let expected: f64 = r
            .instances
            .iter()
            .map(|i| {
                let end = i.terminated.unwrap_or(SimTime::ZERO + sc.spec.horizon);
                let s = (end - i.launched)
                    .as_secs_f64()
                    .max(if i.terminated.is_some() { 60.0 } else { 0.0 });
                i.price_usd_per_hour * s / 3600.0
            })
            .sum();
        assert!(
            (expected - c.ec2_instances_usd).abs() < 1e-3,
            "{path}: {expected} vs {}",
            c.ec2_instances_usd
        );
        // The CSV says the same.
        let csv = output::cost_csv(&r);
        assert_eq!(csv.lines().count(), r.cost.len() + 1);
    }
}

#[test]
fn a_commitment_is_settled_hour_by_hour_b3() {
    // B3: one m6i.large on demand ($0.096/h) for 2 h with a commitment of
    // $0.05/h at 30%: it covers 0.05 / 0.7 = $0.0714/h of on-demand spend;
    // each hour pays 0.05 + (0.096 − 0.0714) = $0.07457; two hours $0.1491.
    let text = r#"
name = "commit"
seed = 1
duration = "2h"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.large"]
count = 1
[pricing]
commitment = { usdPerHour = 0.05, discountPercent = 30 }
"#;
    let r = run(text);
    let c = &r.summary.cost;
    let per_hour = 0.05 + (0.096 - 0.05 / 0.7);
    assert!((c.total_usd - 2.0 * per_hour).abs() < 1e-4, "{c:?}");
    assert!(
        (c.commitment_usd - (2.0 * per_hour - 0.192)).abs() < 1e-4,
        "{c:?}"
    );
}

#[test]
fn base_and_weight_split_fargate_tasks_c6() {
    // C6: FARGATE base 2 weight 1 + FARGATE_SPOT weight 3: 10 tasks = 4 + 6.
    let text = r#"
name = "split"
seed = 1
duration = "1h"
[fargate]
spotMonthlyInterruptionRate = 0.0
[[taskDefinitions]]
family = "web"
networkMode = "awsvpc"
cpu = 256
memory = 512
containerDefinitions = [{ name = "a", image = "w:1" }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 10
capacityProviderStrategy = [{ capacityProvider = "FARGATE", base = 2, weight = 1 }, { capacityProvider = "FARGATE_SPOT", weight = 3 }]
"#;
    let r = run(text);
    let on = |cap: &str| r.tasks.iter().filter(|t| t.capacity == cap).count();
    assert_eq!((on("FARGATE"), on("FARGATE_SPOT")), (4, 6));
    // F1: spread over the three AZs.
    let mut per_az = std::collections::BTreeMap::new();
    for t in &r.tasks {
        *per_az.entry(t.az.clone().unwrap_or_default()).or_insert(0) += 1;
    }
    assert_eq!(per_az.len(), 3, "{per_az:?}");
    assert!(per_az.values().all(|&n| (3..=4).contains(&n)), "{per_az:?}");
    assert_eq!(r.summary.services[0].running_at_end, 10);
}

#[test]
fn fargate_spot_interruptions_are_replaced_f3() {
    // F3: a two-minute warning (SIGTERM, stopCode TerminationNotice), then
    // the service scheduler launches a replacement.
    let text = r#"
name = "fspot"
seed = 3
duration = "30d"
[cluster]
sampleInterval = "1h"
[fargate]
spotMonthlyInterruptionRate = 0.9
[[taskDefinitions]]
family = "web"
networkMode = "awsvpc"
cpu = 256
memory = 512
containerDefinitions = [{ name = "a", image = "w:1", stopTimeout = 120 }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 4
capacityProviderStrategy = [{ capacityProvider = "FARGATE_SPOT", weight = 1 }]
"#;
    let r = run(text);
    let interrupted: Vec<_> = r
        .tasks
        .iter()
        .filter(|t| t.stop_reason.as_deref() == Some("TerminationNotice"))
        .collect();
    assert!(!interrupted.is_empty());
    assert_eq!(
        interrupted.len() as u64,
        r.summary.cost.fargate_spot_interruptions
    );
    // Stopped 120 s after the warning: the full stop timeout (at most 120 s on Fargate).
    assert!(interrupted.iter().all(|t| t
        .stopped
        .zip(t.stopping)
        .map(|(a, b)| (a - b).as_millis())
        == Some(120_000)));
    assert_eq!(r.summary.services[0].running_at_end, 4);
}

#[test]
fn fargate_scenario_errors_f1_c6() {
    let td = |cpu: u32, mem: u32, extra: &str| {
        format!(
            "name = \"bad\"\nduration = \"1h\"\n[[taskDefinitions]]\nfamily = \"web\"\nnetworkMode = \"awsvpc\"\ncpu = {cpu}\nmemory = {mem}\ncontainerDefinitions = [{{ name = \"a\" }}]\n{extra}\n"
        )
    };
    let svc = "[[services]]\nserviceName = \"web\"\ntaskDefinition = \"web\"\ndesiredCount = 1\n";
    // F1: an invalid size lists the valid memory for the CPU.
    let e = errors(&format!(
        "{}{svc}launchType = \"FARGATE\"\n",
        td(1024, 1024, "")
    ));
    assert!(
        e.iter()
            .any(|m| m.contains("taskDefinitions[0].memory") && m.contains("2–8 GB")),
        "{e:?}"
    );
    // F1: no placement strategy on Fargate.
    let e = errors(&format!(
        "{}{svc}launchType = \"FARGATE\"\nplacementStrategy = [{{ type = \"random\" }}]\n",
        td(256, 512, "")
    ));
    assert!(
        e.iter()
            .any(|m| m.contains("services[0].placementStrategy") && m.contains("Fargate")),
        "{e:?}"
    );
    // C6: Fargate and Auto Scaling group providers do not mix.
    let asg = "[[instanceGroups]]\nname = \"g\"\ninstanceTypes = [\"m6i.large\"]\ncount = 1\n[[capacityProviders]]\nname = \"my-asg\"\ninstanceGroup = \"g\"\n";
    let e = errors(&format!(
        "{}{asg}{svc}capacityProviderStrategy = [{{ capacityProvider = \"FARGATE\", weight = 1 }}, {{ capacityProvider = \"my-asg\", weight = 1 }}]\n",
        td(256, 512, "")
    ));
    assert!(e.iter().any(|m| m.contains("services[0].capacityProviderStrategy") && m.contains("cannot mix")), "{e:?}");
    // F3: Fargate Spot runs Linux tasks only (x86_64, and ARM64 per the ECS
    // API reference, CapacityProviderStrategyItem): Windows is refused,
    // ARM64 accepted.
    let spot = "capacityProviderStrategy = [{ capacityProvider = \"FARGATE_SPOT\", weight = 1 }]\n";
    let e = errors(&format!(
        "{}{svc}{spot}",
        td(
            1024,
            2048,
            "runtimePlatform = { operatingSystemFamily = \"WINDOWS_SERVER_2022_FULL\" }"
        )
    ));
    assert!(
        e.iter()
            .any(|m| m.contains("FARGATE_SPOT") && m.contains("windows_x86")),
        "{e:?}"
    );
    let arm = format!(
        "{}{svc}{spot}",
        td(
            256,
            512,
            "runtimePlatform = { cpuArchitecture = \"ARM64\" }"
        )
    );
    if let Err(e) = scenario::load_str(&arm, Path::new("inline.toml"), &[]) {
        panic!("ARM64 on FARGATE_SPOT refused: {:?}", e.issues());
    }
    // Fargate needs awsvpc.
    let e = errors(&format!(
        "{}{svc}launchType = \"FARGATE\"\n",
        td(256, 512, "").replace("networkMode = \"awsvpc\"", "networkMode = \"bridge\"")
    ));
    assert!(
        e.iter()
            .any(|m| m.contains("taskDefinitions[0].networkMode") && m.contains("awsvpc")),
        "{e:?}"
    );
    // Both launchType and a strategy.
    let e = errors(&format!(
        "{}{svc}launchType = \"FARGATE\"\ncapacityProviderStrategy = [{{ capacityProvider = \"FARGATE\", weight = 1 }}]\n",
        td(256, 512, "")
    ));
    assert!(
        e.iter()
            .any(|m| m.contains("either launchType or capacityProviderStrategy")),
        "{e:?}"
    );
}

#[test]
fn compare_variants_see_the_same_arrivals() {
    // Common random numbers: on EC2 and on Fargate the batch stream submits
    // the same tasks at the same times with the same work.
    let path = Path::new("scenarios/cost/nightly-batch.toml");
    let variants: Vec<Variant> = compare::file_variants(path)
        .expect("variants")
        .into_iter()
        .filter(|v| v.name == "ec2" || v.name == "fargate")
        .collect();
    assert_eq!(variants.len(), 2);
    let runs = compare::run(path, &variants, &[], None).expect("runs");
    let arrivals = |r: &RunResult| {
        let mut v: Vec<u64> = r.tasks.iter().map(|t| t.created.as_millis()).collect();
        v.sort_unstable();
        v
    };
    let (a, b) = (&runs[0].1, &runs[1].1);
    assert_eq!(a.summary.jobs[0].submitted, b.summary.jobs[0].submitted);
    // EC2 may re-run nothing here, so every submission is an arrival.
    assert_eq!(arrivals(a), arrivals(b));
    let rows: Vec<_> = runs.iter().map(|(v, r)| compare::row(&v.name, r)).collect();
    assert!(rows[0].ec2_usd > 0.0 && rows[0].fargate_usd == 0.0);
    assert!(rows[1].fargate_usd > 0.0 && rows[1].ec2_usd == 0.0);
    let csv = compare::csv(&rows);
    assert!(csv.starts_with("variant,run_total_usd,usd_per_month"));
    assert_eq!(csv.lines().count(), 3);
}
