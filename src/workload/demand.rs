//! Request-rate curves for services (ECS-MODEL W1): constant, diurnal (a
//! sine with a peak hour), a trace scaled to a peak, each multiplied by
//! step and spike events. Pure functions of time; the engine asks for the
//! rate at each metric tick.

use std::f64::consts::PI;

use crate::sim::{SimDuration, SimTime};

/// The base shape of a demand curve.
#[derive(Debug, Clone, PartialEq)]
pub enum DemandShape {
    /// The same rate all the time, requests per second.
    Constant {
        /// Requests per second.
        rps: f64,
    },
    /// A daily sine: `trough` at `peak_hour ± 12 h`, `peak` at `peak_hour` (UTC).
    Diurnal {
        /// Lowest rate, requests per second.
        trough_rps: f64,
        /// Highest rate, requests per second.
        peak_rps: f64,
        /// Hour of the day (UTC, 0–24) of the peak.
        peak_hour: f64,
    },
    /// A recorded series, scaled so its largest value is `peak_rps`; each
    /// point holds until the next; the series repeats when the run outlasts it.
    Trace {
        /// (offset from the series start, value) in time order.
        points: Vec<(SimDuration, f64)>,
        /// Length of one repetition (the last offset plus one step).
        period: SimDuration,
        /// Rate of the largest value, requests per second.
        peak_rps: f64,
        /// Where in the series time zero falls.
        offset: SimDuration,
    },
}

/// A multiplier on the curve between two times (a step when open-ended).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemandEvent {
    /// Start.
    pub at: SimTime,
    /// End (`None`: to the end of the run, a step).
    pub until: Option<SimTime>,
    /// Multiplier at full strength.
    pub factor: f64,
    /// Linear ramp up after `at` and down before `until`.
    pub ramp: SimDuration,
}

impl DemandEvent {
    fn multiplier(&self, t: SimTime) -> f64 {
        if t < self.at || self.until.is_some_and(|u| t >= u) {
            return 1.0;
        }
        let ramp = self.ramp.as_secs_f64();
        let mut strength = 1.0f64;
        if ramp > 0.0 {
            strength = strength.min((t - self.at).as_secs_f64() / ramp);
            if let Some(u) = self.until {
                strength = strength.min((u - t).as_secs_f64() / ramp);
            }
        }
        1.0 + (self.factor - 1.0) * strength.clamp(0.0, 1.0)
    }
}

/// A service's demand (W1).
#[derive(Debug, Clone, PartialEq)]
pub struct Demand {
    /// Base shape.
    pub shape: DemandShape,
    /// Step and spike events, multiplied together.
    pub events: Vec<DemandEvent>,
    /// Requests per second one task serves at 100% CPU.
    pub task_capacity_rps: f64,
}

impl Demand {
    /// Requests per second at `t`; `start_epoch_s` places time zero in the
    /// day for diurnal curves.
    pub fn rate_at(&self, t: SimTime, start_epoch_s: i64) -> f64 {
        let base = match &self.shape {
            DemandShape::Constant { rps } => *rps,
            DemandShape::Diurnal {
                trough_rps,
                peak_rps,
                peak_hour,
            } => {
                let secs = start_epoch_s.rem_euclid(86_400) as f64 + t.as_millis() as f64 / 1000.0;
                let hour = (secs / 3600.0).rem_euclid(24.0);
                let phase = 2.0 * PI * (hour - peak_hour) / 24.0;
                trough_rps + (peak_rps - trough_rps) * (1.0 + phase.cos()) / 2.0
            }
            DemandShape::Trace {
                points,
                period,
                peak_rps,
                offset,
            } => {
                let max = points.iter().map(|p| p.1).fold(0.0, f64::max);
                if points.is_empty() || max <= 0.0 || period.as_millis() == 0 {
                    0.0
                } else {
                    let at = (t.as_millis() + offset.as_millis()) % period.as_millis();
                    let k = points.partition_point(|p| p.0.as_millis() <= at);
                    let v = points[k.saturating_sub(1)].1;
                    v / max * peak_rps
                }
            }
        };
        let m: f64 = self.events.iter().map(|e| e.multiplier(t)).product();
        (base * m).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    #[test]
    fn diurnal_peaks_at_its_hour_w1() {
        // W1: trough 100, peak 500 at 14:00 UTC; time zero is midnight UTC.
        let d = Demand {
            shape: DemandShape::Diurnal {
                trough_rps: 100.0,
                peak_rps: 500.0,
                peak_hour: 14.0,
            },
            events: vec![],
            task_capacity_rps: 50.0,
        };
        assert!((d.rate_at(at(14 * 3600), 0) - 500.0).abs() < 1e-9);
        assert!((d.rate_at(at(2 * 3600), 0) - 100.0).abs() < 1e-9);
        // 20:00 is 6 h after the peak: cos(π/2) = 0, halfway: 300.
        assert!((d.rate_at(at(20 * 3600), 0) - 300.0).abs() < 1e-9);
        // A start at 12:00 UTC shifts the day: t = 2 h is 14:00.
        assert!((d.rate_at(at(2 * 3600), 12 * 3600) - 500.0).abs() < 1e-9);
    }

    #[test]
    fn spike_ramps_and_step_holds_w1() {
        // A 3× spike from 10 h to 12 h with a 30-minute ramp, on 100 rps.
        let d = Demand {
            shape: DemandShape::Constant { rps: 100.0 },
            events: vec![DemandEvent {
                at: at(36_000),
                until: Some(at(43_200)),
                factor: 3.0,
                ramp: SimDuration::from_mins(30),
            }],
            task_capacity_rps: 50.0,
        };
        assert_eq!(d.rate_at(at(35_999), 0), 100.0);
        // 15 min into the ramp: half strength, 1 + 2 × 0.5 = 2 → 200.
        assert!((d.rate_at(at(36_900), 0) - 200.0).abs() < 1e-9);
        assert!((d.rate_at(at(40_000), 0) - 300.0).abs() < 1e-9);
        assert_eq!(d.rate_at(at(43_200), 0), 100.0);
    }

    #[test]
    fn trace_scales_to_its_peak_and_repeats_w1() {
        // Values 10, 40, 20 each holding 60 s; peak 200 rps → 50, 200, 100.
        let d = Demand {
            shape: DemandShape::Trace {
                points: vec![
                    (SimDuration::ZERO, 10.0),
                    (SimDuration::from_secs(60), 40.0),
                    (SimDuration::from_secs(120), 20.0),
                ],
                period: SimDuration::from_secs(180),
                peak_rps: 200.0,
                offset: SimDuration::ZERO,
            },
            events: vec![],
            task_capacity_rps: 50.0,
        };
        assert_eq!(d.rate_at(at(30), 0), 50.0);
        assert_eq!(d.rate_at(at(60), 0), 200.0);
        assert_eq!(d.rate_at(at(150), 0), 100.0);
        assert_eq!(d.rate_at(at(180 + 61), 0), 200.0, "repeats");
    }
}
