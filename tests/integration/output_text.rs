//! What users read: the printed run summary, `events.csv` wording, the
//! names `explain` uses, the CSV files' quoting, and the README's figures.

use std::path::Path;

use ecsim::compare::{self, Variant};
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

/// The nightly-batch study's `ec2` and `fargate` variants, the first
/// renamed `name`.
fn batch_rows(name: &str) -> Vec<compare::Row> {
    let path = Path::new("scenarios/cost/nightly-batch.toml");
    let variants: Vec<Variant> = compare::file_variants(path)
        .expect("variants")
        .into_iter()
        .filter(|v| v.name == "ec2" || v.name == "fargate")
        .collect();
    let runs = compare::run(path, &variants, &[], None).expect("runs");
    runs.iter()
        .map(|(v, r)| compare::row(if v.name == "ec2" { name } else { &v.name }, r))
        .collect()
}

fn read_csv(text: &str) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("valid CSV"))
        .collect()
}

#[test]
fn comparison_csv_names_units_and_marks_what_does_not_apply() {
    let rows = batch_rows("ec2");
    let text = compare::csv(&rows);
    let recs = read_csv(&text);
    let head: Vec<&str> = recs[0].iter().collect();
    let col = |name: &str| {
        head.iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name} in {head:?}"))
    };
    // The run's total and the month's, each named with its unit and period.
    assert!(!head.contains(&"total_usd") && !head.contains(&"per_month_usd"));
    let (ec2, fargate) = (&recs[1], &recs[2]);
    assert_eq!(&ec2[0], "ec2");
    assert_eq!(&fargate[0], "fargate");
    let month: f64 = ec2[col("usd_per_month")].parse().unwrap();
    let run: f64 = ec2[col("run_total_usd")].parse().unwrap();
    assert!((month / run - 730.0 / 24.0).abs() < 0.01, "{month} / {run}");
    // Fargate has no EC2 reservation: empty, not 0.0.
    assert_eq!(&fargate[col("cpu_reserved_pct")], "");
    assert_eq!(&fargate[col("memory_reserved_pct")], "");
    assert_eq!(&fargate[col("paid_reserved_pct")], "100.0");
    assert_ne!(&ec2[col("cpu_reserved_pct")], "");
    // The breakeven is written, on the EC2 row, as printed.
    let be = compare::breakevens(&rows);
    assert_eq!(be.len(), 1);
    assert_eq!(
        &ec2[col("breakeven_reserved_pct_vs_fargate")],
        format!("{:.1}", be[0].reserved_pct)
    );
    assert_eq!(&fargate[col("breakeven_reserved_pct_vs_fargate")], "");
    // The fixed EC2 fleet has no room for 27 jobs at the peak: it did less
    // work than Fargate, and says so in the file, the table and the breakeven.
    assert_eq!(&ec2[col("jobs_failed")], "27");
    assert_eq!(&ec2[col("dropped_work")], "true");
    assert_eq!(&fargate[col("dropped_work")], "false");
    let table = compare::table(&rows);
    assert!(
        table.contains("note: ec2 did less work than asked (27 jobs never ran)"),
        "{table}"
    );
    assert!(!table.contains("note: fargate"), "{table}");
    let lines = compare::breakeven_text(&be);
    assert!(
        lines.contains("(not the same work: ec2: 27 jobs never ran)"),
        "{lines}"
    );
}

#[test]
fn a_variant_name_with_comma_quote_and_newlines_round_trips() {
    let name = "ec2, \"big\"\r\nfleet";
    let rows = batch_rows(name);
    let text = compare::csv(&rows);
    let recs = read_csv(&text);
    assert_eq!(recs.len(), 3, "{text}");
    assert_eq!(&recs[1][0], name);
    assert_eq!(recs[1].len(), recs[0].len());
    // The breakeven still pairs the renamed variant with fargate.
    let be = compare::breakevens(&rows);
    assert_eq!(be[0].ec2, name);
}
