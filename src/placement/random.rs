//! `random` (ECS-MODEL P4): uniform among the candidates, from the seeded
//! placement stream.

use super::draw;
use crate::model::index::{Partition, PlacementIndex};
use crate::model::{InstanceId, Resources};
use crate::sim::SimRng;

/// Draws before giving up on rejection sampling and enumerating.
const REJECTION_DRAWS: usize = 16;

/// A uniform choice among the members of `parts` that `fits` accepts.
///
/// Draws members uniformly and keeps the first that fits (uniform over the
/// fitting ones); after 16 misses, enumerates the members with the room
/// (from the index's table of remaining resources), keeps those that fit and draws among them,
/// so a nearly full cluster stays exact and cheap.
pub fn choose(
    index: &PlacementIndex,
    parts: &[&Partition],
    need: Resources,
    rng: &mut SimRng,
    mut fits: impl FnMut(InstanceId) -> bool,
) -> Option<InstanceId> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if total == 0 || !parts.iter().any(|p| index.may_fit(p, need)) {
        return None;
    }
    for _ in 0..REJECTION_DRAWS {
        let mut i = draw(rng, total);
        for p in parts {
            if i < p.len() {
                let id = p.members[i];
                if fits(id) {
                    return Some(id);
                }
                break;
            }
            i -= p.len();
        }
    }
    let mut fitting: Vec<InstanceId> = index
        .members_with_room(parts, need)
        .filter(|&id| fits(id))
        .collect();
    if fitting.is_empty() {
        return None;
    }
    // Members are kept in an arbitrary (but deterministic) order; sort so the
    // draw does not depend on the history of insertions and removals.
    fitting.sort();
    Some(fitting[draw(rng, fitting.len())])
}
