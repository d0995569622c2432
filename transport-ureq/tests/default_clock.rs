//! The keeper's default clock: a cached token is answered from the coarse system clock's
//! bound ([`slack_oauth_clock::not_behind`]) but never once its refresh margin begins on the
//! exact clock.

#[test]
fn a_cached_token_is_never_handed_out_once_its_margin_begins() {
    use slack_oauth_core::oauth_v2::Access;
    use slack_oauth_core::{parse, Api, ClientCredentials, Installation, KeeperError};
    use slack_oauth_core::{MemoryStore, Store};

    let start = slack_oauth_clock::system();
    let answer = br#"{"ok":true,"access_token":"xoxe.xoxb-1-A","token_type":"bot",
        "expires_in":4,"refresh_token":"xoxe-1-R","team":{"id":"T1"}}"#;
    let answer = parse::<Access, _>(&http::Response::new(answer))
        .unwrap()
        .value;
    let until = start + 3; // expires at start + 4, the margin is 1 s
    let api = Api::new().with_credentials(ClientCredentials::new("111.222", "secret"));
    let keeper =
        slack_oauth_ureq::Keeper::new(slack_oauth_ureq::Client::new(api), MemoryStore::new())
            .with_margin(1);
    let installed = Installation::from_access(answer, start).unwrap();
    keeper.save("T1", &installed).unwrap();
    assert!(keeper.bot_token("T1").is_ok(), "cached by the first call");
    // Behind the keeper's back: from now on only the cache can answer.
    keeper.store().delete("T1").unwrap();
    loop {
        let before = slack_oauth_clock::system();
        match keeper.bot_token("T1") {
            Ok(_) => assert!(
                before < until,
                "handed out at {before}, fresh until {until}"
            ),
            Err(KeeperError::NotFound { .. }) => break,
            Err(other) => panic!("{other}"),
        }
    }
    assert!(
        slack_oauth_clock::system() >= until,
        "forgotten before its margin began"
    );
}
