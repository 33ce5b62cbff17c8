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
//!
//! # How victims are found without re-scoring every task
//!
//! A task's key (one entry per strategy, then instance rank, then newest
//! task) has parts of three kinds: the task's own (its reservation under
//! binpack, its draw under random, its id), its instance's (the group's count
//! there under spread(instanceId), the instance's remaining resource under
//! binpack) and its attribute values' (the group's count per value under
//! spread(attribute)). Hence three levels:
//!
//! * the tasks of one instance differ only in their own parts, so their
//!   order never changes: they are sorted once and taken from the front;
//! * instances sharing every spread attribute value (a *cell*, e.g. one AZ)
//!   differ only in their own parts and their front task's: each cell keeps
//!   its instances in a binary heap by the key of their front task, and a
//!   victim changes one entry, its instance's, which is the heap's top (it
//!   is re-keyed in place and sifted down, or popped when the instance has
//!   no candidate left);
//! * cells are few (one per AZ under the service default): the best cell
//!   is found by computing each cell's best key with the current value
//!   counts.
//!
//! A victim costs one sift of a heap and one look at each cell, instead of
//! invalidating every task that shares its AZ.

use std::cmp::Reverse;
use std::collections::binary_heap::PeekMut;
use std::collections::{BTreeMap, BinaryHeap};

use rand::Rng;

use super::{binpack, spread, Policy, Step, MAX_STRATEGIES};
use crate::model::index::MISSING_VALUE;
use crate::model::{Cluster, Resources, TaskId, ValueId};
use crate::sim::SimRng;

/// Key of a candidate, smallest first: one entry per strategy, the
/// instance's rank, the newest task first, the candidate's index.
type Key = ([u64; MAX_STRATEGIES], u64, u64, usize);

/// Chooses `n` tasks to stop among `candidates` (live tasks of one group).
///
/// The result equals re-scoring every candidate after every victim and
/// taking the smallest key; candidates on no instance are never chosen.
pub fn choose_victims(
    cluster: &Cluster,
    policy: &Policy,
    candidates: &[TaskId],
    n: usize,
    rng: &mut SimRng,
) -> Vec<TaskId> {
    let steps = policy.steps(cluster);
    // A random strategy orders tasks by one draw each, in candidate order.
    let draws: Vec<u64> = if steps.contains(&Step::Random) {
        candidates.iter().map(|_| rng.gen()).collect()
    } else {
        Vec::new()
    };
    // Instances and reservations come from the cluster's compact table:
    // a scale-in reads no task record.
    let reservation = |i: usize| cluster.task_placement(candidates[i]).1;
    let task_part = |i: usize| -> [u64; MAX_STRATEGIES] {
        let mut k = [0u64; MAX_STRATEGIES];
        for (slot, step) in k.iter_mut().zip(steps.iter()) {
            *slot = match *step {
                // Larger reservations leave more behind: they go first.
                Step::Binpack(f) => binpack::victim_key(Resources::default(), reservation(i), f),
                Step::Random => draws[i],
                Step::SpreadInstance | Step::SpreadAttr(_) => 0,
            };
        }
        k
    };

    // Candidates grouped by instance, instances in id order, each
    // instance's tasks in their fixed order: by the keys of the steps that
    // tell one instance's tasks apart by more than age (binpack, random;
    // the spread entries of `task_part` are 0), then newest first. One sort
    // of the candidates by instance alone, as integers (instance above
    // candidate index), then a sort of each instance's own: the order of
    // one sort by whole keys, comparing keys only among tasks that share an
    // instance (a scale-in looks at the group's tasks, never at every
    // instance the cluster has had).
    let newest = |i: usize| u64::MAX - u64::from(candidates[i].0);
    let own_steps: Vec<usize> = (steps.iter().enumerate())
        .filter(|(_, s)| matches!(s, Step::Binpack(_) | Step::Random))
        .map(|(j, _)| j)
        .collect();
    debug_assert!(
        u32::try_from(candidates.len()).is_ok(),
        "candidate indices fit 32 bits"
    );
    let mut keyed: Vec<u64> = candidates
        .iter()
        .enumerate()
        .filter_map(|(i, &t)| {
            let inst = cluster.task_placement(t).0?;
            Some(u64::from(inst.0) << 32 | i as u64)
        })
        .collect();
    keyed.sort_unstable();
    let index = |k: u64| k as u32 as usize;
    let by_instance = |a: &u64, b: &u64| a >> 32 == b >> 32;
    if let [j] = own_steps[..] {
        // One such step (the service default has none; binpack second):
        // its key alone, found once per task.
        let mut own = vec![0u64; candidates.len()];
        for &k in &keyed {
            own[index(k)] = task_part(index(k))[j];
        }
        for run in keyed.chunk_by_mut(by_instance).filter(|r| r.len() > 1) {
            run.sort_unstable_by_key(|&k| (own[index(k)], newest(index(k))));
        }
    } else if own_steps.is_empty() {
        for run in keyed.chunk_by_mut(by_instance).filter(|r| r.len() > 1) {
            run.sort_unstable_by_key(|&k| newest(index(k)));
        }
    } else {
        for run in keyed.chunk_by_mut(by_instance).filter(|r| r.len() > 1) {
            run.sort_by_cached_key(|&k| (task_part(index(k)), newest(index(k))));
        }
    }
    // (candidate index, instance) in that order.
    let (order, inst_of): (Vec<usize>, Vec<u32>) =
        keyed.iter().map(|&k| (index(k), (k >> 32) as u32)).unzip();
    drop(keyed);

    // One entry per instance holding candidates.
    struct Inst {
        id: crate::model::InstanceId,
        /// Its candidates' range in `order`, front first.
        next: usize,
        end: usize,
        /// Tasks chosen here and what they reserved.
        gone: u32,
        freed: Resources,
    }
    let mut insts: Vec<Inst> = Vec::with_capacity(inst_of.len());
    for run in inst_of.chunk_by(|a, b| a == b) {
        let next = insts.last().map_or(0, |p: &Inst| p.end);
        insts.push(Inst {
            id: crate::model::InstanceId(run[0]),
            next,
            end: next + run.len(),
            gone: 0,
            freed: Resources::default(),
        });
    }
    drop(inst_of);

    // The candidates' group (they are all of one).
    let group = candidates
        .first()
        .map(|&t| cluster.task(t).group)
        .unwrap_or_default();
    // The key of an instance's front task, spread(attribute) entries left
    // at 0 (they are the same for every instance of a cell).
    // Only binpack reads the instance record; ranks and attribute values
    // come from the cluster's compact tables.
    let inst_key = |inst: &Inst| -> Key {
        let i = order[inst.next];
        let mut k = task_part(i);
        for (slot, step) in k.iter_mut().zip(steps.iter()) {
            match *step {
                Step::SpreadInstance => {
                    let here = cluster.group_count_on_instance(group, inst.id);
                    *slot = spread::victim_key(here - inst.gone);
                }
                Step::Binpack(f) => {
                    let left = cluster.instance(inst.id).remaining().plus(&inst.freed);
                    *slot = binpack::victim_key(left, reservation(i), f)
                }
                Step::SpreadAttr(_) | Step::Random => {}
            }
        }
        (
            k,
            cluster.rank_of(inst.id),
            u64::MAX - u64::from(candidates[i].0),
            i,
        )
    };

    // Cells: instances sharing the value of every spread attribute.
    let attr_steps: Vec<(usize, crate::model::AttrId)> = steps
        .iter()
        .enumerate()
        .filter_map(|(j, s)| match *s {
            Step::SpreadAttr(a) => Some((j, a)),
            _ => None,
        })
        .collect();
    // Per (attribute step, value): the group's tasks left there.
    let mut counts: BTreeMap<(usize, ValueId), u32> = BTreeMap::new();
    let mut cell_of: BTreeMap<[ValueId; MAX_STRATEGIES], usize> = BTreeMap::new();
    // Per cell, its values and its instances with their keys, made into
    // its heap at once (one heap build, not a sift per instance; keys are
    // unique, so the heap answers the same).
    let mut found: Vec<(Vec<ValueId>, Vec<Entry>)> = Vec::new();
    for (slot, inst) in insts.iter().enumerate() {
        let mut key = [MISSING_VALUE; MAX_STRATEGIES];
        for (v, &(_, a)) in key.iter_mut().zip(&attr_steps) {
            *v = cluster.value_of(inst.id, a);
        }
        let c = match cell_of.get(&key) {
            Some(&c) => c,
            None => {
                let values = key[..attr_steps.len()].to_vec();
                // A new cell: its values' counts (shared with other cells
                // sharing a value).
                for (&(j, a), &v) in attr_steps.iter().zip(&values) {
                    counts
                        .entry((j, v))
                        .or_insert_with(|| cluster.group_count_on_value(group, a, v));
                }
                found.push((values, Vec::with_capacity(insts.len() - slot)));
                cell_of.insert(key, found.len() - 1);
                found.len() - 1
            }
        };
        found[c].1.push((Reverse(inst_key(inst)), slot as u32));
    }
    // The spread(attribute) entries of a cell's key: its values' counts.
    let with_counts =
        |mut key: Key, values: &[ValueId], counts: &BTreeMap<(usize, ValueId), u32>| {
            for (&(j, _), &v) in attr_steps.iter().zip(values) {
                key.0[j] = spread::victim_key(counts[&(j, v)]);
            }
            key
        };
    if n == 1 {
        // One victim: the least key of all, found in one pass over the
        // cells' entries; no queue is built (the loop below takes the
        // same one: a cell's counts are the same for all its entries).
        let best = (found.iter())
            .filter_map(|(values, entries)| {
                let (Reverse(key), _) = entries.iter().min_by_key(|(Reverse(k), _)| *k)?;
                Some(with_counts(*key, values, &counts))
            })
            .min();
        return best.map(|key| vec![candidates[key.3]]).unwrap_or_default();
    }
    let mut cells: Vec<Cell> = (found.into_iter())
        .map(|(values, entries)| Cell {
            values,
            heap: BinaryHeap::from(entries),
        })
        .collect();
    let mut chosen = Vec::with_capacity(n.min(order.len()));
    while chosen.len() < n {
        // The best cell: its best instance's key with the value counts.
        let mut best: Option<(Key, usize)> = None;
        for (c, cell) in cells.iter().enumerate() {
            let Some((Reverse(key), _)) = cell.heap.peek() else {
                continue;
            };
            let key = with_counts(*key, &cell.values, &counts);
            if best.is_none_or(|(b, _)| key < b) {
                best = Some((key, c));
            }
        }
        let Some((key, c)) = best else { break };
        let i = key.3;
        // The victim changes its instance's entry only, the heap's top: it
        // is keyed by the instance's next task (and sifted down as `top`
        // goes), or leaves with the instance's last candidate.
        let mut top = cells[c].heap.peek_mut().expect("non-empty cell");
        let slot = top.1 as usize;
        let inst = &mut insts[slot];
        inst.gone += 1;
        inst.freed = inst.freed.plus(&reservation(i));
        inst.next += 1;
        if inst.next == inst.end {
            PeekMut::pop(top);
        } else {
            top.0 = Reverse(inst_key(&insts[slot]));
            drop(top);
        }
        for (&(j, _), &v) in attr_steps.iter().zip(&cells[c].values) {
            if let Some(left) = counts.get_mut(&(j, v)) {
                *left = left.saturating_sub(1);
            }
        }
        chosen.push(candidates[i]);
    }
    chosen
}

/// The key of an instance's front task with the instance (its slot), in
/// a cell's heap (a max-heap: the least key on top).
type Entry = (Reverse<Key>, u32);

/// Instances sharing the value of every spread attribute of the chain.
struct Cell {
    /// The value per spread(attribute) step.
    values: Vec<ValueId>,
    /// Its instances (slots) by the key of their front task.
    heap: BinaryHeap<Entry>,
}
