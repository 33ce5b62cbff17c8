//! `[spot]`: pools with their prices and interruption processes (S1, S2,
//! S6), price histories and replayed interruptions read from CSV files.
//! A group's own purchase options are read with the group, in groups.rs.
//! Read here; acts in market/ (prices, interruptions) and
//! engine/instances.rs (reclaims).

use std::collections::BTreeMap;
use std::path::Path;

use toml::{Table, Value};

use super::csvfile::CsvFile;
use super::reader::{index, join, quoted, Reader};
use crate::engine::{InstanceGroupSpec, PoolSpec, ReclaimSpec, ReplayedInterruption, SpotSpec};
use crate::market::{hazard_per_hour, PriceSeries, SpotAdvisor, SpotPrice, BUCKET_MIDPOINTS};
use crate::sim::calendar::parse_instant;
use crate::sim::{SimDuration, SimTime};

/// Whether a group may buy spot at all.
fn buys_spot(g: &InstanceGroupSpec) -> bool {
    g.distribution
        .is_some_and(|d| d.on_demand_percentage_above_base < 100)
}

/// One `[[spot.pools]]` entry: a selector and what it sets.
struct PoolOverride {
    instance_type: Option<String>,
    az: Option<String>,
    discount_pct: Option<f64>,
    monthly_interruptions: Option<f64>,
    reclaim: Option<ReclaimSpec>,
}

/// Reads `[spot]` and resolves one pool per (type, AZ) of every group that
/// may buy spot. `groups` come with their field paths for errors.
pub(crate) fn spot_section(
    r: &mut Reader,
    root: &Table,
    dir: &Path,
    groups: &[(&InstanceGroupSpec, &str)],
    start_epoch_s: i64,
    cluster_region: &str,
) -> SpotSpec {
    let mut spec = SpotSpec::default();
    let known = [
        "region",
        "rebalanceLeadTime",
        "launchRetry",
        "pools",
        "priceHistory",
        "zoneIds",
        "interruptions",
    ];
    let empty = Table::new();
    let t = match root.get("spot") {
        Some(v) => r.table(v, "spot", &known, &[]).unwrap_or(&empty),
        None => &empty,
    };
    let region = r
        .opt_string(t, "spot", "region")
        .unwrap_or_else(|| cluster_region.to_string());
    if region != cluster_region {
        r.err(
            "spot.region",
            format!("\"{region}\" is not the cluster's region \"{cluster_region}\" (cluster.region): spot instances run where the cluster runs; drop spot.region or set cluster.region"),
        );
    }
    // The embedded advisor is parsed only when a group buys spot, and then
    // only for the region in use. A region it has no data for (GovCloud,
    // the newest regions) takes spot only with every pool's discount and
    // interruption rate given under [[spot.pools]]; without spot it needs
    // none.
    let empty_advisor = SpotAdvisor::default();
    let advisor = if groups.iter().any(|(g, _)| buys_spot(g)) {
        SpotAdvisor::builtin_region(&region).unwrap_or(&empty_advisor)
    } else {
        &empty_advisor
    };
    if let Some(d) = r.opt_duration(t, "spot", "rebalanceLeadTime") {
        spec.rebalance_lead = d;
    }
    if let Some(d) = r.opt_duration(t, "spot", "launchRetry") {
        if d == SimDuration::ZERO {
            r.err("spot.launchRetry", "must be longer than zero");
        } else {
            spec.launch_retry = d;
        }
    }

    // Per-pool overrides, applied in order.
    let mut overrides = Vec::new();
    for (i, v) in r.list(t, "spot", "pools").iter().enumerate() {
        let p = index("spot.pools", i);
        let known = [
            "instanceType",
            "availabilityZone",
            "discountPercent",
            "monthlyInterruptionRate",
            "reclaim",
        ];
        let Some(pt) = r.table(v, &p, &known, &[]) else {
            continue;
        };
        let discount_pct = r.opt_number(pt, &p, "discountPercent");
        if discount_pct.is_some_and(|d| !(0.0..100.0).contains(&d)) {
            r.err(
                &join(&p, "discountPercent"),
                "expected a percentage from 0 to below 100",
            );
        }
        let monthly = r.opt_number(pt, &p, "monthlyInterruptionRate");
        if monthly.is_some_and(|f| !(0.0..1.0).contains(&f)) {
            r.err(
                &join(&p, "monthlyInterruptionRate"),
                "expected the fraction of instances interrupted per month, from 0 to below 1 (e.g. 0.125)",
            );
        }
        let reclaim = pt
            .get("reclaim")
            .and_then(|v| reclaim(r, v, &join(&p, "reclaim")));
        overrides.push(PoolOverride {
            instance_type: r.opt_string(pt, &p, "instanceType"),
            az: r.opt_string(pt, &p, "availabilityZone"),
            discount_pct,
            monthly_interruptions: monthly,
            reclaim,
        });
    }

    // Price histories.
    let mut zone_ids: BTreeMap<String, String> = BTreeMap::new();
    if let Some(v) = t.get("zoneIds") {
        if let Some(z) = v.as_table() {
            for (k, v) in z {
                if let Some(s) = r.string(v, &join("spot.zoneIds", k)) {
                    zone_ids.insert(k.clone(), s);
                }
            }
        } else {
            r.err(
                "spot.zoneIds",
                "expected a table of zone id = \"zone name\"",
            );
        }
    }
    let mut histories: BTreeMap<(String, String), PriceSeries> = BTreeMap::new();
    if let Some(file) = r.opt_string(t, "spot", "priceHistory") {
        match read_price_history(&dir.join(&file), &zone_ids, start_epoch_s) {
            Ok(h) => histories = h,
            Err(e) => r.err("spot.priceHistory", e),
        }
    }

    // Pools: every (type, AZ) of every group that may buy spot.
    for (g, gpath) in groups {
        if !buys_spot(g) {
            continue;
        }
        for ty in &g.instance_types {
            for az in &g.availability_zones {
                if spec
                    .pools
                    .iter()
                    .any(|p| p.instance_type == ty.name && &p.az == az)
                {
                    continue;
                }
                let entry = advisor.get(&region, &ty.name);
                let mut discount = entry.map(|e| f64::from(e.savings_pct.max(0)));
                let mut monthly = entry.map(|e| BUCKET_MIDPOINTS[usize::from(e.bucket.min(4))]);
                let mut rec = None;
                for o in &overrides {
                    let type_ok = o.instance_type.as_ref().is_none_or(|x| x == &ty.name);
                    let az_ok = o.az.as_ref().is_none_or(|x| x == az);
                    if type_ok && az_ok {
                        discount = o.discount_pct.or(discount);
                        monthly = o.monthly_interruptions.or(monthly);
                        rec = o.reclaim.or(rec);
                    }
                }
                let (Some(discount), Some(monthly)) = (discount, monthly) else {
                    let missing = if advisor.is_empty() {
                        format!("data/spot_advisor.csv has no data for {region}")
                    } else {
                        format!("{} has no Spot Advisor entry for {region}", ty.name)
                    };
                    r.err(
                        &join(gpath, "instanceTypes"),
                        format!(
                            "{missing}; give the spot pools of {} discountPercent and monthlyInterruptionRate under [[spot.pools]]",
                            ty.name
                        ),
                    );
                    continue;
                };
                let key = (ty.name.clone(), az.clone());
                let price = match histories.remove(&key) {
                    Some(series) => SpotPrice::Series(series),
                    None => match SpotPrice::discount(ty.on_demand_usd_per_hour, discount) {
                        Ok(p) => p,
                        Err(e) => {
                            r.err("spot.pools", format!("{}/{az}: {e}", ty.name));
                            continue;
                        }
                    },
                };
                spec.pools.push(PoolSpec {
                    instance_type: ty.name.clone(),
                    az: az.clone(),
                    price,
                    hazard_per_hour: hazard_per_hour(monthly),
                    reclaim: rec,
                });
            }
        }
    }
    for (i, o) in overrides.iter().enumerate() {
        let matched = spec.pools.iter().any(|p| {
            o.instance_type
                .as_ref()
                .is_none_or(|x| x == &p.instance_type)
                && o.az.as_ref().is_none_or(|x| x == &p.az)
        });
        if !matched {
            r.err(
                &index("spot.pools", i),
                "matches no spot pool: no instance group buys spot in this instance type and AZ",
            );
        }
    }

    if let Some(file) = r.opt_string(t, "spot", "interruptions") {
        match read_replay(&dir.join(&file), &spec.pools, start_epoch_s) {
            Ok(list) => spec.replay = list,
            Err(e) => r.err("spot.interruptions", e),
        }
    }
    spec
}

/// Most pool reclaim events a day.
const MAX_RECLAIMS_PER_DAY: f64 = 1440.0;

fn reclaim(r: &mut Reader, v: &Value, path: &str) -> Option<ReclaimSpec> {
    let t = r.table(
        v,
        path,
        &["eventsPerDay", "fraction", "unavailableFor"],
        &[],
    )?;
    let rate = r
        .required(t, path, "eventsPerDay")
        .and_then(|v| r.number(v, &join(path, "eventsPerDay")));
    // At most one reclaim a minute: a larger rate is a typo, and each event
    // is simulated (4e9 a day exhausted memory).
    if rate.is_some_and(|x| !(0.0..=MAX_RECLAIMS_PER_DAY).contains(&x)) {
        r.err(
            &join(path, "eventsPerDay"),
            format!("expected a rate from 0 to {MAX_RECLAIMS_PER_DAY} (one a minute)"),
        );
    }
    let fraction = r
        .required(t, path, "fraction")
        .and_then(|v| r.number(v, &join(path, "fraction")));
    if fraction.is_some_and(|x| !(x > 0.0 && x <= 1.0)) {
        r.err(
            &join(path, "fraction"),
            "expected the fraction of the pool's instances interrupted, above 0 and at most 1",
        );
    }
    let unavailable_for = r
        .opt_duration(t, path, "unavailableFor")
        .unwrap_or(SimDuration::ZERO);
    Some(ReclaimSpec {
        rate_per_hour: rate? / 24.0,
        fraction: fraction?,
        unavailable_for,
    })
}

/// Reads a spot price history in the shape of EC2's `DescribeSpotPriceHistory`
/// output (none ships in `data/`; see scenarios/README.md). Zones are given by name
/// (`availability_zone`) or by id (`availability_zone_id`, mapped through
/// `spot.zoneIds`). Times before the run's start keep their price until the
/// next record.
fn read_price_history(
    path: &Path,
    zone_ids: &BTreeMap<String, String>,
    start_epoch_s: i64,
) -> Result<BTreeMap<(String, String), PriceSeries>, String> {
    let file = CsvFile::read(path)?;
    let need = |n: &str| file.need(n);
    let (c_time, c_type, c_price) = (
        need("timestamp_utc")?,
        need("instance_type")?,
        need("spot_price_usd_per_hour")?,
    );
    let (c_az, by_id) = match (
        file.col("availability_zone"),
        file.col("availability_zone_id"),
    ) {
        (Some(c), _) => (c, false),
        (None, Some(c)) => (c, true),
        (None, None) => {
            return Err(file.at(
                1,
                "missing column `availability_zone` or `availability_zone_id`",
            ))
        }
    };
    let mut points: BTreeMap<(String, String), Vec<(SimTime, f64)>> = BTreeMap::new();
    for (line, rec) in file.rows() {
        let at = |m: String| file.at(line, m);
        let get = |c: usize| rec.get(c).unwrap_or("");
        let t = parse_instant(get(c_time)).ok_or_else(|| {
            at(format!(
                "expected an RFC 3339 timestamp such as 2026-03-02T00:00:00.000Z, found \"{}\"",
                get(c_time)
            ))
        })?;
        let zone = get(c_az).to_string();
        let zone = if by_id {
            zone_ids.get(&zone).cloned().ok_or_else(|| {
                at(format!(
                    "zone id \"{zone}\" has no name; map it under spot.zoneIds (e.g. \"{zone}\" = \"us-east-1a\")"
                ))
            })?
        } else {
            zone
        };
        let price: f64 = get(c_price)
            .parse()
            .map_err(|_| at(format!("expected a price, found \"{}\"", get(c_price))))?;
        let offset_s = (t - start_epoch_s).max(0) as u64;
        points
            .entry((get(c_type).to_string(), zone))
            .or_default()
            .push((SimTime::ZERO + SimDuration::from_secs(offset_s), price));
    }
    points
        .into_iter()
        .map(|(k, v)| {
            PriceSeries::new(v)
                .map(|s| (k.clone(), s))
                .map_err(|e| format!("{}: {}/{}: {e}", file.path().display(), k.0, k.1))
        })
        .collect()
}

/// Reads replayed interruptions: `time` (a duration from the start such as
/// `2h`, or a UTC timestamp), `instance_type`, `availability_zone`, `count`,
/// and optionally `unavailable_for` (a duration).
fn read_replay(
    path: &Path,
    pools: &[PoolSpec],
    start_epoch_s: i64,
) -> Result<Vec<ReplayedInterruption>, String> {
    let file = CsvFile::read(path)?;
    let need = |n: &str| file.need(n);
    let (c_time, c_type, c_az, c_count) = (
        need("time")?,
        need("instance_type")?,
        need("availability_zone")?,
        need("count")?,
    );
    let c_unavail = file.col("unavailable_for");
    let mut out = Vec::new();
    for (line, rec) in file.rows() {
        let at_line = |m: String| file.at(line, m);
        let get = |c: usize| rec.get(c).unwrap_or("");
        let text = get(c_time);
        let at = match super::units::parse_duration(text) {
            Ok(d) => SimTime::ZERO + d,
            Err(_) => match parse_instant(text) {
                Some(t) if t >= start_epoch_s => {
                    SimTime::ZERO + SimDuration::from_secs((t - start_epoch_s) as u64)
                }
                Some(_) => return Err(at_line(format!("{text} is before the scenario's startTime"))),
                None => {
                    return Err(at_line(format!(
                        "expected a duration from the start (\"2h\") or an RFC 3339 timestamp, found \"{text}\""
                    )))
                }
            },
        };
        let (ty, az) = (get(c_type), get(c_az));
        let pool = pools
            .iter()
            .position(|p| p.instance_type == ty && p.az == az)
            .ok_or_else(|| {
                let known: Vec<String> = pools.iter().map(PoolSpec::label).collect();
                at_line(format!(
                    "no spot pool {ty}/{az}; the scenario's pools are {}",
                    if known.is_empty() {
                        "none (no group buys spot)".to_string()
                    } else {
                        quoted(&known.iter().map(String::as_str).collect::<Vec<_>>())
                    }
                ))
            })?;
        let count: u32 = get(c_count)
            .parse()
            .map_err(|_| at_line(format!("expected a count, found \"{}\"", get(c_count))))?;
        let unavailable_for = match c_unavail.map(get).filter(|s| !s.is_empty()) {
            Some(s) => super::units::parse_duration(s).map_err(at_line)?,
            None => SimDuration::ZERO,
        };
        out.push(ReplayedInterruption {
            at,
            pool: crate::model::PoolId(pool as u32),
            count,
            unavailable_for,
        });
    }
    out.sort_by_key(|r| r.at);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_history_with_aws_cli_timestamps() {
        // `aws ec2 describe-spot-price-history` prints `…T00:00:00+00:00`
        // and `…000Z`; both, and other offsets, are the same clock.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spot.csv");
        std::fs::write(
            &path,
            "timestamp_utc,instance_type,availability_zone,spot_price_usd_per_hour\n\
             2026-03-02T00:00:00+00:00,m6i.large,us-east-1a,0.04\n\
             2026-03-02T01:00:00.000Z,m6i.large,us-east-1a,0.05\n\
             2026-03-02T04:00:00.250+02:00,m6i.large,us-east-1a,0.06\n",
        )
        .unwrap();
        let start = parse_instant("2026-03-02T00:00:00Z").unwrap();
        let series = read_price_history(&path, &BTreeMap::new(), start).unwrap();
        let s = &series[&("m6i.large".to_string(), "us-east-1a".to_string())];
        let at: Vec<u64> = s.points().iter().map(|p| p.0.as_millis() / 1000).collect();
        assert_eq!(at, [0, 3600, 7200]);
    }
}
