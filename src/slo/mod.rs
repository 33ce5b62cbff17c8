//! Service-level objectives: a metric of a run's summary, a comparison and a
//! threshold, such as `services.web.availability >= 99.9` or
//! `jobs.etl.wait_p99 <= 60s`.
//!
//! An objective names a metric the way sweeps name summary fields: the
//! flattened path of `summary.json` (`services.<name>.<field>`,
//! `jobs.<name>.<field>`, `cost.per_month_usd`, ...). The unit of the
//! threshold completes the field's name: a duration (`60s`, `5m`) reads the
//! `_s` field, a percentage (`99.9%`, or a bare number where only a `_pct`
//! field exists) the `_pct` field. So `jobs.etl.wait_p99 <= 60s` compares
//! `jobs.etl.wait_p99_s` with 60.
//!
//! This module only parses, resolves against the known metrics and compares;
//! it never runs anything. A run reports each objective met or missed with
//! its margin; sweeps and `ecsim optimize` count, over seeds, the share of
//! runs that met each objective, with a Wilson score interval.

use crate::metrics::{flatten, SloResult, Summary};
use crate::sim::time::parse_duration;

/// Metrics every service entry of the summary holds (`services.<name>.…`).
pub const SERVICE_METRICS: &[&str] = &[
    // share of the run's time with healthy RUNNING tasks >= desired
    "availability_pct",
    // share of the run's time with healthy RUNNING >= the `[slo]`
    // `availabilityShare` of desired (default 90%)
    "partial_availability_pct",
    // demand services: share of requests dropped (0 without demand)
    "dropped_pct",
    // demand services: minutes with demand above what the tasks serve
    "overloaded_minutes",
    "minutes_below_desired",
    "running_ratio_min",
    "running_ratio_mean",
    // from request (desired-count change, replacement) to RUNNING
    "wait_p50_s",
    "wait_p95_s",
    "wait_p99_s",
    "wait_max_s",
    // time spent in PROVISIONING (capacity providers)
    "provisioning_p50_s",
    "provisioning_p95_s",
    "provisioning_p99_s",
    "provisioning_max_s",
    "tasks_killed",
];

/// Metrics every job-stream entry of the summary holds (`jobs.<name>.…`).
pub const JOB_METRICS: &[&str] = &[
    // from submission (RunTask) to RUNNING
    "wait_p50_s",
    "wait_p95_s",
    "wait_p99_s",
    "wait_max_s",
    "provisioning_p50_s",
    "provisioning_p95_s",
    "provisioning_p99_s",
    "provisioning_max_s",
    "mean_wait_s",
    // share of submitted tasks that completed
    "completion_pct",
    "failed_total",
    "tasks_killed",
    "work_lost_task_s",
];

/// Cluster-wide metrics (top-level names of the flattened summary).
pub const CLUSTER_METRICS: &[&str] = &[
    // requests dropped over all demand services, % of all requests
    "dropped_pct",
    "cost.total_usd",
    "cost.per_month_usd",
    "instances_in_use_mean",
    "instances_in_use_max",
    "cpu_reservation_mean_pct",
    "memory_reservation_mean_pct",
    "tasks_killed",
];

/// An objective with the summary field it reads (from
/// [`Objective::resolve`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub objective: Objective,
    /// The flattened summary field, e.g. `services.web.availability_pct`.
    pub field: String,
}

/// Judges every objective on a run's summary, in order. An objective whose
/// field the summary lacks (it cannot happen for a resolved field) reads 0.
pub fn judge_summary(objectives: &[Resolved], summary: &Summary) -> Vec<SloResult> {
    if objectives.is_empty() {
        return Vec::new();
    }
    let flat = serde_json::to_value(summary)
        .map(|v| flatten(&v))
        .unwrap_or_default();
    objectives
        .iter()
        .map(|r| {
            let out = r
                .objective
                .evaluate(&r.field, &flat)
                .unwrap_or_else(|| r.objective.judge(0.0));
            SloResult {
                objective: r.objective.text.clone(),
                metric: r.field.clone(),
                value: out.value,
                met: out.met,
                margin: crate::metrics::round4(out.margin),
            }
        })
        .collect()
}

/// The comparison of an objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<=`
    AtMost,
    /// `>=`
    AtLeast,
    /// `<`
    Below,
    /// `>`
    Above,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::AtMost => "<=",
            Op::AtLeast => ">=",
            Op::Below => "<",
            Op::Above => ">",
        }
    }
}

/// The unit written after the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A plain number.
    None,
    /// `%`: the metric's `_pct` field.
    Percent,
    /// A duration (`60s`, `5m`): the metric's `_s` field, threshold in seconds.
    Seconds,
}

/// One objective as written, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    /// The objective as the user wrote it (trimmed), used as its label.
    pub text: String,
    /// The metric as written (`services.web.availability`).
    pub metric: String,
    pub op: Op,
    /// In the metric's unit: seconds for durations, percent for `%`.
    pub threshold: f64,
    pub unit: Unit,
}

/// An objective compared with one run's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub value: f64,
    pub met: bool,
    /// How far the value is on the good side of the threshold (negative
    /// when missed): `value − threshold` for `>=`/`>`, `threshold − value`
    /// for `<=`/`<`.
    pub margin: f64,
}

impl Objective {
    /// Parses `<metric> <op> <threshold>[unit]`, e.g.
    /// `services.web.availability >= 99.9`, `jobs.etl.wait_p99 <= 60s`,
    /// `dropped <= 0.1%`. The threshold may be quoted (`<= "60s"`).
    pub fn parse(text: &str) -> Result<Objective, String> {
        let t = text.trim();
        let expected = "expected `<metric> <op> <threshold>` such as \
                        \"services.web.availability >= 99.9\" or \"jobs.etl.wait_p99 <= 60s\"";
        // Longest operators first so that `<=` is not read as `<`.
        let found = ["<=", ">=", "<", ">"]
            .iter()
            .filter_map(|o| t.find(o).map(|at| (at, *o)))
            .min_by_key(|(at, o)| (*at, std::cmp::Reverse(o.len())));
        let Some((at, sym)) = found else {
            return Err(format!("{expected}; found \"{t}\" (no comparison)"));
        };
        let op = match sym {
            "<=" => Op::AtMost,
            ">=" => Op::AtLeast,
            "<" => Op::Below,
            _ => Op::Above,
        };
        let metric = t[..at].trim();
        let rhs = t[at + sym.len()..].trim().trim_matches('"').trim();
        if metric.is_empty() {
            return Err(format!(
                "{expected}; found \"{t}\" (no metric before `{sym}`)"
            ));
        }
        if !metric
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(format!(
                "{expected}; the metric \"{metric}\" may only hold letters, digits, `.`, `_` and `-`"
            ));
        }
        if rhs.is_empty() {
            return Err(format!(
                "{expected}; found \"{t}\" (no threshold after `{sym}`)"
            ));
        }
        let (threshold, unit) = if let Some(num) = rhs.strip_suffix('%') {
            let x: f64 = num.trim().parse().map_err(|_| {
                format!("{expected}; the threshold \"{rhs}\" is not a number followed by `%`")
            })?;
            (x, Unit::Percent)
        } else if let Ok(x) = rhs.parse::<f64>() {
            (x, Unit::None)
        } else {
            let d = parse_duration(rhs)
                .map_err(|e| format!("{expected}; the threshold \"{rhs}\": {e}"))?;
            (d.0 as f64 / 1000.0, Unit::Seconds)
        };
        if !threshold.is_finite() {
            return Err(format!(
                "{expected}; the threshold \"{rhs}\" is not a finite number"
            ));
        }
        Ok(Objective {
            text: t.to_string(),
            metric: metric.to_string(),
            op,
            threshold,
            unit,
        })
    }

    /// The summary field this objective reads, checked against the known
    /// metrics of the given services and job streams. Errors name what was
    /// expected, with the closest known name.
    pub fn resolve(&self, services: &[&str], jobs: &[&str]) -> Result<String, String> {
        let parts: Vec<&str> = self.metric.splitn(3, '.').collect();
        let (prefix, known): (String, &[&str]) = match parts.as_slice() {
            ["services", name, _] => {
                if !services.contains(name) {
                    return Err(unknown("service", name, services));
                }
                (format!("services.{name}."), SERVICE_METRICS)
            }
            ["jobs", name, _] => {
                if !jobs.contains(name) {
                    return Err(unknown("job stream", name, jobs));
                }
                (format!("jobs.{name}."), JOB_METRICS)
            }
            ["services" | "jobs", ..] => {
                return Err(format!(
                    "\"{}\": expected `{}.<name>.<metric>`",
                    self.metric, parts[0]
                ));
            }
            _ => (String::new(), CLUSTER_METRICS),
        };
        let field = &self.metric[prefix.len()..];
        let candidates: Vec<String> = match self.unit {
            Unit::Seconds if !field.ends_with("_s") => vec![format!("{field}_s")],
            Unit::Percent if !field.ends_with("_pct") => vec![format!("{field}_pct")],
            Unit::None => vec![
                field.to_string(),
                format!("{field}_pct"),
                format!("{field}_s"),
            ],
            _ => vec![field.to_string()],
        };
        match candidates.iter().find(|c| known.contains(&c.as_str())) {
            Some(c) => Ok(format!("{prefix}{c}")),
            None => {
                // Compare with the names as written without their unit
                // (`availability` for `availability_pct`) and in full.
                let stem = |k: &'static str| {
                    k.strip_suffix("_pct")
                        .or_else(|| k.strip_suffix("_s"))
                        .unwrap_or(k)
                };
                let hint = crate::text::closest(field, known.iter().map(|k| stem(k)))
                    .and_then(|c| known.iter().copied().find(|k| stem(k) == c))
                    .or_else(|| crate::text::closest(field, known.iter().copied()))
                    .map(|c| format!(" (did you mean \"{prefix}{c}\"?)"))
                    .unwrap_or_default();
                let what = match self.unit {
                    Unit::Seconds => "a duration metric (`_s`)",
                    Unit::Percent => "a percentage metric (`_pct`)",
                    Unit::None => "a metric",
                };
                Err(format!(
                    "\"{}\" is not {what} of the summary{hint}; known: {}",
                    self.metric,
                    known
                        .iter()
                        .map(|k| format!("{prefix}{k}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        }
    }

    /// Compares a value of the resolved metric with the threshold.
    pub fn judge(&self, value: f64) -> Outcome {
        let (met, margin) = match self.op {
            Op::AtMost => (value <= self.threshold, self.threshold - value),
            Op::Below => (value < self.threshold, self.threshold - value),
            Op::AtLeast => (value >= self.threshold, value - self.threshold),
            Op::Above => (value > self.threshold, value - self.threshold),
        };
        Outcome { value, met, margin }
    }

    /// Looks the resolved field up in a flattened summary (`name, value`
    /// pairs, as sweeps flatten it) and judges it; `None` when the summary
    /// lacks the field.
    pub fn evaluate(&self, field: &str, flat: &[(String, f64)]) -> Option<Outcome> {
        flat.iter()
            .find(|(n, _)| n == field)
            .map(|(_, v)| self.judge(*v))
    }
}

fn unknown(what: &str, name: &str, known: &[&str]) -> String {
    let hint = crate::text::closest(name, known.iter().copied())
        .map(|c| format!(" (did you mean \"{c}\"?)"))
        .unwrap_or_default();
    format!("no {what} named \"{name}\" in the scenario{hint}")
}

/// A share of runs with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Share of runs, 0–1.
    pub share: f64,
    pub lo: f64,
    pub hi: f64,
}

/// The Wilson score interval of `met` successes in `runs` at a two-sided
/// `confidence` (e.g. 0.95). Unlike the normal approximation it stays inside
/// [0, 1] and is informative at 0 or `runs` successes — the common case when
/// an objective holds on every seed.
pub fn wilson(met: usize, runs: usize, confidence: f64) -> Interval {
    if runs == 0 {
        return Interval {
            share: 0.0,
            lo: 0.0,
            hi: 1.0,
        };
    }
    let n = runs as f64;
    let p = met as f64 / n;
    let z = normal_quantile(0.5 + confidence.clamp(0.0, 0.999_999) / 2.0);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Interval {
        share: p,
        lo: (centre - half).max(0.0),
        hi: (centre + half).min(1.0),
    }
}

/// The standard normal quantile (Acklam's rational approximation, relative
/// error below 1.2e-9), for `0 < p < 1`.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let low = 0.02425;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_issue_examples() {
        let o = Objective::parse("services.web.availability >= 99.9").unwrap();
        assert_eq!(o.metric, "services.web.availability");
        assert_eq!(o.op, Op::AtLeast);
        assert_eq!(o.threshold, 99.9);
        assert_eq!(o.unit, Unit::None);

        let o = Objective::parse("jobs.etl.wait_p99 <= \"60s\"").unwrap();
        assert_eq!(
            (o.op, o.threshold, o.unit),
            (Op::AtMost, 60.0, Unit::Seconds)
        );
        let o = Objective::parse("jobs.etl.wait_p99<=1m30s").unwrap();
        assert_eq!(o.threshold, 90.0);

        let o = Objective::parse("dropped <= 0.1%").unwrap();
        assert_eq!(
            (o.metric.as_str(), o.threshold, o.unit),
            ("dropped", 0.1, Unit::Percent)
        );
        let o = Objective::parse("cost.per_month_usd < 5000").unwrap();
        assert_eq!(o.op, Op::Below);
        assert_eq!(o.text, "cost.per_month_usd < 5000");
    }

    #[test]
    fn parse_errors_say_what_was_expected() {
        for (bad, says) in [
            ("services.web.availability 99.9", "no comparison"),
            (">= 99", "no metric"),
            ("services.web.availability >=", "no threshold"),
            ("services.web.availability >= lots", "expected a duration"),
            ("services.web.availability >= 9x%", "followed by `%`"),
            ("services web >= 3", "may only hold"),
        ] {
            let e = Objective::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
            assert!(e.contains("expected `<metric> <op> <threshold>`"), "{e}");
        }
    }

    #[test]
    fn the_unit_completes_the_field_name() {
        let s = ["web"];
        let j = ["etl"];
        let r = |t: &str| Objective::parse(t).unwrap().resolve(&s, &j);
        assert_eq!(
            r("services.web.availability >= 99.9").unwrap(),
            "services.web.availability_pct"
        );
        assert_eq!(
            r("services.web.availability >= 99.9%").unwrap(),
            "services.web.availability_pct"
        );
        assert_eq!(
            r("jobs.etl.wait_p99 <= 60s").unwrap(),
            "jobs.etl.wait_p99_s"
        );
        assert_eq!(
            r("jobs.etl.wait_p99_s <= 60").unwrap(),
            "jobs.etl.wait_p99_s"
        );
        assert_eq!(r("dropped <= 0.1").unwrap(), "dropped_pct");
        assert_eq!(
            r("cost.per_month_usd <= 900").unwrap(),
            "cost.per_month_usd"
        );
        // A duration threshold on a percentage metric is a mistake.
        let e = r("services.web.availability >= 60s").unwrap_err();
        assert!(e.contains("not a duration metric"), "{e}");
    }

    #[test]
    fn unknown_names_get_a_hint() {
        let s = ["web", "api"];
        let r = |t: &str| Objective::parse(t).unwrap().resolve(&s, &[]);
        let e = r("services.wbe.availability >= 99").unwrap_err();
        assert!(
            e.contains("no service named \"wbe\"") && e.contains("\"web\""),
            "{e}"
        );
        let e = r("jobs.etl.wait_p99 <= 60s").unwrap_err();
        assert!(e.contains("no job stream named \"etl\""), "{e}");
        let e = r("services.web.availabilty >= 99").unwrap_err();
        assert!(
            e.contains("did you mean \"services.web.availability_pct\""),
            "{e}"
        );
        let e = r("services.web >= 1").unwrap_err();
        assert!(e.contains("services.<name>.<metric>"), "{e}");
    }

    #[test]
    fn judge_gives_the_margin_on_the_good_side() {
        let o = Objective::parse("services.web.availability >= 99.9").unwrap();
        let x = o.judge(99.95);
        assert!(x.met && (x.margin - 0.05).abs() < 1e-9);
        let x = o.judge(99.0);
        assert!(!x.met && (x.margin + 0.9).abs() < 1e-9);
        let o = Objective::parse("jobs.etl.wait_p99 <= 60s").unwrap();
        assert!(o.judge(60.0).met);
        let o = Objective::parse("jobs.etl.wait_p99 < 60s").unwrap();
        assert!(!o.judge(60.0).met);
        let flat = vec![("jobs.etl.wait_p99_s".to_string(), 12.5)];
        let out = o.evaluate("jobs.etl.wait_p99_s", &flat).unwrap();
        assert_eq!(out.margin, 47.5);
        assert!(o.evaluate("jobs.x.wait_p99_s", &flat).is_none());
    }

    #[test]
    fn wilson_interval_known_values() {
        // 95%: z = 1.959964
        assert!((normal_quantile(0.975) - 1.959_963_985).abs() < 1e-6);
        assert!((normal_quantile(0.5)).abs() < 1e-12);
        assert!((normal_quantile(0.001) + 3.090_232_306).abs() < 1e-6);
        // 10 of 10 at 95%: [0.7225, 1] (Wilson, textbook value).
        let i = wilson(10, 10, 0.95);
        assert_eq!(i.share, 1.0);
        assert!((i.lo - 0.7225).abs() < 1e-4, "{i:?}");
        assert_eq!(i.hi, 1.0);
        // 5 of 10 at 95%: [0.2366, 0.7634].
        let i = wilson(5, 10, 0.95);
        assert!(
            (i.lo - 0.2366).abs() < 1e-4 && (i.hi - 0.7634).abs() < 1e-4,
            "{i:?}"
        );
        // 0 of 20: upper bound 0.1611.
        let i = wilson(0, 20, 0.95);
        assert!(i.lo == 0.0 && (i.hi - 0.1611).abs() < 1e-4, "{i:?}");
        assert_eq!(wilson(0, 0, 0.95).hi, 1.0);
    }
}
