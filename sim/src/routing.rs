//! Routing: which handler answers a request (`/api/<method>`, the authorize pages, `/_sim/`),
//! and for the Web API the injected faults, the method dispatch and Slack's envelope.

use http::header::{LOCATION, RETRY_AFTER};
use http::{Method as Verb, Request, Response, StatusCode};
use serde_json::{json, Map, Value};
use slack_oauth_core::{method::BuiltinMethod, ErrorCode};

use crate::admin::admin;
use crate::catalog::ApiMethod;
use crate::fault::Fault;
use crate::pages::authorize_page;
use crate::request;
use crate::respond::{html_error, json_response, text};
use crate::state::State;

/// `handle_at` semantics: I/O faults are marked with a header, not carried out.
pub(crate) fn answer_marked(
    state: &mut State,
    req: &Request<Vec<u8>>,
    now: u64,
) -> Response<Vec<u8>> {
    let (mut response, fault) = route(state, req, now);
    if let Some(fault) = fault {
        response
            .headers_mut()
            .insert("x-sim-fault", http::HeaderValue::from_static(fault.kind()));
    }
    response
}

pub(crate) fn route(
    state: &mut State,
    req: &Request<Vec<u8>>,
    now: u64,
) -> (Response<Vec<u8>>, Option<Fault>) {
    let path = req.uri().path();
    if let Some(method) = path.strip_prefix("/api/") {
        return api(state, req, method, now);
    }
    if path == "/oauth/v2/authorize"
        || path == "/oauth/v2_user/authorize"
        || path == slack_oauth_core::openid::AuthorizeUrl::PATH
    {
        return (authorize_page(state, req, now), None);
    }
    if let Some(response) = crate::openid::route(state, req) {
        return (response, None);
    }
    if let Some(action) = path.strip_prefix("/_sim/") {
        return (admin(state, req, action), None);
    }
    (text(StatusCode::NOT_FOUND, "not found\n"), None)
}

fn api(
    state: &mut State,
    req: &Request<Vec<u8>>,
    method: &str,
    now: u64,
) -> (Response<Vec<u8>>, Option<Fault>) {
    let Some(method) = ApiMethod::from_name(method) else {
        // What slack.com answers (docs/simulator.md, "Beyond the six methods"): HTTP 200 and the
        // method's name echoed back.
        state.record_outcome("unknown_method", "unknown_method");
        let body = json!({"ok": false, "error": "unknown_method", "req_method": method});
        return (json_response(StatusCode::OK, &body), None);
    };
    let name = method.name();
    if !matches!(*req.method(), Verb::GET | Verb::POST | Verb::HEAD) {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        response.headers_mut().insert(
            http::header::ALLOW,
            http::HeaderValue::from_static("GET, POST"),
        );
        return (response, None);
    }

    let fault = state.take_fault(name);
    let mut extra_warning = None;
    let mut io_fault = None;
    if let Some(fault) = &fault {
        let replaces = !matches!(fault, Fault::Warning(_)) && !fault.is_io();
        if replaces {
            state.record_call(name, None);
            state.record_outcome(name, &format!("fault:{}", fault.kind()));
        }
    }
    match fault {
        Some(Fault::RateLimited { retry_after }) => {
            let mut response = json_response(
                StatusCode::TOO_MANY_REQUESTS,
                &json!({"ok": false, "error": "ratelimited"}),
            );
            response
                .headers_mut()
                .insert(RETRY_AFTER, http::HeaderValue::from(retry_after));
            return (response, None);
        }
        Some(Fault::ServerError(status)) => return (html_error(status), None),
        Some(Fault::Redirect { location }) => {
            let mut response = text(StatusCode::FOUND, "");
            if let Ok(value) = http::HeaderValue::from_str(&location) {
                response.headers_mut().insert(LOCATION, value);
            }
            return (response, None);
        }
        Some(Fault::Error(code)) => {
            return (
                json_response(StatusCode::OK, &json!({"ok": false, "error": code})),
                None,
            );
        }
        Some(Fault::Warning(warning)) => extra_warning = Some(warning),
        Some(io) => io_fault = Some(io),
        None => {}
    }

    let saved_now = state.now;
    state.now = now;
    let (answer, mut warnings) = match request::parse(req, method.reads_json()) {
        Err(refused) => {
            state.record_call(name, None);
            (Err(refused.code), refused.warnings)
        }
        Ok(parsed) => {
            state.record_call(name, Some(&parsed.args));
            // Exhaustive on purpose, no catch-all: a method added to core's list (or to
            // the catalog) does not compile until it is dispatched here.
            let answer = match method {
                ApiMethod::Builtin(builtin) => match builtin {
                    BuiltinMethod::OauthV2Access => state.oauth_access(&parsed, false),
                    BuiltinMethod::OauthV2UserAccess => state.oauth_access(&parsed, true),
                    BuiltinMethod::OauthV2Exchange => state.exchange(&parsed),
                    BuiltinMethod::ToolingTokensRotate => state.rotate(&parsed),
                    BuiltinMethod::AppsAuthExternalGet => state.external_get(&parsed),
                    BuiltinMethod::AppsAuthExternalDelete => state.external_delete(&parsed),
                    BuiltinMethod::AuthTest => state.auth_test(&parsed),
                    BuiltinMethod::AuthRevoke => state.auth_revoke(&parsed),
                    BuiltinMethod::OpenidConnectToken => state.openid_token(&parsed),
                    BuiltinMethod::OpenidConnectUserInfo => state.openid_user_info(&parsed),
                },
                ApiMethod::AppsUninstall => state.apps_uninstall(&parsed),
            };
            (answer, parsed.warnings)
        }
    };
    state.now = saved_now;
    match &answer {
        Ok(_) => state.record_outcome(name, "ok"),
        Err(code) => state.record_outcome(name, code.as_str()),
    }
    if let Some(io) = &io_fault {
        state.record_outcome(name, &format!("fault:{}", io.kind()));
    }
    warnings.extend(extra_warning);
    (envelope(answer, &warnings), io_fault)
}

/// `{"ok":true,...}` or `{"ok":false,"error":...}`, with warnings as Slack writes them.
fn envelope(
    answer: Result<Map<String, Value>, ErrorCode>,
    warnings: &[String],
) -> Response<Vec<u8>> {
    let mut out = match answer {
        Ok(mut fields) => {
            fields.insert("ok".into(), Value::Bool(true));
            fields
        }
        Err(code) => {
            let mut fields = Map::new();
            fields.insert("ok".into(), Value::Bool(false));
            fields.insert("error".into(), json!(code.as_str()));
            fields
        }
    };
    if !warnings.is_empty() {
        out.insert("warning".into(), json!(warnings.join(",")));
        let messages: Vec<String> = warnings
            .iter()
            .map(|w| format!("[WARN] {}", warning_message(w)))
            .collect();
        out.insert(
            "response_metadata".into(),
            json!({"warnings": warnings, "messages": messages}),
        );
    }
    json_response(StatusCode::OK, &Value::Object(out))
}

fn warning_message(warning: &str) -> String {
    match warning {
        "missing_charset" => "A Content-Type charset is expected for this body type.".to_owned(),
        "superfluous_charset" => {
            "A charset was given for a content type that does not define one.".to_owned()
        }
        other => format!("Warning: {other}"),
    }
}
