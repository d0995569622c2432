//! [`SimConfig`]: apps, seeds and faults as JSON, for the binary's `--config FILE` and the
//! `POST /_sim/config` admin endpoint.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::{AppConfig, MAX_SECONDS};
use crate::authorize::SimError;
use crate::fault::Fault;
use crate::seed::ExternalTokenSeed;
use crate::state::{Clock, LegacyKind, State};

/// A JSON description of apps to register, tokens to seed and faults to inject.
///
/// Every section is optional; unknown fields are refused so typos surface.
///
/// ```
/// use slack_oauth_sim::{Sim, SimConfig};
/// let config = SimConfig::from_json(r#"{
///   "apps": [{"client_id": "111.222", "client_secret": "app-secret",
///             "redirect_uris": ["http://127.0.0.1:8080/callback"], "token_rotation": true}],
///   "legacy_tokens": [{"client_id": "111.222", "kind": "bot", "token": "xoxb-legacy-1"}],
///   "faults": [{"method": "oauth.v2.access", "fault": {"kind": "rate_limited", "retry_after": 7}}]
/// }"#)?;
/// let seeded = Sim::new().apply_config(&config)?;
/// assert_eq!(seeded.legacy_tokens, ["xoxb-legacy-1"]);
/// # Ok::<(), slack_oauth_sim::SimError>(())
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// Sets the clock (Unix seconds).
    #[serde(default)]
    now: Option<u64>,
    /// `"wall"` or `"simulated"`.
    #[serde(default)]
    clock: Option<String>,
    #[serde(default)]
    apps: Vec<AppFile>,
    #[serde(default)]
    legacy_tokens: Vec<LegacyFile>,
    #[serde(default)]
    config_tokens: Vec<ConfigTokenFile>,
    #[serde(default)]
    external_tokens: Vec<ExternalFile>,
    #[serde(default)]
    workflow_tokens: Vec<WorkflowFile>,
    #[serde(default)]
    faults: Vec<FaultFile>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppFile {
    client_id: String,
    client_secret: String,
    app_id: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    token_rotation: bool,
    #[serde(default)]
    pkce: bool,
    bot_scopes: Option<String>,
    user_scopes: Option<String>,
    team_id: Option<String>,
    team_name: Option<String>,
    enterprise_id: Option<String>,
    enterprise_name: Option<String>,
    #[serde(default)]
    org_install: bool,
    user_id: Option<String>,
    bot_user_id: Option<String>,
    app_name: Option<String>,
    bot_id: Option<String>,
    token_expires_in: Option<u64>,
    event_request_url: Option<String>,
    signing_secret: Option<String>,
    #[serde(default)]
    auto_approve: bool,
}

impl std::fmt::Debug for AppFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppFile")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacyFile {
    client_id: String,
    #[serde(default = "default_kind")]
    kind: String,
    token: Option<String>,
}

fn default_kind() -> String {
    "bot".to_owned()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigTokenFile {
    team_id: String,
    user_id: String,
    token: Option<String>,
    refresh_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExternalFile {
    app_id: String,
    provider_key: String,
    token: Option<String>,
    external_token_id: Option<String>,
    #[serde(default)]
    has_refresh_token: bool,
    expires_in: Option<u64>,
    #[serde(default)]
    exchange_fails: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkflowFile {
    token: Option<String>,
    app_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultFile {
    method: String,
    fault: FaultSpec,
    #[serde(default = "one")]
    count: u64,
}

fn one() -> u64 {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum FaultSpec {
    RateLimited { retry_after: u64 },
    ServerError { status: u16 },
    Delay { ms: u64 },
    TruncatedBody,
    CloseMidBody,
    Oversized { bytes: u64 },
    OversizedChunked { bytes: u64 },
    Warning { warning: String },
    Redirect { location: String },
    Error { error: String },
}

impl From<FaultSpec> for Fault {
    fn from(spec: FaultSpec) -> Fault {
        match spec {
            FaultSpec::RateLimited { retry_after } => Fault::RateLimited { retry_after },
            FaultSpec::ServerError { status } => Fault::ServerError(status),
            FaultSpec::Delay { ms } => Fault::Delay(Duration::from_millis(ms)),
            FaultSpec::TruncatedBody => Fault::TruncatedBody,
            FaultSpec::CloseMidBody => Fault::CloseMidBody,
            FaultSpec::Oversized { bytes } => Fault::Oversized { bytes },
            FaultSpec::OversizedChunked { bytes } => Fault::OversizedChunked { bytes },
            FaultSpec::Warning { warning } => Fault::Warning(warning),
            FaultSpec::Redirect { location } => Fault::Redirect { location },
            FaultSpec::Error { error } => Fault::Error(error),
        }
    }
}

/// What [`Sim::apply_config`](crate::Sim::apply_config) seeded, in the order of the
/// configuration, generated values included.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Seeded {
    /// Client ids of the apps registered.
    pub apps: Vec<String>,
    /// Legacy tokens.
    pub legacy_tokens: Vec<String>,
    /// `(token, refresh_token)` configuration token pairs.
    pub config_tokens: Vec<(String, String)>,
    /// External token ids.
    pub external_tokens: Vec<String>,
    /// Workflow tokens.
    pub workflow_tokens: Vec<String>,
}

impl std::fmt::Debug for Seeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seeded")
            .field("apps", &self.apps)
            .field("legacy_tokens", &self.legacy_tokens.len())
            .field("config_tokens", &self.config_tokens.len())
            .field("external_tokens", &self.external_tokens)
            .field("workflow_tokens", &self.workflow_tokens.len())
            .finish()
    }
}

impl Seeded {
    /// The seeded values as the JSON answer of `POST /_sim/config`.
    pub fn to_json(&self) -> Value {
        json!({
            "ok": true,
            "apps": self.apps,
            "legacy_tokens": self.legacy_tokens,
            "config_tokens": self.config_tokens.iter()
                .map(|(t, r)| json!({"token": t, "refresh_token": r}))
                .collect::<Vec<_>>(),
            "external_tokens": self.external_tokens,
            "workflow_tokens": self.workflow_tokens,
        })
    }
}

impl SimConfig {
    /// Reads a configuration from JSON text.
    pub fn from_json(text: &str) -> Result<SimConfig, SimError> {
        SimConfig::from_json_bytes(text.as_bytes())
    }

    /// Reads a configuration from JSON bytes.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<SimConfig, SimError> {
        serde_json::from_slice(bytes).map_err(|e| {
            // "invalid type: string \"…\"" would echo a value, which may be a secret.
            let message = e.to_string();
            if message.starts_with("invalid") {
                SimError::InvalidConfig(format!(
                    "a value has the wrong type or form at line {} column {}",
                    e.line(),
                    e.column()
                ))
            } else {
                SimError::InvalidConfig(message)
            }
        })
    }

    pub(crate) fn apply_to_state(&self, state: &mut State) -> Result<Seeded, SimError> {
        // Check everything first so that a bad file changes nothing.
        let known =
            |id: &str| state.apps.contains_key(id) || self.apps.iter().any(|a| a.client_id == id);
        if let Some(bad) = self.legacy_tokens.iter().find(|l| !known(&l.client_id)) {
            return Err(SimError::InvalidConfig(format!(
                "legacy token for unregistered client_id {}",
                bad.client_id
            )));
        }
        if let Some(bad) = self.apps.iter().find(|a| a.client_id.is_empty()) {
            return Err(SimError::InvalidConfig(format!(
                "empty client_id (secret given: {})",
                !bad.client_secret.is_empty()
            )));
        }
        for app in &self.apps {
            app.to_app().validate().map_err(SimError::InvalidConfig)?;
        }
        let clock = match &self.clock {
            Some(name) => Some(name.parse::<Clock>().map_err(SimError::InvalidConfig)?),
            None => None,
        };
        if let Some(bad) = self
            .external_tokens
            .iter()
            .find(|e| e.expires_in.is_some_and(|l| l > MAX_SECONDS))
        {
            return Err(SimError::InvalidConfig(format!(
                "external token {}/{}: expires_in over {MAX_SECONDS} seconds",
                bad.app_id, bad.provider_key
            )));
        }
        for fault in &self.faults {
            check_fault(&fault.method, &fault.fault)?;
        }

        let mut seeded = Seeded::default();
        if let Some(clock) = clock {
            state.set_clock(clock);
        }
        if let Some(now) = self.now {
            state.set_now(now);
        }
        for file in &self.apps {
            let app = file.to_app();
            seeded.apps.push(app.client_id.clone());
            crate::state::register(state, app);
        }
        for legacy in &self.legacy_tokens {
            let kind = LegacyKind::from(legacy.kind.as_str());
            seeded.legacy_tokens.push(state.seed_legacy(
                &legacy.client_id,
                kind,
                legacy.token.clone(),
            ));
        }
        for config in &self.config_tokens {
            seeded.config_tokens.push(state.issue_config(
                &config.team_id,
                &config.user_id,
                config.token.clone(),
                config.refresh_token.clone(),
            ));
        }
        for ext in &self.external_tokens {
            seeded
                .external_tokens
                .push(state.seed_external(ExternalTokenSeed {
                    app_id: ext.app_id.clone(),
                    provider_key: ext.provider_key.clone(),
                    token: ext.token.clone().unwrap_or_default(),
                    has_refresh_token: ext.has_refresh_token,
                    external_token_id: ext.external_token_id.clone(),
                    expires_in: ext.expires_in,
                    exchange_fails: ext.exchange_fails,
                }));
        }
        for wf in &self.workflow_tokens {
            seeded
                .workflow_tokens
                .push(state.seed_workflow(wf.app_id.clone(), wf.token.clone()));
        }
        for fault in &self.faults {
            if fault.count > 0 {
                state
                    .faults
                    .entry(fault.method.clone())
                    .or_default()
                    .push_back((fault.fault.clone().into(), fault.count));
            }
        }
        Ok(seeded)
    }
}

impl AppFile {
    fn to_app(&self) -> AppConfig {
        let mut app = AppConfig::new(&self.client_id, &self.client_secret)
            .token_rotation(self.token_rotation)
            .pkce(self.pkce);
        for uri in &self.redirect_uris {
            app = app.redirect_uri(uri);
        }
        if let Some(id) = &self.app_id {
            app = app.app_id(id);
        }
        if let Some(scopes) = &self.bot_scopes {
            app = app.bot_scopes(scopes);
        }
        if let Some(scopes) = &self.user_scopes {
            app = app.user_scopes(scopes);
        }
        if self.team_id.is_some() || self.team_name.is_some() {
            app = app.team(
                self.team_id.as_deref().unwrap_or("T0SIM"),
                self.team_name.as_deref().unwrap_or("Sim Team"),
            );
        }
        if let Some(id) = &self.enterprise_id {
            app = app.enterprise(id, self.enterprise_name.as_deref().unwrap_or("Sim Org"));
        }
        app = app.org_install(self.org_install);
        if let Some(id) = &self.user_id {
            app = app.user_id(id);
        }
        if let Some(id) = &self.bot_user_id {
            app = app.bot_user_id(id);
        }
        if let Some(name) = &self.app_name {
            app = app.app_name(name);
        }
        if let Some(id) = &self.bot_id {
            app = app.bot_id(id);
        }
        if let Some(ttl) = self.token_expires_in {
            app = app.token_expires_in(ttl);
        }
        if let Some(url) = &self.event_request_url {
            app = app.event_request_url(url);
        }
        if let Some(secret) = &self.signing_secret {
            app = app.signing_secret(secret);
        }
        app.auto_approve(self.auto_approve)
    }
}

/// The largest delay a fault may name (ten minutes): longer only hangs a test.
const MAX_DELAY_MS: u64 = 600_000;
/// The largest body an `oversized` fault may generate (1 GiB).
const MAX_OVERSIZED: u64 = 1 << 30;

fn check_fault(method: &str, fault: &FaultSpec) -> Result<(), SimError> {
    let why = match fault {
        FaultSpec::Delay { ms } if *ms > MAX_DELAY_MS => {
            format!("delay of {ms} ms is over {MAX_DELAY_MS} ms")
        }
        FaultSpec::Oversized { bytes } | FaultSpec::OversizedChunked { bytes }
            if *bytes > MAX_OVERSIZED =>
        {
            format!("oversized body of {bytes} bytes is over {MAX_OVERSIZED}")
        }
        FaultSpec::RateLimited { retry_after } if *retry_after > MAX_SECONDS => {
            format!("retry_after of {retry_after} s is over {MAX_SECONDS} s")
        }
        _ => return Ok(()),
    };
    Err(SimError::InvalidConfig(format!(
        "fault for {method}: {why}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_and_fault_kind_parses() {
        let config = SimConfig::from_json(
            r#"{
              "now": 1800000000,
              "apps": [{"client_id": "1.2", "client_secret": "s", "app_id": "A1", "pkce": true,
                        "bot_scopes": "chat:write", "user_scopes": "search:read", "team_id": "T1",
                        "enterprise_id": "E1", "org_install": true, "user_id": "U1", "bot_user_id": "U2"}],
              "legacy_tokens": [{"client_id": "1.2", "kind": "user"}],
              "config_tokens": [{"team_id": "T1", "user_id": "U1", "refresh_token": "xoxe-1-r"}],
              "external_tokens": [{"app_id": "A1", "provider_key": "google", "external_token_id": "Et1"}],
              "workflow_tokens": [{"token": "xwfp-1"}, {"app_id": "A1"}],
              "faults": [
                {"method": "m", "fault": {"kind": "rate_limited", "retry_after": 1}},
                {"method": "m", "fault": {"kind": "server_error", "status": 503}, "count": 2},
                {"method": "m", "fault": {"kind": "delay", "ms": 5}},
                {"method": "m", "fault": {"kind": "truncated_body"}},
                {"method": "m", "fault": {"kind": "close_mid_body"}},
                {"method": "m", "fault": {"kind": "oversized", "bytes": 9}},
                {"method": "m", "fault": {"kind": "oversized_chunked", "bytes": 9}},
                {"method": "m", "fault": {"kind": "warning", "warning": "w"}},
                {"method": "m", "fault": {"kind": "redirect", "location": "http://x/"}},
                {"method": "m", "fault": {"kind": "error", "error": "internal_error"}}
              ]
            }"#,
        )
        .unwrap();
        let mut state = State::new(0, 0);
        let seeded = config.apply_to_state(&mut state).unwrap();
        assert_eq!(state.now, 1_800_000_000);
        assert_eq!(seeded.apps, ["1.2"]);
        assert!(seeded.legacy_tokens[0].starts_with("xoxp-"));
        assert_eq!(seeded.config_tokens[0].1, "xoxe-1-r");
        assert_eq!(seeded.external_tokens, ["Et1"]);
        assert_eq!(seeded.workflow_tokens[0], "xwfp-1");
        assert!(seeded.workflow_tokens[1].starts_with("xwfp-"));
        assert_eq!(state.faults["m"].len(), 10);
        assert_eq!(state.faults["m"][1], (Fault::ServerError(503), 2));
        let app = &state.apps["1.2"].config;
        assert!(app.pkce && app.org_install);
        assert_eq!(app.enterprise.as_ref().unwrap().0, "E1");
    }

    #[test]
    fn bad_configs_are_refused_without_side_effects() {
        for bad in [
            "not json",
            r#"{"apps": [{"client_id": "1"}]}"#,
            r#"{"typo": 1}"#,
            r#"{"faults": [{"method": "m", "fault": {"kind": "nope"}}]}"#,
        ] {
            assert!(SimConfig::from_json(bad).is_err(), "{bad}");
        }
        let config =
            SimConfig::from_json(r#"{"now": 5, "legacy_tokens": [{"client_id": "nobody"}]}"#)
                .unwrap();
        let mut state = State::new(0, 0);
        assert!(config.apply_to_state(&mut state).is_err());
        assert_eq!(state.now, 0);
        assert!(state.tokens.is_empty());
        for leaky in [
            r#"{"apps": [{"client_id": "1", "client_secret": "CANARY", "x": 1}]}"#,
            r#"{"apps": [{"client_id": "1", "client_secret": "s", "token_rotation": "CANARY"}]}"#,
            r#"{"legacy_tokens": [{"client_id": "1", "token": ["CANARY"]}]}"#,
        ] {
            let err = SimConfig::from_json(leaky).unwrap_err();
            assert!(!err.to_string().contains("CANARY"), "{err}");
        }
    }
}
