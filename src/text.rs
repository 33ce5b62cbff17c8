//! Small text helpers shared by the parsers and error messages: edit distance
//! and "did you mean …?" suggestions for mistyped names (instance types,
//! attribute names, policy names, …); and numbers written as `{}` and
//! `{:.N}` write them, without the formatter (the output tables write
//! millions).
//!
//! Plain functions over `&str`, no dependencies. Distances count Unicode
//! scalar values (`char`s), not bytes.

use std::io::Write as _;

/// Edit distance between `a` and `b`, counted in `char`s: the least number
/// of single-character insertions, deletions, substitutions and swaps of two
/// adjacent characters that turn `a` into `b` (optimal string alignment).
/// Case-sensitive.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() {
        return b.len();
    }
    if b.is_empty() {
        return a.len();
    }
    // Three-row dynamic programme (optimal string alignment): `prev[j]` is
    // the distance between the first i-1 chars of `a` and the first j of `b`,
    // `prev2` the row before; an adjacent transposition costs one edit.
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != cb);
            let deletion = prev[j + 1] + 1;
            let insertion = cur[j] + 1;
            let mut best = substitution.min(deletion).min(insertion);
            if i > 0 && j > 0 && ca == b[j - 1] && a[i - 1] == cb {
                best = best.min(prev2[j - 1] + 1);
            }
            cur[j + 1] = best;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `word` when it is plausibly a typo of it, for
/// "did you mean …?" messages.
///
/// Comparison is case-insensitive. A candidate qualifies when its edit
/// distance to `word` is at most `max(1, chars(word) / 3)`; among those the
/// smallest distance wins, ties going to the first in iteration order.
/// Returns `None` when no candidate is close enough.
pub fn closest<'a, I: IntoIterator<Item = &'a str>>(word: &str, candidates: I) -> Option<&'a str> {
    let needle = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let d = edit_distance(&needle, &candidate.to_lowercase());
        if d > limit {
            continue;
        }
        match best {
            Some((best_d, _)) if best_d <= d => {}
            _ => best = Some((d, candidate)),
        }
    }
    best.map(|(_, c)| c)
}

/// The two-digit numbers "00" to "99", end to end: numbers are written
/// two digits at a time, halving the divisions.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The two digits of `n` (< 100).
#[inline]
fn pair(n: u64) -> [u8; 2] {
    let i = 2 * n as usize;
    [PAIRS[i], PAIRS[i + 1]]
}

/// Room for a number's text with a separator before it: a `u64` has at most
/// 20 digits, a time 20 + 4 characters.
pub const STAGE: usize = 32;

/// Appends the first `len` bytes of `bytes` by copying all `N` of them and
/// dropping the rest: a copy whose size is known when compiled is a few
/// register moves, where a copy of `len` bytes is a call to `memcpy`.
#[inline]
pub fn push_prefix<const N: usize>(out: &mut Vec<u8>, bytes: &[u8; N], len: usize) {
    debug_assert!(len <= N);
    out.extend_from_slice(bytes);
    out.truncate(out.len() - N + len);
}

/// Writes `n` in decimal into `stage` from `at` (at most 12); returns where
/// its digits end.
#[inline]
pub fn decimal_into(stage: &mut [u8; STAGE], at: usize, n: u64) -> usize {
    let end = at.min(12) + n.checked_ilog10().map_or(1, |l| l as usize + 1);
    let (mut i, mut n) = (end, n);
    while n >= 100 {
        i -= 2;
        stage[i..i + 2].copy_from_slice(&pair(n % 100));
        n /= 100;
    }
    if n >= 10 {
        stage[i - 2..i].copy_from_slice(&pair(n));
    } else {
        stage[i - 1] = b'0' + n as u8;
    }
    end
}

/// Writes `ms` milliseconds into `stage` from `at` (at most 8) as
/// [`push_millis`] does; returns where the text ends.
#[inline]
pub fn millis_into(stage: &mut [u8; STAGE], at: usize, ms: u64) -> usize {
    let end = decimal_into(stage, at.min(8), ms / 1000);
    let frac = ms % 1000;
    let [a, b] = pair(frac % 100);
    stage[end..end + 4].copy_from_slice(&[b'.', b'0' + (frac / 100) as u8, a, b]);
    end + 4
}

/// Appends `n` in decimal (what `{}` writes, without the formatter).
pub fn push_u64(out: &mut Vec<u8>, n: u64) {
    let mut stage = [0u8; STAGE];
    let len = decimal_into(&mut stage, 0, n);
    push_prefix(out, &stage, len);
}

/// Writes `n` (< 10^width) with leading zeros to `width` digits (at most
/// 20) into `stage` from `at` (at most 12); returns where they end.
#[inline]
pub fn padded_into(stage: &mut [u8; STAGE], at: usize, n: u64, width: usize) -> usize {
    let (at, width) = (at.min(12), width.min(20));
    let mut n = n;
    let mut i = at + width;
    while i >= at + 2 {
        i -= 2;
        stage[i..i + 2].copy_from_slice(&pair(n % 100));
        n /= 100;
    }
    if i > at {
        stage[at] = b'0' + (n % 10) as u8;
    }
    at + width
}

/// Appends `n` (< 10^width) with leading zeros to `width` digits.
pub fn push_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut stage = [0u8; STAGE];
    let len = padded_into(&mut stage, 0, n, width);
    push_prefix(out, &stage, len);
}

/// Appends `ms` milliseconds as seconds with three decimals (what
/// `{}.{:03}` writes of `ms / 1000` and `ms % 1000`).
pub fn push_millis(out: &mut Vec<u8>, ms: u64) {
    let mut stage = [0u8; STAGE];
    let len = millis_into(&mut stage, 0, ms);
    push_prefix(out, &stage, len);
}

/// Appends `x` with `decimals` digits after the point, exactly as Rust's
/// `{:.N}` writes it. Most values of a run's tables take the fast path:
/// `|x| × 10^N` is below 10^9, where the product's rounding error is under
/// 10^-7, so unless its fraction lies within 10^-6 of one half, rounding it
/// gives the same integer as rounding the exact decimal value (which is
/// what `{:.N}` does). Everything else — near-ties, large values, NaN,
/// infinities — goes through the formatter.
pub fn push_fixed(out: &mut Vec<u8>, decimals: u8, x: f64) {
    let mut stage = [0u8; STAGE];
    match fixed_into(&mut stage, 0, decimals, x) {
        Some(len) => push_prefix(out, &stage, len),
        None => {
            let d = usize::from(decimals);
            let _ = write!(out, "{x:.d$}");
        }
    }
}

/// [`push_fixed`]'s fast path: writes `x` into `stage` from `at` (no
/// more than one) and returns where it ends, or `None` where the
/// formatter must write it instead.
#[inline]
pub fn fixed_into(stage: &mut [u8; STAGE], at: usize, decimals: u8, x: f64) -> Option<usize> {
    const POW: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
    let d = usize::from(decimals);
    if d >= POW.len() || !x.is_finite() {
        return None;
    }
    let scaled = x.abs() * POW[d];
    if scaled >= 1e9 || (scaled - scaled.floor() - 0.5).abs() <= 1e-6 {
        return None;
    }
    // Below 10^9: a sign, nine digits, a point and nine decimals fit.
    let n = scaled.round() as u64;
    let mut at = at.min(1);
    if x.is_sign_negative() {
        stage[at] = b'-';
        at += 1;
    }
    let unit = 10u64.pow(decimals.into());
    let end = decimal_into(stage, at, n / unit);
    if d == 0 {
        return Some(end);
    }
    stage[end] = b'.';
    Some(padded_into(stage, end + 1, n % unit, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Integers two digits at a time, against the formatter: every
    /// number of up to five digits, each power of ten and its neighbours,
    /// and the largest.
    #[test]
    fn integers_padding_and_millis_match_the_formatter() {
        let mut edges: Vec<u64> = (0..100_000).collect();
        for k in 0..20 {
            let p = 10u64.pow(k);
            edges.extend([p - 1, p, p + 1, p.saturating_mul(3).saturating_add(7)]);
        }
        edges.extend([u64::MAX - 1, u64::MAX, 86_400_000, 2_592_000_123]);
        for &n in &edges {
            let mut s = Vec::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string().as_bytes(), "{n}");
            let mut t = Vec::new();
            push_millis(&mut t, n);
            assert_eq!(t, format!("{}.{:03}", n / 1000, n % 1000).as_bytes());
            for width in 1..=20usize {
                if width < 20 && n >= 10u64.pow(width as u32) {
                    continue;
                }
                let mut p = Vec::new();
                push_padded(&mut p, n, width);
                assert_eq!(p, format!("{n:0width$}").as_bytes(), "{n} in {width}");
            }
        }
    }

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("flaw", "lawn"), 2);
        // A swap of adjacent characters is one edit.
        assert_eq!(edit_distance("xlarge", "xlrage"), 1);
        assert_eq!(edit_distance("web", "wbe"), 1);
        // Case-sensitive.
        assert_eq!(edit_distance("A", "a"), 1);
    }

    #[test]
    fn edit_distance_is_symmetric() {
        for (a, b) in [
            ("m6i.xlarge", "m6i.xlrage"),
            ("binpack", "spread"),
            ("", "x"),
        ] {
            assert_eq!(edit_distance(a, b), edit_distance(b, a));
        }
    }

    #[test]
    fn edit_distance_counts_chars_not_bytes() {
        // 'é' is two bytes in UTF-8 but one char.
        assert_eq!(edit_distance("café", "cafe"), 1);
        assert_eq!(edit_distance("é", ""), 1);
    }

    #[test]
    fn closest_finds_typo() {
        let names = ["m6i.large", "m6i.xlarge", "m6i.2xlarge"];
        assert_eq!(closest("m6i.xlrage", names), Some("m6i.xlarge"));
        assert_eq!(closest("m6i.larg", names), Some("m6i.large"));
    }

    #[test]
    fn closest_exact_match_wins() {
        assert_eq!(
            closest("spread", ["binpack", "spread", "random"]),
            Some("spread")
        );
    }

    #[test]
    fn closest_is_case_insensitive_and_returns_candidate_spelling() {
        assert_eq!(closest("BINPACK", ["binpack", "spread"]), Some("binpack"));
        assert_eq!(closest("spread", ["Spread"]), Some("Spread"));
    }

    #[test]
    fn closest_rejects_distant_words() {
        assert_eq!(closest("zzzz", ["m6i.large", "c5.large", "t3.micro"]), None);
        assert_eq!(closest("anything", std::iter::empty::<&str>()), None);
    }

    #[test]
    fn closest_threshold() {
        // 6 chars: limit 6/3 = 2 edits.
        assert_eq!(closest("abcdef", ["abcdxy"]), Some("abcdxy"));
        assert_eq!(closest("abcdef", ["abcxyz"]), None);
        // Short words still allow one edit: max(1, 2/3 = 0) = 1.
        assert_eq!(closest("ab", ["ac"]), Some("ac"));
        assert_eq!(closest("ab", ["cd"]), None);
    }

    #[test]
    fn closest_ties_go_to_first() {
        assert_eq!(closest("abc", ["abx", "aby"]), Some("abx"));
        assert_eq!(closest("abc", ["aby", "abx"]), Some("aby"));
        // A strictly better later candidate still wins.
        assert_eq!(closest("abcdef", ["abcdxy", "abcdex"]), Some("abcdex"));
    }
}
