//! Duration distributions, sampled with `rand_distr`.

use rand::Rng;
use rand_distr::{Distribution, Exp, LogNormal};

use crate::sim::{SimDuration, SimRng};

/// A distribution of durations.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// Always the same value.
    Constant(SimDuration),
    /// Uniform between `min` and `max` (inclusive).
    Uniform {
        /// Lower bound.
        min: SimDuration,
        /// Upper bound.
        max: SimDuration,
    },
    /// Exponential with the given mean.
    Exponential {
        /// Mean.
        mean: SimDuration,
    },
    /// Log-normal with the given median and shape `sigma` (of the underlying normal).
    LogNormal {
        /// Median (= e^mu).
        median: SimDuration,
        /// Standard deviation of the logarithm.
        sigma: f64,
    },
}

impl Dist {
    /// One draw, rounded to the millisecond.
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        match *self {
            Dist::Constant(d) => d,
            Dist::Uniform { min, max } => {
                if max.0 <= min.0 {
                    min
                } else {
                    SimDuration(rng.gen_range(min.0..=max.0))
                }
            }
            Dist::Exponential { mean } => match Exp::new(1.0 / mean.as_secs_f64().max(1e-9)) {
                Ok(e) => SimDuration::from_secs_f64(e.sample(rng)),
                Err(_) => mean,
            },
            Dist::LogNormal { median, sigma } => {
                match LogNormal::new(median.as_secs_f64().max(1e-9).ln(), sigma) {
                    Ok(d) => SimDuration::from_secs_f64(d.sample(rng)),
                    Err(_) => median,
                }
            }
        }
    }

    /// The mean of the distribution.
    pub fn mean(&self) -> SimDuration {
        match *self {
            Dist::Constant(d) => d,
            Dist::Uniform { min, max } => SimDuration((min.0 + max.0) / 2),
            Dist::Exponential { mean } => mean,
            Dist::LogNormal { median, sigma } => {
                SimDuration::from_secs_f64(median.as_secs_f64() * (sigma * sigma / 2.0).exp())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::RngStreams;

    #[test]
    fn sample_means_match() {
        let mut rng = RngStreams::new(1).stream("dist");
        let cases = [
            Dist::Constant(SimDuration::from_secs(5)),
            Dist::Uniform {
                min: SimDuration::from_secs(60),
                max: SimDuration::from_secs(120),
            },
            Dist::Exponential {
                mean: SimDuration::from_secs(600),
            },
            Dist::LogNormal {
                median: SimDuration::from_secs(300),
                sigma: 0.5,
            },
        ];
        for d in cases {
            let n = 20_000;
            let sum: f64 = (0..n).map(|_| d.sample(&mut rng).as_secs_f64()).sum();
            let mean = sum / n as f64;
            let want = d.mean().as_secs_f64();
            // 20k draws: the sample mean is within 3% of the mean for these shapes.
            assert!(
                (mean - want).abs() <= 0.03 * want,
                "{d:?}: {mean} vs {want}"
            );
        }
    }
}
