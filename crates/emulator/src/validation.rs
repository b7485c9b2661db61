//! The service's input rules for messages and history (SPEC sections 4-5),
//! checked independently of the client: user ids and channel names, payloads
//! and the legacy history API's UTC times.

/// The longest user id or channel name, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 64;

/// The largest payload, in bytes of UTF-8.
pub(crate) const MAX_PAYLOAD_BYTES: usize = 32 * 1024;

/// The punctuation allowed in user ids and channel names (besides ASCII
/// letters and digits): `` !#$%&()+-:;<=.>?@[]^_{}|~,'``.
const NAME_PUNCTUATION: &str = " !#$%&()+-:;<=.>?@[]^_{}|~,'";

/// Checks a user id or channel name: 1 to [`MAX_NAME_CHARS`] characters from
/// the allowed set, no leading or trailing space. The error says why.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || NAME_PUNCTUATION.contains(*c)))
    {
        return Err(format!("character {bad:?} is not allowed"));
    }
    // Every allowed character is ASCII, so bytes are characters here.
    if name.len() > MAX_NAME_CHARS {
        return Err(format!(
            "longer than {MAX_NAME_CHARS} characters ({})",
            name.len()
        ));
    }
    if name.starts_with(' ') || name.ends_with(' ') {
        return Err("must not start or end with a space".into());
    }
    Ok(())
}

/// Checks a message payload: non-empty, at most [`MAX_PAYLOAD_BYTES`] bytes.
pub(crate) fn check_payload(payload: &str) -> Result<(), String> {
    if payload.is_empty() {
        return Err("must not be empty".into());
    }
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(format!(
            "{} bytes is more than the {MAX_PAYLOAD_BYTES} allowed",
            payload.len()
        ));
    }
    Ok(())
}

/// Parses a UTC ISO-8601 time `YYYY-MM-DDTHH:MM:SS[.fraction]Z` into Unix
/// seconds (the fraction is dropped: the service works in whole seconds).
/// Years 0000 to 9999; no offsets other than `Z`, no leap second.
pub(crate) fn parse_utc_seconds(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not a UTC time like 2019-08-01T01:22:10Z");
    let body = text.strip_suffix('Z').ok_or_else(bad)?;
    let (main, fraction) = match body.split_once('.') {
        Some((main, fraction)) => (main, Some(fraction)),
        None => (body, None),
    };
    if let Some(fraction) = fraction
        && (fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    let bytes = main.as_bytes();
    let shape_ok = bytes.len() == 19
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| -> Result<i64, String> {
        main.get(range)
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(bad)
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(bad());
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// public-domain `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // 0..=399
    let mp = (month + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + day - 1; // 0..=365
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // 0..=146096
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_rtm_rest_protocol::token::iso8601_utc;

    #[test]
    fn names() {
        for ok in [
            "a",
            "user-1",
            "A b",
            "!#$%&()+-:;<=.>?@[]^_{}|~,'",
            &"x".repeat(64),
        ] {
            assert_eq!(check_name(ok), Ok(()), "{ok:?}");
        }
        for bad in [
            "",
            " a",
            "a ",
            " ",
            "a/b",
            "a\"b",
            "a*b",
            "a\\b",
            "a`b",
            "é",
            "a\tb",
            &"x".repeat(65),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn payloads() {
        assert!(check_payload("").is_err());
        assert!(check_payload("x").is_ok());
        assert!(check_payload(&"x".repeat(MAX_PAYLOAD_BYTES)).is_ok());
        assert!(check_payload(&"x".repeat(MAX_PAYLOAD_BYTES + 1)).is_err());
        // Bytes, not characters.
        assert!(check_payload(&"é".repeat(MAX_PAYLOAD_BYTES / 2 + 1)).is_err());
    }

    #[test]
    fn utc_times_round_trip() {
        for secs in [
            0u64,
            1_111_111,
            951_782_400,
            951_868_799,
            1_564_622_530,
            1_709_164_800,
            4_102_444_800,
        ] {
            let text = iso8601_utc(secs);
            assert_eq!(parse_utc_seconds(&text), Ok(secs as i64), "{text}");
        }
        assert_eq!(
            parse_utc_seconds("2019-08-01T01:22:10.999Z"),
            Ok(1_564_622_530)
        );
        assert_eq!(parse_utc_seconds("1969-12-31T23:59:59Z"), Ok(-1));
    }

    #[test]
    fn bad_utc_times() {
        for bad in [
            "",
            "2019-08-01T01:22:10",
            "2019-08-01 01:22:10Z",
            "2019-08-01T01:22:10+00:00",
            "2019-8-01T01:22:10Z",
            "2019-13-01T01:22:10Z",
            "2019-02-29T01:22:10Z",
            "2019-04-31T00:00:00Z",
            "2019-08-01T24:00:00Z",
            "2019-08-01T23:60:00Z",
            "2019-08-01T23:59:60Z",
            "2019-08-01T01:22:10.Z",
            "2019-08-01T01:22:10.1aZ",
            "+019-08-01T01:22:10Z",
            "2019-08-01T01:22:10z",
            "２019-08-01T01:22:10Z",
        ] {
            assert!(parse_utc_seconds(bad).is_err(), "{bad:?}");
        }
        assert!(parse_utc_seconds("2020-02-29T00:00:00Z").is_ok());
    }
}
