use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::Response;

use super::*;
use crate::auth::{Test, TestResponse};
use crate::oauth_v2::Access;
use crate::oauth_v2::AccessResponse;
use crate::transport;
use crate::{
    authorize::{AuthorizeError, CodeVerifier, StateError},
    installation::InstallationError,
    secret::StateKey,
    AuthorizeUrl, Reply,
};
use crate::{parse, Api, ClientCredentials, Method};

const NOW: u64 = 1_700_000_000;
const REDIRECT: &str = "https://app.example.com/slack/oauth_redirect";

fn flow() -> InstallFlow {
    InstallFlow::new(
        AuthorizeUrl::new("111.222")
            .bot_scopes(["chat:write", "commands"])
            .user_scopes(["search:read"]),
        REDIRECT,
        StateKey::from_random_bytes(&[9; 32]).unwrap(),
    )
    .unwrap()
    .with_app_name("Acme <Bot>")
}

fn random(seed: u8) -> [u8; INSTALL_RANDOM_BYTES] {
    let mut bytes = [seed; INSTALL_RANDOM_BYTES];
    bytes[0] = seed.wrapping_add(1);
    bytes[47] = seed.wrapping_mul(3);
    bytes
}

fn get(uri: &str) -> http::Request<()> {
    http::Request::get(uri).body(()).unwrap()
}

fn with_cookie(uri: &str, cookie: &str) -> http::Request<()> {
    http::Request::get(uri)
        .header("cookie", cookie)
        .body(())
        .unwrap()
}

fn body(response: &Response<Vec<u8>>) -> String {
    String::from_utf8(response.body().clone()).unwrap()
}

/// The success page a successful redirect's 303 leads to, as the browser GETs it at `now`.
fn success_page(flow: &InstallFlow, installed: &Installed, now: u64) -> Response<Vec<u8>> {
    let answer = flow.success(installed);
    assert_eq!(answer.status(), 303);
    assert_clears_cookie(&answer);
    let location = answer.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("https://app.example.com/slack/install?installed="),
        "{location}"
    );
    let page = flow.install_page(&get(location), now, &random(99));
    assert!(page.headers().get("set-cookie").is_none(), "no new state");
    page
}

/// The authorize URL the page's button links to.
fn button_url(page: &Response<Vec<u8>>) -> String {
    let text = body(page);
    let start = text.find("id=\"add-to-slack\" href=\"").unwrap() + 24;
    let end = start + text[start..].find('"').unwrap();
    text[start..end].replace("&amp;", "&")
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// `name=value` of the page's Set-Cookie, and the whole header.
fn set_cookie(response: &Response<Vec<u8>>) -> (String, String) {
    let header = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let pair = header.split(';').next().unwrap().to_owned();
    (pair, header)
}

/// Starts an install in one "browser": the redirect Slack would send back, and the cookie.
fn start(flow: &InstallFlow, seed: u8) -> (String, String, String) {
    let page = flow.install_page(&get("/slack/install"), NOW, &random(seed));
    let url = button_url(&page);
    let state = query_param(&url, "state").unwrap();
    let (cookie, _) = set_cookie(&page);
    let redirect = format!("/slack/oauth_redirect?code=4724.1234&state={state}");
    (redirect, cookie, url)
}

fn access_answer() -> Result<Reply<AccessResponse>, transport::Error> {
    let response = http::Response::new(
        br#"{"ok":true,"app_id":"A1","access_token":"xoxb-SECRET-BOT","token_type":"bot",
             "scope":"chat:write,commands","bot_user_id":"UBOT","team":{"id":"T1","name":"Acme & Co"},
             "enterprise":null,"is_enterprise_install":false,
             "authed_user":{"id":"U1","scope":"search:read","access_token":"xoxp-SECRET-USER","token_type":"user"}}"#
            .to_vec(),
    );
    parse::<Access, _>(&response).map_err(transport::Error::Response)
}

fn refused(code: &str) -> Result<Reply<AccessResponse>, transport::Error> {
    let response = http::Response::new(format!(r#"{{"ok":false,"error":"{code}"}}"#).into_bytes());
    parse::<Access, _>(&response).map_err(transport::Error::Response)
}

fn auth_test_answer() -> Result<Reply<TestResponse>, transport::Error> {
    let response = http::Response::new(
        br#"{"ok":true,"url":"https://acme.slack.com/","team":"Acme & Co","team_id":"T1",
             "user_id":"UBOT","bot_id":"B1"}"#
            .to_vec(),
    );
    parse::<Test, _>(&response).map_err(transport::Error::Response)
}

fn assert_clears_cookie(response: &Response<Vec<u8>>) {
    let (pair, header) = set_cookie(response);
    assert_eq!(pair, "__Host-slack_oauth_state=");
    assert!(header.contains("Max-Age=0"), "{header}");
}

fn assert_no_secrets(text: &str, cookie: &str) {
    for secret in [
        "xoxb-",
        "xoxp-",
        "4724.1234",
        &cookie["__Host-slack_oauth_state=".len()..],
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

/// `Debug` of the flow's steps shows no token, code, verifier or cookie value (token prefixes
/// such as `xoxb-` may show: they are no secret).
fn assert_debug_hides_secrets(shown: &str, cookie: &str) {
    for secret in [
        "SECRET-BOT",
        "SECRET-USER",
        "4724.1234",
        &cookie["__Host-slack_oauth_state=".len()..],
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

#[test]
fn install_page_shows_the_button_and_sets_the_cookie() {
    let flow = flow();
    let page = flow.install_page(&get("/slack/install"), NOW, &random(1));
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let text = body(&page);
    assert!(text.contains("Add Acme &lt;Bot&gt; to Slack"), "{text}");
    let url = button_url(&page);
    assert!(url.starts_with("https://slack.com/oauth/v2/authorize?client_id=111.222&scope=chat:write,commands&user_scope=search:read&redirect_uri="), "{url}");
    assert_eq!(query_param(&url, "redirect_uri").as_deref(), Some(REDIRECT));
    assert!(query_param(&url, "code_challenge").is_none());
    let state = query_param(&url, "state").unwrap();

    // https: the `__Host-` form, which no other host can set for this one.
    let (pair, header) = set_cookie(&page);
    assert!(pair.starts_with("__Host-slack_oauth_state="), "{pair}");
    assert_eq!(
        header,
        format!("{pair}; Path=/; Max-Age=600; HttpOnly; SameSite=Lax; Secure")
    );
    // Asked not to: the plain name, scoped to the redirect URI's path.
    let plain = flow.clone().with_host_cookie(false);
    let (plain_pair, plain_header) = set_cookie(&plain.install_page(&get("/"), NOW, &random(1)));
    assert!(plain_pair.starts_with("slack_oauth_state="), "{plain_pair}");
    assert!(
        plain_header.contains("; Path=/slack/oauth_redirect; ")
            && plain_header.ends_with("; Secure"),
        "{plain_header}"
    );
    let value = &pair["__Host-slack_oauth_state=".len()..];
    assert_eq!(value.len(), 43);
    assert_ne!(value, state);
    // The page carries the state (it must travel to Slack) but never the cookie's value.
    assert!(!text.contains(value));
    // Different random bytes, different cookie and state.
    let other = flow.install_page(&get("/slack/install"), NOW, &random(2));
    assert_ne!(set_cookie(&other).0, pair);
    assert_ne!(query_param(&button_url(&other), "state").unwrap(), state);

    let post = http::Request::post("/slack/install").body(()).unwrap();
    assert_eq!(flow.install_page(&post, NOW, &random(1)).status(), 405);
}

#[test]
fn install_page_can_redirect_straight_to_slack() {
    let flow = flow()
        .with_install_page(InstallPage::Redirect)
        .with_pkce(true);
    let page = flow.install_page(&get("/slack/install"), NOW, &random(1));
    assert_eq!(page.status(), 302);
    let location = page.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("https://slack.com/oauth/v2/authorize?"));
    assert_eq!(
        query_param(location, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(page.headers().contains_key("set-cookie"));
}

#[test]
fn loopback_redirect_uris_get_a_cookie_without_secure() {
    let flow = InstallFlow::new(
        AuthorizeUrl::new("1.2").bot_scopes(["chat:write"]),
        "http://127.0.0.1:3000/cb",
        StateKey::from_random_bytes(&[1; 32]).unwrap(),
    )
    .unwrap()
    .with_cookie_name("install")
    .with_state_max_age(120);
    let page = flow.install_page(&get("/"), NOW, &random(3));
    let (_, header) = set_cookie(&page);
    assert!(header.starts_with("install="));
    assert!(
        header.ends_with("; Path=/cb; Max-Age=120; HttpOnly; SameSite=Lax"),
        "{header}"
    );
}

#[test]
fn the_whole_install_with_pkce() {
    let flow = flow().with_pkce(true);
    let (redirect, cookie, url) = start(&flow, 5);
    let exchange = flow
        .redirect(&with_cookie(&redirect, &cookie), NOW + 30)
        .unwrap();
    assert_debug_hides_secrets(&format!("{exchange:?}"), &cookie);

    // The exchange carries the code, the redirect URI and the verifier of the challenge.
    let api = Api::new().with_credentials(ClientCredentials::new("111.222", "secret"));
    let request = api.request(exchange.access()).unwrap();
    assert_eq!(request.uri(), "https://slack.com/api/oauth.v2.access");
    let args: Vec<(String, String)> = form_urlencoded::parse(request.body())
        .into_owned()
        .collect();
    let arg = |name: &str| args.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(arg("code").as_deref(), Some("4724.1234"));
    assert_eq!(arg("redirect_uri").as_deref(), Some(REDIRECT));
    let verifier = CodeVerifier::parse(arg("code_verifier").unwrap()).unwrap();
    assert_eq!(
        Some(verifier.challenge().as_str().to_owned()),
        query_param(&url, "code_challenge")
    );
    assert_eq!(<Access as Method>::NAME, "oauth.v2.access");

    let check = exchange.exchanged(access_answer(), NOW + 31).unwrap();
    assert_debug_hides_secrets(&format!("{check:?}"), &cookie);
    assert_eq!(check.installation().key(), "T1");
    let test = check.auth_test().unwrap();
    let test_request = api.request(&test).unwrap();
    assert_eq!(
        test_request.headers()["authorization"],
        "Bearer xoxb-SECRET-BOT"
    );
    let installed = check.finish(Some(auth_test_answer()));
    assert_debug_hides_secrets(&format!("{installed:?}"), &cookie);
    // The key a keeper's install returns: the bot record of app A1 in workspace T1.
    assert_eq!(installed.key, "A1//T1/bot");
    assert_eq!(installed.bot_id.as_deref(), Some("B1"));
    // Stored with the installation, so a reader of the store knows the bot too.
    assert_eq!(installed.installation.bot_id.as_deref(), Some("B1"));
    assert_eq!(
        installed.deep_link().as_deref(),
        Some("slack://app?team=T1&id=A1")
    );
    assert_eq!(installed.installation.installed_at, NOW + 31);

    let page = success_page(&flow, &installed, NOW + 32);
    assert_eq!(page.status(), 200);
    let text = body(&page);
    assert!(
        text.contains("<strong id=\"team-name\">Acme &amp; Co</strong>"),
        "{text}"
    );
    assert!(
        text.contains("href=\"slack://app?team=T1&amp;id=A1\""),
        "{text}"
    );
    assert!(text.contains("https://acme.slack.com/"));
    assert_no_secrets(&text, &cookie);
    assert!(!text.contains(&query_param(&url, "state").unwrap()));
    // Reloaded a while later: the same page, and no Slack call (there is nothing to make).
    assert_eq!(body(&success_page(&flow, &installed, NOW + 600)), text);
}

#[test]
fn the_success_page_shows_only_what_this_app_signed_lately() {
    let flow = flow();
    let (redirect, cookie, _) = start(&flow, 21);
    let installed = flow
        .redirect(&with_cookie(&redirect, &cookie), NOW)
        .unwrap()
        .exchanged(access_answer(), NOW)
        .unwrap()
        .finish(Some(auth_test_answer()));
    let location = flow.success(&installed).headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let sealed = query_param(&location, "installed").unwrap();
    let shows = |uri: &str, now: u64| body(&flow.install_page(&get(uri), now, &random(3)));
    assert!(shows(&location, NOW + RECEIPT_MAX_AGE).contains("Installed in Acme"));
    // Too old, or from the future: the install page again (with a fresh state cookie).
    for now in [NOW + RECEIPT_MAX_AGE + 1, NOW - 120] {
        let page = flow.install_page(&get(&location), now, &random(3));
        assert!(body(&page).contains("id=\"add-to-slack\""));
        assert!(page.headers().get("set-cookie").is_some());
    }
    // Another team name with the old signature, or signed with another key: not shown.
    let (payload, mac) = sealed.split_once('.').unwrap();
    let json = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert!(json.contains("Acme & Co"), "{json}");
    let forged = URL_SAFE_NO_PAD.encode(json.replace("Acme & Co", "Evil Corp"));
    let forged = format!("/slack/install?installed={forged}.{mac}");
    assert!(!shows(&forged, NOW).contains("Evil Corp"));
    let other = InstallFlow::new(
        AuthorizeUrl::new("111.222").bot_scopes(["chat:write"]),
        REDIRECT,
        StateKey::from_random_bytes(&[8; 32]).unwrap(),
    )
    .unwrap();
    let elsewhere = other.install_page(&get(&location), NOW, &random(3));
    assert!(!body(&elsewhere).contains("Installed in"));
    // Nonsense never panics.
    for junk in ["", "x", ".", "a.b", "%FF.%FF", &"A".repeat(5000)] {
        let uri = format!("/slack/install?installed={junk}");
        assert!(body(&flow.install_page(&get(&uri), NOW, &random(3))).contains("add-to-slack"));
    }
    // Nothing secret is in the URL: only what the page shows, and when.
    assert_no_secrets(&json, &cookie);
}

#[test]
fn a_failed_auth_test_keeps_the_install() {
    let flow = flow();
    let (redirect, cookie, _) = start(&flow, 6);
    let check = flow
        .redirect(&with_cookie(&redirect, &cookie), NOW)
        .unwrap()
        .exchanged(access_answer(), NOW)
        .unwrap();
    let installed = check.finish(Some(Err(transport::Error::Timeout)));
    assert_eq!(installed.bot_id, None);
    assert_eq!(installed.installation.bot_id, None);
    assert!(installed.installation.bot.is_some());
    // Without auth.test's answer the success page still names the team from the exchange.
    assert!(body(&success_page(&flow, &installed, NOW)).contains("Acme &amp; Co"));
}

#[test]
fn other_cookies_and_several_cookie_headers() {
    let flow = flow();
    let (redirect, cookie, _) = start(&flow, 7);
    let mixed = format!("theme=dark; {cookie}; other=1");
    assert!(flow.redirect(&with_cookie(&redirect, &mixed), NOW).is_ok());
    let request = http::Request::get(&redirect)
        .header("cookie", "theme=dark")
        .header("cookie", &cookie)
        .body(())
        .unwrap();
    assert!(flow.redirect(&request, NOW).is_ok());

    // Only the first cookie of the name is read: one planted before it (another path's, a
    // sibling host's) is not tried alongside, so it cannot carry an install through.
    let (_, planted, _) = start(&flow, 17);
    let both = format!("{planted}; {cookie}");
    assert!(matches!(
        flow.redirect(&with_cookie(&redirect, &both), NOW),
        Err(InstallFailure::StateMismatch)
    ));
    let request = http::Request::get(&redirect)
        .header("cookie", &planted)
        .header("cookie", &cookie)
        .body(())
        .unwrap();
    assert!(flow.redirect(&request, NOW).is_err());
    // The plain name is not the `__Host-` cookie.
    let plain = cookie.replace("__Host-", "");
    assert!(matches!(
        flow.redirect(&with_cookie(&redirect, &plain), NOW),
        Err(InstallFailure::NoCookie)
    ));
}

#[test]
fn cancel_is_its_own_page() {
    let flow = flow();
    let (_, cookie, url) = start(&flow, 8);
    let state = query_param(&url, "state").unwrap();
    let denied = format!("/slack/oauth_redirect?error=access_denied&state={state}");
    let failure = flow
        .redirect(&with_cookie(&denied, &cookie), NOW)
        .unwrap_err();
    assert!(failure.is_access_denied());
    assert_eq!(failure.code(), "access_denied");
    let page = flow.failure(&failure);
    assert_eq!(page.status(), 200);
    let text = body(&page);
    assert!(text.contains("Installation cancelled"), "{text}");
    assert!(text.contains("href=\"/slack/install\""));
    assert_no_secrets(&text, &cookie);
    assert!(!text.contains(&state));
    assert_clears_cookie(&page);

    let other = "/slack/oauth_redirect?error=invalid_scope%3Cscript%3E&state=x";
    let failure = flow
        .redirect(&with_cookie(other, &cookie), NOW)
        .unwrap_err();
    assert_eq!(failure.code(), "invalid_scopescript");
}

#[test]
fn states_that_are_not_this_browsers() {
    let flow = flow();
    let (redirect, cookie, _) = start(&flow, 9);
    let (_, other_cookie, _) = start(&flow, 10);

    // No cookie at all: a second browser using the first one's redirect URL.
    let failure = flow.redirect(&get(&redirect), NOW).unwrap_err();
    assert!(matches!(failure, InstallFailure::NoCookie));
    // Another install's cookie.
    let failure = flow
        .redirect(&with_cookie(&redirect, &other_cookie), NOW)
        .unwrap_err();
    assert!(matches!(failure, InstallFailure::StateMismatch));
    // A forged state with the right cookie.
    let forged = redirect.replace("state=", "state=A");
    let failure = flow
        .redirect(&with_cookie(&forged, &cookie), NOW)
        .unwrap_err();
    assert!(matches!(failure, InstallFailure::StateMismatch));
    // Another app's key.
    let stranger = InstallFlow::new(
        AuthorizeUrl::new("111.222").bot_scopes(["chat:write"]),
        REDIRECT,
        StateKey::from_random_bytes(&[8; 32]).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        stranger.redirect(&with_cookie(&redirect, &cookie), NOW),
        Err(InstallFailure::StateMismatch)
    ));
    // Too late.
    let failure = flow
        .redirect(&with_cookie(&redirect, &cookie), NOW + 600)
        .unwrap_err();
    assert!(matches!(failure, InstallFailure::StateExpired));
    assert_eq!(failure.code(), "state_expired");
    // Still fine just before.
    assert!(flow
        .redirect(&with_cookie(&redirect, &cookie), NOW + 599)
        .is_ok());
    for page in [
        InstallFailure::NoCookie,
        InstallFailure::StateMismatch,
        failure,
    ] {
        let response = flow.failure(&page);
        assert_eq!(response.status(), 400);
        assert!(body(&response).contains("Installation failed"));
        assert_clears_cookie(&response);
    }
}

#[test]
fn an_install_started_at_slack_restarts_here() {
    // The App Directory or the Direct Install URL: Slack's redirect carries a code, and
    // neither a state nor a cookie of ours.
    for flow in [
        flow(),
        flow().with_failure_url("https://app.example.com/oops"),
    ] {
        let failure = flow
            .redirect(&get("/slack/oauth_redirect?code=4724.1234"), NOW)
            .unwrap_err();
        assert!(
            matches!(failure, InstallFailure::StartedAtSlack),
            "{failure:?}"
        );
        assert_eq!(failure.code(), "started_at_slack");
        let answer = flow.failure(&failure);
        assert_eq!(answer.status(), 303);
        let location = answer.headers()["location"].to_str().unwrap();
        assert_eq!(location, "https://app.example.com/slack/install?restart");
        assert!(!location.contains("4724.1234"), "the code is dropped");
        // The install page, so asked, sends the browser straight on to Slack with a fresh
        // state and cookie; Slack shows its consent again.
        let page = flow.install_page(&get(location), NOW, &random(12));
        assert_eq!(page.status(), 302);
        let slack = page.headers()["location"].to_str().unwrap();
        assert!(
            slack.starts_with("https://slack.com/oauth/v2/authorize?"),
            "{slack}"
        );
        assert!(query_param(slack, "state").is_some());
        assert!(set_cookie(&page).0.starts_with("__Host-slack_oauth_state="));
    }
    // Without `restart`, the install page is the button page as before.
    assert_eq!(
        flow()
            .install_page(&get("/slack/install"), NOW, &random(12))
            .status(),
        200
    );
}

#[test]
fn a_state_claimed_once_is_refused_the_second_time() {
    use crate::Store;
    let flow = flow();
    let (redirect, cookie, url) = start(&flow, 14);
    let exchange = flow
        .redirect(&with_cookie(&redirect, &cookie), NOW + 5)
        .unwrap();
    // The nonce the state was issued with (`random`'s first 16 bytes), and its expiry.
    assert_eq!(exchange.state().nonce(), &random(14)[..16]);
    assert_eq!(exchange.state().issued_at(), NOW);
    assert!(exchange.state_expires_at() >= NOW + 600);
    let (key, used) = exchange.claim();
    assert_eq!(key, UsedState::key(&random(14)[..16]));
    assert!(key.starts_with("slack-oauth/used-state/"), "{key}");
    assert!(!key.contains(&query_param(&url, "state").unwrap()));
    assert_eq!(used.expires_at, exchange.state_expires_at());

    // One store shared by every server: the first claim goes on, the replay is refused.
    let store = crate::MemoryStore::<UsedState>::new();
    let first = exchange
        .clone()
        .claimed(store.compare_and_swap(&key, None, &used, None));
    assert!(first.is_ok());
    let again = flow
        .redirect(&with_cookie(&redirect, &cookie), NOW + 6)
        .unwrap();
    let (key, used) = again.claim();
    let replay = again.claimed(store.compare_and_swap(&key, None, &used, None));
    let failure = replay.unwrap_err();
    assert!(matches!(failure, InstallFailure::StateUsed), "{failure:?}");
    assert_eq!(failure.code(), "state_used");
    assert_eq!(flow.failure(&failure).status(), 400);
    // A store that fails: nothing spent, the install can be tried again.
    let broken: Result<crate::store::Swap, &str> = Err("down");
    assert!(matches!(
        exchange.claimed(broken),
        Err(InstallFailure::Store)
    ));
    // Another install's state is another record.
    let (redirect, cookie, _) = start(&flow, 15);
    let other = flow
        .redirect(&with_cookie(&redirect, &cookie), NOW)
        .unwrap();
    let (key, used) = other.claim();
    assert!(other
        .claimed(store.compare_and_swap(&key, None, &used, None))
        .is_ok());
}

#[test]
fn redirects_that_are_not_from_slack() {
    let flow = flow();
    let (redirect, cookie, url) = start(&flow, 11);
    let state = query_param(&url, "state").unwrap();
    let missing = flow
        .redirect(&with_cookie("/slack/oauth_redirect?code=1.2", &cookie), NOW)
        .unwrap_err();
    assert!(
        matches!(missing, InstallFailure::MissingState),
        "{missing:?}"
    );
    assert_eq!(missing.code(), "state_missing");
    for uri in [
        "/slack/oauth_redirect".to_owned(),
        format!("/slack/oauth_redirect?state={state}"),
        format!("/slack/oauth_redirect?code=1&code=2&state={state}"),
        format!("/slack/oauth_redirect?code=%FF%FE&state={state}"),
    ] {
        let failure = flow.redirect(&with_cookie(&uri, &cookie), NOW).unwrap_err();
        assert!(
            matches!(failure, InstallFailure::BadRedirect),
            "{uri}: {failure:?}"
        );
    }
    let post = http::Request::post(&redirect)
        .header("cookie", &cookie)
        .body(())
        .unwrap();
    assert!(matches!(
        flow.redirect(&post, NOW),
        Err(InstallFailure::BadRedirect)
    ));
    // Junk cookies are ignored, not a panic.
    let junk = with_cookie(
        &redirect,
        "__Host-slack_oauth_state=; __Host-slack_oauth_state; =x; ;;",
    );
    assert!(matches!(
        flow.redirect(&junk, NOW),
        Err(InstallFailure::NoCookie)
    ));
}

#[test]
fn slack_refusing_the_code_and_bad_answers() {
    let flow = flow();
    let (redirect, cookie, _) = start(&flow, 12);
    let exchange = flow
        .redirect(&with_cookie(&redirect, &cookie), NOW)
        .unwrap();
    let failure = exchange
        .clone()
        .exchanged(refused("invalid_code"), NOW)
        .unwrap_err();
    assert_eq!(failure.code(), "invalid_code");
    let page = flow.failure(&failure);
    assert_eq!(page.status(), 400);
    let text = body(&page);
    assert!(text.contains("Slack refused"), "{text}");
    assert!(text.contains("invalid_code"));
    assert_no_secrets(&text, &cookie);

    let failure = exchange
        .clone()
        .exchanged(Err(transport::Error::Timeout), NOW)
        .unwrap_err();
    assert_eq!(failure.code(), "slack_unreachable");
    // Not the request's fault: a 502, as a gateway whose upstream failed.
    assert_eq!(flow.failure(&failure).status(), 502);
    assert!(body(&flow.failure(&failure)).contains("could not be reached"));
    assert_eq!(flow.failure(&InstallFailure::Store).status(), 500);

    let no_team = http::Response::new(
        br#"{"ok":true,"access_token":"xoxb-1","token_type":"bot","team":null,"enterprise":null}"#
            .to_vec(),
    );
    let answer = parse::<Access, _>(&no_team).map_err(transport::Error::Response);
    let failure = exchange.exchanged(answer, NOW).unwrap_err();
    assert!(matches!(
        failure,
        InstallFailure::Installation(InstallationError::NoTeam)
    ));
    assert!(!failure.to_string().contains("xoxb"));
}

#[test]
fn the_apps_own_success_and_failure_urls() {
    let flow = flow()
        .with_success_url("https://app.example.com/welcome")
        .with_failure_url("https://app.example.com/oops?from=slack");
    let (redirect, cookie, _) = start(&flow, 13);
    let installed = flow
        .redirect(&with_cookie(&redirect, &cookie), NOW)
        .unwrap()
        .exchanged(access_answer(), NOW)
        .unwrap()
        .finish(None);
    let page = flow.success(&installed);
    assert_eq!(page.status(), 303);
    assert_eq!(
        page.headers()["location"],
        "https://app.example.com/welcome"
    );
    assert_clears_cookie(&page);
    let page = flow.failure(&InstallFailure::AccessDenied);
    assert_eq!(page.status(), 303);
    assert_eq!(
        page.headers()["location"],
        "https://app.example.com/oops?from=slack&error=access_denied"
    );
    assert_clears_cookie(&page);
}

#[test]
fn flows_slack_would_refuse_are_not_built() {
    let key = || StateKey::from_random_bytes(&[1; 32]).unwrap();
    let scopes = || AuthorizeUrl::new("1.2").bot_scopes(["chat:write"]);
    for uri in [
        "http://app.example.com/cb",
        "ftp://app.example.com/cb",
        "/relative",
        "https://app.example.com/cb?x=1",
        "https://app.example.com/cb#frag",
    ] {
        assert!(
            matches!(
                InstallFlow::new(scopes(), uri, key()),
                Err(FlowError::Config { .. })
            ),
            "{uri}"
        );
    }
    assert!(matches!(
        InstallFlow::new(AuthorizeUrl::new("1.2"), REDIRECT, key()),
        Err(FlowError::Authorize(AuthorizeError::NoScopes))
    ));
    assert!(matches!(
        InstallFlow::new(scopes(), REDIRECT, StateKey::new("short")),
        Err(FlowError::State(StateError::WeakKey { .. }))
    ));
    assert!(matches!(
        InstallFlow::new(
            AuthorizeUrl::user_only("1.2").user_scopes(["search:read"]),
            REDIRECT,
            key()
        ),
        Err(FlowError::Config { .. })
    ));
    assert!(InstallFlow::new(scopes(), "http://localhost:8080/cb", key()).is_ok());
    // The key never shows.
    let dbg = format!("{:?}", flow());
    assert!(!dbg.contains(&URL_SAFE_NO_PAD.encode([9u8; 32])), "{dbg}");
}
