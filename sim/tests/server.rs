//! The loopback server over real sockets: a plain HTTP client (ureq) and raw TCP for what
//! a well-behaved client cannot do (garbage, huge headers, slow bodies) or see (framing).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use http::Response;
use slack_oauth_core::oauth_v2::Access;
use slack_oauth_core::{parse, Api, ClientCredentials};
use slack_oauth_sim::{AppConfig, Fault, Server, ServerConfig, Sim};

const ID: &str = "111.222";
const SECRET: &str = "app-secret";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
/// Far above anything the tests need; only reached if the server hangs.
const HANG: Duration = Duration::from_secs(20);

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

fn json(resp: &Response<Vec<u8>>) -> serde_json::Value {
    serde_json::from_slice(resp.body()).expect("JSON")
}

fn started(sim: &Sim) -> Server {
    sim.register_app(
        AppConfig::new(ID, SECRET)
            .redirect_uri(REDIRECT)
            .token_rotation(true),
    );
    Server::start(sim.clone()).expect("server starts")
}

fn api(server: &Server) -> Api {
    Api::new()
        .with_base_url(&server.base_url())
        .unwrap()
        .with_credentials(ClientCredentials::new(ID, SECRET))
}

/// Writes `request` on a fresh connection and reads until the server closes it.
fn raw(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(HANG)).unwrap();
    // The server may answer and close before it has read everything we send.
    let _ = stream.write_all(request);
    let mut out = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return out,
            Err(e) => panic!("the server neither answered nor closed: {e}"),
        }
    }
}

fn value(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).expect("a JSON body")
}

fn split_head(response: &[u8]) -> (String, &[u8]) {
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    (
        String::from_utf8_lossy(&response[..end]).to_ascii_lowercase(),
        &response[end + 4..],
    )
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        (n.trim() == name).then(|| v.trim().to_owned())
    })
}

fn post_form(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn a_plain_http_client_drives_the_whole_install_and_rotation() {
    let sim = Sim::new();
    let server = started(&sim);
    let agent = agent();

    // The browser half: the authorize page redirects with a code.
    let url = format!(
        "{}?client_id={ID}&scope=chat:write&user_scope=search:read&redirect_uri={}&state=s1",
        server.authorize_url(),
        form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let resp = agent.get(&url).call().unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let callback = slack_oauth_core::Callback::parse(&location).unwrap();
    assert_eq!(callback.state(), "s1");
    let code = form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
        .find(|(n, _)| n == "code")
        .unwrap()
        .1
        .into_owned();

    let api = api(&server);
    let resp = send(
        &agent,
        api.request(&Access::code(code).redirect_uri(REDIRECT))
            .unwrap(),
    );
    assert_eq!(resp.status(), 200);
    let install = parse::<Access, _>(&resp).unwrap().value;
    let refresh = install.refresh_token.clone().unwrap();

    // Twelve hours pass, through the admin endpoint.
    let resp = send(
        &agent,
        http::Request::post(format!("{}/_sim/advance?seconds=43200", server.url()))
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(json(&resp)["now"], Sim::DEFAULT_START + 43_200);
    let resp = send(
        &agent,
        http::Request::get(format!("{}/_sim/now", server.url()))
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(json(&resp)["now"], sim.now());

    let refreshed = parse::<Access, _>(&send(
        &agent,
        api.request(&Access::refresh(refresh.clone())).unwrap(),
    ))
    .unwrap();
    assert_eq!(refreshed.value.token_type.as_deref(), Some("bot"));
    let again = parse::<Access, _>(&send(
        &agent,
        api.request(&Access::refresh(refresh)).unwrap(),
    ))
    .unwrap_err();
    assert_eq!(again.code().unwrap().as_str(), "invalid_refresh_token");
    assert_eq!(server.sim().calls("oauth.v2.access"), 3);
}

#[test]
fn dropping_the_server_closes_the_port_and_idle_connections_promptly() {
    let sim = Sim::new();
    let server = Server::start(sim).unwrap();
    let addr = server.addr();

    // An idle keep-alive connection after one answered request.
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.set_read_timeout(Some(HANG)).unwrap();
    idle.write_all(b"GET /_sim/now HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    let mut got = Vec::new();
    while !got.windows(1).any(|w| w == b"}") {
        let n = idle.read(&mut buf).unwrap();
        assert!(n > 0, "closed before answering");
        got.extend_from_slice(&buf[..n]);
    }
    // A connection in the middle of sending its headers.
    let mut half = TcpStream::connect(addr).unwrap();
    half.set_read_timeout(Some(HANG)).unwrap();
    half.write_all(b"GET /_sim/now HTTP/1.1\r\nHost: x\r\n")
        .unwrap();

    let started = Instant::now();
    drop(server);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "drop took {:?}",
        started.elapsed()
    );
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(),
        "the port still accepts connections"
    );
    for stream in [&mut idle, &mut half] {
        match stream.read(&mut buf) {
            Ok(0) => {}
            Ok(n) => panic!("unexpected {n} bytes after shutdown"),
            Err(e) => assert_ne!(
                e.kind(),
                std::io::ErrorKind::WouldBlock,
                "connection left open"
            ),
        }
    }
}

#[test]
fn dropping_the_server_does_not_wait_for_a_long_delay() {
    let sim = Sim::new();
    sim.inject(
        "tooling.tokens.rotate",
        Fault::Delay(Duration::from_secs(60)),
        1,
    );
    let server = Server::start_with(
        sim.clone(),
        ServerConfig::default().shutdown_grace(Duration::from_millis(200)),
    )
    .unwrap();
    let addr = server.addr();
    let client = std::thread::spawn(move || {
        raw(
            addr,
            &post_form("/api/tooling.tokens.rotate", "refresh_token=x"),
        )
    });
    let deadline = Instant::now() + HANG;
    while sim.calls("tooling.tokens.rotate") == 0 {
        assert!(Instant::now() < deadline, "the request never arrived");
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    drop(server);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "drop took {:?}",
        started.elapsed()
    );
    // The client saw the connection end without an answer.
    let answer = client.join().unwrap();
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
}

#[test]
fn garbage_and_huge_headers_get_http_errors_and_the_server_survives() {
    let sim = Sim::new();
    let server = Server::start(sim).unwrap();
    let addr = server.addr();

    let answer = raw(
        addr,
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
    );
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let answer = raw(addr, b"NOT HTTP AT ALL\r\n\r\n");
    assert!(
        answer.starts_with(b"HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    let huge = format!(
        "GET /_sim/now HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let answer = raw(addr, huge.as_bytes());
    assert!(
        answer.starts_with(b"HTTP/1.1 431"),
        "{}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );
    let many: String = (0..500).map(|i| format!("X-H{i}: v\r\n")).collect();
    let answer = raw(
        addr,
        format!("GET /_sim/now HTTP/1.1\r\nHost: x\r\n{many}\r\n").as_bytes(),
    );
    assert!(
        answer.starts_with(b"HTTP/1.1 431"),
        "{}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );

    // A body over the cap is refused without being read.
    let big = format!(
        "POST /api/oauth.v2.access HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        2 * 1024 * 1024
    );
    let answer = raw(addr, big.as_bytes());
    assert!(
        answer.starts_with(b"HTTP/1.1 413"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    // Chunked, so only counting catches it.
    let mut chunked = b"POST /api/oauth.v2.access HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..20 {
        chunked.extend_from_slice(format!("{:x}\r\n", 64 * 1024).as_bytes());
        chunked.extend(std::iter::repeat_n(b'a', 64 * 1024));
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let answer = raw(addr, &chunked);
    assert!(
        answer.starts_with(b"HTTP/1.1 413"),
        "{}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );

    // Still serving.
    let answer = raw(
        addr,
        b"GET /_sim/now HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with(b"HTTP/1.1 200"));
}

#[test]
fn a_body_that_never_finishes_gets_request_timeout_and_slow_headers_are_cut_off() {
    let config = ServerConfig::default()
        .body_timeout(Duration::from_millis(300))
        .header_timeout(Duration::from_millis(300));
    let server = Server::start_with(Sim::new(), config).unwrap();
    let started = Instant::now();
    let answer = raw(
        server.addr(),
        b"POST /api/tooling.tokens.rotate HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nrefresh",
    );
    let (head, body) = split_head(&answer);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert_eq!(
        value(body),
        serde_json::json!({"ok": false, "error": "request_timeout"})
    );
    assert!(started.elapsed() < HANG);

    // Headers that never end: the connection is answered with an error or closed.
    let answer = raw(server.addr(), b"GET /_sim/now HTTP/1.1\r\nHost: x\r\n");
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

#[test]
fn answer_replacing_faults_over_a_socket() {
    let sim = Sim::new();
    let server = Server::start(sim.clone()).unwrap();
    let agent = agent();
    let (_, refresh) = sim.seed_config_token("T", "U");
    let rotate = || {
        send(
            &agent,
            http::Request::post(format!("{}/tooling.tokens.rotate", server.base_url()))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("refresh_token={refresh}").into_bytes())
                .unwrap(),
        )
    };
    sim.inject(
        "tooling.tokens.rotate",
        Fault::RateLimited { retry_after: 7 },
        1,
    );
    sim.inject("tooling.tokens.rotate", Fault::ServerError(502), 1);
    sim.inject(
        "tooling.tokens.rotate",
        Fault::Redirect {
            location: "http://127.0.0.1:9/elsewhere".into(),
        },
        1,
    );
    sim.inject(
        "tooling.tokens.rotate",
        Fault::Error("internal_error".into()),
        1,
    );
    sim.inject(
        "tooling.tokens.rotate",
        Fault::Warning("sim_warning".into()),
        1,
    );

    let resp = rotate();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    assert_eq!(
        json(&resp),
        serde_json::json!({"ok": false, "error": "ratelimited"})
    );
    let resp = rotate();
    assert_eq!(resp.status(), 502);
    assert!(String::from_utf8_lossy(resp.body()).contains("<h1>502 Bad Gateway</h1>"));
    let resp = rotate();
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], "http://127.0.0.1:9/elsewhere");
    assert_eq!(json(&rotate())["error"], "internal_error");
    let v = json(&rotate());
    assert_eq!(v["ok"], true);
    assert_eq!(v["warning"], "sim_warning");
}

#[test]
fn delay_fault_over_a_socket() {
    let sim = Sim::new();
    let server = Server::start(sim.clone()).unwrap();
    sim.inject(
        "tooling.tokens.rotate",
        Fault::Delay(Duration::from_millis(300)),
        1,
    );
    let started = Instant::now();
    let answer = raw(
        server.addr(),
        &post_form("/api/tooling.tokens.rotate", "refresh_token=x"),
    );
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "answered after {:?}",
        started.elapsed()
    );
    let (head, body) = split_head(&answer);
    assert!(head.starts_with("http/1.1 200"));
    assert_eq!(
        value(body),
        serde_json::json!({"ok": false, "error": "invalid_refresh_token"})
    );
}

#[test]
fn truncated_body_fault_claims_more_than_it_sends() {
    let sim = Sim::new();
    let server = Server::start(sim.clone()).unwrap();
    sim.inject("tooling.tokens.rotate", Fault::TruncatedBody, 1);
    let answer = raw(
        server.addr(),
        &post_form("/api/tooling.tokens.rotate", "refresh_token=x"),
    );
    let (head, body) = split_head(&answer);
    let claimed: usize = header(&head, "content-length").unwrap().parse().unwrap();
    assert_eq!(
        value(body),
        serde_json::json!({"ok": false, "error": "invalid_refresh_token"})
    );
    assert!(
        claimed > body.len(),
        "claimed {claimed}, sent {}",
        body.len()
    );
    // A real client notices.
    sim.inject("tooling.tokens.rotate", Fault::TruncatedBody, 1);
    let mut resp = agent()
        .post(format!("{}/tooling.tokens.rotate", server.base_url()))
        .content_type("application/x-www-form-urlencoded")
        .send("refresh_token=x")
        .unwrap();
    assert!(resp.body_mut().read_to_vec().is_err());
}

#[test]
fn close_mid_body_fault_sends_half_a_chunked_body() {
    let sim = Sim::new();
    let server = Server::start(sim.clone()).unwrap();
    sim.inject("tooling.tokens.rotate", Fault::CloseMidBody, 1);
    let answer = raw(
        server.addr(),
        &post_form("/api/tooling.tokens.rotate", "refresh_token=x"),
    );
    let (head, body) = split_head(&answer);
    assert_eq!(
        header(&head, "transfer-encoding").as_deref(),
        Some("chunked"),
        "{head}"
    );
    // One chunk with half of the JSON answer, then the connection ends.
    let text = String::from_utf8_lossy(body).into_owned();
    let (size, rest) = text.split_once("\r\n").expect("a chunk size line");
    let size = usize::from_str_radix(size, 16).unwrap();
    assert!(size > 0);
    let data = &rest[..size];
    assert!(data.starts_with('{'), "{data}");
    assert!(
        serde_json::from_str::<serde_json::Value>(data)
            .unwrap_err()
            .is_eof(),
        "{data}"
    );
    assert_eq!(&rest[size..], "\r\n", "more than one chunk: {text}");
}

#[test]
fn oversized_faults_stream_the_requested_size() {
    let sim = Sim::new();
    let server = Server::start(sim.clone()).unwrap();
    let agent = agent();
    let size: u64 = 3 * 1024 * 1024 + 7;
    for (fault, chunked) in [
        (Fault::Oversized { bytes: size }, false),
        (Fault::OversizedChunked { bytes: size }, true),
    ] {
        sim.inject("apps.auth.external.get", fault, 1);
        let mut resp = agent
            .post(format!("{}/apps.auth.external.get", server.base_url()))
            .content_type("application/x-www-form-urlencoded")
            .send("external_token_id=x")
            .unwrap();
        assert_eq!(resp.status(), 200);
        let length = resp
            .headers()
            .get("content-length")
            .map(|v| v.to_str().unwrap().to_owned());
        if chunked {
            assert_eq!(length, None);
            assert_eq!(resp.headers()["transfer-encoding"], "chunked");
        } else {
            assert_eq!(length, Some(size.to_string()));
        }
        let mut head = [0u8; 20];
        let mut reader = resp.body_mut().as_reader();
        reader.read_exact(&mut head).unwrap();
        assert_eq!(&head, br#"{"ok":false,"error":"#);
        let rest = std::io::copy(&mut reader, &mut std::io::sink()).unwrap();
        assert_eq!(rest + 20, size);
        // A client with a limit stops early.
    }
    sim.inject(
        "apps.auth.external.get",
        Fault::OversizedChunked { bytes: size },
        1,
    );
    let mut resp = agent
        .post(format!("{}/apps.auth.external.get", server.base_url()))
        .content_type("application/x-www-form-urlencoded")
        .send("external_token_id=x")
        .unwrap();
    assert!(resp
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_vec()
        .is_err());
}

#[test]
fn start_on_a_chosen_port_and_concurrent_clients() {
    let probe = Server::start(Sim::new()).unwrap();
    let port = probe.addr().port();
    drop(probe);
    // The port was just freed; another process could take it, so only check what we got.
    let Ok(server) = Server::start_on(Sim::new(), port) else {
        return;
    };
    assert_eq!(server.addr().port(), port);
    assert_eq!(server.url(), format!("http://127.0.0.1:{port}"));
    let base = server.base_url();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let base = base.clone();
            std::thread::spawn(move || {
                let agent = agent();
                for _ in 0..10 {
                    let resp = agent
                        .post(format!("{base}/tooling.tokens.rotate"))
                        .content_type("application/x-www-form-urlencoded")
                        .send("refresh_token=x")
                        .unwrap();
                    assert_eq!(resp.status(), 200);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(server.sim().calls("tooling.tokens.rotate"), 40);
}
