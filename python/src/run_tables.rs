//! A run's tables (`output::table`, the definitions the CSV writer writes
//! from) as typed columns for Python.

use ecsim::engine::RunResult;
use ecsim::output::table::{
    cost_table, events_table, instances_table, tasks_table, timeseries_table,
};
use ecsim::output::{Table, Values};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::columns::{column, fixed, Col};

/// Builds one table of a run.
type Build = fn(&RunResult) -> Table;

/// The tables, in the order `output::run_tables` lists them (the order the
/// files are written), each with the function that builds it.
const TABLES: [(&str, Build); 5] = [
    ("timeseries", timeseries_table),
    ("tasks", tasks_table),
    ("events", events_table),
    ("instances", instances_table),
    ("cost", cost_table),
];

/// Names of a run's tables.
pub fn table_names(_r: &RunResult) -> Vec<String> {
    TABLES.iter().map(|(n, _)| n.to_string()).collect()
}

/// The values of a column as the CSV spells them (see `columns`).
fn col(v: &Values) -> Col {
    match v {
        Values::U32(x) => Col::Int(x.iter().map(|&n| i64::from(n)).collect()),
        Values::U64(x) => Col::UInt(x.to_vec()),
        Values::Runs(x) => Col::Int(x.iter().map(i64::from).collect()),
        Values::Fixed { decimals, values } => Col::Float(
            values
                .iter()
                .map(|&x| fixed(usize::from(*decimals), x))
                .collect(),
        ),
        Values::Real(x) => Col::Float(x.to_vec()),
        // Milliseconds as seconds: `90250` is the `90.250` of the file.
        Values::Millis(x) => Col::Float(x.iter().map(|&ms| ms as f64 / 1000.0).collect()),
        Values::Text(x) => Col::Str(x.to_vec()),
        Values::Made(m) => Col::Str((0..m.0.rows()).map(|i| m.row(i)).collect()),
        Values::Labels { labels, codes } => Col::Cat {
            codes: codes.iter().map(|&c| c as i32).collect(),
            labels: labels.to_vec(),
        },
        Values::Optional { values, .. } => col(values),
    }
}

/// Table `name` of a run as a list of column tuples.
pub fn run_table<'py>(py: Python<'py>, r: &RunResult, name: &str) -> PyResult<Bound<'py, PyList>> {
    let Some((_, build)) = TABLES.iter().find(|(n, _)| *n == name) else {
        return Err(pyo3::exceptions::PyKeyError::new_err(format!(
            "no table {name:?}; the tables are {}",
            table_names(r).join(", ")
        )));
    };
    // Building the table borrows the run's vectors; done with the GIL held,
    // it is a copy of column data, short next to the run itself.
    let table = build(r);
    let out = PyList::empty(py);
    for c in &table.columns {
        let mask: Option<Vec<bool>> = match &c.values {
            Values::Optional { present, .. } => Some(present.to_vec()),
            _ => None,
        };
        out.append(column(py, &c.name, col(&c.values), mask.as_deref())?)?;
    }
    Ok(out)
}
