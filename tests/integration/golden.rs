//! Golden outputs: the committed `results/` folders pin the bytes of every
//! shipped scenario's output, so an optimisation or a refactor that changes
//! one byte of a CSV or of a summary fails here.
//!
//! Each test runs a shipped scenario through the same library calls as the
//! CLI (`ecsim run`, `ecsim compare`, `ecsim sweep`, with the scenario's own
//! seed and defaults), writes into a temporary folder, and compares every CSV
//! and `summary.json` (or `runs.csv`, `aggregate.csv`, `sweep.json`) byte for
//! byte with `results/<name>/`. `timing.json`, charts and reports are not
//! compared (they depend on the clock or on the plotting backend).
//!
//! After a deliberate change of output, bless the new bytes with
//!
//! ```text
//! ECSIM_BLESS=1 cargo test --test integration golden
//! ```
//!
//! which rewrites the compared files of `results/` instead of comparing;
//! review the diff (`git diff results/`) before committing it.

use std::path::Path;

use ecsim::compare;
use ecsim::engine::Simulation;
use ecsim::output;
use ecsim::scenario;
use ecsim::sweep::{self, Options, Sweep};

/// The files of a run folder that are pinned.
const RUN_FILES: [&str; 6] = [
    "summary.json",
    "timeseries.csv",
    "tasks.csv",
    "events.csv",
    "instances.csv",
    "cost.csv",
];

/// The files of a sweep folder that are pinned.
const SWEEP_FILES: [&str; 3] = ["runs.csv", "aggregate.csv", "sweep.json"];

fn bless() -> bool {
    std::env::var_os("ECSIM_BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first line where `want` and `got` differ, as a message naming the
/// golden file, the line number and both lines.
fn first_difference(golden: &Path, want: &[u8], got: &[u8]) -> String {
    let want = String::from_utf8_lossy(want);
    let got = String::from_utf8_lossy(got);
    let mut w = want.split('\n');
    let mut g = got.split('\n');
    let mut n = 0;
    loop {
        n += 1;
        match (w.next(), g.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (a, b) => {
                return format!(
                    "{} differs from today's output at line {n}:\n  expected: {}\n  got:      {}\n\
                     If the change is intended, bless it with \
                     `ECSIM_BLESS=1 cargo test --test integration golden` and review `git diff results/`.",
                    golden.display(),
                    a.map_or("<end of file>".to_string(), |s| format!("{s:?}")),
                    b.map_or("<end of file>".to_string(), |s| format!("{s:?}")),
                );
            }
        }
    }
}

/// Compares (or, blessing, copies) `files` of `got_dir` with `golden_dir`;
/// collects one message per differing file.
fn check_files(got_dir: &Path, golden_dir: &Path, files: &[&str], errors: &mut Vec<String>) {
    for name in files {
        let got = read(&got_dir.join(name));
        let golden = golden_dir.join(name);
        if bless() {
            std::fs::create_dir_all(golden_dir).unwrap();
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = read(&golden);
        if want != got {
            errors.push(first_difference(&golden, &want, &got));
        }
    }
}

fn assert_none(errors: Vec<String>) {
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
}

/// What `ecsim run FILE --out DIR` writes, except `timing.json`.
fn run_into(scenario_file: &Path, dir: &Path) -> String {
    let sc = scenario::load(scenario_file, &[])
        .unwrap_or_else(|e| panic!("{}: {e}", scenario_file.display()));
    let result = Simulation::new(&sc.spec, sc.seed).run();
    std::fs::create_dir_all(dir).unwrap();
    output::write_run_files(dir, &result, None).unwrap();
    sc.spec.name.clone()
}

fn check_run(scenario_file: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let name = run_into(Path::new(scenario_file), &a);
    // The same scenario run twice gives the same bytes.
    let b = tmp.path().join("b");
    run_into(Path::new(scenario_file), &b);
    for f in RUN_FILES {
        assert!(
            read(&a.join(f)) == read(&b.join(f)),
            "{scenario_file}: two runs wrote different {f}"
        );
    }
    let mut errors = Vec::new();
    check_files(
        &a,
        &Path::new("results").join(&name),
        &RUN_FILES,
        &mut errors,
    );
    assert_none(errors);
}

#[test]
fn golden_quickstart() {
    check_run("scenarios/quickstart.toml");
}

#[test]
fn golden_spot_what_if() {
    check_run("scenarios/spot-what-if.toml");
}

#[test]
fn golden_black_friday() {
    check_run("scenarios/capacity/black-friday.toml");
}

#[test]
fn golden_black_friday_az_loss() {
    check_run("scenarios/capacity/black-friday-az-loss.toml");
}

#[test]
fn golden_teaching() {
    for f in crate::common::toml_files("scenarios/teaching") {
        check_run(f.to_str().unwrap());
    }
}

/// What `ecsim compare FILE` writes into `results/<name>/compare/`, except
/// the charts: each variant's run files and `comparison.csv`.
#[test]
fn golden_cost_comparisons() {
    let mut errors = Vec::new();
    for file in crate::common::toml_files("scenarios/cost") {
        let variants = compare::file_variants(&file).unwrap();
        assert!(!variants.is_empty(), "{}: no variants", file.display());
        let first = scenario::load(&file, &variants[0].overrides).unwrap();
        let golden = Path::new("results").join(&first.spec.name).join("compare");
        let runs = compare::run(&file, &variants, &[], None).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let mut rows = Vec::new();
        for (v, r) in &runs {
            let vdir = tmp.path().join(&v.name);
            std::fs::create_dir(&vdir).unwrap();
            output::write_run_files(&vdir, r, None).unwrap();
            check_files(&vdir, &golden.join(&v.name), &RUN_FILES, &mut errors);
            // ECS-MODEL B3: Reserved Instances and Savings Plans, per hour.
            if r.commitments.is_some() {
                let want = &["commitments.csv"];
                check_files(&vdir, &golden.join(&v.name), want, &mut errors);
            }
            rows.push(compare::row(&v.name, r));
        }
        std::fs::write(tmp.path().join("comparison.csv"), compare::csv(&rows)).unwrap();
        check_files(tmp.path(), &golden, &["comparison.csv"], &mut errors);
    }
    assert_none(errors);
}

/// What `ecsim sweep FILE` writes into `results/sweeps/<name>/`: the tables.
fn check_sweep(file: &str) {
    let sw = Sweep::load(Path::new(file)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let opts = Options {
        jobs: 0,
        shard: None,
        resume: false,
    };
    sweep::run(&sw, &out, &opts, &|_| {}).unwrap();
    let mut errors = Vec::new();
    check_files(
        &out,
        &sweep::default_dir(&sw.def.name),
        &SWEEP_FILES,
        &mut errors,
    );
    assert_none(errors);
}

#[test]
fn golden_sweep_placement_strategy() {
    check_sweep("scenarios/sweeps/placement-strategy.toml");
}

#[test]
fn golden_sweep_spot_what_if() {
    check_sweep("scenarios/sweeps/spot-what-if.toml");
}

#[test]
fn golden_sweep_cost_spot_share() {
    check_sweep("scenarios/sweeps/cost-spot-share.toml");
}

#[test]
fn golden_sweep_black_friday() {
    check_sweep("scenarios/sweeps/black-friday.toml");
}

#[test]
fn golden_sweep_black_friday_az_loss() {
    check_sweep("scenarios/sweeps/black-friday-az-loss.toml");
}
