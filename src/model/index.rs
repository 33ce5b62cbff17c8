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
//!   group, by that group's task count on the instance (a [`GroupOrder`]:
//!   the many instances holding none of the group's tasks are bits beside
//!   the order by rank, not entries).
//!
//! A level (the global partition, or the partitions of one attribute) keeps
//! only the orders an indexed policy walks there ([`Orders`], asked for by
//! `Policy::index_in`): binpack(memory) alone reads the global partition's
//! order by memory, so an attach or detach updates no order by CPU and no
//! per-AZ order. Every partition counts its members per size class of their
//! remaining CPU and memory, which answers [`PlacementIndex::may_fit`].
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

use std::cell::{Cell, Ref, RefCell};
use std::collections::{BTreeMap, BTreeSet};

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

/// Packs `(key, rank)` into one integer with the same order.
fn pack(key: u32, rank: u64) -> u128 {
    (u128::from(key) << 64) | u128::from(rank)
}

/// The `(key, rank)` of a packed entry.
fn unpack(e: u128) -> (u32, u64) {
    ((e >> 64) as u32, e as u64)
}

/// A set of packed entries above which an [`Ordered`] set keeps a B-tree
/// rather than a sorted vector (whose insert and remove shift the tail).
const LARGE: usize = 1024;
/// A B-tree set that shrinks below this many entries goes back to a
/// sorted vector (below `LARGE`, so that a set at the threshold does not
/// switch back and forth).
const SMALL: usize = LARGE / 4;

/// An ordered set of packed entries: a sorted vector while small (one
/// binary search and a short shift per change, no node allocation; a move
/// between nearby positions shifts only the entries between them), a
/// B-tree past `LARGE` entries; or, for a set that walks rarely read
/// (class 0 of a [`Classed`]: the instances that are full), a [`Lazy`]
/// set kept in any order and sorted when read.
///
/// The sorted vector runs from the largest entry down. Binpack takes the
/// least entry that fits, mostly the least of its class, and the instance
/// then often leaves the class (its last slot filled): its entry is taken
/// from the vector's end, and nothing shifts, where in ascending order the
/// whole class moved down one place.
#[derive(Debug, Clone)]
pub enum Ordered {
    /// Sorted from the largest entry down.
    Small(Vec<u128>),
    Large(BTreeSet<u128>),
    Lazy(Box<Lazy>),
}

/// Entries in any order, each found by its instance id (the low 32 bits
/// of the rank, unique): insert, remove and replace take constant time;
/// a read sorts a copy, kept until the next change.
#[derive(Debug, Clone, Default)]
pub struct Lazy {
    entries: Vec<u128>,
    /// Per instance id, its entry's position in `entries` (`u32::MAX`
    /// when absent).
    position: Vec<u32>,
    /// `entries` sorted, when `fresh`.
    sorted: RefCell<Vec<u128>>,
    fresh: Cell<bool>,
}

impl Lazy {
    fn slot(e: u128) -> usize {
        e as u32 as usize
    }

    /// The position of `e`, if present.
    fn find(&self, e: u128) -> Option<usize> {
        let p = *self.position.get(Self::slot(e))? as usize;
        (self.entries.get(p) == Some(&e)).then_some(p)
    }

    fn insert(&mut self, e: u128) -> bool {
        if self.find(e).is_some() {
            return false;
        }
        let slot = Self::slot(e);
        if self.position.len() <= slot {
            self.position.resize(slot + 1, u32::MAX);
        }
        self.position[slot] = self.entries.len() as u32;
        self.entries.push(e);
        self.fresh.set(false);
        true
    }

    fn remove(&mut self, e: u128) -> bool {
        let Some(p) = self.find(e) else {
            return false;
        };
        self.entries.swap_remove(p);
        if let Some(&moved) = self.entries.get(p) {
            self.position[Self::slot(moved)] = p as u32;
        }
        self.position[Self::slot(e)] = u32::MAX;
        self.fresh.set(false);
        true
    }

    /// Replaces `old` by `new`, which must have the same instance id.
    fn replace(&mut self, old: u128, new: u128) -> bool {
        debug_assert_eq!(Self::slot(old), Self::slot(new));
        let Some(p) = self.find(old) else {
            return false;
        };
        self.entries[p] = new;
        self.fresh.set(false);
        true
    }

    /// The entries in order.
    fn sorted(&self) -> Ref<'_, Vec<u128>> {
        if !self.fresh.get() {
            // No `Ref` of it is alive: a change needed `&mut self`.
            let mut sorted = self.sorted.borrow_mut();
            sorted.clear();
            sorted.extend_from_slice(&self.entries);
            sorted.sort_unstable();
            self.fresh.set(true);
        }
        self.sorted.borrow()
    }
}

/// Inserts `e` into a B-tree set (out of line: see [`Ordered::large_remove`]).
#[inline(never)]
fn large_insert(s: &mut BTreeSet<u128>, e: u128) -> bool {
    s.insert(e)
}

/// Replaces `old` by `new` in a B-tree set, if `old` is there.
#[inline(never)]
fn large_replace(s: &mut BTreeSet<u128>, old: u128, new: u128) -> bool {
    if s.remove(&old) {
        s.insert(new);
        true
    } else {
        false
    }
}

/// Where `e` is (`Ok`) or would go (`Err`) in `v`, sorted from the largest
/// entry down.
#[inline(always)]
fn search_down(v: &[u128], e: u128) -> Result<usize, usize> {
    v.binary_search_by(|x| e.cmp(x))
}

impl Default for Ordered {
    fn default() -> Self {
        Ordered::Small(Vec::new())
    }
}

/// The entries of an [`Ordered`] set from some entry on, in order.
pub enum OrderedIter<'a> {
    Small(std::iter::Rev<std::slice::Iter<'a, u128>>),
    Large(std::collections::btree_set::Range<'a, u128>),
    Lazy(Ref<'a, Vec<u128>>, usize),
}

impl Iterator for OrderedIter<'_> {
    type Item = u128;

    #[inline]
    fn next(&mut self) -> Option<u128> {
        match self {
            OrderedIter::Small(it) => it.next().copied(),
            OrderedIter::Large(it) => it.next().copied(),
            OrderedIter::Lazy(v, i) => {
                let e = v.get(*i).copied();
                *i += 1;
                e
            }
        }
    }
}

impl Ordered {
    /// Inserts `e`; false if it was present.
    pub fn insert(&mut self, e: u128) -> bool {
        match self {
            Ordered::Small(v) => match search_down(v, e) {
                Ok(_) => false,
                Err(i) => {
                    v.insert(i, e);
                    if v.len() > LARGE {
                        self.grow_large();
                    }
                    true
                }
            },
            Ordered::Large(s) => large_insert(s, e),
            Ordered::Lazy(l) => l.insert(e),
        }
    }

    /// Removes `e`; false if it was absent.
    #[inline(always)]
    pub fn remove(&mut self, e: u128) -> bool {
        match self {
            Ordered::Small(v) => match search_down(v, e) {
                Ok(i) => {
                    // Mostly the last (least) entry, the one binpack took:
                    // `Vec::remove` would still call `memmove` for nothing.
                    if i + 1 == v.len() {
                        v.pop();
                    } else {
                        v.remove(i);
                    }
                    true
                }
                Err(_) => false,
            },
            Ordered::Large(_) => self.large_remove(e),
            Ordered::Lazy(l) => l.remove(e),
        }
    }

    /// A sorted vector past `LARGE` entries becomes a B-tree.
    #[cold]
    #[inline(never)]
    fn grow_large(&mut self) {
        if let Ordered::Small(v) = self {
            *self = Ordered::Large(std::mem::take(v).into_iter().collect());
        }
    }

    /// [`remove`](Self::remove) from a B-tree, which becomes a sorted
    /// vector below `SMALL` entries. The B-tree's operations are kept out
    /// of line, in one copy: inlined, they made every update of a small
    /// set's owner several kilobytes of code that a cluster below `LARGE`
    /// instances never runs.
    #[inline(never)]
    fn large_remove(&mut self, e: u128) -> bool {
        let Ordered::Large(s) = self else {
            return false;
        };
        let removed = s.remove(&e);
        if s.len() < SMALL {
            *self = Ordered::Small(std::mem::take(s).into_iter().rev().collect());
        }
        removed
    }

    /// Replaces `old` by `new`; false (and no change) if `old` was absent.
    /// A sorted vector moves the entries between the two positions only.
    #[inline(always)]
    pub fn replace(&mut self, old: u128, new: u128) -> bool {
        match self {
            Ordered::Small(v) => {
                let Ok(i) = search_down(v, old) else {
                    return false;
                };
                if new < old {
                    // Entries after i (smaller than old) greater than new
                    // move toward the front by one.
                    let j = i + 1 + v[i + 1..].partition_point(|&x| x > new);
                    if v.get(j) == Some(&new) {
                        v.remove(i);
                        return true;
                    }
                    v[i..j].rotate_left(1);
                    v[j - 1] = new;
                } else if new > old {
                    // Entries before i (greater than old) smaller than new
                    // move toward the end by one.
                    let j = v[..i].partition_point(|&x| x > new);
                    if j < i && v[j] == new {
                        v.remove(i);
                        return true;
                    }
                    v[j..=i].rotate_right(1);
                    v[j] = new;
                }
                true
            }
            Ordered::Lazy(l) => l.replace(old, new),
            Ordered::Large(s) => large_replace(s, old, new),
        }
    }

    /// The entries from `lower` on, in order.
    #[inline(always)]
    pub fn range_from(&self, lower: u128) -> OrderedIter<'_> {
        match self {
            Ordered::Small(v) => {
                let i = v.partition_point(|&x| x >= lower);
                OrderedIter::Small(v[..i].iter().rev())
            }
            Ordered::Large(s) => OrderedIter::Large(s.range(lower..)),
            Ordered::Lazy(l) => {
                let v = l.sorted();
                let i = v.partition_point(|&x| x < lower);
                OrderedIter::Lazy(v, i)
            }
        }
    }

    /// The smallest entry, when it is known without sorting (None for an
    /// empty set, and for a [`Lazy`] one).
    fn least(&self) -> Option<u128> {
        match self {
            Ordered::Small(v) => v.last().copied(),
            Ordered::Large(s) => s.first().copied(),
            Ordered::Lazy(_) => None,
        }
    }

    /// The largest entry.
    pub fn last(&self) -> Option<u128> {
        match self {
            Ordered::Small(v) => v.first().copied(),
            Ordered::Large(s) => s.last().copied(),
            Ordered::Lazy(l) => l.entries.iter().max().copied(),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        match self {
            Ordered::Small(v) => v.len(),
            Ordered::Large(s) => s.len(),
            Ordered::Lazy(l) => l.entries.len(),
        }
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Entries `(key, rank)` split into ordered sets by the size class of a
/// second amount (the *class amount*) of the same instance.
///
/// Members of classes above `class_of(x)` all have a class amount above
/// `x`; members of `class_of(x)` itself may have less, so walks check that
/// amount (placement's resource check does) on that class. Entries are
/// stored packed into one `u128` (key above rank: the same order as the
/// pair) in an [`Ordered`] set per class. Class 0 (class amount 0 or 1:
/// full instances, which a walk for a task needing 2 units or more never
/// reads) is kept unordered and sorted when read, so that instances filling
/// up and freeing a slot do not shift it.
#[derive(Debug, Clone)]
pub struct Classed {
    sets: [Ordered; CLASSES],
    /// Bit k set when class k is non-empty.
    nonempty: u32,
}

impl Default for Classed {
    fn default() -> Self {
        let mut sets: [Ordered; CLASSES] = Default::default();
        sets[0] = Ordered::Lazy(Box::default());
        Classed { sets, nonempty: 0 }
    }
}

impl Classed {
    fn insert(&mut self, class_amount: u32, key: u32, rank: u64) {
        let k = class_of(class_amount);
        self.sets[k].insert(pack(key, rank));
        self.nonempty |= 1 << k;
    }

    fn remove(&mut self, class_amount: u32, key: u32, rank: u64) -> bool {
        let k = class_of(class_amount);
        let set = &mut self.sets[k];
        let removed = set.remove(pack(key, rank));
        if set.is_empty() {
            self.nonempty &= !(1 << k);
        }
        removed
    }

    /// Moves an entry from (old class amount, old key) to the new ones.
    /// Out of line: inlined into the loop over a partition's orders, its
    /// paths (three kinds of set, removal and insertion) made the loop
    /// spill its registers at every update.
    #[inline(never)]
    fn update(&mut self, rank: u64, old: (u32, u32), new: (u32, u32)) {
        if old == new {
            return;
        }
        let k = class_of(old.0);
        if k == class_of(new.0) {
            if old.1 != new.1 {
                self.sets[k].replace(pack(old.1, rank), pack(new.1, rank));
            }
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
    /// accepts (`fits` must only read: it may be asked about more entries
    /// than the first it accepts).
    ///
    /// The first entry `fits` accepts in the classes together is the least
    /// of the first each class has, so the classes are walked one at a
    /// time, from the lowest, each only below the best found so far: a
    /// class whose least entry is not below it costs no look-up. Under
    /// binpack the instances with the least left of one resource mostly
    /// have the least of the other too, so the lowest classes hold the
    /// answer and most decisions look up one or two classes of the four or
    /// so that may fit.
    #[inline(always)]
    pub fn first(
        &self,
        class_min: u32,
        lower: u32,
        mut fits: impl FnMut(u64) -> bool,
    ) -> Option<(u32, u64)> {
        let mut mask = self.classes_from(class_min);
        let from = pack(lower, 0);
        let mut best: Option<u128> = None;
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let set = &self.sets[k];
            if let (Some(b), Some(least)) = (best, set.least()) {
                if least >= b {
                    continue;
                }
            }
            for e in set.range_from(from) {
                if best.is_some_and(|b| e >= b) {
                    break;
                }
                if fits(e as u64) {
                    best = Some(e);
                    break;
                }
            }
        }
        best.map(unpack)
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
            .flat_map(move |k| self.sets[k].range_from(pack(lower, 0)).map(unpack))
    }

    /// The largest key, if any entry.
    pub fn max_key(&self) -> Option<u32> {
        let mut mask = self.nonempty;
        let mut max = None;
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if let Some(e) = self.sets[k].last() {
                max = max.max(Some(unpack(e).0));
            }
        }
        max
    }

    /// All entries with their class, class by class (for checks).
    pub fn entries(&self) -> impl Iterator<Item = (usize, (u32, u64))> + '_ {
        (0..CLASSES).flat_map(move |k| self.sets[k].range_from(0).map(move |e| (k, unpack(e))))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.sets.iter().map(Ordered::len).sum()
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.nonempty == 0
    }
}

/// Which orders the partitions of one level (the global partition, or the
/// partitions of one attribute) keep: only those some indexed policy walks
/// there, so that an attach or detach updates no order nobody reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Orders {
    /// The filters of the sets of `mem_by_cpu` (binpack(memory) walks), in
    /// the order they were asked for: set i holds the instances whose
    /// cached predicates include every predicate of filter i (see
    /// [`Order::Memory`]).
    pub memory: Vec<u64>,
    /// The filters of the sets of `cpu_by_mem` (binpack(cpu) walks), as
    /// `memory`.
    pub cpu: Vec<u64>,
    /// The groups of `by_group` (spread(instanceId) walks), sorted, each
    /// with its filters: an instance is in the group's order when the
    /// cached predicates it satisfies (a bit per cache slot) include every
    /// predicate of one of them (see [`Order::Group`]).
    pub groups: Vec<(GroupId, Vec<u64>)>,
}

/// One order of a partition, as a policy asks for it (see [`Orders`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By remaining memory, bucketed by remaining CPU, holding only the
    /// instances that satisfy the cached predicates of the mask (as for
    /// `Group`): a binpack walk of a policy pinned to a pool by `memberOf`
    /// meets no instance of another pool, and an attach or detach updates
    /// only the sets whose filter admits the instance.
    Memory(u64),
    /// By remaining CPU, bucketed by remaining memory, filtered as `Memory`.
    Cpu(u64),
    /// By the group's task count on the instance, holding only instances
    /// that satisfy the cached predicates of the mask (bit s for cache slot
    /// s, see `Cluster::cache_predicate`): those of the walking policy's
    /// `memberOf` constraints, so that a walk does not pass over instances
    /// of other pools. 0 holds every instance.
    Group(GroupId, u64),
}

impl Orders {
    /// Whether `order` is kept.
    pub fn has(&self, order: Order) -> bool {
        match order {
            Order::Memory(m) => Self::implied(&self.memory, m).is_some(),
            Order::Cpu(m) => Self::implied(&self.cpu, m).is_some(),
            // A walk with constraints `m` may read an order whose filter
            // needs fewer: it holds every instance the walk can accept.
            Order::Group(g, m) => self
                .filters(g)
                .is_some_and(|fs| fs.iter().any(|&f| f & !m == 0)),
        }
    }

    /// The set a walk with the cached constraints `m` reads among those of
    /// `filters`: one whose filter `m` implies (it holds every instance the
    /// walk can accept, in the same order), the most filtered of them
    /// (fewest instances to pass over), the first on a tie.
    fn implied(filters: &[u64], m: u64) -> Option<usize> {
        // Mostly one filter (no memberOf, or one expression): no bit counts,
        // which the baseline x86-64 target makes a dozen instructions each.
        if let [f] = filters {
            return (f & !m == 0).then_some(0);
        }
        let mut best: Option<(u32, usize)> = None;
        for (i, &f) in filters.iter().enumerate() {
            if f & !m == 0 && best.is_none_or(|(n, _)| f.count_ones() > n) {
                best = Some((f.count_ones(), i));
            }
        }
        best.map(|(_, i)| i)
    }

    /// The set of `mem_by_cpu` (or `cpu_by_mem` for `Order::Cpu`) a walk
    /// reads for `order`, if kept; None for a group's order.
    #[inline(always)]
    pub fn set_for(&self, order: Order) -> Option<usize> {
        match order {
            Order::Memory(m) => Self::implied(&self.memory, m),
            Order::Cpu(m) => Self::implied(&self.cpu, m),
            Order::Group(..) => None,
        }
    }

    fn filters(&self, g: GroupId) -> Option<&Vec<u64>> {
        (self.groups.binary_search_by_key(&g, |e| e.0).ok()).map(|i| &self.groups[i].1)
    }

    /// Whether an instance satisfying the cached predicates of `accepted`
    /// belongs in the order of group `g`.
    pub fn admits(&self, g: GroupId, accepted: u64) -> bool {
        self.filters(g)
            .is_some_and(|fs| fs.iter().any(|&f| f & !accepted == 0))
    }

    /// The entries of `counts` (sorted by group, as the index's tracked
    /// groups are) whose group's order admits an instance satisfying the
    /// cached predicates of `accepted` ([`admits`](Self::admits) of each):
    /// one merge walk of the two sorted lists, where a search per group
    /// cost an instance's entry into a partition most of its time.
    fn admitted_counts<'a>(
        &'a self,
        counts: &'a [(GroupId, u32)],
        accepted: u64,
    ) -> impl Iterator<Item = (GroupId, u32)> + 'a {
        debug_assert!(counts.windows(2).all(|w| w[0].0 < w[1].0));
        let mut groups = self.groups.iter().peekable();
        counts.iter().filter_map(move |&(g, c)| {
            while groups.next_if(|(o, _)| *o < g).is_some() {}
            let (o, fs) = groups.peek()?;
            (*o == g && fs.iter().any(|&f| f & !accepted == 0)).then_some((g, c))
        })
    }
}

/// Instances of one partition, in the orders of its level's [`Orders`]
/// (the others stay empty).
#[derive(Debug, Clone, Default)]
pub struct Partition {
    /// (remaining memory MiB, rank), by class of remaining CPU units: one
    /// set per filter of the level's `Orders::memory` (same position; a
    /// set not yet created is empty).
    pub mem_by_cpu: Vec<Classed>,
    /// (remaining cpu units, rank), by class of remaining memory: one set
    /// per filter of the level's `Orders::cpu`.
    pub cpu_by_mem: Vec<Classed>,
    /// Ranks, sorted: a vector, as walks read it far more often than
    /// instances join or leave (a join shifts the larger ranks, 8 bytes
    /// each).
    pub by_rank: Vec<u64>,
    /// Per kept group: its members by (tasks of the group on the
    /// instance, rank).
    pub by_group: IdMap<GroupId, GroupOrder>,
    /// Members in arbitrary order, for uniform sampling.
    pub members: Vec<InstanceId>,
    position: IdMap<InstanceId, usize>,
    /// Members by size class of their remaining CPU, and of their
    /// remaining memory (for [`PlacementIndex::may_fit`]).
    cpu_classes: [u32; CLASSES],
    mem_classes: [u32; CLASSES],
    /// Bit k set when `cpu_classes[k]` (`mem_classes[k]`) is not zero: the
    /// top class is one bit scan.
    cpu_nonempty: u32,
    mem_nonempty: u32,
    /// Per group walked by [`Partition::walk_group`]: where its last walk
    /// found the first instance with room, and for what need at which
    /// [`PlacementIndex::walk_epoch`].
    walk_starts: RefCell<Vec<WalkStart>>,
}

/// Where a walk of a group's instances may start: every entry of the
/// group's order before `from` lacked room for `need` when the index was
/// at `epoch`, and still does while the epoch stays.
#[derive(Debug, Clone, Copy)]
struct WalkStart {
    group: GroupId,
    epoch: u64,
    need: Resources,
    from: (u32, u64),
}

/// The members of a partition that a group's order admits, by (tasks of
/// the group on the instance, rank).
///
/// On a big cluster most instances hold no task of a given group (a
/// service of 500 tasks over 5,000 instances), so the members with none are
/// not kept as entries: they are the partition's ranks (`by_rank`, already
/// in rank order) whose bit is set in `zero`. Only the members holding
/// some of the group's tasks are entries of `counted`. An instance joining
/// sets a bit instead of inserting into an ordered set per kept group, and
/// a group's first task on an instance inserts into a short set instead of
/// moving an entry of a set as large as the partition. The order read is
/// the same: every count-0 member by rank, then `counted`.
#[derive(Debug, Clone, Default)]
pub struct GroupOrder {
    /// Bit `i` set when instance `i` is a member with no task of the group.
    zero: Vec<u64>,
    /// (tasks of the group, rank) of the members holding some.
    counted: BTreeSet<(u32, u64)>,
}

impl GroupOrder {
    fn word(rank: u64) -> (usize, u64) {
        let i = rank_instance(rank).index();
        (i / 64, 1 << (i % 64))
    }

    /// Whether the instance of `rank` is a member with no task of the group.
    fn is_zero(&self, rank: u64) -> bool {
        let (w, bit) = Self::word(rank);
        self.zero.get(w).is_some_and(|x| x & bit != 0)
    }

    /// Clears the instance's zero bit; returns whether it was set.
    fn take_zero(&mut self, rank: u64) -> bool {
        let (w, bit) = Self::word(rank);
        match self.zero.get_mut(w) {
            Some(x) if *x & bit != 0 => {
                *x &= !bit;
                true
            }
            _ => false,
        }
    }

    /// Adds the instance of `rank` holding `count` tasks of the group.
    fn insert(&mut self, count: u32, rank: u64) {
        if count > 0 {
            self.counted.insert((count, rank));
            return;
        }
        let (w, bit) = Self::word(rank);
        if self.zero.len() <= w {
            self.zero.resize(w + 1, 0);
        }
        self.zero[w] |= bit;
    }

    /// Removes the instance of `rank` holding `count` tasks of the group;
    /// returns whether it was a member.
    fn remove(&mut self, count: u32, rank: u64) -> bool {
        if count > 0 {
            self.counted.remove(&(count, rank))
        } else {
            self.take_zero(rank)
        }
    }

    /// The entries from `from` on, in (count, rank) order; `by_rank` is the
    /// partition's.
    fn range<'a>(
        &'a self,
        by_rank: &'a [u64],
        from: (u32, u64),
    ) -> impl Iterator<Item = (u32, u64)> + 'a {
        let zeros = (from.0 == 0).then(|| {
            by_rank[by_rank.partition_point(|&r| r < from.1)..]
                .iter()
                .filter(|&&r| self.is_zero(r))
                .map(|&r| (0, r))
        });
        // The counted entries are looked up only once the zeros are passed.
        let counted = std::iter::once(from).flat_map(|from| self.counted.range(from..).copied());
        zeros.into_iter().flatten().chain(counted)
    }
}

/// Set `i` of `sets`, created (with those before it) if missing.
fn set_mut(sets: &mut Vec<Classed>, i: usize) -> &mut Classed {
    if sets.len() <= i {
        sets.resize_with(i + 1, Classed::default);
    }
    &mut sets[i]
}

/// The positions of the filters of `filters` that an instance satisfying
/// the cached predicates of `accepted` passes.
fn admitted(filters: &[u64], accepted: u64) -> impl Iterator<Item = usize> + '_ {
    (filters.iter().enumerate())
        .filter(move |&(_, &f)| f & !accepted == 0)
        .map(|(i, _)| i)
}

impl Partition {
    /// The first entry of `group`'s order, by increasing (count, rank),
    /// whose instance `index` says may have room for `need` and that
    /// `fits` accepts, as (count, rank).
    ///
    /// On a filling cluster the instances with the fewest tasks of the
    /// group are mostly full of other groups' tasks, and each walk would
    /// pass over the same ones again. Room only shrinks while the index's
    /// `walk_epoch` stays (it moves when an
    /// instance gains room, joins, or loses a task of a group), so the
    /// walk resumes where the last one for the same need first met room.
    /// The entry found is the one a walk from the start finds.
    pub fn walk_group(
        &self,
        index: &PlacementIndex,
        group: GroupId,
        need: Resources,
        mut fits: impl FnMut(u64) -> bool,
    ) -> Option<(u32, u64)> {
        let order = self.by_group.get(&group)?;
        let epoch = index.walk_epoch;
        let mut starts = self.walk_starts.borrow_mut();
        let from = (starts.iter())
            .find(|w| w.group == group && w.epoch == epoch && w.need == need)
            .map_or((0, 0), |w| w.from);
        let mut first_room = None;
        let found = order.range(&self.by_rank, from).find(|&(count, rank)| {
            if !index.may_have_room(rank, need) {
                return false;
            }
            first_room.get_or_insert((count, rank));
            fits(rank)
        });
        let start = WalkStart {
            group,
            epoch,
            need,
            from: first_room.unwrap_or((u32::MAX, u64::MAX)),
        };
        match starts.iter_mut().find(|w| w.group == group) {
            Some(w) => *w = start,
            None => starts.push(start),
        }
        found
    }

    /// The order of `group`, if kept here: its entries (tasks of the group
    /// on the instance, rank) in increasing order.
    pub fn group_order(&self, group: GroupId) -> Option<impl Iterator<Item = (u32, u64)> + '_> {
        (self.by_group.get(&group)).map(|o| o.range(&self.by_rank, (0, 0)))
    }

    /// The set `i` of the order by memory (see [`Orders::set_for`]), if
    /// it has been created.
    pub fn mem_set(&self, i: usize) -> Option<&Classed> {
        self.mem_by_cpu.get(i)
    }

    /// The set `i` of the order by CPU, if it has been created.
    pub fn cpu_set(&self, i: usize) -> Option<&Classed> {
        self.cpu_by_mem.get(i)
    }

    pub(crate) fn insert(
        &mut self,
        id: InstanceId,
        rank: u64,
        rem: Resources,
        counts: &[(GroupId, u32)],
        orders: &Orders,
        accepted: u64,
    ) {
        for i in admitted(&orders.memory, accepted) {
            set_mut(&mut self.mem_by_cpu, i).insert(rem.cpu, rem.memory, rank);
        }
        for i in admitted(&orders.cpu, accepted) {
            set_mut(&mut self.cpu_by_mem, i).insert(rem.memory, rem.cpu, rank);
        }
        self.count_classes(rem, true);
        if let Err(at) = self.by_rank.binary_search(&rank) {
            self.by_rank.insert(at, rank);
        }
        for (g, c) in orders.admitted_counts(counts, accepted) {
            self.by_group.entry(g).or_default().insert(c, rank);
        }
        self.position.insert(id, self.members.len());
        self.members.push(id);
    }

    fn remove(
        &mut self,
        id: InstanceId,
        rank: u64,
        rem: Resources,
        counts: &[(GroupId, u32)],
        orders: &Orders,
        accepted: u64,
    ) {
        for i in admitted(&orders.memory, accepted) {
            set_mut(&mut self.mem_by_cpu, i).remove(rem.cpu, rem.memory, rank);
        }
        for i in admitted(&orders.cpu, accepted) {
            set_mut(&mut self.cpu_by_mem, i).remove(rem.memory, rem.cpu, rank);
        }
        self.count_classes(rem, false);
        if let Ok(at) = self.by_rank.binary_search(&rank) {
            self.by_rank.remove(at);
        }
        for &(g, c) in counts {
            if let Some(order) = self.by_group.get_mut(&g) {
                order.remove(c, rank);
            }
        }
        if let Some(pos) = self.position.remove(&id) {
            self.members.swap_remove(pos);
            if let Some(&moved) = self.members.get(pos) {
                self.position.insert(moved, pos);
            }
        }
    }

    fn count_classes(&mut self, rem: Resources, up: bool) {
        let (c, m) = (class_of(rem.cpu), class_of(rem.memory));
        if up {
            self.cpu_classes[c] += 1;
            self.mem_classes[m] += 1;
        } else {
            self.cpu_classes[c] -= 1;
            self.mem_classes[m] -= 1;
        }
        let bit = |n: u32, k: usize| u32::from(n > 0) << k;
        self.cpu_nonempty = self.cpu_nonempty & !(1 << c) | bit(self.cpu_classes[c], c);
        self.mem_nonempty = self.mem_nonempty & !(1 << m) | bit(self.mem_classes[m], m);
    }

    /// [`count_classes`](Self::count_classes) of a member whose remaining
    /// resources go from `old` to `new`: nothing when both stay in their
    /// class, as most updates of a resource that is not the binding one.
    #[inline(always)]
    fn move_classes(&mut self, old: Resources, new: Resources) {
        fn move_one(counts: &mut [u32; CLASSES], nonempty: &mut u32, from: usize, to: usize) {
            if from != to {
                counts[from] -= 1;
                if counts[from] == 0 {
                    *nonempty &= !(1 << from);
                }
                counts[to] += 1;
                *nonempty |= 1 << to;
            }
        }
        let (from, to) = (class_of(old.cpu), class_of(new.cpu));
        move_one(&mut self.cpu_classes, &mut self.cpu_nonempty, from, to);
        let (from, to) = (class_of(old.memory), class_of(new.memory));
        move_one(&mut self.mem_classes, &mut self.mem_nonempty, from, to);
    }

    fn update_remaining(
        &mut self,
        rank: u64,
        old: Resources,
        new: Resources,
        orders: &Orders,
        accepted: u64,
    ) {
        for i in admitted(&orders.memory, accepted) {
            set_mut(&mut self.mem_by_cpu, i).update(
                rank,
                (old.cpu, old.memory),
                (new.cpu, new.memory),
            );
        }
        for i in admitted(&orders.cpu, accepted) {
            set_mut(&mut self.cpu_by_mem, i).update(
                rank,
                (old.memory, old.cpu),
                (new.memory, new.cpu),
            );
        }
        self.move_classes(old, new);
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
    /// The orders the global partition keeps.
    global_orders: Orders,
    /// Remaining resources of ACTIVE instances by instance id (zero for the
    /// others): 8 bytes an instance, so a walk in an order that is not by
    /// resources can pass over full instances without reading them.
    room: Vec<Resources>,
    /// The cached predicates each ACTIVE instance satisfies, by instance
    /// id (as `Cluster::accepted_predicates` when it entered the index or
    /// an order was last filled): which filtered sets hold it.
    accepted: Vec<u64>,
    /// Per partition attribute, its values' partitions (sorted by value id).
    pub levels: Vec<(AttrId, BTreeMap<ValueId, Partition>)>,
    /// Per partition attribute (as `levels`), the orders its partitions keep.
    level_orders: Vec<Orders>,
    /// Groups whose per-instance counts some level orders, sorted.
    pub groups: Vec<GroupId>,
    /// By group id: whether it is one of `groups` (asked at every change
    /// of a group's count).
    tracked: Vec<bool>,
    /// Moves whenever an instance gains room, joins the index, or loses a
    /// task of a group, or a group's order is filled: while it stays, an
    /// instance without room for a need keeps lacking it and no entry
    /// moves down a group's order (see [`Partition::walk_group`]).
    walk_epoch: u64,
}

impl PlacementIndex {
    /// The partitions of `attr`, if it is a partition attribute.
    pub fn level(&self, attr: AttrId) -> Option<&BTreeMap<ValueId, Partition>> {
        self.levels.iter().find(|(a, _)| *a == attr).map(|(_, m)| m)
    }

    /// The orders kept by the partitions of `level` (an attribute, or the
    /// global partition for None), if it is a level.
    pub fn orders(&self, level: Option<AttrId>) -> Option<&Orders> {
        match level {
            None => Some(&self.global_orders),
            Some(a) => {
                (self.levels.iter().position(|(l, _)| *l == a)).map(|i| &self.level_orders[i])
            }
        }
    }

    /// Whether the partitions of `level` keep `order`.
    pub fn keeps(&self, level: Option<AttrId>, order: Order) -> bool {
        self.orders(level).is_some_and(|o| o.has(order))
    }

    /// Adds an (empty) level of partitions by `attr`, keeping no order yet.
    pub(crate) fn add_level(&mut self, attr: AttrId) {
        self.levels.push((attr, BTreeMap::new()));
        self.level_orders.push(Orders::default());
    }

    /// Starts keeping `order` in the partitions of `level` (which must
    /// exist); returns false if it was already kept. The caller then adds
    /// every ACTIVE instance with [`fill_order`](Self::fill_order).
    pub(crate) fn keep(&mut self, level: Option<AttrId>, order: Order) -> bool {
        let orders = match level {
            None => &mut self.global_orders,
            Some(a) => {
                let i =
                    (self.levels.iter().position(|(l, _)| *l == a)).expect("level of a kept order");
                &mut self.level_orders[i]
            }
        };
        if orders.has(order) {
            return false;
        }
        match order {
            Order::Memory(m) => orders.memory.push(m),
            Order::Cpu(m) => orders.cpu.push(m),
            Order::Group(g, m) => {
                match orders.groups.binary_search_by_key(&g, |e| e.0) {
                    Ok(i) => orders.groups[i].1.push(m),
                    Err(i) => orders.groups.insert(i, (g, vec![m])),
                }
                if let Err(at) = self.groups.binary_search(&g) {
                    self.groups.insert(at, g);
                    if self.tracked.len() <= g.index() {
                        self.tracked.resize(g.index() + 1, false);
                    }
                    self.tracked[g.index()] = true;
                }
            }
        }
        true
    }

    /// Adds an ACTIVE instance to a newly kept `order` of `level` (for a
    /// group's order, if it satisfies the order's new filter: the cached
    /// predicates `accepted` it satisfies include the mask's).
    pub(crate) fn fill_order(
        &mut self,
        level: Option<AttrId>,
        order: Order,
        rank: u64,
        attrs: &[(AttrId, ValueId)],
        count: u32,
        accepted: u64,
    ) {
        // The answers are read afresh here: later updates find the sets
        // that hold the instance by them.
        self.set_accepted(rank, accepted);
        let (Order::Memory(m) | Order::Cpu(m) | Order::Group(_, m)) = order;
        if m & !accepted != 0 {
            return;
        }
        let rem = self.room[rank_instance(rank).index()];
        // The new set is the last of its kind (`keep` pushed its filter).
        let orders = self.orders(level).expect("level of a kept order");
        let (mem_set, cpu_set) = (orders.memory.len(), orders.cpu.len());
        let part = match level {
            None => &mut self.global,
            Some(a) => {
                let parts = (self.levels.iter_mut().find(|(l, _)| *l == a))
                    .map(|(_, m)| m)
                    .expect("level of a kept order");
                parts.entry(value_in(attrs, a)).or_default()
            }
        };
        match order {
            Order::Memory(_) => {
                set_mut(&mut part.mem_by_cpu, mem_set - 1).insert(rem.cpu, rem.memory, rank)
            }
            Order::Cpu(_) => {
                set_mut(&mut part.cpu_by_mem, cpu_set - 1).insert(rem.memory, rem.cpu, rank)
            }
            Order::Group(g, _) => {
                part.by_group.entry(g).or_default().insert(count, rank);
                self.walk_epoch += 1;
            }
        }
    }

    /// Whether the instance of `rank` may have `need` free: false only when
    /// it is not ACTIVE or short of CPU or memory, which every placement
    /// check rejects (P1 step 1).
    pub fn may_have_room(&self, rank: u64, need: Resources) -> bool {
        self.has_room(rank_instance(rank), need)
    }

    /// [`may_have_room`](Self::may_have_room) by instance id.
    pub fn has_room(&self, id: InstanceId, need: Resources) -> bool {
        self.room.get(id.index()).is_some_and(|r| r.covers(&need))
    }

    /// Whether some instance of `part` has `need.cpu` and some (maybe
    /// another) has `need.memory` free: when false, nothing there can fit
    /// the task.
    pub fn may_fit(&self, part: &Partition, need: Resources) -> bool {
        // The top size class of a resource bounds its maximum; only when the
        // need falls in that class are the members' exact amounts read.
        let at_least = |nonempty: u32, x: u32, pick: fn(&Resources) -> u32| {
            if nonempty == 0 {
                return false;
            }
            let top = (31 - nonempty.leading_zeros()) as usize;
            match class_of(x).cmp(&top) {
                std::cmp::Ordering::Less => true,
                std::cmp::Ordering::Greater => false,
                std::cmp::Ordering::Equal => (part.members.iter())
                    .any(|id| self.room.get(id.index()).is_some_and(|r| pick(r) >= x)),
            }
        };
        at_least(part.cpu_nonempty, need.cpu, |r| r.cpu)
            && at_least(part.mem_nonempty, need.memory, |r| r.memory)
    }

    /// The members of `parts` with `need` free, in no particular order.
    pub fn members_with_room<'a>(
        &'a self,
        parts: &'a [&'a Partition],
        need: Resources,
    ) -> impl Iterator<Item = InstanceId> + 'a {
        (parts.iter())
            .flat_map(|p| p.members.iter().copied())
            .filter(move |&id| self.has_room(id, need))
    }

    fn set_room(&mut self, rank: u64, rem: Resources) {
        let i = rank_instance(rank).index();
        if self.room.len() <= i {
            self.room.resize(i + 1, Resources::default());
        }
        let old = std::mem::replace(&mut self.room[i], rem);
        if rem.cpu > old.cpu || rem.memory > old.memory {
            self.walk_epoch += 1;
        }
    }

    fn set_accepted(&mut self, rank: u64, accepted: u64) {
        let i = rank_instance(rank).index();
        if self.accepted.len() <= i {
            self.accepted.resize(i + 1, 0);
        }
        self.accepted[i] = accepted;
    }

    fn accepted_of(&self, rank: u64) -> u64 {
        (self.accepted.get(rank_instance(rank).index())).map_or(0, |&a| a)
    }

    /// Whether some level orders `g`'s per-instance counts.
    pub fn tracks_group(&self, g: GroupId) -> bool {
        self.tracked.get(g.index()).copied().unwrap_or(false)
    }

    pub(crate) fn for_each_partition(
        &mut self,
        attrs: &[(AttrId, ValueId)],
        mut f: impl FnMut(&mut Partition, &Orders),
    ) {
        f(&mut self.global, &self.global_orders);
        for ((attr, parts), orders) in self.levels.iter_mut().zip(&self.level_orders) {
            f(parts.entry(value_in(attrs, *attr)).or_default(), orders);
        }
    }

    pub(crate) fn insert(
        &mut self,
        id: InstanceId,
        rank: u64,
        attrs: &[(AttrId, ValueId)],
        rem: Resources,
        counts: &[(GroupId, u32)],
        accepted: u64,
    ) {
        self.set_room(rank, rem);
        self.walk_epoch += 1;
        self.set_accepted(rank, accepted);
        self.for_each_partition(attrs, |p, o| p.insert(id, rank, rem, counts, o, accepted));
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
        let accepted = self.accepted_of(rank);
        self.for_each_partition(attrs, |p, o| p.remove(id, rank, rem, counts, o, accepted));
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
        let accepted = self.accepted_of(rank);
        self.for_each_partition(attrs, |p, o| {
            p.update_remaining(rank, old, new, o, accepted)
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
        if new < old {
            self.walk_epoch += 1;
        }
        // Only the partitions of levels that keep the group have its order.
        let update = |p: &mut Partition| {
            if let Some(order) = p.by_group.get_mut(&group) {
                if order.remove(old, rank) {
                    order.insert(new, rank);
                }
            }
        };
        if self.global_orders.filters(group).is_some() {
            update(&mut self.global);
        }
        for ((attr, parts), orders) in self.levels.iter_mut().zip(&self.level_orders) {
            if orders.filters(group).is_some() {
                if let Some(p) = parts.get_mut(&value_in(attrs, *attr)) {
                    update(p);
                }
            }
        }
    }
}

/// The value of `attr` in sorted `attrs`, MISSING_VALUE when absent.
fn value_in(attrs: &[(AttrId, ValueId)], attr: AttrId) -> ValueId {
    attrs
        .binary_search_by_key(&attr, |&(a, _)| a)
        .map(|i| attrs[i].1)
        .unwrap_or(MISSING_VALUE)
}

/// The instance id encoded in a rank.
pub fn rank_instance(rank: u64) -> InstanceId {
    InstanceId(rank as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// `Classed::first` returns what a plain scan in (key, rank) order of
    /// every entry with a class amount of at least `class_min` (up to the
    /// members of its own class, which the caller's check filters) and a
    /// key of at least `lower` returns, for predicates rejecting most
    /// entries, after inserts, moves and removals.
    /// Each kind of `Ordered` set (sorted vector, switching to a B-tree past
    /// `LARGE` entries and back below `SMALL`, and the lazily sorted one)
    /// holds what a `BTreeSet` does under random inserts, removals and
    /// replacements, and reads it in the same order.
    #[test]
    fn ordered_sets_match_a_btree_set() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let kinds = [Ordered::default(), Ordered::Lazy(Box::default())];
        for mut set in kinds {
            let mut want = BTreeSet::new();
            // Per instance id, its entry (ranks, so entries, are unique by id).
            let mut by_id: Vec<Option<u128>> = vec![None; 3000];
            let mut was_large = false;
            for step in 0..30_000 {
                // Grow past LARGE, then shrink below SMALL, then mix.
                let grow = match step {
                    0..10_000 => 3,
                    10_000..20_000 => 1,
                    _ => 2,
                };
                let id = rng.gen_range(0..by_id.len());
                let rank = (rng.gen_range(0..3u64) << 32) | id as u64;
                let key = rng.gen_range(0..700);
                match (rng.gen_range(0..4), by_id[id]) {
                    (0..=1, None) if grow >= 2 => {
                        let e = pack(key, rank);
                        assert!(set.insert(e) && want.insert(e), "{step}");
                        by_id[id] = Some(e);
                    }
                    (0..=1, Some(e)) if grow >= 2 => assert!(!set.insert(e), "{step}"),
                    (0..=1, Some(e)) => {
                        assert!(set.remove(e) && want.remove(&e), "{step}");
                        by_id[id] = None;
                    }
                    (2, Some(old)) => {
                        let new = pack(key, old as u64);
                        if new != old {
                            assert!(set.replace(old, new), "{step}");
                            want.remove(&old);
                            want.insert(new);
                            by_id[id] = Some(new);
                        }
                    }
                    (2, None) => assert!(!set.replace(pack(key, rank), pack(key + 1, rank))),
                    _ => {
                        let e = pack(key, rank);
                        let removed = set.remove(e);
                        assert_eq!(removed, want.remove(&e), "{step}");
                        if removed {
                            by_id[id] = None;
                        }
                    }
                }
                was_large |= matches!(set, Ordered::Large(_));
                assert_eq!(set.len(), want.len());
                if step % 97 == 0 {
                    let lower = pack(rng.gen_range(0..700), 0);
                    let got: Vec<u128> = set.range_from(lower).collect();
                    let exp: Vec<u128> = want.range(lower..).copied().collect();
                    assert_eq!(got, exp, "step {step}");
                    assert_eq!(set.last(), want.last().copied());
                    if !matches!(set, Ordered::Lazy(..)) {
                        assert_eq!(set.least(), want.first().copied());
                    }
                }
            }
            if !matches!(set, Ordered::Lazy(..)) {
                assert!(was_large, "the B-tree form was exercised");
            }
        }
    }

    /// `Classed` keeps class 0 (full instances) lazily sorted; walks that
    /// read it still see it in order.
    #[test]
    fn first_reads_class_zero_in_order() {
        let mut set = Classed::default();
        for (i, key) in [50u32, 10, 30, 20, 40].into_iter().enumerate() {
            set.insert(i as u32 % 2, key, i as u64);
        }
        set.update(0, (0, 50), (1, 5));
        assert_eq!(set.first(0, 0, |_| true), Some((5, 0)));
        assert_eq!(set.first(0, 11, |r| r != 3), Some((30, 2)));
        assert!(set.remove(0, 5, 0));
        assert_eq!(set.first(1, 0, |_| true), Some((10, 1)));
        assert_eq!(set.max_key(), Some(40));
        set.insert(4096, 1, 9);
        assert_eq!(set.first(0, 0, |_| true), Some((1, 9)));
        assert_eq!(set.first(2, 0, |_| true), Some((1, 9)));
        assert_eq!(set.first(2, 2, |_| true), None);
    }

    #[test]
    fn first_matches_a_scan_in_order() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut set = Classed::default();
        // Per rank: (class amount, key) as stored.
        let mut entries: Vec<Option<(u32, u32)>> = vec![None; 400];
        for step in 0..4000 {
            let r = rng.gen_range(0..entries.len());
            let rank = (u64::from(rng.gen::<u8>()) << 32) | r as u64;
            let rank = match entries[r] {
                // The rank of an entry stays fixed: recover it.
                Some(_) => set
                    .entries()
                    .map(|(_, (_, rk))| rk)
                    .find(|&rk| rank_instance(rk).index() == r)
                    .expect("stored"),
                None => rank,
            };
            let class_amount = match rng.gen_range(0..4) {
                0 => rng.gen_range(0..2u32),
                _ => rng.gen_range(0..5000u32),
            };
            let new = (class_amount, rng.gen_range(0..3000u32));
            match entries[r] {
                None => {
                    set.insert(new.0, new.1, rank);
                    entries[r] = Some(new);
                }
                Some(old) if step % 7 == 0 => {
                    assert!(set.remove(old.0, old.1, rank));
                    entries[r] = None;
                }
                Some(old) => {
                    set.update(rank, old, new);
                    entries[r] = Some(new);
                }
            }
            if step % 10 != 0 {
                continue;
            }
            let class_min = rng.gen_range(0..5000u32) >> rng.gen_range(0..13);
            let lower = rng.gen_range(0..3000u32);
            let modulus = rng.gen_range(1..20u64);
            let fits = |rank: u64| rank.is_multiple_of(modulus);
            let mut want: Vec<(u32, u64)> = set
                .entries()
                .filter(|&(k, (key, _))| k >= class_of(class_min) && key >= lower)
                .map(|(_, e)| e)
                .collect();
            want.sort();
            let want = want.into_iter().find(|e| fits(e.1));
            assert_eq!(set.first(class_min, lower, fits), want, "step {step}");
        }
        assert_eq!(set.len(), entries.iter().flatten().count());
    }
}
