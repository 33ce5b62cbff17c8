//! Capacity provider strategy (ECS-MODEL C6): which capacity provider the
//! next task of a service or run goes to, given `base` and `weight`.
//!
//! This module owns [`StrategyItem`], the split rule ([`next_provider`],
//! [`split`]) and the strategy's validity ([`validate`]). It decides *which
//! provider*, not *which instance*: placement within an ASG provider is the
//! rest of `placement`, and Fargate needs none.
//!
//! # The rule
//!
//! 1. **Base first.** While a provider has fewer tasks than its `base`, the
//!    next task goes to it (ECS allows one provider with a base; should
//!    several have one, they are filled in list order).
//! 2. **Then weights.** Only tasks *beyond the base* count toward the
//!    weighted shares: for each provider, `b_i = tasks_i − base_i`
//!    (saturating), `B = Σ b_i`, `W = Σ weight`. The next task goes to the
//!    provider furthest below its share once it is placed, i.e. with the
//!    largest deficit `weight_i / W × (B + 1) − b_i`; ties go to the first in
//!    list order; providers with weight 0 get no tasks beyond their base.
//!    The deficit is compared as the exact integer `weight_i × (B + 1) −
//!    W × b_i`, so no rounding decides a tie.
//!
//! Why base tasks do not count toward the shares: that is the reading that
//! gives ECS's documented results (C6). With on-demand `base 2, weight 1`
//! and spot `weight 3`, 10 tasks give 2 base + 8 split 1 : 3 = 2 + 6, so
//! 4 on-demand + 6 spot; 22 tasks give 2 + 20 split 1 : 3 = 5 + 15, so
//! 7 + 15. Counting the base tasks toward on-demand's share instead would
//! aim at 10 × 1/4 = 2.5 on-demand tasks, and give 2 or 3 + 7 or 8, not
//! 4 + 6.
//!
//! Shares converge to the weights. Applied from zero, with `k` providers of
//! weight above 0: the deficits sum to `(B + 1) − B = 1`,
//! so the provider picked has a deficit of at least `1/k` and ends at most
//! `1 − 1/k` tasks above its share; a provider's excess only shrinks while
//! others are picked, so no provider is ever a whole task above its share,
//! and none is more than `(k − 1)(1 − 1/k)` below it (with two providers,
//! half a task either way). A property test checks both bounds.
//!
//! [`split`] is exactly [`next_provider`] applied task after task, so a
//! service that grows one task at a time ends where a service created at
//! that size starts.
//!
//! A pure decider over counts: it must not depend on the cluster, engine,
//! scenario or any other module.

/// Most providers in one strategy: the ECS API reference for `CreateService`
/// and `RunTask` ("A capacity provider strategy can contain a maximum of 20
/// capacity providers"; older revisions of the `CapacityProviderStrategyItem`
/// page said 6).
pub const MAX_PROVIDERS: usize = 20;
/// Largest `base` ECS accepts (`CapacityProviderStrategyItem.base`, 0–100,000).
pub const MAX_BASE: u32 = 100_000;
/// Largest `weight` ECS accepts (`CapacityProviderStrategyItem.weight`, 0–1,000).
pub const MAX_WEIGHT: u32 = 1_000;

/// The names of the two Fargate capacity providers, which ECS reserves.
const FARGATE_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

/// One entry of a capacity provider strategy (C6).
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyItem {
    /// Capacity provider name (an ASG provider, `FARGATE` or `FARGATE_SPOT`).
    pub provider: String,
    /// Tasks that go to this provider before any weight applies (0 = none).
    pub base: u32,
    /// Relative share of the tasks beyond the base.
    pub weight: u32,
}

/// Index of the provider the next task goes to, given how many tasks each
/// provider already has (same order as `items`; a missing count is 0).
///
/// `None` when no provider can take it: the strategy is empty, or every
/// base is met and every weight is 0. See the module docs for the rule.
pub fn next_provider(items: &[StrategyItem], counts: &[u32]) -> Option<usize> {
    let count = |i: usize| counts.get(i).copied().unwrap_or(0);
    if let Some(i) = (0..items.len()).find(|&i| count(i) < items[i].base) {
        return Some(i);
    }
    let beyond = |i: usize| i128::from(count(i).saturating_sub(items[i].base));
    let total_weight: i128 = items.iter().map(|it| i128::from(it.weight)).sum();
    if total_weight == 0 {
        return None;
    }
    let next_total: i128 = (0..items.len()).map(beyond).sum::<i128>() + 1;
    let mut best: Option<(usize, i128)> = None;
    for (i, item) in items.iter().enumerate() {
        if item.weight == 0 {
            continue;
        }
        // weight_i / W × (B + 1) − b_i, scaled by W.
        let deficit = i128::from(item.weight) * next_total - total_weight * beyond(i);
        if best.is_none_or(|(_, d)| deficit > d) {
            best = Some((i, deficit));
        }
    }
    best.map(|(i, _)| i)
}

/// Splits `n` tasks among the providers (same order as `items`): the first
/// `base` to the provider that sets it, the rest in proportion to the
/// weights, each further task to the provider furthest below its share,
/// ties by list order — exactly [`next_provider`] applied `n` times from
/// zero.
///
/// The counts add up to `n` unless the strategy runs out of providers
/// (every base met and every weight 0); then they add up to what it could
/// take.
pub fn split(items: &[StrategyItem], n: u32) -> Vec<u32> {
    let mut counts = vec![0u32; items.len()];
    for _ in 0..n {
        match next_provider(items, &counts) {
            Some(i) => counts[i] += 1,
            None => break,
        }
    }
    counts
}

/// Checks a strategy against ECS's rules (C6):
///
/// - at least one and at most [`MAX_PROVIDERS`] providers, each named once,
///   no empty name;
/// - at most one provider with a `base` above 0 (ECS: only one provider in
///   a strategy can have a base defined); `base` ≤ [`MAX_BASE`], `weight`
///   ≤ [`MAX_WEIGHT`];
/// - at least one `weight` above 0 when there are several providers (ECS
///   rejects a strategy whose providers all have weight 0); a single
///   provider with weight 0 must have a base, and then takes at most `base`
///   tasks (beyond it [`next_provider`] returns `None`);
/// - Fargate providers (`FARGATE`, `FARGATE_SPOT`) and ASG providers are not
///   mixed in one strategy.
pub fn validate(items: &[StrategyItem]) -> Result<(), String> {
    if items.is_empty() {
        return Err("a capacity provider strategy needs at least one provider".to_string());
    }
    if items.len() > MAX_PROVIDERS {
        return Err(format!(
            "a capacity provider strategy has at most {MAX_PROVIDERS} providers, this one has {}",
            items.len()
        ));
    }
    for (i, item) in items.iter().enumerate() {
        if item.provider.is_empty() {
            return Err(format!("provider {} has an empty name", i + 1));
        }
        if items[..i].iter().any(|o| o.provider == item.provider) {
            return Err(format!(
                "provider `{}` appears more than once in the strategy",
                item.provider
            ));
        }
        if item.base > MAX_BASE {
            return Err(format!(
                "provider `{}`: base {} is above the maximum {MAX_BASE}",
                item.provider, item.base
            ));
        }
        if item.weight > MAX_WEIGHT {
            return Err(format!(
                "provider `{}`: weight {} is above the maximum {MAX_WEIGHT}",
                item.provider, item.weight
            ));
        }
    }
    let with_base: Vec<&str> = items
        .iter()
        .filter(|it| it.base > 0)
        .map(|it| it.provider.as_str())
        .collect();
    if with_base.len() > 1 {
        return Err(format!(
            "only one provider in a strategy may set a base; `{}` all do",
            with_base.join("`, `")
        ));
    }
    if items.iter().all(|it| it.weight == 0) {
        if items.len() > 1 {
            return Err(
                "at least one provider of the strategy needs a weight above 0 \
                 (providers with weight 0 take no tasks beyond their base)"
                    .to_string(),
            );
        }
        if items[0].base == 0 {
            return Err(format!(
                "provider `{}` has base 0 and weight 0, so it can take no task",
                items[0].provider
            ));
        }
    }
    let fargate = items
        .iter()
        .filter(|it| FARGATE_PROVIDERS.contains(&it.provider.as_str()))
        .count();
    if fargate > 0 && fargate < items.len() {
        return Err(
            "a strategy uses either Fargate providers (FARGATE, FARGATE_SPOT) or \
             Auto Scaling group providers, not both"
                .to_string(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(provider: &str, base: u32, weight: u32) -> StrategyItem {
        StrategyItem {
            provider: provider.to_string(),
            base,
            weight,
        }
    }

    /// C6's example: on-demand base 2 weight 1, spot weight 3.
    fn od_spot() -> Vec<StrategyItem> {
        vec![item("on-demand", 2, 1), item("spot", 0, 3)]
    }

    #[test]
    fn c6_known_results() {
        // ECS-MODEL C6: 10 tasks = 2 base + 8 × (1 : 3) = 2 + (2 + 6) → 4 + 6.
        assert_eq!(split(&od_spot(), 10), [4, 6]);
        // 22 tasks = 2 base + 20 × (1 : 3) = 2 + (5 + 15) → 7 + 15.
        assert_eq!(split(&od_spot(), 22), [7, 15]);
    }

    #[test]
    fn c6_task_by_task() {
        // Deficits × W (W = 4) after the base, B = tasks beyond base so far:
        // task 3: B=0 → od 1×1−0 = 1, spot 3×1−0 = 3 → spot
        // task 4: B=1 → od 2−0 = 2, spot 6−4 = 2 → tie → od (list order)
        // task 5: B=2 → od 3−4 = −1, spot 9−4 = 5 → spot
        // task 6: B=3 → od 4−4 = 0, spot 12−8 = 4 → spot
        // task 7: B=4 → od 5−4 = 1, spot 15−12 = 3 → spot
        // task 8: B=5 → od 6−4 = 2, spot 18−16 = 2 → tie → od
        let items = od_spot();
        let mut counts = vec![0, 0];
        let mut order = Vec::new();
        for _ in 0..8 {
            let i = next_provider(&items, &counts).expect("a provider");
            counts[i] += 1;
            order.push(items[i].provider.as_str());
        }
        assert_eq!(
            order,
            [
                "on-demand",
                "on-demand",
                "spot",
                "on-demand",
                "spot",
                "spot",
                "spot",
                "on-demand"
            ]
        );
    }

    #[test]
    fn split_table() {
        let cases: Vec<(Vec<StrategyItem>, u32, Vec<u32>)> = vec![
            // Base not reached: everything to the base provider.
            (od_spot(), 1, vec![1, 0]),
            (od_spot(), 2, vec![2, 0]),
            // Third task: spot's deficit 3/4 beats on-demand's 1/4.
            (od_spot(), 3, vec![2, 1]),
            (od_spot(), 0, vec![0, 0]),
            // Equal weights alternate, first in list order first.
            (vec![item("a", 0, 1), item("b", 0, 1)], 5, vec![3, 2]),
            // A weight-0 provider takes nothing beyond its base.
            (vec![item("a", 3, 0), item("b", 0, 1)], 5, vec![3, 2]),
            (vec![item("a", 0, 0), item("b", 0, 2)], 4, vec![0, 4]),
            // Base on the second provider.
            (vec![item("a", 0, 1), item("b", 4, 1)], 6, vec![1, 5]),
            // 1 : 2 : 3 over 12 tasks → 2, 4, 6.
            (
                vec![item("a", 0, 1), item("b", 0, 2), item("c", 0, 3)],
                12,
                vec![2, 4, 6],
            ),
            // A single provider with weight 0 stops at its base.
            (vec![item("a", 2, 0)], 5, vec![2]),
            (vec![], 3, vec![]),
        ];
        for (items, n, want) in cases {
            assert_eq!(split(&items, n), want, "{items:?} n={n}");
        }
    }

    #[test]
    fn next_provider_from_existing_counts() {
        let items = od_spot();
        // After scale-in left on-demand under its base, it is refilled first.
        assert_eq!(next_provider(&items, &[1, 9]), Some(0));
        // Shares beyond base: od 2 − 2 = 0, spot 6: B + 1 = 7, od 7 − 0 = 7,
        // spot 21 − 24 = −3 → on-demand.
        assert_eq!(next_provider(&items, &[2, 6]), Some(0));
        // Missing counts are 0.
        assert_eq!(next_provider(&items, &[]), Some(0));
        assert_eq!(next_provider(&[item("a", 0, 0)], &[0]), None);
        assert_eq!(next_provider(&[], &[]), None);
    }

    #[test]
    fn validate_rules() {
        assert!(validate(&od_spot()).is_ok());
        assert!(validate(&[item("FARGATE", 1, 1), item("FARGATE_SPOT", 0, 4)]).is_ok());
        assert!(validate(&[item("a", 5, 0)]).is_ok());
        let cases: Vec<(Vec<StrategyItem>, &str)> = vec![
            (vec![], "at least one provider"),
            (
                vec![item("a", 1, 1), item("b", 2, 1)],
                "only one provider in a strategy may set a base; `a`, `b`",
            ),
            (
                vec![item("a", 0, 0), item("b", 3, 0)],
                "needs a weight above 0",
            ),
            (vec![item("a", 0, 0)], "can take no task"),
            (
                vec![item("a", 0, 1), item("a", 0, 2)],
                "`a` appears more than once",
            ),
            (vec![item("", 0, 1)], "empty name"),
            (vec![item("a", 100_001, 1)], "base 100001"),
            (vec![item("a", 0, 1_001)], "weight 1001"),
            (vec![item("FARGATE", 0, 1), item("asg", 0, 1)], "not both"),
            (
                (0..21).map(|i| item(&format!("p{i}"), 0, 1)).collect(),
                "at most 20 providers, this one has 21",
            ),
        ];
        for (items, want) in cases {
            match validate(&items) {
                Err(e) => assert!(e.contains(want), "{items:?}: {e}"),
                Ok(()) => panic!("{items:?} should be invalid"),
            }
        }
        let twenty: Vec<_> = (0..20).map(|i| item(&format!("p{i}"), 0, 1)).collect();
        assert!(validate(&twenty).is_ok());
    }

    fn strategy() -> impl Strategy<Value = Vec<StrategyItem>> {
        (
            proptest::collection::vec(prop_oneof![Just(0u32), 1u32..=20, 1u32..=1000], 1..=8),
            any::<prop::sample::Index>(),
            0u32..=5,
        )
            .prop_map(|(weights, base_at, base)| {
                let at = base_at.index(weights.len());
                weights
                    .into_iter()
                    .enumerate()
                    .map(|(i, weight)| StrategyItem {
                        provider: format!("p{i}"),
                        base: if i == at { base } else { 0 },
                        weight,
                    })
                    .collect()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// ECS-MODEL C6: `split(n)` is `next_provider` applied n times, and
        /// after every task each provider's tasks beyond the base are less
        /// than one task above its weighted share and at most
        /// (k − 1)(1 − 1/k) below it (k = providers with weight > 0).
        #[test]
        fn split_is_incremental_and_shares_converge(items in strategy(), n in 0u32..300) {
            let k = items.iter().filter(|it| it.weight > 0).count() as f64;
            let total_weight: f64 = items.iter().map(|it| f64::from(it.weight)).sum();
            let mut counts = vec![0u32; items.len()];
            for t in 1..=n {
                let Some(i) = next_provider(&items, &counts) else { break };
                counts[i] += 1;
                prop_assert_eq!(&split(&items, t), &counts);
                if total_weight == 0.0 {
                    continue;
                }
                let beyond: Vec<f64> = items
                    .iter()
                    .zip(&counts)
                    .map(|(it, &c)| f64::from(c.saturating_sub(it.base)))
                    .collect();
                let total_beyond: f64 = beyond.iter().sum();
                for (it, b) in items.iter().zip(&beyond) {
                    let share = f64::from(it.weight) / total_weight * total_beyond;
                    prop_assert!(b - share <= 1.0 - 1.0 / k + 1e-9,
                        "{:?} counts {:?}: {} has {} beyond base, share {}", items, counts, it.provider, b, share);
                    prop_assert!(share - b <= (k - 1.0) * (1.0 - 1.0 / k) + 1e-9,
                        "{:?} counts {:?}: {} has {} beyond base, share {}", items, counts, it.provider, b, share);
                }
            }
            let total_weight: u32 = items.iter().map(|it| it.weight).sum();
            let base: u32 = items.iter().map(|it| it.base).sum();
            let placed: u32 = split(&items, n).iter().sum();
            prop_assert_eq!(placed, if total_weight > 0 { n } else { n.min(base) });
        }
    }
}
