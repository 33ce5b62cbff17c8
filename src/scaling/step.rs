//! Step scaling policies of a service (ECS-MODEL A5): an alarm on a metric,
//! steps relative to the alarm threshold, and how a step's adjustment turns
//! the current count into a new one.
//!
//! This module owns [`StepPolicy`] and its parts ([`StepAdjustment`],
//! [`Comparison`], [`AdjustmentType`]), its validation ([`StepError`]), the
//! alarm's run of breaching datapoints ([`StepAlarm`]) and the adjustment
//! arithmetic ([`StepPolicy::new_capacity`], [`percent_change`]).
//! Combining the result with other policies, the bounds and the cooldowns
//! is [`crate::scaling::service`]'s job.
//!
//! # Rules (AWS Application Auto Scaling, "Step scaling policies")
//!
//! - **Alarm**: the metric compared to `threshold` with `comparison`
//!   breaches for `datapoints` consecutive 1-minute datapoints (evaluation
//!   periods). Missing data breaks the run (*model choice*, as for target
//!   tracking). While the run continues the alarm stays raised and the
//!   policy acts again once its cooldown allows.
//! - **Steps** are bounds on `metric − threshold`. When the metric is above
//!   the threshold the lower bound is inclusive and the upper exclusive
//!   (`lower ≤ d < upper`); below it, the reverse (`lower < d ≤ upper`).
//!   Exactly at the threshold (`d = 0`, which only `>=` and `<=` alarms
//!   breach) the side is the alarm's: `>=` uses the "above" rule, `<=` the
//!   "below" rule. A missing bound is infinite.
//! - **Which datapoint picks the step**: *model choice* — the latest one
//!   (AWS applies the policy's aggregation to the latest datapoints; the
//!   engine's 1-minute value already is an average).
//! - **Adjustment types**: `ChangeInCapacity` adds the adjustment (negative
//!   removes); `ExactCapacity` sets it; `PercentChangeInCapacity` adds
//!   `current × adjustment / 100`, rounded as AWS documents: above 1 rounds
//!   down, in (0, 1) becomes 1, in (−1, 0) becomes −1, below −1 rounds
//!   toward zero (up). `MinAdjustmentMagnitude` (percent only) raises a
//!   smaller change to that many tasks, in the adjustment's direction: +25 %
//!   of 4 = 1 with minimum 2 adds 2. A percent of 0 tasks is 0 tasks, so
//!   only the minimum magnitude moves a service at 0 with this type.
//! - **Validation** (AWS `StepAdjustment` API reference): at least one step;
//!   no step with both bounds missing; lower < upper; ranges neither overlap
//!   nor leave gaps; at most one step without a lower bound and at most one
//!   without an upper bound; a negative lower bound requires a step without
//!   a lower bound, a positive upper bound a step without an upper bound.
//!   Adjustments are whole numbers (`ScalingAdjustment` is an integer);
//!   `ExactCapacity` is not negative; `MinAdjustmentMagnitude` is at least 1
//!   and only valid with `PercentChangeInCapacity`.
//!
//! The result of [`StepPolicy::new_capacity`] is not clamped to the
//! service's min/max (the scaler does that), only kept at or above 0.
//!
//! A pure decider: the alarm keeps one counter; nothing else is stored and
//! nothing outside the module is read.

use std::fmt;

use super::{datapoint, floor_count, ParamError};
use crate::scaling::target_tracking::ServiceMetric;
use crate::sim::SimDuration;

/// How the metric is compared to the alarm threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// `metric >= threshold` (`GreaterThanOrEqualToThreshold`).
    GreaterThanOrEqual,
    /// `metric > threshold` (`GreaterThanThreshold`).
    GreaterThan,
    /// `metric <= threshold` (`LessThanOrEqualToThreshold`).
    LessThanOrEqual,
    /// `metric < threshold` (`LessThanThreshold`).
    LessThan,
}

impl Comparison {
    /// Whether `metric` breaches `threshold`.
    pub fn breaches(self, metric: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThanOrEqual => metric >= threshold,
            Comparison::GreaterThan => metric > threshold,
            Comparison::LessThanOrEqual => metric <= threshold,
            Comparison::LessThan => metric < threshold,
        }
    }

    /// Whether the alarm watches for values above the threshold (`>=`, `>`).
    pub fn is_above(self) -> bool {
        matches!(
            self,
            Comparison::GreaterThanOrEqual | Comparison::GreaterThan
        )
    }

    /// `">="`, `">"`, `"<="` or `"<"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqual => ">=",
            Comparison::GreaterThan => ">",
            Comparison::LessThanOrEqual => "<=",
            Comparison::LessThan => "<",
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a step's `adjustment` changes the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdjustmentType {
    /// Add `adjustment` tasks (negative removes).
    ChangeInCapacity,
    /// Set the count to `adjustment`.
    ExactCapacity,
    /// Add `adjustment` percent of the current count, rounded (see the
    /// module docs).
    PercentChangeInCapacity,
}

/// One step: a range of `metric − threshold` and its adjustment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepAdjustment {
    /// `MetricIntervalLowerBound`, relative to the threshold; `None` = −∞.
    pub lower: Option<f64>,
    /// `MetricIntervalUpperBound`, relative to the threshold; `None` = +∞.
    pub upper: Option<f64>,
    /// `ScalingAdjustment`: tasks, a count, or percent, per the policy's
    /// [`AdjustmentType`]. A whole number.
    pub adjustment: f64,
}

impl StepAdjustment {
    /// Whether the step holds `d = metric − threshold`; `above` selects the
    /// bound rule (`lower ≤ d < upper` when true, `lower < d ≤ upper` when
    /// false).
    pub fn contains(&self, d: f64, above: bool) -> bool {
        let lower_ok = self
            .lower
            .is_none_or(|l| if above { l <= d } else { l < d });
        let upper_ok = self
            .upper
            .is_none_or(|u| if above { d < u } else { d <= u });
        lower_ok && upper_ok
    }
}

/// A step scaling policy (A5).
#[derive(Debug, Clone, PartialEq)]
pub struct StepPolicy {
    /// The metric the alarm watches.
    pub metric: ServiceMetric,
    /// Alarm threshold, in the metric's unit.
    pub threshold: f64,
    /// How the metric is compared to the threshold.
    pub comparison: Comparison,
    /// Consecutive 1-minute datapoints that must breach (evaluation
    /// periods); at least 1.
    pub datapoints: u32,
    /// How the step's adjustment applies.
    pub adjustment_type: AdjustmentType,
    /// The steps (any order).
    pub steps: Vec<StepAdjustment>,
    /// `MinAdjustmentMagnitude`, tasks; only with
    /// [`AdjustmentType::PercentChangeInCapacity`].
    pub min_adjustment_magnitude: Option<u32>,
    /// `Cooldown`: after this policy scales out, only a larger scale-out may
    /// happen for this long; after it scales in, no scale-in (A4's rules,
    /// applied by the service scaler).
    pub cooldown: SimDuration,
    /// With [`ServiceMetric::Custom`]: the metric's values over the run.
    pub trace: Option<MetricTrace>,
}

/// A replayed metric (a custom CloudWatch metric such as an SQS queue
/// depth): each value holds from its offset until the next; before the
/// first the first holds, after the last the last.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricTrace {
    /// (offset from time zero, value), in time order.
    pub points: Vec<(SimDuration, f64)>,
}

impl MetricTrace {
    /// The value in effect at `t`.
    pub fn at(&self, t: crate::sim::SimTime) -> f64 {
        let ms = t.as_millis();
        let k = self.points.partition_point(|p| p.0.as_millis() <= ms);
        self.points.get(k.saturating_sub(1)).map_or(0.0, |p| p.1)
    }
}

/// Why a step policy is invalid. Steps are numbered from 1, in the order
/// given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StepError {
    /// A parameter out of range (threshold, datapoints).
    #[error(transparent)]
    Param(#[from] ParamError),
    /// No step at all.
    #[error("a step scaling policy needs at least one step adjustment")]
    NoSteps,
    /// A bound is NaN or infinite.
    #[error("step {step}: bound {value} is not a finite number")]
    BadBound {
        /// The step.
        step: usize,
        /// The bound.
        value: f64,
    },
    /// A step with neither bound.
    #[error("step {step}: the lower and upper bound cannot both be missing")]
    BothOpen {
        /// The step.
        step: usize,
    },
    /// `lower ≥ upper`.
    #[error("step {step}: lower bound {lower} must be below upper bound {upper}")]
    EmptyRange {
        /// The step.
        step: usize,
        /// Its lower bound.
        lower: f64,
        /// Its upper bound.
        upper: f64,
    },
    /// Two steps without a lower (or upper) bound.
    #[error("steps {first} and {second} both have no {side} bound; at most one step may")]
    SeveralOpen {
        /// The first such step.
        first: usize,
        /// The second.
        second: usize,
        /// `"lower"` or `"upper"`.
        side: &'static str,
    },
    /// Two ranges overlap.
    #[error("steps {first} and {second} overlap")]
    Overlap {
        /// The step with the smaller lower bound.
        first: usize,
        /// The other.
        second: usize,
    },
    /// Two consecutive ranges leave a gap.
    #[error("steps {first} and {second} leave a gap from {from} to {to}")]
    Gap {
        /// The step below the gap.
        first: usize,
        /// The step above it.
        second: usize,
        /// Where the gap starts (relative to the threshold).
        from: f64,
        /// Where it ends.
        to: f64,
    },
    /// A negative lower bound (positive upper bound) without a step that
    /// has no lower (upper) bound.
    #[error("step {step}: {side} bound {value} needs a step with no {side} bound")]
    MissingOpen {
        /// The step.
        step: usize,
        /// `"lower"` or `"upper"`.
        side: &'static str,
        /// The bound.
        value: f64,
    },
    /// An adjustment that is not a whole number, or a negative exact
    /// capacity.
    #[error("step {step}: adjustment {value} {expected}")]
    BadAdjustment {
        /// The step.
        step: usize,
        /// The adjustment.
        value: f64,
        /// What was expected.
        expected: &'static str,
    },
    /// `MinAdjustmentMagnitude` with another type than percent, or 0.
    #[error("minAdjustmentMagnitude: {0}")]
    MinMagnitude(&'static str),
}

impl StepPolicy {
    /// Checks the policy against AWS's rules (see the module docs).
    pub fn validate(&self) -> Result<(), StepError> {
        if !self.threshold.is_finite() {
            return Err(ParamError::new(
                "threshold",
                format!("must be a finite number, found {}", self.threshold),
            )
            .into());
        }
        if self.datapoints == 0 {
            return Err(ParamError::new("datapoints", "must be at least 1").into());
        }
        match (self.adjustment_type, self.min_adjustment_magnitude) {
            (AdjustmentType::PercentChangeInCapacity, Some(0)) => {
                return Err(StepError::MinMagnitude("must be at least 1"));
            }
            (AdjustmentType::PercentChangeInCapacity, _) | (_, None) => {}
            (_, Some(_)) => {
                return Err(StepError::MinMagnitude(
                    "only valid with PercentChangeInCapacity",
                ));
            }
        }
        if self.steps.is_empty() {
            return Err(StepError::NoSteps);
        }
        for (i, s) in self.steps.iter().enumerate() {
            let step = i + 1;
            for value in [s.lower, s.upper].into_iter().flatten() {
                if !value.is_finite() {
                    return Err(StepError::BadBound { step, value });
                }
            }
            match (s.lower, s.upper) {
                (None, None) => return Err(StepError::BothOpen { step }),
                (Some(lower), Some(upper)) if lower >= upper => {
                    return Err(StepError::EmptyRange { step, lower, upper })
                }
                _ => {}
            }
            let whole = s.adjustment.is_finite() && s.adjustment.fract() == 0.0;
            if !whole {
                return Err(StepError::BadAdjustment {
                    step,
                    value: s.adjustment,
                    expected: "must be a whole number",
                });
            }
            if self.adjustment_type == AdjustmentType::ExactCapacity && s.adjustment < 0.0 {
                return Err(StepError::BadAdjustment {
                    step,
                    value: s.adjustment,
                    expected: "must not be negative for ExactCapacity",
                });
            }
        }
        let open_lower: Vec<usize> = (0..self.steps.len())
            .filter(|&i| self.steps[i].lower.is_none())
            .collect();
        let open_upper: Vec<usize> = (0..self.steps.len())
            .filter(|&i| self.steps[i].upper.is_none())
            .collect();
        for (open, side) in [(&open_lower, "lower"), (&open_upper, "upper")] {
            if let [first, second, ..] = open[..] {
                return Err(StepError::SeveralOpen {
                    first: first + 1,
                    second: second + 1,
                    side,
                });
            }
        }
        for (i, s) in self.steps.iter().enumerate() {
            if let Some(value) = s.lower.filter(|&l| l < 0.0) {
                if open_lower.is_empty() {
                    return Err(StepError::MissingOpen {
                        step: i + 1,
                        side: "lower",
                        value,
                    });
                }
            }
            if let Some(value) = s.upper.filter(|&u| u > 0.0) {
                if open_upper.is_empty() {
                    return Err(StepError::MissingOpen {
                        step: i + 1,
                        side: "upper",
                        value,
                    });
                }
            }
        }
        // Sorted by lower bound (missing = −∞), each range must end where
        // the next begins.
        let mut order: Vec<usize> = (0..self.steps.len()).collect();
        order.sort_by(|&a, &b| {
            let key = |i: usize| self.steps[i].lower.unwrap_or(f64::NEG_INFINITY);
            key(a).total_cmp(&key(b)).then(a.cmp(&b))
        });
        for pair in order.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let (first, second) = (a + 1, b + 1);
            let end = self.steps[a].upper;
            let start = self.steps[b].lower;
            match (end, start) {
                (Some(end), Some(start)) if end < start => {
                    return Err(StepError::Gap {
                        first,
                        second,
                        from: end,
                        to: start,
                    })
                }
                (Some(end), Some(start)) if end == start => {}
                // end > start, an open upper bound before another step, or
                // a second open lower bound (already rejected above).
                _ => return Err(StepError::Overlap { first, second }),
            }
        }
        Ok(())
    }

    /// Whether `metric` breaches the alarm threshold.
    pub fn breaches(&self, metric: f64) -> bool {
        metric.is_finite() && self.comparison.breaches(metric, self.threshold)
    }

    /// The step that holds `metric` (see the module docs for the bound
    /// rules), if any; `None` for a non-finite metric.
    pub fn step_for(&self, metric: f64) -> Option<&StepAdjustment> {
        if !metric.is_finite() {
            return None;
        }
        let d = metric - self.threshold;
        let above = d > 0.0 || (d == 0.0 && self.comparison.is_above());
        self.steps.iter().find(|s| s.contains(d, above))
    }

    /// The count after applying the step that holds `metric` to `current`
    /// tasks, or `None` when `metric` does not breach the threshold or no
    /// step holds it. Not clamped to the service's bounds; never below 0.
    ///
    /// This is the arithmetic of one alarm action; the alarm's datapoint
    /// count is [`StepAlarm`]'s business.
    pub fn new_capacity(&self, current: u32, metric: f64) -> Option<u32> {
        if !self.breaches(metric) {
            return None;
        }
        let step = self.step_for(metric)?;
        let adj = step.adjustment;
        let new = match self.adjustment_type {
            AdjustmentType::ExactCapacity => adj,
            AdjustmentType::ChangeInCapacity => f64::from(current) + adj,
            AdjustmentType::PercentChangeInCapacity => {
                let change = percent_change(current, adj, self.min_adjustment_magnitude);
                f64::from(current) + change as f64
            }
        };
        Some(if new <= 0.0 {
            0
        } else {
            floor_count(new.round())
        })
    }
}

/// The change in tasks of `PercentChangeInCapacity` (A5): `current ×
/// percent / 100`, rounded as AWS documents — above 1 rounds down, in
/// (0, 1) becomes 1, in (−1, 0) becomes −1, below −1 rounds toward zero —
/// then raised to `min_magnitude` tasks (in the direction of `percent`) if
/// it is smaller in size.
pub fn percent_change(current: u32, percent: f64, min_magnitude: Option<u32>) -> i64 {
    if !percent.is_finite() || percent == 0.0 {
        return 0;
    }
    let exact = f64::from(current) * percent / 100.0;
    let rounded: i64 = if exact >= 1.0 {
        i64::from(floor_count(exact))
    } else if exact > 0.0 {
        1
    } else if exact == 0.0 {
        0
    } else if exact > -1.0 {
        -1
    } else {
        // Toward zero: −floor(|x|).
        -i64::from(floor_count(-exact))
    };
    match min_magnitude {
        Some(mm) if rounded.unsigned_abs() < u64::from(mm) => {
            let mm = i64::from(mm);
            if percent > 0.0 {
                mm
            } else {
                -mm
            }
        }
        _ => rounded,
    }
}

/// The run of breaching datapoints of one step policy's alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StepAlarm {
    breaching: u32,
}

impl StepAlarm {
    /// No datapoint seen yet.
    pub fn new() -> StepAlarm {
        StepAlarm::default()
    }

    /// Feeds one datapoint; true while the alarm is raised (at least
    /// `p.datapoints` consecutive breaching datapoints). Missing data breaks
    /// the run.
    pub fn observe(&mut self, p: &StepPolicy, value: Option<f64>) -> bool {
        match datapoint(value) {
            Some(v) if p.breaches(v) => self.breaching = self.breaching.saturating_add(1),
            _ => self.breaching = 0,
        }
        self.is_raised(p)
    }

    /// Whether the alarm is raised, without a new datapoint.
    pub fn is_raised(&self, p: &StepPolicy) -> bool {
        self.breaching > 0 && self.breaching >= p.datapoints
    }

    /// Consecutive breaching datapoints so far.
    pub fn breaching(&self) -> u32 {
        self.breaching
    }

    /// Forgets the run.
    pub fn reset(&mut self) {
        self.breaching = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(lower: Option<f64>, upper: Option<f64>, adjustment: f64) -> StepAdjustment {
        StepAdjustment {
            lower,
            upper,
            adjustment,
        }
    }

    /// AWS's example shape: threshold 50, `>=`; 0–10 → +0, 10–20 → +1,
    /// 20–∞ → +3 (ChangeInCapacity).
    fn out_policy() -> StepPolicy {
        StepPolicy {
            metric: ServiceMetric::Cpu,
            threshold: 50.0,
            comparison: Comparison::GreaterThanOrEqual,
            datapoints: 2,
            adjustment_type: AdjustmentType::ChangeInCapacity,
            steps: vec![
                step(Some(0.0), Some(10.0), 0.0),
                step(Some(10.0), Some(20.0), 1.0),
                step(Some(20.0), None, 3.0),
            ],
            min_adjustment_magnitude: None,
            cooldown: SimDuration::from_secs(300),
            trace: None,
        }
    }

    /// The scale-in twin: threshold 50, `<=`; −10–0 → 0, −20–−10 → −1,
    /// −∞–−20 → −3.
    fn in_policy() -> StepPolicy {
        StepPolicy {
            comparison: Comparison::LessThanOrEqual,
            steps: vec![
                step(Some(-10.0), Some(0.0), 0.0),
                step(Some(-20.0), Some(-10.0), -1.0),
                step(None, Some(-20.0), -3.0),
            ],
            ..out_policy()
        }
    }

    #[test]
    fn a5_step_bounds_above_threshold() {
        let p = out_policy();
        let cases = [
            // (metric, want from 10 tasks)
            // 49.9 < 50: no breach.
            (49.9, None),
            // d = 0: ">=" breaches; 0 ≤ 0 < 10 → +0.
            (50.0, Some(10)),
            // d = 9.9 → first step.
            (59.9, Some(10)),
            // d = 10: lower bound inclusive above the threshold → +1.
            (60.0, Some(11)),
            // d = 19.99 → +1.
            (69.99, Some(11)),
            // d = 20 → +3.
            (70.0, Some(13)),
            (500.0, Some(13)),
            (f64::NAN, None),
        ];
        for (m, want) in cases {
            assert_eq!(p.new_capacity(10, m), want, "metric {m}");
        }
    }

    #[test]
    fn a5_step_bounds_below_threshold() {
        let p = in_policy();
        let cases = [
            // 50.1 > 50: no breach of "<=".
            (50.1, None),
            // d = 0: "<=" uses the below rule; −10 < 0 ≤ 0 → 0.
            (50.0, Some(10)),
            // d = −10: upper bound inclusive below the threshold, so −10
            // belongs to (−20, −10] → −1 (AWS's documented example).
            (40.0, Some(9)),
            // d = −9.9 → (−10, 0] → 0.
            (40.1, Some(10)),
            // d = −20 → (−20, −10]? No: −20 is not > −20; (−∞, −20] → −3.
            (30.0, Some(7)),
            // d = −19.9 → −1.
            (30.1, Some(9)),
        ];
        for (m, want) in cases {
            assert_eq!(p.new_capacity(10, m), want, "metric {m}");
        }
        // Never below 0: 2 tasks − 3 → 0.
        assert_eq!(p.new_capacity(2, 10.0), Some(0));
    }

    #[test]
    fn a5_strict_comparisons() {
        // ">" at exactly the threshold does not breach.
        let p = StepPolicy {
            comparison: Comparison::GreaterThan,
            ..out_policy()
        };
        assert_eq!(p.new_capacity(10, 50.0), None);
        assert_eq!(p.new_capacity(10, 50.5), Some(10));
        let p = StepPolicy {
            comparison: Comparison::LessThan,
            ..in_policy()
        };
        assert_eq!(p.new_capacity(10, 50.0), None);
        assert_eq!(p.new_capacity(10, 25.0), Some(7));
    }

    #[test]
    fn a5_exact_capacity() {
        let p = StepPolicy {
            adjustment_type: AdjustmentType::ExactCapacity,
            steps: vec![
                step(Some(0.0), Some(20.0), 6.0),
                step(Some(20.0), None, 12.0),
            ],
            ..out_policy()
        };
        // d = 5 → exactly 6, whatever the current count.
        assert_eq!(p.new_capacity(10, 55.0), Some(6));
        assert_eq!(p.new_capacity(0, 55.0), Some(6));
        // d = 25 → 12.
        assert_eq!(p.new_capacity(3, 75.0), Some(12));
    }

    #[test]
    fn a5_percent_rounding() {
        let cases = [
            // (current, percent, min magnitude, want change)
            // 10 × 25 % = 2.5 > 1 → down → 2.
            (10, 25.0, None, 2),
            // 4 × 25 % = 1 → 1.
            (4, 25.0, None, 1),
            // 3 × 10 % = 0.3 in (0, 1) → 1.
            (3, 10.0, None, 1),
            // 3 × −10 % = −0.3 in (−1, 0) → −1.
            (3, -10.0, None, -1),
            // 10 × −25 % = −2.5 < −1 → toward zero → −2.
            (10, -25.0, None, -2),
            // 7 × −50 % = −3.5 → −3.
            (7, -50.0, None, -3),
            // 4 × 25 % = 1, min magnitude 2 → 2 (AWS's example).
            (4, 25.0, Some(2), 2),
            // 4 × −25 % = −1, min magnitude 2 → −2.
            (4, -25.0, Some(2), -2),
            // 20 × 25 % = 5 ≥ 2: the minimum does not apply.
            (20, 25.0, Some(2), 5),
            // 0 tasks: 0 × 50 % = 0; only the minimum moves it.
            (0, 50.0, None, 0),
            (0, 50.0, Some(1), 1),
            // 0 % is no change, even with a minimum.
            (10, 0.0, Some(3), 0),
            // 3 × 200 % = 6.
            (3, 200.0, None, 6),
        ];
        for (current, pct, mm, want) in cases {
            assert_eq!(
                percent_change(current, pct, mm),
                want,
                "{current} × {pct} % min {mm:?}"
            );
        }
        let p = StepPolicy {
            adjustment_type: AdjustmentType::PercentChangeInCapacity,
            min_adjustment_magnitude: Some(2),
            steps: vec![step(Some(0.0), None, 25.0)],
            ..out_policy()
        };
        assert!(p.validate().is_ok());
        // +25 % of 4 = 1 → min 2 → 6.
        assert_eq!(p.new_capacity(4, 60.0), Some(6));
        // +25 % of 10 = 2.5 → 2 → 12.
        assert_eq!(p.new_capacity(10, 60.0), Some(12));
    }

    #[test]
    fn a5_validation_accepts_the_examples() {
        assert_eq!(out_policy().validate(), Ok(()));
        assert_eq!(in_policy().validate(), Ok(()));
        // Order does not matter.
        let mut p = out_policy();
        p.steps.reverse();
        assert_eq!(p.validate(), Ok(()));
        // A single open-ended step.
        let p = StepPolicy {
            steps: vec![step(Some(0.0), None, 1.0)],
            ..out_policy()
        };
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn a5_validation_rejects() {
        let with_steps = |steps: Vec<StepAdjustment>| StepPolicy {
            steps,
            ..out_policy()
        };
        let cases: Vec<(StepPolicy, &str)> = vec![
            (with_steps(vec![]), "at least one step"),
            (
                with_steps(vec![step(None, None, 1.0)]),
                "step 1: the lower and upper bound cannot both be missing",
            ),
            (
                with_steps(vec![
                    step(Some(10.0), Some(10.0), 1.0),
                    step(Some(10.0), None, 1.0),
                ]),
                "step 1: lower bound 10 must be below upper bound 10",
            ),
            (
                with_steps(vec![
                    step(Some(0.0), Some(10.0), 1.0),
                    step(Some(5.0), None, 2.0),
                ]),
                "steps 1 and 2 overlap",
            ),
            (
                with_steps(vec![
                    step(Some(0.0), Some(10.0), 1.0),
                    step(Some(15.0), None, 2.0),
                ]),
                "steps 1 and 2 leave a gap from 10 to 15",
            ),
            (
                with_steps(vec![
                    step(Some(20.0), None, 1.0),
                    step(Some(0.0), None, 2.0),
                ]),
                "steps 1 and 2 both have no upper bound",
            ),
            (
                with_steps(vec![
                    step(None, Some(0.0), 1.0),
                    step(None, Some(-5.0), 2.0),
                ]),
                "steps 1 and 2 both have no lower bound",
            ),
            (
                with_steps(vec![step(Some(0.0), Some(10.0), 1.0)]),
                "step 1: upper bound 10 needs a step with no upper bound",
            ),
            (
                with_steps(vec![step(Some(-10.0), Some(0.0), -1.0)]),
                "step 1: lower bound -10 needs a step with no lower bound",
            ),
            (
                with_steps(vec![step(Some(0.0), None, 1.5)]),
                "step 1: adjustment 1.5 must be a whole number",
            ),
            (
                with_steps(vec![step(Some(f64::NAN), None, 1.0)]),
                "step 1: bound NaN is not a finite number",
            ),
            (
                StepPolicy {
                    adjustment_type: AdjustmentType::ExactCapacity,
                    ..with_steps(vec![step(Some(0.0), None, -1.0)])
                },
                "must not be negative for ExactCapacity",
            ),
            (
                StepPolicy {
                    min_adjustment_magnitude: Some(2),
                    ..out_policy()
                },
                "minAdjustmentMagnitude: only valid with PercentChangeInCapacity",
            ),
            (
                StepPolicy {
                    adjustment_type: AdjustmentType::PercentChangeInCapacity,
                    min_adjustment_magnitude: Some(0),
                    ..out_policy()
                },
                "minAdjustmentMagnitude: must be at least 1",
            ),
            (
                StepPolicy {
                    datapoints: 0,
                    ..out_policy()
                },
                "datapoints: must be at least 1",
            ),
            (
                StepPolicy {
                    threshold: f64::INFINITY,
                    ..out_policy()
                },
                "threshold: must be a finite number",
            ),
        ];
        for (p, want) in cases {
            match p.validate() {
                Err(e) => assert!(e.to_string().contains(want), "got `{e}`, want `{want}`"),
                Ok(()) => panic!("{:?} should be invalid ({want})", p.steps),
            }
        }
    }

    #[test]
    fn a5_alarm_needs_consecutive_breaches() {
        // datapoints = 2: 55, 55 → raised at the second; 45 breaks; None breaks.
        let p = out_policy();
        let mut a = StepAlarm::new();
        let seen: Vec<bool> = [
            Some(55.0),
            Some(55.0),
            Some(60.0),
            Some(45.0),
            Some(55.0),
            None,
            Some(55.0),
            Some(55.0),
        ]
        .into_iter()
        .map(|v| a.observe(&p, v))
        .collect();
        assert_eq!(seen, [false, true, true, false, false, false, false, true]);
        assert_eq!(a.breaching(), 2);
    }
}
