//! What a Sign in with Slack `id_token` (and `openid.connect.userInfo`) says about the user.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The user, workspace and organization fields Slack sends in an `id_token` and in
/// `openid.connect.userInfo`, every one optional (which ones come depends on the scopes and
/// the workspace); anything else, such as the `https://slack.com/user_image_*` and
/// `…/team_image_*` URLs, is kept in [`Profile::extra`].
///
/// Field list: <https://docs.slack.dev/reference/methods/openid.connect.userInfo>.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Profile {
    /// `https://slack.com/user_id`: the user's id (equal to `sub`).
    #[serde(
        rename = "https://slack.com/user_id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub user_id: Option<String>,
    /// `https://slack.com/team_id`: the workspace the user signed in to. Check it against the
    /// workspace you expect: the authorize page's `team` is only a hint.
    #[serde(
        rename = "https://slack.com/team_id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub team_id: Option<String>,
    /// `https://slack.com/team_name`.
    #[serde(
        rename = "https://slack.com/team_name",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub team_name: Option<String>,
    /// `https://slack.com/team_domain`: the workspace's subdomain.
    #[serde(
        rename = "https://slack.com/team_domain",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub team_domain: Option<String>,
    /// `https://slack.com/enterprise_id`: the Enterprise organization, when there is one.
    #[serde(
        rename = "https://slack.com/enterprise_id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub enterprise_id: Option<String>,
    /// `https://slack.com/enterprise_name`.
    #[serde(
        rename = "https://slack.com/enterprise_name",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub enterprise_name: Option<String>,
    /// `https://slack.com/enterprise_domain`.
    #[serde(
        rename = "https://slack.com/enterprise_domain",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub enterprise_domain: Option<String>,
    /// The user's email address (scope `email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether Slack verified `email`. `None` means unknown (Slack sometimes omits it), not
    /// false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// When the email address was verified (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_email_verified: Option<i64>,
    /// The user's display name (scope `profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The URL of the user's picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// Given name; may be empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Family name; may be empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// The user's locale, e.g. `en-US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The checked claims of a Sign in with Slack `id_token`: what
/// [`Verifier::verify`](super::Verifier::verify) returns once the signature, issuer, audience,
/// lifetime, nonce and `at_hash` have passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Claims {
    /// The issuer, `https://slack.com`.
    pub iss: String,
    /// The user's id (`U…` or `W…`): who signed in.
    pub sub: String,
    /// The audience: the app's client id (Slack sends one, as a string).
    #[serde(with = "audience")]
    pub aud: Vec<String>,
    /// When the token expires (Unix seconds).
    pub exp: u64,
    /// When the token was issued (Unix seconds).
    pub iat: u64,
    /// When the user authenticated (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// The nonce sent to the authorize page; Slack sends `""` when none was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The hash of the access token issued with this id token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// The user, workspace and organization, and every other claim kept.
    #[serde(flatten)]
    pub profile: Profile,
}

/// The `aud` claim: a string (what Slack sends) or an array of strings (RFC 7519 §4.1.3).
mod audience {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        })
    }

    pub(super) fn serialize<S: Serializer>(aud: &[String], s: S) -> Result<S::Ok, S::Error> {
        match aud {
            [one] => s.serialize_str(one),
            many => s.collect_seq(many),
        }
    }
}
