//! UTC calendar arithmetic for wall-clock inputs: start times, price and
//! trace timestamps, `registeredAt` queries, scheduled actions. Proleptic
//! Gregorian dates, Unix seconds.
//!
//! [`parse_instant`] reads every time a user writes (RFC 3339 with any
//! offset or fraction, as the AWS CLI prints them, and TOML datetimes) with
//! the `jiff` crate; the arithmetic below is the engine's own, on UTC.

/// Whether `year` has a 29 February.
pub fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1–12) of `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date (H. Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Unix seconds of a date and time, if they are a valid UTC instant.
pub fn epoch_seconds(year: i64, month: i64, day: i64, h: i64, m: i64, s: i64) -> Option<i64> {
    let month = u32::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
    let day = u32::try_from(day)
        .ok()
        .filter(|&d| d >= 1 && d <= days_in_month(year, month))?;
    if !(0..=23).contains(&h) || !(0..=59).contains(&m) || !(0..=59).contains(&s) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS`, optionally followed by `Z`
/// after the time, as UTC; returns seconds since the Unix epoch.
pub fn parse_utc_datetime(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let sep = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(b.len() == 10 || b.len() == 19 || (b.len() == 20 && sep(19, b'Z'))) {
        return None;
    }
    if !sep(4, b'-') || !sep(7, b'-') {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if b.len() == 10 {
        return epoch_seconds(year, month, day, 0, 0, 0);
    }
    if !sep(10, b'T') || !sep(13, b':') || !sep(16, b':') {
        return None;
    }
    let (h, m, sec) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    epoch_seconds(year, month, day, h, m, sec)
}

/// Unix seconds of a wall-clock instant as people, the AWS CLI and TOML
/// write it:
///
/// - RFC 3339 / ISO 8601 with an offset: `2026-03-02T00:00:00+00:00`,
///   `2026-03-02T00:00:00.000Z`, `2026-03-02T09:30:00+05:30`;
/// - a date and time without an offset, taken as UTC:
///   `2026-03-02T00:00:00`, `2026-03-02 00:00`;
/// - a date alone, midnight UTC: `2026-03-02`.
///
/// `T` or a space may separate date and time; seconds may be left out; a
/// fraction of a second is dropped (the instant is floored to the whole
/// second, so `…59.999Z` is still that second). Years 1 to 9999. `None`
/// when the text is not such a time (invalid dates such as `2023-02-29`
/// included).
pub fn parse_instant(s: &str) -> Option<i64> {
    let s = s.trim();
    // A plain number is not a time (jiff would read `2026` as nothing, but
    // say so explicitly); the shortest form is a date, `YYYY-MM-DD`.
    if s.len() < 10 || !s.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let stamp = match s.parse::<jiff::Timestamp>() {
        Ok(t) => t,
        // No offset: a civil date-time (or date), read as UTC. Only when
        // the text has no offset, so `+05:30` is never silently ignored.
        Err(_) if !has_offset(s) => s
            .parse::<jiff::civil::DateTime>()
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp(),
        Err(_) => return None,
    };
    if stamp.as_second() < -62_135_596_800 {
        return None; // before 0001-01-01
    }
    Some(stamp.as_millisecond().div_euclid(1000))
}

/// Whether the time part of `s` (after the date's ten characters) carries
/// an offset or a time-zone annotation.
fn has_offset(s: &str) -> bool {
    s.get(10..).is_some_and(|t| {
        t.contains(['Z', 'z', '+', '[']) || t.get(1..).is_some_and(|t| t.contains('-'))
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ` of Unix seconds (the inverse of
/// [`parse_utc_datetime`] for its long form).
pub fn format_utc(epoch_s: i64) -> String {
    let (y, m, d) = civil_from_days(epoch_s.div_euclid(86_400));
    let s = epoch_s.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_with_any_offset_or_fraction() {
        // 2026-03-02 is day 20,514: 1,772,409,600 s.
        let day = 20_514 * 86_400;
        for text in [
            "2026-03-02",
            "2026-03-02T00:00:00",
            "2026-03-02 00:00",
            "2026-03-02T00:00:00Z",
            "2026-03-02T00:00:00+00:00",
            "2026-03-02T00:00:00.000Z",
            "2026-03-02t00:00:00.000000000z",
            "2026-03-02T05:30:00+05:30",
            "2026-03-01T19:00:00-05:00",
            " 2026-03-02T00:00:00Z ",
        ] {
            assert_eq!(parse_instant(text), Some(day), "{text}");
        }
        // A fraction is floored to its second, also before 1970.
        assert_eq!(parse_instant("2026-03-02T00:00:00.999Z"), Some(day));
        assert_eq!(parse_instant("1969-12-31T23:59:59.5Z"), Some(-1));
        assert_eq!(parse_instant("2014-04-10 00:04:00"), Some(1_397_088_240));
        for bad in [
            "",
            "2026",
            "2026-02-29",
            "2026-03-02T24:00:01",
            "2026-13-01T00:00:00Z",
            "02/03/2026",
            "4294967295-07-01T00:00",
            "yesterday",
        ] {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
    }

    #[test]
    fn utc_text_round_trips() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        // 2026-11-26 is day 20,783; 10:05:03 is 36,303 s into it.
        assert_eq!(format_utc(20_783 * 86_400 + 36_303), "2026-11-26T10:05:03Z");
        assert_eq!(format_utc(-1), "1969-12-31T23:59:59Z");
        for t in ["2024-02-29T23:59:59Z", "2026-01-01T00:00:00Z"] {
            assert_eq!(format_utc(parse_utc_datetime(t).unwrap()), t);
        }
    }

    #[test]
    fn days_and_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2024, 3, 1), 19_783);
        for days in [-1000, -1, 0, 1, 19_783, 60_000, 84_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
    }

    #[test]
    fn utc_datetimes() {
        assert_eq!(parse_utc_datetime("1970-01-01"), Some(0));
        assert_eq!(
            parse_utc_datetime("2018-06-20T00:00:01Z"),
            Some(1_529_452_801)
        );
        assert_eq!(parse_utc_datetime("2023-02-29"), None);
        assert_eq!(parse_utc_datetime("2023-01-01T24:00:00"), None);
        assert_eq!(epoch_seconds(2024, 2, 30, 0, 0, 0), None);
    }
}
