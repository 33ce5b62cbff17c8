//! Service target tracking (ECS-MODEL A2, A3; the cooldown and
//! `disableScaleIn` parameters of A4): the two alarms of a policy and the
//! proportional law that turns a metric into a desired count.
//!
//! This module owns [`TargetTracking`] (a policy's parameters),
//! [`Alarms`] (its high and low alarms, fed one datapoint per minute) and
//! the A3 arithmetic ([`scale_out_to`], [`scale_in_to`]). Combining several
//! policies, bounds and cooldowns is [`crate::scaling::service`]'s job.
//!
//! # Alarms (A2)
//!
//! - **High**: the metric is *above* the target (`m > t`) for
//!   `out_datapoints` (3) consecutive datapoints. A datapoint at or below
//!   the target breaks the run.
//! - **Low**: the metric is *below* `scale_in_factor × t` (0.9 × t) for
//!   `in_datapoints` (15) consecutive datapoints. A datapoint at or above
//!   that threshold breaks the run. With `disable_scale_in` there is no low
//!   alarm (AWS does not create it), so [`Alarms::observe`] never returns
//!   [`AlarmState::Low`].
//! - An alarm stays raised while its run continues: the 4th, 5th, …
//!   datapoint above target still returns [`AlarmState::High`] (a CloudWatch
//!   alarm stays in ALARM and keeps invoking its action; cooldowns decide
//!   whether the action does anything).
//! - **Missing data** (`None`, or a non-finite value): *model choice* — the
//!   datapoint breaks both runs and the state is [`AlarmState::Ok`]. AWS
//!   says only "insufficient data: no scaling" (A2); requiring the breaching
//!   datapoints to be consecutive minutes is the conservative reading, and
//!   it means a service whose metric disappears (e.g. CPU of a service with
//!   no running task) starts counting afresh when data returns.
//!
//! # New desired count (A3, a model choice: AWS publishes no formula)
//!
//! From the *running* count C (AWS: "the actual running task count … is the
//! starting point"), the metric m and the target t:
//!
//! - scale out to `ceil(C × m / t)` — the count that brings m back to t,
//!   rounded up (AWS rounds scale-outs up); from C = 0 the result is 1, the
//!   minimum step (ECS scales a service at zero "by the minimum amount, then
//!   continues");
//! - scale in to `C − floor(C − C × m / t)` — the tasks that can go without
//!   m exceeding t, rounded down (AWS removes 1 where 1.5 are removable) —
//!   and only when that removes at least one task.
//!
//! Counts are computed in `f64` and rounded with a relative slack of 1e-9,
//! so that e.g. `10 × 77 / 70` gives 11, not 12.
//!
//! A pure decider: the alarms keep two counters; nothing else is stored and
//! nothing outside the module is read.

use std::fmt;

use super::{ceil_count, datapoint, floor_count, ParamError};
use crate::sim::SimDuration;

/// Which metric a target-tracking policy follows (A1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceMetric {
    /// `ECSServiceAverageCPUUtilization`, percent of the tasks' CPU
    /// reservation (may exceed 100 with container-level shares, A1).
    Cpu,
    /// `ECSServiceAverageMemoryUtilization`, percent of the tasks' memory
    /// reservation.
    Memory,
    /// `ALBRequestCountPerTarget`: requests per target per minute.
    RequestsPerTarget,
    /// A CloudWatch metric of the user's behind a step policy's alarm (an
    /// SQS queue depth, ...), replayed from the policy's own trace
    /// ([`crate::scaling::step::MetricTrace`]); step scaling only, and not
    /// in [`ServiceMetric::ALL`] (the engine measures no such thing).
    Custom,
}

impl ServiceMetric {
    /// All metrics, in declaration order.
    pub const ALL: [ServiceMetric; 3] = [
        ServiceMetric::Cpu,
        ServiceMetric::Memory,
        ServiceMetric::RequestsPerTarget,
    ];

    /// `"cpu"`, `"memory"` or `"requests-per-target"` (as in causes and
    /// scenario files).
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceMetric::Cpu => "cpu",
            ServiceMetric::Memory => "memory",
            ServiceMetric::RequestsPerTarget => "requests-per-target",
            ServiceMetric::Custom => "custom",
        }
    }

    /// The metric named `name` (exactly as [`Self::as_str`] spells it).
    pub fn parse(name: &str) -> Option<ServiceMetric> {
        ServiceMetric::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

impl fmt::Display for ServiceMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A target-tracking scaling policy of a service (A2–A4).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetTracking {
    /// The metric followed.
    pub metric: ServiceMetric,
    /// Target value, in the metric's unit (percent, or requests per target
    /// per minute). Must be finite and above 0.
    pub target: f64,
    /// The low alarm fires below `scale_in_factor × target` (A2: 0.9).
    /// In (0, 1].
    pub scale_in_factor: f64,
    /// Consecutive 1-minute datapoints above target that raise the high
    /// alarm (A2: 3).
    pub out_datapoints: u32,
    /// Consecutive 1-minute datapoints below the low threshold that raise
    /// the low alarm (A2: 15).
    pub in_datapoints: u32,
    /// After a scale-out, only a larger scale-out may happen for this long
    /// (A4: 300 s).
    pub scale_out_cooldown: SimDuration,
    /// After a scale-in, no scale-in for this long, unless a scale-out
    /// cancels it (A4: 300 s).
    pub scale_in_cooldown: SimDuration,
    /// `DisableScaleIn`: the policy never scales in and does not take part
    /// in the "all policies agree" scale-in vote (A4). Default false.
    pub disable_scale_in: bool,
}

impl TargetTracking {
    /// Default scale-in factor (A2).
    pub const DEFAULT_SCALE_IN_FACTOR: f64 = 0.9;
    /// Default datapoints for the high alarm (A2).
    pub const DEFAULT_OUT_DATAPOINTS: u32 = 3;
    /// Default datapoints for the low alarm (A2).
    pub const DEFAULT_IN_DATAPOINTS: u32 = 15;
    /// Default cooldown each way (A4).
    pub const DEFAULT_COOLDOWN: SimDuration = SimDuration::from_secs(300);

    /// A policy on `metric` with `target` and every other parameter at its
    /// default (A2, A4).
    pub fn new(metric: ServiceMetric, target: f64) -> TargetTracking {
        TargetTracking {
            metric,
            target,
            scale_in_factor: Self::DEFAULT_SCALE_IN_FACTOR,
            out_datapoints: Self::DEFAULT_OUT_DATAPOINTS,
            in_datapoints: Self::DEFAULT_IN_DATAPOINTS,
            scale_out_cooldown: Self::DEFAULT_COOLDOWN,
            scale_in_cooldown: Self::DEFAULT_COOLDOWN,
            disable_scale_in: false,
        }
    }

    /// The low alarm's threshold, `scale_in_factor × target`.
    pub fn low_threshold(&self) -> f64 {
        self.scale_in_factor * self.target
    }

    /// Checks the parameters: target finite and above 0, factor in (0, 1],
    /// at least one datapoint each way.
    pub fn validate(&self) -> Result<(), ParamError> {
        if !(self.target.is_finite() && self.target > 0.0) {
            return Err(ParamError::new(
                "targetValue",
                format!("must be a number above 0, found {}", self.target),
            ));
        }
        if !(self.scale_in_factor > 0.0 && self.scale_in_factor <= 1.0) {
            return Err(ParamError::new(
                "scaleInFactor",
                format!(
                    "must be above 0 and at most 1, found {}",
                    self.scale_in_factor
                ),
            ));
        }
        if self.out_datapoints == 0 {
            return Err(ParamError::new("outDatapoints", "must be at least 1"));
        }
        if self.in_datapoints == 0 {
            return Err(ParamError::new("inDatapoints", "must be at least 1"));
        }
        Ok(())
    }
}

/// What a policy's alarms say after a datapoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlarmState {
    /// Neither alarm is raised.
    Ok,
    /// The high (scale-out) alarm is raised.
    High,
    /// The low (scale-in) alarm is raised.
    Low,
}

/// The alarm state of one policy, fed one datapoint per minute (A2): the
/// lengths of the current runs of datapoints above target and below the
/// low threshold (at most one of them is non-zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Alarms {
    above: u32,
    below: u32,
}

impl Alarms {
    /// No datapoint seen yet.
    pub fn new() -> Alarms {
        Alarms::default()
    }

    /// Feeds one datapoint of `p`'s metric and returns the alarm state (see
    /// the module docs for the rules, including missing data).
    pub fn observe(&mut self, p: &TargetTracking, value: Option<f64>) -> AlarmState {
        match datapoint(value) {
            Some(v) if v > p.target => {
                self.above = self.above.saturating_add(1);
                self.below = 0;
            }
            Some(v) if !p.disable_scale_in && v < p.low_threshold() => {
                self.below = self.below.saturating_add(1);
                self.above = 0;
            }
            _ => self.reset(),
        }
        self.state(p)
    }

    /// The state for the current runs, without a new datapoint.
    pub fn state(&self, p: &TargetTracking) -> AlarmState {
        if self.above > 0 && self.above >= p.out_datapoints {
            AlarmState::High
        } else if self.below > 0 && self.below >= p.in_datapoints {
            AlarmState::Low
        } else {
            AlarmState::Ok
        }
    }

    /// Consecutive datapoints above target so far.
    pub fn above(&self) -> u32 {
        self.above
    }

    /// Consecutive datapoints below the low threshold so far.
    pub fn below(&self) -> u32 {
        self.below
    }

    /// Forgets both runs.
    pub fn reset(&mut self) {
        *self = Alarms::default();
    }
}

/// A3 scale-out: the desired count that brings metric `m` back to target
/// `t` from `c` running tasks, `ceil(c × m / t)`; from `c = 0` it is 1 (the
/// minimum step). When `m ≤ t` (no scale-out wanted) or the inputs are not
/// usable (`t ≤ 0`, non-finite), `c` is returned unchanged.
pub fn scale_out_to(c: u32, m: f64, t: f64) -> u32 {
    if !(m.is_finite() && t.is_finite() && t > 0.0) || m <= t {
        return c;
    }
    if c == 0 {
        return 1;
    }
    // m > t, so the ideal count is above c; never return less than c + 1.
    ceil_count(f64::from(c) * m / t).max(c.saturating_add(1))
}

/// A3 scale-in: `c − floor(c − c × m / t)`, the count left after removing
/// the whole tasks that can go without `m` exceeding `t`; `None` when not
/// even one task can go (including `c = 0`, `m ≥ t` and unusable inputs).
/// A metric of 0 removes every task (the bounds then apply).
pub fn scale_in_to(c: u32, m: f64, t: f64) -> Option<u32> {
    if c == 0 || !(m.is_finite() && t.is_finite() && t > 0.0) || m < 0.0 {
        return None;
    }
    let c_f = f64::from(c);
    let removable = floor_count(c_f - c_f * m / t).min(c);
    (removable >= 1).then(|| c - removable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(target: f64) -> TargetTracking {
        TargetTracking::new(ServiceMetric::Cpu, target)
    }

    /// Feeds `values` and returns the state after each.
    fn run(p: &TargetTracking, values: &[Option<f64>]) -> Vec<AlarmState> {
        let mut a = Alarms::new();
        values.iter().map(|&v| a.observe(p, v)).collect()
    }

    use AlarmState::{High, Low, Ok};

    #[test]
    fn a2_high_after_exactly_three_datapoints_above_target() {
        let p = cpu(70.0);
        // 71, 72: two above → Ok; the third (80) → High; it stays High.
        assert_eq!(
            run(&p, &[Some(71.0), Some(72.0), Some(80.0), Some(75.0)]),
            [Ok, Ok, High, High]
        );
        // Two above, then one exactly at target (70 is not > 70) resets:
        // the run restarts and needs 3 more.
        assert_eq!(
            run(
                &p,
                &[
                    Some(71.0),
                    Some(72.0),
                    Some(70.0),
                    Some(90.0),
                    Some(90.0),
                    Some(90.0)
                ]
            ),
            [Ok, Ok, Ok, Ok, Ok, High]
        );
        // A raised alarm drops at the first datapoint at or below target.
        assert_eq!(
            run(&p, &[Some(80.0), Some(80.0), Some(80.0), Some(65.0)]),
            [Ok, Ok, High, Ok]
        );
    }

    #[test]
    fn a2_low_after_exactly_fifteen_datapoints_below_factor() {
        let p = cpu(70.0);
        // Low threshold = 0.9 × 70 = 63; 62.9 < 63 counts.
        let mut values = vec![Some(62.9); 14];
        let states = run(&p, &values);
        assert!(states.iter().all(|&s| s == Ok), "14 datapoints: {states:?}");
        values.push(Some(10.0));
        assert_eq!(run(&p, &values)[14], Low);
        // Exactly 63 is not below 63: it breaks the run.
        let mut values = vec![Some(50.0); 14];
        values.push(Some(63.0));
        values.extend(vec![Some(50.0); 14]);
        assert!(run(&p, &values).iter().all(|&s| s == Ok));
        // Between the thresholds (65: not < 63, not > 70) nothing counts.
        assert_eq!(run(&p, &[Some(65.0); 20]), [Ok; 20]);
    }

    #[test]
    fn a2_factor_and_datapoints_are_parameters() {
        // An ASG-like factor 0.7: threshold 0.7 × 50 = 35.
        let p = TargetTracking {
            scale_in_factor: 0.7,
            in_datapoints: 2,
            out_datapoints: 1,
            ..cpu(50.0)
        };
        assert_eq!(run(&p, &[Some(36.0), Some(36.0)]), [Ok, Ok]);
        assert_eq!(run(&p, &[Some(34.0), Some(34.0)]), [Ok, Low]);
        assert_eq!(run(&p, &[Some(51.0)]), [High]);
    }

    #[test]
    fn a2_missing_data_breaks_the_run() {
        // Model choice: None resets both runs and raises nothing.
        let p = cpu(70.0);
        assert_eq!(
            run(&p, &[Some(80.0), Some(80.0), None, Some(80.0), Some(80.0)]),
            [Ok, Ok, Ok, Ok, Ok]
        );
        // A raised alarm drops on missing data; NaN is missing data.
        assert_eq!(
            run(&p, &[Some(80.0), Some(80.0), Some(80.0), Some(f64::NAN)]),
            [Ok, Ok, High, Ok]
        );
        let mut values = vec![Some(10.0); 14];
        values.push(None);
        values.push(Some(10.0));
        assert!(run(&p, &values).iter().all(|&s| s == Ok));
    }

    #[test]
    fn a4_disable_scale_in_has_no_low_alarm() {
        let p = TargetTracking {
            disable_scale_in: true,
            ..cpu(70.0)
        };
        assert_eq!(run(&p, &[Some(1.0); 30]), [Ok; 30]);
        assert_eq!(run(&p, &[Some(71.0); 3])[2], High);
    }

    #[test]
    fn a3_scale_out_table() {
        let cases = [
            // (C, m, t, want)
            // 10 × 80 / 70 = 11.43 → ceil 12.
            (10, 80.0, 70.0, 12),
            // 10 × 77 / 70 = 11 exactly → 11 (no float drift to 12).
            (10, 77.0, 70.0, 11),
            // 4 × 100 / 50 = 8.
            (4, 100.0, 50.0, 8),
            // 1 × 200 / 50 = 4.
            (1, 200.0, 50.0, 4),
            // 10 × 70.01 / 70 = 10.001 → 11 (at least one more).
            (10, 70.01, 70.0, 11),
            // From 0: the minimum step, 1, whatever the metric.
            (0, 500.0, 70.0, 1),
            // Not above target: unchanged.
            (10, 70.0, 70.0, 10),
            (10, 30.0, 70.0, 10),
            // Unusable inputs: unchanged.
            (10, f64::NAN, 70.0, 10),
            (10, 80.0, 0.0, 10),
            // Requests per target: 5 × 1500 / 1000 = 7.5 → 8.
            (5, 1500.0, 1000.0, 8),
        ];
        for (c, m, t, want) in cases {
            assert_eq!(scale_out_to(c, m, t), want, "C={c} m={m} t={t}");
        }
    }

    #[test]
    fn a3_scale_in_table() {
        let cases = [
            // (C, m, t, want)
            // 10 × 30 / 70 = 4.29; 10 − floor(10 − 4.29) = 10 − floor(5.71) = 10 − 5 = 5.
            (10, 30.0, 70.0, Some(5)),
            // 10 × 62 / 70 = 8.86; 10 − floor(1.14) = 10 − 1 = 9.
            (10, 62.0, 70.0, Some(9)),
            // 10 × 65 / 70 = 9.29; floor(0.71) = 0 → nothing removable.
            (10, 65.0, 70.0, None),
            // 2 × 40 / 70 = 1.14; 2 − floor(0.86) = 2 − 0 → None.
            (2, 40.0, 70.0, None),
            // 4 × 35 / 70 = 2 exactly; 4 − floor(2) = 2.
            (4, 35.0, 70.0, Some(2)),
            // 3 × 0.7 / 0.7 = 3 (up to float drift); 3 − floor(0) → None.
            (3, 0.7, 0.7, None),
            // Metric 0: every task removable → 0 (bounds apply later).
            (6, 0.0, 70.0, Some(0)),
            // Nothing running: nothing to remove.
            (0, 10.0, 70.0, None),
            // Above target: nothing removable.
            (10, 80.0, 70.0, None),
            (10, f64::INFINITY, 70.0, None),
            (10, -5.0, 70.0, None),
        ];
        for (c, m, t, want) in cases {
            assert_eq!(scale_in_to(c, m, t), want, "C={c} m={m} t={t}");
        }
    }

    #[test]
    fn validate_parameters() {
        assert!(cpu(70.0).validate().is_ok());
        let bad = [
            (cpu(0.0), "targetValue"),
            (cpu(f64::NAN), "targetValue"),
            (
                TargetTracking {
                    scale_in_factor: 1.5,
                    ..cpu(70.0)
                },
                "scaleInFactor",
            ),
            (
                TargetTracking {
                    scale_in_factor: 0.0,
                    ..cpu(70.0)
                },
                "scaleInFactor",
            ),
            (
                TargetTracking {
                    out_datapoints: 0,
                    ..cpu(70.0)
                },
                "outDatapoints",
            ),
            (
                TargetTracking {
                    in_datapoints: 0,
                    ..cpu(70.0)
                },
                "inDatapoints",
            ),
        ];
        for (p, field) in bad {
            let e = p.validate().expect_err("invalid");
            assert_eq!(e.field, field, "{e}");
        }
    }

    #[test]
    fn metric_names_round_trip() {
        for m in ServiceMetric::ALL {
            assert_eq!(ServiceMetric::parse(m.as_str()), Some(m));
        }
        assert_eq!(ServiceMetric::Cpu.to_string(), "cpu");
        assert_eq!(ServiceMetric::parse("CPU"), None);
    }
}
