//! Everything the simulator remembers, and how it mints tokens.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use serde_json::{json, Value};

use crate::app::{AppConfig, MAX_SECONDS};
use crate::events::{Event, EventKind};
use crate::fault::Fault;
use crate::request::Args;
use crate::seed::ExternalTokenSeed;
use crate::stats::Stats;

/// Configuration tokens live this long (and rotating access tokens, unless the app says
/// otherwise).
pub(crate) const TOKEN_TTL: u64 = crate::app::DEFAULT_TOKEN_EXPIRES_IN;
/// Events kept for delivery at most; older ones are dropped (and counted).
pub(crate) const OUTBOX: usize = 10_000;
/// Authorization codes live this long.
pub(crate) const CODE_TTL: u64 = 600;
/// Refresh tokens of PKCE apps live this long.
pub(crate) const PKCE_REFRESH_TTL: u64 = 30 * 86_400;
/// At most this many live access tokens per refresh chain (Slack's "2 active token limit").
pub(crate) const LIVE_TOKENS_PER_CHAIN: usize = 2;
/// Calls remembered per method for [`Sim::calls_with`](crate::Sim::calls_with).
pub(crate) const HISTORY: usize = 10_000;

/// Bot or user: what a token acts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyKind {
    /// A bot token (`xoxb-`).
    Bot,
    /// A user token (`xoxp-`).
    User,
}

impl LegacyKind {
    /// `"bot"` or `"user"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LegacyKind::Bot => "bot",
            LegacyKind::User => "user",
        }
    }
}

impl From<&str> for LegacyKind {
    /// `"user"`, `"xoxp"` and `"xoxp-…"` mean a user token; anything else a bot token.
    fn from(kind: &str) -> LegacyKind {
        let lower = kind.to_ascii_lowercase();
        if lower == "user" || lower.starts_with("xoxp") {
            LegacyKind::User
        } else {
            LegacyKind::Bot
        }
    }
}

impl From<slack_oauth_core::secret::TokenKind> for LegacyKind {
    fn from(kind: slack_oauth_core::secret::TokenKind) -> LegacyKind {
        use slack_oauth_core::secret::TokenKind;
        match kind {
            TokenKind::User | TokenKind::RotatingUser => LegacyKind::User,
            _ => LegacyKind::Bot,
        }
    }
}

/// Where an install landed.
#[derive(Debug, Clone)]
pub(crate) struct Install {
    pub app_id: String,
    pub team: Option<(String, String)>,
    pub enterprise: Option<(String, String)>,
    pub org_wide: bool,
    pub user_id: String,
    pub bot_user_id: String,
}

impl Install {
    pub fn of(app: &AppConfig, org_wide: bool) -> Install {
        Install {
            app_id: app.app_id.clone(),
            team: (!org_wide).then(|| (app.team_id.clone(), app.team_name.clone())),
            enterprise: app.enterprise.clone(),
            org_wide,
            user_id: app.user_id.clone(),
            bot_user_id: app.bot_user_id.clone(),
        }
    }

    /// `team`, `enterprise` and `is_enterprise_install` as Slack writes them.
    pub fn write(&self, out: &mut serde_json::Map<String, Value>) {
        out.insert(
            "team".into(),
            match &self.team {
                Some((id, name)) => json!({"id": id, "name": name}),
                None => Value::Null,
            },
        );
        out.insert(
            "enterprise".into(),
            match &self.enterprise {
                Some((id, name)) => json!({"id": id, "name": name}),
                None => Value::Null,
            },
        );
        out.insert("is_enterprise_install".into(), Value::Bool(self.org_wide));
    }
}

/// What a bearer token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bot,
    User,
    Workflow,
}

impl From<LegacyKind> for Kind {
    fn from(kind: LegacyKind) -> Kind {
        match kind {
            LegacyKind::Bot => Kind::Bot,
            LegacyKind::User => Kind::User,
        }
    }
}

pub(crate) struct App {
    pub config: AppConfig,
    /// Bumped by an uninstall: tokens of an older generation lost their authorization.
    pub generation: u64,
    pub org_installed: bool,
}

pub(crate) struct CodeRec {
    pub client_id: String,
    pub issued_at: u64,
    pub used: bool,
    pub redirect_sent: Option<String>,
    pub redirect_used: String,
    pub challenge: Option<String>,
    pub bot_scopes: Vec<String>,
    pub user_scopes: Vec<String>,
    pub user_flow: bool,
    pub workspace_team: Option<String>,
}

pub(crate) struct TokenRec {
    pub kind: Kind,
    pub client_id: Option<String>,
    pub generation: u64,
    pub rotating: bool,
    pub expires_at: Option<u64>,
    pub revoked: bool,
    pub exchanged: bool,
    pub scope: String,
    pub install: Option<Install>,
    /// A workflow token limited to one app's external tokens.
    pub workflow_app: Option<String>,
    /// The token's user or workspace was deleted (`account_inactive`).
    pub inactive: bool,
}

pub(crate) struct RefreshRec {
    pub kind: Kind,
    pub client_id: String,
    pub generation: u64,
    pub used: bool,
    /// Revoked (`auth.revoke`, `revoke_token`): dead, but never presented twice.
    pub revoked: bool,
    pub scope: String,
    pub install: Install,
    pub public_client: bool,
    pub expires_at: Option<u64>,
    pub chain: u64,
    pub legacy_parent: Option<String>,
}

pub(crate) struct ConfigTokenRec {
    pub expires_at: u64,
    pub team_id: String,
    pub user_id: String,
}

pub(crate) struct ConfigRefreshRec {
    pub used: bool,
    pub revoked: bool,
    pub team_id: String,
    pub user_id: String,
}

pub(crate) struct ExternalRec {
    pub app_id: String,
    pub provider_key: String,
    pub token: String,
    pub has_refresh_token: bool,
    pub lifetime: Option<u64>,
    pub expires_at: Option<u64>,
    pub exchange_fails: bool,
}

/// Where the simulator's time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Clock {
    /// A clock that stands still until advanced (the default; starts at
    /// [`Sim::DEFAULT_START`](crate::Sim::DEFAULT_START)).
    #[default]
    Simulated,
    /// The system clock plus an offset that `advance` adds to: clients reading the system
    /// clock (SDK token rotators, a keeper with its default clock) agree with it.
    Wall,
}

impl Clock {
    /// `"simulated"` or `"wall"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Clock::Simulated => "simulated",
            Clock::Wall => "wall",
        }
    }
}

impl std::str::FromStr for Clock {
    type Err = String;

    /// `sim`, `simulated`, `fixed` or `wall`.
    fn from_str(s: &str) -> Result<Clock, String> {
        match s {
            "sim" | "simulated" | "fixed" => Ok(Clock::Simulated),
            "wall" | "real" => Ok(Clock::Wall),
            other => Err(format!("unknown clock {other:?} (use wall or simulated)")),
        }
    }
}

fn wall_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The simulator's whole memory.
pub(crate) struct State {
    pub now: u64,
    pub clock: Clock,
    /// Wall clock only: seconds added to the system clock.
    pub offset: i128,
    pub stats: Stats,
    /// The access tokens of each refresh chain that may still be live, oldest first.
    pub chains: HashMap<u64, Vec<String>>,
    pub outbox: VecDeque<Event>,
    /// Bumped whenever an event is queued, so the caller knows to wake the sender.
    pub emitted: u64,
    seed: u64,
    counter: u64,
    pub apps: HashMap<String, App>,
    pub codes: HashMap<String, CodeRec>,
    pub tokens: HashMap<String, TokenRec>,
    pub refresh: HashMap<String, RefreshRec>,
    pub config_tokens: HashMap<String, ConfigTokenRec>,
    pub config_refresh: HashMap<String, ConfigRefreshRec>,
    pub external: BTreeMap<String, ExternalRec>,
    /// Provider keys ever seen per app id (deleting tokens does not forget the provider).
    pub providers: HashMap<String, BTreeSet<String>>,
    pub faults: HashMap<String, VecDeque<(Fault, u64)>>,
    pub calls: HashMap<String, u64>,
    pub history: HashMap<String, VecDeque<Args>>,
    pub openid: crate::openid::Provider,
}

impl State {
    pub fn new(now: u64, seed: u64) -> State {
        State {
            now,
            seed,
            counter: 0,
            apps: HashMap::new(),
            codes: HashMap::new(),
            tokens: HashMap::new(),
            refresh: HashMap::new(),
            config_tokens: HashMap::new(),
            config_refresh: HashMap::new(),
            external: BTreeMap::new(),
            providers: HashMap::new(),
            faults: HashMap::new(),
            calls: HashMap::new(),
            history: HashMap::new(),
            clock: Clock::Simulated,
            offset: 0,
            stats: Stats::default(),
            chains: HashMap::new(),
            outbox: VecDeque::new(),
            emitted: 0,
            openid: crate::openid::Provider::default(),
        }
    }

    /// Brings `now` up to the wall clock (wall mode only).
    pub fn tick(&mut self) {
        if self.clock == Clock::Wall {
            let now = wall_seconds() as i128 + self.offset;
            self.now = now.clamp(0, u64::MAX as i128) as u64;
        }
    }

    /// Moves time forward by `secs` (saturating).
    pub fn advance(&mut self, secs: u64) -> u64 {
        match self.clock {
            Clock::Simulated => self.now = self.now.saturating_add(secs),
            Clock::Wall => {
                self.offset = self.offset.saturating_add(secs as i128);
                self.tick();
            }
        }
        self.now
    }

    /// Sets the time (it may go backwards).
    pub fn set_now(&mut self, now: u64) {
        match self.clock {
            Clock::Simulated => self.now = now,
            Clock::Wall => {
                self.offset = now as i128 - wall_seconds() as i128;
                self.tick();
            }
        }
    }

    /// Switches the clock, keeping the current time for a switch to the simulated clock.
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
        if clock == Clock::Wall {
            self.offset = 0;
        }
        self.tick();
    }

    /// Seconds a rotating access token of this app lives.
    pub fn ttl(&self, client_id: &str) -> u64 {
        self.apps
            .get(client_id)
            .map_or(TOKEN_TTL, |a| a.config.token_expires_in)
            .clamp(1, MAX_SECONDS)
    }

    /// Counts one answer of `method` with `outcome`.
    pub fn record_outcome(&mut self, method: &str, outcome: &str) {
        let per_method = match self.stats.methods.get_mut(method) {
            Some(m) => m,
            None => self.stats.methods.entry(method.to_owned()).or_default(),
        };
        match per_method.get_mut(outcome) {
            Some(n) => *n += 1,
            None => {
                per_method.insert(outcome.to_owned(), 1);
            }
        }
    }

    /// Queues an event for the app's request URL, if it has one.
    pub fn emit(&mut self, client_id: &str, kind: EventKind, event: Value) {
        let Some(app) = self.apps.get(client_id) else {
            return;
        };
        let Some(url) = app.config.event_request_url.clone() else {
            return;
        };
        let secret = app.config.signing_secret.clone().unwrap_or_default();
        let token = verification_token(client_id);
        let team_id = match (
            &app.config.enterprise,
            app.org_installed || app.config.org_install,
        ) {
            (Some((enterprise, _)), true) => enterprise.clone(),
            _ => app.config.team_id.clone(),
        };
        let app_id = app.config.app_id.clone();
        let (body, challenge) = if kind == EventKind::UrlVerification {
            let (_, hex) = self.digest_hex("challenge", 40);
            (
                json!({"token": token, "challenge": hex, "type": "url_verification"}),
                Some(hex),
            )
        } else {
            let (_, id) = self.digest_hex("event", 10);
            (
                json!({
                    "token": token,
                    "team_id": team_id,
                    "api_app_id": app_id,
                    "event": event,
                    "type": "event_callback",
                    "event_id": format!("Ev0SIM{}", id.to_ascii_uppercase()),
                    "event_time": self.now,
                }),
                None,
            )
        };
        if self.outbox.len() >= OUTBOX {
            self.outbox.pop_front();
            self.stats.events.dropped += 1;
        }
        self.outbox.push_back(Event {
            kind,
            client_id: client_id.to_owned(),
            url,
            secret,
            body: body.to_string().into_bytes(),
            challenge,
        });
        self.stats.events.queued += 1;
        self.emitted += 1;
    }

    /// Queues `tokens_revoked` for these user ids (oauth: user tokens; bot: bot users).
    fn emit_tokens_revoked(&mut self, client_id: &str, oauth: Vec<String>, bot: Vec<String>) {
        if oauth.is_empty() && bot.is_empty() {
            return;
        }
        let mut tokens = serde_json::Map::new();
        if !oauth.is_empty() {
            tokens.insert("oauth".into(), json!(oauth));
        }
        if !bot.is_empty() {
            tokens.insert("bot".into(), json!(bot));
        }
        self.emit(
            client_id,
            EventKind::TokensRevoked,
            json!({"type": "tokens_revoked", "tokens": tokens}),
        );
    }

    /// The user id a token acts as: `(is_bot, id)`.
    fn token_user(rec: &TokenRec) -> Option<(bool, String)> {
        let install = rec.install.as_ref()?;
        match rec.kind {
            Kind::Bot => Some((true, install.bot_user_id.clone())),
            Kind::User => Some((false, install.user_id.clone())),
            Kind::Workflow => None,
        }
    }

    pub fn next_serial(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn digest_hex(&mut self, label: &str, chars: usize) -> (u64, String) {
        let serial = self.next_serial();
        let mut hash = hmac_sha256::Hash::new();
        hash.update(self.seed.to_le_bytes());
        hash.update(serial.to_le_bytes());
        hash.update(label.as_bytes());
        let digest = hash.finalize();
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push_str(&format!("{byte:02x}"));
        }
        hex.truncate(chars);
        (serial, hex)
    }

    /// A fresh, unguessable-looking, deterministic token: `<prefix><serial>-<hex>`.
    pub fn mint(&mut self, prefix: &str) -> String {
        let (serial, hex) = self.digest_hex(prefix, 48);
        format!("{prefix}{serial}-{hex}")
    }

    /// An authorization code: `<digits>.<digits>.<hex>`.
    pub fn mint_code(&mut self) -> String {
        let (serial, hex) = self.digest_hex("code", 32);
        format!("4724469134.{serial}.{hex}")
    }

    /// An external token id: `Et` + upper-case alphanumerics.
    pub fn mint_external_id(&mut self) -> String {
        let (serial, hex) = self.digest_hex("external", 10);
        format!("Et{serial:02}{}", hex.to_ascii_uppercase())
    }

    /// Issues an access token; returns it.
    #[allow(clippy::too_many_arguments)]
    pub fn issue_access(
        &mut self,
        kind: Kind,
        client_id: &str,
        generation: u64,
        rotating: bool,
        scope: &str,
        install: &Install,
        chain: Option<u64>,
    ) -> String {
        let prefix = match (kind, rotating) {
            (Kind::User, true) => "xoxe.xoxp-1-",
            (Kind::User, false) => "xoxp-",
            (_, true) => "xoxe.xoxb-1-",
            (_, false) => "xoxb-",
        };
        let token = self.mint(prefix);
        let ttl = self.ttl(client_id);
        self.tokens.insert(
            token.clone(),
            TokenRec {
                kind,
                client_id: Some(client_id.to_owned()),
                generation,
                rotating,
                expires_at: rotating.then_some(self.now.saturating_add(ttl)),
                revoked: false,
                exchanged: false,
                scope: scope.to_owned(),
                install: Some(install.clone()),
                workflow_app: None,
                inactive: false,
            },
        );
        if let Some(chain) = chain {
            self.chains.entry(chain).or_default().push(token.clone());
            self.limit_live_tokens(chain);
        }
        token
    }

    /// Revokes the oldest live tokens of a refresh chain beyond the two-token limit.
    ///
    /// Looks only at the chain's own tokens (kept in issue order), and forgets the dead
    /// ones, so that a refresh costs the same on the millionth call as on the first.
    fn limit_live_tokens(&mut self, chain: u64) {
        let now = self.now;
        let Some(members) = self.chains.get_mut(&chain) else {
            return;
        };
        let tokens = &mut self.tokens;
        members.retain(|t| {
            tokens
                .get(t)
                .is_some_and(|r| !r.revoked && r.expires_at.is_none_or(|e| now < e))
        });
        if members.len() <= LIVE_TOKENS_PER_CHAIN {
            return;
        }
        let excess = members.len() - LIVE_TOKENS_PER_CHAIN;
        for token in members.drain(..excess) {
            if let Some(rec) = tokens.get_mut(&token) {
                rec.revoked = true;
            }
        }
    }

    /// Issues a refresh token for a rotating access token.
    #[allow(clippy::too_many_arguments)]
    pub fn issue_refresh(
        &mut self,
        kind: Kind,
        client_id: &str,
        generation: u64,
        scope: &str,
        install: &Install,
        public_client: bool,
        pkce_app: bool,
        chain: u64,
        legacy_parent: Option<String>,
    ) -> String {
        let token = self.mint("xoxe-1-");
        self.refresh.insert(
            token.clone(),
            RefreshRec {
                kind,
                client_id: client_id.to_owned(),
                generation,
                used: false,
                revoked: false,
                scope: scope.to_owned(),
                install: install.clone(),
                public_client,
                expires_at: pkce_app.then_some(self.now.saturating_add(PKCE_REFRESH_TTL)),
                chain,
                legacy_parent,
            },
        );
        token
    }

    /// Issues a configuration token pair.
    pub fn issue_config(
        &mut self,
        team_id: &str,
        user_id: &str,
        token: Option<String>,
        refresh: Option<String>,
    ) -> (String, String) {
        let token = token.unwrap_or_else(|| self.mint("xoxe.xoxp-1-"));
        let refresh = refresh.unwrap_or_else(|| self.mint("xoxe-1-"));
        self.config_tokens.insert(
            token.clone(),
            ConfigTokenRec {
                expires_at: self.now.saturating_add(TOKEN_TTL),
                team_id: team_id.to_owned(),
                user_id: user_id.to_owned(),
            },
        );
        self.config_refresh.insert(
            refresh.clone(),
            ConfigRefreshRec {
                used: false,
                revoked: false,
                team_id: team_id.to_owned(),
                user_id: user_id.to_owned(),
            },
        );
        (token, refresh)
    }

    pub fn take_fault(&mut self, method: &str) -> Option<Fault> {
        let queue = self.faults.get_mut(method)?;
        let (fault, remaining) = queue.front_mut()?;
        let fault = fault.clone();
        *remaining = remaining.saturating_sub(1);
        if *remaining == 0 {
            queue.pop_front();
        }
        Some(fault)
    }

    pub fn record_call(&mut self, method: &str, args: Option<&Args>) {
        *self.calls.entry(method.to_owned()).or_default() += 1;
        let history = self.history.entry(method.to_owned()).or_default();
        if history.len() == HISTORY {
            history.pop_front();
        }
        history.push_back(args.cloned().unwrap_or_default());
    }

    pub fn seed_legacy(
        &mut self,
        client_id: &str,
        kind: LegacyKind,
        token: Option<String>,
    ) -> String {
        let (install, generation) = match self.apps.get(client_id) {
            Some(app) => (
                Install::of(&app.config, app.config.org_install),
                app.generation,
            ),
            None => (Install::of(&AppConfig::new(client_id, ""), false), 0),
        };
        let prefix = match kind {
            LegacyKind::Bot => "xoxb-",
            LegacyKind::User => "xoxp-",
        };
        let token = token.unwrap_or_else(|| self.mint(prefix));
        // Drawn anyway: token strings stay what they were for a given seed.
        self.next_serial();
        let scope = match kind {
            LegacyKind::Bot => "chat:write,commands",
            LegacyKind::User => "search:read",
        };
        self.tokens.insert(
            token.clone(),
            TokenRec {
                kind: kind.into(),
                client_id: Some(client_id.to_owned()),
                generation,
                rotating: false,
                expires_at: None,
                revoked: false,
                exchanged: false,
                scope: scope.to_owned(),
                install: Some(install),
                workflow_app: None,
                inactive: false,
            },
        );
        token
    }

    pub fn seed_external(&mut self, seed: ExternalTokenSeed) -> String {
        let id = match seed.external_token_id {
            Some(id) => id,
            None => self.mint_external_id(),
        };
        let token = if seed.token.is_empty() {
            self.mint("sim-ext-")
        } else {
            seed.token
        };
        self.providers
            .entry(seed.app_id.clone())
            .or_default()
            .insert(seed.provider_key.clone());
        let now = self.now;
        self.external.insert(
            id.clone(),
            ExternalRec {
                app_id: seed.app_id,
                provider_key: seed.provider_key,
                token,
                has_refresh_token: seed.has_refresh_token,
                lifetime: seed.expires_in,
                expires_at: seed.expires_in.map(|l| now.saturating_add(l)),
                exchange_fails: seed.exchange_fails,
            },
        );
        id
    }

    pub fn seed_workflow(&mut self, app_id: Option<String>, token: Option<String>) -> String {
        let token = token.unwrap_or_else(|| self.mint("xwfp-"));
        // Drawn anyway: token strings stay what they were for a given seed.
        self.next_serial();
        self.tokens.insert(
            token.clone(),
            TokenRec {
                kind: Kind::Workflow,
                client_id: None,
                generation: 0,
                rotating: false,
                expires_at: None,
                revoked: false,
                exchanged: false,
                scope: String::new(),
                install: None,
                workflow_app: app_id,
                inactive: false,
            },
        );
        token
    }

    /// Revokes an access, workflow or refresh token; whether it was known. Revoking a live
    /// access token queues `tokens_revoked`.
    pub fn revoke(&mut self, token: &str) -> bool {
        if let Some(rec) = self.tokens.get_mut(token) {
            let was_live = !rec.revoked;
            rec.revoked = true;
            let who = State::token_user(rec);
            let client_id = rec.client_id.clone();
            if let (true, Some((bot, id)), Some(client_id)) = (was_live, who, client_id) {
                let (oauth, bots) = if bot {
                    (vec![], vec![id])
                } else {
                    (vec![id], vec![])
                };
                self.emit_tokens_revoked(&client_id, oauth, bots);
            }
            return true;
        }
        if let Some(rec) = self.refresh.get_mut(token) {
            rec.revoked = true;
            return true;
        }
        if let Some(rec) = self.config_refresh.get_mut(token) {
            rec.revoked = true;
            return true;
        }
        false
    }

    /// Uninstalls an app: existing tokens lose their authorization. Queues
    /// `tokens_revoked` (for the tokens that were live) and `app_uninstalled`.
    pub fn uninstall(&mut self, client_id: &str) -> bool {
        let Some(generation) = self.apps.get(client_id).map(|a| a.generation) else {
            return false;
        };
        let now = self.now;
        let (mut oauth, mut bot) = (BTreeSet::new(), BTreeSet::new());
        for rec in self.tokens.values() {
            let live = rec.client_id.as_deref() == Some(client_id)
                && rec.generation == generation
                && !rec.revoked
                && rec.expires_at.is_none_or(|e| now < e);
            match State::token_user(rec) {
                Some((true, id)) if live => {
                    bot.insert(id);
                }
                Some((false, id)) if live => {
                    oauth.insert(id);
                }
                _ => {}
            }
        }
        if let Some(app) = self.apps.get_mut(client_id) {
            app.generation = app.generation.saturating_add(1);
            app.org_installed = false;
        }
        self.emit_tokens_revoked(
            client_id,
            oauth.into_iter().collect(),
            bot.into_iter().collect(),
        );
        self.emit(
            client_id,
            EventKind::AppUninstalled,
            json!({"type": "app_uninstalled"}),
        );
        true
    }

    /// Whether the app that issued a token still holds the authorization it was issued under.
    pub fn authorized(&self, client_id: &str, generation: u64) -> bool {
        self.apps
            .get(client_id)
            .is_some_and(|app| app.generation == generation)
    }
}

/// The deprecated verification token Slack still puts in every payload: fixed per app.
fn verification_token(client_id: &str) -> String {
    let digest = hmac_sha256::Hash::hash(client_id.as_bytes());
    let mut out = String::from("simverif");
    for byte in &digest[..8] {
        out.push_str(&format!("{byte:02x}"));
    }
    out
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
