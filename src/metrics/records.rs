//! The run's task records (`tasks.csv`) kept as typed columns.
//!
//! A month at ECS scale places hundreds of thousands of tasks; a record
//! per task with its own names and optional times costs about 210 bytes,
//! and the table written from the records copied them once more. Here
//! each column is what the tasks table writes (label codes, presence
//! flags, milliseconds), about 88 bytes a task, and the table shares the
//! columns instead of copying them. [`TaskRecord`]s are still there for
//! readers that want one value per task: [`TaskRecords`] dereferences to
//! a slice of them, made on first use only.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::{Name, Names};
use crate::model::{TaskId, TaskState};
use crate::sim::SimTime;

/// One task as `tasks.csv` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    /// Task id.
    pub id: TaskId,
    /// Task group.
    pub group: Name,
    /// Service or job name.
    pub owner: Name,
    /// Task definition family.
    pub family: Name,
    /// EC2 id of its instance.
    pub instance: Option<Name>,
    /// Instance type.
    pub instance_type: Option<Name>,
    /// AZ.
    pub az: Option<Name>,
    /// `EC2`, `FARGATE` or `FARGATE_SPOT`.
    pub capacity: &'static str,
    /// Final state.
    pub state: TaskState,
    /// State times.
    pub created: SimTime,
    /// Entered PENDING.
    pub pending: Option<SimTime>,
    /// Entered RUNNING.
    pub running: Option<SimTime>,
    /// Entered STOPPING.
    pub stopping: Option<SimTime>,
    /// Entered STOPPED.
    pub stopped: Option<SimTime>,
    /// Stop reason code.
    pub stop_reason: Option<Name>,
}

/// The capacities a task runs on, as `tasks.csv` spells them.
pub const CAPACITIES: [&str; 3] = ["EC2", "FARGATE", "FARGATE_SPOT"];

/// Every task state, in the order of [`TaskState`]'s variants.
const STATES: [TaskState; 5] = [
    TaskState::Provisioning,
    TaskState::Pending,
    TaskState::Running,
    TaskState::Stopping,
    TaskState::Stopped,
];

/// A categorical column: row `i` is `labels[codes[i]]`, labels in order
/// of first appearance (what a table's `Labels` values hold).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelColumn {
    /// The distinct values.
    pub labels: Arc<[String]>,
    /// Per row, an index into `labels`.
    pub codes: Arc<[u32]>,
}

/// A column whose rows may have no value: row `i` is `values` row `i`
/// where `present[i]` (elsewhere a placeholder: 0, or the label `""`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Optional<T> {
    /// Per row, whether it has a value.
    pub present: Arc<[bool]>,
    /// The values.
    pub values: T,
}

/// Every task of a run, column by column, in task-id order (see the
/// module doc). Dereferences to `[TaskRecord]`, made on first use.
#[derive(Default)]
pub struct TaskRecords {
    /// Task ids.
    pub id: Arc<[u32]>,
    /// Task group.
    pub group: LabelColumn,
    /// Service or job name.
    pub owner: LabelColumn,
    /// Task definition family.
    pub family: LabelColumn,
    /// `EC2`, `FARGATE` or `FARGATE_SPOT`.
    pub capacity: LabelColumn,
    /// EC2 id of its instance.
    pub instance: Optional<LabelColumn>,
    /// Instance type.
    pub instance_type: Optional<LabelColumn>,
    /// AZ.
    pub az: Optional<LabelColumn>,
    /// Final state (its ECS spelling).
    pub state: LabelColumn,
    /// Created, milliseconds.
    pub created: Arc<[u64]>,
    /// Entered PENDING, milliseconds.
    pub pending: Optional<Arc<[u64]>>,
    /// Entered RUNNING, milliseconds.
    pub running: Optional<Arc<[u64]>>,
    /// Entered STOPPING, milliseconds.
    pub stopping: Optional<Arc<[u64]>>,
    /// Entered STOPPED, milliseconds.
    pub stopped: Optional<Arc<[u64]>>,
    /// Stop reason code.
    pub stop_reason: Optional<LabelColumn>,
    /// The records, once asked for.
    records: OnceLock<Vec<TaskRecord>>,
}

impl TaskRecords {
    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// The records, one per task in id order (made on the first call).
    pub fn records(&self) -> &[TaskRecord] {
        self.records.get_or_init(|| self.make_records())
    }

    fn make_records(&self) -> Vec<TaskRecord> {
        let mut names = Names::default();
        let mut named =
            |c: &LabelColumn| -> Vec<Name> { c.labels.iter().map(|l| names.get(l)).collect() };
        let group = named(&self.group);
        let owner = named(&self.owner);
        let family = named(&self.family);
        let instance = named(&self.instance.values);
        let instance_type = named(&self.instance_type.values);
        let az = named(&self.az.values);
        let stop_reason = named(&self.stop_reason.values);
        let capacity: Vec<&'static str> = (self.capacity.labels.iter())
            .map(|l| CAPACITIES.into_iter().find(|c| c == l).unwrap_or("EC2"))
            .collect();
        let state: Vec<TaskState> = (self.state.labels.iter())
            .map(|l| {
                STATES
                    .into_iter()
                    .find(|s| s.as_str() == l)
                    .unwrap_or(TaskState::Stopped)
            })
            .collect();
        let label = |names: &[Name], c: &LabelColumn, i: usize| names[c.codes[i] as usize].clone();
        let opt_label = |names: &[Name], c: &Optional<LabelColumn>, i: usize| {
            c.present[i].then(|| label(names, &c.values, i))
        };
        let opt_time =
            |c: &Optional<Arc<[u64]>>, i: usize| c.present[i].then(|| SimTime(c.values[i]));
        (0..self.len())
            .map(|i| TaskRecord {
                id: TaskId(self.id[i]),
                group: label(&group, &self.group, i),
                owner: label(&owner, &self.owner, i),
                family: label(&family, &self.family, i),
                instance: opt_label(&instance, &self.instance, i),
                instance_type: opt_label(&instance_type, &self.instance_type, i),
                az: opt_label(&az, &self.az, i),
                capacity: capacity[self.capacity.codes[i] as usize],
                state: state[self.state.codes[i] as usize],
                created: SimTime(self.created[i]),
                pending: opt_time(&self.pending, i),
                running: opt_time(&self.running, i),
                stopping: opt_time(&self.stopping, i),
                stopped: opt_time(&self.stopped, i),
                stop_reason: opt_label(&stop_reason, &self.stop_reason, i),
            })
            .collect()
    }
}

impl std::ops::Deref for TaskRecords {
    type Target = [TaskRecord];

    fn deref(&self) -> &[TaskRecord] {
        self.records()
    }
}

impl<'a> IntoIterator for &'a TaskRecords {
    type Item = &'a TaskRecord;
    type IntoIter = std::slice::Iter<'a, TaskRecord>;

    fn into_iter(self) -> Self::IntoIter {
        self.records().iter()
    }
}

impl Clone for TaskRecords {
    fn clone(&self) -> TaskRecords {
        TaskRecords {
            id: Arc::clone(&self.id),
            group: self.group.clone(),
            owner: self.owner.clone(),
            family: self.family.clone(),
            capacity: self.capacity.clone(),
            instance: self.instance.clone(),
            instance_type: self.instance_type.clone(),
            az: self.az.clone(),
            state: self.state.clone(),
            created: Arc::clone(&self.created),
            pending: self.pending.clone(),
            running: self.running.clone(),
            stopping: self.stopping.clone(),
            stopped: self.stopped.clone(),
            stop_reason: self.stop_reason.clone(),
            records: OnceLock::new(),
        }
    }
}

impl std::fmt::Debug for TaskRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.records(), f)
    }
}

impl PartialEq for TaskRecords {
    fn eq(&self, other: &TaskRecords) -> bool {
        self.records() == other.records()
    }
}

impl FromIterator<TaskRecord> for TaskRecords {
    fn from_iter<I: IntoIterator<Item = TaskRecord>>(iter: I) -> TaskRecords {
        let records: Vec<TaskRecord> = iter.into_iter().collect();
        let mut b = TaskRecordsBuilder::new(records.len());
        let mut texts = TextCodes::default();
        b.fill(records.iter().enumerate().map(|(row, r)| {
            let mut code = |s: &str| texts.code(s);
            let row_of = TaskRow {
                id: r.id.0,
                group: code(&r.group),
                owner: code(&r.owner),
                family: code(&r.family),
                capacity: code(r.capacity),
                instance: r.instance.as_deref().map(&mut code),
                instance_type: r.instance_type.as_deref().map(&mut code),
                az: r.az.as_deref().map(&mut code),
                state: code(r.state.as_str()),
                created: r.created,
                pending: r.pending,
                running: r.running,
                stopping: r.stopping,
                stopped: r.stopped,
                stop_reason: r.stop_reason.as_deref().map(&mut code),
            };
            (row, row_of)
        }));
        let texts = texts.texts;
        let built = b.finish(|c| texts[c as usize].clone());
        let _ = built.records.set(records);
        built
    }
}

/// Dense codes for texts (the [`FromIterator`] path).
#[derive(Default)]
struct TextCodes {
    index: HashMap<String, u32>,
    texts: Vec<String>,
}

impl TextCodes {
    fn code(&mut self, s: &str) -> u32 {
        if let Some(&c) = self.index.get(s) {
            return c;
        }
        let c = self.texts.len() as u32;
        self.index.insert(s.to_string(), c);
        self.texts.push(s.to_string());
        c
    }
}

/// One task's row for a [`TaskRecordsBuilder`]: each text as a key of
/// the caller's (a service index, an instance index...), which
/// [`TaskRecordsBuilder::finish`] turns into its text. Keys of different
/// columns are separate spaces; two keys of a column may have the same
/// text (they are one label).
#[derive(Debug, Clone, Copy)]
pub struct TaskRow {
    /// Task id.
    pub id: u32,
    /// Key of the task group.
    pub group: u32,
    /// Key of the owner.
    pub owner: u32,
    /// Key of the family.
    pub family: u32,
    /// Key of the capacity.
    pub capacity: u32,
    /// Key of the instance id.
    pub instance: Option<u32>,
    /// Key of the instance type.
    pub instance_type: Option<u32>,
    /// Key of the AZ.
    pub az: Option<u32>,
    /// Key of the final state.
    pub state: u32,
    /// Created.
    pub created: SimTime,
    /// Entered PENDING.
    pub pending: Option<SimTime>,
    /// Entered RUNNING.
    pub running: Option<SimTime>,
    /// Entered STOPPING.
    pub stopping: Option<SimTime>,
    /// Entered STOPPED.
    pub stopped: Option<SimTime>,
    /// Key of the stop reason.
    pub stop_reason: Option<u32>,
}

/// A column's rows while they are set. When the number of rows is known
/// from the start, they are the shared slice the records will hold, so
/// that finishing copies nothing (a copy of every column of 100,000 tasks
/// at the end of a run, into memory never touched before); a builder that
/// grows as the run retires tasks keeps a vector, copied once at the end.
enum Rows<T> {
    Growing(Vec<T>),
    Shared(Arc<[T]>),
}

/// Values whose all-zero bytes are a value (the default): what a
/// column's rows are.
///
/// # Safety
/// Only for types of which every all-zero bit pattern is a valid value.
unsafe trait Zeroed: Copy + Default {}

// SAFETY: zero is 0 for the integers and `false` for `bool`.
unsafe impl Zeroed for u32 {}
unsafe impl Zeroed for u64 {}
unsafe impl Zeroed for bool {}

impl<T: Zeroed> Rows<T> {
    /// `rows` default values in the shared slice the records will hold,
    /// in zeroed memory: as for a vector of zeros, the system maps its
    /// pages only as rows are set, so a run's memory does not hold the
    /// whole column while the task records it is set from are still there.
    fn shared(rows: usize) -> Rows<T> {
        let zeroed = Arc::<[T]>::new_zeroed_slice(rows);
        // SAFETY: `T: Zeroed`, so zeroed memory holds `rows` valid values.
        Rows::Shared(unsafe { zeroed.assume_init() })
    }

    fn as_slice(&self) -> &[T] {
        match self {
            Rows::Growing(v) => v,
            Rows::Shared(a) => a,
        }
    }

    /// The rows, to set: borrowed once for many rows (a shared slice is
    /// checked to be held only here, an atomic operation).
    fn as_mut_slice(&mut self) -> &mut [T] {
        if let Rows::Shared(a) = self {
            // Never shared before it is finished; if it were, its rows are
            // copied rather than changed under another holder.
            if Arc::get_mut(a).is_none() {
                *self = Rows::Growing(a.to_vec());
            }
        }
        match self {
            Rows::Growing(v) => v,
            Rows::Shared(a) => Arc::get_mut(a).unwrap_or_default(),
        }
    }

    /// Makes it hold `rows` rows: rows added are the default value.
    fn resize(&mut self, rows: usize) {
        match self {
            Rows::Growing(v) => v.resize(rows, T::default()),
            Rows::Shared(a) => {
                let mut v = a.to_vec();
                v.resize(rows, T::default());
                *self = Rows::Growing(v);
            }
        }
    }

    fn into_shared(self) -> Arc<[T]> {
        match self {
            Rows::Growing(v) => v.into(),
            Rows::Shared(a) => a,
        }
    }
}

/// Keys per row while the rows are set, in any order.
struct KeyColumn {
    keys: Rows<u32>,
}

/// The key of an absent value (callers' keys are small indices).
const ABSENT: u32 = u32::MAX;

impl KeyColumn {
    /// Labels in order of first appearance of their text; `text` gives a
    /// key's text (an absent value's is `""`).
    fn finish(mut self, text: &mut dyn FnMut(u32) -> String) -> LabelColumn {
        // Keys are small indices: a key's code is found in a vector.
        let mut code_of_key: Vec<u32> = Vec::new();
        let mut absent_code = None;
        let mut code_of_text: HashMap<String, u32> = HashMap::new();
        let mut labels: Vec<String> = Vec::new();
        let mut new_code = |t: String| {
            *code_of_text.entry(t).or_insert_with_key(|t| {
                labels.push(t.clone());
                (labels.len() - 1) as u32
            })
        };
        let mut last: Option<(u32, u32)> = None;
        for k in self.keys.as_mut_slice().iter_mut() {
            let code = match last {
                Some((key, code)) if key == *k => code,
                _ => {
                    let code = if *k == ABSENT {
                        *absent_code.get_or_insert_with(|| new_code(String::new()))
                    } else {
                        let i = *k as usize;
                        if i >= code_of_key.len() {
                            code_of_key.resize(i + 1, ABSENT);
                        }
                        if code_of_key[i] == ABSENT {
                            code_of_key[i] = new_code(text(*k));
                        }
                        code_of_key[i]
                    };
                    last = Some((*k, code));
                    code
                }
            };
            *k = code;
        }
        LabelColumn {
            labels: labels.into(),
            codes: self.keys.into_shared(),
        }
    }
}

/// Which column a key belongs to, for the text function of
/// [`TaskRecordsBuilder::finish_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column(pub u8);

impl Column {
    /// Task group.
    pub const GROUP: Column = Column(0);
    /// Owner.
    pub const OWNER: Column = Column(1);
    /// Family.
    pub const FAMILY: Column = Column(2);
    /// Capacity.
    pub const CAPACITY: Column = Column(3);
    /// Instance id.
    pub const INSTANCE: Column = Column(4);
    /// Instance type.
    pub const INSTANCE_TYPE: Column = Column(5);
    /// AZ.
    pub const AZ: Column = Column(6);
    /// Final state.
    pub const STATE: Column = Column(7);
    /// Stop reason.
    pub const STOP_REASON: Column = Column(8);
}

/// Optional times while the rows are set.
struct TimeColumn {
    present: Rows<bool>,
    ms: Rows<u64>,
}

impl TimeColumn {
    fn finish(self) -> Optional<Arc<[u64]>> {
        Optional {
            present: self.present.into_shared(),
            values: self.ms.into_shared(),
        }
    }
}

/// Builds [`TaskRecords`] row by row, in any order (the engine sets the
/// rows of the tasks it retires during the run as it goes, and the others
/// at the end from the last task to the first, freeing its own records).
pub struct TaskRecordsBuilder {
    id: Rows<u32>,
    keys: [KeyColumn; 9],
    created: Rows<u64>,
    times: [TimeColumn; 4],
}

/// A builder's columns borrowed to set rows.
struct RowsMut<'a> {
    id: &'a mut [u32],
    keys: [&'a mut [u32]; 9],
    created: &'a mut [u64],
    present: [&'a mut [bool]; 4],
    ms: [&'a mut [u64]; 4],
}

impl RowsMut<'_> {
    fn set(&mut self, row: usize, r: &TaskRow) {
        self.id[row] = r.id;
        let keys = [
            r.group,
            r.owner,
            r.family,
            r.capacity,
            r.instance.unwrap_or(ABSENT),
            r.instance_type.unwrap_or(ABSENT),
            r.az.unwrap_or(ABSENT),
            r.state,
            r.stop_reason.unwrap_or(ABSENT),
        ];
        for (c, k) in self.keys.iter_mut().zip(keys) {
            c[row] = k;
        }
        self.created[row] = r.created.0;
        let times = [r.pending, r.running, r.stopping, r.stopped];
        for ((present, ms), t) in self.present.iter_mut().zip(&mut self.ms).zip(times) {
            if let Some(t) = t {
                present[row] = true;
                ms[row] = t.0;
            }
        }
    }
}

impl TaskRecordsBuilder {
    /// A builder for `rows` tasks, its columns the slices the records will
    /// hold (see [`TaskRecordsBuilder::fill`]).
    pub fn new(rows: usize) -> TaskRecordsBuilder {
        TaskRecordsBuilder::with_columns(Some(rows))
    }

    /// An empty builder that grows with [`TaskRecordsBuilder::resize`]
    /// (its columns are copied once when it is finished).
    pub fn growing() -> TaskRecordsBuilder {
        TaskRecordsBuilder::with_columns(None)
    }

    /// Shared columns of `rows` rows, or growing ones without any.
    fn with_columns(rows: Option<usize>) -> TaskRecordsBuilder {
        fn column<T: Zeroed>(rows: Option<usize>) -> Rows<T> {
            rows.map_or(Rows::Growing(Vec::new()), Rows::shared)
        }
        TaskRecordsBuilder {
            id: column(rows),
            keys: std::array::from_fn(|_| KeyColumn { keys: column(rows) }),
            created: column(rows),
            times: std::array::from_fn(|_| TimeColumn {
                present: column(rows),
                ms: column(rows),
            }),
        }
    }

    /// Rows it holds.
    pub fn len(&self) -> usize {
        self.id.as_slice().len()
    }

    /// Whether it holds no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes it hold `rows` rows: rows added are unset, rows past `rows`
    /// dropped.
    pub fn resize(&mut self, rows: usize) {
        self.id.resize(rows);
        for c in &mut self.keys {
            c.keys.resize(rows);
        }
        self.created.resize(rows);
        for c in &mut self.times {
            c.present.resize(rows);
            c.ms.resize(rows);
        }
    }

    fn rows_mut(&mut self) -> RowsMut<'_> {
        let [t0, t1, t2, t3] = self
            .times
            .each_mut()
            .map(|c| (c.present.as_mut_slice(), c.ms.as_mut_slice()));
        RowsMut {
            id: self.id.as_mut_slice(),
            keys: self.keys.each_mut().map(|c| c.keys.as_mut_slice()),
            created: self.created.as_mut_slice(),
            present: [t0.0, t1.0, t2.0, t3.0],
            ms: [t0.1, t1.1, t2.1, t3.1],
        }
    }

    /// Sets row `row`. For many rows of a builder made by
    /// [`TaskRecordsBuilder::new`], [`TaskRecordsBuilder::fill`] borrows
    /// its columns once instead of at every row.
    pub fn set(&mut self, row: usize, r: &TaskRow) {
        self.rows_mut().set(row, r);
    }

    /// Sets each `(row, values)` of `rows`.
    pub fn fill(&mut self, rows: impl IntoIterator<Item = (usize, TaskRow)>) {
        let mut w = self.rows_mut();
        for (row, r) in rows {
            w.set(row, &r);
        }
    }

    /// The records, every row set; `text(key)` is a key's text in every
    /// column (use [`TaskRecordsBuilder::finish_with`] for keys per column).
    pub fn finish(self, mut text: impl FnMut(u32) -> String) -> TaskRecords {
        self.finish_with(|k, _| text(k))
    }

    /// The records, every row set; `text(key, column)` is a key's text.
    pub fn finish_with(self, mut text: impl FnMut(u32, Column) -> String) -> TaskRecords {
        let [group, owner, family, capacity, instance, instance_type, az, state, stop_reason] =
            self.keys;
        let mut label = |c: KeyColumn, col: Column| c.finish(&mut |k| text(k, col));
        let group = label(group, Column::GROUP);
        let owner = label(owner, Column::OWNER);
        let family = label(family, Column::FAMILY);
        let capacity = label(capacity, Column::CAPACITY);
        let state = label(state, Column::STATE);
        let mut optional = |c: KeyColumn, col: Column| {
            let present: Arc<[bool]> = (c.keys.as_slice().iter()).map(|&k| k != ABSENT).collect();
            Optional {
                present,
                values: label(c, col),
            }
        };
        let instance = optional(instance, Column::INSTANCE);
        let instance_type = optional(instance_type, Column::INSTANCE_TYPE);
        let az = optional(az, Column::AZ);
        let stop_reason = optional(stop_reason, Column::STOP_REASON);
        let [pending, running, stopping, stopped] = self.times.map(TimeColumn::finish);
        TaskRecords {
            id: self.id.into_shared(),
            group,
            owner,
            family,
            capacity,
            instance,
            instance_type,
            az,
            state,
            created: self.created.into_shared(),
            pending,
            running,
            stopping,
            stopped,
            stop_reason,
            records: OnceLock::new(),
        }
    }
}

/// The key of a capacity name of [`CAPACITIES`].
pub fn capacity_key(fargate: bool, spot: bool) -> u32 {
    match (fargate, spot) {
        (false, _) => 0,
        (true, false) => 1,
        (true, true) => 2,
    }
}

/// The key of a task state (its text: [`state_text`]).
pub fn state_key(s: TaskState) -> u32 {
    STATES.iter().position(|&x| x == s).unwrap_or(0) as u32
}

/// The text of a [`state_key`].
pub fn state_text(k: u32) -> &'static str {
    STATES.get(k as usize).map_or("", |s| s.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u32, owner: &str, instance: Option<&str>, stopped: Option<u64>) -> TaskRecord {
        TaskRecord {
            id: TaskId(id),
            group: Name::from(format!("service:{owner}")),
            owner: Name::from(owner),
            family: Name::from("app"),
            instance: instance.map(Name::from),
            instance_type: instance.map(|_| Name::from("m5.large")),
            az: instance.map(|i| Name::from(if i < "i-2" { "az-a" } else { "az-b" })),
            capacity: if instance.is_some() { "EC2" } else { "FARGATE" },
            state: if stopped.is_some() {
                TaskState::Stopped
            } else {
                TaskState::Running
            },
            created: SimTime(u64::from(id) * 1000),
            pending: Some(SimTime(u64::from(id) * 1000 + 5)),
            running: Some(SimTime(u64::from(id) * 1000 + 90_250)),
            stopping: stopped.map(|s| SimTime(s - 1)),
            stopped: stopped.map(SimTime),
            stop_reason: stopped.map(|_| Name::from("ServiceSchedulerInitiated")),
        }
    }

    /// A row of `r`, with the texts as keys of a fixed list.
    fn row_of(r: &TaskRecord) -> TaskRow {
        let instance = r.instance.as_ref().map(|i| u32::from(i.as_str() != "i-1"));
        TaskRow {
            id: r.id.0,
            group: u32::from(r.owner == "web"),
            owner: u32::from(r.owner == "web"),
            family: 0,
            capacity: capacity_key(r.instance.is_none(), false),
            instance,
            instance_type: instance.map(|_| 0),
            az: instance,
            state: state_key(r.state),
            created: r.created,
            pending: r.pending,
            running: r.running,
            stopping: r.stopping,
            stopped: r.stopped,
            stop_reason: r.stop_reason.as_ref().map(|_| 0),
        }
    }

    fn text(k: u32, c: Column) -> String {
        match c {
            Column::GROUP => ["service:batch", "service:web"][k as usize].into(),
            Column::OWNER => ["batch", "web"][k as usize].into(),
            Column::FAMILY => "app".into(),
            Column::CAPACITY => CAPACITIES[k as usize].into(),
            Column::INSTANCE => ["i-1", "i-2"][k as usize].into(),
            Column::INSTANCE_TYPE => "m5.large".into(),
            Column::AZ => ["az-a", "az-b"][k as usize].into(),
            Column::STATE => state_text(k).into(),
            _ => "ServiceSchedulerInitiated".into(),
        }
    }

    #[test]
    fn a_builder_of_known_size_hands_its_columns_over_and_one_grown_reads_the_same() {
        let records = [
            record(0, "web", Some("i-1"), None),
            record(1, "batch", None, Some(7_000)),
            record(2, "web", Some("i-2"), Some(9_000)),
        ];
        // Sized from the start: the records hold the very slices filled.
        let mut sized = TaskRecordsBuilder::new(records.len());
        let id = sized.id.as_slice().as_ptr();
        let owner = sized.keys[1].keys.as_slice().as_ptr();
        let created = sized.created.as_slice().as_ptr();
        let stopped = sized.times[3].ms.as_slice().as_ptr();
        sized.fill(records.iter().enumerate().map(|(i, r)| (i, row_of(r))));
        let sized = sized.finish_with(text);
        assert_eq!(sized.id.as_ptr(), id);
        assert_eq!(sized.owner.codes.as_ptr(), owner);
        assert_eq!(sized.created.as_ptr(), created);
        assert_eq!(sized.stopped.values.as_ptr(), stopped);
        assert_eq!(sized.records(), &records[..]);

        // Grown as a run retires tasks, rows set one at a time, last first.
        let mut grown = TaskRecordsBuilder::growing();
        assert!(grown.is_empty());
        for (i, r) in records.iter().enumerate().rev() {
            if i >= grown.len() {
                grown.resize(i + 1);
            }
            grown.set(i, &row_of(r));
        }
        assert_eq!(grown.len(), records.len());
        let grown = grown.finish_with(text);
        assert_eq!(grown, sized);
        assert_eq!(grown.instance, sized.instance);
        assert_eq!(grown.stopped, sized.stopped);
    }

    #[test]
    fn a_column_shared_before_it_is_finished_is_copied_not_changed_under_its_holder() {
        let mut rows = Rows::<u32>::shared(2);
        let Rows::Shared(held) = &rows else {
            panic!("a builder of known size sets its rows in place");
        };
        let held = Arc::clone(held);
        rows.as_mut_slice()[0] = 7;
        assert_eq!(held[..], [0, 0]);
        assert_eq!(rows.as_slice(), [7, 0]);
        rows.resize(3);
        assert_eq!(rows.into_shared()[..], [7, 0, 0]);
    }

    #[test]
    fn rows_set_last_first_read_back_in_order_with_labels_by_first_appearance() {
        let records = vec![
            record(0, "web", Some("i-1"), None),
            record(1, "batch", None, Some(7_000)),
            record(2, "web", Some("i-2"), Some(9_000)),
            record(3, "batch", Some("i-1"), None),
        ];
        let built: TaskRecords = records.iter().cloned().collect();
        assert_eq!(built.len(), 4);
        assert_eq!(&built.owner.labels[..], ["web", "batch"]);
        assert_eq!(&built.owner.codes[..], [0, 1, 0, 1]);
        // An absent value is the label "" where it first appears.
        assert_eq!(&built.instance.values.labels[..], ["i-1", "", "i-2"]);
        assert_eq!(&built.instance.present[..], [true, false, true, true]);
        assert_eq!(&built.stopped.present[..], [false, true, true, false]);
        assert_eq!(built.stopped.values[2], 9_000);

        // The engine's way: keys of its own (two keys with one text are
        // one label), rows set from the last to the first.
        let mut b = TaskRecordsBuilder::new(records.len());
        let instances = ["i-1", "i-2", "i-1-again"];
        let key_of = |i: Option<&Name>| {
            i.map(|i| instances.iter().position(|x| *x == i.as_str()).unwrap() as u32)
        };
        for (row, r) in records.iter().enumerate().rev() {
            b.set(
                row,
                &TaskRow {
                    // Owner keys 5 and 9 are both "web".
                    owner: if r.owner == "web" {
                        5 + 4 * (row as u32 % 2)
                    } else {
                        1
                    },
                    instance: key_of(r.instance.as_ref()),
                    instance_type: key_of(r.instance.as_ref()).map(|_| 7),
                    az: key_of(r.instance.as_ref()),
                    stop_reason: r.stop_reason.as_ref().map(|_| 3),
                    ..row_of(r)
                },
            );
        }
        let keyed = b.finish_with(|k, c| match c {
            Column::GROUP => ["service:batch", "service:web"][k as usize].to_string(),
            Column::OWNER if k == 1 => "batch".into(),
            Column::OWNER => "web".into(),
            Column::FAMILY => "app".into(),
            Column::CAPACITY => CAPACITIES[k as usize].into(),
            Column::INSTANCE => instances[k as usize].into(),
            Column::INSTANCE_TYPE => "m5.large".into(),
            Column::AZ => ["az-a", "az-b"][k as usize].into(),
            Column::STATE => state_text(k).into(),
            _ => "ServiceSchedulerInitiated".into(),
        });
        assert_eq!(keyed.owner, built.owner);
        assert_eq!(keyed.instance, built.instance);
        assert_eq!(keyed.az, built.az);
        assert_eq!(keyed.stop_reason, built.stop_reason);
        assert_eq!(keyed.records(), &records[..]);
        assert_eq!(keyed, built);
        assert_eq!(format!("{keyed:?}"), format!("{records:?}"));
        // Iterating by reference reads the records.
        assert_eq!((&keyed).into_iter().filter(|t| t.owner == "web").count(), 2);
        assert!(TaskRecords::default().is_empty());
    }
}
