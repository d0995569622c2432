//! The `slack-oauth` binary run as a subprocess against the simulator on 127.0.0.1: every
//! command, every exit code, the atomic `--store`, the whole `install`, and no secret on
//! stderr.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use slack_oauth_sim::{AppConfig, ExternalTokenSeed, Fault, Server, Sim};

const BIN: &str = env!("CARGO_BIN_EXE_slack-oauth");
const CLIENT_ID: &str = "111.222";
/// The client secret is a canary: it must never appear on stdout or stderr.
const SECRET: &str = "app-secret-CANARY-7f3a";
const APP_ID: &str = "A0CLITEST";
/// Every variable the binary reads; removed from the inherited environment.
const ENV_VARS: [&str; 8] = [
    "SLACK_AUTH_CODE",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_REFRESH_TOKEN",
    "SLACK_CONFIG_REFRESH_TOKEN",
    "SLACK_TOKEN",
    "SLACK_OAUTH_STORE",
    "SLACK_OAUTH_STORE_NAMESPACE",
];

/// The transports this build has (`hyper` is a default feature).
const TRANSPORTS: &[&str] = if cfg!(feature = "hyper") {
    &["ureq", "hyper"]
} else {
    &["ureq"]
};
/// The last transport of this build: `hyper` when built with it.
const OTHER: &str = TRANSPORTS[TRANSPORTS.len() - 1];

fn start() -> Server {
    let sim = Sim::new();
    sim.register_app(
        AppConfig::new(CLIENT_ID, SECRET)
            .app_id(APP_ID)
            .token_rotation(true)
            .pkce(true)
            .bot_scopes("chat:write,commands")
            .user_scopes("search:read"),
    );
    Server::start(sim).expect("the simulator starts")
}

/// What a run of the binary left behind.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "stdout is one line of JSON: {self:?}");
        let value: Value = serde_json::from_str(lines[0]).expect("stdout is JSON");
        assert!(value.is_object(), "stdout is an object: {self:?}");
        value
    }

    fn ok(&self) -> Value {
        assert_eq!(self.code, 0, "{self:?}");
        self.json()
    }

    /// Exit 1 with `{"ok":false,"error":code}`.
    fn slack_error(&self, code: &str) -> Value {
        assert_eq!(self.code, 1, "{self:?}");
        let value = self.json();
        assert_eq!(value["ok"], false, "{self:?}");
        assert_eq!(value["error"], code, "{self:?}");
        value
    }

    /// Exit 2 or 3 with nothing on stdout and a message on stderr.
    fn failed(&self, code: i32) {
        assert_eq!(self.code, code, "{self:?}");
        assert_eq!(self.stdout, "", "{self:?}");
        assert!(!self.stderr.trim().is_empty(), "{self:?}");
    }
}

/// A command line with a clean environment (plus `env`), optional stdin.
struct Cli {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
}

fn cli(base: Option<&Server>) -> Cli {
    let mut args = Vec::new();
    if let Some(server) = base {
        args.push("--base-url".to_owned());
        args.push(server.base_url());
    }
    Cli {
        args,
        env: Vec::new(),
        stdin: None,
    }
}

impl Cli {
    fn args(mut self, args: &[&str]) -> Cli {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    fn env(mut self, name: &str, value: &str) -> Cli {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    fn app(self) -> Cli {
        self.env("SLACK_CLIENT_ID", CLIENT_ID)
            .env("SLACK_CLIENT_SECRET", SECRET)
    }

    fn stdin(mut self, text: &str) -> Cli {
        self.stdin = Some(text.to_owned());
        self
    }

    fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command.args(&self.args);
        for name in ENV_VARS {
            command.env_remove(name);
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    fn run(self) -> Run {
        let mut command = self.command();
        command
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the binary starts");
        if let Some(text) = &self.stdin {
            let mut stdin = child.stdin.take().unwrap();
            // A run that fails before reading its input (a usage error, say) closes the pipe
            // first; its exit code and output are what the test checks, not our write.
            if let Err(e) = stdin.write_all(text.as_bytes()) {
                assert_eq!(
                    e.kind(),
                    std::io::ErrorKind::BrokenPipe,
                    "writing stdin: {e}"
                );
            }
        }
        let output = child.wait_with_output().unwrap();
        let run = Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        };
        assert!(
            !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
            "the client secret leaked: {run:?}"
        );
        run
    }
}

/// The string at `pointer` in `value`.
fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {value}"))
        .to_owned()
}

/// Approves `url` in the simulator and returns the redirect's `code`.
fn approve(server: &Server, url: &str) -> String {
    let redirect = server.sim().approve(url).expect("the simulator approves");
    query_param(&redirect, "code").expect("the redirect has a code")
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn help_on_every_command_with_an_example() {
    for command in [
        "",
        "authorize-url",
        "access",
        "refresh",
        "user-access",
        "exchange",
        "rotate-config-token",
        "external-token",
        "external-token get",
        "external-token delete",
        "install",
        "sim",
    ] {
        let mut args: Vec<&str> = command.split_whitespace().collect();
        args.push("--help");
        let run = cli(None).args(&args).run();
        assert_eq!(run.code, 0, "{command}: {run:?}");
        assert!(run.stdout.contains("Usage:"), "{command}: {run:?}");
        assert!(run.stdout.contains("Example"), "{command}: {run:?}");
    }
    let version = cli(None).args(&["--version"]).run();
    assert_eq!(version.code, 0);
    assert!(version.stdout.starts_with("slack-oauth "), "{version:?}");
}

#[test]
fn usage_errors_exit_2_before_any_request() {
    let server = start();
    let cases: Vec<(&str, Cli)> = vec![
        ("no command", cli(None)),
        ("unknown flag", cli(None).args(&["refresh", "--nope"])),
        (
            "secret as a flag value",
            cli(None).args(&["access", "--code", "1", "--client-secret", "x"]),
        ),
        (
            "no client id",
            cli(Some(&server))
                .env("SLACK_CLIENT_SECRET", SECRET)
                .args(&["access", "--code", "1.2.3"]),
        ),
        (
            "no client secret without PKCE",
            cli(Some(&server))
                .env("SLACK_CLIENT_ID", CLIENT_ID)
                .args(&["access", "--code", "1.2.3"]),
        ),
        (
            "no refresh token",
            cli(Some(&server)).app().args(&["refresh"]),
        ),
        (
            "no legacy token",
            cli(Some(&server)).app().args(&["exchange"]),
        ),
        (
            "no config refresh token",
            cli(Some(&server)).args(&["rotate-config-token"]),
        ),
        (
            "missing token file",
            cli(Some(&server)).args(&[
                "external-token",
                "get",
                "--external-token-id",
                "Et1",
                "--token-file",
                "/nonexistent/token",
            ]),
        ),
        (
            "empty token",
            cli(Some(&server)).env("SLACK_TOKEN", "  ").args(&[
                "external-token",
                "get",
                "--external-token-id",
                "Et1",
            ]),
        ),
        (
            "nothing to delete",
            cli(Some(&server))
                .env("SLACK_TOKEN", "xwfp-1")
                .args(&["external-token", "delete"]),
        ),
        (
            "stdin twice",
            cli(Some(&server))
                .env("SLACK_CLIENT_ID", CLIENT_ID)
                .args(&[
                    "--client-secret-file",
                    "-",
                    "access",
                    "--code",
                    "1",
                    "--code-verifier-file",
                    "-",
                ])
                .stdin("x\n"),
        ),
        (
            "plain http to a remote host",
            cli(None)
                .env("SLACK_CONFIG_REFRESH_TOKEN", "xoxe-1-a")
                .args(&[
                    "--base-url",
                    "http://slack.example/api",
                    "rotate-config-token",
                ]),
        ),
        (
            "--gov with --base-url",
            cli(Some(&server))
                .env("SLACK_CONFIG_REFRESH_TOKEN", "xoxe-1-a")
                .args(&["--gov", "rotate-config-token"]),
        ),
        (
            "zero timeout",
            cli(Some(&server))
                .env("SLACK_CONFIG_REFRESH_TOKEN", "xoxe-1-a")
                .args(&["--timeout", "0", "rotate-config-token"]),
        ),
        (
            "no scopes",
            cli(Some(&server)).app().args(&["authorize-url"]),
        ),
        (
            "missing store",
            cli(Some(&server)).args(&["rotate-config-token", "--store", "/nonexistent/pair.json"]),
        ),
    ];
    for (what, cli) in cases {
        let run = cli.run();
        assert_eq!(run.code, 2, "{what}: {run:?}");
        assert_eq!(run.stdout, "", "{what}: {run:?}");
        assert!(!run.stderr.is_empty(), "{what}: {run:?}");
    }
    for method in [
        "oauth.v2.access",
        "oauth.v2.exchange",
        "tooling.tokens.rotate",
        "apps.auth.external.get",
        "apps.auth.external.delete",
    ] {
        assert_eq!(server.sim().calls(method), 0, "{method} was called");
    }
}

#[test]
fn authorize_url_then_access_with_pkce_as_a_public_client() {
    let server = start();
    let dir = tempfile::tempdir().unwrap();
    let authorize = cli(Some(&server))
        .env("SLACK_CLIENT_ID", CLIENT_ID)
        .args(&[
            "authorize-url",
            "--scope",
            "chat:write,commands",
            "--user-scope",
            "search:read",
            "--pkce",
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
        ])
        .run()
        .ok();
    let url = text(&authorize, "/url");
    let verifier = text(&authorize, "/code_verifier");
    assert!(
        url.starts_with(&format!("{}/oauth/v2/authorize?", server.url())),
        "{url}"
    );
    assert_eq!(query_param(&url, "client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        query_param(&url, "scope").as_deref(),
        Some("chat:write,commands")
    );
    assert_eq!(
        query_param(&url, "user_scope").as_deref(),
        Some("search:read")
    );
    assert_eq!(query_param(&url, "state"), Some(text(&authorize, "/state")));
    assert_eq!(
        query_param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(verifier.len() >= 43);

    let code = approve(&server, &url);
    let verifier_file = dir.path().join("verifier.txt");
    std::fs::write(&verifier_file, format!("{verifier}\n")).unwrap();
    // No client secret at all: a PKCE public client.
    let access = cli(Some(&server))
        .env("SLACK_CLIENT_ID", CLIENT_ID)
        .args(&["access", "--code", &code, "--code-verifier-file"])
        .args(&[verifier_file.to_str().unwrap()])
        .args(&["--redirect-uri", "http://127.0.0.1:9/cb"])
        .run();
    let value = access.ok();
    assert!(
        text(&value, "/access_token").starts_with("xoxe.xoxb-"),
        "{value}"
    );
    assert!(text(&value, "/authed_user/access_token").starts_with("xoxe.xoxp-"));
    assert!(value.get("team").is_some());
    assert!(value.get("warnings").is_none());
    assert!(!access.stderr.contains(&text(&value, "/access_token")));

    // The code is single use.
    cli(Some(&server))
        .env("SLACK_CLIENT_ID", CLIENT_ID)
        .args(&["access", "--code", &code, "--code-verifier-file", "-"])
        .stdin(&verifier)
        .run()
        .slack_error("invalid_code");
}

#[test]
fn access_then_refresh_once() {
    let server = start();
    let authorize = cli(Some(&server))
        .app()
        .args(&[
            "authorize-url",
            "--scope",
            "chat:write",
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
        ])
        .run()
        .ok();
    assert_eq!(text(&authorize, "/redirect_uri"), "http://127.0.0.1:9/cb");
    assert!(authorize.get("code_verifier").is_none());
    let code = approve(&server, &text(&authorize, "/url"));
    let installed = cli(Some(&server))
        .app()
        .args(&[
            "access",
            "--code",
            &code,
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
        ])
        .run()
        .ok();
    assert_eq!(installed["expires_in"], 43_200);
    let refresh = text(&installed, "/refresh_token");

    let refreshed = cli(Some(&server))
        .app()
        .env("SLACK_REFRESH_TOKEN", &refresh)
        .args(&["refresh"])
        .run();
    let value = refreshed.ok();
    let next = text(&value, "/refresh_token");
    assert_ne!(next, refresh);
    assert!(!refreshed.stderr.contains(&next));

    // Refresh tokens are single use.
    let spent = cli(Some(&server))
        .app()
        .env("SLACK_REFRESH_TOKEN", &refresh)
        .args(&["refresh"])
        .run();
    spent.slack_error("invalid_refresh_token");
    assert!(!spent.stderr.contains(&refresh), "{spent:?}");

    // The file wins over the variable; `-` is stdin.
    cli(Some(&server))
        .app()
        .env("SLACK_REFRESH_TOKEN", &refresh)
        .args(&["--transport", OTHER, "refresh", "--refresh-token-file", "-"])
        .stdin(&format!("{next}\n"))
        .run()
        .ok();
    assert_eq!(
        server
            .sim()
            .calls_with("oauth.v2.access", |a| a.get("grant_type")
                == Some("refresh_token")),
        3
    );
}

/// A fresh code for the app, from an approved authorize URL with this redirect URI.
fn fresh_code(server: &Server, user_only: bool) -> String {
    let mut args = vec!["authorize-url", "--redirect-uri", "http://127.0.0.1:9/cb"];
    args.extend(if user_only {
        &["--user-only", "--user-scope", "search:read"][..]
    } else {
        &["--scope", "chat:write", "--user-scope", "search:read"][..]
    });
    let authorize = cli(Some(server)).app().args(&args).run().ok();
    approve(server, &text(&authorize, "/url"))
}

#[test]
fn the_code_from_a_file_stdin_or_the_environment() {
    let server = start();
    let dir = tempfile::tempdir().unwrap();
    let redirect = ["--redirect-uri", "http://127.0.0.1:9/cb"];
    for command in ["access", "user-access"] {
        let user_only = command == "user-access";
        let code = fresh_code(&server, user_only);
        let file = dir.path().join("code.txt");
        std::fs::write(&file, format!("{code}\n")).unwrap();
        let run = cli(Some(&server))
            .app()
            .args(&[command, "--code-file", file.to_str().unwrap()])
            .args(&redirect)
            .run();
        run.ok();
        assert!(!run.stderr.contains(&code), "{run:?}");

        let code = fresh_code(&server, user_only);
        cli(Some(&server))
            .app()
            .args(&[command, "--code-file", "-"])
            .args(&redirect)
            .stdin(&code)
            .run()
            .ok();

        let code = fresh_code(&server, user_only);
        cli(Some(&server))
            .app()
            .env("SLACK_AUTH_CODE", &code)
            .args(&[command])
            .args(&redirect)
            .run()
            .ok();
    }
    assert_eq!(server.sim().calls("oauth.v2.access"), 3);
    assert_eq!(server.sim().calls("oauth.v2.user.access"), 3);

    // Missing, or given twice.
    for args in [
        vec!["access"],
        vec!["access", "--code", "1.2.3", "--code-file", "-"],
    ] {
        cli(Some(&server))
            .app()
            .args(&args)
            .stdin("1.2.3")
            .run()
            .failed(2);
    }
    // The help says which way is safe.
    let help = cli(None).args(&["access", "--help"]).run().stdout;
    assert!(help.contains("--code-file"), "{help}");
    assert!(help.contains("SLACK_AUTH_CODE"), "{help}");
    assert!(help.contains("process list"), "{help}");
}

#[test]
fn user_access_for_the_user_only_flow() {
    let server = start();
    let authorize = cli(Some(&server))
        .app()
        .args(&[
            "authorize-url",
            "--user-only",
            "--user-scope",
            "search:read",
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
        ])
        .run()
        .ok();
    let url = text(&authorize, "/url");
    assert!(url.contains("/oauth/v2_user/authorize?"), "{url}");
    let code = approve(&server, &url);
    let value = cli(Some(&server))
        .app()
        .args(&["user-access", "--code", &code])
        .args(&["--redirect-uri", "http://127.0.0.1:9/cb"])
        .run()
        .ok();
    let token = value
        .get("access_token")
        .or_else(|| value.pointer("/authed_user/access_token"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("a user token in {value}"));
    assert!(token.starts_with("xoxe.xoxp-"), "{value}");
    assert_eq!(server.sim().calls("oauth.v2.user.access"), 1);
}

#[test]
fn exchange_a_legacy_token_once() {
    let server = start();
    let legacy = server.sim().seed_legacy_token(CLIENT_ID, "bot");
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("legacy");
    std::fs::write(&token_file, &legacy).unwrap();
    let value = cli(Some(&server))
        .app()
        .args(&["exchange", "--token-file", token_file.to_str().unwrap()])
        .run()
        .ok();
    assert!(
        text(&value, "/access_token").starts_with("xoxe.xoxb-"),
        "{value}"
    );
    assert!(
        text(&value, "/refresh_token").starts_with("xoxe-"),
        "{value}"
    );
    let again = cli(Some(&server))
        .app()
        .env("SLACK_TOKEN", &legacy)
        .args(&["exchange"])
        .run();
    assert_eq!(again.code, 1, "{again:?}");
    assert_eq!(again.json()["ok"], false);
    assert!(!again.stderr.contains(&legacy));
}

#[test]
fn rotate_config_token_from_the_environment() {
    let server = start();
    let (token, refresh) = server.sim().seed_config_token("T0CLI", "U0CLI");
    let run = cli(Some(&server))
        .env("SLACK_CONFIG_REFRESH_TOKEN", &refresh)
        .args(&["rotate-config-token"])
        .run();
    let value = run.ok();
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["exp", "iat", "refresh_token", "team_id", "token", "user_id"]
    );
    assert_ne!(text(&value, "/token"), token);
    assert_eq!(text(&value, "/team_id"), "T0CLI");
    assert_eq!(
        value["exp"].as_u64().unwrap() - value["iat"].as_u64().unwrap(),
        43_200
    );
    assert!(!run.stderr.contains(&text(&value, "/token")));
    cli(Some(&server))
        .env("SLACK_CONFIG_REFRESH_TOKEN", &refresh)
        .args(&["rotate-config-token"])
        .run()
        .slack_error("invalid_refresh_token");
}

#[test]
fn rotate_config_token_store_is_replaced_atomically_and_survives_errors() {
    let server = start();
    let (token, refresh) = server.sim().seed_config_token("T0CLI", "U0CLI");
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("config-token.json");
    let first = format!(
        r#"{{"token":"{token}","refresh_token":"{refresh}","team_id":"T0CLI","user_id":"U0CLI","iat":1,"exp":2}}"#
    );
    std::fs::write(&store, &first).unwrap();

    for &transport in TRANSPORTS {
        let before = std::fs::read(&store).unwrap();
        let run = cli(Some(&server))
            .args(&["--transport", transport, "rotate-config-token", "--store"])
            .args(&[store.to_str().unwrap()])
            .run();
        let printed = run.ok();
        let stored: Value = serde_json::from_slice(&std::fs::read(&store).unwrap()).unwrap();
        assert_eq!(stored, printed, "the store holds exactly the new pair");
        assert_ne!(std::fs::read(&store).unwrap(), before);
        assert_eq!(
            files_in(dir.path()),
            ["config-token.json"],
            "no temporary file left"
        );
        assert!(!run.stderr.contains(&text(&printed, "/refresh_token")));
    }

    // A spent refresh token: Slack says no, the file stays byte for byte.
    std::fs::write(&store, &first).unwrap();
    let spent = cli(Some(&server))
        .args(&["rotate-config-token", "--store", store.to_str().unwrap()])
        .run();
    spent.slack_error("invalid_refresh_token");
    assert_eq!(std::fs::read_to_string(&store).unwrap(), first);
    assert_eq!(files_in(dir.path()), ["config-token.json"]);

    // A transport failure leaves it too.
    let current = std::fs::read(&store).unwrap();
    server
        .sim()
        .inject("tooling.tokens.rotate", Fault::ServerError(503), 1);
    cli(Some(&server))
        .args(&["rotate-config-token", "--store", store.to_str().unwrap()])
        .run()
        .failed(3);
    assert_eq!(std::fs::read(&store).unwrap(), current);
    assert_eq!(files_in(dir.path()), ["config-token.json"]);

    // Not a pair: a usage error that quotes no value from the file.
    std::fs::write(
        &store,
        r#"{"token":"xoxe.xoxp-1-CANARY","refresh_token":1}"#,
    )
    .unwrap();
    let bad = cli(Some(&server))
        .args(&["rotate-config-token", "--store", store.to_str().unwrap()])
        .run();
    bad.failed(2);
    assert!(!bad.stderr.contains("CANARY"), "{bad:?}");
}

#[test]
fn external_token_get_and_delete() {
    let server = start();
    let workflow = server.sim().seed_workflow_token();
    let seed = |provider: &str| {
        server.sim().seed_external_token(ExternalTokenSeed {
            app_id: APP_ID.into(),
            provider_key: provider.into(),
            token: format!("ya29.{provider}-token"),
            has_refresh_token: true,
            ..Default::default()
        })
    };
    let google = seed("google");
    let github = seed("github");
    let get = |id: &str, extra: &[&str]| {
        cli(Some(&server))
            .env("SLACK_TOKEN", &workflow)
            .args(&["external-token", "get", "--external-token-id", id])
            .args(extra)
            .run()
    };
    let run = get(&google, &[]);
    assert_eq!(text(&run.ok(), "/external_token"), "ya29.google-token");
    assert!(!run.stderr.contains("ya29."));
    let forced = get(&google, &["--force-refresh"]).ok();
    assert_ne!(text(&forced, "/external_token"), "ya29.google-token");

    let deleted = cli(Some(&server))
        .env("SLACK_TOKEN", &workflow)
        .args(&["external-token", "delete", "--external-token-id", &google])
        .run()
        .ok();
    assert_eq!(deleted, serde_json::json!({}));
    get(&google, &[]).slack_error("token_not_found");

    cli(Some(&server))
        .env("SLACK_TOKEN", &workflow)
        .args(&[
            "external-token",
            "delete",
            "--app-id",
            APP_ID,
            "--provider-key",
            "github",
        ])
        .run()
        .ok();
    get(&github, &[]).slack_error("token_not_found");
    cli(Some(&server))
        .env("SLACK_TOKEN", &workflow)
        .args(&["external-token", "delete", "--app-id", APP_ID])
        .run()
        .slack_error("no_tokens_found");
}

#[test]
fn rate_limits_exit_1_with_retry_after() {
    let server = start();
    for &transport in TRANSPORTS {
        server.sim().inject(
            "tooling.tokens.rotate",
            Fault::RateLimited { retry_after: 7 },
            1,
        );
        let value = cli(Some(&server))
            .env("SLACK_CONFIG_REFRESH_TOKEN", "xoxe-1-unused")
            .args(&["--transport", transport, "rotate-config-token"])
            .run()
            .slack_error("ratelimited");
        assert_eq!(value["retry_after"], 7, "{transport}");
    }
}

#[test]
fn warnings_ride_along_on_stdout_and_stderr() {
    let server = start();
    let (_, refresh) = server.sim().seed_config_token("T0CLI", "U0CLI");
    server.sim().inject(
        "tooling.tokens.rotate",
        Fault::Warning("superfluous_charset".into()),
        1,
    );
    let run = cli(Some(&server))
        .env("SLACK_CONFIG_REFRESH_TOKEN", &refresh)
        .args(&["rotate-config-token"])
        .run();
    assert_eq!(
        run.ok()["warnings"],
        serde_json::json!(["superfluous_charset"])
    );
    assert!(run.stderr.contains("superfluous_charset"), "{run:?}");
}

#[test]
fn transport_and_protocol_failures_exit_3() {
    let server = start();
    let rotate = |extra: &[&str]| {
        cli(Some(&server))
            .env("SLACK_CONFIG_REFRESH_TOKEN", "xoxe-1-unused")
            .args(extra)
            .args(&["rotate-config-token"])
            .run()
    };
    for &transport in TRANSPORTS {
        let t = ["--transport", transport];
        for fault in [
            Fault::ServerError(502),
            Fault::TruncatedBody,
            Fault::Oversized { bytes: 2 << 20 },
            Fault::Redirect {
                location: "http://127.0.0.1:9/elsewhere".into(),
            },
        ] {
            let what = format!("{transport} {fault:?}");
            server.sim().inject("tooling.tokens.rotate", fault, 1);
            let run = rotate(&t);
            assert_eq!(run.code, 3, "{what}: {run:?}");
            assert_eq!(run.stdout, "", "{what}");
        }
        server.sim().inject(
            "tooling.tokens.rotate",
            Fault::Delay(Duration::from_secs(3)),
            1,
        );
        rotate(&[t[0], t[1], "--timeout", "0.3"]).failed(3);
    }
    // Nothing listening.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let run = cli(None)
        .env("SLACK_CONFIG_REFRESH_TOKEN", "xoxe-1-unused")
        .args(&["--base-url", &format!("http://127.0.0.1:{closed}/api")])
        .args(&["rotate-config-token"])
        .run();
    run.failed(3);
}

/// Starts `install` and returns the child, the authorize URL it printed, and its stderr so far.
fn start_install(server: &Server, extra: &[&str]) -> (Child, String, mpsc::Receiver<String>) {
    let mut command = cli(Some(server))
        .app()
        .args(&[
            "install",
            "--scope",
            "chat:write",
            "--user-scope",
            "search:read",
        ])
        .args(extra)
        .command();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let url = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(20))
            .expect("install prints the authorize URL on stderr");
        if line.starts_with("http") && line.contains("/oauth/v2/authorize?") {
            break line;
        }
    };
    (child, url, lines)
}

/// GETs `url` with a bare HTTP/1.1 request and returns the whole response.
fn http_get(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(authority).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn finish(mut child: Child, lines: mpsc::Receiver<String>) -> Run {
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    let stderr: Vec<String> = lines.iter().collect();
    Run {
        code: status.code().expect("exited"),
        stdout,
        stderr: stderr.join("\n"),
    }
}

#[test]
fn install_completes_against_the_simulator() {
    let server = start();
    let (child, url, lines) = start_install(&server, &["--wait", "30"]);
    let redirect_uri = query_param(&url, "redirect_uri").expect("a redirect_uri");
    assert!(
        redirect_uri.starts_with("http://127.0.0.1:"),
        "{redirect_uri}"
    );
    assert!(query_param(&url, "state").is_some());
    assert_eq!(
        query_param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );

    let redirect = server.sim().approve(&url).unwrap();
    assert!(redirect.starts_with(&redirect_uri), "{redirect}");
    let page = http_get(&redirect);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("installed"), "{page}");

    let run = finish(child, lines);
    let value = run.ok();
    let bot = text(&value, "/bot/token");
    let user = text(&value, "/user/token");
    assert!(bot.starts_with("xoxe.xoxb-"), "{value}");
    assert!(user.starts_with("xoxe.xoxp-"), "{value}");
    assert!(value.get("team_id").is_some(), "{value}");
    assert_eq!(text(&value, "/app_id"), APP_ID);
    for secret in [bot, user, text(&value, "/bot/refresh_token")] {
        assert!(!run.stderr.contains(&secret), "{run:?}");
    }
    let code = query_param(&redirect, "code").unwrap();
    assert!(!run.stderr.contains(&code), "{run:?}");
}

#[test]
fn install_denied_or_abandoned() {
    let server = start();

    // The user clicks "Cancel": Slack's answer (with our state), exit 1.
    let (child, url, lines) = start_install(&server, &["--wait", "30"]);
    let page = http_get(&server.sim().deny(&url).unwrap());
    assert!(page.starts_with("HTTP/1.1 400"), "{page}");
    finish(child, lines).slack_error("access_denied");

    // Nobody comes back: the bounded wait ends with exit 3.
    let (child, _url, lines) = start_install(&server, &["--wait", "0.5"]);
    let run = finish(child, lines);
    run.failed(3);
    assert!(run.stderr.contains("no redirect"), "{run:?}");
}

#[test]
fn install_ignores_callbacks_without_its_state() {
    let server = start();
    let (child, url, lines) = start_install(&server, &["--wait", "60"]);
    let redirect = server.sim().approve(&url).unwrap();
    let state = query_param(&redirect, "state").unwrap();
    let base = redirect.split_once('?').unwrap().0.to_owned();
    let forged = redirect.replace(&format!("state={state}"), "state=forged-state-value");
    assert_ne!(forged, redirect);
    // Any local process or web page can reach the listener: none of these may end the install.
    for hostile in [
        format!("{base}?error=access_denied"),
        format!("{base}?error=access_denied&state=forged-state-value"),
        format!("{base}?error=invalid_scope"),
        forged,
        format!("{base}?code=1.2.3"),
        format!("{base}?code=1.2.3&state={state}&state=forged-state-value"),
    ] {
        let page = http_get(&hostile);
        assert!(page.starts_with("HTTP/1.1 400"), "{hostile}: {page}");
    }
    assert!(http_get(&format!("{base}/../favicon.ico")).starts_with("HTTP/1.1 404"));
    assert_eq!(server.sim().calls("oauth.v2.access"), 0);

    // The real redirect still completes the install.
    let page = http_get(&redirect);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    let run = finish(child, lines);
    assert!(text(&run.ok(), "/bot/token").starts_with("xoxe.xoxb-"));
    assert!(run.stderr.contains("ignored"), "{run:?}");
    assert_eq!(server.sim().calls("oauth.v2.access"), 1);
}

/// Connects to the listener behind `url` and sends the start of a request, then one more
/// byte every 200 ms until `stop` is set. Returns the thread to join.
fn trickle(
    url: &str,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let authority = rest[..rest.find('/').unwrap()].to_owned();
    let mut stream = TcpStream::connect(&authority).unwrap();
    stream.write_all(b"GET /callback?code=").unwrap();
    std::thread::spawn(move || {
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            // The listener may close the connection: that is its right.
            if stream.write_all(b"1").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    })
}

/// Waits for `child` to exit on its own, killing it (and failing) if it hangs.
fn finish_within(mut child: Child, lines: mpsc::Receiver<String>, limit: Duration) -> Run {
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("install did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    finish(child, lines)
}

#[test]
fn a_trickling_client_neither_blocks_the_callback_nor_holds_the_wait() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let server = start();

    // A slow client is connected first; the real redirect is still served.
    let (child, url, lines) = start_install(&server, &["--wait", "60"]);
    let redirect = server.sim().approve(&url).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let slow = trickle(&redirect, stop.clone());
    let page = http_get(&redirect);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    let run = finish_within(child, lines, Duration::from_secs(30));
    stop.store(true, Ordering::SeqCst);
    slow.join().unwrap();
    run.ok();

    // A slow client alone cannot keep the command waiting past --wait.
    let (child, url, lines) = start_install(&server, &["--wait", "1"]);
    let redirect = server.sim().approve(&url).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let slow = trickle(&redirect, stop.clone());
    let run = finish_within(child, lines, Duration::from_secs(30));
    stop.store(true, Ordering::SeqCst);
    slow.join().unwrap();
    run.failed(3);
    assert!(run.stderr.contains("no redirect"), "{run:?}");
}

#[test]
fn sim_command_serves_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sim.json");
    std::fs::write(
        &config,
        r#"{"config_tokens": [{"team_id": "T0SIM", "user_id": "U0SIM"}]}"#,
    )
    .unwrap();
    let mut child = cli(None)
        .args(&["sim", "--port", "0", "--config", config.to_str().unwrap()])
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let served: Value = serde_json::from_str(&line).expect("one JSON line");
    let base = text(&served, "/base_url");
    let refresh = text(&served, "/seeded/config_tokens/0/refresh_token");
    let run = cli(None)
        .env("SLACK_CONFIG_REFRESH_TOKEN", &refresh)
        .args(&["--base-url", &base, "rotate-config-token"])
        .run();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(text(&run.ok(), "/team_id"), "T0SIM");

    // Without --config: the demo app.
    let mut child = cli(None)
        .args(&["sim"])
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let served: Value = serde_json::from_str(&line).expect("one JSON line");
    assert_eq!(text(&served, "/demo_app/client_id"), "111.222");
}

#[test]
fn no_secret_on_stderr() {
    let server = start();
    // Canary inputs for every secret the binary reads, sent where Slack will refuse them.
    let canaries = [
        ("SLACK_AUTH_CODE", "CANARY-code-env"),
        ("SLACK_REFRESH_TOKEN", "xoxe-1-CANARY-refresh"),
        ("SLACK_CONFIG_REFRESH_TOKEN", "xoxe-1-CANARY-config"),
        ("SLACK_TOKEN", "xoxb-CANARY-token"),
    ];
    let runs = [
        vec!["refresh"],
        vec!["rotate-config-token"],
        vec!["exchange"],
        vec!["access", "--code", "CANARY-code"],
        vec!["user-access", "--code", "CANARY-code"],
        vec!["access"],
        vec!["user-access"],
        vec!["external-token", "get", "--external-token-id", "Et0CANARY"],
        vec![
            "external-token",
            "delete",
            "--external-token-id",
            "Et0CANARY",
        ],
        vec!["--transport", OTHER, "refresh"],
    ];
    for args in &runs {
        let mut c = cli(Some(&server)).app().args(args);
        for (name, value) in canaries {
            c = c.env(name, value);
        }
        let run = c.run();
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(!run.stderr.contains("CANARY"), "{args:?}: {run:?}");
        assert!(!run.stdout.contains("CANARY"), "{args:?}: {run:?}");
    }
    // Secrets from files and stdin, refused by Slack, and a secret refused locally.
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "wrong-secret-CANARY\n").unwrap();
    let run = cli(Some(&server))
        .env("SLACK_CLIENT_ID", CLIENT_ID)
        .args(&["--client-secret-file", secret_file.to_str().unwrap()])
        .args(&["refresh", "--refresh-token-file", "-"])
        .stdin("xoxe-1-CANARY-stdin\n")
        .run();
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!run.stderr.contains("CANARY"), "{run:?}");
    let run = cli(Some(&server))
        .env("SLACK_CONFIG_REFRESH_TOKEN", "xoxe-1-CANARY\u{1}bell")
        .args(&["rotate-config-token"])
        .run();
    run.failed(2);
    assert!(!run.stderr.contains("CANARY"), "{run:?}");
}

#[cfg(not(feature = "hyper"))]
#[test]
fn hyper_needs_its_feature() {
    cli(None)
        .env("SLACK_CONFIG_REFRESH_TOKEN", "xoxe-1-a")
        .args(&["--transport", "hyper", "rotate-config-token"])
        .run()
        .failed(2);
}

#[test]
fn install_with_a_store_prints_keys_and_no_token() {
    let server = start();
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("tokens.db").display());
    let (child, url, lines) = start_install(&server, &["--wait", "30", "--store", &store]);
    let redirect = server.sim().approve(&url).unwrap();
    assert!(http_get(&redirect).starts_with("HTTP/1.1 200"));
    let run = finish(child, lines);
    let value = run.ok();
    assert!(!run.stdout.contains("xox"), "{run:?}");
    assert!(!run.stderr.contains("xox"), "{run:?}");
    let team = text(&value, "/team_id");
    let app = text(&value, "/app_id");
    // The records `Keeper::install` writes: the bot's, then the installing user's.
    assert_eq!(text(&value, "/key"), format!("{app}//{team}/bot"));
    assert_eq!(text(&value, "/keys/0"), format!("{app}//{team}/bot"));
    assert!(value["bot"]["expires_at"].is_u64(), "{value}");

    // The stored bot token is what `token` prints.
    let token = cli(Some(&server))
        .app()
        .args(&["token", "--store", &store, "--team", &team])
        .run()
        .ok();
    assert!(text(&token, "/token").starts_with("xoxe.xoxb-"), "{token}");
    assert_eq!(token["refreshed"], false);
}
