//! The HTML report (`ecsim report`): the same folder gives the same bytes,
//! the page is self-contained, its narration of each decision is what
//! `ecsim explain` prints with the chosen instance matched to the task it
//! placed, side by side and compare folders, and the errors (a folder of
//! another run, a folder that is no result folder).

use std::path::{Path, PathBuf};
use std::process::Command;

use ecsim::engine::{ExplainWindow, Simulation};
use ecsim::output;
use ecsim::report::{self, Options, ReportError};
use ecsim::scenario;
use serde_json::Value;

const BINPACK: &str = "scenarios/teaching/binpack.toml";
const SPREAD: &str = "scenarios/teaching/spread-az-instance.toml";

fn one_hour() -> Vec<String> {
    vec!["duration=\"1h\"".to_string()]
}

/// Runs `file` for one hour into `dir`.
fn small_run(file: &str, dir: &Path) {
    let sc = scenario::load(Path::new(file), &one_hour()).unwrap();
    let result = Simulation::new(&sc.spec, sc.seed).run();
    output::write_run(dir, &result, None).unwrap();
}

fn opts() -> Options {
    Options {
        set: one_hour(),
        ..Options::default()
    }
}

/// The JSON document embedded in a page.
fn data_of(html: &str) -> Value {
    let open = "<script id=\"data\" type=\"application/json\">";
    let start = html.find(open).unwrap() + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end].replace("<\\/", "</")).unwrap()
}

#[test]
fn same_folder_same_bytes_and_nothing_fetched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("binpack");
    small_run(BINPACK, &dir);
    let (a, _) = report::render(std::slice::from_ref(&dir), &opts()).unwrap();
    let (b, runs) = report::render(std::slice::from_ref(&dir), &opts()).unwrap();
    assert_eq!(a, b, "two reports of one folder differ");
    assert_eq!(runs.len(), 1);
    // Self-contained: no external script, style sheet, image or URL other
    // than the SVG namespace.
    for bad in ["<script src", "<link", "<img", "@import", "url("] {
        assert!(!a.contains(bad), "the page contains `{bad}`");
    }
    let urls = a.matches("http://").count() + a.matches("https://").count();
    assert_eq!(
        urls,
        a.matches("http://www.w3.org/2000/svg").count(),
        "a URL other than the SVG namespace"
    );
    // A teaching run's page stays small.
    assert!(a.len() < 1_000_000, "{} bytes", a.len());
    // The same folder reached by another path gives the same bytes too.
    let other: PathBuf = tmp.path().join(".").join("binpack");
    let (c, _) = report::render(&[other], &opts()).unwrap();
    assert_eq!(a, c);
}

#[test]
fn narration_is_explains_and_the_chosen_instance_holds_the_task() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("spread");
    small_run(SPREAD, &dir);
    let (html, runs) = report::render(std::slice::from_ref(&dir), &opts()).unwrap();
    let doc = data_of(&html);
    let run = &doc["runs"][0];
    let decisions = run["decisions"].as_array().unwrap();
    assert_eq!(runs[0].1, decisions.len());
    assert_eq!(
        decisions.len() as u64,
        run["decisionsTotal"].as_u64().unwrap(),
        "every decision of a teaching run is narrated"
    );
    // Decision 9 as `ecsim explain --task 9` narrates it.
    let sc = scenario::load(Path::new(SPREAD), &one_hour()).unwrap();
    let mut sim = Simulation::new(&sc.spec, sc.seed);
    sim.explain(ExplainWindow::Only(9));
    let ex = sim.run().explanations;
    assert_eq!(ex.len(), 1);
    let d9 = &decisions[8];
    assert_eq!(d9[0], 9);
    assert_eq!(d9[2].as_str().unwrap(), ex[0].time.to_string());
    assert_eq!(d9[3].as_str().unwrap(), ex[0].source);
    assert_eq!(d9[4].as_str().unwrap(), ex[0].text);
    // Every placed decision points at an instance and at the task it
    // placed, and that task is on that instance in tasks.csv.
    let tasks = run["tasks"].as_array().unwrap();
    let instances = run["instances"].as_array().unwrap();
    let csv = std::fs::read_to_string(dir.join("tasks.csv")).unwrap();
    for d in decisions {
        let inst = d[5].as_u64().expect("a placed decision names its instance") as usize;
        let task = d[6].as_u64().expect("a placed decision names its task");
        let row = tasks.iter().find(|t| t[0] == task).unwrap();
        assert_eq!(row[2].as_u64().unwrap() as usize, inst);
        assert_eq!(row[10], d[0], "the task points back at its decision");
        let id = instances[inst][0].as_str().unwrap();
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("{task},")))
            .unwrap();
        assert!(line.contains(id), "task {task}: {line} is not on {id}");
        let text = d[4].as_str().unwrap();
        assert!(text.contains("=> placed on "), "{text}");
    }
    // Registered resources come from the run: an m6i.large registers
    // 2048 cpu units (ECS-MODEL R2).
    let m6i = instances.iter().find(|i| i[1] == "m6i.large").unwrap();
    assert_eq!(m6i[5], 2048);
}

#[test]
fn two_folders_side_by_side_and_the_command() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("binpack");
    let b = tmp.path().join("spread");
    small_run(BINPACK, &a);
    small_run(SPREAD, &b);
    let out = Command::new(env!("CARGO_BIN_EXE_ecsim"))
        .args(["report", "--set", "duration=\"1h\""])
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = tmp.path().join("report-binpack-vs-spread.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let doc = data_of(&html);
    let labels: Vec<&str> = doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["binpack", "spread"]);
    // Same arrivals (common random numbers): decision 1 is the same task
    // request in both, placed by different strategies.
    let d1 = |k: usize| {
        doc["runs"][k]["decisions"][0][4]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(d1(0).contains("binpack(memory)"));
    assert!(d1(1).contains("spread(instanceId)"));
}

#[test]
fn a_compare_folder_shows_its_variants() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("compare");
    let out = Command::new(env!("CARGO_BIN_EXE_ecsim"))
        .args([
            "compare",
            "scenarios/cost/steady.toml",
            "--set",
            "duration=\"2h\"",
            "--variants",
            "ec2,fargate",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let o = Options {
        set: vec!["duration=\"2h\"".to_string()],
        ..Options::default()
    };
    let w = report::write_report(std::slice::from_ref(&dir), &o).unwrap();
    assert_eq!(w.path, dir.join("report.html"));
    let names: Vec<&str> = w.runs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["ec2", "fargate"]);
    // B2: the timeline's cost rate has the Fargate tasks' bill of each hour,
    // from the variant's ledger; the EC2 variant has none.
    let ledger = std::fs::read_to_string(dir.join("fargate/cost.csv")).unwrap();
    let hour0: f64 = ledger
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|c| c[0] == "0" && c[2].starts_with("FARGATE"))
        .map(|c| c[3].parse::<f64>().unwrap() + c[5].parse::<f64>().unwrap())
        .sum();
    assert!(hour0 > 0.0);
    let html = std::fs::read_to_string(&w.path).unwrap();
    assert_eq!(html.matches("\"fargate_usd_per_hour\":[").count(), 1);
    let at = html.find("\"fargate_usd_per_hour\":[").unwrap() + 24;
    let first: f64 = html[at..]
        .split([',', ']'])
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((first - hour0).abs() < 1e-4, "{first} vs {hour0}");
}

#[test]
fn a_folder_of_another_run_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("binpack");
    small_run(BINPACK, &dir);
    // Without the one-hour override the re-run is an eight-hour run.
    let err = report::render(std::slice::from_ref(&dir), &Options::default()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ReportError::Folder { .. }), "{msg}");
    assert!(
        msg.contains("tasks.csv") && msg.contains("differs from a re-run"),
        "{msg}"
    );
    // Not a result folder at all.
    let err = report::render(&[tmp.path().to_path_buf()], &opts()).unwrap_err();
    assert!(err.to_string().contains("summary.json"), "{err}");
    // A scenario nobody ships.
    let o = Options {
        search: tmp.path().to_path_buf(),
        ..opts()
    };
    let err = report::render(std::slice::from_ref(&dir), &o).unwrap_err();
    assert!(err.to_string().contains("--scenario"), "{err}");
}

#[test]
fn text_columns_of_the_timeseries_are_left_out_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("binpack");
    small_run(BINPACK, &dir);
    // An alarm-state column, as target tracking writes (`ok`, `alarm`).
    let path = dir.join("timeseries.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let with: String = text
        .lines()
        .enumerate()
        .map(|(k, l)| format!("{l},{}\n", if k == 0 { "api.alarm" } else { "ok" }))
        .collect();
    std::fs::write(&path, with).unwrap();
    let (html, _) = report::render(std::slice::from_ref(&dir), &opts()).unwrap();
    let series = &data_of(&html)["runs"][0]["series"];
    assert!(series.get("api.alarm").is_none());
    assert!(series["cpu_reservation_pct"].as_array().unwrap().len() > 50);
    // A time column that is not a number is an error naming file, line and column.
    std::fs::write(&path, "time_s,x\nsoon,1\n").unwrap();
    let err = report::render(std::slice::from_ref(&dir), &opts())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("timeseries.csv") && err.contains("line 2") && err.contains("time_s"),
        "{err}"
    );
}

#[test]
fn run_with_report_writes_the_same_page_as_report() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("random");
    let out = Command::new(env!("CARGO_BIN_EXE_ecsim"))
        .args([
            "run",
            "scenarios/teaching/random.toml",
            "--set",
            "duration=\"1h\"",
            "--seed",
            "3",
            "--report",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let (html, _) = report::render(std::slice::from_ref(&dir), &opts()).unwrap();
    assert_eq!(written, html);
    assert_eq!(data_of(&html)["runs"][0]["seed"], 3);
}

#[test]
fn the_instances_a_filter_removed_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("binpack");
    small_run(BINPACK, &dir);
    let (html, _) = report::render(std::slice::from_ref(&dir), &opts()).unwrap();
    let doc = data_of(&html);
    let run = &doc["runs"][0];
    let mut seen = 0;
    for d in run["decisions"].as_array().unwrap() {
        let text = d[4].as_str().unwrap();
        let lines = text
            .lines()
            .filter(|l| l.contains(" filtered out: "))
            .count();
        let named = d[7].as_array().unwrap();
        assert_eq!(named.len(), lines, "{text}");
        for k in named {
            // A filtered instance is not the chosen one.
            assert_ne!(Some(k), d.get(5), "{text}");
        }
        seen += lines;
    }
    // binpack fills one instance until the resource filter removes it
    // (ECS-MODEL P1: candidates need enough remaining CPU and memory).
    assert!(seen > 0, "no decision filtered an instance out");
}
