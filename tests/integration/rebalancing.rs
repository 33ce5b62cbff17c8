//! Service Availability Zone rebalancing (ECS-MODEL X2) and task scale-in
//! protection (X3), end to end on small scenarios whose timing the rules
//! fix: image pulls take 20 s, a task is healthy 40 s after RUNNING (T2),
//! stops take 30 s (T1).

use std::collections::BTreeMap;
use std::path::Path;

use ecsim::engine::{RunResult, Simulation, TaskRecord};
use ecsim::scenario;

fn run(text: &str) -> RunResult {
    let sc = scenario::load_str(text, Path::new("tests/fixtures/inline.toml"), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    Simulation::new(&sc.spec, sc.seed).run()
}

fn run_seed(text: &str, seed: u64) -> RunResult {
    let sc = scenario::load_str(text, Path::new("tests/fixtures/inline.toml"), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    Simulation::new(&sc.spec, seed).run()
}

fn load_err(text: &str) -> String {
    match scenario::load_str(text, Path::new("tests/fixtures/inline.toml"), &[]) {
        Ok(_) => panic!("expected the scenario to be refused"),
        Err(e) => e.to_string(),
    }
}

fn secs(t: Option<ecsim::sim::SimTime>) -> f64 {
    t.expect("a time").as_secs_f64()
}

/// Three m6i.2xlarge, one per AZ; the one in us-east-1a already runs six
/// `web` tasks (desired 6), so the service starts unbalanced (6, 0, 0).
/// `service` is added to the `web` service table.
fn seeded(service: &str) -> String {
    format!(
        r#"
name = "rebalance"
seed = 5
duration = "1h"
[cluster]
imagePullTime = "20s"
cachedStartTime = "20s"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.2xlarge"]
count = 3
availabilityZones = ["us-east-1a", "us-east-1b", "us-east-1c"]
instances = [{{ availabilityZone = "us-east-1a", tasks = [{{ service = "web", count = 6 }}] }},
             {{ availabilityZone = "us-east-1b" }},
             {{ availabilityZone = "us-east-1c" }}]
[[taskDefinitions]]
family = "web"
containerDefinitions = [{{ name = "app", image = "web:1", cpu = 256, memory = 512 }}]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 6
{service}
"#
    )
}

fn web(r: &RunResult) -> Vec<&TaskRecord> {
    let mut v: Vec<&TaskRecord> = r.tasks.iter().filter(|t| t.owner == "web").collect();
    v.sort_by_key(|t| (t.created, t.id));
    v
}

fn events<'a>(r: &'a RunResult, prefix: &str) -> Vec<(f64, &'a str)> {
    r.events
        .iter()
        .filter(|e| e.event.starts_with(prefix))
        .map(|e| (e.time_s, e.message.as_str()))
        .collect()
}

/// RUNNING tasks per AZ at the end.
fn by_az(r: &RunResult) -> Vec<u32> {
    let m: &BTreeMap<String, u32> = &r.summary.services[0].running_by_az_at_end;
    ["us-east-1a", "us-east-1b", "us-east-1c"]
        .iter()
        .map(|az| m.get(*az).copied().unwrap_or(0))
        .collect()
}

/// Tasks holding a place under maximumPercent (PENDING, RUNNING or
/// STOPPING: created and not yet STOPPED) at `t` seconds.
fn placed_at(r: &RunResult, t: f64) -> usize {
    web(r)
        .iter()
        .filter(|k| {
            k.created.as_secs_f64() <= t
                && k.pending.is_some()
                && k.stopped.is_none_or(|x| x.as_secs_f64() > t)
        })
        .count()
}

fn stopped_by_scheduler(r: &RunResult) -> Vec<&TaskRecord> {
    web(r)
        .into_iter()
        .filter(|t| t.stop_reason.as_deref() == Some("ServiceSchedulerInitiated"))
        .collect()
}

#[test]
fn rebalancing_starts_in_the_light_az_before_stopping_in_the_heavy_one_x2() {
    // ECS-MODEL X2: 6 tasks over 3 AZs -> 2 per AZ. The seeded tasks are
    // healthy at 40 s; then, within maximumPercent 200 (room 6), the four
    // missing tasks start in us-east-1b and us-east-1c (RUNNING 60 s,
    // healthy 100 s), and only as each is healthy does one task of
    // us-east-1a stop (STOPPING 100 s). No instance is launched.
    let r = run(&seeded(""));
    let tasks = web(&r);
    let started: Vec<&&TaskRecord> = tasks
        .iter()
        .filter(|t| t.created.as_secs_f64() > 0.0)
        .collect();
    assert_eq!(started.len(), 4, "{tasks:?}");
    for t in &started {
        assert_eq!(secs(Some(t.created)), 40.0);
        assert_ne!(t.az.as_deref(), Some("us-east-1a"));
    }
    let stopped = stopped_by_scheduler(&r);
    assert_eq!(stopped.len(), 4);
    for v in &stopped {
        assert_eq!(v.az.as_deref(), Some("us-east-1a"));
        assert_eq!(secs(v.stopping), 100.0);
        // Started first: every new task was healthy when the stop began.
        for t in &started {
            assert!(secs(t.running) + 40.0 <= secs(v.stopping));
        }
    }
    assert_eq!(by_az(&r), [2, 2, 2]);
    assert_eq!(r.instances.len(), 3, "rebalancing launches no instance");
    let svc = &r.summary.services[0];
    assert_eq!(svc.az_rebalancing_operations, Some(1));
    assert_eq!(svc.az_rebalancing_tasks_started, Some(4));
    assert_eq!(svc.az_rebalancing_tasks_stopped, Some(4));
    assert_eq!(svc.minutes_below_desired, 0.0);
    let started_ev = events(&r, "rebalancing-started");
    assert_eq!(
        started_ev,
        [(
            40.0,
            "service (web) is not AZ balanced with 6 tasks in us-east-1a, 0 in us-east-1b, and 0 in us-east-1c. AZ Rebalancing in progress."
        )]
    );
    let done = events(&r, "rebalancing-completed");
    assert_eq!(
        done,
        [(
            100.0,
            "service (web) is AZ balanced with 2 tasks in us-east-1a, 2 tasks in us-east-1b, and 2 tasks in us-east-1c."
        )]
    );
    assert_eq!(
        events(&r, "rebalancing-tasks-started").len(),
        2,
        "one per AZ"
    );
    assert!(events(&r, "rebalancing-tasks-stopped")
        .iter()
        .all(|(_, m)| m
            .starts_with("web has stopped 1 running tasks in us-east-1a due to AZ rebalancing")));
}

#[test]
fn rebalancing_respects_maximum_percent_x2() {
    // ECS-MODEL X2, D1: maximumPercent 150 of 6 -> at most 9 tasks PENDING,
    // RUNNING or STOPPING. Three move first (room 3); the fourth waits for
    // the first stops to complete (STOPPED at 130 s) before it starts.
    let r = run(&seeded(
        "deploymentConfiguration = { minimumHealthyPercent = 100, maximumPercent = 150 }",
    ));
    let tasks = web(&r);
    let mut times: Vec<f64> = tasks
        .iter()
        .flat_map(|t| [Some(t.created), t.running, t.stopping, t.stopped])
        .flatten()
        .map(|x| x.as_secs_f64())
        .collect();
    times.sort_by(f64::total_cmp);
    for t in times {
        assert!(placed_at(&r, t) <= 9, "{} tasks at {t}", placed_at(&r, t));
    }
    let created: Vec<f64> = tasks
        .iter()
        .filter(|t| t.created.as_secs_f64() > 0.0)
        .map(|t| t.created.as_secs_f64())
        .collect();
    assert_eq!(created, [40.0, 40.0, 40.0, 130.0]);
    assert_eq!(by_az(&r), [2, 2, 2]);

    // maximumPercent 110 of 6 -> floor(6.6) = 6: no room, nothing moves.
    let r = run(&seeded(
        "deploymentConfiguration = { minimumHealthyPercent = 100, maximumPercent = 110 }",
    ));
    assert_eq!(by_az(&r), [6, 0, 0]);
    assert!(events(&r, "rebalancing").is_empty());
}

#[test]
fn rebalancing_does_not_apply_where_x2_says_it_does_not() {
    // ECS-MODEL X2: disabled; maximumPercent 100; a placement constraint on
    // the AZ; a first strategy other than spread(AZ). Each keeps (6, 0, 0).
    for extra in [
        r#"availabilityZoneRebalancing = "DISABLED""#,
        "deploymentConfiguration = { minimumHealthyPercent = 50, maximumPercent = 100 }",
        r#"placementConstraints = [{ type = "memberOf", expression = "attribute:ecs.availability-zone in [us-east-1a, us-east-1b, us-east-1c]" }]"#,
        r#"placementStrategy = [{ type = "binpack", field = "memory" }, { type = "spread", field = "attribute:ecs.availability-zone" }]"#,
        r#"placementStrategy = [{ type = "spread", field = "instanceId" }]"#,
    ] {
        let r = run(&seeded(extra));
        assert_eq!(by_az(&r), [6, 0, 0], "{extra}");
        assert!(events(&r, "rebalancing").is_empty(), "{extra}");
        let svc = &r.summary.services[0];
        assert_eq!(svc.az_rebalancing_operations, None, "{extra}");
        assert_eq!(web(&r).len(), 6, "{extra}");
    }
    // An explicit spread(AZ) first, then binpack, is eligible.
    let r = run(&seeded(
        r#"placementStrategy = [{ type = "spread", field = "attribute:ecs.availability-zone" }, { type = "binpack", field = "memory" }]"#,
    ));
    assert_eq!(by_az(&r), [2, 2, 2]);
}

#[test]
fn rebalancing_uses_only_existing_room_and_never_launches_instances_x2() {
    // ECS-MODEL X2: "on EC2 it never launches instances". The service runs
    // on a capacity provider with managed scaling; the instances of
    // us-east-1b and us-east-1c are full (an 8-vCPU `hog` on each), so
    // nothing can start there: no task is left PROVISIONING for the
    // provider to scale out on, no instance is launched, the tasks stay.
    let text = r#"
name = "no-room"
seed = 5
duration = "1h"
[cluster]
warmStart = false
imagePullTime = "20s"
cachedStartTime = "20s"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.2xlarge"]
count = 3
minSize = 3
maxSize = 10
availabilityZones = ["us-east-1a", "us-east-1b", "us-east-1c"]
instances = [{ availabilityZone = "us-east-1a", tasks = [{ service = "web", count = 6 }] },
             { availabilityZone = "us-east-1b", tasks = [{ service = "hog" }] },
             { availabilityZone = "us-east-1c", tasks = [{ service = "hog" }] }]
[[capacityProviders]]
name = "cp"
instanceGroup = "g"
managedScaling = { targetCapacity = 100, instanceWarmupPeriod = 60 }
[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "app", image = "web:1", cpu = 256, memory = 512 }]
[[taskDefinitions]]
family = "hog"
containerDefinitions = [{ name = "app", image = "hog:1", cpu = 8192, memory = 1024 }]
[[services]]
serviceName = "hog"
taskDefinition = "hog"
desiredCount = 2
capacityProviderStrategy = [{ capacityProvider = "cp", weight = 1 }]
placementStrategy = [{ type = "spread", field = "instanceId" }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 6
capacityProviderStrategy = [{ capacityProvider = "cp", weight = 1 }]
"#;
    let r = run(text);
    assert_eq!(r.instances.len(), 3, "{:?}", r.instances);
    let web: Vec<&TaskRecord> = r.tasks.iter().filter(|t| t.owner == "web").collect();
    assert_eq!(web.len(), 6, "no task started, none left PROVISIONING");
    assert!(web.iter().all(|t| t.az.as_deref() == Some("us-east-1a")));
    assert!(events(&r, "rebalancing").is_empty());
}

#[test]
fn a_deployment_suspends_rebalancing_x2() {
    // ECS-MODEL X2 ("a new deployment stops it"), D3: rebalancing starts 4
    // tasks at 40 s; a deployment at 50 s makes them tasks to replace. When
    // they are healthy (100 s) no task stops for rebalancing: until the
    // deployment completes every stop is the deployment's. The new
    // revision, placed while the old tasks still stood, is unbalanced
    // again; rebalancing resumes once the deployment has completed.
    let r = run(&seeded(r#"deployments = [{ at = "50s" }]"#));
    let done = events(&r, "deployment-completed");
    assert_eq!(done.len(), 1);
    let completed = done[0].0;
    assert!(completed > 100.0);
    for (t, m) in events(&r, "rebalancing-tasks-stopped") {
        assert!(t >= completed, "{t}: {m}");
    }
    for t in stopped_by_scheduler(&r) {
        assert!(secs(t.stopping) >= completed, "{t:?}");
    }
    // The four tasks started to rebalance were replaced by the deployment.
    let first: Vec<&TaskRecord> = web(&r)
        .into_iter()
        .filter(|t| t.created.as_secs_f64() == 40.0)
        .collect();
    assert_eq!(first.len(), 4);
    assert!(first
        .iter()
        .all(|t| t.stop_reason.as_deref() == Some("DeploymentReplaced")));
    let svc = &r.summary.services[0];
    assert_eq!(svc.deployments[0].outcome, "COMPLETED");
    assert_eq!(by_az(&r), [2, 2, 2]);
}

#[test]
fn rebalancing_moves_tasks_back_when_an_az_has_instances_again_x2() {
    // ECS-MODEL X2 with D1: the only instance of us-east-1c is drained at
    // 10 min and replaced: its two tasks are re-placed in the other AZs
    // (3, 3, 0). When the replacement registers in us-east-1c, rebalancing
    // moves two tasks back (2, 2, 2).
    let text = r#"
name = "az-back"
seed = 7
duration = "1h"
[cluster]
imagePullTime = "20s"
cachedStartTime = "20s"
[[instanceGroups]]
name = "ab"
instanceTypes = ["m6i.2xlarge"]
count = 2
availabilityZones = ["us-east-1a", "us-east-1b"]
[[instanceGroups]]
name = "c"
instanceTypes = ["m6i.2xlarge"]
count = 1
availabilityZones = ["us-east-1c"]
[[maintenance]]
at = "10m"
instanceGroup = "c"
replace = true
[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "app", image = "web:1", cpu = 256, memory = 512 }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 6
"#;
    let r = run(text);
    let c_back = r
        .instances
        .iter()
        .filter(|i| i.az == "us-east-1c")
        .filter_map(|i| i.registered)
        .map(|t| t.as_secs_f64())
        .fold(0.0, f64::max);
    assert!(c_back > 600.0, "a replacement registered in us-east-1c");
    let started = events(&r, "rebalancing-tasks-started");
    assert_eq!(started.len(), 1, "{:?}", r.events);
    assert_eq!(started[0].0, c_back);
    assert!(started[0]
        .1
        .starts_with("web has started 2 tasks in us-east-1c"));
    assert_eq!(by_az(&r), [2, 2, 2]);
    // Tasks on the drained instance were replaced, not rebalanced.
    assert_eq!(
        web(&r)
            .iter()
            .filter(|t| t.stop_reason.as_deref() == Some("InstanceDraining"))
            .count(),
        2
    );
}

#[test]
fn rebalancing_is_deterministic_per_seed_x2() {
    // Same scenario and seed: the same bytes; ties among instances drawn
    // from the rebalancing stream follow the seed.
    let text = seeded("");
    for seed in [1, 2, 3] {
        let a = run_seed(&text, seed);
        let b = run_seed(&text, seed);
        assert_eq!(format!("{:?}", a.tasks), format!("{:?}", b.tasks));
        assert_eq!(format!("{:?}", a.events), format!("{:?}", b.events));
        assert_eq!(by_az(&a), [2, 2, 2]);
    }
}

// ----- task scale-in protection (X3) -----------------------------------

/// Six `web` tasks over three instances (two per AZ), desired lowered by
/// `desiredCountSchedule`; `extra` is added to the service.
fn balanced(extra: &str, duration: &str) -> String {
    format!(
        r#"
name = "protect"
seed = 3
duration = "{duration}"
[cluster]
imagePullTime = "20s"
cachedStartTime = "20s"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.2xlarge"]
count = 3
availabilityZones = ["us-east-1a", "us-east-1b", "us-east-1c"]
[[taskDefinitions]]
family = "web"
containerDefinitions = [{{ name = "app", image = "web:1", cpu = 256, memory = 512 }}]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 6
{extra}
"#
    )
}

fn scaled_in(r: &RunResult) -> Vec<&TaskRecord> {
    stopped_by_scheduler(r)
}

/// The ids of the `n` oldest web tasks.
fn oldest(r: &RunResult, n: usize) -> Vec<u32> {
    let mut ids: Vec<u32> = web(r).iter().map(|t| t.id.0).collect();
    ids.sort_unstable();
    ids.truncate(n);
    ids
}

#[test]
fn protected_tasks_are_never_scale_in_victims_x3() {
    // ECS-MODEL X3, P8: the three oldest tasks are protected at 10 min; the
    // desired count drops to 3 at 20 min: the three others stop.
    let r = run(&balanced(
        r#"scaleInProtection = [{ at = "10m", tasks = 3 }]
desiredCountSchedule = [{ at = "20m", desiredCount = 3 }]"#,
        "1h",
    ));
    let victims: Vec<u32> = scaled_in(&r).iter().map(|t| t.id.0).collect();
    assert_eq!(victims.len(), 3);
    let protected = oldest(&r, 3);
    assert!(
        victims.iter().all(|v| !protected.contains(v)),
        "{victims:?}"
    );
    for v in scaled_in(&r) {
        assert_eq!(secs(v.stopping), 1200.0);
    }
    let svc = &r.summary.services[0];
    assert_eq!(svc.tasks_protected, Some(3));
    assert_eq!(svc.protection_refused, Some(0));
    // Without protection, P8 picks by AZ and instance alone: not the same three.
    let plain = run(&balanced(
        r#"desiredCountSchedule = [{ at = "20m", desiredCount = 3 }]"#,
        "1h",
    ));
    assert_eq!(plain.summary.services[0].tasks_protected, None);
}

#[test]
fn scale_in_waits_for_protection_to_expire_at_120_minutes_by_default_x3() {
    // ECS-MODEL X3: all six protected at 10 min for the default 120 min;
    // desired 3 at 20 min: nothing stops (an event says why) until the
    // protection expires at 130 min, then three stop at once.
    let r = run(&balanced(
        r#"scaleInProtection = [{ at = "10m", tasks = 6 }]
desiredCountSchedule = [{ at = "20m", desiredCount = 3 }]"#,
        "3h",
    ));
    let v = scaled_in(&r);
    assert_eq!(v.len(), 3);
    for t in &v {
        assert_eq!(secs(t.stopping), 130.0 * 60.0);
    }
    let held = events(&r, "scale-in-protected");
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].0, 1200.0);
    assert_eq!(r.summary.services[0].running_at_end, 3);
}

#[test]
fn protection_expires_after_expires_in_minutes_and_is_renewed_by_setting_it_again_x3() {
    // ECS-MODEL X3: protected for 30 min at 10 min, renewed every 20 min
    // until 1 h (calls at 10, 30, 50 min): the last call's protection ends
    // at 80 min, when the scale-in to 2 asked at 55 min happens.
    let r = run(&balanced(
        r#"scaleInProtection = [{ at = "10m", tasks = 6, expiresInMinutes = 30, renewEvery = "20m", until = "1h" }]
desiredCountSchedule = [{ at = "55m", desiredCount = 2 }]"#,
        "3h",
    ));
    let v = scaled_in(&r);
    assert_eq!(v.len(), 4);
    for t in &v {
        assert_eq!(secs(t.stopping), 80.0 * 60.0);
    }
    assert_eq!(r.summary.services[0].tasks_protected, Some(18));
    // Without renewal it ends at 40 min: the scale-in happens when asked.
    let r = run(&balanced(
        r#"scaleInProtection = [{ at = "10m", tasks = 6, expiresInMinutes = 30 }]
desiredCountSchedule = [{ at = "55m", desiredCount = 2 }]"#,
        "3h",
    ));
    let v = scaled_in(&r);
    assert_eq!(v.len(), 4);
    for t in &v {
        assert_eq!(secs(t.stopping), 55.0 * 60.0);
    }
    // With desired 2 at 15 min, the protection expires at 40 min.
    let r = run(&balanced(
        r#"scaleInProtection = [{ at = "10m", tasks = 6, expiresInMinutes = 30 }]
desiredCountSchedule = [{ at = "15m", desiredCount = 2 }]"#,
        "3h",
    ));
    for t in scaled_in(&r) {
        assert_eq!(secs(t.stopping), 40.0 * 60.0);
    }
    // Removing protection lets the scale-in go on at once.
    let r = run(&balanced(
        r#"scaleInProtection = [{ at = "10m", tasks = 6 }, { at = "25m", tasks = 6, protectionEnabled = false }]
desiredCountSchedule = [{ at = "15m", desiredCount = 2 }]"#,
        "1h",
    ));
    for t in scaled_in(&r) {
        assert_eq!(secs(t.stopping), 25.0 * 60.0);
    }
}

#[test]
fn protection_beyond_the_desired_count_is_refused_x3() {
    // ECS-MODEL X3: AWS answers DEPLOYMENT_BLOCKED when the service has
    // more protected tasks than its desired count. Four are protected at
    // 5 min (desired 6); desired 2 at 10 min stops the two others; the
    // renewal at 20 min is refused for all four (4 > 2), so their
    // protection ends at 125 min as first set, and the scale-in finishes.
    let r = run(&balanced(
        r#"scaleInProtection = [{ at = "5m", tasks = 4 }, { at = "20m", tasks = 4 }]
desiredCountSchedule = [{ at = "10m", desiredCount = 2 }]"#,
        "3h",
    ));
    let svc = &r.summary.services[0];
    assert_eq!(svc.tasks_protected, Some(4));
    assert_eq!(svc.protection_refused, Some(4));
    let msgs = events(&r, "task-protection");
    assert_eq!(msgs.len(), 2);
    assert!(
        msgs[1].1.contains("4 refused: DEPLOYMENT_BLOCKED"),
        "{msgs:?}"
    );
    let mut stops: Vec<f64> = scaled_in(&r).iter().map(|t| secs(t.stopping)).collect();
    stops.sort_by(f64::total_cmp);
    assert_eq!(stops, [600.0, 600.0, 7500.0, 7500.0]);
    assert_eq!(svc.running_at_end, 2);
}

#[test]
fn a_deployment_does_not_stop_protected_tasks_x3() {
    // ECS-MODEL X3 (AWS: "tasks running older version will not be
    // terminated until protectionEnabled is unset or expires"), D3: two
    // tasks protected for 30 min at 5 min; deployment at 10 min: the four
    // others are replaced at once, the protected two only at 35 min.
    let r = run(&balanced(
        r#"scaleInProtection = [{ at = "5m", tasks = 2, expiresInMinutes = 30 }]
deployments = [{ at = "10m" }]"#,
        "2h",
    ));
    let protected = oldest(&r, 2);
    for t in web(&r) {
        if t.stop_reason.as_deref() != Some("DeploymentReplaced") {
            continue;
        }
        if protected.contains(&t.id.0) {
            assert_eq!(secs(t.stopping), 35.0 * 60.0, "{t:?}");
        } else {
            assert!(secs(t.stopping) < 35.0 * 60.0, "{t:?}");
        }
    }
    assert_eq!(r.summary.services[0].deployments[0].outcome, "COMPLETED");
    // A wait for protection, reported once, not a stall.
    assert!(events(&r, "deployment-stalled").is_empty());
    let waits = events(&r, "deployment-protected");
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert!(waits[0]
        .1
        .contains("waiting for 2 tasks with task scale-in protection"));
}

#[test]
fn protected_tasks_are_not_moved_by_rebalancing_x2_x3() {
    // ECS-MODEL X2, X3: the six unbalanced tasks are protected at 20 s for
    // 10 min: nothing moves until the protection expires at 620 s.
    let r = run(&seeded(
        r#"scaleInProtection = [{ at = "20s", tasks = 6, expiresInMinutes = 10 }]"#,
    ));
    let started = events(&r, "rebalancing-tasks-started");
    assert!(!started.is_empty());
    assert_eq!(started[0].0, 620.0);
    assert_eq!(by_az(&r), [2, 2, 2]);
}

#[test]
fn scale_in_protection_is_validated_x3() {
    let base = |p: &str| balanced(&format!("scaleInProtection = {p}"), "1h");
    let e = load_err(&base(r#"[{ at = "1m", tasks = 2, expiresInMinutes = 0 }]"#));
    assert!(
        e.contains("services[0].scaleInProtection[0].expiresInMinutes")
            && e.contains("from 1 to 2880"),
        "{e}"
    );
    let e = load_err(&base(
        r#"[{ at = "1m", tasks = 2, expiresInMinutes = 2881 }]"#,
    ));
    assert!(e.contains("found the integer 2881"), "{e}");
    let e = load_err(&base(r#"[{ at = "1m", tasks = "150%" }]"#));
    assert!(e.contains("scaleInProtection[0].tasks"), "{e}");
    let e = load_err(&base(r#"[{ at = "1m", tasks = 0 }]"#));
    assert!(e.contains("at least 1"), "{e}");
    let e = load_err(&base(r#"[{ at = "1m" }]"#));
    assert!(e.contains("scaleInProtection[0].tasks"), "{e}");
    let e = load_err(&base(r#"{ at = "1m", tasks = 1 }"#));
    assert!(e.contains("expected a list"), "{e}");
    let e = load_err(&base(r#"[{ at = "1m", tasks = 1, until = "2h" }]"#));
    assert!(e.contains("renewEvery"), "{e}");
    let e = load_err(&balanced(r#"availabilityZoneRebalancing = "ON""#, "1h"));
    assert!(e.contains("availabilityZoneRebalancing"), "{e}");
    // A share of the RUNNING tasks is accepted.
    let r = run(&base(
        r#"[{ at = "10m", tasks = "50%", expiresInMinutes = 2880 }]"#,
    ));
    assert_eq!(r.summary.services[0].tasks_protected, Some(3));
}

#[test]
fn import_keeps_the_described_setting_and_reads_a_missing_one_as_disabled_x2() {
    // ECS-MODEL X2: describe-services shows availabilityZoneRebalancing for
    // services that set it; AWS treats a service that never did as DISABLED.
    use ecsim::import::{import_dir, ImportOptions};
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws-cluster");
    let opts = || ImportOptions {
        duration: "1h".into(),
        start: Some("2026-03-02T00:00:00Z".into()),
    };
    let imp = import_dir(&fixtures, &opts()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        imp.scenario
            .matches("availabilityZoneRebalancing = \"ENABLED\"")
            .count(),
        3,
        "{}",
        imp.scenario
    );
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(&fixtures).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let path = dir.path().join("describe-services.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let first = text
        .find("\"availabilityZoneRebalancing\": \"ENABLED\",")
        .expect("the fixture sets it");
    let edited = format!(
        "{}{}",
        &text[..first],
        &text[first + "\"availabilityZoneRebalancing\": \"ENABLED\",".len()..]
    );
    std::fs::write(&path, edited).unwrap();
    let imp = import_dir(dir.path(), &opts()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        imp.scenario
            .matches("availabilityZoneRebalancing = \"DISABLED\"")
            .count(),
        1,
        "{}",
        imp.scenario
    );
}

#[test]
fn auto_scaling_scale_in_skips_protected_tasks_x3() {
    // ECS-MODEL X3 with A2-A3: six tasks serve a constant 100 rps that two
    // can carry, so target tracking scales in to 2 after 15 low datapoints. The
    // four oldest tasks are protected at 5 min: every task auto scaling
    // stops is one of the two others; the protected four run to the end
    // (their protection lasts the default 120 min, past the 1 h run).
    let r = run(&balanced(
        r#"demand = { type = "constant", rps = 100, taskCapacityRps = 100 }
autoScaling = { minCapacity = 1, maxCapacity = 10, targetTracking = [{ metric = "ECSServiceAverageCPUUtilization", targetValue = 70 }] }
scaleInProtection = [{ at = "5m", tasks = 4 }]"#,
        "1h",
    ));
    let victims: Vec<u32> = scaled_in(&r).iter().map(|t| t.id.0).collect();
    assert!(
        !victims.is_empty(),
        "auto scaling scaled in: {:?}",
        r.events
    );
    let protected = oldest(&r, 4);
    assert!(
        victims.iter().all(|v| !protected.contains(v)),
        "{victims:?}"
    );
    for t in web(&r) {
        if protected.contains(&t.id.0) {
            assert!(t.stopping.is_none(), "{t:?}");
        }
    }
    // At 15 min: desired 6 -> 2; the two unprotected tasks stop at once,
    // the rest of the scale-in waits for the protection, and says so.
    assert_eq!(victims.len(), 2);
    for t in scaled_in(&r) {
        assert_eq!(secs(t.stopping), 900.0);
    }
    let held = events(&r, "scale-in-protected");
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].0, 900.0);
    let svc = &r.summary.services[0];
    assert_eq!(svc.desired_at_end, 2);
    assert_eq!(svc.running_at_end, 4);
}
