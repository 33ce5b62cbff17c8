//! Sweeps: expansion order, run seeds, determinism across threads, shards
//! and merge, resume, atomic writes, errors, and the shipped sweep files.

use std::path::{Path, PathBuf};
use std::process::Command;

use ecsim::sweep::{self, Options, Report, Shard, Sweep, SweepError};

/// The teaching scenario, by absolute path so sweep files in a temporary
/// folder can name it.
fn base() -> String {
    std::env::current_dir()
        .unwrap()
        .join("scenarios/teaching/binpack.toml")
        .display()
        .to_string()
        .replace('\\', "/")
}

/// A small sweep: count [6, 9] x zip(strategy of the service and the jobs,
/// two values) x 2 seeds = 8 runs of two simulated hours.
fn small_sweep(extra: &str) -> String {
    format!(
        r#"
name = "small"
scenario = "{}"
seed = 11
seeds = 2
set = ['duration="2h"']
{extra}
[parameters]
"instanceGroups.nodes.count" = [6, 9]

[[zip]]
"services.api.placementStrategy" = ['[{{type="binpack", field="memory"}}]', '[{{type="random"}}]']
"batchJobs.reports.placementStrategy" = ['[{{type="binpack", field="memory"}}]', '[{{type="random"}}]']
"#,
        base()
    )
}

/// Writes `text` as `name` in `dir` and loads it.
fn load(dir: &Path, name: &str, text: &str) -> Result<Sweep, SweepError> {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    Sweep::load(&path)
}

fn run(sw: &Sweep, out: &Path, jobs: usize, shard: Option<&str>, resume: bool) -> Report {
    let opts = Options {
        jobs,
        shard: shard.map(|s| Shard::parse(s).unwrap()),
        resume,
    };
    sweep::run(sw, out, &opts, &|_| {}).unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// runs.csv, aggregate.csv, sweep.json and the run log of a folder.
fn tables(dir: &Path) -> [String; 4] {
    [
        read(&dir.join("runs.csv")),
        read(&dir.join("aggregate.csv")),
        read(&dir.join("sweep.json")),
        read(&dir.join("runs/runs.jsonl")),
    ]
}

/// The run ids of the lines of a folder's `runs/runs.jsonl`, in order.
fn logged(dir: &Path) -> Vec<String> {
    read(&dir.join("runs/runs.jsonl"))
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["run_id"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Removes the lines of runs `ids` from a folder's run log, as if they had
/// never finished.
fn forget(dir: &Path, ids: &[&str]) {
    let path = dir.join("runs/runs.jsonl");
    let kept: String = read(&path)
        .lines()
        .filter(|l| {
            !ids.iter()
                .any(|id| l.contains(&format!("\"run_id\":\"{id}\"")))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, kept).unwrap();
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn grid_then_zip_then_seeds_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let sw = load(tmp.path(), "s.toml", &small_sweep("")).unwrap();
    assert_eq!(
        sw.parameters,
        [
            "instanceGroups.nodes.count",
            "services.api.placementStrategy",
            "batchJobs.reports.placementStrategy"
        ]
    );
    // First axis slowest; the zip group is one axis; its paths move together.
    let labels: Vec<Vec<String>> = sw.combinations.iter().map(|c| c.labels.clone()).collect();
    let bp = r#"[{type="binpack", field="memory"}]"#.to_string();
    let rnd = r#"[{type="random"}]"#.to_string();
    assert_eq!(
        labels,
        [
            vec!["6".to_string(), bp.clone(), bp.clone()],
            vec!["6".to_string(), rnd.clone(), rnd.clone()],
            vec!["9".to_string(), bp.clone(), bp],
            vec!["9".to_string(), rnd.clone(), rnd],
        ]
    );
    // The values reached the scenario.
    assert_eq!(sw.combinations[2].spec.instance_groups[0].count, 9);
    assert_eq!(sw.combinations[0].spec.horizon.0, 2 * 3600 * 1000);
    // Seeds innermost; ids zero-padded.
    let runs = sw.runs();
    assert_eq!(sw.total_runs(), 8);
    let shape: Vec<(usize, &str, usize, u32)> = runs
        .iter()
        .map(|r| (r.index, r.id.as_str(), r.combination, r.seed_index))
        .collect();
    assert_eq!(
        shape,
        [
            (0, "r0000", 0, 0),
            (1, "r0001", 0, 1),
            (2, "r0002", 1, 0),
            (3, "r0003", 1, 1),
            (4, "r0004", 2, 0),
            (5, "r0005", 2, 1),
            (6, "r0006", 3, 0),
            (7, "r0007", 3, 1),
        ]
    );
}

#[test]
fn run_seed_follows_the_seed_index_only() {
    let tmp = tempfile::tempdir().unwrap();
    let sw = load(tmp.path(), "s.toml", &small_sweep("")).unwrap();
    let runs = sw.runs();
    for a in &runs {
        for b in &runs {
            assert_eq!(
                a.seed == b.seed,
                a.seed_index == b.seed_index,
                "{a:?} {b:?}"
            );
        }
    }
    assert_eq!(runs[0].seed, sweep::run_seed(11, 0));
    // Common random numbers: with the same seed index, every combination
    // sees the same job submissions.
    let out = tmp.path().join("out");
    run(&sw, &out, 2, None, false);
    let csv = read(&out.join("runs.csv"));
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = head
        .iter()
        .position(|h| *h == "jobs.reports.submitted")
        .unwrap();
    let seed_col = head.iter().position(|h| *h == "seed_index").unwrap();
    // Parameter cells hold quoted commas: split on the last columns only.
    let rows: Vec<Vec<String>> = lines
        .map(|l| {
            let mut r = csv_split(l);
            r.truncate(head.len());
            r
        })
        .collect();
    for seed_index in ["0", "1"] {
        let submitted: Vec<&str> = rows
            .iter()
            .filter(|r| r[seed_col] == seed_index)
            .map(|r| r[col].as_str())
            .collect();
        assert_eq!(submitted.len(), 4);
        assert!(
            submitted.iter().all(|s| *s == submitted[0]),
            "{submitted:?}"
        );
    }
}

/// Splits one CSV line (quotes with doubled quotes inside).
fn csv_split(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().unwrap().push(c),
        }
    }
    out
}

#[test]
fn tables_have_one_row_per_run_and_per_combination() {
    let tmp = tempfile::tempdir().unwrap();
    let sw = load(tmp.path(), "s.toml", &small_sweep("")).unwrap();
    let out = tmp.path().join("out");
    let report = run(&sw, &out, 2, None, false);
    assert_eq!((report.ran, report.skipped, report.selected), (8, 0, 8));
    let [runs, agg, _, _] = tables(&out);
    assert_eq!(runs.lines().count(), 1 + 8);
    assert_eq!(agg.lines().count(), 1 + 4);
    let head = runs.lines().next().unwrap();
    assert!(head.starts_with("run_id,run_index,seed_index,seed,instanceGroups.nodes.count,services.api.placementStrategy,batchJobs.reports.placementStrategy,"), "{head}");
    // Metrics come from the summary, names dotted, lists keyed by name.
    for m in [
        "instances_in_use_mean",
        "services.api.running_ratio_mean",
        "jobs.reports.submitted",
    ] {
        assert!(head.split(',').any(|h| h == m), "{m} missing in {head}");
    }
    let agg_head: Vec<String> = csv_split(agg.lines().next().unwrap());
    let i = agg_head.iter().position(|h| h == "runs").unwrap();
    assert_eq!(i, 3);
    assert_eq!(
        agg_head[i + 1..i + 7],
        [
            "horizon_s.mean",
            "horizon_s.std",
            "horizon_s.ci95_low",
            "horizon_s.ci95_high",
            "horizon_s.min",
            "horizon_s.max"
        ]
    );
    let first = csv_split(agg.lines().nth(1).unwrap());
    assert_eq!(
        first[..4],
        [
            "6",
            r#"[{type="binpack", field="memory"}]"#,
            r#"[{type="binpack", field="memory"}]"#,
            "2"
        ]
    );
    assert_eq!(first[4..10], ["7200", "0", "7200", "7200", "7200", "7200"]);
    // No temporary file is left behind.
    let tmp_files: Vec<PathBuf> = files_under(&out)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(tmp_files.is_empty(), "{tmp_files:?}");
    // The run log, whole and in run order: one line per run.
    assert_eq!(
        files_under(&out.join("runs")),
        [out.join("runs/runs.jsonl")]
    );
    let ids: Vec<String> = (0..8).map(|i| format!("r{i:04}")).collect();
    assert_eq!(logged(&out), ids);
}

#[test]
fn one_thread_or_four_give_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let sw = load(tmp.path(), "s.toml", &small_sweep("")).unwrap();
    run(&sw, &tmp.path().join("one"), 1, None, false);
    run(&sw, &tmp.path().join("four"), 4, None, false);
    assert_eq!(
        tables(&tmp.path().join("one")),
        tables(&tmp.path().join("four"))
    );
}

#[test]
fn shards_merge_into_the_single_machine_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let sw = load(tmp.path(), "s.toml", &small_sweep("")).unwrap();
    let full = tmp.path().join("full");
    run(&sw, &full, 2, None, false);
    let s1 = tmp.path().join("s1");
    let s2 = tmp.path().join("s2");
    let r1 = run(&sw, &s1, 1, Some("1/2"), false);
    let r2 = run(&sw, &s2, 1, Some("2/2"), false);
    assert_eq!((r1.selected, r2.selected), (4, 4));
    // A shard writes its part of runs.csv (round robin) and no aggregate.
    let part = read(&s2.join("runs.csv"));
    let ids: Vec<&str> = part.lines().skip(1).map(|l| &l[..5]).collect();
    assert_eq!(ids, ["r0001", "r0003", "r0005", "r0007"]);
    assert!(!s2.join("aggregate.csv").exists());
    assert!(read(&s2.join("sweep.json")).contains("\"shard\": \"2/2\""));

    let merged = tmp.path().join("merged");
    sweep::merge(&[s2.clone(), s1.clone()], &merged).unwrap();
    assert_eq!(tables(&merged), tables(&full));
    assert_eq!(
        files_under(&merged.join("runs")),
        [merged.join("runs/runs.jsonl")]
    );

    // Refusals: a missing shard, a shard given twice, shards of another sweep.
    let e = sweep::merge(std::slice::from_ref(&s1), &tmp.path().join("m2"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("are in none of the folders") && e.contains("missing shards: 2/2"),
        "{e}"
    );
    let e = sweep::merge(
        &[s1.clone(), s1.clone(), s2.clone()],
        &tmp.path().join("m3"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("is in two folders"), "{e}");
    let other = load(
        tmp.path(),
        "o.toml",
        &small_sweep("").replace("seed = 11", "seed = 12"),
    )
    .unwrap();
    let o2 = tmp.path().join("o2");
    run(&other, &o2, 1, Some("2/2"), false);
    let e = sweep::merge(&[s1.clone(), o2], &tmp.path().join("m4"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("shards of different sweeps cannot be merged"),
        "{e}"
    );
    // A shard whose runs are not all there (interrupted).
    forget(&s2, &["r0003"]);
    let e = sweep::merge(&[s1, s2], &tmp.path().join("m5"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("has not finished runs r0003") && e.contains("--resume"),
        "{e}"
    );
}

#[test]
fn resume_runs_only_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let sw = load(tmp.path(), "s.toml", &small_sweep("")).unwrap();
    let full = tmp.path().join("full");
    run(&sw, &full, 2, None, false);

    // An interrupted sweep: shard 1/3 finished (runs 0, 3, 6), one more run
    // cut short in a part of the log when the process was killed, and a
    // temporary file of an earlier version left.
    let dir = tmp.path().join("dir");
    run(&sw, &dir, 1, Some("1/3"), false);
    let kept = read(&dir.join("runs/runs.jsonl"));
    let four = read(&full.join("runs/runs.jsonl"))
        .lines()
        .nth(4)
        .unwrap()
        .to_string();
    std::fs::write(dir.join("runs/part-0000.jsonl"), &four[..four.len() / 2]).unwrap();
    std::fs::write(dir.join("runs/.r0004.json.ecsim-tmp-1-0"), "{\"partial").unwrap();
    let report = run(&sw, &dir, 2, None, true);
    assert_eq!((report.skipped, report.ran, report.selected), (3, 5, 8));
    assert_eq!(tables(&dir), tables(&full));
    // The runs kept are copied over byte for byte.
    for line in kept.lines() {
        assert!(read(&dir.join("runs/runs.jsonl")).contains(line));
    }
    assert_eq!(
        files_under(&dir.join("runs")),
        [dir.join("runs/runs.jsonl")]
    );

    // A killed run: its line is missing; resume runs just that one.
    forget(&dir, &["r0005"]);
    let report = run(&sw, &dir, 2, None, true);
    assert_eq!((report.skipped, report.ran), (7, 1));
    assert_eq!(tables(&dir), tables(&full));
    // Everything there: nothing to run.
    let report = run(&sw, &dir, 2, None, true);
    assert_eq!(report.ran, 0);
    assert_eq!(tables(&dir), tables(&full));
}

/// A sweep killed while it ran keeps every run whose line is whole in its
/// part of the log: a later line of a run replaces an earlier one, and a
/// bad complete line is an error naming the file and the line.
#[test]
fn parts_of_the_run_log_are_read_in_order_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let sw = load(tmp.path(), "s.toml", &small_sweep("")).unwrap();
    let full = tmp.path().join("full");
    run(&sw, &full, 2, None, false);
    let lines: Vec<String> = read(&full.join("runs/runs.jsonl"))
        .lines()
        .map(String::from)
        .collect();

    // Runs 0-2 in the whole log, runs 2-5 in two parts (out of order, as
    // jobs end them), run 6 cut short: 6 and 7 are run again.
    let dir = tmp.path().join("dir");
    std::fs::create_dir_all(dir.join("runs")).unwrap();
    let join =
        |ids: &[usize]| -> String { ids.iter().map(|&i| format!("{}\n", lines[i])).collect() };
    std::fs::write(dir.join("runs/runs.jsonl"), join(&[0, 1, 2])).unwrap();
    std::fs::write(dir.join("runs/part-0003.jsonl"), join(&[3, 2])).unwrap();
    let cut = format!("{}{}", join(&[5, 4]), &lines[6][..40]);
    std::fs::write(dir.join("runs/part-0010.jsonl"), cut).unwrap();
    let report = run(&sw, &dir, 2, None, true);
    assert_eq!((report.skipped, report.ran), (6, 2));
    assert_eq!(tables(&dir), tables(&full));
    assert_eq!(
        files_under(&dir.join("runs")),
        [dir.join("runs/runs.jsonl")]
    );

    let resume_fails = || {
        let opts = Options {
            jobs: 1,
            shard: None,
            resume: true,
        };
        sweep::run(&sw, &dir, &opts, &|_| {})
            .unwrap_err()
            .to_string()
    };
    // A complete line that is not a run record.
    std::fs::write(
        dir.join("runs/part-0002.jsonl"),
        format!("{}\n{{\"oops\n", lines[1]),
    )
    .unwrap();
    let e = resume_fails();
    assert!(
        e.contains("part-0002.jsonl: line 2: not a run record"),
        "{e}"
    );
    // A line of this sweep that is not the run it says.
    let swapped = lines[1].replace("\"run_id\":\"r0001\"", "\"run_id\":\"r0002\"");
    std::fs::write(dir.join("runs/part-0002.jsonl"), format!("{swapped}\n")).unwrap();
    let e = resume_fails();
    assert!(
        e.contains("part-0002.jsonl: line 1: does not match run r0001"),
        "{e}"
    );
}

/// Folders written by earlier versions hold one pretty-printed file per
/// run: they are read, resumed, and their records go into the run log.
#[test]
fn run_files_of_earlier_versions_are_read_into_the_log() {
    let tmp = tempfile::tempdir().unwrap();
    let sw = load(tmp.path(), "s.toml", &small_sweep("")).unwrap();
    let full = tmp.path().join("full");
    run(&sw, &full, 2, None, false);
    let dir = tmp.path().join("dir");
    std::fs::create_dir_all(dir.join("runs")).unwrap();
    for line in read(&full.join("runs/runs.jsonl")).lines().take(5) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = v["run_id"].as_str().unwrap();
        let pretty = serde_json::to_string_pretty(&v).unwrap() + "\n";
        std::fs::write(dir.join(format!("runs/{id}.json")), pretty).unwrap();
    }
    let report = run(&sw, &dir, 1, None, true);
    assert_eq!((report.skipped, report.ran), (5, 3));
    assert_eq!(tables(&dir), tables(&full));
    assert_eq!(
        files_under(&dir.join("runs")),
        [dir.join("runs/runs.jsonl")]
    );
}

/// A sweep killed at the swap, after its new folder (tables only) was
/// renamed into place and before the old folder's `runs/` moved over: the
/// next sweep into the folder moves the run log back first, and finds
/// every run done.
#[test]
fn a_kill_at_the_swap_loses_no_run_file() {
    let tmp = tempfile::tempdir().unwrap();
    let sw = load(tmp.path(), "s.toml", &small_sweep("")).unwrap();
    let dir = tmp.path().join("dir");
    run(&sw, &dir, 2, None, false);
    let before = tables(&dir);
    let old = tmp.path().join(".dir.ecsim-old-999999-0");
    std::fs::rename(&dir, &old).unwrap();
    std::fs::create_dir(&dir).unwrap();
    for name in ["sweep.json", "runs.csv", "aggregate.csv"] {
        std::fs::copy(old.join(name), dir.join(name)).unwrap();
    }
    let report = run(&sw, &dir, 2, None, true);
    assert_eq!((report.skipped, report.ran), (8, 0));
    assert_eq!(tables(&dir), before);
    assert_eq!(logged(&dir).len(), 8);
    assert!(!old.exists());
}

#[test]
fn a_folder_of_another_sweep_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let sw = load(tmp.path(), "s.toml", &small_sweep("")).unwrap();
    let other = load(
        tmp.path(),
        "o.toml",
        &small_sweep("").replace("seeds = 2", "seeds = 1"),
    )
    .unwrap();
    let dir = tmp.path().join("dir");
    run(&sw, &dir, 2, Some("1/4"), false);
    for resume in [false, true] {
        let e = sweep::run(
            &other,
            &dir,
            &Options {
                jobs: 1,
                shard: None,
                resume,
            },
            &|_| {},
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("holds results of another sweep"), "{e}");
    }
    // Also when only the run log is left (no manifest).
    std::fs::remove_file(dir.join("sweep.json")).unwrap();
    let e = sweep::run(&other, &dir, &Options::default(), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("runs.jsonl: line 1: holds results of another sweep"),
        "{e}"
    );
    // The same sweep without --resume just runs again over its own files.
    let report = run(&sw, &dir, 2, None, false);
    assert_eq!(report.ran, 8);
    // Tables and a manifest of another sweep, with no run, are replaced.
    std::fs::remove_dir_all(dir.join("runs")).unwrap();
    let report = run(&other, &dir, 2, None, false);
    assert_eq!(report.ran, 4);
    assert_eq!(read(&dir.join("runs.csv")).lines().count(), 1 + 4);
    assert!(read(&dir.join("sweep.json")).contains(&other.fingerprint));
}

#[test]
fn invalid_sweeps_are_reported_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    // A path that names nothing.
    let text = small_sweep("").replace(
        "services.api.placementStrategy",
        "services.nope.placementStrategy",
    );
    let e = load(tmp.path(), "bad-path.toml", &text)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bad-path.toml: zip[0].\"services.nope.placementStrategy\": not a path of the scenario: no element named `nope`"),
        "{e}"
    );
    // Bad values: every invalid combination is listed, with the scenario's field.
    let text = small_sweep("").replace("[6, 9]", "[-1, 9, \"many\"]");
    let e = load(tmp.path(), "bad-value.toml", &text).unwrap_err();
    let lines = e.issues();
    assert_eq!(lines.len(), 4, "{lines:#?}"); // 2 bad counts x 2 strategies
    assert!(
        lines[0].contains("bad-value.toml: combination 0 (instanceGroups.nodes.count=-1, ")
            && lines[0].contains("instanceGroups[0].count"),
        "{lines:#?}"
    );
    assert!(
        lines[3].contains("combination 5 (instanceGroups.nodes.count=many, "),
        "{lines:#?}"
    );
    // A misspelt field reaches the scenario's unknown-field check.
    let text = small_sweep("").replace("instanceGroups.nodes.count", "instanceGroups.nodes.cuont");
    let e = load(tmp.path(), "typo.toml", &text)
        .unwrap_err()
        .to_string();
    assert!(e.contains("cuont"), "{e}");
    // Zip lists of different lengths.
    let text = small_sweep("").replace(
        "['[{type=\"binpack\", field=\"memory\"}]', '[{type=\"random\"}]']\n\"batchJobs",
        "['[{type=\"random\"}]']\n\"batchJobs",
    );
    let e = load(tmp.path(), "zip.toml", &text).unwrap_err().to_string();
    assert!(e.contains("must have the same length"), "{e}");
    // A missing base scenario.
    let text = small_sweep("").replace(&base(), "nowhere.toml");
    let e = load(tmp.path(), "missing.toml", &text)
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.toml: scenario: cannot read"), "{e}");
    // A bad fixed override.
    let text = small_sweep("").replace(
        "set = ['duration=\"2h\"']",
        "set = ['services[7].desiredCount=2']",
    );
    let e = load(tmp.path(), "set.toml", &text).unwrap_err().to_string();
    assert!(
        e.contains("set[0]: `services[7].desiredCount=2`: index 7 is out of range"),
        "{e}"
    );
}

fn ecsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecsim"))
}

#[test]
fn cli_sweep_shard_merge_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("small.toml");
    std::fs::write(&file, small_sweep("")).unwrap();
    let f = file.to_str().unwrap();
    let out = |name: &str| tmp.path().join(name).display().to_string();

    let o = ecsim()
        .args(["sweep", f, "--validate-only"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("4 combinations x 2 seeds = 8 runs"));

    let o = ecsim()
        .args(["sweep", f, "--jobs", "2", "--out", &out("full")])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for k in ["1/2", "2/2"] {
        let dir = out(&format!("s{}", &k[..1]));
        let o = ecsim()
            .args(["sweep", f, "--shard", k, "--out", &dir])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let o = ecsim()
        .args(["merge", &out("s1"), &out("s2"), "--out", &out("merged")])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        tables(&tmp.path().join("merged")),
        tables(&tmp.path().join("full"))
    );

    for bad in ["3/2", "0/2", "x"] {
        let o = ecsim().args(["sweep", f, "--shard", bad]).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&o.stderr).contains(&format!("--shard {bad}:")));
    }
    let o = ecsim().args(["sweep", f, "--jobs", "0"]).output().unwrap();
    assert!(!o.status.success());
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, small_sweep("").replace("[6, 9]", "[-1, 9]")).unwrap();
    let o = ecsim()
        .args(["sweep", bad.to_str().unwrap(), "--out", &out("bad")])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("combination 0"));
    assert!(
        !tmp.path().join("bad").exists(),
        "nothing runs when a combination is invalid"
    );
}

#[test]
fn shipped_sweeps_validate() {
    for f in crate::common::toml_files("scenarios/sweeps") {
        let sw = Sweep::load(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(sw.total_runs() > 0);
    }
}

/// A session driven from outside (as a cluster driver does): run records
/// computed by `run_record` out of order and stored one by one give the
/// single-machine bytes; a record of another run or sweep is refused; a
/// session missing a run does not write the tables.
#[test]
fn a_session_driven_from_outside_gives_the_single_machine_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let sw = load(tmp.path(), "s.toml", &small_sweep("")).unwrap();
    let local = tmp.path().join("local");
    run(&sw, &local, 2, None, false);

    let out = tmp.path().join("external");
    let opts = Options::default();
    let session = sweep::open(&sw, &out, &opts).unwrap();
    assert_eq!(session.todo().len(), 8);
    // Texts computed "elsewhere", stored in reverse order.
    let texts: Vec<String> = session
        .todo()
        .iter()
        .rev()
        .map(|r| sweep::run_record(&sw, r).unwrap())
        .collect();
    // A run of another sweep is refused.
    let other_text = small_sweep("").replace("seed = 11", "seed = 12");
    let other = load(tmp.path(), "o.toml", &other_text).unwrap();
    let foreign = sweep::run_record(&other, &other.runs()[0]);
    assert!(session.store(&foreign.unwrap()).is_err());
    assert!(session.store("{}").is_err());
    // One by one, a batch at once, and one pretty-printed (it is stored
    // as one line all the same).
    let pretty = {
        let v: serde_json::Value = serde_json::from_str(&texts[0]).unwrap();
        serde_json::to_string_pretty(&v).unwrap()
    };
    session.store(&pretty).unwrap();
    let batch: Vec<&str> = texts[1..5].iter().map(String::as_str).collect();
    let stored = session.store_many(&batch).unwrap();
    assert_eq!(
        stored.iter().map(|r| r.index).collect::<Vec<_>>(),
        [6, 5, 4, 3]
    );
    // A batch with one bad record stores none of it.
    assert!(session.store_many(&[texts[5].as_str(), "{}"]).is_err());
    for t in &texts[5..] {
        session.store(t).unwrap();
    }
    session.finish().unwrap();
    // The same tables and the same run log, byte for byte.
    assert_eq!(tables(&out), tables(&local));

    // Resumed with two runs missing: the session asks for exactly those,
    // and finishing before they are stored is refused.
    let partial = tmp.path().join("partial");
    let session = sweep::open(&sw, &partial, &opts).unwrap();
    for r in session.todo().iter().skip(2) {
        session.store(&sweep::run_record(&sw, r).unwrap()).unwrap();
    }
    let e = session.finish().expect_err("two runs missing");
    assert!(e.to_string().contains("r0000, r0001"), "{e}");
    assert!(!partial.join("runs.csv").exists());
    let resume = Options {
        resume: true,
        ..Options::default()
    };
    let session = sweep::open(&sw, &partial, &resume).unwrap();
    let ids: Vec<&str> = session.todo().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["r0000", "r0001"]);
    for r in session.todo() {
        session.store(&sweep::run_record(&sw, r).unwrap()).unwrap();
    }
    session.finish().unwrap();
    assert_eq!(tables(&partial), tables(&local));
}

#[test]
fn a_resumed_session_reads_back_only_the_runs_it_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let sw = load(tmp.path(), "s.toml", &small_sweep("")).unwrap();
    let local = tmp.path().join("local");
    run(&sw, &local, 2, None, false);

    // Runs 2..8 from an earlier session; runs 0 and 1 stored by this one,
    // run 0 twice.
    let dir = tmp.path().join("dir");
    let session = sweep::open(&sw, &dir, &Options::default()).unwrap();
    for r in session.todo().iter().skip(2) {
        session.store(&sweep::run_record(&sw, r).unwrap()).unwrap();
    }
    drop(session);
    let resume = Options {
        resume: true,
        ..Options::default()
    };
    let store_missing = |session: &sweep::Session| {
        let todo: Vec<_> = session.todo().to_vec();
        assert_eq!(todo.len(), 2);
        for r in todo.iter().chain(&todo[..1]) {
            session.store(&sweep::run_record(&sw, r).unwrap()).unwrap();
        }
    };

    // The skipped runs' lines changed before the tables are written (run
    // 3's line now holds run 4): they are read back and refused.
    let session = sweep::open(&sw, &dir, &resume).unwrap();
    store_missing(&session);
    let part = dir.join("runs/part-0000.jsonl");
    let original = read(&part);
    let mut lines: Vec<&str> = original.lines().collect();
    lines.swap(1, 2);
    std::fs::write(&part, lines.join("\n") + "\n").unwrap();
    let e = session
        .finish()
        .expect_err("run 3's line holds run 4")
        .to_string();
    assert!(
        e.contains("part-0000.jsonl: line 2") && e.contains("was changed while the sweep ran"),
        "{e}"
    );
    assert!(!dir.join("runs.csv").exists());

    // Put back, and runs 0 and 1 run again (the part that session wrote
    // lost): the tables are those of a single-machine sweep.
    std::fs::write(&part, original).unwrap();
    std::fs::remove_file(dir.join("runs/part-0001.jsonl")).unwrap();
    let session = sweep::open(&sw, &dir, &resume).unwrap();
    store_missing(&session);
    session.finish().unwrap();
    assert_eq!(tables(&dir), tables(&local));
}

#[test]
fn sweeps_give_the_share_of_seeds_meeting_each_objective() {
    // The teaching scenario with objectives, 3 seeds per combination: one
    // objective every run meets, one none does, one that depends on the
    // instance count. runs.csv has each run's `met` (1/0); aggregate.csv
    // the share of the combination's runs and its Wilson interval at the
    // scenario's confidence; shards merge into the same bytes.
    let tmp = tempfile::tempdir().unwrap();
    let scenario = std::fs::read_to_string(base()).unwrap()
        + r#"
[slo]
objectives = ["services.api.availability >= 0", "cost.per_month_usd < 0", "instances_in_use_max <= 6"]
confidence = 0.9
"#;
    let base_file = tmp.path().join("base.toml");
    std::fs::write(&base_file, scenario).unwrap();
    let text = small_sweep("")
        .replace(&base(), &base_file.display().to_string())
        .replace("seeds = 2", "seeds = 3");
    let sw = load(tmp.path(), "s.toml", &text).unwrap();
    let full = tmp.path().join("full");
    run(&sw, &full, 2, None, false);
    let runs = read(&full.join("runs.csv"));
    let head = csv_split(runs.lines().next().unwrap());
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} in {head:?}"))
    };
    let rows: Vec<Vec<String>> = runs.lines().skip(1).map(csv_split).collect();
    assert_eq!(rows.len(), 12);
    assert!(rows.iter().all(|r| r[col("slo.0.met")] == "1"));
    assert!(rows.iter().all(|r| r[col("slo.1.met")] == "0"));
    let in_use = col("instances_in_use_max");
    for r in &rows {
        let want = if r[in_use].parse::<f64>().unwrap() <= 6.0 {
            "1"
        } else {
            "0"
        };
        assert_eq!(r[col("slo.2.met")], want);
    }

    let agg = read(&full.join("aggregate.csv"));
    let head = csv_split(agg.lines().next().unwrap());
    let at = |name: &str| head.iter().position(|h| h == name).unwrap();
    let (s0, lo0, hi0) = (
        at("slo.0.met_share"),
        at("slo.0.met_share_lo"),
        at("slo.0.met_share_hi"),
    );
    assert_eq!(hi0, lo0 + 1);
    assert_eq!(lo0, s0 + 1);
    let w_all = ecsim::slo::wilson(3, 3, 0.9);
    let w_none = ecsim::slo::wilson(0, 3, 0.9);
    let num = ecsim::sweep::table::num;
    for line in agg.lines().skip(1) {
        let r = csv_split(line);
        assert_eq!(r[s0], "1");
        assert_eq!(r[lo0], num(w_all.lo));
        assert_eq!(r[hi0], "1");
        assert_eq!(r[at("slo.1.met_share")], "0");
        assert_eq!(r[at("slo.1.met_share_hi")], num(w_none.hi));
        // The share of the third matches its runs.
        let share: f64 = r[at("slo.2.met_share")].parse().unwrap();
        let mean: f64 = r[at("slo.2.met.mean")].parse().unwrap();
        assert_eq!(share, mean);
    }
    // 90%: z = 1.645; 3 of 3 -> lower bound 3 / (3 + z^2) = 0.5258.
    assert_eq!(num(w_all.lo), "0.5258");
    assert!(read(&full.join("sweep.json")).contains("\"slo_confidence\": 0.9"));

    let s1 = tmp.path().join("s1");
    let s2 = tmp.path().join("s2");
    run(&sw, &s1, 1, Some("1/2"), false);
    run(&sw, &s2, 1, Some("2/2"), false);
    let merged = tmp.path().join("merged");
    sweep::merge(&[s2, s1], &merged).unwrap();
    assert_eq!(tables(&merged), tables(&full));
}
