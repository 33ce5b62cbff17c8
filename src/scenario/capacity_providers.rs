//! `[[capacityProviders]]` (C1–C5): Auto Scaling group capacity providers
//! with managed scaling, managed termination protection and managed
//! draining. Read here; acts in engine/providers.rs (managed scaling of the
//! groups) and engine/instances.rs (protection, draining).

use toml::Table;

use super::reader::{index, join, Reader};
use crate::engine::CapacityProviderSpec;
use crate::scaling::{ManagedScaling, ScaleInPacing};
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
        if out.iter().any(|c| c.group.index() == group) {
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
            group: crate::model::InstanceGroupId(group as u32),
            managed_scaling: managed,
            termination_protection,
            managed_draining: enabled(r, t, &path, "managedDraining", true),
            pacing,
        });
    }
    out
}
