//! [`Installation`]: what an app keeps after an install, ready to store and to rotate.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::oauth_v2::{AccessResponse, AuthedUser, IncomingWebhook};
use crate::secret::{AccessToken, RefreshToken, TokenKind};

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

        let top_is_user = match token_type.as_deref() {
            Some(t) => t == "user",
            None => access_token
                .as_ref()
                .is_some_and(|t| matches!(t.kind(), TokenKind::User | TokenKind::RotatingUser)),
        };
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

    /// A stable key to store the installation under:
    /// the enterprise id for an org-wide install, else the team id (else the enterprise id);
    /// followed by `:` and the user id for a user installation (one without a bot token).
    ///
    /// E.g. `T0123`, `E0456`, `T0123:U0789`. Empty only for a hand-made installation with no ids.
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
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn parse(json: &str) -> AccessResponse {
        serde_json::from_str(json).unwrap()
    }

    /// An org-wide install with rotation, shaped like the examples of
    /// https://api.slack.com/methods/oauth.v2.access (fake values).
    const ORG_INSTALL: &str = r#"{"ok":true,"app_id":"A0FAKEAPP1","access_token":"xoxe.xoxb-1-FAKEBOTACCESS","token_type":"bot",
 "scope":"chat:write,commands","bot_user_id":"U0FAKEBOT","expires_in":43200,"refresh_token":"xoxe-1-FAKEBOTREFRESH",
 "team":null,"enterprise":{"id":"E0FAKEORG","name":"Example Org"},"is_enterprise_install":true,
 "authed_user":{"id":"W0FAKEUSER","scope":"search:read","access_token":"xoxe.xoxp-1-FAKEUSERACCESS",
  "token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-FAKEUSERREFRESH"}}"#;

    #[test]
    fn org_wide_install_with_both_tokens() {
        let i = Installation::from_access(parse(ORG_INSTALL), NOW).unwrap();
        assert_eq!(i.app_id.as_deref(), Some("A0FAKEAPP1"));
        assert_eq!(i.team_id, None);
        assert_eq!(i.enterprise_id.as_deref(), Some("E0FAKEORG"));
        assert_eq!(i.enterprise_name.as_deref(), Some("Example Org"));
        assert!(i.is_enterprise_install);
        assert_eq!(i.user_id.as_deref(), Some("W0FAKEUSER"));
        assert_eq!(i.key(), "E0FAKEORG");
        let bot = i.bot.as_ref().unwrap();
        assert_eq!(bot.token.expose(), "xoxe.xoxb-1-FAKEBOTACCESS");
        assert_eq!(bot.expires_at, Some(NOW + 43200));
        assert_eq!(bot.issued_at, Some(NOW));
        assert_eq!(
            bot.refresh_token.as_ref().unwrap().expose(),
            "xoxe-1-FAKEBOTREFRESH"
        );
        assert_eq!(bot.scopes, ["chat:write", "commands"]);
        assert_eq!(bot.user_id.as_deref(), Some("U0FAKEBOT"));
        let user = i.user.as_ref().unwrap();
        assert_eq!(user.token.expose(), "xoxe.xoxp-1-FAKEUSERACCESS");
        assert_eq!(
            user.refresh_token.as_ref().unwrap().expose(),
            "xoxe-1-FAKEUSERREFRESH"
        );
        assert_eq!(user.scopes, ["search:read"]);
        assert_eq!(user.user_id.as_deref(), Some("W0FAKEUSER"));
        assert_eq!(i.installed_at, NOW);
    }

    #[test]
    fn workspace_install_without_rotation_with_webhook() {
        let i = Installation::from_access(
            parse(
                r##"{"ok":true,"app_id":"A1","access_token":"xoxb-LEGACY","token_type":"bot","scope":"incoming-webhook",
                "bot_user_id":"UB","team":{"id":"T1","name":"Team"},"enterprise":{"id":"E1","name":"Org"},
                "authed_user":{"id":"U1"},
                "incoming_webhook":{"url":"https://hooks.slack.com/services/T/B/SECRET","channel":"#general",
                  "channel_id":"C1","configuration_url":"https://team.slack.com/services/B"}}"##,
            ),
            NOW,
        )
        .unwrap();
        // A workspace inside an org is keyed by its team.
        assert_eq!(i.key(), "T1");
        assert_eq!(i.team_name.as_deref(), Some("Team"));
        let bot = i.bot.as_ref().unwrap();
        assert_eq!(bot.expires_at, None);
        assert!(!bot.expires());
        assert!(!bot.is_expired(u64::MAX));
        assert!(i.user.is_none());
        let hook = i.incoming_webhook.as_ref().unwrap();
        assert_eq!(hook.channel_id.as_deref(), Some("C1"));
        assert!(!format!("{i:?}").contains("SECRET"));
    }

    #[test]
    fn user_only_flow_token_top_level() {
        // Shaped like the example of https://api.slack.com/methods/oauth.v2.user.access.
        let i = Installation::from_access(
            parse(
                r#"{"ok":true,"access_token":"xoxe.xoxp-1-FAKEUSERONLY","token_type":"user","expires_in":43200,
                "refresh_token":"xoxe-1-FAKEREFRESH","authed_user":{"id":"U0FAKEUSER","scope":"channels:history,users:read"},
                "team":{"id":"T0FAKETEAM"}}"#,
            ),
            NOW,
        )
        .unwrap();
        assert!(i.bot.is_none());
        let user = i.user.as_ref().unwrap();
        assert_eq!(user.token.expose(), "xoxe.xoxp-1-FAKEUSERONLY");
        assert_eq!(user.scopes, ["channels:history", "users:read"]);
        assert_eq!(user.user_id.as_deref(), Some("U0FAKEUSER"));
        assert_eq!(
            user.refresh_token.as_ref().unwrap().expose(),
            "xoxe-1-FAKEREFRESH"
        );
        assert_eq!(i.key(), "T0FAKETEAM:U0FAKEUSER");
    }

    #[test]
    fn user_only_flow_token_nested_or_untyped() {
        let nested = Installation::from_access(
            parse(
                r#"{"ok":true,"team":{"id":"T1"},"authed_user":{"id":"U1","scope":"a,b",
                "access_token":"xoxp-NESTED","token_type":"user"}}"#,
            ),
            NOW,
        )
        .unwrap();
        assert!(nested.bot.is_none());
        assert_eq!(nested.user.unwrap().token.expose(), "xoxp-NESTED");

        // No token_type: the prefix decides.
        let untyped = Installation::from_access(
            parse(r#"{"access_token":"xoxp-TOP","team":{"id":"T1"},"authed_user":{"id":"U1"}}"#),
            NOW,
        )
        .unwrap();
        assert!(untyped.bot.is_none());
        assert_eq!(untyped.user.unwrap().token.expose(), "xoxp-TOP");
        let untyped_bot = Installation::from_access(
            parse(r#"{"access_token":"xoxb-TOP","team":{"id":"T1"}}"#),
            NOW,
        )
        .unwrap();
        assert!(untyped_bot.user.is_none());
        assert_eq!(untyped_bot.user_id, None);
        assert_eq!(untyped_bot.bot.unwrap().token.expose(), "xoxb-TOP");
    }

    #[test]
    fn incomplete_answers() {
        assert_eq!(
            Installation::from_access(
                parse(r#"{"team":{"id":"T1"},"authed_user":{"id":"U1"}}"#),
                NOW
            ),
            Err(InstallationError::NoToken)
        );
        assert_eq!(
            Installation::from_access(parse(r#"{"access_token":"xoxb-1","team":null}"#), NOW),
            Err(InstallationError::NoTeam)
        );
        // Expiry at the end of time saturates instead of overflowing.
        let i = Installation::from_access(
            parse(
                r#"{"access_token":"xoxb-1","expires_in":18446744073709551615,"team":{"id":"T"}}"#,
            ),
            NOW,
        )
        .unwrap();
        assert_eq!(i.bot.unwrap().expires_at, Some(u64::MAX));
    }

    #[test]
    fn serde_round_trip_keeps_everything() {
        let i = Installation::from_access(parse(ORG_INSTALL), NOW).unwrap();
        let json = serde_json::to_string(&i).unwrap();
        // Deliberately written: this is what the app stores.
        assert!(json.contains("xoxe-1-FAKEBOTREFRESH"));
        assert!(json.contains(r#""is_enterprise_install":true"#));
        let back: Installation = serde_json::from_str(&json).unwrap();
        assert_eq!(back, i);
        assert_eq!(back.key(), i.key());
    }

    #[test]
    fn debug_hides_every_secret() {
        let i = Installation::from_access(parse(ORG_INSTALL), NOW).unwrap();
        let dbg = format!("{i:?} {i:#?}");
        for secret in [
            "FAKEBOTACCESS",
            "FAKEBOTREFRESH",
            "FAKEUSERACCESS",
            "FAKEUSERREFRESH",
        ] {
            assert!(!dbg.contains(secret), "{secret} in {dbg}");
        }
        assert!(dbg.contains("E0FAKEORG"));
    }

    #[test]
    fn token_types() {
        assert_eq!(TokenType::parse("bot"), Some(TokenType::Bot));
        assert_eq!(TokenType::parse("user"), Some(TokenType::User));
        assert_eq!(TokenType::parse("app"), None);
        assert_eq!(serde_json::to_string(&TokenType::User).unwrap(), "\"user\"");
        assert_eq!(TokenType::Bot.to_string(), "bot");
        assert_eq!(shown_token_type(Some("xoxb-<b>\n")), Some("xoxbb".into()));
    }
}
