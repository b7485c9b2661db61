//! Runs the language-neutral token vectors in `tests/vectors/tokens/*.json`
//! (format: `tests/vectors/tokens/README.md`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use agora_rtm_rest_protocol::token::{
    AccessToken2, Expected, LegacyToken, PRIVILEGE_RTM_LOGIN_LEGACY, ParsedToken, Service,
    TokenError, build_legacy_rtm_token, build_rtm_token, parse_token, verify_token_with,
};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/tokens")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn str_in<'a>(input: &'a Value, key: &str) -> Result<&'a str, String> {
    input[key]
        .as_str()
        .ok_or_else(|| format!("input.{key} must be a string"))
}

fn opt_str_in<'a>(input: &'a Value, key: &str) -> Result<Option<&'a str>, String> {
    match &input[key] {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err(format!("input.{key} must be a string")),
    }
}

fn u64_in(input: &Value, key: &str) -> Result<u64, String> {
    input[key]
        .as_u64()
        .ok_or_else(|| format!("input.{key} must be a non-negative integer"))
}

fn u32_in(input: &Value, key: &str) -> Result<u32, String> {
    u32::try_from(u64_in(input, key)?).map_err(|_| format!("input.{key} does not fit in u32"))
}

/// `expected` is a subset of `actual`: every key of an expected object must be
/// present and match; arrays must have the same length and match element-wise.
fn subset(expected: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let av = a.get(k).unwrap_or(&Value::Null);
                if !a.contains_key(k) && !ev.is_null() {
                    return Err(format!("{path}.{k}: missing"));
                }
                subset(ev, av, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!(
                    "{path}: {} items expected, got {}",
                    e.len(),
                    a.len()
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                subset(ev, av, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        _ if expected == actual => Ok(()),
        _ => Err(format!("{path}: expected {expected}, got {actual}")),
    }
}

/// What running one operation produced.
struct Outcome {
    token: Option<String>,
    parsed: Result<ParsedToken, TokenError>,
    certificate: Option<String>,
}

fn run_operation(op: &str, input: &Value) -> Result<Outcome, String> {
    let built = |r: Result<String, TokenError>| -> Outcome {
        match r {
            Ok(t) => Outcome {
                parsed: parse_token(&t),
                token: Some(t),
                certificate: None,
            },
            Err(e) => Outcome {
                token: None,
                parsed: Err(e),
                certificate: None,
            },
        }
    };
    Ok(match op {
        "build_rtm" => built(build_rtm_token(
            str_in(input, "app_id")?,
            str_in(input, "app_certificate")?,
            str_in(input, "user_id")?,
            Duration::from_secs(u64_in(input, "lifetime_secs")?),
            u32_in(input, "issue_ts")?,
            u32_in(input, "salt")?,
        )),
        "build_legacy_rtm" if input.get("lifetime_secs").is_some() => {
            built(build_legacy_rtm_token(
                str_in(input, "app_id")?,
                str_in(input, "app_certificate")?,
                str_in(input, "user_id")?,
                Duration::from_secs(u64_in(input, "lifetime_secs")?),
                u32_in(input, "issue_ts")?,
                u32_in(input, "salt")?,
            ))
        }
        "build_legacy_rtm" => {
            // Agora's raw inputs: an explicit ts and absolute privilege expiry.
            let mut t = LegacyToken::new_rtm(
                str_in(input, "app_id")?,
                str_in(input, "user_id")?,
                u32_in(input, "salt")?,
                u32_in(input, "ts")?,
            );
            t.add_privilege(
                PRIVILEGE_RTM_LOGIN_LEGACY,
                u32_in(input, "privilege_expire_ts")?,
            );
            built(t.build(str_in(input, "app_certificate")?))
        }
        "build_rtc" => {
            let lifetime = u32_in(input, "lifetime_secs")?;
            built(
                AccessToken2::new(
                    str_in(input, "app_id")?,
                    u32_in(input, "issue_ts")?,
                    lifetime,
                    u32_in(input, "salt")?,
                )
                .add_service(Service::rtc(
                    str_in(input, "channel_name")?,
                    u32_in(input, "uid")?,
                    lifetime,
                ))
                .build(str_in(input, "app_certificate")?),
            )
        }
        "parse" => Outcome {
            token: None,
            parsed: parse_token(str_in(input, "token")?),
            certificate: None,
        },
        "verify" => {
            let expected = Expected {
                app_id: opt_str_in(input, "app_id")?,
                user_id: opt_str_in(input, "user_id")?,
            };
            let cert = str_in(input, "app_certificate")?;
            Outcome {
                token: None,
                parsed: verify_token_with(
                    str_in(input, "token")?,
                    expected,
                    cert,
                    u64_in(input, "now_unix")?,
                ),
                certificate: Some(cert.to_string()),
            }
        }
        other => return Err(format!("unknown operation {other:?}")),
    })
}

fn check(outcome: Outcome, expect: &Value) -> Result<(), String> {
    let Value::Object(expect) = expect else {
        return Err("expect must be an object".into());
    };
    const KNOWN: &[&str] = &[
        "token",
        "decoded",
        "signature_hex",
        "content_hex",
        "k1_hex",
        "k2_hex",
        "error",
    ];
    if let Some(k) = expect.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(format!("unknown expect field {k:?}"));
    }
    if let Some(kind) = expect.get("error") {
        let kind = kind.as_str().ok_or("expect.error must be a string")?;
        if !TokenError::KINDS.contains(&kind) {
            return Err(format!("expect.error {kind:?} is not a TokenError kind"));
        }
        return match outcome.parsed {
            Err(e) if e.kind() == kind => Ok(()),
            Err(e) => Err(format!("expected error {kind}, got {} ({e})", e.kind())),
            Ok(_) => Err(format!("expected error {kind}, got success")),
        };
    }
    if let Some(t) = expect.get("token") {
        let t = t.as_str().ok_or("expect.token must be a string")?;
        if outcome.token.as_deref() != Some(t) {
            return Err(match &outcome.parsed {
                Err(e) => format!("expected a token, got error {}", e.kind()),
                Ok(_) => format!("token mismatch: got {:?}", outcome.token),
            });
        }
    }
    let parsed = outcome
        .parsed
        .map_err(|e| format!("unexpected error {}: {e}", e.kind()))?;
    if let Some(d) = expect.get("decoded") {
        subset(d, &parsed.to_json(), "decoded")?;
    }
    let signature = match &parsed {
        ParsedToken::AccessToken2(t) => &t.signature,
        ParsedToken::Legacy(t) => &t.signature,
    };
    if let Some(s) = expect.get("signature_hex")
        && Some(hex(signature).as_str()) != s.as_str()
    {
        return Err(format!("signature mismatch: got {}", hex(signature)));
    }
    let needs_007 = ["content_hex", "k1_hex", "k2_hex"]
        .iter()
        .any(|k| expect.contains_key(*k));
    if needs_007 {
        let t = parsed
            .as_access_token2()
            .ok_or("content_hex/k1_hex/k2_hex apply to 007 tokens only")?;
        if let Some(c) = expect.get("content_hex") {
            let got = hex(&t.content_bytes().map_err(|e| e.to_string())?);
            if Some(got.as_str()) != c.as_str() {
                return Err(format!("content mismatch: got {got}"));
            }
        }
        if expect.contains_key("k1_hex") || expect.contains_key("k2_hex") {
            let cert = outcome
                .certificate
                .as_deref()
                .ok_or("k1_hex/k2_hex need a verify operation (with a certificate)")?;
            let (k1, k2) = t.signing_keys(cert);
            for (name, got) in [("k1_hex", hex(&k1)), ("k2_hex", hex(&k2))] {
                if let Some(e) = expect.get(name)
                    && Some(got.as_str()) != e.as_str()
                {
                    return Err(format!("{name} mismatch: got {got}"));
                }
            }
        }
    }
    Ok(())
}

fn run_file(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Value = serde_json::from_str(&text).map_err(|e| format!("invalid JSON: {e}"))?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let id = case["id"].as_str().ok_or("missing id")?;
    if id != format!("tokens/{stem}") {
        return Err(format!("id {id:?} does not match the file name"));
    }
    case["description"]
        .as_str()
        .filter(|d| !d.is_empty())
        .ok_or("missing description")?;
    let op = case["operation"].as_str().ok_or("missing operation")?;
    let input = &case["input"];
    if !input.is_object() {
        return Err("input must be an object".into());
    }
    check(run_operation(op, input)?, &case["expect"])
}

#[test]
fn token_vectors() {
    let dir = vectors_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 12,
        "only {} vectors in {}",
        files.len(),
        dir.display()
    );
    let mut failures = Vec::new();
    for f in &files {
        if let Err(e) = run_file(f) {
            failures.push(format!("{}: {e}", f.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} token vectors failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    // Every tokens/ id of index.json must have been executed (no skip list here).
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("../index.json")).expect("tests/vectors/index.json"),
    )
    .expect("index.json is JSON");
    let listed: std::collections::BTreeSet<String> = index["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(Value::as_str)
        .filter(|id| id.starts_with("tokens/"))
        .map(str::to_owned)
        .collect();
    let executed: std::collections::BTreeSet<String> = files
        .iter()
        .map(|f| format!("tokens/{}", f.file_stem().unwrap().to_string_lossy()))
        .collect();
    assert_eq!(
        listed, executed,
        "tokens/ ids in index.json and executed files differ"
    );
    println!("{} token vectors passed", files.len());
}

#[test]
fn runner_rejects_unknown_operations_and_fields() {
    assert!(run_operation("sign_anything", &serde_json::json!({})).is_err());
    let outcome = run_operation("parse", &serde_json::json!({"token": ""})).unwrap();
    assert!(check(outcome, &serde_json::json!({"eror": "bad_prefix"})).is_err());
    let outcome = run_operation("parse", &serde_json::json!({"token": ""})).unwrap();
    assert!(check(outcome, &serde_json::json!({"error": "bad_prefix"})).is_ok());
    let outcome = run_operation("parse", &serde_json::json!({"token": ""})).unwrap();
    assert!(check(outcome, &serde_json::json!({"error": "no_such_kind"})).is_err());
}
