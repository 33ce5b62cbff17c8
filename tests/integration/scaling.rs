//! Demand, service auto scaling and capacity providers end to end
//! (ECS-MODEL W1, A1–A5, C1–C7).

use std::path::Path;

use ecsim::engine::RunResult;
use ecsim::metrics::LoadPoint;
use ecsim::scenario;

use crate::common::run;

#[test]
fn demand_above_capacity_is_dropped_w1_a1() {
    // W1: 300 rps on 4 tasks of 50 rps each: 200 served, 100 dropped every
    // minute; CPU reads 150% without a task-level CPU limit (A1), and the
    // metric ticks from 60 s to 3600 s: 60 minutes × 60 s × 300 requests.
    let text = r#"
name = "demand"
seed = 1
duration = "1h"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.xlarge"]
count = 2
[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "a", image = "w:1", cpu = 256, memory = 256 }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 4
demand = { type = "constant", rps = 300, taskCapacityRps = 50 }
"#;
    let r = run(text);
    let d = r.summary.services[0]
        .demand
        .as_ref()
        .expect("demand summary");
    assert_eq!(d.requests, 60.0 * 60.0 * 300.0);
    assert_eq!(d.dropped, 60.0 * 60.0 * 100.0);
    assert_eq!(d.overloaded_minutes, 60);
    assert!((d.dropped_pct - 33.3333).abs() < 1e-3);
    let last = r.timeseries.last().expect("samples");
    assert_eq!(
        last.load[0],
        LoadPoint {
            demand_rps: 300.0,
            served_rps: 200.0,
            cpu_pct: 150.0
        }
    );
}

/// A service scaled on CPU (container-level CPU, so the metric is not
/// capped) on a capacity provider: 2 tasks of 1 vCPU serving 100 rps each;
/// demand steps from 100 to 600 rps at 10 min. One m6i.xlarge (4 vCPU)
/// to start; new instances boot in 120 s; image pulls take 20 s.
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
demand = { type = "constant", rps = 100, taskCapacityRps = 100, events = [{ at = "10m", factor = 6 }] }
autoScaling = { minCapacity = 2, maxCapacity = 20, targetTracking = [{ metric = "ECSServiceAverageCPUUtilization", targetValue = 70, scaleInCooldown = "300s" }] }
"#;

#[test]
fn a_demand_step_runs_the_whole_chain_in_order_a2_c1_c3() {
    let r = run(CHAIN);
    let at = |kind: &str| {
        r.events
            .iter()
            .find(|e| e.event == kind)
            .map(|e| e.time_s)
            .unwrap_or_else(|| panic!("no {kind} event: {:#?}", r.events))
    };
    // A2: CPU = 600 / (2 × 100) = 300% over the minute from 600 s; that
    // datapoint is published at 660 s, and the third above 70 at 780 s
    // (t + 3 min). A3: desired = ceil(2 × 300 / 70) = 9.
    let scale_out = at("scale-out");
    assert_eq!(scale_out, 780.0);
    let msg = &r
        .events
        .iter()
        .find(|e| e.event == "scale-out")
        .expect("scale-out")
        .message;
    assert!(msg.contains("2 -> 9"), "{msg}");
    // Two more fit the running instance; seven wait in PROVISIONING from
    // 780 s. C2: M = 1 busy + ceil(7 / 4) = 3 with N = 1: CPR 300% in the
    // minute from 780 s, published at 840 s -> C4: one datapoint scales out;
    // C3: desired ceil(1 × 300 / 100) = 3, two launches.
    let cluster = at("cluster-scale-out");
    assert_eq!(cluster, 840.0);
    let launched: Vec<_> = r.instances.iter().skip(1).collect();
    assert_eq!(launched.len(), 2, "{launched:?}");
    assert!(launched.iter().all(|i| i.launched.as_secs_f64() == 840.0));
    // ACTIVE 120 s later; the PROVISIONING tasks are placed and RUNNING 20 s on.
    assert!(launched
        .iter()
        .all(|i| i.registered.map(|t| t.as_secs_f64()) == Some(960.0)));
    let provisioned: Vec<_> = r
        .tasks
        .iter()
        .filter(|t| {
            t.created.as_secs_f64() == 780.0 && t.pending.map(|p| p.as_secs_f64()) == Some(960.0)
        })
        .collect();
    assert!(!provisioned.is_empty());
    assert!(provisioned
        .iter()
        .all(|t| t.running.map(|x| x.as_secs_f64()) == Some(980.0)));
    // In order: alarm -> desired -> PROVISIONING -> launch -> ACTIVE -> RUNNING.
    let web = &r.summary.services[0];
    assert!(web.scale_out_reaction.count >= 1);
    // The demand rose at 600 s; the 9 tasks were RUNNING at 980 s.
    assert!(
        web.scale_out_reaction.max_s >= 380.0,
        "{:?}",
        web.scale_out_reaction
    );
    let d = web.demand.as_ref().expect("demand");
    assert!(d.overloaded_minutes >= 3);
}

#[test]
fn a_demand_drop_scales_in_fifteen_minutes_later_a2() {
    // A2: demand 600 rps from 10 min to 30 min, 100 rps after. The service
    // scales out to 9 tasks at 13 min (600 / 900 = 66.7%: neither alarm);
    // from 30 min CPU reads 100 / 900 = 11% < 63%. The datapoints of the
    // minutes from 30 min are published at 31, 32, ... min: the 15th, at
    // 45 min (t + 15 min), scales in.
    let text = CHAIN
        .replace(
            "events = [{ at = \"10m\", factor = 6 }]",
            "events = [{ at = \"10m\", factor = 6, duration = \"20m\" }]",
        )
        .replace("instanceWarmupPeriod = 300", "instanceWarmupPeriod = 60");
    let r = run(&text);
    let times = |kind: &str| -> Vec<f64> {
        r.events
            .iter()
            .filter(|e| e.event == kind)
            .map(|e| e.time_s)
            .collect()
    };
    assert_eq!(times("scale-out"), [780.0]);
    let scale_in = times("scale-in");
    assert_eq!(scale_in.first(), Some(&2700.0), "{:#?}", r.events);
}

#[test]
fn one_provisioning_datapoint_scales_the_provider_out_a_minute_later_c4() {
    // C4, A2: the desired count rises from 2 to 12 at 10 min (4 fit the one
    // m6i.xlarge; 8 wait in PROVISIONING from 600 s). The CPR of the minute
    // from 600 s is published at 660 s, and one datapoint above target
    // scales out then (not at 600 s).
    let text = CHAIN
        .replace(
            "demand = { type = \"constant\", rps = 100, taskCapacityRps = 100, events = [{ at = \"10m\", factor = 6 }] }\n",
            "desiredCountSchedule = [{ at = \"10m\", desiredCount = 12 }]\n",
        )
        .replace(
            "autoScaling = { minCapacity = 2, maxCapacity = 20, targetTracking = [{ metric = \"ECSServiceAverageCPUUtilization\", targetValue = 70, scaleInCooldown = \"300s\" }] }\n",
            "",
        );
    let r = run(&text);
    let first = r
        .events
        .iter()
        .find(|e| e.event == "cluster-scale-out")
        .unwrap_or_else(|| panic!("{:#?}", r.events));
    assert_eq!(first.time_s, 660.0);
    // M = 1 + ceil(8 / 4) = 3 on N = 1: desired 3.
    assert!(first.message.contains("1 -> 3"), "{}", first.message);
}

#[test]
fn termination_protection_never_terminates_a_busy_instance_c5() {
    // After the spike (10 min to 30 min), demand falls back: the service
    // scales in (15 datapoints below 63%), the provider scales in after 15
    // datapoints below target, at most half the group a minute (C4), and
    // only instances without non-daemon tasks go (C5): no task is killed.
    let text = CHAIN
        .replace(
            "events = [{ at = \"10m\", factor = 6 }]",
            "events = [{ at = \"10m\", factor = 6, duration = \"20m\" }]",
        )
        .replace("duration = \"1h\"", "duration = \"3h\"");
    let r = run(&text);
    let scaled_in: Vec<_> = r
        .instances
        .iter()
        .filter(|i| i.termination == Some(ecsim::model::TerminationReason::ScaleIn))
        .collect();
    assert!(!scaled_in.is_empty(), "{:#?}", r.events);
    assert_eq!(r.summary.tasks_killed, 0);
    for inst in scaled_in {
        let end = inst.terminated.expect("terminated");
        for t in r
            .tasks
            .iter()
            .filter(|t| t.instance.as_deref() == Some(inst.instance.as_str()))
        {
            assert!(
                t.stopped.is_some_and(|s| s <= end),
                "{t:?} outlived {end:?}"
            );
        }
    }
}

#[test]
fn base_and_weight_split_asg_providers_c6() {
    // C6 on two ASG providers: base 2 weight 1 + weight 3 -> 10 tasks = 4 + 6.
    let text = r#"
name = "split"
seed = 1
duration = "30m"
[[instanceGroups]]
name = "od"
instanceTypes = ["m6i.2xlarge"]
count = 2
[[instanceGroups]]
name = "spot"
instanceTypes = ["m6i.2xlarge"]
count = 2
instancesDistribution = { onDemandPercentageAboveBaseCapacity = 0 }
[[capacityProviders]]
name = "cp-od"
instanceGroup = "od"
[[capacityProviders]]
name = "cp-spot"
instanceGroup = "spot"
[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "a", image = "w:1", cpu = 256, memory = 512 }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 10
capacityProviderStrategy = [{ capacityProvider = "cp-od", base = 2, weight = 1 }, { capacityProvider = "cp-spot", weight = 3 }]
"#;
    let r = run(text);
    let od: Vec<&str> = r
        .instances
        .iter()
        .filter(|i| i.group == "od")
        .map(|i| i.instance.as_str())
        .collect();
    let on_od = r
        .tasks
        .iter()
        .filter(|t| t.instance.as_deref().is_some_and(|i| od.contains(&i)))
        .count();
    assert_eq!((on_od, r.tasks.len() - on_od), (4, 6));
}

#[test]
fn a_plain_asg_tracks_its_cpu_reservation_c7() {
    // C7: no capacity provider; the group tracks its CPU reservation at 60%.
    // 2 × m6i.large (2 vCPU each) hold 4 tasks of 0.5 vCPU = 50%; at 10 min
    // the desired count jumps to 12 tasks: reservation 100% for 3
    // datapoints -> the group scales out in proportion (ceil(2 × 100/60) = 4).
    // A2: the datapoints of the minutes from 600, 660 and 720 s are
    // published at 660, 720 and 780 s: the alarm acts at t + 3 min.
    let text = r#"
name = "asg"
seed = 1
duration = "1h"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.large"]
count = 2
minSize = 1
maxSize = 10
launchLatency = "60s"
targetTracking = { targetCpuReservation = 60, warmup = "120s" }
[[taskDefinitions]]
family = "w"
containerDefinitions = [{ name = "a", image = "w:1", cpu = 512, memory = 512 }]
[[services]]
serviceName = "w"
taskDefinition = "w"
desiredCount = 4
desiredCountSchedule = [{ at = "10m", desiredCount = 12 }]
"#;
    let r = run(text);
    let first = r
        .events
        .iter()
        .find(|e| e.event == "asg-scale-out")
        .unwrap_or_else(|| panic!("{:#?}", r.events));
    assert_eq!(
        first.time_s, 780.0,
        "third datapoint at 100% (published at 660, 720, 780 s)"
    );
    assert!(first.message.contains("2 -> 4"), "{}", first.message);
    assert!(r.summary.services[0].running_at_end >= 8);
}

#[test]
fn a_scheduled_action_raises_the_minimum_a5() {
    // A5: cron(0 6 * * ? *) sets minCapacity 10 at 06:00 UTC; the desired
    // count is raised to it at once (scheduled actions ignore cooldowns).
    let text = r#"
name = "sched"
seed = 1
duration = "8h"
startTime = "2026-11-27T00:00:00Z"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.2xlarge"]
count = 3
[[taskDefinitions]]
family = "w"
containerDefinitions = [{ name = "a", image = "w:1", cpu = 256, memory = 256 }]
[[services]]
serviceName = "w"
taskDefinition = "w"
desiredCount = 2
demand = { type = "constant", rps = 10, taskCapacityRps = 100 }
autoScaling = { minCapacity = 2, maxCapacity = 20, targetTracking = [{ metric = "ECSServiceAverageCPUUtilization", targetValue = 70, disableScaleIn = true }], scheduled = [{ schedule = "cron(0 6 * * ? *)", minCapacity = 10 }] }
"#;
    let r = run(text);
    let e = r
        .events
        .iter()
        .find(|e| e.event == "scale-out")
        .unwrap_or_else(|| panic!("{:#?}", r.events));
    assert_eq!(e.time_s, 6.0 * 3600.0);
    assert!(e.message.contains("2 -> 10"), "{}", e.message);
    assert_eq!(r.summary.services[0].desired_at_end, 10);
    // A scheduled action with a malformed cron names the column.
    let bad = text.replace("cron(0 6 * * ? *)", "cron(0 6 * * * *)");
    let e = match scenario::load_str(&bad, Path::new("bad.toml"), &[]) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.issues(),
    };
    assert!(
        e.iter()
            .any(|m| m.contains("autoScaling.scheduled[0].schedule") && m.contains("column")),
        "{e:?}"
    );
}

#[test]
fn start_time_as_a_toml_datetime_or_with_any_offset_a5() {
    // ECS-MODEL A5: the cron fires at 06:00 UTC whichever way the start is
    // written: a TOML datetime (offset, local, fraction) or an RFC 3339
    // string as the AWS CLI prints it. Each start is 00:00 UTC.
    let base = r#"
name = "sched"
seed = 1
duration = "8h"
startTime = START
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.2xlarge"]
count = 3
[[taskDefinitions]]
family = "w"
containerDefinitions = [{ name = "a", image = "w:1", cpu = 256, memory = 256 }]
[[services]]
serviceName = "w"
taskDefinition = "w"
desiredCount = 2
demand = { type = "constant", rps = 10, taskCapacityRps = 100 }
autoScaling = { minCapacity = 2, maxCapacity = 20, scheduled = [{ schedule = "cron(0 6 * * ? *)", minCapacity = 10 }] }
"#;
    for start in [
        "2026-11-27T00:00:00Z",
        "2026-11-27T01:00:00+01:00",
        "2026-11-27T00:00:00.000",
        "2026-11-27",
        "\"2026-11-27T00:00:00+00:00\"",
        "\"2026-11-26T19:00:00.000-05:00\"",
    ] {
        let r = run(&base.replace("START", start));
        let e = r
            .events
            .iter()
            .find(|e| e.event == "scale-out")
            .unwrap_or_else(|| panic!("{start}: {:#?}", r.events));
        assert_eq!(e.time_s, 6.0 * 3600.0, "{start}");
    }
    // A time of day alone is no start; a malformed string names the field.
    for bad in ["06:00:00", "\"2026-11-27T25:00:00Z\"", "\"27/11/2026\""] {
        let text = base.replace("START", bad);
        let e = match scenario::load_str(&text, Path::new("bad.toml"), &[]) {
            Ok(_) => panic!("{bad}: expected an error"),
            Err(e) => e.issues(),
        };
        assert!(
            e.iter()
                .any(|m| m.contains("startTime") && m.contains("2026-03-02T00:00:00Z")),
            "{bad}: {e:?}"
        );
    }
}

#[test]
fn compare_reports_cost_per_million_requests_w1_b4() {
    // 2 × m6i.xlarge ($0.192/h) for 1 h = $0.384; 4 tasks serve 200 of the
    // 300 req/s every minute from 60 s to 3600 s: 60 × 60 × 200 = 720,000
    // requests served -> $0.384 / 0.72 M = $0.5333 per million.
    let text = r#"
name = "permillion"
seed = 1
duration = "1h"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.xlarge"]
count = 2
[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "a", image = "w:1", cpu = 256, memory = 256 }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 4
demand = { type = "constant", rps = 300, taskCapacityRps = 50 }
"#;
    let r = run(text);
    let row = ecsim::compare::row("ec2", &r);
    assert_eq!(row.overloaded_minutes, 60);
    let per = row.usd_per_million_requests.expect("demand");
    assert!((per - 0.384 / 0.72).abs() < 1e-3, "{per}");
}

/// C4 calibration (AWS blog "Faster scaling-in for Amazon ECS Cluster Auto
/// Scaling", 2022): a service of 1,000 tasks on 334 c5.xlarge (3 tasks of
/// 1.25 vCPU each per instance) in a capacity provider with managed scaling
/// and termination protection, reduced to 100 tasks (34 instances). Returns
/// the minutes from the first cluster scale-in to the last scale-in
/// termination, and the number of scale-in steps.
fn calibration_scale_in(step_percent: u32) -> (f64, usize) {
    let text = format!(
        r#"
name = "c4-calibration"
seed = 1
duration = "4h"
[cluster]
tieBreak = "lowest-id"
imagePullTime = "10s"
cachedStartTime = "10s"
[[instanceGroups]]
name = "cas"
instanceTypes = ["c5.xlarge"]
availabilityZones = ["us-east-1a", "us-east-1b"]
count = 334
minSize = 0
maxSize = 400
launchLatency = "60s"
[[capacityProviders]]
name = "cas"
instanceGroup = "cas"
managedScaling = {{ targetCapacity = 100 }}
managedTerminationProtection = "ENABLED"
scaleInStepPercent = {step_percent}
[[taskDefinitions]]
family = "work"
containerDefinitions = [{{ name = "a", image = "w:1", cpu = 1280, memory = 2048 }}]
[[services]]
serviceName = "work"
taskDefinition = "work"
desiredCount = 1000
capacityProviderStrategy = [{{ capacityProvider = "cas", weight = 1 }}]
placementStrategy = [{{ type = "binpack", field = "cpu" }}]
desiredCountSchedule = [{{ at = "40m10s", desiredCount = 100 }}]
"#
    );
    let r = run(&text);
    let steps: Vec<f64> = r
        .events
        .iter()
        .filter(|e| e.event == "cluster-scale-in")
        .map(|e| e.time_s)
        .collect();
    assert!(!steps.is_empty(), "no scale-in: {:#?}", r.events);
    // The tasks stop by 40:40; the minute from 41:00 is the first below
    // target (published at 42:00), the 15th is published at 56:00 (A2, C4).
    assert_eq!(steps[0], 3360.0);
    let removed: Vec<f64> = r
        .instances
        .iter()
        .filter(|i| i.termination == Some(ecsim::model::TerminationReason::ScaleIn))
        .filter_map(|i| i.terminated.map(|t| t.as_secs_f64()))
        .collect();
    // 334 → 34: 300 removed, no task killed, no scale-out on the way down.
    assert_eq!(removed.len(), 300, "{:#?}", r.events);
    assert_eq!(r.summary.tasks_killed, 0);
    assert_eq!(
        r.events
            .iter()
            .filter(|e| e.event == "cluster-scale-out" && e.time_s > 2400.0)
            .count(),
        0
    );
    let last = removed.iter().copied().fold(0.0, f64::max);
    ((last - steps[0]) / 60.0, steps.len())
}

#[test]
fn managed_scale_in_reproduces_the_aws_calibration_c4() {
    // C4: AWS measured about 10 minutes with 50% steps and about 80 minutes
    // with the pre-2022 5% steps; one set of latency parameters (the
    // defaults: 25 s from release to termination, 50 releases a minute, a
    // fresh datapoint per step) must land within ±25% of both.
    let (fifty, fifty_steps) = calibration_scale_in(50);
    // 334 → 167 → 84 → 42 → 34.
    assert_eq!(fifty_steps, 4);
    assert!((7.5..=12.5).contains(&fifty), "50% steps: {fifty:.1} min");
    let (five, five_steps) = calibration_scale_in(5);
    assert!(five_steps > 40, "{five_steps}");
    assert!((60.0..=100.0).contains(&five), "5% steps: {five:.1} min");
    // Measured (printed with --nocapture): 10.56 min and 72.42 min (51 steps).
    eprintln!("C4 calibration: 50% steps {fifty:.2} min ({fifty_steps} steps), 5% steps {five:.2} min ({five_steps} steps)");
}

#[test]
fn without_termination_protection_the_asg_picks_busy_victims_c5() {
    // C5: no managed termination protection. 4 m6i.large over 2 AZs; the
    // service's 2 tasks binpack onto instance 0 (M = 1, N = 4: CPR 25%).
    // After 15 datapoints the provider asks for ceil(4 × 25 / 100) = 1, a
    // first step of 50%: 4 → 2. The ASG's default policy picks: AZ with
    // most instances (2–2: the first), every instance launched together (same
    // billing position, same template) → lowest id: instance 0, the busy
    // one, then the other AZ's lowest id. The second step (2 → 1) takes the
    // first AZ's remaining instance, where the replacements went: busy again.
    let base = r#"
name = "c5"
seed = 1
duration = "2h"
[cluster]
tieBreak = "lowest-id"
imagePullTime = "10s"
cachedStartTime = "10s"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.large"]
availabilityZones = ["us-east-1a", "us-east-1b"]
count = 4
minSize = 1
maxSize = 10
launchLatency = "60s"
[[capacityProviders]]
name = "cp"
instanceGroup = "g"
managedScaling = { targetCapacity = 100, instanceWarmupPeriod = 60 }
managedTerminationProtection = "DISABLED"
managedDraining = "ENABLED"
[[taskDefinitions]]
family = "w"
containerDefinitions = [{ name = "a", image = "w:1", cpu = 256, memory = 256 }]
[[services]]
serviceName = "w"
taskDefinition = "w"
desiredCount = 2
capacityProviderStrategy = [{ capacityProvider = "cp", weight = 1 }]
placementStrategy = [{ type = "binpack", field = "memory" }]
deploymentConfiguration = { minimumHealthyPercent = 50, maximumPercent = 200 }
"#;
    let victims = |r: &RunResult| -> Vec<String> {
        r.instances
            .iter()
            .filter(|i| i.termination == Some(ecsim::model::TerminationReason::ScaleIn))
            .map(|i| i.instance.clone())
            .collect()
    };
    let first = |r: &RunResult| r.instances[0].instance.clone();
    // With managed draining (the default) the busy victim is drained first
    // (D1): its tasks are replaced and stop gracefully, none is killed.
    let r = run(base);
    let v = victims(&r);
    assert!(v.contains(&first(&r)), "{v:?} {:#?}", r.events);
    assert_eq!(r.summary.tasks_killed, 0);
    assert_eq!(r.summary.services[0].tasks_stopped_gracefully, 4);
    assert!(r.instances[0].draining.is_some());
    // Without it the ASG terminates the victim with its tasks on it: the two
    // tasks of instance 0 die when it terminates, 25 s after the step (C4
    // latency). (ECS is not told of the termination, so a replacement may
    // still land on a victim that has not terminated yet and die with it.)
    let r = run(&base.replace(
        "managedDraining = \"ENABLED\"",
        "managedDraining = \"DISABLED\"",
    ));
    assert!(victims(&r).contains(&first(&r)));
    let on_first: Vec<_> = r
        .tasks
        .iter()
        .filter(|t| t.instance.as_deref() == Some(first(&r).as_str()))
        .collect();
    assert_eq!(on_first.len(), 2);
    assert!(on_first.iter().all(|t| {
        t.stop_reason.as_deref() == Some("InstanceTerminated")
            && t.stopped.map(|x| x.as_secs_f64()) == Some(925.0)
    }));
    assert!(r.summary.tasks_killed >= 2);
    assert_eq!(r.summary.services[0].tasks_stopped_gracefully, 0);
    assert_eq!(r.instances[0].draining, None);
}

#[test]
fn scale_in_pacing_parameters_are_checked_c4() {
    // C4: the step limit is 1-100 percent and the release rate at least 1.
    let base = r#"
name = "p"
seed = 1
duration = "10m"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.large"]
count = 1
[[capacityProviders]]
name = "cp"
instanceGroup = "g"
managedScaling = { targetCapacity = 100 }
"#;
    let load = |extra: &str| {
        scenario::load_str(&format!("{base}{extra}\n"), Path::new("p.toml"), &[])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let e = load("scaleInStepPercent = 0");
    assert!(e.contains("capacityProviders[0].scaleInStepPercent"), "{e}");
    let e = load("scaleInStepPercent = 101");
    assert!(e.contains("scaleInStepPercent"), "{e}");
    let e = load("scaleInTerminationsPerMinute = 0");
    assert!(e.contains("scaleInTerminationsPerMinute"), "{e}");
    let e = load("scaleInTerminationLatency = \"soon\"");
    assert!(e.contains("scaleInTerminationLatency"), "{e}");
    assert_eq!(
        load("scaleInStepPercent = 5\nscaleInTerminationLatency = \"40s\""),
        ""
    );
}
