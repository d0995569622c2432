//! [`ConfigTokens`]: an app configuration token and its refresh token, kept alive with
//! `tooling.tokens.rotate`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::decision::{refresh_due, Decision, REFRESH_MARGIN};
use crate::secrets::{ConfigToken, RefreshToken};
use crate::tooling_tokens::{Rotate, RotateResponse};

/// Why a `tooling.tokens.rotate` answer could not be applied to [`ConfigTokens`]. Never holds
/// a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigTokensError {
    /// The answer is for another team or user than the one held.
    Mismatch {
        /// Which field differs: `"team_id"` or `"user_id"`.
        field: &'static str,
    },
}

impl fmt::Display for ConfigTokensError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigTokensError::Mismatch { field } => {
                write!(
                    f,
                    "the rotate answer is for another {field} than the one held"
                )
            }
        }
    }
}

impl std::error::Error for ConfigTokensError {}

/// An app configuration token and its refresh token: the JSON object `tooling.tokens.rotate`
/// returns (without `ok`), which is also how it is stored.
///
/// Config tokens expire 12 hours after they are issued; [`ConfigTokens::decide`] says when to
/// rotate. Like [`Installation`](crate::Installation), serde writes the tokens in clear (store the JSON as a
/// secret) and `Debug` hides them.
///
/// ```
/// use slack_oauth_core::{ConfigTokens, Decision, tooling_tokens::RotateResponse};
///
/// // First run: the pair copied from the app settings page; its expiry is unknown.
/// let mut tokens = ConfigTokens::new("xoxe.xoxp-1-FIRST", "xoxe-1-FIRST");
/// let now = 1_700_000_000;
/// let Decision::Refresh(rotate) = tokens.decide(now) else { panic!() };
///
/// // ... send `rotate`, parse the answer, apply it:
/// let answer: RotateResponse = serde_json::from_str(r#"{"token":"xoxe.xoxp-1-NEXT",
///     "refresh_token":"xoxe-1-NEXT","team_id":"T1","user_id":"U1","iat":1700000000,"exp":1700043200}"#)?;
/// tokens.apply(answer)?;
/// assert!(matches!(tokens.decide(now), Decision::Use(t) if t.expose() == "xoxe.xoxp-1-NEXT"));
/// assert!(matches!(tokens.decide(now + 10 * 3600), Decision::Refresh(_)));
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
    /// How long before expiry [`ConfigTokens::decide`] rotates: 2 hours (capped at half the
    /// token's lifetime), as for installations.
    pub const DEFAULT_REFRESH_MARGIN: u64 = REFRESH_MARGIN;

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
    /// [`ConfigTokens::DEFAULT_REFRESH_MARGIN`] before expiry.
    pub fn decide(&self, now: u64) -> Decision<&ConfigToken, Rotate> {
        self.decide_with_margin(now, ConfigTokens::DEFAULT_REFRESH_MARGIN)
    }

    /// [`ConfigTokens::decide`] with a margin of `margin` seconds before expiry (capped at
    /// half the token's lifetime).
    pub fn decide_with_margin(&self, now: u64, margin: u64) -> Decision<&ConfigToken, Rotate> {
        let issued = (self.iat != 0).then_some(self.iat);
        if refresh_due(self.exp, issued, now, margin) {
            Decision::Refresh(Rotate::new(self.refresh_token.clone()))
        } else {
            Decision::Use(&self.token)
        }
    }

    /// Installs a `tooling.tokens.rotate` answer. Refused, leaving the pair unchanged, when
    /// it is for another team or user than the one held (when those are known).
    pub fn apply(&mut self, response: RotateResponse) -> Result<(), ConfigTokensError> {
        if !self.team_id.is_empty() && self.team_id != response.team_id {
            return Err(ConfigTokensError::Mismatch { field: "team_id" });
        }
        if !self.user_id.is_empty() && self.user_id != response.user_id {
            return Err(ConfigTokensError::Mismatch { field: "user_id" });
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

    const NOW: u64 = 1_700_000_000;

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

        let edge = 1_700_043_200 - ConfigTokens::DEFAULT_REFRESH_MARGIN;
        assert!(matches!(tokens.decide(edge - 1), Decision::Use(_)));
        let Decision::Refresh(rotate) = tokens.decide(edge) else {
            panic!("expected a rotation")
        };
        let body = crate::Api::new().request(&rotate).unwrap().into_body();
        assert_eq!(body, b"refresh_token=xoxe-1-FAKECONFIGREFRESH");
        assert!(!tokens.is_expired(1_700_043_199));
        assert!(tokens.is_expired(1_700_043_200));
        // Margin beyond the lifetime: half of 12 h.
        assert!(matches!(
            tokens.decide_with_margin(1_700_021_599, 86_400),
            Decision::Use(_)
        ));
        assert!(matches!(
            tokens.decide_with_margin(1_700_021_600, 86_400),
            Decision::Refresh(_)
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
            Err(ConfigTokensError::Mismatch { field: "team_id" })
        );
        let foreign: RotateResponse = serde_json::from_str(
            r#"{"token":"t","refresh_token":"r","team_id":"T0FAKETEAM","user_id":"U9","iat":1,"exp":2}"#,
        )
        .unwrap();
        assert_eq!(
            tokens.apply(foreign),
            Err(ConfigTokensError::Mismatch { field: "user_id" })
        );
        assert_eq!(tokens, before);
    }

    #[test]
    fn config_tokens_from_the_settings_page() {
        let mut tokens = ConfigTokens::new("xoxe.xoxp-1-A", "xoxe-1-A");
        assert!(matches!(tokens.decide(0), Decision::Refresh(_)));
        assert!(matches!(tokens.decide(NOW), Decision::Refresh(_)));
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
}
