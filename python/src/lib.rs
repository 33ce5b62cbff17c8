//! `ecsim._native`: the Rust side of the Python package `ecsim`.
//!
//! Thin wrappers over the library's own entry points (`scenario::load`,
//! `engine::Simulation`, `output::write_run`, `sweep::{run, open,
//! run_record}`, `compare::{select, run, write_compare}`): nothing here
//! decides, formats or writes a file the CLI would not. Every simulation
//! runs with the GIL released, so Python threads run simulations in
//! parallel. The Python package (`ecsim/__init__.py`) turns the columns
//! handed over here into pandas DataFrames.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ecsim::compare::{self, Variant};
use ecsim::engine::{RunResult, Simulation};
use ecsim::output::{self, Timing};
use ecsim::scenario::{self, Scenario, ScenarioError as RustScenarioError};
use ecsim::sweep::{self, RunRecord, Shard, Sweep, SweepError};
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyString};
use serde_json::Value;

mod columns;
mod run_tables;

create_exception!(
    _native,
    ScenarioError,
    PyValueError,
    "A scenario, sweep file or variant is invalid; nothing was run.\n\n\
     `problems` lists every problem found, one string each, as the CLI prints\n\
     them: `FILE: FIELD.PATH: what is wrong and what was expected`."
);
create_exception!(
    _native,
    EcsimError,
    PyRuntimeError,
    "A run could not be written or a sweep folder could not be used (locked by\n\
     another writer, holding another sweep's files, a file-system error).\n\n\
     `problems` lists the messages, one string each."
);

/// Raises `ScenarioError` (input at fault) or `EcsimError`, with the
/// CLI's list of problems as `problems`.
fn raise(input: bool, problems: Vec<String>) -> PyErr {
    let message = problems.join("\n");
    Python::with_gil(|py| {
        let err = if input {
            ScenarioError::new_err(message)
        } else {
            EcsimError::new_err(message)
        };
        if let Ok(list) = PyList::new(py, &problems) {
            let _ = err.value(py).setattr("problems", list);
        }
        err
    })
}

fn scenario_err(e: RustScenarioError) -> PyErr {
    raise(true, e.issues())
}

fn sweep_err(e: SweepError) -> PyErr {
    raise(e.is_input(), e.issues())
}

fn compare_err(e: compare::CompareError) -> PyErr {
    raise(e.is_input(), e.issues())
}

fn output_err(e: output::OutputError) -> PyErr {
    raise(false, vec![e.to_string()])
}

/// A JSON value as Python objects (dicts keep the JSON order).
fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// A validated scenario: the file, the overrides applied and the seed.
#[pyclass(module = "ecsim._native", name = "Scenario", frozen)]
struct PyScenario {
    inner: Arc<Scenario>,
    set: Vec<String>,
}

#[pymethods]
impl PyScenario {
    /// The scenario's `name`.
    #[getter]
    fn name(&self) -> String {
        self.inner.spec.name.clone()
    }

    /// The scenario file.
    #[getter]
    fn path(&self) -> PathBuf {
        self.inner.path.clone()
    }

    /// The seed (the file's, or the one given to `load`).
    #[getter]
    fn seed(&self) -> u64 {
        self.inner.seed
    }

    /// The `path=value` overrides applied, in order.
    #[getter]
    fn set(&self) -> Vec<String> {
        self.set.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "Scenario(name={:?}, path={:?}, seed={}, set={:?})",
            self.inner.spec.name,
            self.inner.path.display().to_string(),
            self.inner.seed,
            self.set
        )
    }
}

/// Loads and validates a scenario file with `path=value` overrides.
#[pyfunction]
#[pyo3(signature = (path, set = Vec::new(), seed = None))]
fn load(
    py: Python<'_>,
    path: PathBuf,
    set: Vec<String>,
    seed: Option<u64>,
) -> PyResult<PyScenario> {
    let loaded = py.allow_threads(|| scenario::load(&path, &set));
    let mut sc = loaded.map_err(scenario_err)?;
    if let Some(s) = seed {
        sc.seed = s;
    }
    Ok(PyScenario {
        inner: Arc::new(sc),
        set,
    })
}

/// The result of one run.
#[pyclass(module = "ecsim._native", name = "RunResult", frozen)]
struct PyRunResult {
    result: Arc<RunResult>,
    /// Wall-clock figures (`timing.json`); none for a compare variant,
    /// whose folder has no `timing.json` either.
    timing: Option<Timing>,
}

#[pymethods]
impl PyRunResult {
    /// `summary.json` as the CLI writes it.
    fn summary_json(&self) -> PyResult<String> {
        output::summary_json(&self.result).map_err(|e| raise(false, vec![e.to_string()]))
    }

    /// The summary as Python objects (the JSON's order kept).
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = serde_json::to_value(&self.result.summary)
            .map_err(|e| raise(false, vec![e.to_string()]))?;
        to_py(py, &v)
    }

    /// Wall time of the simulation, seconds (as `timing.json` has it);
    /// `None` for a compare variant.
    #[getter]
    fn wall_time_s(&self) -> Option<f64> {
        self.timing.as_ref().map(|t| t.wall_time_s)
    }

    /// Names of the output tables, in the order the files are written.
    fn table_names(&self) -> Vec<String> {
        columns::table_names(&self.result)
    }

    /// The columns of table `name` (see `columns`).
    fn table<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyList>> {
        columns::run_table(py, &self.result, name)
    }

    /// Writes the CLI's result folder (`summary.json`, the CSV files and
    /// `timing.json`) all-or-nothing; returns the paths written.
    fn write(&self, py: Python<'_>, dir: PathBuf) -> PyResult<Vec<PathBuf>> {
        let r = self.result.clone();
        let t = self.timing.clone();
        py.allow_threads(move || output::write_run(&dir, &r, t.as_ref()))
            .map_err(output_err)
    }
}

fn simulate(sc: &Scenario, seed: u64) -> (RunResult, Timing) {
    let started = Instant::now();
    let result = Simulation::new(&sc.spec, seed).run();
    let wall = started.elapsed().as_secs_f64();
    let timing = Timing {
        wall_time_s: (wall * 1e6).round() / 1e6,
        events_per_s: (result.summary.events_processed as f64 / wall.max(1e-9)).round(),
    };
    (result, timing)
}

/// Runs a loaded scenario (with `seed`, default the scenario's); the GIL is
/// released while it runs.
#[pyfunction]
#[pyo3(signature = (scenario, seed = None))]
fn run(py: Python<'_>, scenario: &PyScenario, seed: Option<u64>) -> PyRunResult {
    let sc = scenario.inner.clone();
    let s = seed.unwrap_or(sc.seed);
    let (result, timing) = py.allow_threads(move || simulate(&sc, s));
    PyRunResult {
        result: Arc::new(result),
        timing: Some(timing),
    }
}

/// A loaded sweep: every combination validated.
#[pyclass(module = "ecsim._native", name = "Sweep", frozen)]
struct PySweep {
    inner: Arc<Sweep>,
    path: PathBuf,
}

#[pymethods]
impl PySweep {
    /// The sweep file.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The sweep's name.
    #[getter]
    fn name(&self) -> String {
        self.inner.def.name.clone()
    }

    /// Identity of the sweep, stored in every file it writes.
    #[getter]
    fn fingerprint(&self) -> String {
        self.inner.fingerprint.clone()
    }

    /// Number of runs (combinations x seeds).
    #[getter]
    fn total_runs(&self) -> usize {
        self.inner.total_runs()
    }

    /// Number of parameter combinations.
    #[getter]
    fn combinations(&self) -> usize {
        self.inner.combinations.len()
    }

    /// Replications per combination.
    #[getter]
    fn seeds(&self) -> u32 {
        self.inner.def.seeds
    }

    /// Parameter paths, in column order.
    #[getter]
    fn parameters(&self) -> Vec<String> {
        self.inner.parameters.clone()
    }

    /// The default output folder, `results/sweeps/<name>` (or the shard's
    /// folder in it).
    #[pyo3(signature = (shard = None))]
    fn default_dir(&self, shard: Option<&str>) -> PyResult<PathBuf> {
        let shard = shard.map(Shard::parse).transpose().map_err(sweep_err)?;
        sweep::output_dir(&self.inner, &self.path, shard).map_err(sweep_err)
    }

    /// Simulates the runs with these indexes and returns the text of each
    /// run record (a line of `runs/runs.jsonl`), in the order given; the GIL
    /// is released.
    fn records(&self, py: Python<'_>, indexes: Vec<usize>) -> PyResult<Vec<String>> {
        let sw = self.inner.clone();
        py.allow_threads(move || {
            let runs = sw.runs();
            indexes
                .iter()
                .map(|&i| {
                    let r = runs.get(i).ok_or_else(|| {
                        raise(
                            true,
                            vec![format!(
                                "run index {i} is out of range: the sweep has {} runs",
                                runs.len()
                            )],
                        )
                    })?;
                    sweep::run_record(&sw, r).map_err(sweep_err)
                })
                .collect()
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Sweep(name={:?}, runs={}, combinations={}, seeds={}, fingerprint={:?})",
            self.inner.def.name,
            self.inner.total_runs(),
            self.inner.combinations.len(),
            self.inner.def.seeds,
            self.inner.fingerprint
        )
    }
}

/// Loads a sweep file: expands the grid and validates every combination.
#[pyfunction]
fn load_sweep(py: Python<'_>, path: PathBuf) -> PyResult<PySweep> {
    let sw = py.allow_threads(|| Sweep::load(&path)).map_err(sweep_err)?;
    Ok(PySweep {
        inner: Arc::new(sw),
        path,
    })
}

fn report_dict<'py>(py: Python<'py>, r: &sweep::Report) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("dir", &r.dir)?;
    d.set_item("total_runs", r.total_runs)?;
    d.set_item("selected", r.selected)?;
    d.set_item("skipped", r.skipped)?;
    d.set_item("ran", r.ran)?;
    d.set_item("files", &r.files)?;
    Ok(d)
}

fn parse_shard(shard: Option<&str>) -> PyResult<Option<Shard>> {
    shard.map(Shard::parse).transpose().map_err(sweep_err)
}

/// `ecsim sweep`: runs the sweep (or a shard of it) into `dir` on `jobs`
/// threads (0: one per core), the GIL released; returns the report.
#[pyfunction]
#[pyo3(signature = (sweep, dir, jobs = 0, shard = None, resume = false))]
fn run_sweep<'py>(
    py: Python<'py>,
    sweep: &PySweep,
    dir: PathBuf,
    jobs: usize,
    shard: Option<&str>,
    resume: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let opts = sweep::Options {
        jobs,
        shard: parse_shard(shard)?,
        resume,
    };
    let sw = sweep.inner.clone();
    let report = py
        .allow_threads(move || sweep::run(&sw, &dir, &opts, &|_| {}))
        .map_err(sweep_err)?;
    report_dict(py, &report)
}

/// A sweep folder open for runs computed elsewhere (a cluster): its lock is
/// held until `finish` (or until the session is dropped).
#[pyclass(module = "ecsim._native", name = "SweepSession", frozen)]
struct PySession {
    inner: Mutex<Option<sweep::Session>>,
}

impl PySession {
    fn with<T>(&self, f: impl FnOnce(&sweep::Session) -> PyResult<T>) -> PyResult<T> {
        let guard = self
            .inner
            .lock()
            .map_err(|_| raise(false, vec!["the sweep session is poisoned".into()]))?;
        match guard.as_ref() {
            Some(s) => f(s),
            None => Err(raise(false, vec!["the sweep session is finished".into()])),
        }
    }
}

#[pymethods]
impl PySession {
    /// Indexes of the runs still to do, in sweep order.
    fn todo(&self) -> PyResult<Vec<usize>> {
        self.with(|s| Ok(s.todo().iter().map(|r| r.index).collect()))
    }

    /// Runs skipped because their file was there (`resume`).
    fn skipped(&self) -> PyResult<usize> {
        self.with(|s| Ok(s.skipped()))
    }

    /// Checks one run record's text (from `Sweep.records`) and appends it
    /// to the run log, synced; returns the run's index.
    fn store(&self, py: Python<'_>, text: String) -> PyResult<usize> {
        self.with(|s| {
            py.allow_threads(|| s.store(&text).map(|r| r.index))
                .map_err(sweep_err)
        })
    }

    /// Checks the run records of a batch and appends them to the run log
    /// with one write and one sync (none of them unless all are runs to
    /// do); returns the runs' indexes in the order given.
    fn store_many(&self, py: Python<'_>, texts: Vec<String>) -> PyResult<Vec<usize>> {
        self.with(|s| {
            py.allow_threads(|| {
                let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                s.store_many(&texts)
                    .map(|runs| runs.iter().map(|r| r.index).collect())
            })
            .map_err(sweep_err)
        })
    }

    /// Writes the run log whole, the tables and the manifest, and releases
    /// the folder; returns the report.
    fn finish<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let session = self
            .inner
            .lock()
            .map_err(|_| raise(false, vec!["the sweep session is poisoned".into()]))?
            .take()
            .ok_or_else(|| raise(false, vec!["the sweep session is finished".into()]))?;
        let report = py
            .allow_threads(move || session.finish())
            .map_err(sweep_err)?;
        report_dict(py, &report)
    }

    /// Releases the folder's lock without writing the tables (the runs
    /// stored stay in the run log: resume later).
    fn close(&self) -> PyResult<()> {
        if let Ok(mut g) = self.inner.lock() {
            g.take();
        }
        Ok(())
    }
}

/// Opens `dir` for `sweep` (the lock taken, other sweeps' files refused,
/// finished runs skipped with `resume`).
#[pyfunction]
#[pyo3(signature = (sweep, dir, shard = None, resume = false))]
fn open_sweep(
    py: Python<'_>,
    sweep: &PySweep,
    dir: PathBuf,
    shard: Option<&str>,
    resume: bool,
) -> PyResult<PySession> {
    let opts = sweep::Options {
        jobs: 1,
        shard: parse_shard(shard)?,
        resume,
    };
    let sw = sweep.inner.clone();
    let session = py
        .allow_threads(move || sweep::open(&sw, &dir, &opts))
        .map_err(sweep_err)?;
    Ok(PySession {
        inner: Mutex::new(Some(session)),
    })
}

/// The sweep tables of a finished sweep folder: `{"runs": columns,
/// "aggregate": columns}` (no aggregate for a shard).
#[pyfunction]
fn sweep_tables<'py>(py: Python<'py>, dir: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    let (manifest, records) = py
        .allow_threads(|| read_records(&dir))
        .map_err(|m| raise(false, vec![m]))?;
    columns::sweep_tables(py, &manifest, &records)
}

fn read_records(dir: &Path) -> Result<(sweep::Manifest, Vec<RunRecord>), String> {
    sweep::read_records(dir).map_err(|e| e.to_string())
}

/// Variants run side by side, not yet written.
#[pyclass(module = "ecsim._native", name = "Comparison", frozen)]
struct PyComparison {
    runs: Arc<Vec<(Variant, Arc<RunResult>)>>,
    results: Vec<Py<PyRunResult>>,
}

#[pymethods]
impl PyComparison {
    /// Variant names, in order.
    fn names(&self) -> Vec<String> {
        self.runs.iter().map(|(v, _)| v.name.clone()).collect()
    }

    /// Each variant's overrides, in order.
    fn overrides(&self) -> Vec<Vec<String>> {
        self.runs.iter().map(|(v, _)| v.overrides.clone()).collect()
    }

    /// Each variant's run, in order.
    fn results(&self, py: Python<'_>) -> Vec<Py<PyRunResult>> {
        self.results.iter().map(|r| r.clone_ref(py)).collect()
    }

    /// The columns of `comparison.csv`.
    fn table<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let rows: Vec<compare::Row> = self
            .runs
            .iter()
            .map(|(v, r)| compare::row(&v.name, r))
            .collect();
        columns::comparison_table(py, &rows)
    }

    /// `comparison.csv` as the CLI writes it.
    fn csv(&self) -> String {
        let rows: Vec<compare::Row> = self
            .runs
            .iter()
            .map(|(v, r)| compare::row(&v.name, r))
            .collect();
        compare::csv(&rows)
    }

    /// The side-by-side table the CLI prints.
    fn text(&self) -> String {
        let rows: Vec<compare::Row> = self
            .runs
            .iter()
            .map(|(v, r)| compare::row(&v.name, r))
            .collect();
        let mut s = compare::table(&rows);
        let be = compare::breakevens(&rows);
        if !be.is_empty() {
            s.push('\n');
            s.push_str(&compare::breakeven_text(&be));
        }
        s
    }

    /// Writes the comparison folder the CLI writes (`comparison.csv` and one
    /// run folder per variant) all-or-nothing; returns the variant folders.
    fn write(&self, py: Python<'_>, dir: PathBuf) -> PyResult<Vec<PathBuf>> {
        let runs = self.runs.clone();
        let out = py
            .allow_threads(move || {
                let refs: Vec<(&Variant, &RunResult)> =
                    runs.iter().map(|(v, r)| (v, r.as_ref())).collect();
                compare::write_compare(&dir, &refs)
            })
            .map_err(compare_err)?;
        Ok(out.variant_dirs())
    }
}

/// `ecsim compare` without writing: selects the variants (the scenario's
/// `[variants]`, extended by `extra` `NAME:PATH=VALUE` definitions, narrowed
/// and ordered by `names`), validates every one, then runs them with one
/// seed; the GIL is released.
#[pyfunction]
#[pyo3(signature = (path, set = Vec::new(), seed = None, names = Vec::new(), extra = Vec::new()))]
fn run_compare(
    py: Python<'_>,
    path: PathBuf,
    set: Vec<String>,
    seed: Option<u64>,
    names: Vec<String>,
    extra: Vec<String>,
) -> PyResult<PyComparison> {
    let runs = py
        .allow_threads(|| {
            let req = compare::Request {
                scenario: &path,
                set: &set,
                seed,
                names: &names,
                extra: &extra,
                out: None,
            };
            let variants = compare::select(&req)?;
            compare::run(&path, &variants, &set, seed)
        })
        .map_err(compare_err)?;
    let runs: Vec<(Variant, Arc<RunResult>)> =
        runs.into_iter().map(|(v, r)| (v, Arc::new(r))).collect();
    let mut results = Vec::new();
    for (_, r) in &runs {
        // Shared with the comparison, not copied.
        let result = PyRunResult {
            result: r.clone(),
            timing: None,
        };
        results.push(Py::new(py, result)?);
    }
    Ok(PyComparison {
        runs: Arc::new(runs),
        results,
    })
}

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ScenarioError", py.get_type::<ScenarioError>())?;
    m.add("EcsimError", py.get_type::<EcsimError>())?;
    m.add_class::<PyScenario>()?;
    m.add_class::<PyRunResult>()?;
    m.add_class::<PySweep>()?;
    m.add_class::<PySession>()?;
    m.add_class::<PyComparison>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(load_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(run_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(open_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_tables, m)?)?;
    m.add_function(wrap_pyfunction!(run_compare, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
