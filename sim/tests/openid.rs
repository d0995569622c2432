//! The simulator as a Sign in with Slack provider: the authorize page, `openid.connect.token`
//! and `openid.connect.userInfo`, its key set, discovery document, signed id_tokens (checked
//! with core's verifier) and key rotation.

use http::Response;
use serde_json::{json, Value};
use slack_oauth_core::oauth_v2::Access;
use slack_oauth_core::openid::{keys_request, Jwks, Nonce, Token, UserInfo, Verifier};
use slack_oauth_core::{method::ClientAuth, secret::IdToken, Api, ClientCredentials};
use slack_oauth_sim::{AppConfig, Server, Sim};

const ID: &str = "111.222";
const SECRET: &str = "app-secret";
const REDIRECT: &str = "https://example.com/slack/callback";

fn error(resp: &Response<Vec<u8>>) -> String {
    let v: Value = serde_json::from_slice(resp.body()).unwrap();
    assert_eq!(v["ok"], false, "{v}");
    v["error"].as_str().unwrap().to_owned()
}

fn api(secret: &str) -> Api {
    Api::new().with_credentials(ClientCredentials::new(ID, secret))
}

#[test]
fn an_oauth_code_is_not_an_openid_code_and_clients_are_checked_first() {
    let sim = Sim::new();
    sim.register_app(AppConfig::new(ID, SECRET).redirect_uri(REDIRECT));
    let redirect = sim
        .approve(&format!(
            "https://slack.com/oauth/v2/authorize?client_id={ID}&user_scope=search:read&redirect_uri={REDIRECT}"
        ))
        .unwrap();
    let code = redirect
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let exchange = Token::code(code).redirect_uri(REDIRECT);

    // The client is checked first, by HTTP Basic or by form fields.
    assert_eq!(
        error(&sim.handle(&api("wrong").request(&exchange).unwrap())),
        "bad_client_secret"
    );
    let unknown = Api::new().with_credentials(ClientCredentials::new("9.9", SECRET));
    assert_eq!(
        error(&sim.handle(&unknown.request(&exchange).unwrap())),
        "invalid_client_id"
    );
    for auth in [ClientAuth::Basic, ClientAuth::Body] {
        let request = api(SECRET)
            .with_client_auth(auth)
            .request(&exchange)
            .unwrap();
        assert_eq!(
            error(&sim.handle(&request)),
            "oauth_authorization_url_mismatch"
        );
    }
    assert_eq!(
        error(&sim.handle(&api(SECRET).request(&Token::code("nope")).unwrap())),
        "invalid_code"
    );
    let refresh = api(SECRET).request(&Token::refresh("xoxe-1-nope")).unwrap();
    assert_eq!(error(&sim.handle(&refresh)), "invalid_refresh_token");

    // userInfo: no token, a dead one, and a live one without the `openid` scope.
    let none = Api::new().request(&UserInfo::new("")).unwrap();
    assert_eq!(error(&sim.handle(&none)), "not_authed");
    let dead = Api::new().request(&UserInfo::new("xoxp-unknown")).unwrap();
    assert_eq!(error(&sim.handle(&dead)), "invalid_auth");
    // The refused exchange did not spend the code: the install flow still takes it.
    let install = sim.handle(
        &api(SECRET)
            .request(&Access::code(code).redirect_uri(REDIRECT))
            .unwrap(),
    );
    let v: Value = serde_json::from_slice(install.body()).unwrap();
    let user_token = v["authed_user"]["access_token"].as_str().unwrap();
    let live = Api::new().request(&UserInfo::new(user_token)).unwrap();
    assert_eq!(error(&sim.handle(&live)), "missing_scope");
}

fn sim_api() -> Api {
    Api::new().with_base_url("http://127.0.0.1:9/api").unwrap()
}

fn keys(sim: &Sim) -> Jwks {
    let response = sim.handle(&keys_request(&sim_api()).unwrap());
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    Jwks::parse(&response).expect("the simulator's key set")
}

fn claims(now: u64) -> Value {
    json!({
        "iss": "https://slack.com", "sub": "U0SIM", "aud": ID, "exp": now + 300, "iat": now,
        "nonce": "n-1", "https://slack.com/team_id": "T0SIM",
    })
}

fn verify(token: &str, keys: &Jwks, now: u64) -> Result<String, &'static str> {
    Verifier::new(ID)
        .verify_id_token(
            &IdToken::new(token),
            None,
            keys,
            Some(&Nonce::new("n-1").unwrap()),
            now,
        )
        .map(|c| c.sub)
        .map_err(|e| e.code())
}

#[test]
fn signed_tokens_verify_against_the_published_keys() {
    let sim = Sim::new();
    let now = sim.now();
    let set = keys(&sim);
    assert_eq!(set.keys().len(), 1);
    assert!(set.keys()[0].bits() >= 2048);
    assert_eq!(sim.openid_key_ids(), ["sim-key-1"]);
    let token = sim.sign_id_token(&claims(now));
    assert_eq!(verify(&token, &set, now), Ok("U0SIM".into()));
    // The faults a test asks for are just other claims.
    let mut expired = claims(now);
    expired["exp"] = json!(now - 120);
    assert_eq!(
        verify(&sim.sign_id_token(&expired), &set, now),
        Err("expired")
    );
    let mut other_app = claims(now);
    other_app["aud"] = json!("9.9");
    assert_eq!(
        verify(&sim.sign_id_token(&other_app), &set, now),
        Err("wrong_audience")
    );
    // Two simulators have two keys: neither accepts the other's tokens.
    let other = Sim::new();
    assert_eq!(
        verify(&other.sign_id_token(&claims(now)), &set, now),
        Err("bad_signature")
    );
}

#[test]
fn key_rotation_and_unpublished_keys() {
    let sim = Sim::new();
    let now = sim.now();
    let before = keys(&sim);
    let old = sim.openid_key_ids().remove(0);
    let new = sim.rotate_openid_key();
    assert_ne!(old, new);
    assert_eq!(sim.openid_key_ids(), [old.clone(), new.clone()]);

    // Signed with the new key: a client with the old set is told to refresh, then passes.
    let token = sim.sign_id_token(&claims(now));
    assert_eq!(verify(&token, &before, now), Err("unknown_key"));
    let after = keys(&sim);
    assert_eq!(verify(&token, &after, now), Ok("U0SIM".into()));
    let by_old = sim.sign_id_token_with(&old, &claims(now)).unwrap();
    assert_eq!(verify(&by_old, &after, now), Ok("U0SIM".into()));

    // The old key retired: gone from the set, its tokens unknown.
    assert!(sim.retire_openid_key(&old));
    assert_eq!(sim.openid_key_ids(), std::slice::from_ref(&new));
    assert_eq!(verify(&by_old, &keys(&sim), now), Err("unknown_key"));
    assert!(!sim.retire_openid_key("no-such-key"));
    assert_eq!(sim.sign_id_token_with("no-such-key", &claims(now)), None);

    // A key that signs before it is published: unknown until it is.
    let hidden = sim.add_unpublished_openid_key();
    let early = sim.sign_id_token(&claims(now));
    assert_eq!(verify(&early, &keys(&sim), now), Err("unknown_key"));
    assert!(sim.publish_openid_key(&hidden));
    assert_eq!(verify(&early, &keys(&sim), now), Ok("U0SIM".into()));

    // Retiring the key that signs hands signing to the newest published one.
    assert!(sim.retire_openid_key(&hidden));
    let token = sim.sign_id_token(&claims(now));
    assert_eq!(verify(&token, &keys(&sim), now), Ok("U0SIM".into()));
    assert!(token.starts_with(&sim.sign_id_token_with(&new, &claims(now)).unwrap()[..20]));
}

#[test]
fn discovery_document() {
    let sim = Sim::new();
    let get = |uri: &str| {
        let request = http::Request::get(uri).body(Vec::new()).unwrap();
        sim.handle(&request)
    };
    let response = get("http://127.0.0.1:9/.well-known/openid-configuration");
    assert_eq!(response.status(), 200);
    let doc: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(doc["issuer"], "https://slack.com");
    assert_eq!(doc["jwks_uri"], "http://127.0.0.1:9/openid/connect/keys");
    assert_eq!(
        doc["token_endpoint"],
        "http://127.0.0.1:9/api/openid.connect.token"
    );
    assert_eq!(
        doc["userinfo_endpoint"],
        "http://127.0.0.1:9/api/openid.connect.userInfo"
    );
    assert_eq!(
        doc["authorization_endpoint"],
        "http://127.0.0.1:9/openid/connect/authorize"
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert_eq!(doc["response_types_supported"], json!(["code"]));

    sim.set_openid_issuer("http://127.0.0.1:9");
    assert_eq!(sim.openid_issuer(), "http://127.0.0.1:9");
    let doc: Value =
        serde_json::from_slice(get("http://127.0.0.1:9/.well-known/openid-configuration").body())
            .unwrap();
    assert_eq!(doc["issuer"], "http://127.0.0.1:9");
    // A path-only request (as a server sees it) takes the origin from Host.
    let request = http::Request::get("/.well-known/openid-configuration")
        .header("host", "127.0.0.1:4000")
        .body(Vec::new())
        .unwrap();
    let doc: Value = serde_json::from_slice(sim.handle(&request).body()).unwrap();
    assert_eq!(doc["jwks_uri"], "http://127.0.0.1:4000/openid/connect/keys");

    let post = http::Request::post("http://127.0.0.1:9/openid/connect/keys")
        .body(Vec::new())
        .unwrap();
    assert_eq!(sim.handle(&post).status(), 405);
}

#[test]
fn the_server_serves_the_key_set() {
    let sim = Sim::new();
    let server = Server::start(sim.clone()).unwrap();
    let api = Api::new().with_base_url(&server.base_url()).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into();
    let response = agent.run(keys_request(&api).unwrap()).expect("an answer");
    let (parts, mut body) = response.into_parts();
    let response = Response::from_parts(parts, body.read_to_vec().unwrap());
    let set = Jwks::parse(&response).unwrap();
    let now = sim.now();
    assert_eq!(
        verify(&sim.sign_id_token(&claims(now)), &set, now),
        Ok("U0SIM".into())
    );
}

// ---------------------------------------------------------------- the whole flow

fn openid_app() -> AppConfig {
    AppConfig::new(ID, SECRET).redirect_uri(REDIRECT)
}

/// Approves a Sign in with Slack URL and returns the code.
fn approve(sim: &Sim, url: &slack_oauth_core::openid::AuthorizeUrl) -> String {
    let redirect = sim.approve(&url.build().unwrap()).unwrap();
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    redirect
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned()
}

fn token(sim: &Sim, request: http::Request<Vec<u8>>) -> slack_oauth_core::openid::TokenResponse {
    slack_oauth_core::parse::<Token, _>(&sim.handle(&request))
        .expect("a token answer")
        .value
}

#[test]
fn sign_in_with_slack_end_to_end() {
    use slack_oauth_core::openid::{AuthorizeUrl, Scope};
    let sim = Sim::new();
    sim.register_app(openid_app());
    let nonce = Nonce::new("n-abc").unwrap();
    let url = AuthorizeUrl::new(ID)
        .scopes([Scope::Profile, Scope::Email])
        .redirect_uri(REDIRECT)
        .state(&slack_oauth_core::authorize::State::new("st-1").unwrap())
        .nonce(&nonce);
    let redirect = sim.approve(&url.build().unwrap()).unwrap();
    assert!(redirect.contains("state=st-1"), "{redirect}");
    let code = redirect
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();

    let exchange = api(SECRET)
        .request(&Token::code(code).redirect_uri(REDIRECT))
        .unwrap();
    let answer = token(&sim, exchange.clone());
    assert!(answer.access_token.expose().starts_with("xoxp-"));
    assert_eq!(answer.token_type.as_deref(), Some("Bearer"));
    assert_eq!(answer.refresh_token, None);

    let now = sim.now();
    let claims = Verifier::new(ID)
        .verify(&answer, &keys(&sim), Some(&nonce), now)
        .expect("the simulator's id_token verifies");
    assert_eq!(claims.iss, "https://slack.com");
    assert_eq!(claims.aud, [ID]);
    assert_eq!(claims.exp, now + 300);
    assert_eq!(claims.nonce.as_deref(), Some("n-abc"));
    assert!(claims.at_hash.is_some());
    let p = &claims.profile;
    assert_eq!(p.user_id.as_deref(), Some(claims.sub.as_str()));
    assert!(p.team_id.is_some() && p.team_name.is_some() && p.team_domain.is_some());
    assert!(p.email.is_some() && p.email_verified == Some(true));
    assert_eq!(p.given_name.as_deref(), Some("Sim"));

    // The code is spent; the OAuth method refuses Sign in with Slack codes.
    assert_eq!(error(&sim.handle(&exchange)), "invalid_code");
    let code2 = approve(&sim, &url);
    let oauth = api(SECRET)
        .request(&slack_oauth_core::oauth_v2::UserAccess::code(&*code2).redirect_uri(REDIRECT))
        .unwrap();
    assert_eq!(
        error(&sim.handle(&oauth)),
        "oauth_authorization_url_mismatch"
    );
    // Another redirect URI than the one sent: refused, as Slack does.
    let wrong = api(SECRET)
        .request(&Token::code(&*code2).redirect_uri("https://example.com/other"))
        .unwrap();
    assert_eq!(error(&sim.handle(&wrong)), "bad_redirect_uri");

    // userInfo with the user token: the same user, the profile, no id_token-only claims.
    let info = slack_oauth_core::parse::<UserInfo, _>(
        &sim.handle(
            &Api::new()
                .request(&UserInfo::new(answer.access_token.expose()))
                .unwrap(),
        ),
    )
    .unwrap()
    .value;
    assert_eq!(info.sub, claims.sub);
    assert_eq!(info.profile.email, claims.profile.email);
    assert_eq!(info.profile.team_id, claims.profile.team_id);
    assert!(!info.profile.extra.contains_key("iss") && !info.profile.extra.contains_key("nonce"));
    assert_eq!(sim.calls("openid.connect.userInfo"), 1);
}

#[test]
fn no_nonce_gives_slacks_empty_nonce_and_openid_only_gives_no_profile() {
    use slack_oauth_core::openid::AuthorizeUrl;
    let sim = Sim::new();
    sim.register_app(openid_app());
    let code = approve(&sim, &AuthorizeUrl::new(ID).redirect_uri(REDIRECT));
    let answer = token(
        &sim,
        api(SECRET)
            .request(&Token::code(&*code).redirect_uri(REDIRECT))
            .unwrap(),
    );
    let now = sim.now();
    let claims = Verifier::new(ID)
        .verify(&answer, &keys(&sim), None, now)
        .unwrap();
    assert_eq!(claims.nonce.as_deref(), Some(""));
    assert_eq!(claims.profile.email, None);
    assert_eq!(claims.profile.name, None);
    // Sent a nonce now, Slack's "" is no longer accepted.
    let err = Verifier::new(ID)
        .verify(&answer, &keys(&sim), Some(&Nonce::new("n").unwrap()), now)
        .unwrap_err();
    assert_eq!(err.code(), "nonce_mismatch");
}

#[test]
fn token_rotation_refreshes_with_a_new_id_token() {
    use slack_oauth_core::openid::AuthorizeUrl;
    let sim = Sim::new();
    sim.register_app(openid_app().token_rotation(true));
    let code = approve(&sim, &AuthorizeUrl::new(ID).redirect_uri(REDIRECT));
    let first = token(
        &sim,
        api(SECRET)
            .request(&Token::code(&*code).redirect_uri(REDIRECT))
            .unwrap(),
    );
    assert!(first.access_token.expose().starts_with("xoxe.xoxp-"));
    assert_eq!(first.expires_in, Some(43_200));
    let refresh = first.refresh_token.clone().expect("a refresh token");
    sim.advance(60);
    let second = token(
        &sim,
        api(SECRET)
            .request(&Token::refresh(refresh.clone()))
            .unwrap(),
    );
    assert_ne!(second.access_token, first.access_token);
    let claims = Verifier::new(ID)
        .verify(&second, &keys(&sim), None, sim.now())
        .unwrap();
    assert_eq!(claims.iat, sim.now());
    // Single use, as for OAuth.
    let again = api(SECRET).request(&Token::refresh(refresh)).unwrap();
    assert_eq!(error(&sim.handle(&again)), "invalid_refresh_token");
}

#[test]
fn the_authorize_page_refuses_what_slack_refuses() {
    let sim = Sim::new();
    sim.register_app(openid_app());
    let page = "https://slack.com/openid/connect/authorize";
    let refused = |query: &str| sim.approve(&format!("{page}?{query}")).unwrap_err().code();
    assert_eq!(
        refused("response_type=code&scope=openid&client_id=9.9"),
        "invalid_client_id"
    );
    assert_eq!(
        refused(&format!("response_type=token&scope=openid&client_id={ID}")),
        "unsupported_response_type"
    );
    assert_eq!(
        refused(&format!(
            "response_type=code&scope=openid,chat:write&client_id={ID}"
        )),
        "invalid_scope"
    );
    assert_eq!(
        refused(&format!("response_type=code&scope=profile&client_id={ID}")),
        "invalid_scope"
    );
    assert_eq!(
        refused(&format!(
            "response_type=code&scope=openid&client_id={ID}&redirect_uri=https://evil.example/cb"
        )),
        "bad_redirect_uri"
    );
    // Spaces and `+` between scopes, as some clients send them.
    for scopes in ["openid%20email", "openid+email", "openid,email"] {
        let url = format!("{page}?response_type=code&scope={scopes}&client_id={ID}");
        assert!(sim.approve(&url).is_ok(), "{scopes}");
    }
    let denied = sim
        .deny(&format!(
            "{page}?response_type=code&scope=openid&client_id={ID}&state=s"
        ))
        .unwrap();
    assert!(
        denied.contains("error=access_denied") && denied.contains("state=s"),
        "{denied}"
    );

    // A browser gets the consent page, the Sign in with Slack scopes listed as the user's.
    let request = http::Request::get(format!(
        "{page}?response_type=code&scope=openid,email&client_id={ID}"
    ))
    .header("accept", "text/html")
    .body(Vec::new())
    .unwrap();
    let response = sim.handle(&request);
    assert_eq!(response.status(), 200);
    let html = String::from_utf8(response.into_body()).unwrap();
    assert!(
        html.contains("user-scopes") && html.contains("<code>email</code>"),
        "{html}"
    );
}

#[test]
fn keys_and_issuer_over_http() {
    let sim = Sim::new();
    sim.register_app(openid_app());
    let server = Server::start(sim.clone()).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into();
    let call = |method: &str, path: &str| -> (u16, Value) {
        let request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", server.url()))
            .body(Vec::new())
            .unwrap();
        let response = agent.run(request).expect("an answer");
        let status = response.status().as_u16();
        let body = response.into_body().read_to_vec().unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    };
    let (_, state) = call("GET", "/_sim/openid");
    assert_eq!(state["issuer"], "https://slack.com");
    let old = state["keys"][0].as_str().unwrap().to_owned();
    let (status, rotated) = call("POST", "/_sim/openid/rotate");
    assert_eq!(status, 200);
    let new = rotated["kid"].as_str().unwrap().to_owned();
    assert_eq!(
        call("GET", "/openid/connect/keys").1["keys"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (status, retired) = call("POST", &format!("/_sim/openid/retire?kid={old}"));
    assert_eq!((status, retired["keys"].clone()), (200, json!([new])));
    assert_eq!(call("POST", "/_sim/openid/retire?kid=nope").0, 404);
    assert_eq!(call("POST", "/_sim/openid/retire").0, 400);
    assert_eq!(call("POST", "/_sim/openid/other").0, 404);

    // The issuer set to the server's origin, as a client discovering it there expects.
    let (status, _) = call(
        "POST",
        &format!("/_sim/openid/issuer?issuer={}", server.url()),
    );
    assert_eq!(status, 200);
    let (_, doc) = call("GET", "/.well-known/openid-configuration");
    assert_eq!(doc["issuer"], server.url());
    assert_eq!(
        doc["jwks_uri"],
        format!("{}/openid/connect/keys", server.url())
    );
    let url = slack_oauth_core::openid::AuthorizeUrl::new(ID).redirect_uri(REDIRECT);
    let code = approve(&sim, &url);
    let answer = token(
        &sim,
        api(SECRET)
            .request(&Token::code(&*code).redirect_uri(REDIRECT))
            .unwrap(),
    );
    let keys = keys(&sim);
    let now = sim.now();
    assert_eq!(
        Verifier::new(ID)
            .verify(&answer, &keys, None, now)
            .unwrap_err()
            .code(),
        "wrong_issuer"
    );
    assert!(Verifier::new(ID)
        .with_issuer(server.url())
        .verify(&answer, &keys, None, now)
        .is_ok());
}
