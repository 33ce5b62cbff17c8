//! Drawing candidates from the variables' values: the whole grid, a
//! uniform random sample, or a Latin hypercube. A candidate is the index of
//! one value per variable. Pure functions of the sizes and a seed.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::file::Sample;
use crate::sim::rng::derive_seed;
use crate::sweep::expand;

/// Candidates for variables with `levels[v]` values each: `Grid` gives
/// every combination (first variable slowest); `Random` and
/// `LatinHypercube` give up to `n` distinct combinations in draw order
/// (all of the grid, in grid order, when it has no more than `n`).
pub fn candidates(kind: Sample, levels: &[usize], n: usize, seed: u64) -> Vec<Vec<usize>> {
    let total = levels.iter().try_fold(1usize, |acc, &l| acc.checked_mul(l));
    if kind == Sample::Grid || total.is_some_and(|t| t <= n) {
        return expand(levels);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(seed, "optimize/sample"));
    let mut out: Vec<Vec<usize>> = Vec::with_capacity(n);
    let push = |c: Vec<usize>, out: &mut Vec<Vec<usize>>| {
        if !out.contains(&c) {
            out.push(c);
        }
    };
    match kind {
        Sample::Random => {
            // Draws until n distinct ones (the grid has more than n, so
            // this ends; the bound only guards a pathological generator).
            let mut tries = 0usize;
            while out.len() < n && tries < n.saturating_mul(1000) {
                tries += 1;
                let c: Vec<usize> = levels.iter().map(|&l| rng.gen_range(0..l)).collect();
                push(c, &mut out);
            }
        }
        Sample::LatinHypercube => {
            for point in latin_hypercube(levels.len(), n, &mut rng) {
                push(to_levels(&point, levels), &mut out);
            }
        }
        Sample::Grid => unreachable!("handled above"),
    }
    out
}

/// `n` points of the unit cube `[0, 1)^dims` such that, on every
/// dimension, each of the `n` strata `[k/n, (k+1)/n)` holds exactly one
/// point (each point uniform within its stratum; the strata paired at
/// random across dimensions).
pub fn latin_hypercube(dims: usize, n: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    let columns: Vec<Vec<f64>> = (0..dims)
        .map(|_| {
            let mut strata: Vec<usize> = (0..n).collect();
            strata.shuffle(rng);
            strata
                .into_iter()
                .map(|k| {
                    let u: f64 = rng.gen();
                    (k as f64 + u) / n as f64
                })
                .collect()
        })
        .collect();
    (0..n)
        .map(|i| columns.iter().map(|c| c[i]).collect())
        .collect()
}

/// A point of the unit cube as a value index per variable: coordinate `u`
/// of a variable with `l` values is value `floor(u * l)`.
pub fn to_levels(point: &[f64], levels: &[usize]) -> Vec<usize> {
    point
        .iter()
        .zip(levels)
        .map(|(&u, &l)| ((u * l as f64) as usize).min(l - 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_every_combination_first_slowest() {
        let c = candidates(Sample::Grid, &[2, 3], 0, 1);
        assert_eq!(c, [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
    }

    #[test]
    fn random_gives_n_distinct_in_range_and_depends_on_the_seed() {
        let levels = [5, 7, 3];
        let a = candidates(Sample::Random, &levels, 20, 9);
        assert_eq!(a.len(), 20);
        for (i, c) in a.iter().enumerate() {
            assert!(c.iter().zip(&levels).all(|(x, l)| x < l), "{c:?}");
            assert!(!a[..i].contains(c), "repeated {c:?}");
        }
        assert_eq!(a, candidates(Sample::Random, &levels, 20, 9));
        assert_ne!(a, candidates(Sample::Random, &levels, 20, 10));
        // Asking for more than the grid gives the grid.
        assert_eq!(candidates(Sample::Random, &[2, 2], 10, 9).len(), 4);
    }

    #[test]
    fn latin_hypercube_has_one_point_per_stratum_per_dimension() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let n = 17;
        let pts = latin_hypercube(3, n, &mut rng);
        assert_eq!(pts.len(), n);
        for d in 0..3 {
            let mut strata: Vec<usize> = pts.iter().map(|p| (p[d] * n as f64) as usize).collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..n).collect::<Vec<_>>(), "dimension {d}");
        }
        // With as many values as candidates, every value of every
        // variable is drawn exactly once.
        let levels = [8, 8];
        let c = candidates(Sample::LatinHypercube, &levels, 8, 3);
        assert_eq!(c.len(), 8);
        for v in 0..2 {
            let mut seen: Vec<usize> = c.iter().map(|x| x[v]).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..8).collect::<Vec<_>>());
        }
        // With fewer values, each value gets its share of the strata
        // (16 points over 4 values: 4 each).
        let c = candidates(Sample::LatinHypercube, &[4, 1000], 16, 3);
        for value in 0..4 {
            assert_eq!(c.iter().filter(|x| x[0] == value).count(), 4);
        }
    }

    #[test]
    fn to_levels_maps_strata_to_values() {
        assert_eq!(to_levels(&[0.0, 0.999, 0.5], &[3, 3, 4]), [0, 2, 2]);
    }
}
