//! The admin endpoints under `/_sim/`: the clock, stats, call counts, config, and revoking,
//! deactivating or uninstalling from outside.

use http::{Method as Verb, Request, Response, StatusCode};
use serde_json::json;

use crate::config::SimConfig;
use crate::respond::{json_response, text};
use crate::state::{Clock, State};

pub(crate) fn admin(state: &mut State, req: &Request<Vec<u8>>, action: &str) -> Response<Vec<u8>> {
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let arg = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let bad = |why: &str| {
        json_response(
            StatusCode::BAD_REQUEST,
            &json!({"ok": false, "error": "invalid_arguments", "detail": why}),
        )
    };
    let post = *req.method() == Verb::POST;
    match action {
        "now" => json_response(StatusCode::OK, &json!({"ok": true, "now": state.now})),
        "advance" if post => match arg("seconds").and_then(|s| s.parse::<u64>().ok()) {
            Some(secs) => {
                let now = state.advance(secs);
                json_response(StatusCode::OK, &json!({"ok": true, "now": now}))
            }
            None => bad("seconds must be a non-negative integer"),
        },
        "clock" if post => match arg("mode").map(str::parse::<Clock>) {
            Some(Ok(clock)) => {
                state.set_clock(clock);
                json_response(
                    StatusCode::OK,
                    &json!({"ok": true, "clock": clock.as_str(), "now": state.now}),
                )
            }
            Some(Err(why)) => bad(&why),
            None => bad("mode is required (wall or simulated)"),
        },
        "clock" => json_response(
            StatusCode::OK,
            &json!({"ok": true, "clock": state.clock.as_str(), "now": state.now}),
        ),
        "stats" => json_response(StatusCode::OK, &state.stats.to_json()),
        "calls" => match arg("method") {
            Some(method) => json_response(
                StatusCode::OK,
                &json!({"ok": true, "calls": state.calls.get(method).copied().unwrap_or(0)}),
            ),
            None => bad("method is required"),
        },
        "config" if post => match SimConfig::from_json_bytes(req.body()) {
            Ok(config) => match config.apply_to_state(state) {
                Ok(seeded) => json_response(StatusCode::OK, &seeded.to_json()),
                Err(err) => bad(&err.to_string()),
            },
            Err(err) => bad(&err.to_string()),
        },
        "revoke" if post => match arg("token") {
            Some(token) => {
                let known = state.revoke(token);
                json_response(StatusCode::OK, &json!({"ok": known}))
            }
            None => bad("token is required"),
        },
        "deactivate" if post => match arg("token").and_then(|t| state.tokens.get_mut(t)) {
            Some(rec) => {
                rec.inactive = true;
                json_response(StatusCode::OK, &json!({"ok": true}))
            }
            None => bad("token names no access token"),
        },
        "uninstall" if post => match arg("client_id") {
            Some(id) if state.uninstall(id) => json_response(StatusCode::OK, &json!({"ok": true})),
            _ => bad("client_id names no registered app"),
        },
        "advance" | "config" | "revoke" | "uninstall" | "deactivate" => {
            text(StatusCode::METHOD_NOT_ALLOWED, "use POST\n")
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}
