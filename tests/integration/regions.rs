//! Regions and commitments end to end (ECS-MODEL B1, B3): a cluster in
//! Seoul billed at Seoul's prices, Reserved Instances and Savings Plans
//! settled hour by hour in the ledger and in `commitments.csv`, the region
//! checks of the scenario, and README.ko.md kept in step with README.md.

use ecsim::compare;
use ecsim::output;

use crate::common::{errors, run};

/// Equal to the 4 decimals `summary.json` keeps.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 6e-5
}

/// `count` instances of `ty` in `region` for `duration`, no tasks, plus
/// `extra` (a `[pricing]` section, ...).
fn fleet(region: &str, az: &str, ty: &str, count: u32, duration: &str, extra: &str) -> String {
    format!(
        r#"
name = "fleet"
seed = 1
duration = "{duration}"
[cluster]
region = "{region}"
availabilityZones = ["{az}"]
[[instanceGroups]]
name = "app"
instanceTypes = ["{ty}"]
count = {count}
{extra}
"#
    )
}

/// What one instance of `ty` in `az` of `region` costs for an hour, in
/// USD, with `extra` added to its group (as [`fleet`]).
fn one_hour_usd(region: &str, az: &str, ty: &str, extra: &str) -> f64 {
    run(&fleet(region, az, ty, 1, "1h", extra))
        .summary
        .cost
        .total_usd
}

#[test]
fn one_m5_large_hour_in_seoul_costs_0_118() {
    // ECS-MODEL B1: Seoul m5.large is $0.118/h
    // (data/ec2_ondemand_prices_by_region.csv); us-east-1 $0.096/h.
    let r = run(&fleet(
        "ap-northeast-2",
        "ap-northeast-2a",
        "m5.large",
        1,
        "1h",
        "",
    ));
    let c = &r.summary.cost;
    assert!(close(c.total_usd, 0.118), "{c:?}");
    assert!(close(c.ec2_instances_usd, 0.118), "{c:?}");
    assert!(c.commitments.is_none());
    assert!(r.commitments.is_none());
    let r = run(&fleet("us-east-1", "us-east-1a", "m5.large", 1, "1h", ""));
    assert!(
        close(r.summary.cost.total_usd, 0.096),
        "{:?}",
        r.summary.cost
    );
    // The default region is us-east-1.
    let text = fleet("us-east-1", "us-east-1a", "m5.large", 1, "1h", "")
        .replace("region = \"us-east-1\"\n", "");
    assert!(close(run(&text).summary.cost.total_usd, 0.096));
}

#[test]
fn one_m5_xlarge_ri_covers_two_m5_large_in_the_ledger() {
    // ECS-MODEL B3: one m5.xlarge RI (8 units, 1yr all upfront 0.137215/h
    // in Seoul) covers two m5.large (2 × 4 units): 2 h cost 2 × 0.137215 =
    // 0.27443 instead of 2 × 2 × 0.118 = 0.472.
    let ri = r#"
[pricing]
reservedInstances = [{ instanceType = "m5.xlarge", count = 1, term = "1yr" }]
"#;
    let r = run(&fleet(
        "ap-northeast-2",
        "ap-northeast-2a",
        "m5.large",
        2,
        "2h",
        ri,
    ));
    let c = &r.summary.cost;
    assert!(close(c.ec2_instances_usd, 0.472), "{c:?}");
    assert!(close(c.total_usd, 0.27443), "{c:?}");
    assert!(close(c.commitment_usd, 0.27443 - 0.472), "{c:?}");
    let k = c.commitments.as_ref().expect("commitment summary");
    assert!(close(k.covered_on_demand_usd, 0.472), "{k:?}");
    assert!(close(k.unused_usd, 0.0), "{k:?}");
    assert!(close(k.utilization_pct, 100.0), "{k:?}");
    // cost.csv still sums to the total (B4).
    let sum: f64 = r
        .cost
        .iter()
        .map(|x| x.compute_usd + x.idle_usd + x.storage_usd)
        .sum();
    assert!(close(sum, 0.27443), "{sum}");
    // commitments.csv: per hour, the RI then the hour's total.
    let csv = output::commitments_csv(r.commitments.as_ref().expect("settlement"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert_eq!(
        lines[0],
        "hour,commitment,kind,on_demand_usd,covered_on_demand_usd,uncovered_usd,fee_usd,used_usd,unused_usd,utilization_pct"
    );
    assert_eq!(
        lines[1],
        "0,ri m5.xlarge x1 1yr,reserved-instance,,0.236000,,0.137215,0.137215,0.000000,100.00"
    );
    assert_eq!(
        lines[2],
        "0,(total),total,0.236000,0.236000,0.000000,0.137215,0.137215,0.000000,100.00"
    );
}

#[test]
fn an_unused_ri_is_billed_as_waste() {
    // ECS-MODEL B3: three m5.large RIs (3 × 0.068607 = 0.205821/h) and one
    // m5.large running: 1 of 3 used; 2 × 0.068607 = 0.137214/h wasted. Two
    // hours cost 0.411642 — more than on-demand (2 × 0.118 = 0.236).
    let ri = r#"
[pricing]
reservedInstances = [{ name = "three", instanceType = "m5.large", count = 3, term = "1yr" }]
"#;
    let r = run(&fleet(
        "ap-northeast-2",
        "ap-northeast-2b",
        "m5.large",
        1,
        "2h",
        ri,
    ));
    let c = &r.summary.cost;
    assert!(close(c.total_usd, 0.411642), "{c:?}");
    let k = c.commitments.as_ref().expect("commitment summary");
    assert!(close(k.fees_usd, 0.411642), "{k:?}");
    assert!(close(k.unused_usd, 0.274428), "{k:?}");
    assert!(close(k.utilization_pct, 33.3333), "{k:?}");
    assert!(close(k.savings_usd, 0.236 - 0.411642), "{k:?}");
    assert_eq!(k.by_commitment[0].name, "three");
}

#[test]
fn savings_plans_cover_after_ris_and_fargate_counts() {
    // ECS-MODEL B3: one m5.large RI and two m5.large running: the RI covers
    // one; a Compute SP of 0.05/h at 28 % off covers 0.05 / (0.118 × 0.72)
    // = 58.85 % of the other (0.0694444 on-demand); 0.0485556 left. An hour
    // costs 0.068607 + 0.05 + 0.0485556 = 0.1671626.
    let p = r#"
[pricing]
reservedInstances = [{ instanceType = "m5.large", count = 1, term = "1yr" }]
savingsPlans = [{ type = "compute", usdPerHour = 0.05, term = "1yr", discountPercent = 28 }]
"#;
    let r = run(&fleet(
        "ap-northeast-2",
        "ap-northeast-2a",
        "m5.large",
        2,
        "1h",
        p,
    ));
    let c = &r.summary.cost;
    assert!(close(c.total_usd, 0.1671626), "{c:?}");
    let k = c.commitments.as_ref().expect("summary");
    let kinds: Vec<_> = k.by_commitment.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(kinds, ["ri m5.large x1 1yr", "compute sp 1yr"]);
}

#[test]
fn a_savings_plan_rate_file_sets_the_rate_of_a_type() {
    // ECS-MODEL B3: the user's rate for m5.large under a 1yr all-upfront
    // Compute SP is 0.0826 (30 % off 0.118): a 0.0826/h plan covers one
    // m5.large exactly.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rates.csv"),
        "region,instance_type,plan,term,payment_option,usd_per_hour\n\
         ap-northeast-2,m5.large,compute_savings_plan,1yr,all_upfront,0.0826\n",
    )
    .unwrap();
    let text = fleet(
        "ap-northeast-2",
        "ap-northeast-2a",
        "m5.large",
        1,
        "1h",
        r#"
[pricing]
savingsPlanRates = "rates.csv"
savingsPlans = [{ type = "compute", usdPerHour = 0.0826, term = "1yr" }]
"#,
    );
    let path = dir.path().join("s.toml");
    std::fs::write(&path, &text).unwrap();
    let sc = ecsim::scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    let r = ecsim::engine::Simulation::new(&sc.spec, sc.seed).run();
    let k = r.summary.cost.commitments.as_ref().expect("summary");
    assert!(close(k.covered_on_demand_usd, 0.118), "{k:?}");
    assert!(
        close(r.summary.cost.total_usd, 0.0826),
        "{:?}",
        r.summary.cost
    );
    // Without the rate or a discount, the plan is refused.
    std::fs::write(
        dir.path().join("rates.csv"),
        "region,instance_type,plan,term,payment_option,usd_per_hour\n",
    )
    .unwrap();
    let e = ecsim::scenario::load(&path, &[]).unwrap_err().to_string();
    assert!(
        e.contains("no rate for m5.large") && e.contains("discountPercent"),
        "{e}"
    );
}

#[test]
fn region_and_zone_mismatches_are_rejected() {
    // A us-east-1 zone in Seoul, a zone Seoul lacks, an unknown region.
    let e = errors(&fleet(
        "ap-northeast-2",
        "us-east-1a",
        "m5.large",
        1,
        "1h",
        "",
    ));
    assert!(
        e.iter().any(|x| x.contains("cluster.availabilityZones[0]")
            && x.contains("\"us-east-1a\" is not an Availability Zone of ap-northeast-2")),
        "{e:?}"
    );
    let e = errors(&fleet(
        "ap-northeast-2",
        "ap-northeast-2z",
        "m5.large",
        1,
        "1h",
        "",
    ));
    assert!(e.iter().any(|x| x.contains("ap-northeast-2z")), "{e:?}");
    let e = errors(&fleet("us-east-1", "us-east-1z", "m5.large", 1, "1h", ""));
    assert!(
        e.iter()
            .any(|x| x.contains("\"us-east-1z\" is not an Availability Zone of us-east-1")),
        "{e:?}"
    );
    let e = errors(&fleet(
        "ap-northeast-9",
        "ap-northeast-2a",
        "m5.large",
        1,
        "1h",
        "",
    ));
    assert!(
        e.iter().any(
            |x| x.contains("cluster.region") && x.contains("unknown region \"ap-northeast-9\"")
        ),
        "{e:?}"
    );
    // A type Seoul does not offer (a1.large is priced in us-east-1 only).
    let e = errors(&fleet(
        "ap-northeast-2",
        "ap-northeast-2a",
        "a1.large",
        1,
        "1h",
        "",
    ));
    assert!(
        e.iter()
            .any(|x| x.contains("instanceGroups[0].instanceTypes[0]")
                && x.contains("a1.large is not offered in ap-northeast-2")),
        "{e:?}"
    );
    // Spot data of another region.
    let e = errors(&fleet(
        "ap-northeast-2",
        "ap-northeast-2a",
        "m5.large",
        1,
        "1h",
        "[spot]\nregion = \"us-east-1\"\n",
    ));
    assert!(e.iter().any(|x| x.contains("spot.region")), "{e:?}");
    // The flat what-if and RIs do not mix; an RI needs a known term.
    let e = errors(&fleet(
        "ap-northeast-2",
        "ap-northeast-2a",
        "m5.large",
        1,
        "1h",
        "[pricing]\ncommitment = { usdPerHour = 1, discountPercent = 20 }\nreservedInstances = [{ instanceType = \"m5.large\", count = 1, term = \"2yr\" }]\n",
    ));
    assert!(e.iter().any(|x| x.contains("do not mix")), "{e:?}");
    assert!(
        e.iter().any(|x| x.contains("reservedInstances[0].term")),
        "{e:?}"
    );
}

#[test]
fn a_region_without_spot_advisor_data_runs_on_demand_and_spot_with_pool_rates() {
    // ECS-MODEL B1: GovCloud (us-gov-west-1) prices m5.large at $0.121/h
    // on demand; data/spot_advisor.csv has no data for it, which an
    // on-demand fleet does not need.
    let usd = one_hour_usd("us-gov-west-1", "us-gov-west-1a", "m5.large", "");
    assert!(close(usd, 0.121), "{usd}");
    // S1, S2: a group buying spot there needs each pool's discount and
    // interruption rate; without them the error names the group's types
    // and says what to give.
    let spot = "instancesDistribution = { onDemandPercentageAboveBaseCapacity = 0 }\n";
    let e = errors(&fleet(
        "us-gov-west-1",
        "us-gov-west-1a",
        "m5.large",
        1,
        "1h",
        spot,
    ));
    assert!(
        e.iter()
            .any(|x| x.contains("instanceGroups[0].instanceTypes")
                && x.contains("data/spot_advisor.csv has no data for us-gov-west-1")
                && x.contains("discountPercent and monthlyInterruptionRate under [[spot.pools]]")),
        "{e:?}"
    );
    assert!(!e.iter().any(|x| x.contains("spot.region")), "{e:?}");
    // With them the instance is spot, billed at 40% of on-demand
    // (0.121 × 0.4 = 0.0484 for the hour).
    let pools = format!(
        "{spot}[[spot.pools]]\ninstanceType = \"m5.large\"\ndiscountPercent = 60\nmonthlyInterruptionRate = 0.001\n"
    );
    let usd = one_hour_usd("us-gov-west-1", "us-gov-west-1a", "m5.large", &pools);
    assert!(close(usd, 0.0484), "{usd}");
}

#[test]
fn seoul_fargate_bills_at_seoul_rates() {
    // ECS-MODEL B2: Seoul Linux x86 0.04656 per vCPU-h, 0.00511 per GB-h:
    // 1 vCPU / 2 GB for an hour = 0.04656 + 0.01022 = 0.05678 per task.
    let text = r#"
name = "fg"
seed = 1
duration = "1h"
[cluster]
region = "ap-northeast-2"
[fargate]
startLatency = "30s"
spotMonthlyInterruptionRate = 0.0
[[taskDefinitions]]
family = "api"
networkMode = "awsvpc"
cpu = "1 vCPU"
memory = "2 GB"
containerDefinitions = [{ name = "a", image = "x:1" }]
[[services]]
serviceName = "api"
taskDefinition = "api"
launchType = "FARGATE"
desiredCount = 2
"#;
    let r = run(text);
    assert!(
        close(r.summary.cost.total_usd, 2.0 * 0.05678),
        "{:?}",
        r.summary.cost
    );
}

#[test]
fn a_fargate_platform_without_rates_in_the_region_is_an_error_not_free() {
    // data/fargate_prices.csv has no Windows rates for Seoul: a Windows
    // Fargate task there must be priced by the scenario (B2).
    let task = |region: &str, platform: &str, extra: &str| {
        format!(
            r#"
name = "fg"
seed = 1
duration = "1h"
[cluster]
region = "{region}"
[fargate]
startLatency = "30s"
spotMonthlyInterruptionRate = 0.0
[[taskDefinitions]]
family = "api"
networkMode = "awsvpc"
cpu = "1 vCPU"
memory = "2 GB"
runtimePlatform = {platform}
containerDefinitions = [{{ name = "a", image = "x:1" }}]
[[services]]
serviceName = "api"
taskDefinition = "api"
launchType = "FARGATE"
desiredCount = 1
{extra}
"#
        )
    };
    let windows =
        r#"{ operatingSystemFamily = "WINDOWS_SERVER_2022_CORE", cpuArchitecture = "X86_64" }"#;
    let e = errors(&task("ap-northeast-2", windows, ""));
    assert!(
        e.iter().any(|x| x.contains("taskDefinitions[0]")
            && x.contains("no windows_x86 rates for ap-northeast-2")),
        "{e:?}"
    );
    // A region with EC2 prices but no Fargate rows at all (ap-southeast-7):
    // Linux x86 Fargate needs the scenario's rates, and runs with them.
    let linux = r#"{ operatingSystemFamily = "LINUX", cpuArchitecture = "X86_64" }"#;
    let e = errors(&task("ap-southeast-7", linux, ""));
    assert!(
        e.iter()
            .any(|x| x.contains("no linux_x86 rates for ap-southeast-7")),
        "{e:?}"
    );
    let priced = "[pricing]\nfargate = { linux_x86 = { vcpuHour = 0.05, gbHour = 0.005 } }\n";
    let r = run(&task("ap-southeast-7", linux, priced));
    // 0.05 + 2 × 0.005 = 0.06 for the hour.
    assert!(
        close(r.summary.cost.total_usd, 0.06),
        "{:?}",
        r.summary.cost
    );
    // EC2 alone in that region needs no Fargate rate: c6i.large, $0.0833/h.
    let usd = one_hour_usd("ap-southeast-7", "ap-southeast-7a", "c6i.large", "");
    assert!(close(usd, 0.0833), "{usd}");
}

#[test]
fn breakeven_with_commitments_counts_the_fees_as_fixed() {
    // compare: with RIs, only usage beyond them scales with the reserved
    // share. Seoul steady study, ec2-ri-3yr vs fargate: T = 104.29,
    // F = 102.08, C = 258.05, U = 0, K = 258.05, s = 76.6 %, f = 228.94 →
    // s* = (T − F + C) × s / (f − F + K) ≈ 51.8 %, not T × s / f = 34.9 %.
    let file = std::path::Path::new("scenarios/cost/seoul-steady.toml");
    let all = compare::file_variants(file).unwrap();
    let pick: Vec<_> = all
        .into_iter()
        .filter(|v| v.name == "ec2-ri-3yr" || v.name == "fargate")
        .collect();
    let runs = compare::run(file, &pick, &[], None).unwrap();
    let rows: Vec<_> = runs.iter().map(|(v, r)| compare::row(&v.name, r)).collect();
    let b = compare::breakevens(&rows);
    assert_eq!(b.len(), 1);
    assert!((b[0].reserved_pct - 51.8).abs() < 0.1, "{b:?}");
    let old = rows[0].run_total_usd * rows[0].paid_reserved_pct / rows[1].run_total_usd;
    assert!((old - 34.9).abs() < 0.1, "{old}");
}

/// Every `ecsim` / `cargo run` command README.ko.md shows, in a code block.
fn commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        let l = line.trim();
        if in_code && (l.starts_with("cargo run") || l.starts_with("ecsim ")) {
            // Without a trailing comment.
            let cmd = l.split("  #").next().unwrap_or(l).trim_end();
            out.push(cmd.to_string());
        }
    }
    out
}

#[test]
fn every_command_of_the_korean_readme_is_in_the_readme() {
    let ko = std::fs::read_to_string("README.ko.md").unwrap();
    let en = std::fs::read_to_string("README.md").unwrap();
    let ko_cmds = commands(&ko);
    assert!(ko_cmds.len() >= 5, "{ko_cmds:?}");
    let en_cmds = commands(&en);
    let missing: Vec<&String> = ko_cmds.iter().filter(|c| !en_cmds.contains(c)).collect();
    assert!(
        missing.is_empty(),
        "README.ko.md shows commands README.md does not: {missing:?}"
    );
}
