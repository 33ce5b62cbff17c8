//! UTC calendar arithmetic for wall-clock inputs: start times, price and
//! trace timestamps, `registeredAt` queries, scheduled actions. Proleptic
//! Gregorian dates, Unix seconds, no time zones.

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
