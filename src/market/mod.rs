//! The EC2 market: how instances are bought (on-demand or spot), what a spot
//! pool costs over time, how likely it is to be interrupted, and which pool
//! a mixed-instances Auto Scaling group launches into next (ECS-MODEL S1, S2,
//! S6).
//!
//! This module owns:
//! - [`Purchase`], the purchase option of an instance;
//! - the Spot Instance Advisor data ([`SpotAdvisor`], embedded from
//!   `data/spot_advisor.csv`) and the bucket → hazard arithmetic (S1, S2);
//! - spot prices of a pool over time ([`SpotPrice`], [`PriceSeries`]) (S1);
//! - exponential interruption sampling ([`sample_time_to_interruption`]) (S2);
//! - the ASG `InstancesDistribution` split between on-demand and spot
//!   ([`InstancesDistribution`]) and the spot / on-demand allocation
//!   strategies ([`choose_spot_pool`], [`choose_on_demand_pool`]) (S6);
//! - Fargate platforms and the valid Fargate task sizes
//!   ([`FargatePlatform`], [`FargateSizes`], embedded from
//!   `data/fargate_task_sizes.csv`) (F1, F3). Fargate *prices* are billing
//!   data and live in `crate::cost`;
//! - the regional EC2 tables ([`regions`]): on-demand prices and Reserved
//!   Instance rates of 36 regions and their Availability Zone names.
//!
//! Everything here is a *pure decider*: functions read their inputs and
//! return a value or a decision; none keeps state between calls, schedules
//! events or mutates the cluster. The engine owns the pools, draws the
//! random numbers from its own streams and applies the decisions. This
//! module must only depend on `crate::sim` (time types) and `crate::model`
//! (the instance catalogue), never on the engine, scenario, other policy or
//! output modules. Its only I/O is the data embedded at compile time.

use std::fmt;

pub mod advisor;
pub mod allocation;
pub mod distribution;
pub mod fargate;
pub mod interruption;
pub mod price;
pub mod regions;

pub use advisor::*;
pub use allocation::*;
pub use distribution::*;
pub use fargate::*;
pub use interruption::*;
pub use price::*;

/// How an instance is bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Purchase {
    /// On-demand: list price, never interrupted by EC2.
    OnDemand,
    /// Spot: the pool's spot price, interruptible with a two-minute notice
    /// (ECS-MODEL S1–S3).
    Spot,
}

impl Purchase {
    /// Both options, in order.
    pub const ALL: [Purchase; 2] = [Purchase::OnDemand, Purchase::Spot];

    /// `"on-demand"` or `"spot"` (as in reports and scenario files).
    pub fn as_str(self) -> &'static str {
        match self {
            Purchase::OnDemand => "on-demand",
            Purchase::Spot => "spot",
        }
    }

    /// The option named `name` (`"on-demand"` or `"spot"`, exact), if any.
    pub fn parse(name: &str) -> Option<Purchase> {
        Purchase::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl fmt::Display for Purchase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchase_names_round_trip() {
        assert_eq!(Purchase::OnDemand.as_str(), "on-demand");
        assert_eq!(Purchase::Spot.to_string(), "spot");
        for p in Purchase::ALL {
            assert_eq!(Purchase::parse(p.as_str()), Some(p));
        }
        assert_eq!(Purchase::parse("ondemand"), None);
        // Ordering is declaration order (on-demand first), for stable reports.
        assert!(Purchase::OnDemand < Purchase::Spot);
    }
}
