//! The Web API methods the simulator answers: core's [`BuiltinMethod`] list, plus
//! `apps.uninstall`, which has no core type (the simulator alone answers it).
//!
//! The list of names and the dispatch in [`crate::routing`] are both driven by this enum, and
//! the dispatch `match` names every [`BuiltinMethod`] with no catch-all arm, so a method
//! added to core's list does not compile here until the simulator answers it.

use slack_oauth_core::method::BuiltinMethod;

/// A Web API method the simulator answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ApiMethod {
    /// One of core's built-in methods.
    Builtin(BuiltinMethod),
    /// `apps.uninstall`.
    AppsUninstall,
}

impl ApiMethod {
    /// Every method: core's list in its order, then `apps.uninstall`.
    pub const ALL: &'static [ApiMethod] = &{
        let mut all = [ApiMethod::AppsUninstall; BuiltinMethod::ALL.len() + 1];
        let mut i = 0;
        while i < BuiltinMethod::ALL.len() {
            all[i] = ApiMethod::Builtin(BuiltinMethod::ALL[i]);
            i += 1;
        }
        all
    };

    /// The method's API name, e.g. `"auth.test"`.
    pub const fn name(self) -> &'static str {
        match self {
            ApiMethod::Builtin(method) => method.name(),
            ApiMethod::AppsUninstall => "apps.uninstall",
        }
    }

    /// Whether Slack lists `application/json` among the method's content types
    /// (otherwise a JSON body is not read).
    pub const fn reads_json(self) -> bool {
        match self {
            ApiMethod::Builtin(method) => match method {
                BuiltinMethod::OauthV2Access
                | BuiltinMethod::OauthV2UserAccess
                | BuiltinMethod::AppsAuthExternalGet
                | BuiltinMethod::AppsAuthExternalDelete
                | BuiltinMethod::AuthTest
                | BuiltinMethod::OpenidConnectToken
                | BuiltinMethod::OpenidConnectUserInfo => true,
                BuiltinMethod::OauthV2Exchange
                | BuiltinMethod::ToolingTokensRotate
                | BuiltinMethod::AuthRevoke => false,
            },
            ApiMethod::AppsUninstall => false,
        }
    }

    /// The method named `name`, if the simulator answers it.
    pub fn from_name(name: &str) -> Option<ApiMethod> {
        match BuiltinMethod::from_name(name) {
            Some(method) => Some(ApiMethod::Builtin(method)),
            None => (name == ApiMethod::AppsUninstall.name()).then_some(ApiMethod::AppsUninstall),
        }
    }
}

impl From<BuiltinMethod> for ApiMethod {
    fn from(method: BuiltinMethod) -> ApiMethod {
        ApiMethod::Builtin(method)
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

    #[test]
    fn the_catalog_is_core_list_then_apps_uninstall() {
        let (last, builtin) = ApiMethod::ALL.split_last().unwrap();
        assert_eq!(*last, ApiMethod::AppsUninstall);
        let expected: Vec<ApiMethod> = BuiltinMethod::ALL.iter().map(|&m| m.into()).collect();
        assert_eq!(builtin, expected.as_slice());
        assert_eq!(
            ApiMethod::from_name("auth.revoke"),
            Some(ApiMethod::Builtin(BuiltinMethod::AuthRevoke))
        );
    }
}
