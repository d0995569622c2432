//! [`Sim`]: the simulator's state and its sans-IO request handler.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use http::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use http::{Method as Verb, Request, Response, StatusCode};
use serde_json::{json, Map, Value};
use slack_oauth_core::apps_auth_external::{Delete, Get};
use slack_oauth_core::oauth_v2::{Access, Exchange, UserAccess};
use slack_oauth_core::tooling_tokens::Rotate;
use slack_oauth_core::{ErrorCode, Method};

use crate::app::AppConfig;

/// The demo app's client id (registered by [`Sim::register_demo_app`]).
pub const DEMO_CLIENT_ID: &str = "111.222";
/// The demo app's client secret: a fake, printed by the binaries for test harnesses.
pub const DEMO_CLIENT_SECRET: &str = "app-secret";
/// The demo app's id.
pub const DEMO_APP_ID: &str = "A0SIMDEMO";
use crate::authorize::SimError;
use crate::config::{Seeded, SimConfig};
use crate::fault::Fault;
use crate::request::{self, Args};
use crate::state::{App, LegacyKind, State};

/// The six methods the simulator answers, and whether each reads JSON bodies.
const METHODS: [(&str, bool); 6] = [
    (Access::NAME, true),
    (UserAccess::NAME, true),
    (Exchange::NAME, false),
    (Rotate::NAME, false),
    (Get::NAME, true),
    (Delete::NAME, true),
];

/// What to seed for `apps.auth.external.get` / `.delete`.
///
/// ```
/// use slack_oauth_sim::{ExternalTokenSeed, Sim};
/// let sim = Sim::new();
/// let id = sim.seed_external_token(ExternalTokenSeed {
///     app_id: "A0SIMAPP1".into(),
///     provider_key: "google".into(),
///     token: "ya29.fake".into(),
///     has_refresh_token: true,
///     ..Default::default()
/// });
/// assert!(id.starts_with("Et"));
/// assert_eq!(sim.external_token(&id).as_deref(), Some("ya29.fake"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ExternalTokenSeed {
    /// The workflow app that owns the token.
    pub app_id: String,
    /// The provider key from the app's manifest, e.g. `google`.
    pub provider_key: String,
    /// The provider's access token; empty: one is generated.
    pub token: String,
    /// Whether Slack holds a refresh token for it (`force_refresh` and expiry need one,
    /// else `no_refresh_token`).
    pub has_refresh_token: bool,
    /// The id to use; `None`: one is generated (`Et…`).
    pub external_token_id: Option<String>,
    /// Seconds until the provider token expires (a refresh then happens on `get`); `None`:
    /// never.
    pub expires_in: Option<u64>,
    /// Refreshing fails with `access_token_exchange_failed`.
    pub exchange_fails: bool,
}

impl fmt::Debug for ExternalTokenSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExternalTokenSeed")
            .field("app_id", &self.app_id)
            .field("provider_key", &self.provider_key)
            .field("has_refresh_token", &self.has_refresh_token)
            .field("external_token_id", &self.external_token_id)
            .field("expires_in", &self.expires_in)
            .field("exchange_fails", &self.exchange_fails)
            .finish_non_exhaustive()
    }
}

/// The state of a token as the simulator sees it (see [`Sim::token_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenStatus {
    /// Usable.
    Active,
    /// Past its expiry (`token_expired`).
    Expired,
    /// Revoked, or its app was uninstalled (`token_revoked`).
    Revoked,
    /// A refresh token that was used already, or whose authorization is gone.
    Spent,
    /// Not a token the simulator issued or was seeded with.
    Unknown,
}

/// A simulated Slack: apps, codes, tokens and faults, plus the sans-IO handler that answers
/// requests with them.
///
/// Cheap to clone (the state is shared behind a mutex), `Send` and `Sync`. The clock is
/// simulated: it starts at [`Sim::DEFAULT_START`] and moves only with [`Sim::advance`].
///
/// ```
/// use slack_oauth_core::{parse, Api, ClientCredentials, oauth_v2::Access};
/// use slack_oauth_sim::{AppConfig, Sim};
///
/// let sim = Sim::new();
/// sim.register_app(AppConfig::new("111.222", "app-secret")
///     .redirect_uri("http://127.0.0.1:8080/callback")
///     .token_rotation(true));
/// // The user approves the install in the "browser":
/// let redirect = sim.approve(
///     "https://slack.com/oauth/v2/authorize?client_id=111.222&scope=chat:write&state=xyz",
/// )?;
/// let code = redirect.split("code=").nth(1).unwrap().split('&').next().unwrap();
///
/// let api = Api::new().with_credentials(ClientCredentials::new("111.222", "app-secret"));
/// let reply = parse::<Access, _>(&sim.handle(&api.request(&Access::code(code))?))?;
/// assert_eq!(reply.value.expires_in, Some(43_200));
///
/// // Twelve hours later the token is dead and the refresh token works once.
/// sim.advance(43_200);
/// let refresh = reply.value.refresh_token.unwrap();
/// assert!(parse::<Access, _>(&sim.handle(&api.request(&Access::refresh(refresh.clone()))?)).is_ok());
/// let again = parse::<Access, _>(&sim.handle(&api.request(&Access::refresh(refresh))?));
/// assert_eq!(again.unwrap_err().code().map(|c| c.as_str()), Some("invalid_refresh_token"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Mutex<State>>,
}

impl Default for Sim {
    fn default() -> Self {
        Sim::new()
    }
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Sim")
            .field("now", &state.now)
            .field("apps", &state.apps.len())
            .field("tokens", &state.tokens.len())
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Where the simulated clock starts (Unix seconds, 2023-11-14).
    pub const DEFAULT_START: u64 = 1_700_000_000;

    /// An empty simulator: no apps, clock at [`Sim::DEFAULT_START`].
    pub fn new() -> Sim {
        Sim::with_seed(0)
    }

    /// Like [`Sim::new`], with a different seed for the generated token strings (tokens are
    /// deterministic for a given seed and sequence of calls).
    pub fn with_seed(seed: u64) -> Sim {
        Sim {
            inner: Arc::new(Mutex::new(State::new(Sim::DEFAULT_START, seed))),
        }
    }

    // A panic elsewhere must not make the simulator unusable: take the state as it is.
    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The simulated clock, Unix seconds.
    pub fn now(&self) -> u64 {
        self.state().now
    }

    /// Moves the clock forward by `secs` seconds; returns the new time.
    pub fn advance(&self, secs: u64) -> u64 {
        let mut state = self.state();
        state.now = state.now.saturating_add(secs);
        state.now
    }

    /// Sets the clock (it may go backwards; nothing else changes).
    pub fn set_now(&self, now: u64) {
        self.state().now = now;
    }

    /// Answers a request at the simulator's current time. See [`Sim::handle_at`].
    pub fn handle(&self, req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
        let mut state = self.state();
        let now = state.now;
        answer_marked(&mut state, req, now)
    }

    /// Answers a request as if the clock read `now` (the clock itself is not changed).
    ///
    /// Serves `/api/<method>` for the six methods, the authorize pages
    /// (`/oauth/v2/authorize`, `/oauth/v2_user/authorize`: auto-approve, 302) and the admin
    /// endpoints under `/_sim/`. An injected I/O fault cannot be carried out without a
    /// socket: the answer then carries an `x-sim-fault` header naming it.
    pub fn handle_at(&self, req: &Request<Vec<u8>>, now: u64) -> Response<Vec<u8>> {
        answer_marked(&mut self.state(), req, now)
    }

    /// Like [`Sim::handle_at`], but returns an injected I/O fault ([`Fault::is_io`]) instead of
    /// marking it, for a transport layer to carry out. [`Server`](crate::Server) uses this.
    pub fn handle_with_fault(
        &self,
        req: &Request<Vec<u8>>,
        now: u64,
    ) -> (Response<Vec<u8>>, Option<Fault>) {
        route(&mut self.state(), req, now)
    }

    /// Registers an app (or replaces the settings of an app with the same client id; its
    /// tokens stay valid).
    pub fn register_app(&self, config: AppConfig) {
        let mut state = self.state();
        match state.apps.get_mut(&config.client_id) {
            Some(app) => app.config = config,
            None => {
                state.apps.insert(
                    config.client_id.clone(),
                    App {
                        config,
                        generation: 0,
                        org_installed: false,
                    },
                );
            }
        }
    }

    /// Seeds a legacy long-lived token (`xoxb-…` or `xoxp-…`) of the app with this client
    /// id, exchangeable once with `oauth.v2.exchange`. `kind`: `"bot"`/`"user"` or a
    /// [`TokenKind`](slack_oauth_core::TokenKind).
    pub fn seed_legacy_token(&self, client_id: &str, kind: impl Into<LegacyKind>) -> String {
        self.seed_legacy_token_value(client_id, kind, None)
    }

    /// Like [`Sim::seed_legacy_token`], with a chosen token string.
    pub fn seed_legacy_token_value(
        &self,
        client_id: &str,
        kind: impl Into<LegacyKind>,
        token: Option<String>,
    ) -> String {
        self.state().seed_legacy(client_id, kind.into(), token)
    }

    /// Seeds an app configuration token and its refresh token for `tooling.tokens.rotate`;
    /// returns `(token, refresh_token)`.
    pub fn seed_config_token(&self, team_id: &str, user_id: &str) -> (String, String) {
        self.state().issue_config(team_id, user_id, None, None)
    }

    /// Seeds an external-auth token; returns its `external_token_id`.
    pub fn seed_external_token(&self, seed: ExternalTokenSeed) -> String {
        self.state().seed_external(seed)
    }

    /// Seeds a workflow token (`xwfp-…`) that may call `apps.auth.external.*` for any app.
    /// It does not expire unless [`Sim::expire_token`] says so.
    pub fn seed_workflow_token(&self) -> String {
        self.state().seed_workflow(None, None)
    }

    /// Seeds a workflow token limited to one app's external tokens.
    pub fn seed_workflow_token_for(&self, app_id: &str) -> String {
        self.state().seed_workflow(Some(app_id.to_owned()), None)
    }

    /// The user approves the authorize URL (any host; path `/oauth/v2/authorize` or
    /// `/oauth/v2_user/authorize`): returns the redirect URL with `code` and `state`.
    ///
    /// Validates the client id, redirect URI, scopes and PKCE challenge as Slack's authorize
    /// page does. The code is single-use and expires after 600 s.
    pub fn approve(&self, authorize_url: &str) -> Result<String, SimError> {
        self.state().authorize(authorize_url, true)
    }

    /// The user denies: returns the redirect URL with `error=access_denied` and `state`.
    pub fn deny(&self, authorize_url: &str) -> Result<String, SimError> {
        self.state().authorize(authorize_url, false)
    }

    /// Makes the next `times` calls of `method` (e.g. `"oauth.v2.access"`) fail with
    /// `fault`. Faults queue up per method in the order injected.
    pub fn inject(&self, method: &str, fault: Fault, times: u64) {
        if times == 0 {
            return;
        }
        self.state()
            .faults
            .entry(method.to_owned())
            .or_default()
            .push_back((fault, times));
    }

    /// Drops every pending fault.
    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    /// How many requests reached `/api/<method>` (including refused and faulted ones).
    pub fn calls(&self, method: &str) -> u64 {
        self.state().calls.get(method).copied().unwrap_or(0)
    }

    /// How many of the (last 10 000) requests to `method` had arguments matching `filter`.
    pub fn calls_with(&self, method: &str, filter: impl Fn(&Args) -> bool) -> u64 {
        self.state().history.get(method).map_or(0, |calls| {
            calls.iter().filter(|args| filter(args)).count() as u64
        })
    }

    /// Revokes an access, workflow or refresh token (`token_revoked` /
    /// `invalid_refresh_token` from then on). Returns whether the token was known.
    pub fn revoke_token(&self, token: &str) -> bool {
        self.state().revoke(token)
    }

    /// Expires an access or workflow token now (`token_expired` from then on). Returns
    /// whether the token was known.
    pub fn expire_token(&self, token: &str) -> bool {
        let mut state = self.state();
        let now = state.now;
        match state.tokens.get_mut(token) {
            Some(rec) => {
                rec.expires_at = Some(now);
                true
            }
            None => false,
        }
    }

    /// Uninstalls the app: its existing tokens lose their authorization (access tokens:
    /// `token_revoked`; refresh tokens: `invalid_refresh_token`; legacy tokens at
    /// `oauth.v2.exchange`: `authorization_not_found`). A new install works again.
    /// Returns whether the client id is registered.
    pub fn uninstall(&self, client_id: &str) -> bool {
        self.state().uninstall(client_id)
    }

    /// What the simulator thinks of a token (access, workflow, refresh or config token).
    pub fn token_status(&self, token: &str) -> TokenStatus {
        let state = self.state();
        if let Some(rec) = state.tokens.get(token) {
            let authorized = rec
                .client_id
                .as_deref()
                .is_none_or(|id| state.authorized(id, rec.generation));
            return if rec.revoked || !authorized {
                TokenStatus::Revoked
            } else if rec.expires_at.is_some_and(|e| state.now >= e) {
                TokenStatus::Expired
            } else {
                TokenStatus::Active
            };
        }
        if let Some(rec) = state.refresh.get(token) {
            let dead = rec.used
                || !state.authorized(&rec.client_id, rec.generation)
                || rec.expires_at.is_some_and(|e| state.now >= e);
            return if dead {
                TokenStatus::Spent
            } else {
                TokenStatus::Active
            };
        }
        if let Some(rec) = state.config_tokens.get(token) {
            return if state.now >= rec.expires_at {
                TokenStatus::Expired
            } else {
                TokenStatus::Active
            };
        }
        if let Some(rec) = state.config_refresh.get(token) {
            return if rec.used {
                TokenStatus::Spent
            } else {
                TokenStatus::Active
            };
        }
        TokenStatus::Unknown
    }

    /// The provider token currently stored under `external_token_id`.
    pub fn external_token(&self, external_token_id: &str) -> Option<String> {
        self.state()
            .external
            .get(external_token_id)
            .map(|r| r.token.clone())
    }

    /// Registers apps, seeds tokens and injects faults from a [`SimConfig`] (the format of
    /// the binary's `--config` file). Returns the values seeded, generated ones included.
    pub fn apply_config(&self, config: &SimConfig) -> Result<Seeded, SimError> {
        config.apply_to_state(&mut self.state())
    }

    /// Reads a JSON configuration file (the `--config` format) and applies it.
    pub fn apply_config_file(&self, path: &std::path::Path) -> Result<Seeded, SimError> {
        let bytes = std::fs::read(path)
            .map_err(|e| SimError::InvalidConfig(format!("cannot read {}: {e}", path.display())))?;
        let config = SimConfig::from_json_bytes(&bytes)
            .map_err(|e| SimError::InvalidConfig(format!("{}: {e}", path.display())))?;
        self.apply_config(&config)
    }

    /// Registers the demo app the binaries use when no configuration is given:
    /// [`DEMO_CLIENT_ID`], [`DEMO_CLIENT_SECRET`], [`DEMO_APP_ID`].
    pub fn register_demo_app(&self) {
        self.register_app(AppConfig::new(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET).app_id(DEMO_APP_ID));
    }
}

/// `handle_at` semantics: I/O faults are marked with a header, not carried out.
fn answer_marked(state: &mut State, req: &Request<Vec<u8>>, now: u64) -> Response<Vec<u8>> {
    let (mut response, fault) = route(state, req, now);
    if let Some(fault) = fault {
        response
            .headers_mut()
            .insert("x-sim-fault", http::HeaderValue::from_static(fault.kind()));
    }
    response
}

fn route(
    state: &mut State,
    req: &Request<Vec<u8>>,
    now: u64,
) -> (Response<Vec<u8>>, Option<Fault>) {
    let path = req.uri().path();
    if let Some(method) = path.strip_prefix("/api/") {
        return api(state, req, method, now);
    }
    if path == "/oauth/v2/authorize" || path == "/oauth/v2_user/authorize" {
        return (authorize_page(state, req, now), None);
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
    let Some(&(name, json_allowed)) = METHODS.iter().find(|(name, _)| *name == method) else {
        let body = json!({"ok": false, "error": "unknown_method", "req_method": method});
        return (json_response(StatusCode::NOT_FOUND, &body), None);
    };
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
    match fault {
        Some(Fault::RateLimited { retry_after }) => {
            state.record_call(name, None);
            let mut response = json_response(
                StatusCode::TOO_MANY_REQUESTS,
                &json!({"ok": false, "error": "ratelimited"}),
            );
            response
                .headers_mut()
                .insert(RETRY_AFTER, http::HeaderValue::from(retry_after));
            return (response, None);
        }
        Some(Fault::ServerError(status)) => {
            state.record_call(name, None);
            return (html_error(status), None);
        }
        Some(Fault::Redirect { location }) => {
            state.record_call(name, None);
            let mut response = text(StatusCode::FOUND, "");
            if let Ok(value) = http::HeaderValue::from_str(&location) {
                response.headers_mut().insert(LOCATION, value);
            }
            return (response, None);
        }
        Some(Fault::Error(code)) => {
            state.record_call(name, None);
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
    let (answer, mut warnings) = match request::parse(req, json_allowed) {
        Err(refused) => {
            state.record_call(name, None);
            (Err(refused.code), refused.warnings)
        }
        Ok(parsed) => {
            state.record_call(name, Some(&parsed.args));
            let answer = match name {
                n if n == Access::NAME => state.oauth_access(&parsed, false),
                n if n == UserAccess::NAME => state.oauth_access(&parsed, true),
                n if n == Exchange::NAME => state.exchange(&parsed),
                n if n == Rotate::NAME => state.rotate(&parsed),
                n if n == Get::NAME => state.external_get(&parsed),
                _ => state.external_delete(&parsed),
            };
            (answer, parsed.warnings)
        }
    };
    state.now = saved_now;
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

fn authorize_page(state: &mut State, req: &Request<Vec<u8>>, now: u64) -> Response<Vec<u8>> {
    if !matches!(*req.method(), Verb::GET | Verb::HEAD) {
        return text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    let deny = req.uri().query().is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes()).any(|(n, v)| n == "sim_decision" && v == "deny")
    });
    let saved_now = state.now;
    state.now = now;
    let result = state.authorize(&req.uri().to_string(), !deny);
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
            let mut response = Response::new(body.into_bytes());
            *response.status_mut() = StatusCode::BAD_REQUEST;
            response.headers_mut().insert(
                CONTENT_TYPE,
                http::HeaderValue::from_static("text/html; charset=utf-8"),
            );
            response
        }
    }
}

fn admin(state: &mut State, req: &Request<Vec<u8>>, action: &str) -> Response<Vec<u8>> {
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
                state.now = state.now.saturating_add(secs);
                json_response(StatusCode::OK, &json!({"ok": true, "now": state.now}))
            }
            None => bad("seconds must be a non-negative integer"),
        },
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
        "uninstall" if post => match arg("client_id") {
            Some(id) if state.uninstall(id) => json_response(StatusCode::OK, &json!({"ok": true})),
            _ => bad("client_id names no registered app"),
        },
        "advance" | "config" | "revoke" | "uninstall" => {
            text(StatusCode::METHOD_NOT_ALLOWED, "use POST\n")
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response<Vec<u8>> {
    let mut response = Response::new(body.to_string().into_bytes());
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

fn text(status: StatusCode, body: &str) -> Response<Vec<u8>> {
    let mut response = Response::new(body.as_bytes().to_vec());
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn html_error(status: u16) -> Response<Vec<u8>> {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = status.canonical_reason().unwrap_or("Error");
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>{code} {reason}</title></head>\n<body><h1>{code} {reason}</h1><p>The server encountered a temporary error.</p></body></html>\n",
        code = status.as_u16()
    );
    let mut response = Response::new(body.into_bytes());
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
