//! Scaling in scenario files (a group's own ASG bounds and target tracking
//! are read with the group, in groups.rs): `[[capacityProviders]]` with managed scaling,
//! termination protection and draining (C1–C5), and services'
//! `autoScaling` (A1–A5): target tracking, step scaling and scheduled
//! actions.

use toml::{Table, Value};

use super::reader::{index, join, Reader};
use crate::engine::CapacityProviderSpec;
use crate::scaling::{
    AdjustmentType, Comparison, ManagedScaling, ScalableTarget, ScaleInPacing, Schedule,
    ScheduledAction, ServiceMetric, ServiceScaler, StepAdjustment, StepPolicy, TargetTracking,
};
use crate::sim::SimDuration;

fn enabled(r: &mut Reader, t: &Table, path: &str, key: &str, default: bool) -> bool {
    match t.get(key) {
        None => default,
        Some(v) => r
            .choice(v, &join(path, key), &["ENABLED", "DISABLED"])
            .map_or(default, |s| s == "ENABLED"),
    }
}

/// `[[capacityProviders]]`. `groups` are the instance groups' names.
pub(crate) fn capacity_providers(
    r: &mut Reader,
    root: &Table,
    groups: &[String],
) -> Vec<CapacityProviderSpec> {
    let mut out: Vec<CapacityProviderSpec> = Vec::new();
    for (i, v) in r.list(root, "", "capacityProviders").iter().enumerate() {
        let path = index("capacityProviders", i);
        let known = [
            "name",
            "instanceGroup",
            "managedScaling",
            "managedTerminationProtection",
            "managedDraining",
            "scaleInStepPercent",
            "scaleInTerminationLatency",
            "scaleInTerminationsPerMinute",
        ];
        let Some(t) = r.table(v, &path, &known, &[]) else {
            continue;
        };
        let Some(name) = r.req_string(t, &path, "name") else {
            continue;
        };
        if name.is_empty()
            || name.len() > 255
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            || name.starts_with("aws")
            || name.starts_with("ecs")
            || name.starts_with("fargate")
            || name.starts_with("FARGATE")
        {
            r.err(
                &join(&path, "name"),
                "expected 1-255 letters, digits, hyphens or underscores, not starting with aws, ecs or fargate",
            );
            continue;
        }
        if out.iter().any(|c| c.name == name) {
            r.err(
                &join(&path, "name"),
                format!("duplicate capacity provider \"{name}\""),
            );
        }
        let Some(gname) = r.req_string(t, &path, "instanceGroup") else {
            continue;
        };
        let Some(group) = groups.iter().position(|g| *g == gname) else {
            r.err(
                &join(&path, "instanceGroup"),
                format!(
                    "unknown instance group \"{gname}\"; groups: {}",
                    groups.join(", ")
                ),
            );
            continue;
        };
        if out.iter().any(|c| c.group == group) {
            r.err(
                &join(&path, "instanceGroup"),
                format!("instance group \"{gname}\" already backs a capacity provider"),
            );
        }
        let mut managed = None;
        if let Some(v) = t.get("managedScaling") {
            let mp = join(&path, "managedScaling");
            let known = [
                "status",
                "targetCapacity",
                "minimumScalingStepSize",
                "maximumScalingStepSize",
                "instanceWarmupPeriod",
            ];
            if let Some(m) = r.table(v, &mp, &known, &[]) {
                if enabled(r, m, &mp, "status", true) {
                    let mut ms = ManagedScaling::default();
                    if let Some(x) = r.opt_uint(m, &mp, "targetCapacity", 100) {
                        if x == 0 {
                            r.err(&join(&mp, "targetCapacity"), "expected 1 to 100");
                        }
                        ms.target_capacity = x.max(1) as u32;
                    }
                    if let Some(x) = r.opt_uint(m, &mp, "minimumScalingStepSize", 10_000) {
                        ms.min_step = x.max(1) as u32;
                    }
                    if let Some(x) = r.opt_uint(m, &mp, "maximumScalingStepSize", 10_000) {
                        ms.max_step = x.max(1) as u32;
                    }
                    if ms.min_step > ms.max_step {
                        r.err(
                            &join(&mp, "maximumScalingStepSize"),
                            "must be at least minimumScalingStepSize",
                        );
                    }
                    if let Some(x) = r.opt_uint(m, &mp, "instanceWarmupPeriod", 10_000) {
                        ms.warmup = SimDuration::from_secs(x);
                    }
                    managed = Some(ms);
                }
            }
        }
        let termination_protection = enabled(r, t, &path, "managedTerminationProtection", false);
        if termination_protection && managed.is_none() {
            r.err(
                &join(&path, "managedTerminationProtection"),
                "managed termination protection needs managed scaling (C5)",
            );
        }
        // C4 (ecsim): how fast a managed scale-in goes.
        let mut pacing = ScaleInPacing::default();
        if let Some(x) = r.opt_uint(t, &path, "scaleInStepPercent", 100) {
            pacing.step_percent = x as u32;
        }
        if let Some(d) = r.opt_duration(t, &path, "scaleInTerminationLatency") {
            pacing.termination_latency = d;
        }
        if let Some(x) = r.opt_uint(t, &path, "scaleInTerminationsPerMinute", 100_000) {
            pacing.terminations_per_minute = x as u32;
        }
        if let Err(e) = pacing.validate() {
            r.err(&join(&path, e.field), e.message);
        }
        out.push(CapacityProviderSpec {
            name,
            group,
            managed_scaling: managed,
            termination_protection,
            managed_draining: enabled(r, t, &path, "managedDraining", true),
            pacing,
        });
    }
    out
}

/// A service's `autoScaling` (A1–A5). Returns the scaler and the scheduled actions.
pub(crate) fn service_scaling(
    r: &mut Reader,
    v: &Value,
    path: &str,
    desired: u32,
    start_epoch_s: i64,
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
        if let Some(d) = r.opt_duration(x, &p, "scaleOutCooldown") {
            tt.scale_out_cooldown = d;
        }
        if let Some(d) = r.opt_duration(x, &p, "scaleInCooldown") {
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
        ];
        let Some(x) = r.table(v, &p, &known, &[]) else {
            continue;
        };
        let Some(metric) = metric(r, x, &p) else {
            continue;
        };
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
        };
        if let Some(d) = r.opt_uint(x, &p, "datapoints", 1440) {
            policy.datapoints = d.max(1) as u32;
        }
        if let Some(m) = r.opt_uint(x, &p, "minAdjustmentMagnitude", 100_000) {
            policy.min_adjustment_magnitude = Some(m as u32);
        }
        if let Some(d) = r.opt_duration(x, &p, "cooldown") {
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
        let Some(x) = r.table(v, &p, &["schedule", "minCapacity", "maxCapacity"], &[]) else {
            continue;
        };
        let Some(text) = r.req_string(x, &p, "schedule") else {
            continue;
        };
        let schedule = match Schedule::parse(&text) {
            Ok(s) => s,
            Err(e) => {
                r.err(&join(&p, "schedule"), e.to_string());
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
