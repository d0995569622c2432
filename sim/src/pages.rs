//! The authorize pages: the auto-approving redirect, and the consent page a browser gets.

use http::header::{ACCEPT, LOCATION};
use http::{Method as Verb, Request, Response, StatusCode};

use crate::respond::{html, text};
use crate::state::State;

/// The authorize pages. Scripts get the auto-approving redirect; a browser (a request whose
/// `Accept` names `text/html`) gets a consent page with Allow and Cancel, unless the app
/// says `auto_approve` or the URL carries `sim_decision=allow|deny`. The page's form POSTs
/// back here with `decision=allow|deny` and the original query in `query`.
pub(crate) fn authorize_page(
    state: &mut State,
    req: &Request<Vec<u8>>,
    now: u64,
) -> Response<Vec<u8>> {
    let path = req.uri().path();
    let (query, decision) = match *req.method() {
        Verb::GET | Verb::HEAD => {
            let query = req.uri().query().unwrap_or("").to_owned();
            let decision = form_urlencoded::parse(query.as_bytes())
                .find(|(n, _)| n == "sim_decision")
                .map(|(_, v)| v.into_owned());
            (query, decision)
        }
        Verb::POST => {
            let mut query = None;
            let mut decision = None;
            for (name, value) in form_urlencoded::parse(req.body()) {
                match &*name {
                    "query" => query = Some(value.into_owned()),
                    "decision" => decision = Some(value.into_owned()),
                    _ => {}
                }
            }
            match (query, decision) {
                (Some(q), Some(d)) => (q, Some(d)),
                _ => {
                    return text(
                        StatusCode::BAD_REQUEST,
                        "the consent form needs query and decision\n",
                    )
                }
            }
        }
        _ => return text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n"),
    };
    let url = format!("{path}?{query}");
    let saved_now = state.now;
    state.now = now;
    let result = match decision.as_deref() {
        Some("deny") | Some("cancel") => state.authorize(&url, false),
        Some(_) => state.authorize(&url, true),
        None if wants_html(req) && !auto_approves(state, &query) => {
            // Validate first (a deny mints nothing), then show the page.
            match state.authorize(&url, false) {
                Ok(_) => {
                    state.now = saved_now;
                    return consent_page(state, path, &query);
                }
                Err(err) => Err(err),
            }
        }
        None => state.authorize(&url, true),
    };
    state.now = saved_now;
    match result {
        Ok(location) => {
            let mut response = text(StatusCode::FOUND, "");
            match http::HeaderValue::from_str(&location) {
                Ok(value) => {
                    response.headers_mut().insert(LOCATION, value);
                    response
                }
                Err(_) => text(
                    StatusCode::BAD_REQUEST,
                    "redirect URI is not a valid header\n",
                ),
            }
        }
        Err(err) => {
            let body = format!(
                "<!DOCTYPE html><html><head><title>{code}</title></head><body><h1>{code}</h1><p>{msg}</p></body></html>\n",
                code = err.code(),
                msg = html_escape(&err.to_string()),
            );
            html(StatusCode::BAD_REQUEST, body)
        }
    }
}

/// Whether the client asked for HTML, as browsers do (`Accept: text/html,…`).
fn wants_html(req: &Request<Vec<u8>>) -> bool {
    req.headers()
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',').any(|item| {
                item.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/html"))
            })
        })
}

fn auto_approves(state: &State, query: &str) -> bool {
    form_urlencoded::parse(query.as_bytes())
        .find(|(n, _)| n == "client_id")
        .and_then(|(_, id)| state.apps.get(&*id).map(|a| a.config.auto_approve))
        .unwrap_or(false)
}

/// The consent page: the app's name, the workspace, the scopes asked, Allow and Cancel.
/// Plain HTML forms, no script.
fn consent_page(state: &State, path: &str, query: &str) -> Response<Vec<u8>> {
    let get = |name: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let client_id = get("client_id");
    let (app_name, team_name) = state
        .apps
        .get(&client_id)
        .map(|a| (a.config.app_name.clone(), a.config.team_name.clone()))
        .unwrap_or_default();
    let list = |scopes: &str| -> String {
        crate::app::split_scopes(scopes)
            .iter()
            .map(|s| format!("<li><code>{}</code></li>", html_escape(s)))
            .collect()
    };
    let path = path.trim_end_matches('/');
    let user_flow = path.ends_with("/oauth/v2_user/authorize")
        || path.ends_with(slack_oauth_core::openid::AuthorizeUrl::PATH);
    let (bot, user) = if user_flow {
        (
            String::new(),
            format!("{} {}", get("scope"), get("user_scope")),
        )
    } else {
        (get("scope"), get("user_scope"))
    };
    let mut sections = String::new();
    if !bot.trim().is_empty() {
        sections.push_str(&format!(
            "<h2>As a bot, it will be able to</h2><ul id=\"bot-scopes\">{}</ul>",
            list(&bot)
        ));
    }
    if !user.trim().is_empty() {
        sections.push_str(&format!(
            "<h2>On your behalf, it will be able to</h2><ul id=\"user-scopes\">{}</ul>",
            list(&user)
        ));
    }
    let form = |decision: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"query\" value=\"{query}\"><input type=\"hidden\" name=\"decision\" value=\"{decision}\"><button type=\"submit\" id=\"{decision}\">{label}</button></form>",
            action = html_escape(path),
            query = html_escape(query),
        )
    };
    let body = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{app} is requesting permission</title></head>\n<body><h1><span id=\"app-name\">{app}</span> is requesting permission to access the <span id=\"team-name\">{team}</span> Slack workspace</h1>\n{sections}\n{allow}\n{cancel}\n</body></html>\n",
        app = html_escape(&app_name),
        team = html_escape(&team_name),
        allow = form("allow", "Allow"),
        cancel = form("deny", "Cancel"),
    );
    html(StatusCode::OK, body)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
