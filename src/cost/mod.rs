//! The cost model (ECS-MODEL B1–B4): prices, the billing arithmetic and the
//! ledger of a run.
//!
//! This module owns:
//! - [`PriceBook`]: the Fargate rates of one region (embedded from
//!   `data/fargate_prices.csv`), the Fargate Spot discount, the EBS price
//!   and the free ephemeral storage, each overridable by a scenario
//!   ([`prices`]);
//! - the billing rules as pure functions: billed seconds with the one-minute
//!   minimum, the cost of a Fargate task and of an EC2 instance, and a
//!   commitment (Savings Plan / Reserved Instance) applied to an hour's
//!   spend ([`billing`]);
//! - the [`Ledger`] of a run, kept as the run goes: what each owner cost on
//!   each capacity, hour by hour, and the on-demand use a commitment may
//!   cover ([`usage`]) ([`ledger`]);
//! - Reserved Instances and Savings Plans applied hour by hour to that
//!   on-demand usage ([`commitments`]).
//!
//! Values and arithmetic: nothing here owns the clock, schedules events,
//! prints or touches files. The engine tells the ledger of launches, stops
//! and placements as they happen, with their times, and asks it for the
//! bill at the end. It may depend on `crate::sim`,
//! `crate::model`, `crate::market` and `crate::text`, never on the engine,
//! scenario, metrics or output modules.

pub mod billing;
pub mod commitments;
pub mod ledger;
pub mod prices;
pub mod usage;

pub use billing::*;
pub use ledger::{
    task_share, FargateSize, Ledger, OwnerId, Statement, StatementRow, TariffId, Totals, UsageId,
};
pub use prices::*;
pub use usage::{Ec2UsageHour, FargateUsageHour};
