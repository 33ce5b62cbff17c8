//! Health-check failures of RUNNING service tasks and how the service
//! scheduler replaces the unhealthy tasks (ECS-MODEL D3, last clause; T2
//! for when a task counts as healthy), end to end on small scenarios whose
//! timing the rules fix.

use std::path::Path;

use ecsim::engine::{RunResult, Simulation, TaskRecord};
use ecsim::scenario;

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

fn secs(t: Option<ecsim::sim::SimTime>) -> f64 {
    t.expect("a time").as_secs_f64()
}

/// A web service of 4 tasks on three instances: image pulls take 20 s, a
/// task is healthy 40 s after RUNNING (T2), stops take 30 s (T1).
/// `max` is maximumPercent; `health` the `healthCheckFailures` value.
fn service(max: u32, health: &str, duration: &str) -> String {
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
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 4
deploymentConfiguration = {{ minimumHealthyPercent = 100, maximumPercent = {max} }}
{health}
"#
    )
}

fn web(r: &RunResult) -> Vec<&TaskRecord> {
    let mut v: Vec<&TaskRecord> = r.tasks.iter().filter(|t| t.owner == "web").collect();
    v.sort_by_key(|t| (t.created, t.id));
    v
}

fn failed(r: &RunResult) -> Vec<&TaskRecord> {
    web(r)
        .into_iter()
        .filter(|t| t.stop_reason.as_deref() == Some("TaskFailedHealthChecks"))
        .collect()
}

/// RUNNING tasks at time `t` (seconds).
fn running_at(r: &RunResult, t: f64) -> usize {
    web(r)
        .iter()
        .filter(|k| {
            k.running.is_some_and(|x| x.as_secs_f64() <= t)
                && k.stopping.is_none_or(|x| x.as_secs_f64() > t)
                && k.stopped.is_none_or(|x| x.as_secs_f64() > t)
        })
        .count()
}

#[test]
fn unhealthy_task_is_replaced_before_it_stops_when_maximum_percent_allows_d3() {
    // ECS-MODEL D3: desired 4, maximumPercent 200. The oldest task fails its
    // health checks at 1 h: it stops counting as healthy at once and a
    // replacement starts in the same pass (created 3600, RUNNING 3620,
    // healthy 3660, T2). Only then does the unhealthy task stop (STOPPING
    // 3660, STOPPED 3690): four tasks run throughout.
    let r = run(&service(
        200,
        r#"healthCheckFailures = { replay = [{ at = "1h", tasks = 1 }] }"#,
        "2h",
    ));
    let tasks = web(&r);
    let bad = failed(&r);
    assert_eq!(bad.len(), 1, "{tasks:?}");
    let bad = bad[0];
    // The lowest-id healthy task is the one that fails.
    assert_eq!(bad.id, tasks.iter().map(|t| t.id).min().unwrap());
    let replacement: Vec<&&TaskRecord> = tasks
        .iter()
        .filter(|t| t.created.as_secs_f64() > 0.0)
        .collect();
    assert_eq!(replacement.len(), 1);
    let rep = replacement[0];
    assert_eq!(secs(Some(rep.created)), 3600.0);
    assert_eq!(secs(rep.running), 3620.0);
    assert_eq!(secs(bad.stopping), 3660.0);
    assert_eq!(secs(bad.stopped), 3690.0);
    // Started first: the replacement is healthy (RUNNING + 40 s) when the
    // unhealthy task begins to stop.
    assert!(secs(rep.running) + 40.0 <= secs(bad.stopping));
    for t in [3599.0, 3600.0, 3620.0, 3659.0, 3660.0, 3690.0, 7000.0] {
        assert!(
            running_at(&r, t) >= 4,
            "{} running at {t}",
            running_at(&r, t)
        );
    }
    let svc = &r.summary.services[0];
    assert_eq!(svc.tasks_unhealthy, Some(1));
    assert_eq!(svc.running_at_end, 4);
    assert_eq!(svc.minutes_below_desired, 0.0);
    let msgs: Vec<(f64, &str)> = r
        .events
        .iter()
        .filter(|e| e.event.starts_with("task-unhealthy"))
        .map(|e| (e.time_s, e.message.as_str()))
        .collect();
    let id = bad.id.0;
    assert_eq!(
        msgs,
        [
            (
                3600.0,
                format!("service web (task {id}) failed container health checks.").as_str()
            ),
            (
                3660.0,
                format!("service web has stopped 1 running tasks: (task {id}).").as_str()
            ),
        ]
    );
}

#[test]
fn unhealthy_tasks_stop_one_at_a_time_when_maximum_percent_leaves_no_room_d3() {
    // ECS-MODEL D3 (and D1's limits): desired 4, maximumPercent 100 (4
    // tasks at most), minimumHealthyPercent 100. Two tasks fail at 1 h
    // together. No replacement may start first, so they stop one at a
    // time: the first at 3600 (STOPPED 3630); its completed stop frees room
    // for a replacement (3630), and only then does the second stop (3630,
    // STOPPED 3660), whose replacement starts at 3660.
    let r = run(&service(
        100,
        r#"healthCheckFailures = { replay = [{ at = "1h", tasks = 2 }] }"#,
        "2h",
    ));
    let tasks = web(&r);
    let mut bad = failed(&r);
    bad.sort_by_key(|t| t.id);
    assert_eq!(bad.len(), 2, "{tasks:?}");
    let mut ids: Vec<_> = tasks.iter().map(|t| t.id).collect();
    ids.sort();
    assert_eq!([bad[0].id, bad[1].id], [ids[0], ids[1]]);
    assert_eq!(secs(bad[0].stopping), 3600.0);
    assert_eq!(secs(bad[0].stopped), 3630.0);
    assert_eq!(secs(bad[1].stopping), 3630.0);
    assert_eq!(secs(bad[1].stopped), 3660.0);
    let created: Vec<f64> = tasks
        .iter()
        .map(|t| t.created.as_secs_f64())
        .filter(|&c| c > 0.0)
        .collect();
    assert_eq!(created, [3630.0, 3660.0]);
    // Never more than maximumPercent allows: 4 tasks not STOPPED.
    for t in [3600.0, 3629.0, 3630.0, 3659.0, 3660.0] {
        let alive = tasks
            .iter()
            .filter(|k| {
                k.created.as_secs_f64() <= t && k.stopped.is_none_or(|x| x.as_secs_f64() > t)
            })
            .count();
        assert!(alive <= 4, "{alive} tasks at {t}");
    }
    let svc = &r.summary.services[0];
    assert_eq!(svc.tasks_unhealthy, Some(2));
    assert_eq!(svc.running_at_end, 4);
}

#[test]
fn health_check_failures_are_validated_d3() {
    // ECS-MODEL D3: the scenario parameter names the field that is wrong.
    let e = load_err(&service(
        200,
        "healthCheckFailures = { perTaskHour = -0.5 }",
        "1h",
    ));
    assert!(
        e.contains("healthCheckFailures.perTaskHour") && e.contains("from 0 to 60"),
        "{e}"
    );
    let e = load_err(&service(
        200,
        "healthCheckFailures = { perTaskHour = \"often\" }",
        "1h",
    ));
    assert!(e.contains("healthCheckFailures.perTaskHour"), "{e}");
    let e = load_err(&service(
        200,
        r#"healthCheckFailures = { replay = [{ at = "1h", tasks = 0 }] }"#,
        "1h",
    ));
    assert!(e.contains("healthCheckFailures.replay[0].tasks"), "{e}");
    let e = load_err(&service(200, "healthCheckFailures = {}", "1h"));
    assert!(
        e.contains("healthCheckFailures") && e.contains("perTaskHour"),
        "{e}"
    );
    let e = load_err(&service(
        200,
        "healthCheckFailures = { perTaskHours = 1 }",
        "1h",
    ));
    assert!(e.contains("did you mean `perTaskHour`"), "{e}");
}

#[test]
fn health_check_failures_at_a_rate_are_replaced_and_leave_other_draws_alone_d3() {
    // ECS-MODEL D3: with a Poisson rate per healthy task, failed tasks are
    // replaced and the service ends at its desired count. The failures
    // draw from their own stream: a rate of zero changes nothing at all.
    let plain = run(&service(200, "", "6h"));
    let zero = run(&service(
        200,
        "healthCheckFailures = { perTaskHour = 0 }",
        "6h",
    ));
    assert_eq!(plain.tasks, zero.tasks);
    assert_eq!(plain.events, zero.events);
    assert_eq!(plain.summary.services[0].tasks_unhealthy, None);
    assert_eq!(zero.summary.services[0].tasks_unhealthy, Some(0));

    // Without AZ rebalancing (X2), which may have a task in flight (5
    // RUNNING) at the end: replacements can leave the AZs unbalanced.
    let text = service(
        200,
        "healthCheckFailures = { perTaskHour = 1 }\navailabilityZoneRebalancing = \"DISABLED\"",
        "6h",
    );
    let a = run(&text);
    let b = run(&text);
    assert_eq!(a.tasks, b.tasks, "same seed, same run");
    let svc = &a.summary.services[0];
    let n = svc.tasks_unhealthy.expect("counted");
    // 4 tasks for about 6 h at 1 failure per task-hour: about 24.
    assert!((10..=40).contains(&n), "{n} failures");
    // Each is stopped with the health-check reason (bar the last few,
    // possibly still waiting for their replacements at the end).
    let stopped = failed(&a).len() as u64;
    assert!(stopped <= n && stopped + 4 >= n, "{stopped} of {n}");
    assert_eq!(svc.running_at_end, 4);
    // maximumPercent 200 lets every replacement start first: never fewer
    // than 4 RUNNING after the ramp-up.
    assert_eq!(svc.minutes_below_desired, 0.0);
}
