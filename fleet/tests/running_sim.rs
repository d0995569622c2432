//! `--sim URL`: the fleet against a simulator it did not start (started here, on a free
//! loopback port, on the simulated clock and with nothing registered), configured through
//! the simulator's admin endpoints; and the URLs it refuses.

use std::process::{Command, Output};

use serde_json::Value;
use slack_oauth_core::auth::Test;
use slack_oauth_core::Api;
use slack_oauth_sim::{Clock, Server, Sim};

fn fleet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slack-oauth-fleet"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_running_simulator_is_configured_and_used() {
    let sim = Sim::new();
    assert_eq!(sim.clock(), Clock::Simulated);
    // Something the simulator answered before the fleet came: not the fleet's to count.
    let request = Api::new().request(&Test::new("xoxb-not-a-token")).unwrap();
    assert_eq!(sim.handle(&request).status(), 200);
    assert_eq!(sim.stats().count("auth.test", "invalid_auth"), 1);
    let server = Server::start(sim.clone()).unwrap();

    let dir = std::env::temp_dir().join(format!("slack-oauth-fleet-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = format!("sqlite:{}", dir.join("tokens.db").display());
    let output = fleet(&[
        "--store",
        &store,
        "--sim",
        &server.url(),
        "--processes",
        "2",
        "--installations",
        "10",
        "--windows",
        "2",
        "--ttl",
        "6",
        "--lease",
        "3",
        "--max-seconds",
        "40",
        "--json-only",
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the fleet failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_str(stdout.lines().next().unwrap_or("")).unwrap();
    let shown = summary.to_string();

    assert_eq!(summary["simulator"]["started_by_fleet"], false, "{shown}");
    assert_eq!(summary["simulator"]["url"], server.url(), "{shown}");
    assert_eq!(summary["timed_out"], false, "{shown}");
    assert!(
        summary["windows_reached"]["bot"].as_u64() >= Some(2),
        "{shown}"
    );
    assert!(
        summary["windows_reached"]["user"].as_u64() >= Some(2),
        "{shown}"
    );
    assert_eq!(summary["invalid_refresh_token"], 0, "{shown}");
    assert_eq!(summary["refresh_token_reuse"], 0, "{shown}");
    assert_eq!(summary["installations_lost"], 0, "{shown}");
    assert_eq!(summary["tokens_refused"], 0, "{shown}");
    assert_eq!(summary["refreshes_per_window"]["min"], 1, "{shown}");
    assert_eq!(summary["refreshes_per_window"]["max"], 1, "{shown}");
    assert_eq!(
        summary["refreshes_sent"], summary["refreshes_stored"],
        "{shown}"
    );

    // The fleet put the simulator on the wall clock and counted only its own traffic.
    assert_eq!(sim.clock(), Clock::Wall);
    assert!(summary["auth_test"]["invalid_auth"].is_null(), "{shown}");
    assert!(summary["auth_test"]["ok"].as_u64() > Some(20), "{shown}");
    // The simulator's own books agree with the summary.
    let stats = sim.stats();
    assert_eq!(stats.refresh_token_reuse, 0);
    assert_eq!(stats.count("oauth.v2.access", "invalid_refresh_token"), 0);
    assert_eq!(
        Some(stats.count("oauth.v2.access", "ok")),
        summary["refreshes_sent"].as_u64().map(|n| n + 10),
        "{shown}"
    );
    assert_eq!(
        Some(stats.count("auth.test", "ok")),
        summary["auth_test"]["ok"].as_u64()
    );
}

#[test]
fn only_a_loopback_simulator_is_used() {
    for (url, says) in [
        ("http://192.0.2.1:8080", "not a loopback address"),
        ("http://slack.com:80", "not a loopback address"),
        ("https://127.0.0.1:8080", "plain http"),
        ("http://127.0.0.1:8080/somewhere", "without a path"),
    ] {
        let output = fleet(&[
            "--store",
            "sqlite:/nonexistent/never-opened.db",
            "--sim",
            url,
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{url}: {stderr}");
        assert!(stderr.contains(says), "{url}: {stderr}");
        assert!(output.stdout.is_empty(), "{url}");
    }
}

#[test]
fn a_loopback_port_that_is_not_a_simulator_is_refused() {
    // A port nobody listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("slack-oauth-fleet-nosim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = format!("sqlite:{}", dir.join("tokens.db").display());
    let output = fleet(&[
        "--store",
        &store,
        "--sim",
        &format!("http://127.0.0.1:{port}"),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is the simulator running there?"),
        "{stderr}"
    );
}
