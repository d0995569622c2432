//! The Web API methods the simulator answers, as one enum: the list of names and the
//! dispatch in [`crate::sim`] are both driven by it, so a method cannot be listed without
//! being dispatched (the dispatch `match` has no catch-all arm).

use slack_oauth_core::apps_auth_external::{Delete, Get};
use slack_oauth_core::auth::{Revoke, Test};
use slack_oauth_core::oauth_v2::{Access, Exchange, UserAccess};
use slack_oauth_core::tooling_tokens::Rotate;
use slack_oauth_core::Method;

macro_rules! catalog {
    ($( $(#[$meta:meta])* $variant:ident => $name:expr, json: $json:literal; )*) => {
        /// A Web API method the simulator answers.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ApiMethod {
            $( $(#[$meta])* $variant, )*
        }

        impl ApiMethod {
            /// Every method, in the order of the table.
            pub const ALL: &'static [ApiMethod] = &[ $( ApiMethod::$variant, )* ];

            /// The method's API name, e.g. `"auth.test"`.
            pub fn name(self) -> &'static str {
                match self {
                    $( ApiMethod::$variant => $name, )*
                }
            }

            /// Whether Slack lists `application/json` among the method's content types
            /// (otherwise a JSON body is not read).
            pub fn reads_json(self) -> bool {
                match self {
                    $( ApiMethod::$variant => $json, )*
                }
            }
        }
    };
}

catalog! {
    /// `oauth.v2.access`.
    OauthV2Access => Access::NAME, json: true;
    /// `oauth.v2.user.access`.
    OauthV2UserAccess => UserAccess::NAME, json: true;
    /// `oauth.v2.exchange`.
    OauthV2Exchange => Exchange::NAME, json: false;
    /// `tooling.tokens.rotate`.
    ToolingTokensRotate => Rotate::NAME, json: false;
    /// `apps.auth.external.get`.
    AppsAuthExternalGet => Get::NAME, json: true;
    /// `apps.auth.external.delete`.
    AppsAuthExternalDelete => Delete::NAME, json: true;
    /// `auth.test`.
    AuthTest => Test::NAME, json: true;
    /// `auth.revoke`.
    AuthRevoke => Revoke::NAME, json: false;
    /// `apps.uninstall`.
    AppsUninstall => "apps.uninstall", json: false;
}

impl ApiMethod {
    /// The method named `name`, if the simulator answers it.
    pub fn from_name(name: &str) -> Option<ApiMethod> {
        ApiMethod::ALL.iter().copied().find(|m| m.name() == name)
    }
}

impl std::fmt::Display for ApiMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = ApiMethod::ALL.iter().map(|m| m.name()).collect();
        for m in ApiMethod::ALL {
            assert_eq!(ApiMethod::from_name(m.name()), Some(*m));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ApiMethod::ALL.len());
        assert_eq!(ApiMethod::from_name("chat.postMessage"), None);
    }
}
