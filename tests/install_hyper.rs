//! `examples/install_hyper.rs` over real sockets: an install walked through against the
//! simulator, then signed events posted to its events endpoint, late and redelivered ones
//! included, to show the bare-hyper adapter performs what core decides.
#![cfg(feature = "hyper")]

#[allow(dead_code)] // The example's `main` and `serve` are not run here.
#[path = "../examples/install_hyper.rs"]
mod example;

use std::time::Duration;

use slack_oauth::web::{SigningSecret, Verifier};
use slack_oauth::{AsyncStore, Installation};

/// Slack's format: 32 lowercase hex characters.
const SECRET: &str = "5b0e7d9c3a1f4e2d8c6b9a0f1e2d3c4b";

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

/// POSTs `body` signed now with [`SECRET`], as Slack's `retry`th redelivery when `Some`.
fn post_event(agent: &ureq::Agent, url: &str, body: &str, retry: Option<u32>) -> u16 {
    let now = slack_oauth::unix_seconds(std::time::SystemTime::now());
    let verifier = Verifier::new(SigningSecret::new(SECRET).unwrap());
    let mut request = agent
        .post(url)
        .header("content-type", "application/json")
        .header("x-slack-request-timestamp", now.to_string())
        .header("x-slack-signature", verifier.sign(now, body.as_bytes()));
    if let Some(num) = retry {
        request = request
            .header("x-slack-retry-num", num.to_string())
            .header("x-slack-retry-reason", "http_timeout");
    }
    request
        .send(body)
        .expect("an HTTP answer")
        .status()
        .as_u16()
}

#[test]
fn late_and_redelivered_events_change_nothing_on_bare_hyper() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (app, _sim) = example::app(&addr.to_string(), SigningSecret::new(SECRET).unwrap()).unwrap();
    runtime.spawn(example::accept(listener, app.clone()));

    // The install, as a browser walks it (the cookie carried back by hand).
    let agent = agent();
    let (status, headers, page) = get(&agent, &format!("http://{addr}/slack/install"), None);
    assert_eq!(status, 200, "{page}");
    let cookie = headers["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let start = page.find("href=\"").unwrap() + 6;
    let authorize = page[start..][..page[start..].find('"').unwrap()].replace("&amp;", "&");
    let (status, headers, _) = get(&agent, &authorize, None);
    assert_eq!(status, 302);
    let back = headers["location"].to_str().unwrap().to_owned();
    let (status, headers, _) = get(&agent, &back, Some(&cookie));
    assert_eq!(status, 303);
    let success = headers["location"].to_str().unwrap();
    let (status, _, done) = get(&agent, success, None);
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("Installed in"), "{done}");

    let store = app.keeper.store().clone();
    let keys = || runtime.block_on(AsyncStore::keys(&store, "")).unwrap();
    let installed = keys();
    assert!(!installed.is_empty());
    let bot: Installation = runtime
        .block_on(AsyncStore::load(&store, &installed[0]))
        .unwrap()
        .unwrap()
        .value;
    let (team, app_id) = (bot.team_id.clone().unwrap(), bot.app_id.clone().unwrap());
    let events = format!("http://{addr}/slack/events");
    let uninstall = |time: u64| {
        format!(
            r#"{{"type":"event_callback","api_app_id":"{app_id}","team_id":"{team}","event_id":"Ev1",
                "event_time":{time},"event":{{"type":"app_uninstalled"}}}}"#
        )
    };
    let revoked = format!(
        r#"{{"type":"event_callback","api_app_id":"{app_id}","team_id":"{team}","event_id":"Ev2",
            "event_time":{},"event":{{"type":"tokens_revoked","tokens":{{"bot":["B"]}}}}}}"#,
        bot.installed_at - 3600
    );

    // An earlier installation's uninstall and revocation, delivered an hour late: 200, kept.
    assert_eq!(
        post_event(
            &agent,
            &events,
            &uninstall(bot.installed_at - 3600),
            Some(3)
        ),
        200
    );
    assert_eq!(post_event(&agent, &events, &revoked, None), 200);
    assert_eq!(keys(), installed);
    let still = runtime.block_on(AsyncStore::load(&store, &installed[0]));
    assert_eq!(still.unwrap().unwrap().value, bot);

    // This installation's uninstall: everything goes; its redelivery changes nothing more.
    let current = uninstall(bot.installed_at + 60);
    assert_eq!(post_event(&agent, &events, &current, None), 200);
    assert!(keys().is_empty());
    assert_eq!(post_event(&agent, &events, &current, Some(1)), 200);
    assert!(keys().is_empty());
    // Signed with another secret: refused.
    let forged = agent
        .post(&events)
        .header("x-slack-request-timestamp", "1")
        .header("x-slack-signature", "v0=00")
        .send(current.as_str())
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);
}
