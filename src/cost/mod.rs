//! The cost model (ECS-MODEL B1–B3): prices and the billing arithmetic.
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
//! - Reserved Instances and Savings Plans applied hour by hour to the
//!   on-demand usage of a run ([`commitments`], over [`usage`]).
//!
//! Pure values and arithmetic: nothing here keeps a clock, schedules events,
//! prints or touches files. The engine records launches and stops and asks
//! this module what they cost. It may depend on `crate::sim`,
//! `crate::model`, `crate::market` and `crate::text`, never on the engine,
//! scenario, metrics or output modules.

pub mod billing;
pub mod commitments;
pub mod prices;
/// Per-hour on-demand usage, the input of [`commitments`].
pub mod usage;

pub use billing::*;
pub use prices::*;
