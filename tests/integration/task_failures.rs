//! Task-level failures of services and job streams: crashes after RUNNING,
//! failures to start and image pull retries (ECS-MODEL X4, with P9's
//! throttle and D4's circuit breaker), end to end on small scenarios whose
//! timing the rules fix.

use ecsim::engine::{RunResult, TaskRecord};

use crate::common::{errors, load, run};

fn secs(t: Option<ecsim::sim::SimTime>) -> f64 {
    t.expect("a time").as_secs_f64()
}

/// A web service of `desired` tasks on three warm instances: image pulls
/// take 20 s (cached starts 5 s), a task is healthy 40 s after RUNNING
/// (T2), stops take 30 s. `config` goes into deploymentConfiguration;
/// `body` is spliced into the service.
fn service(desired: u32, duration: &str, config: &str, body: &str) -> String {
    format!(
        r#"
name = "svc"
seed = 3
duration = "{duration}"
[cluster]
imagePullTime = "20s"
cachedStartTime = "5s"
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
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = {desired}
deploymentConfiguration = {{ minimumHealthyPercent = 100, maximumPercent = 200 {config} }}
{body}
"#
    )
}

/// A job stream `etl` (one task every `every`, running `work`) on three
/// instances; `body` is spliced into the stream.
fn jobs(every: &str, work: &str, duration: &str, body: &str) -> String {
    format!(
        r#"
name = "jobs"
seed = 5
duration = "{duration}"
[cluster]
imagePullTime = "20s"
cachedStartTime = "5s"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.2xlarge"]
count = 3
[[taskDefinitions]]
family = "etl"
containerDefinitions = [{{ name = "app", image = "etl:1", cpu = 256, memory = 512 }}]
[[batchJobs]]
name = "etl"
taskDefinition = "etl"
arrivals = {{ type = "every", interval = "{every}" }}
duration = "{work}"
{body}
"#
    )
}

fn of_family<'a>(r: &'a RunResult, family: &str) -> Vec<&'a TaskRecord> {
    let mut v: Vec<&TaskRecord> = r.tasks.iter().filter(|t| t.family == family).collect();
    v.sort_by_key(|t| (t.created, t.id));
    v
}

fn with_reason<'a>(r: &'a RunResult, reason: &str) -> Vec<&'a TaskRecord> {
    let mut v: Vec<&TaskRecord> = r
        .tasks
        .iter()
        .filter(|t| t.stop_reason.as_deref() == Some(reason))
        .collect();
    v.sort_by_key(|t| (t.stopped, t.id));
    v
}

/// Seconds from each failed task's stop to the next task's creation.
fn gaps(tasks: &[&TaskRecord]) -> Vec<f64> {
    tasks
        .windows(2)
        .map(|w| secs(Some(w[1].created)) - secs(w[0].stopped))
        .collect()
}

#[test]
fn a_crashed_service_task_is_replaced_at_once_without_a_throttle_gap_x4_p9() {
    // ECS-MODEL X4, P9: tasks that crash after RUNNING are replaced at once
    // and are not throttled. Four crashes in a row (at 1 h, 1 h 10 min,
    // 1 h 20 min, 1 h 30 min): each replacement is created at the very
    // crash time; a throttle would have put 1, 2, 4 then 8 min between them.
    let r = run(&service(
        2,
        "2h",
        "",
        r#"taskCrashes = { replay = [{ at = "1h", tasks = 1 }, { at = "1h10m", tasks = 1 },
                                   { at = "1h20m", tasks = 1 }, { at = "1h30m", tasks = 1 }] }"#,
    ));
    let crashed = with_reason(&r, "EssentialContainerCrashed");
    let times: Vec<f64> = crashed.iter().map(|t| secs(t.stopped)).collect();
    assert_eq!(times, [3600.0, 4200.0, 4800.0, 5400.0]);
    // STOPPED at once: no stop timeout for an exited container.
    assert!(crashed.iter().all(|t| t.stopping == t.stopped));
    let web = of_family(&r, "web");
    let replacements: Vec<f64> = web
        .iter()
        .map(|t| secs(Some(t.created)))
        .filter(|&c| c > 0.0)
        .collect();
    assert_eq!(replacements, times, "each replacement created at its crash");
    // The image is cached on the instance: RUNNING 5 s later.
    for t in web.iter().filter(|t| t.created.as_secs_f64() > 0.0) {
        assert_eq!(secs(t.running) - secs(Some(t.created)), 5.0);
    }
    assert!(r.events.iter().all(|e| e.event != "throttled"));
    let msgs: Vec<&str> = r
        .events
        .iter()
        .filter(|e| e.event == "task-crashed")
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(msgs.len(), 4);
    assert!(msgs
        .iter()
        .all(|m| m.starts_with("web: task ") && m.ends_with("Essential container in task exited")));
    let svc = &r.summary.services[0];
    assert_eq!(svc.task_failures.tasks_crashed, Some(4));
    assert_eq!(svc.task_failures.tasks_failed_to_start, None);
    assert_eq!(svc.running_at_end, 2);
}

#[test]
fn crashes_do_not_count_toward_the_circuit_breaker_d4() {
    // ECS-MODEL D4: the breaker counts tasks that fail to reach RUNNING.
    // Desired 4 (threshold 3); web-v2 deploys at 1 h and its tasks are
    // healthy only after 10 min, so at 1 h 5 min the 4 old and 4 new tasks
    // all run: all 8 crash. The deployment counts no failure and completes.
    let r = run(&service(
        4,
        "3h",
        ", deploymentCircuitBreaker = { enable = true, rollback = true }",
        r#"healthyAfter = "10m"
deployments = [{ at = "1h", taskDefinition = "web-v2" }]
taskCrashes = { replay = [{ at = "1h5m", tasks = 8 }] }"#,
    ));
    let web = &r.summary.services[0];
    assert_eq!(web.task_failures.tasks_crashed, Some(8));
    let crashed = with_reason(&r, "EssentialContainerCrashed");
    assert_eq!(crashed.len(), 8);
    assert_eq!(
        crashed.iter().filter(|t| t.family == "web-v2").count(),
        4,
        "crashes of the deploying revision"
    );
    let d = &web.deployments[0];
    assert_eq!((d.outcome.as_str(), d.failed_tasks), ("COMPLETED", 0));
    assert_eq!(web.deployments.len(), 1, "no rollback");
    assert!(r.events.iter().all(|e| e.event != "deployment-failed"));
    assert!(r.events.iter().all(|e| e.event != "throttled"));
    assert_eq!(web.running_at_end, 4);
}

#[test]
fn start_failures_are_throttled_with_growing_gaps_p9() {
    // ECS-MODEL P9: every task fails before RUNNING (probability 1): the
    // relaunches wait 1, 2, 4, 8, 16, then 27 min (the model's sequence
    // capped at 27 min), never given up.
    let r = run(&service(
        1,
        "4h",
        "",
        "startFailures = { probability = 1.0 }",
    ));
    let failed = with_reason(&r, "TaskFailedToStart");
    assert!(failed.len() >= 8, "{}", failed.len());
    // PENDING for one image pull, then STOPPED.
    for t in &failed {
        assert!(t.running.is_none());
    }
    let g = gaps(&failed);
    assert_eq!(
        g[..7],
        [60.0, 120.0, 240.0, 480.0, 960.0, 1620.0, 1620.0],
        "{g:?}"
    );
    let throttled: Vec<_> = r.events.iter().filter(|e| e.event == "throttled").collect();
    assert_eq!(throttled.len(), 1);
    let events: Vec<_> = r
        .events
        .iter()
        .filter(|e| e.event == "task-failed-to-start")
        .collect();
    assert_eq!(events.len(), failed.len());
    assert!(events[0]
        .message
        .ends_with("stopped before RUNNING: Essential container in task exited"));
    let svc = &r.summary.services[0];
    assert_eq!(
        svc.task_failures.tasks_failed_to_start,
        Some(failed.len() as u64)
    );
    assert_eq!(svc.running_at_end, 0);
}

#[test]
fn replayed_start_failures_trip_the_circuit_breaker_at_its_threshold_d4() {
    // ECS-MODEL D4 with P9: desired 1, threshold clamp(ceil(0.5), 3, 200) =
    // 3. From 1 h the next 3 tasks placed fail to start; web-v2 deploys at
    // 1 h: launches at 3600, 3680 (60 s after the first failure at 3620)
    // and 3820 (120 s after 3700); the third failure at 3840 fails the
    // deployment 240 s after it began, and the service rolls back. (Every
    // start takes 20 s here, cached or not.)
    let service = |d, dur, c, b| service(d, dur, c, b).replace("\"5s\"", "\"20s\"");
    let r = run(&service(
        1,
        "3h",
        ", deploymentCircuitBreaker = { enable = true, rollback = true }",
        r#"deployments = [{ at = "1h", taskDefinition = "web-v2" }]
startFailures = { replay = [{ at = "1h", tasks = 3 }] }"#,
    ));
    let v2: Vec<f64> = of_family(&r, "web-v2")
        .iter()
        .map(|t| secs(Some(t.created)))
        .collect();
    assert_eq!(v2, [3600.0, 3680.0, 3820.0]);
    let web = &r.summary.services[0];
    let d = &web.deployments[0];
    assert_eq!(
        (d.outcome.as_str(), d.failed_tasks, d.duration_s),
        ("FAILED", 3, Some(240.0))
    );
    assert_eq!(web.deployments[1].trigger, "rollback");
    assert_eq!(web.task_failures.tasks_failed_to_start, Some(3));
    // Below the threshold the same deployment completes.
    let ok = run(&service(
        1,
        "3h",
        ", deploymentCircuitBreaker = { enable = true, rollback = true }",
        r#"deployments = [{ at = "1h", taskDefinition = "web-v2" }]
startFailures = { replay = [{ at = "1h", tasks = 2 }] }"#,
    ));
    let d = &ok.summary.services[0].deployments[0];
    assert_eq!((d.outcome.as_str(), d.failed_tasks), ("COMPLETED", 2));
}

#[test]
fn five_failed_pulls_make_a_start_failure_that_is_throttled_x4_p9() {
    // ECS-MODEL X4: every pull attempt fails: 5 attempts of 20 s with
    // back-offs of 1.1, 2.2, 4.4 and 5 s between them, so each task stops
    // 112.7 s after it was placed, before RUNNING, with
    // CannotPullContainerError; P9 throttles the relaunches. The image
    // never reaches the instance, so every relaunch pulls (and fails) again.
    let r = run(&service(
        1,
        "1h",
        "",
        "imagePullFailures = { probability = 1.0 }",
    ));
    let failed = with_reason(&r, "CannotPullContainerError");
    assert!(failed.len() >= 4, "{}", failed.len());
    for t in &failed {
        assert!(t.running.is_none());
        let pending = secs(t.stopped) - secs(t.pending);
        assert!((pending - 112.7).abs() < 1e-9, "{pending}");
    }
    let g: Vec<f64> = gaps(&failed)[..3].iter().map(|x| x.round()).collect();
    assert_eq!(g, [60.0, 120.0, 240.0]);
    let msgs: Vec<&str> = r
        .events
        .iter()
        .filter(|e| e.event == "task-pull-failed")
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(msgs.len(), failed.len());
    assert!(msgs[0].contains(
        "stopped before RUNNING: CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref web:1"
    ));
    assert!(msgs[0].contains("web:1"));
    let f = &r.summary.services[0].task_failures;
    let n = failed.len() as u64;
    let want = format!(
        "  task failures: {n} failed to start ({n} after 5 failed pulls), {} pull retries",
        4 * n
    );
    assert!(r.summary.report_lines().contains(&want), "{want}");
    assert_eq!(f.tasks_failed_to_start, Some(n));
    assert_eq!(f.image_pull_failures, Some(n));
    assert_eq!(f.image_pull_retries, Some(4 * n));
}

#[test]
fn a_retried_pull_delays_the_start_by_its_pulls_and_back_offs_x4() {
    // ECS-MODEL X4: with a pull failing half the time, a task that pulls
    // starts after k pulls and k − 1 back-offs when attempt k succeeds:
    // 20, 41.1, 63.3, 87.7 or 112.7 s; the retried attempts add up to the
    // summary's image_pull_retries. One task per instance (distinctInstance)
    // on 30 instances, so every task pulls.
    let text = service(
        30,
        "30m",
        "",
        r#"placementConstraints = [{ type = "distinctInstance" }]
imagePullFailures = { probability = 0.5 }"#,
    )
    .replace("count = 3", "count = 40");
    let r = run(&text);
    let allowed = [20.0, 41.1, 63.3, 87.7, 112.7];
    let mut retries = 0;
    let mut seen = std::collections::BTreeSet::new();
    for t in of_family(&r, "web") {
        let Some(run_at) = t.running else { continue };
        let pending = secs(Some(run_at)) - secs(t.pending);
        let k = allowed
            .iter()
            .position(|a| (a - pending).abs() < 1e-9)
            .unwrap_or_else(|| panic!("PENDING for {pending} s"));
        retries += k as u64;
        seen.insert(k);
    }
    let failed = with_reason(&r, "CannotPullContainerError").len() as u64;
    let f = &r.summary.services[0].task_failures;
    assert_eq!(f.image_pull_retries, Some(retries + 4 * failed));
    assert_eq!(f.image_pull_failures, Some(failed));
    assert!(seen.len() >= 3, "retries seen: {seen:?}");
}

#[test]
fn random_failures_are_deterministic_per_seed_and_near_their_expected_count_x4() {
    // ECS-MODEL X4: crashes at 1 per task-hour on 4 tasks for 24 h: about
    // 96 (Poisson, sd about 10). Same seed, same run; another seed, another.
    let text = service(4, "24h", "", "taskCrashes = { perTaskHour = 1 }");
    let a = run(&text);
    let b = run(&text);
    assert_eq!(a.tasks, b.tasks);
    assert_eq!(a.events, b.events);
    let n = a.summary.services[0]
        .task_failures
        .tasks_crashed
        .expect("counted");
    assert!((66..=126).contains(&n), "{n} crashes");
    let c = run(&text.replace("seed = 3", "seed = 4"));
    assert_ne!(a.tasks, c.tasks);
    assert_eq!(a.summary.services[0].running_at_end, 4);

    // Start failures with probability 0.2 on 1,440 job tasks: about 288
    // (sd about 15).
    let r = run(&jobs(
        "1m",
        "2m",
        "24h",
        "startFailures = { probability = 0.2 }",
    ));
    let etl = &r.summary.jobs[0];
    let failed = etl.task_failures.tasks_failed_to_start.expect("counted");
    assert!((228..=348).contains(&failed), "{failed} of {}", etl.placed);
    // Each placed task completed or failed to start, but one still running.
    assert!((etl.placed - 1..=etl.placed).contains(&(etl.completed + failed)));
}

#[test]
fn failures_draw_from_their_own_streams_x4() {
    // Rates of zero change no other draw: the run equals the plain one.
    let plain = run(&service(4, "6h", "", ""));
    let zero = run(&service(
        4,
        "6h",
        "",
        "taskCrashes = { perTaskHour = 0 }\nstartFailures = { probability = 0 }\nimagePullFailures = { probability = 0 }",
    ));
    assert_eq!(plain.tasks, zero.tasks);
    assert_eq!(plain.events, zero.events);
    let f = &zero.summary.services[0].task_failures;
    assert_eq!(
        (
            f.tasks_crashed,
            f.tasks_failed_to_start,
            f.image_pull_retries
        ),
        (Some(0), Some(0), Some(0))
    );
    let f = &plain.summary.services[0].task_failures;
    assert_eq!(
        (
            f.tasks_crashed,
            f.tasks_failed_to_start,
            f.image_pull_retries
        ),
        (None, None, None)
    );
}

#[test]
fn crash_replay_from_csv_equals_inline_replay_x4() {
    // tests/fixtures/task_failures/crashes.csv: 1h,1 / 4200,1 / 1h20m,1.
    let inline = run(&service(
        2,
        "2h",
        "",
        r#"taskCrashes = { replay = [{ at = "1h", tasks = 1 }, { at = "70m", tasks = 1 }, { at = "80m", tasks = 1 }] }"#,
    ));
    let csv = run(&service(
        2,
        "2h",
        "",
        r#"taskCrashes = { file = "task_failures/crashes.csv" }"#,
    ));
    assert_eq!(inline.tasks, csv.tasks);
    assert_eq!(inline.events, csv.events);
    assert_eq!(csv.summary.services[0].task_failures.tasks_crashed, Some(3));
}

#[test]
fn a_crashed_job_task_loses_its_work_and_is_run_again() {
    // ECS-MODEL X4 for RunTask tasks (model choice, as for tasks killed
    // with their instance): a task every hour doing 30 min of work; the
    // first (RUNNING at 20 s, one pull) crashes at 10 min: 580 s of work are
    // lost and it is submitted again (retryOnInterruption, default true),
    // then completes its whole 30 min.
    let r = run(&jobs(
        "1h",
        "30m",
        "50m",
        r#"taskCrashes = { replay = [{ at = "10m", tasks = 1 }] }"#,
    ));
    let etl = &r.summary.jobs[0];
    let lines = r.summary.report_lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("0 killed, 1 re-run, 0.2 task-h of work lost")),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"  task failures: 1 crashed".to_string()),
        "{lines:?}"
    );
    assert_eq!(etl.task_failures.tasks_crashed, Some(1));
    assert_eq!(etl.tasks_rerun, 1);
    assert_eq!(etl.tasks_killed, 0);
    assert_eq!(etl.work_lost_task_s, 580.0);
    assert_eq!(etl.completed, 1);
    let rerun = of_family(&r, "etl");
    assert_eq!(rerun.len(), 2);
    assert_eq!(secs(Some(rerun[1].created)), 600.0);
    // Without retries the work is lost for good.
    let r = run(&jobs(
        "1h",
        "30m",
        "50m",
        "retryOnInterruption = false\ntaskCrashes = { replay = [{ at = \"10m\", tasks = 1 }] }",
    ));
    let etl = &r.summary.jobs[0];
    assert_eq!((etl.tasks_rerun, etl.completed), (0, 0));
}

#[test]
fn bad_task_failure_keys_and_files_are_errors_naming_the_field() {
    let svc = |body: &str| errors(&service(2, "1h", "", body)).join("\n");
    let e = svc("taskCrashes = { perTaskHour = -1 }");
    assert!(
        e.contains("services[0].taskCrashes.perTaskHour") && e.contains("from 0 to 60"),
        "{e}"
    );
    let e = svc("startFailures = { probability = 1.5 }");
    assert!(
        e.contains("services[0].startFailures.probability") && e.contains("from 0 to 1"),
        "{e}"
    );
    let e = svc("imagePullFailures = {}");
    assert!(
        e.contains("services[0].imagePullFailures:")
            && e.contains("`probability`")
            && e.contains("`outages`"),
        "{e}"
    );
    let e = svc(r#"imagePullFailures = { outages = [{ at = "1h", duration = "0s" }] }"#);
    assert!(
        e.contains("services[0].imagePullFailures.outages[0].duration")
            && e.contains("longer than zero"),
        "{e}"
    );
    let e = svc(r#"imagePullFailures = { outages = [{ at = "1h" }] }"#);
    assert!(
        e.contains("imagePullFailures.outages[0].duration") && e.contains("missing"),
        "{e}"
    );
    let e = svc("taskCrashes = { perTaskHours = 1 }");
    assert!(e.contains("did you mean `perTaskHour`"), "{e}");
    let e = svc("taskCrashes = {}");
    assert!(
        e.contains("taskCrashes") && e.contains("perTaskHour"),
        "{e}"
    );
    let e = svc(r#"startFailures = { replay = [{ at = "1h", tasks = 0 }] }"#);
    assert!(e.contains("startFailures.replay[0].tasks"), "{e}");
    let e = svc(r#"taskCrashes = { file = "task_failures/missing.csv" }"#);
    assert!(
        e.contains("taskCrashes.file") && e.contains("missing.csv"),
        "{e}"
    );
    let e = svc(r#"taskCrashes = { file = "task_failures/bad_tasks.csv" }"#);
    assert!(
        e.contains("bad_tasks.csv: line 2")
            && e.contains("column `tasks`")
            && e.contains("whole number of tasks")
            && e.contains("\"one\""),
        "{e}"
    );
    let e = svc(r#"taskCrashes = { file = "task_failures/bad_column.csv" }"#);
    assert!(
        e.contains("bad_column.csv: line 1") && e.contains("missing column `tasks`"),
        "{e}"
    );
    let e = svc(r#"startFailures = { file = "task_failures/bad_time.csv" }"#);
    assert!(
        e.contains("startFailures.file")
            && e.contains("bad_time.csv: line 2")
            && e.contains("column `time`")
            && e.contains("expected a duration"),
        "{e}"
    );
    let e = errors(&jobs(
        "1h",
        "5m",
        "1h",
        "startFailures = { probability = -0.1 }",
    ))
    .join("\n");
    assert!(e.contains("batchJobs[0].startFailures.probability"), "{e}");
    let daemon = service(2, "1h", "", "taskCrashes = { perTaskHour = 1 }")
        .replace("desiredCount = 2", "schedulingStrategy = \"DAEMON\"")
        .replace(
            "deploymentConfiguration = { minimumHealthyPercent = 100, maximumPercent = 200  }",
            "",
        );
    let e = errors(&daemon).join("\n");
    assert!(e.contains("taskCrashes") && e.contains("DAEMON"), "{e}");
    // A valid scenario with every key loads.
    load(&service(
        2,
        "1h",
        "",
        r#"taskCrashes = { perTaskHour = 0.5, replay = [{ at = "10m", tasks = 1 }], file = "task_failures/crashes.csv" }
startFailures = { probability = 0.1, replay = [{ at = "5m", tasks = 2 }] }
imagePullFailures = { probability = 0.2 }"#,
    ));
}

/// Runs shipped scenario `file` with `overrides` (`--set` style).
fn run_file(file: &str, overrides: &[&str]) -> RunResult {
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let sc =
        ecsim::scenario::load(std::path::Path::new(file), &o).unwrap_or_else(|e| panic!("{e}"));
    ecsim::engine::Simulation::new(&sc.spec, sc.seed).run()
}

/// The summary's failure counts of `owner` agree with its task records:
/// crashed tasks had reached RUNNING, tasks that failed to start had not.
fn check_counts(r: &RunResult, owner: &str, f: &ecsim::metrics::TaskFailureCounts) {
    let mine: Vec<&TaskRecord> = r.tasks.iter().filter(|t| t.owner == owner).collect();
    let by = |code: &str| {
        mine.iter()
            .filter(|t| t.stop_reason.as_deref() == Some(code))
            .count() as u64
    };
    let crashed = by("EssentialContainerCrashed");
    let no_pull = by("CannotPullContainerError");
    let failed = by("TaskFailedToStart") + no_pull;
    assert_eq!(f.tasks_crashed, Some(crashed), "{owner}");
    assert_eq!(f.tasks_failed_to_start, Some(failed), "{owner}");
    assert_eq!(f.image_pull_failures, Some(no_pull), "{owner}");
    for t in &mine {
        match t.stop_reason.as_deref() {
            Some("EssentialContainerCrashed") => assert!(t.running.is_some(), "{t:?}"),
            Some("TaskFailedToStart" | "CannotPullContainerError") => {
                assert!(t.running.is_none(), "{t:?}")
            }
            _ => {}
        }
    }
    assert!(crashed > 0 && failed > 0, "{owner}: {f:?}");
}

const ALL_FAILURES: [&str; 3] = [
    "taskCrashes={ perTaskHour = 0.5 }",
    "startFailures={ probability = 0.1 }",
    "imagePullFailures={ probability = 0.4 }",
];

#[test]
fn failures_on_capacity_providers_spot_and_fargate_keep_the_books_straight_x4() {
    // ECS-MODEL X4 with the rest of the engine: capacity-provider
    // PROVISIONING and auto scaling (black-friday), spot interruptions and
    // re-run jobs (spot-what-if), Fargate (seoul-spiky). Debug builds also
    // check every service's in-service count against a walk of its tasks.
    let set = |prefix: &str| -> Vec<String> {
        ALL_FAILURES
            .iter()
            .map(|kv| format!("{prefix}.{kv}"))
            .collect()
    };
    let bf = set("services.web");
    let bf: Vec<&str> = bf.iter().map(String::as_str).collect();
    let r = run_file("scenarios/capacity/black-friday.toml", &bf);
    check_counts(&r, "web", &r.summary.services[0].task_failures);
    assert!(r.summary.services[0].running_at_end > 0);

    let mut spot = set("services.web");
    spot.extend(set("batchJobs.render"));
    spot.push("duration=2d".into());
    let spot: Vec<&str> = spot.iter().map(String::as_str).collect();
    let r = run_file("scenarios/spot-what-if.toml", &spot);
    check_counts(&r, "web", &r.summary.services[0].task_failures);
    let render = &r.summary.jobs[0];
    check_counts(&r, "render", &render.task_failures);
    assert!(render.tasks_rerun >= render.task_failures.tasks_crashed.unwrap_or(0));

    let mut fargate = vec![
        "services.web.launchType=FARGATE".to_string(),
        "instanceGroups.app.count=0".to_string(),
        "services.web.taskCrashes={ perTaskHour = 0.5 }".to_string(),
        "services.web.startFailures={ probability = 0.1 }".to_string(),
    ];
    fargate.push("services.web.imagePullFailures={ probability = 0.4 }".into());
    let fargate: Vec<&str> = fargate.iter().map(String::as_str).collect();
    let r = run_file("scenarios/cost/seoul-spiky.toml", &fargate);
    let f = &r.summary.services[0].task_failures;
    check_counts(&r, "web", f);
    // Every Fargate task pulls: retries are drawn for each.
    assert!(f.image_pull_retries.unwrap_or(0) > 0, "{f:?}");
    assert!(r.tasks.iter().all(|t| t.capacity != "EC2"));
}

#[test]
fn a_task_that_fails_to_start_frees_its_room_for_a_provisioning_task() {
    // One instance that holds one task; two RunTask tasks through a
    // capacity provider that cannot grow: the second waits in PROVISIONING.
    // The first fails to start at 20 s (one pull): the second is placed on
    // its room at once, and completes.
    let text = r#"
name = "cp"
seed = 1
duration = "1h"
[cluster]
imagePullTime = "20s"
cachedStartTime = "5s"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.large"]
count = 1
minSize = 1
maxSize = 1
[[capacityProviders]]
name = "cp"
instanceGroup = "g"
managedScaling = { status = "DISABLED" }
[[taskDefinitions]]
family = "etl"
cpu = "2 vCPU"
memory = "4 GB"
containerDefinitions = [{ name = "app", image = "etl:1" }]
[[batchJobs]]
name = "etl"
taskDefinition = "etl"
arrivals = { type = "every", interval = "2h" }
count = 2
duration = "10m"
capacityProviderStrategy = [{ capacityProvider = "cp", weight = 1 }]
startFailures = { replay = [{ at = "0s", tasks = 1 }] }
"#;
    let r = run(text);
    let tasks = of_family(&r, "etl");
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    let failed = with_reason(&r, "TaskFailedToStart");
    assert_eq!(failed.len(), 1);
    let at = secs(failed[0].stopped);
    let other = tasks.iter().find(|t| t.id != failed[0].id).unwrap();
    assert_eq!(secs(other.pending), at, "placed when the room freed");
    assert_eq!(r.summary.jobs[0].completed, 1);
}

#[test]
fn a_fargate_task_retries_its_pull_after_its_start_latency_x4() {
    // ECS-MODEL X4 on Fargate: the first pull is inside the 30 s start
    // latency; each of the 4 retries adds its back-off and a 20 s pull:
    // 30 + 4 × 20 + 12.7 = 122.7 s from launch to the start failure.
    let text = service(1, "1h", "", "imagePullFailures = { probability = 1.0 }")
        .replace(
            "desiredCount = 1",
            "desiredCount = 1\nlaunchType = \"FARGATE\"",
        )
        .replace(
            "[cluster]",
            "[fargate]\nstartLatency = \"30s\"\n[cluster]",
        )
        .replace(
            "containerDefinitions = [{ name = \"app\", image = \"web:1\", cpu = 256, memory = 512 }]",
            "cpu = \"256\"\nmemory = \"512\"\nrequiresCompatibilities = [\"FARGATE\"]\nnetworkMode = \"awsvpc\"\ncontainerDefinitions = [{ name = \"app\", image = \"web:1\" }]",
        );
    let r = run(&text);
    let failed = with_reason(&r, "CannotPullContainerError");
    assert!(failed.len() >= 3, "{:?}", r.tasks);
    for t in &failed {
        assert_eq!(t.capacity, "FARGATE");
        let took = secs(t.stopped) - secs(Some(t.created));
        assert!((took - 122.7).abs() < 1e-9, "{took}");
    }
}

#[test]
fn a_registry_outage_fails_the_pulls_that_begin_in_it_x4_p9() {
    // ECS-MODEL X4, P9: the registry refuses pulls from 1 h for 10 min, as
    // web-v2 deploys. Attempts begin 0, 21.1, 43.3, 67.7 and 92.7 s after
    // launch: the launches at 3600, 3772.7 (60 s after the failure at
    // 3712.7) and 4005.4 (120 s after 3885.4) fail every attempt; the
    // next, at 4358.1 (240 s after 4118.1), pulls after the outage and runs.
    let r = run(&service(
        1,
        "2h",
        "",
        r#"deployments = [{ at = "1h", taskDefinition = "web-v2" }]
imagePullFailures = { outages = [{ at = "1h", duration = "10m" }] }"#,
    ));
    let v2 = of_family(&r, "web-v2");
    let created: Vec<f64> = v2
        .iter()
        .map(|t| (secs(Some(t.created)) * 10.0).round() / 10.0)
        .collect();
    assert_eq!(created, [3600.0, 3772.7, 4005.4, 4358.1]);
    for t in &v2[..3] {
        assert_eq!(t.stop_reason.as_deref(), Some("CannotPullContainerError"));
    }
    assert!(v2[3].running.is_some() && v2[3].stopped.is_none());
    let f = &r.summary.services[0].task_failures;
    assert_eq!(
        (f.image_pull_failures, f.image_pull_retries),
        (Some(3), Some(12))
    );
    assert_eq!(r.summary.services[0].deployments[0].outcome, "COMPLETED");
}
