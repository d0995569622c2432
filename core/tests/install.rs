//! The whole install-and-rotate flow, sans-IO: authorize URL with PKCE and signed state,
//! callback, code exchange, installation, storage, rotation of bot, user and configuration
//! tokens, and a legacy-token migration. Slack's side is played by canned JSON bodies.

use slack_oauth_core::http::{Response, StatusCode};
use slack_oauth_core::oauth_v2::{Access, AccessResponse, Exchange, UserAccess};
use slack_oauth_core::tooling_tokens::Rotate;
use slack_oauth_core::{
    authorize::{CallbackError, CodeChallenge, CodeVerifier, State, StateError},
    installation::InstallationError,
    parse,
    secret::StateKey,
    Api, AuthorizeUrl, Callback, ClientCredentials, ConfigTokens, Decision, ErrorCode,
    Installation, Method, StateSigner, TokenType,
};

const NOW: u64 = 1_700_000_000;
const REDIRECT: &str = "https://app.example/slack/callback";

/// Stand-in for a secure random source: distinct, fixed bytes per use.
fn random(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            seed.wrapping_mul(31)
                .wrapping_add((i as u8).wrapping_mul(7))
        })
        .collect()
}

fn ok<B: Into<Vec<u8>>>(body: B) -> Response<Vec<u8>> {
    Response::new(body.into())
}

fn query(url: &str) -> Vec<(String, String)> {
    let (_, q) = url.split_once('?').expect("a query");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

const INSTALL_ANSWER: &str = r#"{"ok":true,"app_id":"A0FAKEAPP1","access_token":"xoxe.xoxb-1-BOT-A",
 "token_type":"bot","scope":"chat:write,commands","bot_user_id":"U0FAKEBOT","expires_in":43200,
 "refresh_token":"xoxe-1-BOTREFRESH-A","team":{"id":"T0FAKETEAM","name":"Example Team"},"enterprise":null,
 "is_enterprise_install":false,"authed_user":{"id":"U0FAKEUSER","scope":"search:read",
 "access_token":"xoxe.xoxp-1-USER-A","token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-USERREFRESH-A"},
 "incoming_webhook":{"url":"https://hooks.slack.com/services/T0/B0/HOOKSECRET","channel":"alerts",
 "channel_id":"C0FAKE","configuration_url":"https://example.slack.com/services/B0"},
 "warning":"superfluous_charset","response_metadata":{"warnings":["superfluous_charset"]}}"#;

#[test]
fn install_with_pkce_and_signed_state_then_rotate_both_tokens() {
    // 1. Start: a verifier and a signed state, both from caller-supplied random bytes.
    let verifier = CodeVerifier::from_random_bytes(&random(1, 32)).unwrap();
    let signer = StateSigner::new(StateKey::from_random_bytes(&random(2, 32)).unwrap()).unwrap();
    let state = signer.issue(&random(3, 16), NOW).unwrap();
    let url = AuthorizeUrl::new("4123121235.9872358710")
        .bot_scopes(["chat:write", "commands", "incoming-webhook"])
        .user_scopes(["search:read"])
        .redirect_uri(REDIRECT)
        .state(&state)
        .pkce(&verifier.challenge())
        .build()
        .unwrap();
    assert!(url.starts_with("https://slack.com/oauth/v2/authorize?"));
    assert!(
        !url.contains(verifier.expose()),
        "the verifier never leaves"
    );

    // 2. "Slack" reads the URL as a browser would send it.
    let pairs = query(&url);
    assert_eq!(param(&pairs, "client_id"), Some("4123121235.9872358710"));
    assert_eq!(
        param(&pairs, "scope"),
        Some("chat:write,commands,incoming-webhook")
    );
    assert_eq!(param(&pairs, "user_scope"), Some("search:read"));
    assert_eq!(param(&pairs, "redirect_uri"), Some(REDIRECT));
    assert_eq!(param(&pairs, "code_challenge_method"), Some("S256"));
    let sent_challenge = param(&pairs, "code_challenge").unwrap().to_owned();
    let sent_state = param(&pairs, "state").unwrap().to_owned();

    // 3. The user approves; Slack redirects back with the code, the state and some noise.
    let redirect = format!("{REDIRECT}?code=4724469134.4644&state={sent_state}&utm_source=x#top");
    let callback = Callback::parse(&redirect).unwrap();
    let (code, verified) = callback.verify_signed_state(&signer, NOW + 45).unwrap();
    assert_eq!(verified.issued_at(), NOW);
    assert_eq!(verified.nonce(), random(3, 16).as_slice());

    // 4. Exchange the code as a PKCE public client: the verifier goes, no secret.
    let api = Api::new().with_credentials(ClientCredentials::public("4123121235.9872358710"));
    let request = api
        .request(
            &Access::code(code)
                .redirect_uri(REDIRECT)
                .code_verifier(verifier.clone()),
        )
        .unwrap();
    assert_eq!(request.uri(), "https://slack.com/api/oauth.v2.access");
    assert!(request.headers().get("authorization").is_none());
    let body = form(request.body());
    assert_eq!(param(&body, "code"), Some("4724469134.4644"));
    assert_eq!(param(&body, "client_id"), Some("4123121235.9872358710"));
    // "Slack" checks the verifier against the challenge it was sent.
    let received = CodeVerifier::parse(param(&body, "code_verifier").unwrap()).unwrap();
    assert_eq!(received.challenge(), CodeChallenge::for_verifier(&verifier));
    assert_eq!(received.challenge().as_str(), sent_challenge);

    // 5. The answer becomes an installation, stored as JSON and read back.
    let reply = parse::<Access, _>(&ok(INSTALL_ANSWER)).unwrap();
    assert_eq!(reply.warnings.len(), 1);
    let installation = Installation::from_access(reply.value, NOW + 50).unwrap();
    assert_eq!(installation.key(), "T0FAKETEAM");
    assert_eq!(installation.user_id.as_deref(), Some("U0FAKEUSER"));
    assert_eq!(
        installation
            .incoming_webhook
            .as_ref()
            .unwrap()
            .channel_id
            .as_deref(),
        Some("C0FAKE")
    );
    let stored = serde_json::to_string(&installation).unwrap();
    let mut installation: Installation = serde_json::from_str(&stored).unwrap();
    let expires_at = NOW + 50 + 43_200;
    assert_eq!(
        installation.bot.as_ref().unwrap().expires_at,
        Some(expires_at)
    );

    // 6. An hour later both tokens are used as they are.
    let t1 = NOW + 3_600;
    for which in [TokenType::Bot, TokenType::User] {
        assert!(matches!(
            installation.decide(which, t1).unwrap(),
            Decision::Use(_)
        ));
    }

    // 7. Inside the refresh margin: the bot token is refreshed first.
    let t2 = expires_at - Installation::DEFAULT_REFRESH_MARGIN;
    let confidential = Api::new().with_credentials(ClientCredentials::new("1.2", "CLIENTSECRET"));
    let Decision::Refresh(refresh) = installation.decide(TokenType::Bot, t2).unwrap() else {
        panic!("the bot token is due")
    };
    let request = confidential.request(&refresh).unwrap();
    assert_eq!(
        form(request.body()),
        form(b"grant_type=refresh_token&refresh_token=xoxe-1-BOTREFRESH-A")
    );
    let bot_refresh = parse::<Access, _>(&ok(
        r#"{"ok":true,"app_id":"A0FAKEAPP1","access_token":"xoxe.xoxb-1-BOT-B","token_type":"bot",
        "scope":"chat:write,commands","bot_user_id":"U0FAKEBOT","expires_in":43200,
        "refresh_token":"xoxe-1-BOTREFRESH-B","team":{"id":"T0FAKETEAM","name":"Example Team"},
        "enterprise":null,"is_enterprise_install":false}"#,
    ))
    .unwrap()
    .value;
    // Handing the bot's answer to the user slot is refused and changes nothing.
    let before = installation.clone();
    assert!(matches!(
        installation.apply_refresh(TokenType::User, &bot_refresh, t2),
        Err(InstallationError::WrongTokenType {
            expected: TokenType::User,
            ..
        })
    ));
    assert_eq!(installation, before);
    installation
        .apply_refresh(TokenType::Bot, &bot_refresh, t2)
        .unwrap();
    assert!(matches!(
        installation.decide(TokenType::Bot, t2).unwrap(),
        Decision::Use(t) if t.expose() == "xoxe.xoxb-1-BOT-B"
    ));

    // 8. The user token rotates on its own.
    let Decision::Refresh(refresh) = installation.decide(TokenType::User, t2).unwrap() else {
        panic!("the user token is due")
    };
    let request = confidential.request(&refresh).unwrap();
    assert_eq!(
        param(&form(request.body()), "refresh_token"),
        Some("xoxe-1-USERREFRESH-A")
    );
    let user_refresh = parse::<Access, _>(&ok(
        r#"{"ok":true,"app_id":"A0FAKEAPP1","access_token":"xoxe.xoxp-1-USER-B","token_type":"user",
        "scope":"search:read","expires_in":43200,"refresh_token":"xoxe-1-USERREFRESH-B",
        "team":{"id":"T0FAKETEAM","name":"Example Team"},"enterprise":null,"is_enterprise_install":false}"#,
    ))
    .unwrap()
    .value;
    installation
        .apply_refresh(TokenType::User, &user_refresh, t2 + 1)
        .unwrap();
    let user = installation.user.as_ref().unwrap();
    assert_eq!(user.token.expose(), "xoxe.xoxp-1-USER-B");
    assert_eq!(user.expires_at, Some(t2 + 1 + 43_200));
    assert_eq!(
        installation
            .bot
            .as_ref()
            .unwrap()
            .refresh_token
            .as_ref()
            .unwrap()
            .expose(),
        "xoxe-1-BOTREFRESH-B"
    );

    // 9. A spent refresh token: Slack's answer says reinstall.
    let err =
        parse::<Access, _>(&ok(r#"{"ok":false,"error":"invalid_refresh_token"}"#)).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::InvalidRefreshToken));
    assert!(err.needs_reinstall());
}

#[test]
fn user_only_flow_with_a_stored_plain_state() {
    let state = State::from_random_bytes(&random(9, 32)).unwrap();
    let verifier = CodeVerifier::from_random_bytes(&random(10, 64)).unwrap();
    let url = AuthorizeUrl::user_only("1.2")
        .user_scopes(["channels:history", "users:read"])
        .state(&state)
        .pkce(&verifier.challenge())
        .build()
        .unwrap();
    assert!(url.starts_with("https://slack.com/oauth/v2_user/authorize?client_id=1.2&scope=channels:history,users:read&state="));

    let callback = Callback::parse(&format!("code=99.88&state={}", state.as_str())).unwrap();
    // The app looks up what it stored under the received state, then verifies it.
    assert_eq!(callback.state(), state.as_str());
    let code = callback.verify_state(&state).unwrap();

    let api = Api::new().with_credentials(ClientCredentials::new("1.2", "secret"));
    let request = api
        .request(&UserAccess::code(code).code_verifier(verifier))
        .unwrap();
    assert_eq!(request.uri().path(), format!("/api/{}", UserAccess::NAME));

    let reply = parse::<UserAccess, _>(&ok(
        r#"{"ok":true,"access_token":"xoxe.xoxp-1-FAKEUSERONLY","token_type":"user","expires_in":43200,
        "refresh_token":"xoxe-1-FAKEREFRESH","authed_user":{"id":"U0FAKEUSER","scope":"channels:history,users:read"},
        "team":{"id":"T0FAKETEAM"}}"#,
    ))
    .unwrap();
    let installation = Installation::from_access(reply.value, NOW).unwrap();
    assert_eq!(installation.key(), "T0FAKETEAM:U0FAKEUSER");
    assert_eq!(
        installation.decide(TokenType::Bot, NOW).unwrap_err(),
        InstallationError::MissingToken(TokenType::Bot)
    );
    assert!(matches!(
        installation.decide(TokenType::User, NOW + 43_200).unwrap(),
        Decision::Refresh(_)
    ));
}

#[test]
fn callbacks_that_must_not_give_a_code() {
    let signer = StateSigner::new(StateKey::new("k".repeat(40))).unwrap();
    let state = signer.issue(&random(4, 16), NOW).unwrap();

    let denied = Callback::parse(&format!(
        "{REDIRECT}?error=access_denied&state={}",
        state.as_str()
    ));
    assert_eq!(denied.unwrap_err(), CallbackError::AccessDenied);

    let expired = Callback::parse(&format!("{REDIRECT}?code=1.2&state={}", state.as_str()))
        .unwrap()
        .verify_signed_state(&signer, NOW + 10 * 60);
    assert!(matches!(
        expired,
        Err(CallbackError::State(StateError::Expired { .. }))
    ));

    let other = StateSigner::new(StateKey::new("j".repeat(40))).unwrap();
    let forged = other.issue(&random(4, 16), NOW).unwrap();
    let forged = Callback::parse(&format!("{REDIRECT}?code=1.2&state={}", forged.as_str()))
        .unwrap()
        .verify_signed_state(&signer, NOW);
    assert_eq!(
        forged.unwrap_err(),
        CallbackError::State(StateError::Mismatch)
    );

    assert_eq!(
        Callback::parse(&format!("{REDIRECT}?state={}", state.as_str())).unwrap_err(),
        CallbackError::MissingCode
    );
}

#[test]
fn legacy_token_migration_and_configuration_tokens() {
    // oauth.v2.exchange: the legacy token in the header, credentials in the body.
    let api = Api::new().with_credentials(ClientCredentials::new("1.2", "secret"));
    let request = api.request(&Exchange::new("xoxb-LEGACY")).unwrap();
    assert_eq!(request.headers()["authorization"], "Bearer xoxb-LEGACY");
    let reply = parse::<Exchange, _>(&ok(
        r#"{"ok":true,"access_token":"xoxe.xoxb-1-FAKEEXCHANGED","expires_in":43200,"refresh_token":"xoxe-1-FAKEREFRESH",
        "token_type":"bot","scope":"commands,incoming-webhook","bot_user_id":"U0FAKEBOT","app_id":"A0FAKEAPP1",
        "team":{"name":"Example Team","id":"T0FAKETEAM"},"enterprise":null,"is_enterprise_install":false}"#,
    ))
    .unwrap();
    let migrated = Installation::from_exchange(reply.value, NOW).unwrap();
    assert!(matches!(
        migrated.decide(TokenType::Bot, NOW).unwrap(),
        Decision::Use(t) if t.expose() == "xoxe.xoxb-1-FAKEEXCHANGED"
    ));
    assert!(matches!(
        migrated
            .decide(TokenType::Bot, NOW + 43_200 - 7_200)
            .unwrap(),
        Decision::Refresh(_)
    ));

    // tooling.tokens.rotate: first rotation of a pair copied from the settings page.
    let mut config = ConfigTokens::new("xoxe.xoxp-1-CFG-A", "xoxe-1-CFGREFRESH-A");
    let Decision::Refresh(rotate) = config.decide(NOW) else {
        panic!("an unknown expiry means rotate")
    };
    let request = Api::new().request(&rotate).unwrap();
    assert_eq!(request.uri().path(), format!("/api/{}", Rotate::NAME));
    assert_eq!(request.body(), b"refresh_token=xoxe-1-CFGREFRESH-A");
    let reply = parse::<Rotate, _>(&ok(
        r#"{"ok":true,"token":"xoxe.xoxp-1-CFG-B","refresh_token":"xoxe-1-CFGREFRESH-B",
        "team_id":"T0FAKETEAM","user_id":"U0FAKEUSER","iat":1700000000,"exp":1700043200}"#,
    ))
    .unwrap();
    config.apply(reply.value).unwrap();
    let stored = serde_json::to_string(&config).unwrap();
    let config: ConfigTokens = serde_json::from_str(&stored).unwrap();
    assert!(matches!(
        config.decide(NOW + 3_600),
        Decision::Use(t) if t.expose() == "xoxe.xoxp-1-CFG-B"
    ));
    assert!(matches!(config.decide(NOW + 36_000), Decision::Refresh(_)));

    // A failed rotation is a typed Slack error, not a panic.
    let err = parse::<Rotate, _>(
        &Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(b"<html><title>502</title></html>".to_vec())
            .unwrap(),
    )
    .unwrap_err();
    assert!(err.is_retryable());
}

/// Every secret-holding value of the install flow, and every error it can produce, printed
/// with `Debug` and `Display`: no secret may show.
#[test]
fn canary_secrets_never_print() {
    const CANARY: &str = "CANARY7";
    let mut printed = Vec::new();
    let mut show = |label: &str, text: String| printed.push((label.to_owned(), text));

    let verifier = CodeVerifier::new(format!("{CANARY}-verifier-{}", "v".repeat(40)));
    show("verifier", format!("{verifier:?} {verifier}"));
    show("challenge", format!("{:?}", verifier.challenge()));
    let key = StateKey::new(format!("{CANARY}-key-{}", "k".repeat(40)));
    let signer = StateSigner::new(key.clone()).unwrap();
    show("signer", format!("{signer:?} {key:?} {key}"));
    let plain = State::new(format!("{CANARY}-state")).unwrap();
    show("state", format!("{plain:?}"));
    let url = AuthorizeUrl::new("1.2")
        .bot_scopes(["a"])
        .state(&plain)
        .pkce(&verifier.challenge());
    show("authorize url builder", format!("{url:?}"));

    let callback = Callback::parse(&format!("code={CANARY}-code&state={CANARY}-state")).unwrap();
    show("callback", format!("{callback:?}"));
    for input in [
        format!("code={CANARY}&code={CANARY}&state=s"),
        format!("code={CANARY}%FF&state=s"),
        format!("code={CANARY}&state={CANARY}%00"),
        format!("code={CANARY}&state=x"),
    ] {
        match Callback::parse(&input) {
            Err(e) => show("callback error", format!("{e} {e:?}")),
            Ok(cb) => {
                let e = cb.verify_state(&plain).unwrap_err();
                show("state error", format!("{e} {e:?}"));
            }
        }
    }
    let e = Callback::parse(&format!("code={CANARY}&state={CANARY}"))
        .unwrap()
        .verify_signed_state(&signer, NOW)
        .unwrap_err();
    show("signed state error", format!("{e} {e:?}"));
    let e = CodeVerifier::parse(format!("{CANARY}+")).unwrap_err();
    show("pkce error", format!("{e} {e:?}"));

    // Only the secrets of the canned answer carry the canary; ids may print.
    let mut json = INSTALL_ANSWER.to_owned();
    for secret in [
        "BOTREFRESH-A",
        "USERREFRESH-A",
        "BOT-A",
        "USER-A",
        "HOOKSECRET",
    ] {
        json = json.replace(secret, CANARY);
    }
    let answer: AccessResponse = serde_json::from_str(&json).unwrap();
    let mut installation = Installation::from_access(answer, NOW).unwrap();
    assert_eq!(
        installation.bot.as_ref().unwrap().token.expose(),
        format!("xoxe.xoxb-1-{CANARY}")
    );
    show(
        "installation",
        format!("{installation:?} {installation:#?}"),
    );
    let decision = installation.decide(TokenType::Bot, NOW + 40_000).unwrap();
    show("decision", format!("{decision:?}"));
    let decision = installation.decide(TokenType::User, NOW).unwrap();
    show("decision", format!("{decision:?}"));
    // A user refresh answer handed to the bot slot: the error names types, never the token.
    let wrong: AccessResponse = serde_json::from_str(&format!(
        r#"{{"token_type":"user","access_token":"{CANARY}","refresh_token":"{CANARY}","expires_in":1}}"#
    ))
    .unwrap();
    let e = installation
        .apply_refresh(TokenType::Bot, &wrong, NOW)
        .unwrap_err();
    show("installation error", format!("{e} {e:?}"));
    let mut spent = installation.clone();
    spent.bot.as_mut().unwrap().refresh_token = None;
    let e = spent.decide(TokenType::Bot, u64::MAX).unwrap_err();
    show("expired error", format!("{e} {e:?}"));

    let config = ConfigTokens::new(format!("xoxe.xoxp-1-{CANARY}"), format!("xoxe-1-{CANARY}"));
    show("config tokens", format!("{config:?}"));
    show("config decision", format!("{:?}", config.decide(NOW)));

    for (label, text) in &printed {
        assert!(!text.contains(CANARY), "{label} printed a secret: {text}");
    }
    assert!(printed.len() >= 15);
}
