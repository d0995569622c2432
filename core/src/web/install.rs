//! The browser half of an install: the install page, Slack's redirect back, and the pages
//! that end it. See [`InstallFlow`].

use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::{header, HeaderMap, HeaderValue, Method as Verb, Response, StatusCode};

use crate::auth::{Test, TestResponse};
use crate::oauth_v2::{Access, AccessResponse};
use crate::transport;
use crate::web::page::{document, escape};
use crate::{
    is_loopback_host, AuthorizeError, AuthorizeUrl, Callback, CallbackError, CodeVerifier, Flow,
    Installation, InstallationError, Reply, StateError, StateKey, StateSigner, TokenType,
};

/// How many random bytes [`InstallFlow::install_page`] takes: 16 for the state's nonce and
/// 32 for the browser's cookie. Draw them from a secure random source for every request.
pub const INSTALL_RANDOM_BYTES: usize = 48;

/// The cookie that binds a browser to the install it started, unless configured otherwise.
pub const DEFAULT_STATE_COOKIE: &str = "slack_oauth_state";

/// Keeps the PKCE verifier derivation apart from every other use of the state key.
const PKCE_DOMAIN: &[u8] = b"slack-oauth/web-pkce/v1\0";

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

/// Why an install did not complete. Never holds a code, a state, a cookie or a token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum InstallFailure {
    /// The user pressed Cancel on Slack's page (`error=access_denied`).
    AccessDenied,
    /// Slack's authorize step sent another `error` (e.g. `invalid_scope`).
    Authorize {
        /// Slack's error code (cleaned to `A-Z a-z 0-9 _ - .`).
        error: String,
    },
    /// The redirect has a code but no `state`: not a redirect this app started.
    MissingState,
    /// The redirect has no `code`, or is not a redirect from Slack at all.
    BadRedirect,
    /// The browser has no install cookie: it did not start this install (a link sent by
    /// someone else), or took longer than the cookie lives.
    NoCookie,
    /// The state is forged, tampered with, or was issued to another browser.
    StateMismatch,
    /// The state is too old: the user took longer than the state lives.
    StateExpired,
    /// Slack refused the code (`invalid_code`, `bad_redirect_uri`, ...) or could not be
    /// reached. Shared, so the failure can be cloned.
    Exchange(Arc<transport::Error>),
    /// Slack's answer cannot be an installation (no token, no team).
    Installation(InstallationError),
    /// The app's own code could not store the installation.
    Store,
}

impl InstallFailure {
    /// A short code for the failure, for the app's failure URL (`?error=…`) and logs:
    /// `access_denied`, `state_mismatch`, `invalid_code`, ...
    pub fn code(&self) -> String {
        match self {
            InstallFailure::AccessDenied => "access_denied".into(),
            InstallFailure::Authorize { error } => error.clone(),
            InstallFailure::MissingState => "state_missing".into(),
            InstallFailure::BadRedirect => "bad_redirect".into(),
            InstallFailure::NoCookie => "no_state_cookie".into(),
            InstallFailure::StateMismatch => "state_mismatch".into(),
            InstallFailure::StateExpired => "state_expired".into(),
            InstallFailure::Exchange(e) => match e.slack() {
                Some(slack) => slack
                    .code()
                    .map_or_else(|| "slack_error".into(), |c| c.as_str().to_owned()),
                None => "slack_unreachable".into(),
            },
            InstallFailure::Installation(_) => "invalid_installation".into(),
            InstallFailure::Store => "storage_failed".into(),
        }
    }

    /// Whether the user cancelled (not an error worth alerting on).
    pub fn is_access_denied(&self) -> bool {
        matches!(self, InstallFailure::AccessDenied)
    }

    fn explanation(&self) -> &'static str {
        match self {
            InstallFailure::AccessDenied => {
                "The installation was cancelled. Nothing was installed."
            }
            InstallFailure::Authorize { .. } => "Slack could not start the installation.",
            InstallFailure::MissingState | InstallFailure::BadRedirect => {
                "This page was not reached from Slack's install page."
            }
            InstallFailure::NoCookie => {
                "This browser did not start this installation, or it took too long. \
                 Start again from the install page in this browser."
            }
            InstallFailure::StateMismatch => {
                "This installation link was not issued to this browser. \
                 Start again from the install page."
            }
            InstallFailure::StateExpired => {
                "The installation took too long. Start again from the install page."
            }
            InstallFailure::Exchange(e) if e.slack().is_some() => {
                "Slack refused to complete the installation."
            }
            InstallFailure::Exchange(_) => "Slack could not be reached. Please try again.",
            InstallFailure::Installation(_) => "Slack's answer did not contain an installation.",
            InstallFailure::Store => "The installation could not be saved. Please try again.",
        }
    }
}

impl fmt::Display for InstallFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallFailure::Exchange(e) => write!(f, "install failed: {e}"),
            InstallFailure::Installation(e) => write!(f, "install failed: {e}"),
            other => write!(
                f,
                "install failed ({}): {}",
                other.code(),
                other.explanation()
            ),
        }
    }
}

impl std::error::Error for InstallFailure {}

/// The install flow of a distributed Slack app, sans-IO: the install page
/// ([`InstallFlow::install_page`]), the redirect handler ([`InstallFlow::redirect`]), then
/// the code exchange ([`CodeExchange`]), `auth.test` ([`BotCheck`]) and the last page
/// ([`InstallFlow::success`] / [`InstallFlow::failure`]). Requests in, responses out; the
/// caller passes `now` (Unix seconds) and random bytes, and sends the two Slack calls.
///
/// Security: the install page sets an `HttpOnly`, `SameSite=Lax` cookie (`Secure` unless the
/// redirect URI is loopback `http`) holding a random value; the `state` sent to Slack is
/// signed with the state key *bound to that value*, so the redirect only succeeds in the
/// browser that started the install, within the state's lifetime. With PKCE on, the code
/// verifier is derived from the cookie and the key, so it is never stored or shown. The
/// cookie is cleared by every answer of the redirect handler. No page holds a token, a code,
/// the cookie's value or the key; pages are `no-store`, send no referrer and cannot be framed.
///
/// ```
/// use slack_oauth_core::{AuthorizeUrl, StateKey, web::{InstallFlow, INSTALL_RANDOM_BYTES}};
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
/// assert!(cookie.starts_with("slack_oauth_state="));
/// assert!(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Lax"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct InstallFlow {
    authorize: AuthorizeUrl,
    redirect_uri: String,
    key: StateKey,
    signer: StateSigner,
    secure_cookie: bool,
    cookie_path: String,
    cookie_name: String,
    pkce: bool,
    page: InstallPage,
    app_name: String,
    install_path: String,
    success_url: Option<String>,
    failure_url: Option<String>,
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

    /// Names the state cookie (default [`DEFAULT_STATE_COOKIE`]).
    pub fn with_cookie_name(mut self, name: impl Into<String>) -> InstallFlow {
        self.cookie_name = name.into();
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

    /// Answers a request for the install page at `now` with fresh `random` bytes: the
    /// "Add to Slack" page or a redirect to Slack, and the state cookie.
    pub fn install_page<B>(
        &self,
        request: &http::Request<B>,
        now: u64,
        random: &[u8; INSTALL_RANDOM_BYTES],
    ) -> Response<Vec<u8>> {
        if !matches!(*request.method(), Verb::GET | Verb::HEAD) {
            return method_not_allowed();
        }
        let (nonce, cookie_bytes) = random.split_at(16);
        let cookie = URL_SAFE_NO_PAD.encode(cookie_bytes);
        // The nonce length is fixed above and the key was checked in `new`.
        let Ok(state) = self.signer.issue_bound(nonce, cookie.as_bytes(), now) else {
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot issue a state\n");
        };
        let mut authorize = self.authorize.clone().state(&state);
        if self.pkce {
            authorize = authorize.pkce(&self.verifier(&cookie).challenge());
        }
        let Ok(url) = authorize.build() else {
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot build the authorize URL\n",
            );
        };
        let mut response = match self.page {
            InstallPage::Redirect => redirect(StatusCode::FOUND, &url),
            InstallPage::Button => {
                let body = format!(
                    "<h1>Add {app} to Slack</h1>\n<p>Install {app} in your Slack workspace.</p>\n\
<p><a class=\"button\" id=\"add-to-slack\" href=\"{url}\">Add to Slack</a></p>",
                    app = escape(&self.app_name),
                    url = escape(&url),
                );
                html(
                    StatusCode::OK,
                    &document(&format!("Add {} to Slack", self.app_name), &body),
                )
            }
        };
        self.set_cookie(response.headers_mut(), &cookie, self.signer.max_age());
        response
    }

    /// Reads Slack's redirect back to the app (query and cookies) at `now`: the code
    /// exchange to make, or why the install failed (answer with [`InstallFlow::failure`]).
    pub fn redirect<B>(
        &self,
        request: &http::Request<B>,
        now: u64,
    ) -> Result<CodeExchange, InstallFailure> {
        // GET only: a HEAD would spend the code without showing anyone the outcome.
        if request.method() != Verb::GET {
            return Err(InstallFailure::BadRedirect);
        }
        let callback =
            Callback::parse(request.uri().query().unwrap_or("")).map_err(|e| match e {
                CallbackError::AccessDenied => InstallFailure::AccessDenied,
                CallbackError::Authorize { error } => InstallFailure::Authorize { error },
                CallbackError::MissingState => InstallFailure::MissingState,
                _ => InstallFailure::BadRedirect,
            })?;
        let cookies = cookie_values(request.headers(), &self.cookie_name);
        if cookies.is_empty() {
            return Err(InstallFailure::NoCookie);
        }
        let mut failure = InstallFailure::StateMismatch;
        for cookie in cookies {
            match self
                .signer
                .verify_bound(callback.state(), cookie.as_bytes(), now)
            {
                Ok(_) => {
                    let verifier = self.pkce.then(|| self.verifier(&cookie));
                    let (code, _) = callback
                        .verify_bound_state(&self.signer, cookie.as_bytes(), now)
                        .map_err(|_| InstallFailure::StateMismatch)?;
                    let mut access = Access::code(code).redirect_uri(self.redirect_uri.clone());
                    if let Some(verifier) = verifier {
                        access = access.code_verifier(verifier);
                    }
                    return Ok(CodeExchange { access });
                }
                Err(StateError::Expired { .. }) => failure = InstallFailure::StateExpired,
                Err(_) => {}
            }
        }
        Err(failure)
    }

    /// The page after a successful install (or a redirect to the app's success URL), with
    /// the state cookie cleared.
    pub fn success(&self, installed: &Installed) -> Response<Vec<u8>> {
        let mut response = match &self.success_url {
            Some(url) => redirect(StatusCode::SEE_OTHER, url),
            None => {
                let installation = &installed.installation;
                let place = installation
                    .team_name
                    .as_deref()
                    .or(installation.enterprise_name.as_deref())
                    .or(installed.team_name.as_deref())
                    .unwrap_or("your workspace");
                let mut body = format!(
                    "<h1>Installed in {place}</h1>\n<p>{app} is now installed in \
<strong id=\"team-name\">{place}</strong>.</p>\n",
                    place = escape(place),
                    app = escape(&self.app_name),
                );
                if let Some(link) = installed.deep_link() {
                    body.push_str(&format!(
                        "<p><a class=\"button\" id=\"open-slack\" href=\"{}\">Open Slack</a></p>\n",
                        escape(&link)
                    ));
                }
                if let Some(url) = installed
                    .team_url
                    .as_deref()
                    .filter(|u| u.starts_with("https://"))
                {
                    body.push_str(&format!(
                        "<p class=\"detail\">Or open <a href=\"{0}\">{0}</a> in the browser.</p>\n",
                        escape(url)
                    ));
                }
                html(StatusCode::OK, &document("Installed", &body))
            }
        };
        self.clear_cookie(response.headers_mut());
        response
    }

    /// The page after a failed install (or a redirect to the app's failure URL with
    /// `?error=<code>`), with the state cookie cleared. Says what happened, never any
    /// detail of Slack's answer beyond its error code.
    pub fn failure(&self, failure: &InstallFailure) -> Response<Vec<u8>> {
        let mut response = match &self.failure_url {
            Some(url) => {
                let separator = if url.contains('?') { '&' } else { '?' };
                let code: String =
                    form_urlencoded::byte_serialize(failure.code().as_bytes()).collect();
                redirect(
                    StatusCode::SEE_OTHER,
                    &format!("{url}{separator}error={code}"),
                )
            }
            None => {
                let (status, title) = if failure.is_access_denied() {
                    (StatusCode::OK, "Installation cancelled")
                } else {
                    (StatusCode::BAD_REQUEST, "Installation failed")
                };
                let body = format!(
                    "<h1>{title}</h1>\n<p id=\"reason\">{reason}</p>\n<p class=\"detail\">Error: \
<code id=\"error-code\">{code}</code></p>\n<p><a href=\"{again}\">Start again</a></p>",
                    reason = escape(failure.explanation()),
                    code = escape(&failure.code()),
                    again = escape(&self.install_path),
                );
                html(status, &document(title, &body))
            }
        };
        self.clear_cookie(response.headers_mut());
        response
    }

    fn verifier(&self, cookie: &str) -> CodeVerifier {
        let mut mac = hmac_sha256::HMAC::new(self.key.expose().as_bytes());
        mac.update(PKCE_DOMAIN);
        mac.update(cookie.as_bytes());
        // 32 bytes is exactly the minimum a verifier takes, so this cannot fail; fall back
        // to the encoding it would give rather than panic.
        let bytes = mac.finalize();
        CodeVerifier::from_random_bytes(&bytes)
            .unwrap_or_else(|_| CodeVerifier::new(URL_SAFE_NO_PAD.encode(bytes)))
    }

    fn cookie_attributes(&self, max_age: u64) -> String {
        let mut attributes = format!(
            "; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Lax",
            self.cookie_path
        );
        if self.secure_cookie {
            attributes.push_str("; Secure");
        }
        attributes
    }

    fn set_cookie(&self, headers: &mut HeaderMap, value: &str, max_age: u64) {
        let cookie = format!(
            "{}={value}{}",
            self.cookie_name,
            self.cookie_attributes(max_age)
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }

    fn clear_cookie(&self, headers: &mut HeaderMap) {
        self.set_cookie(headers, "", 0);
    }
}

/// The code exchange the redirect asks for: send [`CodeExchange::access`] to Slack, then
/// hand the answer to [`CodeExchange::exchanged`].
#[derive(Debug, Clone)]
pub struct CodeExchange {
    access: Access,
}

impl CodeExchange {
    /// The `oauth.v2.access` call to make (code, redirect URI and, with PKCE, the verifier).
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// Reads Slack's answer to [`CodeExchange::access`] received at `now`.
    pub fn exchanged(
        self,
        answer: Result<Reply<AccessResponse>, transport::Error>,
        now: u64,
    ) -> Result<BotCheck, InstallFailure> {
        let answer = answer.map_err(|e| InstallFailure::Exchange(Arc::new(e)))?;
        let installation =
            Installation::from_access(answer.value, now).map_err(InstallFailure::Installation)?;
        Ok(BotCheck { installation })
    }
}

/// The installation, waiting for `auth.test` with its bot token (for the bot's id).
#[derive(Debug, Clone)]
pub struct BotCheck {
    installation: Installation,
}

impl BotCheck {
    /// The `auth.test` call to make, if the installation has a bot token.
    pub fn auth_test(&self) -> Option<Test> {
        self.installation
            .token(TokenType::Bot)
            .map(|bot| Test::new(bot.token.clone()))
    }

    /// Completes the install with the answer to [`BotCheck::auth_test`] (`None` when there
    /// was no call). A failed `auth.test` does not fail the install: the code is spent and
    /// the tokens are good, so the installation is kept without a bot id.
    pub fn finish(
        self,
        answer: Option<Result<Reply<TestResponse>, transport::Error>>,
    ) -> Installed {
        let test = answer.and_then(Result::ok).map(|reply| reply.value);
        let test = test.unwrap_or_default();
        let mut installation = self.installation;
        installation.bot_id.clone_from(&test.bot_id);
        Installed {
            key: first_record_key(&installation),
            installation,
            bot_id: test.bot_id,
            team_url: test.url,
            team_name: test.team,
        }
    }

    /// The installation as Slack's code exchange gave it.
    pub fn installation(&self) -> &Installation {
        &self.installation
    }
}

/// The store key of the first of `installation`'s records.
fn first_record_key(installation: &Installation) -> String {
    let records = installation.records();
    records
        .into_iter()
        .next()
        .map(|(key, _)| key)
        .unwrap_or_default()
}

/// A completed install: what to store, and what the success page shows.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Installed {
    /// What to store (tokens included: keep it secret).
    pub installation: Installation,
    /// The key of its first record, what a keeper's `install` returns: the bot record's
    /// (`APP/ENTERPRISE/TEAM/bot`, see [`Installation::records`]), or the installer's own for
    /// a user-only install.
    pub key: String,
    /// The bot's id (`B…`) from `auth.test`, if it answered; also in
    /// [`Installation::bot_id`].
    pub bot_id: Option<String>,
    /// The workspace's URL from `auth.test`.
    pub team_url: Option<String>,
    /// The workspace's name from `auth.test`.
    pub team_name: Option<String>,
}

impl Installed {
    /// `slack://app?team=…&id=…`: opens the app in the Slack client, when the ids are known.
    pub fn deep_link(&self) -> Option<String> {
        let installation = &self.installation;
        let team = installation
            .team_id
            .as_deref()
            .or(installation.enterprise_id.as_deref())?;
        let app = installation.app_id.as_deref()?;
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("team", team)
            .append_pair("id", app)
            .finish();
        Some(format!("slack://app?{query}"))
    }
}

/// The values of every cookie named `name` in the request's `Cookie` headers (at most 4:
/// a browser sends one per path, and more is someone playing games).
fn cookie_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(n, v)| *n == name && !v.is_empty() && v.len() <= 256)
        .map(|(_, v)| v.to_owned())
        .take(4)
        .collect()
}

fn security_headers(headers: &mut HeaderMap) {
    // The redirect's URL holds the code: no referrer may carry it away, and no cache keep it.
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

fn html(status: StatusCode, body: &str) -> Response<Vec<u8>> {
    let mut response = Response::new(body.as_bytes().to_vec());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    security_headers(headers);
    response
}

fn plain(status: StatusCode, text: &str) -> Response<Vec<u8>> {
    let mut response = Response::new(text.as_bytes().to_vec());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    security_headers(headers);
    response
}

fn redirect(status: StatusCode, location: &str) -> Response<Vec<u8>> {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut response = plain(status, "");
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "invalid redirect URL\n"),
    }
}

fn method_not_allowed() -> Response<Vec<u8>> {
    let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

#[cfg(test)]
#[path = "install_tests.rs"]
mod tests;
