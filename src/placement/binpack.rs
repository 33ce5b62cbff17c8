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

/// Walks `part` from the smallest remaining amount that can hold `need` of
/// the field upward and returns the first instance `fits` accepts, as
/// (key, rank).
pub fn walk(
    part: &Partition,
    field: BinpackField,
    need: Resources,
    mut fits: impl FnMut(u64) -> bool,
) -> Option<(u64, u64)> {
    let (set, lower) = match field {
        BinpackField::Cpu => (&part.by_cpu, need.cpu),
        BinpackField::Memory => (&part.by_mem, need.memory),
    };
    set.range((lower, 0)..)
        .find(|&&(_, rank)| fits(rank))
        .map(|&(rem, rank)| (u64::from(rem), rank))
}
