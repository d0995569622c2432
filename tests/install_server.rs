//! `examples/install_server.rs` walked through over real sockets: its routes against the
//! simulator, a browser's requests by hand (cookie included), the installation stored.
#![cfg(feature = "axum")]

#[allow(dead_code)] // The example's `main` is not run here.
#[path = "../examples/install_server/app.rs"]
mod app;

use std::sync::Arc;
use std::time::Duration;

use slack_oauth::{AsyncStore, Installation, MemoryStore};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

fn get(agent: &ureq::Agent, url: &str, cookie: Option<&str>) -> (u16, http::HeaderMap, String) {
    let mut request = agent.get(url);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.call().expect("an HTTP answer");
    let (parts, mut body) = response.into_parts();
    (
        parts.status.as_u16(),
        parts.headers,
        body.read_to_string().unwrap(),
    )
}

/// Serves the example's routes on `store` and walks an install through; returns the
/// simulator (alive) and the app's address.
fn walk<S>(runtime: &tokio::runtime::Runtime, store: S) -> (slack_oauth_sim::Server, String)
where
    S: AsyncStore<Installation> + Send + Sync + 'static,
{
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (sim, settings) =
        app::simulated_slack(&format!("http://{addr}/slack/oauth_redirect")).unwrap();
    let router = app::routes(settings, store).unwrap();
    runtime.spawn(async move { slack_oauth::axum::axum::serve(listener, router).await });

    let agent = agent();
    // `GET /` leads to the install page.
    let (status, headers, _) = get(&agent, &format!("http://{addr}/"), None);
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/slack/install");
    let (status, headers, page) = get(&agent, &format!("http://{addr}/slack/install"), None);
    assert_eq!(status, 200, "{page}");
    let cookie = headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let start = page.find("href=\"").unwrap() + 6;
    let authorize = page[start..][..page[start..].find('"').unwrap()].replace("&amp;", "&");
    let (status, headers, _) = get(&agent, &authorize, None);
    assert_eq!(status, 302);
    let back = headers["location"].to_str().unwrap().to_owned();
    // A 303 to the success page (post/redirect/get), which a reload shows again.
    let (status, headers, _) = get(&agent, &back, Some(&cookie));
    assert_eq!(status, 303);
    let success = headers["location"].to_str().unwrap().to_owned();
    assert!(success.starts_with(&format!("http://{addr}/slack/install?installed=")));
    for _reload in 0..2 {
        let (status, _, done) = get(&agent, &success, None);
        assert_eq!(status, 200, "{done}");
        assert!(done.contains("Installed in Sim Team"), "{done}");
    }
    (sim, addr.to_string())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_example_installs_against_the_simulator() {
    let store = Arc::new(MemoryStore::<Installation>::new());
    walk(&runtime(), store.clone());
    assert_eq!(store.len(), 1);
}

#[test]
fn the_simulators_uninstall_reaches_the_example() {
    let runtime = runtime();
    let store = Arc::new(MemoryStore::<Installation>::new());
    let (sim, _) = walk(&runtime, store.clone());
    assert!(!store.is_empty());
    // A minute later (sooner counts as older than the install: LATE_EVENT_TOLERANCE), the
    // app is uninstalled at Slack, which POSTs a signed app_uninstalled to the example.
    sim.sim().advance(60);
    assert!(sim.sim().uninstall("1111.2222"));
    let started = std::time::Instant::now();
    while !store.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the uninstall event never arrived"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The same with the SQLite store the example opens for `SLACK_OAUTH_STORE=sqlite:PATH`.
#[cfg(feature = "sqlite")]
#[test]
fn the_example_installs_into_sqlite() {
    let path = std::env::temp_dir().join(format!("install-server-{}.db", std::process::id()));
    let runtime = runtime();
    let url = format!("sqlite:{}", path.display());
    let open = || {
        runtime
            .block_on(slack_oauth::stores::AsyncAnyStore::<Installation>::open(
                &url,
            ))
            .unwrap()
    };
    walk(&runtime, open());
    // Another connection to the file finds the installation's bot record.
    let other = open();
    let keys = runtime.block_on(AsyncStore::keys(&other, "")).unwrap();
    let bot = keys
        .iter()
        .find(|key| key.ends_with("/T0SIM/bot"))
        .unwrap_or_else(|| panic!("no bot record of T0SIM among {keys:?}"));
    let stored = runtime.block_on(AsyncStore::load(&other, bot)).unwrap();
    assert_eq!(stored.unwrap().value.team_name.as_deref(), Some("Sim Team"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
