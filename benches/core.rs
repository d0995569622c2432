//! The sans-IO core against the floor: naive hand-written code doing the same work.
//!
//! For each built-in method (core's `BuiltinMethod` list): building the request with a reused [`Api`], and parsing a
//! success body, an error body with `response_metadata`, and a body with `\/` escapes. The
//! floor builds with `serde_urlencoded` + `base64` + `http::Request::builder` and parses with
//! `serde_json::from_slice` into a plain struct of `String` fields (a dedicated `{ok, error}`
//! struct for error bodies).
//!
//! Two measurements run, in this order:
//! 1. **Ratio rounds** (the headline): each case and its floor alternate in small batches
//!    (lib then floor, floor then lib, ...) and the median of the per-round time ratios is
//!    reported, so the machine's speed drift cancels out. Heap allocations per operation come
//!    from the counting global allocator below. The result is printed as a Markdown table.
//! 2. **Criterion** absolute medians of the same closures (short measurement times).
//!
//! `cargo bench --bench core` runs both; `CORE_BENCH_RATIOS_ONLY=1` skips criterion. Without
//! `--bench` (e.g. `cargo test --benches`) every case runs once as a smoke test, including
//! the check that the library and the floor produce the same request and the same fields.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use base64::Engine as _;
use criterion::Criterion;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{Request, Response};
use serde::Deserialize;
use slack_oauth::apps_auth_external::{Delete, Get};
use slack_oauth::auth::{Revoke, Test};
use slack_oauth::oauth_v2::{Access, Exchange, UserAccess};
use slack_oauth::openid;
use slack_oauth::tooling_tokens::Rotate;
use slack_oauth::{method::BuiltinMethod, parse, Api, ClientCredentials, Method};

// ---------------------------------------------------------------------------------------
// Counting allocator: every alloc, alloc_zeroed and realloc is one allocation.

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static ALLOC_BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call unchanged to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        ALLOC_BYTES.fetch_add(layout.size() as u64, Relaxed);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        ALLOC_BYTES.fetch_add(layout.size() as u64, Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        ALLOC_BYTES.fetch_add(new_size as u64, Relaxed);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ---------------------------------------------------------------------------------------
// Inputs: realistic values and bodies (fake, but of real lengths and shapes).

const BASE: &str = "https://slack.com/api";
const CLIENT_ID: &str = "4123121235612.4123121298765";
const CLIENT_SECRET: &str = "3f2b9c1e8a7d4b6c5e0f1a2b3c4d5e6f";
const CODE: &str =
    "4123121235612.5896421379523.8d2f0c4a1b9e7f3a6c5d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b";
const REDIRECT_URI: &str = "https://app.example.com/slack/oauth_redirect";
const USER_REFRESH: &str = "xoxe-1-My0xLTQxMjMxMjEyMzU2MTItNDEyMzEyMTI5ODc2NS01ODk2NDIxMzc5NTIzLTNhN2Y5YzFlMmI0ZDZmOGEwYjJjNGU2ZjhhMGMyZTRmNmE4YjBkMmU0ZjZhOGMwZTJhNGI2Yzhk";
const LEGACY_TOKEN: &str = "xoxb-4123121235612-5896421379523-aB3dE5fG7hJ9kL1mN3pQ5rS7";
const CONFIG_REFRESH: &str = "xoxe-1-My0xLTQxMjMxMjEyMzU2MTItNTg5NjQyMTM3OTUyMy01ODk2NDIxMzc5NTI0LWQ0ZjZhOGMwZTJhNGI2YzhkMGYyYTRjNmU4ZjBhMmM0ZTZmOGEwYjJkNGY2YThjMGUy";
const WORKFLOW_TOKEN: &str =
    "xwfp-4123121235612-5896421379523-5896421379599-8d2f0c4a1b9e7f3a6c5d2e1f0a9b8c7d";
const EXTERNAL_TOKEN_ID: &str = "Et0589642137952";
const USER_TOKEN: &str =
    "xoxp-4123121235612-5896421379523-5896421379599-8d2f0c4a1b9e7f3a6c5d2e1f0a9b8c7d";
const APP_ID: &str = "A05896421379";
const PROVIDER_KEY: &str = "google";

/// The `oauth.v2.access` answer to an install with token rotation, user scopes and an
/// incoming webhook. Slack escapes `/` as `\/`; this copy has plain slashes.
const ACCESS_OK: &str = r##"{"ok":true,"app_id":"A05896421379","authed_user":{"id":"U05896421380","scope":"search:read,users:read,users:read.email","access_token":"xoxe.xoxp-1-Mi0yLTQxMjMxMjEyMzU2MTItNTg5NjQyMTM3OTUyMy01ODk2NDIxMzc5NTk5LThkMmYwYzRhMWI5ZTdmM2E2YzVkMmUxZjBhOWI4Yzdk","token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-My0xLTQxMjMxMjEyMzU2MTItNTg5NjQyMTM3OTUyMy1hYmNkZWYwMTIzNDU2Nzg5"},"scope":"channels:history,channels:read,chat:write,commands,incoming-webhook,users:read","token_type":"bot","access_token":"xoxe.xoxb-1-MS0yLTQxMjMxMjEyMzU2MTItNTg5NjQyMTM3OTUyMy01ODk2NDIxMzc5NTk5LThkMmYwYzRhMWI5ZTdmM2E2YzVk","bot_user_id":"U05896421381","expires_in":43200,"refresh_token":"xoxe-1-My0xLTQxMjMxMjEyMzU2MTItNTg5NjQyMTM3OTUyMy0xMjM0NTY3ODkwYWJjZGVm","team":{"id":"T04123121235","name":"Example Workspace"},"enterprise":null,"is_enterprise_install":false,"incoming_webhook":{"channel":"#general","channel_id":"C04123121236","configuration_url":"https://example-workspace.slack.com/services/B05896421382","url":"https://hooks.slack.com/services/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"}}"##;
const ACCESS_ERR: &str = r#"{"ok":false,"error":"invalid_code","warning":"superfluous_charset","response_metadata":{"warnings":["superfluous_charset"]}}"#;

/// A refreshed user token (`grant_type=refresh_token`), flat.
const USER_ACCESS_OK: &str = r#"{"ok":true,"app_id":"A05896421379","access_token":"xoxe.xoxp-1-Mi0yLTQxMjMxMjEyMzU2MTItNTg5NjQyMTM3OTUyMy01ODk2NDIxMzc5NTk5LTY1ZjRhM2IyYzFkMGU5ZjhhN2I2YzVk","token_type":"user","scope":"search:read,users:read,users:read.email","expires_in":43200,"refresh_token":"xoxe-1-My0xLTQxMjMxMjEyMzU2MTItNTg5NjQyMTM3OTUyMy1mZWRjYmE5ODc2NTQzMjEw","team":{"id":"T04123121235","name":"Example Workspace / Ops"},"enterprise":null,"is_enterprise_install":false}"#;
const USER_ACCESS_ERR: &str = r#"{"ok":false,"error":"invalid_refresh_token","warning":"superfluous_charset","response_metadata":{"warnings":["superfluous_charset"],"messages":["[WARN] A Content-Type with a charset is superfluous for application/x-www-form-urlencoded"]}}"#;

const EXCHANGE_OK: &str = r#"{"ok":true,"access_token":"xoxe.xoxb-1-MS0yLTQxMjMxMjEyMzU2MTItNTg5NjQyMTM3OTUyMy01ODk2NDIxMzc5NTk5LTBhOWI4YzdkNmU1ZjRhM2IyYzFk","expires_in":43200,"refresh_token":"xoxe-1-My0xLTQxMjMxMjEyMzU2MTItNTg5NjQyMTM3OTUyMy0wMTIzNDU2Nzg5YWJjZGVm","token_type":"bot","scope":"commands,incoming-webhook,chat:write","bot_user_id":"U05896421381","app_id":"A05896421379","team":{"name":"Example Workspace / Ops","id":"T04123121235"},"enterprise":null,"is_enterprise_install":false}"#;
const EXCHANGE_ERR: &str = r#"{"ok":false,"error":"token_already_exchanged","response_metadata":{"warnings":["superfluous_charset"]},"warning":"superfluous_charset"}"#;

const ROTATE_OK: &str = r#"{"ok":true,"token":"xoxe.xoxp-1-Mi0yLTQxMjMxMjEyMzU2MTItNTg5NjQyMTM3OTUyMy01ODk2NDIxMzc5NTk5LWQ0ZjZhOGMwZTJhNGI2YzhkMGYyYTRjNmU4ZjBh","refresh_token":"xoxe-1-My0xLTQxMjMxMjEyMzU2MTItNTg5NjQyMTM3OTUyMy01ODk2NDIxMzc5NTI0LTJjNGU2ZjhhMGIyZDRmNmE4YzBlMmE0YjZjOGQw","team_id":"T04123121235","user_id":"U05896421380","iat":1700000000,"exp":1700043200}"#;
const ROTATE_ERR: &str = r#"{"ok":false,"error":"invalid_refresh_token","warning":"superfluous_charset","response_metadata":{"warnings":["superfluous_charset"]}}"#;

const GET_OK: &str = r#"{"ok":true,"external_token":"ya29.a0AfB_byC8d2f0c4a1b9e7f3a6c5d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1bQ-LXc_0aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z/5aB7cD9eF1gH3iJ5kL7mN9oP1qR3sT5uV7wX9yZ1/0171"}"#;
const GET_ERR: &str = r#"{"ok":false,"error":"not_allowed_token_type","response_metadata":{"warnings":["superfluous_charset"],"messages":["[ERROR] this method takes a workflow token"]},"warning":"superfluous_charset"}"#;

const DELETE_OK: &str = r#"{"ok":true}"#;
const DELETE_ERR: &str = r#"{"ok":false,"error":"invalid_arguments","warning":"superfluous_charset","response_metadata":{"warnings":["superfluous_charset"],"messages":["[ERROR] one of app_id or external_token_id is required"]}}"#;
/// Delete answers bare `{"ok":true}`; the escaped variant carries a metadata message with a URL.
const DELETE_ESCAPED: &str = r#"{"ok":true,"response_metadata":{"messages":["[WARN] see https:\/\/api.slack.com\/methods\/apps.auth.external.delete"]}}"#;

/// `auth.test` for a bot token, as install flows call it right after `oauth.v2.access`.
const AUTH_TEST_OK: &str = r#"{"ok":true,"url":"https://example-workspace.slack.com/","team":"Example Workspace","user":"example_bot","team_id":"T04123121235","user_id":"U05896421381","bot_id":"B05896421383","is_enterprise_install":false}"#;
const AUTH_TEST_ERR: &str = r#"{"ok":false,"error":"token_revoked","warning":"superfluous_charset","response_metadata":{"warnings":["superfluous_charset"]}}"#;

const REVOKE_OK: &str = r#"{"ok":true,"revoked":true}"#;
const REVOKE_ERR: &str = r#"{"ok":false,"error":"invalid_auth","warning":"superfluous_charset","response_metadata":{"warnings":["superfluous_charset"]}}"#;

/// The body as Slack sends it: every `/` inside a string escaped as `\/`.
fn escaped(body: &str) -> String {
    body.replace('/', "\\/")
}

fn response(body: impl Into<Vec<u8>>) -> Response<Vec<u8>> {
    Response::builder()
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body(body.into())
        .expect("static parts")
}

/// [`ACCESS_OK`] grown to about `target` bytes with unknown fields: long strings (some with
/// escapes) and nested arrays of objects, placed before and after the known fields.
fn padded_access(target: usize) -> String {
    const PIECE: &str = "lorem ipsum dolor sit amet \\/ \\\"quoted\\\" 0123456789 ";
    let long = PIECE.repeat(1000 / PIECE.len() + 1);
    let short = PIECE.repeat(400 / PIECE.len() + 1);
    let mut fields = Vec::new();
    let mut len = ACCESS_OK.len();
    while len < target {
        let n = fields.len();
        let field = if n % 2 == 0 {
            format!(r#""x_note_{n}":"{long}""#)
        } else {
            format!(
                r#""x_list_{n}":[{{"id":{n},"tags":["a","b","c"],"nested":{{"k":[1,2.5,true,null,"v"]}}}},{{"id":{n},"text":"{short}"}}]"#
            )
        };
        len += field.len() + 1;
        fields.push(field);
    }
    let (head, tail) = fields.split_at(fields.len() / 2);
    let known = &ACCESS_OK[1..ACCESS_OK.len() - 1];
    let mut parts: Vec<&str> = head.iter().map(String::as_str).collect();
    parts.push(known);
    parts.extend(tail.iter().map(String::as_str));
    format!("{{{}}}", parts.join(","))
}

// ---------------------------------------------------------------------------------------
// The floor: what a careful person writes by hand for one call.

fn floor_request(name: &str, form: &[(&str, &str)], auth: Option<String>) -> Request<Vec<u8>> {
    let body = serde_urlencoded::to_string(form).expect("strings encode");
    let mut builder = Request::builder()
        .method("POST")
        .uri(format!("{BASE}/{name}"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .header(USER_AGENT, Api::USER_AGENT);
    if let Some(auth) = auth {
        builder = builder.header(AUTHORIZATION, auth);
    }
    builder.body(body.into_bytes()).expect("valid parts")
}

fn floor_basic() -> String {
    let plain = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(plain)
    )
}

fn floor_bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The dedicated error struct.
#[derive(Deserialize)]
struct FloorError {
    #[allow(dead_code)]
    ok: bool,
    error: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorTeam {
    id: String,
    name: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorAuthedUser {
    id: String,
    scope: String,
    access_token: String,
    token_type: String,
    expires_in: u64,
    refresh_token: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorWebhook {
    channel: String,
    channel_id: String,
    configuration_url: String,
    url: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorInstall {
    ok: bool,
    app_id: String,
    authed_user: FloorAuthedUser,
    scope: String,
    token_type: String,
    access_token: String,
    bot_user_id: String,
    expires_in: u64,
    refresh_token: String,
    team: FloorTeam,
    enterprise: Option<FloorTeam>,
    is_enterprise_install: bool,
    incoming_webhook: FloorWebhook,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorRefreshed {
    ok: bool,
    app_id: String,
    access_token: String,
    token_type: String,
    scope: String,
    expires_in: u64,
    refresh_token: String,
    team: FloorTeam,
    enterprise: Option<FloorTeam>,
    is_enterprise_install: bool,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorExchanged {
    ok: bool,
    access_token: String,
    expires_in: u64,
    refresh_token: String,
    token_type: String,
    scope: String,
    bot_user_id: String,
    app_id: String,
    team: FloorTeam,
    enterprise: Option<FloorTeam>,
    is_enterprise_install: bool,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorRotated {
    ok: bool,
    token: String,
    refresh_token: String,
    team_id: String,
    user_id: String,
    iat: u64,
    exp: u64,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorExternal {
    ok: bool,
    external_token: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorWho {
    ok: bool,
    url: String,
    team: String,
    user: String,
    team_id: String,
    user_id: String,
    #[serde(default)]
    bot_id: Option<String>,
    is_enterprise_install: bool,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorRevoked {
    ok: bool,
    revoked: bool,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorMetadata {
    #[serde(default)]
    messages: Vec<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorOk {
    ok: bool,
    #[serde(default)]
    response_metadata: Option<FloorMetadata>,
}

// ---------------------------------------------------------------------------------------
// Cases.

/// Runs an operation `n` times; the operation is inlined into the loop.
type Batch = Box<dyn FnMut(u64)>;

fn batch<R>(mut op: impl FnMut() -> R + 'static) -> Batch {
    Box::new(move |n| {
        for _ in 0..n {
            black_box(op());
        }
    })
}

struct Case {
    method: &'static str,
    op: String,
    /// Body length for parse cases (for cost per byte).
    bytes: Option<usize>,
    /// The budget, as a maximum ratio to the floor, where one is set.
    budget: Option<f64>,
    lib: Batch,
    floor: Batch,
}

impl Case {
    fn name(&self) -> String {
        format!("{}/{}", self.method, self.op)
    }
}

fn api() -> Api {
    Api::new().with_credentials(ClientCredentials::new(CLIENT_ID, CLIENT_SECRET))
}

/// Asserts that the library and the floor build the same request, header for header.
fn same_request(lib: &Request<Vec<u8>>, floor: &Request<Vec<u8>>) {
    assert_eq!(lib.method(), floor.method());
    assert_eq!(lib.uri(), floor.uri());
    assert_eq!(
        String::from_utf8_lossy(lib.body()),
        String::from_utf8_lossy(floor.body())
    );
    assert_eq!(lib.headers().len(), floor.headers().len());
    for (name, value) in floor.headers() {
        assert_eq!(lib.headers().get(name), Some(value), "{name}");
    }
}

fn build_case<M: Method + 'static>(
    method: M,
    budget: Option<f64>,
    floor: impl Fn() -> Request<Vec<u8>> + 'static,
) -> Case {
    let api = api();
    same_request(&api.request(&method).expect("builds"), &floor());
    Case {
        method: M::NAME,
        op: "build".into(),
        bytes: None,
        budget,
        lib: batch(move || api.request(&method)),
        floor: batch(floor),
    }
}

fn parse_case<M: Method + 'static, F: 'static>(
    op: &str,
    body: String,
    budget: Option<f64>,
    check: impl Fn(&Response<Vec<u8>>, &F),
    floor: fn(&[u8]) -> F,
) -> Case {
    let lib_response = response(body.clone());
    let floor_body = body.clone().into_bytes();
    check(&lib_response, &floor(&floor_body));
    Case {
        method: M::NAME,
        op: op.into(),
        bytes: Some(body.len()),
        budget,
        lib: batch(move || parse::<M, _>(&lib_response)),
        floor: batch(move || floor(&floor_body)),
    }
}

fn floor_parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> T {
    serde_json::from_slice(body).expect("floor body parses")
}

fn check_error<M: Method>(response: &Response<Vec<u8>>, floor: &FloorError) {
    let Err(err) = parse::<M, _>(response) else {
        panic!("an error body parsed as a success")
    };
    assert_eq!(err.code().map(|c| c.as_str()), Some(floor.error.as_str()));
}

fn error_case<M: Method + 'static>(body: &str, budget: Option<f64>) -> Case {
    parse_case::<M, FloorError>(
        "parse error",
        body.to_owned(),
        budget,
        check_error::<M>,
        floor_parse,
    )
}

fn access_cases(cases: &mut Vec<Case>) {
    let redirect = REDIRECT_URI.to_owned();
    cases.push(build_case(
        Access::code(CODE).redirect_uri(REDIRECT_URI),
        Some(0.8),
        move || {
            floor_request(
                "oauth.v2.access",
                &[("code", CODE), ("redirect_uri", &redirect)],
                Some(floor_basic()),
            )
        },
    ));
    fn check(r: &Response<Vec<u8>>, f: &FloorInstall) {
        let v = parse::<Access, _>(r).expect("parses").value;
        assert_eq!(
            v.access_token.as_ref().map(|t| t.expose()),
            Some(&*f.access_token)
        );
        assert_eq!(v.team.as_ref().map(|t| &*t.id), Some(&*f.team.id));
        let user = v.authed_user.as_ref().expect("authed_user");
        assert_eq!(
            user.refresh_token.as_ref().map(|t| t.expose()),
            Some(&*f.authed_user.refresh_token)
        );
        let hook = v.incoming_webhook.as_ref().expect("webhook");
        assert_eq!(hook.url.expose(), f.incoming_webhook.url);
        assert_eq!(
            hook.configuration_url.as_deref(),
            Some(&*f.incoming_webhook.configuration_url)
        );
        assert!(hook.url.expose().starts_with("https://hooks.slack.com/"));
    }
    cases.push(parse_case::<Access, FloorInstall>(
        "parse ok",
        ACCESS_OK.into(),
        Some(1.1),
        check,
        floor_parse,
    ));
    cases.push(error_case::<Access>(ACCESS_ERR, Some(1.5)));
    cases.push(parse_case::<Access, FloorInstall>(
        "parse \\/",
        escaped(ACCESS_OK),
        None,
        check,
        floor_parse,
    ));

    // The whole cycle: build, then parse the answer.
    let api = api();
    let method = Access::code(CODE).redirect_uri(REDIRECT_URI);
    let lib_response = response(ACCESS_OK);
    let floor_body = ACCESS_OK.as_bytes().to_vec();
    let redirect = REDIRECT_URI.to_owned();
    cases.push(Case {
        method: Access::NAME,
        op: "build + parse ok".into(),
        bytes: Some(ACCESS_OK.len()),
        budget: Some(1.0),
        lib: batch(move || {
            let request = api.request(&method);
            (request, parse::<Access, _>(&lib_response))
        }),
        floor: batch(move || {
            let request = floor_request(
                "oauth.v2.access",
                &[("code", CODE), ("redirect_uri", &redirect)],
                Some(floor_basic()),
            );
            (request, floor_parse::<FloorInstall>(&floor_body))
        }),
    });
}

/// Bodies of growing size: parse cost per byte must not grow (unknown fields are skipped).
fn size_cases(cases: &mut Vec<Case>) {
    fn check(r: &Response<Vec<u8>>, f: &FloorInstall) {
        let v = parse::<Access, _>(r).expect("parses").value;
        assert_eq!(
            v.incoming_webhook.expect("webhook").url.expose(),
            f.incoming_webhook.url
        );
    }
    for (label, size) in [
        ("8 KiB", 8 << 10),
        ("64 KiB", 64 << 10),
        ("512 KiB", 512 << 10),
    ] {
        cases.push(parse_case::<Access, FloorInstall>(
            &format!("parse ok, {label} of unknown fields"),
            padded_access(size),
            None,
            check,
            floor_parse,
        ));
    }
}

fn user_access_cases(cases: &mut Vec<Case>) {
    cases.push(build_case(UserAccess::refresh(USER_REFRESH), None, || {
        floor_request(
            "oauth.v2.user.access",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", USER_REFRESH),
            ],
            Some(floor_basic()),
        )
    }));
    fn check(r: &Response<Vec<u8>>, f: &FloorRefreshed) {
        let v = parse::<UserAccess, _>(r).expect("parses").value;
        assert_eq!(v.user_token().map(|t| t.expose()), Some(&*f.access_token));
        assert_eq!(v.team.and_then(|t| t.name), Some(f.team.name.clone()));
    }
    for (op, body) in [
        ("parse ok", USER_ACCESS_OK.to_owned()),
        ("parse \\/", escaped(USER_ACCESS_OK)),
    ] {
        cases.push(parse_case::<UserAccess, FloorRefreshed>(
            op,
            body,
            None,
            check,
            floor_parse,
        ));
    }
    cases.push(error_case::<UserAccess>(USER_ACCESS_ERR, None));
}

fn exchange_cases(cases: &mut Vec<Case>) {
    cases.push(build_case(Exchange::new(LEGACY_TOKEN), None, || {
        floor_request(
            "oauth.v2.exchange",
            &[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)],
            Some(floor_bearer(LEGACY_TOKEN)),
        )
    }));
    fn check(r: &Response<Vec<u8>>, f: &FloorExchanged) {
        let v = parse::<Exchange, _>(r).expect("parses").value;
        assert_eq!(
            v.refresh_token.as_ref().map(|t| t.expose()),
            Some(&*f.refresh_token)
        );
        assert_eq!(v.team.and_then(|t| t.name), Some(f.team.name.clone()));
    }
    for (op, body) in [
        ("parse ok", EXCHANGE_OK.to_owned()),
        ("parse \\/", escaped(EXCHANGE_OK)),
    ] {
        cases.push(parse_case::<Exchange, FloorExchanged>(
            op,
            body,
            None,
            check,
            floor_parse,
        ));
    }
    cases.push(error_case::<Exchange>(EXCHANGE_ERR, None));
}

fn rotate_cases(cases: &mut Vec<Case>) {
    cases.push(build_case(Rotate::new(CONFIG_REFRESH), None, || {
        floor_request(
            "tooling.tokens.rotate",
            &[("refresh_token", CONFIG_REFRESH)],
            None,
        )
    }));
    fn check(r: &Response<Vec<u8>>, f: &FloorRotated) {
        let v = parse::<Rotate, _>(r).expect("parses").value;
        assert_eq!(v.token.expose(), f.token);
        assert_eq!(v.exp, f.exp);
    }
    // No field of this answer holds a `/`; the escaped variant escapes one inside the tokens'
    // base64 alphabet, as a URL-safe-free encoder would.
    let with_slash = ROTATE_OK
        .replace("LWQ0ZjZh", "LWQ0ZjZh\\/")
        .replace("LTJjNGU2", "LTJjNGU2\\/");
    for (op, body) in [
        ("parse ok", ROTATE_OK.to_owned()),
        ("parse \\/", with_slash),
    ] {
        cases.push(parse_case::<Rotate, FloorRotated>(
            op,
            body,
            None,
            check,
            floor_parse,
        ));
    }
    cases.push(error_case::<Rotate>(ROTATE_ERR, None));
}

fn get_cases(cases: &mut Vec<Case>) {
    cases.push(build_case(
        Get::new(WORKFLOW_TOKEN, EXTERNAL_TOKEN_ID).force_refresh(true),
        None,
        || {
            floor_request(
                "apps.auth.external.get",
                &[
                    ("external_token_id", EXTERNAL_TOKEN_ID),
                    ("force_refresh", "true"),
                ],
                Some(floor_bearer(WORKFLOW_TOKEN)),
            )
        },
    ));
    fn check(r: &Response<Vec<u8>>, f: &FloorExternal) {
        let v = parse::<Get, _>(r).expect("parses").value;
        assert_eq!(v.external_token.expose(), f.external_token);
    }
    for (op, body) in [
        ("parse ok", GET_OK.to_owned()),
        ("parse \\/", escaped(GET_OK)),
    ] {
        cases.push(parse_case::<Get, FloorExternal>(
            op,
            body,
            None,
            check,
            floor_parse,
        ));
    }
    cases.push(error_case::<Get>(GET_ERR, None));
}

fn delete_cases(cases: &mut Vec<Case>) {
    cases.push(build_case(
        Delete::new(USER_TOKEN)
            .app_id(APP_ID)
            .provider_key(PROVIDER_KEY),
        None,
        || {
            floor_request(
                "apps.auth.external.delete",
                &[("app_id", APP_ID), ("provider_key", PROVIDER_KEY)],
                Some(floor_bearer(USER_TOKEN)),
            )
        },
    ));
    fn check(r: &Response<Vec<u8>>, f: &FloorOk) {
        let reply = parse::<Delete, _>(r).expect("parses");
        let messages = f.response_metadata.as_ref().map(|m| m.messages.clone());
        assert_eq!(reply.messages, messages.unwrap_or_default());
    }
    for (op, body) in [("parse ok", DELETE_OK), ("parse \\/", DELETE_ESCAPED)] {
        cases.push(parse_case::<Delete, FloorOk>(
            op,
            body.to_owned(),
            None,
            check,
            floor_parse,
        ));
    }
    cases.push(error_case::<Delete>(DELETE_ERR, None));
}

fn auth_test_cases(cases: &mut Vec<Case>) {
    cases.push(build_case(Test::new(LEGACY_TOKEN), None, || {
        floor_request("auth.test", &[], Some(floor_bearer(LEGACY_TOKEN)))
    }));
    fn check(r: &Response<Vec<u8>>, f: &FloorWho) {
        let v = parse::<Test, _>(r).expect("parses").value;
        assert_eq!(v.url.as_deref(), Some(f.url.as_str()));
        assert_eq!(v.user_id.as_deref(), Some(f.user_id.as_str()));
        assert_eq!(v.bot_id, f.bot_id);
    }
    for (op, body) in [
        ("parse ok", AUTH_TEST_OK.to_owned()),
        ("parse \\/", escaped(AUTH_TEST_OK)),
    ] {
        cases.push(parse_case::<Test, FloorWho>(
            op,
            body,
            None,
            check,
            floor_parse,
        ));
    }
    cases.push(error_case::<Test>(AUTH_TEST_ERR, None));
}

fn revoke_cases(cases: &mut Vec<Case>) {
    cases.push(build_case(Revoke::new(USER_TOKEN), None, || {
        floor_request("auth.revoke", &[], Some(floor_bearer(USER_TOKEN)))
    }));
    fn check(r: &Response<Vec<u8>>, f: &FloorRevoked) {
        assert_eq!(
            parse::<Revoke, _>(r).expect("parses").value.revoked,
            f.revoked
        );
    }
    cases.push(parse_case::<Revoke, FloorRevoked>(
        "parse ok",
        REVOKE_OK.to_owned(),
        None,
        check,
        floor_parse,
    ));
    cases.push(error_case::<Revoke>(REVOKE_ERR, None));
}

/// Sign in with Slack's two methods: building each request against its hand-made floor, and
/// reading an error answer. (Verifying an id_token is RSA arithmetic, not request plumbing:
/// it has no floor of the same kind here.)
fn openid_cases(cases: &mut Vec<Case>) {
    let redirect = REDIRECT_URI.to_owned();
    cases.push(build_case(
        openid::Token::code(CODE).redirect_uri(REDIRECT_URI),
        None,
        move || {
            floor_request(
                "openid.connect.token",
                &[("code", CODE), ("redirect_uri", &redirect)],
                Some(floor_basic()),
            )
        },
    ));
    cases.push(build_case(openid::UserInfo::new(USER_TOKEN), None, || {
        floor_request(
            "openid.connect.userInfo",
            &[],
            Some(floor_bearer(USER_TOKEN)),
        )
    }));
    cases.push(error_case::<openid::Token>(REVOKE_ERR, None));
}

fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    // Driven by core's list of methods: a method added there fails to compile here until it
    // has cases of its own.
    for method in BuiltinMethod::ALL {
        match method {
            BuiltinMethod::OauthV2Access => {
                access_cases(&mut cases);
                size_cases(&mut cases);
            }
            BuiltinMethod::OauthV2UserAccess => user_access_cases(&mut cases),
            BuiltinMethod::OauthV2Exchange => exchange_cases(&mut cases),
            BuiltinMethod::ToolingTokensRotate => rotate_cases(&mut cases),
            BuiltinMethod::AppsAuthExternalGet => get_cases(&mut cases),
            BuiltinMethod::AppsAuthExternalDelete => delete_cases(&mut cases),
            BuiltinMethod::AuthTest => auth_test_cases(&mut cases),
            BuiltinMethod::AuthRevoke => revoke_cases(&mut cases),
            BuiltinMethod::OpenidConnectToken => openid_cases(&mut cases),
            // Built and read in `openid_cases` with the token method.
            BuiltinMethod::OpenidConnectUserInfo => {}
        }
    }
    cases
}

// ---------------------------------------------------------------------------------------
// Measurement.

fn time(batch: &mut Batch, n: u64) -> f64 {
    let start = Instant::now();
    batch(n);
    start.elapsed().as_nanos() as f64
}

/// Allocations and allocated bytes per operation, over `n` operations after a warm-up.
fn allocations(batch: &mut Batch, n: u64) -> (f64, f64) {
    batch(2);
    let (a0, b0) = (ALLOCS.load(Relaxed), ALLOC_BYTES.load(Relaxed));
    batch(n);
    let (a1, b1) = (ALLOCS.load(Relaxed), ALLOC_BYTES.load(Relaxed));
    ((a1 - a0) as f64 / n as f64, (b1 - b0) as f64 / n as f64)
}

fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * q).round() as usize]
}

struct Row {
    name: String,
    bytes: Option<usize>,
    budget: Option<f64>,
    lib_ns: f64,
    floor_ns: f64,
    ratio: f64,
    ratio_p25: f64,
    ratio_p75: f64,
    lib_allocs: (f64, f64),
    floor_allocs: (f64, f64),
}

/// Interleaved rounds: each round times one batch of the library and one of the floor, in
/// alternating order, and keeps their ratio.
fn ratio_rounds(case: &mut Case, quick: bool) -> Row {
    let (batch_target, case_budget, max_rounds) = if quick {
        (0.0, Duration::ZERO, 3)
    } else {
        (100_000.0, Duration::from_millis(600), 1001)
    };
    // Warm up and size the batches so one floor batch takes about `batch_target` ns.
    let mut n = 1;
    if !quick {
        let warm = Instant::now();
        while warm.elapsed() < Duration::from_millis(50) {
            time(&mut case.lib, 16);
            time(&mut case.floor, 16);
        }
        let one = time(&mut case.floor, 64) / 64.0;
        n = ((batch_target / one) as u64).max(1);
    }
    let round_ns = 2.0 * batch_target.max(1.0);
    let rounds = ((case_budget.as_nanos() as f64 / round_ns) as usize).clamp(3, max_rounds);
    let (mut ratios, mut lib_ns, mut floor_ns) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (l, f) = if round % 2 == 0 {
            let l = time(&mut case.lib, n);
            (l, time(&mut case.floor, n))
        } else {
            let f = time(&mut case.floor, n);
            (time(&mut case.lib, n), f)
        };
        ratios.push(l / f);
        lib_ns.push(l / n as f64);
        floor_ns.push(f / n as f64);
    }
    let alloc_n = if quick { 1 } else { 200 };
    Row {
        name: case.name(),
        bytes: case.bytes,
        budget: case.budget,
        lib_ns: quantile(&mut lib_ns, 0.5),
        floor_ns: quantile(&mut floor_ns, 0.5),
        ratio: quantile(&mut ratios, 0.5),
        ratio_p25: quantile(&mut ratios, 0.25),
        ratio_p75: quantile(&mut ratios, 0.75),
        lib_allocs: allocations(&mut case.lib, alloc_n),
        floor_allocs: allocations(&mut case.floor, alloc_n),
    }
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpus} CPUs, {model}")
}

fn print_table(rows: &[Row]) {
    println!("\nmachine: {}", machine());
    println!(
        "\n| case | lib ns | floor ns | lib/floor (p25–p75) | budget | allocs lib / floor | bytes alloc'd lib / floor | ns/byte lib / floor |"
    );
    println!("|---|---:|---:|---|---|---|---|---|");
    for r in rows {
        let budget = r.budget.map_or(String::new(), |b| {
            let verdict = if r.ratio <= b { "met" } else { "MISSED" };
            format!("≤ {b:.2}: {verdict}")
        });
        let per_byte = r.bytes.map_or(String::new(), |b| {
            format!("{:.2} / {:.2}", r.lib_ns / b as f64, r.floor_ns / b as f64)
        });
        println!(
            "| {} | {:.0} | {:.0} | {:.2} ({:.2}–{:.2}) | {budget} | {} / {} | {:.0} / {:.0} | {per_byte} |",
            r.name,
            r.lib_ns,
            r.floor_ns,
            r.ratio,
            r.ratio_p25,
            r.ratio_p75,
            fmt_count(r.lib_allocs.0),
            fmt_count(r.floor_allocs.0),
            r.lib_allocs.1,
            r.floor_allocs.1,
        );
    }
}

fn fmt_count(x: f64) -> String {
    if (x - x.round()).abs() < 0.01 {
        format!("{}", x.round())
    } else {
        format!("{x:.2}")
    }
}

/// The positional filter criterion will use, skipping the values of its options.
fn criterion_filter(args: &[String]) -> Option<&str> {
    const WITH_VALUE: &[&str] = &[
        "--profile-time",
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--plotting-backend",
        "--output-format",
        "--format",
        "--color",
    ];
    let mut skip_next = false;
    for arg in args {
        if skip_next {
            skip_next = false;
        } else if WITH_VALUE.contains(&arg.as_str()) {
            skip_next = true;
        } else if !arg.starts_with('-') {
            return Some(arg);
        }
    }
    None
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // As criterion decides: `cargo bench` passes --bench; `cargo test --benches` does not.
    let bench = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    // `--list` and `--profile-time` (criterion's profiling mode) skip the ratio rounds.
    let skip_rounds = args.iter().any(|a| a == "--list" || a == "--profile-time");
    let filter = criterion_filter(&args);
    let mut cases: Vec<Case> = all_cases()
        .into_iter()
        .filter(|c| skip_rounds || filter.is_none_or(|f| c.name().contains(f)))
        .collect();

    if !skip_rounds {
        let rows: Vec<Row> = cases.iter_mut().map(|c| ratio_rounds(c, !bench)).collect();
        if bench {
            print_table(&rows);
        } else {
            println!(
                "smoke: {} core cases ran once, lib and floor agree",
                rows.len()
            );
        }
    }

    if std::env::var_os("CORE_BENCH_RATIOS_ONLY").is_some() {
        return;
    }
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(700))
        .sample_size(20)
        .configure_from_args();
    for case in &mut cases {
        let mut group = criterion.benchmark_group(case.name());
        for (side, batch) in [("lib", &mut case.lib), ("floor", &mut case.floor)] {
            group.bench_function(side, |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    batch(iters);
                    start.elapsed()
                })
            });
        }
        group.finish();
    }
    criterion.final_summary();
}
