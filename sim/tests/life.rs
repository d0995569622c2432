//! An app's whole life, sans-IO: the methods beyond the six (`auth.test`, `auth.revoke`,
//! `apps.uninstall`), the wall clock and per-app token lifetimes, stats, events, the consent
//! page, and time arithmetic at the end of `u64`.

use hmac::{Hmac, KeyInit, Mac};
use http::{Request, Response};
use serde_json::Value;
use sha2::Sha256;
use slack_oauth_core::auth::{Revoke, Test};
use slack_oauth_core::oauth_v2::{Access, Exchange};
use slack_oauth_core::tooling_tokens::Rotate;
use slack_oauth_core::{parse, Api, ClientCredentials};
use slack_oauth_sim::{
    ApiMethod, AppConfig, Clock, EventKind, Fault, RetryReason, Sim, SimConfig, MAX_SECONDS,
};

const ID: &str = "111.222";
const SECRET: &str = "app-secret";
const REDIRECT: &str = "https://example.com/slack/callback";
const EVENTS: &str = "http://127.0.0.1:9/slack/events";
const SIGNING: &str = "signing-secret-1";

fn api() -> Api {
    Api::new().with_credentials(ClientCredentials::new(ID, SECRET))
}

fn app() -> AppConfig {
    AppConfig::new(ID, SECRET)
        .redirect_uri(REDIRECT)
        .app_id("A0SIMAPP1")
        .app_name("Fleet Bot")
        .bot_id("B0FLEET")
        .token_rotation(true)
}

fn body(resp: &Response<Vec<u8>>) -> Value {
    serde_json::from_slice(resp.body()).expect("a JSON body")
}

fn form(method: &str, bearer: Option<&str>, body: &str) -> Request<Vec<u8>> {
    let mut b = Request::post(format!("/api/{method}"))
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(token) = bearer {
        b = b.header("authorization", format!("Bearer {token}"));
    }
    b.body(body.as_bytes().to_vec()).unwrap()
}

fn error(v: &Value) -> &str {
    assert_eq!(v["ok"], false, "expected an error, got {v}");
    v["error"].as_str().unwrap()
}

/// Approves an install with bot and user scopes and exchanges the code: the
/// `oauth.v2.access` answer.
fn install(sim: &Sim) -> Value {
    let redirect = sim
        .approve(&format!(
            "https://slack.com/oauth/v2/authorize?client_id={ID}&scope=chat:write,commands&user_scope=search:read&redirect_uri={REDIRECT}"
        ))
        .unwrap();
    let code = redirect
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let resp = sim.handle(
        &api()
            .request(&Access::code(code).redirect_uri(REDIRECT))
            .unwrap(),
    );
    let v = body(&resp);
    assert_eq!(v["ok"], true, "{v}");
    v
}

fn auth_test(sim: &Sim, token: &str) -> Value {
    let resp = sim.handle(&Api::new().request(&Test::new(token)).unwrap());
    assert_eq!(resp.status(), 200);
    body(&resp)
}

// ---------------------------------------------------------------- auth.test

#[test]
fn auth_test_says_who_each_token_is() {
    let sim = Sim::new();
    sim.register_app(app().enterprise("E0ORG", "Org Inc"));
    let v = install(&sim);
    let bot = v["access_token"].as_str().unwrap();
    let user = v["authed_user"]["access_token"].as_str().unwrap();

    // The bot token, read with the core's type as a Rust client would.
    let resp = sim.handle(&Api::new().request(&Test::new(bot)).unwrap());
    let who = parse::<Test, _>(&resp).unwrap().value;
    assert_eq!(who.bot_id.as_deref(), Some("B0FLEET"));
    assert_eq!(who.user_id.as_deref(), Some("U0SIMBOT"));
    assert_eq!(who.team_id.as_deref(), Some("T0SIM"));
    assert_eq!(who.team.as_deref(), Some("Sim Team"));
    assert_eq!(who.user.as_deref(), Some("fleet-bot"));
    assert_eq!(who.url.as_deref(), Some("https://simteam.slack.com/"));
    assert_eq!(who.enterprise_id.as_deref(), Some("E0ORG"));
    assert!(!who.is_enterprise_install);
    assert_eq!(who.expires_in, Some(43_200));

    let who = auth_test(&sim, user);
    assert_eq!(who["ok"], true);
    assert_eq!(who["user_id"], "U0SIMUSER");
    assert!(who.get("bot_id").is_none(), "{who}");

    // Long-lived, exchanged and configuration tokens.
    let legacy = sim.seed_legacy_token(ID, "bot");
    assert_eq!(auth_test(&sim, &legacy)["bot_id"], "B0FLEET");
    assert!(auth_test(&sim, &legacy).get("expires_in").is_none());
    let other = sim.seed_legacy_token(ID, "user");
    let exchanged = body(&sim.handle(&api().request(&Exchange::new(other.as_str())).unwrap()));
    let token = exchanged["access_token"].as_str().unwrap();
    assert_eq!(auth_test(&sim, token)["user_id"], "U0SIMUSER");
    let (config, _) = sim.seed_config_token("T0CFG", "U0CFG");
    let who = auth_test(&sim, &config);
    assert_eq!(
        (who["team_id"].clone(), who["user_id"].clone()),
        ("T0CFG".into(), "U0CFG".into())
    );
    assert_eq!(auth_test(&sim, &sim.seed_workflow_token())["ok"], true);
}

#[test]
fn auth_test_of_an_org_wide_install() {
    let sim = Sim::new();
    sim.register_app(app().org_install(true));
    let v = install(&sim);
    let who = auth_test(&sim, v["access_token"].as_str().unwrap());
    assert_eq!(who["is_enterprise_install"], true);
    assert_eq!(who["enterprise_id"], "E0SIM");
    assert_eq!(who["team_id"], "E0SIM");
}

#[test]
fn auth_test_token_errors() {
    let sim = Sim::new();
    sim.register_app(app());
    let v = install(&sim);
    let bot = v["access_token"].as_str().unwrap().to_owned();
    let user = v["authed_user"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refresh = v["refresh_token"].as_str().unwrap().to_owned();

    assert_eq!(
        error(&body(&sim.handle(&form("auth.test", None, "")))),
        "not_authed"
    );
    assert_eq!(error(&auth_test(&sim, "xoxb-nobody")), "invalid_auth");
    assert_eq!(error(&auth_test(&sim, &refresh)), "invalid_auth");
    // The token may come as a form argument too.
    let by_arg = body(&sim.handle(&form("auth.test", None, &format!("token={bot}"))));
    assert_eq!(by_arg["ok"], true, "{by_arg}");

    assert!(sim.deactivate_token(&user));
    assert_eq!(error(&auth_test(&sim, &user)), "account_inactive");
    sim.advance(43_200);
    assert_eq!(error(&auth_test(&sim, &bot)), "token_expired");

    let legacy = sim.seed_legacy_token(ID, "bot");
    assert!(sim.revoke_token(&legacy));
    assert_eq!(error(&auth_test(&sim, &legacy)), "token_revoked");
    let legacy = sim.seed_legacy_token(ID, "bot");
    sim.uninstall(ID);
    assert_eq!(error(&auth_test(&sim, &legacy)), "token_revoked");
}

// ---------------------------------------------------------------- auth.revoke, apps.uninstall

#[test]
fn auth_revoke_with_test_and_for_real() {
    let sim = Sim::new();
    sim.register_app(app().event_request_url(EVENTS).signing_secret(SIGNING));
    let _ = sim.take_events();
    let v = install(&sim);
    let user = v["authed_user"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let resp = sim.handle(
        &Api::new()
            .request(&Revoke::new(user.as_str()).test(true))
            .unwrap(),
    );
    assert!(!parse::<Revoke, _>(&resp).unwrap().value.revoked);
    assert_eq!(
        auth_test(&sim, &user)["ok"],
        true,
        "test=true revokes nothing"
    );
    assert!(sim.take_events().is_empty());

    let resp = sim.handle(&Api::new().request(&Revoke::new(user.as_str())).unwrap());
    assert!(parse::<Revoke, _>(&resp).unwrap().value.revoked);
    assert_eq!(error(&auth_test(&sim, &user)), "token_revoked");
    let again = sim.handle(&Api::new().request(&Revoke::new(user.as_str())).unwrap());
    assert_eq!(error(&body(&again)), "token_revoked");

    let events = sim.take_events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].kind(), EventKind::TokensRevoked);
    assert_eq!(
        events[0].json()["event"]["tokens"]["oauth"],
        serde_json::json!(["U0SIMUSER"])
    );

    // A refresh token can be revoked too; it is then spent.
    let refresh = v["refresh_token"].as_str().unwrap().to_owned();
    let resp = sim.handle(&Api::new().request(&Revoke::new(refresh.as_str())).unwrap());
    assert_eq!(body(&resp)["revoked"], true);
    let refreshed = body(&sim.handle(&api().request(&Access::refresh(refresh)).unwrap()));
    assert_eq!(error(&refreshed), "invalid_refresh_token");
    let bad = sim.handle(&form(
        "auth.revoke",
        Some(v["access_token"].as_str().unwrap()),
        "test=maybe",
    ));
    assert_eq!(error(&body(&bad)), "invalid_arguments");
}

#[test]
fn apps_uninstall_needs_the_app_and_a_token() {
    let sim = Sim::new();
    sim.register_app(app().event_request_url(EVENTS).signing_secret(SIGNING));
    let v = install(&sim);
    let bot = v["access_token"].as_str().unwrap().to_owned();
    let call =
        |bearer: Option<&str>, args: &str| body(&sim.handle(&form("apps.uninstall", bearer, args)));

    assert_eq!(
        error(&call(Some(&bot), "client_id=nobody&client_secret=x")),
        "invalid_client_id"
    );
    assert_eq!(
        error(&call(
            Some(&bot),
            &format!("client_id={ID}&client_secret=wrong")
        )),
        "bad_client_secret"
    );
    let creds = format!("client_id={ID}&client_secret={SECRET}");
    assert_eq!(error(&call(None, &creds)), "not_authed");
    assert_eq!(error(&call(Some("xoxb-nobody"), &creds)), "invalid_auth");
    let _ = sim.take_events();

    assert_eq!(call(Some(&bot), &creds)["ok"], true);
    assert_eq!(error(&auth_test(&sim, &bot)), "token_revoked");
    let refreshed = body(
        &sim.handle(
            &api()
                .request(&Access::refresh(v["refresh_token"].as_str().unwrap()))
                .unwrap(),
        ),
    );
    assert_eq!(error(&refreshed), "invalid_refresh_token");

    let events = sim.take_events();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind()).collect();
    assert_eq!(kinds, [EventKind::TokensRevoked, EventKind::AppUninstalled]);
    let revoked = events[0].json();
    assert_eq!(
        revoked["event"]["tokens"]["bot"],
        serde_json::json!(["U0SIMBOT"])
    );
    assert_eq!(
        revoked["event"]["tokens"]["oauth"],
        serde_json::json!(["U0SIMUSER"])
    );
    // A new install works again.
    install(&sim);
}

// ---------------------------------------------------------------- events, sans-IO

/// An HMAC-SHA256 from a different implementation than the simulator's.
fn independent_signature(secret: &str, timestamp: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("v0={hex}")
}

#[test]
fn events_are_shaped_and_signed_as_slack_does() {
    let sim = Sim::new();
    sim.register_app(app().event_request_url(EVENTS).signing_secret(SIGNING));

    // Setting the URL sends the challenge.
    let events = sim.take_events();
    assert_eq!(events.len(), 1);
    let verification = &events[0];
    assert_eq!(verification.kind(), EventKind::UrlVerification);
    let json = verification.json();
    assert_eq!(json["type"], "url_verification");
    assert_eq!(json["challenge"].as_str(), verification.challenge());
    assert!(verification.accepts(verification.challenge().unwrap().as_bytes()));
    assert!(verification.accepts(
        format!(
            "{{\"challenge\":\"{}\"}}",
            verification.challenge().unwrap()
        )
        .as_bytes()
    ));
    assert!(!verification.accepts(b"nope"));
    // Registering again with the same URL does not.
    sim.register_app(app().event_request_url(EVENTS).signing_secret(SIGNING));
    assert!(sim.take_events().is_empty());

    install(&sim);
    assert!(sim.uninstall(ID));
    let events = sim.take_events();
    let uninstalled = events
        .iter()
        .find(|e| e.kind() == EventKind::AppUninstalled)
        .unwrap();
    let json = uninstalled.json();
    assert_eq!(json["type"], "event_callback");
    assert_eq!(json["event"]["type"], "app_uninstalled");
    assert_eq!(json["team_id"], "T0SIM");
    assert_eq!(json["api_app_id"], "A0SIMAPP1");
    assert_eq!(json["event_time"], Sim::DEFAULT_START);
    assert!(json["event_id"].as_str().unwrap().starts_with("Ev"));
    assert!(json["token"].is_string());

    // The request: signed over v0:{timestamp}:{body}.
    let req = uninstalled.request(1_700_000_123, None);
    assert_eq!(req.method(), "POST");
    assert_eq!(req.uri(), EVENTS);
    assert_eq!(req.headers()["content-type"], "application/json");
    assert_eq!(req.headers()["x-slack-request-timestamp"], "1700000123");
    let expected = independent_signature(SIGNING, 1_700_000_123, req.body());
    assert_eq!(req.headers()["x-slack-signature"], expected.as_str());
    assert!(req.headers().get("x-slack-retry-num").is_none());
    let retry = uninstalled.request(1_700_000_200, Some((2, RetryReason::HttpTimeout)));
    assert_eq!(retry.headers()["x-slack-retry-num"], "2");
    assert_eq!(retry.headers()["x-slack-retry-reason"], "http_timeout");
    assert_ne!(
        retry.headers()["x-slack-signature"],
        req.headers()["x-slack-signature"]
    );
    assert!(!format!("{uninstalled:?}").contains(SIGNING));
}

#[test]
fn apps_without_an_event_url_get_no_events() {
    let sim = Sim::new();
    sim.register_app(app());
    install(&sim);
    sim.uninstall(ID);
    assert!(sim.take_events().is_empty());
    assert_eq!(sim.stats().events.queued, 0);
}

#[test]
fn event_urls_off_loopback_are_refused() {
    let sim = Sim::new();
    let err = sim
        .try_register_app(app().event_request_url("https://example.com/events"))
        .unwrap_err();
    assert!(err.to_string().contains("event_request_url"), "{err}");
    let err = SimConfig::from_json(
        r#"{"apps": [{"client_id": "1.2", "client_secret": "s", "event_request_url": "http://10.0.0.1/e"}]}"#,
    )
    .and_then(|c| sim.apply_config(&c))
    .unwrap_err();
    assert!(err.to_string().contains("loopback"), "{err}");
    assert!(sim.take_events().is_empty());
}

// ---------------------------------------------------------------- dispatch

#[test]
fn every_catalog_method_is_dispatched_to_itself() {
    let sim = Sim::new();
    for method in ApiMethod::ALL {
        let v = body(&sim.handle(&form(method.name(), None, "")));
        assert_ne!(v["error"], "unknown_method", "{method}");
        assert_eq!(sim.calls(method.name()), 1, "{method}");
        assert_eq!(sim.stats().methods[method.name()].values().sum::<u64>(), 1);
    }
    // What each answers with no arguments at all: its own first check.
    let first_check = |m: &str| error(&body(&sim.handle(&form(m, None, "")))).to_owned();
    assert_eq!(first_check("auth.test"), "not_authed");
    assert_eq!(first_check("apps.uninstall"), "invalid_client_id");
    assert_eq!(first_check("tooling.tokens.rotate"), "invalid_arguments");
    assert_eq!(first_check("apps.auth.external.delete"), "not_authed");
}

// ---------------------------------------------------------------- time

#[test]
fn per_app_token_lifetime() {
    let sim = Sim::new();
    sim.register_app(app().token_expires_in(5));
    let v = install(&sim);
    assert_eq!(v["expires_in"], 5);
    let bot = v["access_token"].as_str().unwrap();
    assert_eq!(auth_test(&sim, bot)["expires_in"], 5);
    sim.advance(5);
    assert_eq!(error(&auth_test(&sim, bot)), "token_expired");
    let refreshed = body(
        &sim.handle(
            &api()
                .request(&Access::refresh(v["refresh_token"].as_str().unwrap()))
                .unwrap(),
        ),
    );
    assert_eq!(refreshed["expires_in"], 5);
    assert_eq!(
        auth_test(&sim, refreshed["access_token"].as_str().unwrap())["ok"],
        true
    );
    assert!(sim.try_register_app(app().token_expires_in(0)).is_err());
    assert!(sim
        .try_register_app(app().token_expires_in(MAX_SECONDS + 1))
        .is_err());
}

fn wall() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn wall_clock_follows_the_system_clock_plus_an_offset() {
    let sim = Sim::with_clock(Clock::Wall);
    assert_eq!(sim.clock(), Clock::Wall);
    let (before, now, after) = (wall(), sim.now(), wall());
    assert!(before <= now && now <= after, "{before} {now} {after}");
    let advanced = sim.advance(3_600);
    assert!(advanced >= before + 3_600 && advanced <= wall() + 3_600);
    sim.register_app(app().token_expires_in(2));
    let v = install(&sim);
    let bot = v["access_token"].as_str().unwrap();
    assert_eq!(auth_test(&sim, bot)["ok"], true);
    sim.advance(2);
    assert_eq!(error(&auth_test(&sim, bot)), "token_expired");
    // Back to a clock that stands still at the current time.
    sim.set_clock(Clock::Simulated);
    let frozen = sim.now();
    assert_eq!(sim.now(), frozen);
    let config = SimConfig::from_json(r#"{"clock": "wall"}"#).unwrap();
    sim.apply_config(&config).unwrap();
    assert_eq!(sim.clock(), Clock::Wall);
    assert!(SimConfig::from_json(r#"{"clock": "sundial"}"#)
        .and_then(|c| sim.apply_config(&c))
        .is_err());
}

#[test]
fn time_arithmetic_saturates_at_the_end_of_u64() {
    let sim = Sim::new();
    sim.register_app(app());
    let (_, refresh) = sim.seed_config_token("T1", "U1");
    sim.set_now(u64::MAX - 10);

    // tooling.tokens.rotate: answers, and the refresh token is spent exactly once.
    let v = body(&sim.handle(&Api::new().request(&Rotate::new(refresh.as_str())).unwrap()));
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["exp"], u64::MAX);
    let next = v["refresh_token"].as_str().unwrap();
    let again = body(&sim.handle(&Api::new().request(&Rotate::new(next)).unwrap()));
    assert_eq!(again["ok"], true, "{again}");

    // oauth.v2.access with a code, then a refresh, at the end of time.
    let v = install(&sim);
    assert_eq!(v["expires_in"], 43_200);
    let bot = v["access_token"].as_str().unwrap();
    assert_eq!(auth_test(&sim, bot)["ok"], true);
    let refreshed = body(
        &sim.handle(
            &api()
                .request(&Access::refresh(v["refresh_token"].as_str().unwrap()))
                .unwrap(),
        ),
    );
    assert_eq!(refreshed["ok"], true, "{refreshed}");

    // The admin endpoint can push the clock to the end too.
    let advance = Request::post("/_sim/advance?seconds=18446744073709551615")
        .body(Vec::new())
        .unwrap();
    assert_eq!(body(&sim.handle(&advance))["now"], u64::MAX);
    let config = SimConfig::from_json(
        r#"{"external_tokens": [{"app_id": "A1", "provider_key": "g", "expires_in": 100}]}"#,
    )
    .unwrap();
    sim.apply_config(&config).unwrap();
}

#[test]
fn absurd_config_values_are_refused_and_change_nothing() {
    let sim = Sim::new();
    for (bad, word) in [
        (
            r#"{"now": 5, "apps": [{"client_id": "1.2", "client_secret": "s", "token_expires_in": 0}]}"#,
            "token_expires_in",
        ),
        (
            r#"{"now": 5, "apps": [{"client_id": "1.2", "client_secret": "s", "token_expires_in": 18446744073709551615}]}"#,
            "token_expires_in",
        ),
        (
            r#"{"now": 5, "external_tokens": [{"app_id": "A1", "provider_key": "g", "expires_in": 18446744073709551615}]}"#,
            "expires_in",
        ),
        (
            r#"{"now": 5, "faults": [{"method": "auth.test", "fault": {"kind": "delay", "ms": 18446744073709551615}}]}"#,
            "delay",
        ),
        (
            r#"{"now": 5, "faults": [{"method": "auth.test", "fault": {"kind": "oversized", "bytes": 18446744073709551615}}]}"#,
            "oversized",
        ),
    ] {
        let err = sim
            .apply_config(&SimConfig::from_json(bad).unwrap())
            .unwrap_err();
        assert!(err.to_string().contains(word), "{err}");
        assert_eq!(sim.now(), Sim::DEFAULT_START, "{bad}");
        // The same over HTTP: a 400 naming the problem.
        let resp = sim.handle(
            &Request::post("/_sim/config")
                .body(bad.as_bytes().to_vec())
                .unwrap(),
        );
        assert_eq!(resp.status(), 400);
        assert!(body(&resp)["detail"].as_str().unwrap().contains(word));
    }
    assert_eq!(sim.calls("auth.test"), 0);
    let ok = body(&sim.handle(&form("auth.test", None, "")));
    assert_eq!(error(&ok), "not_authed", "no fault was queued");
}

// ---------------------------------------------------------------- stats

#[test]
fn stats_count_outcomes_faults_and_refresh_reuse() {
    let sim = Sim::new();
    sim.register_app(app());
    let v = install(&sim);
    let bot = v["access_token"].as_str().unwrap().to_owned();
    let refresh = v["refresh_token"].as_str().unwrap().to_owned();
    auth_test(&sim, &bot);
    auth_test(&sim, &bot);
    auth_test(&sim, "xoxb-nobody");
    sim.inject("auth.test", Fault::RateLimited { retry_after: 1 }, 1);
    sim.inject(
        "auth.test",
        Fault::Delay(std::time::Duration::from_millis(1)),
        1,
    );
    assert_eq!(
        sim.handle(&Api::new().request(&Test::new(bot.as_str())).unwrap())
            .status(),
        429
    );
    auth_test(&sim, &bot);

    let refresh_call = api().request(&Access::refresh(refresh.as_str())).unwrap();
    assert_eq!(body(&sim.handle(&refresh_call))["ok"], true);
    assert_eq!(
        error(&body(&sim.handle(&refresh_call))),
        "invalid_refresh_token"
    );
    assert_eq!(
        error(&body(&sim.handle(&refresh_call))),
        "invalid_refresh_token"
    );
    let (_, config_refresh) = sim.seed_config_token("T1", "U1");
    let rotate = Api::new()
        .request(&Rotate::new(config_refresh.as_str()))
        .unwrap();
    sim.handle(&rotate);
    sim.handle(&rotate);

    // A revoked refresh token is dead, but it was not presented twice.
    let (_, revoked) = sim.seed_config_token("T1", "U1");
    assert!(sim.revoke_token(&revoked));
    let v = body(&sim.handle(&Api::new().request(&Rotate::new(revoked.as_str())).unwrap()));
    assert_eq!(error(&v), "invalid_refresh_token");

    let stats = sim.stats();
    assert_eq!(stats.count("auth.test", "ok"), 3);
    assert_eq!(stats.count("auth.test", "invalid_auth"), 1);
    assert_eq!(stats.count("auth.test", "fault:rate_limited"), 1);
    assert_eq!(stats.count("auth.test", "fault:delay"), 1);
    assert_eq!(stats.count("oauth.v2.access", "ok"), 2);
    assert_eq!(stats.count("oauth.v2.access", "invalid_refresh_token"), 2);
    assert_eq!(
        stats.count("tooling.tokens.rotate", "invalid_refresh_token"),
        2
    );
    assert_eq!(stats.refresh_token_reuse, 3);

    let over_http = body(&sim.handle(&Request::get("/_sim/stats").body(Vec::new()).unwrap()));
    assert_eq!(over_http["methods"]["auth.test"]["ok"], 3);
    assert_eq!(over_http["refresh_token_reuse"], 3);
    assert_eq!(over_http["events"]["delivered"], 0);
}

// ---------------------------------------------------------------- consent page

fn page(sim: &Sim, query: &str, accept: Option<&str>) -> Response<Vec<u8>> {
    let mut b = Request::get(format!("/oauth/v2/authorize?{query}"));
    if let Some(accept) = accept {
        b = b.header("accept", accept);
    }
    sim.handle(&b.body(Vec::new()).unwrap())
}

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The value of the hidden `query` field, HTML-unescaped.
fn hidden_query(html: &str) -> String {
    let start = html.find("name=\"query\" value=\"").unwrap() + 20;
    let end = start + html[start..].find('"').unwrap();
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[test]
fn browsers_get_a_consent_page_and_scripts_a_redirect() {
    let sim = Sim::new();
    sim.register_app(app().app_name("Fleet <Bot>"));
    let query = format!("client_id={ID}&scope=chat:write,commands&user_scope=search:read&state=s1&redirect_uri={REDIRECT}");

    // A script: the redirect, as before.
    for accept in [None, Some("*/*"), Some("application/json")] {
        let resp = page(&sim, &query, accept);
        assert_eq!(resp.status(), 302, "{accept:?}");
    }
    // A browser: the page, with the app, the workspace, the scopes and two forms.
    let resp = page(&sim, &query, Some(BROWSER));
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/html; charset=utf-8");
    let html = String::from_utf8(resp.body().clone()).unwrap();
    assert!(html.contains("Fleet &lt;Bot&gt;"), "{html}");
    assert!(html.contains("Sim Team"));
    for scope in ["chat:write", "commands", "search:read"] {
        assert!(html.contains(&format!("<code>{scope}</code>")), "{scope}");
    }
    assert!(html.contains("value=\"allow\"") && html.contains("value=\"deny\""));
    assert!(!html.contains("<script"));
    assert_eq!(hidden_query(&html), query);

    // Allow: the redirect with a code that works; Cancel: access_denied.
    let click = |decision: &str| {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("query", &hidden_query(&html))
            .append_pair("decision", decision)
            .finish();
        sim.handle(
            &Request::post("/oauth/v2/authorize")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.into_bytes())
                .unwrap(),
        )
    };
    let allowed = click("allow");
    assert_eq!(allowed.status(), 302);
    let location = allowed.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(REDIRECT) && location.contains("state=s1"),
        "{location}"
    );
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let v = body(
        &sim.handle(
            &api()
                .request(&Access::code(code).redirect_uri(REDIRECT))
                .unwrap(),
        ),
    );
    assert_eq!(v["ok"], true, "{v}");
    let denied = click("deny");
    let location = denied.headers()["location"].to_str().unwrap();
    assert!(location.contains("error=access_denied") && location.contains("state=s1"));

    // A refused URL is refused before any page.
    let resp = page(&sim, "client_id=nobody&scope=x", Some(BROWSER));
    assert_eq!(resp.status(), 400);
    // sim_decision and auto_approve skip the page.
    assert_eq!(
        page(&sim, &format!("{query}&sim_decision=allow"), Some(BROWSER)).status(),
        302
    );
    sim.register_app(app().auto_approve(true));
    assert_eq!(page(&sim, &query, Some(BROWSER)).status(), 302);
    // A form without its fields.
    let resp = sim.handle(
        &Request::post("/oauth/v2/authorize")
            .body(b"decision=allow".to_vec())
            .unwrap(),
    );
    assert_eq!(resp.status(), 400);
}
