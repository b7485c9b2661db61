//! Unix seconds <-> ISO 8601 UTC text, for `token inspect` and the history APIs.
//!
//! Why no `chrono`/`time`: this crate is sans-IO and dependency-light, and all it
//! needs is UTC in one fixed format (no time zones, no leap
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

/// Parses `"YYYY-MM-DDTHH:MM:SSZ"` (fractional seconds and a `+00:00` offset
/// accepted; anything but UTC refused) into Unix seconds.
///
/// ```
/// use agora_rtm_rest_protocol::token::parse_iso8601_utc;
/// assert_eq!(parse_iso8601_utc("2019-08-01T01:22:10Z"), Some(1_564_622_530));
/// assert_eq!(parse_iso8601_utc("2019-08-01T01:22:10.5+00:00"), Some(1_564_622_530));
/// assert_eq!(parse_iso8601_utc("2019-08-01T01:22:10+02:00"), None);
/// assert_eq!(parse_iso8601_utc("2019-02-30T00:00:00Z"), None);
/// ```
pub fn parse_iso8601_utc(text: &str) -> Option<u64> {
    let text = text.trim();
    let body = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix('z'))
        .or_else(|| text.strip_suffix("+00:00"))?;
    let (date, time) = body.split_once(['T', 't', ' '])?;
    let mut d = date.splitn(3, '-');
    let (y, m, day): (u64, u64, u64) = (num(d.next()?, 4)?, num(d.next()?, 2)?, num(d.next()?, 2)?);
    let time = time.split_once('.').map_or(time, |(whole, frac)| {
        if frac.chars().all(|c| c.is_ascii_digit()) && !frac.is_empty() {
            whole
        } else {
            "invalid"
        }
    });
    let mut t = time.splitn(3, ':');
    let (hh, mm, ss): (u64, u64, u64) =
        (num(t.next()?, 2)?, num(t.next()?, 2)?, num(t.next()?, 2)?);
    if !(1..=12).contains(&m) || day == 0 || hh > 23 || mm > 59 || ss > 59 || y < 1970 {
        return None;
    }
    let days = days_from_civil(y, m, day);
    // Reject dates like Feb 30th: they do not round-trip.
    if civil_from_days(days) != (y, m, day) {
        return None;
    }
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

fn num(text: &str, digits: usize) -> Option<u64> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// (year, month, day) -> days since 1970-01-01 (Hinnant's `days_from_civil`).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
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
    fn parse_round_trips() {
        for secs in [
            0,
            951_782_400,
            1_446_455_471,
            1_709_164_800,
            4_102_444_800,
            253_402_300_799,
        ] {
            assert_eq!(parse_iso8601_utc(&iso8601_utc(secs)), Some(secs));
        }
        for bad in [
            "",
            "2019-08-01",
            "2019-8-01T01:22:10Z",
            "2019-08-01T24:00:00Z",
            "2019-08-01T01:22:10",
            "2019-08-01T01:22:10.Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(parse_iso8601_utc(bad), None, "{bad}");
        }
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
