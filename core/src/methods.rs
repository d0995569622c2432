//! [`BuiltinMethod`]: the list of the Slack methods this crate defines, written once.
//!
//! The tests, the fuzz target, the benches and the simulator's dispatch all go through it, so
//! a method added here and forgotten there fails to compile instead of being skipped (or,
//! in a simulator, answered as some other method).

use crate::apps_auth_external::{Delete, Get};
use crate::auth::{Revoke, Test};
use crate::error_code::ErrorCode;
use crate::method_trait::Method;
use crate::oauth_v2::{Access, Exchange, UserAccess};
use crate::openid::{Token, UserInfo};
use crate::tooling_tokens::Rotate;

/// Runs generic code for one built-in method's type: what [`BuiltinMethod::visit`] calls.
///
/// A closure cannot be generic over a type, so a check written once for every method
/// ("every documented code parses", "a 429 is a rate limit") is a small type implementing
/// this trait.
pub trait VisitMethod {
    /// What the visit returns.
    type Output;

    /// Called with `M`, the method type behind `which`. For the grant methods that is the
    /// code grant ([`Access`], [`UserAccess`]); the refresh grants share its name,
    /// authentication and response type.
    fn visit<M: Method>(self, which: BuiltinMethod) -> Self::Output;
}

macro_rules! builtin_methods {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal => $ty:ty, )*) => {
        /// One of the Slack methods this crate defines.
        ///
        /// Deliberately not `#[non_exhaustive]`: matching on it must name every method, so
        /// a new one is a compile error in every `match` that has not handled it yet.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum BuiltinMethod {
            $( $(#[$doc])* $variant, )*
        }

        impl BuiltinMethod {
            /// Every built-in method, in the order of this list.
            pub const ALL: &'static [BuiltinMethod] = &[ $( BuiltinMethod::$variant, )* ];

            /// The method's API name, e.g. `"oauth.v2.access"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $( BuiltinMethod::$variant => $name, )*
                }
            }

            /// The request path under Slack's base URL, e.g. `"/api/oauth.v2.access"`.
            pub const fn api_path(self) -> &'static str {
                match self {
                    $( BuiltinMethod::$variant => concat!("/api/", $name), )*
                }
            }

            /// The built-in method with this API name.
            pub fn from_name(name: &str) -> Option<BuiltinMethod> {
                match name {
                    $( $name => Some(BuiltinMethod::$variant), )*
                    _ => None,
                }
            }

            /// Runs `visitor` with this method's type.
            pub fn visit<V: VisitMethod>(self, visitor: V) -> V::Output {
                match self {
                    $( BuiltinMethod::$variant => visitor.visit::<$ty>(self), )*
                }
            }
        }
    };
}

builtin_methods! {
    /// `oauth.v2.access` ([`Access`], [`AccessRefresh`](crate::oauth_v2::AccessRefresh)).
    OauthV2Access = "oauth.v2.access" => Access,
    /// `oauth.v2.user.access` ([`UserAccess`],
    /// [`UserAccessRefresh`](crate::oauth_v2::UserAccessRefresh)).
    OauthV2UserAccess = "oauth.v2.user.access" => UserAccess,
    /// `oauth.v2.exchange` ([`Exchange`]).
    OauthV2Exchange = "oauth.v2.exchange" => Exchange,
    /// `tooling.tokens.rotate` ([`Rotate`]).
    ToolingTokensRotate = "tooling.tokens.rotate" => Rotate,
    /// `apps.auth.external.get` ([`Get`]).
    AppsAuthExternalGet = "apps.auth.external.get" => Get,
    /// `apps.auth.external.delete` ([`Delete`]).
    AppsAuthExternalDelete = "apps.auth.external.delete" => Delete,
    /// `auth.test` ([`Test`]).
    AuthTest = "auth.test" => Test,
    /// `auth.revoke` ([`Revoke`]).
    AuthRevoke = "auth.revoke" => Revoke,
    /// `openid.connect.token` ([`Token`], [`TokenRefresh`](crate::openid::TokenRefresh)).
    OpenidConnectToken = "openid.connect.token" => Token,
    /// `openid.connect.userInfo` ([`UserInfo`]).
    OpenidConnectUserInfo = "openid.connect.userInfo" => UserInfo,
}

impl BuiltinMethod {
    /// Every error code Slack documents for this method ([`Method::documented_errors`]).
    pub fn documented_errors(self) -> Vec<&'static ErrorCode> {
        struct Errors;
        impl VisitMethod for Errors {
            type Output = Vec<&'static ErrorCode>;
            fn visit<M: Method>(self, _: BuiltinMethod) -> Self::Output {
                M::documented_errors().collect()
            }
        }
        self.visit(Errors)
    }
}

impl std::fmt::Display for BuiltinMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Name;
    impl VisitMethod for Name {
        type Output = (&'static str, &'static str);
        fn visit<M: Method>(self, which: BuiltinMethod) -> Self::Output {
            (M::NAME, which.name())
        }
    }

    #[test]
    fn the_list_matches_the_types() {
        assert_eq!(BuiltinMethod::ALL.len(), 10);
        for &method in BuiltinMethod::ALL {
            let (type_name, listed) = method.visit(Name);
            assert_eq!(type_name, listed);
            assert_eq!(BuiltinMethod::from_name(listed), Some(method));
            assert_eq!(method.api_path(), format!("/api/{listed}"));
            assert_eq!(method.to_string(), listed);
        }
        assert_eq!(BuiltinMethod::from_name("apps.uninstall"), None);
    }
}
