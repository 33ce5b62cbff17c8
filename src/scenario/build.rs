//! The top level of a scenario: its own keys (`name`, `seed`, `duration`,
//! `startTime`), then each section in turn through its own file — cluster.rs,
//! groups.rs, taskdef.rs, services.rs, jobs.rs, fargate.rs,
//! capacity_providers.rs, commitments.rs, pricing.rs, spot.rs — into a
//! validated [`SimSpec`], then the checks that span sections
//! (cross_check.rs: sizes no instance can hold, constraints no instance can
//! satisfy) and the run limits (limits.rs).

use std::path::Path;

use toml::{Table, Value};

use super::cluster::{cluster, provisioning, service_throttle};
use super::groups::{instance_groups, instance_types, maintenance, Group};
use super::jobs::job;
use super::reader::{index, join, Reader};
use super::services::{service, Context};
use super::taskdef;
use crate::engine::{
    InstanceGroupSpec, JobSpec, Operation, OperationKind, ServiceSpec, SimSpec, TaskDefSpec,
};
use crate::model::TaskDefId;
use crate::sim::calendar::parse_instant;
use crate::sim::SimDuration;
use crate::text::closest;

const TOP_FIELDS: &[&str] = &[
    "name",
    "description",
    "seed",
    "duration",
    "startTime",
    "cluster",
    "instanceTypes",
    "instanceGroups",
    "taskDefinitions",
    "services",
    "batchJobs",
    "spot",
    "maintenance",
    "fargate",
    "pricing",
    "variants",
    "capacityProviders",
    "failures",
    "slo",
];

const DEFAULT_START: &str = "2026-01-01T00:00:00Z";

/// Builds the spec. `name_default` is used when the file has no `name`.
pub(crate) fn build(
    r: &mut Reader,
    root: &Value,
    dir: &Path,
    name_default: &str,
) -> Option<(SimSpec, u64)> {
    if let Some(t) = root.as_table() {
        // A sweep file names its base scenario and what to vary; a scenario
        // has neither `scenario` nor `parameters`/`zip`/`seeds`.
        let sweep_keys = ["parameters", "zip", "seeds"];
        if t.contains_key("scenario") && sweep_keys.iter().any(|k| t.contains_key(*k)) {
            r.err(
                "",
                format!(
                    "this is a sweep file (it has `scenario` and `{}`), not a scenario: run it with `ecsim sweep {}`",
                    sweep_keys.iter().find(|k| t.contains_key(**k)).unwrap_or(&"parameters"),
                    r.file.display()
                ),
            );
            return None;
        }
        // An optimize file names its base scenario and its decision variables.
        let optimize_keys = ["variables", "objective", "constraints", "search"];
        if t.contains_key("scenario") && optimize_keys.iter().any(|k| t.contains_key(*k)) {
            r.err(
                "",
                format!(
                    "this is an optimize file (it has `scenario` and `{}`), not a scenario: run it with `ecsim optimize {}`",
                    optimize_keys.iter().find(|k| t.contains_key(**k)).unwrap_or(&"variables"),
                    r.file.display()
                ),
            );
            return None;
        }
    }
    let t = r.table(root, "", TOP_FIELDS, &[])?;
    let name = r
        .opt_string(t, "", "name")
        .unwrap_or_else(|| name_default.to_string());
    r.folder_name("name", &name);
    let seed = r.opt_uint(t, "", "seed", u64::MAX >> 1).unwrap_or(1);
    let horizon = match r
        .required(t, "", "duration")
        .and_then(|v| r.duration(v, "duration"))
    {
        Some(d) if d.0 == 0 => {
            r.err("duration", "must be longer than zero");
            SimDuration::ZERO
        }
        Some(d) => d,
        None => SimDuration::ZERO,
    };
    let start_epoch_s = match t.get("startTime") {
        Some(v) => r.instant(v, "startTime").unwrap_or(0),
        None => parse_instant(DEFAULT_START).unwrap_or(0),
    };

    // Names of the Auto Scaling group capacity providers, for strategies.
    let asg_names: Vec<String> = t
        .get("capacityProviders")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let cluster = cluster(r, t, &asg_names);
    let (catalog, priced) = instance_types(r, t);
    let groups = instance_groups(r, t, &catalog, &priced, &cluster);

    // Task definitions, by family.
    let (mut task_definitions, td_fargate, td_paths, td_revisions) = taskdef::section(r, t, dir);
    let families: Vec<String> = task_definitions
        .iter()
        .map(|t| t.def.family.clone())
        .collect();
    let resolve_td = |r: &mut Reader, t: &Table, path: &str| -> Option<TaskDefId> {
        let name = r.req_string(t, path, "taskDefinition")?;
        // Accept `family`, `family:revision` and full ARNs; a family alone
        // is its latest revision (as in ECS).
        let tail = name.rsplit('/').next().unwrap_or(&name);
        let (family, revision) = match tail.split_once(':') {
            Some((f, rev)) => (f, rev.parse::<u32>().ok()),
            None => (tail, None),
        };
        let fams = &families;
        let of_family = || (0..fams.len()).filter(move |&i| fams[i] == family);
        let found = match revision {
            Some(rev) if of_family().any(|i| td_revisions[i].is_some()) => {
                let hit = of_family().find(|&i| td_revisions[i] == Some(rev));
                if hit.is_none() {
                    let known: Vec<String> = of_family()
                        .filter_map(|i| td_revisions[i].map(|n| format!("{family}:{n}")))
                        .collect();
                    r.err(
                        &join(path, "taskDefinition"),
                        format!(
                            "no revision {rev} of \"{family}\"; defined: {}",
                            known.join(", ")
                        ),
                    );
                    return None;
                }
                hit
            }
            _ => of_family().max_by_key(|&i| (td_revisions[i], std::cmp::Reverse(i))),
        };
        match found {
            Some(i) => Some(TaskDefId(i as u32)),
            None => {
                let hint = match closest(family, families.iter().map(String::as_str)) {
                    Some(c) => format!("; did you mean \"{c}\"?"),
                    None if families.is_empty() => "; no task definitions are defined".into(),
                    None => format!("; defined: {}", families.join(", ")),
                };
                r.err(
                    &join(path, "taskDefinition"),
                    format!("unknown task definition \"{family}\"{hint}"),
                );
                None
            }
        }
    };

    let cx = Context {
        dir,
        resolve_td: &resolve_td,
        default_strategy: &cluster.default_strategy,
        asg_names: &asg_names,
        start_epoch_s,
    };
    let mut services = Vec::new();
    let mut operations = Vec::new();
    for (i, v) in r.list(t, "", "services").iter().enumerate() {
        let path = index("services", i);
        if let Some((s, deploy_times)) = service(r, v, &path, &cx) {
            for (k, at) in deploy_times.into_iter().enumerate() {
                operations.push(Operation {
                    at,
                    kind: OperationKind::Deploy {
                        service: crate::model::ServiceId(services.len() as u32),
                        revision: k + 1,
                    },
                });
            }
            if services.iter().any(|x: &ServiceSpec| x.name == s.name) {
                r.err(
                    &join(&path, "serviceName"),
                    format!("duplicate service name \"{}\"", s.name),
                );
            }
            services.push(s);
        }
    }
    let mut jobs = Vec::new();
    let mut job_paths = Vec::new();
    for (i, v) in r.list(t, "", "batchJobs").iter().enumerate() {
        let path = index("batchJobs", i);
        if let Some(j) = job(r, v, &path, &cx, &task_definitions) {
            job_paths.push(path.clone());
            if jobs.iter().any(|x: &JobSpec| x.name == j.name) {
                r.err(
                    &join(&path, "name"),
                    format!("duplicate job name \"{}\"", j.name),
                );
            }
            jobs.push(j);
        }
    }

    let mut groups = groups;
    seed_tasks(
        r,
        &mut groups,
        &services,
        &jobs,
        &task_definitions,
        &resolve_td,
    );
    super::cross_check::cross_check(r, &groups, &task_definitions, &services, &jobs);
    let mut users = Vec::new();
    for (i, s) in services.iter().enumerate() {
        for td in std::iter::once(s.task_def).chain(s.revisions.iter().map(|v| v.task_def)) {
            users.push((td, s.capacity.clone(), index("services", i)));
        }
    }
    for (i, j) in jobs.iter().enumerate() {
        users.push((j.task_def, j.capacity.clone(), index("batchJobs", i)));
    }
    super::fargate::resolve_tasks(r, &mut task_definitions, &td_fargate, &td_paths, &users);
    let fargate = super::fargate::section(r, t, &cluster.azs);
    let group_names: Vec<String> = groups.iter().map(|g| g.spec.name.clone()).collect();
    let capacity_providers = super::capacity_providers::capacity_providers(r, t, &group_names);
    let provisioning = provisioning(r, t);
    let throttle = service_throttle(r, t);
    let pricing = super::pricing::pricing(
        r,
        t,
        dir,
        &cluster.region,
        &catalog,
        &groups,
        &task_definitions,
    );
    operations.extend(maintenance(r, t, &groups));
    operations.sort_by_key(|o| o.at);
    let spot = {
        let refs: Vec<(&InstanceGroupSpec, &str)> =
            groups.iter().map(|g| (&g.spec, g.path.as_str())).collect();
        super::spot::spot_section(r, t, dir, &refs, start_epoch_s, &cluster.region)
    };

    let failures = {
        let refs: Vec<&InstanceGroupSpec> = groups.iter().map(|g| &g.spec).collect();
        // Fargate's AZs are the scenario's only when something runs there.
        let on_fargate = services.iter().any(|s| s.capacity.is_fargate())
            || jobs.iter().any(|j| j.capacity.is_fargate());
        let known = super::failures::Known {
            groups: &refs,
            fargate_azs: if on_fargate {
                &fargate.availability_zones
            } else {
                &[]
            },
            start_epoch_s,
        };
        super::failures::failures_section(r, t, dir, &known)
    };

    let slo = {
        let svc: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        let job: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        super::slo::section(r, t, &svc, &job)
    };
    let spec = SimSpec {
        name,
        horizon,
        start_epoch_s,
        tie_break: cluster.tie_break,
        placement_retry: cluster.retry,
        sample_interval: cluster.sample,
        image_pull: cluster.image_pull,
        cached_start: cluster.cached_start,
        warm_start: cluster.warm_start,
        task_definitions,
        instance_groups: groups.into_iter().map(|g| g.spec).collect(),
        services,
        jobs,
        operations,
        spot,
        fargate,
        pricing: pricing?,
        capacity_providers,
        provisioning,
        throttle,
        failures,
        slo,
    };
    super::limits::check(r, &spec, &job_paths);
    super::failures::check_size(r, &spec);
    Some((spec, seed))
}

/// Resolves the tasks already running on described instances (`tasks` of
/// `instanceGroups[].instances[]`) and checks that they fit their instance:
/// CPU and memory within the type's registered resources (R2), host ports
/// disjoint and awsvpc tasks within the ENI capacity (R4).
fn seed_tasks(
    r: &mut Reader,
    groups: &mut [Group],
    services: &[ServiceSpec],
    jobs: &[JobSpec],
    tds: &[TaskDefSpec],
    resolve_td: &dyn Fn(&mut Reader, &Table, &str) -> Option<TaskDefId>,
) {
    for g in groups.iter_mut() {
        for (k, list_path, list) in std::mem::take(&mut g.seed_tasks) {
            let mut tasks = Vec::new();
            for (i, v) in list.iter().enumerate() {
                let p = index(&list_path, i);
                let Some(t) = r.table(v, &p, &["service", "job", "taskDefinition", "count"], &[])
                else {
                    continue;
                };
                if t.contains_key("job") {
                    // A batch job stream's task, of the job's task definition.
                    if t.contains_key("service") || t.contains_key("taskDefinition") {
                        r.err(&p, "a job's tasks take `job` and `count` only (not `service` or `taskDefinition`)");
                        continue;
                    }
                    let Some(name) = r.req_string(t, &p, "job") else {
                        continue;
                    };
                    let Some(jid) = jobs.iter().position(|j| j.name == name) else {
                        let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
                        r.err(
                            &join(&p, "job"),
                            format!("unknown job \"{name}\"; defined: {}", names.join(", ")),
                        );
                        continue;
                    };
                    if !matches!(
                        jobs[jid].capacity,
                        crate::engine::Capacity::Ec2 | crate::engine::Capacity::Asg(_)
                    ) {
                        r.err(&join(&p, "job"), format!("job \"{name}\" runs on Fargate: only EC2 tasks can be on a described instance"));
                        continue;
                    }
                    let count = r.opt_u32(t, &p, "count").unwrap_or(1);
                    tasks.push((
                        p,
                        name,
                        crate::engine::SeedTask {
                            owner: crate::engine::SeedOwner::Job(crate::model::JobId(jid as u32)),
                            task_def: jobs[jid].task_def,
                            count,
                        },
                    ));
                    continue;
                }
                let Some(name) = r.req_string(t, &p, "service") else {
                    continue;
                };
                let Some(sid) = services.iter().position(|s| s.name == name) else {
                    let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
                    r.err(
                        &join(&p, "service"),
                        format!("unknown service \"{name}\"; defined: {}", names.join(", ")),
                    );
                    continue;
                };
                let svc = &services[sid];
                if !matches!(svc.kind, crate::engine::ServiceKind::Replica { .. })
                    || !matches!(
                        svc.capacity,
                        crate::engine::Capacity::Ec2 | crate::engine::Capacity::Asg(_)
                    )
                {
                    r.err(
                        &join(&p, "service"),
                        format!("\"{name}\" is not a REPLICA service on EC2: only those can have tasks on a described instance"),
                    );
                    continue;
                }
                let td = if t.contains_key("taskDefinition") {
                    let Some(td) = resolve_td(r, t, &p) else {
                        continue;
                    };
                    let revisions: Vec<TaskDefId> = std::iter::once(svc.task_def)
                        .chain(svc.revisions.iter().map(|v| v.task_def))
                        .collect();
                    // Its own revision, a deployment's, or an older
                    // revision of its family still running mid-deployment.
                    let family = &tds[svc.task_def.index()].def.family;
                    if !revisions.contains(&td) && tds[td.index()].def.family != *family {
                        r.err(
                            &join(&p, "taskDefinition"),
                            format!("service \"{name}\" does not use this task definition (its taskDefinition's family \"{family}\", or a deployment's)"),
                        );
                        continue;
                    }
                    td
                } else {
                    svc.task_def
                };
                let count = r.opt_u32(t, &p, "count").unwrap_or(1);
                tasks.push((
                    p,
                    name.clone(),
                    crate::engine::SeedTask {
                        owner: crate::engine::SeedOwner::Service(crate::model::ServiceId(
                            sid as u32,
                        )),
                        task_def: td,
                        count,
                    },
                ));
            }
            // Does it fit? Against its own type, or every type of the group.
            let seed = &g.spec.instances[k];
            let id = seed
                .ec2_instance_id
                .clone()
                .unwrap_or_else(|| format!("instance {k} of group {}", g.spec.name));
            let types: Vec<usize> = match seed.instance_type {
                Some(t) => vec![t],
                None => (0..g.spec.instance_types.len()).collect(),
            };
            for ty in types.into_iter().map(|t| &g.spec.instance_types[t]) {
                let (mut cpu, mut memory, mut enis) = (0u64, 0u64, 0u64);
                let mut ports: Vec<crate::model::HostPort> = Vec::new();
                for (p, owner, st) in &tasks {
                    let def = &tds[st.task_def.index()].def;
                    let res = def.reservation();
                    let n = u64::from(st.count);
                    cpu += u64::from(res.cpu) * n;
                    memory += u64::from(res.memory) * n;
                    if def.needs_eni() {
                        enis += n;
                    }
                    let what = format!("{id} ({}): tasks of {owner} ({})", ty.name, def.family);
                    if cpu > u64::from(ty.registered.cpu)
                        || memory > u64::from(ty.registered.memory)
                    {
                        r.err(p, format!("{what} do not fit: {cpu} CPU units and {memory} MiB on an instance that registers {} and {} MiB (R2, R3)", ty.registered.cpu, ty.registered.memory));
                    } else if enis > u64::from(ty.eni_capacity) {
                        r.err(p, format!("{what} do not fit: {enis} awsvpc tasks on an instance with {} task ENIs (R4)", ty.eni_capacity));
                    } else {
                        for _ in 0..st.count {
                            for hp in def.host_ports() {
                                if ports.contains(&hp) {
                                    r.err(
                                        p,
                                        format!(
                                            "{what} do not fit: host port {} is taken twice (R4)",
                                            hp.port
                                        ),
                                    );
                                } else {
                                    ports.push(hp);
                                }
                            }
                        }
                    }
                }
            }
            g.spec.instances[k].tasks = tasks.into_iter().map(|(_, _, st)| st).collect();
        }
    }
}
