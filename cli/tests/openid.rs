//! `slack-oauth openid …` run as a subprocess against the simulator's OpenID provider on
//! 127.0.0.1: the authorize URL, a verified sign-in that prints no token, each refused
//! id_token the simulator can produce, and `userinfo` with `SLACK_TOKEN`.

use std::process::{Command, Stdio};

use serde_json::{json, Value};
use slack_oauth::openid::{Token, TokenResponse};
use slack_oauth::{parse, Api, ClientCredentials};
use slack_oauth_sim::{AppConfig, Clock, Server, Sim};

const BIN: &str = env!("CARGO_BIN_EXE_slack-oauth");
const CLIENT_ID: &str = "111.222";
/// A canary: it must never appear on stdout or stderr.
const SECRET: &str = "app-secret-CANARY-9c1e";
const REDIRECT: &str = "http://127.0.0.1:9/login";
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

/// A simulator on the system clock (the binary checks `exp` against it), with an app whose
/// redirect URI is [`REDIRECT`].
fn start() -> Server {
    start_with(Sim::with_clock(Clock::Wall))
}

fn start_with(sim: Sim) -> Server {
    sim.register_app(AppConfig::new(CLIENT_ID, SECRET).redirect_uri(REDIRECT));
    Server::start(sim).expect("the simulator starts")
}

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

    /// Exit 1 with exactly `{"ok":false,"error":check}` on stdout.
    fn refused(&self, check: &str) {
        assert_eq!(self.code, 1, "{self:?}");
        assert_eq!(
            self.json(),
            json!({"ok": false, "error": check}),
            "{self:?}"
        );
        assert!(self.stderr.contains(check), "{self:?}");
    }

    /// Neither stream holds `secret`.
    fn never_shows(&self, secret: &str) {
        assert!(
            !self.stdout.contains(secret) && !self.stderr.contains(secret),
            "a secret leaked: {self:?}"
        );
    }
}

/// `slack-oauth --base-url SIM --transport T ARGS` with the app's credentials in the
/// environment (and `env`).
fn run(server: &Server, transport: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(BIN);
    command
        .args(["--base-url", &server.base_url(), "--transport", transport])
        .args(args);
    for name in ENV_VARS {
        command.env_remove(name);
    }
    command
        .env("SLACK_CLIENT_ID", CLIENT_ID)
        .env("SLACK_CLIENT_SECRET", SECRET);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    let run = Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    };
    run.never_shows(SECRET);
    run
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `openid authorize-url` through the binary, approved in the simulator: the code.
fn sign_in(server: &Server, nonce: Option<&str>) -> String {
    let mut args = vec![
        "openid",
        "authorize-url",
        "--scope",
        "openid,profile,email",
        "--redirect-uri",
        REDIRECT,
    ];
    if let Some(nonce) = nonce {
        args.extend(["--nonce", nonce]);
    }
    let url = run(server, "ureq", &args, &[]).ok()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let redirect = server.sim().approve(&url).expect("the simulator approves");
    query_param(&redirect, "code").expect("the redirect has a code")
}

/// A sign-in whose authorize URL carries no nonce (`openid authorize-url` always sends one),
/// built in-process: the code.
fn sign_in_without_nonce(server: &Server) -> String {
    let url = slack_oauth::openid::AuthorizeUrl::new(CLIENT_ID)
        .with_base_url(&server.url())
        .unwrap()
        .redirect_uri(REDIRECT)
        .build()
        .unwrap();
    assert!(!url.contains("nonce"), "{url}");
    let redirect = server.sim().approve(&url).expect("the simulator approves");
    query_param(&redirect, "code").expect("the redirect has a code")
}

/// `openid token --code CODE --redirect-uri REDIRECT [--nonce N]`.
fn token(server: &Server, transport: &str, code: &str, nonce: Option<&str>) -> Run {
    let mut args = vec![
        "openid",
        "token",
        "--code",
        code,
        "--redirect-uri",
        REDIRECT,
    ];
    if let Some(nonce) = nonce {
        args.extend(["--nonce", nonce]);
    }
    run(server, transport, &args, &[])
}

#[test]
fn authorize_url_names_the_provider_scopes_state_and_nonce() {
    let server = start();
    let out = run(
        &server,
        "ureq",
        &[
            "openid",
            "authorize-url",
            "--scope",
            "openid,profile,email",
            "--redirect-uri",
            REDIRECT,
            "--nonce",
            "n-123",
            "--state",
            "s-456",
        ],
        &[],
    )
    .ok();
    let url = out["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/openid/connect/authorize?", server.url())),
        "{url}"
    );
    for (name, value) in [
        ("response_type", "code"),
        ("scope", "openid,profile,email"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("nonce", "n-123"),
        ("state", "s-456"),
    ] {
        assert_eq!(query_param(url, name).as_deref(), Some(value), "{url}");
    }
    assert_eq!(
        (&out["state"], &out["nonce"]),
        (&json!("s-456"), &json!("n-123"))
    );

    // Without them, a fresh state and nonce each run, printed beside the URL.
    let args = ["openid", "authorize-url", "--scope", "email"];
    let first = run(&server, "ureq", &args, &[]).ok();
    let second = run(&server, "ureq", &args, &[]).ok();
    let url = first["url"].as_str().unwrap();
    assert_eq!(query_param(url, "scope").as_deref(), Some("openid,email"));
    assert_eq!(
        query_param(url, "nonce"),
        first["nonce"].as_str().map(str::to_owned)
    );
    assert!(first["nonce"].as_str().unwrap().len() >= 22);
    assert_ne!(first["nonce"], second["nonce"]);
    assert_ne!(first["state"], second["state"]);

    // Not a Sign in with Slack scope: a usage error before anything else.
    let bad = run(
        &server,
        "ureq",
        &["openid", "authorize-url", "--scope", "chat:write"],
        &[],
    );
    assert_eq!((bad.code, bad.stdout.as_str()), (2, ""), "{bad:?}");
    assert!(bad.stderr.contains("chat:write"), "{bad:?}");
}

#[test]
fn token_prints_the_verified_claims_and_no_token() {
    let server = start();
    for transport in TRANSPORTS {
        let code = sign_in(&server, Some("nonce-ok"));
        let out = token(&server, transport, &code, Some("nonce-ok"));
        let value = out.ok();
        assert_eq!(value["ok"], true, "{value}");
        let claims = &value["claims"];
        assert_eq!(claims["iss"], "https://slack.com");
        assert_eq!(claims["aud"], CLIENT_ID);
        assert_eq!(claims["nonce"], "nonce-ok");
        assert!(claims["sub"].as_str().is_some_and(|s| !s.is_empty()));
        assert_eq!(claims["sub"], claims["https://slack.com/user_id"]);
        assert!(claims["https://slack.com/team_id"].is_string(), "{claims}");
        assert_eq!(claims["email_verified"], true);
        assert_eq!(claims["given_name"], "Sim");
        // Without token rotation the user token does not expire.
        assert_eq!(value["access_token_expires_at"], Value::Null);
        let mut fields: Vec<&String> = value.as_object().unwrap().keys().collect();
        fields.sort();
        assert_eq!(fields, ["access_token_expires_at", "claims", "ok"]);
        // Neither the user token, nor the id_token, nor the code.
        for token in ["xoxp-", "xoxe", "eyJ", &code] {
            out.never_shows(token);
        }
        // The code is single use: Slack's error, as the other commands print it.
        let again = token(&server, transport, &code, Some("nonce-ok"));
        assert_eq!(again.code, 1, "{again:?}");
        assert_eq!(again.json()["error"], "invalid_code");
    }
}

#[test]
fn token_rotation_gives_the_expiry_time() {
    let sim = Sim::with_clock(Clock::Wall);
    sim.register_app(
        AppConfig::new(CLIENT_ID, SECRET)
            .redirect_uri(REDIRECT)
            .token_rotation(true),
    );
    let server = Server::start(sim).expect("the simulator starts");
    let code = sign_in_without_nonce(&server);
    let now = server.sim().now();
    let out = token(&server, "ureq", &code, None);
    let value = out.ok();
    let at = value["access_token_expires_at"].as_u64().expect("a time");
    assert!(at > now && at <= now + 43_200 + 5, "{value}");
    // No nonce was sent: Slack's empty one is accepted.
    assert_eq!(value["claims"]["nonce"], "");
    out.never_shows("xoxe");
}

#[test]
fn a_nonce_that_differs_or_is_missing_is_refused() {
    let server = start();
    for transport in TRANSPORTS {
        let code = sign_in(&server, Some("sent-nonce"));
        token(&server, transport, &code, Some("other-nonce")).refused("nonce_mismatch");
        // Sent to Slack but not given back to the check.
        let code = sign_in(&server, Some("sent-nonce"));
        token(&server, transport, &code, None).refused("nonce_mismatch");
        // None sent, one expected.
        let code = sign_in_without_nonce(&server);
        token(&server, transport, &code, Some("expected")).refused("nonce_mismatch");
    }
}

#[test]
fn a_token_signed_with_an_unpublished_key_is_an_unknown_key() {
    let server = start();
    let code = sign_in(&server, Some("n"));
    let hidden = server.sim().add_unpublished_openid_key();
    let out = token(&server, "ureq", &code, Some("n"));
    out.refused("unknown_key");
    // Once Slack publishes it, the next sign-in verifies.
    assert!(server.sim().publish_openid_key(&hidden));
    let code = sign_in(&server, Some("n"));
    token(&server, "ureq", &code, Some("n")).ok();
}

#[test]
fn another_issuer_is_refused() {
    let server = start();
    server.sim().set_openid_issuer(&server.url());
    let code = sign_in(&server, None);
    token(&server, "ureq", &code, None).refused("wrong_issuer");
}

#[test]
fn an_expired_id_token_is_refused() {
    // The simulator's own clock starts in 2023: its id_tokens expired long ago.
    let server = start_with(Sim::new());
    let code = sign_in(&server, None);
    token(&server, "ureq", &code, None).refused("expired");
}

#[test]
fn failures_that_are_not_verification() {
    let server = start();
    // Slack's own error: exit 1 with its code.
    let bad = run(
        &server,
        "ureq",
        &[
            "openid",
            "token",
            "--code",
            "no-such-code",
            "--redirect-uri",
            REDIRECT,
        ],
        &[],
    );
    assert_eq!(bad.code, 1, "{bad:?}");
    assert_eq!(bad.json()["ok"], false);
    assert_eq!(bad.json()["error"], "invalid_code");
    // No code, no secret: usage errors, nothing sent.
    let none = run(&server, "ureq", &["openid", "token"], &[]);
    assert_eq!((none.code, none.stdout.as_str()), (2, ""), "{none:?}");
    let code = sign_in(&server, None);
    let no_secret = run(
        &server,
        "ureq",
        &["openid", "token", "--code", &code],
        &[("SLACK_CLIENT_SECRET", "")],
    );
    assert_eq!(no_secret.code, 2, "{no_secret:?}");
    // Nothing listening: a transport failure.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut command = Command::new(BIN);
    for name in ENV_VARS {
        command.env_remove(name);
    }
    let output = command
        .args(["--base-url", &format!("http://127.0.0.1:{port}/api")])
        .args(["openid", "token", "--code", "c"])
        .env("SLACK_CLIENT_ID", CLIENT_ID)
        .env("SLACK_CLIENT_SECRET", SECRET)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert!(output.stdout.is_empty());
}

/// A user token with scope `openid,profile,email`, through the simulator in-process.
fn user_token(server: &Server) -> String {
    let code = sign_in(server, None);
    let api = Api::new()
        .with_base_url(&server.base_url())
        .unwrap()
        .with_credentials(ClientCredentials::new(CLIENT_ID, SECRET));
    let request = api
        .request(&Token::code(code).redirect_uri(REDIRECT))
        .unwrap();
    let answer: TokenResponse = parse::<Token, _>(&server.sim().handle(&request))
        .expect("a token answer")
        .value;
    answer.access_token.expose().to_owned()
}

#[test]
fn userinfo_reads_the_token_from_slack_token() {
    let server = start();
    let access = user_token(&server);
    for transport in TRANSPORTS {
        let out = run(
            &server,
            transport,
            &["openid", "userinfo"],
            &[("SLACK_TOKEN", &access)],
        );
        let value = out.ok();
        assert!(
            value["sub"].as_str().is_some_and(|s| !s.is_empty()),
            "{value}"
        );
        assert_eq!(value["sub"], value["https://slack.com/user_id"]);
        assert!(value["email"].as_str().is_some_and(|e| e.contains('@')));
        assert_eq!(value["name"], "Sim User");
        assert!(value.get("iss").is_none() && value.get("aud").is_none());
        out.never_shows(&access);
    }
    // No token: usage error; a dead one: Slack's error, exit 1.
    let none = run(&server, "ureq", &["openid", "userinfo"], &[]);
    assert_eq!((none.code, none.stdout.as_str()), (2, ""), "{none:?}");
    assert!(none.stderr.contains("SLACK_TOKEN"), "{none:?}");
    let dead = run(
        &server,
        "ureq",
        &["openid", "userinfo"],
        &[("SLACK_TOKEN", "xoxp-not-a-token")],
    );
    assert_eq!(dead.code, 1, "{dead:?}");
    assert_eq!(dead.json()["ok"], false);
    assert_eq!(dead.json()["error"], "invalid_auth");
    dead.never_shows("xoxp-not-a-token");
}
