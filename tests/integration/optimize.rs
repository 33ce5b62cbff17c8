//! `ecsim optimize`: determinism across threads, successive halving (the
//! fraction kept, the seeds added, runs reused), the feasibility rule in a
//! real search, best.toml reproducing the winner, resume, and errors.

use std::path::{Path, PathBuf};
use std::process::Command;

use ecsim::engine::Simulation;
use ecsim::optimize::{self, Options, Outcome, Study};
use ecsim::sweep::table::flatten;
use ecsim::sweep::{run_seed, Shard, SweepError};

/// The quickstart scenario (it reads a task definition file beside it), by
/// absolute path so files in a temporary folder can name it.
fn base() -> String {
    std::env::current_dir()
        .unwrap()
        .join("scenarios/quickstart.toml")
        .display()
        .to_string()
        .replace('\\', "/")
}

/// 5 counts x 2 types x 2 strategies = 20 candidates on two simulated hours;
/// rounds of 2, 4 and 8 seeds.
fn small(extra_constraints: &str) -> String {
    format!(
        r#"
name = "small"
scenario = "{}"
seed = 3
set = ['duration="2h"']

[variables]
"instanceGroups.general.count" = {{ min = 3, max = 7 }}
"instanceGroups.general.instanceTypes" = ['["m6i.xlarge"]', '["c6i.large"]']
"services.web.placementStrategy" = ['[{{type="binpack", field="memory"}}]', '[{{type="spread", field="attribute:ecs.availability-zone"}}]']

[objective]
minimize = "cost.per_month_usd"

[constraints]
objectives = ["jobs.etl.failed_total <= 0"{extra_constraints}]
confidence = 0.75

[search]
keep = 0.33
minSeeds = 2
maxSeeds = 8
"#,
        base()
    )
}

fn load(dir: &Path, text: &str) -> Result<Study, SweepError> {
    let path = dir.join("opt.toml");
    std::fs::write(&path, text).unwrap();
    Study::load(&path)
}

fn run(study: &Study, out: &Path, jobs: usize, resume: bool) -> Outcome {
    optimize::run(
        study,
        out,
        &Options {
            jobs,
            resume,
            shard: None,
        },
        &|_| {},
    )
    .unwrap()
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            let rel = p.strip_prefix(dir).unwrap().to_path_buf();
            out.push((rel, std::fs::read(&p).unwrap()));
        }
    }
    out
}

#[test]
fn optimize_is_byte_identical_whatever_the_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let study = load(tmp.path(), &small("")).unwrap();
    let a = run(&study, &tmp.path().join("a"), 1, false);
    let b = run(&study, &tmp.path().join("b"), 2, false);
    let fa = files(&tmp.path().join("a"));
    let fb = files(&tmp.path().join("b"));
    let names: Vec<&PathBuf> = fa.iter().map(|f| &f.0).collect();
    for want in ["candidates.csv", "rounds.csv", "summary.json", "best.toml"] {
        assert!(names.contains(&&PathBuf::from(want)), "{want} in {names:?}");
    }
    #[cfg(feature = "plot")]
    assert!(names.contains(&&PathBuf::from("pareto.svg")));
    assert_eq!(fa.len(), fb.len());
    for ((na, ba), (nb, bb)) in fa.iter().zip(&fb) {
        assert_eq!(na, nb);
        assert!(ba == bb, "{} differs between --jobs 1 and 2", na.display());
    }
    assert_eq!(a.simulations(), b.simulations());
    // Loading again draws the same candidates: same answer.
    let again = load(tmp.path(), &small("")).unwrap();
    assert_eq!(again.fingerprint, study.fingerprint);
}

#[test]
fn halving_keeps_the_fraction_adds_seeds_and_reuses_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let study = load(tmp.path(), &small("")).unwrap();
    assert_eq!(study.candidates.len(), 20);
    let o = run(&study, &tmp.path().join("o"), 2, false);
    let sizes: Vec<(usize, u32, usize)> = o
        .rounds
        .iter()
        .map(|r| (r.ranked.len(), r.seeds, r.kept))
        .collect();
    // 20 on 2 seeds keep ceil(0.33 x 20) = 7; 7 on 4 keep ceil(2.31) = 3;
    // 3 on 8 is the last round.
    assert_eq!(sizes, [(20, 2, 7), (7, 4, 3), (3, 8, 0)]);
    // Each round runs only the seeds its candidates lack.
    let ran: Vec<(usize, usize)> = o.rounds.iter().map(|r| (r.ran, r.reused)).collect();
    assert_eq!(ran, [(40, 0), (14, 14), (12, 12)]);
    assert_eq!(o.ran, 66);
    assert_eq!(o.simulations(), 66);
    // Survivors are the best-ranked of the round before.
    for w in o.rounds.windows(2) {
        let mut kept: Vec<usize> = w[0].ranked[..w[0].kept]
            .iter()
            .map(|e| e.candidate)
            .collect();
        let mut next: Vec<usize> = w[1].ranked.iter().map(|e| e.candidate).collect();
        kept.sort_unstable();
        next.sort_unstable();
        assert_eq!(kept, next);
        assert!(w[1].ranked.iter().all(|e| e.runs == w[1].seeds as usize));
    }
    // One run file per distinct run.
    let runs = std::fs::read_dir(tmp.path().join("o/runs"))
        .unwrap()
        .count();
    assert_eq!(runs, 66);
    // candidates.csv: one row per candidate, best first.
    let csv = std::fs::read_to_string(tmp.path().join("o/candidates.csv")).unwrap();
    assert_eq!(csv.lines().count(), 21);
    assert!(csv
        .lines()
        .nth(1)
        .unwrap()
        .starts_with(&format!("1,{},2,", o.winner.as_ref().unwrap().candidate)));
}

#[test]
fn the_winner_is_feasible_and_cheaper_candidates_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let study = load(tmp.path(), &small("")).unwrap();
    let o = run(&study, &tmp.path().join("o"), 2, false);
    let w = o.winner.clone().expect("a feasible winner");
    assert!(w.feasible && w.all_met.share >= 0.75);
    // Every candidate of the last round cheaper than the winner misses the
    // objective on more than a quarter of its seeds.
    let last = o.rounds.last().unwrap();
    for e in &last.ranked {
        if e.objective_mean < w.objective_mean {
            assert!(!e.feasible && e.all_met.share < 0.75, "{e:?}");
        }
    }
    // Without the constraint the cheapest configuration wins, and it is
    // cheaper than the constrained winner: the constraint binds.
    let free = small("").replace(
        "objectives = [\"jobs.etl.failed_total <= 0\"]",
        "objectives = []",
    );
    let tmp2 = tempfile::tempdir().unwrap();
    let s2 = load(tmp2.path(), &free).unwrap();
    let o2 = run(&s2, &tmp2.path().join("o"), 2, false);
    let w2 = o2.winner.unwrap();
    assert!(w2.objective_mean < w.objective_mean, "{w2:?} vs {w:?}");
}

#[test]
fn best_toml_runs_and_reproduces_the_winner() {
    let tmp = tempfile::tempdir().unwrap();
    let study = load(tmp.path(), &small("")).unwrap();
    let out = tmp.path().join("o");
    let o = run(&study, &out, 2, false);
    let w = o.winner.unwrap();
    let best = out.join("best.toml");
    let text = std::fs::read_to_string(&best).unwrap();
    // The task definition file of the base is read from the results folder.
    assert!(text.contains("taskdefs/log-router.json"), "{text}");
    assert!(text.contains("name = \"small-best\""), "{text}");
    let seed = run_seed(3, 0);
    assert!(text.contains(&format!("--seed {seed}")), "{text}");
    let sc = ecsim::scenario::load(&best, &[]).expect("best.toml is a valid scenario");
    let result = Simulation::new(&sc.spec, seed).run();
    let got = flatten(&serde_json::to_value(&result.summary).unwrap());
    let id = optimize::store::run_id(w.candidate, 0, study.candidates.len());
    let rec: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(format!("runs/{id}.json"))).unwrap(),
    )
    .unwrap();
    let want = flatten(&rec["summary"]);
    assert_eq!(got, want, "best.toml does not reproduce run {id}");
    // And through the command line.
    let status = Command::new(env!("CARGO_BIN_EXE_ecsim"))
        .args([
            "run",
            "--outputs",
            "summary",
            "--seed",
            &seed.to_string(),
            "--out",
        ])
        .arg(tmp.path().join("rerun"))
        .arg(&best)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
}

#[test]
fn resume_after_a_partial_run_reruns_only_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let study = load(tmp.path(), &small("")).unwrap();
    let full = tmp.path().join("full");
    let o = run(&study, &full, 2, false);
    // A search killed in round 1: the run files of round 2 and some of
    // round 1 never written, a temporary file left behind.
    let part = tmp.path().join("part");
    std::fs::create_dir_all(part.join("runs")).unwrap();
    let mut kept = 0;
    for e in std::fs::read_dir(full.join("runs")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        // Seed indexes 0 and 1 (round 0), and seed index 2 (round 1).
        if name.ends_with("-s00.json") || name.ends_with("-s01.json") || name.ends_with("-s02.json")
        {
            std::fs::copy(&p, part.join("runs").join(&name)).unwrap();
            kept += 1;
        }
    }
    std::fs::write(part.join("runs/.c0000-s03.json.ecsim-tmp-1-0"), "{").unwrap();
    std::fs::write(part.join(".summary.json.ecsim-tmp-1-1"), "{").unwrap();
    let r = run(&study, &part, 1, true);
    assert_eq!(r.resumed, kept);
    assert_eq!(r.ran, o.ran - kept);
    assert_eq!(
        files(&full),
        files(&part),
        "a resumed search writes the same bytes"
    );
    // Without --resume every run is run again.
    let again = run(&study, &part, 2, false);
    assert_eq!((again.ran, again.resumed), (o.ran, 0));
}

#[test]
fn shards_writing_one_folder_give_the_bytes_of_one_machine() {
    let tmp = tempfile::tempdir().unwrap();
    let study = load(tmp.path(), &small("")).unwrap();
    let whole = tmp.path().join("whole");
    run(&study, &whole, 2, false);
    // Three shards at once, each on one thread, into one folder: each
    // runs its share of a round, waits for the others, and all decide the
    // next round alike.
    let shared = tmp.path().join("shared");
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..=3)
            .map(|k| {
                let (study, shared) = (&study, &shared);
                s.spawn(move || {
                    let opts = Options {
                        jobs: 1,
                        resume: false,
                        shard: Some(Shard::parse(&format!("{k}/3")).unwrap()),
                    };
                    optimize::run(study, shared, &opts, &|_| {}).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Every run was simulated by exactly one shard.
    let ran: usize = outcomes.iter().map(|o| o.ran).sum();
    assert_eq!(ran, 66);
    assert!(
        outcomes.iter().all(|o| o.ran >= 20),
        "shares are balanced: {:?}",
        outcomes.iter().map(|o| o.ran).collect::<Vec<_>>()
    );
    assert_eq!(files(&whole), files(&shared));
    // A shard started again once all is done runs nothing.
    let opts = Options {
        jobs: 1,
        resume: false,
        shard: Some(Shard::parse("2/3").unwrap()),
    };
    assert_eq!(
        optimize::run(&study, &shared, &opts, &|_| {}).unwrap().ran,
        0
    );
}

#[test]
fn a_folder_of_another_search_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let study = load(tmp.path(), &small("")).unwrap();
    let out = tmp.path().join("o");
    run(&study, &out, 2, false);
    let other = load(tmp.path(), &small("").replace("seed = 3", "seed = 4")).unwrap();
    let e = optimize::run(
        &other,
        &out,
        &Options {
            jobs: 1,
            resume: true,
            shard: None,
        },
        &|_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("holds a run of another search"), "{e}");
}

fn problems(text: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    match load(tmp.path(), text) {
        Err(e) => {
            assert!(e.is_input());
            e.issues().join("\n")
        }
        Ok(_) => panic!("expected errors"),
    }
}

#[test]
fn errors_name_the_file_field_and_candidate() {
    let s = small("");
    // A misspelt field of the scenario: not a path of it.
    let p = problems(&s.replace(
        "\"instanceGroups.general.count\"",
        "\"instanceGroups.general.cuont\"",
    ));
    assert!(
        p.contains(
            "opt.toml: variables.\"instanceGroups.general.cuont\": not a path of the scenario"
        ),
        "{p}"
    );
    // A list element that does not exist.
    let p = problems(&s.replace(
        "\"services.web.placementStrategy\"",
        "\"services.wbe.placementStrategy\"",
    ));
    assert!(
        p.contains("variables.\"services.wbe.placementStrategy\": not a path of the scenario: no element named `wbe`"),
        "{p}"
    );
    // An empty range.
    let p = problems(&s.replace("min = 3, max = 7", "min = 7, max = 3"));
    assert!(
        p.contains("variables.\"instanceGroups.general.count\": empty range"),
        "{p}"
    );
    // A value the scenario refuses, in one candidate only: that candidate
    // is named with its values.
    let p = problems(&s.replace(
        "min = 3, max = 7",
        "min = 3, max = 7 }\n\"services.web.desiredCount\" = [6, -2] #",
    ));
    // Listed once, for the first candidate with the value, with the count.
    assert_eq!(p.lines().count(), 1, "{p}");
    assert!(
        p.contains(
            "opt.toml: candidate 4 (instanceGroups.general.count=3, services.web.desiredCount=-2,"
        ),
        "{p}"
    );
    assert!(
        p.contains("services[0].desiredCount: expected an integer from 0 to 100000, found -2 (and 19 more candidates)"),
        "{p}"
    );
    // A value refused at the variable's first value: named with it.
    let p = problems(&s.replace(
        "min = 3, max = 7",
        "min = 3, max = 7 }\n\"services.web.desiredCount\" = [-1, 6] #",
    ));
    assert!(
        p.contains(
            "variables.\"services.web.desiredCount\": with services.web.desiredCount = -1: "
        ),
        "{p}"
    );
    // A service the scenario does not have, in a constraint and in the objective.
    let p = problems(&small(", \"services.wbe.minutes_below_desired <= 1\""));
    assert!(
        p.contains("constraints.objectives[1]: \"services.wbe.minutes_below_desired\": no service named \"wbe\" in the scenario (did you mean \"web\"?)"),
        "{p}"
    );
}

#[test]
fn a_metric_missing_from_the_summary_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let study = load(
        tmp.path(),
        &small("").replace(
            "minimize = \"cost.per_month_usd\"",
            "minimize = \"cost.per_month_usdd\"",
        ),
    )
    .unwrap();
    let e = optimize::run(
        &study,
        &tmp.path().join("o"),
        &Options {
            jobs: 1,
            resume: false,
            shard: None,
        },
        &|_| {},
    )
    .unwrap_err();
    assert!(e.is_input());
    let e = e.to_string();
    assert!(
        e.contains("objective.minimize.\"cost.per_month_usdd\": \"cost.per_month_usdd\" is not a number of the run's summary"),
        "{e}"
    );
    assert!(e.contains("did you mean \"cost.per_month_usd\""), "{e}");
}

#[test]
fn the_command_line_reports_simulations_and_time() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("opt.toml");
    std::fs::write(&path, small("")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ecsim"))
        .args(["optimize", "--jobs", "2", "--out"])
        .arg(tmp.path().join("o"))
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(
            "small: 66 simulations (66 run now, 0 read back from the folder) in 3 rounds;"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("winner: candidate "), "{stdout}");
    // Bad input: exit status 2, the field named.
    std::fs::write(&path, small("").replace("keep = 0.33", "keep = 3")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ecsim"))
        .args(["optimize"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("search.keep: expected the share"));
}

#[test]
fn sampled_studies_draw_the_same_candidates_from_the_same_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let lhs = small("").replace(
        "keep = 0.33",
        "sample = \"latin-hypercube\"\ncandidates = 8\nkeep = 0.33",
    );
    let a = load(tmp.path(), &lhs).unwrap();
    let b = load(tmp.path(), &lhs).unwrap();
    let labels = |s: &Study| {
        s.candidates
            .iter()
            .map(|c| c.labels.clone())
            .collect::<Vec<_>>()
    };
    assert!(
        a.candidates.len() <= 8 && a.candidates.len() >= 4,
        "{}",
        a.candidates.len()
    );
    assert_eq!(labels(&a), labels(&b));
    // The count (5 values) is stratified: 8 strata over 5 values give
    // each value one or two candidates (before merging repeats).
    let c = load(tmp.path(), &lhs.replace("seed = 3", "seed = 9")).unwrap();
    assert_ne!(labels(&a), labels(&c), "another seed, another sample");
    let random = small("").replace(
        "keep = 0.33",
        "sample = \"random\"\ncandidates = 12\nkeep = 0.33",
    );
    let r = load(tmp.path(), &random).unwrap();
    assert_eq!(r.candidates.len(), 12);
}

#[test]
fn a_killed_search_resumed_from_the_command_line_gives_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("opt.toml");
    std::fs::write(&path, small("")).unwrap();
    let ecsim = env!("CARGO_BIN_EXE_ecsim");
    let whole = tmp.path().join("whole");
    let ok = Command::new(ecsim)
        .args(["optimize", "--jobs", "1", "--out"])
        .arg(&whole)
        .arg(&path)
        .output()
        .unwrap();
    assert!(ok.status.success());
    let cut = tmp.path().join("cut");
    let mut child = Command::new(ecsim)
        .args(["optimize", "--jobs", "1", "--out"])
        .arg(&cut)
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed (SIGKILL: no handler runs) once some runs are on disk.
    let runs = cut.join("runs");
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(60) {
        let n = std::fs::read_dir(&runs).map_or(0, |d| d.count());
        if n >= 12 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    let resumed = Command::new(ecsim)
        .args(["optimize", "--jobs", "2", "--resume", "--out"])
        .arg(&cut)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(files(&whole), files(&cut));
}

#[test]
fn every_shipped_optimize_file_loads_and_its_candidates_validate() {
    // The shipped studies (scenarios/optimize/): each file reads, each
    // variable is a path of its base scenario, every candidate validates.
    for f in crate::common::toml_files("scenarios/optimize") {
        let study =
            ecsim::optimize::Study::load(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(study.candidates.len() > 1, "{}", f.display());
    }
}
