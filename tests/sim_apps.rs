//! A whole app against the simulator through the ureq transport: the install callback as
//! Slack's official SDKs write it (`oauth.v2.access`, then `auth.test` with the new bot token
//! to learn `bot_id`), health checks with `auth.test`, rotation on the wall clock with a short
//! token lifetime, and leaving with `auth.revoke` — with the simulator's stats as the judge.

#![cfg(feature = "ureq")]

use std::time::Duration;

use slack_oauth::auth::{Revoke, Test};
use slack_oauth::oauth_v2::Access;
use slack_oauth::ureq::Client;
use slack_oauth::{authorize::State, Api, AuthorizeUrl, Callback, ClientCredentials, ErrorCode};
use slack_oauth_sim::{AppConfig, Clock, Server, Sim};

const ID: &str = "111.222";
const SECRET: &str = "app-secret";
const REDIRECT: &str = "http://127.0.0.1:8080/slack/oauth_redirect";

fn client(server: &Server) -> Client {
    Client::new(
        Api::new()
            .with_base_url(&server.base_url())
            .unwrap()
            .with_credentials(ClientCredentials::new(ID, SECRET)),
    )
}

/// What an SDK's install store keeps after the callback.
struct Installed {
    bot_token: slack_oauth::AccessToken,
    refresh_token: Option<slack_oauth::secret::RefreshToken>,
    bot_id: String,
    bot_user_id: String,
    team_id: String,
}

/// The redirect handler: check the state, exchange the code, then ask `auth.test` who the
/// bot is, as `@slack/oauth`'s `handleCallback` and `slack_sdk`'s install flows do.
fn handle_callback(client: &Client, redirect: &str, state: &State) -> Installed {
    let code = Callback::parse(redirect)
        .unwrap()
        .verify_state(state)
        .unwrap();
    let access = client
        .call(&Access::code(code).redirect_uri(REDIRECT))
        .unwrap()
        .value;
    let bot_token = access.bot_token().unwrap().clone();
    let who = client.call(&Test::new(bot_token.clone())).unwrap().value;
    assert_eq!(
        who.user_id, access.bot_user_id,
        "auth.test names the bot user"
    );
    Installed {
        bot_token,
        refresh_token: access.refresh_token.clone(),
        bot_id: who.bot_id.unwrap(),
        bot_user_id: who.user_id.unwrap(),
        team_id: who.team_id.unwrap(),
    }
}

#[test]
fn sdk_style_install_callback_succeeds() {
    let sim = Sim::new();
    sim.register_app(
        AppConfig::new(ID, SECRET)
            .redirect_uri(REDIRECT)
            .bot_id("B0FLEET")
            .team("T0FLEET", "Fleet"),
    );
    let server = Server::start(sim.clone()).unwrap();
    let client = client(&server);
    let state = State::new("st4te-st4te-st4te-st4te-st4te-st4te-st4").unwrap();
    let url = AuthorizeUrl::new(ID)
        .with_base_url(&server.url())
        .unwrap()
        .bot_scopes(["chat:write"])
        .redirect_uri(REDIRECT)
        .state(&state)
        .build()
        .unwrap();
    let redirect = sim.approve(&url).unwrap();

    let installed = handle_callback(&client, &redirect, &state);
    assert_eq!(installed.bot_id, "B0FLEET");
    assert_eq!(installed.bot_user_id, "U0SIMBOT");
    assert_eq!(installed.team_id, "T0FLEET");
    assert!(installed.refresh_token.is_none(), "rotation is off");

    // The token still works, until the app leaves.
    assert!(client.call(&Test::new(installed.bot_token.clone())).is_ok());
    let revoked = client
        .call(&Revoke::new(installed.bot_token.clone()))
        .unwrap()
        .value;
    assert!(revoked.revoked);
    let err = client
        .call(&Test::new(installed.bot_token.clone()))
        .unwrap_err();
    assert_eq!(
        err.slack().and_then(|e| e.code()),
        Some(&ErrorCode::TokenRevoked)
    );

    let stats = sim.stats();
    assert_eq!(stats.count("oauth.v2.access", "ok"), 1);
    assert_eq!(stats.count("auth.test", "ok"), 2);
    assert_eq!(stats.count("auth.test", "token_revoked"), 1);
    assert_eq!(stats.count("auth.revoke", "ok"), 1);
}

#[test]
fn rotation_in_seconds_on_the_wall_clock() {
    let sim = Sim::with_clock(Clock::Wall);
    sim.register_app(
        AppConfig::new(ID, SECRET)
            .redirect_uri(REDIRECT)
            .token_rotation(true)
            .token_expires_in(2),
    );
    let server = Server::start(sim.clone()).unwrap();
    let client = client(&server);
    let state = State::new("st4te-st4te-st4te-st4te-st4te-st4te-st4").unwrap();
    let url = AuthorizeUrl::new(ID)
        .with_base_url(&server.url())
        .unwrap()
        .bot_scopes(["chat:write"])
        .redirect_uri(REDIRECT)
        .state(&state)
        .build()
        .unwrap();
    let mut installed = handle_callback(&client, &sim.approve(&url).unwrap(), &state);

    // Two rotation windows on the real clock: each token dies on its own, the refresh token
    // renews it, and no refresh token is ever presented twice. (Two-second tokens: the
    // clock has whole seconds, so a token checked right after its refresh is never at the
    // edge of its life.)
    for _ in 0..2 {
        std::thread::sleep(Duration::from_millis(2_100));
        let err = client
            .call(&Test::new(installed.bot_token.clone()))
            .unwrap_err();
        assert_eq!(
            err.slack().and_then(|e| e.code()),
            Some(&ErrorCode::TokenExpired)
        );
        let refreshed = client
            .call(&Access::refresh(installed.refresh_token.take().unwrap()))
            .unwrap()
            .value;
        assert_eq!(refreshed.expires_in, Some(2));
        installed.bot_token = refreshed.access_token.unwrap();
        installed.refresh_token = refreshed.refresh_token;
        assert!(client.call(&Test::new(installed.bot_token.clone())).is_ok());
    }
    let stats = sim.stats();
    assert_eq!(stats.count("oauth.v2.access", "ok"), 3);
    assert_eq!(stats.count("oauth.v2.access", "invalid_refresh_token"), 0);
    assert_eq!(stats.refresh_token_reuse, 0);
    assert_eq!(stats.count("auth.test", "token_expired"), 2);
}
