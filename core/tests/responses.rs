//! Reading answers: a realistic success body per method, every documented error code per
//! method, warnings, rate limits, broken bodies, and what each error says about retrying.

use std::collections::BTreeSet;
use std::time::Duration;

use slack_oauth_core::apps_auth_external::{Delete, DeleteResponse, Get};
use slack_oauth_core::oauth_v2::{Access, Exchange, UserAccess};
use slack_oauth_core::tooling_tokens::Rotate;
use slack_oauth_core::{
    error::{retry_after, BodyKind, HttpError, RateLimited, SlackError, Warning},
    method::{BuiltinMethod, VisitMethod},
    parse,
    secret::TokenKind,
    Error, ErrorCode, Method, Reply,
};

/// Slack's method → documented codes table, one entry per built-in method. The `auth.test`
/// and `auth.revoke` entries are the platform-wide codes, which is all their pages list
/// (<https://docs.slack.dev/reference/methods/auth.test>,
/// <https://docs.slack.dev/reference/methods/auth.revoke>).
const DOCUMENTED: &str = include_str!("data/documented-codes.json");

fn ok<B: AsRef<[u8]>>(body: B) -> http::Response<B> {
    http::Response::new(body)
}

fn with<B: AsRef<[u8]>>(status: u16, headers: &[(&str, &str)], body: B) -> http::Response<B> {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body).unwrap()
}

fn failure<M: Method, B: AsRef<[u8]>>(response: &http::Response<B>) -> Error {
    match parse::<M, _>(response) {
        Ok(_) => panic!("{}: expected an error", M::NAME),
        Err(e) => e,
    }
}

fn success<M: Method>(response: &http::Response<&[u8]>) -> Reply<M::Response> {
    match parse::<M, _>(response) {
        Ok(reply) => reply,
        Err(e) => panic!(
            "{}: {e:?} for {:?}",
            M::NAME,
            String::from_utf8_lossy(response.body())
        ),
    }
}

fn slack_error<M: Method>(response: &http::Response<&[u8]>) -> SlackError {
    match parse::<M, _>(response) {
        Err(Error::Slack(e)) => *e,
        other => panic!("{}: expected a Slack error, got {:?}", M::NAME, other.err()),
    }
}

fn rate_limited<M: Method>(response: &http::Response<&[u8]>) -> RateLimited {
    match parse::<M, _>(response) {
        Err(Error::RateLimited(e)) => e,
        other => panic!("{}: expected RateLimited, got {:?}", M::NAME, other.err()),
    }
}

fn http_error<M: Method>(response: &http::Response<&[u8]>) -> HttpError {
    match parse::<M, _>(response) {
        Err(Error::Http(e)) => e,
        other => panic!(
            "{}: expected Http, got {:?} for {:?}",
            M::NAME,
            other.err(),
            String::from_utf8_lossy(response.body())
        ),
    }
}

/// Runs a generic check for every method of [`BuiltinMethod::ALL`]: the list written once
/// in core, so a method added there is checked here without touching this file.
macro_rules! for_each_method {
    ($check:ident) => {{
        struct Check;
        impl VisitMethod for Check {
            type Output = ();
            fn visit<M: Method>(self, _: BuiltinMethod) {
                $check::<M>()
            }
        }
        for method in BuiltinMethod::ALL {
            method.visit(Check);
        }
    }};
}

// ---------------------------------------------------------------------------------------
// Success bodies (shaped like the examples on Slack's method pages, fake values)
// ---------------------------------------------------------------------------------------

#[test]
fn access_org_wide_install_with_rotation() {
    let body = br#"{"ok":true,"app_id":"A0FAKEAPP1","access_token":"xoxe.xoxb-1-FAKEBOTACCESS","token_type":"bot",
 "scope":"chat:write,commands","bot_user_id":"U0FAKEBOT","expires_in":43200,"refresh_token":"xoxe-1-FAKEBOTREFRESH",
 "team":null,"enterprise":{"id":"E0FAKEORG","name":"Example Org"},"is_enterprise_install":true,
 "authed_user":{"id":"W0FAKEUSER","scope":"search:read","access_token":"xoxe.xoxp-1-FAKEUSERACCESS",
  "token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-FAKEUSERREFRESH"}}"#;
    let reply = success::<Access>(&ok(&body[..]));
    assert!(reply.warnings.is_empty() && reply.messages.is_empty());
    assert_eq!(reply.oauth_scopes, None);
    let v = reply.value;
    assert_eq!(v.app_id.as_deref(), Some("A0FAKEAPP1"));
    assert_eq!(
        v.access_token.as_ref().unwrap().expose(),
        "xoxe.xoxb-1-FAKEBOTACCESS"
    );
    assert_eq!(v.token_type.as_deref(), Some("bot"));
    assert_eq!(v.scope.as_deref(), Some("chat:write,commands"));
    assert_eq!(v.bot_user_id.as_deref(), Some("U0FAKEBOT"));
    assert_eq!(v.expires_in, Some(43200));
    assert_eq!(
        v.refresh_token.as_ref().unwrap().expose(),
        "xoxe-1-FAKEBOTREFRESH"
    );
    assert_eq!(v.team, None, "org-wide install: team is null");
    let enterprise = v.enterprise.as_ref().unwrap();
    assert_eq!(enterprise.id, "E0FAKEORG");
    assert_eq!(enterprise.name.as_deref(), Some("Example Org"));
    assert!(v.is_enterprise_install);
    assert_eq!(v.installation_id(), Some("E0FAKEORG"));

    let user = v.authed_user.as_ref().unwrap();
    assert_eq!(user.id, "W0FAKEUSER");
    assert_eq!(user.scope.as_deref(), Some("search:read"));
    assert_eq!(user.token_type.as_deref(), Some("user"));
    assert_eq!(user.expires_in, Some(43200));
    assert_eq!(
        user.refresh_token.as_ref().unwrap().expose(),
        "xoxe-1-FAKEUSERREFRESH"
    );
    assert_eq!(v.bot_token().unwrap().kind(), TokenKind::RotatingBot);
    assert_eq!(
        v.user_token().unwrap().expose(),
        "xoxe.xoxp-1-FAKEUSERACCESS"
    );
    assert_eq!(v.user_token().unwrap().kind(), TokenKind::RotatingUser);
    assert_eq!(v.refresh_token.unwrap().kind(), TokenKind::Refresh);
}

#[test]
fn access_workspace_install_with_webhook_escaped_urls_and_scopes_header() {
    let body = br##"{"ok":true,"app_id":"A1","access_token":"xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
 "token_type":"bot","scope":"commands,incoming-webhook","bot_user_id":"U0KRQLJ9H",
 "team":{"name":"Slack Softball Team","id":"T9TK3CUKW"},"enterprise":null,"is_enterprise_install":false,
 "authed_user":{"id":"U1234","scope":"chat:write","access_token":"xoxp-1234","token_type":"user"},
 "incoming_webhook":{"channel":"#general","channel_id":"C0123",
  "configuration_url":"https:\/\/teamname.slack.com\/services\/B0123",
  "url":"https:\/\/hooks.slack.com\/services\/T9TK3CUKW\/B0123\/FAKEHOOK"},
 "some_future_field":{"nested":[1,{"deep":true}],"s":"x"}}"##;
    let response = with(
        200,
        &[("x-oauth-scopes", "commands,incoming-webhook")],
        &body[..],
    );
    let reply = success::<Access>(&response);
    assert_eq!(
        reply.oauth_scopes.as_deref(),
        Some("commands,incoming-webhook")
    );
    let v = reply.value;
    let team = v.team.as_ref().unwrap();
    assert_eq!(
        (team.id.as_str(), team.name.as_deref()),
        ("T9TK3CUKW", Some("Slack Softball Team"))
    );
    assert_eq!(v.enterprise, None);
    assert!(!v.is_enterprise_install);
    assert_eq!(v.installation_id(), Some("T9TK3CUKW"));
    assert_eq!(v.bot_token().unwrap().kind(), TokenKind::Bot);
    assert_eq!(v.user_token().unwrap().expose(), "xoxp-1234");
    assert_eq!(v.expires_in, None);
    assert_eq!(v.refresh_token, None);
    let hook = v.incoming_webhook.as_ref().unwrap();
    assert_eq!(
        hook.url.expose(),
        "https://hooks.slack.com/services/T9TK3CUKW/B0123/FAKEHOOK"
    );
    assert_eq!(
        hook.configuration_url.as_deref(),
        Some("https://teamname.slack.com/services/B0123")
    );
    assert_eq!(hook.channel.as_deref(), Some("#general"));
    assert_eq!(hook.channel_id.as_deref(), Some("C0123"));
}

#[test]
fn access_refresh_of_a_bot_token() {
    let body = br#"{"ok":true,"app_id":"A0FAKEAPP1","access_token":"xoxe.xoxb-1-FAKENEWBOT","token_type":"bot",
 "scope":"chat:write","bot_user_id":"U0FAKEBOT","expires_in":43200,"refresh_token":"xoxe-1-FAKENEWREFRESH",
 "team":{"id":"T0FAKETEAM","name":"Example Team"},"enterprise":null,"is_enterprise_install":false}"#;
    let v = success::<Access>(&ok(&body[..])).into_inner();
    assert_eq!(v.bot_token().unwrap().expose(), "xoxe.xoxb-1-FAKENEWBOT");
    assert_eq!(v.user_token(), None);
    assert_eq!(v.authed_user, None);
    assert_eq!(v.refresh_token.unwrap().expose(), "xoxe-1-FAKENEWREFRESH");
}

#[test]
fn access_refresh_of_a_user_token() {
    let body = br#"{"ok":true,"app_id":"A0FAKEAPP1","access_token":"xoxe.xoxp-1-FAKENEWUSER","token_type":"user",
 "scope":"search:read","expires_in":43200,"refresh_token":"xoxe-1-FAKENEWREFRESH",
 "team":{"id":"T0FAKETEAM","name":"Example Team"},"enterprise":null,"is_enterprise_install":false}"#;
    let v = success::<Access>(&ok(&body[..])).into_inner();
    assert_eq!(v.bot_token(), None, "token_type user: not a bot token");
    assert_eq!(v.user_token().unwrap().expose(), "xoxe.xoxp-1-FAKENEWUSER");
    assert_eq!(v.expires_in, Some(43200));
    assert_eq!(v.installation_id(), Some("T0FAKETEAM"));
}

#[test]
fn user_access_token_top_level_or_under_authed_user() {
    let top = br#"{"ok":true,"access_token":"xoxe.xoxp-1-FAKEUSERONLY","token_type":"user","expires_in":43200,
 "refresh_token":"xoxe-1-FAKEREFRESH","authed_user":{"id":"U0FAKEUSER","scope":"channels:history,users:read"},
 "team":{"id":"T0FAKETEAM"}}"#;
    let v = success::<UserAccess>(&ok(&top[..])).into_inner();
    assert_eq!(v.user_token().unwrap().expose(), "xoxe.xoxp-1-FAKEUSERONLY");
    assert_eq!(v.bot_token(), None);
    assert_eq!(v.authed_user.as_ref().unwrap().id, "U0FAKEUSER");
    let team = v.team.as_ref().unwrap();
    assert_eq!(
        (team.id.as_str(), team.name.as_deref()),
        ("T0FAKETEAM", None)
    );

    let nested = br#"{"ok":true,"app_id":"A1","authed_user":{"id":"U1","scope":"chat:write",
 "access_token":"xoxp-1-NESTED","token_type":"user"},"team":{"id":"T1"},"enterprise":null}"#;
    let v = success::<UserAccess>(&ok(&nested[..])).into_inner();
    assert_eq!(v.access_token, None);
    assert_eq!(v.user_token().unwrap().expose(), "xoxp-1-NESTED");
    assert_eq!(v.bot_token(), None);

    let siws =
        br#"{"ok":true,"access_token":"xoxp-1-SIWS","token_type":"user","id_token":"eyJ.FAKE.SIG",
 "authed_user":{"id":"U1","scope":"openid,email,profile"},"team":{"id":"T1"}}"#;
    let v = success::<UserAccess>(&ok(&siws[..])).into_inner();
    assert_eq!(v.id_token.unwrap().expose(), "eyJ.FAKE.SIG");
}

#[test]
fn exchange_success() {
    let body = br#"{"ok":true,"access_token":"xoxe.xoxb-1-FAKEEXCHANGED","expires_in":43200,"refresh_token":"xoxe-1-FAKEREFRESH",
 "token_type":"bot","scope":"commands,incoming-webhook","bot_user_id":"U0FAKEBOT","app_id":"A0FAKEAPP1",
 "team":{"name":"Example Team","id":"T0FAKETEAM"},"enterprise":null,"is_enterprise_install":false,
 "response_metadata":{"messages":[],"warnings":[]}}"#;
    let reply = success::<Exchange>(&ok(&body[..]));
    assert!(reply.warnings.is_empty());
    let v = reply.value;
    assert_eq!(v.bot_token().unwrap().expose(), "xoxe.xoxb-1-FAKEEXCHANGED");
    assert_eq!(v.refresh_token.unwrap().expose(), "xoxe-1-FAKEREFRESH");
    assert_eq!(v.expires_in, Some(43200));
    assert_eq!(v.team.unwrap().id, "T0FAKETEAM");
}

#[test]
fn rotate_success() {
    let body =
        br#"{"ok":true,"token":"xoxe.xoxp-1-FAKECONFIG","refresh_token":"xoxe-1-FAKECONFIGREFRESH",
 "team_id":"T0FAKETEAM","user_id":"U0FAKEUSER","iat":1700000000,"exp":1700043200}"#;
    let v = success::<Rotate>(&ok(&body[..])).into_inner();
    assert_eq!(v.token.expose(), "xoxe.xoxp-1-FAKECONFIG");
    assert_eq!(v.token.kind(), TokenKind::Configuration);
    assert_eq!(v.refresh_token.expose(), "xoxe-1-FAKECONFIGREFRESH");
    assert_eq!(v.team_id, "T0FAKETEAM");
    assert_eq!(v.user_id, "U0FAKEUSER");
    assert_eq!((v.iat, v.exp), (1_700_000_000, 1_700_043_200));
}

#[test]
fn external_get_and_delete_success() {
    let v = success::<Get>(&ok(
        &br#"{"ok":true,"external_token":"ya29.FAKE-PROVIDER-TOKEN"}"#[..],
    ))
    .into_inner();
    assert_eq!(v.external_token.expose(), "ya29.FAKE-PROVIDER-TOKEN");

    let reply = success::<Delete>(&ok(&br#"{"ok":true}"#[..]));
    assert_eq!(reply.value, DeleteResponse::default());
    assert!(reply.warnings.is_empty());
}

// ---------------------------------------------------------------------------------------
// Every documented error code, per method
// ---------------------------------------------------------------------------------------

fn documented() -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_str(DOCUMENTED).unwrap()
}

fn documented_for(name: &str) -> Vec<String> {
    let table = documented();
    let list = table
        .get(name)
        .unwrap_or_else(|| panic!("{name} is not in documented-codes.json"));
    serde_json::from_value(list.clone()).unwrap()
}

fn check_documented_codes<M: Method>() {
    let codes = documented_for(M::NAME);
    let mut ours: Vec<&str> = M::documented_errors().map(ErrorCode::as_str).collect();
    ours.sort_unstable();
    assert_eq!(
        ours,
        codes,
        "{}'s documented codes differ from the JSON",
        M::NAME
    );
    // The platform-wide codes are listed once, not again beside the method.
    for code in M::ERRORS {
        assert!(
            !M::COMMON_ERRORS.contains(code),
            "{} repeats {code}",
            M::NAME
        );
    }

    for code in &codes {
        let body = serde_json::json!({ "ok": false, "error": code }).to_string();
        let response = ok(body.as_bytes());
        let typed = ErrorCode::parse(code);
        assert!(!matches!(typed, ErrorCode::Other(_)), "{code} is untyped");
        assert!(!typed.description().is_empty(), "{code} has no description");
        let err = failure::<M, _>(&response);
        assert_eq!(err.code(), Some(&typed), "{} {code}", M::NAME);
        assert_eq!(err.status(), 200);
        if typed == ErrorCode::Ratelimited {
            // `ratelimited` is a rate limit whatever the status.
            let limited = rate_limited::<M>(&response);
            assert_eq!(limited.retry_after, RateLimited::DEFAULT_RETRY_AFTER);
            assert!(!limited.from_header);
        } else {
            let e = slack_error::<M>(&response);
            assert_eq!(e.code.as_str(), code);
            let shown = err.to_string();
            assert!(shown.contains(code.as_str()), "{shown}");
            assert!(shown.contains(typed.description()), "{shown}");
        }
    }
}

#[test]
fn every_documented_code_of_every_method() {
    for_each_method!(check_documented_codes);
}

#[test]
fn the_json_covers_exactly_the_builtin_methods_and_all_codes() {
    let table = documented();
    let methods: BTreeSet<&str> = table
        .keys()
        .map(String::as_str)
        .filter(|k| !k.starts_with('_'))
        .collect();
    let ours: BTreeSet<&str> = BuiltinMethod::ALL.iter().map(|m| m.name()).collect();
    assert_eq!(methods, ours);
    for method in BuiltinMethod::ALL {
        let mut codes: Vec<&str> = method
            .documented_errors()
            .iter()
            .map(|c| c.as_str())
            .collect();
        codes.sort_unstable();
        assert_eq!(codes, documented_for(method.name()), "{method}");
    }

    let union: BTreeSet<String> = methods.iter().flat_map(|m| documented_for(m)).collect();
    let all: BTreeSet<String> = ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    assert_eq!(
        union, all,
        "ErrorCode::ALL is the union of the documented codes"
    );
    assert_eq!(ErrorCode::ALL.len(), 59);

    let warnings = documented_for("_warnings");
    for w in &warnings {
        assert!(!matches!(Warning::parse(w), Warning::Other(_)), "{w}");
        assert_eq!(Warning::parse(w).as_str(), w);
    }
}

#[test]
fn unknown_codes_are_kept_verbatim() {
    let err =
        parse::<Access, _>(&ok(&br#"{"ok":false,"error":"brand_new_code"}"#[..])).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::Other("brand_new_code".into())));
    assert!(!err.is_retryable() && !err.is_token_dead() && !err.needs_reinstall());
    assert!(err.to_string().contains("brand_new_code"));

    // ok:false without a code is still a Slack failure.
    let e = slack_error::<Rotate>(&ok(&br#"{"ok":false}"#[..]));
    assert_eq!(e.code, ErrorCode::Other(String::new()));
}

// ---------------------------------------------------------------------------------------
// Warnings, messages, needed/provided
// ---------------------------------------------------------------------------------------

/// A minimal success body for `M`, with `extra` spliced in after `ok`.
fn success_body<M: Method>(extra: &str) -> String {
    // A match over the list, not over names: a method added to it needs a body here.
    let method = BuiltinMethod::from_name(M::NAME).expect("a built-in method");
    let fields = match method {
        BuiltinMethod::ToolingTokensRotate => {
            r#""token":"xoxe.xoxp-1-a","refresh_token":"xoxe-1-b","team_id":"T1","user_id":"U1","iat":1,"exp":2"#
        }
        BuiltinMethod::AppsAuthExternalGet => r#""external_token":"ya29.x""#,
        BuiltinMethod::AppsAuthExternalDelete => r#""x":1"#,
        BuiltinMethod::AuthTest => r#""url":"https://x.slack.com/","team_id":"T1","user_id":"U1""#,
        BuiltinMethod::AuthRevoke => r#""revoked":true"#,
        BuiltinMethod::OpenidConnectToken => {
            r#""access_token":"xoxp-1","token_type":"Bearer","id_token":"eyJ.e30.c2ln""#
        }
        BuiltinMethod::OpenidConnectUserInfo => r#""sub":"U1","https://slack.com/team_id":"T1""#,
        BuiltinMethod::OauthV2Access
        | BuiltinMethod::OauthV2UserAccess
        | BuiltinMethod::OauthV2Exchange => {
            r#""access_token":"xoxb-1","token_type":"bot","team":{"id":"T1"}"#
        }
    };
    format!(r#"{{"ok":true,{extra},{fields}}}"#)
}

fn check_warnings<M: Method>() {
    let expected = vec![
        Warning::MissingCharset,
        Warning::SuperfluousCharset,
        Warning::Other("future_warning".into()),
    ];
    let envelope = r#""warning":"missing_charset, superfluous_charset,,","response_metadata":{"warnings":["superfluous_charset","future_warning","missing_charset"],"messages":["[WARN] a","[WARN] b"]}"#;

    let body = success_body::<M>(envelope);
    let reply = success::<M>(&ok(body.as_bytes()));
    assert_eq!(reply.warnings, expected, "{} success", M::NAME);
    assert_eq!(reply.messages, ["[WARN] a", "[WARN] b"]);

    let body = format!(r#"{{"ok":false,"error":"invalid_auth",{envelope}}}"#);
    let err = failure::<M, _>(&ok(body.as_bytes()));
    assert_eq!(err.warnings(), expected.as_slice(), "{} failure", M::NAME);
    let Error::Slack(e) = err else { panic!() };
    assert_eq!(e.messages, ["[WARN] a", "[WARN] b"]);

    // The envelope may come after the method's own fields.
    let body = success_body::<M>(r#""ignored":null"#).replacen(r#""ok":true,"#, "", 1);
    let body = format!(
        r#"{},"ok":true,"warning":"missing_charset"}}"#,
        body.strip_suffix('}').unwrap()
    );
    let reply = success::<M>(&ok(body.as_bytes()));
    assert_eq!(reply.warnings, [Warning::MissingCharset], "{body}");

    // Only one source, or an empty metadata object.
    let body = success_body::<M>(r#""response_metadata":{"warnings":["superfluous_charset"]}"#);
    assert_eq!(
        success::<M>(&ok(body.as_bytes())).warnings,
        [Warning::SuperfluousCharset]
    );
    let body = success_body::<M>(r#""response_metadata":{}"#);
    let reply = success::<M>(&ok(body.as_bytes()));
    assert!(reply.warnings.is_empty() && reply.messages.is_empty());
}

#[test]
fn warnings_and_messages_on_success_and_failure() {
    for_each_method!(check_warnings);
}

#[test]
fn error_from_the_wild_with_warning_and_messages() {
    let body = br#"{"ok":false,"error":"invalid_arguments","warning":"missing_charset",
 "response_metadata":{"messages":["[ERROR] missing required field: channel"],"warnings":["missing_charset"]}}"#;
    let e = slack_error::<Access>(&ok(&body[..]));
    assert_eq!(e.code, ErrorCode::InvalidArguments);
    assert_eq!(e.warnings, [Warning::MissingCharset]);
    assert_eq!(e.messages, ["[ERROR] missing required field: channel"]);
}

#[test]
fn token_expired_with_empty_metadata() {
    // bolt-js#1968
    let body = br#"{"ok":false,"error":"token_expired","response_metadata":{}}"#;
    let err = parse::<Get, _>(&ok(&body[..])).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::TokenExpired));
    assert!(err.warnings().is_empty());
    assert!(err.is_token_dead());
    assert!(
        !err.needs_reinstall(),
        "a refresh can replace an expired token"
    );
    assert!(!err.is_retryable());
}

#[test]
fn missing_scope_keeps_needed_and_provided() {
    let body = br#"{"ok":false,"error":"missing_scope","needed":"identity.basic","provided":"identify,read,post"}"#;
    let e = slack_error::<Delete>(&ok(&body[..]));
    assert_eq!(e.code, ErrorCode::MissingScope);
    assert_eq!(e.needed.as_deref(), Some("identity.basic"));
    assert_eq!(e.provided.as_deref(), Some("identify,read,post"));
    let shown = Error::Slack(Box::new(e)).to_string();
    assert!(
        shown.contains("needed: identity.basic") && shown.contains("provided: identify,read,post"),
        "{shown}"
    );
}

// ---------------------------------------------------------------------------------------
// Rate limits
// ---------------------------------------------------------------------------------------

fn check_rate_limits<M: Method>() {
    let body: &[u8] = br#"{"ok":false,"error":"ratelimited","warning":"missing_charset"}"#;

    let e = rate_limited::<M>(&with(429, &[("Retry-After", "30")], body));
    assert_eq!(e.retry_after, Duration::from_secs(30));
    assert!(e.from_header);
    assert_eq!(e.status, 429);
    assert_eq!(e.warnings, [Warning::MissingCharset]);

    // Missing or malformed header: the documented fallback, and we say so.
    for headers in [
        &[][..],
        &[("retry-after", "soon")][..],
        &[("retry-after", "-5")][..],
        &[("retry-after", "1.5")][..],
        &[("retry-after", "")][..],
        &[("retry-after", "99999999999999999999999")][..],
        &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")][..],
    ] {
        let e = rate_limited::<M>(&with(429, headers, body));
        assert_eq!(
            e.retry_after,
            RateLimited::DEFAULT_RETRY_AFTER,
            "{headers:?}"
        );
        assert!(!e.from_header, "{headers:?}");
    }
    assert_eq!(RateLimited::DEFAULT_RETRY_AFTER, Duration::from_secs(60));

    // A 429 whatever its body: none, HTML, or JSON of another shape.
    for body in [
        &b""[..],
        b"<html><title>429</title></html>",
        b"{\"ok\":true}",
    ] {
        let err = failure::<M, _>(&with(429, &[("retry-after", "7")], body));
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(err.code(), Some(&ErrorCode::Ratelimited));
        assert!(!err.is_token_dead() && !err.needs_reinstall());
        assert!(err.to_string().contains("retry after 7 s"), "{err}");
    }

    // `ratelimited` at status 200 is a rate limit too, and reads Retry-After when present.
    let e = rate_limited::<M>(&with(200, &[], body));
    assert_eq!(
        (e.status.as_u16(), e.retry_after),
        (200, RateLimited::DEFAULT_RETRY_AFTER)
    );
    let e = rate_limited::<M>(&with(200, &[("retry-after", "3")], body));
    assert_eq!(e.retry_after, Duration::from_secs(3));
}

#[test]
fn rate_limits() {
    for_each_method!(check_rate_limits);
    let r = with(429, &[("Retry-After", " 12 ")], &b""[..]);
    assert_eq!(retry_after(&r), Some(Duration::from_secs(12)));
    assert_eq!(retry_after(&with(429, &[], &b""[..])), None);
}

// ---------------------------------------------------------------------------------------
// Bodies that are not Slack answers
// ---------------------------------------------------------------------------------------

const BAD_GATEWAY: &[u8] = b"<!DOCTYPE html>\n<html><head><TITLE>502 Bad Gateway</TITLE></head>\
<body><h1>Bad Gateway</h1><p>xoxb-not-a-secret-but-never-kept</p></body></html>";

fn check_broken_bodies<M: Method>() {
    let html = [("content-type", "text/html; charset=utf-8")];
    let e = http_error::<M>(&with(502, &html, BAD_GATEWAY));
    assert_eq!(e.status, 502);
    assert_eq!(e.content_type.as_deref(), Some("text/html; charset=utf-8"));
    assert_eq!(
        e.body,
        BodyKind::Html {
            title: Some("502 Bad Gateway".into())
        }
    );
    assert_eq!(e.body_len, BAD_GATEWAY.len());
    let err = Error::Http(e);
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Error::TRANSIENT_RETRY_AFTER));
    assert_eq!(err.code(), None);
    assert!(!err.is_token_dead() && !err.needs_reinstall());
    let shown = err.to_string();
    assert!(
        shown.contains("502") && shown.contains("502 Bad Gateway"),
        "{shown}"
    );
    assert!(!shown.contains("xoxb") && !format!("{err:?}").contains("xoxb"));

    let e = http_error::<M>(&with(502, &[], &b"<html><body>down</body></html>"[..]));
    assert_eq!(e.body, BodyKind::Html { title: None });

    // 503 with Slack's own JSON is a Slack error, retryable.
    let body: &[u8] = br#"{"ok":false,"error":"service_unavailable"}"#;
    let response = with(503, &[("content-type", "application/json")], body);
    let e = slack_error::<M>(&response);
    assert_eq!(
        (e.code, e.status.as_u16()),
        (ErrorCode::ServiceUnavailable, 503)
    );
    let err = failure::<M, _>(&response);
    assert_eq!(err.retry_after(), Some(Error::TRANSIENT_RETRY_AFTER));

    // A Slack success at a status Slack does not use for answers.
    let body = success_body::<M>(r#""x":0"#);
    let e = http_error::<M>(&with(500, &[], body.as_bytes()));
    assert_eq!((e.status.as_u16(), e.body), (500, BodyKind::Json));

    let cases: [(u16, &[u8], BodyKind); 10] = [
        (200, b"", BodyKind::Empty),
        (200, b" \r\n\t", BodyKind::Empty),
        (502, b"", BodyKind::Empty),
        (
            200,
            br#"{"ok":true,"access_token":"xoxb-1"#,
            BodyKind::Truncated,
        ),
        (200, br#"{"ok":false,"error":"#, BodyKind::Truncated),
        (200, b"\xff\xfe\x00{", BodyKind::InvalidUtf8),
        (
            200,
            b"{\"ok\":false,\"error\":\"\xc3\x28\"}",
            BodyKind::InvalidUtf8,
        ),
        (200, br#"[{"ok":true}]"#, BodyKind::Malformed),
        (200, br#"{"okay":true}"#, BodyKind::Malformed),
        (200, br#"{"ok":"yes","error":"x"}"#, BodyKind::Malformed),
    ];
    for (status, body, kind) in cases {
        let e = http_error::<M>(&with(status, &[("content-type", "application/json")], body));
        assert_eq!(
            e.body,
            kind,
            "{} {status} {:?}",
            M::NAME,
            String::from_utf8_lossy(body)
        );
        assert_eq!(e.status, status);
        assert_eq!(e.body_len, body.len());
        assert_eq!(e.content_type.as_deref(), Some("application/json"));
        let err = Error::Http(e);
        assert_eq!(err.is_retryable(), status >= 500);
        assert!(!err.is_token_dead());
    }
}

#[test]
fn broken_bodies_are_typed_http_errors() {
    for_each_method!(check_broken_bodies);
}

#[test]
fn invalid_utf8_inside_a_read_field_is_a_broken_body() {
    let body = b"{\"ok\":true,\"token\":\"xoxe.\xff\",\"refresh_token\":\"r\",\"team_id\":\"T\",\"user_id\":\"U\",\"iat\":1,\"exp\":2}";
    assert_eq!(
        http_error::<Rotate>(&ok(&body[..])).body,
        BodyKind::InvalidUtf8
    );
    let body = b"{\"ok\":true,\"access_token\":\"xoxb-\xc3\x28\"}";
    assert_eq!(
        http_error::<Access>(&ok(&body[..])).body,
        BodyKind::InvalidUtf8
    );
}

#[test]
fn success_missing_a_required_field_names_the_field_not_the_values() {
    let body = br#"{"ok":true,"refresh_token":"xoxe-1-CANARY","team_id":"T1","user_id":"U1","iat":1,"exp":2}"#;
    let err = parse::<Rotate, _>(&ok(&body[..])).unwrap_err();
    let Error::UnexpectedShape(shape) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(shape.method, "tooling.tokens.rotate");
    assert!(shape.detail.contains("`token`"), "{}", shape.detail);
    assert_eq!(err.status(), 200);
    assert!(!err.is_retryable() && !err.is_token_dead());
    // On another success status the error reports that status, not an invented 200.
    let mut created = http::Response::new(&body[..]);
    *created.status_mut() = http::StatusCode::CREATED;
    let created = parse::<Rotate, _>(&created).unwrap_err();
    assert!(matches!(created, Error::UnexpectedShape(_)), "{created:?}");
    assert_eq!(created.status(), 201);
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(shown.contains("tooling.tokens.rotate") && shown.contains("token"));
        assert!(
            !shown.contains("CANARY") && !shown.contains("T1"),
            "{shown}"
        );
    }

    // A value of the wrong type is described without quoting it.
    let body = br#"{"ok":true,"token":"xoxe.xoxp-1-a","refresh_token":"xoxe-1-b","team_id":"T1","user_id":"U1","iat":"xoxe-CANARY","exp":2}"#;
    let err = parse::<Rotate, _>(&ok(&body[..])).unwrap_err();
    assert!(matches!(err, Error::UnexpectedShape(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("CANARY"));

    let body = br#"{"ok":true,"external_token":{"CANARY":1}}"#;
    let err = parse::<Get, _>(&ok(&body[..])).unwrap_err();
    assert!(matches!(err, Error::UnexpectedShape(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("CANARY"));
}

// ---------------------------------------------------------------------------------------
// Retry and dead-token classification
// ---------------------------------------------------------------------------------------

#[test]
fn retry_and_dead_classification_of_every_code() {
    let retryable = [
        "ratelimited",
        "internal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
        "org_login_required",
        "unknown_error",
    ];
    let reinstall = [
        "invalid_auth",
        "token_revoked",
        "account_inactive",
        "invalid_refresh_token",
        "authorization_not_found",
    ];
    for code in ErrorCode::ALL {
        let s = code.as_str();
        assert_eq!(code.is_retryable(), retryable.contains(&s), "{s}");
        assert_eq!(code.needs_reinstall(), reinstall.contains(&s), "{s}");
        assert_eq!(
            code.is_token_dead(),
            reinstall.contains(&s) || s == "token_expired",
            "{s}"
        );
        assert!(!(code.is_retryable() && code.is_token_dead()), "{s}");

        let body = serde_json::json!({ "ok": false, "error": s }).to_string();
        let err = parse::<Access, _>(&ok(body.as_bytes())).unwrap_err();
        assert_eq!(err.is_retryable(), code.is_retryable(), "{s}");
        assert_eq!(err.is_token_dead(), code.is_token_dead(), "{s}");
        assert_eq!(err.needs_reinstall(), code.needs_reinstall(), "{s}");
        let expected_wait = match s {
            "ratelimited" => Some(RateLimited::DEFAULT_RETRY_AFTER),
            _ if code.is_retryable() => Some(Error::TRANSIENT_RETRY_AFTER),
            _ => None,
        };
        assert_eq!(err.retry_after(), expected_wait, "{s}");
    }
    // fatal_error: part of the operation may have happened, so no blind retry.
    assert!(!ErrorCode::FatalError.is_retryable());
}
