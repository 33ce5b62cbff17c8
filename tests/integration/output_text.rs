//! What users read: the printed run summary, `events.csv` wording, the
//! names `explain` uses, the CSV files' quoting, and the README's figures.

use std::path::Path;

use ecsim::compare::{self, Variant};
use ecsim::engine::{Early, Simulation};
use ecsim::metrics::SampleColumns;
use ecsim::output;
use ecsim::scenario;

use crate::common::run;

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
    let sc = shipped("scenarios/teaching/spread-az-binpack.toml");
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
    let sc = shipped("scenarios/quickstart.toml");
    let r = Simulation::new(&sc.spec, sc.seed).run();
    let daemon = r
        .summary
        .services
        .iter()
        .find(|s| s.scheduling == "DAEMON")
        .expect("the quickstart has a daemon");
    assert_eq!(daemon.running_ratio_min, 1.0);
    let first = r.timeseries.sample(0);
    let k = r
        .summary
        .services
        .iter()
        .position(|s| s.scheduling == "DAEMON")
        .unwrap();
    assert!(
        first.tasks[k].running < first.desired[k],
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

fn summary(path: &str) -> ecsim::metrics::Summary {
    let sc = shipped(path);
    Simulation::new(&sc.spec, sc.seed).run().summary
}

fn has(lines: &[String], want: &str) -> bool {
    lines.iter().any(|l| l.contains(want))
}

#[test]
fn the_run_summary_says_what_each_study_is_about() {
    // Spot: notices, refused launches and the tasks killed, and the cost.
    // (Figures from the summary itself, so that the test follows model
    // changes; the shipped scenarios make every part appear.)
    let s = summary("scenarios/spot-what-if.toml");
    let lines = s.report_lines();
    let i = &s.interruptions;
    assert!(i.notices > 0 && i.launch_failures > 0 && s.tasks_killed > 0);
    assert!(
        has(
            &lines,
            &format!(
                "spot: {} interruption notices (reclaim {}); {} launches refused for lack of capacity; tasks killed {}, stopped gracefully {}",
                i.notices, i.by_cause[&ecsim::model::SpotNoticeCause::Reclaim], i.launch_failures, s.tasks_killed, s.tasks_stopped_gracefully
            )
        ),
        "{lines:#?}"
    );
    let web = &s.services[0];
    assert!(
        has(&lines, &format!("; {} killed", web.tasks_killed)),
        "{lines:#?}"
    );
    assert!(
        has(
            &lines,
            &format!(
                "cost: ${:.2} over the run (${:.2} a month)",
                s.cost.total_usd, s.cost.per_month_usd
            )
        ),
        "{lines:#?}"
    );
    // Demand: requests, dropped, overloaded minutes.
    let s = summary("scenarios/capacity/black-friday.toml");
    let lines = s.report_lines();
    let d = s.services[0].demand.as_ref().expect("demand");
    assert!(d.dropped > 1000.0 && d.overloaded_minutes > 0);
    assert!(
        has(
            &lines,
            &format!(
                "dropped ({:.2}%), overloaded {} min",
                d.dropped_pct, d.overloaded_minutes
            )
        ),
        "{lines:#?}"
    );
    assert!(has(&lines, "  demand: ") && has(&lines, ","), "{lines:#?}");
    // No spot or demand line where they do not apply; the cost always.
    let lines = summary("scenarios/quickstart.toml").report_lines();
    assert!(!has(&lines, "spot:"), "{lines:#?}");
    assert!(!has(&lines, "demand:"), "{lines:#?}");
    assert!(has(&lines, "cost: $"), "{lines:#?}");
}

// ---------------------------------------------------------------------------
// The README's counts, checked against today's build. The README is the one
// place to update when the model changes a count: each failure names the
// README line and the figure the build gives.

fn readme() -> String {
    std::fs::read_to_string("README.md").expect("README.md")
}

/// The README line that starts with `prefix`, with its 1-based number.
fn readme_line(text: &str, prefix: &str) -> (usize, String) {
    text.lines()
        .enumerate()
        .find(|(_, l)| l.starts_with(prefix))
        .map(|(i, l)| (i + 1, l.to_string()))
        .unwrap_or_else(|| panic!("README.md has no line starting with {prefix:?}"))
}

/// A README figure such as `22,684` as a number.
fn figure(s: &str) -> u64 {
    s.replace(',', "").parse().expect("a count")
}

fn capture(re: &str, line: &str, at: usize) -> Vec<u64> {
    let re = regex::Regex::new(re).unwrap();
    let c = re
        .captures(line)
        .unwrap_or_else(|| panic!("README.md:{at}: {line:?} does not match {re}"));
    (1..c.len()).map(|i| figure(&c[i])).collect()
}

#[test]
fn readme_performance_counts_are_todays() {
    // README "Performance": the counts next to the timings (the timings
    // themselves are measured on an idle machine and not checked here).
    let text = readme();
    let rows = [
        (
            "| quickstart, one simulated day |",
            "scenarios/quickstart.toml",
            r"\| ([\d,]+) events in",
        ),
        (
            "| spot-what-if, one simulated week",
            "scenarios/spot-what-if.toml",
            r"\((\d+) spot notices, ([\d,]+) tasks placed\) \| ([\d,]+) events in",
        ),
        (
            "| black-friday, two simulated days",
            "scenarios/capacity/black-friday.toml",
            r"\| ([\d,]+) events in",
        ),
    ];
    for (prefix, path, re) in rows {
        let (at, line) = readme_line(&text, prefix);
        let got = capture(re, &line, at);
        let s = summary(path);
        let want: Vec<u64> = if got.len() == 1 {
            vec![s.events_processed]
        } else {
            vec![s.interruptions.notices, s.tasks_placed, s.events_processed]
        };
        assert_eq!(
            got, want,
            "README.md:{at} quotes {got:?} for {path}; today's build gives {want:?}"
        );
    }
}

#[test]
fn readme_quickstart_output_and_advice_are_todays() {
    let text = readme();
    // The sample output: every line but the header's timing and the folder.
    let start = text
        .find("quickstart: seed 42, 24.0 h simulated, ")
        .expect("the sample output");
    let block: Vec<&str> = text[start..]
        .lines()
        .take_while(|l| !l.starts_with("```"))
        .collect();
    let s = summary("scenarios/quickstart.toml");
    assert!(
        block[0].contains(&format!(" {} events in ", s.events_processed)),
        "README sample header {:?}; today's build: {} events",
        block[0],
        s.events_processed
    );
    let want: Vec<String> = s.report_lines().iter().map(|l| format!("  {l}")).collect();
    assert_eq!(
        &block[1..block.len() - 1],
        want.as_slice(),
        "README's sample `run` output differs from today's build"
    );
    // "count=7 still leaves 5 failed jobs, and it takes count=9".
    let failed = |count: u64| -> u64 {
        let sc = scenario::load(
            Path::new("scenarios/quickstart.toml"),
            &[format!("instanceGroups.general.count={count}")],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let r = Simulation::new(&sc.spec, sc.seed).run();
        r.summary.jobs.iter().flat_map(|j| j.failed.values()).sum()
    };
    let flat = text.replace('\n', " ");
    let (few, left) = {
        let c = capture(
            r"`--set instanceGroups.general.count=(\d+)` still leaves (\d+) failed jobs",
            &flat,
            0,
        );
        (c[0], c[1])
    };
    assert_eq!(
        failed(few),
        left,
        "README: count={few} leaves {left} failed jobs"
    );
    let enough = capture(
        r"it takes `--set instanceGroups.general.count=(\d+)` for the failures to go away",
        &flat,
        0,
    )[0];
    assert_eq!(failed(enough), 0, "README: count={enough} has no failures");
    assert!(
        failed(enough - 1) > 0,
        "README: count={enough} is the fewest without failures"
    );
}

#[test]
fn failed_jobs_are_totalled_over_every_reason() {
    // The sweep tables get a total to compare strategies on, not only the
    // RESOURCE:CPU count (a RunTask fails on memory too).
    let s = summary("scenarios/quickstart.toml");
    let j = &s.jobs[0];
    assert!(j.failed_total > 0);
    assert_eq!(j.failed_total, j.failed.values().sum::<u64>());
    let v = serde_json::to_value(&s).unwrap();
    let flat = ecsim::sweep::table::flatten(&v);
    assert!(
        flat.iter()
            .any(|(k, x)| k == "jobs.etl.failed_total" && *x == j.failed_total as f64),
        "{flat:?}"
    );
}

#[test]
fn timeseries_columns_are_the_named_sample_fields() {
    // Each per-entity vector of a sample lines up with its list of names in
    // `RunResult::columns`; the CSV column `{name}.{field}` is that field.
    let sc = shipped("scenarios/capacity/black-friday.toml");
    let r = Simulation::new(&sc.spec, sc.seed).run();
    let cols = &r.columns;
    assert!(!cols.tasks.is_empty() && !cols.providers.is_empty() && !cols.load.is_empty());
    let csv = output::timeseries_csv(&r);
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |h: &str| {
        head.iter()
            .position(|c| *c == h)
            .unwrap_or_else(|| panic!("no column {h}"))
    };
    for (row, s) in lines.zip(r.timeseries.samples()) {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(
            cells[at("instances_active")],
            s.instances.active.to_string()
        );
        for name in &cols.tasks {
            let t = s.tasks[SampleColumns::index(&cols.tasks, name).unwrap()];
            assert_eq!(cells[at(&format!("{name}.pending"))], t.pending.to_string());
            assert_eq!(cells[at(&format!("{name}.running"))], t.running.to_string());
            assert_eq!(
                cells[at(&format!("{name}.stopping"))],
                t.stopping.to_string()
            );
        }
        for name in &cols.load {
            let l = s.load[SampleColumns::index(&cols.load, name).unwrap()];
            assert_eq!(
                cells[at(&format!("{name}.served_rps"))],
                format!("{:.2}", l.served_rps)
            );
        }
        for name in &cols.providers {
            let p = s.providers[SampleColumns::index(&cols.providers, name).unwrap()];
            assert_eq!(cells[at(&format!("{name}.needed"))], p.needed.to_string());
            assert_eq!(cells[at(&format!("{name}.running"))], p.running.to_string());
            assert_eq!(
                cells[at(&format!("{name}.asg_desired"))],
                p.asg_desired.to_string()
            );
        }
    }
}

/// A shipped scenario, loaded as it is.
fn shipped(path: &str) -> scenario::Scenario {
    scenario::load(Path::new(path), &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Every file of the folder `whole` is in `dir`: the names `taken` (files
/// that were there before the run's were written) as they were, the others
/// with the same bytes as in `whole`.
fn assert_taken_kept_and_the_rest_as(dir: &Path, taken: &[&str], whole: &Path) {
    for entry in std::fs::read_dir(whole).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let got = std::fs::read_to_string(dir.join(&name)).unwrap();
        if taken.contains(&name.as_str()) {
            assert_eq!(got, "taken");
        } else {
            assert_eq!(
                got,
                std::fs::read_to_string(whole.join(&name)).unwrap(),
                "{name}"
            );
        }
    }
}

/// The files of a run are written on two threads; a failure is reported
/// for the first failing file in the folder's order, whichever thread met
/// it first, and every other file is still written whole.
#[test]
fn a_failed_file_is_reported_in_file_order_whichever_thread_wrote_it() {
    let sc = shipped("scenarios/quickstart.toml");
    let r = Simulation::new(&sc.spec, sc.seed).run();
    let whole = tempfile::tempdir().unwrap();
    output::write_run_files(whole.path(), &r, None).unwrap();
    // A file is never written over: the names taken fail.
    for taken in [
        &["tasks.csv"][..],
        &["cost.csv", "events.csv"],
        &["instances.csv", "timeseries.csv"],
    ] {
        let tmp = tempfile::tempdir().unwrap();
        for name in taken {
            std::fs::write(tmp.path().join(name), "taken").unwrap();
        }
        let e = output::write_run_files(tmp.path(), &r, None)
            .unwrap_err()
            .to_string();
        let first = [
            "timeseries.csv",
            "tasks.csv",
            "events.csv",
            "instances.csv",
            "cost.csv",
        ]
        .into_iter()
        .find(|n| taken.contains(n))
        .unwrap();
        assert!(e.contains(first), "{taken:?}: {e}");
        assert_taken_kept_and_the_rest_as(tmp.path(), taken, whole.path());
    }
}

/// `ecsim run` writes the files of the parts a run makes first (the time
/// series and events, then the tasks) while the run makes the rest: the
/// parts are handed over in that order, the folder is byte for byte the
/// one written after the run, and a failure is still reported for the
/// first failing file in the folder's order, every other file whole.
#[test]
fn files_written_as_the_run_makes_them_equal_those_written_after_it() {
    let sc = shipped("scenarios/quickstart.toml");
    let timing = || output::Timing {
        wall_time_s: 1.5,
        events_per_s: 2.0,
    };
    let after = tempfile::tempdir().unwrap();
    let r = Simulation::new(&sc.spec, sc.seed).run();
    let names_after = output::write_run_files(after.path(), &r, Some(&timing())).unwrap();
    for taken in [
        &[][..],
        &["tasks.csv"],
        &["timeseries.csv", "cost.csv"],
        &["summary.json", "events.csv"],
        &["instances.csv", "timing.json"],
    ] {
        let tmp = tempfile::tempdir().unwrap();
        for name in taken {
            std::fs::write(tmp.path().join(name), "taken").unwrap();
        }
        let mut handed = Vec::new();
        let (made, _, written) =
            output::write_run_outputs_as_made(tmp.path(), output::Outputs::All, |early| {
                let made = Simulation::new(&sc.spec, sc.seed).run_handing_over(&mut |part| {
                    handed.push(match part {
                        Early::Series { timeseries, .. } => {
                            assert_eq!(timeseries, &r.timeseries);
                            "series"
                        }
                        Early::Tasks(tasks) => {
                            assert_eq!(tasks.len(), r.tasks.len());
                            "tasks"
                        }
                    });
                    early(part);
                });
                (made, timing())
            });
        assert_eq!(handed, ["series", "tasks"]);
        assert_eq!(made.summary, r.summary);
        match taken.first() {
            None => assert_eq!(written.unwrap(), names_after),
            Some(_) => {
                let e = written.unwrap_err().to_string();
                let first = names_after.iter().find(|n| taken.contains(n)).unwrap();
                assert!(e.contains(first), "{taken:?}: {e}");
            }
        }
        assert_taken_kept_and_the_rest_as(tmp.path(), taken, after.path());
    }
}

/// A run that fails after handing a part over does not leave the second
/// writing thread waiting for more: the panic reaches the caller.
#[test]
fn a_run_failing_after_a_part_was_handed_over_lets_the_writer_go() {
    let sc = shipped("scenarios/quickstart.toml");
    let tmp = tempfile::tempdir().unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        output::write_run_outputs_as_made(tmp.path(), output::Outputs::All, |early| {
            Simulation::new(&sc.spec, sc.seed).run_handing_over(&mut |part| {
                early(part);
                if let Early::Tasks(_) = part {
                    panic!("failed after the tasks");
                }
            });
            unreachable!("the run panics")
        })
    }));
    let message = caught.unwrap_err();
    assert_eq!(
        message.downcast_ref::<&str>(),
        Some(&"failed after the tasks")
    );
}

#[test]
fn run_tables_are_every_csv_a_run_writes_in_file_order() {
    // The typed tables are the one definition of the run's CSV files: the
    // files written are exactly their CSV text, in the same order, and the
    // columns hold the run's values with their types.
    let sc = shipped("scenarios/capacity/black-friday.toml");
    let r = Simulation::new(&sc.spec, sc.seed).run();
    let tmp = tempfile::tempdir().unwrap();
    let written = output::write_run_files(tmp.path(), &r, None).unwrap();
    let tables = output::run_tables(&r);
    let names: Vec<String> = tables.iter().map(output::Table::file_name).collect();
    let csvs: Vec<&str> = written
        .iter()
        .copied()
        .filter(|n| n.ends_with(".csv"))
        .collect();
    assert_eq!(names, csvs);
    assert_eq!(
        names,
        [
            "timeseries.csv",
            "tasks.csv",
            "events.csv",
            "instances.csv",
            "cost.csv"
        ]
    );
    for t in &tables {
        let file = std::fs::read_to_string(tmp.path().join(t.file_name())).unwrap();
        assert_eq!(file, output::csv_text(t), "{}", t.name);
        assert!(
            t.columns.iter().all(|c| c.values.len() == t.rows()),
            "{}",
            t.name
        );
    }
    let ts = &tables[0];
    assert_eq!(ts.rows(), r.timeseries.len());
    let web = SampleColumns::index(&r.columns.tasks, &r.columns.tasks[0]).unwrap();
    let running = &ts
        .column(&format!("{}.running", r.columns.tasks[0]))
        .expect("running column")
        .values;
    let output::Values::Runs(running) = running else {
        panic!("counts are runs of u32: {running:?}")
    };
    let want: Vec<u32> = r
        .timeseries
        .samples()
        .map(|s| s.tasks[web].running)
        .collect();
    assert_eq!(running.to_vec(), want);
    // The table points at the run's column instead of copying it.
    assert!(std::sync::Arc::ptr_eq(
        &running.values,
        &r.timeseries.tasks[web].running.values
    ));
    let tasks = &tables[1];
    assert_eq!(tasks.rows(), r.tasks.len());
    let stopped = &tasks.column("stopped_s").unwrap().values;
    for (i, t) in r.tasks.iter().enumerate() {
        assert_eq!(stopped.is_present(i), t.stopped.is_some());
    }
}

#[test]
#[cfg(feature = "plot")] // `--plot` exists only with the plot feature.
fn outputs_flag_chooses_the_files_and_refuses_what_plot_and_report_cannot_read() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("qs");
    let ecsim = |extra: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_ecsim"));
        c.args([
            "run",
            "scenarios/quickstart.toml",
            "--set",
            "duration=\"1h\"",
            "--out",
        ])
        .arg(&out)
        .args(extra);
        c.output().unwrap()
    };
    let names = || {
        let mut n: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        n.sort();
        n
    };
    let o = ecsim(&["--outputs", "summary"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(names(), ["summary.json", "timing.json"]);
    // The charts set is what `ecsim plot` draws from.
    let o = ecsim(&["--outputs", "charts", "--plot=svg"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let n = names();
    for f in [
        "summary.json",
        "timeseries.csv",
        "cost.csv",
        "tasks.svg",
        "reservation.svg",
    ] {
        assert!(n.contains(&f.to_string()), "{f} missing: {n:?}");
    }
    assert!(!n.contains(&"tasks.csv".to_string()), "{n:?}");
    // What --plot or --report would read must be written: refused before running.
    for (args, want) in [
        (
            &["--outputs", "summary", "--plot"][..],
            "--plot draws from timeseries.csv",
        ),
        (
            &["--outputs", "charts", "--report"][..],
            "--report reads tasks.csv",
        ),
        (&["--outputs", "tasks"][..], "`tasks` is not an output set"),
    ] {
        let o = ecsim(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
    assert_eq!(names().len(), n.len(), "a refused run leaves the folder");
}
