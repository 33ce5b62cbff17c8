//! The on-demand / spot split of a mixed-instances Auto Scaling group: the
//! ASG `InstancesDistribution` (ECS-MODEL S6).
//!
//! This module owns [`InstancesDistribution`]: how many of a group's desired
//! instances are on-demand ([`InstancesDistribution::on_demand_target`]) and
//! which purchase option the next launch uses
//! ([`InstancesDistribution::next_purchase`]).
//!
//! A pure decider: it must only depend on the market's own types
//! ([`Purchase`], the allocation enums), never on the engine, scenario or
//! output modules.

use crate::market::allocation::{
    choose_on_demand_pool, choose_spot_pool, OnDemandAllocation, PoolView, SpotAllocation,
};
use crate::market::Purchase;

/// ASG `InstancesDistribution` of a mixed-instances group (ECS-MODEL S6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstancesDistribution {
    /// `OnDemandBaseCapacity`: the first instances of the group that are
    /// on-demand, in instances.
    pub on_demand_base_capacity: u32,
    /// `OnDemandPercentageAboveBaseCapacity`: percent (0–100) of the
    /// instances above the base that are on-demand; the rest are spot.
    /// Values above 100 count as 100.
    pub on_demand_percentage_above_base: u32,
    /// How on-demand launches choose a pool.
    pub on_demand_allocation: OnDemandAllocation,
    /// How spot launches choose a pool.
    pub spot_allocation: SpotAllocation,
}

impl Default for InstancesDistribution {
    /// AWS's defaults: base 0, 100 % on-demand above base, `prioritized`
    /// on-demand allocation and `price-capacity-optimized` spot allocation —
    /// a group without a mixed-instances policy is all on-demand.
    fn default() -> Self {
        InstancesDistribution {
            on_demand_base_capacity: 0,
            on_demand_percentage_above_base: 100,
            on_demand_allocation: OnDemandAllocation::Prioritized,
            spot_allocation: SpotAllocation::PriceCapacityOptimized,
        }
    }
}

impl InstancesDistribution {
    /// A group that buys spot only (base 0, 0 % on-demand above base), with
    /// the given spot allocation strategy.
    pub fn all_spot(spot_allocation: SpotAllocation) -> Self {
        InstancesDistribution {
            on_demand_base_capacity: 0,
            on_demand_percentage_above_base: 0,
            spot_allocation,
            ..InstancesDistribution::default()
        }
    }

    /// How many of `desired` instances are on-demand (ECS-MODEL S6):
    /// `min(desired, base) + ceil(max(0, desired − base) × pct / 100)`.
    ///
    /// *Model choice*: the on-demand share above the base is rounded **up**.
    /// AWS does not document how a fractional share is rounded; rounding up
    /// errs toward on-demand (fewer interruptions, higher cost), and a
    /// percentage above 0 always buys at least one on-demand instance above
    /// the base. Never more than `desired`.
    pub fn on_demand_target(&self, desired: u32) -> u32 {
        let base = desired.min(self.on_demand_base_capacity);
        let above = u64::from(desired - base);
        let pct = u64::from(self.on_demand_percentage_above_base.min(100));
        // ceil(above × pct / 100) in integers; ≤ above since pct ≤ 100.
        let on_demand_above = (above * pct).div_ceil(100);
        // ≤ desired, so it fits in u32.
        base + u32::try_from(on_demand_above).unwrap_or(u32::MAX)
    }

    /// How many of `desired` instances are spot: `desired` minus
    /// [`Self::on_demand_target`].
    pub fn spot_target(&self, desired: u32) -> u32 {
        desired - self.on_demand_target(desired)
    }

    /// The purchase option of the group's next launch, moving it toward its
    /// target composition for `desired` instances (ECS-MODEL S6), given its
    /// live on-demand and spot instances:
    ///
    /// 1. only on-demand is short of its target → on-demand;
    /// 2. only spot is short of its target → spot;
    /// 3. both or neither are short → as if the group grew by one:
    ///    on-demand if `on_demand_target(on_demand_now + spot_now + 1) >
    ///    on_demand_now`, else spot.
    ///
    /// Rule 3 launches the base first (AWS: the base "is launched first as
    /// your group scales") and then interleaves on-demand and spot so that
    /// the group keeps the percentage at every size on its way up; it also
    /// answers sensibly for a launch beyond `desired` (e.g. a replacement
    /// launched before the old instance is terminated). *Model choice*: AWS
    /// launches a scale-out as one batch and does not document an order.
    pub fn next_purchase(&self, desired: u32, on_demand_now: u32, spot_now: u32) -> Purchase {
        let on_demand_short = on_demand_now < self.on_demand_target(desired);
        let spot_short = spot_now < self.spot_target(desired);
        match (on_demand_short, spot_short) {
            (true, false) => Purchase::OnDemand,
            (false, true) => Purchase::Spot,
            _ => {
                let grown = on_demand_now.saturating_add(spot_now).saturating_add(1);
                if self.on_demand_target(grown) > on_demand_now {
                    Purchase::OnDemand
                } else {
                    Purchase::Spot
                }
            }
        }
    }
}

impl InstancesDistribution {
    /// The pool for the group's next launch bought as `purchase`, with this
    /// distribution's allocation strategy for that option (ECS-MODEL S6):
    /// [`choose_on_demand_pool`] or [`choose_spot_pool`]. `pools` holds the
    /// views for that purchase option (prices and counts of that option).
    pub fn choose_pool(&self, purchase: Purchase, pools: &[PoolView]) -> Option<usize> {
        match purchase {
            Purchase::OnDemand => choose_on_demand_pool(self.on_demand_allocation, pools),
            Purchase::Spot => choose_spot_pool(self.spot_allocation, pools),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(base: u32, pct: u32) -> InstancesDistribution {
        InstancesDistribution {
            on_demand_base_capacity: base,
            on_demand_percentage_above_base: pct,
            ..InstancesDistribution::default()
        }
    }

    #[test]
    fn default_is_all_on_demand() {
        // ECS-MODEL S6, AWS defaults: base 0, 100 % above base.
        let d = InstancesDistribution::default();
        assert_eq!(d.on_demand_target(7), 7);
        assert_eq!(d.spot_target(7), 0);
        assert_eq!(d.spot_allocation, SpotAllocation::PriceCapacityOptimized);
        assert_eq!(d.on_demand_allocation, OnDemandAllocation::Prioritized);
        assert_eq!(d.next_purchase(3, 0, 0), Purchase::OnDemand);
        let s = InstancesDistribution::all_spot(SpotAllocation::CapacityOptimized);
        assert_eq!(s.on_demand_target(7), 0);
    }

    #[test]
    fn on_demand_target_table() {
        // ECS-MODEL S6: min(desired, base) + ceil(max(0, desired − base) × pct / 100).
        // (desired, base, pct, on-demand)
        let cases = [
            (10, 2, 30, 5),    // 2 + ceil(8 × 0.3 = 2.4) = 2 + 3 = 5 → 5 spot
            (1, 0, 70, 1),     // 0 + ceil(0.7) = 1 → 0 spot
            (3, 5, 0, 3),      // base > desired: min(3, 5) = 3, nothing above
            (10, 0, 0, 0),     // all spot
            (10, 0, 100, 10),  // all on-demand
            (10, 0, 25, 3),    // ceil(2.5) = 3
            (8, 0, 25, 2),     // 8 × 0.25 = 2 exactly, no rounding
            (0, 2, 50, 0),     // nothing desired
            (12, 4, 50, 8),    // 4 + ceil(8 × 0.5 = 4) = 8
            (10, 2, 150, 10),  // pct above 100 counts as 100
            (100, 10, 1, 11),  // 10 + ceil(90 × 0.01 = 0.9) = 11
            (101, 0, 99, 100), // ceil(101 × 0.99 = 99.99) = 100
        ];
        for (desired, base, pct, on_demand) in cases {
            let d = dist(base, pct);
            assert_eq!(
                d.on_demand_target(desired),
                on_demand,
                "desired {desired}, base {base}, {pct} %"
            );
            assert_eq!(d.spot_target(desired), desired - on_demand);
        }
        // No overflow at the extremes.
        assert_eq!(dist(0, 100).on_demand_target(u32::MAX), u32::MAX);
        assert_eq!(dist(u32::MAX, 50).on_demand_target(u32::MAX), u32::MAX);
    }

    #[test]
    fn next_purchase_table() {
        // ECS-MODEL S6. base 2, 30 % → for desired 10: 5 on-demand, 5 spot.
        let d = dist(2, 30);
        // (desired, on-demand now, spot now, next)
        let cases = [
            // Only one side short: that side.
            (10, 4, 5, Purchase::OnDemand),
            (10, 5, 3, Purchase::Spot),
            (10, 7, 0, Purchase::Spot), // on-demand over target, spot short
            // Both short: grow by one. 0+0+1 = 1 → target(1) = 1 > 0: the base first.
            (10, 0, 0, Purchase::OnDemand),
            // 1+0+1 = 2 → target(2) = 2 > 1: still the base.
            (10, 1, 0, Purchase::OnDemand),
            // 2+0+1 = 3 → 2 + ceil(0.3) = 3 > 2: first on-demand above base.
            (10, 2, 0, Purchase::OnDemand),
            // 3+0+1 = 4 → 2 + ceil(0.6) = 3, not > 3: spot.
            (10, 3, 0, Purchase::Spot),
            // 3+2+1 = 6 → 2 + ceil(1.2) = 4 > 3: on-demand.
            (10, 3, 2, Purchase::OnDemand),
            // Spot replaced before on-demand: base missing, 0+3+1 = 4 → 3 > 0.
            (10, 0, 3, Purchase::OnDemand),
            // Neither short (at desired): as if desired + 1.
            // 5+5+1 = 11 → 2 + ceil(2.7) = 5, not > 5: spot.
            (10, 5, 5, Purchase::Spot),
            // 5+7+1 = 13 → 2 + ceil(11 × 0.3 = 3.3) = 6 > 5: on-demand.
            (10, 5, 7, Purchase::OnDemand),
            // On-demand short and spot over its target: rule 1, on-demand.
            (10, 4, 6, Purchase::OnDemand),
        ];
        for (desired, on_demand, spot, next) in cases {
            assert_eq!(
                d.next_purchase(desired, on_demand, spot),
                next,
                "desired {desired}, now {on_demand} on-demand + {spot} spot"
            );
        }
    }

    #[test]
    fn choose_pool_uses_the_strategy_of_the_purchase_option() {
        // ECS-MODEL S6: two types in one AZ; type 1 is cheaper.
        let pool = |type_index, price| PoolView {
            type_index,
            az_index: 0,
            price,
            hazard_per_hour: 0.0,
            available: true,
            group_instances: 0,
        };
        let pools = [pool(0, 0.10), pool(1, 0.08)];
        let d = InstancesDistribution {
            on_demand_allocation: OnDemandAllocation::Prioritized,
            spot_allocation: SpotAllocation::LowestPrice { pools: 1 },
            ..InstancesDistribution::default()
        };
        // On-demand prioritized: type 0; spot lowest-price: type 1.
        assert_eq!(d.choose_pool(Purchase::OnDemand, &pools), Some(0));
        assert_eq!(d.choose_pool(Purchase::Spot, &pools), Some(1));
    }

    #[test]
    fn one_at_a_time_reaches_the_target() {
        // ECS-MODEL S6: launching one instance at a time with next_purchase
        // ends at exactly the target composition, for a grid of settings.
        for base in 0..5 {
            for pct in [0, 10, 30, 50, 70, 100] {
                let d = dist(base, pct);
                for desired in 0..25 {
                    let (mut od, mut spot) = (0, 0);
                    while od + spot < desired {
                        match d.next_purchase(desired, od, spot) {
                            Purchase::OnDemand => od += 1,
                            Purchase::Spot => spot += 1,
                        }
                        // On the way up the group never overshoots either target.
                        assert!(od <= d.on_demand_target(desired));
                        assert!(spot <= d.spot_target(desired));
                    }
                    assert_eq!(od, d.on_demand_target(desired), "{base} {pct} {desired}");
                }
            }
        }
    }
}
