//! `binpack(cpu|memory)` (ECS-MODEL P2): prefer the instance with the least
//! remaining amount of the resource that still fits the task. On scale-in
//! (P8), stop the task whose instance would have the most left afterwards.

use super::BinpackField;
use crate::model::index::Partition;
use crate::model::{ContainerInstance, Resources};

/// Placement key: the remaining amount (smaller preferred).
pub fn key(inst: &ContainerInstance, field: BinpackField) -> u64 {
    let rem = inst.remaining();
    u64::from(pick(&rem, field))
}

/// Scale-in key: the remaining amount after removing a task reserving
/// `task`, inverted so that the most remaining sorts first.
pub fn victim_key(remaining: Resources, task: Resources, field: BinpackField) -> u64 {
    u64::MAX - u64::from(pick(&remaining, field)) - u64::from(pick(&task, field))
}

fn pick(r: &Resources, field: BinpackField) -> u32 {
    match field {
        BinpackField::Cpu => r.cpu,
        BinpackField::Memory => r.memory,
    }
}

/// The first instance of set `set` of `part`'s order by the field (see
/// `Orders::set_for`), in order of (remaining amount of the
/// field, rank) from the smallest amount that can hold `need` upward, that
/// `fits` accepts, as (key, rank).
///
/// Only the size classes of the other resource that can hold `need` are
/// looked at (one range look-up each), so instances with enough of the field
/// but too little of the other resource are mostly never visited.
pub fn walk(
    part: &Partition,
    field: BinpackField,
    set: usize,
    need: Resources,
    fits: impl FnMut(u64) -> bool,
) -> Option<(u64, u64)> {
    let found = match field {
        BinpackField::Cpu => part.cpu_set(set)?.first(need.memory, need.cpu, fits),
        BinpackField::Memory => part.mem_set(set)?.first(need.cpu, need.memory, fits),
    };
    found.map(|(rem, rank)| (u64::from(rem), rank))
}
