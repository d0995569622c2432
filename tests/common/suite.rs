//! The end-to-end suite, written once over [`Harness`] and run for every transport.
//!
//! Each test starts its own simulator (or raw server) on 127.0.0.1:0.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use slack_oauth::apps_auth_external::{Delete, Get};
use slack_oauth::oauth_v2::{Access, Exchange, UserAccess};
use slack_oauth::tooling_tokens::Rotate;
use slack_oauth::{
    error::{BodyKind, Warning},
    Api, ClientCredentials, ErrorCode,
};
use slack_oauth_sim::{AppConfig, ExternalTokenSeed, Fault, Server, Sim};

use super::alloc;
use super::harness::{Harness, Kind, Settings};
use super::raw::{self, RawServer};

const CLIENT_ID: &str = "111.222";
const SECRET: &str = "app-secret-CANARY";
const REDIRECT: &str = "http://127.0.0.1:8080/callback";

struct Slack {
    sim: Sim,
    server: Server,
}

impl Slack {
    fn start() -> Slack {
        let sim = Sim::new();
        sim.register_app(
            AppConfig::new(CLIENT_ID, SECRET)
                .redirect_uri(REDIRECT)
                .token_rotation(true)
                .bot_scopes("chat:write,commands")
                .user_scopes("search:read")
                .app_id("A0SIMAPP1"),
        );
        let server = Server::start(sim.clone()).unwrap();
        Slack { sim, server }
    }

    fn api(&self) -> Api {
        Api::new()
            .with_base_url(&self.server.base_url())
            .unwrap()
            .with_credentials(ClientCredentials::new(CLIENT_ID, SECRET))
    }

    fn client<H: Harness>(&self) -> H {
        H::new(self.api(), &Settings::default())
    }

    /// Runs the browser half of an install and returns the code.
    fn code(&self, path: &str, scopes: &str) -> String {
        let url = format!(
            "https://slack.com{path}?client_id={CLIENT_ID}&{scopes}&redirect_uri={REDIRECT}&state=s1"
        );
        let redirect = self.sim.approve(&url).unwrap();
        let query = redirect.split_once('?').unwrap().1;
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned()
    }
}

fn assert_no_secret(text: &str) {
    for secret in ["CANARY", "xoxe-", "xoxb-", "xoxp-"] {
        assert!(!text.contains(secret), "a secret leaked: {text}");
    }
}

// ---- every method's happy path -------------------------------------------------------------

pub fn access_happy_path<H: Harness>() {
    let slack = Slack::start();
    let client: H = slack.client();
    let code = slack.code(
        "/oauth/v2/authorize",
        "scope=chat:write&user_scope=search:read",
    );
    let reply = client
        .call(&Access::code(code).redirect_uri(REDIRECT))
        .unwrap();
    let value = reply.value;
    assert!(value
        .bot_token()
        .unwrap()
        .expose()
        .starts_with("xoxe.xoxb-"));
    assert!(value
        .user_token()
        .unwrap()
        .expose()
        .starts_with("xoxe.xoxp-"));
    assert_eq!(value.expires_in, Some(43_200));
    assert_eq!(value.app_id.as_deref(), Some("A0SIMAPP1"));
    assert!(reply.warnings.is_empty());

    // The refresh grant of the same method, with the refresh token just issued.
    let refresh = value.refresh_token.unwrap();
    let refreshed = client
        .call(&Access::refresh(refresh.clone()))
        .unwrap()
        .value;
    assert!(refreshed
        .access_token
        .unwrap()
        .expose()
        .starts_with("xoxe.xoxb-"));
    assert_ne!(refreshed.refresh_token.unwrap(), refresh);
    assert_eq!(slack.sim.calls("oauth.v2.access"), 2);
}

pub fn user_access_happy_path<H: Harness>() {
    let slack = Slack::start();
    let client: H = slack.client();
    let code = slack.code("/oauth/v2_user/authorize", "scope=search:read");
    let value = client
        .call(&UserAccess::code(code).redirect_uri(REDIRECT))
        .unwrap()
        .value;
    assert!(value
        .user_token()
        .unwrap()
        .expose()
        .starts_with("xoxe.xoxp-"));
    assert!(value.bot_token().is_none());
    assert_eq!(slack.sim.calls("oauth.v2.user.access"), 1);
}

pub fn exchange_happy_path<H: Harness>() {
    let slack = Slack::start();
    let client: H = slack.client();
    let legacy = slack.sim.seed_legacy_token(CLIENT_ID, "bot");
    let value = client.call(&Exchange::new(legacy.clone())).unwrap().value;
    assert!(value
        .access_token
        .unwrap()
        .expose()
        .starts_with("xoxe.xoxb-"));
    assert!(value.refresh_token.is_some());
    // Works once per token.
    let again = client.call(&Exchange::new(legacy)).unwrap_err();
    assert!(again.slack().code().is_some());
}

pub fn rotate_happy_path<H: Harness>() {
    let slack = Slack::start();
    let client: H = slack.client();
    let (_token, refresh) = slack.sim.seed_config_token("T0SIM", "U0SIM");
    let value = client.call(&Rotate::new(refresh.clone())).unwrap().value;
    assert!(value.token.expose().starts_with("xoxe.xoxp-"));
    assert_eq!(value.exp - value.iat, 43_200);
    assert_eq!(
        (value.team_id.as_str(), value.user_id.as_str()),
        ("T0SIM", "U0SIM")
    );
    let spent = client.call(&Rotate::new(refresh)).unwrap_err();
    assert_eq!(spent.slack().code(), Some(&ErrorCode::InvalidRefreshToken));
    assert!(!spent.retryable);
}

fn external(slack: &Slack) -> (String, String) {
    let id = slack.sim.seed_external_token(ExternalTokenSeed {
        app_id: "A0SIMAPP1".into(),
        provider_key: "google".into(),
        token: "ya29.provider-token".into(),
        has_refresh_token: true,
        ..Default::default()
    });
    (slack.sim.seed_workflow_token(), id)
}

pub fn external_get_happy_path<H: Harness>() {
    let slack = Slack::start();
    let client: H = slack.client();
    let (workflow, id) = external(&slack);
    let value = client.call(&Get::new(workflow, id)).unwrap().value;
    assert_eq!(value.external_token.expose(), "ya29.provider-token");
}

pub fn external_delete_happy_path<H: Harness>() {
    let slack = Slack::start();
    let client: H = slack.client();
    let (workflow, id) = external(&slack);
    client
        .call(&Delete::new(workflow.clone()).external_token_id(id.clone()))
        .unwrap();
    assert_eq!(slack.sim.calls("apps.auth.external.delete"), 1);
    // Gone now.
    let err = client.call(&Get::new(workflow, id)).unwrap_err();
    assert!(err.slack().code().is_some());
}

// ---- Slack's answers that are not successes --------------------------------------------------

pub fn slack_error<H: Harness>() {
    let slack = Slack::start();
    let client: H = slack.client();
    let err = client
        .call(&Access::code("1.2.deadbeef").redirect_uri(REDIRECT))
        .unwrap_err();
    assert_eq!(err.slack().code(), Some(&ErrorCode::InvalidCode));
    assert!(!err.retryable);
    assert_eq!(err.retry_after, None);
    assert_no_secret(&err.text);
}

pub fn warning_on_success<H: Harness>() {
    let slack = Slack::start();
    let client: H = slack.client();
    let (_token, refresh) = slack.sim.seed_config_token("T0SIM", "U0SIM");
    slack.sim.inject(
        "tooling.tokens.rotate",
        Fault::Warning("superfluous_charset".into()),
        1,
    );
    let reply = client.call(&Rotate::new(refresh)).unwrap();
    assert_eq!(reply.warnings, vec![Warning::SuperfluousCharset]);
}

pub fn rate_limited_with_retry_after<H: Harness>() {
    let slack = Slack::start();
    let client: H = slack.client();
    slack.sim.inject(
        "tooling.tokens.rotate",
        Fault::RateLimited { retry_after: 7 },
        1,
    );
    let err = client.call(&Rotate::new("xoxe-1-CANARY")).unwrap_err();
    match err.slack() {
        slack_oauth::Error::RateLimited(r) => {
            assert_eq!(r.retry_after, Duration::from_secs(7));
            assert!(r.from_header);
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
    assert!(err.retryable);
    assert_eq!(err.retry_after, Some(Duration::from_secs(7)));
    assert_no_secret(&err.text);
}

pub fn html_503_page<H: Harness>() {
    let slack = Slack::start();
    let client: H = slack.client();
    slack
        .sim
        .inject("oauth.v2.access", Fault::ServerError(503), 1);
    let err = client.call(&Access::refresh("xoxe-1-CANARY")).unwrap_err();
    match err.slack() {
        slack_oauth::Error::Http(e) => {
            assert_eq!(e.status, 503);
            assert!(matches!(e.body, BodyKind::Html { .. }), "{:?}", e.body);
        }
        other => panic!("expected an HTTP error, got {other:?}"),
    }
    assert!(err.retryable);
    assert_no_secret(&err.text);
}

// ---- transport limits -------------------------------------------------------------------------

const HUNDRED_MB: u64 = 100 * 1024 * 1024;

fn oversized<H: Harness>(fault: Fault) {
    let slack = Slack::start();
    let cap = 64 * 1024;
    let client = H::new(
        slack.api(),
        &Settings {
            max_body: cap,
            ..Settings::default()
        },
    );
    slack.sim.inject("tooling.tokens.rotate", fault, 1);
    let started = Instant::now();
    let (result, largest) = alloc::largest_during(|| client.call(&Rotate::new("xoxe-1-x")));
    let elapsed = started.elapsed();
    let err = result.unwrap_err();
    assert!(
        matches!(err.kind, Kind::BodyTooLarge(limit) if limit == cap),
        "{err:?}"
    );
    assert!(!err.retryable);
    // Reading 100 MB would take seconds in a debug build; stopping at the cap takes none.
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    // Nothing near the body's size was allocated on the calling thread: at most the cap
    // plus one read buffer.
    assert!(
        largest < 4 * 1024 * 1024,
        "largest allocation {largest} bytes"
    );
}

pub fn oversized_body_is_refused_without_reading<H: Harness>() {
    oversized::<H>(Fault::Oversized { bytes: HUNDRED_MB });
}

pub fn oversized_chunked_body_is_refused<H: Harness>() {
    oversized::<H>(Fault::OversizedChunked { bytes: HUNDRED_MB });
}

pub fn exact_limit_is_accepted_and_one_more_refused<H: Harness>() {
    const CAP: usize = 1000;
    let body = vec![b'x'; CAP + 1];
    let server = RawServer::start(move |request| {
        let len = if request.line.contains("/plus-one") {
            CAP + 1
        } else {
            CAP
        };
        if request.line.contains("/chunked") {
            raw::chunked(200, &body[..len])
        } else {
            raw::response(200, &[], &body[..len])
        }
    });
    let client = H::new(
        Api::new(),
        &Settings {
            max_body: CAP as u64,
            ..Settings::default()
        },
    );
    for framing in ["length", "chunked"] {
        let get = |path: &str| {
            let uri = format!("{}/{framing}{path}", server.url());
            client.send(http::Request::get(uri).body(Vec::new()).unwrap())
        };
        let exact = get("/exact").unwrap();
        assert_eq!(
            exact.body().len(),
            CAP,
            "{framing}: exactly the cap is accepted"
        );
        let err = get("/plus-one").unwrap_err();
        assert!(
            matches!(err.kind, Kind::BodyTooLarge(limit) if limit == CAP as u64),
            "{framing}: {err:?}"
        );
    }
}

pub fn slow_server_times_out<H: Harness>() {
    let slack = Slack::start();
    let timeout = Duration::from_millis(500);
    let client = H::new(
        slack.api(),
        &Settings {
            timeout,
            ..Settings::default()
        },
    );
    slack.sim.inject(
        "tooling.tokens.rotate",
        Fault::Delay(Duration::from_secs(5)),
        1,
    );
    let started = Instant::now();
    let err = client.call(&Rotate::new("xoxe-1-CANARY")).unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(err.kind, Kind::Timeout), "{err:?}");
    assert!(err.retryable);
    assert!(elapsed >= timeout, "gave up early: {elapsed:?}");
    assert!(
        elapsed < timeout + Duration::from_secs(2),
        "took {elapsed:?}"
    );
    assert_no_secret(&err.text);
}

pub fn redirect_is_returned_not_followed<H: Harness>() {
    let slack = Slack::start();
    let client: H = slack.client();
    let target = RawServer::start(|_| raw::response(200, &[], br#"{"ok":true}"#));
    let location = format!("{}/api/oauth.v2.access", target.url());
    slack.sim.inject(
        "oauth.v2.access",
        Fault::Redirect {
            location: location.clone(),
        },
        2,
    );

    // Through core: the 302 comes back as an answer that is not Slack's.
    let err = client.call(&Access::refresh("xoxe-1-CANARY")).unwrap_err();
    assert_eq!(err.slack().status(), 302);

    // Raw: the 302 itself, with its Location header.
    let request = slack
        .api()
        .request(&Access::refresh("xoxe-1-CANARY"))
        .unwrap();
    assert!(request.headers().contains_key("authorization"));
    let response = client.send(request).unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], location.as_str());

    assert_eq!(
        target.connections(),
        0,
        "the redirect target must see nothing"
    );
    assert!(target.requests().is_empty());
}

pub fn connection_refused<H: Harness>() {
    // A port that was free a moment ago and is closed now.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = Api::new()
        .with_base_url(&format!("http://127.0.0.1:{port}/api"))
        .unwrap()
        .with_credentials(ClientCredentials::new(CLIENT_ID, SECRET));
    let client = H::new(api, &Settings::default());
    let err = client.call(&Access::refresh("xoxe-1-CANARY")).unwrap_err();
    assert!(matches!(err.kind, Kind::Connect), "{err:?}");
    assert!(err.retryable);
    assert_no_secret(&err.text);
}

pub fn truncated_body<H: Harness>() {
    let slack = Slack::start();
    let client: H = slack.client();
    slack
        .sim
        .inject("tooling.tokens.rotate", Fault::TruncatedBody, 1);
    let err = client.call(&Rotate::new("xoxe-1-x")).unwrap_err();
    assert!(matches!(err.kind, Kind::Io), "{err:?}");
    assert!(err.retryable);
    assert_no_secret(&err.text);
}

pub fn closed_mid_body<H: Harness>() {
    let slack = Slack::start();
    let client: H = slack.client();
    let (_token, refresh) = slack.sim.seed_config_token("T0SIM", "U0SIM");
    slack
        .sim
        .inject("tooling.tokens.rotate", Fault::CloseMidBody, 1);
    let err = client.call(&Rotate::new(refresh)).unwrap_err();
    assert!(matches!(err.kind, Kind::Io), "{err:?}");
    assert!(err.retryable);
    assert_no_secret(&err.text);
}

// ---- what the transport hands back and sends --------------------------------------------------

pub fn statuses_and_headers_are_returned<H: Harness>() {
    let server = RawServer::start(|request| {
        let status = request
            .line
            .split('/')
            .nth(1)
            .and_then(|s| s.split(' ').next());
        let status: u16 = status.and_then(|s| s.parse().ok()).unwrap_or(200);
        raw::response(
            status,
            &[("x-custom", "kept"), ("retry-after", "3")],
            b"<html><title>Nope</title></html>",
        )
    });
    let client = H::new(Api::new(), &Settings::default());
    for status in [200, 401, 404, 418, 500, 503] {
        let uri = format!("{}/{status}", server.url());
        let response = client
            .send(http::Request::post(uri).body(Vec::new()).unwrap())
            .unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(response.headers()["x-custom"], "kept");
        assert_eq!(response.headers()["retry-after"], "3");
        assert_eq!(response.body(), b"<html><title>Nope</title></html>");
    }
}

/// A config the transport cannot use is refused when the client is built, before any call.
pub fn unusable_config_is_refused<H: Harness>() {
    let roots = Settings {
        roots: Some(vec![b"not der".to_vec()]),
        ..Settings::default()
    };
    let suffix = Settings {
        user_agent_suffix: Some("bad\nsuffix".into()),
        ..Settings::default()
    };
    for (settings, tls) in [(roots, true), (suffix, false)] {
        match H::try_new(Api::new(), &settings) {
            Err(e) if tls => assert!(matches!(e.kind, Kind::Tls), "{settings:?}: {e:?}"),
            Err(e) => assert!(matches!(e.kind, Kind::Build), "{settings:?}: {e:?}"),
            Ok(_) => panic!("{}: {settings:?} was accepted", H::NAME),
        }
    }
}

pub fn insecure_url_is_refused_before_io<H: Harness>() {
    let client = H::new(Api::new(), &Settings::default());
    // Had the client done any I/O, this address (TEST-NET-1) would time out, not be refused.
    for uri in ["http://192.0.2.1/api/x", "http://slack.com/api/x"] {
        let started = Instant::now();
        let request = http::Request::post(uri)
            .header("authorization", "Bearer xoxb-CANARY")
            .body(b"refresh_token=xoxe-CANARY".to_vec())
            .unwrap();
        let err = client.send(request).unwrap_err();
        assert!(matches!(err.kind, Kind::InsecureUrl), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_no_secret(&err.text);
    }
    let err = client
        .send(http::Request::post("/relative").body(Vec::new()).unwrap())
        .unwrap_err();
    assert!(matches!(err.kind, Kind::InvalidUrl), "{err:?}");
}

/// `Uri` takes any digits as a port and then reports none, which a client reads as "the
/// default port": `:99999` once sent a refresh token to port 80. Refused before any I/O.
pub fn out_of_range_ports_are_refused_before_io<H: Harness>() {
    // Where the secret used to go; when this process may listen there, prove nothing arrives.
    let defaults: Vec<TcpListener> = ["127.0.0.1:80", "127.0.0.1:443"]
        .iter()
        .filter_map(|addr| TcpListener::bind(addr).ok())
        .collect();
    for listener in &defaults {
        listener.set_nonblocking(true).unwrap();
    }
    let client = H::new(Api::new(), &Settings::default());
    for scheme in ["http", "https"] {
        for port in ["65536", "99999", "0"] {
            let base = format!("{scheme}://127.0.0.1:{port}/api");
            assert!(
                matches!(
                    Api::new().with_base_url(&base),
                    Err(slack_oauth::error::BuildError::InvalidUrl { .. })
                ),
                "{base}"
            );
            let request = http::Request::post(format!("{base}/tooling.tokens.rotate"))
                .body(b"refresh_token=xoxe-1-CANARY".to_vec())
                .unwrap();
            let err = client.send(request).unwrap_err();
            assert!(matches!(err.kind, Kind::InvalidUrl), "{base}: {err:?}");
            assert_no_secret(&err.text);
        }
    }
    for listener in &defaults {
        assert!(
            listener.accept().is_err(),
            "a connection reached {listener:?}"
        );
    }
}

pub fn connections_are_reused<H: Harness>() {
    let server = RawServer::start(|_| raw::response(200, &[], br#"{"ok":true}"#));
    let client = H::new(Api::new(), &Settings::default());
    const REQUESTS: usize = 20;
    for _ in 0..REQUESTS {
        let uri = format!("{}/api/x", server.url());
        let response = client
            .send(http::Request::post(uri).body(b"a=1".to_vec()).unwrap())
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(server.requests().len(), REQUESTS);
    // Without reuse there would be one connection per request. hyper's pool may race a new
    // connection against one still being returned (more often on a loaded machine), so allow
    // up to half, never one per request.
    let connections = server.connections();
    assert!(
        (1..=REQUESTS / 2).contains(&connections),
        "{REQUESTS} requests took {connections} connections"
    );
}

pub fn request_reaches_the_server_verbatim<H: Harness>() {
    let seen = Arc::new(Mutex::new(None));
    let server = {
        let seen = seen.clone();
        RawServer::start(move |request| {
            *seen.lock().unwrap() = Some(request.clone());
            raw::response(
                200,
                &[("content-type", "application/json")],
                br#"{"ok":true,"token":"xoxe.xoxp-1-n","refresh_token":"xoxe-1-n","team_id":"T1","user_id":"U1","iat":1,"exp":43201}"#,
            )
        })
    };
    let api = Api::new()
        .with_base_url(&format!("{}/api", server.url()))
        .unwrap();
    let client = H::new(
        api.clone(),
        &Settings {
            user_agent_suffix: Some("e2e/1.0".into()),
            ..Settings::default()
        },
    );
    let reply = client.call(&Rotate::new("xoxe-1-old")).unwrap();
    assert_eq!(reply.value.team_id, "T1");
    let request = seen.lock().unwrap().take().unwrap();
    assert_eq!(request.line, "POST /api/tooling.tokens.rotate HTTP/1.1");
    assert_eq!(request.body, b"refresh_token=xoxe-1-old");
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let agent = request.header("user-agent").unwrap();
    assert!(
        agent.starts_with("slack-oauth/") && agent.ends_with(" e2e/1.0"),
        "{agent}"
    );
    // Nothing the transport adds would change what Slack reads.
    assert_eq!(request.header("accept-encoding"), None);
}

pub fn https_with_custom_roots<H: Harness>() {
    let (config, cert) = raw::self_signed();
    let server = RawServer::start_tls(config, |_| raw::response(200, &[], br#"{"ok":true}"#));
    let client = H::new(
        Api::new(),
        &Settings {
            roots: Some(vec![cert]),
            ..Settings::default()
        },
    );
    let uri = format!("{}/api/x", server.url());
    let response = client
        .send(http::Request::post(uri).body(Vec::new()).unwrap())
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), br#"{"ok":true}"#);
}

pub fn https_unknown_issuer_is_a_tls_error<H: Harness>() {
    let (config, _cert) = raw::self_signed();
    let server = RawServer::start_tls(config, |_| raw::response(200, &[], b"{}"));
    // The default roots (webpki) do not know the self-signed certificate.
    let client = H::new(Api::new(), &Settings::default());
    let uri = format!("{}/api/x", server.url());
    let err = client
        .send(
            http::Request::post(uri)
                .body(b"refresh_token=xoxe-CANARY".to_vec())
                .unwrap(),
        )
        .unwrap_err();
    assert!(matches!(err.kind, Kind::Tls), "{err:?}");
    assert!(!err.retryable);
    assert!(
        server.requests().is_empty(),
        "nothing was sent over an untrusted connection"
    );
    assert_no_secret(&err.text);
}

pub fn host_names_are_resolved<H: Harness>() {
    // `localhost` is answered by the client itself (127.0.0.1, then ::1), never by the system
    // resolver, so plain http to it cannot be pointed at another machine; it still arrives.
    let server = RawServer::start(|_| raw::response(200, &[], br#"{"ok":true}"#));
    let client = H::new(Api::new(), &Settings::default());
    let uri = server.url().replace("127.0.0.1", "localhost") + "/api/x";
    let response = client
        .send(http::Request::post(uri).body(Vec::new()).unwrap())
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.requests().len(), 1);
}

pub fn connect_timeout<H: Harness>() {
    // A listener that never accepts, with a backlog of zero: once its queue is full the kernel
    // drops further SYNs, so a connect attempt hangs until the client gives up.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    let full = (0..64).any(|_| {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(stream) => {
                fillers.push(stream);
                false
            }
            Err(_) => true,
        }
    });
    assert!(full, "the accept queue never filled");

    let api = Api::new()
        .with_base_url(&format!("http://{addr}/api"))
        .unwrap();
    let connect_timeout = Duration::from_millis(300);
    let client = H::new(
        api,
        &Settings {
            connect_timeout,
            timeout: Duration::from_secs(20),
            ..Settings::default()
        },
    );
    let started = Instant::now();
    let err = client.call(&Rotate::new("xoxe-1-CANARY")).unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(err.kind, Kind::Timeout), "{err:?}");
    assert!(err.retryable);
    // ureq splits the connect budget across addresses in whole milliseconds: allow a little.
    assert!(
        elapsed >= connect_timeout * 9 / 10,
        "gave up early: {elapsed:?}"
    );
    // The connect timeout, not the 20 s total, ended it.
    assert!(
        elapsed < connect_timeout + Duration::from_secs(3),
        "took {elapsed:?}"
    );
    drop(fillers);
}
