//! `--store` over TLS from the command line: a TLS failure is exit 3 whose message names the
//! host and never the password (from the URL or PGPASSWORD); a URL without `sslmode` to a
//! host that is not loopback insists on TLS (tried under a private `/etc/hosts` that maps
//! `db.internal` to 127.0.0.1); `--store-ca` and `SLACK_OAUTH_STORE_CA` are read.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_slack-oauth");
const PASSWORD: &str = "pw-CANARY-51d2";
const PGPASSWORD: &str = "pgpw-CANARY-90ab";

/// A loopback server that answers PostgreSQL's TLS request with `N` (no TLS here) and then
/// reads whatever comes; its port.
fn postgres_without_tls() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut request = [0u8; 8];
                if stream.read_exact(&mut request).is_ok() && stream.write_all(b"N").is_ok() {
                    let _ = stream.read_to_end(&mut Vec::new());
                }
            });
        }
    });
    port
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(command: &mut Command) -> Run {
    let output = command
        .env("PGPASSWORD", PGPASSWORD)
        .env_remove("SLACK_OAUTH_STORE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let run = Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    for secret in [PASSWORD, PGPASSWORD] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "a password leaked: {} {}",
            run.stdout,
            run.stderr
        );
    }
    run
}

fn list(url: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["--timeout", "5", "installations", "list", "--store", url])
        .env_remove("SLACK_OAUTH_STORE_CA");
    command
}

#[test]
fn a_tls_failure_is_exit_3_naming_the_host() {
    let port = postgres_without_tls();
    let url = format!("postgres://app:{PASSWORD}@localhost:{port}/app?sslmode=require");
    let failed = run(&mut list(&url));
    assert_eq!(failed.code, 3, "{}", failed.stderr);
    assert_eq!(failed.stdout, "");
    assert!(
        failed.stderr.contains(&format!("localhost:{port}"))
            && failed.stderr.contains("does not support TLS"),
        "{}",
        failed.stderr
    );
    // The password from PGPASSWORD is not shown either (`run` checks).
    let url = format!("postgres://app@localhost:{port}/app?sslmode=verify-full");
    assert_eq!(run(&mut list(&url)).code, 3);
}

#[test]
fn the_store_ca_flag_and_variable_are_read() {
    let port = postgres_without_tls();
    let url = format!("postgres://app:{PASSWORD}@localhost:{port}/app?sslmode=verify-full");
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-ca.pem");
    let by_flag = run(list(&url).arg("--store-ca").arg(&missing));
    assert_eq!(by_flag.code, 2, "{}", by_flag.stderr);
    assert!(
        by_flag.stderr.contains("no-such-ca.pem"),
        "{}",
        by_flag.stderr
    );
    let not_pem = dir.path().join("not-pem.pem");
    std::fs::write(&not_pem, "hello\n").unwrap();
    assert_eq!(
        run(&mut list(&url)).code,
        3,
        "without a CA it reaches the server"
    );
    let by_variable = run(list(&url).env("SLACK_OAUTH_STORE_CA", &not_pem));
    assert_eq!(by_variable.code, 2, "{}", by_variable.stderr);
    assert!(
        by_variable.stderr.contains("not-pem.pem"),
        "{}",
        by_variable.stderr
    );
    // rediss:// takes the CA too.
    let rediss = format!("rediss://default:{PASSWORD}@localhost:{port}");
    let redis = run(list(&rediss).arg("--store-ca").arg(&missing));
    assert_eq!(redis.code, 2, "{}", redis.stderr);
}

/// Runs `slack-oauth ARGS` in a private mount namespace whose `/etc/hosts` maps
/// `db.internal` to 127.0.0.1; `None` when this machine cannot (not root, no `unshare`).
fn with_private_hosts(args: &[&str]) -> Option<Run> {
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "127.0.0.1 localhost db.internal\n").unwrap();
    let probe = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount --bind \"$1\" /etc/hosts", "sh"])
        .arg(&hosts)
        .output();
    if !probe.is_ok_and(|out| out.status.success()) {
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED: no private mount namespace here (unshare -m needs root) ***"
        );
        return None;
    }
    let mut command = Command::new("unshare");
    command
        .args([
            "-m",
            "sh",
            "-c",
            "mount --bind \"$1\" /etc/hosts && shift && exec \"$@\"",
            "sh",
        ])
        .arg(&hosts)
        .arg(BIN)
        .args(args)
        .env_remove("SLACK_OAUTH_STORE_CA");
    Some(run(&mut command))
}

#[test]
fn a_host_that_is_not_loopback_gets_verified_tls_by_default() {
    let port = postgres_without_tls();
    // No sslmode: verify-full for db.internal, so a server without TLS is refused (a
    // plaintext fallback would have sent the startup packet and waited).
    let url = format!("postgres://app:{PASSWORD}@db.internal:{port}/app");
    let Some(refused) =
        with_private_hosts(&["--timeout", "5", "installations", "list", "--store", &url])
    else {
        return;
    };
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!("db.internal:{port}"))
            && refused.stderr.contains("does not support TLS"),
        "{}",
        refused.stderr
    );
}
