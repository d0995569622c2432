//! [`Sim`]: the simulator's state behind a lock, and its public face: the sans-IO handler
//! (answered by [`crate::routing`]), the clock, seeding, faults and what was called.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use http::{Request, Response};
use tokio::sync::Notify;

use crate::app::AppConfig;
use crate::authorize::SimError;
use crate::config::{Seeded, SimConfig};
use crate::events::Event;
use crate::fault::Fault;
use crate::request::Args;
use crate::routing::{answer_marked, route};
use crate::seed::ExternalTokenSeed;
use crate::state::{register, Clock, LegacyKind, State};
use crate::stats::Stats;

/// The demo app's client id (registered by [`Sim::register_demo_app`]).
pub const DEMO_CLIENT_ID: &str = "111.222";
/// The demo app's client secret: a fake, printed by the binaries for test harnesses.
pub const DEMO_CLIENT_SECRET: &str = "app-secret";
/// The demo app's id.
pub const DEMO_APP_ID: &str = "A0SIMDEMO";

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
    /// [`TokenKind`](slack_oauth_core::secret::TokenKind).
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
