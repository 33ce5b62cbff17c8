//! A service's `autoScaling` (A1–A5): target tracking, step scaling and
//! scheduled actions. Read here (called from services.rs); acts in
//! scaling/ (the scalers) and engine/services.rs (desired counts). A
//! group's own bounds and target tracking are read in groups.rs, capacity
//! providers in capacity_providers.rs.

use toml::{Table, Value};

use super::reader::{index, join, Reader};
use crate::scaling::step::MetricTrace;
use crate::scaling::{
    AdjustmentType, Comparison, ScalableTarget, Schedule, ScheduledAction, ServiceMetric,
    ServiceScaler, StepAdjustment, StepPolicy, TargetTracking,
};
use crate::sim::SimDuration;

/// A service's `autoScaling` (A1–A5). Returns the scaler and the scheduled actions.
pub(crate) fn service_scaling(
    r: &mut Reader,
    v: &Value,
    path: &str,
    desired: u32,
    start_epoch_s: i64,
    dir: &std::path::Path,
) -> Option<(ServiceScaler, Vec<ScheduledAction>)> {
    let known = [
        "minCapacity",
        "maxCapacity",
        "targetTracking",
        "stepScaling",
        "scheduled",
    ];
    let t = r.table(v, path, &known, &[])?;
    let min = r
        .required(t, path, "minCapacity")
        .and_then(|v| r.uint(v, &join(path, "minCapacity"), 100_000))? as u32;
    let max = r
        .required(t, path, "maxCapacity")
        .and_then(|v| r.uint(v, &join(path, "maxCapacity"), 100_000))? as u32;
    if min > max {
        r.err(
            &join(path, "maxCapacity"),
            format!("must be at least minCapacity ({min})"),
        );
    }
    // Refused rather than clamped: registering a scalable target does not
    // change the desired count (Application Auto Scaling moves it into the
    // range only at its next scaling activity), so a count outside the
    // range is a contradiction in the file, not a state to model.
    if min <= max && (desired < min || desired > max) {
        let service = path.strip_suffix(".autoScaling").unwrap_or(path);
        r.err(
            &join(service, "desiredCount"),
            format!(
                "desiredCount {desired} is outside the autoScaling range [minCapacity {min}, maxCapacity {max}]; set it within the range (Application Auto Scaling would not bring it in until its first scaling activity)"
            ),
        );
    }
    let mut tracking = Vec::new();
    let tp = join(path, "targetTracking");
    for (i, v) in r.list(t, path, "targetTracking").iter().enumerate() {
        let p = index(&tp, i);
        let known = [
            "metric",
            "targetValue",
            "scaleOutCooldown",
            "scaleInCooldown",
            "disableScaleIn",
            "scaleInFactor",
        ];
        let Some(x) = r.table(v, &p, &known, &[]) else {
            continue;
        };
        let Some(metric) = metric(r, x, &p) else {
            continue;
        };
        let Some(target) = r
            .required(x, &p, "targetValue")
            .and_then(|v| r.number(v, &join(&p, "targetValue")))
        else {
            continue;
        };
        if target <= 0.0 {
            r.err(&join(&p, "targetValue"), "expected a target above zero");
            continue;
        }
        let mut tt = TargetTracking::new(metric, target);
        if let Some(d) = r.opt_seconds(x, &p, "scaleOutCooldown") {
            tt.scale_out_cooldown = d;
        }
        if let Some(d) = r.opt_seconds(x, &p, "scaleInCooldown") {
            tt.scale_in_cooldown = d;
        }
        if let Some(b) = r.opt_bool(x, &p, "disableScaleIn") {
            tt.disable_scale_in = b;
        }
        if let Some(f) = r.opt_number(x, &p, "scaleInFactor") {
            if !(0.0..1.0).contains(&f) || f == 0.0 {
                r.err(
                    &join(&p, "scaleInFactor"),
                    "expected a factor above 0 and below 1",
                );
            }
            tt.scale_in_factor = f;
        }
        tracking.push(tt);
    }
    let mut steps = Vec::new();
    let sp = join(path, "stepScaling");
    for (i, v) in r.list(t, path, "stepScaling").iter().enumerate() {
        let p = index(&sp, i);
        let known = [
            "metric",
            "threshold",
            "comparison",
            "datapoints",
            "adjustmentType",
            "steps",
            "minAdjustmentMagnitude",
            "cooldown",
            "metricTrace",
        ];
        let Some(x) = r.table(v, &p, &known, &[]) else {
            continue;
        };
        // A custom metric (an SQS queue depth, ...) replayed from a trace.
        let custom = x.get("metric").and_then(Value::as_str) == Some("custom");
        let metric = if custom {
            ServiceMetric::Custom
        } else {
            let Some(m) = metric(r, x, &p) else {
                continue;
            };
            m
        };
        let trace = match (custom, x.get("metricTrace")) {
            (true, Some(tv)) => metric_trace(r, tv, &join(&p, "metricTrace"), dir),
            (true, None) => {
                r.err(
                    &join(&p, "metricTrace"),
                    "metric = \"custom\" needs metricTrace = \"values.csv\" (or { path, column }): the metric's values over time",
                );
                None
            }
            (false, Some(_)) => {
                r.err(
                    &join(&p, "metricTrace"),
                    "a metricTrace goes with metric = \"custom\"",
                );
                None
            }
            (false, None) => None,
        };
        if custom && trace.is_none() {
            continue;
        }
        let Some(threshold) = r
            .required(x, &p, "threshold")
            .and_then(|v| r.number(v, &join(&p, "threshold")))
        else {
            continue;
        };
        let comparisons = [
            "GreaterThanOrEqualToThreshold",
            "GreaterThanThreshold",
            "LessThanOrEqualToThreshold",
            "LessThanThreshold",
        ];
        let comparison = match x.get("comparison") {
            None => Comparison::GreaterThanOrEqual,
            Some(v) => match r
                .choice(v, &join(&p, "comparison"), &comparisons)
                .as_deref()
            {
                Some("GreaterThanThreshold") => Comparison::GreaterThan,
                Some("LessThanOrEqualToThreshold") => Comparison::LessThanOrEqual,
                Some("LessThanThreshold") => Comparison::LessThan,
                _ => Comparison::GreaterThanOrEqual,
            },
        };
        let adjustment_type = match x.get("adjustmentType") {
            None => AdjustmentType::ChangeInCapacity,
            Some(v) => match r
                .choice(
                    v,
                    &join(&p, "adjustmentType"),
                    &[
                        "ChangeInCapacity",
                        "ExactCapacity",
                        "PercentChangeInCapacity",
                    ],
                )
                .as_deref()
            {
                Some("ExactCapacity") => AdjustmentType::ExactCapacity,
                Some("PercentChangeInCapacity") => AdjustmentType::PercentChangeInCapacity,
                _ => AdjustmentType::ChangeInCapacity,
            },
        };
        let mut adj = Vec::new();
        let stp = join(&p, "steps");
        for (k, v) in r.list(x, &p, "steps").iter().enumerate() {
            let q = index(&stp, k);
            let Some(s) = r.table(v, &q, &["lower", "upper", "adjustment"], &[]) else {
                continue;
            };
            let lower = r.opt_number(s, &q, "lower");
            let upper = r.opt_number(s, &q, "upper");
            let Some(a) = r
                .required(s, &q, "adjustment")
                .and_then(|v| r.number(v, &join(&q, "adjustment")))
            else {
                continue;
            };
            adj.push(StepAdjustment {
                lower,
                upper,
                adjustment: a,
            });
        }
        let mut policy = StepPolicy {
            metric,
            threshold,
            comparison,
            datapoints: 1,
            adjustment_type,
            steps: adj,
            min_adjustment_magnitude: None,
            cooldown: SimDuration::from_secs(300),
            trace,
        };
        if let Some(d) = r.opt_uint(x, &p, "datapoints", 1440) {
            policy.datapoints = d.max(1) as u32;
        }
        if let Some(m) = r.opt_uint(x, &p, "minAdjustmentMagnitude", 100_000) {
            policy.min_adjustment_magnitude = Some(m as u32);
        }
        if let Some(d) = r.opt_seconds(x, &p, "cooldown") {
            policy.cooldown = d;
        }
        if let Err(e) = policy.validate() {
            r.err(&stp, e.to_string());
            continue;
        }
        steps.push(policy);
    }
    let mut scheduled = Vec::new();
    let cp = join(path, "scheduled");
    for (i, v) in r.list(t, path, "scheduled").iter().enumerate() {
        let p = index(&cp, i);
        let Some(x) = r.table(
            v,
            &p,
            &["schedule", "minCapacity", "maxCapacity", "timezone"],
            &[],
        ) else {
            continue;
        };
        let Some(text) = r.req_string(x, &p, "schedule") else {
            continue;
        };
        let tz = r.opt_string(x, &p, "timezone");
        // rate(...) counts from the run's start.
        let schedule = match Schedule::parse_in(&text, tz.as_deref()) {
            Ok(s) => s.anchored(start_epoch_s),
            Err(e) => {
                let field = if e.message.starts_with("unknown time zone") {
                    "timezone"
                } else {
                    "schedule"
                };
                r.err(&join(&p, field), e.to_string());
                continue;
            }
        };
        if let Schedule::At(at) = &schedule {
            if *at < start_epoch_s {
                r.err(
                    &join(&p, "schedule"),
                    "the time is before the scenario's startTime",
                );
            }
        }
        let min = r.opt_uint(x, &p, "minCapacity", 100_000).map(|v| v as u32);
        let max = r.opt_uint(x, &p, "maxCapacity", 100_000).map(|v| v as u32);
        if min.is_none() && max.is_none() {
            r.err(
                &p,
                "a scheduled action sets minCapacity, maxCapacity or both",
            );
        }
        scheduled.push(ScheduledAction { schedule, min, max });
    }
    if tracking.is_empty() && steps.is_empty() && scheduled.is_empty() {
        r.err(
            path,
            "expected at least one of targetTracking, stepScaling or scheduled",
        );
    }
    Some((
        ServiceScaler::new(ScalableTarget { min, max }, tracking, steps),
        scheduled,
    ))
}

/// A step policy's `metricTrace`: a CSV of timestamp and value (`path`,
/// optional `column`, default the second), the first row at time zero, as
/// demand traces.
fn metric_trace(
    r: &mut Reader,
    v: &Value,
    path: &str,
    dir: &std::path::Path,
) -> Option<MetricTrace> {
    let (file, column) = match v {
        Value::String(s) => (s.clone(), None),
        Value::Table(_) => {
            let t = r.table(v, path, &["path", "column"], &[])?;
            (
                r.req_string(t, path, "path")?,
                r.opt_string(t, path, "column"),
            )
        }
        other => {
            r.err(
                path,
                format!(
                    "expected a CSV file name or {{ path, column }}, found {}",
                    super::reader::type_name(other)
                ),
            );
            return None;
        }
    };
    match super::demand::read_trace(&dir.join(&file), column.as_deref()) {
        Ok((points, _)) => Some(MetricTrace { points }),
        Err(e) => {
            r.err(path, e);
            None
        }
    }
}

fn metric(r: &mut Reader, t: &Table, path: &str) -> Option<ServiceMetric> {
    let names = [
        "ECSServiceAverageCPUUtilization",
        "ECSServiceAverageMemoryUtilization",
        "ALBRequestCountPerTarget",
    ];
    let v = r.required(t, path, "metric")?;
    match r.choice(v, &join(path, "metric"), &names)?.as_str() {
        "ECSServiceAverageMemoryUtilization" => Some(ServiceMetric::Memory),
        "ALBRequestCountPerTarget" => Some(ServiceMetric::RequestsPerTarget),
        _ => Some(ServiceMetric::Cpu),
    }
}
