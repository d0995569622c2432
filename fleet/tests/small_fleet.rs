//! A small fleet on every durable store: 2 worker processes × 20 installations × 3
//! rotation windows against the simulator on 127.0.0.1, asserting that nothing is lost,
//! refused or refreshed twice. PostgreSQL and Redis are skipped loudly when they do not
//! answer, unless SLACK_OAUTH_REQUIRE_SERVICES=1.

use std::process::Command;

use serde_json::Value;
use slack_oauth_core::Store;
use slack_oauth_store::AnyStore;

fn required() -> bool {
    std::env::var("SLACK_OAUTH_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// Whether the store at `url` answers; says SKIPPED loudly when it does not.
fn answers(name: &str, url: &str) -> bool {
    let probe = AnyStore::<String>::open(url).and_then(|s| s.load("fleet-probe").map(drop));
    let Err(e) = probe else {
        return true;
    };
    assert!(
        !required(),
        "{name} at {url} does not answer ({e}) and SLACK_OAUTH_REQUIRE_SERVICES=1"
    );
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED: {name} at {url} does not answer ({e}); \
         set SLACK_OAUTH_REQUIRE_SERVICES=1 to fail instead ***"
    );
    false
}

fn fleet(store: &str, extra: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_slack-oauth-fleet"))
        .args([
            "--store",
            store,
            "--processes",
            "2",
            "--installations",
            "20",
        ])
        .args([
            "--windows",
            "3",
            "--ttl",
            "6",
            "--lease",
            "3",
            "--json-only",
        ])
        .args(["--max-seconds", "40"])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the fleet failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().next().unwrap_or("")).unwrap()
}

fn assert_nothing_lost(summary: &Value) {
    let shown = summary.to_string();
    assert_eq!(summary["timed_out"], false, "{shown}");
    assert!(
        summary["windows_reached"]["bot"].as_u64() >= Some(3),
        "{shown}"
    );
    assert!(
        summary["windows_reached"]["user"].as_u64() >= Some(3),
        "{shown}"
    );
    assert_eq!(summary["invalid_refresh_token"], 0, "{shown}");
    assert_eq!(summary["refresh_token_reuse"], 0, "{shown}");
    assert_eq!(summary["installations_lost"], 0, "{shown}");
    assert_eq!(summary["tokens_refused"], 0, "{shown}");
    assert_eq!(summary["refreshes_per_window"]["min"], 1, "{shown}");
    assert_eq!(summary["refreshes_per_window"]["max"], 1, "{shown}");
    // Every refresh Slack answered is one the markers accounted for, and stored.
    assert_eq!(
        summary["refreshes_sent"], summary["refreshes_stored"],
        "{shown}"
    );
    assert!(summary["calls"].as_u64() > Some(100), "{shown}");
}

#[test]
fn sqlite() {
    let dir = std::env::temp_dir().join(format!("slack-oauth-fleet-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("tokens.db").display());
    let summary = fleet(&url, &[]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_nothing_lost(&summary);
}

#[test]
fn postgres() {
    let url = std::env::var("SLACK_OAUTH_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    if answers("PostgreSQL", &url) {
        assert_nothing_lost(&fleet(&url, &[]));
    }
}

#[test]
fn mysql() {
    let url = std::env::var("SLACK_OAUTH_TEST_MYSQL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    if answers("MySQL", &url) {
        assert_nothing_lost(&fleet(&url, &[]));
    }
}

#[test]
fn redis() {
    let url =
        std::env::var("SLACK_OAUTH_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    if answers("Redis", &url) {
        assert_nothing_lost(&fleet(&url, &[]));
    }
}

/// Workers killed at random: every installation lost is one whose kill the conductor saw
/// land between Slack's answer and the store write.
#[test]
fn sqlite_with_kills() {
    let dir = std::env::temp_dir().join(format!("slack-oauth-fleet-kills-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("tokens.db").display());
    let summary = fleet(&url, &["--kill-every", "1", "--max-kills", "5"]);
    let _ = std::fs::remove_dir_all(&dir);
    let shown = summary.to_string();
    assert_eq!(summary["kills"], 5, "{shown}");
    assert_eq!(summary["lost_not_explained_by_kills"], 0, "{shown}");
    assert_eq!(
        summary["installations_lost"], summary["installations_lost_to_kills"],
        "{shown}"
    );
    assert_eq!(summary["tokens_refused"], 0, "{shown}");
}

/// The refresh cost the keeper aims at: load, lease, write-back. The run under the key's
/// lock starts from the record the lock-free first look loaded, so it does not load again.
#[test]
fn an_uncontended_refresh_makes_three_round_trips() {
    let dir = std::env::temp_dir().join(format!("slack-oauth-fleet-trips-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("tokens.db").display());
    let output = Command::new(env!("CARGO_BIN_EXE_slack-oauth-fleet"))
        .args(["--store", &url, "--processes", "1", "--installations", "5"])
        .args([
            "--windows",
            "2",
            "--ttl",
            "6",
            "--lease",
            "3",
            "--json-only",
        ])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    let trips = &summary["store_round_trips"];
    assert!(trips["refresh_max"].as_u64() <= Some(3), "{trips}");
}
