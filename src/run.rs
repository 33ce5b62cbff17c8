//! `ecsim run` and `ecsim explain`: one scenario, one seed. Loads the
//! scenario (with `--set` overrides and `--seed`), runs it, and for `run`
//! writes its result folder all-or-nothing; the CLI prints.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::engine::{ExplainWindow, ExplainedDecision, RunResult, Simulation};
use crate::output::{self, Kind, Lock, OutputError, Outputs, Timing};
use crate::scenario::{self, Scenario, ScenarioError};

/// Which scenario to run.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Scenario file.
    pub scenario: &'a Path,
    /// `path=value` overrides (`--set`).
    pub set: &'a [String],
    /// Seed (default: the scenario's).
    pub seed: Option<u64>,
}

impl Request<'_> {
    /// Loads and validates the scenario, with the seed given if any.
    pub fn load(&self) -> Result<Scenario, ScenarioError> {
        let mut s = scenario::load(self.scenario, self.set)?;
        if let Some(seed) = self.seed {
            s.seed = seed;
        }
        Ok(s)
    }
}

/// Why a run could not be done or written.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The scenario is invalid: nothing has run.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The scenario's name cannot name the default output folder.
    #[error("{0}")]
    Name(String),
    /// The output folder could not be locked or prepared.
    #[error(transparent)]
    Folder(#[from] OutputError),
    /// Writing the result files failed; the previous result is whole.
    #[error("writing results")]
    Write(#[source] OutputError),
}

impl RunError {
    /// Whether the input is at fault (nothing was run or written).
    pub fn is_input(&self) -> bool {
        matches!(self, RunError::Scenario(_) | RunError::Name(_))
    }

    /// The individual problems, one line each.
    pub fn issues(&self) -> Vec<String> {
        match self {
            RunError::Scenario(e) => e.issues(),
            other => vec![other.to_string()],
        }
    }
}

/// A run written to its folder.
#[derive(Debug)]
pub struct Ran {
    /// The result (without task records when the outputs leave out
    /// `tasks.csv`, see [`Simulation::without_task_records`]).
    pub result: RunResult,
    /// Wall-clock figures (also in `timing.json`).
    pub timing: Timing,
    /// The folder written.
    pub dir: PathBuf,
}

/// `ecsim run`: loads the scenario, locks the output folder `out` (default
/// `results/<scenario name>/`) before simulating, so a second writer fails
/// at once, runs it and replaces the folder's previous run whole.
pub fn run_to_folder(req: &Request, out: Option<&Path>) -> Result<Ran, RunError> {
    run_to_folder_with(req, out, Outputs::All)
}

/// [`run_to_folder`] writing only the files of `outputs` (`--outputs`).
pub fn run_to_folder_with(
    req: &Request,
    out: Option<&Path>,
    outputs: Outputs,
) -> Result<Ran, RunError> {
    let sc = req.load()?;
    let dir = match out {
        Some(d) => d.to_path_buf(),
        None => output::default_dir(&sc.spec.name, "scenario").map_err(RunError::Name)?,
    };
    let lock = Lock::acquire(&dir)?;
    let stage = lock.stage(Kind::Run)?;
    let started = Instant::now();
    let mut sim = Simulation::new(&sc.spec, sc.seed);
    if !outputs.includes("tasks") {
        sim.without_task_records();
    }
    // The files of the parts the run makes first are written while it
    // makes the rest (on a second thread).
    let (result, timing, written) =
        output::write_run_outputs_as_made(stage.path(), outputs, |early| {
            let result = sim.run_handing_over(early);
            let wall = started.elapsed().as_secs_f64();
            let timing = Timing {
                wall_time_s: (wall * 1e6).round() / 1e6,
                events_per_s: (result.summary.events_processed as f64 / wall.max(1e-9)).round(),
            };
            (result, timing)
        });
    written.map_err(|e| RunError::Write(stage.explain(e)))?;
    stage.commit().map_err(RunError::Write)?;
    drop(lock);
    Ok(Ran {
        result,
        timing,
        dir,
    })
}

/// What `ecsim explain` narrates.
#[derive(Debug)]
pub struct Narration {
    /// The decisions asked for, in order.
    pub decisions: Vec<ExplainedDecision>,
    /// Tasks the run placed.
    pub tasks_placed: u64,
}

/// `ecsim explain`: runs the scenario narrating decision `task` only, or
/// the first `first` (default 3) decisions.
pub fn explain(
    req: &Request,
    task: Option<u64>,
    first: Option<u64>,
) -> Result<Narration, ScenarioError> {
    let sc = req.load()?;
    let window = match task {
        Some(n) => ExplainWindow::Only(n.max(1)),
        None => ExplainWindow::First(first.unwrap_or(3)),
    };
    let mut sim = Simulation::new(&sc.spec, sc.seed);
    sim.explain(window);
    let result = sim.run();
    Ok(Narration {
        decisions: result.explanations,
        tasks_placed: result.summary.tasks_placed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quickstart() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml")
    }

    fn short() -> Vec<String> {
        vec!["duration=\"1h\"".to_string()]
    }

    #[test]
    fn run_to_folder_writes_the_run_it_returns() {
        let path = quickstart();
        let set = short();
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("qs");
        let req = Request {
            scenario: &path,
            set: &set,
            seed: Some(7),
        };
        let ran = run_to_folder(&req, Some(&out)).unwrap();
        assert_eq!(ran.dir, out);
        assert_eq!(ran.result.summary.seed, 7);
        let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
        assert_eq!(summary, output::summary_json(&ran.result).unwrap());
        assert!(out.join("timing.json").is_file());
    }

    #[test]
    fn a_summary_run_writes_the_summary_only_and_replaces_a_full_one() {
        let path = quickstart();
        let set = short();
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("qs");
        let req = Request {
            scenario: &path,
            set: &set,
            seed: None,
        };
        let full = run_to_folder(&req, Some(&out)).unwrap();
        assert!(out.join("tasks.csv").is_file());
        let names = |dir: &Path| {
            let mut n: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            n.sort();
            n
        };
        let ran = run_to_folder_with(&req, Some(&out), Outputs::Summary).unwrap();
        // The previous run's CSV files do not survive beside the new summary.
        assert_eq!(names(&out), ["summary.json", "timing.json"]);
        let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
        assert_eq!(summary, output::summary_json(&full.result).unwrap());
        assert_eq!(ran.result.summary, full.result.summary);
        // Nobody writes them: the run kept no per-task records.
        assert!(ran.result.tasks.is_empty() && !full.result.tasks.is_empty());
        run_to_folder_with(&req, Some(&out), Outputs::Charts).unwrap();
        assert_eq!(
            names(&out),
            ["cost.csv", "summary.json", "timeseries.csv", "timing.json"]
        );
        assert_eq!(
            std::fs::read_to_string(out.join("timeseries.csv")).unwrap(),
            output::timeseries_csv(&full.result)
        );
        assert_eq!("summary".parse::<Outputs>(), Ok(Outputs::Summary));
        let e = "tasks".parse::<Outputs>().unwrap_err();
        assert_eq!(
            e,
            "`tasks` is not an output set: expected one of all, charts, summary"
        );
    }

    #[test]
    fn a_name_unfit_for_the_default_folder_is_an_input_error_before_running() {
        let path = quickstart();
        let set = vec!["name=\".up\"".to_string()];
        let req = Request {
            scenario: &path,
            set: &set,
            seed: None,
        };
        let e = run_to_folder(&req, None).expect_err("refused");
        assert!(e.is_input(), "{e}");
        assert_eq!(e.issues().len(), 1);
        assert!(
            e.issues()[0].starts_with("the scenario name `.up` starts with a dot"),
            "{e}"
        );
    }

    #[test]
    fn an_invalid_scenario_is_an_input_error_with_every_problem() {
        let path = quickstart();
        let set = vec!["services.web.desiredCount=-1".to_string()];
        let req = Request {
            scenario: &path,
            set: &set,
            seed: None,
        };
        let e = run_to_folder(&req, None).expect_err("refused");
        assert!(e.is_input(), "{e}");
        assert!(!e.issues().is_empty());
    }

    #[test]
    fn explain_narrates_the_decision_asked_for() {
        let path = quickstart();
        let set = short();
        let req = Request {
            scenario: &path,
            set: &set,
            seed: None,
        };
        let told = explain(&req, Some(2), None).unwrap();
        assert_eq!(told.decisions.len(), 1);
        assert_eq!(told.decisions[0].number, 2);
        let none = explain(&req, Some(1_000_000), None).unwrap();
        assert!(none.decisions.is_empty());
        assert!(none.tasks_placed > 0);
    }
}
