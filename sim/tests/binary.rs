//! The `slack-oauth-sim` program: flags, config file, serving until stopped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_slack-oauth-sim");

/// Kills the child when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serves_a_config_file() {
    let dir = std::env::temp_dir().join(format!("slack-oauth-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("sim.json");
    std::fs::write(
        &config,
        r#"{"apps": [{"client_id": "9.9", "client_secret": "s", "token_rotation": true}],
            "config_tokens": [{"team_id": "T1", "user_id": "U1", "refresh_token": "xoxe-1-from-file"}]}"#,
    )
    .unwrap();
    let child = Command::new(BIN)
        .args(["--port", "0", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Running(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("slack-oauth-sim listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();

    let body = "refresh_token=xoxe-1-from-file";
    let answer = http(
        &url,
        &format!(
            "POST /api/tooling.tokens.rotate HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""team_id":"T1""#), "{answer}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_flags_and_bad_files_exit_with_status_2() {
    let out = Command::new(BIN).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument"));
    let out = Command::new(BIN)
        .args(["--config", "/nonexistent/sim.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--config FILE"));
}

#[test]
fn first_line_names_the_port_without_config_too() {
    let child = Command::new(BIN)
        .args(["--port", "0", "--clock", "wall"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Running(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("slack-oauth-sim listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    let rest: Vec<String> = lines.by_ref().take(4).map(|l| l.unwrap()).collect();
    assert!(rest.iter().any(|l| l.contains("demo app")), "{rest:?}");

    // The wall clock: now is the system's.
    let answer = http(
        &url,
        "GET /_sim/clock HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.contains(r#""clock":"wall""#), "{answer}");
    let answer = http(
        &url,
        "POST /api/auth.test HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.contains(r#""error":"not_authed""#), "{answer}");
}
