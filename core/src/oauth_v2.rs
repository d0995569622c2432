//! `oauth.v2.access`, `oauth.v2.user.access` and `oauth.v2.exchange`: getting and refreshing tokens.

use serde::{Deserialize, Serialize};

use crate::error_code::ErrorCode;
use crate::method_trait::{Auth, Form, Method};
use crate::secrets::{
    AccessToken, AuthCode, CodeVerifier, IdToken, RefreshToken, TokenKind, WebhookUrl,
};

/// The authorization-code grant's arguments, the same for both code methods.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CodeGrant {
    code: AuthCode,
    redirect_uri: Option<String>,
    code_verifier: Option<CodeVerifier>,
}

impl CodeGrant {
    fn write(&self, form: &mut Form) {
        form.arg("code", self.code.expose())
            .opt("redirect_uri", self.redirect_uri.as_deref())
            .opt(
                "code_verifier",
                self.code_verifier.as_ref().map(CodeVerifier::expose),
            );
    }
}

/// One method, two grants (RFC 6749 §4.1.3 and §6), as two types: only the code grant has a
/// redirect URI and a PKCE verifier, so a refresh cannot be given one by mistake.
macro_rules! grant_methods {
    (
        $(#[$code_meta:meta])* $code:ident,
        $(#[$refresh_meta:meta])* $refresh:ident,
        $method:expr, $errors:expr, $common:expr
    ) => {
        $(#[$code_meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $code {
            grant: CodeGrant,
        }

        impl $code {
            /// Exchanges the `code` from the OAuth redirect for tokens.
            pub fn code(code: impl Into<AuthCode>) -> $code {
                $code {
                    grant: CodeGrant {
                        code: code.into(),
                        redirect_uri: None,
                        code_verifier: None,
                    },
                }
            }

            /// Refreshes a rotating token (`grant_type=refresh_token`): the same method with
            /// the refresh grant. Refresh tokens are single-use.
            pub fn refresh(refresh_token: impl Into<RefreshToken>) -> $refresh {
                $refresh::new(refresh_token)
            }

            /// The redirect URI sent to the authorize step; Slack requires the same one here
            /// when one was sent.
            pub fn redirect_uri(mut self, redirect_uri: impl Into<String>) -> $code {
                self.grant.redirect_uri = Some(redirect_uri.into());
                self
            }

            /// The PKCE code verifier whose challenge went to the authorize step.
            pub fn code_verifier(mut self, verifier: impl Into<CodeVerifier>) -> $code {
                self.grant.code_verifier = Some(verifier.into());
                self
            }
        }

        impl Method for $code {
            const NAME: &'static str = $method;
            const ERRORS: &'static [ErrorCode] = $errors;
            const COMMON_ERRORS: &'static [ErrorCode] = $common;
            type Response = AccessResponse;

            fn auth(&self) -> Auth<'_> {
                Auth::Client
            }

            fn write_args(&self, form: &mut Form) {
                self.grant.write(form);
            }
        }

        $(#[$refresh_meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $refresh {
            refresh_token: RefreshToken,
        }

        impl $refresh {
            /// Refreshes with `refresh_token` (single-use: store the new one from the answer).
            pub fn new(refresh_token: impl Into<RefreshToken>) -> $refresh {
                $refresh {
                    refresh_token: refresh_token.into(),
                }
            }
        }

        impl Method for $refresh {
            const NAME: &'static str = $method;
            const ERRORS: &'static [ErrorCode] = $errors;
            const COMMON_ERRORS: &'static [ErrorCode] = $common;
            type Response = AccessResponse;

            fn auth(&self) -> Auth<'_> {
                Auth::Client
            }

            fn write_args(&self, form: &mut Form) {
                form.arg("grant_type", "refresh_token")
                    .arg("refresh_token", self.refresh_token.expose());
            }
        }
    };
}

grant_methods!(
    /// `oauth.v2.access` with an authorization code: exchange the code from the OAuth
    /// redirect for bot and/or user tokens. Authenticates with the app's client credentials.
    ///
    /// ```
    /// use slack_oauth_core::{Api, ClientCredentials, oauth_v2::Access};
    /// let api = Api::new().with_credentials(ClientCredentials::new("1.2", "s"));
    /// let install = api.request(&Access::code("c-1").redirect_uri("https://a.example/cb")).unwrap();
    /// assert_eq!(install.body(), b"code=c-1&redirect_uri=https%3A%2F%2Fa.example%2Fcb");
    /// ```
    Access,
    /// `oauth.v2.access` with a refresh token ([`Access::refresh`]): a new rotating access
    /// token and refresh token. Takes no redirect URI and no PKCE verifier.
    ///
    /// ```
    /// use slack_oauth_core::{Api, ClientCredentials, oauth_v2::Access};
    /// let api = Api::new().with_credentials(ClientCredentials::new("1.2", "s"));
    /// let refresh = api.request(&Access::refresh("xoxe-1-abc")).unwrap();
    /// assert_eq!(refresh.body(), b"grant_type=refresh_token&refresh_token=xoxe-1-abc");
    /// ```
    AccessRefresh,
    "oauth.v2.access",
    ACCESS_ERRORS,
    ErrorCode::PLATFORM
);

grant_methods!(
    /// `oauth.v2.user.access` with an authorization code: the user-token-only flow started
    /// at `/oauth/v2_user/authorize`. The user token may come top-level or under
    /// `authed_user` (see [`AccessResponse::user_token`]).
    UserAccess,
    /// `oauth.v2.user.access` with a refresh token ([`UserAccess::refresh`]).
    UserAccessRefresh,
    "oauth.v2.user.access",
    USER_ACCESS_ERRORS,
    // Slack's page for this method lists only its own codes.
    &[]
);

/// `oauth.v2.access`'s own codes (<https://api.slack.com/methods/oauth.v2.access>).
const ACCESS_ERRORS: &[ErrorCode] = &[
    ErrorCode::BadClientSecret,
    ErrorCode::BadRedirectUri,
    ErrorCode::CannotInstallAnOrgInstalledApp,
    ErrorCode::InvalidClientId,
    ErrorCode::InvalidCode,
    ErrorCode::InvalidCodeVerifier,
    ErrorCode::InvalidGrantType,
    ErrorCode::InvalidRefreshToken,
    ErrorCode::NoScopes,
    ErrorCode::OauthAuthorizationUrlMismatch,
    ErrorCode::PkceNotAllowed,
    ErrorCode::PreviewFeatureNotAvailable,
    ErrorCode::UserEmailUnverified,
];

/// `oauth.v2.user.access`'s codes (<https://api.slack.com/methods/oauth.v2.user.access>).
const USER_ACCESS_ERRORS: &[ErrorCode] = &[
    ErrorCode::BadClientSecret,
    ErrorCode::BadRedirectUri,
    ErrorCode::CannotInstallAnOrgInstalledApp,
    ErrorCode::InvalidClientId,
    ErrorCode::InvalidCode,
    ErrorCode::InvalidGrantType,
    ErrorCode::InvalidRefreshToken,
    ErrorCode::NoScopes,
    ErrorCode::NoUserScopes,
    ErrorCode::NotImplemented,
    ErrorCode::OauthAuthorizationUrlMismatch,
    ErrorCode::PreviewFeatureNotAvailable,
    ErrorCode::UserEmailUnverified,
];

/// `oauth.v2.exchange`: trade a legacy long-lived `xoxb-`/`xoxp-` token for a rotating
/// access token and a refresh token. Works once per token, and only for apps with token
/// rotation on.
///
/// The legacy token goes in `Authorization: Bearer` and the client id and secret as form
/// arguments, as Slack's Python SDK sends them (Slack's docs show all three as arguments;
/// Basic auth for this method is not documented).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    token: AccessToken,
}

impl Exchange {
    /// Exchanges `token`, a legacy long-lived bot or user token.
    pub fn new(token: impl Into<AccessToken>) -> Exchange {
        Exchange {
            token: token.into(),
        }
    }
}

impl Method for Exchange {
    const NAME: &'static str = "oauth.v2.exchange";
    // <https://api.slack.com/methods/oauth.v2.exchange>
    const ERRORS: &'static [ErrorCode] = &[
        ErrorCode::AuthorizationNotFound,
        ErrorCode::BadClientSecret,
        ErrorCode::InvalidClientId,
        ErrorCode::InvalidToken,
        ErrorCode::TokenAlreadyExchanged,
        ErrorCode::TokenRotationNotEnabled,
    ];
    type Response = AccessResponse;

    fn auth(&self) -> Auth<'_> {
        Auth::BearerWithClientInBody(&self.token)
    }

    fn write_args(&self, _form: &mut Form) {}
}

/// The answer to `oauth.v2.access`, `oauth.v2.user.access` and `oauth.v2.exchange`.
///
/// Every field Slack may omit is optional. On an install, the bot token is top-level and
/// the user token under `authed_user`; on a refresh the refreshed token (bot or user, see
/// `token_type`) is top-level.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessResponse {
    /// The app's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The top-level token: the bot token on install, the refreshed token on refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<AccessToken>,
    /// `"bot"` or `"user"`: what `access_token` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Granted scopes of `access_token`, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The bot user's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_user_id: Option<String>,
    /// Seconds until `access_token` expires (rotating tokens only; always 43200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// The refresh token for `access_token` (rotating tokens only). Single-use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshToken>,
    /// The workspace; `None` (JSON `null`) for an org-wide install.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Team>,
    /// The Enterprise organization; `None` outside Enterprise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<Enterprise>,
    /// True for an org-wide install.
    #[serde(default)]
    pub is_enterprise_install: bool,
    /// The installing user and, when user scopes were granted, their token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authed_user: Option<AuthedUser>,
    /// The incoming webhook, when the `incoming-webhook` scope was granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incoming_webhook: Option<IncomingWebhook>,
    /// An OpenID Connect id token (Sign in with Slack scopes on the user flow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<IdToken>,
}

impl AccessResponse {
    /// The bot token: the top-level token unless it is a user's (`token_type` `"user"`, or
    /// no `token_type` and a user token's prefix), the same rule as
    /// [`Installation::from_access`](crate::Installation::from_access).
    pub fn bot_token(&self) -> Option<&AccessToken> {
        if self.top_level_is_user() {
            None
        } else {
            self.access_token.as_ref()
        }
    }

    /// The user token: the top-level one when it is a user's (see
    /// [`AccessResponse::bot_token`]), else the one under `authed_user`.
    pub fn user_token(&self) -> Option<&AccessToken> {
        if self.top_level_is_user() {
            self.access_token.as_ref()
        } else {
            self.authed_user.as_ref()?.access_token.as_ref()
        }
    }

    fn top_level_is_user(&self) -> bool {
        top_level_is_user(self.token_type.as_deref(), self.access_token.as_ref())
    }

    /// The team id, or the enterprise id for an org-wide install.
    pub fn installation_id(&self) -> Option<&str> {
        self.team
            .as_ref()
            .map(|t| t.id.as_str())
            .or_else(|| self.enterprise.as_ref().map(|e| e.id.as_str()))
    }
}

/// A workspace.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Team {
    /// The team id, e.g. `T0123`.
    pub id: String,
    /// The team's name (absent in some answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An Enterprise organization.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Enterprise {
    /// The enterprise id, e.g. `E0123`.
    pub id: String,
    /// The organization's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The user who installed the app, with their token when user scopes were granted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthedUser {
    /// The user's id.
    pub id: String,
    /// Granted user scopes, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The user token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<AccessToken>,
    /// `"user"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Seconds until the user token expires (rotating tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// The user token's refresh token (rotating tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshToken>,
}

/// An incoming webhook created by the install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IncomingWebhook {
    /// The URL to post to; anyone holding it can post, so it is kept secret.
    pub url: WebhookUrl,
    /// The channel's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The channel's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    /// Where a person can change the webhook's settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_url: Option<String>,
}

/// Whether the top-level `access_token` of an `oauth.v2.access` answer is a user token: when
/// `token_type` is `"user"` (the user-only flow), or, without `token_type`, when the token's
/// prefix is a user token's (`xoxp-`, `xoxe.xoxp-`). Any other `token_type` means a bot token.
///
/// The one rule [`Installation::from_access`] and
/// [`AccessResponse::bot_token`](crate::oauth_v2::AccessResponse::bot_token) share.
pub(crate) fn top_level_is_user(token_type: Option<&str>, token: Option<&AccessToken>) -> bool {
    match token_type {
        Some(t) => t == "user",
        None => {
            token.is_some_and(|t| matches!(t.kind(), TokenKind::User | TokenKind::RotatingUser))
        }
    }
}
