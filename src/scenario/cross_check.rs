//! The checks of a scenario that span sections, run once every section has
//! been read: task sizes that no instance of any group can hold (R1, R2),
//! and placement constraints (P7) that no instance of any group can
//! satisfy, tested on a prototype of each group's instances (their built-in
//! and custom attributes) before anything runs.

use std::collections::BTreeMap;

use super::groups::Group;
use super::reader::{index, join, quoted, Reader};
use crate::engine::{JobSpec, ServiceSpec, TaskDefSpec};
use crate::model::attrs;
use crate::model::Resources;
use crate::placement::query::{Query, QueryTarget};
use crate::placement::{Constraint, MAX_CONSTRAINTS};

/// An instance prototype for static constraint checks.
struct Prototype {
    attrs: BTreeMap<String, String>,
    /// The EC2 id of a described single instance, else empty.
    ec2: String,
}

impl QueryTarget for Prototype {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }
    fn ec2_instance_id(&self) -> &str {
        &self.ec2
    }
    fn running_tasks_count(&self) -> u32 {
        0
    }
    fn any_task_group(&self, _f: &mut dyn FnMut(&str) -> bool) -> bool {
        false
    }
    fn registered_at_epoch_s(&self) -> i64 {
        0
    }
    fn agent_connected(&self) -> bool {
        true
    }
    fn agent_version(&self) -> &str {
        ""
    }
}

/// Checks that each service's and job's tasks fit at least one instance the
/// scenario can launch, and that constraints on static attributes can be met.
pub(super) fn cross_check(
    r: &mut Reader,
    groups: &[Group],
    tds: &[TaskDefSpec],
    services: &[ServiceSpec],
    jobs: &[JobSpec],
) {
    let mut protos: Vec<(Prototype, Resources, String)> = Vec::new();
    for g in groups {
        for ty in &g.spec.instance_types {
            for az in &g.spec.availability_zones {
                let mut a: BTreeMap<String, String> = g.spec.attributes.iter().cloned().collect();
                a.insert(attrs::AZ.into(), az.clone());
                a.insert(attrs::INSTANCE_TYPE.into(), ty.name.clone());
                a.insert(attrs::CPU_ARCH.into(), ty.arch.clone());
                a.insert(attrs::OS_TYPE.into(), "linux".into());
                a.insert(attrs::OS_FAMILY.into(), "LINUX".into());
                a.insert(attrs::AMI_ID.into(), g.spec.ami_id.clone());
                a.insert(attrs::SUBNET_ID.into(), format!("subnet-{az}"));
                a.insert(attrs::VPC_ID.into(), "vpc-ecsim".into());
                // Described single instances, with their own attributes
                // and EC2 ids, may land on any type and zone of the group.
                for seed in &g.spec.instances {
                    let mut own = a.clone();
                    own.extend(seed.attributes.iter().cloned());
                    protos.push((
                        Prototype {
                            attrs: own,
                            ec2: seed.ec2_instance_id.clone().unwrap_or_default(),
                        },
                        ty.registered,
                        format!("{} ({})", ty.name, g.path),
                    ));
                }
                protos.push((
                    Prototype {
                        attrs: a,
                        ec2: String::new(),
                    },
                    ty.registered,
                    format!("{} ({})", ty.name, g.path),
                ));
            }
        }
    }
    let users = services
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.capacity.is_fargate())
        .map(|(i, s)| (index("services", i), s.task_def, &s.constraints))
        .chain(
            jobs.iter()
                .enumerate()
                .filter(|(_, j)| !j.capacity.is_fargate())
                .map(|(i, j)| (index("batchJobs", i), j.task_def, &j.constraints)),
        );
    for (path, td, own) in users {
        let Some(tds) = tds.get(td.index()) else {
            continue;
        };
        let all: Vec<&Constraint> = own.iter().chain(&tds.constraints).collect();
        if all.len() > MAX_CONSTRAINTS {
            r.err(
                &join(&path, "placementConstraints"),
                format!("at most {MAX_CONSTRAINTS} constraints per task, counting the task definition's (P7); found {}", all.len()),
            );
        }
        if protos.is_empty() {
            continue;
        }
        let need = tds.def.reservation();
        let largest = protos
            .iter()
            .max_by_key(|p| (p.1.memory, p.1.cpu))
            .map(|p| p.2.clone())
            .unwrap_or_default();
        if !protos.iter().any(|p| p.1.covers(&need)) {
            r.err(
                &join(&path, "taskDefinition"),
                format!(
                    "task definition \"{}\" reserves {} but no instance type in the scenario registers that much (largest: {largest})",
                    tds.def.family, need
                ),
            );
            continue;
        }
        for c in &all {
            if let Constraint::MemberOf(q) = c {
                if q.is_static() && !protos.iter().any(|p| q.eval(&p.0)) {
                    r.err(
                        &join(&path, "placementConstraints"),
                        format!(
                            "no instance the scenario can launch satisfies memberOf({}); the values it can see are {}",
                            q.source(),
                            quoted(&attribute_names(&protos, q))
                        ),
                    );
                }
            }
        }
        let fits_and_admitted = protos.iter().any(|p| {
            p.1.covers(&need)
                && all.iter().all(|c| match c {
                    Constraint::MemberOf(q) if q.is_static() => q.eval(&p.0),
                    _ => true,
                })
        });
        if !fits_and_admitted {
            r.err(
                &path,
                format!(
                    "the instances that satisfy the constraints are too small for task definition \"{}\" ({})",
                    tds.def.family, need
                ),
            );
        }
    }
}

fn attribute_names<'a>(protos: &'a [(Prototype, Resources, String)], q: &Query) -> Vec<&'a str> {
    let mut values: Vec<&str> = Vec::new();
    for name in q.attribute_names() {
        for p in protos {
            if let Some(v) = p.0.attrs.get(name) {
                if !values.contains(&v.as_str()) {
                    values.push(v);
                }
            }
        }
    }
    values
}
