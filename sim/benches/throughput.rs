//! How fast the simulator answers over loopback with keep-alive, next to the floor: a bare
//! hyper server on the same kind of thread and runtime answering a constant, hit by the same
//! client. The ratio says how much of a load test's time the simulator itself takes.
//!
//! ```bash
//! cargo bench -p slack-oauth-sim --bench throughput -- --quick
//! ```
//!
//! Cases (one ureq agent each, so one kept-alive connection each):
//! - `floor/constant`: `POST /api/auth.test` to a hyper server answering `{"ok":true}`;
//! - `sim/auth.test`: the same request to the simulator, a live bot token each time;
//! - `sim/refresh`: `oauth.v2.access` with `grant_type=refresh_token`, each iteration using
//!   the refresh token the previous one returned (a new access and refresh token per call).
//!
//! Then interleaved rounds (batches of a case and of the floor alternate) print the median
//! ratio, which a shared machine's drifting load affects less than back-to-back timings.

use std::cell::RefCell;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use http::{Request, Response};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use slack_oauth_core::auth::Test;
use slack_oauth_core::oauth_v2::Access;
use slack_oauth_core::{Api, ClientCredentials};
use slack_oauth_sim::{AppConfig, Server, Sim};

const ID: &str = "111.222";
const SECRET: &str = "app-secret";

/// The floor: hyper 1, HTTP/1.1, a current-thread runtime on its own thread (as the
/// simulator's server), answering every request with the same small JSON body.
fn constant_server() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let service = service_fn(|_req| async {
                        let mut response =
                            Response::new(Full::new(Bytes::from_static(br#"{"ok":true}"#)));
                        response.headers_mut().insert(
                            http::header::CONTENT_TYPE,
                            http::HeaderValue::from_static("application/json; charset=utf-8"),
                        );
                        Ok::<_, Infallible>(response)
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    addr
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// Sends and reads the whole body; checks the answer is a success so a broken case cannot
/// pass for a fast one.
fn round_trip(agent: &ureq::Agent, req: Request<Vec<u8>>) -> Vec<u8> {
    let mut resp = agent.run(req).expect("an answer");
    let body = resp.body_mut().read_to_vec().expect("a body");
    let ok = body.windows(9).any(|w| w == br#""ok":true"#);
    assert!(ok, "{}", String::from_utf8_lossy(&body));
    body
}

type Case = Box<dyn FnMut()>;

struct Cases {
    _server: Server,
    floor: Case,
    auth_test: Case,
    refresh: Case,
}

fn cases() -> Cases {
    let sim = Sim::new();
    sim.register_app(
        AppConfig::new(ID, SECRET)
            .redirect_uri("http://127.0.0.1:9/cb")
            .token_rotation(true),
    );
    let server = Server::start(sim.clone()).unwrap();
    let api = Api::new()
        .with_base_url(&server.base_url())
        .unwrap()
        .with_credentials(ClientCredentials::new(ID, SECRET));
    let redirect = sim
        .approve(&format!(
            "{}?client_id={ID}&scope=chat:write",
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
    let setup = agent();
    let install: serde_json::Value = serde_json::from_slice(&round_trip(
        &setup,
        api.request(&Access::code(code)).unwrap(),
    ))
    .unwrap();
    // auth.test gets its own long-lived token: the refresh case revokes old chain tokens.
    let bot = sim.seed_legacy_token(ID, "bot");
    let refresh = Rc::new(RefCell::new(
        install["refresh_token"].as_str().unwrap().to_owned(),
    ));

    let floor_url = format!("http://{}/api/auth.test", constant_server());
    let floor_req = Api::new()
        .with_base_url(&format!(
            "http://{}/api",
            floor_url.split('/').nth(2).unwrap()
        ))
        .unwrap()
        .request(&Test::new(bot.as_str()))
        .unwrap();
    let floor_agent = agent();
    let test_req = api.request(&Test::new(bot.as_str())).unwrap();
    let test_agent = agent();
    let refresh_agent = agent();
    Cases {
        _server: server,
        floor: Box::new(move || {
            round_trip(&floor_agent, floor_req.clone());
        }),
        auth_test: Box::new(move || {
            round_trip(&test_agent, test_req.clone());
        }),
        refresh: Box::new(move || {
            let current = refresh.borrow().clone();
            let body = round_trip(
                &refresh_agent,
                api.request(&Access::refresh(current)).unwrap(),
            );
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            *refresh.borrow_mut() = v["refresh_token"].as_str().unwrap().to_owned();
        }),
    }
}

/// Alternates batches of `case` and the floor; prints the median ratio and the case's rate.
fn ratio_rounds(name: &str, case: &mut Case, floor: &mut Case, rounds: usize, batch: u32) {
    let time = |f: &mut Case| {
        let started = Instant::now();
        for _ in 0..batch {
            f();
        }
        started.elapsed() / batch
    };
    time(case);
    time(floor);
    let mut samples: Vec<(f64, Duration, Duration)> = (0..rounds)
        .map(|_| {
            let c = time(case);
            let f = time(floor);
            (c.as_secs_f64() / f.as_secs_f64(), c, f)
        })
        .collect();
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (ratio, c, f) = samples[samples.len() / 2];
    println!(
        "ratio/{name:<10} vs floor: {ratio:.2} (median of {rounds} interleaved rounds of {batch}; \
         that round: {c:.1?} vs {f:.1?} per request, {:.0} vs {:.0} requests/s on one connection)",
        1.0 / c.as_secs_f64(),
        1.0 / f.as_secs_f64(),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --benches` runs this without `--bench`: one quick pass is enough there.
    let measuring = args.iter().any(|a| a == "--bench");
    let quick = !measuring || args.iter().any(|a| a == "--quick");

    let mut cases = cases();
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .configure_from_args();
    {
        let mut group = criterion.benchmark_group("loopback");
        group.throughput(Throughput::Elements(1));
        group.bench_function("floor/constant", |b| b.iter(&mut cases.floor));
        group.bench_function("sim/auth.test", |b| b.iter(&mut cases.auth_test));
        group.bench_function("sim/refresh", |b| b.iter(&mut cases.refresh));
        group.finish();
    }
    criterion.final_summary();

    if args.iter().any(|a| a == "--list") {
        return;
    }
    let (rounds, batch) = match (measuring, quick) {
        (false, _) => (1, 2),
        (true, true) => (15, 200),
        (true, false) => (41, 500),
    };
    ratio_rounds(
        "auth.test",
        &mut cases.auth_test,
        &mut cases.floor,
        rounds,
        batch,
    );
    ratio_rounds(
        "refresh",
        &mut cases.refresh,
        &mut cases.floor,
        rounds,
        batch,
    );
}
