//! Indexed placement: walks the cluster's ordered indexes and stops at the
//! first instance that fits, instead of scanning every instance.
//!
//! Handles chains `[spread(attribute:X)] [last]` where `last` is `binpack`,
//! `spread(instanceId)` (for an indexed group) or `random`. With a spread
//! level, the attribute's values are visited by increasing task count of the
//! group; values with equal counts are one bucket, within which the last
//! strategy compares instances of all of them (lexicographic order, P5).

use super::{binpack, random, spread, BinpackField, Checker, Policy, Step};
use crate::model::index::{rank_instance, Order, Partition};
use crate::model::{AttrId, Cluster, InstanceId, TaskReq, ValueId};
use crate::sim::SimRng;

/// The shape of a chain the fast path handles.
pub(super) struct Plan {
    level: Option<AttrId>,
    last: Option<Step>,
    /// For a binpack last step, the set of the level's resource order it
    /// walks (one whose filter the policy's cached constraints imply).
    set: usize,
}

/// The plan for `policy`, or None if the chain needs the reference scan
/// (its shape, or an attribute or group the cluster does not index).
#[inline(always)]
pub(super) fn plan(
    cluster: &Cluster,
    policy: &Policy,
    checker: &Checker,
    req: &TaskReq,
) -> Option<Plan> {
    let steps = policy.steps(cluster);
    let index = cluster.index();
    let indexed = |a: &AttrId| index.level(*a).is_some();
    // The order the last step walks must be kept in the level walked, and
    // hold every instance the constraints admit: for a binpack step, the
    // set of it to walk (found once: it answers both).
    let mask = checker.cached_mask();
    let walkable = |level: Option<AttrId>, s: &Step| -> Option<usize> {
        let binpack = |order: Order| index.orders(level)?.set_for(order);
        match s {
            Step::Binpack(BinpackField::Memory) => binpack(Order::Memory(mask)),
            Step::Binpack(BinpackField::Cpu) => binpack(Order::Cpu(mask)),
            Step::Random => Some(0),
            Step::SpreadInstance => index
                .keeps(level, Order::Group(req.group, mask))
                .then_some(0),
            Step::SpreadAttr(_) => None,
        }
    };
    let walking = |level: Option<AttrId>, last: &Step| {
        walkable(level, last).map(|set| Plan {
            level,
            last: Some(*last),
            set,
        })
    };
    match &*steps {
        [] => Some(Plan {
            level: None,
            last: None,
            set: 0,
        }),
        [Step::SpreadAttr(a)] if indexed(a) => Some(Plan {
            level: Some(*a),
            last: None,
            set: 0,
        }),
        [Step::SpreadAttr(a), s] if indexed(a) => walking(Some(*a), s),
        [s] => walking(None, s),
        _ => None,
    }
}

pub(super) fn decide(
    cluster: &Cluster,
    checker: &Checker,
    req: &TaskReq,
    plan: &Plan,
    rng: &mut SimRng,
) -> Option<InstanceId> {
    let index = cluster.index();
    let Some(attr) = plan.level else {
        return best_in(cluster, checker, req, plan, &[&index.global], rng);
    };
    let level = index.level(attr)?;
    let count = |v: ValueId| cluster.group_count_on_value(req.group, attr, v);
    let live = level.iter().filter(|(_, p)| !p.is_empty());
    // A level has few values (AZs): buffers on the stack, no allocation
    // per decision; a Vec past that.
    const STACK: usize = 8;
    if live.clone().count() <= STACK {
        let mut buckets = [(0, &index.global); STACK];
        let mut n = 0;
        for (&v, p) in live {
            buckets[n] = (count(v), p);
            n += 1;
        }
        let mut parts = [&index.global; STACK];
        return in_buckets(
            cluster,
            checker,
            req,
            plan,
            rng,
            &mut buckets[..n],
            &mut parts,
        );
    }
    let mut buckets: Vec<(u32, &Partition)> = live.map(|(&v, p)| (count(v), p)).collect();
    let mut parts = vec![&index.global; buckets.len()];
    in_buckets(cluster, checker, req, plan, rng, &mut buckets, &mut parts)
}

/// The best fitting instance of the first bucket, by increasing count,
/// that has one; `parts` is scratch space as long as `buckets`.
fn in_buckets<'a>(
    cluster: &Cluster,
    checker: &Checker,
    req: &TaskReq,
    plan: &Plan,
    rng: &mut SimRng,
    buckets: &mut [(u32, &'a Partition)],
    parts: &mut [&'a Partition],
) -> Option<InstanceId> {
    buckets.sort_by_key(|&(count, _)| count);
    let mut start = 0;
    while start < buckets.len() {
        let count = buckets[start].0;
        let end = start + buckets[start..].iter().take_while(|b| b.0 == count).count();
        for (slot, b) in parts.iter_mut().zip(&buckets[start..end]) {
            *slot = b.1;
        }
        if let Some(id) = best_in(cluster, checker, req, plan, &parts[..end - start], rng) {
            return Some(id);
        }
        start = end;
    }
    None
}

/// The best fitting instance over `parts` by the last strategy, then rank.
#[inline(always)]
fn best_in(
    cluster: &Cluster,
    checker: &Checker,
    req: &TaskReq,
    plan: &Plan,
    parts: &[&Partition],
    rng: &mut SimRng,
) -> Option<InstanceId> {
    // Instances a cached `memberOf` rejects are passed over without
    // reading their records (on a cluster of several pools, most of those
    // a walk visits).
    let last = plan.last;
    let fits = |id: InstanceId| {
        !checker.cached_reject(cluster, id) && checker.check(cluster, id, req).is_ok()
    };
    if last == Some(Step::Random) {
        return random::choose(cluster.index(), parts, req.reservation, rng, fits);
    }
    // Nothing in these partitions has the CPU or the memory: no walk needed.
    let need = req.reservation;
    if !parts.iter().any(|p| cluster.index().may_fit(p, need)) {
        return None;
    }
    let fits_rank = |rank: u64| fits(rank_instance(rank));
    parts
        .iter()
        .filter_map(|p| match last {
            Some(Step::Binpack(f)) => binpack::walk(p, f, plan.set, req.reservation, fits_rank),
            Some(Step::SpreadInstance) => {
                spread::walk_instances(cluster.index(), p, req.group, need, fits_rank)
            }
            _ => p.by_rank.iter().find(|&&r| fits_rank(r)).map(|&r| (0, r)),
        })
        .min()
        .map(|(_, rank)| rank_instance(rank))
}
