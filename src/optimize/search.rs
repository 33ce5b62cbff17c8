//! Judging candidates from their runs and successive halving: per-run
//! evaluation (the objective, each SLO met or missed), per-candidate
//! estimates (means, shares, Wilson intervals), the feasibility rule, the
//! ranking of a round and the seeds and survivors of the next. Pure
//! functions: no files, no threads.
//!
//! ## The method
//!
//! Round 0 runs every candidate on seed indexes `0..minSeeds`. After each
//! round the candidates of the round are ranked ([`rank`]); the best
//! `max(1, ceil(keep × n))` go on to the next round, which runs them on
//! `min(maxSeeds, seeds × growth)` seed indexes (the runs of the seed
//! indexes they already have are reused, never rerun). The round that ran
//! on `maxSeeds` seeds is the last; its first-ranked candidate wins if it
//! is feasible. Every candidate of a round has the same seed indexes, and a
//! seed index gives the same run seed to every candidate (common random
//! numbers), so a round compares candidates on the same draws.

use crate::slo::{wilson, Interval, Objective};

use super::file::Rule;

/// One run judged: the objective's value and each constraint's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEval {
    /// Weighted sum of the objective metrics.
    pub objective: f64,
    /// Each constraint's metric value, in constraint order.
    pub values: Vec<f64>,
    /// Whether each constraint was met.
    pub met: Vec<bool>,
    /// How far the run missed, summed over constraints: each missed
    /// constraint adds `|margin| / max(|threshold|, 1)` (0 when all met).
    pub miss: f64,
}

impl RunEval {
    /// Judges a run's values: `objective` already weighted and summed,
    /// `values[i]` the value of constraint `i`'s metric.
    pub fn new(objective: f64, values: Vec<f64>, constraints: &[Objective]) -> RunEval {
        let mut met = Vec::with_capacity(values.len());
        let mut miss = 0.0;
        for (c, &v) in constraints.iter().zip(&values) {
            let o = c.judge(v);
            met.push(o.met);
            if !o.met {
                miss += o.margin.abs() / c.threshold.abs().max(1.0);
            }
        }
        RunEval {
            objective,
            values,
            met,
            miss,
        }
    }

    /// Whether every constraint was met.
    pub fn all_met(&self) -> bool {
        self.met.iter().all(|&m| m)
    }
}

/// A candidate's estimates over the runs of one round.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub candidate: usize,
    pub runs: usize,
    pub objective_mean: f64,
    /// Each constraint's metric mean.
    pub value_means: Vec<f64>,
    /// Each constraint's share of runs met, with its 95% Wilson interval.
    pub met: Vec<Interval>,
    /// Share of runs that met every constraint, with its 95% Wilson interval.
    pub all_met: Interval,
    /// Mean over runs of [`RunEval::miss`].
    pub miss_mean: f64,
    pub feasible: bool,
    /// How far the share (observed or Wilson lower bound, per the rule)
    /// is below the level (0 when feasible).
    pub deficit: f64,
}

/// Confidence of the intervals reported.
pub const INTERVAL: f64 = 0.95;

/// Estimates candidate `candidate` from its runs (in seed order).
pub fn estimate(candidate: usize, runs: &[RunEval], level: f64, rule: Rule) -> Estimate {
    let n = runs.len();
    let nf = n.max(1) as f64;
    // Sums in seed order: the same bytes whatever ran the runs.
    let objective_mean = runs.iter().map(|r| r.objective).sum::<f64>() / nf;
    let k = runs.first().map_or(0, |r| r.values.len());
    let value_means = (0..k)
        .map(|i| runs.iter().map(|r| r.values[i]).sum::<f64>() / nf)
        .collect();
    let met = (0..k)
        .map(|i| wilson(runs.iter().filter(|r| r.met[i]).count(), n, INTERVAL))
        .collect();
    let all_met = wilson(runs.iter().filter(|r| r.all_met()).count(), n, INTERVAL);
    let miss_mean = runs.iter().map(|r| r.miss).sum::<f64>() / nf;
    let (feasible, deficit) = feasibility(all_met, level, rule);
    Estimate {
        candidate,
        runs: n,
        objective_mean,
        value_means,
        met,
        all_met,
        miss_mean,
        feasible,
        deficit,
    }
}

/// The feasibility rule: with `Observed`, feasible when the observed share
/// of runs meeting every constraint is at least `level`; with `Wilson`,
/// when the lower bound of its 95% Wilson interval is. Returns whether
/// feasible and the deficit (level minus that share, 0 when feasible).
pub fn feasibility(all_met: Interval, level: f64, rule: Rule) -> (bool, f64) {
    let share = match rule {
        Rule::Observed => all_met.share,
        Rule::Wilson => all_met.lo,
    };
    // A tolerance for the float rounding of the shares (7 of 10 against 0.7).
    if share + 1e-12 >= level {
        (true, 0.0)
    } else {
        (false, level - share)
    }
}

/// Ranks a round's estimates, best first: feasible candidates by objective
/// mean; then infeasible ones by deficit, then by mean miss, then by
/// objective mean; ties by candidate index.
pub fn rank(estimates: &mut [Estimate]) {
    estimates.sort_by(|a, b| {
        b.feasible
            .cmp(&a.feasible)
            .then_with(|| {
                if a.feasible {
                    std::cmp::Ordering::Equal
                } else {
                    a.deficit
                        .total_cmp(&b.deficit)
                        .then(a.miss_mean.total_cmp(&b.miss_mean))
                }
            })
            .then(a.objective_mean.total_cmp(&b.objective_mean))
            .then(a.candidate.cmp(&b.candidate))
    });
}

/// How many of `n` candidates go on to the next round.
pub fn survivors(n: usize, keep: f64) -> usize {
    // Rounded up with a tolerance, so 0.5 x 10 keeps 5, not 6.
    (((n as f64) * keep - 1e-9).ceil() as usize).clamp(1, n.max(1))
}

/// The seeds of each round: `min, min × growth, ...` up to `max`, which is
/// the last.
pub fn schedule(min: u32, max: u32, growth: u32) -> Vec<u32> {
    let mut out = vec![min.min(max)];
    while *out.last().unwrap_or(&max) < max {
        let last = *out.last().unwrap_or(&max);
        out.push(last.saturating_mul(growth.max(2)).min(max));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(met: &[bool]) -> Vec<RunEval> {
        let c = [Objective::parse("x >= 1").unwrap()];
        met.iter()
            .map(|&m| RunEval::new(1.0, vec![if m { 1.0 } else { 0.5 }], &c))
            .collect()
    }

    #[test]
    fn feasibility_rule_on_constructed_shares() {
        // 2 of 2 met: observed share 1 >= 0.9, feasible after two seeds.
        let e = estimate(0, &runs(&[true, true]), 0.9, Rule::Observed);
        assert!(e.feasible && e.deficit == 0.0);
        // The Wilson lower bound of 2 of 2 is 2 / (2 + 1.96^2) = 0.342.
        let w = estimate(0, &runs(&[true, true]), 0.9, Rule::Wilson);
        assert!(!w.feasible);
        assert!((w.deficit - (0.9 - 0.3424)).abs() < 1e-3, "{w:?}");
        // 7 of 8 = 0.875 < 0.9: infeasible, deficit 0.025; 0.875 is enough
        // at level 0.875 (no float trap).
        let m = [true, true, true, false, true, true, true, true];
        let e = estimate(0, &runs(&m), 0.9, Rule::Observed);
        assert!(!e.feasible && (e.deficit - 0.025).abs() < 1e-12);
        assert!(estimate(0, &runs(&m), 0.875, Rule::Observed).feasible);
        // 7 of 10 at level 0.7.
        let m = [
            true, true, true, true, true, true, true, false, false, false,
        ];
        assert!(estimate(0, &runs(&m), 0.7, Rule::Observed).feasible);
        // 35 of 35 reach 0.9 on the Wilson rule, 34 of 34 do not.
        let all = |n| vec![true; n];
        assert!(estimate(0, &runs(&all(35)), 0.9, Rule::Wilson).feasible);
        assert!(!estimate(0, &runs(&all(34)), 0.9, Rule::Wilson).feasible);
        // The interval reported is the 95% Wilson one.
        let e = estimate(0, &runs(&[true, false]), 0.5, Rule::Observed);
        assert_eq!(e.all_met, wilson(1, 2, 0.95));
        assert_eq!(e.met[0], e.all_met);
    }

    #[test]
    fn the_miss_is_the_relative_shortfall() {
        let c = [
            Objective::parse("a >= 100").unwrap(),
            Objective::parse("b <= 0").unwrap(),
        ];
        // a misses by 10 of 100 (0.1); b by 0.5 over a scale of 1 (0.5).
        let r = RunEval::new(0.0, vec![90.0, 0.5], &c);
        assert_eq!(r.met, [false, false]);
        assert!((r.miss - 0.6).abs() < 1e-12);
        assert_eq!(RunEval::new(0.0, vec![100.0, 0.0], &c).miss, 0.0);
    }

    fn est(candidate: usize, objective: f64, feasible: bool, deficit: f64, miss: f64) -> Estimate {
        Estimate {
            candidate,
            runs: 2,
            objective_mean: objective,
            value_means: vec![],
            met: vec![],
            all_met: wilson(2, 2, 0.95),
            miss_mean: miss,
            feasible,
            deficit,
        }
    }

    #[test]
    fn ranking_feasible_first_then_by_how_far_they_miss() {
        let mut e = vec![
            est(0, 10.0, false, 0.5, 0.1),
            est(1, 50.0, true, 0.0, 0.0),
            est(2, 20.0, true, 0.0, 0.0),
            est(3, 1.0, false, 0.5, 0.3),
            est(4, 5.0, false, 0.1, 2.0),
            est(5, 20.0, true, 0.0, 0.0),
        ];
        rank(&mut e);
        let order: Vec<usize> = e.iter().map(|e| e.candidate).collect();
        // Feasible by cost (2 and 5 tie: by index), then infeasible by
        // deficit (4), then by miss (0 before 3, though 3 is cheaper).
        assert_eq!(order, [2, 5, 1, 4, 0, 3]);
    }

    #[test]
    fn halving_keeps_the_fraction_and_grows_the_seeds() {
        assert_eq!(survivors(30, 0.33), 10);
        assert_eq!(survivors(10, 0.5), 5);
        assert_eq!(survivors(2, 0.33), 1);
        assert_eq!(survivors(1, 0.33), 1);
        assert_eq!(schedule(2, 8, 2), [2, 4, 8]);
        assert_eq!(schedule(2, 10, 3), [2, 6, 10]);
        assert_eq!(schedule(5, 5, 2), [5]);
    }
}
