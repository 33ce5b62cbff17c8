//! Simulated time as integer milliseconds.
//!
//! `SimTime` is an instant since the start of the run, `SimDuration` a span.
//! Integer milliseconds keep ordering exact (no float epsilons) and make a
//! run's outputs independent of the platform's floating-point behaviour.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant of simulated time, in milliseconds since the start of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

/// A span of simulated time, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(pub u64);

/// An instant or none, in 8 bytes where `Option<SimTime>` takes 16: for
/// records kept by the hundred thousand (a task's times). No instant of a
/// run is `u64::MAX` milliseconds, which stands for none.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaybeTime(u64);

impl MaybeTime {
    /// No instant.
    pub const NONE: MaybeTime = MaybeTime(u64::MAX);

    /// The instant, if there is one.
    #[inline]
    pub fn get(self) -> Option<SimTime> {
        (self.0 != u64::MAX).then_some(SimTime(self.0))
    }

    /// Whether there is an instant.
    #[inline]
    pub fn is_some(self) -> bool {
        self.0 != u64::MAX
    }

    /// Whether there is none.
    #[inline]
    pub fn is_none(self) -> bool {
        self.0 == u64::MAX
    }
}

impl From<SimTime> for MaybeTime {
    #[inline]
    fn from(t: SimTime) -> Self {
        assert!(t.0 != u64::MAX, "an instant at the end of time");
        MaybeTime(t.0)
    }
}

impl fmt::Debug for MaybeTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);

    /// Milliseconds since the start.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// Seconds since the start, as a float (for reports only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// The span from `earlier` to `self`; zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// The empty span.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A span of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> SimDuration {
        SimDuration(ms)
    }

    /// A span of `s` whole seconds.
    pub const fn from_secs(s: u64) -> SimDuration {
        SimDuration(s * 1000)
    }

    /// A span of `m` whole minutes.
    pub const fn from_mins(m: u64) -> SimDuration {
        SimDuration(m * 60_000)
    }

    /// A span from fractional seconds, rounded to the nearest millisecond
    /// (negative and NaN values give zero).
    pub fn from_secs_f64(s: f64) -> SimDuration {
        if s.is_finite() && s > 0.0 {
            SimDuration(round_positive(s * 1000.0))
        } else {
            SimDuration::ZERO
        }
    }

    /// Milliseconds.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// Seconds, as a float.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}

/// Formats as `D+HH:MM:SS.mmm` (days omitted when zero), e.g. `1+02:03:04.005`.
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 % 1000;
        let s = self.0 / 1000;
        let (d, h, m, sec) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60, s % 60);
        if d > 0 {
            write!(f, "{d}+{h:02}:{m:02}:{sec:02}.{ms:03}")
        } else {
            write!(f, "{h:02}:{m:02}:{sec:02}.{ms:03}")
        }
    }
}

/// Formats as a compact duration such as `90s`, `5m`, `1h30m`, `250ms`.
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return write!(f, "0s");
        }
        let mut rest = self.0;
        let units = [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1000),
            ("ms", 1),
        ];
        for (name, size) in units {
            if rest >= size {
                write!(f, "{}{}", rest / size, name)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

/// Parses a duration: one or more `<number><unit>` parts, units `ms`, `s`,
/// `m`, `h`, `d`, `w`; numbers may have decimals (`"1.5h"`).
pub fn parse_duration(s: &str) -> Result<SimDuration, String> {
    let text = s.trim();
    let expected = "expected a duration such as \"90s\", \"5m\", \"1h30m\" or \"7d\"";
    if text.is_empty() {
        return Err(format!("{expected}, found an empty string"));
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!("{expected}, found \"{s}\""));
        }
        let number: f64 = rest[..num_len]
            .parse()
            .map_err(|_| format!("{expected}, found \"{s}\""))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let ms = match &rest[..unit_len] {
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "d" => 86_400_000.0,
            "w" => 604_800_000.0,
            "" => return Err(format!("{expected}: \"{s}\" has a number without a unit")),
            u => return Err(format!("{expected}: unknown unit \"{u}\" in \"{s}\"")),
        };
        total += number * ms;
        rest = &rest[unit_len..];
    }
    if total > 1e15 {
        return Err(format!("duration \"{s}\" is too long"));
    }
    Ok(SimDuration(total.round() as u64))
}

/// `x.round() as u64` for `x > 0`, without the library call `round` is
/// on targets without SSE4.1 (every sampled duration goes through it):
/// below 2⁵², `x` minus its integer part is exact, so comparing it with
/// one half rounds halves away from zero as `round` does; from 2⁵² on,
/// `x` is whole.
fn round_positive(x: f64) -> u64 {
    const WHOLE: f64 = 4_503_599_627_370_496.0; // 2⁵²
    if x >= WHOLE {
        return x as u64;
    }
    // Through i64, whose conversions are single instructions; without a
    // branch, as which way a sampled duration rounds is a coin toss.
    let i = x as i64;
    (i + i64::from(x - i as f64 >= 0.5)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `round_positive` is `round` for positive values: halves, the
    /// largest value below a half, neighbours of whole numbers, the
    /// boundary 2⁵², huge values and random ones.
    #[test]
    fn round_positive_rounds_as_round_does() {
        use rand::Rng;
        let mut xs = vec![
            f64::MIN_POSITIVE,
            0.25,
            0.49999999999999994,
            0.5,
            1.5,
            2.5,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            1e300,
        ];
        for n in [1.0f64, 7.0, 1e6, 1e15] {
            xs.extend([
                n.next_down(),
                n,
                n.next_up(),
                n + 0.5,
                (n + 0.5).next_down(),
            ]);
        }
        let mut rng = crate::sim::RngStreams::new(3).stream("round");
        xs.extend((0..100_000).map(|_| rng.gen::<f64>() * 10f64.powi(rng.gen_range(0..16))));
        for x in xs.into_iter().filter(|&x| x > 0.0) {
            assert_eq!(round_positive(x), x.round() as u64, "{x:e}");
        }
    }

    #[test]
    fn arithmetic_and_display() {
        let t = SimTime::ZERO + SimDuration::from_secs(93_784) + SimDuration::from_millis(5);
        assert_eq!(t.to_string(), "1+02:03:04.005");
        assert_eq!(SimDuration::from_secs(5400).to_string(), "1h30m");
        assert_eq!(SimDuration::from_millis(250).to_string(), "250ms");
        assert_eq!(SimTime(10) - SimTime(20), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(1.2345), SimDuration(1235));
        assert_eq!(SimDuration::from_secs_f64(-3.0), SimDuration::ZERO);
    }
}
