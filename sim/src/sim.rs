//! [`Sim`]: the simulator's state and its sans-IO request handler.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use http::header::{ACCEPT, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use http::{Method as Verb, Request, Response, StatusCode};
use serde_json::{json, Map, Value};
use slack_oauth_core::{BuiltinMethod, ErrorCode};
use tokio::sync::Notify;

use crate::app::AppConfig;
use crate::catalog::ApiMethod;
use crate::events::{Event, EventKind};
use crate::stats::Stats;

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
use crate::state::{App, Clock, LegacyKind, State};

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
    /// Woken when an event is queued, for a [`Server`](crate::Server) that sends them.
    pub(crate) events_ready: Arc<Notify>,
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
            events_ready: Arc::new(Notify::new()),
        }
    }

    /// An empty simulator on this clock ([`Clock::Wall`]: the system clock, plus what
    /// [`Sim::advance`] adds).
    pub fn with_clock(clock: Clock) -> Sim {
        let sim = Sim::new();
        sim.set_clock(clock);
        sim
    }

    // A panic elsewhere must not make the simulator unusable: take the state as it is.
    fn state(&self) -> MutexGuard<'_, State> {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        state.tick();
        state
    }

    /// Runs `f` on the state, then wakes the event sender if `f` queued an event.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self.state();
        let before = state.emitted;
        let out = f(&mut state);
        let emitted = state.emitted != before;
        drop(state);
        if emitted {
            self.events_ready.notify_one();
        }
        out
    }

    /// The simulator's time, Unix seconds.
    pub fn now(&self) -> u64 {
        self.state().now
    }

    /// Which clock the simulator reads.
    pub fn clock(&self) -> Clock {
        self.state().clock
    }

    /// Switches the clock. To [`Clock::Wall`]: time is the system clock from now on (the
    /// offset restarts at 0); to [`Clock::Simulated`]: time stands at the current value.
    pub fn set_clock(&self, clock: Clock) {
        self.state().set_clock(clock);
    }

    /// Moves the clock forward by `secs` seconds (saturating); returns the new time. On the
    /// wall clock this adds to the offset.
    pub fn advance(&self, secs: u64) -> u64 {
        self.state().advance(secs)
    }

    /// Sets the time (it may go backwards; nothing else changes).
    pub fn set_now(&self, now: u64) {
        self.state().set_now(now);
    }

    /// Answers a request at the simulator's current time. See [`Sim::handle_at`].
    pub fn handle(&self, req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
        self.with_state(|state| {
            let now = state.now;
            answer_marked(state, req, now)
        })
    }

    /// Answers a request as if the clock read `now` (the clock itself is not changed).
    ///
    /// Serves `/api/<method>` for the methods of [`ApiMethod`](crate::ApiMethod) (others:
    /// HTTP 200 `unknown_method`, as slack.com), the authorize pages (`/oauth/v2/authorize`,
    /// `/oauth/v2_user/authorize`: auto-approve with a 302, or a consent page for a browser)
    /// and the admin
    /// endpoints under `/_sim/`. An injected I/O fault cannot be carried out without a
    /// socket: the answer then carries an `x-sim-fault` header naming it.
    pub fn handle_at(&self, req: &Request<Vec<u8>>, now: u64) -> Response<Vec<u8>> {
        self.with_state(|state| answer_marked(state, req, now))
    }

    /// Like [`Sim::handle_at`], but returns an injected I/O fault ([`Fault::is_io`]) instead of
    /// marking it, for a transport layer to carry out. [`Server`](crate::Server) uses this.
    pub fn handle_with_fault(
        &self,
        req: &Request<Vec<u8>>,
        now: u64,
    ) -> (Response<Vec<u8>>, Option<Fault>) {
        self.with_state(|state| route(state, req, now))
    }

    /// Like [`Sim::handle_with_fault`] at the current time (one lock, for the server's hot
    /// path).
    pub(crate) fn handle_now_with_fault(
        &self,
        req: &Request<Vec<u8>>,
    ) -> (Response<Vec<u8>>, Option<Fault>) {
        self.with_state(|state| {
            let now = state.now;
            route(state, req, now)
        })
    }

    /// Registers an app (or replaces the settings of an app with the same client id; its
    /// tokens stay valid). Values [`Sim::try_register_app`] would refuse are clamped
    /// (a `token_expires_in` of 0 lives 1 s) or, for an event URL that is not `http://`,
    /// the URL is ignored.
    pub fn register_app(&self, config: AppConfig) {
        self.with_state(|state| register(state, config));
    }

    /// Registers an app, refusing absurd settings (`token_expires_in` of 0 or more than
    /// 100 years, an event URL that is not `http://`) with [`SimError::InvalidConfig`].
    pub fn try_register_app(&self, config: AppConfig) -> Result<(), SimError> {
        config.validate().map_err(SimError::InvalidConfig)?;
        self.register_app(config);
        Ok(())
    }

    /// Takes the events queued so far (oldest first) instead of letting a
    /// [`Server`](crate::Server) send them: for sans-IO tests. Sign and build each one's
    /// request with [`Event::request`].
    pub fn take_events(&self) -> Vec<Event> {
        self.state().outbox.drain(..).collect()
    }

    /// Answers per method and outcome, refresh tokens presented twice, and event deliveries.
    pub fn stats(&self) -> Stats {
        self.state().stats.clone()
    }

    /// Marks the user or workspace of an access token as deleted: `account_inactive` from
    /// then on. Returns whether the token was known.
    pub fn deactivate_token(&self, token: &str) -> bool {
        match self.state().tokens.get_mut(token) {
            Some(rec) => {
                rec.inactive = true;
                true
            }
            None => false,
        }
    }

    pub(crate) fn next_event(&self) -> Option<Event> {
        self.state().outbox.pop_front()
    }

    pub(crate) fn count_event(&self, f: impl FnOnce(&mut crate::events::EventStats)) {
        f(&mut self.state().stats.events);
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
        self.with_state(|state| state.revoke(token))
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
        self.with_state(|state| state.uninstall(client_id))
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
                || rec.revoked
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
            return if rec.used || rec.revoked {
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
        self.with_state(|state| config.apply_to_state(state))
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

/// Registers or updates an app; a new or changed event URL gets a `url_verification`.
pub(crate) fn register(state: &mut State, mut config: AppConfig) {
    config.token_expires_in = config.token_expires_in.clamp(1, crate::app::MAX_SECONDS);
    if config.validate().is_err() {
        config.event_request_url = None;
    }
    let client_id = config.client_id.clone();
    let new_url = config.event_request_url.clone();
    let old_url = match state.apps.get_mut(&client_id) {
        Some(app) => std::mem::replace(&mut app.config, config).event_request_url,
        None => {
            state.apps.insert(
                client_id.clone(),
                App {
                    config,
                    generation: 0,
                    org_installed: false,
                },
            );
            None
        }
    };
    if new_url.is_some() && new_url != old_url {
        state.emit(&client_id, EventKind::UrlVerification, Value::Null);
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
        // What slack.com answers (see the README, "Unknown methods"): HTTP 200 and the
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

/// The authorize pages. Scripts get the auto-approving redirect; a browser (a request whose
/// `Accept` names `text/html`) gets a consent page with Allow and Cancel, unless the app
/// says `auto_approve` or the URL carries `sim_decision=allow|deny`. The page's form POSTs
/// back here with `decision=allow|deny` and the original query in `query`.
fn authorize_page(state: &mut State, req: &Request<Vec<u8>>, now: u64) -> Response<Vec<u8>> {
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

fn html(status: StatusCode, body: String) -> Response<Vec<u8>> {
    let mut response = Response::new(body.into_bytes());
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
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
