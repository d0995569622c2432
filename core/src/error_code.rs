//! Slack's error codes for the built-in methods, as one typed enum, and the [`Warning`]s it
//! attaches to answers: the codes Slack writes, at the bottom of the crate's layers (the
//! errors and the response reader build on them).
//!
//! Generated from one table (see the `codes!` invocation) so that the string, the
//! variant and the description cannot drift apart. Unknown codes land in
//! [`ErrorCode::Other`], so a code Slack adds tomorrow never breaks a caller.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

macro_rules! codes {
    ($( $variant:ident => $code:literal : $desc:literal ),* $(,)?) => {
        /// An error code from Slack's `{"ok": false, "error": "<code>"}`.
        ///
        /// Covers every code documented for the built-in methods; anything else is kept verbatim
        /// in [`ErrorCode::Other`].
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( #[doc = $desc] $variant, )*
            /// A code this library does not know, kept verbatim.
            Other(String),
        }

        impl ErrorCode {
            /// Every documented code, in alphabetical order of its string.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The code as Slack writes it, e.g. `"invalid_code"`.
            pub fn as_str(&self) -> &str {
                match self {
                    $( ErrorCode::$variant => $code, )*
                    ErrorCode::Other(code) => code,
                }
            }

            /// A short description in our own words (empty for [`ErrorCode::Other`]).
            pub fn description(&self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $desc, )*
                    ErrorCode::Other(_) => "",
                }
            }

            /// Reads a code string; unknown codes become [`ErrorCode::Other`]. Never fails.
            pub fn parse(code: &str) -> ErrorCode {
                match code {
                    $( $code => ErrorCode::$variant, )*
                    other => ErrorCode::Other(other.to_owned()),
                }
            }

            /// Like [`ErrorCode::parse`], but takes ownership so an unknown code is not copied.
            pub fn from_cow(code: Cow<'_, str>) -> ErrorCode {
                match ErrorCode::parse_known(&code) {
                    Some(known) => known,
                    None => ErrorCode::Other(code.into_owned()),
                }
            }

            fn parse_known(code: &str) -> Option<ErrorCode> {
                match code {
                    $( $code => Some(ErrorCode::$variant), )*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    AccessDenied => "access_denied": "Access to a resource named in the request is denied.",
    AccessTokenExchangeFailed => "access_token_exchange_failed": "Slack failed to exchange or refresh the provider's token.",
    AccessLimited => "accesslimited": "This method is limited on the network the request came from.",
    AccountInactive => "account_inactive": "The token belongs to a deleted user or workspace.",
    AppNotFound => "app_not_found": "The given app_id does not exist.",
    AuthorizationNotFound => "authorization_not_found": "The authorization behind this token was revoked or is invalid.",
    BadClientSecret => "bad_client_secret": "The client secret is wrong for this client id.",
    BadRedirectUri => "bad_redirect_uri": "redirect_uri differs from the one sent to the authorize step.",
    CannotInstallAnOrgInstalledApp => "cannot_install_an_org_installed_app": "The app is installed org-wide and cannot be installed on one workspace.",
    DeprecatedEndpoint => "deprecated_endpoint": "The endpoint is deprecated.",
    EkmAccessDenied => "ekm_access_denied": "Administrators have suspended access (Enterprise Key Management).",
    EnterpriseIsRestricted => "enterprise_is_restricted": "The method cannot be called from an Enterprise organization.",
    FatalError => "fatal_error": "Slack failed badly; part of the operation may have happened.",
    InternalError => "internal_error": "Slack failed, likely transiently; part of the operation may have happened.",
    InvalidArgName => "invalid_arg_name": "An argument name is malformed or unexpected.",
    InvalidArgs => "invalid_args": "The arguments are invalid for this method.",
    InvalidArguments => "invalid_arguments": "The arguments are invalid or a required one is missing.",
    InvalidArrayArg => "invalid_array_arg": "An argument was sent as an array; only strings are accepted.",
    InvalidAuth => "invalid_auth": "The token is invalid, or the request came from a disallowed address.",
    InvalidCharset => "invalid_charset": "The Content-Type charset is not utf-8 or iso-8859-1.",
    InvalidClientId => "invalid_client_id": "The client id is unknown, or no client credentials were sent.",
    InvalidCode => "invalid_code": "The authorization code is invalid, expired or already used.",
    InvalidCodeVerifier => "invalid_code_verifier": "The PKCE code verifier does not match the code challenge.",
    InvalidFormData => "invalid_form_data": "The form body is missing or malformed.",
    InvalidGrantType => "invalid_grant_type": "grant_type is not authorization_code or refresh_token.",
    InvalidPostType => "invalid_post_type": "The Content-Type is not one Slack accepts.",
    InvalidRefreshToken => "invalid_refresh_token": "The refresh token is invalid or was already used.",
    InvalidToken => "invalid_token": "The legacy token cannot be exchanged for rotating credentials.",
    MethodDeprecated => "method_deprecated": "The method is deprecated.",
    MethodNotSupported => "method_not_supported": "The method is not supported for this caller.",
    MissingPostType => "missing_post_type": "A POST body was sent without a Content-Type.",
    MissingScope => "missing_scope": "The token lacks a scope this call needs (see needed/provided).",
    NoPermission => "no_permission": "The token lacks permission for this request.",
    NoRefreshToken => "no_refresh_token": "Slack holds no refresh token for this external token.",
    NoScopes => "no_scopes": "The authorize request asked for no scope.",
    NoTokensFound => "no_tokens_found": "There were no external tokens to delete.",
    NoUserScopes => "no_user_scopes": "The authorize request asked for no user scope.",
    NotAllowedTokenType => "not_allowed_token_type": "This kind of token may not call this method.",
    NotAuthed => "not_authed": "No token was sent.",
    NotImplemented => "not_implemented": "The method is not available yet.",
    OauthAuthorizationUrlMismatch => "oauth_authorization_url_mismatch": "The flow did not start at /oauth/v2/authorize.",
    OrgLoginRequired => "org_login_required": "The workspace is migrating to an Enterprise organization.",
    PkceNotAllowed => "pkce_not_allowed": "The app is not allowed to use PKCE.",
    PreviewFeatureNotAvailable => "preview_feature_not_available": "The method is not yet available on this team.",
    ProvidersNotFound => "providers_not_found": "The given provider_key is unknown.",
    Ratelimited => "ratelimited": "Too many calls; wait for the Retry-After delay.",
    RequestTimeout => "request_timeout": "The POST body was missing or truncated.",
    ServiceUnavailable => "service_unavailable": "Slack is temporarily unavailable.",
    TeamAccessNotGranted => "team_access_not_granted": "The token has no access to the workspace in question.",
    TeamAddedToOrg => "team_added_to_org": "The workspace is migrating into an Enterprise organization.",
    TokenAlreadyExchanged => "token_already_exchanged": "This legacy token was already exchanged.",
    TokenExpired => "token_expired": "The token has expired; refresh it.",
    TokenNotFound => "token_not_found": "No external token matches external_token_id.",
    TokenRevoked => "token_revoked": "The token was revoked, or its user, workspace or app was removed.",
    TokenRotationNotEnabled => "token_rotation_not_enabled": "The app has not turned token rotation on.",
    TwoFactorSetupRequired => "two_factor_setup_required": "The user must set up two-factor authentication.",
    UnableToDelete => "unable_to_delete": "Slack failed to delete the external tokens.",
    UnknownError => "unknown_error": "A temporary error (Slack: dev-only restriction).",
    UserEmailUnverified => "user_email_unverified": "The user's email address is unverified.",
}

impl ErrorCode {
    /// The codes Slack documents for every Web API method whose page lists the platform-wide
    /// errors (each of the built-in methods but `oauth.v2.user.access`), in alphabetical
    /// order. A method's own [`Method::ERRORS`](crate::Method::ERRORS) lists only the rest.
    pub const PLATFORM: &'static [ErrorCode] = &[
        ErrorCode::AccessDenied,
        ErrorCode::AccessLimited,
        ErrorCode::AccountInactive,
        ErrorCode::DeprecatedEndpoint,
        ErrorCode::EkmAccessDenied,
        ErrorCode::EnterpriseIsRestricted,
        ErrorCode::FatalError,
        ErrorCode::InternalError,
        ErrorCode::InvalidArgName,
        ErrorCode::InvalidArguments,
        ErrorCode::InvalidArrayArg,
        ErrorCode::InvalidAuth,
        ErrorCode::InvalidCharset,
        ErrorCode::InvalidFormData,
        ErrorCode::InvalidPostType,
        ErrorCode::MethodDeprecated,
        ErrorCode::MissingPostType,
        ErrorCode::MissingScope,
        ErrorCode::NoPermission,
        ErrorCode::NotAllowedTokenType,
        ErrorCode::NotAuthed,
        ErrorCode::OrgLoginRequired,
        ErrorCode::Ratelimited,
        ErrorCode::RequestTimeout,
        ErrorCode::ServiceUnavailable,
        ErrorCode::TeamAccessNotGranted,
        ErrorCode::TeamAddedToOrg,
        ErrorCode::TokenExpired,
        ErrorCode::TokenRevoked,
        ErrorCode::TwoFactorSetupRequired,
    ];

    /// Whether the same request may succeed if sent again later.
    ///
    /// True for rate limits and transient failures on Slack's side. `fatal_error` is not
    /// retryable: Slack says part of the operation may have happened already.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ErrorCode::Ratelimited
                | ErrorCode::InternalError
                | ErrorCode::ServiceUnavailable
                | ErrorCode::RequestTimeout
                | ErrorCode::TeamAddedToOrg
                | ErrorCode::OrgLoginRequired
                | ErrorCode::UnknownError
        )
    }

    /// Whether the credential used is no longer usable as it is.
    ///
    /// `token_expired` is included: the access token is dead, though a refresh may replace it.
    pub fn is_token_dead(&self) -> bool {
        matches!(self, ErrorCode::TokenExpired) || self.needs_reinstall()
    }

    /// Whether the installation itself is gone and only a new OAuth install can recover it
    /// (revoked token, deleted account, spent or invalid refresh token).
    pub fn needs_reinstall(&self) -> bool {
        matches!(
            self,
            ErrorCode::InvalidAuth
                | ErrorCode::TokenRevoked
                | ErrorCode::AccountInactive
                | ErrorCode::InvalidRefreshToken
                | ErrorCode::AuthorizationNotFound
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ErrorCode::parse(s))
    }
}

impl From<&str> for ErrorCode {
    fn from(s: &str) -> Self {
        ErrorCode::parse(s)
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        CowStr::deserialize(deserializer).map(|s| ErrorCode::from_cow(s.0))
    }
}

/// A warning Slack attached to an answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Warning {
    /// The request's content type should have named a charset.
    MissingCharset,
    /// The request named a charset its content type does not take.
    SuperfluousCharset,
    /// Any other warning, verbatim.
    Other(String),
}

impl Warning {
    /// Reads a warning code.
    pub fn parse(code: &str) -> Warning {
        match code {
            "missing_charset" => Warning::MissingCharset,
            "superfluous_charset" => Warning::SuperfluousCharset,
            other => Warning::Other(other.to_owned()),
        }
    }

    /// The warning as Slack writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Warning::MissingCharset => "missing_charset",
            Warning::SuperfluousCharset => "superfluous_charset",
            Warning::Other(code) => code,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Warning {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A string borrowed from the body when it has no escapes, owned otherwise.
pub(crate) struct CowStr<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_codes_round_trip() {
        assert_eq!(ErrorCode::ALL.len(), 59);
        for code in ErrorCode::ALL {
            assert_eq!(&ErrorCode::parse(code.as_str()), code);
            assert!(!code.description().is_empty());
        }
        assert_eq!(
            ErrorCode::parse("brand_new"),
            ErrorCode::Other("brand_new".into())
        );
    }

    #[test]
    fn all_is_sorted_and_unique() {
        let strs: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        let mut sorted = strs.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(strs, sorted);
    }
}
