//! `capacityProviderStrategy` and `launchType` of services and jobs, and the
//! cluster's `defaultCapacityProviderStrategy` (C6, F1): FARGATE and
//! FARGATE_SPOT, or the Auto Scaling group providers of
//! `[[capacityProviders]]`. Read here; acts in engine/fargate.rs (the
//! split of a service's or job's tasks) and engine/providers.rs.

use toml::{Table, Value};

use super::reader::{index, join, Reader};
use crate::engine::Capacity;
use crate::placement::provider_strategy::{validate, StrategyItem};

const FARGATE_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

/// Reads a `capacityProviderStrategy` list: FARGATE/FARGATE_SPOT, or the
/// Auto Scaling group providers named in `asg` (`[[capacityProviders]]`).
pub(crate) fn strategy(r: &mut Reader, v: &Value, path: &str, asg: &[String]) -> Option<Capacity> {
    let Some(list) = v.as_array() else {
        r.err(
            path,
            "expected a list of { capacityProvider, base, weight }",
        );
        return None;
    };
    let mut items = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let p = index(path, i);
        let Some(t) = r.table(item, &p, &["capacityProvider", "base", "weight"], &[]) else {
            continue;
        };
        let Some(provider) = r.req_string(t, &p, "capacityProvider") else {
            continue;
        };
        let base = r.opt_uint(t, &p, "base", 100_000).unwrap_or(0) as u32;
        let weight = r.opt_uint(t, &p, "weight", 1000).unwrap_or(0) as u32;
        items.push(StrategyItem {
            provider,
            base,
            weight,
        });
    }
    if items.is_empty() {
        r.err(path, "expected at least one capacity provider");
        return None;
    }
    let fargate = items
        .iter()
        .filter(|i| FARGATE_PROVIDERS.contains(&i.provider.as_str()))
        .count();
    let unknown: Vec<&str> = items
        .iter()
        .map(|i| i.provider.as_str())
        .filter(|n| !FARGATE_PROVIDERS.contains(n) && !asg.iter().any(|a| a == n))
        .collect();
    if !unknown.is_empty() {
        let mut known: Vec<&str> = FARGATE_PROVIDERS.to_vec();
        known.extend(asg.iter().map(String::as_str));
        r.err(
            path,
            format!(
                "unknown capacity provider {}; the cluster has {} (Auto Scaling group providers are declared under [[capacityProviders]])",
                unknown.join(", "),
                known.join(", ")
            ),
        );
        return None;
    }
    if fargate > 0 && fargate < items.len() {
        r.err(
            path,
            "a capacity provider strategy cannot mix FARGATE/FARGATE_SPOT with Auto Scaling group providers",
        );
        return None;
    }
    if let Err(e) = validate(&items) {
        r.err(path, e);
        return None;
    }
    Some(if fargate > 0 {
        Capacity::Fargate(items)
    } else {
        Capacity::Asg(items)
    })
}

/// A service's or job's launch type or capacity provider strategy; `default`
/// is the cluster's default strategy.
pub(crate) fn capacity(
    r: &mut Reader,
    t: &Table,
    path: &str,
    default: &Option<Capacity>,
    asg: &[String],
) -> Capacity {
    let launch = t
        .get("launchType")
        .and_then(|v| r.choice(v, &join(path, "launchType"), &["EC2", "FARGATE"]));
    let strat = t
        .get("capacityProviderStrategy")
        .and_then(|v| strategy(r, v, &join(path, "capacityProviderStrategy"), asg));
    match (launch.as_deref(), strat) {
        (Some(_), Some(_)) => {
            r.err(
                &join(path, "capacityProviderStrategy"),
                "give either launchType or capacityProviderStrategy, not both",
            );
            Capacity::Ec2
        }
        (Some("FARGATE"), None) => Capacity::Fargate(vec![StrategyItem {
            provider: "FARGATE".into(),
            base: 0,
            weight: 1,
        }]),
        (Some(_), None) => Capacity::Ec2,
        (None, Some(c)) => c,
        (None, None) => default.clone().unwrap_or(Capacity::Ec2),
    }
}
