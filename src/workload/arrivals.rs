//! Arrival processes of batch jobs (ECS-MODEL W2).

use rand_distr::{Distribution, Exp};

use crate::sim::{SimDuration, SimRng, SimTime};

/// One arrival of a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRecord {
    /// When the task is submitted.
    pub at: SimTime,
    /// How long it runs once RUNNING, if the trace says.
    pub duration: Option<SimDuration>,
    /// CPU units override, if the trace gives sizes.
    pub cpu: Option<u32>,
    /// Memory (MiB) override, if the trace gives sizes.
    pub memory: Option<u32>,
    /// How many tasks arrive at once.
    pub count: u32,
}

/// When tasks of a job stream arrive.
#[derive(Debug, Clone, PartialEq)]
pub enum Arrivals {
    /// A Poisson process with `per_hour` arrivals per hour on average.
    Poisson {
        /// Mean arrivals per hour.
        per_hour: f64,
    },
    /// One arrival every `interval`, the first at the stream's start.
    Every {
        /// Gap between arrivals.
        interval: SimDuration,
    },
    /// Arrivals replayed from a trace, sorted by time.
    Trace(Vec<TraceRecord>),
}

impl Arrivals {
    /// The gap to the next arrival of a generated process (None for traces).
    pub fn next_gap(&self, rng: &mut SimRng, first: bool) -> Option<SimDuration> {
        match self {
            Arrivals::Poisson { per_hour } => {
                let rate_per_s = per_hour / 3600.0;
                let exp = Exp::new(rate_per_s).ok()?;
                Some(SimDuration::from_secs_f64(exp.sample(rng)))
            }
            Arrivals::Every { interval } => Some(if first { SimDuration::ZERO } else { *interval }),
            Arrivals::Trace(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::RngStreams;

    #[test]
    fn poisson_rate() {
        // W2: 120 arrivals/hour -> mean gap 30 s; over 10,000 gaps the mean is
        // within 3% (std error of the mean = 30/sqrt(10000) = 0.3 s = 1%).
        let mut rng = RngStreams::new(3).stream("arr");
        let a = Arrivals::Poisson { per_hour: 120.0 };
        let n = 10_000;
        let total: f64 = (0..n)
            .map(|_| a.next_gap(&mut rng, false).map_or(0.0, |d| d.as_secs_f64()))
            .sum();
        assert!((total / n as f64 - 30.0).abs() < 0.9);
    }
}
