//! The install flow and the events endpoint over real sockets: `SlackRoutes` on
//! 127.0.0.1:0, the simulator playing Slack, and a cookie-keeping HTTP client as the browser.

mod common;

use common::{now, App, Browser, APP_ID, SIGNING_SECRET, TEAM_ID, TEAM_NAME};
use slack_oauth_core::keeper::KeeperError;

/// Opens the install page and clicks "Add to Slack": the simulator's redirect back to the
/// app (not followed yet).
fn start_install(app: &App, browser: &mut Browser) -> String {
    let page = browser.get(&app.url("/slack/install"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Add Acme Bot to Slack"), "{}", page.body);
    assert_eq!(browser.cookie_names(), ["slack_oauth_state"]);
    let authorize = page.href("add-to-slack");
    assert!(authorize.starts_with(&app.sim.url()), "{authorize}");
    assert!(
        authorize.contains("code_challenge="),
        "PKCE is on: {authorize}"
    );
    let slack = browser.get(&authorize);
    assert_eq!(slack.status, 302, "{}", slack.body);
    let back = slack.location().expect("a redirect back to the app");
    assert!(
        back.starts_with(&app.url("/slack/oauth_redirect?")),
        "{back}"
    );
    back
}

#[test]
fn allow_installs_and_shows_the_workspace() {
    let app = App::start(|flow| flow.with_pkce(true));
    let mut browser = Browser::new();
    let back = start_install(&app, &mut browser);
    let done = browser.follow(&back);
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("Installed in Acme &amp; Co"),
        "{}",
        done.body
    );
    assert_eq!(
        done.href("open-slack"),
        format!("slack://app?team={TEAM_ID}&id={APP_ID}")
    );
    // The redirect answered a 303 to a success page of its own: reloading it shows the
    // success again and spends nothing (the code went to Slack once).
    assert!(
        done.url.contains("/slack/install?installed="),
        "{}",
        done.url
    );
    let reloaded = browser.get(&done.url);
    assert_eq!(reloaded.status, 200);
    assert_eq!(reloaded.body, done.body);
    // The cookie is gone, and no page showed a token, the code or the state.
    assert!(browser.cookie_names().is_empty());
    let installation = app.stored().expect("the installation is stored");
    assert_eq!(installation.team_name.as_deref(), Some(TEAM_NAME));
    let bot = installation.bot.as_ref().expect("a bot token");
    let user_record = app.stored_user().expect("the installer's own record");
    let user = user_record.user.as_ref().expect("a user token");
    for secret in [bot.token.expose(), user.token.expose()] {
        assert!(!done.body.contains(secret));
    }
    let code = back
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    assert!(!done.body.contains(code));
    // The hook got the bot record's key, where the installation (with the bot's id) is.
    let bot_key = format!("{APP_ID}//{TEAM_ID}/bot");
    assert_eq!(*app.installs.lock().unwrap(), [bot_key]);
    assert!(installation
        .bot_id
        .as_deref()
        .is_some_and(|id| id.starts_with('B')));
    // The keeper hands out the stored bot token.
    assert_eq!(app.bot_token(TEAM_ID).unwrap(), bot.token.expose());
    assert_eq!(app.sim.sim().calls("oauth.v2.access"), 1);
    // auth.test with the new bot token, for the bot's id.
    assert_eq!(app.sim.sim().calls("auth.test"), 1);
}

#[test]
fn an_install_started_at_slack_restarts_at_the_install_path() {
    let app = App::start(|flow| flow.with_pkce(true));
    let mut browser = Browser::new();
    // Slack's redirect after an install from the App Directory: a code, no state, no cookie.
    let arrived = browser.get(&app.url("/slack/oauth_redirect?code=from-the-directory"));
    assert_eq!(arrived.status, 303, "{}", arrived.body);
    let restart = arrived.location().unwrap();
    assert_eq!(restart, app.url("/slack/install?restart"));
    assert_eq!(
        app.sim.sim().calls("oauth.v2.access"),
        0,
        "the code is not spent"
    );
    // The install path goes straight on to Slack with a fresh state and cookie...
    let to_slack = browser.get(&restart);
    assert_eq!(to_slack.status, 302, "{}", to_slack.body);
    let authorize = to_slack.location().unwrap();
    assert!(authorize.starts_with(&app.sim.url()), "{authorize}");
    assert_eq!(browser.cookie_names(), ["slack_oauth_state"]);
    // ...and the install completes as one started here.
    let back = browser.get(&authorize).location().expect("back to the app");
    let done = browser.follow(&back);
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Installed in"), "{}", done.body);
    assert!(app.stored().is_some());
}

#[test]
fn single_use_states_refuse_a_replay_with_the_cookie() {
    let app = App::start_single_use(|flow| flow.with_pkce(true));
    let mut browser = Browser::new();
    let back = start_install(&app, &mut browser);
    // Someone who captured both the redirect URL and the cookie replays them after the
    // browser finished (the cookie binding alone would let them through).
    let cookie = browser.cookie_header("/slack/oauth_redirect");
    let done = browser.follow(&back);
    assert_eq!(done.status, 200, "{}", done.body);
    let used = slack_oauth_core::Store::keys(&*app.used_states, "").unwrap();
    assert_eq!(used.len(), 1);
    assert!(used[0].starts_with("slack-oauth/used-state/"), "{used:?}");
    let mut replayer = Browser::new();
    let (name, value) = cookie.split_once('=').unwrap();
    replayer.set_cookie(name, value, "/slack/oauth_redirect");
    let refused = replayer.get(&back);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("state_used"), "{}", refused.body);
    assert_eq!(
        app.sim.sim().calls("oauth.v2.access"),
        1,
        "sent to Slack once"
    );

    // Without the option the same replay reaches Slack (which refuses the spent code).
    let plain = App::start(|flow| flow.with_pkce(true));
    let mut browser = Browser::new();
    let back = start_install(&plain, &mut browser);
    let cookie = browser.cookie_header("/slack/oauth_redirect");
    assert_eq!(browser.follow(&back).status, 200);
    let mut replayer = Browser::new();
    let (name, value) = cookie.split_once('=').unwrap();
    replayer.set_cookie(name, value, "/slack/oauth_redirect");
    let refused = replayer.get(&back);
    assert!(!refused.body.contains("state_used"), "{}", refused.body);
    assert_eq!(plain.sim.sim().calls("oauth.v2.access"), 2);
    assert!(plain.used_states.is_empty());
}

#[test]
fn cancel_shows_the_failure_page_and_stores_nothing() {
    let app = App::start(|flow| flow);
    let mut browser = Browser::new();
    let page = browser.get(&app.url("/slack/install"));
    // The simulator's Cancel: the same authorize URL, denied.
    let denied = format!("{}&sim_decision=deny", page.href("add-to-slack"));
    let done = browser.follow(&denied);
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("Installation cancelled"),
        "{}",
        done.body
    );
    assert!(done.body.contains("access_denied"));
    assert!(browser.cookie_names().is_empty());
    assert!(app.store.is_empty());
    assert_eq!(app.sim.sim().calls("oauth.v2.access"), 0);
}

#[test]
fn forged_and_replayed_states_are_refused() {
    let app = App::start(|flow| flow.with_pkce(true));
    let mut browser = Browser::new();
    let back = start_install(&app, &mut browser);
    let cookie = browser.cookie_header("/slack/oauth_redirect");

    // A forged state: one character changed.
    let (head, state) = back.split_once("state=").unwrap();
    let mut forged_state = state.as_bytes().to_vec();
    forged_state[5] = if forged_state[5] == b'A' { b'B' } else { b'A' };
    let forged = format!("{head}state={}", String::from_utf8(forged_state).unwrap());
    let refused = browser.get(&forged);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("state_mismatch"), "{}", refused.body);
    assert!(app.store.is_empty());
    assert_eq!(app.sim.sim().calls("oauth.v2.access"), 0);

    // The refusal cleared the cookie, so even the genuine redirect now fails in this browser...
    let refused = browser.follow(&back);
    assert!(refused.body.contains("no_state_cookie"), "{}", refused.body);
    // ...and works once the cookie is back (it was never spent).
    let (name, value) = cookie.split_once('=').unwrap();
    browser.set_cookie(name, value, "/slack/oauth_redirect");
    assert_eq!(browser.follow(&back).status, 200);
    let bot_record = slack_oauth_core::installation::InstallationKey::new(APP_ID)
        .with_team(TEAM_ID)
        .bot_record();
    let version = slack_oauth_core::Store::load(&*app.store, &bot_record)
        .unwrap()
        .unwrap()
        .version;

    // Replaying the same redirect with the same cookie: Slack refuses the spent code.
    browser.set_cookie(name, value, "/slack/oauth_redirect");
    let replayed = browser.follow(&back);
    assert_eq!(replayed.status, 400, "{}", replayed.body);
    assert!(replayed.body.contains("Slack refused"), "{}", replayed.body);
    let after = slack_oauth_core::Store::load(&*app.store, &bot_record)
        .unwrap()
        .unwrap()
        .version;
    assert_eq!(after, version, "nothing was written");
}

#[test]
fn another_browser_cannot_use_the_redirect() {
    let app = App::start(|flow| flow.with_pkce(true));
    let mut first = Browser::new();
    let back = start_install(&app, &mut first);

    let mut second = Browser::new();
    let refused = second.follow(&back);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("did not start this installation"),
        "{}",
        refused.body
    );
    assert!(app.store.is_empty());
    assert_eq!(
        app.sim.sim().calls("oauth.v2.access"),
        0,
        "the code was not spent"
    );

    // A second browser with its own cookie from its own install page: still refused.
    second.get(&app.url("/slack/install"));
    let refused = second.follow(&back);
    assert!(refused.body.contains("state_mismatch"), "{}", refused.body);
    assert!(app.store.is_empty());

    // The first browser still completes its own install.
    assert_eq!(first.follow(&back).status, 200);
    assert!(app.stored().is_some());
}

#[test]
fn app_uninstalled_forgets_the_installation() {
    let app = App::start(|flow| flow.with_pkce(true));
    let mut browser = Browser::new();
    let back = start_install(&app, &mut browser);
    assert_eq!(browser.follow(&back).status, 200);
    assert!(app.bot_token(TEAM_ID).is_ok());

    let installed_at = app.stored().unwrap().installed_at;
    let uninstall = |event_time: u64| {
        format!(
            r#"{{"token":"XXYYZZ","team_id":"{TEAM_ID}","api_app_id":"{APP_ID}","event":{{"type":"app_uninstalled"}},"type":"event_callback","event_id":"Ev1","event_time":{event_time}}}"#
        )
    };
    // An uninstall of an earlier installation, redelivered late (Slack retries for hours):
    // answered 200 so Slack stops, and this installation stays.
    let late = uninstall(installed_at - 3600);
    let answer = app.post_retry(&late, SIGNING_SECRET, now(), Some(3));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(app.stored().is_some());
    assert!(app.stored_user().is_some());
    assert!(app.bot_token(TEAM_ID).is_ok());

    let event = uninstall(installed_at + 60);
    // Signed with another secret, or five minutes and more old: 401, nothing changes.
    let bad = app.post_event(&event, "0000000000000000ffffffffffffffff", now());
    assert_eq!(bad.status, 401);
    let stale = app.post_event(&event, SIGNING_SECRET, now() - 400);
    assert_eq!(stale.status, 401);
    let unsigned = Browser::new().send(
        http::Request::post(app.url("/slack/events"))
            .body(event.as_bytes().to_vec())
            .unwrap(),
    );
    assert_eq!(unsigned.status, 401);
    assert!(app.stored().is_some());
    assert!(app.bot_token(TEAM_ID).is_ok());

    // Another app's uninstall leaves ours alone.
    let other = event.replace(APP_ID, "A0OTHER");
    assert_eq!(app.post_event(&other, SIGNING_SECRET, now()).status, 200);
    assert!(app.stored().is_some());

    let ok = app.post_event(&event, SIGNING_SECRET, now());
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(app.stored().is_none());
    assert!(matches!(
        app.bot_token(TEAM_ID),
        Err(KeeperError::NotFound { .. })
    ));
    assert!(app.stored_user().is_none());
    // Slack may deliver it again: still 200, nothing else changes.
    let again = app.post_retry(&event, SIGNING_SECRET, now(), Some(1));
    assert_eq!(again.status, 200);
    assert!(app.store.is_empty());
}

#[test]
fn tokens_revoked_drops_the_bot_token_and_url_verification_answers() {
    let app = App::start(|flow| flow.with_pkce(true));
    let mut browser = Browser::new();
    let back = start_install(&app, &mut browser);
    assert_eq!(browser.follow(&back).status, 200);

    let revoked = format!(
        r#"{{"type":"event_callback","team_id":"{TEAM_ID}","api_app_id":"{APP_ID}","event":{{"type":"tokens_revoked","tokens":{{"bot":["U0SIMBOT"]}}}}}}"#
    );
    // Dated an hour before this installation: an earlier one's tokens, delivered late.
    let installed_at = app.stored().unwrap().installed_at;
    let late = revoked.replace(
        r#""event":"#,
        &format!(r#""event_time":{},"event":"#, installed_at - 3600),
    );
    assert_eq!(app.post_event(&late, SIGNING_SECRET, now()).status, 200);
    assert!(app.stored().and_then(|bot| bot.bot).is_some(), "kept");
    assert!(app.bot_token(TEAM_ID).is_ok());

    assert_eq!(app.post_event(&revoked, SIGNING_SECRET, now()).status, 200);
    assert!(
        app.stored().and_then(|bot| bot.bot).is_none(),
        "the bot token is gone"
    );
    let left = app.stored_user().expect("the user token is still there");
    assert!(left.user.is_some());
    assert!(matches!(
        app.bot_token(TEAM_ID),
        Err(KeeperError::Installation { .. } | KeeperError::NotFound { .. })
    ));

    let user = left.user_id.clone().unwrap();
    let revoked = revoked.replace(r#""bot":["U0SIMBOT"]"#, &format!(r#""oauth":["{user}"]"#));
    assert_eq!(app.post_event(&revoked, SIGNING_SECRET, now()).status, 200);
    assert!(app.stored_user().is_none(), "the user's record is gone");

    let challenge = r#"{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let answer = app.post_event(challenge, SIGNING_SECRET, now());
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
    let other = r#"{"type":"event_callback","team_id":"T1","event":{"type":"app_mention"}}"#;
    assert_eq!(app.post_event(other, SIGNING_SECRET, now()).status, 200);
    // The app's hook hears it in a task of its own, after Slack had its 200.
    let started = std::time::Instant::now();
    while app.events.lock().unwrap().is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the hook never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(*app.events.lock().unwrap(), ["app_mention"]);
    let junk = app.post_event("<html>", SIGNING_SECRET, now());
    assert_eq!(junk.status, 400);
}

#[test]
fn the_simulators_uninstall_event_reaches_the_app() {
    let app = App::start_with(|flow| flow.with_pkce(true), true);
    let mut browser = Browser::new();
    let back = start_install(&app, &mut browser);
    assert_eq!(browser.follow(&back).status, 200);
    assert!(app.bot_token(TEAM_ID).is_ok());

    // Slack's side, a minute later: the app is uninstalled, and its signed app_uninstalled
    // event is POSTed (at the install's own second it would count as older than the install,
    // see `LATE_EVENT_TOLERANCE`).
    app.sim.sim().advance(60);
    assert!(app.sim.sim().uninstall(common::CLIENT_ID));
    let started = std::time::Instant::now();
    while app.stored().is_some() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the uninstall event never arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(matches!(
        app.bot_token(TEAM_ID),
        Err(KeeperError::NotFound { .. })
    ));
}
