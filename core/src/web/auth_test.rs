//! `auth.test` with the new bot token, for the bot's `bot_id` (Slack's SDKs record it at
//! install time). A minimal stand-in, kept private to the web flow: replace it with the
//! crate-wide `auth.test` method type once there is one.

use serde::Deserialize;

use crate::{AccessToken, Auth, ErrorCode, Form, Method};

/// `auth.test`: who a token belongs to (<https://api.slack.com/methods/auth.test>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthTest {
    token: AccessToken,
}

impl AuthTest {
    /// Asks about `token` (sent as the bearer token).
    pub fn new(token: impl Into<AccessToken>) -> AuthTest {
        AuthTest {
            token: token.into(),
        }
    }
}

/// The answer to [`AuthTest`]. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[non_exhaustive]
pub struct AuthTestResponse {
    /// The workspace's URL, e.g. `https://team.slack.com/`.
    #[serde(default)]
    pub url: Option<String>,
    /// The workspace's name.
    #[serde(default)]
    pub team: Option<String>,
    /// The workspace's id.
    #[serde(default)]
    pub team_id: Option<String>,
    /// The token's user (the bot user for a bot token).
    #[serde(default)]
    pub user_id: Option<String>,
    /// The bot's id (`B…`), for a bot token.
    #[serde(default)]
    pub bot_id: Option<String>,
    /// The Enterprise org's id, if any.
    #[serde(default)]
    pub enterprise_id: Option<String>,
    /// Whether the token is from an org-wide install.
    #[serde(default)]
    pub is_enterprise_install: bool,
}

impl Method for AuthTest {
    const NAME: &'static str = "auth.test";
    const ERRORS: &'static [ErrorCode] = &[
        ErrorCode::NotAuthed,
        ErrorCode::InvalidAuth,
        ErrorCode::AccountInactive,
        ErrorCode::TokenRevoked,
        ErrorCode::TokenExpired,
    ];
    type Response = AuthTestResponse;

    fn auth(&self) -> Auth<'_> {
        Auth::Bearer(&self.token)
    }

    fn write_args(&self, _form: &mut Form) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse, Api};

    #[test]
    fn request_and_answer() {
        let request = Api::new().request(&AuthTest::new("xoxb-1-SECRET")).unwrap();
        assert_eq!(request.uri(), "https://slack.com/api/auth.test");
        assert_eq!(request.headers()["authorization"], "Bearer xoxb-1-SECRET");
        assert!(!format!("{:?}", AuthTest::new("xoxb-1-SECRET")).contains("SECRET"));
        let response = http::Response::new(
            br#"{"ok":true,"url":"https://t.slack.com/","team":"Team","user":"bot","team_id":"T1",
                 "user_id":"UBOT","bot_id":"B1","is_enterprise_install":false}"#
                .to_vec(),
        );
        let answer = parse::<AuthTest, _>(&response).unwrap().value;
        assert_eq!(answer.bot_id.as_deref(), Some("B1"));
        assert_eq!(answer.team.as_deref(), Some("Team"));
    }
}
