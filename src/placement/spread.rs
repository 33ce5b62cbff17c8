//! `spread(instanceId | attribute:<name>)` (ECS-MODEL P3): prefer the value
//! of the field with the fewest tasks of the task's group. On scale-in (P8),
//! stop a task where the group has the most, which leaves the best spread.

use crate::model::index::{Partition, MISSING_VALUE};
use crate::model::{AttrId, Cluster, ContainerInstance, GroupId};

/// Placement key for `spread(instanceId)`: the group's tasks on the instance.
pub fn instance_key(cluster: &Cluster, inst: &ContainerInstance, group: GroupId) -> u64 {
    u64::from(cluster.group_count_on_instance(group, inst.id))
}

/// Placement key for `spread(attribute:a)`: the group's tasks on instances
/// sharing the instance's value of `a` (instances lacking it share one bucket).
pub fn attribute_key(
    cluster: &Cluster,
    inst: &ContainerInstance,
    group: GroupId,
    a: AttrId,
) -> u64 {
    let value = inst.attribute(a).unwrap_or(MISSING_VALUE);
    u64::from(cluster.group_count_on_value(group, a, value))
}

/// Scale-in key from a count: larger counts sort first.
pub fn victim_key(count: u32) -> u64 {
    u64::MAX - u64::from(count)
}

/// Walks `part` in increasing order of the group's task count and returns
/// the first instance `fits` accepts, as (key, rank). The group must be
/// tracked by the index.
pub fn walk_instances(
    part: &Partition,
    group: GroupId,
    mut fits: impl FnMut(u64) -> bool,
) -> Option<(u64, u64)> {
    part.by_group
        .get(&group)?
        .iter()
        .find(|&&(_, rank)| fits(rank))
        .map(|&(count, rank)| (u64::from(count), rank))
}
