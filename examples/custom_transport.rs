//! A transport of your own, using only core's public API: a blocking HTTP/1.1 exchange over
//! `std::net::TcpStream`, driving core against the simulator on 127.0.0.1.
//!
//! ```bash
//! cargo run --example custom_transport
//! ```
//!
//! Core builds the request (`Api::request`) and reads the answer (`parse`); the transport only
//! moves bytes and enforces its limits. Core's keeper machine gives it the whole refresh
//! protocol too (leases, write-back, merges, failures): `bot_token` below is all it takes. This one speaks plain HTTP, so it refuses anything but
//! a loopback host; a real one would add TLS for `https` (and a connection pool, and timeouts
//! on every phase).

use std::error::Error;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use slack_oauth::keeper::{self, KeptToken, Machine, Outcome, Settings, Slot, Step};
use slack_oauth::oauth_v2::{Access, AccessRefresh, AccessResponse};
use slack_oauth::tooling_tokens::Rotate;
use slack_oauth::{is_loopback_host, parse, transport, Api, ClientCredentials, Installation};
use slack_oauth::{AccessToken, KeeperError, MemoryStore, Reply, Store};
use slack_oauth_sim::{AppConfig, Server, Sim};

/// Answers larger than this are refused: Slack's are a few KiB.
const MAX_BODY: u64 = 1024 * 1024;

/// Sends `request` and returns status, headers and body as they came. Never follows
/// redirects, never logs the request (its body holds codes and refresh tokens).
fn send(request: &http::Request<Vec<u8>>) -> io::Result<http::Response<Vec<u8>>> {
    let uri = request.uri();
    let host = uri.host().unwrap_or_default();
    if uri.scheme_str() != Some("http") || !is_loopback_host(host) {
        return Err(io::Error::other(
            "this transport only speaks plain http to loopback",
        ));
    }
    let mut stream = TcpStream::connect((host, uri.port_u16().unwrap_or(80)))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;

    // The request head: core's headers verbatim, plus what HTTP/1.1 framing needs.
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut head = format!("{} {target} HTTP/1.1\r\n", request.method()).into_bytes();
    let authority = uri.authority().map_or(host, |a| a.as_str());
    head.extend_from_slice(format!("host: {authority}\r\nconnection: close\r\n").as_bytes());
    head.extend_from_slice(format!("content-length: {}\r\n", request.body().len()).as_bytes());
    for (name, value) in request.headers() {
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    stream.write_all(&head)?;
    stream.write_all(request.body())?;

    // The answer: status line, headers, then the body (by length, or to the end).
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no HTTP status line"))?;
    let mut response = http::Response::builder().status(status);
    let mut length = None;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "malformed header"))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            // Kept short: a complete transport decodes chunked bodies.
            return Err(io::Error::other("chunked answers are not supported here"));
        }
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<u64>().ok();
        }
        response = response.header(name, value);
    }
    if length.is_some_and(|len| len > MAX_BODY) {
        return Err(io::Error::other("the answer is larger than the cap"));
    }
    let mut body = Vec::new();
    // One byte over the cap tells "too large" from "exactly the cap".
    reader
        .take(length.unwrap_or(MAX_BODY + 1))
        .read_to_end(&mut body)?;
    if body.len() as u64 > MAX_BODY {
        return Err(io::Error::other("the answer is larger than the cap"));
    }
    if length.is_some_and(|len| body.len() as u64 != len) {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the body was cut short",
        ));
    }
    response
        .body(body)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// One refresh call over [`send`], in the error vocabulary core's keeper expects.
fn call(api: &Api, refresh: &AccessRefresh) -> Result<Reply<AccessResponse>, transport::Error> {
    let request = api.request(refresh)?;
    let response = send(&request).map_err(transport::Error::Io)?;
    Ok(parse::<Access, _>(&response)?)
}

/// The bot token stored under `key`, refreshed first when due: core's keeper machine, driven
/// by this transport. One caller at a time here; a server would queue callers per key on
/// `keeper::Queue`, as the ureq and hyper keepers do.
fn bot_token(
    api: &Api,
    store: &MemoryStore<Installation>,
    slot: &mut Slot<Installation>,
    settings: &Settings,
    key: &str,
    now: impl Fn() -> u64,
) -> Result<AccessToken, KeeperError> {
    if let Some(token) = keeper::check(store.load(key), settings, key, KeptToken::Bot, now())? {
        return Ok(token);
    }
    let mut machine = Machine::new(slot, settings, key, KeptToken::Bot, false);
    loop {
        let outcome = match machine.step() {
            Step::Load => Outcome::loaded(store.load(key)),
            Step::Swap { from, value, lease } => {
                Outcome::swapped(store.compare_and_swap(key, Some(from), value, lease))
            }
            Step::Call(refresh) => Outcome::Called(call(api, refresh)),
            Step::Wait(pause) => {
                std::thread::sleep(pause);
                Outcome::Waited
            }
            Step::Done(result) => return result,
        };
        machine.handle(outcome, now());
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    // A Slack on 127.0.0.1 with one app that uses token rotation.
    let sim = Sim::new();
    sim.register_app(
        AppConfig::new("111.222", "app-secret")
            .redirect_uri("http://127.0.0.1:8080/callback")
            .token_rotation(true)
            .bot_scopes("chat:write"),
    );
    let server = Server::start(sim.clone())?;
    let api = Api::new()
        .with_base_url(&server.base_url())?
        .with_credentials(ClientCredentials::new("111.222", "app-secret"));

    // The install: the user approves in the browser, the redirect brings a code.
    let redirect = sim.approve(
        "https://slack.com/oauth/v2/authorize?client_id=111.222&scope=chat:write&state=s1",
    )?;
    let code = redirect
        .split_once("code=")
        .and_then(|(_, rest)| rest.split('&').next())
        .ok_or("no code in the redirect")?;
    let request = api.request(&Access::code(code))?;
    let install = parse::<Access, _>(&send(&request)?)?.value;
    println!(
        "installed in {:?}: bot token {:?}, expires in {:?} s",
        install.installation_id(),
        install.bot_token(),
        install.expires_in,
    );

    // Keep it: stored, and refreshed by core's keeper protocol over this transport.
    let refresh = install.refresh_token.clone().ok_or("no refresh token")?;
    let installation = Installation::from_access(install, sim.now())?;
    let store = MemoryStore::new();
    let key = installation.key();
    store.put(&key, &installation)?;
    let (mut slot, settings) = (Slot::new(), Settings::new("custom transport example"));
    let clock = || sim.now();
    let first = bot_token(&api, &store, &mut slot, &settings, &key, clock)?;
    sim.advance(11 * 3600); // within two hours of expiry: due
    let second = bot_token(&api, &store, &mut slot, &settings, &key, clock)?;
    let third = bot_token(&api, &store, &mut slot, &settings, &key, clock)?;
    println!(
        "kept: refreshed once ({} calls), new token stored: {}, then used as stored: {}",
        sim.calls("oauth.v2.access") - 1,
        first.expose() != second.expose(),
        second.expose() == third.expose(),
    );

    // The refresh spent the install's refresh token: reusing it fails.
    let request = api.request(&Access::refresh(refresh))?;
    match parse::<Access, _>(&send(&request)?) {
        Ok(_) => println!("unexpected: a spent refresh token worked"),
        Err(e) => println!(
            "reusing a spent refresh token: {e} (retryable: {}, reinstall needed: {})",
            e.is_retryable(),
            e.needs_reinstall(),
        ),
    }

    // An app configuration token pair, rotated.
    let (_config_token, config_refresh) = sim.seed_config_token("T0SIM", "U0SIM");
    let request = api.request(&Rotate::new(config_refresh))?;
    let rotated = parse::<Rotate, _>(&send(&request)?)?.value;
    println!(
        "config token rotated for {}/{}: valid until {}",
        rotated.team_id, rotated.user_id, rotated.exp
    );

    // The transport's own rule: no plain http off loopback, before any I/O.
    let insecure = http::Request::post("http://slack.com/api/auth.test").body(Vec::new())?;
    println!("plain http to slack.com: {}", send(&insecure).unwrap_err());
    Ok(())
}
