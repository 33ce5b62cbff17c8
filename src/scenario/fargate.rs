//! `[fargate]` (F2, F3: start latency, zones, FARGATE_SPOT interruptions),
//! and the checks a task definition must pass to run on Fargate (valid
//! size, awsvpc, platform, stop timeout; F1). Read here; acts in
//! engine/fargate.rs. Strategies are read in capacity_strategy.rs, prices
//! in pricing.rs.

use toml::Table;

use super::reader::{join, Reader};
use super::taskdef::FargateFields;
use crate::engine::{Capacity, FargateSpec, FargateTask, TaskDefSpec};
use crate::market::{hazard_per_hour, FargatePlatform, FargateSizes};
use crate::model::{NetworkMode, TaskDefId};
use crate::placement::provider_strategy::StrategyItem;

/// `[fargate]`.
pub(crate) fn section(r: &mut Reader, root: &Table, azs: &[String]) -> FargateSpec {
    let mut spec = FargateSpec {
        availability_zones: azs.to_vec(),
        ..FargateSpec::default()
    };
    let Some(v) = root.get("fargate") else {
        return spec;
    };
    let known = [
        "startLatency",
        "launchBurst",
        "launchesPerSecond",
        "spotMonthlyInterruptionRate",
        "spotCapacityAvailability",
    ];
    let Some(t) = r.table(v, "fargate", &known, &[]) else {
        return spec;
    };
    if let Some(v) = t.get("startLatency") {
        if let Some(d) = super::values::dist(r, v, "fargate.startLatency") {
            spec.start_latency = d;
        }
    }
    if let Some(b) = r.opt_uint(t, "fargate", "launchBurst", 100_000) {
        if b == 0 {
            r.err("fargate.launchBurst", "expected at least 1");
        }
        spec.burst = b.max(1) as u32;
    }
    if let Some(x) = r.opt_number(t, "fargate", "launchesPerSecond") {
        if x <= 0.0 {
            r.err("fargate.launchesPerSecond", "expected a rate above zero");
        } else {
            spec.launches_per_s = x;
        }
    }
    if let Some(f) = r.opt_number(t, "fargate", "spotMonthlyInterruptionRate") {
        if !(0.0..1.0).contains(&f) {
            r.err(
                "fargate.spotMonthlyInterruptionRate",
                "expected the fraction of task-months interrupted, from 0 to below 1",
            );
        } else {
            spec.spot_hazard_per_hour = hazard_per_hour(f);
        }
    }
    if let Some(p) = r.opt_number(t, "fargate", "spotCapacityAvailability") {
        if !(0.0..=1.0).contains(&p) {
            r.err(
                "fargate.spotCapacityAvailability",
                "expected the probability that a Fargate Spot launch finds capacity, 0 to 1",
            );
        } else {
            spec.spot_capacity = p;
        }
    }
    spec
}

/// Checks every task definition a Fargate service or job runs and records
/// its Fargate size (F1). `users` are (definition, capacity, field path of
/// the user); `fields` are the definitions' Fargate fields, `paths` their
/// scenario paths.
pub(crate) fn resolve_tasks(
    r: &mut Reader,
    tds: &mut [TaskDefSpec],
    fields: &[FargateFields],
    paths: &[String],
    users: &[(TaskDefId, Capacity, String)],
) {
    let sizes = FargateSizes::builtin();
    for (td, capacity, user) in users {
        let Capacity::Fargate(items) = capacity else {
            continue;
        };
        let k = td.index();
        if tds[k].fargate.is_some() {
            // Checked already; the spot restriction depends on the user.
            check_spot(r, &tds[k], items, user);
            continue;
        }
        let (def, f, path) = (&tds[k].def, &fields[k], &paths[k]);
        let family = &def.family;
        let mut ok = true;
        if def.network_mode != NetworkMode::Awsvpc {
            r.err(
                &join(path, "networkMode"),
                format!("{family} runs on Fargate ({user}), which requires networkMode \"awsvpc\""),
            );
            ok = false;
        }
        let platform = match FargatePlatform::from_runtime_platform(
            f.os_family.as_deref(),
            f.cpu_architecture.as_deref(),
        ) {
            Ok(p) => p,
            Err(e) => {
                r.err(&join(path, "runtimePlatform"), e);
                continue;
            }
        };
        let (Some(cpu), Some(memory)) = (def.cpu, def.memory) else {
            r.err(
                path,
                format!(
                    "{family} runs on Fargate ({user}), which needs task-level `cpu` and `memory`"
                ),
            );
            continue;
        };
        if let Err(e) = sizes.check(cpu, memory, platform) {
            r.err(&join(path, "memory"), format!("{family} on Fargate: {e}"));
            ok = false;
        }
        if let Some(s) = f.max_stop_timeout_s.filter(|&s| s > 120) {
            r.err(
                &join(path, "containerDefinitions"),
                format!("stopTimeout {s} s: Fargate allows at most 120 s"),
            );
            ok = false;
        }
        if ok {
            tds[k].fargate = Some(FargateTask {
                cpu,
                memory,
                platform,
                ephemeral_gb: f.ephemeral_gb.unwrap_or(20.0),
            });
            check_spot(r, &tds[k], items, user);
        }
    }
}

fn check_spot(r: &mut Reader, td: &TaskDefSpec, items: &[StrategyItem], user: &str) {
    let Some(f) = td.fargate else { return };
    if items.iter().any(|i| i.provider == "FARGATE_SPOT") && !f.platform.supports_spot() {
        r.err(
            user,
            format!(
                "FARGATE_SPOT runs Linux tasks only (x86_64 or ARM64, F3); {} is {}",
                td.def.family,
                f.platform.as_str()
            ),
        );
    }
}
