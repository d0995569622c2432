//! Runs a few request-building and response-parsing steps of `slack-oauth-core` and
//! summarises them in one number, so the same code can be run natively and as WASM
//! (`.ci/wasm-smoke`) and the two results compared.
//!
//! Each check is one bit of the result; [`EXPECTED`] has every bit set. The checks compare
//! exact bytes (body, headers, URL), so an encoding difference on wasm32 shows up as a
//! missing bit rather than slipping through.
#![deny(unsafe_code)]
#![deny(missing_docs)]

use slack_oauth_core::oauth_v2::Access;
use slack_oauth_core::openid::{self, Jwks, Nonce, Scope, Token, TokenResponse, Verifier};
use slack_oauth_core::tooling_tokens::Rotate;
use slack_oauth_core::{
    authorize::State,
    error::{BodyKind, Warning},
    http, parse,
    secret::{IdToken, TokenKind},
    AccessToken, Api, ClientCredentials, Error, ErrorCode,
};

/// The names of the checks, in bit order (bit 0 first).
pub const CHECKS: [&str; 23] = [
    "access request builds",
    "verb is POST",
    "URL is slack.com/api/oauth.v2.access",
    "Basic header is the RFC 6749 test vector",
    "Content-Type is a bare form type",
    "form body is exact",
    "refresh request body is exact",
    "org-wide install success parses",
    "tokens are classified by prefix",
    "warnings are read from both places",
    "error body becomes the typed code",
    "error body is not retryable and not dead",
    "429 carries Retry-After",
    "HTML 502 keeps its title",
    "Sign in with Slack authorize URL is exact",
    "openid.connect.token request is exact",
    "key set of two RSA keys parses",
    "id_token signed by the rotated-to key verifies into its claims",
    "tampered id_token: bad_signature",
    "key set without the token's kid: unknown_key",
    "after exp and the leeway: expired",
    "another nonce: nonce_mismatch",
    "another access token: at_hash_mismatch",
];

/// Slack's key set as the fixture has it: core's throw-away test keys 1 and 2 as `k1`, `k2`.
pub const JWKS: &str = include_str!("fixture/jwks.json");
/// An `openid.connect.token` answer whose `id_token` test key 2 (`k2`) signed; see
/// `fixture/README.md`.
pub const TOKEN_ANSWER: &str = include_str!("fixture/token.json");
/// The claims' `iat`; the token expires 300 s later.
pub const ISSUED_AT: u64 = 1_700_000_000;
/// The nonce the fixture's token carries.
pub const NONCE: &str = "wasm-smoke-nonce-0001";

/// What [`smoke`] returns when every check passes: one bit per entry of [`CHECKS`].
pub const EXPECTED: u32 = (1 << CHECKS.len()) - 1;

const INSTALL: &[u8] = br#"{"ok":true,"app_id":"A0FAKEAPP1","access_token":"xoxe.xoxb-1-FAKEBOTACCESS",
"token_type":"bot","scope":"chat:write,commands","bot_user_id":"U0FAKEBOT","expires_in":43200,
"refresh_token":"xoxe-1-FAKEBOTREFRESH","team":null,"enterprise":{"id":"E0FAKEORG","name":"Example Org"},
"is_enterprise_install":true,"authed_user":{"id":"W0FAKEUSER","scope":"search:read",
"access_token":"xoxe.xoxp-1-FAKEUSERACCESS","token_type":"user","expires_in":43200,
"refresh_token":"xoxe-1-FAKEUSERREFRESH"},"warning":"superfluous_charset",
"response_metadata":{"warnings":["superfluous_charset","missing_charset"]}}"#;

/// Runs every check and reports each result, in the order of [`CHECKS`].
pub fn checks() -> [bool; CHECKS.len()] {
    let mut out = [false; CHECKS.len()];

    let api = Api::new().with_credentials(ClientCredentials::new("111.222", "secret"));
    let access = Access::code("4724469134.4644").redirect_uri("https://example.com/cb");
    if let Ok(request) = api.request(&access) {
        out[0] = true;
        out[1] = request.method() == http::Method::POST;
        out[2] = request.uri() == "https://slack.com/api/oauth.v2.access";
        let header = |name: &str| request.headers().get(name).map(|v| v.as_bytes().to_vec());
        out[3] = header("authorization").as_deref() == Some(b"Basic MTExLjIyMjpzZWNyZXQ=");
        out[4] = header("content-type").as_deref() == Some(b"application/x-www-form-urlencoded");
        out[5] =
            request.body() == b"code=4724469134.4644&redirect_uri=https%3A%2F%2Fexample.com%2Fcb";
    }
    out[6] = api
        .request(&Rotate::new("xoxe-1-a b+c"))
        .is_ok_and(|r| r.body() == b"refresh_token=xoxe-1-a+b%2Bc");

    let success = parse::<Access, _>(&http::Response::new(INSTALL));
    if let Ok(reply) = &success {
        let v = &reply.value;
        out[7] = v.team.is_none()
            && v.installation_id() == Some("E0FAKEORG")
            && v.is_enterprise_install
            && v.expires_in == Some(43200)
            && v.bot_token().map(|t| t.expose()) == Some("xoxe.xoxb-1-FAKEBOTACCESS")
            && v.user_token().map(|t| t.expose()) == Some("xoxe.xoxp-1-FAKEUSERACCESS");
        out[8] = v.bot_token().map(|t| t.kind()) == Some(TokenKind::RotatingBot)
            && v.refresh_token.as_ref().map(|t| t.kind()) == Some(TokenKind::Refresh);
        out[9] = reply.warnings == [Warning::SuperfluousCharset, Warning::MissingCharset];
    }

    let failure = parse::<Access, _>(&http::Response::new(
        br#"{"ok":false,"error":"invalid_code","warning":"missing_charset"}"#,
    ));
    if let Err(err) = &failure {
        out[10] = err.code() == Some(&ErrorCode::InvalidCode)
            && err.warnings() == [Warning::MissingCharset];
        out[11] = !err.is_retryable() && !err.is_token_dead() && !err.needs_reinstall();
    }

    let limited = http::Response::builder()
        .status(429)
        .header("retry-after", "30")
        .body(&b""[..]);
    out[12] = limited.is_ok_and(|r| {
        matches!(parse::<Rotate, _>(&r), Err(Error::RateLimited(e))
            if e.retry_after.as_secs() == 30 && e.from_header)
    });

    let page = http::Response::builder()
        .status(502)
        .header("content-type", "text/html")
        .body(&b"<html><head><title>502 Bad Gateway</title></head></html>"[..]);
    out[13] = page.is_ok_and(|r| match parse::<Access, _>(&r) {
        Err(Error::Http(e)) => {
            e.status == 502
                && e.body
                    == BodyKind::Html {
                        title: Some("502 Bad Gateway".into()),
                    }
                && e.content_type.as_deref() == Some("text/html")
        }
        _ => false,
    });
    openid_checks(&api, &mut out[14..]);
    out
}

/// Sign in with Slack: the URL and request, then the id_token checks (RSA included).
fn openid_checks(api: &Api, out: &mut [bool]) {
    let (Ok(state), Ok(nonce)) = (State::new("s-1"), Nonce::new(NONCE)) else {
        return;
    };
    out[0] = openid::AuthorizeUrl::new("111.222")
        .scopes([Scope::Profile, Scope::Email])
        .state(&state)
        .nonce(&nonce)
        .redirect_uri("https://example.com/cb")
        .build()
        .is_ok_and(|url| {
            url == "https://slack.com/openid/connect/authorize?response_type=code\
                    &scope=openid,profile,email&client_id=111.222&state=s-1\
                    &nonce=wasm-smoke-nonce-0001&redirect_uri=https%3A%2F%2Fexample.com%2Fcb"
        });
    out[1] = api
        .request(&Token::code("c-1").redirect_uri("https://example.com/cb"))
        .is_ok_and(|r| {
            r.uri() == "https://slack.com/api/openid.connect.token"
                && r.body() == b"code=c-1&redirect_uri=https%3A%2F%2Fexample.com%2Fcb"
        });

    let Ok(keys) = Jwks::parse(&http::Response::new(JWKS)) else {
        return;
    };
    out[2] = keys.keys().len() == 2 && keys.find("k2").is_some_and(|k| k.bits() == 2048);
    let Ok(reply) = parse::<Token, _>(&http::Response::new(TOKEN_ANSWER)) else {
        return;
    };
    let answer: TokenResponse = reply.value;
    let verifier = Verifier::new("111.222");
    let now = ISSUED_AT + 10;
    out[3] = verifier
        .verify(&answer, &keys, Some(&nonce), now)
        .is_ok_and(|c| {
            c.sub == "U0000FAKE"
                && c.profile.team_id.as_deref() == Some("T0000FAKE")
                && c.profile.email_verified == Some(true)
                && c.exp == ISSUED_AT + 300
        });
    let code = |result: Result<openid::Claims, openid::VerifyError>| result.err().map(|e| e.code());
    if let Some(id_token) = &answer.id_token {
        let mut tampered = id_token.expose().as_bytes().to_vec();
        let at = id_token.expose().find('.').map_or(0, |dot| dot + 10);
        if let Some(byte) = tampered.get_mut(at) {
            *byte = if *byte == b'A' { b'B' } else { b'A' };
        }
        let tampered = IdToken::new(String::from_utf8_lossy(&tampered).into_owned());
        out[4] = code(verifier.verify_id_token(&tampered, None, &keys, Some(&nonce), now))
            == Some("bad_signature");
        let old_keys = Jwks::from_json(JWKS.replace("\"k2\"", "\"k0\"").as_bytes());
        out[5] = old_keys.is_ok_and(|old| {
            code(verifier.verify_id_token(id_token, None, &old, Some(&nonce), now))
                == Some("unknown_key")
        });
    }
    out[6] =
        code(verifier.verify(&answer, &keys, Some(&nonce), ISSUED_AT + 360)) == Some("expired");
    out[7] = Nonce::new("another-nonce").is_ok_and(|other| {
        code(verifier.verify(&answer, &keys, Some(&other), now)) == Some("nonce_mismatch")
    });
    let mut other_token = answer.clone();
    other_token.access_token = AccessToken::new("xoxp-1-SOMEONE-ELSE");
    out[8] =
        code(verifier.verify(&other_token, &keys, Some(&nonce), now)) == Some("at_hash_mismatch");
}

/// Runs [`checks`] and returns one bit per passed check ([`EXPECTED`] when all pass).
///
/// Exported unmangled with the C ABI so a WASM host can call it with no imports.
// `no_mangle` is flagged by `unsafe_code` (a symbol clash is possible); this single export
// is the point of the crate, so it is allowed here and nowhere else.
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn smoke() -> u32 {
    checks()
        .iter()
        .enumerate()
        .fold(0, |acc, (bit, ok)| acc | (u32::from(*ok) << bit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_passes_natively() {
        let failed: Vec<&str> = checks()
            .iter()
            .zip(CHECKS)
            .filter(|(ok, _)| !**ok)
            .map(|(_, name)| name)
            .collect();
        assert!(failed.is_empty(), "failed checks: {failed:?}");
        assert_eq!(smoke(), EXPECTED);
        assert_eq!(EXPECTED, 0x7f_ffff);
    }
}
