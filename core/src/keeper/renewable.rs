//! [`Renewable`]: what a keeper needs to know about the values it keeps, and [`KeptToken`],
//! which of their tokens.

use std::fmt;

use crate::config_tokens::ConfigTokens;
use crate::decision::{due_at, Decision};
use crate::installations::{Installation, TokenType};
use crate::keeper::KeeperError;
use crate::method_trait::Method;
use crate::oauth_v2::{AccessRefresh, AccessResponse};
use crate::secrets::{AccessToken, ConfigToken, RefreshToken};
use crate::tooling_tokens::{Rotate, RotateResponse};

/// Which kept token: an installation's bot or user token, or an app configuration token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeptToken {
    /// An installation's bot token.
    Bot,
    /// An installation's user token.
    User,
    /// An app configuration token ([`ConfigTokens`]).
    Configuration,
}

impl KeptToken {
    /// `"bot"`, `"user"` or `"configuration"`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeptToken::Bot => "bot",
            KeptToken::User => "user",
            KeptToken::Configuration => "configuration",
        }
    }

    /// The installation token this is, if it is one.
    pub fn token_type(self) -> Option<TokenType> {
        match self {
            KeptToken::Bot => Some(TokenType::Bot),
            KeptToken::User => Some(TokenType::User),
            KeptToken::Configuration => None,
        }
    }
}

impl From<TokenType> for KeptToken {
    fn from(token_type: TokenType) -> KeptToken {
        match token_type {
            TokenType::Bot => KeptToken::Bot,
            TokenType::User => KeptToken::User,
        }
    }
}

impl fmt::Display for KeptToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something whose tokens a keeper keeps alive: an [`Installation`] (bot and user tokens)
/// or [`ConfigTokens`] (one configuration token).
///
/// It ties the value's decision, its refresh request and the applying of the answer together,
/// so one [`Machine`](crate::keeper::Machine) serves both. Every method is asked only for a
/// token of [`Renewable::TOKENS`]; the machine answers [`KeeperError::WrongToken`] for others.
pub trait Renewable: Clone {
    /// The tokens this kind of value holds.
    const TOKENS: &'static [KeptToken];
    /// The token handed to callers.
    type Token: Clone;
    /// The request that refreshes it.
    type Refresh: Method;

    /// Use the `token` or refresh it first, at `now`, refreshing `margin` seconds before
    /// expiry; `key` names the value in the error.
    fn decide(
        &self,
        key: &str,
        token: KeptToken,
        now: u64,
        margin: u64,
    ) -> Result<Decision<Self::Token, Self::Refresh>, KeeperError>;

    /// Applies the refresh answer received at `now` and returns the new token; on error
    /// nothing changes.
    fn apply(
        &mut self,
        key: &str,
        token: KeptToken,
        answer: &<Self::Refresh as Method>::Response,
        now: u64,
    ) -> Result<Self::Token, KeeperError>;

    /// The refresh token the next refresh of `token` will spend, if any: the keeper compares
    /// it to tell whether someone else refreshed in the meantime.
    fn refresh_token(&self, token: KeptToken) -> Option<&RefreshToken>;

    /// Until when (Unix seconds) `token` may be handed out without looking at the store
    /// again: the start of its refresh margin, `u64::MAX` for a token that never expires.
    /// The default, 0, keeps nothing in a keeper's cache of fresh tokens.
    fn fresh_until(&self, token: KeptToken, margin: u64) -> u64 {
        let _ = (token, margin);
        0
    }
}

fn wrong(key: &str, token: KeptToken) -> KeeperError {
    KeeperError::WrongToken {
        key: key.to_owned(),
        token,
    }
}

impl Renewable for Installation {
    const TOKENS: &'static [KeptToken] = &[KeptToken::Bot, KeptToken::User];
    type Token = AccessToken;
    type Refresh = AccessRefresh;

    fn decide(
        &self,
        key: &str,
        token: KeptToken,
        now: u64,
        margin: u64,
    ) -> Result<Decision<AccessToken, AccessRefresh>, KeeperError> {
        let token_type = token.token_type().ok_or_else(|| wrong(key, token))?;
        match self.decide_with_margin(token_type, now, margin) {
            Ok(Decision::Use(token)) => Ok(Decision::Use(token.clone())),
            Ok(Decision::Refresh(request)) => Ok(Decision::Refresh(request)),
            Err(error) => Err(KeeperError::Installation {
                key: key.to_owned(),
                error,
            }),
        }
    }

    fn apply(
        &mut self,
        key: &str,
        token: KeptToken,
        answer: &AccessResponse,
        now: u64,
    ) -> Result<AccessToken, KeeperError> {
        let token_type = token.token_type().ok_or_else(|| wrong(key, token))?;
        let failed = |error| KeeperError::Installation {
            key: key.to_owned(),
            error,
        };
        self.apply_refresh(token_type, answer, now)
            .map_err(failed)?;
        self.token(token_type)
            .map(|set| set.token.clone())
            .ok_or(crate::installation::InstallationError::MissingToken(
                token_type,
            ))
            .map_err(failed)
    }

    fn refresh_token(&self, token: KeptToken) -> Option<&RefreshToken> {
        self.token(token.token_type()?)?.refresh_token.as_ref()
    }

    fn fresh_until(&self, token: KeptToken, margin: u64) -> u64 {
        let set = token.token_type().and_then(|t| self.token(t));
        match set.map(|set| (set.expires_at, set.issued_at)) {
            Some((Some(expires_at), issued_at)) => due_at(expires_at, issued_at, margin),
            Some((None, _)) => u64::MAX,
            None => 0,
        }
    }
}

impl Renewable for ConfigTokens {
    const TOKENS: &'static [KeptToken] = &[KeptToken::Configuration];
    type Token = ConfigToken;
    type Refresh = Rotate;

    fn decide(
        &self,
        key: &str,
        token: KeptToken,
        now: u64,
        margin: u64,
    ) -> Result<Decision<ConfigToken, Rotate>, KeeperError> {
        if token != KeptToken::Configuration {
            return Err(wrong(key, token));
        }
        Ok(match self.decide_with_margin(now, margin) {
            Decision::Use(token) => Decision::Use(token.clone()),
            Decision::Refresh(request) => Decision::Refresh(request),
        })
    }

    fn apply(
        &mut self,
        key: &str,
        token: KeptToken,
        answer: &RotateResponse,
        _now: u64,
    ) -> Result<ConfigToken, KeeperError> {
        if token != KeptToken::Configuration {
            return Err(wrong(key, token));
        }
        // The answer carries its own issue and expiry times.
        self.apply(answer.clone())
            .map_err(|error| KeeperError::Config {
                key: key.to_owned(),
                error,
            })?;
        Ok(self.token.clone())
    }

    fn refresh_token(&self, token: KeptToken) -> Option<&RefreshToken> {
        (token == KeptToken::Configuration).then_some(&self.refresh_token)
    }

    fn fresh_until(&self, token: KeptToken, margin: u64) -> u64 {
        let issued = (self.iat != 0).then_some(self.iat);
        match token {
            KeptToken::Configuration => due_at(self.exp, issued, margin),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn rotating() -> Installation {
        let answer: AccessResponse = serde_json::from_str(
            r#"{"app_id":"A1","access_token":"xoxe.xoxb-1-B1","token_type":"bot","expires_in":43200,
            "refresh_token":"xoxe-1-BR1","team":{"id":"T1"},"authed_user":{"id":"U1",
            "access_token":"xoxe.xoxp-1-U1","token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-UR1"}}"#,
        )
        .unwrap();
        Installation::from_access(answer, NOW).unwrap()
    }

    #[test]
    fn installation_renewal() {
        let mut i = rotating();
        assert!(matches!(
            Renewable::decide(&i, "T1", KeptToken::Bot, NOW, 7200).unwrap(),
            Decision::Use(t) if t.expose() == "xoxe.xoxb-1-B1"
        ));
        let due = NOW + 43200 - 7200;
        let Decision::Refresh(_) = Renewable::decide(&i, "T1", KeptToken::Bot, due, 7200).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            Renewable::refresh_token(&i, KeptToken::User).map(RefreshToken::expose),
            Some("xoxe-1-UR1")
        );
        assert_eq!(Renewable::refresh_token(&i, KeptToken::Configuration), None);
        let answer: AccessResponse = serde_json::from_str(
            r#"{"access_token":"xoxe.xoxb-1-B2","token_type":"bot","expires_in":43200,
            "refresh_token":"xoxe-1-BR2","team":{"id":"T1"}}"#,
        )
        .unwrap();
        let token = Renewable::apply(&mut i, "T1", KeptToken::Bot, &answer, due).unwrap();
        assert_eq!(token.expose(), "xoxe.xoxb-1-B2");
        // The user token is untouched, and a user answer cannot replace the bot token.
        assert_eq!(i.user.as_ref().unwrap().token.expose(), "xoxe.xoxp-1-U1");
        let before = i.clone();
        let user_answer: AccessResponse = serde_json::from_str(
            r#"{"access_token":"xoxe.xoxp-1-U2","token_type":"user","expires_in":43200,"refresh_token":"r"}"#,
        )
        .unwrap();
        assert!(matches!(
            Renewable::apply(&mut i, "T1", KeptToken::Bot, &user_answer, due),
            Err(KeeperError::Installation { .. })
        ));
        assert_eq!(i, before);
        assert!(matches!(
            Renewable::decide(&i, "T1", KeptToken::Configuration, NOW, 0),
            Err(KeeperError::WrongToken {
                token: KeptToken::Configuration,
                ..
            })
        ));
    }

    #[test]
    fn config_renewal() {
        let mut tokens = ConfigTokens::new("xoxe.xoxp-1-C1", "xoxe-1-CR1");
        let Decision::Refresh(_) =
            Renewable::decide(&tokens, "c", KeptToken::Configuration, NOW, 300).unwrap()
        else {
            panic!("an unknown expiry means rotate")
        };
        let answer: RotateResponse = serde_json::from_str(
            r#"{"token":"xoxe.xoxp-1-C2","refresh_token":"xoxe-1-CR2","team_id":"T1","user_id":"U1",
            "iat":1700000000,"exp":1700043200}"#,
        )
        .unwrap();
        let token =
            Renewable::apply(&mut tokens, "c", KeptToken::Configuration, &answer, NOW).unwrap();
        assert_eq!(token.expose(), "xoxe.xoxp-1-C2");
        assert!(matches!(
            Renewable::decide(&tokens, "c", KeptToken::Configuration, NOW, 300).unwrap(),
            Decision::Use(_)
        ));
        assert!(Renewable::decide(&tokens, "c", KeptToken::Bot, NOW, 300).is_err());
        assert_eq!(KeptToken::Configuration.to_string(), "configuration");
    }
}
