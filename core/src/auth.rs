//! `auth.test` and `auth.revoke`: who a token is, and how an app gives a token back.
//!
//! `auth.test` is what install flows call right after `oauth.v2.access` (to learn the bot's
//! `bot_id`) and what health checks call to see whether a token still works;
//! `auth.revoke` is how an app leaves. See <https://docs.slack.dev/reference/methods/auth.test>
//! and <https://docs.slack.dev/reference/methods/auth.revoke>.

use serde::{Deserialize, Serialize};

use crate::method_trait::{Auth, Form, Method};
use crate::secrets::AccessToken;

/// `auth.test`: checks a token and says whose it is.
///
/// ```
/// use slack_oauth_core::{parse, Api, auth::Test};
/// let request = Api::new().request(&Test::new("xoxb-1")).unwrap();
/// assert_eq!(request.uri(), "https://slack.com/api/auth.test");
/// assert_eq!(request.headers()["authorization"], "Bearer xoxb-1");
///
/// let response = http::Response::new(
///     br#"{"ok":true,"url":"https://sim.slack.com/","team":"Sim Team","user":"bot",
///          "team_id":"T1","user_id":"U1","bot_id":"B1","is_enterprise_install":false}"#.to_vec(),
/// );
/// let who = parse::<Test, _>(&response).unwrap().value;
/// assert_eq!(who.bot_id.as_deref(), Some("B1"));
///
/// use slack_oauth_core::{ErrorCode, Method};
/// assert!(Test::documented_errors().any(|c| *c == ErrorCode::TokenRevoked));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Test {
    token: AccessToken,
}

impl Test {
    /// Tests `token` (any bot, user or rotating access token).
    pub fn new(token: impl Into<AccessToken>) -> Test {
        Test {
            token: token.into(),
        }
    }
}

// Slack's page for auth.test lists the platform-wide codes only (`not_authed`,
// `invalid_auth`, `token_expired`, `token_revoked`, `account_inactive`, ...): the defaults
// of `ERRORS` (none of its own) and `COMMON_ERRORS` (`ErrorCode::PLATFORM`) say exactly that.
impl Method for Test {
    const NAME: &'static str = "auth.test";
    type Response = TestResponse;

    fn auth(&self) -> Auth<'_> {
        Auth::Bearer(&self.token)
    }

    fn write_args(&self, _form: &mut Form) {}
}

/// Who the token is. Every field Slack may leave out is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TestResponse {
    /// The workspace URL, e.g. `https://example.slack.com/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The workspace name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The user (or bot user) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The workspace id (`T…`); for an org-wide install, Slack may send the enterprise's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// The user id (`U…`/`W…`); for a bot token, the bot user's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The bot id (`B…`): present for bot tokens only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<String>,
    /// The Enterprise organization id, inside an Enterprise organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_id: Option<String>,
    /// True for a token of an org-wide install.
    #[serde(default)]
    pub is_enterprise_install: bool,
    /// The app's id, when Slack sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Seconds until a rotating token expires, when Slack sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
}

/// `auth.revoke`: revokes the token used to call it. For the last token of an install this
/// uninstalls the app; `test(true)` only checks that it would work.
///
/// ```
/// use slack_oauth_core::{Api, auth::Revoke};
/// let request = Api::new().request(&Revoke::new("xoxp-1").test(true)).unwrap();
/// assert_eq!(request.headers()["authorization"], "Bearer xoxp-1");
/// assert_eq!(request.body(), b"test=true");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoke {
    token: AccessToken,
    test: bool,
}

impl Revoke {
    /// Revokes `token`.
    pub fn new(token: impl Into<AccessToken>) -> Revoke {
        Revoke {
            token: token.into(),
            test: false,
        }
    }

    /// Only checks the call (`test=true`): nothing is revoked, `revoked` is false.
    pub fn test(mut self, test: bool) -> Revoke {
        self.test = test;
        self
    }
}

// auth.revoke's page, too, lists only the platform-wide codes.
impl Method for Revoke {
    const NAME: &'static str = "auth.revoke";
    type Response = RevokeResponse;

    fn auth(&self) -> Auth<'_> {
        Auth::Bearer(&self.token)
    }

    fn write_args(&self, form: &mut Form) {
        if self.test {
            form.arg("test", "true");
        }
    }
}

/// Whether the token was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RevokeResponse {
    /// True once revoked; false for a `test` call.
    #[serde(default)]
    pub revoked: bool,
}
