//! The steps of an install: the install page and its state cookie, Slack's redirect back,
//! the code exchange and `auth.test`.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::{Method as Verb, Response, StatusCode};

use super::failure::InstallFailure;
use super::headers::{cookie_value, html, method_not_allowed, plain, redirect};
#[cfg(doc)]
use super::receipt::RECEIPT_MAX_AGE;
use super::settings::{InstallFlow, InstallPage};
use crate::auth::{Test, TestResponse};
use crate::oauth_v2::{Access, AccessResponse};
use crate::transport;
use crate::web::page::{document, escape};
use crate::{
    authorize::{CallbackError, CodeVerifier, StateError, VerifiedState},
    Callback, Installation, Reply, StateSigner, TokenType,
};

/// How many random bytes [`InstallFlow::install_page`] takes: 16 for the state's nonce and
/// 32 for the browser's cookie. Draw them from a secure random source for every request.
pub const INSTALL_RANDOM_BYTES: usize = 48;

/// The query parameter of the install path that restarts an install Slack started
/// ([`InstallFailure::StartedAtSlack`]): the install page then sends the browser on to Slack.
pub(super) const RESTART_PARAM: &str = "restart";

/// Keeps the PKCE verifier derivation apart from every other use of the state key.
const PKCE_DOMAIN: &[u8] = b"slack-oauth/web-pkce/v1\0";

impl InstallFlow {
    /// Answers a request for the install page at `now` with fresh `random` bytes: the
    /// "Add to Slack" page or a redirect to Slack, and the state cookie. For the URL
    /// [`InstallFlow::success`] redirects to (`?installed=` and a receipt this app signed,
    /// not older than [`RECEIPT_MAX_AGE`]), the success page instead, with no cookie.
    pub fn install_page<B>(
        &self,
        request: &http::Request<B>,
        now: u64,
        random: &[u8; INSTALL_RANDOM_BYTES],
    ) -> Response<Vec<u8>> {
        if !matches!(*request.method(), Verb::GET | Verb::HEAD) {
            return method_not_allowed();
        }
        let query = request.uri().query();
        if let Some(receipt) = self.receipt(query, now) {
            return self.receipt_page(&receipt);
        }
        // Restarting an install Slack started: the person already chose to install, so go
        // straight on to Slack's consent page.
        let restart = form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .any(|(name, _)| name == RESTART_PARAM);
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
            _ if restart => redirect(StatusCode::FOUND, &url),
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
                // Neither state nor cookie: Slack started it (App Directory, Direct Install).
                CallbackError::MissingState
                    if cookie_value(request.headers(), &self.cookie_name()).is_none() =>
                {
                    InstallFailure::StartedAtSlack
                }
                CallbackError::MissingState => InstallFailure::MissingState,
                _ => InstallFailure::BadRedirect,
            })?;
        let cookie =
            cookie_value(request.headers(), &self.cookie_name()).ok_or(InstallFailure::NoCookie)?;
        match self
            .signer
            .verify_bound(callback.state(), cookie.as_bytes(), now)
        {
            Ok(_) => {
                let verifier = self.pkce.then(|| self.verifier(&cookie));
                let (code, state) = callback
                    .verify_bound_state(&self.signer, cookie.as_bytes(), now)
                    .map_err(|_| InstallFailure::StateMismatch)?;
                let mut access = Access::code(code).redirect_uri(self.redirect_uri.clone());
                if let Some(verifier) = verifier {
                    access = access.code_verifier(verifier);
                }
                let state_expires_at = (state.issued_at())
                    .saturating_add(self.signer.max_age())
                    .saturating_add(StateSigner::DEFAULT_MAX_SKEW);
                Ok(CodeExchange {
                    access,
                    state,
                    state_expires_at,
                })
            }
            Err(StateError::Expired { .. }) => Err(InstallFailure::StateExpired),
            Err(_) => Err(InstallFailure::StateMismatch),
        }
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
}

/// The code exchange the redirect asks for: send [`CodeExchange::access`] to Slack, then
/// hand the answer to [`CodeExchange::exchanged`].
#[derive(Debug, Clone)]
pub struct CodeExchange {
    access: Access,
    pub(super) state: VerifiedState,
    pub(super) state_expires_at: u64,
}

impl CodeExchange {
    /// The verified state this redirect came back with: its nonce and issue time, for an app
    /// that remembers used states itself ([`CodeExchange::claim`] does it with a store).
    pub fn state(&self) -> &VerifiedState {
        &self.state
    }

    /// When the state expires (Unix seconds): its issue time, lifetime and clock skew.
    pub fn state_expires_at(&self) -> u64 {
        self.state_expires_at
    }

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
