//! [`Installation`]: what an app keeps after an install, ready to store and to rotate.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::decision::{refresh_due, Decision, REFRESH_MARGIN};
use crate::oauth_v2::{AccessRefresh, AccessResponse, AuthedUser, IncomingWebhook};
use crate::secrets::{AccessToken, RefreshToken};

/// Which of an installation's tokens: the bot's or the installing user's. Matches Slack's
/// `token_type` (`"bot"`, `"user"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    /// The bot token (`xoxb-…` or rotating `xoxe.xoxb-…`).
    Bot,
    /// The user token (`xoxp-…` or rotating `xoxe.xoxp-…`).
    User,
}

impl TokenType {
    /// `"bot"` or `"user"`, as Slack writes `token_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Bot => "bot",
            TokenType::User => "user",
        }
    }

    /// Reads Slack's `token_type`.
    pub fn parse(token_type: &str) -> Option<TokenType> {
        match token_type {
            "bot" => Some(TokenType::Bot),
            "user" => Some(TokenType::User),
            _ => None,
        }
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an installation could not be built, a token could not be used, or a refresh answer
/// could not be applied. Never holds a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InstallationError {
    /// The answer holds neither a bot nor a user token.
    NoToken,
    /// The answer names neither a team nor an enterprise, so the installation has no key.
    NoTeam,
    /// The installation has no token of this type.
    MissingToken(TokenType),
    /// The token has expired and there is no refresh token: only a new install helps.
    Expired {
        /// Which token.
        token_type: TokenType,
        /// When it expired (Unix seconds).
        expires_at: u64,
    },
    /// A refresh answer is for the other token type (e.g. `"user"` when the bot token was
    /// refreshed), so it must not replace this one.
    WrongTokenType {
        /// The type that was refreshed.
        expected: TokenType,
        /// Slack's `token_type` (shortened), if any.
        found: Option<String>,
    },
    /// An exchange answer whose `token_type` is neither `"bot"` nor `"user"`.
    UnknownTokenType {
        /// Slack's `token_type` (shortened), if any.
        found: Option<String>,
    },
    /// A refresh, exchange or rotate answer lacks a field it must have.
    MissingField {
        /// The field's name, e.g. `"refresh_token"`.
        field: &'static str,
    },
    /// The answer is for another app, team, enterprise or user than the one held.
    Mismatch {
        /// Which field differs: `"app_id"`, `"team"`, `"enterprise"`, `"team_id"`, `"user_id"`.
        field: &'static str,
    },
}

impl fmt::Display for InstallationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallationError::NoToken => f.write_str("the answer holds no bot or user token"),
            InstallationError::NoTeam => {
                f.write_str("the answer names no team or enterprise to key the installation by")
            }
            InstallationError::MissingToken(t) => {
                write!(f, "the installation has no {t} token")
            }
            InstallationError::Expired {
                token_type,
                expires_at,
            } => write!(
                f,
                "the {token_type} token expired at {expires_at} (Unix seconds) and has no refresh token; reinstall the app"
            ),
            InstallationError::WrongTokenType { expected, found } => write!(
                f,
                "expected a refreshed {expected} token, got token_type {}",
                found.as_deref().unwrap_or("(none)")
            ),
            InstallationError::UnknownTokenType { found } => write!(
                f,
                "token_type {} is neither bot nor user",
                found.as_deref().unwrap_or("(none)")
            ),
            InstallationError::MissingField { field } => {
                write!(f, "the answer has no `{field}`")
            }
            InstallationError::Mismatch { field } => {
                write!(f, "the answer is for another {field} than the one held")
            }
        }
    }
}

impl std::error::Error for InstallationError {}

/// Slack's `token_type` as safe, short text for an error.
pub(crate) fn shown_token_type(token_type: Option<&str>) -> Option<String> {
    token_type.map(|t| {
        t.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(32)
            .collect()
    })
}

/// One token of an installation with what is needed to keep it alive.
///
/// `Debug` hides the token and refresh token; serde writes them (see [`Installation`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenSet {
    /// The access token.
    pub token: AccessToken,
    /// When the token expires (Unix seconds); `None` for a token that does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The single-use refresh token for the next refresh (rotating tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshToken>,
    /// The scopes granted to this token.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The bot's user id (bot token) or the user's id (user token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// When this token was obtained (Unix seconds): install, exchange or last refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<u64>,
}

impl TokenSet {
    /// Whether the token expires (it came with `expires_in`).
    pub fn expires(&self) -> bool {
        self.expires_at.is_some()
    }

    /// Whether the token has expired at `now` (Unix seconds); never for a non-expiring token.
    pub fn is_expired(&self, now: u64) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    /// Whether `scope` was granted to this token.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    fn new(
        token: AccessToken,
        expires_in: Option<u64>,
        refresh_token: Option<RefreshToken>,
        scope: Option<&str>,
        user_id: Option<String>,
        now: u64,
    ) -> TokenSet {
        TokenSet {
            token,
            expires_at: expires_in.map(|s| now.saturating_add(s)),
            refresh_token,
            scopes: split_scopes(scope),
            user_id,
            issued_at: Some(now),
        }
    }
}

pub(crate) fn split_scopes(scope: Option<&str>) -> Vec<String> {
    scope
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An app's installation in one workspace (or Enterprise org, or for one user): ids, the bot
/// and user tokens with their absolute expiry times and refresh tokens, and the webhook.
///
/// Built from the answer to `oauth.v2.access` or `oauth.v2.user.access`
/// ([`Installation::from_access`]) or `oauth.v2.exchange` ([`Installation::from_exchange`]),
/// kept alive with [`Installation::decide`] and [`Installation::apply_refresh`].
///
/// **Storing it:** `Serialize` writes the tokens, refresh tokens and webhook URL in clear,
/// deliberately: that is what the app must store to use them later. Store the JSON as the
/// secret it is (encrypted at rest, access-controlled). `Debug` never shows them.
///
/// ```
/// use slack_oauth_core::{Installation, TokenType, oauth_v2::AccessResponse};
///
/// let answer: AccessResponse = serde_json::from_str(r#"{
///     "app_id": "A1", "access_token": "xoxe.xoxb-1-BOT", "token_type": "bot",
///     "scope": "chat:write,commands", "bot_user_id": "U0BOT", "expires_in": 43200,
///     "refresh_token": "xoxe-1-REFRESH", "team": {"id": "T1", "name": "Team"},
///     "enterprise": null, "authed_user": {"id": "U1"}
/// }"#)?;
/// let now = 1_700_000_000;
/// let installation = Installation::from_access(answer, now)?;
/// assert_eq!(installation.key(), "T1");
/// let bot = installation.token(TokenType::Bot).unwrap();
/// assert_eq!(bot.expires_at, Some(now + 43200));
/// assert!(bot.has_scope("commands"));
/// assert!(!format!("{installation:?}").contains("xoxe"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Installation {
    /// The app's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The workspace's id; `None` for an org-wide install.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// The workspace's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_name: Option<String>,
    /// The Enterprise organization's id; `None` outside Enterprise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_id: Option<String>,
    /// The Enterprise organization's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_name: Option<String>,
    /// Whether the app was installed on a whole Enterprise org.
    #[serde(default)]
    pub is_enterprise_install: bool,
    /// The user who installed the app (`authed_user.id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The bot's id (`B…`), which `oauth.v2.access` does not return: `auth.test` with the
    /// bot token tells it (the install flow in [`web`](crate::web) asks), as Slack's SDKs
    /// store it beside the bot token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<String>,
    /// The bot token, if bot scopes were granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<TokenSet>,
    /// The installing user's token, if user scopes were granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<TokenSet>,
    /// The incoming webhook created by the install, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incoming_webhook: Option<IncomingWebhook>,
    /// When the installation was made (Unix seconds).
    #[serde(default)]
    pub installed_at: u64,
}

impl Installation {
    /// How long before expiry [`Installation::decide`] refreshes: 2 hours, as in Slack's
    /// Python, Node and Java SDKs (a 12-hour token is refreshed after about 10 hours).
    ///
    /// The margin actually used is at most half the token's lifetime, so a margin larger than
    /// the lifetime cannot make every fresh token look due for a refresh.
    pub const DEFAULT_REFRESH_MARGIN: u64 = REFRESH_MARGIN;

    /// Builds an installation from the answer to `oauth.v2.access` or `oauth.v2.user.access`
    /// received at `now` (Unix seconds); each expiry becomes `now + expires_in`.
    ///
    /// The bot token is the top-level token unless `token_type` is `"user"`; the user token
    /// is the top-level one when `token_type` is `"user"` (the user-only flow), else the one
    /// under `authed_user`. Without `token_type`, the token's prefix decides.
    pub fn from_access(
        response: AccessResponse,
        now: u64,
    ) -> Result<Installation, InstallationError> {
        let AccessResponse {
            app_id,
            access_token,
            token_type,
            scope,
            bot_user_id,
            expires_in,
            refresh_token,
            team,
            enterprise,
            is_enterprise_install,
            authed_user,
            incoming_webhook,
            ..
        } = response;

        let top_is_user =
            crate::oauth_v2::top_level_is_user(token_type.as_deref(), access_token.as_ref());
        let AuthedUser {
            id: authed_id,
            scope: authed_scope,
            access_token: authed_token,
            expires_in: authed_expires_in,
            refresh_token: authed_refresh,
            ..
        } = authed_user.unwrap_or_default();
        let installer = (!authed_id.is_empty()).then_some(authed_id);

        let (bot, user) = match access_token {
            Some(token) if top_is_user => {
                // The user-only flow: the token is top-level, the rest may sit either place.
                let user = TokenSet::new(
                    token,
                    expires_in.or(authed_expires_in),
                    refresh_token.or(authed_refresh),
                    scope.as_deref().or(authed_scope.as_deref()),
                    installer.clone(),
                    now,
                );
                (None, Some(user))
            }
            top => {
                // `top` can only be set here when it is not a user token.
                let bot = top.map(|token| {
                    TokenSet::new(
                        token,
                        expires_in,
                        refresh_token,
                        scope.as_deref(),
                        bot_user_id,
                        now,
                    )
                });
                let user = authed_token.map(|token| {
                    TokenSet::new(
                        token,
                        authed_expires_in,
                        authed_refresh,
                        authed_scope.as_deref(),
                        installer.clone(),
                        now,
                    )
                });
                (bot, user)
            }
        };
        if bot.is_none() && user.is_none() {
            return Err(InstallationError::NoToken);
        }
        if team.is_none() && enterprise.is_none() {
            return Err(InstallationError::NoTeam);
        }
        let (team_id, team_name) = team.map_or((None, None), |t| (Some(t.id), t.name));
        let (enterprise_id, enterprise_name) =
            enterprise.map_or((None, None), |e| (Some(e.id), e.name));
        Ok(Installation {
            app_id,
            team_id,
            team_name,
            enterprise_id,
            enterprise_name,
            is_enterprise_install,
            user_id: installer,
            bot_id: None,
            bot,
            user,
            incoming_webhook,
            installed_at: now,
        })
    }

    /// The bot or user token set.
    pub fn token(&self, token_type: TokenType) -> Option<&TokenSet> {
        match token_type {
            TokenType::Bot => self.bot.as_ref(),
            TokenType::User => self.user.as_ref(),
        }
    }

    pub(crate) fn token_mut(&mut self, token_type: TokenType) -> &mut Option<TokenSet> {
        match token_type {
            TokenType::Bot => &mut self.bot,
            TokenType::User => &mut self.user,
        }
    }

    /// A short name of the installation, for messages and single-record stores:
    /// the enterprise id for an org-wide install, else the team id (else the enterprise id);
    /// followed by `:` and the user id for a user installation (one without a bot token).
    ///
    /// E.g. `T0123`, `E0456`, `T0123:U0789`. Empty only for a hand-made installation with no ids.
    ///
    /// Keepers store installations under [`InstallationKey`](crate::installation::InstallationKey)'s keys
    /// instead, which also name the app and give every user's tokens a record of their own.
    pub fn key(&self) -> String {
        let org = if self.is_enterprise_install {
            self.enterprise_id.as_deref().or(self.team_id.as_deref())
        } else {
            self.team_id.as_deref().or(self.enterprise_id.as_deref())
        };
        let mut key = org.unwrap_or("").to_owned();
        if self.bot.is_none() {
            if let Some(user) = &self.user_id {
                key.push(':');
                key.push_str(user);
            }
        }
        key
    }

    /// Decides, at `now` (Unix seconds), whether the bot or user token can be used as is or
    /// must be refreshed first, refreshing [`Installation::DEFAULT_REFRESH_MARGIN`] before expiry.
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
    ) -> Result<Decision<&AccessToken, AccessRefresh>, InstallationError> {
        self.decide_with_margin(token_type, now, Installation::DEFAULT_REFRESH_MARGIN)
    }

    /// [`Installation::decide`] with a refresh margin of `margin` seconds before expiry
    /// (capped at half the token's lifetime).
    pub fn decide_with_margin(
        &self,
        token_type: TokenType,
        now: u64,
        margin: u64,
    ) -> Result<Decision<&AccessToken, AccessRefresh>, InstallationError> {
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

fn check_rotating(set: &TokenSet) -> Result<(), InstallationError> {
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

#[cfg(test)]
mod tests;
