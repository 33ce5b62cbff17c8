//! The spot price of one pool over simulated time (ECS-MODEL S1).
//!
//! This module owns [`SpotPrice`] (a constant discount from on-demand, or a
//! step series) and [`PriceSeries`]: what a spot instance of the pool costs
//! per hour at any instant, and the time-weighted mean over an interval for
//! billing at "the price in effect".
//!
//! Pure values: it must only depend on `crate::sim` (time), never on the
//! engine, scenario or output modules.

use crate::sim::{SimDuration, SimTime};

/// Milliseconds per hour, for converting spans to instance-hours.
const MS_PER_HOUR: f64 = 3_600_000.0;

/// The spot price of a pool (ECS-MODEL S1).
#[derive(Debug, Clone, PartialEq)]
pub enum SpotPrice {
    /// A constant discount from on-demand (the default, with the discount
    /// from the Spot Advisor's savings).
    Discount {
        /// On-demand price of the type, USD per hour (≥ 0).
        on_demand_usd_per_hour: f64,
        /// Discount from on-demand, percent (≤ 100): the spot price is
        /// `on_demand × (1 − discount_pct / 100)`; negative when spot costs
        /// more than on-demand (the advisor publishes a few such rows).
        discount_pct: f64,
    },
    /// A step series of prices in effect from given instants.
    Series(PriceSeries),
}

impl SpotPrice {
    /// A validated [`SpotPrice::Discount`]: the on-demand price (USD per
    /// hour) must be finite and ≥ 0, the discount (percent) finite and
    /// ≤ 100 (a negative discount prices spot above on-demand).
    pub fn discount(on_demand_usd_per_hour: f64, discount_pct: f64) -> Result<SpotPrice, String> {
        if !on_demand_usd_per_hour.is_finite() || on_demand_usd_per_hour < 0.0 {
            return Err(format!(
                "on-demand price {on_demand_usd_per_hour} USD/h must be a finite number >= 0"
            ));
        }
        if !discount_pct.is_finite() || discount_pct > 100.0 {
            return Err(format!(
                "spot discount {discount_pct} % must be a finite number <= 100"
            ));
        }
        Ok(SpotPrice::Discount {
            on_demand_usd_per_hour,
            discount_pct,
        })
    }

    /// The spot price in effect at `t`, USD per hour. For a series, see
    /// [`PriceSeries::at`].
    pub fn at(&self, t: SimTime) -> f64 {
        match self {
            SpotPrice::Discount {
                on_demand_usd_per_hour,
                discount_pct,
            } => on_demand_usd_per_hour * (1.0 - discount_pct / 100.0),
            SpotPrice::Series(series) => series.at(t),
        }
    }

    /// Time-weighted mean price over `[from, to)`, USD per hour (constant for
    /// a discount). For an empty or reversed interval, the price at `from`.
    pub fn mean_price(&self, from: SimTime, to: SimTime) -> f64 {
        match self {
            SpotPrice::Discount { .. } => self.at(from),
            SpotPrice::Series(series) => series.mean_price(from, to),
        }
    }

    /// What one instance costs over `[from, to)` at the price in effect,
    /// USD: the mean price × the span in hours (0 for an empty or reversed
    /// interval). Billing minimums are the cost module's business.
    pub fn cost_usd(&self, from: SimTime, to: SimTime) -> f64 {
        let hours = to.since(from).as_millis() as f64 / MS_PER_HOUR;
        if hours == 0.0 {
            0.0
        } else {
            self.mean_price(from, to) * hours
        }
    }
}

/// A step series of spot prices: each point is (instant, USD per hour) and
/// holds until the next point. Sorted by time; never empty.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceSeries {
    points: Vec<(SimTime, f64)>,
}

impl PriceSeries {
    /// A series from `(instant, USD per hour)` points in any order; they are
    /// sorted by time (a stable sort: of points at the same instant, the last
    /// one given wins). Errors on an empty list and on a price that is
    /// negative or not finite.
    pub fn new(mut points: Vec<(SimTime, f64)>) -> Result<PriceSeries, String> {
        if points.is_empty() {
            return Err("a spot price series needs at least one point".to_string());
        }
        if let Some((t, p)) = points.iter().find(|(_, p)| !p.is_finite() || *p < 0.0) {
            return Err(format!(
                "spot price {p} USD/h at {t} must be a finite number >= 0"
            ));
        }
        points.sort_by_key(|(t, _)| *t);
        Ok(PriceSeries { points })
    }

    /// The points, sorted by time.
    pub fn points(&self) -> &[(SimTime, f64)] {
        &self.points
    }

    /// Number of points of the first one later than `t`: the points in
    /// effect at or before `t` are `points[..n]`.
    fn effective_count(&self, t: SimTime) -> usize {
        self.points.partition_point(|(at, _)| *at <= t)
    }

    /// The price in effect at `t`, USD per hour: the price of the last point
    /// whose time is ≤ `t`. Before the first point, the first point's price
    /// (a series starting after the run begins is extended backwards).
    pub fn at(&self, t: SimTime) -> f64 {
        let n = self.effective_count(t);
        // A series is never empty, so index 0 exists.
        self.points[n.saturating_sub(1)].1
    }

    /// Time-weighted mean price over `[from, to)`, USD per hour, with
    /// [`Self::at`]'s rules (millisecond resolution). For an empty or
    /// reversed interval (`to ≤ from`), the price at `from`.
    pub fn mean_price(&self, from: SimTime, to: SimTime) -> f64 {
        if to <= from {
            return self.at(from);
        }
        let mut weighted = 0.0; // USD/h × ms
        let mut since = from;
        let mut price = self.at(from);
        for &(t, p) in &self.points[self.effective_count(from)..] {
            if t >= to {
                break;
            }
            weighted += price * span_ms(t - since);
            since = t;
            price = p;
        }
        weighted += price * span_ms(to - since);
        weighted / span_ms(to - from)
    }
}

fn span_ms(d: SimDuration) -> f64 {
    d.as_millis() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(hours: u64) -> SimTime {
        SimTime(hours * 3_600_000)
    }

    fn series(points: &[(u64, f64)]) -> PriceSeries {
        PriceSeries::new(points.iter().map(|&(t, p)| (h(t), p)).collect()).expect("valid series")
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn discount_price() {
        // ECS-MODEL S1: 0.192 USD/h on-demand, 55 % off → 0.192 × 0.45 = 0.0864.
        let p = SpotPrice::discount(0.192, 55.0).expect("valid");
        assert!(close(p.at(SimTime::ZERO), 0.0864));
        assert!(close(p.at(h(1000)), 0.0864));
        assert!(close(p.mean_price(h(0), h(10)), 0.0864));
        // 90 minutes: 0.0864 × 1.5 = 0.1296 USD.
        assert!(close(p.cost_usd(h(0), SimTime(5_400_000)), 0.1296));
        assert_eq!(p.cost_usd(h(2), h(1)), 0.0);
        // 0 % and 100 % are allowed, and negative discounts (spot above
        // on-demand: 0.1 × (1 + 0.62) = 0.162); above 100 % is an error.
        let at_zero = |pct| SpotPrice::discount(0.1, pct).expect("valid").at(h(0));
        assert!(close(at_zero(100.0), 0.0));
        assert!(close(at_zero(-62.0), 0.162));
        assert!(SpotPrice::discount(0.1, 100.5).is_err());
        assert!(SpotPrice::discount(0.1, f64::NAN).is_err());
        assert!(SpotPrice::discount(-0.1, 50.0).is_err());
    }

    #[test]
    fn series_step_lookup() {
        // Given out of order; sorted to 1 h: 0.05, 3 h: 0.07, 5 h: 0.04.
        let s = series(&[(3, 0.07), (1, 0.05), (5, 0.04)]);
        assert_eq!(s.points()[0], (h(1), 0.05));
        let cases = [
            (SimTime::ZERO, 0.05), // before the first point: the first price
            (h(1), 0.05),          // on a point: that point
            (SimTime(h(3).0 - 1), 0.05),
            (h(3), 0.07),
            (h(4), 0.07),
            (h(5), 0.04),
            (h(100), 0.04), // after the last point: the last price
        ];
        for (t, want) in cases {
            assert_eq!(s.at(t), want, "at {t}");
            assert_eq!(SpotPrice::Series(s.clone()).at(t), want);
        }
    }

    #[test]
    fn series_same_instant_last_given_wins() {
        let s = series(&[(1, 0.05), (2, 0.09), (2, 0.06)]);
        assert_eq!(s.at(h(2)), 0.06);
    }

    #[test]
    fn series_rejects_bad_input() {
        assert!(PriceSeries::new(vec![]).is_err());
        assert!(PriceSeries::new(vec![(h(0), -0.01)]).is_err());
        assert!(PriceSeries::new(vec![(h(0), 0.1), (h(1), f64::NAN)]).is_err());
        assert!(PriceSeries::new(vec![(h(0), f64::INFINITY)]).is_err());
        assert!(PriceSeries::new(vec![(h(0), 0.0)]).is_ok());
    }

    #[test]
    fn series_time_weighted_mean() {
        // 0.05 from the start (extended back) until 3 h, 0.07 until 5 h, then 0.04.
        let s = series(&[(1, 0.05), (3, 0.07), (5, 0.04)]);
        let cases = [
            // [0, 4): 3 h × 0.05 + 1 h × 0.07 = 0.22 → / 4 = 0.055.
            (h(0), h(4), 0.055),
            // [2, 6): 1 h × 0.05 + 2 h × 0.07 + 1 h × 0.04 = 0.23 → / 4 = 0.0575.
            (h(2), h(6), 0.0575),
            // [3, 5): entirely 0.07.
            (h(3), h(5), 0.07),
            // [4, 10): 1 h × 0.07 + 5 h × 0.04 = 0.27 → / 6 = 0.045.
            (h(4), h(10), 0.045),
            // Empty and reversed intervals: the price at `from`.
            (h(4), h(4), 0.07),
            (h(6), h(2), 0.04),
        ];
        for (from, to, want) in cases {
            let got = s.mean_price(from, to);
            assert!(close(got, want), "[{from}, {to}): {got} vs {want}");
        }
        // Cost over [2, 6): 0.0575 × 4 h = 0.23 USD.
        let p = SpotPrice::Series(s);
        assert!(close(p.cost_usd(h(2), h(6)), 0.23));
    }
}
