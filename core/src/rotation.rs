//! Token rotation as a decision: use the token you hold, or refresh first with this request;
//! then apply the answer. For installations ([`Installation::decide`]) and app configuration
//! tokens ([`ConfigTokens::decide`]).
//!
//! Nothing here sends a request or keeps a lock. Refresh tokens are single-use, so an app
//! with several workers must let only one of them refresh an installation at a time and
//! store the result atomically; the transports' token keepers do that.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::installation::{
    shown_token_type, split_scopes, Installation, InstallationError, TokenType,
};
use crate::oauth_v2::{AccessRefresh, AccessResponse};
use crate::secret::{AccessToken, ConfigToken, RefreshToken};
use crate::tooling_tokens::{Rotate, RotateResponse};

/// How long before expiry a token is refreshed unless configured otherwise: 2 hours, as in
/// Slack's Python, Node and Java SDKs (a 12-hour token is refreshed after about 10 hours).
///
/// The margin actually used is at most half the token's lifetime, so a margin larger than
/// the lifetime cannot make every fresh token look due for a refresh.
pub const DEFAULT_REFRESH_MARGIN: u64 = 2 * 60 * 60;

/// Unix seconds of `time` (0 before 1970): the `now` every function here takes.
///
/// ```
/// # use std::time::{Duration, UNIX_EPOCH};
/// use slack_oauth_core::unix_seconds;
/// assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_millis(1_500)), 1);
/// // In an app: unix_seconds(SystemTime::now())
/// ```
pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// What to do before calling Slack with an installation's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision<'a> {
    /// The token is good for now: use it.
    Use(&'a AccessToken),
    /// Refresh first: send this `oauth.v2.access` refresh request, then hand the answer to
    /// [`Installation::apply_refresh`] (and store the result before using the new token).
    Refresh(AccessRefresh),
}

/// What to do before calling Slack with an app configuration token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigDecision<'a> {
    /// The configuration token is good for now: use it.
    Use(&'a ConfigToken),
    /// Rotate first: send this `tooling.tokens.rotate` request, then hand the answer to
    /// [`ConfigTokens::apply`].
    Refresh(Rotate),
}

/// Whether a token expiring at `expires_at` should be refreshed at `now`.
///
/// Due from `expires_at - margin` on (inclusive), with the margin capped at half the lifetime
/// when the issue time is known.
fn refresh_due(expires_at: u64, issued_at: Option<u64>, now: u64, margin: u64) -> bool {
    let margin = match issued_at {
        Some(issued) if issued <= expires_at => margin.min((expires_at - issued) / 2),
        _ => margin,
    };
    now >= expires_at.saturating_sub(margin)
}

impl Installation {
    /// Decides, at `now` (Unix seconds), whether the bot or user token can be used as is or
    /// must be refreshed first, refreshing [`DEFAULT_REFRESH_MARGIN`] before expiry.
    ///
    /// Non-expiring tokens are always [`Decision::Use`]. A token within the margin but
    /// without a refresh token is used until it expires; after that it is an
    /// [`InstallationError::Expired`] error.
    ///
    /// ```
    /// use slack_oauth_core::{Api, ClientCredentials, Decision, Installation, TokenType};
    /// # let answer = serde_json::from_str(r#"{"access_token":"xoxe.xoxb-1-A","token_type":"bot",
    /// #   "expires_in":43200,"refresh_token":"xoxe-1-R","team":{"id":"T1"}}"#)?;
    /// let now = 1_700_000_000;
    /// let mut installation = Installation::from_access(answer, now)?;
    ///
    /// assert!(matches!(installation.decide(TokenType::Bot, now + 60)?, Decision::Use(_)));
    /// // Ten hours later, within two hours of expiry:
    /// let later = now + 10 * 3600;
    /// let Decision::Refresh(refresh) = installation.decide(TokenType::Bot, later)? else { panic!() };
    /// let api = Api::new().with_credentials(ClientCredentials::new("1.2", "secret"));
    /// let request = api.request(&refresh)?;
    /// assert_eq!(request.body(), b"grant_type=refresh_token&refresh_token=xoxe-1-R");
    ///
    /// // ... send it, parse the answer, apply it:
    /// let answer = serde_json::from_str(r#"{"access_token":"xoxe.xoxb-1-B","token_type":"bot",
    ///     "expires_in":43200,"refresh_token":"xoxe-1-S","team":{"id":"T1"}}"#)?;
    /// installation.apply_refresh(TokenType::Bot, &answer, later)?;
    /// assert_eq!(installation.bot.as_ref().unwrap().expires_at, Some(later + 43200));
    /// assert!(matches!(installation.decide(TokenType::Bot, later)?, Decision::Use(t) if t.expose() == "xoxe.xoxb-1-B"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide(
        &self,
        token_type: TokenType,
        now: u64,
    ) -> Result<Decision<'_>, InstallationError> {
        self.decide_with_margin(token_type, now, DEFAULT_REFRESH_MARGIN)
    }

    /// [`Installation::decide`] with a refresh margin of `margin` seconds before expiry
    /// (capped at half the token's lifetime).
    pub fn decide_with_margin(
        &self,
        token_type: TokenType,
        now: u64,
        margin: u64,
    ) -> Result<Decision<'_>, InstallationError> {
        let set = self
            .token(token_type)
            .ok_or(InstallationError::MissingToken(token_type))?;
        let Some(expires_at) = set.expires_at else {
            return Ok(Decision::Use(&set.token));
        };
        if !refresh_due(expires_at, set.issued_at, now, margin) {
            return Ok(Decision::Use(&set.token));
        }
        match &set.refresh_token {
            Some(refresh) => Ok(Decision::Refresh(AccessRefresh::new(refresh.clone()))),
            None if now >= expires_at => Err(InstallationError::Expired {
                token_type,
                expires_at,
            }),
            None => Ok(Decision::Use(&set.token)),
        }
    }

    /// Installs the answer to a refresh of the `token_type` token, received at `now`: the new
    /// token, refresh token, expiry (`now + expires_in`) and, when present, scopes and bot user id.
    ///
    /// Refused, leaving the installation unchanged, when `token_type` in the answer is not the
    /// one refreshed, the answer lacks `access_token`, `refresh_token` or `expires_in`, the
    /// installation has no such token, or the answer names another app, team or enterprise.
    /// Bot and user tokens rotate independently: the other token is never touched.
    pub fn apply_refresh(
        &mut self,
        token_type: TokenType,
        response: &AccessResponse,
        now: u64,
    ) -> Result<(), InstallationError> {
        let found = response.token_type.as_deref();
        if found != Some(token_type.as_str()) {
            return Err(InstallationError::WrongTokenType {
                expected: token_type,
                found: shown_token_type(found),
            });
        }
        let token = response
            .access_token
            .as_ref()
            .ok_or(InstallationError::MissingField {
                field: "access_token",
            })?;
        let refresh_token =
            response
                .refresh_token
                .as_ref()
                .ok_or(InstallationError::MissingField {
                    field: "refresh_token",
                })?;
        let expires_in = response.expires_in.ok_or(InstallationError::MissingField {
            field: "expires_in",
        })?;
        self.check_same_owner(response)?;
        let Some(set) = self.token_mut(token_type) else {
            return Err(InstallationError::MissingToken(token_type));
        };
        set.token = token.clone();
        set.refresh_token = Some(refresh_token.clone());
        set.expires_at = Some(now.saturating_add(expires_in));
        set.issued_at = Some(now);
        let scopes = split_scopes(response.scope.as_deref());
        if !scopes.is_empty() {
            set.scopes = scopes;
        }
        if token_type == TokenType::Bot {
            if let Some(bot_user_id) = &response.bot_user_id {
                set.user_id = Some(bot_user_id.clone());
            }
        }
        Ok(())
    }

    /// Builds an installation from the answer to `oauth.v2.exchange` (migrating a long-lived
    /// token to rotation) received at `now`. The token may be top-level or, for a user token,
    /// under `authed_user`; it must come with `refresh_token` and `expires_in`.
    ///
    /// ```
    /// use slack_oauth_core::{Installation, TokenType};
    /// let answer = serde_json::from_str(r#"{"access_token":"xoxe.xoxb-1-NEW","expires_in":43200,
    ///     "refresh_token":"xoxe-1-R","token_type":"bot","scope":"commands","bot_user_id":"UB",
    ///     "app_id":"A1","team":{"name":"Team","id":"T1"},"enterprise":null}"#)?;
    /// let installation = Installation::from_exchange(answer, 1_700_000_000)?;
    /// assert!(installation.token(TokenType::Bot).unwrap().refresh_token.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_exchange(
        response: AccessResponse,
        now: u64,
    ) -> Result<Installation, InstallationError> {
        let token_type = exchanged_type(&response)?;
        let mut installation = Installation::from_access(response, now)?;
        // The exchange converts one token; anything else in the answer is not what was asked.
        let set =
            installation
                .token_mut(token_type)
                .take()
                .ok_or(InstallationError::MissingField {
                    field: "access_token",
                })?;
        check_rotating(&set)?;
        installation.bot = None;
        installation.user = None;
        *installation.token_mut(token_type) = Some(set);
        Ok(installation)
    }

    /// Puts the token from an `oauth.v2.exchange` answer (received at `now`) into this
    /// installation, replacing its long-lived bot or user token (per `token_type`), and says
    /// which one. Use it to migrate an installation that holds both a bot and a user token,
    /// one exchange at a time. Refused, leaving the installation unchanged, when the answer
    /// is for another app, team or enterprise or lacks rotation.
    pub fn apply_exchange(
        &mut self,
        response: &AccessResponse,
        now: u64,
    ) -> Result<TokenType, InstallationError> {
        let fresh = Installation::from_exchange(response.clone(), now)?;
        self.check_same_owner(response)?;
        let token_type = exchanged_type(response)?;
        let mut set = fresh
            .token(token_type)
            .cloned()
            .ok_or(InstallationError::NoToken)?;
        // The exchange answer may omit what the installation already knows.
        if let Some(old) = self.token(token_type) {
            if set.user_id.is_none() {
                set.user_id.clone_from(&old.user_id);
            }
            if set.scopes.is_empty() {
                set.scopes.clone_from(&old.scopes);
            }
        }
        *self.token_mut(token_type) = Some(set);
        Ok(token_type)
    }

    fn check_same_owner(&self, response: &AccessResponse) -> Result<(), InstallationError> {
        fn differs(mine: Option<&str>, theirs: Option<&str>) -> bool {
            matches!((mine, theirs), (Some(a), Some(b)) if a != b)
        }
        if differs(self.app_id.as_deref(), response.app_id.as_deref()) {
            return Err(InstallationError::Mismatch { field: "app_id" });
        }
        if differs(
            self.team_id.as_deref(),
            response.team.as_ref().map(|t| t.id.as_str()),
        ) {
            return Err(InstallationError::Mismatch { field: "team" });
        }
        if differs(
            self.enterprise_id.as_deref(),
            response.enterprise.as_ref().map(|e| e.id.as_str()),
        ) {
            return Err(InstallationError::Mismatch {
                field: "enterprise",
            });
        }
        Ok(())
    }
}

fn exchanged_type(response: &AccessResponse) -> Result<TokenType, InstallationError> {
    let found = response.token_type.as_deref();
    found
        .and_then(TokenType::parse)
        .ok_or_else(|| InstallationError::UnknownTokenType {
            found: shown_token_type(found),
        })
}

fn check_rotating(set: &crate::installation::TokenSet) -> Result<(), InstallationError> {
    if set.refresh_token.is_none() {
        return Err(InstallationError::MissingField {
            field: "refresh_token",
        });
    }
    if set.expires_at.is_none() {
        return Err(InstallationError::MissingField {
            field: "expires_in",
        });
    }
    Ok(())
}

/// An app configuration token and its refresh token: the JSON object `tooling.tokens.rotate`
/// returns (without `ok`), which is also how it is stored.
///
/// Config tokens expire 12 hours after they are issued; [`ConfigTokens::decide`] says when to
/// rotate. Like [`Installation`], serde writes the tokens in clear (store the JSON as a
/// secret) and `Debug` hides them.
///
/// ```
/// use slack_oauth_core::{ConfigDecision, ConfigTokens, tooling_tokens::RotateResponse};
///
/// // First run: the pair copied from the app settings page; its expiry is unknown.
/// let mut tokens = ConfigTokens::new("xoxe.xoxp-1-FIRST", "xoxe-1-FIRST");
/// let now = 1_700_000_000;
/// let ConfigDecision::Refresh(rotate) = tokens.decide(now) else { panic!() };
///
/// // ... send `rotate`, parse the answer, apply it:
/// let answer: RotateResponse = serde_json::from_str(r#"{"token":"xoxe.xoxp-1-NEXT",
///     "refresh_token":"xoxe-1-NEXT","team_id":"T1","user_id":"U1","iat":1700000000,"exp":1700043200}"#)?;
/// tokens.apply(answer)?;
/// assert!(matches!(tokens.decide(now), ConfigDecision::Use(t) if t.expose() == "xoxe.xoxp-1-NEXT"));
/// assert!(matches!(tokens.decide(now + 10 * 3600), ConfigDecision::Refresh(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConfigTokens {
    /// The configuration token (`xoxe.xoxp-…`).
    pub token: ConfigToken,
    /// The single-use refresh token for the next rotation.
    pub refresh_token: RefreshToken,
    /// The workspace the token belongs to (empty until the first rotation if unknown).
    #[serde(default)]
    pub team_id: String,
    /// The user the token belongs to (empty until the first rotation if unknown).
    #[serde(default)]
    pub user_id: String,
    /// Issued at (Unix seconds); 0 when unknown.
    #[serde(default)]
    pub iat: u64,
    /// Expires at (Unix seconds); 0 when unknown, which makes the next decision a rotation.
    #[serde(default)]
    pub exp: u64,
}

impl ConfigTokens {
    /// A pair whose expiry is unknown, such as one copied from the app settings page: the
    /// first [`ConfigTokens::decide`] asks for a rotation, which fills in the rest.
    pub fn new(
        token: impl Into<ConfigToken>,
        refresh_token: impl Into<RefreshToken>,
    ) -> ConfigTokens {
        ConfigTokens {
            token: token.into(),
            refresh_token: refresh_token.into(),
            team_id: String::new(),
            user_id: String::new(),
            iat: 0,
            exp: 0,
        }
    }

    /// Whether the configuration token has expired at `now` (Unix seconds).
    pub fn is_expired(&self, now: u64) -> bool {
        now >= self.exp
    }

    /// Decides at `now` whether to use the configuration token or rotate it first,
    /// [`DEFAULT_REFRESH_MARGIN`] before expiry.
    pub fn decide(&self, now: u64) -> ConfigDecision<'_> {
        self.decide_with_margin(now, DEFAULT_REFRESH_MARGIN)
    }

    /// [`ConfigTokens::decide`] with a margin of `margin` seconds before expiry (capped at
    /// half the token's lifetime).
    pub fn decide_with_margin(&self, now: u64, margin: u64) -> ConfigDecision<'_> {
        let issued = (self.iat != 0).then_some(self.iat);
        if refresh_due(self.exp, issued, now, margin) {
            ConfigDecision::Refresh(Rotate::new(self.refresh_token.clone()))
        } else {
            ConfigDecision::Use(&self.token)
        }
    }

    /// Installs a `tooling.tokens.rotate` answer. Refused, leaving the pair unchanged, when
    /// it is for another team or user than the one held (when those are known).
    pub fn apply(&mut self, response: RotateResponse) -> Result<(), InstallationError> {
        if !self.team_id.is_empty() && self.team_id != response.team_id {
            return Err(InstallationError::Mismatch { field: "team_id" });
        }
        if !self.user_id.is_empty() && self.user_id != response.user_id {
            return Err(InstallationError::Mismatch { field: "user_id" });
        }
        *self = ConfigTokens::from(response);
        Ok(())
    }
}

impl From<RotateResponse> for ConfigTokens {
    fn from(response: RotateResponse) -> ConfigTokens {
        let RotateResponse {
            token,
            refresh_token,
            team_id,
            user_id,
            iat,
            exp,
            ..
        } = response;
        ConfigTokens {
            token,
            refresh_token,
            team_id,
            user_id,
            iat,
            exp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::TestResult;

    const NOW: u64 = 1_700_000_000;
    /// A rotating token's lifetime: 12 hours (`expires_in: 43200`).
    const TOKEN_LIFETIME: u64 = 43_200;

    fn answer(json: &str) -> AccessResponse {
        serde_json::from_str(json).unwrap()
    }

    fn rotating() -> Installation {
        Installation::from_access(
            answer(
                r#"{"app_id":"A1","access_token":"xoxe.xoxb-1-BOT1","token_type":"bot","scope":"chat:write",
                "bot_user_id":"UB","expires_in":43200,"refresh_token":"xoxe-1-BOTR1","team":{"id":"T1"},
                "enterprise":null,"authed_user":{"id":"U1","scope":"search:read","access_token":"xoxe.xoxp-1-USER1",
                "token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-USERR1"}}"#,
            ),
            NOW,
        )
        .unwrap()
    }

    fn refresh_body(d: Decision<'_>) -> String {
        match d {
            Decision::Refresh(access) => {
                let api =
                    crate::Api::new().with_credentials(crate::ClientCredentials::new("1.2", "s"));
                String::from_utf8(api.request(&access).unwrap().into_body()).unwrap()
            }
            Decision::Use(t) => panic!("expected a refresh, got Use({t:?})"),
        }
    }

    #[test]
    fn boundary_at_expiry_minus_margin() {
        let i = rotating();
        let expires_at = NOW + TOKEN_LIFETIME;
        let edge = expires_at - DEFAULT_REFRESH_MARGIN;
        assert!(matches!(
            i.decide(TokenType::Bot, edge - 1).unwrap(),
            Decision::Use(t) if t.expose() == "xoxe.xoxb-1-BOT1"
        ));
        assert_eq!(
            refresh_body(i.decide(TokenType::Bot, edge).unwrap()),
            "grant_type=refresh_token&refresh_token=xoxe-1-BOTR1"
        );
        assert_eq!(
            refresh_body(i.decide(TokenType::User, edge).unwrap()),
            "grant_type=refresh_token&refresh_token=xoxe-1-USERR1"
        );
        // Long past expiry, a refresh is still the answer while a refresh token is held.
        assert!(matches!(
            i.decide(TokenType::Bot, expires_at + 1_000_000).unwrap(),
            Decision::Refresh(_)
        ));
        // A custom margin moves the edge.
        assert!(matches!(
            i.decide_with_margin(TokenType::Bot, expires_at - 61, 60)
                .unwrap(),
            Decision::Use(_)
        ));
        assert!(matches!(
            i.decide_with_margin(TokenType::Bot, expires_at - 60, 60)
                .unwrap(),
            Decision::Refresh(_)
        ));
        assert!(matches!(
            i.decide_with_margin(TokenType::Bot, expires_at - 1, 0)
                .unwrap(),
            Decision::Use(_)
        ));
        assert!(matches!(
            i.decide_with_margin(TokenType::Bot, expires_at, 0).unwrap(),
            Decision::Refresh(_)
        ));
    }

    #[test]
    fn margin_larger_than_lifetime_is_capped_at_half() {
        let i = rotating();
        let half = NOW + TOKEN_LIFETIME / 2;
        // A 13-hour margin on a 12-hour token would refresh forever; half the lifetime is used.
        assert!(matches!(
            i.decide_with_margin(TokenType::Bot, half - 1, 13 * 3600)
                .unwrap(),
            Decision::Use(_)
        ));
        assert!(matches!(
            i.decide_with_margin(TokenType::Bot, half, 13 * 3600)
                .unwrap(),
            Decision::Refresh(_)
        ));
        assert!(matches!(
            i.decide_with_margin(TokenType::Bot, NOW, u64::MAX).unwrap(),
            Decision::Use(_)
        ));
        // Without a known issue time the margin applies as given.
        let mut i = i;
        i.bot.as_mut().unwrap().issued_at = None;
        assert!(matches!(
            i.decide_with_margin(TokenType::Bot, NOW, 13 * 3600)
                .unwrap(),
            Decision::Refresh(_)
        ));
    }

    #[test]
    fn non_expiring_and_missing_tokens() {
        let i = Installation::from_access(
            answer(r#"{"access_token":"xoxb-1","token_type":"bot","team":{"id":"T1"}}"#),
            NOW,
        )
        .unwrap();
        for now in [0, NOW, u64::MAX] {
            assert!(matches!(
                i.decide(TokenType::Bot, now).unwrap(),
                Decision::Use(t) if t.expose() == "xoxb-1"
            ));
        }
        assert_eq!(
            i.decide(TokenType::User, NOW).unwrap_err(),
            InstallationError::MissingToken(TokenType::User)
        );
    }

    #[test]
    fn expired_without_refresh_token() {
        let mut i = rotating();
        i.bot.as_mut().unwrap().refresh_token = None;
        let expires_at = NOW + TOKEN_LIFETIME;
        // Inside the margin but still valid: use it while it lasts.
        assert!(matches!(
            i.decide(TokenType::Bot, expires_at - 1).unwrap(),
            Decision::Use(_)
        ));
        assert_eq!(
            i.decide(TokenType::Bot, expires_at).unwrap_err(),
            InstallationError::Expired {
                token_type: TokenType::Bot,
                expires_at
            }
        );
        // The user token is unaffected.
        assert!(matches!(
            i.decide(TokenType::User, expires_at).unwrap(),
            Decision::Refresh(_)
        ));
    }

    const USER_REFRESH: &str = r#"{"ok":true,"app_id":"A1","access_token":"xoxe.xoxp-1-USER2","token_type":"user",
        "scope":"search:read,users:read","expires_in":43200,"refresh_token":"xoxe-1-USERR2",
        "team":{"id":"T1","name":"Example Team"},"enterprise":null,"is_enterprise_install":false}"#;

    #[test]
    fn apply_user_refresh_leaves_bot_alone() {
        let mut i = rotating();
        let bot_before = i.bot.clone();
        let later = NOW + 11 * 3600;
        i.apply_refresh(TokenType::User, &answer(USER_REFRESH), later)
            .unwrap();
        assert_eq!(i.bot, bot_before);
        let user = i.user.as_ref().unwrap();
        assert_eq!(user.token.expose(), "xoxe.xoxp-1-USER2");
        assert_eq!(
            user.refresh_token.as_ref().unwrap().expose(),
            "xoxe-1-USERR2"
        );
        assert_eq!(user.expires_at, Some(later + TOKEN_LIFETIME));
        assert_eq!(user.issued_at, Some(later));
        assert_eq!(user.scopes, ["search:read", "users:read"]);
        assert_eq!(user.user_id.as_deref(), Some("U1"));
        assert!(matches!(
            i.decide(TokenType::User, later).unwrap(),
            Decision::Use(_)
        ));
    }

    #[test]
    fn apply_with_wrong_token_type_changes_nothing() {
        let mut i = rotating();
        let before = i.clone();
        assert_eq!(
            i.apply_refresh(TokenType::Bot, &answer(USER_REFRESH), NOW),
            Err(InstallationError::WrongTokenType {
                expected: TokenType::Bot,
                found: Some("user".into())
            })
        );
        let untyped =
            answer(r#"{"access_token":"xoxe.xoxb-1-X","expires_in":1,"refresh_token":"r"}"#);
        assert_eq!(
            i.apply_refresh(TokenType::Bot, &untyped, NOW),
            Err(InstallationError::WrongTokenType {
                expected: TokenType::Bot,
                found: None
            })
        );
        assert_eq!(i, before);
    }

    #[test]
    fn apply_refuses_incomplete_or_foreign_answers() {
        let mut i = rotating();
        let before = i.clone();
        for (json, err) in [
            (
                r#"{"token_type":"bot","expires_in":1,"refresh_token":"r"}"#,
                InstallationError::MissingField {
                    field: "access_token",
                },
            ),
            (
                r#"{"token_type":"bot","access_token":"a","expires_in":1}"#,
                InstallationError::MissingField {
                    field: "refresh_token",
                },
            ),
            (
                r#"{"token_type":"bot","access_token":"a","refresh_token":"r"}"#,
                InstallationError::MissingField {
                    field: "expires_in",
                },
            ),
            (
                r#"{"token_type":"bot","access_token":"a","refresh_token":"r","expires_in":1,"team":{"id":"T2"}}"#,
                InstallationError::Mismatch { field: "team" },
            ),
            (
                r#"{"token_type":"bot","access_token":"a","refresh_token":"r","expires_in":1,"app_id":"A2"}"#,
                InstallationError::Mismatch { field: "app_id" },
            ),
            (
                r#"{"token_type":"bot","access_token":"a","refresh_token":"r","expires_in":1,"enterprise":{"id":"E9"}}"#,
                InstallationError::Mismatch {
                    field: "enterprise",
                },
            ),
        ] {
            // Enterprise mismatch only counts when the installation knows its enterprise.
            if json.contains("E9") {
                i.enterprise_id = Some("E1".into());
            }
            assert_eq!(
                i.apply_refresh(TokenType::Bot, &answer(json), NOW),
                Err(err),
                "{json}"
            );
        }
        i.enterprise_id = None;
        assert_eq!(i, before);

        let mut bot_only = Installation::from_access(
            answer(r#"{"access_token":"xoxb-1","token_type":"bot","team":{"id":"T1"}}"#),
            NOW,
        )
        .unwrap();
        assert_eq!(
            bot_only.apply_refresh(TokenType::User, &answer(USER_REFRESH), NOW),
            Err(InstallationError::MissingToken(TokenType::User))
        );
    }

    #[test]
    fn apply_bot_refresh_updates_bot_user_id_and_keeps_scopes() {
        let mut i = rotating();
        i.apply_refresh(
            TokenType::Bot,
            &answer(r#"{"token_type":"bot","access_token":"xoxe.xoxb-1-BOT2","refresh_token":"xoxe-1-BOTR2",
                "expires_in":100,"bot_user_id":"UB2","team":{"id":"T1"}}"#),
            NOW + 5,
        )
        .unwrap();
        let bot = i.bot.as_ref().unwrap();
        assert_eq!(bot.user_id.as_deref(), Some("UB2"));
        assert_eq!(
            bot.scopes,
            ["chat:write"],
            "no scope in the answer keeps the old ones"
        );
        assert_eq!(bot.expires_at, Some(NOW + 105));
        assert_eq!(i.user.as_ref().unwrap().token.expose(), "xoxe.xoxp-1-USER1");
    }

    #[test]
    fn exchange_migrations() {
        // The bot example of https://api.slack.com/methods/oauth.v2.exchange (fake values).
        let bot = Installation::from_exchange(
            answer(r#"{"ok":true,"access_token":"xoxe.xoxb-1-FAKEEXCHANGED","expires_in":43200,"refresh_token":"xoxe-1-FAKEREFRESH",
             "token_type":"bot","scope":"commands,incoming-webhook","bot_user_id":"U0FAKEBOT","app_id":"A0FAKEAPP1",
             "team":{"name":"Example Team","id":"T0FAKETEAM"},"enterprise":null,"is_enterprise_install":false}"#),
            NOW,
        )
        .unwrap();
        assert_eq!(bot.key(), "T0FAKETEAM");
        assert!(bot.user.is_none());
        assert_eq!(
            bot.bot.as_ref().unwrap().expires_at,
            Some(NOW + TOKEN_LIFETIME)
        );

        // A user token top-level, or under authed_user.
        for json in [
            r#"{"access_token":"xoxe.xoxp-1-U","token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-R",
               "authed_user":{"id":"U1"},"team":{"id":"T1"}}"#,
            r#"{"token_type":"user","team":{"id":"T1"},"authed_user":{"id":"U1","access_token":"xoxe.xoxp-1-U",
               "token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-R"}}"#,
        ] {
            let i = Installation::from_exchange(answer(json), NOW).unwrap();
            assert!(i.bot.is_none());
            let user = i.user.as_ref().unwrap();
            assert_eq!(user.token.expose(), "xoxe.xoxp-1-U");
            assert_eq!(user.expires_at, Some(NOW + TOKEN_LIFETIME));
            assert_eq!(i.key(), "T1:U1");
        }

        assert_eq!(
            Installation::from_exchange(
                answer(r#"{"access_token":"xoxb-1","token_type":"bot","team":{"id":"T1"}}"#),
                NOW
            ),
            Err(InstallationError::MissingField {
                field: "refresh_token"
            })
        );
        assert_eq!(
            Installation::from_exchange(
                answer(r#"{"access_token":"x","refresh_token":"r","team":{"id":"T1"}}"#),
                NOW
            ),
            Err(InstallationError::UnknownTokenType { found: None })
        );
        assert_eq!(
            Installation::from_exchange(
                answer(r#"{"token_type":"user","team":{"id":"T1"},"authed_user":{"id":"U1"}}"#),
                NOW
            ),
            Err(InstallationError::NoToken)
        );
    }

    #[test]
    fn apply_exchange_migrates_one_token_of_an_installation() {
        let mut legacy = Installation::from_access(
            answer(
                r#"{"app_id":"A1","access_token":"xoxb-OLD","token_type":"bot","team":{"id":"T1"},
                "authed_user":{"id":"U1","access_token":"xoxp-OLD","token_type":"user"}}"#,
            ),
            NOW,
        )
        .unwrap();
        let which = legacy
            .apply_exchange(
                &answer(r#"{"app_id":"A1","access_token":"xoxe.xoxp-1-NEW","token_type":"user","expires_in":43200,
                    "refresh_token":"xoxe-1-R","team":{"id":"T1"}}"#),
                NOW + 1,
            )
            .unwrap();
        assert_eq!(which, TokenType::User);
        assert_eq!(
            legacy.user.as_ref().unwrap().token.expose(),
            "xoxe.xoxp-1-NEW"
        );
        assert_eq!(legacy.user.as_ref().unwrap().user_id.as_deref(), Some("U1"));
        assert_eq!(legacy.bot.as_ref().unwrap().token.expose(), "xoxb-OLD");
        assert_eq!(
            legacy.apply_exchange(
                &answer(
                    r#"{"access_token":"xoxe.xoxb-1-N","token_type":"bot","expires_in":1,
                    "refresh_token":"r","team":{"id":"T2"}}"#
                ),
                NOW
            ),
            Err(InstallationError::Mismatch { field: "team" })
        );
        assert_eq!(legacy.bot.as_ref().unwrap().token.expose(), "xoxb-OLD");
    }

    #[test]
    fn config_tokens() {
        let json = r#"{"ok":true,"token":"xoxe.xoxp-1-FAKECONFIG","refresh_token":"xoxe-1-FAKECONFIGREFRESH",
            "team_id":"T0FAKETEAM","user_id":"U0FAKEUSER","iat":1700000000,"exp":1700043200}"#;
        let response: RotateResponse = serde_json::from_str(json).unwrap();
        let mut tokens = ConfigTokens::from(response.clone());
        // The stored form is the same object (minus `ok`).
        let stored: ConfigTokens = serde_json::from_str(json).unwrap();
        assert_eq!(stored, tokens);
        let round: ConfigTokens =
            serde_json::from_str(&serde_json::to_string(&tokens).unwrap()).unwrap();
        assert_eq!(round, tokens);
        assert!(!format!("{tokens:?}").contains("FAKECONFIG"));

        let edge = 1_700_043_200 - DEFAULT_REFRESH_MARGIN;
        assert!(matches!(tokens.decide(edge - 1), ConfigDecision::Use(_)));
        let ConfigDecision::Refresh(rotate) = tokens.decide(edge) else {
            panic!("expected a rotation")
        };
        let body = crate::Api::new().request(&rotate).unwrap().into_body();
        assert_eq!(body, b"refresh_token=xoxe-1-FAKECONFIGREFRESH");
        assert!(!tokens.is_expired(1_700_043_199));
        assert!(tokens.is_expired(1_700_043_200));
        // Margin beyond the lifetime: half of 12 h.
        assert!(matches!(
            tokens.decide_with_margin(1_700_021_599, 86_400),
            ConfigDecision::Use(_)
        ));
        assert!(matches!(
            tokens.decide_with_margin(1_700_021_600, 86_400),
            ConfigDecision::Refresh(_)
        ));

        let next: RotateResponse = serde_json::from_str(
            r#"{"token":"xoxe.xoxp-1-NEXT","refresh_token":"xoxe-1-NEXT","team_id":"T0FAKETEAM",
            "user_id":"U0FAKEUSER","iat":1700040000,"exp":1700083200}"#,
        )
        .unwrap();
        tokens.apply(next).unwrap();
        assert_eq!(tokens.token.expose(), "xoxe.xoxp-1-NEXT");
        assert_eq!(tokens.exp, 1_700_083_200);

        let before = tokens.clone();
        let foreign: RotateResponse = serde_json::from_str(
            r#"{"token":"t","refresh_token":"r","team_id":"T9","user_id":"U0FAKEUSER","iat":1,"exp":2}"#,
        )
        .unwrap();
        assert_eq!(
            tokens.apply(foreign),
            Err(InstallationError::Mismatch { field: "team_id" })
        );
        let foreign: RotateResponse = serde_json::from_str(
            r#"{"token":"t","refresh_token":"r","team_id":"T0FAKETEAM","user_id":"U9","iat":1,"exp":2}"#,
        )
        .unwrap();
        assert_eq!(
            tokens.apply(foreign),
            Err(InstallationError::Mismatch { field: "user_id" })
        );
        assert_eq!(tokens, before);
    }

    #[test]
    fn config_tokens_from_the_settings_page() {
        let mut tokens = ConfigTokens::new("xoxe.xoxp-1-A", "xoxe-1-A");
        assert!(matches!(tokens.decide(0), ConfigDecision::Refresh(_)));
        assert!(matches!(tokens.decide(NOW), ConfigDecision::Refresh(_)));
        let next: RotateResponse = serde_json::from_str(
            r#"{"token":"xoxe.xoxp-1-B","refresh_token":"xoxe-1-B","team_id":"T1","user_id":"U1","iat":1700000000,"exp":1700043200}"#,
        )
        .unwrap();
        tokens.apply(next).unwrap();
        assert_eq!(
            (tokens.team_id.as_str(), tokens.user_id.as_str()),
            ("T1", "U1")
        );
        // A pair stored without ids or times still reads.
        let minimal: ConfigTokens =
            serde_json::from_str(r#"{"token":"xoxe.xoxp-1-C","refresh_token":"xoxe-1-C"}"#)
                .unwrap();
        assert_eq!(minimal, ConfigTokens::new("xoxe.xoxp-1-C", "xoxe-1-C"));
    }

    #[test]
    fn unix_time() {
        assert_eq!(unix_seconds(UNIX_EPOCH), 0);
        assert_eq!(
            unix_seconds(UNIX_EPOCH - std::time::Duration::from_secs(5)),
            0
        );
        assert_eq!(
            unix_seconds(UNIX_EPOCH + std::time::Duration::from_secs(NOW)),
            NOW
        );
    }

    quickcheck::quickcheck! {
        /// For any lifetime, margin and time, the decision is Refresh exactly from
        /// `expires_at - min(margin, lifetime / 2)` on.
        fn decision_edge(lifetime: u32, margin: u32, offset: u32) -> TestResult {
            let lifetime = u64::from(lifetime);
            let mut i = rotating();
            let bot = i.bot.as_mut().unwrap();
            bot.issued_at = Some(NOW);
            bot.expires_at = Some(NOW + lifetime);
            let margin = u64::from(margin);
            let edge = NOW + lifetime - margin.min(lifetime / 2);
            let now = NOW + u64::from(offset);
            let refresh = matches!(i.decide_with_margin(TokenType::Bot, now, margin), Ok(Decision::Refresh(_)));
            TestResult::from_bool(refresh == (now >= edge))
        }
    }
}
