//! A column of numbers held compactly: as runs of equal values while that
//! is smaller, else as plain values.
//!
//! A run's time series has one row per sampled minute, 43,200 for a month,
//! and hundreds of columns; most of them are counts that stay the same for
//! minutes on end (a service's desired count, its PENDING tasks), so runs
//! hold them in a small fraction of the memory, while the rates that
//! change every minute stay plain. Values are compared by their bits, so
//! that a column reads back exactly as it was pushed (`-0.0` stays `-0.0`).
//! A column is shared, not copied, by the chart lines drawn from it.
//!
//! Depends on nothing of the crate.

use std::sync::Arc;

/// An immutable column of numbers (cheap to clone: the data is shared).
#[derive(Debug, Clone)]
pub struct Values(Arc<Repr>);

#[derive(Debug)]
enum Repr {
    /// Every value.
    Plain(Vec<f64>),
    /// `values[i]` repeated up to index `ends[i]` (exclusive).
    Runs { values: Vec<f64>, ends: Vec<usize> },
}

/// Runs take 16 bytes each and plain values 8: a column keeps its runs
/// while it has fewer than half as many runs as values (checked once it
/// has this many values, so short columns stay runs).
const CHECK_FROM: usize = 1024;

/// Builds a [`Values`] one value at a time.
#[derive(Debug, Default)]
pub struct Builder {
    plain: Option<Vec<f64>>,
    values: Vec<f64>,
    ends: Vec<usize>,
    len: usize,
}

impl Builder {
    /// An empty column.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Appends `x`.
    pub fn push(&mut self, x: f64) {
        self.len += 1;
        if let Some(plain) = &mut self.plain {
            plain.push(x);
            return;
        }
        match (self.values.last(), self.ends.last_mut()) {
            (Some(v), Some(end)) if v.to_bits() == x.to_bits() => *end = self.len,
            _ => {
                self.values.push(x);
                self.ends.push(self.len);
            }
        }
        if self.len >= CHECK_FROM && self.values.len() * 2 > self.len {
            self.make_plain();
        }
    }

    /// Appends the last value again (the same as pushing it, without
    /// comparing it); nothing on an empty column.
    #[inline]
    pub fn repeat(&mut self) {
        if let Some(plain) = &mut self.plain {
            if let Some(&x) = plain.last() {
                plain.push(x);
                self.len += 1;
            }
            return;
        }
        let Some(end) = self.ends.last_mut() else {
            return;
        };
        self.len += 1;
        *end = self.len;
        // As `push` does: the check may fall on a repeated value.
        if self.len >= CHECK_FROM && self.values.len() * 2 > self.len {
            self.make_plain();
        }
    }

    /// Appends `x` `n` times (the same as `n` pushes of it).
    pub fn push_run(&mut self, x: f64, n: usize) {
        if n == 0 {
            return;
        }
        self.push(x);
        let mut left = n - 1;
        // Up to the first check, repeat by repeat: the switch to plain
        // values may fall on one.
        while left > 0 && self.plain.is_none() && self.len < CHECK_FROM {
            self.repeat();
            left -= 1;
        }
        if left == 0 {
            return;
        }
        match &mut self.plain {
            Some(plain) => plain.extend(std::iter::repeat_n(x, left)),
            None => {
                // Checked at the value before and not plain: more of the
                // same value cannot make it so.
                self.len += left;
                if let Some(end) = self.ends.last_mut() {
                    *end = self.len;
                }
                return;
            }
        }
        self.len += left;
    }

    fn make_plain(&mut self) {
        let mut plain = Vec::with_capacity(self.len * 2);
        plain.extend(Iter::runs(&self.values, &self.ends));
        self.plain = Some(plain);
        self.values = Vec::new();
        self.ends = Vec::new();
    }

    /// The column.
    pub fn finish(self) -> Values {
        Values(Arc::new(match self.plain {
            Some(mut v) => {
                v.shrink_to_fit();
                Repr::Plain(v)
            }
            None => {
                let (mut values, mut ends) = (self.values, self.ends);
                values.shrink_to_fit();
                ends.shrink_to_fit();
                Repr::Runs { values, ends }
            }
        }))
    }
}

impl Values {
    /// Number of values.
    pub fn len(&self) -> usize {
        match &*self.0 {
            Repr::Plain(v) => v.len(),
            Repr::Runs { ends, .. } => ends.last().copied().unwrap_or(0),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values in order.
    pub fn iter(&self) -> Iter<'_> {
        match &*self.0 {
            Repr::Plain(v) => Iter::Plain(v.iter()),
            Repr::Runs { values, ends } => Iter::runs(values, ends),
        }
    }

    /// The values as a plain vector.
    pub fn to_vec(&self) -> Vec<f64> {
        match &*self.0 {
            Repr::Plain(v) => v.clone(),
            Repr::Runs { .. } => {
                let mut out = Vec::with_capacity(self.len());
                out.extend(self.iter());
                out
            }
        }
    }

    /// The value of each run of equal values, in order (every value of a
    /// plain column): the same minimum and maximum as all the values.
    pub fn run_values(&self) -> std::slice::Iter<'_, f64> {
        match &*self.0 {
            Repr::Plain(v) => v.iter(),
            Repr::Runs { values, .. } => values.iter(),
        }
    }

    /// Calls `f(value, count)` for each run of equal values, in order (runs
    /// of one in a plain column).
    pub fn for_each_run(&self, mut f: impl FnMut(f64, usize)) {
        match &*self.0 {
            Repr::Plain(v) => v.iter().for_each(|&x| f(x, 1)),
            Repr::Runs { values, ends } => {
                let mut from = 0;
                for (&x, &end) in values.iter().zip(ends) {
                    f(x, end - from);
                    from = end;
                }
            }
        }
    }

    /// Calls `f(x, y, count)` for each stretch over which both `self` (x)
    /// and `other` (y) keep their value, in order, up to the shorter of
    /// the two.
    pub fn for_each_joint_run(&self, other: &Values, mut f: impl FnMut(f64, f64, usize)) {
        let (mut a, mut b) = (self.runs(), other.runs());
        let (mut ra, mut rb) = (a.next(), b.next());
        while let (Some((x, n)), Some((y, m))) = (ra, rb) {
            let k = n.min(m);
            f(x, y, k);
            ra = if n > k { Some((x, n - k)) } else { a.next() };
            rb = if m > k { Some((y, m - k)) } else { b.next() };
        }
    }

    /// The runs of equal values: `(value, count)`, in order.
    fn runs(&self) -> Box<dyn Iterator<Item = (f64, usize)> + '_> {
        match &*self.0 {
            Repr::Plain(v) => Box::new(v.iter().map(|&x| (x, 1))),
            Repr::Runs { values, ends } => {
                let starts = std::iter::once(0).chain(ends.iter().copied());
                Box::new(
                    values
                        .iter()
                        .zip(ends.iter().zip(starts))
                        .map(|(&x, (&end, from))| (x, end - from)),
                )
            }
        }
    }

    /// The last value.
    pub fn last(&self) -> Option<f64> {
        match &*self.0 {
            Repr::Plain(v) => v.last().copied(),
            Repr::Runs { values, .. } => values.last().copied(),
        }
    }
}

impl From<&[f64]> for Values {
    fn from(xs: &[f64]) -> Values {
        xs.iter().copied().collect()
    }
}

impl FromIterator<f64> for Values {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Values {
        let mut b = Builder::new();
        for x in iter {
            b.push(x);
        }
        b.finish()
    }
}

impl PartialEq for Values {
    fn eq(&self, other: &Values) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// The values of a [`Values`], in order.
#[derive(Debug, Clone)]
pub enum Iter<'a> {
    /// Over plain values.
    Plain(std::slice::Iter<'a, f64>),
    /// Over runs: the current run and the index of the next value.
    Runs {
        /// Run values.
        values: &'a [f64],
        /// Run ends.
        ends: &'a [usize],
        /// Current run.
        run: usize,
        /// Index of the next value.
        at: usize,
    },
}

impl<'a> Iter<'a> {
    fn runs(values: &'a [f64], ends: &'a [usize]) -> Iter<'a> {
        Iter::Runs {
            values,
            ends,
            run: 0,
            at: 0,
        }
    }
}

impl Iterator for Iter<'_> {
    type Item = f64;

    #[inline]
    fn next(&mut self) -> Option<f64> {
        match self {
            Iter::Plain(it) => it.next().copied(),
            Iter::Runs {
                values,
                ends,
                run,
                at,
            } => {
                while *run < ends.len() && *at >= ends[*run] {
                    *run += 1;
                }
                let v = *values.get(*run)?;
                *at += 1;
                Some(v)
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self {
            Iter::Plain(it) => it.len(),
            Iter::Runs { ends, at, .. } => ends.last().copied().unwrap_or(0).saturating_sub(*at),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_runs(v: &Values) -> bool {
        matches!(&*v.0, Repr::Runs { .. })
    }

    #[test]
    fn reads_back_exactly_what_was_pushed() {
        // Steps, a lone value, signed zeros (equal as numbers, not as
        // bits: both kept), and an empty column.
        let xs = [1.0, 1.0, 1.0, 2.5, -0.0, 0.0, 0.0, 7.0];
        let v = Values::from(&xs[..]);
        assert!(is_runs(&v));
        assert_eq!(v.len(), 8);
        let back = v.to_vec();
        assert_eq!(
            back.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(v.iter().len(), 8);
        let mut runs = Vec::new();
        v.for_each_run(|x, n| runs.push((x, n)));
        assert_eq!(runs, [(1.0, 3), (2.5, 1), (-0.0, 1), (0.0, 2), (7.0, 1)]);
        assert_eq!(runs[2].0.to_bits(), (-0.0f64).to_bits());
        assert_eq!(v.run_values().len(), 5);
        assert_eq!(v.last(), Some(7.0));
        let e = Values::from(&[][..]);
        assert!(e.is_empty());
        assert_eq!(e.iter().next(), None);
        assert_eq!(e.last(), None);
    }

    #[test]
    fn a_repeat_is_a_push_of_the_last_value() {
        // Runs, the switch to plain values (which may fall on a repeat),
        // and plain values: the same column, held the same way.
        for period in [1, 2, 3, 7, 1000] {
            let xs: Vec<f64> = (0..3000).map(|i| f64::from(i / period)).collect();
            let mut pushed = Builder::new();
            let mut repeated = Builder::new();
            for (i, &x) in xs.iter().enumerate() {
                pushed.push(x);
                if i > 0 && xs[i - 1] == x {
                    repeated.repeat();
                } else {
                    repeated.push(x);
                }
            }
            let (a, b) = (pushed.finish(), repeated.finish());
            assert_eq!(a.to_vec(), xs);
            assert_eq!(b.to_vec(), xs);
            assert_eq!(is_runs(&a), is_runs(&b), "period {period}");
            assert_eq!(a.run_values().len(), b.run_values().len());
        }
    }

    #[test]
    fn a_pushed_run_is_so_many_pushes() {
        // Runs of every length around the first check (1,024 values), on
        // a column that stays runs and on one that turns plain.
        for lens in [
            vec![1000, 30, 2000],
            vec![1, 1023, 1, 5],
            vec![1024, 3],
            vec![0, 7, 0],
        ] {
            for alternate in [1, 2] {
                let mut one = Builder::new();
                let mut runs = Builder::new();
                let mut want = Vec::new();
                let mut k = 0;
                for _ in 0..700 / alternate {
                    for &n in &lens {
                        let x = f64::from(k % 3);
                        k += 1;
                        runs.push_run(x, n);
                        for _ in 0..n {
                            one.push(x);
                            want.push(x);
                        }
                        if alternate == 2 {
                            runs.push(0.5);
                            one.push(0.5);
                            want.push(0.5);
                        }
                    }
                    if want.len() > 5000 {
                        break;
                    }
                }
                let (a, b) = (one.finish(), runs.finish());
                assert_eq!(b.to_vec(), want, "{lens:?}");
                assert_eq!(is_runs(&a), is_runs(&b), "{lens:?}");
                assert_eq!(a.run_values().len(), b.run_values().len());
            }
        }
    }

    #[test]
    fn joint_runs_cover_both_columns_to_the_shorter() {
        let a = Values::from(&[1.0, 1.0, 1.0, 2.0, 2.0, 3.0][..]);
        let plain: Vec<f64> = (0..2000).map(f64::from).collect();
        let b = Values::from(&[5.0, 6.0, 6.0, 6.0, 6.0][..]);
        let mut got = Vec::new();
        a.for_each_joint_run(&b, |x, y, n| got.push((x, y, n)));
        assert_eq!(
            got,
            [(1.0, 5.0, 1), (1.0, 6.0, 2), (2.0, 6.0, 2)],
            "up to the shorter"
        );
        let p = Values::from(&plain[..]);
        let mut n = 0;
        p.for_each_joint_run(&a, |x, _, k| {
            assert_eq!((x, k), (plain[n], 1));
            n += 1;
        });
        assert_eq!(n, 6);
    }

    #[test]
    fn a_column_that_changes_all_the_time_is_kept_plain() {
        // 2,000 distinct values: more runs than half the values once 1,024
        // are in, so plain from then on; the values are the same.
        let xs: Vec<f64> = (0..2000).map(|i| f64::from(i) * 0.5).collect();
        let v = Values::from(&xs[..]);
        assert!(!is_runs(&v));
        assert_eq!(v.to_vec(), xs);
        let mut n = 0;
        v.for_each_run(|x, k| {
            assert_eq!((x, k), (xs[n], 1));
            n += 1;
        });
        assert_eq!(n, 2000);
        // A count that changes every 10th value stays as runs: 200 runs.
        let steps: Vec<f64> = (0..2000).map(|i| f64::from(i / 10)).collect();
        let s = Values::from(&steps[..]);
        assert!(is_runs(&s));
        assert_eq!(s.to_vec(), steps);
        assert_eq!(s, steps.iter().copied().collect::<Values>());
        assert_ne!(s, v);
    }
}
