//! Types that hold secrets: client secrets, tokens, authorization codes.
//!
//! None of them prints its value through `Debug` or `Display`; reading the value is an
//! explicit call to `expose()`. Serde (de)serialization does carry the value, because
//! storing an installation or reading Slack's answer is exactly where it has to travel.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a Slack token is, as told by its prefix.
///
/// Slack documents only the prefixes; nothing past them is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// `xoxb-`: a bot token that does not expire.
    Bot,
    /// `xoxp-`: a user token that does not expire.
    User,
    /// `xoxe.xoxb-`: a rotating bot token (expires after 12 hours).
    RotatingBot,
    /// `xoxe.xoxp-`: a rotating user token (expires after 12 hours). App configuration
    /// tokens carry the same prefix; [`ConfigToken::kind`] reports them as [`TokenKind::Configuration`].
    RotatingUser,
    /// `xoxe-`: a refresh token (OAuth rotation or configuration tokens).
    Refresh,
    /// `xapp-`: an app-level token.
    AppLevel,
    /// An app configuration token from `tooling.tokens.rotate` (known by where it came from).
    Configuration,
    /// `xwfp-`: a workflow token handed to a function run.
    Workflow,
    /// Any other prefix.
    Unknown,
}

impl TokenKind {
    /// Classifies a token string by its prefix.
    ///
    /// ```
    /// use slack_oauth_core::secret::TokenKind;
    /// assert_eq!(TokenKind::classify("xoxe.xoxb-1-abc"), TokenKind::RotatingBot);
    /// assert_eq!(TokenKind::classify("xoxe-1-abc"), TokenKind::Refresh);
    /// assert_eq!(TokenKind::classify("xoxb-123"), TokenKind::Bot);
    /// ```
    pub fn classify(token: &str) -> TokenKind {
        // Longest prefixes first: `xoxe.` would otherwise match `xoxe-`'s family.
        const TABLE: [(&str, TokenKind); 7] = [
            ("xoxe.xoxb-", TokenKind::RotatingBot),
            ("xoxe.xoxp-", TokenKind::RotatingUser),
            ("xoxe-", TokenKind::Refresh),
            ("xoxb-", TokenKind::Bot),
            ("xoxp-", TokenKind::User),
            ("xapp-", TokenKind::AppLevel),
            ("xwfp-", TokenKind::Workflow),
        ];
        TABLE
            .iter()
            .find(|(prefix, _)| token.starts_with(prefix))
            .map_or(TokenKind::Unknown, |(_, kind)| *kind)
    }

    /// Whether tokens of this kind expire and must be refreshed.
    pub fn expires(self) -> bool {
        matches!(
            self,
            TokenKind::RotatingBot
                | TokenKind::RotatingUser
                | TokenKind::Configuration
                | TokenKind::Workflow
        )
    }
}

/// Secret string storage shared by every secret type. Never printed.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
struct Hidden(String);

impl Hidden {
    // Wipe on drop is not attempted: `String` may have been reallocated and copied
    // already; the guarantee this crate gives is about printing, not memory.
    fn expose(&self) -> &str {
        &self.0
    }
}

macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(Hidden);

        impl $name {
            #[doc = concat!("Wraps ", $what, ".")]
            pub fn new(value: impl Into<String>) -> Self {
                Self(Hidden(value.into()))
            }

            /// The secret value. Call it only where the value must leave the process.
            pub fn expose(&self) -> &str {
                self.0.expose()
            }

            /// Consumes the wrapper and returns the secret value.
            pub fn into_exposed(self) -> String {
                self.0 .0
            }

            /// True when the value is empty (an empty secret is never valid).
            pub fn is_empty(&self) -> bool {
                self.0 .0.is_empty()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("<redacted>")
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.expose())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::new)
            }
        }
    };
}

secret_type!(
    /// The app's client secret, from the app's settings page.
    ClientSecret,
    "a client secret"
);
secret_type!(
    /// An access token: bot, user, rotating, workflow or legacy.
    AccessToken,
    "an access token"
);
secret_type!(
    /// A refresh token (`xoxe-…`): single use, exchanged for a new access token.
    RefreshToken,
    "a refresh token"
);
secret_type!(
    /// An app configuration token from `tooling.tokens.rotate` (expires after 12 hours).
    ConfigToken,
    "an app configuration token"
);
secret_type!(
    /// A one-time OAuth authorization code from the redirect (lives 10 minutes).
    AuthCode,
    "an authorization code"
);
secret_type!(
    /// A PKCE code verifier (RFC 7636): proves the code exchange comes from who started it.
    CodeVerifier,
    "a PKCE code verifier"
);
secret_type!(
    /// A third-party provider's access token returned by `apps.auth.external.get`.
    ExternalToken,
    "a provider token"
);
secret_type!(
    /// An OpenID Connect id token (a signed statement of who the user is).
    IdToken,
    "an id token"
);
secret_type!(
    /// An incoming webhook URL: anyone holding it can post to its channel.
    WebhookUrl,
    "a webhook URL"
);
secret_type!(
    /// A key the app holds to sign and verify OAuth `state` values.
    StateKey,
    "a state-signing key"
);

impl AccessToken {
    /// The kind of token, by prefix.
    pub fn kind(&self) -> TokenKind {
        TokenKind::classify(self.expose())
    }
}

impl RefreshToken {
    /// The kind of token, by prefix (normally [`TokenKind::Refresh`]).
    pub fn kind(&self) -> TokenKind {
        TokenKind::classify(self.expose())
    }
}

impl ConfigToken {
    /// Always [`TokenKind::Configuration`]: the prefix alone cannot tell these from rotating user tokens.
    pub fn kind(&self) -> TokenKind {
        TokenKind::Configuration
    }
}

/// The app's client credentials: its public client id and, unless it is a PKCE public
/// client, its client secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    /// The app's client id (public, e.g. `4123121235.9872358710`).
    pub client_id: String,
    /// The client secret; `None` for a PKCE public client.
    pub client_secret: Option<ClientSecret>,
}

impl ClientCredentials {
    /// Credentials of a confidential client: id and secret.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<ClientSecret>) -> Self {
        ClientCredentials {
            client_id: client_id.into(),
            client_secret: Some(client_secret.into()),
        }
    }

    /// Credentials of a PKCE public client: the id alone.
    pub fn public(client_id: impl Into<String>) -> Self {
        ClientCredentials {
            client_id: client_id.into(),
            client_secret: None,
        }
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_prefixes() {
        for (token, kind) in [
            ("xoxb-1", TokenKind::Bot),
            ("xoxp-1", TokenKind::User),
            ("xoxe.xoxb-1-x", TokenKind::RotatingBot),
            ("xoxe.xoxp-1-x", TokenKind::RotatingUser),
            ("xoxe-1-x", TokenKind::Refresh),
            ("xapp-1", TokenKind::AppLevel),
            ("xwfp-1", TokenKind::Workflow),
            ("ya29.x", TokenKind::Unknown),
            ("", TokenKind::Unknown),
        ] {
            assert_eq!(TokenKind::classify(token), kind, "{token}");
        }
        assert_eq!(
            ConfigToken::new("xoxe.xoxp-1").kind(),
            TokenKind::Configuration
        );
        assert!(TokenKind::RotatingBot.expires());
        assert!(!TokenKind::Bot.expires());
    }

    #[test]
    fn never_printed() {
        let t = AccessToken::new("xoxb-CANARY");
        assert_eq!(format!("{t:?}"), "AccessToken(<redacted>)");
        assert_eq!(format!("{t}"), "<redacted>");
        let c = ClientCredentials::new("1.2", "CANARY");
        assert!(!format!("{c:?}").contains("CANARY"));
        assert_eq!(t.expose(), "xoxb-CANARY");
    }

    #[test]
    fn serde_carries_the_value() {
        let t: RefreshToken = serde_json::from_str("\"xoxe-1-a\"").unwrap();
        assert_eq!(t.expose(), "xoxe-1-a");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"xoxe-1-a\"");
    }
}
