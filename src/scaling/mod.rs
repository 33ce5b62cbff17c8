//! Auto scaling deciders (ECS-MODEL A2–A5, C1–C5, C7): how many tasks a
//! service should run, and how many instances an Auto Scaling group should
//! have.
//!
//! This module owns:
//! - service target tracking: the alarms and the proportional law
//!   ([`target_tracking`]: A2, A3);
//! - step scaling policies ([`step`]: A5);
//! - scheduled actions and their cron / at schedules ([`scheduled`]: A5);
//! - the service scaler that combines every policy of a service under its
//!   bounds and cooldowns ([`service`]: A4);
//! - capacity provider managed scaling: `CapacityProviderReservation`, the
//!   instances-needed binpack, the step and warm-up rules, scale-in pacing
//!   and victim choice ([`capacity_provider`]: C1–C5);
//! - a plain ASG target-tracking policy on a cluster metric ([`asg`]: C7).
//!
//! Everything here is a *pure decider*: functions and scalers read what the
//! engine tells them (metric values, counts, times) and return a decision —
//! a new desired count, a list of victims. The scalers keep only their own
//! alarm counters and cooldown ends between calls; none reads the cluster,
//! schedules events or mutates anything else. The engine calls them once
//! per metric period (one minute, A1 and C4) and applies the decisions.
//!
//! This module must only depend on `crate::sim` (time types) and
//! `crate::model` (resources), never on the engine, scenario, placement,
//! market or output modules. It does no I/O.

pub mod asg;
pub mod capacity_provider;
pub mod scheduled;
pub mod service;
pub mod step;
pub mod target_tracking;

pub use asg::*;
pub use capacity_provider::*;
pub use scheduled::*;
pub use service::*;
pub use step::*;
pub use target_tracking::*;

/// A parameter of a scaling policy outside its valid range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ParamError {
    /// The parameter, as AWS names it (e.g. `targetCapacity`).
    pub field: &'static str,
    /// What was wrong and what is expected.
    pub message: String,
}

impl ParamError {
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> ParamError {
        ParamError {
            field,
            message: message.into(),
        }
    }
}

/// Relative slack for rounding a computed count: products such as
/// `10 × 0.7 / 0.7` may land a hair above or below a whole number, and a
/// count must not jump by one because of it.
const ROUNDING_SLACK: f64 = 1e-9;

/// `ceil(x)`, treating values within [`ROUNDING_SLACK`] (relative) above a
/// whole number as that number. Negative and NaN give 0; saturates at
/// `u32::MAX`.
pub(crate) fn ceil_count(x: f64) -> u32 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    let c = (x - ROUNDING_SLACK * x.max(1.0)).ceil();
    to_count(c)
}

/// `floor(x)`, treating values within [`ROUNDING_SLACK`] (relative) below a
/// whole number as that number. Negative and NaN give 0; saturates at
/// `u32::MAX`.
pub(crate) fn floor_count(x: f64) -> u32 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    let f = (x + ROUNDING_SLACK * x.max(1.0)).floor();
    to_count(f)
}

fn to_count(x: f64) -> u32 {
    if x >= f64::from(u32::MAX) {
        u32::MAX
    } else if x > 0.0 {
        x as u32
    } else {
        0
    }
}

/// Whether `v` is a usable datapoint (finite). NaN and infinities count as
/// missing data.
pub(crate) fn datapoint(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_with_slack() {
        // 10 × 77 / 70 = 11 exactly; 3 × 0.7 / 0.7 may be 3.0000000000000004.
        assert_eq!(ceil_count(10.0 * 77.0 / 70.0), 11);
        assert_eq!(ceil_count(3.0 * 0.7 / 0.7), 3);
        assert_eq!(ceil_count(3.000_000_000_000_000_4), 3);
        assert_eq!(ceil_count(11.43), 12);
        assert_eq!(floor_count(2.999_999_999_999_999_6), 3);
        assert_eq!(floor_count(5.71), 5);
        assert_eq!(ceil_count(-1.0), 0);
        assert_eq!(ceil_count(f64::NAN), 0);
        assert_eq!(floor_count(1e12), u32::MAX);
        assert_eq!(datapoint(Some(f64::NAN)), None);
        assert_eq!(datapoint(Some(1.5)), Some(1.5));
    }
}
