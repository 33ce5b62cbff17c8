//! `[[taskDefinitions]]`: task definitions in ECS's own shape (`containerDefinitions`, `cpu`,
//! `memory`, `memoryReservation`, `portMappings`, `networkMode`,
//! `placementConstraints`), inline in the scenario or in a JSON file as
//! `describe-task-definition` or `register-task-definition` use it.
//! Fields ECS has but the simulator does not model are accepted and ignored,
//! so a real task definition can be pasted as is; misspelled fields are errors.
//! Read here; acts in engine/ through the services and jobs that run them
//! (sizes, ports and constraints at placement).

use std::path::Path;

use toml::{Table, Value};

use super::reader::{index, join, json_to_toml, Reader};
use super::units::{parse_cpu, parse_memory};
use crate::engine::TaskDefSpec;
use crate::model::taskdef::{ContainerDef, PortMapping, MAX_CONTAINERS};
use crate::model::{NetworkMode, Protocol, TaskDef};
use crate::placement::Constraint;
use crate::sim::SimDuration;

const TASKDEF_FIELDS: &[&str] = &[
    "family",
    "revision",
    "file",
    "networkMode",
    "cpu",
    "memory",
    "containerDefinitions",
    "placementConstraints",
    "requiresCompatibilities",
    "runtimePlatform",
    "ephemeralStorage",
];

/// ECS task-definition fields accepted and not modelled.
pub(crate) const TASKDEF_IGNORED: &[&str] = &[
    "taskDefinitionArn",
    "status",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
    "requiresAttributes",
    "compatibilities",
    "executionRoleArn",
    "taskRoleArn",
    "volumes",
    "tags",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "enableFaultInjection",
];

const CONTAINER_FIELDS: &[&str] = &[
    "name",
    "image",
    "cpu",
    "memory",
    "memoryReservation",
    "portMappings",
    "stopTimeout",
];

/// ECS container-definition fields accepted and not modelled.
pub(crate) const CONTAINER_IGNORED: &[&str] = &[
    "essential",
    "entryPoint",
    "command",
    "environment",
    "environmentFiles",
    "mountPoints",
    "volumesFrom",
    "linuxParameters",
    "secrets",
    "dependsOn",
    "startTimeout",
    "hostname",
    "user",
    "workingDirectory",
    "disableNetworking",
    "privileged",
    "readonlyRootFilesystem",
    "dnsServers",
    "dnsSearchDomains",
    "extraHosts",
    "dockerSecurityOptions",
    "interactive",
    "pseudoTerminal",
    "dockerLabels",
    "ulimits",
    "logConfiguration",
    "healthCheck",
    "systemControls",
    "resourceRequirements",
    "firelensConfiguration",
    "credentialSpecs",
    "repositoryCredentials",
    "links",
    "versionConsistency",
    "restartPolicy",
];

const PORT_FIELDS: &[&str] = &["containerPort", "hostPort", "protocol"];
pub(crate) const PORT_IGNORED: &[&str] =
    &["name", "appProtocol", "containerPortRange", "hostPortRange"];

/// A task definition read from the scenario: the model's definition, its
/// constraints, and where it came from (for error messages).
pub(crate) struct ReadTaskDef {
    pub def: TaskDef,
    pub constraints: Vec<Constraint>,
    /// What Fargate needs to know, checked when a service or job runs it there.
    pub fargate: FargateFields,
    /// `revision` (as `describe-task-definition` gives it), which lets two
    /// revisions of one family sit side by side.
    pub revision: Option<u32>,
}

/// The task-definition fields that matter on Fargate (F1, B2).
#[derive(Debug, Clone, Default)]
pub(crate) struct FargateFields {
    /// `requiresCompatibilities` includes `FARGATE`.
    pub requires_fargate: bool,
    /// `runtimePlatform.operatingSystemFamily`.
    pub os_family: Option<String>,
    /// `runtimePlatform.cpuArchitecture`.
    pub cpu_architecture: Option<String>,
    /// `ephemeralStorage.sizeInGiB` (default 20).
    pub ephemeral_gb: Option<f64>,
    /// The longest container `stopTimeout`, seconds, if any is set.
    pub max_stop_timeout_s: Option<u64>,
}

/// `[[taskDefinitions]]`, in order: the definitions (each family once),
/// their Fargate fields and their scenario paths.
pub(crate) fn section(
    r: &mut Reader,
    t: &Table,
    dir: &Path,
) -> (
    Vec<TaskDefSpec>,
    Vec<FargateFields>,
    Vec<String>,
    Vec<Option<u32>>,
) {
    let mut task_definitions: Vec<TaskDefSpec> = Vec::new();
    let mut td_fargate = Vec::new();
    let mut td_paths = Vec::new();
    let mut revisions: Vec<Option<u32>> = Vec::new();
    for (i, v) in r.list(t, "", "taskDefinitions").iter().enumerate() {
        let path = index("taskDefinitions", i);
        if let Some(td) = read(r, v, &path, dir) {
            td_fargate.push(td.fargate);
            td_paths.push(path.clone());
            // Two revisions of a family (a service mid-deployment) are
            // fine when both say which revision they are.
            let clash = task_definitions.iter().zip(&revisions).any(|(x, rev)| {
                x.def.family == td.def.family
                    && (rev.is_none() || td.revision.is_none() || *rev == td.revision)
            });
            if clash {
                r.err(
                    &join(&path, "family"),
                    format!(
                        "duplicate family \"{}\"; two revisions of a family each need their own `revision`",
                        td.def.family
                    ),
                );
            }
            revisions.push(td.revision);
            task_definitions.push(TaskDefSpec {
                def: td.def,
                constraints: td.constraints,
                fargate: None,
            });
        }
    }
    (task_definitions, td_fargate, td_paths, revisions)
}

/// Reads `taskDefinitions[i]`: inline, or `{ file = "x.json" }` relative to
/// the scenario's folder (errors then name the JSON file).
pub(crate) fn read(
    r: &mut Reader,
    v: &Value,
    path: &str,
    scenario_dir: &Path,
) -> Option<ReadTaskDef> {
    let t = r.table(v, path, TASKDEF_FIELDS, TASKDEF_IGNORED)?;
    if let Some(file) = r.opt_string(t, path, "file") {
        if t.len() > 1 {
            r.err(
                path,
                "a task definition given by `file` must have no other fields",
            );
            return None;
        }
        let full = scenario_dir.join(&file);
        let text = match super::limits::read_text(&full, super::limits::MAX_TEXT_FILE_BYTES) {
            Ok(s) => s,
            Err(e) => {
                r.err(&join(path, "file"), e);
                return None;
            }
        };
        let json: serde_json::Value = match serde_json::from_str(&text) {
            Ok(j) => j,
            Err(e) => {
                let mut sub = Reader::new(&full);
                sub.err("", format!("invalid JSON: {e}"));
                r.issues.append(&mut sub.issues);
                return None;
            }
        };
        // `aws ecs describe-task-definition` wraps it in {"taskDefinition": ...}.
        let mut sub = Reader::new(&full);
        let td = match json.get("taskDefinition") {
            Some(td) => {
                if json.get("tags").is_some() {
                    sub.ignore("tags");
                }
                td.clone()
            }
            None => json,
        };
        let value = json_to_toml(&td).unwrap_or(Value::Table(Table::new()));
        let out = read_inline(&mut sub, &value, "");
        r.absorb(sub);
        return out;
    }
    read_inline(r, v, path)
}

fn read_inline(r: &mut Reader, v: &Value, path: &str) -> Option<ReadTaskDef> {
    let t = r.table(v, path, TASKDEF_FIELDS, TASKDEF_IGNORED)?;
    let family = r.req_string(t, path, "family").unwrap_or_default();
    let network_mode = match t.get("networkMode") {
        None => NetworkMode::Bridge,
        Some(v) => match r
            .choice(
                v,
                &join(path, "networkMode"),
                &["bridge", "host", "awsvpc", "none"],
            )
            .as_deref()
        {
            Some("host") => NetworkMode::Host,
            Some("awsvpc") => NetworkMode::Awsvpc,
            Some("none") => NetworkMode::None,
            _ => NetworkMode::Bridge,
        },
    };
    let cpu = t
        .get("cpu")
        .and_then(|v| size(r, v, &join(path, "cpu"), parse_cpu));
    let memory = t
        .get("memory")
        .and_then(|v| size(r, v, &join(path, "memory"), parse_memory));
    let cpath = join(path, "containerDefinitions");
    let list = r.list(t, path, "containerDefinitions");
    if list.is_empty() {
        r.err(&cpath, "expected at least one container definition");
    } else if list.len() > MAX_CONTAINERS {
        r.err(
            &cpath,
            format!(
                "a task definition has at most {MAX_CONTAINERS} containers (R3), found {}",
                list.len()
            ),
        );
    }
    let mut containers = Vec::new();
    for (i, c) in list.iter().enumerate() {
        if let Some(c) = container(r, c, &index(&cpath, i), network_mode, memory.is_some()) {
            if containers.iter().any(|x: &ContainerDef| x.name == c.name) {
                r.err(
                    &join(&index(&cpath, i), "name"),
                    format!("duplicate container name \"{}\"", c.name),
                );
            }
            containers.push(c);
        }
    }
    let mut constraints = Vec::new();
    let ppath = join(path, "placementConstraints");
    for (i, c) in r.list(t, path, "placementConstraints").iter().enumerate() {
        let cp = index(&ppath, i);
        match super::values::constraint(r, c, &cp) {
            Some(Constraint::DistinctInstance) => r.err(
                &join(&cp, "type"),
                "a task definition accepts only memberOf constraints; put distinctInstance on the service or job",
            ),
            Some(c) => constraints.push(c),
            None => {}
        }
    }
    let def = TaskDef {
        family,
        network_mode,
        cpu,
        memory,
        containers,
    };
    let res = def.reservation();
    if res.memory == 0 && !def.containers.is_empty() {
        r.err(path, "the task reserves no memory: set task-level `memory` or container `memory`/`memoryReservation`");
    }
    let mut fargate = FargateFields::default();
    let rc = join(path, "requiresCompatibilities");
    for (i, v) in r
        .list(t, path, "requiresCompatibilities")
        .iter()
        .enumerate()
    {
        if r.choice(
            v,
            &index(&rc, i),
            &["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"],
        )
        .as_deref()
            == Some("FARGATE")
        {
            fargate.requires_fargate = true;
        }
    }
    if let Some(v) = t.get("runtimePlatform") {
        let rp = join(path, "runtimePlatform");
        if let Some(p) = r.table(v, &rp, &["operatingSystemFamily", "cpuArchitecture"], &[]) {
            fargate.os_family = r.opt_string(p, &rp, "operatingSystemFamily");
            fargate.cpu_architecture = r.opt_string(p, &rp, "cpuArchitecture");
        }
    }
    if let Some(v) = t.get("ephemeralStorage") {
        let ep = join(path, "ephemeralStorage");
        if let Some(e) = r.table(v, &ep, &["sizeInGiB"], &[]) {
            if let Some(gb) = r.opt_uint(e, &ep, "sizeInGiB", 200) {
                if gb < 21 {
                    r.err(
                        &join(&ep, "sizeInGiB"),
                        "expected 21 to 200 GiB (20 GiB come free without it)",
                    );
                }
                fargate.ephemeral_gb = Some(gb as f64);
            }
        }
    }
    fargate.max_stop_timeout_s = def
        .containers
        .iter()
        .filter_map(|c| c.stop_timeout.map(|d| d.as_millis() / 1000))
        .max();
    let revision = r
        .opt_uint(t, path, "revision", u64::from(u32::MAX))
        .map(|n| n as u32);
    Some(ReadTaskDef {
        def,
        constraints,
        fargate,
        revision,
    })
}

fn size(
    r: &mut Reader,
    v: &Value,
    path: &str,
    parse: fn(&str) -> Result<u32, String>,
) -> Option<u32> {
    let parsed = match v {
        Value::Integer(i) if *i > 0 && *i <= i64::from(u32::MAX) => Ok(*i as u32),
        Value::String(s) => parse(s),
        other => parse(&other.to_string()),
    };
    match parsed {
        Ok(0) => {
            r.err(path, "must be greater than zero");
            None
        }
        Ok(x) => Some(x),
        Err(e) => {
            r.err(path, e);
            None
        }
    }
}

fn container(
    r: &mut Reader,
    v: &Value,
    path: &str,
    mode: NetworkMode,
    task_memory: bool,
) -> Option<ContainerDef> {
    let t = r.table(v, path, CONTAINER_FIELDS, CONTAINER_IGNORED)?;
    let name = r.req_string(t, path, "name").unwrap_or_default();
    let image = r
        .opt_string(t, path, "image")
        .unwrap_or_else(|| format!("{name}:latest"));
    let cpu = r.opt_u32(t, path, "cpu").unwrap_or(0);
    let memory = r.opt_u32(t, path, "memory");
    let reservation = r.opt_u32(t, path, "memoryReservation");
    if let (Some(m), Some(res)) = (memory, reservation) {
        if m < res {
            r.err(
                &join(path, "memory"),
                format!("the hard limit `memory` ({m} MiB) must be at least `memoryReservation` ({res} MiB)"),
            );
        }
    }
    if memory.is_none() && reservation.is_none() && !task_memory {
        r.err(
            path,
            "set `memory` or `memoryReservation` (ECS requires one of them on EC2 when the task has no task-level memory)",
        );
    }
    let stop_timeout = r
        .opt_uint(t, path, "stopTimeout", 86_400)
        .map(SimDuration::from_secs);
    let mut port_mappings = Vec::new();
    let ppath = join(path, "portMappings");
    for (i, p) in r.list(t, path, "portMappings").iter().enumerate() {
        let pp = index(&ppath, i);
        let Some(pt) = r.table(p, &pp, PORT_FIELDS, PORT_IGNORED) else {
            continue;
        };
        let Some(cport) = r
            .required(pt, &pp, "containerPort")
            .and_then(|v| r.uint(v, &join(&pp, "containerPort"), 65_535))
        else {
            continue;
        };
        let hport = r.opt_uint(pt, &pp, "hostPort", 65_535).unwrap_or(0);
        let protocol = match pt.get("protocol") {
            Some(v) => match r
                .choice(v, &join(&pp, "protocol"), &["tcp", "udp"])
                .as_deref()
            {
                Some("udp") => Protocol::Udp,
                _ => Protocol::Tcp,
            },
            None => Protocol::Tcp,
        };
        if matches!(mode, NetworkMode::Host | NetworkMode::Awsvpc) && hport != 0 && hport != cport {
            r.err(
                &join(&pp, "hostPort"),
                format!(
                    "in {} network mode hostPort must be omitted or equal containerPort ({cport}), found {hport}",
                    mode.as_str()
                ),
            );
        }
        port_mappings.push(PortMapping {
            container_port: cport as u16,
            host_port: hport as u16,
            protocol,
        });
    }
    Some(ContainerDef {
        name,
        image,
        cpu,
        memory,
        memory_reservation: reservation,
        port_mappings,
        stop_timeout,
    })
}
