//! `tooling.tokens.rotate`: keep an app configuration token alive.

use serde::{Deserialize, Serialize};

use crate::error_code::ErrorCode;
use crate::method_trait::{Auth, Form, Method};
use crate::secrets::{ConfigToken, RefreshToken};

/// `tooling.tokens.rotate`: exchange a configuration refresh token for a new configuration
/// token and a new refresh token. Sends no credential besides the refresh token itself.
///
/// ```
/// use slack_oauth_core::{Api, tooling_tokens::Rotate};
/// let request = Api::new().request(&Rotate::new("xoxe-1-abc")).unwrap();
/// assert_eq!(request.uri(), "https://slack.com/api/tooling.tokens.rotate");
/// assert!(request.headers().get("authorization").is_none());
/// assert_eq!(request.body(), b"refresh_token=xoxe-1-abc");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotate {
    refresh_token: RefreshToken,
}

impl Rotate {
    /// Rotates with `refresh_token` (`xoxe-…`), issued with the current configuration token.
    pub fn new(refresh_token: impl Into<RefreshToken>) -> Rotate {
        Rotate {
            refresh_token: refresh_token.into(),
        }
    }
}

impl Method for Rotate {
    const NAME: &'static str = "tooling.tokens.rotate";
    // <https://api.slack.com/methods/tooling.tokens.rotate>
    const ERRORS: &'static [ErrorCode] = &[ErrorCode::InvalidRefreshToken, ErrorCode::UnknownError];
    type Response = RotateResponse;

    fn auth(&self) -> Auth<'_> {
        Auth::None
    }

    fn write_args(&self, form: &mut Form) {
        form.arg("refresh_token", self.refresh_token.expose());
    }
}

/// A new configuration token pair. Store both: the old refresh token is spent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RotateResponse {
    /// The new configuration token (`xoxe.xoxp-…`).
    pub token: ConfigToken,
    /// The new refresh token.
    pub refresh_token: RefreshToken,
    /// The workspace the token belongs to.
    pub team_id: String,
    /// The user the token belongs to.
    pub user_id: String,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Expires at, Unix seconds (12 hours after `iat`).
    pub exp: u64,
}
