//! Ordered indexes over ACTIVE instances, kept current by [`Cluster`](super::Cluster).
//!
//! Placement must not scan every instance for every task on a 5,000-instance
//! cluster (ECS's maximum). These indexes let it walk candidates in the order
//! a strategy prefers and stop at the first instance that fits:
//!
//! * a **partition** holds the ACTIVE instances sharing one value of a
//!   partition attribute (e.g. one AZ), plus one global partition of all;
//! * inside a partition, instances are ordered by remaining memory, by
//!   remaining CPU, by tie-break rank alone, and, for each tracked task
//!   group, by that group's task count on the instance.
//!
//! The two resource orders are **bucketed** by the other resource: instances
//! by remaining memory are kept in one ordered set per size class of their
//! remaining CPU, and instances by remaining CPU in one per size class of
//! their remaining memory (a [`Classed`] set; class k holds the amounts in
//! `[2^k, 2^(k+1))`). A binpack(memory) walk for a task needing `c` CPU
//! units then looks only at the classes that can hold `c`: one range look-up
//! per non-empty class, whatever the fill, instead of passing one by one the
//! instances that have memory but no CPU (the state binpack(memory) itself
//! leaves a cluster in). An update moves an instance between two sets of
//! each kind, as many operations as an unbucketed pair of orders.
//!
//! Beside the partitions, a compact table holds each ACTIVE instance's
//! remaining resources by id, for walks in an order that is not by
//! resources (spread(instanceId) by group count) to pass over full
//! instances without reading them.
//!
//! Every key ends with the instance's rank (unique: its low 32 bits are the
//! instance id), so orders are total and deterministic. The module only
//! stores; the placement policies decide how to walk it.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use super::hash::IdMap;
use super::ids::{AttrId, GroupId, InstanceId, ValueId};
use super::resources::Resources;

/// The value key of instances that lack a partition attribute.
pub const MISSING_VALUE: ValueId = ValueId(u32::MAX);

/// Number of size classes of a [`Classed`] set.
pub const CLASSES: usize = 32;

/// The size class of an amount: 0 for 0 and 1, else k for `[2^k, 2^(k+1))`.
pub fn class_of(amount: u32) -> usize {
    (31 - (amount | 1).leading_zeros()) as usize
}

/// Entries `(key, rank)` split into ordered sets by the size class of a
/// second amount (the *class amount*) of the same instance.
///
/// Members of classes above `class_of(x)` all have a class amount above
/// `x`; members of `class_of(x)` itself may have less, so walks check that
/// amount (placement's resource check does) on that class.
#[derive(Debug, Clone, Default)]
pub struct Classed {
    sets: [BTreeSet<(u32, u64)>; CLASSES],
    /// Bit k set when class k is non-empty.
    nonempty: u32,
}

impl Classed {
    fn insert(&mut self, class_amount: u32, key: u32, rank: u64) {
        let k = class_of(class_amount);
        self.sets[k].insert((key, rank));
        self.nonempty |= 1 << k;
    }

    fn remove(&mut self, class_amount: u32, key: u32, rank: u64) -> bool {
        let k = class_of(class_amount);
        let set = &mut self.sets[k];
        let removed = set.remove(&(key, rank));
        if set.is_empty() {
            self.nonempty &= !(1 << k);
        }
        removed
    }

    /// Moves an entry from (old class amount, old key) to the new ones.
    fn update(&mut self, rank: u64, old: (u32, u32), new: (u32, u32)) {
        if old == new {
            return;
        }
        if class_of(old.0) == class_of(new.0) && old.1 == new.1 {
            return;
        }
        if self.remove(old.0, old.1, rank) {
            self.insert(new.0, new.1, rank);
        }
    }

    /// The non-empty classes whose members may have a class amount of at
    /// least `min`, as a bit mask.
    fn classes_from(&self, min: u32) -> u32 {
        self.nonempty & (u32::MAX << class_of(min))
    }

    /// The first entry in `(key, rank)` order with `key >= lower` among the
    /// classes that may hold a class amount of `class_min`, that `fits`
    /// accepts. One range look-up per such non-empty class, then one per
    /// rejected entry.
    pub fn first(
        &self,
        class_min: u32,
        lower: u32,
        mut fits: impl FnMut(u64) -> bool,
    ) -> Option<(u32, u64)> {
        let mut heads = [((0u32, 0u64), 0usize); CLASSES];
        let mut n = 0;
        let mut mask = self.classes_from(class_min);
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if let Some(&h) = self.sets[k].range((lower, 0)..).next() {
                heads[n] = (h, k);
                n += 1;
            }
        }
        while n > 0 {
            let mut best = 0;
            for i in 1..n {
                if heads[i].0 < heads[best].0 {
                    best = i;
                }
            }
            let (head, k) = heads[best];
            if fits(head.1) {
                return Some(head);
            }
            match self.sets[k]
                .range((Bound::Excluded(head), Bound::Unbounded))
                .next()
            {
                Some(&next) => heads[best].0 = next,
                None => {
                    n -= 1;
                    heads[best] = heads[n];
                }
            }
        }
        None
    }

    /// Every entry with `key >= lower` among the classes that may hold a
    /// class amount of `class_min`, class by class (not in one order).
    pub fn entries_from(
        &self,
        class_min: u32,
        lower: u32,
    ) -> impl Iterator<Item = (u32, u64)> + '_ {
        let mask = self.classes_from(class_min);
        (0..CLASSES)
            .filter(move |k| mask & (1 << k) != 0)
            .flat_map(move |k| self.sets[k].range((lower, 0)..).copied())
    }

    /// The largest key, if any entry.
    pub fn max_key(&self) -> Option<u32> {
        let mut mask = self.nonempty;
        let mut max = None;
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if let Some(&(key, _)) = self.sets[k].last() {
                max = max.max(Some(key));
            }
        }
        max
    }

    /// The highest non-empty class.
    fn top_class(&self) -> Option<usize> {
        (self.nonempty != 0).then(|| (31 - self.nonempty.leading_zeros()) as usize)
    }

    /// All entries with their class, class by class (for checks).
    pub fn entries(&self) -> impl Iterator<Item = (usize, (u32, u64))> + '_ {
        (0..CLASSES).flat_map(move |k| self.sets[k].iter().map(move |&e| (k, e)))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.sets.iter().map(BTreeSet::len).sum()
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.nonempty == 0
    }
}

/// Instances of one partition, in several orders.
#[derive(Debug, Clone, Default)]
pub struct Partition {
    /// (remaining memory MiB, rank), by class of remaining CPU units.
    pub mem_by_cpu: Classed,
    /// (remaining cpu units, rank), by class of remaining memory.
    pub cpu_by_mem: Classed,
    /// Ranks.
    pub by_rank: BTreeSet<u64>,
    /// Per tracked group: (tasks of the group on the instance, rank).
    pub by_group: IdMap<GroupId, BTreeSet<(u32, u64)>>,
    /// Members in arbitrary order, for uniform sampling.
    pub members: Vec<InstanceId>,
    position: IdMap<InstanceId, usize>,
}

impl Partition {
    pub(crate) fn insert(
        &mut self,
        id: InstanceId,
        rank: u64,
        rem: Resources,
        counts: &[(GroupId, u32)],
    ) {
        self.mem_by_cpu.insert(rem.cpu, rem.memory, rank);
        self.cpu_by_mem.insert(rem.memory, rem.cpu, rank);
        self.by_rank.insert(rank);
        for &(g, c) in counts {
            self.by_group.entry(g).or_default().insert((c, rank));
        }
        self.position.insert(id, self.members.len());
        self.members.push(id);
    }

    fn remove(&mut self, id: InstanceId, rank: u64, rem: Resources, counts: &[(GroupId, u32)]) {
        self.mem_by_cpu.remove(rem.cpu, rem.memory, rank);
        self.cpu_by_mem.remove(rem.memory, rem.cpu, rank);
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
        // The top class of one resource bounds its maximum; only when the
        // need falls in that class is the exact maximum looked up.
        let at_least = |top: Option<usize>, exact: &Classed, x: u32| match top {
            None => false,
            Some(t) => match class_of(x).cmp(&t) {
                std::cmp::Ordering::Less => true,
                std::cmp::Ordering::Greater => false,
                std::cmp::Ordering::Equal => exact.max_key().is_some_and(|m| m >= x),
            },
        };
        at_least(self.mem_by_cpu.top_class(), &self.cpu_by_mem, need.cpu)
            && at_least(self.cpu_by_mem.top_class(), &self.mem_by_cpu, need.memory)
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
    /// Remaining resources of ACTIVE instances by instance id (zero for the
    /// others): 8 bytes an instance, so a walk in an order that is not by
    /// resources can pass over full instances without reading them.
    room: Vec<Resources>,
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

    /// Whether the instance of `rank` may have `need` free: false only when
    /// it is not ACTIVE or short of CPU or memory, which every placement
    /// check rejects (P1 step 1).
    pub fn may_have_room(&self, rank: u64, need: Resources) -> bool {
        self.room
            .get(rank_instance(rank).index())
            .is_some_and(|r| r.covers(&need))
    }

    fn set_room(&mut self, rank: u64, rem: Resources) {
        let i = rank_instance(rank).index();
        if self.room.len() <= i {
            self.room.resize(i + 1, Resources::default());
        }
        self.room[i] = rem;
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
        self.set_room(rank, rem);
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
        self.set_room(rank, Resources::default());
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
        self.set_room(rank, new);
        self.for_each_partition(attrs, |p| {
            p.mem_by_cpu
                .update(rank, (old.cpu, old.memory), (new.cpu, new.memory));
            p.cpu_by_mem
                .update(rank, (old.memory, old.cpu), (new.memory, new.cpu));
        });
    }

    /// Adds an ACTIVE instance to the order of a newly tracked group.
    pub(crate) fn track_group(
        &mut self,
        rank: u64,
        attrs: &[(AttrId, ValueId)],
        group: GroupId,
        count: u32,
    ) {
        self.for_each_partition(attrs, |p| {
            p.by_group.entry(group).or_default().insert((count, rank));
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
