//! The service scaler (ECS-MODEL A4): combines a service's target-tracking
//! and step policies under its scalable target's bounds and the cooldowns,
//! once per minute, and applies scheduled changes of the bounds (A5).
//!
//! This module owns [`ScalableTarget`], [`ServiceMetrics`],
//! [`ScalingDecision`] and [`ServiceScaler`] with its state (each policy's
//! alarm runs, the cooldown ends).
//!
//! # Rules of one evaluation ([`ServiceScaler::evaluate`])
//!
//! 1. Every policy sees the minute's datapoint of its metric (A2, A5).
//!    A target-tracking policy in **High** proposes `ceil(C × m / t)` from
//!    the *running* count C (A3). With nothing running, one datapoint above
//!    target is enough and the proposal is 1 (ECS: "waits for 1 datapoint,
//!    scales out by the minimum amount"). A raised step policy proposes its
//!    [`StepPolicy::new_capacity`]; it is a scale-out if that is above its
//!    starting count, a scale-in if below.
//! 2. **Scale out if any policy wants to**; the largest proposal wins (ties:
//!    the first policy, target tracking before step). A desired count below
//!    min is raised to min by the scale-out (AWS: "scales … up to the
//!    minimum capacity value and then continues to scale out as required",
//!    so the result is `max(proposal, min)`), and the result is capped at
//!    max. It happens only if it is above the desired count — a scale-out
//!    never lowers it, and capacity already asked for counts (A4).
//! 3. **During a scale-out cooldown only a larger scale-out** happens: above
//!    the count the scale-out that started the cooldown asked for. For a
//!    step policy, the starting count is then the count that scale-out
//!    started from (AWS's example: +2, then within the cooldown a +3 step
//!    adds only 1).
//! 4. A scale-out **cancels a scale-in cooldown** (A4).
//! 5. Otherwise, **scale in only if all target-tracking policies with
//!    scale-in enabled are in Low** (and can remove a task); raised step
//!    policies that scale in join them. The largest proposal wins (the
//!    smallest reduction). *Model choice*: a target-tracking policy that is
//!    not in Low vetoes a step policy's scale-in too — AWS picks "the
//!    policy that provides the largest capacity" and a policy content with
//!    the current count offers the current count.
//! 6. No scale-in while the service is **deploying** (D3: ECS suspends
//!    scale-in during deployments; scale-out continues), during a
//!    **scale-in cooldown**, or while **desired < min** (A4: "a scale-in
//!    alarm while desired < min changes nothing"). A desired count above
//!    max is lowered to max by the scale-in (`min(proposal, max)`); the
//!    result is at least min, and it happens only if below the desired
//!    count.
//! 7. A decision starts the winning policy's cooldown for its direction
//!    (target tracking: `scale_out_cooldown` / `scale_in_cooldown`; step:
//!    `cooldown`). *Model choice*: one scale-out and one scale-in cooldown
//!    per service, not per policy. A scale-in does not end a scale-out
//!    cooldown.
//!
//! Alarms stay raised while their runs continue, so a policy acts again as
//! soon as its cooldown allows (A2).
//!
//! # Scheduled actions ([`ServiceScaler::set_bounds`])
//!
//! A scheduled action replaces min and/or max and, ignoring cooldowns,
//! forces the desired count into the new range (AWS: below the new minimum
//! it scales out to it, above the new maximum it scales in to it). If the
//! new values cross (a new min above the old max, or the reverse), the value
//! the action set wins and the other moves to it; if an action sets both
//! crossed, max wins ([`ScheduledAction::validate`] rejects that).
//!
//! A pure decider: it reads the metrics and counts passed in and returns a
//! decision; the engine changes the desired count.

use std::fmt;

use super::{
    scale_in_to, scale_out_to, AdjustmentType, AlarmState, Alarms, ParamError, StepAlarm,
    StepError, StepPolicy, TargetTracking,
};
use crate::scaling::target_tracking::ServiceMetric;
use crate::sim::{SimDuration, SimTime};

#[cfg(doc)]
use super::ScheduledAction;

/// A service's scalable target: the bounds of every policy (A4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScalableTarget {
    /// `MinCapacity`, tasks.
    pub min: u32,
    /// `MaxCapacity`, tasks.
    pub max: u32,
}

impl ScalableTarget {
    /// `min ≤ max`.
    pub fn validate(&self) -> Result<(), ParamError> {
        if self.min > self.max {
            return Err(ParamError::new(
                "minCapacity",
                format!("{} is above maxCapacity {}", self.min, self.max),
            ));
        }
        Ok(())
    }

    /// `n` clamped to `[min, max]` (to `max` if they cross).
    pub fn clamp(&self, n: u32) -> u32 {
        n.max(self.min).min(self.max)
    }
}

/// A service's metrics for one minute (A1); `None` = no datapoint.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ServiceMetrics {
    /// Average CPU utilization, percent.
    pub cpu: Option<f64>,
    /// Average memory utilization, percent.
    pub memory: Option<f64>,
    /// ALB requests per target per minute.
    pub requests_per_target: Option<f64>,
}

impl ServiceMetrics {
    /// The value of `metric`.
    pub fn get(&self, metric: ServiceMetric) -> Option<f64> {
        match metric {
            ServiceMetric::Cpu => self.cpu,
            ServiceMetric::Memory => self.memory,
            ServiceMetric::RequestsPerTarget => self.requests_per_target,
            // Read from the step policy's trace, not measured.
            ServiceMetric::Custom => None,
        }
    }
}

/// A new desired count and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalingDecision {
    /// The new desired count.
    pub desired: u32,
    /// The policy and alarm that caused it, e.g. `target tracking cpu: 3
    /// datapoints > 70 (last 84.2)`, plus any bound applied.
    pub cause: String,
}

impl fmt::Display for ScalingDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "desired {} ({})", self.desired, self.cause)
    }
}

/// Why a service scaler's configuration is invalid. Policies are numbered
/// from 1 within their kind.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceScalerError {
    /// The scalable target's bounds.
    #[error("scalable target: {0}")]
    Target(#[source] ParamError),
    /// A target-tracking policy.
    #[error("target tracking policy {index}: {source}")]
    Tracking {
        /// 1-based index in `tracking`.
        index: usize,
        /// The problem.
        #[source]
        source: ParamError,
    },
    /// A step policy.
    #[error("step scaling policy {index}: {source}")]
    Step {
        /// 1-based index in `steps`.
        index: usize,
        /// The problem.
        #[source]
        source: StepError,
    },
}

/// The auto scaling of one service (A2–A5): its bounds, its policies, and
/// the state they keep between evaluations.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceScaler {
    /// Min and max desired count.
    pub target: ScalableTarget,
    /// Target-tracking policies.
    pub tracking: Vec<TargetTracking>,
    /// Step scaling policies.
    pub steps: Vec<StepPolicy>,
    /// Alarm runs, one per target-tracking policy (same order).
    tracking_alarms: Vec<Alarms>,
    /// Alarm runs, one per step policy (same order).
    step_alarms: Vec<StepAlarm>,
    /// The current scale-out cooldown, if any.
    scale_out: Option<ScaleOutCooldown>,
    /// End of the current scale-in cooldown, if any.
    scale_in_until: Option<SimTime>,
}

/// What a scale-out cooldown remembers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ScaleOutCooldown {
    /// When it ends.
    until: SimTime,
    /// The desired count the initiating scale-out set.
    set: u32,
    /// The count it started from.
    from: u32,
}

/// A policy's proposal.
struct Proposal {
    desired: u32,
    cause: String,
    cooldown: SimDuration,
}

/// A number for a cause: at most 4 decimals, trailing zeros dropped.
fn num(x: f64) -> String {
    let mut s = String::new();
    push_num(&mut s, x);
    s
}

/// Appends `x` as [`num`] writes it: as `{:.4}` writes it, trailing zeros
/// and a bare point dropped, `-0` as `0`. Without the formatter and with
/// no allocation of its own: target tracking writes a cause for each
/// proposal, every minute its alarm is in state.
fn push_num(out: &mut String, x: f64) {
    let mut stage = [0u8; crate::text::STAGE];
    let mut owned = Vec::new();
    let text: &[u8] = match crate::text::fixed_into(&mut stage, 0, 4, x) {
        Some(len) => &stage[..len],
        None => {
            crate::text::push_fixed(&mut owned, 4, x);
            &owned
        }
    };
    let mut end = text.len();
    if text.contains(&b'.') {
        while text[end - 1] == b'0' {
            end -= 1;
        }
        if text[end - 1] == b'.' {
            end -= 1;
        }
    }
    let text = &text[..end];
    if text == b"-0" {
        out.push('0');
    } else {
        // Digits, a sign and a point only.
        out.extend(text.iter().map(|&b| char::from(b)));
    }
}

/// The cause of a target-tracking proposal: `target tracking {metric}:
/// {n} datapoint(s) {op} {threshold}{extra} (last {value})`, built with
/// appends (the formatter's machinery cost more than the rest of an
/// evaluation).
fn tracking_cause(
    metric: ServiceMetric,
    n: u32,
    op: &str,
    threshold: f64,
    extra: &str,
    last: f64,
) -> String {
    let mut cause = String::with_capacity(96);
    cause.push_str("target tracking ");
    cause.push_str(metric.as_str());
    cause.push_str(": ");
    push_u32(&mut cause, n);
    cause.push(' ');
    cause.push_str(plural(n));
    cause.push(' ');
    cause.push_str(op);
    cause.push(' ');
    push_num(&mut cause, threshold);
    cause.push_str(extra);
    cause.push_str(" (last ");
    push_num(&mut cause, last);
    cause.push(')');
    cause
}

/// Appends `n` in decimal.
fn push_u32(out: &mut String, n: u32) {
    let mut stage = [0u8; crate::text::STAGE];
    let len = crate::text::decimal_into(&mut stage, 0, n.into());
    out.extend(stage[..len].iter().map(|&b| char::from(b)));
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        "datapoint"
    } else {
        "datapoints"
    }
}

impl ServiceScaler {
    /// A scaler with no alarm history and no cooldown running.
    pub fn new(
        target: ScalableTarget,
        tracking: Vec<TargetTracking>,
        steps: Vec<StepPolicy>,
    ) -> ServiceScaler {
        ServiceScaler {
            tracking_alarms: vec![Alarms::new(); tracking.len()],
            step_alarms: vec![StepAlarm::new(); steps.len()],
            target,
            tracking,
            steps,
            scale_out: None,
            scale_in_until: None,
        }
    }

    /// Checks the bounds and every policy.
    pub fn validate(&self) -> Result<(), ServiceScalerError> {
        self.target.validate().map_err(ServiceScalerError::Target)?;
        for (i, p) in self.tracking.iter().enumerate() {
            p.validate()
                .map_err(|source| ServiceScalerError::Tracking {
                    index: i + 1,
                    source,
                })?;
        }
        for (i, p) in self.steps.iter().enumerate() {
            p.validate().map_err(|source| ServiceScalerError::Step {
                index: i + 1,
                source,
            })?;
        }
        Ok(())
    }

    /// Whether a scale-out cooldown runs at `now`.
    pub fn in_scale_out_cooldown(&self, now: SimTime) -> bool {
        self.scale_out.is_some_and(|c| now < c.until)
    }

    /// Whether a scale-in cooldown runs at `now`.
    pub fn in_scale_in_cooldown(&self, now: SimTime) -> bool {
        self.scale_in_until.is_some_and(|t| now < t)
    }

    /// Alarm runs of the target-tracking policy at `index`.
    pub fn tracking_alarms(&self, index: usize) -> Option<&Alarms> {
        self.tracking_alarms.get(index)
    }

    /// One evaluation per minute (see the module docs for the rules).
    /// `running` = actual RUNNING count (the starting point), `desired` =
    /// current desired count, `deploying` = a deployment is in progress.
    /// `None` when nothing changes.
    pub fn evaluate(
        &mut self,
        now: SimTime,
        m: &ServiceMetrics,
        running: u32,
        desired: u32,
        deploying: bool,
    ) -> Option<ScalingDecision> {
        // Policies may have been added or removed since construction.
        self.tracking_alarms
            .resize(self.tracking.len(), Alarms::new());
        self.step_alarms.resize(self.steps.len(), StepAlarm::new());
        let out_cooldown = self.scale_out.filter(|c| now < c.until);

        let mut outs: Vec<Proposal> = Vec::new();
        let mut ins: Vec<Proposal> = Vec::new();
        let mut veto = false;

        for (p, alarms) in self.tracking.iter().zip(self.tracking_alarms.iter_mut()) {
            let value = m.get(p.metric);
            let state = alarms.observe(p, value);
            let v = value.unwrap_or(0.0);
            let metric = p.metric;
            if state == AlarmState::High || (running == 0 && alarms.above() >= 1) {
                let n = alarms.above();
                let from_zero = if running == 0 {
                    " with no task running"
                } else {
                    ""
                };
                outs.push(Proposal {
                    desired: scale_out_to(running, v, p.target),
                    cause: tracking_cause(metric, n, ">", p.target, from_zero, v),
                    cooldown: p.scale_out_cooldown,
                });
            }
            if p.disable_scale_in {
                continue;
            }
            match (state, scale_in_to(running, v, p.target)) {
                (AlarmState::Low, Some(to)) => {
                    let n = alarms.below();
                    ins.push(Proposal {
                        desired: to,
                        cause: tracking_cause(metric, n, "<", p.low_threshold(), "", v),
                        cooldown: p.scale_in_cooldown,
                    });
                }
                _ => veto = true,
            }
        }

        for (p, alarm) in self.steps.iter().zip(self.step_alarms.iter_mut()) {
            let value = match &p.trace {
                Some(t) => Some(t.at(now)),
                None => m.get(p.metric),
            };
            if !alarm.observe(p, value) {
                continue;
            }
            let v = value.unwrap_or(0.0);
            let Some(step) = p.step_for(v) else { continue };
            let n = alarm.breaching();
            let how = match p.adjustment_type {
                AdjustmentType::ChangeInCapacity => format!("{:+} tasks", step.adjustment),
                AdjustmentType::ExactCapacity => format!("exactly {}", step.adjustment),
                AdjustmentType::PercentChangeInCapacity => format!("{:+}%", step.adjustment),
            };
            let cause = |from: u32| {
                format!(
                    "step scaling {}: {n} {} {} {} (last {}), {how} from {from}",
                    p.metric,
                    plural(n),
                    p.comparison,
                    num(p.threshold),
                    num(v)
                )
            };
            let Some(to) = p.new_capacity(running, v) else {
                continue;
            };
            if to > running {
                // Within a scale-out cooldown the capacity the initiating
                // scale-out added counts as present: start from its count.
                let from = out_cooldown.map_or(running, |c| c.from.min(running));
                let to = p.new_capacity(from, v).unwrap_or(from);
                outs.push(Proposal {
                    desired: to,
                    cause: cause(from),
                    cooldown: p.cooldown,
                });
            } else if to < running {
                ins.push(Proposal {
                    desired: to,
                    cause: cause(running),
                    cooldown: p.cooldown,
                });
            }
        }

        let bounds = self.target;
        // Largest proposal; the first on ties.
        let best = |props: Vec<Proposal>| {
            props
                .into_iter()
                .reduce(|a, b| if b.desired > a.desired { b } else { a })
        };

        if let Some(p) = best(outs) {
            let new = p.desired.max(bounds.min).min(bounds.max);
            let mut cause = p.cause;
            if p.desired < bounds.min && bounds.min <= bounds.max {
                cause.push_str(&format!("; raised to min {}", bounds.min));
            } else if p.desired > bounds.max {
                cause.push_str(&format!("; capped at max {}", bounds.max));
            }
            let floor = out_cooldown.map_or(desired, |c| c.set.max(desired));
            if new <= floor {
                return None;
            }
            self.scale_out = Some(ScaleOutCooldown {
                until: now + p.cooldown,
                set: new,
                from: out_cooldown.map_or(running, |c| c.from.min(running)),
            });
            self.scale_in_until = None;
            return Some(ScalingDecision {
                desired: new,
                cause,
            });
        }

        if deploying || veto || self.in_scale_in_cooldown(now) || desired < bounds.min {
            return None;
        }
        let p = best(ins)?;
        let new = p.desired.min(bounds.max).max(bounds.min);
        let mut cause = p.cause;
        if p.desired > bounds.max {
            cause.push_str(&format!("; lowered to max {}", bounds.max));
        } else if p.desired < bounds.min {
            cause.push_str(&format!("; kept at min {}", bounds.min));
        }
        if new >= desired {
            return None;
        }
        self.scale_in_until = Some(now + p.cooldown);
        Some(ScalingDecision {
            desired: new,
            cause,
        })
    }

    /// A scheduled action changes min and/or max (A5); returns the desired
    /// count it forces — raised to the new min or lowered to the new max —
    /// if `desired` is outside the new range. Cooldowns do not apply and are
    /// not started.
    pub fn set_bounds(&mut self, min: Option<u32>, max: Option<u32>, desired: u32) -> Option<u32> {
        if let Some(v) = min {
            self.target.min = v;
        }
        if let Some(v) = max {
            self.target.max = v;
        }
        if self.target.min > self.target.max {
            if min.is_some() && max.is_none() {
                self.target.max = self.target.min;
            } else {
                self.target.min = self.target.max;
            }
        }
        let forced = self.target.clamp(desired);
        (forced != desired).then_some(forced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaling::{Comparison, StepAdjustment};

    const MIN: u64 = 60_000;

    /// The causes built by appends read as the formatter writes them
    /// (`{:.4}`, trailing zeros and a bare point dropped, `-0` as `0`).
    #[test]
    fn tracking_causes_read_as_formatted() {
        let formatted = |x: f64| {
            let s = format!("{x:.4}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" {
                "0".to_string()
            } else {
                s.to_string()
            }
        };
        let values = [
            0.0,
            -0.0,
            1.0,
            10.0,
            100.0,
            45.0,
            49.99995,
            0.00004,
            -0.00004,
            12.5,
            70.125,
            99.99999,
            1e9,
            1.5e12,
            -3.25,
            2.00005,
            0.1 + 0.2,
            f64::INFINITY,
            f64::NAN,
        ];
        for &x in &values {
            assert_eq!(num(x), formatted(x), "{x}");
            for (n, op, extra) in [(1, ">", ""), (3, "<", " with no task running")] {
                let want = format!(
                    "target tracking cpu: {n} {} {op} {}{extra} (last {})",
                    plural(n),
                    formatted(x),
                    formatted(x / 3.0)
                );
                let got = tracking_cause(ServiceMetric::Cpu, n, op, x, extra, x / 3.0);
                assert_eq!(got, want);
            }
        }
    }

    /// Minute `k` of the run.
    fn at(k: u64) -> SimTime {
        SimTime(k * MIN)
    }

    fn cpu(v: f64) -> ServiceMetrics {
        ServiceMetrics {
            cpu: Some(v),
            ..ServiceMetrics::default()
        }
    }

    fn cpu_mem(c: f64, m: f64) -> ServiceMetrics {
        ServiceMetrics {
            cpu: Some(c),
            memory: Some(m),
            requests_per_target: None,
        }
    }

    fn tt(metric: ServiceMetric, target: f64) -> TargetTracking {
        TargetTracking::new(metric, target)
    }

    /// A tracking policy whose alarms fire on one datapoint, to keep
    /// timelines short (the datapoint counts are tested in
    /// `target_tracking`).
    fn quick(metric: ServiceMetric, target: f64) -> TargetTracking {
        TargetTracking {
            out_datapoints: 1,
            in_datapoints: 1,
            ..tt(metric, target)
        }
    }

    fn scaler(min: u32, max: u32, tracking: Vec<TargetTracking>) -> ServiceScaler {
        ServiceScaler::new(ScalableTarget { min, max }, tracking, vec![])
    }

    fn desired_of(d: Option<ScalingDecision>) -> Option<u32> {
        d.map(|d| d.desired)
    }

    #[test]
    fn a2_a3_three_datapoints_then_proportional_scale_out() {
        let mut s = scaler(1, 100, vec![tt(ServiceMetric::Cpu, 70.0)]);
        // minutes 0, 1: 80 % on 10 running → no decision yet.
        assert_eq!(s.evaluate(at(0), &cpu(80.0), 10, 10, false), None);
        assert_eq!(s.evaluate(at(1), &cpu(80.0), 10, 10, false), None);
        // minute 2: third datapoint > 70 → ceil(10 × 80 / 70) = ceil(11.43) = 12.
        let d = s
            .evaluate(at(2), &cpu(84.2), 10, 10, false)
            .expect("scale out");
        // ceil(10 × 84.2 / 70) = ceil(12.03) = 13.
        assert_eq!(d.desired, 13);
        assert_eq!(
            d.cause,
            "target tracking cpu: 3 datapoints > 70 (last 84.2)"
        );
    }

    #[test]
    fn a4_any_policy_scales_out_and_the_largest_wins() {
        let policies = vec![
            tt(ServiceMetric::Cpu, 70.0),
            tt(ServiceMetric::Memory, 50.0),
        ];
        // Only CPU is high: 10 × 80 / 70 → 12, memory (10 %) has no say.
        let mut s = scaler(1, 100, policies.clone());
        for k in 0..2 {
            assert_eq!(s.evaluate(at(k), &cpu_mem(80.0, 10.0), 10, 10, false), None);
        }
        assert_eq!(
            desired_of(s.evaluate(at(2), &cpu_mem(80.0, 10.0), 10, 10, false)),
            Some(12)
        );
        // Both high: CPU → 12, memory 10 × 75 / 50 = 15 → 15 wins.
        let mut s = scaler(1, 100, policies);
        for k in 0..2 {
            s.evaluate(at(k), &cpu_mem(80.0, 75.0), 10, 10, false);
        }
        let d = s
            .evaluate(at(2), &cpu_mem(80.0, 75.0), 10, 10, false)
            .expect("scale out");
        assert_eq!(d.desired, 15);
        assert!(d.cause.starts_with("target tracking memory"), "{}", d.cause);
    }

    #[test]
    fn a4_scale_in_only_if_all_policies_agree() {
        let policies = vec![
            tt(ServiceMetric::Cpu, 70.0),
            tt(ServiceMetric::Memory, 50.0),
        ];
        // CPU 30 (< 63) for 15 minutes, memory 48 (≥ 45 = 0.9 × 50): memory
        // vetoes.
        let mut s = scaler(1, 100, policies.clone());
        for k in 0..20 {
            assert_eq!(
                s.evaluate(at(k), &cpu_mem(30.0, 48.0), 10, 10, false),
                None,
                "minute {k}"
            );
        }
        // Both low: CPU 10 − floor(10 − 4.29) = 5, memory 40 % of 50:
        // 10 − floor(10 − 8) = 8 → the larger, 8, wins at minute 14 (15th
        // datapoint).
        let mut s = scaler(1, 100, policies.clone());
        for k in 0..14 {
            assert_eq!(s.evaluate(at(k), &cpu_mem(30.0, 40.0), 10, 10, false), None);
        }
        let d = s
            .evaluate(at(14), &cpu_mem(30.0, 40.0), 10, 10, false)
            .expect("scale in");
        assert_eq!(d.desired, 8);
        assert_eq!(
            d.cause,
            "target tracking memory: 15 datapoints < 45 (last 40)"
        );
        // A policy with scale-in disabled does not vote: memory may sit at 48.
        let mut policies = policies;
        policies[1].disable_scale_in = true;
        let mut s = scaler(1, 100, policies);
        for k in 0..14 {
            assert_eq!(s.evaluate(at(k), &cpu_mem(30.0, 48.0), 10, 10, false), None);
        }
        assert_eq!(
            desired_of(s.evaluate(at(14), &cpu_mem(30.0, 48.0), 10, 10, false)),
            Some(5)
        );
    }

    #[test]
    fn a4_scale_out_cooldown_allows_only_a_larger_scale_out() {
        let mut s = scaler(1, 100, vec![quick(ServiceMetric::Cpu, 70.0)]);
        // minute 0: 80 % on 10 → 12; cooldown until minute 5.
        assert_eq!(
            desired_of(s.evaluate(at(0), &cpu(80.0), 10, 10, false)),
            Some(12)
        );
        assert!(s.in_scale_out_cooldown(at(4)));
        // minute 1: still 80 % on 10 running (2 starting) → 12 again, not larger.
        assert_eq!(s.evaluate(at(1), &cpu(80.0), 10, 12, false), None);
        // minute 2: 11 running at 78 % → ceil(12.26) = 13 > 12 → larger: allowed.
        assert_eq!(
            desired_of(s.evaluate(at(2), &cpu(78.0), 11, 12, false)),
            Some(13)
        );
        // minute 3: 90 % on 12 → ceil(15.43) = 16 > 13 → allowed.
        assert_eq!(
            desired_of(s.evaluate(at(3), &cpu(90.0), 12, 13, false)),
            Some(16)
        );
    }

    #[test]
    fn a4_step_policy_cooldown_counts_added_capacity() {
        // AWS's example: a +2 step, then within the cooldown a +3 step adds
        // only 1 (the 2 added count as present).
        let step = |l: f64, u: Option<f64>, a: f64| StepAdjustment {
            lower: Some(l),
            upper: u,
            adjustment: a,
        };
        let p = StepPolicy {
            metric: ServiceMetric::Cpu,
            threshold: 70.0,
            comparison: Comparison::GreaterThanOrEqual,
            datapoints: 1,
            adjustment_type: AdjustmentType::ChangeInCapacity,
            steps: vec![step(0.0, Some(15.0), 2.0), step(15.0, None, 3.0)],
            min_adjustment_magnitude: None,
            cooldown: SimDuration::from_secs(300),
            trace: None,
        };
        assert_eq!(p.validate(), Ok(()));
        let mut s = ServiceScaler::new(ScalableTarget { min: 1, max: 100 }, vec![], vec![p]);
        // minute 0: 75 % (d = 5) → +2 from 10 → 12.
        let d = s
            .evaluate(at(0), &cpu(75.0), 10, 10, false)
            .expect("scale out");
        assert_eq!(d.desired, 12);
        assert_eq!(
            d.cause,
            "step scaling cpu: 1 datapoint >= 70 (last 75), +2 tasks from 10"
        );
        // minute 1: running caught up (12), still 75 %: +2 from 10 (the count
        // the cooldown started from) = 12, not above 12 → nothing.
        assert_eq!(s.evaluate(at(1), &cpu(75.0), 12, 12, false), None);
        // minute 2: 90 % (d = 20) → +3 from 10 = 13 → one more task.
        assert_eq!(
            desired_of(s.evaluate(at(2), &cpu(90.0), 12, 12, false)),
            Some(13)
        );
        // minute 7: the cooldown (from minute 2, 300 s) ended; +2 from 13 running → 15.
        assert_eq!(
            desired_of(s.evaluate(at(7), &cpu(75.0), 13, 13, false)),
            Some(15)
        );
    }

    #[test]
    fn a4_scale_in_cooldown_and_its_cancellation() {
        let mut s = scaler(1, 100, vec![quick(ServiceMetric::Cpu, 70.0)]);
        // minute 0: 30 % on 10 → 5; scale-in cooldown until minute 5.
        assert_eq!(
            desired_of(s.evaluate(at(0), &cpu(30.0), 10, 10, false)),
            Some(5)
        );
        // minute 1: 20 % on 5 → 5 − floor(5 − 1.43) = 2, but cooling down.
        assert_eq!(s.evaluate(at(1), &cpu(20.0), 5, 5, false), None);
        // minute 5: cooldown over → 2.
        assert_eq!(
            desired_of(s.evaluate(at(5), &cpu(20.0), 5, 5, false)),
            Some(2)
        );
        // minute 6: a scale-out is allowed during a scale-in cooldown, and
        // cancels it: 2 × 140 / 70 = 4.
        assert!(s.in_scale_in_cooldown(at(6)));
        assert_eq!(
            desired_of(s.evaluate(at(6), &cpu(140.0), 2, 2, false)),
            Some(4)
        );
        assert!(!s.in_scale_in_cooldown(at(7)));
        // minute 7: a scale-in right away: 4 at 10 % → 4 − floor(4 − 0.57) = 1.
        assert_eq!(
            desired_of(s.evaluate(at(7), &cpu(10.0), 4, 4, false)),
            Some(1)
        );
    }

    #[test]
    fn d3_no_scale_in_while_deploying() {
        let mut s = scaler(1, 100, vec![quick(ServiceMetric::Cpu, 70.0)]);
        assert_eq!(s.evaluate(at(0), &cpu(30.0), 10, 10, true), None);
        // Scale-out continues during a deployment.
        assert_eq!(
            desired_of(s.evaluate(at(1), &cpu(80.0), 10, 10, true)),
            Some(12)
        );
        // Deployment over, alarm low again → scale in.
        assert_eq!(
            desired_of(s.evaluate(at(2), &cpu(30.0), 12, 12, false)),
            Some(6)
        );
    }

    #[test]
    fn a4_bounds() {
        // Desired below min: a scale-out raises it to min. min 3, 1 running
        // at 80 % → ceil(1.14) = 2, raised to 3.
        let mut s = scaler(3, 10, vec![quick(ServiceMetric::Cpu, 70.0)]);
        let d = s
            .evaluate(at(0), &cpu(80.0), 1, 1, false)
            .expect("raise to min");
        assert_eq!(d.desired, 3);
        assert!(d.cause.ends_with("; raised to min 3"), "{}", d.cause);
        // ... and beyond it if the policy asks for more: 2 at 200 % → 6.
        let mut s = scaler(3, 10, vec![quick(ServiceMetric::Cpu, 70.0)]);
        assert_eq!(
            desired_of(s.evaluate(at(0), &cpu(200.0), 2, 2, false)),
            Some(6)
        );
        // A scale-in alarm while desired < min changes nothing.
        let mut s = scaler(5, 10, vec![quick(ServiceMetric::Cpu, 70.0)]);
        assert_eq!(s.evaluate(at(0), &cpu(10.0), 3, 3, false), None);
        // Desired above max: a scale-in lowers it to max. 15 at 60 % →
        // 15 − floor(15 − 12.86) = 13, lowered to max 10.
        let mut s = scaler(1, 10, vec![quick(ServiceMetric::Cpu, 70.0)]);
        let d = s
            .evaluate(at(0), &cpu(60.0), 15, 15, false)
            .expect("lower to max");
        assert_eq!(d.desired, 10);
        assert!(d.cause.ends_with("; lowered to max 10"), "{}", d.cause);
        // Clamp: 10 × 350 / 70 = 50 capped at 20; 0 % → 0 kept at 2.
        let mut s = scaler(2, 20, vec![quick(ServiceMetric::Cpu, 70.0)]);
        let d = s
            .evaluate(at(0), &cpu(350.0), 10, 10, false)
            .expect("scale out");
        assert_eq!(d.desired, 20);
        assert!(d.cause.ends_with("; capped at max 20"), "{}", d.cause);
        let d = s
            .evaluate(at(1), &cpu(0.0), 20, 20, false)
            .expect("scale in");
        assert_eq!(d.desired, 2);
        assert!(d.cause.ends_with("; kept at min 2"), "{}", d.cause);
        // At max already: a scale-out changes nothing.
        assert_eq!(s.evaluate(at(10), &cpu(350.0), 20, 20, false), None);
        // At min already: a scale-in changes nothing.
        assert_eq!(s.evaluate(at(20), &cpu(0.0), 2, 2, false), None);
    }

    #[test]
    fn a3_scale_from_zero_after_one_datapoint() {
        let p = tt(ServiceMetric::RequestsPerTarget, 100.0);
        let mut s = scaler(0, 10, vec![p]);
        let rpt = |v: f64| ServiceMetrics {
            requests_per_target: Some(v),
            ..ServiceMetrics::default()
        };
        // minute 0: nothing running, 500 requests per target > 100 → 1.
        let d = s
            .evaluate(at(0), &rpt(500.0), 0, 0, false)
            .expect("from zero");
        assert_eq!(d.desired, 1);
        assert_eq!(
            d.cause,
            "target tracking requests-per-target: 1 datapoint > 100 with no task running (last 500)"
        );
        // minute 1: the task is still starting (0 running, desired 1) → 1 again,
        // not above 1.
        assert_eq!(s.evaluate(at(1), &rpt(500.0), 0, 1, false), None);
        // minute 2: 1 running; the run above target is 3 long, so the alarm is
        // High → ceil(1 × 500 / 100) = 5, above the 1 set at minute 0.
        assert_eq!(
            desired_of(s.evaluate(at(2), &rpt(500.0), 1, 1, false)),
            Some(5)
        );
    }

    #[test]
    fn a2_missing_data_does_nothing() {
        let mut s = scaler(1, 10, vec![quick(ServiceMetric::Cpu, 70.0)]);
        let none = ServiceMetrics::default();
        for k in 0..20 {
            assert_eq!(s.evaluate(at(k), &none, 5, 5, false), None);
        }
        // No policies at all: nothing either.
        let mut s = scaler(1, 10, vec![]);
        assert_eq!(s.evaluate(at(0), &cpu(100.0), 5, 5, false), None);
    }

    #[test]
    fn a5_scheduled_bounds() {
        let mut s = scaler(2, 10, vec![]);
        // New min 5 above desired 3 → 5.
        assert_eq!(s.set_bounds(Some(5), None, 3), Some(5));
        assert_eq!(s.target, ScalableTarget { min: 5, max: 10 });
        // New max 4 below desired 8: max wins, min follows it down → 4.
        assert_eq!(s.set_bounds(None, Some(4), 8), Some(4));
        assert_eq!(s.target, ScalableTarget { min: 4, max: 4 });
        // Both, desired inside → nothing forced.
        assert_eq!(s.set_bounds(Some(1), Some(20), 7), None);
        assert_eq!(s.target, ScalableTarget { min: 1, max: 20 });
        // A new min above the old max raises max too.
        assert_eq!(s.set_bounds(Some(30), None, 7), Some(30));
        assert_eq!(s.target, ScalableTarget { min: 30, max: 30 });
        // Crossed values given together: max wins.
        assert_eq!(s.set_bounds(Some(9), Some(6), 7), Some(6));
        assert_eq!(s.target, ScalableTarget { min: 6, max: 6 });
        // Neither: nothing changes.
        assert_eq!(s.set_bounds(None, None, 6), None);
    }

    #[test]
    fn validate_reports_the_policy() {
        let mut s = scaler(
            1,
            10,
            vec![tt(ServiceMetric::Cpu, 70.0), tt(ServiceMetric::Cpu, -1.0)],
        );
        let e = s.validate().expect_err("bad target");
        assert_eq!(
            e.to_string(),
            "target tracking policy 2: targetValue: must be a number above 0, found -1"
        );
        s.tracking.pop();
        assert_eq!(s.validate(), Ok(()));
        s.target = ScalableTarget { min: 5, max: 4 };
        assert_eq!(
            s.validate().expect_err("bounds").to_string(),
            "scalable target: minCapacity: 5 is above maxCapacity 4"
        );
        // Policies pushed after construction get alarms on first use.
        let mut s = scaler(1, 10, vec![]);
        s.tracking.push(quick(ServiceMetric::Cpu, 70.0));
        assert_eq!(
            desired_of(s.evaluate(at(0), &cpu(140.0), 2, 2, false)),
            Some(4)
        );
    }
}
