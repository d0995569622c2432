//! The canary test: every public type and error that can hold a secret is built with a
//! canary string inside, and neither `{:?}` nor `{}` may print it.
//!
//! Each entry also proves the canary really went in (through `expose()`, the request it
//! builds, or the body it was parsed from), so an entry cannot pass by holding nothing.
//!
//! To cover a new type, add it to one of the `*_entries` functions below; types of the
//! install/rotation modules, the store and the shared transport errors go in
//! [`install_and_rotation_entries`].

use std::fmt::{Debug, Display};
use std::sync::Arc;

use slack_oauth_core::apps_auth_external::{Delete, Get};
use slack_oauth_core::oauth_v2::AccessResponse;
use slack_oauth_core::oauth_v2::{Access, Exchange, UserAccess};
use slack_oauth_core::tooling_tokens::Rotate;
use slack_oauth_core::{
    authorize::CodeVerifier,
    error::BuildError,
    keeper::KeeperError,
    method::ClientAuth,
    parse,
    secret::{
        AuthCode, ClientSecret, ConfigToken, ExternalToken, IdToken, RefreshToken, StateKey,
        WebhookUrl,
    },
    transport, AccessToken, Api, ClientCredentials, Installation, MemoryStore, Method, Store,
};

const CANARY: &str = "CANARY-9f3a7c";

/// The formatted forms of everything under test, by name.
#[derive(Default)]
struct Entries {
    shown: Vec<(String, String)>,
}

impl Entries {
    /// A value with `Debug` only.
    fn debug(&mut self, name: &str, value: &dyn Debug) {
        self.shown
            .push((format!("{name} {{:?}}"), format!("{value:?}")));
        self.shown
            .push((format!("{name} {{:#?}}"), format!("{value:#?}")));
    }

    /// A value with `Debug` and `Display`.
    fn both<T: Debug + Display + ?Sized>(&mut self, name: &str, value: &T) {
        self.debug(name, &value);
        self.shown
            .push((format!("{name} {{}}"), format!("{value}")));
    }
}

/// Asserts that `holder` really carries the canary (so the entry tests something).
fn holds(what: &str, holder: &str) {
    assert!(holder.contains(CANARY), "{what} does not hold the canary");
}

fn canary() -> String {
    format!("xoxe.xoxb-1-{CANARY}")
}

fn secret_entries(e: &mut Entries) {
    macro_rules! secret {
        ($($ty:ident),* $(,)?) => {$(
            let value = $ty::new(canary());
            holds(stringify!($ty), value.expose());
            e.both(stringify!($ty), &value);
            let from_json: $ty = serde_json::from_value(serde_json::json!(canary())).unwrap();
            holds(stringify!($ty), from_json.expose());
            e.both(concat!(stringify!($ty), " from JSON"), &from_json);
            e.debug(concat!("Option<", stringify!($ty), ">"), &Some(value));
        )*};
    }
    secret!(
        ClientSecret,
        AccessToken,
        RefreshToken,
        ConfigToken,
        AuthCode,
        CodeVerifier,
        ExternalToken,
        IdToken,
        WebhookUrl,
        StateKey,
    );

    let credentials = ClientCredentials::new("111.222", canary());
    holds(
        "ClientCredentials",
        credentials.client_secret.as_ref().unwrap().expose(),
    );
    e.debug("ClientCredentials", &credentials);

    for client_auth in [ClientAuth::Basic, ClientAuth::Body] {
        let api = Api::gov()
            .with_credentials(credentials.clone())
            .with_client_auth(client_auth);
        let request = api.request(&Access::code("c")).unwrap();
        if client_auth == ClientAuth::Body {
            holds("Api", &String::from_utf8_lossy(request.body()));
        }
        e.debug("Api", &api);
        // The Authorization header is sensitive, so even a dump of the headers hides it.
        e.debug("request headers", request.headers());
    }
}

/// Builds `method`'s request, checks the canary went into it, and records the method.
fn method<M: Method + Debug>(e: &mut Entries, name: &str, method: M) {
    let api = Api::new().with_credentials(ClientCredentials::new("111.222", "s"));
    let request = api.request(&method).unwrap();
    let sent = format!(
        "{} {:?}",
        String::from_utf8_lossy(request.body()),
        request.headers().get("authorization")
    );
    // A sensitive HeaderValue's Debug is hidden: read the bearer token directly instead.
    let bearer = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    holds(name, &format!("{sent} {bearer}"));
    e.debug(name, &method);
    e.debug(&format!("{name}.auth()"), &method.auth());
    e.debug(&format!("{name} headers"), request.headers());
}

fn method_entries(e: &mut Entries) {
    let c = canary();
    method(
        e,
        "Access::code",
        Access::code(c.clone())
            .redirect_uri("https://example.com/cb")
            .code_verifier(c.clone()),
    );
    method(e, "Access::refresh", Access::refresh(c.clone()));
    method(
        e,
        "UserAccess::code",
        UserAccess::code(c.clone()).code_verifier(c.clone()),
    );
    method(e, "UserAccess::refresh", UserAccess::refresh(c.clone()));
    method(e, "Exchange", Exchange::new(c.clone()));
    method(e, "Rotate", Rotate::new(c.clone()));
    method(e, "Get", Get::new(c.clone(), "Et1").force_refresh(true));
    method(
        e,
        "Delete",
        Delete::new(c.clone()).app_id("A1").provider_key("google"),
    );
}

fn response<M: Method>(body: &str) -> http::Response<Vec<u8>> {
    let body = body.replace("{C}", &canary());
    holds(M::NAME, &body);
    http::Response::new(body.into_bytes())
}

fn response_entries(e: &mut Entries) {
    let access = response::<Access>(
        r#"{"ok":true,"app_id":"A1","access_token":"{C}","token_type":"bot","refresh_token":"{C}",
        "team":{"id":"T1"},"enterprise":{"id":"E1","name":"Org"},"id_token":"{C}",
        "authed_user":{"id":"U1","access_token":"{C}","refresh_token":"{C}"},
        "incoming_webhook":{"url":"https:\/\/hooks.slack.com\/{C}","channel":"c"}}"#,
    );
    for reply in [
        parse::<Access, _>(&access).unwrap(),
        parse::<UserAccess, _>(&access).unwrap(),
        parse::<Exchange, _>(&access).unwrap(),
    ] {
        let v = &reply.value;
        holds("AccessResponse", v.bot_token().unwrap().expose());
        holds("AuthedUser", v.user_token().unwrap().expose());
        holds(
            "IncomingWebhook",
            v.incoming_webhook.as_ref().unwrap().url.expose(),
        );
        e.debug("Reply<AccessResponse>", &reply);
        e.debug("AuthedUser", v.authed_user.as_ref().unwrap());
        e.debug("IncomingWebhook", v.incoming_webhook.as_ref().unwrap());
        e.debug("Team", v.team.as_ref().unwrap());
        e.debug("Enterprise", v.enterprise.as_ref().unwrap());
    }

    let rotate = response::<Rotate>(
        r#"{"ok":true,"token":"{C}","refresh_token":"{C}","team_id":"T1","user_id":"U1","iat":1,"exp":2}"#,
    );
    let reply = parse::<Rotate, _>(&rotate).unwrap();
    holds("RotateResponse", reply.value.token.expose());
    e.debug("Reply<RotateResponse>", &reply);

    let get = response::<Get>(r#"{"ok":true,"external_token":"{C}"}"#);
    let reply = parse::<Get, _>(&get).unwrap();
    holds("GetResponse", reply.value.external_token.expose());
    e.debug("Reply<GetResponse>", &reply);

    let delete = response::<Delete>(r#"{"ok":true,"leaked":"{C}"}"#);
    e.debug(
        "Reply<DeleteResponse>",
        &parse::<Delete, _>(&delete).unwrap(),
    );
}

/// Parses `body` (with `{C}` replaced by the canary) as `M` and records the error.
fn error<M: Method>(e: &mut Entries, name: &str, status: u16, content_type: &str, body: &[u8]) {
    // Byte-level replacement, so bodies may hold deliberate invalid UTF-8.
    let mut bytes = Vec::with_capacity(body.len() + 64);
    let mut rest = body;
    while let Some(at) = rest.windows(3).position(|w| w == b"{C}") {
        bytes.extend_from_slice(&rest[..at]);
        bytes.extend_from_slice(canary().as_bytes());
        rest = &rest[at + 3..];
    }
    bytes.extend_from_slice(rest);
    holds(name, &String::from_utf8_lossy(&bytes));
    let response = http::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("retry-after", "5")
        .body(bytes)
        .unwrap();
    match parse::<M, _>(&response) {
        Ok(_) => panic!("{name}: expected an error"),
        Err(err) => {
            // The entry's name says which variant it builds; check it does.
            let variant = match name.split(' ').next() {
                Some("Slack") => "Slack(",
                Some(other) => other,
                None => unreachable!(),
            };
            assert!(format!("{err:?}").starts_with(variant), "{name}: {err:?}");
            e.both(name, &err);
        }
    }
}

fn error_entries(e: &mut Entries) {
    let json = "application/json";
    // Slack errors whose bodies also carry token-like fields.
    error::<Access>(
        e,
        "Slack error",
        200,
        json,
        br#"{"ok":false,"error":"invalid_code","access_token":"{C}","authed_user":{"access_token":"{C}"}}"#,
    );
    error::<Rotate>(
        e,
        "Slack error (error first)",
        200,
        json,
        br#"{"access_token":"{C}","ok":false,"error":"invalid_refresh_token","token":"{C}"}"#,
    );
    error::<Get>(
        e,
        "Slack error at 503",
        503,
        json,
        br#"{"ok":false,"error":"service_unavailable","external_token":"{C}"}"#,
    );
    // Rate limits.
    error::<Access>(
        e,
        "RateLimited (429)",
        429,
        json,
        br#"{"ok":false,"error":"ratelimited","access_token":"{C}"}"#,
    );
    error::<Exchange>(
        e,
        "RateLimited (429, HTML)",
        429,
        "text/html",
        b"<p>{C}</p>",
    );
    error::<Rotate>(
        e,
        "RateLimited (200)",
        200,
        json,
        br#"{"ok":false,"error":"ratelimited","token":"{C}"}"#,
    );
    // Success bodies of the wrong shape.
    error::<Rotate>(
        e,
        "UnexpectedShape (missing field)",
        200,
        json,
        br#"{"ok":true,"refresh_token":"{C}","team_id":"{C}","user_id":"U","iat":1,"exp":2}"#,
    );
    error::<Rotate>(
        e,
        "UnexpectedShape (wrong type)",
        200,
        json,
        br#"{"ok":true,"token":"t","refresh_token":"r","team_id":"T","user_id":"U","iat":"{C}","exp":2}"#,
    );
    error::<Access>(
        e,
        "UnexpectedShape (wrong nested type)",
        200,
        json,
        br#"{"ok":true,"team":{"id":"{C}","name":["{C}"]},"authed_user":"{C}"}"#,
    );
    error::<Get>(
        e,
        "UnexpectedShape (object for a string)",
        200,
        json,
        br#"{"ok":true,"external_token":{"{C}":"{C}"}}"#,
    );
    // Bodies that are not Slack answers.
    error::<Access>(
        e,
        "Http (HTML)",
        502,
        "text/html",
        b"<html><head><title>502 Bad Gateway</title></head><body>{C}</body></html>",
    );
    error::<Access>(
        e,
        "Http (truncated)",
        200,
        json,
        br#"{"ok":true,"access_token":"{C}","refresh_token":"{C"#,
    );
    error::<Rotate>(
        e,
        "Http (invalid UTF-8)",
        200,
        json,
        b"{\"ok\":true,\"token\":\"{C}\xff\"}",
    );
    error::<Get>(
        e,
        "Http (malformed)",
        200,
        json,
        br#"{"ok":true,"external_token":{C}}"#,
    );
    error::<Delete>(e, "Http (array)", 200, json, br#"["{C}",{"ok":true}]"#);
    error::<Access>(e, "Http (no ok)", 200, json, br#"{"access_token":"{C}"}"#);
    error::<Access>(
        e,
        "Http (ok at 500)",
        500,
        json,
        br#"{"ok":true,"access_token":"{C}"}"#,
    );
}

fn build_error_entries(e: &mut Entries) {
    let c = canary();
    let mut record = |name: &str, err: BuildError| e.both(name, &err);
    for url in [
        format!("https://user:{c}@slack.com/api"),
        format!("http://user:{c}@127.0.0.1/api"),
        format!("https://slack.com/api?token={c}"),
        format!("https://slack.com/api#{c}"),
        format!("{c}://slack.com/api"),
        format!("not a url {c}"),
    ] {
        holds("base URL", &url);
        record(
            "BuildError (base URL)",
            Api::new().with_base_url(&url).unwrap_err(),
        );
    }
    let bad_token = format!("{c}\n");
    record(
        "BuildError (bearer)",
        Api::new()
            .request(&Get::new(bad_token.clone(), "Et1"))
            .unwrap_err(),
    );
    record(
        "BuildError (exchange)",
        Api::new()
            .with_credentials(ClientCredentials::new("1.2", c.clone()))
            .request(&Exchange::new(bad_token.clone()))
            .unwrap_err(),
    );
    record(
        "BuildError (user agent)",
        Api::new().with_user_agent_suffix(&bad_token).unwrap_err(),
    );
    record(
        "BuildError (no credentials)",
        Api::new().request(&Access::code(c.clone())).unwrap_err(),
    );
    record(
        "BuildError (public client)",
        Api::new()
            .with_credentials(ClientCredentials::public("1.2"))
            .request(&Exchange::new(c.clone()))
            .unwrap_err(),
    );
}

// ===== Install / rotation types (authorize, pkce, state, installation, rotation) =========
// The install flow's own types (Installation, TokenSet, ConfigTokens, State, StateSigner,
// Callback, decisions and their errors) are printed by `canary_secrets_never_print` in
// tests/install.rs. Here: what stores and moves them - the store and its records, and the
// transport and keeper errors every transport shares.
fn install_and_rotation_entries(e: &mut Entries) {
    let body = format!(
        r#"{{"ok":true,"app_id":"A1","access_token":"{c}","token_type":"bot","expires_in":43200,
            "refresh_token":"{c}","team":{{"id":"T1"}},"authed_user":{{"id":"U1","access_token":"{c}"}}}}"#,
        c = canary()
    );
    let answer: AccessResponse = serde_json::from_str(&body).unwrap();
    let installation = Installation::from_access(answer, 1_700_000_000).unwrap();
    holds(
        "Installation",
        installation.bot.as_ref().unwrap().token.expose(),
    );
    let store = MemoryStore::new();
    Store::put(&store, "T1", &installation).unwrap();
    let record = Store::load(&store, "T1").unwrap().unwrap();
    holds("Record", record.value.bot.as_ref().unwrap().token.expose());
    e.debug("MemoryStore<Installation>", &store);
    e.debug("Record<Installation>", &record);

    let spent = http::Response::new(
        format!(
            r#"{{"ok":false,"error":"invalid_refresh_token","refresh_token":"{}"}}"#,
            canary()
        )
        .into_bytes(),
    );
    holds("refresh answer", &String::from_utf8_lossy(spent.body()));
    let err = transport::Error::Response(parse::<Rotate, _>(&spent).unwrap_err());
    e.both("transport::Error", &err);
    let keeper = KeeperError::Refresh {
        key: "T1".into(),
        token: slack_oauth_core::keeper::KeptToken::Bot,
        error: Arc::new(err),
    };
    e.both("KeeperError::Refresh", &keeper);
    let url = format!("http://u:{}@example.com/api", canary());
    let refused = transport::Error::from(
        slack_oauth_core::method::BaseUrl::check_request(&url.parse().unwrap()).unwrap_err(),
    );
    e.both("transport::Error from BaseUrl::check_request", &refused);

    // What the keeper holds (its cache holding the token), and the web flow's forgetting,
    // hand around. The keeper's errands are checked in its own unit tests (they are private).
    let keeper = slack_oauth_core::keeper::Keeper::new(Offline(Api::new()), Arc::new(store))
        .with_clock(|| 1_700_000_000);
    let fresh = keeper.bot_token("T1");
    assert!(fresh.is_ok(), "the token is cached by the first look");
    holds("the keeper's token", fresh.unwrap().expose());
    e.debug("keeper::Keeper, its cache holding the token", &keeper);
    let blocking = slack_oauth_core::store::Blocking(MemoryStore::<Installation>::new());
    Store::put(&blocking.0, "T1", &installation).unwrap();
    e.debug("Blocking<MemoryStore<Installation>>", &blocking);

    let revoked = slack_oauth_core::web::Event::parse(
        br#"{"type":"event_callback","api_app_id":"A1","team_id":"T1",
            "event":{"type":"tokens_revoked","tokens":{"oauth":["U1"]}}}"#,
    )
    .unwrap();
    let mut forget = revoked.forget();
    let Some(slack_oauth_core::web::ForgetStep::Load(key)) = forget.next_step() else {
        panic!("tokens_revoked loads what it may change first");
    };
    assert_eq!(key, "T1");
    forget.found(Some(installation.clone()));
    let step = forget.next_step();
    assert!(
        matches!(step, Some(slack_oauth_core::web::ForgetStep::Save(..))),
        "{step:?}"
    );
    e.debug("web::ForgetStep::Save", &step);
}
// ===== end of the install / rotation list ================================================

/// A client that never reaches Slack, for a keeper that only hands out fresh tokens.
#[derive(Debug)]
struct Offline(Api);

impl transport::HttpClient for Offline {
    fn api(&self) -> &Api {
        &self.0
    }

    fn send(&self, _: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, transport::Error> {
        Err(transport::Error::Timeout)
    }

    fn now(&self) -> u64 {
        1_700_000_000
    }

    fn sleep(&self, _: std::time::Duration) {
        unreachable!("a fresh token needs no wait");
    }
}

#[test]
fn the_canary_never_prints() {
    let mut e = Entries::default();
    secret_entries(&mut e);
    method_entries(&mut e);
    response_entries(&mut e);
    error_entries(&mut e);
    build_error_entries(&mut e);
    install_and_rotation_entries(&mut e);

    assert!(e.shown.len() > 100, "only {} entries", e.shown.len());
    let leaks: Vec<String> = e
        .shown
        .iter()
        .filter(|(_, text)| text.contains(CANARY) || text.contains("9f3a7c"))
        .map(|(name, text)| format!("{name}: {text}"))
        .collect();
    assert!(
        leaks.is_empty(),
        "the canary printed:\n{}",
        leaks.join("\n")
    );
}

#[test]
fn the_check_would_catch_a_leak() {
    // The same machinery, on something that does print its contents.
    let mut e = Entries::default();
    e.both("a plain string", &canary());
    assert!(e.shown.iter().all(|(_, text)| text.contains(CANARY)));
}
