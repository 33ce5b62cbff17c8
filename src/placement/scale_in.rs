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

use std::collections::HashMap;

use rand::Rng;

use super::{binpack, spread, Policy, Step, MAX_STRATEGIES};
use crate::model::index::MISSING_VALUE;
use crate::model::{AttrId, Cluster, InstanceId, Resources, TaskId, ValueId};
use crate::sim::SimRng;

/// Chooses `n` tasks to stop among `candidates` (live tasks of one group).
pub fn choose_victims(
    cluster: &Cluster,
    policy: &Policy,
    candidates: &[TaskId],
    n: usize,
    rng: &mut SimRng,
) -> Vec<TaskId> {
    let mut chosen: Vec<TaskId> = Vec::new();
    let mut freed: HashMap<InstanceId, (u32, Resources)> = HashMap::new();
    let mut freed_values: HashMap<(AttrId, ValueId), u32> = HashMap::new();
    while chosen.len() < n {
        let mut best: Option<([u64; MAX_STRATEGIES], u64, u64, TaskId)> = None;
        for &t in candidates {
            if chosen.contains(&t) {
                continue;
            }
            let task = cluster.task(t);
            let Some(inst_id) = task.instance else {
                continue;
            };
            let inst = cluster.instance(inst_id);
            let (gone, gone_res) = freed.get(&inst_id).copied().unwrap_or_default();
            let mut k = [0u64; MAX_STRATEGIES];
            for (slot, step) in k.iter_mut().zip(&policy.steps) {
                *slot = match *step {
                    Step::SpreadInstance => spread::victim_key(
                        cluster.group_count_on_instance(task.group, inst_id) - gone,
                    ),
                    Step::SpreadAttr(a) => {
                        let v = inst.attribute(a).unwrap_or(MISSING_VALUE);
                        let left = cluster.group_count_on_value(task.group, a, v)
                            - freed_values.get(&(a, v)).copied().unwrap_or(0);
                        spread::victim_key(left)
                    }
                    Step::Binpack(f) => {
                        binpack::victim_key(inst.remaining().plus(&gone_res), task.reservation, f)
                    }
                    Step::Random => rng.gen(),
                };
            }
            let cand = (k, inst.rank, u64::MAX - u64::from(t.0), t);
            if best.as_ref().is_none_or(|b| cand < *b) {
                best = Some(cand);
            }
        }
        let Some((_, _, _, victim)) = best else { break };
        let task = cluster.task(victim);
        if let Some(inst_id) = task.instance {
            let e = freed.entry(inst_id).or_default();
            e.0 += 1;
            e.1 = e.1.plus(&task.reservation);
            let inst = cluster.instance(inst_id);
            for &a in cluster.counted_attributes() {
                let v = inst.attribute(a).unwrap_or(MISSING_VALUE);
                *freed_values.entry((a, v)).or_default() += 1;
            }
        }
        chosen.push(victim);
    }
    chosen
}
