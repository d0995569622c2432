//! `apps.auth.external.get` and `apps.auth.external.delete`: tokens Slack stores for a
//! workflow app's External Authentication providers.

use serde::{Deserialize, Serialize};

use crate::error_code::ErrorCode;
use crate::method_trait::{Auth, Form, Method};
use crate::secrets::{AccessToken, ExternalToken};

/// `apps.auth.external.get`: the provider access token behind an `external_token_id`.
///
/// ```
/// use slack_oauth_core::{Api, apps_auth_external::Get};
/// let request = Api::new().request(&Get::new("xwfp-1", "Et12345").force_refresh(true)).unwrap();
/// assert_eq!(request.headers()["authorization"], "Bearer xwfp-1");
/// assert_eq!(request.body(), b"external_token_id=Et12345&force_refresh=true");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Get {
    token: AccessToken,
    external_token_id: String,
    force_refresh: Option<bool>,
}

impl Get {
    /// Looks up `external_token_id`, calling with `token` (usually the function's workflow token).
    pub fn new(token: impl Into<AccessToken>, external_token_id: impl Into<String>) -> Get {
        Get {
            token: token.into(),
            external_token_id: external_token_id.into(),
            force_refresh: None,
        }
    }

    /// Asks Slack to refresh the provider token even if it has not expired.
    pub fn force_refresh(mut self, force: bool) -> Get {
        self.force_refresh = Some(force);
        self
    }
}

impl Method for Get {
    const NAME: &'static str = "apps.auth.external.get";
    // <https://api.slack.com/methods/apps.auth.external.get>
    const ERRORS: &'static [ErrorCode] = &[
        ErrorCode::AccessTokenExchangeFailed,
        ErrorCode::MethodNotSupported,
        ErrorCode::NoRefreshToken,
        ErrorCode::TokenNotFound,
    ];
    type Response = GetResponse;

    fn auth(&self) -> Auth<'_> {
        Auth::Bearer(&self.token)
    }

    fn write_args(&self, form: &mut Form) {
        form.arg("external_token_id", &self.external_token_id).opt(
            "force_refresh",
            self.force_refresh.map(|f| if f { "true" } else { "false" }),
        );
    }
}

/// The provider's access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GetResponse {
    /// The provider access token (e.g. a Google `ya29.…` token).
    pub external_token: ExternalToken,
}

/// `apps.auth.external.delete`: delete stored provider tokens on Slack's side only
/// (the provider's tokens are not revoked). Choose what to delete with the setters:
/// one token, all of an app's tokens, or an app's tokens for one provider.
///
/// ```
/// use slack_oauth_core::{Api, apps_auth_external::Delete};
/// let request = Api::new()
///     .request(&Delete::new("xoxp-1").app_id("A123").provider_key("google"))
///     .unwrap();
/// assert_eq!(request.body(), b"app_id=A123&provider_key=google");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delete {
    token: AccessToken,
    app_id: Option<String>,
    provider_key: Option<String>,
    external_token_id: Option<String>,
}

impl Delete {
    /// A delete call made with `token`.
    pub fn new(token: impl Into<AccessToken>) -> Delete {
        Delete {
            token: token.into(),
            app_id: None,
            provider_key: None,
            external_token_id: None,
        }
    }

    /// Deletes the tokens of this app.
    pub fn app_id(mut self, app_id: impl Into<String>) -> Delete {
        self.app_id = Some(app_id.into());
        self
    }

    /// Deletes the tokens of this provider (with [`Delete::app_id`]).
    pub fn provider_key(mut self, provider_key: impl Into<String>) -> Delete {
        self.provider_key = Some(provider_key.into());
        self
    }

    /// Deletes this one token.
    pub fn external_token_id(mut self, external_token_id: impl Into<String>) -> Delete {
        self.external_token_id = Some(external_token_id.into());
        self
    }
}

impl Method for Delete {
    const NAME: &'static str = "apps.auth.external.delete";
    // <https://api.slack.com/methods/apps.auth.external.delete>
    const ERRORS: &'static [ErrorCode] = &[
        ErrorCode::AppNotFound,
        ErrorCode::InvalidArgs,
        ErrorCode::MethodNotSupported,
        ErrorCode::NoTokensFound,
        ErrorCode::ProvidersNotFound,
        ErrorCode::TokenNotFound,
        ErrorCode::UnableToDelete,
    ];
    type Response = DeleteResponse;

    fn auth(&self) -> Auth<'_> {
        Auth::Bearer(&self.token)
    }

    fn write_args(&self, form: &mut Form) {
        form.opt("app_id", self.app_id.as_deref())
            .opt("provider_key", self.provider_key.as_deref())
            .opt("external_token_id", self.external_token_id.as_deref());
    }
}

/// `apps.auth.external.delete` answers `{"ok": true}` and nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeleteResponse {}
