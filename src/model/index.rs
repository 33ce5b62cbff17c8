//! Ordered indexes over ACTIVE instances, kept current by [`Cluster`](super::Cluster).
//!
//! Placement must not scan every instance for every task on a 5,000-instance
//! cluster (ECS's maximum). These indexes let it walk candidates in the order
//! a strategy prefers and stop at the first instance that fits:
//!
//! * a **partition** holds the ACTIVE instances sharing one value of a
//!   partition attribute (e.g. one AZ), plus one global partition of all;
//! * inside a partition, instances are ordered by remaining CPU, by remaining
//!   memory, by tie-break rank alone, and, for each tracked task group, by
//!   that group's task count on the instance.
//!
//! Every key ends with the instance's rank (unique: its low 32 bits are the
//! instance id), so orders are total and deterministic. The module only
//! stores; the placement policies decide how to walk it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::ids::{AttrId, GroupId, InstanceId, ValueId};
use super::resources::Resources;

/// The value key of instances that lack a partition attribute.
pub const MISSING_VALUE: ValueId = ValueId(u32::MAX);

/// Instances of one partition, in several orders.
#[derive(Debug, Clone, Default)]
pub struct Partition {
    /// (remaining cpu units, rank).
    pub by_cpu: BTreeSet<(u32, u64)>,
    /// (remaining memory MiB, rank).
    pub by_mem: BTreeSet<(u32, u64)>,
    /// Ranks.
    pub by_rank: BTreeSet<u64>,
    /// Per tracked group: (tasks of the group on the instance, rank).
    pub by_group: HashMap<GroupId, BTreeSet<(u32, u64)>>,
    /// Members in arbitrary order, for uniform sampling.
    pub members: Vec<InstanceId>,
    position: HashMap<InstanceId, usize>,
}

impl Partition {
    fn insert(&mut self, id: InstanceId, rank: u64, rem: Resources, counts: &[(GroupId, u32)]) {
        self.by_cpu.insert((rem.cpu, rank));
        self.by_mem.insert((rem.memory, rank));
        self.by_rank.insert(rank);
        for &(g, c) in counts {
            self.by_group.entry(g).or_default().insert((c, rank));
        }
        self.position.insert(id, self.members.len());
        self.members.push(id);
    }

    fn remove(&mut self, id: InstanceId, rank: u64, rem: Resources, counts: &[(GroupId, u32)]) {
        self.by_cpu.remove(&(rem.cpu, rank));
        self.by_mem.remove(&(rem.memory, rank));
        self.by_rank.remove(&rank);
        for &(g, c) in counts {
            if let Some(set) = self.by_group.get_mut(&g) {
                set.remove(&(c, rank));
            }
        }
        if let Some(pos) = self.position.remove(&id) {
            self.members.swap_remove(pos);
            if let Some(&moved) = self.members.get(pos) {
                self.position.insert(moved, pos);
            }
        }
    }

    /// Whether some instance has `need.cpu` and some (maybe another) has
    /// `need.memory` free: when false, nothing here can fit the task.
    pub fn may_fit(&self, need: Resources) -> bool {
        self.by_cpu.last().is_some_and(|&(c, _)| c >= need.cpu)
            && self.by_mem.last().is_some_and(|&(m, _)| m >= need.memory)
    }

    /// Number of instances.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether it holds no instance.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

/// All partitions of a cluster.
#[derive(Debug, Clone, Default)]
pub struct PlacementIndex {
    /// Every ACTIVE instance.
    pub global: Partition,
    /// Per partition attribute, its values' partitions (sorted by value id).
    pub levels: Vec<(AttrId, BTreeMap<ValueId, Partition>)>,
    /// Groups whose per-instance counts are indexed.
    pub groups: Vec<GroupId>,
}

impl PlacementIndex {
    /// The partitions of `attr`, if it is a partition attribute.
    pub fn level(&self, attr: AttrId) -> Option<&BTreeMap<ValueId, Partition>> {
        self.levels.iter().find(|(a, _)| *a == attr).map(|(_, m)| m)
    }

    /// Whether `g`'s per-instance counts are indexed.
    pub fn tracks_group(&self, g: GroupId) -> bool {
        self.groups.contains(&g)
    }

    pub(crate) fn for_each_partition(
        &mut self,
        attrs: &[(AttrId, ValueId)],
        mut f: impl FnMut(&mut Partition),
    ) {
        f(&mut self.global);
        for (attr, parts) in &mut self.levels {
            let value = attrs
                .binary_search_by_key(attr, |&(a, _)| a)
                .map(|i| attrs[i].1)
                .unwrap_or(MISSING_VALUE);
            f(parts.entry(value).or_default());
        }
    }

    pub(crate) fn insert(
        &mut self,
        id: InstanceId,
        rank: u64,
        attrs: &[(AttrId, ValueId)],
        rem: Resources,
        counts: &[(GroupId, u32)],
    ) {
        self.for_each_partition(attrs, |p| p.insert(id, rank, rem, counts));
    }

    pub(crate) fn remove(
        &mut self,
        id: InstanceId,
        rank: u64,
        attrs: &[(AttrId, ValueId)],
        rem: Resources,
        counts: &[(GroupId, u32)],
    ) {
        self.for_each_partition(attrs, |p| p.remove(id, rank, rem, counts));
    }

    pub(crate) fn update_remaining(
        &mut self,
        rank: u64,
        attrs: &[(AttrId, ValueId)],
        old: Resources,
        new: Resources,
    ) {
        if old == new {
            return;
        }
        self.for_each_partition(attrs, |p| {
            if old.cpu != new.cpu && p.by_cpu.remove(&(old.cpu, rank)) {
                p.by_cpu.insert((new.cpu, rank));
            }
            if old.memory != new.memory && p.by_mem.remove(&(old.memory, rank)) {
                p.by_mem.insert((new.memory, rank));
            }
        });
    }

    pub(crate) fn update_group_count(
        &mut self,
        rank: u64,
        attrs: &[(AttrId, ValueId)],
        group: GroupId,
        old: u32,
        new: u32,
    ) {
        self.for_each_partition(attrs, |p| {
            if let Some(set) = p.by_group.get_mut(&group) {
                if set.remove(&(old, rank)) {
                    set.insert((new, rank));
                }
            }
        });
    }
}

/// The instance id encoded in a rank.
pub fn rank_instance(rank: u64) -> InstanceId {
    InstanceId(rank as u32)
}
