//! `spread(instanceId | attribute:<name>)` (ECS-MODEL P3): prefer the value
//! of the field with the fewest tasks of the task's group. On scale-in (P8),
//! stop a task where the group has the most, which leaves the best spread.

use crate::model::index::{Partition, PlacementIndex, MISSING_VALUE};
use crate::model::{AttrId, Cluster, ContainerInstance, GroupId, Resources};

/// Placement key for `spread(instanceId)`: the group's tasks on the instance.
pub fn instance_key(cluster: &Cluster, inst: &ContainerInstance, group: GroupId) -> u64 {
    u64::from(cluster.group_count_on_instance(group, inst.id))
}

/// Placement key for `spread(attribute:a)`: the group's tasks on instances
/// sharing the instance's value of `a` (instances lacking it share one bucket).
pub fn attribute_key(
    cluster: &Cluster,
    inst: &ContainerInstance,
    group: GroupId,
    a: AttrId,
) -> u64 {
    let value = inst.attribute(a).unwrap_or(MISSING_VALUE);
    u64::from(cluster.group_count_on_value(group, a, value))
}

/// Scale-in key from a count: larger counts sort first.
pub fn victim_key(count: u32) -> u64 {
    u64::MAX - u64::from(count)
}

/// Walks `part` in increasing order of the group's task count and returns
/// the first instance `fits` accepts, as (key, rank). The group must be
/// tracked by the index, and `fits` must reject every instance without
/// `need` free (it runs the resource check of P1 step 1 first).
///
/// On a busy cluster the instances with the fewest tasks of the group are
/// mostly full of other groups' tasks: the index's compact table of
/// remaining resources passes over those without reading the instances.
/// The instance chosen is the same.
pub fn walk_instances(
    index: &PlacementIndex,
    part: &Partition,
    group: GroupId,
    need: Resources,
    fits: impl FnMut(u64) -> bool,
) -> Option<(u64, u64)> {
    (part.walk_group(index, group, need, fits)).map(|(count, rank)| (u64::from(count), rank))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::index::rank_instance;
    use crate::model::{
        InstanceGroupId, NewInstance, NewTask, ServiceId, StopReason, TaskDefId, TaskOwner,
    };
    use crate::sim::SimTime;

    /// What a group's order must read, from the cluster's own counts: every
    /// member of the partition (no `memberOf` filter here) by (tasks of the
    /// group on it, rank).
    fn order_of(c: &Cluster, part: &Partition, g: GroupId) -> Vec<(u32, u64)> {
        let mut v: Vec<(u32, u64)> = (part.by_rank.iter())
            .map(|&r| (c.group_count_on_instance(g, rank_instance(r)), r))
            .collect();
        v.sort();
        v
    }

    fn task(group: GroupId, cpu: u32, memory: u32) -> NewTask {
        NewTask {
            def: TaskDefId(0),
            group,
            owner: TaskOwner::Service(ServiceId(0)),
            reservation: Resources::new(cpu, memory),
            ports: Vec::new(),
            needs_eni: false,
            created_at: SimTime(0),
            work: None,
        }
    }

    /// ECS-MODEL P3: when the instances with the fewest tasks of the group
    /// are full, the walk tries only instances with room, and still picks
    /// the first fitting one in (count, rank) order.
    #[test]
    fn walk_skips_full_instances() {
        let mut c = Cluster::new();
        let spread = c.group("service:spread");
        let filler = c.group("service:filler");
        c.track_group(spread);
        let ids: Vec<_> = (0..100)
            .map(|_| {
                let spec = NewInstance {
                    group: InstanceGroupId(0),
                    instance_type: "m6i.large".into(),
                    az: "us-east-1a".into(),
                    registered: Resources::new(1024, 4096),
                    eni_capacity: 2,
                    attributes: vec![],
                    tie: 0,
                };
                c.add_instance(spec, SimTime(0))
            })
            .collect();
        for &id in &ids {
            c.activate_instance(id, SimTime(1));
        }
        // Full of another group but 70 (one task of the group) and 90 (none).
        for (i, &id) in ids.iter().enumerate() {
            if i != 70 && i != 90 {
                c.start_task(task(filler, 1024, 4096), id, &[], SimTime(2));
            }
        }
        c.start_task(task(spread, 256, 256), ids[70], &[], SimTime(2));
        let t = task(spread, 512, 1024);
        let req = t.req();
        let part = &c.index().global;
        let calls = std::cell::Cell::new(0);
        let fits = |rank: u64| {
            calls.set(calls.get() + 1);
            c.check_resources(c.instance(rank_instance(rank)), &req)
                .is_ok()
        };
        assert!(part
            .group_order(spread)
            .expect("kept")
            .eq(order_of(&c, part, spread)));
        let plain = order_of(&c, part, spread)
            .into_iter()
            .find(|e| fits(e.1))
            .map(|(n, r)| (u64::from(n), r));
        // The plain walk checks the 89 full instances before 90.
        assert_eq!(calls.get(), 90);
        calls.set(0);
        let got = walk_instances(c.index(), part, spread, req.reservation, fits);
        assert_eq!(got, plain);
        assert_eq!(got.map(|(_, r)| rank_instance(r)), Some(ids[90]));
        assert_eq!(calls.get(), 1, "only the instance with room is checked");
        // Once 90 is taken, 70 (one task) is next; then nothing fits.
        c.start_task(task(filler, 1024, 4096), ids[90], &[], SimTime(3));
        let part = &c.index().global;
        let fits = |rank: u64| {
            c.check_resources(c.instance(rank_instance(rank)), &req)
                .is_ok()
        };
        let got = walk_instances(c.index(), part, spread, req.reservation, fits);
        assert_eq!(got.map(|(_, r)| rank_instance(r)), Some(ids[70]));
        c.start_task(task(filler, 512, 2048), ids[70], &[], SimTime(3));
        let part = &c.index().global;
        let fits = |rank: u64| {
            c.check_resources(c.instance(rank_instance(rank)), &req)
                .is_ok()
        };
        assert_eq!(
            walk_instances(c.index(), part, spread, req.reservation, fits),
            None
        );
    }

    /// ECS-MODEL P3: a walk that resumes where the last one met room finds
    /// the same instance as a walk from the start, through placements,
    /// stops (room grows back) and instances joining, for several groups
    /// and needs.
    #[test]
    fn resumed_walks_match_walks_from_the_start() {
        let mut c = Cluster::new();
        let groups: Vec<GroupId> = (0..3).map(|k| c.group(&format!("service:s{k}"))).collect();
        let filler = c.group("service:filler");
        for &g in &groups {
            c.track_group(g);
        }
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let add = |c: &mut Cluster, k: u64, at: u64| {
            let spec = NewInstance {
                group: InstanceGroupId(0),
                instance_type: "m6i.large".into(),
                az: "us-east-1a".into(),
                registered: Resources::new(1024 + 1024 * (k % 3) as u32, 4096),
                eni_capacity: 2,
                attributes: vec![],
                tie: 0,
            };
            let id = c.add_instance(spec, SimTime(at));
            c.activate_instance(id, SimTime(at));
            id
        };
        let mut ids: Vec<_> = (0..40).map(|k| add(&mut c, k, 0)).collect();
        let needs = [Resources::new(256, 512), Resources::new(1024, 1024)];
        let mut live = Vec::new();
        for step in 0..3_000u64 {
            let now = SimTime(1 + step);
            match next(10) {
                0 if !live.is_empty() => {
                    let t = live.swap_remove(next(live.len() as u64) as usize);
                    c.begin_stopping(t, StopReason::Completed, now);
                    c.finish_stop(t, StopReason::Completed, now);
                }
                1 if step % 50 == 1 => ids.push(add(&mut c, step, 1 + step)),
                _ => {
                    let g = match next(4) {
                        3 => filler,
                        k => groups[k as usize],
                    };
                    let need = needs[next(2) as usize];
                    let inst = ids[next(ids.len() as u64) as usize];
                    let t = task(g, need.cpu, need.memory);
                    if c.check_resources(c.instance(inst), &t.req()).is_ok() {
                        live.push(c.start_task(t, inst, &[], now));
                    }
                }
            }
            // Each group is walked for one need every step (a walk for
            // another need starts from the start), so resumed walks are
            // what is checked; the need of group 2 changes now and then.
            for (k, &g) in groups.iter().enumerate() {
                let need = needs[(k + (k == 2 && step % 400 < 200) as usize) % 2];
                let t = task(g, need.cpu, need.memory);
                let req = t.req();
                let fits = |rank: u64| {
                    c.check_resources(c.instance(rank_instance(rank)), &req)
                        .is_ok()
                };
                let part = &c.index().global;
                let order = order_of(&c, part, g);
                assert!(part.group_order(g).expect("kept").eq(order.iter().copied()));
                let plain = order
                    .into_iter()
                    .find(|e| fits(e.1))
                    .map(|(n, r)| (u64::from(n), r));
                assert_eq!(
                    walk_instances(c.index(), part, g, need, fits),
                    plain,
                    "step {step}, group {g:?}, need {need:?}"
                );
            }
        }
    }
}
