//! The `agora-rtm` binary end to end: an emulator process with two regions, and
//! CLI reads against it (what a shell user does).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_agora-rtm");

/// An emulator process, killed on drop.
struct EmulatorProcess {
    child: Child,
    urls: Vec<String>,
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_emulator(args: &[&str]) -> EmulatorProcess {
    let mut child = Command::new(BIN)
        .arg("emulator")
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn emulator");
    let regions = args
        .iter()
        .position(|a| *a == "--regions")
        .map_or(1, |i| args[i + 1].split(',').count());
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut urls = Vec::new();
    for _ in 0..regions {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(
            line.starts_with("http://127.0.0.1:"),
            "unexpected first line {line:?}"
        );
        urls.push(line.trim().to_owned());
    }
    EmulatorProcess { child, urls }
}

/// A tiny HTTP/1.1 call for the admin API (no client library needed).
fn admin(base: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let authority = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(authority).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nhost: {authority}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw.split(' ').nth(1).unwrap().parse().unwrap();
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn inject_users(base: &str, app: &str, n: usize) {
    let events: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"user_id":"u{i}","type":"Login","ms":{}}}"#,
                1_700_000_000_000u64 + i as u64
            )
        })
        .collect();
    let (status, body) = admin(
        base,
        "POST",
        &format!("/_emulator/apps/{app}/user_events"),
        &format!("[{}]", events.join(",")),
    );
    assert_eq!(status, 200, "{body}");
}

fn stats(base: &str) -> serde_json::Value {
    let (status, body) = admin(base, "GET", "/_emulator/stats", "");
    assert_eq!(status, 200);
    // The admin API may answer chunked; take the JSON object out of the body.
    let start = body.find('{').unwrap();
    let end = body.rfind('}').unwrap();
    serde_json::from_str(&body[start..=end]).unwrap()
}

fn cli(base: &str, app: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .env("AGORA_APP_ID", app)
        .env("AGORA_CUSTOMER_ID", "cid")
        .env("AGORA_CUSTOMER_SECRET", "csecret")
        .env("AGORA_RTM_BASE_URL", base)
        .output()
        .unwrap()
}

fn lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

#[test]
fn emulator_prints_one_url_per_region_and_reads_are_destructive() {
    let emu = start_emulator(&["--regions", "us-west-1,eu-west-1"]);
    assert_eq!(emu.urls.len(), 2);
    assert_ne!(emu.urls[0], emu.urls[1]);
    inject_users(&emu.urls[0], "once", 3);
    let first = cli(&emu.urls[0], "once", &["events", "users", "--json"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let events = lines(&first);
    assert_eq!(events.len(), 3);
    assert_eq!(events[0]["user_id"], "u0");
    assert_eq!(events[0]["type"], "Login");
    let second = cli(&emu.urls[0], "once", &["events", "users", "--json"]);
    assert!(second.status.success());
    assert!(lines(&second).is_empty(), "the second read is empty");
    // The other region still holds its copy.
    assert_eq!(
        lines(&cli(&emu.urls[1], "once", &["events", "users", "--json"])).len(),
        3
    );
}

#[test]
fn overflow_and_paging_through_the_cli() {
    let emu = start_emulator(&[]);
    let base = &emu.urls[0];
    inject_users(base, "cap", 2500);
    let counts: Vec<usize> = (0..3)
        .map(|_| lines(&cli(base, "cap", &["events", "users", "--json"])).len())
        .collect();
    assert_eq!(counts, [1000, 1000, 0]);
    let s = stats(base);
    assert_eq!(
        s["apps"]["cap"]["regions"]["us-west-1"]["user_events"]["overwritten"],
        500
    );
    inject_users(base, "paging", 1500);
    let counts: Vec<usize> = (0..2)
        .map(|_| lines(&cli(base, "paging", &["events", "users", "--json"])).len())
        .collect();
    assert_eq!(counts, [1000, 500]);
}

#[test]
fn a_tight_loop_of_reads_never_surfaces_a_429() {
    let emu = start_emulator(&[]);
    let base = &emu.urls[0];
    for _ in 0..25 {
        let out = cli(base, "loop", &["events", "channels", "--json"]);
        assert!(
            out.status.success(),
            "exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let s = stats(base);
    let app = &s["apps"]["loop"];
    let requests = app["requests"].as_u64().unwrap();
    let limited = app["rate_limited"].as_u64().unwrap();
    // Every CLI run succeeded; any 429 the service gave was absorbed by a retry.
    assert_eq!(requests - limited, 25, "{app}");
}

#[test]
fn wrong_secret_exits_with_the_auth_code_and_one_line() {
    let emu = start_emulator(&["--customer-id", "cid", "--customer-secret", "right"]);
    let out = cli(&emu.urls[0], "auth", &["events", "users"]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("401") && stderr.contains("Invalid authentication credentials"),
        "{stderr}"
    );
    assert!(!stderr.contains("csecret"));
}

#[test]
fn usage_and_network_failures_have_their_own_codes() {
    let out = Command::new(BIN)
        .args(["events", "users"])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AGORA_APP_ID"));
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let out = cli(&dead, "net", &["events", "users", "--max-attempts", "1"]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(BIN)
        .args(["events", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn table_output_when_asked() {
    let emu = start_emulator(&[]);
    inject_users(&emu.urls[0], "table", 2);
    let out = cli(&emu.urls[0], "table", &["events", "users", "--table"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("USER"), "{text}");
    assert!(text.contains("u1") && text.contains("2 event(s)"), "{text}");
}

#[test]
fn send_and_history_through_the_cli() {
    let emu = start_emulator(&[]);
    let base = &emu.urls[0];
    let (status, body) = admin(
        base,
        "PUT",
        "/_emulator/apps/climsg/online/alice",
        r#"{"online":true}"#,
    );
    assert_eq!(status, 200, "{body}");
    let args = [
        "send",
        "peer",
        "--from",
        "server",
        "--to",
        "alice",
        "hi",
        "--wait-for-ack",
    ];
    let out = cli(base, "climsg", &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&out)[0]["outcome"], "message_delivered");
    let args = [
        "send",
        "peer",
        "--from",
        "server",
        "--to",
        "bob",
        "hi",
        "--wait-for-ack",
    ];
    assert_eq!(
        lines(&cli(base, "climsg", &args))[0]["outcome"],
        "message_offline"
    );

    let from = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 5)
    .to_string();
    for i in 0..3 {
        let payload = format!("m{i}");
        let args = [
            "send",
            "channel",
            "--from",
            "server",
            "--channel",
            "lobby",
            &payload,
            "--history",
        ];
        let out = cli(base, "climsg", &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(lines(&out)[0]["outcome"], "message_sent");
    }
    let to = "2100-01-01T00:00:00Z";
    let args = [
        "history",
        "--destination",
        "lobby",
        "--from-time",
        &from,
        "--to-time",
        to,
        "--limit",
        "20",
    ];
    let out = cli(base, "climsg", &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<_> = lines(&out).iter().map(|m| m["payload"].clone()).collect();
    assert_eq!(got, ["m0", "m1", "m2"]);
    let args = [
        "history",
        "--destination",
        "lobby",
        "--from-time",
        &from,
        "--to-time",
        to,
        "--count",
    ];
    assert_eq!(lines(&cli(base, "climsg", &args))[0]["count"], 3);
    let args = [
        "history",
        "v2",
        "--user",
        "server",
        "--channel",
        "lobby",
        "--page-size",
        "2",
    ];
    let out = cli(base, "climsg", &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<_> = lines(&out).iter().map(|m| m["message"].clone()).collect();
    assert_eq!(got, ["m2", "m1", "m0"], "newest first, across two pages");

    // Invalid input: usage exit code, one line naming the field, nothing sent.
    let before = stats(base)["apps"]["climsg"]["requests"].as_u64().unwrap();
    let out = cli(
        base,
        "climsg",
        &["send", "peer", "--from", "server", "--to", " bob", "x"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid to"));
    let args = [
        "history",
        "--source",
        "a",
        "--from-time",
        "10",
        "--to-time",
        "20",
        "--limit",
        "30",
    ];
    let out = cli(base, "climsg", &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid limit"));
    assert_eq!(
        stats(base)["apps"]["climsg"]["requests"].as_u64().unwrap(),
        before
    );
}
