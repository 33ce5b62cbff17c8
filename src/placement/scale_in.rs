//! Scale-in victim selection (ECS-MODEL P8).
//!
//! When a service lowers its count, the same chain that placed its tasks
//! chooses which to stop, by reversed preferences: `spread` stops tasks
//! where the group has the most (the service default: the AZ with the most
//! tasks, then the instance with the most), `binpack` stops the task whose
//! instance would have the most of the resource left, `random` draws.
//! Remaining ties: the instance with the lowest rank, then the newest task.
//! Victims are chosen one at a time, each choice seeing the counts left by
//! the previous ones.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use rand::Rng;

use super::{binpack, spread, Policy, Step, MAX_STRATEGIES};
use crate::model::index::MISSING_VALUE;
use crate::model::{AttrId, Cluster, InstanceId, Resources, TaskId, ValueId};
use crate::sim::SimRng;

/// Chooses `n` tasks to stop among `candidates` (live tasks of one group).
///
/// Candidates sit in a heap by key; the result equals re-scoring every
/// candidate after every victim, in O((m + n) log m) instead of O(n × m).
/// Removing a victim makes spread keys of the other tasks worse (fewer tasks
/// remain where they are), so those are re-scored lazily: the popped best is
/// re-scored and accepted only if its key is unchanged. The one key that can
/// improve is binpack's for tasks on the victim's own instance (it now has
/// more room), so those are re-scored and pushed at once.
pub fn choose_victims(
    cluster: &Cluster,
    policy: &Policy,
    candidates: &[TaskId],
    n: usize,
    rng: &mut SimRng,
) -> Vec<TaskId> {
    let mut freed: HashMap<InstanceId, (u32, Resources)> = HashMap::new();
    let mut freed_values: HashMap<(AttrId, ValueId), u32> = HashMap::new();
    // A random strategy orders tasks by one draw each, in candidate order.
    let steps = policy.steps(cluster);
    let draws: Vec<u64> = if steps.contains(&Step::Random) {
        candidates.iter().map(|_| rng.gen()).collect()
    } else {
        Vec::new()
    };
    let score = |i: usize,
                 freed: &HashMap<InstanceId, (u32, Resources)>,
                 freed_values: &HashMap<(AttrId, ValueId), u32>|
     -> Option<Entry> {
        let t = candidates[i];
        let task = cluster.task(t);
        let inst_id = task.instance?;
        let inst = cluster.instance(inst_id);
        let (gone, gone_res) = freed.get(&inst_id).copied().unwrap_or_default();
        let mut k = [0u64; MAX_STRATEGIES];
        for (slot, step) in k.iter_mut().zip(steps.iter()) {
            *slot = match *step {
                Step::SpreadInstance => {
                    spread::victim_key(cluster.group_count_on_instance(task.group, inst_id) - gone)
                }
                Step::SpreadAttr(a) => {
                    let v = inst.attribute(a).unwrap_or(MISSING_VALUE);
                    let left = cluster.group_count_on_value(task.group, a, v)
                        - freed_values.get(&(a, v)).copied().unwrap_or(0);
                    spread::victim_key(left)
                }
                Step::Binpack(f) => {
                    binpack::victim_key(inst.remaining().plus(&gone_res), task.reservation, f)
                }
                Step::Random => draws[i],
            };
        }
        Some(Reverse((k, inst.rank, u64::MAX - u64::from(t.0), i)))
    };
    let mut heap: BinaryHeap<Entry> = (0..candidates.len())
        .filter_map(|i| score(i, &freed, &freed_values))
        .collect();
    let mut on_instance: HashMap<InstanceId, Vec<usize>> = HashMap::new();
    for (i, &t) in candidates.iter().enumerate() {
        if let Some(inst) = cluster.task(t).instance {
            on_instance.entry(inst).or_default().push(i);
        }
    }
    let mut accepted = vec![false; candidates.len()];
    let mut chosen = Vec::with_capacity(n.min(candidates.len()));
    while chosen.len() < n {
        let Some(top) = heap.pop() else { break };
        let i = (top.0).3;
        if accepted[i] {
            continue;
        }
        let Some(now) = score(i, &freed, &freed_values) else {
            continue;
        };
        if now != top {
            heap.push(now);
            continue;
        }
        accepted[i] = true;
        let task = cluster.task(candidates[i]);
        if let Some(inst_id) = task.instance {
            let e = freed.entry(inst_id).or_default();
            e.0 += 1;
            e.1 = e.1.plus(&task.reservation);
            let inst = cluster.instance(inst_id);
            for &a in cluster.counted_attributes() {
                let v = inst.attribute(a).unwrap_or(MISSING_VALUE);
                *freed_values.entry((a, v)).or_default() += 1;
            }
            for &j in on_instance.get(&inst_id).map_or(&[][..], Vec::as_slice) {
                if !accepted[j] {
                    if let Some(e) = score(j, &freed, &freed_values) {
                        heap.push(e);
                    }
                }
            }
        }
        chosen.push(candidates[i]);
    }
    chosen
}

/// Heap entry: (keys, instance rank, newest task first, candidate index), smallest first.
type Entry = Reverse<([u64; MAX_STRATEGIES], u64, u64, usize)>;
