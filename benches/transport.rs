//! Round trips per second over loopback against the simulator, with connection reuse: each
//! transport's `call` next to the same request sent with bare ureq / bare hyper (the floor),
//! so the adapter's overhead shows as a ratio.
//!
//! ```bash
//! cargo bench --bench transport --all-features -- --quick
//! ```
//!
//! The request is `apps.auth.external.get` for a seeded token: a success every time, so each
//! iteration is one full exchange. The adapter's figure includes building the request and
//! parsing the answer with core; the floor only sends a prepared request and reads the bytes.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
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

#[cfg(feature = "ureq")]
fn ureq_round_trips(c: &mut Criterion) {
    let f = fixture();
    let mut group = c.benchmark_group("round_trip/ureq");
    group.throughput(Throughput::Elements(1));

    let client = slack_oauth::ureq::Client::new(f.api.clone());
    group.bench_function("slack-oauth-ureq call", |b| {
        b.iter(|| client.call(&f.get).expect("a successful get"))
    });

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let request = f.api.request(&f.get).expect("a request");
    group.bench_function("bare ureq", |b| {
        b.iter(|| {
            let mut response = agent.run(request.clone()).expect("a response");
            let body = response
                .body_mut()
                .with_config()
                .limit(1024 * 1024)
                .read_to_vec()
                .expect("a body");
            assert_eq!(response.status(), 200);
            body
        })
    });
    group.finish();
}

#[cfg(feature = "hyper")]
fn hyper_round_trips(c: &mut Criterion) {
    use bytes::Bytes;
    use http_body_util::{BodyExt as _, Full};

    let f = fixture();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let mut group = c.benchmark_group("round_trip/hyper");
    group.throughput(Throughput::Elements(1));

    let client = slack_oauth::hyper::Client::new(f.api.clone());
    group.bench_function("slack-oauth-hyper call", |b| {
        b.iter(|| {
            runtime
                .block_on(client.call(&f.get))
                .expect("a successful get")
        })
    });

    let bare: hyper_util::client::legacy::Client<_, Full<Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let request = f.api.request(&f.get).expect("a request");
    group.bench_function("bare hyper", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let request = request.clone().map(|body| Full::new(Bytes::from(body)));
                let response = bare.request(request).await.expect("a response");
                assert_eq!(response.status(), 200);
                response
                    .into_body()
                    .collect()
                    .await
                    .expect("a body")
                    .to_bytes()
            })
        })
    });
    group.finish();
}

#[cfg(not(feature = "ureq"))]
fn ureq_round_trips(_: &mut Criterion) {}

#[cfg(not(feature = "hyper"))]
fn hyper_round_trips(_: &mut Criterion) {}

criterion_group! {
    name = transport;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = ureq_round_trips, hyper_round_trips
}
criterion_main!(transport);
