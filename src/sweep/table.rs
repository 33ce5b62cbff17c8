//! The sweep's tables: a run's summary flattened into named numbers,
//! `runs.csv` (one row per run) and `aggregate.csv` (one row per parameter
//! combination: mean, sample standard deviation, 95% confidence interval of
//! the mean, min, max). Pure functions of run records: no files, no
//! threads, no knowledge of what the metrics mean.
//!
//! Metric names are dotted paths into the summary (`services.web.
//! running_ratio_mean`); an element of a list that has a `name` is keyed by
//! it, any other by its index. Strings and booleans are left out, and so is
//! the summary's top-level `seed`, which is the run's `seed` column. The
//! columns are the union over runs, in the summary's order (struct fields
//! as declared, the keys of a map sorted, whichever run brings them first),
//! so they depend on the set of runs, not on who ran them. A metric absent
//! from a run's summary (a count-by-reason map leaves zero counts out) is 0
//! in both files.
//!
//! Every number is rounded to 4 decimals, as the summary is, and printed in
//! the shortest form that reads back to the same value (`12`, `0.9986`).

use serde_json::Value;

use super::store::RunRecord;
use crate::metrics::round4;

/// The named children of a summary node: an object's fields, or a list's
/// elements keyed by their `name` (or index). The root's `seed` is left out.
fn children(v: &Value, root: bool) -> Vec<(String, &Value)> {
    match v {
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !(root && k.as_str() == "seed"))
            .map(|(k, v)| (k.clone(), v))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let key = item
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_string);
                (key, item)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Flattens a summary into `(name, value)` pairs, in the summary's order.
pub fn flatten(summary: &Value) -> Vec<(String, f64)> {
    fn walk(v: &Value, name: &str, root: bool, out: &mut Vec<(String, f64)>) {
        if let Value::Number(n) = v {
            if let Some(x) = n.as_f64() {
                out.push((name.to_string(), x));
            }
            return;
        }
        for (k, child) in children(v, root) {
            let full = if root { k } else { format!("{name}.{k}") };
            walk(child, &full, false, out);
        }
    }
    let mut out = Vec::new();
    walk(summary, "", true, &mut out);
    out
}

/// The union of the summaries' structure, children in merged order.
#[derive(Debug, Default)]
struct Node {
    /// Whether some summary has a number here.
    leaf: bool,
    children: Vec<(String, Node)>,
}

impl Node {
    /// Adds the fields of `v` not seen yet. A new field goes after the
    /// field that precedes it in `v`, and past the fields `v` lacks that
    /// sort before it: struct fields keep the summary's order, and the keys
    /// of a map (sorted in every summary, zero counts left out) end up
    /// sorted whichever run brings them first.
    fn merge(&mut self, v: &Value, root: bool) {
        if v.is_number() {
            self.leaf = true;
        }
        let kids = children(v, root);
        let mut at = 0;
        for (key, child) in &kids {
            if !matches!(child, Value::Number(_) | Value::Object(_) | Value::Array(_)) {
                continue;
            }
            let i = match self.children.iter().position(|(k, _)| k == key) {
                Some(i) => i,
                None => {
                    while at < self.children.len()
                        && !kids.iter().any(|(k, _)| *k == self.children[at].0)
                        && self.children[at].0 < *key
                    {
                        at += 1;
                    }
                    self.children.insert(at, (key.clone(), Node::default()));
                    at
                }
            };
            at = i + 1;
            self.children[i].1.merge(child, false);
        }
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
}

/// The metric columns of a set of summaries: the union of their numbers'
/// names, in the order of the summaries' structure: a new name goes after the
/// name that precedes it in the summary that brings it, and past the names
/// that summary lacks and that sort before it among its siblings.
pub fn metric_columns<'a>(summaries: impl IntoIterator<Item = &'a Value>) -> Vec<String> {
    let mut tree = Node::default();
    for s in summaries {
        tree.merge(s, true);
    }
    let mut out = Vec::new();
    tree.leaves("", &mut out);
    out
}

/// A number as the tables print it: rounded to 4 decimals, shortest form.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let r = round4(x);
    if r == 0.0 {
        "0".into()
    } else {
        format!("{r}")
    }
}

/// Quotes a CSV field when needed.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Two-sided 95% critical values of Student's t for 1..=30 degrees of
/// freedom; above 30 the normal 1.96 is used.
const T95: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// The 95% t critical value for `dof` degrees of freedom (`dof >= 1`).
pub fn t95(dof: usize) -> f64 {
    match dof {
        0 => f64::NAN,
        1..=30 => T95[dof - 1],
        _ => 1.96,
    }
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
    let half = t95(n - 1) * std / (n as f64).sqrt();
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

fn param_cells(parameters: &[String], r: &RunRecord) -> Vec<String> {
    parameters
        .iter()
        .map(|p| {
            r.parameters
                .get(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn line(cells: &[String]) -> String {
    let mut s = cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
    s.push('\n');
    s
}

fn value_of(row: &[(String, f64)], name: &str) -> f64 {
    row.iter().find(|(n, _)| n == name).map_or(0.0, |(_, x)| *x)
}

/// `runs.csv`: `run_id, run_index, seed_index, seed`, the parameters, the
/// metrics; one row per record, in the order given (sweep order).
pub fn runs_csv(parameters: &[String], records: &[RunRecord]) -> String {
    let rows: Vec<Vec<(String, f64)>> = records.iter().map(|r| flatten(&r.summary)).collect();
    let metrics = metric_columns(records.iter().map(|r| &r.summary));
    let mut head = header(parameters, &["run_id", "run_index", "seed_index", "seed"]);
    head.extend(metrics.iter().cloned());
    let mut s = line(&head);
    for (r, row) in records.iter().zip(&rows) {
        let mut cells = vec![
            r.run_id.clone(),
            r.run_index.to_string(),
            r.seed_index.to_string(),
            r.seed.to_string(),
        ];
        cells.extend(param_cells(parameters, r));
        cells.extend(metrics.iter().map(|m| num(value_of(row, m))));
        s.push_str(&line(&cells));
    }
    s
}

/// Statistic suffixes of `aggregate.csv`, per metric.
pub const STATS: [&str; 6] = ["mean", "std", "ci95_low", "ci95_high", "min", "max"];

/// `aggregate.csv`: the parameters, `runs`, and per metric the [`STATS`];
/// one row per combination, records grouped by consecutive combination
/// (the records must be in sweep order).
pub fn aggregate_csv(parameters: &[String], records: &[RunRecord]) -> String {
    let rows: Vec<Vec<(String, f64)>> = records.iter().map(|r| flatten(&r.summary)).collect();
    let metrics = metric_columns(records.iter().map(|r| &r.summary));
    let mut head = header(parameters, &[]);
    head.push("runs".into());
    for m in &metrics {
        head.extend(STATS.iter().map(|st| format!("{m}.{st}")));
    }
    let mut s = line(&head);
    let mut start = 0;
    while start < records.len() {
        let c = records[start].combination;
        let end = start
            + records[start..]
                .iter()
                .take_while(|r| r.combination == c)
                .count();
        let mut cells = param_cells(parameters, &records[start]);
        cells.push((end - start).to_string());
        for m in &metrics {
            let xs: Vec<f64> = rows[start..end]
                .iter()
                .map(|row| value_of(row, m))
                .collect();
            let st = stats(&xs);
            let opt = |x: Option<f64>| x.map(num).unwrap_or_default();
            cells.push(num(st.mean));
            cells.push(opt(st.std));
            cells.push(opt(st.ci95.map(|c| c.0)));
            cells.push(opt(st.ci95.map(|c| c.1)));
            cells.push(num(st.min));
            cells.push(num(st.max));
        }
        s.push_str(&line(&cells));
        start = end;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        // std = 1.290994; half = 3.182 * 1.290994 / 2 = 2.053971.
        let st = stats(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(st.mean, 2.5);
        assert_eq!(num(st.std.unwrap()), "1.291");
        let (lo, hi) = st.ci95.unwrap();
        assert_eq!(
            (num(lo), num(hi)),
            ("0.446".to_string(), "4.554".to_string())
        );
        assert_eq!((st.min, st.max), (1.0, 4.0));
        // One run: no spread, no interval.
        let one = stats(&[7.0]);
        assert_eq!((one.std, one.ci95), (None, None));
        // Constant values: zero width.
        assert_eq!(stats(&[2.0, 2.0]).ci95, Some((2.0, 2.0)));
        assert_eq!((t95(1), t95(30), t95(31)), (12.706, 2.042, 1.96));
    }

    #[test]
    fn numbers_and_fields() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(0.99864), "0.9986");
        assert_eq!(num(-0.00001), "0");
        assert_eq!(num(1e7), "10000000");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field(r#"[{type="x"}]"#), r#""[{type=""x""}]""#);
    }
}
