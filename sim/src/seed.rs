//! [`ExternalTokenSeed`]: what a test seeds for `apps.auth.external.*`, kept below the state
//! and the config file that both take it.

use std::fmt;

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
