//! Service-level metrics of the summary (availability, waits, time in
//! PROVISIONING, completion, dropped requests) and the `[slo]` objectives
//! judged on them, end to end on small scenarios whose timing is fixed.

use std::path::Path;

use ecsim::engine::{RunResult, Simulation};
use ecsim::metrics::flatten;
use ecsim::scenario;
use ecsim::slo::{CLUSTER_METRICS, JOB_METRICS, SERVICE_METRICS};

fn run(text: &str) -> RunResult {
    let sc = scenario::load_str(text, Path::new("tests/fixtures/inline.toml"), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    Simulation::new(&sc.spec, sc.seed).run()
}

fn load_err(text: &str) -> String {
    match scenario::load_str(text, Path::new("tests/fixtures/inline.toml"), &[]) {
        Ok(_) => panic!("expected the scenario to be refused"),
        Err(e) => e.to_string(),
    }
}

/// Four web tasks on three instances: image pulls take 20 s, a task is
/// healthy 40 s after RUNNING (T2); at 1 h the oldest fails its health
/// checks and a replacement starts at once (maximumPercent 200, D3).
fn health_replay(extra: &str) -> String {
    format!(
        r#"
name = "svc"
seed = 3
duration = "2h"
[cluster]
imagePullTime = "20s"
cachedStartTime = "20s"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.2xlarge"]
count = 3
[[taskDefinitions]]
family = "web"
containerDefinitions = [{{ name = "app", image = "web:1", cpu = 256, memory = 512 }}]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 4
deploymentConfiguration = {{ minimumHealthyPercent = 100, maximumPercent = 200 }}
healthCheckFailures = {{ replay = [{{ at = "1h", tasks = 1 }}] }}
{extra}
"#
    )
}

#[test]
fn availability_is_the_time_with_enough_healthy_tasks_d3_t2() {
    // ECS-MODEL D3, T2: the tasks placed at 0 s are RUNNING at 20 s and
    // healthy at 60 s (the ramp-up: time counts from there). At 3600 s one
    // fails its health checks and stops counting as healthy at once; its
    // replacement is RUNNING at 3620 s and healthy at 3660 s: 60 s with 3
    // healthy of 4, out of 7200 - 60 = 7140 s. RUNNING never drops (the
    // unhealthy task stops only after), so a sampled RUNNING count would
    // miss it.
    let r = run(&health_replay(""));
    let web = &r.summary.services[0];
    let want = ((1.0 - 60.0 / 7140.0) * 100.0 * 10_000.0_f64).round() / 10_000.0;
    assert_eq!(want, 99.1597);
    assert_eq!(web.availability_pct, want);
    // Partial: ceil(0.9 × 4) = 4 healthy needed, the same 60 s missing.
    assert_eq!(web.partial_availability_pct, want);
    assert_eq!(web.minutes_below_desired, 0.0);
    // Every task waited its 20 s image pull from its request (the
    // replacement: from the failure at 3600 s).
    assert_eq!(web.wait.values, [20.0; 4]);
    assert_eq!(web.provisioning.values, [0.0; 4]);
    assert_eq!((web.dropped_pct, web.overloaded_minutes), (0.0, 0));

    // With availabilityShare = 0.75, 3 of 4 healthy are enough.
    let r = run(&health_replay("[slo]\navailabilityShare = 0.75"));
    let web = &r.summary.services[0];
    assert_eq!(web.availability_pct, want);
    assert_eq!(web.partial_availability_pct, 100.0);
}

/// A service scaled on CPU on a capacity provider (one m6i.xlarge to start,
/// new instances boot in 120 s, image pulls take 20 s): demand steps from
/// 100 to 600 rps at 10 min (scaling.rs follows the whole chain).
const CHAIN: &str = r#"
name = "chain"
seed = 1
duration = "1h"
[cluster]
tieBreak = "lowest-id"
imagePullTime = "20s"
cachedStartTime = "20s"
[[instanceGroups]]
name = "app"
instanceTypes = ["m6i.xlarge"]
count = 1
minSize = 1
maxSize = 10
launchLatency = "120s"
[[capacityProviders]]
name = "app"
instanceGroup = "app"
managedScaling = { targetCapacity = 100, instanceWarmupPeriod = 300 }
managedTerminationProtection = "ENABLED"
[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "a", image = "w:1", cpu = 1024, memory = 1024 }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 2
capacityProviderStrategy = [{ capacityProvider = "app", weight = 1 }]
# The waits below are the scaling chain's; X2 rebalancing would add tasks.
availabilityZoneRebalancing = "DISABLED"
demand = { type = "constant", rps = 100, taskCapacityRps = 100, events = [{ at = "10m", factor = 6 }] }
autoScaling = { minCapacity = 2, maxCapacity = 20, targetTracking = [{ metric = "ECSServiceAverageCPUUtilization", targetValue = 70, scaleInCooldown = "300s" }] }
"#;

#[test]
fn waits_run_from_the_request_and_include_provisioning_c1_a3() {
    // ECS-MODEL A3, C1: desired 2 -> 9 at 780 s. Two more tasks fit the
    // running instance (RUNNING 800 s: 20 s waits, as the 2 placed at
    // 0 s); five wait in PROVISIONING from 780 s until the new instances
    // are ACTIVE at 960 s, RUNNING at 980 s: 200 s from the request, 180 s
    // of it in PROVISIONING. Nine waits: four of 20 s, five of 200 s;
    // nearest rank: p50 is the 5th (200 s), as is the time in PROVISIONING
    // (four 0 s, five 180 s).
    let r = run(CHAIN);
    let web = &r.summary.services[0];
    let started = r.tasks.iter().filter(|t| t.running.is_some()).count();
    assert_eq!(started, 9, "{:#?}", r.tasks);
    assert_eq!(web.wait.values, [200.0; 4]);
    assert_eq!(web.provisioning.values, [180.0; 4]);
    // Demand: the drop share and overloaded minutes of the demand block.
    let d = web.demand.as_ref().expect("demand");
    assert_eq!(web.dropped_pct, d.dropped_pct);
    assert!(web.dropped_pct > 0.0);
    assert_eq!(web.overloaded_minutes, d.overloaded_minutes);
    assert_eq!(r.summary.dropped_pct, d.dropped_pct);
}

#[test]
fn a_job_streams_waits_are_its_tasks_waits_for_capacity_c1() {
    // Ten 1-vCPU tasks arrive at once every 30 min on a provider with one
    // m6i.xlarge (4 vCPU): four start at once, six wait in PROVISIONING
    // for the instances managed scaling launches (C1). The summary's waits
    // are the tasks' own, from submission to RUNNING (nearest rank), and
    // the time in PROVISIONING is from submission to placement.
    let text = CHAIN
        .replace(
            "[[services]]",
            "[[batchJobs]]\nname = \"etl\"\ntaskDefinition = \"web\"\narrivals = { type = \"every\", interval = \"30m\" }\ncount = 10\nduration = \"10m\"\ncapacityProviderStrategy = [{ capacityProvider = \"app\", weight = 1 }]\n[[services]]",
        )
        .replace("desiredCount = 2", "desiredCount = 0")
        .replace("minCapacity = 2", "minCapacity = 0")
        .replace("rps = 100,", "rps = 0,");
    let r = run(&text);
    let etl = &r.summary.jobs[0];
    let mut waits: Vec<f64> = r
        .tasks
        .iter()
        .filter(|t| t.owner == "etl")
        .filter_map(|t| t.running.map(|x| (x - t.created).as_secs_f64()))
        .collect();
    waits.sort_by(f64::total_cmp);
    let n = waits.len();
    assert!(n >= 10, "{n}");
    let rank = |p: usize| waits[(p * n).div_ceil(100) - 1];
    assert_eq!(
        etl.wait.values,
        [rank(50), rank(95), rank(99), waits[n - 1]]
    );
    // Some waited for an instance to boot (120 s) and their image (20 s).
    assert!(etl.wait.values[3] >= 140.0, "{:?}", etl.wait.values);
    assert!(
        etl.provisioning.values[3] >= 120.0,
        "{:?}",
        etl.provisioning
    );
    assert_eq!(etl.provisioning.values[3] + 20.0, etl.wait.values[3]);
    let want = (100.0 * etl.completed as f64 / etl.submitted as f64 * 10_000.0).round() / 10_000.0;
    assert_eq!(etl.completion_pct, want);
    assert!(etl.completion_pct < 100.0 && etl.completion_pct > 0.0);
}

#[test]
fn every_metric_objectives_name_is_in_the_summary() {
    // SERVICE_METRICS, JOB_METRICS and CLUSTER_METRICS are what `[slo]`
    // objectives may name: each must be a number of every summary.
    let text = CHAIN.replace(
        "[[services]]",
        "[[batchJobs]]\nname = \"etl\"\ntaskDefinition = \"web\"\narrivals = { type = \"every\", interval = \"20m\" }\nduration = \"5m\"\n[[services]]",
    );
    let r = run(&text);
    let flat = flatten(&serde_json::to_value(&r.summary).unwrap());
    let has = |name: &str| flat.iter().any(|(n, _)| n == name);
    let mut missing = Vec::new();
    for m in SERVICE_METRICS {
        if !has(&format!("services.web.{m}")) {
            missing.push(format!("services.web.{m}"));
        }
    }
    for m in JOB_METRICS {
        if !has(&format!("jobs.etl.{m}")) {
            missing.push(format!("jobs.etl.{m}"));
        }
    }
    for m in CLUSTER_METRICS {
        if !has(m) {
            missing.push(m.to_string());
        }
    }
    assert!(missing.is_empty(), "not in the summary: {missing:?}");
    // And on a service without demand (0, not absent).
    let r = run(&health_replay(""));
    let flat = flatten(&serde_json::to_value(&r.summary).unwrap());
    for m in SERVICE_METRICS {
        assert!(
            flat.iter().any(|(n, _)| *n == format!("services.web.{m}")),
            "{m}"
        );
    }
}

#[test]
fn a_run_judges_each_objective_with_its_margin() {
    let r = run(&health_replay(
        r#"[slo]
objectives = [
  "services.web.availability >= 99.9",
  "services.web.partial_availability >= 99%",
  "services.web.wait_p99 <= 30s",
  "services.web.wait_max < 20s",
  "dropped <= 0.1",
]"#,
    ));
    let slo = &r.summary.slo;
    assert_eq!(slo.len(), 5);
    let row = |i: usize| {
        (
            slo[i].metric.as_str(),
            slo[i].value,
            slo[i].met,
            slo[i].margin,
        )
    };
    // 99.1597 < 99.9: missed by 0.7403.
    assert_eq!(
        row(0),
        ("services.web.availability_pct", 99.1597, false, -0.7403)
    );
    assert_eq!(
        row(1),
        (
            "services.web.partial_availability_pct",
            99.1597,
            true,
            0.1597
        )
    );
    assert_eq!(row(2), ("services.web.wait_p99_s", 20.0, true, 10.0));
    assert_eq!(row(3), ("services.web.wait_max_s", 20.0, false, 0.0));
    assert_eq!(row(4), ("dropped_pct", 0.0, true, 0.1));
    assert_eq!(slo[0].objective, "services.web.availability >= 99.9");
    // In summary.json as a list of plain fields.
    let json = serde_json::to_value(&r.summary).unwrap();
    assert_eq!(
        json["slo"][3],
        serde_json::json!({"objective": "services.web.wait_max < 20s",
            "metric": "services.web.wait_max_s", "value": 20.0, "met": false, "margin": 0.0})
    );
    // Without objectives the summary has no `slo` field at all.
    let json = serde_json::to_value(run(&health_replay("")).summary).unwrap();
    assert!(json.get("slo").is_none());
}

#[test]
fn slo_errors_name_the_file_the_objective_and_what_was_expected() {
    let e = load_err(&health_replay(
        r#"[slo]
objectives = ["services.web.availability >= 99.9", "jobs.etl.wait_p99 <= 60s"]"#,
    ));
    assert!(
        e.contains("tests/fixtures/inline.toml")
            && e.contains("slo.objectives[1]")
            && e.contains("no job stream named \"etl\""),
        "{e}"
    );
    let e = load_err(&health_replay(
        "[slo]\nobjectives = [\"services.web.availabilty >= 99\"]",
    ));
    assert!(
        e.contains("slo.objectives[0]")
            && e.contains("did you mean \"services.web.availability_pct\""),
        "{e}"
    );
}

#[test]
fn slo_metrics_are_deterministic() {
    let text = health_replay("[slo]\nobjectives = [\"services.web.availability >= 99\"]");
    let a = serde_json::to_string(&run(&text).summary).unwrap();
    let b = serde_json::to_string(&run(&text).summary).unwrap();
    assert_eq!(a, b);
    let a = serde_json::to_string(&run(CHAIN).summary).unwrap();
    let b = serde_json::to_string(&run(CHAIN).summary).unwrap();
    assert_eq!(a, b);
}

#[test]
fn cli_prints_the_objectives_and_fails_on_a_miss_only_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("svc.toml");
    std::fs::write(
        &file,
        health_replay(
            "[slo]\nobjectives = [\"services.web.availability >= 99.9\", \"services.web.wait_max <= 30s\"]",
        ),
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let out = tmp.path().join("out");
        std::process::Command::new(env!("CARGO_BIN_EXE_ecsim"))
            .args([
                "run",
                file.to_str().unwrap(),
                "--outputs",
                "summary",
                "--out",
            ])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&[]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("services.web.availability >= 99.9")
            && stdout.contains("99.1597")
            && stdout.contains("MISSED")
            && stdout.contains("-0.7403")
            && stdout.contains("+10")
            && stdout.contains("objectives: 1 met, 1 missed"),
        "{stdout}"
    );
    let o = run(&["--fail-on-slo"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("1 service-level objective missed"));
    // The results are written all the same.
    let summary = std::fs::read_to_string(tmp.path().join("out/summary.json")).unwrap();
    assert!(summary.contains("\"slo\""), "{summary}");
}

#[test]
fn availability_matches_the_healthy_intervals_of_the_task_records_s3_t2() {
    // ECS-MODEL S3, T2: a week of spot interruptions (shipped spot-what-if:
    // web, 16 tasks behind a target group, healthy 150 s after RUNNING,
    // replaced as instances drain or die). Recomputed from tasks.csv alone:
    // a task is healthy from RUNNING + 150 s until it stops (STOPPING, or
    // STOPPED when killed); the share of the time from the first moment 16
    // were healthy with at least 16 (15 = ceil(0.9 × 16) for partial)
    // must be what the engine followed event by event.
    let sc = scenario::load(Path::new("scenarios/spot-what-if.toml"), &[]).unwrap();
    let r = Simulation::new(&sc.spec, sc.seed).run();
    let end = r.summary.horizon_s * 1000.0;
    let mut changes: Vec<(u64, i64)> = Vec::new();
    for t in r.tasks.iter().filter(|t| t.owner == "web") {
        let Some(running) = t.running else { continue };
        let from = running.0 + 150_000;
        let to = t.stopping.or(t.stopped).map_or(end as u64, |x| x.0);
        if from < to {
            changes.push((from, 1));
            changes.push((to, -1));
        }
    }
    changes.sort();
    let (mut healthy, mut last, mut ramp) = (0i64, 0u64, None);
    let (mut full, mut partial) = (0u64, 0u64);
    let mut i = 0;
    while i < changes.len() {
        let now = changes[i].0;
        if ramp.is_some() {
            if healthy >= 16 {
                full += now - last;
            }
            if healthy >= 15 {
                partial += now - last;
            }
        }
        while i < changes.len() && changes[i].0 == now {
            healthy += changes[i].1;
            i += 1;
        }
        if ramp.is_none() && healthy >= 16 {
            ramp = Some(now);
        }
        last = now;
    }
    let tail = end as u64 - last;
    if healthy >= 16 {
        full += tail;
    }
    if healthy >= 15 {
        partial += tail;
    }
    let total = (end as u64 - ramp.expect("ramp-up")) as f64;
    let pct = |x: u64| (100.0 * x as f64 / total * 10_000.0).round() / 10_000.0;
    let web = &r.summary.services[0];
    assert!(web.availability_pct < 100.0, "{}", web.availability_pct);
    assert_eq!(web.availability_pct, pct(full));
    assert_eq!(web.partial_availability_pct, pct(partial));
}
