//! `[cluster]`: the whole section and its key list (`CLUSTER_KEYS`) —
//! region and Availability Zones, scheduler tie-break and retry, sampling,
//! image pull and start times, memory reservations, the default capacity
//! provider strategy, the PROVISIONING limits (P9) and the service launch
//! throttle (P9). Read here; acts in engine/ (scheduler and instances),
//! placement (tie-break) and the capacity provider strategy of services and
//! jobs without their own.

use toml::{Table, Value};

use super::reader::{join, Reader};
use super::values::{az_list, dist};
use crate::engine::{Capacity, ProvisioningSpec, ThrottleSpec};
use crate::market::regions::{availability_zones, regions, DEFAULT_REGION};
use crate::placement::TieBreak;
use crate::sim::SimDuration;
use crate::text::closest;
use crate::workload::Dist;

/// Every key `[cluster]` accepts.
const CLUSTER_KEYS: &[&str] = &[
    "region",
    "availabilityZones",
    "tieBreak",
    "placementRetryInterval",
    "sampleInterval",
    "imagePullTime",
    "cachedStartTime",
    "warmStart",
    "memoryOverheadPercent",
    "reservedMemory",
    "defaultCapacityProviderStrategy",
    "maxProvisioningTasks",
    "provisioningTimeout",
    "serviceThrottle",
    "serviceLaunchesPerMinute",
];

/// The `[cluster]` settings other sections and the engine need.
pub(crate) struct ClusterSettings {
    /// `cluster.region`: where instance types are priced and offered, the
    /// Spot Advisor data and Fargate rates used, the zone names allowed.
    pub(crate) region: String,
    pub(crate) tie_break: TieBreak,
    pub(crate) retry: SimDuration,
    pub(crate) sample: SimDuration,
    pub(crate) image_pull: Dist,
    pub(crate) cached_start: Dist,
    pub(crate) warm_start: bool,
    pub(crate) azs: Vec<String>,
    pub(crate) overhead_pct: f64,
    pub(crate) reserved_memory: u32,
    pub(crate) default_strategy: Option<Capacity>,
}

/// The zones a scenario uses when it names none: the region's first three
/// (us-east-1a, us-east-1b, us-east-1c in the default region).
fn default_azs(region: &str) -> Vec<String> {
    availability_zones(region)
        .unwrap_or(&[])
        .iter()
        .take(3)
        .map(|z| z.to_string())
        .collect()
}

/// `[cluster]` but for the throttle and PROVISIONING keys (read by
/// [`service_throttle`] and [`provisioning`]).
pub(crate) fn cluster(r: &mut Reader, t: &Table, asg: &[String]) -> ClusterSettings {
    let mut s = ClusterSettings {
        region: DEFAULT_REGION.to_string(),
        tie_break: TieBreak::Random,
        retry: SimDuration::from_secs(60),
        sample: SimDuration::from_secs(60),
        image_pull: Dist::Uniform {
            min: SimDuration::from_secs(10),
            max: SimDuration::from_secs(30),
        },
        cached_start: Dist::Uniform {
            min: SimDuration::from_secs(1),
            max: SimDuration::from_secs(3),
        },
        warm_start: true,
        azs: default_azs(DEFAULT_REGION),
        overhead_pct: 4.0,
        reserved_memory: 0,
        default_strategy: None,
    };
    let Some(v) = t.get("cluster") else { return s };
    let Some(c) = r.table(v, "cluster", CLUSTER_KEYS, &[]) else {
        return s;
    };
    if let Some(region) = r.opt_string(c, "cluster", "region") {
        if availability_zones(&region).is_some() {
            s.azs = default_azs(&region);
            s.region = region;
        } else {
            let known: Vec<&str> = regions().collect();
            let hint = closest(&region, known.iter().copied())
                .map(|c| format!("; did you mean \"{c}\"?"))
                .unwrap_or_default();
            r.err(
                "cluster.region",
                format!(
                    "unknown region \"{region}\"{hint}; regions with prices in data/ec2_ondemand_prices_by_region.csv: {}",
                    known.join(", ")
                ),
            );
        }
    }
    if let Some(v) = c.get("tieBreak") {
        if r.choice(v, "cluster.tieBreak", &["random", "lowest-id"])
            .as_deref()
            == Some("lowest-id")
        {
            s.tie_break = TieBreak::LowestId;
        }
    }
    if let Some(d) = r.opt_duration(c, "cluster", "placementRetryInterval") {
        if d.0 == 0 {
            r.err("cluster.placementRetryInterval", "must be longer than zero");
        } else {
            s.retry = d;
        }
    }
    if let Some(d) = r.opt_duration(c, "cluster", "sampleInterval") {
        if d.0 < 1000 {
            r.err("cluster.sampleInterval", "must be at least \"1s\"");
        } else {
            s.sample = d;
        }
    }
    if let Some(v) = c.get("imagePullTime") {
        s.image_pull = dist(r, v, "cluster.imagePullTime").unwrap_or(s.image_pull);
    }
    if let Some(v) = c.get("cachedStartTime") {
        s.cached_start = dist(r, v, "cluster.cachedStartTime").unwrap_or(s.cached_start);
    }
    if let Some(b) = r.opt_bool(c, "cluster", "warmStart") {
        s.warm_start = b;
    }
    if let Some(azs) = az_list(r, c, "cluster", &s.region) {
        s.azs = azs;
    }
    if let Some(p) = r.opt_number(c, "cluster", "memoryOverheadPercent") {
        if (0.0..50.0).contains(&p) {
            s.overhead_pct = p;
        } else {
            r.err(
                "cluster.memoryOverheadPercent",
                format!("expected a percentage from 0 to 50, found {p}"),
            );
        }
    }
    if let Some(m) = r.opt_u32(c, "cluster", "reservedMemory") {
        s.reserved_memory = m;
    }
    if let Some(v) = c.get("defaultCapacityProviderStrategy") {
        s.default_strategy = super::capacity_strategy::strategy(
            r,
            v,
            "cluster.defaultCapacityProviderStrategy",
            asg,
        );
    }
    s
}

/// `cluster.serviceThrottle` and `cluster.serviceLaunchesPerMinute` (P9).
pub(crate) fn service_throttle(r: &mut Reader, root: &Table) -> ThrottleSpec {
    let mut s = ThrottleSpec::default();
    let Some(c) = root.get("cluster").and_then(Value::as_table) else {
        return s;
    };
    if let Some(n) = r.opt_uint(c, "cluster", "serviceLaunchesPerMinute", 1_000_000) {
        if n == 0 {
            r.err("cluster.serviceLaunchesPerMinute", "must be at least 1");
        } else {
            s.launches_per_minute = n as u32;
        }
    }
    let Some(v) = c.get("serviceThrottle") else {
        return s;
    };
    let path = "cluster.serviceThrottle";
    let Some(t) = r.table(v, path, &["firstDelay", "multiplier", "maxDelay"], &[]) else {
        return s;
    };
    if let Some(d) = r.opt_duration(t, path, "firstDelay") {
        if d.0 == 0 {
            r.err(&join(path, "firstDelay"), "must be longer than zero");
        } else {
            s.first_delay = d;
        }
    }
    if let Some(m) = r.opt_number(t, path, "multiplier") {
        if (1.0..=10.0).contains(&m) {
            s.multiplier = m;
        } else {
            r.err(
                &join(path, "multiplier"),
                format!("expected a number from 1 to 10, found {m}"),
            );
        }
    }
    if let Some(d) = r.opt_duration(t, path, "maxDelay") {
        s.max_delay = d;
    }
    if s.max_delay < s.first_delay {
        r.err(
            &join(path, "maxDelay"),
            format!(
                "must be at least firstDelay ({}), found {}",
                s.first_delay, s.max_delay
            ),
        );
    }
    s
}

/// `cluster.maxProvisioningTasks` and `cluster.provisioningTimeout` (P9).
pub(crate) fn provisioning(r: &mut Reader, root: &Table) -> ProvisioningSpec {
    let mut p = ProvisioningSpec::default();
    let Some(c) = root.get("cluster").and_then(Value::as_table) else {
        return p;
    };
    if let Some(x) = r.opt_uint(c, "cluster", "maxProvisioningTasks", 100_000) {
        p.max_tasks = x as u32;
    }
    if let Some(v) = c.get("provisioningTimeout") {
        if let Some(d) = dist(r, v, "cluster.provisioningTimeout") {
            p.timeout = d;
        }
    }
    p
}
