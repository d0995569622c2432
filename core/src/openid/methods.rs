//! `openid.connect.token` and `openid.connect.userInfo`.

use serde::{Deserialize, Serialize};

use crate::authorize::CodeVerifier;
use crate::error_code::ErrorCode;
use crate::method::{Auth, Form};
use crate::methods::BuiltinMethod;
use crate::secret::{AuthCode, IdToken, RefreshToken};
use crate::AccessToken;
use crate::Method;

use super::claims::Profile;

/// `openid.connect.token`'s own codes
/// (<https://docs.slack.dev/reference/methods/openid.connect.token>); the page lists the
/// platform-wide ones too.
const TOKEN_ERRORS: &[ErrorCode] = &[
    ErrorCode::BadClientSecret,
    ErrorCode::BadRedirectUri,
    ErrorCode::CannotInstallAnOrgInstalledApp,
    ErrorCode::InvalidClientId,
    ErrorCode::InvalidCode,
    ErrorCode::InvalidGrantType,
    ErrorCode::InvalidRefreshToken,
    ErrorCode::OauthAuthorizationUrlMismatch,
    ErrorCode::PreviewFeatureNotAvailable,
];

/// `openid.connect.token` with an authorization code: exchange the `code` from the Sign in
/// with Slack redirect for a user token and an `id_token`. Authenticates with the app's client
/// credentials (HTTP Basic by default, or form fields with
/// [`ClientAuth::Body`](crate::method::ClientAuth::Body); Slack accepts both).
///
/// Verify the answer's `id_token` with [`Verifier::verify`](super::Verifier::verify)
/// (feature `openid`) before trusting who signed in.
///
/// ```
/// use slack_oauth_core::{Api, ClientCredentials, openid::Token};
/// let api = Api::new().with_credentials(ClientCredentials::new("1.2", "s"));
/// let request = api.request(&Token::code("c-1").redirect_uri("https://a.example/login/cb"))?;
/// assert_eq!(request.uri(), "https://slack.com/api/openid.connect.token");
/// assert_eq!(request.body(), b"code=c-1&redirect_uri=https%3A%2F%2Fa.example%2Flogin%2Fcb");
/// # Ok::<(), slack_oauth_core::error::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    code: AuthCode,
    redirect_uri: Option<String>,
    code_verifier: Option<CodeVerifier>,
}

impl Token {
    /// Exchanges the `code` from the redirect.
    pub fn code(code: impl Into<AuthCode>) -> Token {
        Token {
            code: code.into(),
            redirect_uri: None,
            code_verifier: None,
        }
    }

    /// Refreshes a rotating user token (`grant_type=refresh_token`), for apps with token
    /// rotation on.
    pub fn refresh(refresh_token: impl Into<RefreshToken>) -> TokenRefresh {
        TokenRefresh::new(refresh_token)
    }

    /// The redirect URI sent to the authorize page; Slack requires the same one here when one
    /// was sent (`bad_redirect_uri` otherwise).
    pub fn redirect_uri(mut self, redirect_uri: impl Into<String>) -> Token {
        self.redirect_uri = Some(redirect_uri.into());
        self
    }

    /// The PKCE code verifier whose challenge went to the authorize page
    /// ([`AuthorizeUrl::pkce`](super::AuthorizeUrl::pkce)). Slack documents PKCE for
    /// `oauth.v2.access` only; whether `openid.connect.token` checks it is not confirmed.
    pub fn code_verifier(mut self, verifier: impl Into<CodeVerifier>) -> Token {
        self.code_verifier = Some(verifier.into());
        self
    }
}

impl Method for Token {
    const NAME: &'static str = BuiltinMethod::OpenidConnectToken.name();
    const ERRORS: &'static [ErrorCode] = TOKEN_ERRORS;
    type Response = TokenResponse;

    fn auth(&self) -> Auth<'_> {
        Auth::Client
    }

    fn write_args(&self, form: &mut Form) {
        form.arg("code", self.code.expose())
            .opt("redirect_uri", self.redirect_uri.as_deref())
            .opt(
                "code_verifier",
                self.code_verifier.as_ref().map(CodeVerifier::expose),
            );
    }
}

/// `openid.connect.token` with a refresh token ([`Token::refresh`]): a new rotating user
/// token. Refresh tokens are single-use: store the new one from the answer.
///
/// ```
/// use slack_oauth_core::{Api, ClientCredentials, openid::Token};
/// let api = Api::new().with_credentials(ClientCredentials::new("1.2", "s"));
/// let refresh = api.request(&Token::refresh("xoxe-1-abc"))?;
/// assert_eq!(refresh.body(), b"grant_type=refresh_token&refresh_token=xoxe-1-abc");
/// # Ok::<(), slack_oauth_core::error::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRefresh {
    refresh_token: RefreshToken,
}

impl TokenRefresh {
    /// Refreshes with `refresh_token`.
    pub fn new(refresh_token: impl Into<RefreshToken>) -> TokenRefresh {
        TokenRefresh {
            refresh_token: refresh_token.into(),
        }
    }
}

impl Method for TokenRefresh {
    const NAME: &'static str = BuiltinMethod::OpenidConnectToken.name();
    const ERRORS: &'static [ErrorCode] = TOKEN_ERRORS;
    type Response = TokenResponse;

    fn auth(&self) -> Auth<'_> {
        Auth::Client
    }

    fn write_args(&self, form: &mut Form) {
        form.arg("grant_type", "refresh_token")
            .arg("refresh_token", self.refresh_token.expose());
    }
}

/// The answer to `openid.connect.token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The user token (`xoxp-…`, or `xoxe.xoxp-…` with token rotation on).
    pub access_token: AccessToken,
    /// `"Bearer"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// The signed statement of who signed in. Always sent on a code exchange; whether a
    /// refresh answer carries a new one is not documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<IdToken>,
    /// The refresh token for `access_token` (token rotation only). Single-use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshToken>,
    /// Seconds until `access_token` expires (token rotation only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
}

impl TokenResponse {
    /// When `access_token` expires, for an answer received at `now` (Unix seconds); `None`
    /// when it does not expire.
    pub fn expires_at(&self, now: u64) -> Option<u64> {
        self.expires_in.map(|secs| now.saturating_add(secs))
    }
}

/// `openid.connect.userInfo`: the signed-in user's profile, with the user token from
/// [`Token`] (scope `openid`) as a bearer token.
///
/// Its answer is not signed: for who signed in, trust the verified `id_token`; use this for a
/// fresh profile later.
///
/// ```
/// use slack_oauth_core::{parse, Api, openid::UserInfo};
/// let request = Api::new().request(&UserInfo::new("xoxp-1"))?;
/// assert_eq!(request.uri(), "https://slack.com/api/openid.connect.userInfo");
/// assert_eq!(request.headers()["authorization"], "Bearer xoxp-1");
///
/// let answer = http::Response::new(br#"{"ok":true,"sub":"U1","https://slack.com/user_id":"U1",
///     "https://slack.com/team_id":"T1","email":"a@example.com","email_verified":true,
///     "https://slack.com/user_image_24":"https://a.example/24.png"}"#.to_vec());
/// let info = parse::<UserInfo, _>(&answer)?.value;
/// assert_eq!(info.sub, "U1");
/// assert_eq!(info.profile.team_id.as_deref(), Some("T1"));
/// assert_eq!(info.profile.email_verified, Some(true));
/// assert!(info.profile.extra.contains_key("https://slack.com/user_image_24"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    token: AccessToken,
}

impl UserInfo {
    /// Reads the profile of the user whose token this is.
    pub fn new(token: impl Into<AccessToken>) -> UserInfo {
        UserInfo {
            token: token.into(),
        }
    }
}

impl Method for UserInfo {
    const NAME: &'static str = BuiltinMethod::OpenidConnectUserInfo.name();
    // The page lists the platform-wide codes only
    // (<https://docs.slack.dev/reference/methods/openid.connect.userInfo>).
    type Response = UserInfoResponse;

    fn auth(&self) -> Auth<'_> {
        Auth::Bearer(&self.token)
    }

    fn write_args(&self, _form: &mut Form) {}
}

/// The answer to `openid.connect.userInfo`: Slack's envelope with the claims beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserInfoResponse {
    /// The user's id (`U…` or `W…`).
    pub sub: String,
    /// The user, workspace and organization fields, and every other field kept.
    #[serde(flatten)]
    pub profile: Profile,
}
