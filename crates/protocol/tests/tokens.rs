//! Token tests: SPEC 2.3 vectors, verification outcomes, refusals, and properties.

use std::io::{Read, Write};
use std::time::Duration;

use agora_rtm_rest_protocol::token::{
    AccessToken2, Expected, LegacyToken, ParsedToken, Permission, ResourceType, Rtm2Permissions,
    Service, TokenError, build_legacy_rtm_token, build_rtm_token, iso8601_utc, parse_token,
    verify_token, verify_token_for_app, verify_token_for_user, verify_token_with,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;

const APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";
const USER: &str = "test_user";
const ISSUE_TS: u32 = 1_111_111;

const SPEC_007_RTM: &str = "007eJxTYOCdJftjyTM2zxW6Xhm/5T0j5LdcUt/xYVt48fb5Mp3PX9coMFiaGzg7GpumpJoZJJuYmJmYJiUlplokGhmaGpgZJhkbu38RYIhgYmBgZABhJiBmBPM5GUpSi0viS4tTiwBZVh6A";
const SPEC_007_RTM_GO: &str = "007eJxSYOCdJftjyTM2zxW6Xhm/5T0j5LdcUt/xYVt48fb5Mp3PX9coMFiaGzg7GpumpJoZJJuYmJmYJiUlplokGhmaGpgZJhkbu38RYIhgYmBgZABhJgZGBkYwn5OhJLW4JL60OLUIEAAA//9ZVh6A";
const SPEC_007_RTC: &str = "007eJxTYBBbsMMnKq7p9Hf/HcIX5kce9b518kCiQgSr5Zrp4X1Tu6UUGCzNDZwdjU1TUs0Mkk1MzExMk5ISUy0SjQxNDcwMk4yN3b8IMEQwMTAwMoAwBIL4CgzmKeZGxmamqUmWFsYmFqbGluapxqnGaZYpJmYGSSkpiVwMRhYWRsYmhkbmxgDCaiTj";
const SPEC_006_RTM: &str = "006970CA35de60c44645bbae8a215061b33IAAsR0qgiCxv0vrpRcpkz5BrbfEWCBZ6kvR6t7qG/wJIQob86ogAAAAAEAABAAAAR/QQAAEA6AOvKDdW";

const GO_CONTENT_HEX: &str = "20000d9a1df8a4e60649a82d4a68fb1f49581fb4d227b8f0b65773b79f1c89e7eb7c2000393730434133356465363063343436343562626165386132313530363162333347f4100058020000010000000100020001000100580200000900746573745f75736572";
const GO_K1: &str = "e0f6141e54329d72102500478ec18e0020a5eeef53bbcccc442c6c2f7f178251";
const GO_K2: &str = "cee2fa8dcbe868c30ca8c959d97fad4a5049c634da48449f1b8f59c14fa61073";
const GO_SIGNATURE: &str = "0d9a1df8a4e60649a82d4a68fb1f49581fb4d227b8f0b65773b79f1c89e7eb7c";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn kind<T: std::fmt::Debug>(r: Result<T, TokenError>) -> &'static str {
    r.expect_err("expected an error").kind()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn unzlib(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Decompresses a 007 token, lets `f` alter the content, and re-encodes it.
fn alter_007(token: &str, f: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut content = unzlib(&STANDARD.decode(&token[3..]).unwrap());
    f(&mut content);
    format!("007{}", STANDARD.encode(zlib(&content)))
}

// ---------------------------------------------------------------- SPEC 2.3

#[test]
fn spec_007_rtm_is_reproduced_byte_for_byte() {
    let t = build_rtm_token(APP_ID, CERT, USER, secs(600), ISSUE_TS, 1).unwrap();
    assert_eq!(t, SPEC_007_RTM);
}

#[test]
fn spec_007_rtm_decodes() {
    let ParsedToken::AccessToken2(t) = parse_token(SPEC_007_RTM).unwrap() else {
        panic!("not a 007 token")
    };
    assert_eq!(t.app_id, APP_ID);
    assert_eq!((t.issue_ts, t.expire, t.salt), (ISSUE_TS, 600, 1));
    assert_eq!(t.services, vec![Service::rtm(USER, 600)]);
    assert_eq!(hex(&t.signature), GO_SIGNATURE);
    assert_eq!(t.unknown_service_type, None);
}

#[test]
fn spec_007_rtm_go_encoding_parses_and_verifies() {
    let parsed = verify_token(SPEC_007_RTM_GO, CERT, u64::from(ISSUE_TS)).unwrap();
    let t = parsed.as_access_token2().unwrap();
    assert_eq!(hex(&t.content_bytes().unwrap()), GO_CONTENT_HEX);
    let (k1, k2) = t.signing_keys(CERT);
    assert_eq!(hex(&k1), GO_K1);
    assert_eq!(hex(&k2), GO_K2);
    assert_eq!(hex(&t.signature), GO_SIGNATURE);
    assert_eq!(hex(&t.compute_signature(CERT).unwrap()), GO_SIGNATURE);
    // same content as the C-zlib string, and re-encoding gives the C-zlib string
    let c = parse_token(SPEC_007_RTM).unwrap();
    assert_eq!(&parsed, &c);
    assert_eq!(t.build(CERT).unwrap(), SPEC_007_RTM);
    assert_eq!(parsed.rtm_user_id(), Some(USER));
}

#[test]
fn spec_007_rtc_is_reproduced_byte_for_byte() {
    let t = AccessToken2::new(APP_ID, ISSUE_TS, 600, 1)
        .add_service(Service::rtc(
            "7d72365eb983485397e3e3f9d460bdda",
            2_882_341_273,
            600,
        ))
        .build(CERT)
        .unwrap();
    assert_eq!(t, SPEC_007_RTC);
    let parsed = verify_token(SPEC_007_RTC, CERT, u64::from(ISSUE_TS) + 10).unwrap();
    let t = parsed.as_access_token2().unwrap();
    match &t.services[..] {
        [
            Service::Rtc {
                channel_name,
                uid,
                privileges,
            },
        ] => {
            assert_eq!(channel_name, "7d72365eb983485397e3e3f9d460bdda");
            assert_eq!(uid, "2882341273");
            assert_eq!(privileges.get(&1), Some(&600));
        }
        other => panic!("unexpected services {other:?}"),
    }
    assert_eq!(parsed.rtm_user_id(), None);
}

#[test]
fn spec_006_rtm_is_reproduced_byte_for_byte() {
    let mut t = LegacyToken::new_rtm(APP_ID, USER, 1, ISSUE_TS);
    t.add_privilege(1000, 1_446_455_471);
    assert_eq!(t.build(CERT).unwrap(), SPEC_006_RTM);

    let ParsedToken::Legacy(p) = parse_token(SPEC_006_RTM).unwrap() else {
        panic!("not a 006 token")
    };
    assert_eq!(p.app_id, APP_ID);
    assert_eq!((p.salt, p.ts), (1, ISSUE_TS));
    assert_eq!(p.privileges.get(&1000), Some(&1_446_455_471));
    assert_eq!(p.crc_channel_name, 0x88ea_fc86);
    assert_eq!(p.crc_uid, 0);
    assert_eq!(
        hex(&p.signature),
        "2c474aa0882c6fd2fae945ca64cf906b6df11608167a92f47ab7ba86ff024842"
    );
    assert_eq!(p.user_account, None);
    assert!(p.matches_user(USER));
}

#[test]
fn spec_006_rtm_verifies_for_its_user_only() {
    let now = 1_446_455_000;
    let p = verify_token_for_user(SPEC_006_RTM, USER, CERT, now).unwrap();
    assert_eq!(p.rtm_user_id(), Some(USER));
    assert_eq!(p.issued_at(), None);
    assert_eq!(p.expires_at(), Some(1_446_455_471));
    assert_eq!(
        kind(verify_token_for_user(SPEC_006_RTM, "other", CERT, now)),
        "wrong_user_id"
    );
    assert_eq!(
        kind(verify_token(SPEC_006_RTM, CERT, now)),
        "user_account_required"
    );
    assert_eq!(
        kind(verify_token_for_user(
            SPEC_006_RTM,
            USER,
            CERT,
            1_446_455_471
        )),
        "expired"
    );
    let wrong_cert = "5CFd2fd1755d40ecb72977518be15d3c";
    assert_eq!(
        kind(verify_token_for_user(SPEC_006_RTM, USER, wrong_cert, now)),
        "bad_signature"
    );
}

// ------------------------------------------------------------ verification

#[test]
fn verify_ok_and_accessors() {
    let issue = 1_767_225_600; // 2026-01-01T00:00:00Z
    let t = build_rtm_token(APP_ID, CERT, "alice", secs(3600), issue, 99_999_999).unwrap();
    let p = verify_token_for_app(&t, APP_ID, CERT, u64::from(issue) + 1).unwrap();
    assert_eq!(p.version(), "007");
    assert_eq!(p.app_id(), APP_ID);
    assert_eq!(p.rtm_user_id(), Some("alice"));
    assert_eq!(p.issued_at(), Some(u64::from(issue)));
    assert_eq!(p.expires_at(), Some(u64::from(issue) + 3600));
    let j = p.to_json();
    assert_eq!(j["version"], "007");
    assert_eq!(j["app_id"], APP_ID);
    assert_eq!(j["issue_ts"], issue);
    assert_eq!(j["issued_at_iso"], "2026-01-01T00:00:00Z");
    assert_eq!(j["expire"], 3600);
    assert_eq!(j["expires_at"], u64::from(issue) + 3600);
    assert_eq!(j["expires_at_iso"], "2026-01-01T01:00:00Z");
    assert_eq!(j["salt"], 99_999_999);
    assert_eq!(j["services"][0]["type"], 2);
    assert_eq!(j["services"][0]["name"], "rtm");
    assert_eq!(j["services"][0]["user_id"], "alice");
    assert_eq!(j["services"][0]["privileges"][0]["privilege"], 1);
    assert_eq!(j["services"][0]["privileges"][0]["name"], "login");
    assert_eq!(j["services"][0]["privileges"][0]["expire"], 3600);
    assert_eq!(j["signature"].as_str().unwrap().len(), 64);
}

#[test]
fn tampered_content_is_bad_signature() {
    // change the salt inside the signed bytes and re-compress
    let salt_at = 2 + 32 + 2 + 32 + 8;
    let t = alter_007(SPEC_007_RTM, |c| c[salt_at] ^= 1);
    assert_eq!(parse_token(&t).unwrap().as_access_token2().unwrap().salt, 0);
    assert_eq!(
        kind(verify_token(&t, CERT, u64::from(ISSUE_TS))),
        "bad_signature"
    );
    // change the user id
    let t = alter_007(SPEC_007_RTM, |c| *c.last_mut().unwrap() = b's');
    assert_eq!(parse_token(&t).unwrap().rtm_user_id(), Some("test_uses"));
    assert_eq!(
        kind(verify_token(&t, CERT, u64::from(ISSUE_TS))),
        "bad_signature"
    );
    // flip a signature byte
    let t = alter_007(SPEC_007_RTM, |c| c[5] ^= 0x80);
    assert_eq!(
        kind(verify_token(&t, CERT, u64::from(ISSUE_TS))),
        "bad_signature"
    );
}

#[test]
fn tampering_one_character_never_verifies() {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for token in [SPEC_007_RTM, SPEC_007_RTM_GO, SPEC_006_RTM] {
        let start = if token.starts_with("006") { 35 } else { 3 };
        for i in start..token.len() {
            if &token[i..=i] == "=" {
                continue;
            }
            let mut b = token.as_bytes().to_vec();
            let pos = alphabet.iter().position(|c| *c == b[i]).unwrap();
            b[i] = alphabet[(pos + 1) % 64];
            let t = String::from_utf8(b).unwrap();
            let r = verify_token_for_user(&t, USER, CERT, u64::from(ISSUE_TS));
            let k = match r {
                Ok(p) => panic!("tampered token at {i} verified: {p:?}"),
                Err(e) => e.kind(),
            };
            assert!(
                [
                    "bad_signature",
                    "bad_encoding",
                    "wrong_user_id",
                    "expired",
                    "not_yet_valid"
                ]
                .contains(&k),
                "{k} at {i}"
            );
        }
    }
    // a tampered signature character in the 006 token is a signature failure
    let mut b = SPEC_006_RTM.as_bytes().to_vec();
    b[40] = if b[40] == b'A' { b'B' } else { b'A' };
    let t = String::from_utf8(b).unwrap();
    assert_eq!(
        kind(verify_token_for_user(&t, USER, CERT, 1_446_455_000)),
        "bad_signature"
    );
}

#[test]
fn wrong_certificate_is_bad_signature() {
    let other = "00000000000000000000000000000000";
    assert_eq!(
        kind(verify_token(SPEC_007_RTM, other, u64::from(ISSUE_TS))),
        "bad_signature"
    );
    // a certificate that differs only in case is another certificate
    let upper = CERT.to_uppercase();
    assert_eq!(
        kind(verify_token(SPEC_007_RTM, &upper, u64::from(ISSUE_TS))),
        "bad_signature"
    );
    assert_eq!(
        kind(verify_token(SPEC_007_RTM, "short", u64::from(ISSUE_TS))),
        "invalid_app_certificate"
    );
}

#[test]
fn expiry_boundaries() {
    let now = u64::from(ISSUE_TS);
    assert!(verify_token(SPEC_007_RTM, CERT, now + 599).is_ok());
    assert_eq!(kind(verify_token(SPEC_007_RTM, CERT, now + 600)), "expired");
    let e = verify_token(SPEC_007_RTM, CERT, now + 10_000).unwrap_err();
    assert_eq!(
        e,
        TokenError::Expired {
            expired_at: now + 600,
            now: now + 10_000
        }
    );
}

#[test]
fn not_yet_valid_beyond_five_minutes_of_skew() {
    let now = u64::from(ISSUE_TS);
    assert!(verify_token(SPEC_007_RTM, CERT, now - 300).is_ok());
    assert_eq!(
        kind(verify_token(SPEC_007_RTM, CERT, now - 301)),
        "not_yet_valid"
    );
    assert_eq!(kind(verify_token(SPEC_007_RTM, CERT, 0)), "not_yet_valid");
}

#[test]
fn cross_app_is_refused() {
    let other_app = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let now = u64::from(ISSUE_TS);
    let e = verify_token_for_app(SPEC_007_RTM, other_app, CERT, now).unwrap_err();
    assert_eq!(
        e,
        TokenError::WrongAppId {
            expected: other_app.into(),
            found: APP_ID.into()
        }
    );
    assert_eq!(
        kind(verify_token_for_app(SPEC_006_RTM, other_app, CERT, now)),
        "wrong_app_id"
    );
    // app ids are compared exactly
    let lower = APP_ID.to_lowercase();
    assert_eq!(
        kind(verify_token_for_app(SPEC_007_RTM, &lower, CERT, now)),
        "wrong_app_id"
    );
    // a token of another app signed with its own certificate still fails for ours
    let t = build_rtm_token(other_app, CERT, USER, secs(600), ISSUE_TS, 1).unwrap();
    assert!(verify_token(&t, CERT, now).is_ok());
    assert_eq!(
        kind(verify_token_for_app(&t, APP_ID, CERT, now)),
        "wrong_app_id"
    );
}

#[test]
fn user_check_for_007() {
    let now = u64::from(ISSUE_TS);
    assert!(verify_token_for_user(SPEC_007_RTM, USER, CERT, now).is_ok());
    assert_eq!(
        kind(verify_token_for_user(SPEC_007_RTM, "bob", CERT, now)),
        "wrong_user_id"
    );
    assert_eq!(
        kind(verify_token_for_user(SPEC_007_RTC, USER, CERT, now)),
        "wrong_user_id"
    );
    let both = Expected {
        app_id: Some(APP_ID),
        user_id: Some(USER),
    };
    assert!(verify_token_with(SPEC_007_RTM, both, CERT, now).is_ok());
}

#[test]
fn bad_prefix_and_garbage() {
    assert_eq!(kind(parse_token("")), "bad_prefix");
    assert_eq!(kind(parse_token("00")), "bad_prefix");
    assert_eq!(kind(parse_token("008eJxTYOCd")), "bad_prefix");
    assert_eq!(
        kind(parse_token(&SPEC_007_RTM.replacen("007", "005", 1))),
        "bad_prefix"
    );
    assert_eq!(
        parse_token("xyz123").unwrap_err(),
        TokenError::BadPrefix {
            found: "xyz".into()
        }
    );
    for garbage in [
        "007",
        "007!!!!",
        "007eJxTYOCd",
        "007AAAA",
        "007 eJxTYOCdJftjyTM2zxW6",
        "006",
        "006970CA35de60c44645bbae8a215061b3",
        "006970CA35de60c44645bbae8a215061b33",
        "006970CA35de60c44645bbae8a215061b33%%%",
        "006970CA35de60c44645bbae8a215061b33IAAsR0qg",
        "006ééééééééééééééééééééééééééééééééé",
    ] {
        assert_eq!(kind(parse_token(garbage)), "bad_encoding", "{garbage:?}");
    }
    // truncated content inside a valid zlib stream
    let t = alter_007(SPEC_007_RTM, |c| c.truncate(c.len() - 3));
    assert_eq!(kind(parse_token(&t)), "bad_encoding");
    // trailing whitespace is not silently accepted
    assert_eq!(
        kind(parse_token(&format!("{SPEC_007_RTM}\n"))),
        "bad_encoding"
    );
}

#[test]
fn unknown_service_type_keeps_what_was_parsed() {
    let t = alter_007(SPEC_007_RTM, |c| {
        let count_at = 2 + 32 + 2 + 32 + 12;
        c[count_at] = 3;
        c.extend_from_slice(&[99, 0, 0, 0]); // type 99, empty privileges
        c.extend_from_slice(&[2, 0, 0, 0]); // never reached
    });
    let p = parse_token(&t).unwrap();
    let a = p.as_access_token2().unwrap();
    assert_eq!(a.services, vec![Service::rtm(USER, 600)]);
    assert_eq!(a.unknown_service_type, Some(99));
    assert_eq!(p.to_json()["unknown_service_type"], 99);
}

// -------------------------------------------------------------- RTM2, RTC

#[test]
fn rtm2_permissions_round_trip() {
    let mut perms = Rtm2Permissions::new();
    perms
        .add(ResourceType::Users, Permission::Write, ["bob"])
        .add(
            ResourceType::MessageChannels,
            Permission::Read,
            ["lobby", "news"],
        )
        .add(ResourceType::MessageChannels, Permission::Write, ["lobby"])
        .add(
            ResourceType::StreamChannels,
            Permission::Read,
            Vec::<String>::new(),
        )
        .add(ResourceType::GroupChannels, Permission::Read, ["g1"])
        .add(
            ResourceType::ServerGroups,
            Permission::Write,
            ["s1", "s2", "s3"],
        );
    let token = AccessToken2::new(APP_ID, ISSUE_TS, 600, 5)
        .add_service(Service::rtm2("alice", 600, perms.clone()))
        .build(CERT)
        .unwrap();
    let p = verify_token_for_user(&token, "alice", CERT, u64::from(ISSUE_TS)).unwrap();
    let a = p.as_access_token2().unwrap();
    let Service::Rtm2 {
        user_id,
        permissions,
        privileges,
    } = &a.services[0]
    else {
        panic!("not rtm2")
    };
    assert_eq!(user_id, "alice");
    assert_eq!(permissions, &perms);
    assert_eq!(privileges.get(&1), Some(&600));
    assert_eq!(
        permissions.resources(ResourceType::MessageChannels, Permission::Read),
        Some(&["lobby".to_string(), "news".to_string()][..])
    );
    assert_eq!(p.rtm_user_id(), Some("alice"));
    // wire order is ascending at both levels whatever the insertion order
    let keys: Vec<u16> = permissions.details().keys().copied().collect();
    assert_eq!(keys, vec![0, 1, 2, 3, 4]);
    let j = p.to_json();
    assert_eq!(j["services"][0]["name"], "rtm2");
    assert_eq!(
        j["services"][0]["permissions"][0]["name"],
        "message_channels"
    );
    assert_eq!(
        j["services"][0]["permissions"][0]["permissions"][1]["name"],
        "write"
    );
    assert_eq!(
        j["services"][0]["permissions"][4]["permissions"][0]["resources"][0],
        "bob"
    );
}

#[test]
fn rtm2_wire_layout_matches_spec() {
    let mut perms = Rtm2Permissions::new();
    perms.add(ResourceType::StreamChannels, Permission::Write, ["s"]);
    let token = AccessToken2::new(APP_ID, ISSUE_TS, 600, 1)
        .add_service(Service::rtm2("", 600, perms))
        .build(CERT)
        .unwrap();
    let content = unzlib(&STANDARD.decode(&token[3..]).unwrap());
    let services = &content[2 + 32 + 2 + 32 + 12 + 2..];
    let expected: Vec<u8> = [
        &8u16.to_le_bytes()[..],                     // type
        &[1, 0, 1, 0, 0x58, 0x02, 0, 0],             // privileges {1: 600}
        &[0, 0],                                     // user "" (wildcard)
        &[1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, b's'], // 1 type: 1 -> 1 perm: 1 -> ["s"]
    ]
    .concat();
    assert_eq!(services, &expected[..]);
    // the wildcard user matches anyone
    assert!(verify_token_for_user(&token, "anyone", CERT, u64::from(ISSUE_TS)).is_ok());
}

#[test]
fn multiple_services_are_sorted_by_type() {
    let t = AccessToken2::new(APP_ID, ISSUE_TS, 600, 1)
        .add_service(Service::rtm2("u2", 600, Rtm2Permissions::new()))
        .add_service(Service::rtm("u1", 600))
        .add_service(Service::rtc("ch", 0, 600))
        .build(CERT)
        .unwrap();
    let p = verify_token(&t, CERT, u64::from(ISSUE_TS)).unwrap();
    let types: Vec<u16> = p
        .as_access_token2()
        .unwrap()
        .services
        .iter()
        .map(Service::service_type)
        .collect();
    assert_eq!(types, vec![1, 2, 8]);
    assert_eq!(p.rtm_user_id(), Some("u1"));
    match &p.as_access_token2().unwrap().services[0] {
        Service::Rtc { uid, .. } => assert_eq!(uid, ""),
        s => panic!("{s:?}"),
    }
}

#[test]
fn builder_refuses_no_service_and_bad_ids() {
    assert_eq!(
        kind(AccessToken2::new(APP_ID, 1, 1, 1).build(CERT)),
        "no_service"
    );
    assert_eq!(
        kind(
            AccessToken2::new("nope", 1, 1, 1)
                .add_service(Service::rtm("u", 1))
                .build(CERT)
        ),
        "invalid_app_id"
    );
    let long_user = "u".repeat(70_000);
    assert_eq!(
        kind(
            AccessToken2::new(APP_ID, 1, 1, 1)
                .add_service(Service::rtm(long_user, 1))
                .build(CERT)
        ),
        "field_too_long"
    );
}

// ---------------------------------------------------------------- refusals

#[test]
fn lifetime_refusals() {
    let b = |l: Duration| build_rtm_token(APP_ID, CERT, USER, l, ISSUE_TS, 1);
    let bl = |l: Duration| build_legacy_rtm_token(APP_ID, CERT, USER, l, ISSUE_TS, 1);
    assert!(b(secs(86_400)).is_ok());
    assert!(bl(secs(86_400)).is_ok());
    assert!(b(secs(1)).is_ok());
    assert_eq!(kind(b(secs(86_401))), "lifetime_too_long");
    assert_eq!(kind(bl(secs(86_401))), "lifetime_too_long");
    assert_eq!(kind(b(secs(999_999_999))), "lifetime_too_long");
    let e = b(secs(1_767_225_600)).unwrap_err();
    assert_eq!(e.kind(), "lifetime_looks_absolute");
    assert!(
        e.to_string()
            .contains("pass a duration, not an absolute timestamp"),
        "{e}"
    );
    assert_eq!(kind(b(secs(1_000_000_000))), "lifetime_looks_absolute");
    assert_eq!(kind(bl(secs(1_767_225_600))), "lifetime_looks_absolute");
    assert_eq!(kind(b(Duration::MAX)), "lifetime_looks_absolute");
    assert_eq!(kind(b(secs(0))), "zero_lifetime");
    assert_eq!(kind(b(Duration::from_millis(999))), "zero_lifetime");
    assert_eq!(kind(bl(secs(0))), "zero_lifetime");
    // fractions of a second are dropped
    let t = b(Duration::from_millis(1500)).unwrap();
    assert_eq!(
        parse_token(&t).unwrap().as_access_token2().unwrap().expire,
        1
    );
}

#[test]
fn id_refusals() {
    let b =
        |app: &str, cert: &str, user: &str| build_rtm_token(app, cert, user, secs(60), ISSUE_TS, 1);
    let bl = |app: &str, cert: &str, user: &str| {
        build_legacy_rtm_token(app, cert, user, secs(60), ISSUE_TS, 1)
    };
    for bad_app in [
        "",
        "970CA35de60c44645bbae8a215061b3",
        "970CA35de60c44645bbae8a215061b333",
        "970CA35de60c44645bbae8a215061b3g",
        "970CA35de60c44645bbae8a215061b3é",
    ] {
        assert_eq!(
            kind(b(bad_app, CERT, USER)),
            "invalid_app_id",
            "{bad_app:?}"
        );
        assert_eq!(
            kind(bl(bad_app, CERT, USER)),
            "invalid_app_id",
            "{bad_app:?}"
        );
    }
    for bad_cert in [
        "",
        "5CFd2fd1755d40ecb72977518be15d3",
        "5CFd2fd1755d40ecb72977518be15d3z",
        " 5CFd2fd1755d40ecb72977518be15d3",
    ] {
        let e = b(APP_ID, bad_cert, USER).unwrap_err();
        assert_eq!(e.kind(), "invalid_app_certificate");
        assert!(
            bad_cert.is_empty() || !e.to_string().contains(bad_cert.trim()),
            "{e}"
        );
        assert_eq!(kind(bl(APP_ID, bad_cert, USER)), "invalid_app_certificate");
    }
    assert_eq!(kind(b(APP_ID, CERT, "")), "invalid_user_id");
    assert_eq!(kind(b(APP_ID, CERT, &"x".repeat(65))), "invalid_user_id");
    assert_eq!(kind(bl(APP_ID, CERT, &"é".repeat(33))), "invalid_user_id");
    assert!(b(APP_ID, CERT, &"x".repeat(64)).is_ok());
    assert!(bl(APP_ID, CERT, &"é".repeat(32)).is_ok());
}

#[test]
fn legacy_timestamp_overflow() {
    let e = build_legacy_rtm_token(APP_ID, CERT, USER, secs(60), u32::MAX - 59, 1).unwrap_err();
    assert_eq!(e.kind(), "timestamp_overflow");
    let e = build_legacy_rtm_token(APP_ID, CERT, USER, secs(60), u32::MAX - 86_399, 1).unwrap_err();
    assert_eq!(e.kind(), "timestamp_overflow");
}

#[test]
fn legacy_builder_fields() {
    let issue = 1_767_225_600;
    let t = build_legacy_rtm_token(APP_ID, CERT, "bob", secs(600), issue, 12345).unwrap();
    let ParsedToken::Legacy(l) = parse_token(&t).unwrap() else {
        panic!()
    };
    assert_eq!(l.salt, 12345);
    assert_eq!(l.ts, issue + 86_400);
    assert_eq!(l.privileges.get(&1000), Some(&(issue + 600)));
    let p = verify_token_for_user(&t, "bob", CERT, u64::from(issue)).unwrap();
    let j = p.to_json();
    assert_eq!(j["version"], "006");
    assert_eq!(j["user_account"], "bob");
    assert_eq!(j["expires_at"], issue + 600);
    assert_eq!(j["ts_iso"], "2026-01-02T00:00:00Z");
    assert_eq!(j["privileges"][0]["name"], "rtm_login");
    assert_eq!(
        kind(verify_token_for_user(
            &t,
            "bob",
            CERT,
            u64::from(issue) + 600
        )),
        "expired"
    );
}

// ------------------------------------------------------------------ secrets

#[test]
fn debug_output_hides_signatures() {
    for token in [SPEC_007_RTM, SPEC_006_RTM] {
        let p = parse_token(token).unwrap();
        let d = format!("{p:?}");
        assert!(d.contains("not shown"), "{d}");
        assert!(!d.contains("13, 154"), "{d}"); // first signature bytes of the 007 vector
        assert!(!d.contains("44, 71"), "{d}"); // first signature bytes of the 006 vector
        let body = if token.starts_with("006") {
            &token[40..60]
        } else {
            &token[10..30]
        };
        assert!(!d.contains(body), "{d}");
    }
}

#[test]
fn error_kinds_are_stable_and_listed() {
    let all = TokenError::KINDS;
    for k in [
        "bad_prefix",
        "bad_encoding",
        "wrong_app_id",
        "bad_signature",
        "expired",
        "not_yet_valid",
        "invalid_app_id",
        "invalid_app_certificate",
        "invalid_user_id",
        "lifetime_too_long",
        "lifetime_looks_absolute",
        "zero_lifetime",
    ] {
        assert!(all.contains(&k), "{k}");
    }
}

#[test]
fn iso_times() {
    assert_eq!(iso8601_utc(1_767_225_600), "2026-01-01T00:00:00Z");
    assert_eq!(iso8601_utc(1_111_711), "1970-01-13T20:48:31Z");
}

// -------------------------------------------------------------- properties

const HEX: &str = "[0-9a-fA-F]{32}";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn build_parse_verify_round_trip(
        app_id in HEX,
        cert in HEX,
        user in "[a-zA-Z0-9_@.\\-é中]{1,16}",
        salt in 1u32..=99_999_999,
        issue in 0u32..=4_000_000_000,
        lifetime in 1u64..=86_400,
        offset in 0u64..=86_400,
        legacy in any::<bool>(),
    ) {
        prop_assume!(user.len() <= 64);
        let now = u64::from(issue) + offset.min(lifetime - 1);
        if legacy {
            let t = build_legacy_rtm_token(&app_id, &cert, &user, secs(lifetime), issue, salt).unwrap();
            let p = verify_token_for_user(&t, &user, &cert, now).unwrap();
            prop_assert_eq!(p.app_id(), app_id.as_str());
            prop_assert_eq!(p.rtm_user_id(), Some(user.as_str()));
            prop_assert_eq!(p.expires_at(), Some(u64::from(issue) + lifetime));
            let l = p.as_legacy().unwrap();
            prop_assert_eq!(l.salt, salt);
            prop_assert_eq!(u64::from(l.ts), u64::from(issue) + 86_400);
            prop_assert_eq!(
                kind(verify_token_for_user(&t, &user, &cert, u64::from(issue) + lifetime)),
                "expired"
            );
        } else {
            let t = build_rtm_token(&app_id, &cert, &user, secs(lifetime), issue, salt).unwrap();
            let p = verify_token_for_app(&t, &app_id, &cert, now).unwrap();
            prop_assert_eq!(p.rtm_user_id(), Some(user.as_str()));
            prop_assert_eq!(p.issued_at(), Some(u64::from(issue)));
            prop_assert_eq!(p.expires_at(), Some(u64::from(issue) + lifetime));
            let a = p.as_access_token2().unwrap();
            prop_assert_eq!(a.salt, salt);
            prop_assert_eq!(a.expire as u64, lifetime);
            // rebuilding the parsed token gives the same string
            prop_assert_eq!(a.build(&cert).unwrap(), t.clone());
            prop_assert_eq!(
                kind(verify_token(&t, &cert, u64::from(issue) + lifetime)),
                "expired"
            );
            let other = if cert.starts_with('0') { "1" } else { "0" }.to_string() + &cert[1..];
            prop_assert_eq!(kind(verify_token(&t, &other, now)), "bad_signature");
        }
    }

    #[test]
    fn parse_never_panics_on_strings(s in "\\PC{0,200}") {
        let _ = parse_token(&s);
        let _ = parse_token(&format!("007{s}"));
        let _ = parse_token(&format!("006{s}"));
        let _ = verify_token_for_user(&format!("006{APP_ID}{s}"), USER, CERT, 0);
    }

    #[test]
    fn parse_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_token(&format!("007{}", STANDARD.encode(&bytes)));
        let _ = parse_token(&format!("007{}", STANDARD.encode(zlib(&bytes))));
        let _ = verify_token(&format!("007{}", STANDARD.encode(zlib(&bytes))), CERT, 0);
        let _ = parse_token(&format!("006{APP_ID}{}", STANDARD.encode(&bytes)));
        let _ = AccessToken2::from_content(&bytes);
        let _ = parse_token(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn parse_never_panics_on_mutated_tokens(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        let base = [SPEC_007_RTM, SPEC_007_RTM_GO, SPEC_007_RTC, SPEC_006_RTM][which];
        // mutate the decoded content and re-encode, so the mutation reaches the parser
        let mut content = if let Some(body) = base.strip_prefix("007") {
            unzlib(&STANDARD.decode(body).unwrap())
        } else {
            STANDARD.decode(&base[35..]).unwrap()
        };
        for (at, byte) in edits {
            let i = at % content.len();
            content[i] = byte;
        }
        content.truncate(cut % (content.len() + 1));
        let t = if base.starts_with("007") {
            format!("007{}", STANDARD.encode(zlib(&content)))
        } else {
            format!("006{APP_ID}{}", STANDARD.encode(&content))
        };
        if let Ok(p) = parse_token(&t) {
            let _ = p.to_json();
            let _ = format!("{p:?}");
        }
        let _ = verify_token_for_user(&t, USER, CERT, u64::from(ISSUE_TS));
    }
}
