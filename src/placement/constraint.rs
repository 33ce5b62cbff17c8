//! Placement constraints (ECS-MODEL P7): binding filters on instances.

use super::query::{Query, QueryTarget};
use crate::model::{Cluster, ContainerInstance, GroupId};

/// A placement constraint.
#[derive(Debug, Clone)]
pub enum Constraint {
    /// No two tasks of the task's group on one instance.
    DistinctInstance,
    /// The instance must satisfy a cluster-query-language expression.
    MemberOf(Query),
}

impl Constraint {
    /// ECS notation, e.g. `memberOf(attribute:ecs.instance-type =~ m6i.*)`.
    pub fn describe(&self) -> String {
        match self {
            Constraint::DistinctInstance => "distinctInstance".into(),
            Constraint::MemberOf(q) => format!("memberOf({})", q.source()),
        }
    }

    /// Whether `inst` passes the constraint for a task of `group`.
    pub fn admits(&self, cluster: &Cluster, inst: &ContainerInstance, group: GroupId) -> bool {
        match self {
            Constraint::DistinctInstance => cluster.group_count_on_instance(group, inst.id) == 0,
            Constraint::MemberOf(q) => q.eval(&InstanceView { cluster, inst }),
        }
    }
}

/// A `memberOf` expression that does not read tasks, as a predicate the
/// cluster caches per instance (its answer is fixed while the instance is
/// ACTIVE). Keyed by the expression's text.
#[derive(Debug)]
pub(crate) struct MemberOf(pub(crate) Query);

impl crate::model::InstancePredicate for MemberOf {
    fn key(&self) -> &str {
        self.0.source()
    }

    fn holds(&self, cluster: &Cluster, inst: &ContainerInstance) -> bool {
        self.0.eval(&InstanceView { cluster, inst })
    }
}

/// An instance as the query language sees it.
pub struct InstanceView<'a> {
    /// The cluster (for attribute and group names).
    pub cluster: &'a Cluster,
    /// The instance.
    pub inst: &'a ContainerInstance,
}

/// Version reported for `agentVersion`.
pub const AGENT_VERSION: &str = "1.90.0";

impl QueryTarget for InstanceView<'_> {
    fn attribute(&self, name: &str) -> Option<&str> {
        let a = self.cluster.attrs.find_name(name)?;
        self.inst
            .attribute(a)
            .map(|v| self.cluster.attrs.value_str(v))
    }

    fn ec2_instance_id(&self) -> &str {
        &self.inst.ec2_instance_id
    }

    fn running_tasks_count(&self) -> u32 {
        self.inst.running_tasks
    }

    fn any_task_group(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
        self.inst.tasks.iter().any(|&t| {
            let task = self.cluster.task(t);
            task.is_live() && f(self.cluster.group_name(task.group))
        })
    }

    fn registered_at_epoch_s(&self) -> i64 {
        let at = self.inst.registered_at.unwrap_or(self.inst.launched_at);
        self.cluster.start_epoch_s + (at.as_millis() / 1000) as i64
    }

    fn agent_connected(&self) -> bool {
        true
    }

    fn agent_version(&self) -> &str {
        AGENT_VERSION
    }
}
