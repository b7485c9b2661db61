//! `agora-rtm watch` end to end: JSON lines, SQLite persistence, and a watcher
//! killed with SIGKILL and restarted keeps every event it persisted and its presence.

use std::collections::HashSet;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use agora_rtm_rest::Presence;
use agora_rtm_rest::sink::sqlite;

const BIN: &str = env!("CARGO_BIN_EXE_agora-rtm");

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn emulator(args: &[&str]) -> (Killed, String) {
    let mut child = Command::new(BIN)
        .args(["emulator", "--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (Killed(child), line.trim().to_owned())
}

fn watch(base: &str, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.arg("watch")
        .args(args)
        .env_clear()
        .env("AGORA_APP_ID", "demo")
        .env("AGORA_CUSTOMER_ID", "c")
        .env("AGORA_CUSTOMER_SECRET", "s")
        .env("AGORA_RTM_BASE_URL", base);
    c
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("agora-rtm-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("watch.db")
}

#[test]
fn json_lines_until_duration_then_a_final_stats_item() {
    let (_emu, base) = emulator(&["--simulate-users", "20", "--events-per-sec", "100"]);
    let out = watch(&base, &["--duration", "2", "--json", "--presence"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: HashSet<&str> = lines.iter().filter_map(|l| l["item"].as_str()).collect();
    assert!(
        kinds.contains("user_event") && kinds.contains("channel_event"),
        "{kinds:?}"
    );
    assert_eq!(lines.last().unwrap()["item"], "presence");
    assert_eq!(lines[lines.len() - 2]["item"], "stats");
}

#[test]
fn sigkill_and_restart_keeps_persisted_events_and_presence() {
    let (_emu, base) = emulator(&["--simulate-users", "60", "--events-per-sec", "300"]);
    let db = temp_db("restart");
    let spec = format!("sqlite:{}", db.display());
    // First run: killed without warning.
    let mut first = watch(&base, &["--sink", &spec, "--quiet", "--presence"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let before = sqlite::read_events(&db).unwrap();
    assert!(before.len() > 100, "{} events persisted", before.len());
    let presence_before = sqlite::read_presence(&db).unwrap();
    // What the first run persisted is internally consistent: replaying its events
    // gives the presence tables it wrote in the same transactions.
    let mut replay = Presence::new();
    before.iter().for_each(|e| replay.apply(e));
    assert_eq!(replay.snapshot(), presence_before);

    // Second run on the same database, stopped cleanly by --duration.
    let status = watch(
        &base,
        &["--sink", &spec, "--quiet", "--presence", "--duration", "3"],
    )
    .status()
    .unwrap();
    assert!(status.success());
    let after = sqlite::read_events(&db).unwrap();
    assert!(after.len() > before.len());
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "everything persisted before the kill is still there"
    );
    let keys: HashSet<_> = after.iter().map(|e| e.key()).collect();
    assert_eq!(keys.len(), after.len(), "nothing persisted twice");
    let mut replay = Presence::new();
    after.iter().for_each(|e| replay.apply(e));
    assert_eq!(
        replay.snapshot(),
        sqlite::read_presence(&db).unwrap(),
        "presence continued from the restored state"
    );

    // `agora-rtm presence` reads it.
    let out = Command::new(BIN)
        .args(["presence", "--sink", &spec, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let shown: agora_rtm_rest::PresenceSnapshot = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown, sqlite::read_presence(&db).unwrap());
    let _ = std::fs::remove_dir_all(db.parent().unwrap());
}
