//! `[[pricing.reservedInstances]]`, `[[pricing.savingsPlans]]` and
//! `pricing.savingsPlanRates` (B3): the commitments of a scenario, checked
//! against the cluster's region and instance types. Read here; acts in
//! cost/commitments.rs (hour by hour, on the run's on-demand usage).

use std::collections::BTreeMap;
use std::path::Path;

use toml::Table;

use super::csvfile::CsvFile;
use super::groups::Group;
use super::reader::{index, join, Reader};
use crate::cost::commitments::{
    family, metal_factor, normalization_factor, Commitments, PlanType, ReservedInstance,
    SavingsPlan, Term,
};
use crate::market::regions::{availability_zones, RegionalPrices, DEFAULT_REGION};
use crate::model::catalog::Catalog;

/// The payment options a rate file may name.
const PAYMENT_OPTIONS: [&str; 3] = ["all_upfront", "partial_upfront", "no_upfront"];

/// A row of the user's Savings Plan rate file:
/// (region, instance type, plan, term, payment option) → USD per hour.
type RateKey = (String, String, String, Term, String);

/// Reads the commitments of `[pricing]` (`t`), or `None` when there are none.
pub(crate) fn commitments(
    r: &mut Reader,
    t: &Table,
    dir: &Path,
    region: &str,
    catalog: &Catalog,
    groups: &[Group],
) -> Option<Commitments> {
    if !t.contains_key("reservedInstances") && !t.contains_key("savingsPlans") {
        if t.contains_key("savingsPlanRates") {
            r.err(
                "pricing.savingsPlanRates",
                "a rate file without [[pricing.savingsPlans]] has nothing to price",
            );
        }
        return None;
    }
    let mut c = Commitments {
        region: region.to_string(),
        ..Commitments::default()
    };
    // Factors of the bare-metal types the groups launch (RI size flexibility).
    for g in groups {
        for ty in &g.spec.instance_types {
            if normalization_factor(&ty.name).is_none() {
                if let Some(b) = catalog.get(&ty.name) {
                    c.factors.insert(ty.name.clone(), metal_factor(b.vcpu));
                }
            }
        }
    }
    let rates = rate_file(r, t, dir);
    for (i, v) in r.list(t, "pricing", "reservedInstances").iter().enumerate() {
        let path = index("pricing.reservedInstances", i);
        if let Some(ri) = reserved(r, v, &path, region, catalog) {
            c.reserved.push(ri);
        }
    }
    let mut plans = Vec::new();
    for (i, v) in r.list(t, "pricing", "savingsPlans").iter().enumerate() {
        let path = index("pricing.savingsPlans", i);
        if let Some(sp) = savings_plan(r, v, &path, region, &rates, groups) {
            plans.push(sp);
        }
    }
    // EC2 Instance plans before Compute plans (the order they apply in).
    plans.sort_by_key(|p| matches!(p.plan, PlanType::Compute));
    c.savings_plans = plans;
    let mut names: Vec<&str> = Vec::new();
    for n in c
        .reserved
        .iter()
        .map(|x| x.name.as_str())
        .chain(c.savings_plans.iter().map(|x| x.name.as_str()))
    {
        if names.contains(&n) {
            r.err(
                "pricing",
                format!("two commitments are named \"{n}\"; give each a distinct `name`"),
            );
        }
        names.push(n);
    }
    Some(c)
}

fn term(r: &mut Reader, t: &Table, path: &str) -> Option<Term> {
    let v = r.required(t, path, "term")?;
    let s = r.choice(v, &join(path, "term"), &["1yr", "3yr"])?;
    Term::parse(&s)
}

fn region_key(r: &mut Reader, t: &Table, path: &str, cluster: &str) -> Option<String> {
    let region = r
        .opt_string(t, path, "region")
        .unwrap_or_else(|| cluster.to_string());
    if availability_zones(&region).is_none() {
        r.err(
            &join(path, "region"),
            format!("unknown region \"{region}\""),
        );
        return None;
    }
    Some(region)
}

/// The on-demand price of `ty` in `region`: the catalogue's in us-east-1
/// (what the bill charges there), else the regional table's.
fn on_demand(region: &str, ty: &str, catalog: &Catalog) -> Option<f64> {
    if region == DEFAULT_REGION {
        if let Some(p) = catalog.get(ty).and_then(|t| t.ondemand_usd_per_hour) {
            return Some(p);
        }
    }
    RegionalPrices::builtin_on_demand(region, ty)
}

fn reserved(
    r: &mut Reader,
    v: &toml::Value,
    path: &str,
    cluster_region: &str,
    catalog: &Catalog,
) -> Option<ReservedInstance> {
    let known = [
        "name",
        "instanceType",
        "count",
        "term",
        "region",
        "usdPerHour",
    ];
    let t = r.table(v, path, &known, &[])?;
    let ty = r.req_string(t, path, "instanceType")?;
    let count = r
        .required(t, path, "count")
        .and_then(|v| r.uint(v, &join(path, "count"), 100_000))?;
    if count == 0 {
        r.err(&join(path, "count"), "expected at least 1");
        return None;
    }
    let term = term(r, t, path)?;
    let region = region_key(r, t, path, cluster_region)?;
    let ty_path = join(path, "instanceType");
    let Some(od) = on_demand(&region, &ty, catalog) else {
        r.err(
            &ty_path,
            format!("{ty} is not offered in {region} (no on-demand price in data/ec2_ondemand_prices_by_region.csv)"),
        );
        return None;
    };
    let factor =
        normalization_factor(&ty).or_else(|| catalog.get(&ty).map(|b| metal_factor(b.vcpu)));
    if factor.is_none() {
        r.err(
            &ty_path,
            format!("{ty}: no normalization factor for its size (expected nano, micro, small, medium, large, <n>xlarge or a metal size of a catalogue type)"),
        );
        return None;
    }
    let rate = match r.opt_number(t, path, "usdPerHour") {
        Some(x) if !(0.0..).contains(&x) || !x.is_finite() => {
            r.err(
                &join(path, "usdPerHour"),
                format!("expected a price of 0 or more, found {x}"),
            );
            return None;
        }
        Some(x) => x,
        None => match RegionalPrices::builtin_reserved(&region, &ty, term) {
            Some(x) => x,
            None => {
                r.err(
                    &ty_path,
                    format!("no {term} Reserved Instance rate for {ty} in {region} in data/ec2_commitment_rates_by_region.csv; give the effective rate as usdPerHour"),
                );
                return None;
            }
        },
    };
    let name = r
        .opt_string(t, path, "name")
        .unwrap_or_else(|| format!("ri {ty} x{count} {term}"));
    Some(ReservedInstance {
        name,
        instance_type: ty,
        region,
        count: count as u32,
        term,
        usd_per_hour: rate,
        on_demand_usd_per_hour: od,
    })
}

fn percent(r: &mut Reader, t: &Table, path: &str, key: &str) -> Option<f64> {
    let p = r.opt_number(t, path, key)?;
    if (0.0..100.0).contains(&p) {
        Some(p)
    } else {
        r.err(
            &join(path, key),
            format!("expected a percentage from 0 to below 100, found {p}"),
        );
        None
    }
}

fn savings_plan(
    r: &mut Reader,
    v: &toml::Value,
    path: &str,
    cluster_region: &str,
    rates: &BTreeMap<RateKey, f64>,
    groups: &[Group],
) -> Option<SavingsPlan> {
    let known = [
        "name",
        "type",
        "usdPerHour",
        "term",
        "paymentOption",
        "family",
        "region",
        "discountPercent",
        "fargateDiscountPercent",
    ];
    let t = r.table(v, path, &known, &[])?;
    let kind = r.required(t, path, "type")?;
    let kind = r.choice(kind, &join(path, "type"), &["compute", "ec2-instance"])?;
    let usd = r
        .required(t, path, "usdPerHour")
        .and_then(|v| r.number(v, &join(path, "usdPerHour")))?;
    if !usd.is_finite() || usd < 0.0 {
        r.err(
            &join(path, "usdPerHour"),
            format!("expected a commitment of 0 or more USD per hour, found {usd}"),
        );
        return None;
    }
    let term = term(r, t, path)?;
    let payment = match t.get("paymentOption") {
        Some(v) => r.choice(v, &join(path, "paymentOption"), &PAYMENT_OPTIONS)?,
        None => "all_upfront".to_string(),
    };
    let discount = percent(r, t, path, "discountPercent");
    let plan = if kind == "compute" {
        if t.contains_key("family") || t.contains_key("region") {
            r.err(
                path,
                "a Compute Savings Plan covers every family and region: drop `family` and `region`",
            );
        }
        PlanType::Compute
    } else {
        let family = r.req_string(t, path, "family")?;
        if t.contains_key("fargateDiscountPercent") {
            r.err(
                &join(path, "fargateDiscountPercent"),
                "an EC2 Instance Savings Plan does not cover Fargate",
            );
        }
        PlanType::Ec2Instance {
            family,
            region: region_key(r, t, path, cluster_region)?,
        }
    };
    let fargate_discount = match plan {
        PlanType::Compute => percent(r, t, path, "fargateDiscountPercent").or(discount),
        PlanType::Ec2Instance { .. } => None,
    };
    // The plan's rows of the rate file: the usage region for Compute
    // plans, the plan's region for EC2 Instance plans.
    let rate_region = match &plan {
        PlanType::Compute => cluster_region.to_string(),
        PlanType::Ec2Instance { region, .. } => region.clone(),
    };
    let mut plan_rates = BTreeMap::new();
    for ((rg, ty, p, tm, pay), usd) in rates {
        if *rg == rate_region && p == plan.as_str() && *tm == term && *pay == payment {
            plan_rates.insert(ty.clone(), *usd);
        }
    }
    // Every on-demand type the plan may cover needs a rate or a discount.
    if discount.is_none() {
        for g in groups {
            for ty in &g.spec.instance_types {
                let covered = match &plan {
                    PlanType::Compute => true,
                    PlanType::Ec2Instance { family: f, region } => {
                        family(&ty.name) == f && region == cluster_region
                    }
                };
                if covered && !plan_rates.contains_key(&ty.name) {
                    r.err(
                        path,
                        format!(
                            "no rate for {} ({} {term} {payment} in {rate_region}) in pricing.savingsPlanRates and no discountPercent: give one or the other",
                            ty.name,
                            plan.as_str()
                        ),
                    );
                    return None;
                }
            }
        }
    }
    let name = r
        .opt_string(t, path, "name")
        .unwrap_or_else(|| match &plan {
            PlanType::Compute => format!("compute sp {term}"),
            PlanType::Ec2Instance { family, .. } => format!("ec2 instance sp {family} {term}"),
        });
    Some(SavingsPlan {
        name,
        plan,
        term,
        usd_per_hour: usd,
        rates: plan_rates,
        discount_pct: discount,
        fargate_discount_pct: fargate_discount,
    })
}

/// `pricing.savingsPlanRates`: a CSV of the user's own Savings Plan rates,
/// `region,instance_type,plan,term,payment_option,usd_per_hour` (the
/// shape of `data/ec2_commitment_rates_by_region.csv`); rows of other
/// plans (Reserved Instances) are ignored.
fn rate_file(r: &mut Reader, t: &Table, dir: &Path) -> BTreeMap<RateKey, f64> {
    let mut out = BTreeMap::new();
    let Some(name) = r.opt_string(t, "pricing", "savingsPlanRates") else {
        return out;
    };
    let path = dir.join(&name);
    let key = "pricing.savingsPlanRates";
    let f = match CsvFile::read(&path) {
        Ok(f) => f,
        Err(e) => {
            r.err(key, e);
            return out;
        }
    };
    let cols: Result<Vec<usize>, String> = [
        "region",
        "instance_type",
        "plan",
        "term",
        "payment_option",
        "usd_per_hour",
    ]
    .iter()
    .map(|c| f.need(c))
    .collect();
    let cols = match cols {
        Ok(c) => c,
        Err(e) => {
            r.err(key, e);
            return out;
        }
    };
    for (line, rec) in f.rows() {
        let cell = |i: usize| rec.get(cols[i]).unwrap_or("");
        let plan = cell(2);
        if plan != "compute_savings_plan" && plan != "ec2_instance_savings_plan" {
            continue;
        }
        let Some(term) = Term::parse(cell(3)) else {
            r.err(
                key,
                f.at(
                    line,
                    format!("column `term`: expected 1yr or 3yr, found \"{}\"", cell(3)),
                ),
            );
            continue;
        };
        if !PAYMENT_OPTIONS.contains(&cell(4)) {
            r.err(
                key,
                f.at(
                    line,
                    format!(
                        "column `payment_option`: expected one of {}, found \"{}\"",
                        PAYMENT_OPTIONS.join(", "),
                        cell(4)
                    ),
                ),
            );
            continue;
        }
        let usd = match cell(5).parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => x,
            _ => {
                r.err(
                    key,
                    f.at(
                        line,
                        format!(
                            "column `usd_per_hour`: expected a price of 0 or more, found \"{}\"",
                            cell(5)
                        ),
                    ),
                );
                continue;
            }
        };
        let k = (
            cell(0).to_string(),
            cell(1).to_string(),
            plan.to_string(),
            term,
            cell(4).to_string(),
        );
        if out.insert(k, usd).is_some() {
            r.err(
                key,
                f.at(
                    line,
                    "a second rate for the same region, type, plan, term and payment option",
                ),
            );
        }
    }
    out
}
