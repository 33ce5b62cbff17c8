//! The sweep's tables: a run's summary flattened into named numbers,
//! `runs.csv` (one row per run) and `aggregate.csv` (one row per parameter
//! combination: mean, sample standard deviation, 95% confidence interval of
//! the mean, min, max). Functions of run records and of the rows they
//! reduce to: no files, no threads of its own (rows may be made on the
//! caller's), no knowledge of what the metrics mean.
//!
//! Metric names are dotted paths into the summary (`services.web.
//! running_ratio_mean`); an element of a list that has a `name` is keyed by
//! it, any other by its index. Strings are left out, booleans (an `[slo]`
//! objective's `met`) read 1 or 0, and so is left out the summary's
//! top-level `seed`, which is the run's `seed` column. The
//! columns are the union over runs, in the summary's order (struct fields
//! as declared, the keys of a map sorted, whichever run brings them first),
//! so they depend on the set of runs, not on who ran them. A metric absent
//! from a run's summary (a count-by-reason map leaves zero counts out) is 0
//! in both files.
//!
//! Every number is rounded to 4 decimals, as the summary is, and printed in
//! the shortest form that reads back to the same value (`12`, `0.9986`).
//!
//! The tables read runs as [`Row`]s: a run's identity and its summary
//! reduced to its numbers, in the summary's order, with the id of its
//! structure in a [`Shapes`] book that keeps the bytes of each structure
//! (its keys and kinds, no values). A sweep holds one row per run until
//! the end, and the book one structure per distinct shape: runs whose maps
//! have other keys (a failure reason, an AZ) bring a shape each, so a
//! shape is kept as compact bytes, not as the summary (on a 200-service
//! cluster, 0.17 MB a shape, where the summary beside it was 1.7 MB of
//! small allocations). The threads
//! that finish the runs reduce them.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

use super::store::RunRecord;
use crate::csvdata::CsvText;
use crate::metrics::round4;

pub use crate::metrics::flatten;

/// Calls `f` with each of the children
/// [`summary_children`](crate::metrics::summary_children) lists, in order,
/// without collecting them (an index key is written into one reused buffer).
fn each_kid<'v>(v: &'v Value, root: bool, mut f: impl FnMut(&str, &'v Value)) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if !(root && k.as_str() == "seed") {
                    f(k, child);
                }
            }
        }
        Value::Array(items) => {
            let mut index = String::new();
            for (i, item) in items.iter().enumerate() {
                match item.get("name").and_then(Value::as_str) {
                    Some(name) => f(name, item),
                    None => {
                        use std::fmt::Write;
                        index.clear();
                        let _ = write!(index, "{i}");
                        f(&index, item);
                    }
                }
            }
        }
        _ => {}
    }
}

/// The union of the summaries' structure, children in merged order.
#[derive(Debug, Default)]
struct Node {
    /// Whether some summary has a number here.
    leaf: bool,
    /// Its column in [`Metrics`], once numbered.
    column: usize,
    children: Vec<(String, Node)>,
}

impl Node {
    /// The child named `key` (there is one at most), looked for first at
    /// `hint`: summaries mostly list their fields in the merged order.
    fn find(&self, key: &str, hint: usize) -> Option<usize> {
        match self.children.get(hint) {
            Some((k, _)) if k == key => Some(hint),
            _ => self.children.iter().position(|(k, _)| k == key),
        }
    }

    /// Adds the fields of `v` not seen yet. A new field goes after the
    /// field that precedes it in `v`, and past the fields `v` lacks that
    /// sort before it: struct fields keep the summary's order, and the keys
    /// of a map (sorted in every summary, zero counts left out) end up
    /// sorted whichever run brings them first.
    fn merge(&mut self, v: &Skeleton<'_>) {
        if v.kind == NUMBER {
            self.leaf = true;
        }
        let mut at = 0;
        for (key, child) in &v.kids {
            if child.kind == TEXT {
                continue;
            }
            let i = match self.find(key, at) {
                Some(i) => i,
                None => {
                    // A new field (rare: the first summaries bring them).
                    while at < self.children.len()
                        && !v.kids.iter().any(|(k, _)| *k == self.children[at].0)
                        && self.children[at].0.as_str() < *key
                    {
                        at += 1;
                    }
                    self.children.insert(at, (key.to_string(), Node::default()));
                    at
                }
            };
            at = i + 1;
            self.children[i].1.merge(child);
        }
    }

    /// [`Node::merge`] read off the summary itself, as the layout did
    /// before it kept shapes only: the tests check that both merge alike.
    #[cfg(test)]
    fn merge_value(&mut self, v: &Value, root: bool) {
        if v.is_number() || v.is_boolean() {
            self.leaf = true;
        }
        let mut at = 0;
        each_kid(v, root, |key, child| {
            if !matches!(
                child,
                Value::Number(_) | Value::Bool(_) | Value::Object(_) | Value::Array(_)
            ) {
                return;
            }
            let i = match self.find(key, at) {
                Some(i) => i,
                None => {
                    let kids = crate::metrics::summary_children(v, root);
                    while at < self.children.len()
                        && !kids.iter().any(|(k, _)| *k == self.children[at].0)
                        && self.children[at].0.as_str() < key
                    {
                        at += 1;
                    }
                    self.children.insert(at, (key.to_string(), Node::default()));
                    at
                }
            };
            at = i + 1;
            self.children[i].1.merge_value(child, false);
        });
    }

    fn leaves(&self, name: &str, out: &mut Vec<String>) {
        for (k, child) in &self.children {
            let full = if name.is_empty() {
                k.clone()
            } else {
                format!("{name}.{k}")
            };
            if child.leaf {
                out.push(full.clone());
            }
            child.leaves(&full, out);
        }
    }

    /// Numbers the leaves in [`Node::leaves`] order, a leaf taking the
    /// column of `column`'s name for it (names may repeat: `a.b` is the key
    /// `b` under `a` and the key `a.b`).
    fn number(&mut self, name: &str, column: &HashMap<String, usize>) {
        for (k, child) in &mut self.children {
            let full = if name.is_empty() {
                k.clone()
            } else {
                format!("{name}.{k}")
            };
            if let (true, Some(&c)) = (child.leaf, column.get(&full)) {
                child.column = c;
            }
            child.number(&full, column);
        }
    }

    /// Sets the values of summary node `v` (merged into this tree) in
    /// `row`, in the summary's order, the first value of a column kept:
    /// what [`flatten`] gives, read by name. The tables follow a shape's
    /// [`Node::plan`] instead; the tests check the two agree.
    #[cfg(test)]
    fn fill(&self, v: &Value, root: bool, row: &mut [f64], seen: &mut [bool]) {
        let mut at = 0;
        each_kid(v, root, |key, child| {
            let x = match child {
                Value::Number(n) => n.as_f64(),
                Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
                Value::Object(_) | Value::Array(_) => None,
                _ => return,
            };
            let Some(i) = self.find(key, at) else {
                return;
            };
            at = i + 1;
            let node = &self.children[i].1;
            match x {
                Some(x) => {
                    if node.leaf && !seen[node.column] {
                        seen[node.column] = true;
                        row[node.column] = x;
                    }
                }
                None => node.fill(child, false, row, seen),
            }
        });
    }

    /// For summary node `v` (merged into this tree): where the walk of
    /// `Node::fill` (kept for the tests) puts each of its numbers, in the
    /// order [`reduce_into`] lists them, appended to `out`: the column, or
    /// None for a value `fill` does not keep (a column an earlier value of
    /// the summary set). Summaries of one
    /// [`shape`] have one plan: it depends on their keys and kinds only.
    fn plan(&self, v: &Skeleton<'_>, seen: &mut [bool], out: &mut Vec<Option<u32>>) {
        let mut at = 0;
        for (key, child) in &v.kids {
            if child.kind == TEXT {
                continue;
            }
            let number = child.kind == NUMBER;
            let Some(i) = self.find(key, at) else {
                // Not merged (only a summary of another shape lacks it):
                // its numbers are listed all the same, and kept nowhere.
                let n = child.numbers() + usize::from(number);
                out.extend(std::iter::repeat_n(None, n));
                continue;
            };
            at = i + 1;
            let node = &self.children[i].1;
            if number {
                let keep = node.leaf && !seen[node.column];
                if keep {
                    seen[node.column] = true;
                }
                out.push(keep.then_some(node.column as u32));
            } else {
                node.plan(child, seen, out);
            }
        }
    }
}

/// A summary's structure read back from its [`shape`]: each node's kind
/// and its children, by key, in the summary's order; no values. The book
/// of shapes keeps the shape's bytes only, a tenth of the summary they
/// describe or less, and a layout reads each back when it merges or plans
/// it.
#[derive(Debug)]
struct Skeleton<'a> {
    kind: u8,
    kids: Vec<(&'a str, Skeleton<'a>)>,
}

/// The kinds of [`shape`] nodes: a number or boolean (a column), an
/// object, a list, a string or null (left out of the columns, but its key
/// still places new ones).
const NUMBER: u8 = b'n';
const OBJECT: u8 = b'o';
const LIST: u8 = b'a';
const TEXT: u8 = b's';

impl<'a> Skeleton<'a> {
    /// Reads the node at the start of `bytes` (made by [`reduce_into`]) and
    /// returns it with the bytes after it.
    fn read(bytes: &'a [u8]) -> (Skeleton<'a>, &'a [u8]) {
        fn u32_at(bytes: &[u8]) -> (usize, &[u8]) {
            let (n, rest) = bytes.split_at(4);
            (u32::from_le_bytes([n[0], n[1], n[2], n[3]]) as usize, rest)
        }
        let (&kind, mut rest) = bytes.split_first().expect("a shape node");
        let mut kids = Vec::new();
        if kind == OBJECT || kind == LIST {
            let (n, after) = u32_at(rest);
            rest = after;
            kids.reserve_exact(n);
            for _ in 0..n {
                let (len, after) = u32_at(rest);
                let (key, after) = after.split_at(len);
                let key = std::str::from_utf8(key).expect("a shape key is a summary's key");
                let (child, after) = Skeleton::read(after);
                kids.push((key, child));
                rest = after;
            }
        }
        (Skeleton { kind, kids }, rest)
    }

    /// The summary node whose [`shape`] is `bytes`.
    fn parse(bytes: &'a [u8]) -> Skeleton<'a> {
        let (node, rest) = Skeleton::read(bytes);
        debug_assert!(rest.is_empty(), "a shape is one node");
        node
    }

    /// How many numbers are below this node (not counting itself).
    fn numbers(&self) -> usize {
        (self.kids.iter())
            .map(|(_, k)| k.numbers() + usize::from(k.kind == NUMBER))
            .sum()
    }
}

/// The metric columns of a set of summaries: the union of their numbers'
/// names, in the order of the summaries' structure: a new name goes after the
/// name that precedes it in the summary that brings it, and past the names
/// that summary lacks and that sort before it among its siblings.
pub fn metric_columns<'a>(summaries: impl IntoIterator<Item = &'a Value>) -> Vec<String> {
    let mut tree = Node::default();
    for s in summaries {
        tree.merge(&Skeleton::parse(&shape(s)));
    }
    let mut out = Vec::new();
    tree.leaves("", &mut out);
    out
}

/// A number as the tables print it: rounded to 4 decimals, shortest form.
pub fn num(x: f64) -> String {
    let mut s = String::new();
    push_num(&mut s, x);
    s
}

/// Appends [`num`]`(x)` to `out`.
fn push_num(out: &mut String, x: f64) {
    use std::fmt::Write;
    if !x.is_finite() {
        return;
    }
    let r = round4(x);
    if r == 0.0 {
        out.push('0');
    } else {
        let _ = write!(out, "{r}");
    }
}

/// The cells of one row written into one buffer: no string per cell.
#[derive(Default)]
struct Cells {
    text: String,
    ends: Vec<usize>,
}

impl Cells {
    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    fn end(&mut self) {
        self.ends.push(self.text.len());
    }

    fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.end();
    }

    fn push_display(&mut self, cell: impl std::fmt::Display) {
        use std::fmt::Write;
        let _ = write!(self.text, "{cell}");
        self.end();
    }

    fn push_num(&mut self, x: f64) {
        push_num(&mut self.text, x);
        self.end();
    }

    fn iter(&self) -> impl Iterator<Item = &str> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let cell = &self.text[start..end];
            start = end;
            cell
        })
    }
}

/// The two-sided 95% critical value of Student's t for `dof` degrees of
/// freedom: the 0.975 quantile, computed exactly (no table, no normal
/// approximation for large `dof`). NaN for `dof = 0`.
pub fn t95(dof: usize) -> f64 {
    if dof == 0 {
        return f64::NAN;
    }
    student_t_quantile(0.975, dof as f64)
}

/// The `p` quantile of Student's t distribution with `dof` degrees of
/// freedom (`0 < p < 1`, `dof > 0`), by bisection on the distribution
/// function to the last bits of an `f64`.
pub fn student_t_quantile(p: f64, dof: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && dof > 0.0) {
        return f64::NAN;
    }
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, dof);
    }
    if p == 0.5 {
        return 0.0;
    }
    let mut hi = 1.0;
    while student_t_cdf(hi, dof) < p {
        hi *= 2.0;
        if !hi.is_finite() {
            return f64::INFINITY;
        }
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if student_t_cdf(mid, dof) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// P(T <= t) for Student's t with `dof` degrees of freedom:
/// `1 - I_x(dof/2, 1/2) / 2` with `x = dof / (dof + t^2)` for `t >= 0`.
pub fn student_t_cdf(t: f64, dof: f64) -> f64 {
    let tail = 0.5 * incomplete_beta(0.5 * dof, 0.5, dof / (dof + t * t));
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, nine terms; relative
/// error about 1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized incomplete beta function I_x(a, b), by its continued
/// fraction (modified Lentz), on the side of `x` where it converges fast.
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let even = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        for coef in [
            even,
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0)),
        ] {
            d = 1.0 + coef * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + coef / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// Summary statistics of one metric over the runs of a combination.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1); `None` for a single run.
    pub std: Option<f64>,
    /// 95% confidence interval of the mean, `mean -+ t(n-1) * std / sqrt(n)`.
    pub ci95: Option<(f64, f64)>,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// Statistics of `xs` (not empty), summed in the order given.
pub fn stats(xs: &[f64]) -> Stats {
    stats_with(xs, t95(xs.len().saturating_sub(1)))
}

/// [`stats`] given `t = t95(xs.len() - 1)`: a combination's columns all
/// have its number of runs, and the quantile is found by bisection, so it
/// is computed once per combination rather than once per column.
fn stats_with(xs: &[f64], t: f64) -> Stats {
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if n < 2 {
        return Stats {
            mean,
            std: None,
            ci95: None,
            min,
            max,
        };
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let std = var.sqrt();
    let half = t * std / (n as f64).sqrt();
    Stats {
        mean,
        std: Some(std),
        ci95: Some((mean - half, mean + half)),
        min,
        max,
    }
}

fn header(parameters: &[String], fixed: &[&str]) -> Vec<String> {
    fixed
        .iter()
        .map(|s| s.to_string())
        .chain(parameters.iter().cloned())
        .collect()
}

fn param_cells(parameters: &[String], r: &Row) -> Vec<String> {
    parameters
        .iter()
        .map(|p| {
            r.record
                .parameters
                .get(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// The value of metric `name` in a [`flatten`]ed summary (0 when the run
/// has none).
pub fn value_of(row: &[(String, f64)], name: &str) -> f64 {
    row.iter().find(|(n, _)| n == name).map_or(0.0, |(_, x)| *x)
}

/// The rows of each combination as index ranges, in order: consecutive
/// rows of one combination form one row of `aggregate.csv` (the rows
/// must be in sweep order).
pub fn combination_groups(rows: &[Row]) -> Vec<std::ops::Range<usize>> {
    let mut groups = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let c = rows[start].record.combination;
        let end = start
            + rows[start..]
                .iter()
                .take_while(|r| r.record.combination == c)
                .count();
        groups.push(start..end);
        start = end;
    }
    groups
}

/// Every record's metrics, flattened once: the [`metric_columns`] of the
/// records and, per record, a value per column (0 where the run has none,
/// the first of its values where a flattened name repeats, as
/// [`value_of`] reads it). Both tables read it, so each summary is walked
/// once, and a cell is an index, not a search by name.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Column names.
    pub names: Vec<String>,
    /// Record-major values, `names.len()` per record.
    values: Vec<f64>,
}

/// The [`Metrics`] columns of a set of records and how a summary is read
/// into them: [`Metrics::of`] in two steps, so that the rows can be read
/// in parts (by several threads).
#[derive(Debug)]
pub struct MetricLayout {
    names: Vec<String>,
    /// By shape id: the column of each of a row's values ([`Node::plan`]);
    /// empty for shapes no row of the layout has.
    plans: Vec<Vec<Option<u32>>>,
}

/// The structure of a summary as [`MetricLayout`] merges it: its kind, then
/// each of its children (as `each_kid` lists them), in order, by key and
/// shape, nested; no value. Summaries of one shape add the same columns, so
/// a layout merges one summary of each shape only. An object or a list
/// gives its count of children, and keys are length-prefixed: two shapes
/// are equal only if the structures are, and the layout reads a shape
/// back.
pub fn shape(summary: &Value) -> Vec<u8> {
    let (mut out, mut values) = (Vec::new(), Vec::new());
    reduce_into(summary, true, &mut out, &mut values);
    out
}

/// Walks `v` once for its [`shape`] (appended to `shape`) and its numbers
/// (appended to `values`): every number or boolean below `v`, 1 or 0 for a
/// boolean, in the order [`each_kid`] lists them, depth first; `v` itself
/// is not one of them (a summary is an object).
fn reduce_into(v: &Value, root: bool, shape: &mut Vec<u8>, values: &mut Vec<f64>) {
    shape.push(match v {
        Value::Number(_) | Value::Bool(_) => NUMBER,
        Value::Object(_) => OBJECT,
        Value::Array(_) => LIST,
        Value::String(_) | Value::Null => TEXT,
    });
    if !(v.is_object() || v.is_array()) {
        return;
    }
    // The count of children, set once they are listed.
    let count_at = shape.len();
    shape.extend_from_slice(&[0; 4]);
    let mut count = 0u32;
    each_kid(v, root, |key, child| {
        count += 1;
        shape.extend_from_slice(&(key.len() as u32).to_le_bytes());
        shape.extend_from_slice(key.as_bytes());
        match child {
            // Without serde_json's arbitrary precision, every number
            // reads as an f64.
            Value::Number(n) => values.push(n.as_f64().unwrap_or(0.0)),
            Value::Bool(b) => values.push(if *b { 1.0 } else { 0.0 }),
            _ => {}
        }
        reduce_into(child, false, shape, values);
    });
    shape[count_at..count_at + 4].copy_from_slice(&count.to_le_bytes());
}

/// A hash of shape bytes for the book's lookup, eight bytes a step (a
/// shape is a few kilobytes, hashed once per run; equal hashes are checked
/// byte for byte, so it need not be strong, only quick and spread).
fn shape_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut chunks = bytes.chunks_exact(8);
    let mut h = bytes.len() as u64;
    for c in &mut chunks {
        let word = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    h
}

/// A run as the tables read it: its record without the summary (its
/// identity and parameters), the summary's numbers in the summary's order,
/// which `[slo]` objectives it met, and the id of the summary's [`shape`]
/// in the [`Shapes`] book that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The run's record, its summary taken out (null).
    pub record: RunRecord,
    shape: u32,
    values: Vec<f64>,
    /// `met` of each entry of the summary's `slo` list.
    slo_met: Vec<bool>,
}

/// The shapes of the summaries reduced to [`Row`]s, each kept once as its
/// shape (the columns and where a row's numbers go are read off it). Rows
/// may be made on several threads at once; a shape's id is the order in
/// which it was first seen, which the tables never depend on.
#[derive(Debug, Default)]
pub struct Shapes {
    known: Mutex<Book>,
}

#[derive(Debug, Default)]
struct Book {
    /// Shape bytes, by id.
    entries: Vec<Vec<u8>>,
    /// Ids by a hash of the shape bytes.
    by_hash: HashMap<u64, Vec<u32>>,
}

impl Shapes {
    /// Reduces `record` to its row, keeping its shape if it is new.
    pub fn row(&self, mut record: RunRecord) -> Row {
        let summary = std::mem::take(&mut record.summary);
        let (mut shape, mut values) = (Vec::new(), Vec::new());
        reduce_into(&summary, true, &mut shape, &mut values);
        let slo_met = (summary.get("slo").and_then(Value::as_array))
            .map(|list| {
                (list.iter())
                    .map(|o| o.get("met").and_then(Value::as_bool).unwrap_or(false))
                    .collect()
            })
            .unwrap_or_default();
        // Grown by doubling: kept for the whole sweep, at their size.
        values.shrink_to_fit();
        let hash = shape_hash(&shape);
        let id = {
            let mut book = self.known.lock().unwrap_or_else(|e| e.into_inner());
            let Book { entries, by_hash } = &mut *book;
            let same = by_hash.entry(hash).or_default();
            match same.iter().find(|&&id| entries[id as usize] == shape) {
                Some(&id) => id,
                None => {
                    let id = entries.len() as u32;
                    shape.shrink_to_fit();
                    entries.push(shape);
                    same.push(id);
                    id
                }
            }
        };
        Row {
            record,
            shape: id,
            values,
            slo_met,
        }
    }

    /// The rows of `records`, in order, and the book that made them.
    pub fn of(records: &[RunRecord]) -> (Shapes, Vec<Row>) {
        let shapes = Shapes::default();
        let rows = records.iter().map(|r| shapes.row(r.clone())).collect();
        (shapes, rows)
    }
}

impl MetricLayout {
    /// The columns of `rows` (made by `shapes`): their summaries' structure
    /// merged, one shape at a time in the order the rows first bring
    /// them, its leaves numbered.
    pub fn of(rows: &[Row], shapes: &Shapes) -> MetricLayout {
        let book = shapes.known.lock().unwrap_or_else(|e| e.into_inner());
        let mut tree = Node::default();
        let mut merged = vec![false; book.entries.len()];
        for r in rows {
            let id = r.shape as usize;
            if !merged[id] {
                merged[id] = true;
                tree.merge(&Skeleton::parse(&book.entries[id]));
            }
        }
        let mut names = Vec::new();
        tree.leaves("", &mut names);
        // A repeated name reads as its last column, the other stays 0.
        let column: HashMap<String, usize> = (names.iter().enumerate())
            .map(|(i, n)| (n.clone(), i))
            .collect();
        tree.number("", &column);
        let plans = (book.entries.iter().zip(&merged))
            .map(|(shape, &used)| {
                let mut plan = Vec::new();
                if used {
                    let seen = &mut vec![false; names.len()];
                    tree.plan(&Skeleton::parse(shape), seen, &mut plan);
                }
                plan
            })
            .collect();
        MetricLayout { names, plans }
    }

    /// Columns per record.
    pub fn width(&self) -> usize {
        self.names.len()
    }

    /// Puts the numbers of `rows` into `values`, [`width`](Self::width)
    /// values per row (0 where a row has none), each where its shape's plan
    /// says: what walking each summary along the merged structure
    /// (`Node::fill`) gives, without the summaries.
    pub fn fill(&self, rows: &[Row], values: &mut [f64]) {
        let width = self.width();
        for (r, out) in rows.iter().zip(values.chunks_mut(width.max(1))) {
            out.iter_mut().for_each(|x| *x = 0.0);
            for (column, x) in self.plans[r.shape as usize].iter().zip(&r.values) {
                if let Some(c) = column {
                    out[*c as usize] = *x;
                }
            }
        }
    }

    /// The metrics, from the values [`fill`](Self::fill) read.
    pub fn metrics(self, values: Vec<f64>) -> Metrics {
        Metrics {
            names: self.names,
            values,
        }
    }
}

impl Metrics {
    /// The metrics of `records`.
    pub fn of(records: &[RunRecord]) -> Metrics {
        let (shapes, rows) = Shapes::of(records);
        Metrics::of_rows(&rows, &shapes)
    }

    /// The metrics of `rows` (made by `shapes`).
    pub fn of_rows(rows: &[Row], shapes: &Shapes) -> Metrics {
        let layout = MetricLayout::of(rows, shapes);
        let mut values = vec![0.0; layout.width() * rows.len()];
        layout.fill(rows, &mut values);
        layout.metrics(values)
    }

    /// The values of record `i`, one per column.
    pub fn row(&self, i: usize) -> &[f64] {
        let w = self.names.len();
        &self.values[i * w..(i + 1) * w]
    }

    /// Column `m` over the records `rows`.
    pub fn column(&self, m: usize, rows: std::ops::Range<usize>) -> Vec<f64> {
        rows.map(|i| self.row(i)[m]).collect()
    }
}

/// `runs.csv`: `run_id, run_index, seed_index, seed`, the parameters, the
/// metrics; one row per record, in the order given (sweep order).
pub fn runs_csv(parameters: &[String], records: &[RunRecord]) -> String {
    let (shapes, rows) = Shapes::of(records);
    runs_csv_of(parameters, &rows, &Metrics::of_rows(&rows, &shapes))
}

/// [`runs_csv`] from the rows and their [`Metrics`].
pub fn runs_csv_of(parameters: &[String], rows: &[Row], metrics: &Metrics) -> String {
    runs_csv_head(parameters, metrics) + &runs_csv_rows(parameters, rows, metrics, 0)
}

/// The header line of [`runs_csv`].
pub fn runs_csv_head(parameters: &[String], metrics: &Metrics) -> String {
    let mut head = header(parameters, &["run_id", "run_index", "seed_index", "seed"]);
    head.extend(metrics.names.iter().cloned());
    let mut w = CsvText::new();
    w.row(&head);
    w.finish()
}

/// The lines of [`runs_csv`] of `rows`, the rows `first..` of
/// `metrics`: the lines of consecutive parts, joined, are the lines of the
/// whole.
pub fn runs_csv_rows(
    parameters: &[String],
    rows: &[Row],
    metrics: &Metrics,
    first: usize,
) -> String {
    let mut w = CsvText::new();
    let mut cells = Cells::default();
    for (i, r) in rows.iter().enumerate() {
        cells.clear();
        cells.push(&r.record.run_id);
        cells.push_display(r.record.run_index);
        cells.push_display(r.record.seed_index);
        cells.push_display(r.record.seed);
        for p in parameters {
            let label = r.record.parameters.get(p).and_then(Value::as_str);
            cells.push(label.unwrap_or_default());
        }
        for &x in metrics.row(first + i) {
            cells.push_num(x);
        }
        w.row(cells.iter());
    }
    w.finish()
}

/// Statistic suffixes of `aggregate.csv`, per metric.
pub const STATS: [&str; 6] = ["mean", "std", "ci95_low", "ci95_high", "min", "max"];

/// The `[slo]` columns of `aggregate.csv`, after the metrics: per
/// objective `i` (the order of `[slo] objectives`), the share of the
/// combination's runs that met it, `slo.<i>.met_share`, and its Wilson
/// score interval at `confidence`, `slo.<i>.met_share_lo` and
/// `slo.<i>.met_share_hi`. Returns the column names and, per combination
/// of [`combination_groups`], the values; no columns when no run has
/// objectives.
pub fn slo_shares(rows: &[Row], confidence: f64) -> (Vec<String>, Vec<Vec<f64>>) {
    let met = |r: &Row, i: usize| r.slo_met.get(i).copied().unwrap_or(false);
    let objectives = (rows.iter().map(|r| r.slo_met.len())).max().unwrap_or(0);
    let names = (0..objectives)
        .flat_map(|i| ["met_share", "met_share_lo", "met_share_hi"].map(|s| format!("slo.{i}.{s}")))
        .collect();
    let values = combination_groups(rows)
        .into_iter()
        .map(|g| {
            let runs = &rows[g];
            (0..objectives)
                .flat_map(|i| {
                    let k = runs.iter().filter(|r| met(r, i)).count();
                    let w = crate::slo::wilson(k, runs.len(), confidence);
                    [w.share, w.lo, w.hi]
                })
                .collect()
        })
        .collect();
    (names, values)
}

/// [`aggregate_csv_at`] at the default confidence (0.95).
pub fn aggregate_csv(parameters: &[String], records: &[RunRecord]) -> String {
    aggregate_csv_at(parameters, records, 0.95)
}

/// `aggregate.csv`: the parameters, `runs`, and per metric the [`STATS`],
/// then the [`slo_shares`] columns at `confidence`; one row per
/// combination, records grouped by consecutive combination (the records
/// must be in sweep order).
pub fn aggregate_csv_at(parameters: &[String], records: &[RunRecord], confidence: f64) -> String {
    let (shapes, rows) = Shapes::of(records);
    aggregate_csv_of(
        parameters,
        &rows,
        &Metrics::of_rows(&rows, &shapes),
        confidence,
    )
}

/// [`aggregate_csv_at`] from the rows and their [`Metrics`].
pub fn aggregate_csv_of(
    parameters: &[String],
    rows: &[Row],
    metrics: &Metrics,
    confidence: f64,
) -> String {
    let mut head = header(parameters, &[]);
    head.push("runs".into());
    for m in &metrics.names {
        head.extend(STATS.iter().map(|st| format!("{m}.{st}")));
    }
    let (slo_names, slo_values) = slo_shares(rows, confidence);
    head.extend(slo_names);
    let mut w = CsvText::new();
    w.row(&head);
    for (group, slo) in combination_groups(rows).into_iter().zip(slo_values) {
        let mut cells = param_cells(parameters, &rows[group.start]);
        cells.push(group.len().to_string());
        let t = t95(group.len().saturating_sub(1));
        for m in 0..metrics.names.len() {
            let st = stats_with(&metrics.column(m, group.clone()), t);
            let opt = |x: Option<f64>| x.map(num).unwrap_or_default();
            cells.push(num(st.mean));
            cells.push(opt(st.std));
            cells.push(opt(st.ci95.map(|c| c.0)));
            cells.push(opt(st.ci95.map(|c| c.1)));
            cells.push(num(st.min));
            cells.push(num(st.max));
        }
        cells.extend(slo.into_iter().map(num));
        w.row(&cells);
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(combination: usize, seed_index: u32, met: &[bool]) -> RunRecord {
        let slo: Vec<Value> = met
            .iter()
            .enumerate()
            .map(|(i, m)| json!({"objective": format!("o{i}"), "metric": "x", "value": 1, "met": m, "margin": 0}))
            .collect();
        RunRecord {
            sweep: "f".into(),
            run_id: format!("r{combination}{seed_index}"),
            run_index: 0,
            combination,
            seed_index,
            seed: u64::from(seed_index),
            parameters: serde_json::Map::new(),
            summary: json!({"x": 1, "slo": slo}),
        }
    }

    /// `Metrics::of` as it read the summaries before it walked them along
    /// the merged tree: each summary flattened, each value looked up by its
    /// name (a repeated name reading as its last column), the first value
    /// of a column kept.
    fn metrics_by_name(records: &[RunRecord]) -> Metrics {
        let names = metric_columns(records.iter().map(|r| &r.summary));
        let column: std::collections::HashMap<&str, usize> = (names.iter().enumerate())
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let width = names.len();
        let mut values = vec![0.0; width * records.len()];
        for (r, row) in records.iter().zip(values.chunks_mut(width.max(1))) {
            let mut seen = vec![false; width];
            for (name, x) in flatten(&r.summary) {
                if let Some(&i) = column.get(name.as_str()) {
                    if !seen[i] {
                        seen[i] = true;
                        row[i] = x;
                    }
                }
            }
        }
        Metrics { names, values }
    }

    /// One record of combination 0 per summary, seeds in order.
    fn records_of(summaries: &[Value]) -> Vec<RunRecord> {
        (summaries.iter().enumerate())
            .map(|(i, s)| RunRecord {
                summary: s.clone(),
                ..record(0, i as u32, &[])
            })
            .collect()
    }

    /// A layout merges one summary per shape; the columns are those of
    /// merging every summary (the columns read by name, which merge
    /// nothing), whatever repeats and wherever the shapes differ only in
    /// how keys split or in a value's kind.
    #[test]
    fn one_summary_per_shape_gives_the_columns_of_all() {
        let summaries = [
            json!({"b": 1, "s": "x", "m": {"k2": 1}}),
            json!({"b": 2, "s": "y", "m": {"k2": 3}}),
            json!({"b": 2, "s": 5, "m": {"k1": 1, "k2": 3}}),
            json!({"b": {"c": 1}, "m": {"k1": 1}}),
            json!({"b": [1, 2], "m": {"k1": 1}}),
            json!({"ab": {"c": 1}}),
            json!({"a": {"bc": 1}}),
            json!({"b": 1, "s": "x", "m": {"k2": 1}}),
            json!({"m": {"k3": true}, "b": 1}),
            json!({"b": 1, "s": null, "m": {"k2": 1}}),
        ];
        let records = records_of(&summaries);
        let shapes: Vec<Vec<u8>> = summaries.iter().map(shape).collect();
        assert_eq!(shapes[0], shapes[1], "values differ, not the shape");
        assert_eq!(shapes[0], shapes[7]);
        assert_ne!(shapes[0], shapes[2], "a string turned number");
        assert_eq!(shapes[0], shapes[9], "strings and nulls are both left out");
        assert_ne!(shapes[3], shapes[4], "an object turned list");
        assert_ne!(shapes[5], shapes[6], "the same letters split otherwise");
        let mut all = Node::default();
        summaries.iter().for_each(|s| all.merge_value(s, true));
        let mut names = Vec::new();
        all.leaves("", &mut names);
        let (book, rows) = Shapes::of(&records);
        let layout = MetricLayout::of(&rows, &book);
        assert_eq!(layout.names, names);
        // Each shape kept once: 10 summaries, 7 shapes.
        let kept = book.known.lock().unwrap().entries.len();
        assert_eq!(kept, 7);
        assert_eq!(Metrics::of(&records).names, metrics_by_name(&records).names);
    }

    /// A shape read back ([`Skeleton`]) is the summary's structure: each
    /// node's kind and its children's keys, in order, as `each_kid` lists
    /// them (the root's `seed` left out), whatever the keys' lengths (a
    /// key of 46 bytes starts its length with the byte of `.`, of 110 with
    /// that of `n`).
    #[test]
    fn shapes_read_back_as_the_summaries_structure() {
        fn same(v: &Value, root: bool, node: &Skeleton<'_>, path: &str) {
            let kind = match v {
                Value::Number(_) | Value::Bool(_) => NUMBER,
                Value::Object(_) => OBJECT,
                Value::Array(_) => LIST,
                Value::String(_) | Value::Null => TEXT,
            };
            assert_eq!(node.kind, kind, "kind at {path:?}");
            let mut kids = Vec::new();
            each_kid(v, root, |k, child| kids.push((k.to_string(), child)));
            let keys: Vec<&str> = node.kids.iter().map(|(k, _)| *k).collect();
            let expected: Vec<&str> = kids.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, expected, "keys at {path:?}");
            for ((k, child), (_, node)) in kids.iter().zip(&node.kids) {
                same(child, false, node, &format!("{path}.{k}"));
            }
        }
        let long = |n: usize, c: char| std::iter::repeat_n(c, n).collect::<String>();
        let mut summaries = awkward_summaries();
        summaries.push(json!({
            long(46, 'k'): {long(110, 'n'): 1, long(111, 'o'): {"x": [1, "t", null]}},
            long(97, 'a'): [{"name": long(115, 's'), "v": true}, {"v": false}],
            "seed": 3, "e": {}, "l": [],
        }));
        for v in &summaries {
            let bytes = shape(v);
            let node = Skeleton::parse(&bytes);
            same(v, true, &node, "");
            let (mut again, mut values) = (Vec::new(), Vec::new());
            reduce_into(v, true, &mut again, &mut values);
            assert_eq!(node.numbers(), values.len(), "numbers of {v}");
        }
        // Keys that read alike once concatenated are told apart.
        assert_ne!(
            shape(&json!({"ab": {"c": 1}})),
            shape(&json!({"a": {"bc": 1}}))
        );
        assert_ne!(
            shape(&json!({"a": {}, "b": 1})),
            shape(&json!({"a": {"b": 1}}))
        );
    }

    #[test]
    fn metrics_walked_along_the_tree_read_as_by_name() {
        let summaries = [
            json!({"seed": 7, "x": 1, "name": "s", "a": {"b": 2, "c": true},
                   "list": [{"name": "web", "n": 1}, {"name": "web", "n": 5}, {"n": 3}]}),
            // `a.b` is also a key of its own; `x` turns into an object;
            // fields in another order, one missing, one new in the middle.
            json!({"a.b": 9, "list": [{"n": 4, "name": "api"}], "a": {"c": false, "b": 1},
                   "new": 0.5, "x": {"y": 2}, "s": "text", "z": null}),
            json!({"x": 3, "a": {"d": 1, "b": 7}, "a.b": 8, "list": []}),
            json!({}),
        ];
        let records = records_of(&summaries);
        let walked = Metrics::of(&records);
        let by_name = metrics_by_name(&records);
        assert_eq!(walked.names, by_name.names);
        assert_eq!(walked.values, by_name.values);
        // Read in parts (as the sweep's threads do), the same values.
        let (book, rows) = Shapes::of(&records);
        let layout = MetricLayout::of(&rows, &book);
        let w = layout.width();
        let mut values = vec![f64::NAN; w * records.len()];
        for (part, vals) in rows.chunks(3).zip(values.chunks_mut(3 * w)) {
            layout.fill(part, vals);
        }
        assert_eq!(layout.metrics(values).values, walked.values);
        // runs.csv in parts, joined, is the whole file.
        let params = ["p".to_string()];
        let mut parts = runs_csv_head(&params, &walked);
        for (k, part) in rows.chunks(3).enumerate() {
            parts += &runs_csv_rows(&params, part, &walked, 3 * k);
        }
        assert_eq!(parts, runs_csv_of(&params, &rows, &walked));
        assert_eq!(parts.lines().count(), 1 + records.len());
        // The repeated name `a.b`: its first column stays 0, the second
        // reads the first `a.b` value of each summary, in its order.
        let cols: Vec<usize> = (walked.names.iter().enumerate())
            .filter(|(_, n)| *n == "a.b")
            .map(|(i, _)| i)
            .collect();
        assert_eq!(cols.len(), 2);
        let column = |c: usize| walked.column(c, 0..records.len());
        assert_eq!(column(cols[0]), [0.0; 4]);
        assert_eq!(column(cols[1]), [2.0, 9.0, 7.0, 0.0]);
        let web = walked.names.iter().position(|n| n == "list.web.n").unwrap();
        assert_eq!(column(web), [1.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn slo_shares_are_wilson_intervals_per_combination() {
        // Combination 0: objective 0 met by 10 of 10 seeds, objective 1 by
        // 5 of 10; combination 1: 0 of 20 and 20 of 20.
        let mut recs: Vec<RunRecord> = (0..10).map(|k| record(0, k, &[true, k % 2 == 0])).collect();
        recs.extend((0..20).map(|k| record(1, k, &[false, true])));
        let (names, rows) = slo_shares(&Shapes::of(&recs).1, 0.95);
        assert_eq!(
            names,
            [
                "slo.0.met_share",
                "slo.0.met_share_lo",
                "slo.0.met_share_hi",
                "slo.1.met_share",
                "slo.1.met_share_lo",
                "slo.1.met_share_hi"
            ]
        );
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|x| num(*x)).collect())
            .collect();
        // Wilson at 95%: 10/10 -> [0.7225, 1]; 5/10 -> [0.2366, 0.7634];
        // 0/20 -> [0, 0.1611]; 20/20 -> [0.8389, 1].
        assert_eq!(cells[0], ["1", "0.7225", "1", "0.5", "0.2366", "0.7634"]);
        assert_eq!(cells[1], ["0", "0", "0.1611", "1", "0.8389", "1"]);
        // In aggregate.csv, after the metrics; runs.csv has each run's met.
        let agg = aggregate_csv_at(&[], &recs, 0.95);
        let head = agg.lines().next().unwrap();
        assert!(head.ends_with(",slo.0.met_share,slo.0.met_share_lo,slo.0.met_share_hi,slo.1.met_share,slo.1.met_share_lo,slo.1.met_share_hi"), "{head}");
        assert!(agg
            .lines()
            .nth(1)
            .unwrap()
            .ends_with(",1,0.7225,1,0.5,0.2366,0.7634"));
        let runs = runs_csv(&[], &recs);
        assert!(runs.lines().next().unwrap().contains("slo.0.met"));
        // No objectives, no columns.
        let plain: Vec<RunRecord> = (0..3).map(|k| record(0, k, &[])).collect();
        assert_eq!(slo_shares(&Shapes::of(&plain).1, 0.95).0.len(), 0);
        assert!(!aggregate_csv(&[], &plain).contains("slo."));
    }

    #[test]
    fn metrics_read_each_cell_as_value_of_does() {
        // A metric one run lacks (0), a list keyed by name whose names
        // repeat (the first value counts), a boolean.
        let mut a = record(0, 0, &[true]);
        a.summary =
            json!({"x": 1.5, "by": [{"name": "p", "n": 2}, {"name": "p", "n": 9}], "ok": true});
        let mut b = record(0, 1, &[]);
        b.summary = json!({"x": 2, "y": 7});
        let records = [a, b];
        let m = Metrics::of(&records);
        assert_eq!(m.names, metric_columns(records.iter().map(|r| &r.summary)));
        for (i, r) in records.iter().enumerate() {
            let row = flatten(&r.summary);
            for (k, name) in m.names.iter().enumerate() {
                assert_eq!(m.row(i)[k], value_of(&row, name), "{name} of run {i}");
            }
        }
        let k = m.names.iter().position(|n| n == "by.p.n").expect("column");
        assert_eq!(m.column(k, 0..2), [2.0, 0.0]);
    }

    /// Summaries in which names repeat, keys move, kinds change and lists
    /// are keyed by name or by index, several of one shape.
    fn awkward_summaries() -> Vec<Value> {
        vec![
            json!({"seed": 7, "x": 1, "name": "s", "a": {"b": 2, "c": true},
                   "list": [{"name": "web", "n": 1}, {"name": "web", "n": 5}, {"n": 3}]}),
            json!({"a.b": 9, "list": [{"n": 4, "name": "api"}], "a": {"c": false, "b": 1},
                   "new": 0.5, "x": {"y": 2}, "s": "text", "z": null}),
            json!({"seed": 8, "x": 6, "name": "t", "a": {"b": 3, "c": false},
                   "list": [{"name": "web", "n": 2}, {"name": "web", "n": 6}, {"n": 4}]}),
            json!({"x": 3, "a": {"d": 1, "b": 7}, "a.b": 8, "list": []}),
            json!({"a.b": 1, "list": [{"n": 5, "name": "api"}], "a": {"c": true, "b": 2},
                   "new": 1.5, "x": {"y": 3}, "s": "other", "z": null}),
            json!({"slo": [{"objective": "o", "value": 2, "met": true}, {"met": false}]}),
            json!({}),
        ]
    }

    /// A row's numbers put where its shape's plan says are what walking its
    /// summary along the merged tree reads (ECS-independent: the sweep
    /// tables' contract), for every summary, whatever their order.
    #[test]
    fn plans_put_each_number_where_the_walk_does() {
        let summaries = awkward_summaries();
        let records = records_of(&summaries);
        let (book, rows) = Shapes::of(&records);
        assert_eq!(book.known.lock().unwrap().entries.len(), 5);
        let layout = MetricLayout::of(&rows, &book);
        let mut tree = Node::default();
        summaries.iter().for_each(|s| tree.merge_value(s, true));
        let mut names = Vec::new();
        tree.leaves("", &mut names);
        assert_eq!(layout.names, names);
        let column: HashMap<String, usize> = (names.iter().enumerate())
            .map(|(i, n)| (n.clone(), i))
            .collect();
        tree.number("", &column);
        let w = names.len();
        let mut planned = vec![f64::NAN; w * rows.len()];
        layout.fill(&rows, &mut planned);
        for (i, s) in summaries.iter().enumerate() {
            let (mut walked, mut seen) = (vec![0.0; w], vec![false; w]);
            tree.fill(s, true, &mut walked, &mut seen);
            assert_eq!(planned[i * w..(i + 1) * w], walked[..], "summary {i}");
        }
        assert_eq!(rows[5].slo_met, [true, false]);
        assert!(rows[0].slo_met.is_empty());
    }

    /// Shape ids follow the order rows are made in (threads finish runs in
    /// any order); the tables do not.
    #[test]
    fn the_tables_do_not_depend_on_the_order_rows_were_made() {
        let records = records_of(&awkward_summaries());
        let (book, rows) = Shapes::of(&records);
        let backwards = Shapes::default();
        let mut rows_back: Vec<Row> = (records.iter().rev())
            .map(|r| backwards.row(r.clone()))
            .collect();
        rows_back.reverse();
        assert_ne!(
            rows_back[0].shape, rows[0].shape,
            "ids were given otherwise"
        );
        let params: [String; 0] = [];
        let m = Metrics::of_rows(&rows, &book);
        let m_back = Metrics::of_rows(&rows_back, &backwards);
        assert_eq!(m.names, m_back.names);
        assert_eq!(m.values, m_back.values);
        assert_eq!(
            runs_csv_of(&params, &rows, &m),
            runs_csv_of(&params, &rows_back, &m_back)
        );
        assert_eq!(
            aggregate_csv_of(&params, &rows, &m, 0.95),
            aggregate_csv_of(&params, &rows_back, &m_back, 0.95)
        );
    }

    #[test]
    fn flatten_keys_lists_by_name() {
        let v = json!({
            "scenario": "x", "seed": 9, "a": 1.5, "flag": true,
            "by": {"CPU": 2},
            "services": [{"name": "web", "n": 3, "az": {"1a": 1}}],
            "plain": [4, 5]
        });
        let names: Vec<(String, f64)> = flatten(&v);
        assert_eq!(
            names,
            [
                ("a".to_string(), 1.5),
                // Booleans (an objective's `met`) read 1 or 0.
                ("flag".into(), 1.0),
                ("by.CPU".into(), 2.0),
                ("services.web.n".into(), 3.0),
                ("services.web.az.1a".into(), 1.0),
                ("plain.0".into(), 4.0),
                ("plain.1".into(), 5.0),
            ]
        );
    }

    #[test]
    fn columns_keep_summary_order() {
        // The second run brings `by.CPU` between `a` and `b`, the third `z` at the end.
        let cols = metric_columns(&[
            json!({"a": 1, "b": 2}),
            json!({"a": 1, "by": {"CPU": 1}, "b": 2}),
            json!({"b": 2, "z": 3}),
        ]);
        assert_eq!(cols, ["a", "by.CPU", "b", "z"]);
        // Map keys met out of order across runs still come out sorted and
        // grouped under their parent.
        let cols = metric_columns(&[
            json!({"n": 1, "az": {"1b": 1}, "m": 1, "empty": {}, "s": "text"}),
            json!({"n": 1, "fail": {"CPU": 1}, "az": {"1c": 1}, "m": 1}),
            json!({"n": 1, "az": {"1a": 1, "1b": 1}, "m": 1}),
        ]);
        assert_eq!(cols, ["n", "fail.CPU", "az.1a", "az.1b", "az.1c", "m"]);
    }

    #[test]
    fn statistics_table() {
        // xs = 1, 2, 3, 4: mean 2.5; var = (2.25+0.25+0.25+2.25)/3 = 5/3;
        // std = 1.290994; half = t(3) * std / 2 = 3.182446 * 1.290994 / 2 = 2.054266.
        let st = stats(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(st.mean, 2.5);
        assert_eq!(num(st.std.unwrap()), "1.291");
        let (lo, hi) = st.ci95.unwrap();
        assert_eq!(
            (num(lo), num(hi)),
            ("0.4457".to_string(), "4.5543".to_string())
        );
        assert_eq!((st.min, st.max), (1.0, 4.0));
        // One run: no spread, no interval.
        let one = stats(&[7.0]);
        assert_eq!((one.std, one.ci95), (None, None));
        // Constant values: zero width.
        assert_eq!(stats(&[2.0, 2.0]).ci95, Some((2.0, 2.0)));
    }

    /// Known two-sided 95% quantiles of Student's t (0.975 quantile, to 10
    /// digits), including past 30 degrees of freedom, where a table that
    /// falls back to the normal 1.96 makes intervals too narrow.
    #[test]
    fn t_quantiles_are_exact() {
        for (dof, want) in [
            (1, 12.706_204_736),
            (2, 4.302_652_730),
            (3, 3.182_446_305),
            (9, 2.262_157_163),
            (30, 2.042_272_456),
            (31, 2.039_513_446),
            (60, 2.000_297_822),
            (120, 1.979_930_405),
            (1000, 1.962_339_081),
        ] {
            let got = t95(dof);
            assert!((got - want).abs() < 1e-8, "dof {dof}: {got} vs {want}");
        }
        assert!(t95(0).is_nan());
        // Other quantiles and the symmetry of the distribution.
        assert!((student_t_quantile(0.95, 10.0) - 1.812_461_123).abs() < 1e-8);
        assert!((student_t_quantile(0.05, 10.0) + 1.812_461_123).abs() < 1e-8);
        assert!((student_t_cdf(2.228_138_852, 10.0) - 0.975).abs() < 1e-9);
        assert_eq!(student_t_cdf(0.0, 5.0), 0.5);
    }

    /// 31 runs: the interval uses t(30) = 2.0423, not 1.96.
    #[test]
    fn interval_past_thirty_runs_uses_t() {
        let xs: Vec<f64> = (0..31).map(f64::from).collect();
        let st = stats(&xs);
        let half = st.ci95.unwrap().1 - st.mean;
        let want = 2.042_272_456 * st.std.unwrap() / 31f64.sqrt();
        assert!((half - want).abs() < 1e-9, "{half} vs {want}");
    }

    #[test]
    fn numbers_and_fields() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(0.99864), "0.9986");
        assert_eq!(num(-0.00001), "0");
        assert_eq!(num(1e7), "10000000");
        // Cells are quoted by the csv crate: a strategy list's quotes doubled.
        let mut w = CsvText::new();
        w.row(["a,b", r#"[{type="x"}]"#]);
        assert_eq!(w.finish(), "\"a,b\",\"[{type=\"\"x\"\"}]\"\n");
    }
}
