//! The cluster: every container instance and task, with the counts and
//! indexes placement reads. All state changes go through its methods, which
//! keep the indexes, the per-group counts and the reservation totals in step.
//!
//! The cluster holds state and invariants only: it has no clock (callers pass
//! `now`) and schedules nothing.

use super::attrs::{Attributes, Interner};
use super::hash::IdMap;
use super::ids::{
    AttrId, GroupId, ImageId, InstanceGroupId, InstanceId, TaskDefId, TaskId, ValueId,
};
use super::index::{Order, Orders, PlacementIndex};
use super::instance::{ContainerInstance, InstanceState};
use super::resources::Resources;
use super::task::{StopReason, Task, TaskOwner, TaskState, Unfit};
use super::taskdef::HostPort;
use crate::sim::{MaybeTime, SimDuration, SimTime};

/// What placement needs to know about a task that is not placed yet.
#[derive(Debug, Clone, Copy)]
pub struct TaskReq<'a> {
    /// CPU and memory to reserve.
    pub reservation: Resources,
    /// Fixed host ports to reserve.
    pub ports: &'a [HostPort],
    /// Whether it needs an ENI (awsvpc).
    pub needs_eni: bool,
    /// Its task group.
    pub group: GroupId,
}

/// A task about to be created.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Task definition.
    pub def: TaskDefId,
    /// Group.
    pub group: GroupId,
    /// Owner.
    pub owner: TaskOwner,
    /// Reservation.
    pub reservation: Resources,
    /// Host ports.
    pub ports: Vec<HostPort>,
    /// awsvpc.
    pub needs_eni: bool,
    /// When it was requested.
    pub created_at: SimTime,
    /// Run time of a standalone task.
    pub work: Option<SimDuration>,
}

impl NewTask {
    /// The placement view of this task.
    pub fn req(&self) -> TaskReq<'_> {
        TaskReq {
            reservation: self.reservation,
            ports: &self.ports,
            needs_eni: self.needs_eni,
            group: self.group,
        }
    }
}

/// A new instance's description.
#[derive(Debug, Clone)]
pub struct NewInstance {
    /// Launching group.
    pub group: InstanceGroupId,
    /// Type name.
    pub instance_type: String,
    /// AZ name.
    pub az: String,
    /// Registered resources (R2).
    pub registered: Resources,
    /// awsvpc task capacity (R4).
    pub eni_capacity: u32,
    /// Attributes as (name, value), built-ins included.
    pub attributes: Vec<(String, String)>,
    /// Random part of the tie-break rank (0 for lowest-id order).
    pub tie: u32,
}

/// A test of an ACTIVE instance whose answer cannot change while the
/// instance stays ACTIVE (e.g. a `memberOf` expression on attributes): the
/// cluster evaluates it once per instance, when the instance becomes ACTIVE
/// (or when the predicate is cached, for instances already ACTIVE), and
/// forgets the answer when the instance leaves ACTIVE.
pub trait InstancePredicate: std::fmt::Debug + Send + Sync {
    /// Identifies the predicate: predicates with the same key are the same.
    fn key(&self) -> &str;
    /// Whether `inst` satisfies it.
    fn holds(&self, cluster: &Cluster, inst: &ContainerInstance) -> bool;
}

/// Cached answers of one [`InstancePredicate`], per instance id.
#[derive(Debug, Clone)]
struct CachedPredicate {
    predicate: std::sync::Arc<dyn InstancePredicate>,
    /// 0: not known (instance not ACTIVE), 1: false, 2: true.
    answers: Vec<u8>,
}

/// The record of new task `id` of `spec`, in `state`, on no instance, with
/// no time but its creation.
fn new_record(id: TaskId, spec: NewTask, state: TaskState) -> Task {
    Task {
        id,
        def: spec.def,
        group: spec.group,
        owner: spec.owner,
        reservation: spec.reservation,
        ports: spec.ports.into_boxed_slice(),
        needs_eni: spec.needs_eni,
        state,
        instance: None,
        created_at: spec.created_at,
        pending_at: MaybeTime::NONE,
        running_at: MaybeTime::NONE,
        stopping_at: MaybeTime::NONE,
        stopped_at: MaybeTime::NONE,
        stop_reason: None,
        work: spec.work,
        held_until: SimTime::ZERO,
    }
}

/// All instances and tasks of one cluster.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    /// Interned attribute names and values.
    pub attrs: Attributes,
    /// Wall-clock time of simulated time zero, seconds since the Unix epoch
    /// (what `registeredAt` compares against).
    pub start_epoch_s: i64,
    groups: Interner,
    instances: Vec<ContainerInstance>,
    /// The tasks kept, by id from `first_task` (the records of the tasks
    /// before it have been retired, see [`Cluster::retire_tasks`]);
    /// `tasks[..retired - first_task]` are retired too, awaiting removal.
    tasks: Vec<Task>,
    /// Id of `tasks[0]`.
    first_task: u32,
    /// Id of the first task not retired.
    retired: u32,
    /// Per task (by id), its instance and reservation: a compact copy of
    /// two fields of its record, for scans over many tasks of one group
    /// (scale-in) to read 12 bytes a task instead of the whole record.
    placements: Vec<Placement>,
    index: PlacementIndex,
    /// Per group (by id), its tasks (PENDING or RUNNING) per instance id:
    /// a dense row per group, so that the counts of one group on many
    /// instances (spread and scale-in keys) are read from one compact array
    /// instead of a hash probe each. Rows grow to the highest instance id
    /// the group has used.
    group_on_instance: Vec<Vec<u32>>,
    group_on_value: IdMap<(GroupId, AttrId, ValueId), u32>,
    counted_attrs: Vec<AttrId>,
    /// Per counted attribute, every instance's value of it by instance id
    /// (MISSING_VALUE when it lacks one), and every instance's rank: compact
    /// copies of record fields for scans over many instances (scale-in).
    counted_values: Vec<(AttrId, Vec<ValueId>)>,
    ranks: Vec<u64>,
    registered_total: Resources,
    reserved_total: Resources,
    owner_counts: Vec<TaskCounts>,
    provisioning: Vec<u32>,
    instances_in_use: u32,
    instance_counts: InstanceCounts,
    /// Every instance that became ACTIVE, in order (an instance once per
    /// registration): what depends on which instances are ACTIVE may look
    /// at those that joined since it last looked.
    activations: Vec<InstanceId>,
    predicates: Vec<CachedPredicate>,
}

/// Instances that are not terminated, by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InstanceCounts {
    /// REGISTERING.
    pub registering: u32,
    /// ACTIVE.
    pub active: u32,
    /// DRAINING.
    pub draining: u32,
}

impl InstanceCounts {
    /// The counter for `state` (none for TERMINATED).
    fn slot(&mut self, state: InstanceState) -> Option<&mut u32> {
        match state {
            InstanceState::Registering => Some(&mut self.registering),
            InstanceState::Active => Some(&mut self.active),
            InstanceState::Draining => Some(&mut self.draining),
            InstanceState::Terminated => None,
        }
    }
}

/// Where an owner's counters are in the per-owner tables: services,
/// daemons and job streams interleaved by id (the counts change with every
/// task state, so they are not looked up in a map).
fn owner_slot(owner: TaskOwner) -> usize {
    match owner {
        TaskOwner::Service(s) => 3 * s.index(),
        TaskOwner::Daemon(s) => 3 * s.index() + 1,
        TaskOwner::Job(j) => 3 * j.index() + 2,
    }
}

/// The counter of `owner` in a per-owner table, which grows to hold it.
fn slot_of<T: Default>(table: &mut Vec<T>, owner: TaskOwner) -> &mut T {
    let k = owner_slot(owner);
    if table.len() <= k {
        table.resize_with(k + 1, T::default);
    }
    &mut table[k]
}

/// A task's instance and reservation (see [`Cluster::task_placement`]).
#[derive(Debug, Clone, Copy)]
struct Placement {
    /// Its instance's id, `u32::MAX` while on none.
    instance: u32,
    reservation: Resources,
}

/// The cache entry of a predicate for an instance: known only while ACTIVE.
fn predicate_answer(p: &dyn InstancePredicate, cluster: &Cluster, inst: &ContainerInstance) -> u8 {
    if !inst.is_active() {
        0
    } else if p.holds(cluster, inst) {
        2
    } else {
        1
    }
}

/// Slot of a live state in per-owner counts: PENDING, RUNNING, STOPPING.
/// Tasks of one owner that hold a placement, by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskCounts {
    /// PENDING.
    pub pending: u32,
    /// RUNNING.
    pub running: u32,
    /// STOPPING.
    pub stopping: u32,
}

impl TaskCounts {
    /// The counter for `state`, if tasks in it hold a placement.
    fn slot(&mut self, state: TaskState) -> Option<&mut u32> {
        match state {
            TaskState::Pending => Some(&mut self.pending),
            TaskState::Running => Some(&mut self.running),
            TaskState::Stopping => Some(&mut self.stopping),
            TaskState::Provisioning | TaskState::Stopped => None,
        }
    }
}

impl Cluster {
    /// An empty cluster.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every instance that became ACTIVE so far, in order (an instance
    /// once per registration; it may have left ACTIVE since).
    pub fn activations(&self) -> &[InstanceId] {
        &self.activations
    }

    /// Partitions the placement index by `name` and counts each group's
    /// tasks per value of it (needed for `spread(attribute:name)`). May be
    /// called at any time: the counts and partitions are filled from the
    /// current instances and tasks.
    pub fn track_attribute(&mut self, name: &str) -> AttrId {
        let a = self.attrs.name(name);
        if self.counted_attrs.contains(&a) {
            return a;
        }
        self.counted_attrs.push(a);
        self.counted_attrs.sort();
        let column = (self.instances.iter())
            .map(|i| i.attribute(a).unwrap_or(super::index::MISSING_VALUE))
            .collect();
        self.counted_values.push((a, column));
        // Per-value counts from the per-instance ones (a sum, so the order
        // of the map's iteration does not matter).
        for (g, row) in self.group_on_instance.iter().enumerate() {
            for (i, &n) in row.iter().enumerate() {
                if n == 0 {
                    continue;
                }
                let value = self.instances[i]
                    .attribute(a)
                    .unwrap_or(super::index::MISSING_VALUE);
                *self
                    .group_on_value
                    .entry((GroupId(g as u32), a, value))
                    .or_insert(0) += n;
            }
        }
        self.index.add_level(a);
        for i in 0..self.instances.len() {
            let inst = &self.instances[i];
            if !inst.is_active() {
                continue;
            }
            let counts = self.tracked_counts(inst.id);
            let inst = &self.instances[i];
            let value = inst.attribute(a).unwrap_or(super::index::MISSING_VALUE);
            let level = &mut self.index.levels.last_mut().expect("pushed").1;
            // A new level keeps no order yet: members and size classes only.
            level.entry(value).or_default().insert(
                inst.id,
                inst.rank,
                inst.remaining(),
                &counts,
                &Orders::default(),
                0,
            );
        }
        a
    }

    /// Indexes every instance by `group`'s task count in the global
    /// partition (for `spread(instanceId)` alone).
    pub fn track_group(&mut self, group: GroupId) {
        self.keep_order(None, Order::Group(group, 0));
    }

    /// Keeps `order` in the partitions of `level` (the global partition for
    /// None, else a tracked attribute's): what an indexed walk there reads.
    /// May be called at any time: the order is filled from the current
    /// instances.
    ///
    /// # Panics
    /// If `level` is an attribute that is not tracked.
    pub fn keep_order(&mut self, level: Option<AttrId>, order: Order) {
        if !self.index.keep(level, order) {
            return;
        }
        for i in 0..self.instances.len() {
            let inst = &self.instances[i];
            if !inst.is_active() {
                continue;
            }
            let count = match order {
                Order::Group(g, _) => self.group_count_on_instance(g, inst.id),
                Order::Memory(_) | Order::Cpu(_) => 0,
            };
            let accepted = self.accepted_predicates(inst.id);
            let inst = &self.instances[i];
            self.index
                .fill_order(level, order, inst.rank, &inst.attributes, count, accepted);
        }
    }

    /// The id of an attribute name if it is known: a tracked attribute is
    /// found without hashing the name (what a spread decision looks up).
    pub fn find_attribute(&self, name: &str) -> Option<AttrId> {
        self.counted_attrs
            .iter()
            .copied()
            .find(|&a| self.attrs.name_str(a) == name)
            .or_else(|| self.attrs.find_name(name))
    }

    /// Caches the answers of `predicate` for every instance while it is
    /// ACTIVE, and returns its slot (the same slot for the same key).
    pub fn cache_predicate(&mut self, predicate: std::sync::Arc<dyn InstancePredicate>) -> usize {
        if let Some(slot) = self.predicate_slot(predicate.key()) {
            return slot;
        }
        let answers = self
            .instances
            .iter()
            .map(|inst| predicate_answer(&*predicate, self, inst))
            .collect();
        self.predicates.push(CachedPredicate { predicate, answers });
        self.predicates.len() - 1
    }

    /// The slot of the cached predicate with `key`, if any.
    pub fn predicate_slot(&self, key: &str) -> Option<usize> {
        self.predicates
            .iter()
            .position(|p| p.predicate.key() == key)
    }

    /// The cached answer of predicate `slot` for `inst`, None when the
    /// instance is not ACTIVE (nothing cached).
    pub fn cached_answer(&self, slot: usize, inst: InstanceId) -> Option<bool> {
        match self.predicates[slot].answers.get(inst.index()) {
            Some(1) => Some(false),
            Some(2) => Some(true),
            _ => None,
        }
    }

    /// The cached predicates `inst` satisfies, bit s for slot s (slots from
    /// 64 on are left out): the filters of the placement index's group
    /// orders are read against it.
    pub fn accepted_predicates(&self, inst: InstanceId) -> u64 {
        (self.predicates.iter().take(64).enumerate())
            .filter(|(_, p)| p.answers.get(inst.index()) == Some(&2))
            .fold(0, |m, (s, _)| m | 1 << s)
    }

    /// Records (or forgets, when not ACTIVE) every cached answer for `id`.
    fn refresh_answers(&mut self, id: InstanceId) {
        let mut predicates = std::mem::take(&mut self.predicates);
        for p in &mut predicates {
            let answer = predicate_answer(&*p.predicate, self, self.instance(id));
            if p.answers.len() <= id.index() {
                p.answers.resize(id.index() + 1, 0);
            }
            p.answers[id.index()] = answer;
        }
        self.predicates = predicates;
    }

    /// The id of task group `name`, interning it.
    pub fn group(&mut self, name: &str) -> GroupId {
        GroupId(self.groups.intern(name))
    }

    /// The name of a task group.
    pub fn group_name(&self, g: GroupId) -> &str {
        self.groups.resolve(g.0)
    }

    /// The placement index.
    pub fn index(&self) -> &PlacementIndex {
        &self.index
    }

    /// Attribute ids whose per-group value counts are kept.
    pub fn counted_attributes(&self) -> &[AttrId] {
        &self.counted_attrs
    }

    /// All instances, by id.
    pub fn instances(&self) -> &[ContainerInstance] {
        &self.instances
    }

    /// One instance.
    pub fn instance(&self, id: InstanceId) -> &ContainerInstance {
        &self.instances[id.index()]
    }

    /// Gives an instance the EC2 id of the real instance it stands for
    /// (an imported cluster), instead of the generated one. Nothing is
    /// indexed by it: `ec2InstanceId` constraints read it per instance.
    pub fn set_ec2_instance_id(&mut self, id: InstanceId, ec2_instance_id: String) {
        self.instances[id.index()].ec2_instance_id = ec2_instance_id;
    }

    /// Every task not retired (all of them, unless
    /// [`retire_tasks`](Self::retire_tasks) was called), by id.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks[(self.retired - self.first_task) as usize..]
    }

    /// Takes every task not retired out, by id, leaving the cluster
    /// without any: for the end of a run, whose report then owns them (no
    /// second copy).
    pub fn take_tasks(&mut self) -> Vec<Task> {
        let created = self.tasks_created();
        let mut tasks = std::mem::take(&mut self.tasks);
        tasks.drain(..(self.retired - self.first_task) as usize);
        self.placements.clear();
        (self.first_task, self.retired) = (created, created);
        tasks
    }

    /// Tasks created so far, retired ones included (the next task's id).
    pub fn tasks_created(&self) -> u32 {
        self.first_task + self.tasks.len() as u32
    }

    /// Position of task `id` in `tasks`; the task must not be retired.
    fn slot(&self, id: TaskId) -> usize {
        debug_assert!(id.0 >= self.retired, "{id} was retired");
        (id.0 - self.first_task) as usize
    }

    /// One task (not retired).
    pub fn task(&self, id: TaskId) -> &Task {
        &self.tasks[self.slot(id)]
    }

    /// Hints that task `id`'s record will be read soon (see
    /// [`prefetch`](crate::sim::prefetch::prefetch)); nothing if it is not
    /// held.
    pub fn prefetch_task(&self, id: TaskId) {
        let slot = id.0.checked_sub(self.first_task).map(|i| i as usize);
        if let Some(task) = slot.and_then(|i| self.tasks.get(i)) {
            crate::sim::prefetch::prefetch(task);
        }
    }

    /// Keeps task `id`'s record at least until `t` (something will ask
    /// about it then): [`retire_tasks`](Self::retire_tasks) passes over it
    /// until later.
    pub fn hold_task(&mut self, id: TaskId, t: SimTime) {
        let i = self.slot(id);
        let task = &mut self.tasks[i];
        task.held_until = task.held_until.max(t);
    }

    /// Retires the oldest tasks, by increasing id, as long as `retire`
    /// accepts them (it takes what it needs from each record): their
    /// records are dropped and their ids may no longer be asked about.
    /// Only STOPPED tasks held until before `now` are offered. Memory then
    /// follows the tasks a run still knows about, not every task it ever
    /// made (a day of batch jobs is half a million records).
    pub fn retire_tasks(&mut self, now: SimTime, mut retire: impl FnMut(&Task) -> bool) {
        while let Some(t) = self.tasks.get((self.retired - self.first_task) as usize) {
            if t.state != TaskState::Stopped || t.held_until >= now || !retire(t) {
                break;
            }
            self.retired += 1;
        }
        // The retired records are removed in bulk, once they are at least
        // half of the vector: the records kept, moved to the front, are
        // then no more than those removed.
        let gone = (self.retired - self.first_task) as usize;
        if gone >= 4096 && gone * 2 >= self.tasks.len() {
            self.tasks.drain(..gone);
            self.placements.drain(..gone);
            self.first_task = self.retired;
        }
    }

    /// A task's instance (None while on none) and reservation, equal to
    /// those of [`task`](Self::task) but read from a compact table: for
    /// loops over many tasks, where reading whole records costs a cache
    /// miss each.
    pub fn task_placement(&self, id: TaskId) -> (Option<InstanceId>, Resources) {
        let p = self.placements[self.slot(id)];
        let inst = (p.instance != u32::MAX).then_some(InstanceId(p.instance));
        (inst, p.reservation)
    }

    /// Records a new task and its compact placement entry.
    fn push_task(&mut self, task: Task) {
        self.placements.push(Placement {
            instance: task.instance.map_or(u32::MAX, |i| i.0),
            reservation: task.reservation,
        });
        self.tasks.push(task);
    }

    /// Tasks of `group` (PENDING or RUNNING) on `inst`.
    pub fn group_count_on_instance(&self, group: GroupId, inst: InstanceId) -> u32 {
        self.group_on_instance
            .get(group.index())
            .and_then(|row| row.get(inst.index()))
            .copied()
            .unwrap_or(0)
    }

    /// The instance's value of `attr` (MISSING_VALUE when it has none), as
    /// `instance(id).attribute(attr)` but read from a compact column for
    /// counted attributes.
    pub fn value_of(&self, id: InstanceId, attr: AttrId) -> ValueId {
        match self.counted_values.iter().find(|(a, _)| *a == attr) {
            Some((_, column)) => column[id.index()],
            None => self.instances[id.index()]
                .attribute(attr)
                .unwrap_or(super::index::MISSING_VALUE),
        }
    }

    /// The instance's tie-break rank, as `instance(id).rank` but read from
    /// a compact table.
    pub fn rank_of(&self, id: InstanceId) -> u64 {
        self.ranks[id.index()]
    }

    /// Tasks of `group` (PENDING or RUNNING) on instances whose `attr` is
    /// `value`. Kept as a counter for tracked attributes; for others it is
    /// summed over the group's instances (slow, but the same answer).
    pub fn group_count_on_value(&self, group: GroupId, attr: AttrId, value: ValueId) -> u32 {
        if self.counted_attrs.contains(&attr) {
            return self
                .group_on_value
                .get(&(group, attr, value))
                .copied()
                .unwrap_or(0);
        }
        let Some(row) = self.group_on_instance.get(group.index()) else {
            return 0;
        };
        row.iter()
            .enumerate()
            .filter(|&(i, &n)| {
                n > 0
                    && self.instances[i]
                        .attribute(attr)
                        .unwrap_or(super::index::MISSING_VALUE)
                        == value
            })
            .map(|(_, &n)| n)
            .sum()
    }

    /// Tasks of `owner` that hold a placement, by state: PENDING, RUNNING, STOPPING.
    pub fn owner_counts(&self, owner: TaskOwner) -> TaskCounts {
        (self.owner_counts.get(owner_slot(owner)).copied()).unwrap_or_default()
    }

    /// Instances holding at least one task that is not a daemon's.
    pub fn instances_in_use(&self) -> u32 {
        self.instances_in_use
    }

    /// Instances that are not terminated, by state (kept as states change).
    pub fn instance_counts(&self) -> InstanceCounts {
        self.instance_counts
    }

    /// Tasks of `owner` in PROVISIONING (kept as states change).
    pub fn owner_provisioning(&self, owner: TaskOwner) -> u32 {
        self.provisioning
            .get(owner_slot(owner))
            .copied()
            .unwrap_or(0)
    }

    fn count_instance(&mut self, from: Option<InstanceState>, to: InstanceState) {
        let c = &mut self.instance_counts;
        if let Some(n) = from.and_then(|s| c.slot(s)) {
            *n = n.saturating_sub(1);
        }
        if let Some(n) = c.slot(to) {
            *n += 1;
        }
    }

    fn count_provisioning(&mut self, owner: TaskOwner, up: bool) {
        let n = slot_of(&mut self.provisioning, owner);
        *n = if up { *n + 1 } else { n.saturating_sub(1) };
    }

    fn count_state(&mut self, owner: TaskOwner, from: Option<TaskState>, to: Option<TaskState>) {
        let c = slot_of(&mut self.owner_counts, owner);
        if let Some(n) = from.and_then(|s| c.slot(s)) {
            *n = n.saturating_sub(1);
        }
        if let Some(n) = to.and_then(|s| c.slot(s)) {
            *n += 1;
        }
    }

    /// CPU and memory registered by ACTIVE and DRAINING instances (R5).
    pub fn registered_total(&self) -> Resources {
        self.registered_total
    }

    /// CPU and memory reserved by tasks on ACTIVE and DRAINING instances.
    pub fn reserved_total(&self) -> Resources {
        self.reserved_total
    }

    /// Adds a REGISTERING instance.
    pub fn add_instance(&mut self, spec: NewInstance, now: SimTime) -> InstanceId {
        let attributes = self.intern_attributes(&spec.attributes);
        self.add_interned_instance(&spec, attributes, now)
    }

    /// Attributes as (name, value) texts, interned, sorted and with one
    /// value per name: what an instance holds.
    pub fn intern_attributes(&mut self, attributes: &[(String, String)]) -> Vec<(AttrId, ValueId)> {
        let mut interned: Vec<(AttrId, ValueId)> = (attributes.iter())
            .map(|(n, v)| (self.attrs.name(n), self.attrs.value(v)))
            .collect();
        interned.sort();
        interned.dedup_by_key(|(a, _)| *a);
        interned
    }

    /// [`add_instance`](Self::add_instance) with the attributes already
    /// interned (as [`intern_attributes`](Self::intern_attributes) makes
    /// them): those of `spec` are not read. Launches of the same kind of
    /// instance can share one interning.
    pub fn add_interned_instance(
        &mut self,
        spec: &NewInstance,
        attributes: Vec<(AttrId, ValueId)>,
        now: SimTime,
    ) -> InstanceId {
        let id = InstanceId(self.instances.len() as u32);
        let rank = (u64::from(spec.tie) << 32) | u64::from(id.0);
        self.ranks.push(rank);
        for (a, column) in &mut self.counted_values {
            let value = attributes
                .binary_search_by_key(a, |&(n, _)| n)
                .map_or(super::index::MISSING_VALUE, |i| attributes[i].1);
            column.push(value);
        }
        self.instances.push(ContainerInstance::new(
            id,
            spec.group,
            &spec.instance_type,
            &spec.az,
            spec.registered,
            spec.eni_capacity,
            attributes,
            rank,
            now,
        ));
        self.count_instance(None, InstanceState::Registering);
        id
    }

    fn tracked_counts(&self, inst: InstanceId) -> Vec<(GroupId, u32)> {
        self.index
            .groups
            .iter()
            .map(|&g| (g, self.group_count_on_instance(g, inst)))
            .collect()
    }

    /// REGISTERING -> ACTIVE (R5): the instance starts taking tasks.
    pub fn activate_instance(&mut self, id: InstanceId, now: SimTime) {
        let counts = self.tracked_counts(id);
        let inst = &mut self.instances[id.index()];
        assert_eq!(inst.state, InstanceState::Registering, "activate {id}");
        inst.state = InstanceState::Active;
        inst.registered_at = Some(now);
        self.registered_total = self.registered_total.plus(&inst.registered);
        self.reserved_total = self.reserved_total.plus(&inst.reserved);
        // Answers first: the index's group orders are filtered by them.
        self.refresh_answers(id);
        let accepted = self.accepted_predicates(id);
        let inst = &self.instances[id.index()];
        self.index.insert(
            id,
            inst.rank,
            &inst.attributes,
            inst.remaining(),
            &counts,
            accepted,
        );
        self.count_instance(Some(InstanceState::Registering), InstanceState::Active);
        self.activations.push(id);
    }

    /// ACTIVE -> DRAINING: the instance takes no new tasks (D1).
    pub fn set_draining(&mut self, id: InstanceId) {
        let counts = self.tracked_counts(id);
        let inst = &mut self.instances[id.index()];
        if inst.state != InstanceState::Active {
            return;
        }
        inst.state = InstanceState::Draining;
        self.index
            .remove(id, inst.rank, &inst.attributes, inst.remaining(), &counts);
        self.count_instance(Some(InstanceState::Active), InstanceState::Draining);
        self.refresh_answers(id);
    }

    /// Marks the instance terminated. Its tasks must have been stopped first.
    pub fn terminate_instance(&mut self, id: InstanceId, now: SimTime) {
        let counts = self.tracked_counts(id);
        let inst = &mut self.instances[id.index()];
        assert!(inst.tasks.is_empty(), "terminate {id} with tasks on it");
        if inst.state == InstanceState::Active {
            self.index
                .remove(id, inst.rank, &inst.attributes, inst.remaining(), &counts);
        }
        if matches!(inst.state, InstanceState::Active | InstanceState::Draining) {
            self.registered_total = self.registered_total.minus(&inst.registered);
        }
        let was = inst.state;
        inst.state = InstanceState::Terminated;
        inst.terminated_at = Some(now);
        self.count_instance(Some(was), InstanceState::Terminated);
        self.refresh_answers(id);
    }

    /// The resource checks of P1 step 1, in pipeline order: state, CPU,
    /// memory, ports, ENIs. Constraints are checked by placement.
    #[inline(always)]
    pub fn check_resources(&self, inst: &ContainerInstance, req: &TaskReq) -> Result<(), Unfit> {
        if !inst.is_active() {
            return Err(Unfit::NoInstances);
        }
        let rem = inst.remaining();
        if rem.cpu < req.reservation.cpu {
            return Err(Unfit::Cpu);
        }
        if rem.memory < req.reservation.memory {
            return Err(Unfit::Memory);
        }
        if !inst.ports_free(req.ports) {
            return Err(Unfit::Ports);
        }
        if req.needs_eni && inst.enis_used >= inst.eni_capacity {
            return Err(Unfit::Eni);
        }
        Ok(())
    }

    /// Places a new task on `inst_id` (PENDING) and reserves its resources.
    pub fn start_task(
        &mut self,
        spec: NewTask,
        inst_id: InstanceId,
        images: &[ImageId],
        now: SimTime,
    ) -> TaskId {
        let id = self.create_provisioning(spec);
        self.attach(id, inst_id, images, now);
        id
    }

    /// Records a task waiting for capacity (PROVISIONING, P9): on no
    /// instance, counted in no state slot, reserving nothing.
    #[inline(always)]
    pub fn create_provisioning(&mut self, spec: NewTask) -> TaskId {
        let (id, owner) = (TaskId(self.tasks_created()), spec.owner);
        self.push_task(new_record(id, spec, TaskState::Provisioning));
        self.count_provisioning(owner, true);
        id
    }

    /// A PROVISIONING task is placed on `inst_id`: PENDING there.
    #[inline(always)]
    pub fn attach(&mut self, id: TaskId, inst_id: InstanceId, images: &[ImageId], now: SimTime) {
        assert_eq!(
            self.tasks[self.slot(id)].state,
            TaskState::Provisioning,
            "attach {id}"
        );
        {
            let task = &self.tasks[self.slot(id)];
            let req = TaskReq {
                reservation: task.reservation,
                ports: &task.ports,
                needs_eni: task.needs_eni,
                group: task.group,
            };
            if let Err(why) = self.check_resources(self.instance(inst_id), &req) {
                panic!(
                    "placement chose {inst_id} for a task it cannot hold: {}",
                    why.as_str()
                );
            }
        }
        let slot = self.slot(id);
        let task = &mut self.tasks[slot];
        task.state = TaskState::Pending;
        task.instance = Some(inst_id);
        self.placements[slot].instance = inst_id.0;
        task.pending_at = now.into();
        let (group, owner) = (task.group, task.owner);
        let task = &self.tasks[slot];
        let inst = &mut self.instances[inst_id.index()];
        let old = inst.remaining();
        inst.reserved = inst.reserved.plus(&task.reservation);
        if task.needs_eni {
            inst.enis_used += 1;
        }
        for p in &task.ports {
            if let Err(pos) = inst.ports.binary_search(p) {
                inst.ports.insert(pos, *p);
            }
        }
        for img in images {
            if !inst.images.contains(img) {
                inst.images.push(*img);
            }
        }
        let daemon = matches!(task.owner, TaskOwner::Daemon(_));
        if !daemon {
            if inst.non_daemon_tasks == 0 {
                self.instances_in_use += 1;
            }
            inst.non_daemon_tasks += 1;
        }
        if inst.tasks.capacity() == 0 {
            // Sized once, for as many tasks like the first as the instance
            // holds (bounded): not grown through 4, 8, 16 and 32 entries
            // while a cluster fills.
            let r = task.reservation;
            let fit =
                (inst.registered.cpu / r.cpu.max(1)).min(inst.registered.memory / r.memory.max(1));
            inst.tasks.reserve_exact((fit as usize).clamp(4, 64));
        }
        inst.tasks.push(id);
        let new = inst.remaining();
        self.reserved_total = self.reserved_total.plus(&task.reservation);
        if inst.is_active() {
            self.index
                .update_remaining(inst.rank, &inst.attributes, old, new);
        }
        self.change_group_count(group, inst_id, true);
        self.count_state(owner, None, Some(TaskState::Pending));
        self.count_provisioning(owner, false);
    }

    /// A PROVISIONING task gives up (timeout, P9): STOPPED, never placed.
    pub fn cancel_provisioning(&mut self, id: TaskId, reason: StopReason, now: SimTime) {
        let slot = self.slot(id);
        let task = &mut self.tasks[slot];
        if task.state != TaskState::Provisioning {
            return;
        }
        task.state = TaskState::Stopped;
        task.stopped_at = now.into();
        task.stop_reason = Some(reason);
        let owner = task.owner;
        self.count_provisioning(owner, false);
    }

    /// Starts a task that brings its own capacity (Fargate, F1): PENDING on
    /// no instance. It counts toward its owner's task states but reserves
    /// nothing in the cluster.
    pub fn start_detached_task(&mut self, spec: NewTask, now: SimTime) -> TaskId {
        let (id, owner) = (TaskId(self.tasks_created()), spec.owner);
        let mut task = new_record(id, spec, TaskState::Pending);
        task.pending_at = now.into();
        self.push_task(task);
        self.count_state(owner, None, Some(TaskState::Pending));
        id
    }

    /// Records a task that could not be placed (RunTask failure, P9): it is
    /// created directly in STOPPED state with the reason.
    pub fn record_failed_task(&mut self, spec: NewTask, reason: Unfit, now: SimTime) -> TaskId {
        let id = TaskId(self.tasks_created());
        let mut task = new_record(id, spec, TaskState::Stopped);
        task.stopped_at = now.into();
        task.stop_reason = Some(StopReason::PlacementFailed(reason));
        self.push_task(task);
        id
    }

    #[inline(always)]
    fn change_group_count(&mut self, group: GroupId, inst_id: InstanceId, up: bool) {
        if self.group_on_instance.len() <= group.index() {
            self.group_on_instance
                .resize_with(group.index() + 1, Vec::new);
        }
        let row = &mut self.group_on_instance[group.index()];
        if row.len() <= inst_id.index() {
            row.resize(inst_id.index() + 1, 0);
        }
        let old = row[inst_id.index()];
        let new = if up { old + 1 } else { old.saturating_sub(1) };
        row[inst_id.index()] = new;
        let inst = &self.instances[inst_id.index()];
        if inst.is_active() && self.index.tracks_group(group) {
            self.index
                .update_group_count(inst.rank, &inst.attributes, group, old, new);
        }
        for (attr, column) in &self.counted_values {
            let value = column[inst_id.index()];
            let c = (self.group_on_value)
                .entry((group, *attr, value))
                .or_insert(0);
            if up {
                *c += 1;
            } else {
                *c = c.saturating_sub(1);
            }
        }
    }

    /// PENDING -> RUNNING.
    #[inline(always)]
    pub fn mark_running(&mut self, id: TaskId, now: SimTime) {
        let slot = self.slot(id);
        let task = &mut self.tasks[slot];
        assert_eq!(task.state, TaskState::Pending, "mark_running {id}");
        task.state = TaskState::Running;
        task.running_at = now.into();
        let owner = task.owner;
        if let Some(i) = task.instance {
            self.instances[i.index()].running_tasks += 1;
        }
        self.count_state(owner, Some(TaskState::Pending), Some(TaskState::Running));
    }

    /// PENDING/RUNNING -> STOPPING: the task leaves its group's counts but
    /// keeps its resources until [`finish_stop`](Self::finish_stop).
    #[inline(always)]
    pub fn begin_stopping(&mut self, id: TaskId, reason: StopReason, now: SimTime) {
        let slot = self.slot(id);
        let task = &mut self.tasks[slot];
        if !task.is_live() {
            return;
        }
        let was = task.state;
        let was_running = was == TaskState::Running;
        let owner = task.owner;
        task.state = TaskState::Stopping;
        task.stopping_at = now.into();
        task.stop_reason = Some(reason);
        let (group, inst) = (task.group, task.instance);
        if let Some(i) = inst {
            if was_running {
                self.instances[i.index()].running_tasks -= 1;
            }
            self.change_group_count(group, i, false);
        }
        self.count_state(owner, Some(was), Some(TaskState::Stopping));
    }

    /// -> STOPPED: releases the task's resources, ports and ENI.
    #[inline(always)]
    pub fn finish_stop(&mut self, id: TaskId, reason: StopReason, now: SimTime) {
        let state = self.tasks[self.slot(id)].state;
        if state == TaskState::Stopped {
            return;
        }
        if state == TaskState::Provisioning {
            let owner = self.tasks[self.slot(id)].owner;
            self.count_provisioning(owner, false);
        }
        if state != TaskState::Stopping {
            self.begin_stopping(id, reason, now);
        }
        let slot = self.slot(id);
        let task = &mut self.tasks[slot];
        task.state = TaskState::Stopped;
        task.stopped_at = now.into();
        task.stop_reason.get_or_insert(reason);
        let owner = task.owner;
        self.count_state(owner, Some(TaskState::Stopping), None);
        let task = &self.tasks[slot];
        let Some(inst_id) = task.instance else { return };
        let inst = &mut self.instances[inst_id.index()];
        let old = inst.remaining();
        inst.reserved = inst.reserved.minus(&task.reservation);
        if task.needs_eni {
            inst.enis_used = inst.enis_used.saturating_sub(1);
        }
        if !task.ports.is_empty() {
            inst.ports.retain(|p| !task.ports.contains(p));
        }
        if let Some(pos) = inst.tasks.iter().position(|&t| t == id) {
            inst.tasks.remove(pos);
            if !matches!(owner, TaskOwner::Daemon(_)) {
                inst.non_daemon_tasks -= 1;
                if inst.non_daemon_tasks == 0 {
                    self.instances_in_use -= 1;
                }
            }
        }
        let new = inst.remaining();
        self.reserved_total = self.reserved_total.minus(&task.reservation);
        if inst.is_active() {
            self.index
                .update_remaining(inst.rank, &inst.attributes, old, new);
        }
    }
}

#[cfg(test)]
mod compact_tests {
    use super::*;
    use crate::model::InstanceGroupId;

    fn spec(az: &str, attrs: &[(&str, &str)]) -> NewInstance {
        NewInstance {
            group: InstanceGroupId(0),
            instance_type: "m6i.large".into(),
            az: az.into(),
            registered: Resources::new(2048, 8192),
            eni_capacity: 2,
            attributes: (attrs.iter())
                .map(|&(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            tie: 7,
        }
    }

    /// Retiring takes the oldest tasks in id order while they are STOPPED,
    /// held until before now and accepted; the others keep their ids and
    /// records through the bulk removal, and new ids continue the count.
    #[test]
    fn retired_tasks_leave_in_id_order() {
        let mut c = Cluster::new();
        let inst = c.add_instance(spec("us-east-1a", &[]), SimTime(0));
        c.activate_instance(inst, SimTime(0));
        let g = c.group("job:j");
        let new = |at: u64| NewTask {
            def: crate::model::TaskDefId(0),
            group: g,
            owner: crate::model::TaskOwner::Job(crate::model::JobId(0)),
            reservation: Resources::new(1, 1),
            ports: Vec::new(),
            needs_eni: false,
            created_at: SimTime(at),
            work: None,
        };
        // All but task 9,000 stop at once; task 8,000 is held until 20,000.
        let ids: Vec<TaskId> = (0..10_000)
            .map(|k| {
                let t = c.start_task(new(k), inst, &[], SimTime(k));
                if k != 9_000 {
                    c.finish_stop(t, StopReason::Completed, SimTime(k));
                }
                t
            })
            .collect();
        c.hold_task(ids[8_000], SimTime(20_000));
        let mut seen = Vec::new();
        c.retire_tasks(SimTime(10_001), |t| {
            seen.push(t.id.0);
            t.id.0 < 4_500 || t.id.0 >= 4_600
        });
        // Offered in order up to the first refusal.
        assert_eq!(seen, (0..=4_500).collect::<Vec<u32>>());
        assert_eq!(c.tasks().first().map(|t| t.id), Some(ids[4_500]));
        assert_eq!(c.task(ids[4_500]).id, ids[4_500]);
        c.retire_tasks(SimTime(10_001), |_| true);
        // Held: 8,000 stays first; the 8,000 records before it, more than
        // three quarters, went in bulk, and ids still find their records.
        assert_eq!(c.tasks()[0].id, ids[8_000]);
        assert_eq!(c.tasks.len(), 2_000);
        assert_eq!(c.task(ids[9_999]).id, ids[9_999]);
        assert_eq!(c.task_placement(ids[9_999]).0, Some(inst));
        c.retire_tasks(SimTime(20_001), |_| true);
        // Not STOPPED: 9,000 stays first.
        assert_eq!(c.tasks()[0].id, ids[9_000]);
        assert_eq!(c.tasks().len(), 1_000);
        assert_eq!(c.tasks_created(), 10_000);
        assert_eq!(
            c.start_task(new(1), inst, &[], SimTime(20_002)),
            TaskId(10_000)
        );
        let left = c.take_tasks();
        assert_eq!((left.len(), left[0].id), (1_001, ids[9_000]));
        assert_eq!(c.tasks_created(), 10_001);
    }

    /// The compact rank and value tables equal the records, for instances
    /// added before an attribute is counted (filled when it starts being
    /// counted) and after (filled as they are added), with and without it.
    #[test]
    fn compact_values_and_ranks_match_records() {
        let mut c = Cluster::new();
        let a = c.add_instance(spec("us-east-1a", &[("pool", "general")]), SimTime(0));
        let b = c.add_instance(spec("us-east-1b", &[]), SimTime(0));
        let pool = c.track_attribute("pool");
        let d = c.add_instance(spec("us-east-1c", &[("pool", "memory")]), SimTime(0));
        let e = c.add_instance(spec("us-east-1c", &[]), SimTime(0));
        let other = c.attrs.name("other");
        for id in [a, b, d, e] {
            let inst = c.instance(id);
            assert_eq!(c.rank_of(id), inst.rank);
            assert_eq!(c.rank_of(id), (7 << 32) | u64::from(id.0));
            for attr in [pool, other] {
                let want = inst.attribute(attr).unwrap_or(MISSING);
                assert_eq!(c.value_of(id, attr), want, "{id}");
            }
        }
        assert_eq!(c.value_of(b, pool), MISSING);
        assert_ne!(c.value_of(a, pool), c.value_of(d, pool));
    }

    const MISSING: ValueId = super::super::index::MISSING_VALUE;
}
