//! Target tracking of a plain Auto Scaling group on a cluster metric
//! (ECS-MODEL C7), for clusters without capacity providers: e.g. the ASG
//! follows the cluster's CPU reservation.
//!
//! This module owns [`AsgTargetTracking`]: its parameters and its alarm
//! runs.
//!
//! # Rules
//!
//! - **Alarms**: scale out after 3 consecutive 1-minute datapoints above the
//!   target; scale in after 15 consecutive datapoints below
//!   `scale_in_factor × target` (the same alarm shapes as service target
//!   tracking, A2). The factor is a parameter, 0.9 by default as for ECS
//!   services; community lab notes report 0.7 for EC2 Auto Scaling target
//!   tracking (`ASGAverageCPUUtilization` 50 → alarm below 35), which is
//!   *unverified* (ecs-semantics 6.2, open points).
//! - **New desired capacity**: the proportional law of A3 on instances —
//!   out to `ceil(N × m / t)`, in to `N − floor(N − N × m / t)` when that
//!   removes at least one — clamped to the group's [min, max]. N is the
//!   number of instances in service.
//! - **Warm-up**: *model choice* — no scale-out and no scale-in while any
//!   instance is within `warmup` of its launch. EC2 Auto Scaling lets a
//!   scale-out proceed during warm-up when the metric of the non-warming
//!   instances still exceeds the target, counting warming instances toward
//!   the desired capacity, and blocks scale-ins (ecs-semantics 6.5); with
//!   only the newest launch time known, the gate is the conservative
//!   reading, the same as capacity providers' (C3). The engine should leave
//!   warming instances out of the metric, as AWS does.
//! - **Missing data** breaks the alarm runs and does nothing (A2).
//!
//! A pure decider: it keeps its alarm runs; the engine sets the group's
//! desired capacity.

use super::{scale_in_to, scale_out_to, AlarmState, Alarms, ParamError};
use super::{ServiceMetric, TargetTracking};
use crate::sim::{SimDuration, SimTime};

/// A target-tracking policy on an Auto Scaling group (C7).
#[derive(Debug, Clone, PartialEq)]
pub struct AsgTargetTracking {
    /// Target value of the metric (e.g. percent CPU reservation); above 0.
    pub target: f64,
    /// The low alarm fires below `scale_in_factor × target`; in (0, 1]
    /// (default 0.9; 0.7 reported for EC2 ASGs, unverified).
    pub scale_in_factor: f64,
    /// Instance warm-up (default 300 s, EC2 Auto Scaling's
    /// `DefaultCooldown` fallback).
    pub warmup: SimDuration,
    /// Group `MinSize`.
    pub min: u32,
    /// Group `MaxSize`.
    pub max: u32,
    /// Datapoints above target that scale out (default 3).
    pub out_datapoints: u32,
    /// Datapoints below the low threshold that scale in (default 15).
    pub in_datapoints: u32,
    alarms: Alarms,
}

impl AsgTargetTracking {
    /// Default instance warm-up.
    pub const DEFAULT_WARMUP: SimDuration = SimDuration::from_secs(300);

    /// A policy on `target` for a group of `min`–`max` instances, other
    /// parameters at their defaults.
    pub fn new(target: f64, min: u32, max: u32) -> AsgTargetTracking {
        AsgTargetTracking {
            target,
            scale_in_factor: TargetTracking::DEFAULT_SCALE_IN_FACTOR,
            warmup: Self::DEFAULT_WARMUP,
            min,
            max,
            out_datapoints: TargetTracking::DEFAULT_OUT_DATAPOINTS,
            in_datapoints: TargetTracking::DEFAULT_IN_DATAPOINTS,
            alarms: Alarms::new(),
        }
    }

    /// The alarm parameters as a target-tracking policy.
    fn alarm_policy(&self) -> TargetTracking {
        TargetTracking {
            scale_in_factor: self.scale_in_factor,
            out_datapoints: self.out_datapoints,
            in_datapoints: self.in_datapoints,
            ..TargetTracking::new(ServiceMetric::Cpu, self.target)
        }
    }

    /// Checks the target, factor, datapoints and `min ≤ max`.
    pub fn validate(&self) -> Result<(), ParamError> {
        self.alarm_policy().validate()?;
        if self.min > self.max {
            return Err(ParamError::new(
                "minSize",
                format!("{} is above maxSize {}", self.min, self.max),
            ));
        }
        Ok(())
    }

    /// The alarm runs so far.
    pub fn alarms(&self) -> &Alarms {
        &self.alarms
    }

    /// One evaluation per minute: `metric` = this minute's value (`None` =
    /// no data), `in_service` = instances in service, `newest_launch` =
    /// launch time of the newest instance. Returns the new desired capacity
    /// when an alarm acts and the count changes.
    pub fn evaluate(
        &mut self,
        now: SimTime,
        metric: Option<f64>,
        in_service: u32,
        newest_launch: Option<SimTime>,
    ) -> Option<u32> {
        let policy = self.alarm_policy();
        let state = self.alarms.observe(&policy, metric);
        let m = metric.unwrap_or(0.0);
        let warming = newest_launch.is_some_and(|t| now < t + self.warmup);
        if warming {
            return None;
        }
        let clamp = |n: u32| n.max(self.min).min(self.max);
        match state {
            AlarmState::High => {
                let new = clamp(scale_out_to(in_service, m, self.target));
                (new > in_service).then_some(new)
            }
            AlarmState::Low => {
                let new = clamp(scale_in_to(in_service, m, self.target)?);
                (new < in_service).then_some(new)
            }
            AlarmState::Ok => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(k: u64) -> SimTime {
        SimTime(k * 60_000)
    }

    #[test]
    fn c7_three_datapoints_out() {
        let mut a = AsgTargetTracking::new(70.0, 1, 20);
        // Minutes 0, 1: 84 % reservation on 5 instances → nothing yet.
        assert_eq!(a.evaluate(at(0), Some(84.0), 5, None), None);
        assert_eq!(a.evaluate(at(1), Some(84.0), 5, None), None);
        // Minute 2: ceil(5 × 84 / 70) = 6.
        assert_eq!(a.evaluate(at(2), Some(84.0), 5, None), Some(6));
        // Capped at max: ceil(5 × 700 / 70) = 50 → 20.
        let mut a = AsgTargetTracking::new(70.0, 1, 20);
        for k in 0..2 {
            a.evaluate(at(k), Some(700.0), 5, None);
        }
        assert_eq!(a.evaluate(at(2), Some(700.0), 5, None), Some(20));
        // Already at max: nothing.
        assert_eq!(a.evaluate(at(3), Some(700.0), 20, None), None);
    }

    #[test]
    fn c7_fifteen_datapoints_in_at_the_factor() {
        // Target 50, factor 0.9 → below 45.
        let mut a = AsgTargetTracking::new(50.0, 2, 20);
        for k in 0..14 {
            assert_eq!(a.evaluate(at(k), Some(20.0), 10, None), None);
        }
        // 15th: 10 − floor(10 − 10 × 20 / 50) = 10 − floor(6) = 4.
        assert_eq!(a.evaluate(at(14), Some(20.0), 10, None), Some(4));
        // At 46 (≥ 45) nothing counts.
        let mut a = AsgTargetTracking::new(50.0, 2, 20);
        for k in 0..30 {
            assert_eq!(a.evaluate(at(k), Some(46.0), 10, None), None);
        }
        // Factor 0.7 (reported for EC2 ASGs): 40 is not below 35 → nothing;
        // 30 is → 10 − floor(10 − 6) = 6.
        let mut a = AsgTargetTracking {
            scale_in_factor: 0.7,
            ..AsgTargetTracking::new(50.0, 2, 20)
        };
        for k in 0..20 {
            assert_eq!(a.evaluate(at(k), Some(40.0), 10, None), None);
        }
        for k in 20..34 {
            assert_eq!(a.evaluate(at(k), Some(30.0), 10, None), None);
        }
        assert_eq!(a.evaluate(at(34), Some(30.0), 10, None), Some(6));
        // Kept at min: 0 % → 0 → min 2.
        let mut a = AsgTargetTracking::new(50.0, 2, 20);
        for k in 0..14 {
            a.evaluate(at(k), Some(0.0), 10, None);
        }
        assert_eq!(a.evaluate(at(14), Some(0.0), 10, None), Some(2));
    }

    #[test]
    fn c7_warm_up_gate_and_missing_data() {
        let mut a = AsgTargetTracking::new(70.0, 1, 20);
        let launched = Some(at(1));
        // Minutes 0–2 above target, but an instance launched at minute 1
        // warms up until minute 6.
        for k in 0..6 {
            assert_eq!(
                a.evaluate(at(k), Some(84.0), 5, launched),
                None,
                "minute {k}"
            );
        }
        // Minute 6: warm-up over, the alarm (6 datapoints) acts → 6.
        assert_eq!(a.evaluate(at(6), Some(84.0), 5, launched), Some(6));
        // Missing data breaks the run: 2 above, none, 2 above → nothing.
        let mut a = AsgTargetTracking::new(70.0, 1, 20);
        for (k, v) in [Some(90.0), Some(90.0), None, Some(90.0), Some(90.0)]
            .into_iter()
            .enumerate()
        {
            assert_eq!(a.evaluate(at(k as u64), v, 5, None), None);
        }
        assert_eq!(a.alarms().above(), 2);
    }

    #[test]
    fn validation() {
        assert_eq!(AsgTargetTracking::new(70.0, 1, 20).validate(), Ok(()));
        let e = AsgTargetTracking::new(70.0, 5, 2)
            .validate()
            .expect_err("bounds");
        assert_eq!(e.to_string(), "minSize: 5 is above maxSize 2");
        let e = AsgTargetTracking::new(0.0, 1, 2)
            .validate()
            .expect_err("target");
        assert_eq!(e.field, "targetValue");
        let bad_factor = AsgTargetTracking {
            scale_in_factor: 2.0,
            ..AsgTargetTracking::new(70.0, 1, 2)
        };
        assert_eq!(
            bad_factor.validate().expect_err("factor").field,
            "scaleInFactor"
        );
    }
}
