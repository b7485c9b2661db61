//! Input rules of the messaging and history APIs (SPEC sections 4-6), checked
//! before any request is sent. A broken rule is an [`Error::InvalidInput`] naming
//! the field and the rule.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::error::Error;

/// Longest user id or channel name, in characters.
pub const MAX_ID_CHARS: usize = 64;

/// Largest message payload, in bytes of UTF-8 (32 KB).
pub const MAX_PAYLOAD_BYTES: usize = 32 * 1024;

/// The punctuation allowed in user ids and channel names, besides ASCII letters
/// and digits (the space is allowed inside, never at either end).
pub const ID_PUNCTUATION: &str = " !#$%&()+-:;<=.>?@[]^_{}|~,'";

/// Characters percent-encoded in a path segment: everything the id alphabet
/// allows that is not safe in a path (`/` is never in an id but a history handle
/// could carry one).
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Characters percent-encoded in a query value (the path set plus the query's
/// own delimiters).
const QUERY_VALUE: &AsciiSet = &PATH_SEGMENT.add(b'&').add(b'+').add(b'=').add(b';');

/// Percent-encodes `segment` for use as one path segment.
///
/// ```
/// use agora_rtm_rest_protocol::validate::encode_path_segment;
/// assert_eq!(encode_path_segment("a b#c?"), "a%20b%23c%3F");
/// assert_eq!(encode_path_segment("user-1"), "user-1");
/// ```
pub fn encode_path_segment(segment: &str) -> String {
    utf8_percent_encode(segment, PATH_SEGMENT).to_string()
}

/// Percent-encodes `value` for use as a query parameter value.
///
/// ```
/// use agora_rtm_rest_protocol::validate::encode_query_value;
/// assert_eq!(encode_query_value("a&b=c+d"), "a%26b%3Dc%2Bd");
/// ```
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Checks a user id or channel name: 1-64 characters from `a-zA-Z0-9` and
/// [`ID_PUNCTUATION`], no leading or trailing space.
///
/// ```
/// use agora_rtm_rest_protocol::validate::validate_id;
/// assert!(validate_id("to", "user-1").is_ok());
/// let e = validate_id("to", " user").unwrap_err();
/// assert_eq!(e.to_string(), "invalid to: must not start or end with a space");
/// assert!(validate_id("to", "naïve").is_err());
/// ```
pub fn validate_id(field: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid_input(field, "must not be empty"));
    }
    let chars = value.chars().count();
    if chars > MAX_ID_CHARS {
        return Err(Error::invalid_input(
            field,
            format!("must be at most {MAX_ID_CHARS} characters, got {chars}"),
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && !ID_PUNCTUATION.contains(*c))
    {
        return Err(Error::invalid_input(
            field,
            format!(
                "character {bad:?} is not allowed (letters, digits and {ID_PUNCTUATION:?} only)"
            ),
        ));
    }
    if value.starts_with(' ') || value.ends_with(' ') {
        return Err(Error::invalid_input(
            field,
            "must not start or end with a space",
        ));
    }
    Ok(())
}

/// Checks an id that goes into a URL path ([`validate_id`], and not `.` or
/// `..`): URL parsers remove dot segments, even percent-encoded ones (`%2e`),
/// so such an id would address another resource.
///
/// ```
/// use agora_rtm_rest_protocol::validate::validate_path_id;
/// assert!(validate_path_id("from", "a.b").is_ok());
/// assert!(validate_path_id("from", "..").is_err());
/// ```
pub fn validate_path_id(field: &str, value: &str) -> Result<(), Error> {
    validate_id(field, value)?;
    if value == "." || value == ".." {
        return Err(Error::invalid_input(
            field,
            "\".\" and \"..\" cannot be sent in a URL path (they are dot segments)",
        ));
    }
    Ok(())
}

/// Checks a message payload: non-empty and at most [`MAX_PAYLOAD_BYTES`] bytes.
///
/// ```
/// use agora_rtm_rest_protocol::validate::validate_payload;
/// assert!(validate_payload("hello").is_ok());
/// assert!(validate_payload("").is_err());
/// assert!(validate_payload(&"x".repeat(32 * 1024 + 1)).is_err());
/// ```
pub fn validate_payload(payload: &str) -> Result<(), Error> {
    if payload.is_empty() {
        return Err(Error::invalid_input("payload", "must not be empty"));
    }
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(Error::invalid_input(
            "payload",
            format!(
                "must be at most {MAX_PAYLOAD_BYTES} bytes of UTF-8, got {}",
                payload.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_allowed_character_passes_and_round_trips_through_the_path() {
        let all: String = ('a'..='z')
            .chain('A'..='Z')
            .chain('0'..='9')
            .chain(ID_PUNCTUATION.chars())
            .collect();
        for chunk in all.as_bytes().chunks(60) {
            let id = std::str::from_utf8(chunk).unwrap().trim();
            validate_id("id", id).unwrap();
            let encoded = encode_path_segment(id);
            assert!(!encoded.contains(['/', '?', '#', ' ']), "{encoded}");
            let decoded = percent_encoding::percent_decode_str(&encoded)
                .decode_utf8()
                .unwrap();
            assert_eq!(decoded, id);
        }
    }

    #[test]
    fn rules() {
        assert!(validate_id("id", &"a".repeat(64)).is_ok());
        let e = validate_id("id", &"a".repeat(65)).unwrap_err();
        assert!(e.to_string().contains("at most 64"), "{e}");
        assert!(validate_id("id", "a/b").is_err());
        assert!(validate_id("id", "a\"b").is_err());
        assert!(validate_id("id", "a*b").is_err());
        assert!(validate_id("id", "a\nb").is_err());
        assert!(validate_id("id", "a b").is_ok());
        assert!(validate_id("id", "a ").is_err());
        assert!(validate_path_id("id", "...").is_ok());
        for dots in [".", ".."] {
            assert!(validate_id("id", dots).is_ok());
            let e = validate_path_id("id", dots).unwrap_err();
            assert!(matches!(e, Error::InvalidInput { ref field, .. } if field == "id"));
        }
        assert!(validate_payload(&"é".repeat(16 * 1024)).is_ok());
        assert!(validate_payload(&"é".repeat(16 * 1024 + 1)).is_err());
    }
}
