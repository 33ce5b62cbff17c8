//! Shipped scenarios, scenario errors, determinism and the CLI.

use std::path::{Path, PathBuf};
use std::process::Command;

use ecsim::engine::Simulation;
use ecsim::output;
use ecsim::scenario::{self, ScenarioError};

use crate::common::errors;

fn scenario_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                // Sweep and optimize files are not scenarios
                // (tests/integration/sweep.rs and optimize.rs check them).
                if !p.ends_with("sweeps") && !p.ends_with("optimize") {
                    walk(&p, out);
                }
            } else if p.extension().is_some_and(|e| e == "toml") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new("scenarios"), &mut out);
    out
}

#[test]
fn every_shipped_scenario_validates_and_runs() {
    let files = scenario_files();
    assert!(files.len() >= 5, "found {files:?}");
    for f in files {
        // The scale scenarios place 100,000 tasks at once: a few minutes of
        // them is a run; the benches run them whole.
        let duration = if f.starts_with("scenarios/scale") {
            "duration=\"5m\""
        } else {
            "duration=\"2h\""
        };
        let sc = scenario::load(&f, &[duration.to_string()])
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let r = Simulation::new(&sc.spec, sc.seed).run();
        assert!(r.summary.events_processed > 0, "{}", f.display());
        assert!(r.summary.tasks_placed > 0, "{} placed nothing", f.display());
    }
}

fn run_files(path: &str, overrides: &[&str]) -> Vec<(String, String)> {
    let ov: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let sc = scenario::load(Path::new(path), &ov).unwrap();
    let r = Simulation::new(&sc.spec, sc.seed).run();
    vec![
        ("summary.json".into(), output::summary_json(&r).unwrap()),
        ("timeseries.csv".into(), output::timeseries_csv(&r)),
        ("tasks.csv".into(), output::tasks_csv(&r)),
        ("events.csv".into(), output::events_csv(&r)),
        ("instances.csv".into(), output::instances_csv(&r)),
    ]
}

#[test]
fn same_seed_gives_identical_bytes() {
    let a = run_files("scenarios/quickstart.toml", &[]);
    let b = run_files("scenarios/quickstart.toml", &[]);
    assert_eq!(a, b);
    let c = run_files("scenarios/quickstart.toml", &["seed=43"]);
    assert_ne!(a[2], c[2], "another seed should change tasks.csv");
}

#[test]
fn identical_bytes_whatever_the_threads() {
    // Runs on other threads, concurrently, give the same bytes as a run on
    // this one: no global or thread-local state reaches the results.
    let here = run_files("scenarios/teaching/random.toml", &[]);
    let handles: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| run_files("scenarios/teaching/random.toml", &[])))
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), here);
    }
}

#[test]
fn spot_runs_are_deterministic_across_threads() {
    // Interruptions, reclaims, the agent's poll and pool choices all come
    // from seeded streams: a week of spot weather gives the same bytes on
    // any thread, and another seed changes it.
    let here = run_files("scenarios/spot-what-if.toml", &[]);
    let handles: Vec<_> = (0..3)
        .map(|_| std::thread::spawn(|| run_files("scenarios/spot-what-if.toml", &[])))
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), here);
    }
    let other = run_files("scenarios/spot-what-if.toml", &["seed=8"]);
    assert_ne!(
        other[4], here[4],
        "another seed should change instances.csv"
    );
}

#[test]
fn strategies_see_the_same_workload() {
    // Common random numbers: the job stream draws arrivals and durations from
    // its own streams, so binpack and random see the same submissions and the
    // same run times; only placement differs.
    let workload = |path: &str| -> Vec<(String, String)> {
        let sc = scenario::load(Path::new(path), &[]).unwrap();
        let r = Simulation::new(&sc.spec, sc.seed).run();
        r.tasks
            .iter()
            .filter(|t| t.owner == "reports")
            .map(|t| {
                let ran = match (t.running, t.stopped) {
                    (Some(a), Some(b)) => (b - a).to_string(),
                    _ => "-".into(),
                };
                (t.created.to_string(), ran)
            })
            .collect()
    };
    let a = workload("scenarios/teaching/binpack.toml");
    let b = workload("scenarios/teaching/random.toml");
    assert!(a.len() > 100);
    let created_a: Vec<_> = a.iter().map(|x| &x.0).collect();
    let created_b: Vec<_> = b.iter().map(|x| &x.0).collect();
    assert_eq!(created_a, created_b);
    let both_done = a.iter().zip(&b).filter(|(x, y)| x.1 != "-" && y.1 != "-");
    for (x, y) in both_done {
        assert_eq!(x.1, y.1, "run time of a task submitted at {}", x.0);
    }
}

const BASE: &str = r#"
name = "t"
duration = "1h"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.large"]
count = 2
[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "app", cpu = 256, memory = 512 }]
"#;

fn with(extra: &str) -> String {
    format!("{BASE}{extra}")
}

fn assert_has(errs: &[String], want: &str) {
    assert!(
        errs.iter().any(|e| e.contains(want)),
        "no error containing {want:?} in {errs:#?}"
    );
}

/// A scenario's and a sweep's `name` name their output folders under one
/// rule with one message (the scenario's used to say only "path
/// separators" and not which, nor that `.` and `..` are refused).
#[test]
fn scenario_and_sweep_names_share_one_folder_rule() {
    let want = "name: expected a non-empty name without `/` or `\\`, other than `.` or `..` (it names the output folder)";
    for bad in ["a/b", "..", ""] {
        let e = errors(&BASE.replacen("name = \"t\"", &format!("name = {bad:?}"), 1));
        assert_has(&e, &format!("tests/fixtures/inline.toml: {want}"));
        let sweep = format!("name = {bad:?}\nscenario = \"s.toml\"\nseed = 1\n");
        let e = match ecsim::sweep::file::parse(&sweep, Path::new("study.toml")) {
            Ok(_) => panic!("expected errors for:\n{sweep}"),
            Err(e) => e.issues(),
        };
        assert_has(&e, &format!("study.toml: {want}"));
    }
}

#[test]
fn errors_name_file_field_and_expectation() {
    // Unknown field, with the near match.
    let e = errors(&with(
        "[[services]]\nserviceName = \"web\"\ntaskDefinition = \"web\"\ndesiredCont = 2\n",
    ));
    assert_has(&e, "tests/fixtures/inline.toml: services[0].desiredCont: unknown field; did you mean `desiredCount`?");
    assert_has(&e, "services[0].desiredCount: missing required field");

    // Unknown instance type with suggestion.
    let e = errors(&BASE.replace("m6i.large", "m6i.lrage"));
    assert_has(&e, "instanceGroups[0].instanceTypes[0]: unknown instance type \"m6i.lrage\"; did you mean \"m6i.large\"?");

    // Impossible size: m6i.large registers 2048 cpu units.
    let e = errors(&with(
        "[[taskDefinitions]]\nfamily = \"big\"\ncpu = \"4 vCPU\"\nmemory = 1024\ncontainerDefinitions = [{ name = \"x\" }]\n[[services]]\nserviceName = \"b\"\ntaskDefinition = \"big\"\ndesiredCount = 1\n",
    ));
    assert_has(&e, "services[0].taskDefinition: task definition \"big\" reserves 4096 cpu units / 1024 MiB but no instance type");

    // A constraint no instance can satisfy.
    let e = errors(&with(
        "[[services]]\nserviceName = \"w\"\ntaskDefinition = \"web\"\ndesiredCount = 1\nplacementConstraints = [{ type = \"memberOf\", expression = \"attribute:ecs.instance-type =~ c7g.*\" }]\n",
    ));
    assert_has(&e, "services[0].placementConstraints: no instance the scenario can launch satisfies memberOf(attribute:ecs.instance-type =~ c7g.*)");

    // A parse error in a query expression, with its column.
    let e = errors(&with(
        "[[services]]\nserviceName = \"w\"\ntaskDefinition = \"web\"\ndesiredCount = 1\nplacementConstraints = [{ type = \"memberOf\", expression = \"attribute:ecs.instance-type ~= m6i.*\" }]\n",
    ));
    assert_has(
        &e,
        "services[0].placementConstraints[0].expression: column 29:",
    );

    // Durations, strategies, chain length.
    let e = errors(&BASE.replace("duration = \"1h\"", "duration = \"1 hour\""));
    assert_has(&e, "duration: expected a duration such as \"90s\"");
    let e = errors(&with(
        "[[services]]\nserviceName = \"w\"\ntaskDefinition = \"web\"\ndesiredCount = 1\nplacementStrategy = [{ type = \"binpack\", field = \"mem\" }, { type = \"sprad\" }]\n",
    ));
    assert_has(&e, "services[0].placementStrategy[0].field: binpack packs on \"cpu\" or \"memory\", found \"mem\"");
    assert_has(&e, "services[0].placementStrategy[1].type: expected one of \"binpack\", \"spread\" or \"random\", found \"sprad\" (did you mean \"spread\"?)");
    let six = "{ type = \"random\" }, ".repeat(6);
    let e = errors(&with(&format!(
        "[[services]]\nserviceName = \"w\"\ntaskDefinition = \"web\"\ndesiredCount = 1\nplacementStrategy = [{six}]\n"
    )));
    assert_has(&e, "at most 5 strategies may be chained (P5), found 6");

    // Unknown task definition reference.
    let e = errors(&with(
        "[[services]]\nserviceName = \"w\"\ntaskDefinition = \"wbe\"\ndesiredCount = 1\n",
    ));
    assert_has(
        &e,
        "services[0].taskDefinition: unknown task definition \"wbe\"; did you mean \"web\"?",
    );

    // Task definition rules (R3): more than 10 containers; memory below memoryReservation.
    let many: String = (0..11)
        .map(|i| format!("{{ name = \"c{i}\", memory = 64 }}, "))
        .collect();
    let e = errors(&with(&format!(
        "[[taskDefinitions]]\nfamily = \"many\"\ncontainerDefinitions = [{many}]\n"
    )));
    assert_has(&e, "taskDefinitions[1].containerDefinitions: a task definition has at most 10 containers (R3), found 11");
    let e = errors(&BASE.replace("memory = 512", "memory = 256, memoryReservation = 512"));
    assert_has(&e, "taskDefinitions[0].containerDefinitions[0].memory: the hard limit `memory` (256 MiB) must be at least `memoryReservation` (512 MiB)");

    // Syntax errors carry the TOML parser's line and column.
    let e = errors("name = \"x\"\nduration = \n");
    assert_has(&e, "tests/fixtures/inline.toml: invalid TOML");
    assert_has(&e, "line 2");

    // Every problem is reported, not just the first.
    let e = errors(
        &BASE
            .replace("count = 2", "count = -1")
            .replace("m6i.large", "nope.large"),
    );
    assert!(e.len() >= 2, "{e:#?}");
}

#[test]
fn task_definition_json_file_errors_name_the_json_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("td.json"),
        r#"{"taskDefinition": {"family": "web", "executionRoleArn": "arn:x", "containerDefinitions": [{"name": "a", "memory": 512, "essential": true, "cpuu": 5}]}}"#,
    )
    .unwrap();
    let text = BASE.replace(
        "family = \"web\"\ncontainerDefinitions = [{ name = \"app\", cpu = 256, memory = 512 }]",
        "file = \"td.json\"",
    );
    let path = dir.path().join("s.toml");
    std::fs::write(&path, &text).unwrap();
    let e = scenario::load(&path, &[]).unwrap_err().issues();
    let json = dir.path().join("td.json");
    assert_has(
        &e,
        &format!(
            "{}: containerDefinitions[0].cpuu: unknown field; did you mean `cpu`?",
            json.display()
        ),
    );
    // Without the typo it loads: ECS fields that are not modelled are accepted.
    std::fs::write(&json, r#"{"family": "web", "executionRoleArn": "arn:x", "containerDefinitions": [{"name": "a", "memory": 512, "essential": true, "cpu": 5}]}"#).unwrap();
    assert!(scenario::load(&path, &[]).is_ok());
}

#[test]
fn trace_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.csv"),
        "arrival_s,duration_s\n0,60\n30,abc\n",
    )
    .unwrap();
    let text = with("[[batchJobs]]\nname = \"j\"\ntaskDefinition = \"web\"\narrivals = { type = \"trace\", path = \"t.csv\" }\n");
    let path = dir.path().join("s.toml");
    std::fs::write(&path, text).unwrap();
    let e = scenario::load(&path, &[]).unwrap_err().issues();
    assert_has(&e, "batchJobs[0].arrivals.path:");
    assert_has(
        &e,
        "t.csv: line 3: `duration_s` must be a non-negative number, found \"abc\"",
    );
}

#[test]
fn overrides() {
    let ok = scenario::load(
        Path::new("scenarios/quickstart.toml"),
        &[
            "services.web.desiredCount=9".into(),
            "cluster.tieBreak=lowest-id".into(),
        ],
    )
    .unwrap();
    match &ok.spec.services[0].kind {
        ecsim::engine::ServiceKind::Replica { desired, .. } => assert_eq!(*desired, 9),
        k => panic!("{k:?}"),
    }
    let err = scenario::load(
        Path::new("scenarios/quickstart.toml"),
        &["services.api.desiredCount=9".into()],
    )
    .unwrap_err();
    assert!(matches!(err, ScenarioError::Override { .. }));
    assert!(err.to_string().contains("no element named `api`"));
    // An override is validated like the file.
    let err = scenario::load(
        Path::new("scenarios/quickstart.toml"),
        &["services.web.desiredCount=lots".into()],
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("services[0].desiredCount: expected an integer, found a string"),
        "{err}"
    );
}

fn ecsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecsim"))
}

#[test]
fn cli_run_validate_explain() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("qs");
    let o = ecsim()
        .args(["run", "scenarios/quickstart.toml", "--out"])
        .arg(&out)
        .args(["--set", "duration=\"3h\""])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("quickstart: seed 42"), "{stdout}");
    for f in [
        "summary.json",
        "timeseries.csv",
        "tasks.csv",
        "events.csv",
        "timing.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, BASE.replace("m6i.large", "m6i.lrage")).unwrap();
    let o = ecsim().arg("validate").arg(&bad).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("instanceGroups[0].instanceTypes[0]"),
        "{stderr}"
    );
    // A failed run writes nothing.
    let o = ecsim()
        .arg("run")
        .arg(&bad)
        .arg("--out")
        .arg(dir.path().join("none"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.path().join("none").exists());

    let o = ecsim()
        .args([
            "explain",
            "scenarios/teaching/spread-az-binpack.toml",
            "--first",
            "2",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("decision 1"), "{text}");
    assert!(
        text.contains("spread(attribute:ecs.availability-zone)"),
        "{text}"
    );
    assert!(text.contains("=> placed on"), "{text}");
}

#[test]
fn format_reference_example_is_valid_toml() {
    // The example in scenarios/README.md is what users copy from.
    let text = std::fs::read_to_string("scenarios/README.md").expect("format reference");
    let block = text
        .split("```toml")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a toml block");
    if let Err(e) = block.parse::<toml::Table>() {
        panic!("scenarios/README.md example: {e}");
    }
}
