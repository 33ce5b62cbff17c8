//! `[[instanceTypes]]` (custom types and catalogue overrides, R1),
//! `[[instanceGroups]]` with every key a group accepts (`GROUP_KEYS`): its
//! instance types, zones, attributes, purchase options
//! (`instancesDistribution`, `capacityRebalance`, `agentConfig`; S1–S6) and
//! Auto Scaling group bounds and target tracking (C7) — and `[[maintenance]]`,
//! the drains of a group (D1). Read here; acts in engine/instances.rs (launches,
//! registration, spot purchases, group scaling and drains).

use std::collections::BTreeSet;

use toml::{Table, Value};

use super::cluster::ClusterSettings;
use super::reader::{index, join, Reader};
use super::values::{az_list, dist};
use crate::engine::{GroupInstanceType, InstanceGroupSpec, InstanceSeed, Operation, OperationKind};
use crate::market::regions::{RegionalPrices, DEFAULT_REGION};
use crate::market::{InstancesDistribution, OnDemandAllocation, SpotAllocation};
use crate::model::catalog::{Arch, Catalog, InstanceType};
use crate::model::Resources;
use crate::scaling::AsgTargetTracking;
use crate::sim::{SimDuration, SimTime};
use crate::text::closest;
use crate::workload::Dist;

/// Every key an `[[instanceGroups]]` entry accepts: its own, its purchase
/// options ([`purchase_options`]) and its bounds ([`group_bounds`]).
const GROUP_KEYS: &[&str] = &[
    "name",
    "instanceTypes",
    "availabilityZones",
    "count",
    "launchLatency",
    "attributes",
    "instances",
    "awsvpcTrunking",
    "amiId",
    "reservedMemory",
    "memoryOverheadPercent",
    "instancesDistribution",
    "capacityRebalance",
    "agentConfig",
    "minSize",
    "maxSize",
    "targetTracking",
];

/// A table of custom attributes, `name = "value"`.
fn attribute_table(r: &mut Reader, v: &Value, ap: &str) -> Vec<(String, String)> {
    let mut attributes = Vec::new();
    if let Some(at) = v.as_table() {
        for (k, v) in at {
            let kp = join(ap, k);
            if k.starts_with("ecs.") {
                r.err(
                    &kp,
                    "attribute names starting with \"ecs.\" are reserved for built-in attributes",
                );
            } else if k.is_empty() || k.len() > 128 {
                r.err(&kp, "attribute names have 1 to 128 characters");
            }
            if let Some(s) = r.string(v, &kp) {
                attributes.push((k.clone(), s));
            }
        }
    } else {
        r.err(ap, "expected a table of name = \"value\"");
    }
    attributes
}

/// `[[instanceTypes]]`: custom types, or overrides of catalogue fields (R1).
/// Also returns the names of the types given an `ondemandUsdPerHour`,
/// whose price no regional table replaces.
pub(crate) fn instance_types(r: &mut Reader, t: &Table) -> (Catalog, BTreeSet<String>) {
    let mut catalog = Catalog::builtin().clone();
    let mut priced = BTreeSet::new();
    let known = [
        "name",
        "vcpu",
        "memoryMiB",
        "arch",
        "maxEnis",
        "branchEnis",
        "trunkingTaskLimit",
        "trunking",
        "memoryOverheadMiB",
        "ondemandUsdPerHour",
    ];
    for (i, v) in r.list(t, "", "instanceTypes").iter().enumerate() {
        let path = index("instanceTypes", i);
        let Some(tt) = r.table(v, &path, &known, &[]) else {
            continue;
        };
        let Some(name) = r.req_string(tt, &path, "name") else {
            continue;
        };
        let base = catalog.get(&name).cloned();
        let mut ty = base.clone().unwrap_or(InstanceType {
            name: name.clone(),
            family: name.split('.').next().unwrap_or(&name).to_string(),
            vcpu: 0,
            memory_mib: 0,
            arch: Arch::X86_64,
            max_enis: 3,
            trunking: false,
            branch_enis: 0,
            trunk_task_limit: 0,
            gpu_count: 0,
            ondemand_usd_per_hour: None,
            memory_overhead_mib: None,
        });
        let builtin = Catalog::builtin();
        let errors_before = r.issues.len();
        if let Some(x) = physical(r, tt, &path, "vcpu", builtin.max_vcpu(), 1, "vCPU") {
            ty.vcpu = x;
        }
        let mem = builtin.max_memory_mib();
        if let Some(x) = physical(r, tt, &path, "memoryMiB", mem, 1, "MiB") {
            ty.memory_mib = x;
        }
        if let Some(v) = tt.get("arch") {
            if let Some(a) = r.choice(v, &join(&path, "arch"), &["x86_64", "arm64"]) {
                ty.arch = if a == "arm64" {
                    Arch::Arm64
                } else {
                    Arch::X86_64
                };
            }
        }
        if let Some(x) = physical(r, tt, &path, "maxEnis", builtin.max_enis(), 0, "ENIs") {
            ty.max_enis = x;
        }
        if tt.contains_key("branchEnis") {
            r.err(
                &join(&path, "branchEnis"),
                "the VPC resource controller's branch ENIs do not set ECS's awsvpc task limit (ECS-MODEL R4); give ECS's \"task limit with ENI trunking\" as `trunkingTaskLimit`",
            );
        }
        let limit = builtin.max_trunk_task_limit();
        if let Some(x) = physical(r, tt, &path, "trunkingTaskLimit", limit, 0, "tasks") {
            // R4: ECS's limit with trunking; giving one means ECS supports it.
            ty.trunk_task_limit = x;
            ty.trunking = x > 0;
        }
        if let Some(x) = r.opt_bool(tt, &path, "trunking") {
            ty.trunking = x;
        }
        if let Some(x) = physical(r, tt, &path, "memoryOverheadMiB", mem, 0, "MiB") {
            ty.memory_overhead_mib = Some(x);
        }
        if let Some(x) = r.opt_number(tt, &path, "ondemandUsdPerHour") {
            if x < 0.0 {
                r.err(
                    &join(&path, "ondemandUsdPerHour"),
                    format!("expected a price of 0 or more, found {x}"),
                );
            }
            ty.ondemand_usd_per_hour = Some(x);
            priced.insert(name.clone());
        }
        if r.issues.len() > errors_before {
            continue;
        }
        if base.is_none() && (ty.vcpu == 0 || ty.memory_mib == 0) {
            r.err(&path, format!("\"{name}\" is not in the catalogue: a custom type needs `vcpu` and `memoryMiB`"));
            continue;
        }
        catalog.insert(ty);
    }
    (catalog, priced)
}

/// The on-demand price of `ty` in the cluster's region: the catalogue's
/// (or the scenario's) in us-east-1 and for a type the scenario prices,
/// else the region's from `data/ec2_ondemand_prices_by_region.csv`; a type
/// the region does not offer is an error naming the region.
fn regional_price(
    r: &mut Reader,
    path: &str,
    ty: &InstanceType,
    c: &ClusterSettings,
    priced: &BTreeSet<String>,
) -> f64 {
    if c.region == DEFAULT_REGION || priced.contains(&ty.name) {
        return ty.ondemand_usd_per_hour.unwrap_or(0.0);
    }
    match RegionalPrices::builtin_on_demand(&c.region, &ty.name) {
        Some(p) => p,
        None => {
            r.err(
                path,
                format!(
                    "{} is not offered in {} (no on-demand price in data/ec2_ondemand_prices_by_region.csv); choose another type, or give its price as ondemandUsdPerHour under [[instanceTypes]]",
                    ty.name, c.region
                ),
            );
            0.0
        }
    }
}

/// An instance type size field, from `min` to [`super::limits::SIZE_MARGIN`]
/// times `largest` (the largest value of the built-in catalogue).
fn physical(
    r: &mut Reader,
    t: &Table,
    path: &str,
    key: &str,
    largest: u32,
    min: u32,
    unit: &str,
) -> Option<u32> {
    let v = r.opt_uint(t, path, key, u64::MAX >> 1)?;
    let max = u64::from(largest) * u64::from(super::limits::SIZE_MARGIN);
    if v < u64::from(min) || v > max {
        r.err(
            &join(path, key),
            format!(
                "expected {min} to {max} {unit}, found {v}: the largest instance type of the catalogue has {largest} {unit}, and a custom type may be at most {} times that",
                super::limits::SIZE_MARGIN
            ),
        );
        return None;
    }
    Some(v as u32)
}

/// A group and the path it was read at.
pub(crate) struct Group {
    pub(crate) spec: InstanceGroupSpec,
    pub(crate) path: String,
    /// The `tasks` lists of its described instances, read once services
    /// are known: (seed index, path of the list, the list).
    pub(crate) seed_tasks: Vec<(usize, String, Vec<toml::Value>)>,
}

pub(crate) fn instance_groups(
    r: &mut Reader,
    t: &Table,
    catalog: &Catalog,
    priced: &BTreeSet<String>,
    c: &ClusterSettings,
) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    // EC2 ids of `instances` across groups, each once.
    let mut seen_ids: Vec<String> = Vec::new();
    for (i, v) in r.list(t, "", "instanceGroups").iter().enumerate() {
        let path = index("instanceGroups", i);
        let Some(g) = r.table(v, &path, GROUP_KEYS, &[]) else {
            continue;
        };
        let name = r.req_string(g, &path, "name").unwrap_or_default();
        if out.iter().any(|x| x.spec.name == name) {
            r.err(
                &join(&path, "name"),
                format!("duplicate instance group name \"{name}\""),
            );
        }
        let count = r
            .required(g, &path, "count")
            .and_then(|v| r.uint(v, &join(&path, "count"), 5000));
        let trunking = r.opt_bool(g, &path, "awsvpcTrunking").unwrap_or(false);
        let reserved = r
            .opt_u32(g, &path, "reservedMemory")
            .unwrap_or(c.reserved_memory);
        let overhead = r
            .opt_number(g, &path, "memoryOverheadPercent")
            .unwrap_or(c.overhead_pct);
        let mut types = Vec::new();
        let tpath = join(&path, "instanceTypes");
        let names = r
            .required(g, &path, "instanceTypes")
            .map(|_| r.list(g, &path, "instanceTypes"))
            .unwrap_or(&[]);
        if names.is_empty() && g.contains_key("instanceTypes") {
            r.err(&tpath, "expected at least one instance type");
        }
        for (k, v) in names.iter().enumerate() {
            let p = index(&tpath, k);
            let Some(ty_name) = r.string(v, &p) else {
                continue;
            };
            let Some(ty) = catalog.get(&ty_name) else {
                let hint = match catalog.suggest(&ty_name) {
                    Some(s) => format!("; did you mean \"{s}\"?"),
                    None => "; see data/ec2_instance_types_us_east_1.csv, or define it under [[instanceTypes]]".into(),
                };
                r.err(&p, format!("unknown instance type \"{ty_name}\"{hint}"));
                continue;
            };
            let registered = Resources::new(
                ty.registered_cpu(),
                ty.registered_memory_mib(overhead, reserved),
            );
            if registered.memory == 0 {
                r.err(
                    &p,
                    format!("{ty_name} registers no memory after reservedMemory = {reserved} MiB"),
                );
            }
            types.push(GroupInstanceType {
                name: ty.name.clone(),
                registered,
                eni_capacity: ty.max_awsvpc_tasks(trunking),
                arch: ty.arch.to_string(),
                on_demand_usd_per_hour: regional_price(r, &p, ty, c, priced),
            });
        }
        let azs = az_list(r, g, &path, &c.region).unwrap_or_else(|| c.azs.clone());
        let launch_latency = g
            .get("launchLatency")
            .and_then(|v| dist(r, v, &join(&path, "launchLatency")))
            .unwrap_or(Dist::Uniform {
                min: SimDuration::from_secs(60),
                max: SimDuration::from_secs(120),
            });
        let attributes = match g.get("attributes") {
            Some(v) => attribute_table(r, v, &join(&path, "attributes")),
            None => Vec::new(),
        };
        // Single instances (an imported cluster): the k-th instance the
        // group starts with gets entry k's EC2 id and custom attributes on
        // top of the group's; replacements get the group's only.
        let mut instances = Vec::new();
        let mut seed_tasks = Vec::new();
        let ip = join(&path, "instances");
        for (k, v) in r.list(g, &path, "instances").iter().enumerate() {
            let p = index(&ip, k);
            let Some(it) = r.table(
                v,
                &p,
                &[
                    "ec2InstanceId",
                    "attributes",
                    "instanceType",
                    "availabilityZone",
                    "tasks",
                    "status",
                ],
                &[],
            ) else {
                continue;
            };
            // Its own type and zone, among the group's.
            let instance_type = r.opt_string(it, &p, "instanceType").and_then(|name| {
                let k = types
                    .iter()
                    .position(|t: &GroupInstanceType| t.name == name);
                if k.is_none() {
                    let known: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
                    r.err(
                        &join(&p, "instanceType"),
                        format!(
                            "\"{name}\" is not one of the group's instanceTypes ({})",
                            known.join(", ")
                        ),
                    );
                }
                k
            });
            let availability_zone = r.opt_string(it, &p, "availabilityZone").and_then(|name| {
                let k = azs.iter().position(|a| *a == name);
                if k.is_none() {
                    r.err(
                        &join(&p, "availabilityZone"),
                        format!(
                            "\"{name}\" is not one of the group's availability zones ({})",
                            azs.join(", ")
                        ),
                    );
                }
                k
            });
            if it.contains_key("tasks") {
                let list = r.list(it, &p, "tasks").to_vec();
                seed_tasks.push((k, join(&p, "tasks"), list));
            }
            let ec2_instance_id = r.opt_string(it, &p, "ec2InstanceId");
            if let Some(id) = &ec2_instance_id {
                let hex = id.strip_prefix("i-").unwrap_or("");
                if !(hex.len() == 8 || hex.len() == 17)
                    || !hex.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    r.err(
                        &join(&p, "ec2InstanceId"),
                        format!("expected an EC2 instance id such as i-0a1b2c3d4e5f67890, found \"{id}\""),
                    );
                } else if seen_ids.contains(id) {
                    r.err(
                        &join(&p, "ec2InstanceId"),
                        format!("duplicate instance id \"{id}\""),
                    );
                } else {
                    seen_ids.push(id.clone());
                }
            }
            let attributes = match it.get("attributes") {
                Some(a) => attribute_table(r, a, &join(&p, "attributes")),
                None => Vec::new(),
            };
            // ECS's container instance status at time zero (D1).
            let draining = match it.get("status") {
                None => false,
                Some(v) => r
                    .choice(v, &join(&p, "status"), &["ACTIVE", "DRAINING"])
                    .is_some_and(|s| s == "DRAINING"),
            };
            instances.push(InstanceSeed {
                ec2_instance_id,
                attributes,
                instance_type,
                availability_zone,
                tasks: Vec::new(),
                draining,
            });
        }
        if let Some(c) = count {
            if instances.len() as u64 > c {
                r.err(
                    &ip,
                    format!(
                        "{} instances described but the group starts {c}",
                        instances.len()
                    ),
                );
            }
        }
        let ami_id = r
            .opt_string(g, &path, "amiId")
            .unwrap_or_else(|| "ami-ecs-optimized-al2023".into());
        let purchase = purchase_options(r, g, &path);
        let (min_size, max_size, target_tracking) =
            group_bounds(r, g, &path, count.unwrap_or(0) as u32);
        if let Some(count) = count {
            out.push(Group {
                spec: InstanceGroupSpec {
                    name,
                    instance_types: types,
                    availability_zones: azs,
                    count: count as u32,
                    launch_latency,
                    attributes,
                    instances,
                    ami_id,
                    distribution: purchase.distribution,
                    spot_draining: purchase.spot_draining,
                    capacity_rebalance: purchase.capacity_rebalance,
                    min_size,
                    max_size,
                    target_tracking,
                },
                path,
                seed_tasks,
            });
        }
    }
    let total: u32 = out.iter().map(|g| g.spec.count).sum();
    if total > 5000 {
        r.err("instanceGroups", format!("ECS allows at most 5,000 container instances per cluster; the groups start {total}"));
    }
    out
}

/// `[[maintenance]]`: drain an instance group at a given time (D1).
pub(crate) fn maintenance(r: &mut Reader, t: &Table, groups: &[Group]) -> Vec<Operation> {
    let mut out = Vec::new();
    for (i, v) in r.list(t, "", "maintenance").iter().enumerate() {
        let path = index("maintenance", i);
        let known = ["at", "instanceGroup", "replace", "terminateWhenDrained"];
        let Some(m) = r.table(v, &path, &known, &[]) else {
            continue;
        };
        let at = r
            .required(m, &path, "at")
            .and_then(|v| r.duration(v, &join(&path, "at")));
        let name = r.req_string(m, &path, "instanceGroup");
        let group = name.as_ref().and_then(|n| {
            let found = groups.iter().position(|g| &g.spec.name == n);
            if found.is_none() {
                let names: Vec<&str> = groups.iter().map(|g| g.spec.name.as_str()).collect();
                let hint = match closest(n, names.iter().copied()) {
                    Some(c) => format!("; did you mean \"{c}\"?"),
                    None => format!("; groups: {}", names.join(", ")),
                };
                r.err(
                    &join(&path, "instanceGroup"),
                    format!("unknown instance group \"{n}\"{hint}"),
                );
            }
            found
        });
        let replace = r.opt_bool(m, &path, "replace").unwrap_or(true);
        let terminate = r.opt_bool(m, &path, "terminateWhenDrained").unwrap_or(true);
        if let (Some(at), Some(group)) = (at, group) {
            out.push(Operation {
                at: SimTime::ZERO + at,
                kind: OperationKind::DrainGroup {
                    group: crate::model::InstanceGroupId(group as u32),
                    replace,
                    terminate,
                },
            });
        }
    }
    out
}

/// Agent settings a group's `agentConfig` may set.
const AGENT_KEYS: &[&str] = &["ECS_ENABLE_SPOT_INSTANCE_DRAINING"];

/// What a group's purchase-option fields say.
pub(crate) struct PurchaseOptions {
    pub distribution: Option<InstancesDistribution>,
    pub spot_draining: bool,
    pub capacity_rebalance: bool,
}

/// Reads `instancesDistribution`, `capacityRebalance` and `agentConfig` of a group.
fn purchase_options(r: &mut Reader, g: &Table, path: &str) -> PurchaseOptions {
    let mut out = PurchaseOptions {
        distribution: None,
        spot_draining: false,
        capacity_rebalance: r.opt_bool(g, path, "capacityRebalance").unwrap_or(false),
    };
    if let Some(v) = g.get("instancesDistribution") {
        let dp = join(path, "instancesDistribution");
        let known = [
            "onDemandBaseCapacity",
            "onDemandPercentageAboveBaseCapacity",
            "onDemandAllocationStrategy",
            "spotAllocationStrategy",
            "spotInstancePools",
        ];
        if let Some(d) = r.table(v, &dp, &known, &["spotMaxPrice"]) {
            let mut dist = InstancesDistribution::default();
            if let Some(x) = r.opt_uint(d, &dp, "onDemandBaseCapacity", 5000) {
                dist.on_demand_base_capacity = x as u32;
            }
            if let Some(x) = r.opt_uint(d, &dp, "onDemandPercentageAboveBaseCapacity", 100) {
                dist.on_demand_percentage_above_base = x as u32;
            }
            if let Some(v) = d.get("onDemandAllocationStrategy") {
                let p = join(&dp, "onDemandAllocationStrategy");
                if let Some(name) = r.choice(v, &p, OnDemandAllocation::NAMES) {
                    if let Some(a) = OnDemandAllocation::parse(&name) {
                        dist.on_demand_allocation = a;
                    }
                }
            }
            let pools = r
                .opt_uint(d, &dp, "spotInstancePools", 20)
                .map(|x| x as u32);
            if pools == Some(0) {
                r.err(&join(&dp, "spotInstancePools"), "expected 1 to 20");
            }
            match d.get("spotAllocationStrategy") {
                Some(v) => {
                    let p = join(&dp, "spotAllocationStrategy");
                    if let Some(name) = r.choice(v, &p, SpotAllocation::NAMES) {
                        if pools.is_some() && name != "lowest-price" {
                            r.err(
                                &join(&dp, "spotInstancePools"),
                                "spotInstancePools applies only to the lowest-price strategy",
                            );
                        }
                        if let Some(a) = SpotAllocation::parse(&name, pools.filter(|&n| n > 0)) {
                            dist.spot_allocation = a;
                        }
                    }
                }
                None if pools.is_some() => r.err(
                    &join(&dp, "spotInstancePools"),
                    "spotInstancePools needs spotAllocationStrategy = \"lowest-price\"",
                ),
                None => {}
            }
            out.distribution = Some(dist);
        }
    }
    if let Some(v) = g.get("agentConfig") {
        let ap = join(path, "agentConfig");
        if let Some(a) = r.table(v, &ap, AGENT_KEYS, &[]) {
            out.spot_draining = r
                .opt_bool(a, &ap, "ECS_ENABLE_SPOT_INSTANCE_DRAINING")
                .unwrap_or(false);
        }
    }
    out
}

/// `minSize`, `maxSize` and `targetTracking` of an instance group.
fn group_bounds(
    r: &mut Reader,
    g: &Table,
    path: &str,
    count: u32,
) -> (u32, u32, Option<AsgTargetTracking>) {
    let min = r
        .opt_uint(g, path, "minSize", 5000)
        .map_or(count.min(count), |x| x as u32);
    let max = r
        .opt_uint(g, path, "maxSize", 5000)
        .map_or(count.max(min), |x| x as u32);
    if min > max {
        r.err(
            &join(path, "maxSize"),
            format!("must be at least minSize ({min})"),
        );
    }
    if count < min || count > max {
        r.err(
            &join(path, "count"),
            format!("the initial desired capacity must lie within minSize {min} and maxSize {max}"),
        );
    }
    let tt = g.get("targetTracking").and_then(|v| {
        let tp = join(path, "targetTracking");
        let t = r.table(
            v,
            &tp,
            &["targetCpuReservation", "scaleInFactor", "warmup"],
            &[],
        )?;
        let target = r
            .required(t, &tp, "targetCpuReservation")
            .and_then(|v| r.number(v, &join(&tp, "targetCpuReservation")))?;
        if !(0.0..=100.0).contains(&target) || target == 0.0 {
            r.err(
                &join(&tp, "targetCpuReservation"),
                "expected a percentage above 0 and at most 100",
            );
        }
        let mut a = AsgTargetTracking::new(target, min, max);
        if let Some(f) = r.opt_number(t, &tp, "scaleInFactor") {
            if !(0.0..1.0).contains(&f) || f == 0.0 {
                r.err(
                    &join(&tp, "scaleInFactor"),
                    "expected a factor above 0 and below 1",
                );
            }
            a.scale_in_factor = f;
        }
        if let Some(w) = r.opt_duration(t, &tp, "warmup") {
            a.warmup = w;
        }
        Some(a)
    });
    (min, max, tt)
}
