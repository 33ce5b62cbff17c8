//! Charts of a sweep folder, from `sweep.json` (the sweep's name and its
//! parameter columns) and `aggregate.csv` (one row per parameter
//! combination: the parameter values, `runs`, and per metric `M.mean`,
//! `M.std`, `M.ci95_low`, `M.ci95_high`, `M.min`, `M.max`).
//!
//! One chart per chosen metric: the mean against the x parameter (numeric
//! values on a numeric axis, anything else as categories in table order),
//! one line per combination of the other parameters, labelled by the value
//! of the series parameter (parameters that vary together with it, like a
//! `[[zip]]` partner, are left out of the label; any that vary
//! independently are added to it), with the 95% confidence interval of the
//! mean shaded around each line. A cell left empty (a single run has no
//! interval) leaves that line without a band. Against a categorical x
//! (a placement strategy, an instance type) the means are points with
//! error bars, side by side, never joined: categories are not a trend.
//!
//! Axis labels, titles and legends name parameters and metrics in words
//! with their units ([`describe`]): known paths by what they mean, others
//! by their last segment.
//!
//! Depends on the file formats only (see the module above).

use std::path::{Path, PathBuf};

use super::chart::{Band, Chart, ErrorBars, LegendPlace, Line, Panel, XAxis};
use super::table::Table;
use super::{file_stem, save, Format, Kind, PlotError, Report, SweepOptions};

/// The metric drawn when none is asked for, if the sweep has it.
pub const DEFAULT_METRIC: &str = "cpu_reservation_mean_pct";

/// A sweep folder's aggregate table and what its columns mean.
#[derive(Debug, Clone)]
pub struct Aggregate {
    /// The sweep's name (from `sweep.json`).
    pub name: String,
    /// Parameter columns, in table order.
    pub parameters: Vec<String>,
    /// Metric names (`M` of every `M.mean` column), in table order.
    pub metrics: Vec<String>,
    /// `aggregate.csv`.
    pub table: Table,
}

impl Aggregate {
    /// Reads `dir/sweep.json` and `dir/aggregate.csv`.
    pub fn read(dir: &Path) -> Result<Aggregate, PlotError> {
        let manifest_path = dir.join("sweep.json");
        let text = std::fs::read_to_string(&manifest_path).map_err(|source| PlotError::Io {
            path: manifest_path.clone(),
            source,
        })?;
        let bad = |message: String| PlotError::Manifest {
            path: manifest_path.clone(),
            message,
        };
        let manifest: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let parameters: Vec<String> = manifest
            .get("parameters")
            .and_then(|v| v.as_array())
            .and_then(|a| a.iter().map(|p| p.as_str().map(str::to_string)).collect())
            .ok_or_else(|| bad("expected `parameters`, a list of parameter paths".into()))?;
        let name = manifest
            .get("name")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| dir.display().to_string());
        let table = Table::read(&dir.join("aggregate.csv"))?;
        for p in &parameters {
            table.column(p)?;
        }
        let metrics = table
            .headers
            .iter()
            .filter(|h| !parameters.contains(h))
            .filter_map(|h| h.strip_suffix(".mean"))
            .map(str::to_string)
            .collect();
        Ok(Aggregate {
            name,
            parameters,
            metrics,
            table,
        })
    }

    fn unknown(&self, what: &'static str, given: &str, names: &[String]) -> PlotError {
        let hint = crate::text::closest(given, names.iter().map(String::as_str))
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        PlotError::UnknownName {
            what,
            given: given.to_string(),
            hint,
            available: if names.is_empty() {
                "(none)".into()
            } else {
                names.join(", ")
            },
            file: self.table.path.clone(),
        }
    }

    /// The metric named `given` (a trailing `.mean` is accepted).
    pub fn metric(&self, given: &str) -> Result<String, PlotError> {
        let bare = given.strip_suffix(".mean").unwrap_or(given);
        [given, bare]
            .into_iter()
            .find(|m| self.metrics.iter().any(|x| x == m))
            .map(str::to_string)
            .ok_or_else(|| self.unknown("metric", given, &self.metrics))
    }

    fn parameter(&self, given: &str) -> Result<String, PlotError> {
        if self.parameters.iter().any(|p| p == given) {
            Ok(given.to_string())
        } else {
            Err(self.unknown("parameter", given, &self.parameters))
        }
    }

    /// The values of parameter `p`, in row order.
    fn values(&self, p: &str) -> Vec<&str> {
        self.table
            .find(p)
            .map(|i| self.table.strings(i))
            .unwrap_or_default()
    }

    /// Whether every value of parameter `p` is a number.
    fn numeric(&self, p: &str) -> bool {
        self.values(p)
            .iter()
            .all(|v| v.trim().parse::<f64>().is_ok_and(f64::is_finite))
    }

    /// The metrics, x and series parameters the options ask for, with the
    /// defaults filled in.
    pub fn choose(
        &self,
        opts: &SweepOptions,
    ) -> Result<(Vec<String>, String, Option<String>), PlotError> {
        let metrics = if opts.metrics.is_empty() {
            let m = self
                .metrics
                .iter()
                .find(|m| *m == DEFAULT_METRIC)
                .or_else(|| self.metrics.first())
                .ok_or_else(|| {
                    PlotError::Invalid(format!(
                        "{}: no metric columns (M.mean)",
                        self.table.path.display()
                    ))
                })?;
            vec![m.clone()]
        } else {
            opts.metrics
                .iter()
                .map(|m| self.metric(m))
                .collect::<Result<_, _>>()?
        };
        let x = match &opts.x {
            Some(x) => self.parameter(x)?,
            None => self
                .parameters
                .iter()
                .find(|p| self.numeric(p))
                .or_else(|| self.parameters.first())
                .cloned()
                .ok_or_else(|| {
                    PlotError::Invalid(format!(
                        "{}: the sweep has no parameters to plot against",
                        self.table.path.display()
                    ))
                })?,
        };
        let series = match &opts.series {
            Some(s) => {
                let s = self.parameter(s)?;
                if s == x {
                    return Err(PlotError::Invalid(format!(
                        "--series {s}: the same parameter as --x; choose another"
                    )));
                }
                Some(s)
            }
            None => {
                let at = self.parameters.iter().position(|p| *p == x).unwrap_or(0);
                let n = self.parameters.len();
                (n > 1).then(|| self.parameters[(at + 1) % n].clone())
            }
        };
        Ok((metrics, x, series))
    }

    /// The chart of `metric` against `x`, lines by `series`.
    pub fn chart(&self, metric: &str, x: &str, series: Option<&str>) -> Result<Chart, PlotError> {
        let t = &self.table;
        let means = t.numbers_of(&format!("{metric}.mean"))?;
        let interval = |suffix: &str| -> Result<Vec<Option<f64>>, PlotError> {
            match t.find(&format!("{metric}.{suffix}")) {
                Some(i) => t.optional_numbers(i),
                None => Ok(vec![None; t.rows.len()]),
            }
        };
        let (lows, highs) = (interval("ci95_low")?, interval("ci95_high")?);

        // x positions: numbers, or the index of the category.
        let x_cells = self.values(x);
        let numeric = self.numeric(x);
        let mut categories: Vec<String> = Vec::new();
        let xs: Vec<f64> = x_cells
            .iter()
            .map(|c| {
                if numeric {
                    c.trim().parse::<f64>().unwrap_or(0.0)
                } else {
                    match categories.iter().position(|k| k == c) {
                        Some(i) => i as f64,
                        None => {
                            categories.push(c.to_string());
                            (categories.len() - 1) as f64
                        }
                    }
                }
            })
            .collect();

        // One line per combination of the other parameters, leaving out
        // those that vary with x (its `[[zip]]` partners) or not at all.
        let others: Vec<&String> = self
            .parameters
            .iter()
            .filter(|p| *p != x && !determined_by(&x_cells, &self.values(p)))
            .collect();
        let other_cells: Vec<Vec<&str>> = others.iter().map(|p| self.values(p)).collect();
        let key = |row: usize| -> Vec<&str> { other_cells.iter().map(|c| c[row]).collect() };
        let mut keys: Vec<Vec<&str>> = Vec::new();
        let mut rows_of: Vec<Vec<usize>> = Vec::new();
        for row in 0..t.rows.len() {
            let k = key(row);
            match keys.iter().position(|x| *x == k) {
                Some(i) => rows_of[i].push(row),
                None => {
                    keys.push(k);
                    rows_of.push(vec![row]);
                }
            }
        }
        // Parameters to name in the labels: the series, then any that vary
        // but are not determined by the series value.
        let series_at = series.and_then(|s| others.iter().position(|p| *p == s));
        let extra: Vec<usize> = (0..others.len())
            .filter(|&j| Some(j) != series_at)
            .filter(|&j| varies_independently(&keys, j, series_at))
            .collect();
        let label = |k: &[&str]| -> String {
            let mut parts: Vec<String> = series_at.map(|s| k[s].to_string()).into_iter().collect();
            parts.extend(
                extra
                    .iter()
                    .map(|&j| format!("{} = {}", describe(others[j]).0, short_value(k[j]))),
            );
            if parts.is_empty() {
                describe(metric).0
            } else {
                parts.join(", ")
            }
        };
        let series_value = |k: &[&str]| -> Vec<String> {
            let mut parts: Vec<String> = series_at.map(|s| short_value(k[s])).into_iter().collect();
            parts.extend(
                extra
                    .iter()
                    .map(|&j| format!("{} = {}", describe(others[j]).0, short_value(k[j]))),
            );
            parts
        };

        let (x_words, x_unit) = describe(x);
        let (m_words, m_unit) = describe(metric);
        let mut panel = Panel::new(
            with_unit_text(&x_words, x_unit),
            with_unit_text(&m_words, m_unit),
        );
        panel.legend = LegendPlace::Below;
        panel.legend_title = series_at.map(|s| format!("{}:", describe(others[s]).0));
        panel.x_percent = x_unit == "%";
        panel.y_percent = m_unit == "%";
        let n_lines = keys.len();
        if !numeric {
            panel.x_axis = XAxis::Categories(categories.iter().map(|c| short_value(c)).collect());
        }
        panel.x_pad = 0.04;
        panel.x_integer = numeric && xs.iter().all(|v| v.fract() == 0.0);
        let mut any_band = false;
        for (i, (k, rows)) in keys.iter().zip(&rows_of).enumerate() {
            let mut rows = rows.clone();
            rows.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
            // Categories: the series side by side around the category.
            let dx = if numeric {
                0.0
            } else {
                (i as f64 - (n_lines as f64 - 1.0) / 2.0) * (0.6 / n_lines.max(1) as f64)
            };
            let points: Vec<(f64, f64)> = rows.iter().map(|&r| (xs[r] + dx, means[r])).collect();
            let interval: Option<Vec<(f64, f64, f64)>> = rows
                .iter()
                .map(|&r| Some((xs[r] + dx, lows[r]?, highs[r]?)))
                .collect();
            let text = {
                let v = series_value(k);
                if v.is_empty() {
                    label(k)
                } else {
                    v.join(", ")
                }
            };
            if let Some(points) = interval {
                any_band = true;
                if numeric {
                    panel.bands.push(Band::interval(i, points));
                } else {
                    panel.error_bars.push(ErrorBars { color: i, points });
                }
            }
            if numeric {
                panel.lines.push(Line {
                    dots: true,
                    ..Line::solid(text, i, points)
                });
            } else {
                panel.lines.push(Line::points(text, i, points));
            }
        }
        let lo = panel
            .bands
            .iter()
            .flat_map(|b| b.points.iter().map(|p| p.1))
            .chain(
                panel
                    .error_bars
                    .iter()
                    .flat_map(|b| b.points.iter().map(|p| p.1)),
            )
            .chain(means.iter().copied())
            .fold(f64::INFINITY, f64::min);
        let hi = panel
            .bands
            .iter()
            .flat_map(|b| b.points.iter().map(|p| p.2))
            .chain(
                panel
                    .error_bars
                    .iter()
                    .flat_map(|b| b.points.iter().map(|p| p.2)),
            )
            .chain(means.iter().copied())
            .fold(f64::NEG_INFINITY, f64::max);
        // Start at zero when the values are positive and zero is not far
        // below them; otherwise zoom in on the differences.
        panel.y_include = if lo >= 0.0 && lo <= hi * 0.5 {
            vec![0.0]
        } else {
            Vec::new()
        };
        let runs = t
            .find("runs")
            .map(|i| t.optional_numbers(i))
            .transpose()?
            .map(|v| v.into_iter().flatten().collect::<Vec<f64>>())
            .unwrap_or_default();
        let runs_text = match (
            runs.iter().copied().reduce(f64::min),
            runs.iter().copied().reduce(f64::max),
        ) {
            (Some(a), Some(b)) if a == b => format!("{a} runs per point"),
            (Some(a), Some(b)) => format!("{a} to {b} runs per point"),
            _ => "runs per point unknown".into(),
        };
        if any_band {
            let what = if numeric { "shaded" } else { "bars" };
            panel.band_note = Some((
                7,
                format!("{what}: 95% confidence interval of the mean ({runs_text})"),
            ));
        }
        Ok(Chart {
            title: title(&self.name, metric, x),
            panels: vec![panel],
        })
    }
}

/// Whether `of` takes a single value for each value of `by` (row by row).
fn determined_by(by: &[&str], of: &[&str]) -> bool {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (&b, &o) in by.iter().zip(of) {
        match seen.iter().find(|(k, _)| *k == b) {
            Some((_, v)) if *v != o => return false,
            Some(_) => {}
            None => seen.push((b, o)),
        }
    }
    true
}

/// Whether column `j` of the keys takes more than one value for some value
/// of column `series` (or varies at all when there is no series).
fn varies_independently(keys: &[Vec<&str>], j: usize, series: Option<usize>) -> bool {
    let mut seen: Vec<(Option<&str>, &str)> = Vec::new();
    for k in keys {
        let s = series.map(|s| k[s]);
        match seen.iter().find(|(a, _)| *a == s) {
            Some((_, v)) if *v != k[j] => return true,
            Some(_) => {}
            None => seen.push((s, k[j])),
        }
    }
    false
}

/// The y axis label: the metric with the unit its name ends in.
pub fn with_unit(metric: &str) -> String {
    let (words, unit) = describe(metric);
    with_unit_text(&words, unit)
}

/// `words (unit)`, or the words alone without a unit.
fn with_unit_text(words: &str, unit: &str) -> String {
    if unit.is_empty() {
        words.to_string()
    } else {
        format!("{words} ({unit})")
    }
}

/// What a parameter path or metric name means, in words, and its unit
/// (`""` when it has none): known names by what they are, any other by its
/// last segment with its words split and its unit suffix read (`_pct` %,
/// `_s` s, `_usd` USD, `_minutes` min, `_hours` h; a `...Percent...` or
/// `targetCapacity` parameter %), followed by the service, group, job
/// stream or capacity provider it belongs to.
pub fn describe(path: &str) -> (String, &'static str) {
    let segs: Vec<&str> = path.split('.').collect();
    let (scope, rest): (Option<String>, &[&str]) = match segs.as_slice() {
        ["services", name, rest @ ..] if !rest.is_empty() => {
            (Some(format!("service {name}")), rest)
        }
        ["instanceGroups", name, rest @ ..] if !rest.is_empty() => {
            (Some(format!("group {name}")), rest)
        }
        ["batchJobs" | "jobs", name, rest @ ..] if !rest.is_empty() => {
            (Some(format!("jobs {name}")), rest)
        }
        ["capacityProviders", name, rest @ ..] if !rest.is_empty() => {
            (Some(format!("capacity provider {name}")), rest)
        }
        _ => (None, &segs[..]),
    };
    let leaf = rest.last().copied().unwrap_or(path);
    let (words, unit): (String, &'static str) = match (rest, leaf) {
        // jobs.NAME.failed.REASON
        ([.., "failed", reason], _) => (
            format!("tasks failed ({})", reason.replace("RESOURCE:", "no ")),
            "tasks",
        ),
        (["count"], _) if scope.as_deref().is_some_and(|s| s.starts_with("group ")) => {
            let group = scope.unwrap_or_default();
            return (format!("instances in {group}"), "instances");
        }
        (_, "cpu_reservation_mean_pct") => ("mean CPU reservation".into(), "%"),
        (_, "cpu_reservation_max_pct") => ("peak CPU reservation".into(), "%"),
        (_, "memory_reservation_mean_pct") => ("mean memory reservation".into(), "%"),
        (_, "memory_reservation_max_pct") => ("peak memory reservation".into(), "%"),
        (_, "instances_in_use_mean") => ("mean instances in use".into(), "instances"),
        (_, "instances_in_use_max") => ("peak instances in use".into(), "instances"),
        (_, "instances_launched") => ("instances launched".into(), "instances"),
        (_, "total_usd") => ("total cost".into(), "USD"),
        (_, "overloaded_minutes") => ("time overloaded".into(), "min"),
        (_, "minutes_below_desired") => ("time below desired".into(), "min"),
        (_, "dropped_pct") => ("requests dropped".into(), "%"),
        (_, "placementStrategy") => ("placement strategy".into(), ""),
        (_, "onDemandPercentageAboveBaseCapacity") => {
            ("on-demand share above the base".into(), "%")
        }
        (_, "targetValue") if rest.iter().any(|s| s.starts_with("targetTracking")) => {
            ("target-tracking target".into(), "")
        }
        (_, "targetCapacity") => ("managed scaling target capacity".into(), "%"),
        _ => leaf_words(leaf),
    };
    let words = match scope {
        Some(scope) => format!("{words}, {scope}"),
        None => words,
    };
    (words, unit)
}

/// A name's words and unit from its own text: `mean_wait_s` is ("mean
/// wait", "s"), `minimumHealthyPercent` ("minimum healthy percent", "%").
fn leaf_words(leaf: &str) -> (String, &'static str) {
    let suffixes = [
        ("_pct", "%"),
        ("_usd", "USD"),
        ("_minutes", "min"),
        ("_hours", "h"),
        ("_s", "s"),
    ];
    let (stem, mut unit) = suffixes
        .iter()
        .find_map(|(suffix, unit)| leaf.strip_suffix(suffix).map(|s| (s, *unit)))
        .unwrap_or((leaf, ""));
    // camelCase and snake_case into words; ALL_CAPS kept as they are.
    let mut words = String::new();
    let caps = stem.chars().all(|c| !c.is_ascii_lowercase());
    let mut prev_lower = false;
    for c in stem.chars() {
        if c == '_' && !caps {
            words.push(' ');
            prev_lower = false;
        } else if c.is_ascii_uppercase() && prev_lower && !caps {
            words.push(' ');
            words.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            words.push(if caps { c } else { c.to_ascii_lowercase() });
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    if unit.is_empty() && words.contains("percent") {
        unit = "%";
    }
    (words, unit)
}

/// A parameter value as a short label: a placement strategy list such as
/// `[{type="spread", field="attribute:ecs.availability-zone"}, {type="binpack", field="cpu"}]`
/// becomes `spread(AZ) + binpack(cpu)`; anything else is kept.
pub fn short_value(v: &str) -> String {
    let t = v.trim();
    if !(t.starts_with('[') && t.contains("type")) {
        return v.to_string();
    }
    let field_word = |f: &str| -> String {
        match f {
            "attribute:ecs.availability-zone" => "AZ".into(),
            "instanceId" => "instance".into(),
            other => other
                .strip_prefix("attribute:")
                .unwrap_or(other)
                .to_string(),
        }
    };
    let value_of = |item: &str, key: &str| -> Option<String> {
        let at = item.find(key)?;
        let after = &item[at + key.len()..];
        let after = after.trim_start().strip_prefix(['=', ':'])?.trim_start();
        let after = after.strip_prefix('"')?;
        Some(after[..after.find('"')?].to_string())
    };
    let parts: Vec<String> = t
        .trim_matches(|c| c == '[' || c == ']')
        .split('}')
        .filter(|item| item.contains("type"))
        .filter_map(|item| {
            let ty = value_of(item, "type")?;
            Some(match value_of(item, "field") {
                Some(f) => format!("{ty}({})", field_word(&f)),
                None => ty,
            })
        })
        .collect();
    if parts.is_empty() {
        v.to_string()
    } else {
        parts.join(" + ")
    }
}

/// Draws the chosen metrics of the sweep folder `dir` into `out`.
pub fn plot(
    dir: &Path,
    out: &Path,
    format: Format,
    opts: &SweepOptions,
) -> Result<Report, PlotError> {
    let agg = Aggregate::read(dir)?;
    let (metrics, x, series) = agg.choose(opts)?;
    let mut written: Vec<PathBuf> = Vec::new();
    for m in &metrics {
        let chart = agg.chart(m, &x, series.as_deref())?;
        save(
            out,
            &file_stem(&format!("{m}_by_{x}")),
            &chart,
            format,
            &mut written,
        )?;
    }
    Ok(Report {
        kind: Kind::Sweep,
        written,
        notes: Vec::new(),
    })
}

/// `name: metric (mean) by x`, both in words; the chart wraps it at
/// spaces when it is too long for one line (never inside a word).
fn title(name: &str, metric: &str, x: &str) -> String {
    let m = describe(metric).0;
    let (x, _) = describe(x);
    if m.starts_with("mean ") {
        format!("{name}: {m} by {x}")
    } else {
        format!("{name}: {m} (mean) by {x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_words_whole() {
        let t = title(
            "cost-spot-share",
            "services.web.demand.overloaded_minutes",
            "instanceGroups.app.instancesDistribution.onDemandPercentageAboveBaseCapacity",
        );
        assert_eq!(
            t,
            "cost-spot-share: time overloaded, service web (mean) by on-demand share above the base, group app"
        );
        assert!(!t.contains('…'));
        // "mean" is not said twice.
        assert_eq!(
            title(
                "p",
                "cpu_reservation_mean_pct",
                "instanceGroups.nodes.count"
            ),
            "p: mean CPU reservation by instances in group nodes"
        );
        assert_eq!(title("s", "a", "b"), "s: a (mean) by b");
    }

    #[test]
    fn parameters_and_metrics_in_words_with_units() {
        // (path, words, unit)
        let table = [
            (
                "instanceGroups.nodes.count",
                "instances in group nodes",
                "instances",
            ),
            (
                "services.api.placementStrategy",
                "placement strategy, service api",
                "",
            ),
            (
                "batchJobs.reports.placementStrategy",
                "placement strategy, jobs reports",
                "",
            ),
            (
                "instanceGroups.app.instancesDistribution.onDemandPercentageAboveBaseCapacity",
                "on-demand share above the base, group app",
                "%",
            ),
            (
                "services.web.autoScaling.targetTracking[0].targetValue",
                "target-tracking target, service web",
                "",
            ),
            (
                "capacityProviders.app.managedScaling.targetCapacity",
                "managed scaling target capacity, capacity provider app",
                "%",
            ),
            (
                "services.web.deploymentConfiguration.minimumHealthyPercent",
                "minimum healthy percent, service web",
                "%",
            ),
            (
                "instanceGroups.app.agentConfig.ECS_ENABLE_SPOT_INSTANCE_DRAINING",
                "ECS_ENABLE_SPOT_INSTANCE_DRAINING, group app",
                "",
            ),
            ("cpu_reservation_mean_pct", "mean CPU reservation", "%"),
            (
                "instances_in_use_mean",
                "mean instances in use",
                "instances",
            ),
            ("cost.total_usd", "total cost", "USD"),
            (
                "jobs.reports.failed.RESOURCE:CPU",
                "tasks failed (no CPU), jobs reports",
                "tasks",
            ),
            ("jobs.x.mean_wait_s", "mean wait, jobs x", "s"),
            (
                "services.web.demand.overloaded_minutes",
                "time overloaded, service web",
                "min",
            ),
        ];
        for (path, words, unit) in table {
            assert_eq!(describe(path), (words.to_string(), unit), "{path}");
        }
    }

    #[test]
    fn placement_strategies_are_short_labels() {
        let table = [
            (r#"[{type="binpack", field="memory"}]"#, "binpack(memory)"),
            (
                r#"[{type="spread", field="attribute:ecs.availability-zone"}, {type="spread", field="instanceId"}]"#,
                "spread(AZ) + spread(instance)",
            ),
            (r#"[{type="random"}]"#, "random"),
            ("m6i.xlarge", "m6i.xlarge"),
            (r#"["a", "b"]"#, r#"["a", "b"]"#),
        ];
        for (v, want) in table {
            assert_eq!(short_value(v), want, "{v}");
        }
    }

    /// count x (strategy zipped with job strategy), 2 runs each; one
    /// interval cell left empty.
    const AGG: &str = "\
n,s,j,runs,m_pct.mean,m_pct.ci95_low,m_pct.ci95_high,other.mean
4,a,A,2,10,8,12,1
4,b,B,2,20,18,22,1
6,a,A,2,15,,17,1
6,b,B,2,25,23,27,1
";

    fn agg(table: &str, params: &[&str]) -> Aggregate {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("aggregate.csv"), table).unwrap();
        let manifest = serde_json::json!({"name": "t", "parameters": params});
        std::fs::write(d.path().join("sweep.json"), manifest.to_string()).unwrap();
        Aggregate::read(d.path()).unwrap()
    }

    #[test]
    fn metrics_are_the_mean_columns() {
        let a = agg(AGG, &["n", "s", "j"]);
        assert_eq!(a.metrics, vec!["m_pct", "other"]);
        assert_eq!(a.metric("m_pct.mean").unwrap(), "m_pct");
        let e = a.metric("m_pc").unwrap_err().to_string();
        assert!(
            e.contains("no metric `m_pc` (did you mean `m_pct`?); metrics: m_pct, other"),
            "{e}"
        );
    }

    #[test]
    fn defaults_numeric_x_then_the_next_parameter() {
        let a = agg(AGG, &["s", "n", "j"]);
        let (m, x, s) = a.choose(&SweepOptions::default()).unwrap();
        // No cpu_reservation_mean_pct here: the first metric.
        assert_eq!(
            (m, x.as_str(), s.as_deref()),
            (vec!["m_pct".to_string()], "n", Some("j"))
        );
        let opts = SweepOptions {
            x: Some("s".into()),
            series: Some("s".into()),
            ..SweepOptions::default()
        };
        assert!(a
            .choose(&opts)
            .unwrap_err()
            .to_string()
            .contains("same parameter"));
        let opts = SweepOptions {
            x: Some("count".into()),
            ..SweepOptions::default()
        };
        let e = a.choose(&opts).unwrap_err().to_string();
        assert!(
            e.contains("no parameter `count`; parameters: s, n, j"),
            "{e}"
        );
    }

    #[test]
    fn one_line_per_series_value_zip_partners_left_out() {
        let a = agg(AGG, &["n", "s", "j"]);
        let c = a.chart("m_pct", "n", Some("s")).unwrap();
        let p = &c.panels[0];
        let labels: Vec<&str> = p.lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, vec!["a", "b"]);
        assert_eq!(p.lines[0].points, vec![(4.0, 10.0), (6.0, 15.0)]);
        // Line a has an empty interval cell: no band; line b has one.
        assert_eq!(p.bands.len(), 1);
        assert_eq!(
            p.bands[0].points,
            vec![(4.0, 18.0, 22.0), (6.0, 23.0, 27.0)]
        );
        assert!(p.band_note.as_ref().unwrap().1.contains("2 runs per point"));
        assert_eq!(p.y_label, "m (%)");
        assert!(p.y_percent, "a percentage axis labels its ticks with %");
        assert!(p.x_integer, "4 and 6 are whole numbers");
    }

    #[test]
    fn independent_parameters_join_the_label() {
        // A full grid s x k x n: k is not determined by s.
        let mut t = String::from("s,k,n,m.mean\n");
        for s in ["a", "b"] {
            for k in ["x", "y"] {
                for n in [1, 2] {
                    t.push_str(&format!("{s},{k},{n},{n}\n"));
                }
            }
        }
        let a = agg(&t, &["s", "k", "n"]);
        let c = a.chart("m", "n", Some("s")).unwrap();
        let labels: Vec<&str> = c.panels[0].lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, vec!["a, k = x", "a, k = y", "b, k = x", "b, k = y"]);
        // A parameter constant over the table names no line.
        let a = agg("n,s,m.mean\n1,a,1\n2,a,2\n", &["n", "s"]);
        let c = a.chart("m", "n", Some("s")).unwrap();
        assert_eq!(c.panels[0].lines.len(), 1);
        assert_eq!(c.panels[0].lines[0].label, "m");
    }

    #[test]
    fn categorical_x_in_table_order() {
        let a = agg(AGG, &["n", "s", "j"]);
        let c = a.chart("m_pct", "s", Some("n")).unwrap();
        let p = &c.panels[0];
        assert_eq!(p.x_axis, XAxis::Categories(vec!["a".into(), "b".into()]));
        assert_eq!(p.lines[1].label, "6");
        // Categories are not a trend: points, not joined, the two series
        // side by side (0.3 apart), intervals as error bars, no bands.
        assert!(p.lines.iter().all(|l| !l.connect && l.dots));
        assert_eq!(p.lines[1].points, vec![(0.15, 15.0), (1.15, 25.0)]);
        assert!(p.bands.is_empty());
        // Line 6 has an empty interval cell: error bars for line 4 only.
        assert_eq!(p.error_bars.len(), 1);
        assert_eq!(
            p.error_bars[0].points,
            vec![(-0.15, 8.0, 12.0), (0.85, 18.0, 22.0)]
        );
    }

    #[test]
    fn a_series_that_varies_with_x_gives_one_line() {
        // j is s's zip partner: with x = s, it cannot split the lines.
        let a = agg(AGG, &["n", "s", "j"]);
        let c = a.chart("m_pct", "s", Some("j")).unwrap();
        let p = &c.panels[0];
        let labels: Vec<&str> = p.lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, vec!["n = 4", "n = 6"]);
        assert_eq!(p.legend_title, None);
    }

    #[test]
    fn units_from_metric_names() {
        assert_eq!(
            with_unit("cpu_reservation_mean_pct"),
            "mean CPU reservation (%)"
        );
        assert_eq!(with_unit("jobs.x.mean_wait_s"), "mean wait, jobs x (s)");
        assert_eq!(with_unit("some_count"), "some count");
    }
}
