//! The service scheduler's throttle, launch rate, circuit breaker timing,
//! managed draining and rolling-deployment availability (ECS-MODEL P9, D1,
//! D3, D4), end to end on small scenarios whose timing the rules fix.

use std::path::Path;

use ecsim::engine::{RunResult, Simulation, TaskRecord};
use ecsim::scenario;

use crate::common::run;

fn secs(t: Option<ecsim::sim::SimTime>) -> f64 {
    t.expect("a time").as_secs_f64()
}

/// A web service of `desired` tasks on three instances; every image pull
/// takes 20 s (cached or not), so failed starts come 20 s after launch.
/// `deployments` and `extra` (deploymentConfiguration keys) are spliced in.
fn service(desired: u32, duration: &str, extra: &str, deployments: &str) -> String {
    format!(
        r#"
name = "svc"
seed = 3
duration = "{duration}"
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
[[taskDefinitions]]
family = "web-v2"
containerDefinitions = [{{ name = "app", image = "web:2", cpu = 256, memory = 512 }}]
[[taskDefinitions]]
family = "web-v3"
containerDefinitions = [{{ name = "app", image = "web:3", cpu = 256, memory = 512 }}]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = {desired}
deploymentConfiguration = {{ minimumHealthyPercent = 100, maximumPercent = 200 {extra} }}
deployments = [{deployments}]
"#
    )
}

/// Tasks of `family` in order of creation.
fn of_family<'a>(r: &'a RunResult, family: &str) -> Vec<&'a TaskRecord> {
    let mut v: Vec<&TaskRecord> = r.tasks.iter().filter(|t| t.family == family).collect();
    v.sort_by_key(|t| (t.created, t.id));
    v
}

/// Seconds from each failed start to the next launch.
fn gaps(tasks: &[&TaskRecord]) -> Vec<f64> {
    tasks
        .windows(2)
        .map(|w| secs(Some(w[1].created)) - secs(w[0].stopped))
        .collect()
}

#[test]
fn failing_revision_is_retried_with_growing_gaps_capped_at_27_minutes_p9() {
    // ECS-MODEL P9: tasks that never reach RUNNING are relaunched after
    // growing gaps, capped at 27 min, and never given up. The sequence is
    // the documented model choice: 1, 2, 4, 8, 16, then 27 min for ever.
    // No circuit breaker: the deployment never ends.
    let r = run(&service(
        1,
        "5h",
        "",
        r#"{ at = "1h", taskDefinition = "web-v2", failsToStart = true }"#,
    ));
    let failed = of_family(&r, "web-v2");
    assert!(failed
        .iter()
        .all(|t| t.stop_reason.as_deref() == Some("TaskFailedToStart") || t.stopped.is_none()));
    let g = gaps(&failed);
    assert!(g.len() >= 8, "{g:?}");
    assert_eq!(
        g[..8],
        [60.0, 120.0, 240.0, 480.0, 960.0, 1620.0, 1620.0, 1620.0]
    );
    // One attempt at a time: desired 1, each attempt one task.
    assert_eq!(secs(Some(failed[0].created)), 3600.0);
    let web = &r.summary.services[0];
    assert_eq!(web.deployments[0].outcome, "IN_PROGRESS");
    let throttled: Vec<_> = r.events.iter().filter(|e| e.event == "throttled").collect();
    assert_eq!(throttled.len(), 1, "reported once");
    assert!(throttled[0]
        .message
        .contains("is unable to consistently start tasks successfully"));
    // The old task kept serving throughout.
    assert_eq!(web.minutes_below_desired, 0.0);
}

#[test]
fn a_new_revision_resets_the_throttle_p9() {
    // ECS-MODEL P9: a new task-definition revision returns the service to
    // normal at once. web-v2 fails from 1 h; at 1 h 30 min its throttle gap
    // is 16 min (launches at 3600, 3680, 3820, 4080, 4580, then 5560).
    // web-v3, failing too, launches at 5400 s and its first gap is 60 s again.
    let r = run(&service(
        1,
        "2h",
        "",
        r#"{ at = "1h", taskDefinition = "web-v2", failsToStart = true },
           { at = "1h30m", taskDefinition = "web-v3", failsToStart = true }"#,
    ));
    let v2: Vec<f64> = of_family(&r, "web-v2")
        .iter()
        .map(|t| secs(Some(t.created)))
        .collect();
    assert_eq!(v2, [3600.0, 3680.0, 3820.0, 4080.0, 4580.0]);
    let v3 = of_family(&r, "web-v3");
    assert_eq!(secs(Some(v3[0].created)), 5400.0);
    assert_eq!(gaps(&v3)[..3], [60.0, 120.0, 240.0]);
}

#[test]
fn small_service_reaches_its_breaker_threshold_after_minutes_d4() {
    // ECS-MODEL D4 with P9: desired 1 -> threshold clamp(ceil(0.5), 3, 200)
    // = 3 failed starts. The throttle spaces them: launches at 3600, 3680
    // (after 60 s) and 3820 (after 120 s), each failing 20 s later; the
    // third failure at 3840 s fails the deployment 4 min after it began.
    let r = run(&service(
        1,
        "3h",
        ", deploymentCircuitBreaker = { enable = true, rollback = true }",
        r#"{ at = "1h", taskDefinition = "web-v2", failsToStart = true }"#,
    ));
    let web = &r.summary.services[0];
    let d = &web.deployments[0];
    assert_eq!(
        (d.outcome.as_str(), d.failed_tasks, d.duration_s),
        ("FAILED", 3, Some(240.0))
    );
    assert_eq!(web.deployments[1].trigger, "rollback");
    assert_eq!(of_family(&r, "web-v2").len(), 3);
}

#[test]
fn a_service_launches_at_most_500_tasks_a_minute_p9() {
    // ECS-MODEL P9: 1,200 tasks wanted at time zero start 500 at 0 s, 500
    // at 60 s and the last 200 at 120 s.
    let text = service(1200, "10m", "", "").replace(
        "cpu = 256, memory = 512 }]\n[[taskDefinitions]]\nfamily = \"web-v2\"",
        "cpu = 16, memory = 32 }]\n[[taskDefinitions]]\nfamily = \"web-v2\"",
    );
    let r = run(&text);
    let mut by_time = std::collections::BTreeMap::new();
    for t in of_family(&r, "web") {
        *by_time.entry(secs(Some(t.created)) as u64).or_insert(0) += 1;
    }
    assert_eq!(
        by_time.into_iter().collect::<Vec<_>>(),
        [(0, 500), (60, 500), (120, 200)]
    );
    assert_eq!(r.summary.services[0].running_at_end, 1200);
}

#[test]
fn throttle_settings_are_checked() {
    let errs = |cluster: &str| {
        let text =
            service(1, "1h", "", "").replace("[cluster]\n", &format!("[cluster]\n{cluster}\n"));
        match scenario::load_str(&text, Path::new("bad.toml"), &[]) {
            Ok(_) => panic!("expected errors for {cluster}"),
            Err(e) => e.issues(),
        }
    };
    let e = errs("serviceLaunchesPerMinute = 0");
    assert!(
        e.iter()
            .any(|m| m.contains("cluster.serviceLaunchesPerMinute") && m.contains("at least 1")),
        "{e:?}"
    );
    let e = errs(r#"serviceThrottle = { firstDelay = "10m", maxDelay = "5m" }"#);
    assert!(
        e.iter()
            .any(|m| m.contains("cluster.serviceThrottle.maxDelay") && m.contains("firstDelay")),
        "{e:?}"
    );
    let e = errs(r#"serviceThrottle = { multiplier = 0.5 }"#);
    assert!(
        e.iter()
            .any(|m| m.contains("cluster.serviceThrottle.multiplier")),
        "{e:?}"
    );
    let e = errs(r#"serviceThrottle = { maxdelay = "5m" }"#);
    assert!(
        e.iter().any(|m| m.contains("did you mean `maxDelay`")),
        "{e:?}"
    );
}

#[test]
fn managed_draining_terminates_after_48_hours_with_standalone_tasks_d1() {
    // ECS-MODEL D1: with capacity-provider managed draining an instance stays
    // DRAINING until its tasks have stopped or 48 hours have passed, then
    // terminates; standalone tasks die with it. Two instances in one AZ, a
    // 72 h standalone task bin-packed on the first (lowest id); CPR = 1/2
    // = 50% < 100 for 15 minutes scales the group in by one, and without
    // termination protection the ASG takes the oldest, lowest id: the busy one.
    let text = r#"
name = "md"
seed = 1
duration = "4d"
[cluster]
tieBreak = "lowest-id"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.large"]
availabilityZones = ["us-east-1a"]
count = 2
minSize = 0
maxSize = 4
[[capacityProviders]]
name = "cp"
instanceGroup = "g"
managedScaling = { targetCapacity = 100 }
managedTerminationProtection = "DISABLED"
managedDraining = "ENABLED"
[[taskDefinitions]]
family = "long"
containerDefinitions = [{ name = "j", image = "j:1", cpu = 256, memory = 256 }]
[[batchJobs]]
name = "long"
taskDefinition = "long"
arrivals = { type = "every", interval = "10d" }
duration = "72h"
placementStrategy = [{ type = "binpack", field = "memory" }]
capacityProviderStrategy = [{ capacityProvider = "cp", weight = 1 }]
retryOnInterruption = false
"#;
    let r = run(text);
    let busy = &r.instances[0];
    let drained = busy.draining.expect("the busy instance was drained");
    assert_eq!(
        busy.termination,
        Some(ecsim::model::TerminationReason::ScaleIn)
    );
    assert_eq!(
        secs(busy.terminated) - drained.as_secs_f64(),
        48.0 * 3600.0,
        "terminated 48 h after DRAINING, not when its 72 h task ends"
    );
    let job = of_family(&r, "long");
    assert_eq!(job.len(), 1);
    assert_eq!(job[0].stop_reason.as_deref(), Some("InstanceTerminated"));
    assert_eq!(job[0].stopped, busy.terminated);
}

/// Like [`run`], with the scenario and `files` written to a temporary folder.
fn run_with_files(text: &str, files: &[(&str, &str)]) -> RunResult {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).expect("write fixture");
    }
    let path = dir.path().join("s.toml");
    std::fs::write(&path, text).expect("write scenario");
    let sc = scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    Simulation::new(&sc.spec, sc.seed).run()
}

/// Four web tasks bin-packed on one all-spot m6i.xlarge (us-east-1a), an
/// on-demand m6i.xlarge with room for eight more (us-east-1b); a revision
/// that fails to start is deployed at 1 h; `extra` goes in `[spot]`.
fn spot_deploy(extra: &str) -> String {
    format!(
        r#"
name = "spot-deploy"
seed = 5
duration = "3h"
[cluster]
tieBreak = "lowest-id"
imagePullTime = "10s"
cachedStartTime = "10s"
[[instanceGroups]]
name = "spot"
instanceTypes = ["m6i.xlarge"]
availabilityZones = ["us-east-1a"]
count = 1
instancesDistribution = {{ onDemandPercentageAboveBaseCapacity = 0, spotAllocationStrategy = "capacity-optimized" }}
launchLatency = "90s"
[[instanceGroups]]
name = "od"
instanceTypes = ["m6i.xlarge"]
availabilityZones = ["us-east-1b"]
count = 1
[[taskDefinitions]]
family = "web"
containerDefinitions = [{{ name = "app", image = "web:1", cpu = 256, memory = 1024 }}]
[[taskDefinitions]]
family = "web-v2"
containerDefinitions = [{{ name = "app", image = "web:2", cpu = 256, memory = 1024 }}]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 4
placementStrategy = [{{ type = "binpack", field = "memory" }}]
deploymentConfiguration = {{ minimumHealthyPercent = 100, maximumPercent = 200 }}
deployments = [{{ at = "1h", taskDefinition = "web-v2", failsToStart = true }}]
[spot]
{extra}
[[spot.pools]]
monthlyInterruptionRate = 0.0
"#
    )
}

#[test]
fn terminated_old_tasks_are_replaced_by_the_old_revision_d3() {
    // ECS-MODEL D3 (since 2025-11): during a rolling deployment a terminated
    // task of the old revision is replaced by the old revision. The new
    // revision fails to start (throttled, P9); the spot instance holding the
    // four old tasks gets its notice at 1 h 30 min and terminates 120 s
    // later, at 5520 s, killing them. The old revision starts four
    // replacements at once on the on-demand instance — a killed RUNNING
    // task is not throttled — and they run 10 s later. Before the change
    // the replacements were of the failing revision and the service had no
    // running task for the rest of the run.
    let r = run_with_files(
        &spot_deploy("interruptions = \"replay.csv\""),
        &[(
            "replay.csv",
            "time,instance_type,availability_zone,count\n1h30m,m6i.xlarge,us-east-1a,1\n",
        )],
    );
    let web = of_family(&r, "web");
    let killed: Vec<_> = web
        .iter()
        .filter(|t| t.stop_reason.as_deref() == Some("InstanceTerminated"))
        .collect();
    assert_eq!(killed.len(), 4);
    assert!(killed.iter().all(|t| secs(t.stopped) == 5520.0));
    let replacements: Vec<_> = web.iter().filter(|t| secs(Some(t.created)) > 0.0).collect();
    assert_eq!(replacements.len(), 4, "{replacements:?}");
    assert!(replacements
        .iter()
        .all(|t| secs(Some(t.created)) == 5520.0 && secs(t.running) == 5530.0));
    let svc = &r.summary.services[0];
    assert_eq!(svc.running_at_end, 4);
    assert_eq!(svc.deployments[0].outcome, "IN_PROGRESS");
    // Below desired only for the 10 s of the replacements' start.
    assert!(
        (svc.minutes_below_desired - 10.0 / 60.0).abs() < 1e-3,
        "{}",
        svc.minutes_below_desired
    );
}

#[test]
fn scale_out_during_a_deployment_applies_to_both_revisions_d3() {
    // ECS-MODEL D3 (since 2025-11): a scale-out during a rolling deployment
    // applies to both revisions in proportion. The new revision fails to
    // start; at 1 h 10 min the desired count goes 4 -> 8. The old revision
    // runs all four tasks, so it takes round(4 × 4 / 4) = 4 of the rise
    // (model choice for the proportion) and the service reaches 8 running
    // tasks; before the change only the failing revision was scaled out.
    let text = spot_deploy("").replace(
        "deployments = [",
        "desiredCountSchedule = [{ at = \"1h10m\", desiredCount = 8 }]\ndeployments = [",
    );
    let r = run(&text);
    let web = of_family(&r, "web");
    let added: Vec<_> = web.iter().filter(|t| secs(Some(t.created)) > 0.0).collect();
    assert_eq!(added.len(), 4);
    assert!(added.iter().all(|t| secs(Some(t.created)) == 4200.0));
    assert_eq!(r.summary.services[0].running_at_end, 8);
}

#[test]
fn old_revision_replacements_starting_are_progress_not_a_stall_d3() {
    // ECS-MODEL D3: desired 4, minimum 75% (3 healthy), maximum 100% (4
    // tasks). A healthy web-v2 deploys at 1 h: one old task stops (3600 ->
    // 3630), one new starts (RUNNING 3640, healthy 3680). The spot instance
    // with the three other old tasks (web-v2 is kept off it by a constraint)
    // terminates at 3650: the old revision
    // replaces them (3650, healthy 3700). At 3680 nothing may start or stop
    // (1 healthy, 4 tasks), yet the deployment is not stalled: the old
    // revision's replacements are on their way. It then completes.
    let text = spot_deploy("interruptions = \"replay.csv\"")
        .replace(
            "minimumHealthyPercent = 100, maximumPercent = 200",
            "minimumHealthyPercent = 75, maximumPercent = 100",
        )
        .replace("failsToStart = true", "failsToStart = false")
        .replace(
            "image = \"web:2\", cpu = 256, memory = 1024 }]",
            "image = \"web:2\", cpu = 256, memory = 1024 }]\nplacementConstraints = [{ type = \"memberOf\", expression = \"attribute:ecs.availability-zone == us-east-1b\" }]",
        );
    let r = run_with_files(
        &text,
        &[(
            "replay.csv",
            "time,instance_type,availability_zone,count\n3530s,m6i.xlarge,us-east-1a,1\n",
        )],
    );
    let web = of_family(&r, "web");
    let replacements: Vec<f64> = web
        .iter()
        .map(|t| secs(Some(t.created)))
        .filter(|&c| c > 0.0)
        .collect();
    assert_eq!(replacements, [3650.0, 3650.0, 3650.0]);
    assert!(
        !r.events.iter().any(|e| e.event == "deployment-stalled"),
        "{:?}",
        r.events
            .iter()
            .filter(|e| e.event.starts_with("deployment"))
            .collect::<Vec<_>>()
    );
    let svc = &r.summary.services[0];
    assert_eq!(svc.deployments[0].outcome, "COMPLETED");
    assert_eq!(
        of_family(&r, "web-v2")
            .iter()
            .filter(|t| t.stopped.is_none())
            .count(),
        4
    );
}

#[test]
fn fargate_spot_interrupted_old_tasks_are_replaced_by_the_old_revision_d3() {
    // ECS-MODEL D3 (since 2025-11): an old-revision task that Fargate Spot
    // interrupts during a rolling deployment is replaced by the old
    // revision at once, while the new revision fails to start (and is
    // throttled, P9; `failsToStart` holds on Fargate too: before, a Fargate
    // service's failing revision ran). With 0.999 of task-months
    // interrupted, 20 tasks see a few interruptions in a day.
    let text = r#"
name = "fs"
seed = 2
duration = "1d"
[fargate]
spotMonthlyInterruptionRate = 0.999
[[taskDefinitions]]
family = "web"
networkMode = "awsvpc"
requiresCompatibilities = ["FARGATE"]
cpu = "256"
memory = "512"
containerDefinitions = [{ name = "app", image = "web:1" }]
[[taskDefinitions]]
family = "web-v2"
networkMode = "awsvpc"
requiresCompatibilities = ["FARGATE"]
cpu = "256"
memory = "512"
containerDefinitions = [{ name = "app", image = "web:2" }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 20
capacityProviderStrategy = [{ capacityProvider = "FARGATE_SPOT", weight = 1 }]
deployments = [{ at = "1h", taskDefinition = "web-v2", failsToStart = true }]
"#;
    let r = run(text);
    let web = of_family(&r, "web");
    let interrupted: Vec<f64> = web
        .iter()
        .filter(|t| t.stop_reason.as_deref() == Some("TerminationNotice"))
        .map(|t| secs(t.stopping))
        .filter(|&s| s > 3600.0)
        .collect();
    assert!(interrupted.len() >= 2, "{interrupted:?}");
    for at in &interrupted {
        assert!(
            web.iter().any(|t| secs(Some(t.created)) == *at),
            "no web replacement at {at}"
        );
    }
    assert!(of_family(&r, "web-v2").iter().all(|t| t.running.is_none()));
    assert_eq!(r.summary.services[0].running_at_end, 20);
}
