//! Tests of building, deciding on and refreshing installations.

use super::*;
use quickcheck::TestResult;

const NOW: u64 = 1_700_000_000;

fn parse(json: &str) -> AccessResponse {
    serde_json::from_str(json).unwrap()
}

/// An org-wide install with rotation, shaped like the examples of
/// https://api.slack.com/methods/oauth.v2.access (fake values).
const ORG_INSTALL: &str = r#"{"ok":true,"app_id":"A0FAKEAPP1","access_token":"xoxe.xoxb-1-FAKEBOTACCESS","token_type":"bot",
 "scope":"chat:write,commands","bot_user_id":"U0FAKEBOT","expires_in":43200,"refresh_token":"xoxe-1-FAKEBOTREFRESH",
 "team":null,"enterprise":{"id":"E0FAKEORG","name":"Example Org"},"is_enterprise_install":true,
 "authed_user":{"id":"W0FAKEUSER","scope":"search:read","access_token":"xoxe.xoxp-1-FAKEUSERACCESS",
  "token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-FAKEUSERREFRESH"}}"#;

#[test]
fn org_wide_install_with_both_tokens() {
    let i = Installation::from_access(parse(ORG_INSTALL), NOW).unwrap();
    assert_eq!(i.app_id.as_deref(), Some("A0FAKEAPP1"));
    assert_eq!(i.team_id, None);
    assert_eq!(i.enterprise_id.as_deref(), Some("E0FAKEORG"));
    assert_eq!(i.enterprise_name.as_deref(), Some("Example Org"));
    assert!(i.is_enterprise_install);
    assert_eq!(i.user_id.as_deref(), Some("W0FAKEUSER"));
    assert_eq!(i.key(), "E0FAKEORG");
    let bot = i.bot.as_ref().unwrap();
    assert_eq!(bot.token.expose(), "xoxe.xoxb-1-FAKEBOTACCESS");
    assert_eq!(bot.expires_at, Some(NOW + 43200));
    assert_eq!(bot.issued_at, Some(NOW));
    assert_eq!(
        bot.refresh_token.as_ref().unwrap().expose(),
        "xoxe-1-FAKEBOTREFRESH"
    );
    assert_eq!(bot.scopes, ["chat:write", "commands"]);
    assert_eq!(bot.user_id.as_deref(), Some("U0FAKEBOT"));
    let user = i.user.as_ref().unwrap();
    assert_eq!(user.token.expose(), "xoxe.xoxp-1-FAKEUSERACCESS");
    assert_eq!(
        user.refresh_token.as_ref().unwrap().expose(),
        "xoxe-1-FAKEUSERREFRESH"
    );
    assert_eq!(user.scopes, ["search:read"]);
    assert_eq!(user.user_id.as_deref(), Some("W0FAKEUSER"));
    assert_eq!(i.installed_at, NOW);
}

#[test]
fn workspace_install_without_rotation_with_webhook() {
    let i = Installation::from_access(
        parse(
            r##"{"ok":true,"app_id":"A1","access_token":"xoxb-LEGACY","token_type":"bot","scope":"incoming-webhook",
            "bot_user_id":"UB","team":{"id":"T1","name":"Team"},"enterprise":{"id":"E1","name":"Org"},
            "authed_user":{"id":"U1"},
            "incoming_webhook":{"url":"https://hooks.slack.com/services/T/B/SECRET","channel":"#general",
              "channel_id":"C1","configuration_url":"https://team.slack.com/services/B"}}"##,
        ),
        NOW,
    )
    .unwrap();
    // A workspace inside an org is keyed by its team.
    assert_eq!(i.key(), "T1");
    assert_eq!(i.team_name.as_deref(), Some("Team"));
    let bot = i.bot.as_ref().unwrap();
    assert_eq!(bot.expires_at, None);
    assert!(!bot.expires());
    assert!(!bot.is_expired(u64::MAX));
    assert!(i.user.is_none());
    let hook = i.incoming_webhook.as_ref().unwrap();
    assert_eq!(hook.channel_id.as_deref(), Some("C1"));
    assert!(!format!("{i:?}").contains("SECRET"));
}

#[test]
fn user_only_flow_token_top_level() {
    // Shaped like the example of https://api.slack.com/methods/oauth.v2.user.access.
    let i = Installation::from_access(
        parse(
            r#"{"ok":true,"access_token":"xoxe.xoxp-1-FAKEUSERONLY","token_type":"user","expires_in":43200,
            "refresh_token":"xoxe-1-FAKEREFRESH","authed_user":{"id":"U0FAKEUSER","scope":"channels:history,users:read"},
            "team":{"id":"T0FAKETEAM"}}"#,
        ),
        NOW,
    )
    .unwrap();
    assert!(i.bot.is_none());
    let user = i.user.as_ref().unwrap();
    assert_eq!(user.token.expose(), "xoxe.xoxp-1-FAKEUSERONLY");
    assert_eq!(user.scopes, ["channels:history", "users:read"]);
    assert_eq!(user.user_id.as_deref(), Some("U0FAKEUSER"));
    assert_eq!(
        user.refresh_token.as_ref().unwrap().expose(),
        "xoxe-1-FAKEREFRESH"
    );
    assert_eq!(i.key(), "T0FAKETEAM:U0FAKEUSER");
}

#[test]
fn user_only_flow_token_nested_or_untyped() {
    let nested = Installation::from_access(
        parse(
            r#"{"ok":true,"team":{"id":"T1"},"authed_user":{"id":"U1","scope":"a,b",
            "access_token":"xoxp-NESTED","token_type":"user"}}"#,
        ),
        NOW,
    )
    .unwrap();
    assert!(nested.bot.is_none());
    assert_eq!(nested.user.unwrap().token.expose(), "xoxp-NESTED");

    // No token_type: the prefix decides.
    let untyped = Installation::from_access(
        parse(r#"{"access_token":"xoxp-TOP","team":{"id":"T1"},"authed_user":{"id":"U1"}}"#),
        NOW,
    )
    .unwrap();
    assert!(untyped.bot.is_none());
    assert_eq!(untyped.user.unwrap().token.expose(), "xoxp-TOP");
    let untyped_bot = Installation::from_access(
        parse(r#"{"access_token":"xoxb-TOP","team":{"id":"T1"}}"#),
        NOW,
    )
    .unwrap();
    assert!(untyped_bot.user.is_none());
    assert_eq!(untyped_bot.user_id, None);
    assert_eq!(untyped_bot.bot.unwrap().token.expose(), "xoxb-TOP");
}

#[test]
fn incomplete_answers() {
    assert_eq!(
        Installation::from_access(
            parse(r#"{"team":{"id":"T1"},"authed_user":{"id":"U1"}}"#),
            NOW
        ),
        Err(InstallationError::NoToken)
    );
    assert_eq!(
        Installation::from_access(parse(r#"{"access_token":"xoxb-1","team":null}"#), NOW),
        Err(InstallationError::NoTeam)
    );
    // Expiry at the end of time saturates instead of overflowing.
    let i = Installation::from_access(
        parse(r#"{"access_token":"xoxb-1","expires_in":18446744073709551615,"team":{"id":"T"}}"#),
        NOW,
    )
    .unwrap();
    assert_eq!(i.bot.unwrap().expires_at, Some(u64::MAX));
}

#[test]
fn serde_round_trip_keeps_everything() {
    let i = Installation::from_access(parse(ORG_INSTALL), NOW).unwrap();
    let json = serde_json::to_string(&i).unwrap();
    // Deliberately written: this is what the app stores.
    assert!(json.contains("xoxe-1-FAKEBOTREFRESH"));
    assert!(json.contains(r#""is_enterprise_install":true"#));
    let back: Installation = serde_json::from_str(&json).unwrap();
    assert_eq!(back, i);
    assert_eq!(back.key(), i.key());
}

#[test]
fn debug_hides_every_secret() {
    let i = Installation::from_access(parse(ORG_INSTALL), NOW).unwrap();
    let dbg = format!("{i:?} {i:#?}");
    for secret in [
        "FAKEBOTACCESS",
        "FAKEBOTREFRESH",
        "FAKEUSERACCESS",
        "FAKEUSERREFRESH",
    ] {
        assert!(!dbg.contains(secret), "{secret} in {dbg}");
    }
    assert!(dbg.contains("E0FAKEORG"));
}

#[test]
fn token_types() {
    assert_eq!(TokenType::parse("bot"), Some(TokenType::Bot));
    assert_eq!(TokenType::parse("user"), Some(TokenType::User));
    assert_eq!(TokenType::parse("app"), None);
    assert_eq!(serde_json::to_string(&TokenType::User).unwrap(), "\"user\"");
    assert_eq!(TokenType::Bot.to_string(), "bot");
    assert_eq!(shown_token_type(Some("xoxb-<b>\n")), Some("xoxbb".into()));
}
/// A rotating token's lifetime: 12 hours (`expires_in: 43200`).
const TOKEN_LIFETIME: u64 = 43_200;

fn answer(json: &str) -> AccessResponse {
    serde_json::from_str(json).unwrap()
}

fn rotating() -> Installation {
    Installation::from_access(
        answer(
            r#"{"app_id":"A1","access_token":"xoxe.xoxb-1-BOT1","token_type":"bot","scope":"chat:write",
            "bot_user_id":"UB","expires_in":43200,"refresh_token":"xoxe-1-BOTR1","team":{"id":"T1"},
            "enterprise":null,"authed_user":{"id":"U1","scope":"search:read","access_token":"xoxe.xoxp-1-USER1",
            "token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-USERR1"}}"#,
        ),
        NOW,
    )
    .unwrap()
}

fn refresh_body(d: Decision<&AccessToken, AccessRefresh>) -> String {
    match d {
        Decision::Refresh(access) => {
            let api = crate::Api::new().with_credentials(crate::ClientCredentials::new("1.2", "s"));
            String::from_utf8(api.request(&access).unwrap().into_body()).unwrap()
        }
        Decision::Use(t) => panic!("expected a refresh, got Use({t:?})"),
    }
}

#[test]
fn boundary_at_expiry_minus_margin() {
    let i = rotating();
    let expires_at = NOW + TOKEN_LIFETIME;
    let edge = expires_at - Installation::DEFAULT_REFRESH_MARGIN;
    assert!(matches!(
        i.decide(TokenType::Bot, edge - 1).unwrap(),
        Decision::Use(t) if t.expose() == "xoxe.xoxb-1-BOT1"
    ));
    assert_eq!(
        refresh_body(i.decide(TokenType::Bot, edge).unwrap()),
        "grant_type=refresh_token&refresh_token=xoxe-1-BOTR1"
    );
    assert_eq!(
        refresh_body(i.decide(TokenType::User, edge).unwrap()),
        "grant_type=refresh_token&refresh_token=xoxe-1-USERR1"
    );
    // Long past expiry, a refresh is still the answer while a refresh token is held.
    assert!(matches!(
        i.decide(TokenType::Bot, expires_at + 1_000_000).unwrap(),
        Decision::Refresh(_)
    ));
    // A custom margin moves the edge.
    assert!(matches!(
        i.decide_with_margin(TokenType::Bot, expires_at - 61, 60)
            .unwrap(),
        Decision::Use(_)
    ));
    assert!(matches!(
        i.decide_with_margin(TokenType::Bot, expires_at - 60, 60)
            .unwrap(),
        Decision::Refresh(_)
    ));
    assert!(matches!(
        i.decide_with_margin(TokenType::Bot, expires_at - 1, 0)
            .unwrap(),
        Decision::Use(_)
    ));
    assert!(matches!(
        i.decide_with_margin(TokenType::Bot, expires_at, 0).unwrap(),
        Decision::Refresh(_)
    ));
}

#[test]
fn margin_larger_than_lifetime_is_capped_at_half() {
    let i = rotating();
    let half = NOW + TOKEN_LIFETIME / 2;
    // A 13-hour margin on a 12-hour token would refresh forever; half the lifetime is used.
    assert!(matches!(
        i.decide_with_margin(TokenType::Bot, half - 1, 13 * 3600)
            .unwrap(),
        Decision::Use(_)
    ));
    assert!(matches!(
        i.decide_with_margin(TokenType::Bot, half, 13 * 3600)
            .unwrap(),
        Decision::Refresh(_)
    ));
    assert!(matches!(
        i.decide_with_margin(TokenType::Bot, NOW, u64::MAX).unwrap(),
        Decision::Use(_)
    ));
    // Without a known issue time the margin applies as given.
    let mut i = i;
    i.bot.as_mut().unwrap().issued_at = None;
    assert!(matches!(
        i.decide_with_margin(TokenType::Bot, NOW, 13 * 3600)
            .unwrap(),
        Decision::Refresh(_)
    ));
}

#[test]
fn non_expiring_and_missing_tokens() {
    let i = Installation::from_access(
        answer(r#"{"access_token":"xoxb-1","token_type":"bot","team":{"id":"T1"}}"#),
        NOW,
    )
    .unwrap();
    for now in [0, NOW, u64::MAX] {
        assert!(matches!(
            i.decide(TokenType::Bot, now).unwrap(),
            Decision::Use(t) if t.expose() == "xoxb-1"
        ));
    }
    assert_eq!(
        i.decide(TokenType::User, NOW).unwrap_err(),
        InstallationError::MissingToken(TokenType::User)
    );
}

#[test]
fn expired_without_refresh_token() {
    let mut i = rotating();
    i.bot.as_mut().unwrap().refresh_token = None;
    let expires_at = NOW + TOKEN_LIFETIME;
    // Inside the margin but still valid: use it while it lasts.
    assert!(matches!(
        i.decide(TokenType::Bot, expires_at - 1).unwrap(),
        Decision::Use(_)
    ));
    assert_eq!(
        i.decide(TokenType::Bot, expires_at).unwrap_err(),
        InstallationError::Expired {
            token_type: TokenType::Bot,
            expires_at
        }
    );
    // The user token is unaffected.
    assert!(matches!(
        i.decide(TokenType::User, expires_at).unwrap(),
        Decision::Refresh(_)
    ));
}

const USER_REFRESH: &str = r#"{"ok":true,"app_id":"A1","access_token":"xoxe.xoxp-1-USER2","token_type":"user",
    "scope":"search:read,users:read","expires_in":43200,"refresh_token":"xoxe-1-USERR2",
    "team":{"id":"T1","name":"Example Team"},"enterprise":null,"is_enterprise_install":false}"#;

#[test]
fn apply_user_refresh_leaves_bot_alone() {
    let mut i = rotating();
    let bot_before = i.bot.clone();
    let later = NOW + 11 * 3600;
    i.apply_refresh(TokenType::User, &answer(USER_REFRESH), later)
        .unwrap();
    assert_eq!(i.bot, bot_before);
    let user = i.user.as_ref().unwrap();
    assert_eq!(user.token.expose(), "xoxe.xoxp-1-USER2");
    assert_eq!(
        user.refresh_token.as_ref().unwrap().expose(),
        "xoxe-1-USERR2"
    );
    assert_eq!(user.expires_at, Some(later + TOKEN_LIFETIME));
    assert_eq!(user.issued_at, Some(later));
    assert_eq!(user.scopes, ["search:read", "users:read"]);
    assert_eq!(user.user_id.as_deref(), Some("U1"));
    assert!(matches!(
        i.decide(TokenType::User, later).unwrap(),
        Decision::Use(_)
    ));
}

#[test]
fn apply_with_wrong_token_type_changes_nothing() {
    let mut i = rotating();
    let before = i.clone();
    assert_eq!(
        i.apply_refresh(TokenType::Bot, &answer(USER_REFRESH), NOW),
        Err(InstallationError::WrongTokenType {
            expected: TokenType::Bot,
            found: Some("user".into())
        })
    );
    let untyped = answer(r#"{"access_token":"xoxe.xoxb-1-X","expires_in":1,"refresh_token":"r"}"#);
    assert_eq!(
        i.apply_refresh(TokenType::Bot, &untyped, NOW),
        Err(InstallationError::WrongTokenType {
            expected: TokenType::Bot,
            found: None
        })
    );
    assert_eq!(i, before);
}

#[test]
fn apply_refuses_incomplete_or_foreign_answers() {
    let mut i = rotating();
    let before = i.clone();
    for (json, err) in [
        (
            r#"{"token_type":"bot","expires_in":1,"refresh_token":"r"}"#,
            InstallationError::MissingField {
                field: "access_token",
            },
        ),
        (
            r#"{"token_type":"bot","access_token":"a","expires_in":1}"#,
            InstallationError::MissingField {
                field: "refresh_token",
            },
        ),
        (
            r#"{"token_type":"bot","access_token":"a","refresh_token":"r"}"#,
            InstallationError::MissingField {
                field: "expires_in",
            },
        ),
        (
            r#"{"token_type":"bot","access_token":"a","refresh_token":"r","expires_in":1,"team":{"id":"T2"}}"#,
            InstallationError::Mismatch { field: "team" },
        ),
        (
            r#"{"token_type":"bot","access_token":"a","refresh_token":"r","expires_in":1,"app_id":"A2"}"#,
            InstallationError::Mismatch { field: "app_id" },
        ),
        (
            r#"{"token_type":"bot","access_token":"a","refresh_token":"r","expires_in":1,"enterprise":{"id":"E9"}}"#,
            InstallationError::Mismatch {
                field: "enterprise",
            },
        ),
    ] {
        // Enterprise mismatch only counts when the installation knows its enterprise.
        if json.contains("E9") {
            i.enterprise_id = Some("E1".into());
        }
        assert_eq!(
            i.apply_refresh(TokenType::Bot, &answer(json), NOW),
            Err(err),
            "{json}"
        );
    }
    i.enterprise_id = None;
    assert_eq!(i, before);

    let mut bot_only = Installation::from_access(
        answer(r#"{"access_token":"xoxb-1","token_type":"bot","team":{"id":"T1"}}"#),
        NOW,
    )
    .unwrap();
    assert_eq!(
        bot_only.apply_refresh(TokenType::User, &answer(USER_REFRESH), NOW),
        Err(InstallationError::MissingToken(TokenType::User))
    );
}

#[test]
fn apply_bot_refresh_updates_bot_user_id_and_keeps_scopes() {
    let mut i = rotating();
    i.apply_refresh(
        TokenType::Bot,
        &answer(
            r#"{"token_type":"bot","access_token":"xoxe.xoxb-1-BOT2","refresh_token":"xoxe-1-BOTR2",
            "expires_in":100,"bot_user_id":"UB2","team":{"id":"T1"}}"#,
        ),
        NOW + 5,
    )
    .unwrap();
    let bot = i.bot.as_ref().unwrap();
    assert_eq!(bot.user_id.as_deref(), Some("UB2"));
    assert_eq!(
        bot.scopes,
        ["chat:write"],
        "no scope in the answer keeps the old ones"
    );
    assert_eq!(bot.expires_at, Some(NOW + 105));
    assert_eq!(i.user.as_ref().unwrap().token.expose(), "xoxe.xoxp-1-USER1");
}

#[test]
fn exchange_migrations() {
    // The bot example of https://api.slack.com/methods/oauth.v2.exchange (fake values).
    let bot = Installation::from_exchange(
        answer(r#"{"ok":true,"access_token":"xoxe.xoxb-1-FAKEEXCHANGED","expires_in":43200,"refresh_token":"xoxe-1-FAKEREFRESH",
         "token_type":"bot","scope":"commands,incoming-webhook","bot_user_id":"U0FAKEBOT","app_id":"A0FAKEAPP1",
         "team":{"name":"Example Team","id":"T0FAKETEAM"},"enterprise":null,"is_enterprise_install":false}"#),
        NOW,
    )
    .unwrap();
    assert_eq!(bot.key(), "T0FAKETEAM");
    assert!(bot.user.is_none());
    assert_eq!(
        bot.bot.as_ref().unwrap().expires_at,
        Some(NOW + TOKEN_LIFETIME)
    );

    // A user token top-level, or under authed_user.
    for json in [
        r#"{"access_token":"xoxe.xoxp-1-U","token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-R",
           "authed_user":{"id":"U1"},"team":{"id":"T1"}}"#,
        r#"{"token_type":"user","team":{"id":"T1"},"authed_user":{"id":"U1","access_token":"xoxe.xoxp-1-U",
           "token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-R"}}"#,
    ] {
        let i = Installation::from_exchange(answer(json), NOW).unwrap();
        assert!(i.bot.is_none());
        let user = i.user.as_ref().unwrap();
        assert_eq!(user.token.expose(), "xoxe.xoxp-1-U");
        assert_eq!(user.expires_at, Some(NOW + TOKEN_LIFETIME));
        assert_eq!(i.key(), "T1:U1");
    }

    assert_eq!(
        Installation::from_exchange(
            answer(r#"{"access_token":"xoxb-1","token_type":"bot","team":{"id":"T1"}}"#),
            NOW
        ),
        Err(InstallationError::MissingField {
            field: "refresh_token"
        })
    );
    assert_eq!(
        Installation::from_exchange(
            answer(r#"{"access_token":"x","refresh_token":"r","team":{"id":"T1"}}"#),
            NOW
        ),
        Err(InstallationError::UnknownTokenType { found: None })
    );
    assert_eq!(
        Installation::from_exchange(
            answer(r#"{"token_type":"user","team":{"id":"T1"},"authed_user":{"id":"U1"}}"#),
            NOW
        ),
        Err(InstallationError::NoToken)
    );
}

#[test]
fn apply_exchange_migrates_one_token_of_an_installation() {
    let mut legacy = Installation::from_access(
        answer(
            r#"{"app_id":"A1","access_token":"xoxb-OLD","token_type":"bot","team":{"id":"T1"},
            "authed_user":{"id":"U1","access_token":"xoxp-OLD","token_type":"user"}}"#,
        ),
        NOW,
    )
    .unwrap();
    let which = legacy
        .apply_exchange(
            &answer(r#"{"app_id":"A1","access_token":"xoxe.xoxp-1-NEW","token_type":"user","expires_in":43200,
                "refresh_token":"xoxe-1-R","team":{"id":"T1"}}"#),
            NOW + 1,
        )
        .unwrap();
    assert_eq!(which, TokenType::User);
    assert_eq!(
        legacy.user.as_ref().unwrap().token.expose(),
        "xoxe.xoxp-1-NEW"
    );
    assert_eq!(legacy.user.as_ref().unwrap().user_id.as_deref(), Some("U1"));
    assert_eq!(legacy.bot.as_ref().unwrap().token.expose(), "xoxb-OLD");
    assert_eq!(
        legacy.apply_exchange(
            &answer(
                r#"{"access_token":"xoxe.xoxb-1-N","token_type":"bot","expires_in":1,
                "refresh_token":"r","team":{"id":"T2"}}"#
            ),
            NOW
        ),
        Err(InstallationError::Mismatch { field: "team" })
    );
    assert_eq!(legacy.bot.as_ref().unwrap().token.expose(), "xoxb-OLD");
}

quickcheck::quickcheck! {
    /// For any lifetime, margin and time, the decision is Refresh exactly from
    /// `expires_at - min(margin, lifetime / 2)` on.
    fn decision_edge(lifetime: u32, margin: u32, offset: u32) -> TestResult {
        let lifetime = u64::from(lifetime);
        let mut i = rotating();
        let bot = i.bot.as_mut().unwrap();
        bot.issued_at = Some(NOW);
        bot.expires_at = Some(NOW + lifetime);
        let margin = u64::from(margin);
        let edge = NOW + lifetime - margin.min(lifetime / 2);
        let now = NOW + u64::from(offset);
        let refresh = matches!(i.decide_with_margin(TokenType::Bot, now, margin), Ok(Decision::Refresh(_)));
        TestResult::from_bool(refresh == (now >= edge))
    }
}

/// The answer's accessors and `from_access` place the top-level token by one rule, for
/// every shape of answer.
#[test]
fn token_placement_is_one_rule() {
    // (json, bot token, user token)
    let shapes = [
        (
            r#"{"access_token":"xoxb-1","token_type":"bot","team":{"id":"T1"}}"#,
            Some("xoxb-1"),
            None,
        ),
        (
            r#"{"access_token":"xoxp-1","token_type":"user","team":{"id":"T1"}}"#,
            None,
            Some("xoxp-1"),
        ),
        // Untyped: the prefix decides.
        (
            r#"{"access_token":"xoxp-1","team":{"id":"T1"}}"#,
            None,
            Some("xoxp-1"),
        ),
        (
            r#"{"access_token":"xoxe.xoxp-1-R","team":{"id":"T1"}}"#,
            None,
            Some("xoxe.xoxp-1-R"),
        ),
        (
            r#"{"access_token":"xoxb-1","team":{"id":"T1"}}"#,
            Some("xoxb-1"),
            None,
        ),
        // Typed as a bot, whatever it looks like; the user token is under authed_user.
        (
            r#"{"access_token":"xoxp-odd","token_type":"bot","team":{"id":"T1"},
               "authed_user":{"id":"U1","access_token":"xoxp-2","token_type":"user"}}"#,
            Some("xoxp-odd"),
            Some("xoxp-2"),
        ),
    ];
    for (json, bot, user) in shapes {
        let response = parse(json);
        assert_eq!(response.bot_token().map(AccessToken::expose), bot, "{json}");
        assert_eq!(
            response.user_token().map(AccessToken::expose),
            user,
            "{json}"
        );
        let installation = Installation::from_access(response, NOW).unwrap();
        let held = |t| installation.token(t).map(|set| set.token.expose());
        assert_eq!(held(TokenType::Bot), bot, "{json}");
        assert_eq!(held(TokenType::User), user, "{json}");
    }
}
