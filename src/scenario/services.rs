//! `[[services]]`: one ECS service each — task definition, REPLICA or DAEMON
//! scheduling, placement, `deploymentConfiguration` (with the deployment
//! circuit breaker), `desiredCountSchedule`, `deployments`, health-check
//! timing and failures, and the Fargate and DAEMON rules a service must obey.
//! Read here; acts in engine/services.rs (scheduler, deployments, D1–D4, T2).

use std::path::Path;

use toml::{Table, Value};

use super::reader::{index, join, Reader};
use super::values::{constraints, strategies};
use crate::engine::{
    Capacity, CircuitBreaker, Deployment, DesiredChange, HealthCheckFailures, ProtectedTasks,
    ProtectionSetting, Revision, ServiceKind, ServiceSpec, DEFAULT_PROTECTION_MINUTES,
    MAX_PROTECTION_MINUTES,
};
use crate::model::TaskDefId;
use crate::placement::{Constraint, Strategy};
use crate::sim::{SimDuration, SimTime};

pub(crate) type ResolveTd<'a> = dyn Fn(&mut Reader, &Table, &str) -> Option<TaskDefId> + 'a;

/// What services and jobs are read against.
pub(crate) struct Context<'a> {
    /// The scenario's folder (relative paths).
    pub(crate) dir: &'a Path,
    /// Task definition names to ids.
    pub(crate) resolve_td: &'a ResolveTd<'a>,
    /// The cluster's default capacity provider strategy.
    pub(crate) default_strategy: &'a Option<Capacity>,
    /// Names of the Auto Scaling group capacity providers.
    pub(crate) asg_names: &'a [String],
    /// Wall-clock time of time zero.
    pub(crate) start_epoch_s: i64,
}

/// Fields of a service as `describe-services` and `create-service` return
/// it that describe its current state, not its definition: accepted in a
/// `file =` JSON and ignored. (`deployments` there is AWS's list of rollouts,
/// not ecsim's scripted `deployments`.)
const SERVICE_STATE_FIELDS: &[&str] = &[
    "serviceArn",
    "clusterArn",
    "status",
    "runningCount",
    "pendingCount",
    "deployments",
    "taskSets",
    "events",
    "createdAt",
    "createdBy",
    "roleArn",
    "platformFamily",
    "currentServiceDeployment",
    "currentServiceRevisions",
    "resourceManagementType",
];

/// `[[services]]` with `file = "svc.json"`: a `create-service` input
/// (`--cli-input-json`), its output (`{"service": ...}`) or one element of
/// `describe-services`, relative to the scenario; keys written beside `file`
/// (`demand`, `autoScaling`, ...) are added and override the file's.
fn service_file(r: &mut Reader, v: &Value, path: &str, dir: &Path) -> Option<Value> {
    let fp = join(path, "file");
    let name = r.string(v.get("file")?, &fp)?;
    let full = dir.join(&name);
    let text = match super::limits::read_text(&full, super::limits::MAX_TEXT_FILE_BYTES) {
        Ok(t) => t,
        Err(e) => {
            r.err(&fp, e);
            return None;
        }
    };
    let json: serde_json::Value = match serde_json::from_str(&text) {
        Ok(j) => j,
        Err(e) => {
            r.err(&fp, format!("{name}: invalid JSON: {e}"));
            return None;
        }
    };
    if json.get("services").is_some() {
        r.err(
            &fp,
            format!("{name} is a whole describe-services output; save one element of its `services` list"),
        );
        return None;
    }
    let json = json.get("service").cloned().unwrap_or(json);
    let Some(Value::Table(mut t)) = super::reader::json_to_toml(&json) else {
        r.err(&fp, format!("{name}: expected a JSON object (a service)"));
        return None;
    };
    for key in SERVICE_STATE_FIELDS {
        if t.remove(*key).is_some() {
            r.ignore(&format!("{name}: {key}"));
        }
    }
    if let Some(inline) = v.as_table() {
        for (k, x) in inline {
            if k != "file" {
                t.insert(k.clone(), x.clone());
            }
        }
    }
    Some(Value::Table(t))
}

/// One `[[services]]` entry, with the times of its `deployments`.
pub(crate) fn service(
    r: &mut Reader,
    v: &Value,
    path: &str,
    cx: &Context,
) -> Option<(ServiceSpec, Vec<SimTime>)> {
    let merged;
    let v = match v.get("file") {
        Some(_) => {
            merged = service_file(r, v, path, cx.dir)?;
            &merged
        }
        None => v,
    };
    let (dir, resolve_td, default_strategy, asg_names, start_epoch_s) = (
        cx.dir,
        cx.resolve_td,
        cx.default_strategy,
        cx.asg_names,
        cx.start_epoch_s,
    );
    let known = [
        "serviceName",
        "taskDefinition",
        "desiredCount",
        "schedulingStrategy",
        "launchType",
        "placementStrategy",
        "placementConstraints",
        "deploymentConfiguration",
        "desiredCountSchedule",
        "loadBalancers",
        "healthyAfter",
        "deployments",
        "capacityProviderStrategy",
        "demand",
        "autoScaling",
        "healthCheckFailures",
        "taskCrashes",
        "startFailures",
        "imagePullFailures",
        "availabilityZoneRebalancing",
        "scaleInProtection",
    ];
    let ignored = [
        "cluster",
        "serviceRegistries",
        "platformVersion",
        "role",
        "clientToken",
        "healthCheckGracePeriodSeconds",
        "networkConfiguration",
        "deploymentController",
        "tags",
        "enableECSManagedTags",
        "propagateTags",
        "enableExecuteCommand",
        "serviceConnectConfiguration",
        "volumeConfigurations",
    ];
    let t = r.table(v, path, &known, &ignored)?;
    let name = r.req_string(t, path, "serviceName").unwrap_or_default();
    let td = resolve_td(r, t, path);
    let capacity = super::capacity_strategy::capacity(r, t, path, default_strategy, asg_names);
    let daemon = match t.get("schedulingStrategy") {
        Some(v) => {
            r.choice(v, &join(path, "schedulingStrategy"), &["REPLICA", "DAEMON"])
                .as_deref()
                == Some("DAEMON")
        }
        None => false,
    };
    let strategies = strategies(r, t, path);
    let constraints = constraints(r, t, path);
    let (deployment, breaker) = deployment_configuration(r, t, path, daemon);
    if capacity.is_fargate() {
        fargate_rules(r, path, daemon, &strategies, &constraints);
    }
    let kind = service_kind(r, t, path, daemon, &strategies);
    // T2: healthy 40 s after RUNNING without a load balancer; with one, after
    // the target group's checks pass (5 healthy checks 30 s apart by default).
    let balanced = t
        .get("loadBalancers")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let health_grace = r
        .opt_duration(t, path, "healthyAfter")
        .unwrap_or(if balanced {
            SimDuration::from_secs(150)
        } else {
            SimDuration::from_secs(40)
        });
    let demand = t
        .get("demand")
        .and_then(|v| super::demand::read(r, v, &join(path, "demand"), dir));
    if demand.is_some() && daemon {
        r.err(
            &join(path, "demand"),
            "a DAEMON service serves no demand of its own",
        );
    }
    let initial = match &kind {
        ServiceKind::Replica { desired, .. } => *desired,
        ServiceKind::Daemon => 0,
    };
    let (scaling, scheduled) = match t.get("autoScaling") {
        Some(_) if daemon => {
            r.err(
                &join(path, "autoScaling"),
                "DAEMON services have no desired count to scale",
            );
            (None, Vec::new())
        }
        Some(v) => {
            let ap = join(path, "autoScaling");
            let v = super::aws::auto_scaling(r, v, &ap, dir);
            match super::scaling::service_scaling(r, &v, &ap, initial, start_epoch_s, dir) {
                Some((s, a)) => (Some(s), a),
                None => (None, Vec::new()),
            }
        }
        None => (None, Vec::new()),
    };
    let health_check_failures = t.get("healthCheckFailures").and_then(|v| {
        let p = join(path, "healthCheckFailures");
        if daemon {
            r.err(&p, "health-check failures of DAEMON tasks are not modelled");
            return None;
        }
        health_check_failures(r, v, &p)
    });
    let task_failures = super::task_failures::read(r, t, path, dir, daemon);
    // X2: ENABLED by default, as CreateService sets it for a new service.
    let az_rebalancing = match t.get("availabilityZoneRebalancing") {
        Some(v) => {
            r.choice(
                v,
                &join(path, "availabilityZoneRebalancing"),
                &["ENABLED", "DISABLED"],
            )
            .as_deref()
                != Some("DISABLED")
        }
        None => true,
    };
    let scale_in_protection = match t.get("scaleInProtection") {
        Some(v) => {
            let p = join(path, "scaleInProtection");
            if daemon {
                r.err(
                    &p,
                    "DAEMON tasks have no scale-in to be protected from (X3)",
                );
                Vec::new()
            } else {
                scale_in_protection(r, v, &p)
            }
        }
        None => Vec::new(),
    };
    let (revisions, times) = deployments(r, t, path, daemon, td, resolve_td);
    Some((
        ServiceSpec {
            name,
            kind,
            task_def: td?,
            strategies,
            constraints,
            deployment,
            health_grace,
            circuit_breaker: breaker,
            revisions,
            capacity,
            demand,
            load_balanced: balanced,
            scaling,
            scheduled,
            health_check_failures,
            task_failures,
            az_rebalancing,
            scale_in_protection,
        },
        times,
    ))
}

/// Most health-check failures per task-hour: one a minute.
const MAX_HEALTH_FAILURES_PER_TASK_HOUR: f64 = 60.0;

/// `services.X.healthCheckFailures` (D3): `perTaskHour`, a Poisson rate per
/// healthy RUNNING task, and/or `replay = [{ at, tasks }]`.
fn health_check_failures(r: &mut Reader, v: &Value, path: &str) -> Option<HealthCheckFailures> {
    let t = r.table(v, path, &["perTaskHour", "replay"], &[])?;
    if !t.contains_key("perTaskHour") && !t.contains_key("replay") {
        r.err(path, "expected `perTaskHour` (failures per task-hour) or `replay` (a list of `{ at, tasks }`)");
        return None;
    }
    let mut ok = true;
    let mut spec = HealthCheckFailures::default();
    if let Some(rate) = r.opt_number(t, path, "perTaskHour") {
        if (0.0..=MAX_HEALTH_FAILURES_PER_TASK_HOUR).contains(&rate) {
            spec.per_task_hour = rate;
        } else {
            r.err(
                &join(path, "perTaskHour"),
                format!("expected a rate of failures per healthy task-hour from 0 to {MAX_HEALTH_FAILURES_PER_TASK_HOUR}, found {rate}"),
            );
            ok = false;
        }
    } else if t.contains_key("perTaskHour") {
        ok = false;
    }
    let (replay, read) = super::task_failures::replay_list(r, t, path);
    spec.replay = replay;
    ok &= read;
    spec.replay.sort_by_key(|e| e.at);
    ok.then_some(spec)
}

/// `services.X.scaleInProtection = [{ at, tasks, expiresInMinutes,
/// protectionEnabled, renewEvery, until }]` (X3): each entry is an
/// `UpdateTaskProtection` call on the `tasks` oldest RUNNING tasks (a count,
/// or a share such as `"50%"`), protecting them for `expiresInMinutes`
/// (1–2,880, default 120) or, with `protectionEnabled = false`, removing
/// their protection; `renewEvery` repeats the call until `until` (default:
/// the end of the run).
fn scale_in_protection(r: &mut Reader, v: &Value, path: &str) -> Vec<ProtectionSetting> {
    let Some(items) = v.as_array() else {
        r.err(
            path,
            format!(
                "expected a list of `{{ at, tasks, expiresInMinutes }}`, found {}",
                super::reader::type_name(v)
            ),
        );
        return Vec::new();
    };
    let known = [
        "at",
        "tasks",
        "expiresInMinutes",
        "protectionEnabled",
        "renewEvery",
        "until",
    ];
    let mut out = Vec::new();
    for (i, v) in items.iter().enumerate() {
        let p = index(path, i);
        let Some(e) = r.table(v, &p, &known, &[]) else {
            continue;
        };
        let at = r
            .required(e, &p, "at")
            .and_then(|v| r.duration(v, &join(&p, "at")));
        let tasks = r
            .required(e, &p, "tasks")
            .and_then(|v| protected_tasks(r, v, &join(&p, "tasks")));
        let enabled = r.opt_bool(e, &p, "protectionEnabled").unwrap_or(true);
        let minutes = match e.get("expiresInMinutes") {
            Some(_) if !enabled => {
                r.err(
                    &join(&p, "expiresInMinutes"),
                    "only a call with protectionEnabled = true sets an expiry",
                );
                None
            }
            Some(Value::Integer(m)) if (1..=i64::from(MAX_PROTECTION_MINUTES)).contains(m) => {
                Some(*m as u32)
            }
            Some(other) => {
                r.err(
                    &join(&p, "expiresInMinutes"),
                    format!(
                        "expected a whole number of minutes from 1 to {MAX_PROTECTION_MINUTES} (48 hours), found {}",
                        super::reader::describe(other)
                    ),
                );
                None
            }
            None => Some(DEFAULT_PROTECTION_MINUTES),
        };
        let renew_every = r.opt_duration(e, &p, "renewEvery");
        if renew_every.is_some_and(|d| d < SimDuration::from_mins(1)) {
            r.err(
                &join(&p, "renewEvery"),
                "expected a period of at least 1 minute",
            );
        }
        let until = e
            .get("until")
            .and_then(|v| r.duration(v, &join(&p, "until")))
            .map(|d| SimTime::ZERO + d);
        if until.is_some() && renew_every.is_none() {
            r.err(
                &join(&p, "until"),
                "`until` ends a `renewEvery` repetition; set `renewEvery` too",
            );
        }
        if let (Some(at), Some(tasks), Some(m)) = (at, tasks, minutes) {
            out.push(ProtectionSetting {
                at: SimTime::ZERO + at,
                tasks,
                enabled,
                expires: SimDuration::from_mins(u64::from(m)),
                renew_every: renew_every.filter(|d| *d >= SimDuration::from_mins(1)),
                until,
            });
        }
    }
    out.sort_by_key(|e| e.at);
    out
}

/// `tasks = 3` or `tasks = "50%"` in a `scaleInProtection` entry.
fn protected_tasks(r: &mut Reader, v: &Value, path: &str) -> Option<ProtectedTasks> {
    let expected =
        "expected a number of tasks (at least 1) or a share of the RUNNING tasks such as \"50%\"";
    match v {
        Value::Integer(n) if (1..=100_000).contains(n) => Some(ProtectedTasks::Count(*n as u32)),
        Value::String(s) => {
            let pct = s
                .trim()
                .strip_suffix('%')
                .and_then(|x| x.trim().parse::<u32>().ok())
                .filter(|x| (1..=100).contains(x));
            if pct.is_none() {
                r.err(path, format!("{expected}, found \"{s}\""));
            }
            pct.map(ProtectedTasks::Percent)
        }
        other => {
            r.err(
                path,
                format!("{expected}, found {}", super::reader::describe(other)),
            );
            None
        }
    }
}

/// `deploymentConfiguration` (D2): the deployment's percentages, whose
/// defaults depend on the scheduling strategy, and the circuit breaker (D4).
fn deployment_configuration(
    r: &mut Reader,
    t: &Table,
    path: &str,
    daemon: bool,
) -> (Deployment, Option<CircuitBreaker>) {
    let (dmin, dmax) = if daemon { (0, 100) } else { (100, 200) };
    let mut breaker = None;
    let mut deployment = Deployment {
        minimum_healthy_percent: dmin,
        maximum_percent: dmax,
    };
    let Some(v) = t.get("deploymentConfiguration") else {
        return (deployment, breaker);
    };
    let dp = join(path, "deploymentConfiguration");
    let ignored = ["alarms", "strategy", "bakeTimeInMinutes", "lifecycleHooks"];
    let known = [
        "minimumHealthyPercent",
        "maximumPercent",
        "deploymentCircuitBreaker",
    ];
    let Some(d) = r.table(v, &dp, &known, &ignored) else {
        return (deployment, breaker);
    };
    if let Some(v) = d.get("deploymentCircuitBreaker") {
        breaker = circuit_breaker(r, v, &join(&dp, "deploymentCircuitBreaker"));
    }
    if let Some(x) = r.opt_uint(d, &dp, "minimumHealthyPercent", 100) {
        deployment.minimum_healthy_percent = x as u32;
    }
    if let Some(x) = r.opt_uint(d, &dp, "maximumPercent", 2000) {
        deployment.maximum_percent = x as u32;
    }
    if deployment.maximum_percent
        < deployment
            .minimum_healthy_percent
            .max(if daemon { 0 } else { 100 })
    {
        r.err(
            &join(&dp, "maximumPercent"),
            format!(
                "must be at least 100 and at least minimumHealthyPercent ({})",
                deployment.minimum_healthy_percent
            ),
        );
    }
    (deployment, breaker)
}

/// `deploymentCircuitBreaker = { enable, rollback }` (D4): `None` unless enabled.
fn circuit_breaker(r: &mut Reader, v: &Value, cp: &str) -> Option<CircuitBreaker> {
    let c = r.table(v, cp, &["enable", "rollback"], &[])?;
    let enable = r
        .required(c, cp, "enable")
        .and_then(|_| r.opt_bool(c, cp, "enable"))
        .unwrap_or(false);
    let rollback = r.opt_bool(c, cp, "rollback").unwrap_or(false);
    enable.then_some(CircuitBreaker { rollback })
}

/// F1: what a service whose tasks run on Fargate may not have.
fn fargate_rules(
    r: &mut Reader,
    path: &str,
    daemon: bool,
    strategies: &[Strategy],
    constraints: &[Constraint],
) {
    if daemon {
        r.err(
            &join(path, "schedulingStrategy"),
            "DAEMON services do not run on Fargate",
        );
    }
    if !strategies.is_empty() {
        r.err(
            &join(path, "placementStrategy"),
            "Fargate tasks take no placement strategy: Fargate spreads them over AZs itself (F1)",
        );
    }
    if !constraints.is_empty() {
        r.err(
            &join(path, "placementConstraints"),
            "Fargate tasks take no placement constraints (F1)",
        );
    }
}

/// DAEMON (one task per instance, P10) or REPLICA with `desiredCount` and
/// its `desiredCountSchedule`.
fn service_kind(
    r: &mut Reader,
    t: &Table,
    path: &str,
    daemon: bool,
    strategies: &[Strategy],
) -> ServiceKind {
    if !daemon {
        let desired = r
            .required(t, path, "desiredCount")
            .and_then(|v| r.uint(v, &join(path, "desiredCount"), 100_000))
            .unwrap_or(0) as u32;
        let changes = desired_count_schedule(r, t, path);
        return ServiceKind::Replica { desired, changes };
    }
    if t.contains_key("desiredCount") {
        r.err(
            &join(path, "desiredCount"),
            "a DAEMON service runs one task per instance and takes no desiredCount",
        );
    }
    if !strategies.is_empty() {
        r.err(
            &join(path, "placementStrategy"),
            "a DAEMON service takes no placement strategy (P10)",
        );
    }
    if t.contains_key("desiredCountSchedule") {
        r.err(
            &join(path, "desiredCountSchedule"),
            "a DAEMON service has no desired count to change",
        );
    }
    ServiceKind::Daemon
}

/// `desiredCountSchedule = [{ at, desiredCount }]`, in time order.
fn desired_count_schedule(r: &mut Reader, t: &Table, path: &str) -> Vec<DesiredChange> {
    let mut changes = Vec::new();
    let spath = join(path, "desiredCountSchedule");
    for (i, v) in r.list(t, path, "desiredCountSchedule").iter().enumerate() {
        let p = index(&spath, i);
        let Some(ct) = r.table(v, &p, &["at", "desiredCount"], &[]) else {
            continue;
        };
        let at = r
            .required(ct, &p, "at")
            .and_then(|v| r.duration(v, &join(&p, "at")));
        let count = r
            .required(ct, &p, "desiredCount")
            .and_then(|v| r.uint(v, &join(&p, "desiredCount"), 100_000));
        if let (Some(at), Some(count)) = (at, count) {
            changes.push(DesiredChange {
                at: SimTime::ZERO + at,
                count: count as u32,
            });
        }
    }
    changes.sort_by_key(|c| c.at);
    changes
}

/// `deployments = [{ at, taskDefinition, failsToStart }]` (D2): the new
/// revisions and the times they are deployed. A revision without
/// `taskDefinition` redeploys the service's own (`td`).
fn deployments(
    r: &mut Reader,
    t: &Table,
    path: &str,
    daemon: bool,
    td: Option<TaskDefId>,
    resolve_td: &ResolveTd,
) -> (Vec<Revision>, Vec<SimTime>) {
    let mut revisions = Vec::new();
    let mut times = Vec::new();
    let dpath = join(path, "deployments");
    for (i, v) in r.list(t, path, "deployments").iter().enumerate() {
        let p = index(&dpath, i);
        let Some(dt) = r.table(v, &p, &["at", "taskDefinition", "failsToStart"], &[]) else {
            continue;
        };
        if daemon {
            r.err(
                &p,
                "deployments of DAEMON services are not modelled; deploy a REPLICA service",
            );
            continue;
        }
        let at = r
            .required(dt, &p, "at")
            .and_then(|v| r.duration(v, &join(&p, "at")));
        let def = if dt.contains_key("taskDefinition") {
            resolve_td(r, dt, &p)
        } else {
            td
        };
        let fails_to_start = r.opt_bool(dt, &p, "failsToStart").unwrap_or(false);
        if let (Some(at), Some(task_def)) = (at, def) {
            revisions.push(Revision {
                task_def,
                fails_to_start,
            });
            times.push(SimTime::ZERO + at);
        }
    }
    (revisions, times)
}
