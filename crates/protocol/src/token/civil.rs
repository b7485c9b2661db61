//! Unix seconds -> ISO 8601 UTC text, for `token inspect`.
//!
//! Why no `chrono`/`time`: this crate is sans-IO and dependency-light, and all it
//! needs is one formatting direction for UTC (no time zones, no parsing, no leap
//! seconds, which Unix time ignores anyway). Howard Hinnant's public-domain
//! `civil_from_days` does it in a dozen integer operations.

/// Formats Unix seconds as `"YYYY-MM-DDTHH:MM:SSZ"` (UTC).
///
/// ```
/// use agora_rtm_rest_protocol::token::iso8601_utc;
/// assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00Z");
/// assert_eq!(iso8601_utc(1_767_225_600), "2026-01-01T00:00:00Z");
/// ```
pub fn iso8601_utc(unix_secs: u64) -> String {
    let days = unix_secs / 86_400;
    let rem = unix_secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 -> (year, month 1..=12, day 1..=31), proleptic Gregorian.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z / 146_097; // 400-year eras
    let doe = z - era * 146_097; // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year from March 1st
    let mp = (5 * doy + 2) / 153; // month from March, 0..=11
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_utc(1_111_111), "1970-01-13T20:38:31Z");
        assert_eq!(iso8601_utc(1_446_455_471), "2015-11-02T09:11:11Z");
        assert_eq!(iso8601_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_utc(951_868_799), "2000-02-29T23:59:59Z");
        assert_eq!(iso8601_utc(1_709_164_800), "2024-02-29T00:00:00Z");
        assert_eq!(iso8601_utc(4_102_444_800), "2100-01-01T00:00:00Z");
        assert_eq!(iso8601_utc(u64::from(u32::MAX)), "2106-02-07T06:28:15Z");
        // never panics, even far out
        let _ = iso8601_utc(u64::MAX);
    }

    #[test]
    fn every_day_is_consecutive() {
        // walk 200 years day by day and check the calendar never skips or repeats
        let mut prev = civil_from_days(0);
        for day in 1..(200 * 366) {
            let cur = civil_from_days(day);
            let ok = (cur.0 == prev.0 && cur.1 == prev.1 && cur.2 == prev.2 + 1)
                || (cur.0 == prev.0 && cur.1 == prev.1 + 1 && cur.2 == 1)
                || (cur.0 == prev.0 + 1
                    && cur.1 == 1
                    && cur.2 == 1
                    && prev.1 == 12
                    && prev.2 == 31);
            assert!(ok, "{prev:?} -> {cur:?}");
            prev = cur;
        }
    }
}
