//! Fargate and prices in scenario files: `launchType` and
//! `capacityProviderStrategy` of services and jobs (C6, F1), the cluster's
//! default strategy, the `[fargate]` section (F2, F3), the `[pricing]`
//! section (B1–B4), and the checks a task definition must pass to run on
//! Fargate (valid size, awsvpc, platform, stop timeout).

use toml::{Table, Value};

use super::reader::{index, join, Reader};
use super::taskdef::FargateFields;
use crate::cost::{Commitment, PriceBook};
use crate::engine::{Capacity, FargateSpec, FargateTask, PricingSpec, TaskDefSpec};
use crate::market::{hazard_per_hour, FargatePlatform, FargateSizes};
use crate::model::{NetworkMode, TaskDefId};
use crate::placement::provider_strategy::{validate, StrategyItem};

const FARGATE_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

/// Reads a `capacityProviderStrategy` list: FARGATE/FARGATE_SPOT, or the
/// Auto Scaling group providers named in `asg` (`[[capacityProviders]]`).
pub(crate) fn strategy(r: &mut Reader, v: &Value, path: &str, asg: &[String]) -> Option<Capacity> {
    let Some(list) = v.as_array() else {
        r.err(
            path,
            "expected a list of { capacityProvider, base, weight }",
        );
        return None;
    };
    let mut items = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let p = index(path, i);
        let Some(t) = r.table(item, &p, &["capacityProvider", "base", "weight"], &[]) else {
            continue;
        };
        let Some(provider) = r.req_string(t, &p, "capacityProvider") else {
            continue;
        };
        let base = r.opt_uint(t, &p, "base", 100_000).unwrap_or(0) as u32;
        let weight = r.opt_uint(t, &p, "weight", 1000).unwrap_or(0) as u32;
        items.push(StrategyItem {
            provider,
            base,
            weight,
        });
    }
    if items.is_empty() {
        r.err(path, "expected at least one capacity provider");
        return None;
    }
    let fargate = items
        .iter()
        .filter(|i| FARGATE_PROVIDERS.contains(&i.provider.as_str()))
        .count();
    let unknown: Vec<&str> = items
        .iter()
        .map(|i| i.provider.as_str())
        .filter(|n| !FARGATE_PROVIDERS.contains(n) && !asg.iter().any(|a| a == n))
        .collect();
    if !unknown.is_empty() {
        let mut known: Vec<&str> = FARGATE_PROVIDERS.to_vec();
        known.extend(asg.iter().map(String::as_str));
        r.err(
            path,
            format!(
                "unknown capacity provider {}; the cluster has {} (Auto Scaling group providers are declared under [[capacityProviders]])",
                unknown.join(", "),
                known.join(", ")
            ),
        );
        return None;
    }
    if fargate > 0 && fargate < items.len() {
        r.err(
            path,
            "a capacity provider strategy cannot mix FARGATE/FARGATE_SPOT with Auto Scaling group providers",
        );
        return None;
    }
    if let Err(e) = validate(&items) {
        r.err(path, e);
        return None;
    }
    Some(if fargate > 0 {
        Capacity::Fargate(items)
    } else {
        Capacity::Asg(items)
    })
}

/// A service's or job's launch type or capacity provider strategy; `default`
/// is the cluster's default strategy.
pub(crate) fn capacity(
    r: &mut Reader,
    t: &Table,
    path: &str,
    default: &Option<Capacity>,
    asg: &[String],
) -> Capacity {
    let launch = t
        .get("launchType")
        .and_then(|v| r.choice(v, &join(path, "launchType"), &["EC2", "FARGATE"]));
    let strat = t
        .get("capacityProviderStrategy")
        .and_then(|v| strategy(r, v, &join(path, "capacityProviderStrategy"), asg));
    match (launch.as_deref(), strat) {
        (Some(_), Some(_)) => {
            r.err(
                &join(path, "capacityProviderStrategy"),
                "give either launchType or capacityProviderStrategy, not both",
            );
            Capacity::Ec2
        }
        (Some("FARGATE"), None) => Capacity::Fargate(vec![StrategyItem {
            provider: "FARGATE".into(),
            base: 0,
            weight: 1,
        }]),
        (Some(_), None) => Capacity::Ec2,
        (None, Some(c)) => c,
        (None, None) => default.clone().unwrap_or(Capacity::Ec2),
    }
}

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

/// `[pricing]`: overrides of the built-in price book.
pub(crate) fn pricing(r: &mut Reader, root: &Table, region: &str) -> Option<PricingSpec> {
    let mut book = match PriceBook::builtin(region) {
        Ok(b) => b,
        Err(e) => {
            r.err("cluster.region", e.to_string());
            return None;
        }
    };
    let mut ebs_root_gb = 0.0;
    let mut commitment = None;
    let mut overrides: Vec<(FargatePlatform, &str, f64)> = Vec::new();
    if let Some(v) = root.get("pricing") {
        let known = [
            "fargateSpotDiscountPercent",
            "ebsRootVolumeGb",
            "ebsUsdPerGbMonth",
            "fargate",
            "commitment",
        ];
        let t = r.table(v, "pricing", &known, &[])?;
        if let Some(d) = r.opt_number(t, "pricing", "fargateSpotDiscountPercent") {
            if !(0.0..100.0).contains(&d) {
                r.err(
                    "pricing.fargateSpotDiscountPercent",
                    "expected 0 to below 100",
                );
            } else {
                book.fargate_spot_discount_pct = d;
            }
        }
        if let Some(g) = r.opt_number(t, "pricing", "ebsRootVolumeGb") {
            ebs_root_gb = g.max(0.0);
        }
        if let Some(p) = r.opt_number(t, "pricing", "ebsUsdPerGbMonth") {
            book.ebs_usd_per_gb_month = p.max(0.0);
        }
        if let Some(v) = t.get("fargate") {
            let platforms = ["linux_x86", "linux_arm64", "windows_x86"];
            if let Some(ft) = r.table(v, "pricing.fargate", &platforms, &[]) {
                for name in platforms {
                    let Some(v) = ft.get(name) else { continue };
                    let pp = join("pricing.fargate", name);
                    let fields = ["vcpuHour", "gbHour", "osLicenseVcpuHour", "storageGbHour"];
                    let Some(pt) = r.table(v, &pp, &fields, &[]) else {
                        continue;
                    };
                    let Ok(platform) = FargatePlatform::parse(name) else {
                        continue;
                    };
                    for f in fields {
                        if let Some(x) = r.opt_number(pt, &pp, f) {
                            if x < 0.0 {
                                r.err(&join(&pp, f), "expected a price of zero or more");
                            } else {
                                overrides.push((platform, f, x));
                            }
                        }
                    }
                }
            }
        }
        if let Some(v) = t.get("commitment") {
            let cp = "pricing.commitment";
            if let Some(c) = r.table(v, cp, &["usdPerHour", "discountPercent"], &[]) {
                let usd = r
                    .required(c, cp, "usdPerHour")
                    .and_then(|v| r.number(v, &join(cp, "usdPerHour")));
                let pct = r
                    .required(c, cp, "discountPercent")
                    .and_then(|v| r.number(v, &join(cp, "discountPercent")));
                if pct.is_some_and(|p| !(0.0..100.0).contains(&p)) {
                    r.err(&join(cp, "discountPercent"), "expected 0 to below 100");
                }
                if let (Some(usd), Some(pct)) = (usd, pct) {
                    commitment = Some(Commitment {
                        committed_usd_per_hour: usd.max(0.0),
                        discount_pct: pct,
                    });
                }
            }
        }
    }
    let mut fargate = Vec::new();
    for platform in [
        FargatePlatform::LinuxX86,
        FargatePlatform::LinuxArm64,
        FargatePlatform::Windows,
    ] {
        for spot in [false, true] {
            let Ok(mut rates) = book.fargate_rates(platform, spot) else {
                continue;
            };
            let factor = if spot {
                1.0 - book.fargate_spot_discount_pct / 100.0
            } else {
                1.0
            };
            for (p, field, x) in &overrides {
                if *p != platform {
                    continue;
                }
                match *field {
                    "vcpuHour" => rates.vcpu_hour = x * factor,
                    "gbHour" => rates.gb_hour = x * factor,
                    "osLicenseVcpuHour" => rates.os_license_vcpu_hour = x * factor,
                    _ => rates.storage_gb_hour = *x,
                }
            }
            fargate.push((platform, spot, rates));
        }
    }
    Some(PricingSpec {
        fargate,
        free_ephemeral_gb: book.free_ephemeral_gb,
        ebs_root_gb,
        ebs_usd_per_gb_month: book.ebs_usd_per_gb_month,
        commitment,
    })
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
                "FARGATE_SPOT runs Linux x86 tasks only (F3); {} is {}",
                td.def.family,
                f.platform.as_str()
            ),
        );
    }
}
