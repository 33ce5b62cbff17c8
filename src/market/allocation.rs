//! Allocation strategies of a mixed-instances Auto Scaling group: which
//! (instance type, AZ) pool the next spot or on-demand launch goes to
//! (ECS-MODEL S6).
//!
//! This module owns the strategy enums ([`SpotAllocation`],
//! [`OnDemandAllocation`]), the view of a pool a strategy reads
//! ([`PoolView`]) and the choosers ([`choose_spot_pool`],
//! [`choose_on_demand_pool`]). They decide one launch at a time; the caller
//! applies the decision (increments the pool's count) and asks again for the
//! next launch, which is how a multi-instance scale-out spreads.
//!
//! Pure and deterministic: every choice filters (available pools), then
//! compares keys in order and ends with a fixed tie-break (type priority,
//! then position in the slice); no randomness, no hash-map order. It must
//! only depend on `crate::market::advisor` (buckets), never on the engine,
//! scenario or output modules.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use crate::market::advisor::bucket_of_hazard;

/// AWS's default `SpotInstancePools` for `lowest-price` in an ASG.
pub const DEFAULT_SPOT_INSTANCE_POOLS: u32 = 2;

/// The largest `SpotInstancePools` AWS accepts.
pub const MAX_SPOT_INSTANCE_POOLS: u32 = 20;

/// How spot launches choose a pool (ECS-MODEL S6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpotAllocation {
    /// `lowest-price`: spread over the `pools` cheapest pools of each AZ
    /// (`SpotInstancePools`, 1–20).
    LowestPrice {
        /// Number of cheapest pools per AZ to spread over.
        pools: u32,
    },
    /// `capacity-optimized`: the pool least likely to be interrupted.
    CapacityOptimized,
    /// `price-capacity-optimized`: the lowest interruption bucket first,
    /// then the cheapest (AWS's recommended default).
    PriceCapacityOptimized,
    /// `diversified`: evenly over all pools.
    Diversified,
}

impl SpotAllocation {
    /// The strategy names, as in scenario files.
    pub const NAMES: &'static [&'static str] = &[
        "lowest-price",
        "capacity-optimized",
        "price-capacity-optimized",
        "diversified",
    ];

    /// The strategy called `name` (one of [`Self::NAMES`], exact). `pools`
    /// is `SpotInstancePools` for `lowest-price` (default
    /// [`DEFAULT_SPOT_INSTANCE_POOLS`]; `None` is returned for a value
    /// outside 1–[`MAX_SPOT_INSTANCE_POOLS`]) and is ignored by the other
    /// strategies. `None` for an unknown name.
    pub fn parse(name: &str, pools: Option<u32>) -> Option<SpotAllocation> {
        match name {
            "lowest-price" => {
                let pools = pools.unwrap_or(DEFAULT_SPOT_INSTANCE_POOLS);
                (1..=MAX_SPOT_INSTANCE_POOLS)
                    .contains(&pools)
                    .then_some(SpotAllocation::LowestPrice { pools })
            }
            "capacity-optimized" => Some(SpotAllocation::CapacityOptimized),
            "price-capacity-optimized" => Some(SpotAllocation::PriceCapacityOptimized),
            "diversified" => Some(SpotAllocation::Diversified),
            _ => None,
        }
    }

    /// The strategy's name (one of [`Self::NAMES`]).
    pub fn as_str(&self) -> &'static str {
        match self {
            SpotAllocation::LowestPrice { .. } => "lowest-price",
            SpotAllocation::CapacityOptimized => "capacity-optimized",
            SpotAllocation::PriceCapacityOptimized => "price-capacity-optimized",
            SpotAllocation::Diversified => "diversified",
        }
    }
}

impl fmt::Display for SpotAllocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How on-demand launches choose a pool (ECS-MODEL S6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDemandAllocation {
    /// `prioritized`: the first type in the group's list that can launch.
    Prioritized,
    /// `lowest-price`: the cheapest type.
    LowestPrice,
}

impl OnDemandAllocation {
    /// The strategy names, as in scenario files.
    pub const NAMES: &'static [&'static str] = &["prioritized", "lowest-price"];

    /// The strategy called `name` (one of [`Self::NAMES`], exact), if any.
    pub fn parse(name: &str) -> Option<OnDemandAllocation> {
        match name {
            "prioritized" => Some(OnDemandAllocation::Prioritized),
            "lowest-price" => Some(OnDemandAllocation::LowestPrice),
            _ => None,
        }
    }

    /// The strategy's name (one of [`Self::NAMES`]).
    pub fn as_str(&self) -> &'static str {
        match self {
            OnDemandAllocation::Prioritized => "prioritized",
            OnDemandAllocation::LowestPrice => "lowest-price",
        }
    }
}

impl fmt::Display for OnDemandAllocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One (instance type, AZ) pool as the group sees it at launch time.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolView {
    /// Position of the type in the group's list: its priority, 0 = first.
    pub type_index: usize,
    /// Position of the AZ in the group's list.
    pub az_index: usize,
    /// Price now, USD per hour (the spot price for spot launches, the
    /// on-demand price for on-demand launches).
    pub price: f64,
    /// Expected interruptions per instance-hour (independent plus
    /// correlated), ≥ 0; 0 for on-demand.
    pub hazard_per_hour: f64,
    /// False while the pool's capacity is reclaimed or otherwise unavailable.
    pub available: bool,
    /// The group's live instances of this purchase option in this pool.
    pub group_instances: u32,
}

/// Picks the pool for the next spot launch (ECS-MODEL S6); `None` if no pool
/// is available. Returns a position in `pools`.
///
/// Every strategy except `diversified` first picks the AZ, as an ASG
/// balances its AZs: among the AZs with at least one available pool, the
/// one with the fewest group instances (summed over all its pools, available
/// or not); ties go to the lowest `az_index`. Then, among that AZ's
/// available pools:
///
/// - `lowest-price { pools: N }`: the N cheapest (ties by `type_index`); of
///   those, the one with the fewest group instances (ties: cheaper, then
///   `type_index`), so successive launches spread over the N cheapest pools
///   of each AZ. N = 0 counts as 1.
/// - `capacity-optimized`: the lowest `hazard_per_hour` (the pool "least
///   likely to be interrupted" stands for "most available capacity"); ties
///   by `type_index`.
/// - `price-capacity-optimized`: the pools in the lowest interruption bucket
///   present in the AZ (advisor bucket of the monthly fraction
///   `1 − exp(−λ × 730)`, S2), then the cheapest of them; ties by
///   `type_index`.
///
/// `diversified` skips the AZ step: over all available pools of all AZs,
/// the one with the fewest group instances, ties by `az_index` then
/// `type_index`; this spreads evenly over all pools, which also balances
/// the AZs.
///
/// Prices and hazards are compared in IEEE total order (a NaN sorts after
/// every number; a NaN hazard counts as the worst bucket). A remaining tie
/// (two views with the same type and AZ) goes to the first in `pools`.
/// Pools priced at or above on-demand are not excluded here: the caller
/// knows the on-demand price and can mark them unavailable.
pub fn choose_spot_pool(strategy: SpotAllocation, pools: &[PoolView]) -> Option<usize> {
    match strategy {
        SpotAllocation::LowestPrice { pools: n } => lowest_price(in_least_loaded_az(pools), n),
        SpotAllocation::CapacityOptimized => capacity_optimized(in_least_loaded_az(pools)),
        SpotAllocation::PriceCapacityOptimized => {
            price_capacity_optimized(in_least_loaded_az(pools))
        }
        SpotAllocation::Diversified => diversified(pools),
    }
}

/// A candidate pool: its position in the caller's slice and its view.
type Candidate<'a> = (usize, &'a PoolView);

/// `lowest-price`: the `n` cheapest candidates (at least 1), then the one
/// with the fewest group instances; ties cheaper, then higher priority.
fn lowest_price(mut candidates: Vec<Candidate<'_>>, n: u32) -> Option<usize> {
    // Stable sort: equal (price, type) keep their slice order.
    candidates.sort_by(|(_, a), (_, b)| by_price(a, b));
    candidates.truncate(usize::try_from(n.max(1)).unwrap_or(usize::MAX));
    candidates
        .into_iter()
        .min_by(|(_, a), (_, b)| {
            a.group_instances
                .cmp(&b.group_instances)
                .then_with(|| by_price(a, b))
        })
        .map(|(i, _)| i)
}

/// `capacity-optimized`: the lowest hazard; ties by priority.
fn capacity_optimized(candidates: Vec<Candidate<'_>>) -> Option<usize> {
    candidates
        .into_iter()
        .min_by(|(_, a), (_, b)| {
            a.hazard_per_hour
                .total_cmp(&b.hazard_per_hour)
                .then(a.type_index.cmp(&b.type_index))
        })
        .map(|(i, _)| i)
}

/// `price-capacity-optimized`: the lowest bucket present, then the cheapest;
/// ties by priority.
fn price_capacity_optimized(candidates: Vec<Candidate<'_>>) -> Option<usize> {
    let best = candidates.iter().map(|(_, p)| bucket(p)).min()?;
    candidates
        .into_iter()
        .filter(|(_, p)| bucket(p) == best)
        .min_by(|(_, a), (_, b)| by_price(a, b))
        .map(|(i, _)| i)
}

/// `diversified`: over all available pools, the fewest group instances;
/// ties by AZ, then priority.
fn diversified(pools: &[PoolView]) -> Option<usize> {
    available(pools)
        .min_by(|(_, a), (_, b)| {
            a.group_instances
                .cmp(&b.group_instances)
                .then(a.az_index.cmp(&b.az_index))
                .then(a.type_index.cmp(&b.type_index))
        })
        .map(|(i, _)| i)
}

/// Picks the pool for the next on-demand launch (ECS-MODEL S6); `None` if no
/// pool is available. Returns a position in `pools`.
///
/// The AZ is chosen as for spot (fewest group instances among AZs with an
/// available pool, ties by `az_index`); then among that AZ's available
/// pools, `prioritized` takes the lowest `type_index` and `lowest-price` the
/// cheapest (ties by `type_index`). A remaining tie goes to the first in
/// `pools`.
pub fn choose_on_demand_pool(strategy: OnDemandAllocation, pools: &[PoolView]) -> Option<usize> {
    let in_az = in_least_loaded_az(pools).into_iter();
    match strategy {
        OnDemandAllocation::Prioritized => in_az.min_by_key(|(_, p)| p.type_index),
        OnDemandAllocation::LowestPrice => in_az.min_by(|(_, a), (_, b)| by_price(a, b)),
    }
    .map(|(i, _)| i)
}

/// The available pools with their positions.
fn available(pools: &[PoolView]) -> impl Iterator<Item = (usize, &PoolView)> {
    pools.iter().enumerate().filter(|(_, p)| p.available)
}

/// Cheaper first, then higher priority (lower `type_index`).
fn by_price(a: &PoolView, b: &PoolView) -> Ordering {
    a.price
        .total_cmp(&b.price)
        .then(a.type_index.cmp(&b.type_index))
}

/// The advisor bucket of a pool's hazard (S2); NaN counts as the worst.
fn bucket(p: &PoolView) -> u8 {
    if p.hazard_per_hour.is_nan() {
        4
    } else {
        bucket_of_hazard(p.hazard_per_hour)
    }
}

/// The available pools of the AZ chosen by [`least_loaded_az`], in slice
/// order; empty when no pool is available.
fn in_least_loaded_az(pools: &[PoolView]) -> Vec<Candidate<'_>> {
    match least_loaded_az(pools) {
        Some(az) => available(pools).filter(|(_, p)| p.az_index == az).collect(),
        None => Vec::new(),
    }
}

/// The AZ with the fewest group instances (over all its pools) among the AZs
/// with at least one available pool; ties by lowest `az_index`.
fn least_loaded_az(pools: &[PoolView]) -> Option<usize> {
    // az_index → (instances, has an available pool); BTreeMap for a fixed order.
    let mut azs: BTreeMap<usize, (u64, bool)> = BTreeMap::new();
    for p in pools {
        let (instances, open) = azs.entry(p.az_index).or_default();
        *instances += u64::from(p.group_instances);
        *open |= p.available;
    }
    azs.into_iter()
        .filter(|(_, (_, open))| *open)
        .min_by_key(|(az, (instances, _))| (*instances, *az))
        .map(|(az, _)| az)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::advisor::hazard_per_hour;

    /// The test table: 3 types × 2 AZs, in slice order (AZ, then type).
    ///
    /// | pos | type | AZ | spot USD/h | monthly f | bucket |
    /// |----:|-----:|---:|-----------:|----------:|-------:|
    /// |   0 |    0 |  0 |      0.040 |      0.04 |      0 |
    /// |   1 |    1 |  0 |      0.030 |      0.25 |      4 |
    /// |   2 |    2 |  0 |      0.050 |      0.02 |      0 |
    /// |   3 |    0 |  1 |      0.041 |      0.04 |      0 |
    /// |   4 |    1 |  1 |      0.033 |      0.25 |      4 |
    /// |   5 |    2 |  1 |      0.036 |      0.02 |      0 |
    ///
    /// Type 1 is cheapest and risky; type 2 the safest; in AZ 0 type 0 is
    /// the cheaper of the two safe types, in AZ 1 type 2 is.
    fn table() -> Vec<PoolView> {
        let prices = [[0.040, 0.030, 0.050], [0.041, 0.033, 0.036]];
        let fractions = [0.04, 0.25, 0.02];
        let mut pools = Vec::new();
        for (az, row) in prices.iter().enumerate() {
            for (t, &price) in row.iter().enumerate() {
                pools.push(PoolView {
                    type_index: t,
                    az_index: az,
                    price,
                    hazard_per_hour: hazard_per_hour(fractions[t]),
                    available: true,
                    group_instances: 0,
                });
            }
        }
        pools
    }

    /// Launches `n` instances one at a time with `choose`, applying each pick,
    /// and returns the resulting counts per position.
    fn launch(
        mut pools: Vec<PoolView>,
        n: usize,
        choose: impl Fn(&[PoolView]) -> Option<usize>,
    ) -> Vec<u32> {
        for _ in 0..n {
            let i = choose(&pools).expect("a pool is available");
            pools[i].group_instances += 1;
        }
        pools.iter().map(|p| p.group_instances).collect()
    }

    const LP1: SpotAllocation = SpotAllocation::LowestPrice { pools: 1 };
    const LP2: SpotAllocation = SpotAllocation::LowestPrice { pools: 2 };
    const LP3: SpotAllocation = SpotAllocation::LowestPrice { pools: 3 };
    const CO: SpotAllocation = SpotAllocation::CapacityOptimized;
    const PCO: SpotAllocation = SpotAllocation::PriceCapacityOptimized;
    const DIV: SpotAllocation = SpotAllocation::Diversified;

    #[test]
    fn names_round_trip() {
        for name in SpotAllocation::NAMES {
            let s = SpotAllocation::parse(name, None).expect("known name");
            assert_eq!(s.as_str(), *name);
            assert_eq!(s.to_string(), *name);
        }
        for name in OnDemandAllocation::NAMES {
            let s = OnDemandAllocation::parse(name).expect("known name");
            assert_eq!(s.as_str(), *name);
        }
        // SpotInstancePools: default 2, valid 1–20, ignored by the others.
        assert_eq!(SpotAllocation::parse("lowest-price", None), Some(LP2));
        assert_eq!(SpotAllocation::parse("lowest-price", Some(3)), Some(LP3));
        assert_eq!(SpotAllocation::parse("lowest-price", Some(0)), None);
        assert_eq!(SpotAllocation::parse("lowest-price", Some(21)), None);
        assert_eq!(SpotAllocation::parse("diversified", Some(4)), Some(DIV));
        assert_eq!(SpotAllocation::parse("lowestPrice", None), None);
        assert_eq!(OnDemandAllocation::parse("cheapest"), None);
    }

    #[test]
    fn s6_first_spot_pick_per_strategy() {
        // ECS-MODEL S6, from the empty table: AZ 0 wins the AZ tie (0 = 0).
        let pools = table();
        let cases = [
            // Cheapest pool of AZ 0: type 1 at 0.030.
            (LP1, 1),
            // Two cheapest of AZ 0: type 1 (0.030), type 0 (0.040); both empty,
            // so the cheaper: type 1.
            (LP2, 1),
            // Lowest hazard of AZ 0: type 2 (f 0.02).
            (CO, 2),
            // Lowest bucket in AZ 0 is 0: types 0 and 2; cheaper is type 0 (0.040 < 0.050).
            (PCO, 0),
            // Every pool empty: lowest AZ, then lowest type → position 0.
            (DIV, 0),
        ];
        for (strategy, want) in cases {
            assert_eq!(choose_spot_pool(strategy, &pools), Some(want), "{strategy}");
        }
    }

    #[test]
    fn s6_twelve_spot_launches_per_strategy() {
        // ECS-MODEL S6: 12 launches one at a time; counts per position 0..6
        // (AZ 0: types 0, 1, 2; AZ 1: types 0, 1, 2). The AZ step alternates
        // AZ 0 and AZ 1, so every strategy ends 6 + 6.
        let cases: [(SpotAllocation, [u32; 6]); 6] = [
            // N = 1: the single cheapest pool per AZ, type 1 in both.
            (LP1, [0, 6, 0, 0, 6, 0]),
            // N = 2: AZ 0 spreads over types 1 and 0 (0.030, 0.040), AZ 1 over
            // types 1 and 2 (0.033, 0.036): 3 each.
            (LP2, [3, 3, 0, 0, 3, 3]),
            // N = 3: all three pools of each AZ, 2 each.
            (LP3, [2, 2, 2, 2, 2, 2]),
            // Piles into the lowest-hazard pool of each AZ: type 2.
            (CO, [0, 0, 6, 0, 0, 6]),
            // Bucket 0 = types 0 and 2; cheapest: type 0 in AZ 0, type 2 in AZ 1.
            (PCO, [6, 0, 0, 0, 0, 6]),
            // Evenly over all six pools.
            (DIV, [2, 2, 2, 2, 2, 2]),
        ];
        for (strategy, want) in cases {
            let got = launch(table(), 12, |p| choose_spot_pool(strategy, p));
            assert_eq!(got, want, "{strategy}");
        }
    }

    #[test]
    fn s6_az_with_fewest_instances_first() {
        // ECS-MODEL S6: AZ 0 already holds 3 instances, in an unavailable pool;
        // they still count, so the next 3 launches go to AZ 1.
        let mut pools = table();
        pools[1].group_instances = 3;
        pools[1].available = false;
        for strategy in [LP1, LP2, CO, PCO] {
            assert_eq!(
                choose_spot_pool(strategy, &pools).map(|i| pools[i].az_index),
                Some(1),
                "{strategy}"
            );
            // 7 launches: AZ 1 catches up with 3 (3 vs 3), then the AZs
            // alternate, AZ 0 first on ties: 3 + 2 = 5 in AZ 0, 3 + 2 = 5 in AZ 1.
            let counts = launch(pools.clone(), 7, |p| choose_spot_pool(strategy, p));
            let az0: u32 = counts[..3].iter().sum();
            let az1: u32 = counts[3..].iter().sum();
            assert_eq!((az0, az1), (5, 5), "{strategy}");
        }
    }

    #[test]
    fn s6_unavailable_pools_are_skipped() {
        // ECS-MODEL S6. (strategy, unavailable positions, expected pick)
        let cases: [(SpotAllocation, &[usize], Option<usize>); 8] = [
            // CO: type 2 of AZ 0 reclaimed → next lowest hazard there, type 0.
            (CO, &[2], Some(0)),
            // LP1: type 1 of AZ 0 reclaimed → next cheapest, type 0 (0.040).
            (LP1, &[1], Some(0)),
            // PCO: type 0 of AZ 0 reclaimed → bucket 0 still has type 2.
            (PCO, &[0], Some(2)),
            // PCO: both bucket-0 pools of AZ 0 gone → the lowest bucket left is 4.
            (PCO, &[0, 2], Some(1)),
            // All of AZ 0 gone: the AZ step skips it although it is as empty.
            (CO, &[0, 1, 2], Some(5)),
            // DIV: position 0 gone → next by (count, AZ, type): position 1.
            (DIV, &[0], Some(1)),
            // Nothing available anywhere.
            (LP2, &[0, 1, 2, 3, 4, 5], None),
            (DIV, &[0, 1, 2, 3, 4, 5], None),
        ];
        for (strategy, gone, want) in cases {
            let mut pools = table();
            for &i in gone {
                pools[i].available = false;
            }
            assert_eq!(
                choose_spot_pool(strategy, &pools),
                want,
                "{strategy} {gone:?}"
            );
        }
        assert_eq!(choose_spot_pool(PCO, &[]), None);
        assert_eq!(
            choose_on_demand_pool(OnDemandAllocation::Prioritized, &[]),
            None
        );
    }

    #[test]
    fn s6_all_of_az_unavailable_sends_every_launch_elsewhere() {
        // ECS-MODEL S6: with AZ 0 reclaimed, 12 launches all go to AZ 1.
        let mut pools = table();
        for p in pools.iter_mut().filter(|p| p.az_index == 0) {
            p.available = false;
        }
        // LP2 in AZ 1: types 1 and 2, 6 each; DIV: the three pools of AZ 1, 4 each.
        assert_eq!(
            launch(pools.clone(), 12, |p| choose_spot_pool(LP2, p)),
            [0, 0, 0, 0, 6, 6]
        );
        assert_eq!(
            launch(pools, 12, |p| choose_spot_pool(DIV, p)),
            [0, 0, 0, 4, 4, 4]
        );
    }

    #[test]
    fn s6_slice_order_does_not_change_the_pool() {
        // ECS-MODEL S6: ties break on (AZ, type), not on slice position.
        let forward = table();
        let mut backward = forward.clone();
        backward.reverse();
        for strategy in [LP1, LP2, LP3, CO, PCO, DIV] {
            let a = choose_spot_pool(strategy, &forward).map(|i| &forward[i]);
            let b = choose_spot_pool(strategy, &backward).map(|i| &backward[i]);
            assert_eq!(a, b, "{strategy}");
        }
    }

    #[test]
    fn s6_lowest_price_ties_by_priority() {
        // ECS-MODEL S6: two pools at the same price in one AZ → the higher
        // priority (type 0) first, then the spread takes the other.
        let mut pools = table();
        pools[0].price = 0.030; // type 0 of AZ 0 now ties type 1 at 0.030
        assert_eq!(choose_spot_pool(LP1, &pools), Some(0));
        pools[0].group_instances = 1;
        pools[3].group_instances = 1; // keep the AZs level
        assert_eq!(choose_spot_pool(LP2, &pools), Some(1));
    }

    #[test]
    fn s6_on_demand_strategies() {
        // ECS-MODEL S6, on-demand prices per type (same in both AZs):
        // type 0 0.096, type 1 0.085, type 2 0.170 USD/h; no hazard.
        let mut pools = table();
        for p in &mut pools {
            p.price = [0.096, 0.085, 0.170][p.type_index];
            p.hazard_per_hour = 0.0;
        }
        let prio = OnDemandAllocation::Prioritized;
        let cheap = OnDemandAllocation::LowestPrice;
        // Prioritized: type 0 of AZ 0; lowest-price: type 1 (0.085) of AZ 0.
        assert_eq!(choose_on_demand_pool(prio, &pools), Some(0));
        assert_eq!(choose_on_demand_pool(cheap, &pools), Some(1));
        // 12 launches: the same type in each AZ, 6 + 6.
        assert_eq!(
            launch(pools.clone(), 12, |p| choose_on_demand_pool(prio, p)),
            [6, 0, 0, 6, 0, 0]
        );
        assert_eq!(
            launch(pools.clone(), 12, |p| choose_on_demand_pool(cheap, p)),
            [0, 6, 0, 0, 6, 0]
        );
        // Type 0 of AZ 0 unavailable: prioritized takes the next type there.
        pools[0].available = false;
        assert_eq!(choose_on_demand_pool(prio, &pools), Some(1));
        // Nothing available.
        for p in &mut pools {
            p.available = false;
        }
        assert_eq!(choose_on_demand_pool(cheap, &pools), None);
    }
}
