//! `ecsim import`: a scenario from a folder of AWS CLI JSON outputs
//! (`describe-clusters`, `describe-services`, `describe-task-definition`,
//! `describe-container-instances`, `describe-capacity-providers`,
//! `describe-auto-scaling-groups`, Application Auto Scaling's
//! `describe-scalable-targets`, `describe-scaling-policies` and
//! `describe-scheduled-actions`, `describe-spot-price-history`, and
//! CloudWatch `get-metric-data` with `req_<service>`/`cpu_<service>` series
//! for demand traces; the README has the script that writes them).
//!
//! Files are recognised by their top-level key, not their name. Every
//! section of the written scenario starts with comments naming the file and
//! element it came from and every field of it that was not mapped, with the
//! reason where one is known; fields of no section are listed at the top.
//! Nothing is dropped silently ([`source::Source::unmapped`]).
//!
//! Depends on `scenario/` only for the lists of task-definition fields that
//! scenario reading accepts and ignores. Reads the folder; writing is
//! [`Imported::write`]. Output is deterministic: files in name order, JSON
//! in document order.

pub mod source;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use toml::Value;

use crate::scaling::scheduled::Schedule;
use crate::scenario::taskdef::{CONTAINER_IGNORED, PORT_IGNORED, TASKDEF_IGNORED};
use source::{index, join, under, Source};

/// Why a folder could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("{0}")]
    Folder(String),
}

/// What the user may set on the command line.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Simulated horizon (`duration`), e.g. `"1d"`.
    pub duration: String,
    /// Wall-clock of time zero (`startTime`), if given.
    pub start: Option<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            duration: "1d".into(),
            start: None,
        }
    }
}

/// An imported scenario: its text, the files beside it, and the sources
/// with what was mapped of them.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The scenario TOML, comments included.
    pub scenario: String,
    /// Files the scenario refers to, relative to it (task definitions,
    /// the spot price history).
    pub files: Vec<(PathBuf, String)>,
    /// The AWS CLI outputs read, in file-name order.
    pub sources: Vec<Source>,
}

impl Imported {
    /// Writes the scenario to `out` and its files beside it.
    pub fn write(&self, out: &Path) -> std::io::Result<()> {
        let dir = out.parent().unwrap_or(Path::new("."));
        for (rel, text) in &self.files {
            let p = dir.join(rel);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&p, text)?;
        }
        std::fs::write(out, &self.scenario)
    }
}

/// Which AWS CLI output a file is, by its top-level key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Clusters,
    ContainerInstances,
    AutoScalingGroups,
    CapacityProviders,
    TaskDefinition,
    Services,
    ScalableTargets,
    ScalingPolicies,
    ScheduledActions,
    SpotPrices,
    MetricData,
    Tasks,
}

const KINDS: &[(&str, Kind, &str)] = &[
    ("clusters", Kind::Clusters, "aws ecs describe-clusters"),
    (
        "containerInstances",
        Kind::ContainerInstances,
        "aws ecs describe-container-instances",
    ),
    (
        "AutoScalingGroups",
        Kind::AutoScalingGroups,
        "aws autoscaling describe-auto-scaling-groups",
    ),
    (
        "capacityProviders",
        Kind::CapacityProviders,
        "aws ecs describe-capacity-providers",
    ),
    (
        "taskDefinition",
        Kind::TaskDefinition,
        "aws ecs describe-task-definition",
    ),
    ("services", Kind::Services, "aws ecs describe-services"),
    (
        "ScalableTargets",
        Kind::ScalableTargets,
        "aws application-autoscaling describe-scalable-targets",
    ),
    (
        "ScalingPolicies",
        Kind::ScalingPolicies,
        "aws application-autoscaling describe-scaling-policies",
    ),
    (
        "ScheduledActions",
        Kind::ScheduledActions,
        "aws application-autoscaling describe-scheduled-actions",
    ),
    (
        "SpotPriceHistory",
        Kind::SpotPrices,
        "aws ec2 describe-spot-price-history",
    ),
    (
        "MetricDataResults",
        Kind::MetricData,
        "aws cloudwatch get-metric-data",
    ),
    ("tasks", Kind::Tasks, "aws ecs describe-tasks"),
];

/// One `[table]` or `[[array]]` entry of the written scenario.
struct Section {
    /// `[cluster]`, `[[services]]`, ...
    header: String,
    /// (source, element path, label) it was made from.
    origins: Vec<(usize, String, String)>,
    entries: Vec<(String, Value)>,
}

impl Section {
    fn new(header: &str) -> Self {
        Section {
            header: header.into(),
            origins: Vec::new(),
            entries: Vec::new(),
        }
    }
    fn set(&mut self, key: &str, v: Value) {
        self.entries.push((key.into(), v));
    }
}

/// A container instance as read: where it is in its file and what of it
/// becomes part of its group.
struct Ci {
    src: usize,
    path: String,
    ec2: String,
    itype: Option<String>,
    az: Option<String>,
    ami: Option<String>,
    /// Its `containerInstanceArn`, for describe-tasks.
    arn: String,
    /// RUNNING service tasks on it by (service, `family:revision`).
    tasks: BTreeMap<(String, String), i64>,
    /// Custom attributes (name -> value).
    custom: BTreeMap<String, String>,
    /// DRAINING when described.
    draining: bool,
    /// Path of each attribute by name.
    attr_paths: BTreeMap<String, String>,
}

/// The reading state: sources and what each kind has.
struct Ctx {
    sources: Vec<Source>,
    kinds: Vec<Kind>,
}

impl Ctx {
    fn of(&self, kind: Kind) -> Vec<usize> {
        (0..self.sources.len())
            .filter(|&i| self.kinds[i] == kind)
            .collect()
    }
    /// The value at `path` (dotted, with `[i]`) of source `s`, marked mapped.
    fn take(&mut self, s: usize, path: &str) -> Option<Json> {
        let v = lookup(&self.sources[s].json, path)?.clone();
        self.sources[s].mark(path);
        Some(v)
    }
    /// The value at `path`, not marked.
    fn peek(&self, s: usize, path: &str) -> Option<&Json> {
        lookup(&self.sources[s].json, path)
    }
    fn str_at(&mut self, s: usize, path: &str) -> Option<String> {
        self.take(s, path)
            .and_then(|v| v.as_str().map(str::to_string))
    }
    fn len(&self, s: usize, path: &str) -> usize {
        self.peek(s, path)
            .and_then(Json::as_array)
            .map_or(0, Vec::len)
    }
}

/// The value at a `a.b[2].c` path.
fn lookup<'a>(v: &'a Json, path: &str) -> Option<&'a Json> {
    let mut cur = v;
    for part in path.split('.') {
        let (key, rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            cur = cur.get(key)?;
        }
        for idx in rest.split('[').skip(1) {
            let i: usize = idx.trim_end_matches(']').parse().ok()?;
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

/// JSON to a TOML value (nulls dropped), keys in document order.
fn to_toml(v: &Json) -> Option<Value> {
    crate::scenario::reader::json_to_toml(v)
}

fn s(v: impl Into<String>) -> Value {
    Value::String(v.into())
}

/// `family:revision` of a task definition ARN (or the text as is).
fn family_revision(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

/// Reads a folder of AWS CLI outputs into a scenario.
pub fn import_dir(dir: &Path, opts: &ImportOptions) -> Result<Imported, ImportError> {
    let rd = std::fs::read_dir(dir).map_err(|e| ImportError::File {
        path: dir.into(),
        message: format!("cannot read the folder: {e}"),
    })?;
    let mut names: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    let mut ctx = Ctx {
        sources: Vec::new(),
        kinds: Vec::new(),
    };
    for path in &names {
        let text = std::fs::read_to_string(path).map_err(|e| ImportError::File {
            path: path.clone(),
            message: format!("cannot read: {e}"),
        })?;
        let json: Json = serde_json::from_str(&text).map_err(|e| ImportError::File {
            path: path.clone(),
            message: format!("not valid JSON: {e}"),
        })?;
        let kind = KINDS
            .iter()
            .find(|(key, _, _)| json.get(key).is_some())
            .map(|k| k.1)
            .ok_or_else(|| ImportError::File {
                path: path.clone(),
                message: format!(
                    "not an AWS CLI output ecsim imports; expected the output of one of: {}",
                    KINDS.iter().map(|k| k.2).collect::<Vec<_>>().join(", ")
                ),
            })?;
        let file = path
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
        ctx.sources.push(Source::new(file, json));
        ctx.kinds.push(kind);
    }
    if ctx.of(Kind::Services).is_empty() && ctx.of(Kind::ContainerInstances).is_empty() {
        return Err(ImportError::Folder(format!(
            "{}: no describe-services or describe-container-instances output found",
            dir.display()
        )));
    }
    build(ctx, dir, opts)
}

fn build(mut ctx: Ctx, dir: &Path, opts: &ImportOptions) -> Result<Imported, ImportError> {
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut top: Vec<(String, Value)> = Vec::new();
    let mut sections: Vec<Section> = Vec::new();

    // --- the cluster -----------------------------------------------------
    let mut cluster = Section::new("[cluster]");
    let mut name = dir
        .file_name()
        .map_or_else(|| "imported".into(), |f| f.to_string_lossy().into_owned());
    let cluster_src = ctx.of(Kind::Clusters).first().copied();
    if let Some(c) = cluster_src {
        if ctx.len(c, "clusters") > 1 {
            ctx.sources[c].why(
                "clusters[1]",
                "one cluster is imported, the first of the file",
            );
        }
        let p = "clusters[0]";
        cluster.origins.push((c, p.into(), "the cluster".into()));
        if let Some(n) = ctx.str_at(c, &join(p, "clusterName")) {
            name = n;
        }
        let dp = join(p, "defaultCapacityProviderStrategy");
        if ctx.len(c, &dp) > 0 {
            if let Some(v) = ctx.take(c, &dp).as_ref().and_then(to_toml) {
                cluster.set("defaultCapacityProviderStrategy", v);
            }
        }
        // The list of providers is what [[capacityProviders]] and the
        // built-in FARGATE/FARGATE_SPOT say.
        ctx.sources[c].mark(&join(p, "capacityProviders"));
    }
    top.push(("name".into(), s(name.clone())));
    top.push(("seed".into(), Value::Integer(1)));
    top.push(("duration".into(), s(opts.duration.clone())));
    if let Some(st) = &opts.start {
        top.push(("startTime".into(), s(st.clone())));
    }

    // --- container instances, by EC2 id ------------------------------------
    let have_tasks = !ctx.of(Kind::Tasks).is_empty();
    let mut cis: Vec<Ci> = Vec::new();
    for c in ctx.of(Kind::ContainerInstances) {
        for i in 0..ctx.len(c, "containerInstances") {
            let p = index("containerInstances", i);
            let ec2 = ctx
                .str_at(c, &join(&p, "ec2InstanceId"))
                .unwrap_or_default();
            let arn = ctx
                .str_at(c, &join(&p, "containerInstanceArn"))
                .unwrap_or_default();
            let mut ci = Ci {
                src: c,
                path: p.clone(),
                ec2,
                arn,
                tasks: BTreeMap::new(),
                itype: None,
                az: None,
                ami: None,
                custom: BTreeMap::new(),
                attr_paths: BTreeMap::new(),
                draining: false,
            };
            for a in 0..ctx.len(c, &join(&p, "attributes")) {
                let ap = index(&join(&p, "attributes"), a);
                let key = ctx
                    .peek(c, &join(&ap, "name"))
                    .and_then(Json::as_str)
                    .unwrap_or("")
                    .to_string();
                let value = ctx
                    .peek(c, &join(&ap, "value"))
                    .and_then(Json::as_str)
                    .map(str::to_string);
                ci.attr_paths.insert(key.clone(), ap);
                match (key.as_str(), value) {
                    ("ecs.instance-type", Some(v)) => ci.itype = Some(v),
                    ("ecs.availability-zone", Some(v)) => ci.az = Some(v),
                    ("ecs.ami-id", Some(v)) => ci.ami = Some(v),
                    // Other ecs.* and com.amazonaws.* attributes are set by
                    // the agent (ecsim derives them from the type).
                    (k, _) if k.starts_with("ecs.") || k.starts_with("com.amazonaws.") => {}
                    (k, Some(v)) => {
                        ci.custom.insert(k.to_string(), v);
                    }
                    _ => {}
                }
            }
            let status = ctx
                .peek(c, &join(&p, "status"))
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            match status.as_str() {
                "ACTIVE" => ctx.sources[c].mark(&join(&p, "status")),
                "DRAINING" => {
                    ci.draining = true;
                    ctx.sources[c].mark(&join(&p, "status"));
                }
                _ => {}
            }
            if have_tasks {
                // The describe-tasks output says which tasks these are.
                ctx.sources[c].mark(&join(&p, "runningTasksCount"));
            } else {
                ctx.sources[c].why(
                    &join(&p, "runningTasksCount"),
                    "which tasks run here needs describe-tasks output: without it, services start from an empty cluster",
                );
            }
            ctx.sources[c].why(
                &join(&p, "registeredResources"),
                "ecsim uses the catalogue's CPU and memory for the instance type",
            );
            cis.push(ci);
        }
    }

    // --- tasks already running, on their container instances ---------------
    for t in ctx.of(Kind::Tasks) {
        for i in 0..ctx.len(t, "tasks") {
            let p = index("tasks", i);
            let status = ctx
                .peek(t, &join(&p, "lastStatus"))
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            if status != "RUNNING" {
                ctx.sources[t].why(&p, format!("{status}: only RUNNING tasks are imported"));
                continue;
            }
            let group = ctx
                .peek(t, &join(&p, "group"))
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            let Some(service) = group.strip_prefix("service:").map(str::to_string) else {
                ctx.sources[t].why(
                    &p,
                    format!(
                        "a standalone task (group \"{group}\"): only service tasks are imported"
                    ),
                );
                continue;
            };
            let on = ctx
                .peek(t, &join(&p, "containerInstanceArn"))
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            let Some(ci) = cis.iter_mut().find(|c| !on.is_empty() && c.arn == on) else {
                ctx.sources[t].why(
                    &p,
                    "not on a container instance of describe-container-instances (Fargate, or an instance not listed)",
                );
                continue;
            };
            let Some(td) = ctx
                .peek(t, &join(&p, "taskDefinitionArn"))
                .and_then(Json::as_str)
                .map(family_revision)
            else {
                ctx.sources[t].why(&p, "no taskDefinitionArn");
                continue;
            };
            *ci.tasks.entry((service, td)).or_default() += 1;
            for k in [
                "lastStatus",
                "group",
                "containerInstanceArn",
                "taskDefinitionArn",
                "desiredStatus",
                "launchType",
                "capacityProviderName",
                "availabilityZone",
            ] {
                ctx.sources[t].mark(&join(&p, k));
            }
        }
    }

    // --- Auto Scaling groups -> [[instanceGroups]] ------------------------
    let mut azs: BTreeSet<String> = BTreeSet::new();
    let mut group_names: Vec<String> = Vec::new();
    let mut grouped: BTreeSet<String> = BTreeSet::new();
    let mut group_sections: Vec<Section> = Vec::new();
    for a in ctx.of(Kind::AutoScalingGroups) {
        for g in 0..ctx.len(a, "AutoScalingGroups") {
            let p = index("AutoScalingGroups", g);
            let mut sec = Section::new("[[instanceGroups]]");
            let gname = ctx
                .str_at(a, &join(&p, "AutoScalingGroupName"))
                .unwrap_or_else(|| format!("asg-{g}"));
            sec.origins.push((a, p.clone(), gname.clone()));
            sec.set("name", s(gname.clone()));
            // Members: instance ids, for the container instances' attributes.
            let mut types: Vec<String> = Vec::new();
            let mut members: Vec<String> = Vec::new();
            for i in 0..ctx.len(a, &join(&p, "Instances")) {
                let ip = index(&join(&p, "Instances"), i);
                if let Some(id) = ctx.str_at(a, &join(&ip, "InstanceId")) {
                    members.push(id);
                }
                if let Some(t) = ctx.str_at(a, &join(&ip, "InstanceType")) {
                    if !types.contains(&t) {
                        types.push(t);
                    }
                }
                ctx.sources[a].mark(&join(&ip, "AvailabilityZone"));
            }
            let mip = join(&p, "MixedInstancesPolicy");
            let op = join(&mip, "LaunchTemplate.Overrides");
            if ctx.len(a, &op) > 0 {
                types.clear();
                for o in 0..ctx.len(a, &op) {
                    if let Some(t) = ctx.str_at(a, &join(&index(&op, o), "InstanceType")) {
                        types.push(t);
                    }
                }
            }
            if types.is_empty() {
                ctx.sources[a].why(
                    &p,
                    "no instance type: neither Overrides nor instances name one",
                );
            }
            sec.set(
                "instanceTypes",
                Value::Array(types.into_iter().map(s).collect()),
            );
            if let Some(Json::Array(z)) = ctx.take(a, &join(&p, "AvailabilityZones")) {
                let z: Vec<String> = z
                    .iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect();
                azs.extend(z.iter().cloned());
                sec.set(
                    "availabilityZones",
                    Value::Array(z.into_iter().map(s).collect()),
                );
            }
            for (aws, ours) in [
                ("DesiredCapacity", "count"),
                ("MinSize", "minSize"),
                ("MaxSize", "maxSize"),
            ] {
                if let Some(n) = ctx.take(a, &join(&p, aws)).and_then(|v| v.as_i64()) {
                    sec.set(ours, Value::Integer(n));
                }
            }
            if let Some(b) = ctx
                .take(a, &join(&p, "CapacityRebalance"))
                .and_then(|v| v.as_bool())
            {
                if b {
                    sec.set("capacityRebalance", Value::Boolean(true));
                }
            }
            let dp = join(&mip, "InstancesDistribution");
            if ctx.peek(a, &dp).is_some() {
                let mut d = toml::Table::new();
                for (aws, ours) in [
                    ("OnDemandBaseCapacity", "onDemandBaseCapacity"),
                    (
                        "OnDemandPercentageAboveBaseCapacity",
                        "onDemandPercentageAboveBaseCapacity",
                    ),
                    ("SpotAllocationStrategy", "spotAllocationStrategy"),
                    ("SpotInstancePools", "spotInstancePools"),
                    ("OnDemandAllocationStrategy", "onDemandAllocationStrategy"),
                ] {
                    if let Some(v) = ctx.take(a, &join(&dp, aws)).as_ref().and_then(to_toml) {
                        d.insert(ours.into(), v);
                    }
                }
                sec.set("instancesDistribution", Value::Table(d));
            }
            // Attributes common to all members.
            let mine: Vec<&Ci> = cis.iter().filter(|c| members.contains(&c.ec2)).collect();
            common_attributes(&mut ctx, &mut sec, &mine);
            sec.origins
                .extend(mine.iter().map(|c| (c.src, c.path.clone(), c.ec2.clone())));
            grouped.extend(mine.iter().map(|c| c.ec2.clone()));
            group_names.push(gname);
            group_sections.push(sec);
        }
    }
    // Instances of no Auto Scaling group: one group per type.
    let mut loose: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, c) in cis.iter().enumerate() {
        if !grouped.contains(&c.ec2) {
            let t = c.itype.clone().unwrap_or_default();
            loose.entry(t).or_default().push(i);
        }
    }
    for (t, members) in &loose {
        let gname = format!("standalone-{}", t.replace('.', "-"));
        let mut sec = Section::new("[[instanceGroups]]");
        let mine: Vec<&Ci> = members.iter().map(|&i| &cis[i]).collect();
        for c in &mine {
            sec.origins.push((c.src, c.path.clone(), c.ec2.clone()));
        }
        sec.set("name", s(gname.clone()));
        sec.set("instanceTypes", Value::Array(vec![s(t.clone())]));
        let z: BTreeSet<String> = mine.iter().filter_map(|c| c.az.clone()).collect();
        azs.extend(z.iter().cloned());
        sec.set(
            "availabilityZones",
            Value::Array(z.into_iter().map(s).collect()),
        );
        sec.set("count", Value::Integer(mine.len() as i64));
        common_attributes(&mut ctx, &mut sec, &mine);
        group_names.push(gname);
        group_sections.push(sec);
    }
    if !azs.is_empty() {
        cluster.set(
            "availabilityZones",
            Value::Array(azs.iter().cloned().map(s).collect()),
        );
    }
    sections.push(cluster);
    sections.extend(group_sections);

    // --- capacity providers ------------------------------------------------
    for c in ctx.of(Kind::CapacityProviders) {
        for i in 0..ctx.len(c, "capacityProviders") {
            let p = index("capacityProviders", i);
            let cname = ctx
                .peek(c, &join(&p, "name"))
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            let ap = join(&p, "autoScalingGroupProvider");
            if ctx.peek(c, &ap).is_none() {
                if cname == "FARGATE" || cname == "FARGATE_SPOT" {
                    // Built in: nothing to write.
                    ctx.sources[c].mark(&join(&p, "name"));
                }
                continue;
            }
            let mut sec = Section::new("[[capacityProviders]]");
            sec.origins.push((c, p.clone(), cname.clone()));
            ctx.sources[c].mark(&join(&p, "name"));
            sec.set("name", s(cname.clone()));
            let arn = ctx
                .str_at(c, &join(&ap, "autoScalingGroupArn"))
                .unwrap_or_default();
            let group = arn
                .rsplit_once("autoScalingGroupName/")
                .map_or(arn.as_str(), |x| x.1)
                .to_string();
            if !group_names.contains(&group) {
                ctx.sources[c].why(
                    &join(&ap, "autoScalingGroupArn"),
                    format!(
                        "Auto Scaling group \"{group}\" is not in describe-auto-scaling-groups"
                    ),
                );
            }
            sec.set("instanceGroup", s(group));
            let mp = join(&ap, "managedScaling");
            if let Some(v) = ctx.take(c, &mp).as_ref().and_then(to_toml) {
                sec.set("managedScaling", v);
            }
            for key in ["managedTerminationProtection", "managedDraining"] {
                if let Some(v) = ctx.str_at(c, &join(&ap, key)) {
                    sec.set(key, s(v));
                }
            }
            sections.push(sec);
        }
    }

    // --- task definitions: the revision each service runs -------------------
    // Revisions in use: the PRIMARY deployment's (or the service's own).
    let mut wanted: BTreeMap<String, String> = BTreeMap::new(); // family -> family:rev
    for sv in ctx.of(Kind::Services) {
        for i in 0..ctx.len(sv, "services") {
            if let Some(fr) = primary_task_def(&ctx, sv, &index("services", i)) {
                let fam = fr.split(':').next().unwrap_or("").to_string();
                wanted.entry(fam).or_insert(fr);
            }
        }
    }
    let running_tds: BTreeSet<String> = cis
        .iter()
        .flat_map(|c| c.tasks.keys().map(|k| k.1.clone()))
        .collect();
    let mut by_family: BTreeMap<String, Vec<(usize, i64)>> = BTreeMap::new();
    for t in ctx.of(Kind::TaskDefinition) {
        let fam = ctx
            .peek(t, "taskDefinition.family")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        let rev = ctx
            .peek(t, "taskDefinition.revision")
            .and_then(Json::as_i64)
            .unwrap_or(0);
        by_family.entry(fam).or_default().push((t, rev));
    }
    let mut td_sections = Vec::new();
    for (fam, revs) in &by_family {
        let chosen = match wanted.get(fam) {
            Some(fr) => revs
                .iter()
                .find(|(_, r)| format!("{fam}:{r}") == *fr)
                .or_else(|| revs.iter().max_by_key(|x| x.1)),
            None => revs.iter().max_by_key(|x| x.1),
        };
        let Some(&(t, rev)) = chosen else { continue };
        // Also the older revisions tasks still run (a service mid-deployment).
        let mut keep = vec![(t, rev)];
        for &(other, orev) in revs {
            if other != t && running_tds.contains(&format!("{fam}:{orev}")) {
                keep.push((other, orev));
            }
        }
        for &(other, orev) in revs {
            if !keep.iter().any(|k| k.0 == other) {
                ctx.sources[other].why(
                    "taskDefinition",
                    format!(
                        "{fam}:{orev} not imported: no service's PRIMARY deployment runs it ({fam}:{rev} does); an ACTIVE deployment's tasks are not started"
                    ),
                );
            }
        }
        keep.sort_by_key(|k| k.1);
        for (t, rev) in keep {
            let rel = PathBuf::from("taskdefs").join(format!("{fam}-{rev}.json"));
            let text =
                serde_json::to_string_pretty(&ctx.sources[t].json).unwrap_or_default() + "\n";
            files.push((rel.clone(), text));
            mark_task_definition(&mut ctx.sources[t]);
            let mut sec = Section::new("[[taskDefinitions]]");
            sec.origins.push((t, String::new(), format!("{fam}:{rev}")));
            sec.set("file", s(rel.to_string_lossy().replace('\\', "/")));
            td_sections.push(sec);
        }
    }
    sections.extend(td_sections);

    // --- services, with their Application Auto Scaling -----------------------
    let scaling = ScalingIndex::new(&ctx, &name);
    let metrics = metric_index(&ctx);
    let mut first_metric: Option<i64> = None;
    for sv in ctx.of(Kind::Services) {
        for i in 0..ctx.len(sv, "services") {
            let p = index("services", i);
            let mut sec = service(&mut ctx, sv, &p, &scaling);
            if let Some((v, file, start)) = demand(&mut ctx, sv, &p, &metrics, &mut sec) {
                sec.set("demand", v);
                files.push(file);
                first_metric = Some(first_metric.map_or(start, |f: i64| f.min(start)));
            }
            sections.push(sec);
        }
    }
    // Without --start, time zero is the first metric sample: the traces
    // then start where the simulated day does.
    if opts.start.is_none() {
        if let Some(t) = first_metric {
            top.push(("startTime".into(), s(crate::sim::calendar::format_utc(t))));
        }
    }

    // --- spot price history -------------------------------------------------
    let spot_srcs = ctx.of(Kind::SpotPrices);
    if !spot_srcs.is_empty() {
        let mut rows: Vec<(String, String, String, String)> = Vec::new();
        let mut sec = Section::new("[spot]");
        for sp in spot_srcs {
            sec.origins
                .push((sp, "SpotPriceHistory".into(), "spot prices".into()));
            for i in 0..ctx.len(sp, "SpotPriceHistory") {
                let p = index("SpotPriceHistory", i);
                let desc = ctx
                    .peek(sp, &join(&p, "ProductDescription"))
                    .and_then(Json::as_str)
                    .unwrap_or("")
                    .to_string();
                if desc != "Linux/UNIX" && desc != "Linux/UNIX (Amazon VPC)" {
                    ctx.sources[sp].why(&p, format!("{desc}: ecsim prices Linux instances"));
                    continue;
                }
                ctx.sources[sp].mark(&join(&p, "ProductDescription"));
                let get = |ctx: &mut Ctx, k: &str| ctx.str_at(sp, &join(&p, k)).unwrap_or_default();
                let row = (
                    get(&mut ctx, "Timestamp"),
                    get(&mut ctx, "InstanceType"),
                    get(&mut ctx, "AvailabilityZone"),
                    get(&mut ctx, "SpotPrice"),
                );
                rows.push(row);
            }
        }
        rows.sort();
        let mut csv =
            String::from("timestamp_utc,instance_type,availability_zone,spot_price_usd_per_hour\n");
        for (t, ty, az, price) in &rows {
            let _ = writeln!(csv, "{t},{ty},{az},{price}");
        }
        files.push((PathBuf::from("spot-prices.csv"), csv));
        sec.set("priceHistory", s("spot-prices.csv"));
        sections.push(sec);
    }
    for m in ctx.of(Kind::MetricData) {
        for i in 0..ctx.len(m, "MetricDataResults") {
            let p = index("MetricDataResults", i);
            let told = ctx.sources[m].reasons.iter().any(|r| r.0 == p);
            if !told && !ctx.sources[m].is_mapped(&join(&p, "Values")) {
                ctx.sources[m].why(
                    &p,
                    "not a cpu_<service>/req_<service> pair of a service in describe-services",
                );
            }
        }
    }

    let scenario = render(&ctx.sources, &ctx.kinds, &top, &sections);
    Ok(Imported {
        scenario,
        files,
        sources: ctx.sources,
    })
}

/// Sets a group's `amiId` and `attributes` to what all its container
/// instances share, and marks their type, zone and ec2 id as mapped;
/// attributes only some of them carry are reported.
fn common_attributes(ctx: &mut Ctx, sec: &mut Section, members: &[&Ci]) {
    let gname = sec.entries[0].1.as_str().unwrap_or("").to_string();
    for c in members {
        for k in ["ecs.instance-type", "ecs.availability-zone"] {
            if let Some(p) = c.attr_paths.get(k) {
                ctx.sources[c.src].mark(p);
            }
        }
    }
    let Some(first) = members.first() else {
        return;
    };
    if first.ami.is_some() && members.iter().all(|c| c.ami == first.ami) {
        sec.set("amiId", s(first.ami.clone().unwrap_or_default()));
        for c in members {
            if let Some(p) = c.attr_paths.get("ecs.ami-id") {
                ctx.sources[c.src].mark(p);
            }
        }
    }
    let mut common = toml::Table::new();
    let names: BTreeSet<&String> = members.iter().flat_map(|c| c.custom.keys()).collect();
    let mut shared_names: BTreeSet<String> = BTreeSet::new();
    for name in names {
        let v = first.custom.get(name);
        if v.is_some() && members.iter().all(|c| c.custom.get(name) == v) {
            shared_names.insert(name.clone());
            common.insert(name.clone(), s(v.cloned().unwrap_or_default()));
        }
    }
    if !common.is_empty() {
        sec.set("attributes", Value::Table(common));
    }
    // Each container instance as one of the group's: its EC2 id and the
    // custom attributes only some instances carry (ECS-MODEL P7).
    let count = sec
        .entries
        .iter()
        .find(|e| e.0 == "count")
        .and_then(|e| e.1.as_integer())
        .unwrap_or(0);
    let mut seeds = Vec::new();
    for (k, c) in members.iter().enumerate() {
        if k as i64 >= count {
            ctx.sources[c.src].why(
                &c.path,
                format!("more container instances than group {gname}'s desired count {count}"),
            );
            continue;
        }
        let mut seed = toml::Table::new();
        if !c.ec2.is_empty() {
            seed.insert("ec2InstanceId".into(), s(c.ec2.clone()));
        }
        if c.draining {
            seed.insert("status".into(), s("DRAINING".to_string()));
        }
        let mut own = toml::Table::new();
        for (name, v) in &c.custom {
            if let Some(p) = c.attr_paths.get(name) {
                ctx.sources[c.src].mark(p);
            }
            if !shared_names.contains(name) {
                own.insert(name.clone(), s(v.clone()));
            }
        }
        if !own.is_empty() {
            seed.insert("attributes".into(), Value::Table(own));
        }
        // Its own type and zone (when the group has them) and the service
        // tasks running on it: the run starts from today's placement.
        let listed = |key: &str, v: &Option<String>| -> Option<String> {
            v.clone().filter(|v| {
                sec.entries.iter().any(|e| {
                    e.0 == key
                        && e.1
                            .as_array()
                            .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(v.as_str())))
                })
            })
        };
        if let Some(t) = listed("instanceTypes", &c.itype) {
            seed.insert("instanceType".into(), s(t));
        }
        if let Some(z) = listed("availabilityZones", &c.az) {
            seed.insert("availabilityZone".into(), s(z));
        }
        if !c.tasks.is_empty() {
            let tasks = c
                .tasks
                .iter()
                .map(|((service, td), n)| {
                    let mut t = toml::Table::new();
                    t.insert("service".into(), s(service.clone()));
                    t.insert("taskDefinition".into(), s(td.clone()));
                    t.insert("count".into(), Value::Integer(*n));
                    Value::Table(t)
                })
                .collect();
            seed.insert("tasks".into(), Value::Array(tasks));
        }
        seeds.push(Value::Table(seed));
    }
    if !seeds.is_empty() {
        sec.set("instances", Value::Array(seeds));
    }
}

/// `family:revision` a service runs: its PRIMARY deployment's, else its own.
fn primary_task_def(ctx: &Ctx, sv: usize, p: &str) -> Option<String> {
    let deps = ctx
        .peek(sv, &join(p, "deployments"))
        .and_then(Json::as_array);
    let primary = deps.and_then(|d| {
        d.iter()
            .find(|x| x.get("status").and_then(Json::as_str) == Some("PRIMARY"))
            .and_then(|x| x.get("taskDefinition").and_then(Json::as_str))
    });
    primary
        .or_else(|| {
            ctx.peek(sv, &join(p, "taskDefinition"))
                .and_then(Json::as_str)
        })
        .map(family_revision)
}

/// Marks the fields of a task definition that scenario reading uses: all
/// but those it accepts and ignores (and the describe output's `tags`).
fn mark_task_definition(src: &mut Source) {
    let root = if src.json.get("taskDefinition").is_some() {
        "taskDefinition".to_string()
    } else {
        String::new()
    };
    let Some(td) = lookup(&src.json, &root).and_then(Json::as_object).cloned() else {
        return;
    };
    for (k, v) in &td {
        if TASKDEF_IGNORED.contains(&k.as_str()) {
            continue;
        }
        let kp = join(&root, k);
        if k != "containerDefinitions" {
            src.mark(&kp);
            continue;
        }
        for (i, c) in v.as_array().into_iter().flatten().enumerate() {
            let cp = index(&kp, i);
            for (ck, cv) in c.as_object().into_iter().flatten() {
                if CONTAINER_IGNORED.contains(&ck.as_str()) {
                    continue;
                }
                let ckp = join(&cp, ck);
                if ck != "portMappings" {
                    src.mark(&ckp);
                    continue;
                }
                for (j, m) in cv.as_array().into_iter().flatten().enumerate() {
                    for mk in m.as_object().into_iter().flatten().map(|x| x.0) {
                        if !PORT_IGNORED.contains(&mk.as_str()) {
                            src.mark(&join(&index(&ckp, j), mk));
                        }
                    }
                }
            }
        }
    }
}

/// Application Auto Scaling entries by service name: (source, path).
struct ScalingIndex {
    targets: BTreeMap<String, Vec<(usize, String)>>,
    policies: BTreeMap<String, Vec<(usize, String)>>,
    actions: BTreeMap<String, Vec<(usize, String)>>,
}

impl ScalingIndex {
    fn new(ctx: &Ctx, cluster: &str) -> Self {
        let prefix = format!("service/{cluster}/");
        let collect = |kind: Kind, key: &str| {
            let mut m: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
            for src in ctx.of(kind) {
                for i in 0..ctx.len(src, key) {
                    let p = index(key, i);
                    let ecs = ctx
                        .peek(src, &join(&p, "ScalableDimension"))
                        .and_then(Json::as_str)
                        == Some("ecs:service:DesiredCount");
                    let rid = ctx
                        .peek(src, &join(&p, "ResourceId"))
                        .and_then(Json::as_str)
                        .unwrap_or("");
                    if let (true, Some(svc)) = (ecs, rid.strip_prefix(&prefix)) {
                        m.entry(svc.to_string()).or_default().push((src, p));
                    }
                }
            }
            m
        };
        ScalingIndex {
            targets: collect(Kind::ScalableTargets, "ScalableTargets"),
            policies: collect(Kind::ScalingPolicies, "ScalingPolicies"),
            actions: collect(Kind::ScheduledActions, "ScheduledActions"),
        }
    }
}

/// Integer seconds (AWS) as a duration (`"300s"`).
fn secs(v: &Json) -> Option<Value> {
    v.as_i64().map(|n| s(format!("{n}s")))
}

/// One `describe-services` element as a `[[services]]` entry.
fn service(ctx: &mut Ctx, sv: usize, p: &str, scaling: &ScalingIndex) -> Section {
    let mut sec = Section::new("[[services]]");
    let name = ctx.str_at(sv, &join(p, "serviceName")).unwrap_or_default();
    sec.origins.push((sv, p.to_string(), name.clone()));
    sec.set("serviceName", s(name.clone()));
    let td = primary_task_def(ctx, sv, p);
    ctx.sources[sv].mark(&join(p, "taskDefinition"));
    for k in 0..ctx.len(sv, &join(p, "deployments")) {
        let dp = index(&join(p, "deployments"), k);
        let status = ctx
            .peek(sv, &join(&dp, "status"))
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        if status == "PRIMARY" {
            ctx.sources[sv].mark(&join(&dp, "status"));
            ctx.sources[sv].mark(&join(&dp, "taskDefinition"));
        } else {
            let other = ctx
                .peek(sv, &join(&dp, "taskDefinition"))
                .and_then(Json::as_str)
                .map(family_revision)
                .unwrap_or_default();
            ctx.sources[sv].why(
                &dp,
                format!(
                    "{status} deployment of {other}: the run starts with the PRIMARY revision only"
                ),
            );
        }
    }
    if let Some(td) = td {
        sec.set("taskDefinition", s(td));
    }
    let daemon = ctx.str_at(sv, &join(p, "schedulingStrategy")).as_deref() == Some("DAEMON");
    if daemon {
        sec.set("schedulingStrategy", s("DAEMON"));
    } else if let Some(n) = ctx
        .take(sv, &join(p, "desiredCount"))
        .and_then(|v| v.as_i64())
    {
        sec.set("desiredCount", Value::Integer(n));
    }
    if let Some(lt) = ctx.str_at(sv, &join(p, "launchType")) {
        sec.set("launchType", s(lt));
    }
    // X2: as described; a service that never set it is DISABLED (AWS's
    // UpdateService reference), while ecsim's default is a new service's.
    let az = ctx.str_at(sv, &join(p, "availabilityZoneRebalancing"));
    sec.set(
        "availabilityZoneRebalancing",
        s(az.unwrap_or_else(|| "DISABLED".into())),
    );
    for key in [
        "capacityProviderStrategy",
        "placementStrategy",
        "placementConstraints",
        "loadBalancers",
    ] {
        let kp = join(p, key);
        if ctx.len(sv, &kp) > 0 {
            if let Some(v) = ctx.take(sv, &kp).as_ref().and_then(to_toml) {
                sec.set(key, v);
            }
        } else if ctx.peek(sv, &kp).is_some() {
            ctx.sources[sv].mark(&kp);
        }
    }
    let dc = join(p, "deploymentConfiguration");
    let mut d = toml::Table::new();
    for key in [
        "minimumHealthyPercent",
        "maximumPercent",
        "deploymentCircuitBreaker",
    ] {
        let kp = join(&dc, key);
        let v = if key == "deploymentCircuitBreaker" {
            let mut t = toml::Table::new();
            for k in ["enable", "rollback"] {
                if let Some(b) = ctx.take(sv, &join(&kp, k)).and_then(|v| v.as_bool()) {
                    t.insert(k.into(), Value::Boolean(b));
                }
            }
            (!t.is_empty()).then_some(Value::Table(t))
        } else {
            ctx.take(sv, &kp).as_ref().and_then(to_toml)
        };
        if let Some(v) = v {
            d.insert(key.into(), v);
        }
    }
    if !d.is_empty() {
        sec.set("deploymentConfiguration", Value::Table(d));
    }
    if let Some(a) = auto_scaling(ctx, &name, scaling, &mut sec) {
        sec.set("autoScaling", a);
    }
    sec
}

/// A service's `autoScaling` from its scalable target, policies and
/// scheduled actions; what cannot be mapped is reported on its source.
fn auto_scaling(
    ctx: &mut Ctx,
    name: &str,
    scaling: &ScalingIndex,
    sec: &mut Section,
) -> Option<Value> {
    let none = Vec::new();
    let policies = scaling.policies.get(name).unwrap_or(&none);
    let actions = scaling.actions.get(name).unwrap_or(&none);
    for (src, p) in policies.iter().chain(actions) {
        sec.origins.push((*src, p.clone(), name.to_string()));
    }
    let Some((ts, tp)) = scaling.targets.get(name).and_then(|t| t.first()).cloned() else {
        for (src, p) in policies.iter().chain(actions) {
            ctx.sources[*src].why(
                p,
                format!("no scalable target registered for service {name}"),
            );
        }
        return None;
    };
    sec.origins.push((ts, tp.clone(), name.to_string()));
    let mut out = toml::Table::new();
    let mut tracking = Vec::new();
    for (src, p) in policies {
        let (src, p) = (*src, p.as_str());
        let kind = ctx
            .peek(src, &join(p, "PolicyType"))
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        if kind != "TargetTrackingScaling" {
            ctx.sources[src].why(
                p,
                format!("{kind}: the metric, threshold and comparison are in the CloudWatch alarm, which describe-scaling-policies does not give; add stepScaling by hand"),
            );
            continue;
        }
        let cp = join(p, "TargetTrackingScalingPolicyConfiguration");
        let mp = join(&cp, "PredefinedMetricSpecification.PredefinedMetricType");
        let Some(metric) = ctx
            .peek(src, &mp)
            .and_then(Json::as_str)
            .map(str::to_string)
        else {
            ctx.sources[src].why(
                &cp,
                "a customized metric: ecsim tracks the predefined metrics only",
            );
            continue;
        };
        ctx.sources[src].mark(&mp);
        let mut t = toml::Table::new();
        t.insert("metric".into(), s(metric));
        if let Some(v) = ctx
            .take(src, &join(&cp, "TargetValue"))
            .as_ref()
            .and_then(to_toml)
        {
            t.insert("targetValue".into(), v);
        }
        for (aws, ours) in [
            ("ScaleOutCooldown", "scaleOutCooldown"),
            ("ScaleInCooldown", "scaleInCooldown"),
        ] {
            if let Some(v) = ctx.take(src, &join(&cp, aws)).as_ref().and_then(secs) {
                t.insert(ours.into(), v);
            }
        }
        if let Some(b) = ctx
            .take(src, &join(&cp, "DisableScaleIn"))
            .and_then(|v| v.as_bool())
        {
            t.insert("disableScaleIn".into(), Value::Boolean(b));
        }
        for k in [
            "PolicyType",
            "ServiceNamespace",
            "ResourceId",
            "ScalableDimension",
        ] {
            ctx.sources[src].mark(&join(p, k));
        }
        tracking.push(Value::Table(t));
    }
    if !tracking.is_empty() {
        out.insert("targetTracking".into(), Value::Array(tracking));
    }
    let mut scheduled = Vec::new();
    for (src, p) in actions {
        let (src, p) = (*src, p.as_str());
        let text = ctx
            .peek(src, &join(p, "Schedule"))
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        let tz = ctx
            .peek(src, &join(p, "Timezone"))
            .and_then(Json::as_str)
            .map(str::to_string);
        if let Err(e) = Schedule::parse_in(&text, tz.as_deref()) {
            ctx.sources[src].why(p, format!("{text}: {e}"));
            continue;
        }
        let mut a = toml::Table::new();
        a.insert("schedule".into(), s(text));
        if let Some(z) = tz.filter(|z| z != "UTC" && z != "Etc/UTC") {
            a.insert("timezone".into(), s(z));
        }
        let ap = join(p, "ScalableTargetAction");
        for (aws, ours) in [
            ("MinCapacity", "minCapacity"),
            ("MaxCapacity", "maxCapacity"),
        ] {
            if let Some(v) = ctx.take(src, &join(&ap, aws)).as_ref().and_then(to_toml) {
                a.insert(ours.into(), v);
            }
        }
        for k in [
            "Schedule",
            "Timezone",
            "ServiceNamespace",
            "ResourceId",
            "ScalableDimension",
        ] {
            ctx.sources[src].mark(&join(p, k));
        }
        scheduled.push(Value::Table(a));
    }
    if !scheduled.is_empty() {
        out.insert("scheduled".into(), Value::Array(scheduled));
    }
    if out.is_empty() {
        ctx.sources[ts].why(
            &tp,
            "no scaling policy or scheduled action of this target could be mapped",
        );
        return None;
    }
    let mut bounds = toml::Table::new();
    for (aws, ours) in [
        ("MinCapacity", "minCapacity"),
        ("MaxCapacity", "maxCapacity"),
    ] {
        if let Some(v) = ctx.take(ts, &join(&tp, aws)).as_ref().and_then(to_toml) {
            bounds.insert(ours.into(), v);
        }
    }
    for k in ["ServiceNamespace", "ResourceId", "ScalableDimension"] {
        ctx.sources[ts].mark(&join(&tp, k));
    }
    bounds.extend(out);
    Some(Value::Table(bounds))
}

/// Comment lines listing `items` after `lead`, wrapped.
fn wrapped(out: &mut String, lead: &str, items: &[String]) {
    let mut line = format!("# {lead}");
    for (i, it) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{it}, ")
        } else {
            it.clone()
        };
        if line.len() + piece.len() > 96 && line.len() > 4 + lead.len() {
            out.push_str(line.trim_end());
            out.push('\n');
            line = "#     ".into();
        }
        line.push_str(&piece);
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// The unmapped fields of `src` under `origin` and the reasons for them.
fn report(out: &mut String, src: &Source, origin: &str, claimed: &dyn Fn(&str) -> bool) {
    let unmapped: Vec<String> = src
        .unmapped()
        .into_iter()
        .filter(|p| under(p, origin) && claimed(p))
        .collect();
    if unmapped.is_empty() {
        return;
    }
    wrapped(out, "  not mapped: ", &unmapped);
    let mut said = BTreeSet::new();
    for (p, why) in &src.reasons {
        if unmapped.iter().any(|u| under(p, u) || under(u, p)) && said.insert((p, why)) {
            let _ = writeln!(out, "#   {p}: {why}");
        }
    }
}

fn render(
    sources: &[Source],
    kinds: &[Kind],
    top: &[(String, Value)],
    sections: &[Section],
) -> String {
    let mut out = String::new();
    out.push_str("# Imported by `ecsim import` from AWS CLI outputs. Each section names the\n");
    out.push_str("# file and element it came from and the fields of it that were not mapped.\n");
    // Fields under no section's origin.
    for (i, src) in sources.iter().enumerate() {
        let cmd = KINDS.iter().find(|k| k.1 == kinds[i]).map_or("", |k| k.2);
        let origins: Vec<&str> = sections
            .iter()
            .flat_map(|s| s.origins.iter())
            .filter(|o| o.0 == i)
            .map(|o| o.1.as_str())
            .collect();
        let loose = |p: &str| !origins.iter().any(|o| under(p, o));
        let _ = writeln!(out, "#\n# {} ({cmd})", src.file);
        report(&mut out, src, "", &loose);
    }
    out.push('\n');
    for (k, v) in top {
        let _ = writeln!(out, "{k} = {v}");
    }
    for sec in sections {
        out.push('\n');
        for (src, path, label) in &sec.origins {
            let at = if path.is_empty() {
                String::new()
            } else {
                format!(", {path}")
            };
            let _ = writeln!(out, "# From {}{at} ({label})", sources[*src].file);
            report(&mut out, &sources[*src], path, &|_| true);
        }
        let _ = writeln!(out, "{}", sec.header);
        for (k, v) in &sec.entries {
            let _ = writeln!(out, "{k} = {v}");
        }
    }
    out
}

/// CloudWatch series by (kind, service) where the query `Id` is
/// `req_<service>` (ALB RequestCount, Sum) or `cpu_<service>` (ECS
/// CPUUtilization, Average), the service name with every character other
/// than a letter or digit as `_` (as the export script writes them).
type Metrics = BTreeMap<(String, String), (usize, String)>;

fn id_of(service: &str) -> String {
    service
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn metric_index(ctx: &Ctx) -> Metrics {
    let mut m = Metrics::new();
    for src in ctx.of(Kind::MetricData) {
        for i in 0..ctx.len(src, "MetricDataResults") {
            let p = index("MetricDataResults", i);
            let id = ctx
                .peek(src, &join(&p, "Id"))
                .and_then(Json::as_str)
                .unwrap_or("");
            for kind in ["req", "cpu"] {
                if let Some(svc) = id.strip_prefix(kind).and_then(|r| r.strip_prefix('_')) {
                    m.insert((kind.to_string(), svc.to_string()), (src, p.clone()));
                }
            }
        }
    }
    m
}

/// (Unix seconds, value) of a MetricDataResults entry, oldest first.
fn series(ctx: &Ctx, src: usize, p: &str) -> Vec<(i64, f64, String)> {
    let ts = ctx
        .peek(src, &join(p, "Timestamps"))
        .and_then(Json::as_array);
    let vs = ctx.peek(src, &join(p, "Values")).and_then(Json::as_array);
    let (Some(ts), Some(vs)) = (ts, vs) else {
        return Vec::new();
    };
    let mut out: Vec<(i64, f64, String)> = ts
        .iter()
        .zip(vs)
        .filter_map(|(t, v)| {
            let text = t.as_str()?;
            Some((
                crate::sim::calendar::parse_instant(text)?,
                v.as_f64()?,
                text.to_string(),
            ))
        })
        .collect();
    out.sort_by_key(|x| x.0);
    out
}

/// A service's demand trace from its CloudWatch request count, sized by its
/// CPU: `taskCapacityRps` is the median over the samples of requests per
/// second per running task at 100% CPU. Returns the demand, the trace file
/// and the first sample's time.
fn demand(
    ctx: &mut Ctx,
    sv: usize,
    p: &str,
    metrics: &Metrics,
    sec: &mut Section,
) -> Option<(Value, (PathBuf, String), i64)> {
    let name = sec.entries[0].1.as_str().unwrap_or("").to_string();
    let id = id_of(&name);
    let req = metrics.get(&("req".to_string(), id.clone())).cloned();
    let cpu = metrics.get(&("cpu".to_string(), id.clone())).cloned();
    for (src, mp) in req.iter().chain(cpu.iter()) {
        sec.origins.push((*src, mp.clone(), name.clone()));
    }
    let Some((rs, rp)) = req else {
        if let Some((cs, cp)) = cpu {
            ctx.sources[cs].why(
                &cp,
                format!("no req_{id} request count: ecsim's demand is in requests"),
            );
        }
        return None;
    };
    let Some((cs, cp)) = cpu else {
        ctx.sources[rs].why(&rp, format!("no cpu_{id} series to size taskCapacityRps"));
        return None;
    };
    let reqs = series(ctx, rs, &rp);
    let cpus: BTreeMap<i64, f64> = series(ctx, cs, &cp)
        .into_iter()
        .map(|x| (x.0, x.1))
        .collect();
    let step = reqs
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .filter(|d| *d > 0)
        .min()
        .unwrap_or(60);
    let running = ctx
        .peek(sv, &join(p, "runningCount"))
        .and_then(Json::as_f64)
        .unwrap_or(0.0);
    let mut per_task: Vec<f64> = reqs
        .iter()
        .filter_map(|(t, sum, _)| {
            let c = cpus.get(t)?;
            let rps = sum / step as f64;
            (rps > 0.0 && *c > 0.0 && running > 0.0).then(|| rps / (c / 100.0 * running))
        })
        .collect();
    if reqs.len() < 2 || per_task.is_empty() {
        ctx.sources[rs].why(
            &rp,
            "fewer than two samples, or none with CPU and running tasks to size taskCapacityRps",
        );
        return None;
    }
    per_task.sort_by(f64::total_cmp);
    let capacity = per_task[per_task.len() / 2];
    let peak = reqs.iter().map(|x| x.1 / step as f64).fold(0.0, f64::max);
    if peak <= 0.0 {
        ctx.sources[rs].why(&rp, "no request in the series");
        return None;
    }
    let mut csv = String::from("time,rps\n");
    for (_, sum, text) in &reqs {
        let _ = writeln!(csv, "{text},{:.3}", sum / step as f64);
    }
    for (src, mp) in [(rs, &rp), (cs, &cp)] {
        for k in ["Id", "Timestamps", "Values"] {
            ctx.sources[src].mark(&join(mp, k));
        }
    }
    ctx.sources[sv].mark(&join(p, "runningCount"));
    let rel = PathBuf::from(format!("demand-{id}.csv"));
    let mut d = toml::Table::new();
    d.insert("type".into(), s("trace"));
    d.insert("path".into(), s(rel.to_string_lossy()));
    d.insert("column".into(), s("rps"));
    d.insert("peakRps".into(), Value::Float(round3(peak)));
    d.insert("taskCapacityRps".into(), Value::Float(round3(capacity)));
    Some((Value::Table(d), (rel, csv), reqs[0].0))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
