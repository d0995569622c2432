//! quickcheck properties: form bodies round-trip, the Basic header decodes back, every code
//! string round-trips through `ErrorCode`, and `parse` never panics on anything.

use base64::Engine as _;
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use slack_oauth_core::apps_auth_external::{Delete, Get};
use slack_oauth_core::oauth_v2::{Access, Exchange, UserAccess};
use slack_oauth_core::tooling_tokens::Rotate;
use slack_oauth_core::{
    error::{BuildError, Warning},
    method::ClientAuth,
    parse, Api, ClientCredentials, Error, ErrorCode, Method,
};

type Pairs = Vec<(String, String)>;

fn check<A: quickcheck::Testable>(tests: u64, property: A) {
    QuickCheck::new().tests(tests).quickcheck(property);
}

/// Decodes a body with serde_urlencoded: independent of how the core encoded it.
fn decoded(request: &http::Request<Vec<u8>>) -> Pairs {
    serde_urlencoded::from_bytes(request.body()).expect("a valid form body")
}

fn pair(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

/// Whether `http` accepts `value` as a header value (visible bytes, space, tab, obs-text).
fn header_safe(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

// ---------------------------------------------------------------------------------------
// Form bodies round-trip
// ---------------------------------------------------------------------------------------

/// Builds the request of a grant method: the refresh grant when `refresh`, else the code
/// grant with the optional redirect URI and verifier.
type Build = fn(&Api, String, bool, Option<String>, Option<String>) -> http::Request<Vec<u8>>;

/// `oauth.v2.access` and `oauth.v2.user.access` with arbitrary arguments and credentials.
fn grant_round_trip(
    build: Build,
    grant: (String, bool),
    redirect_uri: Option<String>,
    verifier: Option<String>,
    credentials: (String, String, u8),
) -> bool {
    let (value, refresh) = grant;
    let (id, secret, mode) = credentials;
    let (creds, client_auth) = match mode % 3 {
        0 => (
            ClientCredentials::new(id.clone(), secret.clone()),
            ClientAuth::Basic,
        ),
        1 => (
            ClientCredentials::new(id.clone(), secret.clone()),
            ClientAuth::Body,
        ),
        _ => (ClientCredentials::public(id.clone()), ClientAuth::Basic),
    };
    let api = Api::new()
        .with_credentials(creds)
        .with_client_auth(client_auth);
    let request = build(
        &api,
        value.clone(),
        refresh,
        redirect_uri.clone(),
        verifier.clone(),
    );

    let mut expected = Vec::new();
    match mode % 3 {
        1 => expected.extend([pair("client_id", &id), pair("client_secret", &secret)]),
        2 => expected.push(pair("client_id", &id)),
        _ => {}
    }
    if refresh {
        expected.extend([
            pair("grant_type", "refresh_token"),
            pair("refresh_token", &value),
        ]);
    } else {
        expected.push(pair("code", &value));
        expected.extend(redirect_uri.map(|v| pair("redirect_uri", &v)));
        expected.extend(verifier.map(|v| pair("code_verifier", &v)));
    }
    decoded(&request) == expected
}

/// The grant methods' builders, written once for both (their setters have the same names).
macro_rules! grant_builder {
    ($code:ty) => {
        |api: &Api, v: String, refresh: bool, r: Option<String>, verifier: Option<String>| {
            if refresh {
                return api.request(&<$code>::refresh(v)).expect("always builds");
            }
            let mut m = <$code>::code(v);
            if let Some(r) = r {
                m = m.redirect_uri(r);
            }
            if let Some(verifier) = verifier {
                m = m.code_verifier(verifier);
            }
            api.request(&m).expect("always builds")
        }
    };
}

#[test]
fn access_forms_round_trip() {
    fn access(
        grant: (String, bool),
        redirect_uri: Option<String>,
        verifier: Option<String>,
        credentials: (String, String, u8),
    ) -> bool {
        grant_round_trip(
            grant_builder!(Access),
            grant,
            redirect_uri,
            verifier,
            credentials,
        )
    }
    fn user_access(
        grant: (String, bool),
        redirect_uri: Option<String>,
        verifier: Option<String>,
        credentials: (String, String, u8),
    ) -> bool {
        grant_round_trip(
            grant_builder!(UserAccess),
            grant,
            redirect_uri,
            verifier,
            credentials,
        )
    }
    type Grant = fn((String, bool), Option<String>, Option<String>, (String, String, u8)) -> bool;
    check(500, access as Grant);
    check(500, user_access as Grant);
}

#[test]
fn token_method_forms_round_trip() {
    fn exchange(token: String, id: String, secret: String) -> TestResult {
        let api = Api::new().with_credentials(ClientCredentials::new(id.clone(), secret.clone()));
        match api.request(&Exchange::new(token.clone())) {
            Ok(request) => TestResult::from_bool(
                decoded(&request) == vec![pair("client_id", &id), pair("client_secret", &secret)]
                    && request.headers()["authorization"].as_bytes()
                        == format!("Bearer {token}").as_bytes(),
            ),
            Err(e) => TestResult::from_bool(e == BuildError::InvalidToken && !header_safe(&token)),
        }
    }
    fn rotate(refresh_token: String) -> bool {
        let request = Api::new()
            .request(&Rotate::new(refresh_token.clone()))
            .unwrap();
        decoded(&request) == vec![pair("refresh_token", &refresh_token)]
    }
    fn get(token: String, id: String, force: Option<bool>) -> TestResult {
        let mut method = Get::new(token.clone(), id.clone());
        if let Some(force) = force {
            method = method.force_refresh(force);
        }
        match Api::new().request(&method) {
            Ok(request) => {
                let mut expected = vec![pair("external_token_id", &id)];
                expected.extend(force.map(|f| pair("force_refresh", &f.to_string())));
                TestResult::from_bool(decoded(&request) == expected)
            }
            Err(e) => TestResult::from_bool(e == BuildError::InvalidToken && !header_safe(&token)),
        }
    }
    fn delete(
        app_id: Option<String>,
        provider_key: Option<String>,
        external_token_id: Option<String>,
    ) -> bool {
        let mut method = Delete::new("xoxp-1");
        let mut expected = Vec::new();
        if let Some(v) = app_id {
            expected.push(pair("app_id", &v));
            method = method.app_id(v);
        }
        if let Some(v) = provider_key {
            expected.push(pair("provider_key", &v));
            method = method.provider_key(v);
        }
        if let Some(v) = external_token_id {
            expected.push(pair("external_token_id", &v));
            method = method.external_token_id(v);
        }
        decoded(&Api::new().request(&method).unwrap()) == expected
    }
    check(500, exchange as fn(String, String, String) -> TestResult);
    check(500, rotate as fn(String) -> bool);
    check(500, get as fn(String, String, Option<bool>) -> TestResult);
    check(
        500,
        delete as fn(Option<String>, Option<String>, Option<String>) -> bool,
    );
}

// ---------------------------------------------------------------------------------------
// The Basic header decodes back to the credentials
// ---------------------------------------------------------------------------------------

/// Reverses application/x-www-form-urlencoded for one component.
fn form_decode(component: &str) -> String {
    form_urlencoded::parse(format!("k={component}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[test]
fn basic_header_decodes_to_the_credentials() {
    fn prop(id: String, secret: String) -> bool {
        let api = Api::new().with_credentials(ClientCredentials::new(id.clone(), secret.clone()));
        let request = api.request(&Access::code("c")).unwrap();
        let value = &request.headers()["authorization"];
        let Some(b64) = value.to_str().ok().and_then(|v| v.strip_prefix("Basic ")) else {
            return false;
        };
        let Ok(plain) = base64::engine::general_purpose::STANDARD.decode(b64) else {
            return false;
        };
        let Ok(plain) = String::from_utf8(plain) else {
            return false;
        };
        // Form-encoding leaves exactly one `:` (the separator) and only safe ASCII.
        plain.matches(':').count() == 1
            && plain.bytes().all(|b| b.is_ascii_graphic())
            && plain
                .split_once(':')
                .is_some_and(|(i, s)| form_decode(i) == id && form_decode(s) == secret)
            && value.is_sensitive()
    }
    check(1000, prop as fn(String, String) -> bool);
}

// ---------------------------------------------------------------------------------------
// Code strings round-trip through ErrorCode
// ---------------------------------------------------------------------------------------

/// A code string: a documented one, a near miss of one, or anything at all.
#[derive(Clone, Debug)]
struct CodeString(String);

impl Arbitrary for CodeString {
    fn arbitrary(g: &mut Gen) -> Self {
        let documented = g.choose(ErrorCode::ALL).unwrap().as_str();
        CodeString(match u8::arbitrary(g) % 4 {
            0 | 1 => documented.to_owned(),
            2 => format!("{documented}{}", char::arbitrary(g)),
            _ => String::arbitrary(g),
        })
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        Box::new(self.0.shrink().map(CodeString))
    }
}

fn code_round_trips<M: Method>(s: &str) -> bool {
    let code = ErrorCode::parse(s);
    let documented = ErrorCode::ALL.iter().any(|c| c.as_str() == s);
    let body = serde_json::json!({ "ok": false, "error": s }).to_string();
    let parsed = parse::<M, _>(&http::Response::new(body));
    let through_parse = match &parsed {
        Err(Error::RateLimited(_)) => s == "ratelimited",
        Err(Error::Slack(e)) => e.code == code && e.code.as_str() == s,
        _ => false,
    };
    code.as_str() == s
        && code.to_string() == s
        && matches!(code, ErrorCode::Other(_)) != documented
        && ErrorCode::from_cow(s.into()) == code
        && ErrorCode::from(s) == code
        && s.parse::<ErrorCode>() == Ok(code.clone())
        && serde_json::from_value::<ErrorCode>(serde_json::json!(s)).ok() == Some(code.clone())
        && serde_json::to_value(&code).ok() == Some(serde_json::json!(s))
        && through_parse
        && Warning::parse(s).as_str() == s
}

#[test]
fn every_code_string_round_trips() {
    fn prop(s: CodeString) -> bool {
        let s = s.0.as_str();
        code_round_trips::<Access>(s)
            && code_round_trips::<UserAccess>(s)
            && code_round_trips::<Exchange>(s)
            && code_round_trips::<Rotate>(s)
            && code_round_trips::<Get>(s)
            && code_round_trips::<Delete>(s)
    }
    check(1000, prop as fn(CodeString) -> bool);
    // And each documented one, exhaustively.
    for code in ErrorCode::ALL {
        assert!(prop(CodeString(code.as_str().to_owned())), "{code}");
    }
}

// ---------------------------------------------------------------------------------------
// parse never panics
// ---------------------------------------------------------------------------------------

/// Keys the parser and the response types care about, so generated JSON reaches them.
const KEYS: &[&str] = &[
    "ok",
    "error",
    "warning",
    "response_metadata",
    "warnings",
    "messages",
    "needed",
    "provided",
    "app_id",
    "access_token",
    "token_type",
    "scope",
    "bot_user_id",
    "expires_in",
    "refresh_token",
    "team",
    "enterprise",
    "is_enterprise_install",
    "authed_user",
    "incoming_webhook",
    "id_token",
    "id",
    "name",
    "url",
    "token",
    "team_id",
    "user_id",
    "iat",
    "exp",
    "external_token",
];

fn arbitrary_json(g: &mut Gen, depth: usize) -> serde_json::Value {
    use serde_json::Value;
    let pick = u8::arbitrary(g) % if depth == 0 { 6 } else { 8 };
    match pick {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(g)),
        2 => Value::from(u64::arbitrary(g)),
        3 => Value::from(i64::arbitrary(g)),
        4 => Value::from(f64::arbitrary(g)),
        5 => {
            let words = [
                "invalid_code",
                "ratelimited",
                "missing_charset",
                "xoxb-1",
                "",
            ];
            if bool::arbitrary(g) {
                Value::from(*g.choose(&words).unwrap())
            } else {
                Value::from(String::arbitrary(g))
            }
        }
        6 => Value::Array(
            (0..usize::arbitrary(g) % 4)
                .map(|_| arbitrary_json(g, depth - 1))
                .collect(),
        ),
        _ => arbitrary_object(g, depth - 1),
    }
}

fn arbitrary_object(g: &mut Gen, depth: usize) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for _ in 0..usize::arbitrary(g) % 8 {
        let key = if u8::arbitrary(g) % 8 == 0 {
            String::arbitrary(g)
        } else {
            (*g.choose(KEYS).unwrap()).to_owned()
        };
        map.insert(key, arbitrary_json(g, depth));
    }
    if bool::arbitrary(g) {
        map.insert("ok".into(), serde_json::Value::Bool(bool::arbitrary(g)));
    }
    serde_json::Value::Object(map)
}

/// Realistic bodies to mutate.
const SEEDS: &[&str] = &[
    r#"{"ok":true,"app_id":"A1","access_token":"xoxe.xoxb-1-a","token_type":"bot","scope":"a,b","bot_user_id":"U1","expires_in":43200,"refresh_token":"xoxe-1-r","team":null,"enterprise":{"id":"E1","name":"O"},"is_enterprise_install":true,"authed_user":{"id":"W1","scope":"s","access_token":"xoxe.xoxp-1-u","token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-u"},"incoming_webhook":{"url":"https:\/\/hooks.slack.com\/x","channel":"c","channel_id":"C1","configuration_url":"https:\/\/x"}}"#,
    r#"{"ok":true,"token":"xoxe.xoxp-1-c","refresh_token":"xoxe-1-r","team_id":"T1","user_id":"U1","iat":1700000000,"exp":1700043200}"#,
    r#"{"ok":true,"external_token":"ya29.x","warning":"missing_charset,superfluous_charset","response_metadata":{"warnings":["missing_charset"],"messages":["[WARN] x"]}}"#,
    r#"{"ok":false,"error":"missing_scope","needed":"a","provided":"b","response_metadata":{}}"#,
    r#"{"ok":false,"error":"ratelimited"}"#,
    "<html><head><title>502 Bad Gateway</title></head><body></body></html>",
];

/// One arbitrary response: status, headers and body.
#[derive(Clone, Debug)]
struct AnyResponse {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Arbitrary for AnyResponse {
    fn arbitrary(g: &mut Gen) -> Self {
        let status = *g
            .choose(&[
                200, 200, 200, 200, 200, 429, 500, 502, 503, 204, 301, 404, 999, 100,
            ])
            .unwrap();
        let status = if u8::arbitrary(g) % 4 == 0 {
            100 + u16::arbitrary(g) % 900
        } else {
            status
        };
        let mut headers = Vec::new();
        for _ in 0..usize::arbitrary(g) % 4 {
            let name = *g
                .choose(&["retry-after", "content-type", "x-oauth-scopes", "x-other"])
                .unwrap();
            let value = match u8::arbitrary(g) % 4 {
                0 => u64::arbitrary(g).to_string().into_bytes(),
                1 => (*g
                    .choose(&[
                        "30",
                        " 7 ",
                        "-1",
                        "1.5",
                        "",
                        "text/html",
                        "application/json",
                    ])
                    .unwrap())
                .as_bytes()
                .to_vec(),
                2 => String::arbitrary(g).into_bytes(),
                _ => Vec::<u8>::arbitrary(g),
            };
            headers.push((name.to_owned(), value));
        }
        let body = match u8::arbitrary(g) % 8 {
            0 => Vec::<u8>::arbitrary(g),
            1 | 2 => arbitrary_object(g, 3).to_string().into_bytes(),
            3 | 4 => {
                // Still valid JSON: a seed with extra envelope or method fields up front.
                let seed = *g.choose(SEEDS).unwrap();
                let extra = arbitrary_object(g, 2).to_string();
                match (seed.strip_prefix('{'), extra.strip_suffix('}')) {
                    (Some(rest), Some(extra)) if extra.len() > 1 => {
                        format!("{extra},{rest}").into_bytes()
                    }
                    _ => seed.as_bytes().to_vec(),
                }
            }
            _ => {
                let seed = *g.choose(SEEDS).unwrap();
                mutate(g, seed.as_bytes())
            }
        };
        AnyResponse {
            status,
            headers,
            body,
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let me = self.clone();
        Box::new(
            self.body
                .shrink()
                .map(move |body| AnyResponse { body, ..me.clone() }),
        )
    }
}

/// Truncates, flips, inserts or splices bytes of a realistic body.
fn mutate(g: &mut Gen, seed: &[u8]) -> Vec<u8> {
    let mut body = seed.to_vec();
    for _ in 0..1 + usize::arbitrary(g) % 3 {
        let at = usize::arbitrary(g) % (body.len() + 1);
        match u8::arbitrary(g) % 5 {
            0 => body.truncate(at),
            // Mostly ASCII, sometimes any byte (invalid UTF-8).
            1 if at < body.len() => body[at] = u8::arbitrary(g) % 0x90,
            2 => body.insert(at, u8::arbitrary(g) % 0x90),
            3 => {
                let piece = *g
                    .choose(&[&b"\""[..], b"{", b"}", b"[", b"]", b",", b":", b"\\"])
                    .unwrap();
                body.splice(at..at, piece.iter().copied());
            }
            _ => {
                let value = arbitrary_json(g, 2).to_string();
                body.splice(at..at, value.bytes());
            }
        }
    }
    body
}

fn never_panics<M: Method>(response: &http::Response<Vec<u8>>) -> bool {
    let status = response.status();
    match parse::<M, _>(response) {
        Ok(_) => status.is_success() && status != 429,
        Err(Error::RateLimited(e)) => e.status == status,
        Err(Error::Http(e)) => {
            e.status == status
                && status != 429
                && e.body_len == response.body().len()
                && e.content_type
                    .as_ref()
                    .is_none_or(|c| c.chars().count() <= 64)
        }
        Err(Error::Slack(e)) => e.status == status && status != 429,
        Err(Error::UnexpectedShape(e)) => e.method == M::NAME && status.is_success(),
        Err(_) => true,
    }
}

#[test]
fn parse_never_panics() {
    fn prop(input: AnyResponse) -> TestResult {
        let mut builder = http::Response::builder().status(input.status);
        for (name, value) in &input.headers {
            match http::HeaderValue::from_bytes(value) {
                Ok(value) => builder = builder.header(name.as_str(), value),
                Err(_) => continue,
            }
        }
        let Ok(response) = builder.body(input.body) else {
            return TestResult::discard();
        };
        TestResult::from_bool(
            never_panics::<Access>(&response)
                && never_panics::<UserAccess>(&response)
                && never_panics::<Exchange>(&response)
                && never_panics::<Rotate>(&response)
                && never_panics::<Get>(&response)
                && never_panics::<Delete>(&response),
        )
    }
    check(3000, prop as fn(AnyResponse) -> TestResult);
}
