//! Token auth end to end against the emulator with an app certificate configured:
//! minted tokens are accepted (and refreshed past their lifetime), tampered,
//! expired and cross-app tokens get 401.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agora_rtm_rest::protocol::token;
use agora_rtm_rest::{Client, Credentials, ErrorKind, MintedToken};
use agora_rtm_rest_emulator::{Emulator, EmulatorConfig};

const APP: &str = "970CA35de60c44645bbae8a215061b33";
const OTHER_APP: &str = "0123456789abcdef0123456789abcdef";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";

fn now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32
}

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        app_certificates: vec![(APP.into(), CERT.into()), (OTHER_APP.into(), CERT.into())],
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

fn client(emu: &Emulator, credentials: Credentials) -> Client {
    Client::builder(APP)
        .credentials(credentials)
        .base_url(emu.base_url())
        .max_attempts(1)
        .build()
        .unwrap()
}

#[tokio::test]
async fn minted_007_and_006_tokens_are_accepted() {
    let emu = emulator().await;
    let minted = MintedToken::new(APP, CERT, "server-1", Duration::from_secs(600)).unwrap();
    assert!(
        client(&emu, Credentials::Minted(minted))
            .user_events()
            .await
            .is_ok()
    );
    let legacy = MintedToken::new(APP, CERT, "server-1", Duration::from_secs(600))
        .unwrap()
        .legacy();
    assert!(
        client(&emu, Credentials::Minted(legacy))
            .channel_events()
            .await
            .is_ok()
    );
    assert_eq!(emu.stats().apps[APP].auth_failures, 0);
}

#[tokio::test]
async fn bad_tokens_get_401_invalid_token() {
    let emu = emulator().await;
    let good = token::build_rtm_token(APP, CERT, "u", Duration::from_secs(600), now(), 7).unwrap();
    // Tamper with one character of the payload.
    let mut tampered = good.clone().into_bytes();
    let i = tampered.len() - 10;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let expired =
        token::build_rtm_token(APP, CERT, "u", Duration::from_secs(60), now() - 3600, 7).unwrap();
    let cross_app =
        token::build_rtm_token(OTHER_APP, CERT, "u", Duration::from_secs(600), now(), 7).unwrap();
    let wrong_cert = token::build_rtm_token(
        APP,
        "00000000000000000000000000000000",
        "u",
        Duration::from_secs(600),
        now(),
        7,
    )
    .unwrap();
    for (name, t) in [
        ("tampered", tampered),
        ("expired", expired),
        ("cross-app", cross_app),
        ("wrong cert", wrong_cert),
    ] {
        let err = client(&emu, Credentials::token(t).unwrap())
            .user_events()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth, "{name}: {err}");
        assert_eq!(err.status(), Some(401), "{name}");
        assert!(err.to_string().contains("invalid token"), "{name}: {err}");
    }
    // A 007 token sent in the legacy headers is refused too.
    let err = client(&emu, Credentials::legacy_token(good.clone(), "u").unwrap())
        .user_events()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(
        client(&emu, Credentials::token(good).unwrap())
            .user_events()
            .await
            .is_ok()
    );
    assert_eq!(emu.stats().apps[APP].auth_failures, 5);
}

#[tokio::test]
async fn minted_auth_runs_past_the_token_lifetime_without_a_401() {
    let emu = emulator().await;
    // 3 s tokens, re-minted when less than 1 s is left: 6 s of reads span two lifetimes.
    let minted = MintedToken::new(APP, CERT, "server-1", Duration::from_secs(3))
        .unwrap()
        .with_refresh_margin(Duration::from_secs(1));
    let c = client(&emu, Credentials::Minted(minted));
    let start = std::time::Instant::now();
    let mut reads = 0;
    while start.elapsed() < Duration::from_secs(6) {
        c.user_events().await.expect("no read may fail");
        reads += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(reads >= 15, "{reads} reads");
    assert_eq!(emu.stats().apps[APP].auth_failures, 0);
}
