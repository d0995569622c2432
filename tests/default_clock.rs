//! The keepers' default clock, their client's: a cached token is answered from the coarse
//! system clock's bound (`slack_oauth_clock::not_behind`) but never once its refresh margin
//! begins on the exact clock. One check, run over each transport enabled by features.

use slack_oauth::oauth_v2::{Access, AccessResponse};
use slack_oauth::{keeper::KeeperError, parse, AccessToken, Api, ClientCredentials, Installation};

/// An install answer whose bot token expires 4 s from `start`; with a margin of 1 s it is
/// fresh until `start + 3`.
fn answer() -> AccessResponse {
    let answer = br#"{"ok":true,"access_token":"xoxe.xoxb-1-A","token_type":"bot",
        "expires_in":4,"refresh_token":"xoxe-1-R","team":{"id":"T1"}}"#;
    parse::<Access, _>(&http::Response::new(answer))
        .unwrap()
        .value
}

fn api() -> Api {
    Api::new().with_credentials(ClientCredentials::new("111.222", "secret"))
}

/// Asks `bot_token` (a keeper whose record was deleted behind its back after a first call
/// cached the token) until it says not found, checking each token it hands out against the
/// time read just before, from `now`, the keeper's own clock.
fn never_past_the_margin(
    start: u64,
    now: impl Fn() -> u64,
    mut bot_token: impl FnMut() -> Result<AccessToken, KeeperError>,
) {
    let until = start + 3; // expires at start + 4, the margin is 1 s
    loop {
        let before = now();
        match bot_token() {
            Ok(_) => assert!(
                before < until,
                "handed out at {before}, fresh until {until}"
            ),
            Err(KeeperError::NotFound { .. }) => break,
            Err(other) => panic!("{other}"),
        }
    }
    assert!(now() >= until, "forgotten before its margin began");
}

#[cfg(feature = "ureq")]
#[test]
fn ureq_a_cached_token_is_never_handed_out_once_its_margin_begins() {
    use slack_oauth::transport::HttpClient;
    use slack_oauth::{MemoryStore, Store};

    let client = slack_oauth::ureq::Client::new(api());
    let start = client.now();
    let keeper = slack_oauth::ureq::Keeper::new(client, MemoryStore::new()).with_margin(1);
    let installed = Installation::from_access(answer(), start).unwrap();
    keeper.save("T1", &installed).unwrap();
    assert!(keeper.bot_token("T1").is_ok(), "cached by the first call");
    // Behind the keeper's back: from now on only the cache can answer.
    keeper.store().delete("T1").unwrap();
    let now = || keeper.client().now();
    never_past_the_margin(start, now, || keeper.bot_token("T1"));
}

#[cfg(feature = "hyper")]
#[test]
fn hyper_a_cached_token_is_never_handed_out_once_its_margin_begins() {
    use slack_oauth::transport::AsyncHttpClient;
    use slack_oauth::{MemoryStore, Store};
    use std::sync::Arc;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let client = runtime.block_on(async { slack_oauth::hyper::Client::new(api()) });
    let start = client.now();
    let store = Arc::new(MemoryStore::new());
    let keeper = slack_oauth::hyper::Keeper::new(client, Arc::clone(&store)).with_margin(1);
    let installed = Installation::from_access(answer(), start).unwrap();
    runtime.block_on(async {
        keeper.save("T1", &installed).await.unwrap();
        let first = keeper.bot_token("T1").await;
        assert!(first.is_ok(), "cached by the first call");
    });
    store.delete("T1").unwrap();
    let now = || keeper.client().now();
    never_past_the_margin(start, now, || runtime.block_on(keeper.bot_token("T1")));
}
