//! `[pricing]` (B1–B4): overrides of the built-in price book of the
//! cluster's region — Fargate rates — and commitments: the flat what-if
//! `commitment`, or Reserved Instances and Savings Plans (read by
//! commitments.rs). Read here; acts in cost/ (the bill).

use std::path::Path;

use toml::Table;

use super::groups::Group;
use super::reader::{index, join, Reader};
use crate::cost::{Commitment, FargateDimension, PriceBook, PriceError};
use crate::engine::{PricingSpec, TaskDefSpec};
use crate::market::regions::availability_zones;
use crate::market::FargatePlatform;
use crate::model::catalog::Catalog;

/// `[pricing]`: overrides of the built-in price book of `region`.
pub(crate) fn pricing(
    r: &mut Reader,
    root: &Table,
    dir: &Path,
    region: &str,
    catalog: &Catalog,
    groups: &[Group],
    task_definitions: &[TaskDefSpec],
) -> Option<PricingSpec> {
    let mut book = match PriceBook::builtin(region) {
        Ok(b) => b,
        // A region with EC2 prices but no Fargate rows: EC2 runs bill as
        // usual; a Fargate task needs its rates from the scenario (checked
        // below).
        Err(PriceError::UnknownRegion { .. }) if availability_zones(region).is_some() => {
            PriceBook::empty(region)
        }
        Err(e) => {
            r.err("cluster.region", e.to_string());
            return None;
        }
    };
    let mut ebs_root_gb = 0.0;
    let mut commitment = None;
    let mut commitments = None;
    let mut overrides: Vec<(FargatePlatform, &str, f64)> = Vec::new();
    if let Some(v) = root.get("pricing") {
        let known = [
            "fargateSpotDiscountPercent",
            "ebsRootVolumeGb",
            "ebsUsdPerGbMonth",
            "fargate",
            "commitment",
            "reservedInstances",
            "savingsPlans",
            "savingsPlanRates",
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
        commitments = super::commitments::commitments(r, t, dir, region, catalog, groups);
        if commitment.is_some() && commitments.is_some() {
            r.err(
                "pricing.commitment",
                "the flat what-if commitment and reservedInstances / savingsPlans do not mix: use one or the other",
            );
        }
    }
    // A region without a published ephemeral storage rate (all but
    // us-east-1 and eu-west-1 in data/fargate_prices.csv) bills storage at
    // 0 unless the scenario gives one; a task that would pay for storage
    // must then name the rate.
    let storage_known = book
        .fargate_rate(
            FargatePlatform::LinuxX86,
            FargateDimension::EphemeralStorageGbHour,
        )
        .is_some()
        || overrides.iter().any(|(_, f, _)| *f == "storageGbHour");
    if !storage_known {
        for (i, td) in task_definitions.iter().enumerate() {
            if let Some(f) = &td.fargate {
                if f.ephemeral_gb > book.free_ephemeral_gb {
                    r.err(
                        &index("taskDefinitions", i),
                        format!(
                            "\"{}\" asks for {} GB of ephemeral storage on Fargate, above the free {} GB, but data/fargate_prices.csv has no storage rate for {region}: set pricing.fargate.{}.storageGbHour",
                            td.def.family, f.ephemeral_gb, book.free_ephemeral_gb, f.platform.as_str()
                        ),
                    );
                }
            }
        }
        if let Err(e) = book.set_fargate_rate(
            FargatePlatform::LinuxX86,
            FargateDimension::EphemeralStorageGbHour,
            0.0,
        ) {
            r.err("pricing", e.to_string());
        }
    }
    // A platform the region's data lacks (ARM or Windows outside a few
    // regions, any platform in a region without Fargate rows) takes the
    // scenario's rates as its on-demand rates.
    for (platform, field, x) in &overrides {
        if book.fargate_rates(*platform, false).is_ok() {
            continue;
        }
        let dimension = match *field {
            "vcpuHour" => FargateDimension::VcpuHour,
            "gbHour" => FargateDimension::MemoryGbHour,
            "osLicenseVcpuHour" => FargateDimension::OsLicenseVcpuHour,
            _ => FargateDimension::EphemeralStorageGbHour,
        };
        if let Err(e) = book.set_fargate_rate(*platform, dimension, *x) {
            r.err("pricing.fargate", e.to_string());
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
    // Every Fargate task must have rates: a missing one is an error, not a
    // free task.
    for (i, td) in task_definitions.iter().enumerate() {
        let Some(f) = &td.fargate else { continue };
        if !fargate.iter().any(|(p, spot, _)| *p == f.platform && !spot) {
            let e = book
                .fargate_rates(f.platform, false)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            r.err(
                &index("taskDefinitions", i),
                format!(
                    "\"{}\" runs on Fargate ({p}), but data/fargate_prices.csv has no {p} rates for {region} ({e}); set pricing.fargate.{p}.vcpuHour and gbHour (and osLicenseVcpuHour on Windows)",
                    td.def.family,
                    p = f.platform.as_str(),
                ),
            );
        }
    }
    Some(PricingSpec {
        fargate,
        free_ephemeral_gb: book.free_ephemeral_gb,
        ebs_root_gb,
        ebs_usd_per_gb_month: book.ebs_usd_per_gb_month,
        commitment,
        commitments,
    })
}
