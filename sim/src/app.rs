//! [`AppConfig`]: a Slack app as the simulator knows it.

use std::fmt;

/// Slack's lifetime of a rotating access token: twelve hours.
pub const DEFAULT_TOKEN_EXPIRES_IN: u64 = 43_200;
/// The largest lifetime or clock step a configuration may name (100 years): anything
/// larger is a mistake, and refusing it keeps all time arithmetic far from overflow.
pub const MAX_SECONDS: u64 = 100 * 365 * 86_400;

/// A registered Slack app: its credentials and the settings that change how Slack answers.
///
/// Everything except the client id and secret has a default: no redirect URI restriction,
/// token rotation off, PKCE off, any scope allowed, workspace `T0SIM` ("Sim Team"), user
/// `U0SIMUSER`, bot user `U0SIMBOT`, and an app id derived from the client id.
///
/// ```
/// use slack_oauth_sim::AppConfig;
/// let app = AppConfig::new("111.222", "app-secret")
///     .redirect_uri("http://127.0.0.1:8080/callback")
///     .token_rotation(true)
///     .bot_scopes("chat:write,commands");
/// assert_eq!(app.client_id(), "111.222");
/// assert!(!format!("{app:?}").contains("app-secret"));
/// ```
#[derive(Clone)]
pub struct AppConfig {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) app_id: String,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) token_rotation: bool,
    pub(crate) pkce: bool,
    pub(crate) bot_scopes: Option<Vec<String>>,
    pub(crate) user_scopes: Option<Vec<String>>,
    pub(crate) team_id: String,
    pub(crate) team_name: String,
    pub(crate) enterprise: Option<(String, String)>,
    pub(crate) org_install: bool,
    pub(crate) user_id: String,
    pub(crate) bot_user_id: String,
    pub(crate) app_name: String,
    pub(crate) bot_id: String,
    pub(crate) token_expires_in: u64,
    pub(crate) event_request_url: Option<String>,
    pub(crate) signing_secret: Option<String>,
    pub(crate) auto_approve: bool,
}

impl fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("app_id", &self.app_id)
            .field("redirect_uris", &self.redirect_uris)
            .field("token_rotation", &self.token_rotation)
            .field("pkce", &self.pkce)
            .field("bot_scopes", &self.bot_scopes)
            .field("user_scopes", &self.user_scopes)
            .field("team_id", &self.team_id)
            .field("enterprise", &self.enterprise)
            .field("org_install", &self.org_install)
            .field("app_name", &self.app_name)
            .field("token_expires_in", &self.token_expires_in)
            .field("event_request_url", &self.event_request_url)
            .field(
                "signing_secret",
                &self.signing_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("auto_approve", &self.auto_approve)
            .finish_non_exhaustive()
    }
}

impl AppConfig {
    /// An app with this client id and client secret, and defaults for everything else.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> AppConfig {
        let client_id = client_id.into();
        let app_id = default_app_id(&client_id);
        AppConfig {
            client_id,
            client_secret: client_secret.into(),
            app_id,
            redirect_uris: Vec::new(),
            token_rotation: false,
            pkce: false,
            bot_scopes: None,
            user_scopes: None,
            team_id: "T0SIM".to_owned(),
            team_name: "Sim Team".to_owned(),
            enterprise: None,
            org_install: false,
            user_id: "U0SIMUSER".to_owned(),
            bot_user_id: "U0SIMBOT".to_owned(),
            app_name: "Sim App".to_owned(),
            bot_id: "B0SIMBOT".to_owned(),
            token_expires_in: DEFAULT_TOKEN_EXPIRES_IN,
            event_request_url: None,
            signing_secret: None,
            auto_approve: false,
        }
    }

    /// The app's name, shown on the consent page and as the bot's name in `auth.test`.
    pub fn app_name(mut self, name: impl Into<String>) -> AppConfig {
        self.app_name = name.into();
        self
    }

    /// The bot id (`B…`) that `auth.test` reports for the app's bot tokens.
    pub fn bot_id(mut self, id: impl Into<String>) -> AppConfig {
        self.bot_id = id.into();
        self
    }

    /// Seconds a rotating access token lives (default 43 200, Slack's twelve hours), so that
    /// rotation can be tested in seconds. Values outside 1 ..= [`MAX_SECONDS`] are refused
    /// by [`Sim::try_register_app`](crate::Sim::try_register_app) and the config file.
    pub fn token_expires_in(mut self, seconds: u64) -> AppConfig {
        self.token_expires_in = seconds;
        self
    }

    /// The Events API request URL (`http://` on loopback): the simulator POSTs
    /// `url_verification` when it is first set, and `app_uninstalled` / `tokens_revoked`
    /// when the app leaves or loses tokens. Without a signing secret, events are signed with
    /// an empty key.
    pub fn event_request_url(mut self, url: impl Into<String>) -> AppConfig {
        self.event_request_url = Some(url.into());
        self
    }

    /// The signing secret events are signed with (`X-Slack-Signature`). A secret: never
    /// printed.
    pub fn signing_secret(mut self, secret: impl Into<String>) -> AppConfig {
        self.signing_secret = Some(secret.into());
        self
    }

    /// Browsers too get the auto-approving redirect instead of the consent page.
    pub fn auto_approve(mut self, on: bool) -> AppConfig {
        self.auto_approve = on;
        self
    }

    /// Checks the values a misconfiguration could make absurd.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.client_id.is_empty() {
            return Err("empty client_id".to_owned());
        }
        if !(1..=MAX_SECONDS).contains(&self.token_expires_in) {
            return Err(format!(
                "token_expires_in of {} must be between 1 and {MAX_SECONDS} seconds",
                self.client_id
            ));
        }
        if let Some(url) = &self.event_request_url {
            let ok = url
                .parse::<http::Uri>()
                .is_ok_and(|u| u.scheme_str() == Some("http") && u.host().is_some_and(is_loopback));
            if !ok {
                return Err(format!(
                    "event_request_url of {} must be an http:// URL on loopback (127.0.0.1, [::1], localhost): the simulator sends events nowhere else",
                    self.client_id
                ));
            }
        }
        Ok(())
    }

    /// Adds an allowed redirect URI. A redirect URI sent to the authorize step must equal one
    /// of these or be a subdirectory of one (Slack's rule). With none registered, any
    /// `http`/`https` URI (or custom scheme, with PKCE) is accepted.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> AppConfig {
        self.redirect_uris.push(uri.into());
        self
    }

    /// Turns token rotation on: tokens expire after 12 hours and come with refresh tokens;
    /// `oauth.v2.exchange` is allowed.
    pub fn token_rotation(mut self, on: bool) -> AppConfig {
        self.token_rotation = on;
        self
    }

    /// Allows PKCE (and public clients that send no secret); otherwise PKCE parameters get
    /// `pkce_not_allowed`.
    pub fn pkce(mut self, on: bool) -> AppConfig {
        self.pkce = on;
        self
    }

    /// The bot scopes the app may be granted, comma-separated. Unset: any scope.
    pub fn bot_scopes(mut self, scopes: &str) -> AppConfig {
        self.bot_scopes = Some(split_scopes(scopes));
        self
    }

    /// The user scopes the app may be granted, comma-separated. Unset: any scope.
    pub fn user_scopes(mut self, scopes: &str) -> AppConfig {
        self.user_scopes = Some(split_scopes(scopes));
        self
    }

    /// The app id (`A…`) reported in answers and used by `apps.auth.external.delete`.
    pub fn app_id(mut self, app_id: impl Into<String>) -> AppConfig {
        self.app_id = app_id.into();
        self
    }

    /// The workspace installs land in.
    pub fn team(mut self, id: impl Into<String>, name: impl Into<String>) -> AppConfig {
        self.team_id = id.into();
        self.team_name = name.into();
        self
    }

    /// Puts the workspace inside an Enterprise organization (`enterprise` in answers).
    pub fn enterprise(mut self, id: impl Into<String>, name: impl Into<String>) -> AppConfig {
        self.enterprise = Some((id.into(), name.into()));
        self
    }

    /// Makes installs org-wide: `team: null`, `is_enterprise_install: true`. Implies an
    /// enterprise (`E0SIM`, "Sim Org") if none was set. Once installed org-wide, an authorize
    /// request naming a workspace (`team=`) yields a code that `oauth.v2.access` refuses with
    /// `cannot_install_an_org_installed_app`.
    pub fn org_install(mut self, on: bool) -> AppConfig {
        self.org_install = on;
        if on && self.enterprise.is_none() {
            self.enterprise = Some(("E0SIM".to_owned(), "Sim Org".to_owned()));
        }
        self
    }

    /// The installing user's id (`authed_user.id`).
    pub fn user_id(mut self, id: impl Into<String>) -> AppConfig {
        self.user_id = id.into();
        self
    }

    /// The bot user's id (`bot_user_id`).
    pub fn bot_user_id(mut self, id: impl Into<String>) -> AppConfig {
        self.bot_user_id = id.into();
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The app id.
    pub fn get_app_id(&self) -> &str {
        &self.app_id
    }

    /// Whether `uri` is allowed as a redirect URI: equal to a registered one, or a
    /// subdirectory of one. No fragment is ever allowed.
    pub(crate) fn allows_redirect(&self, uri: &str) -> bool {
        if uri.contains('#') || uri.is_empty() {
            return false;
        }
        if self.redirect_uris.is_empty() {
            return uri.parse::<http::Uri>().is_ok_and(|u| u.scheme().is_some());
        }
        self.redirect_uris.iter().any(|allowed| {
            uri.strip_prefix(allowed.as_str()).is_some_and(|rest| {
                rest.is_empty()
                    || allowed.ends_with('/')
                    || rest.starts_with('/')
                    || rest.starts_with('?')
            })
        })
    }

    /// The redirect used when the authorize request names none.
    pub(crate) fn default_redirect(&self) -> Option<&str> {
        self.redirect_uris.first().map(String::as_str)
    }

    pub(crate) fn allows_bot_scope(&self, scope: &str) -> bool {
        self.bot_scopes
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|s| s == scope))
    }

    pub(crate) fn allows_user_scope(&self, scope: &str) -> bool {
        self.user_scopes
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|s| s == scope))
    }
}

/// `127.0.0.0/8`, `[::1]` or `localhost`.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Splits a scope list on commas and spaces, dropping empty items.
pub(crate) fn split_scopes(scopes: &str) -> Vec<String> {
    scopes
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `A0` + 9 hex digits of the client id's hash: stable, and distinct per client id.
fn default_app_id(client_id: &str) -> String {
    let digest = hmac_sha256::Hash::hash(client_id.as_bytes());
    let mut id = String::from("A0");
    for byte in &digest[..5] {
        id.push_str(&format!("{byte:02X}"));
    }
    id.truncate(11);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_matching() {
        let app = AppConfig::new("1.2", "s").redirect_uri("https://example.com/oauth");
        assert!(app.allows_redirect("https://example.com/oauth"));
        assert!(app.allows_redirect("https://example.com/oauth/sub"));
        assert!(app.allows_redirect("https://example.com/oauth?x=1"));
        assert!(!app.allows_redirect("https://example.com/oauthx"));
        assert!(!app.allows_redirect("https://example.com/other"));
        assert!(!app.allows_redirect("https://example.com/oauth#frag"));
        assert!(!app.allows_redirect("http://example.com/oauth"));
        let open = AppConfig::new("1.2", "s");
        assert!(open.allows_redirect("http://127.0.0.1:9/cb"));
        assert!(!open.allows_redirect("not a uri"));
        assert!(!open.allows_redirect(""));
    }

    #[test]
    fn app_id_default_is_stable() {
        let a = AppConfig::new("111.222", "s");
        assert_eq!(a.get_app_id(), AppConfig::new("111.222", "t").get_app_id());
        assert_ne!(a.get_app_id(), AppConfig::new("111.223", "s").get_app_id());
        assert_eq!(a.get_app_id().len(), 11);
        assert!(a.get_app_id().starts_with("A0"));
    }

    #[test]
    fn scopes() {
        assert_eq!(split_scopes("a, b,,c d"), vec!["a", "b", "c", "d"]);
        let app = AppConfig::new("1", "s").bot_scopes("chat:write");
        assert!(app.allows_bot_scope("chat:write"));
        assert!(!app.allows_bot_scope("commands"));
        assert!(app.allows_user_scope("anything"));
    }
}
