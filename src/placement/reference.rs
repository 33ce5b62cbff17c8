//! Reference placement: scans every instance, computes the whole key tuple
//! of each candidate and takes the smallest. Simple enough to trust; used
//! for chains the indexed path does not cover, for `explain`, and as the
//! oracle the indexed path is tested against.

use rand::Rng;

use super::explain::Explanation;
use super::{binpack, spread, Policy, Step, Steps, MAX_STRATEGIES};
use crate::model::{Cluster, ContainerInstance, InstanceId, TaskReq};
use crate::sim::SimRng;

/// Key tuple of one candidate: one key per strategy, then the rank.
pub(crate) type Keys = [u64; MAX_STRATEGIES];

pub(crate) fn keys(
    cluster: &Cluster,
    steps: &Steps,
    req: &TaskReq,
    inst: &ContainerInstance,
    rng: &mut SimRng,
) -> Keys {
    let mut k = [0u64; MAX_STRATEGIES];
    for (slot, step) in k.iter_mut().zip(steps.iter()) {
        *slot = match *step {
            Step::Binpack(f) => binpack::key(inst, f),
            Step::SpreadInstance => spread::instance_key(cluster, inst, req.group),
            Step::SpreadAttr(a) => spread::attribute_key(cluster, inst, req.group, a),
            Step::Random => rng.gen(),
        };
    }
    k
}

pub(super) fn decide(
    cluster: &Cluster,
    policy: &Policy,
    req: &TaskReq,
    rng: &mut SimRng,
    mut trace: Option<&mut Explanation>,
) -> Option<InstanceId> {
    let mut best: Option<(Keys, u64, InstanceId)> = None;
    let steps = policy.steps(cluster);
    let checker = policy.checker(cluster);
    for inst in cluster.instances() {
        if !inst.is_active() {
            continue;
        }
        if let Err(why) = checker.check(cluster, inst.id, req) {
            if let Some(t) = trace.as_deref_mut() {
                let failed = policy
                    .constraints()
                    .iter()
                    .position(|c| !c.admits(cluster, inst, req.group));
                t.filtered.push((inst.id, why, failed));
            }
            continue;
        }
        let k = keys(cluster, &steps, req, inst, rng);
        if let Some(t) = trace.as_deref_mut() {
            t.candidates.push((inst.id, k, inst.rank));
        }
        if best
            .as_ref()
            .is_none_or(|(bk, br, _)| (k, inst.rank) < (*bk, *br))
        {
            best = Some((k, inst.rank, inst.id));
        }
    }
    best.map(|(_, _, id)| id)
}
