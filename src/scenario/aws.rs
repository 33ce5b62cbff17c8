//! AWS's own JSON shapes where ecsim has a section for the same thing:
//! Application Auto Scaling's `register-scalable-target`,
//! `put-scaling-policy` and `put-scheduled-action` inputs (PascalCase; a
//! `Timezone`, `rate()`, `#`, `L` and `W` as AWS allows them), in a
//! service's `autoScaling` as files or inline tables. Each is translated to
//! ecsim's keys before the usual reading, so every check and error of
//! scaling.rs applies; AWS fields ecsim does not model are recorded as
//! ignored.

use std::path::Path;

use toml::{Table, Value};

use super::reader::{index, join, json_to_toml, Reader};

/// A table, or a JSON file (a string, relative to the scenario) read as one;
/// with `file =` in a table, the file's keys under the table's.
fn table_or_file(r: &mut Reader, v: &Value, path: &str, dir: &Path) -> Option<(Table, String)> {
    let (name, extra, fpath) = match v {
        Value::String(s) => (Some(s.clone()), Table::new(), path.to_string()),
        Value::Table(t) => match t.get("file") {
            Some(f) => {
                let fp = join(path, "file");
                (Some(r.string(f, &fp)?), t.clone(), fp)
            }
            None => (None, t.clone(), path.to_string()),
        },
        other => {
            r.err(
                path,
                format!(
                    "expected a JSON file name or a table, found {}",
                    super::reader::type_name(other)
                ),
            );
            return None;
        }
    };
    let Some(name) = name else {
        return Some((extra, String::new()));
    };
    let full = dir.join(&name);
    let text = match super::limits::read_text(&full, super::limits::MAX_TEXT_FILE_BYTES) {
        Ok(t) => t,
        Err(e) => {
            r.err(&fpath, e);
            return None;
        }
    };
    let json: serde_json::Value = match serde_json::from_str(&text) {
        Ok(j) => j,
        Err(e) => {
            r.err(&fpath, format!("{name}: invalid JSON: {e}"));
            return None;
        }
    };
    let Some(Value::Table(mut t)) = json_to_toml(&json) else {
        r.err(&fpath, format!("{name}: expected a JSON object"));
        return None;
    };
    for (k, x) in extra {
        if k != "file" {
            t.insert(k, x);
        }
    }
    Some((t, format!("{name}: ")))
}

/// Moves `from` (AWS) to `to` (ecsim) in `out`, if present.
fn take(src: &mut Table, from: &str, out: &mut Table, to: &str) {
    if let Some(v) = src.remove(from) {
        out.insert(to.into(), v);
    }
}

/// Records what is left of an AWS table: the `ignore` keys as ignored,
/// anything else as an unknown field.
fn rest(r: &mut Reader, left: Table, path: &str, shown: &str, ignore: &[&str], known: &[&str]) {
    for k in left.keys() {
        if ignore.contains(&k.as_str()) {
            r.ignore(&format!("{shown}{}", join(path, k)));
        } else {
            let hint = match crate::text::closest(k, known.iter().copied()) {
                Some(c) => format!("; did you mean `{c}`?"),
                None => format!("; expected one of: {}", known.join(", ")),
            };
            r.err(&join(path, k), format!("{shown}unknown field{hint}"));
        }
    }
}

const IDENTITY: &[&str] = &[
    "ServiceNamespace",
    "ResourceId",
    "ScalableDimension",
    "RoleARN",
    "PolicyName",
    "PolicyARN",
    "Alarms",
    "CreationTime",
    "ScheduledActionName",
    "ScheduledActionARN",
    "Tags",
    "SuspendedState",
    "ScalableTargetARN",
];

/// A service's `autoScaling` with `scalableTarget`, `policies` and
/// `scheduledActions` (AWS shapes) translated into `minCapacity`,
/// `maxCapacity`, `targetTracking`, `stepScaling` and `scheduled`.
pub(crate) fn auto_scaling(r: &mut Reader, v: &Value, path: &str, dir: &Path) -> Value {
    let Some(t) = v.as_table() else {
        return v.clone();
    };
    if !["scalableTarget", "policies", "scheduledActions"]
        .iter()
        .any(|k| t.contains_key(*k))
    {
        return v.clone();
    }
    let mut out = t.clone();
    out.remove("scalableTarget");
    out.remove("policies");
    out.remove("scheduledActions");
    if let Some(tv) = t.get("scalableTarget") {
        let p = join(path, "scalableTarget");
        if let Some((mut st, shown)) = table_or_file(r, tv, &p, dir) {
            for (aws, ours) in [
                ("MinCapacity", "minCapacity"),
                ("MaxCapacity", "maxCapacity"),
            ] {
                match (st.remove(aws), out.contains_key(ours)) {
                    (Some(x), false) => {
                        out.insert(ours.into(), x);
                    }
                    (Some(_), true) => r.err(
                        &join(&p, aws),
                        format!("{ours} is also given beside scalableTarget; give it once"),
                    ),
                    (None, _) => {}
                }
            }
            rest(r, st, &p, &shown, IDENTITY, &["MinCapacity", "MaxCapacity"]);
        }
    }
    let mut tracking: Vec<Value> = list(&out, "targetTracking");
    let mut steps: Vec<Value> = list(&out, "stepScaling");
    let pp = join(path, "policies");
    let policies = t.get("policies").and_then(Value::as_array).cloned();
    if t.get("policies").is_some() && policies.is_none() {
        r.err(
            &pp,
            "expected a list of put-scaling-policy JSON files or tables",
        );
    }
    for (i, pv) in policies.unwrap_or_default().iter().enumerate() {
        let p = index(&pp, i);
        let Some((mut pol, shown)) = table_or_file(r, pv, &p, dir) else {
            continue;
        };
        let kind = pol
            .remove("PolicyType")
            .and_then(|k| k.as_str().map(str::to_string))
            .unwrap_or_else(|| "TargetTrackingScaling".into());
        match kind.as_str() {
            "TargetTrackingScaling" => {
                let cp = join(&p, "TargetTrackingScalingPolicyConfiguration");
                let mut c = match pol.remove("TargetTrackingScalingPolicyConfiguration") {
                    Some(Value::Table(c)) => c,
                    _ => {
                        r.err(
                            &cp,
                            format!("{shown}missing TargetTrackingScalingPolicyConfiguration"),
                        );
                        continue;
                    }
                };
                let mut e = Table::new();
                if let Some(Value::Table(mut m)) = c.remove("PredefinedMetricSpecification") {
                    take(&mut m, "PredefinedMetricType", &mut e, "metric");
                    rest(
                        r,
                        m,
                        &join(&cp, "PredefinedMetricSpecification"),
                        &shown,
                        &["ResourceLabel"],
                        &["PredefinedMetricType"],
                    );
                }
                take(&mut c, "TargetValue", &mut e, "targetValue");
                take(&mut c, "ScaleOutCooldown", &mut e, "scaleOutCooldown");
                take(&mut c, "ScaleInCooldown", &mut e, "scaleInCooldown");
                take(&mut c, "DisableScaleIn", &mut e, "disableScaleIn");
                rest(
                    r,
                    c,
                    &cp,
                    &shown,
                    &[],
                    &[
                        "PredefinedMetricSpecification",
                        "TargetValue",
                        "ScaleOutCooldown",
                        "ScaleInCooldown",
                        "DisableScaleIn",
                    ],
                );
                // ecsim's own refinement, allowed beside the AWS fields.
                take(&mut pol, "scaleInFactor", &mut e, "scaleInFactor");
                rest(
                    r,
                    pol,
                    &p,
                    &shown,
                    IDENTITY,
                    &[
                        "PolicyType",
                        "TargetTrackingScalingPolicyConfiguration",
                        "scaleInFactor",
                    ],
                );
                tracking.push(Value::Table(e));
            }
            "StepScaling" => {
                let cp = join(&p, "StepScalingPolicyConfiguration");
                let mut c = match pol.remove("StepScalingPolicyConfiguration") {
                    Some(Value::Table(c)) => c,
                    _ => {
                        r.err(
                            &cp,
                            format!("{shown}missing StepScalingPolicyConfiguration"),
                        );
                        continue;
                    }
                };
                let mut e = Table::new();
                // The alarm's side, which put-scaling-policy does not carry.
                for k in [
                    "metric",
                    "threshold",
                    "comparison",
                    "datapoints",
                    "metricTrace",
                ] {
                    take(&mut pol, k, &mut e, k);
                }
                take(&mut c, "AdjustmentType", &mut e, "adjustmentType");
                take(
                    &mut c,
                    "MinAdjustmentMagnitude",
                    &mut e,
                    "minAdjustmentMagnitude",
                );
                take(&mut c, "Cooldown", &mut e, "cooldown");
                let mut adj = Vec::new();
                let sp = join(&cp, "StepAdjustments");
                if let Some(Value::Array(a)) = c.remove("StepAdjustments") {
                    for (k, sv) in a.into_iter().enumerate() {
                        let Value::Table(mut st) = sv else {
                            r.err(&index(&sp, k), "expected a table");
                            continue;
                        };
                        let mut o = Table::new();
                        take(&mut st, "MetricIntervalLowerBound", &mut o, "lower");
                        take(&mut st, "MetricIntervalUpperBound", &mut o, "upper");
                        take(&mut st, "ScalingAdjustment", &mut o, "adjustment");
                        rest(
                            r,
                            st,
                            &index(&sp, k),
                            &shown,
                            &[],
                            &[
                                "MetricIntervalLowerBound",
                                "MetricIntervalUpperBound",
                                "ScalingAdjustment",
                            ],
                        );
                        adj.push(Value::Table(o));
                    }
                }
                e.insert("steps".into(), Value::Array(adj));
                rest(
                    r,
                    c,
                    &cp,
                    &shown,
                    &["MetricAggregationType"],
                    &[
                        "AdjustmentType",
                        "StepAdjustments",
                        "MinAdjustmentMagnitude",
                        "Cooldown",
                    ],
                );
                rest(
                    r,
                    pol,
                    &p,
                    &shown,
                    IDENTITY,
                    &[
                        "PolicyType",
                        "StepScalingPolicyConfiguration",
                        "metric",
                        "threshold",
                        "comparison",
                        "datapoints",
                        "metricTrace",
                    ],
                );
                steps.push(Value::Table(e));
            }
            other => r.err(
                &join(&p, "PolicyType"),
                format!("{shown}expected TargetTrackingScaling or StepScaling, found \"{other}\""),
            ),
        }
    }
    let mut scheduled: Vec<Value> = list(&out, "scheduled");
    let ap = join(path, "scheduledActions");
    let actions = t.get("scheduledActions").and_then(Value::as_array).cloned();
    if t.get("scheduledActions").is_some() && actions.is_none() {
        r.err(
            &ap,
            "expected a list of put-scheduled-action JSON files or tables",
        );
    }
    for (i, av) in actions.unwrap_or_default().iter().enumerate() {
        let p = index(&ap, i);
        let Some((mut a, shown)) = table_or_file(r, av, &p, dir) else {
            continue;
        };
        let mut e = Table::new();
        take(&mut a, "Schedule", &mut e, "schedule");
        if let Some(Value::Table(mut sa)) = a.remove("ScalableTargetAction") {
            take(&mut sa, "MinCapacity", &mut e, "minCapacity");
            take(&mut sa, "MaxCapacity", &mut e, "maxCapacity");
            rest(
                r,
                sa,
                &join(&p, "ScalableTargetAction"),
                &shown,
                &[],
                &["MinCapacity", "MaxCapacity"],
            );
        }
        take(&mut a, "Timezone", &mut e, "timezone");
        rest(
            r,
            a,
            &p,
            &shown,
            &[IDENTITY, &["StartTime", "EndTime"]].concat(),
            &["Schedule", "ScalableTargetAction", "Timezone"],
        );
        scheduled.push(Value::Table(e));
    }
    for (k, l) in [
        ("targetTracking", tracking),
        ("stepScaling", steps),
        ("scheduled", scheduled),
    ] {
        if !l.is_empty() {
            out.insert(k.into(), Value::Array(l));
        }
    }
    Value::Table(out)
}

fn list(t: &Table, key: &str) -> Vec<Value> {
    t.get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Whether an entry is in AWS's shape: read from a `file`, or with
/// PascalCase keys (Auto Scaling) or the `autoScalingGroupProvider` nesting
/// (ECS `create-capacity-provider`).
fn is_aws(v: &Value) -> bool {
    v.as_table().is_some_and(|t| {
        t.keys().any(|k| {
            k == "file"
                || k == "autoScalingGroupProvider"
                || k.starts_with(|c: char| c.is_ascii_uppercase())
        })
    })
}

/// `[[instanceGroups]]` and `[[capacityProviders]]` entries in AWS's shapes
/// (`create-auto-scaling-group` and `create-capacity-provider` inputs, as
/// files or inline) rewritten in ecsim's, before anything reads them (so
/// names in files are known to strategies and overrides).
pub(crate) fn translate_root(r: &mut Reader, root: &mut Table, dir: &Path) {
    for (key, f) in [
        (
            "instanceGroups",
            asg as fn(&mut Reader, &Value, &str, &Path) -> Option<Value>,
        ),
        ("capacityProviders", capacity_provider),
    ] {
        if let Some(Value::Array(a)) = root.get_mut(key) {
            for (i, v) in a.iter_mut().enumerate() {
                if is_aws(v) {
                    if let Some(t) = f(r, v, &index(key, i), dir) {
                        *v = t;
                    }
                }
            }
        }
    }
}

/// Auto Scaling fields of `create-auto-scaling-group` ecsim does not model.
const ASG_IGNORED: &[&str] = &[
    "LaunchTemplate",
    "LaunchConfigurationName",
    "InstanceId",
    "DefaultCooldown",
    "HealthCheckType",
    "HealthCheckGracePeriod",
    "VPCZoneIdentifier",
    "LoadBalancerNames",
    "TargetGroupARNs",
    "TrafficSources",
    "Tags",
    "TerminationPolicies",
    "NewInstancesProtectedFromScaleIn",
    "ServiceLinkedRoleARN",
    "MaxInstanceLifetime",
    "DefaultInstanceWarmup",
    "LifecycleHookSpecificationList",
    "Context",
    "DesiredCapacityType",
    "PlacementGroup",
    "CapacityReservationSpecification",
    "InstanceMaintenancePolicy",
    "AvailabilityZoneDistribution",
    "AvailabilityZoneImpairmentPolicy",
    "SkipZonalShiftValidation",
];

/// An Auto Scaling group from `create-auto-scaling-group` input: name,
/// sizes, zones, `MixedInstancesPolicy` (override types and instances
/// distribution), `CapacityRebalance`. A group without overrides names its
/// types with ecsim's `instanceTypes` beside the file (a launch template's
/// type is not in the input).
fn asg(r: &mut Reader, v: &Value, path: &str, dir: &Path) -> Option<Value> {
    let (mut a, shown) = table_or_file(r, v, path, dir)?;
    let mut out = Table::new();
    // ecsim's own keys (written beside `file`) pass through.
    let own: Vec<String> = a
        .keys()
        .filter(|k| !k.starts_with(|c: char| c.is_ascii_uppercase()))
        .cloned()
        .collect();
    for k in own {
        take(&mut a, &k, &mut out, &k);
    }
    for (aws, ours) in [
        ("AutoScalingGroupName", "name"),
        ("MinSize", "minSize"),
        ("MaxSize", "maxSize"),
        ("DesiredCapacity", "count"),
        ("AvailabilityZones", "availabilityZones"),
        ("CapacityRebalance", "capacityRebalance"),
    ] {
        take(&mut a, aws, &mut out, ours);
    }
    if let Some(mip) = a.remove("MixedInstancesPolicy") {
        let mp = join(path, "MixedInstancesPolicy");
        let Value::Table(mut m) = mip else {
            r.err(&mp, "expected a table");
            return None;
        };
        if let Some(Value::Table(mut lt)) = m.remove("LaunchTemplate") {
            let lp = join(&mp, "LaunchTemplate");
            let mut types = Vec::new();
            if let Some(Value::Array(os)) = lt.remove("Overrides") {
                for (k, o) in os.into_iter().enumerate() {
                    let op = index(&join(&lp, "Overrides"), k);
                    let Value::Table(mut o) = o else {
                        r.err(&op, "expected a table");
                        continue;
                    };
                    match o.remove("InstanceType") {
                        Some(t) => types.push(t),
                        None => r.err(
                            &op,
                            format!("{shown}ecsim needs an InstanceType in each override (InstanceRequirements are not modelled)"),
                        ),
                    }
                    rest(
                        r,
                        o,
                        &op,
                        &shown,
                        &[
                            "WeightedCapacity",
                            "LaunchTemplateSpecification",
                            "InstanceRequirements",
                        ],
                        &["InstanceType"],
                    );
                }
            }
            if !types.is_empty() && !out.contains_key("instanceTypes") {
                out.insert("instanceTypes".into(), Value::Array(types));
            }
            rest(
                r,
                lt,
                &lp,
                &shown,
                &["LaunchTemplateSpecification"],
                &["Overrides"],
            );
        }
        if let Some(Value::Table(mut d)) = m.remove("InstancesDistribution") {
            let mut o = Table::new();
            for (aws, ours) in [
                ("OnDemandAllocationStrategy", "onDemandAllocationStrategy"),
                ("OnDemandBaseCapacity", "onDemandBaseCapacity"),
                (
                    "OnDemandPercentageAboveBaseCapacity",
                    "onDemandPercentageAboveBaseCapacity",
                ),
                ("SpotAllocationStrategy", "spotAllocationStrategy"),
                ("SpotInstancePools", "spotInstancePools"),
                ("SpotMaxPrice", "spotMaxPrice"),
            ] {
                take(&mut d, aws, &mut o, ours);
            }
            rest(
                r,
                d,
                &join(&mp, "InstancesDistribution"),
                &shown,
                &[],
                &[
                    "OnDemandAllocationStrategy",
                    "OnDemandBaseCapacity",
                    "OnDemandPercentageAboveBaseCapacity",
                    "SpotAllocationStrategy",
                    "SpotInstancePools",
                    "SpotMaxPrice",
                ],
            );
            out.insert("instancesDistribution".into(), Value::Table(o));
        }
        rest(
            r,
            m,
            &mp,
            &shown,
            &[],
            &["LaunchTemplate", "InstancesDistribution"],
        );
    }
    rest(
        r,
        a,
        path,
        &shown,
        ASG_IGNORED,
        &[
            "AutoScalingGroupName",
            "MinSize",
            "MaxSize",
            "DesiredCapacity",
            "AvailabilityZones",
            "CapacityRebalance",
            "MixedInstancesPolicy",
        ],
    );
    Some(Value::Table(out))
}

/// A capacity provider from `create-capacity-provider` input: `name`, and
/// `autoScalingGroupProvider` (the group by ARN or name, managed scaling,
/// termination protection, draining) flattened to ecsim's keys.
fn capacity_provider(r: &mut Reader, v: &Value, path: &str, dir: &Path) -> Option<Value> {
    let (mut c, shown) = table_or_file(r, v, path, dir)?;
    let mut out = Table::new();
    if let Some(p) = c.remove("autoScalingGroupProvider") {
        let pp = join(path, "autoScalingGroupProvider");
        let Value::Table(mut p) = p else {
            r.err(&pp, "expected a table");
            return None;
        };
        if let Some(arn) = p.remove("autoScalingGroupArn") {
            let group = match &arn {
                Value::String(s) => s
                    .rsplit_once("autoScalingGroupName/")
                    .map_or(s.as_str(), |x| x.1)
                    .to_string(),
                _ => {
                    r.err(&join(&pp, "autoScalingGroupArn"), "expected a string");
                    return None;
                }
            };
            out.insert("instanceGroup".into(), Value::String(group));
        }
        for k in [
            "managedScaling",
            "managedTerminationProtection",
            "managedDraining",
        ] {
            take(&mut p, k, &mut out, k);
        }
        rest(
            r,
            p,
            &pp,
            &shown,
            &[],
            &[
                "autoScalingGroupArn",
                "managedScaling",
                "managedTerminationProtection",
                "managedDraining",
            ],
        );
    }
    if c.remove("tags").is_some() {
        r.ignore(&format!("{shown}{}", join(path, "tags")));
    }
    // Everything else (name, ecsim's own keys) passes through and is read
    // as usual.
    for (k, x) in c {
        out.insert(k, x);
    }
    Some(Value::Table(out))
}
