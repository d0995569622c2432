//! Round trips per second over loopback against the simulator, with connection reuse: each
//! transport's `call` next to the same request sent with bare ureq / bare hyper (the floor),
//! so the adapter's overhead shows as a ratio.
//!
//! ```bash
//! cargo bench --bench transport --all-features -- --quick
//! ```
//!
//! Two parts:
//! 1. criterion timings of each case (`round_trip/<transport>/...`);
//! 2. **interleaved ratio rounds**: batches of the adapter and of its floor alternate, and the
//!    median of the per-round ratios is printed. On a shared machine the load drifts between
//!    criterion's back-to-back cases; alternating batches cancels most of that drift.
//!
//! The request is `apps.auth.external.get` for a seeded token: a success every time, so each
//! iteration is one full exchange. The adapter's figure includes building the request and
//! parsing the answer with core; the floor only sends a prepared request and reads the bytes.

// Without a transport feature there is nothing to measure, and the fixture goes unused.
#![cfg_attr(not(any(feature = "ureq", feature = "hyper")), allow(dead_code))]

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use slack_oauth::apps_auth_external::Get;
use slack_oauth::Api;
use slack_oauth_sim::{ExternalTokenSeed, Server, Sim};

struct Fixture {
    _server: Server,
    api: Api,
    get: Get,
}

fn fixture() -> Fixture {
    let sim = Sim::new();
    let id = sim.seed_external_token(ExternalTokenSeed {
        app_id: "A0BENCH".into(),
        provider_key: "google".into(),
        has_refresh_token: true,
        ..Default::default()
    });
    let workflow = sim.seed_workflow_token();
    let server = Server::start(sim).expect("the simulator starts");
    let api = Api::new()
        .with_base_url(&server.base_url())
        .expect("a loopback base URL");
    Fixture {
        _server: server,
        api,
        get: Get::new(workflow, id),
    }
}

/// One transport: its adapter's round trip and the floor's, as closures.
struct Pair {
    transport: &'static str,
    adapter_name: &'static str,
    floor_name: &'static str,
    adapter: Box<dyn FnMut()>,
    floor: Box<dyn FnMut()>,
    _fixture: Fixture,
}

#[cfg(feature = "ureq")]
fn ureq_pair() -> Pair {
    let f = fixture();
    let client = slack_oauth::ureq::Client::new(f.api.clone());
    let get = f.get.clone();
    let adapter = move || {
        client.call(&get).expect("a successful get");
    };

    // Bare ureq as one would configure it for an API: statuses as data, no redirects.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let request = f.api.request(&f.get).expect("a request");
    let floor = move || {
        let mut response = agent.run(request.clone()).expect("a response");
        assert_eq!(response.status(), 200);
        let body = response
            .body_mut()
            .with_config()
            .limit(1024 * 1024)
            .read_to_vec()
            .expect("a body");
        assert!(!body.is_empty());
    };
    Pair {
        transport: "ureq",
        adapter_name: "slack-oauth-ureq call",
        floor_name: "bare ureq",
        adapter: Box::new(adapter),
        floor: Box::new(floor),
        _fixture: f,
    }
}

#[cfg(feature = "hyper")]
fn hyper_pair() -> Pair {
    use std::sync::Arc;

    use bytes::Bytes;
    use http_body_util::{BodyExt as _, Full};

    let f = fixture();
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime"),
    );
    let client = slack_oauth::hyper::Client::new(f.api.clone());
    let get = f.get.clone();
    let rt = runtime.clone();
    let adapter = move || {
        rt.block_on(client.call(&get)).expect("a successful get");
    };

    // The same socket option the adapter sets (TCP_NODELAY), so the floor differs only by
    // the adapter itself.
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_nodelay(true);
    let bare: hyper_util::client::legacy::Client<_, Full<Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(connector);
    let request = f.api.request(&f.get).expect("a request");
    let floor = move || {
        runtime.block_on(async {
            let request = request.clone().map(|body| Full::new(Bytes::from(body)));
            let response = bare.request(request).await.expect("a response");
            assert_eq!(response.status(), 200);
            let body = response.into_body().collect().await.expect("a body");
            assert!(!body.to_bytes().is_empty());
        })
    };
    Pair {
        transport: "hyper",
        adapter_name: "slack-oauth-hyper call",
        floor_name: "bare hyper",
        adapter: Box::new(adapter),
        floor: Box::new(floor),
        _fixture: f,
    }
}

fn pairs() -> Vec<Pair> {
    let makers: &[fn() -> Pair] = &[
        #[cfg(feature = "ureq")]
        ureq_pair,
        #[cfg(feature = "hyper")]
        hyper_pair,
    ];
    makers.iter().map(|make| make()).collect()
}

fn criterion_cases(c: &mut Criterion, pairs: &mut [Pair]) {
    for pair in pairs {
        let mut group = c.benchmark_group(format!("round_trip/{}", pair.transport));
        group.throughput(Throughput::Elements(1));
        group.bench_function(pair.adapter_name, |b| b.iter(&mut pair.adapter));
        group.bench_function(pair.floor_name, |b| b.iter(&mut pair.floor));
        group.finish();
    }
}

/// Alternates batches of the adapter and the floor; prints the median ratio.
fn ratio_rounds(pair: &mut Pair, rounds: usize, batch: u32) {
    let time = |f: &mut Box<dyn FnMut()>| {
        let started = Instant::now();
        for _ in 0..batch {
            f();
        }
        started.elapsed() / batch
    };
    // Warm both connections up before measuring.
    time(&mut pair.adapter);
    time(&mut pair.floor);
    let mut samples: Vec<(f64, Duration, Duration)> = (0..rounds)
        .map(|_| {
            let adapter = time(&mut pair.adapter);
            let floor = time(&mut pair.floor);
            (adapter.as_secs_f64() / floor.as_secs_f64(), adapter, floor)
        })
        .collect();
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (ratio, adapter, floor) = samples[samples.len() / 2];
    println!(
        "ratio/{:<5} {} / {}: {ratio:.2} (median of {rounds} interleaved rounds of {batch}; \
         that round: {adapter:.1?} vs {floor:.1?} per round trip)",
        pair.transport, pair.adapter_name, pair.floor_name,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --benches` runs this without `--bench`: one quick pass is enough there.
    let measuring = args.iter().any(|a| a == "--bench");
    let quick = !measuring || args.iter().any(|a| a == "--quick");

    let mut pairs = pairs();
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .configure_from_args();
    criterion_cases(&mut criterion, &mut pairs);
    criterion.final_summary();

    if args.iter().any(|a| a == "--list") {
        return;
    }
    let (rounds, batch) = match (measuring, quick) {
        (false, _) => (1, 2),
        (true, true) => (15, 200),
        (true, false) => (41, 500),
    };
    for pair in &mut pairs {
        ratio_rounds(pair, rounds, batch);
    }
}
