//! What users read: the printed run summary, `events.csv` wording, the
//! names `explain` uses, the CSV files' quoting, and the README's figures.

use std::path::Path;

use ecsim::engine::{RunResult, Simulation};
use ecsim::output;
use ecsim::scenario;

fn run(text: &str) -> RunResult {
    let sc = scenario::load_str(text, Path::new("tests/fixtures/output.toml"), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    Simulation::new(&sc.spec, sc.seed).run()
}

#[test]
fn scheduled_action_event_is_in_words_a5() {
    // ECS-MODEL A5: the event names the bounds the action sets, in words.
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
autoScaling = { minCapacity = 2, maxCapacity = 20, targetTracking = [{ metric = "ECSServiceAverageCPUUtilization", targetValue = 70 }], scheduled = [{ schedule = "cron(0 6 * * ? *)", minCapacity = 5, maxCapacity = 10 }, { schedule = "cron(0 7 * * ? *)", minCapacity = 3 }] }
"#;
    let r = run(text);
    let csv = output::events_csv(&r);
    assert!(
        csv.contains(",scheduled-action,\"scheduled action sets min 5, max 10\"\n"),
        "{csv}"
    );
    assert!(
        csv.contains(",scheduled-action,scheduled action sets min 3\n"),
        "{csv}"
    );
    assert!(!csv.contains("Some("), "{csv}");
}

#[test]
fn explain_names_instances_as_the_csv_files_do() {
    // The instance `explain` places a task on is the one `tasks.csv` names.
    let sc = scenario::load(Path::new("scenarios/teaching/spread-az-binpack.toml"), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulation::new(&sc.spec, sc.seed);
    sim.explain(ecsim::engine::ExplainWindow::Only(9));
    let r = sim.run();
    let d = &r.explanations[0];
    let placed = d
        .text
        .lines()
        .find_map(|l| l.strip_prefix("  => placed on "))
        .unwrap_or_else(|| panic!("{}", d.text));
    let id = placed.split(' ').next().unwrap();
    assert!(id.starts_with("i-0ec"), "{placed}");
    assert!(!d.text.contains("ci-"), "{}", d.text);
    let tasks = output::tasks_csv(&r);
    assert!(
        tasks.lines().any(|l| l.split(',').nth(5) == Some(id)),
        "{id} not in tasks.csv"
    );
}

#[test]
fn daemon_worst_ratio_counts_after_it_first_reached_desired() {
    // README: "the worst ratio is counted once a service first reaches its
    // desired count". The quickstart's log-router daemon starts at 0 of 6
    // (image pulls) and then never falls short: its worst is 1, not 0.
    let sc = scenario::load(Path::new("scenarios/quickstart.toml"), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let r = Simulation::new(&sc.spec, sc.seed).run();
    let daemon = r
        .summary
        .services
        .iter()
        .find(|s| s.scheduling == "DAEMON")
        .expect("the quickstart has a daemon");
    assert_eq!(daemon.running_ratio_min, 1.0);
    let first = &r.samples[0];
    let k = r
        .summary
        .services
        .iter()
        .position(|s| s.scheduling == "DAEMON")
        .unwrap();
    assert!(
        first.tasks[k][1] < first.desired[k],
        "the run starts below desired"
    );
}
