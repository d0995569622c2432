//! Events and the rest of an app's life over real sockets: the server POSTs signed events to
//! an app listening on 127.0.0.1 and retries as Slack does; the consent page is clicked
//! through with plain HTTP; stats and the clock over the admin endpoints.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use http::Response;
use serde_json::Value;
use sha2::Sha256;
use slack_oauth_core::auth::Test;
use slack_oauth_core::oauth_v2::Access;
use slack_oauth_core::{parse, Api, ClientCredentials};
use slack_oauth_sim::{AppConfig, Server, ServerConfig, Sim};

const ID: &str = "111.222";
const SECRET: &str = "app-secret";
const SIGNING: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
/// Far above anything the tests need; only reached if something hangs.
const HANG: Duration = Duration::from_secs(20);

/// How the fake app answers one delivery.
#[derive(Clone, Copy)]
enum Reply {
    /// This status, with the challenge echoed when there is one.
    Status(u16),
    /// Sleeps this long before answering 200 (past the event timeout).
    Slow(Duration),
}

/// One request the fake app received.
#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: Vec<u8>,
    at: Instant,
}

/// An app's event endpoint on 127.0.0.1: answers deliveries by `script` (the last entry
/// repeats) and records them.
struct FakeApp {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeApp {
    fn start(script: Vec<Reply>) -> FakeApp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/slack/events", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { return };
                let reply = script[n.min(script.len() - 1)];
                let log = log.clone();
                std::thread::spawn(move || serve_one(stream, reply, &log));
            }
        });
        FakeApp { url, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived.
    fn wait_for(&self, n: usize) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < HANG,
                "only {} of {n} deliveries",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn serve_one(stream: TcpStream, reply: Reply, log: &Mutex<Vec<Received>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("POST /slack/events HTTP/1.1"), "{line}");
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap();
        headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
    }
    let len: usize = headers["content-length"].parse().unwrap();
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    let challenge = serde_json::from_slice::<Value>(&body).unwrap()["challenge"]
        .as_str()
        .map(str::to_owned);
    log.lock().unwrap().push(Received {
        headers,
        body,
        at: Instant::now(),
    });
    let status = match reply {
        Reply::Status(status) => status,
        Reply::Slow(wait) => {
            std::thread::sleep(wait);
            200
        }
    };
    let answer = challenge.unwrap_or_default();
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
        answer.len()
    );
}

/// An HMAC-SHA256 from a different implementation than the simulator's.
fn independent_signature(timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SIGNING.as_bytes()).unwrap();
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("v0={hex}")
}

fn assert_signed(r: &Received) {
    let ts = &r.headers["x-slack-request-timestamp"];
    assert_eq!(
        r.headers["x-slack-signature"],
        independent_signature(ts, &r.body)
    );
}

fn quick(delays: &[u64]) -> ServerConfig {
    ServerConfig::default()
        .event_timeout(Duration::from_millis(300))
        .event_retry_delays(
            delays
                .iter()
                .map(|ms| Duration::from_millis(*ms))
                .collect::<Vec<_>>(),
        )
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(HANG))
        .build()
        .into()
}

fn send(agent: &ureq::Agent, req: http::Request<Vec<u8>>) -> Response<Vec<u8>> {
    let resp = agent.run(req).expect("an HTTP answer");
    let (parts, mut body) = resp.into_parts();
    let bytes = body.read_to_vec().expect("a complete body");
    Response::from_parts(parts, bytes)
}

fn json(resp: &Response<Vec<u8>>) -> Value {
    serde_json::from_slice(resp.body()).expect("JSON")
}

fn api(server: &Server) -> Api {
    Api::new()
        .with_base_url(&server.base_url())
        .unwrap()
        .with_credentials(ClientCredentials::new(ID, SECRET))
}

fn stats(agent: &ureq::Agent, server: &Server) -> Value {
    let req = http::Request::get(format!("{}/_sim/stats", server.url()))
        .body(Vec::new())
        .unwrap();
    json(&send(agent, req))
}

/// Polls `/_sim/stats` until `events.<field>` reaches `n`.
fn wait_stat(agent: &ureq::Agent, server: &Server, field: &str, n: u64) -> Value {
    let start = Instant::now();
    loop {
        let s = stats(agent, server);
        if s["events"][field].as_u64() >= Some(n) {
            return s;
        }
        assert!(
            start.elapsed() < HANG,
            "events.{field} never reached {n}: {s}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn installed(sim: &Sim, agent: &ureq::Agent, server: &Server) -> Value {
    let redirect = sim
        .approve(&format!(
            "{}?client_id={ID}&scope=chat:write&user_scope=search:read",
            server.authorize_url()
        ))
        .unwrap();
    let code = redirect
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    json(&send(
        agent,
        api(server).request(&Access::code(code)).unwrap(),
    ))
}

#[test]
fn url_verification_then_uninstall_events_are_delivered_signed() {
    let app = FakeApp::start(vec![Reply::Status(200)]);
    let sim = Sim::new();
    let server = Server::start_with(sim.clone(), quick(&[0, 20, 20])).unwrap();
    let agent = agent();
    sim.register_app(
        AppConfig::new(ID, SECRET)
            .redirect_uri(REDIRECT)
            .event_request_url(&app.url)
            .signing_secret(SIGNING),
    );
    let got = app.wait_for(1);
    let challenge: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(challenge["type"], "url_verification");
    assert_signed(&got[0]);
    wait_stat(&agent, &server, "delivered", 1);

    installed(&sim, &agent, &server);
    // The admin endpoint uninstalls, as a workspace admin would.
    let req = http::Request::post(format!("{}/_sim/uninstall?client_id={ID}", server.url()))
        .body(Vec::new())
        .unwrap();
    assert_eq!(json(&send(&agent, req))["ok"], true);
    let got = app.wait_for(3);
    let types: Vec<String> = got[1..]
        .iter()
        .map(|r| {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(v["type"], "event_callback");
            assert_eq!(v["api_app_id"], AppConfig::new(ID, "").get_app_id());
            v["event"]["type"].as_str().unwrap().to_owned()
        })
        .collect();
    assert!(types.contains(&"app_uninstalled".to_owned()), "{types:?}");
    assert!(types.contains(&"tokens_revoked".to_owned()), "{types:?}");
    for r in &got {
        assert_signed(r);
        assert_eq!(r.headers["content-type"], "application/json");
        assert!(!r.headers.contains_key("x-slack-retry-num"));
        assert_eq!(
            r.headers["x-slack-request-timestamp"],
            Sim::DEFAULT_START.to_string()
        );
    }
    let s = wait_stat(&agent, &server, "delivered", 3);
    assert_eq!(s["events"]["failed_attempts"], 0);
    assert_eq!(s["events"]["queued"], 3);
}

#[test]
fn failed_deliveries_are_retried_with_slacks_headers() {
    // A 500, then an answer later than the timeout, then a 200.
    let app = FakeApp::start(vec![
        Reply::Status(200), // url_verification
        Reply::Status(500),
        Reply::Slow(Duration::from_millis(900)),
        Reply::Status(200),
    ]);
    let sim = Sim::new();
    let server = Server::start_with(sim.clone(), quick(&[0, 50, 50])).unwrap();
    let agent = agent();
    sim.register_app(
        AppConfig::new(ID, SECRET)
            .event_request_url(&app.url)
            .signing_secret(SIGNING),
    );
    app.wait_for(1);
    let token = sim.seed_legacy_token(ID, "bot");
    assert!(sim.revoke_token(&token));
    let got = app.wait_for(4);
    let attempts = &got[1..4];
    assert!(!attempts[0].headers.contains_key("x-slack-retry-num"));
    assert_eq!(attempts[1].headers["x-slack-retry-num"], "1");
    assert_eq!(attempts[1].headers["x-slack-retry-reason"], "http_error");
    assert_eq!(attempts[2].headers["x-slack-retry-num"], "2");
    assert_eq!(attempts[2].headers["x-slack-retry-reason"], "http_timeout");
    // The timeout retry does not wait for the slow answer to finish.
    assert!(attempts[2].at.duration_since(attempts[1].at) < Duration::from_millis(850));
    for r in attempts {
        assert_signed(r);
        assert_eq!(r.body, attempts[0].body, "the same event each time");
    }
    let s = wait_stat(&agent, &server, "delivered", 2);
    assert_eq!(s["events"]["failed_attempts"], 2);
    assert_eq!(s["events"]["retries"], 2);
    assert_eq!(s["events"]["gave_up"], 0);
    let v: Value = serde_json::from_slice(&attempts[0].body).unwrap();
    assert_eq!(v["event"]["tokens"]["bot"], serde_json::json!(["U0SIMBOT"]));
}

#[test]
fn a_dead_event_url_never_blocks_or_crashes_the_simulator() {
    // A port nothing listens on.
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/events", dead.local_addr().unwrap());
    drop(dead);
    let sim = Sim::new();
    let server = Server::start_with(sim.clone(), quick(&[0, 10])).unwrap();
    let agent = agent();
    sim.register_app(
        AppConfig::new(ID, SECRET)
            .redirect_uri(REDIRECT)
            .event_request_url(&url),
    );
    let v = installed(&sim, &agent, &server);
    for _ in 0..5 {
        sim.uninstall(ID);
    }
    // Answers keep coming while deliveries fail.
    let bot = v["access_token"].as_str().unwrap();
    let resp = send(&agent, api(&server).request(&Test::new(bot)).unwrap());
    assert_eq!(json(&resp)["error"], "token_revoked");
    // The challenge, the first uninstall's tokens_revoked and app_uninstalled, and four
    // more app_uninstalled (no token was live any more): seven events, three attempts each.
    let s = wait_stat(&agent, &server, "gave_up", 7);
    assert_eq!(s["events"]["queued"], 7);
    assert_eq!(s["events"]["delivered"], 0);
    assert_eq!(s["events"]["failed_attempts"], 21);
    assert_eq!(s["events"]["retries"], 14);
    assert_eq!(s["methods"]["auth.test"]["token_revoked"], 1);
}

#[test]
fn a_wrong_challenge_answer_is_counted() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nwrong",
            );
        }
    });
    let sim = Sim::new();
    let server = Server::start_with(sim.clone(), quick(&[])).unwrap();
    sim.register_app(AppConfig::new(ID, SECRET).event_request_url(url));
    let s = wait_stat(&agent(), &server, "verification_failed", 1);
    assert_eq!(s["events"]["delivered"], 0);
}

#[test]
fn consent_page_click_through_over_http() {
    let sim = Sim::new();
    sim.register_app(
        AppConfig::new(ID, SECRET)
            .redirect_uri(REDIRECT)
            .app_name("Fleet Bot")
            .token_rotation(true),
    );
    let server = Server::start(sim.clone()).unwrap();
    let agent = agent();
    let url = format!(
        "{}?client_id={ID}&scope=chat:write&state=st-1",
        server.authorize_url()
    );

    // A script gets the redirect straight away.
    let resp = send(&agent, http::Request::get(&url).body(Vec::new()).unwrap());
    assert_eq!(resp.status(), 302);

    // A browser gets the page...
    let resp = send(
        &agent,
        http::Request::get(&url)
            .header("accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(resp.status(), 200);
    let html = String::from_utf8(resp.body().clone()).unwrap();
    assert!(html.contains("Fleet Bot") && html.contains("<code>chat:write</code>"));
    // ...and submits the Allow form as a browser would: action, hidden fields, button.
    let action_at = html.find("action=\"").unwrap() + 8;
    let action = &html[action_at..action_at + html[action_at..].find('"').unwrap()];
    let fields: Vec<(String, String)> = html
        .split("<form")
        .find(|f| f.contains("value=\"allow\""))
        .unwrap()
        .split("<input")
        .skip(1)
        .map(|input| {
            let attr = |name: &str| {
                let at = input.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                input[at..at + input[at..].find('"').unwrap()]
                    .replace("&quot;", "\"")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&")
            };
            (attr("name"), attr("value"))
        })
        .collect();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let resp = send(
        &agent,
        http::Request::post(format!("{}{action}", server.url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.into_bytes())
            .unwrap(),
    );
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(REDIRECT) && location.contains("state=st-1"));
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let reply = send(&agent, api(&server).request(&Access::code(code)).unwrap());
    assert!(parse::<Access, _>(&reply).is_ok());
}

#[test]
fn clock_and_unknown_methods_over_http() {
    let sim = Sim::new();
    let server = Server::start(sim.clone()).unwrap();
    let agent = agent();
    let post = |path: &str| {
        json(&send(
            &agent,
            http::Request::post(format!("{}{path}", server.url()))
                .body(Vec::new())
                .unwrap(),
        ))
    };
    let v = post("/_sim/clock?mode=wall");
    assert_eq!(v["clock"], "wall");
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(v["now"].as_u64().unwrap().abs_diff(wall) <= 2, "{v}");
    let later = post("/_sim/advance?seconds=600")["now"].as_u64().unwrap();
    assert!(later.abs_diff(wall + 600) <= 2);
    assert_eq!(post("/_sim/clock?mode=sundial")["ok"], false);

    let resp = send(
        &agent,
        http::Request::post(format!("{}/chat.postMessage", server.base_url()))
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(resp.status(), 200);
    assert_eq!(json(&resp)["error"], "unknown_method");
    assert_eq!(json(&resp)["req_method"], "chat.postMessage");
}
