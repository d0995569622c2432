//! The sans-IO handler: every method's happy path and every error it can produce, without
//! sockets. Requests are built with the core where it has a builder, by hand otherwise.

use http::{Request, Response};
use serde_json::Value;
use slack_oauth_core::apps_auth_external::{Delete, Get};
use slack_oauth_core::oauth_v2::{Access, Exchange, UserAccess};
use slack_oauth_core::tooling_tokens::Rotate;
use slack_oauth_core::{
    authorize::CodeVerifier, method::ClientAuth, parse, Api, AuthorizeUrl, ClientCredentials,
    ErrorCode, Method,
};
use slack_oauth_sim::{AppConfig, ExternalTokenSeed, Fault, Sim, TokenStatus};

const ID: &str = "111.222";
const SECRET: &str = "app-secret";
const REDIRECT: &str = "https://example.com/slack/callback";

fn api() -> Api {
    Api::new().with_credentials(ClientCredentials::new(ID, SECRET))
}

fn sim_with(app: AppConfig) -> Sim {
    let sim = Sim::new();
    sim.register_app(app);
    sim
}

fn app() -> AppConfig {
    AppConfig::new(ID, SECRET)
        .redirect_uri(REDIRECT)
        .app_id("A0SIMAPP1")
}

fn body(resp: &Response<Vec<u8>>) -> Value {
    serde_json::from_slice(resp.body()).expect("a JSON body")
}

fn send(sim: &Sim, req: Request<Vec<u8>>) -> Value {
    let resp = sim.handle(&req);
    assert_eq!(
        resp.status(),
        200,
        "{}",
        String::from_utf8_lossy(resp.body())
    );
    assert_eq!(
        resp.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    body(&resp)
}

fn call<M: Method>(sim: &Sim, api: &Api, method: &M) -> Value {
    send(sim, api.request(method).unwrap())
}

fn error(v: &Value) -> &str {
    assert_eq!(v["ok"], false, "expected an error, got {v}");
    v["error"].as_str().unwrap()
}

fn ok(v: &Value) -> &Value {
    assert_eq!(v["ok"], true, "expected success, got {v}");
    v
}

fn form(method: &str, body: &str) -> Request<Vec<u8>> {
    Request::post(format!("/api/{method}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn form_bearer(method: &str, token: &str, body: &str) -> Request<Vec<u8>> {
    Request::post(format!("/api/{method}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", format!("Bearer {token}"))
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn code_of(redirect: &str) -> String {
    let query = redirect.split_once('?').unwrap().1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(n, _)| n == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code in the redirect")
}

fn authorize(bot: &[&str], user: &[&str]) -> AuthorizeUrl {
    AuthorizeUrl::new(ID)
        .bot_scopes(bot.iter().copied())
        .user_scopes(user.iter().copied())
        .redirect_uri(REDIRECT)
}

fn approve(sim: &Sim, url: &AuthorizeUrl) -> String {
    code_of(&sim.approve(&url.build().unwrap()).unwrap())
}

fn exchange_code(sim: &Sim, code: &str) -> Value {
    call(sim, &api(), &Access::code(code).redirect_uri(REDIRECT))
}

// ---------------------------------------------------------------- oauth.v2.access: install

#[test]
fn install_without_rotation_gives_long_lived_bot_and_user_tokens() {
    let sim = sim_with(app());
    let code = approve(
        &sim,
        &authorize(&["chat:write", "commands"], &["search:read"]),
    );
    let v = exchange_code(&sim, &code);
    ok(&v);
    assert!(v["access_token"].as_str().unwrap().starts_with("xoxb-"));
    assert_eq!(v["token_type"], "bot");
    assert_eq!(v["scope"], "chat:write,commands");
    assert_eq!(v["bot_user_id"], "U0SIMBOT");
    assert_eq!(v["app_id"], "A0SIMAPP1");
    assert_eq!(
        v["team"],
        serde_json::json!({"id": "T0SIM", "name": "Sim Team"})
    );
    assert_eq!(v["enterprise"], Value::Null);
    assert_eq!(v["is_enterprise_install"], false);
    assert!(v.get("expires_in").is_none() && v.get("refresh_token").is_none());
    let user = &v["authed_user"];
    assert_eq!(user["id"], "U0SIMUSER");
    assert_eq!(user["scope"], "search:read");
    assert_eq!(user["token_type"], "user");
    assert!(user["access_token"].as_str().unwrap().starts_with("xoxp-"));
    // The core reads it.
    let reply = parse::<Access, _>(
        &sim.handle(
            &api()
                .request(
                    &Access::code(approve(&sim, &authorize(&["chat:write"], &[])))
                        .redirect_uri(REDIRECT),
                )
                .unwrap(),
        ),
    )
    .unwrap();
    assert!(reply.warnings.is_empty());
    assert!(reply.value.bot_token().is_some());
    assert!(reply.value.user_token().is_none());
}

#[test]
fn install_with_rotation_gives_expiring_tokens_and_refresh_tokens() {
    let sim = sim_with(app().token_rotation(true));
    let v = exchange_code(
        &sim,
        &approve(&sim, &authorize(&["chat:write"], &["search:read"])),
    );
    ok(&v);
    assert!(v["access_token"]
        .as_str()
        .unwrap()
        .starts_with("xoxe.xoxb-1-"));
    assert_eq!(v["expires_in"], 43_200);
    assert!(v["refresh_token"].as_str().unwrap().starts_with("xoxe-1-"));
    let user = &v["authed_user"];
    assert!(user["access_token"]
        .as_str()
        .unwrap()
        .starts_with("xoxe.xoxp-1-"));
    assert_eq!(user["expires_in"], 43_200);
    assert!(user["refresh_token"]
        .as_str()
        .unwrap()
        .starts_with("xoxe-1-"));
    assert_ne!(user["refresh_token"], v["refresh_token"]);
}

#[test]
fn user_scopes_only_means_no_top_level_token() {
    let sim = sim_with(app());
    let v = exchange_code(&sim, &approve(&sim, &authorize(&[], &["search:read"])));
    ok(&v);
    assert!(v.get("access_token").is_none());
    assert!(v.get("bot_user_id").is_none());
    assert!(v["authed_user"]["access_token"].is_string());
}

#[test]
fn incoming_webhook_scope_adds_the_webhook() {
    let sim = sim_with(app());
    let v = exchange_code(&sim, &approve(&sim, &authorize(&["incoming-webhook"], &[])));
    let hook = &ok(&v)["incoming_webhook"];
    assert!(hook["url"]
        .as_str()
        .unwrap()
        .starts_with("https://hooks.slack.com/services/"));
    assert!(hook["channel_id"].is_string());
}

#[test]
fn client_credentials_by_basic_or_by_body() {
    let sim = sim_with(app());
    let body_api = api().with_client_auth(ClientAuth::Body);
    let v = call(
        &sim,
        &body_api,
        &Access::code(approve(&sim, &authorize(&["chat:write"], &[]))).redirect_uri(REDIRECT),
    );
    ok(&v);
    let v = exchange_code(&sim, &approve(&sim, &authorize(&["chat:write"], &[])));
    ok(&v);
}

#[test]
fn json_bodies_are_accepted_for_oauth_v2_access() {
    let sim = sim_with(app());
    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    let body = serde_json::json!({"client_id": ID, "client_secret": SECRET, "code": code, "redirect_uri": REDIRECT});
    let req = Request::post("/api/oauth.v2.access")
        .header("content-type", "application/json; charset=utf-8")
        .body(body.to_string().into_bytes())
        .unwrap();
    let v = send(&sim, req);
    ok(&v);
    assert!(v.get("warning").is_none());
}

#[test]
fn get_with_query_arguments_works_like_post() {
    let sim = sim_with(app());
    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", ID)
        .append_pair("client_secret", SECRET)
        .append_pair("code", &code)
        .append_pair("redirect_uri", REDIRECT)
        .finish();
    let v = send(
        &sim,
        Request::get(format!("/api/oauth.v2.access?{query}"))
            .body(Vec::new())
            .unwrap(),
    );
    ok(&v);
}

#[test]
fn client_id_errors() {
    let sim = sim_with(app());
    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    // Neither Basic nor body credentials.
    let v = send(&sim, form("oauth.v2.access", &format!("code={code}")));
    assert_eq!(error(&v), "invalid_client_id");
    // Unknown client id.
    let other = Api::new().with_credentials(ClientCredentials::new("999.999", SECRET));
    assert_eq!(
        error(&call(&sim, &other, &Access::code(code.clone()))),
        "invalid_client_id"
    );
    // A Basic header that does not decode.
    let req = Request::post("/api/oauth.v2.access")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", "Basic %%%")
        .body(format!("code={code}").into_bytes())
        .unwrap();
    assert_eq!(error(&send(&sim, req)), "invalid_client_id");
}

#[test]
fn bad_client_secret_wrong_or_missing() {
    let sim = sim_with(app());
    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    let wrong = Api::new().with_credentials(ClientCredentials::new(ID, "nope"));
    assert_eq!(
        error(&call(
            &sim,
            &wrong,
            &Access::code(code.clone()).redirect_uri(REDIRECT)
        )),
        "bad_client_secret"
    );
    let v = send(
        &sim,
        form(
            "oauth.v2.access",
            &format!("client_id={ID}&code={code}&redirect_uri={REDIRECT}"),
        ),
    );
    assert_eq!(error(&v), "bad_client_secret");
    // The failed attempts did not spend the code.
    ok(&exchange_code(&sim, &code));
}

#[test]
fn invalid_code_unknown_missing_reused_expired_or_foreign() {
    let sim = sim_with(app());
    sim.register_app(AppConfig::new("333.444", "other").redirect_uri(REDIRECT));
    assert_eq!(
        error(&exchange_code(&sim, "4724469134.1.deadbeef")),
        "invalid_code"
    );
    let v = send(
        &sim,
        form(
            "oauth.v2.access",
            &format!("client_id={ID}&client_secret={SECRET}"),
        ),
    );
    assert_eq!(error(&v), "invalid_code");

    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    ok(&exchange_code(&sim, &code));
    assert_eq!(
        error(&exchange_code(&sim, &code)),
        "invalid_code",
        "codes are single-use"
    );

    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    sim.advance(599);
    ok(&exchange_code(&sim, &code));
    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    sim.advance(600);
    assert_eq!(
        error(&exchange_code(&sim, &code)),
        "invalid_code",
        "codes expire after 600 s"
    );

    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    let other = Api::new().with_credentials(ClientCredentials::new("333.444", "other"));
    assert_eq!(
        error(&call(
            &sim,
            &other,
            &Access::code(code).redirect_uri(REDIRECT)
        )),
        "invalid_code"
    );
}

#[test]
fn bad_redirect_uri() {
    let sim = sim_with(app().redirect_uri("https://example.com/other"));
    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    assert_eq!(
        error(&call(&sim, &api(), &Access::code(code.clone()))),
        "bad_redirect_uri",
        "sent at authorize: required here"
    );
    assert_eq!(
        error(&call(
            &sim,
            &api(),
            &Access::code(code.clone()).redirect_uri("https://example.com/other")
        )),
        "bad_redirect_uri"
    );
    ok(&exchange_code(&sim, &code));
    // No redirect_uri at authorize: one sent here must still be registered.
    let code = approve(&sim, &AuthorizeUrl::new(ID).bot_scopes(["chat:write"]));
    assert_eq!(
        error(&call(
            &sim,
            &api(),
            &Access::code(code.clone()).redirect_uri("https://evil.example/cb")
        )),
        "bad_redirect_uri"
    );
    ok(&call(&sim, &api(), &Access::code(code)));
}

fn verifier(byte: u8) -> CodeVerifier {
    CodeVerifier::from_random_bytes(&[byte; 32]).unwrap()
}

#[test]
fn pkce_public_client_and_its_errors() {
    let sim = sim_with(app().pkce(true));
    let v1 = verifier(1);
    let url = authorize(&["chat:write"], &[]).pkce(&v1.challenge());
    let public = Api::new().with_credentials(ClientCredentials::public(ID));

    let code = approve(&sim, &url);
    let wrong = verifier(2);
    let v = call(
        &sim,
        &public,
        &Access::code(code.clone())
            .redirect_uri(REDIRECT)
            .code_verifier(wrong),
    );
    assert_eq!(error(&v), "invalid_code_verifier");
    let v = call(
        &sim,
        &public,
        &Access::code(code.clone()).redirect_uri(REDIRECT),
    );
    assert_eq!(
        error(&v),
        "invalid_code_verifier",
        "public client without a verifier"
    );
    let v = call(
        &sim,
        &api(),
        &Access::code(code.clone()).redirect_uri(REDIRECT),
    );
    assert_eq!(
        error(&v),
        "invalid_code_verifier",
        "challenge sent, no verifier"
    );
    let v = call(
        &sim,
        &public,
        &Access::code(code)
            .redirect_uri(REDIRECT)
            .code_verifier(v1.clone()),
    );
    ok(&v);
    // Public clients get rotating tokens only when the app rotates; this one does not.
    assert!(v["access_token"].as_str().unwrap().starts_with("xoxb-"));

    // A verifier without a challenge.
    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    let v = call(
        &sim,
        &api(),
        &Access::code(code).redirect_uri(REDIRECT).code_verifier(v1),
    );
    assert_eq!(error(&v), "invalid_code_verifier");
    // A public client needs a challenged code.
    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    let v = call(&sim, &public, &Access::code(code).redirect_uri(REDIRECT));
    assert_eq!(error(&v), "bad_client_secret");
    // A confidential client without PKCE works on a PKCE app.
    ok(&exchange_code(
        &sim,
        &approve(&sim, &authorize(&["chat:write"], &[])),
    ));
}

#[test]
fn pkce_public_refresh_needs_no_secret_and_expires_after_30_days() {
    let sim = sim_with(app().pkce(true).token_rotation(true));
    let v1 = verifier(3);
    let public = Api::new().with_credentials(ClientCredentials::public(ID));
    let code = approve(&sim, &authorize(&["chat:write"], &[]).pkce(&v1.challenge()));
    let v = call(
        &sim,
        &public,
        &Access::code(code).redirect_uri(REDIRECT).code_verifier(v1),
    );
    let refresh = ok(&v)["refresh_token"].as_str().unwrap().to_owned();
    let v = call(&sim, &public, &Access::refresh(refresh));
    let refresh = ok(&v)["refresh_token"].as_str().unwrap().to_owned();
    sim.advance(30 * 86_400);
    assert_eq!(
        error(&call(&sim, &public, &Access::refresh(refresh))),
        "invalid_refresh_token"
    );
}

#[test]
fn pkce_not_allowed() {
    let sim = sim_with(app());
    let v1 = verifier(4);
    let code = approve(&sim, &authorize(&["chat:write"], &[]).pkce(&v1.challenge()));
    assert_eq!(error(&exchange_code(&sim, &code)), "pkce_not_allowed");
    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    let v = call(
        &sim,
        &api(),
        &Access::code(code).redirect_uri(REDIRECT).code_verifier(v1),
    );
    assert_eq!(error(&v), "pkce_not_allowed");
}

#[test]
fn invalid_grant_type() {
    let sim = sim_with(app());
    let v = send(
        &sim,
        form(
            "oauth.v2.access",
            &format!("client_id={ID}&client_secret={SECRET}&grant_type=password"),
        ),
    );
    assert_eq!(error(&v), "invalid_grant_type");
}

#[test]
fn no_scopes() {
    let sim = sim_with(app());
    let redirect = sim
        .approve(&format!(
            "https://slack.com/oauth/v2/authorize?client_id={ID}&redirect_uri={REDIRECT}"
        ))
        .unwrap();
    assert_eq!(
        error(&exchange_code(&sim, &code_of(&redirect))),
        "no_scopes"
    );
}

#[test]
fn oauth_authorization_url_mismatch_both_ways() {
    let sim = sim_with(app());
    let user_code = approve(
        &sim,
        &AuthorizeUrl::user_only(ID)
            .user_scopes(["search:read"])
            .redirect_uri(REDIRECT),
    );
    assert_eq!(
        error(&exchange_code(&sim, &user_code)),
        "oauth_authorization_url_mismatch"
    );
    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    let v = call(&sim, &api(), &UserAccess::code(code).redirect_uri(REDIRECT));
    assert_eq!(error(&v), "oauth_authorization_url_mismatch");
}

#[test]
fn org_wide_install_and_cannot_install_an_org_installed_app() {
    let sim = sim_with(app().org_install(true).enterprise("E0ORG", "Org"));
    let v = exchange_code(&sim, &approve(&sim, &authorize(&["chat:write"], &[])));
    ok(&v);
    assert_eq!(v["team"], Value::Null);
    assert_eq!(
        v["enterprise"],
        serde_json::json!({"id": "E0ORG", "name": "Org"})
    );
    assert_eq!(v["is_enterprise_install"], true);
    let code = approve(&sim, &authorize(&["chat:write"], &[]).team("T0SIM"));
    assert_eq!(
        error(&exchange_code(&sim, &code)),
        "cannot_install_an_org_installed_app"
    );
    // A workspace inside an org, installed normally.
    let sim = sim_with(app().enterprise("E0ORG", "Org"));
    let v = exchange_code(&sim, &approve(&sim, &authorize(&["chat:write"], &[])));
    assert_eq!(v["team"]["id"], "T0SIM");
    assert_eq!(v["enterprise"]["id"], "E0ORG");
    assert_eq!(v["is_enterprise_install"], false);
}

// ---------------------------------------------------------------- oauth.v2.access: refresh

fn rotating_install(sim: &Sim) -> Value {
    let v = exchange_code(
        sim,
        &approve(sim, &authorize(&["chat:write"], &["search:read"])),
    );
    ok(&v).clone()
}

#[test]
fn refresh_answers_flat_with_token_type_and_refresh_tokens_are_single_use() {
    let sim = sim_with(app().token_rotation(true));
    let install = rotating_install(&sim);
    let bot_refresh = install["refresh_token"].as_str().unwrap();
    let v = call(&sim, &api(), &Access::refresh(bot_refresh));
    ok(&v);
    assert_eq!(v["token_type"], "bot");
    assert!(v["access_token"]
        .as_str()
        .unwrap()
        .starts_with("xoxe.xoxb-1-"));
    assert_eq!(v["expires_in"], 43_200);
    assert_eq!(v["scope"], "chat:write");
    assert_eq!(v["bot_user_id"], "U0SIMBOT");
    assert_eq!(v["team"]["id"], "T0SIM");
    assert_eq!(v["enterprise"], Value::Null);
    assert_eq!(v["is_enterprise_install"], false);
    assert!(v.get("authed_user").is_none());
    assert_ne!(v["refresh_token"].as_str().unwrap(), bot_refresh);
    assert_eq!(
        error(&call(&sim, &api(), &Access::refresh(bot_refresh))),
        "invalid_refresh_token"
    );
    assert_eq!(sim.token_status(bot_refresh), TokenStatus::Spent);

    let user_refresh = install["authed_user"]["refresh_token"].as_str().unwrap();
    let v = call(&sim, &api(), &Access::refresh(user_refresh));
    assert_eq!(ok(&v)["token_type"], "user");
    assert!(v["access_token"]
        .as_str()
        .unwrap()
        .starts_with("xoxe.xoxp-1-"));
    assert_eq!(v["scope"], "search:read");
    assert!(v.get("bot_user_id").is_none());
    let reply = parse::<Access, _>(
        &sim.handle(
            &api()
                .request(&Access::refresh(v["refresh_token"].as_str().unwrap()))
                .unwrap(),
        ),
    )
    .unwrap();
    assert!(reply.value.user_token().is_some());
}

#[test]
fn rotating_tokens_expire_after_12_hours() {
    let sim = sim_with(app().token_rotation(true));
    let install = rotating_install(&sim);
    let token = install["access_token"].as_str().unwrap();
    sim.advance(43_199);
    assert_eq!(sim.token_status(token), TokenStatus::Active);
    sim.advance(1);
    assert_eq!(sim.token_status(token), TokenStatus::Expired);
    let v = call(&sim, &Api::new(), &Delete::new(token).app_id("A0SIMAPP1"));
    assert_eq!(error(&v), "token_expired");
    // The refresh token still works after expiry.
    ok(&call(
        &sim,
        &api(),
        &Access::refresh(install["refresh_token"].as_str().unwrap()),
    ));
}

#[test]
fn at_most_two_live_tokens_per_refresh_chain() {
    let sim = sim_with(app().token_rotation(true));
    let install = rotating_install(&sim);
    let first = install["access_token"].as_str().unwrap().to_owned();
    let v = call(
        &sim,
        &api(),
        &Access::refresh(install["refresh_token"].as_str().unwrap()),
    );
    let second = v["access_token"].as_str().unwrap().to_owned();
    assert_eq!(sim.token_status(&first), TokenStatus::Active);
    let v = call(
        &sim,
        &api(),
        &Access::refresh(v["refresh_token"].as_str().unwrap()),
    );
    let third = v["access_token"].as_str().unwrap();
    assert_eq!(sim.token_status(&first), TokenStatus::Revoked);
    assert_eq!(sim.token_status(&second), TokenStatus::Active);
    assert_eq!(sim.token_status(third), TokenStatus::Active);
}

#[test]
fn invalid_refresh_token_unknown_foreign_missing_or_uninstalled() {
    let sim = sim_with(app().token_rotation(true));
    sim.register_app(AppConfig::new("333.444", "other").token_rotation(true));
    let install = rotating_install(&sim);
    let refresh = install["refresh_token"].as_str().unwrap();
    assert_eq!(
        error(&call(&sim, &api(), &Access::refresh("xoxe-1-nope"))),
        "invalid_refresh_token"
    );
    let other = Api::new().with_credentials(ClientCredentials::new("333.444", "other"));
    assert_eq!(
        error(&call(&sim, &other, &Access::refresh(refresh))),
        "invalid_refresh_token"
    );
    let v = send(
        &sim,
        form(
            "oauth.v2.access",
            &format!("client_id={ID}&client_secret={SECRET}&grant_type=refresh_token"),
        ),
    );
    assert_eq!(error(&v), "invalid_refresh_token");
    // A user refresh token cannot be spent at oauth.v2.user.access as a bot one, and a bot
    // one not at all there.
    assert_eq!(
        error(&call(&sim, &api(), &UserAccess::refresh(refresh))),
        "invalid_refresh_token"
    );
    assert!(sim.uninstall(ID));
    assert_eq!(
        error(&call(&sim, &api(), &Access::refresh(refresh))),
        "invalid_refresh_token"
    );
    assert_eq!(
        sim.token_status(install["access_token"].as_str().unwrap()),
        TokenStatus::Revoked
    );
    // A new install works again.
    ok(&rotating_install(&sim));
}

// ---------------------------------------------------------------- oauth.v2.user.access

#[test]
fn user_access_install_and_refresh() {
    let sim = sim_with(app().token_rotation(true));
    let code = approve(
        &sim,
        &AuthorizeUrl::user_only(ID)
            .user_scopes(["search:read", "users:read"])
            .redirect_uri(REDIRECT),
    );
    let v = call(&sim, &api(), &UserAccess::code(code).redirect_uri(REDIRECT));
    ok(&v);
    assert!(v["access_token"]
        .as_str()
        .unwrap()
        .starts_with("xoxe.xoxp-1-"));
    assert_eq!(v["token_type"], "user");
    assert_eq!(
        v["authed_user"],
        serde_json::json!({"id": "U0SIMUSER", "scope": "search:read,users:read"})
    );
    assert_eq!(v["team"]["id"], "T0SIM");
    assert_eq!(v["expires_in"], 43_200);
    let reply = parse::<UserAccess, _>(
        &sim.handle(
            &api()
                .request(&UserAccess::refresh(v["refresh_token"].as_str().unwrap()))
                .unwrap(),
        ),
    )
    .unwrap();
    assert!(reply.value.user_token().is_some());

    let plain = sim_with(app());
    let code = approve(
        &plain,
        &AuthorizeUrl::user_only(ID)
            .user_scopes(["search:read"])
            .redirect_uri(REDIRECT),
    );
    let v = call(
        &plain,
        &api(),
        &UserAccess::code(code).redirect_uri(REDIRECT),
    );
    assert!(ok(&v)["access_token"]
        .as_str()
        .unwrap()
        .starts_with("xoxp-"));
    assert!(v.get("refresh_token").is_none());
}

#[test]
fn user_access_errors() {
    let sim = sim_with(app());
    let redirect = sim
        .approve(&format!(
            "https://slack.com/oauth/v2_user/authorize?client_id={ID}&redirect_uri={REDIRECT}"
        ))
        .unwrap();
    let v = call(
        &sim,
        &api(),
        &UserAccess::code(code_of(&redirect)).redirect_uri(REDIRECT),
    );
    assert_eq!(error(&v), "no_user_scopes");
    let v = call(&sim, &api(), &UserAccess::code("nope"));
    assert_eq!(error(&v), "invalid_code");
    let wrong = Api::new().with_credentials(ClientCredentials::new(ID, "wrong"));
    assert_eq!(
        error(&call(&sim, &wrong, &UserAccess::code("nope"))),
        "bad_client_secret"
    );
    let v = send(&sim, form("oauth.v2.user.access", "code=x"));
    assert_eq!(error(&v), "invalid_client_id");
    let v = send(
        &sim,
        form(
            "oauth.v2.user.access",
            &format!("client_id={ID}&client_secret={SECRET}&grant_type=x"),
        ),
    );
    assert_eq!(error(&v), "invalid_grant_type");
}

// ---------------------------------------------------------------- oauth.v2.exchange

#[test]
fn exchange_legacy_bot_and_user_tokens_once() {
    let sim = sim_with(app().token_rotation(true));
    let legacy = sim.seed_legacy_token(ID, "bot");
    assert!(legacy.starts_with("xoxb-"));
    let v = call(&sim, &api(), &Exchange::new(legacy.as_str()));
    ok(&v);
    assert!(v["access_token"]
        .as_str()
        .unwrap()
        .starts_with("xoxe.xoxb-1-"));
    assert_eq!(v["expires_in"], 43_200);
    assert!(v["refresh_token"].as_str().unwrap().starts_with("xoxe-1-"));
    assert_eq!(v["token_type"], "bot");
    assert_eq!(v["bot_user_id"], "U0SIMBOT");
    assert_eq!(v["app_id"], "A0SIMAPP1");
    assert_eq!(v["team"]["id"], "T0SIM");
    assert_eq!(v["enterprise"], Value::Null);
    assert_eq!(
        error(&call(&sim, &api(), &Exchange::new(legacy.as_str()))),
        "token_already_exchanged"
    );

    // The legacy token lives on until the first refresh.
    assert_eq!(sim.token_status(&legacy), TokenStatus::Active);
    ok(&call(
        &sim,
        &api(),
        &Access::refresh(v["refresh_token"].as_str().unwrap()),
    ));
    assert_eq!(sim.token_status(&legacy), TokenStatus::Expired);

    let user = sim.seed_legacy_token(ID, slack_oauth_core::secret::TokenKind::User);
    assert!(user.starts_with("xoxp-"));
    // The token as a body argument (Java SDK placement) works as well as Bearer.
    let v = send(
        &sim,
        form(
            "oauth.v2.exchange",
            &format!("client_id={ID}&client_secret={SECRET}&token={user}"),
        ),
    );
    assert_eq!(ok(&v)["token_type"], "user");
    assert!(v["access_token"]
        .as_str()
        .unwrap()
        .starts_with("xoxe.xoxp-1-"));
    let reply = parse::<Exchange, _>(
        &sim.handle(
            &api()
                .request(&Exchange::new(sim.seed_legacy_token(ID, "user")))
                .unwrap(),
        ),
    )
    .unwrap();
    assert!(reply.value.user_token().is_some());
}

#[test]
fn exchange_errors() {
    let sim = sim_with(app().token_rotation(true));
    sim.register_app(AppConfig::new("333.444", "other").token_rotation(true));
    let legacy = sim.seed_legacy_token(ID, "bot");

    let v = send(&sim, form_bearer("oauth.v2.exchange", &legacy, ""));
    assert_eq!(error(&v), "invalid_client_id");
    let wrong = Api::new().with_credentials(ClientCredentials::new(ID, "wrong"));
    assert_eq!(
        error(&call(&sim, &wrong, &Exchange::new(legacy.as_str()))),
        "bad_client_secret"
    );
    let v = send(
        &sim,
        form(
            "oauth.v2.exchange",
            &format!("client_id={ID}&client_secret={SECRET}"),
        ),
    );
    assert_eq!(error(&v), "invalid_arguments", "no token");
    assert_eq!(
        error(&call(&sim, &api(), &Exchange::new("xoxb-unknown"))),
        "invalid_auth"
    );
    assert_eq!(
        error(&call(
            &sim,
            &api(),
            &Exchange::new("xoxe-1-not-a-legacy-token")
        )),
        "invalid_token"
    );
    // Another app's legacy token.
    let foreign = sim.seed_legacy_token("333.444", "bot");
    assert_eq!(
        error(&call(&sim, &api(), &Exchange::new(foreign.as_str()))),
        "invalid_token"
    );
    // A rotating token is no legacy token.
    let rotating = call(&sim, &api(), &Exchange::new(legacy.as_str()));
    let rotating = rotating["access_token"].as_str().unwrap();
    assert_eq!(
        error(&call(&sim, &api(), &Exchange::new(rotating))),
        "invalid_token"
    );
    // Revoked.
    let revoked = sim.seed_legacy_token(ID, "bot");
    assert!(sim.revoke_token(&revoked));
    assert_eq!(
        error(&call(&sim, &api(), &Exchange::new(revoked.as_str()))),
        "token_revoked"
    );
    // The app was uninstalled since the token was issued.
    let orphan = sim.seed_legacy_token(ID, "user");
    sim.uninstall(ID);
    assert_eq!(
        error(&call(&sim, &api(), &Exchange::new(orphan.as_str()))),
        "authorization_not_found"
    );

    // Rotation off.
    let plain = sim_with(app());
    let legacy = plain.seed_legacy_token(ID, "bot");
    assert_eq!(
        error(&call(&plain, &api(), &Exchange::new(legacy.as_str()))),
        "token_rotation_not_enabled"
    );
    // Turning rotation on (re-registering) makes it exchangeable.
    plain.register_app(app().token_rotation(true));
    ok(&call(&plain, &api(), &Exchange::new(legacy.as_str())));
}

#[test]
fn install_tokens_from_a_non_rotating_app_can_be_exchanged_after_opting_in() {
    let sim = sim_with(app());
    let v = exchange_code(&sim, &approve(&sim, &authorize(&["chat:write"], &[])));
    let token = v["access_token"].as_str().unwrap();
    sim.register_app(app().token_rotation(true));
    let v = call(&sim, &api(), &Exchange::new(token));
    assert_eq!(ok(&v)["scope"], "chat:write");
}

// ---------------------------------------------------------------- tooling.tokens.rotate

#[test]
fn rotate_config_tokens() {
    let sim = Sim::new();
    let (token, refresh) = sim.seed_config_token("T0CFG", "U0CFG");
    assert!(token.starts_with("xoxe.xoxp-1-"));
    assert!(refresh.starts_with("xoxe-1-"));
    sim.advance(100);
    let v = call(&sim, &Api::new(), &Rotate::new(refresh.as_str()));
    ok(&v);
    assert!(v["token"].as_str().unwrap().starts_with("xoxe.xoxp-1-"));
    assert_eq!(v["team_id"], "T0CFG");
    assert_eq!(v["user_id"], "U0CFG");
    assert_eq!(v["iat"], Sim::DEFAULT_START + 100);
    assert_eq!(v["exp"], Sim::DEFAULT_START + 100 + 43_200);
    assert_eq!(
        error(&call(&sim, &Api::new(), &Rotate::new(refresh.as_str()))),
        "invalid_refresh_token"
    );
    let next = v["refresh_token"].as_str().unwrap();
    let reply =
        parse::<Rotate, _>(&sim.handle(&Api::new().request(&Rotate::new(next)).unwrap())).unwrap();
    assert_eq!(reply.value.exp - reply.value.iat, 43_200);
    assert_eq!(sim.token_status(&token), TokenStatus::Active);
    sim.advance(43_200);
    assert_eq!(sim.token_status(&token), TokenStatus::Expired);
}

#[test]
fn rotate_errors() {
    let sim = Sim::new();
    assert_eq!(
        error(&send(&sim, form("tooling.tokens.rotate", ""))),
        "invalid_arguments"
    );
    assert_eq!(
        error(&call(&sim, &Api::new(), &Rotate::new("xoxe-1-nope"))),
        "invalid_refresh_token"
    );
    // An OAuth refresh token is not a configuration refresh token.
    let oauth = sim_with(app().token_rotation(true));
    let install = rotating_install(&oauth);
    let v = call(
        &oauth,
        &Api::new(),
        &Rotate::new(install["refresh_token"].as_str().unwrap()),
    );
    assert_eq!(error(&v), "invalid_refresh_token");
    // Form-only: a JSON body is not read, so the argument is missing.
    let (_, refresh) = sim.seed_config_token("T", "U");
    let req = Request::post("/api/tooling.tokens.rotate")
        .header("content-type", "application/json; charset=utf-8")
        .body(
            serde_json::json!({"refresh_token": refresh})
                .to_string()
                .into_bytes(),
        )
        .unwrap();
    assert_eq!(error(&send(&sim, req)), "invalid_arguments");
    // GET with a query argument works.
    let v = send(
        &sim,
        Request::get(format!(
            "/api/tooling.tokens.rotate?refresh_token={refresh}"
        ))
        .body(Vec::new())
        .unwrap(),
    );
    ok(&v);
}

// ---------------------------------------------------------------- apps.auth.external.get

fn external(sim: &Sim, has_refresh_token: bool) -> String {
    sim.seed_external_token(ExternalTokenSeed {
        app_id: "A0SIMAPP1".into(),
        provider_key: "google".into(),
        token: "ya29.first".into(),
        has_refresh_token,
        ..Default::default()
    })
}

#[test]
fn external_get_and_force_refresh() {
    let sim = sim_with(app());
    let wf = sim.seed_workflow_token();
    assert!(wf.starts_with("xwfp-"));
    let id = external(&sim, true);
    let v = call(&sim, &Api::new(), &Get::new(wf.as_str(), id.as_str()));
    assert_eq!(ok(&v)["external_token"], "ya29.first");
    let v = call(
        &sim,
        &Api::new(),
        &Get::new(wf.as_str(), id.as_str()).force_refresh(true),
    );
    let fresh = ok(&v)["external_token"].as_str().unwrap().to_owned();
    assert_ne!(fresh, "ya29.first");
    assert_eq!(sim.external_token(&id).as_deref(), Some(fresh.as_str()));
    let reply = parse::<Get, _>(
        &sim.handle(
            &Api::new()
                .request(&Get::new(wf.as_str(), id.as_str()).force_refresh(false))
                .unwrap(),
        ),
    )
    .unwrap();
    assert_eq!(reply.value.external_token.expose(), fresh);
    // JSON body with a Bearer header; booleans as JSON.
    let req = Request::post("/api/apps.auth.external.get")
        .header("content-type", "application/json; charset=utf-8")
        .header("authorization", format!("Bearer {wf}"))
        .body(
            serde_json::json!({"external_token_id": id, "force_refresh": true})
                .to_string()
                .into_bytes(),
        )
        .unwrap();
    assert_ne!(ok(&send(&sim, req))["external_token"], fresh.as_str());
    // The token as a form argument.
    let v = send(
        &sim,
        form(
            "apps.auth.external.get",
            &format!("token={wf}&external_token_id={id}"),
        ),
    );
    ok(&v);
    // A bot token may call it too.
    let bot = sim.seed_legacy_token(ID, "bot");
    ok(&call(
        &sim,
        &Api::new(),
        &Get::new(bot.as_str(), id.as_str()),
    ));
}

#[test]
fn external_tokens_refresh_when_they_expire() {
    let sim = Sim::new();
    let wf = sim.seed_workflow_token();
    let id = sim.seed_external_token(ExternalTokenSeed {
        app_id: "A1".into(),
        provider_key: "github".into(),
        has_refresh_token: true,
        expires_in: Some(3600),
        ..Default::default()
    });
    let first = sim.external_token(&id).unwrap();
    assert!(!first.is_empty());
    let v = call(&sim, &Api::new(), &Get::new(wf.as_str(), id.as_str()));
    assert_eq!(v["external_token"], first.as_str());
    sim.advance(3600);
    let v = call(&sim, &Api::new(), &Get::new(wf.as_str(), id.as_str()));
    assert_ne!(ok(&v)["external_token"], first.as_str());
}

#[test]
fn external_get_errors() {
    let sim = sim_with(app());
    let wf = sim.seed_workflow_token();
    let no_refresh = external(&sim, false);
    let v = call(
        &sim,
        &Api::new(),
        &Get::new(wf.as_str(), no_refresh.as_str()).force_refresh(true),
    );
    assert_eq!(error(&v), "no_refresh_token");
    let failing = sim.seed_external_token(ExternalTokenSeed {
        app_id: "A0SIMAPP1".into(),
        provider_key: "google".into(),
        has_refresh_token: true,
        exchange_fails: true,
        ..Default::default()
    });
    let v = call(
        &sim,
        &Api::new(),
        &Get::new(wf.as_str(), failing.as_str()).force_refresh(true),
    );
    assert_eq!(error(&v), "access_token_exchange_failed");
    assert_eq!(
        error(&call(&sim, &Api::new(), &Get::new(wf.as_str(), "Et0NOPE"))),
        "token_not_found"
    );
    let v = send(&sim, form_bearer("apps.auth.external.get", &wf, ""));
    assert_eq!(error(&v), "invalid_arguments");
    let v = send(
        &sim,
        form_bearer(
            "apps.auth.external.get",
            &wf,
            &format!("external_token_id={no_refresh}&force_refresh=maybe"),
        ),
    );
    assert_eq!(error(&v), "invalid_arguments");

    let v = send(
        &sim,
        form(
            "apps.auth.external.get",
            &format!("external_token_id={no_refresh}"),
        ),
    );
    assert_eq!(error(&v), "not_authed");
    // A token in the query string is not accepted.
    let req = Request::post(format!("/api/apps.auth.external.get?token={wf}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("external_token_id={no_refresh}").into_bytes())
        .unwrap();
    assert_eq!(error(&send(&sim, req)), "not_authed");
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Get::new("xwfp-nope", no_refresh.as_str())
        )),
        "invalid_auth"
    );

    let expired = sim.seed_workflow_token();
    assert!(sim.expire_token(&expired));
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Get::new(expired.as_str(), no_refresh.as_str())
        )),
        "token_expired"
    );
    let revoked = sim.seed_workflow_token();
    sim.revoke_token(&revoked);
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Get::new(revoked.as_str(), no_refresh.as_str())
        )),
        "token_revoked"
    );

    let user = sim.seed_legacy_token(ID, "user");
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Get::new(user.as_str(), no_refresh.as_str())
        )),
        "not_allowed_token_type"
    );
    let (config, _) = sim.seed_config_token("T", "U");
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Get::new(config.as_str(), no_refresh.as_str())
        )),
        "not_allowed_token_type"
    );

    // A workflow token of another app does not see this app's tokens.
    let limited = sim.seed_workflow_token_for("A0OTHER");
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Get::new(limited.as_str(), no_refresh.as_str())
        )),
        "token_not_found"
    );
}

// ---------------------------------------------------------------- apps.auth.external.delete

#[test]
fn external_delete_by_id_by_app_and_by_provider() {
    let sim = sim_with(app());
    let wf = sim.seed_workflow_token();
    let one = external(&sim, true);
    let v = call(
        &sim,
        &Api::new(),
        &Delete::new(wf.as_str()).external_token_id(one.as_str()),
    );
    assert_eq!(ok(&v).as_object().unwrap().len(), 1, "just ok: {v}");
    assert_eq!(sim.external_token(&one), None);
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Delete::new(wf.as_str()).external_token_id(one.as_str())
        )),
        "token_not_found"
    );

    let google = external(&sim, true);
    let github = sim.seed_external_token(ExternalTokenSeed {
        app_id: "A0SIMAPP1".into(),
        provider_key: "github".into(),
        ..Default::default()
    });
    ok(&call(
        &sim,
        &Api::new(),
        &Delete::new(wf.as_str())
            .app_id("A0SIMAPP1")
            .provider_key("google"),
    ));
    assert_eq!(sim.external_token(&google), None);
    assert!(sim.external_token(&github).is_some());
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Delete::new(wf.as_str())
                .app_id("A0SIMAPP1")
                .provider_key("google")
        )),
        "no_tokens_found"
    );
    // A user token (the Slack CLI's placement: JSON with Bearer).
    let user = sim.seed_legacy_token(ID, "user");
    let req = Request::post("/api/apps.auth.external.delete")
        .header("content-type", "application/json; charset=utf-8")
        .header("authorization", format!("Bearer {user}"))
        .body(br#"{"app_id":"A0SIMAPP1"}"#.to_vec())
        .unwrap();
    ok(&send(&sim, req));
    assert_eq!(sim.external_token(&github), None);
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Delete::new(wf.as_str()).app_id("A0SIMAPP1")
        )),
        "no_tokens_found"
    );
}

#[test]
fn external_delete_errors() {
    let sim = sim_with(app());
    let wf = sim.seed_workflow_token();
    let id = external(&sim, true);
    assert_eq!(
        error(&call(&sim, &Api::new(), &Delete::new(wf.as_str()))),
        "invalid_args"
    );
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Delete::new(wf.as_str()).provider_key("google")
        )),
        "invalid_args"
    );
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Delete::new(wf.as_str()).app_id("A0NOPE")
        )),
        "app_not_found"
    );
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Delete::new(wf.as_str())
                .app_id("A0SIMAPP1")
                .provider_key("dropbox")
        )),
        "providers_not_found"
    );
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Delete::new(wf.as_str()).external_token_id("Et0NOPE")
        )),
        "token_not_found"
    );
    let limited = sim.seed_workflow_token_for("A0OTHER");
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Delete::new(limited.as_str()).external_token_id(id.as_str())
        )),
        "invalid_auth"
    );
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Delete::new(limited.as_str()).app_id("A0SIMAPP1")
        )),
        "invalid_auth"
    );
    assert_eq!(
        error(&send(
            &sim,
            form("apps.auth.external.delete", "app_id=A0SIMAPP1")
        )),
        "not_authed"
    );
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Delete::new("xoxb-nope").app_id("A0SIMAPP1")
        )),
        "invalid_auth"
    );
    let (config, _) = sim.seed_config_token("T", "U");
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Delete::new(config.as_str()).app_id("A0SIMAPP1")
        )),
        "not_allowed_token_type"
    );
    // The registered app with no external tokens yet is known: no tokens, not app_not_found.
    sim.register_app(AppConfig::new("5.6", "s").app_id("A0EMPTY"));
    assert_eq!(
        error(&call(
            &sim,
            &Api::new(),
            &Delete::new(wf.as_str()).app_id("A0EMPTY")
        )),
        "no_tokens_found"
    );
    assert!(sim.external_token(&id).is_some());
}

// ---------------------------------------------------------------- protocol

#[test]
fn unknown_methods_and_paths() {
    let sim = Sim::new();
    // slack.com answers an unknown method with HTTP 200 and the name echoed (docs/simulator.md).
    let resp = sim.handle(&form("chat.postMessage", "a=1"));
    assert_eq!(resp.status(), 200);
    assert_eq!(error(&body(&resp)), "unknown_method");
    assert_eq!(body(&resp)["req_method"], "chat.postMessage");
    let resp = sim.handle(&form("../etc", ""));
    assert_eq!(error(&body(&resp)), "unknown_method");
    assert_eq!(sim.stats().count("unknown_method", "unknown_method"), 2);
    let resp = sim.handle(&Request::get("/elsewhere").body(Vec::new()).unwrap());
    assert_eq!(resp.status(), 404);
    let resp = sim.handle(
        &Request::put("/api/oauth.v2.access")
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(resp.status(), 405);
}

#[test]
fn content_type_errors() {
    let sim = sim_with(app());
    let req = |ct: Option<&str>, body: &[u8]| {
        let mut b = Request::post("/api/oauth.v2.access");
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        b.body(body.to_vec()).unwrap()
    };
    assert_eq!(
        error(&send(&sim, req(None, b"code=1"))),
        "missing_post_type"
    );
    assert_eq!(
        error(&send(&sim, req(Some("application/xml"), b"<a/>"))),
        "invalid_post_type"
    );
    assert_eq!(
        error(&send(
            &sim,
            req(
                Some("application/x-www-form-urlencoded; charset=utf-16"),
                b"code=1"
            )
        )),
        "invalid_charset"
    );
    assert_eq!(
        error(&send(
            &sim,
            req(Some("application/x-www-form-urlencoded"), b"code=%G1")
        )),
        "invalid_form_data"
    );
    assert_eq!(
        error(&send(&sim, req(Some("application/json"), b"{nope"))),
        "invalid_json"
    );
    assert_eq!(
        error(&send(&sim, req(Some("application/json"), b"\"s\""))),
        "json_not_object"
    );
    assert_eq!(
        error(&send(
            &sim,
            req(Some("application/json"), br#"{"scope":["a"]}"#)
        )),
        "invalid_array_arg"
    );
    assert_eq!(
        error(&send(
            &sim,
            req(Some("application/x-www-form-urlencoded"), b"bad%20name=1")
        )),
        "invalid_arg_name"
    );
}

#[test]
fn charset_warnings_on_success_and_on_errors() {
    let sim = sim_with(app());
    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    let mut req = api()
        .request(&Access::code(code).redirect_uri(REDIRECT))
        .unwrap();
    req.headers_mut().insert(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8"
            .parse()
            .unwrap(),
    );
    let v = send(&sim, req.clone());
    ok(&v);
    assert_eq!(v["warning"], "superfluous_charset");
    assert_eq!(
        v["response_metadata"]["warnings"],
        serde_json::json!(["superfluous_charset"])
    );
    let reply = parse::<Access, _>(&sim.handle(&req)).unwrap_err();
    assert_eq!(reply.code(), Some(&ErrorCode::InvalidCode));

    let req = Request::post("/api/oauth.v2.access")
        .header("content-type", "application/json")
        .body(br#"{"client_id":"111.222"}"#.to_vec())
        .unwrap();
    let v = send(&sim, req);
    assert_eq!(error(&v), "bad_client_secret");
    assert_eq!(v["warning"], "missing_charset");
    let req = Request::post("/api/tooling.tokens.rotate")
        .header("content-type", "text/plain")
        .body(b"refresh_token=x".to_vec())
        .unwrap();
    let v = send(&sim, req);
    assert_eq!(error(&v), "invalid_refresh_token");
    assert_eq!(v["warning"], "missing_charset");
}

// ---------------------------------------------------------------- faults

#[test]
fn rate_limit_fault_for_the_next_n_calls() {
    let sim = Sim::new();
    sim.inject(
        "tooling.tokens.rotate",
        Fault::RateLimited { retry_after: 7 },
        2,
    );
    for _ in 0..2 {
        let resp = sim.handle(&form("tooling.tokens.rotate", "refresh_token=x"));
        assert_eq!(resp.status(), 429);
        assert_eq!(resp.headers()["retry-after"], "7");
        assert_eq!(
            body(&resp),
            serde_json::json!({"ok": false, "error": "ratelimited"})
        );
        let err = parse::<Rotate, _>(&resp).unwrap_err();
        assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(7)));
    }
    let resp = sim.handle(&form("tooling.tokens.rotate", "refresh_token=x"));
    assert_eq!(resp.status(), 200);
    assert_eq!(sim.calls("tooling.tokens.rotate"), 3);
    // Faults are per method.
    sim.inject("oauth.v2.access", Fault::RateLimited { retry_after: 1 }, 1);
    assert_eq!(sim.handle(&form("oauth.v2.exchange", "")).status(), 200);
    assert_eq!(sim.handle(&form("oauth.v2.access", "")).status(), 429);
}

#[test]
fn server_error_redirect_error_and_warning_faults() {
    let sim = Sim::new();
    let (_, refresh) = sim.seed_config_token("T", "U");
    sim.inject("tooling.tokens.rotate", Fault::ServerError(503), 1);
    sim.inject("tooling.tokens.rotate", Fault::ServerError(42), 1);
    sim.inject(
        "tooling.tokens.rotate",
        Fault::Redirect {
            location: "https://evil.example/".into(),
        },
        1,
    );
    sim.inject(
        "tooling.tokens.rotate",
        Fault::Error("unknown_error".into()),
        1,
    );
    sim.inject(
        "tooling.tokens.rotate",
        Fault::Warning("sim_warning".into()),
        1,
    );
    let rotate = || {
        sim.handle(&form(
            "tooling.tokens.rotate",
            &format!("refresh_token={refresh}"),
        ))
    };

    let resp = rotate();
    assert_eq!(resp.status(), 503);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(String::from_utf8_lossy(resp.body()).contains("503 Service Unavailable"));
    assert_eq!(rotate().status(), 500, "an invalid status becomes 500");
    let resp = rotate();
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], "https://evil.example/");
    assert_eq!(error(&body(&rotate())), "unknown_error");
    // None of those spent the refresh token; the warning rides on a real answer.
    let v = body(&rotate());
    ok(&v);
    assert_eq!(v["warning"], "sim_warning");
    assert_eq!(
        v["response_metadata"]["warnings"],
        serde_json::json!(["sim_warning"])
    );
    let reply = parse::<Rotate, _>(&sim.handle(&form(
        "tooling.tokens.rotate",
        &format!("refresh_token={}", v["refresh_token"].as_str().unwrap()),
    )))
    .unwrap();
    assert!(reply.warnings.is_empty());
}

#[test]
fn io_faults_are_marked_by_the_sans_io_handler_and_returned_by_handle_with_fault() {
    let sim = Sim::new();
    let (_, refresh) = sim.seed_config_token("T", "U");
    sim.inject("tooling.tokens.rotate", Fault::TruncatedBody, 1);
    let resp = sim.handle(&form("tooling.tokens.rotate", "refresh_token=x"));
    assert_eq!(resp.headers()["x-sim-fault"], "truncated_body");
    sim.inject(
        "tooling.tokens.rotate",
        Fault::Delay(std::time::Duration::from_millis(5)),
        1,
    );
    let (resp, fault) = sim.handle_with_fault(
        &form("tooling.tokens.rotate", &format!("refresh_token={refresh}")),
        sim.now(),
    );
    assert_eq!(
        fault,
        Some(Fault::Delay(std::time::Duration::from_millis(5)))
    );
    assert!(resp.headers().get("x-sim-fault").is_none());
    // The request was processed: the refresh token is spent.
    ok(&body(&resp));
    assert_eq!(sim.token_status(&refresh), TokenStatus::Spent);
}

#[test]
fn call_counts_and_filters() {
    let sim = sim_with(app().token_rotation(true));
    let install = rotating_install(&sim);
    call(
        &sim,
        &api(),
        &Access::refresh(install["refresh_token"].as_str().unwrap()),
    );
    call(&sim, &api(), &Access::refresh("xoxe-1-nope"));
    assert_eq!(sim.calls("oauth.v2.access"), 3);
    assert_eq!(
        sim.calls_with("oauth.v2.access", |form| form.get("grant_type")
            == Some("refresh_token")),
        2
    );
    assert_eq!(sim.calls("apps.auth.external.get"), 0);
}

#[test]
fn handle_at_uses_the_given_time_without_moving_the_clock() {
    let sim = sim_with(app().token_rotation(true));
    let code = approve(&sim, &authorize(&["chat:write"], &[]));
    let req = api()
        .request(&Access::code(code.as_str()).redirect_uri(REDIRECT))
        .unwrap();
    let resp = sim.handle_at(&req, Sim::DEFAULT_START + 601);
    assert_eq!(error(&body(&resp)), "invalid_code");
    assert_eq!(sim.now(), Sim::DEFAULT_START);
    ok(&body(&sim.handle_at(&req, Sim::DEFAULT_START + 10)));
}

// ---------------------------------------------------------------- authorize and admin

#[test]
fn approve_and_deny_redirects() {
    let sim = sim_with(
        app()
            .bot_scopes("chat:write,commands")
            .user_scopes("search:read"),
    );
    let url = format!("https://slack.com/oauth/v2/authorize?client_id={ID}&scope=chat:write&redirect_uri={REDIRECT}&state=st%26ate");
    let redirect = sim.approve(&url).unwrap();
    assert!(
        redirect.starts_with(&format!("{REDIRECT}?code=")),
        "{redirect}"
    );
    assert!(redirect.ends_with("&state=st%26ate"), "{redirect}");
    let callback = slack_oauth_core::Callback::parse(&redirect).unwrap();
    assert_eq!(callback.state(), "st&ate");
    assert_eq!(
        sim.deny(&url).unwrap(),
        format!("{REDIRECT}?error=access_denied&state=st%26ate")
    );
    let callback = slack_oauth_core::Callback::parse(&sim.deny(&url).unwrap()).unwrap_err();
    assert!(callback.is_access_denied());
    // Subdirectory of a registered redirect, with its own query.
    let redirect = sim
        .approve(&format!("https://slack.com/oauth/v2/authorize?client_id={ID}&scope=commands&redirect_uri=https%3A%2F%2Fexample.com%2Fslack%2Fcallback%2Fteam%3Fa%3D1"))
        .unwrap();
    assert!(
        redirect.starts_with("https://example.com/slack/callback/team?a=1&code="),
        "{redirect}"
    );
}

#[test]
fn approve_errors() {
    use slack_oauth_sim::SimError;
    let sim = sim_with(app().bot_scopes("chat:write").user_scopes("search:read"));
    let base = "https://slack.com/oauth/v2/authorize";
    assert_eq!(
        sim.approve("https://slack.com/oauth/authorize?client_id=1"),
        Err(SimError::NotAnAuthorizeUrl)
    );
    assert_eq!(sim.approve("::"), Err(SimError::NotAnAuthorizeUrl));
    assert_eq!(
        sim.approve(&format!("{base}?scope=chat:write")),
        Err(SimError::InvalidClientId)
    );
    assert_eq!(
        sim.approve(&format!("{base}?client_id=9.9")),
        Err(SimError::InvalidClientId)
    );
    assert_eq!(
        sim.approve(&format!(
            "{base}?client_id={ID}&redirect_uri=https://evil.example/"
        )),
        Err(SimError::BadRedirectUri)
    );
    assert_eq!(
        sim.approve(&format!("{base}?client_id={ID}&scope=admin")),
        Err(SimError::InvalidScope("admin".into()))
    );
    assert_eq!(
        sim.approve(&format!("{base}?client_id={ID}&user_scope=chat:write")),
        Err(SimError::InvalidScope("chat:write".into()))
    );
    assert_eq!(
        sim.approve(&format!(
            "{base}?client_id={ID}&scope=chat:write&code_challenge=abc&code_challenge_method=plain"
        )),
        Err(SimError::InvalidCodeChallenge)
    );
    let no_redirects = sim_with(AppConfig::new(ID, SECRET));
    assert_eq!(
        no_redirects.approve(&format!("{base}?client_id={ID}&scope=a")),
        Err(SimError::BadRedirectUri)
    );
    assert_eq!(
        no_redirects.approve(&format!(
            "{base}?client_id={ID}&scope=a&redirect_uri=myapp://cb"
        )),
        Err(SimError::PkceRequired)
    );
    let err = SimError::InvalidScope("x".into());
    assert_eq!(err.code(), "invalid_scope");
    assert!(err.to_string().contains("invalid_scope"));
}

#[test]
fn custom_scheme_redirect_with_pkce_gets_rotating_tokens() {
    let sim = sim_with(
        AppConfig::new(ID, SECRET)
            .redirect_uri("myapp://oauth")
            .pkce(true),
    );
    let v1 = verifier(9);
    let url = AuthorizeUrl::new(ID)
        .user_scopes(["search:read"])
        .redirect_uri("myapp://oauth")
        .pkce(&v1.challenge());
    let code = code_of(&sim.approve(&url.build().unwrap()).unwrap());
    let public = Api::new().with_credentials(ClientCredentials::public(ID));
    let v = call(
        &sim,
        &public,
        &Access::code(code)
            .redirect_uri("myapp://oauth")
            .code_verifier(v1),
    );
    assert!(ok(&v)["authed_user"]["access_token"]
        .as_str()
        .unwrap()
        .starts_with("xoxe.xoxp-1-"));
}

#[test]
fn authorize_pages_redirect_like_a_browser_would_follow() {
    let sim = sim_with(app());
    let req = Request::get(format!(
        "/oauth/v2/authorize?client_id={ID}&scope=chat:write&state=s1"
    ))
    .body(Vec::new())
    .unwrap();
    let resp = sim.handle(&req);
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("{REDIRECT}?code=")));
    ok(&exchange_code(&sim, &code_of(&location)));
    let req = Request::get(format!(
        "/oauth/v2_user/authorize?client_id={ID}&scope=search:read&sim_decision=deny"
    ))
    .body(Vec::new())
    .unwrap();
    assert_eq!(
        sim.handle(&req).headers()["location"],
        format!("{REDIRECT}?error=access_denied")
    );
    let req = Request::get("/oauth/v2/authorize?client_id=nope")
        .body(Vec::new())
        .unwrap();
    let resp = sim.handle(&req);
    assert_eq!(resp.status(), 400);
    assert!(String::from_utf8_lossy(resp.body()).contains("invalid_client_id"));
}

#[test]
fn admin_endpoints() {
    let sim = Sim::new();
    let get = |path: &str| sim.handle(&Request::get(path).body(Vec::new()).unwrap());
    let post = |path: &str, body: &str| {
        sim.handle(&Request::post(path).body(body.as_bytes().to_vec()).unwrap())
    };
    assert_eq!(body(&get("/_sim/now"))["now"], Sim::DEFAULT_START);
    assert_eq!(
        body(&post("/_sim/advance?seconds=60", ""))["now"],
        Sim::DEFAULT_START + 60
    );
    assert_eq!(sim.now(), Sim::DEFAULT_START + 60);
    assert_eq!(post("/_sim/advance?seconds=-1", "").status(), 400);
    assert_eq!(get("/_sim/advance?seconds=1").status(), 405);

    let seeded = body(&post(
        "/_sim/config",
        r#"{"apps": [{"client_id": "1.2", "client_secret": "s", "token_rotation": true}],
            "legacy_tokens": [{"client_id": "1.2", "kind": "bot"}],
            "config_tokens": [{"team_id": "T", "user_id": "U"}]}"#,
    ));
    ok(&seeded);
    let legacy = seeded["legacy_tokens"][0].as_str().unwrap();
    assert_eq!(sim.token_status(legacy), TokenStatus::Active);
    assert!(seeded["config_tokens"][0]["refresh_token"].is_string());
    assert_eq!(post("/_sim/config", "{\"bogus\": 1}").status(), 400);

    assert_eq!(body(&get("/_sim/calls?method=oauth.v2.access"))["calls"], 0);
    assert_eq!(
        body(&post(&format!("/_sim/revoke?token={legacy}"), ""))["ok"],
        true
    );
    assert_eq!(sim.token_status(legacy), TokenStatus::Revoked);
    assert_eq!(body(&post("/_sim/uninstall?client_id=1.2", ""))["ok"], true);
    assert_eq!(post("/_sim/uninstall?client_id=9.9", "").status(), 400);
    assert_eq!(get("/_sim/nothing").status(), 404);
}

#[test]
fn debug_output_never_shows_secrets() {
    let sim = sim_with(AppConfig::new(ID, "CANARY-SECRET"));
    let seed = ExternalTokenSeed {
        app_id: "A".into(),
        provider_key: "p".into(),
        token: "CANARY-TOKEN".into(),
        ..Default::default()
    };
    let shown = format!("{sim:?} {:?} {seed:?}", AppConfig::new(ID, "CANARY-SECRET"));
    assert!(!shown.contains("CANARY"), "{shown}");
}

#[test]
fn arbitrary_bytes_never_panic_and_always_get_an_answer() {
    // A small deterministic generator: the point is breadth, not cryptographic randomness.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let sim = sim_with(app().token_rotation(true).pkce(true));
    let legacy = sim.seed_legacy_token(ID, "bot");
    let paths = [
        "/api/oauth.v2.access",
        "/api/oauth.v2.user.access",
        "/api/oauth.v2.exchange",
        "/api/tooling.tokens.rotate",
        "/api/apps.auth.external.get",
        "/api/apps.auth.external.delete",
        "/oauth/v2/authorize",
        "/_sim/config",
    ];
    let types = [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=iso-8859-1",
        "application/json",
        "multipart/form-data; boundary=b",
        "text/plain; charset=utf-8",
        "application/octet-stream",
    ];
    let alphabet = b"=&%+;:,{}[]\"\\ab01-_.\x00\xff\xc3\r\n";
    for _ in 0..3000 {
        let len = (next() % 64) as usize;
        let body: Vec<u8> = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        let path = paths[(next() % paths.len() as u64) as usize];
        let mut req = Request::post(path).header(
            "content-type",
            types[(next() % types.len() as u64) as usize],
        );
        match next() % 4 {
            0 => req = req.header("authorization", format!("Bearer {legacy}")),
            1 => req = req.header("authorization", "Basic MTExLjIyMjphcHAtc2VjcmV0"),
            2 => {
                let opaque = http::HeaderValue::from_bytes(b"Basic \xfe\xff").unwrap();
                req = req.header("authorization", opaque)
            }
            _ => {}
        }
        let resp = sim.handle(&req.body(body).unwrap());
        if path.starts_with("/api/") {
            let v = body_of(&resp);
            assert!(v["ok"].is_boolean(), "{v}");
        }
    }
    // Still sane afterwards.
    ok(&exchange_code(
        &sim,
        &approve(&sim, &authorize(&["chat:write"], &[])),
    ));
}

fn body_of(resp: &Response<Vec<u8>>) -> Value {
    body(resp)
}
