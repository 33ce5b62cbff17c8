//! Scheduled scaling (ECS-MODEL A5): actions that set a service's min
//! and/or max at given times, on a one-off `at(...)`, a recurring
//! `cron(...)` or a `rate(...)` schedule, in UTC or an IANA time zone.
//!
//! This module owns [`Schedule`], the cron parser and matcher ([`Cron`]),
//! [`ScheduledAction`] and the parse errors ([`ScheduleError`], which name
//! the 1-based column of the problem). What an action does to the desired
//! count (raise to the new min, lower to the new max) is
//! [`crate::scaling::service::ServiceScaler::set_bounds`].
//!
//! # Supported expressions
//!
//! - `at(yyyy-mm-ddThh:mm:ss)`: once, at that time (in the action's time
//!   zone, else UTC); an RFC 3339 time with an offset or a fraction
//!   (`at(2026-03-02T09:00:00+01:00)`) is read as written.
//! - `rate(N minute(s)|hour(s)|day(s))`: every N units, counted from an
//!   anchor (the run's start; [`Schedule::anchored`]), the first one period
//!   after it.
//! - `cron(minutes hours day-of-month month day-of-week year)`, AWS's six
//!   fields, at minute resolution (the finest AWS allows):
//!
//!   | field | values | wildcards |
//!   |---|---|---|
//!   | minutes | 0–59 | `, - * /` |
//!   | hours | 0–23 | `, - * /` |
//!   | day-of-month | 1–31 | `, - * / ?`; whole field: `L` (last day), `LW` (last weekday), `nW` (weekday nearest day n, within the month) |
//!   | month | 1–12 or `JAN`–`DEC` | `, - * /` |
//!   | day-of-week | 1–7 or `SUN`–`SAT` (1 = Sunday) | `, - * / ?`; whole field: `d#k` (k-th day d of the month), `dL` (last day d), `L` (Saturday) |
//!   | year | 1970–2199 | `, - * /` |
//!
//!   Names are case-insensitive. `a-b` needs `a ≤ b` (no wrap-around);
//!   `x/n` starts at x (or the field's minimum for `*`) and steps by n up to
//!   the field's maximum, and `a-b/n` stays within the range. As in AWS,
//!   exactly one of day-of-month and day-of-week must be `?`.
//! - A time zone ([`Schedule::parse_in`], Application Auto Scaling's
//!   `Timezone`): the fields match the local wall clock (jiff's bundled tz
//!   database); a minute skipped by a spring-forward runs right after the
//!   gap, a minute repeated in the fall runs once, the first time.
//!
//! [`Schedule::next_after`] returns the first firing *strictly after* the
//! given instant, so an engine that fires an action at `t` asks for the
//! next one with `next_after(t)`; [`Schedule::first_at_or_after`] includes
//! the instant itself (for the start of a run). Instants are Unix epoch
//! seconds; a cron schedule has no firing after 2199 (its last year).
//!
//! A pure decider: parsing and date arithmetic only, no clock and no I/O.

use crate::sim::calendar::{civil_from_days, days_from_civil, days_in_month, parse_instant};
use std::fmt;

use super::ParamError;

/// Why a schedule expression is invalid: the 1-based column (in
/// characters) of the offending part, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ScheduleError {
    /// 1-based column of the problem in the expression.
    pub column: usize,
    /// What is wrong and what is expected.
    pub message: String,
}

fn error(column: usize, message: impl Into<String>) -> ScheduleError {
    ScheduleError {
        column,
        message: message.into(),
    }
}

/// When a scheduled action runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Once, at this Unix time in seconds (`at(...)`).
    At(i64),
    /// Whenever the cron expression matches (`cron(...)`).
    Cron(Cron),
    /// Every `every_s` seconds after `from` (Unix seconds; the run's start
    /// unless set with [`Schedule::anchored`]): `rate(5 minutes)`.
    Rate {
        /// The period in seconds.
        every_s: i64,
        /// The anchor: firings are `from + k × every_s`, k ≥ 1.
        from: i64,
    },
}

impl Schedule {
    /// Parses `at(yyyy-mm-ddThh:mm:ss)`, `cron(...)` or `rate(...)` (see
    /// the module docs), in UTC. Surrounding whitespace is ignored.
    pub fn parse(expr: &str) -> Result<Schedule, ScheduleError> {
        Schedule::parse_in(expr, None)
    }

    /// Like [`Schedule::parse`], with cron fields and an offset-less `at`
    /// time read in the IANA time zone `tz` (`Europe/Paris`), as
    /// Application Auto Scaling's `Timezone` does; `None` or `UTC` is UTC.
    /// An unknown zone is an error at column 1.
    pub fn parse_in(expr: &str, tz: Option<&str>) -> Result<Schedule, ScheduleError> {
        let tz = match tz {
            None | Some("UTC") | Some("Etc/UTC") => None,
            Some(name) => {
                jiff::tz::db().get(name).map_err(|_| {
                    error(
                        1,
                        format!("unknown time zone `{name}`; expected an IANA name such as Europe/Paris"),
                    )
                })?;
                Some(name.to_string())
            }
        };
        let lead = expr.len() - expr.trim_start().len();
        let body = expr.trim();
        let col = |byte: usize| column_of(expr, lead + byte);
        if let Some(inner) = body.strip_prefix("at(") {
            let Some(inner) = inner.strip_suffix(')') else {
                return Err(error(
                    col(body.len()),
                    "missing `)` at the end of `at(...)`",
                ));
            };
            return parse_at(inner, tz.as_deref())
                .map(Schedule::At)
                .ok_or_else(|| {
                    error(
                        col(3),
                        format!(
                            "invalid time `{inner}`; expected yyyy-mm-ddThh:mm:ss (UTC), \
                             e.g. at(2024-03-01T08:00:00)"
                        ),
                    )
                });
        }
        if body.starts_with("cron(") {
            return Cron::parse_at(expr, lead).map(|mut c| {
                c.tz = tz;
                Schedule::Cron(c)
            });
        }
        if let Some(inner) = body.strip_prefix("rate(") {
            let Some(inner) = inner.strip_suffix(')') else {
                return Err(error(
                    col(body.len()),
                    "missing `)` at the end of `rate(...)`",
                ));
            };
            return parse_rate(inner).ok_or_else(|| {
                error(
                    col(5),
                    format!(
                        "invalid rate `{inner}`; expected a whole number above 0 and \
                         minute(s), hour(s) or day(s), e.g. rate(5 minutes), rate(1 hour)"
                    ),
                )
            });
        }
        Err(error(
            col(0),
            "expected `cron(minutes hours day-of-month month day-of-week year)`, \
             `rate(5 minutes)` or `at(yyyy-mm-ddThh:mm:ss)`",
        ))
    }

    /// A `rate(...)` schedule counted from `from` (Unix seconds), e.g. the
    /// run's start or the action's `StartTime`; other schedules unchanged.
    pub fn anchored(self, from_epoch_s: i64) -> Schedule {
        match self {
            Schedule::Rate { every_s, .. } => Schedule::Rate {
                every_s,
                from: from_epoch_s,
            },
            other => other,
        }
    }

    /// The first firing strictly after `after_epoch_s` (Unix seconds), if
    /// any: an `at` time later than it, or the next matching minute of a
    /// cron expression.
    pub fn next_after(&self, after_epoch_s: i64) -> Option<i64> {
        match self {
            Schedule::At(t) => (*t > after_epoch_s).then_some(*t),
            Schedule::Cron(c) => c.next_after(after_epoch_s),
            Schedule::Rate { every_s, from } => {
                let k = if after_epoch_s < *from {
                    1
                } else {
                    (after_epoch_s - from).div_euclid(*every_s) + 1
                };
                from.checked_add(k.checked_mul(*every_s)?)
            }
        }
    }

    /// The first firing at or after `epoch_s`.
    pub fn first_at_or_after(&self, epoch_s: i64) -> Option<i64> {
        self.next_after(epoch_s.saturating_sub(1))
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::At(t) => {
                let (y, mo, d, h, mi, s) = civil_time(*t);
                write!(f, "at({y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02})")
            }
            Schedule::Cron(c) => c.fmt(f),
            Schedule::Rate { every_s, .. } => {
                let (n, unit) = match *every_s {
                    s if s % 86_400 == 0 => (s / 86_400, "day"),
                    s if s % 3600 == 0 => (s / 3600, "hour"),
                    s => (s / 60, "minute"),
                };
                let plural = if n == 1 { "" } else { "s" };
                write!(f, "rate({n} {unit}{plural})")
            }
        }
    }
}

/// A scheduled action: at each firing of `schedule`, the service's min
/// and/or max become these values (A5). Cooldowns do not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledAction {
    /// When it runs.
    pub schedule: Schedule,
    /// New `MinCapacity`, if it changes.
    pub min: Option<u32>,
    /// New `MaxCapacity`, if it changes.
    pub max: Option<u32>,
}

impl ScheduledAction {
    /// At least one of min and max; min ≤ max when both are given.
    pub fn validate(&self) -> Result<(), ParamError> {
        match (self.min, self.max) {
            (None, None) => Err(ParamError::new(
                "scalableTargetAction",
                "set at least one of min and max",
            )),
            (Some(min), Some(max)) if min > max => Err(ParamError::new(
                "scalableTargetAction",
                format!("min {min} is above max {max}"),
            )),
            _ => Ok(()),
        }
    }

    /// The first firing strictly after `after_epoch_s`.
    pub fn next_after(&self, after_epoch_s: i64) -> Option<i64> {
        self.schedule.next_after(after_epoch_s)
    }
}

// ---------------------------------------------------------------------------
// Cron
// ---------------------------------------------------------------------------

/// First and last year a cron expression can name (AWS's range).
pub const CRON_YEARS: (u32, u32) = (1970, 2199);

/// A set of small integers `lo..=lo+255` as a bitmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Bits {
    lo: u32,
    words: [u64; 4],
}

impl Bits {
    fn new(lo: u32) -> Bits {
        Bits { lo, words: [0; 4] }
    }

    fn insert(&mut self, v: u32) {
        let i = (v - self.lo) as usize;
        self.words[i / 64] |= 1 << (i % 64);
    }

    fn contains(&self, v: u32) -> bool {
        match v.checked_sub(self.lo) {
            Some(i) if i < 256 => self.words[i as usize / 64] & (1 << (i % 64)) != 0,
            _ => false,
        }
    }
}

/// A set of values 0–63 as a bitmap (bit v = value v).
type Mask = u64;

fn mask_of(bits: &Bits, spec: &FieldSpec) -> Mask {
    (spec.min..=spec.max)
        .filter(|&v| bits.contains(v))
        .fold(0, |m, v| m | (1 << v))
}

fn has(mask: Mask, v: u32) -> bool {
    v < 64 && mask & (1 << v) != 0
}

/// The day-of-month field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayOfMonth {
    /// `?`: days are chosen by day-of-week.
    NoSpecific,
    /// `L`: the last day of each month.
    Last,
    /// These days (1–31); a day a month lacks never matches.
    Days(Mask),
    /// `nW`: the weekday (Monday–Friday) nearest day n, within its month.
    NearestWeekday(u32),
    /// `LW`: the last weekday of the month.
    LastWeekday,
}

/// A day-of-week field other than `?` or a set of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WeekdayRule {
    /// `d#k`: the k-th (1–5) day d (1 = Sunday) of the month.
    Nth(u32, u32),
    /// `dL`: the last day d of the month.
    Last(u32),
}

/// A parsed AWS `cron(...)` expression (see the module docs for the
/// syntax), matched in UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    source: String,
    minutes: Mask,
    hours: Mask,
    day_of_month: DayOfMonth,
    months: Mask,
    /// 1 = Sunday … 7 = Saturday; `None` for `?` (or a rule).
    day_of_week: Option<Mask>,
    /// `#` or `L` in day-of-week.
    weekday_rule: Option<WeekdayRule>,
    years: Bits,
    /// IANA time zone the fields are read in; `None` = UTC.
    tz: Option<String>,
}

/// One of the six fields: name, range, and names for values.
struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTH_NAMES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: [FieldSpec; 6] = [
    FieldSpec {
        name: "minutes",
        min: 0,
        max: 59,
        names: &[],
    },
    FieldSpec {
        name: "hours",
        min: 0,
        max: 23,
        names: &[],
    },
    FieldSpec {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
    },
    FieldSpec {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTH_NAMES,
    },
    FieldSpec {
        name: "day-of-week",
        min: 1,
        max: 7,
        names: &DAY_NAMES,
    },
    FieldSpec {
        name: "year",
        min: CRON_YEARS.0,
        max: CRON_YEARS.1,
        names: &[],
    },
];

/// A parsed field before the day rules are checked.
enum Parsed {
    Question,
    Last,
    Set(Bits),
    NearestWeekday(u32),
    LastWeekday,
    Weekday(WeekdayRule),
}

impl Cron {
    /// Parses `cron(minutes hours day-of-month month day-of-week year)`;
    /// the `cron(` … `)` wrapper may be left out. Errors name the 1-based
    /// column in `expr`.
    pub fn parse(expr: &str) -> Result<Cron, ScheduleError> {
        Cron::parse_at(expr, 0)
    }

    /// Parses the expression starting at byte `start` of `full` (columns
    /// are counted in `full`).
    fn parse_at(full: &str, start: usize) -> Result<Cron, ScheduleError> {
        let rest = &full[start..];
        let trimmed_start = start + (rest.len() - rest.trim_start().len());
        let body = full[trimmed_start..].trim_end();
        let col = |byte: usize| column_of(full, byte);
        // Byte range of the six fields inside `full`.
        let (fields_start, fields) = if let Some(inner) = body.strip_prefix("cron(") {
            let Some(inner) = inner.strip_suffix(')') else {
                return Err(error(
                    col(trimmed_start + body.len()),
                    "missing `)` at the end of `cron(...)`",
                ));
            };
            (trimmed_start + 5, inner)
        } else {
            (trimmed_start, body)
        };
        let mut tokens: Vec<(usize, &str)> = Vec::with_capacity(6);
        let mut pos = 0;
        for tok in fields.split_whitespace() {
            let at = pos + fields[pos..].find(tok).unwrap_or(0);
            tokens.push((fields_start + at, tok));
            pos = at + tok.len();
        }
        if tokens.len() != 6 {
            let at = match tokens.get(6) {
                Some(&(at, _)) => at,
                None => fields_start + fields.len(),
            };
            return Err(error(
                col(at),
                format!(
                    "expected 6 fields (minutes hours day-of-month month day-of-week year), \
                     found {}",
                    tokens.len()
                ),
            ));
        }
        let mut parsed = Vec::with_capacity(6);
        for (i, &(at, tok)) in tokens.iter().enumerate() {
            parsed.push(parse_field(&FIELDS[i], i, tok, |off| col(at + off))?);
        }
        let dow_col = col(tokens[4].0);
        let Ok([minutes, hours, dom, months, dow, years]) = <[Parsed; 6]>::try_from(parsed) else {
            return Err(error(col(fields_start), "expected 6 fields"));
        };
        // Only the day fields can be `?` or `L` (parse_field rejects them
        // elsewhere).
        let set = |p: Parsed| match p {
            Parsed::Set(b) => b,
            _ => Bits::default(),
        };
        let day_of_month = match dom {
            Parsed::Question => DayOfMonth::NoSpecific,
            Parsed::Last => DayOfMonth::Last,
            Parsed::NearestWeekday(n) => DayOfMonth::NearestWeekday(n),
            Parsed::LastWeekday => DayOfMonth::LastWeekday,
            Parsed::Set(b) => DayOfMonth::Days(mask_of(&b, &FIELDS[2])),
            Parsed::Weekday(_) => DayOfMonth::NoSpecific,
        };
        let (day_of_week, weekday_rule) = match dow {
            Parsed::Set(b) => (Some(mask_of(&b, &FIELDS[4])), None),
            Parsed::Weekday(w) => (None, Some(w)),
            _ => (None, None),
        };
        let minutes = mask_of(&set(minutes), &FIELDS[0]);
        let hours = mask_of(&set(hours), &FIELDS[1]);
        let months = mask_of(&set(months), &FIELDS[3]);
        let years = set(years);
        match (
            day_of_month == DayOfMonth::NoSpecific,
            day_of_week.is_none() && weekday_rule.is_none(),
        ) {
            (true, true) => {
                return Err(error(
                    dow_col,
                    "day-of-month and day-of-week cannot both be `?`; set one of them",
                ))
            }
            (false, false) => {
                return Err(error(
                    dow_col,
                    "one of day-of-month and day-of-week must be `?` \
                     (e.g. `cron(0 8 * * ? *)` or `cron(0 8 ? * MON-FRI *)`)",
                ))
            }
            _ => {}
        }
        Ok(Cron {
            source: body.to_string(),
            minutes,
            hours,
            day_of_month,
            months,
            day_of_week,
            weekday_rule,
            years,
            tz: None,
        })
    }

    /// Whether the minute starting at Unix time `epoch_s` (seconds ignored)
    /// matches, in the expression's time zone.
    pub fn matches(&self, epoch_s: i64) -> bool {
        let wall = match &self.tz {
            Some(tz) => match to_wall(epoch_s, tz) {
                Some(w) => w,
                None => return false,
            },
            None => epoch_s,
        };
        let (y, mo, d, h, mi, _) = civil_time(wall);
        self.year_ok(y)
            && has(self.months, mo)
            && self.day_ok(y, mo, d)
            && has(self.hours, h)
            && has(self.minutes, mi)
    }

    /// The first matching minute strictly after `after_epoch_s` (Unix
    /// seconds), or `None` if there is none up to the end of 2199. In a
    /// time zone the fields match the local wall clock: a minute skipped
    /// by a spring-forward runs after the gap, a repeated one runs once.
    pub fn next_after(&self, after_epoch_s: i64) -> Option<i64> {
        let Some(tz) = &self.tz else {
            return self.next_wall_after(after_epoch_s);
        };
        let mut wall = to_wall(after_epoch_s, tz)?;
        loop {
            let m = self.next_wall_after(wall)?;
            let at = from_wall(m, tz)?;
            if at > after_epoch_s {
                return Some(at);
            }
            wall = m;
        }
    }

    /// [`Cron::next_after`] on wall-clock seconds (UTC arithmetic).
    fn next_wall_after(&self, after_epoch_s: i64) -> Option<i64> {
        // The first whole minute after `after_epoch_s`, no earlier than 1970.
        let mut t = (after_epoch_s.div_euclid(60) + 1).max(0) * 60;
        loop {
            let days = t.div_euclid(86_400);
            let (y, mo, d) = civil_from_days(days);
            let secs_of_day = t.rem_euclid(86_400);
            let (h, mi) = (
                (secs_of_day / 3600) as u32,
                ((secs_of_day / 60) % 60) as u32,
            );
            if y > i64::from(CRON_YEARS.1) {
                return None;
            }
            if !self.year_ok(y) {
                t = days_from_civil(y + 1, 1, 1) * 86_400;
            } else if !has(self.months, mo) {
                let (ny, nm) = if mo == 12 { (y + 1, 1) } else { (y, mo + 1) };
                t = days_from_civil(ny, nm, 1) * 86_400;
            } else if !self.day_ok(y, mo, d) {
                t = (days + 1) * 86_400;
            } else if !has(self.hours, h) {
                t = days * 86_400 + i64::from(h + 1) * 3600;
            } else if !has(self.minutes, mi) {
                t += 60;
            } else {
                return Some(t);
            }
        }
    }

    fn year_ok(&self, y: i64) -> bool {
        u32::try_from(y).is_ok_and(|y| self.years.contains(y))
    }

    fn day_ok(&self, y: i64, mo: u32, d: u32) -> bool {
        let last = days_in_month(y, mo);
        let wd = |day: u32| weekday(days_from_civil(y, mo, day));
        match (&self.day_of_month, &self.day_of_week, &self.weekday_rule) {
            (DayOfMonth::Last, _, _) => d == last,
            (DayOfMonth::Days(b), _, _) => has(*b, d),
            // 1 = Sunday, 7 = Saturday.
            (DayOfMonth::LastWeekday, _, _) => {
                d == match wd(last) {
                    7 => last - 1,
                    1 => last - 2,
                    _ => last,
                }
            }
            (DayOfMonth::NearestWeekday(n), _, _) => {
                *n <= last
                    && d == match wd(*n) {
                        7 if *n == 1 => 3,
                        7 => n - 1,
                        1 if *n == last => n - 2,
                        1 => n + 1,
                        _ => *n,
                    }
            }
            (DayOfMonth::NoSpecific, Some(w), _) => has(*w, wd(d)),
            (DayOfMonth::NoSpecific, None, Some(WeekdayRule::Nth(w, k))) => {
                wd(d) == *w && (d - 1) / 7 + 1 == *k
            }
            (DayOfMonth::NoSpecific, None, Some(WeekdayRule::Last(w))) => {
                wd(d) == *w && d + 7 > last
            }
            (DayOfMonth::NoSpecific, None, None) => false,
        }
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.source.starts_with("cron(") {
            f.write_str(&self.source)
        } else {
            write!(f, "cron({})", self.source)
        }
    }
}

/// Parses one field; `col(offset)` is the column of a byte offset in `tok`.
fn parse_field(
    spec: &FieldSpec,
    index: usize,
    tok: &str,
    col: impl Fn(usize) -> usize,
) -> Result<Parsed, ScheduleError> {
    let name = spec.name;
    let day_field = index == 2 || index == 4;
    if tok == "?" {
        return if day_field {
            Ok(Parsed::Question)
        } else {
            Err(error(
                col(0),
                format!("{name}: `?` is only allowed in day-of-month or day-of-week"),
            ))
        };
    }
    if tok.eq_ignore_ascii_case("L") && index == 2 {
        return Ok(Parsed::Last);
    }
    if index == 2 && tok.eq_ignore_ascii_case("LW") {
        return Ok(Parsed::LastWeekday);
    }
    // `nW`, `d#k` and `dL` are whole fields; in a list or range they are
    // reported below.
    let whole = !tok.contains([',', '-', '/']);
    if index == 2 && whole {
        if let Some(n) = tok.strip_suffix(['W', 'w']) {
            let v = value(spec, n, col(0))?;
            return Ok(Parsed::NearestWeekday(v));
        }
    }
    if index == 4 && whole {
        if let Some((d, k)) = tok.split_once('#') {
            let w = value(spec, d, col(0))?;
            let k = k
                .parse::<u32>()
                .ok()
                .filter(|k| (1..=5).contains(k))
                .ok_or_else(|| {
                    error(
                        col(d.len() + 1),
                        format!("{name}: `#{k}` must be 1 to 5 (the week of the month)"),
                    )
                })?;
            return Ok(Parsed::Weekday(WeekdayRule::Nth(w, k)));
        }
        let is_name = DAY_NAMES.iter().any(|n| n.eq_ignore_ascii_case(tok));
        if !is_name {
            if let Some(d) = tok.strip_suffix(['L', 'l']) {
                if d.is_empty() {
                    // `L` alone: the last day of the week, every Saturday.
                    let mut b = Bits::new(spec.min);
                    b.insert(7);
                    return Ok(Parsed::Set(b));
                }
                let w = value(spec, d, col(0))?;
                return Ok(Parsed::Weekday(WeekdayRule::Last(w)));
            }
        }
    }
    let mut bits = Bits::new(spec.min);
    let mut off = 0;
    for item in tok.split(',') {
        let c = |i: usize| col(off + i);
        if item.is_empty() {
            return Err(error(c(0), format!("{name}: empty list item")));
        }
        if let Some(i) = item.find(['W', 'w', '#', 'L', 'l', '?']) {
            let what = match &item[i..=i] {
                "W" | "w" if index == 2 => "`nW` (nearest weekday) must be the whole field",
                "W" | "w" => "`W` is only allowed in day-of-month",
                "#" if index == 4 => "`d#k` (k-th weekday d) must be the whole field",
                "#" => "`#` is only allowed in day-of-week",
                "?" => "`?` must be the whole field",
                _ if index == 2 => "`L` must be the whole day-of-month field",
                _ if index == 4 => "`dL` (last weekday d) must be the whole field",
                _ => "`L` is only allowed in day-of-month or day-of-week",
            };
            // Month and day names contain these letters (JUL, WED): reject
            // them only outside a name.
            let is_name = spec
                .names
                .iter()
                .any(|n| item.split(['-', '/']).any(|p| p.eq_ignore_ascii_case(n)));
            if !is_name {
                return Err(error(c(i), format!("{name}: {what}")));
            }
        }
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let s_col = c(r.len() + 1);
                let step: u32 = s.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                    error(
                        s_col,
                        format!("{name}: step `{s}` must be a whole number above 0"),
                    )
                })?;
                (r, Some(step))
            }
            None => (item, None),
        };
        let (lo, hi) = if range == "*" {
            (spec.min, spec.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let lo = value(spec, a, c(0))?;
            let hi = value(spec, b, c(a.len() + 1))?;
            if lo > hi {
                return Err(error(
                    c(0),
                    format!(
                        "{name}: range `{range}` runs backwards; write the smaller value first"
                    ),
                ));
            }
            (lo, hi)
        } else {
            let v = value(spec, range, c(0))?;
            // `x/n` runs from x to the field's maximum.
            (v, if step.is_some() { spec.max } else { v })
        };
        let step = step.unwrap_or(1);
        let mut v = lo;
        while v <= hi {
            bits.insert(v);
            v = match v.checked_add(step) {
                Some(n) => n,
                None => break,
            };
        }
        off += item.len() + 1;
    }
    Ok(Parsed::Set(bits))
}

/// A number or name of `spec`, in range.
fn value(spec: &FieldSpec, text: &str, column: usize) -> Result<u32, ScheduleError> {
    let name = spec.name;
    if let Some(i) = spec.names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        return Ok(spec.min + i as u32);
    }
    let Ok(v) = text.parse::<u32>() else {
        let expected = if spec.names.is_empty() {
            format!("a number {}-{}", spec.min, spec.max)
        } else {
            format!(
                "a number {}-{} or a name {}-{}",
                spec.min,
                spec.max,
                spec.names[0],
                spec.names[spec.names.len() - 1]
            )
        };
        return Err(error(
            column,
            format!("{name}: `{text}` is not a valid value; expected {expected}"),
        ));
    };
    if v < spec.min || v > spec.max {
        return Err(error(
            column,
            format!("{name}: {v} is out of range {}-{}", spec.min, spec.max),
        ));
    }
    Ok(v)
}

/// 1-based column (in characters) of byte offset `byte` of `s`.
fn column_of(s: &str, byte: usize) -> usize {
    let byte = byte.min(s.len());
    s.char_indices().take_while(|&(i, _)| i < byte).count() + 1
}

// ---------------------------------------------------------------------------
// UTC calendar arithmetic
// ---------------------------------------------------------------------------

/// The time of `at(...)` as Unix seconds: AWS's `yyyy-mm-ddThh:mm:ss`
/// (in `tz`, else UTC), or any RFC 3339 time with an offset or fraction
/// (see [`parse_instant`]). A date alone is not a time here.
fn parse_at(s: &str, tz: Option<&str>) -> Option<i64> {
    if s.trim().len() <= 10 {
        return None;
    }
    let utc = parse_instant(s)?;
    let has_offset = s.get(10..).is_some_and(|t| {
        t.contains(['Z', 'z', '+']) || t.get(1..).is_some_and(|t| t.contains('-'))
    });
    match tz {
        Some(name) if !has_offset => from_wall(utc, name),
        _ => Some(utc),
    }
}

/// `rate(N unit)`: N above 0, unit minute(s), hour(s) or day(s). The
/// anchor is set by [`Schedule::anchored`].
fn parse_rate(s: &str) -> Option<Schedule> {
    let mut parts = s.split_whitespace();
    let n: i64 = parts.next()?.parse().ok().filter(|&n| n > 0)?;
    let unit = match parts.next()? {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        _ => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(Schedule::Rate {
        every_s: n.checked_mul(unit)?,
        from: 0,
    })
}

/// Wall-clock seconds (the local date and time of `t` in zone `tz`, counted
/// as if it were UTC).
fn to_wall(t: i64, tz: &str) -> Option<i64> {
    let zone = jiff::tz::db().get(tz).ok()?;
    let dt = jiff::Timestamp::from_second(t)
        .ok()?
        .to_zoned(zone)
        .datetime();
    Some(
        dt.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_second(),
    )
}

/// The instant of wall-clock seconds `wall` in zone `tz`; a time in a
/// spring-forward gap is moved later by the gap, a repeated one in the fall
/// is the first (jiff's `compatible`, as AWS's schedulers do).
fn from_wall(wall: i64, tz: &str) -> Option<i64> {
    let zone = jiff::tz::db().get(tz).ok()?;
    let dt = jiff::Timestamp::from_second(wall)
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .datetime();
    Some(
        zone.to_ambiguous_zoned(dt)
            .compatible()
            .ok()?
            .timestamp()
            .as_second(),
    )
}

/// AWS day-of-week of a day number: 1 = Sunday … 7 = Saturday
/// (1970-01-01 was a Thursday, 5).
fn weekday(days: i64) -> u32 {
    ((days + 4).rem_euclid(7) + 1) as u32
}

/// (year, month, day, hour, minute, second) of Unix time `t`, UTC.
fn civil_time(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let (y, mo, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    (
        y,
        mo,
        d,
        (s / 3600) as u32,
        ((s / 60) % 60) as u32,
        (s % 60) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix seconds of a UTC date and time.
    fn utc(y: i64, mo: u32, d: u32, h: i64, mi: i64) -> i64 {
        days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60
    }

    fn cron(s: &str) -> Cron {
        Cron::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn calendar_helpers() {
        // Checked against `date -u -d '2024-03-01 08:00' +%s` etc.
        assert_eq!(utc(2024, 3, 1, 8, 0), 1_709_280_000);
        assert_eq!(utc(2024, 2, 29, 0, 0), 1_709_164_800);
        assert_eq!(utc(2000, 2, 29, 12, 34), 951_827_640);
        assert_eq!(utc(2199, 12, 31, 23, 59), 7_258_118_340);
        assert_eq!(utc(1970, 1, 1, 0, 0), 0);
        for days in [-1000, -1, 0, 1, 19_783, 60_000, 84_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        // 1970-01-01 Thursday = 5; 2024-03-01 Friday = 6; 2024-03-04 Monday = 2.
        assert_eq!(weekday(0), 5);
        assert_eq!(weekday(utc(2024, 3, 1, 0, 0) / 86_400), 6);
        assert_eq!(weekday(utc(2024, 3, 4, 0, 0) / 86_400), 2);
    }

    #[test]
    fn a5_daily_at_eight() {
        let c = cron("cron(0 8 * * ? *)");
        // 07:59 → 08:00 the same day.
        assert_eq!(
            c.next_after(utc(2024, 3, 1, 7, 59)),
            Some(utc(2024, 3, 1, 8, 0))
        );
        // Exactly 08:00 → strictly after → 08:00 the next day.
        assert_eq!(
            c.next_after(utc(2024, 3, 1, 8, 0)),
            Some(utc(2024, 3, 2, 8, 0))
        );
        // 07:59:59 → 08:00 (seconds count).
        assert_eq!(
            c.next_after(utc(2024, 3, 1, 7, 59) + 59),
            Some(utc(2024, 3, 1, 8, 0))
        );
        // Over a year end and a leap day.
        assert_eq!(
            c.next_after(utc(2023, 12, 31, 9, 0)),
            Some(utc(2024, 1, 1, 8, 0))
        );
        assert_eq!(
            c.next_after(utc(2024, 2, 28, 9, 0)),
            Some(utc(2024, 2, 29, 8, 0))
        );
        assert!(c.matches(utc(2024, 3, 1, 8, 0) + 30));
        assert!(!c.matches(utc(2024, 3, 1, 8, 1)));
    }

    #[test]
    fn a5_weekdays() {
        let c = cron("cron(0 9 ? * MON-FRI *)");
        // Friday 2024-03-01 10:00 → Monday 2024-03-04 09:00.
        assert_eq!(
            c.next_after(utc(2024, 3, 1, 10, 0)),
            Some(utc(2024, 3, 4, 9, 0))
        );
        // Friday 08:00 → Friday 09:00.
        assert_eq!(
            c.next_after(utc(2024, 3, 1, 8, 0)),
            Some(utc(2024, 3, 1, 9, 0))
        );
        // Numbers: 2-6 is MON-FRI (1 = SUN); names are case-insensitive.
        assert_eq!(
            cron("cron(0 9 ? * 2-6 *)").days_of_week_for_test(),
            c.days_of_week_for_test()
        );
        assert_eq!(
            cron("0 9 ? * mon-fri *").days_of_week_for_test(),
            c.days_of_week_for_test()
        );
        // Weekends only: Saturday 2024-03-02 and Sunday 2024-03-03.
        let w = cron("cron(30 18 ? * SAT,SUN *)");
        assert_eq!(
            w.next_after(utc(2024, 3, 1, 0, 0)),
            Some(utc(2024, 3, 2, 18, 30))
        );
        assert_eq!(
            w.next_after(utc(2024, 3, 2, 18, 30)),
            Some(utc(2024, 3, 3, 18, 30))
        );
    }

    #[test]
    fn a5_every_fifteen_minutes() {
        let c = cron("cron(*/15 * * * ? *)");
        assert_eq!(
            c.next_after(utc(2024, 3, 1, 10, 7)),
            Some(utc(2024, 3, 1, 10, 15))
        );
        assert_eq!(
            c.next_after(utc(2024, 3, 1, 10, 45)),
            Some(utc(2024, 3, 1, 11, 0))
        );
        // 5/20 → 5, 25, 45.
        let c = cron("cron(5/20 * * * ? *)");
        assert_eq!(
            c.next_after(utc(2024, 3, 1, 10, 25)),
            Some(utc(2024, 3, 1, 10, 45))
        );
        assert_eq!(
            c.next_after(utc(2024, 3, 1, 10, 45)),
            Some(utc(2024, 3, 1, 11, 5))
        );
        // A range with a step: 8-18/5 hours → 8, 13, 18.
        let c = cron("cron(0 8-18/5 * * ? *)");
        assert_eq!(
            c.next_after(utc(2024, 3, 1, 13, 0)),
            Some(utc(2024, 3, 1, 18, 0))
        );
        assert_eq!(
            c.next_after(utc(2024, 3, 1, 18, 0)),
            Some(utc(2024, 3, 2, 8, 0))
        );
    }

    #[test]
    fn a5_last_day_months_and_years() {
        let c = cron("cron(0 0 L * ? *)");
        assert_eq!(
            c.next_after(utc(2024, 2, 10, 0, 0)),
            Some(utc(2024, 2, 29, 0, 0))
        );
        assert_eq!(
            c.next_after(utc(2023, 2, 10, 0, 0)),
            Some(utc(2023, 2, 28, 0, 0))
        );
        assert_eq!(
            c.next_after(utc(2024, 4, 1, 0, 0)),
            Some(utc(2024, 4, 30, 0, 0))
        );
        // 1st and 15th of JAN and JUL, 2025 only.
        let c = cron("cron(0 12 1,15 JAN,JUL ? 2025)");
        assert_eq!(
            c.next_after(utc(2024, 6, 1, 0, 0)),
            Some(utc(2025, 1, 1, 12, 0))
        );
        assert_eq!(
            c.next_after(utc(2025, 1, 15, 12, 0)),
            Some(utc(2025, 7, 1, 12, 0))
        );
        assert_eq!(c.next_after(utc(2025, 7, 15, 12, 0)), None);
        // 31st only in months that have it: after 30 April → 31 May.
        let c = cron("cron(0 0 31 * ? *)");
        assert_eq!(
            c.next_after(utc(2024, 4, 1, 0, 0)),
            Some(utc(2024, 5, 31, 0, 0))
        );
        // Never: 30 February.
        assert_eq!(cron("cron(0 0 30 2 ? *)").next_after(0), None);
        // Before 1970 starts at 1970.
        assert_eq!(cron("cron(0 0 1 1 ? *)").next_after(-1_000_000), Some(0));
        // Nothing after 2199.
        assert_eq!(
            cron("cron(* * * * ? *)").next_after(utc(2199, 12, 31, 23, 59)),
            None
        );
    }

    #[test]
    fn a5_at_schedules() {
        let s = Schedule::parse("at(2024-03-01T08:00:00)").expect("valid");
        assert_eq!(s, Schedule::At(utc(2024, 3, 1, 8, 0)));
        assert_eq!(
            s.next_after(utc(2024, 3, 1, 7, 0)),
            Some(utc(2024, 3, 1, 8, 0))
        );
        assert_eq!(s.next_after(utc(2024, 3, 1, 8, 0)), None);
        assert_eq!(
            s.first_at_or_after(utc(2024, 3, 1, 8, 0)),
            Some(utc(2024, 3, 1, 8, 0))
        );
        assert_eq!(s.to_string(), "at(2024-03-01T08:00:00)");
        let c = Schedule::parse("  cron(0 8 * * ? *) ").expect("valid");
        assert_eq!(c.to_string(), "cron(0 8 * * ? *)");
        assert_eq!(
            c.first_at_or_after(utc(2024, 3, 1, 8, 0)),
            Some(utc(2024, 3, 1, 8, 0))
        );
        assert_eq!(cron("0 8 * * ? *").to_string(), "cron(0 8 * * ? *)");
    }

    #[test]
    fn a5_nearest_nth_and_last_weekdays() {
        // March 2026: the 1st is a Sunday, the 31st a Tuesday.
        let next = |expr: &str, after: i64| cron(expr).next_after(after);
        let start = utc(2026, 3, 1, 0, 0);
        // 15W: the 15th is a Sunday -> Monday 16th; 1W: Sunday 1st -> Monday 2nd.
        assert_eq!(next("0 8 15W * ? *", start), Some(utc(2026, 3, 16, 8, 0)));
        assert_eq!(next("0 8 1W * ? *", start - 1), Some(utc(2026, 3, 2, 8, 0)));
        // May 2026: the 31st is a Sunday -> 31W is Friday 29th; LW too.
        let may = utc(2026, 5, 1, 0, 0);
        assert_eq!(next("0 8 31W * ? *", may), Some(utc(2026, 5, 29, 8, 0)));
        assert_eq!(next("0 8 LW * ? *", may), Some(utc(2026, 5, 29, 8, 0)));
        // 2#1: first Monday of March is the 2nd; 6#3 third Friday the 20th.
        assert_eq!(next("0 6 ? * 2#1 *", start), Some(utc(2026, 3, 2, 6, 0)));
        assert_eq!(next("0 6 ? * FRI#3 *", start), Some(utc(2026, 3, 20, 6, 0)));
        // 6L: last Friday of March is the 27th; of April the 24th.
        assert_eq!(next("0 6 ? * 6L *", start), Some(utc(2026, 3, 27, 6, 0)));
        assert_eq!(
            next("0 6 ? * 6L *", utc(2026, 3, 27, 6, 0)),
            Some(utc(2026, 4, 24, 6, 0))
        );
        // L alone in day-of-week: every Saturday (7).
        assert_eq!(next("0 6 ? * L *", start), Some(utc(2026, 3, 7, 6, 0)));
        // 5#5 (fifth Thursday) skips months that have four.
        assert_eq!(next("0 6 ? * 5#5 *", start), Some(utc(2026, 4, 30, 6, 0)));
    }

    #[test]
    fn a5_rate_schedules() {
        let r = Schedule::parse("rate(5 minutes)").unwrap();
        assert_eq!(r.to_string(), "rate(5 minutes)");
        // Counted from the anchor (the run's start), first one period after.
        let r = r.anchored(1_000);
        assert_eq!(r.first_at_or_after(1_000), Some(1_300));
        assert_eq!(r.next_after(1_300), Some(1_600));
        assert_eq!(r.next_after(1_450), Some(1_600));
        assert_eq!(
            Schedule::parse("rate(1 day)").unwrap().to_string(),
            "rate(1 day)"
        );
        assert_eq!(
            Schedule::parse("rate(2 hours)")
                .unwrap()
                .anchored(0)
                .next_after(0),
            Some(7_200)
        );
    }

    #[test]
    fn a5_cron_and_at_in_a_time_zone() {
        // Europe/Paris is UTC+1 in winter, UTC+2 from 2026-03-29 01:00 UTC.
        let c = Schedule::parse_in("cron(0 8 * * ? *)", Some("Europe/Paris")).unwrap();
        assert_eq!(
            c.next_after(utc(2026, 3, 1, 0, 0)),
            Some(utc(2026, 3, 1, 7, 0))
        );
        assert_eq!(
            c.next_after(utc(2026, 3, 30, 0, 0)),
            Some(utc(2026, 3, 30, 6, 0))
        );
        // 02:30 does not exist on 2026-03-29 in Paris: it runs after the gap
        // (03:30 CEST = 01:30 UTC), once.
        let gap = Schedule::parse_in("cron(30 2 * * ? *)", Some("Europe/Paris")).unwrap();
        assert_eq!(
            gap.next_after(utc(2026, 3, 29, 0, 0)),
            Some(utc(2026, 3, 29, 1, 30))
        );
        assert_eq!(
            gap.next_after(utc(2026, 3, 29, 1, 30)),
            Some(utc(2026, 3, 30, 0, 30))
        );
        // 02:30 on 2026-10-25 happens twice in Paris: it runs once, the first.
        assert_eq!(
            gap.next_after(utc(2026, 10, 25, 0, 0)),
            Some(utc(2026, 10, 25, 0, 30))
        );
        assert_eq!(
            gap.next_after(utc(2026, 10, 25, 0, 30)),
            Some(utc(2026, 10, 26, 1, 30))
        );
        // at() without an offset is read in the zone; with one, as written.
        assert_eq!(
            Schedule::parse_in("at(2026-03-02T08:00:00)", Some("America/New_York")),
            Ok(Schedule::At(utc(2026, 3, 2, 13, 0)))
        );
        assert_eq!(
            Schedule::parse_in("at(2026-03-02T08:00:00Z)", Some("America/New_York")),
            Ok(Schedule::At(utc(2026, 3, 2, 8, 0)))
        );
        let e = Schedule::parse_in("cron(0 8 * * ? *)", Some("Mars/Olympus")).unwrap_err();
        assert!(e.message.contains("unknown time zone"), "{e}");
        // UTC by name is UTC.
        assert_eq!(
            Schedule::parse_in("cron(0 8 * * ? *)", Some("Etc/UTC")),
            Schedule::parse("cron(0 8 * * ? *)")
        );
    }

    #[test]
    fn a5_at_with_an_offset_or_a_fraction() {
        // ECS-MODEL A5: the same instant, however it is written.
        let eight = Schedule::At(utc(2024, 3, 1, 8, 0));
        for text in [
            "at(2024-03-01T08:00:00Z)",
            "at(2024-03-01T08:00:00.000Z)",
            "at(2024-03-01T09:00:00+01:00)",
            "at(2024-03-01T03:00:00-05:00)",
            "at(2024-03-01 08:00)",
        ] {
            assert_eq!(Schedule::parse(text), Ok(eight.clone()), "{text}");
        }
        for bad in ["at(2024-03-01)", "at(2024-02-30T08:00:00)", "at(tomorrow)"] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a5_invalid_expressions_name_the_column() {
        let cases = [
            // Columns:      123456789012345678901
            ("cron(60 8 * * ? *)", 6, "minutes: 60 is out of range 0-59"),
            ("cron(0 24 * * ? *)", 8, "hours: 24 is out of range 0-23"),
            (
                "cron(0 8 * * * *)",
                14,
                "one of day-of-month and day-of-week must be `?`",
            ),
            ("cron(0 8 ? * ? *)", 14, "cannot both be `?`"),
            ("cron(0 8 * * ?)", 15, "expected 6 fields"),
            ("cron(0 8 * * ? * 1)", 18, "found 7"),
            ("cron(0 8 * * ? *", 17, "missing `)`"),
            (
                "cron(0 8 * FOO ? *)",
                12,
                "month: `FOO` is not a valid value; expected a number 1-12 or a name JAN-DEC",
            ),
            ("cron(0 8 ? * MON-FOO *)", 18, "day-of-week: `FOO`"),
            ("cron(0 8 ? * FRI-MON *)", 14, "runs backwards"),
            (
                "cron(*/0 8 * * ? *)",
                8,
                "step `0` must be a whole number above 0",
            ),
            (
                "cron(0 8 1,15W * ? *)",
                14,
                "`nW` (nearest weekday) must be the whole field",
            ),
            (
                "cron(0 8 ? * 6#3,2 *)",
                15,
                "`d#k` (k-th weekday d) must be the whole field",
            ),
            ("cron(0 8 ? * 6#6 *)", 16, "must be 1 to 5"),
            (
                "cron(0 8 ? * 1,6L *)",
                17,
                "`dL` (last weekday d) must be the whole field",
            ),
            (
                "cron(0 8 15 * 2#1 *)",
                15,
                "one of day-of-month and day-of-week must be `?`",
            ),
            (
                "cron(0 8 1,L * ? *)",
                12,
                "`L` must be the whole day-of-month field",
            ),
            ("cron(0 ? * * ? *)", 8, "hours: `?` is only allowed"),
            (
                "cron(0 8 * * ? 1969)",
                16,
                "year: 1969 is out of range 1970-2199",
            ),
            ("cron(0 8 1,,2 * ? *)", 12, "day-of-month: empty list item"),
            (
                "cron(0 8 0 * ? *)",
                10,
                "day-of-month: 0 is out of range 1-31",
            ),
        ];
        for (expr, column, want) in cases {
            match Schedule::parse(expr) {
                Err(e) => {
                    assert!(e.message.contains(want), "{expr}: got `{e}`, want `{want}`");
                    assert_eq!(e.column, column, "{expr}: {e}");
                }
                Ok(s) => panic!("{expr} should be invalid, parsed as {s:?}"),
            }
        }
        let others = [
            (
                "at(2024-02-30T08:00:00)",
                4,
                "invalid time `2024-02-30T08:00:00`",
            ),
            // A date alone is not a time (AWS wants the time of day).
            ("at(2024-03-01)", 4, "expected yyyy-mm-ddThh:mm:ss"),
            ("rate(0 minutes)", 6, "invalid rate `0 minutes`"),
            ("rate(5 weeks)", 6, "minute(s), hour(s) or day(s)"),
            ("  every day", 3, "expected `cron("),
        ];
        for (expr, column, want) in others {
            let e = Schedule::parse(expr).expect_err(expr);
            assert!(e.message.contains(want), "{expr}: got `{e}`");
            assert_eq!(e.column, column, "{expr}: {e}");
            assert!(e.to_string().starts_with(&format!("column {column}: ")));
        }
    }

    #[test]
    fn scheduled_action_validation() {
        let at = Schedule::At(0);
        let action = |min, max| ScheduledAction {
            schedule: at.clone(),
            min,
            max,
        };
        assert!(action(Some(2), Some(10)).validate().is_ok());
        assert!(action(Some(2), None).validate().is_ok());
        assert!(action(None, Some(0)).validate().is_ok());
        assert!(action(None, None)
            .validate()
            .is_err_and(|e| e.message.contains("at least one")));
        assert!(action(Some(5), Some(4))
            .validate()
            .is_err_and(|e| e.message.contains("min 5 is above max 4")));
        assert_eq!(action(Some(1), None).next_after(-1), Some(0));
    }

    impl Cron {
        fn days_of_week_for_test(&self) -> Option<Mask> {
            self.day_of_week
        }
    }
}
