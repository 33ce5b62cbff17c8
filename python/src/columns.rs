//! Tables handed to Python as typed columns, never as CSV text.
//!
//! A table is a list of columns; a column is a tuple
//! `(name, kind, data, mask, labels)`:
//!
//! * `kind` `"int"` / `"uint"` / `"float"` / `"bool"`: `data` is the raw
//!   native-endian bytes of an `i64` / `u64` / `f64` / `u8` array (NumPy
//!   reads it without parsing);
//! * `"str"`: `data` is a list of `str`;
//! * `"cat"`: `data` is the bytes of `i32` codes into `labels` (-1: no value);
//! * `mask`: `None`, or the bytes of one `u8` per row, 0 where the row has no
//!   value (an empty CSV cell).
//!
//! Numbers are the values the CSV file spells: a column written with N
//! decimals holds the value of its N-decimal text, times in milliseconds
//! are seconds, so a DataFrame equals the CSV file read back.

use ecsim::compare::{self, Row};
use ecsim::sweep::table as sweep_table;
use ecsim::sweep::{Manifest, RunRecord};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use serde_json::Value;

pub use crate::run_tables::{run_table, table_names};

/// One column on its way to Python.
pub enum Col {
    Int(Vec<i64>),
    UInt(Vec<u64>),
    Float(Vec<f64>),
    Bool(Vec<bool>),
    Str(Vec<String>),
    Cat {
        codes: Vec<i32>,
        labels: Vec<String>,
    },
}

/// `x` as its text with `decimals` digits reads back (what a CSV reader sees).
pub fn fixed(decimals: usize, x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.decimals$}").parse().unwrap_or(x)
}

fn bytes_of<T: Copy, const N: usize>(v: &[T], to: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * N);
    for x in v {
        out.extend_from_slice(&to(*x));
    }
    out
}

/// The Python tuple of a column.
pub fn column<'py>(
    py: Python<'py>,
    name: &str,
    col: Col,
    mask: Option<&[bool]>,
) -> PyResult<Bound<'py, PyTuple>> {
    let none = py.None().into_bound(py);
    let mask_obj = match mask {
        Some(m) => PyBytes::new(py, &bytes_of(m, |b| [u8::from(b)])).into_any(),
        None => none.clone(),
    };
    let (kind, data, labels) = match col {
        Col::Int(v) => (
            "int",
            PyBytes::new(py, &bytes_of(&v, i64::to_ne_bytes)).into_any(),
            none,
        ),
        Col::UInt(v) => (
            "uint",
            PyBytes::new(py, &bytes_of(&v, u64::to_ne_bytes)).into_any(),
            none,
        ),
        Col::Float(v) => (
            "float",
            PyBytes::new(py, &bytes_of(&v, f64::to_ne_bytes)).into_any(),
            none,
        ),
        Col::Bool(v) => (
            "bool",
            PyBytes::new(py, &bytes_of(&v, |b| [u8::from(b)])).into_any(),
            none,
        ),
        Col::Str(v) => ("str", PyList::new(py, &v)?.into_any(), none),
        Col::Cat { codes, labels } => (
            "cat",
            PyBytes::new(py, &bytes_of(&codes, i32::to_ne_bytes)).into_any(),
            PyList::new(py, &labels)?.into_any(),
        ),
    };
    PyTuple::new(
        py,
        [
            name.into_pyobject(py)?.into_any(),
            kind.into_pyobject(py)?.into_any(),
            data,
            mask_obj,
            labels,
        ],
    )
}

/// A float column where `None` is no value.
fn opt_floats(v: impl IntoIterator<Item = Option<f64>>) -> (Col, Vec<bool>) {
    let (vals, mask): (Vec<f64>, Vec<bool>) = v
        .into_iter()
        .map(|x| (x.unwrap_or(f64::NAN), x.is_some()))
        .unzip();
    (Col::Float(vals), mask)
}

/// `comparison.csv` as columns: [`compare::HEADER`], then one breakeven
/// column per all-Fargate variant.
pub fn comparison_table<'py>(py: Python<'py>, rows: &[Row]) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    let h = compare::HEADER;
    let f = |d: usize, get: &dyn Fn(&Row) -> f64| {
        Col::Float(rows.iter().map(|r| fixed(d, get(r))).collect())
    };
    let i = |get: &dyn Fn(&Row) -> u64| Col::Int(rows.iter().map(|r| get(r) as i64).collect());
    let o = |d: usize, get: &dyn Fn(&Row) -> Option<f64>| {
        opt_floats(rows.iter().map(|r| get(r).map(|x| fixed(d, x))))
    };
    let plain: Vec<(usize, Col)> = vec![
        (
            0,
            Col::Str(rows.iter().map(|r| r.variant.clone()).collect()),
        ),
        (1, f(2, &|r| r.run_total_usd)),
        (2, f(2, &|r| r.usd_per_month)),
        (3, f(2, &|r| r.ec2_usd)),
        (4, f(2, &|r| r.fargate_usd)),
        (5, f(2, &|r| r.idle_usd)),
        (6, f(1, &|r| r.paid_reserved_pct)),
    ];
    for (k, c) in plain {
        out.append(column(py, h[k], c, None)?)?;
    }
    for (k, (c, m)) in [
        (7, o(1, &|r| r.cpu_reserved_pct)),
        (8, o(1, &|r| r.memory_reserved_pct)),
    ] {
        out.append(column(py, h[k], c, Some(&m))?)?;
    }
    let more: Vec<(usize, Col)> = vec![
        (9, f(1, &|r| r.minutes_below_desired)),
        (10, i(&|r| r.unplaced)),
        (11, i(&|r| r.interruptions)),
        (12, i(&|r| r.submitted)),
        (13, i(&|r| r.overloaded_minutes)),
    ];
    for (k, c) in more {
        out.append(column(py, h[k], c, None)?)?;
    }
    let (c, m) = o(2, &|r| r.usd_per_million_requests);
    out.append(column(py, h[14], c, Some(&m))?)?;
    out.append(column(py, h[15], i(&|r| r.jobs_failed), None)?)?;
    out.append(column(py, h[16], f(0, &|r| r.requests_dropped), None)?)?;
    out.append(column(
        py,
        h[17],
        Col::Bool(rows.iter().map(Row::dropped_work).collect()),
        None,
    )?)?;
    let be = compare::breakevens(rows);
    for fr in rows.iter().filter(|r| compare::is_fargate(r)) {
        let (c, m) = opt_floats(rows.iter().map(|r| {
            be.iter()
                .find(|b| b.ec2 == r.variant && b.fargate == fr.variant)
                .map(|b| fixed(1, b.reserved_pct))
        }));
        let name = format!("breakeven_reserved_pct_vs_{}", fr.variant);
        out.append(column(py, &name, c, Some(&m))?)?;
    }
    Ok(out)
}

/// One statistic of [`sweep_table::Stats`] (`None`: an empty cell).
type Pick = dyn Fn(&sweep_table::Stats) -> Option<f64>;

/// A number as the sweep tables spell it (4 decimals, shortest form), NaN
/// for an empty cell.
fn num(x: f64) -> f64 {
    let text = sweep_table::num(x);
    if text.is_empty() {
        f64::NAN
    } else {
        text.parse().unwrap_or(f64::NAN)
    }
}

fn params(manifest: &Manifest, records: &[&RunRecord]) -> Vec<(String, Col)> {
    manifest
        .parameters
        .iter()
        .map(|p| {
            let v = records
                .iter()
                .map(|r| {
                    r.parameters
                        .get(p)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                })
                .collect();
            (p.clone(), Col::Str(v))
        })
        .collect()
}

/// `runs.csv` and `aggregate.csv` as columns, from the run records in sweep
/// order (the same functions `ecsim sweep` writes them with: `flatten`,
/// `metric_columns`, `stats`, `num`).
pub fn sweep_tables<'py>(
    py: Python<'py>,
    manifest: &Manifest,
    records: &[RunRecord],
) -> PyResult<Bound<'py, PyDict>> {
    let (shapes, rows) = sweep_table::Shapes::of(records);
    let flat = sweep_table::Metrics::of_rows(&rows, &shapes);
    let metrics = &flat.names;
    let all: Vec<&RunRecord> = records.iter().collect();

    let runs = PyList::empty(py);
    let fixed_cols = vec![
        (
            "run_id".to_string(),
            Col::Str(records.iter().map(|r| r.run_id.clone()).collect()),
        ),
        (
            "run_index".into(),
            Col::Int(records.iter().map(|r| r.run_index as i64).collect()),
        ),
        (
            "seed_index".into(),
            Col::Int(records.iter().map(|r| i64::from(r.seed_index)).collect()),
        ),
        (
            "seed".into(),
            Col::UInt(records.iter().map(|r| r.seed).collect()),
        ),
    ];
    for (name, c) in fixed_cols.into_iter().chain(params(manifest, &all)) {
        runs.append(column(py, &name, c, None)?)?;
    }
    for (i, m) in metrics.iter().enumerate() {
        let v = (0..records.len()).map(|r| num(flat.row(r)[i])).collect();
        runs.append(column(py, m, Col::Float(v), None)?)?;
    }

    let out = PyDict::new(py);
    out.set_item("runs", runs)?;
    if manifest.shard.is_some() {
        return Ok(out);
    }
    // Consecutive records of one combination, as aggregate.csv groups them.
    let groups: Vec<(usize, usize)> = sweep_table::combination_groups(&rows)
        .into_iter()
        .map(|g| (g.start, g.end))
        .collect();
    let firsts: Vec<&RunRecord> = groups.iter().map(|&(s, _)| &records[s]).collect();
    let agg = PyList::empty(py);
    for (name, c) in params(manifest, &firsts) {
        agg.append(column(py, &name, c, None)?)?;
    }
    agg.append(column(
        py,
        "runs",
        Col::Int(groups.iter().map(|&(s, e)| (e - s) as i64).collect()),
        None,
    )?)?;
    for (i, m) in metrics.iter().enumerate() {
        let stats: Vec<sweep_table::Stats> = groups
            .iter()
            .map(|&(s, e)| sweep_table::stats(&flat.column(i, s..e)))
            .collect();
        let pick: [(&str, &Pick); 6] = [
            ("mean", &|s| Some(s.mean)),
            ("std", &|s| s.std),
            ("ci95_low", &|s| s.ci95.map(|c| c.0)),
            ("ci95_high", &|s| s.ci95.map(|c| c.1)),
            ("min", &|s| Some(s.min)),
            ("max", &|s| Some(s.max)),
        ];
        for ((suffix, get), want) in pick.into_iter().zip(sweep_table::STATS) {
            debug_assert_eq!(suffix, want);
            let v = stats.iter().map(|s| get(s).map_or(f64::NAN, num)).collect();
            agg.append(column(py, &format!("{m}.{suffix}"), Col::Float(v), None)?)?;
        }
    }
    // The `[slo]` objectives: share of each combination's runs that met
    // each, with its Wilson interval (as aggregate.csv ends).
    let (names, values) = sweep_table::slo_shares(&rows, manifest.slo_confidence.unwrap_or(0.95));
    for (k, name) in names.iter().enumerate() {
        let v = values.iter().map(|row| num(row[k])).collect();
        agg.append(column(py, name, Col::Float(v), None)?)?;
    }
    out.set_item("aggregate", agg)?;
    Ok(out)
}
