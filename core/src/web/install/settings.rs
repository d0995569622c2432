//! How an [`InstallFlow`] is set up: its redirect URI, key, cookie and pages, checked once
//! in [`InstallFlow::new`].

use std::fmt;

use crate::{
    authorize::{AuthorizeError, Flow, StateError},
    method::is_loopback_host,
    secret::StateKey,
    AuthorizeUrl, StateSigner,
};

/// The cookie that binds a browser to the install it started, unless configured otherwise.
pub const DEFAULT_STATE_COOKIE: &str = "slack_oauth_state";

/// What the install page does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InstallPage {
    /// Shows a small page with an "Add to Slack" button (the default).
    #[default]
    Button,
    /// Sends the browser straight to Slack's authorize page (302).
    Redirect,
}

/// Why an [`InstallFlow`] could not be set up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlowError {
    /// The authorize URL would be refused (no scopes, a bad scope, ...).
    Authorize(AuthorizeError),
    /// The state key is too short.
    State(StateError),
    /// The redirect URI is not `https://…` (or `http://` to a loopback host), or the user-only
    /// flow was asked for (this flow exchanges codes with `oauth.v2.access`).
    Config {
        /// What is wrong.
        reason: &'static str,
    },
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowError::Authorize(e) => write!(f, "install flow: {e}"),
            FlowError::State(e) => write!(f, "install flow: {e}"),
            FlowError::Config { reason } => write!(f, "install flow: {reason}"),
        }
    }
}

impl std::error::Error for FlowError {}

/// The install flow of a distributed Slack app, sans-IO: the install page
/// ([`InstallFlow::install_page`]), the redirect handler ([`InstallFlow::redirect`]), then
/// the code exchange ([`CodeExchange`]), `auth.test` ([`BotCheck`]) and the last page
/// ([`InstallFlow::success`] / [`InstallFlow::failure`]). Requests in, responses out; the
/// caller passes `now` (Unix seconds) and random bytes, and sends the two Slack calls.
///
/// Security: the install page sets an `HttpOnly`, `SameSite=Lax` cookie (`Secure` and in the
/// `__Host-` form unless the redirect URI is loopback `http`; only the first cookie of its
/// name a request carries is read) holding a random value; the `state` sent to Slack is
/// signed with the state key *bound to that value*, so the redirect only succeeds in the
/// browser that started the install, within the state's lifetime. With PKCE on, the code
/// verifier is derived from the cookie and the key, so it is never stored or shown. The
/// cookie is cleared by every answer of the redirect handler. No page holds a token, a code,
/// the cookie's value or the key; pages are `no-store`, send no referrer and cannot be framed.
///
/// ```
/// use slack_oauth_core::{AuthorizeUrl, web::{InstallFlow, INSTALL_RANDOM_BYTES}, secret::StateKey};
///
/// let flow = InstallFlow::new(
///     AuthorizeUrl::new("111.222").bot_scopes(["chat:write"]),
///     "https://example.com/slack/oauth_redirect",
///     StateKey::from_random_bytes(&[7; 32])?, // a real random key, the same on every server
/// )?;
/// let request = http::Request::get("/slack/install").body(())?;
/// let page = flow.install_page(&request, 1_700_000_000, &[1; INSTALL_RANDOM_BYTES]);
/// assert_eq!(page.status(), 200);
/// let cookie = page.headers()["set-cookie"].to_str()?;
/// assert!(cookie.starts_with("__Host-slack_oauth_state=")); // https: the `__Host-` form
/// assert!(cookie.contains("; Path=/;"));
/// assert!(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Lax"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`CodeExchange`]: crate::web::CodeExchange
/// [`BotCheck`]: crate::web::BotCheck
#[derive(Debug, Clone)]
pub struct InstallFlow {
    pub(super) authorize: AuthorizeUrl,
    pub(super) redirect_uri: String,
    pub(super) key: StateKey,
    pub(super) signer: StateSigner,
    pub(super) secure_cookie: bool,
    pub(super) cookie_path: String,
    pub(super) cookie_name: String,
    pub(super) host_cookie: bool,
    pub(super) pkce: bool,
    pub(super) page: InstallPage,
    pub(super) app_name: String,
    pub(super) install_path: String,
    pub(super) success_url: Option<String>,
    pub(super) failure_url: Option<String>,
}

impl InstallFlow {
    /// A flow that sends users to `authorize` (client id and scopes; its state, PKCE and
    /// redirect URI are set here) and expects them back at `redirect_uri`, with states
    /// signed by `key` (at least 32 bytes; the same on every server of the app).
    pub fn new(
        authorize: AuthorizeUrl,
        redirect_uri: impl Into<String>,
        key: StateKey,
    ) -> Result<InstallFlow, FlowError> {
        let redirect_uri = redirect_uri.into();
        if authorize.flow() != Flow::Install {
            return Err(FlowError::Config {
                reason: "the user-only flow is not served; ask for user scopes in the install flow",
            });
        }
        let uri: http::Uri = redirect_uri.parse().map_err(|_| FlowError::Config {
            reason: "the redirect URI is not an absolute URL",
        })?;
        let host = uri.host().unwrap_or("");
        let secure_cookie = match uri.scheme_str() {
            Some("https") => !host.is_empty(),
            Some("http") if is_loopback_host(host) => false,
            _ => {
                return Err(FlowError::Config {
                    reason: "the redirect URI must be https (or http to a loopback host)",
                })
            }
        };
        if host.is_empty() || uri.query().is_some() || redirect_uri.contains('#') {
            return Err(FlowError::Config {
                reason: "the redirect URI needs a host and takes no query or fragment",
            });
        }
        let signer = StateSigner::new(key.clone()).map_err(FlowError::State)?;
        let authorize = authorize.redirect_uri(redirect_uri.clone());
        authorize.build().map_err(FlowError::Authorize)?;
        Ok(InstallFlow {
            authorize,
            cookie_path: uri.path().to_owned(),
            redirect_uri,
            key,
            signer,
            secure_cookie,
            cookie_name: DEFAULT_STATE_COOKIE.to_owned(),
            host_cookie: true,
            pkce: false,
            page: InstallPage::Button,
            app_name: "the app".to_owned(),
            install_path: "/slack/install".to_owned(),
            success_url: None,
            failure_url: None,
        })
    }

    /// Uses PKCE (`code_challenge` on the authorize URL, `code_verifier` on the exchange).
    pub fn with_pkce(mut self, on: bool) -> InstallFlow {
        self.pkce = on;
        self
    }

    /// Shows the "Add to Slack" page, or sends the browser straight to Slack.
    pub fn with_install_page(mut self, page: InstallPage) -> InstallFlow {
        self.page = page;
        self
    }

    /// The app's name, shown on the pages.
    pub fn with_app_name(mut self, name: impl Into<String>) -> InstallFlow {
        self.app_name = name.into();
        self
    }

    /// Where the install page is served (the failure page links back to it); default
    /// `/slack/install`.
    pub fn with_install_path(mut self, path: impl Into<String>) -> InstallFlow {
        self.install_path = path.into();
        self
    }

    /// Redirects (303) to the app's own page after a successful install instead of showing
    /// the built-in success page.
    pub fn with_success_url(mut self, url: impl Into<String>) -> InstallFlow {
        self.success_url = Some(url.into());
        self
    }

    /// Redirects (303) to the app's own page, with `?error=<code>`, after a failed install
    /// instead of showing the built-in failure page.
    pub fn with_failure_url(mut self, url: impl Into<String>) -> InstallFlow {
        self.failure_url = Some(url.into());
        self
    }

    /// Names the state cookie (default [`DEFAULT_STATE_COOKIE`]; sent as `__Host-` and the
    /// name in the `__Host-` form, see [`InstallFlow::with_host_cookie`]).
    pub fn with_cookie_name(mut self, name: impl Into<String>) -> InstallFlow {
        self.cookie_name = name.into();
        self
    }

    /// Whether the state cookie takes the `__Host-` form (`__Host-slack_oauth_state`,
    /// `Path=/`, `Secure`, no `Domain`), so that no other host, a sibling subdomain
    /// included, can plant a cookie of that name for this one. On by default; it applies
    /// only where the redirect URI is https (the prefix requires `Secure`), and a loopback
    /// `http://` redirect URI keeps the plain name and the redirect URI's path.
    pub fn with_host_cookie(mut self, on: bool) -> InstallFlow {
        self.host_cookie = on;
        self
    }

    /// How long a state (and its cookie) lives, in seconds (default 600).
    pub fn with_state_max_age(mut self, seconds: u64) -> InstallFlow {
        self.signer = self.signer.with_max_age(seconds);
        self
    }

    /// The redirect URI sent to Slack.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }
}
