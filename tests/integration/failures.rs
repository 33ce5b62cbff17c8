//! AZ outages and instance failures (`[failures]`, ECS-MODEL X1 and X4),
//! end to end on small scenarios whose timing the rules fix.

use std::path::Path;

use ecsim::engine::{InstanceRecord, RunResult, Simulation, TaskRecord};
use ecsim::scenario;

fn run_at(text: &str, path: &Path) -> RunResult {
    let sc = scenario::load_str(text, path, &[]).unwrap_or_else(|e| panic!("{e}"));
    Simulation::new(&sc.spec, sc.seed).run()
}

fn run(text: &str) -> RunResult {
    run_at(text, Path::new("tests/fixtures/inline.toml"))
}

const A: &str = "us-east-1a";
const HOUR: f64 = 3600.0;

/// Group `app` of 6 m5.large over three AZs (2 each, warm), service `web`
/// of 6 tasks spread over AZs (the default, P6) that fill an instance
/// each (1,536 of 2,048 CPU units), image pulls 20 s, then `failures`.
fn cluster(failures: &str, duration: &str) -> String {
    format!(
        r#"
name = "f"
seed = 7
duration = "{duration}"
[cluster]
warmStart = true
imagePullTime = "20s"
cachedStartTime = "20s"
availabilityZones = ["us-east-1a", "us-east-1b", "us-east-1c"]
[[instanceGroups]]
name = "app"
instanceTypes = ["m5.large"]
availabilityZones = ["us-east-1a", "us-east-1b", "us-east-1c"]
count = 6
launchLatency = "60s"
[[taskDefinitions]]
family = "web"
containerDefinitions = [{{ name = "app", image = "web:1", cpu = 1536, memory = 1024 }}]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 6
deploymentConfiguration = {{ minimumHealthyPercent = 50, maximumPercent = 200 }}
{failures}
"#
    )
}

const OUTAGE: &str = r#"
[[failures.azOutages]]
availabilityZone = "us-east-1a"
at = "1h"
duration = "2h"
"#;

fn t(x: Option<ecsim::sim::SimTime>) -> Option<f64> {
    x.map(|s| s.as_secs_f64())
}

fn web(r: &RunResult) -> Vec<&TaskRecord> {
    r.tasks.iter().filter(|t| t.owner == "web").collect()
}

/// Tasks of `web` RUNNING at `s` seconds.
fn running_at(r: &RunResult, s: f64) -> Vec<&TaskRecord> {
    web(r)
        .into_iter()
        .filter(|k| {
            t(k.running).is_some_and(|x| x <= s)
                && t(k.stopping).is_none_or(|x| x > s)
                && t(k.stopped).is_none_or(|x| x > s)
        })
        .collect()
}

fn live_at(r: &RunResult, s: f64) -> Vec<&InstanceRecord> {
    r.instances
        .iter()
        .filter(|i| i.launched.as_secs_f64() <= s && t(i.terminated).is_none_or(|x| x > s))
        .collect()
}

#[test]
fn an_az_outage_kills_exactly_that_azs_instances_and_tasks_at_its_start_x1() {
    // ECS-MODEL X1: "the AZ's instances stop with their tasks".
    let r = run(&cluster(OUTAGE, "5h"));
    let before = live_at(&r, HOUR - 1.0);
    assert_eq!(before.len(), 6);
    let in_a: Vec<&str> = (before.iter())
        .filter(|i| i.az == A)
        .map(|i| i.instance.as_str())
        .collect();
    assert_eq!(in_a.len(), 2);
    for i in &r.instances {
        let killed = t(i.terminated) == Some(HOUR);
        assert_eq!(killed, in_a.contains(&i.instance.as_str()), "{i:?}");
        if killed {
            assert_eq!(i.termination.map(|x| x.as_str()), Some("az-outage"));
        }
    }
    // Their two tasks die at 1 h without a graceful stop; no other task stops.
    let killed: Vec<&TaskRecord> = (web(&r).into_iter())
        .filter(|k| t(k.stopped) == Some(HOUR))
        .collect();
    assert_eq!(killed.len(), 2);
    for k in &killed {
        assert_eq!(k.az.as_deref(), Some(A));
        assert_eq!(k.stop_reason.as_deref(), Some("InstanceTerminated"));
        assert_eq!(t(k.stopping), Some(HOUR), "killed, not stopped gracefully");
    }
    assert_eq!(
        (web(&r).iter())
            .filter(|k| t(k.stopped).is_some_and(|x| x < 3.0 * HOUR))
            .count(),
        2,
        "only the outage's tasks stop during it"
    );
    let starts: Vec<_> = (r.events.iter())
        .filter(|e| e.event == "az-outage-start")
        .collect();
    assert_eq!(starts.len(), 1);
    assert_eq!((starts[0].time_s, starts[0].source.as_str()), (HOUR, A));
    assert!(starts[0].message.contains("2 instances and 2 tasks lost"));
    let ends: Vec<_> = (r.events.iter())
        .filter(|e| e.event == "az-outage-end")
        .collect();
    assert_eq!(ends.len(), 1);
    assert_eq!(ends[0].time_s, 3.0 * HOUR);
    assert_eq!(
        r.events
            .iter()
            .filter(|e| e.event == "instance-failed" && e.time_s == HOUR)
            .count(),
        2
    );
    let f = r.summary.failures.as_ref().expect("failures summary");
    assert_eq!(f.az_outages, 1);
    assert_eq!(f.instances_lost_to_outages, 2);
    assert_eq!(f.tasks_killed, 2);
    assert_eq!(f.az_outage_minutes, 120.0);
}

#[test]
fn no_instance_launches_in_the_az_during_the_outage_and_the_asg_replaces_in_healthy_azs_x1() {
    // ECS-MODEL X1: "launches ... there fail until it recovers; the ASG
    // launches replacements in healthy AZs (balanced best effort)".
    let r = run(&cluster(OUTAGE, "5h"));
    let during: Vec<&InstanceRecord> = (r.instances.iter())
        .filter(|i| (HOUR..3.0 * HOUR).contains(&i.launched.as_secs_f64()))
        .collect();
    assert_eq!(during.len(), 2, "the two lost instances are replaced");
    for i in &during {
        assert_ne!(i.az, A);
        assert_eq!(i.launched.as_secs_f64(), HOUR, "replaced at once");
    }
    // Balanced: one in each healthy AZ (3 and 3).
    let mut azs: Vec<&str> = during.iter().map(|i| i.az.as_str()).collect();
    azs.sort_unstable();
    assert_eq!(azs, ["us-east-1b", "us-east-1c"]);
}

#[test]
fn a_service_spread_over_azs_re_places_in_the_other_azs_x1() {
    // ECS-MODEL X1: "services re-place in the remaining AZs under their
    // strategy and D1 limits". P6 spread(AZ): the two lost tasks go to the
    // two healthy AZs' new instances; the service is back to 6 when the
    // replacements are ACTIVE (60 s) and the tasks RUNNING (20 s). (The run
    // ends during the outage.)
    let r = run(&cluster(OUTAGE, "2h"));
    let at = HOUR + 600.0;
    let running = running_at(&r, at);
    assert_eq!(running.len(), 6);
    assert!(running.iter().all(|k| k.az.as_deref() != Some(A)));
    let svc = &r.summary.services[0];
    // Below desired from 1 h to the replacements RUNNING (1 h + 80 s).
    assert_eq!(
        svc.below_desired_s.get(&ecsim::metrics::Cause::Failure),
        Some(&80.0)
    );
    let rec = svc.recovery_after_failure.as_ref().expect("recovery stats");
    assert_eq!((rec.count, rec.max_s), (1, 80.0));
    let recovered: Vec<f64> = (r.events.iter())
        .filter(|e| e.event == "recovered")
        .map(|e| e.time_s)
        .collect();
    assert_eq!(recovered, [HOUR + 80.0]);
}

#[test]
fn tasks_that_cannot_be_placed_during_an_outage_name_why_x1() {
    // ECS-MODEL X1 with P9: "events name what could not be placed". A
    // service whose tasks must run in us-east-1a has nowhere to go while
    // 1a is down: the scheduler records "unable to place a task" and
    // retries; once 1a is back the group rebalances into it (4 in 1b ->
    // 2 + 2) and the service is whole again.
    let text = r#"
name = "f"
seed = 7
duration = "3h"
[cluster]
warmStart = true
imagePullTime = "20s"
cachedStartTime = "20s"
[[instanceGroups]]
name = "app"
instanceTypes = ["m5.large"]
availabilityZones = ["us-east-1a", "us-east-1b"]
count = 4
[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "app", image = "web:1", cpu = 256, memory = 256 }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 2
placementConstraints = [{ type = "memberOf", expression = "attribute:ecs.availability-zone == us-east-1a" }]
[[failures.azOutages]]
availabilityZone = "us-east-1a"
at = "1h"
duration = "1h"
"#;
    let r = run(text);
    let unable: Vec<_> = (r.events.iter())
        .filter(|e| e.event == "unable-to-place" && e.time_s >= HOUR && e.time_s < 2.0 * HOUR)
        .collect();
    assert!(!unable.is_empty(), "{:?}", r.events);
    assert!(unable[0].message.contains("was unable to place a task"));
    // After recovery the group rebalances into 1a and the service is whole again.
    assert_eq!(r.summary.services[0].running_at_end, 2);
}

#[test]
fn after_recovery_the_asg_launches_in_the_recovered_az_before_terminating_elsewhere_x1() {
    // ECS-MODEL X1: "once the AZ recovers, rebalances by launching there
    // before terminating elsewhere". After the outage the group has 3 in
    // 1b and 3 in 1c. Rebalancing may exceed maxSize (6) by its margin,
    // max(10%, 1) = 1 instance: it launches one in 1a at 3 h; once that
    // one is ACTIVE (60 s) it drains one instance of the most populated AZ
    // and, when that one has terminated, launches the second in 1a, which
    // in turn releases one instance of the other AZ.
    let r = run(&cluster(OUTAGE, "5h"));
    let mut back: Vec<&InstanceRecord> = (r.instances.iter())
        .filter(|i| i.launched.as_secs_f64() >= 3.0 * HOUR)
        .collect();
    back.sort_by_key(|i| i.launched);
    assert_eq!(back.len(), 2, "{:?}", r.instances);
    assert!(back.iter().all(|i| i.az == A));
    assert_eq!(back[0].launched.as_secs_f64(), 3.0 * HOUR);
    let mut gone: Vec<&InstanceRecord> = (r.instances.iter())
        .filter(|i| i.termination.map(|x| x.as_str()) == Some("az-rebalance"))
        .collect();
    gone.sort_by_key(|i| i.terminated);
    assert_eq!(gone.len(), 2);
    let mut azs: Vec<&str> = gone.iter().map(|i| i.az.as_str()).collect();
    azs.sort_unstable();
    assert_eq!(azs, ["us-east-1b", "us-east-1c"]);
    for (new, old) in back.iter().zip(&gone) {
        // Launch first; drain only once the launch is ACTIVE (R5: 60 s).
        assert_eq!(t(old.draining), t(new.registered), "{new:?} {old:?}");
        assert_eq!(t(new.registered), Some(new.launched.as_secs_f64() + 60.0));
        assert!(t(old.terminated).unwrap() > t(old.draining).unwrap());
    }
    // The second launch waits for the first victim to be gone.
    assert_eq!(
        back[1].launched.as_secs_f64(),
        t(gone[0].terminated).unwrap()
    );
    // Never more than maxSize + 1 instances at once.
    for i in &r.instances {
        let at = i.launched.as_secs_f64();
        assert!(live_at(&r, at).len() <= 7, "at {at}");
    }
    // Balanced again: 2 per AZ, and the service is whole.
    let end = live_at(&r, 5.0 * HOUR - 1.0);
    for az in ["us-east-1a", "us-east-1b", "us-east-1c"] {
        assert_eq!(end.iter().filter(|i| i.az == az).count(), 2, "{az}");
    }
    assert_eq!(r.summary.services[0].running_at_end, 6);
    assert_eq!(r.summary.failures.as_ref().unwrap().rebalance_launches, 2);
}

#[test]
fn fargate_tasks_avoid_the_az_during_an_outage_x1() {
    // ECS-MODEL X1: "Fargate placements there fail until it recovers". A
    // Fargate service of 6 over 3 AZs: the 2 tasks in 1a die at 1 h, their
    // replacements and every task launched during the outage avoid 1a.
    let text = r#"
name = "fg"
seed = 5
duration = "4h"
[fargate]
startLatency = "30s"
[[taskDefinitions]]
family = "web"
networkMode = "awsvpc"
cpu = "256"
memory = "512"
containerDefinitions = [{ name = "a", image = "x:1" }]
[[services]]
serviceName = "web"
taskDefinition = "web"
launchType = "FARGATE"
desiredCount = 6
[[failures.azOutages]]
availabilityZone = "us-east-1a"
at = "1h"
duration = "2h"
"#;
    let r = run(text);
    let killed: Vec<&TaskRecord> = (web(&r).into_iter())
        .filter(|k| t(k.stopped) == Some(HOUR))
        .collect();
    assert_eq!(killed.len(), 2);
    assert!(killed.iter().all(|k| k.az.as_deref() == Some(A)));
    let during: Vec<&TaskRecord> = (web(&r).into_iter())
        .filter(|k| (HOUR..3.0 * HOUR).contains(&k.created.as_secs_f64()))
        .collect();
    assert_eq!(during.len(), 2);
    assert!(
        during.iter().all(|k| k.az.as_deref() != Some(A)),
        "{during:?}"
    );
    assert_eq!(running_at(&r, HOUR + 120.0).len(), 6);
    assert_eq!(r.summary.failures.as_ref().unwrap().tasks_killed, 2);
}

/// A group of 20 small instances and nothing else, for `hours`, with
/// `perInstanceHour` failures.
fn random_failures(rate: f64, hours: u32, seed: u64) -> String {
    format!(
        r#"
name = "rf"
seed = {seed}
duration = "{hours}h"
[cluster]
warmStart = true
sampleInterval = "1h"
[[instanceGroups]]
name = "app"
instanceTypes = ["m5.large"]
count = 20
[failures.instances]
perInstanceHour = {rate}
"#
    )
}

#[test]
fn random_instance_failures_are_deterministic_and_near_their_expected_count_x4() {
    // ECS-MODEL X4: a rate per instance-hour. 20 instances × 1,000 h ×
    // 0.005 = 100 failures expected (fewer by the ~5 min each place waits
    // for its replacement: 0.1%); Poisson sd 10, so 70..130 is 3 sd.
    let text = random_failures(0.005, 1000, 11);
    let a = run(&text);
    let b = run(&text);
    let n = a.summary.failures.as_ref().unwrap().instances_failed;
    assert!((70..=130).contains(&n), "{n} failures");
    assert_eq!(a.events, b.events, "same seed, same failures");
    assert_eq!(a.instances, b.instances);
    let c = run(&random_failures(0.005, 1000, 12));
    assert_ne!(a.events, c.events, "another seed, other failures");
    // Every failure is replaced: 20 + n instances launched.
    assert_eq!(a.summary.instances_launched, 20 + n);
}

#[test]
fn mtbf_per_type_overrides_the_rate_x4() {
    // ECS-MODEL X4: an MTBF per type. mtbf 1,000,000 h makes failures of
    // m5.large practically absent whatever perInstanceHour says.
    let text = random_failures(0.05, 200, 3).replace(
        "perInstanceHour = 0.05",
        "perInstanceHour = 0.05\nmtbf = { \"m5.large\" = \"1000000h\" }",
    );
    let r = run(&text);
    assert_eq!(r.summary.failures.as_ref().unwrap().instances_failed, 0);
    let r = run(&random_failures(0.05, 200, 3));
    assert!(r.summary.failures.as_ref().unwrap().instances_failed > 100);
}

const SCRIPTED: &str = r#"
[failures.instances]
at = [{ at = "2h", group = "app", count = 2 }]
"#;

#[test]
fn a_failed_instance_is_terminated_with_its_tasks_and_replaced_after_the_grace_period_x4() {
    // ECS-MODEL X4: "the ASG terminates the unhealthy instance, then
    // launches a replacement after the health-check grace period" (default
    // 300 s). Two of six instances fail at 2 h; replacements at 2 h + 300 s.
    let r = run(&cluster(SCRIPTED, "4h"));
    let failed: Vec<&InstanceRecord> = (r.instances.iter())
        .filter(|i| i.termination.map(|x| x.as_str()) == Some("instance-failure"))
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().all(|i| t(i.terminated) == Some(2.0 * HOUR)));
    let new: Vec<&InstanceRecord> = (r.instances.iter())
        .filter(|i| i.launched.as_secs_f64() > 0.0)
        .collect();
    assert_eq!(new.len(), 2);
    assert!(new
        .iter()
        .all(|i| i.launched.as_secs_f64() == 2.0 * HOUR + 300.0));
    let f = r.summary.failures.as_ref().unwrap();
    assert_eq!((f.instances_failed, f.tasks_killed), (2, 2));
    // A shorter grace period, given in seconds as AWS takes it.
    let r = run(&cluster(
        &format!("[failures]\nhealthCheckGracePeriod = 120\n{}", SCRIPTED),
        "4h",
    ));
    let new: Vec<f64> = (r.instances.iter())
        .map(|i| i.launched.as_secs_f64())
        .filter(|&x| x > 0.0)
        .collect();
    assert_eq!(new, [2.0 * HOUR + 120.0, 2.0 * HOUR + 120.0]);
}

#[test]
fn tasks_killed_by_an_instance_failure_are_replaced_at_once_without_throttle_x4() {
    // ECS-MODEL X4 and P9: tasks that crash after RUNNING are replaced at
    // once. Here the service has room on other instances (tasks of 256 CPU
    // units): the killed tasks' replacements are created at the failure.
    let text = cluster(SCRIPTED, "4h").replace("cpu = 1536", "cpu = 256");
    let r = run(&text);
    let killed: Vec<&TaskRecord> = (web(&r).into_iter())
        .filter(|k| k.stop_reason.as_deref() == Some("InstanceTerminated"))
        .collect();
    assert!(!killed.is_empty());
    let replacements = (web(&r).iter())
        .filter(|k| k.created.as_secs_f64() == 2.0 * HOUR)
        .count();
    assert_eq!(replacements, killed.len());
    assert_eq!(r.summary.services[0].running_at_end, 6);
}

#[test]
fn csv_replay_equals_the_same_failures_written_inline_x1_x4() {
    // ECS-MODEL X1, X4: "replayable from a CSV".
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("failures.csv"),
        "time,kind,target,count,duration\n\
         1h,az-outage,us-east-1a,,2h\n\
         2026-01-01T04:00:00Z,instance,app,2,\n",
    )
    .unwrap();
    let inline = cluster(
        &format!(
            "{OUTAGE}\n[failures.instances]\nat = [{{ at = \"4h\", group = \"app\", count = 2 }}]\n"
        ),
        "6h",
    );
    let replayed = cluster("[failures]\nfile = \"failures.csv\"\n", "6h");
    let path = dir.path().join("s.toml");
    let a = run_at(&inline, &path);
    let b = run_at(&replayed, &path);
    assert!(a.events.iter().any(|e| e.event == "az-outage-start"));
    assert_eq!(
        a.summary.failures.as_ref().unwrap().instances_failed,
        2,
        "{:?}",
        a.summary.failures
    );
    assert_eq!(a.events, b.events);
    assert_eq!(a.tasks, b.tasks);
    assert_eq!(a.instances, b.instances);
    assert_eq!(a.summary, b.summary);
}

#[test]
fn a_random_outage_draws_its_az_and_start_from_the_seed_x1() {
    // ECS-MODEL X1, drawn at random: the AZ is one of the scenario's and the
    // start within the distribution's range; the same seed draws the same.
    let f = r#"
[[failures.azOutages]]
availabilityZone = "random"
at = { distribution = "uniform", min = "1h", max = "2h" }
duration = "30m"
"#;
    let a = run(&cluster(f, "4h"));
    let b = run(&cluster(f, "4h"));
    assert_eq!(a.events, b.events);
    let start = (a.events.iter())
        .find(|e| e.event == "az-outage-start")
        .expect("an outage");
    assert!((HOUR..=2.0 * HOUR).contains(&start.time_s));
    assert!(["us-east-1a", "us-east-1b", "us-east-1c"].contains(&start.source.as_str()));
    let end = (a.events.iter())
        .find(|e| e.event == "az-outage-end")
        .unwrap();
    assert_eq!(end.time_s - start.time_s, 1800.0);
}

#[test]
fn without_failures_the_summary_has_no_failure_fields() {
    let r = run(&cluster("", "1h"));
    assert!(r.summary.failures.is_none());
    let json = serde_json::to_string(&r.summary).unwrap();
    assert!(!json.contains("\"failures\"") && !json.contains("recovery_after_failure"));
}

#[test]
fn a_group_whose_only_az_is_down_launches_nothing_until_it_recovers_x1() {
    // ECS-MODEL X1: "launches ... there fail until it recovers". A group
    // in us-east-1a only: at 1 h its 2 instances die, every launch is
    // refused (retried each minute) until 2 h, then it launches again.
    let text = r#"
name = "one-az"
seed = 2
duration = "3h"
[cluster]
warmStart = true
[[instanceGroups]]
name = "app"
instanceTypes = ["m5.large"]
availabilityZones = ["us-east-1a"]
count = 2
launchLatency = "60s"
[[failures.azOutages]]
availabilityZone = "us-east-1a"
at = "1h"
duration = "1h"
"#;
    let r = run(text);
    let launched: Vec<f64> = (r.instances.iter())
        .map(|i| i.launched.as_secs_f64())
        .collect();
    assert_eq!(launched, [0.0, 0.0, 2.0 * HOUR, 2.0 * HOUR]);
    let f = r.summary.failures.as_ref().unwrap();
    // At 1 h, then each minute until the retry at 2 h finds the AZ up
    // (the retry at 2 h runs after the outage ends).
    assert_eq!(f.launches_refused, 60);
    assert_eq!(f.instances_lost_to_outages, 2);
    assert!(r
        .events
        .iter()
        .any(|e| e.event == "launch-failed" && e.message.contains("every Availability Zone")));
}

#[test]
fn a_scripted_failure_of_an_instance_id_takes_that_instance_x4() {
    // ECS-MODEL X4, "scriptable at fixed times": the instance seed with
    // that EC2 id fails at 1 h; a later failure of it finds it gone.
    let text = cluster(
        r#"
[failures.instances]
at = [{ at = "1h", instance = "i-0a11111111111111a" }, { at = "2h", instance = "i-0a11111111111111a" }]
"#,
        "3h",
    )
    .replace(
        "launchLatency = \"60s\"",
        "launchLatency = \"60s\"\ninstances = [{}, { ec2InstanceId = \"i-0a11111111111111a\" }]",
    );
    let r = run(&text);
    let failed: Vec<&InstanceRecord> = (r.instances.iter())
        .filter(|i| i.termination.map(|x| x.as_str()) == Some("instance-failure"))
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].instance, "i-0a11111111111111a");
    assert_eq!(t(failed[0].terminated), Some(HOUR));
    assert!(r
        .events
        .iter()
        .any(|e| e.event == "instance-failure-skipped" && e.time_s == 2.0 * HOUR));
}

#[test]
fn the_same_seed_writes_byte_identical_outputs_with_failures() {
    // Determinism contract, with every random failure drawn.
    let f = r#"
[[failures.azOutages]]
availabilityZone = "random"
at = { distribution = "uniform", min = "1h", max = "3h" }
duration = { distribution = "exponential", mean = "1h" }
[failures.instances]
perInstanceHour = 0.05
at = [{ at = "2h", group = "app", count = 3 }]
"#;
    let text = cluster(f, "8h");
    let files = |dir: &Path| {
        let r = run(&text);
        ecsim::output::write_run_files(dir, &r, None).unwrap();
        let mut out = Vec::new();
        for name in [
            "summary.json",
            "events.csv",
            "tasks.csv",
            "instances.csv",
            "timeseries.csv",
        ] {
            out.push(std::fs::read(dir.join(name)).unwrap());
        }
        out
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    assert_eq!(files(a.path()), files(b.path()));
}

#[test]
fn failures_draw_from_their_own_streams_so_the_run_is_the_same_until_the_first_failure_x4() {
    // Common random numbers (determinism contract): each launch draws its
    // time to failure from `instance-failures`, not from the launch-latency
    // or placement streams, so until the first failure the run is the one
    // without failures. The group boots (random latency) and the service
    // places with random ties.
    let base = cluster("", "6h")
        .replace(
            "warmStart = true",
            "warmStart = false\ntieBreak = \"random\"",
        )
        .replace(
            "launchLatency = \"60s\"",
            "launchLatency = { distribution = \"uniform\", min = \"60s\", max = \"120s\" }",
        )
        .replace("cpu = 1536", "cpu = 256");
    let with = format!("{base}\n[failures.instances]\nperInstanceHour = 0.1\n");
    let (a, b) = (run(&base), run(&with));
    let first = (b.events.iter())
        .find(|e| e.event == "instance-failed")
        .expect("a failure within 6 h")
        .time_s;
    let before = |r: &RunResult| -> Vec<ecsim::metrics::EventRecord> {
        r.events
            .iter()
            .filter(|e| e.time_s < first)
            .cloned()
            .collect()
    };
    assert!(!before(&a).is_empty());
    assert_eq!(before(&a), before(&b));
    let placed = |r: &RunResult| -> Vec<(u32, Option<ecsim::metrics::Name>, f64)> {
        (r.tasks.iter())
            .filter(|k| k.created.as_secs_f64() < first)
            .map(|k| (k.id.0, k.instance.clone(), t(k.running).unwrap_or(-1.0)))
            .collect()
    };
    assert_eq!(placed(&a), placed(&b));
}

/// Tasks of `web` RUNNING at `s` seconds, counted per AZ (a, b, c).
fn per_az_at(r: &RunResult, s: f64) -> [usize; 3] {
    let mut n = [0; 3];
    for k in running_at(r, s) {
        match k.az.as_deref() {
            Some("us-east-1a") => n[0] += 1,
            Some("us-east-1b") => n[1] += 1,
            Some("us-east-1c") => n[2] += 1,
            other => panic!("task in {other:?}"),
        }
    }
    n
}

#[test]
fn after_an_outage_az_rebalancing_moves_tasks_back_only_when_enabled_x1_x2() {
    // ECS-MODEL X1 + X2: instances that hold two tasks each, so that the
    // ASG's own rebalancing drains the empty surplus instances and leaves
    // the re-placed tasks where they are: only service AZ rebalancing
    // brings them back to the recovered AZ.
    let scenario = |setting: &str| {
        cluster(OUTAGE, "6h")
            .replace(
                "instanceTypes = [\"m5.large\"]",
                "instanceTypes = [\"m5.xlarge\"]",
            )
            .replace(
                "deploymentConfiguration",
                &format!("availabilityZoneRebalancing = \"{setting}\"\ndeploymentConfiguration"),
            )
    };
    let on = run(&scenario("ENABLED"));
    let off = run(&scenario("DISABLED"));
    for r in [&on, &off] {
        assert_eq!(per_az_at(r, HOUR - 1.0), [2, 2, 2]);
        // During the outage the two tasks of us-east-1a run elsewhere.
        assert_eq!(per_az_at(r, 2.0 * HOUR)[0], 0);
        assert_eq!(per_az_at(r, 2.0 * HOUR).iter().sum::<usize>(), 6);
    }
    // Hours after recovery (at 3 h): back to 2 per AZ only with X2.
    assert_eq!(per_az_at(&on, 5.5 * HOUR), [2, 2, 2]);
    let stuck = per_az_at(&off, 5.5 * HOUR);
    assert_eq!(stuck[0], 0, "without X2 nothing moves back: {stuck:?}");
    let s = &on.summary.services[0];
    assert!(s.az_rebalancing_operations.is_some_and(|n| n >= 1), "{s:?}");
}

#[test]
fn a_fargate_service_returns_to_a_recovered_az_x1_x2() {
    // ECS-MODEL X1 (Fargate placements avoid the AZ during the outage) and
    // X2 (Fargate services are rebalanced when it is back).
    let text = r#"
name = "fargate-outage"
seed = 3
duration = "6h"
[cluster]
availabilityZones = ["us-east-1a", "us-east-1b", "us-east-1c"]
[[taskDefinitions]]
family = "web"
requiresCompatibilities = ["FARGATE"]
networkMode = "awsvpc"
cpu = "256"
memory = "512"
containerDefinitions = [{ name = "app", image = "web:1" }]
[[services]]
serviceName = "web"
taskDefinition = "web"
launchType = "FARGATE"
desiredCount = 6
[[failures.azOutages]]
availabilityZone = "us-east-1a"
at = "1h"
duration = "2h"
"#;
    let r = run(text);
    assert_eq!(per_az_at(&r, HOUR - 1.0), [2, 2, 2]);
    let during = per_az_at(&r, 2.0 * HOUR);
    assert_eq!(during[0], 0, "{during:?}");
    assert_eq!(during.iter().sum::<usize>(), 6);
    assert_eq!(per_az_at(&r, 5.5 * HOUR), [2, 2, 2]);
}
